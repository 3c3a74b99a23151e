/*
 * test_sshshape.c: SSH tunnels by traffic shape, with the client packet
 * sizes of the recordings (tests/golden/ssh-interactive/: a person
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
		sshshape_feed(t, 0, NULL, 0, 100);	/* banner, kex, login */
	for (i = 0; i < n; i++) {
		sshshape_feed(t, 0, NULL, 0, (size_t)sizes[i]);
		sshshape_feed(t, 1, NULL, 0, 36);
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

/*
 * The login, from the segment sizes of two recordings: medusa-ssh.pcap
 * (libssh2 against OpenSSH with AES-CTR and HMAC-SHA2-256: SERVICE_ACCEPT
 * 64 bytes, then six failures of 80 bytes for its three passwords) and ssh.pcap
 * (OpenSSH 9.2 both ends, chacha20-poly1305: a public key accepted, the
 * failure to "none" as large as SERVICE_ACCEPT, success 28 bytes).
 */
struct seg {
	int dir;
	int len;
};

static void
login_of(const struct seg *segs, size_t n, struct sshshape_login *out)
{
	static const uint8_t newkeys[16] = { 0, 0, 0, 12, 10, 21 };
	static const uint8_t kexinit[8] = { 0, 0, 4, 0x3c, 9, 20 };
	struct slotpool *p = slotpool_new(1, sshshape_size());
	uint16_t s = slotpool_take(p);
	struct sshshape *t = slotpool_get(p, s);
	size_t i;

	sshshape_feed(t, 0, (const uint8_t *)"SSH-2.0-x\r\n", 11, 11);
	sshshape_feed(t, 1, (const uint8_t *)"SSH-2.0-y\r\n", 11, 11);
	sshshape_feed(t, 1, kexinit, sizeof(kexinit), 1088);
	/* The server's reply holds its NEWKEYS: no matter, the client's
	 * opens the login. */
	sshshape_feed(t, 0, newkeys, sizeof(newkeys), sizeof(newkeys));
	for (i = 0; i < n; i++)
		sshshape_feed(t, segs[i].dir, NULL, 0, (size_t)segs[i].len);
	sshshape_login(t, out);
	slotpool_give(p, s);
	slotpool_free(p);
}

START_TEST(login)
{
	static const struct seg medusa[] = { { 0, 64 }, { 1, 64 }, { 0, 80 },
		{ 1, 80 }, { 0, 112 }, { 1, 80 }, { 0, 80 }, { 1, 80 },
		{ 0, 96 }, { 1, 80 }, { 0, 80 }, { 1, 80 }, { 0, 96 },
		{ 1, 80 }, { 0, 80 }, { 1, 96 }, { 0, 64 } };
	static const struct seg openssh[] = { { 0, 44 }, { 1, 44 }, { 0, 60 },
		{ 1, 44 }, { 0, 140 }, { 1, 100 }, { 0, 308 }, { 1, 28 },
		{ 0, 112 }, { 1, 600 } };
	/* The success shares a segment with what follows: the client goes
	 * on (a channel, a command, a window change, data). */
	static const struct seg merged[] = { { 0, 44 }, { 1, 44 }, { 0, 60 },
		{ 1, 52 }, { 0, 120 }, { 1, 52 }, { 0, 120 }, { 1, 700 },
		{ 0, 112 }, { 0, 36 }, { 0, 36 }, { 0, 36 } };
	/* A MOTD before the first failure is skipped. */
	static const struct seg banner[] = { { 0, 44 }, { 1, 44 }, { 0, 60 },
		{ 1, 900 }, { 1, 52 }, { 0, 120 }, { 1, 52 }, { 0, 120 },
		{ 1, 52 } };
	struct sshshape_login l;

	login_of(medusa, sizeof(medusa) / sizeof(medusa[0]), &l);
	ck_assert_int_eq(l.read, 1);
	ck_assert_int_eq(l.success, 0);
	ck_assert_uint_eq(l.refused, 5);
	login_of(openssh, sizeof(openssh) / sizeof(openssh[0]), &l);
	ck_assert_int_eq(l.read, 1);
	ck_assert_int_eq(l.success, 1);
	login_of(merged, sizeof(merged) / sizeof(merged[0]), &l);
	ck_assert_int_eq(l.success, 1);
	ck_assert_uint_eq(l.refused, 1);
	login_of(banner, sizeof(banner) / sizeof(banner[0]), &l);
	ck_assert_int_eq(l.success, 0);
	ck_assert_uint_eq(l.refused, 2);
	/* Nothing read before NEWKEYS. */
	login_of(NULL, 0, &l);
	ck_assert_int_eq(l.read, 0);
}
END_TEST

Suite *
sshshape_suite(void)
{
	Suite *s = suite_create("sshshape");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, shapes);
	tcase_add_test(tc, login);
	suite_add_tcase(s, tc);
	return s;
}
