/*
 * fuzz_fleet.c: what egressd fleet reads off the bus, from hosts it does
 * not control: each input, split at its first NUL, is a summary message
 * (fleetagg_summary) and a host verdict (fleetagg_host_verdict); then
 * every window is judged, so the tables, sketches and contributor lists
 * built from the input are walked.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "fleetagg.h"
#include "log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
on_hit(const struct fleet_hit *h, void *arg)
{
	(void)h;
	(void)arg;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fleetagg_cfg c;
	struct fleetagg *a;
	const uint8_t *nul = memchr(data, 0, size);
	size_t n1 = nul != NULL ? (size_t)(nul - data) : size;
	char err[256];
	uint64_t w;

	log_set_level(LOG_LEVEL_ERR);
	memset(&c, 0, sizeof(c));
	c.syn_flood_pps = 10;
	c.udp_flood_pps = 10;
	c.icmp_flood_pps = 10;
	c.syn_flood_completion = 0.1;
	c.scan_ports = 2;
	c.scan_hosts = 2;
	c.scan_window_us = 300000000;
	c.brute_attempts = 2;
	c.brute_window_us = 1800000000;
	c.suppress_us = 300000000;
	c.max_keys = 64;	/* small: the full tables get their turn */
	c.shards = 1 + (size > 0 ? data[size - 1] % 2 : 0);
	a = fleetagg_new(&c);
	(void)fleetagg_summary(a, (const char *)data, n1, &w, err, sizeof(err));
	if (nul != NULL)
		fleetagg_host_verdict(a, (const char *)nul + 1, size - n1 - 1);
	fleetagg_close(a, UINT64_MAX, on_hit, NULL);
	fleetagg_free(a);
	return 0;
}
