/*
 * sink_exec.c: the exec hook sink. Each verdict runs the configured
 * program once, with the verdict's JSON on its standard input and its
 * main fields in EGRESSD_* environment variables (exechook.h). A program
 * may take up to exec_timeout, so the runs happen in the sink's own queue
 * thread (sinkq.h): a slow hook delays only the hooks after it. At the
 * end, verdicts still queued are abandoned and counted: running the hook
 * for each would not end in time.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cidr.h"
#include "eve.h"
#include "exechook.h"
#include "log.h"
#include "sink.h"
#include "sinkq.h"
#include "util.h"

#define EXEC_ENV_MAX	8

/* What a run needs of one verdict. */
struct exec_item {
	char *json;
	size_t len;
	char *env[EXEC_ENV_MAX];	/* NULL-ended */
};

struct exec_sink {
	struct exechook *hook;
	struct sinkq *q;
	pthread_mutex_t mu;		/* the counters */
	uint64_t runs, failed, timeouts;
};

static void
item_free(struct exec_item *it)
{
	size_t i;

	free(it->json);
	for (i = 0; i < EXEC_ENV_MAX && it->env[i] != NULL; i++)
		free(it->env[i]);
	free(it);
}

static void
run(void *arg, void **items, unsigned n)
{
	struct exec_sink *x = arg;
	enum exechook_result er;
	char err[512];
	unsigned i;

	for (i = 0; i < n; i++) {
		struct exec_item *it = items[i];

		er = exechook_run(x->hook, it->json, it->len,
		    (const char *const *)it->env, err, sizeof(err));
		if (er != EXECHOOK_OK)
			log_warn("%s", err);
		item_free(it);
		pthread_mutex_lock(&x->mu);
		x->runs++;
		x->failed += er == EXECHOOK_FAILED || er == EXECHOOK_ERROR;
		x->timeouts += er == EXECHOOK_TIMEOUT;
		pthread_mutex_unlock(&x->mu);
	}
}

static void
discard(void *arg, void *item)
{
	(void)arg;
	item_free(item);
}

static int
wanted(const struct sink_args *a)
{
	return a->cfg->exec[0] != '\0';
}

static int
check(const struct sink_args *a, char *err, size_t errlen)
{
	struct exechook *h;

	if ((h = exechook_new(a->cfg->exec, a->cfg->exec_timeout_us, err,
	    errlen)) == NULL)
		return SINK_ERR_CONFIG;
	exechook_free(h);
	return 0;
}

static int
close_sink(void *state, char *err, size_t errlen);

static int
open_sink(const struct sink_args *a, void **state, char *err, size_t errlen)
{
	struct exec_sink *x;
	struct sinkq_def qd;

	x = xcalloc(1, sizeof(*x));
	pthread_mutex_init(&x->mu, NULL);
	if ((x->hook = exechook_new(a->cfg->exec, a->cfg->exec_timeout_us, err,
	    errlen)) == NULL)
		goto fail;
	memset(&qd, 0, sizeof(qd));
	qd.cap = (size_t)a->cfg->queue_size;
	qd.batch = 1;
	qd.wait_when_full = (a->flags & SINK_WAIT_WHEN_FULL) != 0;
	qd.run = run;
	qd.discard = discard;
	qd.arg = x;
	if ((x->q = sinkq_new(&qd, err, errlen)) == NULL)
		goto fail;
	*state = x;
	return 0;
fail:
	close_sink(x, NULL, 0);
	return SINK_ERR_CONFIG;
}

static void
verdict(void *state, const struct verdict *v)
{
	struct exec_sink *x = state;
	struct exec_item *it;
	char ip[64];
	int n = 0;

	it = xcalloc(1, sizeof(*it));
	if ((it->json = eve_verdict_json(v)) == NULL) {
		free(it);
		return;
	}
	it->len = strlen(it->json);
	addr_format(v->vm_addr, ip, sizeof(ip));
	if (asprintf(&it->env[n++], "EGRESSD_VERDICT_ID=%s", v->verdict_id) < 0 ||
	    asprintf(&it->env[n++], "EGRESSD_VM=%s", v->vm) < 0 ||
	    asprintf(&it->env[n++], "EGRESSD_VM_IP=%s", ip) < 0 ||
	    asprintf(&it->env[n++], "EGRESSD_CATEGORY=%s",
	    policy_category_name(v->category)) < 0 ||
	    asprintf(&it->env[n++], "EGRESSD_ACTION=%s", v->action) < 0) {
		log_err("out of memory");
		abort();
	}
	if (sinkq_push(x->q, it) == -1)
		item_free(it);
}

static void
drain(void *state, uint64_t deadline_us)
{
	struct exec_sink *x = state;

	(void)sinkq_wait_idle(x->q, deadline_us);
}

static void
finish(void *state, struct sink_end *end)
{
	struct exec_sink *x = state;
	end->lost = sinkq_finish(x->q);
}

/* The exec hook and nftables count their queues together, in section
 * "action". */
static void
figures(void *state, struct stats_event *s)
{
	struct exec_sink *x = state;
	sinkq_merge_figures(x->q, s, "action");
	pthread_mutex_lock(&x->mu);
	stats_add(s, "action", "exec_runs", x->runs);
	stats_add(s, "action", "exec_failed", x->failed);
	stats_add(s, "action", "exec_timeouts", x->timeouts);
	pthread_mutex_unlock(&x->mu);
}

static int
close_sink(void *state, char *err, size_t errlen)
{
	struct exec_sink *x = state;

	(void)err;
	(void)errlen;
	if (x == NULL)
		return 0;
	sinkq_free(x->q);
	exechook_free(x->hook);
	pthread_mutex_destroy(&x->mu);
	free(x);
	return 0;
}

const struct sink_ops sink_exec = {
	.name = "exec",
	.wanted = wanted,
	.check = check,
	.open = open_sink,
	.verdict = verdict,
	.figures = figures,
	.drain = drain,
	.finish = finish,
	.close = close_sink,
};
