/*
 * fuzz_capture.c: the whole packet path of a replay, fed one capture file
 * per input: libpcap's reader (source_open_file), decode_packet,
 * classify_packet (flow table, nDPI, signatures, heuristics, behaviour
 * detectors, policy), classify_flush, and the JSON writer for every verdict
 * (eve_verdict_json) and flow (eve_flow to /dev/null).
 *
 * nDPI's setup costs far more than one input, so one classifier is made in
 * LLVMFuzzerInitialize, with small tables, and reused; classify_flush after
 * each input ends its flows so they do not pile up. State that outlives a
 * flow (behaviour windows, the DNS cache, verdict suppression) carries over
 * between inputs, as it would between captures in one process.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "classify.h"
#include "config.h"
#include "decode.h"
#include "eve.h"
#include "log.h"
#include "source.h"

#include "fuzz_file.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct config fuzz_cfg;
static struct classify *fuzz_classify;
static struct eve *fuzz_eve;

static void
fuzz_verdict(const struct verdict *v, void *arg)
{
	char *json;

	(void)arg;
	if ((json = eve_verdict_json(v)) == NULL)
		abort();
	if (getenv("FUZZ_DEBUG") != NULL)
		fprintf(stderr, "fuzz_capture: %s\n", json);
	free(json);
}

static void
fuzz_flow(const struct flow_event *fe, void *arg)
{
	(void)arg;
	if (getenv("FUZZ_DEBUG") != NULL)
		fprintf(stderr, "fuzz_capture: flow\n");
	eve_flow(fuzz_eve, fe);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct classify_out out;
	const char *sigdir;
	char err[512];

	(void)argc;
	(void)argv;
	log_set_level(LOG_LEVEL_ERR);
	config_defaults(&fuzz_cfg);
	fuzz_cfg.max_flows = 1024;
	fuzz_cfg.dns_cache_size = 64;
	fuzz_cfg.behave_max_entries = 64;
	fuzz_cfg.flows = 1;
	if ((sigdir = getenv("EGRESSD_SIGDIR")) == NULL)
		sigdir = EGRESSD_SIGDIR;
	snprintf(fuzz_cfg.signature_dir, sizeof(fuzz_cfg.signature_dir), "%s",
	    sigdir);
	/* As tests/golden/golden.conf: one VM, so verdicts name a side. */
	if (config_set(&fuzz_cfg, "vm_networks", "192.0.2.10/32", err,
	    sizeof(err)) != 0) {
		fprintf(stderr, "fuzz_capture: %s\n", err);
		exit(1);
	}
	if ((fuzz_eve = eve_open("/dev/null", EVE_SURICATA, err,
	    sizeof(err))) == NULL) {
		fprintf(stderr, "fuzz_capture: %s\n", err);
		exit(1);
	}
	memset(&out, 0, sizeof(out));
	out.verdict = fuzz_verdict;
	out.flow = fuzz_flow;
	if ((fuzz_classify = classify_new(&fuzz_cfg, &out, err,
	    sizeof(err))) == NULL) {
		fprintf(stderr, "fuzz_capture: %s\n", err);
		exit(1);
	}
	if (classify_signature_count(fuzz_classify) == 0) {
		fprintf(stderr, "fuzz_capture: no signatures in %s\n", sigdir);
		exit(1);
	}
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct source *src;
	struct frame fr;
	struct pkt p;
	char err[512];
	int dlt;

	if ((src = source_open_file(fuzz_file_write(data, size), err,
	    sizeof(err))) == NULL) {
		if (getenv("FUZZ_DEBUG") != NULL)
			fprintf(stderr, "fuzz_capture: %s\n", err);
		return 0;
	}
	dlt = source_linktype(src);
	while (source_next(src, &fr, err, sizeof(err)) == 1) {
		if (decode_packet(dlt, fr.data, fr.caplen, &p) != DECODE_OK)
			continue;
		if (getenv("FUZZ_DEBUG") != NULL)
			fprintf(stderr, "fuzz_capture: packet %u bytes\n",
			    fr.caplen);
		p.ts_us = fr.ts_us;
		p.wire_len = fr.wire_len;
		p.ifname = fr.ifname;
		classify_packet(fuzz_classify, &p);
	}
	source_close(src);
	classify_flush(fuzz_classify);
	return 0;
}
