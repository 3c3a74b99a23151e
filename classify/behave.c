/*
 * behave.c: per-VM behaviour detectors (floods, scans, amplification
 * requests, password guessing) over four fixed-size tables.
 *
 * Every table is one array of fixed-size entries allocated in behave_new,
 * chained into power-of-two hash buckets (SipHash, random key) and kept on
 * one LRU list. A new key takes a never-used entry while there are any,
 * then the least recently seen one; taking one that was not yet idle past
 * the table's window counts as an eviction. Nothing is allocated per
 * packet, so memory is exactly what stats.bytes says.
 *
 *   tgt   (vm, target)        flood bucket counters, port-scan sketches
 *   port  (vm, proto, port)   address-scan sketches (ICMP echo: port 0)
 *   brute (vm, target, port)  login attempts
 *   amp   (vm, kind)          amplification requests, server sketch
 *
 * Distinct ports and hosts are counted with 512-bit linear-counting
 * bitmaps: n = -m ln(zeros / m). Scans count only what never answered:
 * each sketch comes in a pair, "sent" (SYN without ACK, UDP, echo request
 * from the VM) and "answered" (SYN-ACK, UDP or echo reply from the target),
 * and the estimate is taken over the bits set in sent but not in answered.
 * A VM that talks to 200 web servers on 443 therefore is no address scan;
 * one whose SYNs to 25 hosts go unanswered is. Probes are every way a
 * scanner asks (nmap's scan types): a SYN; a TCP segment without SYN, ACK
 * or RST opening a flow (FIN, NULL, Xmas: no connection sends one, RFC
 * 9293 3.10.7); the target's RST to the one packet the VM sent in a flow
 * (ACK, Window and Maimon scans, and closed ports of the others); UDP
 * datagrams; an SCTP INIT, answered by anything but an ABORT; the first
 * packet of any other IP protocol (a protocol scan, answered when the
 * target speaks it back). An ICMP unreachable or silence leaves a probe
 * unanswered. Besides Zeek's 25 hosts in 5 minutes, an address scan is
 * also scan_fast_hosts unanswered hosts within scan_fast_window (12 in
 * 10 s: more than one new silent host a second, which only a sweep
 * does). All windows are fixed
 * epochs started by the first packet of a key (as Zeek's SumStats epochs)
 * and end by packet time only; no clock is read here.
 */
#include <arpa/inet.h>
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "behave.h"
#include "bytes.h"
#include "lrutab.h"
#include "siphash.h"
#include "util.h"

#define MAX_ENTRIES	(1U << 24)

#define TH_SYN		0x02
#define TH_RST		0x04
#define TH_ACK		0x10

#define SKETCH_BITS	512
#define SKETCH_WORDS	(SKETCH_BITS / 64)

/* A connection shorter and smaller than this is a login attempt. */
#define BRUTE_SHORT_US		(30ULL * 1000000)
#define BRUTE_SMALL_BYTES	(16 * 1024)
/* On any port, over TLS too: brute_attempts short connections of one
 * shape (their bytes each way within a tenth, or 64 bytes, of the first
 * one's) within BRUTE_SHAPE_US, so at least 3 a second at the default 30
 * (a client polling a second or twice a second stays under it), and at
 * most BRUTE_SHAPE_MAX_RATE a second (faster is a flood, as the TLS
 * handshake flood counts it: ab over HTTPS). */
#define BRUTE_SHAPE_US		(10ULL * 1000000)
#define BRUTE_SHAPE_MAX_RATE	200.0
/* ... each getting less than this back (a refusal and a TLS handshake; a
 * page fetched again and again gets more: httpsburst's 7.4 KB). */
#define BRUTE_SHAPE_BACK_MAX	4096

/* fired bits: which detector already produced (or was suppressed) in the
 * current window of an entry, so each window yields one candidate. */
#define FIRED_SYN	0x01
#define FIRED_UDP	0x02
#define FIRED_ICMP	0x04
#define FIRED_PORTSCAN	0x08
#define FIRED_TCP	0x10
#define FIRED_HTTP	0x20
#define FIRED_SLOW	0x40

#define TLS_REQUEST_MAX	1000	/* bytes of a TLS record that is a request */
/* A slow attack's connections send less than this a second each (on the
 * wire, ACKs included): slowhttptest's sent 160-260 while they opened. */
#define SLOW_BYTES_PER_CONN 1024.0
/* ... and stay open this long: a client that opens many at once and then
 * uses them is past its handshakes by then. */
#define SLOW_HOLD_US	(5ULL * 1000000)

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

enum amp_kind {
	AMP_DNS, AMP_NTP, AMP_MEMCACHED, AMP_SSDP, AMP_CLDAP, AMP_CHARGEN,
	AMP_QOTD, AMP_N
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
	/* the last sketch hashes made (target_hash, port_hash) */
	uint8_t memo_target[16];
	uint64_t memo_htarget, memo_hport;
	uint16_t memo_port;
	uint8_t memo_target_ok, memo_port_ok;
	uint64_t evicted, hits, suppressed, bytes;
};

static const struct {
	const char *detector, *what;
	uint16_t port;
} amp_kinds[AMP_N] = {
	[AMP_DNS] = { "dns_amplification", "DNS ANY queries", 53 },
	[AMP_NTP] = { "ntp_amplification", "NTP monlist requests", 123 },
	[AMP_MEMCACHED] = { "memcached_amplification",
	    "memcached UDP requests", 11211 },
	[AMP_SSDP] = { "ssdp_amplification", "unicast SSDP M-SEARCHes", 1900 },
	[AMP_CLDAP] = { "cldap_amplification", "CLDAP searches", 389 },
	[AMP_CHARGEN] = { "chargen_amplification", "chargen datagrams", 19 },
	[AMP_QOTD] = { "qotd_amplification", "QOTD datagrams", 17 },
};

void
behave_defaults(struct behave_cfg *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	/* The option table's default of behave_max_entries. */
	cfg->max_entries = 16384;
	/* Rates are per second, as every flood threshold below is quoted. */
	cfg->flood_window_us = 1000000;
	/* 1000 half-open SYNs/s to one host: an order of magnitude above what
	 * a busy client opens (Suricata/ET "SYN flood" rules count 1000s of
	 * SYNs per second); a real client completes almost every handshake,
	 * so at most 10% completed. */
	cfg->syn_flood_pps = 1000;
	cfg->syn_flood_completion = 0.1;
	/* 5000 UDP packets/s to one host, one-way: well above VoIP, games and
	 * DNS clients; below what booter scripts send. */
	cfg->udp_flood_pps = 5000;
	/* 500 echo requests/s: ping -f sends ~100/s on a LAN, ping's default
	 * 1/s; 500 is a flood by any tool's measure. */
	cfg->icmp_flood_pps = 500;
	/* Application floods, from the recordings (tests/e2e/exchanges/
	 * appdos.sh), the most in any second to one host: benign 200 HTTP
	 * requests (httpmany), 59 TLS handshakes and 118 request-sized TLS
	 * records (httpsburst); wrk and ab 984-2000 requests, 625 handshakes,
	 * 968-1245 records. The thresholds sit between, 2.5-4 times the
	 * benign figures. A slow attack holds 200 connections open at once
	 * to one host with under 1 KiB a second each (slowhttptest opens
	 * 300; a browser 6 a host, aria2 -x16 16). */
	cfg->http_flood_rps = 500;
	cfg->tls_flood_cps = 200;
	cfg->tls_flood_rps = 500;
	cfg->slow_conns = 200;
	/* Amplification: requests for ANY/monlist/stats to 10 distinct
	 * servers in a minute is reflector abuse (a client uses 1-3
	 * resolvers; US-CERT TA14-017A lists these protocols). */
	cfg->amp_window_us = 60ULL * 1000000;
	cfg->amp_servers = 10;
	/* Zeek policy/misc/scan.zeek: 15 ports or 25 hosts in 5 minutes. */
	cfg->scan_window_us = 300ULL * 1000000;
	cfg->scan_ports = 15;
	cfg->scan_hosts = 25;
	/* And a sweep by its rate: 12 silent hosts in 10 s is more than one
	 * new dead host a second, which only a sweep produces (nmap -sn's
	 * default timing probes tens of hosts a second). */
	cfg->scan_fast_window_us = 10ULL * 1000000;
	cfg->scan_fast_hosts = 12;
	/* Zeek policy/protocols/ssh/detect-bruteforcing.zeek: 30 failed
	 * logins in 30 minutes. */
	cfg->brute_window_us = 1800ULL * 1000000;
	cfg->brute_attempts = 30;
	/* One report per (VM, category, target) per 10 minutes. */
	cfg->suppress_us = 600ULL * 1000000;
}

/* ---- tables (lrutab.h) ---- */

/* lrutab compares keys a 4-byte word at a time. */
_Static_assert(sizeof(struct tgt_key) % 4 == 0 &&
    sizeof(struct port_key) % 4 == 0 && sizeof(struct brute_key) % 4 == 0 &&
    sizeof(struct amp_key) % 4 == 0 && sizeof(struct vic_key) % 4 == 0,
    "behaviour keys are whole 4-byte words");

/* The (VM, target) entry, created when create is set (NULL when not
 * found, or when the table cannot make room). */
static struct tgt_ent *
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
static struct brute_ent *
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
static void
add32(uint32_t *v, uint64_t by)
{
	*v = by >= UINT32_MAX - *v ? UINT32_MAX : *v + (uint32_t)by;
}

/* ---- sketches ---- */

static const struct siphash_key sketch_key = {
	0x736b65746368206bULL, 0x6567726573736421ULL
};

/*
 * A sketch is a bitmap of SKETCH_BITS; its distinct items are estimated
 * from the bits set. The count of those is kept as bits are set rather
 * than counted again at every packet: a sketch pair (sent, answered)
 * keeps the bits set in sent and not in answered.
 */
