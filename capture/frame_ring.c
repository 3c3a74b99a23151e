/*
 * frame_ring.c: the ring of frame_ring.h. Positions only grow (their
 * remainder by the size is the offset); the reader alone moves tail, the
 * user alone moves head, each published with a sequentially consistent
 * store. A side about to wait says so in a flag under the mutex and looks
 * again; the other side stores its position first and reads the flag
 * after, so one of the two always sees the other and no wake-up is lost.
 * A side that waits is woken only once there is a good part of the ring
 * for it (an eighth of it to read, or a quarter to write in, or the end),
 * not after each frame: the two threads would otherwise take turns frame
 * by frame, each turn two system calls. Each side keeps its own position
 * and a copy of the other's on a cache line of its own, publishes its
 * position every sixteenth of the ring (and before it waits, and when the
 * other waits), and reads the other's only when its copy says it must
 * wait: a line that both threads wrote for every frame would cross
 * between the cores twice a frame.
 *
 * A record is a header and the frame's bytes, padded to 8. One that does
 * not fit before the end of the ring starts again at offset 0, with a
 * header of size 0 left where it would have gone (or nothing, when not
 * even a header fits) to say so.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "decode.h"
#include "frame_ring.h"
#include "util.h"

struct rec {
	uint64_t ts_us;
	uint32_t caplen, wire_len;
	int32_t dlt;
	uint32_t input;
	uint32_t size;		/* bytes of the record, header too; 0: wrap */
	uint32_t pad;
};

#define REC_HDR		sizeof(struct rec)
#define ALIGN8(n)	(((n) + 7) & ~(size_t)7)

#define LINE	64

struct frame_ring {
	uint8_t *buf;
	size_t size;		/* a multiple of 8 */
	size_t max_data;	/* longest frame kept whole */
	_Atomic int user_waiting, reader_waiting, ended, stopped;
	_Atomic size_t want;	/* free bytes the waiting reader waits for */
	char pad0[LINE];
	_Atomic uint64_t tail;	/* published by the reader */
	uint64_t r_tail;	/* the reader's: its position, */
	uint64_t r_head;	/* and its copy of head */
	char pad1[LINE];
	_Atomic uint64_t head;	/* published by the user */
	uint64_t u_head;	/* the user's: its position, */
	uint64_t u_tail;	/* its copy of tail, */
	uint32_t taken;		/* and the size of the borrowed record */
	char pad2[LINE];
	pthread_mutex_t mu;
	pthread_cond_t more, room;
	int end_code;
	char end_msg[512];
};

struct frame_ring *
frame_ring_new(size_t bytes)
{
	struct frame_ring *r = xcalloc(1, sizeof(*r));

	r->size = ALIGN8(bytes < 4 * 4096 ? 4 * 4096 : bytes);
	r->max_data = r->size / 4 - REC_HDR;
	/* Touched whole now: the ring's memory is the same for every
	 * capture, not a growth of RSS that a long one seems to cause. */
	r->buf = xmalloc(r->size);
	memset(r->buf, 0, r->size);
	pthread_mutex_init(&r->mu, NULL);
	pthread_cond_init(&r->more, NULL);
	pthread_cond_init(&r->room, NULL);
	return r;
}

void
frame_ring_free(struct frame_ring *r)
{
	if (r == NULL)
		return;
	pthread_cond_destroy(&r->more);
	pthread_cond_destroy(&r->room);
	pthread_mutex_destroy(&r->mu);
	free(r->buf);
	free(r);
}

static void
wake(struct frame_ring *r, pthread_cond_t *cv)
{
	pthread_mutex_lock(&r->mu);
	pthread_cond_signal(cv);
	pthread_mutex_unlock(&r->mu);
}

/* Whether n bytes after tail are free by the published head. */
static int
has_room(struct frame_ring *r, uint64_t tail, size_t n)
{
	return r->size - (size_t)(tail - atomic_load(&r->head)) >= n;
}

/* What the waiting user waits for, by the published tail. */
static int
enough(struct frame_ring *r, uint64_t head)
{
	return atomic_load(&r->tail) - head >= r->size / 8 ||
	    atomic_load(&r->ended);
}

/* The reader: publishes its position, and wakes the user when it waits
 * and has enough. */
static void
publish_tail(struct frame_ring *r)
{
	atomic_store(&r->tail, r->r_tail);
	if (atomic_load(&r->user_waiting) && enough(r, atomic_load(&r->head)))
		wake(r, &r->more);
}

/* The user: the same for head. */
static void
publish_head(struct frame_ring *r)
{
	atomic_store(&r->head, r->u_head);
	if (atomic_load(&r->reader_waiting) &&
	    has_room(r, atomic_load(&r->tail), atomic_load(&r->want)))
		wake(r, &r->room);
}

/* The reader: waits until n bytes from its position are free. -1 when
 * stopped. */
