/*
 * behave_flood.c: floods, told from busy traffic by how little of what
 * is sent gets answered and by its rate over a short bucket
 * (flood_window_us):
 *  - from one VM at one target (the (vm, target) table): SYNs at
 *    syn_flood_pps that hardly complete and repeat their ports (a port
 *    scan sends as fast, but each port once), one-way UDP datagrams at
 *    udp_flood_pps, echo requests at icmp_flood_pps, and TCP flows opened
 *    without a SYN (ACK, RST, FIN or PSH floods) answered only by RSTs;
 *  - from many sources at one target (the (target, proto) table), each
 *    far below any threshold: the same thresholds over all VMs together,
 *    with the distinct senders sketched and the heaviest three named;
 *    and floods of the link's own ICMPv6 control messages;
 *  - at the application layer, on connections the VM opened: HTTP
 *    request lines, TLS handshakes or request-sized TLS records at
 *    http_flood_rps, tls_flood_cps or tls_flood_rps, and slow attacks
 *    (slowloris): slow_conns connections held open at once, each sending
 *    almost nothing.
 */
#include <arpa/inet.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "behave.h"
#include "behave_int.h"
#include "bytes.h"
#include "lrutab.h"

#define TLS_REQUEST_MAX	1000	/* bytes of a TLS record that is a request */
/* A slow attack's connections send less than this a second each (on the
 * wire, ACKs included): slowhttptest's sent 160-260 while they opened. */
#define SLOW_BYTES_PER_CONN 1024.0
/* ... and stay open this long: a client that opens many at once and then
 * uses them is past its handshakes by then. */
#define SLOW_HOLD_US	(5ULL * 1000000)

/*
 * The flood detectors compare the count in the current bucket with
 * pps * bucket length, and report the moment it is crossed; the rate is
 * measured over the part of the bucket gone by, so a flood at twice the
 * threshold or more is high confidence.
 */

/* The bits set in w. __builtin_popcountll is a call into libgcc without
 * -mpopcnt (a byte table loop); this is a dozen inline instructions, and a
 * flood asks for 8 words at each packet. */
static inline unsigned
popcount64(uint64_t w)
{
	w -= (w >> 1) & 0x5555555555555555ULL;
	w = (w & 0x3333333333333333ULL) + ((w >> 2) & 0x3333333333333333ULL);
	w = (w + (w >> 4)) & 0x0f0f0f0f0f0f0f0fULL;
	return (unsigned)((w * 0x0101010101010101ULL) >> 56);
}

/* The distinct ports the VM sent probes to in the scan window. */
static uint64_t
ports_probed(const struct behave *b, const struct tgt_ent *t)
{
	unsigned i, bits = 0;

	for (i = 0; i < SKETCH_WORDS; i++)
		bits += popcount64(t->ports_sent[i]);
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

/* Whether the VM floods t's target with proto in the current bucket: the
 * count crossed the threshold and the target hardly answers. */
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

int
behave_tgt_check_flood(struct behave *b, struct tgt_ent *t, uint64_t now,
    uint8_t proto, struct behave_hit *hits, size_t max, size_t *n)
{
	const struct behave_cfg *c = &b->cfg;
	struct behave_hit h;
	uint64_t elapsed, completed, pps;
	uint8_t bit;
	char dur[32];

	if (!tgt_flooding(b, t, proto, now))
		return 0;
	elapsed = now > t->flood_start ? now - t->flood_start : 0;
	completed = t->synacks < t->syns ? t->synacks : t->syns;
	if (proto == 6 && !(t->fired & FIRED_SYN)) {
		hit_init(&h, CAT_DOS, "syn_flood", t->k.vm, t->k.target, 6, 0);
		h.count = t->syns;
		h.completed = completed;
		behave_fmt_dur(dur, sizeof(dur), elapsed);
		snprintf(h.detail, sizeof(h.detail),
		    "%u SYNs in %s, %llu completed", t->syns, dur,
		    (unsigned long long)completed);
		pps = c->syn_flood_pps;
		bit = FIRED_SYN;
	} else if (proto == 17 && !(t->fired & FIRED_UDP)) {
		hit_init(&h, CAT_DOS, "udp_flood", t->k.vm, t->k.target, 17, 0);
		h.count = t->udp_pkts;
		behave_fmt_dur(dur, sizeof(dur), elapsed);
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
		behave_fmt_dur(dur, sizeof(dur), elapsed);
		snprintf(h.detail, sizeof(h.detail),
		    "%u echo requests in %s", t->echoes, dur);
		pps = c->icmp_flood_pps;
		bit = FIRED_ICMP;
	} else
		return 1;
	h.window_us = elapsed;
	h.packets = t->pkts;
	h.bytes = t->bytes;
	h.rate_pps = rate(h.count, elapsed);
	if (h.rate_pps >= 2.0 * (double)pps)
		h.confidence = CONF_HIGH;
	if (emit(b, &t->last_dos, now, &h, hits, max, n))
		t->fired |= bit;
	return 1;
}

/* ---- floods at one target from many sources ---- */

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

void
behave_vic_packet(struct behave *b, const struct behave_pkt *p, int sent,
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
	hsrc = vm_hash(b, p->vm);
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
	behave_fmt_dur(dur, sizeof(dur), elapsed);
	more[0] = '\0';
	for (i = 0, used = 0; i < VIC_TOP && v->top[i].n > 0; i++) {
		behave_addr_text(a, sizeof(a), v->top[i].vm);
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

/*
 * A TCP flow the VM opened without a SYN (from_vm), or the target's first
 * answer on one: counted in the flood bucket of (VM, target) for the
 * tcp_flood detector. own: the packet is counted here only (a probe of a
 * FIN, XMAS or NULL scan never reaches the bucket's packet count).
 */
void
behave_nosyn_packet(struct behave *b, const struct behave_pkt *p, int own,
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
	behave_fmt_dur(dur, sizeof(dur), elapsed);
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

/* ---- floods at the application layer ---- */

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
void
behave_tgt_check_app(struct behave *b, struct tgt_ent *t, uint64_t now,
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
			behave_brute_http_request(b, p);
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
		behave_fmt_dur(dur, sizeof(dur), elapsed);
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
		behave_fmt_dur(dur, sizeof(dur), elapsed);
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
