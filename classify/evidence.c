/*
 * evidence.c: what the worker finds about a flow, weighed into one
 * verdict. nDPI's answer, the signatures, the protocol heuristics and the
 * names the flow asked for each become a piece of evidence; the flow keeps
 * the best, and the verdict is made (make_verdict) once the best is sure
 * enough, or at the end of detection (evidence_settle).
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
 * Before a flow's verdict is made, make_verdict asks whether it is due at
 * all: below min_confidence, no VM side, ingress, a scan's probe, a login
 * not yet past (VNC, SSH), or a repeat within suppress_window (suppress.c)
 * is counted and not reported.
 */
#include <stdio.h>
#include <string.h>

#include "behave.h"
#include "classify_int.h"
#include "dpi.h"
#include "heur.h"
#include "sig.h"
#include "slotpool.h"
#include "sshshape.h"
#include "suppress.h"
#include "util.h"

/* Unanswered ports of a target (or hosts on a port) that make a silent
 * flow to it a scan's probe rather than a conversation (make_verdict). */
#define SCAN_CONTEXT_PORTS	3

/* The signatures a lookup matched, gathered by the callback. */
struct sig_found {
	const struct sig_rule *rule[8];
	unsigned n;
};

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

/* A VNC server's greeting (see classify.c's RFB paragraph). */
static int
rfb_banner(const struct pkt *p)
{
	return p->payload_len == 12 && p->payload_caplen >= 12 &&
	    memcmp(p->payload, "RFB ", 4) == 0 && p->payload[7] == '.' &&
	    p->payload[11] == '\n';
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
void
evidence_settle(struct classify *c, struct flow *f, uint64_t ts_us)
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
void
evidence_signatures(struct classify *c, struct flow *f,
    const uint8_t *payload, size_t payload_len, const struct dpi_tls *tls,
    const char *host, uint64_t ts_us)
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
void
evidence_name(struct classify *c, struct flow *f, const char *name,
    uint64_t ts_us)
{
	f->cls.name_own = 1;
	f->cls.host_tried = 1;
	str_copy(f->cls.server_name, name, sizeof(f->cls.server_name));
	evidence_signatures(c, f, NULL, 0, NULL, name, ts_us);
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
void
evidence_heur(struct classify *c, struct flow *f, const struct heur_hit *hit,
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
void
evidence_ndpi(struct classify *c, struct flow *f, uint64_t ts_us)
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

void
evidence_dpi_result(struct classify *c, struct flow *f,
    const struct dpi_result *r, uint64_t ts_us)
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
		evidence_signatures(c, f, NULL, 0, NULL, !f->cls.name_own &&
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

void
evidence_fet(struct classify *c, struct flow *f, uint64_t ts_us)
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
		evidence_heur(c, f, &hit, ts_us);
}

/* A finding that makes the flow's verdict more precise: SSH carrying a
 * tunnel is a proxy as well as remote access. It is a verdict of its own
 * when the flow already has one of another category. */
void
evidence_refine(struct classify *c, struct flow *f, const struct heur_hit *hit,
    uint64_t ts_us)
{
	struct evidence ev;

	if (!f->cls.verdict_made) {
		evidence_heur(c, f, hit, ts_us);
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

