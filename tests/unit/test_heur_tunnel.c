/*
 * test_heur_tunnel.c: overlay networks and tunnel tools. ZeroTier's HELLO,
 * frp's messages and the WebSocket openings of chisel, ttyd, GoTTY and
 * Jupyter are built here from their specifications (ZeroTierOne
 * node/Packet.hpp, frp pkg/msg and pkg/util/net, RFC 6455), and v2ray's
 * mKCP seal from its crypt.go, SoftEther's PACK from Mayaqua's Pack.c and
 * its UDP acceleration's IV chain from Cedar's UdpAccel.c (recorded from
 * the real vpnserver and vpnclient too, tests/golden/softether/). Nebula's handshake, SSH inside a WebSocket
 * (websockify) and mKCP are recorded from the real programs as well, in
 * tests/golden/nebula/, ssh-websocket/ and v2ray-mkcp/. Near misses and random
 * bytes must never match.
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
#define TXT(s) (const uint8_t *)(s), sizeof(s) - 1

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
	r = heur_tunnel(st, &p, hit);
	free(copy);
	return r;
}

#define HIT(r, h, cat, conf, nm) do {					\
	ck_assert_int_eq((r), 1);					\
	ck_assert_int_eq((h).category, (cat));				\
	ck_assert_int_eq((h).confidence, (conf));			\
	ck_assert_str_eq((h).name, (nm));				\
} while (0)

/* A ZeroTier HELLO: packet id, destination, source, flags (cipher 0, no
 * hops), MAC, verb 1, protocol 12, version 1.10.6, timestamp, identity
 * (address = source, type 0, 64 bytes of public keys, no private key). */
static size_t
zt_hello(uint8_t *b)
{
	static const uint8_t src[5] = { 0x8e, 0x41, 0x27, 0x03, 0x5c };
	size_t i;

	memset(b, 0, 140);
	for (i = 0; i < 8; i++)
		b[i] = (uint8_t)(0xa1 + 13 * i);
	memcpy(b + 8, "\x77\x8c\xde\x71\x90", 5);	/* a root */
	memcpy(b + 13, src, 5);
	b[18] = 0x00;
	for (i = 19; i < 27; i++)
		b[i] = (uint8_t)(i * 29);
	b[27] = 0x01;
	b[28] = 12;
	b[29] = 1;
	b[30] = 10;
	b[31] = 0;
	b[32] = 6;
	memcpy(b + 33, "\x00\x00\x01\x8c\x2a\x1b\x3c\x4d", 8);
	memcpy(b + 41, src, 5);
	b[46] = 0;
	for (i = 47; i < 47 + 64; i++)
		b[i] = (uint8_t)(i * 31 + 7);
	b[111] = 0;
	return 140;
}

START_TEST(zerotier_hello)
{
	struct heur_flow st;
	struct heur_hit h;
	uint8_t b[140];
	size_t n = zt_hello(b);
	int r;

	memset(&st, 0, sizeof(st));
	r = feed(&st, UDP, 0, 0, b, n, &h);
	HIT(r, h, CAT_PROXY, CONF_HIGH, "zerotier");
	ck_assert_str_eq(h.detail,
	    "HELLO from node 8e4127035c, protocol 12, version 1.10.6");

	/* The identity of another node: a relayed or forged header. */
	b[45] ^= 1;
	memset(&st, 0, sizeof(st));
	ck_assert_int_eq(feed(&st, UDP, 0, 0, b, n, &h), 0);
	b[45] ^= 1;
	/* Encrypted (cipher suite 1): the verb is not readable. */
	b[18] = 0x08;
	memset(&st, 0, sizeof(st));
	ck_assert_int_eq(feed(&st, UDP, 0, 0, b, n, &h), 0);
	b[18] = 0;
	/* Another verb, or cut before the public keys. */
	b[27] = 0x02;
	memset(&st, 0, sizeof(st));
	ck_assert_int_eq(feed(&st, UDP, 0, 0, b, n, &h), 0);
	b[27] = 0x01;
	memset(&st, 0, sizeof(st));
	ck_assert_int_eq(feed(&st, UDP, 0, 0, b, 100, &h), 0);
	/* Over TCP it is nothing. */
	memset(&st, 0, sizeof(st));
	ck_assert_int_eq(feed(&st, TCP, 0, 0, b, n, &h), 0);
}
END_TEST

