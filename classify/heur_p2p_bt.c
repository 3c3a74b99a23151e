/*
 * heur_p2p_bt.c: BitTorrent recognised from its first messages, for
 * heur_p2p(): the peer handshake (over TCP, or inside uTP), HTTP tracker
 * requests, UDP tracker connect requests, local service discovery, the
 * Mainline DHT's bencoded KRPC messages, and uTP itself.
 *
 * BitTorrent is the one family here with a grammar of its own to walk
 * (bencode), so it has a file of its own; heur_p2p.c holds the other
 * networks and the dispatch on the first byte that calls these. The
 * checks key on fixed bytes or exact framing (the 19-byte protocol
 * string, BEP 15's 64-bit magic, a dictionary that must end exactly at the
 * datagram's end); uTP's 20-byte header, which fits many payloads, counts
 * only when the other side answers the ST_SYN in kind.
 */
#include <stdio.h>
#include <string.h>

#include "bytes.h"
#include "heur.h"
#include "heur_p2p.h"
#include "util.h"

/* BitTorrent (BEP 3): <pstrlen 19><"BitTorrent protocol"><reserved 8>
 * <info_hash 20><peer_id 20>. */
#define BT_PSTR		"BitTorrent protocol"
#define BT_INFO_HASH	28	/* offset of info_hash */
#define BT_HANDSHAKE	68

#define TRACKER_LINE_MAX 2048	/* bytes of a request line looked at */

/* UDP tracker (BEP 15): connect request = protocol_id[8] action[4]
 * transaction_id[4]. */
#define UDPT_MAGIC_HI	0x00000417u
#define UDPT_MAGIC_LO	0x27101980u
#define UDPT_CONNECT_LEN 16

#define BENC_MAX_DEPTH	32
#define DHT_ID_LEN	20	/* BEP 5: node ids are 160 bits */

/* uTP (BEP 29): 20-byte header; type in the high nibble of byte 0. */
#define UTP_HDR_LEN	20
#define UTP_VERSION	1
#define UTP_ST_DATA	0
#define UTP_ST_STATE	2
#define UTP_ST_SYN	4
#define UTP_MAX_EXT	4	/* extension headers followed, at most */

static int
span_eq(struct span s, const char *lit)
{
	size_t n = strlen(lit);

	return s.p != NULL && s.len == n && memcmp(s.p, lit, n) == 0;
}

static void
hex_copy(char *dst, size_t dstlen, const uint8_t *src, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	size_t i;

	if (dstlen == 0)
		return;
	for (i = 0; i < n && 2 * i + 2 < dstlen; i++) {
		dst[2 * i] = hex[src[i] >> 4];
		dst[2 * i + 1] = hex[src[i] & 0x0f];
	}
	dst[2 * i] = '\0';
}

/* A peer handshake (BEP 3) at b: pstrlen 19, then the protocol string. */
static int
bt_is_handshake(const uint8_t *b, size_t len)
{
	return len >= 1 + BT_PSTR_LEN && b[0] == BT_PSTR_LEN &&
	    memcmp(b + 1, BT_PSTR, BT_PSTR_LEN) == 0;
}

int
heur_bt_handshake(struct heur_flow *st, const uint8_t *b, size_t len,
    const char *how, struct heur_hit *hit)
{
	char ih[2 * 20 + 1];

	if (!bt_is_handshake(b, len))
		return 0;
	if (!report(st, hit, CONF_HIGH, "bittorrent"))
		return 0;
	if (len >= BT_INFO_HASH + 20) {
		hex_copy(ih, sizeof(ih), b + BT_INFO_HASH, 20);
		snprintf(hit->detail, sizeof(hit->detail),
		    "handshake%s info_hash=%s", how, ih);
	} else
		snprintf(hit->detail, sizeof(hit->detail), "handshake%s", how);
	return 1;
}

/*
 * An HTTP tracker request (BEP 3, BEP 48): GET <path>?<query> where the
 * path's last segment is the announce (or, by the scrape convention,
 * scrape) resource, "announce.php" and "/<passkey>/announce" included,
 * and the query carries an info_hash parameter.
 */
