/*
 * sig.c: the signature engine's index and matcher. The rules that
 * sigparse.c reads (the rule grammar is described once, at the top of
 * sigparse.c) sit in one flat store (rules, their match items, a byte pool
 * for names and payloads), and every rule is indexed under one anchor
 * kind, so a lookup costs a few hash probes however many rules are loaded.
 * This file also owns the set's life (sigset_new, sigset_free) and the
 * index's growth while rules load (sigset_index_item, sigset_trim).
 *
 * DESIGN
 *
 * Each rule is indexed under the first kind it has in the order host, ip,
 * ndpi, payload, port, asn, country, alpn, cert: hosts in a hash of names
 * (a "*.D" pattern is stored under D and found by probing every
 * label-boundary suffix of the fact), addresses in one hash keyed by
 * (prefix length, masked address) probed once per prefix length in use,
 * ndpi ids, ASNs and countries in integer hashes, ports in an integer
 * hash port by port for ranges of up to 16 ports and by 256-port block
 * for wider ones, payload items by their first two bytes (or one, for
 * one-byte items) and, when pinned, their offset. Rules anchored on alpn
 * or cert go into one plain list per kind, walked whole only when the
 * fact is known: rules with nothing better to anchor on are few, and the
 * facts arrive once per TLS flow, so a hash would buy nothing. A
 * candidate is reported only from the first of its rule's anchor items
 * that holds, so a rule reached several ways fires once per lookup
 * without any per-lookup memory.
 */
#include <stdlib.h>
#include <string.h>

#include "sig.h"
#include "sig_int.h"
#include "util.h"

#define SIG_FLOAT_LAST	32	/* last start offset of an unpinned item */
#define TEXT_CHUNK	65536

/* What a lookup knows, normalised once. */
struct lookup {
	const struct sigset *s;
	const struct sig_facts *f;
	char host[SIG_HOST_MAX + 2];
	size_t hostlen;		/* 0 when the name is unknown or unusable */
	uint16_t country;	/* 0 when unknown */
	void (*fn)(const struct sig_rule *, void *);
	void *arg;
	size_t n;
};

static void
tab_grow(struct sig_tab *t)
{
	struct sig_slot *old = t->slot, *to;
	uint32_t n = old == NULL ? 0 : t->mask + 1, nb = n == 0 ? 16 : n * 2;
	uint32_t i, bit;

	t->slot = xreallocarray(NULL, nb, sizeof(*t->slot));
	for (i = 0; i < nb; i++)
		t->slot[i].item = NONE;
	t->filter = xreallocarray(t->filter, nb, 1);
	memset(t->filter, 0, nb);
	t->mask = nb - 1;
	for (i = 0; i < n; i++) {
		if (old[i].item == NONE)
			continue;
		to = tab_slot(t, old[i].key);
		*to = old[i];
		bit = tab_filter_bit(t, old[i].key);
		t->filter[bit >> 3] |= (uint8_t)(1u << (bit & 7));
	}
	free(old);
}

static uint32_t
tab_list_add(struct sig_tab *t, uint32_t item, uint32_t next)
{
	if (t->nlist == t->caplist) {
		t->caplist = t->caplist ? t->caplist * 2 : 8;
		t->list = xreallocarray(t->list, t->caplist, sizeof(*t->list));
	}
	t->list[t->nlist].item = item;
	t->list[t->nlist].next = next;
	return t->nlist++;
}

void
sig_tab_insert(struct sig_tab *t, uint32_t key, uint32_t item)
{
	struct sig_slot *sl;
	uint32_t bit;

	if (t->slot == NULL || (t->nkey + 1) * 4 > (t->mask + 1) * 3)
		tab_grow(t);
	sl = tab_slot(t, key);
	if (sl->item == NONE) {
		sl->key = key;
		sl->item = item;
		t->nkey++;
		bit = tab_filter_bit(t, key);
		t->filter[bit >> 3] |= (uint8_t)(1u << (bit & 7));
	} else if (sl->item & SLOT_LIST) {
		sl->item = SLOT_LIST |
		    tab_list_add(t, item, sl->item & ~SLOT_LIST);
	} else {
		bit = tab_list_add(t, sl->item, NONE);
		sl->item = SLOT_LIST | tab_list_add(t, item, bit);
	}
	t->nitem++;
}

