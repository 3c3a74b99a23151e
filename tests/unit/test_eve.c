/*
 * test_eve.c: the EVE JSON lines writer. Events are written to a temporary
 * file and read back with jansson's own parser, so the test checks what a
 * consumer sees: one valid object per line, the expected fields and types,
 * and strings that round-trip byte for byte.
 */
#include <arpa/inet.h>
#include <check.h>
#include <ctype.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "eve.h"
#include "suites.h"
#include "util.h"

/* A reason with quotes, a backslash, a newline, a tab, a control byte and
 * UTF-8 (two-, three- and four-byte sequences). */
#define NASTY_REASON "VM \"10.0.0.5\" said \\o/ on\nline two\t\x01 caf\xc3\xa9 " \
	"\xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x94\x92 end"

#define MAX_LINES 8

static void
map4(const char *a, uint8_t out[16])
{
	memset(out, 0, 16);
	out[10] = out[11] = 0xff;
	ck_assert_int_eq(inet_pton(AF_INET, a, out + 12), 1);
}

static void
addr6(const char *a, uint8_t out[16])
{
	ck_assert_int_eq(inet_pton(AF_INET6, a, out), 1);
}

/* A fresh, empty temporary file's name. */
static void
temp_path(char *path, size_t len)
{
	const char *dir = getenv("TMPDIR");
	int fd;

	snprintf(path, len, "%s/egressd-eve-XXXXXX",
	    dir != NULL && *dir != '\0' ? dir : "/tmp");
	fd = mkstemp(path);
	ck_assert_int_ne(fd, -1);
	close(fd);
}

/* Reads path back and parses each line as JSON; returns the line count. */
static size_t
read_events(const char *path, json_t **ev, size_t max)
{
	FILE *fp = fopen(path, "r");
	char *line = NULL;
	size_t cap = 0, n = 0;
	ssize_t len;

	ck_assert_ptr_nonnull(fp);
	while ((len = getline(&line, &cap, fp)) != -1) {
		json_error_t jerr;

		ck_assert_uint_lt(n, max);
		ck_assert_msg(len > 0 && line[len - 1] == '\n',
		    "line %zu does not end in a newline", n + 1);
		ev[n] = json_loads(line, 0, &jerr);
		ck_assert_msg(ev[n] != NULL, "line %zu is not JSON: %s: %s",
		    n + 1, jerr.text, line);
		ck_assert(json_is_object(ev[n]));
		n++;
	}
	free(line);
	fclose(fp);
	return n;
}

static const char *
get_str(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	ck_assert_msg(json_is_string(v), "'%s' is not a string", key);
	return json_string_value(v);
}

static json_int_t
get_int(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	ck_assert_msg(json_is_integer(v), "'%s' is not an integer", key);
	return json_integer_value(v);
}

/* YYYY-MM-DDTHH:MM:SS.uuuuuuZ */
static void
assert_timestamp(const char *ts)
{
	static const char pattern[] = "dddd-dd-ddTdd:dd:dd.ddddddZ";
	size_t i;

	ck_assert_uint_eq(strlen(ts), sizeof(pattern) - 1);
	for (i = 0; pattern[i] != '\0'; i++) {
		if (pattern[i] == 'd')
			ck_assert_msg(isdigit((unsigned char)ts[i]),
			    "'%s' at %zu", ts, i);
		else
			ck_assert_int_eq(ts[i], pattern[i]);
	}
}

START_TEST(timestamps)
{
	char buf[40];

	eve_timestamp(1700000000123456ULL, buf, sizeof(buf));
	ck_assert_str_eq(buf, "2023-11-14T22:13:20.123456Z");
	eve_timestamp(0, buf, sizeof(buf));
	ck_assert_str_eq(buf, "1970-01-01T00:00:00.000000Z");
	eve_timestamp(951782400000001ULL, buf, sizeof(buf));	/* leap day */
	ck_assert_str_eq(buf, "2000-02-29T00:00:00.000001Z");
	eve_timestamp(1700000000999999ULL, buf, sizeof(buf));
	ck_assert_str_eq(buf, "2023-11-14T22:13:20.999999Z");
	assert_timestamp(buf);
	ck_assert_str_eq(eve_proto_name(6), "TCP");
	ck_assert_str_eq(eve_proto_name(17), "UDP");
	ck_assert_str_eq(eve_proto_name(1), "ICMP");
	ck_assert_str_eq(eve_proto_name(58), "ICMPv6");
	ck_assert_str_eq(eve_proto_name(47), "GRE");
	ck_assert_ptr_null(eve_proto_name(103));
}
END_TEST