static unsigned
sketch_bit(uint64_t h)
{
	return (unsigned)(h & (SKETCH_BITS - 1));
}

static int
sketch_has(const uint64_t *s, uint64_t h)
{
	unsigned bit = sketch_bit(h);

	return (s[bit / 64] >> (bit % 64)) & 1;
}

/* Sets h's bit; returns whether it was clear. */
static int
sketch_add(uint64_t *s, uint64_t h)
{
	unsigned bit = sketch_bit(h);
	uint64_t m = 1ULL << (bit % 64);

	if (s[bit / 64] & m)
		return 0;
	s[bit / 64] |= m;
	return 1;
}

static void
sketch_sent(uint64_t *sent, const uint64_t *answered, uint16_t *open,
    uint64_t h)
{
	if (sketch_add(sent, h) && !sketch_has(answered, h))
		(*open)++;
}

static void
sketch_answered(const uint64_t *sent, uint64_t *answered, uint16_t *open,
    uint64_t h)
{
	if (sketch_add(answered, h) && sketch_has(sent, h))
		(*open)--;
}

static uint64_t
sketch_estimate(const struct behave *b, unsigned bits_set)
{
	return b->estimate[bits_set];
}

/* The sketch hash of a target address, kept for the next packet: a
 * conversation's packets come in runs. */
static uint64_t
target_hash(struct behave *b, const uint8_t target[16])
{
	if (!b->memo_target_ok || memcmp(b->memo_target, target, 16) != 0) {
		memcpy(b->memo_target, target, 16);
		b->memo_htarget = siphash24(&sketch_key, target, 16);
		b->memo_target_ok = 1;
	}
	return b->memo_htarget;
}

static uint64_t
port_hash(struct behave *b, uint16_t port)
{
	if (!b->memo_port_ok || b->memo_port != port) {
		b->memo_port = port;
		b->memo_hport = siphash24(&sketch_key, &port, sizeof(port));
		b->memo_port_ok = 1;
	}
	return b->memo_hport;
}

/* ---- reporting ---- */

static void
fmt_dur(char *buf, size_t len, uint64_t us)
{
	if (us < 10ULL * 1000000)
		snprintf(buf, len, "%.1f s", (double)us / 1e6);
	else if (us < 120ULL * 1000000)
		snprintf(buf, len, "%llu s", (unsigned long long)(us / 1000000));
	else if (us < 3ULL * 3600 * 1000000)
		snprintf(buf, len, "%llu min",
		    (unsigned long long)((us + 30000000) / 60000000));
	else
		snprintf(buf, len, "%.1f h", (double)us / 3.6e9);
}

/* Packets per second over us, counting at least a millisecond. */
static double
rate(uint64_t n, uint64_t us)
{
	if (us < 1000)
		us = 1000;
	return (double)n * 1e6 / (double)us;
}

/* The figures of a hit over the window that produced it: at twice its
 * threshold or more, what was measured makes the hit high confidence. */
static void
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

static uint64_t
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
static int
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

static void
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

static const char *
proto_name(uint8_t proto)
{
	switch (proto) {
	case 6:
		return "tcp";
	case 17:
		return "udp";
	case 1:
		return "icmp";
	case 58:
		return "icmpv6";
	}
	return "ip";
}

/* ---- floods and port scans: (vm, target) ---- */

static void
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

/*
 * The flood detectors compare the count in the current bucket with
 * pps * bucket length, and report the moment it is crossed; the rate is
 * measured over the part of the bucket gone by, so a flood at twice the
 * threshold or more is high confidence.
 */
/* Whether the VM floods t's target with proto in the current bucket: the
 * count crossed the threshold and the target hardly answers. */
/* The distinct ports the VM sent probes to in the scan window. */
static uint64_t
ports_probed(const struct behave *b, const struct tgt_ent *t)
{
	unsigned i, bits = 0;

	for (i = 0; i < SKETCH_WORDS; i++)
		bits += (unsigned)__builtin_popcountll(t->ports_sent[i]);
	return sketch_estimate(b, bits);
}

/*
 * SYNs at flood rate: syn_flood_pps in a window, or a fifth of that at
 * least at the same rate over the time since the window began (200 SYNs
 * in 0.2 s). A port scan sends as fast, but each port about once: the
 * SYNs are a flood only when the window's probes are twice the ports
 * probed or more (a flood repeats its ports, or keeps sweeping them).
 */
static int
syn_flooding(const struct behave *b, const struct tgt_ent *t, uint64_t now)
{
	const struct behave_cfg *c = &b->cfg;
	uint64_t want = per_window(c->syn_flood_pps, c->flood_window_us);
	uint64_t elapsed = now > t->flood_start ? now - t->flood_start : 0;

	if (t->syns < want && !(t->syns >= want / 5 && t->syns >= 2 &&
	    (double)t->syns * 1e6 >= (double)c->syn_flood_pps *
	    (double)(elapsed > 0 ? elapsed : 1)))
		return 0;
	return t->scan_pkts >= 2 * ports_probed(b, t);
}

/* TCP flows opened without a SYN (ACK, RST, FIN or PSH floods from
 * rotating ports) at SYN-flood rate, nine in ten unanswered but by a
 * RST: a connection seen from its middle gets data or ACKs back. */
static int
tcp_flooding(const struct behave *b, const struct tgt_ent *t)
{
	const struct behave_cfg *c = &b->cfg;

	return t->nosyn >= per_window(c->syn_flood_pps, c->flood_window_us) &&
	    t->nosyn_answered <= t->nosyn / 10;
}

static int
tgt_flooding(const struct behave *b, const struct tgt_ent *t, uint8_t proto,
    uint64_t now)
{
	const struct behave_cfg *c = &b->cfg;
	uint64_t completed = t->synacks < t->syns ? t->synacks : t->syns;

	switch (proto) {
	case 6:
		return syn_flooding(b, t, now) &&
		    (double)completed <= c->syn_flood_completion * t->syns;
	case 17:
		/* one-way only: a QUIC upload or a tunnel gets acks back */
		return t->udp_pkts >= per_window(c->udp_flood_pps,
		    c->flood_window_us) && t->udp_replies <= t->udp_pkts / 10;
	case 1:
	case 58:
		return t->echoes >= per_window(c->icmp_flood_pps,
		    c->flood_window_us);
	}
	return 0;
}

static void
tgt_check_flood(struct behave *b, struct tgt_ent *t, uint64_t now,
    uint8_t proto, struct behave_hit *hits, size_t max, size_t *n)
{
	const struct behave_cfg *c = &b->cfg;
	struct behave_hit h;
	uint64_t elapsed, completed, pps;
	uint8_t bit;
	char dur[32];

	if (!tgt_flooding(b, t, proto, now))
		return;
	elapsed = now > t->flood_start ? now - t->flood_start : 0;
	completed = t->synacks < t->syns ? t->synacks : t->syns;
	if (proto == 6 && !(t->fired & FIRED_SYN)) {
		hit_init(&h, CAT_DOS, "syn_flood", t->k.vm, t->k.target, 6, 0);
		h.count = t->syns;
		h.completed = completed;
		fmt_dur(dur, sizeof(dur), elapsed);
		snprintf(h.detail, sizeof(h.detail),
		    "%u SYNs in %s, %llu completed", t->syns, dur,
		    (unsigned long long)completed);
		pps = c->syn_flood_pps;
		bit = FIRED_SYN;
	} else if (proto == 17 && !(t->fired & FIRED_UDP)) {
		hit_init(&h, CAT_DOS, "udp_flood", t->k.vm, t->k.target, 17, 0);
		h.count = t->udp_pkts;
		fmt_dur(dur, sizeof(dur), elapsed);
		snprintf(h.detail, sizeof(h.detail),
		    "%u UDP packets (%llu bytes) in %s, %u replies",
		    t->udp_pkts, (unsigned long long)t->udp_bytes, dur,
		    t->udp_replies);
		pps = c->udp_flood_pps;
		bit = FIRED_UDP;
	} else if ((proto == 1 || proto == 58) && !(t->fired & FIRED_ICMP)) {
		hit_init(&h, CAT_DOS, "icmp_flood", t->k.vm, t->k.target,
		    proto, 0);
		h.count = t->echoes;
		fmt_dur(dur, sizeof(dur), elapsed);
		snprintf(h.detail, sizeof(h.detail),
		    "%u echo requests in %s", t->echoes, dur);
		pps = c->icmp_flood_pps;
		bit = FIRED_ICMP;
	} else
		return;
	h.window_us = elapsed;
	h.packets = t->pkts;
	h.bytes = t->bytes;
	h.rate_pps = rate(h.count, elapsed);
	if (h.rate_pps >= 2.0 * (double)pps)
		h.confidence = CONF_HIGH;
	if (emit(b, &t->last_dos, now, &h, hits, max, n))
		t->fired |= bit;
}

/* ---- floods at one target from many sources ---- */

static void
addr_text(char *buf, size_t len, const uint8_t a[16])
{
	static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
		0xff, 0xff };

	if (memcmp(a, mapped, sizeof(mapped)) == 0)
		inet_ntop(AF_INET, a + 12, buf, (socklen_t)len);
	else
		inet_ntop(AF_INET6, a, buf, (socklen_t)len);
}

static void
vic_roll(const struct behave *b, struct vic_ent *v, uint64_t now, int fresh)
{
	if (!fresh && now >= v->start && now - v->start < b->cfg.flood_window_us)
		return;
	v->start = now;
	v->sent = v->answers = v->opens = 0;
	v->bytes = 0;
	v->fired = 0;
	v->srcs_set = v->ports_set = 0;
	memset(v->srcs, 0, sizeof(v->srcs));
	memset(v->ports, 0, sizeof(v->ports));
	memset(v->top, 0, sizeof(v->top));
}

