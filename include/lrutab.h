/*
 * lrutab.h: a table of fixed-size entries with a fixed capacity, found by
 * key through a chained hash, kept in least-recently-seen order. Every
 * entry starts with struct lru_ent; its key lies at a fixed offset inside
 * it. All memory is allocated once, at init: when the table is full, a
 * new key takes the oldest entry's place. The caller hashes nothing: the
 * table uses SipHash-1-3 with the caller's key, which must be random
 * (siphash.h says why), so traffic cannot choose collisions.
 */
#ifndef EGRESSD_LRUTAB_H
#define EGRESSD_LRUTAB_H

#include <stddef.h>
#include <stdint.h>

#include "siphash.h"

#define LRUTAB_NIL	UINT32_MAX

/* The header of every entry. */
struct lru_ent {
	uint32_t hnext;		/* next entry in the hash chain */
	uint32_t older, newer;	/* LRU list */
	uint32_t hash;		/* low bits of the key's hash */
	uint64_t seen_us;	/* last time a lookup found or made it */
};

struct lrutab {
	uint8_t *ents;
	size_t esize, keyoff, keylen;
	uint32_t *buckets;
	uint32_t mask;
	uint32_t cap, used;
	uint32_t newest, oldest;
	uint32_t last;		/* the entry a lookup gave last, LRUTAB_NIL */
	uint64_t idle_us;	/* older than this is reusable, not evicted */
};

/* Sets up t for cap entries of esize bytes, each with a key of keylen
 * bytes (a multiple of 4) at keyoff; an entry unseen for more than
 * idle_us is taken without counting an eviction. Returns the bytes
 * allocated. */
size_t lrutab_init(struct lrutab *t, size_t cap, size_t esize, size_t keyoff,
    size_t keylen, uint64_t idle_us);
void lrutab_free(struct lrutab *t);

/*
 * Finds the entry of key and marks it seen at now. When it is missing and
 * create is set, takes a fresh or the oldest entry (adding 1 to *evicted
 * when that one was still in use), zeroes it, copies the key in and sets
 * *fresh; otherwise returns NULL.
 */
void *lrutab_get(struct lrutab *t, const struct siphash_key *hk,
    uint64_t *evicted, const void *key, int create, uint64_t now, int *fresh);

#endif
