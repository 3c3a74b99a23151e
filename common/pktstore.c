/*
 * pktstore.c: the bounded packet store of --evidence-dir (see pktstore.h).
 * A flow's frames are a byte log of records (header, then bytes) written
 * across chunks of one pool, so a 60-byte ACK and a 1514-byte segment cost
 * what they hold and a flow's copy is one walk of its chain. The pool, the
 * flow table and the ring are sized from the one budget at the start; the
 * capture path only moves chunks between free list and chains.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lrutab.h"
#include "pktstore.h"
#include "siphash.h"
#include "util.h"

#define CHUNK		1024		/* bytes of a pool chunk */
#define NIL		UINT32_MAX
#define RING_SNAP	160		/* header bytes a ring slot keeps */
#define RING_MAX	4096		/* slots at most */
#define RECLAIM_TRIES	16		/* oldest flows looked at for room */

struct flow_ent {
	struct lru_ent le;
	struct pktstore_key key;
	uint32_t head, tail;	/* chunk numbers, NIL when none */
	uint32_t tail_used;	/* bytes written in the tail chunk */
	uint32_t npkts;		/* records in the chain */
	uint32_t max_caplen;
	size_t bytes;		/* of the chain's records */
	uint32_t hold_prev, hold_next;	/* the list of flows holding chunks */
	uint8_t old;		/* no longer young: nothing more is kept */
	uint8_t verdicted;	/* a verdict took its frames */
	uint16_t linktype;	/* of the frames in the chain (DLT_) */
};

struct ring_slot {
	uint64_t ts_us;
	uint32_t caplen, wire_len;
	int linktype;
	uint8_t src[16], dst[16];
	uint8_t data[RING_SNAP];
};

struct pktstore {
	unsigned flow_packets;
	struct lrutab tab;
	struct siphash_key hk;
	uint8_t *chunks;	/* nchunks * CHUNK */
	uint32_t *next;		/* a chunk's successor in its chain or list */
	uint32_t nchunks, free_head, nfree;
	/* Flows holding chunks, in the order they took their first: the
	 * ones the pool takes back from, oldest first, in constant time. */
	uint32_t hold_first, hold_last;
	struct ring_slot *ring;
	uint32_t ring_n, ring_pos, ring_used;
	uint64_t kept, cut;
	uint64_t evicted;	/* lrutab's count; the cut ones are counted */
};

struct pktstore *
pktstore_new(const struct pktstore_cfg *cfg, char *err, size_t errlen)
{
	struct pktstore *s;
	size_t ring_bytes, rest, unit, cap, tab_bytes;
	uint32_t i;

	ring_bytes = cfg->mem_bytes / 8;
	if (ring_bytes > RING_MAX * sizeof(struct ring_slot))
		ring_bytes = RING_MAX * sizeof(struct ring_slot);
	rest = cfg->mem_bytes - ring_bytes;
	/* A flow's entry with about one chunk of frames: a bucket of the
	 * hash, rounded up, is counted twice to stay under the budget. */
	unit = sizeof(struct flow_ent) + 2 * sizeof(uint32_t) + CHUNK +
	    sizeof(uint32_t);
	cap = rest / unit;
	if (cfg->max_flows > 0 && cap > cfg->max_flows)
		cap = cfg->max_flows;
	if (ring_bytes < sizeof(struct ring_slot) || cap < 4 ||
	    cfg->flow_packets == 0) {
		snprintf(err, errlen, "evidence_memory %zu bytes: too little "
		    "for the packet store", cfg->mem_bytes);
		return NULL;
	}
	s = xcalloc(1, sizeof(*s));
	s->flow_packets = cfg->flow_packets;
	if (siphash_key_random(&s->hk) == -1) {
		/* The ordering of hash chains only: a fixed key still works. */
		s->hk.k0 = 0x65766964656e6365ULL;
		s->hk.k1 = 0x706b7473746f7265ULL;
	}
	tab_bytes = lrutab_init(&s->tab, cap, sizeof(struct flow_ent),
	    offsetof(struct flow_ent, key), sizeof(struct pktstore_key), 0);
	s->nchunks = tab_bytes < rest ?
	    (uint32_t)((rest - tab_bytes) / (CHUNK + sizeof(uint32_t))) : 0;
	if (s->nchunks > 0) {
		s->chunks = xmalloc((size_t)s->nchunks * CHUNK);
		s->next = xmalloc((size_t)s->nchunks * sizeof(uint32_t));
	}
	for (i = 0; i < s->nchunks; i++)
		s->next[i] = i + 1 < s->nchunks ? i + 1 : NIL;
	s->free_head = s->nchunks > 0 ? 0 : NIL;
	s->nfree = s->nchunks;
	s->hold_first = s->hold_last = NIL;
	s->ring_n = (uint32_t)(ring_bytes / sizeof(struct ring_slot));
	s->ring = xcalloc(s->ring_n, sizeof(struct ring_slot));
	return s;
}

