/*
 * heur_tunnel.c: overlay networks and tunnel tools that nDPI 4.2 does not
 * know, each by the grammar of its own first messages:
 *
 * - ZeroTier: a HELLO is the one packet ZeroTier sends in clear (cipher
 *   suite 0); it carries the sender's identity, whose address is the
 *   packet header's source address (ZeroTierOne node/Packet.hpp).
 * - v2ray's mKCP: the hash and length its simple authenticator seals
 *   every segment with.
 * - Nebula: the Noise IX handshake's header, version 1, type handshake,
 *   subtype ix_psk0, stage one with no remote index and counter 1, the
 *   answer with the initiator's index and counter 2 (nebula header.go).
 * - frp: with TLS (the default since frp 0.50) the client writes one byte,
 *   0x17, before its ClientHello; without, its login message: type 'o', a
 *   64-bit length and JSON naming privilege_key or run_id, possibly behind
 *   yamux headers (frp pkg/msg, pkg/util/net/tls.go).
 * - SoftEther VPN: its PACK serialisation (Mayaqua's Pack.c) as a whole
 *   datagram, which its NAT traversal and UDP control messages use, and
 *   the NAT-T server's "IP=...,PORT=..." answer; its UDP acceleration,
 *   whose every datagram opens with the IV the previous one of the same
 *   side ended or carried (Cedar's UdpAccel.c).
 * - WebSocket tunnels and web terminals (RFC 6455): chisel's subprotocol
 *   chisel-v*, ttyd's tty, gotty's webtty, Jupyter's terminal path, and
 *   any WebSocket whose first frame of either side is an SSH banner
 *   (chisel, wstunnel, websockify in front of sshd).
 *
 * Only the bytes given are read; nothing is allocated.
 */
#include <stdio.h>
#include <string.h>

#include "bytes.h"
#include "heur.h"
#include "util.h"

/* st->tunnel */
#define TN_CONF		0	/* highest confidence reported + 1 */
#define TN_FLAGS	1
#define TN_NEB_DIR	2	/* 1 + direction of Nebula's stage one */
#define TN_SE_NEXT	3	/* 4 x 2 bytes: SoftEther's next IVs, below */
#define TN_SE_LINKS	11	/* datagrams whose IV was the one announced */

#define TF_FRP_HEAD	0x01	/* a lone 0x17 opened the flow */
#define TF_WS_REQ	0x02	/* the client asked for a WebSocket */
#define TF_WS_OK	0x04	/* and the server switched protocols */
#define TF_WS_CFRAME	0x08	/* the client's first frame was looked at */
#define TF_WS_CRND	0x10	/* ... and its payload looked random */
#define TF_WS_SFRAME	0x20	/* the same for the server's */
#define TF_WS_SRND	0x40

#define WS_LOOK_MAX	512	/* bytes of a frame's payload looked at */

static uint64_t
be64(const uint8_t *p)
{
	return (uint64_t)be32(p) << 32 | be32(p + 4);
}

static int
report(struct heur_flow *st, struct heur_hit *hit, enum policy_category cat,
    enum confidence conf, const char *name)
{
	if ((unsigned)conf + 1 <= st->tunnel[TN_CONF])
		return 0;
	st->tunnel[TN_CONF] = (uint8_t)(conf + 1);
	hit->category = cat;
	hit->confidence = conf;
	hit->name = name;
	hit->detail[0] = '\0';
	return 1;
}

/* ---- ZeroTier HELLO ---- */

#define ZT_IDX_SOURCE	13
#define ZT_IDX_FLAGS	18
#define ZT_IDX_VERB	27
#define ZT_IDX_PAYLOAD	28
#define ZT_HELLO_IDENT	(ZT_IDX_PAYLOAD + 13)	/* version(1) major minor rev(2) ts(8) */
#define ZT_HELLO_MIN	(ZT_HELLO_IDENT + 5 + 1 + 64)	/* address, type, public keys */

