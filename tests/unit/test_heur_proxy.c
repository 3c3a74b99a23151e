/*
 * test_heur_proxy.c: the proxy and VPN heuristics on handshakes built byte
 * by byte from their specifications (and, for SOCKS5, from curl's and
 * microsocks' bytes in tests/golden/socks5/), on ordinary traffic
 * that must not match, on every prefix of every positive (no crash, and
 * any hit well-formed), and on random payloads with a fixed seed.
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

struct sim {
	struct heur_flow st;
	uint8_t proto;
	uint16_t sport, dport;
	unsigned index;
};

/* One packet of a handshake: direction, bytes. */
struct msg {
	int dir;
	const uint8_t *data;
	size_t len;
};

static uint64_t rng_state;

static uint32_t
rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (uint32_t)(rng_state >> 16);
}

static void
fill_random(uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		p[i] = (uint8_t)rng();
}

static void
sim_init(struct sim *s, uint8_t proto, uint16_t sport, uint16_t dport)
{
	memset(s, 0, sizeof(*s));
	s->proto = proto;
	s->sport = sport;
	s->dport = dport;
}

static void
assert_hit_sane(const struct heur_hit *h)
{
	ck_assert_int_eq(h->category, CAT_PROXY);
	ck_assert(h->confidence == CONF_MEDIUM || h->confidence == CONF_HIGH);
	ck_assert_ptr_nonnull(h->name);
	ck_assert_ptr_nonnull(memchr(h->detail, '\0', sizeof(h->detail)));
}

static int
feed(struct sim *s, int dir, const void *data, size_t len, struct heur_hit *h)
{
	struct heur_pkt p;
	int r;

	memset(&p, 0, sizeof(p));
	p.data = data;
	p.len = len;
	p.dir = dir;
	p.proto = s->proto;
	p.sport = s->sport;
	p.dport = s->dport;
	p.index = s->index++;
	memset(h, 0x5a, sizeof(*h));
	r = heur_proxy(&s->st, &p, h);
	ck_assert(r == 0 || r == 1);
	if (r)
		assert_hit_sane(h);
	return r;
}

/* Feeds every message; returns the hit count, the last hit in *last. */
static int
feed_all(struct sim *s, const struct msg *m, size_t n, struct heur_hit *last)
{
	struct heur_hit h;
	size_t i;
	int hits = 0;

	for (i = 0; i < n; i++)
		if (feed(s, m[i].dir, m[i].data, m[i].len, &h)) {
			hits++;
			*last = h;
		}
	return hits;
}

/*
 * Every prefix of every message, fed to a flow that has seen the messages
 * before it whole: nothing may read past len (ASan watches) and a hit must
 * be well-formed. The prefix is copied to a buffer of exactly its length.
 */
static void
every_prefix(uint8_t proto, uint16_t sport, uint16_t dport, const struct msg *m,
    size_t n)
{
	struct heur_hit h;
	struct sim s;
	size_t i, j, k;
	uint8_t *buf;

	for (i = 0; i < n; i++)
		for (k = 0; k <= m[i].len; k++) {
			sim_init(&s, proto, sport, dport);
			for (j = 0; j < i; j++)
				feed(&s, m[j].dir, m[j].data, m[j].len, &h);
			buf = malloc(k > 0 ? k : 1);
			ck_assert_ptr_nonnull(buf);
			memcpy(buf, m[i].data, k);
			feed(&s, m[i].dir, buf, k, &h);
			free(buf);
		}
}

/* ---- SOCKS5 ---- */

/* curl 7.88 to microsocks, as in tests/golden/socks5/. */
static const uint8_t curl_greeting[] = { 0x05, 0x02, 0x00, 0x01 };
static const uint8_t microsocks_choice[] = { 0x05, 0x00 };
static const uint8_t curl_connect[] = {
	0x05, 0x01, 0x00, 0x01, 0xc0, 0x00, 0x02, 0x01, 0x1f, 0x90,
};
static const uint8_t microsocks_reply[] = {
	0x05, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
};
static const uint8_t http_get[] =
    "GET /hello.txt HTTP/1.1\r\nHost: 192.0.2.1:8080\r\n"
    "User-Agent: curl/7.88.1\r\nAccept: */*\r\n\r\n";

START_TEST(socks5_curl_microsocks)
{
	const struct msg m[] = {
		{ 0, curl_greeting, sizeof(curl_greeting) },
		{ 1, microsocks_choice, sizeof(microsocks_choice) },
		{ 0, curl_connect, sizeof(curl_connect) },
		{ 1, microsocks_reply, sizeof(microsocks_reply) },
		{ 0, http_get, sizeof(http_get) - 1 },
	};
	struct heur_hit h;
	struct sim s;

	sim_init(&s, TCP, 38818, 1080);
	ck_assert_int_eq(feed(&s, 0, curl_greeting, sizeof(curl_greeting), &h), 0);
	ck_assert_int_eq(feed(&s, 1, microsocks_choice, 2, &h), 1);
	ck_assert_str_eq(h.name, "socks5");
	ck_assert_int_eq(h.confidence, CONF_HIGH);
	ck_assert_str_eq(h.detail, "greeting answered with method 0x00 (no auth)");
	/* The request adds the target to the evidence, once. */
	ck_assert_int_eq(feed(&s, 0, curl_connect, sizeof(curl_connect), &h), 1);
	ck_assert_int_eq(h.confidence, CONF_HIGH);
	ck_assert_str_eq(h.detail, "CONNECT 192.0.2.1:8080");
	ck_assert_int_eq(feed(&s, 1, microsocks_reply, sizeof(microsocks_reply), &h), 0);
	ck_assert_int_eq(feed(&s, 0, curl_connect, sizeof(curl_connect), &h), 0);
	every_prefix(TCP, 38818, 1080, m, NELEM(m));
}
END_TEST

START_TEST(socks5_domain_and_auth)
{
	static const uint8_t greet[] = { 0x05, 0x02, 0x00, 0x02 };
	static const uint8_t choice[] = { 0x05, 0x02 };
	/* RFC 1929: VER=1 ULEN "user" PLEN "pass", then the status. */
	static const uint8_t auth[] = { 0x01, 0x04, 'u', 's', 'e', 'r', 0x04,
	    'p', 'a', 's', 's' };
	static const uint8_t status[] = { 0x01, 0x00 };
	static const uint8_t req[] = { 0x05, 0x01, 0x00, 0x03, 0x0b, 'e', 'x',
	    'a', 'm', 'p', 'l', 'e', '.', 'c', 'o', 'm', 0x01, 0xbb };
	const struct msg m[] = {
		{ 0, greet, sizeof(greet) }, { 1, choice, sizeof(choice) },
		{ 0, auth, sizeof(auth) }, { 1, status, sizeof(status) },
		{ 0, req, sizeof(req) },
	};
	struct heur_hit h;
	struct sim s;

	sim_init(&s, TCP, 50000, 1080);
	ck_assert_int_eq(feed_all(&s, m, 2, &h), 1);
	ck_assert_str_eq(h.detail,
	    "greeting answered with method 0x02 (username/password)");
	sim_init(&s, TCP, 50000, 1080);
	ck_assert_int_eq(feed_all(&s, m, NELEM(m), &h), 2);
	ck_assert_str_eq(h.detail, "CONNECT example.com:443");

	/* Greeting and request without the server's choice in between (the
	 * capture started late on the server side): still two exact messages. */
	sim_init(&s, TCP, 50000, 1080);
	ck_assert_int_eq(feed(&s, 0, greet, sizeof(greet), &h), 0);
	ck_assert_int_eq(feed(&s, 0, req, sizeof(req), &h), 1);
	ck_assert_int_eq(h.confidence, CONF_HIGH);
	every_prefix(TCP, 50000, 1080, m, NELEM(m));
}
END_TEST

