/*
 * slotpool.h: a fixed number of fixed-size slots, taken and given back in
 * constant time through a free list, for per-flow state that only some
 * flows need for a while (tlsrec.c, sshshape.c). It is allocated once:
 * when every slot is taken, take says so and the caller counts it.
 */
#ifndef EGRESSD_SLOTPOOL_H
#define EGRESSD_SLOTPOOL_H

#include <stddef.h>
#include <stdint.h>

struct slotpool;

/* nslots (at most 65535) slots of size bytes each; NULL when nslots is 0. */
struct slotpool *slotpool_new(size_t nslots, size_t size);
void slotpool_free(struct slotpool *p);

/* Takes a free slot, zeroed, and returns its number (1..nslots), or 0
 * when none is free. */
uint16_t slotpool_take(struct slotpool *p);
/* Gives slot s back; 0, a slot not taken and a NULL pool are ignored. */
void slotpool_give(struct slotpool *p, uint16_t s);
/* The memory of taken slot s, or NULL when s is no taken slot. */
void *slotpool_get(const struct slotpool *p, uint16_t s);

#endif
