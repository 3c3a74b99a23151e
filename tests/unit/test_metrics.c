/*
 * test_metrics.c: the Prometheus text rendered from a stats event, checked
 * line for line, its truncation at every buffer size, the address parser,
 * and the HTTP server on a loopback port the kernel picks, driven with
 * libcurl. The text was also checked by hand against a real parser,
 * Python's prometheus_client.parser.text_string_to_metric_families; the
 * expected strings below are the ones it accepted.
 */
#include <arpa/inet.h>
#include <check.h>
#include <curl/curl.h>
#include <dirent.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "metrics.h"
#include "statreg.h"
#include "suites.h"

static const char *
render(const struct stats_event *s)
{
	static char buf[65536];
	size_t n;

	n = metrics_render(s, NULL, buf, sizeof(buf));
	ck_assert_uint_lt(n, sizeof(buf));
	ck_assert_uint_eq(n, strlen(buf));
	return buf;
}

static int
count(const char *hay, const char *needle)
{
	int n = 0;

	while ((hay = strstr(hay, needle)) != NULL) {
		n++;
		hay += strlen(needle);
	}
	return n;
}

static const struct metrics_build test_build = { "9.9.9", "4.2.0",
    "libpcap 1.10" };

#define UP_LINES \
	"# HELP egressd_up 1 while egressd is running.\n" \
	"# TYPE egressd_up gauge\n" \
	"egressd_up 1\n"

START_TEST(render_exact)
{
	struct stats_event s;

	memset(&s, 0, sizeof(s));
	stats_add(&s, "capture", "packets", 1000);
	stats_add(&s, "flow", "active", 3);
	stats_add(&s, "verdicts", "p2p", 2);
	stats_add(&s, "verdicts", "by_ndpi", 4);
	stats_add(&s, "verdicts", "mining", 1);
	stats_add(&s, "my-sec", "we.ird name", 5);
	stats_add(&s, "webhook", "spool_bytes", 18446744073709551615ULL);
	ck_assert_str_eq(render(&s), UP_LINES
	    "# HELP egressd_capture_packets_total Packets read from the capture source.\n"
	    "# TYPE egressd_capture_packets_total counter\n"
	    "egressd_capture_packets_total 1000\n"
	    "# HELP egressd_flow_active Flows in the flow table.\n"
	    "# TYPE egressd_flow_active gauge\n"
	    "egressd_flow_active 3\n"
	    "# HELP egressd_verdicts_total Verdicts by policy category.\n"
	    "# TYPE egressd_verdicts_total counter\n"
	    "egressd_verdicts_total{category=\"p2p\"} 2\n"
	    "egressd_verdicts_total{category=\"mining\"} 1\n"
	    "# HELP egressd_verdicts_decided_total Verdicts by what decided them.\n"
	    "# TYPE egressd_verdicts_decided_total counter\n"
	    "egressd_verdicts_decided_total{by=\"ndpi\"} 4\n"
	    "# HELP egressd_my_sec_we_ird_name_total egressd stats my-sec.we.ird name\n"
	    "# TYPE egressd_my_sec_we_ird_name_total counter\n"
	    "egressd_my_sec_we_ird_name_total 5\n"
	    "# HELP egressd_webhook_spool_bytes Bytes of the spool's messages.\n"
	    "# TYPE egressd_webhook_spool_bytes gauge\n"
	    "egressd_webhook_spool_bytes 18446744073709551615\n");
}
END_TEST

START_TEST(render_empty)
{
	struct stats_event s;

	memset(&s, 0, sizeof(s));
	ck_assert_str_eq(render(&s), UP_LINES);
	ck_assert_str_eq(render(NULL), UP_LINES);
}
END_TEST

/* The gauge table and every other name of the stats model: each family
 * has one HELP and one TYPE, and the TYPE says what the table says. */
