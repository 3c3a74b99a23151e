/*
 * config.c: the option table and its three readers (config file, command
 * line, defaults). Each entry names its type, its bounds and its default, so
 * every way of setting a value goes through the same checks and --help is
 * generated from the same rows.
 */
#include <ini.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config.h"
#include "vocab.h"
#include "util.h"

enum opt_type { OPT_INT, OPT_DURATION, OPT_BOOL, OPT_CIDR_LIST, OPT_PATH,
	OPT_PATH_LIST, OPT_CATEGORIES, OPT_TEXT, OPT_CHOICE };

struct option_def {
	const char *name;
	enum opt_type type;
	size_t offset;
	long long min, max;	/* OPT_INT: value; OPT_DURATION: microseconds */
	const char *defval;
	const char *help;
	unsigned modes;		/* MODE_REPLAY, MODE_LIVE: where it applies */
	int reloads;		/* a live capture's SIGHUP puts it in use */
};

/* The names an OPT_CHOICE option takes; its value is the index. */
static const struct {
	const char *option;
	const char *const names[4];	/* NULL-ended */
} choice_sets[] = {
	{ "nft_target", { "vm", "destination", NULL } },
	{ "min_confidence", { "low", "medium", "high", NULL } },
};

static const char *const *
choices_of(const struct option_def *o)
{
	size_t i;

	for (i = 0; i < NELEM(choice_sets); i++)
		if (strcmp(choice_sets[i].option, o->name) == 0)
			return choice_sets[i].names;
	abort();	/* an OPT_CHOICE without names is a programming error */
}

