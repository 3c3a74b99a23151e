/*
 * test_behave.c: the behaviour detectors driven by hand-built packets and
 * connection ends with packet timestamps only. The hash key is random, so
 * the distinct-count sketches may under-count by a collision or two: scan
 * tests assert silence below the threshold (a sketch never over-counts a
 * few items) and a report within a few items past it.
 */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "behave.h"
#include "suites.h"

#define SEC 1000000ULL

#define TH_SYN	0x02
#define TH_ACK	0x10
#define TH_RST	0x04

#define MAXHITS	8

static const uint8_t vm_addr[16] = {
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 10, 0, 0, 5
};

/* Target number n as the IPv4-mapped address 198.18.x.y / 203.0.x.y. */
static void
target_addr(uint8_t a[16], uint32_t n)
{
	memset(a, 0, 16);
	a[10] = a[11] = 0xff;
	a[12] = (uint8_t)(198 + (n >> 16) % 8);
	a[13] = (uint8_t)(n >> 16);
	a[14] = (uint8_t)(n >> 8);
	a[15] = (uint8_t)n;
}

struct run {
	struct behave *b;
	size_t nhits;
	struct behave_hit last;		/* the last hit seen */
	struct behave_hit match;	/* the last hit named like want */
	unsigned by_detector;		/* hits named like want */
	const char *want;
	int64_t first_at;		/* index of the first wanted hit */
	int64_t index;
	int flooding;			/* behave_packet's word on the last packet */
	int64_t flooding_at;		/* index of the first flooding packet */
};

static void
run_init(struct run *r, const struct behave_cfg *cfg, const char *want)
{
	struct behave_cfg def;
	char err[128];

	memset(r, 0, sizeof(*r));
	if (cfg == NULL) {
		behave_defaults(&def);
		cfg = &def;
	}
	r->b = behave_new(cfg, err, sizeof(err));
	ck_assert_msg(r->b != NULL, "%s", err);
	r->want = want;
	r->first_at = -1;
	r->flooding_at = -1;
}

static void
record(struct run *r, const struct behave_hit *hits, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		r->nhits++;
		r->last = hits[i];
		ck_assert_ptr_nonnull(hits[i].detector);
		if (r->want != NULL && strcmp(hits[i].detector, r->want) == 0) {
			r->by_detector++;
			r->match = hits[i];
			if (r->first_at < 0)
				r->first_at = r->index;
		}
	}
	r->index++;
}

/* The payload's bytes on the wire when more than were captured (a short
 * snap length), for feed; 0: as captured. */
static size_t wire_override;

static void
feed(struct run *r, uint64_t ts, const uint8_t *target, int from_vm,
    uint8_t proto, uint16_t vm_port, uint16_t target_port, uint8_t flags,
    uint8_t icmp_type, const void *payload, size_t payload_len)
{
	struct behave_pkt p;
	struct behave_hit hits[MAXHITS];
	size_t n;

	memset(&p, 0, sizeof(p));
	p.ts_us = ts;
	p.vm = vm_addr;
	p.target = target;
	p.from_vm = from_vm;
	p.proto = proto;
	p.vm_port = vm_port;
	p.target_port = target_port;
	p.tcp_flags = flags;
	p.icmp_type = icmp_type;
	p.wire_len = 60 + (uint32_t)payload_len;
	p.payload = payload;
	p.payload_len = payload_len;
	p.payload_wire = wire_override > payload_len ? wire_override :
	    payload_len;
	n = behave_packet(r->b, &p, hits, MAXHITS, &r->flooding);
	ck_assert_uint_le(n, MAXHITS);
	if (r->flooding && r->flooding_at < 0)
		r->flooding_at = r->index;
	record(r, hits, n);
}

static void
syn(struct run *r, uint64_t ts, const uint8_t *t, uint16_t sport,
    uint16_t dport)
{
	feed(r, ts, t, 1, 6, sport, dport, TH_SYN, 0, NULL, 0);
}

static void
synack(struct run *r, uint64_t ts, const uint8_t *t, uint16_t sport,
    uint16_t dport)
{
	feed(r, ts, t, 0, 6, sport, dport, TH_SYN | TH_ACK, 0, NULL, 0);
}

static void
conn_end(struct run *r, uint64_t ts, const uint8_t *t, uint16_t port,
    uint64_t duration_us, uint64_t bytes_to_vm)
{
	struct behave_conn c;
	struct behave_hit hits[MAXHITS];
	size_t n;

	memset(&c, 0, sizeof(c));
	c.ts_us = ts;
	c.vm = vm_addr;
	c.target = t;
	c.proto = 6;
	c.target_port = port;
	c.established = 1;
	c.duration_us = duration_us;
	c.bytes_from_vm = 2000;
	c.bytes_to_vm = bytes_to_vm;
	c.pkts_from_vm = 12;
	c.pkts_to_vm = 10;
	n = behave_conn_end(r->b, &c, hits, MAXHITS);
	record(r, hits, n);
}

static struct behave_stats
stats(const struct run *r)
{
	struct behave_stats st;

	behave_stats(r->b, &st);
	return st;
}

