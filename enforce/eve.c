/*
 * eve.c: JSON lines for flow, verdict and stats events, in egressd's own
 * records (eve_suricata.c writes Suricata's). A write error is
 * remembered and reported at close, not per event: the per-packet path must
 * never stop on a full disk, and the exit status must still say so.
 */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cidr.h"
#include "eve_int.h"
#include "util.h"

struct eve {
	pthread_mutex_t mu;	/* workers write events concurrently */
	int flush_each;		/* live: every event reaches the file at once */
	enum eve_format format;
	FILE *fp;
	char *path;		/* NULL for standard output */
	int is_stdout;
	int write_error;	/* errno of the first failed write, or 0 */
	uint64_t written;
};

/* Opens path to append to, created 0600: events name VMs and tenants. */
static FILE *
open_append(const char *path, char *err, size_t errlen)
{
	FILE *fp;
	int fd;

	if ((fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC,
	    0600)) == -1) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	if ((fp = fdopen(fd, "a")) == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		close(fd);
		return NULL;
	}
	return fp;
}

int
eve_check_path(const char *path, char *err, size_t errlen)
{
	char dir[PATH_MAX], *slash;
	struct stat st;

	if (strcmp(path, "-") == 0)
		return 0;
	if (stat(path, &st) == 0) {
		if (S_ISDIR(st.st_mode)) {
			snprintf(err, errlen, "%s: is a directory", path);
			return -1;
		}
		return 0;
	}
	if (errno != ENOENT) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	/* Not there yet: its directory must be. */
	if (str_copy(dir, path, sizeof(dir)) >= sizeof(dir)) {
		snprintf(err, errlen, "%s: path too long", path);
		return -1;
	}
	if ((slash = strrchr(dir, '/')) == NULL)
		str_copy(dir, ".", sizeof(dir));
	else if (slash == dir)
		dir[1] = '\0';
	else
		*slash = '\0';
	if (stat(dir, &st) == -1) {
		snprintf(err, errlen, "%s: directory %s: %s", path, dir,
		    strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode)) {
		snprintf(err, errlen, "%s: %s is not a directory", path, dir);
		return -1;
	}
	return 0;
}

struct eve *
eve_open(const char *path, enum eve_format format, char *err, size_t errlen)
{
	struct eve *e = xcalloc(1, sizeof(*e));

	pthread_mutex_init(&e->mu, NULL);
	e->format = format;

	if (strcmp(path, "-") == 0) {
		e->fp = stdout;
		e->is_stdout = 1;
	} else if ((e->fp = open_append(path, err, errlen)) == NULL) {
		free(e);
		return NULL;
	} else {
		e->path = xstrdup(path);
	}
	return e;
}

int
eve_reopen(struct eve *e, char *err, size_t errlen)
{
	FILE *fp;

	if (e->is_stdout)
		return 0;
	if ((fp = open_append(e->path, err, errlen)) == NULL)
		return -1;	/* keep writing to the old one */
	pthread_mutex_lock(&e->mu);
	if (fclose(e->fp) != 0 && e->write_error == 0)
		e->write_error = errno;
	e->fp = fp;
	pthread_mutex_unlock(&e->mu);
	return 0;
}

int
eve_close(struct eve *e, char *err, size_t errlen)
{
	int rc = 0;

	if (e == NULL)
		return 0;
	if (fflush(e->fp) != 0 && e->write_error == 0)
		e->write_error = errno;
	if (!e->is_stdout && fclose(e->fp) != 0 && e->write_error == 0)
		e->write_error = errno;
	free(e->path);
	pthread_mutex_destroy(&e->mu);
	if (e->write_error != 0) {
		snprintf(err, errlen, "writing events: %s", strerror(e->write_error));
		rc = -1;
	}
	free(e);
	return rc;
}

void
eve_timestamp(uint64_t ts_us, char *buf, size_t len)
{
	time_t secs = (time_t)(ts_us / 1000000);
	struct tm tm;

	gmtime_r(&secs, &tm);
	snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d.%06uZ",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
	    tm.tm_sec, (unsigned)(ts_us % 1000000));
}

