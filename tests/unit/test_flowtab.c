/*
 * test_flowtab.c: the flow table with a fixed hash key, driven by packets
 * built as struct pkt directly. An on_end callback records every flow that
 * ends, with the reason, so each test can say which flow went and why.
 */
#include <arpa/inet.h>
#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "decode.h"
#include "flowtab.h"
#include "pktclock.h"
#include "suites.h"
#include "util.h"

#define SEC 1000000ULL

#define TH_FIN	0x01
#define TH_SYN	0x02
#define TH_RST	0x04
#define TH_ACK	0x10

#define MAX_ENDED 64

struct ended {
	uint64_t id;
	enum flow_end why;
	uint16_t sport, dport;	/* opener's and responder's */
	uint8_t src[16];
	uint64_t pkts[2];
	uint64_t first_us;
};

struct recorder {
	unsigned n;		/* every end, also past MAX_ENDED */
	unsigned by_reason[FLOW_END_N];
	struct ended e[MAX_ENDED];
};

static void
record_end(struct flow *f, enum flow_end why, void *arg)
{
	struct recorder *r = arg;

	ck_assert_int_lt(why, FLOW_END_N);
	r->by_reason[why]++;
	if (r->n < MAX_ENDED) {
		struct ended *e = &r->e[r->n];

		e->id = flow_id(f);
		e->why = why;
		e->sport = flow_src_port(f);
		e->dport = flow_dst_port(f);
		memcpy(e->src, flow_src_addr(f), 16);
		e->pkts[0] = f->pkts[0];
		e->pkts[1] = f->pkts[1];
		e->first_us = f->first_us;
	}
	r->n++;
}

static struct flowtab *
table(long max_flows, struct recorder *r)
{
	struct flowtab_cfg cfg;
	struct flowtab *ft;
	char err[128];

	memset(&cfg, 0, sizeof(cfg));
	cfg.max_flows = max_flows;
	cfg.timeout_us[FLOW_TC_TCP] = 600 * SEC;
	cfg.timeout_us[FLOW_TC_TCP_CLOSED] = 5 * SEC;
	cfg.timeout_us[FLOW_TC_UDP] = 180 * SEC;
	cfg.timeout_us[FLOW_TC_OTHER] = 60 * SEC;
	cfg.on_end = r != NULL ? record_end : NULL;
	cfg.arg = r;
	cfg.fixed_seed = 1;
	if (r != NULL)
		memset(r, 0, sizeof(*r));
	ft = flowtab_new(&cfg, err, sizeof(err));
	ck_assert_msg(ft != NULL, "flowtab_new: %s", err);
	return ft;
}

static void
map4(const char *a, uint8_t out[16])
{
	memset(out, 0, 16);
	out[10] = out[11] = 0xff;
	ck_assert_int_eq(inet_pton(AF_INET, a, out + 12), 1);
}

static struct pkt
pkt(const char *src, unsigned sport, const char *dst, unsigned dport,
    unsigned proto, unsigned flags, uint64_t ts_us)
{
	struct pkt p;

	memset(&p, 0, sizeof(p));
	map4(src, p.src);
	map4(dst, p.dst);
	p.sport = (uint16_t)sport;
	p.dport = (uint16_t)dport;
	p.proto = (uint8_t)proto;
	p.tcp_flags = (uint8_t)flags;
	p.ts_us = ts_us;
	p.wire_len = 100;
	p.ipver = 4;
	return p;
}

/* Feeds one packet and returns its flow, asserting the direction. */
static struct flow *
feed(struct flowtab *ft, struct pkt p, int want_dir)
{
	struct flow *f;
	int dir = -1;

	f = flowtab_packet(ft, &p, &dir);
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(dir, want_dir);
	return f;
}

static void
assert_stats_consistent(const struct flowtab *ft, long max_flows)
{
	struct flowtab_stats st;
	uint64_t ended = 0;
	int i;

	flowtab_stats(ft, &st);
	for (i = 0; i < FLOW_END_N; i++)
		ended += st.ended[i];
	ck_assert_uint_eq(st.created, ended + st.active);
	ck_assert_uint_le(st.active, (uint64_t)max_flows);
}

START_TEST(new_rejects_zero)
{
	struct flowtab_cfg cfg;
	char err[128] = "";

	memset(&cfg, 0, sizeof(cfg));
	ck_assert_ptr_null(flowtab_new(&cfg, err, sizeof(err)));
	ck_assert_str_ne(err, "");
	flowtab_free(NULL);
}
END_TEST

