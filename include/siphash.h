/*
 * siphash.h: SipHash-2-4, a keyed hash. The flow table hashes 5-tuples with a
 * key drawn at start-up so that nobody sending traffic can choose addresses
 * that all land in one bucket (the reason masscan keys its rstfilter).
 */
#ifndef EGRESSD_SIPHASH_H
#define EGRESSD_SIPHASH_H

#include <stddef.h>
#include <stdint.h>

struct siphash_key {
	uint64_t k0, k1;
};

uint64_t siphash24(const struct siphash_key *key, const void *data, size_t len);

/* Fills key from the kernel's random source; returns 0 or -1. */
int siphash_key_random(struct siphash_key *key);

#endif
