/*
 * test_sinks.c: what the sinks promise about every verdict. Once
 * sinks_finish has returned, each verdict handed to sinks_verdict is
 * exactly one of: delivered, in the spool (webhook.pending), or lost and
 * counted; the stats say so and the returned end agrees. Also the queue
 * behind each sink that may block (sinkq), and that one slow sink does
 * not hold up another. The webhook here
 * points at a loopback port nothing listens on, so nothing is delivered:
 * everything is stored or lost, which is what these tests look at.
 */
#include <check.h>
#include <pthread.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "sinks.h"
#include "sinkq.h"
#include "event.h"
#include "helpers.h"
#include "policy.h"
#include "suites.h"
#include "util.h"

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
hand_in(struct sinks *d, unsigned n)
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
		sinks_verdict(d, &v);
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

/* Opens the sinks cfg asks for, no event stream. */
static void
open_sinks(struct sinks *d, int flags)
{
	struct sink_args a = { .cfg = &cfg, .out = NULL, .flags = flags };
	char err[512];

	memset(d, 0, sizeof(*d));
	ck_assert_msg(sinks_open(d, &a, err, sizeof(err)) == 0, "%s", err);
}

static struct stats_event *
finish(struct sinks *d, enum sinks_end *end)
{
	static struct stats_event s;

	*end = sinks_finish(d, 0);
	memset(&s, 0, sizeof(s));
	sinks_figures(d, &s);
	return &s;
}

static void
close_sinks(struct sinks *d)
{
	char err[512];

	ck_assert_msg(sinks_close(d, err, sizeof(err)) == 0, "%s", err);
}

/* Room for all: every verdict is in the spool, none lost. */
START_TEST(all_spooled)
{
	const char *n[] = { "spool" }, *v[] = { spooldir };
	struct stats_event *s;
	enum sinks_end end;
	struct sinks d;

	settings(n, v, 1);
	open_sinks(&d, SINK_WAIT_WHEN_FULL);
	hand_in(&d, NVERDICTS);
	s = finish(&d, &end);
	ck_assert_int_eq(end, SINKS_END_KEPT);
	ck_assert_uint_eq(stats_figure(s, "webhook", "pending"), NVERDICTS);
	ck_assert_uint_eq(stats_figure(s, "webhook", "spooled"), NVERDICTS);
	close_sinks(&d);
	ck_assert_uint_eq(spooled_verdicts(), NVERDICTS);
}
END_TEST

/* The spool's bound: what does not fit is dropped and counted before
 * sinks_finish returns, not after (drain_timeout 0). */
START_TEST(bound_counted)
{
	const char *n[] = { "spool", "spool_max_bytes" },
	    *v[] = { spooldir, "4096" };
	struct stats_event *s;
	enum sinks_end end;
	struct sinks d;
	uint64_t dropped, pending;

	settings(n, v, 2);
	open_sinks(&d, SINK_WAIT_WHEN_FULL);
	hand_in(&d, NVERDICTS);
	s = finish(&d, &end);
	dropped = stats_figure(s, "webhook", "spool_dropped");
	pending = stats_figure(s, "webhook", "pending");
	ck_assert_int_eq(end, SINKS_END_LOST);
	ck_assert_uint_gt(dropped, 0);
	ck_assert_uint_eq(dropped + pending, NVERDICTS);
	close_sinks(&d);
	ck_assert_uint_eq(spooled_verdicts(), pending);
}
END_TEST

/* No spool: what is still in memory at the end is lost, and counted. */
START_TEST(memory_abandoned)
{
	struct stats_event *s;
	enum sinks_end end;
	struct sinks d;

	settings(NULL, NULL, 0);
	open_sinks(&d, SINK_WAIT_WHEN_FULL);
	hand_in(&d, NVERDICTS);
	s = finish(&d, &end);
	ck_assert_int_eq(end, SINKS_END_LOST);
	ck_assert_uint_eq(stats_figure(s, "webhook", "abandoned"), NVERDICTS);
	ck_assert_uint_eq(stats_figure(s, "webhook", "pending"), 0);
	close_sinks(&d);
}
END_TEST

/* A live run does not wait for a full queue: whatever the threads'
 * speed, each verdict is queued or dropped, and in the end in the spool
 * or counted. */
