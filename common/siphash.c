/*
 * siphash.c: SipHash-2-4 and SipHash-1-3 after the description by Aumasson
 * and Bernstein, little-endian message words. The two differ only in their
 * round counts (per message word, and at the end); each is written out, so
 * that no loop counter runs around a round. Checked against the paper's
 * vectors (2-4) and the reference implementation's 64 vectors (1-3) in
 * tests/unit/test_common.c.
 */
#include <string.h>
#include <sys/random.h>

#include "siphash.h"

#define ROTL(x, b) (uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))

#define SIPROUND do {							\
	v0 += v1; v1 = ROTL(v1, 13); v1 ^= v0; v0 = ROTL(v0, 32);	\
	v2 += v3; v3 = ROTL(v3, 16); v3 ^= v2;				\
	v0 += v3; v3 = ROTL(v3, 21); v3 ^= v0;				\
	v2 += v1; v1 = ROTL(v1, 17); v1 ^= v2; v2 = ROTL(v2, 32);	\
} while (0)

/* Both helpers are forced inline: called from two functions each, -O2
 * would otherwise make them calls, a fifth of SipHash-1-3's cost. */
#define SIP_INLINE static inline __attribute__((always_inline))

SIP_INLINE uint64_t
load_le64(const uint8_t *p)
{
	return (uint64_t)p[0] | (uint64_t)p[1] << 8 | (uint64_t)p[2] << 16 |
	    (uint64_t)p[3] << 24 | (uint64_t)p[4] << 32 | (uint64_t)p[5] << 40 |
	    (uint64_t)p[6] << 48 | (uint64_t)p[7] << 56;
}

#define SIPINIT(key)							\
	uint64_t v0 = 0x736f6d6570736575ULL ^ (key)->k0;		\
	uint64_t v1 = 0x646f72616e646f6dULL ^ (key)->k1;		\
	uint64_t v2 = 0x6c7967656e657261ULL ^ (key)->k0;		\
	uint64_t v3 = 0x7465646279746573ULL ^ (key)->k1

/* The last block: the bytes after the whole words, and the length in the
 * top byte. */
SIP_INLINE uint64_t
last_block(const uint8_t *in, size_t len)
{
	uint64_t b = (uint64_t)len << 56;
	size_t i = len & ~(size_t)7;

	switch (len & 7) {
	case 7: b |= (uint64_t)in[i + 6] << 48; /* FALLTHROUGH */
	case 6: b |= (uint64_t)in[i + 5] << 40; /* FALLTHROUGH */
	case 5: b |= (uint64_t)in[i + 4] << 32; /* FALLTHROUGH */
	case 4: b |= (uint64_t)in[i + 3] << 24; /* FALLTHROUGH */
	case 3: b |= (uint64_t)in[i + 2] << 16; /* FALLTHROUGH */
	case 2: b |= (uint64_t)in[i + 1] << 8; /* FALLTHROUGH */
	case 1: b |= (uint64_t)in[i]; break;
	default: break;
	}
	return b;
}

uint64_t
siphash24(const struct siphash_key *key, const void *data, size_t len)
{
	const uint8_t *in = data;
	uint64_t m, b = last_block(in, len);
	size_t i;
	SIPINIT(key);

	for (i = 0; i + 8 <= len; i += 8) {
		m = load_le64(in + i);
		v3 ^= m;
		SIPROUND;
		SIPROUND;
		v0 ^= m;
	}
	v3 ^= b;
	SIPROUND;
	SIPROUND;
	v0 ^= b;
	v2 ^= 0xff;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	return v0 ^ v1 ^ v2 ^ v3;
}

uint64_t
siphash13(const struct siphash_key *key, const void *data, size_t len)
{
	const uint8_t *in = data;
	uint64_t m, b = last_block(in, len);
	size_t i;
	SIPINIT(key);

	for (i = 0; i + 8 <= len; i += 8) {
		m = load_le64(in + i);
		v3 ^= m;
		SIPROUND;
		v0 ^= m;
	}
	v3 ^= b;
	SIPROUND;
	v0 ^= b;
	v2 ^= 0xff;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	return v0 ^ v1 ^ v2 ^ v3;
}

int
siphash_key_random(struct siphash_key *key)
{
	uint8_t buf[16];

	if (getrandom(buf, sizeof(buf), 0) != (ssize_t)sizeof(buf))
		return -1;
	memcpy(&key->k0, buf, 8);
	memcpy(&key->k1, buf + 8, 8);
	return 0;
}
