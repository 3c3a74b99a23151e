/*
 * test_config.c: the option table through config_set() and config_load():
 * defaults, each option type with good, bad and boundary values, the
 * '-'/'_' equivalence of names, and the "file:line: what" form of every
 * config file error.
 */
#include <arpa/inet.h>
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cidr.h"
#include "config.h"
#include "suites.h"
#include "util.h"

#define SEC 1000000ULL

/* Writes text to a fresh temporary file whose name goes into path. */
static void
write_temp(char *path, size_t len, const char *text)
{
	const char *dir = getenv("TMPDIR");
	FILE *fp;
	int fd;

	snprintf(path, len, "%s/egressd-config-XXXXXX",
	    dir != NULL && *dir != '\0' ? dir : "/tmp");
	fd = mkstemp(path);
	ck_assert_int_ne(fd, -1);
	fp = fdopen(fd, "w");
	ck_assert_ptr_nonnull(fp);
	ck_assert_int_eq(fputs(text, fp) >= 0, 1);
	ck_assert_int_eq(fclose(fp), 0);
}

/* Loads text as a config file over the defaults; returns config_load's
 * result with the message in err and the file's name in path. */
static int
load_text(struct config *cfg, const char *text, char *path, size_t pathlen,
    char *err, size_t errlen)
{
	int rc;

	write_temp(path, pathlen, text);
	config_defaults(cfg);
	err[0] = '\0';
	rc = config_load(cfg, path, err, errlen);
	unlink(path);
	return rc;
}

/* Asserts that err is "path:line: " followed by text containing what. */
static void
assert_error_at(const char *err, const char *path, int line, const char *what)
{
	char prefix[512];

	snprintf(prefix, sizeof(prefix), "%s:%d: ", path, line);
	ck_assert_msg(strncmp(err, prefix, strlen(prefix)) == 0,
	    "error '%s' does not start with '%s'", err, prefix);
	ck_assert_msg(strstr(err + strlen(prefix), what) != NULL,
	    "error '%s' does not say '%s'", err, what);
}

START_TEST(defaults)
{
	struct config cfg;

	memset(&cfg, 0xa5, sizeof(cfg));
	config_defaults(&cfg);
	ck_assert_int_eq(cfg.max_flows, 262144);
	ck_assert_uint_eq(cfg.tcp_idle_timeout_us, 600 * SEC);
	ck_assert_uint_eq(cfg.tcp_closed_timeout_us, 5 * SEC);
	ck_assert_uint_eq(cfg.udp_idle_timeout_us, 180 * SEC);
	ck_assert_uint_eq(cfg.other_idle_timeout_us, 60 * SEC);
	ck_assert_int_eq(cfg.dpi_tcp_packets, 80);
	ck_assert_int_eq(cfg.dpi_udp_packets, 24);
	ck_assert_int_eq(cfg.dpi_guess, 1);
	ck_assert_int_eq(cfg.flows, 0);
	ck_assert_uint_eq(cfg.n_vm_networks, 0);
}
END_TEST

START_TEST(set_int)
{
	struct config cfg;
	char err[256];

	config_defaults(&cfg);
	ck_assert_int_eq(config_set(&cfg, "max_flows", "1000", err, sizeof(err)), 0);
	ck_assert_int_eq(cfg.max_flows, 1000);
	ck_assert_int_eq(config_set(&cfg, "max_flows", "1", err, sizeof(err)), 0);
	ck_assert_int_eq(cfg.max_flows, 1);
	ck_assert_int_eq(config_set(&cfg, "max_flows", "16777216", err,
	    sizeof(err)), 0);
	ck_assert_int_eq(cfg.max_flows, 16777216);
	ck_assert_int_eq(config_set(&cfg, "max_flows", "0", err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "max_flows"));
	ck_assert_int_eq(config_set(&cfg, "max_flows", "16777217", err,
	    sizeof(err)), -1);
	ck_assert_int_eq(config_set(&cfg, "max_flows", "-3", err, sizeof(err)), -1);
	ck_assert_int_eq(config_set(&cfg, "max_flows", "lots", err, sizeof(err)),
	    -1);
	ck_assert_ptr_nonnull(strstr(err, "'lots'"));
	ck_assert_int_eq(config_set(&cfg, "max_flows", "", err, sizeof(err)), -1);
	ck_assert_int_eq(cfg.max_flows, 16777216);	/* kept on failure */
	ck_assert_int_eq(config_set(&cfg, "dpi_tcp_packets", "1000", err,
	    sizeof(err)), 0);
	ck_assert_int_eq(cfg.dpi_tcp_packets, 1000);
	ck_assert_int_eq(config_set(&cfg, "dpi_tcp_packets", "1001", err,
	    sizeof(err)), -1);
	ck_assert_int_eq(config_set(&cfg, "dpi_udp_packets", "3", err,
	    sizeof(err)), 0);
	ck_assert_int_eq(cfg.dpi_udp_packets, 3);
	ck_assert_int_eq(cfg.dpi_tcp_packets, 1000);
}
END_TEST

