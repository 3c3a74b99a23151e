/*
 * sig_int.h: the signature set's layout, shared by the two files that build
 * and read it and by nothing else: sigparse.c turns rule files into items
 * and rules, sig.c indexes them and matches flows against them (and owns
 * the set's life: new, free, trim). The design of the index is described
 * at the top of sig.c, the rule grammar at the top of sigparse.c.
 *
 * The hash and table probes both files need are static inline here, so the
 * matcher's per-lookup probes are compiled into sig.c as they were before
 * the parser moved out; the functions that grow the index are called from
 * the parser only while loading, never per packet.
 */
#ifndef EGRESSD_SIG_INT_H
#define EGRESSD_SIG_INT_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "sig.h"

#define SIG_HOST_MAX	253
#define SIG_PORT_EXPAND	16	/* widest range hashed port by port */
#define RULE_BLOCK_SHIFT 10
#define RULE_BLOCK	(1u << RULE_BLOCK_SHIFT)
#define NONE		UINT32_MAX
#define SLOT_LIST	0x80000000u	/* sig_slot.item is a list */
#define NO_OFFSET	0xffff

/* Anchor preference order. */
enum sig_kind {
	K_HOST, K_IP, K_NDPI, K_PAYLOAD, K_PORT, K_ASN, K_COUNTRY, K_ALPN,
	K_CERT, K_N
};

/* The first kind anchored in a walked list rather than an index. */
#define K_WALKED	K_ALPN

/* Payload index keys: the class in the high bits, then offset and bytes. */
#define PK_FLOAT2	0x01000000u
#define PK_FLOAT1	0x02000000u
#define PK_PIN2		0x04000000u
#define PK_PIN1		0x08000000u

/* One alternative of one kind of one rule. */
struct sig_item {
	uint32_t rule;		/* index of its rule */
	uint8_t kind;		/* enum sig_kind */
	uint8_t len;		/* host: name length; payload, alpn, cert:
				 * bytes; ip: prefix bits */
	uint16_t a;		/* host: 1 if "*."; payload: pinned offset or
				 * NO_OFFSET; port: first; ndpi: id;
				 * country: two upper-case letters;
				 * alpn: 1 if a prefix (without its '*') */
	union {
		uint8_t addr[16];	/* ip: masked, mapped */
		uint32_t asn;
		uint32_t off;		/* host, payload, alpn, cert (lower
					 * case): bytes in the pool */
		struct {
			uint16_t last;
			uint8_t proto;	/* 6, 17, or 0 for both */
		} port;
	} u;
};

struct rule {
	struct sig_rule pub;	/* first, so the two convert */
	uint32_t item;		/* first of its items; kinds are contiguous */
	uint16_t nitem;
	uint8_t anchor;		/* enum sig_kind it is indexed under */
};

/* A slot of an index: a key and the one item filed under it, or, with
 * SLOT_LIST set, the head of a list of the items filed under it. */
struct sig_slot {
	uint32_t key;		/* the integer itself, or a 32-bit hash */
	uint32_t item;		/* NONE when the slot is empty */
};

struct sig_list {
	uint32_t item;
	uint32_t next;		/* NONE ends the list */
};

/*
 * An index: open addressing with linear probing over distinct keys, at
 * most 3/4 full, so a probe is mostly one cache line; keys holding
 * several items chain them in a side list. Most probes of a lookup miss,
 * so each index also keeps a one-bit-per-key filter of 8 bits per slot,
 * small enough to stay in cache, and skips the slots when the key's bit
 * is clear.
 */
struct sig_tab {
	struct sig_slot *slot;	/* mask + 1 of them; NULL while empty */
	uint8_t *filter;	/* mask + 1 bytes */
	struct sig_list *list;
	uint32_t mask;
	uint32_t nkey;		/* distinct keys */
	uint32_t nitem;		/* items filed */
	uint32_t nlist, caplist;
	int intkeys;		/* keys are integers, mixed before probing */
};

/* The anchor items of a kind too rare to index, walked whole. */
struct sig_walk {
	uint32_t *item;
	uint32_t n, cap;
};

struct text_chunk {
	struct text_chunk *next;
	size_t used, size;
	char data[];
};

