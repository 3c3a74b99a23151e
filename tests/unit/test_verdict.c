/*
 * test_verdict.c: the one verdict builder (classify/verdict.c), called
 * directly: a flow's verdict and a behaviour detector's get the same
 * opening of the reason, attribution, action and counting, their own
 * evidence fields, and ids that are stable and never meet.
 */
#include <check.h>
#include <stdio.h>
#include <string.h>

#include "../../classify/classify_int.h"
#include "behave.h"
#include "config.h"
#include "heur.h"
#include "helpers.h"
#include "suites.h"

#define MAXV	4

static struct config cfg;
static struct verdict got[MAXV];
static unsigned ngot;

static void
on_verdict(const struct verdict *v, void *arg)
{
	(void)arg;
	if (ngot < MAXV)
		got[ngot] = *v;
	ngot++;
}

static struct classify *
worker(void)
{
	const char *n[] = { "signature_dir", "block_categories" },
	    *v[] = { "", "mining" };
	struct classify_out out = { .verdict = on_verdict };
	struct classify *c;
	char err[512];

	ck_assert_msg(config_build(&cfg, NULL, n, v, 2, err, sizeof(err)) == 0,
	    "%s", err);
	ck_assert_msg((c = classify_new(&cfg, &out, err, sizeof(err))) != NULL,
	    "%s", err);
	ngot = 0;
	return c;
}

static void
v4(uint8_t a[16], uint8_t x, uint8_t y, uint8_t z, uint8_t w)
{
	memset(a, 0, 16);
	a[10] = a[11] = 0xff;
	a[12] = x;
	a[13] = y;
	a[14] = z;
	a[15] = w;
}

static uint64_t
figure(const struct classify *c, const char *section, const char *name)
{
	static struct stats_event s;

	memset(&s, 0, sizeof(s));
	classify_stats(c, &s);
	return stats_figure(&s, section, name);
}

/* A TCP flow 192.0.2.10:40000 -> 198.51.100.7:3333, opened by the VM. */
static void
tcp_flow(struct flow *f)
{
	memset(f, 0, sizeof(*f));
	v4(f->key.a, 192, 0, 2, 10);
	v4(f->key.b, 198, 51, 100, 7);
	f->key.aport = 40000;
	f->key.bport = 3333;
	f->key.proto = 6;
	f->src_is_a = 1;
	f->first_us = 1000000;
}

START_TEST(flow_verdict)
{
	struct classify *c = worker();
	struct heur_hit hit;
	struct evidence ev;
	struct flow f;
	char want[256];

	tcp_flow(&f);
	memset(&hit, 0, sizeof(hit));
	hit.name = "stratum";
	snprintf(hit.detail, sizeof(hit.detail), "mining.subscribe");
	memset(&ev, 0, sizeof(ev));
	ev.source = EV_HEURISTIC;
	ev.category = CAT_MINING;
	ev.confidence = CONF_HIGH;
	ev.hit = &hit;
	verdict_make(c, &(struct verdict_about){ .flow = &f, .ev = &ev,
	    .side = 0 }, 2000000);
	ck_assert_uint_eq(ngot, 1);
	ck_assert_str_eq(got[0].vm, "192.0.2.10");
	ck_assert_str_eq(got[0].decided_by, "heuristic");
	ck_assert_str_eq(got[0].action, "block");
	ck_assert_str_eq(got[0].heuristic, "stratum");
	ck_assert_int_eq(got[0].has_flow, 1);
	ck_assert_int_eq(got[0].has_peer, 1);
	ck_assert_int_eq(memcmp(got[0].peer, f.key.b, 16), 0);
	ck_assert_uint_eq(got[0].t.dport, 3333);
	ck_assert_ptr_null(got[0].detector);
	snprintf(want, sizeof(want),
	    "VM 192.0.2.10 %s: stratum mining.subscribe to 198.51.100.7:3333",
	    policy_phrase(CAT_MINING));
	ck_assert_str_eq(got[0].reason, want);
	ck_assert_uint_eq(strlen(got[0].verdict_id), 32);

	/* The same flow and category: the same id, whenever it is made. */
	verdict_make(c, &(struct verdict_about){ .flow = &f, .ev = &ev,
	    .side = 0 }, 9000000);
	ck_assert_str_eq(got[1].verdict_id, got[0].verdict_id);
	ck_assert_uint_eq(figure(c, "verdicts", "mining"), 2);
	ck_assert_uint_eq(figure(c, "verdicts", "by_heuristic"), 2);

	/* The VM the responder: the reason says who sent to its port. */
	verdict_make(c, &(struct verdict_about){ .flow = &f, .ev = &ev,
	    .side = 1 }, 9000000);
	ck_assert_str_eq(got[2].vm, "198.51.100.7");
	snprintf(want, sizeof(want), "VM 198.51.100.7 %s: stratum "
	    "mining.subscribe from 192.0.2.10:40000 to the VM's port 3333",
	    policy_phrase(CAT_MINING));
	ck_assert_str_eq(got[2].reason, want);
	classify_free(c);
}
END_TEST