START_TEST(socks5_negatives)
{
	static const uint8_t greet1[] = { 0x05, 0x01, 0x00 };
	static const uint8_t choice02[] = { 0x05, 0x02 };
	static const uint8_t greet_long[] = { 0x05, 0x01, 0x00, 0x00 };
	static const uint8_t greet_ff[] = { 0x05, 0x02, 0x00, 0xff };
	static const uint8_t greet_dup[] = { 0x05, 0x02, 0x00, 0x00 };
	static const uint8_t greet_unassigned[] = { 0x05, 0x01, 0x42 };
	static const uint8_t choice_long[] = { 0x05, 0x00, 0x00 };
	struct heur_hit h;
	struct sim s;

	/* The greeting alone is not enough. */
	sim_init(&s, TCP, 1, 1080);
	ck_assert_int_eq(feed(&s, 0, curl_greeting, 4, &h), 0);
	ck_assert_int_eq(feed(&s, 0, http_get, sizeof(http_get) - 1, &h), 0);
	/* The choice must come from the other side. */
	sim_init(&s, TCP, 1, 1080);
	feed(&s, 0, curl_greeting, 4, &h);
	ck_assert_int_eq(feed(&s, 0, microsocks_choice, 2, &h), 0);
	/* ... be a method that was offered (or 0xff), and be 2 bytes. */
	sim_init(&s, TCP, 1, 1080);
	feed(&s, 0, greet1, sizeof(greet1), &h);
	ck_assert_int_eq(feed(&s, 1, choice02, 2, &h), 0);
	ck_assert_int_eq(feed(&s, 1, choice_long, 3, &h), 0);
	ck_assert_int_eq(feed(&s, 1, (const uint8_t[]){ 0x05, 0xff }, 2, &h), 1);
	ck_assert_str_eq(h.detail, "greeting answered with method 0xff (none acceptable)");
	/* Malformed greetings are no greetings. */
	{
		const uint8_t *bad[] = { greet_long, greet_ff, greet_dup,
		    greet_unassigned };
		const size_t badlen[] = { sizeof(greet_long), sizeof(greet_ff),
		    sizeof(greet_dup), sizeof(greet_unassigned) };
		size_t i;

		for (i = 0; i < NELEM(bad); i++) {
			sim_init(&s, TCP, 1, 1080);
			feed(&s, 0, bad[i], badlen[i], &h);
			ck_assert_int_eq(feed(&s, 1, microsocks_choice, 2, &h), 0);
		}
	}
	/* A request with a wrong length after a greeting. */
	sim_init(&s, TCP, 1, 1080);
	feed(&s, 0, curl_greeting, 4, &h);
	ck_assert_int_eq(feed(&s, 0, curl_connect, sizeof(curl_connect) - 1, &h), 0);
	ck_assert_int_eq(feed(&s, 0, microsocks_reply, sizeof(microsocks_reply), &h), 0);
}
END_TEST

/* ---- SOCKS4 / 4a ---- */

static const uint8_t s4_req[] = {
	0x04, 0x01, 0x00, 0x50, 0x5d, 0xb8, 0xd8, 0x22, 'r', 'o', 'o', 't', 0x00,
};
static const uint8_t s4a_req[] = {
	0x04, 0x01, 0x01, 0xbb, 0x00, 0x00, 0x00, 0x01, 0x00,
	'e', 'x', 'a', 'm', 'p', 'l', 'e', '.', 'c', 'o', 'm', 0x00,
};
static const uint8_t s4_granted[] = { 0x00, 0x5a, 0, 0, 0, 0, 0, 0 };

START_TEST(socks4_request_reply)
{
	const struct msg m[] = {
		{ 0, s4_req, sizeof(s4_req) },
		{ 1, s4_granted, sizeof(s4_granted) },
	};
	const struct msg ma[] = {
		{ 0, s4a_req, sizeof(s4a_req) },
		{ 1, s4_granted, sizeof(s4_granted) },
	};
	struct heur_hit h;
	struct sim s;

	sim_init(&s, TCP, 40000, 1080);
	ck_assert_int_eq(feed(&s, 0, s4_req, sizeof(s4_req), &h), 1);
	ck_assert_str_eq(h.name, "socks4");
	ck_assert_int_eq(h.confidence, CONF_MEDIUM);
	ck_assert_str_eq(h.detail, "CONNECT 93.184.216.34:80");
	ck_assert_int_eq(feed(&s, 1, s4_granted, sizeof(s4_granted), &h), 1);
	ck_assert_int_eq(h.confidence, CONF_HIGH);
	ck_assert_str_eq(h.detail, "request answered with 0x5a (granted)");

	sim_init(&s, TCP, 40000, 1080);
	ck_assert_int_eq(feed(&s, 0, s4a_req, sizeof(s4a_req), &h), 1);
	ck_assert_str_eq(h.detail, "CONNECT example.com:443 (4a)");
	/* A rejection is a SOCKS4 server too; tunnelled bytes may follow
	 * the 8-byte reply in the same segment. */
	{
		uint8_t rej[20] = { 0x00, 0x5b };

		memcpy(rej + 8, "SSH-2.0-x\r\n", 11);
		ck_assert_int_eq(feed(&s, 1, rej, 19, &h), 1);
		ck_assert_int_eq(h.confidence, CONF_HIGH);
	}
	every_prefix(TCP, 40000, 1080, m, NELEM(m));
	every_prefix(TCP, 40000, 1080, ma, NELEM(ma));
}
END_TEST

START_TEST(socks4_negatives)
{
	uint8_t b[64];
	struct heur_hit h;
	struct sim s;

	/* Each mutation breaks one rule of the message. */
	struct {
		size_t at;
		uint8_t v;
	} mut[] = {
		{ 1, 0x03 },		/* no such command */
		{ 2, 0x00 },		/* with byte 3 = 0: port 0 ... */
		{ 12, 'x' },		/* userid not terminated */
		{ 9, 0x07 },		/* userid not printable */
	};
	size_t i;

	for (i = 0; i < NELEM(mut); i++) {
		memcpy(b, s4_req, sizeof(s4_req));
		b[mut[i].at] = mut[i].v;
		if (mut[i].at == 2)
			b[3] = 0;
		sim_init(&s, TCP, 1, 1080);
		ck_assert_int_eq(feed(&s, 0, b, sizeof(s4_req), &h), 0);
		ck_assert_int_eq(feed(&s, 1, s4_granted, 8, &h), 0);
	}
	/* Trailing bytes after the userid's NUL. */
	memcpy(b, s4_req, sizeof(s4_req));
	b[sizeof(s4_req)] = 'x';
	sim_init(&s, TCP, 1, 1080);
	ck_assert_int_eq(feed(&s, 0, b, sizeof(s4_req) + 1, &h), 0);
	/* 0.0.0.0 is no destination. */
	memcpy(b, s4a_req, sizeof(s4a_req));
	b[7] = 0;
	ck_assert_int_eq(feed(&s, 0, b, sizeof(s4a_req), &h), 0);
	/* 4a without the host's NUL, or with an empty host. */
	ck_assert_int_eq(feed(&s, 0, s4a_req, sizeof(s4a_req) - 1, &h), 0);
	ck_assert_int_eq(feed(&s, 0, s4a_req, 10, &h), 0);
	/* A reply needs a request first. */
	sim_init(&s, TCP, 1, 1080);
	ck_assert_int_eq(feed(&s, 1, s4_granted, 8, &h), 0);
	/* A request from the responder is not reported alone; its reply
	 * from the opener makes the pair. */
	sim_init(&s, TCP, 1, 1080);
	ck_assert_int_eq(feed(&s, 1, s4_req, sizeof(s4_req), &h), 0);
	ck_assert_int_eq(feed(&s, 1, s4_granted, 8, &h), 0);
	ck_assert_int_eq(feed(&s, 0, s4_granted, 8, &h), 1);
}
END_TEST

/* ---- HTTP ---- */

