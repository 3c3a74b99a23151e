/*
 * sink_eve.c: the two sinks that write JSON lines (eve.h): the event
 * stream (standard output, or -o FILE) in egressd's own records, and the
 * EVE file that --eve names, in Suricata's schema. Both take every event; a write is a buffered
 * stdio call, short enough for a capture thread (eve.c serialises them).
 */
#include <stdio.h>

#include "eve.h"
#include "log.h"
#include "sink.h"

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

static int
open_path(const char *path, enum eve_format format, const struct sink_args *a,
    void **state, char *err, size_t errlen)
{
	struct eve *e;

	if ((e = eve_open(path, format, err, errlen)) == NULL)
		return SINK_ERR_RUNTIME;
	eve_flush_each(e, (a->flags & SINK_FLUSH_EACH) != 0);
	*state = e;
	return 0;
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
	eve_verdict(state, v);
}

static void
flow(void *state, const struct flow_event *fe)
{
	eve_flow(state, fe);
}

static void
stats(void *state, const struct stats_event *s)
{
	eve_stats(state, s);
}

static void
reopen(void *state)
{
	char err[512];

	if (eve_reopen(state, err, sizeof(err)) == -1)
		log_err("reopening: %s", err);
}

static int
close_eve(void *state, char *err, size_t errlen)
{
	return eve_close(state, err, errlen);
}

const struct sink_ops sink_events = {
	.name = "events",
	.wanted = events_wanted,
	.check = events_check,
	.open = events_open,
	.verdict = verdict,
	.flow = flow,
	.stats = stats,
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
	.reopen = reopen,
	.close = close_eve,
};
