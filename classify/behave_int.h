/*
 * behave_int.h: what the behaviour detectors (behave.c and its detector
 * families, behave_flood.c, behave_scan.c, behave_amp.c, behave_brute.c)
 * share, and no one else includes: the table entries, struct behave, and
 * the helpers every packet goes through, static inline here so that
 * splitting the detectors into files adds no call to the packet path.
 *
 * Every table is a bounded LRU table (lrutab.h): one array of fixed-size
 * entries allocated in behave_new, chained into power-of-two hash buckets
 * (SipHash, random key) and kept on one LRU list. A new key takes a
 * never-used entry while there are any, then the least recently seen one;
 * taking one that was not yet idle past the table's window counts as an
 * eviction. Nothing is allocated per packet, so memory is exactly what
 * stats.bytes says.
 *
 *   tgt   (vm, target)        flood bucket counters, port-scan sketches
 *   port  (vm, proto, port)   address-scan sketches (ICMP echo: port 0)
 *   brute (vm, target, port)  login attempts
 *   amp   (vm, kind)          amplification requests, server sketch
 *   vic   (target, proto)     floods at one target from all VMs together
 *
 * Distinct ports and hosts are counted with 512-bit linear-counting
 * bitmaps (sketches): n = -m ln(zeros / m). Their positions use a fixed
 * key, unlike the tables: the same capture must give the same estimates,
 * and so the same verdicts, in every replay. All windows are fixed epochs
 * started by the first packet of a key (as Zeek's SumStats epochs) and
 * end by packet time only; no clock is read here.
 */
#ifndef EGRESSD_BEHAVE_INT_H
#define EGRESSD_BEHAVE_INT_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "behave.h"
#include "lrutab.h"
#include "siphash.h"
#include "sketch.h"

#define TH_SYN		0x02
#define TH_RST		0x04
#define TH_ACK		0x10


/* fired bits: which detector already produced (or was suppressed) in the
 * current window of an entry, so each window yields one candidate. */
#define FIRED_SYN	0x01
#define FIRED_UDP	0x02
#define FIRED_ICMP	0x04
#define FIRED_PORTSCAN	0x08
#define FIRED_TCP	0x10
#define FIRED_HTTP	0x20
#define FIRED_SLOW	0x40

struct tgt_key {
	uint8_t vm[16], target[16];
};

struct tgt_ent {
	struct lru_ent h;
	struct tgt_key k;
	uint64_t flood_start;	/* start of the current flood bucket */
	uint64_t bytes;		/* sent by the VM in the bucket */
	uint64_t udp_bytes;
	uint32_t pkts;		/* sent by the VM in the bucket */
	uint32_t syns, synacks;
	uint32_t udp_pkts, udp_replies;
	uint32_t echoes;
	uint32_t nosyn, nosyn_answered;	/* TCP flows the VM opened without
					 * a SYN, and their non-RST answers */
	uint32_t http_reqs;	/* HTTP request lines from the VM, in the bucket */
	uint32_t tls_hellos;	/* TLS ClientHellos from the VM, in the bucket */
	uint32_t tls_recs;	/* small TLS records from the VM, in the bucket */
	uint32_t conns_open;	/* the VM's connections to it now established */
	uint64_t slow_since;	/* since when slow_conns have been open, 0 not */
	uint64_t slow_bytes;	/* sent by the VM over TCP since then */
	uint32_t scan_pkts;	/* sent by the VM in the scan window */
	uint8_t fired;
	uint16_t ports_open;	/* bits in ports_sent and not ports_answered */
	uint64_t scan_start;
	uint64_t scan_bytes;
	uint64_t last_dos, last_scan;	/* last report + 1, 0 never */
	uint64_t ports_sent[SKETCH_WORDS], ports_answered[SKETCH_WORDS];
};

