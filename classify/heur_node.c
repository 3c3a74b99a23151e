/*
 * heur_node.c: crypto-currency nodes recognised from their peer protocols:
 * the Bitcoin family's message header with its checksum, Monero's Levin
 * header, Ethereum's RLPx handshake (legacy and EIP-8) and discovery v4
 * packets, and Nano's node header. A notebook VM running a node serves
 * miners their work and is what the platform forbids under mining; the
 * verdict says "is running a cryptocurrency node".
 *
 * The design decision: each check proves what it claims from the
 * protocol's own arithmetic wherever the protocol has some, so no port and
 * no address is needed. A Bitcoin-family header is taken when its checksum
 * (the first four bytes of SHA-256d of the payload) matches, whatever the
 * coin's magic; an Ethereum discovery packet when its first 32 bytes are
 * the Keccak-256 of the rest; an RLPx handshake when the public key it
 * opens with is a point of secp256k1, which random bytes are once in 2^128.
 * Levin and Nano have no such arithmetic: Levin has an 8-byte signature
 * and version fields, Nano a header whose three version bytes must be
 * ordered, and both need the other side to answer in kind for high.
 */
#include <stdio.h>
#include <string.h>

#include <openssl/sha.h>

#include "bytes.h"
#include "heur.h"
#include "util.h"

/* st->mining[] bytes this file owns (heur_mining.c uses 0 and 1). */
#define ND_CONF		2	/* best confidence reported for this flow */
#define ND_FLAGS	3	/* NF_* below */

#define NF_LEVIN_DIR0	0x01	/* a Levin request from the opener */
#define NF_LEVIN_DIR1	0x02	/* ... from the responder */
#define NF_NANO_DIR0	0x04
#define NF_NANO_DIR1	0x08
#define NF_RLPX_AUTH	0x10	/* an RLPx auth from the opener */

/* ---- arithmetic: Keccak-256 and secp256k1's curve equation ---- */

static uint64_t
rol64(uint64_t x, unsigned n)
{
	return n == 0 ? x : x << n | x >> (64 - n);
}

/* Keccak-f[1600] (FIPS 202 section 3), 24 rounds. */
static void
keccak_f(uint64_t a[25])
{
	static const uint64_t rc[24] = {
		0x0000000000000001ULL, 0x0000000000008082ULL,
		0x800000000000808aULL, 0x8000000080008000ULL,
		0x000000000000808bULL, 0x0000000080000001ULL,
		0x8000000080008081ULL, 0x8000000000008009ULL,
		0x000000000000008aULL, 0x0000000000000088ULL,
		0x0000000080008009ULL, 0x000000008000000aULL,
		0x000000008000808bULL, 0x800000000000008bULL,
		0x8000000000008089ULL, 0x8000000000008003ULL,
		0x8000000000008002ULL, 0x8000000000000080ULL,
		0x000000000000800aULL, 0x800000008000000aULL,
		0x8000000080008081ULL, 0x8000000000008080ULL,
		0x0000000080000001ULL, 0x8000000080008008ULL,
	};
	static const unsigned rot[25] = {
		0, 1, 62, 28, 27, 36, 44, 6, 55, 20, 3, 10, 43, 25, 39,
		41, 45, 15, 21, 8, 18, 2, 61, 56, 14,
	};
	uint64_t c[5], d, b[25];
	unsigned r, x, y;

	for (r = 0; r < 24; r++) {
		for (x = 0; x < 5; x++)
			c[x] = a[x] ^ a[x + 5] ^ a[x + 10] ^ a[x + 15] ^ a[x + 20];
		for (x = 0; x < 5; x++) {
			d = c[(x + 4) % 5] ^ rol64(c[(x + 1) % 5], 1);
			for (y = 0; y < 25; y += 5)
				a[y + x] ^= d;
		}
		/* rho and pi: lane (x, y) moves to (y, 2x + 3y). */
		for (x = 0; x < 5; x++)
			for (y = 0; y < 5; y++)
				b[y + 5 * ((2 * x + 3 * y) % 5)] =
				    rol64(a[x + 5 * y], rot[x + 5 * y]);
		for (y = 0; y < 25; y += 5)
			for (x = 0; x < 5; x++)
				a[y + x] = b[y + x] ^ (~b[y + (x + 1) % 5] &
				    b[y + (x + 2) % 5]);
		a[0] ^= rc[r];
	}
}