#define SEC 1000000LL
static const struct option_def options[] = {
	{ .name = "interface", .type = OPT_TEXT,
	    .offset = offsetof(struct config, interface),
	    .defval = "",
	    .help = "capture live from these interfaces, comma separated "
	    "(-i)",
	    .modes = MODE_LIVE },
	{ .name = "workers", .type = OPT_INT,
	    .offset = offsetof(struct config, workers),
	    .min = 1, .max = 64,
	    .defval = "1",
	    .help = "classification threads, each with its own flow table "
	    "and nDPI",
	    .modes = MODE_LIVE },
	{ .name = "snaplen", .type = OPT_INT,
	    .offset = offsetof(struct config, snaplen),
	    .min = 96, .max = 262144,
	    .defval = "65535",
	    .help = "bytes of each live packet captured",
	    .modes = MODE_LIVE },
	{ .name = "buffer_size", .type = OPT_INT,
	    .offset = offsetof(struct config, buffer_size),
	    .min = 1L << 20, .max = 1L << 31,
	    .defval = "33554432",
	    .help = "kernel capture buffer per worker and interface, in "
	    "bytes",
	    .modes = MODE_LIVE },
	{ .name = "bpf_filter", .type = OPT_TEXT,
	    .offset = offsetof(struct config, bpf_filter),
	    .defval = "",
	    .help = "capture filter (tcpdump syntax) for live capture",
	    .modes = MODE_LIVE },
	{ .name = "user", .type = OPT_TEXT,
	    .offset = offsetof(struct config, user),
	    .defval = "",
	    .help = "after opening the capture, run as this user (-u)",
	    .modes = MODE_LIVE },
	{ .name = "metrics", .type = OPT_TEXT,
	    .offset = offsetof(struct config, metrics),
	    .defval = "",
	    .help = "serve /metrics and /healthz on [ADDR:]PORT (ADDR "
	    "127.0.0.1)",
	    .modes = MODE_LIVE },
	{ .name = "stats_interval", .type = OPT_DURATION,
	    .offset = offsetof(struct config, stats_interval_us),
	    .min = 0, .max = 86400 * SEC,
	    .defval = "60s",
	    .help = "a live capture writes a stats event this often (0: at "
	    "exit only)",
	    .modes = MODE_LIVE, .reloads = 1 },
	{ .name = "max_flows", .type = OPT_INT,
	    .offset = offsetof(struct config, max_flows),
	    .min = 1, .max = 16 * 1024 * 1024,
	    .defval = "262144",
	    .help = "flows tracked at once; the least recently seen is "
	    "evicted beyond",
	    .modes = MODE_REPLAY | MODE_LIVE },
	{ .name = "tcp_idle_timeout", .type = OPT_DURATION,
	    .offset = offsetof(struct config, tcp_idle_timeout_us),
	    .min = SEC, .max = 86400 * SEC,
	    .defval = "600s",
	    .help = "idle time (packet time) after which a TCP flow ends",
	    .modes = MODE_REPLAY | MODE_LIVE },
	{ .name = "tcp_closed_timeout", .type = OPT_DURATION,
	    .offset = offsetof(struct config, tcp_closed_timeout_us),
	    .min = 0, .max = 3600 * SEC,
	    .defval = "5s",
	    .help = "time a TCP flow lingers after FIN in both directions "
	    "or RST",
	    .modes = MODE_REPLAY | MODE_LIVE },
	{ .name = "udp_idle_timeout", .type = OPT_DURATION,
	    .offset = offsetof(struct config, udp_idle_timeout_us),
	    .min = SEC, .max = 86400 * SEC,
	    .defval = "180s",
	    .help = "idle time after which a UDP flow ends",
	    .modes = MODE_REPLAY | MODE_LIVE },
	{ .name = "other_idle_timeout", .type = OPT_DURATION,
	    .offset = offsetof(struct config, other_idle_timeout_us),
	    .min = SEC, .max = 86400 * SEC,
	    .defval = "60s",
	    .help = "idle time after which an ICMP or other-protocol flow "
	    "ends",
	    .modes = MODE_REPLAY | MODE_LIVE },
	{ .name = "dpi_tcp_packets", .type = OPT_INT,
	    .offset = offsetof(struct config, dpi_tcp_packets),
	    .min = 1, .max = 1000,
	    .defval = "80",
	    .help = "TCP packets per flow given to nDPI before it must "
	    "decide",
	    .modes = MODE_REPLAY | MODE_LIVE, .reloads = 1 },
	{ .name = "dpi_udp_packets", .type = OPT_INT,
	    .offset = offsetof(struct config, dpi_udp_packets),
	    .min = 1, .max = 1000,
	    .defval = "24",
	    .help = "UDP and other packets per flow given to nDPI before it "
	    "must decide",
	    .modes = MODE_REPLAY | MODE_LIVE, .reloads = 1 },
	{ .name = "dpi_guess", .type = OPT_BOOL,
	    .offset = offsetof(struct config, dpi_guess),
	    .min = 0, .max = 1,
	    .defval = "yes",
	    .help = "when DPI finds nothing, accept nDPI's guess by port or "
	    "address",
	    .modes = MODE_REPLAY | MODE_LIVE, .reloads = 1 },
	{ .name = "flows", .type = OPT_BOOL,
	    .offset = offsetof(struct config, flows),
	    .min = 0, .max = 1,
	    .defval = "no",
	    .help = "write one flow event per flow",
	    .modes = MODE_REPLAY | MODE_LIVE },
	{ .name = "vm_networks", .type = OPT_CIDR_LIST,
	    .min = 0, .max = CONFIG_MAX_VM_NETWORKS,
	    .defval = "",
	    .help = "CIDRs of the VMs, comma separated (none: the opener is "
	    "the VM)",
	    .modes = MODE_REPLAY | MODE_LIVE, .reloads = 1 },
	{ .name = "ingress_verdicts", .type = OPT_BOOL,
	    .offset = offsetof(struct config, ingress_verdicts),
	    .min = 0, .max = 1,
	    .defval = "no",
	    .help = "also report flows opened towards a VM (a service it "
	    "runs)",
	    .modes = MODE_REPLAY | MODE_LIVE, .reloads = 1 },
	{ .name = "signature_dir", .type = OPT_PATH,
	    .offset = offsetof(struct config, signature_dir),
	    .defval = EGRESSD_SIGDIR,
	    .help = "directory whose *.rules files are loaded ('' for none)",
	    .modes = MODE_REPLAY | MODE_LIVE, .reloads = 1 },
	{ .name = "rule_files", .type = OPT_PATH_LIST,
	    .min = 0, .max = CONFIG_MAX_RULE_FILES,
	    .defval = "",
	    .help = "more rule files, comma separated, loaded after "
	    "signature_dir",
	    .modes = MODE_REPLAY | MODE_LIVE, .reloads = 1 },
	{ .name = "geoip_country_db", .type = OPT_PATH,
	    .offset = offsetof(struct config, geoip_country_db),
	    .defval = "",
	    .help = "MaxMind Country or City database (.mmdb) for country "
	    "evidence",
	    .modes = MODE_REPLAY | MODE_LIVE },
	{ .name = "geoip_asn_db", .type = OPT_PATH,
	    .offset = offsetof(struct config, geoip_asn_db),
	    .defval = "",
	    .help = "MaxMind ASN database (.mmdb) for ASN evidence",
	    .modes = MODE_REPLAY | MODE_LIVE },
	{ .name = "dns_cache_size", .type = OPT_INT,
	    .offset = offsetof(struct config, dns_cache_size),
	    .min = 0, .max = 16 * 1024 * 1024,
	    .defval = "65536",
	    .help = "DNS answers remembered (VM, address -> name) for host "
	    "rules",
	    .modes = MODE_REPLAY | MODE_LIVE },
	{ .name = "behave_max_entries", .type = OPT_INT,
	    .offset = offsetof(struct config, behave_max_entries),
	    .min = 16, .max = 16 * 1024 * 1024,
	    .defval = "16384",
	    .help = "entries in each behaviour table (the memory bound)",
	    .modes = MODE_REPLAY | MODE_LIVE },
	{ .name = "flood_window", .type = OPT_DURATION,
	    .offset = offsetof(struct config, flood_window_us),
	    .min = 100000, .max = 60 * SEC,
	    .defval = "1s",
	    .help = "rate window of the flood detectors",
	    .modes = MODE_REPLAY | MODE_LIVE },
	{ .name = "syn_flood_pps", .type = OPT_INT,
	    .offset = offsetof(struct config, syn_flood_pps),
	    .min = 1, .max = 100000000,
	    .defval = "1000",
	    .help = "SYNs per second from a VM to one target",
	    .modes = MODE_REPLAY | MODE_LIVE },
	{ .name = "syn_flood_completed_pct", .type = OPT_INT,
	    .offset = offsetof(struct config, syn_flood_completed_pct),
	    .min = 0, .max = 100,
	    .defval = "10",
	    .help = "a SYN flood completes at most this % of its handshakes",
	    .modes = MODE_REPLAY | MODE_LIVE },
	{ .name = "udp_flood_pps", .type = OPT_INT,
	    .offset = offsetof(struct config, udp_flood_pps),
	    .min = 1, .max = 100000000,
	    .defval = "5000",
	    .help = "UDP packets per second from a VM to one target",
	    .modes = MODE_REPLAY | MODE_LIVE },
	{ .name = "icmp_flood_pps", .type = OPT_INT,
	    .offset = offsetof(struct config, icmp_flood_pps),
	    .min = 1, .max = 100000000,
	    .defval = "500",
	    .help = "ICMP echo requests per second to one target",
	    .modes = MODE_REPLAY | MODE_LIVE },
	{ .name = "http_flood_rps", .type = OPT_INT,
	    .offset = offsetof(struct config, http_flood_rps),
	    .min = 1, .max = 100000000,
	    .defval = "500",
	    .help = "HTTP requests per second from a VM to one target",
	    .modes = MODE_REPLAY | MODE_LIVE },
	{ .name = "tls_flood_rps", .type = OPT_INT,
	    .offset = offsetof(struct config, tls_flood_rps),
	    .min = 1, .max = 100000000,
	    .defval = "500",
	    .help = "request-sized TLS records per second from a VM to one "
	    "target",
	    .modes = MODE_REPLAY | MODE_LIVE },
	{ .name = "tls_flood_cps", .type = OPT_INT,
	    .offset = offsetof(struct config, tls_flood_cps),
	    .min = 1, .max = 100000000,
	    .defval = "200",
	    .help = "TLS handshakes per second from a VM to one target",
	    .modes = MODE_REPLAY | MODE_LIVE },
	{ .name = "slow_conns", .type = OPT_INT,
	    .offset = offsetof(struct config, slow_conns),
	    .min = 2, .max = 100000000,
	    .defval = "200",
	    .help = "connections open at once to one target that make a "
	    "slow attack",
	    .modes = MODE_REPLAY | MODE_LIVE },
	{ .name = "amp_window", .type = OPT_DURATION,
	    .offset = offsetof(struct config, amp_window_us),
	    .min = SEC, .max = 86400 * SEC,
	    .defval = "60s",
	    .help = "window of the amplification detector",
	    .modes = MODE_REPLAY | MODE_LIVE },
	{ .name = "amp_servers", .type = OPT_INT,
	    .offset = offsetof(struct config, amp_servers),
	    .min = 1, .max = 1000000,
	    .defval = "10",
	    .help = "servers sent amplification requests (DNS ANY, NTP "
	    "monlist...)",
	    .modes = MODE_REPLAY | MODE_LIVE },
	{ .name = "scan_window", .type = OPT_DURATION,
	    .offset = offsetof(struct config, scan_window_us),
	    .min = SEC, .max = 86400 * SEC,
	    .defval = "5m",
	    .help = "window of the scan detectors (Zeek: 5m)",
	    .modes = MODE_REPLAY | MODE_LIVE },
	{ .name = "scan_ports", .type = OPT_INT,
	    .offset = offsetof(struct config, scan_ports),
	    .min = 2, .max = 65536,
	    .defval = "15",
	    .help = "distinct ports on one target make a port scan (Zeek: "
	    "15)",
	    .modes = MODE_REPLAY | MODE_LIVE },
	{ .name = "scan_hosts", .type = OPT_INT,
	    .offset = offsetof(struct config, scan_hosts),
	    .min = 2, .max = 100000000,
	    .defval = "25",
	    .help = "unanswered targets on one port make an address scan "
	    "(Zeek: 25)",
	    .modes = MODE_REPLAY | MODE_LIVE },
	{ .name = "scan_fast_window", .type = OPT_DURATION,
	    .offset = offsetof(struct config, scan_fast_window_us),
	    .min = SEC, .max = 3600 * SEC,
	    .defval = "10s",
	    .help = "window of the fast address-scan rule",
	    .modes = MODE_REPLAY | MODE_LIVE },
	{ .name = "scan_fast_hosts", .type = OPT_INT,
	    .offset = offsetof(struct config, scan_fast_hosts),
	    .min = 2, .max = 100000000,
	    .defval = "12",
	    .help = "unanswered targets on one port within scan_fast_window",
	    .modes = MODE_REPLAY | MODE_LIVE },
	{ .name = "brute_window", .type = OPT_DURATION,
	    .offset = offsetof(struct config, brute_window_us),
	    .min = SEC, .max = 86400 * SEC,
	    .defval = "30m",
	    .help = "window of password guessing (Zeek: 30m)",
	    .modes = MODE_REPLAY | MODE_LIVE },
	{ .name = "brute_attempts", .type = OPT_INT,
	    .offset = offsetof(struct config, brute_attempts),
	    .min = 2, .max = 100000000,
	    .defval = "30",
	    .help = "failed or short logins to one service (Zeek: 30)",
	    .modes = MODE_REPLAY | MODE_LIVE },
	{ .name = "suppress_window", .type = OPT_DURATION,
	    .offset = offsetof(struct config, suppress_window_us),
	    .min = 0, .max = 86400 * SEC,
	    .defval = "10m",
	    .help = "one verdict per (VM, category, target) per this long "
	    "(0: all)",
	    .modes = MODE_REPLAY | MODE_LIVE, .reloads = 1 },
	{ .name = "min_confidence", .type = OPT_CHOICE,
	    .offset = offsetof(struct config, min_confidence),
	    .defval = "medium",
	    .help = "least confidence a verdict is reported with (low, "
	    "medium, high)",
	    .modes = MODE_REPLAY | MODE_LIVE },
	{ .name = "block_categories", .type = OPT_CATEGORIES,
	    .offset = offsetof(struct config, block_categories),
	    .defval = "",
	    .help = "categories whose verdicts ask for a block (the rest: "
	    "alert)",
	    .modes = MODE_REPLAY | MODE_LIVE, .reloads = 1 },
	{ .name = "inventory", .type = OPT_PATH,
	    .offset = offsetof(struct config, inventory),
	    .defval = "",
	    .help = "CSV of address or MAC, VM id, tenant, labels (reread "
	    "on SIGHUP)",
	    .modes = MODE_REPLAY | MODE_LIVE, .reloads = 1 },
	{ .name = "eve", .type = OPT_PATH,
	    .offset = offsetof(struct config, eve),
	    .defval = "",
	    .help = "also append every event to this file (reopened on "
	    "SIGHUP)",
	    .modes = MODE_REPLAY | MODE_LIVE },
	{ .name = "webhook", .type = OPT_TEXT,
	    .offset = offsetof(struct config, webhook),
	    .defval = "",
	    .help = "URL that verdicts are POSTed to, signed (Standard "
	    "Webhooks)",
	    .modes = MODE_REPLAY | MODE_LIVE },
	{ .name = "webhook_secret_file", .type = OPT_PATH,
	    .offset = offsetof(struct config, webhook_secret_file),
	    .defval = "",
	    .help = "file holding the signing secret, whsec_<base64>",
	    .modes = MODE_REPLAY | MODE_LIVE },
	{ .name = "webhook_ca_file", .type = OPT_PATH,
	    .offset = offsetof(struct config, webhook_ca_file),
	    .defval = "",
	    .help = "CA certificates that verify the webhook's TLS server "
	    "(default: the system's)",
	    .modes = MODE_REPLAY | MODE_LIVE },
	{ .name = "webhook_timeout", .type = OPT_DURATION,
	    .offset = offsetof(struct config, webhook_timeout_us),
	    .min = SEC / 10, .max = 300 * SEC,
	    .defval = "10s",
	    .help = "time one webhook request may take",
	    .modes = MODE_REPLAY | MODE_LIVE },
	{ .name = "webhook_batch", .type = OPT_INT,
	    .offset = offsetof(struct config, webhook_batch),
	    .min = 1, .max = 1000,
	    .defval = "100",
	    .help = "verdicts in one webhook message at most",
	    .modes = MODE_REPLAY | MODE_LIVE },
	{ .name = "webhook_retry_max", .type = OPT_DURATION,
	    .offset = offsetof(struct config, webhook_retry_max_us),
	    .min = SEC, .max = 86400 * SEC,
	    .defval = "5m",
	    .help = "longest wait between two delivery attempts",
	    .modes = MODE_REPLAY | MODE_LIVE },
	{ .name = "spool", .type = OPT_PATH,
	    .offset = offsetof(struct config, spool),
	    .defval = "",
	    .help = "directory where verdicts wait, on disk, until the "
	    "webhook took them",
	    .modes = MODE_REPLAY | MODE_LIVE },
	{ .name = "spool_max_bytes", .type = OPT_INT,
	    .offset = offsetof(struct config, spool_max_bytes),
	    .min = 4096, .max = 1L << 40,
	    .defval = "67108864",
	    .help = "bytes the spool may hold; beyond, verdicts are dropped "
	    "and counted",
	    .modes = MODE_REPLAY | MODE_LIVE },
	{ .name = "queue_size", .type = OPT_INT,
	    .offset = offsetof(struct config, queue_size),
	    .min = 1, .max = 1000000,
	    .defval = "4096",
	    .help = "verdicts waiting in memory for each delivery thread at "
	    "most",
	    .modes = MODE_REPLAY | MODE_LIVE },
	{ .name = "drain_timeout", .type = OPT_DURATION,
	    .offset = offsetof(struct config, drain_timeout_us),
	    .min = 0, .max = 86400 * SEC,
	    .defval = "10s",
	    .help = "how long the end of a run waits for delivery before "
	    "exiting",
	    .modes = MODE_REPLAY | MODE_LIVE, .reloads = 1 },
	{ .name = "exec", .type = OPT_TEXT,
	    .offset = offsetof(struct config, exec),
	    .defval = "",
	    .help = "program (and arguments, split at blanks; no shell) run "
	    "per verdict with its JSON on stdin",
	    .modes = MODE_REPLAY | MODE_LIVE },
	{ .name = "exec_timeout", .type = OPT_DURATION,
	    .offset = offsetof(struct config, exec_timeout_us),
	    .min = SEC / 10, .max = 3600 * SEC,
	    .defval = "10s",
	    .help = "time the exec program may run before it is killed",
	    .modes = MODE_REPLAY | MODE_LIVE },
	{ .name = "nft_set", .type = OPT_TEXT,
	    .offset = offsetof(struct config, nft_set),
	    .defval = "",
	    .help = "nftables set for IPv4 block verdicts: 'FAMILY TABLE "
	    "SET'",
	    .modes = MODE_REPLAY | MODE_LIVE },
	{ .name = "nft_set6", .type = OPT_TEXT,
	    .offset = offsetof(struct config, nft_set6),
	    .defval = "",
	    .help = "nftables set for IPv6 block verdicts: 'FAMILY TABLE "
	    "SET'",
	    .modes = MODE_REPLAY | MODE_LIVE },
	{ .name = "nft_target", .type = OPT_CHOICE,
	    .offset = offsetof(struct config, nft_target),
	    .defval = "vm",
	    .help = "address put in the set: vm or destination",
	    .modes = MODE_REPLAY | MODE_LIVE },
	{ .name = "nft_timeout", .type = OPT_DURATION,
	    .offset = offsetof(struct config, nft_timeout_us),
	    .min = SEC, .max = 365 * 86400 * SEC,
	    .defval = "1h",
	    .help = "how long an address stays in the nftables set",
	    .modes = MODE_REPLAY | MODE_LIVE },
};

