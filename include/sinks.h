/*
 * sinks.h: everything a verdict, flow or stats event goes to, in one place
 * for the replay and the live capture alike: the event stream (standard
 * output or -o), the EVE file (--eve) and the delivery threads (webhook,
 * exec hook, nftables). Each call is thread-safe as its sinks are.
 */
#ifndef EGRESSD_SINKS_H
#define EGRESSD_SINKS_H

#include <stddef.h>

#include "deliver.h"
#include "eve.h"
#include "event.h"

struct sinks {
	struct eve *eve;		/* standard output or -o */
	struct eve *eve_file;		/* --eve, or NULL */
	struct deliver *deliver;	/* NULL until set up */
};

/* Opens the event stream at out ("-" for standard output) and, when
 * eve_path is not "", the EVE file; flush_each for a live capture. Returns
 * 0, or -1 with a message (what was opened stays for sinks_close). */
int sinks_open(struct sinks *s, const char *out, const char *eve_path,
    int flush_each, char *err, size_t errlen);

void sinks_verdict(struct sinks *s, const struct verdict *v);
void sinks_flow(struct sinks *s, const struct flow_event *fe);
void sinks_stats(struct sinks *s, const struct stats_event *st);

/* SIGHUP: reopens the files by name; a failure is logged and the old file
 * stays in use. */
void sinks_reopen(struct sinks *s);

/* Closes the files (not the delivery); returns 0, or -1 with a message
 * when events were lost. */
int sinks_close(struct sinks *s, char *err, size_t errlen);

#endif
