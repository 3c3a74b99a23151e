/*
 * decode.c: frame decoding, outermost header first. Each layer function
 * takes the bytes that remain and either hands the rest to the next layer or
 * returns a result code; no function reads a byte it has not bounds-checked.
 */
#include <pcap/dlt.h>
#include <string.h>

#include "bytes.h"
#include "decode.h"

#define ETH_IPV4	0x0800
#define ETH_IPV6	0x86dd
#define ETH_VLAN	0x8100
#define ETH_QINQ	0x88a8
#define ETH_QINQ_OLD	0x9100
#define ETH_MPLS	0x8847
#define ETH_MPLS_MC	0x8848
#define ETH_PPPOE	0x8864
#define ETH_TEB		0x6558	/* transparent Ethernet bridging, in GRE */

#define IPPROTO_IPIP_	4
#define IPPROTO_TCP_	6
#define IPPROTO_UDP_	17
#define IPPROTO_IPV6_	41
#define IPPROTO_GRE_	47
#define IPPROTO_SCTP_	132

#define MAX_VLAN_TAGS	4
#define MAX_MPLS_LABELS	8
#define MAX_TUNNELS	3

#define UDP_VXLAN	4789
#define UDP_GTPU	2152

/* DLT_LINUX_SLL2 and the IPV4/IPV6 ones are missing from older headers. */
#ifndef DLT_LINUX_SLL2
#define DLT_LINUX_SLL2	276
#endif
#ifndef DLT_IPV4
#define DLT_IPV4	228
#endif
#ifndef DLT_IPV6
#define DLT_IPV6	229
#endif

struct cursor {
	struct pkt *p;
	int depth;	/* tunnels opened so far */
};

static enum decode_result decode_ether(struct cursor *, const uint8_t *, uint32_t);
static enum decode_result decode_ip(struct cursor *, const uint8_t *, uint32_t);
static enum decode_result decode_link(struct cursor *, int, const uint8_t *, uint32_t);

static const char *const result_names[DECODE_NRESULTS] = {
	"ok", "not_ip", "truncated", "malformed", "fragment", "unsupported",
};

const char *
decode_result_name(enum decode_result r)
{
	return (unsigned)r < DECODE_NRESULTS ? result_names[r] : "?";
}

int
decode_linktype_supported(int dlt)
{
	switch (dlt) {
	case DLT_NULL: case DLT_LOOP: case DLT_EN10MB: case DLT_RAW:
	case DLT_IPV4: case DLT_IPV6: case DLT_LINUX_SLL: case DLT_LINUX_SLL2:
	case DLT_PPP: case DLT_C_HDLC: case DLT_PPI:
		return 1;
	}
	return 0;
}

/* Dispatches on an EtherType-valued protocol field. */
static enum decode_result
decode_ethertype(struct cursor *c, uint16_t type, const uint8_t *b, uint32_t len)
{
	int n;

	for (n = 0; type == ETH_VLAN || type == ETH_QINQ || type == ETH_QINQ_OLD; n++) {
		if (n == MAX_VLAN_TAGS)
			return DECODE_UNSUPPORTED;
		if (len < 4)
			return DECODE_TRUNCATED;
		if (c->p->vlan == 0 && c->depth == 0)
			c->p->vlan = be16(b) & 0x0fff;
		type = be16(b + 2);
		b += 4;
		len -= 4;
	}
	switch (type) {
	case ETH_IPV4:
	case ETH_IPV6:
		return decode_ip(c, b, len);
	case ETH_MPLS:
	case ETH_MPLS_MC:
		for (n = 0;; n++) {
			if (n == MAX_MPLS_LABELS)
				return DECODE_UNSUPPORTED;
			if (len < 4)
				return DECODE_TRUNCATED;
			int bottom = b[2] & 0x01;
			b += 4;
			len -= 4;
			if (bottom)
				break;
		}
		if (len < 1)
			return DECODE_TRUNCATED;
		/* No type field below MPLS: the IP version nibble tells. */
		if ((b[0] >> 4) == 4 || (b[0] >> 4) == 6)
			return decode_ip(c, b, len);
		return DECODE_UNSUPPORTED;
	case ETH_PPPOE:
		if (len < 8)
			return DECODE_TRUNCATED;
		switch (be16(b + 6)) {
		case 0x0021:
		case 0x0057:
			return decode_ip(c, b + 8, len - 8);
		}
		return DECODE_NOT_IP;
	}
	return DECODE_NOT_IP;
}

