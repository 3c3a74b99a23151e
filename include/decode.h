/*
 * decode.h: link layer to L4 decoding of one captured frame into a struct
 * pkt that points into the frame (no copy). The decoder trusts nothing: every
 * read is checked against the captured length, and a frame that cannot be
 * decoded yields a result code that the caller counts, never a crash.
 *
 * IPv4 addresses are stored IPv4-mapped so flows of both families share one
 * key layout. IP-in-IP, GRE, VXLAN and GTP-U tunnels are opened and the
 * innermost IP packet is what a flow sees, as ndpiReader and Suricata do;
 * the depth of nesting is bounded.
 */
#ifndef EGRESSD_DECODE_H
#define EGRESSD_DECODE_H

#include <stdint.h>

enum decode_result {
	DECODE_OK,
	DECODE_NOT_IP,		/* ARP, LLDP, STP...: not for us */
	DECODE_TRUNCATED,	/* a header runs past the captured bytes */
	DECODE_MALFORMED,	/* a header that cannot be right */
	DECODE_FRAGMENT,	/* an IP fragment; not reassembled */
	DECODE_UNSUPPORTED,	/* a link or encapsulation we do not decode */
	DECODE_NRESULTS
};

struct pkt {
	uint64_t ts_us;		/* capture time, microseconds since the epoch */
	uint32_t wire_len;	/* frame length on the wire */
	const uint8_t *l3;	/* the (innermost) IP header */
	uint32_t l3_len;	/* captured bytes from l3, at most the IP length */
	uint32_t payload_len;	/* L4 payload bytes by the IP/TCP lengths */
	const uint8_t *payload;	/* TCP/UDP payload, SCTP's chunks, ICMP echo
				 * data, any other protocol's bytes; NULL for
				 * the rest of ICMP */
	uint32_t payload_caplen;	/* captured bytes at payload */
	uint8_t src[16];	/* IPv4-mapped for IPv4 */
	uint8_t dst[16];
	uint16_t sport, dport;	/* host order; 0 for protocols without ports */
	uint16_t vlan;		/* outermost 802.1Q VLAN id, 0 when untagged */
	uint8_t ipver;		/* 4 or 6 */
	uint8_t proto;		/* IP protocol of the L4 header */
	uint8_t tcp_flags;
	uint8_t icmp_type;	/* ICMP / ICMPv6 type, 0 for other protocols */
	uint8_t icmp_code;	/* and its code */
	uint8_t tunneled;	/* the packet was inside a tunnel */
	uint8_t has_mac;	/* smac and dmac are set (Ethernet links) */
	uint8_t smac[6], dmac[6];	/* outermost Ethernet addresses */
	uint8_t v6_forcing;	/* an IPv6 option header holds an unknown
				 * option that orders an answer (decode.c) */
	uint8_t link_dir;	/* enum link_dir: from a Linux cooked header's
				 * packet type, or the capture handle's */
	const char *ifname;	/* the capture interface, NULL when unknown
				 * (the caller's) */
};

/* Which way a frame crossed the capture interface, as the capturing host
 * saw it. On a VM's tap, LINK_IN is what the VM sent. */
enum link_dir { LINK_UNKNOWN, LINK_IN, LINK_OUT };

/* Whether the decoder knows this libpcap DLT_ value. */
int decode_linktype_supported(int dlt);
/* Whether frames of this link type say which way they went (Linux cooked
 * captures: link_dir). */
int decode_linktype_has_direction(int dlt);

/* Decodes one frame of link type dlt. On DECODE_OK every field of p is set
 * except ts_us, wire_len and ifname, which the caller fills (smac and dmac
 * only when has_mac). */
enum decode_result decode_packet(int dlt, const uint8_t *data, uint32_t caplen,
    struct pkt *p);

const char *decode_result_name(enum decode_result r);

#endif
