/*
 * report.c: the forensic report's reader, and report_write. Each line of
 * an event file is parsed with jansson, whichever format it is in: a
 * native verdict (event_type "verdict") or a Suricata alert (egressd's
 * fields as lists of strings under alert.metadata) become the same
 * record, and so do the two kinds of flow and of stats. A line that is
 * not a JSON object is counted, not fatal: a log cut off in its last line
 * still makes a report. The page itself is written by report_html.c.
 *
 * Flows name no VM: a flow belongs to the VM whose address (vm_ip of its
 * verdicts) opened it, and takes the category of the verdict about the
 * same flow_id when its own is "none" (EVE flows carry no category).
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "report.h"
#include "report_int.h"
#include "log.h"
#include "util.h"

const char *const report_cat_names[REPORT_NCAT + 1] = {
	"mining", "dos", "bruteforce", "p2p", "remote_access", "proxy",
	"scan", "none"
};

/* jansson's allocation failed: the one policy, as util.c's. */
static void
oom(void)
{
	log_err("out of memory building the report");
	abort();
}

static int
cat_of(const char *s)
{
	int i;

	if (s == NULL)
		return REPORT_CAT_NONE;
	for (i = 0; i < REPORT_NCAT; i++)
		if (strcmp(s, report_cat_names[i]) == 0)
			return i;
	return REPORT_CAT_NONE;
}

int64_t
report_parse_time(const char *s)
{
	struct tm tm;
	char *end;
	long usec = 0;
	int digits = 0;
	time_t t;

	if (s == NULL)
		return -1;
	memset(&tm, 0, sizeof(tm));
	end = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
	if (end == NULL)
		return -1;
	if (*end == '.')
		for (end++; *end >= '0' && *end <= '9'; end++)
			if (digits++ < 6)
				usec = usec * 10 + (*end - '0');
	for (; digits < 6; digits++)
		usec *= 10;
	if (strcmp(end, "Z") != 0 && strcmp(end, "+0000") != 0 &&
	    strcmp(end, "+00:00") != 0)
		return -1;
	if ((t = timegm(&tm)) == (time_t)-1)
		return -1;
	return (int64_t)t * 1000000 + usec;
}

void
report_data_init(struct report_data *d)
{
	memset(d, 0, sizeof(*d));
	d->vm_index = json_object();
	d->str_index = json_object();
	d->flow_cat = json_object();
	d->peer_geo = json_object();
	if (d->vm_index == NULL || d->str_index == NULL ||
	    d->flow_cat == NULL || d->peer_geo == NULL)
		oom();
	d->first_us = INT64_MAX;
	d->last_us = INT64_MIN;
}

static void
row_free(struct report_verdict *r)
{
	free(r->verdict_id);
	free(r->category);
	free(r->confidence);
	free(r->reason);
	free(r->evidence);
	free(r->peer);
	free(r->server_name);
	free(r->asn);
	free(r->as_org);
	free(r->country);
}

void
report_data_free(struct report_data *d)
{
	size_t i, j;

	for (i = 0; i < d->nvms; i++) {
		for (j = 0; j < d->vms[i].nrows; j++)
			row_free(&d->vms[i].rows[j]);
		free(d->vms[i].rows);
		free(d->vms[i].name);
		free(d->vms[i].ip);
	}
	free(d->vms);
	for (i = 0; i < d->nstrs; i++)
		free(d->strs[i]);
	free(d->strs);
	free(d->marks);
	free(d->flows);
	json_decref(d->vm_index);
	json_decref(d->str_index);
	json_decref(d->flow_cat);
	json_decref(d->peer_geo);
	json_decref(d->stats);
	memset(d, 0, sizeof(*d));
}

/* Grows an array by one element, doubling; the caller checks the cap. */
static void *
grow(void *p, size_t n, size_t size)
{
	if (n == 0 || (n & (n - 1)) == 0)
		p = xreallocarray(p, n == 0 ? 16 : n * 2, size);
	return p;
}

static uint32_t
intern(struct report_data *d, const char *s)
{
	json_t *v;

	if (s == NULL)
		s = "";
	if ((v = json_object_get(d->str_index, s)) != NULL)
		return (uint32_t)json_integer_value(v);
	d->strs = grow(d->strs, d->nstrs, sizeof(*d->strs));
	d->strs[d->nstrs] = xstrdup(s);
	if (json_object_set_new(d->str_index, s,
	    json_integer((json_int_t)d->nstrs)) == -1)
		oom();
	return (uint32_t)d->nstrs++;
}

