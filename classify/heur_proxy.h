/*
 * heur_proxy.h: what the two files of the proxy and VPN heuristic share
 * and nothing else uses: the layout of st->proxy (flags, who sent each
 * opening message, the session id or index the answer must echo), the
 * reporting rule (a family reports again for a flow only when its
 * confidence rises, or refines an earlier hit), and the UDP VPN detectors
 * of heur_proxy_vpn.c that the dispatch in heur_proxy.c calls. The helpers
 * are static inline so each file compiles them in, as the single file did
 * before it was cut in two.
 */
#ifndef EGRESSD_HEUR_PROXY_H
#define EGRESSD_HEUR_PROXY_H

#include <stddef.h>
#include <stdint.h>

#include "heur.h"

/* st->proxy[] layout. */
#define PX_FLAGS	0	/* PX_* below */
#define PX_CONF		1	/* best confidence reported for this flow */
#define PX_DIRS		2	/* DIR_* bits: who sent each opening message */
#define PX_S5_METHODS	3	/* SOCKS5 methods offered: bit m; 7-9: bit 7 */
#define PX_OVPN_OP	4	/* opcode of the OpenVPN client reset */
#define PX_WG_COUNT	5	/* WireGuard transport packets, no handshake */
#define PX_ID		8	/* OpenVPN session id (8), WireGuard index (4) */

#define PX_S5_GREET	0x01
#define PX_S4_REQ	0x02
#define PX_OVPN_RESET	0x04
#define PX_WG_INIT	0x08
#define PX_WG_DATA	0x10
#define PX_S5_TARGET	0x20	/* a SOCKS5 hit with the target was reported */
#define PX_VLESS_REQ	0x40	/* a VLESS request from the opener */
#define PX_OVPN_SRV	0x80	/* the OpenVPN reset kept is the server's */

#define DIR_S5		0x01
#define DIR_S4		0x02
#define DIR_OVPN	0x04
#define DIR_WG		0x08

/* WireGuard message types (whitepaper section 5.4). */
#define WG_INIT		1
#define WG_RESPONSE	2
#define WG_COOKIE	3
#define WG_DATA		4

static inline int
all_zero(const uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (p[i] != 0)
			return 0;
	return 1;
}

/*
 * Fills hit and returns 1 when conf is more than the flow has reported so
 * far, or as much and refine is set (a hit that adds to an earlier one).
 */
static inline int
report(struct heur_flow *st, struct heur_hit *hit, enum confidence conf,
    int refine, const char *name)
{
	if ((unsigned)conf < st->proxy[PX_CONF] ||
	    ((unsigned)conf == st->proxy[PX_CONF] && !refine))
		return 0;
	st->proxy[PX_CONF] = (uint8_t)conf;
	hit->category = CAT_PROXY;
	hit->confidence = conf;
	hit->name = name;
	hit->detail[0] = '\0';
	hit->opener_is_server = 0;
	return 1;
}

/*
 * The VPNs of heur_proxy_vpn.c, carried over UDP. Each returns 1 and fills
 * hit when the packet is what it looks for and the confidence is more than
 * the flow reported so far.
 */
/* WireGuard, and Cloudflare WARP's variant. */
int heur_vpn_wireguard(struct heur_flow *st, const struct heur_pkt *p,
    struct heur_hit *hit);
/* IKE (v1 and v2), on ports 500 and 4500. */
int heur_vpn_ike(struct heur_flow *st, const struct heur_pkt *p,
    struct heur_hit *hit);
/* OpenConnect / AnyConnect's DTLS channel (a PSK cipher suite). */
int heur_vpn_dtls_psk(struct heur_flow *st, const struct heur_pkt *p,
    struct heur_hit *hit);
/* L2TPv2 control messages. */
int heur_vpn_l2tp(struct heur_flow *st, const struct heur_pkt *p,
    struct heur_hit *hit);

#endif