START_TEST(nebula_handshake)
{
	struct heur_flow st;
	struct heur_hit h;
	uint8_t s1[16 + 32 + 32 + 200], s2[16 + 32 + 48 + 200];
	int r;

	memset(s1, 0x5a, sizeof(s1));
	memcpy(s1, "\x10\x00\x00\x00" "\x00\x00\x00\x00"
	    "\x00\x00\x00\x00\x00\x00\x00\x01", 16);
	memset(s2, 0xa5, sizeof(s2));
	memcpy(s2, "\x10\x00\x00\x00" "\x3e\x91\x02\x7c"
	    "\x00\x00\x00\x00\x00\x00\x00\x02", 16);

	memset(&st, 0, sizeof(st));
	r = feed(&st, UDP, 0, 0, s1, sizeof(s1), &h);
	HIT(r, h, CAT_PROXY, CONF_MEDIUM, "nebula");
	r = feed(&st, UDP, 1, 1, s2, sizeof(s2), &h);
	HIT(r, h, CAT_PROXY, CONF_HIGH, "nebula");
	ck_assert_str_eq(h.detail, "Noise IX handshake answered, index 3e91027c");

	/* An answer in the initiator's own direction is not one. */
	memset(&st, 0, sizeof(st));
	(void)feed(&st, UDP, 0, 0, s1, sizeof(s1), &h);
	ck_assert_int_eq(feed(&st, UDP, 0, 1, s2, sizeof(s2), &h), 0);
	/* Stage two alone, another counter, or version 2 are nothing. */
	memset(&st, 0, sizeof(st));
	ck_assert_int_eq(feed(&st, UDP, 1, 0, s2, sizeof(s2), &h), 0);
	s1[15] = 3;
	memset(&st, 0, sizeof(st));
	ck_assert_int_eq(feed(&st, UDP, 0, 0, s1, sizeof(s1), &h), 0);
	s1[15] = 1;
	s1[0] = 0x20;
	ck_assert_int_eq(feed(&st, UDP, 0, 0, s1, sizeof(s1), &h), 0);
}
END_TEST

START_TEST(frp_openings)
{
	static const uint8_t hello[] = { 0x16, 0x03, 0x01, 0x01, 0x20, 0x01,
		0x00, 0x01, 0x1c, 0x03, 0x03 };
	static const char login[] = "o\0\0\0\0\0\0\0\x8a{\"version\":\"0.44.0\","
	    "\"hostname\":\"\",\"os\":\"linux\",\"arch\":\"amd64\",\"user\":\"\","
	    "\"privilege_key\":\"5f2b\",\"timestamp\":1700000000,\"run_id\":\"\","
	    "\"pool_count\":1}";
	uint8_t b[256], one = 0x17;
	struct heur_flow st;
	struct heur_hit h;
	int r;

	/* frp >= 0.50: the byte alone, then the ClientHello. */
	memset(&st, 0, sizeof(st));
	ck_assert_int_eq(feed(&st, TCP, 0, 0, &one, 1, &h), 0);
	r = feed(&st, TCP, 0, 1, hello, sizeof(hello), &h);
	HIT(r, h, CAT_PROXY, CONF_HIGH, "frp");
	/* Both in one segment. */
	b[0] = 0x17;
	memcpy(b + 1, hello, sizeof(hello));
	memset(&st, 0, sizeof(st));
	r = feed(&st, TCP, 0, 0, b, 1 + sizeof(hello), &h);
	HIT(r, h, CAT_PROXY, CONF_HIGH, "frp");
	/* A plain ClientHello, or the byte followed by anything else. */
	memset(&st, 0, sizeof(st));
	ck_assert_int_eq(feed(&st, TCP, 0, 0, hello, sizeof(hello), &h), 0);
	ck_assert_int_eq(feed(&st, TCP, 0, 0, &one, 1, &h), 0);
	ck_assert_int_eq(feed(&st, TCP, 0, 1, TXT("GET / HTTP/1.1\r\n"), &h), 0);
	ck_assert_int_eq(feed(&st, TCP, 0, 2, hello, sizeof(hello), &h), 0);
	/* From the server it is nothing. */
	memset(&st, 0, sizeof(st));
	ck_assert_int_eq(feed(&st, TCP, 1, 0, &one, 1, &h), 0);
	ck_assert_int_eq(feed(&st, TCP, 1, 1, hello, sizeof(hello), &h), 0);

	/* Without TLS: the login message, bare or after yamux's window
	 * update (SYN) and data headers. */
	memset(&st, 0, sizeof(st));
	r = feed(&st, TCP, 0, 0, (const uint8_t *)login, sizeof(login) - 1, &h);
	HIT(r, h, CAT_PROXY, CONF_HIGH, "frp");
	ck_assert_str_eq(h.detail, "frp login message");
	memcpy(b, "\x00\x01\x00\x01\x00\x00\x00\x01\x00\x5c\x00\x00"
	    "\x00\x00\x00\x00\x00\x00\x00\x01\x00\x00\x00\x93", 24);
	memcpy(b + 24, login, sizeof(login) - 1);
	memset(&st, 0, sizeof(st));
	r = feed(&st, TCP, 0, 0, b, 24 + sizeof(login) - 1, &h);
	HIT(r, h, CAT_PROXY, CONF_HIGH, "frp");
	ck_assert_str_eq(h.detail, "frp login message in yamux");
	/* The same JSON with no field of frp's is nothing. */
	memcpy(b, "o\0\0\0\0\0\0\0\x20{\"version\":\"1\",\"user\":\"x\"}", 34);
	memset(&st, 0, sizeof(st));
	ck_assert_int_eq(feed(&st, TCP, 0, 0, b, 34, &h), 0);
}
END_TEST