static uint64_t
xorshift(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* 3000 SYNs a second for 3 s, none answered: one report, at the 200th
 * (a fifth of the second's threshold, at its rate), two suppressed. */
START_TEST(test_syn_flood_once)
{
	struct run r;
	uint8_t t[16];
	unsigned i;

	target_addr(t, 1);
	run_init(&r, NULL, "syn_flood");
	for (i = 0; i < 9000; i++)
		syn(&r, 1000 * SEC + i * 333, t, (uint16_t)(1024 + i), 80);
	ck_assert_uint_eq(r.nhits, 1);
	ck_assert_uint_eq(r.by_detector, 1);
	ck_assert_int_eq(r.first_at, 199);
	ck_assert_int_eq(r.last.category, CAT_DOS);
	ck_assert_int_eq(r.last.confidence, CONF_HIGH);
	ck_assert_int_eq(r.last.has_target, 1);
	ck_assert_mem_eq(r.last.target, t, 16);
	ck_assert_mem_eq(r.last.vm, vm_addr, 16);
	ck_assert_uint_eq(r.last.count, 200);
	ck_assert_uint_eq(r.last.completed, 0);
	ck_assert_uint_eq(r.last.packets, 200);
	ck_assert_uint_eq(r.last.bytes, 12000);
	ck_assert(r.last.rate_pps > 2900 && r.last.rate_pps < 3100);
	ck_assert(r.last.window_us > 0 && r.last.window_us < SEC);
	ck_assert_msg(strstr(r.last.detail, "200 SYNs in 0.1 s, 0 completed")
	    != NULL, "%s", r.last.detail);
	ck_assert_uint_eq(stats(&r).hits, 1);
	ck_assert_uint_eq(stats(&r).suppressed, 2);
	behave_free(r.b);
}
END_TEST

/* The same SYNs at 500 a second (under the rate), and a port scan as fast
 * as a flood (each port once): neither is a flood. */
START_TEST(test_syn_burst_rate_and_scan)
{
	struct run r;
	uint8_t t[16];
	unsigned i;

	target_addr(t, 1);
	run_init(&r, NULL, "syn_flood");
	for (i = 0; i < 900; i++)
		syn(&r, i * 2000, t, (uint16_t)(1024 + i), 80);
	ck_assert_uint_eq(r.by_detector, 0);
	behave_free(r.b);
	run_init(&r, NULL, "syn_flood");
	for (i = 0; i < 3000; i++)
		syn(&r, i * 333, t, 40000, (uint16_t)(1 + i));
	ck_assert_uint_eq(r.by_detector, 0);
	behave_free(r.b);
}
END_TEST

/* One TCP packet of a flow the VM opened, first of its side. */
static void
first_tcp(struct run *r, uint64_t ts, const uint8_t *t, int from_vm,
    uint16_t vm_port, uint8_t flags)
{
	struct behave_pkt p;
	struct behave_hit hits[MAXHITS];
	size_t n;

	memset(&p, 0, sizeof(p));
	p.ts_us = ts;
	p.vm = vm_addr;
	p.target = t;
	p.from_vm = from_vm;
	p.proto = 6;
	p.vm_port = vm_port;
	p.target_port = 80;
	p.tcp_flags = flags;
	p.wire_len = 60;
	p.first_of_side = 1;
	p.vm_opened = 1;
	p.vm_pkts = 1;
	n = behave_packet(r->b, &p, hits, MAXHITS, NULL);
	record(r, hits, n);
}

/* An ACK flood from rotating ports, each reset by the target: tcp_flood.
 * The first packets of 2000 connections seen from their middle (a
 * capture started on a busy VM), each answered with data: none. */
START_TEST(test_tcp_flood)
{
	struct run r;
	uint8_t t[16];
	unsigned i;

	target_addr(t, 3);
	run_init(&r, NULL, "tcp_flood");
	for (i = 0; i < 3000; i++) {
		first_tcp(&r, i * 300, t, 1, (uint16_t)(1024 + i), TH_ACK);
		first_tcp(&r, i * 300 + 50, t, 0, (uint16_t)(1024 + i), TH_RST);
	}
	ck_assert_uint_eq(r.by_detector, 1);
	ck_assert_int_eq(r.match.category, CAT_DOS);
	ck_assert_uint_eq(r.match.count, 1000);
	behave_free(r.b);
	run_init(&r, NULL, "tcp_flood");
	for (i = 0; i < 2000; i++) {
		first_tcp(&r, i * 300, t, 1, (uint16_t)(1024 + i), TH_ACK);
		first_tcp(&r, i * 300 + 50, t, 0, (uint16_t)(1024 + i), TH_ACK);
	}
	ck_assert_uint_eq(r.nhits, 0);
	behave_free(r.b);
}
END_TEST

/* A TCP packet with payload on an established connection. */
static void
tcp_data(struct run *r, uint64_t ts, const uint8_t *t, int from_vm,
    uint16_t vm_port, const char *payload, size_t len)
{
	feed(r, ts, t, from_vm, 6, vm_port, 80, TH_ACK | 0x08, 0, payload, len);
}

/* HTTP requests at 1000 a second over 10 connections: http_flood; at
 * 100 a second: none. 250 connections held open, each sending a header
 * line now and then: slow_http; the same 250 busy (28 KB a second each
 * from the VM): none. */
START_TEST(test_app_floods)
{
	static const char req[] = "GET /index.html HTTP/1.1\r\nHost: x\r\n\r\n";
	static const char bulk[1400];
	struct run r;
	uint8_t t[16];
	unsigned i, k;

	target_addr(t, 9);
	for (k = 0; k < 2; k++) {
		uint64_t gap = k == 0 ? 1000 : 10000;

		run_init(&r, NULL, "http_flood");
		for (i = 0; i < 10; i++) {
			syn(&r, i, t, (uint16_t)(30000 + i), 80);
			synack(&r, i + 1, t, (uint16_t)(30000 + i), 80);
		}
		for (i = 0; i < 2000; i++)
			tcp_data(&r, 100 + i * gap, t, 1,
			    (uint16_t)(30000 + i % 10), req, sizeof(req) - 1);
		ck_assert_uint_eq(r.by_detector, k == 0 ? 1 : 0);
		behave_free(r.b);
	}
	for (k = 0; k < 2; k++) {
		struct behave_pkt p;
		struct behave_hit hits[MAXHITS];

		run_init(&r, NULL, "slow_http");
		for (i = 0; i < 250; i++) {
			syn(&r, i * 10000, t, (uint16_t)(20000 + i), 80);
			memset(&p, 0, sizeof(p));
			p.ts_us = i * 10000 + 100;
			p.vm = vm_addr;
			p.target = t;
			p.proto = 6;
			p.vm_port = (uint16_t)(20000 + i);
			p.target_port = 80;
			p.tcp_flags = TH_SYN | TH_ACK;
			p.wire_len = 60;
			p.first_of_side = 1;
			p.vm_opened = 1;
			p.vm_pkts = 1;
			record(&r, hits, behave_packet(r.b, &p, hits, MAXHITS,
			    NULL));
		}
		/* 10 s of traffic: a header line every 5 s per connection,
		 * or a download's ACK stream. */
		for (i = 0; k == 0 && i < 2500; i++)
			tcp_data(&r, 3 * SEC + i * 4000, t, 1,
			    (uint16_t)(20000 + i % 250), "X-a: b\r\n", 8);
		for (i = 0; k == 1 && i < 50000; i++)
			tcp_data(&r, 3 * SEC + i * 200, t, 1,
			    (uint16_t)(20000 + i % 250), bulk, sizeof(bulk));
		ck_assert_uint_eq(r.by_detector, k == 0 ? 1 : 0);
		behave_free(r.b);
	}
}
END_TEST

START_TEST(test_syn_flood_not_when_completed)
{
	struct run r;
	uint8_t t[16];
	unsigned i;

	target_addr(t, 1);
	run_init(&r, NULL, NULL);
	for (i = 0; i < 6000; i++) {
		syn(&r, i * 333, t, (uint16_t)(1024 + i), 80);
		synack(&r, i * 333 + 100, t, (uint16_t)(1024 + i), 80);
	}
	ck_assert_uint_eq(r.nhits, 0);
	behave_free(r.b);
}
END_TEST

START_TEST(test_udp_icmp_floods)
{
	struct run r;
	uint8_t t[16], u[16];
	static const uint8_t junk[100];
	unsigned i;

	target_addr(t, 1);
	target_addr(u, 2);
	run_init(&r, NULL, "udp_flood");
	for (i = 0; i < 6000; i++)
		feed(&r, i * 166, t, 1, 17, 40000, 9999, 0, 0, junk,
		    sizeof(junk));
	ck_assert_uint_eq(r.by_detector, 1);
	ck_assert_uint_eq(r.nhits, 1);
	ck_assert_int_eq(r.last.confidence, CONF_MEDIUM);
	ck_assert_uint_eq(r.last.count, 5000);
	ck_assert_uint_eq(r.last.proto, 17);

	r.want = "icmp_flood";
	r.by_detector = 0;
	r.first_at = -1;
	r.index = 0;
	for (i = 0; i < 600; i++)
		feed(&r, 10 * SEC + i * 1666, u, 1, 1, 0, 0, 0, 8, junk, 56);
	ck_assert_uint_eq(r.by_detector, 1);
	ck_assert_int_eq(r.first_at, 499);
	ck_assert_uint_eq(r.last.proto, 1);
	ck_assert_mem_eq(r.last.target, u, 16);
	ck_assert_uint_eq(r.last.count, 500);
	behave_free(r.b);
}
END_TEST

/* behave_packet says which packets belong to a flood going on now: from
 * the one that crosses the threshold on, in that window, one-way only. */
START_TEST(test_flooding_flag)
{
	struct run r;
	uint8_t t[16], u[16];
	static const uint8_t junk[100];
	unsigned i;

	target_addr(t, 1);
	target_addr(u, 2);
	run_init(&r, NULL, "udp_flood");
	for (i = 0; i < 6000; i++)
		feed(&r, i * 166, t, 1, 17, (uint16_t)(1024 + i), 9999, 0, 0,
		    junk, sizeof(junk));
	ck_assert_int_eq(r.flooding_at, 4999);
	ck_assert_int_eq(r.first_at, 4999);
	ck_assert_int_eq(r.flooding, 1);
	/* the target's own packets are no part of it */
	feed(&r, 6000 * 166, t, 0, 17, 1024, 9999, 0, 0, junk, 10);
	ck_assert_int_eq(r.flooding, 0);
	/* a new window starts counting again */
	feed(&r, 10 * SEC, t, 1, 17, 7000, 9999, 0, 0, junk, sizeof(junk));
	ck_assert_int_eq(r.flooding, 0);

	behave_free(r.b);

	/* answered traffic never floods */
	run_init(&r, NULL, NULL);
	for (i = 0; i < 16000; i++) {
		feed(&r, i * 125, u, 1, 17, 50000, 443, 0, 0, junk,
		    sizeof(junk));
		if (i % 2 == 0)
			feed(&r, i * 125 + 50, u, 0, 17, 50000, 443, 0, 0,
			    junk, 40);
	}
	ck_assert_int_eq(r.flooding_at, -1);
	behave_free(r.b);
}
END_TEST

/* Busy but below every threshold, for a minute. */
START_TEST(test_below_threshold_silent)
{
	struct run r;
	uint8_t t[16], u[16], w[16];
	static const uint8_t junk[64];
	uint64_t ts;
	unsigned i;

	target_addr(t, 1);
	target_addr(u, 2);
	target_addr(w, 3);
	run_init(&r, NULL, NULL);
	/* 900 SYNs/s, 4000 UDP/s one-way, 400 echoes/s */
	for (i = 0; i < 60 * 4000; i++) {
		ts = (uint64_t)i * 250;
		feed(&r, ts, u, 1, 17, 5000, 4000, 0, 0, junk, sizeof(junk));
		if (i % 4 == 0 && i % 40 != 0)
			syn(&r, ts, t, (uint16_t)(i / 4), 443);
		if (i % 10 == 0)
			feed(&r, ts, w, 1, 1, 0, 0, 0, 8, junk, 56);
	}
	ck_assert_uint_eq(r.nhits, 0);
	ck_assert_uint_eq(stats(&r).suppressed, 0);
	behave_free(r.b);
}
END_TEST

/* A VOIP-ish or QUIC upload: 8000 UDP/s both ways is no flood. */
START_TEST(test_udp_two_way_not_flood)
{
	struct run r;
	uint8_t t[16];
	static const uint8_t junk[1200];
	unsigned i;

	target_addr(t, 1);
	run_init(&r, NULL, NULL);
	for (i = 0; i < 16000; i++) {
		feed(&r, i * 125, t, 1, 17, 50000, 443, 0, 0, junk,
		    sizeof(junk));
		if (i % 2 == 0)
			feed(&r, i * 125 + 50, t, 0, 17, 50000, 443, 0, 0,
			    junk, 40);
	}
	ck_assert_uint_eq(r.nhits, 0);
	behave_free(r.b);
}
END_TEST

START_TEST(test_port_scan)
{
	struct run r;
	uint8_t t[16];
	unsigned port;

	target_addr(t, 1);
	run_init(&r, NULL, "port_scan");
	for (port = 1; port <= 14; port++)
		syn(&r, port * 10000, t, 40000, (uint16_t)port);
	ck_assert_uint_eq(r.nhits, 0);
	for (; port <= 1000; port++)
		syn(&r, port * 10000, t, 40000, (uint16_t)port);
	ck_assert_uint_eq(r.by_detector, 1);
	ck_assert_uint_eq(r.nhits, 1);
	/* the 15th port, or a few later when ports shared a sketch bit */
	ck_assert_int_ge(r.first_at, 14);
	ck_assert_int_le(r.first_at, 19);
	ck_assert_int_eq(r.last.category, CAT_SCAN);
	ck_assert_int_eq(r.last.has_target, 1);
	ck_assert_mem_eq(r.last.target, t, 16);
	ck_assert_uint_ge(r.last.distinct, 15);
	ck_assert_msg(strstr(r.last.detail, "unanswered ports") != NULL,
	    "%s", r.last.detail);
	behave_free(r.b);
}
END_TEST

/* An FTP client fetching 40 files in passive mode: every port answered. */
START_TEST(test_answered_ports_not_scan)
{
	struct run r;
	uint8_t t[16];
	unsigned i;

	target_addr(t, 1);
	run_init(&r, NULL, NULL);
	for (i = 0; i < 40; i++) {
		syn(&r, i * SEC, t, (uint16_t)(40000 + i),
		    (uint16_t)(50000 + i));
		synack(&r, i * SEC + 20000, t, (uint16_t)(40000 + i),
		    (uint16_t)(50000 + i));
	}
	ck_assert_uint_eq(r.nhits, 0);
	behave_free(r.b);
}
END_TEST

START_TEST(test_address_scan)
{
	struct run r;
	uint8_t t[16];
	unsigned i;

	/* One host a second: never 12 in 10 s, so Zeek's 25 decides. */
	run_init(&r, NULL, "address_scan");
	for (i = 1; i <= 24; i++) {
		target_addr(t, i);
		syn(&r, i * SEC, t, 40000, 22);
	}
	ck_assert_uint_eq(r.nhits, 0);
	for (; i <= 500; i++) {
		target_addr(t, i);
		syn(&r, i * SEC, t, 40000, 22);
	}
	ck_assert_uint_eq(r.by_detector, 1);
	ck_assert_uint_eq(r.nhits, 1);
	ck_assert_int_ge(r.first_at, 24);
	ck_assert_int_le(r.first_at, 31);
	ck_assert_int_eq(r.last.category, CAT_SCAN);
	ck_assert_int_eq(r.last.has_target, 0);
	ck_assert_uint_eq(r.last.port, 22);
	ck_assert_uint_eq(r.last.proto, 6);
	ck_assert_uint_ge(r.last.distinct, 25);
	ck_assert_msg(strstr(r.last.detail, "hosts on tcp/22") != NULL, "%s",
	    r.last.detail);
	behave_free(r.b);
}
END_TEST

/* An echo sweep of 18 hosts in 2 s: under Zeek's 25, over the rate. */
START_TEST(test_fast_sweep)
{
	struct run r;
	uint8_t t[16];
	unsigned i;

	run_init(&r, NULL, "address_scan");
	for (i = 1; i <= 18; i++) {
		target_addr(t, i);
		feed(&r, 100 * SEC + i * (SEC / 9), t, 1, 1, 0, 0, 0, 8, NULL, 0);
	}
	ck_assert_uint_eq(r.by_detector, 1);
	ck_assert_int_ge(r.first_at, 11);
	ck_assert_int_le(r.first_at, 15);
	ck_assert_msg(strstr(r.match.detail, "not answering echo requests") !=
	    NULL, "%s", r.match.detail);
	behave_free(r.b);
}
END_TEST

/* A TCP probe of the VM's, first of its flow, with the given flags; with
 * rst_back the target's first packet answers it with a RST. */
static void
stealth(struct run *r, uint64_t ts, const uint8_t *t, uint16_t port,
    uint8_t flags, int rst_back)
{
	struct behave_pkt p;
	struct behave_hit hits[MAXHITS];
	size_t n;

	memset(&p, 0, sizeof(p));
	p.ts_us = ts;
	p.vm = vm_addr;
	p.target = t;
	p.from_vm = 1;
	p.proto = 6;
	p.vm_port = 40000;
	p.target_port = port;
	p.tcp_flags = flags;
	p.wire_len = 60;
	p.first_of_side = 1;
	p.vm_opened = 1;
	p.vm_pkts = 1;
	n = behave_packet(r->b, &p, hits, MAXHITS, NULL);
	record(r, hits, n);
	if (!rst_back)
		return;
	p.ts_us = ts + 100;
	p.from_vm = 0;
	p.tcp_flags = TH_RST;
	n = behave_packet(r->b, &p, hits, MAXHITS, NULL);
	record(r, hits, n);
}

/* nmap's scan types beyond SYN: FIN, NULL and Xmas probes count when
 * sent; ACK, Window and Maimon (FIN+ACK) when the target resets them;
 * an ACK of an established connection (answered by data) never does. */
START_TEST(test_stealth_scans)
{
	static const uint8_t kinds[] = { 0x01, 0x00, 0x29 };	/* FIN NULL Xmas */
	struct run r;
	uint8_t t[16];
	unsigned k, port;

	target_addr(t, 7);
	for (k = 0; k < sizeof(kinds); k++) {
		run_init(&r, NULL, "port_scan");
		for (port = 1; port <= 30; port++)
			stealth(&r, port * 1000, t, (uint16_t)port, kinds[k], 0);
		ck_assert_uint_eq(r.by_detector, 1);
		behave_free(r.b);
	}
	/* ACK probes: silence is no scan (a flow seen from its middle), a
	 * RST to each one is. */
	run_init(&r, NULL, "port_scan");
	for (port = 1; port <= 30; port++)
		stealth(&r, port * 1000, t, (uint16_t)port, TH_ACK, 0);
	ck_assert_uint_eq(r.nhits, 0);
	behave_free(r.b);
	run_init(&r, NULL, "port_scan");
	for (port = 1; port <= 30; port++)
		stealth(&r, port * 1000, t, (uint16_t)port, TH_ACK | 0x01, 1);
	ck_assert_uint_eq(r.by_detector, 1);
	ck_assert_uint_ge(r.match.distinct, 15);
	behave_free(r.b);
	/* The target's lookups: the unanswered ports are known. */
	run_init(&r, NULL, NULL);
	for (port = 1; port <= 5; port++)
		stealth(&r, port * 1000, t, (uint16_t)port, 0x01, 0);
	ck_assert_uint_ge(behave_unanswered_ports(r.b, vm_addr, t, 6000), 4);
	ck_assert_uint_eq(behave_unanswered_ports(r.b, vm_addr, t,
	    6000 + 301 * SEC), 0);
	behave_free(r.b);
}
END_TEST

/* 200 web servers on 443, every handshake completed: no scan. */
START_TEST(test_web_servers_not_address_scan)
{
	struct run r;
	uint8_t t[16];
	unsigned i, k;

	run_init(&r, NULL, NULL);
	for (k = 0; k < 3; k++)
		for (i = 0; i < 200; i++) {
			uint64_t ts = (k * 200 + i) * 100000ULL;

			target_addr(t, i);
			syn(&r, ts, t, (uint16_t)(30000 + i), 443);
			synack(&r, ts + 30000, t, (uint16_t)(30000 + i), 443);
		}
	ck_assert_uint_eq(r.nhits, 0);
	behave_free(r.b);
}
END_TEST

/* A DNS query for name example.com with qtype. */
static size_t
dns_query(uint8_t *buf, uint16_t id, uint16_t qtype)
{
	static const uint8_t name[] = "\x07" "example" "\x03" "com";
	size_t n = 0;

	buf[n++] = (uint8_t)(id >> 8);
	buf[n++] = (uint8_t)id;
	buf[n++] = 0x01;	/* RD */
	buf[n++] = 0;
	buf[n++] = 0;
	buf[n++] = 1;		/* QDCOUNT */
	memset(buf + n, 0, 6);
	n += 6;
	memcpy(buf + n, name, sizeof(name));	/* with the root label */
	n += sizeof(name);
	buf[n++] = (uint8_t)(qtype >> 8);
	buf[n++] = (uint8_t)qtype;
	buf[n++] = 0;
	buf[n++] = 1;		/* IN */
	return n;
}

START_TEST(test_dns_amplification)
{
	struct run r;
	uint8_t t[16], q[64];
	size_t qlen;
	unsigned i;

	run_init(&r, NULL, "dns_amplification");
	/* ordinary A queries to 50 servers, answered */
	for (i = 0; i < 50; i++) {
		target_addr(t, 1000 + i);
		qlen = dns_query(q, (uint16_t)i, 1);
		feed(&r, i * 10000, t, 1, 17, 33000, 53, 0, 0, q, qlen);
		feed(&r, i * 10000 + 5000, t, 0, 17, 33000, 53, 0, 0, q, qlen);
	}
	ck_assert_uint_eq(r.nhits, 0);
	/* ANY queries to 12 servers */
	for (i = 0; i < 12; i++) {
		target_addr(t, 2000 + i);
		qlen = dns_query(q, (uint16_t)i, 255);
		feed(&r, SEC + i * 10000, t, 1, 17, 33000, 53, 0, 0, q, qlen);
	}
	ck_assert_uint_eq(r.by_detector, 1);
	ck_assert_uint_eq(r.nhits, 1);
	ck_assert_int_eq(r.last.category, CAT_DOS);
	ck_assert_int_eq(r.last.has_target, 0);
	ck_assert_uint_eq(r.last.port, 53);
	ck_assert_uint_ge(r.last.distinct, 10);
	ck_assert_msg(strstr(r.last.detail, "DNS ANY") != NULL, "%s",
	    r.last.detail);
	behave_free(r.b);
}
END_TEST

START_TEST(test_other_amplification)
{
	struct run r;
	uint8_t t[16], mc[16];
	static const uint8_t ntp[8] = { 0x17, 0x00, 0x03, 0x2a };
	static const uint8_t memc[] = "\0\1\0\0\0\1\0\0stats\r\n";
	static const uint8_t ssdp[] = "M-SEARCH * HTTP/1.1\r\n";
	static const uint8_t cldap[] = { 0x30, 0x25, 0x02, 0x01, 0x01, 0x63,
	    0x20 };
	unsigned i;

	run_init(&r, NULL, "ntp_amplification");
	for (i = 0; i < 12; i++) {
		target_addr(t, 3000 + i);
		feed(&r, i * 1000, t, 1, 17, 123, 123, 0, 0, ntp, sizeof(ntp));
	}
	ck_assert_uint_eq(r.by_detector, 1);
	ck_assert_uint_eq(r.last.port, 123);

	r.want = "memcached_amplification";
	r.by_detector = 0;
	for (i = 0; i < 12; i++) {
		target_addr(t, 4000 + i);
		feed(&r, i * 1000, t, 1, 17, 5000, 11211, 0, 0, memc,
		    sizeof(memc) - 1);
	}
	ck_assert_uint_eq(r.by_detector, 1);

	r.want = "cldap_amplification";
	r.by_detector = 0;
	for (i = 0; i < 12; i++) {
		target_addr(t, 5000 + i);
		feed(&r, i * 1000, t, 1, 17, 5000, 389, 0, 0, cldap,
		    sizeof(cldap));
	}
	ck_assert_uint_eq(r.by_detector, 1);

	/* SSDP to the multicast group is discovery, not abuse */
	r.want = "ssdp_amplification";
	r.by_detector = 0;
	memset(mc, 0, 16);
	mc[10] = mc[11] = 0xff;
	mc[12] = 239;
	mc[13] = 255;
	mc[14] = 255;
	mc[15] = 250;
	for (i = 0; i < 50; i++)
		feed(&r, i * 1000, mc, 1, 17, 5000, 1900, 0, 0, ssdp,
		    sizeof(ssdp) - 1);
	ck_assert_uint_eq(r.by_detector, 0);
	for (i = 0; i < 12; i++) {
		target_addr(t, 6000 + i);
		feed(&r, i * 1000, t, 1, 17, 5000, 1900, 0, 0, ssdp,
		    sizeof(ssdp) - 1);
	}
	ck_assert_uint_eq(r.by_detector, 1);
	behave_free(r.b);
}
END_TEST

START_TEST(test_ssh_short_connections)
{
	struct run r;
	uint8_t t[16];
	unsigned i;

	target_addr(t, 7);
	run_init(&r, NULL, "ssh_guessing");
	for (i = 0; i < 35; i++)
		conn_end(&r, i * 20 * SEC, t, 22, 3 * SEC, 3000);
	ck_assert_uint_eq(r.by_detector, 1);
	ck_assert_uint_eq(r.nhits, 1);
	ck_assert_int_eq(r.first_at, 29);
	ck_assert_int_eq(r.last.category, CAT_BRUTEFORCE);
	ck_assert_int_eq(r.last.confidence, CONF_MEDIUM);
	ck_assert_uint_eq(r.last.port, 22);
	ck_assert_uint_eq(r.last.count, 30);
	ck_assert_uint_eq(r.last.packets, 30 * 12);
	ck_assert_uint_eq(r.last.bytes, 30 * 2000);
	ck_assert_mem_eq(r.last.target, t, 16);
	ck_assert_msg(strstr(r.last.detail, "30 short SSH connections in 10 min")
	    != NULL, "%s", r.last.detail);
	behave_free(r.b);

	/* the same count of sessions that logged in and worked */
	run_init(&r, NULL, NULL);
	for (i = 0; i < 35; i++)
		conn_end(&r, i * 20 * SEC, t, 22, 300 * SEC, 3000);
	for (i = 0; i < 35; i++)
		conn_end(&r, 1000 * SEC + i * 20 * SEC, t, 22, 3 * SEC,
		    200000);
	ck_assert_uint_eq(r.nhits, 0);
	behave_free(r.b);
}
END_TEST

/* A login reader's refused connections (SSH, several passwords a
 * connection, on any port and however long): the refusals count. */
static void
refused_end(struct run *r, uint64_t ts, const uint8_t *t, uint16_t port,
    unsigned refused)
{
	struct behave_conn c;
	struct behave_hit hits[MAXHITS];
	size_t n;

	memset(&c, 0, sizeof(c));
	c.ts_us = ts;
	c.vm = vm_addr;
	c.target = t;
	c.proto = 6;
	c.target_port = port;
	c.established = 1;
	c.duration_us = 40 * SEC;	/* long: sshd's delays */
	c.bytes_from_vm = 3000;
	c.bytes_to_vm = 6000;
	c.pkts_from_vm = 20;
	c.pkts_to_vm = 18;
	c.login_read = 1;
	c.logins_refused = refused;
	n = behave_conn_end(r->b, &c, hits, MAXHITS);
	record(r, hits, n);
}

START_TEST(test_ssh_refused_logins)
{
	struct run r;
	uint8_t t[16];
	unsigned i;

	target_addr(t, 9);
	run_init(&r, NULL, "ssh_guessing");
	for (i = 0; i < 12; i++)
		refused_end(&r, i * 30 * SEC, t, 2222, 3);
	ck_assert_uint_eq(r.nhits, 1);
	ck_assert_int_eq(r.first_at, 9);	/* 30 refusals */
	ck_assert_int_eq(r.last.category, CAT_BRUTEFORCE);
	ck_assert_uint_eq(r.last.port, 2222);
	ck_assert_uint_eq(r.last.count, 30);
	ck_assert_msg(strstr(r.last.detail, "30 SSH login attempts") != NULL,
	    "%s", r.last.detail);
	behave_free(r.b);

	/* A person mistyping twice now and then: far below. */
	run_init(&r, NULL, NULL);
	for (i = 0; i < 10; i++)
		refused_end(&r, i * 120 * SEC, t, 22, 2);
	ck_assert_uint_eq(r.nhits, 0);
	behave_free(r.b);
}
END_TEST

START_TEST(test_ftp_530_replies)
{
	struct run r;
	uint8_t t[16];
	static const char fail[] = "530 Login incorrect.\r\n";
	static const char ok[] = "230 Login successful.\r\n";
	unsigned i;

	target_addr(t, 8);
	run_init(&r, NULL, "ftp_guessing");
	for (i = 0; i < 100; i++)
		feed(&r, i * SEC, t, 0, 6, 40000, 21, TH_ACK, 0, ok,
		    sizeof(ok) - 1);
	ck_assert_uint_eq(r.nhits, 0);
	/* ten sessions of three failed passwords each */
	for (i = 0; i < 30; i++) {
		feed(&r, 200 * SEC + i * SEC, t, 0, 6, 40000, 21, TH_ACK, 0,
		    fail, sizeof(fail) - 1);
		if (i % 3 == 2)
			conn_end(&r, 200 * SEC + i * SEC + 1000, t, 21,
			    3 * SEC, 500);
	}
	ck_assert_uint_eq(r.by_detector, 1);
	ck_assert_uint_eq(r.last.count, 30);
	ck_assert_uint_eq(r.last.port, 21);
	ck_assert_msg(strstr(r.last.detail, "30 FTP login attempts") != NULL,
	    "%s", r.last.detail);
	behave_free(r.b);
}
END_TEST

/* Refusals in each service's own grammar, on ports that are not the
 * service's: 30 make one verdict named for the service; replies that are
 * no refusal make none. */
static void
refusals(const char *detector, const void *reply, size_t len, int want)
{
	struct run r;
	uint8_t t[16];
	unsigned i;

	target_addr(t, 11);
	run_init(&r, NULL, detector);
	for (i = 0; i < 40; i++)
		feed(&r, i * SEC, t, 0, 6, 40000, 24000, TH_ACK | 0x08, 0,
		    reply, len);
	ck_assert_msg(r.by_detector == (unsigned)want, "%s: %u", detector,
	    r.by_detector);
	ck_assert_uint_eq(r.nhits, (unsigned)want);
	if (want)
		ck_assert_uint_eq(r.match.count, 30);
	behave_free(r.b);
}

START_TEST(test_refusals_any_port)
{
	static const char mysql[] = "\x3a\x00\x00\x02\xff\x15\x04#28000"
	    "Access denied for user 'root'@'192.0.2.10' (using password: YES)";
	static const char pg[] = "E\0\0\0\x54SFATAL\0VFATAL\0C28P01\0"
	    "Mpassword authentication failed for user \"postgres\"\0"
	    "Fauth.c\0\0";
	static const char redis[] = "-WRONGPASS invalid username-password "
	    "pair or user is disabled.\r\n";
	static const char smtp[] = "535 5.7.8 Error: authentication failed: "
	    "authentication failure\r\n";
	static const char imap[] = "a1 NO [AUTHENTICATIONFAILED] "
	    "Authentication failed.\r\n";
	static const char vnc[] = "\0\0\0\x01\0\0\0\x15"
	    "Authentication failed";
	static const uint8_t smb[20] = { 0, 0, 0, 0x48, 0xfe, 'S', 'M', 'B',
		0x40, 0, 0, 0, 0x6d, 0, 0, 0xc0, 1, 0, 1, 0 };
	static const char redis_other[] = "-ERR unknown command 'FOO'\r\n";
	static const char vnc_ok[] = "\0\0\0\0";

	refusals("mysql_guessing", mysql, sizeof(mysql) - 1, 1);
	refusals("postgresql_guessing", pg, sizeof(pg) - 1, 1);
	refusals("redis_guessing", redis, sizeof(redis) - 1, 1);
	refusals("smtp_guessing", smtp, sizeof(smtp) - 1, 1);
	refusals("imap_guessing", imap, sizeof(imap) - 1, 1);
	refusals("vnc_guessing", vnc, sizeof(vnc) - 1, 1);
	refusals("smb_guessing", smb, sizeof(smb), 1);
	refusals("redis_guessing", redis_other, sizeof(redis_other) - 1, 0);
	refusals("vnc_guessing", vnc_ok, sizeof(vnc_ok) - 1, 0);
	/* RFB 3.3 and 3.7: the failed SecurityResult alone */
	refusals("vnc_guessing", "\0\0\0\x01", 4, 1);
	/* a snap length that cut the MySQL refusal's message */
	wire_override = sizeof(mysql) - 1;
	refusals("mysql_guessing", mysql, 20, 1);
	wire_override = 0;
}
END_TEST

/* Connections whose login the server accepted, in its own grammar, are
 * logins, not guesses: a client polling a database every half second
 * with the right password makes no verdict however many short connections
 * it opens; the same connections without the success reply do. */
static void
logins(const void *reply, size_t caplen, size_t wire, uint16_t port,
    int want)
{
	struct run r;
	uint8_t t[16];
	unsigned i;

	target_addr(t, 12);
	run_init(&r, NULL, NULL);
	wire_override = wire;
	for (i = 0; i < 40; i++) {
		if (reply != NULL)
			feed(&r, i * SEC / 2, t, 0, 6, 40000 + i, port,
			    TH_ACK | 0x08, 0, reply, caplen);
		conn_end(&r, i * SEC / 2 + 1000, t, port, SEC / 10, 300);
	}
	wire_override = 0;
	ck_assert_msg(r.nhits == (unsigned)want, "port %u: %zu hits", port,
	    r.nhits);
	behave_free(r.b);
}

START_TEST(test_login_success_not_guess)
{
	/* SCRAM's final message, then AuthenticationOk, whose code a
	 * 128-byte snap length cut */
	static const char pg_ok[] = "R\0\0\0\x36\0\0\0\x0cv="
	    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
	    "R\0\0\0\x08\0\0\0\0";
	static const char pg_ready[] = "Z\0\0\0\x05I";
	static const char mysql_ok[] = "\x07\0\0\x02\0\0\0\x02\0\0\0";
	static const char ftp_ok[] = "230 Login successful.\r\n";

	ck_assert_uint_eq(sizeof(pg_ok) - 1, 64);
	logins(NULL, 0, 0, 5432, 1);
	logins(pg_ok, 60, sizeof(pg_ok) - 1, 5432, 0);
	logins(pg_ready, sizeof(pg_ready) - 1, 0, 5432, 0);
	logins(mysql_ok, sizeof(mysql_ok) - 1, 0, 3306, 0);
	logins(NULL, 0, 0, 3306, 1);
	logins(ftp_ok, sizeof(ftp_ok) - 1, 0, 21, 0);
	/* an OK packet that is not the whole segment is no login's */
	logins(mysql_ok, sizeof(mysql_ok) - 1, 40, 3306, 1);
}
END_TEST

/* A packet from VM number vm (10.1.x.y) to target. */
static void
feed_from(struct run *r, uint64_t ts, uint32_t vm, const uint8_t *target,
    int from_vm, uint8_t proto, uint16_t vm_port, uint16_t target_port,
    uint8_t flags, uint8_t icmp_type)
{
	struct behave_pkt p;
	struct behave_hit hits[MAXHITS];
	uint8_t a[16] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 10, 1 };
	size_t n;

	a[14] = (uint8_t)(vm >> 8);
	a[15] = (uint8_t)vm;
	memset(&p, 0, sizeof(p));
	p.ts_us = ts;
	p.vm = a;
	p.target = target;
	p.from_vm = from_vm;
	p.proto = proto;
	p.vm_port = vm_port;
	p.target_port = target_port;
	p.tcp_flags = flags;
	p.icmp_type = icmp_type;
	p.wire_len = 60;
	p.first_of_side = 1;
	p.vm_opened = 1;
	p.vm_pkts = 1;
	n = behave_packet(r->b, &p, hits, MAXHITS, &r->flooding);
	if (r->flooding && r->flooding_at < 0)
		r->flooding_at = r->index;
	record(r, hits, n);
}

/* A SYN flood from 500 sources (spoofed or many VMs), 4 SYNs each over
 * half a second, none completed: each source is far below syn_flood_pps,
 * the target's total is not. One verdict naming the target, about 500
 * sources, the top senders. The same 2000 SYNs answered, or one VM alone
 * at flood rate, give no distributed verdict. */
START_TEST(test_distributed_flood)
{
	struct run r;
	uint8_t t[16];
	unsigned i;

	target_addr(t, 42);
	run_init(&r, NULL, "distributed_syn_flood");
	for (i = 0; i < 2000; i++)
		feed_from(&r, i * 250ULL, i % 500, t, 1, 6,
		    (uint16_t)(1024 + i), 80, TH_SYN, 0);
	ck_assert_uint_eq(r.by_detector, 1);
	ck_assert_uint_eq(r.nhits, 1);
	ck_assert_int_eq(r.first_at, 999);
	ck_assert_int_eq(r.match.category, CAT_DOS);
	ck_assert_mem_eq(r.match.target, t, 16);
	ck_assert_uint_ge(r.match.distinct, 400);
	ck_assert_uint_le(r.match.distinct, 600);
	ck_assert_msg(strstr(r.match.detail, "1000 SYNs from about") != NULL &&
	    strstr(r.match.detail, "most (at least) from 10.1.") != NULL, "%s",
	    r.match.detail);
	ck_assert_int_ge(r.flooding_at, 999);
	behave_free(r.b);

	/* answered: a popular server */
	run_init(&r, NULL, NULL);
	for (i = 0; i < 2000; i++) {
		feed_from(&r, i * 250ULL, i % 500, t, 1, 6,
		    (uint16_t)(1024 + i), 443, TH_SYN, 0);
		feed_from(&r, i * 250ULL + 100, i % 500, t, 0, 6,
		    (uint16_t)(1024 + i), 443, TH_SYN | TH_ACK, 0);
	}
	ck_assert_uint_eq(r.nhits, 0);
	behave_free(r.b);

	/* one VM: its own syn_flood, nothing distributed */
	run_init(&r, NULL, "distributed_syn_flood");
	for (i = 0; i < 3000; i++)
		feed_from(&r, i * 250ULL, 3, t, 1, 6, (uint16_t)(1024 + i), 80,
		    TH_SYN, 0);
	ck_assert_uint_eq(r.by_detector, 0);
	ck_assert_uint_eq(r.nhits, 1);
	ck_assert_str_eq(r.last.detector, "syn_flood");
	behave_free(r.b);

	/* echo requests from 300 sources, 2 each in half a second */
	run_init(&r, NULL, "distributed_icmp_flood");
	for (i = 0; i < 600; i++)
		feed_from(&r, i * 800ULL, i % 300, t, 1, 1, 0, 0, 0, 8);
	ck_assert_uint_eq(r.by_detector, 1);
	ck_assert_int_eq(r.first_at, 499);
	behave_free(r.b);
}
END_TEST

/* The link's control messages (thc-ipv6's flood_router26, flood_advertise6:
 * each from a random link-local source) to the link's multicast groups sum
 * in one bucket for the link; a host's own neighbour discovery, a message
 * every few seconds, never comes near. */
START_TEST(test_ndp_flood)
{
	struct run r;
	uint8_t all_nodes[16] = { 0xff, 0x02 }, solicited[16] = { 0xff, 0x02 };
	unsigned i;

	all_nodes[15] = 1;
	solicited[11] = 1;
	solicited[12] = 0xff;
	run_init(&r, NULL, "ndp_flood");
	for (i = 0; i < 600; i++) {
		solicited[15] = (uint8_t)i;
		/* router advertisements, neighbour solicitations alternating */
		feed_from(&r, i * 800ULL, i, i % 2 ? all_nodes : solicited, 1,
		    58, 0, 0, 0, i % 2 ? 134 : 135);
	}
	ck_assert_uint_eq(r.by_detector, 1);
	ck_assert_int_eq(r.first_at, 499);
	ck_assert_msg(strstr(r.match.detail, "neighbour, router or MLD") !=
	    NULL, "%s", r.match.detail);
	behave_free(r.b);

	run_init(&r, NULL, "ndp_flood");
	for (i = 0; i < 600; i++)
		feed_from(&r, i * 3 * SEC, i % 50, all_nodes, 1, 58, 0, 0, 0,
		    i % 2 ? 136 : 143);
	ck_assert_uint_eq(r.nhits, 0);
	behave_free(r.b);
}
END_TEST

/* A probe to a multicast group carrying an option that orders every host
 * to answer (alive6) is host discovery at once; the same to a unicast
 * address, or a plain echo request to ff02::1, is not. */
START_TEST(test_multicast_discovery)
{
	struct run r;
	struct behave_pkt p;
	struct behave_hit hits[MAXHITS];
	uint8_t vm6[16] = { 0x20, 0x01, 0x0d, 0xb8 }, all[16] = { 0xff, 2 },
	    host[16] = { 0x20, 0x01, 0x0d, 0xb8 };
	size_t n;
	int flooding;

	vm6[15] = 0x10;
	all[15] = 1;
	host[15] = 1;
	run_init(&r, NULL, "multicast_discovery");
	memset(&p, 0, sizeof(p));
	p.vm = vm6;
	p.from_vm = 1;
	p.proto = 58;
	p.icmp_type = 128;
	p.wire_len = 78;
	p.first_of_side = 1;
	p.vm_opened = 1;
	p.vm_pkts = 1;
	p.target = all;
	p.ts_us = SEC;
	n = behave_packet(r.b, &p, hits, MAXHITS, &flooding);
	ck_assert_uint_eq(n, 0);
	p.target = host;
	p.forcing = 1;
	n = behave_packet(r.b, &p, hits, MAXHITS, &flooding);
	ck_assert_uint_eq(n, 0);
	p.target = all;
	p.ts_us = 2 * SEC;
	n = behave_packet(r.b, &p, hits, MAXHITS, &flooding);
	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq(hits[0].detector, "multicast_discovery");
	ck_assert_int_eq(hits[0].category, CAT_SCAN);
	p.ts_us = 3 * SEC;	/* once per suppression window */
	n = behave_packet(r.b, &p, hits, MAXHITS, &flooding);
	ck_assert_uint_eq(n, 0);
	behave_free(r.b);
}
END_TEST

/* Datagrams to one target from many sources: a flood when they are new
 * flows (spoofed or random sources and ports) or come from fast senders;
 * not when each source keeps one steady, slow flow (a collector's
 * syslog or statsd clients). */
static unsigned
udp_fan_in(unsigned sources, unsigned each, uint64_t spacing_us,
    int new_flows)
{
	struct run r;
	struct behave_pkt p;
	struct behave_hit hits[MAXHITS];
	uint8_t vm[16] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 10, 1 };
	uint8_t t[16];
	unsigned i, j, hits_seen;
	size_t n;
	int flooding;

	target_addr(t, 20);
	run_init(&r, NULL, "distributed_udp_flood");
	memset(&p, 0, sizeof(p));
	p.vm = vm;
	p.target = t;
	p.from_vm = 1;
	p.proto = 17;
	p.target_port = 8125;
	p.wire_len = 90;
	p.vm_opened = 1;
	for (j = 0; j < each; j++) {
		for (i = 0; i < sources; i++) {
			vm[14] = (uint8_t)(i >> 8);
			vm[15] = (uint8_t)i;
			p.ts_us = (uint64_t)j * spacing_us + i;
			p.vm_port = (uint16_t)(new_flows ? 1024 + j : 40000);
			p.first_of_side = new_flows || j == 0;
			p.vm_pkts = new_flows ? 1 : j + 1;
			n = behave_packet(r.b, &p, hits, MAXHITS, &flooding);
			record(&r, hits, n);
		}
	}
	hits_seen = r.by_detector;
	behave_free(r.b);
	return hits_seen;
}

