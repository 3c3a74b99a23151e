/*
 * test_names.c: host names from a client's first bytes: a ClientHello
 * laid out as RFC 8446 section 4.1.2 defines it, cut at every length; HTTP
 * Host headers in the forms RFC 9112 allows.
 */
#include <check.h>
#include <stdint.h>
#include <string.h>

#include "names.h"
#include "suites.h"

/* A ClientHello with one cipher suite and the given server_name. */
static size_t
hello(uint8_t *b, const char *name)
{
	size_t n = strlen(name), ext = 9 + n, body = 2 + 32 + 1 + 2 + 2 + 2 + 2 + ext,
	    off = 0;

	b[off++] = 22; b[off++] = 3; b[off++] = 1;
	b[off++] = (uint8_t)((body + 4) >> 8); b[off++] = (uint8_t)(body + 4);
	b[off++] = 1; b[off++] = 0;
	b[off++] = (uint8_t)(body >> 8); b[off++] = (uint8_t)body;
	b[off++] = 3; b[off++] = 3;
	memset(b + off, 0x11, 32);
	off += 32;
	b[off++] = 0;				/* session id */
	b[off++] = 0; b[off++] = 2; b[off++] = 0x13; b[off++] = 0x01;
	b[off++] = 1; b[off++] = 0;		/* compression */
	b[off++] = (uint8_t)(ext >> 8); b[off++] = (uint8_t)ext;
	b[off++] = 0; b[off++] = 0;		/* server_name */
	b[off++] = (uint8_t)((n + 5) >> 8); b[off++] = (uint8_t)(n + 5);
	b[off++] = (uint8_t)((n + 3) >> 8); b[off++] = (uint8_t)(n + 3);
	b[off++] = 0;
	b[off++] = (uint8_t)(n >> 8); b[off++] = (uint8_t)n;
	memcpy(b + off, name, n);
	return off + n;
}

START_TEST(sni)
{
	uint8_t b[512];
	char out[NAME_MAX_LEN + 1], name[256];
	size_t n, k;

	n = hello(b, "Pool.Example.TEST");
	ck_assert_uint_eq(name_tls_sni(b, n, out), 17);
	ck_assert_str_eq(out, "pool.example.test");
	/* a name of 200 bytes comes whole */
	memset(name, 'a', 200);
	memcpy(name + 200 - 13, ".example.test", 13);
	name[200] = '\0';
	n = hello(b, name);
	ck_assert_uint_eq(name_tls_sni(b, n, out), 200);
	ck_assert_str_eq(out, name);
	/* every cut short of the name's end gives nothing, never a part */
	for (k = 0; k < n; k++)
		ck_assert_uint_eq(name_tls_sni(b, k, out), 0);
	/* bytes no host name has */
	n = hello(b, "bad name.example");
	ck_assert_uint_eq(name_tls_sni(b, n, out), 0);
	/* not a handshake record */
	n = hello(b, "a.example");
	b[0] = 23;
	ck_assert_uint_eq(name_tls_sni(b, n, out), 0);
}
END_TEST

START_TEST(http_host)
{
	char out[NAME_MAX_LEN + 1];
	static const char req[] = "GET /x HTTP/1.1\r\nUser-Agent: t\r\n"
	    "HOST:  Files.Example.test:8080\r\n\r\n";
	static const char nohost[] = "GET / HTTP/1.1\r\nAccept: */*\r\n\r\n"
	    "Host: late.example\r\n";
	static const char cut[] = "GET / HTTP/1.1\r\nHost: files.exa";

	ck_assert_uint_eq(name_http_host((const uint8_t *)req, sizeof(req) - 1,
	    out), 18);
	ck_assert_str_eq(out, "files.example.test");
	ck_assert_uint_eq(name_http_host((const uint8_t *)nohost,
	    sizeof(nohost) - 1, out), 0);
	ck_assert_uint_eq(name_http_host((const uint8_t *)cut, sizeof(cut) - 1,
	    out), 0);
	ck_assert_uint_eq(name_http_host((const uint8_t *)"\x16\x03\x01", 3,
	    out), 0);
}
END_TEST

Suite *
names_suite(void)
{
	Suite *s = suite_create("names");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, sni);
	tcase_add_test(tc, http_host);
	suite_add_tcase(s, tc);
	return s;
}
