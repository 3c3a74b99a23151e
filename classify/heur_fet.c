/*
 * heur_fet.c: fully encrypted traffic. Shadowsocks, VMess, obfs4 and
 * their kin send nothing in clear: from the first byte, a flow is
 * ciphertext. Wu et al. ("How the Great Firewall of China Detects and
 * Blocks Fully Encrypted Traffic", USENIX Security 2023) measured how a
 * censor finds them from the first client payload alone, and which
 * payloads it exempts: an average of set bits per byte outside 3.4-4.6,
 * the first six bytes printable, more than half printable, a run of more
 * than 20 printable bytes, or a known protocol.
 *
 * The design decision: that test alone flags about one benign connection
 * in 200 (their measurement), far too many for a verdict. This detector
 * keeps their exemptions and adds what those tunnels also are and benign
 * binary protocols are not: the opener speaks first and sends at least
 * FET_MIN_LEN bytes; the first 2 or 4 bytes are no length field of the
 * payload (the framing every benign binary protocol starts with); the
 * bytes are as varied as random bytes of that length (a run of zeros or a
 * structure repeats bytes); and the responder's first payload passes the
 * same tests but the two about an opening's first bytes. A flow whose
 * opening handshake was not seen (a capture that starts mid-connection) is
 * never judged: its first payload is not its opening (classify.c). It judges only at the end of nDPI's detection, and only when
 * nDPI found no protocol (classify.c), so TLS, SSH, QUIC and the rest are
 * never candidates. Over UDP, QUIC, DTLS, SRTP, WireGuard and games' own
 * encryption look the same on a first datagram: a UDP flow is judged on
 * three datagrams each way and their first bytes (observe_udp).
 */
#include <stdio.h>
#include <string.h>

#include "bytes.h"
#include "heur.h"
#include "util.h"

/* st->fet[] layout. */
#define FT_FLAGS	0	/* FF_* below */
#define FT_BITS10	1	/* the client payload's set bits per byte x 10 */
#define FT_PRINT	2	/* ... its printable share, percent */
#define FT_LEN		4	/* 2 bytes: the client payload's length */
#define FT_SLEN		6	/* 2 bytes: the server's first payload's */
#define FT_C2LEN	8	/* 2 bytes: the client's second payload's */
#define FT_SEQ		10	/* payloads seen while they alternate
				 * client, server, client; 0xff once not */

#define FF_CLIENT	0x01	/* the opener's first payload was looked at */
#define FF_CLIENT_RND	0x02	/* ... and looked random */
#define FF_SERVER	0x04	/* the responder's first payload was looked at */
#define FF_SERVER_RND	0x08	/* ... and looked random */
#define FF_SERVER_FIRST	0x10	/* the responder spoke first */
#define FF_FRAMED	0x20	/* a 2-byte length, then random bytes */
#define FF_UDP		0x40	/* a UDP flow: the layout below */
#define FF_UDP_NOT	0x80	/* ... one of whose datagrams is not random */

/* st->fet[] of a UDP flow: FT_FLAGS, then */
#define FU_COUNT	1	/* random datagrams: opener's low nibble,
				 * responder's high */
#define FU_SAME		2	/* which of the first 4 bytes are still the
				 * same in every datagram: the opener's low
				 * nibble, the responder's high */
#define FU_HEAD		3	/* 4 + 4 bytes: each side's first datagram's
				 * first four */
#define FU_MIN		3	/* random datagrams each way to judge */
#define FU_MIN_LEN	24	/* bytes of a datagram, at least */

/* Bytes of a first client payload, at least: the smallest Shadowsocks
 * opening (16-byte salt, 2+16-byte length chunk, a 7-byte target and its
 * 16-byte tag) is 57; VMess and obfs4 open with more. */
#define FET_MIN_LEN	56
#define FET_SCAN_MAX	2048	/* bytes of a payload looked at */

static int
printable(uint8_t c)
{
	return c >= 0x20 && c <= 0x7e;
}

/* byte_class[c]: c's set bits (low nibble), and 1 << 4 when printable;
 * made by the compiler. */
#define BC_BITS(c)	(((c) & 1) + ((c) >> 1 & 1) + ((c) >> 2 & 1) + \
	((c) >> 3 & 1) + ((c) >> 4 & 1) + ((c) >> 5 & 1) + ((c) >> 6 & 1) + \
	((c) >> 7 & 1))
