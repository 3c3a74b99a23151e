/*
 * test_geo.c: country and AS lookups against small MaxMind DB files that
 * tests/geoip/make-test-mmdb.pl writes (documentation ranges only; see that
 * script for what each range holds).
 *
 * The databases are made once per test case, by an unchecked fixture in the
 * runner's process, and removed by its teardown, which runs there whether
 * the tests (each in its own child) pass or not. Check's fixtures take no
 * argument, so the one thing they share, the directory, is file-static.
 */
#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <limits.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "geo.h"
#include "suites.h"
#include "util.h"

#define MAKE_MMDB	"tests/geoip/make-test-mmdb.pl"
#define MMDB_NOT_FOUND	3	/* the script's exit status without its module */

static const char *const db_files[] = {
	"test-country.mmdb", "test-country-noalias.mmdb", "test-asn.mmdb",
};

static char geo_dir[PATH_MAX];	/* "" until make_dbs() made it */

static void
db_path(char *buf, size_t len, const char *name)
{
	int n;

	n = snprintf(buf, len, "%s/%s", geo_dir, name);
	ck_assert_msg(n > 0 && (size_t)n < len, "path too long");
}

static void
remove_dbs(void)
{
	char path[PATH_MAX + 64];
	char tmp[PATH_MAX + 64];
	size_t i;

	if (geo_dir[0] == '\0')
		return;
	for (i = 0; i < NELEM(db_files); i++) {
		snprintf(path, sizeof(path), "%s/%s", geo_dir, db_files[i]);
		snprintf(tmp, sizeof(tmp), "%s/%s.tmp", geo_dir, db_files[i]);
		unlink(path);
		unlink(tmp);
	}
	if (rmdir(geo_dir) == -1)
		fprintf(stderr, "test_geo: rmdir %s: %s\n", geo_dir,
		    strerror(errno));
	geo_dir[0] = '\0';
}

/* Runs the script into a new temporary directory; aborts the test case with
 * a message saying what to install when perl or its module is missing. */
static void
make_dbs(void)
{
	const char *tmpdir;
	char *argv[4];
	pid_t pid;
	int n, rc, status;

	if (access(MAKE_MMDB, R_OK) == -1)
		ck_abort_msg("%s: %s (run the unit tests from the source tree, "
		    "with make check-unit)", MAKE_MMDB, strerror(errno));
	if ((tmpdir = getenv("TMPDIR")) == NULL || *tmpdir == '\0')
		tmpdir = "/tmp";
	n = snprintf(geo_dir, sizeof(geo_dir), "%s/egressd-geo-XXXXXX",
	    tmpdir);
	ck_assert_msg(n > 0 && (size_t)n < sizeof(geo_dir), "TMPDIR too long");
	if (mkdtemp(geo_dir) == NULL) {
		geo_dir[0] = '\0';
		ck_abort_msg("mkdtemp in %s: %s", tmpdir, strerror(errno));
	}

	argv[0] = "perl";
	argv[1] = MAKE_MMDB;
	argv[2] = geo_dir;
	argv[3] = NULL;
	rc = posix_spawnp(&pid, "perl", NULL, NULL, argv, environ);
	if (rc != 0) {
		remove_dbs();
		ck_abort_msg("cannot run perl (%s): install it with "
		    "deploy/install-deps.sh", strerror(rc));
	}
	while (waitpid(pid, &status, 0) == -1)
		if (errno != EINTR)
			ck_abort_msg("waitpid: %s", strerror(errno));
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return;
	remove_dbs();
	if (WIFEXITED(status) && WEXITSTATUS(status) == MMDB_NOT_FOUND)
		ck_abort_msg("%s: Perl module MaxMind::DB::Writer::Tree missing: "
		    "run deploy/install-deps.sh", MAKE_MMDB);
	if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
		ck_abort_msg("perl not found: run deploy/install-deps.sh");
	ck_abort_msg("%s failed (wait status %d): see its message above; "
	    "deploy/install-deps.sh installs what it needs", MAKE_MMDB, status);
}

static struct geo *
open_dbs(const char *country, const char *asn)
{
	char cpath[PATH_MAX + 64], apath[PATH_MAX + 64], err[512];
	struct geo *g;

	if (country != NULL)
		db_path(cpath, sizeof(cpath), country);
	if (asn != NULL)
		db_path(apath, sizeof(apath), asn);
	err[0] = '\0';
	g = geo_open(country != NULL ? cpath : NULL, asn != NULL ? apath : NULL,
	    err, sizeof(err));
	ck_assert_msg(g != NULL, "geo_open: %s", err);
	return g;
}

/* "a.b.c.d" as IPv4-mapped, or an IPv6 address. */
static void
addr_of(const char *s, uint8_t addr[16])
{
	memset(addr, 0, 16);
	if (inet_pton(AF_INET, s, addr + 12) == 1) {
		addr[10] = 0xff;
		addr[11] = 0xff;
		return;
	}
	ck_assert_msg(inet_pton(AF_INET6, s, addr) == 1, "bad address %s", s);
}