static enum decode_result
decode_ether(struct cursor *c, const uint8_t *b, uint32_t len)
{
	uint16_t type;

	if (len < 14)
		return DECODE_TRUNCATED;
	if (!c->p->has_mac) {	/* the outermost: the VM's NIC on a tap */
		memcpy(c->p->dmac, b, 6);
		memcpy(c->p->smac, b + 6, 6);
		c->p->has_mac = 1;
	}
	type = be16(b + 12);
	if (type < 0x0600)	/* 802.3 length: LLC frames carry no IP here */
		return DECODE_NOT_IP;
	return decode_ethertype(c, type, b + 14, len - 14);
}

static enum decode_result
decode_ppp(struct cursor *c, const uint8_t *b, uint32_t len)
{
	if (len >= 2 && b[0] == 0xff && b[1] == 0x03) {
		b += 2;
		len -= 2;
	}
	if (len < 2)
		return DECODE_TRUNCATED;
	switch (be16(b)) {
	case 0x0021:	/* IPv4 */
	case 0x0057:	/* IPv6 */
		return decode_ip(c, b + 2, len - 2);
	}
	return DECODE_NOT_IP;
}

/* GRE (RFC 2784/2890): flags, protocol type, optional checksum, key, seq. */
static enum decode_result
decode_gre(struct cursor *c, const uint8_t *b, uint32_t len)
{
	uint32_t hlen = 4;
	uint16_t flags;

	if (len < 4)
		return DECODE_TRUNCATED;
	flags = be16(b);
	if ((flags & 0x0007) != 0)	/* version 1 is PPTP's enhanced GRE */
		return DECODE_UNSUPPORTED;
	if (flags & 0x8000)
		hlen += 4;
	if (flags & 0x2000)
		hlen += 4;
	if (flags & 0x1000)
		hlen += 4;
	if (len < hlen)
		return DECODE_TRUNCATED;
	/* Bridged Ethernet only here: taken anywhere, an Ethernet frame
	 * could hold itself without the tunnel bound ever counting it. */
	if (be16(b + 2) == ETH_TEB)
		return decode_ether(c, b + hlen, len - hlen);
	return decode_ethertype(c, be16(b + 2), b + hlen, len - hlen);
}

/* Opens a tunnel whose payload starts at b, or reports it as unsupported
 * once the nesting bound is reached. */
static enum decode_result
decode_tunnel(struct cursor *c, int kind, const uint8_t *b, uint32_t len)
{
	if (c->depth == MAX_TUNNELS)
		return DECODE_UNSUPPORTED;
	c->depth++;
	c->p->tunneled = 1;
	switch (kind) {
	case IPPROTO_GRE_:
		return decode_gre(c, b, len);
	case UDP_VXLAN:
		if (len < 8)
			return DECODE_TRUNCATED;
		if ((b[0] & 0x08) == 0)	/* no I flag: not VXLAN (RFC 7348) */
			return DECODE_UNSUPPORTED;
		return decode_ether(c, b + 8, len - 8);
	case UDP_GTPU: {
		uint32_t hlen = 8;

		if (len < 8)
			return DECODE_TRUNCATED;
		if ((b[0] >> 5) != 1 || b[1] != 0xff)	/* GTPv1 G-PDU only */
			return DECODE_UNSUPPORTED;
		if (b[0] & 0x07) {
			hlen = 12;
			if (len < hlen)
				return DECODE_TRUNCATED;
			/* Extension headers: length in 4-byte units, then next type. */
			uint8_t next = b[11];
			while ((b[0] & 0x04) && next != 0) {
				uint32_t elen;

				if (len < hlen + 1)
					return DECODE_TRUNCATED;
				elen = (uint32_t)b[hlen] * 4;
				if (elen == 0)
					return DECODE_MALFORMED;
				if (len < hlen + elen)
					return DECODE_TRUNCATED;
				next = b[hlen + elen - 1];
				hlen += elen;
			}
		}
		if (len <= hlen)
			return DECODE_TRUNCATED;
		return decode_ip(c, b + hlen, len - hlen);
	}
	default:	/* IP in IP */
		return decode_ip(c, b, len);
	}
}

