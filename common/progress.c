/*
 * progress.c: the progress line of a replay (progress.h). The line is
 * formatted into a buffer and written with one fwrite, so an unbuffered
 * stderr gets it in one write and a terminal never shows half a line.
 * Rates and the time left are averages since the start: a replay reads
 * a file at a steady pace, and an average does not jump about.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "progress.h"
#include "util.h"

/* Redraws at most four times a second: often enough to look alive,
 * rarely enough to cost nothing next to the replay. */
#define PROGRESS_INTERVAL_US	250000ULL

struct progress {
	FILE *fp;
	int tty;
	uint64_t start_us;
	uint64_t last_us;	/* of the last redraw, 0 before the first */
};

struct progress *
progress_new(FILE *fp, int tty, uint64_t now_us)
{
	struct progress *pg = xcalloc(1, sizeof(*pg));

	pg->fp = fp;
	pg->tty = tty;
	pg->start_us = now_us;
	return pg;
}

int
progress_due(const struct progress *pg, uint64_t now_us)
{
	return pg->last_us == 0 ?
	    now_us - pg->start_us >= PROGRESS_INTERVAL_US :
	    now_us - pg->last_us >= PROGRESS_INTERVAL_US;
}

static void
format_time(uint64_t sec, char *buf, size_t len)
{
	if (sec >= 3600)
		snprintf(buf, len, "%llu:%02llu:%02llu",
		    (unsigned long long)(sec / 3600),
		    (unsigned long long)(sec / 60 % 60),
		    (unsigned long long)(sec % 60));
	else
		snprintf(buf, len, "%llu:%02llu", (unsigned long long)(sec / 60),
		    (unsigned long long)(sec % 60));
}

/* Appends to line (of size len, used bytes so far); never past its end. */
static size_t
append(char *line, size_t len, size_t used, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static size_t
append(char *line, size_t len, size_t used, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (used >= len)
		return used;
	va_start(ap, fmt);
	n = vsnprintf(line + used, len - used, fmt, ap);
	va_end(ap);
	if (n < 0)
		return used;
	return used + (size_t)n < len ? used + (size_t)n : len - 1;
}

static void
draw(struct progress *pg, uint64_t now_us, const struct progress_figures *f,
    int final)
{
	char line[256], left[32];
	uint64_t elapsed = now_us > pg->start_us ? now_us - pg->start_us : 0;
	size_t used = 0;

	if (pg->tty)
		used = append(line, sizeof(line), used, "\r");
	used = append(line, sizeof(line), used, "egressd: replay ");
	if (f->total != 0)
		used = append(line, sizeof(line), used, "%5.1f%%, ",
		    100.0 * (double)f->done / (double)f->total);
	used = append(line, sizeof(line), used, "%llu packets",
	    (unsigned long long)f->packets);
	if (elapsed > 0)
		used = append(line, sizeof(line), used, ", %.0f packets/s",
		    (double)f->packets * 1e6 / (double)elapsed);
	used = append(line, sizeof(line), used, ", %llu verdicts",
	    (unsigned long long)f->verdicts);
	if (final) {
		format_time(elapsed / 1000000, left, sizeof(left));
		used = append(line, sizeof(line), used, ", took %s", left);
	} else if (f->total != 0 && f->done != 0 && elapsed > 0) {
		/* Time so far, scaled by what is left against what is read. */
		format_time((uint64_t)((double)elapsed / 1e6 *
		    (double)(f->total - f->done) / (double)f->done), left,
		    sizeof(left));
		used = append(line, sizeof(line), used, ", %s left", left);
	}
	/* On a terminal the cursor goes back to the line's start: a warning
	 * written while it stands (a cut file, a reload) then writes over it
	 * instead of being appended to it. */
	if (pg->tty)
		used = append(line, sizeof(line), used, "\033[K%s",
		    final ? "\n" : "\r");
	else
		used = append(line, sizeof(line), used, "\n");
	fwrite(line, 1, used, pg->fp);
	fflush(pg->fp);
	pg->last_us = now_us != 0 ? now_us : 1;
}

void
progress_show(struct progress *pg, uint64_t now_us,
    const struct progress_figures *f)
{
	draw(pg, now_us, f, 0);
}

void
progress_end(struct progress *pg, uint64_t now_us,
    const struct progress_figures *f)
{
	draw(pg, now_us, f, 1);
}

void
progress_free(struct progress *pg)
{
	free(pg);
}