START_TEST(events_round_trip)
{
	struct flow_event fe;
	struct verdict v, v2;
	struct stats_event st;
	char path[256], err[256] = "";
	json_t *ev[MAX_LINES], *o;
	struct eve *e;
	size_t n, i;

	memset(&fe, 0, sizeof(fe));
	fe.ts_us = 1700000005000000ULL;
	fe.flow_id = 123456789012345ULL;
	map4("10.0.0.5", fe.t.src);
	map4("93.184.216.34", fe.t.dst);
	fe.t.sport = 40000;
	fe.t.dport = 443;
	fe.t.proto = 6;
	fe.t.vlan = 42;
	str_copy(fe.app_proto, "TLS.Google", sizeof(fe.app_proto));
	str_copy(fe.ndpi_category, "Web", sizeof(fe.ndpi_category));
	fe.category = CAT_NONE;
	str_copy(fe.server_name, "www.example.com", sizeof(fe.server_name));
	fe.pkts_toserver = 10;
	fe.pkts_toclient = 12;
	fe.bytes_toserver = 1000;
	fe.bytes_toclient = 20000;
	fe.start_us = 1700000000123456ULL;
	fe.end_us = 1700000005000000ULL;
	fe.end_reason = "fin";
	fe.dpi_confidence = "dpi";

	memset(&v, 0, sizeof(v));
	v.ts_us = 1700000001000000ULL;
	str_copy(v.verdict_id, "v-0001", sizeof(v.verdict_id));
	str_copy(v.vm, "vm-7", sizeof(v.vm));
	v.category = CAT_PROXY;
	v.severity = "medium";
	v.confidence = CONF_HIGH;
	v.decided_by = "signature";
	v.nsigs = 1;
	str_copy(v.sigs[0].id, "TUN-0001", sizeof(v.sigs[0].id));
	str_copy(v.sigs[0].msg, "ngrok \"agent\"", sizeof(v.sigs[0].msg));
	str_copy(v.heuristic, "socks5", sizeof(v.heuristic));
	str_copy(v.heuristic_detail, "greeting 05 01 00", sizeof(v.heuristic_detail));
	v.asn = 64500;
	str_copy(v.as_org, "Ex\xc3\xa4mple", sizeof(v.as_org));
	str_copy(v.country, "NL", sizeof(v.country));
	str_copy(v.reason, NASTY_REASON, sizeof(v.reason));
	str_copy(v.app_proto, "GRE", sizeof(v.app_proto));
	v.dpi_confidence = "dpi";
	v.has_flow = 1;
	v.flow_id = 77;
	addr6("2001:db8::10", v.t.src);
	addr6("2001:db8:1::20", v.t.dst);
	v.t.proto = 103;	/* PIM: no name, so a number */
	v.action = "alert";

	/* A UDP verdict without a flow. */
	v2 = v;
	str_copy(v2.reason, "plain", sizeof(v2.reason));
	v2.app_proto[0] = '\0';
	v2.dpi_confidence = NULL;
	v2.nsigs = 0;
	v2.heuristic[0] = '\0';
	v2.asn = 0;
	v2.as_org[0] = '\0';
	v2.country[0] = '\0';
	v2.has_flow = 0;
	v2.t.proto = 17;

	memset(&st, 0, sizeof(st));
	st.ts_us = 1700000010000000ULL;
	stats_add(&st, "capture", "packets", 1000);
	stats_add(&st, "capture", "bytes", 64000);
	stats_add(&st, "flow", "active", 3);

	temp_path(path, sizeof(path));
	e = eve_open(path, EVE_NATIVE, err, sizeof(err));
	ck_assert_msg(e != NULL, "eve_open: %s", err);
	eve_flow(e, &fe);
	eve_verdict(e, &v);
	eve_verdict(e, &v2);
	eve_stats(e, &st);
	ck_assert_int_eq(eve_close(e, err, sizeof(err)), 0);
	n = read_events(path, ev, MAX_LINES);
	unlink(path);
	ck_assert_uint_eq(n, 4);

	o = ev[0];
	ck_assert_str_eq(get_str(o, "event_type"), "flow");
	ck_assert_str_eq(get_str(o, "timestamp"), "2023-11-14T22:13:25.000000Z");
	ck_assert_int_eq(get_int(o, "flow_id"), 123456789012345LL);
	ck_assert_str_eq(get_str(o, "src_ip"), "10.0.0.5");
	ck_assert_str_eq(get_str(o, "dest_ip"), "93.184.216.34");
	ck_assert_int_eq(get_int(o, "src_port"), 40000);
	ck_assert_int_eq(get_int(o, "dest_port"), 443);
	ck_assert_str_eq(get_str(o, "proto"), "TCP");
	ck_assert_int_eq(get_int(o, "vlan"), 42);
	ck_assert_str_eq(get_str(o, "app_proto"), "TLS.Google");
	ck_assert_str_eq(get_str(o, "category"), "none");
	ck_assert_str_eq(get_str(o, "server_name"), "www.example.com");
	ck_assert_int_eq(get_int(o, "pkts_toserver"), 10);
	ck_assert_int_eq(get_int(o, "pkts_toclient"), 12);
	ck_assert_int_eq(get_int(o, "bytes_toserver"), 1000);
	ck_assert_int_eq(get_int(o, "bytes_toclient"), 20000);
	ck_assert_str_eq(get_str(o, "start"), "2023-11-14T22:13:20.123456Z");
	assert_timestamp(get_str(o, "end"));
	ck_assert_str_eq(get_str(o, "end_reason"), "fin");
	ck_assert_str_eq(get_str(o, "ndpi_category"), "Web");
	ck_assert_str_eq(get_str(o, "detection"), "dpi");

	o = ev[1];
	ck_assert_str_eq(get_str(o, "event_type"), "verdict");
	assert_timestamp(get_str(o, "timestamp"));
	ck_assert_int_eq(get_int(o, "flow_id"), 77);
	ck_assert_str_eq(get_str(o, "reason"), NASTY_REASON);
	ck_assert_str_eq(get_str(o, "verdict_id"), "v-0001");
	ck_assert_str_eq(get_str(o, "vm"), "vm-7");
	ck_assert_str_eq(get_str(o, "category"), "proxy");
	ck_assert_str_eq(get_str(o, "severity"), "medium");
	ck_assert_str_eq(get_str(o, "confidence"), "high");
	{
		json_t *evd = json_object_get(o, "evidence"), *sg, *h;

		ck_assert_str_eq(get_str(evd, "decided_by"), "signature");
		sg = json_array_get(json_object_get(evd, "signatures"), 0);
		ck_assert_str_eq(get_str(sg, "id"), "TUN-0001");
		ck_assert_str_eq(get_str(sg, "msg"), "ngrok \"agent\"");
		h = json_object_get(evd, "heuristic");
		ck_assert_str_eq(get_str(h, "name"), "socks5");
		ck_assert_str_eq(get_str(h, "detail"), "greeting 05 01 00");
		ck_assert_int_eq(get_int(evd, "asn"), 64500);
		ck_assert_str_eq(get_str(evd, "as_org"), "Ex\xc3\xa4mple");
		ck_assert_str_eq(get_str(evd, "country"), "NL");
	}
	ck_assert_str_eq(get_str(o, "src_ip"), "2001:db8::10");
	ck_assert_str_eq(get_str(o, "dest_ip"), "2001:db8:1::20");
	ck_assert_int_eq(get_int(o, "proto"), 103);
	ck_assert_ptr_null(json_object_get(o, "vlan"));
	ck_assert_str_eq(get_str(o, "action"), "alert");
	ck_assert(json_is_object(json_object_get(o, "evidence")));
	ck_assert_str_eq(get_str(json_object_get(o, "evidence"), "app_proto"),
	    "GRE");
	ck_assert_str_eq(get_str(json_object_get(o, "evidence"), "detection"),
	    "dpi");

	o = ev[2];
	ck_assert_str_eq(get_str(o, "event_type"), "verdict");
	ck_assert_int_eq(get_int(o, "flow_id"), 0);
	ck_assert_str_eq(get_str(o, "reason"), "plain");
	ck_assert_ptr_null(json_object_get(o, "src_ip"));
	ck_assert_ptr_null(json_object_get(o, "proto"));
	/* Only what decided it: nothing else is known. */
	ck_assert_uint_eq(json_object_size(json_object_get(o, "evidence")), 1);

	o = ev[3];
	ck_assert_str_eq(get_str(o, "event_type"), "stats");
	ck_assert_str_eq(get_str(o, "timestamp"), "2023-11-14T22:13:30.000000Z");
	ck_assert_int_eq(get_int(json_object_get(json_object_get(o, "stats"),
	    "capture"), "packets"), 1000);
	ck_assert_int_eq(get_int(json_object_get(json_object_get(o, "stats"),
	    "capture"), "bytes"), 64000);
	ck_assert_int_eq(get_int(json_object_get(json_object_get(o, "stats"),
	    "flow"), "active"), 3);

	for (i = 0; i < n; i++)
		json_decref(ev[i]);
}
END_TEST