#define BC(c)		(uint8_t)(BC_BITS(c) | ((c) >= 0x20 && (c) <= 0x7e) << 4)
#define BC4(c)		BC(c), BC((c) + 1), BC((c) + 2), BC((c) + 3)
#define BC16(c)		BC4(c), BC4((c) + 4), BC4((c) + 8), BC4((c) + 12)
#define BC64(c)		BC16(c), BC16((c) + 16), BC16((c) + 32), BC16((c) + 48)

static const uint8_t byte_class[256] = {
	BC64(0), BC64(64), BC64(128), BC64(192)
};

/* The distinct byte values n random bytes show, at least, as a share of
 * the expected 256 * (1 - (1 - 1/256)^n): 0.85 leaves a margin of many
 * standard deviations for random bytes and none for structured ones. */
static int
varied_enough(unsigned distinct, size_t n)
{
	double miss = 1.0, expect;
	size_t i;

	for (i = 0; i < n && i < 4096; i++)
		miss *= 255.0 / 256.0;
	expect = 256.0 * (1.0 - miss);
	return (double)distinct >= 0.85 * expect;
}

/* Whether the payload's first bytes are its own length (as a big-endian
 * 16- or 32-bit field, counting or not counting themselves): the framing
 * of Kerberos, DNS, RPC and most binary protocols over TCP. */
static int
length_framed(const uint8_t *d, size_t n)
{
	uint32_t l16 = be16(d), l32 = be32(d);

	/* A TLS record (RFC 8446 section 5.1): content type 20-23, version
	 * 3.x, a length the payload holds. */
	if (d[0] >= 20 && d[0] <= 23 && d[1] == 3 && d[2] <= 4 &&
	    (size_t)be16(d + 3) + 5 <= n + 16384)
		return 1;
	return l16 == n || l16 + 2 == n || l16 + 4 == n ||
	    l32 == n || l32 + 4 == n;
}

/*
 * Wu et al.'s exemptions and ours for one payload; fills the client's
 * figures when bits10 is given. Returns 1 when the payload looks
 * uniformly random.
 */
static int
looks_random(const uint8_t *d, size_t len, int client, uint8_t *bits10,
    uint8_t *print_pct)
{
	uint8_t seen[256];
	size_t n = len < FET_SCAN_MAX ? len : FET_SCAN_MAX, i, run = 0,
	    maxrun = 0, nprint = 0, bits = 0;
	unsigned distinct = 0;
	double avg;

	if (n < 6)
		return 0;
	/* The cheap exemptions first, as most openings are text or framed.
	 * Ex2: the first bytes printable. Like Ex4 (a run of more than 20,
	 * below) it is about a client's opening (a protocol's name, verb or
	 * magic, such as Zabbix's "ZBXD"): four printable bytes already are,
	 * where Wu et al. saw the censor ask for six; an answer's bytes are
	 * random or not by the other tests alone. */
	for (i = 0; i < 4 && printable(d[i]); i++)
		;
	if ((client && i == 4) || length_framed(d, len))
		return 0;
	/* Without a branch on the byte: on random payloads, the ones this
	 * asks about, such branches are mispredicted half the time. One
	 * table look gives a byte's set bits and whether it is printable;
	 * a byte value seen is a plain store (a bit set in a bitmap would
	 * read what the store before may still be writing). */
	memset(seen, 0, sizeof(seen));
	for (i = 0; i < n; i++) {
		uint8_t c = d[i];
		unsigned t = byte_class[c];
		size_t isp = t >> 4;

		bits += t & 15;
		nprint += isp;
		run = (run + 1) * isp;
		maxrun = run > maxrun ? run : maxrun;
		seen[c] = 1;
	}
	for (i = 0; i < sizeof(seen); i++)
		distinct += seen[i];
	avg = (double)bits / (double)n;
	if (bits10 != NULL) {
		*bits10 = (uint8_t)(avg * 10.0 + 0.5);
		*print_pct = (uint8_t)(nprint * 100 / n);
	}
	/* Ex1: set bits per byte outside 3.4-4.6 */
	if (avg <= 3.4 || avg >= 4.6)
		return 0;
	/* Ex4 */
	if (client && maxrun > 20)
		return 0;
	/* Ex3: more than half printable */
	if (nprint * 2 > n)
		return 0;
	return varied_enough(distinct, n);
}