/*
 * A target as the victim of all VMs together: what every VM sends it that
 * opens (SYNs, datagrams, echo requests) and its answers, in the flood
 * bucket, with the distinct senders (a sketch) and the three that sent
 * the most (space-saving: a newcomer takes the smallest's place and
 * count + 1, and remembers what it inherited, so what it surely sent is
 * known: that is what a report names). A flood from many sources, spoofed or random, sums here
 * though each source alone is far below any threshold.
 */
#define VIC_TOP		3
/* vic_key.proto of ICMPv6 link control (neighbour and router discovery,
 * MLD): 255, reserved as an IP protocol number. */
#define VIC_LINKCTL	255
/* ... of TCP packets that open no connection (no bare SYN: ACK, RST, FIN
 * or PSH floods, SYN-ACKs reflected at their victim): 254, reserved too */
#define VIC_NOSYN	254

struct vic_key {
	uint8_t target[16];
	uint8_t proto, pad[3];
};

struct vic_ent {
	struct lru_ent h;
	struct vic_key k;
	uint64_t start;		/* the flood bucket */
	uint64_t bytes;
	uint32_t sent, answers;	/* openers to it, its answers */
	uint32_t opens;		/* ... of which the first of their flow */
	uint8_t fired;
	uint16_t srcs_set;	/* bits set in srcs */
	uint16_t ports_set;	/* bits set in ports (TCP) */
	uint64_t last;		/* last report + 1 */
	uint64_t srcs[SKETCH_WORDS], ports[SKETCH_WORDS];
	struct {
		uint8_t vm[16];
		uint32_t n;	/* an upper bound */
		uint32_t err;	/* of which inherited: n - err is sure */
	} top[VIC_TOP];
};

struct port_key {
	uint8_t vm[16];
	uint8_t proto, pad;
	uint16_t port;
};

struct port_ent {
	struct lru_ent h;
	struct port_key k;
	uint32_t pkts;
	uint16_t fast_base;	/* open when the fast window began */
	uint64_t fast_start;	/* start of the fast rule's window */
	uint64_t start, bytes;
	uint64_t last;		/* last report + 1 */
	uint8_t fired;
	uint16_t open;		/* bits in sent and not in answered */
	uint64_t sent[SKETCH_WORDS], answered[SKETCH_WORDS];
};

struct brute_key {
	uint8_t vm[16], target[16];
	uint16_t port, pad;
};

struct brute_ent {
	struct lru_ent h;
	struct brute_key k;
	uint32_t attempts;	/* short connections + failure replies */
	uint32_t replies;	/* failure replies seen */
	uint32_t unclaimed;	/* replies not yet matched to a connection end */
	uint32_t ok_unclaimed;	/* success replies not yet matched to one */
	uint32_t pkts;
	uint8_t fired;
	uint8_t http_failed;	/* a 401 was seen in this window */
	uint64_t start, bytes;
	uint64_t last;
	uint32_t shape_to[2], shape_from[2];	/* bytes each way of two
						 * reference short connections */
	uint32_t shaped[2];	/* short connections of each shape since */
	uint64_t shape_start[2];	/* when each reference one ended */
	uint8_t http_plain;	/* HTTP requests in clear were seen */
	uint8_t http_creds;	/* ... one of them a POST or with credentials */
	uint8_t ssh;		/* SSH logins were read (sshshape.h) */
	uint8_t svc;		/* enum login_svc of the refusals read */
};

struct amp_key {
	uint8_t vm[16];
	uint8_t kind, pad[3];
};

struct amp_ent {
	struct lru_ent h;
	struct amp_key k;
	uint32_t requests;
	uint64_t start, bytes;
	uint64_t last;
	uint8_t fired;
	uint16_t nservers;	/* bits set in servers */
	uint64_t servers[SKETCH_WORDS];
};