/* Points p->payload at the L4 payload: the captured bytes past a header of
 * hlen, no more than the IP length says the payload holds. */
static void
set_payload(struct pkt *p, const uint8_t *b, uint32_t len, uint32_t hlen)
{
	uint32_t n = len > hlen ? len - hlen : 0;

	p->payload = b + (len > hlen ? hlen : len);
	p->payload_caplen = n < p->payload_len ? n : p->payload_len;
}

/* Decodes the L4 header at b (len captured bytes, plen by the IP length). */
static enum decode_result
decode_l4(struct cursor *c, uint8_t proto, const uint8_t *b, uint32_t len,
    uint32_t plen)
{
	struct pkt *p = c->p;

	p->proto = proto;
	p->sport = p->dport = 0;
	p->tcp_flags = 0;
	p->icmp_type = p->icmp_code = 0;
	switch (proto) {
	case IPPROTO_TCP_: {
		uint32_t doff;

		if (plen < 20)
			return DECODE_MALFORMED;
		if (len < 14)
			return DECODE_TRUNCATED;
		doff = (uint32_t)(b[12] >> 4) * 4;
		if (doff < 20 || doff > plen)
			return DECODE_MALFORMED;
		p->sport = be16(b);
		p->dport = be16(b + 2);
		p->tcp_flags = b[13];
		p->payload_len = plen - doff;
		set_payload(p, b, len, doff);
		return DECODE_OK;
	}
	case IPPROTO_UDP_:
		if (plen < 8)
			return DECODE_MALFORMED;
		if (len < 8)
			return DECODE_TRUNCATED;
		p->sport = be16(b);
		p->dport = be16(b + 2);
		p->payload_len = plen - 8;
		set_payload(p, b, len, 8);
		if (p->dport == UDP_VXLAN || p->dport == UDP_GTPU) {
			struct pkt outer = *p;
			int depth = c->depth;
			enum decode_result r = decode_tunnel(c, p->dport, b + 8,
			    len - 8);

			/* A port match that holds no tunnel stays a UDP flow. */
			if (r != DECODE_OK && r != DECODE_FRAGMENT) {
				*p = outer;
				c->depth = depth;
				return DECODE_OK;
			}
			return r;
		}
		return DECODE_OK;
	case IPPROTO_SCTP_:
		if (len < 4)
			return DECODE_TRUNCATED;
		p->sport = be16(b);
		p->dport = be16(b + 2);
		/* The chunks, after the 12-byte common header (RFC 9260 3). */
		p->payload_len = plen > 12 ? plen - 12 : 0;
		set_payload(p, b, len, 12);
		return DECODE_OK;
	case IPPROTO_IPIP_:
	case IPPROTO_IPV6_:
	case IPPROTO_GRE_:
		return decode_tunnel(c, proto, b, len);
	case 1:		/* ICMP */
	case 58:	/* ICMPv6 */
		if (len < 1)
			return DECODE_TRUNCATED;
		p->icmp_type = b[0];
		p->icmp_code = len >= 2 ? b[1] : 0;
		p->payload_len = plen;
		/* Echo request and reply (RFC 792, RFC 4443 section 4) carry
		 * data after their 8-byte header, which ICMP tunnels fill:
		 * it is the payload the classifier looks at. */
		if (len >= 8 && plen >= 8 && (proto == 1 ? b[0] == 0 || b[0] == 8 :
		    b[0] == 128 || b[0] == 129)) {
			p->payload_len = plen - 8;
			set_payload(p, b, len, 8);
		}
		return DECODE_OK;
	default:
		/* Any other protocol: its header and data are the payload. */
		p->payload_len = plen;
		set_payload(p, b, len, 0);
		return DECODE_OK;
	}
}

/*
 * Whether a Hop-by-Hop or Destination Options header (b, its elen bytes,
 * of which cap were captured) holds an option of a type no standard
 * defines whose action bits (the two high ones, RFC 8200 4.2) are 10 or
 * 11: discard, and answer with a Parameter Problem (10: even to a
 * multicast destination). No stack sends one; host discovery tools
 * (thc-ipv6's alive6) do, to make every host answer.
 */