START_TEST(both_directions_one_flow)
{
	struct recorder r;
	struct flowtab *ft = table(16, &r);
	struct flowtab_stats st;
	struct flow *f, *g;
	uint8_t a[16];

	/* The opener has the greater address: key.b, not key.a. */
	f = feed(ft, pkt("192.168.1.10", 40000, "10.0.0.1", 443, 6, TH_SYN, 1), 0);
	g = feed(ft, pkt("10.0.0.1", 443, "192.168.1.10", 40000, 6,
	    TH_SYN | TH_ACK, 2), 1);
	ck_assert_ptr_eq(f, g);
	g = feed(ft, pkt("192.168.1.10", 40000, "10.0.0.1", 443, 6, TH_ACK, 3), 0);
	ck_assert_ptr_eq(f, g);
	g = feed(ft, pkt("10.0.0.1", 443, "192.168.1.10", 40000, 6, TH_ACK, 4), 1);
	ck_assert_ptr_eq(f, g);
	g = feed(ft, pkt("10.0.0.1", 443, "192.168.1.10", 40000, 6, TH_ACK, 5), 1);
	ck_assert_uint_eq(f->pkts[0], 2);
	ck_assert_uint_eq(f->pkts[1], 3);
	ck_assert_uint_eq(f->bytes[0], 200);
	ck_assert_uint_eq(f->bytes[1], 300);
	ck_assert_uint_eq(f->first_us, 1);
	ck_assert_uint_eq(f->last_us, 5);
	map4("192.168.1.10", a);
	ck_assert_mem_eq(flow_src_addr(f), a, 16);
	map4("10.0.0.1", a);
	ck_assert_mem_eq(flow_dst_addr(f), a, 16);
	ck_assert_uint_eq(flow_src_port(f), 40000);
	ck_assert_uint_eq(flow_dst_port(f), 443);
	flowtab_stats(ft, &st);
	ck_assert_uint_eq(st.created, 1);
	ck_assert_uint_eq(st.active, 1);
	ck_assert_uint_eq(r.n, 0);

	/* The opener with the lower address: key.a. */
	f = feed(ft, pkt("10.0.0.5", 5353, "10.0.0.9", 53, 17, 0, 6), 0);
	g = feed(ft, pkt("10.0.0.9", 53, "10.0.0.5", 5353, 17, 0, 7), 1);
	ck_assert_ptr_eq(f, g);
	map4("10.0.0.5", a);
	ck_assert_mem_eq(flow_src_addr(f), a, 16);
	ck_assert_uint_eq(flow_src_port(f), 5353);

	/* Same address both ends: the ports order the key. */
	f = feed(ft, pkt("127.0.0.1", 9000, "127.0.0.1", 80, 6, TH_SYN, 8), 0);
	g = feed(ft, pkt("127.0.0.1", 80, "127.0.0.1", 9000, 6, TH_SYN | TH_ACK,
	    9), 1);
	ck_assert_ptr_eq(f, g);
	ck_assert_uint_eq(flow_src_port(f), 9000);
	flowtab_stats(ft, &st);
	ck_assert_uint_eq(st.created, 3);
	flowtab_free(ft);
}
END_TEST

START_TEST(syn_ack_first)
{
	struct flowtab *ft = table(16, NULL);
	struct flow *f, *g;
	uint8_t a[16];

	/* The SYN was missed: the SYN-ACK's receiver opened the flow. */
	f = feed(ft, pkt("93.184.216.34", 443, "10.0.0.7", 51000, 6,
	    TH_SYN | TH_ACK, 1), 1);
	map4("10.0.0.7", a);
	ck_assert_mem_eq(flow_src_addr(f), a, 16);
	ck_assert_uint_eq(flow_src_port(f), 51000);
	ck_assert_uint_eq(flow_dst_port(f), 443);
	ck_assert_uint_eq(f->pkts[1], 1);
	g = feed(ft, pkt("10.0.0.7", 51000, "93.184.216.34", 443, 6, TH_ACK, 2), 0);
	ck_assert_ptr_eq(f, g);
	ck_assert_uint_eq(f->pkts[0], 1);

	/* A plain ACK first keeps its sender as the opener. */
	f = feed(ft, pkt("93.184.216.34", 443, "10.0.0.8", 51000, 6, TH_ACK, 3), 0);
	map4("93.184.216.34", a);
	ck_assert_mem_eq(flow_src_addr(f), a, 16);
	flowtab_free(ft);
}
END_TEST

START_TEST(vlans_are_separate)
{
	struct flowtab *ft = table(16, NULL);
	struct flowtab_stats st;
	struct pkt p;
	struct flow *f, *g, *h;

	p = pkt("10.0.0.1", 1000, "10.0.0.2", 2000, 17, 0, 1);
	p.vlan = 10;
	f = feed(ft, p, 0);
	p.vlan = 20;
	g = feed(ft, p, 0);
	p.vlan = 0;
	h = feed(ft, p, 0);
	ck_assert_ptr_ne(f, g);
	ck_assert_ptr_ne(f, h);
	ck_assert_ptr_ne(g, h);
	ck_assert_uint_ne(flow_id(f), flow_id(g));
	p = pkt("10.0.0.2", 2000, "10.0.0.1", 1000, 17, 0, 2);
	p.vlan = 20;
	ck_assert_ptr_eq(feed(ft, p, 1), g);
	/* Protocol is part of the key too. */
	p.proto = 6;
	ck_assert_ptr_ne(feed(ft, p, 0), g);
	flowtab_stats(ft, &st);
	ck_assert_uint_eq(st.created, 4);
	ck_assert_uint_eq(st.active, 4);
	flowtab_free(ft);
}
END_TEST

