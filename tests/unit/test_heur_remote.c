/*
 * test_heur_remote.c: the remote-access heuristics on the opening messages
 * of the real programs (bytes as rsh-redone 85, netkit in.rexecd 0.17 and
 * Xorg send them, recorded in tests/golden/rsh/), on handshakes
 * built from their specifications (MS-RDPEUDP, Citrix ICA), and on
 * random bytes, which must never match.
 */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "heur.h"
#include "suites.h"
#include "util.h"

#define TCP 6
#define UDP 17
#define BIN(s) (const uint8_t *)(s), sizeof(s) - 1

static int
feed(struct heur_flow *st, uint8_t proto, int dir, unsigned index,
    const uint8_t *data, size_t len, struct heur_hit *hit)
{
	struct heur_pkt p;
	uint8_t *copy = malloc(len ? len : 1);
	int r;

	memcpy(copy, data, len);
	memset(&p, 0, sizeof(p));
	memset(hit, 0, sizeof(*hit));
	p.data = copy;
	p.len = len;
	p.dir = dir;
	p.proto = proto;
	p.index = index;
	r = heur_remote(st, &p, hit);
	free(copy);
	return r;
}

#define HIT(r, h, conf, nm) do {					\
	ck_assert_int_eq((r), 1);					\
	ck_assert_int_eq((h).category, CAT_REMOTE_ACCESS);		\
	ck_assert_int_eq((h).confidence, (conf));			\
	ck_assert_str_eq((h).name, (nm));				\
} while (0)

START_TEST(r_commands)
{
	struct heur_flow st;
	struct heur_hit h;
	int r;

	/* rsh-redone's rsh: stderr port, local user, remote user, command */
	memset(&st, 0, sizeof(st));
	r = feed(&st, TCP, 0, 0, BIN("1022\0root\0egd-rsh-nouser\0"
	    "echo hello; uname -s\0"), &h);
	HIT(r, h, CONF_MEDIUM, "rsh");
	ck_assert_str_eq(h.detail, "remote command for 'root' with a stderr port");
	r = feed(&st, TCP, 1, 1, BIN("\0"), &h);
	HIT(r, h, CONF_HIGH, "rsh");
	/* rlogin: empty string, users, terminal/speed */
	memset(&st, 0, sizeof(st));
	r = feed(&st, TCP, 0, 0, BIN("\0root\0egd-rlogin-nouser\0xterm/38400\0"),
	    &h);
	HIT(r, h, CONF_MEDIUM, "rlogin");
	ck_assert_str_eq(h.detail, "login of 'root' as 'egd-rlogin-nouser', "
	    "terminal xterm/38400");
	r = feed(&st, TCP, 1, 1, BIN("\x01Permission denied.\n"), &h);
	HIT(r, h, CONF_HIGH, "rlogin");
	/* rexec: port, user, password, command */
	memset(&st, 0, sizeof(st));
	r = feed(&st, TCP, 0, 0, BIN("43063\0egdrexec\0wrong-password\0"
	    "echo hello\0"), &h);
	HIT(r, h, CONF_MEDIUM, "rsh");

	/* not the grammar: a trailing byte, a missing NUL, a non-digit
	 * port, a user name with a space, a control byte */
	memset(&st, 0, sizeof(st));
	ck_assert_int_eq(feed(&st, TCP, 0, 0, BIN("1022\0root\0u\0ls\0x"), &h), 0);
	ck_assert_int_eq(feed(&st, TCP, 0, 0, BIN("1022\0root\0u\0ls"), &h), 0);
	ck_assert_int_eq(feed(&st, TCP, 0, 0, BIN("10a2\0root\0u\0ls\0"), &h), 0);
	ck_assert_int_eq(feed(&st, TCP, 0, 0, BIN("\0ro ot\0u\0ls\0"), &h), 0);
	ck_assert_int_eq(feed(&st, TCP, 0, 0, BIN("\0root\0u\0l\x01s\0"), &h), 0);
}
END_TEST