#define WS_REQ(extra) "GET /ws HTTP/1.1\r\nHost: tunnel.example\r\n"	\
	"Upgrade: websocket\r\nConnection: Upgrade\r\n"			\
	"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"		\
	"Sec-WebSocket-Version: 13\r\n" extra "\r\n"

START_TEST(websocket_openings)
{
	struct heur_flow st;
	struct heur_hit h;
	int r;

	memset(&st, 0, sizeof(st));
	r = feed(&st, TCP, 0, 0, TXT(WS_REQ("Sec-WebSocket-Protocol: chisel-v3\r\n")), &h);
	HIT(r, h, CAT_PROXY, CONF_MEDIUM, "chisel");
	memset(&st, 0, sizeof(st));
	r = feed(&st, TCP, 0, 0, TXT(WS_REQ("sec-websocket-protocol: tty\r\n")), &h);
	HIT(r, h, CAT_REMOTE_ACCESS, CONF_MEDIUM, "ttyd");
	memset(&st, 0, sizeof(st));
	r = feed(&st, TCP, 0, 0, TXT(WS_REQ("Sec-WebSocket-Protocol: webtty\r\n")), &h);
	HIT(r, h, CAT_REMOTE_ACCESS, CONF_MEDIUM, "gotty");
	memset(&st, 0, sizeof(st));
	r = feed(&st, TCP, 0, 0, TXT("GET /user/a/terminals/websocket/1 HTTP/1.1\r\n"
	    "Host: hub.example\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n"), &h);
	HIT(r, h, CAT_REMOTE_ACCESS, CONF_MEDIUM, "jupyter-terminal");

	/* Other subprotocols, a token that only starts like tty, and no
	 * Upgrade at all are nothing. */
	memset(&st, 0, sizeof(st));
	ck_assert_int_eq(feed(&st, TCP, 0, 0, TXT(WS_REQ("Sec-WebSocket-Protocol: graphql-ws, mqtt\r\n")), &h), 0);
	memset(&st, 0, sizeof(st));
	ck_assert_int_eq(feed(&st, TCP, 0, 0, TXT(WS_REQ("Sec-WebSocket-Protocol: ttyx\r\n")), &h), 0);
	memset(&st, 0, sizeof(st));
	ck_assert_int_eq(feed(&st, TCP, 0, 0, TXT("GET /x HTTP/1.1\r\nHost: a\r\n"
	    "Sec-WebSocket-Protocol: tty\r\n\r\n"), &h), 0);
}
END_TEST