static void
vic_count_source(struct vic_ent *v, const uint8_t vm[16])
{
	unsigned i, low = 0;

	for (i = 0; i < VIC_TOP; i++) {
		if (v->top[i].n > 0 && memcmp(v->top[i].vm, vm, 16) == 0) {
			add32(&v->top[i].n, 1);
			goto sort;
		}
		if (v->top[i].n < v->top[low].n)
			low = i;
	}
	memcpy(v->top[low].vm, vm, 16);
	v->top[low].err = v->top[low].n;
	add32(&v->top[low].n, 1);
	i = low;
sort:
	/* keep the largest first */
	while (i > 0 && v->top[i].n > v->top[i - 1].n) {
		uint8_t tvm[16];
		uint32_t tn = v->top[i].n, te = v->top[i].err;

		memcpy(tvm, v->top[i].vm, 16);
		v->top[i] = v->top[i - 1];
		memcpy(v->top[i - 1].vm, tvm, 16);
		v->top[i - 1].n = tn;
		v->top[i - 1].err = te;
		i--;
	}
}

/*
 * The rule: the per-VM flood thresholds (syn_flood_pps, udp_flood_pps,
 * icmp_flood_pps) applied to what all VMs send one target in the bucket,
 * answered as little as a flood is (SYNs completed at most
 * syn_flood_completion, datagrams answered at most a tenth and either
 * new flows or from fast senders, see below; echo requests
 * count answered or not, as for one VM), the SYNs at least twice the
 * ports they went to (many VMs scanning one host is a scan), and no one
 * VM at the threshold by itself: that VM's own flood verdict says it.
 */
static int
vic_flooding(const struct behave *b, const struct vic_ent *v)
{
	const struct behave_cfg *c = &b->cfg;
	uint64_t pps = v->k.proto == 6 || v->k.proto == VIC_NOSYN ?
	    c->syn_flood_pps :
	    v->k.proto == 17 ? c->udp_flood_pps : c->icmp_flood_pps;
	uint64_t want = per_window(pps, c->flood_window_us);

	if (v->k.proto == VIC_LINKCTL)
		return v->sent >= want;	/* no one VM's detector for these */
	if (v->sent < want || v->top[0].n - v->top[0].err >= want)
		return 0;
	switch (v->k.proto) {
	case 6:
		return (double)v->answers <= c->syn_flood_completion *
		    v->sent && v->sent >= 2 * sketch_estimate(b, v->ports_set);
	case VIC_NOSYN:
		return v->answers <= v->sent / 10;
	case 17:
		/* Unanswered datagrams from many sources are also what a
		 * collector receives (log and metric shippers, flow export:
		 * each source one steady flow at a low rate). A flood's are
		 * new flows (random or spoofed sources and ports: an eighth
		 * or more), or come from senders at a flood's pace (on average
		 * a twentieth of the threshold or more each). */
		return v->answers <= v->sent / 10 &&
		    ((uint64_t)v->opens * 8 >= v->sent ||
		    (uint64_t)v->sent * 20 >= want *
		    sketch_estimate(b, v->srcs_set));
	}
	return 1;
}

/* The link's own control messages: router and neighbour discovery (RFC
 * 4861) and multicast listener ones (RFC 2710, 3810). */
static int
is_linkctl(const struct behave_pkt *p)
{
	return p->proto == 58 && ((p->icmp_type >= 130 && p->icmp_type <= 137) ||
	    p->icmp_type == 143);
}

static void
vic_packet(struct behave *b, const struct behave_pkt *p, int sent,
    uint64_t hport, struct behave_hit *hits, size_t max, size_t *n,
    int *flooding)
{
	struct vic_key k;
	struct vic_ent *v;
	struct behave_hit h;
	uint64_t now = p->ts_us, elapsed, hsrc;
	char dur[32], a[INET6_ADDRSTRLEN], more[96];
	unsigned i;
	int fresh;
	size_t used;

	memset(&k, 0, sizeof(k));
	memcpy(k.target, p->target, 16);
	k.proto = p->proto == 58 ? 1 : p->proto;
	if (p->proto == 6 && !(sent ? (p->tcp_flags & (TH_SYN | TH_ACK)) ==
	    TH_SYN : (p->tcp_flags & (TH_SYN | TH_ACK)) == (TH_SYN | TH_ACK)))
		k.proto = VIC_NOSYN;
	if (is_linkctl(p)) {
		/* Link control: one bucket per unicast target, one for all of
		 * the link's multicast groups (keyed as the all-nodes group,
		 * RFC 4291). */
		k.proto = VIC_LINKCTL;
		if (k.target[0] == 0xff) {
			memset(k.target, 0, 16);
			k.target[0] = 0xff;
			k.target[1] = 0x02;
			k.target[15] = 1;
		}
	}
	v = lrutab_get(&b->vic, &b->key, &b->evicted, &k, sent, now, &fresh);
	if (v == NULL)
		return;
	vic_roll(b, v, now, fresh);
	if (!sent) {
		/* a RST is no answer to a packet that opened nothing */
		if (k.proto != VIC_NOSYN || !(p->tcp_flags & TH_RST))
			add32(&v->answers, 1);
		return;
	}
	add32(&v->sent, 1);
	if (p->first_of_side)
		add32(&v->opens, 1);
	v->bytes += p->wire_len;
	hsrc = siphash24(&sketch_key, p->vm, 16);
	if (sketch_add(v->srcs, hsrc))
		v->srcs_set++;
	if (p->proto == 6 && sketch_add(v->ports, hport))
		v->ports_set++;
	vic_count_source(v, p->vm);
	if (!vic_flooding(b, v))
		return;
	if (flooding != NULL)
		*flooding = 1;
	if (v->fired)
		return;
	elapsed = now > v->start ? now - v->start : 0;
	hit_init(&h, CAT_DOS, k.proto == 6 ? "distributed_syn_flood" :
	    k.proto == 17 ? "distributed_udp_flood" : k.proto == VIC_LINKCTL ?
	    "ndp_flood" : k.proto == VIC_NOSYN ? "distributed_tcp_flood" :
	    "distributed_icmp_flood", v->top[0].vm, k.target, p->proto, 0);
	h.count = v->sent;
	h.distinct = sketch_estimate(b, v->srcs_set);
	h.window_us = elapsed;
	h.packets = v->sent;
	h.bytes = v->bytes;
	h.rate_pps = rate(h.count, elapsed);
	if (k.proto == 6)
		h.completed = v->answers < v->sent ? v->answers : v->sent;
	fmt_dur(dur, sizeof(dur), elapsed);
	more[0] = '\0';
	for (i = 0, used = 0; i < VIC_TOP && v->top[i].n > 0; i++) {
		addr_text(a, sizeof(a), v->top[i].vm);
		if (snprintf(more + used, sizeof(more) - used, "%s%s %u",
		    i > 0 ? ", " : "", a, v->top[i].n - v->top[i].err) >=
		    (int)(sizeof(more) -
		    used)) {
			more[used] = '\0';
			break;
		}
		used = strlen(more);
	}
	snprintf(h.detail, sizeof(h.detail), "%u %s from about %llu sources in "
	    "%s, %u answered; most (at least) from %s", v->sent, k.proto == 6 ? "SYNs" :
	    k.proto == 17 ? "datagrams" : k.proto == VIC_LINKCTL ?
	    "neighbour, router or MLD messages" : k.proto == VIC_NOSYN ?
	    "TCP packets opening no connection" :
	    "echo requests or unasked replies",
	    (unsigned long long)h.distinct, dur, v->answers, more);
	if (emit(b, &v->last, now, &h, hits, max, n))
		v->fired = 1;
}

/* An HTTP/1.x request line's start: a method of upper-case letters, a
 * space, then '/' or an absolute URI's scheme (RFC 9112 3). */
static int
http_request_start(const uint8_t *d, size_t len)
{
	size_t i;

	for (i = 0; i < len && i < 8 && d[i] >= 'A' && d[i] <= 'Z'; i++)
		;
	return i >= 3 && i < len - 1 && d[i] == ' ' &&
	    (d[i + 1] == '/' || d[i + 1] == 'h');
}

static int starts(const uint8_t *p, size_t len, const char *s);
static int contains(const uint8_t *p, size_t len, const char *s);
static void brute_roll(const struct behave *b, struct brute_ent *e,
    uint64_t now, int fresh);

/* An HTTP request in clear from the VM: whether the requests to this
 * service carry credentials (a POST, an Authorization header), for the
 * guessing-by-shape rule (brute_shape). */
static void
brute_http_request(struct behave *b, const struct behave_pkt *p)
{
	struct brute_ent *e;
	int fresh;

	e = brute_lookup(b, p->vm, p->target, p->target_port,
	    p->ts_us, &fresh);
	if (e == NULL)
		return;
	brute_roll(b, e, p->ts_us, fresh);
	e->http_plain = 1;
	if (starts(p->payload, p->payload_len, "POST ") ||
	    contains(p->payload, p->payload_len < 2048 ? p->payload_len : 2048,
	    "\nAuthorization:"))
		e->http_creds = 1;
}

/*
 * Application-layer floods on a connection of (VM, target) whose SYN made
 * its entry: HTTP request lines, TLS ClientHellos, or TLS records of a
 * request's size (1000 bytes at most: an upload's are 16 KiB) from the VM
 * at more than http_flood_rps, tls_flood_cps or tls_flood_rps in a flood
 * window (wrk and ab over HTTP and HTTPS: ab a connection a request, wrk
 * many requests a connection),
 * and slow attacks: slow_conns connections established at once with
 * under SLOW_BYTES_PER_CONN a second each from the VM, for SLOW_HOLD_US
 * (slowloris, slow body).
 */
