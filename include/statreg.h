/*
 * statreg.h: what egressd knows about the figures of its stats events:
 * for each (section, name), its kind and a line of help. The kind says how
 * the figure reads in Prometheus (a counter, or a gauge) and how a live
 * capture combines the figures of its workers into one stats event, and
 * figures that are one quantity split by a result or a reason share a
 * labelled Prometheus family. Every figure egressd writes has a row (make
 * lint checks); one without (a test's) renders as a counter.
 */
#ifndef EGRESSD_STATREG_H
#define EGRESSD_STATREG_H

#include <stddef.h>
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
	const char *help;	/* one line */
	/* In Prometheus, one series of a labelled family (NULL: a family
	 * of its own, egressd_<section>_<name>): */
	const char *family;	/* e.g. "decoder_packets" */
	const char *label;	/* e.g. result="ok" */
};

/* The entry of (section, name), or NULL. */
const struct stat_def *stat_find(const char *section, const char *name);

/* The i-th row of the table, or NULL past its end. */
const struct stat_def *stat_at(size_t i);

/* The HELP text of a labelled family, or NULL. */
const char *stat_family_help(const char *family);

/* How a figure of kind combines with another worker's. */
uint64_t stat_combine(enum stat_kind kind, uint64_t a, uint64_t b);

/* Adds a figure, or when s has (section, name) already combines the two as
 * the figure's kind says: the workers of a live capture, or two sinks
 * that count into one figure. */
void stats_merge(struct stats_event *s, const char *section,
    const char *name, uint64_t value);

#endif