START_TEST(eviction_lru)
{
	struct recorder r;
	struct flowtab *ft = table(3, &r);
	struct flowtab_stats st;
	struct flow *f1;

	f1 = feed(ft, pkt("10.0.0.1", 1001, "10.9.9.9", 80, 6, TH_SYN, 1 * SEC), 0);
	feed(ft, pkt("10.0.0.2", 1002, "10.9.9.9", 80, 6, TH_SYN, 2 * SEC), 0);
	feed(ft, pkt("10.0.0.3", 1003, "10.9.9.9", 53, 17, 0, 3 * SEC), 0);
	/* Touch the oldest, by its reply: the second is now least recent. */
	ck_assert_ptr_eq(feed(ft, pkt("10.9.9.9", 80, "10.0.0.1", 1001, 6,
	    TH_SYN | TH_ACK, 4 * SEC), 1), f1);
	feed(ft, pkt("10.0.0.4", 1004, "10.9.9.9", 80, 6, TH_SYN, 5 * SEC), 0);
	ck_assert_uint_eq(r.n, 1);
	ck_assert_int_eq(r.e[0].why, FLOW_END_EVICTED);
	ck_assert_uint_eq(r.e[0].sport, 1002);
	ck_assert_uint_eq(r.e[0].pkts[0], 1);
	flowtab_stats(ft, &st);
	ck_assert_uint_eq(st.created, 4);
	ck_assert_uint_eq(st.active, 3);
	ck_assert_uint_eq(st.ended[FLOW_END_EVICTED], 1);

	/* The touched flow is still there, whole. */
	ck_assert_ptr_eq(feed(ft, pkt("10.0.0.1", 1001, "10.9.9.9", 80, 6, TH_ACK,
	    6 * SEC), 0), f1);
	ck_assert_uint_eq(f1->pkts[0], 2);
	ck_assert_uint_eq(f1->pkts[1], 1);
	/* Across timeout classes too: the UDP flow (3 s) goes next. */
	feed(ft, pkt("10.0.0.5", 1005, "10.9.9.9", 80, 6, TH_SYN, 7 * SEC), 0);
	ck_assert_uint_eq(r.n, 2);
	ck_assert_uint_eq(r.e[1].sport, 1003);
	ck_assert_int_eq(r.e[1].why, FLOW_END_EVICTED);
	flowtab_stats(ft, &st);
	ck_assert_uint_eq(st.created, 5);
	ck_assert_uint_eq(st.ended[FLOW_END_EVICTED], 2);
	ck_assert_uint_eq(st.active, 3);
	assert_stats_consistent(ft, 3);
	flowtab_free(ft);
}
END_TEST

START_TEST(idle_timeout_by_packet_time)
{
	struct recorder r;
	struct flowtab *ft = table(16, &r);
	struct flowtab_stats st;

	feed(ft, pkt("10.0.0.1", 5000, "8.8.8.8", 53, 17, 0, 0), 0);
	feed(ft, pkt("10.0.0.1", 40000, "1.1.1.1", 443, 6, TH_SYN, 0), 0);
	/* Exactly at the timeout the UDP flow is still alive... */
	feed(ft, pkt("10.0.0.2", 1, "10.0.0.3", 2, 6, TH_SYN, 180 * SEC), 0);
	ck_assert_uint_eq(r.n, 0);
	/* ...and past it, the next packet of any flow ends it. */
	feed(ft, pkt("10.0.0.2", 1, "10.0.0.3", 2, 6, TH_ACK, 180 * SEC + 1), 0);
	ck_assert_uint_eq(r.n, 1);
	ck_assert_int_eq(r.e[0].why, FLOW_END_TIMEOUT);
	ck_assert_uint_eq(r.e[0].dport, 53);
	flowtab_stats(ft, &st);
	ck_assert_uint_eq(st.active, 2);
	ck_assert_uint_eq(st.ended[FLOW_END_TIMEOUT], 1);

	/* The TCP flow from 0 lasts its own 600 s. */
	flowtab_expire(ft, 600 * SEC);
	ck_assert_uint_eq(r.n, 1);
	flowtab_expire(ft, 600 * SEC + 1);
	ck_assert_uint_eq(r.n, 2);
	ck_assert_uint_eq(r.e[1].dport, 443);
	ck_assert_int_eq(r.e[1].why, FLOW_END_TIMEOUT);
	/* Time does not run backwards: an older packet expires nothing new
	 * and the newer flow is left alone. */
	flowtab_expire(ft, 1);
	ck_assert_uint_eq(r.n, 2);
	flowtab_stats(ft, &st);
	ck_assert_uint_eq(st.active, 1);

	/* A UDP flow kept busy never times out. */
	{
		uint64_t t;

		for (t = 700 * SEC; t < 1500 * SEC; t += 100 * SEC)
			feed(ft, pkt("10.0.0.9", 7, "10.0.0.8", 7, 17, 0, t), 0);
	}
	ck_assert_uint_eq(r.by_reason[FLOW_END_TIMEOUT], 3);	/* the 10.0.0.2 one */
	assert_stats_consistent(ft, 16);
	flowtab_free(ft);
}
END_TEST