static int
zerotier(struct heur_flow *st, const struct heur_pkt *p, struct heur_hit *hit)
{
	const uint8_t *d = p->data;
	const uint8_t *src = d + ZT_IDX_SOURCE;
	uint64_t addr;
	int i, zero = 1;

	if (p->len < ZT_HELLO_MIN || (d[ZT_IDX_VERB] & 0x1f) != 1 ||
	    ((d[ZT_IDX_FLAGS] >> 3) & 7) != 0)
		return 0;
	/* Protocol versions 4 and later share this layout. */
	if (d[ZT_IDX_PAYLOAD] < 4 || d[ZT_IDX_PAYLOAD] > 63)
		return 0;
	if (src[0] == 0xff || memcmp(d + ZT_HELLO_IDENT, src, 5) != 0 ||
	    d[ZT_HELLO_IDENT + 5] != 0)
		return 0;
	for (i = 0; i < 5; i++)
		zero &= src[i] == 0;
	if (zero || memcmp(d + 8, src, 5) == 0)
		return 0;
	if (!report(st, hit, CAT_PROXY, CONF_HIGH, "zerotier"))
		return 0;
	addr = 0;
	for (i = 0; i < 5; i++)
		addr = addr << 8 | src[i];
	snprintf(hit->detail, sizeof(hit->detail),
	    "HELLO from node %010llx, protocol %u, version %u.%u.%u",
	    (unsigned long long)addr, d[ZT_IDX_PAYLOAD], d[ZT_IDX_PAYLOAD + 1],
	    d[ZT_IDX_PAYLOAD + 2], (unsigned)d[ZT_IDX_PAYLOAD + 3] << 8 |
	    d[ZT_IDX_PAYLOAD + 4]);
	return 1;
}

/* ---- Nebula handshake ---- */

#define NEB_HDR		16
#define NEB_STAGE1_MIN	(NEB_HDR + 32 + 32)	/* header, ephemeral, static */

static int
nebula(struct heur_flow *st, const struct heur_pkt *p, struct heur_hit *hit)
{
	const uint8_t *d = p->data;
	uint32_t remote;
	uint64_t counter;

	if (p->len < NEB_HDR + 32 || d[0] != 0x10 || d[1] != 0 || d[2] != 0 ||
	    d[3] != 0)
		return 0;
	remote = be32(d + 4);
	counter = be64(d + 8);
	if (remote == 0 && counter == 1 && p->len >= NEB_STAGE1_MIN) {
		st->tunnel[TN_NEB_DIR] = (uint8_t)(1 + p->dir);
		if (!report(st, hit, CAT_PROXY, CONF_MEDIUM, "nebula"))
			return 0;
		snprintf(hit->detail, sizeof(hit->detail),
		    "Noise IX handshake, stage one");
		return 1;
	}
	if (remote != 0 && counter == 2 && st->tunnel[TN_NEB_DIR] != 0 &&
	    st->tunnel[TN_NEB_DIR] != 1 + p->dir) {
		if (!report(st, hit, CAT_PROXY, CONF_HIGH, "nebula"))
			return 0;
		snprintf(hit->detail, sizeof(hit->detail),
		    "Noise IX handshake answered, index %08x", remote);
		return 1;
	}
	return 0;
}

/* ---- v2ray mKCP ---- */

/*
 * mKCP without a seed seals each KCP segment with v2ray's "simple
 * authenticator": a 32-bit FNV-1a hash (big-endian), a 16-bit length,
 * the segment, then every byte from the fifth on XORed with the byte four
 * before it (v2ray transport/internet/kcp/crypt.go). Undone, the length
 * is the datagram's less six and the hash is that of the length and the
 * segment: a check of 48 bits. The header disguises (srtp, utp,
 * wechat-video, dtls, wireguard) put 4 or 13 bytes before it.
 */
#define MKCP_MIN	(6 + 24)	/* a KCP segment header is 24 bytes */