int
heur_bt_tracker(struct heur_flow *st, const struct heur_pkt *p,
    struct heur_hit *hit)
{
	const uint8_t *b = p->data;
	char value[DETAIL_VALUE_MAX + 1];
	size_t end, i, q, seg, v;
	const char *what;

	if (p->len < 5 || memcmp(b, "GET /", 5) != 0)
		return 0;
	end = p->len < TRACKER_LINE_MAX ? p->len : TRACKER_LINE_MAX;
	/* The request target ends at the space before the HTTP version. */
	for (i = 4; i < end && b[i] != ' ' && b[i] != '\r' && b[i] != '\n';
	    i++)
		;
	end = i;
	for (q = 4; q < end && b[q] != '?'; q++)
		;
	if (q == end)
		return 0;
	for (seg = q; seg > 4 && b[seg - 1] != '/'; seg--)
		;
	if (q - seg >= 8 && memcmp(b + seg, "announce", 8) == 0)
		what = "announce";
	else if (q - seg >= 6 && memcmp(b + seg, "scrape", 6) == 0)
		what = "scrape";
	else
		return 0;
	for (i = q; i + 1 + 10 <= end; i++) {
		if ((b[i] != '?' && b[i] != '&') ||
		    memcmp(b + i + 1, "info_hash=", 10) != 0)
			continue;
		if (!report(st, hit, CONF_HIGH, "bittorrent-tracker"))
			return 0;
		for (v = i + 11; v < end && b[v] != '&'; v++)
			;
		print_copy(value, sizeof(value), b + i + 11, v - (i + 11));
		snprintf(hit->detail, sizeof(hit->detail), "%s info_hash=%s",
		    what, value);
		return 1;
	}
	return 0;
}

/* A UDP tracker connect request (BEP 15): the 64-bit protocol_id
 * 0x41727101980, then action 0 (connect). */
int
heur_bt_udp_tracker(struct heur_flow *st, const struct heur_pkt *p,
    struct heur_hit *hit)
{
	const uint8_t *b = p->data;

	if (p->len < UDPT_CONNECT_LEN || be32(b) != UDPT_MAGIC_HI ||
	    be32(b + 4) != UDPT_MAGIC_LO || be32(b + 8) != 0)
		return 0;
	if (!report(st, hit, CONF_HIGH, "bittorrent-udp-tracker"))
		return 0;
	snprintf(hit->detail, sizeof(hit->detail), "connect");
	return 1;
}

/* Local service discovery (BEP 14): an HTTP-like announce over UDP
 * multicast whose request line is exactly this. */
int
heur_bt_lsd(struct heur_flow *st, const struct heur_pkt *p,
    struct heur_hit *hit)
{
	static const char line[] = "BT-SEARCH * HTTP/1.1\r\n";

	if (p->len < sizeof(line) - 1 ||
	    memcmp(p->data, line, sizeof(line) - 1) != 0)
		return 0;
	if (!report(st, hit, CONF_HIGH, "bittorrent-lsd"))
		return 0;
	snprintf(hit->detail, sizeof(hit->detail), "BT-SEARCH");
	return 1;
}

/* ---- bencode (BEP 3) and the Mainline DHT (BEP 5) ---- */

/* A byte string <decimal length>:<bytes> at off: fills s and returns the
 * offset after it, 0 when there is none. */
static size_t
benc_str(const uint8_t *b, size_t len, size_t off, struct span *s)
{
	size_t n = 0;

	if (off >= len || b[off] < '0' || b[off] > '9')
		return 0;
	while (off < len && b[off] >= '0' && b[off] <= '9') {
		n = n * 10 + (size_t)(b[off] - '0');
		if (n > len)
			return 0;
		off++;
	}
	if (off >= len || b[off] != ':')
		return 0;
	off++;
	if (n > len - off)
		return 0;
	s->p = b + off;
	s->len = n;
	return off + n;
}

/* Skips one value at off (string, i<int>e, l...e, d...e); returns the
 * offset after it, 0 when it is malformed or cut off. */