const char *
eve_proto_name(uint8_t proto)
{
	switch (proto) {
	case 1: return "ICMP";
	case 2: return "IGMP";
	case 6: return "TCP";
	case 17: return "UDP";
	case 47: return "GRE";
	case 50: return "ESP";
	case 51: return "AH";
	case 58: return "ICMPv6";
	case 89: return "OSPF";
	case 132: return "SCTP";
	}
	return NULL;
}

/* Length of the valid UTF-8 sequence at s, or 0 when it is not one
 * (overlong forms, surrogates and code points past U+10FFFF included). */
static size_t
utf8_seq_len(const unsigned char *s)
{
	size_t n, i;
	uint32_t cp;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2, cp = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3, cp = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4, cp = s[0] & 0x07;
	else
		return 0;
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if ((n == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
	    (n == 4 && (cp < 0x10000 || cp > 0x10ffff)))
		return 0;
	return n;
}

/* Strings come from the wire (server names) and may be cut mid-character:
 * every byte that is not valid UTF-8 becomes '?', so jansson never drops
 * the field and the line stays valid JSON. */
json_t *
eve_json_string(const char *val)
{
	char buf[1024];
	const unsigned char *s = (const unsigned char *)val;
	size_t out = 0, n;

	while (*s != '\0' && out + 4 < sizeof(buf)) {
		if ((n = utf8_seq_len(s)) == 0) {
			buf[out++] = '?';
			s++;
			continue;
		}
		memcpy(buf + out, s, n);
		out += n;
		s += n;
	}
	buf[out] = '\0';
	return json_string(buf);
}

json_t *
eve_labels(const char *labels)
{
	json_t *arr = json_array();
	char buf[256], *p, *next, *t;

	str_copy(buf, labels, sizeof(buf));
	for (p = buf; p != NULL; p = next) {
		if ((next = strchr(p, ';')) != NULL)
			*next++ = '\0';
		t = str_trim(p);
		if (*t != '\0')
			json_array_append_new(arr, eve_json_string(t));
	}
	return arr;
}

void
eve_set_str(json_t *o, const char *key, const char *val)
{
	json_object_set_new(o, key, eve_json_string(val));
}

void
eve_set_int(json_t *o, const char *key, uint64_t val)
{
	json_object_set_new(o, key, json_integer((json_int_t)val));
}

static void
set_time(json_t *o, const char *key, uint64_t ts_us)
{
	char ts[40];

	eve_timestamp(ts_us, ts, sizeof(ts));
	eve_set_str(o, key, ts);
}

static json_t *
header(uint64_t ts_us, uint64_t flow_id, const char *type)
{
	json_t *o = json_object();

	set_time(o, "timestamp", ts_us);
	eve_set_int(o, "flow_id", flow_id);
	eve_set_str(o, "event_type", type);
	return o;
}

static void
set_tuple(json_t *o, const struct flow_tuple *t)
{
	char a[64];
	const char *pn = eve_proto_name(t->proto);

	addr_format(t->src, a, sizeof(a));
	eve_set_str(o, "src_ip", a);
	eve_set_int(o, "src_port", t->sport);
	addr_format(t->dst, a, sizeof(a));
	eve_set_str(o, "dest_ip", a);
	eve_set_int(o, "dest_port", t->dport);
	if (pn != NULL)
		eve_set_str(o, "proto", pn);
	else
		eve_set_int(o, "proto", t->proto);
	if (t->vlan != 0)
		eve_set_int(o, "vlan", t->vlan);
	if (t->proto == 1 || t->proto == 58) {
		eve_set_int(o, "icmp_type", t->icmp_type);
		eve_set_int(o, "icmp_code", t->icmp_code);
	}
}

#define EVE_FLAGS	(JSON_COMPACT | JSON_ENSURE_ASCII | JSON_REAL_PRECISION(3))

void
eve_emit(struct eve *e, json_t *o)
{
	char line[8192], *buf = line;
	size_t n;

	/* Into memory first and then one stdio call: json_dumpf makes one
	 * per token. A record longer than line is dumped again into the
	 * heap. */
	n = json_dumpb(o, line, sizeof(line) - 1, EVE_FLAGS);
	if (n >= sizeof(line) - 1 && n != 0) {
		buf = xmalloc(n + 1);
		n = json_dumpb(o, buf, n, EVE_FLAGS);
	}
	if (n != 0)
		buf[n++] = '\n';
	pthread_mutex_lock(&e->mu);
	if (n == 0 || fwrite(buf, 1, n, e->fp) != n ||
	    (e->flush_each && fflush(e->fp) == EOF)) {
		if (e->write_error == 0)
			e->write_error = errno != 0 ? errno : EIO;
	} else {
		e->written++;
	}
	pthread_mutex_unlock(&e->mu);
	if (buf != line)
		free(buf);
	json_decref(o);
}

void
eve_flush_each(struct eve *e, int on)
{
	e->flush_each = on;
}

void
eve_flow(struct eve *e, const struct flow_event *fe)
{
	json_t *o;

	if (e->format == EVE_SURICATA) {
		eve_emit(e, eve_suricata_flow(fe));
		return;
	}
	o = header(fe->ts_us, fe->flow_id, "flow");

	set_tuple(o, &fe->t);
	if (fe->community_id[0] != '\0')
		eve_set_str(o, "community_id", fe->community_id);
	eve_set_str(o, "app_proto", fe->app_proto);
	eve_set_str(o, "category", policy_category_name(fe->category));
	if (fe->server_name[0] != '\0')
		eve_set_str(o, "server_name", fe->server_name);
	eve_set_int(o, "pkts_toserver", fe->pkts_toserver);
	eve_set_int(o, "pkts_toclient", fe->pkts_toclient);
	eve_set_int(o, "bytes_toserver", fe->bytes_toserver);
	eve_set_int(o, "bytes_toclient", fe->bytes_toclient);
	set_time(o, "start", fe->start_us);
	set_time(o, "end", fe->end_us);
	eve_set_str(o, "end_reason", fe->end_reason);
	eve_set_str(o, "ndpi_category", fe->ndpi_category);
	eve_set_str(o, "detection", fe->dpi_confidence);
	eve_emit(e, o);
}

json_t *
eve_evidence_object(const struct verdict *v)
{
	json_t *ev = json_object();
	unsigned i;

	eve_set_str(ev, "decided_by", v->decided_by);
	if (v->app_proto[0] != '\0')
		eve_set_str(ev, "app_proto", v->app_proto);
	if (v->server_name[0] != '\0')
		eve_set_str(ev, "server_name", v->server_name);
	if (v->ndpi_category[0] != '\0')
		eve_set_str(ev, "ndpi_category", v->ndpi_category);
	if (v->dpi_confidence != NULL)
		eve_set_str(ev, "detection", v->dpi_confidence);
	if (v->nsigs > 0) {
		json_t *arr = json_array();

		for (i = 0; i < v->nsigs && i < VERDICT_MAX_SIGS; i++) {
			json_t *sg = json_object();

			eve_set_str(sg, "id", v->sigs[i].id);
			eve_set_str(sg, "msg", v->sigs[i].msg);
			json_array_append_new(arr, sg);
		}
		json_object_set_new(ev, "signatures", arr);
	}
	if (v->heuristic[0] != '\0') {
		json_t *h = json_object();

		eve_set_str(h, "name", v->heuristic);
		if (v->heuristic_detail[0] != '\0')
			eve_set_str(h, "detail", v->heuristic_detail);
		json_object_set_new(ev, "heuristic", h);
	}
	if (v->asn != 0)
		eve_set_int(ev, "asn", v->asn);
	if (v->as_org[0] != '\0')
		eve_set_str(ev, "as_org", v->as_org);
	if (v->country[0] != '\0')
		eve_set_str(ev, "country", v->country);
	if (v->detector != NULL) {
		char a[64];

		eve_set_str(ev, "detector", v->detector);
		if (v->has_target) {
			addr_format(v->target, a, sizeof(a));
			eve_set_str(ev, "target", a);
		}
		if (v->target_port != 0)
			eve_set_int(ev, "target_port", v->target_port);
		json_object_set_new(ev, "window_s",
		    json_real((double)v->window_us / 1e6));
		eve_set_int(ev, "packets", v->packets);
		eve_set_int(ev, "bytes", v->bytes);
		eve_set_int(ev, "count", v->count);
		if (v->distinct != 0)
			eve_set_int(ev, "distinct", v->distinct);
		if (!strcmp(v->detector, "syn_flood"))
			eve_set_int(ev, "completed", v->completed);
		if (v->rate_pps > 0)
			json_object_set_new(ev, "rate_pps", json_real(v->rate_pps));
	}
	return ev;
}

/* A comma-separated list as a JSON array. */
static json_t *
name_array(const char *list)
{
	json_t *a = json_array();
	const char *p = list, *c;

	while (*p != '\0') {
		c = strchr(p, ',');
		json_array_append_new(a, json_stringn(p, c != NULL ?
		    (size_t)(c - p) : strlen(p)));
		if (c == NULL)
			break;
		p = c + 1;
	}
	return a;
}

/* An egressd fleet verdict's contributors. */
static json_t *
fleet_object(const struct verdict *v)
{
	json_t *f = json_object();

	json_object_set_new(f, "vms", name_array(v->fleet_vms));
	eve_set_int(f, "vm_count", v->fleet_nvms);
	json_object_set_new(f, "hosts", name_array(v->fleet_hosts));
	eve_set_int(f, "host_count", v->fleet_nhosts);
	if (v->fleet_tenants[0] != '\0') {
		json_object_set_new(f, "tenants", name_array(v->fleet_tenants));
		eve_set_int(f, "tenant_count", v->fleet_ntenants);
	}
	return f;
}

/* The native verdict as a JSON object (the caller owns it). */
static json_t *
verdict_object(const struct verdict *v)
{
	json_t *o = header(v->ts_us, v->has_flow ? v->flow_id : 0, "verdict");
	char vmip[64];

	eve_set_str(o, "verdict_id", v->verdict_id);
	eve_set_str(o, "vm", v->vm);
	addr_format(v->vm_addr, vmip, sizeof(vmip));
	eve_set_str(o, "vm_ip", vmip);
	if (v->tenant[0] != '\0')
		eve_set_str(o, "tenant", v->tenant);
	if (v->labels[0] != '\0')
		json_object_set_new(o, "labels", eve_labels(v->labels));
	eve_set_str(o, "category", policy_category_name(v->category));
	eve_set_str(o, "severity", v->severity);
	eve_set_str(o, "confidence", confidence_name(v->confidence));
	eve_set_str(o, "reason", v->reason);
	json_object_set_new(o, "evidence", eve_evidence_object(v));
	if (v->has_flow) {
		set_tuple(o, &v->t);
		if (v->community_id[0] != '\0')
			eve_set_str(o, "community_id", v->community_id);
	} else if (v->has_target) {
		char a[64];
		const char *pn = eve_proto_name(v->target_proto);

		/* A behaviour verdict is about a VM and a target, not a flow. */
		addr_format(v->target, a, sizeof(a));
		eve_set_str(o, "dest_ip", a);
		if (v->target_port != 0)
			eve_set_int(o, "dest_port", v->target_port);
		if (pn != NULL)
			eve_set_str(o, "proto", pn);
	}
	if (v->fleet_vms[0] != '\0')
		json_object_set_new(o, "fleet", fleet_object(v));
	eve_set_str(o, "action", v->action);
	return o;
}

void
eve_verdict(struct eve *e, const struct verdict *v)
{
	eve_emit(e, e->format == EVE_SURICATA ? eve_suricata_alert(v) :
	    verdict_object(v));
}

char *
eve_verdict_json(const struct verdict *v)
{
	json_t *o = verdict_object(v);
	char *s = json_dumps(o, EVE_FLAGS);

	json_decref(o);
	return s;
}

void
eve_stats(struct eve *e, const struct stats_event *s)
{
	json_t *o, *st;
	unsigned i;

	if (e->format == EVE_SURICATA) {
		eve_emit(e, eve_suricata_stats(s));
		return;
	}
	o = header(s->ts_us, 0, "stats");
	st = json_object();

	for (i = 0; i < s->n; i++) {
		json_t *sec = json_object_get(st, s->c[i].section);

		if (sec == NULL) {
			sec = json_object();
			json_object_set_new(st, s->c[i].section, sec);
		}
		eve_set_int(sec, s->c[i].name, s->c[i].value);
	}
	json_object_set_new(o, "stats", st);
	eve_emit(e, o);
}