/*
 * A payload that is a 16-bit length of the rest, then random bytes: how
 * OpenVPN frames its packets over TCP, which in static-key mode are
 * random from their first byte (HMAC, IV, ciphertext). Benign protocols
 * framed this way (DNS, Kerberos, RPC) carry structure after the length.
 */
static int
framed_random(const uint8_t *d, size_t len, int client, uint8_t *bits10,
    uint8_t *print_pct)
{
	if (len < 2 + 16 || (size_t)be16(d) + 2 != len)
		return 0;
	return looks_random(d + 2, len - 2, client, bits10, print_pct);
}

int
heur_looks_random(const uint8_t *d, size_t len, int opening)
{
	return len >= FET_MIN_LEN && looks_random(d, len, opening, NULL, NULL);
}

static void
put16(uint8_t *d, size_t v)
{
	if (v > 0xffff)
		v = 0xffff;
	d[0] = (uint8_t)(v >> 8);
	d[1] = (uint8_t)v;
}

/* The first three payloads, while they alternate as BitTorrent's Message
 * Stream Encryption must: the initiator's key, the responder's key, then
 * the initiator's hashes (which need the responder's key) before the
 * responder can say more. */
static void
note_sequence(uint8_t *s, const struct heur_pkt *p)
{
	if (s[FT_SEQ] >= 3)
		return;
	if (p->dir != (s[FT_SEQ] & 1)) {
		s[FT_SEQ] = 0xff;
		return;
	}
	if (s[FT_SEQ] == 1)
		put16(s + FT_SLEN, p->len);
	else if (s[FT_SEQ] == 2)
		put16(s + FT_C2LEN, p->len);
	s[FT_SEQ]++;
}

/*
 * UDP: a tunnel's datagrams are each random from the first byte, both
 * ways, with no header. Every benign encrypted protocol over UDP keeps
 * one in clear: QUIC's connection id, DTLS's content type and epoch, SRTP's
 * version and SSRC, WireGuard's type and zeros, a game's session id. So
 * besides each datagram passing the tests above, none of the first four
 * byte positions may hold the same value in all of a side's datagrams
 * (random bytes do that by chance once in 2^16 per position over three).
 */
static void
observe_udp(uint8_t *s, const struct heur_pkt *p)
{
	unsigned shift = p->dir ? 4 : 0, n = (s[FU_COUNT] >> shift) & 15,
	    same = (s[FU_SAME] >> shift) & 15, i;
	uint8_t *head = s + FU_HEAD + (p->dir ? 4 : 0);

	s[FT_FLAGS] |= FF_UDP;
	if (s[FT_FLAGS] & FF_UDP_NOT)
		return;
	/* Three random datagrams a side are what is asked; later ones only
	 * narrow the header test (a cost bound, QUIC's are 1200 bytes). */
	if (p->len < FU_MIN_LEN || (n < FU_MIN && !looks_random(p->data,
	    p->len, p->dir == 0, NULL, NULL))) {
		s[FT_FLAGS] |= FF_UDP_NOT;
		return;
	}
	if (n == 0) {
		memcpy(head, p->data, 4);
		same = 15;
	} else {
		for (i = 0; i < 4; i++)
			if (p->data[i] != head[i])
				same &= ~(1u << i);
	}
	if (n < 15)
		n++;
	s[FU_COUNT] = (uint8_t)((s[FU_COUNT] & (0xf0 >> shift)) | n << shift);
	s[FU_SAME] = (uint8_t)((s[FU_SAME] & (0xf0 >> shift)) | same << shift);
}

static int
judge_udp(const uint8_t *s, struct heur_hit *hit)
{
	unsigned nc = s[FU_COUNT] & 15, ns = s[FU_COUNT] >> 4;

	if ((s[FT_FLAGS] & FF_UDP_NOT) || nc < FU_MIN || ns < FU_MIN ||
	    s[FU_SAME] != 0)
		return 0;
	hit->category = CAT_PROXY;
	hit->confidence = CONF_MEDIUM;
	hit->name = "fully-encrypted-udp";
	snprintf(hit->detail, sizeof(hit->detail),
	    "%u datagrams one way and %u the other, each random from its "
	    "first byte, no header", nc, ns);
	return 1;
}

