/*
 * classify.c: the worker. Per packet: find the flow, feed nDPI while its
 * detection runs, run the protocol heuristics and payload rules over the
 * first payload packets, try the signatures whenever a new fact about the
 * flow is known (its addresses and GeoIP at the first packet, its server
 * name, its payload, nDPI's answer), and turn the strongest evidence into
 * one verdict. See include/classify.h.
 *
 * Evidence and confidence. Each piece of evidence has a category and a
 * confidence: nDPI by inspection is high, by its flow cache medium; a
 * signature or heuristic carries its own. Two pieces from different
 * sources that agree on a category raise the confidence one step. Evidence
 * of medium or high confidence makes the verdict at once (if it reaches
 * min_confidence); low evidence waits until nDPI's detection has ended, in
 * case something better turns up.
 *
 * A port is never enough: nDPI's guess by port, a match by its built-in
 * address lists and a port= rule are hints ("contextual"), which raise
 * payload or behaviour evidence that agrees with them and never make a
 * verdict alone. Two of nDPI 4.2's answers are confirmed per protocol:
 * "Mining", which it gives Ethereum's binary handshakes and any JSON-RPC
 * over TCP, is kept for the binary ones only (the stratum heuristics
 * decide the rest); "CiscoVPN", which it gives TCP port 10000, any port-443
 * packet starting 17 01 00 00 and DTLS, is never taken. Both are counted in
 * stats as dpi.unconfirmed.
 *
 * Time. Every time the worker uses, a packet's or the wall clock's, is
 * read through one clock that never goes back (pktclock.h): the flow
 * table, nDPI, the behaviour detectors, the DNS cache and suppression all
 * see times that only move forward, also in a replay of merged recordings
 * or when a live host's clock is stepped back. Events report capture time
 * again (pktclock_capture_time); ids are derived from the clock's times.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cidr.h"
#include "behave.h"
#include "classify_int.h"
#include "dns.h"
#include "dpi.h"
#include "flowtab.h"
#include "geo.h"
#include "heur.h"
#include "inventory.h"
#include "log.h"
#include "names.h"
#include "pktclock.h"
#include "policy.h"
#include "sig.h"
#include "slotpool.h"
#include "sshshape.h"
#include "suppress.h"
#include "tlsrec.h"
#include "util.h"

/* TLS flows whose record sizes are being kept at once (tlsrec.h): a slot
 * is about 190 bytes and is held from the ClientHello to TLSREC_MAX
 * records or the flow's end. */
#define TLS_SLOTS	4096
/* SSH flows whose shape is being counted at once (sshshape.h), 24 bytes
 * each, held from the banner to SSH_SKIP + SSH_LOOK client packets. */
#define SSH_SLOTS	4096

/* Unanswered ports of a target (or hosts on a port) that make a silent
 * flow to it a scan's probe rather than a conversation (make_verdict). */
#define SCAN_CONTEXT_PORTS	3

/* The signatures a lookup matched, gathered by the callback. */
struct sig_found {
	const struct sig_rule *rule[8];
	unsigned n;
};

static void on_flow_end(struct flow *f, enum flow_end why, void *arg);
static void settle(struct classify *c, struct flow *f, uint64_t ts_us);

static int
load_rules(struct classify *c, char *err, size_t errlen)
{
	const struct config *cfg = c->cfg;
	size_t i;

	c->sigs = sigset_new();
	if (cfg->signature_dir[0] != '\0' &&
	    sigset_load_dir(c->sigs, cfg->signature_dir, c->dpi, err, errlen) == -1)
		return -1;
	for (i = 0; i < cfg->n_rule_files; i++)
		if (sigset_load_file(c->sigs, cfg->rule_files[i], c->dpi, err,
		    errlen) == -1)
			return -1;
	return 0;
}

struct classify *
classify_new(const struct config *cfg, const struct classify_out *out, char *err,
    size_t errlen)
{
	struct flowtab_cfg fc;
	struct behave_cfg bc;
	struct classify *c;

	memset(&bc, 0, sizeof(bc));
	bc.max_entries = (size_t)cfg->behave_max_entries;
	bc.flood_window_us = cfg->flood_window_us;
	bc.syn_flood_pps = (uint64_t)cfg->syn_flood_pps;
	bc.syn_flood_completion = (double)cfg->syn_flood_completed_pct / 100.0;
	bc.udp_flood_pps = (uint64_t)cfg->udp_flood_pps;
	bc.icmp_flood_pps = (uint64_t)cfg->icmp_flood_pps;
	bc.http_flood_rps = (uint64_t)cfg->http_flood_rps;
	bc.tls_flood_cps = (uint64_t)cfg->tls_flood_cps;
	bc.tls_flood_rps = (uint64_t)cfg->tls_flood_rps;
	bc.slow_conns = (uint64_t)cfg->slow_conns;
	bc.amp_window_us = cfg->amp_window_us;
	bc.amp_servers = (uint64_t)cfg->amp_servers;
	bc.scan_window_us = cfg->scan_window_us;
	bc.scan_ports = (uint64_t)cfg->scan_ports;
	bc.scan_hosts = (uint64_t)cfg->scan_hosts;
	bc.scan_fast_window_us = cfg->scan_fast_window_us;
	bc.scan_fast_hosts = (uint64_t)cfg->scan_fast_hosts;
	bc.brute_window_us = cfg->brute_window_us;
	bc.brute_attempts = (uint64_t)cfg->brute_attempts;
	bc.suppress_us = cfg->suppress_window_us;
	c = xcalloc(1, sizeof(*c));
	c->cfg = cfg;
	c->out = *out;
	if ((c->dpi = dpi_new(err, errlen)) == NULL)
		goto fail;
	if ((c->policy = policy_new(c->dpi, err, errlen)) == NULL)
		goto fail;
	c->weak[0] = dpi_proto_id(c->dpi, "Mining");
	c->weak[1] = dpi_proto_id(c->dpi, "CiscoVPN");
	c->rtp[0] = dpi_proto_id(c->dpi, "RTP");
	c->rtp[1] = dpi_proto_id(c->dpi, "RTCP");
	if (load_rules(c, err, errlen) == -1)
		goto fail;
	if (cfg->geoip_country_db[0] != '\0' || cfg->geoip_asn_db[0] != '\0') {
		c->geo = geo_open(cfg->geoip_country_db[0] != '\0' ?
		    cfg->geoip_country_db : NULL, cfg->geoip_asn_db[0] != '\0' ?
		    cfg->geoip_asn_db : NULL, err, errlen);
		if (c->geo == NULL)
			goto fail;
	}
	if (cfg->dns_cache_size > 0 &&
	    (c->dns_cache = dns_cache_new((size_t)cfg->dns_cache_size)) == NULL) {
		snprintf(err, errlen, "cannot set up the DNS name cache");
		goto fail;
	}
	if ((c->dns_tunnel = dns_tunnel_new(4096)) == NULL) {
		snprintf(err, errlen, "cannot set up the DNS tunnel detector");
		goto fail;
	}
	if ((c->behave = behave_new(&bc, err, errlen)) == NULL)
		goto fail;
	c->suppress = suppress_new();
	c->tls = slotpool_new(TLS_SLOTS, tlsrec_size());
	c->ssh = slotpool_new(SSH_SLOTS, sshshape_size());
	memset(&fc, 0, sizeof(fc));
	fc.max_flows = cfg->max_flows;
	fc.timeout_us[FLOW_TC_TCP] = cfg->tcp_idle_timeout_us;
	fc.timeout_us[FLOW_TC_TCP_CLOSED] = cfg->tcp_closed_timeout_us;
	fc.timeout_us[FLOW_TC_UDP] = cfg->udp_idle_timeout_us;
	fc.timeout_us[FLOW_TC_OTHER] = cfg->other_idle_timeout_us;
	fc.on_end = on_flow_end;
	fc.arg = c;
	if ((c->ft = flowtab_new(&fc, err, errlen)) == NULL)
		goto fail;
	return c;
fail:
	classify_free(c);
	return NULL;
}

