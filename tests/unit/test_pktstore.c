/*
 * test_pktstore.c: the bounded packet store of --evidence-dir. Besides
 * what a copy holds, the tests check the bound itself: whatever is added,
 * the frames the store can hand out never exceed its budget, and every
 * frame of a young flow it could not keep is counted cut.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "pktstore.h"
#include "suites.h"

static void
addr(uint8_t a[16], uint8_t last)
{
	/* IPv4-mapped 192.0.2.last */
	memset(a, 0, 16);
	a[10] = a[11] = 0xff;
	a[12] = 192;
	a[14] = 2;
	a[15] = last;
}

static struct pktstore *
store(size_t mem, unsigned flow_packets)
{
	struct pktstore_cfg c;
	char err[256];
	struct pktstore *s;

	memset(&c, 0, sizeof(c));
	c.mem_bytes = mem;
	c.flow_packets = flow_packets;
	c.max_flows = 1024;
	s = pktstore_new(&c, err, sizeof(err));
	ck_assert_msg(s != NULL, "%s", err);
	return s;
}

/* A frame of len bytes, each byte fill, from a:ap to b:bp over TCP. */
static int add_linktype = 1;	/* of the frames add() hands in */

static void
add(struct pktstore *s, uint8_t a, uint16_t ap, uint8_t b, uint16_t bp,
    uint64_t ts, uint8_t fill, uint32_t len)
{
	static uint8_t frame[2000];
	struct pktstore_key k;
	uint8_t sa[16], da[16];

	addr(sa, a);
	addr(da, b);
	memset(frame, fill, len);
	pktstore_key_make(&k, sa, ap, da, bp, 6, 0);
	pktstore_add(s, &k, sa, da, ts, frame, len, len + 4, add_linktype);
}

static struct pktstore_pkts *
flow(struct pktstore *s, uint8_t a, uint16_t ap, uint8_t b, uint16_t bp)
{
	struct pktstore_key k;
	uint8_t sa[16], da[16];

	addr(sa, a);
	addr(da, b);
	pktstore_key_make(&k, sa, ap, da, bp, 6, 0);
	return pktstore_flow(s, &k);
}

START_TEST(flow_copy)
{
	struct pktstore *s = store(1 << 20, 64);
	struct pktstore_pkts *p;
	struct pktstore_figures f;
	struct pktstore_rec r;
	const uint8_t *b;
	size_t off = 0;
	unsigned i = 0;

	add(s, 10, 1000, 1, 22, 100, 0xa1, 60);
	add(s, 1, 22, 10, 1000, 200, 0xa2, 1400);	/* the reply */
	add(s, 10, 1001, 1, 22, 250, 0xb1, 60);		/* another flow */
	add(s, 10, 1000, 1, 22, 300, 0xa3, 1500);
	/* The key is the same whichever way round it is asked. */
	p = flow(s, 1, 22, 10, 1000);
	ck_assert_uint_eq(p->n, 3);
	ck_assert_uint_eq(p->max_caplen, 1500);
	while (pktstore_pkts_next(p, &off, &r, &b)) {
		static const uint64_t ts[] = { 100, 200, 300 };
		static const uint8_t fill[] = { 0xa1, 0xa2, 0xa3 };

		ck_assert_uint_lt(i, 3);
		ck_assert_uint_eq(r.ts_us, ts[i]);
		ck_assert_uint_eq(r.wire_len, r.caplen + 4);
		ck_assert_uint_eq(b[0], fill[i]);
		ck_assert_uint_eq(b[r.caplen - 1], fill[i]);
		i++;
	}
	ck_assert_uint_eq(i, 3);
	pktstore_pkts_free(p);
	/* Once it has a verdict the flow is no longer young. */
	add(s, 10, 1000, 1, 22, 400, 0xa4, 60);
	p = flow(s, 10, 1000, 1, 22);
	ck_assert_uint_eq(p->n, 3);
	pktstore_pkts_free(p);
	p = flow(s, 10, 9, 1, 9);	/* never seen */
	ck_assert_uint_eq(p->n, 0);
	ck_assert_uint_eq(p->len, 0);
	pktstore_pkts_free(p);
	pktstore_figures(s, &f);
	ck_assert_uint_eq(f.kept, 4);
	ck_assert_uint_eq(f.cut, 0);
	pktstore_free(s);
}
END_TEST

