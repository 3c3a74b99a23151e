/*
 * test_decode.c: the frame decoder on frames built byte by byte in memory,
 * one per link type and encapsulation it claims to know, then on every
 * truncation of them and on random and mutated bytes. Every frame is decoded
 * from a heap copy of exactly its captured length, so a read past the end is
 * an AddressSanitizer error under `make asan`.
 */
#include <arpa/inet.h>
#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "decode.h"
#include "suites.h"
#include "util.h"

#define DLT_NULL_	0
#define DLT_EN10MB_	1
#define DLT_PPP_	9
#define DLT_RAW_	12
#define DLT_C_HDLC_	104
#define DLT_LOOP_	108
#define DLT_SLL_	113
#define DLT_PPI_	192
#define DLT_IPV4_	228
#define DLT_IPV6_	229
#define DLT_SLL2_	276

#define TH_FIN	0x01
#define TH_SYN	0x02
#define TH_RST	0x04
#define TH_PSH	0x08
#define TH_ACK	0x10

struct buf {
	uint8_t b[1600];
	uint32_t n;
};

static void
put(struct buf *f, const void *d, size_t n)
{
	ck_assert_uint_le(f->n + n, sizeof(f->b));
	memcpy(f->b + f->n, d, n);
	f->n += (uint32_t)n;
}

static void
put8(struct buf *f, unsigned v)
{
	uint8_t b = (uint8_t)v;

	put(f, &b, 1);
}

static void
put16(struct buf *f, unsigned v)
{
	put8(f, v >> 8);
	put8(f, v);
}

static void
put32(struct buf *f, uint32_t v)
{
	put16(f, v >> 16);
	put16(f, v & 0xffff);
}

static void
put32le(struct buf *f, uint32_t v)
{
	put8(f, v);
	put8(f, v >> 8);
	put8(f, v >> 16);
	put8(f, v >> 24);
}

static void
fill(struct buf *f, unsigned v, size_t n)
{
	while (n-- > 0)
		put8(f, v);
}

static void
put_buf(struct buf *f, const struct buf *in)
{
	put(f, in->b, in->n);
}

static void
put_v4(struct buf *f, const char *a)
{
	uint8_t b[4];

	ck_assert_int_eq(inet_pton(AF_INET, a, b), 1);
	put(f, b, 4);
}

static void
put_v6(struct buf *f, const char *a)
{
	uint8_t b[16];

	ck_assert_int_eq(inet_pton(AF_INET6, a, b), 1);
	put(f, b, 16);
}

/* A TCP header of 20 bytes and n payload bytes. */
static void
tcp(struct buf *f, unsigned sport, unsigned dport, unsigned flags, size_t n)
{
	f->n = 0;
	put16(f, sport);
	put16(f, dport);
	put32(f, 0x01020304);		/* seq */
	put32(f, 0);			/* ack */
	put8(f, 5 << 4);		/* data offset */
	put8(f, flags);
	put16(f, 65535);		/* window */
	put16(f, 0);			/* checksum */
	put16(f, 0);			/* urgent */
	fill(f, 'd', n);
}

/* A UDP header and the payload, if any. */
static void
udp(struct buf *f, unsigned sport, unsigned dport, const struct buf *payload)
{
	f->n = 0;
	put16(f, sport);
	put16(f, dport);
	put16(f, 8 + (payload != NULL ? payload->n : 0));
	put16(f, 0);
	if (payload != NULL)
		put_buf(f, payload);
}

static void
ipv4_frag(struct buf *f, unsigned proto, const char *src, const char *dst,
    unsigned frag, const struct buf *payload)
{
	f->n = 0;
	put8(f, 0x45);
	put8(f, 0);
	put16(f, 20 + payload->n);
	put16(f, 0x1234);		/* id */
	put16(f, frag);
	put8(f, 64);			/* ttl */
	put8(f, proto);
	put16(f, 0);			/* checksum */
	put_v4(f, src);
	put_v4(f, dst);
	put_buf(f, payload);
}

static void
ipv4(struct buf *f, unsigned proto, const char *src, const char *dst,
    const struct buf *payload)
{
	ipv4_frag(f, proto, src, dst, 0x4000, payload);	/* DF */
}

static void
ipv6(struct buf *f, unsigned nh, const char *src, const char *dst,
    const struct buf *payload)
{
	f->n = 0;
	put32(f, 0x60000000);
	put16(f, payload->n);
	put8(f, nh);
	put8(f, 64);
	put_v6(f, src);
	put_v6(f, dst);
	put_buf(f, payload);
}

static const uint8_t mac_dst[6] = { 0x02, 0, 0, 0, 0, 0x02 };
static const uint8_t mac_src[6] = { 0x02, 0, 0, 0, 0, 0x01 };

static void
ether(struct buf *f, unsigned type, const struct buf *payload)
{
	f->n = 0;
	put(f, mac_dst, 6);
	put(f, mac_src, 6);
	put16(f, type);
	put_buf(f, payload);
}

/* The reference packet: 10.0.0.1:40000 -> 93.184.216.34:443, PSH|ACK with
 * 5 payload bytes, as an IPv4 packet. */
static void
ref_ipv4(struct buf *ip)
{
	struct buf l4;

	tcp(&l4, 40000, 443, TH_PSH | TH_ACK, 5);
	ipv4(ip, 6, "10.0.0.1", "93.184.216.34", &l4);
}

static void
ref_ipv6(struct buf *ip)
{
	struct buf l4;

	tcp(&l4, 50000, 22, TH_SYN, 0);
	ipv6(ip, 6, "2001:db8::1", "2001:db8:1::2", &l4);
}

/* Decodes f from a heap copy of exactly f->n bytes. p->l3 is cleared (the
 * copy is gone) and its offset into the frame goes to *l3_off, -1 if none. */
static enum decode_result
dec_off(int dlt, const struct buf *f, uint32_t caplen, struct pkt *p,
    long *l3_off)
{
	uint8_t *copy = xmalloc(caplen);
	enum decode_result r;

	ck_assert_uint_le(caplen, f->n);
	memcpy(copy, f->b, caplen);
	memset(p, 0xa5, sizeof(*p));
	r = decode_packet(dlt, copy, caplen, p);
	ck_assert_int_lt(r, DECODE_NRESULTS);
	if (p->l3 != NULL) {
		ck_assert(p->l3 >= copy && p->l3 < copy + caplen);
		ck_assert_uint_le(p->l3_len, caplen - (uint32_t)(p->l3 - copy));
		*l3_off = p->l3 - copy;
	} else {
		*l3_off = -1;
	}
	p->l3 = NULL;
	free(copy);
	return r;
}

static enum decode_result
dec(int dlt, const struct buf *f, struct pkt *p)
{
	long off;

	return dec_off(dlt, f, f->n, p, &off);
}

static void
assert_v4(const uint8_t a[16], const char *want)
{
	uint8_t m[16] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

	ck_assert_int_eq(inet_pton(AF_INET, want, m + 12), 1);
	ck_assert_mem_eq(a, m, 16);
}

static void
assert_v6(const uint8_t a[16], const char *want)
{
	uint8_t m[16];

	ck_assert_int_eq(inet_pton(AF_INET6, want, m), 1);
	ck_assert_mem_eq(a, m, 16);
}