void
heur_fet_observe(struct heur_flow *st, const struct heur_pkt *p)
{
	uint8_t *s = st->fet;

	if (p->data == NULL || p->len == 0)
		return;
	if (p->proto == 17) {
		observe_udp(s, p);
		return;
	}
	if (p->proto != 6)
		return;
	note_sequence(s, p);
	if (p->dir == 0 && !(s[FT_FLAGS] & FF_CLIENT)) {
		s[FT_FLAGS] |= FF_CLIENT;
		if (s[FT_FLAGS] & FF_SERVER)
			s[FT_FLAGS] |= FF_SERVER_FIRST;
		put16(s + FT_LEN, p->len);
		if (p->len >= FET_MIN_LEN && looks_random(p->data, p->len, 1,
		    &s[FT_BITS10], &s[FT_PRINT]))
			s[FT_FLAGS] |= FF_CLIENT_RND;
		else if (p->len >= FET_MIN_LEN && framed_random(p->data,
		    p->len, 1, &s[FT_BITS10], &s[FT_PRINT]))
			s[FT_FLAGS] |= FF_CLIENT_RND | FF_FRAMED;
	} else if (p->dir == 1 && !(s[FT_FLAGS] & FF_SERVER)) {
		s[FT_FLAGS] |= FF_SERVER;
		/* The answer matters only to an opening that looked random,
		 * and is framed as the opening was. */
		if ((s[FT_FLAGS] & FF_CLIENT_RND) &&
		    ((s[FT_FLAGS] & FF_FRAMED) ?
		    framed_random(p->data, p->len, 0, NULL, NULL) :
		    looks_random(p->data, p->len, 0, NULL, NULL)))
			s[FT_FLAGS] |= FF_SERVER_RND;
	}
}

int
heur_fet_judge(const struct heur_flow *st, struct heur_hit *hit)
{
	const uint8_t *s = st->fet;
	const uint8_t all = FF_CLIENT | FF_CLIENT_RND | FF_SERVER | FF_SERVER_RND;

	size_t a1 = be16(s + FT_LEN), b1 = be16(s + FT_SLEN),
	    a2 = be16(s + FT_C2LEN);

	if (s[FT_FLAGS] & FF_UDP)
		return judge_udp(s, hit);
	if ((s[FT_FLAGS] & (all | FF_SERVER_FIRST)) != all)
		return 0;
	hit->confidence = CONF_MEDIUM;
	/* MSE (BitTorrent's "Message Stream Encryption"): a 96-byte
	 * Diffie-Hellman key and 0-512 bytes of padding each way, then the
	 * initiator's two 20-byte hashes and its encrypted verification
	 * constant (8), crypto_provide (4) and two lengths (2 + 2). */
	if (s[FT_SEQ] == 3 && a1 >= 96 && a1 <= 608 && b1 >= 96 &&
	    b1 <= 608 && a2 >= 56) {
		hit->category = CAT_P2P;
		hit->name = "bittorrent-mse";
		snprintf(hit->detail, sizeof(hit->detail),
		    "random key exchange of %zu and %zu bytes, then %zu, as "
		    "Message Stream Encryption opens", a1, b1, a2);
		return 1;
	}
	/* Stratum V2 (its specification, "Protocol Security"): the Noise NX
	 * handshake opens with the miner's 64-byte ElligatorSwift key and
	 * the pool's 234-byte answer (its key, its encrypted static key and
	 * certificate; 170 in the specification's version with 32-byte
	 * keys), both random by design. */
	if (a1 == 64 && (b1 == 234 || b1 == 170)) {
		hit->category = CAT_MINING;
		hit->name = "stratum-v2";
		snprintf(hit->detail, sizeof(hit->detail),
		    "Noise NX handshake of %zu and %zu bytes, as Stratum V2 opens",
		    a1, b1);
		return 1;
	}
	hit->category = CAT_PROXY;
	hit->name = "fully-encrypted";
	if (s[FT_FLAGS] & FF_FRAMED) {
		snprintf(hit->detail, sizeof(hit->detail),
		    "%zu bytes: a 2-byte length, then random (OpenVPN's "
		    "TCP framing), answered in kind", a1);
		return 1;
	}
	snprintf(hit->detail, sizeof(hit->detail),
	    "first payload %u bytes looks random (%u.%u bits/byte, %u%% "
	    "printable), answered in kind",
	    (unsigned)be16(s + FT_LEN), s[FT_BITS10] / 10, s[FT_BITS10] % 10,
	    s[FT_PRINT]);
	return 1;
}
