/*
 * eve_suricata.c: egressd's events as Suricata writes them in eve.json, so
 * that the pipelines built for Suricata (EveBox, Elastic's and Splunk's
 * Suricata integrations, jq one-liners) take them unchanged: a verdict is
 * an "alert", a flow's counters sit under "flow", the timestamp ends in
 * "+0000", app_proto is Suricata's lower-case name and nDPI's own label is
 * kept under "ndpi". Suricata's schema allows no other top-level key, so
 * egressd's own verdict fields go under alert.metadata, as Suricata puts a
 * rule's metadata there: each a list of strings, the evidence an object.
 *
 * alert.signature_id is stable per detector or rule, never per run:
 *   8100000 + category      a verdict nDPI's protocol decided
 *   8200000 + 10000 * block + number
 *                           a shipped rule PREFIX-NUMBER (block by prefix)
 *   8300000 + h % 100000    a heuristic, h the FNV-1a hash of its name
 *   8400000 + h % 100000    a behaviour detector, by its name
 *   8500000 + h % 500000    any other rule, by its id
 * A hash of the name keeps an id stable without a registry that every new
 * heuristic must remember to extend; the README lists the blocks.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cidr.h"
#include "eve_int.h"
#include "util.h"
#include "vocab.h"

#define SID_NDPI	8100000u
#define SID_RULE	8200000u
#define SID_HEURISTIC	8300000u
#define SID_BEHAVIOUR	8400000u
#define SID_OTHER_RULE	8500000u

void
eve_timestamp_suricata(uint64_t ts_us, char *buf, size_t len)
{
	time_t secs = (time_t)(ts_us / 1000000);
	struct tm tm;

	gmtime_r(&secs, &tm);
	snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d.%06u+0000",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
	    tm.tm_sec, (unsigned)(ts_us % 1000000));
}

static void
set_time(json_t *o, const char *key, uint64_t ts_us)
{
	char ts[40];

	eve_timestamp_suricata(ts_us, ts, sizeof(ts));
	eve_set_str(o, key, ts);
}

static uint32_t
fnv1a(const char *s)
{
	uint32_t h = 2166136261u;

	for (; *s != '\0'; s++) {
		h ^= (uint8_t)*s;
		h *= 16777619u;
	}
	return h;
}

/* The shipped rule files' id prefixes, in the order their blocks were
 * given out; a new prefix takes the next block, never an old one. */
static const char *const rule_blocks[] = {
	"MINE", "P2P", "RDP", "TOR", "TUN", "VPN",
};

static uint32_t
rule_sid(const char *id)
{
	const char *dash = strrchr(id, '-');
	size_t i, plen;
	char *end;
	unsigned long n;

	if (dash != NULL && isdigit((unsigned char)dash[1])) {
		plen = (size_t)(dash - id);
		n = strtoul(dash + 1, &end, 10);
		for (i = 0; *end == '\0' && n < 10000 && i < NELEM(rule_blocks);
		    i++)
			if (strlen(rule_blocks[i]) == plen &&
			    memcmp(rule_blocks[i], id, plen) == 0)
				return SID_RULE + 10000u * (uint32_t)(i + 1) +
				    (uint32_t)n;
	}
	return SID_OTHER_RULE + fnv1a(id) % 500000u;
}

uint32_t
eve_signature_id(const struct verdict *v)
{
	if (v->detector != NULL)
		return SID_BEHAVIOUR + fnv1a(v->detector) % 100000u;
	if (strcmp(v->decided_by, "signature") == 0 && v->nsigs > 0)
		return rule_sid(v->sigs[0].id);
	if (strcmp(v->decided_by, "heuristic") == 0 && v->heuristic[0] != '\0')
		return SID_HEURISTIC + fnv1a(v->heuristic) % 100000u;
	return SID_NDPI + (uint32_t)v->category;
}

/* Suricata's name for nDPI's master protocol, where Suricata has a parser
 * for it; otherwise nDPI's name in lower case, '_' made '-'. */