static const struct option_def *
find_option(const char *name)
{
	char norm[64];
	size_t i;

	if (str_copy(norm, name, sizeof(norm)) >= sizeof(norm))
		return NULL;
	for (i = 0; norm[i] != '\0'; i++)
		if (norm[i] == '-')
			norm[i] = '_';
	for (i = 0; i < NELEM(options); i++)
		if (strcmp(options[i].name, norm) == 0)
			return &options[i];
	return NULL;
}

int
config_is_option(const char *name, int *takes_value)
{
	const struct option_def *o = find_option(name);

	if (o == NULL)
		return 0;
	if (takes_value != NULL)
		*takes_value = o->type != OPT_BOOL;
	return 1;
}

const char *
config_option_name(size_t i, int *takes_value)
{
	if (i >= NELEM(options))
		return NULL;
	if (takes_value != NULL)
		*takes_value = options[i].type != OPT_BOOL;
	return options[i].name;
}

int
config_option_reloads(const char *name)
{
	const struct option_def *o = find_option(name);

	return o != NULL && o->reloads;
}

unsigned
config_option_modes(const char *name)
{
	const struct option_def *o = find_option(name);

	return o != NULL ? o->modes : 0;
}

static int
parse_bool(const char *s, int *out)
{
	static const char *yes[] = { "yes", "true", "on", "1" };
	static const char *no[] = { "no", "false", "off", "0" };
	size_t i;

	for (i = 0; i < NELEM(yes); i++) {
		if (strcasecmp(s, yes[i]) == 0) {
			*out = 1;
			return 0;
		}
		if (strcasecmp(s, no[i]) == 0) {
			*out = 0;
			return 0;
		}
	}
	return -1;
}