static void
tgt_check_app(struct behave *b, struct tgt_ent *t, uint64_t now,
    const struct behave_pkt *p, struct behave_hit *hits, size_t max,
    size_t *n)
{
	const struct behave_cfg *c = &b->cfg;
	struct behave_hit h;
	uint64_t elapsed = now > t->flood_start ? now - t->flood_start : 0;
	uint64_t count = 0, pps = 0;
	const char *what = NULL;
	char dur[32];

	if (p->from_vm && p->payload != NULL && p->payload_len >= 6) {
		if (http_request_start(p->payload, p->payload_len)) {
			brute_http_request(b, p);
			add32(&t->http_reqs, 1);
			count = t->http_reqs;
			pps = c->http_flood_rps;
			what = "HTTP requests";
		} else if (p->payload[0] == 0x16 && p->payload[1] == 3 &&
		    p->payload[5] == 1) {
			add32(&t->tls_hellos, 1);
			count = t->tls_hellos;
			pps = c->tls_flood_cps;
			what = "TLS handshakes";
		} else if (p->payload[0] == 0x17 && p->payload[1] == 3 &&
		    be16(p->payload + 3) <= TLS_REQUEST_MAX) {
			/* A record the size of a request, not of an upload. */
			add32(&t->tls_recs, 1);
			count = t->tls_recs;
			pps = c->tls_flood_rps;
			what = "request-sized TLS records";
		}
	}
	if (what != NULL && pps > 0 && !(t->fired & FIRED_HTTP) &&
	    count >= per_window(pps, c->flood_window_us)) {
		hit_init(&h, CAT_DOS, "http_flood", t->k.vm, t->k.target, 6,
		    p->target_port);
		h.count = count;
		fmt_dur(dur, sizeof(dur), elapsed);
		snprintf(h.detail, sizeof(h.detail), "%llu %s in %s",
		    (unsigned long long)count, what, dur);
		h.window_us = elapsed;
		h.packets = t->pkts;
		h.bytes = t->bytes;
		h.rate_pps = rate(count, elapsed);
		if (h.rate_pps >= 2.0 * (double)pps)
			h.confidence = CONF_HIGH;
		if (emit(b, &t->last_dos, now, &h, hits, max, n))
			t->fired |= FIRED_HTTP;
	}
	if (t->conns_open < c->slow_conns || c->slow_conns == 0) {
		t->slow_since = 0;
		return;
	}
	if (t->slow_since == 0) {
		t->slow_since = now;
		t->slow_bytes = 0;
	}
	t->slow_bytes += p->wire_len;
	elapsed = now - t->slow_since;
	if (elapsed >= SLOW_HOLD_US && !(t->fired & FIRED_SLOW) &&
	    (double)t->slow_bytes * 1e6 / (double)elapsed <
	    SLOW_BYTES_PER_CONN * (double)t->conns_open) {
		hit_init(&h, CAT_DOS, "slow_http", t->k.vm, t->k.target, 6,
		    p->target_port);
		h.count = t->conns_open;
		fmt_dur(dur, sizeof(dur), elapsed);
		snprintf(h.detail, sizeof(h.detail), "%u connections open at "
		    "once for %s, %.0f bytes a second each from the VM",
		    t->conns_open, dur, (double)t->slow_bytes * 1e6 /
		    (double)elapsed / (double)t->conns_open);
		h.window_us = elapsed;
		h.packets = t->pkts;
		h.bytes = t->slow_bytes;
		h.rate_pps = rate(t->pkts, elapsed);
		if (t->conns_open >= 2 * c->slow_conns)
			h.confidence = CONF_HIGH;
		if (emit(b, &t->last_dos, now, &h, hits, max, n))
			t->fired |= FIRED_SLOW;
	}
}

static void
tgt_check_scan(struct behave *b, struct tgt_ent *t, uint64_t now,
    uint8_t proto, struct behave_hit *hits, size_t max, size_t *n)
{
	struct behave_hit h;
	uint64_t elapsed, distinct;
	char dur[32];

	if (t->fired & FIRED_PORTSCAN)
		return;
	distinct = sketch_estimate(b, t->ports_open);
	if (distinct < b->cfg.scan_ports)
		return;
	elapsed = now > t->scan_start ? now - t->scan_start : 0;
	hit_init(&h, CAT_SCAN, "port_scan", t->k.vm, t->k.target, proto, 0);
	hit_figures(&h, elapsed, t->scan_pkts, t->scan_bytes, t->scan_pkts,
	    distinct, distinct, b->cfg.scan_ports);
	fmt_dur(dur, sizeof(dur), elapsed);
	snprintf(h.detail, sizeof(h.detail), "%llu unanswered ports in %s",
	    (unsigned long long)distinct, dur);
	if (emit(b, &t->last_scan, now, &h, hits, max, n))
		t->fired |= FIRED_PORTSCAN;
}

/* ---- address scans: (vm, proto, port) ---- */

static void
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

static void
port_check(struct behave *b, struct port_ent *e, uint64_t now,
    struct behave_hit *hits, size_t max, size_t *n)
{
	struct behave_hit h;
	uint64_t distinct, elapsed, fast = 0;
	char dur[32];

	if (e->fired)
		return;
	distinct = sketch_estimate(b, e->open);
	if (distinct < b->cfg.scan_hosts) {
		/* The fast rule: hosts that fell silent within the last
		 * scan_fast_window (an epoch restarted when it ends). */
		if (now < e->fast_start ||
		    now - e->fast_start > b->cfg.scan_fast_window_us) {
			e->fast_start = now;
			e->fast_base = e->open;
		}
		fast = distinct - (e->open > e->fast_base ?
		    sketch_estimate(b, e->fast_base) : distinct);
		if (b->cfg.scan_fast_hosts == 0 ||
		    fast < b->cfg.scan_fast_hosts)
			return;
	}
	elapsed = now > e->start ? now - e->start : 0;
	if (fast > 0) {
		elapsed = now > e->fast_start ? now - e->fast_start : 0;
		distinct = fast;
	}
	hit_init(&h, CAT_SCAN, "address_scan", e->k.vm, NULL, e->k.proto,
	    e->k.port);
	hit_figures(&h, elapsed, e->pkts, e->bytes, e->pkts, distinct, distinct,
	    fast > 0 ? b->cfg.scan_fast_hosts : b->cfg.scan_hosts);
	fmt_dur(dur, sizeof(dur), elapsed);
	if (e->k.proto == 1 || e->k.proto == 58)
		snprintf(h.detail, sizeof(h.detail),
		    "%llu hosts not answering echo requests in %s",
		    (unsigned long long)distinct, dur);
	else
		snprintf(h.detail, sizeof(h.detail),
		    "%llu unanswered hosts on %s/%u in %s",
		    (unsigned long long)distinct, proto_name(e->k.proto),
		    e->k.port, dur);
	if (emit(b, &e->last, now, &h, hits, max, n))
		e->fired = 1;
}

/* ---- amplification requests: (vm, kind) ---- */

static int
dns_is_any(const uint8_t *p, size_t len)
{
	size_t off = 12;

	if (len < 12 || (p[2] & 0x80) != 0 || ((p[2] >> 3) & 0x0f) != 0 ||
	    be16(p + 4) == 0)
		return 0;
	while (off < len && p[off] != 0) {
		if ((p[off] & 0xc0) != 0)
			return 0;
		off += 1 + (size_t)p[off];
	}
	if (off >= len || len - off < 5)
		return 0;
	return be16(p + off + 1) == 255;
}

static int
cldap_is_search(const uint8_t *p, size_t len)
{
	size_t off, nlen;

	if (len < 2 || p[0] != 0x30)
		return 0;
	if (p[1] < 0x80)
		off = 2;
	else {
		nlen = p[1] & 0x7f;
		if (nlen == 0 || nlen > 4)
			return 0;
		off = 2 + nlen;
	}
	if (len < off + 2 || p[off] != 0x02 || p[off + 1] == 0 ||
	    p[off + 1] > 4)
		return 0;
	off += 2 + p[off + 1];
	return off < len && p[off] == 0x63;
}

static int
addr_is_multicast(const uint8_t *a)
{
	static const uint8_t v4mapped[12] = {
		0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff
	};

	if (memcmp(a, v4mapped, 12) == 0)
		return a[12] >= 224 && a[12] <= 239;
	return a[0] == 0xff;
}

static int
starts(const uint8_t *p, size_t len, const char *s)
{
	size_t n = strlen(s);

	return len >= n && memcmp(p, s, n) == 0;
}

/* The kind of amplification request p is, or -1. */
static int
amp_kind(const struct behave_pkt *p)
{
	const uint8_t *d = p->payload;
	size_t len = d != NULL ? p->payload_len : 0;

	switch (p->target_port) {
	case 53:
		return dns_is_any(d, len) ? AMP_DNS : -1;
	case 123:
		if (len >= 4 && (d[0] & 0x80) == 0 && (d[0] & 0x07) == 7 &&
		    (d[3] == 42 || d[3] == 20))
			return AMP_NTP;
		return -1;
	case 11211:
		if (len > 8 && (starts(d + 8, len - 8, "stats") ||
		    starts(d + 8, len - 8, "get ") ||
		    starts(d + 8, len - 8, "gets ")))
			return AMP_MEMCACHED;
		return -1;
	case 1900:
		if (starts(d, len, "M-SEARCH") && !addr_is_multicast(p->target))
			return AMP_SSDP;
		return -1;
	case 389:
		return cldap_is_search(d, len) ? AMP_CLDAP : -1;
	case 19:
		return AMP_CHARGEN;
	case 17:
		return AMP_QOTD;
	}
	return -1;
}

static void
amp_packet(struct behave *b, const struct behave_pkt *p, uint64_t htarget,
    struct behave_hit *hits, size_t max, size_t *n)
{
	struct amp_key k;
	struct amp_ent *e;
	struct behave_hit h;
	uint64_t distinct, elapsed, now = p->ts_us;
	int kind, fresh;
	char dur[32];

