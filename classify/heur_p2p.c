/*
 * heur_p2p.c: peer-to-peer file sharing recognised from its first
 * messages. heur_p2p() dispatches on the transport and the first byte to
 * the BitTorrent detectors of heur_p2p_bt.c (peer handshake over TCP or
 * uTP, HTTP and UDP tracker requests, the Mainline DHT, uTP itself, local
 * service discovery) and to the other networks, which live here: Gnutella
 * (TCP handshake, UDP descriptors and LimeWire's Mojito DHT, Gnutella2's
 * "GND" datagrams), and eDonkey/eMule (TCP hello, Kad over UDP), Soulseek
 * (the server login and the peer-init message: little-endian
 * length-prefixed messages whose every field must fit the length exactly)
 * and Direct Connect (NMDC's $Lock / $MyNick / $Key commands, ADC's SUP
 * handshake naming the mandatory BASE feature) and Syncthing's relay
 * protocol, whose session connection is in clear, and libp2p's
 * multistream-select header (IPFS, Filecoin, Ethereum's consensus layer),
 * whose length byte real nodes send in a segment of its own. Soulseek and
 * Gnutella's UDP descriptors, tried on every packet that nothing else
 * claimed, stay in this file beside the dispatch.
 *
 * The design decision: each check keys on fixed bytes or exact framing the
 * protocol defines (a 20-byte magic string, a length field that must equal
 * the datagram's size, a bencoded dictionary that must end exactly at the
 * datagram's end), so random payloads practically never match. Where a
 * protocol gives less than that (uTP's 20-byte header fits many UDP
 * payloads), a single packet is not enough: st->p2p keeps what the first
 * packet promised and the other side must answer in kind. A family reports
 * again for the same flow only when its confidence rises, so a caller may
 * keep feeding packets after a hit.
 */
#include <stdio.h>
#include <string.h>

#include "bytes.h"
#include "heur.h"
#include "heur_p2p.h"
#include "util.h"

/* Gnutella 0.6 descriptor header: guid[16] type ttl hops length[4 LE]. */
#define GNU_HDR_LEN	23
#define GNU_MAX_TTL	15

/* Gnutella2 UDP (Shareaza Datagrams.h SGP_HEADER): "GND" flags
 * sequence[2] part count. */
#define GND_HDR_LEN	8

/* eDonkey TCP: protocol, length[4 LE] of opcode + payload, opcode. */
#define ED2K_HDR_LEN	5
#define ED2K_MAX_MSGS	8
/* OP_HELLO and OP_HELLOANSWER carry at least the user hash (16), client
 * id (4), port (2) and tag count (4), after the opcode. */
#define ED2K_HELLO_MIN	27
/* OP_EMULEINFO(ANSWER): client version, protocol version, tag count. */
#define ED2K_EMULEINFO_MIN 7

/* Kad (eMule kademlia/net/KademliaUDPListener.cpp): a contact is
 * id[16] ip[4] udp[2] tcp[2] version[1]. */
#define KAD_CONTACT_LEN	25
#define KAD_MAX_TAGS	32

/* ---- Gnutella ---- */

/* The Gnutella 0.6 handshake (and 0.4's): a text line of its own. */
static int
gnutella_tcp(struct heur_flow *st, const struct heur_pkt *p,
    struct heur_hit *hit)
{
	static const char *opens[] = {
		"GNUTELLA CONNECT/", "GNUTELLA/0.6 ", "GNUTELLA OK"
	};
	char line[DETAIL_VALUE_MAX + 1];
	size_t i, n;

	for (i = 0; i < NELEM(opens); i++) {
		n = strlen(opens[i]);
		if (p->len >= n && memcmp(p->data, opens[i], n) == 0)
			break;
	}
	if (i == NELEM(opens))
		return 0;
	/* "GNUTELLA/0.6 " is the answer: its status must be three digits. */
	if (i == 1 && (p->len < n + 3 || p->data[n] < '1' ||
	    p->data[n] > '5' || p->data[n + 1] < '0' || p->data[n + 1] > '9' ||
	    p->data[n + 2] < '0' || p->data[n + 2] > '9'))
		return 0;
	if (!report(st, hit, CONF_HIGH, "gnutella"))
		return 0;
	for (n = 0; n < p->len && p->data[n] != '\r' && p->data[n] != '\n'; n++)
		;
	print_copy(line, sizeof(line), p->data, n);
	snprintf(hit->detail, sizeof(hit->detail), "%s", line);
	return 1;
}