START_TEST(live_queue)
{
	const char *n[] = { "spool", "queue_size" }, *v[] = { spooldir, "1" };
	struct stats_event *s;
	enum sinks_end end;
	struct sinks d;
	uint64_t queued, dropped;

	settings(n, v, 2);
	open_sinks(&d, 0);
	hand_in(&d, NVERDICTS);
	s = finish(&d, &end);
	queued = stats_figure(s, "webhook", "queued");
	dropped = stats_figure(s, "webhook", "queue_dropped");
	ck_assert_uint_eq(queued + dropped, NVERDICTS);
	ck_assert_uint_eq(stats_figure(s, "webhook", "pending"), queued);
	ck_assert_int_eq(end, dropped > 0 ? SINKS_END_LOST :
	    SINKS_END_KEPT);
	close_sinks(&d);
	ck_assert_uint_eq(spooled_verdicts(), queued);
}
END_TEST

/* -t: the spool is checked, never made; one others can write is refused. */
START_TEST(check_only)
{
	const char *n[] = { "spool" }, *v[] = { spooldir };
	struct sink_args a = { .cfg = &cfg };
	struct sinks d;
	char err[512];
	struct stat st;

	settings(n, v, 1);
	ck_assert_msg(sinks_check(&a, err, sizeof(err)) == 0, "%s", err);
	ck_assert_int_eq(stat(spooldir, &st), -1);
	ck_assert_int_eq(mkdir(spooldir, 0700), 0);
	ck_assert_int_eq(chmod(spooldir, 0777), 0);
	ck_assert_int_eq(sinks_check(&a, err, sizeof(err)), SINK_ERR_CONFIG);
	ck_assert_msg(strstr(err, "lets other users write") != NULL, "%s", err);
	memset(&d, 0, sizeof(d));
	a.flags = SINK_WAIT_WHEN_FULL;
	ck_assert_int_eq(sinks_open(&d, &a, err, sizeof(err)), SINK_ERR_CONFIG);
	ck_assert_uint_eq(d.n, 0);
}
END_TEST

/* A slow exec hook does not hold up the webhook: every verdict is in the
 * spool while the hook (a second per verdict) has run a few at most; at
 * the end the hook's queue abandons the rest and counts them. */
START_TEST(slow_hook_apart)
{
	const char *n[] = { "spool", "queue_size", "exec", "exec_timeout" },
	    *v[] = { spooldir, "64", "/bin/sleep 1", "5s" };
	struct stats_event *s, now;
	enum sinks_end end;
	struct sinks d;
	uint64_t t0, runs;
	unsigned i;

	settings(n, v, 4);
	open_sinks(&d, 0);
	t0 = mono_us();
	hand_in(&d, NVERDICTS);
	for (i = 0; i < 300 && spooled_verdicts() < NVERDICTS; i++)
		usleep(10000);
	memset(&now, 0, sizeof(now));
	sinks_figures(&d, &now);
	runs = stats_figure(&now, "action", "exec_runs");
	ck_assert_uint_eq(spooled_verdicts(), NVERDICTS);
	ck_assert_uint_le(runs, (mono_us() - t0) / 1000000 + 1);
	s = finish(&d, &end);
	ck_assert_int_eq(end, SINKS_END_LOST);
	ck_assert_uint_eq(stats_figure(s, "webhook", "pending"), NVERDICTS);
	ck_assert_uint_eq(stats_figure(s, "action", "dropped"), 0);
	ck_assert_uint_gt(stats_figure(s, "action", "abandoned"), 0);
	ck_assert_uint_eq(stats_figure(s, "action", "exec_runs") +
	    stats_figure(s, "action", "abandoned"), NVERDICTS);
	close_sinks(&d);
}
END_TEST

/*
 * The queue alone (sinkq.h).
 */

struct qtest {
	pthread_mutex_t mu;
	unsigned ran, discarded;
	unsigned delay_ms;
};

static void
qtest_run(void *arg, void **items, unsigned n)
{
	struct qtest *t = arg;
	unsigned i;

	for (i = 0; i < n; i++) {
		usleep(t->delay_ms * 1000);
		free(items[i]);
		pthread_mutex_lock(&t->mu);
		t->ran++;
		pthread_mutex_unlock(&t->mu);
	}
}

static void
qtest_discard(void *arg, void *item)
{
	struct qtest *t = arg;

	free(item);
	t->discarded++;
}

static struct sinkq *
qtest_new(struct qtest *t, size_t cap, int wait, int finish_queued,
    unsigned delay_ms)
{
	struct sinkq_def qd = { .cap = cap, .batch = 1, .wait_when_full = wait,
	    .finish_queued = finish_queued, .run = qtest_run,
	    .discard = qtest_discard, .arg = t };
	struct sinkq *q;
	char err[128];

	memset(t, 0, sizeof(*t));
	pthread_mutex_init(&t->mu, NULL);
	t->delay_ms = delay_ms;
	ck_assert_msg((q = sinkq_new(&qd, err, sizeof(err))) != NULL, "%s", err);
	return q;
}

