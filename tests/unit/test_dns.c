/*
 * test_dns.c: the DNS reader on messages built byte by byte (compression,
 * loops, pointers past the end, bad labels, every truncation), the name
 * cache's LRU at its bound, and the tunnel detector on an iodine-like
 * stream against ordinary browsing, with packet times moving the window.
 */
#include <arpa/inet.h>
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dns.h"
#include "suites.h"
#include "util.h"

#define SEC 1000000ULL

struct mb {
	uint8_t b[2048];
	size_t n;
};

static void
put8(struct mb *m, unsigned v)
{
	ck_assert_uint_lt(m->n, sizeof(m->b));
	m->b[m->n++] = (uint8_t)v;
}

static void
put16(struct mb *m, unsigned v)
{
	put8(m, v >> 8);
	put8(m, v & 0xff);
}

static void
put32(struct mb *m, uint32_t v)
{
	put16(m, v >> 16);
	put16(m, v & 0xffff);
}

static void
put_bytes(struct mb *m, const void *p, size_t n)
{
	ck_assert_uint_le(m->n + n, sizeof(m->b));
	memcpy(m->b + m->n, p, n);
	m->n += n;
}

/* Writes the labels of a dotted name, without the terminating zero. */
static void
put_labels(struct mb *m, const char *name)
{
	const char *dot;
	size_t n;

	while (*name != '\0') {
		dot = strchr(name, '.');
		n = dot != NULL ? (size_t)(dot - name) : strlen(name);
		put8(m, (unsigned)n);
		put_bytes(m, name, n);
		name += n;
		if (*name == '.')
			name++;
	}
}

static void
put_name(struct mb *m, const char *name)
{
	put_labels(m, name);
	put8(m, 0);
}

static void
header(struct mb *m, unsigned id, unsigned flags, unsigned qd, unsigned an,
    unsigned ns, unsigned ar)
{
	m->n = 0;
	put16(m, id);
	put16(m, flags);
	put16(m, qd);
	put16(m, an);
	put16(m, ns);
	put16(m, ar);
}

static void
map4(const char *a, uint8_t out[16])
{
	memset(out, 0, 16);
	out[10] = out[11] = 0xff;
	ck_assert_int_eq(inet_pton(AF_INET, a, out + 12), 1);
}

static void
addr6(const char *a, uint8_t out[16])
{
	ck_assert_int_eq(inet_pton(AF_INET6, a, out), 1);
}

/* Parses m from a buffer of exactly its length, so ASan sees overreads. */
static int
parse(const struct mb *m, size_t len, struct dns_msg *out)
{
	uint8_t *copy = malloc(len > 0 ? len : 1);
	int r;

	ck_assert_ptr_nonnull(copy);
	memcpy(copy, m->b, len);
	r = dns_parse(copy, len, out);
	free(copy);
	return r;
}

/*
 * www.Example.COM A, answered by a CNAME to cdn.example.net, an A for the
 * CNAME's target (owner: a pointer into the CNAME's RDATA) and an AAAA for
 * edge.example.net (a label, then a pointer to the middle of that RDATA),
 * with an NS in authority and an EDNS OPT record in additional.
 */
static void
response(struct mb *m)
{
	size_t cname_rdata;

	header(m, 0x1234, 0x8180, 1, 3, 1, 1);
	put_name(m, "www.Example.COM");			/* at 12 */
	put16(m, 1);
	put16(m, 1);
	/* CNAME: owner = pointer to the question's name */
	put16(m, 0xc00c);
	put16(m, 5);
	put16(m, 1);
	put32(m, 300);
	put16(m, 17);
	cname_rdata = m->n;
	put_name(m, "cdn.example.net");			/* 17 bytes */
	/* A: owner = pointer to the CNAME target */
	put16(m, 0xc000 | (unsigned)cname_rdata);
	put16(m, 1);
	put16(m, 1);
	put32(m, 60);
	put16(m, 4);
	put_bytes(m, "\x5d\xb8\xd8\x22", 4);
	/* AAAA: owner = "edge" + pointer to example.net inside the RDATA */
	put8(m, 4);
	put_bytes(m, "edge", 4);
	put16(m, 0xc000 | (unsigned)(cname_rdata + 4));
	put16(m, 28);
	put16(m, 1);
	put32(m, 60);
	put16(m, 16);
	put_bytes(m, "\x26\x06\x28\x00\x02\x20\x00\x01\x02\x48\x18\x93\x25\xc8\x19\x46", 16);
	/* NS in authority: example.net -> ns1 + pointer */
	put16(m, 0xc000 | (unsigned)(cname_rdata + 4));
	put16(m, 2);
	put16(m, 1);
	put32(m, 3600);
	put16(m, 6);
	put8(m, 3);
	put_bytes(m, "ns1", 3);
	put16(m, 0xc000 | (unsigned)(cname_rdata + 4));
	/* OPT */
	put8(m, 0);
	put16(m, 41);
	put16(m, 1232);
	put32(m, 0);
	put16(m, 0);
}