/*
 * Gnutella2 over UDP, the "GND" datagrams (Shareaza Datagrams.h SGP_HEADER
 * and CDatagrams::OnDatagram; gtk-gnutella speaks it too): "GND", flags
 * (bit 0 deflate, bit 1 acknowledge me; the G2 UDP transceiver spec makes
 * bits 4-7 "critical" flags a receiver must drop the packet for, and none
 * is defined, so they are 0), a sequence number, the part number (from 1)
 * and the part count (>= part); a count of 0 is an acknowledgement, which
 * is the 8-byte header alone.
 */
static int
gnutella_gnd(struct heur_flow *st, const struct heur_pkt *p,
    struct heur_hit *hit)
{
	const uint8_t *b = p->data;
	uint8_t part, count;

	/* Flags: Shareaza defines deflate (0x01) and acknowledge (0x02);
	 * 0x10 is set by servents in the wild. Any other bit: not GND. */
	if (p->len < GND_HDR_LEN || memcmp(b, "GND", 3) != 0 ||
	    (b[3] & ~0x13) != 0)
		return 0;
	part = b[6];
	count = b[7];
	if (part == 0)
		return 0;
	if (count == 0 ? p->len != GND_HDR_LEN :
	    (part > count || p->len == GND_HDR_LEN))
		return 0;
	if (!report(st, hit, CONF_HIGH, "gnutella2-udp"))
		return 0;
	if (count == 0)
		snprintf(hit->detail, sizeof(hit->detail), "GND ack part %u",
		    part);
	else
		snprintf(hit->detail, sizeof(hit->detail), "GND part %u/%u",
		    part, count);
	return 1;
}

/*
 * A Gnutella descriptor sent over UDP (Gnutella 0.6 section 2.2, LimeWire's
 * UDP pings and queries, and the Mojito DHT, which reuses the header with
 * its own type 0x44): a 16-byte GUID, a known payload type, TTL and hops
 * no more than 15 (Gnutella's ceiling; Mojito puts its version there), and
 * a little-endian payload length that must be exactly the rest of the
 * datagram. An all-zero GUID is not one a servent generates. One datagram
 * is medium, two are high.
 */
static int
gnutella_udp(struct heur_flow *st, const struct heur_pkt *p,
    struct heur_hit *hit)
{
	static const struct {
		uint8_t type;
		const char *name;
	} types[] = {
		{ 0x00, "ping" }, { 0x01, "pong" }, { 0x02, "bye" },
		{ 0x31, "vendor" }, { 0x32, "vendor" }, { 0x40, "push" },
		{ 0x44, "mojito" }, { 0x80, "query" }, { 0x81, "query hit" },
	};
	const uint8_t *b = p->data;
	enum confidence conf;
	size_t i, t;

	if (p->len < GNU_HDR_LEN || le32(b + 19) != p->len - GNU_HDR_LEN ||
	    b[17] > GNU_MAX_TTL || b[18] > GNU_MAX_TTL)
		return 0;
	for (t = 0; t < NELEM(types); t++)
		if (types[t].type == b[16])
			break;
	if (t == NELEM(types))
		return 0;
	for (i = 0; i < 16 && b[i] == 0; i++)
		;
	if (i == 16)
		return 0;
	if (st->p2p[PP_GNU_COUNT] < 255)
		st->p2p[PP_GNU_COUNT]++;
	conf = st->p2p[PP_GNU_COUNT] >= 2 ? CONF_HIGH : CONF_MEDIUM;
	if (!report(st, hit, conf, b[16] == 0x44 ? "mojito-dht" :
	    "gnutella-udp"))
		return 0;
	snprintf(hit->detail, sizeof(hit->detail), "%s ttl=%u hops=%u",
	    types[t].name, b[17], b[18]);
	return 1;
}