START_TEST(render_kinds)
{
	static const char *const gauges[][2] = {
		{ "capture", "workers" }, { "capture", "truncated" },
		{ "flow", "active" }, { "dpi", "in_progress" },
		{ "dpi", "in_progress_max" }, { "behaviour", "entries" },
		{ "behaviour", "bytes" }, { "inventory", "entries" },
		{ "detect", "signatures_loaded" }, { "webhook", "pending" },
		{ "webhook", "spool_messages" }, { "webhook", "spool_bytes" },
		{ "webhook", "disabled" }, { "webhook", "queue_depth" },
		{ "action", "queue_depth" },
	};
	static const char *const counters[][2] = {
		{ "capture", "packets" }, { "capture", "kernel_drops" },
		{ "decoder", "tunneled" }, { "flow", "created" },
		{ "dpi", "given_up" }, { "detect", "dns_tunnels" },
		{ "behaviour", "suppressed" }, { "behaviour", "hits" },
		{ "webhook", "attempts" }, { "action", "nft_added" },
	};
	struct stats_event s;
	char line[256];
	const char *out;
	size_t i;

	memset(&s, 0, sizeof(s));
	for (i = 0; i < sizeof(gauges) / sizeof(gauges[0]); i++)
		stats_add(&s, gauges[i][0], gauges[i][1], i);
	for (i = 0; i < sizeof(counters) / sizeof(counters[0]); i++)
		stats_add(&s, counters[i][0], counters[i][1], i);
	out = render(&s);
	for (i = 0; i < sizeof(gauges) / sizeof(gauges[0]); i++) {
		snprintf(line, sizeof(line), "# TYPE egressd_%s_%s gauge\n",
		    gauges[i][0], gauges[i][1]);
		ck_assert_int_eq(count(out, line), 1);
		snprintf(line, sizeof(line), "\negressd_%s_%s %zu\n",
		    gauges[i][0], gauges[i][1], i);
		ck_assert_int_eq(count(out, line), 1);
	}
	for (i = 0; i < sizeof(counters) / sizeof(counters[0]); i++) {
		snprintf(line, sizeof(line), "# TYPE egressd_%s_%s_total "
		    "counter\n", counters[i][0], counters[i][1]);
		ck_assert_int_eq(count(out, line), 1);
		snprintf(line, sizeof(line), "\negressd_%s_%s_total %zu\n",
		    counters[i][0], counters[i][1], i);
		ck_assert_int_eq(count(out, line), 1);
	}
	ck_assert_int_eq(count(out, "# HELP "), count(out, "# TYPE "));
	ck_assert_int_eq(count(out, "# TYPE "), 1 + (int)(sizeof(gauges) /
	    sizeof(gauges[0]) + sizeof(counters) / sizeof(counters[0])));
}
END_TEST

/* Every row of the stats registry has its help, and rendered together
 * they make one HELP and one TYPE per family: a labelled family (results,
 * reasons, categories) holds all its series. */
START_TEST(render_registry)
{
	const struct stat_def *d;
	struct stats_event s;
	char line[256];
	const char *out;
	size_t i;
	int families = 0, labelled = 0;

	memset(&s, 0, sizeof(s));
	for (i = 0; (d = stat_at(i)) != NULL; i++) {
		ck_assert_msg(d->help != NULL && d->help[0] != '\0',
		    "%s.%s has no help", d->section, d->name);
		ck_assert_msg((d->family == NULL) == (d->label == NULL),
		    "%s.%s", d->section, d->name);
		if (d->family != NULL) {
			ck_assert_ptr_nonnull(stat_family_help(d->family));
			labelled++;
		}
		stats_add(&s, d->section, d->name, i);
	}
	ck_assert_uint_le(i, STATS_MAX_COUNTERS);
	out = render(&s);
	ck_assert_ptr_null(strstr(out, "egressd stats "));
	for (i = 0; (d = stat_at(i)) != NULL; i++) {
		if (d->family == NULL) {
			families++;
			continue;
		}
		snprintf(line, sizeof(line), "{%s} %zu\n", d->label, i);
		ck_assert_msg(count(out, line) == 1, "%s", line);
		snprintf(line, sizeof(line), "# TYPE egressd_%s_total counter\n",
		    d->family);
		ck_assert_int_eq(count(out, line), 1);
	}
	ck_assert_int_gt(labelled, 0);
	ck_assert_int_eq(count(out, "# HELP "), count(out, "# TYPE "));
	ck_assert_int_gt(count(out, "# TYPE "), families);
}
END_TEST

START_TEST(render_build_info)
{
	struct metrics_build b = { "0.1.0", "4.2.0", "libpcap \"1.10\"" };
	char buf[1024];

	ck_assert_uint_lt(metrics_render(NULL, &b, buf, sizeof(buf)),
	    sizeof(buf));
	ck_assert_ptr_nonnull(strstr(buf, "# TYPE egressd_build_info gauge\n"
	    "egressd_build_info{version=\"0.1.0\",ndpi=\"4.2.0\","
	    "libpcap=\"libpcap \\\"1.10\\\"\"} 1\n"));
}
END_TEST