START_TEST(set_duration)
{
	struct config cfg;
	char err[256];

	config_defaults(&cfg);
	ck_assert_int_eq(config_set(&cfg, "tcp_idle_timeout", "30m", err,
	    sizeof(err)), 0);
	ck_assert_uint_eq(cfg.tcp_idle_timeout_us, 1800 * SEC);
	ck_assert_int_eq(config_set(&cfg, "tcp_idle_timeout", "86400", err,
	    sizeof(err)), 0);
	ck_assert_uint_eq(cfg.tcp_idle_timeout_us, 86400 * SEC);
	ck_assert_int_eq(config_set(&cfg, "tcp_idle_timeout", "86401s", err,
	    sizeof(err)), -1);
	ck_assert_int_eq(config_set(&cfg, "tcp_idle_timeout", "25h", err,
	    sizeof(err)), -1);
	ck_assert_int_eq(config_set(&cfg, "tcp_idle_timeout", "999ms", err,
	    sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "tcp_idle_timeout"));
	ck_assert_int_eq(config_set(&cfg, "udp_idle_timeout", "0", err,
	    sizeof(err)), -1);
	ck_assert_int_eq(config_set(&cfg, "udp_idle_timeout", "1s", err,
	    sizeof(err)), 0);
	ck_assert_uint_eq(cfg.udp_idle_timeout_us, SEC);
	ck_assert_int_eq(config_set(&cfg, "other_idle_timeout", "2m", err,
	    sizeof(err)), 0);
	ck_assert_uint_eq(cfg.other_idle_timeout_us, 120 * SEC);
	/* The closed grace may be zero and below a second. */
	ck_assert_int_eq(config_set(&cfg, "tcp_closed_timeout", "0", err,
	    sizeof(err)), 0);
	ck_assert_uint_eq(cfg.tcp_closed_timeout_us, 0);
	ck_assert_int_eq(config_set(&cfg, "tcp_closed_timeout", "500ms", err,
	    sizeof(err)), 0);
	ck_assert_uint_eq(cfg.tcp_closed_timeout_us, 500000);
	ck_assert_int_eq(config_set(&cfg, "tcp_closed_timeout", "2h", err,
	    sizeof(err)), -1);
	ck_assert_int_eq(config_set(&cfg, "tcp_closed_timeout", "soon", err,
	    sizeof(err)), -1);
	ck_assert_uint_eq(cfg.tcp_closed_timeout_us, 500000);
	ck_assert_uint_eq(cfg.tcp_idle_timeout_us, 86400 * SEC);
}
END_TEST

START_TEST(set_bool)
{
	static const char *yes[] = { "yes", "YES", "true", "On", "1" };
	static const char *no[] = { "no", "No", "FALSE", "off", "0" };
	struct config cfg;
	char err[256];
	size_t i;

	config_defaults(&cfg);
	for (i = 0; i < NELEM(yes); i++) {
		cfg.flows = 0;
		ck_assert_int_eq(config_set(&cfg, "flows", yes[i], err,
		    sizeof(err)), 0);
		ck_assert_int_eq(cfg.flows, 1);
	}
	for (i = 0; i < NELEM(no); i++) {
		cfg.dpi_guess = 1;
		ck_assert_int_eq(config_set(&cfg, "dpi_guess", no[i], err,
		    sizeof(err)), 0);
		ck_assert_int_eq(cfg.dpi_guess, 0);
	}
	ck_assert_int_eq(config_set(&cfg, "flows", "maybe", err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "flows"));
	ck_assert_int_eq(config_set(&cfg, "flows", "", err, sizeof(err)), -1);
	ck_assert_int_eq(config_set(&cfg, "flows", "2", err, sizeof(err)), -1);
	ck_assert_int_eq(cfg.flows, 1);
}
END_TEST