START_TEST(ssh_in_websocket)
{
	static const uint8_t key[4] = { 0x37, 0xfa, 0x21, 0x3d };
	static const char banner[] = "SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n";
	uint8_t frame[128], srv[256];
	struct heur_flow st;
	struct heur_hit h;
	size_t i, n = sizeof(banner) - 1;
	static const char ok[] = "HTTP/1.1 101 Switching Protocols\r\n"
	    "Upgrade: websocket\r\nConnection: Upgrade\r\n"
	    "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"
	    "Sec-WebSocket-Protocol: binary\r\n\r\n";
	int r;

	/* The client's masked binary frame. */
	frame[0] = 0x82;
	frame[1] = (uint8_t)(0x80 | n);
	memcpy(frame + 2, key, 4);
	for (i = 0; i < n; i++)
		frame[6 + i] = (uint8_t)banner[i] ^ key[i % 4];
	memset(&st, 0, sizeof(st));
	ck_assert_int_eq(feed(&st, TCP, 0, 0, TXT(WS_REQ("Sec-WebSocket-Protocol: binary\r\n")), &h), 0);
	ck_assert_int_eq(feed(&st, TCP, 1, 1, TXT(ok), &h), 0);
	r = feed(&st, TCP, 0, 2, frame, 6 + n, &h);
	HIT(r, h, CAT_PROXY, CONF_HIGH, "ssh-websocket");
	ck_assert_str_eq(h.detail,
	    "SSH version banner in the client's first WebSocket frame");

	/* The server's unmasked frame in the same segment as its 101. */
	memcpy(srv, ok, sizeof(ok) - 1);
	srv[sizeof(ok) - 1] = 0x82;
	srv[sizeof(ok)] = (uint8_t)n;
	memcpy(srv + sizeof(ok) + 1, banner, n);
	memset(&st, 0, sizeof(st));
	(void)feed(&st, TCP, 0, 0, TXT(WS_REQ("")), &h);
	r = feed(&st, TCP, 1, 1, srv, sizeof(ok) + 1 + n, &h);
	HIT(r, h, CAT_PROXY, CONF_HIGH, "ssh-websocket");

	/* Without the upgrade the same frame is nothing, and so is a frame
	 * of other text. */
	memset(&st, 0, sizeof(st));
	ck_assert_int_eq(feed(&st, TCP, 0, 0, frame, 6 + n, &h), 0);
	memset(&st, 0, sizeof(st));
	(void)feed(&st, TCP, 0, 0, TXT(WS_REQ("")), &h);
	(void)feed(&st, TCP, 1, 1, TXT(ok), &h);
	frame[6] ^= 1;
	ck_assert_int_eq(feed(&st, TCP, 0, 2, frame, 6 + n, &h), 0);
}
END_TEST

static void
fill(uint8_t *b, size_t n, uint64_t seed)
{
	size_t i;

	for (i = 0; i < n; i++) {
		seed ^= seed << 13;
		seed ^= seed >> 7;
		seed ^= seed << 17;
		b[i] = (uint8_t)(seed >> 24);
	}
}

#define OK101 "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n" \
	"Connection: Upgrade\r\nSec-WebSocket-Accept: x\r\n\r\n"

