/*
 * deliver.c: the verdict queues and the two delivery threads (see
 * deliver.h). One mutex guards the queues and the counters; a thread drops
 * it for anything slow (a disk write, an HTTP request, a child process), so
 * the packet path only ever waits for a queue operation.
 *
 * pending counts verdicts handed to the webhook and not yet delivered,
 * rejected or dropped: queued, being turned into a message, or in a message
 * that waits (in the spool or in memory). drain waits for it, and for the
 * action queue, to reach zero.
 *
 * Every verdict handed in ends in exactly one of these: delivered (or run
 * by the action sinks), left in the spool for a later run, or lost, and
 * then counted by the reason: queue_dropped (a full queue, live only),
 * spool_dropped (the spool's bound), backlog_dropped (the memory backlog
 * full), rejected (refused for good by the endpoint), abandoned (held in
 * memory when the run ended), action dropped or abandoned. deliver_finish
 * settles the figures before the last stats are written and the exit
 * status is chosen.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cidr.h"
#include "deliver.h"
#include "eve.h"
#include "exechook.h"
#include "log.h"
#include "nftset.h"
#include "policy.h"
#include "priv.h"
#include "spool.h"
#include "util.h"
#include "webhook.h"

#define USER_AGENT	"egressd/0.1"
#define ACTION_ENV_MAX	8

/* A bounded FIFO of pointers. */
struct queue {
	void **slot;
	size_t cap, head, n;
};

/* A message held in memory: there is no spool, or the disk failed. */
struct mem_msg {
	char id[SPOOL_ID_MAX];
	char *body;
	size_t len;
	unsigned n;			/* verdicts in it */
};

#define THREAD_INTAKE	0x1
#define THREAD_SENDER	0x2
#define THREAD_ACTION	0x4

/* Where store_message put a message. */
enum stored_in { IN_SPOOL, IN_MEMORY, DROPPED_SPOOL_FULL, DROPPED_BACKLOG };

/* What the action thread needs of one verdict. */
struct action_item {
	char *json;
	size_t len;
	char *env[ACTION_ENV_MAX];	/* NULL-ended */
	uint8_t target[16];
	int has_target;			/* the address nftables would take */
	int block;
};

struct deliver {
	const struct config *cfg;
	int wait_when_full;
	int check_only;			/* -t: opens nothing, starts nothing */
	pthread_mutex_t mu;
	pthread_cond_t wake_intake, wake_wh, wake_act, room, idle;
	int stop;
	int stop_post;			/* atomic: give up a request under way */
	int finished;			/* the threads are joined */
	int started;			/* THREAD_* bits */

	/* webhook */
	int has_webhook;
	pthread_t intake_thread, sender_thread;
	struct queue wq;		/* char *: one verdict's JSON each */
	unsigned in_intake;		/* verdicts being stored */
	uint64_t stored;		/* messages stored, not yet sent */
	struct webhook *wh;
	pthread_mutex_t store_mu;	/* the four below */
	struct spool *spool;		/* NULL: messages wait in memory */
	struct mem_msg *mem;
	size_t nmem, capmem;
	uint64_t mem_bytes, mem_verdicts;
	int disk_failing, spool_full, backlog_full;	/* logged once each */
	uint64_t pending;		/* verdicts not yet delivered */
	int disabled;			/* a 410 answer */
	uint64_t seq;
	uint32_t intake_rnd, sender_rnd;	/* one per thread */
	/* webhook counters */
	uint64_t queued, queue_dropped, spooled, spool_dropped, spool_errors;
	uint64_t backlog_dropped, abandoned;
	uint64_t delivered, messages, attempts, failures, rejected;
	uint64_t recovered, recovered_messages;
	uint64_t spool_msgs_now, spool_bytes_now;	/* for stats, under mu */

	/* exec hook and nftables */
	int has_action;
	pthread_t act_thread;
	struct queue aq;		/* struct action_item * */
	int act_busy;
	struct exechook *exec;
	struct nftset *nft;
	uint64_t act_dropped, act_abandoned, exec_runs, exec_failed;
	uint64_t exec_timeouts;
	uint64_t nft_added, nft_failed, nft_skipped;
};

/* Waits on cv until the monotonic time until_us (0: no limit). */
static void
wait_until(pthread_cond_t *cv, pthread_mutex_t *mu, uint64_t until_us)
{
	struct timespec ts;

	if (until_us == 0) {
		pthread_cond_wait(cv, mu);
		return;
	}
	ts.tv_sec = (time_t)(until_us / 1000000);
	ts.tv_nsec = (long)(until_us % 1000000) * 1000;
	pthread_cond_timedwait(cv, mu, &ts);
}