/* curl -x http://proxy:8888 https://example.com/ through tinyproxy. */
static const char tinyproxy_connect[] =
    "CONNECT example.com:443 HTTP/1.1\r\n"
    "Host: example.com:443\r\n"
    "User-Agent: curl/7.88.1\r\n"
    "Proxy-Connection: Keep-Alive\r\n\r\n";
static const char tinyproxy_established[] =
    "HTTP/1.0 200 Connection established\r\n"
    "Proxy-agent: tinyproxy/1.11.1\r\n\r\n";
static const char proxy_get[] =
    "GET http://example.com/index.html HTTP/1.1\r\n"
    "Host: example.com\r\n"
    "User-Agent: curl/7.88.1\r\n"
    "Accept: */*\r\n"
    "Proxy-Connection: Keep-Alive\r\n\r\n";

START_TEST(http_connect_and_absolute)
{
	const struct msg m[] = {
		{ 0, (const uint8_t *)tinyproxy_connect, sizeof(tinyproxy_connect) - 1 },
		{ 1, (const uint8_t *)tinyproxy_established,
		    sizeof(tinyproxy_established) - 1 },
	};
	const struct msg mg[] = {
		{ 0, (const uint8_t *)proxy_get, sizeof(proxy_get) - 1 },
	};
	struct heur_hit h;
	struct sim s;

	sim_init(&s, TCP, 41000, 8888);
	ck_assert_int_eq(feed_all(&s, m, NELEM(m), &h), 1);
	ck_assert_str_eq(h.name, "http-connect");
	ck_assert_int_eq(h.confidence, CONF_HIGH);
	ck_assert_str_eq(h.detail, "example.com:443");

	sim_init(&s, TCP, 41000, 8888);
	ck_assert_int_eq(feed_all(&s, mg, 1, &h), 1);
	ck_assert_str_eq(h.name, "http-proxy");
	ck_assert_int_eq(h.confidence, CONF_MEDIUM);
	ck_assert_str_eq(h.detail, "example.com");
	/* The same keep-alive connection then tunnels: medium, then high. */
	ck_assert_int_eq(feed_all(&s, m, 1, &h), 1);
	ck_assert_int_eq(h.confidence, CONF_HIGH);
	/* A second absolute-URI request adds nothing. */
	ck_assert_int_eq(feed_all(&s, mg, 1, &h), 0);

	{
		static const char ui[] = "POST HTTP://user:pw@Example.COM:8080/a?b "
		    "HTTP/1.0\r\n\r\n";
		static const char v6[] = "CONNECT [2001:db8::1]:8443 HTTP/1.1\n";
		static const char ftp[] = "GET ftp://ftp.example.org/pub/ HTTP/1.1\r\n";

		sim_init(&s, TCP, 1, 3128);
		ck_assert_int_eq(feed(&s, 0, ui, sizeof(ui) - 1, &h), 1);
		ck_assert_str_eq(h.detail, "Example.COM:8080");
		sim_init(&s, TCP, 1, 3128);
		ck_assert_int_eq(feed(&s, 0, v6, sizeof(v6) - 1, &h), 1);
		ck_assert_str_eq(h.detail, "[2001:db8::1]:8443");
		sim_init(&s, TCP, 1, 3128);
		ck_assert_int_eq(feed(&s, 0, ftp, sizeof(ftp) - 1, &h), 1);
		ck_assert_str_eq(h.detail, "ftp.example.org");
	}
	every_prefix(TCP, 41000, 8888, m, NELEM(m));
	every_prefix(TCP, 41000, 8888, mg, NELEM(mg));
}
END_TEST

START_TEST(http_negatives)
{
	static const char *const no[] = {
		"GET / HTTP/1.1\r\nHost: example.com\r\n\r\n",
		"GET /http://example.com/ HTTP/1.1\r\n\r\n",
		"CONNECT example.com HTTP/1.1\r\n\r\n",
		"CONNECT example.com:99999 HTTP/1.1\r\n\r\n",
		"CONNECT example.com:0 HTTP/1.1\r\n\r\n",
		"CONNECT :443 HTTP/1.1\r\n\r\n",
		"CONNECT example.com:443 HTTP/2.0\r\n\r\n",
		"CONNECT example.com:443 HTTP/1.1",	/* line not ended */
		"GET http:// HTTP/1.1\r\n\r\n",
		"GET http://example.com/",		/* cut before the version */
		"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n",
		"connect example.com:443 HTTP/1.1\r\n\r\n",
	};
	struct heur_hit h;
	struct sim s;
	size_t i;

	for (i = 0; i < NELEM(no); i++) {
		sim_init(&s, TCP, 1, 80);
		ck_assert_msg(feed(&s, 0, no[i], strlen(no[i]), &h) == 0, "%s", no[i]);
	}
	/* A request line from the responder is no client of a proxy. */
	sim_init(&s, TCP, 1, 80);
	ck_assert_int_eq(feed(&s, 1, tinyproxy_connect,
	    sizeof(tinyproxy_connect) - 1, &h), 0);
	/* A control byte ends the target short of the version: no request. */
	{
		static const char odd[] = "CONNECT ex\x7f" "ample.com:443 HTTP/1.1\r\n";

		sim_init(&s, TCP, 1, 80);
		ck_assert_int_eq(feed(&s, 0, odd, sizeof(odd) - 1, &h), 0);
	}
	/* A very long target is cut to the detail's size. */
	{
		char longreq[400];

		memset(longreq, 'a', sizeof(longreq));
		memcpy(longreq, "CONNECT ", 8);
		memcpy(longreq + 300, ":443 HTTP/1.1\r\n", 15);
		sim_init(&s, TCP, 1, 80);
		ck_assert_int_eq(feed(&s, 0, longreq, 315, &h), 1);
		ck_assert_uint_eq(strlen(h.detail), sizeof(h.detail) - 1);
	}
}
END_TEST

/* ---- OpenVPN ---- */

static const uint8_t ovpn_csid[8] = { 0x3c, 0x8f, 0x21, 0x5e, 0x90, 0x0a, 0x7b, 0xd4 };
static const uint8_t ovpn_ssid[8] = { 0xa1, 0x07, 0x6e, 0x33, 0x2c, 0xf9, 0x84, 0x15 };

/* OpenVPN 2.6 over TCP without tls-auth: the client's P_CONTROL_HARD_RESET
 * _CLIENT_V2 (opcode 7, key id 0), session id, ack array length 0,
 * message packet id 0; 14 bytes after the 16-bit length. */
static size_t
ovpn_tcp_client(uint8_t *b, int op)
{
	b[0] = 0x00;
	b[1] = 14;
	b[2] = (uint8_t)(op << 3);
	memcpy(b + 3, ovpn_csid, 8);
	b[11] = 0;
	memset(b + 12, 0, 4);
	return 16;
}

/* The server's P_CONTROL_HARD_RESET_SERVER_V2: its session id, an ack
 * array of one (packet id 0) with the client's session id as the remote
 * session id, and message packet id 0. */
static size_t
ovpn_tcp_server(uint8_t *b, int op)
{
	b[0] = 0x00;
	b[1] = 26;
	b[2] = (uint8_t)(op << 3);
	memcpy(b + 3, ovpn_ssid, 8);
	b[11] = 1;
	memset(b + 12, 0, 4);
	memcpy(b + 16, ovpn_csid, 8);
	memset(b + 24, 0, 4);
	return 28;
}

/* UDP with tls-auth (HMAC-SHA1, 20 bytes): opcode, session id, HMAC,
 * replay packet id 1, net time, ack array, message packet id. */
static size_t
ovpn_udp_tls_auth(uint8_t *b, int server)
{
	size_t n = 0;

	b[n++] = server ? 8 << 3 : 7 << 3;
	memcpy(b + n, server ? ovpn_ssid : ovpn_csid, 8);
	n += 8;
	fill_random(b + n, 20);
	n += 20;
	memcpy(b + n, "\x00\x00\x00\x01\x66\x1e\x2a\x10", 8);
	n += 8;
	if (server) {
		b[n++] = 1;
		memset(b + n, 0, 4);
		n += 4;
		memcpy(b + n, ovpn_csid, 8);
		n += 8;
	} else
		b[n++] = 0;
	memset(b + n, 0, 4);
	return n + 4;
}