/* Asserts p is the reference IPv4 packet at l3 offset off. */
static void
assert_ref_ipv4(const struct pkt *p, long l3_off, long want_off)
{
	ck_assert_int_eq(p->ipver, 4);
	ck_assert_int_eq(p->proto, 6);
	assert_v4(p->src, "10.0.0.1");
	assert_v4(p->dst, "93.184.216.34");
	ck_assert_uint_eq(p->sport, 40000);
	ck_assert_uint_eq(p->dport, 443);
	ck_assert_uint_eq(p->tcp_flags, TH_PSH | TH_ACK);
	ck_assert_uint_eq(p->payload_len, 5);
	ck_assert_uint_eq(p->l3_len, 45);
	ck_assert_int_eq(l3_off, want_off);
	ck_assert_uint_eq(p->tunneled, 0);
}

static void
assert_ref_ipv6(const struct pkt *p, long l3_off, long want_off)
{
	ck_assert_int_eq(p->ipver, 6);
	ck_assert_int_eq(p->proto, 6);
	assert_v6(p->src, "2001:db8::1");
	assert_v6(p->dst, "2001:db8:1::2");
	ck_assert_uint_eq(p->sport, 50000);
	ck_assert_uint_eq(p->dport, 22);
	ck_assert_uint_eq(p->tcp_flags, TH_SYN);
	ck_assert_uint_eq(p->payload_len, 0);
	ck_assert_uint_eq(p->l3_len, 60);
	ck_assert_int_eq(l3_off, want_off);
}

START_TEST(ether_ipv4_tcp)
{
	struct buf ip, f;
	struct pkt p;
	long off;

	ref_ipv4(&ip);
	ether(&f, 0x0800, &ip);
	ck_assert_uint_eq(f.n, 14 + 20 + 20 + 5);
	ck_assert_int_eq(dec_off(DLT_EN10MB_, &f, f.n, &p, &off), DECODE_OK);
	assert_ref_ipv4(&p, off, 14);
	ck_assert_uint_eq(p.vlan, 0);

	/* SYN, FIN and RST flags come through as they are. */
	{
		struct buf l4;

		tcp(&l4, 1, 2, TH_FIN | TH_RST | TH_ACK, 0);
		ipv4(&ip, 6, "10.0.0.1", "10.0.0.2", &l4);
		ether(&f, 0x0800, &ip);
		ck_assert_int_eq(dec(DLT_EN10MB_, &f, &p), DECODE_OK);
		ck_assert_uint_eq(p.tcp_flags, TH_FIN | TH_RST | TH_ACK);
		ck_assert_uint_eq(p.sport, 1);
		ck_assert_uint_eq(p.dport, 2);
	}
}
END_TEST

START_TEST(ether_ipv6_tcp)
{
	struct buf ip, f;
	struct pkt p;
	long off;

	ref_ipv6(&ip);
	ether(&f, 0x86dd, &ip);
	ck_assert_int_eq(dec_off(DLT_EN10MB_, &f, f.n, &p, &off), DECODE_OK);
	assert_ref_ipv6(&p, off, 14);
}
END_TEST

START_TEST(vlan_tags)
{
	struct buf ip, inner, f;
	struct pkt p;
	long off;
	int i;

	ref_ipv4(&ip);
	/* 802.1Q, priority 5, VLAN 100. */
	inner.n = 0;
	put16(&inner, 0xa000 | 100);
	put16(&inner, 0x0800);
	put_buf(&inner, &ip);
	ether(&f, 0x8100, &inner);
	ck_assert_int_eq(dec_off(DLT_EN10MB_, &f, f.n, &p, &off), DECODE_OK);
	ck_assert_uint_eq(p.vlan, 100);
	assert_ref_ipv4(&p, off, 18);

	/* QinQ: the service tag (outer) names the VLAN. */
	inner.n = 0;
	put16(&inner, 200);
	put16(&inner, 0x8100);
	put16(&inner, 300);
	put16(&inner, 0x0800);
	put_buf(&inner, &ip);
	ether(&f, 0x88a8, &inner);
	ck_assert_int_eq(dec_off(DLT_EN10MB_, &f, f.n, &p, &off), DECODE_OK);
	ck_assert_uint_eq(p.vlan, 200);
	assert_ref_ipv4(&p, off, 22);

	/* The old 0x9100 QinQ type too. */
	f.b[12] = 0x91;
	f.b[13] = 0x00;
	ck_assert_int_eq(dec(DLT_EN10MB_, &f, &p), DECODE_OK);
	ck_assert_uint_eq(p.vlan, 200);

	/* Tags without end are not followed forever. */
	inner.n = 0;
	for (i = 0; i < 8; i++) {
		put16(&inner, 10 + i);
		put16(&inner, 0x8100);
	}
	put_buf(&inner, &ip);
	ether(&f, 0x8100, &inner);
	ck_assert_int_eq(dec(DLT_EN10MB_, &f, &p), DECODE_UNSUPPORTED);
}
END_TEST

START_TEST(linux_sll)
{
	struct buf ip, f;
	struct pkt p;
	long off;

	ref_ipv4(&ip);
	f.n = 0;
	put16(&f, 4);			/* packet type: outgoing */
	put16(&f, 1);			/* ARPHRD_ETHER */
	put16(&f, 6);
	put(&f, mac_src, 6);
	put16(&f, 0);
	put16(&f, 0x0800);
	put_buf(&f, &ip);
	ck_assert_int_eq(dec_off(DLT_SLL_, &f, f.n, &p, &off), DECODE_OK);
	assert_ref_ipv4(&p, off, 16);
	ck_assert_int_eq(p.link_dir, LINK_OUT);	/* sent by the host */
	f.b[1] = 0;			/* PACKET_HOST: received */
	ck_assert_int_eq(dec(DLT_SLL_, &f, &p), DECODE_OK);
	ck_assert_int_eq(p.link_dir, LINK_IN);
	f.b[1] = 3;			/* PACKET_OTHERHOST */
	ck_assert_int_eq(dec(DLT_SLL_, &f, &p), DECODE_OK);
	ck_assert_int_eq(p.link_dir, LINK_IN);
	f.b[1] = 5;			/* loopback: neither */
	ck_assert_int_eq(dec(DLT_SLL_, &f, &p), DECODE_OK);
	ck_assert_int_eq(p.link_dir, LINK_UNKNOWN);

	ref_ipv6(&ip);
	f.n = 0;
	put16(&f, 0x86dd);		/* protocol first in SLL2 */
	put16(&f, 0);
	put32(&f, 3);			/* interface index */
	put16(&f, 1);
	put8(&f, 4);
	put8(&f, 6);
	put(&f, mac_src, 6);
	put16(&f, 0);
	ck_assert_uint_eq(f.n, 20);
	put_buf(&f, &ip);
	ck_assert_int_eq(dec_off(DLT_SLL2_, &f, f.n, &p, &off), DECODE_OK);
	assert_ref_ipv6(&p, off, 20);
	ck_assert_int_eq(p.link_dir, LINK_OUT);
	f.b[10] = 2;			/* PACKET_MULTICAST: received */
	ck_assert_int_eq(dec(DLT_SLL2_, &f, &p), DECODE_OK);
	ck_assert_int_eq(p.link_dir, LINK_IN);

	/* An SLL frame carrying ARP is not IP. */
	f.n = 0;
	fill(&f, 0, 14);
	put16(&f, 0x0806);
	fill(&f, 0, 28);
	ck_assert_int_eq(dec(DLT_SLL_, &f, &p), DECODE_NOT_IP);
}
END_TEST