void
classify_free(struct classify *c)
{
	if (c == NULL)
		return;
	/* Flows still open hold nDPI state: end them without events. */
	if (c->ft != NULL) {
		c->out.verdict = NULL;
		c->out.flow = NULL;
		flowtab_flush(c->ft);
	}
	flowtab_free(c->ft);
	behave_free(c->behave);
	suppress_free(c->suppress);
	slotpool_free(c->tls);
	slotpool_free(c->ssh);
	dns_tunnel_free(c->dns_tunnel);
	dns_cache_free(c->dns_cache);
	geo_close(c->geo);
	sigset_free(c->sigs);
	policy_free(c->policy);
	dpi_free(c->dpi);
	free(c);
}

size_t
classify_signature_count(const struct classify *c)
{
	return sigset_count(c->sigs);
}

size_t
classify_flow_record_size(void)
{
	return sizeof(struct flow) + sizeof(uint32_t);	/* and its bucket */
}

size_t
classify_flow_dpi_size(void)
{
	return dpi_flow_state_size();
}

static int
in_vm_networks(const struct config *cfg, const uint8_t *a)
{
	size_t i;

	for (i = 0; i < cfg->n_vm_networks; i++)
		if (cidr_contains(&cfg->vm_networks[i], a))
			return 1;
	return 0;
}

/* The slow half of vm_side (classify_int.h): the first question of a flow. */
int
classify_vm_side_find(const struct config *cfg, struct flow *f)
{
	int side;

	if (cfg->n_vm_networks == 0 || in_vm_networks(cfg, flow_src_addr(f)))
		side = 0;
	else if (in_vm_networks(cfg, flow_dst_addr(f)))
		side = 1;
	else
		side = -1;
	f->cls.vm_side = (uint8_t)(side + 2) & 3;
	return side;
}

/* nDPI's confidence in our scale. */
static enum confidence
ndpi_confidence(uint8_t dpi_conf)
{
	switch (dpi_conf) {
	case DPI_CONF_DPI: return CONF_HIGH;
	case DPI_CONF_CACHE: return CONF_MEDIUM;
	case DPI_CONF_PORT: return CONF_LOW;
	}
	return CONF_NONE;
}

/*
 * VNC (RFB, RFC 6143) logs in in clear: the server greets with its
 * version ("RFB 003.008\n"), offers security types, and for a password
 * sends a challenge and, after the client's answer, a SecurityResult: four
 * bytes, 0 for success, 1 for failure (with a reason in 3.8). A guesser's
 * connection ends at the failure and gave no remote access, so a
 * remote-access verdict made at the greeting waits (login_held) until the
 * session is past the login: a SecurityResult of 0, or (versions and
 * security types without one) RFB_SESSION_BYTES from the server or
 * RFB_SESSION_US of session, far more than a refused login takes. A
 * session that ends still waiting made no verdict (vnc_refused_only);
 * the guessing detector counts its refusal.
 */
#define RFB_SESSION_BYTES	4096
#define RFB_SESSION_US		(5ULL * 1000000)

static int
rfb_banner(const struct pkt *p)
{
	return p->payload_len == 12 && p->payload_caplen >= 12 &&
	    memcmp(p->payload, "RFB ", 4) == 0 && p->payload[7] == '.' &&
	    p->payload[11] == '\n';
}

/* A packet of a flow whose verdict waits for its RFB login. */
static void
rfb_login(struct classify *c, struct flow *f, const struct pkt *p, int dir)
{
	if ((dir == 1 && p->payload_len == 4 && p->payload_caplen == 4 &&
	    (p->payload[0] | p->payload[1] | p->payload[2] |
	    p->payload[3]) == 0) || f->bytes[1] >= RFB_SESSION_BYTES ||
	    p->ts_us >= f->first_us + RFB_SESSION_US) {
		f->login_held = 0;
		settle(c, f, p->ts_us);
	}
}

static void
make_verdict(struct classify *c, struct flow *f, const struct evidence *ev,
    uint64_t ts_us)
{
	int side;

	if (f->cls.verdict_made || ev->category == CAT_NONE)
		return;
	f->cls.verdict_made = 1;
	if ((int)ev->confidence < CONF_LOW + c->cfg->min_confidence) {
		c->below_min_confidence++;
		return;
	}
	if ((side = vm_side(c->cfg, f)) == -1) {
		c->verdicts_not_vm++;
		return;
	}
	if (side == 1 && !c->cfg->ingress_verdicts && !f->cls.opener_is_server &&
	    !f->cls.either_side) {
		c->verdicts_ingress++;
		return;
	}
	if (side == 0 && f->pkts[1] == 0 && f->key.proto != 6 &&
	    ev->source != EV_BEHAVIOUR && ev->category != CAT_P2P &&
	    (behave_unanswered_ports(c->behave, vm_addr(c->cfg, f),
	    peer_addr(c->cfg, f), ts_us) >= SCAN_CONTEXT_PORTS ||
	    behave_unanswered_hosts(c->behave, vm_addr(c->cfg, f), f->key.proto,
	    peer_port(c->cfg, f), ts_us) >= SCAN_CONTEXT_PORTS)) {
		/* The VM is probing this target's ports (or this port on
		 * many hosts) and the target said nothing back: a scanner's
		 * probe that carries a protocol's opening (nmap -sU's IKE or
		 * XDMCP payloads) is part of the scan, which the behaviour
		 * detectors report. Peer-to-peer protocols are left out: their
		 * peers often do not answer, and the flow is theirs. */
		c->verdicts_scan_probe++;
		return;
	}
	if (ev->category == CAT_REMOTE_ACCESS && f->key.proto == 6 &&
	    (f->login_held || (c->cur_pkt != NULL && c->cur_dir == 1 &&
	    rfb_banner(c->cur_pkt)))) {
		/* A VNC server's greeting: the verdict waits for the login
		 * (rfb_login). */
		f->login_held = 1;
		f->cls.verdict_made = 0;
		return;
	}
	if (ev->category == CAT_REMOTE_ACCESS && f->cls.ssh_slot != 0 &&
	    sshshape_login_pending(slotpool_get(c->ssh, f->cls.ssh_slot))) {
		/* An SSH login not yet decided: the verdict waits for it
		 * (ssh_track, ssh_judge). */
		sshshape_hold(slotpool_get(c->ssh, f->cls.ssh_slot), 1);
		f->cls.verdict_made = 0;
		return;
	}
	if (suppress_check(c->suppress, c->inv, vm_addr(c->cfg, f),
	    peer_addr(c->cfg, f), ev->category, c->cfg->suppress_window_us,
	    ts_us)) {
		c->verdicts_suppressed++;
		return;
	}
	verdict_make(c, &(struct verdict_about){ .flow = f, .ev = ev,
	    .side = side }, ts_us);
}

/* Weighs one piece of evidence into the flow's best, and makes the verdict
 * when it is strong enough (or when final is set and anything is known). */