static size_t
benc_skip(const uint8_t *b, size_t len, size_t off)
{
	unsigned depth = 0;
	struct span s;

	do {
		if (off >= len)
			return 0;
		switch (b[off]) {
		case 'i':
			for (off++; off < len && b[off] != 'e'; off++)
				if (b[off] != '-' && (b[off] < '0' || b[off] > '9'))
					return 0;
			if (off >= len)
				return 0;
			off++;
			break;
		case 'l':
		case 'd':
			if (++depth > BENC_MAX_DEPTH)
				return 0;
			off++;
			break;
		case 'e':
			if (depth == 0)
				return 0;
			depth--;
			off++;
			break;
		default:
			if ((off = benc_str(b, len, off, &s)) == 0)
				return 0;
			break;
		}
	} while (depth > 0);
	return off;
}

/* A dictionary at off whose "id" is a 20-byte node id (BEP 5: the "a" of
 * every query and the "r" of every response carry the sender's id).
 * Returns the offset after it, 0 when malformed; *has_id says. */
static size_t
dht_args(const uint8_t *b, size_t len, size_t off, int *has_id)
{
	struct span key, val;
	size_t next;

	*has_id = 0;
	off++;		/* 'd' */
	while (off < len && b[off] != 'e') {
		if ((off = benc_str(b, len, off, &key)) == 0)
			return 0;
		if (span_eq(key, "id") &&
		    (next = benc_str(b, len, off, &val)) != 0) {
			*has_id = val.len == DHT_ID_LEN;
			off = next;
		} else if ((off = benc_skip(b, len, off)) == 0)
			return 0;
	}
	return off < len ? off + 1 : 0;
}

/* The parts of a KRPC message (BEP 5) that matter here. */
struct krpc {
	struct span y;		/* message type: "q", "r" or "e" */
	struct span q;		/* a query's method */
	int a_id;		/* "a" holds a 20-byte "id" */
	int r_id;		/* "r" holds a 20-byte "id" */
};

/* Walks the top-level dictionary; returns 1 when it is well-formed and
 * ends exactly where the datagram does. */
static int
krpc_walk(const uint8_t *b, size_t len, struct krpc *k)
{
	struct span key, val;
	size_t off = 1;

	memset(k, 0, sizeof(*k));
	if (len < 2 || b[0] != 'd' || b[len - 1] != 'e')
		return 0;
	while (off < len && b[off] != 'e') {
		if ((off = benc_str(b, len, off, &key)) == 0 || off >= len)
			return 0;
		if ((span_eq(key, "a") || span_eq(key, "r")) && b[off] == 'd') {
			off = dht_args(b, len, off, key.p[0] == 'a' ? &k->a_id :
			    &k->r_id);
		} else if ((span_eq(key, "y") || span_eq(key, "q")) &&
		    b[off] >= '0' && b[off] <= '9') {
			off = benc_str(b, len, off, &val);
			if (key.p[0] == 'y')
				k->y = val;
			else
				k->q = val;
		} else
			off = benc_skip(b, len, off);
		if (off == 0)
			return 0;
	}
	return off == len - 1;
}

/*
 * A KRPC message (BEP 5): one bencoded dictionary filling the datagram,
 * "y" = "q" with a known method in "q" and the querier's id in "a", or
 * "y" = "r" with the responder's id in "r". A datagram the capture cut
 * short still counts by its opening: keys are sorted (BEP 3), so a query
 * starts with "a" and its "id", a response with "r" and its "id": 12
 * fixed bytes, then the 20-byte id.
 */
int
heur_bt_dht(struct heur_flow *st, const struct heur_pkt *p,
    struct heur_hit *hit)
{
	static const char *methods[] = {
		"ping", "find_node", "get_peers", "announce_peer",
		"get", "put", "sample_infohashes"
	};
	const uint8_t *b = p->data;
	char method[24];
	struct krpc k;
	size_t i;