static void
tab_trim(struct sig_tab *t)
{
	if (t->nlist > 0 && t->nlist < t->caplist) {
		t->list = xreallocarray(t->list, t->nlist, sizeof(*t->list));
		t->caplist = t->nlist;
	}
}

static void
tab_free(struct sig_tab *t)
{
	free(t->slot);
	free(t->filter);
	free(t->list);
}

/* Returns a NUL-terminated copy of p[0..n) that lives as long as s. */
const char *
sigset_text_add(struct sigset *s, const char *p, size_t n)
{
	struct text_chunk *c = s->text;
	char *out;

	if (c == NULL || c->size - c->used < n + 1) {
		size_t size = n + 1 > TEXT_CHUNK ? n + 1 : TEXT_CHUNK;

		c = xmalloc(sizeof(*c) + size);
		c->size = size;
		c->used = 0;
		c->next = s->text;
		s->text = c;
	}
	out = c->data + c->used;
	memcpy(out, p, n);
	out[n] = '\0';
	c->used += n + 1;
	return out;
}

struct sigset *
sigset_new(void)
{
	struct sigset *s = xcalloc(1, sizeof(*s));
	int k;

	for (k = 0; k < K_WALKED; k++)
		s->tab[k].intkeys = k != K_HOST && k != K_IP;
	s->port_wide.intkeys = 1;
	return s;
}

void
sigset_free(struct sigset *s)
{
	struct text_chunk *c, *next;
	uint32_t i;
	int k;

	if (s == NULL)
		return;
	for (i = 0; i < s->nblock; i++)
		free(s->block[i]);
	free(s->block);
	free(s->item);
	free(s->pool);
	for (c = s->text; c != NULL; c = next) {
		next = c->next;
		free(c);
	}
	for (k = 0; k < K_WALKED; k++)
		tab_free(&s->tab[k]);
	for (k = 0; k < K_N - K_WALKED; k++)
		free(s->walk[k].item);
	tab_free(&s->port_wide);
	tab_free(&s->ids);
	free(s->pair_seen);
	free(s->float_seen);
	free(s);
}

size_t
sigset_count(const struct sigset *s)
{
	return s->nrule;
}

const struct sig_rule *
sigset_rule(const struct sigset *s, uint32_t index)
{
	if (index >= s->nrule)
		return NULL;
	return &rule_at(s, index)->pub;
}

/*
 * Matching.
 */

static int
prefix_holds(const uint8_t *net, unsigned bits, const uint8_t *addr)
{
	unsigned full = bits / 8, rest = bits % 8;

	if (memcmp(net, addr, full) != 0)
		return 0;
	if (rest == 0)
		return 1;
	return ((net[full] ^ addr[full]) & (uint8_t)(0xff00 >> rest)) == 0;
}

/* The first offset where a payload item holds, or -1. */
static int
payload_at(const struct lookup *L, const struct sig_item *it)
{
	const struct sig_facts *f = L->f;
	const uint8_t *pat = L->s->pool + it->u.off;
	const uint8_t *hit;
	size_t window;

	if (f->payload == NULL)
		return -1;
	if (it->a != NO_OFFSET) {
		if ((size_t)it->a + it->len > f->payload_len ||
		    memcmp(f->payload + it->a, pat, it->len) != 0)
			return -1;
		return it->a;
	}
	window = f->payload_len < SIG_FLOAT_LAST + (size_t)it->len ?
	    f->payload_len : SIG_FLOAT_LAST + (size_t)it->len;
	hit = memmem(f->payload, window, pat, it->len);
	return hit == NULL ? -1 : (int)(hit - f->payload);
}