START_TEST(raw_ip)
{
	struct buf f;
	struct pkt p;
	long off;

	ref_ipv4(&f);
	ck_assert_int_eq(dec_off(DLT_RAW_, &f, f.n, &p, &off), DECODE_OK);
	assert_ref_ipv4(&p, off, 0);
	ck_assert_int_eq(dec_off(DLT_IPV4_, &f, f.n, &p, &off), DECODE_OK);
	assert_ref_ipv4(&p, off, 0);
	ref_ipv6(&f);
	ck_assert_int_eq(dec_off(DLT_RAW_, &f, f.n, &p, &off), DECODE_OK);
	assert_ref_ipv6(&p, off, 0);
	ck_assert_int_eq(dec_off(DLT_IPV6_, &f, f.n, &p, &off), DECODE_OK);
	assert_ref_ipv6(&p, off, 0);
	/* Neither version 4 nor 6. */
	f.b[0] = 0x50;
	ck_assert_int_eq(dec(DLT_RAW_, &f, &p), DECODE_MALFORMED);
	f.n = 0;
	ck_assert_int_eq(dec(DLT_RAW_, &f, &p), DECODE_TRUNCATED);
}
END_TEST

START_TEST(null_and_loop)
{
	static const uint32_t v6fams[] = { 10, 24, 28, 30 };
	struct buf ip4, ip6, f;
	struct pkt p;
	long off;
	size_t i;

	ref_ipv4(&ip4);
	ref_ipv6(&ip6);
	/* DLT_NULL: the capturing host's byte order, either one. */
	f.n = 0;
	put32le(&f, 2);
	put_buf(&f, &ip4);
	ck_assert_int_eq(dec_off(DLT_NULL_, &f, f.n, &p, &off), DECODE_OK);
	assert_ref_ipv4(&p, off, 4);
	f.n = 0;
	put32(&f, 2);
	put_buf(&f, &ip4);
	ck_assert_int_eq(dec_off(DLT_NULL_, &f, f.n, &p, &off), DECODE_OK);
	assert_ref_ipv4(&p, off, 4);
	for (i = 0; i < NELEM(v6fams); i++) {
		f.n = 0;
		put32le(&f, v6fams[i]);
		put_buf(&f, &ip6);
		ck_assert_int_eq(dec_off(DLT_NULL_, &f, f.n, &p, &off), DECODE_OK);
		assert_ref_ipv6(&p, off, 4);
		f.n = 0;
		put32(&f, v6fams[i]);
		put_buf(&f, &ip6);
		ck_assert_int_eq(dec_off(DLT_NULL_, &f, f.n, &p, &off), DECODE_OK);
		assert_ref_ipv6(&p, off, 4);
		/* DLT_LOOP is always network order. */
		ck_assert_int_eq(dec_off(DLT_LOOP_, &f, f.n, &p, &off), DECODE_OK);
		assert_ref_ipv6(&p, off, 4);
	}
	f.n = 0;
	put32(&f, 2);
	put_buf(&f, &ip4);
	ck_assert_int_eq(dec_off(DLT_LOOP_, &f, f.n, &p, &off), DECODE_OK);
	assert_ref_ipv4(&p, off, 4);
	f.n = 0;
	put32le(&f, 2);
	put_buf(&f, &ip4);
	ck_assert_int_eq(dec(DLT_LOOP_, &f, &p), DECODE_NOT_IP);
	/* Another family (AF_UNIX) is not IP. */
	f.n = 0;
	put32le(&f, 1);
	put_buf(&f, &ip4);
	ck_assert_int_eq(dec(DLT_NULL_, &f, &p), DECODE_NOT_IP);
	f.n = 3;
	ck_assert_int_eq(dec(DLT_NULL_, &f, &p), DECODE_TRUNCATED);
}
END_TEST

START_TEST(ppp_hdlc_ppi)
{
	struct buf ip, eth, f;
	struct pkt p;
	long off;

	ref_ipv4(&ip);
	f.n = 0;
	put8(&f, 0xff);
	put8(&f, 0x03);
	put16(&f, 0x0021);
	put_buf(&f, &ip);
	ck_assert_int_eq(dec_off(DLT_PPP_, &f, f.n, &p, &off), DECODE_OK);
	assert_ref_ipv4(&p, off, 4);
	f.n = 0;
	put16(&f, 0x0021);		/* address and control compressed */
	put_buf(&f, &ip);
	ck_assert_int_eq(dec_off(DLT_PPP_, &f, f.n, &p, &off), DECODE_OK);
	assert_ref_ipv4(&p, off, 2);
	f.b[1] = 0x21;
	f.b[0] = 0xc0;			/* LCP */
	ck_assert_int_eq(dec(DLT_PPP_, &f, &p), DECODE_NOT_IP);

	f.n = 0;
	put8(&f, 0x0f);
	put8(&f, 0);
	put16(&f, 0x0800);
	put_buf(&f, &ip);
	ck_assert_int_eq(dec_off(DLT_C_HDLC_, &f, f.n, &p, &off), DECODE_OK);
	assert_ref_ipv4(&p, off, 4);

	ether(&eth, 0x0800, &ip);
	f.n = 0;
	put8(&f, 0);			/* version */
	put8(&f, 0);			/* flags */
	put8(&f, 8);			/* header length, little-endian */
	put8(&f, 0);
	put32le(&f, DLT_EN10MB_);
	put_buf(&f, &eth);
	ck_assert_int_eq(dec_off(DLT_PPI_, &f, f.n, &p, &off), DECODE_OK);
	assert_ref_ipv4(&p, off, 8 + 14);
	/* PPI inside PPI, an unknown inner type, a short header. */
	f.b[4] = DLT_PPI_;
	ck_assert_int_eq(dec(DLT_PPI_, &f, &p), DECODE_UNSUPPORTED);
	f.b[4] = 147;
	ck_assert_int_eq(dec(DLT_PPI_, &f, &p), DECODE_UNSUPPORTED);
	f.b[4] = DLT_EN10MB_;
	f.b[2] = 4;
	ck_assert_int_eq(dec(DLT_PPI_, &f, &p), DECODE_MALFORMED);
}
END_TEST

