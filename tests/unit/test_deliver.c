/*
 * test_deliver.c: what delivery promises about every verdict. Once
 * deliver_finish has returned, each verdict handed to deliver_verdict is
 * exactly one of: delivered, in the spool (webhook.pending), or lost and
 * counted; the stats say so and the returned end agrees. The webhook here
 * points at a loopback port nothing listens on, so nothing is delivered:
 * everything is stored or lost, which is what these tests look at.
 */
#include <check.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "deliver.h"
#include "event.h"
#include "helpers.h"
#include "policy.h"
#include "suites.h"

#define NVERDICTS	50

static char base[256];		/* the test's mkdtemp directory */
static char spooldir[300], secret[300];
static struct config cfg;	/* large: off the stack */

static void
setup(void)
{
	const char *t = getenv("TMPDIR");
	FILE *fp;

	snprintf(base, sizeof(base), "%s/egressd-deliver-XXXXXX",
	    t != NULL && *t != '\0' ? t : "/tmp");
	ck_assert_ptr_nonnull(mkdtemp(base));
	snprintf(spooldir, sizeof(spooldir), "%s/spool", base);
	snprintf(secret, sizeof(secret), "%s/secret", base);
	ck_assert_ptr_nonnull(fp = fopen(secret, "w"));
	/* 32 zero bytes, in the Standard Webhooks form */
	fputs("whsec_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n", fp);
	fclose(fp);
	chmod(secret, 0600);
}

static void
teardown(void)
{
	struct dirent *de;
	char p[600];
	DIR *d;

	if ((d = opendir(spooldir)) != NULL) {
		while ((de = readdir(d)) != NULL) {
			snprintf(p, sizeof(p), "%s/%s", spooldir, de->d_name);
			unlink(p);
		}
		closedir(d);
		rmdir(spooldir);
	}
	unlink(secret);
	rmdir(base);
}

/* The settings: a webhook nothing answers, plus the extra pairs given. */
static void
settings(const char *const *names, const char *const *values, size_t n)
{
	const char *nm[12] = { "webhook", "webhook_secret_file",
	    "webhook_batch" };
	const char *va[12] = { "http://127.0.0.1:9/hook", secret, "1" };
	char err[512];
	size_t i, k = 3;

	for (i = 0; i < n && k < 12; i++, k++) {
		nm[k] = names[i];
		va[k] = values[i];
	}
	ck_assert_msg(config_build(&cfg, NULL, nm, va, k, err,
	    sizeof(err)) == 0, "%s", err);
}

static void
hand_in(struct deliver *d, unsigned n)
{
	struct verdict v;
	unsigned i;

	for (i = 0; i < n; i++) {
		memset(&v, 0, sizeof(v));
		v.ts_us = 1000000ULL * (i + 1);
		snprintf(v.verdict_id, sizeof(v.verdict_id), "v%04u", i);
		snprintf(v.vm, sizeof(v.vm), "vm-test");
		v.category = CAT_MINING;
		v.severity = "high";
		v.confidence = CONF_HIGH;
		v.decided_by = "heuristic";
		snprintf(v.reason, sizeof(v.reason), "stratum login");
		v.action = "alert";
		deliver_verdict(d, &v);
	}
}

/* Verdicts in the spool's message files. */
static unsigned
spooled_verdicts(void)
{
	struct dirent *de;
	char p[600], buf[8192];
	unsigned n = 0;
	FILE *fp;
	DIR *d;

	if ((d = opendir(spooldir)) == NULL)
		return 0;
	while ((de = readdir(d)) != NULL) {
		size_t len = strlen(de->d_name), got;
		char *q;

		if (len < 5 || strcmp(de->d_name + len - 4, ".msg") != 0)
			continue;
		snprintf(p, sizeof(p), "%s/%s", spooldir, de->d_name);
		ck_assert_ptr_nonnull(fp = fopen(p, "r"));
		got = fread(buf, 1, sizeof(buf) - 1, fp);
		fclose(fp);
		buf[got] = '\0';
		for (q = buf; (q = strstr(q, "\"verdict_id\":")) != NULL; q++)
			n++;
	}
	closedir(d);
	return n;
}

static struct stats_event *
finish(struct deliver *d, enum deliver_end *end)
{
	static struct stats_event s;

	*end = deliver_finish(d, 0);
	memset(&s, 0, sizeof(s));
	deliver_stats(d, &s);
	return &s;
}

/* Room for all: every verdict is in the spool, none lost. */
START_TEST(all_spooled)
{
	const char *n[] = { "spool" }, *v[] = { spooldir };
	struct stats_event *s;
	enum deliver_end end;
	struct deliver *d;
	char err[512];

	settings(n, v, 1);
	ck_assert_ptr_nonnull(d = deliver_new(&cfg, DELIVER_WAIT_WHEN_FULL,
	    err, sizeof(err)));
	hand_in(d, NVERDICTS);
	s = finish(d, &end);
	ck_assert_int_eq(end, DELIVER_END_SPOOLED);
	ck_assert_uint_eq(stats_figure(s, "webhook", "pending"), NVERDICTS);
	ck_assert_uint_eq(stats_figure(s, "webhook", "spooled"), NVERDICTS);
	ck_assert_uint_eq(deliver_lost(d), 0);
	deliver_free(d);
	ck_assert_uint_eq(spooled_verdicts(), NVERDICTS);
}
END_TEST