START_TEST(set_cidr_list)
{
	struct config cfg;
	char err[256];
	uint8_t a[16];

	config_defaults(&cfg);
	ck_assert_int_eq(config_set(&cfg, "vm_networks",
	    "10.0.0.0/8, 192.168.1.0/24 2001:db8::/32,,", err, sizeof(err)), 0);
	ck_assert_uint_eq(cfg.n_vm_networks, 3);
	ck_assert_uint_eq(cfg.vm_networks[0].bits, 104);
	ck_assert_uint_eq(cfg.vm_networks[1].bits, 120);
	ck_assert_uint_eq(cfg.vm_networks[2].bits, 32);
	ck_assert_int_eq(inet_pton(AF_INET6, "2001:db8:1::5", a), 1);
	ck_assert(cidr_contains(&cfg.vm_networks[2], a));
	ck_assert_int_eq(config_set(&cfg, "vm_networks", "10.0.0.0/8, nonsense",
	    err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "'nonsense'"));
	ck_assert_int_eq(config_set(&cfg, "vm_networks", "10.0.0.0/33", err,
	    sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "vm_networks"));
}
END_TEST

START_TEST(cidr_list_cap)
{
	struct config *cfg = xmalloc(sizeof(*cfg));
	char err[256], item[32];
	int i;

	config_defaults(cfg);
	for (i = 0; i < CONFIG_MAX_VM_NETWORKS; i++) {
		snprintf(item, sizeof(item), "10.%d.%d.0/24", i / 256, i % 256);
		ck_assert_int_eq(config_set(cfg, "vm_networks", item, err,
		    sizeof(err)), 0);
	}
	ck_assert_uint_eq(cfg->n_vm_networks, CONFIG_MAX_VM_NETWORKS);
	ck_assert_int_eq(config_set(cfg, "vm_networks", "11.0.0.0/8", err,
	    sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "more than"));
	ck_assert_uint_eq(cfg->n_vm_networks, CONFIG_MAX_VM_NETWORKS);
	free(cfg);
}
END_TEST

START_TEST(names_dash_and_underscore)
{
	struct config cfg;
	char err[256];
	int tv = -1;

	config_defaults(&cfg);
	ck_assert_int_eq(config_set(&cfg, "max-flows", "77", err, sizeof(err)), 0);
	ck_assert_int_eq(cfg.max_flows, 77);
	ck_assert_int_eq(config_set(&cfg, "tcp-idle-timeout", "10s", err,
	    sizeof(err)), 0);
	ck_assert_uint_eq(cfg.tcp_idle_timeout_us, 10 * SEC);
	ck_assert_int_eq(config_set(&cfg, "dpi-guess", "no", err, sizeof(err)), 0);
	ck_assert_int_eq(cfg.dpi_guess, 0);
	ck_assert_int_eq(config_is_option("vm-networks", &tv), 1);
	ck_assert_int_eq(tv, 1);
	ck_assert_int_eq(config_is_option("vm_networks", &tv), 1);
	ck_assert_int_eq(config_is_option("flows", &tv), 1);
	ck_assert_int_eq(tv, 0);
	ck_assert_int_eq(config_is_option("dpi-guess", NULL), 1);
	ck_assert_int_eq(config_is_option("nope", &tv), 0);
	ck_assert_int_eq(config_is_option("max__flows", NULL), 0);
	ck_assert_int_eq(config_is_option("Max_Flows", NULL), 0);
	ck_assert_int_eq(config_set(&cfg, "nope", "1", err, sizeof(err)), -1);
	ck_assert_str_eq(err, "unknown option 'nope'");
	/* A name longer than any option is unknown, not truncated to one. */
	ck_assert_int_eq(config_is_option("max_flows_xxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", NULL), 0);
}
END_TEST