/* A UDP flow, and the file is appended to, not replaced. */
/* The --eve file: Suricata's records of the same events. */
START_TEST(suricata_records)
{
	struct flow_event fe;
	struct verdict v, b;
	struct stats_event st;
	char path[256], err[256] = "";
	json_t *ev[MAX_LINES], *o, *f, *al, *md;
	struct eve *e;
	size_t n, i;

	memset(&fe, 0, sizeof(fe));
	fe.ts_us = 1700000005000000ULL;
	fe.flow_id = 99;
	map4("10.0.0.5", fe.t.src);
	map4("93.184.216.34", fe.t.dst);
	fe.t.sport = 40000;
	fe.t.dport = 443;
	fe.t.proto = 6;
	fe.t.vlan = 42;
	str_copy(fe.community_id, "1:abc", sizeof(fe.community_id));
	str_copy(fe.app_proto, "TLS.Google", sizeof(fe.app_proto));
	str_copy(fe.ndpi_category, "Web", sizeof(fe.ndpi_category));
	str_copy(fe.server_name, "www.example.com", sizeof(fe.server_name));
	fe.pkts_toserver = 10;
	fe.pkts_toclient = 12;
	fe.bytes_toserver = 1000;
	fe.bytes_toclient = 20000;
	fe.start_us = 1700000000123456ULL;
	fe.end_us = 1700000005000000ULL;
	fe.end_reason = "fin";
	fe.dpi_confidence = "dpi";

	memset(&v, 0, sizeof(v));
	v.ts_us = 1700000001000000ULL;
	str_copy(v.verdict_id, "v-0001", sizeof(v.verdict_id));
	str_copy(v.vm, "vm-7", sizeof(v.vm));
	map4("10.0.0.5", v.vm_addr);
	str_copy(v.tenant, "acme", sizeof(v.tenant));
	v.category = CAT_MINING;
	v.severity = "high";
	v.confidence = CONF_HIGH;
	v.decided_by = "signature";
	v.nsigs = 1;
	str_copy(v.sigs[0].id, "MINE-0111", sizeof(v.sigs[0].id));
	str_copy(v.sigs[0].msg, "a pool", sizeof(v.sigs[0].msg));
	str_copy(v.reason, "VM vm-7 is mining", sizeof(v.reason));
	str_copy(v.app_proto, "TLS", sizeof(v.app_proto));
	v.has_flow = 1;
	v.flow_id = 99;
	v.t = fe.t;
	v.action = "block";

	/* A behaviour verdict: a VM and a target, no flow. */
	memset(&b, 0, sizeof(b));
	b.ts_us = 1700000002000000ULL;
	str_copy(b.verdict_id, "v-0002", sizeof(b.verdict_id));
	str_copy(b.vm, "vm-7", sizeof(b.vm));
	map4("10.0.0.5", b.vm_addr);
	b.category = CAT_SCAN;
	b.severity = "medium";
	b.confidence = CONF_MEDIUM;
	b.decided_by = "behaviour";
	b.detector = "port_scan";
	b.has_target = 1;
	map4("198.51.100.7", b.target);
	b.target_proto = 6;
	str_copy(b.reason, "VM vm-7 is scanning", sizeof(b.reason));
	b.action = "alert";

	memset(&st, 0, sizeof(st));
	st.ts_us = 1700000010000000ULL;
	stats_add(&st, "capture", "packets", 1000);
	stats_add(&st, "capture", "bytes", 64000);
	stats_add(&st, "flow", "created", 7);
	stats_add(&st, "verdicts", "mining", 2);
	stats_add(&st, "verdicts", "scan", 1);
	stats_add(&st, "verdicts", "suppressed", 4);

	temp_path(path, sizeof(path));
	e = eve_open(path, EVE_SURICATA, err, sizeof(err));
	ck_assert_msg(e != NULL, "eve_open: %s", err);
	eve_flow(e, &fe);
	eve_verdict(e, &v);
	eve_verdict(e, &b);
	eve_stats(e, &st);
	ck_assert_int_eq(eve_close(e, err, sizeof(err)), 0);
	n = read_events(path, ev, MAX_LINES);
	unlink(path);
	ck_assert_uint_eq(n, 4);

	o = ev[0];
	ck_assert_str_eq(get_str(o, "event_type"), "flow");
	ck_assert_str_eq(get_str(o, "timestamp"),
	    "2023-11-14T22:13:25.000000+0000");
	ck_assert_str_eq(get_str(o, "app_proto"), "tls");
	ck_assert_str_eq(get_str(o, "community_id"), "1:abc");
	ck_assert(json_is_array(json_object_get(o, "vlan")));
	ck_assert_int_eq(json_integer_value(json_array_get(
	    json_object_get(o, "vlan"), 0)), 42);
	ck_assert_ptr_null(json_object_get(o, "pkts_toserver"));
	f = json_object_get(o, "flow");
	ck_assert_int_eq(get_int(f, "pkts_toserver"), 10);
	ck_assert_int_eq(get_int(f, "bytes_toclient"), 20000);
	ck_assert_int_eq(get_int(f, "age"), 4);
	ck_assert_str_eq(get_str(f, "state"), "closed");
	ck_assert_str_eq(get_str(f, "start"), "2023-11-14T22:13:20.123456+0000");
	ck_assert_str_eq(get_str(json_object_get(o, "ndpi"), "proto"),
	    "TLS.Google");
	ck_assert_str_eq(get_str(json_object_get(o, "ndpi"), "hostname"),
	    "www.example.com");

	o = ev[1];
	ck_assert_str_eq(get_str(o, "event_type"), "alert");
	ck_assert_int_eq(get_int(o, "flow_id"), 99);
	al = json_object_get(o, "alert");
	ck_assert_int_eq(get_int(al, "signature_id"), 8210111);
	ck_assert_str_eq(get_str(al, "signature"), "VM vm-7 is mining");
	ck_assert_int_eq(get_int(al, "severity"), 1);
	ck_assert_str_eq(get_str(al, "action"), "blocked");
	ck_assert_str_eq(get_str(al, "category"),
	    "Crypto Currency Mining Activity Detected");
	ck_assert_str_eq(get_str(json_object_get(al, "source"), "ip"),
	    "10.0.0.5");
	ck_assert_int_eq(get_int(json_object_get(al, "target"), "port"), 443);
	md = json_object_get(al, "metadata");
	ck_assert_str_eq(json_string_value(json_array_get(
	    json_object_get(md, "vm"), 0)), "vm-7");
	ck_assert_str_eq(json_string_value(json_array_get(
	    json_object_get(md, "tenant"), 0)), "acme");
	ck_assert_str_eq(get_str(json_object_get(md, "evidence"),
	    "decided_by"), "signature");

	o = ev[2];
	al = json_object_get(o, "alert");
	ck_assert_ptr_null(json_object_get(o, "flow_id"));
	ck_assert_str_eq(get_str(o, "src_ip"), "10.0.0.5");
	ck_assert_str_eq(get_str(o, "dest_ip"), "198.51.100.7");
	ck_assert_int_eq(get_int(al, "severity"), 2);
	ck_assert_str_eq(get_str(al, "action"), "allowed");
	/* By the detector's name, so the same for every scan verdict. */
	ck_assert_int_eq(get_int(al, "signature_id"), eve_signature_id(&b));
	ck_assert_int_ge(get_int(al, "signature_id"), 8400000);
	ck_assert_int_lt(get_int(al, "signature_id"), 8500000);

	o = json_object_get(ev[3], "stats");
	ck_assert_int_eq(get_int(json_object_get(o, "decoder"), "pkts"), 1000);
	ck_assert_int_eq(get_int(json_object_get(o, "flow"), "total"), 7);
	ck_assert_int_eq(get_int(json_object_get(o, "detect"), "alert"), 3);
	ck_assert_int_eq(get_int(json_object_get(o, "detect"),
	    "alerts_suppressed"), 4);
	/* A replay has no kernel counters. */
	ck_assert_ptr_null(json_object_get(o, "capture"));
	for (i = 0; i < n; i++)
		json_decref(ev[i]);
}
END_TEST