/* ---- eDonkey / eMule ---- */

static int
ed2k_proto(uint8_t c)
{
	/* OP_EDONKEYPROT, OP_EMULEPROT, OP_PACKEDPROT (eMule opcodes.h) */
	return c == 0xe3 || c == 0xc5 || c == 0xd4;
}

/*
 * eDonkey over TCP: every message is protocol byte, a little-endian length
 * of opcode + payload, opcode; the messages must tile the segment exactly.
 * The first one opens a connection: OP_HELLO (0x01, also the server
 * OP_LOGINREQUEST) or OP_HELLOANSWER (0x4c), or under OP_EMULEPROT the
 * OP_EMULEINFO (0x01) / OP_EMULEINFOANSWER (0x02) that follows a hello.
 */
static int
edonkey_tcp(struct heur_flow *st, const struct heur_pkt *p,
    struct heur_hit *hit)
{
	const uint8_t *b = p->data;
	size_t off = 0, first = 0, len = p->len;
	uint32_t mlen;
	const char *what;
	unsigned n;

	for (n = 0; off < len; n++) {
		if (n == ED2K_MAX_MSGS || len - off < ED2K_HDR_LEN + 1 ||
		    !ed2k_proto(b[off]))
			return 0;
		mlen = le32(b + off + 1);
		if (mlen == 0 || mlen > len - off - ED2K_HDR_LEN)
			return 0;
		if (n == 0)
			first = mlen;
		off += ED2K_HDR_LEN + mlen;
	}
	if (b[0] == 0xc5) {
		if (b[5] == 0x01)
			what = "OP_EMULEINFO";
		else if (b[5] == 0x02)
			what = "OP_EMULEINFOANSWER";
		else
			return 0;
		if (first < ED2K_EMULEINFO_MIN)
			return 0;
	} else {
		if (b[5] == 0x01)
			what = "OP_HELLO";
		else if (b[5] == 0x4c)
			what = "OP_HELLOANSWER";
		else
			return 0;
		if (first < ED2K_HELLO_MIN)
			return 0;
	}
	if (!report(st, hit, CONF_HIGH, "edonkey"))
		return 0;
	snprintf(hit->detail, sizeof(hit->detail), "%s%s", what,
	    b[0] == 0xd4 ? " packed" : "");
	return 1;
}

/*
 * eMule tags (Packets.cpp CTag): a type byte (0x80 set: a one-byte name
 * id follows; else a 2-byte name length and the name), then a value whose
 * size the type fixes. Returns 1 when exactly count tags fill b[off..len).
 */
static int
ed2k_tags(const uint8_t *b, size_t len, size_t off, unsigned count)
{
	size_t need;
	uint8_t type;
	unsigned i;

	for (i = 0; i < count; i++) {
		if (off >= len)
			return 0;
		type = b[off++];
		if (type & 0x80) {
			type &= 0x7f;
			need = 1;
		} else {
			if (len - off < 2)
				return 0;
			need = 2 + (size_t)le16(b + off);
		}
		if (need > len - off)
			return 0;
		off += need;
		switch (type) {
		case 0x01: need = 16; break;		/* hash */
		case 0x03: case 0x04: need = 4; break;	/* uint32, float */
		case 0x05: case 0x09: need = 1; break;	/* bool, uint8 */
		case 0x08: need = 2; break;		/* uint16 */
		case 0x0b: need = 8; break;		/* uint64 */
		case 0x02:				/* string */
			if (len - off < 2)
				return 0;
			need = 2 + (size_t)le16(b + off);
			break;
		case 0x07:				/* blob */
			if (len - off < 4)
				return 0;
			need = 4 + (size_t)le32(b + off);
			break;
		case 0x0a:				/* bsob */
			if (len - off < 1)
				return 0;
			need = 1 + (size_t)b[off];
			break;
		default:
			if (type < 0x11 || type > 0x20)	/* str1..str16 */
				return 0;
			need = type - 0x10u;
			break;
		}
		if (need > len - off)
			return 0;
		off += need;
	}
	return off == len;
}