START_TEST(ipv6_extension_headers)
{
	struct buf pl, l4, ext, ip, f;
	struct pkt p;
	long off;

	pl.n = 0;
	put32(&pl, 0xdeadbeef);
	udp(&l4, 5353, 53, &pl);
	ext.n = 0;
	/* Hop-by-hop, 8 bytes: PadN. */
	put8(&ext, 60);
	put8(&ext, 0);
	put8(&ext, 1);
	put8(&ext, 4);
	fill(&ext, 0, 4);
	/* Destination options, 16 bytes: an unknown option to skip. */
	put8(&ext, 43);
	put8(&ext, 1);
	put8(&ext, 0x1e);
	put8(&ext, 12);
	fill(&ext, 0xaa, 12);
	/* Routing, 8 bytes: type 4, no segments left. */
	put8(&ext, 17);
	put8(&ext, 0);
	put8(&ext, 4);
	put8(&ext, 0);
	fill(&ext, 0, 4);
	put_buf(&ext, &l4);
	ipv6(&ip, 0, "fe80::1", "ff02::fb", &ext);
	ether(&f, 0x86dd, &ip);
	ck_assert_int_eq(dec_off(DLT_EN10MB_, &f, f.n, &p, &off), DECODE_OK);
	ck_assert_int_eq(off, 14);
	ck_assert_int_eq(p.ipver, 6);
	ck_assert_int_eq(p.proto, 17);
	ck_assert_uint_eq(p.sport, 5353);
	ck_assert_uint_eq(p.dport, 53);
	ck_assert_uint_eq(p.payload_len, 4);
	ck_assert_uint_eq(p.l3_len, 40 + 32 + 12);
	assert_v6(p.src, "fe80::1");
	assert_v6(p.dst, "ff02::fb");
	ck_assert_int_eq(p.v6_forcing, 0);	/* 0x1e: skip and go on */

	/* Options that order a Parameter Problem back: an unknown type
	 * with action bits 10 (alive6's 0x80) is a forcing probe; the jumbo
	 * payload option (0xc2), a known one, is not. */
	ext.b[10] = 0x80;
	ipv6(&ip, 0, "fe80::1", "ff02::fb", &ext);
	ck_assert_int_eq(dec(DLT_RAW_, &ip, &p), DECODE_OK);
	ck_assert_int_eq(p.v6_forcing, 1);
	ext.b[10] = 0xc2;
	ipv6(&ip, 0, "fe80::1", "ff02::fb", &ext);
	ck_assert_int_eq(dec(DLT_RAW_, &ip, &p), DECODE_OK);
	ck_assert_int_eq(p.v6_forcing, 0);
	ext.b[10] = 0x1e;

	/* An extension header claiming more than the payload is malformed. */
	ext.b[8 + 1] = 200;
	ipv6(&ip, 0, "fe80::1", "ff02::fb", &ext);
	ck_assert_int_eq(dec(DLT_RAW_, &ip, &p), DECODE_MALFORMED);
}
END_TEST

START_TEST(ipv6_fragment_header)
{
	struct buf l4, ext, ip;
	struct pkt p;

	tcp(&l4, 1111, 2222, TH_SYN, 0);
	ext.n = 0;
	put8(&ext, 6);
	put8(&ext, 0);
	put16(&ext, 0);			/* offset 0, M clear: atomic */
	put32(&ext, 0xabcdef01);
	put_buf(&ext, &l4);
	ipv6(&ip, 44, "2001:db8::a", "2001:db8::b", &ext);
	ck_assert_int_eq(dec(DLT_RAW_, &ip, &p), DECODE_OK);
	ck_assert_int_eq(p.proto, 6);
	ck_assert_uint_eq(p.sport, 1111);
	ck_assert_uint_eq(p.dport, 2222);
	ck_assert_uint_eq(p.tcp_flags, TH_SYN);

	ip.b[40 + 3] = 0x01;		/* M set: a first fragment */
	ck_assert_int_eq(dec(DLT_RAW_, &ip, &p), DECODE_FRAGMENT);
	ck_assert_int_eq(p.proto, 6);
	assert_v6(p.src, "2001:db8::a");
	ip.b[40 + 3] = 0x08;		/* offset 1, M clear: the last one */
	ck_assert_int_eq(dec(DLT_RAW_, &ip, &p), DECODE_FRAGMENT);
	ip.b[40 + 3] = 0x06;		/* reserved bits only */
	ck_assert_int_eq(dec(DLT_RAW_, &ip, &p), DECODE_OK);
}
END_TEST

START_TEST(ipv4_fragments)
{
	struct buf l4, ip;
	struct pkt p;

	tcp(&l4, 1111, 2222, TH_ACK, 10);
	ipv4_frag(&ip, 6, "192.0.2.1", "192.0.2.2", 0x2000, &l4);	/* MF */
	ck_assert_int_eq(dec(DLT_RAW_, &ip, &p), DECODE_FRAGMENT);
	ck_assert_int_eq(p.proto, 6);
	assert_v4(p.src, "192.0.2.1");
	assert_v4(p.dst, "192.0.2.2");
	ipv4_frag(&ip, 6, "192.0.2.1", "192.0.2.2", 0x00b9, &l4);	/* offset */
	ck_assert_int_eq(dec(DLT_RAW_, &ip, &p), DECODE_FRAGMENT);
	ipv4_frag(&ip, 6, "192.0.2.1", "192.0.2.2", 0x1fff, &l4);
	ck_assert_int_eq(dec(DLT_RAW_, &ip, &p), DECODE_FRAGMENT);
	ipv4_frag(&ip, 6, "192.0.2.1", "192.0.2.2", 0x4000, &l4);	/* DF */
	ck_assert_int_eq(dec(DLT_RAW_, &ip, &p), DECODE_OK);
	ipv4_frag(&ip, 6, "192.0.2.1", "192.0.2.2", 0x8000, &l4);	/* evil */
	ck_assert_int_eq(dec(DLT_RAW_, &ip, &p), DECODE_OK);
	ck_assert_uint_eq(p.payload_len, 10);
}
END_TEST

/* Every prefix of the reference frame: nothing is OK before the TCP header
 * has its flags (14 + 20 + 14 bytes), everything from there on is. */
START_TEST(truncation_every_length)
{
	struct buf ip, f;
	struct pkt p;
	uint32_t len;
	long off;

	ref_ipv4(&ip);
	ether(&f, 0x0800, &ip);
	for (len = 0; len < f.n; len++) {
		enum decode_result r = dec_off(DLT_EN10MB_, &f, len, &p, &off);

		if (len < 14 + 20 + 14) {
			ck_assert_msg(r == DECODE_TRUNCATED,
			    "caplen %u: %s", len, decode_result_name(r));
		} else {
			ck_assert_msg(r == DECODE_OK, "caplen %u: %s", len,
			    decode_result_name(r));
			ck_assert_uint_eq(p.sport, 40000);
			ck_assert_uint_eq(p.dport, 443);
			ck_assert_uint_eq(p.tcp_flags, TH_PSH | TH_ACK);
			ck_assert_uint_eq(p.l3_len, len - 14);
			ck_assert_uint_eq(p.payload_len, 5);
		}
	}
}
END_TEST

START_TEST(malformed_headers)
{
	struct buf ip, f;
	struct pkt p;

	ref_ipv4(&ip);
	ether(&f, 0x0800, &ip);
	f.b[14] = 0x44;			/* IHL 4 */
	ck_assert_int_eq(dec(DLT_EN10MB_, &f, &p), DECODE_MALFORMED);
	f.b[14] = 0x40;
	ck_assert_int_eq(dec(DLT_EN10MB_, &f, &p), DECODE_MALFORMED);
	f.b[14] = 0x45;
	f.b[14 + 2] = 0;		/* total length 19 < header */
	f.b[14 + 3] = 19;
	ck_assert_int_eq(dec(DLT_EN10MB_, &f, &p), DECODE_MALFORMED);

	ether(&f, 0x0800, &ip);
	f.b[14 + 20 + 12] = 0x40;	/* TCP data offset 4 */
	ck_assert_int_eq(dec(DLT_EN10MB_, &f, &p), DECODE_MALFORMED);
	f.b[14 + 20 + 12] = 0x00;
	ck_assert_int_eq(dec(DLT_EN10MB_, &f, &p), DECODE_MALFORMED);
	f.b[14 + 20 + 12] = 0xf0;	/* 60 bytes, more than the segment */
	ck_assert_int_eq(dec(DLT_EN10MB_, &f, &p), DECODE_MALFORMED);
	f.b[14 + 20 + 12] = 0x60;	/* 24 bytes: options, 1 payload byte */
	ck_assert_int_eq(dec(DLT_EN10MB_, &f, &p), DECODE_OK);
	ck_assert_uint_eq(p.payload_len, 1);
}
END_TEST

