/*
 * fleetsum.c: the per-host contact summaries (see fleetsum.h).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cidr.h"
#include "fleetsum.h"
#include "siphash.h"
#include "util.h"

#define TH_SYN	0x02
#define TH_ACK	0x10

struct pair {
	uint8_t vm[16], target[16];
	uint8_t proto;
	uint16_t port;			/* the target port first seen */
	uint16_t login_port;		/* where logins were counted */
	uint32_t pkts, syns, answered, replies, logins;
	uint64_t bytes;
	uint32_t pkts_b[FLEETSUM_BUCKETS], syns_b[FLEETSUM_BUCKETS];
	uint64_t ports_sent[SKETCH_WORDS], ports_ok[SKETCH_WORDS];
};

struct fleetsum {
	uint64_t interval_us, bucket_us;
	unsigned nbuckets;
	uint64_t start;			/* of the interval; 0 none yet */
	struct siphash_key key;
	uint32_t token;			/* this worker's, in message ids */
	struct pair *pairs;
	size_t npairs, max_pairs;
	uint32_t *slots;		/* index + 1; 0 empty */
	size_t nslots;			/* a power of two >= 2 * max_pairs */
	size_t memo;			/* the last pair found, + 1 */
	uint32_t dropped_now;		/* pairs refused this interval */
	fleetsum_emit emit;
	void *arg;
	struct fleetsum_stats st;
};

struct fleetsum *
fleetsum_new(uint64_t interval_us, uint64_t bucket_us, size_t max_pairs,
    fleetsum_emit emit, void *arg, char *err, size_t errlen)
{
	struct fleetsum *f;

	if (interval_us == 0 || max_pairs == 0 || max_pairs > (1u << 24)) {
		snprintf(err, errlen, "fleet summaries: bad interval or table "
		    "size");
		return NULL;
	}
	f = xcalloc(1, sizeof(*f));
	f->interval_us = interval_us;
	/* Buckets that tile the interval: bucket_us, or longer when that
	 * would make too many. */
	if (bucket_us == 0 || bucket_us > interval_us)
		bucket_us = interval_us;
	f->nbuckets = (unsigned)(interval_us / bucket_us);
	if (f->nbuckets > FLEETSUM_BUCKETS)
		f->nbuckets = FLEETSUM_BUCKETS;
	if (f->nbuckets == 0)
		f->nbuckets = 1;
	f->bucket_us = (interval_us + f->nbuckets - 1) / f->nbuckets;
	f->max_pairs = max_pairs;
	for (f->nslots = 16; f->nslots < 2 * max_pairs; f->nslots *= 2)
		;
	f->pairs = xcalloc_table(max_pairs, sizeof(*f->pairs));
	f->slots = xcalloc_table(f->nslots, sizeof(*f->slots));
	if (siphash_key_random(&f->key) == -1)
		memset(&f->key, 0x5a, sizeof(f->key));
	f->token = (uint32_t)siphash13(&f->key, "token", 5);
	f->emit = emit;
	f->arg = arg;
	f->st.table_bytes = max_pairs * sizeof(*f->pairs) +
	    f->nslots * sizeof(*f->slots);
	return f;
}

void
fleetsum_free(struct fleetsum *f)
{
	if (f == NULL)
		return;
	xfree_table(f->pairs, f->max_pairs, sizeof(*f->pairs));
	xfree_table(f->slots, f->nslots, sizeof(*f->slots));
	free(f);
}

static const char *
proto_name(uint8_t proto, char *buf, size_t len)
{
	switch (proto) {
	case 6: return "TCP";
	case 17: return "UDP";
	case 1: return "ICMP";
	case 58: return "ICMPv6";
	default:
		snprintf(buf, len, "%u", proto);
		return buf;
	}
}

/* Bucket counts as a JSON array, without the trailing zeros. */
static json_t *
buckets(const uint32_t *b, unsigned n)
{
	json_t *a = json_array();
	unsigned i;

	while (n > 0 && b[n - 1] == 0)
		n--;
	for (i = 0; i < n; i++)
		json_array_append_new(a, json_integer(b[i]));
	return a;
}