START_TEST(test_distributed_udp_flood)
{
	/* 300 spoofed sources, 20 datagrams each from new ports, in 0.4 s */
	ck_assert_uint_eq(udp_fan_in(300, 20, 20000, 1), 1);
	/* 200 statsd clients, one flow each, 30 a second, for 2 s */
	ck_assert_uint_eq(udp_fan_in(200, 60, SEC / 30, 0), 0);
	/* 10 VMs, one flow each, 600 a second */
	ck_assert_uint_eq(udp_fan_in(10, 600, SEC / 600, 0), 1);
}
END_TEST

/* TCP packets that open no connection, from 500 sources at one target,
 * answered by RSTs alone (a spoofed ACK flood, or SYN-ACKs reflected at
 * their victim), sum to one distributed_tcp_flood; echo replies that
 * answer nothing seen, from 300 sources (a smurf's), to a
 * distributed_icmp_flood. */
START_TEST(test_distributed_nosyn_and_replies)
{
	struct run r;
	uint8_t t[16];
	unsigned i;

	target_addr(t, 21);
	run_init(&r, NULL, "distributed_tcp_flood");
	for (i = 0; i < 1500; i++) {
		feed_from(&r, i * 300ULL, i % 500, t, 1, 6, 1024 + i, 80,
		    i % 2 ? TH_ACK : TH_SYN | TH_ACK, 0);
		feed_from(&r, i * 300ULL + 50, i % 500, t, 0, 6, 1024 + i, 80,
		    TH_RST, 0);
	}
	ck_assert_uint_eq(r.by_detector, 1);
	ck_assert_msg(strstr(r.match.detail, "opening no connection") != NULL,
	    "%s", r.match.detail);
	behave_free(r.b);

	run_init(&r, NULL, "distributed_icmp_flood");
	for (i = 0; i < 600; i++)
		feed_from(&r, i * 800ULL, i % 300, t, 1, 1, 0, 0, 0, 0);
	ck_assert_uint_eq(r.by_detector, 1);
	behave_free(r.b);
}
END_TEST