static int
mkcp_sealed(const uint8_t *x, size_t n)
{
	uint32_t h = 2166136261u, want;
	size_t i;

	if (n < MKCP_MIN || n > 0xffff + 6)
		return 0;
	if ((size_t)(((x[4] ^ x[0]) << 8) | (x[5] ^ x[1])) != n - 6)
		return 0;
	want = (uint32_t)x[0] << 24 | (uint32_t)x[1] << 16 |
	    (uint32_t)x[2] << 8 | x[3];
	for (i = 4; i < n; i++) {
		h ^= (uint8_t)(x[i] ^ x[i - 4]);
		h *= 16777619u;
	}
	return h == want;
}

static int
mkcp(struct heur_flow *st, const struct heur_pkt *p, struct heur_hit *hit)
{
	static const size_t skip[] = { 0, 4, 13 };
	size_t i;

	for (i = 0; i < NELEM(skip); i++) {
		if (p->len <= skip[i] || !mkcp_sealed(p->data + skip[i],
		    p->len - skip[i]))
			continue;
		if (!report(st, hit, CAT_PROXY, CONF_HIGH, "v2ray-mkcp"))
			return 0;
		snprintf(hit->detail, sizeof(hit->detail),
		    "KCP segment sealed by v2ray's FNV-1a authenticator%s",
		    skip[i] ? " behind a disguise header" : "");
		return 1;
	}
	return 0;
}

/* ---- frp ---- */

static const uint8_t *
find(const uint8_t *d, size_t len, const char *s)
{
	size_t n = strlen(s), i;

	for (i = 0; i + n <= len; i++)
		if (d[i] == (uint8_t)s[0] && memcmp(d + i, s, n) == 0)
			return d + i;
	return NULL;
}

/* The login message at d: 'o', its length, JSON that names its fields. */
static int
frp_login(const uint8_t *d, size_t len)
{
	uint64_t n;

	if (len < 1 + 8 + 2 || d[0] != 'o' || d[9] != '{')
		return 0;
	n = be64(d + 1);
	if (n < 2 || n > 65536)
		return 0;
	return find(d + 9, len - 9, "\"privilege_key\"") != NULL ||
	    find(d + 9, len - 9, "\"run_id\"") != NULL;
}

/* A yamux header (version 0, type 0-3, flags, stream, length). */
static int
yamux_hdr(const uint8_t *d, size_t len)
{
	return len >= 12 && d[0] == 0 && d[1] <= 3 && d[2] == 0 && d[3] <= 0x0f;
}

static int
frp(struct heur_flow *st, const struct heur_pkt *p, struct heur_hit *hit)
{
	const uint8_t *d = p->data;
	size_t off;

	if (p->dir != 0)
		return 0;
	if (p->index == 0 && p->len == 1 && d[0] == 0x17) {
		st->tunnel[TN_FLAGS] |= TF_FRP_HEAD;
		return 0;
	}
	if ((st->tunnel[TN_FLAGS] & TF_FRP_HEAD) && p->len >= 6 &&
	    d[0] == 0x16 && d[1] == 3 && d[5] == 1)
		off = 0;
	else if (p->index == 0 && p->len >= 7 && d[0] == 0x17 &&
	    d[1] == 0x16 && d[2] == 3 && d[6] == 1)
		off = 1;
	else
		off = 2;
	if (off < 2) {
		st->tunnel[TN_FLAGS] &= (uint8_t)~TF_FRP_HEAD;
		if (!report(st, hit, CAT_PROXY, CONF_HIGH, "frp"))
			return 0;
		snprintf(hit->detail, sizeof(hit->detail),
		    "frp's 0x17 byte before a TLS ClientHello");
		return 1;
	}
	st->tunnel[TN_FLAGS] &= (uint8_t)~TF_FRP_HEAD;
	if (p->index > 1)
		return 0;
	for (off = 0; off <= 24 && off < p->len; off += 12) {
		if (frp_login(d + off, p->len - off)) {
			if (!report(st, hit, CAT_PROXY, CONF_HIGH, "frp"))
				return 0;
			snprintf(hit->detail, sizeof(hit->detail),
			    "frp login message%s", off ? " in yamux" : "");
			return 1;
		}
		if (!yamux_hdr(d + off, p->len - off))
			break;
	}
	return 0;
}