/* signature_id: rule blocks by prefix, everything else by name. */
START_TEST(signature_ids)
{
	struct verdict v;

	memset(&v, 0, sizeof(v));
	v.decided_by = "signature";
	v.nsigs = 1;
	str_copy(v.sigs[0].id, "VPN-0042", sizeof(v.sigs[0].id));
	ck_assert_uint_eq(eve_signature_id(&v), 8260042);
	str_copy(v.sigs[0].id, "P2P-0001", sizeof(v.sigs[0].id));
	ck_assert_uint_eq(eve_signature_id(&v), 8220001);
	/* A rule of the user's own: FNV-1a("local-1") % 500000. */
	str_copy(v.sigs[0].id, "local-1", sizeof(v.sigs[0].id));
	ck_assert_uint_ge(eve_signature_id(&v), 8500000);
	ck_assert_uint_lt(eve_signature_id(&v), 9000000);
	v.nsigs = 0;
	v.decided_by = "ndpi";
	v.category = CAT_P2P;
	ck_assert_uint_eq(eve_signature_id(&v), 8100001);
	v.decided_by = "heuristic";
	str_copy(v.heuristic, "socks5", sizeof(v.heuristic));
	/* FNV-1a-32("socks5") is 0xd4f94b25 (computed apart, in Python). */
	ck_assert_uint_eq(eve_signature_id(&v), 8300000 + 0xd4f94b25u % 100000);
}
END_TEST