START_TEST(flow_first_packets)
{
	struct pktstore *s = store(1 << 20, 4);
	struct pktstore_pkts *p;
	struct pktstore_rec r;
	const uint8_t *b;
	size_t off = 0;
	unsigned i;

	for (i = 0; i < 10; i++)
		add(s, 10, 1000, 1, 80, i, (uint8_t)i, 100);
	p = flow(s, 10, 1000, 1, 80);
	ck_assert_uint_eq(p->n, 4);
	for (i = 0; pktstore_pkts_next(p, &off, &r, &b); i++)
		ck_assert_uint_eq(r.ts_us, i);	/* the first four */
	ck_assert_uint_eq(i, 4);
	pktstore_pkts_free(p);
	pktstore_free(s);
}
END_TEST

/* The budget holds: many large frames of many flows fit in what is
 * allotted, and what did not fit is counted. */
START_TEST(cap_respected)
{
	const size_t mem = 65536;
	struct pktstore *s = store(mem, 64);
	struct pktstore_figures f;
	struct pktstore_pkts *p;
	size_t held = 0;
	unsigned i, fl;

	for (i = 0; i < 2000; i++)
		add(s, 10, (uint16_t)(1000 + i % 40), 1, 443, i, 0x55, 1500);
	pktstore_figures(s, &f);
	ck_assert_uint_gt(f.cut, 0);
	ck_assert_uint_gt(f.kept, 0);
	for (fl = 0; fl < 40; fl++) {
		p = flow(s, 10, (uint16_t)(1000 + fl), 1, 443);
		ck_assert_uint_le(p->n, 64);
		held += p->len;
		pktstore_pkts_free(p);
	}
	ck_assert_uint_gt(held, 0);
	ck_assert_uint_le(held, mem);
	pktstore_free(s);
}
END_TEST

/* One flow alone: every frame past what fits is counted cut, exactly. */
START_TEST(cut_counted)
{
	struct pktstore *s = store(65536, 65535);
	struct pktstore_figures f;
	struct pktstore_pkts *p;
	unsigned i;

	for (i = 0; i < 500; i++)
		add(s, 10, 1000, 1, 443, i, 0x66, 1500);
	pktstore_figures(s, &f);
	ck_assert_uint_eq(f.kept + f.cut, 500);
	ck_assert_uint_gt(f.cut, 0);
	p = flow(s, 10, 1000, 1, 443);
	ck_assert_uint_eq(p->n, f.kept);
	pktstore_pkts_free(p);
	pktstore_free(s);
}
END_TEST

/* Under pressure the oldest flows give their room to new ones: the
 * newest flow keeps its frames, and what was taken back is counted. */
START_TEST(oldest_give_way)
{
	struct pktstore *s = store(65536, 16);
	struct pktstore_figures f;
	struct pktstore_pkts *p;
	unsigned i, fl;

	for (fl = 0; fl < 30; fl++)
		for (i = 0; i < 16; i++)
			add(s, 10, (uint16_t)(2000 + fl), 1, 443, fl * 100 + i,
			    0x77, 1000);
	p = flow(s, 10, 2029, 1, 443);
	ck_assert_uint_eq(p->n, 16);
	pktstore_pkts_free(p);
	p = flow(s, 10, 2000, 1, 443);
	ck_assert_uint_eq(p->n, 0);
	pktstore_pkts_free(p);
	pktstore_figures(s, &f);
	ck_assert_uint_eq(f.kept, 30 * 16);
	ck_assert_uint_gt(f.cut, 0);
	pktstore_free(s);
}
END_TEST