/* ---- SoftEther PACK ---- */

/*
 * A PACK (SoftEther's Mayaqua Pack.c, WritePack): a big-endian uint32
 * element count, then per element its name (uint32 length + 1, then the
 * name without its NUL), its value type (0 int, 1 data, 2 str, 3 unistr,
 * 4 int64), the number of values and the values: an int is 4 bytes, an
 * int64 8, data and str a uint32 length and the bytes, unistr a uint32
 * size and UTF-8 bytes whose last is the NUL. Accepted only when every
 * element parses, names are 1-63 bytes of [A-Za-z0-9_.-] and the last
 * value ends exactly at the datagram's end.
 */
#define SE_MAX_ELEMENTS	64
#define SE_NAME_MAX	63
#define SE_MAX_VALUES	4096

static int
se_name_char(uint8_t c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-';
}

/* Returns the number of elements of a PACK filling d exactly, 0 when d is
 * not one; the first element's name goes to first (NUL-terminated). */
static unsigned
se_pack(const uint8_t *d, size_t len, char *first, size_t firstlen)
{
	size_t off = 4, n, i;
	uint32_t count, e, type, nv, v;

	if (len < 4 + 4 + 1 + 8 + 4)
		return 0;
	count = be32(d);
	if (count == 0 || count > SE_MAX_ELEMENTS)
		return 0;
	for (e = 0; e < count; e++) {
		if (off + 4 > len)
			return 0;
		n = be32(d + off);
		if (n < 2 || n - 1 > SE_NAME_MAX || off + 4 + (n - 1) + 8 > len)
			return 0;
		off += 4;
		for (i = 0; i < n - 1; i++)
			if (!se_name_char(d[off + i]))
				return 0;
		if (e == 0 && firstlen > 0) {
			size_t k = n - 1 < firstlen - 1 ? n - 1 : firstlen - 1;

			memcpy(first, d + off, k);
			first[k] = '\0';
		}
		off += n - 1;
		type = be32(d + off);
		nv = be32(d + off + 4);
		off += 8;
		if (type > 4 || nv == 0 || nv > SE_MAX_VALUES)
			return 0;
		for (v = 0; v < nv; v++) {
			if (type == 0 || type == 4) {
				off += type == 0 ? 4 : 8;
				if (off > len)
					return 0;
				continue;
			}
			if (off + 4 > len)
				return 0;
			n = be32(d + off);
			if (n > len - off - 4)
				return 0;
			/* unistr: its size counts the NUL it ends with. */
			if (type == 3 && (n == 0 || d[off + 4 + n - 1] != 0))
				return 0;
			off += 4 + n;
		}
	}
	return off == len ? count : 0;
}

/* "IP=<address>,PORT=<1-5 digits>", the whole datagram: SoftEther's NAT-T
 * server telling the client its public address. */
static int
se_natt_answer(const uint8_t *d, size_t len)
{
	size_t i = 3, start, digits = 0;
	int colon = 0, dot = 0;

	if (len < 3 + 2 + 6 + 1 || len > 3 + 45 + 6 + 5 ||
	    memcmp(d, "IP=", 3) != 0)
		return 0;
	for (start = i; i < len && d[i] != ','; i++) {
		if (d[i] == ':')
			colon = 1;
		else if (d[i] == '.')
			dot = 1;
		else if (!((d[i] >= '0' && d[i] <= '9') ||
		    (d[i] >= 'a' && d[i] <= 'f') || (d[i] >= 'A' && d[i] <= 'F')))
			return 0;
	}
	if (i == start || (!colon && !dot) || len - i < 7 ||
	    memcmp(d + i, ",PORT=", 6) != 0)
		return 0;
	for (i += 6; i < len && d[i] >= '0' && d[i] <= '9'; i++)
		digits++;
	return i == len && digits >= 1 && digits <= 5;
}

