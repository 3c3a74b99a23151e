/*
 * delivery.c: at-least-once delivery of verdicts to one peer (see
 * delivery.h). Two threads: the intake (the queue's thread) turns queued
 * verdicts into messages and stores them (spool, or memory); the sender
 * hands the stored messages to the peer. Two, so that a verdict reaches
 * the disk while a request to a slow peer is still in flight.
 *
 * pending counts verdicts taken and not yet delivered, rejected or
 * dropped: queued, being turned into a message, or in a message that waits
 * (in the spool or in memory).
 *
 * mu guards the counters; store_mu guards the spool and the memory list;
 * they are never held together, and neither is held for a request.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "delivery.h"
#include "log.h"
#include "priv.h"
#include "sinkq.h"
#include "util.h"
#include "webhook.h"

/* A message held in memory: there is no spool, or the disk failed. */
struct mem_msg {
	char id[SPOOL_ID_MAX];
	char *body;
	size_t len;
	unsigned n;			/* verdicts in it */
};

/* Where store_message put a message. */
enum stored_in { IN_SPOOL, IN_MEMORY, DROPPED_SPOOL_FULL, DROPPED_BACKLOG };

struct delivery {
	struct delivery_def def;
	const struct config *cfg;
	const char *name;		/* def.name */
	struct sinkq *q;		/* char *: one verdict's JSON each */
	pthread_mutex_t mu;
	pthread_cond_t wake, idle;	/* the sender; drain */
	int stop;
	int finished;			/* the threads are joined */
	int sender_started;
	pthread_t sender_thread;
	uint64_t stored;		/* messages stored, not yet sent */
	pthread_mutex_t store_mu;	/* the four below */
	struct spool *spool;		/* NULL: messages wait in memory */
	struct mem_msg *mem;
	size_t nmem, capmem;
	uint64_t mem_bytes, mem_verdicts;
	int disk_failing, spool_full, backlog_full;	/* logged once each */
	uint64_t pending;		/* verdicts not yet delivered */
	int disabled;			/* DELIVERY_GONE */
	uint64_t seq;
	uint32_t intake_rnd, sender_rnd;	/* one per thread */
	uint64_t spooled, spool_dropped, spool_errors;
	uint64_t backlog_dropped, abandoned;
	uint64_t delivered, messages, attempts, failures, rejected;
	uint64_t recovered, recovered_messages;
	uint64_t spool_msgs_now, spool_bytes_now;	/* for stats, under mu */
};

/* Verdicts in a message: each carries exactly one "verdict_id" key, and a
 * quote inside a JSON string is always escaped, so the text cannot occur
 * elsewhere. */
static unsigned
count_verdicts(const char *body)
{
	const char *p = body;
	unsigned n = 0;

	while ((p = strstr(p, "\"verdict_id\":")) != NULL) {
		n++;
		p++;
	}
	return n;
}

static uint32_t
next_rand(uint32_t *state)
{
	/* xorshift32: ids and jitter only need to differ between runs. */
	uint32_t x = *state;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	return *state = x;
}

/*
 * The threads. The intake thread turns queued verdicts into
 * messages and stores them (spool, or memory); the sender thread sends the
 * stored messages. Two threads, so that a verdict reaches the disk while a
 * request to a slow endpoint is still in flight. store_mu guards the spool
 * and the memory list; it is never held together with mu.
 */

/* Forgets the i-th message held in memory; under store_mu. */
static void
mem_remove(struct delivery *w, size_t i)
{
	w->mem_bytes -= w->mem[i].len;
	w->mem_verdicts -= w->mem[i].n;
	free(w->mem[i].body);
	memmove(w->mem + i, w->mem + i + 1, (w->nmem - i - 1) * sizeof(*w->mem));
	w->nmem--;
}

/* Ends a disk error episode once nothing waits in memory for the disk;
 * under store_mu. Logged at the error's level: it closes what the error
 * opened. */