START_TEST(render_duplicates)
{
	struct stats_event s;

	memset(&s, 0, sizeof(s));
	stats_add(&s, "capture", "packets", 1);
	stats_add(&s, "verdicts", "scan", 5);
	stats_add(&s, "x", "a-b", 10);
	stats_add(&s, "capture", "packets", 2);
	stats_add(&s, "verdicts", "scan", 6);
	stats_add(&s, "verdicts", "dos", 7);
	stats_add(&s, "x", "a.b", 20);
	stats_add(&s, "capture", "packets", 18446744073709551615ULL);
	ck_assert_str_eq(render(&s), UP_LINES
	    "# HELP egressd_capture_packets_total Packets read from the capture source.\n"
	    "# TYPE egressd_capture_packets_total counter\n"
	    "egressd_capture_packets_total 18446744073709551615\n"
	    "# HELP egressd_verdicts_total Verdicts by policy category.\n"
	    "# TYPE egressd_verdicts_total counter\n"
	    "egressd_verdicts_total{category=\"scan\"} 11\n"
	    "egressd_verdicts_total{category=\"dos\"} 7\n"
	    "# HELP egressd_x_a_b_total egressd stats x.a-b\n"
	    "# TYPE egressd_x_a_b_total counter\n"
	    "egressd_x_a_b_total 30\n");
}
END_TEST

/* Odd input never escapes a HELP line nor makes an invalid name. */
START_TEST(render_odd_names)
{
	struct stats_event s;
	char longname[400];
	const char *out;

	memset(longname, 'n', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	memset(&s, 0, sizeof(s));
	stats_add(&s, "a\nb", "c\\d", 1);
	stats_add(&s, NULL, NULL, 2);
	stats_add(&s, "long", longname, 3);
	s.n = STATS_MAX_COUNTERS + 5;	/* a caller's bug: clamped */
	out = render(&s);
	ck_assert_ptr_nonnull(strstr(out,
	    "# HELP egressd_a_b_c_d_total egressd stats a\\nb.c\\\\d\n"));
	ck_assert_ptr_nonnull(strstr(out, "\negressd___total 2\n"));
	/* Cut to 127 bytes, "_total" kept. */
	ck_assert_ptr_nonnull(strstr(out, "nnn_total 3\n"));
	ck_assert_int_eq(count(out, "# TYPE "), 4);
}
END_TEST

START_TEST(render_truncated)
{
	struct stats_event s;
	char full[4096], buf[4096 + 16];
	size_t need, len, n, lines;

	memset(&s, 0, sizeof(s));
	stats_add(&s, "capture", "packets", 1000);
	stats_add(&s, "flow", "active", 3);
	stats_add(&s, "verdicts", "p2p", 2);
	stats_add(&s, "verdicts", "proxy", 9);
	need = metrics_render(&s, NULL, NULL, 0);
	ck_assert_uint_eq(metrics_render(&s, NULL, full, sizeof(full)), need);
	ck_assert_uint_eq(strlen(full), need);

	for (len = 0; len <= need + 1; len++) {
		memset(buf, 0x5a, sizeof(buf));
		n = metrics_render(&s, NULL, len == 0 ? NULL : buf, len);
		ck_assert_uint_eq(n, need);
		if (len == 0)
			continue;
		/* Nothing written past len. */
		ck_assert_int_eq(buf[len], 0x5a);
		ck_assert_ptr_nonnull(memchr(buf, '\0', len));
		n = strlen(buf);
		/* A prefix of the whole text made of whole lines ... */
		ck_assert_int_eq(strncmp(buf, full, n), 0);
		ck_assert(n == 0 || buf[n - 1] == '\n');
		/* ... and the longest such that fits. */
		if (n < need) {
			const char *next = strchr(full + n, '\n');

			ck_assert_ptr_nonnull(next);
			ck_assert_uint_ge((size_t)(next - full) + 2, len + 1);
		}
	}
	/* Exactly enough room: all of it. */
	memset(buf, 0x5a, sizeof(buf));
	metrics_render(&s, NULL, buf, need + 1);
	ck_assert_str_eq(buf, full);
	for (lines = 0, n = 0; n < need; n++)
		lines += full[n] == '\n';
	ck_assert_uint_eq(lines, 3 + 3 + 3 + 4);
}
END_TEST

static void
check_addr(const char *spec, int family, const char *addr, unsigned port)
{
	struct sockaddr_storage ss;
	char err[256], text[INET6_ADDRSTRLEN];

	err[0] = '\0';
	ck_assert_msg(metrics_parse_addr(spec, &ss, err, sizeof(err)) == 0,
	    "%s: %s", spec, err);
	ck_assert_int_eq(ss.ss_family, family);
	if (family == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)&ss;

		inet_ntop(AF_INET, &sin->sin_addr, text, sizeof(text));
		ck_assert_uint_eq(ntohs(sin->sin_port), port);
	} else {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;

		inet_ntop(AF_INET6, &sin6->sin6_addr, text, sizeof(text));
		ck_assert_uint_eq(ntohs(sin6->sin6_port), port);
	}
	ck_assert_str_eq(text, addr);
}

