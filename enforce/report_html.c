/*
 * report_html.c: writes the report's page from the model report.c read.
 * One file with everything inline: CSS in a <style>, the timelines as
 * SVG, no script and no URL but the relative evidence links; a
 * Content-Security-Policy meta tag makes a browser refuse any load
 * anyway. Every string that came from an event goes through
 * report_escape, since a server name is the attacker's choice.
 *
 * The page stays light at 1,000 VMs and 10,000 verdicts because nothing
 * grows with the input past a cap: each timeline has REPORT_BUCKETS
 * columns (one marker per column and category, one bar path per
 * category), each table REPORT_VM_ROWS rows and REPORT_TOP_DESTS
 * destinations.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "report.h"
#include "report_int.h"
#include "util.h"

#define SVG_W		900	/* timeline width, in SVG units */
#define SVG_PAD		90	/* left margin: the row labels */
#define VOL_H		60	/* height of the volume band */
#define ROW_H		14	/* height of a marker row */

static const char *const cat_colour[REPORT_NCAT + 1] = {
	"#d62728", "#9467bd", "#ff7f0e", "#2ca02c", "#1f77b4", "#8c564b",
	"#e377c2", "#bbbbbb"
};

static const char css[] =
    "body{font:14px/1.4 system-ui,sans-serif;margin:1.5em;color:#222}"
    "h1{font-size:1.5em}h2{font-size:1.2em;margin-top:1.5em}"
    "table{border-collapse:collapse;margin:.5em 0}"
    "td,th{border:1px solid #ccc;padding:2px 6px;text-align:left;"
    "vertical-align:top}th{background:#f0f0f0}"
    "td.n{text-align:right}td.z{color:#bbb;text-align:right}"
    "table.verdicts td{max-width:40em;overflow-wrap:anywhere}"
    /* Sections off screen are not laid out until scrolled to: a page of
     * 1,000 VMs renders in the time of a few. */
    "section.vm{border-top:2px solid #888;margin-top:2em;"
    "content-visibility:auto;contain-intrinsic-size:auto 1200px}"
    "svg.timeline{display:block;background:#fafafa;border:1px solid #ddd}"
    "dl.meta{display:grid;grid-template-columns:max-content auto;gap:2px 1em}"
    "dl.meta dt{font-weight:bold}dl.meta dd{margin:0}"
    ".sw{display:inline-block;width:.8em;height:.8em;margin-right:.3em}"
    ".note{color:#555}pre{background:#f6f6f6;padding:.5em;"
    "max-height:20em;overflow:auto}";

void
report_escape(FILE *fp, const char *s)
{
	const unsigned char *p;

	if (s == NULL)
		return;
	for (p = (const unsigned char *)s; *p != '\0'; p++) {
		switch (*p) {
		case '&': fputs("&amp;", fp); break;
		case '<': fputs("&lt;", fp); break;
		case '>': fputs("&gt;", fp); break;
		case '"': fputs("&quot;", fp); break;
		case '\'': fputs("&#39;", fp); break;
		default:
			/* Control characters have no business in a page. */
			if (*p < 0x20 && *p != '\t' && *p != '\n')
				fputs("&#xfffd;", fp);
			else
				fputc(*p, fp);
		}
	}
}

static void
fmt_time(int64_t us, char *buf, size_t len)
{
	struct tm tm;
	time_t t;

	if (us < 0 || us == INT64_MAX) {
		str_copy(buf, "-", len);
		return;
	}
	t = (time_t)(us / 1000000);
	gmtime_r(&t, &tm);
	snprintf(buf, len, "%04d-%02d-%02d %02d:%02d:%02d.%03d",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
	    tm.tm_min, tm.tm_sec, (int)(us % 1000000 / 1000));
}

static void
fmt_bytes(uint64_t b, char *buf, size_t len)
{
	if (b >= 1000000000ULL)
		snprintf(buf, len, "%.1f GB", (double)b / 1e9);
	else if (b >= 1000000)
		snprintf(buf, len, "%.1f MB", (double)b / 1e6);
	else if (b >= 1000)
		snprintf(buf, len, "%.1f kB", (double)b / 1e3);
	else
		snprintf(buf, len, "%llu B", (unsigned long long)b);
}

/* A figure of the last stats event, by its native or its EVE name; -1
 * when there is none. */