static void
saw_time(struct report_data *d, int64_t t)
{
	if (t < 0)
		return;
	if (t < d->first_us)
		d->first_us = t;
	if (t > d->last_us)
		d->last_us = t;
}

static const char *
str_of(json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

/* An EVE metadata value: the first string of its list. */
static const char *
meta_of(json_t *meta, const char *key)
{
	json_t *v = json_object_get(meta, key);

	if (json_is_array(v))
		v = json_array_get(v, 0);
	return json_string_value(v);
}

static char *
dup_or_null(const char *s)
{
	return s != NULL && s[0] != '\0' ? xstrdup(s) : NULL;
}

/* One line: what the evidence says, short. Caller frees. */
static char *
evidence_summary(json_t *ev)
{
	char buf[1024];
	size_t n = 0, i;
	json_t *sigs, *h, *s;
	const char *app, *sn;

	buf[0] = '\0';
#define ADD(...) do { \
	if (n < sizeof(buf)) { \
		int w_ = snprintf(buf + n, sizeof(buf) - n, __VA_ARGS__); \
		if (w_ > 0) \
			n += (size_t)w_; \
	} \
} while (0)
	ADD("decided_by %s", str_of(ev, "decided_by") != NULL ?
	    str_of(ev, "decided_by") : "?");
	if ((app = str_of(ev, "app_proto")) != NULL &&
	    strcmp(app, "Unknown") != 0)
		ADD("; %s", app);
	sigs = json_object_get(ev, "signatures");
	json_array_foreach(sigs, i, s)
		ADD("; signature %s %s", str_of(s, "id") ? str_of(s, "id") : "",
		    str_of(s, "msg") ? str_of(s, "msg") : "");
	if ((h = json_object_get(ev, "heuristic")) != NULL)
		ADD("; heuristic %s: %s", str_of(h, "name") ? str_of(h, "name") :
		    "", str_of(h, "detail") ? str_of(h, "detail") : "");
	if (str_of(ev, "detector") != NULL)
		ADD("; detector %s", str_of(ev, "detector"));
	if ((sn = str_of(ev, "server_name")) != NULL)
		ADD("; server %s", sn);
#undef ADD
	return xstrdup(buf);
}

static size_t
vm_find_or_add(struct report_data *d, const char *name, const char *ip)
{
	json_t *v;
	struct report_vm *vm;

	if ((v = json_object_get(d->vm_index, name)) != NULL)
		return (size_t)json_integer_value(v);
	d->vms = grow(d->vms, d->nvms, sizeof(*d->vms));
	vm = &d->vms[d->nvms];
	memset(vm, 0, sizeof(*vm));
	vm->name = xstrdup(name);
	vm->ip = dup_or_null(ip);
	if (json_object_set_new(d->vm_index, name,
	    json_integer((json_int_t)d->nvms)) == -1)
		oom();
	return d->nvms++;
}

/* A verdict, from either format: the fields are looked up by the caller
 * and handed over here as strings. */
struct verdict_in {
	const char *ts, *id, *vm, *vm_ip, *category, *severity, *confidence,
	    *reason, *peer;
	json_t *evidence;
	json_int_t flow_id;
};