static int
set_cidr_list(struct config *cfg, const char *value, char *err, size_t errlen)
{
	char buf[4096], *p, *item;

	if (str_copy(buf, value, sizeof(buf)) >= sizeof(buf)) {
		snprintf(err, errlen, "vm_networks: list too long");
		return -1;
	}
	for (p = buf; p != NULL; p = item) {
		char *tok = p;

		item = strpbrk(p, ", \t");
		if (item != NULL)
			*item++ = '\0';
		tok = str_trim(tok);
		if (*tok == '\0')
			continue;
		if (cfg->n_vm_networks == CONFIG_MAX_VM_NETWORKS) {
			snprintf(err, errlen, "vm_networks: more than %d networks",
			    CONFIG_MAX_VM_NETWORKS);
			return -1;
		}
		if (cidr_parse(tok, &cfg->vm_networks[cfg->n_vm_networks]) == -1) {
			snprintf(err, errlen, "vm_networks: '%s' is not an address "
			    "or CIDR", tok);
			return -1;
		}
		cfg->n_vm_networks++;
	}
	return 0;
}

static int
set_path_list(struct config *cfg, const char *value, char *err, size_t errlen)
{
	char buf[4096], *p, *next, *tok;

	if (str_copy(buf, value, sizeof(buf)) >= sizeof(buf)) {
		snprintf(err, errlen, "rule_files: list too long");
		return -1;
	}
	for (p = buf; p != NULL; p = next) {
		if ((next = strchr(p, ',')) != NULL)
			*next++ = '\0';
		tok = str_trim(p);
		if (*tok == '\0')
			continue;
		if (cfg->n_rule_files == CONFIG_MAX_RULE_FILES) {
			snprintf(err, errlen, "rule_files: more than %d files",
			    CONFIG_MAX_RULE_FILES);
			return -1;
		}
		if (str_copy(cfg->rule_files[cfg->n_rule_files], tok,
		    CONFIG_PATH_MAX) >= CONFIG_PATH_MAX) {
			snprintf(err, errlen, "rule_files: path longer than %d "
			    "bytes", CONFIG_PATH_MAX - 1);
			return -1;
		}
		cfg->n_rule_files++;
	}
	return 0;
}