/* The spool's bound: what does not fit is dropped and counted before
 * deliver_finish returns, not after (drain_timeout 0). */
START_TEST(bound_counted)
{
	const char *n[] = { "spool", "spool_max_bytes" },
	    *v[] = { spooldir, "4096" };
	struct stats_event *s;
	enum deliver_end end;
	struct deliver *d;
	char err[512];
	uint64_t dropped, pending;

	settings(n, v, 2);
	ck_assert_ptr_nonnull(d = deliver_new(&cfg, DELIVER_WAIT_WHEN_FULL,
	    err, sizeof(err)));
	hand_in(d, NVERDICTS);
	s = finish(d, &end);
	dropped = stats_figure(s, "webhook", "spool_dropped");
	pending = stats_figure(s, "webhook", "pending");
	ck_assert_int_eq(end, DELIVER_END_LOST);
	ck_assert_uint_gt(dropped, 0);
	ck_assert_uint_eq(dropped + pending, NVERDICTS);
	ck_assert_uint_eq(deliver_lost(d), dropped);
	deliver_free(d);
	ck_assert_uint_eq(spooled_verdicts(), pending);
}
END_TEST

/* No spool: what is still in memory at the end is lost, and counted. */
START_TEST(memory_abandoned)
{
	struct stats_event *s;
	enum deliver_end end;
	struct deliver *d;
	char err[512];

	settings(NULL, NULL, 0);
	ck_assert_ptr_nonnull(d = deliver_new(&cfg, DELIVER_WAIT_WHEN_FULL,
	    err, sizeof(err)));
	hand_in(d, NVERDICTS);
	s = finish(d, &end);
	ck_assert_int_eq(end, DELIVER_END_LOST);
	ck_assert_uint_eq(stats_figure(s, "webhook", "abandoned"), NVERDICTS);
	ck_assert_uint_eq(stats_figure(s, "webhook", "pending"), 0);
	ck_assert_uint_eq(deliver_lost(d), NVERDICTS);
	deliver_free(d);
}
END_TEST

/* A live run does not wait for a full queue: whatever the threads'
 * speed, each verdict is queued or dropped, and in the end in the spool
 * or counted. */
START_TEST(live_queue)
{
	const char *n[] = { "spool", "queue_size" }, *v[] = { spooldir, "1" };
	struct stats_event *s;
	enum deliver_end end;
	struct deliver *d;
	char err[512];
	uint64_t queued, dropped;

	settings(n, v, 2);
	ck_assert_ptr_nonnull(d = deliver_new(&cfg, 0, err, sizeof(err)));
	hand_in(d, NVERDICTS);
	s = finish(d, &end);
	queued = stats_figure(s, "webhook", "queued");
	dropped = stats_figure(s, "webhook", "queue_dropped");
	ck_assert_uint_eq(queued + dropped, NVERDICTS);
	ck_assert_uint_eq(stats_figure(s, "webhook", "pending"), queued);
	ck_assert_int_eq(end, dropped > 0 ? DELIVER_END_LOST :
	    DELIVER_END_SPOOLED);
	deliver_free(d);
	ck_assert_uint_eq(spooled_verdicts(), queued);
}
END_TEST

/* -t: the spool is checked, never made; one others can write is refused. */
START_TEST(check_only)
{
	const char *n[] = { "spool" }, *v[] = { spooldir };
	struct deliver *d;
	char err[512];
	struct stat st;

	settings(n, v, 1);
	ck_assert_ptr_nonnull(d = deliver_new(&cfg, DELIVER_CHECK_ONLY, err,
	    sizeof(err)));
	deliver_free(d);
	ck_assert_int_eq(stat(spooldir, &st), -1);
	ck_assert_int_eq(mkdir(spooldir, 0700), 0);
	ck_assert_int_eq(chmod(spooldir, 0777), 0);
	ck_assert_ptr_null(deliver_new(&cfg, DELIVER_CHECK_ONLY, err,
	    sizeof(err)));
	ck_assert_msg(strstr(err, "lets other users write") != NULL, "%s", err);
	ck_assert_ptr_null(deliver_new(&cfg, DELIVER_WAIT_WHEN_FULL, err,
	    sizeof(err)));
}
END_TEST

Suite *
deliver_suite(void)
{
	Suite *s = suite_create("deliver");
	TCase *tc = tcase_create("accounting");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, all_spooled);
	tcase_add_test(tc, bound_counted);
	tcase_add_test(tc, memory_abandoned);
	tcase_add_test(tc, live_queue);
	tcase_add_test(tc, check_only);
	suite_add_tcase(s, tc);
	return s;
}