/* Keccak-256 as Ethereum uses it: the original padding (0x01), not
 * SHA3-256's (0x06). */
void
heur_keccak256(const uint8_t *in, size_t len, uint8_t out[32])
{
	enum { RATE = 136 };
	uint64_t a[25];
	uint8_t block[RATE];
	size_t i, n;

	memset(a, 0, sizeof(a));
	for (;;) {
		n = len < RATE ? len : RATE;
		memset(block, 0, sizeof(block));
		memcpy(block, in, n);
		if (n < RATE) {
			block[n] ^= 0x01;
			block[RATE - 1] ^= 0x80;
		}
		for (i = 0; i < RATE / 8; i++) {
			uint64_t w = 0;
			unsigned k;

			for (k = 0; k < 8; k++)
				w |= (uint64_t)block[8 * i + k] << (8 * k);
			a[i] ^= w;
		}
		keccak_f(a);
		if (n < RATE)
			break;
		in += n;
		len -= n;
	}
	for (i = 0; i < 32; i++)
		out[i] = (uint8_t)(a[i / 8] >> (8 * (i % 8)));
}

/* Numbers below 2^256 as four 64-bit limbs, least significant first. */
struct u256 {
	uint64_t w[4];
};

/* secp256k1's field prime p = 2^256 - 2^32 - 977 (SEC 2 section 2.4.1). */
static const struct u256 secp_p = { { 0xfffffffefffffc2fULL,
	0xffffffffffffffffULL, 0xffffffffffffffffULL, 0xffffffffffffffffULL } };
#define SECP_C	0x1000003d1ULL	/* 2^256 mod p */

static void
u256_from_be(struct u256 *r, const uint8_t *b)
{
	unsigned i, k;

	for (i = 0; i < 4; i++) {
		r->w[3 - i] = 0;
		for (k = 0; k < 8; k++)
			r->w[3 - i] = r->w[3 - i] << 8 | b[8 * i + k];
	}
}

/* a < b */
static int
u256_lt(const struct u256 *a, const struct u256 *b)
{
	int i;

	for (i = 3; i >= 0; i--)
		if (a->w[i] != b->w[i])
			return a->w[i] < b->w[i];
	return 0;
}

/* r = a - p when a >= p (a < 2p). */
static void
mod_p_once(struct u256 *a)
{
	unsigned __int128 t;
	uint64_t borrow = 0;
	struct u256 r;
	unsigned i;

	if (u256_lt(a, &secp_p))
		return;
	for (i = 0; i < 4; i++) {
		t = (unsigned __int128)a->w[i] - secp_p.w[i] - borrow;
		r.w[i] = (uint64_t)t;
		borrow = (uint64_t)(t >> 64) & 1;
	}
	*a = r;
}