static long long
stat_of(const struct report_data *d, const char *sec, const char *name,
    const char *eve_sec, const char *eve_name)
{
	json_t *v;

	if (d->stats == NULL)
		return -1;
	v = d->stats_eve ?
	    json_object_get(json_object_get(d->stats, eve_sec), eve_name) :
	    json_object_get(json_object_get(d->stats, sec), name);
	return json_is_integer(v) ? (long long)json_integer_value(v) : -1;
}

/* The column of time t on a timeline from first to last. */
static int
bucket_of(int64_t first, int64_t last, int64_t t)
{
	int64_t span = last - first + 1;
	int64_t b;

	if (t < first)
		t = first;
	b = (int64_t)((double)(t - first) * REPORT_BUCKETS / (double)span);
	return b >= REPORT_BUCKETS ? REPORT_BUCKETS - 1 : (int)b;
}

static void
header(FILE *fp, const struct report_data *d, const struct report_args *a)
{
	char t0[40], t1[40];
	long long v;
	size_t i;

	fputs("<header><h1>egressd forensic report</h1><dl class=\"meta\">",
	    fp);
	fputs(a->ncaptures > 0 ? "<dt>capture files</dt><dd>" :
	    "<dt>event files</dt><dd>", fp);
	for (i = 0; i < (a->ncaptures > 0 ? a->ncaptures : a->ninputs); i++) {
		fputs(i > 0 ? ", <code>" : "<code>", fp);
		report_escape(fp, a->ncaptures > 0 ? a->captures[i] :
		    a->inputs[i]);
		fputs("</code>", fp);
	}
	fmt_time(d->first_us, t0, sizeof(t0));
	fmt_time(d->last_us == INT64_MIN ? -1 : d->last_us, t1, sizeof(t1));
	fprintf(fp, "</dd><dt>time span (UTC)</dt><dd>%s .. %s</dd>", t0, t1);
	if ((v = stat_of(d, "capture", "packets", "decoder", "pkts")) >= 0)
		fprintf(fp, "<dt>packets</dt><dd>%lld</dd>", v);
	if ((v = stat_of(d, "flow", "created", "flow", "total")) >= 0)
		fprintf(fp, "<dt>flows</dt><dd>%lld</dd>", v);
	fprintf(fp, "<dt>verdicts</dt><dd>%llu, of %zu VM%s",
	    (unsigned long long)d->verdicts, d->nvms, d->nvms == 1 ? "" : "s");
	if (d->verdicts_dropped > 0)
		fprintf(fp, " (%llu past the report's cap left out)",
		    (unsigned long long)d->verdicts_dropped);
	fprintf(fp, "</dd><dt>flow events</dt><dd>%llu",
	    (unsigned long long)d->flows_seen);
	if (d->flows_seen == 0)
		fputs(" (the traffic volume needs flow events: --flows)", fp);
	if (d->flows_dropped > 0)
		fprintf(fp, " (%llu past the report's cap left out)",
		    (unsigned long long)d->flows_dropped);
	fputs("</dd>", fp);
	if (d->lines_bad > 0)
		fprintf(fp, "<dt>unreadable lines</dt><dd>%llu</dd>",
		    (unsigned long long)d->lines_bad);
	fputs("<dt>egressd</dt><dd>", fp);
	report_escape(fp, a->version);
	fputs("</dd><dt>settings</dt><dd>", fp);
	if (a->settings != NULL) {
		fputs("<details><summary>as the replay ran</summary><pre>", fp);
		report_escape(fp, a->settings);
		fputs("</pre></details>", fp);
	} else
		fputs("<span class=\"note\">not recorded in the events</span>",
		    fp);
	fputs("</dd></dl></header>\n", fp);
}

static void
matrix(FILE *fp, const struct report_data *d, const size_t *order)
{
	size_t i, k;
	int c;

	fputs("<section id=\"matrix\"><h2>Verdicts by VM and category</h2>"
	    "<table class=\"matrix\"><tr><th>VM</th>", fp);
	for (c = 0; c < REPORT_NCAT; c++)
		fprintf(fp, "<th><span class=\"sw\" style=\"background:%s\">"
		    "</span>%s</th>", cat_colour[c], report_cat_names[c]);
	fputs("<th>all</th></tr>\n", fp);
	for (k = 0; k < d->nvms; k++) {
		const struct report_vm *vm = &d->vms[order[k]];

		i = order[k];
		fprintf(fp, "<tr><td><a href=\"#vm-%zu\">", i);
		report_escape(fp, vm->name);
		fputs("</a></td>", fp);
		for (c = 0; c < REPORT_NCAT; c++)
			if (vm->count[c] == 0)
				fputs("<td class=\"z\">0</td>", fp);
			else
				fprintf(fp, "<td class=\"n\">%llu</td>",
				    (unsigned long long)vm->count[c]);
		fprintf(fp, "<td class=\"n\">%llu</td></tr>\n",
		    (unsigned long long)vm->total);
	}
	fputs("</table></section>\n", fp);
}