START_TEST(parse_response)
{
	struct dns_msg d;
	struct mb m;
	uint8_t a[16];

	response(&m);
	ck_assert_int_eq(parse(&m, m.n, &d), 0);
	ck_assert_uint_eq(d.id, 0x1234);
	ck_assert_int_eq(d.is_response, 1);
	ck_assert_str_eq(d.qname, "www.example.com");
	ck_assert_uint_eq(d.qtype, 1);
	ck_assert_uint_eq(d.nanswers, 2);
	map4("93.184.216.34", a);
	ck_assert_mem_eq(d.answers[0], a, 16);
	addr6("2606:2800:220:1:248:1893:25c8:1946", a);
	ck_assert_mem_eq(d.answers[1], a, 16);
}
END_TEST

START_TEST(parse_query)
{
	struct dns_msg d;
	struct mb m;

	header(&m, 0xbeef, 0x0120, 1, 0, 0, 0);
	put_name(&m, "MAIL.Example.ORG");
	put16(&m, 15);
	put16(&m, 1);
	ck_assert_int_eq(parse(&m, m.n, &d), 0);
	ck_assert_int_eq(d.is_response, 0);
	ck_assert_str_eq(d.qname, "mail.example.org");
	ck_assert_uint_eq(d.qtype, 15);
	ck_assert_uint_eq(d.nanswers, 0);

	/* The root: an empty name. */
	header(&m, 1, 0, 1, 0, 0, 0);
	put8(&m, 0);
	put16(&m, 2);
	put16(&m, 1);
	ck_assert_int_eq(parse(&m, m.n, &d), 0);
	ck_assert_str_eq(d.qname, "");

	/* Octets that are not printable, a dot or a space in a label become
	 * upper-case stand-ins; one character each. */
	header(&m, 1, 0, 1, 0, 0, 0);
	put8(&m, 5);
	put_bytes(&m, "a.b \xbc", 5);
	put_name(&m, "example.org");
	put16(&m, 10);
	put16(&m, 1);
	ck_assert_int_eq(parse(&m, m.n, &d), 0);
	ck_assert_uint_eq(strlen(d.qname), 5 + 1 + 11);
	ck_assert_int_eq(d.qname[0], 'a');
	ck_assert(d.qname[1] >= 'A' && d.qname[1] <= 'Z');
	ck_assert(d.qname[3] >= 'A' && d.qname[3] <= 'Z');
	ck_assert(d.qname[4] >= 'A' && d.qname[4] <= 'Z');
	ck_assert_str_eq(d.qname + 5, ".example.org");

	/* Trailing octets after the last record are tolerated. */
	header(&m, 1, 0, 1, 0, 0, 0);
	put_name(&m, "example.org");
	put16(&m, 1);
	put16(&m, 1);
	put16(&m, 0);
	ck_assert_int_eq(parse(&m, m.n, &d), 0);
}
END_TEST

START_TEST(parse_truncated)
{
	struct dns_msg d;
	struct mb m;
	size_t len;

	response(&m);
	for (len = 0; len < m.n; len++) {
		ck_assert_msg(parse(&m, len, &d) == -1, "length %zu", len);
		ck_assert_str_eq(d.qname, "");
		ck_assert_uint_eq(d.nanswers, 0);
	}
	ck_assert_int_eq(parse(&m, m.n, &d), 0);
	ck_assert_int_eq(dns_parse(NULL, 0, &d), -1);
}
END_TEST