START_TEST(websocket_pretenders)
{
	static const char req[] = WS_REQ("Content-Length: 300\r\n");
	uint8_t b[1024], c[400], sv[400];
	struct heur_flow st;
	struct heur_hit h;
	size_t i;
	int r;

	/* simple-obfs: the tunnel's first bytes ride with the request. */
	memcpy(b, req, sizeof(req) - 1);
	fill(b + sizeof(req) - 1, 300, 7);
	memset(&st, 0, sizeof(st));
	r = feed(&st, TCP, 0, 0, b, sizeof(req) - 1 + 300, &h);
	HIT(r, h, CAT_PROXY, CONF_MEDIUM, "fake-websocket");
	ck_assert_str_eq(h.detail,
	    "WebSocket upgrade request with 300 random bytes behind it");

	/* Random bytes, no frames, both ways after the switch (the 101 and
	 * the server's bytes in one segment). */
	memset(&st, 0, sizeof(st));
	ck_assert_int_eq(feed(&st, TCP, 0, 0, TXT(WS_REQ("")), &h), 0);
	memcpy(b, OK101, sizeof(OK101) - 1);
	fill(b + sizeof(OK101) - 1, 200, 9);
	b[sizeof(OK101) - 1] = 0x3f;	/* no opcode */
	ck_assert_int_eq(feed(&st, TCP, 1, 1, b, sizeof(OK101) - 1 + 200, &h), 0);
	fill(c, 180, 11);
	c[0] = 0x37;
	r = feed(&st, TCP, 0, 2, c, 180, &h);
	HIT(r, h, CAT_PROXY, CONF_MEDIUM, "fake-websocket");

	/* v2ray-plugin: real frames, masked from the client, whose payloads
	 * are random each way. */
	c[0] = 0x82;
	c[1] = 0x80 | 126;
	c[2] = 0x01;
	c[3] = 0x00;
	memcpy(c + 4, "\x1a\x2b\x3c\x4d", 4);
	fill(c + 8, 250, 13);
	sv[0] = 0x82;
	sv[1] = 126;
	sv[2] = 0x00;
	sv[3] = 0xf0;
	fill(sv + 4, 240, 17);
	memset(&st, 0, sizeof(st));
	(void)feed(&st, TCP, 0, 0, TXT(WS_REQ("")), &h);
	(void)feed(&st, TCP, 1, 1, TXT(OK101), &h);
	ck_assert_int_eq(feed(&st, TCP, 0, 2, c, 258, &h), 0);
	r = feed(&st, TCP, 1, 3, sv, 244, &h);
	HIT(r, h, CAT_PROXY, CONF_MEDIUM, "encrypted-websocket");

	/* JSON frames, or a random client frame answered by text, are an
	 * ordinary WebSocket. */
	memset(&st, 0, sizeof(st));
	(void)feed(&st, TCP, 0, 0, TXT(WS_REQ("")), &h);
	(void)feed(&st, TCP, 1, 1, TXT(OK101), &h);
	ck_assert_int_eq(feed(&st, TCP, 0, 2, c, 258, &h), 0);
	sv[0] = 0x81;
	sv[1] = 90;
	for (i = 0; i < 90; i++)
		sv[2 + i] = (uint8_t)"{\"type\":\"update\",\"id\":1234,\"v\":[1,2,3]}"[i % 40];
	ck_assert_int_eq(feed(&st, TCP, 1, 3, sv, 92, &h), 0);
	/* A request with a short text body behind it is no tunnel either. */
	memset(&st, 0, sizeof(st));
	ck_assert_int_eq(feed(&st, TCP, 0, 0,
	    TXT(WS_REQ("Content-Length: 5\r\n") "hello"), &h), 0);
}
END_TEST

/* v2ray's simple authenticator, as its crypt.go seals: hash, length,
 * segment, then x[i] ^= x[i - 4] from the fifth byte on. */
static size_t
mkcp_seal(uint8_t *out, const uint8_t *seg, size_t n)
{
	uint32_t h = 2166136261u;
	size_t i;

	out[4] = (uint8_t)(n >> 8);
	out[5] = (uint8_t)n;
	memcpy(out + 6, seg, n);
	for (i = 4; i < 6 + n; i++) {
		h ^= out[i];
		h *= 16777619u;
	}
	out[0] = (uint8_t)(h >> 24);
	out[1] = (uint8_t)(h >> 16);
	out[2] = (uint8_t)(h >> 8);
	out[3] = (uint8_t)h;
	for (i = 4; i < 6 + n; i++)
		out[i] ^= out[i - 4];
	return 6 + n;
}

START_TEST(v2ray_mkcp)
{
	/* A KCP push segment: conv, cmd 81, frg, wnd, ts, sn, una, len,
	 * then 40 bytes of data. */
	uint8_t seg[64], b[128];
	struct heur_flow st;
	struct heur_hit h;
	size_t n;
	int r;

	memset(seg, 0, sizeof(seg));
	memcpy(seg, "\x9a\x31\x07\xc2\x51\x00\x00\x01\x00\x00\x10\x27"
	    "\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x28", 24);
	fill(seg + 24, 40, 23);
	n = mkcp_seal(b, seg, sizeof(seg));
	memset(&st, 0, sizeof(st));
	r = feed(&st, UDP, 0, 0, b, n, &h);
	HIT(r, h, CAT_PROXY, CONF_HIGH, "v2ray-mkcp");
	/* Behind the 4 bytes of the srtp disguise. */
	memmove(b + 4, b, n);
	memcpy(b, "\x80\x60\x12\x34", 4);
	memset(&st, 0, sizeof(st));
	r = feed(&st, UDP, 0, 0, b, n + 4, &h);
	HIT(r, h, CAT_PROXY, CONF_HIGH, "v2ray-mkcp");
	/* One bit changed breaks the hash; a cut datagram its length. */
	b[40] ^= 0x04;
	memset(&st, 0, sizeof(st));
	ck_assert_int_eq(feed(&st, UDP, 0, 0, b, n + 4, &h), 0);
	b[40] ^= 0x04;
	memset(&st, 0, sizeof(st));
	ck_assert_int_eq(feed(&st, UDP, 0, 0, b, n + 3, &h), 0);
}
END_TEST