/* A packet older than the newest seen puts a flow ahead of one that
 * times out later: once that one leaves the tail, the older flow times
 * out at its own time, not the other's. */
START_TEST(timeout_after_older_packet)
{
	struct recorder r;
	struct flowtab *ft = table(16, &r);

	feed(ft, pkt("10.0.0.1", 1000, "8.8.8.8", 53, 17, 0, 100 * SEC), 0);
	feed(ft, pkt("10.0.0.1", 2000, "9.9.9.9", 53, 17, 0, 50 * SEC), 0);
	/* The first flow goes to the head; the older one is the tail now. */
	feed(ft, pkt("10.0.0.1", 1000, "8.8.8.8", 53, 17, 0, 200 * SEC), 0);
	feed(ft, pkt("10.0.0.2", 1, "10.0.0.3", 2, 6, TH_SYN, 230 * SEC), 0);
	ck_assert_uint_eq(r.n, 0);
	feed(ft, pkt("10.0.0.2", 1, "10.0.0.3", 2, 6, TH_ACK, 230 * SEC + 1), 0);
	ck_assert_uint_eq(r.n, 1);
	ck_assert_int_eq(r.e[0].why, FLOW_END_TIMEOUT);
	ck_assert_uint_eq(r.e[0].sport, 2000);
	/* The other lasts to 200 + 180 s. */
	flowtab_expire(ft, 380 * SEC);
	ck_assert_uint_eq(r.n, 1);
	flowtab_expire(ft, 380 * SEC + 1);
	ck_assert_uint_eq(r.n, 2);
	ck_assert_uint_eq(r.e[1].sport, 1000);
	assert_stats_consistent(ft, 16);
	flowtab_free(ft);
}
END_TEST

START_TEST(fin_both_ways)
{
	struct recorder r;
	struct flowtab *ft = table(16, &r);
	struct flow *f;

	f = feed(ft, pkt("10.0.0.1", 40000, "10.0.0.2", 80, 6, TH_SYN, 1 * SEC), 0);
	feed(ft, pkt("10.0.0.2", 80, "10.0.0.1", 40000, 6, TH_SYN | TH_ACK,
	    1 * SEC + 10), 1);
	feed(ft, pkt("10.0.0.1", 40000, "10.0.0.2", 80, 6, TH_FIN | TH_ACK,
	    2 * SEC), 0);
	/* One FIN is a half close: the flow stays open past the grace. */
	feed(ft, pkt("10.0.0.3", 1, "10.0.0.4", 2, 17, 0, 20 * SEC), 0);
	ck_assert_uint_eq(r.n, 0);
	ck_assert_uint_eq(f->tclass, FLOW_TC_TCP);
	feed(ft, pkt("10.0.0.2", 80, "10.0.0.1", 40000, 6, TH_FIN | TH_ACK,
	    21 * SEC), 1);
	ck_assert_uint_eq(f->tclass, FLOW_TC_TCP_CLOSED);
	/* The last ACK still belongs to it. */
	ck_assert_ptr_eq(feed(ft, pkt("10.0.0.1", 40000, "10.0.0.2", 80, 6,
	    TH_ACK, 21 * SEC + 100), 0), f);
	feed(ft, pkt("10.0.0.3", 1, "10.0.0.4", 2, 17, 0, 26 * SEC), 0);
	ck_assert_uint_eq(r.n, 0);
	feed(ft, pkt("10.0.0.3", 1, "10.0.0.4", 2, 17, 0, 26 * SEC + 101), 0);
	ck_assert_uint_eq(r.n, 1);
	ck_assert_int_eq(r.e[0].why, FLOW_END_FIN);
	ck_assert_uint_eq(r.e[0].pkts[0], 3);
	ck_assert_uint_eq(r.e[0].pkts[1], 2);
	flowtab_free(ft);
}
END_TEST

START_TEST(rst)
{
	struct recorder r;
	struct flowtab *ft = table(16, &r);
	struct flowtab_stats st;

	feed(ft, pkt("10.0.0.1", 40000, "10.0.0.2", 25, 6, TH_SYN, 1 * SEC), 0);
	feed(ft, pkt("10.0.0.2", 25, "10.0.0.1", 40000, 6, TH_RST | TH_ACK,
	    1 * SEC + 5), 1);
	flowtab_expire(ft, 6 * SEC + 5);
	ck_assert_uint_eq(r.n, 0);
	flowtab_expire(ft, 6 * SEC + 6);
	ck_assert_uint_eq(r.n, 1);
	ck_assert_int_eq(r.e[0].why, FLOW_END_RST);
	flowtab_stats(ft, &st);
	ck_assert_uint_eq(st.ended[FLOW_END_RST], 1);
	ck_assert_uint_eq(st.active, 0);
	flowtab_free(ft);
}
END_TEST