/*
 * SoftEther's UDP acceleration (Cedar UdpAccel.c, UdpAccelSend) chains its
 * IVs: version 2 sends IV (12 bytes), ChaCha20-Poly1305 ciphertext and
 * tag, and the ciphertext's first 12 bytes are the next IV; version 1
 * sends IV (20 bytes) and RC4 ciphertext whose last 20 bytes (an
 * encrypted block of zeros) are the next IV. So a datagram's first 12 (or
 * 20) bytes are bytes 12-23 (or the last 20) of the previous datagram of
 * the same side, by chance once in 2^96. Both sides send alike and either
 * may send first (the server answers at the port the client announced
 * inside TLS). 16-bit hashes of the announced IVs are kept per side; two
 * datagrams that open with theirs make the verdict.
 */
#define SE_V2_IV	12
#define SE_V1_IV	20
#define SE_MIN_LEN	40	/* IV, the inner header, the tag */
#define SE_LINKS	2

static uint16_t
se_hash(const uint8_t *d, size_t n)
{
	uint32_t h = 2166136261u;
	size_t i;

	for (i = 0; i < n; i++)
		h = (h ^ d[i]) * 16777619u;
	return (uint16_t)(h ^ h >> 16);
}

/* Whether the n bytes hold 6 distinct values at least: a header of
 * zeros or of one repeated byte announces nothing. */
static int
se_varied(const uint8_t *d, size_t n)
{
	uint8_t seen[32];
	size_t i, k = 0;

	memset(seen, 0, sizeof(seen));
	for (i = 0; i < n; i++) {
		if (!(seen[d[i] >> 3] & (1u << (d[i] & 7)))) {
			seen[d[i] >> 3] |= (uint8_t)(1u << (d[i] & 7));
			k++;
		}
	}
	return k >= 6;
}

static int
se_accel(struct heur_flow *st, const struct heur_pkt *p, struct heur_hit *hit)
{
	uint8_t *next = st->tunnel + TN_SE_NEXT + 4 * (p->dir != 0);
	const uint8_t *d = p->data;
	int link = 0;

	if (p->len < SE_MIN_LEN)
		return 0;
	if (p->index >= 2) {
		if (se_varied(d, SE_V2_IV) &&
		    se_hash(d, SE_V2_IV) == be16(next))
			link = 2;
		else if (se_varied(d, SE_V1_IV) &&
		    se_hash(d, SE_V1_IV) == be16(next + 2))
			link = 1;
	}
	next[0] = (uint8_t)(se_hash(d + SE_V2_IV, SE_V2_IV) >> 8);
	next[1] = (uint8_t)se_hash(d + SE_V2_IV, SE_V2_IV);
	next[2] = (uint8_t)(se_hash(d + p->len - SE_V1_IV, SE_V1_IV) >> 8);
	next[3] = (uint8_t)se_hash(d + p->len - SE_V1_IV, SE_V1_IV);
	if (!link || ++st->tunnel[TN_SE_LINKS] < SE_LINKS)
		return 0;
	if (!report(st, hit, CAT_PROXY, CONF_HIGH, "softether-udp-accel"))
		return 0;
	hit->either_side = 1;
	snprintf(hit->detail, sizeof(hit->detail), "UDP acceleration v%d: "
	    "each datagram opens with the IV the one before announced", link);
	return 1;
}

