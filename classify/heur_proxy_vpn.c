/*
 * heur_proxy_vpn.c: VPNs recognised from their handshakes, for
 * heur_proxy(): WireGuard (and Cloudflare WARP's variant), IKE, L2TP and
 * OpenConnect's DTLS channel, all over UDP, and IPsec's ESP and AH by IP
 * protocol (heur_ip_proto). heur_proxy.c holds the proxies (SOCKS, HTTP,
 * VLESS), OpenVPN, which runs over TCP and UDP and is the dispatch's last
 * try for both, and the dispatch that calls these on the packet's port or
 * first byte.
 *
 * As there, a lone opening message is weak evidence: WireGuard keeps the
 * initiator's sender index in st->proxy and reaches high confidence only
 * when the response echoes it; IKE and L2TP key on header fields the RFCs
 * fix (zero SPIs, versions, lengths that must equal the datagram's).
 */
#include <stdio.h>
#include <string.h>

#include "bytes.h"
#include "heur.h"
#include "heur_proxy.h"
#include "util.h"

/* WireGuard message sizes (whitepaper section 5.4). */
#define WG_INIT_LEN	148
#define WG_RESPONSE_LEN	92
#define WG_COOKIE_LEN	64
#define WG_DATA_MIN	32	/* header(16) + tag(16): an empty keepalive */
#define WG_DATA_PACKETS	4	/* transport packets for a headless flow */

#define IKE_HDR_LEN	28

/* ---- WireGuard (whitepaper, "WireGuard: Next Generation Kernel Network
 * Tunnel", section 5.4: one type byte, three reserved zero bytes) ---- */

int
heur_vpn_wireguard(struct heur_flow *st, const struct heur_pkt *p,
    struct heur_hit *hit)
{
	const uint8_t *d = p->data;
	uint8_t *s = st->proxy;
	int init_dir = (s[PX_DIRS] & DIR_WG) != 0;

	int reserved;

	if (p->len < WG_DATA_MIN)
		return 0;
	/* The three bytes after the type are zero in WireGuard; Cloudflare
	 * WARP's variant carries a client id there, so a handshake with
	 * them set counts only when its response echoes the index. */
	reserved = d[1] != 0 || d[2] != 0 || d[3] != 0;
	if (reserved && d[0] != WG_INIT && d[0] != WG_RESPONSE)
		return 0;
	if (s[PX_FLAGS] & PX_OVPN_RESET)
		return 0;	/* PX_ID is taken */
	switch (d[0]) {
	case WG_INIT:
		/* type 1, sender index(4), ephemeral(32), static(48),
		 * timestamp(28), mac1(16), mac2(16): 148 bytes. */
		if (p->len != WG_INIT_LEN)
			return 0;
		/* A retransmitted initiation has a fresh sender index, and
		 * the response echoes the latest. */
		s[PX_FLAGS] |= PX_WG_INIT;
		s[PX_FLAGS] &= (uint8_t)~PX_WG_DATA;
		memcpy(s + PX_ID, d + 4, 4);
		s[PX_DIRS] = (uint8_t)((s[PX_DIRS] & ~DIR_WG) |
		    (p->dir ? DIR_WG : 0));
		if (reserved || !report(st, hit, CONF_MEDIUM, 0, "wireguard"))
			return 0;
		snprintf(hit->detail, sizeof(hit->detail),
		    "handshake initiation, sender index %02x%02x%02x%02x",
		    d[4], d[5], d[6], d[7]);
		return 1;
	case WG_RESPONSE:
		/* type 2, sender(4), receiver(4) = the initiator's sender
		 * index, ephemeral(32), empty(16), mac1(16), mac2(16): 92. */
		if (p->len != WG_RESPONSE_LEN || !(s[PX_FLAGS] & PX_WG_INIT) ||
		    p->dir == init_dir || memcmp(d + 8, s + PX_ID, 4) != 0)
			return 0;
		if (!report(st, hit, CONF_HIGH, 0, "wireguard"))
			return 0;
		snprintf(hit->detail, sizeof(hit->detail),
		    "handshake initiation and response, index %02x%02x%02x%02x%s",
		    d[8], d[9], d[10], d[11],
		    reserved ? " (reserved bytes set: WARP)" : "");
		return 1;
	case WG_COOKIE:
		/* type 3, receiver(4) = the initiator's sender, nonce(24),
		 * cookie(32): 64 bytes, sent instead of a response under
		 * load. */
		if (p->len != WG_COOKIE_LEN || !(s[PX_FLAGS] & PX_WG_INIT) ||
		    p->dir == init_dir || memcmp(d + 4, s + PX_ID, 4) != 0)
			return 0;
		if (!report(st, hit, CONF_HIGH, 0, "wireguard"))
			return 0;
		snprintf(hit->detail, sizeof(hit->detail),
		    "handshake initiation answered by a cookie reply");
		return 1;
	case WG_DATA:
		/* type 4, receiver(4), counter(8), then the packet padded to
		 * 16 bytes plus a 16-byte tag. A flow caught after its
		 * handshake shows only these; from the opener they all carry
		 * the same receiver index. */
		if ((p->len - 16) % 16 != 0 || (s[PX_FLAGS] & PX_WG_INIT))
			return 0;
		if (p->dir == 0) {
			if (!(s[PX_FLAGS] & PX_WG_DATA) ||
			    s[PX_WG_COUNT] == 0) {
				memcpy(s + PX_ID, d + 4, 4);
				s[PX_FLAGS] |= PX_WG_DATA;
			} else if (memcmp(s + PX_ID, d + 4, 4) != 0)
				return 0;
		}
		if (s[PX_WG_COUNT] < 255)
			s[PX_WG_COUNT]++;
		if (!(s[PX_FLAGS] & PX_WG_DATA) ||
		    s[PX_WG_COUNT] < WG_DATA_PACKETS)
			return 0;
		if (!report(st, hit, CONF_MEDIUM, 0, "wireguard"))
			return 0;
		snprintf(hit->detail, sizeof(hit->detail),
		    "%u transport data packets, "
		    "receiver index %02x%02x%02x%02x",
		    s[PX_WG_COUNT], s[PX_ID], s[PX_ID + 1], s[PX_ID + 2],
		    s[PX_ID + 3]);
		return 1;
	default:
		return 0;
	}
}

