/*
 * test_sig.c: the signature engine. Every test writes its rule files into
 * a fresh mkdtemp() directory, loads them and matches hand-made facts;
 * a rule's hits are counted through the callback, so a rule reported
 * twice in one lookup fails as surely as one not reported. Error messages
 * are compared whole, "path:line: what", so the line number is checked too.
 */
#include <arpa/inet.h>
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dpi.h"
#include "policy.h"
#include "sig.h"
#include "suites.h"
#include "util.h"

#define TMP_FILES	16

struct tmp {
	char dir[64];
	char files[TMP_FILES][128];	/* made here, unlinked at the end */
	int nfiles;
	char subdir[128];
};

static void
tmp_open(struct tmp *t)
{
	memset(t, 0, sizeof(*t));
	str_copy(t->dir, "/tmp/egressd-sig-XXXXXX", sizeof(t->dir));
	ck_assert_ptr_nonnull(mkdtemp(t->dir));
}

static void
tmp_close(struct tmp *t)
{
	int i;

	for (i = 0; i < t->nfiles; i++)
		unlink(t->files[i]);
	if (t->subdir[0] != '\0')
		rmdir(t->subdir);
	rmdir(t->dir);
}

/* Writes a file into the temp dir; returns its path (owned by t). */
static const char *
tmp_write(struct tmp *t, const char *name, const char *text)
{
	char *path, dir[sizeof(t->dir)];
	FILE *fp;

	ck_assert_int_lt(t->nfiles, TMP_FILES);
	str_copy(dir, t->dir, sizeof(dir));
	path = t->files[t->nfiles++];
	snprintf(path, sizeof(t->files[0]), "%s/%s", dir, name);
	ck_assert_ptr_nonnull(fp = fopen(path, "w"));
	ck_assert_int_eq(fputs(text, fp) >= 0, 1);
	ck_assert_int_eq(fclose(fp), 0);
	return path;
}

/* A set holding the rules of text, which must load. */
static struct sigset *
load_ok(struct tmp *t, const char *text, struct dpi *dpi)
{
	struct sigset *s = sigset_new();
	char err[512] = "";
	const char *path = tmp_write(t, "t.rules", text);

	ck_assert_msg(sigset_load_file(s, path, dpi, err, sizeof(err)) == 0,
	    "load failed: %s", err);
	return s;
}

/* Loads text, which must fail with "path:line: want". */
static void
load_fails(const char *text, int line, const char *want, struct dpi *dpi)
{
	struct tmp t;
	struct sigset *s;
	char err[512] = "", expect[512];
	const char *path;

	tmp_open(&t);
	path = tmp_write(&t, "bad.rules", text);
	s = sigset_new();
	ck_assert_msg(sigset_load_file(s, path, dpi, err, sizeof(err)) == -1,
	    "loaded: %s", text);
	snprintf(expect, sizeof(expect), "%s:%d: %s", path, line, want);
	ck_assert_str_eq(err, expect);
	sigset_free(s);
	tmp_close(&t);
}

static void
load_fails_prefix(const char *text, int line, const char *want_suffix)
{
	struct tmp t;
	struct sigset *s;
	char err[512] = "", prefix[256];
	const char *path;

	tmp_open(&t);
	path = tmp_write(&t, "bad.rules", text);
	s = sigset_new();
	ck_assert_int_eq(sigset_load_file(s, path, NULL, err, sizeof(err)), -1);
	snprintf(prefix, sizeof(prefix), "%s:%d: ", path, line);
	ck_assert_msg(strncmp(err, prefix, strlen(prefix)) == 0 &&
	    strstr(err, want_suffix) != NULL, "got '%s'", err);
	sigset_free(s);
	tmp_close(&t);
}

struct hits {
	const char *ids[64];
	size_t n;
};

static void
record(const struct sig_rule *r, void *arg)
{
	struct hits *h = arg;

	ck_assert_uint_lt(h->n, NELEM(h->ids));
	h->ids[h->n++] = r->id;
}

/* Matches and returns how often id was reported; checks that the return
 * value counts the callbacks and that no rule came twice. */
static int
hits_of(const struct sigset *s, const struct sig_facts *f, const char *id)
{
	struct hits h;
	size_t i, j, n;
	int count = 0;

	h.n = 0;
	n = sigset_match(s, f, record, &h);
	ck_assert_uint_eq(n, h.n);
	for (i = 0; i < h.n; i++) {
		for (j = i + 1; j < h.n; j++)
			ck_assert_msg(strcmp(h.ids[i], h.ids[j]) != 0,
			    "rule %s reported twice", h.ids[i]);
		if (id != NULL && strcmp(h.ids[i], id) == 0)
			count++;
	}
	return count;
}

static size_t
nhits(const struct sigset *s, const struct sig_facts *f)
{
	hits_of(s, f, NULL);
	return sigset_match(s, f, record, &(struct hits){ .n = 0 });
}

static void
addr(const char *text, uint8_t out[16])
{
	memset(out, 0, 16);
	if (strchr(text, ':') != NULL) {
		ck_assert_int_eq(inet_pton(AF_INET6, text, out), 1);
	} else {
		out[10] = out[11] = 0xff;
		ck_assert_int_eq(inet_pton(AF_INET, text, out + 12), 1);
	}
}

static struct sig_facts
host_facts(const char *host)
{
	struct sig_facts f;

	memset(&f, 0, sizeof(f));
	f.host = host;
	return f;
}

START_TEST(host_exact_and_wildcard)
{
	struct tmp t;
	struct sigset *s;
	struct sig_facts f;

	tmp_open(&t);
	s = load_ok(&t,
	    "id=W category=mining host=*.example.com msg=wild\n"
	    "id=E category=proxy host=pool.example.org msg=exact\n"
	    "id=T category=proxy host=*.org msg=tld\n", NULL);
	ck_assert_uint_eq(sigset_count(s), 3);

	f = host_facts("example.com");
	ck_assert_int_eq(hits_of(s, &f, "W"), 1);
	f = host_facts("a.example.com");
	ck_assert_int_eq(hits_of(s, &f, "W"), 1);
	f = host_facts("a.b.example.com");
	ck_assert_int_eq(hits_of(s, &f, "W"), 1);
	f = host_facts("badexample.com");
	ck_assert_uint_eq(nhits(s, &f), 0);
	f = host_facts("example.com.evil.net");
	ck_assert_uint_eq(nhits(s, &f), 0);
	f = host_facts("com");
	ck_assert_uint_eq(nhits(s, &f), 0);

	f = host_facts("pool.example.org");
	ck_assert_int_eq(hits_of(s, &f, "E"), 1);
	ck_assert_int_eq(hits_of(s, &f, "T"), 1);
	ck_assert_uint_eq(nhits(s, &f), 2);
	/* An exact name does not cover the names below it. */
	f = host_facts("x.pool.example.org");
	ck_assert_int_eq(hits_of(s, &f, "E"), 0);
	ck_assert_int_eq(hits_of(s, &f, "T"), 1);
	f = host_facts("example.org");
	ck_assert_int_eq(hits_of(s, &f, "E"), 0);
	ck_assert_int_eq(hits_of(s, &f, "T"), 1);
	sigset_free(s);
	tmp_close(&t);
}
END_TEST

START_TEST(host_case_and_trailing_dot)
{
	struct tmp t;
	struct sigset *s;
	struct sig_facts f;

	tmp_open(&t);
	s = load_ok(&t,
	    "id=A category=mining host=*.SupportXMR.com msg=a\n"
	    "id=B category=mining host=Pool.Example.NET. msg=b\n", NULL);
	f = host_facts("POOL.SUPPORTXMR.COM");
	ck_assert_int_eq(hits_of(s, &f, "A"), 1);
	f = host_facts("supportxmr.com.");
	ck_assert_int_eq(hits_of(s, &f, "A"), 1);
	f = host_facts("pool.example.net");
	ck_assert_int_eq(hits_of(s, &f, "B"), 1);
	f = host_facts("pool.EXAMPLE.net.");
	ck_assert_int_eq(hits_of(s, &f, "B"), 1);
	/* One trailing dot only; empty and odd names match nothing. */
	f = host_facts("pool.example.net..");
	ck_assert_uint_eq(nhits(s, &f), 0);
	f = host_facts("");
	ck_assert_uint_eq(nhits(s, &f), 0);
	f = host_facts(".");
	ck_assert_uint_eq(nhits(s, &f), 0);
	f = host_facts("..supportxmr.com");
	ck_assert_int_eq(hits_of(s, &f, "A"), 1);
	sigset_free(s);
	tmp_close(&t);
}
END_TEST

