/*
 * metrics.c: the stats event as Prometheus text (format 0.0.4) and a small
 * HTTP server for it (see metrics.h).
 *
 * Rendering knows nothing of the modules: any (section, name) becomes a
 * series, a counter unless the gauge table below says otherwise, so a new
 * figure shows up without a change here. Series are grouped by the name
 * they end up with, not by the (section, name) they came from, because two
 * different inputs can sanitise to one name and the text format forbids a
 * family from appearing twice; the values of such a group are summed.
 *
 * The listening socket is made and bound here and handed to libmicrohttpd
 * (MHD_OPTION_LISTEN_SOCKET) rather than letting the library bind it: a bind
 * failure then comes with its own errno, whatever the library does after it,
 * and the bound port (for port 0) is one getsockname() away.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "log.h"
#include "metrics.h"
#include "util.h"

/*
 * libmicrohttpd is loaded with the metrics server (lib_load in util.h): a
 * run without one never maps it, nor GnuTLS and the rest it needs. Its
 * functions are called through this table, of their own types; loading
 * runs once.
 */
static struct {
	__typeof__(MHD_create_response_from_buffer) *create_response_from_buffer;
	__typeof__(MHD_add_response_header) *add_response_header;
	__typeof__(MHD_queue_response) *queue_response;
	__typeof__(MHD_destroy_response) *destroy_response;
	__typeof__(MHD_start_daemon) *start_daemon;
	__typeof__(MHD_stop_daemon) *stop_daemon;
} mhd;
static pthread_once_t mhd_once = PTHREAD_ONCE_INIT;
static int mhd_ready;
static char mhd_err[256];

static void
mhd_load(void)
{
	const struct lib_fn fns[] = {
		{ "MHD_create_response_from_buffer",
		    &mhd.create_response_from_buffer },
		{ "MHD_add_response_header", &mhd.add_response_header },
		{ "MHD_queue_response", &mhd.queue_response },
		{ "MHD_destroy_response", &mhd.destroy_response },
		{ "MHD_start_daemon", &mhd.start_daemon },
		{ "MHD_stop_daemon", &mhd.stop_daemon },
	};

	mhd_ready = lib_load(EGRESSD_SO_MHD, fns, NELEM(fns), mhd_err,
	    sizeof(mhd_err)) == 0;
}

#define METRICS_DEFAULT_ADDR	"127.0.0.1"
/* A scraper or two and a health checker; anything beyond is refused
 * rather than queued, so a flood of connections costs little. */
#define METRICS_CONN_LIMIT	16
#define METRICS_CONN_TIMEOUT_S	10
#define METRICS_BACKLOG		16
/* Longer names are cut; grouping by the cut name keeps families unique. */
#define METRICS_NAME_MAX	128
#define METRICS_WHY_MAX		256

#define METRICS_CONTENT_TYPE	"text/plain; version=0.0.4; charset=utf-8"
#define METRICS_TEXT_TYPE	"text/plain; charset=utf-8"

struct metrics {
	struct MHD_Daemon *mhd;
	metrics_collect_fn collect;
	metrics_health_fn health;
	void *arg;
	int port;			/* bound port, host order */
};

/* Figures that go up and down; everything else is a counter. */
static const struct {
	const char *section, *name;
} metrics_gauges[] = {
	{ "capture", "workers" },
	{ "capture", "truncated" },	/* 1 when the capture file was cut off */
	{ "flow", "active" },
	{ "dpi", "in_progress" },
	{ "dpi", "in_progress_max" },
	{ "behaviour", "entries" },
	{ "behaviour", "bytes" },
	{ "inventory", "entries" },
	{ "detect", "signatures_loaded" },
	{ "webhook", "pending" },
	{ "webhook", "spool_messages" },
	{ "webhook", "spool_bytes" },
	{ "webhook", "disabled" },
	{ "webhook", "queue_depth" },
	{ "action", "queue_depth" },
};

/* The names in section "verdicts" that are policy categories; they share
 * one family with a category label. */
static const char *const metrics_categories[] = {
	"p2p", "mining", "remote_access", "proxy", "dos", "scan", "bruteforce"
};
#define METRICS_NCATEGORIES	NELEM(metrics_categories)

