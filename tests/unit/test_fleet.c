/*
 * test_fleet.c: the per-host summaries (classify/fleetsum.h) read back by
 * the fleet correlator (fleetagg.h), as hosts and egressd fleet would:
 * each host's messages get their "host" (the NATS sink adds it) and go
 * to one aggregator, which judges them.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "fleetagg.h"
#include "fleetsum.h"
#include "inventory.h"
#include "sketch.h"
#include "suites.h"

#define SEC	1000000ULL
#define T0	(1796620190ULL * SEC)	/* an interval's start (10 s) */

static struct inventory *inv;
static struct fleetagg *agg;
static const char *cur_host;
static unsigned emitted;

static void
setup(void)
{
	char path[] = "/tmp/egressd-fleet-inv-XXXXXX";
	int fd = mkstemp(path);
	FILE *fp;
	char err[256];
	unsigned i;

	ck_assert_int_ge(fd, 0);
	fp = fdopen(fd, "w");
	fputs("address,vm,tenant,labels\n", fp);
	for (i = 1; i <= 8; i++)
		fprintf(fp, "198.51.100.%u,vm-%u,acme,\n", 10 + i, i);
	for (i = 1; i <= 4; i++)
		fprintf(fp, "198.51.100.%u,vm-g%u,globex,\n", 30 + i, i);
	fclose(fp);
	inv = inventory_load(path, err, sizeof(err));
	unlink(path);
	ck_assert_msg(inv != NULL, "%s", err);
	emitted = 0;
}

static void
teardown(void)
{
	inventory_free(inv);
	fleetagg_free(agg);
	agg = NULL;
}

static struct fleetagg_cfg
agg_cfg(void)
{
	struct fleetagg_cfg c;

	memset(&c, 0, sizeof(c));
	c.syn_flood_pps = 1000;
	c.udp_flood_pps = 10000;
	c.icmp_flood_pps = 1000;
	c.syn_flood_completion = 0.1;
	c.scan_ports = 15;
	c.scan_hosts = 25;
	c.scan_window_us = 300 * SEC;
	c.brute_attempts = 30;
	c.brute_window_us = 1800 * SEC;
	c.suppress_us = 300 * SEC;
	c.max_keys = 1024;
	c.shards = 1;
	return c;
}

/* A host's message, as the NATS sink publishes it, into agg. */
static void
to_agg(char *json, size_t len, uint64_t ts_us, void *arg)
{
	json_t *o = json_loadb(json, len, 0, NULL);
	char *text, err[128];
	uint64_t w;

	(void)ts_us;
	(void)arg;
	ck_assert_ptr_nonnull(o);
	json_object_set_new(o, "host", json_string(cur_host));
	text = json_dumps(o, JSON_COMPACT);
	ck_assert_int_eq(fleetagg_summary(agg, text, strlen(text), &w, err,
	    sizeof(err)), 0);
	ck_assert_uint_eq(w % (10 * SEC), 0);
	emitted++;
	free(text);
	json_decref(o);
	free(json);
}

static void
addr4(uint8_t a[16], unsigned b, unsigned c, unsigned d, unsigned e)
{
	memset(a, 0, 16);
	a[10] = a[11] = 0xff;
	a[12] = (uint8_t)b;
	a[13] = (uint8_t)c;
	a[14] = (uint8_t)d;
	a[15] = (uint8_t)e;
}

/* One TCP packet between VM .vm and target, at T0 + at_us: from the VM
 * with flags, or its answer. */
static void
tcp(struct fleetsum *f, unsigned vm_last, const uint8_t target[16],
    uint16_t port, uint64_t at_us, int from_vm, uint8_t flags)
{
	struct behave_pkt p;
	uint8_t vm[16];

	memset(&p, 0, sizeof(p));
	addr4(vm, 198, 51, 100, vm_last);
	p.ts_us = T0 + at_us;
	p.vm = vm;
	p.target = target;
	p.from_vm = from_vm;
	p.proto = 6;
	p.vm_port = 40000;
	p.target_port = port;
	p.tcp_flags = flags;
	p.wire_len = 54;
	fleetsum_packet(f, &p, 0, inv);
}

static struct fleetsum *
host_new(void)
{
	char err[128];
	struct fleetsum *f = fleetsum_new(10 * SEC, SEC, 256, to_agg, NULL,
	    err, sizeof(err));

	ck_assert_msg(f != NULL, "%s", err);
	return f;
}