static void
add_evidence(struct classify *c, struct flow *f, struct evidence *ev,
    uint64_t ts_us)
{
	struct flow_class *cls = &f->cls;

	if (ev->category == CAT_NONE || ev->confidence == CONF_NONE ||
	    cls->verdict_made)
		return;
	if (ev->contextual) {
		/* A port or an address says what a service usually is, not
		 * what this flow said: kept as a hint that raises evidence
		 * from the payload or from behaviour, never a verdict. */
		if (cls->hint == 0)
			cls->hint = (uint8_t)ev->category;
		if (cls->category != ev->category || cls->source == EV_NONE)
			return;
		ev->contextual = 0;
		ev->source = (enum ev_source)cls->source;
		ev->rule = NULL;
		ev->hit = NULL;
		if (ev->source == EV_SIGNATURE && cls->nsigs > 0)
			ev->rule = sigset_rule(c->sigs, cls->sigs[0]);
		if (ev->source == EV_SIGNATURE && ev->rule == NULL)
			return;
		if (ev->source == EV_HEURISTIC)
			return;	/* its hit is gone; it reported already */
		ev->confidence = (enum confidence)cls->confidence;
		if (ev->confidence < CONF_HIGH)
			ev->confidence++;
	} else if (cls->hint == ev->category && cls->category != ev->category &&
	    ev->confidence < CONF_HIGH) {
		ev->confidence++;	/* the port or address agrees */
	}
	if (cls->category == ev->category && cls->source != ev->source &&
	    cls->source != EV_NONE) {
		/* Two sources agree: one step surer than the surer of them. */
		enum confidence m = ev->confidence > cls->confidence ?
		    ev->confidence : (enum confidence)cls->confidence;

		ev->confidence = m < CONF_HIGH ? m + 1 : CONF_HIGH;
	}
	if (ev->confidence > cls->confidence) {
		cls->category = (uint8_t)ev->category;
		cls->confidence = (uint8_t)ev->confidence;
		cls->source = (uint8_t)ev->source;
	}
	if (ev->confidence >= CONF_MEDIUM)
		make_verdict(c, f, ev, ts_us);
}

/* Makes the verdict from the best evidence held back (low confidence),
 * once nothing more is to be learned from detection. */
static void
settle(struct classify *c, struct flow *f, uint64_t ts_us)
{
	struct evidence ev;

	if (f->cls.verdict_made)
		return;
	if (f->cls.category == CAT_NONE) {
		if (f->cls.hint != 0 && !f->cls.hint_counted) {
			f->cls.hint_counted = 1;
			c->contextual_only++;
		}
		return;
	}
	memset(&ev, 0, sizeof(ev));
	ev.source = (enum ev_source)f->cls.source;
	ev.category = (enum policy_category)f->cls.category;
	ev.confidence = (enum confidence)f->cls.confidence;
	if (ev.source == EV_SIGNATURE && f->cls.nsigs > 0)
		ev.rule = sigset_rule(c->sigs, f->cls.sigs[0]);
	if (ev.source == EV_SIGNATURE && ev.rule == NULL)
		return;
	if (ev.source == EV_HEURISTIC)
		return;		/* heuristics report medium or high at once */
	make_verdict(c, f, &ev, ts_us);
}

static void
on_sig(const struct sig_rule *r, void *arg)
{
	struct sig_found *found = arg;

	if (found->n < NELEM(found->rule))
		found->rule[found->n++] = r;
}

/* Tries the signatures with what is known of f now (and payload, when
 * given), and weighs what matched. */
static void
match_signatures(struct classify *c, struct flow *f, const uint8_t *payload,
    size_t payload_len, const struct dpi_tls *tls, const char *host,
    uint64_t ts_us)
{
	struct sig_facts facts;
	struct sig_found found;
	struct evidence ev;
	unsigned i, j;

	if (sigset_count(c->sigs) == 0)
		return;
	memset(&facts, 0, sizeof(facts));
	facts.peer = peer_addr(c->cfg, f);
	facts.port = flow_dst_port(f);
	facts.proto = f->key.proto;
	if (host == NULL && f->cls.server_name[0] != '\0')
		host = f->cls.server_name;
	facts.host = host;
	c->cur_host = host;	/* for a verdict made now (make_verdict) */
	facts.ndpi_master = f->cls.dpi_done ? f->cls.master_proto : 0;
	facts.ndpi_app = f->cls.dpi_done ? f->cls.app_proto : 0;
	facts.asn = f->cls.asn;
	facts.country = f->cls.country[0] != '\0' ? f->cls.country : NULL;
	facts.payload = payload;
	facts.payload_len = payload_len;
	if (tls != NULL) {
		facts.tls_alpn = tls->alpn[0] != '\0' ? tls->alpn : NULL;
		facts.tls_cert_subject = tls->cert_subject[0] != '\0' ?
		    tls->cert_subject : NULL;
		facts.tls_cert_issuer = tls->cert_issuer[0] != '\0' ?
		    tls->cert_issuer : NULL;
	}
	found.n = 0;
	if (sigset_match(c->sigs, &facts, on_sig, &found) == 0)
		return;
	for (i = 0; i < found.n; i++) {
		const struct sig_rule *r = found.rule[i];

		for (j = 0; j < f->cls.nsigs && j < NELEM(f->cls.sigs); j++)
			if (f->cls.sigs[j] == r->index)
				break;
		if (j < f->cls.nsigs && j < NELEM(f->cls.sigs))
			continue;	/* matched before */
		if (f->cls.nsigs < NELEM(f->cls.sigs))
			f->cls.sigs[f->cls.nsigs] = r->index;
		if (f->cls.nsigs < UINT8_MAX)
			f->cls.nsigs++;
		c->sig_matches++;
		memset(&ev, 0, sizeof(ev));
		ev.source = EV_SIGNATURE;
		ev.category = r->category;
		ev.confidence = r->confidence;
		ev.rule = r;
		ev.contextual = r->contextual;
		add_evidence(c, f, &ev, ts_us);
	}
	c->cur_host = NULL;
}

/* A name the flow's client asked for, read from its own bytes (SNI, Host,
 * a DNS query or the VM's DNS answer for the peer): the flow keeps a
 * bounded copy, and the rules see the whole name now. */
static void
name_seen(struct classify *c, struct flow *f, const char *name, uint64_t ts_us)
{
	f->cls.name_own = 1;
	f->cls.host_tried = 1;
	str_copy(f->cls.server_name, name, sizeof(f->cls.server_name));
	match_signatures(c, f, NULL, 0, NULL, name, ts_us);
}

/* The index + 1 of a heuristic's name in c->heur_names, 0 when the table
 * is full (it holds every name the heuristics have, with room to spare). */
static uint8_t
heur_name_index(struct classify *c, const char *name)
{
	unsigned i;

	for (i = 0; i < c->nheur_names; i++)
		if (c->heur_names[i] == name || strcmp(c->heur_names[i], name) == 0)
			return (uint8_t)(i + 1);
	if (c->nheur_names == NELEM(c->heur_names))
		return 0;
	c->heur_names[c->nheur_names++] = name;
	return (uint8_t)c->nheur_names;
}