START_TEST(test_tables_bounded)
{
	struct behave_cfg cfg;
	struct run r;
	struct behave_stats st;
	uint8_t t[16];
	uint64_t seed = 88172645463325252ULL;
	unsigned i;

	behave_defaults(&cfg);
	cfg.max_entries = 16;
	run_init(&r, &cfg, NULL);
	for (i = 0; i < 100000; i++) {
		target_addr(t, (uint32_t)xorshift(&seed));
		syn(&r, i * 100ULL, t, (uint16_t)xorshift(&seed),
		    (uint16_t)xorshift(&seed));
		feed(&r, i * 100ULL + 1, t, 1, 17, 5000,
		    (uint16_t)xorshift(&seed), 0, 0, NULL, 0);
		feed(&r, i * 100ULL + 2, t, 1, 17, 5000, 19, 0, 0, NULL, 0);
		conn_end(&r, i * 100ULL + 3, t, 22, SEC, 100);
		st = stats(&r);
		ck_assert_uint_le(st.entries, 4 * 16 + 4);
	}
	st = stats(&r);
	/* the amplification table holds (vm, chargen) and maybe (vm, qotd);
	 * the targets' table (a quarter of the keys) is full */
	ck_assert_uint_ge(st.entries, 3 * 16 + 4 + 1);
	ck_assert_uint_le(st.entries, 3 * 16 + 4 + 2);
	ck_assert_uint_gt(st.evicted, 100000);
	behave_free(r.b);
}
END_TEST