static void
disk_back(struct delivery *w)
{
	if (w->disk_failing && w->nmem == 0) {
		log_warn("spool %s: writable again", w->def.spool);
		w->disk_failing = 0;
	}
}

/* Writes the messages held in memory after a disk error to the spool,
 * oldest first, until one fails; under store_mu. Returns the verdicts
 * moved. */
static uint64_t
mem_to_spool(struct delivery *w)
{
	char err[512];
	uint64_t moved = 0;

	while (w->spool != NULL && w->nmem > 0) {
		if (spool_put(w->spool, w->mem[0].id, w->mem[0].body,
		    w->mem[0].len, err, sizeof(err)) != 0)
			break;
		moved += w->mem[0].n;
		mem_remove(w, 0);
	}
	if (moved > 0)
		disk_back(w);
	return moved;
}

/* Stores one message (body is taken); under store_mu. With a spool it goes
 * to disk. When the spool's bound is reached it is dropped: the bound is
 * what the operator allowed. When the disk fails (full, read-only, an I/O
 * error) it waits in memory, up to queue_size verdicts, and goes to disk
 * with a later message once the disk takes it. Without a spool it waits in
 * memory within spool_max_bytes. *moved gets the verdicts of older
 * messages this moved from memory to the spool. */
static enum stored_in
store_locked(struct delivery *w, const char *id, char *body, size_t len,
    unsigned n, uint64_t *moved)
{
	char err[512];
	int rc, full;

	*moved = 0;
	if (w->spool != NULL) {
		*moved = mem_to_spool(w);
		rc = spool_put(w->spool, id, body, len, err, sizeof(err));
		if (rc == 0) {
			free(body);
			if (w->spool_full)
				log_warn("spool %s: has room again", w->def.spool);
			w->spool_full = 0;
			disk_back(w);
			return IN_SPOOL;
		}
		if (rc == SPOOL_FULL) {
			free(body);
			if (!w->spool_full)
				log_warn("spool full (%s): verdicts that do not "
				    "fit are dropped and counted "
				    "(%s.spool_dropped) until it has room",
				    err, w->name);
			w->spool_full = 1;
			return DROPPED_SPOOL_FULL;
		}
		w->spool_errors++;
		if (!w->disk_failing)
			log_err("%s: messages wait in memory (up to queue_size "
			    "verdicts) until the spool takes them again", err);
		w->disk_failing = 1;
		full = w->nmem > 0 &&
		    w->mem_verdicts + n > (uint64_t)w->cfg->queue_size;
	} else {
		full = w->nmem > 0 &&
		    w->mem_bytes + len > (uint64_t)w->cfg->spool_max_bytes;
	}
	if (full) {
		free(body);
		if (!w->backlog_full)
			log_warn("%s backlog full (%" PRIu64 " verdicts, %"
			    PRIu64 " bytes in memory): verdicts are dropped and "
			    "counted (%s.backlog_dropped)", w->name,
			    w->mem_verdicts, w->mem_bytes, w->name);
		w->backlog_full = 1;
		return DROPPED_BACKLOG;
	}
	w->backlog_full = 0;
	if (w->nmem == w->capmem) {
		w->capmem = w->capmem ? w->capmem * 2 : 16;
		w->mem = xreallocarray(w->mem, w->capmem, sizeof(*w->mem));
	}
	str_copy(w->mem[w->nmem].id, id, sizeof(w->mem[w->nmem].id));
	w->mem[w->nmem].body = body;
	w->mem[w->nmem].len = len;
	w->mem[w->nmem].n = n;
	w->nmem++;
	w->mem_bytes += len;
	w->mem_verdicts += n;
	return IN_MEMORY;
}

/* Makes one message of the verdicts in v (taken off the queue) and stores
 * it; *moved as for store_locked. */