	if (!krpc_walk(b, p->len, &k)) {
		if (p->len < 12 + DHT_ID_LEN ||
		    (memcmp(b, "d1:ad2:id20:", 12) != 0 &&
		    memcmp(b, "d1:rd2:id20:", 12) != 0))
			return 0;
		if (!report(st, hit, CONF_HIGH, "bittorrent-dht"))
			return 0;
		snprintf(hit->detail, sizeof(hit->detail), "%s",
		    b[3] == 'a' ? "query" : "response");
		return 1;
	}
	if (span_eq(k.y, "q") && k.a_id) {
		for (i = 0; i < NELEM(methods); i++)
			if (span_eq(k.q, methods[i]))
				break;
		if (i == NELEM(methods))
			return 0;
		if (!report(st, hit, CONF_HIGH, "bittorrent-dht"))
			return 0;
		print_copy(method, sizeof(method), k.q.p, k.q.len);
		snprintf(hit->detail, sizeof(hit->detail), "query %s", method);
		return 1;
	}
	if (span_eq(k.y, "r") && k.r_id) {
		if (!report(st, hit, CONF_HIGH, "bittorrent-dht"))
			return 0;
		snprintf(hit->detail, sizeof(hit->detail), "response");
		return 1;
	}
	return 0;
}

/* ---- uTP (BEP 29) ---- */

/*
 * The header at b: version 1 in the low nibble of byte 0, a type 0..4 in
 * the high one, then a chain of extensions (1 selective ack: a bitmask of
 * a multiple of 32 bits; 2 extension bits: 8 bytes) each naming the next.
 * Returns the offset of the payload, 0 when b is no uTP header.
 */
static size_t
utp_header(const uint8_t *b, size_t len)
{
	uint8_t ext, elen;
	size_t off = UTP_HDR_LEN;
	unsigned n;

	if (len < UTP_HDR_LEN || (b[0] & 0x0f) != UTP_VERSION ||
	    (b[0] >> 4) > UTP_ST_SYN)
		return 0;
	for (ext = b[1], n = 0; ext != 0; n++) {
		if (ext > 2 || n == UTP_MAX_EXT || len - off < 2)
			return 0;
		elen = b[off + 1];
		if (ext == 1 && (elen < 4 || elen % 4 != 0))
			return 0;
		if (ext == 2 && elen != 8)
			return 0;
		ext = b[off];
		off += 2;
		if (elen > len - off)
			return 0;
		off += elen;
	}
	return off;
}

/*
 * A single uTP header proves little: any UDP payload whose first byte is
 * 0x01, 0x11, ... 0x41 and second is 0..2 fits. So this needs the
 * connection set-up: ST_SYN (no payload) with connection_id C and seq_nr
 * S, answered from the other side by ST_STATE (no payload) with the same
 * connection_id C and ack_nr S. A data packet that carries a BitTorrent
 * handshake after a valid header is a handshake over uTP.
 */
int
heur_bt_utp(struct heur_flow *st, const struct heur_pkt *p,
    struct heur_hit *hit)
{
	const uint8_t *b = p->data;
	uint8_t *s = st->p2p, syn_dir, type;
	size_t off;

	if ((off = utp_header(b, p->len)) == 0)
		return 0;
	type = b[0] >> 4;
	if (type == UTP_ST_DATA && off < p->len)
		return heur_bt_handshake(st, b + off, p->len - off,
		    " over uTP", hit);
	if (off != p->len)
		return 0;
	if (type == UTP_ST_SYN) {
		s[PP_FLAGS] = (uint8_t)((s[PP_FLAGS] &
		    ~(PF_UTP_SYN | PF_UTP_SYN_DIR1)) | PF_UTP_SYN |
		    (p->dir != 0 ? PF_UTP_SYN_DIR1 : 0));
		memcpy(s + PP_UTP_CONN, b + 2, 2);
		memcpy(s + PP_UTP_SEQ, b + 16, 2);
		return 0;
	}
	if (type != UTP_ST_STATE || (s[PP_FLAGS] & PF_UTP_SYN) == 0)
		return 0;
	syn_dir = (s[PP_FLAGS] & PF_UTP_SYN_DIR1) != 0;
	if ((p->dir != 0) == syn_dir || memcmp(b + 2, s + PP_UTP_CONN, 2) != 0 ||
	    memcmp(b + 18, s + PP_UTP_SEQ, 2) != 0)
		return 0;
	if (!report(st, hit, CONF_MEDIUM, "utp"))
		return 0;
	snprintf(hit->detail, sizeof(hit->detail),
	    "ST_SYN answered by ST_STATE conn_id=%u", be16(b + 2));
	return 1;
}