/* A heuristic recognised the flow: remember which, and weigh it. */
static void
heur_evidence(struct classify *c, struct flow *f, const struct heur_hit *hit,
    uint64_t ts_us)
{
	struct evidence ev;

	c->heur_hits++;
	f->cls.heur_hit = 1;
	if (hit->either_side)
		f->cls.either_side = 1;
	if (hit->opener_is_server) {
		/* Only one leg was captured and it is the server's: the VM
		 * is the responder, and the flow is still its egress. Without
		 * vm_networks the opener is no longer taken for the VM. */
		f->cls.opener_is_server = 1;
		if (c->cfg->n_vm_networks == 0)
			f->cls.vm_side = 1 + 2;
	}
	f->cls.heur_name = heur_name_index(c, hit->name);
	memset(&ev, 0, sizeof(ev));
	ev.source = EV_HEURISTIC;
	ev.category = hit->category;
	ev.confidence = hit->confidence;
	ev.hit = hit;
	add_evidence(c, f, &ev, ts_us);
}

/* The first packet of a flow: what its addresses say. */
static void
flow_begins(struct classify *c, struct flow *f, const struct pkt *p,
    uint64_t ts_us)
{
	struct heur_hit hit;
	const uint8_t *peer = peer_addr(c->cfg, f);

	if (c->geo != NULL) {
		struct geo_info gi;

		if (geo_lookup(c->geo, peer, &gi)) {
			f->cls.asn = gi.asn;
			memcpy(f->cls.country, gi.country, sizeof(f->cls.country));
		}
	}
	if (c->dns_cache != NULL) {
		const char *name = dns_cache_get(c->dns_cache,
		    vm_addr(c->cfg, f), peer);

		if (name != NULL)
			name_seen(c, f, name, ts_us);
	}
	memset(&hit, 0, sizeof(hit));
	if (heur_ip_proto(f->key.proto, p->payload, p->payload_caplen, &hit))
		heur_evidence(c, f, &hit, ts_us);
	match_signatures(c, f, NULL, 0, NULL, NULL, ts_us);
}

/* DNS messages: answers to a VM fill the name cache, queries from a VM
 * feed the tunnel detector. */
static void
inspect_dns(struct classify *c, struct flow *f, const struct pkt *p, int dir)
{
	struct dns_msg m;
	struct heur_hit hit;
	int side = vm_side(c->cfg, f);
	const uint8_t *vm;
	unsigned i;

	if (dns_parse(p->payload, p->payload_caplen, &m) == -1) {
		memset(&hit, 0, sizeof(hit));
		if (!f->cls.heur_hit && dns_iodine_raw(p->payload,
		    p->payload_caplen, &hit))
			heur_evidence(c, f, &hit, p->ts_us);
		return;
	}
	/* The VM is the side that asks: the opener unless vm_networks say
	 * the responder. */
	vm = side == 1 ? flow_dst_addr(f) : flow_src_addr(f);
	if (m.is_response && dir == (side == 1 ? 0 : 1)) {
		if (c->dns_cache == NULL || m.qname[0] == '\0')
			return;
		for (i = 0; i < m.nanswers; i++) {
			dns_cache_put(c->dns_cache, vm, m.answers[i], m.qname);
			c->dns_answers++;
		}
	} else if (!m.is_response) {
		if (m.qname[0] != '\0' && !f->cls.name_own)
			name_seen(c, f, m.qname, p->ts_us);
		memset(&hit, 0, sizeof(hit));
		if (dns_tunnel_query(c->dns_tunnel, vm, &m, p->ts_us, &hit)) {
			c->dns_tunnels++;
			heur_evidence(c, f, &hit, p->ts_us);
		}
	}
}

/* Heuristics and payload rules over the first payload packets. */
static void
inspect_payload(struct classify *c, struct flow *f, const struct pkt *p, int dir)
{
	static int (*const family[])(struct heur_flow *, const struct heur_pkt *,
	    struct heur_hit *) = { heur_mining, heur_node, heur_p2p, heur_proxy,
		heur_remote, heur_tunnel };
	struct heur_pkt hp;
	struct heur_hit hit;
	size_t i;

	if (f->cls.payload_pkts >= HEUR_MAX_PACKETS)
		return;
	if (f->cls.payload_pkts == 0 && p->payload_caplen > 0 &&
	    (p->payload[0] == '{' || p->payload[0] == '[' ||
	    (p->payload[0] >= 'A' && p->payload[0] <= 'Z')))
		f->cls.text_first = 1;	/* JSON, or an HTTP method */
	hp.data = p->payload;
	hp.len = p->payload_caplen;
	hp.dir = dir;
	hp.proto = p->proto;
	hp.sport = flow_src_port(f);
	hp.dport = flow_dst_port(f);
	hp.index = f->cls.payload_pkts++;
	heur_fet_observe(&f->cls.heur, &hp);
	for (i = 0; i < NELEM(family) && !f->cls.heur_hit; i++) {
		memset(&hit, 0, sizeof(hit));
		if (family[i](&f->cls.heur, &hp, &hit))
			heur_evidence(c, f, &hit, p->ts_us);
	}
	if (dir == 0 && hp.index < 2 && !f->cls.name_own) {
		char name[NAME_MAX_LEN + 1];

		if ((p->proto == 6 && (name_tls_sni(p->payload, p->payload_caplen,
		    name) > 0 || name_http_host(p->payload, p->payload_caplen,
		    name) > 0)) || (p->proto == 17 && name_tls_sni(p->payload,
		    p->payload_caplen, name) > 0))
			name_seen(c, f, name, p->ts_us);
	}
	match_signatures(c, f, p->payload,
	    p->payload_caplen < SIG_PAYLOAD_DEPTH ? p->payload_caplen :
	    SIG_PAYLOAD_DEPTH, NULL, NULL, p->ts_us);
}

/* Whether nDPI's answer for f is one of the two of nDPI 4.2's that hold
 * only in one of their forms (see the top of this file): its Mining
 * answer is confirmed for binary payloads (Ethereum's discovery and RLPx
 * handshake, which heur_node.c proves besides) and left to the stratum
 * heuristics for JSON-RPC. Its CiscoVPN answer is never taken: over TCP
 * it is port 10000 or a byte pattern on 443, and over UDP it was given to
 * DTLS (measured on the corpus in ../shared). Its IPsec answer for IP
 * protocols 50 and 51 is the protocol's number alone (a protocol scan's
 * bare probes get it): heur_ip_proto() judges those packets instead. */
static int
weak_answer_unconfirmed(const struct classify *c, const struct flow *f)
{
	int mining = c->weak[0] > 0 && (f->cls.app_proto == c->weak[0] ||
	    f->cls.master_proto == c->weak[0]);
	int cisco = c->weak[1] > 0 && (f->cls.app_proto == c->weak[1] ||
	    f->cls.master_proto == c->weak[1]);

	if (mining)
		return f->cls.text_first || f->cls.payload_pkts == 0;
	return cisco || f->key.proto == 50 || f->key.proto == 51;
}

/* nDPI's answer as evidence. */
static void
ndpi_evidence(struct classify *c, struct flow *f, uint64_t ts_us)
{
	struct evidence ev;
	enum policy_category cat;

	cat = policy_classify(c->policy, f->cls.master_proto, f->cls.app_proto);
	if (cat == CAT_NONE)
		return;
	if (weak_answer_unconfirmed(c, f)) {
		c->ndpi_unconfirmed++;
		return;
	}
	/* A guess by port names the protocol a service usually speaks; with
	 * no payload in either direction (an unanswered SYN, a scan probe)
	 * nothing was spoken at all. */
	if (f->cls.dpi_confidence == DPI_CONF_PORT && f->cls.payload_pkts == 0)
		return;
	if (f->cls.dpi_confidence == DPI_CONF_PORT && dpi_guess_from_client_port(
	    c->dpi, f->cls.master_proto, f->cls.app_proto, f->key.proto,
	    flow_src_port(f), flow_dst_port(f))) {
		c->ndpi_unconfirmed++;
		return;
	}
	memset(&ev, 0, sizeof(ev));
	ev.source = EV_NDPI;
	ev.category = cat;
	ev.confidence = ndpi_confidence(f->cls.dpi_confidence);
	/* nDPI 4.2's own address lists date from its release and addresses
	 * change hands (its Tor list is years stale: current lists ship as
	 * signatures instead), and a port names what a service usually
	 * speaks: both are hints, never a verdict by themselves. */
	if (f->cls.dpi_confidence == DPI_CONF_IP ||
	    f->cls.dpi_confidence == DPI_CONF_PORT) {
		ev.contextual = 1;
		ev.confidence = CONF_LOW;
	}
	add_evidence(c, f, &ev, ts_us);
}