/* Looks s up with out filled with junk first, so fields the lookup leaves
 * alone show. */
static int
lookup(struct geo *g, const char *s, struct geo_info *out)
{
	uint8_t addr[16];

	addr_of(s, addr);
	memset(out, 0xa5, sizeof(*out));
	return geo_lookup(g, addr, out);
}

static void
expect(struct geo *g, const char *s, const char *country, uint32_t asn,
    const char *org)
{
	struct geo_info gi;
	int found;

	found = lookup(g, s, &gi);
	ck_assert_msg(found == (*country != '\0' || asn != 0 || *org != '\0'),
	    "%s: found %d", s, found);
	ck_assert_msg(strcmp(gi.country, country) == 0,
	    "%s: country '%.3s', want '%s'", s, gi.country, country);
	ck_assert_msg(gi.asn == asn, "%s: asn %u, want %u", s,
	    (unsigned)gi.asn, (unsigned)asn);
	ck_assert_msg(strcmp(gi.as_org, org) == 0,
	    "%s: org '%.64s', want '%s'", s, gi.as_org, org);
}

START_TEST(ipv4_ranges)
{
	struct geo *g = open_dbs("test-country.mmdb", "test-asn.mmdb");

	expect(g, "192.0.2.1", "NL", 64500, "Example Tor Hosting B.V.");
	expect(g, "192.0.2.255", "NL", 64500, "Example Tor Hosting B.V.");
	expect(g, "198.51.100.0", "US", 64501, "Example Pool Networks");
	expect(g, "198.51.100.77", "US", 64501, "Example Pool Networks");
	expect(g, "203.0.113.9", "JP", 64502, "Ex\xc3\xa4mple \xc3\x91" "et");
	geo_close(g);
}
END_TEST

START_TEST(ipv6_ranges)
{
	struct geo *g = open_dbs("test-country.mmdb", "test-asn.mmdb");

	expect(g, "2001:db8::1", "DE", 64503, "Example IPv6 Transit GmbH");
	expect(g, "2001:db8:1234:5678::9", "DE", 64503,
	    "Example IPv6 Transit GmbH");
	expect(g, "2001:db8:fffe:ffff:ffff:ffff:ffff:ffff", "DE", 64503,
	    "Example IPv6 Transit GmbH");
	geo_close(g);
}
END_TEST

START_TEST(in_no_range)
{
	struct geo *g = open_dbs("test-country.mmdb", "test-asn.mmdb");

	expect(g, "192.0.3.1", "", 0, "");
	expect(g, "10.1.2.3", "", 0, "");
	expect(g, "0.0.0.0", "", 0, "");
	expect(g, "2001:db9::1", "", 0, "");
	expect(g, "::1", "", 0, "");
	geo_close(g);
}
END_TEST

/* The IPv4-mapped form finds the IPv4 entry with or without the file's
 * ::ffff:0:0/96 alias. */
START_TEST(ipv4_mapped)
{
	struct geo *g;
	uint8_t addr[16];
	struct geo_info gi;

	addr_of("::ffff:198.51.100.5", addr);
	g = open_dbs("test-country.mmdb", "test-asn.mmdb");
	ck_assert_int_eq(geo_lookup(g, addr, &gi), 1);
	ck_assert_str_eq(gi.country, "US");
	ck_assert_uint_eq(gi.asn, 64501);
	geo_close(g);

	g = open_dbs("test-country-noalias.mmdb", NULL);
	ck_assert_int_eq(geo_lookup(g, addr, &gi), 1);
	ck_assert_str_eq(gi.country, "US");
	ck_assert_uint_eq(gi.asn, 0);
	ck_assert_str_eq(gi.as_org, "");
	geo_close(g);
}
END_TEST

START_TEST(registered_country_fallback)
{
	struct geo *g = open_dbs("test-country.mmdb", NULL);

	expect(g, "2001:db8:ffff::1", "SE", 0, "");
	geo_close(g);
}
END_TEST

START_TEST(country_only)
{
	struct geo *g = open_dbs("test-country.mmdb", NULL);

	expect(g, "192.0.2.1", "NL", 0, "");
	expect(g, "2001:db8::1", "DE", 0, "");
	expect(g, "192.0.3.1", "", 0, "");
	geo_close(g);
}
END_TEST

START_TEST(asn_only)
{
	struct geo *g = open_dbs(NULL, "test-asn.mmdb");

	expect(g, "192.0.2.1", "", 64500, "Example Tor Hosting B.V.");
	expect(g, "2001:db8::1", "", 64503, "Example IPv6 Transit GmbH");
	expect(g, "192.0.3.1", "", 0, "");
	geo_close(g);
}
END_TEST