static void
suppressed(FILE *fp, const struct report_data *d, const struct report_args *a)
{
	long long n = stat_of(d, "verdicts", "suppressed", "detect",
	    "alerts_suppressed");

	fputs("<section id=\"suppressed\"><h2>Suppressed</h2><p>", fp);
	if (n < 0)
		fputs("No stats event in the input: how many repeats were "
		    "suppressed is not known.", fp);
	else
		fprintf(fp, "%lld verdict%s suppressed.", n, n == 1 ? " was" :
		    "s were");
	fputs(" A repeat within <code>suppress_window</code>", fp);
	if (a->suppress_window != NULL) {
		fputs(" (", fp);
		report_escape(fp, a->suppress_window);
		fputs(")", fp);
	}
	fputs(" is folded into the first verdict of the same VM, category "
	    "and peer, which is the one listed here; the events do not say "
	    "which verdict each repeat was folded into, so the count is not "
	    "broken down by VM.</p></section>\n", fp);
}

/* The per-VM figures the timelines need, in two passes over the marks
 * and the flows: the VM's own time span (captures of different days
 * would squeeze one VM's hour into a column of the whole), then verdicts
 * per column and category, and bytes per column and category (a flow's
 * bytes spread over the columns it spans). */
struct vm_series {
	int64_t first_us, last_us;
	uint32_t marks[REPORT_BUCKETS][REPORT_NCAT];
	double bytes[REPORT_BUCKETS][REPORT_NCAT + 1];
	int has_bytes;
};

static struct vm_series *
series_build(const struct report_data *d)
{
	struct vm_series *s = xcalloc(d->nvms > 0 ? d->nvms : 1, sizeof(*s));
	const struct report_flow *f;
	size_t i;
	struct vm_series *v;
	int b0, b1, b;

	for (i = 0; i < d->nvms; i++) {
		s[i].first_us = INT64_MAX;
		s[i].last_us = INT64_MIN;
	}
#define SPAN(vs, t) do { \
	if ((t) >= 0 && (t) < (vs)->first_us) \
		(vs)->first_us = (t); \
	if ((t) > (vs)->last_us) \
		(vs)->last_us = (t); \
} while (0)
	for (i = 0; i < d->nmarks; i++)
		SPAN(&s[d->marks[i].vm], d->marks[i].ts_us);
	for (i = 0; i < d->nflows; i++)
		if (d->flows[i].vm != UINT32_MAX) {
			SPAN(&s[d->flows[i].vm], d->flows[i].start_us);
			SPAN(&s[d->flows[i].vm], d->flows[i].end_us);
		}
#undef SPAN
	for (i = 0; i < d->nmarks; i++) {
		v = &s[d->marks[i].vm];
		v->marks[bucket_of(v->first_us, v->last_us,
		    d->marks[i].ts_us)][d->marks[i].cat]++;
	}
	for (i = 0; i < d->nflows; i++) {
		f = &d->flows[i];
		if (f->vm == UINT32_MAX)
			continue;
		v = &s[f->vm];
		b0 = bucket_of(v->first_us, v->last_us, f->start_us);
		b1 = bucket_of(v->first_us, v->last_us, f->end_us);
		for (b = b0; b <= b1; b++)
			s[f->vm].bytes[b][f->cat] += (double)f->bytes /
			    (b1 - b0 + 1);
		s[f->vm].has_bytes = 1;
	}
	return s;
}