START_TEST(not_ip_and_unsupported)
{
	struct buf pl, f;
	struct pkt p;

	pl.n = 0;
	fill(&pl, 0x11, 28);
	ether(&f, 0x0806, &pl);		/* ARP */
	ck_assert_int_eq(dec(DLT_EN10MB_, &f, &p), DECODE_NOT_IP);
	ether(&f, 0x88cc, &pl);		/* LLDP */
	ck_assert_int_eq(dec(DLT_EN10MB_, &f, &p), DECODE_NOT_IP);
	ether(&f, 0x002e, &pl);		/* 802.3 length field */
	ck_assert_int_eq(dec(DLT_EN10MB_, &f, &p), DECODE_NOT_IP);
	ether(&f, 0x05dc, &pl);		/* 1500: still a length */
	ck_assert_int_eq(dec(DLT_EN10MB_, &f, &p), DECODE_NOT_IP);
	f.n = 13;
	ck_assert_int_eq(dec(DLT_EN10MB_, &f, &p), DECODE_TRUNCATED);

	ref_ipv4(&f);
	ck_assert_int_eq(dec(147, &f, &p), DECODE_UNSUPPORTED);	/* USER0 */
	ck_assert_int_eq(dec(-1, &f, &p), DECODE_UNSUPPORTED);
	ck_assert_int_eq(decode_linktype_supported(147), 0);
	ck_assert_int_eq(decode_linktype_supported(127), 0);	/* radiotap */
	ck_assert_int_eq(decode_linktype_supported(-1), 0);
	ck_assert_int_eq(decode_linktype_supported(DLT_EN10MB_), 1);
	ck_assert_int_eq(decode_linktype_supported(DLT_SLL_), 1);
	ck_assert_int_eq(decode_linktype_supported(DLT_SLL2_), 1);
	ck_assert_int_eq(decode_linktype_has_direction(DLT_SLL_), 1);
	ck_assert_int_eq(decode_linktype_has_direction(DLT_SLL2_), 1);
	ck_assert_int_eq(decode_linktype_has_direction(DLT_EN10MB_), 0);
	ck_assert_int_eq(decode_linktype_supported(DLT_RAW_), 1);
	ck_assert_int_eq(decode_linktype_supported(DLT_IPV4_), 1);
	ck_assert_int_eq(decode_linktype_supported(DLT_IPV6_), 1);
	ck_assert_int_eq(decode_linktype_supported(DLT_NULL_), 1);
	ck_assert_int_eq(decode_linktype_supported(DLT_LOOP_), 1);

	ck_assert_str_eq(decode_result_name(DECODE_OK), "ok");
	ck_assert_str_eq(decode_result_name(DECODE_FRAGMENT), "fragment");
	ck_assert_str_eq(decode_result_name(DECODE_NRESULTS), "?");
}
END_TEST

START_TEST(ipv4_mapped_addresses)
{
	static const uint8_t want_src[16] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	    0xff, 0xff, 10, 0, 0, 1 };
	static const uint8_t want_dst[16] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	    0xff, 0xff, 93, 184, 216, 34 };
	struct buf f;
	struct pkt p;

	ref_ipv4(&f);
	memset(&p, 0xff, sizeof(p));
	ck_assert_int_eq(dec(DLT_RAW_, &f, &p), DECODE_OK);
	ck_assert_mem_eq(p.src, want_src, 16);
	ck_assert_mem_eq(p.dst, want_dst, 16);
}
END_TEST

START_TEST(ethernet_padding)
{
	struct buf l4, ip, f;
	struct pkt p;

	tcp(&l4, 40000, 443, TH_ACK, 0);
	ipv4(&ip, 6, "10.0.0.1", "10.0.0.2", &l4);
	ether(&f, 0x0800, &ip);
	ck_assert_uint_eq(f.n, 54);
	fill(&f, 0xee, 6);		/* to the 60-byte Ethernet minimum */
	ck_assert_int_eq(dec(DLT_EN10MB_, &f, &p), DECODE_OK);
	ck_assert_uint_eq(p.l3_len, 40);
	ck_assert_uint_eq(p.payload_len, 0);

	l4.n = 0;
	put16(&l4, 1);
	put16(&l4, 2);
	put16(&l4, 8);
	put16(&l4, 0);
	ipv6(&ip, 17, "2001:db8::1", "2001:db8::2", &l4);
	ether(&f, 0x86dd, &ip);
	fill(&f, 0, 10);
	ck_assert_int_eq(dec(DLT_EN10MB_, &f, &p), DECODE_OK);
	ck_assert_uint_eq(p.l3_len, 48);
	ck_assert_uint_eq(p.payload_len, 0);
}
END_TEST

START_TEST(ip_in_ip)
{
	struct buf inner, outer, f;
	struct pkt p;
	long off;

	ref_ipv4(&inner);
	ipv4(&outer, 4, "198.51.100.1", "198.51.100.2", &inner);
	ether(&f, 0x0800, &outer);
	ck_assert_int_eq(dec_off(DLT_EN10MB_, &f, f.n, &p, &off), DECODE_OK);
	ck_assert_uint_eq(p.tunneled, 1);
	p.tunneled = 0;
	assert_ref_ipv4(&p, off, 34);

	/* 6in4 */
	ref_ipv6(&inner);
	ipv4(&outer, 41, "198.51.100.1", "198.51.100.2", &inner);
	ck_assert_int_eq(dec_off(DLT_RAW_, &outer, outer.n, &p, &off), DECODE_OK);
	ck_assert_uint_eq(p.tunneled, 1);
	assert_ref_ipv6(&p, off, 20);

	/* A tunnel inside a tunnel inside... is bounded. */
	ref_ipv4(&inner);
	{
		int i;

		for (i = 0; i < 6; i++) {
			ipv4(&outer, 4, "198.51.100.1", "198.51.100.2", &inner);
			inner = outer;
		}
	}
	ck_assert_int_eq(dec(DLT_RAW_, &outer, &p), DECODE_UNSUPPORTED);
}
END_TEST

START_TEST(gre)
{
	struct buf pl, l4, inner, g, outer, f;
	struct pkt p;
	long off;

	pl.n = 0;
	fill(&pl, 0x42, 12);
	udp(&l4, 5000, 53, &pl);
	ipv4(&inner, 17, "10.1.1.1", "10.2.2.2", &l4);
	g.n = 0;
	put16(&g, 0);
	put16(&g, 0x0800);
	put_buf(&g, &inner);
	ipv4(&outer, 47, "203.0.113.1", "203.0.113.2", &g);
	ether(&f, 0x0800, &outer);
	ck_assert_int_eq(dec_off(DLT_EN10MB_, &f, f.n, &p, &off), DECODE_OK);
	ck_assert_uint_eq(p.tunneled, 1);
	ck_assert_int_eq(off, 14 + 20 + 4);
	assert_v4(p.src, "10.1.1.1");
	assert_v4(p.dst, "10.2.2.2");
	ck_assert_int_eq(p.proto, 17);
	ck_assert_uint_eq(p.sport, 5000);
	ck_assert_uint_eq(p.dport, 53);
	ck_assert_uint_eq(p.payload_len, 12);

	/* Checksum, key and sequence present: 16 bytes of GRE. */
	g.n = 0;
	put16(&g, 0xb000);
	put16(&g, 0x0800);
	put32(&g, 0);
	put32(&g, 77);
	put32(&g, 1);
	put_buf(&g, &inner);
	ipv4(&outer, 47, "203.0.113.1", "203.0.113.2", &g);
	ck_assert_int_eq(dec_off(DLT_RAW_, &outer, outer.n, &p, &off), DECODE_OK);
	ck_assert_int_eq(off, 20 + 16);
	assert_v4(p.src, "10.1.1.1");

	/* Version 1 (PPTP) is not opened. */
	outer.b[20 + 1] = 0x01;
	ck_assert_int_eq(dec(DLT_RAW_, &outer, &p), DECODE_UNSUPPORTED);
}
END_TEST