	if ((kind = amp_kind(p)) < 0)
		return;
	memset(&k, 0, sizeof(k));
	memcpy(k.vm, p->vm, 16);
	k.kind = (uint8_t)kind;
	e = lrutab_get(&b->amp, &b->key, &b->evicted, &k, 1, now, &fresh);
	if (fresh || (now >= e->start && now - e->start >= b->cfg.amp_window_us)) {
		e->start = now;
		e->requests = 0;
		e->bytes = 0;
		e->fired = 0;
		memset(e->servers, 0, sizeof(e->servers));
		e->nservers = 0;
	}
	add32(&e->requests, 1);
	e->bytes += p->wire_len;
	e->nservers += (uint16_t)sketch_add(e->servers, htarget);
	if (e->fired)
		return;
	distinct = sketch_estimate(b, e->nservers);
	if (distinct < b->cfg.amp_servers)
		return;
	elapsed = now > e->start ? now - e->start : 0;
	hit_init(&h, CAT_DOS, amp_kinds[kind].detector, p->vm, NULL, 17,
	    amp_kinds[kind].port);
	hit_figures(&h, elapsed, e->requests, e->bytes, e->requests, distinct,
	    distinct, b->cfg.amp_servers);
	fmt_dur(dur, sizeof(dur), elapsed);
	snprintf(h.detail, sizeof(h.detail), "%u %s to %llu servers in %s",
	    e->requests, amp_kinds[kind].what, (unsigned long long)distinct,
	    dur);
	if (emit(b, &e->last, now, &h, hits, max, n))
		e->fired = 1;
}

/* ---- password guessing: (vm, target, port) ---- */

static int
is_http_port(uint16_t port)
{
	return port == 80 || port == 443 || port == 8080 || port == 8443;
}

static int
is_auth_port(uint16_t port)
{
	switch (port) {
	case 21: case 22: case 23: case 110: case 143: case 3389:
	case 5900: case 3306: case 5432: case 1433:
		return 1;
	}
	return is_http_port(port);
}

static const char *
service_name(uint16_t port)
{
	switch (port) {
	case 21: return "FTP";
	case 22: return "SSH";
	case 23: return "telnet";
	case 110: return "POP3";
	case 143: return "IMAP";
	case 3389: return "RDP";
	case 5900: return "VNC";
	case 3306: return "MySQL";
	case 5432: return "PostgreSQL";
	case 1433: return "MSSQL";
	}
	return is_http_port(port) ? "HTTP" : "login";
}

static const char *
brute_detector(uint16_t port)
{
	switch (port) {
	case 22: return "ssh_guessing";
	case 3389: return "rdp_guessing";
	case 21: return "ftp_guessing";
	case 23: return "telnet_guessing";
	case 110: return "pop3_guessing";
	case 143: return "imap_guessing";
	case 5900: return "vnc_guessing";
	case 3306: return "mysql_guessing";
	case 5432: return "postgresql_guessing";
	case 1433: return "mssql_guessing";
	}
	return is_http_port(port) ? "http_login_guessing" : "login_guessing";
}

static int
contains(const uint8_t *p, size_t len, const char *s)
{
	size_t n = strlen(s), i;

	for (i = 0; i + n <= len; i++)
		if (memcmp(p + i, s, n) == 0)
			return 1;
	return 0;
}

/*
 * Login refusals that say so in their own grammar, read on any port:
 *  - MySQL: an ERR packet (3-byte length, sequence, 0xff) with error 1045,
 *    ER_ACCESS_DENIED_ERROR, and SQLSTATE 28000;
 *  - PostgreSQL: an ErrorResponse ('E', a 4-byte length) whose code field
 *    is 28P01 (invalid_password) or 28000 (invalid_authorization_spec);
 *  - Redis: "-WRONGPASS" (6.0 and later) or "-ERR invalid password";
 *  - SMTP AUTH: reply 535 (RFC 4954: credentials invalid);
 *  - IMAP: a tagged NO with [AUTHENTICATIONFAILED] (RFC 5530);
 *  - VNC: a SecurityResult of 1 (failed), alone (RFB 3.3 and 3.7) or
 *    followed by its reason string (RFB 3.8: a 4-byte length that ends
 *    the message exactly);
 *  - SMB2: a response header with STATUS_LOGON_FAILURE (0xc000006d).
 */
enum login_svc {
	SVC_NONE, SVC_PORT, SVC_MYSQL, SVC_POSTGRES, SVC_REDIS, SVC_SMTP,
	SVC_IMAP, SVC_VNC, SVC_SMB, SVC_TLS
};

static const struct {
	const char *name, *detector;
} login_svcs[] = {
	[SVC_MYSQL] = { "MySQL", "mysql_guessing" },
	[SVC_POSTGRES] = { "PostgreSQL", "postgresql_guessing" },
	[SVC_REDIS] = { "Redis", "redis_guessing" },
	[SVC_SMTP] = { "SMTP AUTH", "smtp_guessing" },
	[SVC_IMAP] = { "IMAP", "imap_guessing" },
	[SVC_VNC] = { "VNC", "vnc_guessing" },
	[SVC_SMB] = { "SMB", "smb_guessing" },
	[SVC_TLS] = { "TLS-wrapped", "tls_login_guessing" },
};

/* len: the bytes captured at p; wire: the payload's bytes on the wire (a
 * short snap length cuts a reply, not its header). */
static enum login_svc
refusal_kind(const uint8_t *p, size_t len, size_t wire)
{
	size_t i;

	if (len >= 13 && p[4] == 0xff && p[5] == 0x15 && p[6] == 0x04 &&
	    p[7] == '#' && memcmp(p + 8, "28000", 5) == 0 &&
	    (size_t)(p[0] | p[1] << 8 | p[2] << 16) + 4 <= wire)
		return SVC_MYSQL;
	if (len >= 12 && p[0] == 'E' && p[1] == 0 && p[5] == 'S') {
		for (i = 5; i + 7 <= len && i < 160; i++)
			if (p[i - 1] == 0 && p[i] == 'C' && p[i + 6] == 0 &&
			    (memcmp(p + i + 1, "28P01", 5) == 0 ||
			    memcmp(p + i + 1, "28000", 5) == 0))
				return SVC_POSTGRES;
	}
	if (starts(p, len, "-WRONGPASS ") ||
	    starts(p, len, "-ERR invalid password"))
		return SVC_REDIS;
	if (starts(p, len, "535 ") || starts(p, len, "535-"))
		return SVC_SMTP;
	if (len > 0 && p[0] != '*' && contains(p, len < 64 ? len : 64,
	    " NO [AUTHENTICATIONFAILED]"))
		return SVC_IMAP;
	if (len > 8 && p[0] == 0 && p[1] == 0 && p[2] == 0 && p[3] == 1 &&
	    (size_t)((uint32_t)p[4] << 24 | (uint32_t)p[5] << 16 |
	    (uint32_t)p[6] << 8 | p[7]) + 8 == wire && p[8] >= 0x20 &&
	    p[8] < 0x7f)
		return SVC_VNC;
	if (wire == 4 && len == 4 && p[0] == 0 && p[1] == 0 && p[2] == 0 &&
	    p[3] == 1)
		return SVC_VNC;
	if (len >= 16 && p[0] == 0 && p[4] == 0xfe && p[5] == 'S' &&
	    p[6] == 'M' && p[7] == 'B' && p[12] == 0x6d && p[13] == 0 &&
	    p[14] == 0 && p[15] == 0xc0)
		return SVC_SMB;
	return SVC_NONE;
}

/*
 * Login successes that say so in their own grammar, read on any port: a
 * connection that got one was a login, not a guess, and is not counted
 * (a client polling a database with the right password every few seconds
 * makes as many short connections as a slow guesser):
 *  - PostgreSQL: AuthenticationOk ('R', length 8, code 0) or ReadyForQuery
 *    ('Z', length 5), found by walking the messages of the segment by
 *    their lengths (the code may lie past a short snap length);
 *  - MySQL: an OK packet (0x00) that is the whole segment, sequence 2 or
 *    more (after the handshake and the client's login);
 *  - FTP: 230 (user logged in); SMTP AUTH: 235 (RFC 4954);
 *  - Redis: "+OK" that is the whole segment (what AUTH answers);
 *  - VNC: a SecurityResult of 0 (OK), four bytes alone.
 */
static int
is_login_success(const uint8_t *p, size_t len, size_t wire)
{
	size_t off, mlen;

	for (off = 0; off + 5 <= len && off + 5 <= wire; off += 1 + mlen) {
		mlen = (size_t)p[off + 1] << 24 | (size_t)p[off + 2] << 16 |
		    (size_t)p[off + 3] << 8 | p[off + 4];
		if (mlen < 4 || off + 1 + mlen > wire || p[off] == 0 ||
		    strchr("RSKZNE", p[off]) == NULL)
			break;
		if ((p[off] == 'R' && mlen == 8 && (off + 9 > len ||
		    (p[off + 5] | p[off + 6] | p[off + 7] | p[off + 8]) == 0)) ||
		    (p[off] == 'Z' && mlen == 5))
			return 1;
	}
	if (len >= 7 && p[3] >= 2 && p[4] == 0x00 &&
	    (size_t)(p[0] | p[1] << 8 | p[2] << 16) + 4 == wire)
		return 1;
	if (starts(p, len, "230 ") || starts(p, len, "230-") ||
	    starts(p, len, "235 "))
		return 1;
	if (wire == 5 && starts(p, len, "+OK\r\n"))
		return 1;
	return wire == 4 && len == 4 && (p[0] | p[1] | p[2] | p[3]) == 0;
}

