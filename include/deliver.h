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

/* Checks and opens every sink cfg names (secret file, spool, exec program,
 * nftables sets) and starts their threads. Returns NULL with a message for
 * a configuration that cannot work. With no such sink configured it returns
 * a deliver that does nothing. */
struct deliver *deliver_new(const struct config *cfg, int wait_when_full,
    char *err, size_t errlen);

/* Hands a verdict to every sink (the packet path: copies, never blocks
 * unless wait_when_full). */
void deliver_verdict(struct deliver *d, const struct verdict *v);

/* Waits up to timeout_us for every queue and the spool to empty, the
 * webhook having taken everything. Returns the number of verdicts not yet
 * delivered (still queued, in memory, or in the spool). */
uint64_t deliver_drain(struct deliver *d, uint64_t timeout_us);

/* Whether the webhook keeps what it has not delivered on disk. */
int deliver_has_spool(const struct deliver *d);

/* Verdicts a sink will never get: dropped by a full queue or spool, or
 * refused for good by the endpoint. */
uint64_t deliver_lost(struct deliver *d);

void deliver_stats(struct deliver *d, struct stats_event *s);

/* Stops the threads: a webhook attempt in flight ends (within
 * webhook_timeout); what is still queued for the webhook is spooled. */
void deliver_free(struct deliver *d);

#endif
