/*
 * behave.h: behaviour detectors, per VM, for what no DPI can see: floods
 * (SYN, UDP, ICMP, and reflection/amplification requests), scans (ports on
 * one target, one port on many targets) and online password guessing.
 *
 * They keep counters per (VM, target) and per (VM, port) in fixed-size
 * tables allocated once at start-up; when a table is full the least
 * recently seen entry is dropped (counted), and entries idle past their
 * window age out. Distinct ports and hosts are counted with small bitmap
 * sketches (linear counting), not lists. Time is packet time, so a replay
 * reports what a live capture would. Each (VM, category, target) reports
 * at most once per suppression window.
 */
#ifndef EGRESSD_BEHAVE_H
#define EGRESSD_BEHAVE_H

#include <stddef.h>
#include <stdint.h>

#include "policy.h"

struct behave;

struct behave_cfg {
	size_t max_entries;		/* per table; the memory bound */
	uint64_t flood_window_us;	/* rate window of the flood detectors */
	uint64_t syn_flood_pps;		/* SYNs per second to one target */
	double syn_flood_completion;	/* at most this share completed */
	uint64_t udp_flood_pps;		/* UDP packets per second to one target */
	uint64_t icmp_flood_pps;	/* ICMP echo requests per second */
	uint64_t http_flood_rps;	/* HTTP requests per second to one target */
	uint64_t tls_flood_cps;		/* TLS handshakes per second to one target */
	uint64_t tls_flood_rps;		/* request-sized TLS records per second */
	uint64_t slow_conns;		/* connections open at once to one target */
	uint64_t amp_window_us;
	uint64_t amp_servers;		/* distinct servers sent amplification requests */
	uint64_t scan_window_us;	/* Zeek: 5 minutes */
	uint64_t scan_ports;		/* distinct ports on one target (Zeek: 15) */
	uint64_t scan_hosts;		/* distinct targets on one port (Zeek: 25) */
	uint64_t scan_fast_window_us;	/* the fast rule: scan_fast_hosts */
	uint64_t scan_fast_hosts;	/* unanswered targets within it */
	uint64_t brute_window_us;	/* Zeek's SSH guessing: 30 minutes */
	uint64_t brute_attempts;	/* failed or short logins (Zeek: 30) */
	uint64_t suppress_us;		/* one verdict per (VM, category, target) */
};

/* One packet as the detectors see it. */
struct behave_pkt {
	uint64_t ts_us;
	const uint8_t *vm;	/* 16 bytes, IPv4-mapped: the VM's address */
	const uint8_t *target;	/* 16 bytes: the other side */
	int from_vm;		/* 1 when the VM sent it */
	uint8_t proto;		/* 6, 17, 1, 58, ... */
	uint16_t vm_port;	/* 0 for protocols without ports */
	uint16_t target_port;
	uint8_t tcp_flags;
	uint8_t icmp_type;	/* for ICMP/ICMPv6 */
	uint32_t wire_len;
	const uint8_t *payload;	/* L4 payload, NULL when none */
	size_t payload_len;	/* captured bytes of it */
	size_t payload_wire;	/* its bytes by the IP and TCP lengths */
	int forcing;		/* IPv6, with an unknown option that orders
				 * an answer (decode.h's v6_forcing) */
	int first_of_side;	/* the first packet its sender sent in its flow */
	int vm_opened;		/* the VM sent the flow's first packet */
	uint32_t vm_pkts;	/* packets the VM sent in the flow, p included */
};

/* A connection that ended, for the password-guessing detector. */
struct behave_conn {
	uint64_t ts_us;		/* when it ended */
	const uint8_t *vm, *target;
	uint8_t proto;
	uint16_t target_port;	/* the service: 22, 3389, 21, 23, 80, ... */
	int established;	/* the TCP handshake completed */
	uint64_t duration_us;
	uint64_t bytes_from_vm, bytes_to_vm;
	uint64_t pkts_from_vm, pkts_to_vm;
	/* A login a protocol reader followed to a refusal (SSH, by the
	 * server's reply sizes): the attempts refused; such a connection
	 * counts whatever its port, length or size. */
	int login_read;
	unsigned logins_refused;
	/* ... read inside TLS, from the server's delayed answers
	 * (tlsrec.h's tlsrec_delayed_replies) */
	int login_tls;
};

/* What a detector found. Plain values: the caller turns it into a verdict. */
struct behave_hit {
	enum policy_category category;	/* CAT_DOS, CAT_SCAN, CAT_BRUTEFORCE */
	enum confidence confidence;
	const char *detector;		/* static: "syn_flood", "port_scan", ... */
	uint8_t vm[16];
	uint8_t target[16];		/* all zero when the target is many hosts */
	int has_target;
	uint8_t proto;
	uint16_t port;			/* target port, 0 when many or none */
	uint64_t window_us;		/* over what time the figures were taken */
	uint64_t packets, bytes;	/* sent by the VM in the window */
	uint64_t count;			/* SYNs, requests, attempts, ... */
	uint64_t distinct;		/* distinct ports or hosts, estimated */
	uint64_t completed;		/* handshakes completed (syn_flood) */
	double rate_pps;
	char detail[128];		/* one human sentence part */
};

struct behave_stats {
	uint64_t entries;		/* in use, all tables */
	uint64_t evicted;		/* dropped to make room */
	uint64_t bytes;			/* allocated at start-up, all tables */
	uint64_t hits;
	uint64_t suppressed;		/* hits within the suppression window */
};

/* Fills cfg with the documented defaults. */
void behave_defaults(struct behave_cfg *cfg);

struct behave *behave_new(const struct behave_cfg *cfg, char *err, size_t errlen);
void behave_free(struct behave *b);

/* Feed a packet / an ended connection; each returns how many hits it wrote
 * to hits (at most max), suppression already applied. Never allocates.
 * *flooding (when not NULL) says whether p is one of a flood the VM is
 * sending its target now (the flood detector's condition holds in the
 * current window), reported or not. */
size_t behave_packet(struct behave *b, const struct behave_pkt *p,
    struct behave_hit *hits, size_t max, int *flooding);
size_t behave_conn_end(struct behave *b, const struct behave_conn *c,
    struct behave_hit *hits, size_t max);

/* The distinct ports of target the VM probed without an answer in the
 * current scan window (an estimate; 0 when none or the window is over).
 * A lookup only: nothing is created or counted. */
uint64_t behave_unanswered_ports(struct behave *b, const uint8_t vm[16],
    const uint8_t target[16], uint64_t now);
/* The same for the hosts the VM probed on proto/port without an answer. */
uint64_t behave_unanswered_hosts(struct behave *b, const uint8_t vm[16],
    uint8_t proto, uint16_t port, uint64_t now);

void behave_stats(const struct behave *b, struct behave_stats *st);

/* Login attempts the guessing detectors counted so far, all (VM, target,
 * port) together: the fleet summaries take what a packet or connection
 * added. */
uint64_t behave_logins(const struct behave *b);

#endif