/* ---- IKE (RFC 7296 section 3.1, RFC 2408 section 3.1; NAT-T RFC 3948
 * section 2.2 and RFC 7296 section 2.23) ---- */

static const char *
ike_exchange_name(int v2, uint8_t x)
{
	if (v2) {
		switch (x) {
		case 34:
			return "IKE_SA_INIT";
		case 35:
			return "IKE_AUTH";
		case 36:
			return "CREATE_CHILD_SA";
		default:
			return "INFORMATIONAL";
		}
	}
	switch (x) {
	case 2:
		return "main mode";
	case 4:
		return "aggressive mode";
	case 5:
		return "informational";
	default:
		return "quick mode";
	}
}

int
heur_vpn_ike(struct heur_flow *st, const struct heur_pkt *p,
    struct heur_hit *hit)
{
	const uint8_t *d = p->data;
	uint16_t port;
	size_t off = 0, len;
	uint8_t np, ver, x, flags;
	int v2;

	/* IANA: isakmp 500/udp, ipsec-nat-t 4500/udp. */
	port = p->dport == 500 || p->dport == 4500 ? p->dport : p->sport;
	if (port == 4500) {
		/* On 4500 IKE carries a 4-byte zero non-ESP marker; a
		 * non-zero word there is an ESP SPI instead. */
		if (p->len < 4 || !all_zero(d, 4))
			return 0;
		off = 4;
	} else if (port != 500)
		return 0;
	d += off;
	len = p->len - off;
	if (len < IKE_HDR_LEN)
		return 0;
	/* SPIi(8) SPIr(8) next payload(1) version(1) exchange(1) flags(1)
	 * message id(4) length(4), the length covering the whole message. */
	if (all_zero(d, 8) || be32(d + 24) != len)
		return 0;
	np = d[16];
	ver = d[17];
	x = d[18];
	flags = d[19];
	if (ver == 0x20) {
		v2 = 1;
		if (x < 34 || x > 37)
			return 0;
		if (x == 34) {
			/* IKE_SA_INIT is message 0 and starts with SA or a
			 * notify (COOKIE, INVALID_KE_PAYLOAD); its request
			 * (Initiator flag, no Response flag) has SPIr 0. */
			if (be32(d + 20) != 0 || (np != 33 && np != 41))
				return 0;
			if ((flags & 0x28) == 0x08 && !all_zero(d + 8, 8))
				return 0;
		} else if (np != 46 && np != 53)
			return 0;	/* SK or SKF: all else is encrypted */
	} else if (ver == 0x10) {
		v2 = 0;
		if (x != 2 && x != 4 && x != 5 && x != 32)
			return 0;
		/* RFC 2408 payload types 1-13, RFC 3947 NAT-D 20, NAT-OA 21;
		 * encrypted messages may start with anything. */
		if (!(flags & 0x01) &&
		    (np < 1 || (np > 13 && np != 20 && np != 21)))
			return 0;
	} else
		return 0;
	if (!report(st, hit, CONF_HIGH, 0, "ike"))
		return 0;
	snprintf(hit->detail, sizeof(hit->detail), "IKEv%d %s %s on udp/%u%s",
	    v2 ? 2 : 1, ike_exchange_name(v2, x),
	    flags & 0x20 ? "response" : "request", port,
	    off ? " with non-ESP marker" : "");
	return 1;
}

/* ---- OpenConnect / AnyConnect DTLS (ocserv's "dtls-psk", the
 * OpenConnect protocol draft, draft-mavrogiannopoulos-openconnect section
 * 2.2.2): the data channel's DTLS ClientHello resumes the session the
 * TLS channel set up: a 32-byte session id from X-DTLS-App-ID and cipher
 * suites that are all pre-shared-key ones (IANA TLS Cipher Suites: PSK,
 * DHE_PSK, RSA_PSK, ECDHE_PSK). ---- */