/* r = a * b mod p, for a, b < p. */
static void
mul_mod_p(struct u256 *r, const struct u256 *a, const struct u256 *b)
{
	uint64_t t[8], hi[5];
	unsigned __int128 acc;
	uint64_t carry;
	unsigned i, j;

	memset(t, 0, sizeof(t));
	for (i = 0; i < 4; i++) {
		carry = 0;
		for (j = 0; j < 4; j++) {
			acc = (unsigned __int128)a->w[i] * b->w[j] + t[i + j] + carry;
			t[i + j] = (uint64_t)acc;
			carry = (uint64_t)(acc >> 64);
		}
		t[i + 4] = carry;
	}
	/* t = lo + hi * 2^256 == lo + hi * SECP_C (mod p), twice over. */
	carry = 0;
	for (i = 0; i < 4; i++) {
		acc = (unsigned __int128)t[i + 4] * SECP_C + t[i] + carry;
		hi[i] = (uint64_t)acc;
		carry = (uint64_t)(acc >> 64);
	}
	hi[4] = carry;		/* < 2^34 */
	acc = (unsigned __int128)hi[4] * SECP_C + hi[0];
	r->w[0] = (uint64_t)acc;
	carry = (uint64_t)(acc >> 64);
	for (i = 1; i < 4; i++) {
		acc = (unsigned __int128)hi[i] + carry;
		r->w[i] = (uint64_t)acc;
		carry = (uint64_t)(acc >> 64);
	}
	if (carry) {		/* one more 2^256: add SECP_C */
		acc = (unsigned __int128)r->w[0] + SECP_C;
		r->w[0] = (uint64_t)acc;
		carry = (uint64_t)(acc >> 64);
		for (i = 1; i < 4 && carry; i++) {
			acc = (unsigned __int128)r->w[i] + carry;
			r->w[i] = (uint64_t)acc;
			carry = (uint64_t)(acc >> 64);
		}
	}
	mod_p_once(r);
}

/* Whether the 64 bytes x || y (big-endian) are a point of secp256k1:
 * y^2 = x^3 + 7 over the field of p (SEC 2 section 2.4.1). */
int
heur_secp256k1_point(const uint8_t xy[64])
{
	struct u256 x, y, l, r;
	unsigned __int128 acc;
	uint64_t carry;
	unsigned i;

	u256_from_be(&x, xy);
	u256_from_be(&y, xy + 32);
	if (!u256_lt(&x, &secp_p) || !u256_lt(&y, &secp_p))
		return 0;
	mul_mod_p(&l, &y, &y);
	mul_mod_p(&r, &x, &x);
	mul_mod_p(&r, &r, &x);
	acc = (unsigned __int128)r.w[0] + 7;
	r.w[0] = (uint64_t)acc;
	carry = (uint64_t)(acc >> 64);
	for (i = 1; i < 4 && carry; i++) {
		acc = (unsigned __int128)r.w[i] + carry;
		r.w[i] = (uint64_t)acc;
		carry = (uint64_t)(acc >> 64);
	}
	if (carry) {
		acc = (unsigned __int128)r.w[0] + SECP_C;
		r.w[0] = (uint64_t)acc;
	}
	mod_p_once(&r);
	return memcmp(&l, &r, sizeof(l)) == 0;
}

/* ---- reporting ---- */

static int
report(struct heur_flow *st, struct heur_hit *hit, enum confidence conf,
    const char *name)
{
	if ((unsigned)conf <= st->mining[ND_CONF])
		return 0;
	st->mining[ND_CONF] = (uint8_t)conf;
	hit->category = CAT_MINING;
	hit->confidence = conf;
	hit->name = name;
	hit->detail[0] = '\0';
	return 1;
}

static uint64_t
le64(const uint8_t *p)
{
	return (uint64_t)le32(p) | (uint64_t)le32(p + 4) << 32;
}

/* ---- the Bitcoin family (Bitcoin protocol documentation, "Message
 * structure"): magic(4) command(12, NUL padded) length(4 LE)
 * checksum(4) = SHA-256(SHA-256(payload))[0..4). Bitcoin, its test
 * networks, Litecoin, Dogecoin, Bitcoin Cash, Dash, Zcash and the rest of
 * its forks share the layout and differ in the magic. ---- */

#define BTC_HDR		24
#define BTC_CMD		12
#define BTC_MAX_SIZE	0x02000000u	/* MAX_SIZE: no message is longer */

