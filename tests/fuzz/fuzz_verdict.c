/*
 * fuzz_verdict.c: the verdict event and the signed webhook message. Every
 * text field of a verdict is filled with arbitrary bytes (invalid UTF-8,
 * control bytes, quotes) from the input; eve_verdict_json must still give
 * one valid JSON object, which jansson parses back, whose verdict_id and vm
 * survive, and a message body made of it must sign without trouble.
 */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "eve.h"
#include "event.h"
#include "webhook.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Copies the next field of the input (up to a 0xff byte) into dst. */
static void
take(const uint8_t **p, const uint8_t *end, char *dst, size_t len)
{
	size_t n = 0;

	while (*p < end && **p != 0xff && n + 1 < len)
		dst[n++] = (char)*(*p)++;
	dst[n] = '\0';
	if (*p < end)
		(*p)++;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t key[32] = { 1, 2, 3 };
	const uint8_t *p = data, *end = data + size;
	struct verdict v;
	json_error_t jerr;
	json_t *o;
	char *s, sig[WEBHOOK_SIG_MAX];
	unsigned i;

	memset(&v, 0, sizeof(v));
	take(&p, end, v.verdict_id, sizeof(v.verdict_id));
	take(&p, end, v.vm, sizeof(v.vm));
	take(&p, end, v.tenant, sizeof(v.tenant));
	take(&p, end, v.labels, sizeof(v.labels));
	take(&p, end, v.reason, sizeof(v.reason));
	take(&p, end, v.app_proto, sizeof(v.app_proto));
	take(&p, end, v.server_name, sizeof(v.server_name));
	take(&p, end, v.ndpi_category, sizeof(v.ndpi_category));
	take(&p, end, v.heuristic, sizeof(v.heuristic));
	take(&p, end, v.heuristic_detail, sizeof(v.heuristic_detail));
	take(&p, end, v.as_org, sizeof(v.as_org));
	take(&p, end, v.country, sizeof(v.country));
	v.nsigs = p < end ? *p++ % (VERDICT_MAX_SIGS + 1) : 0;
	for (i = 0; i < v.nsigs; i++) {
		take(&p, end, v.sigs[i].id, sizeof(v.sigs[i].id));
		take(&p, end, v.sigs[i].msg, sizeof(v.sigs[i].msg));
	}
	if (p < end) {
		uint8_t f = *p++;

		v.category = (enum policy_category)(f % CAT_N);
		v.confidence = (enum confidence)((f >> 3) % 3);
		v.has_flow = f & 0x20;
		v.has_target = f & 0x40;
		v.has_peer = f & 0x80;
	}
	if ((size_t)(end - p) >= 16 + 16 + 16) {
		memcpy(v.vm_addr, p, 16);
		memcpy(v.target, p + 16, 16);
		memcpy(v.t.src, p + 32, 16);
		memcpy(v.t.dst, p + 32, 16);
		p += 48;
	}
	v.severity = "high";
	v.decided_by = "signature";
	v.action = "alert";
	v.detector = v.has_target ? "syn_flood" : NULL;
	v.rate_pps = (double)size;
	v.window_us = size * 1000;

	if ((s = eve_verdict_json(&v)) == NULL)
		abort();
	if ((o = json_loads(s, 0, &jerr)) == NULL)
		abort();	/* not valid JSON: the writer let a byte through */
	if (!json_is_string(json_object_get(o, "verdict_id")) ||
	    !json_is_string(json_object_get(o, "vm")))
		abort();
	json_decref(o);
	webhook_sign(key, sizeof(key), v.verdict_id, (int64_t)size, s,
	    strlen(s), sig, sizeof(sig));
	if (strncmp(sig, "v1,", 3) != 0)
		abort();
	free(s);
	return 0;
}
