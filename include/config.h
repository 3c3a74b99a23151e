/*
 * config.h: egressd's settings and the one option table that drives the
 * config file, the long command-line options and --help alike (after Redis
 * config.c and tmux options-table.c). A config key is also a long option:
 * `vm_networks = 10.0.0.0/8` in the file is `--vm-networks 10.0.0.0/8` on the
 * command line ('-' and '_' are the same in names). The file is INI-style,
 * read with libinih, without sections: a [section] line is an error.
 */
#ifndef EGRESSD_CONFIG_H
#define EGRESSD_CONFIG_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "cidr.h"

#define CONFIG_MAX_VM_NETWORKS 1024
#define CONFIG_MAX_RULE_FILES 16
#define CONFIG_PATH_MAX 512
#define CONFIG_MAX_OPTIONS 128	/* rows of the option table at most */

/* Where the shipped signatures are, unless signature_dir says otherwise. */
#ifndef EGRESSD_SIGDIR
#define EGRESSD_SIGDIR "/usr/share/egressd/signatures"
#endif

struct config {
	/* live capture (capture/live.c) */
	char interface[CONFIG_PATH_MAX];	/* "eth0,eth1"; "" for none */
	long workers;
	long snaplen;
	long buffer_size;		/* bytes, per worker and interface */
	char bpf_filter[CONFIG_PATH_MAX];
	char user[CONFIG_PATH_MAX];	/* "" keeps the starting user */
	char metrics[CONFIG_PATH_MAX];	/* "[ADDR:]PORT", "" for none */
	uint64_t stats_interval_us;
	long max_flows;			/* per worker: flow table capacity */
	uint64_t tcp_idle_timeout_us;	/* idle time that ends an open TCP flow */
	uint64_t tcp_closed_timeout_us;	/* grace after FIN/FIN or RST */
	uint64_t udp_idle_timeout_us;
	uint64_t other_idle_timeout_us;	/* ICMP and other IP protocols */
	long dpi_tcp_packets;		/* TCP packets given to nDPI at most */
	long dpi_udp_packets;		/* UDP and other packets given to nDPI at most */
	int flows;			/* write one flow event per flow */
	long community_id_seed;		/* 0 - 65535 */
	int dpi_guess;			/* let nDPI guess by port/IP when DPI fails */
	int ingress_verdicts;		/* report flows opened towards a VM too */
	struct cidr vm_networks[CONFIG_MAX_VM_NETWORKS];
	size_t n_vm_networks;
	char signature_dir[CONFIG_PATH_MAX];	/* "" loads none */
	char rule_files[CONFIG_MAX_RULE_FILES][CONFIG_PATH_MAX];
	size_t n_rule_files;
	char geoip_country_db[CONFIG_PATH_MAX];	/* "" for none */
	char geoip_asn_db[CONFIG_PATH_MAX];
	long dns_cache_size;		/* entries; 0 disables the cache */
	/* behaviour detectors (classify/behave.c) */
	long behave_max_entries;	/* per table */
	uint64_t flood_window_us;
	long syn_flood_pps;
	long syn_flood_completed_pct;	/* a flood completes at most this % */
	long udp_flood_pps;
	long icmp_flood_pps;
	long http_flood_rps;
	long tls_flood_cps;
	long tls_flood_rps;
	long slow_conns;
	uint64_t amp_window_us;
	long amp_servers;
	uint64_t scan_window_us;
	long scan_ports;
	long scan_hosts;
	uint64_t scan_fast_window_us;
	long scan_fast_hosts;
	uint64_t brute_window_us;
	long brute_attempts;
	uint64_t suppress_window_us;	/* one verdict per (VM, category, target) */
	unsigned block_categories;	/* bit per enum policy_category */
	int min_confidence;		/* 0 low, 1 medium, 2 high: CONF_LOW + it */
	/* attribution and delivery (enforce/) */
	char inventory[CONFIG_PATH_MAX];	/* "" for none */
	char eve[CONFIG_PATH_MAX];		/* EVE log file, "" for none */
	char webhook[CONFIG_PATH_MAX];		/* URL, "" for none */
	char webhook_secret_file[CONFIG_PATH_MAX];
	char webhook_ca_file[CONFIG_PATH_MAX];
	uint64_t webhook_timeout_us;
	long webhook_batch;		/* verdicts per message at most */
	uint64_t webhook_retry_max_us;	/* cap of the backoff */
	char nats[CONFIG_PATH_MAX];		/* server URLs, "" for none */
	char nats_creds[CONFIG_PATH_MAX];
	char nats_ca_file[CONFIG_PATH_MAX];
	char nats_cert_file[CONFIG_PATH_MAX];
	char nats_key_file[CONFIG_PATH_MAX];
	uint64_t nats_timeout_us;	/* a publish's ack */
	long nats_replicas;		/* 0: by the cluster's size */
	char host_id[CONFIG_PATH_MAX];	/* "" for the host name */
	uint64_t fleet_interval_us;	/* of the fleet summaries */
	long fleet_max_pairs;		/* summary rows per worker and interval */
	uint64_t fleet_linger_us;	/* egressd fleet: quiet time that ends windows */
	long fleet_shards, fleet_shard;	/* egressd fleet: which tenants */
	char spool[CONFIG_PATH_MAX];	/* directory, "" for none */
	long spool_max_bytes;
	char evidence_dir[CONFIG_PATH_MAX];	/* "" for none */
	long evidence_packets;		/* frames kept per flow */
	long evidence_memory;		/* bytes for them, all workers */
	long queue_size;		/* per delivery thread */
	uint64_t drain_timeout_us;
	char exec[CONFIG_PATH_MAX];	/* program and arguments, "" for none */
	uint64_t exec_timeout_us;
	char nft_set[CONFIG_PATH_MAX];	/* "family table set", "" for none */
	char nft_set6[CONFIG_PATH_MAX];
	int nft_target;			/* enum nft_target */
	uint64_t nft_timeout_us;
	/* Which options the config file or the command line set, by table
	 * row (defaults are not): only those can be set in the wrong run
	 * mode. */
	unsigned char given[CONFIG_MAX_OPTIONS];
};