START_TEST(syn_on_closed_flow)
{
	struct recorder r;
	struct flowtab *ft = table(16, &r);
	struct flowtab_stats st;
	struct flow *f;
	uint64_t old_id;

	f = feed(ft, pkt("10.0.0.1", 40000, "10.0.0.2", 80, 6, TH_SYN, 1 * SEC), 0);
	old_id = flow_id(f);
	feed(ft, pkt("10.0.0.2", 80, "10.0.0.1", 40000, 6, TH_SYN | TH_ACK,
	    1 * SEC + 1), 1);
	feed(ft, pkt("10.0.0.1", 40000, "10.0.0.2", 80, 6, TH_FIN | TH_ACK,
	    1 * SEC + 2), 0);
	feed(ft, pkt("10.0.0.2", 80, "10.0.0.1", 40000, 6, TH_FIN | TH_ACK,
	    1 * SEC + 3), 1);
	/* Port reuse within the grace: the next connection. */
	f = feed(ft, pkt("10.0.0.1", 40000, "10.0.0.2", 80, 6, TH_SYN,
	    2 * SEC), 0);
	ck_assert_uint_eq(r.n, 1);
	ck_assert_int_eq(r.e[0].why, FLOW_END_FIN);
	ck_assert_uint_eq(r.e[0].id, old_id);
	ck_assert_uint_eq(r.e[0].pkts[0], 2);
	ck_assert_uint_ne(flow_id(f), old_id);
	ck_assert_uint_eq(f->pkts[0], 1);
	ck_assert_uint_eq(f->pkts[1], 0);
	ck_assert_uint_eq(f->first_us, 2 * SEC);
	ck_assert_uint_eq(f->tclass, FLOW_TC_TCP);
	flowtab_stats(ft, &st);
	ck_assert_uint_eq(st.created, 2);
	ck_assert_uint_eq(st.active, 1);
	flowtab_free(ft);
}
END_TEST

START_TEST(flush_ends_everything)
{
	struct recorder r;
	struct flowtab *ft = table(16, &r);
	struct flowtab_stats st;
	unsigned i;

	feed(ft, pkt("10.0.0.1", 40000, "10.0.0.2", 80, 6, TH_SYN, 1), 0);
	feed(ft, pkt("10.0.0.1", 5000, "10.0.0.2", 53, 17, 0, 2), 0);
	feed(ft, pkt("10.0.0.1", 0, "10.0.0.2", 0, 1, 0, 3), 0);
	feed(ft, pkt("10.0.0.1", 0, "10.0.0.2", 0, 47, 0, 4), 0);
	flowtab_flush(ft);
	ck_assert_uint_eq(r.n, 4);
	for (i = 0; i < r.n; i++)
		ck_assert_int_eq(r.e[i].why, FLOW_END_INPUT);
	flowtab_stats(ft, &st);
	ck_assert_uint_eq(st.active, 0);
	ck_assert_uint_eq(st.ended[FLOW_END_INPUT], 4);
	/* Nothing is left to end twice, and the table works on. */
	flowtab_flush(ft);
	ck_assert_uint_eq(r.n, 4);
	feed(ft, pkt("10.0.0.1", 40000, "10.0.0.2", 80, 6, TH_SYN, 5), 0);
	flowtab_stats(ft, &st);
	ck_assert_uint_eq(st.created, 5);
	ck_assert_uint_eq(st.active, 1);
	flowtab_free(ft);
}
END_TEST

START_TEST(flow_id_stable)
{
	struct flowtab *t1 = table(16, NULL), *t2 = table(1024, NULL);
	struct flow *a, *b, *c;

	a = feed(t1, pkt("10.0.0.1", 40000, "10.0.0.2", 80, 6, TH_SYN, 12345), 0);
	/* The same flow seen first from the other side, in another table. */
	b = feed(t2, pkt("10.0.0.2", 80, "10.0.0.1", 40000, 6, TH_ACK, 12345), 0);
	ck_assert_uint_eq(flow_id(a), flow_id(b));
	ck_assert_uint_ne(flow_id(a), 0);
	ck_assert_uint_lt(flow_id(a), 1ULL << 53);
	c = feed(t2, pkt("10.0.0.1", 40000, "10.0.0.2", 80, 17, 0, 12345), 0);
	ck_assert_uint_ne(flow_id(a), flow_id(c));
	flowtab_flush(t2);
	b = feed(t2, pkt("10.0.0.1", 40000, "10.0.0.2", 80, 6, TH_SYN, 12346), 0);
	ck_assert_uint_ne(flow_id(a), flow_id(b));
	flowtab_free(t1);
	flowtab_free(t2);
}
END_TEST