static int
ipv6_forcing_option(const uint8_t *b, uint32_t elen, uint32_t cap)
{
	uint32_t i = 2, end = elen < cap ? elen : cap;
	uint8_t t;

	while (i < end) {
		t = b[i];
		if (t == 0) {		/* Pad1 */
			i++;
			continue;
		}
		if (t >= 0x80) {
			switch (t) {
			case 0x8a: case 0x8b: case 0x8c: case 0xc2: case 0xc9:
			case 0xee:		/* IANA's: EID, ILNP nonce,
						 * line ID, jumbo, home
						 * address, IP_DFF */
			case 0x9e: case 0xbe: case 0xde: case 0xfe:
				break;		/* RFC 4727 experiments */
			default:
				return 1;
			}
		}
		if (i + 1 >= end)
			break;
		i += 2 + (uint32_t)b[i + 1];
	}
	return 0;
}

/* IPv6 extension headers that use the generic (next, length) layout. */
static int
ipv6_is_ext(uint8_t nh)
{
	switch (nh) {
	case 0: case 43: case 60: case 135: case 139: case 140:
		return 1;
	}
	return 0;
}

static enum decode_result
decode_ipv4(struct cursor *c, const uint8_t *b, uint32_t len)
{
	struct pkt *p = c->p;
	uint32_t hlen, tlen;
	uint16_t frag;

	if (len < 20)
		return DECODE_TRUNCATED;
	hlen = (uint32_t)(b[0] & 0x0f) * 4;
	tlen = be16(b + 2);
	if (hlen < 20)
		return DECODE_MALFORMED;
	if (len < hlen)
		return DECODE_TRUNCATED;
	/* A zero total length is what segmentation offload leaves in
	 * captures taken on the sending host: trust the captured bytes. */
	if (tlen == 0)
		tlen = len;
	if (tlen < hlen)
		return DECODE_MALFORMED;
	if (len > tlen)		/* Ethernet padding */
		len = tlen;
	p->ipver = 4;
	p->l3 = b;
	p->l3_len = len;
	memset(p->src, 0, 10);
	p->src[10] = p->src[11] = 0xff;
	memcpy(p->src + 12, b + 12, 4);
	memset(p->dst, 0, 10);
	p->dst[10] = p->dst[11] = 0xff;
	memcpy(p->dst + 12, b + 16, 4);
	frag = be16(b + 6);
	if ((frag & 0x3fff) != 0) {	/* MF set or a non-zero offset */
		p->proto = b[9];
		return DECODE_FRAGMENT;
	}
	return decode_l4(c, b[9], b + hlen, len - hlen, tlen - hlen);
}

static enum decode_result
decode_ipv6(struct cursor *c, const uint8_t *b, uint32_t len)
{
	struct pkt *p = c->p;
	uint32_t off = 40, plen;
	uint8_t nh;
	int n;

	if (len < 40)
		return DECODE_TRUNCATED;
	plen = be16(b + 4);
	if (plen == 0)		/* jumbogram or offload: use what was captured */
		plen = len - 40;
	if (len > 40 + plen)
		len = 40 + plen;
	p->ipver = 6;
	p->l3 = b;
	p->l3_len = len;
	memcpy(p->src, b + 8, 16);
	memcpy(p->dst, b + 24, 16);
	nh = b[6];
	for (n = 0; n < 16; n++) {
		if (ipv6_is_ext(nh) || nh == 51) {
			uint32_t elen;

			if (len < off + 2)
				return DECODE_TRUNCATED;
			/* AH counts 4-byte units minus 2, the others 8-byte
			 * units minus 1. */
			elen = nh == 51 ? ((uint32_t)b[off + 1] + 2) * 4 :
			    ((uint32_t)b[off + 1] + 1) * 8;
			if (off + elen > 40 + plen)
				return DECODE_MALFORMED;
			if ((nh == 0 || nh == 60) && ipv6_forcing_option(b + off,
			    elen, len - off))
				p->v6_forcing = 1;
			nh = b[off];
			off += elen;
		} else if (nh == 44) {	/* fragment header */
			if (len < off + 8)
				return DECODE_TRUNCATED;
			if ((be16(b + off + 2) & 0xfff9) != 0) {
				p->proto = b[off];
				return DECODE_FRAGMENT;
			}
			/* An atomic fragment (offset 0, no M): keep going. */
			nh = b[off];
			off += 8;
		} else {
			break;
		}
	}
	if (n == 16)
		return DECODE_MALFORMED;
	if (off > len)
		return DECODE_TRUNCATED;
	return decode_l4(c, nh, b + off, len - off, 40 + plen - off);
}