/* 1,000,000 one-packet SYN flows to one target among as many packets to
 * random targets, with 16 entries a table: the flood is still seen. */
START_TEST(test_flood_survives_churn)
{
	struct behave_cfg cfg;
	struct run r;
	struct behave_stats st;
	uint8_t victim[16], t[16];
	uint64_t seed = 0x9e3779b97f4a7c15ULL, ts;
	unsigned i;

	behave_defaults(&cfg);
	cfg.max_entries = 16;
	target_addr(victim, 424242);
	run_init(&r, &cfg, "syn_flood");
	for (i = 0; i < 1000000; i++) {
		ts = 5 * SEC + i * 10ULL;
		syn(&r, ts, victim, (uint16_t)xorshift(&seed), 80);
		target_addr(t, (uint32_t)xorshift(&seed));
		if (i % 2)
			syn(&r, ts + 5, t, (uint16_t)xorshift(&seed),
			    (uint16_t)xorshift(&seed));
		else
			feed(&r, ts + 5, t, 1, 17, 5000,
			    (uint16_t)xorshift(&seed), 0, 0, NULL, 0);
	}
	ck_assert_uint_ge(r.by_detector, 1);
	ck_assert_mem_eq(r.match.target, victim, 16);
	ck_assert_int_eq(r.match.confidence, CONF_HIGH);
	st = stats(&r);
	ck_assert_uint_le(st.entries, 4 * 16);
	ck_assert_uint_gt(st.evicted, 0);
	/* 10 buckets of 100k SYNs: one report, nine suppressed */
	ck_assert_uint_eq(r.by_detector, 1);
	ck_assert_uint_ge(st.suppressed, 9);
	behave_free(r.b);
}
END_TEST