/* Whether a payload from the server on port says a login failed. */
static int
is_failure_reply(uint16_t port, const uint8_t *p, size_t len)
{
	size_t i;

	switch (port) {
	case 21:
		return starts(p, len, "530 ") || starts(p, len, "530-");
	case 23:
		return contains(p, len, "Login incorrect");
	case 110:
		return starts(p, len, "-ERR");
	case 143:
		/* "a1 NO ...": a tag, not the untagged "*" */
		if (len == 0 || p[0] == '*' || p[0] == ' ')
			return 0;
		for (i = 0; i < len && i < 64 && p[i] != ' '; i++)
			if (p[i] == '\r' || p[i] == '\n')
				return 0;
		return starts(p + i, len - i, " NO ");
	}
	if (is_http_port(port))
		return starts(p, len, "HTTP/1.0 401") ||
		    starts(p, len, "HTTP/1.1 401");
	return 0;
}

static void
brute_roll(const struct behave *b, struct brute_ent *e, uint64_t now,
    int fresh)
{
	if (!fresh && (now < e->start || now - e->start < b->cfg.brute_window_us))
		return;
	e->start = now;
	e->attempts = e->replies = e->unclaimed = e->ok_unclaimed = e->pkts = 0;
	e->bytes = 0;
	e->fired = 0;
	e->http_failed = 0;
	e->http_plain = e->http_creds = 0;
}

static void
brute_check(struct behave *b, struct brute_ent *e, uint64_t now,
    struct behave_hit *hits, size_t max, size_t *n)
{
	struct behave_hit h;
	uint64_t elapsed;
	char dur[32];
	const char *svc;

	if (e->fired || e->attempts < b->cfg.brute_attempts)
		return;
	elapsed = now > e->start ? now - e->start : 0;
	svc = e->ssh ? "SSH" : e->svc > SVC_PORT ? login_svcs[e->svc].name :
	    service_name(e->k.port);
	hit_init(&h, CAT_BRUTEFORCE, e->ssh ? "ssh_guessing" :
	    e->svc > SVC_PORT ? login_svcs[e->svc].detector :
	    brute_detector(e->k.port), e->k.vm, e->k.target, 6, e->k.port);
	hit_figures(&h, elapsed, e->pkts, e->bytes, e->attempts, 0, e->attempts,
	    b->cfg.brute_attempts);
	fmt_dur(dur, sizeof(dur), elapsed);
	if (e->replies == 0)
		snprintf(h.detail, sizeof(h.detail),
		    "%u short %s connections in %s", e->attempts, svc, dur);
	else
		snprintf(h.detail, sizeof(h.detail),
		    "%u %s login attempts (%u failure replies) in %s",
		    e->attempts, svc, e->replies, dur);
	if (emit(b, &e->last, now, &h, hits, max, n))
		e->fired = 1;
}

static void
brute_reply(struct behave *b, const struct behave_pkt *p,
    struct behave_hit *hits, size_t max, size_t *n)
{
	struct brute_ent *e;
	int fresh;
	size_t wire = p->payload_wire > p->payload_len ? p->payload_wire :
	    p->payload_len;
	enum login_svc svc = refusal_kind(p->payload, p->payload_len, wire);

	if (svc == SVC_NONE && is_login_success(p->payload, p->payload_len,
	    wire)) {
		e = brute_lookup(b, p->vm, p->target, p->target_port,
		    p->ts_us, &fresh);
		if (e != NULL) {
			brute_roll(b, e, p->ts_us, fresh);
			if (e->ok_unclaimed < 1024)
				e->ok_unclaimed++;
		}
		return;
	}
	if (svc == SVC_NONE && (!is_auth_port(p->target_port) ||
	    !is_failure_reply(p->target_port, p->payload, p->payload_len)))
		return;
	e = brute_lookup(b, p->vm, p->target, p->target_port,
	    p->ts_us, &fresh);
	if (e == NULL)
		return;
	brute_roll(b, e, p->ts_us, fresh);
	if (svc != SVC_NONE)
		e->svc = (uint8_t)svc;
	e->attempts++;
	e->replies++;
	e->unclaimed++;
	if (is_http_port(p->target_port))
		e->http_failed = 1;
	brute_check(b, e, p->ts_us, hits, max, n);
}

/*
 * A short connection to an authentication service is one attempt, unless
 * failure replies were already counted for it: then those stand for the
 * connection (a client that tried three passwords in one FTP session is
 * three attempts, not four). Web ports count only once a 401 was seen.
 */
/* Whether v is within a tenth, or 64 bytes, of ref. */
static int
same_shape(uint32_t ref, uint64_t v)
{
	uint64_t d = v > ref ? v - ref : ref - v;
	uint64_t tol = ref / 10 > 64 ? ref / 10 : 64;

	return d <= tol;
}

/*
 * Password guessing on any port and through TLS, where no failure reply
 * can be read: many short connections to one service that all look
 * alike and get little back (a guessing tool sends the same request with
 * another password and gets the same refusal). Two shapes are followed
 * at once, since some tools alternate (hydra's http-post-form fetches
 * the form, then posts, each on its own connection).
 */
static void
brute_shape(struct behave *b, struct brute_ent *e, const struct behave_conn *c,
    struct behave_hit *hits, size_t max, size_t *n)
{
	struct behave_hit h;
	uint64_t elapsed;
	unsigned i, s = 2, total;
	char dur[32];

	if (c->bytes_to_vm >= BRUTE_SHAPE_BACK_MAX)
		return;
	/* HTTP in clear says what it asks: GETs without credentials (the
	 * same small file fetched 200 times) are no login attempts. */
	if (e->http_plain && !e->http_creds)
		return;
	for (i = 0; i < 2; i++)
		if (e->shaped[i] > 0 && c->ts_us >= e->shape_start[i] &&
		    c->ts_us - e->shape_start[i] <= BRUTE_SHAPE_US &&
		    same_shape(e->shape_to[i], c->bytes_to_vm) &&
		    same_shape(e->shape_from[i], c->bytes_from_vm))
			s = i;
	if (s == 2) {
		/* A new reference in place of the emptier or older one. */
		s = e->shaped[0] > e->shaped[1] ||
		    (e->shaped[0] == e->shaped[1] &&
		    e->shape_start[0] > e->shape_start[1]) ? 1 : 0;
		if (e->shaped[s] > 0 && c->ts_us >= e->shape_start[s] &&
		    c->ts_us - e->shape_start[s] <= BRUTE_SHAPE_US &&
		    e->shaped[!s] > 0 && c->ts_us >= e->shape_start[!s] &&
		    c->ts_us - e->shape_start[!s] > BRUTE_SHAPE_US)
			s = !s;		/* replace the one out of its window */
		e->shape_to[s] = (uint32_t)c->bytes_to_vm;
		e->shape_from[s] = (uint32_t)c->bytes_from_vm;
		e->shape_start[s] = c->ts_us;
		e->shaped[s] = 1;
		return;
	}
	e->shaped[s]++;
	/* The other shape counts when it began no earlier: alternating. */
	total = e->shaped[s] + (e->shape_start[!s] >= e->shape_start[s] ?
	    e->shaped[!s] : 0);
	if (e->fired || total < b->cfg.brute_attempts)
		return;
	elapsed = c->ts_us - e->shape_start[s];
	if ((double)e->shaped[s] * 1e6 > BRUTE_SHAPE_MAX_RATE *
	    (double)(elapsed > 0 ? elapsed : 1))
		return;
	/* Nor when the VM was reported flooding this target within the
	 * window: alike connections of a flood are the flood (ab). */
	{
		struct tgt_ent *t;
		int fresh;

		t = tgt_lookup(b, c->vm, c->target, 0, c->ts_us,
		    &fresh);
		if (t != NULL && t->last_dos != 0 &&
		    (c->ts_us + 1 < t->last_dos ||
		    c->ts_us + 1 - t->last_dos <= BRUTE_SHAPE_US))
			return;
	}
	hit_init(&h, CAT_BRUTEFORCE, brute_detector(e->k.port), e->k.vm,
	    e->k.target, 6, e->k.port);
	hit_figures(&h, elapsed, e->pkts, e->bytes, total, 0, total,
	    b->cfg.brute_attempts);
	fmt_dur(dur, sizeof(dur), elapsed);
	snprintf(h.detail, sizeof(h.detail), "%u short connections of %s "
	    "(%u bytes out, %u back) to port %u in %s", total,
	    total > e->shaped[s] ? "two alternating shapes" : "one shape",
	    e->shape_from[s], e->shape_to[s], e->k.port, dur);
	if (emit(b, &e->last, c->ts_us, &h, hits, max, n))
		e->fired = 1;
}

/*
 * A connection whose login a protocol reader followed and saw refused
 * (an SSH session with no success reply, or a TLS session whose server
 * answered small requests only after a wrong password's delay, see
 * tlsrec.h): each refused attempt is one,
 * and a connection that was refused before any counted retry (a client
 * that skipped the "none" probe and gave up after one try) is one. This
 * is what finds a guesser trying several passwords a connection on any
 * port; it replaces the short-connection count for the connection.
 */
static size_t
login_refused(struct behave *b, const struct behave_conn *c,
    struct behave_hit *hits, size_t max)
{
	struct brute_ent *e;
	size_t n = 0;
	int fresh;

	e = brute_lookup(b, c->vm, c->target, c->target_port,
	    c->ts_us, &fresh);
	if (e == NULL)
		return 0;
	brute_roll(b, e, c->ts_us, fresh);
	if (c->login_tls)
		e->svc = SVC_TLS;
	else
		e->ssh = 1;
	add32(&e->pkts, c->pkts_from_vm);
	e->bytes += c->bytes_from_vm;
	add32(&e->attempts, c->logins_refused > 0 ? c->logins_refused : 1);
	add32(&e->replies, c->logins_refused);
	brute_check(b, e, c->ts_us, hits, max, &n);
	return n;
}