static const struct {
	const char *ndpi, *suricata;
} app_names[] = {
	{ "HTTP", "http" }, { "HTTP_Proxy", "http" }, { "HTTP_Connect", "http" },
	{ "TLS", "tls" }, { "IMAPS", "tls" }, { "POPS", "tls" },
	{ "SMTPS", "tls" }, { "FTPS", "tls" }, { "DoH_DoT", "tls" },
	{ "QUIC", "quic" }, { "SSH", "ssh" }, { "DNS", "dns" },
	{ "MDNS", "mdns" }, { "FTP_CONTROL", "ftp" }, { "FTP_DATA", "ftp-data" },
	{ "SMTP", "smtp" }, { "IMAP", "imap" }, { "POP3", "pop3" },
	{ "SMBv1", "smb" }, { "SMBv23", "smb" }, { "DCE_RPC", "dcerpc" },
	{ "NTP", "ntp" }, { "TFTP", "tftp" }, { "Kerberos", "krb5" },
	{ "IPsec", "ike" }, { "DHCP", "dhcp" }, { "DHCPV6", "dhcp" },
	{ "SNMP", "snmp" }, { "SIP", "sip" }, { "VNC", "rfb" },
	{ "MQTT", "mqtt" }, { "PostgreSQL", "pgsql" }, { "Telnet", "telnet" },
	{ "LDAP", "ldap" }, { "RDP", "rdp" }, { "Modbus", "modbus" },
	{ "DNP3", "dnp3" }, { "EthernetIP", "enip" }, { "NFS", "nfs" },
	{ "WebSocket", "websocket" }, { "Websocket", "websocket" },
};

/* Network- and transport-layer names nDPI reports for flows that carry
 * no application protocol: Suricata logs no app_proto for those. */
static const char *const not_app[] = {
	"ICMP", "ICMPV6", "IGMP", "EGP", "VRRP", "OSPF", "GRE", "SCTP", "IP_in_IP",
	"IPsec_ESP", "AH", "ESP",
};

/* Writes app_proto for nDPI's "Master.App" label; nothing for a flow
 * without one. nDPI's Unknown is Suricata's "failed": looked at, not
 * recognised. */
static void
set_app_proto(json_t *o, const char *label)
{
	char master[64], out[64];
	size_t i, n = strcspn(label, ".");

	if (label[0] == '\0')
		return;
	if (n >= sizeof(master))
		n = sizeof(master) - 1;
	memcpy(master, label, n);
	master[n] = '\0';
	if (strcmp(master, "Unknown") == 0) {
		eve_set_str(o, "app_proto", "failed");
		return;
	}
	for (i = 0; i < NELEM(not_app); i++)
		if (strcmp(master, not_app[i]) == 0)
			return;
	for (i = 0; i < NELEM(app_names); i++)
		if (strcmp(master, app_names[i].ndpi) == 0) {
			eve_set_str(o, "app_proto", app_names[i].suricata);
			return;
		}
	for (i = 0; master[i] != '\0'; i++)
		out[i] = master[i] == '_' ? '-' :
		    (char)tolower((unsigned char)master[i]);
	out[i] = '\0';
	eve_set_str(o, "app_proto", out);
}

/* Whether the protocol has ports (TCP, UDP, SCTP): Suricata writes none
 * for the others. */
static int
has_ports(uint8_t proto)
{
	return proto == 6 || proto == 17 || proto == 132;
}

static json_t *
header(uint64_t ts_us, const char *type)
{
	json_t *o = json_object();

	set_time(o, "timestamp", ts_us);
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
	if (has_ports(t->proto))
		eve_set_int(o, "src_port", t->sport);
	addr_format(t->dst, a, sizeof(a));
	eve_set_str(o, "dest_ip", a);
	if (has_ports(t->proto))
		eve_set_int(o, "dest_port", t->dport);
	if (pn != NULL) {
		eve_set_str(o, "proto", pn);
	} else {
		char num[8];

		/* Suricata writes a protocol it has no name for as its
		 * number, in a string. */
		snprintf(num, sizeof(num), "%u", t->proto);
		eve_set_str(o, "proto", num);
	}
	if (t->proto == 1 || t->proto == 58) {
		eve_set_int(o, "icmp_type", t->icmp_type);
		eve_set_int(o, "icmp_code", t->icmp_code);
	}
	if (t->vlan != 0) {
		json_t *arr = json_array();

		json_array_append_new(arr, json_integer(t->vlan));
		json_object_set_new(o, "vlan", arr);
	}
}

/* nDPI's view of the flow, as Suricata's nDPI plugin nests it. */
static json_t *
ndpi_object(const char *label, const char *category, const char *hostname,
    const char *confidence)
{
	json_t *n = json_object();

	if (label[0] != '\0')
		eve_set_str(n, "proto", label);
	if (category[0] != '\0')
		eve_set_str(n, "category", category);
	if (hostname[0] != '\0')
		eve_set_str(n, "hostname", hostname);
	if (confidence != NULL)
		eve_set_str(n, "confidence", confidence);
	return n;
}