/* Only packet time counts: a flood at time 0 and another past the
 * suppression window (in packet time) both report. */
START_TEST(test_packet_time)
{
	struct run r;
	uint8_t t[16];
	unsigned i;

	target_addr(t, 9);
	run_init(&r, NULL, "icmp_flood");
	for (i = 0; i < 1000; i++)
		feed(&r, i * 1000ULL, t, 1, 58, 0, 0, 0, 128, NULL, 0);
	ck_assert_uint_eq(r.by_detector, 1);
	ck_assert_uint_eq(r.last.proto, 58);
	for (i = 0; i < 1000; i++)
		feed(&r, 300 * SEC + i * 1000ULL, t, 1, 58, 0, 0, 0, 128,
		    NULL, 0);
	ck_assert_uint_eq(r.by_detector, 1);
	for (i = 0; i < 1000; i++)
		feed(&r, 601 * SEC + i * 1000ULL, t, 1, 58, 0, 0, 0, 128,
		    NULL, 0);
	ck_assert_uint_eq(r.by_detector, 2);
	ck_assert_uint_eq(stats(&r).suppressed, 1);
	behave_free(r.b);
}
END_TEST

START_TEST(test_new_free_stats)
{
	struct behave_cfg cfg;
	struct behave *b;
	struct behave_stats st;
	char err[128];

	behave_free(NULL);
	behave_defaults(&cfg);
	ck_assert_uint_eq(cfg.scan_ports, 15);
	ck_assert_uint_eq(cfg.scan_hosts, 25);
	ck_assert_uint_eq(cfg.brute_attempts, 30);
	cfg.max_entries = 0;
	err[0] = '\0';
	ck_assert_ptr_null(behave_new(&cfg, err, sizeof(err)));
	ck_assert(err[0] != '\0');
	behave_defaults(&cfg);
	b = behave_new(&cfg, err, sizeof(err));
	ck_assert_ptr_nonnull(b);
	behave_stats(b, &st);
	ck_assert_uint_eq(st.entries, 0);
	ck_assert_uint_gt(st.bytes, 4 * 16384 * 64);
	ck_assert_uint_lt(st.bytes, 64ULL << 20);
	behave_free(b);
}
END_TEST