/* A comma list of verdict categories into a bit mask (bit = category). */
static int
set_categories(unsigned *mask, const char *name, const char *value, char *err,
    size_t errlen)
{
	char buf[256], *p, *next, *tok;
	enum policy_category c;

	if (str_copy(buf, value, sizeof(buf)) >= sizeof(buf)) {
		snprintf(err, errlen, "%s: list too long", name);
		return -1;
	}
	*mask = 0;
	for (p = buf; p != NULL; p = next) {
		if ((next = strchr(p, ',')) != NULL)
			*next++ = '\0';
		tok = str_trim(p);
		if (*tok == '\0')
			continue;
		c = policy_category_parse(tok);
		if (c == CAT_N || c == CAT_NONE) {
			snprintf(err, errlen, "%s: '%s' is not a category (p2p, "
			    "mining, remote_access, proxy, dos, scan, bruteforce)",
			    name, tok);
			return -1;
		}
		*mask |= 1u << c;
	}
	return 0;
}

static int
set_option(struct config *cfg, const struct option_def *o, const char *value,
    char *err, size_t errlen)
{
	char *field = (char *)cfg + o->offset;
	long l;
	uint64_t us;
	int b;

	switch (o->type) {
	case OPT_INT:
		if (parse_long(value, (long)o->min, (long)o->max, &l) == -1) {
			snprintf(err, errlen, "%s: '%s' is not a whole number from "
			    "%lld to %lld", o->name, value, o->min, o->max);
			return -1;
		}
		memcpy(field, &l, sizeof(l));
		return 0;
	case OPT_DURATION:
		if (parse_duration_us(value, (uint64_t)o->min, (uint64_t)o->max,
		    &us) == -1) {
			char lo[32], hi[32];

			format_duration_us((uint64_t)o->min, lo, sizeof(lo));
			format_duration_us((uint64_t)o->max, hi, sizeof(hi));
			snprintf(err, errlen, "%s: '%s' is not a duration from "
			    "%s to %s (units: ms, s, m, h, d)", o->name, value,
			    lo, hi);
			return -1;
		}
		memcpy(field, &us, sizeof(us));
		return 0;
	case OPT_BOOL:
		if (parse_bool(value, &b) == -1) {
			snprintf(err, errlen, "%s: '%s' is not yes or no", o->name,
			    value);
			return -1;
		}
		memcpy(field, &b, sizeof(b));
		return 0;
	case OPT_CIDR_LIST:
		return set_cidr_list(cfg, value, err, errlen);
	case OPT_PATH:
	case OPT_TEXT:
		if (str_copy(field, value, CONFIG_PATH_MAX) >= CONFIG_PATH_MAX) {
			snprintf(err, errlen, "%s: longer than %d bytes",
			    o->name, CONFIG_PATH_MAX - 1);
			return -1;
		}
		return 0;
	case OPT_CHOICE:
		for (b = 0; choices_of(o)[b] != NULL; b++) {
			if (strcmp(value, choices_of(o)[b]) == 0) {
				memcpy(field, &b, sizeof(b));
				return 0;
			}
		}
		snprintf(err, errlen, "%s: '%s' is not one of:", o->name, value);
		for (b = 0; choices_of(o)[b] != NULL; b++) {
			size_t used = strlen(err);

			snprintf(err + used, errlen - used, " %s", choices_of(o)[b]);
		}
		return -1;
	case OPT_PATH_LIST:
		return set_path_list(cfg, value, err, errlen);
	case OPT_CATEGORIES:
		return set_categories((unsigned *)(void *)field, o->name, value,
		    err, errlen);
	}
	return -1;
}

