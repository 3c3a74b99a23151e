/*
 * delivery.h: at-least-once delivery of verdicts to one peer, shared by
 * the sinks that send verdicts over the network (the webhook, NATS
 * JetStream). A verdict's JSON goes on a bounded queue (sinkq.h); the
 * queue's thread, the intake, turns up to batch of them into one message
 * (the peer's frame function), gives it an id that sorts by age and, with
 * a spool, writes it to disk (fsync) before anything else; from then on
 * the verdicts count as accepted. A second thread, the sender, hands the
 * stored messages to the peer's send function, oldest first, one at a
 * time; a message is forgotten only once the peer took it. Failures wait
 * out an exponential backoff with jitter (or the wait the peer asked
 * for); a peer that is gone for good stops the sending until a restart. A
 * run that finds messages in the spool sends them first.
 *
 * Every verdict taken ends in exactly one of: delivered, left in the spool
 * for a later run, or lost and counted by the reason: queue_dropped (a
 * full queue, live only), spool_dropped (the spool's bound),
 * backlog_dropped (the memory backlog full), rejected (refused for good by
 * the peer), abandoned (held in memory when the run ended).
 */
#ifndef EGRESSD_DELIVERY_H
#define EGRESSD_DELIVERY_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "event.h"
#include "sink.h"
#include "spool.h"

/* What one attempt at sending a message came to. */
enum delivery_result {
	DELIVERY_DONE,		/* the peer has it */
	DELIVERY_RETRY,		/* try again after a backoff */
	DELIVERY_REJECTED,	/* these bytes will never be taken */
	DELIVERY_GONE		/* the peer asks never to be called again */
};

struct delivery_def {
	const char *name;	/* the stats section and the logs: "webhook" */
	const struct config *cfg;	/* queue_size, spool_max_bytes, user */
	const char *spool;	/* directory; "" or NULL keeps messages in
				 * memory, within spool_max_bytes */
	unsigned batch;		/* verdicts in one message at most */
	uint64_t retry_max_us;	/* cap of the backoff */
	/* Makes one message of the n verdicts' JSON texts v (freeing them);
	 * returns it (malloc'd, NUL-terminated) with its size in *len. The
	 * intake thread calls it. */
	char *(*frame)(void *arg, char **v, unsigned n, size_t *len);
	/* One attempt at message id. *retry_after_us: a wait the peer asked
	 * for, 0 for none. Every outcome but DELIVERY_DONE leaves a
	 * one-line message in err. The sender thread calls it; it may block
	 * for the peer's timeout, and should end soon once *stop (below) is
	 * set. */
	enum delivery_result (*send)(void *arg, const char *id,
	    const char *body, size_t len, uint64_t *retry_after_us,
	    char *err, size_t errlen);
	void *arg;
	/* Set (with __atomic_store_n) when the run stops: a send under way
	 * should give up. May be NULL. */
	int *stop;
};

struct delivery;

/* -t: checks that def->spool could be used by the user the run switches
 * to, making nothing. Returns 0 or -1 with a message. */
int delivery_check(const struct delivery_def *def, char *err, size_t errlen);

/* Opens the spool (counting what an earlier run left there) and starts the
 * two threads. flags: SINK_WAIT_WHEN_FULL. Returns NULL with a message. */
struct delivery *delivery_new(const struct delivery_def *def, int flags,
    char *err, size_t errlen);
/* The packet path: takes json (a verdict's JSON text, malloc'd). */
void delivery_verdict(struct delivery *d, char *json);
/* Waits until every verdict taken is delivered, or a peer that is gone
 * has everything stored that it will not take, or deadline_us. */
void delivery_drain(struct delivery *d, uint64_t deadline_us);
/* Stops the threads and says how the verdicts ended. */
void delivery_finish(struct delivery *d, struct sink_end *end);
/* Adds the figures to s under def->name. */
void delivery_figures(struct delivery *d, struct stats_event *s);
void delivery_free(struct delivery *d);

#endif