static void
record_result(struct classify *c, struct flow *f, const struct dpi_result *r,
    uint64_t ts_us)
{
	f->cls.master_proto = r->master;
	f->cls.app_proto = r->app;
	f->cls.ndpi_category = r->category;
	f->cls.dpi_confidence = r->confidence;
	if (r->server_name[0] != '\0' && !f->cls.name_own &&
	    strncmp(f->cls.server_name, r->server_name,
	    sizeof(f->cls.server_name) - 1) != 0) {
		str_copy(f->cls.server_name, r->server_name,
		    sizeof(f->cls.server_name));
		f->cls.host_tried = 0;
	}
	if (!f->cls.host_tried && f->cls.server_name[0] != '\0') {
		/* Rules see nDPI's whole name (the QUIC SNI, say), not the
		 * record's copy cut for the flow event. */
		f->cls.host_tried = 1;
		match_signatures(c, f, NULL, 0, NULL, !f->cls.name_own &&
		    r->server_name[0] != '\0' ? r->server_name : NULL, ts_us);
	}
}

/* Fully encrypted traffic is what is left when nothing named the flow:
 * judged once detection is over (see heur_fet.c). */
/* Whether nDPI named f with protocol id (app or master). */
static int
is_id(int id, const struct flow *f)
{
	return id > 0 && (f->cls.app_proto == id || f->cls.master_proto == id);
}

static void
fet_check(struct classify *c, struct flow *f, uint64_t ts_us)
{
	struct heur_hit hit;
	/* nDPI 4.2 takes random datagrams for RTP (any first byte of
	 * 0x80-0xbf and a payload type it knows). RTP keeps its version
	 * byte and SSRC in clear; the UDP judgement asks that no header
	 * byte stay the same, so it overrules that answer. */
	int rtp = f->key.proto == 17 && (is_id(c->rtp[0], f) ||
	    is_id(c->rtp[1], f));

	if (f->cls.heur_hit || f->cls.nsigs > 0 || f->cls.verdict_made ||
	    f->cls.category != CAT_NONE ||
	    (f->key.proto == 6 && !f->cls.syn_first) ||
	    (!rtp && f->cls.dpi_confidence != DPI_CONF_UNKNOWN &&
	    f->cls.dpi_confidence != DPI_CONF_PORT &&
	    (f->cls.master_proto != 0 || f->cls.app_proto != 0)))
		return;
	memset(&hit, 0, sizeof(hit));
	if (heur_fet_judge(&f->cls.heur, &hit))
		heur_evidence(c, f, &hit, ts_us);
}

/* Ends detection for f (giving up first when it is not final), frees the
 * nDPI state, and weighs nDPI's answer. */
static void
detection_end(struct classify *c, struct flow *f, int giveup, uint64_t ts_us)
{
	struct dpi_result r;
	struct dpi_tls tls;
	int have_tls = 0;

	if (f->cls.dpi_done)
		return;
	if (f->cls.dpi != NULL) {
		if (giveup) {
			memset(&r, 0, sizeof(r));
			dpi_giveup(c->dpi, f->cls.dpi, c->cfg->dpi_guess, &r);
			record_result(c, f, &r, ts_us);
			c->dpi_giveup++;
		} else {
			c->dpi_final++;
		}
		have_tls = dpi_tls_info(c->dpi, f->cls.dpi, &tls);
		dpi_flow_free(c->dpi, f->cls.dpi);
		f->cls.dpi = NULL;
		c->dpi_live--;
	} else {
		c->dpi_no_payload++;
	}
	f->cls.dpi_done = 1;
	ndpi_evidence(c, f, ts_us);
	if (f->cls.master_proto != 0 || f->cls.app_proto != 0)
		match_signatures(c, f, NULL, 0, have_tls ? &tls : NULL, NULL,
		    ts_us);
	fet_check(c, f, ts_us);
	settle(c, f, ts_us);
}

#define TCP_SYN	0x02
#define TCP_ACK	0x10

static int
is_dns_port(const struct pkt *p)
{
	return p->proto == 17 && (p->sport == 53 || p->dport == 53);
}

/* Feeds the behaviour detectors with a packet of f; returns whether it is
 * one of a flood the VM is sending now. */
static int
behave_observe(struct classify *c, struct flow *f, const struct pkt *p, int dir)
{
	struct behave_hit hits[4];
	struct behave_pkt bp;
	size_t i, n;
	int side = vm_side(c->cfg, f), flooding = 0;

	if (side == -1)
		return 0;
	memset(&bp, 0, sizeof(bp));
	bp.ts_us = p->ts_us;
	bp.vm = vm_addr(c->cfg, f);
	bp.target = peer_addr(c->cfg, f);
	bp.from_vm = dir == side;
	bp.proto = p->proto;
	bp.vm_port = vm_port(c->cfg, f);
	bp.target_port = peer_port(c->cfg, f);
	bp.tcp_flags = p->tcp_flags;
	bp.icmp_type = p->icmp_type;
	bp.wire_len = p->wire_len;
	bp.payload = p->payload_caplen > 0 ? p->payload : NULL;
	bp.payload_len = p->payload_caplen;
	bp.payload_wire = p->payload_len;
	bp.forcing = p->v6_forcing;
	bp.first_of_side = f->pkts[dir] == 1;
	bp.vm_opened = side == 0;
	bp.vm_pkts = f->pkts[side];
	n = behave_packet(c->behave, &bp, hits, NELEM(hits), &flooding);
	for (i = 0; i < n; i++) {
		/* A peer-to-peer protocol's fan-out to peers that are gone
		 * (Gnutella's pings, a DHT's lookups) is that protocol,
		 * reported as such, not a scan. */
		if (hits[i].category == CAT_SCAN && f->cls.category == CAT_P2P) {
			c->verdicts_p2p_fanout++;
			continue;
		}
		verdict_make(c, &(struct verdict_about){ .hit = &hits[i] },
		    p->ts_us);
	}
	return flooding;
}

/* The record sizes of a TLS session say what it carries (tlsrec.h). Its
 * logins refused, by the server's delays, count as password guesses when
 * there are at least TLS_GUESS_MIN and the connection lasted at most
 * TLS_GUESS_CONN_US: a guesser's connection ends when the server has
 * refused a few passwords; a client's long-held one (a long poll that
 * the server answers after a second or two) does not. */
#define TLS_GUESS_MIN		2
#define TLS_GUESS_CONN_US	(60ULL * 1000000)