void
config_defaults(struct config *cfg)
{
	char err[256];
	size_t i;

	memset(cfg, 0, sizeof(*cfg));
	for (i = 0; i < NELEM(options); i++)
		if (set_option(cfg, &options[i], options[i].defval, err,
		    sizeof(err)) == -1)
			abort();	/* a bad default is a programming error */
}

int
config_set(struct config *cfg, const char *name, const char *value, char *err,
    size_t errlen)
{
	const struct option_def *o = find_option(name);

	if (o == NULL) {
		snprintf(err, errlen, "unknown option '%s'", name);
		return -1;
	}
	return set_option(cfg, o, value, err, errlen);
}

int
config_build(struct config *cfg, const char *path, const char *const *names,
    const char *const *values, size_t n, char *err, size_t errlen)
{
	char why[512];
	size_t i;

	config_defaults(cfg);
	if (path != NULL && config_load(cfg, path, err, errlen) == -1)
		return -1;
	for (i = 0; i < n; i++) {
		if (config_set(cfg, names[i], values[i], why, sizeof(why)) == -1) {
			snprintf(err, errlen, "command line: %s", why);
			return -1;
		}
	}
	return 0;
}

struct load_ctx {
	struct config *cfg;
	FILE *fp;
	int lineno;		/* lines read so far */
	int err_line;		/* line of the first error found here, or 0 */
	char msg[256];		/* that error's message */
};