START_TEST(behaviour_verdict)
{
	struct classify *c = worker();
	struct behave_hit h;
	char want[256], id[40];

	memset(&h, 0, sizeof(h));
	h.category = CAT_DOS;
	h.confidence = CONF_HIGH;
	h.detector = "syn_flood";
	v4(h.vm, 192, 0, 2, 10);
	v4(h.target, 203, 0, 113, 5);
	h.has_target = 1;
	h.proto = 6;
	h.port = 80;
	h.count = 5000;
	snprintf(h.detail, sizeof(h.detail), "5000 SYNs in 1 s");
	verdict_make(c, &(struct verdict_about){ .hit = &h }, 3000000);
	ck_assert_uint_eq(ngot, 1);
	ck_assert_str_eq(got[0].decided_by, "behaviour");
	ck_assert_str_eq(got[0].detector, "syn_flood");
	ck_assert_str_eq(got[0].action, "alert");
	ck_assert_int_eq(got[0].has_flow, 0);
	ck_assert_int_eq(got[0].has_peer, 1);
	ck_assert_uint_eq(got[0].count, 5000);
	ck_assert_uint_eq(got[0].target_port, 80);
	snprintf(want, sizeof(want), "VM 192.0.2.10 %s: syn_flood against "
	    "203.0.113.5:80: 5000 SYNs in 1 s", policy_phrase(CAT_DOS));
	ck_assert_str_eq(got[0].reason, want);
	snprintf(id, sizeof(id), "%s", got[0].verdict_id);

	/* No target: no peer, and the reason names none. */
	memset(h.target, 0, sizeof(h.target));
	h.has_target = 0;
	h.port = 0;
	verdict_make(c, &(struct verdict_about){ .hit = &h }, 3000000);
	ck_assert_int_eq(got[1].has_peer, 0);
	snprintf(want, sizeof(want), "VM 192.0.2.10 %s: syn_flood: "
	    "5000 SYNs in 1 s", policy_phrase(CAT_DOS));
	ck_assert_str_eq(got[1].reason, want);
	ck_assert_str_ne(got[1].verdict_id, id);
	ck_assert_uint_eq(figure(c, "verdicts", "by_behaviour"), 2);
	ck_assert_uint_eq(figure(c, "verdicts", "dos"), 2);
	classify_free(c);
}
END_TEST

/* Without a verdict sink (a worker being freed) verdicts are counted only. */
START_TEST(no_sink_counts)
{
	struct classify *c = worker();
	struct behave_hit h;

	c->out.verdict = NULL;
	memset(&h, 0, sizeof(h));
	h.category = CAT_SCAN;
	h.confidence = CONF_MEDIUM;
	h.detector = "port_scan";
	v4(h.vm, 192, 0, 2, 10);
	verdict_make(c, &(struct verdict_about){ .hit = &h }, 1);
	ck_assert_uint_eq(ngot, 0);
	ck_assert_uint_eq(figure(c, "verdicts", "scan"), 1);
	classify_free(c);
}
END_TEST

Suite *
verdict_suite(void)
{
	Suite *s = suite_create("verdict");
	TCase *tc = tcase_create("builder");

	tcase_add_test(tc, flow_verdict);
	tcase_add_test(tc, behaviour_verdict);
	tcase_add_test(tc, no_sink_counts);
	suite_add_tcase(s, tc);
	return s;
}