/* Pushes n items; returns how many were refused. */
static unsigned
qtest_push(struct sinkq *q, unsigned n)
{
	unsigned i, refused = 0;
	void *p;

	for (i = 0; i < n; i++) {
		p = xmalloc(16);
		if (sinkq_push(q, p) == -1) {
			free(p);
			refused++;
		}
	}
	return refused;
}

/* Full and not waiting: refused items are counted dropped; every item is
 * run, dropped or abandoned. */
START_TEST(queue_drops)
{
	struct sinkq_figures f;
	struct qtest t;
	struct sinkq *q = qtest_new(&t, 2, 0, 0, 50);
	unsigned refused;

	refused = qtest_push(q, 10);
	ck_assert_uint_ge(refused, 5);
	ck_assert_int_eq(sinkq_wait_idle(q, mono_us() + 5000000), 1);
	sinkq_stop(q);
	sinkq_figures(q, &f);
	ck_assert_uint_eq(f.dropped, refused);
	ck_assert_uint_eq(f.queued, 10 - refused);
	ck_assert_uint_eq(t.ran, f.queued);
	ck_assert_uint_eq(f.abandoned, 0);
	sinkq_free(q);
}
END_TEST

/* A replay's queue waits for room: nothing is dropped. */
START_TEST(queue_waits)
{
	struct sinkq_figures f;
	struct qtest t;
	struct sinkq *q = qtest_new(&t, 1, 1, 0, 2);

	ck_assert_uint_eq(qtest_push(q, 20), 0);
	ck_assert_int_eq(sinkq_wait_idle(q, mono_us() + 5000000), 1);
	sinkq_figures(q, &f);
	ck_assert_uint_eq(f.dropped, 0);
	ck_assert_uint_eq(t.ran, 20);
	sinkq_free(q);
}
END_TEST

/* At stop, queued items are abandoned and counted, or run when the sink
 * asks for that; a push after the stop is refused. */
START_TEST(queue_stop)
{
	struct sinkq_figures f;
	struct qtest t;
	struct sinkq *q;

	q = qtest_new(&t, 8, 0, 0, 200);
	ck_assert_uint_eq(qtest_push(q, 5), 0);
	sinkq_stop(q);
	sinkq_figures(q, &f);
	ck_assert_uint_ge(f.abandoned, 1);
	ck_assert_uint_eq(t.ran + f.abandoned, 5);
	ck_assert_uint_eq(t.discarded, f.abandoned);
	ck_assert_uint_eq(qtest_push(q, 1), 1);
	sinkq_free(q);

	q = qtest_new(&t, 8, 0, 1, 20);
	ck_assert_uint_eq(qtest_push(q, 5), 0);
	sinkq_stop(q);
	sinkq_figures(q, &f);
	ck_assert_uint_eq(f.abandoned, 0);
	ck_assert_uint_eq(t.ran, 5);
	sinkq_free(q);
}
END_TEST

/* A run that does not end (a blocked write) is stalled once the limit
 * passes, and not while the queue moves or stands idle. */
START_TEST(queue_stalled)
{
	struct qtest t;
	struct sinkq *q = qtest_new(&t, 8, 1, 1, 400);
	uint64_t us;

	usleep(100 * 1000);
	ck_assert_int_eq(sinkq_stalled(q, 50 * 1000, &us), 0);	/* idle */
	ck_assert_uint_eq(qtest_push(q, 1), 0);
	usleep(200 * 1000);
	ck_assert_int_eq(sinkq_stalled(q, 50 * 1000, &us), 1);
	ck_assert_uint_ge(us, 150 * 1000);
	ck_assert_int_eq(sinkq_stalled(q, 10 * 1000 * 1000, &us), 0);
	ck_assert_int_eq(sinkq_wait_idle(q, mono_us() + 5000000), 1);
	ck_assert_int_eq(sinkq_stalled(q, 50 * 1000, &us), 0);
	sinkq_free(q);
}
END_TEST

Suite *
sinks_suite(void)
{
	Suite *s = suite_create("sinks");
	TCase *tc = tcase_create("accounting");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, all_spooled);
	tcase_add_test(tc, bound_counted);
	tcase_add_test(tc, memory_abandoned);
	tcase_add_test(tc, live_queue);
	tcase_add_test(tc, check_only);
	tcase_add_test(tc, slow_hook_apart);
	suite_add_tcase(s, tc);
	tc = tcase_create("queue");
	tcase_add_test(tc, queue_drops);
	tcase_add_test(tc, queue_waits);
	tcase_add_test(tc, queue_stop);
	tcase_add_test(tc, queue_stalled);
	suite_add_tcase(s, tc);
	return s;
}