START_TEST(option_names)
{
	size_t i;
	int tv, seen_max = 0, seen_flows = 0;
	const char *n;

	for (i = 0; (n = config_option_name(i, &tv)) != NULL; i++) {
		ck_assert_ptr_null(strchr(n, '-'));
		ck_assert_int_eq(config_is_option(n, NULL), 1);
		if (strcmp(n, "max_flows") == 0) {
			seen_max = 1;
			ck_assert_int_eq(tv, 1);
		}
		if (strcmp(n, "flows") == 0) {
			seen_flows = 1;
			ck_assert_int_eq(tv, 0);
		}
	}
	ck_assert_uint_eq(i, 81);
	ck_assert(seen_max && seen_flows);
}
END_TEST

START_TEST(load_good_file)
{
	struct config cfg;
	char path[256], err[256];

	ck_assert_int_eq(load_text(&cfg,
	    "# egressd test configuration\n"
	    "; another comment\n"
	    "\n"
	    "max_flows = 5000\n"
	    "tcp_idle_timeout=  90s  \n"
	    "udp-idle-timeout = 2m ; inline comment\n"
	    "tcp_closed_timeout = 250ms\n"
	    "flows = yes\n"
	    "dpi_guess = off\n"
	    "vm_networks = 10.0.0.0/8, fd00::/8\n",
	    path, sizeof(path), err, sizeof(err)), 0);
	ck_assert_str_eq(err, "");
	ck_assert_int_eq(cfg.max_flows, 5000);
	ck_assert_uint_eq(cfg.tcp_idle_timeout_us, 90 * SEC);
	ck_assert_uint_eq(cfg.udp_idle_timeout_us, 120 * SEC);
	ck_assert_uint_eq(cfg.tcp_closed_timeout_us, 250000);
	ck_assert_uint_eq(cfg.other_idle_timeout_us, 60 * SEC);
	ck_assert_int_eq(cfg.flows, 1);
	ck_assert_int_eq(cfg.dpi_guess, 0);
	ck_assert_uint_eq(cfg.n_vm_networks, 2);
	ck_assert_uint_eq(cfg.vm_networks[1].bits, 8);
}
END_TEST

START_TEST(load_empty_file)
{
	struct config cfg, def;
	char path[256], err[256];

	ck_assert_int_eq(load_text(&cfg, "", path, sizeof(path), err,
	    sizeof(err)), 0);
	config_defaults(&def);
	ck_assert_mem_eq(&cfg, &def, sizeof(cfg));
}
END_TEST

START_TEST(load_unknown_key)
{
	struct config cfg;
	char path[256], err[512];

	ck_assert_int_eq(load_text(&cfg,
	    "max_flows = 10\n"
	    "# comment\n"
	    "\n"
	    "max_flowz = 20\n"
	    "flows = yes\n",
	    path, sizeof(path), err, sizeof(err)), -1);
	assert_error_at(err, path, 4, "unknown option 'max_flowz'");
}
END_TEST

START_TEST(load_bad_value)
{
	struct config cfg;
	char path[256], err[512];

	ck_assert_int_eq(load_text(&cfg,
	    "max_flows = 10\n"
	    "udp_idle_timeout = 3 days\n",
	    path, sizeof(path), err, sizeof(err)), -1);
	assert_error_at(err, path, 2, "udp_idle_timeout: '3 days'");
}
END_TEST

START_TEST(load_section)
{
	struct config cfg;
	char path[256], err[512];

	ck_assert_int_eq(load_text(&cfg,
	    "max_flows = 10\n"
	    "\n"
	    "[webhook]\n"
	    "url = http://example.invalid/\n",
	    path, sizeof(path), err, sizeof(err)), -1);
	/* The section's own line, not the key after it. */
	assert_error_at(err, path, 3, "sections are not used");
	/* A section as the last line is caught too. */
	ck_assert_int_eq(load_text(&cfg, "max_flows = 10\n[main]\n", path,
	    sizeof(path), err, sizeof(err)), -1);
	assert_error_at(err, path, 2, "sections are not used");
}
END_TEST

START_TEST(load_malformed_line)
{
	struct config cfg;
	char path[256], err[512];

	ck_assert_int_eq(load_text(&cfg,
	    "max_flows = 10\n"
	    "this line has no value\n"
	    "flows = yes\n",
	    path, sizeof(path), err, sizeof(err)), -1);
	assert_error_at(err, path, 2, "not a 'key = value' line");
}
END_TEST

/* The first error is reported, with its own line and its own message, also
 * when a later line fails in a different way. */
