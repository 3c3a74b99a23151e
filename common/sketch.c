/*
 * sketch.c: the sketch hash, estimate and text form (see sketch.h).
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "siphash.h"
#include "sketch.h"

static const struct siphash_key sketch_key = {
	0x736b65746368206bULL, 0x6567726573736421ULL
};

uint64_t
sketch_hash(const void *data, size_t len)
{
	return siphash24(&sketch_key, data, len);
}

unsigned
sketch_bits_set(const uint64_t *s)
{
	unsigned i, n = 0;
	uint64_t w;

	for (i = 0; i < SKETCH_WORDS; i++)
		for (w = s[i]; w != 0; w &= w - 1)
			n++;
	return n;
}

uint64_t
sketch_estimate_bits(unsigned bits_set)
{
	double zeros;

	if (bits_set > SKETCH_BITS)
		bits_set = SKETCH_BITS;
	zeros = bits_set < SKETCH_BITS ? SKETCH_BITS - bits_set : 1;
	return (uint64_t)(-(double)SKETCH_BITS * log(zeros / SKETCH_BITS));
}

void
sketch_to_text(const uint64_t *s, char out[SKETCH_TEXT])
{
	unsigned i;

	for (i = 0; i < SKETCH_WORDS; i++)
		snprintf(out + i * 16, 17, "%016llx", (unsigned long long)s[i]);
}

int
sketch_from_text(const char *text, uint64_t *s)
{
	unsigned i, j;
	uint64_t w;

	if (text == NULL || strlen(text) != SKETCH_TEXT - 1)
		return -1;
	for (i = 0; i < SKETCH_WORDS; i++) {
		for (w = 0, j = 0; j < 16; j++) {
			char c = text[i * 16 + j];
			unsigned d;

			if (c >= '0' && c <= '9')
				d = (unsigned)(c - '0');
			else if (c >= 'a' && c <= 'f')
				d = (unsigned)(c - 'a' + 10);
			else
				return -1;
			w = w << 4 | d;
		}
		s[i] = w;
	}
	return 0;
}
