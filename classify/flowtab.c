/*
 * flowtab.c: chained hash of pooled flow records with per-timeout-class LRU
 * lists. See flowtab.h for the design.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "flowtab.h"
#include "siphash.h"
#include "util.h"

#define TH_FIN	0x01
#define TH_SYN	0x02
#define TH_RST	0x04
#define TH_ACK	0x10

struct lru {
	struct flow *head;	/* most recently seen */
	struct flow *tail;	/* least recently seen */
};

/* A record's place in its hash chain, kept apart from the record: a
 * chain is walked by hash without loading the records (8 bytes a flow
 * against 240), and only a record whose hash matches is compared. */
struct flow_link {
	uint32_t hnext;		/* next in the chain, or in the free list */
	uint32_t hash;		/* of the record's key */
};

struct flowtab {
	struct flowtab_cfg cfg;
	struct siphash_key hkey;
	uint32_t *buckets;	/* pool index + 1, 0 empty */
	size_t mask;		/* bucket count - 1 */
	struct flow *pool;	/* max_flows records */
	struct flow_link *links;	/* max_flows, beside pool */
	size_t pool_used;	/* records handed out at least once */
	uint32_t last;		/* the flow the last packet found, 0 none */
	uint32_t free;		/* records returned, linked through hnext */
	struct lru lru[FLOW_TC_N];
	uint64_t now_us;	/* latest packet time seen */
	/* Never later than the earliest time a list's tail times out:
	 * until now_us passes it, no flow can have. Lowered whenever a list
	 * gets another tail, made exact by each look at the tails. */
	uint64_t deadline;
	struct flowtab_stats st;
};

static const char *const end_names[FLOW_END_N] = {
	"fin", "rst", "timeout", "evicted", "end_of_input",
};

const char *
flow_end_name(enum flow_end e)
{
	return (unsigned)e < FLOW_END_N ? end_names[e] : "?";
}

struct flowtab *
flowtab_new(const struct flowtab_cfg *cfg, char *err, size_t errlen)
{
	struct flowtab *ft;
	size_t nb = 1;

	if (cfg->max_flows < 1) {
		snprintf(err, errlen, "max_flows must be at least 1");
		return NULL;
	}
	ft = xcalloc(1, sizeof(*ft));
	ft->cfg = *cfg;
	if (!cfg->fixed_seed && siphash_key_random(&ft->hkey) == -1) {
		snprintf(err, errlen, "cannot read random bytes for the flow hash key");
		free(ft);
		return NULL;
	}
	while (nb < (size_t)cfg->max_flows)
		nb <<= 1;
	ft->buckets = xcalloc_table(nb, sizeof(*ft->buckets));
	ft->mask = nb - 1;
	/* Records are handed out in order before any is reused, so the pages
	 * of a large pool stay untouched (and out of RSS) until needed. */
	ft->pool = xcalloc_table((size_t)cfg->max_flows, sizeof(*ft->pool));
	ft->links = xcalloc_table((size_t)cfg->max_flows, sizeof(*ft->links));
	return ft;
}

void
flowtab_free(struct flowtab *ft)
{
	if (ft == NULL)
		return;
	xfree_table(ft->buckets, ft->mask + 1, sizeof(*ft->buckets));
	xfree_table(ft->pool, (size_t)ft->cfg.max_flows, sizeof(*ft->pool));
	xfree_table(ft->links, (size_t)ft->cfg.max_flows, sizeof(*ft->links));
	free(ft);
}

static struct flow *
at(const struct flowtab *ft, uint32_t i)
{
	return i != 0 ? &ft->pool[i - 1] : NULL;
}

static uint32_t
ix(const struct flowtab *ft, const struct flow *f)
{
	return f != NULL ? (uint32_t)(f - ft->pool) + 1 : 0;
}

/* Keeps ft->deadline no later than when t, a list's new tail, times out
 * (a packet time earlier than its flow's others can make a tail time out
 * before the tail it follows). */
static void
new_tail(struct flowtab *ft, const struct flow *t)
{
	uint64_t d = t->last_us + ft->cfg.timeout_us[t->tclass];

	if (d < ft->deadline)
		ft->deadline = d;
}

static void
lru_unlink(struct flowtab *ft, struct flow *f)
{
	struct lru *l = &ft->lru[f->tclass];

	if (f->prev != 0)
		at(ft, f->prev)->next = f->next;
	else
		l->head = at(ft, f->next);
	if (f->next != 0)
		at(ft, f->next)->prev = f->prev;
	else if ((l->tail = at(ft, f->prev)) != NULL)
		new_tail(ft, l->tail);
	f->prev = f->next = 0;
}

static void
lru_push(struct flowtab *ft, struct flow *f)
{
	struct lru *l = &ft->lru[f->tclass];

	f->prev = 0;
	f->next = ix(ft, l->head);
	if (l->head != NULL)
		l->head->prev = ix(ft, f);
	l->head = f;
	if (l->tail == NULL) {
		l->tail = f;
		new_tail(ft, f);
	}
}