/* VMs .first .. .first+n-1 each send pps TCP SYNs for secs seconds to
 * target:port (port 0: ports 1, 2, 3, ... one per SYN); an answer with
 * flags every `answer_each` SYNs (0: none). */
static void
syns(struct fleetsum *f, unsigned first, unsigned n, unsigned pps,
    unsigned secs, const uint8_t target[16], uint16_t port)
{
	unsigned v, i;

	for (i = 0; i < pps * secs; i++)
		for (v = 0; v < n; v++)
			tcp(f, first + v, target, port != 0 ? port :
			    (uint16_t)(1 + i), SEC / 10 + (uint64_t)i * SEC / pps,
			    1, 0x02);
}

/* The end of the input on host A (a) and host B (b, may be NULL): their
 * messages go to agg. */
static void
flush_hosts(struct fleetsum *a, struct fleetsum *b)
{
	cur_host = "hostA";
	fleetsum_tick(a, 0, 1, inv);
	if (b != NULL) {
		cur_host = "hostB";
		fleetsum_tick(b, 0, 1, inv);
	}
}

static struct fleet_hit hits[8];
static unsigned nhits;

static void
on_hit(const struct fleet_hit *h, void *arg)
{
	(void)arg;
	ck_assert_uint_lt(nhits, 8);
	hits[nhits++] = *h;
}

static void
judge_all(void)
{
	nhits = 0;
	fleetagg_close(agg, UINT64_MAX, on_hit, NULL);
}

/* The case: 8 VMs on 2 hosts, 150 SYN/s each, to one target. */
START_TEST(distributed_flood_once)
{
	struct fleetagg_cfg c = agg_cfg();
	struct fleetsum *a, *b;
	uint8_t tgt[16];
	struct fleetagg_stats st;

	agg = fleetagg_new(&c);
	addr4(tgt, 203, 0, 113, 9);
	a = host_new();
	b = host_new();
	syns(a, 11, 4, 150, 4, tgt, 80);
	syns(b, 15, 4, 150, 4, tgt, 80);
	flush_hosts(a, b);
	ck_assert_uint_eq(emitted, 2);
	judge_all();
	ck_assert_uint_eq(nhits, 1);
	ck_assert_str_eq(hits[0].detector, "fleet_syn_flood");
	ck_assert_str_eq(hits[0].tenant, "acme");
	ck_assert_uint_eq(hits[0].nvms, 8);
	ck_assert_uint_eq(hits[0].nhosts, 2);
	ck_assert_uint_eq(hits[0].count, 8 * 600);
	ck_assert(hits[0].rate_pps >= 1150 && hits[0].rate_pps <= 1250);
	ck_assert_int_eq(memcmp(hits[0].target, tgt, 16), 0);
	ck_assert_uint_eq(strlen(hits[0].verdict_id), 32);
	/* More rows of the judged window: judged again, not reported again. */
	syns(a, 11, 4, 150, 1, tgt, 80);
	flush_hosts(a, NULL);
	judge_all();
	ck_assert_uint_eq(nhits, 0);
	fleetagg_stats(agg, &st);
	ck_assert_uint_eq(st.rejudged, 1);
	ck_assert_uint_eq(st.withheld_repeat, 1);
	/* A later window; then the first one's rows are past retain_us (0
	 * here): late. */
	tcp(a, 11, tgt, 80, 25 * SEC, 1, 0x02);
	flush_hosts(a, NULL);
	syns(a, 11, 4, 150, 1, tgt, 80);
	flush_hosts(a, NULL);
	judge_all();
	ck_assert_uint_eq(nhits, 0);
	fleetagg_stats(agg, &st);
	ck_assert_uint_eq(st.late, 4);
	ck_assert_uint_eq(st.hits, 1);
	fleetsum_free(a);
	fleetsum_free(b);
}
END_TEST

/* Host B's summaries come after host A's window was judged alone (they
 * were sent again after a correlator or a cluster node went): the window
 * is judged again with them, and the flood found. */