static const char *
btc_net(const uint8_t *m)
{
	static const struct {
		uint8_t magic[4];
		const char *name;
	} nets[] = {
		{ { 0xf9, 0xbe, 0xb4, 0xd9 }, "Bitcoin" },
		{ { 0x0b, 0x11, 0x09, 0x07 }, "Bitcoin testnet3" },
		{ { 0x1c, 0x16, 0x3f, 0x28 }, "Bitcoin testnet4" },
		{ { 0x0a, 0x03, 0xcf, 0x40 }, "Bitcoin signet" },
		{ { 0xfa, 0xbf, 0xb5, 0xda }, "Bitcoin regtest" },
		{ { 0xfb, 0xc0, 0xb6, 0xdb }, "Litecoin" },
		{ { 0xc0, 0xc0, 0xc0, 0xc0 }, "Dogecoin" },
		{ { 0xe3, 0xe1, 0xf3, 0xe8 }, "Bitcoin Cash" },
		{ { 0xbf, 0x0c, 0x6b, 0xbd }, "Dash" },
		{ { 0x24, 0xe9, 0x27, 0x64 }, "Zcash" },
	};
	size_t i;

	for (i = 0; i < NELEM(nets); i++)
		if (memcmp(m, nets[i].magic, 4) == 0)
			return nets[i].name;
	return NULL;
}

static int
btc_family(struct heur_flow *st, const struct heur_pkt *p, struct heur_hit *hit)
{
	const uint8_t *b = p->data;
	uint8_t h1[SHA256_DIGEST_LENGTH], h2[SHA256_DIGEST_LENGTH];
	char cmd[BTC_CMD + 1];
	const char *net;
	uint32_t plen;
	size_t n;

	if (p->len < BTC_HDR)
		return 0;
	for (n = 0; n < BTC_CMD && b[4 + n] != '\0'; n++)
		if (!((b[4 + n] >= 'a' && b[4 + n] <= 'z') ||
		    (b[4 + n] >= '0' && b[4 + n] <= '9')))
			return 0;
	if (n == 0)
		return 0;
	memcpy(cmd, b + 4, n);
	cmd[n] = '\0';
	for (; n < BTC_CMD; n++)
		if (b[4 + n] != '\0')
			return 0;
	plen = le32(b + 16);
	net = btc_net(b);
	if (plen > p->len - BTC_HDR) {
		/* A message longer than the segment: its checksum cannot be
		 * checked here, so only a known network's magic counts. */
		if (net == NULL || plen > BTC_MAX_SIZE ||
		    !report(st, hit, CONF_MEDIUM, "crypto-node"))
			return 0;
		snprintf(hit->detail, sizeof(hit->detail),
		    "%s peer-to-peer '%s' message", net, cmd);
		return 1;
	}
	SHA256(b + BTC_HDR, plen, h1);
	SHA256(h1, sizeof(h1), h2);
	if (memcmp(h2, b + 20, 4) != 0)
		return 0;
	if (!report(st, hit, CONF_HIGH, "crypto-node"))
		return 0;
	snprintf(hit->detail, sizeof(hit->detail),
	    "%s peer-to-peer '%s' message (checksum verified, magic %02x%02x%02x%02x)",
	    net != NULL ? net : "Bitcoin-family", cmd, b[0], b[1], b[2], b[3]);
	return 1;
}

/* ---- Monero's Levin protocol (monero: contrib/epee levin_base.h):
 * signature(8, 0x0101010101012101 LE) cb(8 LE: body length)
 * have_to_return(1) command(4 LE) return_code(4) flags(4: 1 request,
 * 2 response) protocol_version(4 LE: 1), then the body. ---- */

#define LEVIN_HDR	33
#define LEVIN_MAX_BODY	(100u << 20)	/* monerod's default packet limit */