enum nft_target { NFT_TARGET_VM, NFT_TARGET_DESTINATION };

/* Fills cfg with every option's default. */
void config_defaults(struct config *cfg);

/* Sets one option by name from text; returns 0, or -1 with a message. */
int config_set(struct config *cfg, const char *name, const char *value,
    char *err, size_t errlen);

/* Reads a config file into cfg; returns 0, or -1 with "file:line: what"
 * (or "file: why" when it cannot be read) in err. */
int config_load(struct config *cfg, const char *path, char *err, size_t errlen);

/* The settings as given: defaults, then the file at path (NULL for none),
 * then the n command-line settings in order. Returns 0, or -1 with a
 * message ("file:line: ..." or "command line: ..."). */
int config_build(struct config *cfg, const char *path, const char *const *names,
    const char *const *values, size_t n, char *err, size_t errlen);

/* Whether name is a table option, and whether it takes a value. */
int config_is_option(const char *name, int *takes_value);

/* The i-th table option's name (with '_'), or NULL past the end. */
const char *config_option_name(size_t i, int *takes_value);

/* Where an option applies, from its table row: */
#define MODE_REPLAY	0x1	/* -r */
#define MODE_LIVE	0x2	/* -i */
unsigned config_option_modes(const char *name);

/* The options cfg's file or command line set that do not apply to run
 * mode (MODE_REPLAY or MODE_LIVE): up to max of their names into names,
 * in table order. Returns how many there are. */
size_t config_misplaced(const struct config *cfg, unsigned mode,
    const char **names, size_t max);

/* Whether a live capture's SIGHUP puts a new value of the option in use
 * (the others keep theirs until a restart), from its table row. */
int config_option_reloads(const char *name);

/* Whether option name has different values in a and b. */
int config_changed(const struct config *a, const struct config *b,
    const char *name);
/* Copies option name's value from src to dst. */
void config_copy_option(struct config *dst, const struct config *src,
    const char *name);

/* Prints the option table for --help. */
void config_usage(FILE *fp);

/* Writes the effective settings as a config file (for -t -v). */
void config_dump(const struct config *cfg, FILE *fp);

#endif