START_TEST(no_databases)
{
	struct geo *g = open_dbs(NULL, NULL);
	struct geo_info gi;

	ck_assert_int_eq(lookup(g, "192.0.2.1", &gi), 0);
	ck_assert_str_eq(gi.country, "");
	ck_assert_uint_eq(gi.asn, 0);
	ck_assert_str_eq(gi.as_org, "");
	geo_close(g);
	ck_assert_int_eq(lookup(NULL, "192.0.2.1", &gi), 0);
	ck_assert_str_eq(gi.country, "");
}
END_TEST

/* The script writes 62 ASCII bytes and then "é": the 63-byte field must
 * stop before the two-byte character rather than split it. */
START_TEST(utf8_org)
{
	struct geo *g = open_dbs(NULL, "test-asn.mmdb");
	struct geo_info gi;
	char want[63];

	ck_assert_int_eq(lookup(g, "203.0.113.200", &gi), 1);
	ck_assert_uint_eq(strlen(gi.as_org), 13);
	ck_assert_mem_eq(gi.as_org, "Ex\xc3\xa4mple \xc3\x91" "et", 14);

	memset(want, 'x', 62);
	want[62] = '\0';
	ck_assert_int_eq(lookup(g, "2001:db8:ffff::1", &gi), 1);
	ck_assert_uint_eq(gi.asn, 64504);
	ck_assert_str_eq(gi.as_org, want);
	geo_close(g);
}
END_TEST

START_TEST(missing_file)
{
	char path[PATH_MAX + 64], cpath[PATH_MAX + 64], err[512];

	db_path(path, sizeof(path), "no-such.mmdb");
	err[0] = '\0';
	ck_assert_ptr_null(geo_open(path, NULL, err, sizeof(err)));
	ck_assert_msg(strstr(err, path) != NULL, "err '%s'", err);
	ck_assert_msg(strstr(err, strerror(ENOENT)) != NULL, "err '%s'", err);

	err[0] = '\0';
	ck_assert_ptr_null(geo_open(NULL, path, err, sizeof(err)));
	ck_assert_msg(strstr(err, path) != NULL, "err '%s'", err);

	/* A good country database and a missing ASN one: the error names
	 * the missing one, and the open country database is closed (the
	 * sanitizer build's leak check would see it otherwise). */
	db_path(cpath, sizeof(cpath), "test-country.mmdb");
	err[0] = '\0';
	ck_assert_ptr_null(geo_open(cpath, path, err, sizeof(err)));
	ck_assert_msg(strstr(err, path) != NULL, "err '%s'", err);
}
END_TEST

START_TEST(not_a_database)
{
	char err[512];

	err[0] = '\0';
	ck_assert_ptr_null(geo_open(MAKE_MMDB, NULL, err, sizeof(err)));
	ck_assert_msg(strncmp(err, MAKE_MMDB ": ", strlen(MAKE_MMDB) + 2) == 0,
	    "err '%s'", err);
}
END_TEST

START_TEST(wrong_type)
{
	char cpath[PATH_MAX + 64], apath[PATH_MAX + 64], want[PATH_MAX + 128];
	char err[PATH_MAX + 128];

	db_path(cpath, sizeof(cpath), "test-country.mmdb");
	db_path(apath, sizeof(apath), "test-asn.mmdb");

	err[0] = '\0';
	ck_assert_ptr_null(geo_open(apath, NULL, err, sizeof(err)));
	snprintf(want, sizeof(want), "%s: not a Country/City database "
	    "(type 'GeoLite2-ASN')", apath);
	ck_assert_str_eq(err, want);

	err[0] = '\0';
	ck_assert_ptr_null(geo_open(NULL, cpath, err, sizeof(err)));
	snprintf(want, sizeof(want), "%s: not an ASN database "
	    "(type 'GeoLite2-Country')", cpath);
	ck_assert_str_eq(err, want);

	/* Swapped: the first one already fails. */
	err[0] = '\0';
	ck_assert_ptr_null(geo_open(apath, cpath, err, sizeof(err)));
	ck_assert_msg(strstr(err, "not a Country/City") != NULL, "err '%s'",
	    err);
}
END_TEST

START_TEST(close_null)
{
	geo_close(NULL);
}
END_TEST

Suite *
geo_suite(void)
{
	Suite *s = suite_create("geo");
	TCase *tc;

	tc = tcase_create("mmdb");
	tcase_add_unchecked_fixture(tc, make_dbs, remove_dbs);
	tcase_add_test(tc, ipv4_ranges);
	tcase_add_test(tc, ipv6_ranges);
	tcase_add_test(tc, in_no_range);
	tcase_add_test(tc, ipv4_mapped);
	tcase_add_test(tc, registered_country_fallback);
	tcase_add_test(tc, country_only);
	tcase_add_test(tc, asn_only);
	tcase_add_test(tc, no_databases);
	tcase_add_test(tc, utf8_org);
	tcase_add_test(tc, missing_file);
	tcase_add_test(tc, not_a_database);
	tcase_add_test(tc, wrong_type);
	suite_add_tcase(s, tc);

	tc = tcase_create("api");
	tcase_add_test(tc, close_null);
	suite_add_tcase(s, tc);
	return s;
}