json_t *
eve_suricata_flow(const struct flow_event *fe)
{
	json_t *o = header(fe->ts_us, "flow");
	json_t *f = json_object();
	const char *reason = "timeout", *state = "established";

	eve_set_int(o, "flow_id", fe->flow_id);
	set_tuple(o, &fe->t);
	if (fe->community_id[0] != '\0')
		eve_set_str(o, "community_id", fe->community_id);
	set_app_proto(o, fe->app_proto);
	eve_set_int(f, "pkts_toserver", fe->pkts_toserver);
	eve_set_int(f, "pkts_toclient", fe->pkts_toclient);
	eve_set_int(f, "bytes_toserver", fe->bytes_toserver);
	eve_set_int(f, "bytes_toclient", fe->bytes_toclient);
	set_time(f, "start", fe->start_us);
	set_time(f, "end", fe->end_us);
	eve_set_int(f, "age", fe->end_us > fe->start_us ?
	    (fe->end_us - fe->start_us) / 1000000 : 0);
	/* Suricata's reasons: a flow ends by its timeout (a closed TCP
	 * session too, whose timeout is short), is forced out of a full
	 * table, or is flushed at shutdown. */
	if (strcmp(fe->end_reason, "fin") == 0 ||
	    strcmp(fe->end_reason, "rst") == 0)
		state = "closed";
	else if (strcmp(fe->end_reason, "evicted") == 0)
		reason = "forced";
	else if (strcmp(fe->end_reason, "timeout") != 0)
		reason = "shutdown";
	if (strcmp(state, "closed") != 0 && fe->pkts_toclient == 0)
		state = "new";
	eve_set_str(f, "state", state);
	eve_set_str(f, "reason", reason);
	json_object_set_new(o, "flow", f);
	json_object_set_new(o, "ndpi", ndpi_object(fe->app_proto,
	    fe->ndpi_category, fe->server_name, fe->dpi_confidence));
	return o;
}

/* alert.category: the description of Suricata's classtype that names
 * the same kind of activity (classification.config). */
static const char *
alert_category(enum policy_category c)
{
	switch (c) {
	case CAT_MINING: return "Crypto Currency Mining Activity Detected";
	case CAT_DOS: return "Detection of a Denial of Service Attack";
	case CAT_SCAN: return "Detection of a Network Scan";
	case CAT_BRUTEFORCE: return "Attempted User Privilege Gain";
	case CAT_P2P:
	case CAT_REMOTE_ACCESS:
	case CAT_PROXY: return "Potential Corporate Privacy Violation";
	default: return "Not Suspicious Traffic";
	}
}

/* Suricata's severity: 1 is the most urgent. */
static int
alert_severity(const char *severity)
{
	if (strcmp(severity, "high") == 0)
		return 1;
	if (strcmp(severity, "medium") == 0)
		return 2;
	return 3;
}

/* metadata values are lists of strings, as Suricata writes a rule's. */
static void
meta_str(json_t *m, const char *key, const char *val)
{
	json_t *arr = json_array();

	json_array_append_new(arr, eve_json_string(val));
	json_object_set_new(m, key, arr);
}

static json_t *
alert_metadata(const struct verdict *v)
{
	json_t *m = json_object();
	char vmip[64];

	meta_str(m, "verdict_id", v->verdict_id);
	meta_str(m, "vm", v->vm);
	addr_format(v->vm_addr, vmip, sizeof(vmip));
	meta_str(m, "vm_ip", vmip);
	if (v->tenant[0] != '\0')
		meta_str(m, "tenant", v->tenant);
	if (v->labels[0] != '\0') {
		json_t *arr = eve_labels(v->labels);

		if (json_array_size(arr) > 0)
			json_object_set_new(m, "labels", arr);
		else
			json_decref(arr);
	}
	meta_str(m, "egressd_category", policy_category_name(v->category));
	meta_str(m, "confidence", confidence_name(v->confidence));
	meta_str(m, "severity", v->severity);
	meta_str(m, "decided_by", v->decided_by);
	meta_str(m, "action", v->action);
	json_object_set_new(m, "evidence", eve_evidence_object(v));
	return m;
}

static json_t *
endpoint(const uint8_t addr[16], uint16_t port, int with_port)
{
	json_t *o = json_object();
	char a[64];

	addr_format(addr, a, sizeof(a));
	eve_set_str(o, "ip", a);
	if (with_port)
		eve_set_int(o, "port", port);
	return o;
}

