/*
 * siphash.h: SipHash, a keyed hash (a pseudorandom function of its 128-bit
 * key). The flow table and the other per-packet tables hash their keys with
 * a key drawn at start-up so that nobody sending traffic can choose
 * addresses that all land in one bucket (the reason masscan keys its
 * rstfilter).
 *
 * Two variants. siphash24() (2 rounds a message word, 4 at the end) is the
 * one of the paper; it derives what must be the same in every run from
 * fixed keys (flow ids, verdict ids, the behaviour sketches' bits).
 * siphash13() (1 and 3 rounds) is what Rust's HashMap and CPython hash
 * with, for the same reason as here: a table's bucket hash is computed per
 * packet. Its margin against cryptanalysis is smaller than 2-4's, but no
 * practical key recovery, forgery or collision attack on SipHash-1-3 is
 * known, and a sender aiming collisions at a table would need exactly such
 * an attack: the key is random per process, never leaves it and is never
 * printed, and a bucket hash shows outside only through timing. It is used
 * only with such keys, for bucket hashes, whose values reach no output.
 */
#ifndef EGRESSD_SIPHASH_H
#define EGRESSD_SIPHASH_H

#include <stddef.h>
#include <stdint.h>

struct siphash_key {
	uint64_t k0, k1;
};

uint64_t siphash24(const struct siphash_key *key, const void *data, size_t len);
uint64_t siphash13(const struct siphash_key *key, const void *data, size_t len);

/* Fills key from the kernel's random source; returns 0 or -1. */
int siphash_key_random(struct siphash_key *key);

#endif
