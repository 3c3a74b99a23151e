/*
 * lrutab.c: the bounded LRU table of lrutab.h.
 */
#include <stdlib.h>
#include <string.h>

#include "lrutab.h"
#include "util.h"

static struct lru_ent *
tab_ent(const struct lrutab *t, uint32_t i)
{
	return (struct lru_ent *)(void *)(t->ents + (size_t)i * t->esize);
}

static const void *
tab_key(const struct lrutab *t, const struct lru_ent *e)
{
	return (const uint8_t *)e + t->keyoff;
}

size_t
lrutab_init(struct lrutab *t, size_t cap, size_t esize, size_t keyoff,
    size_t keylen, uint64_t idle_us)
{
	uint32_t nb, i;

	nb = 1;
	while (nb < cap)
		nb <<= 1;
	t->esize = esize;
	t->keyoff = keyoff;
	t->keylen = keylen;
	t->cap = (uint32_t)cap;
	t->used = 0;
	t->mask = nb - 1;
	t->newest = t->oldest = t->last = LRUTAB_NIL;
	t->idle_us = idle_us;
	t->ents = xcalloc_table(cap, esize);
	t->buckets = xmalloc((size_t)nb * sizeof(*t->buckets));
	for (i = 0; i < nb; i++)
		t->buckets[i] = LRUTAB_NIL;
	return cap * esize + (size_t)nb * sizeof(*t->buckets);
}

void
lrutab_free(struct lrutab *t)
{
	xfree_table(t->ents, t->cap, t->esize);
	free(t->buckets);
}

static void
lru_unlink(struct lrutab *t, uint32_t i)
{
	struct lru_ent *e = tab_ent(t, i);

	if (e->older != LRUTAB_NIL)
		tab_ent(t, e->older)->newer = e->newer;
	else
		t->oldest = e->newer;
	if (e->newer != LRUTAB_NIL)
		tab_ent(t, e->newer)->older = e->older;
	else
		t->newest = e->older;
}

static void
lru_push(struct lrutab *t, uint32_t i)
{
	struct lru_ent *e = tab_ent(t, i);

	e->newer = LRUTAB_NIL;
	e->older = t->newest;
	if (t->newest != LRUTAB_NIL)
		tab_ent(t, t->newest)->newer = i;
	t->newest = i;
	if (t->oldest == LRUTAB_NIL)
		t->oldest = i;
}

static void
chain_remove(struct lrutab *t, uint32_t i)
{
	struct lru_ent *e = tab_ent(t, i);
	uint32_t *link = &t->buckets[e->hash & t->mask];

	while (*link != LRUTAB_NIL) {
		if (*link == i) {
			*link = e->hnext;
			return;
		}
		link = &tab_ent(t, *link)->hnext;
	}
}

/* Keys are a multiple of 4 bytes long; compared inline, not by a call. */
static int
key_eq(const void *a, const void *b, size_t n)
{
	const uint8_t *x = a, *y = b;
	uint64_t u, v;
	uint32_t s, t;

	for (; n >= 8; x += 8, y += 8, n -= 8) {
		memcpy(&u, x, 8);
		memcpy(&v, y, 8);
		if (u != v)
			return 0;
	}
	if (n >= 4) {
		memcpy(&s, x, 4);
		memcpy(&t, y, 4);
		if (s != t)
			return 0;
	}
	return 1;
}

void *
lrutab_get(struct lrutab *t, const struct siphash_key *hk, uint64_t *evicted,
    const void *key, int create, uint64_t now, int *fresh)
{
	struct lru_ent *e;
	uint32_t h, i;

	*fresh = 0;
	/* A conversation's packets come in runs: the entry of the last
	 * lookup is tried first, before hashing. Keys are unique among the
	 * entries, so a match is the entry whatever happened since. */
	if (t->last != LRUTAB_NIL) {
		i = t->last;
		e = tab_ent(t, i);
		if (key_eq(tab_key(t, e), key, t->keylen))
			goto found;
	}
	h = (uint32_t)siphash13(hk, key, t->keylen);
	for (i = t->buckets[h & t->mask]; i != LRUTAB_NIL; i = e->hnext) {
		e = tab_ent(t, i);
		if (e->hash == h && key_eq(tab_key(t, e), key, t->keylen))
			goto found;
	}
	if (!create)
		return NULL;
	if (t->used < t->cap)
		i = t->used++;
	else {
		i = t->oldest;
		e = tab_ent(t, i);
		if (now < e->seen_us || now - e->seen_us <= t->idle_us)
			(*evicted)++;
		chain_remove(t, i);
		lru_unlink(t, i);
	}
	e = tab_ent(t, i);
	memset(e, 0, t->esize);
	memcpy((uint8_t *)e + t->keyoff, key, t->keylen);
	e->hash = h;
	e->hnext = t->buckets[h & t->mask];
	t->buckets[h & t->mask] = i;
	lru_push(t, i);
	*fresh = 1;
	e->seen_us = now;
	t->last = i;
	return e;
found:
	t->last = i;
	if (t->newest != i) {
		lru_unlink(t, i);
		lru_push(t, i);
	}
	if (now > e->seen_us)
		e->seen_us = now;
	return e;
}