/* SoftEther PACK writers, as Mayaqua's Pack.c lays elements out. */
static size_t
se_u32(uint8_t *b, size_t n, uint32_t v)
{
	b[n] = (uint8_t)(v >> 24);
	b[n + 1] = (uint8_t)(v >> 16);
	b[n + 2] = (uint8_t)(v >> 8);
	b[n + 3] = (uint8_t)v;
	return n + 4;
}

static size_t
se_elem_head(uint8_t *b, size_t n, const char *name, uint32_t type)
{
	n = se_u32(b, n, (uint32_t)strlen(name) + 1);
	memcpy(b + n, name, strlen(name));
	n += strlen(name);
	n = se_u32(b, n, type);
	return se_u32(b, n, 1);
}

/* A NAT-T style request: opcode (str), tran_id (int64), an int and a
 * unistr host name ending in its NUL. */
static size_t
se_pack_sample(uint8_t *b)
{
	size_t n = se_u32(b, 0, 4);

	n = se_elem_head(b, n, "opcode", 2);
	n = se_u32(b, n, 10);
	memcpy(b + n, "nat_t_hello", 10);
	n += 10;
	n = se_elem_head(b, n, "tran_id", 4);
	n = se_u32(b, n, 0x01020304);
	n = se_u32(b, n, 0x05060708);
	n = se_elem_head(b, n, "port", 0);
	n = se_u32(b, n, 5555);
	n = se_elem_head(b, n, "host_name", 3);
	n = se_u32(b, n, 6);
	memcpy(b + n, "vm-01", 6);
	return n + 6;
}

START_TEST(softether_pack)
{
	uint8_t b[200];
	struct heur_flow st;
	struct heur_hit h;
	size_t n;
	int r;

	n = se_pack_sample(b);
	memset(&st, 0, sizeof(st));
	r = feed(&st, UDP, 0, 0, b, n, &h);
	HIT(r, h, CAT_PROXY, CONF_HIGH, "softether");
	ck_assert_str_eq(h.detail,
	    "PACK of 4 elements, the first \"opcode\"");
	/* A byte more or less, or a count one too high, is no PACK. */
	memset(&st, 0, sizeof(st));
	ck_assert_int_eq(feed(&st, UDP, 0, 0, b, n - 1, &h), 0);
	b[n] = 0;
	ck_assert_int_eq(feed(&st, UDP, 0, 0, b, n + 1, &h), 0);
	b[3] = 5;
	ck_assert_int_eq(feed(&st, UDP, 0, 0, b, n, &h), 0);
	b[3] = 4;
	/* A unistr without its NUL, an unknown type, a name with a space. */
	b[n - 1] = 'x';
	ck_assert_int_eq(feed(&st, UDP, 0, 0, b, n, &h), 0);
	b[n - 1] = 0;
	b[4 + 4 + 6 + 3] = 5;
	ck_assert_int_eq(feed(&st, UDP, 0, 0, b, n, &h), 0);
	b[4 + 4 + 6 + 3] = 2;
	b[4 + 4 + 2] = ' ';
	ck_assert_int_eq(feed(&st, UDP, 0, 0, b, n, &h), 0);
	b[4 + 4 + 2] = 'c';
	r = feed(&st, UDP, 0, 0, b, n, &h);
	HIT(r, h, CAT_PROXY, CONF_HIGH, "softether");

	/* The NAT-T server's answer, IPv4 and IPv6. */
	memset(&st, 0, sizeof(st));
	r = feed(&st, UDP, 1, 1, TXT("IP=198.51.100.7,PORT=40123"), &h);
	HIT(r, h, CAT_PROXY, CONF_MEDIUM, "softether");
	memset(&st, 0, sizeof(st));
	r = feed(&st, UDP, 1, 1, TXT("IP=2001:db8::7,PORT=5555"), &h);
	HIT(r, h, CAT_PROXY, CONF_MEDIUM, "softether");
	memset(&st, 0, sizeof(st));
	ck_assert_int_eq(feed(&st, UDP, 1, 1, TXT("IP=198.51.100.7,PORT="),
	    &h), 0);
	ck_assert_int_eq(feed(&st, UDP, 1, 1,
	    TXT("IP=198.51.100.7,PORT=40123\n"), &h), 0);
	ck_assert_int_eq(feed(&st, UDP, 1, 1, TXT("IP=host,PORT=1"), &h), 0);
}
END_TEST

