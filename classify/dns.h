/*
 * dns.h: just enough DNS for egressd: read the question and the address
 * answers of a message (names decompressed with a bounded number of jumps),
 * remember per VM which name it resolved to which address (a bounded LRU
 * cache, so a flow to a bare address can still be matched by host name),
 * and notice DNS tunnels (iodine and the like) per VM and base domain:
 * many queries with long, high-entropy labels, or a volume of TXT/NULL
 * queries, under one domain.
 */
#ifndef EGRESSD_DNS_H
#define EGRESSD_DNS_H

#include <stddef.h>
#include <stdint.h>

#include "heur.h"

#define DNS_NAME_MAX 256	/* presentation form, with the terminating NUL */

struct dns_msg {
	uint16_t id;
	int is_response;
	char qname[DNS_NAME_MAX];	/* lower case, no trailing dot; "" if none */
	uint16_t qtype;
	unsigned nanswers;		/* A/AAAA answers stored below */
	uint8_t answers[16][16];	/* IPv4-mapped or IPv6, at most 16 */
};

/* Parses a DNS message (UDP payload, or TCP payload after its 2-byte
 * length). Returns 0, or -1 when it is not a well-formed DNS message. */
int dns_parse(const uint8_t *data, size_t len, struct dns_msg *out);

/* The name cache: (VM address, resolved address) -> name. */
struct dns_cache;
struct dns_cache *dns_cache_new(size_t max_entries);
void dns_cache_free(struct dns_cache *c);
void dns_cache_put(struct dns_cache *c, const uint8_t vm[16], const uint8_t addr[16],
    const char *name);
/* Returns the name, valid until the next put, or NULL. */
const char *dns_cache_get(struct dns_cache *c, const uint8_t vm[16], const uint8_t addr[16]);

/* The tunnel detector, one entry per (VM, base domain), bounded. */
struct dns_tunnel;
struct dns_tunnel *dns_tunnel_new(size_t max_entries);
void dns_tunnel_free(struct dns_tunnel *t);
/* Feeds one query the VM sent at packet time now_us. Returns 1 (once per
 * VM and domain) and fills hit when the domain looks like a tunnel. */
int dns_tunnel_query(struct dns_tunnel *t, const uint8_t vm[16],
    const struct dns_msg *q, uint64_t now_us, struct heur_hit *hit);

/* A datagram on a DNS flow that is no DNS message but iodine's raw-mode
 * header (its three identifying bytes, then a command of login, data or
 * ping and the user's number): returns 1 and fills hit. */
int dns_iodine_raw(const uint8_t *d, size_t len, struct heur_hit *hit);

#endif