static void
load_error(struct load_ctx *ctx, const char *msg)
{
	if (ctx->err_line == 0) {
		ctx->err_line = ctx->lineno;
		str_copy(ctx->msg, msg, sizeof(ctx->msg));
	}
}

/* inih's reader: one line of the file per call, counted, so an error can
 * name its own line. Read a byte at a time, so that a NUL byte (which
 * would silently end the line for a string reader) is an error, as are a
 * line longer than inih's buffer and a [section] line (inih reports a
 * section only through the keys after it, with their line numbers). */
static char *
read_line(char *buf, int size, void *arg)
{
	struct load_ctx *ctx = arg;
	char err[64];
	const char *start;
	int nul, long_line;

	if (file_read_line(ctx->fp, buf, (size_t)size, &nul, &long_line) == -1)
		return NULL;
	ctx->lineno++;
	start = buf + strspn(buf, " \t");
	if (*start == '#' || *start == ';')
		return buf;	/* a comment may hold anything */
	if (nul)
		load_error(ctx, "a NUL byte");
	else if (long_line) {
		snprintf(err, sizeof(err), "line longer than %d characters",
		    size - 2);
		load_error(ctx, err);
	} else if (*start == '[') {
		load_error(ctx, "sections are not used: every key belongs "
		    "to the main settings");
	} else {
		return buf;
	}
	buf[0] = '\0';
	return buf;
}

static int
on_ini_line(void *user, const char *section, const char *name, const char *value)
{
	struct load_ctx *ctx = user;
	char err[256];

	if (section[0] != '\0') {
		snprintf(err, sizeof(err), "unknown section [%s]", section);
	} else if (config_set(ctx->cfg, name, value, err, sizeof(err)) == 0) {
		return 1;
	}
	load_error(ctx, err);
	return 0;
}

int
config_load(struct config *cfg, const char *path, char *err, size_t errlen)
{
	struct load_ctx ctx = { .cfg = cfg };
	int line, read_error;

	if ((ctx.fp = file_fopen_regular(path, err, errlen)) == NULL)
		return -1;
	/* inih returns the first line it found wrong, by its syntax or by the
	 * handler; ctx has the first line found wrong here, with why. */
	line = ini_parse_stream(read_line, &ctx, on_ini_line, &ctx);
	read_error = ferror(ctx.fp);
	fclose(ctx.fp);
	if (line < 0 || read_error)
		snprintf(err, errlen, "%s: cannot be read", path);
	else if (ctx.err_line != 0 && (line == 0 || ctx.err_line <= line))
		snprintf(err, errlen, "%s:%d: %s", path, ctx.err_line, ctx.msg);
	else if (line > 0)
		snprintf(err, errlen, "%s:%d: not a 'key = value' line or "
		    "[section]", path, line);
	else
		return 0;
	return -1;
}

/* Where an option's value lives in cfg, and how many bytes it takes. A list
 * option comes with its count. */
static void
option_storage(const struct config *cfg, const struct option_def *o,
    const void **p, size_t *len, const void **count, size_t *clen)
{
	const char *base = (const char *)cfg;

	*count = NULL;
	*clen = 0;
	switch (o->type) {
	case OPT_INT:
		*p = base + o->offset, *len = sizeof(long);
		break;
	case OPT_DURATION:
		*p = base + o->offset, *len = sizeof(uint64_t);
		break;
	case OPT_BOOL:
	case OPT_CHOICE:
		*p = base + o->offset, *len = sizeof(int);
		break;
	case OPT_CATEGORIES:
		*p = base + o->offset, *len = sizeof(unsigned);
		break;
	case OPT_PATH:
	case OPT_TEXT:
		*p = base + o->offset, *len = CONFIG_PATH_MAX;
		break;
	case OPT_CIDR_LIST:
		*p = cfg->vm_networks, *len = sizeof(cfg->vm_networks);
		*count = &cfg->n_vm_networks, *clen = sizeof(size_t);
		break;
	case OPT_PATH_LIST:
		*p = cfg->rule_files, *len = sizeof(cfg->rule_files);
		*count = &cfg->n_rule_files, *clen = sizeof(size_t);
		break;
	}
}

int
config_changed(const struct config *a, const struct config *b,
    const char *name)
{
	const struct option_def *o = find_option(name);
	const void *pa, *pb, *ca, *cb;
	size_t len, clen;

	if (o == NULL)
		return 0;
	option_storage(a, o, &pa, &len, &ca, &clen);
	option_storage(b, o, &pb, &len, &cb, &clen);
	if (o->type == OPT_PATH || o->type == OPT_TEXT)
		return strcmp(pa, pb) != 0;
	return memcmp(pa, pb, len) != 0 || (ca != NULL && memcmp(ca, cb, clen));
}