json_t *
eve_suricata_alert(const struct verdict *v)
{
	json_t *o = header(v->ts_us, "alert");
	json_t *al = json_object();
	int ports;

	if (v->has_flow) {
		eve_set_int(o, "flow_id", v->flow_id);
		set_tuple(o, &v->t);
		if (v->community_id[0] != '\0')
			eve_set_str(o, "community_id", v->community_id);
	} else {
		char a[64];
		const char *pn = eve_proto_name(v->target_proto);

		/* A behaviour verdict is about a VM and a target. */
		addr_format(v->vm_addr, a, sizeof(a));
		eve_set_str(o, "src_ip", a);
		if (v->has_target) {
			addr_format(v->target, a, sizeof(a));
			eve_set_str(o, "dest_ip", a);
			if (v->target_port != 0)
				eve_set_int(o, "dest_port", v->target_port);
		}
		if (pn != NULL)
			eve_set_str(o, "proto", pn);
	}
	/* Suricata's blocked and allowed: whether the verdict asks for a
	 * block (nftables) or only reports. */
	eve_set_str(al, "action",
	    strcmp(v->action, "block") == 0 ? "blocked" : "allowed");
	eve_set_int(al, "gid", 1);
	eve_set_int(al, "signature_id", eve_signature_id(v));
	eve_set_int(al, "rev", 1);
	eve_set_str(al, "signature", v->reason);
	eve_set_str(al, "category", alert_category(v->category));
	json_object_set_new(al, "severity",
	    json_integer(alert_severity(v->severity)));
	/* source is the VM, target the peer it reached or attacked. */
	if (v->has_flow) {
		int vm_is_src = memcmp(v->t.src, v->vm_addr, 16) == 0;

		ports = has_ports(v->t.proto);
		json_object_set_new(al, "source", vm_is_src ?
		    endpoint(v->t.src, v->t.sport, ports) :
		    endpoint(v->t.dst, v->t.dport, ports));
		json_object_set_new(al, "target", vm_is_src ?
		    endpoint(v->t.dst, v->t.dport, ports) :
		    endpoint(v->t.src, v->t.sport, ports));
	} else if (v->has_target) {
		json_object_set_new(al, "source", endpoint(v->vm_addr, 0, 0));
		json_object_set_new(al, "target", endpoint(v->target,
		    v->target_port, v->target_port != 0));
	}
	json_object_set_new(al, "metadata", alert_metadata(v));
	json_object_set_new(o, "alert", al);
	if (v->has_flow) {
		set_app_proto(o, v->app_proto);
		json_object_set_new(o, "ndpi", ndpi_object(v->app_proto,
		    v->ndpi_category, v->server_name, v->dpi_confidence));
	}
	return o;
}

/* One of egressd's figures, by section and name, or 0. */
static uint64_t
figure(const struct stats_event *s, const char *section, const char *name)
{
	unsigned i;

	for (i = 0; i < s->n; i++)
		if (strcmp(s->c[i].section, section) == 0 &&
		    strcmp(s->c[i].name, name) == 0)
			return s->c[i].value;
	return 0;
}

static int
has_figure(const struct stats_event *s, const char *section,
    const char *name)
{
	unsigned i;

	for (i = 0; i < s->n; i++)
		if (strcmp(s->c[i].section, section) == 0 &&
		    (name == NULL || strcmp(s->c[i].name, name) == 0))
			return 1;
	return 0;
}

/* The figures Suricata has a name for; the rest of egressd's are in its
 * own stats event and on /metrics, as Suricata's schema has no room for
 * them here. */
json_t *
eve_suricata_stats(const struct stats_event *s)
{
	static const char *const cats[] = {
		"p2p", "mining", "remote_access", "proxy", "dos", "scan",
		"bruteforce",
	};
	json_t *o = header(s->ts_us, "stats");
	json_t *st = json_object(), *cap, *dec, *fl, *det;
	uint64_t alerts = 0;
	size_t i;

	/* The kernel's counters exist for a live capture only, as in
	 * Suricata, whose pcap-file mode writes no capture section. */
	if (has_figure(s, "capture", "kernel_drops")) {
		cap = json_object();
		eve_set_int(cap, "kernel_packets", figure(s, "capture", "packets"));
		eve_set_int(cap, "kernel_drops",
		    figure(s, "capture", "kernel_drops"));
		eve_set_int(cap, "kernel_ifdrops", figure(s, "capture", "if_drops"));
		json_object_set_new(st, "capture", cap);
	}
	if (has_figure(s, "capture", NULL)) {
		dec = json_object();
		eve_set_int(dec, "pkts", figure(s, "capture", "packets"));
		eve_set_int(dec, "bytes", figure(s, "capture", "bytes"));
		eve_set_int(dec, "invalid", figure(s, "decoder", "truncated") +
		    figure(s, "decoder", "malformed"));
		json_object_set_new(st, "decoder", dec);
	}
	if (has_figure(s, "flow", NULL)) {
		fl = json_object();
		eve_set_int(fl, "total", figure(s, "flow", "created"));
		eve_set_int(fl, "active", figure(s, "flow", "active"));
		json_object_set_new(st, "flow", fl);
	}
	if (has_figure(s, "verdicts", NULL)) {
		for (i = 0; i < NELEM(cats); i++)
			alerts += figure(s, "verdicts", cats[i]);
		det = json_object();
		eve_set_int(det, "alert", alerts);
		eve_set_int(det, "alerts_suppressed",
		    figure(s, "verdicts", "suppressed"));
		json_object_set_new(st, "detect", det);
	}
	json_object_set_new(o, "stats", st);
	return o;
}
