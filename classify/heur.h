/*
 * heur.h: protocol heuristics for what nDPI 4.2 misses or gets wrong. Each
 * family looks at the first payload packets of one flow, keeps a few bytes
 * of state in the flow record, and reports a hit with a category, a
 * confidence, its own name and a short detail for the verdict's evidence.
 * They read only the bytes they are given and allocate nothing.
 */
#ifndef EGRESSD_HEUR_H
#define EGRESSD_HEUR_H

#include <stddef.h>
#include <stdint.h>

#include "policy.h"

/* Per-flow scratch state, zeroed when the flow starts. */
struct heur_flow {
	uint8_t mining[8];
	uint8_t p2p[8];
	uint8_t proxy[16];
	uint8_t remote[4];
	uint8_t fet[11];		/* heur_fet.c: fully encrypted traffic */
	uint8_t tunnel[12];		/* heur_tunnel.c */
};

struct heur_pkt {
	const uint8_t *data;	/* L4 payload */
	size_t len;
	int dir;		/* 0: from the flow's opener, 1: to it */
	uint8_t proto;		/* 6 TCP, 17 UDP */
	uint16_t sport;		/* the opener's port */
	uint16_t dport;		/* the responder's port */
	unsigned index;		/* 0 for the flow's first payload packet, ... */
};

struct heur_hit {
	enum policy_category category;
	enum confidence confidence;
	const char *name;	/* static: "stratum", "socks5", ... */
	char detail[96];	/* e.g. "mining.authorize worker=x.1" */
	int opener_is_server;	/* the first packet seen was the server's:
				 * the client is the flow's responder */
	int either_side;	/* both ends speak alike (a peer-to-peer
				 * channel): the flow is the VM's egress
				 * whichever side opened it */
};

/* Payload packets of a flow the heuristics look at, at most. */
#define HEUR_MAX_PACKETS 8

/* Each returns 1 and fills hit when its family recognises the flow. */
int heur_mining(struct heur_flow *st, const struct heur_pkt *p, struct heur_hit *hit);
int heur_p2p(struct heur_flow *st, const struct heur_pkt *p, struct heur_hit *hit);
int heur_proxy(struct heur_flow *st, const struct heur_pkt *p, struct heur_hit *hit);
/* Remote shells and desktops nDPI 4.2 misses (r-commands, X11, Citrix,
 * RDP over UDP, Radmin): heur_remote.c. */
int heur_remote(struct heur_flow *st, const struct heur_pkt *p, struct heur_hit *hit);
/* Crypto-currency node protocols (Bitcoin family, Levin, RLPx, discv4,
 * Nano), category mining: heur_node.c. */
int heur_node(struct heur_flow *st, const struct heur_pkt *p, struct heur_hit *hit);

/* Overlay networks (ZeroTier, Nebula) and tunnel tools (frp, chisel, SSH
 * in a WebSocket, web terminals): heur_tunnel.c. */
int heur_tunnel(struct heur_flow *st, const struct heur_pkt *p, struct heur_hit *hit);

/* Fully encrypted traffic (heur_fet.c): observe each payload packet of a
 * flow; judge once detection is over and nothing else named the flow. */
void heur_fet_observe(struct heur_flow *st, const struct heur_pkt *p);
int heur_fet_judge(const struct heur_flow *st, struct heur_hit *hit);
/* Whether len bytes (56 at least) pass those tests for random bytes; an
 * opening is exempt when its first four bytes are printable. */
int heur_looks_random(const uint8_t *d, size_t len, int opening);

/* Keccak-256 with Ethereum's (original) padding. */
void heur_keccak256(const uint8_t *in, size_t len, uint8_t out[32]);
/* Whether x || y (64 bytes, big-endian) is a point of secp256k1. */
int heur_secp256k1_point(const uint8_t xy[64]);

/* IP protocols that are a tunnel by themselves (ESP and AH: IPsec):
 * returns 1 and fills hit when the flow's first packet (its bytes d, len)
 * is one of theirs. */
int heur_ip_proto(uint8_t proto, const uint8_t *d, size_t len,
    struct heur_hit *hit);

#endif