/* Transparent Ethernet bridging: an Ethernet frame inside GRE, and only
 * there, so frames cannot nest Ethernet in Ethernet without bound. */
START_TEST(gre_bridged_ethernet)
{
	struct buf inner, eth, g, outer, f;
	struct pkt p;
	long off;
	int i;

	ref_ipv4(&inner);
	ether(&eth, 0x0800, &inner);
	g.n = 0;
	put16(&g, 0);
	put16(&g, 0x6558);
	put_buf(&g, &eth);
	ipv4(&outer, 47, "203.0.113.1", "203.0.113.2", &g);
	ether(&f, 0x0800, &outer);
	ck_assert_int_eq(dec_off(DLT_EN10MB_, &f, f.n, &p, &off), DECODE_OK);
	ck_assert_uint_eq(p.tunneled, 1);
	p.tunneled = 0;
	assert_ref_ipv4(&p, off, 14 + 20 + 4 + 14);

	/* Not as a link-layer type of its own. */
	ether(&f, 0x6558, &eth);
	ck_assert_int_eq(dec(DLT_EN10MB_, &f, &p), DECODE_NOT_IP);
	g.n = 0;
	put16(&g, 0);
	put16(&g, 0x6558);
	ether(&eth, 0x6558, &f);	/* GRE, Ethernet, Ethernet, Ethernet */
	put_buf(&g, &eth);
	ipv4(&outer, 47, "203.0.113.1", "203.0.113.2", &g);
	ck_assert_int_eq(dec(DLT_RAW_, &outer, &p), DECODE_NOT_IP);

	/* Ethernet headers claiming bridged Ethernet, a hundred deep. */
	f.n = 0;
	for (i = 0; i < 100; i++) {
		put(&f, mac_dst, 6);
		put(&f, mac_src, 6);
		put16(&f, 0x6558);
	}
	put(&f, mac_dst, 6);
	put(&f, mac_src, 6);
	put16(&f, 0x0800);
	put_buf(&f, &inner);
	ck_assert_int_eq(dec(DLT_EN10MB_, &f, &p), DECODE_NOT_IP);
}
END_TEST

START_TEST(vxlan)
{
	struct buf inner, eth, vx, l4, outer, f;
	struct pkt p;
	long off;

	/* A real VXLAN packet: the inner flow counts. */
	ref_ipv4(&inner);
	ether(&eth, 0x0800, &inner);
	vx.n = 0;
	put32(&vx, 0x08000000);		/* I flag */
	put32(&vx, 4242 << 8);		/* VNI */
	put_buf(&vx, &eth);
	udp(&l4, 33333, 4789, &vx);
	ipv4(&outer, 17, "172.16.0.1", "172.16.0.2", &l4);
	ether(&f, 0x0800, &outer);
	ck_assert_int_eq(dec_off(DLT_EN10MB_, &f, f.n, &p, &off), DECODE_OK);
	ck_assert_uint_eq(p.tunneled, 1);
	p.tunneled = 0;
	assert_ref_ipv4(&p, off, 14 + 20 + 8 + 8 + 14);
}
END_TEST

/* A datagram to the VXLAN port that holds no VXLAN stays one UDP flow
 * between the outer addresses and ports. */
static void
assert_outer_udp(const struct buf *f, uint32_t payload_len)
{
	struct pkt p;
	long off;

	ck_assert_int_eq(dec_off(DLT_EN10MB_, f, f->n, &p, &off), DECODE_OK);
	ck_assert_uint_eq(p.tunneled, 0);
	ck_assert_int_eq(off, 14);
	ck_assert_int_eq(p.ipver, 4);
	ck_assert_int_eq(p.proto, 17);
	assert_v4(p.src, "172.16.0.1");
	assert_v4(p.dst, "172.16.0.2");
	ck_assert_uint_eq(p.sport, 33333);
	ck_assert_uint_eq(p.dport, 4789);
	ck_assert_uint_eq(p.payload_len, payload_len);
	ck_assert_uint_eq(p.l3_len, 20 + 8 + payload_len);
}

START_TEST(vxlan_port_without_vxlan)
{
	struct buf inner, eth, vx, l4, outer, f;

	/* Too short for a VXLAN header. */
	vx.n = 0;
	put32(&vx, 0x01020304);
	udp(&l4, 33333, 4789, &vx);
	ipv4(&outer, 17, "172.16.0.1", "172.16.0.2", &l4);
	ether(&f, 0x0800, &outer);
	assert_outer_udp(&f, 4);

	/* A header, then no Ethernet frame. */
	vx.n = 0;
	put32(&vx, 0x08000000);
	put32(&vx, 0);
	fill(&vx, 0, 30);
	udp(&l4, 33333, 4789, &vx);
	ipv4(&outer, 17, "172.16.0.1", "172.16.0.2", &l4);
	ether(&f, 0x0800, &outer);
	assert_outer_udp(&f, 38);

	/* An inner frame that is cut short. */
	ref_ipv4(&inner);
	ether(&eth, 0x0800, &inner);
	vx.n = 0;
	put32(&vx, 0x08000000);
	put32(&vx, 0);
	put(&vx, eth.b, 30);
	udp(&l4, 33333, 4789, &vx);
	ipv4(&outer, 17, "172.16.0.1", "172.16.0.2", &l4);
	ether(&f, 0x0800, &outer);
	assert_outer_udp(&f, 38);

	/* Without the I flag the header is not VXLAN's, whatever follows. */
	vx.n = 0;
	put32(&vx, 0);
	put32(&vx, 0);
	put_buf(&vx, &eth);
	udp(&l4, 33333, 4789, &vx);
	ipv4(&outer, 17, "172.16.0.1", "172.16.0.2", &l4);
	ether(&f, 0x0800, &outer);
	assert_outer_udp(&f, 8 + eth.n);
}
END_TEST

START_TEST(gtpu)
{
	struct buf inner, gt, l4, outer;
	struct pkt p;
	long off;

	ref_ipv4(&inner);
	gt.n = 0;
	put8(&gt, 0x30);		/* version 1, PT 1 */
	put8(&gt, 0xff);		/* G-PDU */
	put16(&gt, inner.n);
	put32(&gt, 0x11223344);		/* TEID */
	put_buf(&gt, &inner);
	udp(&l4, 2152, 2152, &gt);
	ipv4(&outer, 17, "100.64.0.1", "100.64.0.2", &l4);
	ck_assert_int_eq(dec_off(DLT_RAW_, &outer, outer.n, &p, &off), DECODE_OK);
	ck_assert_uint_eq(p.tunneled, 1);
	p.tunneled = 0;
	assert_ref_ipv4(&p, off, 20 + 8 + 8);
	/* Not a G-PDU (an echo request): the outer UDP flow. */
	outer.b[20 + 8 + 1] = 1;
	ck_assert_int_eq(dec(DLT_RAW_, &outer, &p), DECODE_OK);
	ck_assert_uint_eq(p.tunneled, 0);
	assert_v4(p.src, "100.64.0.1");
	ck_assert_uint_eq(p.dport, 2152);
}
END_TEST

