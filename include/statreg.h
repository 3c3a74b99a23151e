/*
 * statreg.h: what egressd knows about the figures of its stats events:
 * for each (section, name), its kind and a line of help. The kind says how
 * the figure reads in Prometheus (a counter, or a gauge) and how a live
 * capture combines the figures of its workers into one stats event. A
 * figure not in the table is a counter.
 */
#ifndef EGRESSD_STATREG_H
#define EGRESSD_STATREG_H

#include <stdint.h>

#include "event.h"

enum stat_kind {
	STAT_COUNTER,	/* only goes up; workers' figures add up */
	STAT_GAUGE,	/* goes up and down; workers' figures add up */
	STAT_MAX,	/* the most any worker saw: the workers' largest */
	STAT_SAME	/* the same in every worker (a setting): one of them */
};

struct stat_def {
	const char *section, *name;
	enum stat_kind kind;
	const char *help;	/* one line, or NULL */
};

/* The entry of (section, name), or NULL. */
const struct stat_def *stat_find(const char *section, const char *name);

/* How a figure of kind combines with another worker's. */
uint64_t stat_combine(enum stat_kind kind, uint64_t a, uint64_t b);

/* Adds a figure, or when s has (section, name) already combines the two as
 * the figure's kind says: the workers of a live capture, or two sinks
 * that count into one figure. */
void stats_merge(struct stats_event *s, const char *section,
    const char *name, uint64_t value);

#endif