struct behave {
	struct behave_cfg cfg;
	struct siphash_key key;
	struct lrutab tgt, port, brute, amp, vic;
	uint16_t estimate[SKETCH_BITS + 1];	/* by bits set */
	/* The last sketch hashes made (target_hash, port_hash, vm_hash),
	 * as the sketch bits they give: a sketch reads nothing else of a
	 * hash (sketch_bit), and 16 bits each keep the struct's size. */
	uint8_t memo_target[16], memo_vm[16];
	uint16_t memo_htarget, memo_hport, memo_hvm;
	uint16_t memo_port;
	uint8_t memo_target_ok, memo_port_ok, memo_vm_ok;
	uint64_t evicted, hits, suppressed, bytes;
	uint64_t logins;	/* login attempts counted, ever (behave_logins) */
};

/* ---- tables (lrutab.h) ---- */

/* lrutab compares keys a 4-byte word at a time. */
_Static_assert(sizeof(struct tgt_key) % 4 == 0 &&
    sizeof(struct port_key) % 4 == 0 && sizeof(struct brute_key) % 4 == 0 &&
    sizeof(struct amp_key) % 4 == 0 && sizeof(struct vic_key) % 4 == 0,
    "behaviour keys are whole 4-byte words");

/* The (VM, target) entry, created when create is set (NULL when not
 * found, or when the table cannot make room). */
static inline struct tgt_ent *
tgt_lookup(struct behave *b, const uint8_t vm[16], const uint8_t target[16],
    int create, uint64_t now, int *fresh)
{
	struct tgt_key k;

	memset(&k, 0, sizeof(k));
	memcpy(k.vm, vm, 16);
	memcpy(k.target, target, 16);
	return lrutab_get(&b->tgt, &b->key, &b->evicted, &k, create, now, fresh);
}

/* The (VM, target, port) entry of the guessing detectors, created. */
static inline struct brute_ent *
brute_lookup(struct behave *b, const uint8_t vm[16], const uint8_t target[16],
    uint16_t port, uint64_t now, int *fresh)
{
	struct brute_key k;

	memset(&k, 0, sizeof(k));
	memcpy(k.vm, vm, 16);
	memcpy(k.target, target, 16);
	k.port = port;
	return lrutab_get(&b->brute, &b->key, &b->evicted, &k, 1, now, fresh);
}

/* Adds to a 32-bit counter, sticking at its maximum. */
static inline void
add32(uint32_t *v, uint64_t by)
{
	*v = by >= UINT32_MAX - *v ? UINT32_MAX : *v + (uint32_t)by;
}

/* ---- sketches (sketch.h) ---- */

/* A sketch pair (sent, answered) keeps the count of the bits set in sent
 * and not in answered as bits are set, rather than counting again at
 * every packet. */
static inline void
sketch_sent(uint64_t *sent, const uint64_t *answered, uint16_t *open,
    uint64_t h)
{
	if (sketch_add(sent, h) && !sketch_has(answered, h))
		(*open)++;
}

static inline void
sketch_answered(const uint64_t *sent, uint64_t *answered, uint16_t *open,
    uint64_t h)
{
	if (sketch_add(answered, h) && sketch_has(sent, h))
		(*open)--;
}

static inline uint64_t
sketch_estimate(const struct behave *b, unsigned bits_set)
{
	return b->estimate[bits_set];
}

_Static_assert(SKETCH_BITS <= 65536, "a sketch bit fits the memos' 16 bits");

/* The sketch hash of a target address, kept for the next packet: a
 * conversation's packets come in runs. What it returns is the hash's
 * sketch bit, which sketch_bit() gives back unchanged. */
static inline uint64_t
target_hash(struct behave *b, const uint8_t target[16])
{
	if (!b->memo_target_ok || memcmp(b->memo_target, target, 16) != 0) {
		memcpy(b->memo_target, target, 16);
		b->memo_htarget = (uint16_t)sketch_bit(sketch_hash(target, 16));
		b->memo_target_ok = 1;
	}
	return b->memo_htarget;
}

/* The same for the sending VM's address, which the per-victim count of
 * sources hashes at every packet sent. */