START_TEST(mpls)
{
	struct buf ip, st, f;
	struct pkt p;
	long off;
	int i;

	ref_ipv4(&ip);
	st.n = 0;
	put32(&st, 100u << 12 | 64);		/* label 100 */
	put32(&st, 200u << 12 | 1 << 8 | 64);	/* label 200, bottom */
	put_buf(&st, &ip);
	ether(&f, 0x8847, &st);
	ck_assert_int_eq(dec_off(DLT_EN10MB_, &f, f.n, &p, &off), DECODE_OK);
	assert_ref_ipv4(&p, off, 14 + 8);

	/* No bottom of stack within the bound. */
	st.n = 0;
	for (i = 0; i < 10; i++)
		put32(&st, (uint32_t)(100 + i) << 12 | 64);
	put_buf(&st, &ip);
	ether(&f, 0x8847, &st);
	ck_assert_int_eq(dec(DLT_EN10MB_, &f, &p), DECODE_UNSUPPORTED);
}
END_TEST

START_TEST(pppoe)
{
	struct buf ip, s, f;
	struct pkt p;
	long off;

	ref_ipv4(&ip);
	s.n = 0;
	put8(&s, 0x11);			/* version 1, type 1 */
	put8(&s, 0);			/* session data */
	put16(&s, 0x1234);		/* session id */
	put16(&s, 2 + ip.n);
	put16(&s, 0x0021);		/* PPP: IPv4 */
	put_buf(&s, &ip);
	ether(&f, 0x8864, &s);
	ck_assert_int_eq(dec_off(DLT_EN10MB_, &f, f.n, &p, &off), DECODE_OK);
	assert_ref_ipv4(&p, off, 14 + 8);

	ref_ipv6(&ip);
	s.n = 6;
	put16(&s, 0x0057);		/* PPP: IPv6 */
	put_buf(&s, &ip);
	ether(&f, 0x8864, &s);
	ck_assert_int_eq(dec_off(DLT_EN10MB_, &f, f.n, &p, &off), DECODE_OK);
	assert_ref_ipv6(&p, off, 14 + 8);

	f.b[14 + 6] = 0xc0;		/* LCP */
	f.b[14 + 7] = 0x21;
	ck_assert_int_eq(dec(DLT_EN10MB_, &f, &p), DECODE_NOT_IP);
}
END_TEST

struct sample {
	int dlt;
	struct buf f;
};

#define MAX_SAMPLES 32

/* Frames of every kind above, for the truncation and mutation loops. */
static void
sample_frames(struct sample *out, size_t *n, size_t max)
{
	struct buf ip4, ip6, a, b, c;

	*n = 0;
	ref_ipv4(&ip4);
	ref_ipv6(&ip6);
#define ADD(linktype, frame) do {					\
	ck_assert_uint_lt(*n, max);					\
	out[*n].dlt = (linktype);					\
	out[*n].f = (frame);						\
	(*n)++;								\
} while (0)
	ether(&a, 0x0800, &ip4);
	ADD(DLT_EN10MB_, a);
	ether(&a, 0x86dd, &ip6);
	ADD(DLT_EN10MB_, a);
	ADD(DLT_RAW_, ip4);
	ADD(DLT_IPV4_, ip4);
	ADD(DLT_IPV6_, ip6);
	/* VLAN, then IPv6 with extension headers and a fragment header. */
	b.n = 0;
	put8(&b, 44);
	put8(&b, 0);
	put8(&b, 1);
	put8(&b, 4);
	fill(&b, 0, 4);
	put8(&b, 6);
	put8(&b, 0);
	put16(&b, 0);
	put32(&b, 1);
	put(&b, ip6.b + 40, ip6.n - 40);
	ipv6(&c, 0, "2001:db8::1", "2001:db8::2", &b);
	b.n = 0;
	put16(&b, 7);
	put16(&b, 0x86dd);
	put_buf(&b, &c);
	ether(&a, 0x8100, &b);
	ADD(DLT_EN10MB_, a);
	/* GRE with a key around IPv4. */
	b.n = 0;
	put16(&b, 0x2000);
	put16(&b, 0x0800);
	put32(&b, 5);
	put_buf(&b, &ip4);
	ipv4(&c, 47, "203.0.113.1", "203.0.113.2", &b);
	ether(&a, 0x0800, &c);
	ADD(DLT_EN10MB_, a);
	/* VXLAN. */
	ether(&a, 0x0800, &ip4);
	b.n = 0;
	put32(&b, 0x08000000);
	put32(&b, 1 << 8);
	put_buf(&b, &a);
	udp(&c, 1, 4789, &b);
	ipv4(&b, 17, "172.16.0.1", "172.16.0.2", &c);
	ADD(DLT_RAW_, b);
	/* GTP-U with an extension header. */
	b.n = 0;
	put8(&b, 0x34);
	put8(&b, 0xff);
	put16(&b, 4 + 4 + ip4.n);
	put32(&b, 1);
	put16(&b, 0);
	put8(&b, 0);
	put8(&b, 0x85);			/* next extension: PDU session */
	put8(&b, 1);			/* 4 bytes */
	put8(&b, 0);
	put8(&b, 0);
	put8(&b, 0);			/* no more */
	put_buf(&b, &ip4);
	udp(&c, 2152, 2152, &b);
	ipv6(&b, 17, "2001:db8::1", "2001:db8::2", &c);
	ADD(DLT_IPV6_, b);
	/* MPLS, PPPoE, SLL, SLL2, NULL, LOOP, PPP, C-HDLC, PPI. */
	b.n = 0;
	put32(&b, 16u << 12 | 1 << 8 | 1);
	put_buf(&b, &ip6);
	ether(&a, 0x8847, &b);
	ADD(DLT_EN10MB_, a);
	b.n = 0;
	put32(&b, 0x11000001);
	put16(&b, 2 + ip4.n);
	put16(&b, 0x0021);
	put_buf(&b, &ip4);
	ether(&a, 0x8864, &b);
	ADD(DLT_EN10MB_, a);
	a.n = 0;
	fill(&a, 0, 14);
	put16(&a, 0x0800);
	put_buf(&a, &ip4);
	ADD(DLT_SLL_, a);
	a.n = 0;
	put16(&a, 0x86dd);
	fill(&a, 0, 18);
	put_buf(&a, &ip6);
	ADD(DLT_SLL2_, a);
	a.n = 0;
	put32le(&a, 2);
	put_buf(&a, &ip4);
	ADD(DLT_NULL_, a);
	a.n = 0;
	put32(&a, 30);
	put_buf(&a, &ip6);
	ADD(DLT_LOOP_, a);
	a.n = 0;
	put16(&a, 0xff03);
	put16(&a, 0x0057);
	put_buf(&a, &ip6);
	ADD(DLT_PPP_, a);
	a.n = 0;
	put32(&a, 0x0f000800);
	put_buf(&a, &ip4);
	ADD(DLT_C_HDLC_, a);
	ether(&b, 0x0800, &ip4);
	a.n = 0;
	put32(&a, 0x00000800);
	put32le(&a, DLT_EN10MB_);
	put_buf(&a, &b);
	ADD(DLT_PPI_, a);
#undef ADD
}