START_TEST(parse_addr_good)
{
	check_addr("9104", AF_INET, "127.0.0.1", 9104);
	check_addr("0", AF_INET, "127.0.0.1", 0);
	check_addr("65535", AF_INET, "127.0.0.1", 65535);
	check_addr("0.0.0.0:9104", AF_INET, "0.0.0.0", 9104);
	check_addr("127.0.0.1:0", AF_INET, "127.0.0.1", 0);
	check_addr("10.1.2.3:80", AF_INET, "10.1.2.3", 80);
	check_addr("[::1]:9104", AF_INET6, "::1", 9104);
	check_addr("[::]:1", AF_INET6, "::", 1);
	check_addr("[fd00::2]:65535", AF_INET6, "fd00::2", 65535);
}
END_TEST

START_TEST(parse_addr_bad)
{
	static const char *const bad[] = {
		"", "abc", "70000", "65536", "9104x", "-1", "+80", " 80",
		"80 ", "99999999999999999999", "localhost:9104",
		"localhost", "example.com:80", "1.2.3:80", "256.1.1.1:80",
		"1.2.3.4:", ":9104", "1.2.3.4:x", "1.2.3.4:70000", "::1:9104",
		"[::1]", "[::1]9104", "[::1]:", "[1.2.3.4]:80", "[::1:80",
		"[]:80", "[::1]:-1", "[fe80::1%lo]:80",
	};
	struct sockaddr_storage ss;
	char err[256];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		ck_assert_msg(metrics_parse_addr(bad[i], &ss, err,
		    sizeof(err)) == -1, "\"%s\" accepted", bad[i]);
		ck_assert_msg(err[0] != '\0', "\"%s\": no message", bad[i]);
	}
	ck_assert_int_eq(metrics_parse_addr(NULL, &ss, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "empty"));
	metrics_parse_addr("70000", &ss, err, sizeof(err));
	ck_assert_ptr_nonnull(strstr(err, "port"));
	metrics_parse_addr("localhost:80", &ss, err, sizeof(err));
	ck_assert_ptr_nonnull(strstr(err, "localhost"));
}
END_TEST

/* The server's own counts, after what collect gave. */
#define SERVER_LINES(timeouts, dropped) \
	"# HELP egressd_metrics_conn_timeouts_total Connections to this " \
	"server cut for a request header not whole 2 s after the accept, " \
	"or an answer not taken 5 s after the request.\n" \
	"# TYPE egressd_metrics_conn_timeouts_total counter\n" \
	"egressd_metrics_conn_timeouts_total " #timeouts "\n" \
	"# HELP egressd_metrics_conn_dropped_total Connections to this " \
	"server closed for want of a place.\n" \
	"# TYPE egressd_metrics_conn_dropped_total counter\n" \
	"egressd_metrics_conn_dropped_total " #dropped "\n"

/* What the server is given: a counter that moves, and a health flag. */
struct fixture {
	uint64_t packets;
	int healthy;
};

static void
collect(struct stats_event *s, void *arg)
{
	struct fixture *f = arg;

	stats_add(s, "capture", "packets", __atomic_load_n(&f->packets,
	    __ATOMIC_RELAXED));
	stats_add(s, "verdicts", "mining", 1);
}

static int
health(void *arg, char *why, size_t len)
{
	struct fixture *f = arg;

	if (__atomic_load_n(&f->healthy, __ATOMIC_RELAXED))
		return 1;
	snprintf(why, len, "spool full");
	return 0;
}

struct reply {
	long status;
	char body[65536];
	size_t len;
	char type[128];
	char allow[128];
};

static size_t
on_body(char *p, size_t size, size_t nmemb, void *arg)
{
	struct reply *r = arg;
	size_t n = size * nmemb;

	if (n > sizeof(r->body) - 1 - r->len)
		return 0;
	memcpy(r->body + r->len, p, n);
	r->len += n;
	r->body[r->len] = '\0';
	return n;
}

static size_t
on_header(char *p, size_t size, size_t nmemb, void *arg)
{
	struct reply *r = arg;
	size_t n = size * nmemb, k;

	if (n > 6 && strncasecmp(p, "Allow:", 6) == 0) {
		for (k = 6; k < n && p[k] == ' '; k++)
			;
		snprintf(r->allow, sizeof(r->allow), "%.*s", (int)(n - k), p + k);
		r->allow[strcspn(r->allow, "\r\n")] = '\0';
	}
	return n;
}