static json_t *
row_json(const struct pair *p, const struct inventory *inv)
{
	const struct inventory_vm *vm = inv != NULL ?
	    inventory_lookup(inv, p->vm) : NULL;
	char addr[64], pn[8], sk[SKETCH_TEXT];
	uint64_t open[SKETCH_WORDS];
	unsigned i, ports;
	json_t *r = json_object();

	addr_format(p->vm, addr, sizeof(addr));
	json_object_set_new(r, "vm", json_string(vm != NULL ? vm->vm_id : addr));
	json_object_set_new(r, "vm_ip", json_string(addr));
	if (vm != NULL && vm->tenant[0] != '\0')
		json_object_set_new(r, "tenant", json_string(vm->tenant));
	addr_format(p->target, addr, sizeof(addr));
	json_object_set_new(r, "target", json_string(addr));
	json_object_set_new(r, "proto", json_string(proto_name(p->proto, pn,
	    sizeof(pn))));
	json_object_set_new(r, "port", json_integer(p->port));
	json_object_set_new(r, "pkts", json_integer(p->pkts));
	json_object_set_new(r, "bytes", json_integer((json_int_t)p->bytes));
	json_object_set_new(r, "syns", json_integer(p->syns));
	json_object_set_new(r, "answered", json_integer(p->answered));
	json_object_set_new(r, "replies", json_integer(p->replies));
	if (p->logins > 0) {
		json_object_set_new(r, "logins", json_integer(p->logins));
		json_object_set_new(r, "login_port",
		    json_integer(p->login_port));
	}
	for (i = 0; i < SKETCH_WORDS; i++)
		open[i] = p->ports_sent[i] & ~p->ports_ok[i];
	ports = sketch_bits_set(open);
	json_object_set_new(r, "unanswered_ports",
	    json_integer((json_int_t)sketch_estimate_bits(ports)));
	if (ports >= 2) {
		sketch_to_text(open, sk);
		json_object_set_new(r, "ports_sketch", json_string(sk));
	}
	json_object_set_new(r, "pkts_b", buckets(p->pkts_b, FLEETSUM_BUCKETS));
	if (p->syns > 0)
		json_object_set_new(r, "syns_b", buckets(p->syns_b,
		    FLEETSUM_BUCKETS));
	return r;
}

/* Hands the interval's rows out, FLEETSUM_ROWS_MAX a message, and empties
 * the table. */
static void
flush(struct fleetsum *f, const struct inventory *inv)
{
	size_t i, chunk, nchunks;
	json_t *m, *rows;
	char id[64], *text;

	if (f->start == 0)
		return;
	nchunks = (f->npairs + FLEETSUM_ROWS_MAX - 1) / FLEETSUM_ROWS_MAX;
	for (chunk = 0; chunk < nchunks; chunk++) {
		m = json_object();
		snprintf(id, sizeof(id), "%" PRIu64 "-%08" PRIx32 "-%zu",
		    f->start, f->token, chunk);
		json_object_set_new(m, "type", json_string("egressd.summary"));
		json_object_set_new(m, "summary_id", json_string(id));
		json_object_set_new(m, "start_us", json_integer((json_int_t)f->start));
		json_object_set_new(m, "interval_us",
		    json_integer((json_int_t)f->interval_us));
		json_object_set_new(m, "bucket_us",
		    json_integer((json_int_t)f->bucket_us));
		json_object_set_new(m, "chunk", json_integer((json_int_t)chunk));
		json_object_set_new(m, "chunks", json_integer((json_int_t)nchunks));
		rows = json_array();
		for (i = chunk * FLEETSUM_ROWS_MAX;
		    i < f->npairs && i < (chunk + 1) * FLEETSUM_ROWS_MAX; i++)
			json_array_append_new(rows, row_json(&f->pairs[i], inv));
		json_object_set_new(m, "rows", rows);
		/* Pairs of the interval the full table could not keep. */
		json_object_set_new(m, "dropped", json_integer(f->dropped_now));
		text = json_dumps(m, JSON_COMPACT);
		json_decref(m);
		if (text == NULL)
			continue;
		f->st.messages++;
		f->st.bytes += strlen(text);
		f->emit(text, strlen(text), f->start + f->interval_us, f->arg);
	}
	f->st.rows += f->npairs;
	f->st.intervals++;
	memset(f->pairs, 0, f->npairs * sizeof(*f->pairs));
	memset(f->slots, 0, f->nslots * sizeof(*f->slots));
	f->npairs = 0;
	f->memo = 0;
	f->start = 0;
	f->dropped_now = 0;
}