static struct flow_link *
link_of(const struct flowtab *ft, uint32_t i)
{
	return &ft->links[i - 1];
}

static uint32_t
hash_of(const struct flowtab *ft, const struct flow_key *k)
{
	return (uint32_t)siphash13(&ft->hkey, k, sizeof(*k));
}

/* Ends a flow: the callback sees it whole, then it returns to the pool
 * (flow_start clears it when it is reused). */
static void
flow_end(struct flowtab *ft, struct flow *f, enum flow_end why)
{
	uint32_t *pp, me = ix(ft, f);
	struct flow_link *l = link_of(ft, me);

	if (ft->cfg.on_end != NULL)
		ft->cfg.on_end(f, why, ft->cfg.arg);
	ft->st.ended[why]++;
	ft->st.active--;
	lru_unlink(ft, f);
	if (ft->last == me)
		ft->last = 0;
	for (pp = &ft->buckets[l->hash & ft->mask]; *pp != 0;
	    pp = &link_of(ft, *pp)->hnext) {
		if (*pp == me) {
			*pp = l->hnext;
			break;
		}
	}
	l->hnext = ft->free;
	ft->free = me;
}

/* The reason a closing flow gives, or timeout for an idle one. */
static enum flow_end
expiry_reason(const struct flow *f)
{
	return f->tclass == FLOW_TC_TCP_CLOSED ? (enum flow_end)f->end_reason :
	    FLOW_END_TIMEOUT;
}

void
flowtab_expire(struct flowtab *ft, uint64_t now_us)
{
	uint64_t d, soonest = UINT64_MAX;
	int tc;

	if (now_us > ft->now_us)
		ft->now_us = now_us;
	if (ft->now_us <= ft->deadline)
		return;		/* no tail has timed out */
	for (tc = 0; tc < FLOW_TC_N; tc++) {
		struct flow *f;

		while ((f = ft->lru[tc].tail) != NULL &&
		    f->last_us + ft->cfg.timeout_us[tc] < ft->now_us)
			flow_end(ft, f, expiry_reason(f));
		if (f != NULL && (d = f->last_us + ft->cfg.timeout_us[tc]) <
		    soonest)
			soonest = d;
	}
	ft->deadline = soonest;
}

void
flowtab_flush(struct flowtab *ft)
{
	int tc;

	for (tc = 0; tc < FLOW_TC_N; tc++) {
		struct flow *f;

		/* Oldest first, so flow events come out in a stable order. */
		while ((f = ft->lru[tc].tail) != NULL)
			flow_end(ft, f, f->tclass == FLOW_TC_TCP_CLOSED ?
			    (enum flow_end)f->end_reason : FLOW_END_INPUT);
	}
}

static void
evict_oldest(struct flowtab *ft)
{
	struct flow *victim = NULL;
	int tc;

	for (tc = 0; tc < FLOW_TC_N; tc++) {
		struct flow *t = ft->lru[tc].tail;

		if (t != NULL && (victim == NULL || t->last_us < victim->last_us))
			victim = t;
	}
	if (victim != NULL)
		flow_end(ft, victim, FLOW_END_EVICTED);
}

/* memcmp's order of two 16-byte addresses, without a call. */
static int
addr_cmp(const uint8_t *x, const uint8_t *y)
{
	uint64_t u, v;
	int i;

	for (i = 0; i < 16; i += 8) {
		memcpy(&u, x + i, 8);
		memcpy(&v, y + i, 8);
		if (u != v) {
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
			u = __builtin_bswap64(u);
			v = __builtin_bswap64(v);
#endif
			return u < v ? -1 : 1;
		}
	}
	return 0;
}

static void
make_key(const struct pkt *p, struct flow_key *k, int *p_is_a)
{
	int c = addr_cmp(p->src, p->dst);

	memset(k, 0, sizeof(*k));
	if (c < 0 || (c == 0 && p->sport <= p->dport)) {
		memcpy(k->a, p->src, 16);
		memcpy(k->b, p->dst, 16);
		k->aport = p->sport;
		k->bport = p->dport;
		*p_is_a = 1;
	} else {
		memcpy(k->a, p->dst, 16);
		memcpy(k->b, p->src, 16);
		k->aport = p->dport;
		k->bport = p->sport;
		*p_is_a = 0;
	}
	k->vlan = p->vlan;
	k->proto = p->proto;
}

static uint64_t
flow_id_of(const struct flow_key *k, uint64_t first_us)
{
	/* A fixed key, unlike the table's: flow_id must be the same in every
	 * replay of a capture. 53 bits keep it exact in JSON readers that
	 * hold numbers as doubles. */
	static const struct siphash_key idkey = { 0x65677265737364ULL, 0x666c6f775f6964ULL };
	struct {
		struct flow_key k;
		uint64_t t;
	} in;
	uint64_t id;

	memset(&in, 0, sizeof(in));
	in.k = *k;
	in.t = first_us;
	id = siphash24(&idkey, &in, sizeof(in)) & ((1ULL << 53) - 1);
	return id != 0 ? id : 1;
}