START_TEST(parse_bad_names)
{
	struct dns_msg d;
	struct mb m;
	char label[64];
	unsigned i;

	/* A pointer to itself. */
	header(&m, 1, 0, 1, 0, 0, 0);
	put16(&m, 0xc00c);
	put16(&m, 1);
	put16(&m, 1);
	ck_assert_int_eq(parse(&m, m.n, &d), -1);

	/* Two pointers to each other, behind a label. */
	header(&m, 1, 0, 1, 0, 0, 0);
	put8(&m, 1);
	put8(&m, 'a');
	put16(&m, 0xc010);		/* at 14, to 16 */
	put16(&m, 0xc00e);		/* at 16, to 14 */
	put16(&m, 1);
	put16(&m, 1);
	ck_assert_int_eq(parse(&m, m.n, &d), -1);

	/* A pointer past the end of the message. */
	header(&m, 1, 0, 1, 0, 0, 0);
	put16(&m, 0xc000 | 200);
	put16(&m, 1);
	put16(&m, 1);
	ck_assert_int_eq(parse(&m, m.n, &d), -1);
	/* ... or cut in half. */
	header(&m, 1, 0, 1, 0, 0, 0);
	put8(&m, 0xc0);
	ck_assert_int_eq(parse(&m, m.n, &d), -1);

	/* Label lengths 64 and up are the extended types 0x40 / 0x80. */
	header(&m, 1, 0, 1, 0, 0, 0);
	put8(&m, 64);
	for (i = 0; i < 64; i++)
		put8(&m, 'a');
	put8(&m, 0);
	put16(&m, 1);
	put16(&m, 1);
	ck_assert_int_eq(parse(&m, m.n, &d), -1);
	m.b[12] = 0x80;
	ck_assert_int_eq(parse(&m, m.n, &d), -1);

	/* 255 octets is the most a name may have: 3 x 63 + 61 fits... */
	memset(label, 'x', 63);
	label[63] = '\0';
	header(&m, 1, 0, 1, 0, 0, 0);
	for (i = 0; i < 3; i++) {
		put8(&m, 63);
		put_bytes(&m, label, 63);
	}
	put8(&m, 61);
	put_bytes(&m, label, 61);
	put8(&m, 0);
	put16(&m, 1);
	put16(&m, 1);
	ck_assert_int_eq(parse(&m, m.n, &d), 0);
	ck_assert_uint_eq(strlen(d.qname), 253);
	/* ... 3 x 63 + 62 does not. */
	header(&m, 1, 0, 1, 0, 0, 0);
	for (i = 0; i < 3; i++) {
		put8(&m, 63);
		put_bytes(&m, label, 63);
	}
	put8(&m, 62);
	put_bytes(&m, label, 62);
	put8(&m, 0);
	put16(&m, 1);
	put16(&m, 1);
	ck_assert_int_eq(parse(&m, m.n, &d), -1);
	/* Nor a long name assembled through pointers. */
	header(&m, 1, 0, 1, 1, 0, 0);
	put_name(&m, "a.b");
	put16(&m, 1);
	put16(&m, 1);
	for (i = 0; i < 4; i++) {
		put8(&m, 63);
		put_bytes(&m, label, 63);
	}
	put16(&m, 0xc00c);
	put16(&m, 1);
	put16(&m, 1);
	put32(&m, 0);
	put16(&m, 4);
	put32(&m, 0);
	ck_assert_int_eq(parse(&m, m.n, &d), -1);
}
END_TEST

START_TEST(parse_jump_limit)
{
	struct dns_msg d;

	/* A chain of n pointers, each to the one before it and the first
	 * to the question's name, kept in a CNAME's RDATA; a second answer's
	 * owner points at the chain's end. */
	{
		unsigned n;

		for (n = 1; n <= 20; n++) {
			struct mb c;
			size_t start, i;

			header(&c, 1, 0x8180, 1, 1, 0, 0);
			put_name(&c, "example.org");
			put16(&c, 1);
			put16(&c, 1);
			put16(&c, 0xc00c);
			put16(&c, 5);
			put16(&c, 1);
			put32(&c, 0);
			put16(&c, (unsigned)(2 * n));
			start = c.n;
			for (i = 0; i < n; i++)
				put16(&c, i == 0 ? 0xc00c :
				    0xc000 | (unsigned)(start + 2 * (i - 1)));
			c.b[7] = 2;	/* ANCOUNT */
			put16(&c, 0xc000 | (unsigned)(start + 2 * (n - 1)));
			put16(&c, 1);
			put16(&c, 1);
			put32(&c, 0);
			put16(&c, 4);
			put32(&c, 0x0a000001);
			/* Jumps for the owner: 1 to the last pointer, then
			 * n - 1 back along the chain, then 1 to 12: n + 1. */
			if (n + 1 <= 16)
				ck_assert_msg(parse(&c, c.n, &d) == 0, "n=%u", n);
			else
				ck_assert_msg(parse(&c, c.n, &d) == -1, "n=%u", n);
		}
	}
}
END_TEST