size_t
behave_conn_end(struct behave *b, const struct behave_conn *c,
    struct behave_hit *hits, size_t max)
{
	struct brute_ent *e;
	size_t n = 0;
	int fresh, web;

	if (c->proto == 6 && c->established) {
		struct tgt_ent *t;

		t = tgt_lookup(b, c->vm, c->target, 0, c->ts_us,
		    &fresh);
		if (t != NULL && t->conns_open > 0)
			t->conns_open--;
	}
	if (c->proto == 6 && c->login_read)
		return login_refused(b, c, hits, max);
	if (c->proto != 6 || !c->established ||
	    c->duration_us >= BRUTE_SHORT_US ||
	    c->bytes_to_vm >= BRUTE_SMALL_BYTES)
		return 0;
	web = is_http_port(c->target_port);
	e = brute_lookup(b, c->vm, c->target, c->target_port,
	    c->ts_us, &fresh);
	if (e == NULL)
		return 0;
	brute_roll(b, e, c->ts_us, fresh);
	if (e->ok_unclaimed > 0) {
		/* The server said the login succeeded: no guess. */
		e->ok_unclaimed--;
		return 0;
	}
	brute_shape(b, e, c, hits, max, &n);
	if (!is_auth_port(c->target_port) || (web && !e->http_failed))
		return n;
	add32(&e->pkts, c->pkts_from_vm);
	e->bytes += c->bytes_from_vm;
	if (e->unclaimed > 0)
		e->unclaimed = 0;
	else if (!web)
		e->attempts++;
	brute_check(b, e, c->ts_us, hits, max, &n);
	return n;
}

/* ---- packets ---- */

/*
 * IPv6 host discovery by multicast: a packet to a multicast group that
 * carries an option of a type no standard defines, whose action orders
 * every host to answer with a Parameter Problem even to multicast (RFC
 * 8200 4.2, decode.c). No stack sends one; thc-ipv6's alive6 sends it to
 * the all-nodes group with its echo request, so one is a scan of the
 * link.
 */
static void
mcast_discovery(struct behave *b, const struct behave_pkt *p,
    struct behave_hit *hits, size_t max, size_t *n)
{
	struct tgt_ent *t;
	struct behave_hit h;
	char a[INET6_ADDRSTRLEN];
	int fresh;

	t = tgt_lookup(b, p->vm, p->target, 1, p->ts_us, &fresh);
	if (t == NULL)
		return;
	tgt_roll(b, t, p->ts_us, fresh);
	hit_init(&h, CAT_SCAN, "multicast_discovery", p->vm, p->target,
	    p->proto, 0);
	h.confidence = CONF_HIGH;
	h.count = 1;
	h.packets = 1;
	h.bytes = p->wire_len;
	addr_text(a, sizeof(a), p->target);
	snprintf(h.detail, sizeof(h.detail), "a probe to %s with an unknown "
	    "IPv6 option that orders every host to answer", a);
	emit(b, &t->last_scan, p->ts_us, &h, hits, max, n);
}

/*
 * A TCP flow the VM opened without a SYN (from_vm), or the target's first
 * answer on one: counted in the flood bucket of (VM, target) for the
 * tcp_flood detector. own: the packet is counted here only (a probe of a
 * FIN, XMAS or NULL scan never reaches the bucket's packet count).
 */
static void
nosyn_packet(struct behave *b, const struct behave_pkt *p, int own,
    struct behave_hit *hits, size_t max, size_t *n, int *flooding)
{
	struct tgt_ent *t;
	struct behave_hit h;
	uint64_t now = p->ts_us, elapsed;
	int fresh;
	char dur[32];

	t = tgt_lookup(b, p->vm, p->target, p->from_vm, now,
	    &fresh);
	if (t == NULL)
		return;
	tgt_roll(b, t, now, fresh);
	if (!p->from_vm) {
		if (!(p->tcp_flags & TH_RST))
			add32(&t->nosyn_answered, 1);
		return;
	}
	add32(&t->nosyn, 1);
	if (own) {
		t->pkts++;
		t->bytes += p->wire_len;
	}
	if (!tcp_flooding(b, t))
		return;
	if (flooding != NULL)
		*flooding = 1;
	if (t->fired & FIRED_TCP)
		return;
	elapsed = now > t->flood_start ? now - t->flood_start : 0;
	hit_init(&h, CAT_DOS, "tcp_flood", t->k.vm, t->k.target, 6, 0);
	h.count = t->nosyn;
	fmt_dur(dur, sizeof(dur), elapsed);
	snprintf(h.detail, sizeof(h.detail), "%u TCP packets opening no "
	    "connection (no SYN) in %s, %u answered other than by a RST",
	    t->nosyn, dur, t->nosyn_answered);
	h.window_us = elapsed;
	/* this packet too, which the bucket counts after */
	h.packets = t->pkts + (own ? 0 : 1);
	h.bytes = t->bytes + (own ? 0 : p->wire_len);
	h.rate_pps = rate(h.count, elapsed);
	if (h.rate_pps >= 2.0 * (double)b->cfg.syn_flood_pps)
		h.confidence = CONF_HIGH;
	if (emit(b, &t->last_dos, now, &h, hits, max, n))
		t->fired |= FIRED_TCP;
}

/*
 * A scan probe (sent 1) or its answer (sent 0) that is not a SYN, a
 * datagram or an echo: into the port sketch of (VM, target) and the host
 * sketch of (VM, protocol, port), then the scan checks. The flood
 * counters are not touched.
 */
static void
scan_probe(struct behave *b, const struct behave_pkt *p, uint16_t port,
    int sent, struct behave_hit *hits, size_t max, size_t *n)
{
	struct port_key pk;
	struct tgt_ent *t;
	struct port_ent *pe;
	uint64_t now = p->ts_us, htarget, hport;
	int fresh;

	htarget = target_hash(b, p->target);
	hport = port_hash(b, port);
	t = tgt_lookup(b, p->vm, p->target, sent, now,
	    &fresh);
	if (t != NULL) {
		tgt_roll(b, t, now, fresh);
		/* A RST to a SYN probe: the SYN was counted already. */
		if (sent && (p->from_vm || !sketch_has(t->ports_sent, hport))) {
			add32(&t->scan_pkts, 1);
			t->scan_bytes += p->wire_len;
		}
		if (sent) {
			sketch_sent(t->ports_sent, t->ports_answered,
			    &t->ports_open, hport);
			tgt_check_scan(b, t, now, p->proto, hits, max, n);
		} else
			sketch_answered(t->ports_sent, t->ports_answered,
			    &t->ports_open, hport);
	}
	memset(&pk, 0, sizeof(pk));
	memcpy(pk.vm, p->vm, 16);
	pk.proto = p->proto;
	pk.port = p->proto == 6 || p->proto == 132 ? port : 0;
	pe = lrutab_get(&b->port, &b->key, &b->evicted, &pk, sent, now, &fresh);
	if (pe != NULL) {
		port_roll(b, pe, now, fresh);
		if (sent && (p->from_vm || !sketch_has(pe->sent, htarget))) {
			add32(&pe->pkts, 1);
			pe->bytes += p->wire_len;
		}
		if (sent) {
			sketch_sent(pe->sent, pe->answered, &pe->open, htarget);
			port_check(b, pe, now, hits, max, n);
		} else
			sketch_answered(pe->sent, pe->answered, &pe->open,
			    htarget);
	}
}

size_t
behave_packet(struct behave *b, const struct behave_pkt *p,
    struct behave_hit *hits, size_t max, int *flooding)
{
	struct port_key pk;
	struct tgt_ent *t;
	struct port_ent *pe;
	uint64_t now = p->ts_us, htarget, hport;
	uint16_t port;
	size_t n = 0;
	int syn, synack, udp, echo, echo_reply, sent, answer, probe, fresh;
	int other, xprobe, xanswer, linkctl;

	if (flooding != NULL)
		*flooding = 0;
	syn = p->proto == 6 && (p->tcp_flags & (TH_SYN | TH_ACK | TH_RST)) ==
	    TH_SYN;
	synack = p->proto == 6 && (p->tcp_flags & (TH_SYN | TH_ACK | TH_RST)) ==
	    (TH_SYN | TH_ACK);
	udp = p->proto == 17;
	echo = (p->proto == 1 && p->icmp_type == 8) ||
	    (p->proto == 58 && p->icmp_type == 128);
	echo_reply = (p->proto == 1 && p->icmp_type == 0) ||
	    (p->proto == 58 && p->icmp_type == 129);
	linkctl = p->from_vm && is_linkctl(p);
	sent = p->from_vm && (syn || udp || echo);
	answer = !p->from_vm && (synack || udp || echo_reply);
	port = (p->proto == 6 || udp) ? p->target_port : 0;
	/* traceroute's probes walk these ports; nobody answers them in UDP */
	probe = udp && p->target_port >= 33434 && p->target_port <= 33534;

