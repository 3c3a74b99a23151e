/*
 * pktclock.h: the classifier's clock, which never goes back. Flow timeouts,
 * behaviour windows, the DNS cache and verdict suppression all measure time
 * by subtracting packet times, and all of them assume that time only moves
 * forward. Packet time does not always: a capture made with `mergecap -a`
 * from several hosts' captures starts over at each recording, and a live
 * host's clock can be stepped back. Read as it is, such a time makes every
 * flow that starts after the step look idle for as long as the step, so
 * each packet's flow expires at once.
 *
 * Every time the classifier uses (a packet's, or the wall clock's when a
 * live worker expires flows) is read through one pktclock:
 *
 * - later than the clock, or equal: the clock moves to it;
 * - earlier, by at most PKTCLOCK_TOLERANCE_US: packets reordered across NIC
 *   queues, interfaces or merged files; no time passed, it reads as the
 *   clock. A packet is held to this against the packets before it, not
 *   against the wall clock's reads: one that waited in a capture buffer
 *   while the worker read the wall clock is no step, however long it
 *   waited (it reads as the clock);
 * - earlier by more: a step back. From then on capture time is read with an
 *   offset that makes it continue 1 us after the clock, so the intervals
 *   after the step are kept as they were (a flood's rate stays its rate)
 *   and no flow alive before it looks idle;
 * - later by more than the tolerance, where the offset before the latest
 *   step would put it within the tolerance of the clock: a packet captured
 *   before that step and read after it (a live worker reads several
 *   interfaces' batches in turn); it reads as the clock, and is not taken
 *   for a jump forward by the size of the step, which would end every
 *   flow.
 *
 * pktclock_capture_time() turns a time on the clock back into the capture
 * time it was read from, for the events: they report packet time, as a
 * replay of the recording alone would (to within the tolerance for a
 * reordered packet).
 *
 * Declared here rather than opaque: one is a fixed-size value inside each
 * classifier (and in the tests), with nothing to allocate; all zeroes is a
 * clock that has read nothing yet.
 */
#ifndef EGRESSD_PKTCLOCK_H
#define EGRESSD_PKTCLOCK_H

#include <stdint.h>

/* Reordering between capture queues or in a merged file is a few
 * milliseconds; a live worker's batches are 200 ms (sidecar.c's POLL_MS).
 * A second is well above both and well below any flow timeout (1 s at
 * least, 5 s for a closed TCP flow by default), so a reordered packet is
 * never taken for a step, and a step is never mistaken for reordering long
 * enough to matter. */
#define PKTCLOCK_TOLERANCE_US	1000000ULL

/* Steps back remembered for pktclock_capture_time(): a time from before
 * the oldest one kept is read with the oldest offset known. */
#define PKTCLOCK_HISTORY	16

/* The clock saturates here (2^62 us, 146,000 years): offsets add up with
 * every step back, and a time past this would overflow the flow table's
 * deadline sums. */
#define PKTCLOCK_MAX		(UINT64_MAX / 4)

struct pktclock_step {
	uint64_t from;		/* clock time of the first read after it */
	uint64_t offset_before;	/* the offset in force until then */
};

struct pktclock {
	uint64_t now;		/* latest time on the clock */
	uint64_t packet;	/* latest packet time on the clock, not
				 * raised to now: what a packet is judged
				 * against */
	uint64_t offset;	/* added to capture time since the last step */
	uint64_t steps_back;	/* steps back read so far */
	/* The latest steps, past[(steps_back - 1) % PKTCLOCK_HISTORY] the
	 * newest. */
	struct pktclock_step past[PKTCLOCK_HISTORY];
};

/* Reads ts_us, a packet's capture time in microseconds since the epoch,
 * and returns it on the clock: never less than any time returned before. */
uint64_t pktclock_read(struct pktclock *ck, uint64_t ts_us);
/* The same for the wall clock, read by a live worker to expire flows. */
uint64_t pktclock_read_wall(struct pktclock *ck, uint64_t wall_us);

/* The capture time that clock time t was read from. */
uint64_t pktclock_capture_time(const struct pktclock *ck, uint64_t t);

#endif
