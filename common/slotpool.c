/*
 * slotpool.c: fixed-size slots with a free list (see include/slotpool.h).
 * The links live beside the slots, so a slot's memory is all its user's.
 */
#include <stdlib.h>
#include <string.h>

#include "slotpool.h"
#include "util.h"

struct slotpool {
	uint8_t *mem;
	uint16_t *next;		/* free list link of each slot, slot numbers */
	uint8_t *taken;
	size_t size, n;
	uint16_t free_head;	/* first free slot number, 0 none */
};

struct slotpool *
slotpool_new(size_t nslots, size_t size)
{
	struct slotpool *p;
	size_t i;

	if (nslots == 0)
		return NULL;
	if (nslots > 65535)
		nslots = 65535;
	p = xcalloc(1, sizeof(*p));
	p->mem = xcalloc(nslots, size);
	p->next = xcalloc(nslots, sizeof(*p->next));
	p->taken = xcalloc(nslots, 1);
	p->size = size;
	p->n = nslots;
	for (i = 0; i < nslots; i++)
		p->next[i] = (uint16_t)(i + 2 <= nslots ? i + 2 : 0);
	p->free_head = 1;
	return p;
}

void
slotpool_free(struct slotpool *p)
{
	if (p == NULL)
		return;
	free(p->mem);
	free(p->next);
	free(p->taken);
	free(p);
}

uint16_t
slotpool_take(struct slotpool *p)
{
	uint16_t s;

	if (p == NULL || p->free_head == 0)
		return 0;
	s = p->free_head;
	p->free_head = p->next[s - 1];
	p->taken[s - 1] = 1;
	memset(p->mem + (size_t)(s - 1) * p->size, 0, p->size);
	return s;
}

void
slotpool_give(struct slotpool *p, uint16_t s)
{
	if (p == NULL || s == 0 || s > p->n || !p->taken[s - 1])
		return;
	p->taken[s - 1] = 0;
	p->next[s - 1] = p->free_head;
	p->free_head = s;
}

void *
slotpool_get(const struct slotpool *p, uint16_t s)
{
	if (p == NULL || s == 0 || s > p->n || !p->taken[s - 1])
		return NULL;
	return p->mem + (size_t)(s - 1) * p->size;
}
