/*
 * sinkq.h: the bounded queue and the thread behind a sink that may block
 * (the webhook's disk, a hook program, the nftables netlink socket). The
 * packet path pushes an item and goes on; the queue's own thread takes the
 * items out, up to batch at a time, and hands them to the sink's run
 * function with no lock held. Each sink has its own queue and thread, so a
 * slow hook program never delays an nftables block.
 *
 * A queue never grows. When it is full, a live capture drops the item and
 * counts it; a replay (wait_when_full) waits for room instead, since
 * nothing is lost by reading a file more slowly. At the end a queue either
 * runs what is still in it (finish_queued: storing a message is quick and
 * keeps it) or gives it up and counts it abandoned (running a hook for
 * each would not end in time).
 */
#ifndef EGRESSD_SINKQ_H
#define EGRESSD_SINKQ_H

#include <stddef.h>
#include <stdint.h>

#include "event.h"

struct sinkq;

struct sinkq_def {
	size_t cap;		/* items the queue holds */
	unsigned batch;		/* the most items one run call gets, >= 1 */
	int wait_when_full;	/* a replay */
	int finish_queued;	/* at stop: run what is queued, not abandon */
	/* 0: each push wakes the thread. Else a push wakes it only once a
	 * whole batch waits, and the thread looks for fewer items every
	 * linger_us: a queue that takes many quick items then costs the
	 * packet path no system call per item. */
	uint64_t linger_us;
	/* Runs items[0..n-1] and frees them; called by the queue's thread
	 * only, with no lock held. */
	void (*run)(void *arg, void **items, unsigned n);
	/* Frees an item that will never run. */
	void (*discard)(void *arg, void *item);
	void *arg;
};

struct sinkq_figures {
	uint64_t queued;	/* items taken in */
	uint64_t dropped;	/* items refused by a full queue */
	uint64_t abandoned;	/* items given up at stop */
	uint64_t depth;		/* items waiting now */
	unsigned running;	/* items being run now */
};

/* Makes the queue and starts its thread. Returns NULL with a message. */
struct sinkq *sinkq_new(const struct sinkq_def *def, char *err,
    size_t errlen);

/* Queues item: returns 0, or -1 when the queue was full (or stopping) and
 * the item was not taken (counted dropped; the caller still owns it). */
int sinkq_push(struct sinkq *q, void *item);

/* Waits until nothing is queued or running, or until the monotonic time
 * deadline_us. Returns 1 when idle. */
int sinkq_wait_idle(struct sinkq *q, uint64_t deadline_us);

/* Stops the thread and joins it: with finish_queued it runs what is
 * queued first; a run under way ends first either way (the sink makes it
 * end soon). What is left is discarded and counted abandoned. */
void sinkq_stop(struct sinkq *q);

void sinkq_figures(struct sinkq *q, struct sinkq_figures *f);

/* The end of a sink whose queue abandons at stop: stops it and returns
 * the items it lost, dropped or abandoned. */
uint64_t sinkq_finish(struct sinkq *q);

/* Whether the queue is stuck: items wait or run, and none was taken or
 * finished for more than limit_us (a run blocked on its file or peer).
 * Sets *for_us to how long. */
int sinkq_stalled(struct sinkq *q, uint64_t limit_us, uint64_t *for_us);

/* Adds the queue's dropped, abandoned and queue_depth to s in section,
 * summed with what another queue counted there. */
void sinkq_merge_figures(struct sinkq *q, struct stats_event *s,
    const char *section);

/* Stops the queue if needed and frees it. */
void sinkq_free(struct sinkq *q);

#endif