/* A pseudo-random byte stream for the datagrams below. */
static uint8_t
xorshift8(uint64_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return (uint8_t)*x;
}

/*
 * SoftEther's UDP acceleration as Cedar's UdpAccel.c chains it: version 2
 * opens each datagram with the first 12 bytes of the previous one's
 * ciphertext (its bytes 12-23), version 1 with the previous one's last 20
 * bytes. Each side chains its own datagrams.
 */
static void
se_accel_flow(int version, int chained, unsigned *hits_at)
{
	uint8_t prev[2][120], b[120];
	size_t plen[2] = { 0, 0 }, len, k;
	uint64_t x = 0x9e3779b97f4a7c15ULL;
	struct heur_flow st;
	struct heur_hit h;
	unsigned i;

	memset(&st, 0, sizeof(st));
	*hits_at = 0;
	for (i = 0; i < 8; i++) {
		int dir = (int)(i & 1);

		len = 52 + (i * 13) % 40;
		for (k = 0; k < len; k++)
			b[k] = xorshift8(&x);
		if (chained && plen[dir] > 0) {
			if (version == 2)
				memcpy(b, prev[dir] + 12, 12);
			else
				memcpy(b, prev[dir] + plen[dir] - 20, 20);
		}
		memcpy(prev[dir], b, len);
		plen[dir] = len;
		if (feed(&st, UDP, dir, i, b, len, &h) && *hits_at == 0) {
			HIT(1, h, CAT_PROXY, CONF_HIGH, "softether-udp-accel");
			ck_assert_int_eq(h.either_side, 1);
			*hits_at = i + 1;
		}
	}
}

START_TEST(softether_udp_accel)
{
	uint8_t z[60];
	struct heur_flow st;
	struct heur_hit h;
	unsigned at, i;

	/* The second link (a side's second datagram after its first, on
	 * the other side too) is the verdict: the fourth datagram. */
	se_accel_flow(2, 1, &at);
	ck_assert_uint_eq(at, 4);
	se_accel_flow(1, 1, &at);
	ck_assert_uint_eq(at, 4);
	se_accel_flow(2, 0, &at);
	ck_assert_uint_eq(at, 0);
	/* Datagrams of zeros, or of one repeated byte, announce nothing. */
	memset(z, 0, sizeof(z));
	memset(&st, 0, sizeof(st));
	for (i = 0; i < 8; i++)
		ck_assert_int_eq(feed(&st, UDP, (int)(i & 1), i, z, sizeof(z),
		    &h), 0);
	memset(z, 0x5a, sizeof(z));
	memset(&st, 0, sizeof(st));
	for (i = 0; i < 8; i++)
		ck_assert_int_eq(feed(&st, UDP, (int)(i & 1), i, z, sizeof(z),
		    &h), 0);
}
END_TEST

START_TEST(random_bytes)
{
	uint64_t x = 0x2545f4914f6cdd1dULL;
	struct heur_flow st;
	struct heur_hit h;
	uint8_t b[1400];
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
		/* Give the cheap first-byte tests a chance. */
		if (n % 4 == 0)
			b[0] = n % 8 == 0 ? 0x10 : 0x17;
		memset(&st, 0, sizeof(st));
		for (i = 0; i < 4; i++)
			hits += (unsigned)feed(&st, i & 1 ? UDP : TCP, (int)(i >> 1),
			    i >> 1, b, len, &h);
	}
	ck_assert_uint_eq(hits, 0);
}
END_TEST

Suite *
heur_tunnel_suite(void)
{
	Suite *s = suite_create("heur_tunnel");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, zerotier_hello);
	tcase_add_test(tc, nebula_handshake);
	tcase_add_test(tc, frp_openings);
	tcase_add_test(tc, websocket_openings);
	tcase_add_test(tc, ssh_in_websocket);
	tcase_add_test(tc, websocket_pretenders);
	tcase_add_test(tc, v2ray_mkcp);
	tcase_add_test(tc, softether_pack);
	tcase_add_test(tc, softether_udp_accel);
	tcase_add_test(tc, random_bytes);
	suite_add_tcase(s, tc);
	return s;
}