START_TEST(late_rows_judged_again)
{
	struct fleetagg_cfg c = agg_cfg();
	struct fleetsum *a, *b;
	uint8_t tgt[16];
	struct fleetagg_stats st;

	c.retain_us = 60 * SEC;
	agg = fleetagg_new(&c);
	addr4(tgt, 203, 0, 113, 9);
	a = host_new();
	b = host_new();
	syns(a, 11, 4, 150, 4, tgt, 80);
	flush_hosts(a, NULL);
	judge_all();
	ck_assert_uint_eq(nhits, 0);
	syns(b, 15, 4, 150, 4, tgt, 80);
	cur_host = "hostB";
	fleetsum_tick(b, 0, 1, inv);
	judge_all();
	ck_assert_uint_eq(nhits, 1);
	ck_assert_uint_eq(hits[0].nhosts, 2);
	fleetagg_stats(agg, &st);
	ck_assert_uint_eq(st.rejudged, 1);
	ck_assert_uint_eq(st.late, 0);
	fleetsum_free(a);
	fleetsum_free(b);
}
END_TEST

/* Half of them, on one host: 600/s, no flood. Another correlator given
 * the same rows names the same verdict_id. */
START_TEST(one_host_is_no_flood_and_ids_agree)
{
	struct fleetagg_cfg c = agg_cfg();
	struct fleetsum *a;
	uint8_t tgt[16];
	char id[33];

	agg = fleetagg_new(&c);
	addr4(tgt, 203, 0, 113, 9);
	a = host_new();
	syns(a, 11, 4, 150, 4, tgt, 80);
	flush_hosts(a, NULL);
	judge_all();
	ck_assert_uint_eq(nhits, 0);
	fleetagg_free(agg);

	c.syn_flood_pps = 500;	/* now it is one */
	agg = fleetagg_new(&c);
	syns(a, 11, 4, 150, 4, tgt, 80);
	fleetsum_tick(a, 0, 1, inv);
	judge_all();
	ck_assert_uint_eq(nhits, 1);
	memcpy(id, hits[0].verdict_id, sizeof(id));
	fleetagg_free(agg);
	agg = fleetagg_new(&c);
	syns(a, 11, 4, 150, 4, tgt, 80);
	fleetsum_tick(a, 0, 1, inv);
	judge_all();
	ck_assert_uint_eq(nhits, 1);
	ck_assert_str_eq(hits[0].verdict_id, id);
	fleetsum_free(a);
}
END_TEST

/* A host that reported the flood itself: the fleet withholds it. */
START_TEST(host_verdict_withholds)
{
	struct fleetagg_cfg c = agg_cfg();
	struct fleetsum *a;
	uint8_t tgt[16];
	struct fleetagg_stats st;
	static const char hv[] = "{\"timestamp\":\"2026-12-07T05:09:55.000000Z\","
	    "\"event_type\":\"verdict\",\"verdict_id\":\"0123456789abcdef0123456789abcdef\","
	    "\"vm\":\"vm-1\",\"tenant\":\"acme\",\"category\":\"dos\","
	    "\"evidence\":{\"decided_by\":\"behaviour\",\"target\":\"203.0.113.9\"}}";

	agg = fleetagg_new(&c);
	addr4(tgt, 203, 0, 113, 9);
	fleetagg_host_verdict(agg, hv, strlen(hv));
	a = host_new();
	syns(a, 11, 8, 150, 4, tgt, 80);
	flush_hosts(a, NULL);
	judge_all();
	ck_assert_uint_eq(nhits, 0);
	fleetagg_stats(agg, &st);
	ck_assert_uint_eq(st.host_verdicts, 1);
	ck_assert_uint_eq(st.withheld_host, 1);
	fleetsum_free(a);
}
END_TEST

/* Two tenants at 600/s each on one target: together a flood, neither
 * alone. */
START_TEST(many_tenants)
{
	struct fleetagg_cfg c = agg_cfg();
	struct fleetsum *a, *b;
	uint8_t tgt[16];

	agg = fleetagg_new(&c);
	addr4(tgt, 203, 0, 113, 7);
	a = host_new();
	b = host_new();
	syns(a, 11, 4, 150, 3, tgt, 443);	/* acme */
	syns(b, 31, 4, 150, 3, tgt, 443);	/* globex */
	flush_hosts(a, b);
	judge_all();
	ck_assert_uint_eq(nhits, 1);
	ck_assert_str_eq(hits[0].detector, "fleet_tenants_syn_flood");
	ck_assert_str_eq(hits[0].tenant, "");
	ck_assert_uint_eq(hits[0].ntenants, 2);
	ck_assert(strstr(hits[0].tenants, "acme") != NULL &&
	    strstr(hits[0].tenants, "globex") != NULL);
	fleetsum_free(a);
	fleetsum_free(b);
}
END_TEST

/* 4 VMs on 2 hosts try 6 ports of one target each, none answered: 24
 * ports together, 6 alone (scan_ports 15). */