static void
timeline(FILE *fp, const struct report_vm *vm, const struct vm_series *s)
{
	double colw = (double)(SVG_W - SVG_PAD) / REPORT_BUCKETS;
	double max = 0, tot, y0, h;
	int rows = 0, row[REPORT_NCAT], c, b, top, height;
	char t0[40], t1[40], size[32];
	uint32_t n;

	for (c = 0; c < REPORT_NCAT; c++)
		row[c] = vm->count[c] > 0 ? rows++ : -1;
	top = s->has_bytes ? VOL_H + 10 : 4;
	height = top + rows * ROW_H + 18;
	fprintf(fp, "<svg class=\"timeline\" viewBox=\"0 0 %d %d\" width=\"%d\" height=\"%d\" "
	    "font-size=\"10\">", SVG_W, height, SVG_W, height);
	if (s->has_bytes) {
		for (b = 0; b < REPORT_BUCKETS; b++) {
			for (tot = 0, c = 0; c <= REPORT_NCAT; c++)
				tot += s->bytes[b][c];
			if (tot > max)
				max = tot;
		}
		fmt_bytes((uint64_t)max, size, sizeof(size));
		fprintf(fp, "<text x=\"2\" y=\"12\">bytes</text><text x=\"2\" "
		    "y=\"24\" fill=\"#666\">max %s</text>", size);
		/* One path per category: stacked bars, colour by category. */
		for (c = 0; c <= REPORT_NCAT && max > 0; c++) {
			int open = 0;

			for (b = 0; b < REPORT_BUCKETS; b++) {
				if (s->bytes[b][c] <= 0)
					continue;
				for (y0 = 0, n = 0; n < (uint32_t)c; n++)
					y0 += s->bytes[b][n];
				h = s->bytes[b][c] / max * VOL_H;
				y0 = VOL_H - y0 / max * VOL_H - h;
				if (!open)
					fprintf(fp, "<g fill=\"%s\"><title>%s "
					    "bytes</title><path d=\"",
					    cat_colour[c], report_cat_names[c]);
				open = 1;
				fprintf(fp, "M%.1f %.1fh%.1fv%.1fh-%.1fz",
				    SVG_PAD + b * colw, y0 + 2, colw - 1,
				    h < 0.5 ? 0.5 : h, colw - 1);
			}
			if (open)
				fputs("\"/></g>", fp);
		}
	}
	for (c = 0; c < REPORT_NCAT; c++) {
		if (row[c] < 0)
			continue;
		fprintf(fp, "<text x=\"2\" y=\"%d\">%s</text>",
		    top + row[c] * ROW_H + 10, report_cat_names[c]);
		for (b = 0; b < REPORT_BUCKETS; b++) {
			if ((n = s->marks[b][c]) == 0)
				continue;
			fprintf(fp, "<circle cx=\"%.1f\" cy=\"%d\" r=\"%d\" "
			    "fill=\"%s\"><title>%u %s</title></circle>",
			    SVG_PAD + (b + 0.5) * colw,
			    top + row[c] * ROW_H + 7,
			    n >= 100 ? 6 : n >= 10 ? 5 : n > 1 ? 4 : 3,
			    cat_colour[c], n, report_cat_names[c]);
		}
	}
	fmt_time(s->first_us, t0, sizeof(t0));
	fmt_time(s->last_us, t1, sizeof(t1));
	fprintf(fp, "<text x=\"%d\" y=\"%d\" fill=\"#666\">%s</text>"
	    "<text x=\"%d\" y=\"%d\" fill=\"#666\" text-anchor=\"end\">%s"
	    "</text></svg>\n", SVG_PAD, height - 4, t0, SVG_W - 2,
	    height - 4, t1);
}

/* Whether the id is the 128-bit hex egressd writes: only then is it
 * used in a path (a crafted log could hold "../"). */
static int
id_is_hex(const char *id)
{
	size_t i;

	if (id == NULL || id[0] == '\0' || strlen(id) > 64)
		return 0;
	for (i = 0; id[i] != '\0'; i++)
		if (strchr("0123456789abcdef", id[i]) == NULL)
			return 0;
	return 1;
}

static void
evidence_link(FILE *fp, const struct report_args *a, const char *outdir,
    const char *id)
{
	char path[4096];
	struct stat st;

	if (!id_is_hex(id))
		return;
	if (a->evidence_dir == NULL) {
		if (snprintf(path, sizeof(path), "%s/evidence/%s.pcap", outdir,
		    id) >= (int)sizeof(path) || stat(path, &st) == -1 ||
		    !S_ISREG(st.st_mode))
			return;
	}
	fputs(" <a href=\"", fp);
	report_escape(fp, a->evidence_dir != NULL ? a->evidence_dir :
	    "evidence");
	fprintf(fp, "/%s.pcap\">pcap</a>", id);
}

