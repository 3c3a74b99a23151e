/*
 * suppress.h: repeated verdicts held back. A flow's verdict on (VM,
 * category, target) within suppress_window of the last one reported for
 * the same three is not reported again. The table is a bounded LRU
 * (lrutab.h) of SUPPRESS_SLOTS entries allocated at start: when it is
 * full the triple seen longest ago gives way, so a burst of targets can
 * only make a repeat come through early, and memory never grows. A VM the
 * inventory knows is keyed by a digest of its VM id, so all of its
 * addresses count as one VM.
 */
#ifndef EGRESSD_SUPPRESS_H
#define EGRESSD_SUPPRESS_H

#include <stddef.h>
#include <stdint.h>

#include "vocab.h"

#define SUPPRESS_SLOTS	65536

struct inventory;
struct suppress;

/* The table, allocated whole. Never fails (out of memory aborts). */
struct suppress *suppress_new(void);
void suppress_free(struct suppress *s);

/*
 * Whether a verdict on (vm, cat, target) at ts_us repeats one reported
 * within window_us (0: nothing is held back); remembers this one when it
 * does not. inv (may be NULL) names the VM of the address vm.
 */
int suppress_check(struct suppress *s, const struct inventory *inv,
    const uint8_t vm[16], const uint8_t target[16], enum policy_category cat,
    uint64_t window_us, uint64_t ts_us);

/* Triples still within their window that gave way to a new one. */
uint64_t suppress_evicted(const struct suppress *s);

#endif