START_TEST(fleet_port_scan)
{
	struct fleetagg_cfg c = agg_cfg();
	struct fleetsum *a, *b;
	uint8_t tgt[16];
	unsigned v, i;

	agg = fleetagg_new(&c);
	addr4(tgt, 203, 0, 113, 20);
	a = host_new();
	b = host_new();
	for (v = 0; v < 4; v++)
		for (i = 0; i < 6; i++)
			tcp(v < 2 ? a : b, 11 + v, tgt, (uint16_t)(1000 + v * 6 + i),
			    SEC + i * 1000, 1, 0x02);
	flush_hosts(a, b);
	judge_all();
	ck_assert_uint_eq(nhits, 1);
	ck_assert_str_eq(hits[0].detector, "fleet_port_scan");
	ck_assert_uint_ge(hits[0].distinct, 20);
	ck_assert_uint_eq(hits[0].nvms, 4);
	fleetsum_free(a);
	fleetsum_free(b);
}
END_TEST

/* 3 VMs probe 10 hosts each on port 22 that do not answer (half of them
 * reset): 30 hosts. Hosts that answer do not count. */
START_TEST(fleet_address_scan)
{
	struct fleetagg_cfg c = agg_cfg();
	struct fleetsum *a;
	uint8_t tgt[16];
	unsigned v, i;

	agg = fleetagg_new(&c);
	a = host_new();
	for (v = 0; v < 3; v++)
		for (i = 0; i < 12; i++) {
			addr4(tgt, 203, 0, 113, 100 + v * 12 + i);
			tcp(a, 11 + v, tgt, 22, SEC + i * 1000, 1, 0x02);
			if (i >= 10)	/* two of each VM's answer */
				tcp(a, 11 + v, tgt, 22, SEC + i * 1000 + 500, 0,
				    0x12);
			else if (i % 2 == 0)	/* a RST is no answer */
				tcp(a, 11 + v, tgt, 22, SEC + i * 1000 + 500, 0,
				    0x14);
		}
	flush_hosts(a, NULL);
	judge_all();
	ck_assert_uint_eq(nhits, 1);
	ck_assert_str_eq(hits[0].detector, "fleet_address_scan");
	ck_assert_int_eq(hits[0].has_target, 0);
	ck_assert_uint_eq(hits[0].port, 22);
	ck_assert_uint_ge(hits[0].distinct, 28);
	ck_assert_uint_le(hits[0].distinct, 32);
	fleetsum_free(a);
}
END_TEST

/* Login attempts from 3 VMs on 2 hosts, 12 each, to one SSH server. */
START_TEST(distributed_guessing)
{
	struct fleetagg_cfg c = agg_cfg();
	struct fleetsum *a, *b;
	uint8_t tgt[16], vm[16];
	unsigned v;

	agg = fleetagg_new(&c);
	addr4(tgt, 203, 0, 113, 22);
	a = host_new();
	b = host_new();
	for (v = 0; v < 3; v++) {
		addr4(vm, 198, 51, 100, 11 + v);
		fleetsum_logins(v == 0 ? a : b, T0 + 2 * SEC, vm, tgt, 6, 22, 12,
		    inv);
	}
	flush_hosts(a, b);
	judge_all();
	ck_assert_uint_eq(nhits, 1);
	ck_assert_str_eq(hits[0].detector, "fleet_password_guessing");
	ck_assert_uint_eq(hits[0].count, 36);
	ck_assert_uint_eq(hits[0].port, 22);
	ck_assert_uint_eq(hits[0].nhosts, 2);
	fleetsum_free(a);
	fleetsum_free(b);
}
END_TEST

/* Two shards: each row is judged by exactly one. */
START_TEST(shards_split_tenants)
{
	struct fleetagg_cfg c = agg_cfg();
	struct fleetagg *sh[2];
	struct fleetagg_stats s0, s1;
	struct fleetsum *a;
	uint8_t tgt[16];
	unsigned k;

	addr4(tgt, 203, 0, 113, 9);
	c.shards = 2;
	for (k = 0; k < 2; k++) {
		c.shard = k;
		sh[k] = fleetagg_new(&c);
		agg = sh[k];
		a = host_new();
		syns(a, 11, 2, 10, 1, tgt, 80);	/* acme */
		syns(a, 31, 2, 10, 1, tgt, 80);	/* globex */
		cur_host = "hostA";
		fleetsum_tick(a, 0, 1, inv);
		fleetsum_free(a);
	}
	fleetagg_stats(sh[0], &s0);
	fleetagg_stats(sh[1], &s1);
	ck_assert_uint_eq(s0.rows + s1.rows, 4);
	ck_assert_uint_eq(s0.other_shard + s1.other_shard, 4);
	fleetagg_free(sh[0]);
	agg = sh[1];
}
END_TEST