static int
wait_room(struct frame_ring *r, size_t n)
{
	if (r->size - (size_t)(r->r_tail - r->r_head) >= n)
		return 0;
	r->r_head = atomic_load(&r->head);
	while (r->size - (size_t)(r->r_tail - r->r_head) < n) {
		if (atomic_load(&r->stopped))
			return -1;
		publish_tail(r);
		pthread_mutex_lock(&r->mu);
		atomic_store(&r->want, n > r->size / 4 ? n : r->size / 4);
		atomic_store(&r->reader_waiting, 1);
		while (!has_room(r, r->r_tail, atomic_load(&r->want)) &&
		    !atomic_load(&r->stopped))
			pthread_cond_wait(&r->room, &r->mu);
		atomic_store(&r->reader_waiting, 0);
		pthread_mutex_unlock(&r->mu);
		r->r_head = atomic_load(&r->head);
	}
	return atomic_load(&r->stopped) ? -1 : 0;
}

int
frame_ring_put(struct frame_ring *r, const struct frame *fr, int dlt,
    uint32_t input)
{
	uint64_t tail = r->r_tail;
	size_t cap = fr->caplen < r->max_data ? fr->caplen : r->max_data;
	size_t need = REC_HDR + ALIGN8(cap);
	size_t off = (size_t)(tail % r->size), contig = r->size - off;
	size_t skip = contig < need ? contig : 0;
	struct rec h;

	if (wait_room(r, skip + need) == -1)
		return -1;
	if (skip > 0) {
		if (skip >= REC_HDR) {
			memset(&h, 0, sizeof(h));
			memcpy(r->buf + off, &h, sizeof(h));
		}
		tail += skip;
		off = 0;
	}
	h.ts_us = fr->ts_us;
	h.caplen = (uint32_t)cap;
	h.wire_len = fr->wire_len;
	h.dlt = dlt;
	h.input = input;
	h.size = (uint32_t)need;
	h.pad = 0;
	memcpy(r->buf + off, &h, sizeof(h));
	memcpy(r->buf + off + REC_HDR, fr->data, cap);
	r->r_tail = tail + need;
	if (r->r_tail - atomic_load_explicit(&r->tail, memory_order_relaxed) >=
	    r->size / 16 || atomic_load(&r->user_waiting))
		publish_tail(r);
	return 0;
}

void
frame_ring_end(struct frame_ring *r, int code, const char *msg)
{
	atomic_store(&r->tail, r->r_tail);
	pthread_mutex_lock(&r->mu);
	r->end_code = code;
	str_copy(r->end_msg, msg != NULL ? msg : "", sizeof(r->end_msg));
	atomic_store(&r->ended, 1);
	pthread_cond_signal(&r->more);
	pthread_mutex_unlock(&r->mu);
}

/* The user: gives n bytes back to the reader. */
static void
advance(struct frame_ring *r, size_t n)
{
	r->u_head += n;
	if (r->u_head - atomic_load_explicit(&r->head, memory_order_relaxed) >=
	    r->size / 16 || atomic_load(&r->reader_waiting))
		publish_head(r);
}

int
frame_ring_get(struct frame_ring *r, struct frame *fr, int *dlt,
    uint32_t *input, char *err, size_t errlen)
{
	const struct rec *h;
	size_t off, contig;

	for (;;) {
		if (r->u_head == r->u_tail &&
		    (r->u_tail = atomic_load(&r->tail)) == r->u_head) {
			/* The end is stored after the last tail: seen, the
			 * ring is empty for good once tail is looked at
			 * again. */
			if (atomic_load(&r->ended) &&
			    (r->u_tail = atomic_load(&r->tail)) == r->u_head) {
				str_copy(err, r->end_msg, errlen);
				return r->end_code;
			}
			publish_head(r);
			pthread_mutex_lock(&r->mu);
			atomic_store(&r->user_waiting, 1);
			while (!enough(r, r->u_head))
				pthread_cond_wait(&r->more, &r->mu);
			atomic_store(&r->user_waiting, 0);
			pthread_mutex_unlock(&r->mu);
			continue;
		}
		off = (size_t)(r->u_head % r->size);
		contig = r->size - off;
		h = (const struct rec *)(const void *)(r->buf + off);
		if (contig < REC_HDR || h->size == 0) {
			advance(r, contig);	/* the record is at 0 */
			continue;
		}
		fr->ts_us = h->ts_us;
		fr->data = r->buf + off + REC_HDR;
		fr->caplen = h->caplen;
		fr->wire_len = h->wire_len;
		fr->ifname = NULL;
		fr->link_dir = LINK_UNKNOWN;
		*dlt = h->dlt;
		*input = h->input;
		r->taken = h->size;
		return 1;
	}
}

void
frame_ring_release(struct frame_ring *r)
{
	advance(r, r->taken);
	r->taken = 0;
}

void
frame_ring_stop(struct frame_ring *r)
{
	pthread_mutex_lock(&r->mu);
	atomic_store(&r->stopped, 1);
	pthread_cond_broadcast(&r->room);
	pthread_mutex_unlock(&r->mu);
}
