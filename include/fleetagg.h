/*
 * fleetagg.h: the fleet correlator's judgement (egressd fleet). It adds up
 * the per-host contact summaries (classify/fleetsum.h) per tenant and
 * target across hosts, in windows of packet time (the summaries'
 * intervals, aligned on every host), and applies the behaviour detectors'
 * thresholds to the sums:
 *
 *   distributed flood   a tenant's VMs (2 or more) together send a target
 *                       SYNs (mostly unanswered), UDP or ICMP at a flood
 *                       rate in some flood bucket, none of them alone
 *   distributed scan    their unanswered ports on one target reach
 *                       scan_ports, or their unanswered targets on one
 *                       port reach scan_hosts
 *   distributed guessing their login attempts on one target's service
 *                       reach brute_attempts within brute_window
 *   many tenants        several tenants together flood one target, none
 *                       of them at the rate alone
 *
 * A finding that a host already reported (a host verdict of the same
 * tenant, category and target within suppress_window) or that the fleet
 * reported within suppress_window is withheld. Tables are bounded
 * (max_keys); what does not fit is counted. One thread owns an aggregator.
 */
#ifndef EGRESSD_FLEETAGG_H
#define EGRESSD_FLEETAGG_H

#include <stddef.h>
#include <stdint.h>

#include "vocab.h"

struct fleetagg_cfg {
	uint64_t syn_flood_pps, udp_flood_pps, icmp_flood_pps;
	double syn_flood_completion;	/* answered share at most */
	uint64_t scan_ports, scan_hosts, scan_window_us;
	uint64_t brute_attempts, brute_window_us;
	uint64_t suppress_us;
	/* A judged window's sums are kept while it is within retain_us of
	 * the latest window: rows that come late (a host behind, summaries
	 * sent again after a correlator or cluster node went) are added and
	 * the window judged again. Older rows are counted late. */
	uint64_t retain_us;
	size_t max_keys;		/* entries per table */
	unsigned shards, shard;		/* judge tenants of this shard only */
};

#define FLEET_NAMES_MAX	512

/* One finding, as plain values. */
struct fleet_hit {
	enum policy_category category;
	const char *detector;		/* static: "fleet_syn_flood" ... */
	char tenant[64];		/* "" for many tenants */
	uint8_t target[16];
	int has_target;			/* 0: many targets (an address scan) */
	uint8_t proto;
	uint16_t port;			/* 0 when many or none */
	uint64_t window_start_us, window_us;
	uint64_t packets, count, distinct, completed;
	double rate_pps;		/* of count, in the busiest bucket */
	uint8_t first_vm[16];		/* a contributing VM's address */
	unsigned nvms, nhosts, ntenants;
	/* comma separated, cut at FLEET_NAMES_MAX */
	char vms[FLEET_NAMES_MAX], hosts[FLEET_NAMES_MAX];
	char tenants[FLEET_NAMES_MAX];	/* many tenants only */
	char verdict_id[33];		/* the same in every fleet instance */
	char detail[256];
};

struct fleetagg_stats {
	uint64_t summaries, rows, bad;	/* taken; rows in them; unreadable */
	uint64_t other_shard;		/* rows of another shard's tenants */
	uint64_t late;			/* rows of windows no longer kept */
	uint64_t rejudged;		/* windows judged again for late rows */
	uint64_t windows;		/* judged */
	uint64_t hits, withheld_host, withheld_repeat;
	uint64_t host_verdicts;
	uint64_t dropped;		/* entries the tables had no room for */
};

struct fleetagg;

struct fleetagg *fleetagg_new(const struct fleetagg_cfg *cfg);
void fleetagg_free(struct fleetagg *a);

/* A summary message's JSON (with its "host"). Returns 0 and sets
 * *window_us to the start of the window it belongs to, or -1 with a
 * message when it is no summary. */
int fleetagg_summary(struct fleetagg *a, const char *json, size_t len,
    uint64_t *window_us, char *err, size_t errlen);
/* A host verdict's JSON, remembered so the fleet does not report it
 * again. */
void fleetagg_host_verdict(struct fleetagg *a, const char *json, size_t len);

/* The latest window start seen, and the interval (0 before any). */
uint64_t fleetagg_latest(const struct fleetagg *a, uint64_t *interval_us);

typedef void (*fleetagg_hit_fn)(const struct fleet_hit *h, void *arg);
/* Judges every window that starts before before_us (all of them with
 * UINT64_MAX) and has rows not judged yet, oldest first, calling hit for
 * each finding; forgets the windows past retain_us. */
void fleetagg_close(struct fleetagg *a, uint64_t before_us, fleetagg_hit_fn hit,
    void *arg);

void fleetagg_stats(const struct fleetagg *a, struct fleetagg_stats *st);

#endif
