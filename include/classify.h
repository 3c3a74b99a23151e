/*
 * classify.h: one classification worker: flow table, nDPI, policy. It sees
 * decoded packets in, and hands out verdicts and ended flows through the
 * callbacks it was given; it never calls back up the pipe or into a sink
 * directly, so sinks can be swapped without touching classification.
 *
 * A flow's packets go to nDPI until nDPI's answer is final or the packet
 * budget is spent; then the nDPI state is freed and the flow keeps only its
 * compact record. A flow that ends before that gets nDPI's last word
 * (ndpi_detection_giveup) at its end. Signatures, protocol heuristics, the
 * DNS name cache and GeoIP add evidence of their own; each flow in a
 * forbidden category yields one verdict, naming the VM: the side inside
 * vm_networks, or the side that opened the flow when no vm_networks are
 * configured.
 */
#ifndef EGRESSD_CLASSIFY_H
#define EGRESSD_CLASSIFY_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "decode.h"
#include "event.h"

struct classify;

struct classify_out {
	void (*verdict)(const struct verdict *, void *arg);
	void (*flow)(const struct flow_event *, void *arg);	/* may be NULL */
	/* A fleet summary message (fleetsum.h): JSON text the callee takes
	 * (frees), made for the interval that ended at packet time ts_us.
	 * NULL: no summaries are kept. */
	void (*summary)(char *json, size_t len, uint64_t ts_us, void *arg);
	void *arg;
};

struct classify *classify_new(const struct config *cfg,
    const struct classify_out *out, char *err, size_t errlen);
void classify_free(struct classify *c);

/* p->ts_us is capture time; it is read through the classifier's clock,
 * which never goes back (pktclock.h), and events report capture time. */
void classify_packet(struct classify *c, const struct pkt *p);
/* Ends flows idle at wall time now_us (live capture with no packets),
 * read through the same clock: a step back of the host's clock ends no
 * flow. */
void classify_expire(struct classify *c, uint64_t now_us);
/* Ends every flow: end of input. */
void classify_flush(struct classify *c);
void classify_stats(const struct classify *c, struct stats_event *s);

struct inventory;

/* Puts cfg in use (it must outlive the classifier or the next reload) and
 * reloads the signatures it names. Settings that sized tables at
 * classify_new (max_flows, dns_cache_size, behave_*, GeoIP databases)
 * keep their first values. Returns 0, or -1 with a message and nothing
 * changed. */
int classify_reload(struct classify *c, const struct config *cfg, char *err,
    size_t errlen);

/* Puts inv (may be NULL) in use for VM attribution and returns the one it
 * replaces, for the caller to free. The classifier does not own it. */
struct inventory *classify_set_inventory(struct classify *c,
    struct inventory *inv);

/* Rules loaded from signature_dir and rule_files. */
size_t classify_signature_count(const struct classify *c);

/* Bytes one tracked flow costs at rest (its record and hash share) and
 * while nDPI still holds state for it. */
size_t classify_flow_record_size(void);
size_t classify_flow_dpi_size(void);

#endif
