/*
 * test_heur_fet.c: the fully-encrypted-traffic detector: random openings
 * answered by random bytes are found, and every exemption holds (Wu et
 * al.'s: set bits per byte, printable prefix, printable share, printable
 * run; ours: a length field first, a TLS record, too few distinct bytes,
 * too short, the responder first, an answer in clear). BitTorrent's MSE
 * opening is told apart by its alternation and sizes.
 */
#include <check.h>
#include <stdint.h>
#include <string.h>

#include "heur.h"
#include "suites.h"

static uint64_t rng_state = 0x243f6a8885a308d3ULL;

static void
fill_random(uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		rng_state ^= rng_state << 13;
		rng_state ^= rng_state >> 7;
		rng_state ^= rng_state << 17;
		p[i] = (uint8_t)(rng_state >> 24);
	}
}

static void
pkt(struct heur_flow *st, int dir, const uint8_t *d, size_t len)
{
	struct heur_pkt p;

	memset(&p, 0, sizeof(p));
	p.data = d;
	p.len = len;
	p.dir = dir;
	p.proto = 6;
	heur_fet_observe(st, &p);
}

/* A client opening c (len n) answered by a random reply of m bytes. */
static int
judge(const uint8_t *c, size_t n, size_t m, struct heur_hit *h)
{
	struct heur_flow st;
	uint8_t r[1448];

	memset(&st, 0, sizeof(st));
	memset(h, 0, sizeof(*h));
	fill_random(r, m);
	pkt(&st, 0, c, n);
	pkt(&st, 1, r, m);
	return heur_fet_judge(&st, h);
}

START_TEST(random_openings)
{
	struct heur_hit h;
	uint8_t c[1448];
	unsigned hits = 0, i;

	/* Shadowsocks, VMess and obfs4 sizes: 177, 236, 1448 */
	fill_random(c, 177);
	c[0] = 0xa7;			/* not printable: see below */
	ck_assert_int_eq(judge(c, 177, 1448, &h), 1);
	ck_assert_int_eq(h.category, CAT_PROXY);
	ck_assert_int_eq(h.confidence, CONF_MEDIUM);
	ck_assert_str_eq(h.name, "fully-encrypted");
	/* random openings of many sizes are found all but rarely (a
	 * printable 4-byte prefix, 1 in 53, is exempt) */
	for (i = 0; i < 400; i++) {
		size_t n = 56 + (i * 37) % 1392;

		fill_random(c, n);
		hits += (unsigned)judge(c, n, 1448, &h);
	}
	ck_assert_uint_ge(hits, 370);
}
END_TEST

START_TEST(exemptions)
{
	struct heur_flow st;
	struct heur_hit h;
	uint8_t c[600], r[600];
	size_t i;

	fill_random(c, sizeof(c));
	c[0] = 0x9c;
	/* too short */
	ck_assert_int_eq(judge(c, 40, 600, &h), 0);
	/* a printable magic of four bytes ("ZBXD" and the like) */
	memcpy(c, "ZBXD", 4);
	ck_assert_int_eq(judge(c, 600, 600, &h), 0);
	fill_random(c, sizeof(c));
	c[0] = 0x9c;
	/* a run of more than 20 printable bytes */
	memset(c + 100, 'x', 21);
	ck_assert_int_eq(judge(c, 600, 600, &h), 0);
	fill_random(c, sizeof(c));
	c[0] = 0x9c;
	/* more than half printable */
	for (i = 0; i < 400; i++)
		c[i] = (uint8_t)(0x21 + (c[i] % 90));
	for (i = 0; i < 400; i += 15)
		c[i] = 0x01;		/* no long run */
	ck_assert_int_eq(judge(c, 600, 600, &h), 0);
	/* too few set bits: half the bytes zero */
	fill_random(c, sizeof(c));
	for (i = 1; i < 600; i += 2)
		c[i] = 0;
	ck_assert_int_eq(judge(c, 600, 600, &h), 0);
	/* a length field first, as DNS, Kerberos and RPC frame */
	fill_random(c, sizeof(c));
	c[0] = 0x02;
	c[1] = 0x56;			/* 598 + 2 */
	ck_assert_int_eq(judge(c, 600, 600, &h), 0);
	/* a TLS record caught mid-connection */
	fill_random(c, sizeof(c));
	memcpy(c, "\x17\x03\x03\x02\x53", 5);
	ck_assert_int_eq(judge(c, 600, 600, &h), 0);
	/* too few distinct bytes for random bytes of its length */
	for (i = 0; i < 600; i++)
		c[i] = (uint8_t)(0x80 | (i * 7 % 64));
	ck_assert_int_eq(judge(c, 600, 600, &h), 0);
	/* the responder spoke first (a server banner protocol) */
	fill_random(c, sizeof(c));
	c[0] = 0x9c;
	fill_random(r, sizeof(r));
	memset(&st, 0, sizeof(st));
	pkt(&st, 1, r, 600);
	pkt(&st, 0, c, 600);
	ck_assert_int_eq(heur_fet_judge(&st, &h), 0);
	/* answered in clear */
	memset(&st, 0, sizeof(st));
	pkt(&st, 0, c, 600);
	pkt(&st, 1, (const uint8_t *)"HTTP/1.1 400 Bad Request\r\n\r\n", 28);
	ck_assert_int_eq(heur_fet_judge(&st, &h), 0);
	/* never answered */
	memset(&st, 0, sizeof(st));
	pkt(&st, 0, c, 600);
	ck_assert_int_eq(heur_fet_judge(&st, &h), 0);
}
END_TEST