/* Writes a name of n characters: labels of 63 and a shorter last one. */
static void
long_name(char *buf, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		buf[i] = i % 64 == 63 ? '.' : (char)('a' + (int)(i / 64));
	if (buf[n - 1] == '.')
		buf[n - 1] = 'z';
	buf[n] = '\0';
}

START_TEST(host_long_names)
{
	struct tmp t;
	struct sigset *s;
	struct sig_facts f;
	char rule[600], name[300], fact[310];

	long_name(name, 253);
	snprintf(rule, sizeof(rule), "id=L category=p2p host=%s msg=m\n"
	    "id=W category=p2p host=*.%s msg=m\n", name, name + 64);
	tmp_open(&t);
	s = load_ok(&t, rule, NULL);
	f = host_facts(name);
	ck_assert_int_eq(hits_of(s, &f, "L"), 1);
	ck_assert_int_eq(hits_of(s, &f, "W"), 1);
	snprintf(fact, sizeof(fact), "%s.", name);
	f = host_facts(fact);
	ck_assert_int_eq(hits_of(s, &f, "L"), 1);
	/* A fact longer than any name matches nothing. */
	snprintf(fact, sizeof(fact), "x%s", name);
	f = host_facts(fact);
	ck_assert_uint_eq(nhits(s, &f), 0);
	sigset_free(s);
	tmp_close(&t);

	long_name(name, 254);
	snprintf(rule, sizeof(rule), "id=L category=p2p host=%s msg=m\n", name);
	load_fails_prefix(rule, 1, "host: bad name pattern '");
	/* A label of 64 characters. */
	memset(name, 'a', 64);
	memcpy(name + 64, ".example", 9);
	snprintf(rule, sizeof(rule), "id=L category=p2p host=%s msg=m\n", name);
	load_fails_prefix(rule, 1, "host: bad name pattern '");
}
END_TEST

START_TEST(ip_prefixes)
{
	struct tmp t;
	struct sigset *s;
	struct sig_facts f;
	uint8_t peer[16];

	tmp_open(&t);
	s = load_ok(&t,
	    "id=V4 category=proxy ip=10.0.0.0/8,192.0.2.7 msg=a\n"
	    "id=V4ALL category=scan ip=0.0.0.0/0 msg=b\n"
	    "id=V6 category=proxy ip=2001:db8::/32 msg=c\n"
	    "id=V6HOST category=proxy ip=2001:db8::1/128 msg=d\n"
	    "id=ALL category=dos ip=::/0 msg=e\n"
	    "id=ODD category=dos ip=172.16.0.0/12 msg=f\n", NULL);
	memset(&f, 0, sizeof(f));
	f.peer = peer;

	addr("10.200.3.4", peer);
	ck_assert_int_eq(hits_of(s, &f, "V4"), 1);
	ck_assert_int_eq(hits_of(s, &f, "V4ALL"), 1);
	ck_assert_int_eq(hits_of(s, &f, "ALL"), 1);
	ck_assert_uint_eq(nhits(s, &f), 3);
	addr("192.0.2.7", peer);
	ck_assert_int_eq(hits_of(s, &f, "V4"), 1);
	addr("192.0.2.8", peer);
	ck_assert_int_eq(hits_of(s, &f, "V4"), 0);
	ck_assert_int_eq(hits_of(s, &f, "V4ALL"), 1);
	addr("11.0.0.1", peer);
	ck_assert_int_eq(hits_of(s, &f, "V4"), 0);
	addr("172.31.255.255", peer);
	ck_assert_int_eq(hits_of(s, &f, "ODD"), 1);
	addr("172.32.0.0", peer);
	ck_assert_int_eq(hits_of(s, &f, "ODD"), 0);

	addr("2001:db8::1", peer);
	ck_assert_int_eq(hits_of(s, &f, "V6"), 1);
	ck_assert_int_eq(hits_of(s, &f, "V6HOST"), 1);
	ck_assert_int_eq(hits_of(s, &f, "ALL"), 1);
	/* A v4 rule, even 0.0.0.0/0, never matches a v6 peer. */
	ck_assert_int_eq(hits_of(s, &f, "V4ALL"), 0);
	ck_assert_uint_eq(nhits(s, &f), 3);
	addr("2001:db8::2", peer);
	ck_assert_int_eq(hits_of(s, &f, "V6HOST"), 0);
	ck_assert_int_eq(hits_of(s, &f, "V6"), 1);
	addr("2001:db9::1", peer);
	ck_assert_uint_eq(nhits(s, &f), 1);
	/* A v6 address whose low bits look like 10.x is still v6. */
	addr("::a00:1", peer);
	ck_assert_int_eq(hits_of(s, &f, "V4"), 0);
	sigset_free(s);
	tmp_close(&t);
}
END_TEST

START_TEST(ports)
{
	struct tmp t;
	struct sigset *s;
	struct sig_facts f;

	tmp_open(&t);
	s = load_ok(&t,
	    "id=ANY category=proxy port=1080 msg=a\n"
	    "id=UDP category=p2p port=udp/6881-6889 msg=b\n"
	    "id=TCP category=p2p port=TCP/6881 msg=c\n"
	    "id=WIDE category=scan port=tcp/1000-3000,udp/40000-65535 msg=d\n"
	    "id=ALL category=scan port=1-65535 msg=e\n", NULL);
	memset(&f, 0, sizeof(f));
	f.proto = 6;
	f.port = 1080;
	ck_assert_int_eq(hits_of(s, &f, "ANY"), 1);
	ck_assert_int_eq(hits_of(s, &f, "WIDE"), 1);
	ck_assert_int_eq(hits_of(s, &f, "ALL"), 1);
	ck_assert_uint_eq(nhits(s, &f), 3);
	f.proto = 17;
	ck_assert_int_eq(hits_of(s, &f, "ANY"), 1);
	ck_assert_int_eq(hits_of(s, &f, "WIDE"), 0);
	/* A bare number is TCP or UDP, nothing else. */
	f.proto = 132;
	ck_assert_uint_eq(nhits(s, &f), 0);

	f.proto = 17;
	f.port = 6881;
	ck_assert_int_eq(hits_of(s, &f, "UDP"), 1);
	ck_assert_int_eq(hits_of(s, &f, "TCP"), 0);
	f.port = 6889;
	ck_assert_int_eq(hits_of(s, &f, "UDP"), 1);
	f.port = 6890;
	ck_assert_int_eq(hits_of(s, &f, "UDP"), 0);
	f.proto = 6;
	f.port = 6881;
	ck_assert_int_eq(hits_of(s, &f, "UDP"), 0);
	ck_assert_int_eq(hits_of(s, &f, "TCP"), 1);

	f.port = 999;
	ck_assert_int_eq(hits_of(s, &f, "WIDE"), 0);
	f.port = 3000;
	ck_assert_int_eq(hits_of(s, &f, "WIDE"), 1);
	f.port = 3001;
	ck_assert_int_eq(hits_of(s, &f, "WIDE"), 0);
	f.port = 65535;
	f.proto = 17;
	ck_assert_int_eq(hits_of(s, &f, "WIDE"), 1);
	ck_assert_int_eq(hits_of(s, &f, "ALL"), 1);
	f.port = 0;
	ck_assert_uint_eq(nhits(s, &f), 0);
	sigset_free(s);
	tmp_close(&t);
}
END_TEST