static const char *
levin_command(uint32_t c)
{
	switch (c) {
	case 1001: return "handshake";
	case 1002: return "timed sync";
	case 1003: return "ping";
	case 1007: return "support flags";
	case 2001: return "new block";
	case 2002: return "new transactions";
	case 2003: return "request objects";
	case 2004: return "response objects";
	case 2006: return "request chain";
	case 2007: return "response chain entry";
	case 2008: return "new fluffy block";
	case 2009: return "request fluffy missing tx";
	case 2010: return "get txpool complement";
	}
	return NULL;
}

static int
levin(struct heur_flow *st, const struct heur_pkt *p, struct heur_hit *hit)
{
	static const uint8_t sig[8] = { 0x01, 0x21, 0x01, 0x01, 0x01, 0x01,
		0x01, 0x01 };
	const uint8_t *b = p->data;
	uint8_t *fl = &st->mining[ND_FLAGS];
	uint32_t cmd, flags;
	const char *name;
	int both;

	if (p->len < LEVIN_HDR || memcmp(b, sig, 8) != 0)
		return 0;
	cmd = le32(b + 17);
	flags = le32(b + 25);
	if (le64(b + 8) > LEVIN_MAX_BODY || b[16] > 1 ||
	    le32(b + 29) != 1 || (flags & 3) == 0 || (flags & 3) == 3 ||
	    (name = levin_command(cmd)) == NULL)
		return 0;
	*fl |= p->dir ? NF_LEVIN_DIR1 : NF_LEVIN_DIR0;
	both = (*fl & (NF_LEVIN_DIR0 | NF_LEVIN_DIR1)) ==
	    (NF_LEVIN_DIR0 | NF_LEVIN_DIR1);
	if (!report(st, hit, both ? CONF_HIGH : CONF_MEDIUM, "crypto-node"))
		return 0;
	snprintf(hit->detail, sizeof(hit->detail),
	    "Monero Levin %s %s%s", name, flags & 1 ? "request" : "response",
	    both ? ", answered in kind" : "");
	return 1;
}

/* ---- Ethereum RLPx handshake (devp2p rlpx.md, "Initial Handshake";
 * EIP-8): the initiator's auth is ECIES: an uncompressed secp256k1
 * ephemeral key (0x04 || x || y), a 16-byte IV, the ciphertext and a
 * 32-byte MAC. Before EIP-8 the auth is exactly 307 bytes and the ack 210;
 * since, each is prefixed by its 2-byte size. ---- */

#define RLPX_AUTH_V4	307
#define RLPX_ACK_V4	210
#define ECIES_OVERHEAD	(65 + 16 + 32)

/* The offset of the ECIES key in a handshake message, or -1. */
static int
rlpx_message(const uint8_t *b, size_t len, int auth)
{
	if (len == (auth ? RLPX_AUTH_V4 : RLPX_ACK_V4) && b[0] == 0x04 &&
	    heur_secp256k1_point(b + 1))
		return 0;
	if (len > 2 + ECIES_OVERHEAD && be16(b) == len - 2 && b[2] == 0x04 &&
	    heur_secp256k1_point(b + 3))
		return 2;
	return -1;
}

static int
rlpx(struct heur_flow *st, const struct heur_pkt *p, struct heur_hit *hit)
{
	uint8_t *fl = &st->mining[ND_FLAGS];
	int off;

	if (p->dir == 0 && !(*fl & NF_RLPX_AUTH)) {
		if ((off = rlpx_message(p->data, p->len, 1)) < 0)
			return 0;
		*fl |= NF_RLPX_AUTH;
		if (!report(st, hit, CONF_HIGH, "crypto-node"))
			return 0;
		snprintf(hit->detail, sizeof(hit->detail),
		    "Ethereum RLPx auth%s: ECIES with a secp256k1 key",
		    off ? " (EIP-8)" : "");
		return 1;
	}
	return 0;
}

/* ---- Ethereum discovery v4 (devp2p discv4.md, "Wire Protocol"):
 * hash(32) = keccak256(signature || type || data), signature(65),
 * type(1: 1 ping, 2 pong, 3 findnode, 4 neighbors, 5 ENR request,
 * 6 ENR response), RLP data; at most 1280 bytes. ---- */