/* OpenVPN 2.6 with tls-crypt-v2 over TCP: P_CONTROL_HARD_RESET_CLIENT_V3,
 * session id, packet id EARLY_NEG_START + 1, net time, 32-byte tag, the
 * encrypted rest and the wrapped client key. The server's reset is
 * tls-crypt wrapped as well: its ack array is not visible. */
static size_t
ovpn_tcp_v3_client(uint8_t *b)
{
	size_t body = 1 + 8 + 8 + 32 + 5 + 290;

	b[0] = (uint8_t)(body >> 8);
	b[1] = (uint8_t)body;
	b[2] = 10 << 3;
	memcpy(b + 3, ovpn_csid, 8);
	memcpy(b + 11, "\x0f\x00\x00\x01\x66\x1e\x2a\x10", 8);
	fill_random(b + 19, body - 17);
	return 2 + body;
}

static size_t
ovpn_tcp_v3_server(uint8_t *b)
{
	size_t body = 1 + 8 + 8 + 32 + 17 + 6;

	b[0] = 0;
	b[1] = (uint8_t)body;
	b[2] = 8 << 3;
	memcpy(b + 3, ovpn_ssid, 8);
	memcpy(b + 11, "\x0f\x00\x00\x01\x66\x1e\x2a\x11", 8);
	fill_random(b + 19, body - 17);
	return 2 + body;
}

START_TEST(openvpn_tcp)
{
	uint8_t c[400], sv[100];
	size_t cl, sl;
	struct heur_hit h;
	struct sim s;

	cl = ovpn_tcp_client(c, 7);
	sl = ovpn_tcp_server(sv, 8);
	sim_init(&s, TCP, 45000, 1194);
	ck_assert_int_eq(feed(&s, 0, c, cl, &h), 1);
	ck_assert_str_eq(h.name, "openvpn");
	ck_assert_int_eq(h.confidence, CONF_MEDIUM);
	ck_assert_str_eq(h.detail, "tcp client hard reset v2");
	ck_assert_int_eq(feed(&s, 1, sv, sl, &h), 1);
	ck_assert_int_eq(h.confidence, CONF_HIGH);
	ck_assert_str_eq(h.detail,
	    "tcp client hard reset answered by server reset v2, client session acked");
	{
		const struct msg m[] = { { 0, c, cl }, { 1, sv, sl } };

		every_prefix(TCP, 45000, 1194, m, NELEM(m));
	}

	/* Key method 1: CLIENT_V1 is answered by SERVER_V1, not V2. */
	cl = ovpn_tcp_client(c, 1);
	sim_init(&s, TCP, 45000, 1194);
	ck_assert_int_eq(feed(&s, 0, c, cl, &h), 1);
	ck_assert_str_eq(h.detail, "tcp client hard reset v1");
	ck_assert_int_eq(feed(&s, 1, sv, sl, &h), 0);
	sl = ovpn_tcp_server(sv, 2);
	ck_assert_int_eq(feed(&s, 1, sv, sl, &h), 1);
	ck_assert_int_eq(h.confidence, CONF_HIGH);

	rng_state = 7;
	cl = ovpn_tcp_v3_client(c);
	sl = ovpn_tcp_v3_server(sv);
	sim_init(&s, TCP, 45000, 443);
	ck_assert_int_eq(feed(&s, 0, c, cl, &h), 1);
	ck_assert_str_eq(h.detail, "tcp client hard reset v3");
	ck_assert_int_eq(feed(&s, 1, sv, sl, &h), 1);
	ck_assert_int_eq(h.confidence, CONF_HIGH);
	ck_assert_str_eq(h.detail, "tcp client hard reset answered by server reset v2");
	{
		const struct msg m[] = { { 0, c, cl }, { 1, sv, sl } };

		every_prefix(TCP, 45000, 443, m, NELEM(m));
	}
}
END_TEST

START_TEST(openvpn_udp)
{
	uint8_t c[100], sv[100], b[100];
	size_t cl, sl;
	struct heur_hit h;
	struct sim s;

	rng_state = 11;
	cl = ovpn_udp_tls_auth(c, 0);
	sl = ovpn_udp_tls_auth(sv, 1);
	ck_assert_uint_eq(cl, 42);
	sim_init(&s, UDP, 45000, 1194);
	/* A lone client reset over UDP is no evidence: one opcode byte. */
	ck_assert_int_eq(feed(&s, 0, c, cl, &h), 0);
	ck_assert_int_eq(feed(&s, 1, sv, sl, &h), 1);
	ck_assert_int_eq(h.confidence, CONF_HIGH);
	ck_assert_str_eq(h.detail,
	    "udp client hard reset answered by server reset v2, client session acked");
	{
		const struct msg m[] = { { 0, c, cl }, { 1, sv, sl } };

		every_prefix(UDP, 45000, 1194, m, NELEM(m));
	}
	/* Plain UDP: the TCP bytes without the length. */
	cl = ovpn_tcp_client(b, 7);
	sim_init(&s, UDP, 45000, 1194);
	ck_assert_int_eq(feed(&s, 0, b + 2, cl - 2, &h), 0);
	sl = ovpn_tcp_server(b, 8);
	ck_assert_int_eq(feed(&s, 1, b + 2, sl - 2, &h), 1);
	ck_assert_int_eq(h.confidence, CONF_HIGH);
	/* The reply from the same side is none. */
	sim_init(&s, UDP, 45000, 1194);
	ck_assert_int_eq(feed(&s, 0, c, 42, &h), 0);
	ck_assert_int_eq(feed(&s, 0, sv, sl, &h), 0);
}
END_TEST

/* A P_CONTROL_V1 of session sid carrying the start of a TLS handshake
 * record of type hs: with hmac > 0 the tls-auth HMAC, replay id 2 and
 * time; an ack array of one (id 0, remote session rsid) when rsid is set;
 * message packet id 1. */
static size_t
ovpn_udp_control(uint8_t *b, const uint8_t *sid, size_t hmac,
    const uint8_t *rsid, int hs)
{
	size_t n = 0;

	b[n++] = 4 << 3;
	memcpy(b + n, sid, 8);
	n += 8;
	if (hmac) {
		fill_random(b + n, hmac);
		n += hmac;
		memcpy(b + n, "\x00\x00\x00\x02\x66\x1e\x2a\x10", 8);
		n += 8;
	}
	if (rsid) {
		b[n++] = 1;
		memset(b + n, 0, 4);
		n += 4;
		memcpy(b + n, rsid, 8);
		n += 8;
	} else
		b[n++] = 0;
	memcpy(b + n, "\x00\x00\x00\x01", 4);
	n += 4;
	/* A TLS record header and the handshake message's type. */
	memcpy(b + n, "\x16\x03\x01\x01\x10", 5);
	n += 5;
	b[n++] = (uint8_t)hs;
	fill_random(b + n, 60);
	return n + 60;
}

/* Only one leg in the capture: the reset is confirmed by the same side's
 * TLS hello in a control packet of the same session. */