START_TEST(random_flows_bounded)
{
	struct recorder r;
	struct flowtab *ft = table(1000, &r);
	struct flowtab_stats st;
	uint64_t t = 0, ended = 0;
	int i, k;

	srand(4242);
	for (i = 0; i < 100000; i++) {
		struct pkt p;
		struct flow *f;
		int dir;

		memset(&p, 0, sizeof(p));
		p.src[10] = p.src[11] = p.dst[10] = p.dst[11] = 0xff;
		p.src[12] = 10;
		p.src[15] = (uint8_t)(rand() % 64);
		p.dst[12] = 192;
		p.dst[15] = (uint8_t)(rand() % 64);
		p.sport = (uint16_t)(rand() % 4096);
		p.dport = (uint16_t)(rand() % 4 == 0 ? 443 : rand() % 1024);
		switch (rand() % 4) {
		case 0:
			p.proto = 17;
			break;
		case 1:
			p.proto = 1;
			break;
		default:
			p.proto = 6;
			p.tcp_flags = (uint8_t)(rand() % 8 == 0 ?
			    rand() & (TH_FIN | TH_RST | TH_SYN | TH_ACK) : TH_ACK);
			break;
		}
		if (rand() % 2 == 0) {
			uint8_t tmp[16];
			uint16_t port = p.sport;

			memcpy(tmp, p.src, 16);
			memcpy(p.src, p.dst, 16);
			memcpy(p.dst, tmp, 16);
			p.sport = p.dport;
			p.dport = port;
		}
		p.vlan = (uint16_t)(rand() % 3);
		t += (uint64_t)(rand() % 20000);
		p.ts_us = t;
		p.wire_len = 60;
		f = flowtab_packet(ft, &p, &dir);
		ck_assert_ptr_nonnull(f);
		ck_assert(dir == 0 || dir == 1);
		if (i % 1000 == 0)
			assert_stats_consistent(ft, 1000);
	}
	flowtab_stats(ft, &st);
	ck_assert_uint_le(st.active, 1000);
	ck_assert_uint_gt(st.created, 1000);
	ck_assert_uint_gt(st.ended[FLOW_END_EVICTED], 0);
	for (k = 0; k < FLOW_END_N; k++) {
		ended += st.ended[k];
		ck_assert_uint_eq(st.ended[k], r.by_reason[k]);
	}
	ck_assert_uint_eq(st.created, ended + st.active);
	ck_assert_uint_eq(r.n, ended);
	flowtab_flush(ft);
	flowtab_stats(ft, &st);
	ck_assert_uint_eq(st.active, 0);
	ck_assert_uint_eq(st.created, r.n);
	flowtab_free(ft);
}
END_TEST

START_TEST(end_names)
{
	ck_assert_str_eq(flow_end_name(FLOW_END_FIN), "fin");
	ck_assert_str_eq(flow_end_name(FLOW_END_RST), "rst");
	ck_assert_str_eq(flow_end_name(FLOW_END_TIMEOUT), "timeout");
	ck_assert_str_eq(flow_end_name(FLOW_END_EVICTED), "evicted");
	ck_assert_str_eq(flow_end_name(FLOW_END_INPUT), "end_of_input");
	ck_assert_str_eq(flow_end_name(FLOW_END_N), "?");
}
END_TEST

/*
 * The clock that never goes back (pktclock.h), which the classifier reads
 * every time through before the table sees it.
 */

/* Feeds one packet with its time read on the clock. */
static struct flow *
feed_clocked(struct flowtab *ft, struct pktclock *ck, struct pkt p,
    int want_dir)
{
	p.ts_us = pktclock_read(ck, p.ts_us);
	return feed(ft, p, want_dir);
}

/* The second of two recordings merged with `mergecap -a` starts 610 s
 * before the first ended: its packets continue from the clock, its flows
 * live their own timeouts, and the first recording's flows end at theirs. */
START_TEST(clock_step_back)
{
	struct pktclock ck;
	struct recorder r;
	struct flowtab *ft = table(16, &r);
	struct flowtab_stats st;
	struct flow *f, *g;
	uint64_t t;

	memset(&ck, 0, sizeof(ck));
	feed_clocked(ft, &ck, pkt("10.0.0.1", 1000, "10.0.0.9", 22, 6, TH_SYN,
	    1000 * SEC), 0);
	feed_clocked(ft, &ck, pkt("10.0.0.9", 22, "10.0.0.1", 1000, 6, TH_ACK,
	    1010 * SEC), 1);
	ck_assert_uint_eq(ck.steps_back, 0);

	/* The step: 400 s reads as 1 us after the clock. */
	f = feed_clocked(ft, &ck, pkt("10.0.0.2", 2000, "10.0.0.9", 80, 6,
	    TH_SYN, 400 * SEC), 0);
	ck_assert_uint_eq(ck.steps_back, 1);
	ck_assert_uint_eq(f->first_us, 1010 * SEC + 1);
	/* Intervals after it are kept: 5 s later is 5 s later. */
	g = feed_clocked(ft, &ck, pkt("10.0.0.9", 80, "10.0.0.2", 2000, 6,
	    TH_SYN | TH_ACK, 405 * SEC), 1);
	ck_assert_ptr_eq(f, g);
	ck_assert_uint_eq(g->last_us, 1015 * SEC + 1);
	ck_assert_uint_eq(g->last_us - g->first_us, 5 * SEC);
	/* Before the fix the flow started at 400 s, 610 s behind the table's
	 * time, and timed out at its next packet: nothing ended here. */
	ck_assert_uint_eq(r.n, 0);
	flowtab_stats(ft, &st);
	ck_assert_uint_eq(st.created, 2);

	/* Events get capture time back, on both sides of the step. */
	ck_assert_uint_eq(pktclock_capture_time(&ck, 1010 * SEC), 1010 * SEC);
	ck_assert_uint_eq(pktclock_capture_time(&ck, f->first_us), 400 * SEC);
	ck_assert_uint_eq(pktclock_capture_time(&ck, g->last_us), 405 * SEC);

	/* The first recording's flow, idle since 1010 s of the clock, times
	 * out 600 s later, while the second's keeps going. */
	for (t = 410 * SEC; t <= 1000 * SEC; t += 10 * SEC)
		feed_clocked(ft, &ck, pkt("10.0.0.2", 2000, "10.0.0.9", 80, 6,
		    TH_ACK, t), 0);
	ck_assert_uint_eq(r.n, 1);
	ck_assert_uint_eq(r.e[0].sport, 1000);
	ck_assert_int_eq(r.e[0].why, FLOW_END_TIMEOUT);
	ck_assert_uint_eq(f->pkts[0], 61);
	assert_stats_consistent(ft, 16);
	flowtab_free(ft);
}
END_TEST