START_TEST(asn_and_country)
{
	struct tmp t;
	struct sigset *s;
	struct sig_facts f;

	tmp_open(&t);
	s = load_ok(&t,
	    "id=AS category=proxy asn=64512,4294967295 msg=a\n"
	    "id=CC category=proxy country=nl,US msg=b\n"
	    "id=BOTH category=proxy country=DE asn=3320 msg=c\n", NULL);
	memset(&f, 0, sizeof(f));
	f.asn = 64512;
	ck_assert_int_eq(hits_of(s, &f, "AS"), 1);
	f.asn = 4294967295U;
	ck_assert_int_eq(hits_of(s, &f, "AS"), 1);
	f.asn = 64513;
	ck_assert_uint_eq(nhits(s, &f), 0);

	memset(&f, 0, sizeof(f));
	f.country = "NL";
	ck_assert_int_eq(hits_of(s, &f, "CC"), 1);
	f.country = "us";
	ck_assert_int_eq(hits_of(s, &f, "CC"), 1);
	f.country = "USA";
	ck_assert_uint_eq(nhits(s, &f), 0);
	f.country = "U";
	ck_assert_uint_eq(nhits(s, &f), 0);
	f.country = "";
	ck_assert_uint_eq(nhits(s, &f), 0);
	f.country = "DE";
	ck_assert_int_eq(hits_of(s, &f, "BOTH"), 0);
	f.asn = 3320;
	ck_assert_int_eq(hits_of(s, &f, "BOTH"), 1);
	f.country = NULL;
	ck_assert_int_eq(hits_of(s, &f, "BOTH"), 0);
	sigset_free(s);
	tmp_close(&t);
}
END_TEST

START_TEST(ndpi_names)
{
	struct tmp t;
	struct sigset *s;
	struct sig_facts f;
	struct dpi *dpi;
	char err[256] = "";
	int ssh, tls, http;

	dpi = dpi_new(err, sizeof(err));
	ck_assert_msg(dpi != NULL, "dpi_new: %s", err);
	ssh = dpi_proto_id(dpi, "SSH");
	tls = dpi_proto_id(dpi, "TLS");
	http = dpi_proto_id(dpi, "HTTP");
	ck_assert_int_gt(ssh, 0);
	ck_assert_int_gt(tls, 0);
	ck_assert_int_gt(http, 0);
	tmp_open(&t);
	s = load_ok(&t,
	    "id=SSH category=remote_access ndpi=SSH msg=a\n"
	    "id=TLS category=proxy ndpi=TLS,HTTP port=tcp/8443 msg=b\n", dpi);
	memset(&f, 0, sizeof(f));
	f.ndpi_master = (uint16_t)ssh;
	ck_assert_int_eq(hits_of(s, &f, "SSH"), 1);
	f.ndpi_master = 0;
	f.ndpi_app = (uint16_t)ssh;
	ck_assert_int_eq(hits_of(s, &f, "SSH"), 1);
	f.ndpi_master = (uint16_t)ssh;
	ck_assert_int_eq(hits_of(s, &f, "SSH"), 1);

	memset(&f, 0, sizeof(f));
	f.ndpi_master = (uint16_t)tls;
	f.ndpi_app = (uint16_t)http;
	ck_assert_int_eq(hits_of(s, &f, "TLS"), 0);	/* no port yet */
	f.port = 8443;
	f.proto = 6;
	/* Reached through master and app, reported once. */
	ck_assert_int_eq(hits_of(s, &f, "TLS"), 1);
	f.ndpi_master = f.ndpi_app = 0;
	ck_assert_uint_eq(nhits(s, &f), 0);
	sigset_free(s);
	tmp_close(&t);

	load_fails("id=X category=p2p ndpi=NoSuchProtocolAtAll msg=m\n", 1,
	    "ndpi: unknown nDPI protocol 'NoSuchProtocolAtAll'", dpi);
	load_fails("id=X category=p2p ndpi=SSH msg=m\n", 1,
	    "ndpi: 'SSH': no nDPI to resolve protocol names", NULL);
	load_fails("id=X category=p2p ndpi=Unknown msg=m\n", 1,
	    "ndpi: 'Unknown' is nDPI's unknown protocol and never matches",
	    dpi);
	dpi_free(dpi);
}
END_TEST

START_TEST(payloads)
{
	static const uint8_t dht[] = "d1:ad2:id20:0123456789";
	static const uint8_t esc[] = {
		'a', '"', 'b', '\\', 'c', '\n', '\r', '\t', 0x41, 0x00, 0xff
	};
	struct tmp t;
	struct sigset *s;
	struct sig_facts f;
	uint8_t buf[128];

	tmp_open(&t);
	s = load_ok(&t,
	    "id=DHT category=p2p payload=\"d1:ad2:id20:\" msg=a\n"
	    "id=ESC category=p2p "
	    "payload=\"a\\\"b\\\\c\\n\\r\\t\\x41\\x00\\xFf\" msg=b\n"
	    "id=PIN category=p2p payload=\"GET \" offset=4 msg=c\n"
	    "id=ONE category=p2p payload=\"\\x13\" msg=d\n"
	    "id=PIN1 category=p2p offset=63 payload=\"\\x99\" msg=e\n"
	    "id=TWO category=p2p payload=\"zz\",\"zzz\",\"yzz\" msg=f\n"
	    "id=UNQ category=p2p payload=plain msg=g\n", NULL);
	memset(&f, 0, sizeof(f));
	f.payload = dht;
	f.payload_len = sizeof(dht) - 1;
	ck_assert_int_eq(hits_of(s, &f, "DHT"), 1);
	/* One byte short. */
	f.payload_len = 11;
	ck_assert_int_eq(hits_of(s, &f, "DHT"), 0);

	/* Floating items start at offsets 0..32. */
	memset(buf, '.', sizeof(buf));
	memcpy(buf + 32, esc, sizeof(esc));
	f.payload = buf;
	f.payload_len = sizeof(buf);
	ck_assert_int_eq(hits_of(s, &f, "ESC"), 1);
	memset(buf, '.', sizeof(buf));
	memcpy(buf + 33, esc, sizeof(esc));
	ck_assert_int_eq(hits_of(s, &f, "ESC"), 0);
	f.payload_len = 33 + sizeof(esc) - 1;
	ck_assert_int_eq(hits_of(s, &f, "ESC"), 0);

	memset(buf, '.', sizeof(buf));
	memcpy(buf + 4, "GET ", 4);
	f.payload_len = 8;
	ck_assert_int_eq(hits_of(s, &f, "PIN"), 1);
	f.payload_len = 7;
	ck_assert_int_eq(hits_of(s, &f, "PIN"), 0);
	memset(buf, '.', sizeof(buf));
	memcpy(buf, "GET ", 4);
	f.payload_len = 64;
	ck_assert_int_eq(hits_of(s, &f, "PIN"), 0);
	memcpy(buf + 5, "GET ", 4);
	ck_assert_int_eq(hits_of(s, &f, "PIN"), 0);

	memset(buf, '.', sizeof(buf));
	buf[10] = 0x13;
	buf[20] = 0x13;
	ck_assert_int_eq(hits_of(s, &f, "ONE"), 1);
	memset(buf, '.', sizeof(buf));
	buf[33] = 0x13;
	ck_assert_int_eq(hits_of(s, &f, "ONE"), 0);
	buf[63] = 0x99;
	ck_assert_int_eq(hits_of(s, &f, "PIN1"), 1);
	f.payload_len = 63;
	ck_assert_int_eq(hits_of(s, &f, "PIN1"), 0);

	/* Three items hold, at several offsets: reported once. */
	memset(buf, '.', sizeof(buf));
	memcpy(buf + 3, "yzzzzz", 6);
	memcpy(buf + 20, "zzz", 3);
	f.payload_len = 64;
	ck_assert_int_eq(hits_of(s, &f, "TWO"), 1);
	memcpy(buf + 10, "plain", 5);
	ck_assert_int_eq(hits_of(s, &f, "UNQ"), 1);
	ck_assert_uint_eq(nhits(s, &f), 2);

	f.payload = NULL;
	ck_assert_uint_eq(nhits(s, &f), 0);
	sigset_free(s);
	tmp_close(&t);
}
END_TEST

