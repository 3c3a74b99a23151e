/*
 * sinks.h: the set of sinks a run writes to, for the replay and the live
 * capture alike. sinks_open opens every registered sink (sink.h) the
 * configuration asks for, in registry order; each call below fans out to
 * them. Each call is thread-safe as its sinks are: verdict and flow from
 * any capture thread, the rest from the thread that runs the pipeline.
 */
#ifndef EGRESSD_SINKS_H
#define EGRESSD_SINKS_H

#include <stddef.h>
#include <stdint.h>

#include "event.h"
#include "sink.h"

#define SINKS_MAX	16

struct sinks {
	unsigned n;
	struct {
		const struct sink_ops *ops;
		void *state;
	} s[SINKS_MAX];
};

/* Opens every sink a asks for. Returns 0, or SINK_ERR_RUNTIME or
 * SINK_ERR_CONFIG with a message (what was opened stays for
 * sinks_close). */
int sinks_open(struct sinks *s, const struct sink_args *a, char *err,
    size_t errlen);

/* -t: checks every sink a asks for. Returns 0 or SINK_ERR_*. */
int sinks_check(const struct sink_args *a, char *err, size_t errlen);

void sinks_verdict(struct sinks *s, const struct verdict *v);
void sinks_flow(struct sinks *s, const struct flow_event *fe);
/* A fleet summary's JSON text (copied by the sinks that take it). */
void sinks_summary(struct sinks *s, const char *json, size_t len);
/* Writes st to every sink that writes stats events. */
void sinks_stats(struct sinks *s, const struct stats_event *st);
/* Adds every sink's own figures to st. */
void sinks_figures(struct sinks *s, struct stats_event *st);

/* 1, with why naming it, when a sink is stuck (sink.h's stalled). */
int sinks_stalled(struct sinks *s, uint64_t limit_us, char *why, size_t len);

enum sinks_end {
	SINKS_END_ALL,		/* every verdict delivered */
	SINKS_END_KEPT,		/* some wait in the spool, none lost */
	SINKS_END_LOST		/* some were lost */
};

/* The end of a run: waits up to timeout_us for every sink to deliver what
 * it took, then stops them, logs what is not delivered, and says how the
 * verdicts ended. Call it before the last sinks_figures, whose figures are
 * then final. */
enum sinks_end sinks_finish(struct sinks *s, uint64_t timeout_us);

/* SIGHUP: reopens the files by name; a failure is logged and the old file
 * stays in use. */
void sinks_reopen(struct sinks *s);

/* Stops what runs and frees every sink; returns 0, or -1 with a message
 * when events were lost. */
int sinks_close(struct sinks *s, char *err, size_t errlen);

#endif
