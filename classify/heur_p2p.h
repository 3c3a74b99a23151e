/*
 * heur_p2p.h: what the two files of the peer-to-peer heuristic share and
 * nothing else uses: the layout of st->p2p, the reporting rule (a family
 * reports again for a flow only when its confidence rises), the helpers
 * that copy a peer's bytes into a hit's detail, and the BitTorrent
 * detectors of heur_p2p_bt.c that the dispatch in heur_p2p.c calls. The
 * helpers are static inline so each file compiles them in, as the single
 * file did before it was cut in two.
 */
#ifndef EGRESSD_HEUR_P2P_H
#define EGRESSD_HEUR_P2P_H

#include <stddef.h>
#include <stdint.h>

#include "heur.h"

/* st->p2p[] layout. */
#define PP_CONF		0	/* best confidence reported for this flow */
#define PP_FLAGS	1	/* PF_* below */
#define PP_UTP_CONN	2	/* 2 bytes: connection_id of the ST_SYN */
#define PP_UTP_SEQ	4	/* 2 bytes: seq_nr of the ST_SYN */
#define PP_GNU_COUNT	6	/* Gnutella descriptors seen */

#define PF_UTP_SYN	0x01	/* an ST_SYN was seen */
#define PF_UTP_SYN_DIR1	0x02	/* ... from the responder */
#define PF_KAD_PING	0x04	/* a KADEMLIA2_PING was seen */
#define PF_KAD_PING_DIR1 0x08	/* ... from the responder */
#define PF_MS_LEN0	0x10	/* the opener sent multistream's length byte alone */
#define PF_MS_LEN1	0x20	/* ... the responder */
#define PF_MS_SAID0	0x40	/* the opener sent multistream's header */
#define PF_MS_SAID1	0x80	/* ... the responder */

#define DETAIL_VALUE_MAX 40	/* characters of a peer's string in detail */

/* A BitTorrent handshake's first byte, pstrlen (BEP 3); also the length
 * byte of libp2p's multistream-select header. */
#define BT_PSTR_LEN	19

struct span {
	const uint8_t *p;
	size_t len;
};

static inline int
is_print(uint8_t c)
{
	return c >= 0x20 && c <= 0x7e;
}

/* Copies at most DETAIL_VALUE_MAX bytes of src into dst as printable
 * text, '?' for the rest. */
static inline void
print_copy(char *dst, size_t dstlen, const uint8_t *src, size_t n)
{
	size_t i;

	if (dstlen == 0)
		return;
	if (n > DETAIL_VALUE_MAX)
		n = DETAIL_VALUE_MAX;
	for (i = 0; i < n && i + 1 < dstlen; i++)
		dst[i] = is_print(src[i]) ? (char)src[i] : '?';
	dst[i] = '\0';
}

/*
 * Fills hit's fixed fields and returns 1 when conf is more than the flow
 * has reported so far; the caller then writes the detail.
 */
static inline int
report(struct heur_flow *st, struct heur_hit *hit, enum confidence conf,
    const char *name)
{
	if ((unsigned)conf <= st->p2p[PP_CONF])
		return 0;
	st->p2p[PP_CONF] = (uint8_t)conf;
	hit->category = CAT_P2P;
	hit->confidence = conf;
	hit->name = name;
	hit->detail[0] = '\0';
	return 1;
}

/*
 * BitTorrent (heur_p2p_bt.c). Each returns 1 and fills hit when the
 * packet is what it looks for and the confidence is more than the flow
 * reported so far.
 */
/* A peer handshake at b (suffix is added to the detail: "" or " over
 * uTP"). */
int heur_bt_handshake(struct heur_flow *st, const uint8_t *b, size_t len,
    const char *suffix, struct heur_hit *hit);
/* An HTTP tracker announce or scrape over TCP. */
int heur_bt_tracker(struct heur_flow *st, const struct heur_pkt *p,
    struct heur_hit *hit);
/* A UDP tracker connect request (BEP 15). */
int heur_bt_udp_tracker(struct heur_flow *st, const struct heur_pkt *p,
    struct heur_hit *hit);
/* A local service discovery announce (BEP 14). */
int heur_bt_lsd(struct heur_flow *st, const struct heur_pkt *p,
    struct heur_hit *hit);
/* A Mainline DHT message (BEP 5). */
int heur_bt_dht(struct heur_flow *st, const struct heur_pkt *p,
    struct heur_hit *hit);
/* uTP (BEP 29): a handshake inside it, or an ST_SYN answered in kind. */
int heur_bt_utp(struct heur_flow *st, const struct heur_pkt *p,
    struct heur_hit *hit);

#endif