START_TEST(and_or)
{
	struct tmp t;
	struct sigset *s;
	struct sig_facts f;
	uint8_t peer[16];

	tmp_open(&t);
	s = load_ok(&t,
	    "id=HP category=proxy host=*.tor.example,relay.example "
	    "port=tcp/9001,9030 msg=a\n"
	    "id=IPC category=proxy ip=198.51.100.0/24 country=NL,DE asn=1,2 "
	    "msg=b\n",
	    NULL);
	memset(&f, 0, sizeof(f));
	f.host = "x.tor.example";
	ck_assert_int_eq(hits_of(s, &f, "HP"), 0);
	f.port = 9001;
	f.proto = 6;
	ck_assert_int_eq(hits_of(s, &f, "HP"), 1);
	f.proto = 17;
	ck_assert_int_eq(hits_of(s, &f, "HP"), 0);
	f.port = 9030;
	ck_assert_int_eq(hits_of(s, &f, "HP"), 1);
	f.host = "relay.example";
	ck_assert_int_eq(hits_of(s, &f, "HP"), 1);
	f.host = "other.example";
	ck_assert_int_eq(hits_of(s, &f, "HP"), 0);
	f.host = NULL;
	ck_assert_int_eq(hits_of(s, &f, "HP"), 0);

	memset(&f, 0, sizeof(f));
	addr("198.51.100.9", peer);
	f.peer = peer;
	f.country = "DE";
	ck_assert_int_eq(hits_of(s, &f, "IPC"), 0);
	f.asn = 2;
	ck_assert_int_eq(hits_of(s, &f, "IPC"), 1);
	f.country = "FR";
	ck_assert_int_eq(hits_of(s, &f, "IPC"), 0);
	f.country = "nl";
	f.asn = 3;
	ck_assert_int_eq(hits_of(s, &f, "IPC"), 0);
	sigset_free(s);
	tmp_close(&t);
}
END_TEST

START_TEST(unknown_facts)
{
	struct tmp t;
	struct sigset *s;
	struct sig_facts f;
	struct dpi *dpi;
	char err[256] = "";

	ck_assert_ptr_nonnull(dpi = dpi_new(err, sizeof(err)));
	tmp_open(&t);
	s = load_ok(&t,
	    "id=H category=p2p host=*.example.com msg=a\n"
	    "id=I category=p2p ip=::/0 msg=a\n"
	    "id=N category=p2p ndpi=SSH msg=a\n"
	    "id=P category=p2p payload=\"\\x00\" msg=a\n"
	    "id=PO category=p2p port=1-65535 msg=a\n"
	    "id=A category=p2p asn=1 msg=a\n"
	    "id=C category=p2p country=ZZ msg=a\n", dpi);
	memset(&f, 0, sizeof(f));
	ck_assert_uint_eq(nhits(s, &f), 0);
	/* A payload of no bytes is no payload. */
	f.payload = (const uint8_t *)"";
	ck_assert_uint_eq(nhits(s, &f), 0);
	f.proto = 6;
	ck_assert_uint_eq(nhits(s, &f), 0);
	sigset_free(s);
	tmp_close(&t);
	dpi_free(dpi);
}
END_TEST

START_TEST(once_per_call)
{
	struct tmp t;
	struct sigset *s;
	struct sig_facts f;
	uint8_t peer[16];

	tmp_open(&t);
	s = load_ok(&t,
	    "id=H category=p2p host=a.b.example.com,*.b.example.com,"
	    "*.example.com,*.com msg=a\n"
	    "id=I category=p2p ip=10.0.0.0/8,10.1.0.0/16,10.1.2.3,::/0 msg=b\n"
	    "id=P category=p2p port=80,70-90,1-65535,tcp/80 msg=c\n"
	    "id=W category=p2p port=1000-3000,2000-4000 asn=5 msg=d\n", NULL);
	memset(&f, 0, sizeof(f));
	f.host = "a.b.example.com";
	addr("10.1.2.3", peer);
	f.peer = peer;
	f.port = 80;
	f.proto = 6;
	f.asn = 5;
	ck_assert_int_eq(hits_of(s, &f, "H"), 1);
	ck_assert_int_eq(hits_of(s, &f, "I"), 1);
	ck_assert_int_eq(hits_of(s, &f, "P"), 1);
	ck_assert_int_eq(hits_of(s, &f, "W"), 0);
	f.port = 2500;
	ck_assert_int_eq(hits_of(s, &f, "W"), 1);
	ck_assert_int_eq(hits_of(s, &f, "P"), 1);
	ck_assert_uint_eq(nhits(s, &f), 4);
	sigset_free(s);
	tmp_close(&t);
}
END_TEST

START_TEST(rules_and_indexes)
{
	struct tmp t;
	struct sigset *s;
	const struct sig_rule *r;
	const char *path;
	char err[256];
	uint32_t i;

	tmp_open(&t);
	path = tmp_write(&t, "a.rules",
	    "# comment\n"
	    "   \t\n"
	    "  # indented comment\n"
	    "id=R-1 category=mining confidence=high host=x.example "
	    "msg=\"first, rule\"\n"
	    "\tid=r.2:x category=bruteforce msg=\"a\",b port=22\r\n"
	    "id=R_3 msg=m confidence=low ip=10.0.0.1 category=dos");
	s = sigset_new();
	ck_assert_int_eq(sigset_load_file(s, path, NULL, err, sizeof(err)), 0);
	ck_assert_uint_eq(sigset_count(s), 3);
	for (i = 0; i < 3; i++) {
		r = sigset_rule(s, i);
		ck_assert_ptr_nonnull(r);
		ck_assert_uint_eq(r->index, i);
		ck_assert_str_eq(r->file, path);
	}
	ck_assert_ptr_null(sigset_rule(s, 3));
	r = sigset_rule(s, 0);
	ck_assert_str_eq(r->id, "R-1");
	ck_assert_str_eq(r->msg, "first, rule");
	ck_assert_int_eq(r->line, 4);
	ck_assert_int_eq(r->category, CAT_MINING);
	ck_assert_int_eq(r->confidence, CONF_HIGH);
	r = sigset_rule(s, 1);
	ck_assert_str_eq(r->id, "r.2:x");
	ck_assert_str_eq(r->msg, "a,b");
	ck_assert_int_eq(r->line, 5);
	ck_assert_int_eq(r->category, CAT_BRUTEFORCE);
	ck_assert_int_eq(r->confidence, CONF_MEDIUM);
	r = sigset_rule(s, 2);
	ck_assert_str_eq(r->id, "R_3");
	ck_assert_int_eq(r->line, 6);
	ck_assert_int_eq(r->category, CAT_DOS);
	ck_assert_int_eq(r->confidence, CONF_LOW);
	sigset_free(s);
	sigset_free(NULL);
	tmp_close(&t);
}
END_TEST