static enum stored_in
store_message(struct delivery *w, char **v, unsigned n, uint64_t *moved)
{
	char id[SPOOL_ID_MAX], *body;
	size_t len;
	enum stored_in where;

	body = w->def.frame(w->def.arg, v, n, &len);
	snprintf(id, sizeof(id), "msg_%013" PRIu64 "_%06" PRIu64 "_%08" PRIx32,
	    wall_us() / 1000, w->seq++ % 1000000, next_rand(&w->intake_rnd));

	pthread_mutex_lock(&w->store_mu);
	where = store_locked(w, id, body, len, n, moved);
	pthread_mutex_unlock(&w->store_mu);
	return where;
}

/* Copies the spool's figures where stats can read them under mu. */
static void
note_spool(struct delivery *w)
{
	uint64_t msgs, bytes;

	if (w->spool == NULL)
		return;
	pthread_mutex_lock(&w->store_mu);
	msgs = spool_count(w->spool);
	bytes = spool_bytes(w->spool);
	pthread_mutex_unlock(&w->store_mu);
	pthread_mutex_lock(&w->mu);
	w->spool_msgs_now = msgs;
	w->spool_bytes_now = bytes;
	pthread_mutex_unlock(&w->mu);
}

/* The intake: the queue's thread stores up to batch verdicts as
 * one message. */
static void
intake_run(void *arg, void **items, unsigned n)
{
	struct delivery *w = arg;
	uint64_t moved;
	enum stored_in where;

	where = store_message(w, (char **)items, n, &moved);
	note_spool(w);
	pthread_mutex_lock(&w->mu);
	w->spooled += moved + (where == IN_SPOOL ? n : 0);
	if (where == DROPPED_SPOOL_FULL)
		w->spool_dropped += n;
	else if (where == DROPPED_BACKLOG)
		w->backlog_dropped += n;
	if (where == DROPPED_SPOOL_FULL || where == DROPPED_BACKLOG)
		w->pending -= n;
	else
		w->stored++;
	pthread_cond_broadcast(&w->wake);
	pthread_cond_broadcast(&w->idle);
	pthread_mutex_unlock(&w->mu);
}

/* Forgets the message id: delivered, rejected or unreadable. It is looked
 * for in memory first: since it was read there, the intake thread may have
 * moved it to the spool. */
static void
drop_head(struct delivery *w, const char *id, int reject)
{
	char err[512];
	size_t i;
	int rc = 0;

	pthread_mutex_lock(&w->store_mu);
	for (i = 0; i < w->nmem && strcmp(w->mem[i].id, id) != 0; i++)
		;
	if (i < w->nmem) {
		mem_remove(w, i);
	} else if (w->spool != NULL) {
		rc = reject ? spool_reject(w->spool, id, err, sizeof(err)) :
		    spool_remove(w->spool, id, err, sizeof(err));
	}
	pthread_mutex_unlock(&w->store_mu);
	if (rc == -1)
		log_err("%s", err);
	pthread_mutex_lock(&w->mu);
	w->stored--;
	pthread_mutex_unlock(&w->mu);
	note_spool(w);
}

/* Takes a copy of the oldest message; returns 0, or -1 when there is none
 * (or it could not be read, and was dropped). */
static int
oldest(struct delivery *w, char id[SPOOL_ID_MAX], char **body, size_t *len,
    int *from_mem)
{
	char err[512];
	int rc = 0;

	pthread_mutex_lock(&w->store_mu);
	/* Messages kept in memory after a disk error are older than
	 * anything spooled since. */
	if ((*from_mem = w->nmem > 0)) {
		str_copy(id, w->mem[0].id, SPOOL_ID_MAX);
		*body = xstrdup(w->mem[0].body);
		*len = w->mem[0].len;
	} else if (w->spool == NULL || spool_peek(w->spool, 0, id) == -1) {
		rc = -1;
	} else if (spool_read(w->spool, id, body, len, err, sizeof(err)) == -1) {
		rc = -2;
	}
	pthread_mutex_unlock(&w->store_mu);
	if (rc == -2) {
		log_err("%s (message %s skipped)", err, id);
		drop_head(w, id, 0);
	}
	return rc == 0 ? 0 : -1;
}

/* One attempt at the oldest message. Returns the wait before the next
 * attempt (0: go on at once). */
