/*
 * pipeline.h: what a replay (egressd.c) and a live capture (sidecar.c)
 * both do: the loop that reads a source, what happens to a frame, and the
 * end of a run. A frame is decoded and, when it is an IP packet,
 * classified; the figures of both steps are kept here and written into
 * stats events the same way by both run modes; the end of delivery
 * decides the exit status the same way too. A live capture has one
 * pipeline per worker, a replay one.
 */
#ifndef EGRESSD_PIPELINE_H
#define EGRESSD_PIPELINE_H

#include <signal.h>
#include <stdint.h>

#include "classify.h"
#include "decode.h"
#include "event.h"
#include "pktstore.h"
#include "sinks.h"
#include "source.h"

#define EGRESSD_VERSION "0.1.0"

/* Exit status, replay and live alike. */
#define EGRESSD_EXIT_OK		0
#define EGRESSD_EXIT_RUNTIME	1	/* a read or write failed, verdicts lost */
#define EGRESSD_EXIT_USAGE	2	/* the command line or configuration */
#define EGRESSD_EXIT_SPOOLED	3	/* verdicts wait in the spool, none lost */

struct pipeline {
	struct classify *c;
	const char *ifname;	/* for frames that do not name theirs */
	uint64_t packets, bytes, tunneled;
	uint64_t last_ts_us;	/* the latest capture time seen */
	uint64_t decode[DECODE_NRESULTS];
	/* --evidence-dir: the packets verdicts rest on (NULL when off) */
	struct pktstore *ev;
	unsigned ev_packets;	/* evidence_packets: a behaviour's sample */
	uint32_t ev_snaplen;	/* the capture's snaplen */
	int ev_linktype;	/* the link type of the latest frame */
};

/* Starts a pipeline into c; ifname names the interface of frames that do
 * not say (a replay's -i NAME), or is NULL. */
void pipeline_init(struct pipeline *pl, struct classify *c,
    const char *ifname);

/* --evidence-dir: gives the pipeline a packet store of its own, sized
 * from cfg (evidence_memory split over nworkers). Returns 0, or -1 with a
 * message. */
int pipeline_evidence_open(struct pipeline *pl, const struct config *cfg,
    unsigned nworkers, char *err, size_t errlen);

/* Sets v->evidence to a copy of the packets v rests on: its flow's, or
 * for a behaviour verdict a sample of its VM's (and target's) recent
 * packets. Leaves it NULL when evidence is off. The copy goes with v to
 * the sinks, and the evidence sink owns it from then on. */
void pipeline_evidence(struct pipeline *pl, struct verdict *v);

/* Frees the pipeline's packet store. */
void pipeline_evidence_close(struct pipeline *pl);

/* One frame of link type dlt: counted, decoded, classified. */
void pipeline_frame(struct pipeline *pl, int dlt, const struct frame *fr);

/* The loop of a replay and of each live worker: polls worker's frames
 * from src (waiting up to timeout_ms each time) into the pipeline, and
 * calls between(arg) after each poll, until *stop is set or the input
 * ends. Returns 0, or the SOURCE_CUT or SOURCE_ERROR that ended it, with
 * a message. */
int pipeline_run(struct pipeline *pl, struct source *src, unsigned worker,
    int timeout_ms, const volatile sig_atomic_t *stop,
    void (*between)(void *arg), void *arg, char *err, size_t errlen);

/* Adds the pipeline's figures to s: capture.packets and capture.bytes,
 * then the source's own of this worker (source_figures; src may be NULL),
 * then the decoder's results and the classifier's stats. */
void pipeline_stats(const struct pipeline *pl, struct stats_event *s,
    struct source *src, unsigned worker);

/* The exit status once delivery has ended as end, status being what the
 * run had decided so far: lost verdicts make it 1, verdicts left in the
 * spool 3 unless something else was wrong. */
int pipeline_exit_status(int status, enum sinks_end end);

/* The command line's long options for the option table (config.h): one
 * per row, from lo[0], named with '-' for '_' in names; their getopt codes
 * are PIPELINE_OPT_TABLE + the row. Returns how many (at most
 * CONFIG_MAX_OPTIONS). */
#define PIPELINE_OPT_TABLE	1000
#define PIPELINE_OPT_NAME	48
struct option;
size_t pipeline_table_longopts(struct option *lo,
    char (*names)[PIPELINE_OPT_NAME]);
/* When ch is a table option's getopt code: adds its (name, value) to
 * names[] and values[] at *n and returns 1 (-1, logged, when max are
 * set already); 0 when ch is no table option. */
int pipeline_table_set(int ch, const char *arg, const char **names,
    const char **values, size_t *n, size_t max);

#endif