static int
softether(struct heur_flow *st, const struct heur_pkt *p, struct heur_hit *hit)
{
	char first[SE_NAME_MAX + 1];
	unsigned n;

	if (p->data[0] == 'I' && se_natt_answer(p->data, p->len)) {
		if (!report(st, hit, CAT_PROXY, CONF_MEDIUM, "softether"))
			return 0;
		snprintf(hit->detail, sizeof(hit->detail),
		    "NAT-T server's address answer (IP=...,PORT=...)");
		return 1;
	}
	if (p->data[0] != 0 || (n = se_pack(p->data, p->len, first,
	    sizeof(first))) == 0)
		return 0;
	/* One element of a few bytes could happen by chance more easily
	 * than several that each parse: medium for one, high for more. */
	if (!report(st, hit, CAT_PROXY, n >= 2 ? CONF_HIGH : CONF_MEDIUM,
	    "softether"))
		return 0;
	snprintf(hit->detail, sizeof(hit->detail),
	    "PACK of %u element%s, the first \"%.40s\"", n, n == 1 ? "" : "s",
	    first);
	return 1;
}


/* ---- WebSocket (RFC 6455) ---- */

static int
lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

/* Whether the n bytes at a equal the lower-case s, ignoring case. */
static int
ieq(const uint8_t *a, const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (lower(a[i]) != s[i])
			return 0;
	return 1;
}

/* The value of header name (lower case, with its colon) in the header
 * block d[0..len), its length in *vlen; NULL when absent. */
static const uint8_t *
header(const uint8_t *d, size_t len, const char *name, size_t *vlen)
{
	size_t n = strlen(name), i = 0, e;

	while (i < len) {
		for (e = i; e < len && d[e] != '\n'; e++)
			;
		if (e - i >= n && ieq(d + i, name, n)) {
			size_t v = i + n, end = e;

			while (v < end && (d[v] == ' ' || d[v] == '\t'))
				v++;
			while (end > v && (d[end - 1] == '\r' ||
			    d[end - 1] == ' '))
				end--;
			*vlen = end - v;
			return d + v;
		}
		i = e + 1;
	}
	return NULL;
}

/* Whether the comma-separated list v holds a token starting with tok (or
 * equal to it, when !prefix). */
static int
has_token(const uint8_t *v, size_t vlen, const char *tok, int prefix)
{
	size_t n = strlen(tok), i = 0, s, e;

	while (i < vlen) {
		while (i < vlen && (v[i] == ' ' || v[i] == ','))
			i++;
		s = i;
		while (i < vlen && v[i] != ',' && v[i] != ' ')
			i++;
		e = i;
		if (e - s >= n && ieq(v + s, tok, n) && (prefix || e - s == n))
			return 1;
	}
	return 0;
}

/*
 * The frame header at d: RFC 6455 section 5.2. A client's frames are
 * masked, a server's are not; the opcodes are 0-2 and 8-10; of the
 * reserved bits only RSV1 has a use (permessage-deflate, RFC 7692).
 * Returns the header's length (the payload's offset), 0 when d is no
 * frame header; the mask key, when any, is in key.
 */
static size_t
ws_header(const uint8_t *d, size_t len, int client, const uint8_t **key)
{
	size_t off = 2;
	uint8_t op;

	if (len < 2 || (d[0] & 0x30) != 0)
		return 0;
	op = d[0] & 0x0f;
	if (op > 10 || (op > 2 && op < 8) || ((d[1] & 0x80) != 0) != client)
		return 0;
	if ((d[1] & 0x7f) == 126)
		off += 2;
	else if ((d[1] & 0x7f) == 127)
		off += 8;
	*key = NULL;
	if (client) {
		*key = d + off;
		off += 4;
	}
	return off <= len ? off : 0;
}

/* Whether a data frame's payload (what of it the segment holds, unmasked)
 * looks random; compressed frames (RSV1) are not judged. */
