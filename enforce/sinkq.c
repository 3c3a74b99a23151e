/*
 * sinkq.c: a bounded ring of pointers, one mutex, and one thread that
 * empties it (see sinkq.h). The lock is held only to move pointers and
 * counters; the run function is called without it, so the packet path
 * waits at most for a few pointer moves.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include "sinkq.h"
#include "statreg.h"
#include "util.h"

struct sinkq {
	struct sinkq_def def;
	pthread_mutex_t mu;
	pthread_cond_t wake, room, idle;
	void **slot;
	size_t head, n;
	void **batch;			/* the thread's: def.batch items */
	unsigned running;
	int stop, started, joined;
	uint64_t moved_us;		/* mono_us when an item was last taken
					 * in by an idle queue, out, or done */
	pthread_t thread;
	uint64_t queued, dropped, abandoned;
};

static void *
sinkq_main(void *arg)
{
	struct sinkq *q = arg;
	unsigned n;

	pthread_mutex_lock(&q->mu);
	for (;;) {
		while (q->n == 0 && !q->stop) {
			pthread_cond_broadcast(&q->idle);
			cond_wait_until(&q->wake, &q->mu, q->def.linger_us == 0 ?
			    0 : mono_us() + q->def.linger_us);
		}
		if (q->n == 0 || (q->stop && !q->def.finish_queued))
			break;
		for (n = 0; n < q->def.batch && q->n > 0; n++) {
			q->batch[n] = q->slot[q->head];
			q->head = (q->head + 1) % q->def.cap;
			q->n--;
		}
		q->running = n;
		q->moved_us = mono_us();
		pthread_cond_broadcast(&q->room);
		pthread_mutex_unlock(&q->mu);
		q->def.run(q->def.arg, q->batch, n);
		pthread_mutex_lock(&q->mu);
		q->running = 0;
		q->moved_us = mono_us();
	}
	pthread_cond_broadcast(&q->idle);
	pthread_mutex_unlock(&q->mu);
	return NULL;
}

struct sinkq *
sinkq_new(const struct sinkq_def *def, char *err, size_t errlen)
{
	struct sinkq *q = xcalloc(1, sizeof(*q));

	q->def = *def;
	if (q->def.batch == 0)
		q->def.batch = 1;
	if (q->def.cap == 0)
		q->def.cap = 1;
	q->slot = xcalloc(q->def.cap, sizeof(*q->slot));
	q->batch = xcalloc(q->def.batch, sizeof(*q->batch));
	pthread_mutex_init(&q->mu, NULL);
	cond_init_monotonic(&q->wake);
	cond_init_monotonic(&q->room);
	cond_init_monotonic(&q->idle);
	if (pthread_create(&q->thread, NULL, sinkq_main, q) != 0) {
		snprintf(err, errlen, "cannot start a delivery thread");
		sinkq_free(q);
		return NULL;
	}
	q->started = 1;
	return q;
}

int
sinkq_push(struct sinkq *q, void *item)
{
	int rc = -1;

	pthread_mutex_lock(&q->mu);
	while (q->n == q->def.cap && q->def.wait_when_full && !q->stop)
		pthread_cond_wait(&q->room, &q->mu);
	if (q->n < q->def.cap && !q->stop) {
		if (q->n == 0 && q->running == 0)
			q->moved_us = mono_us();	/* idle until now */
		q->slot[(q->head + q->n) % q->def.cap] = item;
		q->n++;
		q->queued++;
		if (q->def.linger_us == 0 || q->n >= q->def.batch ||
		    q->n == q->def.cap)
			pthread_cond_signal(&q->wake);
		rc = 0;
	} else {
		q->dropped++;
	}
	pthread_mutex_unlock(&q->mu);
	return rc;
}

int
sinkq_wait_idle(struct sinkq *q, uint64_t deadline_us)
{
	int idle;

	pthread_mutex_lock(&q->mu);
	pthread_cond_signal(&q->wake);	/* no lingering now */
	while (!(idle = q->n == 0 && q->running == 0) && !q->joined &&
	    mono_us() < deadline_us)
		cond_wait_until(&q->idle, &q->mu, deadline_us);
	pthread_mutex_unlock(&q->mu);
	return idle;
}

void
sinkq_stop(struct sinkq *q)
{
	pthread_mutex_lock(&q->mu);
	if (q->joined || !q->started) {
		pthread_mutex_unlock(&q->mu);
		return;
	}
	q->stop = 1;
	pthread_cond_broadcast(&q->wake);
	pthread_cond_broadcast(&q->room);
	pthread_mutex_unlock(&q->mu);
	pthread_join(q->thread, NULL);
	pthread_mutex_lock(&q->mu);
	q->joined = 1;
	while (q->n > 0) {
		q->def.discard(q->def.arg, q->slot[q->head]);
		q->head = (q->head + 1) % q->def.cap;
		q->n--;
		q->abandoned++;
	}
	pthread_cond_broadcast(&q->idle);
	pthread_mutex_unlock(&q->mu);
}

int
sinkq_stalled(struct sinkq *q, uint64_t limit_us, uint64_t *for_us)
{
	uint64_t now = mono_us();
	int stalled;

	pthread_mutex_lock(&q->mu);
	*for_us = now > q->moved_us ? now - q->moved_us : 0;
	stalled = (q->n > 0 || q->running > 0) && *for_us > limit_us;
	pthread_mutex_unlock(&q->mu);
	return stalled;
}

void
sinkq_figures(struct sinkq *q, struct sinkq_figures *f)
{
	pthread_mutex_lock(&q->mu);
	f->queued = q->queued;
	f->dropped = q->dropped;
	f->abandoned = q->abandoned;
	f->depth = q->n;
	f->running = q->running;
	pthread_mutex_unlock(&q->mu);
}

uint64_t
sinkq_finish(struct sinkq *q)
{
	struct sinkq_figures f;

	sinkq_stop(q);
	sinkq_figures(q, &f);
	return f.dropped + f.abandoned;
}

void
sinkq_merge_figures(struct sinkq *q, struct stats_event *s,
    const char *section)
{
	struct sinkq_figures f;

	sinkq_figures(q, &f);
	stats_merge(s, section, "dropped", f.dropped);
	stats_merge(s, section, "abandoned", f.abandoned);
	stats_merge(s, section, "queue_depth", f.depth);
}

void
sinkq_free(struct sinkq *q)
{
	if (q == NULL)
		return;
	sinkq_stop(q);
	while (q->n > 0) {	/* a queue whose thread never started */
		q->def.discard(q->def.arg, q->slot[q->head]);
		q->head = (q->head + 1) % q->def.cap;
		q->n--;
	}
	free(q->slot);
	free(q->batch);
	pthread_cond_destroy(&q->wake);
	pthread_cond_destroy(&q->room);
	pthread_cond_destroy(&q->idle);
	pthread_mutex_destroy(&q->mu);
	free(q);
}