START_TEST(openvpn_one_leg)
{
	uint8_t c[100], k[200], b[100];
	size_t cl, kl, sl;
	struct heur_hit h;
	struct sim s;

	/* The client's leg, tls-auth with HMAC-SHA1. */
	rng_state = 5;
	cl = ovpn_udp_tls_auth(c, 0);
	kl = ovpn_udp_control(k, ovpn_csid, 20, NULL, 1);
	sim_init(&s, UDP, 45000, 1194);
	ck_assert_int_eq(feed(&s, 0, c, cl, &h), 0);
	ck_assert_int_eq(feed(&s, 0, k, kl, &h), 1);
	ck_assert_str_eq(h.name, "openvpn");
	ck_assert_int_eq(h.confidence, CONF_HIGH);
	ck_assert_str_eq(h.detail, "udp client hard reset, then its TLS "
	    "ClientHello in a control packet of the same session");
	ck_assert_int_eq(h.opener_is_server, 0);
	{
		const struct msg m[] = { { 0, c, cl }, { 0, k, kl } };

		every_prefix(UDP, 45000, 1194, m, NELEM(m));
	}
	/* The server's leg, no wrapping: its reset comes first, then its
	 * ServerHello acking the client's session. */
	sl = ovpn_tcp_server(b, 8) - 2;
	kl = ovpn_udp_control(k, ovpn_ssid, 0, ovpn_csid, 2);
	sim_init(&s, UDP, 1194, 45000);
	ck_assert_int_eq(feed(&s, 0, b + 2, sl, &h), 0);
	ck_assert_int_eq(feed(&s, 0, k, kl, &h), 1);
	ck_assert_int_eq(h.confidence, CONF_HIGH);
	ck_assert_str_eq(h.detail, "udp server hard reset, then its TLS "
	    "ServerHello in a control packet of the same session");
	ck_assert_int_eq(h.opener_is_server, 1);
	{
		const struct msg m[] = { { 0, b + 2, sl }, { 0, k, kl } };

		every_prefix(UDP, 1194, 45000, m, NELEM(m));
	}

	/* Another session's control packet. */
	cl = ovpn_udp_tls_auth(c, 0);
	kl = ovpn_udp_control(k, ovpn_ssid, 20, NULL, 1);
	sim_init(&s, UDP, 45000, 1194);
	ck_assert_int_eq(feed(&s, 0, c, cl, &h), 0);
	ck_assert_int_eq(feed(&s, 0, k, kl, &h), 0);
	/* The client's session, but the wrong hello for its side. */
	kl = ovpn_udp_control(k, ovpn_csid, 20, NULL, 2);
	ck_assert_int_eq(feed(&s, 0, k, kl, &h), 0);
	/* A control packet whose payload is no TLS record. */
	kl = ovpn_udp_control(k, ovpn_csid, 20, NULL, 1);
	k[1 + 8 + 20 + 8 + 1 + 4] = 0x17;
	ck_assert_int_eq(feed(&s, 0, k, kl, &h), 0);
	/* A server reset that is not the flow's first packet starts
	 * nothing; nor does a server leg with a ClientHello. */
	sim_init(&s, UDP, 1194, 45000);
	fill_random(c, 40);
	ck_assert_int_eq(feed(&s, 0, c, 40, &h), 0);
	ck_assert_int_eq(feed(&s, 0, b + 2, sl, &h), 0);
	kl = ovpn_udp_control(k, ovpn_ssid, 0, ovpn_csid, 2);
	ck_assert_int_eq(feed(&s, 0, k, kl, &h), 0);
	sim_init(&s, UDP, 1194, 45000);
	ck_assert_int_eq(feed(&s, 0, b + 2, sl, &h), 0);
	kl = ovpn_udp_control(k, ovpn_ssid, 0, ovpn_csid, 1);
	ck_assert_int_eq(feed(&s, 0, k, kl, &h), 0);
}
END_TEST

START_TEST(openvpn_negatives)
{
	uint8_t c[100], sv[100];
	size_t cl, sl;
	struct heur_hit h;
	struct sim s;

	/* key_id 1 is a renegotiation, not a session start. */
	cl = ovpn_tcp_client(c, 7);
	c[2] |= 1;
	sim_init(&s, TCP, 1, 1194);
	ck_assert_int_eq(feed(&s, 0, c, cl, &h), 0);
	/* A session id of zeros. */
	cl = ovpn_tcp_client(c, 7);
	memset(c + 3, 0, 8);
	ck_assert_int_eq(feed(&s, 0, c, cl, &h), 0);
	/* The TCP length must be the rest of the segment. */
	cl = ovpn_tcp_client(c, 7);
	c[1] = 13;
	ck_assert_int_eq(feed(&s, 0, c, cl, &h), 0);
	c[1] = 15;
	ck_assert_int_eq(feed(&s, 0, c, cl, &h), 0);
	/* UDP: the opcode byte alone with random bytes behind it. */
	rng_state = 3;
	fill_random(c, sizeof(c));
	c[0] = 7 << 3;
	sim_init(&s, UDP, 1, 1194);
	ck_assert_int_eq(feed(&s, 0, c, 60, &h), 0);
	/* DNS over TCP has the same 2-byte length; with an ID whose first
	 * byte is an opcode it is still no reset. */
	{
		static const uint8_t ids[] = { 0x08, 0x38, 0x50 };
		static const uint8_t q[] = "\x00\x21" "\x38\x12\x01\x00\x00\x01\x00\x00"
		    "\x00\x00\x00\x00\x03www\x07" "example\x03" "com\x00\x00\x01\x00\x01";
		size_t k;

		for (k = 0; k < NELEM(ids); k++) {
			memcpy(c, q, 35);
			c[2] = ids[k];
			sim_init(&s, TCP, 1, 53);
			ck_assert_int_eq(feed(&s, 0, c, 35, &h), 0);
			c[4] = 0x81;	/* the response */
			c[5] = 0x80;
			ck_assert_int_eq(feed(&s, 1, c, 35, &h), 0);
		}
	}
	/* A server reset without a client reset. */
	sl = ovpn_tcp_server(sv, 8);
	sim_init(&s, TCP, 1, 1194);
	ck_assert_int_eq(feed(&s, 1, sv, sl, &h), 0);
}
END_TEST

/* ---- WireGuard ---- */

static size_t
wg_init(uint8_t *b, const uint8_t sender[4])
{
	memset(b, 0, 148);
	b[0] = 1;
	memcpy(b + 4, sender, 4);
	fill_random(b + 8, 148 - 8 - 16);	/* mac2 zero without a cookie */
	return 148;
}

static size_t
wg_response(uint8_t *b, const uint8_t sender[4], const uint8_t receiver[4])
{
	memset(b, 0, 92);
	b[0] = 2;
	memcpy(b + 4, sender, 4);
	memcpy(b + 8, receiver, 4);
	fill_random(b + 12, 92 - 12 - 16);
	return 92;
}

START_TEST(wireguard_handshake)
{
	static const uint8_t si[4] = { 0x9b, 0x21, 0x4f, 0x07 };
	static const uint8_t sr[4] = { 0x11, 0xe0, 0x6a, 0xc2 };
	uint8_t a[148], r[92], d[64];
	size_t al, rl;
	struct heur_hit h;
	struct sim s;

	rng_state = 5;
	al = wg_init(a, si);
	rl = wg_response(r, sr, si);
	sim_init(&s, UDP, 51820, 51820);
	ck_assert_int_eq(feed(&s, 0, a, al, &h), 1);
	ck_assert_str_eq(h.name, "wireguard");
	ck_assert_int_eq(h.confidence, CONF_MEDIUM);
	ck_assert_str_eq(h.detail, "handshake initiation, sender index 9b214f07");
	ck_assert_int_eq(feed(&s, 1, r, rl, &h), 1);
	ck_assert_int_eq(h.confidence, CONF_HIGH);
	/* Transport data then adds nothing. */
	memset(d, 0, sizeof(d));
	d[0] = 4;
	memcpy(d + 4, sr, 4);
	ck_assert_int_eq(feed(&s, 0, d, 32, &h), 0);
	{
		const struct msg m[] = { { 0, a, al }, { 1, r, rl }, { 0, d, 48 } };

		every_prefix(UDP, 51820, 51820, m, NELEM(m));
	}

	/* The response must echo the sender index, come from the other
	 * side and be 92 bytes. */
	sim_init(&s, UDP, 51820, 51820);
	feed(&s, 0, a, al, &h);
	ck_assert_int_eq(feed(&s, 0, r, rl, &h), 0);
	ck_assert_int_eq(feed(&s, 1, r, rl - 1, &h), 0);
	rl = wg_response(r, sr, sr);
	ck_assert_int_eq(feed(&s, 1, r, rl, &h), 0);

	/* A retransmitted initiation has a new index; the response echoes it. */
	{
		static const uint8_t si2[4] = { 1, 2, 3, 4 };

		al = wg_init(a, si2);
		ck_assert_int_eq(feed(&s, 0, a, al, &h), 0);
		rl = wg_response(r, sr, si2);
		ck_assert_int_eq(feed(&s, 1, r, rl, &h), 1);
		ck_assert_int_eq(h.confidence, CONF_HIGH);
	}

	/* A cookie reply under load: receiver = the initiator's sender. */
	al = wg_init(a, si);
	sim_init(&s, UDP, 40000, 51820);
	feed(&s, 0, a, al, &h);
	memset(d, 0, sizeof(d));
	d[0] = 3;
	memcpy(d + 4, si, 4);
	fill_random(d + 8, 56);
	ck_assert_int_eq(feed(&s, 1, d, 64, &h), 1);
	ck_assert_int_eq(h.confidence, CONF_HIGH);

	/* Reserved bytes must be zero. */
	al = wg_init(a, si);
	a[2] = 1;
	sim_init(&s, UDP, 40000, 51820);
	ck_assert_int_eq(feed(&s, 0, a, al, &h), 0);
}
END_TEST