static uint64_t
attempt(struct delivery *w, unsigned *tries)
{
	char id[SPOOL_ID_MAX], err[512], *body;
	size_t len;
	uint64_t retry_after = 0, wait = 0;
	unsigned n;
	enum delivery_result res;
	int from_mem;

	if (oldest(w, id, &body, &len, &from_mem) == -1)
		return 100000;	/* none after all: look again shortly */
	n = count_verdicts(body);
	res = w->def.send(w->def.arg, id, body, len, &retry_after, err,
	    sizeof(err));
	free(body);
	if (res == DELIVERY_DONE || res == DELIVERY_REJECTED)
		drop_head(w, id, res == DELIVERY_REJECTED);

	pthread_mutex_lock(&w->mu);
	w->attempts++;
	switch (res) {
	case DELIVERY_DONE:
		w->delivered += n;
		w->messages++;
		w->pending -= n < w->pending ? n : w->pending;
		if (*tries > 0)
			log_info("%s: message %s delivered after %u retries",
			    w->name, id, *tries);
		*tries = 0;
		break;
	case DELIVERY_REJECTED:
		w->failures++;
		w->rejected += n;
		w->pending -= n < w->pending ? n : w->pending;
		log_err("%s: message %s (%u verdicts) refused for good%s", err,
		    id, n, from_mem ? ", dropped" : ", moved to the spool's "
		    "rejected/ directory");
		*tries = 0;
		break;
	case DELIVERY_GONE:
		w->failures++;
		w->disabled = 1;
		log_err("%s: the peer is gone; %s delivery is off until "
		    "restart (%" PRIu64 " verdicts wait%s)", err, w->name,
		    w->pending,
		    w->spool != NULL ? " in the spool" : "");
		break;
	case DELIVERY_RETRY:
	default:
		w->failures++;
		if (w->stop) {
			log_warn("%s; message %s given up at stop", err, id);
			break;
		}
		(*tries)++;
		wait = webhook_backoff_us(*tries, w->def.retry_max_us,
		    next_rand(&w->sender_rnd));
		if (retry_after > wait)
			wait = retry_after;
		log_warn("%s; message %s retried in %.1f s (attempt %u)", err,
		    id, (double)wait / 1e6, *tries + 1);
		break;
	}
	pthread_cond_broadcast(&w->idle);
	pthread_mutex_unlock(&w->mu);
	return wait;
}

static void *
sender_main(void *arg)
{
	struct delivery *w = arg;
	uint64_t next_at = 0, wait;
	unsigned tries = 0;

	pthread_mutex_lock(&w->mu);
	for (;;) {
		if (w->stop)
			break;
		if (w->disabled || w->stored == 0) {
			pthread_cond_wait(&w->wake, &w->mu);
			continue;
		}
		if (mono_us() < next_at) {
			cond_wait_until(&w->wake, &w->mu, next_at);
			continue;
		}
		pthread_mutex_unlock(&w->mu);
		wait = attempt(w, &tries);
		pthread_mutex_lock(&w->mu);
		next_at = wait > 0 ? mono_us() + wait : 0;
	}
	pthread_mutex_unlock(&w->mu);
	return NULL;
}


/* Opens the spool and counts what an earlier run left in it. */
static int
open_spool(struct delivery *w, char *err, size_t errlen)
{
	char id[SPOOL_ID_MAX], *body;
	size_t len, i;

	if ((w->spool = spool_open(w->def.spool,
	    (uint64_t)w->cfg->spool_max_bytes, err, errlen)) == NULL)
		return -1;
	/* An earlier run's messages: they go first. */
	for (i = 0; spool_peek(w->spool, i, id) == 0; i++) {
		if (spool_read(w->spool, id, &body, &len, err, errlen) == -1)
			continue;
		w->recovered += count_verdicts(body);
		w->recovered_messages++;
		free(body);
	}
	w->pending = w->recovered;
	w->stored = w->recovered_messages;
	w->spool_msgs_now = spool_count(w->spool);
	w->spool_bytes_now = spool_bytes(w->spool);
	if (w->recovered_messages > 0)
		log_info("spool %s: %" PRIu64 " verdicts in %" PRIu64
		    " messages from an earlier run to deliver", w->def.spool,
		    w->recovered, w->recovered_messages);
	return 0;
}

