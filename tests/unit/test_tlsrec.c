/*
 * test_tlsrec.c: TLS record sizes and what they carry. Sessions are fed
 * as record headers with the lengths and times the real programs gave in
 * the recordings (tests/golden/ssh-tls/: OpenSSH behind stunnel4;
 * meek.pcap: tor's meek_lite; tor-link.pcap: two tor), against ordinary
 * HTTPS (curl and a browser over HTTP/1.1 and HTTP/2), which must give
 * nothing; and records split across segments.
 */
#include <check.h>
#include <stdint.h>
#include <string.h>

#include "slotpool.h"
#include "suites.h"
#include "tlsrec.h"

/* One record: direction, content type, length, milliseconds. */
struct r {
	int dir, type, len, ms;
};

#define HS 22
#define CCS 20
#define AD 23

/* Feeds the records, each in a segment of its own (payload bytes 0). */
static void
feed_all(struct tlsrec *t, const struct r *rs, size_t n)
{
	static uint8_t seg[17000];
	size_t i;

	for (i = 0; i < n; i++) {
		memset(seg, 0, 5 + (size_t)rs[i].len);
		seg[0] = (uint8_t)rs[i].type;
		seg[1] = 3;
		seg[2] = 3;
		seg[3] = (uint8_t)(rs[i].len >> 8);
		seg[4] = (uint8_t)rs[i].len;
		tlsrec_feed(t, rs[i].dir, seg, 5 + (size_t)rs[i].len,
		    5 + (size_t)rs[i].len,
		    1000000ULL + (uint64_t)rs[i].ms * 1000);
	}
}

static int
judge(const struct r *rs, size_t n, struct heur_hit *h)
{
	struct slotpool *p = slotpool_new(2, tlsrec_size());
	uint16_t s = slotpool_take(p);
	struct tlsrec *t = slotpool_get(p, s);
	int r;

	feed_all(t, rs, n);
	memset(h, 0, sizeof(*h));
	r = tlsrec_judge(t, h);
	slotpool_give(p, s);
	slotpool_free(p);
	return r;
}

/* Feeds the records; returns the delayed refusals. */
static unsigned
delayed(const struct r *rs, size_t n)
{
	struct slotpool *p = slotpool_new(2, tlsrec_size());
	uint16_t s = slotpool_take(p);
	struct tlsrec *t = slotpool_get(p, s);
	unsigned d;

	feed_all(t, rs, n);
	d = tlsrec_delayed_replies(t);
	slotpool_give(p, s);
	slotpool_free(p);
	return d;
}

/* TLS 1.3 opening: ClientHello; ServerHello, CCS, encrypted flight;
 * client CCS and Finished. */
#define OPEN13 \
	{ 0, HS, 512, 0 }, { 1, HS, 122, 1 }, { 1, CCS, 1, 1 }, \
	{ 1, AD, 27, 1 }, { 1, AD, 455, 1 }, { 1, AD, 97, 1 }, \
	{ 1, AD, 69, 1 }, { 0, CCS, 1, 2 }, { 0, AD, 69, 2 }

START_TEST(ssh_inside)
{
	static const struct r ssh[] = {
		OPEN13,
		{ 0, AD, 58, 8 }, { 1, AD, 282, 9 }, { 1, AD, 282, 9 },
		{ 1, AD, 58, 35 }, { 0, AD, 1577, 36 }, { 1, AD, 1105, 37 },
		{ 0, AD, 1225, 173 }, { 1, AD, 1581, 180 }, { 0, AD, 33, 181 },
		{ 0, AD, 61, 182 }, { 1, AD, 61, 183 },
	};
	struct heur_hit h;

	ck_assert_int_eq(judge(ssh, sizeof(ssh) / sizeof(ssh[0]), &h), 1);
	ck_assert_str_eq(h.name, "ssh-in-tls");
	ck_assert_int_eq(h.category, CAT_REMOTE_ACCESS);
}
END_TEST