void
fleetsum_tick(struct fleetsum *f, uint64_t now_us, int all,
    const struct inventory *inv)
{
	if (f->start != 0 && (all || now_us >= f->start + f->interval_us))
		flush(f, inv);
}

/* Starts the interval now_us falls in, ending the one before. */
static void
roll(struct fleetsum *f, uint64_t now_us, const struct inventory *inv)
{
	fleetsum_tick(f, now_us, 0, inv);
	if (f->start == 0)
		f->start = now_us - now_us % f->interval_us;
}

static int
same(const struct pair *p, const uint8_t vm[16], const uint8_t target[16],
    uint8_t proto)
{
	return p->proto == proto && memcmp(p->vm, vm, 16) == 0 &&
	    memcmp(p->target, target, 16) == 0;
}

/* The pair's row, made when create is set and there is room. */
static struct pair *
find(struct fleetsum *f, const uint8_t vm[16], const uint8_t target[16],
    uint8_t proto, int create)
{
	uint8_t k[33];
	size_t s;
	struct pair *p;

	if (f->memo != 0 && same(&f->pairs[f->memo - 1], vm, target, proto))
		return &f->pairs[f->memo - 1];
	memcpy(k, vm, 16);
	memcpy(k + 16, target, 16);
	k[32] = proto;
	for (s = siphash13(&f->key, k, sizeof(k)) & (f->nslots - 1);
	    f->slots[s] != 0; s = (s + 1) & (f->nslots - 1)) {
		p = &f->pairs[f->slots[s] - 1];
		if (same(p, vm, target, proto)) {
			f->memo = f->slots[s];
			return p;
		}
	}
	if (!create)
		return NULL;
	if (f->npairs == f->max_pairs) {
		f->st.dropped++;
		f->dropped_now++;
		return NULL;
	}
	p = &f->pairs[f->npairs++];
	memcpy(p->vm, vm, 16);
	memcpy(p->target, target, 16);
	p->proto = proto;
	f->slots[s] = (uint32_t)f->npairs;
	f->memo = f->npairs;
	return p;
}

static void
add32(uint32_t *v, uint64_t by)
{
	*v = by >= UINT32_MAX - *v ? UINT32_MAX : *v + (uint32_t)by;
}

void
fleetsum_packet(struct fleetsum *f, const struct behave_pkt *p,
    uint64_t logins, const struct inventory *inv)
{
	struct pair *r;
	unsigned b;
	uint64_t h;
	int syn = p->proto == 6 && (p->tcp_flags & (TH_SYN | TH_ACK)) == TH_SYN;

	roll(f, p->ts_us, inv);
	if ((r = find(f, p->vm, p->target, p->proto, p->from_vm)) == NULL)
		return;
	h = sketch_hash(&p->target_port, sizeof(p->target_port));
	if (p->from_vm) {
		if (r->pkts == 0)
			r->port = p->target_port;
		b = (unsigned)((p->ts_us - f->start) / f->bucket_us);
		if (b >= f->nbuckets)
			b = f->nbuckets - 1;
		add32(&r->pkts, 1);
		add32(&r->pkts_b[b], 1);
		r->bytes += p->wire_len;
		if (syn) {
			add32(&r->syns, 1);
			add32(&r->syns_b[b], 1);
		}
		if (syn || p->proto != 6)
			sketch_add(r->ports_sent, h);
	} else {
		add32(&r->replies, 1);
		if (p->proto != 6 ||
		    (p->tcp_flags & (TH_SYN | TH_ACK)) == (TH_SYN | TH_ACK)) {
			add32(&r->answered, 1);
			sketch_add(r->ports_ok, h);
		}
	}
	if (logins > 0) {
		add32(&r->logins, logins);
		r->login_port = p->target_port;
	}
}

void
fleetsum_logins(struct fleetsum *f, uint64_t ts_us, const uint8_t vm[16],
    const uint8_t target[16], uint8_t proto, uint16_t port, uint64_t n,
    const struct inventory *inv)
{
	struct pair *r;

	roll(f, ts_us, inv);
	if ((r = find(f, vm, target, proto, 1)) == NULL)
		return;
	add32(&r->logins, n);
	r->login_port = port;
}

void
fleetsum_stats(const struct fleetsum *f, struct fleetsum_stats *st)
{
	*st = f->st;
}