static void
add_verdict(struct report_data *d, const struct verdict_in *in)
{
	struct report_vm *vm;
	struct report_verdict *r;
	size_t i;
	int64_t ts = report_parse_time(in->ts);
	int cat = cat_of(in->category);
	char key[32];
	json_t *geo;

	d->verdicts++;
	saw_time(d, ts);
	if (cat == REPORT_CAT_NONE)
		return;
	if (d->nmarks >= REPORT_MAX_VERDICTS ||
	    (json_object_get(d->vm_index, in->vm != NULL ? in->vm : "?") ==
	    NULL && d->nvms >= REPORT_MAX_VMS)) {
		d->verdicts_dropped++;
		return;
	}
	i = vm_find_or_add(d, in->vm != NULL ? in->vm : "?", in->vm_ip);
	vm = &d->vms[i];
	vm->count[cat]++;
	vm->total++;
	if (in->severity != NULL && strcmp(in->severity, "high") == 0)
		vm->high++;
	d->marks = grow(d->marks, d->nmarks, sizeof(*d->marks));
	d->marks[d->nmarks++] = (struct report_mark){ ts, (uint32_t)i,
	    (uint8_t)cat };
	if (in->flow_id != 0) {
		snprintf(key, sizeof(key), "%lld", (long long)in->flow_id);
		if (json_object_set_new(d->flow_cat, key, json_integer(cat)) ==
		    -1)
			oom();
	}
	if (in->peer != NULL && json_object_get(in->evidence, "asn") != NULL &&
	    json_object_get(d->peer_geo, in->peer) == NULL) {
		geo = json_pack("{s:O?,s:O?,s:O?}",
		    "asn", json_object_get(in->evidence, "asn"),
		    "as_org", json_object_get(in->evidence, "as_org"),
		    "country", json_object_get(in->evidence, "country"));
		if (geo == NULL || json_object_set_new(d->peer_geo, in->peer,
		    geo) == -1)
			oom();
	}
	if (vm->nrows >= REPORT_VM_ROWS)
		return;
	vm->rows = grow(vm->rows, vm->nrows, sizeof(*vm->rows));
	r = &vm->rows[vm->nrows++];
	memset(r, 0, sizeof(*r));
	r->ts_us = ts;
	r->verdict_id = dup_or_null(in->id);
	r->category = xstrdup(in->category);
	r->confidence = dup_or_null(in->confidence);
	r->reason = dup_or_null(in->reason);
	r->evidence = evidence_summary(in->evidence);
	r->peer = dup_or_null(in->peer);
	r->server_name = dup_or_null(str_of(in->evidence, "server_name"));
	if (json_integer_value(json_object_get(in->evidence, "asn")) > 0) {
		snprintf(key, sizeof(key), "AS%lld", (long long)
		    json_integer_value(json_object_get(in->evidence, "asn")));
		r->asn = xstrdup(key);
	}
	r->as_org = dup_or_null(str_of(in->evidence, "as_org"));
	r->country = dup_or_null(str_of(in->evidence, "country"));
}

static void
add_flow(struct report_data *d, json_t *o, json_t *counters)
{
	struct report_flow *f;
	int64_t start = report_parse_time(str_of(counters, "start"));
	int64_t end = report_parse_time(str_of(counters, "end"));

	d->flows_seen++;
	saw_time(d, start);
	saw_time(d, end);
	if (d->nflows >= REPORT_MAX_FLOWS || start < 0) {
		d->flows_dropped++;
		return;
	}
	if (end < start)
		end = start;
	d->flows = grow(d->flows, d->nflows, sizeof(*d->flows));
	f = &d->flows[d->nflows++];
	f->start_us = start;
	f->end_us = end;
	f->bytes = (uint64_t)json_integer_value(json_object_get(counters,
	    "bytes_toserver")) + (uint64_t)json_integer_value(
	    json_object_get(counters, "bytes_toclient"));
	f->flow_id = (uint64_t)json_integer_value(json_object_get(o,
	    "flow_id"));
	f->src = intern(d, str_of(o, "src_ip"));
	f->dst = intern(d, str_of(o, "dest_ip"));
	f->vm = UINT32_MAX;
	f->cat = (uint8_t)cat_of(str_of(o, "category"));
}

static void
add_event(struct report_data *d, json_t *o)
{
	const char *type = str_of(o, "event_type");
	struct verdict_in in;
	json_t *alert, *meta;

	if (type == NULL)
		return;
	memset(&in, 0, sizeof(in));
	in.ts = str_of(o, "timestamp");
	in.flow_id = json_integer_value(json_object_get(o, "flow_id"));
	in.peer = str_of(o, "dest_ip");
	if (strcmp(type, "verdict") == 0) {
		in.id = str_of(o, "verdict_id");
		in.vm = str_of(o, "vm");
		in.vm_ip = str_of(o, "vm_ip");
		in.category = str_of(o, "category");
		in.severity = str_of(o, "severity");
		in.confidence = str_of(o, "confidence");
		in.reason = str_of(o, "reason");
		in.evidence = json_object_get(o, "evidence");
		add_verdict(d, &in);
	} else if (strcmp(type, "alert") == 0) {
		alert = json_object_get(o, "alert");
		meta = json_object_get(alert, "metadata");
		in.id = meta_of(meta, "verdict_id");
		in.vm = meta_of(meta, "vm");
		in.vm_ip = meta_of(meta, "vm_ip");
		in.category = meta_of(meta, "egressd_category");
		in.severity = meta_of(meta, "severity");
		in.confidence = meta_of(meta, "confidence");
		in.reason = str_of(alert, "signature");
		in.evidence = json_object_get(meta, "evidence");
		add_verdict(d, &in);
	} else if (strcmp(type, "flow") == 0) {
		/* Native counters are at the top, EVE's under flow{}. */
		add_flow(d, o, json_is_object(json_object_get(o, "flow")) ?
		    json_object_get(o, "flow") : o);
	} else if (strcmp(type, "stats") == 0) {
		saw_time(d, report_parse_time(in.ts));
		json_decref(d->stats);
		d->stats = json_incref(json_object_get(o, "stats"));
		/* Suricata's names: decoder.pkts, not capture.packets. */
		d->stats_eve = json_object_get(json_object_get(d->stats,
		    "capture"), "packets") == NULL;
	}
}