START_TEST(parse_records)
{
	struct dns_msg d;
	struct mb m;
	unsigned i;

	/* A with RDLENGTH 5, and AAAA with 5: malformed. */
	header(&m, 1, 0x8180, 1, 1, 0, 0);
	put_name(&m, "example.org");
	put16(&m, 1);
	put16(&m, 1);
	put16(&m, 0xc00c);
	put16(&m, 1);
	put16(&m, 1);
	put32(&m, 0);
	put16(&m, 5);
	put_bytes(&m, "\x01\x02\x03\x04\x05", 5);
	ck_assert_int_eq(parse(&m, m.n, &d), -1);
	m.b[12 + 13 + 4 + 3] = 28;		/* the type's low byte */
	ck_assert_int_eq(parse(&m, m.n, &d), -1);

	/* An RDLENGTH past the end. */
	header(&m, 1, 0x8180, 1, 1, 0, 0);
	put_name(&m, "example.org");
	put16(&m, 1);
	put16(&m, 1);
	put16(&m, 0xc00c);
	put16(&m, 16);
	put16(&m, 1);
	put32(&m, 0);
	put16(&m, 40);
	put_bytes(&m, "\x05hello", 6);
	ck_assert_int_eq(parse(&m, m.n, &d), -1);

	/* QDCOUNT other than 1. */
	header(&m, 1, 0, 0, 0, 0, 0);
	ck_assert_int_eq(parse(&m, m.n, &d), -1);
	header(&m, 1, 0, 2, 0, 0, 0);
	put_name(&m, "a.org");
	put16(&m, 1);
	put16(&m, 1);
	put_name(&m, "b.org");
	put16(&m, 1);
	put16(&m, 1);
	ck_assert_int_eq(parse(&m, m.n, &d), -1);

	/* 20 A answers: the first 16 are kept, class CH ones skipped. */
	header(&m, 1, 0x8180, 1, 21, 0, 0);
	put_name(&m, "many.example.org");
	put16(&m, 1);
	put16(&m, 1);
	put16(&m, 0xc00c);
	put16(&m, 1);
	put16(&m, 3);			/* CHAOS: not an address of ours */
	put32(&m, 0);
	put16(&m, 4);
	put32(&m, 0x7f000001);
	for (i = 0; i < 20; i++) {
		put16(&m, 0xc00c);
		put16(&m, 1);
		put16(&m, 1);
		put32(&m, 0);
		put16(&m, 4);
		put32(&m, 0x0a000000 + i);
	}
	ck_assert_int_eq(parse(&m, m.n, &d), 0);
	ck_assert_uint_eq(d.nanswers, 16);
	ck_assert_uint_eq(d.answers[15][15], 15);
	ck_assert_uint_eq(d.answers[0][15], 0);
}
END_TEST

/* Random bytes and single-byte mutations of a good response: any result,
 * but no read outside the buffer (ASan) and a consistent output. */
START_TEST(parse_fuzz)
{
	struct dns_msg d;
	struct mb m, good;
	uint64_t x = 0x243f6a8885a308d3ULL;
	unsigned i, ok = 0;
	size_t len, j;

	response(&good);
	for (i = 0; i < 200000; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		if (i % 2) {
			m = good;
			m.b[(x >> 8) % good.n] = (uint8_t)(x >> 32);
			if (i % 4 == 1)
				m.b[(x >> 20) % good.n] = (uint8_t)(x >> 40);
			len = good.n;
		} else {
			len = (x >> 8) % 300;
			for (j = 0; j < len; j++) {
				x ^= x << 13;
				x ^= x >> 7;
				x ^= x << 17;
				m.b[j] = (uint8_t)x;
			}
			if (len > 5) {
				m.b[4] = 0;
				m.b[5] = 1;
			}
		}
		if (parse(&m, len, &d) == 0) {
			ok++;
			ck_assert_uint_le(d.nanswers, 16);
			ck_assert_uint_lt(strlen(d.qname), DNS_NAME_MAX);
		}
	}
	ck_assert_uint_gt(ok, 0);
}
END_TEST

/* ---- The cache ---- */

START_TEST(cache_basics)
{
	struct dns_cache *c;
	uint8_t vm1[16], vm2[16], a[16], b[16];
	char longname[254];

	ck_assert_ptr_null(dns_cache_new(0));
	dns_cache_free(NULL);
	c = dns_cache_new(8);
	ck_assert_ptr_nonnull(c);
	map4("192.0.2.10", vm1);
	map4("192.0.2.11", vm2);
	map4("93.184.216.34", a);
	addr6("2606:2800:220:1:248:1893:25c8:1946", b);
	ck_assert_ptr_null(dns_cache_get(c, vm1, a));
	dns_cache_put(c, vm1, a, "www.example.com");
	dns_cache_put(c, vm1, b, "www.example.com");
	dns_cache_put(c, vm2, a, "other.example.net");
	ck_assert_str_eq(dns_cache_get(c, vm1, a), "www.example.com");
	ck_assert_str_eq(dns_cache_get(c, vm1, b), "www.example.com");
	ck_assert_str_eq(dns_cache_get(c, vm2, a), "other.example.net");
	ck_assert_ptr_null(dns_cache_get(c, vm2, b));
	/* Replacement: the same key, a new name. */
	dns_cache_put(c, vm1, a, "cdn.example.org");
	ck_assert_str_eq(dns_cache_get(c, vm1, a), "cdn.example.org");
	/* The longest name fits whole. */
	memset(longname, 'q', 253);
	longname[253] = '\0';
	dns_cache_put(c, vm2, b, longname);
	ck_assert_str_eq(dns_cache_get(c, vm2, b), longname);
	dns_cache_free(c);
}
END_TEST