START_TEST(mse)
{
	struct heur_flow st;
	struct heur_hit h;
	uint8_t a[608], b[608], c[200];

	/* Ya + PadA, Yb + PadB, then the hashes and the encrypted rest */
	fill_random(a, sizeof(a));
	fill_random(b, sizeof(b));
	fill_random(c, sizeof(c));
	a[0] = b[0] = c[0] = 0xe1;
	memset(&st, 0, sizeof(st));
	pkt(&st, 0, a, 419);
	pkt(&st, 1, b, 387);
	pkt(&st, 0, c, 99);
	ck_assert_int_eq(heur_fet_judge(&st, &h), 1);
	ck_assert_int_eq(h.category, CAT_P2P);
	ck_assert_str_eq(h.name, "bittorrent-mse");
	/* a reply longer than a key and its padding can be: a tunnel */
	memset(&st, 0, sizeof(st));
	pkt(&st, 0, a, 419);
	pkt(&st, 1, b, 608);
	pkt(&st, 1, b, 608);
	pkt(&st, 0, c, 99);
	ck_assert_int_eq(heur_fet_judge(&st, &h), 1);
	ck_assert_int_eq(h.category, CAT_PROXY);
}
END_TEST

START_TEST(stratum_v2)
{
	struct heur_flow st;
	struct heur_hit h;
	uint8_t a[64], b[234];

	fill_random(a, sizeof(a));
	fill_random(b, sizeof(b));
	a[0] = b[0] = 0xd3;
	memset(&st, 0, sizeof(st));
	pkt(&st, 0, a, 64);
	pkt(&st, 1, b, 234);
	ck_assert_int_eq(heur_fet_judge(&st, &h), 1);
	ck_assert_int_eq(h.category, CAT_MINING);
	ck_assert_str_eq(h.name, "stratum-v2");
	/* another answer size is no Stratum V2 handshake */
	memset(&st, 0, sizeof(st));
	pkt(&st, 0, a, 64);
	pkt(&st, 1, b, 200);
	ck_assert_int_eq(heur_fet_judge(&st, &h), 1);
	ck_assert_int_eq(h.category, CAT_PROXY);
}
END_TEST

static void
dgram(struct heur_flow *st, int dir, const uint8_t *d, size_t len)
{
	struct heur_pkt p;

	memset(&p, 0, sizeof(p));
	p.data = d;
	p.len = len;
	p.dir = dir;
	p.proto = 17;
	heur_fet_observe(st, &p);
}

/* n random datagrams each way, alternating; head, when given, is kept in
 * clear at the start of each (hlen bytes). */
static int
udp_flow(unsigned nc, unsigned ns, const uint8_t *head, size_t hlen,
    struct heur_hit *h)
{
	struct heur_flow st;
	uint8_t d[400];
	unsigned i;

	memset(&st, 0, sizeof(st));
	memset(h, 0, sizeof(*h));
	for (i = 0; i < nc || i < ns; i++) {
		if (i < nc) {
			fill_random(d, 100 + 37 * i);
			memcpy(d, head, hlen);
			dgram(&st, 0, d, 100 + 37 * i);
		}
		if (i < ns) {
			fill_random(d, 120 + 29 * i);
			memcpy(d, head, hlen);
			dgram(&st, 1, d, 120 + 29 * i);
		}
	}
	return heur_fet_judge(&st, h);
}