/* An alpn item equals, or as a prefix starts, one entry of the list. */
static int
alpn_holds(const char *list, const uint8_t *pat, size_t n, int prefix)
{
	const char *p = list, *end;
	size_t len;

	for (;;) {
		end = strchr(p, ',');
		len = end == NULL ? strlen(p) : (size_t)(end - p);
		if ((len == n || (prefix && len > n)) && memcmp(p, pat, n) == 0)
			return 1;
		if (end == NULL)
			return 0;
		p = end + 1;
	}
}

/* pat (n bytes, lower case) occurs in text, ASCII case ignored. */
static int
text_has(const char *text, const uint8_t *pat, size_t n)
{
	const char *p;
	size_t i;

	if (text == NULL)
		return 0;
	for (p = text; *p != '\0'; p++) {
		for (i = 0; i < n; i++) {
			unsigned char c = (unsigned char)p[i];

			if (c >= 'A' && c <= 'Z')
				c = (unsigned char)(c - 'A' + 'a');
			if (c != pat[i])
				break;	/* also at the NUL: pat has none */
		}
		if (i == n)
			return 1;
	}
	return 0;
}

static int
item_holds(const struct lookup *L, const struct sig_item *it)
{
	const struct sig_facts *f = L->f;
	const char *name;
	size_t n;

	switch (it->kind) {
	case K_HOST:
		if (L->hostlen == 0)
			return 0;
		name = (const char *)L->s->pool + it->u.off;
		n = it->len;
		if (L->hostlen == n)
			return memcmp(L->host, name, n) == 0;
		return it->a && L->hostlen > n &&
		    L->host[L->hostlen - n - 1] == '.' &&
		    memcmp(L->host + L->hostlen - n, name, n) == 0;
	case K_IP:
		return f->peer != NULL &&
		    prefix_holds(it->u.addr, it->len, f->peer);
	case K_NDPI:
		return f->ndpi_app == it->a || f->ndpi_master == it->a;
	case K_PAYLOAD:
		return payload_at(L, it) >= 0;
	case K_PORT:
		if (f->port == 0 || f->port < it->a ||
		    f->port > it->u.port.last)
			return 0;
		if (it->u.port.proto != 0)
			return f->proto == it->u.port.proto;
		return f->proto == 6 || f->proto == 17;
	case K_ASN:
		return f->asn != 0 && f->asn == it->u.asn;
	case K_COUNTRY:
		return L->country != 0 && L->country == it->a;
	case K_ALPN:
		return f->tls_alpn != NULL && alpn_holds(f->tls_alpn,
		    L->s->pool + it->u.off, it->len, it->a);
	case K_CERT:
		return text_has(f->tls_cert_subject, L->s->pool + it->u.off,
		    it->len) || text_has(f->tls_cert_issuer,
		    L->s->pool + it->u.off, it->len);
	default:
		return 0;
	}
}

/* Every kind of the rule holds. */
static int
rule_holds(const struct lookup *L, const struct rule *r)
{
	const struct sig_item *it = L->s->item + r->item;
	const struct sig_item *end = it + r->nitem;
	uint8_t kind;
	int ok;

	while (it < end) {
		kind = it->kind;
		for (ok = 0; it < end && it->kind == kind; it++)
			if (!ok && item_holds(L, it))
				ok = 1;
		if (!ok)
			return 0;
	}
	return 1;
}

/*
 * A candidate reached through anchor item idx. Each item that holds is
 * reached exactly once per lookup, so reporting the rule only from the
 * first of its anchor items that holds reports it once.
 */
static void
candidate(struct lookup *L, uint32_t idx)
{
	const struct sig_item *it = L->s->item + idx;
	const struct rule *r = rule_at(L->s, it->rule);
	uint32_t j;

	if (!item_holds(L, it))
		return;
	for (j = r->item; j < idx; j++)
		if (L->s->item[j].kind == r->anchor &&
		    item_holds(L, L->s->item + j))
			return;
	if (!rule_holds(L, r))
		return;
	L->fn(&r->pub, L->arg);
	L->n++;
}