START_TEST(load_first_error_wins)
{
	struct config cfg;
	char path[256], err[512];

	ck_assert_int_eq(load_text(&cfg,
	    "max_flows = 10\n"
	    "no value here\n"
	    "bogus_key = 1\n",
	    path, sizeof(path), err, sizeof(err)), -1);
	assert_error_at(err, path, 2, "not a 'key = value' line");
	ck_assert_ptr_null(strstr(err, "bogus_key"));

	ck_assert_int_eq(load_text(&cfg,
	    "bogus_key = 1\n"
	    "no value here\n"
	    "max_flows = x\n",
	    path, sizeof(path), err, sizeof(err)), -1);
	assert_error_at(err, path, 1, "unknown option 'bogus_key'");
}
END_TEST

/* Appends "vm_networks = " and count networks 10.<first..>.0.0/16 to text,
 * prefix before the key (a continuation line has none). */
static size_t
add_networks(char *text, size_t n, size_t len, const char *prefix, int first,
    int count)
{
	int i;

	n += (size_t)snprintf(text + n, len - n, "%s", prefix);
	for (i = 0; i < count; i++)
		n += (size_t)snprintf(text + n, len - n, "%s10.%d.0.0/16",
		    i ? ", " : "", first + i);
	n += (size_t)snprintf(text + n, len - n, "\n");
	ck_assert_uint_lt(n, len);
	return n;
}

/* A line longer than the parser's buffer is an error on that line, not
 * read as several lines; the numbers of the lines after it stay right. */
START_TEST(load_long_line)
{
	struct config cfg;
	char text[4096], path[256], err[512];
	size_t n;
	int i;

	n = (size_t)snprintf(text, sizeof(text), "flows = yes\n");
	n = add_networks(text, n, sizeof(text), "vm_networks = ", 100, 40);
	ck_assert_uint_gt(n, 400);
	n += (size_t)snprintf(text + n, sizeof(text) - n, "max_flows = 0\n");
	ck_assert_int_eq(load_text(&cfg, text, path, sizeof(path), err,
	    sizeof(err)), -1);
	assert_error_at(err, path, 2, "line longer than");

	/* A long comment is fine, and later lines keep their numbers. */
	n = (size_t)snprintf(text, sizeof(text), "# ");
	for (i = 0; i < 40; i++)
		n += (size_t)snprintf(text + n, sizeof(text) - n, "a long comment ");
	n += (size_t)snprintf(text + n, sizeof(text) - n,
	    "\nflows = yes\nmax_flows = 10");	/* no final newline */
	ck_assert_int_eq(load_text(&cfg, text, path, sizeof(path), err,
	    sizeof(err)), 0);
	ck_assert_int_eq(cfg.flows, 1);
	ck_assert_int_eq(cfg.max_flows, 10);
	n += (size_t)snprintf(text + n, sizeof(text) - n, "\nbogus = 1\n");
	ck_assert_int_eq(load_text(&cfg, text, path, sizeof(path), err,
	    sizeof(err)), -1);
	assert_error_at(err, path, 4, "unknown option 'bogus'");

	/* A long list is written as repeated keys or continuation lines. */
	n = 0;
	for (i = 0; i < 5; i++)
		n = add_networks(text, n, sizeof(text), "vm_networks = ",
		    100 + 8 * i, 8);
	n = add_networks(text, n, sizeof(text), "vm_networks = ", 140, 8);
	n = add_networks(text, n, sizeof(text), "    ", 148, 8);
	ck_assert_int_eq(load_text(&cfg, text, path, sizeof(path), err,
	    sizeof(err)), 0);
	ck_assert_uint_eq(cfg.n_vm_networks, 56);
	for (i = 0; i < 56; i++) {
		ck_assert_uint_eq(cfg.vm_networks[i].bits, 96 + 16);
		ck_assert_int_eq(cfg.vm_networks[i].addr[13], 100 + i);
	}
}
END_TEST

/* A directory or a device is an error, not an empty file. */
START_TEST(load_directory)
{
	struct config cfg;
	char err[512];

	config_defaults(&cfg);
	ck_assert_int_eq(config_load(&cfg, "/", err, sizeof(err)), -1);
	ck_assert_str_eq(err, "/: is a directory, not a regular file");
	ck_assert_int_eq(config_load(&cfg, "/dev/null", err, sizeof(err)), -1);
	ck_assert_str_eq(err,
	    "/dev/null: is a character device, not a regular file");
}
END_TEST

