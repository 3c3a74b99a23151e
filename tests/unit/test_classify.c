/*
 * test_classify.c: the worker as a whole (classify.c): a recorded stratum
 * session (tests/golden/stratum/, cpuminer against a pool) replayed
 * through decode_packet and classify_packet gives one mining verdict
 * naming the VM; a second session within suppress_window is suppressed;
 * a second session an hour earlier in packet time (a merged capture) is a
 * step back of the clock: counted, classified as the first, and reported
 * at its own capture time.
 */
#include <check.h>
#include <stdio.h>
#include <string.h>

#include "classify.h"
#include "config.h"
#include "decode.h"
#include "helpers.h"
#include "policy.h"
#include "source.h"
#include "suites.h"

#define CAPTURE	"tests/golden/stratum/capture.pcap"
#define MAXV	8

static struct config cfg;
static struct verdict got[MAXV];
static unsigned ngot, nflows;

static void
on_verdict(const struct verdict *v, void *arg)
{
	(void)arg;
	if (ngot < MAXV)
		got[ngot] = *v;
	ngot++;
}

static void
on_flow(const struct flow_event *fe, void *arg)
{
	(void)fe;
	(void)arg;
	nflows++;
}

static struct classify *
worker(const char *suppress)
{
	const char *n[] = { "signature_dir", "suppress_window" },
	    *v[] = { "", suppress };
	struct classify_out out = { .verdict = on_verdict, .flow = on_flow };
	struct classify *c;
	char err[512];

	ck_assert_msg(config_build(&cfg, NULL, n, v, 2, err, sizeof(err)) == 0,
	    "%s", err);
	ck_assert_msg((c = classify_new(&cfg, &out, err, sizeof(err))) != NULL,
	    "%s", err);
	ngot = nflows = 0;
	return c;
}

/* Replays the capture into c, its times moved by shift_us (signed);
 * returns the time of its first packet after the move. */
static uint64_t
replay(struct classify *c, int64_t shift_us)
{
	struct source *src;
	struct frame fr;
	struct pkt p;
	char err[512];
	uint64_t first = 0;
	int dlt;

	ck_assert_msg((src = source_open_file(CAPTURE, err, sizeof(err))) !=
	    NULL, "%s", err);
	dlt = source_linktype(src);
	while (source_next(src, &fr, err, sizeof(err)) == 1) {
		if (decode_packet(dlt, fr.data, fr.caplen, &p) != DECODE_OK)
			continue;
		p.ts_us = (uint64_t)((int64_t)fr.ts_us + shift_us);
		p.wire_len = fr.wire_len;
		if (first == 0)
			first = p.ts_us;
		classify_packet(c, &p);
	}
	source_close(src);
	return first;
}

static uint64_t
figure(const struct classify *c, const char *section, const char *name)
{
	static struct stats_event s;

	memset(&s, 0, sizeof(s));
	classify_stats(c, &s);
	return stats_figure(&s, section, name);
}

START_TEST(stratum_verdict)
{
	struct classify *c = worker("10m");
	uint64_t t0 = replay(c, 0);

	classify_flush(c);
	ck_assert_uint_eq(ngot, 1);
	ck_assert_int_eq(got[0].category, CAT_MINING);
	ck_assert_str_eq(got[0].vm, "192.0.2.10");
	ck_assert_uint_ge(got[0].ts_us, t0);
	ck_assert_uint_ge(nflows, 1);
	ck_assert_uint_eq(figure(c, "flow", "created"), nflows);
	classify_free(c);
}
END_TEST

START_TEST(repeat_suppressed)
{
	struct classify *c = worker("10m");

	replay(c, 0);
	replay(c, 60 * 1000000LL);
	classify_flush(c);
	ck_assert_uint_eq(ngot, 1);
	ck_assert_uint_eq(figure(c, "verdicts", "suppressed"), 1);
	classify_free(c);

	c = worker("0");
	replay(c, 0);
	replay(c, 60 * 1000000LL);
	classify_flush(c);
	ck_assert_uint_eq(ngot, 2);
	classify_free(c);
}
END_TEST

START_TEST(time_back)
{
	struct classify *c = worker("0");
	uint64_t t0, t1;

	t0 = replay(c, 0);
	t1 = replay(c, -3600 * 1000000LL);
	classify_flush(c);
	ck_assert_uint_eq(figure(c, "capture", "time_steps_back"), 1);
	ck_assert_uint_eq(ngot, 2);
	ck_assert_int_eq(got[1].category, CAT_MINING);
	/* reported at its own capture time, an hour before the first */
	ck_assert_uint_ge(got[0].ts_us, t0);
	ck_assert_uint_ge(got[1].ts_us, t1);
	ck_assert_uint_lt(got[1].ts_us, t0);
	ck_assert_str_ne(got[0].verdict_id, got[1].verdict_id);
	classify_free(c);
}
END_TEST

Suite *
classify_suite(void)
{
	Suite *s = suite_create("classify");
	TCase *tc = tcase_create("replay");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, stratum_verdict);
	tcase_add_test(tc, repeat_suppressed);
	tcase_add_test(tc, time_back);
	suite_add_tcase(s, tc);
	return s;
}