static void
probe_int(struct lookup *L, const struct sig_tab *t, uint32_t key)
{
	uint32_t i, cur;

	for (i = tab_find(t, key, &cur); i != NONE; i = tab_more(t, &cur))
		candidate(L, i);
}

static void
walk_anchors(struct lookup *L, enum sig_kind kind)
{
	const struct sig_walk *w = &L->s->walk[kind - K_WALKED];
	uint32_t i;

	for (i = 0; i < w->n; i++)
		candidate(L, w->item[i]);
}

static void
match_host(struct lookup *L)
{
	const struct sig_tab *t = &L->s->tab[K_HOST];
	const struct sig_item *it;
	size_t start = 0, n;
	const char *dot;
	uint32_t i, cur;

	if (L->hostlen == 0 || t->nitem == 0)
		return;
	for (;;) {
		n = L->hostlen - start;
		for (i = tab_find(t, hash_bytes(L->host + start, n), &cur);
		    i != NONE; i = tab_more(t, &cur)) {
			it = L->s->item + i;
			if (it->len == n && (it->a || start == 0) &&
			    memcmp(L->s->pool + it->u.off, L->host + start,
			    n) == 0)
				candidate(L, i);
		}
		dot = memchr(L->host + start, '.', n);
		if (dot == NULL)
			break;
		start = (size_t)(dot - L->host) + 1;
	}
}

static void
match_ip(struct lookup *L)
{
	const struct sig_tab *t = &L->s->tab[K_IP];
	const struct sig_item *it;
	uint8_t key[17];
	unsigned k, b, bits;
	uint32_t i, cur;

	if (L->f->peer == NULL || L->s->nip_len == 0)
		return;
	for (k = 0; k < L->s->nip_len; k++) {
		bits = L->s->ip_lens[k];
		key[0] = (uint8_t)bits;
		memcpy(key + 1, L->f->peer, 16);
		if (bits < 128) {
			b = bits / 8;
			key[1 + b] &= (uint8_t)(0xff00 >> (bits % 8));
			memset(key + 2 + b, 0, 15 - b);
		}
		for (i = tab_find(t, hash_bytes(key, sizeof(key)), &cur);
		    i != NONE; i = tab_more(t, &cur)) {
			it = L->s->item + i;
			if (it->len == bits &&
			    memcmp(it->u.addr, key + 1, 16) == 0)
				candidate(L, i);
		}
	}
}

/* Payload items reached at offset p count only at their first hit. */
static void
probe_payload(struct lookup *L, uint32_t key, int p)
{
	const struct sig_tab *t = &L->s->tab[K_PAYLOAD];
	uint32_t i, cur;

	for (i = tab_find(t, key, &cur); i != NONE; i = tab_more(t, &cur))
		if (payload_at(L, L->s->item + i) == p)
			candidate(L, i);
}