START_TEST(load_missing_file)
{
	struct config cfg;
	char err[512];
	const char *path = "/nonexistent-egressd-dir/egressd.conf";

	config_defaults(&cfg);
	ck_assert_int_eq(config_load(&cfg, path, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "/nonexistent-egressd-dir/egressd.conf: "
	    "No such file or directory");
}
END_TEST

/* What config_dump() writes, config_load() reads back to the same settings. */
START_TEST(dump_round_trip)
{
	struct config cfg, back;
	char path[256], err[256];
	FILE *fp;

	config_defaults(&cfg);
	ck_assert_int_eq(config_set(&cfg, "tcp_closed_timeout", "1500ms", err,
	    sizeof(err)), 0);
	ck_assert_int_eq(config_set(&cfg, "max_flows", "4242", err, sizeof(err)),
	    0);
	ck_assert_int_eq(config_set(&cfg, "flows", "yes", err, sizeof(err)), 0);
	ck_assert_int_eq(config_set(&cfg, "vm_networks",
	    "10.1.2.3/16, 2001:db8::/48", err, sizeof(err)), 0);
	write_temp(path, sizeof(path), "");
	fp = fopen(path, "w");
	ck_assert_ptr_nonnull(fp);
	config_dump(&cfg, fp);
	ck_assert_int_eq(fclose(fp), 0);
	config_defaults(&back);
	ck_assert_int_eq(config_load(&back, path, err, sizeof(err)), 0);
	unlink(path);
	/* The dump names every option, so the file sets all of them: which
	 * were given is the one thing a round trip does not keep. */
	memset(back.given, 0, sizeof(back.given));
	memset(cfg.given, 0, sizeof(cfg.given));
	ck_assert_mem_eq(&back, &cfg, sizeof(cfg));
}

START_TEST(misplaced)
{
	static struct config cfg;
	const char *names[4];
	char err[256];

	config_defaults(&cfg);
	ck_assert_uint_eq(config_misplaced(&cfg, MODE_REPLAY, names, 4), 0);
	ck_assert_int_eq(config_set(&cfg, "max_flows", "10", err,
	    sizeof(err)), 0);
	ck_assert_int_eq(config_set(&cfg, "metrics", "9100", err,
	    sizeof(err)), 0);
	ck_assert_int_eq(config_set(&cfg, "bpf_filter", "tcp", err,
	    sizeof(err)), 0);
	/* Set, but for live capture only: named for a replay. */
	ck_assert_uint_eq(config_misplaced(&cfg, MODE_REPLAY, names, 4), 1);
	ck_assert_str_eq(names[0], "metrics");
	ck_assert_uint_eq(config_misplaced(&cfg, MODE_LIVE, names, 4), 0);
	/* A default is never named, even one that differs by mode. */
	config_defaults(&cfg);
	ck_assert_uint_eq(config_misplaced(&cfg, MODE_REPLAY, names, 4), 0);
}
END_TEST
END_TEST

Suite *
config_suite(void)
{
	Suite *s = suite_create("config");
	TCase *tc;

	tc = tcase_create("set");
	tcase_add_test(tc, defaults);
	tcase_add_test(tc, set_int);
	tcase_add_test(tc, set_duration);
	tcase_add_test(tc, set_bool);
	tcase_add_test(tc, set_cidr_list);
	tcase_add_test(tc, cidr_list_cap);
	tcase_add_test(tc, names_dash_and_underscore);
	tcase_add_test(tc, option_names);
	suite_add_tcase(s, tc);

	tc = tcase_create("load");
	tcase_add_test(tc, load_good_file);
	tcase_add_test(tc, load_empty_file);
	tcase_add_test(tc, load_unknown_key);
	tcase_add_test(tc, load_bad_value);
	tcase_add_test(tc, load_section);
	tcase_add_test(tc, load_malformed_line);
	tcase_add_test(tc, load_first_error_wins);
	tcase_add_test(tc, load_long_line);
	tcase_add_test(tc, load_missing_file);
	tcase_add_test(tc, load_directory);
	tcase_add_test(tc, dump_round_trip);
	tcase_add_test(tc, misplaced);
	suite_add_tcase(s, tc);
	return s;
}