static void
addr_n(unsigned n, uint8_t out[16])
{
	memset(out, 0, 16);
	out[10] = out[11] = 0xff;
	out[12] = 10;
	out[13] = (uint8_t)(n >> 16);
	out[14] = (uint8_t)(n >> 8);
	out[15] = (uint8_t)n;
}

START_TEST(cache_lru)
{
	struct dns_cache *c = dns_cache_new(4);
	uint8_t vm[16], a[16];
	char name[32];
	unsigned i;

	map4("192.0.2.10", vm);
	for (i = 0; i < 4; i++) {
		addr_n(i, a);
		snprintf(name, sizeof(name), "host%u.example", i);
		dns_cache_put(c, vm, a, name);
	}
	/* Use 0, so 1 is the least recently used; a fifth entry evicts it. */
	addr_n(0, a);
	ck_assert_str_eq(dns_cache_get(c, vm, a), "host0.example");
	addr_n(4, a);
	dns_cache_put(c, vm, a, "host4.example");
	addr_n(1, a);
	ck_assert_ptr_null(dns_cache_get(c, vm, a));
	for (i = 0; i < 5; i++) {
		if (i == 1)
			continue;
		addr_n(i, a);
		snprintf(name, sizeof(name), "host%u.example", i);
		ck_assert_str_eq(dns_cache_get(c, vm, a), name);
	}
	/* The gets left 0 the oldest; a put to it refreshes it (and
	 * replaces its name), so the next new key evicts 2. */
	addr_n(0, a);
	dns_cache_put(c, vm, a, "host0b.example");
	addr_n(5, a);
	dns_cache_put(c, vm, a, "host5.example");
	addr_n(2, a);
	ck_assert_ptr_null(dns_cache_get(c, vm, a));
	addr_n(0, a);
	ck_assert_str_eq(dns_cache_get(c, vm, a), "host0b.example");
	dns_cache_free(c);

	/* Many more puts than entries: exactly the newest max remain. */
	c = dns_cache_new(1000);
	for (i = 0; i < 5000; i++) {
		addr_n(i, a);
		snprintf(name, sizeof(name), "n%u.example", i);
		dns_cache_put(c, vm, a, name);
	}
	for (i = 0; i < 5000; i++) {
		addr_n(i, a);
		if (i < 4000)
			ck_assert_ptr_null(dns_cache_get(c, vm, a));
		else {
			snprintf(name, sizeof(name), "n%u.example", i);
			ck_assert_str_eq(dns_cache_get(c, vm, a), name);
		}
	}
	dns_cache_free(c);

	/* A table of one. */
	c = dns_cache_new(1);
	addr_n(1, a);
	dns_cache_put(c, vm, a, "one");
	addr_n(2, a);
	dns_cache_put(c, vm, a, "two");
	ck_assert_str_eq(dns_cache_get(c, vm, a), "two");
	addr_n(1, a);
	ck_assert_ptr_null(dns_cache_get(c, vm, a));
	dns_cache_free(c);
}
END_TEST

/* ---- The tunnel detector ---- */

static uint64_t trng = 0x853c49e6748fea9bULL;

static char
b32(void)
{
	static const char alpha[] = "abcdefghijklmnopqrstuvwxyz012345";

	trng ^= trng << 13;
	trng ^= trng >> 7;
	trng ^= trng << 17;
	return alpha[(trng >> 11) % 32];
}

static void
query(struct dns_msg *q, const char *name, uint16_t type)
{
	memset(q, 0, sizeof(*q));
	ck_assert_uint_lt(str_copy(q->qname, name, sizeof(q->qname)), sizeof(q->qname));
	q->qtype = type;
}

/* An iodine-like query: 50 encoded characters below t.example.org. */
static void
iodine_query(struct dns_msg *q, uint16_t type)
{
	char name[128];
	size_t i;

	for (i = 0; i < 50; i++)
		name[i] = b32();
	snprintf(name + 50, sizeof(name) - 50, ".t.example.org");
	query(q, name, type);
}