START_TEST(host_sample)
{
	struct pktstore *s = store(1 << 20, 64);
	struct pktstore_pkts *p;
	struct pktstore_rec r;
	const uint8_t *b;
	uint8_t vm[16], t1[16];
	size_t off = 0;
	uint64_t last = 0;
	unsigned i;

	addr(vm, 10);
	addr(t1, 1);
	for (i = 0; i < 50; i++) {
		add(s, 10, (uint16_t)(3000 + i), 1, 80, 10 * i, 0x11, 300);
		add(s, 10, (uint16_t)(3000 + i), 2, 80, 10 * i + 1, 0x22, 60);
		add(s, 20, 5000, 30, 80, 10 * i + 2, 0x33, 60);
		add(s, 1, 80, 10, (uint16_t)(3000 + i), 10 * i + 3, 0x44, 60);
	}
	/* 100 frames between vm and t1: the first 15 and the last 15. */
	p = pktstore_host(s, vm, t1, 0, 30);
	ck_assert_uint_eq(p->n, 30);
	for (i = 0; pktstore_pkts_next(p, &off, &r, &b); i++) {
		ck_assert(b[0] == 0x11 || b[0] == 0x44);	/* vm <-> t1 only */
		/* The ring keeps headers: the 300-byte frames are cut. */
		ck_assert_uint_le(r.caplen, 160);
		ck_assert_uint_eq(r.wire_len, b[0] == 0x11 ? 304 : 64);
		if (i == 0)
			ck_assert_uint_eq(r.ts_us, 0);
		if (i == 14)
			ck_assert_uint_eq(r.ts_us, 70);
		if (i == 15)
			ck_assert_uint_eq(r.ts_us, 423);
		ck_assert_uint_ge(r.ts_us, last);		/* oldest first */
		last = r.ts_us;
	}
	ck_assert_uint_eq(last, 493);	/* ends with the most recent */
	pktstore_pkts_free(p);
	/* Only the window's, when it has some. */
	p = pktstore_host(s, vm, t1, 400, 30);
	ck_assert_uint_eq(p->n, 20);
	pktstore_pkts_free(p);
	p = pktstore_host(s, vm, t1, 100000, 30);
	ck_assert_uint_eq(p->n, 30);
	pktstore_pkts_free(p);
	p = pktstore_host(s, vm, NULL, 0, 1000);
	off = 0;
	for (i = 0; pktstore_pkts_next(p, &off, &r, &b); i++)
		ck_assert(b[0] != 0x33);
	ck_assert_uint_eq(i, p->n);
	ck_assert_uint_eq(i, 150);
	pktstore_pkts_free(p);
	pktstore_free(s);
}
END_TEST

/* A replay of several files: a pcap file holds one link type, so a copy
 * holds only frames of one (a flow's first, the ring's latest). */
START_TEST(one_linktype)
{
	struct pktstore *s = store(1 << 20, 64);
	struct pktstore_pkts *p;
	uint8_t vm[16];

	add_linktype = 1;	/* Ethernet */
	add(s, 10, 1000, 1, 22, 100, 0xa1, 60);
	add(s, 1, 22, 10, 1000, 200, 0xa2, 60);
	add_linktype = 101;	/* raw IP, the next file */
	add(s, 10, 1000, 1, 22, 300, 0xa3, 60);
	add(s, 10, 2000, 1, 22, 400, 0xb1, 60);
	p = flow(s, 10, 1000, 1, 22);
	ck_assert_int_eq(p->linktype, 1);
	ck_assert_uint_eq(p->n, 2);
	pktstore_pkts_free(p);
	p = flow(s, 10, 2000, 1, 22);
	ck_assert_int_eq(p->linktype, 101);
	ck_assert_uint_eq(p->n, 1);
	pktstore_pkts_free(p);
	addr(vm, 10);
	p = pktstore_host(s, vm, NULL, 0, 100);
	ck_assert_int_eq(p->linktype, 101);
	ck_assert_uint_eq(p->n, 2);
	pktstore_pkts_free(p);
	p = flow(s, 10, 9, 1, 9);	/* no frames: the caller names the type */
	ck_assert_int_eq(p->linktype, -1);
	pktstore_pkts_free(p);
	add_linktype = 1;
	pktstore_free(s);
}
END_TEST

START_TEST(too_little)
{
	struct pktstore_cfg c;
	char err[256] = "";

	memset(&c, 0, sizeof(c));
	c.mem_bytes = 1000;
	c.flow_packets = 64;
	ck_assert_ptr_null(pktstore_new(&c, err, sizeof(err)));
	ck_assert_ptr_nonnull(strstr(err, "evidence_memory"));
	pktstore_free(NULL);
	pktstore_pkts_free(NULL);
}
END_TEST

Suite *
pktstore_suite(void)
{
	Suite *s = suite_create("pktstore");
	TCase *tc = tcase_create("pktstore");

	tcase_add_test(tc, flow_copy);
	tcase_add_test(tc, flow_first_packets);
	tcase_add_test(tc, cap_respected);
	tcase_add_test(tc, cut_counted);
	tcase_add_test(tc, oldest_give_way);
	tcase_add_test(tc, host_sample);
	tcase_add_test(tc, one_linktype);
	tcase_add_test(tc, too_little);
	suite_add_tcase(s, tc);
	return s;
}