START_TEST(tls_inside)
{
	/* the inner hello, the inner server flight, the inner Finished at
	 * once, then the request */
	static const struct r tun[] = {
		OPEN13,
		{ 1, AD, 282, 3 }, { 0, AD, 551, 4 }, { 1, AD, 1448, 30 },
		{ 1, AD, 300, 30 }, { 0, AD, 114, 31 }, { 0, AD, 120, 31 },
		{ 1, AD, 2000, 60 },
	};
	/* the same sizes with the client's small record 300 ms later: an
	 * application's next request, not a Finished */
	static const struct r app[] = {
		OPEN13,
		{ 1, AD, 282, 3 }, { 0, AD, 551, 4 }, { 1, AD, 1448, 30 },
		{ 1, AD, 300, 30 }, { 0, AD, 114, 330 }, { 1, AD, 900, 360 },
	};
	/* trojan-https.pcap: the inner Finished and the GET in one record */
	static const struct r merged[] = {
		OPEN13,
		{ 0, AD, 602, 3 }, { 1, AD, 74, 3 }, { 1, AD, 74, 3 },
		{ 1, AD, 834, 4 }, { 0, AD, 210, 5 }, { 1, AD, 4899, 30 },
	};
	struct heur_hit h;

	ck_assert_int_eq(judge(merged, sizeof(merged) / sizeof(merged[0]), &h),
	    1);
	ck_assert_str_eq(h.name, "tls-in-tls");
	ck_assert_int_eq(judge(tun, sizeof(tun) / sizeof(tun[0]), &h), 1);
	ck_assert_str_eq(h.name, "tls-in-tls");
	ck_assert_int_eq(h.category, CAT_PROXY);
	ck_assert_int_eq(judge(app, sizeof(app) / sizeof(app[0]), &h), 0);
}
END_TEST

START_TEST(tor_cells)
{
	static const struct r tor[] = {
		OPEN13,
		{ 0, AD, 28, 20 }, { 1, AD, 2053, 22 }, { 0, AD, 531, 24 },
		{ 0, AD, 531, 24 }, { 1, AD, 531, 25 }, { 1, AD, 1045, 26 },
		{ 0, AD, 531, 30 }, { 1, AD, 531, 31 }, { 0, AD, 531, 1030 },
	};
	struct heur_hit h;

	ck_assert_int_eq(judge(tor, sizeof(tor) / sizeof(tor[0]), &h), 1);
	ck_assert_str_eq(h.name, "tor-cells");
}
END_TEST

START_TEST(mining_cadence)
{
	/* XMRig behind stunnel (xmrig-tls.pcap): the login, the pool's two
	 * tickets and first job, then shares of 234 bytes at the times the
	 * miner found them, each answered at once by the accept and the
	 * next job in one 470-byte record. */
	static const struct r xmrig[] = {
		OPEN13,
		{ 0, AD, 592, 3 }, { 1, AD, 266, 4 }, { 1, AD, 266, 4 },
		{ 1, AD, 521, 5 }, { 0, AD, 234, 1802 }, { 1, AD, 80, 1803 },
		{ 1, AD, 407, 1805 }, { 0, AD, 234, 4061 }, { 1, AD, 470, 4062 },
		{ 0, AD, 234, 4170 }, { 1, AD, 470, 4171 }, { 0, AD, 234, 4471 },
		{ 1, AD, 470, 4472 }, { 0, AD, 234, 7825 }, { 1, AD, 470, 7826 },
		{ 0, AD, 234, 10713 }, { 1, AD, 470, 10714 },
		{ 0, AD, 234, 11025 }, { 1, AD, 470, 11026 },
	};
	/* The same exchange on a timer (a poll every 2 s) is no mining. */
	static const struct r poll[] = {
		OPEN13,
		{ 0, AD, 592, 3 }, { 1, AD, 521, 5 },
		{ 0, AD, 234, 2000 }, { 1, AD, 470, 2001 },
		{ 0, AD, 234, 4000 }, { 1, AD, 470, 4001 },
		{ 0, AD, 234, 6001 }, { 1, AD, 470, 6002 },
		{ 0, AD, 234, 8000 }, { 1, AD, 470, 8001 },
		{ 0, AD, 234, 10002 }, { 1, AD, 470, 10003 },
		{ 0, AD, 234, 12000 }, { 1, AD, 470, 12001 },
	};
	/* Irregular requests answered with pages of many sizes. */
	static const struct r pages[] = {
		OPEN13,
		{ 0, AD, 592, 3 }, { 1, AD, 521, 5 },
		{ 0, AD, 234, 1802 }, { 1, AD, 1470, 1803 },
		{ 0, AD, 234, 4061 }, { 1, AD, 3470, 4062 },
		{ 0, AD, 234, 4170 }, { 1, AD, 870, 4171 },
		{ 0, AD, 234, 4471 }, { 1, AD, 2470, 4472 },
		{ 0, AD, 234, 7825 }, { 1, AD, 5470, 7826 },
		{ 0, AD, 234, 10713 }, { 1, AD, 670, 10714 },
	};
	struct heur_hit h;

	ck_assert_int_eq(judge(xmrig, sizeof(xmrig) / sizeof(xmrig[0]), &h), 1);
	ck_assert_str_eq(h.name, "mining-cadence");
	ck_assert_int_eq(h.category, CAT_MINING);
	ck_assert_int_eq(judge(poll, sizeof(poll) / sizeof(poll[0]), &h), 0);
	ck_assert_int_eq(judge(pages, sizeof(pages) / sizeof(pages[0]), &h), 0);
}
END_TEST

