/*
 * deliver.h: the verdict queue and the sinks behind it that may block:
 * the webhook (with its disk spool), the exec hook and the nftables sets.
 * Each of the two kinds runs in a thread of its own, fed through a bounded
 * queue, so the packet path only copies a verdict into a queue slot.
 *
 * Webhook delivery: the thread takes what is queued (up to webhook_batch
 * verdicts) into one message, gives it an id ("msg_" + milliseconds +
 * sequence + random, so ids sort by age) and, with a spool, writes it to
 * disk (fsync) before anything else; from then on the verdicts count as
 * accepted. Messages are sent oldest first, one at a time; a message leaves
 * the spool only after a 2xx answer. Failures wait out an exponential
 * backoff with jitter (or a 429's Retry-After); 410 disables the endpoint.
 * A run that finds messages in the spool sends them first.
 *
 * When a queue is full, a live capture drops the verdict and counts it; a
 * replay (wait_when_full) waits for room instead, since nothing is lost by
 * reading a file more slowly.
 */
#ifndef EGRESSD_DELIVER_H
#define EGRESSD_DELIVER_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "event.h"

struct deliver;

#define DELIVER_WAIT_WHEN_FULL	0x1	/* a replay: wait for queue room */
#define DELIVER_CHECK_ONLY	0x2	/* -t: check, open nothing durable */

/* Checks and opens every sink cfg names (secret file, spool, exec program,
 * nftables sets) and starts their threads. Returns NULL with a message for
 * a configuration that cannot work. With no such sink configured it returns
 * a deliver that does nothing. With DELIVER_CHECK_ONLY the spool directory
 * is checked for the configured user but neither made nor read, and no
 * thread starts. */
struct deliver *deliver_new(const struct config *cfg, int flags, char *err,
    size_t errlen);

/* Hands a verdict to every sink (the packet path: copies, never blocks
 * unless wait_when_full). */
void deliver_verdict(struct deliver *d, const struct verdict *v);

/* Verdicts a sink will never get: dropped by a full queue, spool or memory
 * backlog, refused for good by the endpoint, or abandoned at the end. */
uint64_t deliver_lost(struct deliver *d);

enum deliver_end {
	DELIVER_END_ALL,	/* every verdict delivered */
	DELIVER_END_SPOOLED,	/* some wait in the spool, none lost */
	DELIVER_END_LOST	/* some were lost */
};

/* The end of a run: waits up to timeout_us for every sink (deliver_drain),
 * then stops the threads (a request under way is given up within about a
 * second, an exec hook under way ends within exec_timeout) and settles
 * every verdict as delivered, in the spool, or lost, and logs what is not
 * delivered. Call it before the last deliver_stats, whose figures are then
 * final. */
enum deliver_end deliver_finish(struct deliver *d, uint64_t timeout_us);

void deliver_stats(struct deliver *d, struct stats_event *s);

/* Stops the threads as deliver_finish does, if it was not called, and
 * frees everything. */
void deliver_free(struct deliver *d);

#endif