static void
cond_init_mono(pthread_cond_t *cv)
{
	pthread_condattr_t a;

	pthread_condattr_init(&a);
	pthread_condattr_setclock(&a, CLOCK_MONOTONIC);
	pthread_cond_init(cv, &a);
	pthread_condattr_destroy(&a);
}

static void
queue_init(struct queue *q, size_t cap)
{
	q->slot = xcalloc(cap, sizeof(*q->slot));
	q->cap = cap;
	q->head = q->n = 0;
}

static void
queue_push(struct queue *q, void *p)
{
	q->slot[(q->head + q->n) % q->cap] = p;
	q->n++;
}

static void *
queue_pop(struct queue *q)
{
	void *p = q->slot[q->head];

	q->head = (q->head + 1) % q->cap;
	q->n--;
	return p;
}

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
 * The webhook threads. The intake thread turns queued verdicts into
 * messages and stores them (spool, or memory); the sender thread sends the
 * stored messages. Two threads, so that a verdict reaches the disk while a
 * request to a slow endpoint is still in flight. store_mu guards the spool
 * and the memory list; it is never held together with mu.
 */

/* Forgets the i-th message held in memory; under store_mu. */
static void
mem_remove(struct deliver *d, size_t i)
{
	d->mem_bytes -= d->mem[i].len;
	d->mem_verdicts -= d->mem[i].n;
	free(d->mem[i].body);
	memmove(d->mem + i, d->mem + i + 1, (d->nmem - i - 1) * sizeof(*d->mem));
	d->nmem--;
}

/* Ends a disk error episode once nothing waits in memory for the disk;
 * under store_mu. Logged at the error's level: it closes what the error
 * opened. */
static void
disk_back(struct deliver *d)
{
	if (d->disk_failing && d->nmem == 0) {
		log_warn("spool %s: writable again", d->cfg->spool);
		d->disk_failing = 0;
	}
}

/* Writes the messages held in memory after a disk error to the spool,
 * oldest first, until one fails; under store_mu. Returns the verdicts
 * moved. */
