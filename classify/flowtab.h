/*
 * flowtab.h: the flow table. Both directions of a conversation are one flow:
 * the key holds the two endpoints in a fixed order, so the hash is symmetric,
 * and the hash is SipHash with a key drawn at start-up so traffic cannot aim
 * for one bucket. Every flow record comes from a pool allocated once at
 * max_flows entries: the table never allocates per packet, and when the pool
 * is empty the least recently seen flow is evicted.
 *
 * Time is packet time. Flows sit on one LRU list per timeout class (open
 * TCP, closed TCP, UDP, other); each list is ordered by last packet, so the
 * expired flows are always at the tails and expiry costs nothing when there
 * is none, in a live capture and in a replay alike. A flow ends on FIN from
 * both sides or RST (after a short grace for trailing packets), on idle
 * timeout, on eviction and at flowtab_flush(); every end goes through the
 * on_end callback before the record is reused.
 */
#ifndef EGRESSD_FLOWTAB_H
#define EGRESSD_FLOWTAB_H

#include <stddef.h>
#include <stdint.h>

#include "decode.h"
#include "heur.h"

struct dpi_flow;

enum flow_tclass { FLOW_TC_TCP, FLOW_TC_TCP_CLOSED, FLOW_TC_UDP, FLOW_TC_OTHER,
	FLOW_TC_N };

enum flow_end { FLOW_END_FIN, FLOW_END_RST, FLOW_END_TIMEOUT,
	FLOW_END_EVICTED, FLOW_END_INPUT, FLOW_END_N };

struct flow_key {
	uint8_t a[16], b[16];	/* endpoint addresses, a <= b */
	uint16_t aport, bport;
	uint16_t vlan;
	uint8_t proto;
	uint8_t pad;		/* zero: keys are hashed and compared bytewise */
};

/* What classification learned about a flow; written by classify/ only. */
struct flow_class {
	struct dpi_flow *dpi;	/* live nDPI state; NULL once detection ended */
	uint32_t asn;		/* of the peer, 0 unknown */
	uint32_t sigs[2];	/* sigset indexes of matched rules */
	uint16_t master_proto;	/* nDPI protocol ids */
	uint16_t app_proto;
	uint16_t ndpi_category;
	uint16_t dpi_pkts;	/* packets given to nDPI */
	uint8_t dpi_confidence;	/* enum dpi_confidence */
	uint8_t category;	/* enum policy_category of the best evidence */
	uint8_t confidence;	/* enum confidence of it */
	uint8_t source;		/* what that evidence came from (classify.c) */
	uint8_t payload_pkts;	/* payload packets the heuristics have seen */
	uint8_t nsigs;		/* signatures matched; the first two are kept */
	uint8_t heur_name;	/* classify.c's index of the heuristic's name */
	uint8_t vm_side:2;	/* classify.c's cache of which side is the VM */
	uint8_t dpi_done:1;	/* detection final or given up */
	uint8_t dpi_seen:1;	/* nDPI was given a packet of the flow */
	uint8_t syn_first:1;	/* the opener's SYN came first; nDPI not told */
	uint8_t shed:1;		/* opened by a flood: never given to nDPI */
	uint8_t verdict_made:1;
	uint8_t heur_hit:1;	/* a heuristic recognised the flow */
	uint8_t host_tried:1;	/* host rules were tried with server_name */
	uint8_t text_first:1;	/* the first payload was JSON or HTTP-like */
	uint8_t hint_counted:1;	/* counted in stats as contextual only */
	uint8_t name_own:1;	/* server_name read by classify/, not nDPI */
	uint8_t tls_done:1;	/* TLS records judged, or not TLS */
	uint8_t ssh_done:1;	/* SSH shape judged, or not SSH */
	uint8_t opener_is_server:1;	/* a heuristic saw the server's side
					 * first (one leg captured) */
	uint8_t either_side:1;	/* a heuristic found both ends alike: the
				 * VM's egress whichever side opened it */
	uint16_t ssh_slot;	/* sshshape slot, 0 none */
	uint16_t tls_slot;	/* tlsrec slot of the records kept, 0 none */
	uint8_t hint;		/* category a port or address suggested */
	char country[3];	/* of the peer, from GeoIP; "" unknown */
	struct heur_flow heur;	/* heuristics' per-flow state */
	char server_name[55];	/* SNI / Host / DNS name, cut to 54 bytes for
				 * the flow event: rules saw the whole name
				 * (names.h) */
};

/* Links are pool indexes + 1 (0: none), half the size of pointers: the
 * record is what every tracked flow costs. The hash chains live beside
 * the pool (flowtab.c), so a lookup that misses touches no record. */
struct flow {
	struct flow_key key;
	uint32_t prev, next;	/* LRU list of its timeout class */
	uint8_t src_is_a;	/* the opener is key.a */
	uint8_t tclass;		/* enum flow_tclass */
	uint8_t fin_seen:2;	/* bit per direction */
	uint8_t login_held:1;	/* classify.c: a remote-access verdict waits
				 * for the login (an RFB session's) */
	uint8_t end_reason;	/* enum flow_end, once closing */
	uint8_t icmp_type, icmp_code;	/* ICMP: the first packet's, which
					 * its Community ID is made of */
	uint64_t first_us, last_us;	/* packet times */
	uint64_t bytes[2];	/* [0] from the opener, [1] to it */
	uint32_t pkts[2];
	struct flow_class cls;
};

struct flowtab_stats {
	uint64_t created;
	uint64_t active;
	uint64_t ended[FLOW_END_N];
};

struct flowtab_cfg {
	long max_flows;
	uint64_t timeout_us[FLOW_TC_N];
	/* Called once for every flow that ends, before its record is reused. */
	void (*on_end)(struct flow *, enum flow_end, void *arg);
	void *arg;
	int fixed_seed;		/* tests: hash key 0, for reproducible buckets */
};

struct flowtab;

struct flowtab *flowtab_new(const struct flowtab_cfg *cfg, char *err, size_t errlen);
void flowtab_free(struct flowtab *ft);

/* Finds or starts the flow p belongs to, counts p in it and sets *dir to 0
 * when p comes from the flow's opener, 1 otherwise. Flows that time out by
 * p's time, and a flow evicted to make room, end first. Never fails. */
struct flow *flowtab_packet(struct flowtab *ft, const struct pkt *p, int *dir);

/* Ends every flow idle past its timeout at packet time now_us. */
void flowtab_expire(struct flowtab *ft, uint64_t now_us);

/* Ends every flow (end of input or shutdown). */
void flowtab_flush(struct flowtab *ft);

void flowtab_stats(const struct flowtab *ft, struct flowtab_stats *st);
/* Calls fn for every live flow (fn must not end or add flows). */
void flowtab_foreach(struct flowtab *ft, void (*fn)(struct flow *, void *),
    void *arg);

const char *flow_end_name(enum flow_end e);

/* flow_id: the same for the same flow and first packet in every replay
 * (derived from the key and the start, not stored). */
uint64_t flow_id(const struct flow *f);

/* Addresses and ports as opener (src) and responder (dest). */
static inline const uint8_t *
flow_src_addr(const struct flow *f)
{
	return f->src_is_a ? f->key.a : f->key.b;
}

static inline const uint8_t *
flow_dst_addr(const struct flow *f)
{
	return f->src_is_a ? f->key.b : f->key.a;
}

static inline uint16_t
flow_src_port(const struct flow *f)
{
	return f->src_is_a ? f->key.aport : f->key.bport;
}

static inline uint16_t
flow_dst_port(const struct flow *f)
{
	return f->src_is_a ? f->key.bport : f->key.aport;
}

#endif