int
delivery_check(const struct delivery_def *def, char *err, size_t errlen)
{
	const struct config *cfg = def->cfg;
	uid_t owner = geteuid();

	if (def->spool == NULL || def->spool[0] == '\0')
		return 0;
	/* Checked for the user the run switches to; not made: a directory
	 * -t made as root would not be that user's. */
	if (cfg->user[0] != '\0' && priv_user_uid(cfg->user, &owner) == -1) {
		snprintf(err, errlen, "user %s: no such user", cfg->user);
		return -1;
	}
	return spool_check_dir(def->spool, owner, err, errlen) == -1 ? -1 : 0;
}

static void
intake_discard(void *arg, void *item)
{
	(void)arg;
	free(item);
}

struct delivery *
delivery_new(const struct delivery_def *def, int flags, char *err,
    size_t errlen)
{
	struct delivery *w = xcalloc(1, sizeof(*w));
	struct sinkq_def qd;

	w->def = *def;
	if (w->def.spool == NULL)
		w->def.spool = "";
	w->cfg = def->cfg;
	w->name = def->name;
	pthread_mutex_init(&w->mu, NULL);
	pthread_mutex_init(&w->store_mu, NULL);
	cond_init_monotonic(&w->wake);
	cond_init_monotonic(&w->idle);
	if (getrandom(&w->intake_rnd, sizeof(w->intake_rnd), 0) !=
	    (ssize_t)sizeof(w->intake_rnd) || w->intake_rnd == 0)
		w->intake_rnd = (uint32_t)(wall_us() | 1);
	w->sender_rnd = w->intake_rnd ^ 0x9e3779b9u;
	if (w->sender_rnd == 0)
		w->sender_rnd = 1;
	if (w->def.spool[0] != '\0' && open_spool(w, err, errlen) == -1)
		goto fail;
	memset(&qd, 0, sizeof(qd));
	qd.cap = (size_t)w->cfg->queue_size;
	qd.batch = def->batch;
	qd.wait_when_full = (flags & SINK_WAIT_WHEN_FULL) != 0;
	qd.finish_queued = 1;	/* storing keeps a verdict: do it at stop */
	qd.run = intake_run;
	qd.discard = intake_discard;
	qd.arg = w;
	if ((w->q = sinkq_new(&qd, err, errlen)) == NULL)
		goto fail;
	if (pthread_create(&w->sender_thread, NULL, sender_main, w) != 0) {
		snprintf(err, errlen, "cannot start the %s threads", w->name);
		goto fail;
	}
	w->sender_started = 1;
	return w;
fail:
	delivery_free(w);
	return NULL;
}

void
delivery_verdict(struct delivery *w, char *json)
{
	/* Counted before the push: the intake may settle it at once. */
	pthread_mutex_lock(&w->mu);
	w->pending++;
	pthread_mutex_unlock(&w->mu);
	if (sinkq_push(w->q, json) == -1) {
		free(json);
		pthread_mutex_lock(&w->mu);
		w->pending--;
		pthread_mutex_unlock(&w->mu);
	}
}

/* Waits until every verdict taken is delivered, or a disabled endpoint
 * has everything stored that it will not take. */
void
delivery_drain(struct delivery *w, uint64_t deadline_us)
{
	pthread_mutex_lock(&w->mu);
	while (w->pending > 0 && mono_us() < deadline_us) {
		if (w->disabled) {
			/* Nothing more will be sent: wait only for the
			 * intake to store what is queued. */
			pthread_mutex_unlock(&w->mu);
			(void)sinkq_wait_idle(w->q, deadline_us);
			return;
		}
		cond_wait_until(&w->idle, &w->mu, deadline_us);
	}
	pthread_mutex_unlock(&w->mu);
}