uint64_t
flow_id(const struct flow *f)
{
	return flow_id_of(&f->key, f->first_us);
}

static enum flow_tclass
open_tclass(uint8_t proto)
{
	switch (proto) {
	case 6:
		return FLOW_TC_TCP;
	case 17:
		return FLOW_TC_UDP;
	}
	return FLOW_TC_OTHER;
}

static struct flow *
flow_start(struct flowtab *ft, const struct flow_key *k, uint32_t h,
    const struct pkt *p, int p_is_a)
{
	struct flow_link *l;
	struct flow *f;
	size_t b;

	if (ft->free == 0 && ft->pool_used < (size_t)ft->cfg.max_flows) {
		f = &ft->pool[ft->pool_used++];
	} else {
		if (ft->free == 0)
			evict_oldest(ft);
		f = at(ft, ft->free);
		ft->free = link_of(ft, ft->free)->hnext;
	}
	memset(f, 0, sizeof(*f));
	f->key = *k;
	f->first_us = f->last_us = p->ts_us;
	f->src_is_a = (uint8_t)p_is_a;
	/* A SYN-ACK first means we missed the SYN: its receiver opened. */
	if (p->proto == 6 && (p->tcp_flags & (TH_SYN | TH_ACK)) == (TH_SYN | TH_ACK))
		f->src_is_a = (uint8_t)!p_is_a;
	f->tclass = (uint8_t)open_tclass(p->proto);
	f->icmp_type = p->icmp_type;
	f->icmp_code = p->icmp_code;
	l = link_of(ft, ix(ft, f));
	l->hash = h;
	b = h & ft->mask;
	l->hnext = ft->buckets[b];
	ft->buckets[b] = ix(ft, f);
	lru_push(ft, f);
	ft->st.created++;
	ft->st.active++;
	return f;
}

static void
tcp_track(struct flowtab *ft, struct flow *f, const struct pkt *p, int dir)
{
	enum flow_end why;

	if (f->tclass == FLOW_TC_TCP_CLOSED)
		return;
	if (p->tcp_flags & TH_RST) {
		why = FLOW_END_RST;
	} else if (p->tcp_flags & TH_FIN) {
		f->fin_seen |= (uint8_t)(1 << dir);
		if (f->fin_seen != 3)
			return;
		why = FLOW_END_FIN;
	} else {
		return;
	}
	lru_unlink(ft, f);
	f->tclass = FLOW_TC_TCP_CLOSED;
	f->end_reason = (uint8_t)why;
	lru_push(ft, f);
}

struct flow *
flowtab_packet(struct flowtab *ft, const struct pkt *p, int *dir)
{
	struct flow_key k;
	struct flow *f = NULL;
	uint32_t h = 0, i;
	int p_is_a, hashed = 0;

	flowtab_expire(ft, p->ts_us);
	make_key(p, &k, &p_is_a);
	/* Packets come in runs of one flow: the last flow found is tried
	 * before hashing. */
	if (ft->last != 0 && memcmp(&at(ft, ft->last)->key, &k, sizeof(k)) == 0) {
		f = at(ft, ft->last);
	} else {
		h = hash_of(ft, &k);
		hashed = 1;
		for (i = ft->buckets[h & ft->mask]; i != 0;
		    i = link_of(ft, i)->hnext) {
			if (link_of(ft, i)->hash == h &&
			    memcmp(&at(ft, i)->key, &k, sizeof(k)) == 0) {
				f = at(ft, i);
				break;
			}
		}
	}
	/* A new SYN on a closed flow starts the next connection. */
	if (f != NULL && f->tclass == FLOW_TC_TCP_CLOSED &&
	    (p->tcp_flags & (TH_SYN | TH_ACK)) == TH_SYN) {
		flow_end(ft, f, (enum flow_end)f->end_reason);
		f = NULL;
	}
	if (f == NULL) {
		if (!hashed)		/* the closed flow was the last */
			h = hash_of(ft, &k);
		f = flow_start(ft, &k, h, p, p_is_a);
	}
	ft->last = ix(ft, f);
	*dir = f->src_is_a == p_is_a ? 0 : 1;
	f->pkts[*dir]++;
	f->bytes[*dir] += p->wire_len;
	if (p->ts_us > f->last_us)
		f->last_us = p->ts_us;
	/* Most packets follow one of their own flow: it is at the head
	 * already, and its neighbours need not be touched. */
	if (ft->lru[f->tclass].head != f) {
		lru_unlink(ft, f);
		lru_push(ft, f);
	}
	if (p->proto == 6)
		tcp_track(ft, f, p, *dir);
	return f;
}

void
flowtab_foreach(struct flowtab *ft, void (*fn)(struct flow *, void *),
    void *arg)
{
	struct flow *f, *next;
	int tc;

	for (tc = 0; tc < FLOW_TC_N; tc++) {
		for (f = ft->lru[tc].head; f != NULL; f = next) {
			next = at(ft, f->next);
			fn(f, arg);
		}
	}
}

void
flowtab_stats(const struct flowtab *ft, struct flowtab_stats *st)
{
	*st = ft->st;
}