START_TEST(wireguard_transport_only)
{
	static const uint8_t rx[4] = { 0x44, 0x01, 0x9c, 0x7e };
	static const uint8_t ry[4] = { 0x02, 0x55, 0x10, 0xaa };
	static const size_t lens[] = { 32, 128, 96, 1440 };
	uint8_t d[1440];
	struct heur_hit h;
	struct sim s;
	size_t i;
	int hits = 0;

	rng_state = 9;
	sim_init(&s, UDP, 40000, 51820);
	for (i = 0; i < NELEM(lens); i++) {
		fill_random(d, lens[i]);
		d[0] = 4;
		d[1] = d[2] = d[3] = 0;
		memcpy(d + 4, i % 2 ? ry : rx, 4);
		hits += feed(&s, (int)(i % 2), d, lens[i], &h);
	}
	ck_assert_int_eq(hits, 1);
	ck_assert_int_eq(h.confidence, CONF_MEDIUM);
	ck_assert_str_eq(h.detail, "4 transport data packets, receiver index 44019c7e");

	/* Lengths off the 16-byte grid, or a changing index from the opener. */
	sim_init(&s, UDP, 40000, 51820);
	for (i = 0; i < 8; i++) {
		fill_random(d, 100);
		d[0] = 4;
		d[1] = d[2] = d[3] = 0;
		ck_assert_int_eq(feed(&s, 0, d, i % 2 ? 100 : 64, &h), 0);
	}
}
END_TEST

/* ---- IKE ---- */

/* An IKEv2 IKE_SA_INIT request as strongSwan sends it: header, SA with one
 * proposal of four transforms, KE (group 14), Nonce. Returns its length. */
static size_t
ike_sa_init(uint8_t *b)
{
	static const uint8_t spii[8] = { 0x2f, 0x6e, 0x91, 0x0c, 0x5a, 0x33, 0xd8, 0x47 };
	static const uint8_t sa[] = {
		/* SA: next KE(34), length 44 */
		34, 0, 0, 44,
		/* Proposal: last(0), length 40, #1, IKE(1), SPI size 0, 4 */
		0, 0, 0, 40, 1, 1, 0, 4,
		/* ENCR AES-CBC(12) with key length 256 */
		3, 0, 0, 12, 1, 0, 0, 12, 0x80, 0x0e, 0x01, 0x00,
		/* PRF HMAC-SHA2-256(5) */
		3, 0, 0, 8, 2, 0, 0, 5,
		/* INTEG HMAC-SHA2-256-128(12) */
		3, 0, 0, 8, 3, 0, 0, 12,
		/* D-H group 14 */
		0, 0, 0, 8, 4, 0, 0, 14,
	};
	size_t n = 0, total = 28 + sizeof(sa) + 8 + 256 + 4 + 32;

	memcpy(b, spii, 8);
	memset(b + 8, 0, 8);		/* SPIr 0 */
	b[16] = 33;			/* next payload SA */
	b[17] = 0x20;			/* version 2.0 */
	b[18] = 34;			/* IKE_SA_INIT */
	b[19] = 0x08;			/* Initiator */
	memset(b + 20, 0, 4);		/* message id 0 */
	b[24] = (uint8_t)(total >> 24);
	b[25] = (uint8_t)(total >> 16);
	b[26] = (uint8_t)(total >> 8);
	b[27] = (uint8_t)total;
	n = 28;
	memcpy(b + n, sa, sizeof(sa));
	n += sizeof(sa);
	/* KE: next Nonce(40), length 8 + 256, group 14 */
	b[n++] = 40;
	b[n++] = 0;
	b[n++] = (8 + 256) >> 8;
	b[n++] = (8 + 256) & 0xff;
	b[n++] = 0;
	b[n++] = 14;
	b[n++] = 0;
	b[n++] = 0;
	fill_random(b + n, 256);
	n += 256;
	/* Nonce: last, length 36 */
	b[n++] = 0;
	b[n++] = 0;
	b[n++] = 0;
	b[n++] = 36;
	fill_random(b + n, 32);
	n += 32;
	ck_assert_uint_eq(n, total);
	return n;
}

START_TEST(ike_v2_500_and_4500)
{
	uint8_t b[600], r[600];
	size_t n, rn;
	struct heur_hit h;
	struct sim s;

	rng_state = 13;
	n = ike_sa_init(b);
	sim_init(&s, UDP, 500, 500);
	ck_assert_int_eq(feed(&s, 0, b, n, &h), 1);
	ck_assert_str_eq(h.name, "ike");
	ck_assert_int_eq(h.confidence, CONF_HIGH);
	ck_assert_str_eq(h.detail, "IKEv2 IKE_SA_INIT request on udp/500");
	/* The response: SPIr set, Response flag. */
	memcpy(r, b, n);
	memcpy(r + 8, "\x77\x10\x3a\x9e\x01\x5c\xe2\x48", 8);
	r[19] = 0x20;
	sim_init(&s, UDP, 500, 500);
	ck_assert_int_eq(feed(&s, 1, r, n, &h), 1);
	ck_assert_str_eq(h.detail, "IKEv2 IKE_SA_INIT response on udp/500");
	{
		const struct msg m[] = { { 0, b, n }, { 1, r, n } };

		every_prefix(UDP, 500, 500, m, NELEM(m));
	}

	/* NAT-T: the same message behind the 4-byte non-ESP marker. */
	memset(r, 0, 4);
	memcpy(r + 4, b, n);
	rn = n + 4;
	sim_init(&s, UDP, 4500, 4500);
	ck_assert_int_eq(feed(&s, 0, r, rn, &h), 1);
	ck_assert_str_eq(h.detail, "IKEv2 IKE_SA_INIT request on udp/4500 with non-ESP marker");
	{
		const struct msg m[] = { { 0, r, rn } };

		every_prefix(UDP, 4500, 4500, m, NELEM(m));
	}
	/* Without the marker on 4500 it is ESP-in-UDP, not IKE. */
	sim_init(&s, UDP, 4500, 4500);
	ck_assert_int_eq(feed(&s, 0, b, n, &h), 0);
	/* An IKE_AUTH (encrypted, next payload SK) on 4500. */
	memset(r, 0, 4);
	memcpy(r + 4, b, 28);
	memcpy(r + 12, "\x77\x10\x3a\x9e\x01\x5c\xe2\x48", 8);
	r[4 + 16] = 46;
	r[4 + 18] = 35;
	r[4 + 23] = 1;
	r[4 + 24] = r[4 + 25] = r[4 + 26] = 0;
	r[4 + 27] = 28 + 100;
	fill_random(r + 32, 100);
	sim_init(&s, UDP, 4500, 4500);
	ck_assert_int_eq(feed(&s, 0, r, 4 + 128, &h), 1);
	ck_assert_str_eq(h.detail, "IKEv2 IKE_AUTH request on udp/4500 with non-ESP marker");
}
END_TEST

