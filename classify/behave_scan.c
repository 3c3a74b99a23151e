/*
 * behave_scan.c: scans, told from busy traffic by what goes unanswered:
 * a probe whose answer never comes (silence or an ICMP unreachable)
 * stays in a sketch pair's "sent" half and not its "answered" one.
 *  - a port scan: scan_ports unanswered ports of one target within
 *    scan_window (Zeek: 15 in 5 minutes), in the (vm, target) table;
 *  - an address scan: scan_hosts unanswered hosts on one protocol and
 *    port (ICMP echo: port 0) within scan_window (Zeek: 25 in 5
 *    minutes), or scan_fast_hosts of them within scan_fast_window (12 in
 *    10 s: more than one new silent host a second, which only a sweep
 *    does), in the (vm, proto, port) table;
 *  - probes that are no SYN, datagram or echo (FIN, NULL, Xmas, ACK,
 *    SCTP INIT, protocol scans) and their answers, fed to both;
 *  - IPv6 host discovery by a multicast probe whose unknown option orders
 *    every host to answer (thc-ipv6's alive6): one is a scan of the link.
 */
#include <arpa/inet.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "behave.h"
#include "behave_int.h"
#include "lrutab.h"

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

/* ---- port scans: (vm, target) ---- */

void
behave_tgt_check_scan(struct behave *b, struct tgt_ent *t, uint64_t now,
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
	behave_fmt_dur(dur, sizeof(dur), elapsed);
	snprintf(h.detail, sizeof(h.detail), "%llu unanswered ports in %s",
	    (unsigned long long)distinct, dur);
	if (emit(b, &t->last_scan, now, &h, hits, max, n))
		t->fired |= FIRED_PORTSCAN;
}

/* ---- address scans: (vm, proto, port) ---- */

void
behave_port_check(struct behave *b, struct port_ent *e, uint64_t now,
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
	behave_fmt_dur(dur, sizeof(dur), elapsed);
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

/* ---- other probes ---- */

/*
 * IPv6 host discovery by multicast: a packet to a multicast group that
 * carries an option of a type no standard defines, whose action orders
 * every host to answer with a Parameter Problem even to multicast (RFC
 * 8200 4.2, decode.c). No stack sends one; thc-ipv6's alive6 sends it to
 * the all-nodes group with its echo request, so one is a scan of the
 * link.
 */
void
behave_mcast_discovery(struct behave *b, const struct behave_pkt *p,
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
	behave_addr_text(a, sizeof(a), p->target);
	snprintf(h.detail, sizeof(h.detail), "a probe to %s with an unknown "
	    "IPv6 option that orders every host to answer", a);
	emit(b, &t->last_scan, p->ts_us, &h, hits, max, n);
}

/*
 * A scan probe (sent 1) or its answer (sent 0) that is not a SYN, a
 * datagram or an echo: into the port sketch of (VM, target) and the host
 * sketch of (VM, protocol, port), then the scan checks. The flood
 * counters are not touched.
 */
void
behave_scan_probe(struct behave *b, const struct behave_pkt *p, uint16_t port,
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
			behave_tgt_check_scan(b, t, now, p->proto, hits, max,
			    n);
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
			behave_port_check(b, pe, now, hits, max, n);
		} else
			sketch_answered(pe->sent, pe->answered, &pe->open,
			    htarget);
	}
}
