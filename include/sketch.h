/*
 * sketch.h: distinct-count sketches, shared by the behaviour detectors,
 * the per-host fleet summaries and the fleet correlator. A sketch is a
 * bitmap of SKETCH_BITS (linear counting): an item sets the bit its hash
 * picks, and n items are estimated from the zero bits left, n = -m ln(z/m).
 * The hash has a fixed key, so the same item sets the same bit in every
 * process: sketches from many hosts merge by OR into the sketch of their
 * union, and a replay gives the same estimates every time.
 */
#ifndef EGRESSD_SKETCH_H
#define EGRESSD_SKETCH_H

#include <stddef.h>
#include <stdint.h>

#define SKETCH_BITS	512
#define SKETCH_WORDS	(SKETCH_BITS / 64)
/* The text form: 16 hex digits per word, word 0 first, and a NUL. */
#define SKETCH_TEXT	(SKETCH_WORDS * 16 + 1)

/* The fixed-key hash of an item, for sketch_bit. */
uint64_t sketch_hash(const void *data, size_t len);

static inline unsigned
sketch_bit(uint64_t h)
{
	return (unsigned)(h & (SKETCH_BITS - 1));
}

static inline int
sketch_has(const uint64_t *s, uint64_t h)
{
	unsigned bit = sketch_bit(h);

	return (s[bit / 64] >> (bit % 64)) & 1;
}

/* Sets h's bit; returns whether it was clear. */
static inline int
sketch_add(uint64_t *s, uint64_t h)
{
	unsigned bit = sketch_bit(h);
	uint64_t m = 1ULL << (bit % 64);

	if (s[bit / 64] & m)
		return 0;
	s[bit / 64] |= m;
	return 1;
}

/* The bits set in s. */
unsigned sketch_bits_set(const uint64_t *s);

/* The distinct items behind bits_set bits, rounded down (up to 31 bits set
 * it equals the bits set, so a few items are never over-counted); a full
 * map reads as one zero left. */
uint64_t sketch_estimate_bits(unsigned bits_set);

/* s as text (SKETCH_TEXT bytes with the NUL), and back: returns 0, or -1
 * when text is not a sketch. */
void sketch_to_text(const uint64_t *s, char out[SKETCH_TEXT]);
int sketch_from_text(const char *text, uint64_t *s);

#endif