START_TEST(early_server_data)
{
	/* simple-obfs's tls mode (ss-obfs-tls.pcap): a ClientHello carrying
	 * the request, then the server's hello, CCS, "Finished" and data. */
	static const struct r obfs[] = {
		{ 0, HS, 420, 0 }, { 1, HS, 91, 1 }, { 1, CCS, 1, 1 },
		{ 1, HS, 254, 1 }, { 1, AD, 7874, 2 },
	};
	/* A real resumption: the client's CCS and Finished come first. */
	static const struct r resumed[] = {
		{ 0, HS, 420, 0 }, { 1, HS, 91, 1 }, { 1, CCS, 1, 1 },
		{ 1, HS, 40, 1 }, { 0, CCS, 1, 2 }, { 0, HS, 40, 2 },
		{ 0, AD, 300, 2 }, { 1, AD, 7874, 3 },
	};
	/* TLS 1.3 (middlebox compatibility): data records after the CCS
	 * are the encrypted handshake. */
	static const struct r v13[] = { OPEN13, { 1, AD, 500, 3 } };
	struct heur_hit h;

	ck_assert_int_eq(judge(obfs, sizeof(obfs) / sizeof(obfs[0]), &h), 1);
	ck_assert_str_eq(h.name, "tls-imitation");
	ck_assert_int_eq(judge(resumed, sizeof(resumed) / sizeof(resumed[0]), &h), 0);
	ck_assert_int_eq(judge(v13, sizeof(v13) / sizeof(v13[0]), &h), 0);
}
END_TEST

START_TEST(ordinary_https)
{
	/* curl, HTTP/1.1: tickets, a GET, the answer */
	static const struct r curl[] = {
		OPEN13,
		{ 0, AD, 103, 3 }, { 1, AD, 282, 3 }, { 1, AD, 282, 3 },
		{ 1, AD, 4158, 4 }, { 0, AD, 19, 5 },
	};
	/* a browser over HTTP/2: preface and settings, headers, several
	 * requests and answers, acknowledgements */
	static const struct r h2[] = {
		OPEN13,
		{ 0, AD, 81, 3 }, { 0, AD, 109, 3 }, { 0, AD, 487, 3 },
		{ 1, AD, 287, 4 }, { 1, AD, 2600, 5 }, { 0, AD, 26, 5 },
		{ 0, AD, 470, 9 }, { 0, AD, 92, 9 }, { 1, AD, 1448, 10 },
		{ 1, AD, 1448, 10 }, { 0, AD, 43, 11 }, { 1, AD, 900, 12 },
		{ 0, AD, 43, 13 },
	};
	/* TLS 1.2, HTTP/1.1 keep-alive: 20 requests of one size */
	struct r keep[TLSREC_MAX];
	struct heur_hit h;
	size_t i;

	ck_assert_int_eq(judge(curl, sizeof(curl) / sizeof(curl[0]), &h), 0);
	ck_assert_int_eq(judge(h2, sizeof(h2) / sizeof(h2[0]), &h), 0);
	keep[0] = (struct r){ 0, HS, 217, 0 };
	keep[1] = (struct r){ 1, HS, 1353, 1 };
	keep[2] = (struct r){ 0, HS, 88, 2 };
	keep[3] = (struct r){ 0, CCS, 1, 2 };
	keep[4] = (struct r){ 0, HS, 40, 2 };
	keep[5] = (struct r){ 1, CCS, 1, 3 };
	keep[6] = (struct r){ 1, HS, 40, 3 };
	for (i = 7; i < TLSREC_MAX; i++)
		keep[i] = (struct r){ (int)(i & 1), AD, i & 1 ? 280 : 153,
		    (int)(i * 100) };
	ck_assert_int_eq(judge(keep, TLSREC_MAX, &h), 0);
}
END_TEST