int
report_read_file(struct report_data *d, const char *path, char *err,
    size_t errlen)
{
	FILE *fp;
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	json_t *o;
	int rc = -1;

	if (strcmp(path, "-") == 0)
		fp = stdin;
	else if ((fp = fopen(path, "r")) == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	while ((len = getline(&line, &cap, fp)) != -1) {
		if (len <= 1)
			continue;
		o = json_loadb(line, (size_t)len, JSON_DISABLE_EOF_CHECK, NULL);
		if (!json_is_object(o))
			d->lines_bad++;
		else
			add_event(d, o);
		json_decref(o);
	}
	if (ferror(fp)) {
		snprintf(err, errlen, "%s: read error", path);
		goto out;
	}
	rc = 0;
out:
	free(line);
	if (fp != stdin)
		fclose(fp);
	return rc;
}

static int
row_by_time(const void *a, const void *b)
{
	const struct report_verdict *x = a, *y = b;

	return x->ts_us < y->ts_us ? -1 : x->ts_us > y->ts_us;
}

void
report_data_finish(struct report_data *d)
{
	json_t *ipmap, *v;
	struct report_flow *f;
	char key[32];
	size_t i;

	/* The VMs by address: a flow opened from one is that VM's. */
	if ((ipmap = json_object()) == NULL)
		oom();
	for (i = 0; i < d->nvms; i++)
		if (d->vms[i].ip != NULL && json_object_set_new(ipmap,
		    d->vms[i].ip, json_integer((json_int_t)i)) == -1)
			oom();
	for (i = 0; i < d->nflows; i++) {
		f = &d->flows[i];
		if ((v = json_object_get(ipmap, d->strs[f->src])) != NULL)
			f->vm = (uint32_t)json_integer_value(v);
		if (f->cat != REPORT_CAT_NONE || f->flow_id == 0)
			continue;
		snprintf(key, sizeof(key), "%lld", (long long)f->flow_id);
		if ((v = json_object_get(d->flow_cat, key)) != NULL)
			f->cat = (uint8_t)json_integer_value(v);
	}
	json_decref(ipmap);
	/* Several files need not be in time order. */
	for (i = 0; i < d->nvms; i++)
		qsort(d->vms[i].rows, d->vms[i].nrows, sizeof(*d->vms[i].rows),
		    row_by_time);
}

static int
vm_cmp(const void *a, const void *b, void *arg)
{
	const struct report_data *d = arg;
	const struct report_vm *x = &d->vms[*(const size_t *)a];
	const struct report_vm *y = &d->vms[*(const size_t *)b];

	if (x->high != y->high)
		return x->high > y->high ? -1 : 1;
	if (x->total != y->total)
		return x->total > y->total ? -1 : 1;
	return strcmp(x->name, y->name);
}

void
report_vm_order(const struct report_data *d, size_t *order)
{
	size_t i;

	for (i = 0; i < d->nvms; i++)
		order[i] = i;
	qsort_r(order, d->nvms, sizeof(*order), vm_cmp, (void *)d);
}

int
report_write(const struct report_args *a, char *err, size_t errlen)
{
	struct report_data d;
	FILE *fp;
	size_t i;
	int rc = -1;

	report_data_init(&d);
	for (i = 0; i < a->ninputs; i++)
		if (report_read_file(&d, a->inputs[i], err, errlen) == -1)
			goto out;
	report_data_finish(&d);
	if (a->out == NULL || strcmp(a->out, "-") == 0)
		fp = stdout;
	else if ((fp = fopen(a->out, "w")) == NULL) {
		snprintf(err, errlen, "%s: %s", a->out, strerror(errno));
		goto out;
	}
	rc = report_html(fp, &d, a);
	if (fp == stdout ? fflush(fp) != 0 : fclose(fp) != 0)
		rc = -1;
	if (rc == -1)
		snprintf(err, errlen, "%s: write error", a->out != NULL ?
		    a->out : "-");
out:
	report_data_free(&d);
	return rc;
}
