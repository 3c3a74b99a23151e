/*
 * source_int.h: what a capture backend provides (source.h is what its
 * users see). A backend is a struct source_ops filled with designated
 * initializers, in a file of its own (source_file.c, live.c); its
 * constructor wraps its state with source_new. Several workers may poll
 * one source at once, each with its own index: a backend keeps what each
 * worker reads apart, so nothing is shared on the packet path.
 */
#ifndef EGRESSD_SOURCE_INT_H
#define EGRESSD_SOURCE_INT_H

#include "source.h"

struct source_ops {
	const char *name;
	/* How many workers may poll it (1 for a file). */
	unsigned (*workers)(void *state);
	/* As source_poll. */
	int (*poll)(void *state, unsigned worker, int timeout_ms,
	    source_frame_fn fn, void *arg, char *err, size_t errlen);
	/* Adds the backend's own figures of one worker (section
	 * "capture"). May be NULL. */
	void (*figures)(void *state, unsigned worker, struct stats_event *s);
	/* As source_progress. May be NULL: unknown. */
	int (*progress)(void *state, uint64_t *done, uint64_t *total);
	int (*linktype)(void *state);
	const char *(*source_name)(void *state);
	void (*close)(void *state);
};

struct source {
	const struct source_ops *ops;
	void *state;
};

/* Wraps a backend's state; the source owns it from then on. */
struct source *source_new(const struct source_ops *ops, void *state);

#endif