START_TEST(tunnel_iodine)
{
	struct dns_tunnel *t = dns_tunnel_new(64);
	struct dns_msg q;
	struct heur_hit h, first;
	uint8_t vm[16];
	unsigned i, hits = 0, at = 0;

	ck_assert_ptr_null(dns_tunnel_new(0));
	dns_tunnel_free(NULL);
	map4("192.0.2.10", vm);
	for (i = 0; i < 25; i++) {
		iodine_query(&q, 10);
		if (dns_tunnel_query(t, vm, &q, 1000 * SEC + i * SEC / 2, &h)) {
			if (hits++ == 0) {
				first = h;
				at = i + 1;
			}
		}
	}
	ck_assert_uint_eq(hits, 1);
	ck_assert_uint_eq(at, 20);
	ck_assert_int_eq(first.category, CAT_PROXY);
	ck_assert_str_eq(first.name, "dns-tunnel");
	ck_assert_int_eq(first.confidence, CONF_HIGH);
	ck_assert_msg(strncmp(first.detail, "example.org: 20 long (H=", 24) == 0,
	    "%s", first.detail);
	/* Once per entry, however long it goes on. */
	for (i = 0; i < 100; i++) {
		iodine_query(&q, 10);
		ck_assert_int_eq(dns_tunnel_query(t, vm, &q, 1020 * SEC + i * SEC, &h), 0);
	}
	/* Another VM has its own entry. */
	map4("192.0.2.11", vm);
	for (i = 0, hits = 0; i < 25; i++) {
		iodine_query(&q, 16);
		hits += (unsigned)dns_tunnel_query(t, vm, &q, 2000 * SEC + i * SEC, &h);
	}
	ck_assert_uint_eq(hits, 1);
	dns_tunnel_free(t);
}
END_TEST

START_TEST(tunnel_long_a_queries_medium)
{
	struct dns_tunnel *t = dns_tunnel_new(64);
	struct dns_msg q;
	struct heur_hit h;
	uint8_t vm[16];
	unsigned i, hits = 0;

	/* Long encoded labels in A queries (a tunnel's upstream, or
	 * iodine falling back to A): the length sign alone, medium. */
	map4("192.0.2.10", vm);
	for (i = 0; i < 25; i++) {
		iodine_query(&q, 1);
		hits += (unsigned)dns_tunnel_query(t, vm, &q, i * SEC, &h);
	}
	ck_assert_uint_eq(hits, 1);
	ck_assert_int_eq(h.confidence, CONF_MEDIUM);
	dns_tunnel_free(t);
}
END_TEST

START_TEST(tunnel_volume_medium)
{
	struct dns_tunnel *t = dns_tunnel_new(64);
	struct dns_msg q;
	struct heur_hit h;
	uint8_t vm[16];
	char name[64];
	unsigned i, hits = 0, at = 0;

	/* Short unique labels, TXT: the volume sign alone (dnscat2-like
	 * polling), reported at the 30th query, medium. */
	map4("192.0.2.10", vm);
	for (i = 0; i < 40; i++) {
		snprintf(name, sizeof(name), "%c%c%c%c%c%c.c2.example.co.uk", b32(),
		    b32(), b32(), b32(), b32(), b32());
		query(&q, name, 16);
		if (dns_tunnel_query(t, vm, &q, i * SEC, &h) && hits++ == 0)
			at = i + 1;
	}
	ck_assert_uint_eq(hits, 1);
	ck_assert_uint_eq(at, 30);
	ck_assert_int_eq(h.confidence, CONF_MEDIUM);
	ck_assert_msg(strncmp(h.detail, "example.co.uk: ", 15) == 0, "%s", h.detail);
	dns_tunnel_free(t);
}
END_TEST

START_TEST(tunnel_window_expires)
{
	struct dns_tunnel *t = dns_tunnel_new(64);
	struct dns_msg q;
	struct heur_hit h;
	uint8_t vm[16];
	unsigned i, hits = 0;

	map4("192.0.2.10", vm);
	/* 15 at t = 0..14 s and 15 at t = 100..114 s: never 20 in a window. */
	for (i = 0; i < 15; i++) {
		iodine_query(&q, 10);
		hits += (unsigned)dns_tunnel_query(t, vm, &q, 5000 * SEC + i * SEC, &h);
	}
	for (i = 0; i < 15; i++) {
		iodine_query(&q, 10);
		hits += (unsigned)dns_tunnel_query(t, vm, &q, 5100 * SEC + i * SEC, &h);
	}
	ck_assert_uint_eq(hits, 0);
	/* The same 30 within 45 s: reported. */
	map4("192.0.2.12", vm);
	for (i = 0; i < 30; i++) {
		iodine_query(&q, 10);
		hits += (unsigned)dns_tunnel_query(t, vm, &q, 6000 * SEC + i * 1500000ULL, &h);
	}
	ck_assert_uint_eq(hits, 1);
	dns_tunnel_free(t);
}
END_TEST