START_TEST(udp_and_append)
{
	struct flow_event fe;
	char path[256], err[256] = "";
	json_t *ev[MAX_LINES];
	struct eve *e;
	size_t n, i;

	memset(&fe, 0, sizeof(fe));
	fe.ts_us = 1;
	fe.flow_id = 9;
	map4("192.0.2.1", fe.t.src);
	addr6("::ffff:198.51.100.7", fe.t.dst);
	fe.t.proto = 17;
	fe.end_reason = "timeout";
	fe.dpi_confidence = "unknown";
	temp_path(path, sizeof(path));
	for (i = 0; i < 2; i++) {
		e = eve_open(path, EVE_NATIVE, err, sizeof(err));
		ck_assert_msg(e != NULL, "eve_open: %s", err);
		eve_flow(e, &fe);
		ck_assert_int_eq(eve_close(e, err, sizeof(err)), 0);
	}
	n = read_events(path, ev, MAX_LINES);
	unlink(path);
	ck_assert_uint_eq(n, 2);
	ck_assert_str_eq(get_str(ev[0], "proto"), "UDP");
	ck_assert_str_eq(get_str(ev[0], "dest_ip"), "198.51.100.7");
	ck_assert_str_eq(get_str(ev[0], "src_ip"), "192.0.2.1");
	ck_assert_ptr_null(json_object_get(ev[0], "server_name"));
	ck_assert_ptr_null(json_object_get(ev[0], "vlan"));
	ck_assert_str_eq(get_str(ev[1], "timestamp"), "1970-01-01T00:00:00.000001Z");
	for (i = 0; i < n; i++)
		json_decref(ev[i]);
}
END_TEST

