/*
 * promtext.c: the stats event as Prometheus text (format 0.0.4), for
 * /metrics (metrics.h). Rendering knows nothing of the modules: any
 * (section, name) becomes a series, a counter unless the stats registry
 * (statreg.h) says otherwise, so a new figure shows up without a change
 * here. Series are grouped by the name they end up with, not by the
 * (section, name) they came from, because two different inputs can
 * sanitise to one name and the text format forbids a family from
 * appearing twice; the values of such a group are summed.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "metrics.h"
#include "statreg.h"
#include "util.h"

/* Longer names are cut; grouping by the cut name keeps families unique. */
#define METRICS_NAME_MAX	128

/* The names in section "verdicts" that are policy categories; they share
 * one family with a category label. */
static const char *const metrics_categories[] = {
	"p2p", "mining", "remote_access", "proxy", "dos", "scan", "bruteforce"
};
#define METRICS_NCATEGORIES	NELEM(metrics_categories)


/* One family of the output: a series, or the verdict categories. */
struct metrics_family {
	char name[METRICS_NAME_MAX];	/* full series name, "_total" included */
	const char *section, *cname;	/* of its first input */
	int gauge;
	int verdicts;			/* the category family */
	uint64_t value;
	uint64_t cat[METRICS_NCATEGORIES];
	unsigned char has_cat[METRICS_NCATEGORIES];
};

/* The output so far: whole lines while they fit, then only their length. */
struct metrics_out {
	char *buf;
	size_t len;
	size_t need;			/* bytes of the whole text, no NUL */
	int full;			/* a line did not fit: write no more */
};

static int
is_gauge(const char *section, const char *name)
{
	const struct stat_def *d = stat_find(section, name);

	return d != NULL && d->kind != STAT_COUNTER;
}

/* Returns the index of name among the categories, or -1. */
static int
category_index(const char *section, const char *name)
{
	size_t i;

	if (strcmp(section, "verdicts") != 0)
		return -1;
	for (i = 0; i < METRICS_NCATEGORIES; i++)
		if (strcmp(name, metrics_categories[i]) == 0)
			return (int)i;
	return -1;
}

static const char *
help_text(const char *section, const char *name)
{
	const struct stat_def *d = stat_find(section, name);

	return d != NULL ? d->help : NULL;
}

/* Appends s to dst (of dstlen, NUL-terminated) with every character outside
 * [a-zA-Z0-9_] made '_'; cuts at dstlen - 1. */
static void
append_sanitised(char *dst, size_t dstlen, const char *s)
{
	size_t n = strlen(dst);

	for (; *s != '\0' && n + 1 < dstlen; s++) {
		unsigned char ch = (unsigned char)*s;

		/* Not isalnum(): the locale must not widen the set. */
		if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		    (ch >= '0' && ch <= '9') || ch == '_')
			dst[n++] = (char)ch;
		else
			dst[n++] = '_';
	}
	dst[n] = '\0';
}

/* Writes "section.name" for a HELP line: the text format lets HELP hold
 * anything but needs backslash and newline escaped; other control bytes
 * are made '?' so a scraper's log stays readable. */
static void
help_generic(char *dst, size_t dstlen, const char *section, const char *name)
{
	const char *parts[2] = { section, name };
	size_t n = 0, i;
	const char *s;

	for (i = 0; i < 2; i++) {
		if (i == 1 && n + 1 < dstlen)
			dst[n++] = '.';
		for (s = parts[i]; *s != '\0'; s++) {
			unsigned char ch = (unsigned char)*s;

			if (ch == '\\' || ch == '\n') {
				if (n + 2 >= dstlen)
					break;
				dst[n++] = '\\';
				dst[n++] = ch == '\n' ? 'n' : '\\';
				continue;
			}
			if (n + 1 >= dstlen)
				break;
			dst[n++] = ch < 0x20 || ch == 0x7f ? '?' : (char)ch;
		}
	}
	dst[n] = '\0';
}