static inline uint64_t
vm_hash(struct behave *b, const uint8_t vm[16])
{
	if (!b->memo_vm_ok || memcmp(b->memo_vm, vm, 16) != 0) {
		memcpy(b->memo_vm, vm, 16);
		b->memo_hvm = (uint16_t)sketch_bit(sketch_hash(vm, 16));
		b->memo_vm_ok = 1;
	}
	return b->memo_hvm;
}

static inline uint64_t
port_hash(struct behave *b, uint16_t port)
{
	if (!b->memo_port_ok || b->memo_port != port) {
		b->memo_port = port;
		b->memo_hport = (uint16_t)sketch_bit(sketch_hash(&port,
		    sizeof(port)));
		b->memo_port_ok = 1;
	}
	return b->memo_hport;
}

/* ---- reporting ---- */

/* Packets per second over us, counting at least a millisecond. */
static inline double
rate(uint64_t n, uint64_t us)
{
	if (us < 1000)
		us = 1000;
	return (double)n * 1e6 / (double)us;
}

/* The figures of a hit over the window that produced it: at twice its
 * threshold or more, what was measured makes the hit high confidence. */
static inline void
hit_figures(struct behave_hit *h, uint64_t elapsed, uint64_t packets,
    uint64_t bytes, uint64_t count, uint64_t distinct, uint64_t measured,
    uint64_t threshold)
{
	h->window_us = elapsed;
	h->packets = packets;
	h->bytes = bytes;
	h->count = count;
	h->distinct = distinct;
	h->rate_pps = rate(packets, elapsed);
	if (measured >= 2 * threshold)
		h->confidence = CONF_HIGH;
}

static inline uint64_t
per_window(uint64_t pps, uint64_t window_us)
{
	uint64_t n = (pps * window_us + 999999) / 1000000;

	return n > 0 ? n : 1;
}

/*
 * Applies suppression on *last (report time + 1, 0 never) and copies h
 * into hits[*n]. Returns 1 when the candidate is settled for this window
 * (written or suppressed), 0 when hits had no room, so it is retried.
 */
static inline int
emit(struct behave *b, uint64_t *last, uint64_t now, const struct behave_hit *h,
    struct behave_hit *hits, size_t max, size_t *n)
{
	if (*last != 0 && (now + 1 < *last ||
	    now + 1 - *last < b->cfg.suppress_us)) {
		b->suppressed++;
		return 1;
	}
	if (*n >= max)
		return 0;
	hits[(*n)++] = *h;
	b->hits++;
	*last = now + 1;
	return 1;
}

static inline void
hit_init(struct behave_hit *h, enum policy_category cat, const char *detector,
    const uint8_t *vm, const uint8_t *target, uint8_t proto, uint16_t port)
{
	memset(h, 0, sizeof(*h));
	h->category = cat;
	h->detector = detector;
	h->confidence = CONF_MEDIUM;
	memcpy(h->vm, vm, 16);
	if (target != NULL) {
		memcpy(h->target, target, 16);
		h->has_target = 1;
	}
	h->proto = proto;
	h->port = port;
}

static inline void
tgt_roll(const struct behave *b, struct tgt_ent *t, uint64_t now, int fresh)
{
	if (fresh || (now >= t->flood_start &&
	    now - t->flood_start >= b->cfg.flood_window_us)) {
		t->flood_start = now;
		t->pkts = t->syns = t->synacks = 0;
		t->udp_pkts = t->udp_replies = t->echoes = 0;
		t->nosyn = t->nosyn_answered = 0;
		t->http_reqs = t->tls_hellos = t->tls_recs = 0;
		t->bytes = t->udp_bytes = 0;
		t->fired &= (uint8_t)~(FIRED_SYN | FIRED_UDP | FIRED_ICMP |
		    FIRED_TCP | FIRED_HTTP);
	}
	if (fresh || (now >= t->scan_start &&
	    now - t->scan_start >= b->cfg.scan_window_us)) {
		t->scan_start = now;
		t->scan_pkts = 0;
		t->scan_bytes = 0;
		memset(t->ports_sent, 0, sizeof(t->ports_sent));
		memset(t->ports_answered, 0, sizeof(t->ports_answered));
		t->ports_open = 0;
		t->fired &= (uint8_t)~FIRED_PORTSCAN;
	}
}