static const struct {
	const char *section, *name, *help;
} metrics_helps[] = {
	{ "capture", "packets", "Packets read from the capture source." },
	{ "capture", "bytes", "Bytes on the wire of the packets read." },
	{ "capture", "truncated", "1 when the capture file ended mid-record." },
	{ "capture", "kernel_drops", "Packets the kernel dropped before capture." },
	{ "capture", "if_drops", "Packets the interface dropped." },
	{ "capture", "workers", "Capture worker threads." },
	{ "decoder", "ok", "Packets decoded to an IP packet." },
	{ "flow", "created", "Flows created." },
	{ "flow", "active", "Flows in the flow table." },
	{ "flow", "evicted", "Flows evicted from a full flow table." },
	{ "dpi", "detected", "Flows nDPI classified." },
	{ "dpi", "in_progress", "Flows still in protocol detection." },
	{ "detect", "signatures_loaded", "Signatures loaded." },
	{ "verdicts", "suppressed", "Verdicts suppressed as repeats." },
	{ "webhook", "delivered", "Verdicts delivered to the webhook." },
	{ "webhook", "failures", "Webhook requests that failed." },
	{ "webhook", "pending", "Verdicts waiting for delivery." },
	{ "webhook", "queue_depth", "Verdicts in the webhook queue." },
	{ "webhook", "disabled", "1 while webhook delivery is disabled." },
	{ "action", "queue_depth", "Verdicts waiting for an action." },
};

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
	size_t i;

	for (i = 0; i < NELEM(metrics_gauges); i++)
		if (strcmp(section, metrics_gauges[i].section) == 0 &&
		    strcmp(name, metrics_gauges[i].name) == 0)
			return 1;
	return 0;
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
	size_t i;

	for (i = 0; i < NELEM(metrics_helps); i++)
		if (strcmp(section, metrics_helps[i].section) == 0 &&
		    strcmp(name, metrics_helps[i].name) == 0)
			return metrics_helps[i].help;
	return NULL;
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

/* Parses a decimal port 0-65535; returns 0 or -1. */
static int
parse_port(const char *s, in_port_t *port)
{
	unsigned long v = 0;
	const char *p;

	if (*s == '\0')
		return -1;
	for (p = s; *p != '\0'; p++) {
		if (*p < '0' || *p > '9')
			return -1;
		v = v * 10 + (unsigned long)(*p - '0');
		if (v > 65535)
			return -1;
	}
	*port = htons((in_port_t)v);
	return 0;
}

int
metrics_parse_addr(const char *spec, struct sockaddr_storage *ss, char *err,
    size_t errlen)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;
	char host[INET6_ADDRSTRLEN + 2];
	const char *port, *colon, *end;
	size_t hlen;
	int v6 = 0;

	memset(ss, 0, sizeof(*ss));
	if (spec == NULL || *spec == '\0') {
		snprintf(err, errlen, "metrics address is empty");
		return -1;
	}
	if (spec[0] == '[') {
		if ((end = strchr(spec, ']')) == NULL || end[1] != ':') {
			snprintf(err, errlen, "metrics address \"%s\": "
			    "[IPV6]:PORT expected", spec);
			return -1;
		}
		v6 = 1;
		hlen = (size_t)(end - spec - 1);
		if (hlen >= sizeof(host))
			goto badaddr;
		memcpy(host, spec + 1, hlen);
		host[hlen] = '\0';
		port = end + 2;
	} else if ((colon = strchr(spec, ':')) != NULL) {
		if (strchr(colon + 1, ':') != NULL) {
			snprintf(err, errlen, "metrics address \"%s\": an IPv6 "
			    "address goes in brackets, [ADDR]:PORT", spec);
			return -1;
		}
		hlen = (size_t)(colon - spec);
		if (hlen >= sizeof(host))
			goto badaddr;
		memcpy(host, spec, hlen);
		host[hlen] = '\0';
		port = colon + 1;
	} else {
		str_copy(host, METRICS_DEFAULT_ADDR, sizeof(host));
		port = spec;
	}

	if (parse_port(port, v6 ? &sin6->sin6_port : &sin->sin_port) == -1) {
		snprintf(err, errlen, "metrics address \"%s\": bad port \"%s\" "
		    "(0-65535)", spec, port);
		return -1;
	}
	/* inet_pton() only: a host name would need a DNS lookup, and what
	 * to listen on should not depend on a resolver. */
	if (v6) {
		sin6->sin6_family = AF_INET6;
		if (inet_pton(AF_INET6, host, &sin6->sin6_addr) != 1)
			goto badaddr;
	} else {
		sin->sin_family = AF_INET;
		if (inet_pton(AF_INET, host, &sin->sin_addr) != 1)
			goto badaddr;
	}
	return 0;