Suite *
behave_suite(void)
{
	Suite *s = suite_create("behave");
	TCase *tc = tcase_create("detectors");

	tcase_add_test(tc, test_syn_flood_once);
	tcase_add_test(tc, test_syn_burst_rate_and_scan);
	tcase_add_test(tc, test_tcp_flood);
	tcase_add_test(tc, test_app_floods);
	tcase_add_test(tc, test_syn_flood_not_when_completed);
	tcase_add_test(tc, test_udp_icmp_floods);
	tcase_add_test(tc, test_flooding_flag);
	tcase_add_test(tc, test_below_threshold_silent);
	tcase_add_test(tc, test_udp_two_way_not_flood);
	tcase_add_test(tc, test_port_scan);
	tcase_add_test(tc, test_answered_ports_not_scan);
	tcase_add_test(tc, test_address_scan);
	tcase_add_test(tc, test_fast_sweep);
	tcase_add_test(tc, test_stealth_scans);
	tcase_add_test(tc, test_web_servers_not_address_scan);
	tcase_add_test(tc, test_dns_amplification);
	tcase_add_test(tc, test_other_amplification);
	tcase_add_test(tc, test_ssh_short_connections);
	tcase_add_test(tc, test_ssh_refused_logins);
	tcase_add_test(tc, test_ftp_530_replies);
	tcase_add_test(tc, test_refusals_any_port);
	tcase_add_test(tc, test_login_success_not_guess);
	tcase_add_test(tc, test_ndp_flood);
	tcase_add_test(tc, test_multicast_discovery);
	tcase_add_test(tc, test_distributed_udp_flood);
	tcase_add_test(tc, test_distributed_nosyn_and_replies);
	tcase_add_test(tc, test_distributed_flood);
	tcase_add_test(tc, test_tables_bounded);
	tcase_add_test(tc, test_flood_survives_churn);
	tcase_add_test(tc, test_packet_time);
	tcase_add_test(tc, test_new_free_stats);
	suite_add_tcase(s, tc);
	return s;
}
