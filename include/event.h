/*
 * event.h: the records that leave classification for the sinks. They are
 * plain, self-contained values (no pointers into flow state), because a
 * verdict outlives the flow that caused it: sinks queue, retry and spool
 * them. Field meanings follow the event schema in README.md.
 */
#ifndef EGRESSD_EVENT_H
#define EGRESSD_EVENT_H

#include <stdint.h>

#include "vocab.h"

struct flow_tuple {
	uint8_t src[16], dst[16];	/* IPv4-mapped for IPv4 */
	uint16_t sport, dport;
	uint8_t proto;
	uint16_t vlan;
	uint8_t icmp_type, icmp_code;	/* ICMP: of the flow's first packet */
};

struct flow_event {
	uint64_t ts_us;			/* when the flow ended (packet time) */
	uint64_t flow_id;
	struct flow_tuple t;
	char community_id[32];		/* Community ID v1 (communityid.h) */
	char app_proto[64];		/* nDPI Master.App */
	char ndpi_category[32];
	enum policy_category category;
	char server_name[64];
	uint64_t pkts_toserver, pkts_toclient;
	uint64_t bytes_toserver, bytes_toclient;
	uint64_t start_us, end_us;
	const char *end_reason;		/* static string */
	const char *dpi_confidence;	/* static string */
};

#define VERDICT_MAX_SIGS 2

struct pktstore_pkts;

struct verdict {
	uint64_t ts_us;			/* packet time the verdict was made */
	char verdict_id[40];		/* unique and stable across retries */
	char vm[64];			/* VM id, or its address */
	uint8_t vm_addr[16];		/* the VM's address (IPv4-mapped) */
	char tenant[64];		/* from the inventory, "" when none */
	char labels[256];		/* ';' separated, "" when none */
	enum policy_category category;
	const char *severity;		/* static string */
	enum confidence confidence;
	const char *decided_by;		/* static: "ndpi", "signature", ... */
	char reason[768];
	/* evidence */
	char app_proto[64];
	char server_name[256];		/* the whole name rules matched */
	const char *dpi_confidence;	/* static string: how nDPI decided */
	char ndpi_category[32];
	unsigned nsigs;
	struct {
		char id[32];
		char msg[128];
	} sigs[VERDICT_MAX_SIGS];
	char heuristic[32];		/* "" when none fired */
	char heuristic_detail[96];
	uint32_t asn;			/* 0 unknown */
	char as_org[64];
	char country[3];
	/* behaviour: what a detector measured (detector NULL when none) */
	const char *detector;		/* static: "syn_flood", "port_scan", ... */
	int has_target;
	uint8_t target[16];
	uint16_t target_port;		/* 0 when many or none */
	uint8_t target_proto;
	uint64_t window_us, packets, bytes, count, distinct, completed;
	double rate_pps;
	/* the other side: the flow's peer or the behaviour's target */
	int has_peer;
	uint8_t peer[16];
	/* the flow the verdict is about */
	int has_flow;
	uint64_t flow_id;
	struct flow_tuple t;
	char community_id[32];		/* "" without a flow */
	const char *action;		/* static string */
	/* egressd fleet: who took part, comma separated ("vm@host" for
	 * VMs), and how many (more than the lists may name); "" and 0 in a
	 * host's verdicts */
	char fleet_vms[512], fleet_hosts[512], fleet_tenants[512];
	unsigned fleet_nvms, fleet_nhosts, fleet_ntenants;
	/* --evidence-dir: the packets the verdict rests on (pktstore.h),
	 * NULL otherwise. The one exception to plain values: only the
	 * evidence sink reads it, and it owns the copy once handed over;
	 * every other sink leaves it alone. */
	struct pktstore_pkts *evidence;
};

#define STATS_MAX_COUNTERS 160

/* A stats record: named counters in a fixed order, grouped by section. */
struct stats_event {
	uint64_t ts_us;
	unsigned n;
	struct {
		const char *section;	/* "capture", "decoder", "flow", ... */
		const char *name;
		uint64_t value;
	} c[STATS_MAX_COUNTERS];
};

void stats_add(struct stats_event *s, const char *section, const char *name,
    uint64_t value);

#endif