/*
 * The zlib stream eMule's Packet::PackPacket() makes with compress2()
 * (RFC 1950): CMF 0x78 (deflate, 32K window) and the FLG zlib writes for
 * its compression level (0x01, 0x5e, 0x9c or 0xda: no preset dictionary,
 * check bits making CMF*256+FLG a multiple of 31), at least 2 bytes of
 * deflate data and the 4-byte Adler-32 after it.
 */
#define ZLIB_MIN_LEN	8

static int
zlib_stream(const uint8_t *b, size_t len)
{
	return len >= ZLIB_MIN_LEN && b[0] == 0x78 &&
	    (b[1] == 0x01 || b[1] == 0x5e || b[1] == 0x9c || b[1] == 0xda);
}

/*
 * Kad (eMule's Kademlia) over UDP: 0xe4 then a Kad2 opcode whose payload
 * size eMule's KademliaUDPListener fixes or frames (contact counts, tag
 * counts); 0xe5 is the same, zlib-compressed after the opcode. No length
 * field, so only medium. KADEMLIA2_PING and KADEMLIA2_BOOTSTRAP_REQ are
 * the two bytes 0xe4 and the opcode and nothing else, too little alone: a
 * PING counts when the other side answers with a PONG, a BOOTSTRAP_REQ
 * when it answers with the (framed) BOOTSTRAP_RES, which counts anyway.
 */
static int
kad_udp(struct heur_flow *st, const struct heur_pkt *p, struct heur_hit *hit)
{
	static const struct {
		uint8_t op;
		const char *name;
	} ops[] = {
		{ 0x01, "KADEMLIA2_BOOTSTRAP_REQ" },
		{ 0x09, "KADEMLIA2_BOOTSTRAP_RES" },
		{ 0x11, "KADEMLIA2_HELLO_REQ" },
		{ 0x19, "KADEMLIA2_HELLO_RES" },
		{ 0x21, "KADEMLIA2_REQ" },
		{ 0x22, "KADEMLIA2_HELLO_RES_ACK" },
		{ 0x29, "KADEMLIA2_RES" },
		{ 0x33, "KADEMLIA2_SEARCH_KEY_REQ" },
		{ 0x34, "KADEMLIA2_SEARCH_SOURCE_REQ" },
		{ 0x35, "KADEMLIA2_SEARCH_NOTES_REQ" },
		{ 0x3b, "KADEMLIA2_SEARCH_RES" },
		{ 0x43, "KADEMLIA2_PUBLISH_KEY_REQ" },
		{ 0x44, "KADEMLIA2_PUBLISH_SOURCE_REQ" },
		{ 0x45, "KADEMLIA2_PUBLISH_NOTES_REQ" },
		{ 0x4b, "KADEMLIA2_PUBLISH_RES" },
		{ 0x4c, "KADEMLIA2_PUBLISH_RES_ACK" },
		{ 0x53, "KADEMLIA2_FIREWALLED_REQ" },
		{ 0x60, "KADEMLIA2_PING" },
		{ 0x61, "KADEMLIA2_PONG" },
	};
	const uint8_t *b = p->data;
	uint8_t *flags = &st->p2p[PP_FLAGS], ping_dir1;
	size_t len = p->len, i;
	int ok;

	if (len < 2)
		return 0;
	ping_dir1 = (*flags & PF_KAD_PING_DIR1) != 0;
	for (i = 0; i < NELEM(ops); i++)
		if (ops[i].op == b[1])
			break;
	if (i == NELEM(ops))
		return 0;
	if (b[0] == 0xe5)
		ok = zlib_stream(b + 2, len - 2);
	else {
		switch (b[1]) {
		case 0x60:	/* no payload: wait for the PONG */
			if (len == 2)
				*flags = (uint8_t)((*flags & ~PF_KAD_PING_DIR1) |
				    PF_KAD_PING |
				    (p->dir != 0 ? PF_KAD_PING_DIR1 : 0));
			ok = 0;
			break;
		case 0x01:	/* no payload: the answer counts by itself */
			ok = 0;
			break;
		case 0x61:
			/* <udp port 2>: the port the PING came from, sent
			 * back to the side that pinged */
			ok = len == 4 && le16(b + 2) != 0 &&
			    (*flags & PF_KAD_PING) != 0 &&
			    (p->dir != 0) != ping_dir1;
			break;
		case 0x09:	/* <id 16><tcp 2><ver 1><count 2><contact>* */
			ok = len >= 23 &&
			    len - 23 == (size_t)le16(b + 21) * KAD_CONTACT_LEN;
			break;
		case 0x11:	/* <id 16><tcp 2><ver 1><tag count 1><tags> */
		case 0x19:
			ok = len >= 22 && b[21] <= KAD_MAX_TAGS &&
			    ed2k_tags(b, len, 22, b[21]);
			break;
		case 0x22:	/* <id 16><tag count 1><tags> */
			ok = len >= 19 && b[18] <= KAD_MAX_TAGS &&
			    ed2k_tags(b, len, 19, b[18]);
			break;
		case 0x21:
			/* <type 1><target 16><receiver 16>; the type's low 5
			 * bits say how many contacts are wanted, and eMule
			 * asks for KADEMLIA_FIND_VALUE 2, KADEMLIA_STORE 4 or
			 * KADEMLIA_FIND_NODE 11 (the top 3 bits are flags
			 * reserved for the future) */
			ok = len == 35 && ((b[2] & 0x1f) == 0x02 ||
			    (b[2] & 0x1f) == 0x04 || (b[2] & 0x1f) == 0x0b);
			break;
		case 0x29:	/* <target 16><count 1><contact>* */
			ok = len >= 19 &&
			    len - 19 == (size_t)b[18] * KAD_CONTACT_LEN;
			break;
		case 0x34:
			/* <target 16><start 2><file size 8 LE>; eMule files
			 * are at most 256 GiB (MAX_EMULE_FILE_SIZE, 2^38),
			 * so the size's top 26 bits are clear */
			ok = len == 28 && le32(b + 24) < 0x40 &&
			    (le32(b + 20) != 0 || le32(b + 24) != 0);
			break;
		case 0x53:
			/* <tcp 2><user id 16><connect options 1>: options
			 * use bits 0-3 (crypt support, request, require,
			 * direct callback) */
			ok = len == 21 && le16(b + 2) != 0 &&
			    (b[20] & 0xf0) == 0;
			break;
		default:	/* variable search and publish payloads */
			ok = 0;
			break;
		}
	}
	if (!ok || !report(st, hit, CONF_MEDIUM, "kad"))
		return 0;
	snprintf(hit->detail, sizeof(hit->detail), "%s%s", ops[i].name,
	    b[0] == 0xe5 ? " packed" : "");
	return 1;
}

