/*
 * sink_eve.c: the two sinks that write JSON lines (eve.h): the event
 * stream (standard output, or -o FILE) in egressd's own records, and the
 * EVE file that --eve names, in Suricata's schema. Both take every event.
 * The capture thread only copies an event onto the sink's queue; the
 * queue's thread builds the JSON and writes it, in the order taken
 * (eve.c serialises the writes). The record must not be lost, so a full
 * queue waits for room even in a live capture, as the write itself did
 * before; an event that comes after the queue stopped (the last stats
 * record) is written at once.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "eve.h"
#include "log.h"
#include "sink.h"
#include "sinkq.h"
#include "util.h"

/* Events wait in the queue at most this long before they are written, and
 * a batch this big wakes the writer at once. */
#define EVE_LINGER_US	(20U * 1000)
#define EVE_BATCH	64

struct eve_sink {
	struct eve *e;
	struct sinkq *q;
};

enum { ITEM_VERDICT, ITEM_FLOW, ITEM_STATS };

struct eve_item {
	int kind;
	union {
		struct verdict v;
		struct flow_event fe;
		struct stats_event s;
	} u;
};

static const char *
events_path(const struct sink_args *a)
{
	return a->out;
}

static const char *
eve_path(const struct sink_args *a)
{
	return a->cfg->eve;
}

static int
events_wanted(const struct sink_args *a)
{
	return a->out != NULL && a->out[0] != '\0';
}

static int
eve_wanted(const struct sink_args *a)
{
	return a->cfg->eve[0] != '\0';
}

static void
write_item(struct eve *e, const struct eve_item *it)
{
	switch (it->kind) {
	case ITEM_VERDICT:
		eve_verdict(e, &it->u.v);
		break;
	case ITEM_FLOW:
		eve_flow(e, &it->u.fe);
		break;
	default:
		eve_stats(e, &it->u.s);
		break;
	}
}

static void
run(void *arg, void **items, unsigned n)
{
	unsigned i;

	for (i = 0; i < n; i++) {
		write_item(arg, items[i]);
		free(items[i]);
	}
}

static void
discard(void *arg, void *item)
{
	(void)arg;
	free(item);
}

static int
open_path(const char *path, enum eve_format format, const struct sink_args *a,
    void **state, char *err, size_t errlen)
{
	struct eve_sink *x;
	struct sinkq_def qd;

	x = xcalloc(1, sizeof(*x));
	if ((x->e = eve_open(path, format, err, errlen)) == NULL) {
		free(x);
		return SINK_ERR_RUNTIME;
	}
	eve_flush_each(x->e, (a->flags & SINK_FLUSH_EACH) != 0);
	memset(&qd, 0, sizeof(qd));
	qd.cap = (size_t)a->cfg->queue_size;
	qd.batch = EVE_BATCH;
	qd.wait_when_full = 1;
	qd.finish_queued = 1;
	qd.linger_us = EVE_LINGER_US;
	qd.run = run;
	qd.discard = discard;
	qd.arg = x->e;
	if ((x->q = sinkq_new(&qd, err, errlen)) == NULL) {
		eve_close(x->e, NULL, 0);
		free(x);
		return SINK_ERR_RUNTIME;
	}
	*state = x;
	return 0;
}

/* Queues a copy of the event's first size bytes (as an item of kind);
 * writes it now when the queue no longer takes items. */
static void
take(struct eve_sink *x, int kind, const void *ev, size_t size)
{
	struct eve_item *it = xmalloc(offsetof(struct eve_item, u) + size);

	it->kind = kind;
	memcpy(&it->u, ev, size);
	if (kind == ITEM_VERDICT)
		it->u.v.evidence = NULL;	/* the evidence sink's alone */
	if (sinkq_push(x->q, it) == -1) {
		write_item(x->e, it);
		free(it);
	}
}

static int
events_check(const struct sink_args *a, char *err, size_t errlen)
{
	return eve_check_path(events_path(a), err, errlen) == 0 ? 0 :
	    SINK_ERR_CONFIG;
}

static int
eve_check(const struct sink_args *a, char *err, size_t errlen)
{
	return eve_check_path(eve_path(a), err, errlen) == 0 ? 0 :
	    SINK_ERR_CONFIG;
}

static int
events_open(const struct sink_args *a, void **state, char *err,
    size_t errlen)
{
	return open_path(events_path(a), EVE_NATIVE, a, state, err, errlen);
}

static int
eve_open_sink(const struct sink_args *a, void **state, char *err,
    size_t errlen)
{
	return open_path(eve_path(a), EVE_SURICATA, a, state, err, errlen);
}

static void
verdict(void *state, const struct verdict *v)
{
	take(state, ITEM_VERDICT, v, sizeof(*v));
}

static void
flow(void *state, const struct flow_event *fe)
{
	take(state, ITEM_FLOW, fe, sizeof(*fe));
}

static void
stats(void *state, const struct stats_event *s)
{
	/* Only the counters it holds. */
	take(state, ITEM_STATS, s, offsetof(struct stats_event, c) +
	    s->n * sizeof(s->c[0]));
}

/* Whether the thread writing to what has been stuck for limit_us. */
static int
stalled_as(struct eve_sink *x, const char *what, uint64_t limit_us,
    char *why, size_t len)
{
	uint64_t us;

	if (!sinkq_stalled(x->q, limit_us, &us))
		return 0;
	snprintf(why, len, "%s: no progress for %.0f s (a write is blocked)",
	    what, (double)us / 1e6);
	return 1;
}

static int
events_stalled(void *state, uint64_t limit_us, char *why, size_t len)
{
	return stalled_as(state, "event stream", limit_us, why, len);
}

static int
eve_stalled(void *state, uint64_t limit_us, char *why, size_t len)
{
	return stalled_as(state, "EVE file", limit_us, why, len);
}

static void
drain(void *state, uint64_t deadline_us)
{
	struct eve_sink *x = state;

	sinkq_wait_idle(x->q, deadline_us);
}

static void
finish(void *state, struct sink_end *end)
{
	struct eve_sink *x = state;

	(void)end;		/* nothing is dropped or abandoned */
	sinkq_stop(x->q);
}

static void
reopen(void *state)
{
	struct eve_sink *x = state;
	char err[512];

	if (eve_reopen(x->e, err, sizeof(err)) == -1)
		log_err("reopening: %s", err);
}

static int
close_eve(void *state, char *err, size_t errlen)
{
	struct eve_sink *x = state;
	int rc;

	sinkq_free(x->q);
	rc = eve_close(x->e, err, errlen);
	free(x);
	return rc;
}

const struct sink_ops sink_events = {
	.name = "events",
	.wanted = events_wanted,
	.check = events_check,
	.open = events_open,
	.verdict = verdict,
	.flow = flow,
	.stats = stats,
	.stalled = events_stalled,
	.drain = drain,
	.finish = finish,
	.reopen = reopen,
	.close = close_eve,
};

const struct sink_ops sink_eve = {
	.name = "eve",
	.wanted = eve_wanted,
	.check = eve_check,
	.open = eve_open_sink,
	.verdict = verdict,
	.flow = flow,
	.stats = stats,
	.stalled = eve_stalled,
	.drain = drain,
	.finish = finish,
	.reopen = reopen,
	.close = close_eve,
};
