/*
 * fleetsum.h: the per-host contact summaries that the fleet correlator
 * (egressd fleet, fleetagg.h) adds up across hosts. Each worker keeps, for
 * the current interval of packet time (fleet_interval, aligned to its
 * multiples so that every host's intervals line up), one row per (VM,
 * target, IP protocol) it saw the VM contact: packets and SYNs per flood
 * bucket (flood_window; at most FLEETSUM_BUCKETS to an interval), bytes,
 * answers, login attempts, and a sketch (sketch.h) of the target ports
 * the VM tried without an answer. When packet time leaves the interval,
 * the rows become JSON messages (FLEETSUM_ROWS_MAX rows each) handed to
 * the caller, and the table starts empty.
 *
 * Rows are kept for the VM's side only, in a table of fleet_max_pairs
 * allocated once; a pair that finds it full is counted (dropped) and not
 * kept. Nothing is allocated per packet; the messages are built once per
 * interval.
 */
#ifndef EGRESSD_FLEETSUM_H
#define EGRESSD_FLEETSUM_H

#include <stddef.h>
#include <stdint.h>

#include "behave.h"
#include "inventory.h"
#include "sketch.h"

#define FLEETSUM_BUCKETS	16
#define FLEETSUM_ROWS_MAX	200

struct fleetsum;

/* A finished message: JSON text (malloc'd; the callee takes it). */
typedef void (*fleetsum_emit)(char *json, size_t len, uint64_t ts_us,
    void *arg);

/* interval_us: the summary interval; bucket_us: the flood bucket (made a
 * divisor of interval_us no shorter than interval_us/FLEETSUM_BUCKETS).
 * Returns NULL with a message. */
struct fleetsum *fleetsum_new(uint64_t interval_us, uint64_t bucket_us,
    size_t max_pairs, fleetsum_emit emit, void *arg, char *err,
    size_t errlen);
void fleetsum_free(struct fleetsum *f);

/* A packet of a VM's conversation (p as the behaviour detectors saw it);
 * logins: the login attempts it added (behave_logins before and after).
 * First ends the interval when p is past it. */
void fleetsum_packet(struct fleetsum *f, const struct behave_pkt *p,
    uint64_t logins, const struct inventory *inv);
/* Login attempts counted as a connection of the VM ended. */
void fleetsum_logins(struct fleetsum *f, uint64_t ts_us, const uint8_t vm[16],
    const uint8_t target[16], uint8_t proto, uint16_t port, uint64_t n,
    const struct inventory *inv);
/* Ends the interval if packet time now_us is past it (a live capture with
 * no packets), or, with all, whatever it holds (the end of the input). */
void fleetsum_tick(struct fleetsum *f, uint64_t now_us, int all,
    const struct inventory *inv);

struct fleetsum_stats {
	uint64_t messages, rows, bytes;	/* emitted */
	uint64_t dropped;		/* pairs the full table refused */
	uint64_t intervals;
	uint64_t table_bytes;		/* allocated at start */
};
void fleetsum_stats(const struct fleetsum *f, struct fleetsum_stats *st);

#endif