/* ---- Soulseek ---- */

/*
 * Soulseek (nicotine-plus doc/SLSKPROTOCOL.md): every message is a
 * little-endian uint32 length of what follows, then the code: a uint32 on
 * the server connection, a uint8 for peer-init messages. Strings are a
 * uint32 length and the bytes. Two openings are recognised, each only when
 * its fields end exactly where the length says:
 *   Login (server code 1): username, password, version (uint32), the MD5
 *     of username and password as 32 hex digits, minor version (uint32);
 *   PeerInit (peer-init code 1): username, connection type "P", "F" or
 *     "D", token (uint32).
 */
#define SLSK_NAME_MAX	256	/* longest username or password accepted */

/* A Soulseek string at b[*off]: 1..max (0..max when may_be_empty) bytes
 * before end, none a control character. Advances *off past it. */
static int
slsk_string(const uint8_t *b, size_t end, size_t *off, size_t max,
    int may_be_empty, struct span *s)
{
	size_t n, i;

	if (*off + 4 > end)
		return 0;
	n = le32(b + *off);
	if (n > max || (n == 0 && !may_be_empty) || n > end - *off - 4)
		return 0;
	for (i = 0; i < n; i++)
		if (b[*off + 4 + i] < 0x20 || b[*off + 4 + i] == 0x7f)
			return 0;
	s->p = b + *off + 4;
	s->len = n;
	*off += 4 + n;
	return 1;
}