START_TEST(tunnel_ordinary_browsing)
{
	static const char *const domains[50] = {
		"google.com", "youtube.com", "facebook.com", "wikipedia.org",
		"amazon.com", "cloudfront.net", "akamaiedge.net", "github.com",
		"githubusercontent.com", "debian.org", "ubuntu.com", "python.org",
		"pypi.org", "npmjs.org", "docker.io", "docker.com", "microsoft.com",
		"windows.net", "azure.com", "apple.com", "icloud.com", "bbc.co.uk",
		"gov.uk", "example.com", "example.org", "mozilla.org", "firefox.com",
		"cloudflare.com", "fastly.net", "stackoverflow.com", "reddit.com",
		"twitter.com", "x.com", "linkedin.com", "netflix.com", "nflxvideo.net",
		"spotify.com", "slack.com", "zoom.us", "office.com", "live.com",
		"yahoo.com", "bing.com", "duckduckgo.com", "letsencrypt.org",
		"digicert.com", "sentry.io", "datadoghq.com", "amazonaws.com",
		"googleapis.com",
	};
	static const char *const hosts[] = {
		"www", "api", "cdn", "static", "mail", "login", "d1234abcd",
		"d3kx8s7f2qz9lm", "e1234.dscb", "s3.eu-west-1", "ocsp", "clients4",
	};
	static const uint16_t types[] = { 1, 28, 1, 28, 65, 15, 16, 5 };
	struct dns_tunnel *t = dns_tunnel_new(256);
	struct dns_msg q;
	struct heur_hit h;
	uint8_t vm[16];
	char name[DNS_NAME_MAX];
	unsigned i, hits = 0;

	map4("192.0.2.10", vm);
	for (i = 0; i < 200; i++) {
		snprintf(name, sizeof(name), "%s.%s", hosts[(i * 7) % NELEM(hosts)],
		    domains[i % 50]);
		query(&q, name, types[i % NELEM(types)]);
		hits += (unsigned)dns_tunnel_query(t, vm, &q, i * SEC / 4, &h);
	}
	/* Repeated names, a busy one: www.google.com, 100 times, A/AAAA/TXT. */
	for (i = 0; i < 100; i++) {
		query(&q, "www.google.com", types[i % NELEM(types)]);
		hits += (unsigned)dns_tunnel_query(t, vm, &q, 60 * SEC + i * SEC / 10, &h);
	}
	/* A CDN hash a few times, and a long but repeated telemetry name. */
	for (i = 0; i < 50; i++) {
		query(&q, i % 2 ? "d1234abcd5678ef.cloudfront.net" :
		    "x7f3k2m9q8w1e4r6t5y0u3i2o1p9a8s7d.telemetry.example.net", 1);
		hits += (unsigned)dns_tunnel_query(t, vm, &q, 80 * SEC + i * SEC / 10, &h);
	}
	/* Reverse lookups and DNSBL queries: short labels, or .arpa. */
	for (i = 0; i < 60; i++) {
		snprintf(name, sizeof(name),
		    "%x.%x.%x.%x.%x.%x.%x.%x.%x.%x.%x.%x.%x.%x.%x.%x.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa",
		    i & 15, (i >> 4) & 15, (i * 7) & 15, (i * 3) & 15, (i * 5) & 15,
		    (i * 11) & 15, (i * 13) & 15, (i * 9) & 15, i & 7, (i * 2) & 15,
		    (i * 6) & 15, (i * 10) & 15, (i * 14) & 15, (i * 12) & 15,
		    (i * 15) & 15, (i * 4) & 15);
		query(&q, name, 12);
		hits += (unsigned)dns_tunnel_query(t, vm, &q, 90 * SEC + i * SEC / 10, &h);
		snprintf(name, sizeof(name), "%u.%u.113.203.zen.spamhaus.org", i, i * 3 % 256);
		query(&q, name, i % 2 ? 1 : 16);
		hits += (unsigned)dns_tunnel_query(t, vm, &q, 90 * SEC + i * SEC / 10, &h);
	}
	/* Responses are not queries. */
	for (i = 0; i < 40; i++) {
		iodine_query(&q, 10);
		q.is_response = 1;
		hits += (unsigned)dns_tunnel_query(t, vm, &q, 100 * SEC + i * SEC / 10, &h);
	}
	ck_assert_uint_eq(hits, 0);
	dns_tunnel_free(t);
}
END_TEST