START_TEST(udp)
{
	static const uint8_t dtls[] = { 0x17, 0xfe, 0xfd };
	static const uint8_t quic[] = { 0x41, 0x8c, 0x21, 0x07 };
	struct heur_hit h;
	uint8_t zero = 0;

	/* Shadowsocks' and static-key OpenVPN's datagrams: random from the
	 * first byte, both ways. */
	ck_assert_int_eq(udp_flow(3, 3, &zero, 0, &h), 1);
	ck_assert_int_eq(h.category, CAT_PROXY);
	ck_assert_str_eq(h.name, "fully-encrypted-udp");
	ck_assert_str_eq(h.detail, "3 datagrams one way and 3 the other, "
	    "each random from its first byte, no header");
	/* Unanswered, or answered twice only. */
	ck_assert_int_eq(udp_flow(6, 0, &zero, 0, &h), 0);
	ck_assert_int_eq(udp_flow(3, 2, &zero, 0, &h), 0);
	/* A header in clear: DTLS's content type and version, a QUIC short
	 * header's connection id (its first byte changes under header
	 * protection), even one constant byte. */
	ck_assert_int_eq(udp_flow(4, 4, dtls, sizeof(dtls), &h), 0);
	ck_assert_int_eq(udp_flow(4, 4, quic + 1, 3, &h), 0);
	ck_assert_int_eq(udp_flow(4, 4, &zero, 1, &h), 0);
}
END_TEST

START_TEST(udp_not_random)
{
	struct heur_flow st;
	struct heur_hit h;
	uint8_t d[200];
	unsigned i;

	/* One datagram of text among random ones ends the judgement. */
	memset(&st, 0, sizeof(st));
	for (i = 0; i < 4; i++) {
		fill_random(d, sizeof(d));
		if (i == 2)
			memset(d, 'a', 60);
		dgram(&st, 0, d, sizeof(d));
		fill_random(d, sizeof(d));
		dgram(&st, 1, d, sizeof(d));
	}
	ck_assert_int_eq(heur_fet_judge(&st, &h), 0);
	/* Short datagrams (keepalives, acks) are no evidence. */
	memset(&st, 0, sizeof(st));
	for (i = 0; i < 4; i++) {
		fill_random(d, 16);
		dgram(&st, 0, d, 16);
		dgram(&st, 1, d, 16);
	}
	ck_assert_int_eq(heur_fet_judge(&st, &h), 0);
}
END_TEST

START_TEST(framed)
{
	struct heur_flow st;
	struct heur_hit h;
	uint8_t a[82], b[226];

	/* OpenVPN static-key over TCP: a 2-byte length, then HMAC, IV and
	 * ciphertext. */
	fill_random(a, sizeof(a));
	fill_random(b, sizeof(b));
	a[0] = 0;
	a[1] = sizeof(a) - 2;
	b[0] = 0;
	b[1] = sizeof(b) - 2;
	memset(&st, 0, sizeof(st));
	pkt(&st, 0, a, sizeof(a));
	pkt(&st, 1, b, sizeof(b));
	ck_assert_int_eq(heur_fet_judge(&st, &h), 1);
	ck_assert_int_eq(h.category, CAT_PROXY);
	ck_assert_str_eq(h.detail, "82 bytes: a 2-byte length, then random "
	    "(OpenVPN's TCP framing), answered in kind");
	/* An answer not framed so is not in kind. */
	b[1] ^= 0x10;
	memset(&st, 0, sizeof(st));
	pkt(&st, 0, a, sizeof(a));
	pkt(&st, 1, b, sizeof(b));
	ck_assert_int_eq(heur_fet_judge(&st, &h), 0);
	/* A framed body with structure (a DNS query over TCP) is nothing. */
	memcpy(a + 2, "\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00"
	    "\x07" "example\x03" "com\x00\x00\x01\x00\x01", 29);
	a[1] = 29;
	memset(&st, 0, sizeof(st));
	pkt(&st, 0, a, 31);
	pkt(&st, 1, b, sizeof(b));
	ck_assert_int_eq(heur_fet_judge(&st, &h), 0);
}
END_TEST

Suite *
heur_fet_suite(void)
{
	Suite *s = suite_create("heur_fet");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, random_openings);
	tcase_add_test(tc, exemptions);
	tcase_add_test(tc, mse);
	tcase_add_test(tc, stratum_v2);
	tcase_add_test(tc, udp);
	tcase_add_test(tc, framed);
	tcase_add_test(tc, udp_not_random);
	suite_add_tcase(s, tc);
	return s;
}