static void
verdict_table(FILE *fp, const struct report_vm *vm,
    const struct report_args *a, const char *outdir)
{
	const struct report_verdict *r;
	char t[40];
	size_t i;

	fputs("<table class=\"verdicts\"><tr><th>time (UTC)</th><th>category"
	    "</th><th>confidence</th><th>reason</th><th>evidence</th><th>"
	    "verdict</th></tr>\n", fp);
	for (i = 0; i < vm->nrows; i++) {
		r = &vm->rows[i];
		fmt_time(r->ts_us, t, sizeof(t));
		fprintf(fp, "<tr><td>%s</td><td>", t);
		report_escape(fp, r->category);
		fputs("</td><td>", fp);
		report_escape(fp, r->confidence);
		fputs("</td><td>", fp);
		report_escape(fp, r->reason);
		fputs("</td><td>", fp);
		report_escape(fp, r->evidence);
		fputs("</td><td><code>", fp);
		report_escape(fp, r->verdict_id);
		fputs("</code>", fp);
		evidence_link(fp, a, outdir, r->verdict_id);
		fputs("</td></tr>\n", fp);
	}
	fputs("</table>", fp);
	if (vm->total > vm->nrows)
		fprintf(fp, "<p class=\"note\">%llu more verdicts not listed "
		    "(the first %d are).</p>", (unsigned long long)
		    (vm->total - vm->nrows), REPORT_VM_ROWS);
}

struct dest {
	uint32_t dst;
	uint64_t bytes, flows;
};

static int
dest_by_dst(const void *a, const void *b)
{
	const struct dest *x = a, *y = b;

	return x->dst < y->dst ? -1 : x->dst > y->dst;
}

static int
dest_by_bytes(const void *a, const void *b)
{
	const struct dest *x = a, *y = b;

	if (x->bytes != y->bytes)
		return x->bytes > y->bytes ? -1 : 1;
	return x->dst < y->dst ? -1 : x->dst > y->dst;
}

static void
geo_cells(FILE *fp, const struct report_data *d, const char *peer)
{
	json_t *g = json_object_get(d->peer_geo, peer != NULL ? peer : "");
	json_int_t asn = json_integer_value(json_object_get(g, "asn"));

	fputs("<td>", fp);
	if (asn > 0)
		fprintf(fp, "AS%lld", (long long)asn);
	fputs("</td><td>", fp);
	report_escape(fp, json_string_value(json_object_get(g, "as_org")));
	fputs("</td><td>", fp);
	report_escape(fp, json_string_value(json_object_get(g, "country")));
	fputs("</td></tr>\n", fp);
}

/* The VM's flows are fl[0..n): the destinations by bytes, or, without
 * flows, by the verdicts listed. */
static void
destinations(FILE *fp, const struct report_data *d,
    const struct report_vm *vm, const struct report_flow *const *fl,
    size_t n)
{
	struct dest *ds;
	size_t i, j, nd = 0;
	char size[32];

	fputs("<h3>Top destinations</h3><table class=\"dests\"><tr><th>"
	    "destination</th>", fp);
	if (n == 0) {
		fputs("<th>verdicts listed</th><th>ASN</th><th>AS org</th><th>"
		    "country</th></tr>\n", fp);
		ds = xcalloc(vm->nrows + 1, sizeof(*ds));
		for (i = 0; i < vm->nrows; i++) {
			const char *p = vm->rows[i].peer;

			for (j = 0; j < nd; j++)
				if (strcmp(vm->rows[ds[j].dst].peer ?
				    vm->rows[ds[j].dst].peer : "", p ? p : "")
				    == 0)
					break;
			if (j == nd)
				ds[nd++].dst = (uint32_t)i;
			ds[j].bytes++;
		}
		qsort(ds, nd, sizeof(*ds), dest_by_bytes);
		for (i = 0; i < nd && i < REPORT_TOP_DESTS; i++) {
			const char *p = vm->rows[ds[i].dst].peer;

			fputs("<tr><td>", fp);
			report_escape(fp, p != NULL ? p : "(many: a behaviour)");
			fprintf(fp, "</td><td class=\"n\">%llu</td>",
			    (unsigned long long)ds[i].bytes);
			geo_cells(fp, d, p);
		}
		free(ds);
		fputs("</table>\n", fp);
		return;
	}
	fputs("<th>bytes</th><th>flows</th><th>ASN</th><th>AS org</th><th>"
	    "country</th></tr>\n", fp);
	ds = xcalloc(n, sizeof(*ds));
	for (i = 0; i < n; i++)
		ds[i] = (struct dest){ fl[i]->dst, fl[i]->bytes, 1 };
	qsort(ds, n, sizeof(*ds), dest_by_dst);
	for (i = 0; i < n; i++) {
		if (nd > 0 && ds[nd - 1].dst == ds[i].dst) {
			ds[nd - 1].bytes += ds[i].bytes;
			ds[nd - 1].flows++;
		} else
			ds[nd++] = ds[i];
	}
	qsort(ds, nd, sizeof(*ds), dest_by_bytes);
	for (i = 0; i < nd && i < REPORT_TOP_DESTS; i++) {
		fmt_bytes(ds[i].bytes, size, sizeof(size));
		fputs("<tr><td>", fp);
		report_escape(fp, d->strs[ds[i].dst]);
		fprintf(fp, "</td><td class=\"n\">%s</td><td class=\"n\">%llu"
		    "</td>", size, (unsigned long long)ds[i].flows);
		geo_cells(fp, d, d->strs[ds[i].dst]);
	}
	fputs("</table>", fp);
	if (nd > REPORT_TOP_DESTS)
		fprintf(fp, "<p class=\"note\">%zu more destinations.</p>",
		    nd - REPORT_TOP_DESTS);
	fputc('\n', fp);
	free(ds);
}