struct sigset {
	struct rule **block;	/* rules in blocks of RULE_BLOCK, never moved */
	uint32_t nrule, nblock;
	struct sig_item *item;
	uint32_t nitem, capitem;
	uint8_t *pool;		/* host names (lower case) and payload bytes */
	uint32_t npool, cappool;
	struct text_chunk *text;	/* ids, messages, file names */
	struct sig_tab tab[K_WALKED];	/* anchor indexes */
	struct sig_walk walk[K_N - K_WALKED];	/* alpn, cert anchors */
	struct sig_tab port_wide;	/* wide port ranges by port >> 8 */
	struct sig_tab ids;
	uint32_t ip_len_used[129];	/* anchor prefixes by length */
	uint8_t ip_lens[129];		/* lengths in use, longest first */
	unsigned nip_len;
	uint8_t *pair_seen;		/* bitmap of PK_FLOAT2 keys in use */
	/* by two bytes b0 b1: a floating item may start with them (its
	 * pair, or b0 when it is one byte); NULL when there is none */
	uint8_t *float_seen;
	uint8_t single_seen[32];	/* bitmap of PK_FLOAT1 keys in use */
	uint64_t pinned;		/* bitmap of pinned offsets in use */
	uint32_t nent;		/* anchor index entries, all tables */
};

static inline uint32_t
mix32(uint32_t x)
{
	x ^= x >> 16;
	x *= 0x7feb352dU;
	x ^= x >> 15;
	x *= 0x846ca68bU;
	x ^= x >> 16;
	return x;
}

/*
 * Where keys land depends on the rules, which the operator writes, and not
 * on traffic: traffic only looks keys up in a table that never changes
 * after loading, so no input can lengthen a chain and a keyed hash buys
 * nothing here. This one reads the key 8 bytes at a time.
 */
static inline uint32_t
hash_bytes(const void *p, size_t n)
{
	const uint8_t *b = p;
	uint64_t h = 0x9e3779b97f4a7c15ULL ^ n, w;

	for (; n >= 8; b += 8, n -= 8) {
		memcpy(&w, b, 8);
		h = (h ^ w) * 0xff51afd7ed558ccdULL;
		h ^= h >> 32;
	}
	if (n > 0) {
		w = 0;
		memcpy(&w, b, n);
		h = (h ^ w) * 0xc4ceb9fe1a85ec53ULL;
		h ^= h >> 29;
	}
	h *= 0xff51afd7ed558ccdULL;
	return (uint32_t)(h ^ h >> 32);
}

static inline uint32_t
tab_bucket(const struct sig_tab *t, uint32_t key)
{
	return (t->intkeys ? mix32(key) : key) & t->mask;
}

/* The filter bit of a key: other bits of the hash than the slot's. */
static inline uint32_t
tab_filter_bit(const struct sig_tab *t, uint32_t key)
{
	return mix32(key ^ 0x9e3779b9U) & (t->mask * 8 + 7);
}

/* The slot of key, or the empty slot where it would go. */
static inline struct sig_slot *
tab_slot(const struct sig_tab *t, uint32_t key)
{
	uint32_t b = tab_bucket(t, key);

	while (t->slot[b].item != NONE && t->slot[b].key != key)
		b = (b + 1) & t->mask;
	return &t->slot[b];
}

/*
 * The first item filed under key, or NONE; tab_more() gives the others.
 * Two keys of one 32-bit hash share a slot, so callers compare the item.
 */
static inline uint32_t
tab_find(const struct sig_tab *t, uint32_t key, uint32_t *cursor)
{
	const struct sig_slot *sl;
	uint32_t bit;

	*cursor = NONE;
	if (t->slot == NULL)
		return NONE;
	bit = tab_filter_bit(t, key);
	if ((t->filter[bit >> 3] & (1u << (bit & 7))) == 0)
		return NONE;
	sl = tab_slot(t, key);
	if (sl->item == NONE || (sl->item & SLOT_LIST) == 0)
		return sl->item;
	*cursor = t->list[sl->item & ~SLOT_LIST].next;
	return t->list[sl->item & ~SLOT_LIST].item;
}

static inline uint32_t
tab_more(const struct sig_tab *t, uint32_t *cursor)
{
	uint32_t i = *cursor;

	if (i == NONE)
		return NONE;
	*cursor = t->list[i].next;
	return t->list[i].item;
}

static inline struct rule *
rule_at(const struct sigset *s, uint32_t i)
{
	return &s->block[i >> RULE_BLOCK_SHIFT][i & (RULE_BLOCK - 1)];
}

/* Index building (sig.c), used by the parser while a file loads. */
void sig_tab_insert(struct sig_tab *t, uint32_t key, uint32_t item);
/* Returns a NUL-terminated copy of p[0..n) that lives as long as s. */
const char *sigset_text_add(struct sigset *s, const char *p, size_t n);
/* Files item idx, an anchor item of a rule just added, in its index. */
void sigset_index_item(struct sigset *s, uint32_t idx);
/* Gives back the slack of the growing arrays once a file is in. */
void sigset_trim(struct sigset *s);

#endif