/* Server names come off the wire: bytes that are not UTF-8, and a name
 * cut in the middle of a character, must not make a field vanish. */
START_TEST(invalid_utf8_kept)
{
	struct verdict v;
	char path[256], err[256] = "";
	json_t *ev[MAX_LINES], *evid;
	struct eve *e;
	size_t n;

	memset(&v, 0, sizeof(v));
	v.ts_us = 1;
	v.category = CAT_PROXY;
	v.severity = "medium";
	v.decided_by = "ndpi";
	v.action = "alert";
	snprintf(v.vm, sizeof(v.vm), "192.0.2.10");
	snprintf(v.verdict_id, sizeof(v.verdict_id), "x");
	snprintf(v.reason, sizeof(v.reason), "bad \xff byte, cut caf\xc3");
	snprintf(v.server_name, sizeof(v.server_name), "a\xed\xa0\x80" "b.\xc3\xa9");
	temp_path(path, sizeof(path));
	e = eve_open(path, EVE_NATIVE, err, sizeof(err));
	ck_assert_msg(e != NULL, "eve_open: %s", err);
	eve_verdict(e, &v);
	ck_assert_int_eq(eve_close(e, err, sizeof(err)), 0);
	n = read_events(path, ev, MAX_LINES);
	unlink(path);
	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq(get_str(ev[0], "reason"), "bad ? byte, cut caf?");
	evid = json_object_get(ev[0], "evidence");
	ck_assert_ptr_nonnull(evid);
	/* A UTF-16 surrogate encoded in UTF-8 is not valid: three '?'. */
	ck_assert_str_eq(get_str(evid, "server_name"), "a???" "b.\xc3\xa9");
	json_decref(ev[0]);
}
END_TEST