/* Requests method path from port; returns the reply in r. */
static void
fetch(int port, const char *method, const char *path, const char *body,
    struct reply *r)
{
	char url[128];
	char *type = NULL;
	CURL *c;
	CURLcode rc;

	memset(r, 0, sizeof(*r));
	snprintf(url, sizeof(url), "http://127.0.0.1:%d%s", port, path);
	ck_assert_ptr_nonnull(c = curl_easy_init());
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 10L);
	curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, r);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, r);
	if (strcmp(method, "HEAD") == 0)
		curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
	else if (body != NULL) {
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
		if (strcmp(method, "POST") != 0)
			curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	} else if (strcmp(method, "GET") != 0)
		curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	rc = curl_easy_perform(c);
	ck_assert_msg(rc == CURLE_OK, "%s %s: %s", method, path,
	    curl_easy_strerror(rc));
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
	curl_easy_getinfo(c, CURLINFO_CONTENT_TYPE, &type);
	if (type != NULL)
		snprintf(r->type, sizeof(r->type), "%s", type);
	curl_easy_cleanup(c);
}

START_TEST(http_serve)
{
	struct fixture f = { 42, 1 };
	struct metrics *m;
	struct reply r;
	char err[256];
	int port;

	ck_assert_int_eq(curl_global_init(CURL_GLOBAL_DEFAULT), 0);
	m = metrics_start("127.0.0.1:0", &test_build, collect, health, &f, err,
	    sizeof(err));
	ck_assert_msg(m != NULL, "%s", err);
	port = metrics_port(m);
	ck_assert_int_gt(port, 0);
	ck_assert_int_le(port, 65535);

	fetch(port, "GET", "/metrics", NULL, &r);
	ck_assert_int_eq(r.status, 200);
	ck_assert_str_eq(r.type, "text/plain; version=0.0.4; charset=utf-8");
	ck_assert_str_eq(r.body, UP_LINES
	    "# HELP egressd_build_info egressd's version and the versions of "
	    "the libraries it runs with.\n"
	    "# TYPE egressd_build_info gauge\n"
	    "egressd_build_info{version=\"9.9.9\",ndpi=\"4.2.0\","
	    "libpcap=\"libpcap 1.10\"} 1\n"
	    "# HELP egressd_capture_packets_total Packets read from the capture source.\n"
	    "# TYPE egressd_capture_packets_total counter\n"
	    "egressd_capture_packets_total 42\n"
	    "# HELP egressd_verdicts_total Verdicts by policy category.\n"
	    "# TYPE egressd_verdicts_total counter\n"
	    "egressd_verdicts_total{category=\"mining\"} 1\n"
	    SERVER_LINES(0, 0));

	/* Every scrape collects afresh; a query string is ignored. */
	__atomic_store_n(&f.packets, 43, __ATOMIC_RELAXED);
	fetch(port, "GET", "/metrics?x=1", NULL, &r);
	ck_assert_int_eq(r.status, 200);
	ck_assert_ptr_nonnull(strstr(r.body, "\negressd_capture_packets_total 43\n"));

	fetch(port, "HEAD", "/metrics", NULL, &r);
	ck_assert_int_eq(r.status, 200);
	ck_assert_uint_eq(r.len, 0);

	fetch(port, "GET", "/healthz", NULL, &r);
	ck_assert_int_eq(r.status, 200);
	ck_assert_str_eq(r.body, "ok\n");
	ck_assert_ptr_nonnull(strstr(r.type, "text/plain"));
	__atomic_store_n(&f.healthy, 0, __ATOMIC_RELAXED);
	fetch(port, "GET", "/healthz", NULL, &r);
	ck_assert_int_eq(r.status, 503);
	ck_assert_str_eq(r.body, "spool full\n");

	fetch(port, "GET", "/nope", NULL, &r);
	ck_assert_int_eq(r.status, 404);
	fetch(port, "GET", "/metrics/", NULL, &r);
	ck_assert_int_eq(r.status, 404);

	fetch(port, "POST", "/metrics", "a=b", &r);
	ck_assert_int_eq(r.status, 405);
	ck_assert_str_eq(r.allow, "GET, HEAD");
	fetch(port, "DELETE", "/healthz", NULL, &r);
	ck_assert_int_eq(r.status, 405);
	ck_assert_str_eq(r.allow, "GET, HEAD");
	/* A GET with a body is answered, the body discarded. */
	fetch(port, "GET", "/healthz", "unexpected", &r);
	ck_assert_int_eq(r.status, 503);

	metrics_stop(m);
	curl_global_cleanup();
}
END_TEST