static int
is_hex_span(struct span s)
{
	size_t i;

	for (i = 0; i < s.len; i++)
		if (!((s.p[i] >= '0' && s.p[i] <= '9') ||
		    (s.p[i] >= 'a' && s.p[i] <= 'f') ||
		    (s.p[i] >= 'A' && s.p[i] <= 'F')))
			return 0;
	return 1;
}

static int
soulseek(struct heur_flow *st, const struct heur_pkt *p, struct heur_hit *hit)
{
	const uint8_t *b = p->data;
	struct span user, pass, hash, type;
	char name[DETAIL_VALUE_MAX + 1];
	size_t end, off;

	if (p->dir != 0 || p->index != 0 || p->len < 4 + 5)
		return 0;
	end = 4 + (size_t)le32(b);
	if (end > p->len)
		return 0;
	if (end >= 8 && le32(b + 4) == 1) {
		off = 8;
		if (slsk_string(b, end, &off, SLSK_NAME_MAX, 0, &user) &&
		    slsk_string(b, end, &off, SLSK_NAME_MAX, 1, &pass) &&
		    off + 4 <= end && (off += 4, 1) &&
		    slsk_string(b, end, &off, 32, 0, &hash) &&
		    hash.len == 32 && is_hex_span(hash) && off + 4 == end) {
			if (!report(st, hit, CONF_HIGH, "soulseek"))
				return 0;
			print_copy(name, sizeof(name), user.p, user.len);
			snprintf(hit->detail, sizeof(hit->detail),
			    "server login user=%s version=%u", name,
			    le32(b + end - 4 - 4 - 32 - 4));
			return 1;
		}
	}
	if (b[4] == 1) {
		off = 5;
		if (slsk_string(b, end, &off, SLSK_NAME_MAX, 0, &user) &&
		    slsk_string(b, end, &off, 1, 0, &type) &&
		    (type.p[0] == 'P' || type.p[0] == 'F' || type.p[0] == 'D') &&
		    off + 4 == end) {
			if (!report(st, hit, CONF_HIGH, "soulseek"))
				return 0;
			print_copy(name, sizeof(name), user.p, user.len);
			snprintf(hit->detail, sizeof(hit->detail),
			    "peer init user=%s type=%c", name, type.p[0]);
			return 1;
		}
	}
	return 0;
}

/* ---- Direct Connect ---- */

/*
 * NMDC (the Direct Connect protocol of DC++ and its hubs): '|'-terminated
 * commands; a hub opens with "$Lock <lock> Pk=<pk>|", a client answers
 * "$Key ...|" (often behind "$Supports ...|") and "$ValidateNick <nick>|",
 * and a client connecting to another opens with "$MyNick <nick>|" then
 * its own $Lock. ADC (the protocol of ADC hubs such as uhub): lines end in
 * '\n', and the first is SUP with the context letter H (to a hub) or C
 * (client to client) and feature tokens of "AD" or "RM" and four upper
 * case letters or digits, BASE among them, which ADC makes mandatory.
 */
#define DC_LINE_MAX	512	/* bytes of a first command looked at */

/* The length of the first '|'-terminated NMDC command, 0 when there is
 * none in the first DC_LINE_MAX bytes or it holds a control character. */
static size_t
nmdc_command(const uint8_t *b, size_t len)
{
	size_t i;

	for (i = 0; i < len && i < DC_LINE_MAX; i++) {
		if (b[i] == '|')
			return i + 1;
		if (b[i] < 0x20 && b[i] != '\t')
			return 0;
	}
	return 0;
}

static int
adc_sup(const uint8_t *b, size_t len)
{
	size_t i = 5, tokens = 0;
	int base = 0;

	/* "HSUP " or "CSUP ", then " "-separated tokens, then '\n'. */
	for (;;) {
		if (i + 6 > len || i + 6 > DC_LINE_MAX)
			return 0;
		if (!((b[i] == 'A' && b[i + 1] == 'D') ||
		    (b[i] == 'R' && b[i + 1] == 'M')))
			return 0;
		for (size_t k = 2; k < 6; k++)
			if (!((b[i + k] >= 'A' && b[i + k] <= 'Z') ||
			    (b[i + k] >= '0' && b[i + k] <= '9')))
				return 0;
		if (b[i] == 'A' && memcmp(b + i + 2, "BASE", 4) == 0)
			base = 1;
		tokens++;
		i += 6;
		if (i < len && b[i] == ' ') {
			i++;
			continue;
		}
		return i < len && b[i] == '\n' && base && tokens >= 1;
	}
}