static int
discv4(struct heur_flow *st, const struct heur_pkt *p, struct heur_hit *hit)
{
	static const char *const types[] = { "", "ping", "pong", "findnode",
		"neighbors", "ENR request", "ENR response" };
	const uint8_t *b = p->data;
	uint8_t h[32];

	if (p->len < 32 + 65 + 2 || p->len > 1280 || b[97] < 1 || b[97] > 6 ||
	    b[98] < 0xc0)
		return 0;	/* data is an RLP list */
	heur_keccak256(b + 32, p->len - 32, h);
	if (memcmp(h, b, 32) != 0)
		return 0;
	if (!report(st, hit, CONF_HIGH, "crypto-node"))
		return 0;
	snprintf(hit->detail, sizeof(hit->detail),
	    "Ethereum discovery v4 %s (keccak-256 packet hash verified)",
	    types[b[97]]);
	return 1;
}

/* ---- Nano (nano-node: message header): magic 'R', network ('A' dev,
 * 'B' beta, 'C' live, 'X' test), version max, using, min, message type,
 * extensions(2). ---- */

#define NANO_HDR	8

static const char *
nano_type(uint8_t t)
{
	static const char *const names[] = {
		NULL, NULL, "keepalive", "publish", "confirm_req",
		"confirm_ack", "bulk_pull", "bulk_push", "frontier_req", NULL,
		"node_id_handshake", "bulk_pull_account", "telemetry_req",
		"telemetry_ack", "asc_pull_req", "asc_pull_ack",
	};

	return t < NELEM(names) ? names[t] : NULL;
}

static int
nano(struct heur_flow *st, const struct heur_pkt *p, struct heur_hit *hit)
{
	const uint8_t *b = p->data;
	uint8_t *fl = &st->mining[ND_FLAGS];
	const char *type;
	int both;

	if (p->len < NANO_HDR || b[0] != 'R' ||
	    (b[1] != 'A' && b[1] != 'B' && b[1] != 'C' && b[1] != 'X'))
		return 0;
	/* The versions the protocol has had are small numbers, max >=
	 * using >= min. */
	if (b[2] > 64 || b[2] < b[3] || b[3] < b[4] || b[4] == 0 ||
	    (type = nano_type(b[5])) == NULL)
		return 0;
	/* A keepalive is the header and 8 peers of 18 bytes. */
	if (b[5] == 2 && p->len != NANO_HDR + 8 * 18)
		return 0;
	*fl |= p->dir ? NF_NANO_DIR1 : NF_NANO_DIR0;
	both = (*fl & (NF_NANO_DIR0 | NF_NANO_DIR1)) ==
	    (NF_NANO_DIR0 | NF_NANO_DIR1);
	if (!report(st, hit, both ? CONF_HIGH : CONF_MEDIUM, "crypto-node"))
		return 0;
	snprintf(hit->detail, sizeof(hit->detail),
	    "Nano %s, network '%c', protocol v%u%s", type, b[1], b[3],
	    both ? ", answered in kind" : "");
	return 1;
}

int
heur_node(struct heur_flow *st, const struct heur_pkt *p, struct heur_hit *hit)
{
	const uint8_t *b = p->data;

	if (b == NULL || p->len == 0)
		return 0;
	if (p->len >= LEVIN_HDR && b[0] == 0x01 && levin(st, p, hit))
		return 1;
	if (p->len >= NANO_HDR && b[0] == 'R' && nano(st, p, hit))
		return 1;
	if (p->proto == 6) {
		if (p->len >= BTC_HDR && btc_family(st, p, hit))
			return 1;
		return p->index < 2 && rlpx(st, p, hit);
	}
	if (p->proto == 17)
		return discv4(st, p, hit);
	return 0;
}
