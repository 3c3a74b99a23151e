/*
 * classify_int.h: what the worker's own files share, and no one else:
 * the worker's state (struct classify), a piece of evidence, which side
 * of a flow is the VM, and the entries of the evidence, verdict and stats
 * files. include/classify.h is the worker's interface; this is not.
 *
 * The worker is split by what runs how often: classify.c is the packet
 * path (flow lookup, nDPI, the payload readers, behaviour) and a flow's
 * start and end; evidence.c weighs what they find and decides whether a
 * flow's verdict is made; verdict.c builds every verdict, a flow's or a
 * behaviour detector's, in one function; suppress.c holds repeats back;
 * classify_stats.c renders the counters. The side helpers below are
 * inline: they run on every packet.
 */
#ifndef EGRESSD_CLASSIFY_INT_H
#define EGRESSD_CLASSIFY_INT_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "classify.h"
#include "flowtab.h"
#include "pktclock.h"
#include "policy.h"

struct behave_hit;
struct heur_hit;
struct sig_rule;
struct dpi_result;
struct dpi_tls;

/* Where a piece of evidence came from; a flow keeps it in cls.source. */
enum ev_source { EV_NONE, EV_NDPI, EV_SIGNATURE, EV_HEURISTIC, EV_BEHAVIOUR,
	EV_SOURCE_N };

/* One piece of evidence, as it is found. */
struct evidence {
	enum ev_source source;
	enum policy_category category;
	enum confidence confidence;
	const struct sig_rule *rule;	/* EV_SIGNATURE */
	const struct heur_hit *hit;	/* EV_HEURISTIC */
	int contextual;		/* a port or an address only: never alone */
};

struct classify {
	const struct config *cfg;
	struct classify_out out;
	struct pktclock clock;		/* every time used is read through it */
	struct flowtab *ft;
	struct dpi *dpi;
	struct policy *policy;
	struct sigset *sigs;
	struct geo *geo;		/* NULL without GeoIP databases */
	struct dns_cache *dns_cache;	/* NULL when dns_cache_size is 0 */
	struct dns_tunnel *dns_tunnel;
	struct behave *behave;
	struct fleetsum *fleet;		/* NULL: no fleet summaries */
	struct suppress *suppress;	/* repeated verdicts held back */
	struct inventory *inv;		/* NULL: a VM is its address */
	const char *if_last;		/* the last interface looked up, */
	int if_last_vm;			/* and whether it is a VM's */
	const char *cur_host;		/* the name being matched, or NULL */
	struct slotpool *tls;		/* tlsrec state of young TLS flows */
	uint64_t tls_untracked;		/* TLS flows the pool had no slot for */
	struct slotpool *ssh;		/* sshshape state of young SSH flows */
	uint64_t ssh_untracked;		/* SSH flows the pool had no slot for */
	uint64_t vnc_refused_only;	/* RFB sessions that ended at login */
	const struct pkt *cur_pkt;	/* the packet whose payload is read, */
	int cur_dir;			/* and its direction */
	uint64_t ssh_refused_only;	/* SSH connections whose logins all
					 * failed: no remote-access verdict */
	int weak[2];			/* nDPI ids that need corroboration */
	int rtp[2];			/* nDPI's RTP and RTCP */
	/* counters for stats */
	uint64_t packets, bytes;
	uint64_t dpi_final, dpi_giveup, dpi_live, dpi_live_max;
	uint64_t dpi_no_payload;	/* TCP flows that never carried payload */
	uint64_t dpi_shed;		/* flows a flood opened, not given to nDPI */
	uint64_t verdicts[CAT_N];
	uint64_t verdicts_by[EV_SOURCE_N];
	uint64_t verdicts_not_vm;	/* a forbidden flow with no VM side */
	uint64_t verdicts_ingress;	/* opened towards a VM: not egress */
	uint64_t verdicts_scan_probe;	/* unanswered probes of a port scan */
	uint64_t verdicts_p2p_fanout;	/* scans that were a p2p protocol's */
	uint64_t verdicts_suppressed;	/* within suppress_window of a twin */
	uint64_t sig_matches, heur_hits, ndpi_unconfirmed;
	uint64_t contextual_only;	/* flows whose only evidence was a port
					 * or an address: no verdict */
	uint64_t below_min_confidence;	/* verdicts under min_confidence */
	/* The heuristics' static names met so far: a flow keeps an index
	 * into this (one byte) rather than a pointer. */
	const char *heur_names[64];
	unsigned nheur_names;
	uint64_t dns_answers, dns_tunnels;
};