START_TEST(samples_decode_whole)
{
	struct sample *sm = xcalloc(MAX_SAMPLES, sizeof(*sm));
	struct pkt p;
	size_t n, i;

	sample_frames(sm, &n, MAX_SAMPLES);
	for (i = 0; i < n; i++)
		ck_assert_msg(dec(sm[i].dlt, &sm[i].f, &p) == DECODE_OK,
		    "sample %zu", i);
	free(sm);
}
END_TEST

/* Every truncation of every sample decodes to something, reading nothing
 * past the captured bytes. */
START_TEST(samples_truncated)
{
	struct sample *sm = xcalloc(MAX_SAMPLES, sizeof(*sm));
	struct pkt p;
	size_t n, i;
	uint32_t len;
	long off;

	sample_frames(sm, &n, MAX_SAMPLES);
	for (i = 0; i < n; i++) {
		for (len = 0; len < sm[i].f.n; len++) {
			enum decode_result r = dec_off(sm[i].dlt, &sm[i].f, len,
			    &p, &off);

			if (r == DECODE_OK) {
				ck_assert(p.ipver == 4 || p.ipver == 6);
				ck_assert_int_ge(off, 0);
			}
		}
	}
	free(sm);
}
END_TEST

static void
check_fuzz_result(enum decode_result r, const struct pkt *p,
    const uint8_t *frame, uint32_t len)
{
	ck_assert_int_lt(r, DECODE_NRESULTS);
	if (r != DECODE_OK)
		return;
	ck_assert_ptr_nonnull(p->l3);
	ck_assert(p->l3 >= frame && p->l3 < frame + len);
	ck_assert_uint_le(p->l3_len, len - (uint32_t)(p->l3 - frame));
	ck_assert(p->ipver == 4 || p->ipver == 6);
	if (p->ipver == 4) {
		ck_assert_int_eq(p->src[10], 0xff);
		ck_assert_int_eq(p->dst[11], 0xff);
	}
}

static const int fuzz_dlts[] = { DLT_NULL_, DLT_EN10MB_, DLT_PPP_, DLT_RAW_,
    DLT_C_HDLC_, DLT_LOOP_, DLT_SLL_, DLT_PPI_, DLT_IPV4_, DLT_IPV6_,
    DLT_SLL2_ };

#define FUZZ_FRAMES	20000
#define FUZZ_MAX_LEN	200

/* Decodes len bytes of frame from an exact-size heap copy and checks what
 * came out. */
static enum decode_result
fuzz_one(int dlt, const uint8_t *frame, uint32_t len)
{
	uint8_t *copy = xmalloc(len);
	enum decode_result r;
	struct pkt p;

	memcpy(copy, frame, len);
	memset(&p, 0, sizeof(p));
	r = decode_packet(dlt, copy, len, &p);
	check_fuzz_result(r, &p, copy, len);
	free(copy);
	return r;
}

/* Random bytes of random length for every link type. The seed is fixed so
 * a failure repeats. */
START_TEST(fuzz_random_frames)
{
	uint8_t frame[FUZZ_MAX_LEN];
	size_t d;
	int i;

	srand(20240229);
	for (d = 0; d < NELEM(fuzz_dlts); d++) {
		ck_assert(decode_linktype_supported(fuzz_dlts[d]));
		for (i = 0; i < FUZZ_FRAMES; i++) {
			uint32_t len = (uint32_t)(rand() % (FUZZ_MAX_LEN + 1)), j;

			for (j = 0; j < len; j++)
				frame[j] = (uint8_t)rand();
			fuzz_one(fuzz_dlts[d], frame, len);
		}
	}
}
END_TEST

/* Random bytes rarely get past the link header, so also: samples of each
 * link type (and now and then of another), cut short or padded with random
 * bytes, with a few bytes changed. */
START_TEST(fuzz_mutated_samples)
{
	struct sample *sm = xcalloc(MAX_SAMPLES, sizeof(*sm));
	const struct sample *mine[MAX_SAMPLES];
	uint8_t frame[FUZZ_MAX_LEN];
	size_t nsm, nmine, d, k;
	unsigned ok = 0;
	int i;

	sample_frames(sm, &nsm, MAX_SAMPLES);
	srand(19700101);
	for (d = 0; d < NELEM(fuzz_dlts); d++) {
		for (k = nmine = 0; k < nsm; k++)
			if (sm[k].dlt == fuzz_dlts[d])
				mine[nmine++] = &sm[k];
		ck_assert_uint_gt(nmine, 0);
		for (i = 0; i < FUZZ_FRAMES; i++) {
			const struct buf *s = rand() % 8 != 0 ?
			    &mine[(size_t)rand() % nmine]->f :
			    &sm[(size_t)rand() % nsm].f;
			uint32_t len, j;
			int m, nmut = rand() % 4;

			len = rand() % 2 == 0 ? s->n :
			    (uint32_t)(rand() % (FUZZ_MAX_LEN + 1));
			if (len > FUZZ_MAX_LEN)
				len = FUZZ_MAX_LEN;
			for (j = 0; j < len; j++)
				frame[j] = j < s->n ? s->b[j] : (uint8_t)rand();
			for (m = 0; m < nmut && len > 0; m++)
				frame[(uint32_t)rand() % len] = (uint8_t)rand();
			ok += fuzz_one(fuzz_dlts[d], frame, len) == DECODE_OK;
		}
	}
	/* The mutations reach the deep layers, not only the link header. */
	ck_assert_uint_gt(ok, FUZZ_FRAMES * NELEM(fuzz_dlts) / 5);
	free(sm);
}
END_TEST

Suite *
decode_suite(void)
{
	Suite *s = suite_create("decode");
	TCase *tc;

	tc = tcase_create("link");
	tcase_add_test(tc, ether_ipv4_tcp);
	tcase_add_test(tc, ether_ipv6_tcp);
	tcase_add_test(tc, vlan_tags);
	tcase_add_test(tc, linux_sll);
	tcase_add_test(tc, raw_ip);
	tcase_add_test(tc, null_and_loop);
	tcase_add_test(tc, ppp_hdlc_ppi);
	tcase_add_test(tc, not_ip_and_unsupported);
	tcase_add_test(tc, ethernet_padding);
	suite_add_tcase(s, tc);

	tc = tcase_create("ip");
	tcase_add_test(tc, ipv6_extension_headers);
	tcase_add_test(tc, ipv6_fragment_header);
	tcase_add_test(tc, ipv4_fragments);
	tcase_add_test(tc, ipv4_mapped_addresses);
	tcase_add_test(tc, malformed_headers);
	tcase_add_test(tc, truncation_every_length);
	suite_add_tcase(s, tc);

	tc = tcase_create("encap");
	tcase_add_test(tc, ip_in_ip);
	tcase_add_test(tc, gre);
	tcase_add_test(tc, gre_bridged_ethernet);
	tcase_add_test(tc, vxlan);
	tcase_add_test(tc, vxlan_port_without_vxlan);
	tcase_add_test(tc, gtpu);
	tcase_add_test(tc, mpls);
	tcase_add_test(tc, pppoe);
	suite_add_tcase(s, tc);

	tc = tcase_create("robustness");
	tcase_add_test(tc, samples_decode_whole);
	tcase_add_test(tc, samples_truncated);
	tcase_add_test(tc, fuzz_random_frames);
	tcase_add_test(tc, fuzz_mutated_samples);
	suite_add_tcase(s, tc);
	return s;
}