static void
tls_judge(struct classify *c, struct flow *f, uint64_t ts_us, int ended)
{
	struct heur_hit hit;

	struct tlsrec *t = slotpool_get(c->tls, f->cls.tls_slot);

	memset(&hit, 0, sizeof(hit));
	if (!f->cls.tls_done && !f->cls.verdict_made && tlsrec_judge(t, &hit))
		heur_evidence(c, f, &hit, ts_us);
	if (!f->cls.tls_done && !ended &&
	    tlsrec_delayed_replies(t) >= TLS_GUESS_MIN) {
		/* Judged, but refused logins may be in it: the records
		 * stay for the connection's end (conn_ended). */
		f->cls.tls_done = 1;
		return;
	}
	slotpool_give(c->tls, f->cls.tls_slot);
	f->cls.tls_slot = 0;
	f->cls.tls_done = 1;
}

static void
tls_track(struct classify *c, struct flow *f, const struct pkt *p, int dir)
{
	int judge;

	if (f->cls.tls_done && f->cls.tls_slot == 0)
		return;
	if (f->cls.tls_slot == 0) {
		/* Only a session whose opener starts with a ClientHello. */
		if (dir != 0 || p->payload_caplen < 6 || p->payload[0] != 22 ||
		    p->payload[1] != 3 || p->payload[5] != 1 ||
		    f->cls.verdict_made) {
			f->cls.tls_done = 1;
			return;
		}
		if ((f->cls.tls_slot = slotpool_take(c->tls)) == 0) {
			c->tls_untracked++;
			f->cls.tls_done = 1;
			return;
		}
	}
	judge = tlsrec_feed(slotpool_get(c->tls, f->cls.tls_slot), dir,
	    p->payload, p->payload_caplen, p->payload_len, p->ts_us);
	/* A session judged already, kept for its logins, is only counted
	 * on (tls_judge). */
	if (judge && !f->cls.tls_done)
		tls_judge(c, f, p->ts_us, 0);
}

/* A finding that makes the flow's verdict more precise: SSH carrying a
 * tunnel is a proxy as well as remote access. It is a verdict of its own
 * when the flow already has one of another category. */
static void
refine_evidence(struct classify *c, struct flow *f, const struct heur_hit *hit,
    uint64_t ts_us)
{
	struct evidence ev;

	if (!f->cls.verdict_made) {
		heur_evidence(c, f, hit, ts_us);
		return;
	}
	if (f->cls.category == hit->category)
		return;
	c->heur_hits++;
	memset(&ev, 0, sizeof(ev));
	ev.source = EV_HEURISTIC;
	ev.category = hit->category;
	ev.confidence = hit->confidence;
	ev.hit = hit;
	f->cls.verdict_made = 0;
	make_verdict(c, f, &ev, ts_us);
	f->cls.verdict_made = 1;
}

/*
 * Gives the SSH slot back, judging the session's shape. A remote-access
 * verdict held for the login (make_verdict) is made now, unless the
 * connection ended with every login refused: a guesser's connection
 * (reported by the guessing detector) gave no remote access.
 */
static void
ssh_judge(struct classify *c, struct flow *f, uint64_t ts_us, int ended)
{
	struct sshshape *t = slotpool_get(c->ssh, f->cls.ssh_slot);
	struct sshshape_login login;
	struct heur_hit hit;

	if (sshshape_hold(t, -1)) {
		sshshape_login(t, &login);
		if (ended && login.read && !login.success) {
			f->cls.verdict_made = 1;
			c->ssh_refused_only++;
		} else
			settle(c, f, ts_us);
	}
	memset(&hit, 0, sizeof(hit));
	if (sshshape_judge(t, &hit))
		refine_evidence(c, f, &hit, ts_us);
	slotpool_give(c->ssh, f->cls.ssh_slot);
	f->cls.ssh_slot = 0;
	f->cls.ssh_done = 1;
}

static void
ssh_track(struct classify *c, struct flow *f, const struct pkt *p, int dir)
{
	struct sshshape *t;

	if (f->cls.ssh_done)
		return;
	if (f->cls.ssh_slot == 0) {
		/* RFC 4253 section 4.2: each side opens with "SSH-". */
		if (f->cls.payload_pkts > 2) {
			f->cls.ssh_done = 1;
			return;
		}
		if (p->payload_caplen < 4 || memcmp(p->payload, "SSH-", 4) != 0)
			return;
		if ((f->cls.ssh_slot = slotpool_take(c->ssh)) == 0) {
			c->ssh_untracked++;
			f->cls.ssh_done = 1;
			return;
		}
	}
	t = slotpool_get(c->ssh, f->cls.ssh_slot);
	if (sshshape_feed(t, dir, p->payload, p->payload_caplen,
	    p->payload_len))
		ssh_judge(c, f, p->ts_us, 0);
	else if (sshshape_hold(t, 0) && !sshshape_login_pending(t)) {
		/* The login succeeded: the held verdict is made. */
		sshshape_hold(t, -1);
		settle(c, f, p->ts_us);
	}
}

/*
 * Attribution that spoofing cannot defeat: where the inventory names VMs
 * by MAC or by capture interface, a packet's source MAC, or its arrival
 * from the VM on the VM's own interface, says which VM sent it whatever
 * its source address, and a VM that sends from addresses it does not own
 * (another VM's, by the inventory's address rows, or outside
 * vm_networks) is spoofing, itself evidence of a DoS: SPOOF_MIN such
 * packets within SPOOF_WINDOW_US make a dos verdict (spoofed_source), once
 * per suppression window per VM. Returns whether the sender is a VM by
 * its link. by_iface: the sender is the VM of interface p->ifname.
 */
#define SPOOF_WINDOW_US	(10ULL * 1000000)
#define SPOOF_MIN	16

static int
spoof_check(struct classify *c, const struct pkt *p, int by_iface)
{
	struct inventory_foreign *st;
	struct behave_hit h;
	char a[64], via[28], line[192];
	int in_nets = c->cfg->n_vm_networks == 0 ? -1 :
	    in_vm_networks(c->cfg, p->src);

	if ((by_iface ? inventory_foreign_iface(c->inv, p->ifname, p->src,
	    in_nets, p->ts_us, SPOOF_WINDOW_US, &st) :
	    inventory_foreign(c->inv, p->smac, p->src, in_nets, p->ts_us,
	    SPOOF_WINDOW_US, &st)) == NULL)
		return 0;
	if (st == NULL)
		return 1;
	memcpy(st->example, p->src, 16);
	if (st->count < SPOOF_MIN || (st->last != 0 && p->ts_us + 1 - st->last <
	    c->cfg->suppress_window_us && p->ts_us + 1 >= st->last))
		return 1;
	st->last = p->ts_us + 1;
	memset(&h, 0, sizeof(h));
	h.category = CAT_DOS;
	h.confidence = CONF_HIGH;
	h.detector = "spoofed_source";
	memcpy(h.vm, p->src, 16);
	h.proto = p->proto;
	h.count = st->count;
	h.packets = st->count;
	h.window_us = p->ts_us >= st->start ? p->ts_us - st->start : 0;
	h.rate_pps = h.window_us > 0 ? (double)st->count * 1e6 /
	    (double)h.window_us : 0;
	addr_format(p->src, a, sizeof(a));
	if (by_iface)
		snprintf(via, sizeof(via), "interface %.15s", p->ifname);
	else
		snprintf(via, sizeof(via), "MAC %02x:%02x:%02x:%02x:%02x:%02x",
		    p->smac[0], p->smac[1], p->smac[2], p->smac[3],
		    p->smac[4], p->smac[5]);
	snprintf(line, sizeof(line), "%u packets from its %s from "
	    "addresses not its own in %llu s, last %.40s", st->count, via,
	    (unsigned long long)(SPOOF_WINDOW_US / 1000000), a);
	str_copy(h.detail, line, sizeof(h.detail));	/* fits for IPv4 */
	verdict_make(c, &(struct verdict_about){ .hit = &h }, p->ts_us);
	return 1;
}