static void
out_line(struct metrics_out *o, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Adds one line (fmt holds its "\n") to o, whole or not at all. */
static void
out_line(struct metrics_out *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if (!o->full && o->buf != NULL && o->len > o->need &&
	    (size_t)n < o->len - o->need) {
		va_start(ap, fmt);
		vsnprintf(o->buf + o->need, o->len - o->need, fmt, ap);
		va_end(ap);
	} else
		o->full = 1;
	o->need += (size_t)n;
}

static uint64_t
add_sat(uint64_t a, uint64_t b)
{
	return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

size_t
metrics_render(const struct stats_event *s, char *buf, size_t len)
{
	struct metrics_family fam[STATS_MAX_COUNTERS];
	struct metrics_out o = { buf, len, 0, 0 };
	char name[METRICS_NAME_MAX], help[2 * METRICS_NAME_MAX];
	unsigned i, j, nfam = 0, n;
	int cat;

	if (buf != NULL && len > 0)
		buf[0] = '\0';
	n = s == NULL ? 0 : s->n;
	if (n > STATS_MAX_COUNTERS)
		n = STATS_MAX_COUNTERS;

	for (i = 0; i < n; i++) {
		const char *section = s->c[i].section, *cname = s->c[i].name;
		int gauge;

		if (section == NULL)
			section = "";
		if (cname == NULL)
			cname = "";
		cat = category_index(section, cname);
		gauge = cat == -1 && is_gauge(section, cname);
		if (cat != -1)
			str_copy(name, "egressd_verdicts_total", sizeof(name));
		else {
			str_copy(name, "egressd_", sizeof(name));
			append_sanitised(name, sizeof(name), section);
			append_sanitised(name, sizeof(name), "_");
			append_sanitised(name, sizeof(name), cname);
			/* Room is kept for the suffix, so cutting a long
			 * name never makes a counter look like a gauge. */
			if (!gauge) {
				name[sizeof(name) - sizeof("_total")] = '\0';
				append_sanitised(name, sizeof(name), "_total");
			}
		}
		for (j = 0; j < nfam; j++)
			if (strcmp(fam[j].name, name) == 0)
				break;
		if (j == nfam) {
			memset(&fam[j], 0, sizeof(fam[j]));
			str_copy(fam[j].name, name, sizeof(fam[j].name));
			fam[j].section = section;
			fam[j].cname = cname;
			fam[j].gauge = gauge;
			fam[j].verdicts = cat != -1;
			nfam++;
		}
		if (fam[j].verdicts && cat != -1) {
			fam[j].cat[cat] = add_sat(fam[j].cat[cat], s->c[i].value);
			fam[j].has_cat[cat] = 1;
		} else
			fam[j].value = add_sat(fam[j].value, s->c[i].value);
	}

	out_line(&o, "# HELP egressd_up 1 while egressd is running.\n");
	out_line(&o, "# TYPE egressd_up gauge\n");
	out_line(&o, "egressd_up 1\n");
	for (j = 0; j < nfam; j++) {
		const struct metrics_family *f = &fam[j];
		const char *h;

		if (f->verdicts) {
			out_line(&o, "# HELP %s Verdicts by policy category.\n",
			    f->name);
			out_line(&o, "# TYPE %s counter\n", f->name);
			for (i = 0; i < METRICS_NCATEGORIES; i++)
				if (f->has_cat[i])
					out_line(&o, "%s{category=\"%s\"} %llu\n",
					    f->name, metrics_categories[i],
					    (unsigned long long)f->cat[i]);
			continue;
		}
		if ((h = help_text(f->section, f->cname)) == NULL) {
			help_generic(help, sizeof(help), f->section, f->cname);
			out_line(&o, "# HELP %s egressd stats %s\n", f->name, help);
		} else
			out_line(&o, "# HELP %s %s\n", f->name, h);
		out_line(&o, "# TYPE %s %s\n", f->name,
		    f->gauge ? "gauge" : "counter");
		out_line(&o, "%s %llu\n", f->name, (unsigned long long)f->value);
	}

	/* Each line was written with its NUL, so the last that fit ends the
	 * text; when none did, buf[0] is the '\0' put there above. */
	return o.need;
}