START_TEST(tunnel_base_domains_and_bound)
{
	struct dns_tunnel *t = dns_tunnel_new(2);
	struct dns_msg q;
	struct heur_hit h;
	uint8_t vm[16];
	char name[DNS_NAME_MAX];
	unsigned i, k, hits = 0;
	size_t j;

	map4("192.0.2.10", vm);
	/* example.co.uk and other.co.uk are two base domains: 15 each. */
	for (i = 0; i < 30; i++) {
		for (j = 0; j < 40; j++)
			name[j] = b32();
		snprintf(name + 40, sizeof(name) - 40, ".%s.co.uk",
		    i % 2 ? "example" : "other");
		query(&q, name, 10);
		hits += (unsigned)dns_tunnel_query(t, vm, &q, i * SEC, &h);
	}
	ck_assert_uint_eq(hits, 0);
	/* Three domains in a table of two, round robin: each use evicts the
	 * next one's counts, so none accumulates; no crash either way. */
	for (i = 0; i < 90; i++) {
		k = i % 3;
		for (j = 0; j < 40; j++)
			name[j] = b32();
		snprintf(name + 40, sizeof(name) - 40, ".t.d%u.example", k);
		query(&q, name, 10);
		hits += (unsigned)dns_tunnel_query(t, vm, &q, 100 * SEC + i * SEC / 2, &h);
	}
	ck_assert_uint_eq(hits, 0);
	/* Names too short to have a subdomain take no entry. */
	query(&q, "example", 10);
	ck_assert_int_eq(dns_tunnel_query(t, vm, &q, 200 * SEC, &h), 0);
	query(&q, "example.org", 10);
	ck_assert_int_eq(dns_tunnel_query(t, vm, &q, 200 * SEC, &h), 0);
	query(&q, "example.co.uk", 10);
	ck_assert_int_eq(dns_tunnel_query(t, vm, &q, 200 * SEC, &h), 0);
	query(&q, "", 10);
	ck_assert_int_eq(dns_tunnel_query(t, vm, &q, 200 * SEC, &h), 0);
	dns_tunnel_free(t);
}
END_TEST

/* iodine's raw mode (iodine-raw.pcap): its header on the DNS flow. */
START_TEST(iodine_raw)
{
	static const uint8_t login[] = { 0x10, 0xd1, 0x9e, 0x10, 0x5a, 0x11,
		0x0c, 0x7e, 0x33, 0x90, 0x21, 0x4d, 0x02, 0xe1, 0x38, 0x6a,
		0x4f, 0x70, 0x99, 0x0b };
	static const uint8_t ping[] = { 0x10, 0xd1, 0x9e, 0x31 };
	uint8_t other[4] = { 0x10, 0xd1, 0x9e, 0x40 };
	struct heur_hit h;

	memset(&h, 0, sizeof(h));
	ck_assert_int_eq(dns_iodine_raw(login, sizeof(login), &h), 1);
	ck_assert_int_eq(h.category, CAT_PROXY);
	ck_assert_int_eq(h.confidence, CONF_HIGH);
	ck_assert_str_eq(h.detail,
	    "iodine's raw UDP header (login, user 0) on a DNS flow");
	ck_assert_int_eq(dns_iodine_raw(ping, sizeof(ping), &h), 1);
	ck_assert_str_eq(h.detail,
	    "iodine's raw UDP header (ping, user 1) on a DNS flow");
	/* Another command, a short datagram, another header. */
	ck_assert_int_eq(dns_iodine_raw(other, sizeof(other), &h), 0);
	ck_assert_int_eq(dns_iodine_raw(ping, 3, &h), 0);
	other[3] = 0x20;
	other[2] = 0x9f;
	ck_assert_int_eq(dns_iodine_raw(other, sizeof(other), &h), 0);
}
END_TEST

Suite *
dns_suite(void)
{
	Suite *s = suite_create("dns");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, parse_response);
	tcase_add_test(tc, parse_query);
	tcase_add_test(tc, parse_truncated);
	tcase_add_test(tc, parse_bad_names);
	tcase_add_test(tc, parse_jump_limit);
	tcase_add_test(tc, parse_records);
	tcase_add_test(tc, parse_fuzz);
	tcase_add_test(tc, cache_basics);
	tcase_add_test(tc, cache_lru);
	tcase_add_test(tc, tunnel_iodine);
	tcase_add_test(tc, iodine_raw);
	tcase_add_test(tc, tunnel_long_a_queries_medium);
	tcase_add_test(tc, tunnel_volume_medium);
	tcase_add_test(tc, tunnel_window_expires);
	tcase_add_test(tc, tunnel_ordinary_browsing);
	tcase_add_test(tc, tunnel_base_domains_and_bound);
	suite_add_tcase(s, tc);
	return s;
}