/* Without callbacks: only egressd_up, and always healthy. */
START_TEST(http_no_callbacks)
{
	struct metrics *m;
	struct reply r;
	char err[256];

	ck_assert_int_eq(curl_global_init(CURL_GLOBAL_DEFAULT), 0);
	m = metrics_start("127.0.0.1:0", NULL, NULL, NULL, NULL, err, sizeof(err));
	ck_assert_msg(m != NULL, "%s", err);
	fetch(metrics_port(m), "GET", "/metrics", NULL, &r);
	ck_assert_int_eq(r.status, 200);
	ck_assert_str_eq(r.body, UP_LINES SERVER_LINES(0, 0));
	fetch(metrics_port(m), "GET", "/healthz", NULL, &r);
	ck_assert_int_eq(r.status, 200);
	metrics_stop(m);
	curl_global_cleanup();
}
END_TEST

/* Descriptors open in this process. */
static int
open_fds(void)
{
	DIR *d;
	int n = 0;

	ck_assert_ptr_nonnull(d = opendir("/proc/self/fd"));
	while (readdir(d) != NULL)
		n++;
	closedir(d);
	return n;
}

START_TEST(http_addr_in_use)
{
	struct metrics *m, *m2;
	char err[256], spec[64], want[96];
	int fds;

	fds = open_fds();
	m = metrics_start("127.0.0.1:0", NULL, NULL, NULL, NULL, err, sizeof(err));
	ck_assert_msg(m != NULL, "%s", err);
	snprintf(spec, sizeof(spec), "127.0.0.1:%d", metrics_port(m));
	err[0] = '\0';
	m2 = metrics_start(spec, NULL, NULL, NULL, NULL, err, sizeof(err));
	ck_assert_ptr_null(m2);
	ck_assert_msg(strstr(err, "Address already in use") != NULL, "%s", err);
	snprintf(want, sizeof(want), "%s", spec);
	ck_assert_msg(strstr(err, want) != NULL, "%s", err);
	metrics_stop(m);

	/* Stopped: the port is free again. */
	m2 = metrics_start(spec, NULL, NULL, NULL, NULL, err, sizeof(err));
	ck_assert_msg(m2 != NULL, "%s", err);
	metrics_stop(m2);
	/* Nothing left open, the listening socket included. */
	ck_assert_int_eq(open_fds(), fds);

	ck_assert_ptr_null(metrics_start("localhost:0", NULL, NULL, NULL, NULL, err,
	    sizeof(err)));
	metrics_stop(NULL);
}
END_TEST

/* IPv6 loopback, where the host has it. */
START_TEST(http_ipv6)
{
	struct metrics *m;
	char err[256];

	m = metrics_start("[::1]:0", NULL, NULL, NULL, NULL, err, sizeof(err));
	if (m == NULL) {
		ck_assert_msg(strstr(err, "Address family") != NULL ||
		    strstr(err, "Cannot assign") != NULL, "%s", err);
		return;
	}
	ck_assert_int_gt(metrics_port(m), 0);
	metrics_stop(m);
}
END_TEST

static uint64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* A connection to 127.0.0.1:port; its receive buffer rcvbuf bytes
 * unless 0. */
