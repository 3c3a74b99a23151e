/*
 * pktclock.c: the classifier's clock that never goes back. See
 * pktclock.h for the design.
 */
#include <stdint.h>

#include "pktclock.h"

static uint64_t
add_sat(uint64_t a, uint64_t b)
{
	return a > PKTCLOCK_MAX || b > PKTCLOCK_MAX - a ? PKTCLOCK_MAX : a + b;
}

/* Whether ts_us, read with the offset in force before the latest step,
 * falls within the tolerance of the clock. */
static int
before_last_step(const struct pktclock *ck, uint64_t ts_us)
{
	const struct pktclock_step *s;
	uint64_t t;

	if (ck->steps_back == 0)
		return 0;
	s = &ck->past[(ck->steps_back - 1) % PKTCLOCK_HISTORY];
	t = add_sat(ts_us, s->offset_before);
	return t <= ck->now + PKTCLOCK_TOLERANCE_US &&
	    t + PKTCLOCK_TOLERANCE_US >= ck->now;
}

static uint64_t
read_time(struct pktclock *ck, uint64_t ts_us, int is_packet)
{
	struct pktclock_step *s;
	uint64_t t = add_sat(ts_us, ck->offset);
	/* A packet is judged against the packets before it: one that waited
	 * in a capture buffer while the wall clock was read is older than
	 * that read, and no step. */
	uint64_t mark = is_packet ? ck->packet : ck->now;

	if (t >= ck->now) {
		if (t - ck->now > PKTCLOCK_TOLERANCE_US &&
		    before_last_step(ck, ts_us))
			return ck->now;
		ck->now = t;
		if (is_packet)
			ck->packet = t;
		return t;
	}
	if (t + PKTCLOCK_TOLERANCE_US >= mark || ck->now == PKTCLOCK_MAX) {
		if (is_packet && t > ck->packet)
			ck->packet = t;
		return ck->now;
	}
	/* A step back: ts_us reads as 1 us after the clock, and so does
	 * what follows it, by the same offset. */
	s = &ck->past[ck->steps_back % PKTCLOCK_HISTORY];
	s->from = ck->now + 1;
	s->offset_before = ck->offset;
	ck->steps_back++;
	ck->offset = ck->now + 1 - ts_us;
	ck->now++;
	if (is_packet)
		ck->packet = ck->now;
	return ck->now;
}

uint64_t
pktclock_read(struct pktclock *ck, uint64_t ts_us)
{
	return read_time(ck, ts_us, 1);
}

uint64_t
pktclock_read_wall(struct pktclock *ck, uint64_t wall_us)
{
	return read_time(ck, wall_us, 0);
}

uint64_t
pktclock_capture_time(const struct pktclock *ck, uint64_t t)
{
	uint64_t i, n, off = ck->offset;

	n = ck->steps_back < PKTCLOCK_HISTORY ? ck->steps_back :
	    PKTCLOCK_HISTORY;
	for (i = 0; i < n; i++) {
		const struct pktclock_step *s =
		    &ck->past[(ck->steps_back - 1 - i) % PKTCLOCK_HISTORY];

		if (t >= s->from)
			break;
		off = s->offset_before;
	}
	return t >= off ? t - off : 0;
}