/* ---- which side is the VM (classify.c) ---- */

int classify_vm_side_find(const struct config *cfg, struct flow *f);

/* Which side is the VM: 0 the opener, 1 the responder, -1 neither. The
 * answer is worked out once per flow (vm_networks may hold 1024 prefixes)
 * and kept in the record, 2 added so that 0 means not yet. */
static inline int
vm_side(const struct config *cfg, struct flow *f)
{
	if (f->cls.vm_side != 0)
		return f->cls.vm_side - 2;
	return classify_vm_side_find(cfg, f);
}

/* The address of the side that is not the VM (the responder when neither
 * side is a VM). */
static inline const uint8_t *
peer_addr(const struct config *cfg, struct flow *f)
{
	return vm_side(cfg, f) == 1 ? flow_src_addr(f) : flow_dst_addr(f);
}

static inline const uint8_t *
vm_addr(const struct config *cfg, struct flow *f)
{
	return vm_side(cfg, f) == 1 ? flow_dst_addr(f) : flow_src_addr(f);
}

/* The ports of those two sides. */
static inline uint16_t
peer_port(const struct config *cfg, struct flow *f)
{
	return vm_side(cfg, f) == 1 ? flow_src_port(f) : flow_dst_port(f);
}

static inline uint16_t
vm_port(const struct config *cfg, struct flow *f)
{
	return vm_side(cfg, f) == 1 ? flow_dst_port(f) : flow_src_port(f);
}

static inline void
tuple_of(const struct flow *f, struct flow_tuple *t)
{
	memcpy(t->src, flow_src_addr(f), 16);
	memcpy(t->dst, flow_dst_addr(f), 16);
	t->sport = flow_src_port(f);
	t->dport = flow_dst_port(f);
	t->proto = f->key.proto;
	t->vlan = f->key.vlan;
	t->icmp_type = f->icmp_type;
	t->icmp_code = f->icmp_code;
}

/* ---- evidence (evidence.c) ---- */

/* Makes the verdict from the best evidence held back (low confidence),
 * once nothing more is to be learned from detection. */
void evidence_settle(struct classify *c, struct flow *f, uint64_t ts_us);
/* Tries the signatures with what is known of f now (payload, tls and
 * host when given), and weighs what matched. */
void evidence_signatures(struct classify *c, struct flow *f,
    const uint8_t *payload, size_t payload_len, const struct dpi_tls *tls,
    const char *host, uint64_t ts_us);
/* A name the flow's client asked for, read from its own bytes. */
void evidence_name(struct classify *c, struct flow *f, const char *name,
    uint64_t ts_us);
/* A heuristic recognised the flow. */
void evidence_heur(struct classify *c, struct flow *f,
    const struct heur_hit *hit, uint64_t ts_us);
/* A finding that makes a verdict already made more precise. */
void evidence_refine(struct classify *c, struct flow *f,
    const struct heur_hit *hit, uint64_t ts_us);
/* nDPI's answer so far, as evidence. */
void evidence_ndpi(struct classify *c, struct flow *f, uint64_t ts_us);
/* Keeps nDPI's answer r in the flow, and tries the rules on a new name. */
void evidence_dpi_result(struct classify *c, struct flow *f,
    const struct dpi_result *r, uint64_t ts_us);
/* Fully encrypted traffic: judged when nothing else named the flow. */
void evidence_fet(struct classify *c, struct flow *f, uint64_t ts_us);

/* ---- verdicts (verdict.c) ---- */

/* What a verdict is about: a flow and the evidence that decided it, or a
 * behaviour detector's finding. */
struct verdict_about {
	const struct flow *flow;	/* NULL: a behaviour verdict */
	const struct evidence *ev;	/* with flow */
	int side;			/* with flow: the VM's side, 0 or 1 */
	const struct behave_hit *hit;	/* without flow */
};

/* Counts the verdict and hands it to c->out.verdict, with its id, VM,
 * peer's GeoIP, action and reason. Whether one is due is the caller's
 * question (evidence_verdict, the behaviour detectors). */
void verdict_make(struct classify *c, const struct verdict_about *a,
    uint64_t ts_us);

#endif