static void
outdir_of(const struct report_args *a, char *buf, size_t len)
{
	char *slash;

	if (a->out == NULL || strcmp(a->out, "-") == 0) {
		str_copy(buf, ".", len);
		return;
	}
	str_copy(buf, a->out, len);
	if ((slash = strrchr(buf, '/')) == NULL)
		str_copy(buf, ".", len);
	else if (slash == buf)
		buf[1] = '\0';
	else
		*slash = '\0';
}

int
report_html(FILE *fp, const struct report_data *d,
    const struct report_args *a)
{
	size_t *order = xcalloc(d->nvms + 1, sizeof(*order));
	size_t *start = xcalloc(d->nvms + 2, sizeof(*start));
	const struct report_flow **byvm;
	struct vm_series *s;
	char outdir[4096];
	size_t i, k;

	outdir_of(a, outdir, sizeof(outdir));
	report_vm_order(d, order);
	s = series_build(d);
	/* The flows grouped by VM (a counting sort), for the destinations. */
	for (i = 0; i < d->nflows; i++)
		if (d->flows[i].vm != UINT32_MAX)
			start[d->flows[i].vm + 2]++;
	for (i = 2; i < d->nvms + 2; i++)
		start[i] += start[i - 1];
	byvm = xcalloc(d->nflows + 1, sizeof(*byvm));
	for (i = 0; i < d->nflows; i++)
		if (d->flows[i].vm != UINT32_MAX)
			byvm[start[d->flows[i].vm + 1]++] = &d->flows[i];

	fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8"
	    "\">\n<meta http-equiv=\"Content-Security-Policy\" content=\""
	    "default-src 'none'; style-src 'unsafe-inline'; script-src "
	    "'unsafe-inline'; img-src data:\">\n<title>egressd report</title>"
	    "<style>", fp);
	fputs(css, fp);
	fputs("</style></head><body>\n", fp);
	header(fp, d, a);
	matrix(fp, d, order);
	suppressed(fp, d, a);
	for (k = 0; k < d->nvms; k++) {
		const struct report_vm *vm = &d->vms[order[k]];

		i = order[k];
		fprintf(fp, "<section class=\"vm\" id=\"vm-%zu\"><h2>VM ", i);
		report_escape(fp, vm->name);
		if (vm->ip != NULL && strcmp(vm->ip, vm->name) != 0) {
			fputs(" (", fp);
			report_escape(fp, vm->ip);
			fputs(")", fp);
		}
		fprintf(fp, ": %llu verdicts</h2>\n",
		    (unsigned long long)vm->total);
		timeline(fp, vm, &s[i]);
		verdict_table(fp, vm, a, outdir);
		destinations(fp, d, vm, byvm + start[i], start[i + 1] -
		    start[i]);
		fputs("</section>\n", fp);
	}
	fputs("</body></html>\n", fp);
	free(byvm);
	free(s);
	free(start);
	free(order);
	return ferror(fp) ? -1 : 0;
}