void
pktstore_free(struct pktstore *s)
{
	if (s == NULL)
		return;
	lrutab_free(&s->tab);
	free(s->chunks);
	free(s->next);
	free(s->ring);
	free(s);
}

void
pktstore_key_make(struct pktstore_key *k, const uint8_t a[16],
    uint16_t aport, const uint8_t b[16], uint16_t bport, uint8_t proto,
    uint16_t vlan)
{
	int c = memcmp(a, b, 16);

	memset(k, 0, sizeof(*k));
	if (c < 0 || (c == 0 && aport <= bport)) {
		memcpy(k->lo, a, 16);
		memcpy(k->hi, b, 16);
		k->lo_port = aport;
		k->hi_port = bport;
	} else {
		memcpy(k->lo, b, 16);
		memcpy(k->hi, a, 16);
		k->lo_port = bport;
		k->hi_port = aport;
	}
	k->proto = proto;
	k->vlan = vlan;
}

static struct flow_ent *
ent_at(const struct pktstore *s, uint32_t i)
{
	return (struct flow_ent *)(s->tab.ents + (size_t)i * s->tab.esize);
}

static uint32_t
ent_index(const struct pktstore *s, const struct flow_ent *e)
{
	return (uint32_t)(((const uint8_t *)e - s->tab.ents) / s->tab.esize);
}

static void
hold_push(struct pktstore *s, struct flow_ent *e)
{
	uint32_t i = ent_index(s, e);

	e->hold_prev = s->hold_last;
	e->hold_next = NIL;
	if (s->hold_last != NIL)
		ent_at(s, s->hold_last)->hold_next = i;
	else
		s->hold_first = i;
	s->hold_last = i;
}

static void
hold_unlink(struct pktstore *s, struct flow_ent *e)
{
	if (e->hold_prev != NIL)
		ent_at(s, e->hold_prev)->hold_next = e->hold_next;
	else
		s->hold_first = e->hold_next;
	if (e->hold_next != NIL)
		ent_at(s, e->hold_next)->hold_prev = e->hold_prev;
	else
		s->hold_last = e->hold_prev;
	e->hold_prev = e->hold_next = NIL;
}

/* Gives e's chunks back; when the budget takes them (count_cut), the
 * frames no verdict took are counted cut. A flow the table lets go is
 * the flow table's bound, not the budget's. */
static void
release(struct pktstore *s, struct flow_ent *e, int count_cut)
{
	uint32_t c, n;

	if (e->head == NIL)
		goto out;
	if (count_cut && !e->verdicted)
		s->cut += e->npkts;
	hold_unlink(s, e);
	for (c = e->head; c != NIL; c = n) {
		n = s->next[c];
		s->next[c] = s->free_head;
		s->free_head = c;
		s->nfree++;
	}
	e->head = e->tail = NIL;
	e->tail_used = 0;
	e->npkts = 0;
	e->bytes = 0;
	e->max_caplen = 0;
out:
	/* A flow that lost its first frames keeps no later ones: they
	 * would not be what the verdict rests on. */
	e->old = 1;
}

/* Takes back the chunks of the flows that took theirs first, except
 * keep's, until need chunks are free or RECLAIM_TRIES flows gave theirs:
 * each one looked at holds some, so the work is bounded. */
static void
reclaim(struct pktstore *s, const struct flow_ent *keep, uint32_t need)
{
	uint32_t i = s->hold_first;
	unsigned tries;

	for (tries = 0; tries < RECLAIM_TRIES && i != NIL && s->nfree < need;
	    tries++) {
		struct flow_ent *e = ent_at(s, i);

		i = e->hold_next;
		if (e != keep)
			release(s, e, 1);
	}
}

static uint32_t
chunk_take(struct pktstore *s)
{
	uint32_t c = s->free_head;

	s->free_head = s->next[c];
	s->next[c] = NIL;
	s->nfree--;
	return c;
}

