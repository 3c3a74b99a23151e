/*
 * promtext.c: the stats event as Prometheus text (format 0.0.4), for
 * /metrics (metrics.h). Rendering knows nothing of the modules: any
 * (section, name) becomes a series, or one labelled series of a family,
 * a counter unless the stats registry (statreg.h) says otherwise, so a new
 * figure shows up without a change here. Series are grouped by the name they end up with, not by the
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

#define FAMILY_SERIES_MAX	16	/* labelled series in one family */

/* One family of the output: a series, or a labelled family's series. */
struct metrics_family {
	char name[METRICS_NAME_MAX];	/* full series name, "_total" included */
	const char *section, *cname;	/* of its first input */
	const char *help;		/* NULL: say which figure it is */
	int gauge;
	int labelled;
	uint64_t value;
	unsigned nseries;
	const char *label[FAMILY_SERIES_MAX];
	uint64_t lvalue[FAMILY_SERIES_MAX];
};

/* The output so far: whole lines while they fit, then only their length. */
struct metrics_out {
	char *buf;
	size_t len;
	size_t need;			/* bytes of the whole text, no NUL */
	int full;			/* a line did not fit: write no more */
};

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

/* Writes value into dst (of dstlen) as a label value: backslash, quote
 * and newline escaped, as the text format wants. */
static void
label_value(char *dst, size_t dstlen, const char *value)
{
	size_t n = 0;

	for (; value != NULL && *value != '\0' && n + 3 < dstlen; value++) {
		if (*value == '\\' || *value == '"' || *value == '\n') {
			dst[n++] = '\\';
			dst[n++] = *value == '\n' ? 'n' : *value;
		} else {
			dst[n++] = *value;
		}
	}
	dst[n] = '\0';
}

static void
build_info(struct metrics_out *o, const struct metrics_build *b)
{
	char v[3][128];

	label_value(v[0], sizeof(v[0]), b->version);
	label_value(v[1], sizeof(v[1]), b->ndpi);
	label_value(v[2], sizeof(v[2]), b->libpcap);
	out_line(o, "# HELP egressd_build_info egressd's version and the "
	    "versions of the libraries it runs with.\n");
	out_line(o, "# TYPE egressd_build_info gauge\n");
	out_line(o, "egressd_build_info{version=\"%s\",ndpi=\"%s\","
	    "libpcap=\"%s\"} 1\n", v[0], v[1], v[2]);
}

size_t
metrics_render(const struct stats_event *s, const struct metrics_build *b,
    char *buf, size_t len)
{
	struct metrics_family fam[STATS_MAX_COUNTERS];
	struct metrics_out o = { buf, len, 0, 0 };
	char name[METRICS_NAME_MAX], help[2 * METRICS_NAME_MAX];
	const struct stat_def *d;
	unsigned i, j, k, nfam = 0, n;

	if (buf != NULL && len > 0)
		buf[0] = '\0';
	n = s == NULL ? 0 : s->n;
	if (n > STATS_MAX_COUNTERS)
		n = STATS_MAX_COUNTERS;

	for (i = 0; i < n; i++) {
		const char *section = s->c[i].section, *cname = s->c[i].name;
		int gauge, labelled;

		if (section == NULL)
			section = "";
		if (cname == NULL)
			cname = "";
		d = stat_find(section, cname);
		gauge = d != NULL && d->kind != STAT_COUNTER;
		labelled = d != NULL && d->family != NULL;
		str_copy(name, "egressd_", sizeof(name));
		if (labelled) {
			append_sanitised(name, sizeof(name), d->family);
		} else {
			append_sanitised(name, sizeof(name), section);
			append_sanitised(name, sizeof(name), "_");
			append_sanitised(name, sizeof(name), cname);
		}
		/* Room is kept for the suffix, so cutting a long name never
		 * makes a counter look like a gauge. */
		if (!gauge) {
			name[sizeof(name) - sizeof("_total")] = '\0';
			append_sanitised(name, sizeof(name), "_total");
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
			fam[j].labelled = labelled;
			fam[j].help = labelled ? stat_family_help(d->family) :
			    d != NULL ? d->help : NULL;
			nfam++;
		}
		if (fam[j].labelled && labelled) {
			for (k = 0; k < fam[j].nseries &&
			    strcmp(fam[j].label[k], d->label) != 0; k++)
				;
			if (k == fam[j].nseries) {
				if (k == FAMILY_SERIES_MAX)
					continue;
				fam[j].label[k] = d->label;
				fam[j].nseries++;
			}
			fam[j].lvalue[k] = add_sat(fam[j].lvalue[k],
			    s->c[i].value);
		} else
			fam[j].value = add_sat(fam[j].value, s->c[i].value);
	}

	out_line(&o, "# HELP egressd_up 1 while egressd is running.\n");
	out_line(&o, "# TYPE egressd_up gauge\n");
	out_line(&o, "egressd_up 1\n");
	if (b != NULL)
		build_info(&o, b);
	for (j = 0; j < nfam; j++) {
		const struct metrics_family *f = &fam[j];

		if (f->help == NULL) {
			help_generic(help, sizeof(help), f->section, f->cname);
			out_line(&o, "# HELP %s egressd stats %s\n", f->name, help);
		} else
			out_line(&o, "# HELP %s %s\n", f->name, f->help);
		out_line(&o, "# TYPE %s %s\n", f->name,
		    f->gauge ? "gauge" : "counter");
		if (f->labelled) {
			for (k = 0; k < f->nseries; k++)
				out_line(&o, "%s{%s} %llu\n", f->name,
				    f->label[k],
				    (unsigned long long)f->lvalue[k]);
			continue;
		}
		out_line(&o, "%s %llu\n", f->name, (unsigned long long)f->value);
	}

	/* Each line was written with its NUL, so the last that fit ends the
	 * text; when none did, buf[0] is the '\0' put there above. */
	return o.need;
}