badaddr:
	snprintf(err, errlen, "metrics address \"%s\": not a numeric IPv4 "
	    "address or [IPv6] address", spec);
	memset(ss, 0, sizeof(*ss));
	return -1;
}

static enum MHD_Result
reply(struct MHD_Connection *conn, unsigned status, const char *type,
    char *body, size_t len, enum MHD_ResponseMemoryMode mode)
{
	struct MHD_Response *r;
	enum MHD_Result ret;

	if ((r = mhd.create_response_from_buffer(len, body, mode)) == NULL) {
		if (mode == MHD_RESPMEM_MUST_FREE)
			free(body);
		return MHD_NO;
	}
	if (mhd.add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type) ==
	    MHD_NO)
		goto fail;
	if (status == MHD_HTTP_METHOD_NOT_ALLOWED &&
	    mhd.add_response_header(r, MHD_HTTP_HEADER_ALLOW, "GET, HEAD") ==
	    MHD_NO)
		goto fail;
	ret = mhd.queue_response(conn, status, r);
	mhd.destroy_response(r);
	return ret;
fail:
	mhd.destroy_response(r);
	return MHD_NO;
}

static enum MHD_Result
reply_static(struct MHD_Connection *conn, unsigned status, const char *text)
{
	return reply(conn, status, METRICS_TEXT_TYPE, (char *)text,
	    strlen(text), MHD_RESPMEM_PERSISTENT);
}

static enum MHD_Result
serve_metrics(struct metrics *m, struct MHD_Connection *conn)
{
	struct stats_event *s;
	size_t need, got;
	char *body;

	/* About 3 KiB: on the heap, as the HTTP thread's stack is the
	 * library's to size. */
	s = xcalloc(1, sizeof(*s));
	if (m->collect != NULL)
		m->collect(s, m->arg);
	/* The size is bounded by STATS_MAX_COUNTERS lines of bounded
	 * names, a few tens of KiB at most. */
	need = metrics_render(s, NULL, 0);
	body = xmalloc(need + 1);
	got = metrics_render(s, body, need + 1);
	free(s);
	if (got > need)		/* cannot happen: s did not change */
		got = need;
	return reply(conn, MHD_HTTP_OK, METRICS_CONTENT_TYPE, body, got,
	    MHD_RESPMEM_MUST_FREE);
}

static enum MHD_Result
serve_health(struct metrics *m, struct MHD_Connection *conn)
{
	char why[METRICS_WHY_MAX], *body;
	size_t n;

	why[0] = '\0';
	if (m->health == NULL || m->health(m->arg, why, sizeof(why)) == 1)
		return reply_static(conn, MHD_HTTP_OK, "ok\n");
	why[sizeof(why) - 1] = '\0';
	if (why[0] == '\0')
		str_copy(why, "unhealthy", sizeof(why));
	n = strlen(why);
	body = xmalloc(n + 2);
	memcpy(body, why, n);
	body[n++] = '\n';
	body[n] = '\0';
	return reply(conn, MHD_HTTP_SERVICE_UNAVAILABLE, METRICS_TEXT_TYPE, body,
	    n, MHD_RESPMEM_MUST_FREE);
}

/* libmicrohttpd's access handler. It answers on the first call, before
 * any request body is read: no path here takes one, so a body is never
 * waited for, and the library discards it. */
static enum MHD_Result
handle(void *cls, struct MHD_Connection *conn, const char *url,
    const char *method, const char *version, const char *upload_data,
    size_t *upload_data_size, void **con_cls)
{
	struct metrics *m = cls;

	(void)version;
	(void)upload_data;
	(void)upload_data_size;
	(void)con_cls;
	if (method == NULL || url == NULL)
		return MHD_NO;
	if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 &&
	    strcmp(method, MHD_HTTP_METHOD_HEAD) != 0)
		return reply_static(conn, MHD_HTTP_METHOD_NOT_ALLOWED,
		    "method not allowed\n");
	if (strcmp(url, "/metrics") == 0)
		return serve_metrics(m, conn);
	if (strcmp(url, "/healthz") == 0)
		return serve_health(m, conn);
	return reply_static(conn, MHD_HTTP_NOT_FOUND, "not found\n");
}