START_TEST(x11_citrix_radmin)
{
	struct heur_flow st;
	struct heur_hit h;
	uint8_t b[64];
	int r;

	/* X11 setup, little-endian, MIT-MAGIC-COOKIE-1 with 16 bytes */
	memset(&st, 0, sizeof(st));
	memset(b, 0, sizeof(b));
	memcpy(b, "l\0\x0b\0\0\0\x12\0\x10\0\0\0", 12);
	memcpy(b + 12, "MIT-MAGIC-COOKIE-1\0\0", 20);
	r = feed(&st, TCP, 0, 0, b, 12 + 20 + 16, &h);
	HIT(r, h, CONF_MEDIUM, "x11");
	memcpy(b, "\x01\0\x0b\0\0\0\x20\0", 8);
	r = feed(&st, TCP, 1, 1, b, 40, &h);
	HIT(r, h, CONF_HIGH, "x11");
	/* a wrong length is not a setup */
	memset(&st, 0, sizeof(st));
	memcpy(b, "l\0\x0b\0\0\0\x12\0\x10\0\0\0", 12);
	ck_assert_int_eq(feed(&st, TCP, 0, 0, b, 47, &h), 0);

	memset(&st, 0, sizeof(st));
	r = feed(&st, TCP, 1, 0, BIN("\x7f\x7f" "ICA\0"), &h);
	HIT(r, h, CONF_HIGH, "citrix-ica");
	memset(&st, 0, sizeof(st));
	r = feed(&st, TCP, 0, 0, BIN("\x1a" "CGP/01\x00\x02"), &h);
	HIT(r, h, CONF_HIGH, "citrix-ica");

	/* Radmin: the 10-byte hello, then the 46-byte answer */
	memset(&st, 0, sizeof(st));
	ck_assert_int_eq(feed(&st, TCP, 0, 0,
	    BIN("\x01\0\0\0\x01\0\0\x08\x08\x08"), &h), 0);
	memset(b, 0, sizeof(b));
	memcpy(b, "\x01\0\0\0\x25\0\0\x02\x12\x08\x02\0\0\x0a", 14);
	r = feed(&st, TCP, 1, 1, b, 46, &h);
	HIT(r, h, CONF_HIGH, "radmin");
}
END_TEST

START_TEST(rdp_udp)
{
	struct heur_flow st;
	struct heur_hit h;
	uint8_t b[1232];
	int r;

	/* MS-RDPEUDP SYN: snSourceAck -1, window 64, flags SYN, ISN,
	 * MTUs 1232/1232, padded to 1232 */
	memset(&st, 0, sizeof(st));
	memset(b, 0, sizeof(b));
	memcpy(b, "\xff\xff\xff\xff\x00\x40\x00\x01\x12\x34\x56\x78"
	    "\x04\xd0\x04\xd0", 16);
	r = feed(&st, UDP, 0, 0, b, sizeof(b), &h);
	HIT(r, h, CONF_MEDIUM, "rdp-udp");
	b[7] = 0x05;		/* SYN + ACK */
	r = feed(&st, UDP, 1, 1, b, 32, &h);
	HIT(r, h, CONF_HIGH, "rdp-udp");
	/* an MTU out of range, a short datagram */
	memset(&st, 0, sizeof(st));
	b[7] = 0x01;
	b[12] = 0x08;
	ck_assert_int_eq(feed(&st, UDP, 0, 0, b, sizeof(b), &h), 0);
	b[12] = 0x04;
	ck_assert_int_eq(feed(&st, UDP, 0, 0, b, 1000, &h), 0);
}
END_TEST

START_TEST(random_bytes)
{
	uint64_t x = 0x9e3779b97f4a7c15ULL;
	struct heur_flow st;
	struct heur_hit h;
	uint8_t b[1232];
	unsigned i, n, hits = 0;
	size_t k;

	for (n = 0; n < 20000; n++) {
		size_t len = 1 + (n * 7919) % sizeof(b);

		for (k = 0; k < len; k++) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			b[k] = (uint8_t)x;
		}
		memset(&st, 0, sizeof(st));
		for (i = 0; i < 4; i++)
			hits += (unsigned)feed(&st, i & 1 ? UDP : TCP, (int)(i >> 1),
			    i >> 1, b, len, &h);
	}
	ck_assert_uint_eq(hits, 0);
}
END_TEST

Suite *
heur_remote_suite(void)
{
	Suite *s = suite_create("heur_remote");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, r_commands);
	tcase_add_test(tc, x11_citrix_radmin);
	tcase_add_test(tc, rdp_udp);
	tcase_add_test(tc, random_bytes);
	suite_add_tcase(s, tc);
	return s;
}
