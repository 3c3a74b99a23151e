/*
 * classify.c: the worker. Per packet: find the flow, feed nDPI while its
 * detection runs, run the protocol heuristics and payload rules over the
 * first payload packets, try the signatures whenever a new fact about the
 * flow is known (its addresses and GeoIP at the first packet, its server
 * name, its payload, nDPI's answer), and turn the strongest evidence into
 * one verdict. See include/classify.h. What is found is weighed in
 * evidence.c, and verdicts are built in verdict.c (classify_int.h).
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
#include "communityid.h"
#include "dns.h"
#include "dpi.h"
#include "fleetsum.h"
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

static void on_flow_end(struct flow *f, enum flow_end why, void *arg);

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

static void
emit_summary(char *json, size_t len, uint64_t ts_us, void *arg)
{
	struct classify *c = arg;

	c->out.summary(json, len, ts_us, c->out.arg);
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
	if (out->summary != NULL && cfg->nats[0] != '\0' &&
	    (c->fleet = fleetsum_new(cfg->fleet_interval_us,
	    cfg->flood_window_us, (size_t)cfg->fleet_max_pairs, emit_summary,
	    c, err, errlen)) == NULL)
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
	fleetsum_free(c->fleet);
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

/* A packet of a flow whose verdict waits for its RFB login. */
static void
rfb_login(struct classify *c, struct flow *f, const struct pkt *p, int dir)
{
	if ((dir == 1 && p->payload_len == 4 && p->payload_caplen == 4 &&
	    (p->payload[0] | p->payload[1] | p->payload[2] |
	    p->payload[3]) == 0) || f->bytes[1] >= RFB_SESSION_BYTES ||
	    p->ts_us >= f->first_us + RFB_SESSION_US) {
		f->login_held = 0;
		evidence_settle(c, f, p->ts_us);
	}
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
			evidence_name(c, f, name, ts_us);
	}
	memset(&hit, 0, sizeof(hit));
	if (heur_ip_proto(f->key.proto, p->payload, p->payload_caplen, &hit))
		evidence_heur(c, f, &hit, ts_us);
	evidence_signatures(c, f, NULL, 0, NULL, NULL, ts_us);
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
			evidence_heur(c, f, &hit, p->ts_us);
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
			evidence_name(c, f, m.qname, p->ts_us);
		memset(&hit, 0, sizeof(hit));
		if (dns_tunnel_query(c->dns_tunnel, vm, &m, p->ts_us, &hit)) {
			c->dns_tunnels++;
			evidence_heur(c, f, &hit, p->ts_us);
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
			evidence_heur(c, f, &hit, p->ts_us);
	}
	if (dir == 0 && hp.index < 2 && !f->cls.name_own) {
		char name[NAME_MAX_LEN + 1];

		if ((p->proto == 6 && (name_tls_sni(p->payload, p->payload_caplen,
		    name) > 0 || name_http_host(p->payload, p->payload_caplen,
		    name) > 0)) || (p->proto == 17 && name_tls_sni(p->payload,
		    p->payload_caplen, name) > 0))
			evidence_name(c, f, name, p->ts_us);
	}
	evidence_signatures(c, f, p->payload,
	    p->payload_caplen < SIG_PAYLOAD_DEPTH ? p->payload_caplen :
	    SIG_PAYLOAD_DEPTH, NULL, NULL, p->ts_us);
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
			evidence_dpi_result(c, f, &r, ts_us);
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
	evidence_ndpi(c, f, ts_us);
	if (f->cls.master_proto != 0 || f->cls.app_proto != 0)
		evidence_signatures(c, f, NULL, 0, have_tls ? &tls : NULL, NULL,
		    ts_us);
	evidence_fet(c, f, ts_us);
	evidence_settle(c, f, ts_us);
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
	uint64_t logins;
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
	logins = c->fleet != NULL ? behave_logins(c->behave) : 0;
	n = behave_packet(c->behave, &bp, hits, NELEM(hits), &flooding);
	if (c->fleet != NULL)
		fleetsum_packet(c->fleet, &bp, behave_logins(c->behave) - logins,
		    c->inv);
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
		evidence_heur(c, f, &hit, ts_us);
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
			evidence_settle(c, f, ts_us);
	}
	memset(&hit, 0, sizeof(hit));
	if (sshshape_judge(t, &hit))
		evidence_refine(c, f, &hit, ts_us);
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
		evidence_settle(c, f, p->ts_us);
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
				evidence_dpi_result(c, f, &r, p->ts_us);
				detection_end(c, f, 0, p->ts_us);
				return;
			}
		}
	}
	memset(&r, 0, sizeof(r));
	final = dpi_process(c->dpi, f->cls.dpi, p->l3, p->l3_len, p->ts_us / 1000, &r);
	evidence_dpi_result(c, f, &r, p->ts_us);
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
		evidence_ndpi(c, f, p->ts_us);
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
	uint64_t logins;
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
	logins = c->fleet != NULL ? behave_logins(c->behave) : 0;
	n = behave_conn_end(c->behave, &bc, hits, NELEM(hits));
	if (c->fleet != NULL && behave_logins(c->behave) > logins)
		fleetsum_logins(c->fleet, bc.ts_us, bc.vm, bc.target, bc.proto,
		    bc.target_port, behave_logins(c->behave) - logins, c->inv);
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
	evidence_fet(c, f, f->last_us);
	if (f->login_held) {
		/* An RFB session that never got past its login. */
		f->login_held = 0;
		f->cls.verdict_made = 1;
		c->vnc_refused_only++;
	}
	evidence_settle(c, f, f->last_us);
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
	community_id_tuple((uint16_t)c->cfg->community_id_seed, &fe.t,
	    fe.community_id);
	memset(&r, 0, sizeof(r));
	r.master = f->cls.master_proto;
	r.app = f->cls.app_proto;
	r.category = f->cls.ndpi_category;
	r.confidence = f->cls.dpi_confidence;
	/* A flow without payload was never given to nDPI: the event names
	 * what nDPI would have guessed, which is no evidence (see
	 * evidence_ndpi) and so is asked only here. A flood's flow carried
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
	uint64_t now = pktclock_read_wall(&c->clock, now_us);

	flowtab_expire(c->ft, now);
	if (c->fleet != NULL)
		fleetsum_tick(c->fleet, now, 0, c->inv);
}

void
classify_flush(struct classify *c)
{
	flowtab_flush(c->ft);
	if (c->fleet != NULL)
		fleetsum_tick(c->fleet, 0, 1, c->inv);
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
