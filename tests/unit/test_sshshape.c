/*
 * test_sshshape.c: SSH tunnels by traffic shape, with the client packet
 * sizes of the recordings (tests/captures/ssh-interactive.pcap: a person
 * typing; sshuttle.pcap: its code upload and tunnelled fetches;
 * ssh-socks.pcap: ssh -D with curl through it): a shell gives nothing, the
 * tunnels a proxy finding; too short a session is not judged.
 */
#include <check.h>
#include <stdint.h>
#include <string.h>

#include "slotpool.h"
#include "sshshape.h"
#include "suites.h"

static int
run(const int *sizes, size_t n, struct heur_hit *h)
{
	struct slotpool *p = slotpool_new(1, sshshape_size());
	uint16_t s = slotpool_take(p);
	struct sshshape *t = slotpool_get(p, s);
	size_t i;
	int r;

	ck_assert_uint_ne(s, 0);
	ck_assert_uint_eq(slotpool_take(p), 0);		/* the pool is full */
	for (i = 0; i < SSH_SKIP; i++)
		sshshape_feed(t, 0, 100);	/* banner, kex, login */
	for (i = 0; i < n; i++) {
		sshshape_feed(t, 0, (size_t)sizes[i]);
		sshshape_feed(t, 1, 36);
	}
	memset(h, 0, sizeof(*h));
	r = sshshape_judge(t, h);
	slotpool_give(p, s);
	slotpool_free(p);
	return r;
}

START_TEST(shapes)
{
	static const int typing[] = { 36, 36, 36, 36, 36, 36, 36, 36, 36, 36,
		36, 36, 36, 36, 36, 36, 36, 36, 36, 36, 52, 36, 36, 36 };
	static const int sshuttle[] = { 112, 268, 1448, 1448, 1448, 1448, 1448,
		1448, 1448, 1448, 1448, 1448, 1448, 1084, 36, 36, 36, 36, 36,
		36, 36, 36, 36, 92, 124, 140 };
	static const int socks[] = { 92, 124, 36, 36, 92, 124, 36, 92, 124,
		36, 92, 124, 36, 92, 124, 76 };
	static const int shortone[] = { 92, 124, 1448 };
	struct heur_hit h;

	ck_assert_int_eq(run(typing, sizeof(typing) / sizeof(typing[0]), &h), 0);
	ck_assert_int_eq(run(sshuttle, sizeof(sshuttle) / sizeof(sshuttle[0]),
	    &h), 1);
	ck_assert_str_eq(h.name, "ssh-tunnel");
	ck_assert_int_eq(h.category, CAT_PROXY);
	ck_assert_int_eq(run(socks, sizeof(socks) / sizeof(socks[0]), &h), 1);
	ck_assert_int_eq(run(shortone, 3, &h), 0);
}
END_TEST

Suite *
sshshape_suite(void)
{
	Suite *s = suite_create("sshshape");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, shapes);
	suite_add_tcase(s, tc);
	return s;
}
