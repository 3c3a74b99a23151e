/*
 * progress.h: the progress line of a replay, for a person watching it:
 * how much of the input is read, packets per second, verdicts so far and
 * the time left. On a terminal it is one line redrawn in place (carriage
 * return, then erase to the end of the line); elsewhere (forced on with
 * --progress) each redraw is a line of its own, so a log of it reads
 * plainly. The caller owns the clock and the figures: progress_due says
 * when a redraw is worth its cost, so the frame path reads no clock and
 * formats nothing.
 */
#ifndef EGRESSD_PROGRESS_H
#define EGRESSD_PROGRESS_H

#include <stdint.h>
#include <stdio.h>

struct progress;

/* What the line shows; done and total are bytes of input, total 0 when
 * unknown (standard input, a pipe). */
struct progress_figures {
	uint64_t done, total;
	uint64_t packets;
	uint64_t verdicts;
};

/* A progress line on fp (a terminal when tty is set), started at now_us
 * (a monotonic clock in microseconds). Free it with progress_free. */
struct progress *progress_new(FILE *fp, int tty, uint64_t now_us);

/* Whether enough time has passed since the last redraw for another. */
int progress_due(const struct progress *pg, uint64_t now_us);

/* Redraws the line with f. */
void progress_show(struct progress *pg, uint64_t now_us,
    const struct progress_figures *f);

/* Draws the final line and ends it with a newline, so what is written
 * next starts on a line of its own. */
void progress_end(struct progress *pg, uint64_t now_us,
    const struct progress_figures *f);

/* pg may be NULL. */
void progress_free(struct progress *pg);

#endif