START_TEST(errors_keep_earlier_rules)
{
	struct tmp t;
	struct sigset *s;
	const char *path;
	char err[256], want[512];
	struct sig_facts f;

	tmp_open(&t);
	path = tmp_write(&t, "a.rules",
	    "id=A category=p2p host=a.example msg=m\n"
	    "\n"
	    "id=B category=p2p host=b.example msg=m\n"
	    "id=C category=p2p host=c.example msg=m bogus=1\n"
	    "id=D category=p2p host=d.example msg=m\n");
	s = sigset_new();
	ck_assert_int_eq(sigset_load_file(s, path, NULL, err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "%s:4: unknown key 'bogus'", path);
	ck_assert_str_eq(err, want);
	ck_assert_uint_eq(sigset_count(s), 2);
	f = host_facts("b.example");
	ck_assert_int_eq(hits_of(s, &f, "B"), 1);
	f = host_facts("c.example");
	ck_assert_uint_eq(nhits(s, &f), 0);
	/* The id of the bad line is free to use. */
	path = tmp_write(&t, "b.rules",
	    "id=C category=p2p host=c.example msg=m\n");
	ck_assert_int_eq(sigset_load_file(s, path, NULL, err, sizeof(err)), 0);
	f = host_facts("c.example");
	ck_assert_int_eq(hits_of(s, &f, "C"), 1);
	ck_assert_uint_eq(sigset_count(s), 3);
	sigset_free(s);
	tmp_close(&t);
}
END_TEST

START_TEST(duplicate_id)
{
	struct tmp t;
	struct sigset *s;
	const char *a, *b;
	char err[512], want[512];

	tmp_open(&t);
	a = tmp_write(&t, "a.rules",
	    "\nid=DUP category=p2p host=a.example msg=m\n");
	b = tmp_write(&t, "b.rules",
	    "id=OK category=p2p host=b.example msg=m\n"
	    "# x\n"
	    "id=DUP category=p2p host=c.example msg=m\n");
	s = sigset_new();
	ck_assert_int_eq(sigset_load_file(s, a, NULL, err, sizeof(err)), 0);
	ck_assert_int_eq(sigset_load_file(s, b, NULL, err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "%s:3: id 'DUP' already used at %s:2",
	    b, a);
	ck_assert_str_eq(err, want);
	ck_assert_uint_eq(sigset_count(s), 2);
	sigset_free(s);
	/* Within one file too; ids are case-sensitive. */
	load_fails_prefix("id=x category=p2p asn=1 msg=m\n"
	    "id=X category=p2p asn=1 msg=m\n"
	    "id=x category=p2p asn=2 msg=m\n", 3, "id 'x' already used at ");
	tmp_close(&t);
}
END_TEST

START_TEST(error_messages)
{
	static const struct {
		const char *text;
		int line;
		const char *want;
	} cases[] = {
		{ "id=a category=p2p msg=x hots=foo\n", 1,
		  "unknown key 'hots'" },
		{ "\n# c\nid=a category=p2p msg=x host=a.example foo\n", 3,
		  "'foo': not key=value" },
		{ "id=a category=p2p msg=x host=bad..name\n", 1,
		  "host: bad name pattern 'bad..name'" },
		{ "id=a category=p2p msg=x host=a.*.example\n", 1,
		  "host: bad name pattern 'a.*.example'" },
		{ "id=a category=p2p msg=x host=*\n", 1,
		  "host: bad name pattern '*'" },
		{ "id=a category=p2p msg=x host=*.\n", 1,
		  "host: bad name pattern '*.'" },
		{ "id=a category=p2p msg=x host=a/b.example\n", 1,
		  "host: bad name pattern 'a/b.example'" },
		{ "id=a category=p2p msg=x host=a.example,,b.example\n", 1,
		  "host: empty item in list" },
		{ "id=a category=p2p msg=x host=\n", 1, "host: empty value" },
		{ "id=a category=p2p msg=x host=a.example,\n", 1,
		  "host: empty item in list" },
		{ "\n\n\nid=a category=p2p host=x.example\n", 4,
		  "rule 'a': no msg=" },
		{ "category=p2p msg=x host=x.example\n", 1,
		  "rule without id=" },
		{ "id=a msg=x host=x.example\n", 1, "rule 'a': no category=" },
		{ "id=a category=p2p msg=x\n", 1,
		  "rule 'a': no match kind (host=, ip=, ndpi=, payload=, "
		  "port=, asn=, country=, alpn= or cert=)" },
		{ "id=a category=p2p host=x.example msg=\"abc\n", 1,
		  "msg: unterminated quoted value" },
		{ "id=a category=p2p host=x.example msg=\"abc\\\"\n", 1,
		  "msg: unterminated quoted value" },
		{ "id=a category=p2p msg=x payload=\"\\q\"\n", 1,
		  "payload: bad escape '\\q'" },
		{ "id=a category=p2p msg=x payload=\"\\x4\"\n", 1,
		  "payload: bad escape '\\x4\"' (want \\xNN)" },
		{ "id=a category=p2p msg=x payload=\"\\xg0\"\n", 1,
		  "payload: bad escape '\\xg0' (want \\xNN)" },
		{ "id=a category=p2p msg=x payload=\"ab\"c\n", 1,
		  "payload: text after closing quote" },
		{ "id=a category=p2p msg=x host=a\"b\"\n", 1,
		  "host: '\"' inside an unquoted value" },
		{ "id=a category=p2p msg=x host=a.example host=b.example\n", 1,
		  "repeated key 'host'" },
		{ "id=a category=p2p msg=x msg=y host=b.example\n", 1,
		  "repeated key 'msg'" },
		{ "id=a category=foo msg=x host=b.example\n", 1,
		  "category: unknown category 'foo' (p2p, mining, "
		  "remote_access, proxy, dos, scan, bruteforce)" },
		{ "id=a category=none msg=x host=b.example\n", 1,
		  "category: unknown category 'none' (p2p, mining, "
		  "remote_access, proxy, dos, scan, bruteforce)" },
		{ "id=a category=p2p confidence=sure msg=x host=b.example\n", 1,
		  "confidence: bad value 'sure' (low, medium, high)" },
		{ "id=a category=p2p msg=\"\" host=b.example\n", 1,
		  "msg: empty message" },
		{ "id=a category=p2p msg=\"a\\x00b\" host=b.example\n", 1,
		  "msg: NUL byte in message" },
		{ "id= category=p2p msg=x host=b.example\n", 1,
		  "id: bad id '' (1-31 characters of A-Za-z0-9_.:-)" },
		{ "id=a/b category=p2p msg=x host=b.example\n", 1,
		  "id: bad id 'a/b' (1-31 characters of A-Za-z0-9_.:-)" },
		{ "id=0123456789012345678901234567890123 category=p2p msg=x "
		  "host=b.example\n", 1,
		  "id: bad id '0123456789012345678901234567890123' (1-31 "
		  "characters of A-Za-z0-9_.:-)" },
		{ "id=a category=p2p msg=x ip=10.0.0.0/33\n", 1,
		  "ip: bad address or prefix '10.0.0.0/33'" },
		{ "id=a category=p2p msg=x ip=2001:db8::/129\n", 1,
		  "ip: bad address or prefix '2001:db8::/129'" },
		{ "id=a category=p2p msg=x ip=example.com\n", 1,
		  "ip: bad address or prefix 'example.com'" },
		{ "id=a category=p2p msg=x port=0\n", 1,
		  "port: bad port or range '0' (want [tcp/|udp/]N[-M], "
		  "1..65535)" },
		{ "id=a category=p2p msg=x port=90-80\n", 1,
		  "port: bad port or range '90-80' (want [tcp/|udp/]N[-M], "
		  "1..65535)" },
		{ "id=a category=p2p msg=x port=sctp/80\n", 1,
		  "port: bad port or range 'sctp/80' (want [tcp/|udp/]N[-M], "
		  "1..65535)" },
		{ "id=a category=p2p msg=x port=65536\n", 1,
		  "port: bad port or range '65536' (want [tcp/|udp/]N[-M], "
		  "1..65535)" },
		{ "id=a category=p2p msg=x asn=0\n", 1,
		  "asn: bad AS number '0' (1..4294967295)" },
		{ "id=a category=p2p msg=x asn=4294967296\n", 1,
		  "asn: bad AS number '4294967296' (1..4294967295)" },
		{ "id=a category=p2p msg=x asn=AS3320\n", 1,
		  "asn: bad AS number 'AS3320' (1..4294967295)" },
		{ "id=a category=p2p msg=x country=USA\n", 1,
		  "country: bad code 'USA' (want two letters)" },
		{ "id=a category=p2p msg=x country=1A\n", 1,
		  "country: bad code '1A' (want two letters)" },
		{ "id=a category=p2p msg=x payload=\"\"\n", 1,
		  "payload: empty value" },
		{ "id=a category=p2p msg=x "
		  "payload=\"0123456789abcdef0123456789abcdefX\"\n", 1,
		  "payload: '0123456789abcdef0123456789abcdefX' is 33 bytes "
		  "(1..32 allowed)" },
		{ "id=a category=p2p msg=x payload=ab offset=64\n", 1,
		  "offset: bad offset '64' (0..63)" },
		{ "id=a category=p2p msg=x host=a.example offset=1\n", 1,
		  "rule 'a': offset= without payload=" },
		{ "id=a category=p2p msg=x payload=ab,abc offset=62\n", 1,
		  "rule 'a': offset=62 puts a 3-byte payload item past "
		  "byte 64" },
	};
	size_t i;

	for (i = 0; i < NELEM(cases); i++)
		load_fails(cases[i].text, cases[i].line, cases[i].want, NULL);
}
END_TEST

START_TEST(long_lines)
{
	struct tmp t;
	struct sigset *s;
	char *text, err[512], want[512];
	const char *path, *head = "id=L category=p2p host=a.example msg=";
	size_t n;

	text = xmalloc(2 * 4096 + 64);
	/* Exactly 4096 bytes before the newline: fine. */
	n = strlen(head);
	memcpy(text, head, n);
	memset(text + n, 'x', 4096 - n);
	text[4096] = '\n';
	text[4097] = '\0';
	tmp_open(&t);
	path = tmp_write(&t, "ok.rules", text);
	s = sigset_new();
	ck_assert_int_eq(sigset_load_file(s, path, NULL, err, sizeof(err)), 0);
	ck_assert_uint_eq(strlen(sigset_rule(s, 0)->msg), 4096 - n);
	sigset_free(s);
	/* One more, on line 2, with and without a newline after it. */
	memcpy(text, "# a comment\n", 12);
	memcpy(text + 12, head, n);
	memset(text + 12 + n, 'x', 4097 - n);
	text[12 + 4097] = '\0';
	path = tmp_write(&t, "long.rules", text);
	s = sigset_new();
	ck_assert_int_eq(sigset_load_file(s, path, NULL, err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "%s:2: line longer than 4096 bytes", path);
	ck_assert_str_eq(err, want);
	sigset_free(s);
	text[12 + 4097] = '\n';
	text[12 + 4098] = '\0';
	path = tmp_write(&t, "long2.rules", text);
	s = sigset_new();
	ck_assert_int_eq(sigset_load_file(s, path, NULL, err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "%s:2: line longer than 4096 bytes", path);
	ck_assert_str_eq(err, want);
	sigset_free(s);
	/* Items enough to fill a line. */
	memcpy(text, "id=M category=p2p msg=m asn=", 28);
	for (n = 28; n + 2 < 4096; n += 2)
		memcpy(text + n, "1,", 2);
	memcpy(text + n, "2\n", 3);
	path = tmp_write(&t, "many.rules", text);
	s = sigset_new();
	ck_assert_int_eq(sigset_load_file(s, path, NULL, err, sizeof(err)), 0);
	sigset_free(s);
	memset(text + 28, ',', 4096 - 28);
	text[4096] = '\0';
	load_fails_prefix(text, 1, "asn: empty item in list");
	free(text);
	tmp_close(&t);
}
END_TEST

START_TEST(load_dir)
{
	struct tmp t;
	struct sigset *s;
	char err[512], want[512];
	const char *bad;

	tmp_open(&t);
	tmp_write(&t, "20-b.rules", "id=B category=p2p asn=2 msg=m\n");
	tmp_write(&t, "10-a.rules", "id=A category=p2p asn=1 msg=m\n"
	    "id=A2 category=p2p asn=1 msg=m\n");
	tmp_write(&t, "30-c.rules.bak", "broken\n");
	tmp_write(&t, "notes.txt", "broken\n");
	tmp_write(&t, ".rules", "broken\n");
	snprintf(t.subdir, sizeof(t.subdir), "%s/15-dir.rules", t.dir);
	ck_assert_int_eq(mkdir(t.subdir, 0700), 0);
	s = sigset_new();
	ck_assert_msg(sigset_load_dir(s, t.dir, NULL, err, sizeof(err)) == 0,
	    "%s", err);
	ck_assert_uint_eq(sigset_count(s), 3);
	ck_assert_str_eq(sigset_rule(s, 0)->id, "A");
	ck_assert_str_eq(sigset_rule(s, 1)->id, "A2");
	ck_assert_str_eq(sigset_rule(s, 2)->id, "B");
	ck_assert_int_eq(sigset_rule(s, 2)->line, 1);
	ck_assert_ptr_nonnull(strstr(sigset_rule(s, 2)->file, "/20-b.rules"));
	sigset_free(s);

	/* A bad file stops the load; what came before stays. */
	bad = tmp_write(&t, "25-bad.rules", "id=C category=p2p asn=3 msg=m\n"
	    "id=A category=p2p asn=3 msg=m\n");
	s = sigset_new();
	ck_assert_int_eq(sigset_load_dir(s, t.dir, NULL, err, sizeof(err)), -1);
	snprintf(want, sizeof(want),
	    "%s:2: id 'A' already used at %s/10-a.rules:1", bad, t.dir);
	ck_assert_str_eq(err, want);
	ck_assert_uint_eq(sigset_count(s), 4);
	sigset_free(s);

	s = sigset_new();
	snprintf(want, sizeof(want), "%s/nonexistent", t.dir);
	ck_assert_int_eq(sigset_load_dir(s, want, NULL, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err,
	    "nonexistent: No such file or directory"));
	ck_assert_int_eq(strncmp(err, want, strlen(want)), 0);
	ck_assert_int_eq(sigset_load_file(s, want, NULL, err, sizeof(err)), -1);
	ck_assert_int_eq(strncmp(err, want, strlen(want)), 0);
	ck_assert_str_eq(err + strlen(want), ": No such file or directory");
	ck_assert_uint_eq(sigset_count(s), 0);
	sigset_free(s);
	tmp_close(&t);
}
END_TEST

START_TEST(empty_set)
{
	struct sigset *s = sigset_new();
	struct sig_facts f;
	uint8_t peer[16];

	memset(&f, 0, sizeof(f));
	addr("10.0.0.1", peer);
	f.peer = peer;
	f.host = "example.com";
	ck_assert_uint_eq(sigset_count(s), 0);
	ck_assert_ptr_null(sigset_rule(s, 0));
	ck_assert_uint_eq(nhits(s, &f), 0);
	sigset_free(s);
}
END_TEST

START_TEST(many_rules)
{
	struct tmp t;
	struct sigset *s;
	struct sig_facts f;
	char *text, name[64], id[16];
	size_t len = 0, cap = 3000 * 128;
	uint8_t peer[16];
	int i;

	/* Enough rules to grow every table several times. */
	text = xmalloc(cap);
	for (i = 0; i < 3000; i++)
		len += (size_t)snprintf(text + len, cap - len,
		    "id=H%d category=p2p host=*.d%d.example msg=m\n"
		    "id=I%d category=p2p ip=10.%d.%d.0/24 msg=m\n",
		    i, i, i, i / 256, i % 256);
	ck_assert_uint_lt(len, cap);
	tmp_open(&t);
	s = load_ok(&t, text, NULL);
	ck_assert_uint_eq(sigset_count(s), 6000);
	memset(&f, 0, sizeof(f));
	f.peer = peer;
	for (i = 0; i < 3000; i += 7) {
		snprintf(name, sizeof(name), "www.d%d.example", i);
		f.host = name;
		addr("10.0.0.1", peer);
		peer[13] = (uint8_t)(i / 256);
		peer[14] = (uint8_t)(i % 256);
		ck_assert_uint_eq(nhits(s, &f), 2);
		snprintf(id, sizeof(id), "H%d", i);
		ck_assert_int_eq(hits_of(s, &f, id), 1);
		snprintf(id, sizeof(id), "I%d", i);
		ck_assert_int_eq(hits_of(s, &f, id), 1);
	}
	f.host = "www.d3000.example";
	addr("10.12.0.1", peer);
	ck_assert_uint_eq(nhits(s, &f), 0);
	sigset_free(s);
	free(text);
	tmp_close(&t);
}
END_TEST

static void
count_rule(const struct sig_rule *r, void *arg)
{
	(void)r;
	(*(size_t *)arg)++;
}

START_TEST(shared_keys)
{
	struct tmp t;
	struct sigset *s;
	struct sig_facts f;
	char *text;
	size_t len = 0, cap = 64 * 1024, n;
	uint8_t peer[16];
	int i;

	/* Many rules under one key, and one address under every length. */
	text = xmalloc(cap);
	for (i = 0; i < 300; i++)
		len += (size_t)snprintf(text + len, cap - len,
		    "id=P%d category=scan port=tcp/443 asn=%d msg=m\n"
		    "id=S%d category=scan host=same.example msg=m\n",
		    i, i + 1, i);
	for (i = 0; i <= 32; i++)
		len += (size_t)snprintf(text + len, cap - len,
		    "id=L%d category=scan ip=10.0.0.0/%d msg=m\n", i, i);
	ck_assert_uint_lt(len, cap);
	tmp_open(&t);
	s = load_ok(&t, text, NULL);
	memset(&f, 0, sizeof(f));
	f.port = 443;
	f.proto = 6;
	f.asn = 77;
	n = 0;
	ck_assert_uint_eq(sigset_match(s, &f, count_rule, &n), 1);
	ck_assert_uint_eq(n, 1);
	ck_assert_int_eq(hits_of(s, &f, "P76"), 1);
	f.host = "same.example";
	n = 0;
	ck_assert_uint_eq(sigset_match(s, &f, count_rule, &n), 301);
	ck_assert_uint_eq(n, 301);

	memset(&f, 0, sizeof(f));
	f.peer = peer;
	addr("10.0.0.1", peer);
	n = 0;
	ck_assert_uint_eq(sigset_match(s, &f, count_rule, &n), 32);
	addr("10.0.0.0", peer);
	ck_assert_uint_eq(sigset_match(s, &f, count_rule, &n), 33);
	addr("10.128.0.0", peer);
	ck_assert_uint_eq(sigset_match(s, &f, count_rule, &n), 9);
	addr("200.0.0.0", peer);
	ck_assert_uint_eq(nhits(s, &f), 1);
	ck_assert_int_eq(hits_of(s, &f, "L0"), 1);
	sigset_free(s);
	free(text);
	tmp_close(&t);
}
END_TEST

START_TEST(tls_alpn)
{
	struct tmp t;
	struct sigset *s;
	struct sig_facts f;

	tmp_open(&t);
	s = load_ok(&t,
	    "id=H2 category=proxy alpn=h2 msg=a\n"
	    "id=AD category=remote_access alpn=anydesk/*,x-rd msg=b\n"
	    "id=ADL category=remote_access alpn=\"anydesk/6.2.0/linux\" "
	    "msg=c\n"
	    "id=P category=proxy port=tcp/443 alpn=h3,spdy/* msg=d\n", NULL);
	memset(&f, 0, sizeof(f));
	ck_assert_uint_eq(nhits(s, &f), 0);

	/* Exact, anywhere in the list; not a prefix, not another case. */
	f.tls_alpn = "h2,http/1.1";
	ck_assert_int_eq(hits_of(s, &f, "H2"), 1);
	ck_assert_uint_eq(nhits(s, &f), 1);
	f.tls_alpn = "http/1.1,h2";
	ck_assert_int_eq(hits_of(s, &f, "H2"), 1);
	f.tls_alpn = "h2c,http/1.1";
	ck_assert_uint_eq(nhits(s, &f), 0);
	f.tls_alpn = "H2";
	ck_assert_uint_eq(nhits(s, &f), 0);
	f.tls_alpn = "h";
	ck_assert_uint_eq(nhits(s, &f), 0);
	f.tls_alpn = "";
	ck_assert_uint_eq(nhits(s, &f), 0);
	f.tls_alpn = ",,";
	ck_assert_uint_eq(nhits(s, &f), 0);

	/* Prefix: the entry starts with it, possibly equals it. */
	f.tls_alpn = "http/1.1,anydesk/6.2.0/linux";
	ck_assert_int_eq(hits_of(s, &f, "AD"), 1);
	ck_assert_int_eq(hits_of(s, &f, "ADL"), 1);
	ck_assert_uint_eq(nhits(s, &f), 2);
	f.tls_alpn = "anydesk/";
	ck_assert_int_eq(hits_of(s, &f, "AD"), 1);
	ck_assert_uint_eq(nhits(s, &f), 1);
	f.tls_alpn = "anydesk,xanydesk/1";
	ck_assert_uint_eq(nhits(s, &f), 0);
	f.tls_alpn = "AnyDesk/6";
	ck_assert_uint_eq(nhits(s, &f), 0);
	/* Both items of AD hold: still reported once. */
	f.tls_alpn = "x-rd,anydesk/7";
	ck_assert_int_eq(hits_of(s, &f, "AD"), 1);
	f.tls_alpn = "anydesk/6.2.0/linux2";
	ck_assert_int_eq(hits_of(s, &f, "ADL"), 0);
	ck_assert_int_eq(hits_of(s, &f, "AD"), 1);

	/* AND with port: anchored on port, verified on alpn. */
	memset(&f, 0, sizeof(f));
	f.port = 443;
	f.proto = 6;
	ck_assert_uint_eq(nhits(s, &f), 0);
	f.tls_alpn = "h3";
	ck_assert_int_eq(hits_of(s, &f, "P"), 1);
	f.tls_alpn = "spdy/3.1";
	ck_assert_int_eq(hits_of(s, &f, "P"), 1);
	f.proto = 17;
	ck_assert_uint_eq(nhits(s, &f), 0);
	f.proto = 6;
	f.port = 8443;
	ck_assert_uint_eq(nhits(s, &f), 0);
	f.port = 0;
	ck_assert_uint_eq(nhits(s, &f), 0);
	sigset_free(s);
	tmp_close(&t);
}
END_TEST

START_TEST(tls_cert)
{
	static const char windscribe[] = "C=CA, ST=San Francisco, "
	    "O=Windscribe, OU=IT Dept., CN=54.153.90.230";
	struct tmp t;
	struct sigset *s;
	struct sig_facts f;

	tmp_open(&t);
	s = load_ok(&t,
	    "id=VPN-0900 category=proxy confidence=high cert=\"O=Windscribe\" "
	    "msg=\"Windscribe VPN server certificate\"\n"
	    "id=CA category=proxy cert=\"O=Evil CA, Inc.\",\"CN=Bad Root\" "
	    "msg=b\n"
	    "id=H category=proxy host=*.example.com cert=o=acme msg=c\n"
	    "id=PC category=proxy cert=\"OU=IT Dept.\" port=443 msg=d\n"
	    "id=AC category=proxy alpn=h2 cert=cn=h2.test msg=e\n", NULL);
	memset(&f, 0, sizeof(f));
	ck_assert_uint_eq(nhits(s, &f), 0);

	f.tls_cert_subject = windscribe;
	ck_assert_int_eq(hits_of(s, &f, "VPN-0900"), 1);
	ck_assert_uint_eq(nhits(s, &f), 1);
	f.tls_cert_subject = "c=ca, o=WINDSCRIBE";
	ck_assert_int_eq(hits_of(s, &f, "VPN-0900"), 1);
	f.tls_cert_subject = "O=Windscrib";
	ck_assert_uint_eq(nhits(s, &f), 0);
	f.tls_cert_subject = "";
	ck_assert_uint_eq(nhits(s, &f), 0);
	/* The issuer counts as well, alone or beside another subject. */
	f.tls_cert_subject = NULL;
	f.tls_cert_issuer = "C=CA, O=Windscribe";
	ck_assert_int_eq(hits_of(s, &f, "VPN-0900"), 1);
	f.tls_cert_subject = "CN=vpn.example.net";
	ck_assert_int_eq(hits_of(s, &f, "VPN-0900"), 1);
	f.tls_cert_issuer = "C=US, o=evil ca, inc., CN=x";
	ck_assert_int_eq(hits_of(s, &f, "CA"), 1);
	ck_assert_uint_eq(nhits(s, &f), 1);
	f.tls_cert_issuer = "cn=bad root";
	ck_assert_int_eq(hits_of(s, &f, "CA"), 1);
	/* A comma inside quotes is part of the item. */
	f.tls_cert_issuer = "O=Evil CA";
	ck_assert_uint_eq(nhits(s, &f), 0);

	/* host= anchors, cert= verifies. */
	memset(&f, 0, sizeof(f));
	f.host = "www.example.com";
	ck_assert_uint_eq(nhits(s, &f), 0);
	f.tls_cert_subject = "C=US, O=Acme, CN=www.example.com";
	ck_assert_int_eq(hits_of(s, &f, "H"), 1);
	ck_assert_uint_eq(nhits(s, &f), 1);
	f.host = "www.example.org";
	ck_assert_uint_eq(nhits(s, &f), 0);

	/* AND with port. */
	memset(&f, 0, sizeof(f));
	f.tls_cert_subject = windscribe;
	f.port = 443;
	f.proto = 6;
	ck_assert_int_eq(hits_of(s, &f, "PC"), 1);
	ck_assert_int_eq(hits_of(s, &f, "VPN-0900"), 1);
	ck_assert_uint_eq(nhits(s, &f), 2);
	f.port = 444;
	ck_assert_int_eq(hits_of(s, &f, "PC"), 0);

	/* alpn anchors, cert verifies. */
	memset(&f, 0, sizeof(f));
	f.tls_alpn = "h2";
	ck_assert_uint_eq(nhits(s, &f), 0);
	f.tls_cert_issuer = "CN=H2.Test";
	ck_assert_int_eq(hits_of(s, &f, "AC"), 1);
	f.tls_alpn = NULL;
	ck_assert_uint_eq(nhits(s, &f), 0);
	sigset_free(s);
	tmp_close(&t);
}
END_TEST

START_TEST(tls_errors)
{
	static const struct {
		const char *text;
		int line;
		const char *want;
	} cases[] = {
		{ "id=a category=p2p msg=x alpn=\n", 1, "alpn: empty value" },
		{ "id=a category=p2p msg=x alpn=h2,,h3\n", 1,
		  "alpn: empty item in list" },
		{ "id=a category=p2p msg=x alpn=*\n", 1,
		  "alpn: bad ALPN id '*' (1-64 printable characters, no "
		  "space or ',', '*' only at the end of a prefix)" },
		{ "id=a category=p2p msg=x alpn=a*b\n", 1,
		  "alpn: bad ALPN id 'a*b' (1-64 printable characters, no "
		  "space or ',', '*' only at the end of a prefix)" },
		{ "id=a category=p2p msg=x alpn=\"h 2\"\n", 1,
		  "alpn: bad ALPN id 'h 2' (1-64 printable characters, no "
		  "space or ',', '*' only at the end of a prefix)" },
		{ "id=a category=p2p msg=x alpn=\"h2,h3\"\n", 1,
		  "alpn: bad ALPN id 'h2,h3' (1-64 printable characters, no "
		  "space or ',', '*' only at the end of a prefix)" },
		{ "id=a category=p2p msg=x alpn=\"h2\\x01\"\n", 1,
		  "alpn: bad ALPN id 'h2\\x01' (1-64 printable characters, no "
		  "space or ',', '*' only at the end of a prefix)" },
		{ "id=a category=p2p msg=x alpn=0123456789abcdef0123456789abcdef"
		  "0123456789abcdef0123456789abcdefX\n", 1,
		  "alpn: bad ALPN id '0123456789abcdef0123456789abcdef"
		  "0123456789abcdef...' (1-64 printable characters, no "
		  "space or ',', '*' only at the end of a prefix)" },
		{ "id=a category=p2p msg=x alpn=h2 alpn=h3\n", 1,
		  "repeated key 'alpn'" },
		{ "id=a category=p2p msg=x cert=\n", 1, "cert: empty value" },
		{ "id=a category=p2p msg=x cert=\"\"\n", 1,
		  "cert: empty value" },
		{ "id=a category=p2p msg=x cert=\"O=A\",\n", 1,
		  "cert: empty item in list" },
		{ "id=a category=p2p msg=x cert=\"0123456789abcdef0123456789abcdef"
		  "0123456789abcdef0123456789abcdefX\"\n", 1,
		  "cert: '0123456789abcdef0123456789abcdef0123456789abcdef...' "
		  "is 65 bytes (1..64 allowed)" },
		{ "id=a category=p2p msg=x cert=\"O=\\x00\"\n", 1,
		  "cert: NUL byte in 'O=\\x00'" },
		{ "id=a category=p2p msg=x cert=O=A host=a.example cert=O=B\n",
		  1, "repeated key 'cert'" },
		{ "\nid=a category=p2p msg=x cert=\"O=A\nid=b\n", 2,
		  "cert: unterminated quoted value" },
	};
	struct tmp t;
	struct sigset *s;
	struct sig_facts f;
	size_t i;

	for (i = 0; i < NELEM(cases); i++)
		load_fails(cases[i].text, cases[i].line, cases[i].want, NULL);

	/* The longest items load and match; a 64-byte prefix plus '*'. */
	tmp_open(&t);
	s = load_ok(&t,
	    "id=L category=p2p msg=x alpn=0123456789abcdef0123456789abcdef"
	    "0123456789abcdef0123456789abcdef*\n"
	    "id=C category=p2p msg=x cert=\"0123456789ABCDEF0123456789abcdef"
	    "0123456789abcdef0123456789abcdef\"\n", NULL);
	memset(&f, 0, sizeof(f));
	f.tls_alpn = "h2,0123456789abcdef0123456789abcdef"
	    "0123456789abcdef0123456789abcdef/1";
	ck_assert_int_eq(hits_of(s, &f, "L"), 1);
	f.tls_cert_subject = "CN=0123456789abcdef0123456789abcdef"
	    "0123456789abcdef0123456789ABCDEF";
	ck_assert_int_eq(hits_of(s, &f, "C"), 1);
	ck_assert_uint_eq(nhits(s, &f), 2);
	sigset_free(s);
	tmp_close(&t);
}
END_TEST

Suite *
sig_suite(void)
{
	Suite *s = suite_create("sig");
	TCase *tc;

	tc = tcase_create("match");
	tcase_add_test(tc, host_exact_and_wildcard);
	tcase_add_test(tc, host_case_and_trailing_dot);
	tcase_add_test(tc, host_long_names);
	tcase_add_test(tc, ip_prefixes);
	tcase_add_test(tc, ports);
	tcase_add_test(tc, asn_and_country);
	tcase_add_test(tc, ndpi_names);
	tcase_add_test(tc, payloads);
	tcase_add_test(tc, and_or);
	tcase_add_test(tc, unknown_facts);
	tcase_add_test(tc, once_per_call);
	tcase_add_test(tc, empty_set);
	tcase_add_test(tc, many_rules);
	tcase_add_test(tc, shared_keys);
	tcase_add_test(tc, tls_alpn);
	tcase_add_test(tc, tls_cert);
	suite_add_tcase(s, tc);

	tc = tcase_create("load");
	tcase_add_test(tc, rules_and_indexes);
	tcase_add_test(tc, errors_keep_earlier_rules);
	tcase_add_test(tc, duplicate_id);
	tcase_add_test(tc, error_messages);
	tcase_add_test(tc, long_lines);
	tcase_add_test(tc, load_dir);
	tcase_add_test(tc, tls_errors);
	suite_add_tcase(s, tc);
	return s;
}