static int
ws_payload_random(const uint8_t *d, size_t len, int client)
{
	uint8_t buf[WS_LOOK_MAX];
	const uint8_t *key;
	size_t off = ws_header(d, len, client, &key), n, i;

	if (off == 0 || (d[0] & 0x40) || ((d[0] & 0x0f) != 1 &&
	    (d[0] & 0x0f) != 2))
		return 0;
	n = len - off < sizeof(buf) ? len - off : sizeof(buf);
	for (i = 0; i < n; i++)
		buf[i] = d[off + i] ^ (key != NULL ? key[i % 4] : 0);
	return heur_looks_random(buf, n, 1);
}

/* Whether the frame at d (masked when from the client) opens with an SSH
 * version banner. */
static int
ws_frame_ssh(const uint8_t *d, size_t len)
{
	static const char ssh[] = "SSH-";
	size_t off = 2, i;
	const uint8_t *key = NULL;
	uint8_t op;

	if (len < 2)
		return 0;
	op = d[0] & 0x0f;
	if (op != 1 && op != 2)
		return 0;
	if ((d[1] & 0x7f) == 126)
		off += 2;
	else if ((d[1] & 0x7f) == 127)
		off += 8;
	if (d[1] & 0x80) {
		key = d + off;
		off += 4;
	}
	if (off + 8 > len)
		return 0;
	for (i = 0; i < 8; i++) {
		uint8_t c = d[off + i] ^ (key != NULL ? key[i % 4] : 0);

		if (i < 4 ? c != (uint8_t)ssh[i] : (c < '0' || c > '9') &&
		    c != '.' && c != '-')
			return 0;
	}
	return 1;
}

#define FAKE_WS_MIN	56	/* bytes behind a request, at least */

static int
websocket_request(struct heur_flow *st, const struct heur_pkt *p,
    struct heur_hit *hit)
{
	const uint8_t *d = p->data, *v, *end;
	size_t len = p->len, vlen, plen;
	const uint8_t *path;
	enum policy_category cat = CAT_REMOTE_ACCESS;
	const char *name = NULL, *what = NULL;

	if (len < 16 || memcmp(d, "GET ", 4) != 0)
		return 0;
	end = find(d, len, "\r\n\r\n");
	if (end != NULL)
		len = (size_t)(end - d) + 2;
	v = header(d, len, "upgrade:", &vlen);
	if (v == NULL || !has_token(v, vlen, "websocket", 0))
		return 0;
	st->tunnel[TN_FLAGS] |= TF_WS_REQ;
	/* RFC 6455 section 4.1: the client waits for the server's answer
	 * before it sends anything more. simple-obfs sends its tunnel's
	 * first bytes with the request. */
	if (end != NULL && len + 2 + FAKE_WS_MIN <= p->len &&
	    heur_looks_random(end + 4, p->len - len - 2, 1)) {
		if (!report(st, hit, CAT_PROXY, CONF_MEDIUM, "fake-websocket"))
			return 0;
		snprintf(hit->detail, sizeof(hit->detail),
		    "WebSocket upgrade request with %zu random bytes behind it",
		    p->len - len - 2);
		return 1;
	}
	path = d + 4;
	for (plen = 0; 4 + plen < len && path[plen] != ' '; plen++)
		;
	v = header(d, len, "sec-websocket-protocol:", &vlen);
	if (v != NULL && has_token(v, vlen, "chisel-v", 1)) {
		cat = CAT_PROXY;
		name = "chisel";
		what = "chisel's WebSocket subprotocol";
	} else if (v != NULL && has_token(v, vlen, "tty", 0)) {
		name = "ttyd";
		what = "ttyd's terminal subprotocol";
	} else if (v != NULL && has_token(v, vlen, "webtty", 0)) {
		name = "gotty";
		what = "GoTTY's terminal subprotocol";
	} else if (find(path, plen, "/terminals/websocket/") != NULL) {
		name = "jupyter-terminal";
		what = "a Jupyter terminal's WebSocket";
	}
	if (name == NULL || !report(st, hit, cat, CONF_MEDIUM, name))
		return 0;
	snprintf(hit->detail, sizeof(hit->detail), "%s", what);
	return 1;
}