/* Reordering within PKTCLOCK_TOLERANCE_US is no step: no time passed. */
START_TEST(clock_small_reorder)
{
	struct pktclock ck;
	struct recorder r;
	struct flowtab *ft = table(16, &r);
	struct flow *f;

	memset(&ck, 0, sizeof(ck));
	ck_assert_uint_eq(pktclock_read(&ck, 100 * SEC), 100 * SEC);
	ck_assert_uint_eq(pktclock_read(&ck, 100 * SEC - 300000), 100 * SEC);
	ck_assert_uint_eq(pktclock_read(&ck, 100 * SEC - PKTCLOCK_TOLERANCE_US),
	    100 * SEC);
	ck_assert_uint_eq(ck.steps_back, 0);
	ck_assert_uint_eq(pktclock_read(&ck, 100 * SEC + 10000),
	    100 * SEC + 10000);
	ck_assert_uint_eq(pktclock_capture_time(&ck, 100 * SEC + 10000),
	    100 * SEC + 10000);
	/* One microsecond more is a step. */
	ck_assert_uint_eq(pktclock_read(&ck, 99 * SEC + 10000 - 1),
	    100 * SEC + 10001);
	ck_assert_uint_eq(ck.steps_back, 1);

	/* A flow whose first packet came a little late starts at the clock. */
	memset(&ck, 0, sizeof(ck));
	feed_clocked(ft, &ck, pkt("10.0.0.1", 1, "10.0.0.9", 53, 17, 0,
	    50 * SEC), 0);
	f = feed_clocked(ft, &ck, pkt("10.0.0.1", 2, "10.0.0.9", 53, 17, 0,
	    50 * SEC - 2000), 0);
	ck_assert_uint_eq(f->first_us, 50 * SEC);
	ck_assert_uint_eq(r.n, 0);
	flowtab_free(ft);
}
END_TEST

/* A live worker expires flows with the wall clock, through the same clock
 * as the packets: the host's clock stepped back an hour ends no flow, a
 * packet captured before the step and read after it is no jump forward,
 * and the flow times out 600 s after its last packet, as ever. */
START_TEST(clock_live_wall_steps_back)
{
	const uint64_t t0 = 1780000000ULL * SEC;	/* the wall clock */
	struct pktclock ck;
	struct recorder r;
	struct flowtab *ft = table(16, &r);
	struct flowtab_stats st;
	struct flow *f;
	uint64_t t;

	memset(&ck, 0, sizeof(ck));
	f = feed_clocked(ft, &ck, pkt("10.0.0.1", 1000, "10.0.0.9", 443, 6,
	    TH_SYN, t0), 0);
	feed_clocked(ft, &ck, pkt("10.0.0.1", 1000, "10.0.0.9", 443, 6,
	    TH_ACK, t0 + 10 * SEC), 0);
	flowtab_expire(ft, pktclock_read_wall(&ck, t0 + 11 * SEC));

	/* The step, seen first by the worker's expiry. */
	flowtab_expire(ft, pktclock_read_wall(&ck, t0 - 3600 * SEC));
	ck_assert_uint_eq(ck.steps_back, 1);
	ck_assert_uint_eq(r.n, 0);
	/* Another interface's batch, captured just before the step. */
	ck_assert_uint_eq(pktclock_read(&ck, t0 + 11 * SEC + 200000), ck.now);
	flowtab_expire(ft, pktclock_read_wall(&ck, t0 - 3599 * SEC));
	ck_assert_uint_eq(r.n, 0);

	/* The flow goes on after the step: the same flow. */
	feed_clocked(ft, &ck, pkt("10.0.0.9", 443, "10.0.0.1", 1000, 6, TH_ACK,
	    t0 - 3598 * SEC), 1);
	flowtab_stats(ft, &st);
	ck_assert_uint_eq(st.created, 1);
	ck_assert_uint_eq(f->pkts[1], 1);
	ck_assert_uint_eq(pktclock_capture_time(&ck, f->last_us),
	    t0 - 3598 * SEC);

	/* Idle, it lasts its 600 s by the wall clock after the step. */
	for (t = t0 - 3590 * SEC; t <= t0 - 2998 * SEC; t += SEC)
		flowtab_expire(ft, pktclock_read_wall(&ck, t));
	ck_assert_uint_eq(r.n, 0);
	flowtab_expire(ft, pktclock_read_wall(&ck, t0 - 2997 * SEC));
	ck_assert_uint_eq(r.n, 1);
	ck_assert_int_eq(r.e[0].why, FLOW_END_TIMEOUT);
	ck_assert_uint_eq(ck.steps_back, 1);
	flowtab_free(ft);
}
END_TEST