START_TEST(split_and_pool)
{
	struct slotpool *p = slotpool_new(2, tlsrec_size());
	struct tlsrec *t;
	uint8_t b[64];
	uint16_t s1, s2, s3;

	s1 = slotpool_take(p);
	s2 = slotpool_take(p);
	s3 = slotpool_take(p);
	ck_assert_uint_ne(s1, 0);
	ck_assert_uint_ne(s2, 0);
	ck_assert_uint_eq(s3, 0);	/* the pool is full */
	ck_assert_ptr_null(slotpool_get(p, 3));
	t = slotpool_get(p, s1);
	/* a header split in three, then a record spanning segments */
	memcpy(b, "\x16\x03", 2);
	ck_assert_int_eq(tlsrec_feed(t, 0, b, 2, 2, 1), 0);
	memcpy(b, "\x01\x00", 2);
	ck_assert_int_eq(tlsrec_feed(t, 0, b, 2, 2, 2), 0);
	memset(b, 0, sizeof(b));
	b[0] = 0x30;		/* length 48 */
	ck_assert_int_eq(tlsrec_feed(t, 0, b, 20, 20, 3), 0);
	ck_assert_int_eq(tlsrec_feed(t, 0, b, 29, 29, 4), 0);
	/* a byte that is no record type stops the direction */
	b[0] = 0x42;
	ck_assert_int_eq(tlsrec_feed(t, 0, b, 10, 10, 5), 0);
	slotpool_give(p, s1);
	slotpool_give(p, s1);		/* twice is harmless */
	ck_assert_ptr_null(slotpool_get(p, s1));
	ck_assert_uint_eq(slotpool_take(p), s1);
	slotpool_free(p);
	slotpool_free(NULL);
}
END_TEST

/* hydra against dovecot's IMAPS (TLS 1.2, record sizes and times of the
 * recording): AUTHENTICATE LOGIN's three steps, the refusal 1.4 to 1.7 s
 * after the password, the next try 0.1 s later; ten tries, past the
 * records kept. A client whose logins are answered at once, and a long
 * poll answered after 2 s with a large reply, have none. */
START_TEST(delayed_refusals)
{
	struct r guess[8 + 6 * 10], quick[8 + 6 * 10], poll[8 + 2 * 10];
	static const struct r open12[8] = {
		{ 0, HS, 512, 0 }, { 1, HS, 122, 200 }, { 1, HS, 700, 200 },
		{ 0, HS, 70, 203 }, { 0, CCS, 1, 203 }, { 0, AD, 69, 203 },
		{ 1, CCS, 1, 204 }, { 1, AD, 69, 204 }
	};
	size_t i, n;
	uint16_t ms;

	memcpy(guess, open12, sizeof(open12));
	memcpy(quick, open12, sizeof(open12));
	memcpy(poll, open12, sizeof(open12));
	for (i = 0, n = 8, ms = 300; i < 10; i++, n += 6, ms += 1800) {
		struct r g[6] = {
			{ 0, AD, 39, ms }, { 1, AD, 33, ms + 1 },
			{ 0, AD, 31, ms + 100 }, { 1, AD, 33, ms + 102 },
			{ 0, AD, 31, ms + 204 }, { 1, AD, 69, ms + 1700 }
		};

		memcpy(guess + n, g, sizeof(g));
		memcpy(quick + n, g, sizeof(g));
		quick[n + 5].ms = ms + 210;	/* answered at once */
		poll[8 + 2 * i] = (struct r){ 0, AD, 90, ms };
		poll[8 + 2 * i + 1] = (struct r){ 1, AD, 900, ms + 1700 };
	}
	ck_assert_uint_eq(delayed(guess, n), 9);	/* the tenth: no next */
	ck_assert_uint_eq(delayed(quick, n), 0);
	ck_assert_uint_eq(delayed(poll, 8 + 2 * 10), 0);
}
END_TEST

Suite *
tlsrec_suite(void)
{
	Suite *s = suite_create("tlsrec");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, ssh_inside);
	tcase_add_test(tc, tls_inside);
	tcase_add_test(tc, tor_cells);
	tcase_add_test(tc, mining_cadence);
	tcase_add_test(tc, early_server_data);
	tcase_add_test(tc, ordinary_https);
	tcase_add_test(tc, split_and_pool);
	tcase_add_test(tc, delayed_refusals);
	suite_add_tcase(s, tc);
	return s;
}