static int
directconnect(struct heur_flow *st, const struct heur_pkt *p,
    struct heur_hit *hit)
{
	const uint8_t *b = p->data;
	char what[DETAIL_VALUE_MAX + 1];
	size_t n;

	if (p->index > 1)
		return 0;
	if (p->len > 5 && (b[0] == 'H' || b[0] == 'C') &&
	    memcmp(b + 1, "SUP ", 4) == 0 && adc_sup(b, p->len)) {
		if (!report(st, hit, CONF_HIGH, "directconnect"))
			return 0;
		snprintf(hit->detail, sizeof(hit->detail), "ADC %s handshake "
		    "(%cSUP with BASE)", b[0] == 'H' ? "hub" : "client-client",
		    b[0]);
		return 1;
	}
	if (b[0] != '$' || (n = nmdc_command(b, p->len)) == 0)
		return 0;
	/* The hub's or a peer's lock: "$Lock <lock> Pk=<pk>|". */
	if (n > 6 && memcmp(b, "$Lock ", 6) == 0) {
		const uint8_t *pk = memmem(b + 6, n - 6, " Pk=", 4);

		if (pk == NULL || pk == b + 6 || pk + 4 >= b + n - 1)
			return 0;
	} else if (!(p->dir == 0 && n > 9 && memcmp(b, "$MyNick ", 8) == 0 &&
	    n + 6 <= p->len && memcmp(b + n, "$Lock ", 6) == 0)) {
		return 0;
	}
	if (!report(st, hit, CONF_HIGH, "directconnect"))
		return 0;
	print_copy(what, sizeof(what), b, n - 1);
	for (n = 0; what[n] != '\0' && what[n] != ' '; n++)
		;
	what[n] = '\0';
	snprintf(hit->detail, sizeof(hit->detail), "NMDC %s from the %s",
	    what, p->dir ? "hub or called peer" : "client");
	return 1;
}

/* ---- Syncthing relay ---- */

/*
 * Syncthing's relay protocol (syncthing lib/relay/protocol): a header of
 * the magic 0x9E79BC40, the message type (0 ping ... 7 relay full) and the
 * length of what follows, all big-endian. The join to the relay travels
 * in TLS (ALPN bep-relay, a signature); the session connection that then
 * carries BEP opens in clear with a JoinSessionRequest (type 3: a 32-byte
 * key behind its length) that the relay answers with a Response (type 4).
 */
#define STR_MAGIC	0x9e79bc40u
#define STR_HDR		12

static int
syncthing_relay(struct heur_flow *st, const struct heur_pkt *p,
    struct heur_hit *hit)
{
	const uint8_t *b = p->data;
	uint32_t type;

	if (p->index > 1 || p->len < STR_HDR || be32(b) != STR_MAGIC)
		return 0;
	type = be32(b + 4);
	if (type > 7 || be32(b + 8) > p->len - STR_HDR ||
	    (type == 3 && (p->len != STR_HDR + 4 + 32 || be32(b + 12) != 32)))
		return 0;
	if (!report(st, hit, CONF_HIGH, "syncthing-relay"))
		return 0;
	snprintf(hit->detail, sizeof(hit->detail), "relay protocol %s",
	    type == 3 ? "join-session request" : type == 4 ? "response" :
	    "message");
	return 1;
}

/* ---- libp2p multistream-select ---- */

/*
 * multistream-select 1.0.0 (libp2p specs, connections/README.md): each
 * side opens with its protocol id as a message, an unsigned varint length
 * (0x13) then "/multistream/1.0.0\n"; js-libp2p writes the length byte and
 * the id in two segments. One side saying it is medium, both high.
 */
#define MS_ID		"/multistream/1.0.0\n"
#define MS_ID_LEN	19