/*
 * The first frame each way after the switch. Bytes that are no frame at
 * all from both sides are a tunnel that only borrowed the handshake; a
 * first data frame of random bytes each way (no JSON, no text, no
 * protobuf's field tags) is a fully encrypted tunnel inside WebSocket
 * (Shadowsocks' v2ray-plugin, VMess over ws).
 */
static int
ws_first_frames(struct heur_flow *st, const struct heur_pkt *p,
    const uint8_t *d, size_t len, struct heur_hit *hit)
{
	uint8_t *f = &st->tunnel[TN_FLAGS];
	const uint8_t *key;
	int client = p->dir == 0;
	uint8_t seen = client ? TF_WS_CFRAME : TF_WS_SFRAME,
	    rnd = client ? TF_WS_CRND : TF_WS_SRND;

	if (*f & seen)
		return 0;
	*f |= seen;
	if (ws_header(d, len, client, &key) == 0) {
		if (len >= FAKE_WS_MIN && heur_looks_random(d, len, 0))
			*f |= rnd;
	} else if (ws_payload_random(d, len, client)) {
		*f |= rnd | 0x80;	/* 0x80: framed */
	}
	if ((*f & (TF_WS_CRND | TF_WS_SRND)) != (TF_WS_CRND | TF_WS_SRND))
		return 0;
	if (!report(st, hit, CAT_PROXY, CONF_MEDIUM, (*f & 0x80) ?
	    "encrypted-websocket" : "fake-websocket"))
		return 0;
	snprintf(hit->detail, sizeof(hit->detail), "%s",
	    (*f & 0x80) ? "first WebSocket frame each way carries random bytes" :
	    "random bytes, not WebSocket frames, after the switch");
	return 1;
}

static int
websocket(struct heur_flow *st, const struct heur_pkt *p, struct heur_hit *hit)
{
	const uint8_t *d = p->data, *end;
	size_t len = p->len;

	if (p->dir == 0 && !(st->tunnel[TN_FLAGS] & TF_WS_REQ))
		return websocket_request(st, p, hit);
	if (!(st->tunnel[TN_FLAGS] & TF_WS_REQ))
		return 0;
	if (p->dir == 1 && !(st->tunnel[TN_FLAGS] & TF_WS_OK)) {
		if (len < 12 || memcmp(d, "HTTP/1.1 101", 12) != 0)
			return 0;
		st->tunnel[TN_FLAGS] |= TF_WS_OK;
		end = find(d, len, "\r\n\r\n");
		if (end == NULL || (size_t)(end - d) + 4 >= len)
			return 0;
		/* The first frame came in the same segment. */
		len -= (size_t)(end - d) + 4;
		d = end + 4;
	}
	if (!(st->tunnel[TN_FLAGS] & TF_WS_OK))
		return 0;
	if (!ws_frame_ssh(d, len))
		return ws_first_frames(st, p, d, len, hit);
	if (!report(st, hit, CAT_PROXY, CONF_HIGH, "ssh-websocket"))
		return 0;
	snprintf(hit->detail, sizeof(hit->detail),
	    "SSH version banner in the %s's first WebSocket frame",
	    p->dir == 0 ? "client" : "server");
	return 1;
}

int
heur_tunnel(struct heur_flow *st, const struct heur_pkt *p, struct heur_hit *hit)
{
	if (p->len == 0 || p->data == NULL)
		return 0;
	if (p->proto == 17) {
		if (p->data[0] == 0x10 && nebula(st, p, hit))
			return 1;
		if (softether(st, p, hit))
			return 1;
		if (se_accel(st, p, hit))
			return 1;
		if (zerotier(st, p, hit))
			return 1;
		return mkcp(st, p, hit);
	}
	if (p->proto != 6)
		return 0;
	if (frp(st, p, hit))
		return 1;
	return websocket(st, p, hit);
}