/* Writes n bytes at the end of e's chain; the chunks are there. */
static void
append(struct pktstore *s, struct flow_ent *e, const void *src, size_t n)
{
	const uint8_t *p = src;
	size_t w;
	uint32_t c;

	while (n > 0) {
		if (e->tail == NIL || e->tail_used == CHUNK) {
			c = chunk_take(s);
			if (e->tail == NIL) {
				e->head = c;
				hold_push(s, e);
			} else
				s->next[e->tail] = c;
			e->tail = c;
			e->tail_used = 0;
		}
		w = CHUNK - e->tail_used;
		if (w > n)
			w = n;
		memcpy(s->chunks + (size_t)e->tail * CHUNK + e->tail_used, p, w);
		e->tail_used += (uint32_t)w;
		p += w;
		n -= w;
	}
}

static void
ring_add(struct pktstore *s, const uint8_t src[16], const uint8_t dst[16],
    uint64_t ts_us, const uint8_t *frame, uint32_t caplen, uint32_t wire_len,
    int linktype)
{
	struct ring_slot *r = &s->ring[s->ring_pos];

	r->ts_us = ts_us;
	r->linktype = linktype;
	r->caplen = caplen < RING_SNAP ? caplen : RING_SNAP;
	r->wire_len = wire_len;
	memcpy(r->src, src, 16);
	memcpy(r->dst, dst, 16);
	memcpy(r->data, frame, r->caplen);
	s->ring_pos = (s->ring_pos + 1) % s->ring_n;
	if (s->ring_used < s->ring_n)
		s->ring_used++;
}

static struct flow_ent *
flow_get(struct pktstore *s, const struct pktstore_key *k, uint64_t now,
    int create)
{
	struct flow_ent *e;
	int fresh;

	e = lrutab_get(&s->tab, &s->hk, &s->evicted, k, 0, now, &fresh);
	if (e != NULL || !create)
		return e;
	/* A full table hands its oldest entry to the new flow, zeroed: its
	 * chunks go back first. */
	if (s->tab.used == s->tab.cap)
		release(s, ent_at(s, s->tab.oldest), 0);
	e = lrutab_get(&s->tab, &s->hk, &s->evicted, k, 1, now, &fresh);
	e->head = e->tail = NIL;
	e->hold_prev = e->hold_next = NIL;
	return e;
}

void
pktstore_add(struct pktstore *s, const struct pktstore_key *k,
    const uint8_t src[16], const uint8_t dst[16], uint64_t ts_us,
    const uint8_t *frame, uint32_t caplen, uint32_t wire_len, int linktype)
{
	struct pktstore_rec rec;
	struct flow_ent *e;
	size_t need, room;
	uint32_t nchunks;

	ring_add(s, src, dst, ts_us, frame, caplen, wire_len, linktype);
	e = flow_get(s, k, ts_us, 1);
	if (e->old)
		return;
	/* A flow that goes on in a file of another link type (a replay of
	 * several): its file can hold only the first one's frames. */
	if (e->npkts > 0 && e->linktype != (uint16_t)linktype)
		return;
	need = sizeof(rec) + caplen;
	room = e->tail != NIL ? CHUNK - e->tail_used : 0;
	nchunks = need > room ? (uint32_t)((need - room + CHUNK - 1) / CHUNK) : 0;
	if (nchunks > s->nfree)
		reclaim(s, e, nchunks);
	if (nchunks > s->nfree) {
		s->cut++;
		return;
	}
	rec.ts_us = ts_us;
	rec.caplen = caplen;
	rec.wire_len = wire_len;
	e->linktype = (uint16_t)linktype;
	append(s, e, &rec, sizeof(rec));
	append(s, e, frame, caplen);
	e->npkts++;
	e->bytes += need;
	if (caplen > e->max_caplen)
		e->max_caplen = caplen;
	s->kept++;
	if (e->npkts >= s->flow_packets)
		e->old = 1;
}

static struct pktstore_pkts *
pkts_new(size_t len)
{
	struct pktstore_pkts *p = xmalloc(sizeof(*p) + len);

	p->linktype = -1;
	p->snaplen = 0;
	p->n = 0;
	p->max_caplen = 0;
	p->len = len;
	return p;
}