START_TEST(ike_v1_and_negatives)
{
	uint8_t b[600], m[600];
	size_t n;
	struct heur_hit h;
	struct sim s;

	/* IKEv1 main mode, first message: SA payload first, version 1.0,
	 * exchange 2 (identity protection), flags 0. */
	memset(b, 0, 28 + 52);
	memcpy(b, "\xd1\x5a\x04\x22\x90\x1c\x7e\x63", 8);
	b[16] = 1;
	b[17] = 0x10;
	b[18] = 2;
	b[27] = 28 + 52;
	b[28 + 3] = 52;		/* the SA payload's length */
	sim_init(&s, UDP, 500, 500);
	ck_assert_int_eq(feed(&s, 0, b, 28 + 52, &h), 1);
	ck_assert_str_eq(h.detail, "IKEv1 main mode request on udp/500");

	rng_state = 17;
	n = ike_sa_init(b);
	/* Each mutation breaks one field. */
	{
		static const struct {
			size_t at;
			uint8_t v;
		} mut[] = {
			{ 27, 0x00 },	/* length */
			{ 17, 0x30 },	/* version */
			{ 18, 33 },	/* exchange type */
			{ 16, 46 },	/* IKE_SA_INIT does not start with SK */
			{ 23, 1 },	/* IKE_SA_INIT is message 0 */
			{ 9, 1 },	/* an initiator's request has SPIr 0 */
		};
		size_t i;

		for (i = 0; i < NELEM(mut); i++) {
			memcpy(m, b, n);
			m[mut[i].at] = mut[i].v;
			sim_init(&s, UDP, 500, 500);
			ck_assert_msg(feed(&s, 0, m, n, &h) == 0, "mutation %zu", i);
		}
		memcpy(m, b, n);
		memset(m, 0, 8);	/* SPIi 0 */
		sim_init(&s, UDP, 500, 500);
		ck_assert_int_eq(feed(&s, 0, m, n, &h), 0);
	}
	/* On another port pair, no IKE. */
	sim_init(&s, UDP, 40000, 5000);
	ck_assert_int_eq(feed(&s, 0, b, n, &h), 0);
}
END_TEST

START_TEST(ip_proto)
{
	/* ESP: SPI 0x1000, sequence 1, 8 bytes of IV, 16 of data and ICV;
	 * AH: next header 4, length 4 (24 bytes), SPI, sequence, a 12-byte
	 * ICV. */
	static const uint8_t esp[32] = { 0, 0, 0x10, 0, 0, 0, 0, 1, 0x5a, 0xa5 };
	static const uint8_t ah[24] = { 4, 4, 0, 0, 0, 0, 0x10, 0, 0, 0, 0, 1 };
	uint8_t b[32];
	struct heur_hit h;
	unsigned p;

	ck_assert_int_eq(heur_ip_proto(50, esp, sizeof(esp), &h), 1);
	ck_assert_str_eq(h.name, "ipsec");
	ck_assert_int_eq(h.category, CAT_PROXY);
	ck_assert_int_eq(h.confidence, CONF_HIGH);
	ck_assert_str_eq(h.detail, "ESP (IP protocol 50)");
	ck_assert_int_eq(heur_ip_proto(51, ah, sizeof(ah), &h), 1);
	ck_assert_str_eq(h.detail, "AH (IP protocol 51)");
	for (p = 0; p < 256; p++)
		if (p != 50 && p != 51)
			ck_assert_int_eq(heur_ip_proto((uint8_t)p, esp,
			    sizeof(esp), &h), 0);
	/* A protocol scan's bare probe, a reserved SPI, sequence 0, an AH
	 * longer than the packet or with reserved bytes set. */
	ck_assert_int_eq(heur_ip_proto(50, NULL, 0, &h), 0);
	ck_assert_int_eq(heur_ip_proto(51, NULL, 0, &h), 0);
	ck_assert_int_eq(heur_ip_proto(50, esp, 19, &h), 0);
	memcpy(b, esp, sizeof(esp));
	b[2] = 0;
	ck_assert_int_eq(heur_ip_proto(50, b, sizeof(esp), &h), 0);
	memcpy(b, esp, sizeof(esp));
	b[7] = 0;
	ck_assert_int_eq(heur_ip_proto(50, b, sizeof(esp), &h), 0);
	memcpy(b, ah, sizeof(ah));
	b[1] = 5;
	ck_assert_int_eq(heur_ip_proto(51, b, sizeof(ah), &h), 0);
	memcpy(b, ah, sizeof(ah));
	b[2] = 1;
	ck_assert_int_eq(heur_ip_proto(51, b, sizeof(ah), &h), 0);
}
END_TEST

/* ---- Ordinary traffic ---- */

/* VLESS as v2ray 4.34 sends it (tests/golden/vless-tcp/): version
 * 0, the user id, no addons, TCP to 127.0.0.1:8080, the request in clear;
 * the answer starts 00 00. */
START_TEST(vless_request)
{
	static const uint8_t req[] = "\x00\x5b\x2e\x1c\x0d\x4a\x77\x4c\x1e"
	    "\x9a\x3b\x55\x01\x6e\x2f\x88\x40\x00\x01\x1f\x90\x01\x7f\x00"
	    "\x00\x01GET /data.txt HTTP/1.1\r\n\r\n";
	static const uint8_t dom[] = "\x00\x5b\x2e\x1c\x0d\x4a\x77\x4c\x1e"
	    "\x9a\x3b\x55\x01\x6e\x2f\x88\x40\x00\x01\x01\xbb\x02\x0b"
	    "example.org\x16\x03\x01";
	struct sim s;
	struct heur_hit h;

	sim_init(&s, TCP, 40000, 2053);
	ck_assert_int_eq(feed(&s, 0, req, sizeof(req) - 1, &h), 1);
	ck_assert_str_eq(h.name, "vless");
	ck_assert_int_eq(h.confidence, CONF_MEDIUM);
	ck_assert_str_eq(h.detail, "request TCP 127.0.0.1:8080");
	ck_assert_int_eq(feed(&s, 1, (const uint8_t *)"\x00\x00HTTP/1.0 200 OK",
	    19, &h), 1);
	ck_assert_int_eq(h.confidence, CONF_HIGH);
	sim_init(&s, TCP, 40000, 443);
	ck_assert_int_eq(feed(&s, 0, dom, sizeof(dom) - 1, &h), 1);
	ck_assert_str_eq(h.detail, "request TCP example.org:443");
	/* not VLESS: a bad command, a bad address type, a domain with a
	 * space, port 0 */
	{
		uint8_t b[sizeof(req)];

		memcpy(b, req, sizeof(req));
		b[18] = 4;
		sim_init(&s, TCP, 40000, 2053);
		ck_assert_int_eq(feed(&s, 0, b, sizeof(req) - 1, &h), 0);
		memcpy(b, req, sizeof(req));
		b[21] = 5;
		sim_init(&s, TCP, 40000, 2053);
		ck_assert_int_eq(feed(&s, 0, b, sizeof(req) - 1, &h), 0);
		memcpy(b, req, sizeof(req));
		b[19] = b[20] = 0;
		sim_init(&s, TCP, 40000, 2053);
		ck_assert_int_eq(feed(&s, 0, b, sizeof(req) - 1, &h), 0);
	}
	{
		uint8_t b[sizeof(dom)];

		memcpy(b, dom, sizeof(dom));
		b[26] = ' ';
		sim_init(&s, TCP, 40000, 443);
		ck_assert_int_eq(feed(&s, 0, b, sizeof(dom) - 1, &h), 0);
	}
}
END_TEST

/* L2TPv2 SCCRQ as xl2tpd 1.3.18 sends it (tests/golden/l2tp/, cut
 * to its first AVPs), an OpenConnect DTLS hello with PSK suites only
 * (openconnect 9.01), and WARP's WireGuard with its reserved bytes set,
 * counted only once the response echoes the index. */