static void
match_payload(struct lookup *L)
{
	const struct sigset *s = L->s;
	const uint8_t *pl = L->f->payload;
	size_t len = L->f->payload_len, end;
	uint64_t pinned;
	unsigned p, pair;

	if (pl == NULL || len == 0 || s->tab[K_PAYLOAD].nitem == 0)
		return;
	if (s->float_seen != NULL) {
		/* Offsets with a byte after them: one test each, where most
		 * find that no floating item starts with those two bytes. */
		end = len - 1 < SIG_FLOAT_LAST + 1 ? len - 1 : SIG_FLOAT_LAST + 1;
		for (p = 0; p < end; p++) {
			pair = (unsigned)pl[p] << 8 | pl[p + 1];
			if ((s->float_seen[pair >> 3] & (1u << (pair & 7))) == 0)
				continue;
			if (s->single_seen[pl[p] >> 3] & (1u << (pl[p] & 7)))
				probe_payload(L, PK_FLOAT1 | pl[p], (int)p);
			if (s->pair_seen != NULL &&
			    s->pair_seen[pair >> 3] & (1u << (pair & 7)))
				probe_payload(L, PK_FLOAT2 | pair, (int)p);
		}
		/* The last byte, when a floating item may start there: only a
		 * one-byte item can. */
		p = (unsigned)len - 1;
		if (p <= SIG_FLOAT_LAST &&
		    s->single_seen[pl[p] >> 3] & (1u << (pl[p] & 7)))
			probe_payload(L, PK_FLOAT1 | pl[p], (int)p);
	}
	pinned = s->pinned;
	if (len < SIG_PAYLOAD_DEPTH)
		pinned &= (UINT64_C(1) << len) - 1;
	for (; pinned != 0; pinned &= pinned - 1) {
		p = (unsigned)__builtin_ctzll(pinned);
		probe_payload(L, PK_PIN1 | p << 16 | pl[p], (int)p);
		if (p + 1 < len)
			probe_payload(L, PK_PIN2 | p << 16 |
			    (unsigned)pl[p] << 8 | pl[p + 1], (int)p);
	}
}

size_t
sigset_match(const struct sigset *s, const struct sig_facts *facts,
    void (*fn)(const struct sig_rule *, void *), void *arg)
{
	struct lookup L;
	const struct sig_facts *f = facts;
	size_t n, i;

	if (s == NULL || f == NULL || s->nrule == 0)
		return 0;
	L.s = s;
	L.f = f;
	L.fn = fn;
	L.arg = arg;
	L.n = 0;
	L.hostlen = 0;
	if (f->host != NULL) {
		for (n = 0; n < SIG_HOST_MAX + 2 && f->host[n] != '\0'; n++) {
			char c = f->host[n];

			if (c >= 'A' && c <= 'Z')
				c = (char)(c - 'A' + 'a');
			L.host[n] = c;
		}
		if (n > 0 && n < SIG_HOST_MAX + 2 && L.host[n - 1] == '.')
			n--;
		if (n <= SIG_HOST_MAX)
			L.hostlen = n;
	}
	L.country = 0;
	if (f->country != NULL) {
		uint16_t c = 0;

		for (i = 0; i < 2; i++) {
			char ch = f->country[i];

			if (ch >= 'a' && ch <= 'z')
				ch = (char)(ch - 'a' + 'A');
			if (ch < 'A' || ch > 'Z')
				break;
			c = (uint16_t)(c << 8 | (uint8_t)ch);
		}
		if (i == 2 && f->country[2] == '\0')
			L.country = c;
	}

	match_host(&L);
	match_ip(&L);
	if (f->ndpi_app != 0)
		probe_int(&L, &s->tab[K_NDPI], f->ndpi_app);
	if (f->ndpi_master != 0 && f->ndpi_master != f->ndpi_app)
		probe_int(&L, &s->tab[K_NDPI], f->ndpi_master);
	match_payload(&L);
	if (f->port != 0) {
		probe_int(&L, &s->tab[K_PORT], f->port);
		probe_int(&L, &s->port_wide, (uint32_t)f->port >> 8);
	}
	if (f->asn != 0)
		probe_int(&L, &s->tab[K_ASN], f->asn);
	if (L.country != 0)
		probe_int(&L, &s->tab[K_COUNTRY], L.country);
	if (f->tls_alpn != NULL)
		walk_anchors(&L, K_ALPN);
	if (f->tls_cert_subject != NULL || f->tls_cert_issuer != NULL)
		walk_anchors(&L, K_CERT);
	return L.n;
}