static void
mhd_log(void *cls, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));

/* The library's own messages are about single connections (a client gone,
 * a bad request): worth seeing when debugging, not in the log otherwise. */
static void
mhd_log(void *cls, const char *fmt, va_list ap)
{
	char msg[256];
	size_t n;

	(void)cls;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	n = strlen(msg);
	while (n > 0 && msg[n - 1] == '\n')
		msg[--n] = '\0';
	log_debug("metrics: %s", msg);
}

struct metrics *
metrics_start(const char *spec, metrics_collect_fn collect,
    metrics_health_fn health, void *arg, char *err, size_t errlen)
{
	struct sockaddr_storage ss, bound;
	socklen_t sslen, blen;
	struct metrics *m;
	const char *what;
	int fd, one = 1, flags;

	if (metrics_parse_addr(spec, &ss, err, errlen) == -1)
		return NULL;
	pthread_once(&mhd_once, mhd_load);
	if (!mhd_ready) {
		snprintf(err, errlen, "metrics %s: %s", spec, mhd_err);
		return NULL;
	}
	sslen = ss.ss_family == AF_INET6 ? sizeof(struct sockaddr_in6) :
	    sizeof(struct sockaddr_in);
	if ((fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC |
	    SOCK_NONBLOCK, 0)) == -1) {
		snprintf(err, errlen, "metrics %s: socket: %s", spec,
		    strerror(errno));
		return NULL;
	}
	/* A restart must not wait out TIME_WAIT of the last scrape. */
	what = "setsockopt";
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) == -1)
		goto sockfail;
	/* "[::]" means IPv6 only, as in nginx: 0.0.0.0 is its own listener. */
	if (ss.ss_family == AF_INET6 && setsockopt(fd, IPPROTO_IPV6,
	    IPV6_V6ONLY, &one, sizeof(one)) == -1)
		goto sockfail;
	what = "bind";
	if (bind(fd, (struct sockaddr *)&ss, sslen) == -1)
		goto sockfail;
	what = "listen";
	if (listen(fd, METRICS_BACKLOG) == -1)
		goto sockfail;
	what = "getsockname";
	blen = sizeof(bound);
	if (getsockname(fd, (struct sockaddr *)&bound, &blen) == -1)
		goto sockfail;

	m = xcalloc(1, sizeof(*m));
	m->collect = collect;
	m->health = health;
	m->arg = arg;
	m->port = ntohs(bound.ss_family == AF_INET6 ?
	    ((struct sockaddr_in6 *)&bound)->sin6_port :
	    ((struct sockaddr_in *)&bound)->sin_port);
	/* MHD_USE_AUTO picks epoll: select() would fail on a descriptor
	 * above FD_SETSIZE, which a busy daemon can reach. */
	flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO |
	    MHD_USE_ERROR_LOG;
	if (ss.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	m->mhd = mhd.start_daemon((unsigned)flags, 0, NULL, NULL, handle, m,
	    MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,
	    MHD_OPTION_LISTEN_SOCKET, fd,
	    MHD_OPTION_CONNECTION_LIMIT, (unsigned)METRICS_CONN_LIMIT,
	    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)METRICS_CONN_TIMEOUT_S,
	    MHD_OPTION_END);
	if (m->mhd == NULL) {
		/* Not closed: once handed over, the descriptor is the
		 * library's, and it may have closed it already; a leaked
		 * descriptor on a failed start beats closing another
		 * thread's. */
		snprintf(err, errlen, "metrics %s: cannot start the HTTP "
		    "server", spec);
		free(m);
		return NULL;
	}
	return m;

sockfail:
	snprintf(err, errlen, "metrics %s: %s: %s", spec, what, strerror(errno));
	close(fd);
	return NULL;
}

int
metrics_port(const struct metrics *m)
{
	return m == NULL ? -1 : m->port;
}

void
metrics_stop(struct metrics *m)
{
	if (m == NULL)
		return;
	/* Joins the server thread and closes the listening socket. */
	mhd.stop_daemon(m->mhd);
	free(m);
}