/*
 * Who a packet is, by its link: 1 its sender is a VM (by its source MAC,
 * or because it came from the VM on the VM's interface), 2 its receiver is
 * (sent to the VM on its interface), 0 the link does not say. The
 * addresses seen on a VM's link are bound to it on the way.
 */
static int
by_link(struct classify *c, const struct pkt *p)
{
	if (p->ifname != NULL && p->link_dir != LINK_UNKNOWN) {
		if (p->ifname != c->if_last) {
			c->if_last = p->ifname;
			c->if_last_vm = inventory_iface(c->inv, p->ifname) !=
			    NULL;
		}
		if (c->if_last_vm) {
			if (p->link_dir == LINK_OUT) {
				inventory_learn_iface(c->inv, p->ifname, p->dst);
				return 2;
			}
			inventory_learn_iface(c->inv, p->ifname, p->src);
			return spoof_check(c, p, 1);
		}
	}
	if (!p->has_mac)
		return 0;
	inventory_learn(c->inv, p->smac, p->src);
	inventory_learn(c->inv, p->dmac, p->dst);
	return spoof_check(c, p, 0);
}

void
classify_packet(struct classify *c, const struct pkt *p)
{
	struct dpi_result r;
	struct pkt on_clock;
	struct flow *f;
	uint64_t t;
	long budget;
	int dir, final, first;

	int link = 0;

	/* From here on the packet's time is the clock's: a copy only when
	 * they differ, after a step back or for a reordered packet. */
	if ((t = pktclock_read(&c->clock, p->ts_us)) != p->ts_us) {
		on_clock = *p;
		on_clock.ts_us = t;
		p = &on_clock;
	}
	c->packets++;
	c->bytes += p->wire_len;
	if (c->inv != NULL && inventory_has_macs(c->inv))
		link = by_link(c, p);
	f = flowtab_packet(c->ft, p, &dir);
	first = f->pkts[0] + f->pkts[1] == 1;
	if (first && link != 0)	/* the VM opened it, or was sent it */
		f->cls.vm_side = (uint8_t)(link == 1 ? 0 + 2 : 1 + 2);
	if (first)
		flow_begins(c, f, p, p->ts_us);
	if (p->payload_caplen > 0) {
		c->cur_pkt = p;
		c->cur_dir = dir;
		if (is_dns_port(p))
			inspect_dns(c, f, p, dir);
		inspect_payload(c, f, p, dir);
		if (p->proto == 6) {
			tls_track(c, f, p, dir);
			ssh_track(c, f, p, dir);
		}
		c->cur_pkt = NULL;
	}
	if (f->login_held)
		rfb_login(c, f, p, dir);
	/* After the payload's own evidence, so that a scan verdict knows
	 * what the probe's flow is (behave_observe). A flow that a flood
	 * opens with payload is counted and the flood reported, but not
	 * given to nDPI: each of a flood's new flows would cost nDPI state
	 * until it times out, for traffic already judged. (A bare SYN costs
	 * no nDPI state anyway; see below.) */
	if (behave_observe(c, f, p, dir) && first && !f->cls.dpi_done &&
	    !(p->proto == 6 && p->payload_caplen == 0)) {
		f->cls.dpi_done = 1;
		f->cls.shed = 1;
		c->dpi_shed++;
	}
	if (f->cls.dpi_done)
		return;
	if (f->cls.dpi == NULL) {
		/* A TCP segment without payload gives nDPI nothing to read that
		 * it would not guess at the end from ports and addresses; its
		 * state waits for the first payload. A SYN flood or a port scan
		 * then costs no nDPI state at all. */
		if (p->proto == 6 && p->payload_caplen == 0) {
			if (f->pkts[0] + f->pkts[1] == 1 && dir == 0 &&
			    (p->tcp_flags & (TCP_SYN | TCP_ACK)) == TCP_SYN)
				f->cls.syn_first = 1;
			return;
		}
		f->cls.dpi = dpi_flow_new(c->dpi);
		f->cls.dpi_seen = 1;
		if (++c->dpi_live > c->dpi_live_max)
			c->dpi_live_max = c->dpi_live;
		memset(&r, 0, sizeof(r));
		if (f->cls.syn_first) {
			/* What nDPI would have seen first. */
			f->cls.dpi_pkts++;
			if (dpi_process_syn(c->dpi, f->cls.dpi, flow_src_addr(f),
			    flow_src_port(f), flow_dst_addr(f), flow_dst_port(f),
			    f->first_us / 1000, &r)) {
				record_result(c, f, &r, p->ts_us);
				detection_end(c, f, 0, p->ts_us);
				return;
			}
		}
	}
	memset(&r, 0, sizeof(r));
	final = dpi_process(c->dpi, f->cls.dpi, p->l3, p->l3_len, p->ts_us / 1000, &r);
	record_result(c, f, &r, p->ts_us);
	f->cls.dpi_pkts++;
	budget = p->proto == 6 ? c->cfg->dpi_tcp_packets : c->cfg->dpi_udp_packets;
	if (final) {
		detection_end(c, f, 0, p->ts_us);
	} else if (f->cls.dpi_pkts >= budget || f->tclass == FLOW_TC_TCP_CLOSED) {
		/* Out of budget, or the connection is over: decide now. */
		detection_end(c, f, 1, p->ts_us);
	} else if (r.confidence >= DPI_CONF_CACHE && !f->cls.verdict_made) {
		/* nDPI knows the protocol and only wants more packets for its
		 * metadata: a forbidden protocol is reported now. */
		ndpi_evidence(c, f, p->ts_us);
	}
}

/* Tells the password-guessing detector about an ended TCP connection. */
static void
conn_ended(struct classify *c, struct flow *f,
    const struct sshshape_login *login, unsigned tls_refused)
{
	struct behave_hit hits[4];
	struct behave_conn bc;
	size_t i, n;
	int side = vm_side(c->cfg, f);

	if (f->key.proto != 6 || side == -1)
		return;
	memset(&bc, 0, sizeof(bc));
	bc.ts_us = f->last_us;
	bc.vm = vm_addr(c->cfg, f);
	bc.target = peer_addr(c->cfg, f);
	bc.proto = 6;
	bc.target_port = peer_port(c->cfg, f);
	/* Established: both sides sent more than a handshake's worth. */
	bc.established = f->pkts[0] >= 2 && f->pkts[1] >= 1;
	bc.duration_us = f->last_us - f->first_us;
	bc.bytes_from_vm = f->bytes[side];
	bc.bytes_to_vm = f->bytes[!side];
	bc.pkts_from_vm = f->pkts[side];
	bc.pkts_to_vm = f->pkts[!side];
	if (login->read && !login->success) {
		bc.logins_refused = login->refused;
		bc.login_read = 1;
	} else if (tls_refused >= TLS_GUESS_MIN &&
	    bc.duration_us <= TLS_GUESS_CONN_US) {
		bc.logins_refused = tls_refused;
		bc.login_read = 1;
		bc.login_tls = 1;
	}
	n = behave_conn_end(c->behave, &bc, hits, NELEM(hits));
	for (i = 0; i < n; i++)
		verdict_make(c, &(struct verdict_about){ .hit = &hits[i] },
		    f->last_us);
}

