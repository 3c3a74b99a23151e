/*
 * suppress.c: the table of suppress.h. An entry keeps the time of the
 * verdict last reported on its triple (last_us), apart from the time the
 * table last looked it up (lru_ent.seen_us): a repeat held back is looked
 * up, which keeps its entry young, but does not start a new window.
 */
#include <stdlib.h>
#include <string.h>

#include "inventory.h"
#include "lrutab.h"
#include "siphash.h"
#include "suppress.h"
#include "util.h"

struct suppress_key {
	uint8_t vm[16];		/* the VM's address or its id's digest */
	uint8_t target[16];
	uint32_t category;
};

struct suppress_ent {
	struct lru_ent lru;
	struct suppress_key key;
	uint64_t last_us;	/* the verdict last reported */
};

/* lrutab compares keys a 4-byte word at a time. */
_Static_assert(sizeof(struct suppress_key) % 4 == 0,
    "the suppression key is whole 4-byte words");

struct suppress {
	struct lrutab tab;
	struct siphash_key key;
	uint64_t evicted;
};

struct suppress *
suppress_new(void)
{
	struct suppress *s = xcalloc(1, sizeof(*s));

	/* The key only spreads the chains: which entry gives way is the
	 * LRU order's choice, so a fixed key changes no answer. */
	if (siphash_key_random(&s->key) == -1) {
		s->key.k0 = 0x7375707072657373ULL;
		s->key.k1 = 5;
	}
	lrutab_init(&s->tab, SUPPRESS_SLOTS, sizeof(struct suppress_ent),
	    offsetof(struct suppress_ent, key), sizeof(struct suppress_key), 0);
	return s;
}

void
suppress_free(struct suppress *s)
{
	if (s == NULL)
		return;
	lrutab_free(&s->tab);
	free(s);
}

/* What names a VM: its address, or with an inventory entry a digest of
 * its VM id. */
static void
vm_key(const struct inventory *inv, const uint8_t *addr, uint8_t out[16])
{
	static const struct siphash_key k0 = { 0x766d6b6579303030ULL, 6 };
	static const struct siphash_key k1 = { 0x766d6b6579303031ULL, 7 };
	const struct inventory_vm *vm;
	uint64_t h[2];

	if (inv == NULL || (vm = inventory_lookup(inv, addr)) == NULL) {
		memcpy(out, addr, 16);
		return;
	}
	h[0] = siphash24(&k0, vm->vm_id, strlen(vm->vm_id));
	h[1] = siphash24(&k1, vm->vm_id, strlen(vm->vm_id));
	memcpy(out, h, 16);
	out[0] |= 0x80;		/* never an IPv4-mapped or common v6 prefix */
}

int
suppress_check(struct suppress *s, const struct inventory *inv,
    const uint8_t vm[16], const uint8_t target[16], enum policy_category cat,
    uint64_t window_us, uint64_t ts_us)
{
	struct suppress_key k;
	struct suppress_ent *e;
	int fresh;

	if (window_us == 0)
		return 0;
	memset(&k, 0, sizeof(k));
	vm_key(inv, vm, k.vm);
	memcpy(k.target, target, 16);
	k.category = (uint32_t)cat;
	if (ts_us == 0)
		ts_us = 1;	/* as the table before lrutab stored it */
	/* suppress_window changes on reload: an entry unseen for longer
	 * than it gives way without counting as an eviction. */
	s->tab.idle_us = window_us;
	e = lrutab_get(&s->tab, &s->key, &s->evicted, &k, 1, ts_us, &fresh);
	if (!fresh && ts_us >= e->last_us && ts_us - e->last_us < window_us)
		return 1;
	e->last_us = ts_us;
	return 0;
}

uint64_t
suppress_evicted(const struct suppress *s)
{
	return s->evicted;
}
