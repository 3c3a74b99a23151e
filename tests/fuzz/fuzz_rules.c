/*
 * fuzz_rules.c: the signature rule parser (sigset_load_file), each input
 * one .rules file, with a real nDPI handle for ndpi= names (made once: its
 * setup is slow). A set that loaded is then matched once against facts
 * drawn from the input, so the indexes the loader built are walked too.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dpi.h"
#include "log.h"
#include "sig.h"

#include "fuzz_file.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct dpi *fuzz_dpi;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char err[512];

	(void)argc;
	(void)argv;
	log_set_level(LOG_LEVEL_ERR);
	if ((fuzz_dpi = dpi_new(err, sizeof(err))) == NULL) {
		fprintf(stderr, "fuzz_rules: %s\n", err);
		exit(1);
	}
	return 0;
}

static void
fuzz_hit(const struct sig_rule *r, void *arg)
{
	size_t *n = arg;

	if (r->id == NULL || r->msg == NULL)
		abort();
	(*n)++;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *hosts[] = { "pool.supportxmr.com", "example.com",
	    "a.b.c.d.e", "" };
	struct sig_facts f;
	struct sigset *s;
	uint8_t peer[16];
	char err[512];
	size_t i, n = 0;

	if ((s = sigset_new()) == NULL)
		abort();
	err[0] = '\0';
	(void)sigset_load_file(s, fuzz_file_write(data, size), fuzz_dpi, err,
	    sizeof(err));
	for (i = 0; i < sigset_count(s); i++)
		if (sigset_rule(s, (uint32_t)i) == NULL)
			abort();
	memset(&f, 0, sizeof(f));
	memset(peer, 0, sizeof(peer));
	peer[10] = peer[11] = 0xff;
	if (size >= 4)
		memcpy(peer + 12, data, 4);
	f.peer = peer;
	f.port = size >= 6 ? (uint16_t)(data[4] << 8 | data[5]) : 443;
	f.proto = size > 0 && (data[0] & 1) ? 17 : 6;
	f.host = hosts[size % 4];
	f.ndpi_master = 7;
	f.ndpi_app = 91;
	f.asn = 3356;
	f.country = "NL";
	f.payload = data;
	f.payload_len = size < SIG_PAYLOAD_DEPTH ? size : SIG_PAYLOAD_DEPTH;
	f.tls_alpn = "h2,http/1.1";
	f.tls_cert_subject = "CN=example.com, O=Windscribe";
	f.tls_cert_issuer = "CN=R3, O=Let's Encrypt";
	if (sigset_match(s, &f, fuzz_hit, &n) != n)
		abort();
	sigset_free(s);
	return 0;
}
