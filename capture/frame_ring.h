/*
 * frame_ring.h: frames passed from one thread that reads them to one that
 * uses them, through a ring of bytes of a fixed size allocated once. The
 * reader copies each frame in and goes on; the user borrows each frame in
 * place, in order, and releases it when done. Either side waits only when
 * the ring is full or empty, and wakes the other only when that one
 * waits: a frame costs two copies of its bytes and no system call.
 */
#ifndef EGRESSD_FRAME_RING_H
#define EGRESSD_FRAME_RING_H

#include <stddef.h>
#include <stdint.h>

#include "source.h"

struct frame_ring;

/* A ring of bytes bytes; a frame longer than a quarter of it is cut to
 * that (its wire length stays). */
struct frame_ring *frame_ring_new(size_t bytes);
void frame_ring_free(struct frame_ring *r);

/* The reader: copies fr (and its data) in, with its link type and the
 * index of the input it came from; waits for room. Returns 0, or -1 once
 * the user stopped the ring (the frame is not taken). */
int frame_ring_put(struct frame_ring *r, const struct frame *fr, int dlt,
    uint32_t input);
/* The reader has no more frames: code (SOURCE_END, SOURCE_CUT or
 * SOURCE_ERROR) and msg are what the user gets after the last one. */
void frame_ring_end(struct frame_ring *r, int code, const char *msg);

/* The user: the next frame, waiting for one. Returns 1 with *fr, *dlt
 * and *input (fr->data valid until frame_ring_release), or the reader's
 * end code with its message in err once every frame was taken. */
int frame_ring_get(struct frame_ring *r, struct frame *fr, int *dlt,
    uint32_t *input, char *err, size_t errlen);
/* Gives back the frame frame_ring_get returned last. */
void frame_ring_release(struct frame_ring *r);
/* The user wants no more frames: a waiting or later put returns -1. */
void frame_ring_stop(struct frame_ring *r);

#endif