static void
on_flow_end(struct flow *f, enum flow_end why, void *arg)
{
	struct classify *c = arg;
	struct flow_event fe;
	struct dpi_result r;
	struct sshshape_login login;

	unsigned tls_refused = 0;

	detection_end(c, f, 1, f->last_us);
	if (f->cls.tls_slot != 0) {
		tls_refused = tlsrec_delayed_replies(slotpool_get(c->tls,
		    f->cls.tls_slot));
		tls_judge(c, f, f->last_us, 1);
	}
	memset(&login, 0, sizeof(login));
	if (f->cls.ssh_slot != 0) {
		sshshape_login(slotpool_get(c->ssh, f->cls.ssh_slot), &login);
		ssh_judge(c, f, f->last_us, 1);
	}
	fet_check(c, f, f->last_us);
	if (f->login_held) {
		/* An RFB session that never got past its login. */
		f->login_held = 0;
		f->cls.verdict_made = 1;
		c->vnc_refused_only++;
	}
	settle(c, f, f->last_us);
	conn_ended(c, f, &login, tls_refused);
	if (c->out.flow == NULL)
		return;
	memset(&fe, 0, sizeof(fe));
	/* The capture time of the first packet, and the duration on the
	 * clock: a flow alive across a step back ends after it starts. */
	fe.start_us = pktclock_capture_time(&c->clock, f->first_us);
	fe.end_us = fe.start_us + (f->last_us - f->first_us);
	fe.ts_us = fe.end_us;
	fe.flow_id = flow_id(f);
	tuple_of(f, &fe.t);
	memset(&r, 0, sizeof(r));
	r.master = f->cls.master_proto;
	r.app = f->cls.app_proto;
	r.category = f->cls.ndpi_category;
	r.confidence = f->cls.dpi_confidence;
	/* A flow without payload was never given to nDPI: the event names
	 * what nDPI would have guessed, which is no evidence (see
	 * ndpi_evidence) and so is asked only here. A flood's flow carried
	 * payload nDPI never saw; a guess from its ports would be noise. */
	if (!f->cls.dpi_seen && !f->cls.shed && c->cfg->dpi_guess)
		dpi_guess(c->dpi, f->key.proto, flow_src_addr(f), flow_src_port(f),
		    flow_dst_addr(f), flow_dst_port(f), &r);
	dpi_name(c->dpi, r.master, r.app, fe.app_proto, sizeof(fe.app_proto));
	str_copy(fe.ndpi_category, dpi_category_name(c->dpi, r.category),
	    sizeof(fe.ndpi_category));
	fe.category = (enum policy_category)f->cls.category;
	str_copy(fe.server_name, f->cls.server_name, sizeof(fe.server_name));
	fe.pkts_toserver = f->pkts[0];
	fe.pkts_toclient = f->pkts[1];
	fe.bytes_toserver = f->bytes[0];
	fe.bytes_toclient = f->bytes[1];
	fe.end_reason = flow_end_name(why);
	fe.dpi_confidence = dpi_confidence_name(r.confidence);
	c->out.flow(&fe, c->out.arg);
}

void
classify_expire(struct classify *c, uint64_t now_us)
{
	flowtab_expire(c->ft, pktclock_read_wall(&c->clock, now_us));
}

void
classify_flush(struct classify *c)
{
	flowtab_flush(c->ft);
}

void
classify_stats(const struct classify *c, struct stats_event *s)
{
	static const char *const end_keys[FLOW_END_N] = {
		"ended_fin", "ended_rst", "ended_timeout", "evicted", "ended_input",
	};
	struct flowtab_stats fs;
	int i;

	stats_add(s, "capture", "time_steps_back", c->clock.steps_back);
	flowtab_stats(c->ft, &fs);
	stats_add(s, "flow", "created", fs.created);
	stats_add(s, "flow", "active", fs.active);
	for (i = 0; i < FLOW_END_N; i++)
		stats_add(s, "flow", end_keys[i], fs.ended[i]);
	stats_add(s, "dpi", "detected", c->dpi_final);
	stats_add(s, "dpi", "given_up", c->dpi_giveup);
	stats_add(s, "dpi", "no_payload", c->dpi_no_payload);
	stats_add(s, "dpi", "flood_shed", c->dpi_shed);
	stats_add(s, "dpi", "in_progress", c->dpi_live);
	stats_add(s, "dpi", "in_progress_max", c->dpi_live_max);
	stats_add(s, "dpi", "unconfirmed", c->ndpi_unconfirmed);
	stats_add(s, "detect", "contextual_only", c->contextual_only);
	stats_add(s, "detect", "tls_untracked", c->tls_untracked);
	stats_add(s, "detect", "ssh_untracked", c->ssh_untracked);
	stats_add(s, "detect", "ssh_refused_only", c->ssh_refused_only);
	stats_add(s, "detect", "vnc_refused_only", c->vnc_refused_only);
	stats_add(s, "detect", "signatures_loaded", sigset_count(c->sigs));
	stats_add(s, "detect", "signature_matches", c->sig_matches);
	stats_add(s, "detect", "heuristic_hits", c->heur_hits);
	stats_add(s, "detect", "dns_answers_cached", c->dns_answers);
	stats_add(s, "detect", "dns_tunnels", c->dns_tunnels);
	for (i = 1; i < CAT_N; i++)
		stats_add(s, "verdicts", policy_category_name((enum policy_category)i),
		    c->verdicts[i]);
	{
		static const char *const by[EV_SOURCE_N] = {
			NULL, "by_ndpi", "by_signature", "by_heuristic",
			"by_behaviour",
		};
		struct behave_stats bs;

		for (i = 1; i < EV_SOURCE_N; i++)
			stats_add(s, "verdicts", by[i], c->verdicts_by[i]);
		behave_stats(c->behave, &bs);
		stats_add(s, "behaviour", "entries", bs.entries);
		stats_add(s, "behaviour", "evicted", bs.evicted);
		stats_add(s, "behaviour", "bytes", bs.bytes);
		stats_add(s, "behaviour", "hits", bs.hits);
		stats_add(s, "behaviour", "suppressed", bs.suppressed);
	}
	stats_add(s, "verdicts", "outside_vm_networks", c->verdicts_not_vm);
	stats_add(s, "verdicts", "ingress", c->verdicts_ingress);
	stats_add(s, "verdicts", "scan_probe", c->verdicts_scan_probe);
	stats_add(s, "verdicts", "p2p_fanout", c->verdicts_p2p_fanout);
	stats_add(s, "verdicts", "suppressed", c->verdicts_suppressed);
	stats_add(s, "verdicts", "below_min_confidence", c->below_min_confidence);
}

/* A flow's signature indexes name rules of the set being replaced. */
static void
forget_sigs(struct flow *f, void *arg)
{
	(void)arg;
	f->cls.nsigs = 0;
	f->cls.host_tried = 0;	/* the new host rules get their turn */
}

int
classify_reload(struct classify *c, const struct config *cfg, char *err,
    size_t errlen)
{
	const struct config *old_cfg = c->cfg;
	struct sigset *old = c->sigs;

	c->cfg = cfg;
	if (load_rules(c, err, errlen) == -1) {
		sigset_free(c->sigs);
		c->sigs = old;
		c->cfg = old_cfg;
		return -1;
	}
	flowtab_foreach(c->ft, forget_sigs, NULL);
	sigset_free(old);
	return 0;
}

struct inventory *
classify_set_inventory(struct classify *c, struct inventory *inv)
{
	struct inventory *old = c->inv;

	c->inv = inv;
	c->if_last = NULL;
	return old;
}