static int
multistream(struct heur_flow *st, const struct heur_pkt *p,
    struct heur_hit *hit)
{
	const uint8_t *b = p->data;
	uint8_t len_flag = p->dir ? PF_MS_LEN1 : PF_MS_LEN0;
	uint8_t said = p->dir ? PF_MS_SAID1 : PF_MS_SAID0;
	uint8_t *fl = &st->p2p[PP_FLAGS];

	if (p->len == 1 && b[0] == MS_ID_LEN) {
		*fl |= len_flag;
		return 0;
	}
	if (!(p->len >= 1 + MS_ID_LEN && b[0] == MS_ID_LEN &&
	    memcmp(b + 1, MS_ID, MS_ID_LEN) == 0) &&
	    !((*fl & len_flag) && p->len >= MS_ID_LEN &&
	    memcmp(b, MS_ID, MS_ID_LEN) == 0))
		return 0;
	*fl |= said;
	if (!report(st, hit, (*fl & (PF_MS_SAID0 | PF_MS_SAID1)) ==
	    (PF_MS_SAID0 | PF_MS_SAID1) ? CONF_HIGH : CONF_MEDIUM, "libp2p"))
		return 0;
	snprintf(hit->detail, sizeof(hit->detail),
	    "multistream-select 1.0.0 from the %s%s",
	    (*fl & (PF_MS_SAID0 | PF_MS_SAID1)) == (PF_MS_SAID0 | PF_MS_SAID1) ?
	    "two sides" : p->dir ? "responder" : "opener",
	    " (IPFS and other libp2p nodes)");
	return 1;
}

/* ---- entry ---- */

static int
p2p_tcp(struct heur_flow *st, const struct heur_pkt *p, struct heur_hit *hit)
{
	switch (p->data[0]) {
	case BT_PSTR_LEN:	/* also multistream-select's length byte */
		if (heur_bt_handshake(st, p->data, p->len, "", hit) ||
		    multistream(st, p, hit))
			return 1;
		break;
	case 'G':
		if (p->len > 1 && p->data[1] == 'E' &&
		    heur_bt_tracker(st, p, hit))
			return 1;
		if (p->len > 1 && p->data[1] == 'N' && gnutella_tcp(st, p, hit))
			return 1;
		break;
	case 0xe3: case 0xc5: case 0xd4:
		if (edonkey_tcp(st, p, hit))
			return 1;
		break;
	case '$': case 'H': case 'C':
		if (directconnect(st, p, hit))
			return 1;
		break;
	case 0x9e:
		if (syncthing_relay(st, p, hit))
			return 1;
		break;
	case '/':
		if (multistream(st, p, hit))
			return 1;
		break;
	}
	/* A Soulseek message opens with its length's low byte: any value. */
	return soulseek(st, p, hit);
}

static int
p2p_udp(struct heur_flow *st, const struct heur_pkt *p, struct heur_hit *hit)
{
	uint8_t c = p->data[0];

	switch (c) {
	case 0x00:
		if (heur_bt_udp_tracker(st, p, hit))
			return 1;
		break;
	case 'd':
		if (heur_bt_dht(st, p, hit))
			return 1;
		break;
	case 'G':
		if (gnutella_gnd(st, p, hit))
			return 1;
		break;
	case 'B':
		if (heur_bt_lsd(st, p, hit))
			return 1;
		break;
	case 0xe4: case 0xe5:
		if (kad_udp(st, p, hit))
			return 1;
		break;
	case 0x01: case 0x11: case 0x21: case 0x31: case 0x41:
		/* uTP version 1, types ST_DATA .. ST_SYN */
		if (heur_bt_utp(st, p, hit))
			return 1;
		break;
	}
	/* The descriptor's GUID is random: any first byte. */
	return gnutella_udp(st, p, hit);
}

int
heur_p2p(struct heur_flow *st, const struct heur_pkt *p, struct heur_hit *hit)
{
	if (p->data == NULL || p->len == 0)
		return 0;
	if (p->proto == 6)
		return p2p_tcp(st, p, hit);
	if (p->proto == 17)
		return p2p_udp(st, p, hit);
	return 0;
}