START_TEST(open_missing_directory)
{
	char dir[256], path[512], err[512] = "";

	temp_path(dir, sizeof(dir));
	snprintf(path, sizeof(path), "%s.missing/eve.json", dir);
	unlink(dir);
	ck_assert_ptr_null(eve_open(path, EVE_NATIVE, err, sizeof(err)));
	ck_assert_ptr_nonnull(strstr(err, path));
	ck_assert_ptr_nonnull(strstr(err, "No such file or directory"));
	ck_assert_int_eq(eve_close(NULL, err, sizeof(err)), 0);
}
END_TEST

START_TEST(write_error_at_close)
{
	struct stats_event st;
	char err[256] = "";
	struct eve *e;

	ck_assert_int_eq(access("/dev/full", W_OK), 0);
	e = eve_open("/dev/full", EVE_NATIVE, err, sizeof(err));
	ck_assert_msg(e != NULL, "eve_open: %s", err);
	memset(&st, 0, sizeof(st));
	stats_add(&st, "capture", "packets", 1);
	eve_stats(e, &st);
	ck_assert_int_eq(eve_close(e, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "No space left on device"));
}
END_TEST

Suite *
eve_suite(void)
{
	Suite *s = suite_create("eve");
	TCase *tc;

	tc = tcase_create("eve");
	tcase_add_test(tc, timestamps);
	tcase_add_test(tc, events_round_trip);
	tcase_add_test(tc, suricata_records);
	tcase_add_test(tc, signature_ids);
	tcase_add_test(tc, udp_and_append);
	tcase_add_test(tc, invalid_utf8_kept);
	tcase_add_test(tc, open_missing_directory);
	tcase_add_test(tc, write_error_at_close);
	suite_add_tcase(s, tc);
	return s;
}