/* A worker behind its capture buffer reads packets seconds older than the
 * wall clock it last read: that is no step, and the clock does not run
 * ahead of the wall clock by the lag at every read. */
START_TEST(clock_live_backlog)
{
	const uint64_t t0 = 1780000000ULL * SEC;
	struct pktclock ck;
	uint64_t i;

	memset(&ck, 0, sizeof(ck));
	for (i = 0; i < 20; i++) {
		/* Packets captured 3 s before the wall clock's read. */
		ck_assert_uint_eq(pktclock_read_wall(&ck, t0 + i * SEC),
		    t0 + i * SEC);
		ck_assert_uint_eq(pktclock_read(&ck, t0 + i * SEC - 3 * SEC),
		    t0 + i * SEC);
		ck_assert_uint_eq(pktclock_read(&ck, t0 + i * SEC - 2 * SEC),
		    t0 + i * SEC);
	}
	ck_assert_uint_eq(ck.steps_back, 0);
	ck_assert_uint_eq(ck.offset, 0);
	/* Packets a step older than the packets before them are one. */
	ck_assert_uint_eq(pktclock_read(&ck, t0), t0 + 19 * SEC + 1);
	ck_assert_uint_eq(ck.steps_back, 1);
}
END_TEST

/* Steps past the history keep the latest offsets exact; the clock
 * saturates rather than wrap. */
START_TEST(clock_many_steps)
{
	struct pktclock ck;
	uint64_t i, j, t;

	/* The same 2 s recorded over and over, in 0.5 s steps. */
	memset(&ck, 0, sizeof(ck));
	for (i = 0; i < 3 * PKTCLOCK_HISTORY; i++) {
		for (j = 0; j <= 4; j++) {
			t = pktclock_read(&ck, 1000 * SEC + j * SEC / 2);
			ck_assert_uint_eq(pktclock_capture_time(&ck, t),
			    1000 * SEC + j * SEC / 2);
		}
	}
	ck_assert_uint_eq(ck.steps_back, 3 * PKTCLOCK_HISTORY - 1);
	ck_assert_uint_eq(pktclock_capture_time(&ck, ck.now - SEC),
	    1001 * SEC);
	ck_assert_uint_eq(pktclock_capture_time(&ck, ck.now - 2 * SEC),
	    1000 * SEC);
	/* The round before the last: 2 s + 1 us earlier on the clock. */
	ck_assert_uint_eq(pktclock_capture_time(&ck, ck.now - 2 * SEC - 1),
	    1002 * SEC);

	memset(&ck, 0, sizeof(ck));
	ck_assert_uint_eq(pktclock_read(&ck, UINT64_MAX), PKTCLOCK_MAX);
	ck_assert_uint_eq(pktclock_read(&ck, 5 * SEC), PKTCLOCK_MAX);
	ck_assert_uint_eq(ck.steps_back, 0);
}
END_TEST

Suite *
flowtab_suite(void)
{
	Suite *s = suite_create("flowtab");
	TCase *tc;

	tc = tcase_create("flows");
	tcase_add_test(tc, new_rejects_zero);
	tcase_add_test(tc, both_directions_one_flow);
	tcase_add_test(tc, syn_ack_first);
	tcase_add_test(tc, vlans_are_separate);
	tcase_add_test(tc, flow_id_stable);
	tcase_add_test(tc, end_names);
	suite_add_tcase(s, tc);

	tc = tcase_create("ending");
	tcase_add_test(tc, eviction_lru);
	tcase_add_test(tc, idle_timeout_by_packet_time);
	tcase_add_test(tc, timeout_after_older_packet);
	tcase_add_test(tc, fin_both_ways);
	tcase_add_test(tc, rst);
	tcase_add_test(tc, syn_on_closed_flow);
	tcase_add_test(tc, flush_ends_everything);
	tcase_add_test(tc, random_flows_bounded);
	suite_add_tcase(s, tc);

	tc = tcase_create("clock");
	tcase_add_test(tc, clock_step_back);
	tcase_add_test(tc, clock_small_reorder);
	tcase_add_test(tc, clock_live_wall_steps_back);
	tcase_add_test(tc, clock_live_backlog);
	tcase_add_test(tc, clock_many_steps);
	suite_add_tcase(s, tc);
	return s;
}