static inline void
port_roll(const struct behave *b, struct port_ent *e, uint64_t now, int fresh)
{
	if (!fresh && (now < e->start || now - e->start < b->cfg.scan_window_us))
		return;
	e->start = now;
	e->fast_start = now;
	e->fast_base = 0;
	e->pkts = 0;
	e->bytes = 0;
	e->fired = 0;
	memset(e->sent, 0, sizeof(e->sent));
	memset(e->answered, 0, sizeof(e->answered));
	e->open = 0;
}

/* The link's own control messages: router and neighbour discovery (RFC
 * 4861) and multicast listener ones (RFC 2710, 3810). */
static inline int
is_linkctl(const struct behave_pkt *p)
{
	return p->proto == 58 && ((p->icmp_type >= 130 && p->icmp_type <= 137) ||
	    p->icmp_type == 143);
}

static inline int
starts(const uint8_t *p, size_t len, const char *s)
{
	size_t n = strlen(s);

	return len >= n && memcmp(p, s, n) == 0;
}

/* ---- behave.c: reports ---- */

/* us as "2.5 s", "40 s", "7 min" or "3.2 h". */
void behave_fmt_dur(char *buf, size_t len, uint64_t us);
/* An address as text, IPv4-mapped ones in dotted quads. */
void behave_addr_text(char *buf, size_t len, const uint8_t a[16]);

/* ---- behave_flood.c: floods from one VM, from many, and at the
 * application layer ---- */

/* Reports a flood of proto from t's VM at its target when there is one
 * (once a bucket); returns whether the flood condition holds now. */
int behave_tgt_check_flood(struct behave *b, struct tgt_ent *t, uint64_t now,
    uint8_t proto, struct behave_hit *hits, size_t max, size_t *n);
void behave_tgt_check_app(struct behave *b, struct tgt_ent *t, uint64_t now,
    const struct behave_pkt *p, struct behave_hit *hits, size_t max,
    size_t *n);
void behave_vic_packet(struct behave *b, const struct behave_pkt *p, int sent,
    uint64_t hport, struct behave_hit *hits, size_t max, size_t *n,
    int *flooding);
void behave_nosyn_packet(struct behave *b, const struct behave_pkt *p, int own,
    struct behave_hit *hits, size_t max, size_t *n, int *flooding);

/* ---- behave_scan.c: port scans, address scans, multicast discovery ---- */

void behave_tgt_check_scan(struct behave *b, struct tgt_ent *t, uint64_t now,
    uint8_t proto, struct behave_hit *hits, size_t max, size_t *n);
void behave_port_check(struct behave *b, struct port_ent *e, uint64_t now,
    struct behave_hit *hits, size_t max, size_t *n);
void behave_scan_probe(struct behave *b, const struct behave_pkt *p,
    uint16_t port, int sent, struct behave_hit *hits, size_t max, size_t *n);
void behave_mcast_discovery(struct behave *b, const struct behave_pkt *p,
    struct behave_hit *hits, size_t max, size_t *n);

/* ---- behave_amp.c: amplification requests ---- */

void behave_amp_packet(struct behave *b, const struct behave_pkt *p,
    uint64_t htarget, struct behave_hit *hits, size_t max, size_t *n);

/* ---- behave_brute.c: password guessing (and behave_conn_end) ---- */

void behave_brute_reply(struct behave *b, const struct behave_pkt *p,
    struct behave_hit *hits, size_t max, size_t *n);
void behave_brute_http_request(struct behave *b, const struct behave_pkt *p);

#endif