void
config_copy_option(struct config *dst, const struct config *src,
    const char *name)
{
	const struct option_def *o = find_option(name);
	const void *pd, *ps, *cd, *cs;
	size_t len, clen;

	if (o == NULL)
		return;
	option_storage(dst, o, &pd, &len, &cd, &clen);
	option_storage(src, o, &ps, &len, &cs, &clen);
	/* The storage is dst's own: the const came from option_storage. */
	memcpy((void *)(uintptr_t)pd, ps, len);
	if (cd != NULL)
		memcpy((void *)(uintptr_t)cd, cs, clen);
}

void
config_usage(FILE *fp)
{
	char name[64];
	size_t i, j;

	for (i = 0; i < NELEM(options); i++) {
		const struct option_def *o = &options[i];

		str_copy(name, o->name, sizeof(name));
		for (j = 0; name[j] != '\0'; j++)
			if (name[j] == '_')
				name[j] = '-';
		static const char *const arg[] = {
			[OPT_INT] = " N", [OPT_DURATION] = " TIME",
			[OPT_BOOL] = "[=no]", [OPT_CIDR_LIST] = " CIDR,...",
			[OPT_PATH] = " PATH", [OPT_PATH_LIST] = " PATH,...",
			[OPT_CATEGORIES] = " CATEGORY,...",
			[OPT_TEXT] = " TEXT", [OPT_CHOICE] = " NAME",
		};
		char left[96];

		snprintf(left, sizeof(left), "--%s%s", name, arg[o->type]);
		fprintf(fp, "  %-30s %s", left, o->help);
		if (o->defval[0] != '\0')
			fprintf(fp, " [%s]", o->defval);
		fputc('\n', fp);
	}
}

/* A URL without what may be a credential: user:password@ and the query
 * string are shown as "***". */
static void
print_url(FILE *fp, const char *name, const char *url)
{
	const char *host = strstr(url, "://"), *at, *slash, *query;

	host = host != NULL ? host + 3 : url;
	slash = host + strcspn(host, "/?#");
	at = memchr(host, '@', (size_t)(slash - host));
	query = strchr(url, '?');
	fprintf(fp, "%s = %.*s", name, (int)(host - url), url);
	if (at != NULL) {
		fputs("***@", fp);
		host = at + 1;
	}
	fprintf(fp, "%.*s%s\n", (int)((query != NULL ? query : url +
	    strlen(url)) - host), host, query != NULL ? "?***" : "");
}

void
config_dump(const struct config *cfg, FILE *fp)
{
	char buf[64];
	size_t i;

	for (i = 0; i < NELEM(options); i++) {
		const struct option_def *o = &options[i];
		const char *field = (const char *)cfg + o->offset;
		long l;
		uint64_t us;
		int b;

		switch (o->type) {
		case OPT_INT:
			memcpy(&l, field, sizeof(l));
			fprintf(fp, "%s = %ld\n", o->name, l);
			break;
		case OPT_DURATION:
			memcpy(&us, field, sizeof(us));
			if (us % SEC == 0)
				fprintf(fp, "%s = %llus\n", o->name,
				    (unsigned long long)(us / SEC));
			else
				fprintf(fp, "%s = %llums\n", o->name,
				    (unsigned long long)(us / 1000));
			break;
		case OPT_BOOL:
			memcpy(&b, field, sizeof(b));
			fprintf(fp, "%s = %s\n", o->name, b ? "yes" : "no");
			break;
		case OPT_PATH:
			fprintf(fp, "%s = %s\n", o->name, field);
			break;
		case OPT_TEXT:
			if (strcmp(o->name, "webhook") == 0)
				print_url(fp, o->name, field);
			else
				fprintf(fp, "%s = %s\n", o->name, field);
			break;
		case OPT_CHOICE:
			memcpy(&b, field, sizeof(b));
			fprintf(fp, "%s = %s\n", o->name, choices_of(o)[b]);
			break;
		case OPT_CATEGORIES: {
			unsigned mask;
			int c, n = 0;

			memcpy(&mask, field, sizeof(mask));
			fprintf(fp, "%s =", o->name);
			for (c = 1; c < CAT_N; c++)
				if (mask & (1u << c))
					fprintf(fp, "%s%s", n++ ? ", " : " ",
					    policy_category_name((enum policy_category)c));
			fputc('\n', fp);
			break;
		}
		case OPT_PATH_LIST:
			fprintf(fp, "%s =", o->name);
			for (l = 0; l < (long)cfg->n_rule_files; l++)
				fprintf(fp, "%s%s", l ? ", " : " ", cfg->rule_files[l]);
			fputc('\n', fp);
			break;
		case OPT_CIDR_LIST:
			fprintf(fp, "%s =", o->name);
			for (l = 0; l < (long)cfg->n_vm_networks; l++) {
				cidr_format(&cfg->vm_networks[l], buf, sizeof(buf));
				fprintf(fp, "%s%s", l ? ", " : " ", buf);
			}
			fputc('\n', fp);
			break;
		}
	}
}
