/*
 * source.c: the capture source interface (source.h) over its backends
 * (source_int.h): capture files (source_file.c) and live interfaces
 * (live.c). A replay and a live capture read frames the same way, by
 * polling a source; only how many workers poll it differs.
 */
#include <stdlib.h>

#include "source_int.h"
#include "util.h"

struct source *
source_new(const struct source_ops *ops, void *state)
{
	struct source *s = xcalloc(1, sizeof(*s));

	s->ops = ops;
	s->state = state;
	return s;
}

unsigned
source_workers(const struct source *s)
{
	return s->ops->workers(s->state);
}

int
source_poll(struct source *s, unsigned worker, int timeout_ms,
    source_frame_fn fn, void *arg, char *err, size_t errlen)
{
	return s->ops->poll(s->state, worker, timeout_ms, fn, arg, err, errlen);
}

void
source_figures(struct source *s, unsigned worker, struct stats_event *st)
{
	if (s != NULL && s->ops->figures != NULL)
		s->ops->figures(s->state, worker, st);
}

int
source_progress(const struct source *s, uint64_t *done, uint64_t *total)
{
	if (s->ops->progress == NULL)
		return -1;
	return s->ops->progress(s->state, done, total);
}

int
source_linktype(const struct source *s)
{
	return s->ops->linktype(s->state);
}

const char *
source_name(const struct source *s)
{
	return s->ops->source_name(s->state);
}

void
source_close(struct source *s)
{
	if (s == NULL)
		return;
	s->ops->close(s->state);
	free(s);
}
