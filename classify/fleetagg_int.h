/*
 * fleetagg_int.h: what the fleet correlator's files share (fleetagg.c
 * takes summaries and verdicts in, fleetagg_judge.c judges windows,
 * fleetagg_tab.c holds the tables), and no one else includes.
 *
 * Three bounded tables, each an array of fixed-size entries allocated once,
 * chained into hash buckets, with a free list:
 *
 *   agg   (window, tenant, target, protocol)  flood buckets, answers, the
 *                                              window's contributors
 *   acc   (kind, tenant, target, protocol, port) what adds up over longer
 *                                              epochs: unanswered ports of
 *                                              a target (scan_window),
 *                                              unanswered targets of a port
 *                                              (scan_window), logins
 *                                              (brute_window)
 *   seen  (category, tenant, target)           the last host and fleet
 *                                              verdicts, for withholding
 *
 * Contributors ((VM, host) pairs) hang off agg and acc entries in a fourth
 * table, at most CONTRIB_MAX per entry (more are counted). An unused entry
 * is all zero.
 */
#ifndef EGRESSD_FLEETAGG_INT_H
#define EGRESSD_FLEETAGG_INT_H

#include <stddef.h>
#include <stdint.h>

#include "fleetagg.h"
#include "siphash.h"
#include "sketch.h"

#define BUCKETS		16
#define CONTRIB_MAX	64
#define NONE		UINT32_MAX	/* the end of a table's chain */
/* The end of a contributor list: index 0 is never a contributor, so the
 * list of a zeroed entry is empty. */
#define CONTRIB_NONE	0

enum acc_kind { ACC_PORTS, ACC_HOSTS, ACC_LOGINS };

struct agg_key {
	uint64_t window;
	char tenant[64];
	uint8_t target[16];
	uint8_t proto;
	uint8_t pad[7];
};

struct acc_key {
	char tenant[64];
	uint8_t target[16];	/* zero for ACC_HOSTS */
	uint8_t kind, proto;
	uint16_t port;		/* ACC_HOSTS, ACC_LOGINS */
	uint8_t pad[4];
};

struct seen_key {
	char tenant[64];
	uint8_t target[16];
	uint8_t category, fleet;
	uint8_t pad[6];
};

struct contrib {
	uint32_t next;
	char vm[64], host[64];
	uint8_t addr[16];
};

struct agg {
	struct agg_key k;
	uint64_t interval_us, bucket_us;
	uint64_t syns_b[BUCKETS], pkts_b[BUCKETS];
	uint64_t syns, pkts, answered, replies;
	uint32_t contrib, ncontrib;
	uint8_t judged;		/* no row came since its window was judged */
};

struct acc {
	struct acc_key k;
	uint64_t epoch;		/* window start that began it */
	uint64_t last;		/* latest window start added */
	uint64_t logins, pkts;
	uint64_t sketch[SKETCH_WORDS];
	int reported;
	uint32_t contrib, ncontrib;
};

struct seen {
	struct seen_key k;
	uint64_t ts_us;
};

/* A chained table of fixed-size entries; the key is at the entry's start. */
struct tab {
	unsigned char *ents;
	size_t size, keylen, cap, used;
	uint32_t *next, *heads, nheads, free;
};

struct fleetagg {
	struct fleetagg_cfg cfg;
	struct siphash_key key;
	struct tab agg, acc, seen;
	struct contrib *contribs;
	uint32_t contrib_free;
	uint64_t latest, interval_us;

	struct fleetagg_stats st;
};

void tab_init(struct tab *t, size_t cap, size_t size, size_t keylen);
void tab_free(struct tab *t);
/* The i-th entry. */
void *ent(const struct tab *t, uint32_t i);
/* The entry of key, made (zeroed but for the key) when create is set and
 * there is room (else counted in stats.dropped); NULL otherwise. */
void *tab_get(struct fleetagg *a, struct tab *t, const void *key, int create);
/* Removes entry i, releasing its contributors (the list head at offset
 * contrib_off, 0 for none). */
void tab_del(struct fleetagg *a, struct tab *t, uint32_t i, size_t contrib_off);

/* Contributor lists: release one, add (vm, host) to one once, name a
 * list's VMs and hosts in h, count its distinct VMs. */
void contrib_release(struct fleetagg *a, uint32_t head);
void contrib_add(struct fleetagg *a, uint32_t *head, uint32_t *n,
    const char *vm, const char *host, const uint8_t addr[16]);
void contrib_name(const struct fleetagg *a, uint32_t head, struct fleet_hit *h);
unsigned contrib_vms(const struct fleetagg *a, uint32_t head, uint32_t n);
/* Appends name to a comma-separated list unless it is there; counts it. */
void name_add(char *list, size_t len, unsigned *n, const char *name);

/* fleetagg.c: whether a verdict of (cat, tenant, target) was made (by a
 * host, or by the fleet when fleet) within suppress_window of [from, to];
 * and the key of one. */
int seen_near(struct fleetagg *a, enum policy_category cat,
    const char *tenant, const uint8_t *target, int fleet, uint64_t from,
    uint64_t to);
void seen_key_of(struct seen_key *k, enum policy_category cat,
    const char *tenant, const uint8_t *target, int fleet);

#endif