/* Stops the threads: the intake stores everything still queued first; a
 * request under way is given up (within about a second). Then settles
 * what they left: messages in memory go to the spool if it takes them
 * now, else they are abandoned. */
static void
stop_threads(struct delivery *w)
{
	uint64_t moved;

	pthread_mutex_lock(&w->mu);
	if (w->finished) {
		pthread_mutex_unlock(&w->mu);
		return;
	}
	w->stop = 1;
	if (w->def.stop != NULL)
		__atomic_store_n(w->def.stop, 1, __ATOMIC_RELEASE);
	pthread_cond_broadcast(&w->wake);
	pthread_mutex_unlock(&w->mu);
	if (w->q != NULL)
		sinkq_stop(w->q);
	if (w->sender_started)
		pthread_join(w->sender_thread, NULL);

	pthread_mutex_lock(&w->store_mu);
	moved = mem_to_spool(w);
	pthread_mutex_unlock(&w->store_mu);
	note_spool(w);
	pthread_mutex_lock(&w->mu);
	w->spooled += moved;
	w->abandoned = w->mem_verdicts;
	w->pending -= w->abandoned < w->pending ? w->abandoned : w->pending;
	w->finished = 1;
	pthread_mutex_unlock(&w->mu);
}

static uint64_t
queue_dropped(struct delivery *w)
{
	struct sinkq_figures f;

	sinkq_figures(w->q, &f);
	return f.dropped;
}

void
delivery_finish(struct delivery *w, struct sink_end *end)
{
	stop_threads(w);
	end->lost = queue_dropped(w);
	pthread_mutex_lock(&w->mu);
	end->kept = w->pending;	/* what is left is in the spool */
	end->lost += w->spool_dropped + w->backlog_dropped + w->rejected +
	    w->abandoned;
	pthread_mutex_unlock(&w->mu);
	if (end->kept > 0)
		log_warn("%" PRIu64 " verdicts not delivered to %s by the end "
		    "of the run; they stay in the spool %s for the next run",
		    end->kept, w->name, w->def.spool);
}

void
delivery_figures(struct delivery *w, struct stats_event *s)
{
	struct sinkq_figures f;

	sinkq_figures(w->q, &f);
	pthread_mutex_lock(&w->mu);
	stats_add(s, w->name, "queued", f.queued);
	stats_add(s, w->name, "queue_dropped", f.dropped);
	stats_add(s, w->name, "spooled", w->spooled);
	stats_add(s, w->name, "spool_dropped", w->spool_dropped);
	stats_add(s, w->name, "spool_errors", w->spool_errors);
	stats_add(s, w->name, "backlog_dropped", w->backlog_dropped);
	stats_add(s, w->name, "abandoned", w->abandoned);
	stats_add(s, w->name, "recovered", w->recovered);
	stats_add(s, w->name, "delivered", w->delivered);
	stats_add(s, w->name, "messages", w->messages);
	stats_add(s, w->name, "attempts", w->attempts);
	stats_add(s, w->name, "failures", w->failures);
	stats_add(s, w->name, "rejected", w->rejected);
	stats_add(s, w->name, "pending", w->pending);
	stats_add(s, w->name, "spool_messages", w->spool_msgs_now);
	stats_add(s, w->name, "spool_bytes", w->spool_bytes_now);
	stats_add(s, w->name, "disabled", (uint64_t)w->disabled);
	stats_add(s, w->name, "queue_depth", f.depth);
	pthread_mutex_unlock(&w->mu);
}

void
delivery_free(struct delivery *w)
{
	size_t i;

	if (w == NULL)
		return;
	stop_threads(w);
	sinkq_free(w->q);
	for (i = 0; i < w->nmem; i++)
		free(w->mem[i].body);
	free(w->mem);
	spool_close(w->spool);
	pthread_cond_destroy(&w->wake);
	pthread_cond_destroy(&w->idle);
	pthread_mutex_destroy(&w->store_mu);
	pthread_mutex_destroy(&w->mu);
	free(w);
}
