/*
 * sigbench.c: how fast the signature engine loads and matches a large rule
 * set. Writes 100,000 host rules (half "*.dN.example", half exact names)
 * and 100,000 address rules (/32, /24, /16 and IPv6 /64 in equal parts)
 * into a temporary file, times sigset_load_file(), then times 1,000,000
 * sigset_match() calls on facts that carry a host name and a peer address:
 * half of them hit one host rule and one address rule, half hit nothing.
 * It prints one line:
 *
 *   load_ms=... rules=... match_ns_per_call=... bytes_per_rule=... \
 *       hit_ns=... miss_ns=... hits=...
 *
 * match_ns_per_call is over all the calls, hit_ns and miss_ns over each
 * half (they run as two loops of 500,000 calls).
 * bytes_per_rule is the heap the loaded set holds (mallinfo2) over its
 * rule count. The facts are made before the clock starts, so only
 * matching is timed.
 */
#include <malloc.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "sig.h"
#include "util.h"

#define HOST_RULES	100000
#define CIDR_RULES	100000
#define CALLS		1000000
#define FACT_SETS	8192

struct bench_fact {
	char host[48];
	uint8_t peer[16];
};

static uint64_t
rng_next(uint64_t *state)
{
	uint64_t x = *state;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	*state = x;
	return x;
}

static double
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static void
v4(uint8_t out[16], unsigned a, unsigned b, unsigned c, unsigned d)
{
	memset(out, 0, 16);
	out[10] = out[11] = 0xff;
	out[12] = (uint8_t)a;
	out[13] = (uint8_t)b;
	out[14] = (uint8_t)c;
	out[15] = (uint8_t)d;
}

/* The prefix of address rule i, as text and as an address inside it. */
static void
cidr_rule(unsigned i, char *text, size_t len, uint8_t inside[16], uint64_t r)
{
	unsigned k = i / 4;

	switch (i % 4) {
	case 0:
		snprintf(text, len, "10.%u.%u.%u", k >> 16, (k >> 8) & 255,
		    k & 255);
		v4(inside, 10, k >> 16, (k >> 8) & 255, k & 255);
		break;
	case 1:
		snprintf(text, len, "11.%u.%u.0/24", k >> 8, k & 255);
		v4(inside, 11, k >> 8, k & 255, (unsigned)r & 255);
		break;
	case 2:
		snprintf(text, len, "%u.%u.0.0/16", 100 + (k >> 8), k & 255);
		v4(inside, 100 + (k >> 8), k & 255, (unsigned)r & 255,
		    (unsigned)(r >> 8) & 255);
		break;
	default:
		snprintf(text, len, "2001:db8:%x:%x::/64", k >> 16, k & 0xffff);
		memset(inside, 0, 16);
		inside[0] = 0x20;
		inside[1] = 0x01;
		inside[2] = 0x0d;
		inside[3] = 0xb8;
		inside[5] = (uint8_t)(k >> 16);
		inside[6] = (uint8_t)(k >> 8);
		inside[7] = (uint8_t)k;
		memcpy(inside + 8, &r, 8);
		break;
	}
}

/* Reads the rule, as a real caller would. */
static void
count_hit(const struct sig_rule *r, void *arg)
{
	if (r->category != CAT_NONE)
		(*(size_t *)arg)++;
}

int
main(void)
{
	char path[] = "/tmp/sigbench-XXXXXX", err[512], cidr[64];
	struct bench_fact *facts;
	struct sig_facts f;
	struct sigset *s;
	struct mallinfo2 before, after;
	uint64_t rng = 0x9e3779b97f4a7c15ULL;
	double t0, load_ms, ns[2];
	size_t hits = 0, i, half;
	uint8_t scratch[16];
	FILE *fp;
	int fd;

	if ((fd = mkstemp(path)) == -1 || (fp = fdopen(fd, "w")) == NULL) {
		perror("sigbench: temp file");
		return 1;
	}
	for (i = 0; i < HOST_RULES; i++) {
		if (i % 2 == 0)
			fprintf(fp, "id=H%zu category=mining confidence=high "
			    "host=*.d%zu.example msg=\"bench host rule %zu\"\n",
			    i, i, i);
		else
			fprintf(fp, "id=H%zu category=proxy "
			    "host=h%zu.example.net "
			    "msg=\"bench host rule %zu\"\n", i, i, i);
	}
	for (i = 0; i < CIDR_RULES; i++) {
		cidr_rule((unsigned)i, cidr, sizeof(cidr), scratch, 0);
		fprintf(fp, "id=C%zu category=proxy ip=%s msg=\"bench address "
		    "rule %zu\"\n", i, cidr, i);
	}
	if (fclose(fp) != 0) {
		perror("sigbench: write");
		unlink(path);
		return 1;
	}

	before = mallinfo2();
	t0 = now_ms();
	s = sigset_new();
	if (sigset_load_file(s, path, NULL, err, sizeof(err)) == -1) {
		fprintf(stderr, "sigbench: %s\n", err);
		unlink(path);
		return 1;
	}
	load_ms = now_ms() - t0;
	after = mallinfo2();
	unlink(path);

	/* Half hits: a host below a wildcard or an exact name, an address
	 * inside a prefix; half misses of both. */
	facts = xcalloc(FACT_SETS, sizeof(*facts));
	for (i = 0; i < FACT_SETS; i++) {
		uint64_t r = rng_next(&rng);
		unsigned h = (unsigned)(r % HOST_RULES);
		unsigned c = (unsigned)((r >> 20) % CIDR_RULES);

		if (i % 2 == 0) {
			if (h % 2 == 0)
				snprintf(facts[i].host, sizeof(facts[i].host),
				    "www.cdn.d%u.example", h);
			else
				snprintf(facts[i].host, sizeof(facts[i].host),
				    "h%u.example.net", h);
			cidr_rule(c, cidr, sizeof(cidr), facts[i].peer,
			    rng_next(&rng));
		} else {
			snprintf(facts[i].host, sizeof(facts[i].host),
			    "www.m%u.example.org", h);
			v4(facts[i].peer, 223, (unsigned)r & 255,
			    (unsigned)(r >> 8) & 255,
			    (unsigned)(r >> 16) & 255);
		}
	}
	memset(&f, 0, sizeof(f));
	f.proto = 6;
	f.port = 443;
	for (half = 0; half < 2; half++) {
		t0 = now_ms();
		for (i = half; i < CALLS; i += 2) {
			const struct bench_fact *b;

			b = &facts[i & (FACT_SETS - 1)];

			f.host = b->host;
			f.peer = b->peer;
			sigset_match(s, &f, count_hit, &hits);
		}
		ns[half] = (now_ms() - t0) * 1e6 / (CALLS / 2);
	}

	printf("load_ms=%.1f rules=%zu match_ns_per_call=%.1f "
	    "bytes_per_rule=%.1f hit_ns=%.1f miss_ns=%.1f hits=%zu\n",
	    load_ms, sigset_count(s), (ns[0] + ns[1]) / 2,
	    (double)((after.uordblks + after.hblkhd) -
	    (before.uordblks + before.hblkhd)) / (double)sigset_count(s),
	    ns[0], ns[1], hits);
	sigset_free(s);
	free(facts);
	return 0;
}