	/* The scan probes a SYN, a datagram or an echo request are not (see
	 * the top of the file), each the first packet of its side in a flow
	 * the VM opened, and their answers. */
	other = p->proto != 6 && p->proto != 17 && p->proto != 1 &&
	    p->proto != 58;
	xprobe = xanswer = 0;
	if (p->first_of_side && p->vm_opened) {
		if (p->proto == 6 && p->from_vm)
			xprobe = !(p->tcp_flags & (TH_SYN | TH_ACK | TH_RST)) &&
			    p->payload_len == 0;
		else if (p->proto == 6)
			xprobe = (p->tcp_flags & TH_RST) && p->vm_pkts == 1;
		else if (p->proto == 132 && p->from_vm)
			xprobe = p->payload_len > 0 && p->payload[0] == 1;
		else if (p->proto == 132)
			xanswer = p->payload_len == 0 || p->payload[0] != 6;
		else if (other && p->from_vm)
			xprobe = 1;
		else if (other)
			xanswer = 1;
	}
	if (other && p->proto != 132)
		port = (uint16_t)(0xff00 | p->proto);	/* a protocol scan */
	else if (p->proto == 132)
		port = p->target_port;
	if (p->proto == 6 && p->first_of_side && p->vm_opened &&
	    !(p->tcp_flags & TH_SYN) && (p->from_vm || p->vm_pkts == 1))
		nosyn_packet(b, p, xprobe || xanswer, hits, max, &n,
		    flooding);
	/* The same from many sources at one target (spoofed ACK or RST
	 * floods, SYN-ACKs reflected at their victim), with the target's
	 * first answers. */
	if (p->proto == 6 && p->first_of_side && p->vm_opened &&
	    (p->from_vm ? (p->tcp_flags & (TH_SYN | TH_ACK)) != TH_SYN :
	    p->vm_pkts == 1 && (p->tcp_flags & (TH_SYN | TH_ACK)) !=
	    (TH_SYN | TH_ACK)))
		vic_packet(b, p, p->from_vm, 0, hits, max, &n, flooding);
	if (p->from_vm && p->forcing && p->target[0] == 0xff)
		mcast_discovery(b, p, hits, max, &n);
	if (xprobe || xanswer) {
		scan_probe(b, p, port, xprobe, hits, max, &n);
		return n;
	}

	/* answers only matter to keys the VM opened; they never create */
	if (!p->from_vm && !answer) {
		if (p->proto == 6 && p->payload != NULL && p->payload_len > 0)
			brute_reply(b, p, hits, max, &n);
		return n;
	}

	/* Sketch positions use a fixed key, unlike the tables: the same
	 * capture must give the same estimates, and so the same verdicts, in
	 * every replay. Only opening and answering packets touch a sketch;
	 * the rest of a conversation only counts. */
	htarget = hport = 0;
	if (sent || answer) {
		htarget = target_hash(b, p->target);
		hport = port_hash(b, port);
	}

	t = tgt_lookup(b, p->vm, p->target, sent, now,
	    &fresh);
	if (t != NULL) {
		tgt_roll(b, t, now, fresh);
		if (p->from_vm) {
			t->pkts++;
			t->bytes += p->wire_len;
			if (sent) {
				add32(&t->scan_pkts, 1);
				t->scan_bytes += p->wire_len;
			}
			if (syn)
				t->syns++;
			else if (udp) {
				t->udp_pkts++;
				t->udp_bytes += p->wire_len;
			} else if (echo)
				t->echoes++;
			if (syn || (udp && !probe))
				sketch_sent(t->ports_sent, t->ports_answered,
				    &t->ports_open, hport);
			if (p->proto == 6)
				tgt_check_app(b, t, now, p, hits, max, &n);
		} else {
			if (synack && p->first_of_side)
				add32(&t->conns_open, 1);
			if (synack)
				t->synacks++;
			else if (udp)
				t->udp_replies++;
			if (synack || udp)
				sketch_answered(t->ports_sent,
				    t->ports_answered, &t->ports_open, hport);
		}
		if (sent) {
			tgt_check_flood(b, t, now, p->proto, hits, max, &n);
			if (flooding != NULL)
				*flooding = tgt_flooding(b, t, p->proto, now);
			if (syn || udp)
				tgt_check_scan(b, t, now, p->proto, hits,
				    max, &n);
		}
	}

	if ((sent || answer) && !probe) {
		memset(&pk, 0, sizeof(pk));
		memcpy(pk.vm, p->vm, 16);
		pk.proto = p->proto;
		pk.port = port;
		pe = lrutab_get(&b->port, &b->key, &b->evicted, &pk, sent, now, &fresh);
		if (pe != NULL) {
			port_roll(b, pe, now, fresh);
			if (sent) {
				add32(&pe->pkts, 1);
				pe->bytes += p->wire_len;
				sketch_sent(pe->sent, pe->answered, &pe->open,
				    htarget);
				port_check(b, pe, now, hits, max, &n);
			} else
				sketch_answered(pe->sent, pe->answered,
				    &pe->open, htarget);
		}
	}

	/* An echo reply that opens its flow answers nothing the capture
	 * saw: reflected at its victim (smurf), it floods like a request. */
	if (sent || answer || echo_reply || linkctl)
		vic_packet(b, p, sent || linkctl || (echo_reply && p->from_vm &&
		    p->first_of_side && p->vm_opened), hport, hits, max, &n,
		    flooding);
	if (p->from_vm && udp)
		amp_packet(b, p, htarget, hits, max, &n);
	return n;
}

/* ---- life cycle ---- */

struct behave *
behave_new(const struct behave_cfg *cfg, char *err, size_t errlen)
{
	struct behave *b;
	unsigned i;
	uint64_t idle;

	if (cfg->max_entries == 0 || cfg->max_entries > MAX_ENTRIES) {
		snprintf(err, errlen, "behave: max_entries must be 1..%u",
		    MAX_ENTRIES);
		return NULL;
	}
	if (cfg->flood_window_us == 0 || cfg->amp_window_us == 0 ||
	    cfg->scan_window_us == 0 || cfg->brute_window_us == 0) {
		snprintf(err, errlen, "behave: windows must be positive");
		return NULL;
	}
	if (cfg->syn_flood_pps == 0 || cfg->udp_flood_pps == 0 ||
	    cfg->icmp_flood_pps == 0 || cfg->amp_servers == 0 ||
	    cfg->scan_ports == 0 || cfg->scan_hosts == 0 ||
	    cfg->brute_attempts == 0) {
		snprintf(err, errlen, "behave: thresholds must be positive");
		return NULL;
	}
	if (cfg->syn_flood_pps > UINT32_MAX || cfg->udp_flood_pps > UINT32_MAX ||
	    cfg->icmp_flood_pps > UINT32_MAX ||
	    cfg->flood_window_us > 60ULL * 1000000) {
		snprintf(err, errlen, "behave: flood rate or window too large");
		return NULL;
	}
	b = xcalloc(1, sizeof(*b));
	b->cfg = *cfg;
	if (siphash_key_random(&b->key) == -1) {
		snprintf(err, errlen, "behave: no random hash key");
		free(b);
		return NULL;
	}
	/* linear counting, by bits set: n = -m ln(zeros / m), rounded down
	 * (up to 31 bits set it then equals the bits set, so a sketch never
	 * over-counts a few items); a full map is read as one zero */
	for (i = 0; i <= SKETCH_BITS; i++) {
		double zeros = i < SKETCH_BITS ? SKETCH_BITS - i : 1;

		b->estimate[i] = (uint16_t)(-(double)SKETCH_BITS *
		    log(zeros / SKETCH_BITS));
	}
	idle = cfg->flood_window_us > cfg->scan_window_us ?
	    cfg->flood_window_us : cfg->scan_window_us;
	b->bytes = sizeof(*b);
	b->bytes += lrutab_init(&b->tgt, cfg->max_entries, sizeof(struct tgt_ent),
	    offsetof(struct tgt_ent, k), sizeof(struct tgt_key), idle);
	b->bytes += lrutab_init(&b->port, cfg->max_entries,
	    sizeof(struct port_ent), offsetof(struct port_ent, k),
	    sizeof(struct port_key), cfg->scan_window_us);
	b->bytes += lrutab_init(&b->brute, cfg->max_entries,
	    sizeof(struct brute_ent), offsetof(struct brute_ent, k),
	    sizeof(struct brute_key), cfg->brute_window_us);
	b->bytes += lrutab_init(&b->amp, cfg->max_entries, sizeof(struct amp_ent),
	    offsetof(struct amp_ent, k), sizeof(struct amp_key),
	    cfg->amp_window_us);
	/* Targets under a flood are few; a quarter of the keys is plenty. */
	b->bytes += lrutab_init(&b->vic, cfg->max_entries / 4 > 0 ?
	    cfg->max_entries / 4 : 1, sizeof(struct vic_ent),
	    offsetof(struct vic_ent, k), sizeof(struct vic_key),
	    cfg->flood_window_us);
	return b;
}

void
behave_free(struct behave *b)
{
	if (b == NULL)
		return;
	lrutab_free(&b->tgt);
	lrutab_free(&b->port);
	lrutab_free(&b->brute);
	lrutab_free(&b->amp);
	lrutab_free(&b->vic);
	free(b);
}

uint64_t
behave_unanswered_ports(struct behave *b, const uint8_t vm[16],
    const uint8_t target[16], uint64_t now)
{
	struct tgt_ent *t;
	int fresh;

	t = tgt_lookup(b, vm, target, 0, now,
	    &fresh);
	if (t == NULL || now < t->scan_start ||
	    now - t->scan_start >= b->cfg.scan_window_us)
		return 0;
	return sketch_estimate(b, t->ports_open);
}

uint64_t
behave_unanswered_hosts(struct behave *b, const uint8_t vm[16],
    uint8_t proto, uint16_t port, uint64_t now)
{
	struct port_key pk;
	struct port_ent *e;
	int fresh;

	memset(&pk, 0, sizeof(pk));
	memcpy(pk.vm, vm, 16);
	pk.proto = proto;
	pk.port = port;
	e = lrutab_get(&b->port, &b->key, &b->evicted, &pk, 0, now, &fresh);
	if (e == NULL || now < e->start ||
	    now - e->start >= b->cfg.scan_window_us)
		return 0;
	return sketch_estimate(b, e->open);
}

void
behave_stats(const struct behave *b, struct behave_stats *st)
{
	memset(st, 0, sizeof(*st));
	st->entries = (uint64_t)b->tgt.used + b->port.used + b->brute.used +
	    b->amp.used + b->vic.used;
	st->evicted = b->evicted;
	st->bytes = b->bytes;
	st->hits = b->hits;
	st->suppressed = b->suppressed;
}