void
sigset_index_item(struct sigset *s, uint32_t idx)
{
	struct sig_item *it = &s->item[idx];
	uint8_t key[17];
	uint32_t p, k;
	unsigned i;

	switch (it->kind) {
	case K_HOST:
		sig_tab_insert(&s->tab[K_HOST], hash_bytes(s->pool + it->u.off,
		    it->len), idx);
		break;
	case K_IP:
		key[0] = it->len;
		memcpy(key + 1, it->u.addr, 16);
		sig_tab_insert(&s->tab[K_IP], hash_bytes(key, sizeof(key)),
		    idx);
		if (s->ip_len_used[it->len]++ == 0) {
			/* Keep the lengths longest first. */
			for (i = s->nip_len;
			    i > 0 && s->ip_lens[i - 1] < it->len; i--)
				s->ip_lens[i] = s->ip_lens[i - 1];
			s->ip_lens[i] = it->len;
			s->nip_len++;
		}
		break;
	case K_NDPI:
	case K_COUNTRY:
		sig_tab_insert(&s->tab[it->kind], it->a, idx);
		break;
	case K_ASN:
		sig_tab_insert(&s->tab[K_ASN], it->u.asn, idx);
		break;
	case K_PORT:
		if ((uint32_t)it->u.port.last - it->a < SIG_PORT_EXPAND)
			for (p = it->a; p <= it->u.port.last; p++)
				sig_tab_insert(&s->tab[K_PORT], p, idx);
		else
			for (p = it->a >> 8;
			    p <= (uint32_t)it->u.port.last >> 8; p++)
				sig_tab_insert(&s->port_wide, p, idx);
		break;
	case K_PAYLOAD: {
		const uint8_t *b = s->pool + it->u.off;

		if (it->a != NO_OFFSET) {
			k = (uint32_t)it->a << 16;
			if (it->len >= 2)
				k |= PK_PIN2 | (uint32_t)b[0] << 8 | b[1];
			else
				k |= PK_PIN1 | b[0];
			s->pinned |= UINT64_C(1) << it->a;
		} else {
			if (s->float_seen == NULL)
				s->float_seen = xcalloc(65536 / 8, 1);
			if (it->len >= 2) {
				k = (uint32_t)b[0] << 8 | b[1];
				if (s->pair_seen == NULL)
					s->pair_seen = xcalloc(65536 / 8, 1);
				s->pair_seen[k >> 3] |= (uint8_t)(1u << (k & 7));
				s->float_seen[k >> 3] |= (uint8_t)(1u << (k & 7));
				k |= PK_FLOAT2;
			} else {
				k = PK_FLOAT1 | b[0];
				s->single_seen[b[0] >> 3] |=
				    (uint8_t)(1u << (b[0] & 7));
				/* every b0 x: the 256 bits from b0 << 8 */
				memset(s->float_seen + b[0] * 32, 0xff, 32);
			}
		}
		sig_tab_insert(&s->tab[K_PAYLOAD], k, idx);
		break;
	}
	case K_ALPN:
	case K_CERT: {
		struct sig_walk *w = &s->walk[it->kind - K_WALKED];

		if (w->n == w->cap) {
			w->cap = w->cap ? w->cap * 2 : 8;
			w->item = xreallocarray(w->item, w->cap,
			    sizeof(*w->item));
		}
		w->item[w->n++] = idx;
		break;
	}
	default:
		break;
	}
}

/* Gives back the slack of the growing arrays once a file is in. */
void
sigset_trim(struct sigset *s)
{
	int k;

	if (s->nitem > 0 && s->nitem < s->capitem) {
		s->item = xreallocarray(s->item, s->nitem, sizeof(*s->item));
		s->capitem = s->nitem;
	}
	if (s->npool > 0 && s->npool < s->cappool) {
		s->pool = xreallocarray(s->pool, s->npool, 1);
		s->cappool = s->npool;
	}
	for (k = 0; k < K_WALKED; k++)
		tab_trim(&s->tab[k]);
	for (k = 0; k < K_N - K_WALKED; k++) {
		struct sig_walk *w = &s->walk[k];

		if (w->n > 0 && w->n < w->cap) {
			w->item = xreallocarray(w->item, w->n,
			    sizeof(*w->item));
			w->cap = w->n;
		}
	}
	tab_trim(&s->port_wide);
	tab_trim(&s->ids);
}
