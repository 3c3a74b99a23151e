/*
 * behave.c: the core of the per-VM behaviour detectors: their defaults,
 * the tables' life cycle (behave_new, behave_free, behave_stats) and
 * behave_packet, which classifies each packet once (a SYN, a SYN-ACK, a
 * datagram, an echo or its reply, a scan probe of another kind or its
 * answer) and hands it to the detector families: floods (behave_flood.c),
 * scans (behave_scan.c), amplification requests (behave_amp.c) and
 * password guessing (behave_brute.c). The tables and the helpers they
 * share are in behave_int.h.
 *
 * Scans count only what never answered: each sketch comes in a pair,
 * "sent" (SYN without ACK, UDP, echo request from the VM) and "answered"
 * (SYN-ACK, UDP or echo reply from the target), and the estimate is
 * taken over the bits set in sent but not in answered. A VM that talks
 * to 200 web servers on 443 therefore is no address scan; one whose SYNs
 * to 25 hosts go unanswered is. Probes are every way a scanner asks
 * (nmap's scan types): a SYN; a TCP segment without SYN, ACK or RST
 * opening a flow (FIN, NULL, Xmas: no connection sends one, RFC 9293
 * 3.10.7); the target's RST to the one packet the VM sent in a flow (ACK,
 * Window and Maimon scans, and closed ports of the others); UDP
 * datagrams; an SCTP INIT, answered by anything but an ABORT; the first
 * packet of any other IP protocol (a protocol scan, answered when the
 * target speaks it back). An ICMP unreachable or silence leaves a probe
 * unanswered.
 */
#include <arpa/inet.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "behave.h"
#include "behave_int.h"
#include "lrutab.h"
#include "siphash.h"
#include "util.h"

#define MAX_ENTRIES	(1U << 24)

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

/* ---- reports ---- */

void
behave_fmt_dur(char *buf, size_t len, uint64_t us)
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

void
behave_addr_text(char *buf, size_t len, const uint8_t a[16])
{
	static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
		0xff, 0xff };

	if (memcmp(a, mapped, sizeof(mapped)) == 0)
		inet_ntop(AF_INET, a + 12, buf, (socklen_t)len);
	else
		inet_ntop(AF_INET6, a, buf, (socklen_t)len);
}

/* ---- packets ---- */

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
		behave_nosyn_packet(b, p, xprobe || xanswer, hits, max, &n,
		    flooding);
	/* The same from many sources at one target (spoofed ACK or RST
	 * floods, SYN-ACKs reflected at their victim), with the target's
	 * first answers. */
	if (p->proto == 6 && p->first_of_side && p->vm_opened &&
	    (p->from_vm ? (p->tcp_flags & (TH_SYN | TH_ACK)) != TH_SYN :
	    p->vm_pkts == 1 && (p->tcp_flags & (TH_SYN | TH_ACK)) !=
	    (TH_SYN | TH_ACK)))
		behave_vic_packet(b, p, p->from_vm, 0, hits, max, &n, flooding);
	if (p->from_vm && p->forcing && p->target[0] == 0xff)
		behave_mcast_discovery(b, p, hits, max, &n);
	if (xprobe || xanswer) {
		behave_scan_probe(b, p, port, xprobe, hits, max, &n);
		return n;
	}

	/* answers only matter to keys the VM opened; they never create */
	if (!p->from_vm && !answer) {
		if (p->proto == 6 && p->payload != NULL && p->payload_len > 0)
			behave_brute_reply(b, p, hits, max, &n);
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
				behave_tgt_check_app(b, t, now, p, hits, max,
				    &n);
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
			/* the flood condition, reported or not */
			int flood_now = behave_tgt_check_flood(b, t, now,
			    p->proto, hits, max, &n);

			if (flooding != NULL)
				*flooding = flood_now;
			if (syn || udp)
				behave_tgt_check_scan(b, t, now, p->proto, hits,
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
				behave_port_check(b, pe, now, hits, max, &n);
			} else
				sketch_answered(pe->sent, pe->answered,
				    &pe->open, htarget);
		}
	}

	/* An echo reply that opens its flow answers nothing the capture
	 * saw: reflected at its victim (smurf), it floods like a request. */
	if (sent || answer || echo_reply || linkctl)
		behave_vic_packet(b, p, sent || linkctl || (echo_reply &&
		    p->from_vm && p->first_of_side && p->vm_opened), hport,
		    hits, max, &n, flooding);
	if (p->from_vm && udp)
		behave_amp_packet(b, p, htarget, hits, max, &n);
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
	/* sketch.h's estimate, by bits set, once */
	for (i = 0; i <= SKETCH_BITS; i++)
		b->estimate[i] = (uint16_t)sketch_estimate_bits(i);
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

uint64_t
behave_logins(const struct behave *b)
{
	return b->logins;
}