static enum decode_result
decode_ip(struct cursor *c, const uint8_t *b, uint32_t len)
{
	if (len < 1)
		return DECODE_TRUNCATED;
	switch (b[0] >> 4) {
	case 4:
		return decode_ipv4(c, b, len);
	case 6:
		return decode_ipv6(c, b, len);
	}
	return DECODE_MALFORMED;
}

/* The 4-byte address family of DLT_NULL (host order of the capturing
 * machine, so either byte order) and DLT_LOOP (network order). */
static enum decode_result
decode_null(struct cursor *c, const uint8_t *b, uint32_t len, int loop)
{
	uint32_t af;

	if (len < 4)
		return DECODE_TRUNCATED;
	af = be32(b);
	if (!loop && (af & 0xffff) == 0)
		af = af >> 24 | (af >> 8 & 0xff00);
	switch (af) {
	case 2:				/* AF_INET everywhere */
	case 10: case 24: case 28: case 30:	/* AF_INET6: Linux, BSDs, macOS */
		return decode_ip(c, b + 4, len - 4);
	}
	return DECODE_NOT_IP;
}

/* A Linux cooked header's packet type: 4 (PACKET_OUTGOING) was sent by
 * the capturing host, 0 to 3 (to us, broadcast, multicast, to another
 * host) were received. */
static uint8_t
sll_dir(unsigned pkttype)
{
	return pkttype == 4 ? LINK_OUT : pkttype <= 3 ? LINK_IN : LINK_UNKNOWN;
}

int
decode_linktype_has_direction(int dlt)
{
	return dlt == DLT_LINUX_SLL || dlt == DLT_LINUX_SLL2;
}

static enum decode_result
decode_link(struct cursor *c, int dlt, const uint8_t *b, uint32_t len)
{
	switch (dlt) {
	case DLT_EN10MB:
		return decode_ether(c, b, len);
	case DLT_RAW:
	case DLT_IPV4:
	case DLT_IPV6:
		return decode_ip(c, b, len);
	case DLT_LINUX_SLL:
		if (len < 16)
			return DECODE_TRUNCATED;
		c->p->link_dir = sll_dir(be16(b));
		return decode_ethertype(c, be16(b + 14), b + 16, len - 16);
	case DLT_LINUX_SLL2:
		if (len < 20)
			return DECODE_TRUNCATED;
		c->p->link_dir = sll_dir(b[10]);
		return decode_ethertype(c, be16(b), b + 20, len - 20);
	case DLT_NULL:
		return decode_null(c, b, len, 0);
	case DLT_LOOP:
		return decode_null(c, b, len, 1);
	case DLT_PPP:
		return decode_ppp(c, b, len);
	case DLT_C_HDLC:
		if (len < 4)
			return DECODE_TRUNCATED;
		return decode_ethertype(c, be16(b + 2), b + 4, len - 4);
	case DLT_PPI: {
		uint32_t hlen, inner;

		if (len < 8)
			return DECODE_TRUNCATED;
		hlen = le16(b + 2);
		inner = (uint32_t)le16(b + 4) | (uint32_t)le16(b + 6) << 16;
		if (hlen < 8)
			return DECODE_MALFORMED;
		if (len < hlen)
			return DECODE_TRUNCATED;
		if (inner == DLT_PPI || !decode_linktype_supported((int)inner))
			return DECODE_UNSUPPORTED;
		return decode_link(c, (int)inner, b + hlen, len - hlen);
	}
	}
	return DECODE_UNSUPPORTED;
}

enum decode_result
decode_packet(int dlt, const uint8_t *data, uint32_t caplen, struct pkt *p)
{
	struct cursor c = { .p = p, .depth = 0 };

	p->l3 = NULL;
	p->l3_len = p->payload_len = p->payload_caplen = 0;
	p->payload = NULL;
	p->vlan = 0;
	p->tunneled = 0;
	p->proto = 0;
	p->has_mac = 0;
	p->link_dir = LINK_UNKNOWN;
	p->v6_forcing = 0;
	return decode_link(&c, dlt, data, caplen);
}