START_TEST(l2tp_dtls_warp)
{
	uint8_t b[160];
	struct sim s;
	struct heur_hit h;

	memset(b, 0, sizeof(b));
	memcpy(b, "\xc8\x02\x00\x14\x00\x00\x00\x00\x00\x00\x00\x00"
	    "\x80\x08\x00\x00\x00\x00\x00\x01", 20);
	sim_init(&s, UDP, 1701, 1701);
	ck_assert_int_eq(feed(&s, 0, b, 20, &h), 1);
	ck_assert_str_eq(h.name, "l2tp");
	ck_assert_str_eq(h.detail, "L2TPv2 control message SCCRQ");
	b[3] = 0x15;		/* the length field must be the datagram's */
	sim_init(&s, UDP, 1701, 1701);
	ck_assert_int_eq(feed(&s, 0, b, 20, &h), 0);

	memset(b, 0, sizeof(b));
	memcpy(b, "\x16\xfe\xff", 3);
	b[13] = 1;		/* client_hello */
	b[13 + 12 + 2 + 32] = 32;	/* session id */
	{
		size_t off = 13 + 12 + 2 + 32 + 1 + 32;

		b[off++] = 0;	/* no cookie */
		b[off++] = 0;
		b[off++] = 4;
		memcpy(b + off, "\x00\xa9\xcc\xab", 4);
		sim_init(&s, UDP, 46976, 10443);
		ck_assert_int_eq(feed(&s, 0, b, off + 4 + 2, &h), 1);
		ck_assert_str_eq(h.name, "openconnect-dtls");
		memcpy(b + off, "\x00\xa9\xc0\x2f", 4);	/* a certificate suite */
		sim_init(&s, UDP, 46976, 10443);
		ck_assert_int_eq(feed(&s, 0, b, off + 4 + 2, &h), 0);
	}

	memset(b, 0x33, sizeof(b));
	memcpy(b, "\x01\x1a\x2b\x3c\x11\x22\x33\x44", 8);	/* reserved set */
	sim_init(&s, UDP, 60555, 2408);
	ck_assert_int_eq(feed(&s, 0, b, 148, &h), 0);
	memcpy(b, "\x02\x4d\x5e\x6f\x55\x66\x77\x88\x11\x22\x33\x44", 12);
	ck_assert_int_eq(feed(&s, 1, b, 92, &h), 1);
	ck_assert_str_eq(h.name, "wireguard");
	ck_assert_int_eq(h.confidence, CONF_HIGH);
}
END_TEST

START_TEST(ordinary_traffic)
{
	/* A TLS 1.3 ClientHello record header and the start of its body. */
	uint8_t ch[517], sh[122], dns[45];
	static const char *const http[] = {
		"GET / HTTP/1.1\r\nHost: example.com\r\nUser-Agent: curl/7.88.1\r\n\r\n",
		"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 5\r\n\r\nhello",
		"SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n",
	};
	struct heur_hit h;
	struct sim s;
	size_t i;
	uint16_t ports[] = { 443, 1080, 1194, 500, 4500, 51820, 53, 8080 };
	uint8_t protos[] = { TCP, UDP };
	size_t pi, ri;

	rng_state = 21;
	fill_random(ch, sizeof(ch));
	memcpy(ch, "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", 11);
	fill_random(sh, sizeof(sh));
	memcpy(sh, "\x16\x03\x03\x00\x75\x02\x00\x00\x71\x03\x03", 11);
	/* A DNS query for www.example.com A with EDNS. */
	memcpy(dns, "\xab\xcd\x01\x20\x00\x01\x00\x00\x00\x00\x00\x01"
	    "\x03www\x07" "example\x03" "com\x00\x00\x01\x00\x01"
	    "\x00\x00\x29\x10\x00\x00\x00\x00\x00\x00\x00", 44);
	for (pi = 0; pi < NELEM(ports); pi++)
		for (ri = 0; ri < NELEM(protos); ri++) {
			sim_init(&s, protos[ri], 40000, ports[pi]);
			ck_assert_int_eq(feed(&s, 0, ch, sizeof(ch), &h), 0);
			ck_assert_int_eq(feed(&s, 1, sh, sizeof(sh), &h), 0);
			ck_assert_int_eq(feed(&s, 0, dns, 44, &h), 0);
			ck_assert_int_eq(feed(&s, 1, dns, 44, &h), 0);
			for (i = 0; i < NELEM(http); i++) {
				ck_assert_int_eq(feed(&s, 0, http[i], strlen(http[i]), &h), 0);
				ck_assert_int_eq(feed(&s, 1, http[i], strlen(http[i]), &h), 0);
			}
		}
}
END_TEST

/*
 * Random payloads, fixed seed. Every detector needs at least 32 bits of
 * fixed structure (e.g. WireGuard: type and three zero bytes, plus an exact
 * length; IKE: a 32-bit length equal to the datagram's; SOCKS4: two fixed
 * bytes, an exact NUL position and printable text; SOCKS5 and OpenVPN
 * pairs: two messages), so over 10^5 payloads the expected number of false
 * hits is far below 1 and the bound asserted is 0. The second half of the
 * payloads start with a byte that some detector looks for, so the deeper
 * checks are exercised too; flows of 8 packets share state so that pairs
 * can form.
 */
#define RANDOM_PAYLOADS 100000

START_TEST(random_payloads)
{
	static const uint8_t first[] = { 0x00, 0x01, 0x02, 0x03, 0x04, 0x05,
	    0x08, 0x10, 0x38, 0x40, 0x50, 'C', 'G', 'P' };
	static const uint16_t ports[] = { 500, 4500, 1080, 1194, 51820, 443, 80 };
	uint8_t *buf;
	struct heur_hit h;
	struct sim s;
	unsigned i, hits = 0;
	size_t len;

	rng_state = 0x9e3779b97f4a7c15ULL;
	for (i = 0; i < RANDOM_PAYLOADS; i++) {
		if (i % HEUR_MAX_PACKETS == 0)
			sim_init(&s, rng() % 2 ? TCP : UDP, (uint16_t)(rng() % 65536),
			    ports[rng() % NELEM(ports)]);
		len = rng() % 201;
		buf = malloc(len > 0 ? len : 1);
		ck_assert_ptr_nonnull(buf);
		fill_random(buf, len);
		if (i >= RANDOM_PAYLOADS / 2 && len > 0)
			buf[0] = first[rng() % NELEM(first)];
		hits += (unsigned)feed(&s, (int)(rng() % 2), buf, len, &h);
		free(buf);
	}
	ck_assert_uint_eq(hits, 0);
}
END_TEST

Suite *
heur_proxy_suite(void)
{
	Suite *s = suite_create("heur_proxy");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, socks5_curl_microsocks);
	tcase_add_test(tc, socks5_domain_and_auth);
	tcase_add_test(tc, socks5_negatives);
	tcase_add_test(tc, socks4_request_reply);
	tcase_add_test(tc, socks4_negatives);
	tcase_add_test(tc, http_connect_and_absolute);
	tcase_add_test(tc, http_negatives);
	tcase_add_test(tc, openvpn_tcp);
	tcase_add_test(tc, openvpn_udp);
	tcase_add_test(tc, openvpn_one_leg);
	tcase_add_test(tc, openvpn_negatives);
	tcase_add_test(tc, wireguard_handshake);
	tcase_add_test(tc, wireguard_transport_only);
	tcase_add_test(tc, ike_v2_500_and_4500);
	tcase_add_test(tc, ike_v1_and_negatives);
	tcase_add_test(tc, ip_proto);
	tcase_add_test(tc, vless_request);
	tcase_add_test(tc, l2tp_dtls_warp);
	tcase_add_test(tc, ordinary_traffic);
	tcase_add_test(tc, random_payloads);
	suite_add_tcase(s, tc);
	return s;
}