static int
psk_suite(uint16_t c)
{
	return (c >= 0x008a && c <= 0x0095) || (c >= 0x00a8 && c <= 0x00b9) ||
	    (c >= 0xc033 && c <= 0xc03b) || (c >= 0xc0a4 && c <= 0xc0ab) ||
	    (c >= 0xccab && c <= 0xccae) || (c >= 0xd001 && c <= 0xd005) ||
	    c == 0x00ff;
}

int
heur_vpn_dtls_psk(struct heur_flow *st, const struct heur_pkt *p,
    struct heur_hit *hit)
{
	const uint8_t *d = p->data;
	size_t off, n, i, psk = 0;

	/* record header(13), handshake header(12), client_version(2),
	 * random(32) */
	if (p->dir != 0 || p->len < 13 + 12 + 2 + 32 + 1 || d[13] != 1)
		return 0;
	off = 13 + 12 + 2 + 32;
	if (d[off] != 32 || off + 1 + 32 + 1 > p->len)
		return 0;
	off += 1 + 32;
	off += 1 + d[off];		/* cookie */
	if (off + 2 > p->len)
		return 0;
	n = be16(d + off);
	off += 2;
	if (n < 2 || n % 2 != 0 || off + n > p->len)
		return 0;
	for (i = 0; i < n; i += 2) {
		if (!psk_suite(be16(d + off + i)))
			return 0;
		psk++;
	}
	if (!report(st, hit, CONF_MEDIUM, 0, "openconnect-dtls"))
		return 0;
	snprintf(hit->detail, sizeof(hit->detail),
	    "DTLS hello resuming a 32-byte session with %zu PSK cipher suites only",
	    psk);
	return 1;
}

/* ---- L2TPv2 (RFC 2661 section 3.1): a control message has the T, L and
 * S bits, version 2, its length equal to the datagram's, and starts with
 * the mandatory Message Type AVP (attribute 0, vendor 0, 8 bytes); a
 * tunnel opens with SCCRQ (1) from tunnel and session id 0. ---- */

int
heur_vpn_l2tp(struct heur_flow *st, const struct heur_pkt *p,
    struct heur_hit *hit)
{
	static const char *const types[] = { "", "SCCRQ", "SCCRP", "SCCCN",
		"StopCCN", "", "HELLO", "OCRQ", "OCRP", "OCCN", "ICRQ", "ICRP",
		"ICCN", "", "CDN", "WEN", "SLI" };
	const uint8_t *d = p->data;
	uint16_t mt;

	if (p->len < 20 || (d[1] & 0x0f) != 2 || be16(d + 2) != p->len)
		return 0;
	/* AVP: M bit and length 8, vendor 0, attribute 0, the type */
	if ((be16(d + 12) & 0x83ff) != 0x8008 || be16(d + 14) != 0 ||
	    be16(d + 16) != 0)
		return 0;
	mt = be16(d + 18);
	if (mt == 0 || mt >= NELEM(types) || types[mt][0] == '\0')
		return 0;
	if (!report(st, hit, mt == 1 && be32(d + 4) != 0 ? CONF_MEDIUM :
	    CONF_HIGH, 0, "l2tp"))
		return 0;
	snprintf(hit->detail, sizeof(hit->detail),
	    "L2TPv2 control message %s", types[mt]);
	return 1;
}

int
heur_ip_proto(uint8_t proto, const uint8_t *d, size_t len,
    struct heur_hit *hit)
{
	/* RFC 4303 (ESP, protocol 50) and RFC 4302 (AH, protocol 51) are
	 * IPsec and nothing else, when the packet is one: an SPI of 256 or
	 * more (1-255 are reserved), a sequence number from 1, and room for
	 * ESP's IV, trailer and ICV (20 bytes at least) or AH's ICV (its
	 * length field, in 32-bit words less 2, covering 12 bytes and an ICV
	 * of 8 or more, reserved bytes zero). A protocol scan's bare probe of
	 * 50 or 51 is none. GRE (47) carries PPTP but also plain
	 * site-to-site and overlay traffic, and the decoder opens it, so it
	 * is no verdict by itself. */
	if (proto == 50) {
		if (d == NULL || len < 20 || be32(d) < 256 || be32(d + 4) == 0)
			return 0;
	} else if (proto == 51) {
		if (d == NULL || len < 20 || d[2] != 0 || d[3] != 0 ||
		    be32(d + 4) < 256 || be32(d + 8) == 0 ||
		    ((size_t)d[1] + 2) * 4 < 20 || ((size_t)d[1] + 2) * 4 > len)
			return 0;
	} else
		return 0;
	hit->category = CAT_PROXY;
	hit->confidence = CONF_HIGH;
	hit->name = "ipsec";
	snprintf(hit->detail, sizeof(hit->detail), "%s (IP protocol %u)",
	    proto == 50 ? "ESP" : "AH", proto);
	return 1;
}