struct pktstore_pkts *
pktstore_flow(struct pktstore *s, const struct pktstore_key *k)
{
	struct pktstore_pkts *p;
	struct flow_ent *e;
	size_t off = 0, w;
	uint32_t c;

	if ((e = flow_get(s, k, 0, 0)) == NULL)
		return pkts_new(0);
	p = pkts_new(e->bytes);
	for (c = e->head; c != NIL && off < e->bytes; c = s->next[c]) {
		w = e->bytes - off < CHUNK ? e->bytes - off : CHUNK;
		memcpy(p->data + off, s->chunks + (size_t)c * CHUNK, w);
		off += w;
	}
	p->n = e->npkts;
	if (p->n > 0)
		p->linktype = e->linktype;
	p->max_caplen = e->max_caplen;
	e->old = 1;
	e->verdicted = 1;
	return p;
}

static int
ring_match(const struct ring_slot *r, const uint8_t host[16],
    const uint8_t *target)
{
	if (memcmp(r->src, host, 16) == 0)
		return target == NULL || memcmp(r->dst, target, 16) == 0;
	if (memcmp(r->dst, host, 16) == 0)
		return target == NULL || memcmp(r->src, target, 16) == 0;
	return 0;
}

/* The ring's matching slots, oldest first, into pick (room for every
 * slot); returns how many. */
static uint32_t
ring_pick(const struct pktstore *s, const uint8_t host[16],
    const uint8_t *target, uint64_t since_us, uint32_t *pick)
{
	uint32_t i, j, n = 0;

	for (i = 0; i < s->ring_used; i++) {
		j = (s->ring_pos + s->ring_n - s->ring_used + i) % s->ring_n;
		if (s->ring[j].ts_us >= since_us &&
		    ring_match(&s->ring[j], host, target))
			pick[n++] = j;
	}
	return n;
}

struct pktstore_pkts *
pktstore_host(struct pktstore *s, const uint8_t host[16],
    const uint8_t *target, uint64_t since_us, unsigned max)
{
	struct pktstore_pkts *p;
	struct pktstore_rec rec;
	uint32_t *pick, npick, i, first;
	size_t len = 0, off = 0;

	if (max == 0 || s->ring_used == 0)
		return pkts_new(0);
	/* At most the ring's slots: bounded by the budget. */
	pick = xmalloc((size_t)s->ring_used * sizeof(*pick));
	if ((npick = ring_pick(s, host, target, since_us, pick)) == 0)
		npick = ring_pick(s, host, target, 0, pick);
	/* One link type per file: the latest frame's (a replay of several
	 * files of different types). */
	if (npick > 0) {
		int lt = s->ring[pick[npick - 1]].linktype;
		uint32_t keep = 0;

		for (i = 0; i < npick; i++)
			if (s->ring[pick[i]].linktype == lt)
				pick[keep++] = pick[i];
		npick = keep;
	}
	/* The window's start and its end, when it does not fit whole: how
	 * it began and what it came to. */
	if (npick > max) {
		first = max / 2;
		memmove(pick + first, pick + npick - (max - first),
		    (size_t)(max - first) * sizeof(*pick));
		npick = max;
	}
	for (i = 0; i < npick; i++)
		len += sizeof(rec) + s->ring[pick[i]].caplen;
	p = pkts_new(len);
	if (npick > 0)
		p->linktype = s->ring[pick[0]].linktype;
	for (i = 0; i < npick; i++) {
		const struct ring_slot *r = &s->ring[pick[i]];

		rec.ts_us = r->ts_us;
		rec.caplen = r->caplen;
		rec.wire_len = r->wire_len;
		memcpy(p->data + off, &rec, sizeof(rec));
		memcpy(p->data + off + sizeof(rec), r->data, r->caplen);
		off += sizeof(rec) + r->caplen;
		p->n++;
		if (r->caplen > p->max_caplen)
			p->max_caplen = r->caplen;
	}
	free(pick);
	return p;
}

void
pktstore_figures(const struct pktstore *s, struct pktstore_figures *f)
{
	f->kept = s->kept;
	f->cut = s->cut;
}

int
pktstore_pkts_next(const struct pktstore_pkts *p, size_t *off,
    struct pktstore_rec *rec, const uint8_t **bytes)
{
	if (p == NULL || *off + sizeof(*rec) > p->len)
		return 0;
	memcpy(rec, p->data + *off, sizeof(*rec));
	if (rec->caplen > p->len - *off - sizeof(*rec))
		return 0;
	*bytes = p->data + *off + sizeof(*rec);
	*off += sizeof(*rec) + rec->caplen;
	return 1;
}

void
pktstore_pkts_free(struct pktstore_pkts *p)
{
	free(p);
}