static uint64_t
mem_to_spool(struct deliver *d)
{
	char err[512];
	uint64_t moved = 0;

	while (d->spool != NULL && d->nmem > 0) {
		if (spool_put(d->spool, d->mem[0].id, d->mem[0].body,
		    d->mem[0].len, err, sizeof(err)) != 0)
			break;
		moved += d->mem[0].n;
		mem_remove(d, 0);
	}
	if (moved > 0)
		disk_back(d);
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
store_locked(struct deliver *d, const char *id, char *body, size_t len,
    unsigned n, uint64_t *moved)
{
	char err[512];
	int rc, full;

	*moved = 0;
	if (d->spool != NULL) {
		*moved = mem_to_spool(d);
		rc = spool_put(d->spool, id, body, len, err, sizeof(err));
		if (rc == 0) {
			free(body);
			if (d->spool_full)
				log_warn("spool %s: has room again", d->cfg->spool);
			d->spool_full = 0;
			disk_back(d);
			return IN_SPOOL;
		}
		if (rc == SPOOL_FULL) {
			free(body);
			if (!d->spool_full)
				log_warn("spool full (%s): verdicts that do not "
				    "fit are dropped and counted "
				    "(webhook.spool_dropped) until it has room",
				    err);
			d->spool_full = 1;
			return DROPPED_SPOOL_FULL;
		}
		d->spool_errors++;
		if (!d->disk_failing)
			log_err("%s: messages wait in memory (up to queue_size "
			    "verdicts) until the spool takes them again", err);
		d->disk_failing = 1;
		full = d->nmem > 0 &&
		    d->mem_verdicts + n > (uint64_t)d->cfg->queue_size;
	} else {
		full = d->nmem > 0 &&
		    d->mem_bytes + len > (uint64_t)d->cfg->spool_max_bytes;
	}
	if (full) {
		free(body);
		if (!d->backlog_full)
			log_warn("webhook backlog full (%" PRIu64 " verdicts, %"
			    PRIu64 " bytes in memory): verdicts are dropped and "
			    "counted (webhook.backlog_dropped)", d->mem_verdicts,
			    d->mem_bytes);
		d->backlog_full = 1;
		return DROPPED_BACKLOG;
	}
	d->backlog_full = 0;
	if (d->nmem == d->capmem) {
		d->capmem = d->capmem ? d->capmem * 2 : 16;
		d->mem = xreallocarray(d->mem, d->capmem, sizeof(*d->mem));
	}
	str_copy(d->mem[d->nmem].id, id, sizeof(d->mem[d->nmem].id));
	d->mem[d->nmem].body = body;
	d->mem[d->nmem].len = len;
	d->mem[d->nmem].n = n;
	d->nmem++;
	d->mem_bytes += len;
	d->mem_verdicts += n;
	return IN_MEMORY;
}

/* Makes one message of the verdicts in v (taken off the queue) and stores
 * it; *moved as for store_locked. */
static enum stored_in
store_message(struct deliver *d, char **v, unsigned n, uint64_t *moved)
{
	static const char head[] = "{\"type\":\"egressd.verdicts\","
	    "\"timestamp\":\"";
	char id[SPOOL_ID_MAX], ts[40], *body;
	size_t len = 0, off, i;
	uint64_t now = wall_us();
	enum stored_in where;

	eve_timestamp(now, ts, sizeof(ts));
	for (i = 0; i < n; i++)
		len += strlen(v[i]) + 1;	/* and its comma */
	len += sizeof(head) + strlen(ts) + 64;	/* the frame around them */
	body = xmalloc(len);
	off = (size_t)snprintf(body, len, "%s%s\",\"data\":{\"verdicts\":[",
	    head, ts);
	for (i = 0; i < n; i++) {
		size_t l = strlen(v[i]);

		if (i > 0)
			body[off++] = ',';
		memcpy(body + off, v[i], l);
		off += l;
		free(v[i]);
	}
	off += (size_t)snprintf(body + off, len - off, "]}}");
	len = off;
	snprintf(id, sizeof(id), "msg_%013" PRIu64 "_%06" PRIu64 "_%08" PRIx32,
	    now / 1000, d->seq++ % 1000000, next_rand(&d->intake_rnd));

	pthread_mutex_lock(&d->store_mu);
	where = store_locked(d, id, body, len, n, moved);
	pthread_mutex_unlock(&d->store_mu);
	return where;
}

/* Copies the spool's figures where stats can read them under mu. */
static void
note_spool(struct deliver *d)
{
	uint64_t msgs, bytes;

	if (d->spool == NULL)
		return;
	pthread_mutex_lock(&d->store_mu);
	msgs = spool_count(d->spool);
	bytes = spool_bytes(d->spool);
	pthread_mutex_unlock(&d->store_mu);
	pthread_mutex_lock(&d->mu);
	d->spool_msgs_now = msgs;
	d->spool_bytes_now = bytes;
	pthread_mutex_unlock(&d->mu);
}

static void *
intake_main(void *arg)
{
	struct deliver *d = arg;
	char **batch;
	unsigned n;
	uint64_t moved;
	enum stored_in where;

	batch = xcalloc((size_t)d->cfg->webhook_batch, sizeof(*batch));
	pthread_mutex_lock(&d->mu);
	for (;;) {
		while (d->wq.n == 0 && !d->stop)
			pthread_cond_wait(&d->wake_intake, &d->mu);
		if (d->wq.n == 0)
			break;		/* stopping, and all is stored */
		for (n = 0; n < d->cfg->webhook_batch && d->wq.n > 0; n++)
			batch[n] = queue_pop(&d->wq);
		d->in_intake = n;
		pthread_cond_broadcast(&d->room);
		pthread_mutex_unlock(&d->mu);
		where = store_message(d, batch, n, &moved);
		note_spool(d);
		pthread_mutex_lock(&d->mu);
		d->in_intake = 0;
		d->spooled += moved + (where == IN_SPOOL ? n : 0);
		if (where == DROPPED_SPOOL_FULL)
			d->spool_dropped += n;
		else if (where == DROPPED_BACKLOG)
			d->backlog_dropped += n;
		if (where == DROPPED_SPOOL_FULL || where == DROPPED_BACKLOG)
			d->pending -= n;
		else
			d->stored++;
		pthread_cond_broadcast(&d->wake_wh);
		pthread_cond_broadcast(&d->idle);
	}
	pthread_mutex_unlock(&d->mu);
	free(batch);
	return NULL;
}

/* Forgets the message id: delivered, rejected or unreadable. It is looked
 * for in memory first: since it was read there, the intake thread may have
 * moved it to the spool. */
static void
drop_head(struct deliver *d, const char *id, int reject)
{
	char err[512];
	size_t i;
	int rc = 0;

	pthread_mutex_lock(&d->store_mu);
	for (i = 0; i < d->nmem && strcmp(d->mem[i].id, id) != 0; i++)
		;
	if (i < d->nmem) {
		mem_remove(d, i);
	} else if (d->spool != NULL) {
		rc = reject ? spool_reject(d->spool, id, err, sizeof(err)) :
		    spool_remove(d->spool, id, err, sizeof(err));
	}
	pthread_mutex_unlock(&d->store_mu);
	if (rc == -1)
		log_err("%s", err);
	pthread_mutex_lock(&d->mu);
	d->stored--;
	pthread_mutex_unlock(&d->mu);
	note_spool(d);
}

/* Takes a copy of the oldest message; returns 0, or -1 when there is none
 * (or it could not be read, and was dropped). */
static int
oldest(struct deliver *d, char id[SPOOL_ID_MAX], char **body, size_t *len,
    int *from_mem)
{
	char err[512];
	int rc = 0;

	pthread_mutex_lock(&d->store_mu);
	/* Messages kept in memory after a disk error are older than
	 * anything spooled since. */
	if ((*from_mem = d->nmem > 0)) {
		str_copy(id, d->mem[0].id, SPOOL_ID_MAX);
		*body = xstrdup(d->mem[0].body);
		*len = d->mem[0].len;
	} else if (d->spool == NULL || spool_peek(d->spool, 0, id) == -1) {
		rc = -1;
	} else if (spool_read(d->spool, id, body, len, err, sizeof(err)) == -1) {
		rc = -2;
	}
	pthread_mutex_unlock(&d->store_mu);
	if (rc == -2) {
		log_err("%s (message %s skipped)", err, id);
		drop_head(d, id, 0);
	}
	return rc == 0 ? 0 : -1;
}

/* One attempt at the oldest message. Returns the wait before the next
 * attempt (0: go on at once). */
static uint64_t
attempt(struct deliver *d, unsigned *tries)
{
	char id[SPOOL_ID_MAX], err[512], *body;
	size_t len;
	uint64_t retry_after = 0, wait = 0;
	unsigned n;
	long status = 0;
	enum webhook_result res;
	int from_mem;

	if (oldest(d, id, &body, &len, &from_mem) == -1)
		return 100000;	/* none after all: look again shortly */
	n = count_verdicts(body);
	res = webhook_post(d->wh, id, body, len, &status, &retry_after, err,
	    sizeof(err));
	free(body);
	if (res == WEBHOOK_DELIVERED || res == WEBHOOK_REJECTED)
		drop_head(d, id, res == WEBHOOK_REJECTED);

	pthread_mutex_lock(&d->mu);
	d->attempts++;
	switch (res) {
	case WEBHOOK_DELIVERED:
		d->delivered += n;
		d->messages++;
		d->pending -= n < d->pending ? n : d->pending;
		if (*tries > 0)
			log_info("webhook: message %s delivered after %u retries",
			    id, *tries);
		*tries = 0;
		break;
	case WEBHOOK_REJECTED:
		d->failures++;
		d->rejected += n;
		d->pending -= n < d->pending ? n : d->pending;
		log_err("%s: message %s (%u verdicts) refused for good%s", err,
		    id, n, from_mem ? ", dropped" : ", moved to the spool's "
		    "rejected/ directory");
		*tries = 0;
		break;
	case WEBHOOK_GONE:
		d->failures++;
		d->disabled = 1;
		log_err("%s: the endpoint is gone; webhook delivery is off until "
		    "restart (%" PRIu64 " verdicts wait%s)", err, d->pending,
		    d->spool != NULL ? " in the spool" : "");
		break;
	case WEBHOOK_RETRY:
	default:
		d->failures++;
		if (d->stop) {
			log_warn("%s; message %s given up at stop", err, id);
			break;
		}
		(*tries)++;
		wait = webhook_backoff_us(*tries, d->cfg->webhook_retry_max_us,
		    next_rand(&d->sender_rnd));
		if (retry_after > wait)
			wait = retry_after;
		log_warn("%s; message %s retried in %.1f s (attempt %u)", err,
		    id, (double)wait / 1e6, *tries + 1);
		break;
	}
	pthread_cond_broadcast(&d->idle);
	pthread_mutex_unlock(&d->mu);
	return wait;
}

static void *
sender_main(void *arg)
{
	struct deliver *d = arg;
	uint64_t next_at = 0, wait;
	unsigned tries = 0;

	pthread_mutex_lock(&d->mu);
	for (;;) {
		if (d->stop)
			break;
		if (d->disabled || d->stored == 0) {
			pthread_cond_wait(&d->wake_wh, &d->mu);
			continue;
		}
		if (mono_us() < next_at) {
			wait_until(&d->wake_wh, &d->mu, next_at);
			continue;
		}
		pthread_mutex_unlock(&d->mu);
		wait = attempt(d, &tries);
		pthread_mutex_lock(&d->mu);
		next_at = wait > 0 ? mono_us() + wait : 0;
	}
	pthread_mutex_unlock(&d->mu);
	return NULL;
}

/*
 * The action thread: exec hook, then nftables.
 */

static void
action_free(struct action_item *a)
{
	size_t i;

	free(a->json);
	for (i = 0; i < ACTION_ENV_MAX && a->env[i] != NULL; i++)
		free(a->env[i]);
	free(a);
}

static void
run_action(struct deliver *d, struct action_item *a)
{
	enum exechook_result er = EXECHOOK_OK;
	char err[512], addr[64];
	int nr = 0, ran_nft = 0;

	if (d->exec != NULL) {
		er = exechook_run(d->exec, a->json, a->len,
		    (const char *const *)a->env, err, sizeof(err));
		if (er != EXECHOOK_OK)
			log_warn("%s", err);
	}
	if (d->nft != NULL && a->block && a->has_target) {
		ran_nft = 1;
		if ((nr = nftset_add(d->nft, a->target, err, sizeof(err))) == -1) {
			addr_format(a->target, addr, sizeof(addr));
			log_err("nftables: adding %s: %s", addr, err);
		}
	}
	pthread_mutex_lock(&d->mu);
	if (d->exec != NULL) {
		d->exec_runs++;
		d->exec_failed += er == EXECHOOK_FAILED || er == EXECHOOK_ERROR;
		d->exec_timeouts += er == EXECHOOK_TIMEOUT;
	}
	if (d->nft != NULL && a->block) {
		if (!ran_nft || nr == 0)
			d->nft_skipped++;
		else if (nr == 1)
			d->nft_added++;
		else
			d->nft_failed++;
	}
	pthread_mutex_unlock(&d->mu);
}

static void *
action_main(void *arg)
{
	struct deliver *d = arg;
	struct action_item *a;

	pthread_mutex_lock(&d->mu);
	for (;;) {
		while (d->aq.n == 0 && !d->stop) {
			pthread_cond_broadcast(&d->idle);
			pthread_cond_wait(&d->wake_act, &d->mu);
		}
		if (d->stop)
			break;
		a = queue_pop(&d->aq);
		d->act_busy = 1;
		pthread_cond_broadcast(&d->room);
		pthread_mutex_unlock(&d->mu);
		run_action(d, a);
		action_free(a);
		pthread_mutex_lock(&d->mu);
		d->act_busy = 0;
	}
	pthread_cond_broadcast(&d->idle);
	pthread_mutex_unlock(&d->mu);
	return NULL;
}

/*
 * Setting up.
 */

static int
open_webhook(struct deliver *d, char *err, size_t errlen)
{
	const struct config *cfg = d->cfg;
	struct webhook_opts o;
	uint8_t key[WEBHOOK_KEY_MAX];
	size_t keylen = 0, i;
	char id[SPOOL_ID_MAX], *body;
	size_t len;
	struct stat st;

	if (cfg->webhook_secret_file[0] == '\0') {
		snprintf(err, errlen, "webhook needs webhook_secret_file: "
		    "messages are always signed");
		return -1;
	}
	if (webhook_load_secret(cfg->webhook_secret_file, key, &keylen, err,
	    errlen) == -1)
		return -1;
	if (stat(cfg->webhook_secret_file, &st) == 0 && (st.st_mode & 077) != 0)
		log_warn("%s can be read by other users: chmod 600 it",
		    cfg->webhook_secret_file);
	memset(&o, 0, sizeof(o));
	o.url = cfg->webhook;
	o.key = key;
	o.keylen = keylen;
	o.timeout_us = cfg->webhook_timeout_us;
	o.ca_file = cfg->webhook_ca_file;
	o.user_agent = USER_AGENT;
	o.stop = &d->stop_post;
	d->wh = webhook_new(&o, err, errlen);
	memset(key, 0, sizeof(key));
	if (d->wh == NULL)
		return -1;
	if (cfg->spool[0] != '\0' && d->check_only) {
		uid_t owner = geteuid();

		/* Checked for the user the run switches to; not made: a
		 * directory -t made as root would not be that user's. */
		if (cfg->user[0] != '\0' && priv_user_uid(cfg->user, &owner) == -1) {
			snprintf(err, errlen, "user %s: no such user", cfg->user);
			return -1;
		}
		if (spool_check_dir(cfg->spool, owner, err, errlen) == -1)
			return -1;
	} else if (cfg->spool[0] != '\0') {
		if ((d->spool = spool_open(cfg->spool,
		    (uint64_t)cfg->spool_max_bytes, err, errlen)) == NULL)
			return -1;
		/* An earlier run's messages: they go first. */
		for (i = 0; spool_peek(d->spool, i, id) == 0; i++) {
			if (spool_read(d->spool, id, &body, &len, err, errlen) == -1)
				continue;
			d->recovered += count_verdicts(body);
			d->recovered_messages++;
			free(body);
		}
		d->pending = d->recovered;
		d->stored = d->recovered_messages;
		d->spool_msgs_now = spool_count(d->spool);
		d->spool_bytes_now = spool_bytes(d->spool);
		if (d->recovered_messages > 0)
			log_info("spool %s: %" PRIu64 " verdicts in %" PRIu64
			    " messages from an earlier run to deliver", cfg->spool,
			    d->recovered, d->recovered_messages);
	}
	queue_init(&d->wq, (size_t)cfg->queue_size);
	d->has_webhook = 1;
	return 0;
}

static int
open_actions(struct deliver *d, char *err, size_t errlen)
{
	const struct config *cfg = d->cfg;

	if (cfg->exec[0] != '\0' &&
	    (d->exec = exechook_new(cfg->exec, cfg->exec_timeout_us, err,
	    errlen)) == NULL)
		return -1;
	if ((cfg->nft_set[0] != '\0' || cfg->nft_set6[0] != '\0') &&
	    (d->nft = nftset_new(cfg->nft_set, cfg->nft_set6,
	    cfg->nft_timeout_us, err, errlen)) == NULL)
		return -1;
	if (d->exec == NULL && d->nft == NULL)
		return 0;
	if (d->nft != NULL && cfg->block_categories == 0)
		log_warn("nft_set is set but block_categories is empty: no "
		    "verdict will be blocked");
	queue_init(&d->aq, (size_t)cfg->queue_size);
	d->has_action = 1;
	return 0;
}

struct deliver *
deliver_new(const struct config *cfg, int flags, char *err, size_t errlen)
{
	struct deliver *d = xcalloc(1, sizeof(*d));

	d->cfg = cfg;
	d->wait_when_full = (flags & DELIVER_WAIT_WHEN_FULL) != 0;
	d->check_only = (flags & DELIVER_CHECK_ONLY) != 0;
	pthread_mutex_init(&d->mu, NULL);
	pthread_mutex_init(&d->store_mu, NULL);
	cond_init_mono(&d->wake_intake);
	cond_init_mono(&d->wake_wh);
	cond_init_mono(&d->wake_act);
	cond_init_mono(&d->room);
	cond_init_mono(&d->idle);
	if (getrandom(&d->intake_rnd, sizeof(d->intake_rnd), 0) !=
	    (ssize_t)sizeof(d->intake_rnd) || d->intake_rnd == 0)
		d->intake_rnd = (uint32_t)(wall_us() | 1);
	d->sender_rnd = d->intake_rnd ^ 0x9e3779b9u;
	if (d->sender_rnd == 0)
		d->sender_rnd = 1;

	if (cfg->spool[0] != '\0' && cfg->webhook[0] == '\0') {
		snprintf(err, errlen, "spool is set but webhook is not: the "
		    "spool holds what the webhook has not taken");
		goto fail;
	}
	if (cfg->webhook[0] != '\0' && open_webhook(d, err, errlen) == -1)
		goto fail;
	if (open_actions(d, err, errlen) == -1)
		goto fail;
	if (d->check_only)
		return d;
	if (d->has_webhook) {
		if (pthread_create(&d->intake_thread, NULL, intake_main, d) != 0) {
			snprintf(err, errlen, "cannot start the webhook threads");
			goto fail;
		}
		d->started |= THREAD_INTAKE;
		if (pthread_create(&d->sender_thread, NULL, sender_main, d) != 0) {
			snprintf(err, errlen, "cannot start the webhook threads");
			goto fail;
		}
		d->started |= THREAD_SENDER;
	}
	if (d->has_action) {
		if (pthread_create(&d->act_thread, NULL, action_main, d) != 0) {
			snprintf(err, errlen, "cannot start the action thread");
			goto fail;
		}
		d->started |= THREAD_ACTION;
	}
	return d;
fail:
	deliver_free(d);
	return NULL;
}

/* Waits for room in q when the run may wait; returns whether there is. */
static int
make_room(struct deliver *d, struct queue *q)
{
	while (q->n == q->cap && d->wait_when_full && !d->stop)
		pthread_cond_wait(&d->room, &d->mu);
	return q->n < q->cap;
}

static struct action_item *
action_new(const struct deliver *d, const struct verdict *v, const char *json)
{
	struct action_item *a = xcalloc(1, sizeof(*a));
	char ip[64];
	int n = 0;

	a->json = xstrdup(json);
	a->len = strlen(json);
	addr_format(v->vm_addr, ip, sizeof(ip));
	if (asprintf(&a->env[n++], "EGRESSD_VERDICT_ID=%s", v->verdict_id) < 0 ||
	    asprintf(&a->env[n++], "EGRESSD_VM=%s", v->vm) < 0 ||
	    asprintf(&a->env[n++], "EGRESSD_VM_IP=%s", ip) < 0 ||
	    asprintf(&a->env[n++], "EGRESSD_CATEGORY=%s",
	    policy_category_name(v->category)) < 0 ||
	    asprintf(&a->env[n++], "EGRESSD_ACTION=%s", v->action) < 0) {
		log_err("out of memory");
		abort();
	}
	a->block = strcmp(v->action, "block") == 0;
	if (d->cfg->nft_target == NFT_TARGET_VM) {
		memcpy(a->target, v->vm_addr, 16);
		a->has_target = 1;
	} else if (v->has_peer) {
		memcpy(a->target, v->peer, 16);
		a->has_target = 1;
	}
	return a;
}

void
deliver_verdict(struct deliver *d, const struct verdict *v)
{
	char *json;

	if (!d->has_webhook && !d->has_action)
		return;
	if ((json = eve_verdict_json(v)) == NULL)
		return;
	pthread_mutex_lock(&d->mu);
	if (d->has_action) {
		if (make_room(d, &d->aq)) {
			queue_push(&d->aq, action_new(d, v, json));
			pthread_cond_signal(&d->wake_act);
		} else {
			d->act_dropped++;
		}
	}
	if (d->has_webhook) {
		if (make_room(d, &d->wq)) {
			queue_push(&d->wq, json);
			json = NULL;
			d->queued++;
			d->pending++;
			pthread_cond_signal(&d->wake_intake);
		} else {
			d->queue_dropped++;
		}
	}
	pthread_mutex_unlock(&d->mu);
	free(json);
}

static uint64_t
undelivered(const struct deliver *d)
{
	return d->pending + d->aq.n + (uint64_t)d->act_busy;
}

/* Waits up to timeout_us for every queue and the spool to empty, the
 * webhook having taken everything. Returns the verdicts not yet
 * delivered. */
static uint64_t
deliver_drain(struct deliver *d, uint64_t timeout_us)
{
	uint64_t deadline = mono_us() + timeout_us, left;

	pthread_mutex_lock(&d->mu);
	while (undelivered(d) > 0 && mono_us() < deadline) {
		/* A disabled endpoint takes nothing more: stop waiting once
		 * everything is stored. */
		if ((d->disabled || !d->has_webhook) && d->wq.n == 0 &&
		    d->in_intake == 0 && d->aq.n == 0 && !d->act_busy)
			break;
		wait_until(&d->idle, &d->mu, deadline);
	}
	left = undelivered(d);
	pthread_mutex_unlock(&d->mu);
	return left;
}

uint64_t
deliver_lost(struct deliver *d)
{
	uint64_t n;

	pthread_mutex_lock(&d->mu);
	n = d->queue_dropped + d->spool_dropped + d->backlog_dropped +
	    d->rejected + d->abandoned + d->act_dropped + d->act_abandoned;
	pthread_mutex_unlock(&d->mu);
	return n;
}

void
deliver_stats(struct deliver *d, struct stats_event *s)
{
	pthread_mutex_lock(&d->mu);
	if (d->has_webhook) {
		stats_add(s, "webhook", "queued", d->queued);
		stats_add(s, "webhook", "queue_dropped", d->queue_dropped);
		stats_add(s, "webhook", "spooled", d->spooled);
		stats_add(s, "webhook", "spool_dropped", d->spool_dropped);
		stats_add(s, "webhook", "spool_errors", d->spool_errors);
		stats_add(s, "webhook", "backlog_dropped", d->backlog_dropped);
		stats_add(s, "webhook", "abandoned", d->abandoned);
		stats_add(s, "webhook", "recovered", d->recovered);
		stats_add(s, "webhook", "delivered", d->delivered);
		stats_add(s, "webhook", "messages", d->messages);
		stats_add(s, "webhook", "attempts", d->attempts);
		stats_add(s, "webhook", "failures", d->failures);
		stats_add(s, "webhook", "rejected", d->rejected);
		stats_add(s, "webhook", "pending", d->pending);
		stats_add(s, "webhook", "spool_messages", d->spool_msgs_now);
		stats_add(s, "webhook", "spool_bytes", d->spool_bytes_now);
		stats_add(s, "webhook", "disabled", (uint64_t)d->disabled);
		stats_add(s, "webhook", "queue_depth", d->wq.n);
	}
	if (d->exec != NULL || d->nft != NULL) {
		stats_add(s, "action", "dropped", d->act_dropped);
		stats_add(s, "action", "abandoned", d->act_abandoned);
		stats_add(s, "action", "queue_depth", d->aq.n);
	}
	if (d->exec != NULL) {
		stats_add(s, "action", "exec_runs", d->exec_runs);
		stats_add(s, "action", "exec_failed", d->exec_failed);
		stats_add(s, "action", "exec_timeouts", d->exec_timeouts);
	}
	if (d->nft != NULL) {
		stats_add(s, "action", "nft_added", d->nft_added);
		stats_add(s, "action", "nft_failed", d->nft_failed);
		stats_add(s, "action", "nft_skipped", d->nft_skipped);
	}
	pthread_mutex_unlock(&d->mu);
}

/* Stops and joins the threads: the intake thread stores everything still
 * queued first; a request under way is given up (within about a second);
 * a hook or nftables call under way ends (the hook within exec_timeout).
 * Then settles what the threads left: messages in memory go to the spool
 * if it takes them now, else they are abandoned, and so are queued
 * actions. */
static void
stop_threads(struct deliver *d)
{
	uint64_t moved;

	pthread_mutex_lock(&d->mu);
	if (d->finished) {
		pthread_mutex_unlock(&d->mu);
		return;
	}
	d->stop = 1;
	__atomic_store_n(&d->stop_post, 1, __ATOMIC_RELEASE);
	pthread_cond_broadcast(&d->wake_intake);
	pthread_cond_broadcast(&d->wake_wh);
	pthread_cond_broadcast(&d->wake_act);
	pthread_cond_broadcast(&d->room);
	pthread_mutex_unlock(&d->mu);
	if (d->started & THREAD_INTAKE)
		pthread_join(d->intake_thread, NULL);
	if (d->started & THREAD_SENDER)
		pthread_join(d->sender_thread, NULL);
	if (d->started & THREAD_ACTION)
		pthread_join(d->act_thread, NULL);

	pthread_mutex_lock(&d->store_mu);
	moved = mem_to_spool(d);
	pthread_mutex_unlock(&d->store_mu);
	note_spool(d);
	pthread_mutex_lock(&d->mu);
	d->spooled += moved;
	d->abandoned = d->mem_verdicts;
	d->pending -= d->abandoned < d->pending ? d->abandoned : d->pending;
	while (d->aq.n > 0) {
		action_free(queue_pop(&d->aq));
		d->act_abandoned++;
	}
	d->finished = 1;
	pthread_mutex_unlock(&d->mu);
}

enum deliver_end
deliver_finish(struct deliver *d, uint64_t timeout_us)
{
	uint64_t left, lost;

	(void)deliver_drain(d, timeout_us);
	stop_threads(d);
	pthread_mutex_lock(&d->mu);
	left = d->pending;	/* what is left is in the spool */
	pthread_mutex_unlock(&d->mu);
	lost = deliver_lost(d);
	if (left > 0)
		log_warn("%" PRIu64 " verdicts not delivered after %.1f s; they "
		    "stay in the spool %s for the next run", left,
		    (double)timeout_us / 1e6, d->cfg->spool);
	if (lost > 0) {
		log_err("%" PRIu64 " verdicts were lost (see the stats event: "
		    "webhook and action)", lost);
		return DELIVER_END_LOST;
	}
	return left > 0 ? DELIVER_END_SPOOLED : DELIVER_END_ALL;
}

void
deliver_free(struct deliver *d)
{
	size_t i;

	if (d == NULL)
		return;
	stop_threads(d);
	for (i = 0; i < d->wq.n; i++)
		free(d->wq.slot[(d->wq.head + i) % d->wq.cap]);
	for (i = 0; i < d->nmem; i++)
		free(d->mem[i].body);
	free(d->mem);
	free(d->wq.slot);
	free(d->aq.slot);
	webhook_free(d->wh);
	spool_close(d->spool);
	exechook_free(d->exec);
	nftset_free(d->nft);
	pthread_cond_destroy(&d->wake_intake);
	pthread_cond_destroy(&d->wake_wh);
	pthread_cond_destroy(&d->wake_act);
	pthread_cond_destroy(&d->room);
	pthread_cond_destroy(&d->idle);
	pthread_mutex_destroy(&d->store_mu);
	pthread_mutex_destroy(&d->mu);
	free(d);
}