static int
dial(int port, int rcvbuf)
{
	struct sockaddr_in sin;
	int fd;

	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ck_assert_int_ne(fd, -1);
	if (rcvbuf > 0)
		ck_assert_int_eq(setsockopt(fd, SOL_SOCKET, SO_RCVBUF,
		    &rcvbuf, sizeof(rcvbuf)), 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(connect(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	return fd;
}

static void
send_text(int fd, const char *text)
{
	ck_assert_int_eq(send(fd, text, strlen(text), MSG_NOSIGNAL),
	    (ssize_t)strlen(text));
}

/* Reads fd until the server closes it; returns the bytes read, in buf
 * with a NUL, or -1 when ms passed first. */
static ssize_t
read_to_end(int fd, char *buf, size_t len, int ms)
{
	struct pollfd p = { fd, POLLIN, 0 };
	uint64_t end = now_ms() + (uint64_t)ms;
	size_t got = 0;
	ssize_t n;

	for (;;) {
		uint64_t now = now_ms();

		if (now >= end || poll(&p, 1, (int)(end - now)) == 0)
			return -1;
		n = recv(fd, buf + got, len - 1 - got, 0);
		if (n == 0 || (n == -1 && errno == ECONNRESET))
			break;
		ck_assert_int_gt(n, 0);
		got += (size_t)n;
		if (got == len - 1)
			break;
	}
	buf[got] = '\0';
	return (ssize_t)got;
}

/* Whether the server has closed fd, without waiting. */
static int
closed_now(int fd)
{
	char c;
	ssize_t n;

	n = recv(fd, &c, 1, MSG_PEEK | MSG_DONTWAIT);
	return n == 0 || (n == -1 && errno != EAGAIN && errno != EWOULDBLOCK);
}

/* The value of series name in a /metrics body. */
static unsigned long long
series(const char *body, const char *name)
{
	char line[160];
	const char *p;

	snprintf(line, sizeof(line), "\n%s ", name);
	p = strstr(body, line);
	ck_assert_msg(p != NULL, "no %s", name);
	return strtoull(p + strlen(line), NULL, 10);
}

/* The library is given a request only once its header is whole; it
 * answers one per connection. */
START_TEST(http_whole_header)
{
	struct metrics *m;
	char err[256], big[9000], buf[4096];
	int port, fd;

	m = metrics_start("127.0.0.1:0", NULL, NULL, NULL, NULL, err, sizeof(err));
	ck_assert_msg(m != NULL, "%s", err);
	port = metrics_port(m);

	/* In two parts: waited for. */
	fd = dial(port, 0);
	send_text(fd, "GET /healthz HTTP/1.1\r\nHost: x\r\n");
	usleep(200 * 1000);
	ck_assert(!closed_now(fd));
	send_text(fd, "\r\n");
	ck_assert_int_gt(read_to_end(fd, buf, sizeof(buf), 2000), 0);
	ck_assert_msg(strncmp(buf, "HTTP/1.1 200", 12) == 0, "%s", buf);
	ck_assert_ptr_nonnull(strcasestr(buf, "\r\nConnection: close\r\n"));
	ck_assert_ptr_nonnull(strstr(buf, "\r\n\r\nok\n"));
	close(fd);

	/* Lines that end in a bare LF, and empty lines before the request,
	 * which do not end a header. */
	fd = dial(port, 0);
	send_text(fd, "\r\n\r\n");
	usleep(100 * 1000);
	send_text(fd, "GET /healthz HTTP/1.0\n\n");
	ck_assert_int_gt(read_to_end(fd, buf, sizeof(buf), 2000), 0);
	ck_assert_msg(strncmp(buf, "HTTP/1.0 200", 12) == 0 ||
	    strncmp(buf, "HTTP/1.1 200", 12) == 0, "%s", buf);
	close(fd);

	/* Two requests at once: the first is answered, then the end. */
	fd = dial(port, 0);
	send_text(fd, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
	    "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n");
	ck_assert_int_gt(read_to_end(fd, buf, sizeof(buf), 2000), 0);
	ck_assert_msg(strstr(buf, "HTTP/1.1 200") == buf &&
	    strstr(buf + 1, "HTTP/1.1") == NULL, "%s", buf);
	close(fd);

	/* A header longer than any of ours: closed unanswered. */
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	memcpy(big, "GET /healthz HTTP/1.1\r\nX: ", 26);
	fd = dial(port, 0);
	send_text(fd, big);
	ck_assert_int_eq(read_to_end(fd, buf, sizeof(buf), 2000), 0);
	close(fd);
	metrics_stop(m);
}
END_TEST

#define SLOW_CLIENTS	80	/* more than the server's 64 places */
#define SLOW_SILENT	16	/* of them, the last, send nothing */

/* Clients that trickle a header or send nothing: the oldest make room
 * for the newest, all are cut 2 s after their accept, and a whole
 * request is answered at once all along. */
START_TEST(http_slow_clients)
{
	struct fixture f = { 1, 1 };
	struct metrics *m;
	struct reply r;
	char err[256];
	int fds[SLOW_CLIENTS], port, i, closed, newest_open;
	uint64_t start, t;

	ck_assert_int_eq(curl_global_init(CURL_GLOBAL_DEFAULT), 0);
	m = metrics_start("127.0.0.1:0", NULL, collect, health, &f, err,
	    sizeof(err));
	ck_assert_msg(m != NULL, "%s", err);
	port = metrics_port(m);
	start = now_ms();
	for (i = 0; i < SLOW_CLIENTS; i++) {
		fds[i] = dial(port, 0);
		if (i < SLOW_CLIENTS - SLOW_SILENT)
			send_text(fds[i], "GET /healthz HTTP/1.1\r\nHost: x\r\n"
			    "X-Slow: a");
		usleep(1000);
	}
	usleep(300 * 1000);
	for (i = closed = 0; i < SLOW_CLIENTS; i++)
		closed += closed_now(fds[i]);
	ck_assert_int_eq(closed, SLOW_CLIENTS - 64);
	for (i = 0; i < SLOW_CLIENTS - 64; i++)
		ck_assert_msg(closed_now(fds[i]), "client %d open", i);

	for (i = 0; i < 5; i++) {
		t = now_ms();
		fetch(port, "GET", "/healthz", NULL, &r);
		ck_assert_int_eq(r.status, 200);
		ck_assert_str_eq(r.body, "ok\n");
		ck_assert_uint_lt(now_ms() - t, 1000);
	}
	/* The first whole request took the place of one more slow client;
	 * handed over, it left its place to the next. */
	for (i = SLOW_CLIENTS - 64, closed = 0; i < SLOW_CLIENTS; i++)
		closed += closed_now(fds[i]);
	ck_assert_int_eq(closed, 1);

	/* Trickling on is no use: the deadline counts from the accept. */
	while (usleep(100 * 1000), now_ms() - start < 1500)
		for (i = SLOW_CLIENTS - 64; i < SLOW_CLIENTS - SLOW_SILENT; i++)
			if (!closed_now(fds[i]))
				send_text(fds[i], "a");
	for (i = SLOW_CLIENTS - 64, newest_open = 0; i < SLOW_CLIENTS; i++)
		newest_open += !closed_now(fds[i]);
	ck_assert_int_eq(newest_open, 64 - 1);
	while (now_ms() - start < 3000) {
		for (i = closed = 0; i < SLOW_CLIENTS; i++)
			closed += closed_now(fds[i]);
		if (closed == SLOW_CLIENTS)
			break;
		usleep(50 * 1000);
	}
	ck_assert_int_eq(closed, SLOW_CLIENTS);

	fetch(port, "GET", "/metrics", NULL, &r);
	ck_assert_int_eq(r.status, 200);
	ck_assert_uint_eq(series(r.body, "egressd_metrics_conn_timeouts_total"),
	    64 - 1);
	ck_assert_uint_eq(series(r.body, "egressd_metrics_conn_dropped_total"),
	    SLOW_CLIENTS - 64 + 1);
	for (i = 0; i < SLOW_CLIENTS; i++)
		close(fds[i]);
	metrics_stop(m);
	curl_global_cleanup();
}
END_TEST

#define MANY_REQUESTS	40	/* more than the library's places */

/* Whole requests beyond the library's places wait for one in the gate;
 * none is refused. */
START_TEST(http_many_requests)
{
	struct fixture f = { 7, 1 };
	struct metrics *m;
	struct reply r;
	char err[256], buf[4096];
	int fds[MANY_REQUESTS], port, i;

	ck_assert_int_eq(curl_global_init(CURL_GLOBAL_DEFAULT), 0);
	m = metrics_start("127.0.0.1:0", NULL, collect, health, &f, err,
	    sizeof(err));
	ck_assert_msg(m != NULL, "%s", err);
	port = metrics_port(m);
	for (i = 0; i < MANY_REQUESTS; i++)
		fds[i] = dial(port, 0);
	for (i = 0; i < MANY_REQUESTS; i++)
		send_text(fds[i], i % 2 ? "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n" :
		    "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n");
	for (i = 0; i < MANY_REQUESTS; i++) {
		ck_assert_int_gt(read_to_end(fds[i], buf, sizeof(buf), 2000),
		    0);
		ck_assert_msg(strncmp(buf, "HTTP/1.1 200", 12) == 0,
		    "request %d: %s", i, buf);
		close(fds[i]);
	}
	fetch(port, "GET", "/metrics", NULL, &r);
	ck_assert_uint_eq(series(r.body, "egressd_metrics_conn_timeouts_total"),
	    0);
	ck_assert_uint_eq(series(r.body, "egressd_metrics_conn_dropped_total"),
	    0);
	metrics_stop(m);
	curl_global_cleanup();
}
END_TEST

Suite *
metrics_suite(void)
{
	Suite *s = suite_create("metrics");
	TCase *tc;

	tc = tcase_create("render");
	tcase_add_test(tc, render_exact);
	tcase_add_test(tc, render_empty);
	tcase_add_test(tc, render_kinds);
	tcase_add_test(tc, render_registry);
	tcase_add_test(tc, render_build_info);
	tcase_add_test(tc, render_duplicates);
	tcase_add_test(tc, render_odd_names);
	tcase_add_test(tc, render_truncated);
	tcase_add_test(tc, parse_addr_good);
	tcase_add_test(tc, parse_addr_bad);
	suite_add_tcase(s, tc);

	tc = tcase_create("http");
	tcase_add_test(tc, http_serve);
	tcase_add_test(tc, http_no_callbacks);
	tcase_add_test(tc, http_addr_in_use);
	tcase_add_test(tc, http_ipv6);
	tcase_add_test(tc, http_whole_header);
	tcase_add_test(tc, http_slow_clients);
	tcase_add_test(tc, http_many_requests);
	suite_add_tcase(s, tc);
	return s;
}