/* The table's bound: pairs past it are counted, and said in the message. */
START_TEST(summary_table_bound)
{
	struct fleetsum *f;
	struct fleetsum_stats st;
	struct behave_pkt p;
	uint8_t tgt[16], vm[16];
	char err[128];
	unsigned i;
	struct fleetagg_cfg c = agg_cfg();

	agg = fleetagg_new(&c);
	f = fleetsum_new(10 * SEC, SEC, 16, to_agg, NULL, err, sizeof(err));
	ck_assert_ptr_nonnull(f);
	addr4(vm, 198, 51, 100, 11);
	for (i = 0; i < 20; i++) {
		memset(&p, 0, sizeof(p));
		addr4(tgt, 203, 0, 113, i);
		p.ts_us = T0 + i;
		p.vm = vm;
		p.target = tgt;
		p.from_vm = 1;
		p.proto = 17;
		p.target_port = 53;
		fleetsum_packet(f, &p, 0, inv);
	}
	cur_host = "hostA";
	fleetsum_tick(f, T0 + 10 * SEC, 0, inv);	/* the interval is over */
	fleetsum_stats(f, &st);
	ck_assert_uint_eq(st.dropped, 4);
	ck_assert_uint_eq(st.rows, 16);
	ck_assert_uint_eq(st.messages, 1);
	ck_assert_uint_ge(st.table_bytes, 16 * 100);
	fleetsum_free(f);
}
END_TEST

START_TEST(not_a_summary)
{
	struct fleetagg_cfg c = agg_cfg();
	char err[128];
	uint64_t w;

	agg = fleetagg_new(&c);
	ck_assert_int_eq(fleetagg_summary(agg, "{}", 2, &w, err,
	    sizeof(err)), -1);
	ck_assert_int_eq(fleetagg_summary(agg, "nope", 4, &w, err,
	    sizeof(err)), -1);
	fleetagg_host_verdict(agg, "{\"category\":null}", 17);
}
END_TEST

/* Sketches merge by OR and read back from their text. */
START_TEST(sketch_text_and_merge)
{
	uint64_t a[SKETCH_WORDS] = { 0 }, b[SKETCH_WORDS] = { 0 },
	    c[SKETCH_WORDS];
	char text[SKETCH_TEXT];
	uint16_t i;
	unsigned k;

	for (i = 0; i < 100; i++)
		sketch_add(i < 60 ? a : b, sketch_hash(&i, sizeof(i)));
	sketch_to_text(a, text);
	ck_assert_uint_eq(strlen(text), SKETCH_TEXT - 1);
	ck_assert_int_eq(sketch_from_text(text, c), 0);
	ck_assert_int_eq(memcmp(a, c, sizeof(a)), 0);
	for (k = 0; k < SKETCH_WORDS; k++)
		c[k] |= b[k];
	ck_assert_uint_ge(sketch_estimate_bits(sketch_bits_set(c)), 90);
	ck_assert_uint_le(sketch_estimate_bits(sketch_bits_set(c)), 110);
	ck_assert_uint_eq(sketch_estimate_bits(3), 3);
	text[5] = 'x';
	ck_assert_int_eq(sketch_from_text(text, c), -1);
	ck_assert_int_eq(sketch_from_text("00", c), -1);
}
END_TEST

Suite *
fleet_suite(void)
{
	Suite *s = suite_create("fleet");
	TCase *tc = tcase_create("fleet");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, distributed_flood_once);
	tcase_add_test(tc, one_host_is_no_flood_and_ids_agree);
	tcase_add_test(tc, late_rows_judged_again);
	tcase_add_test(tc, host_verdict_withholds);
	tcase_add_test(tc, many_tenants);
	tcase_add_test(tc, fleet_port_scan);
	tcase_add_test(tc, fleet_address_scan);
	tcase_add_test(tc, distributed_guessing);
	tcase_add_test(tc, shards_split_tenants);
	tcase_add_test(tc, summary_table_bound);
	tcase_add_test(tc, not_a_summary);
	tcase_add_test(tc, sketch_text_and_merge);
	suite_add_tcase(s, tc);
	return s;
}
