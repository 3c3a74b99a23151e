/*
 * pktstore.h: the packets a verdict rests on, kept under one byte budget
 * for --evidence-dir. The capture path hands every frame in; the store
 * keeps, per flow, the first flow_packets frames while the flow is young
 * (until it has that many or gets a verdict), and, for every frame, the
 * first bytes of its headers in one ring of recent packets that behaviour
 * verdicts (a flood, a scan, no one flow) draw their sample from.
 *
 * All memory is taken at pktstore_new and never grows: flows' frames go
 * into fixed-size chunks from one pool, chained per flow as a byte log of
 * records; the flow entries sit in a bounded table (lrutab.h) whose oldest
 * entry gives way to a new flow. When the pool is empty the oldest flows'
 * chunks are taken back, and a frame that still finds no room is cut:
 * both are counted (packets_cut), never waited for. Adding a frame
 * allocates nothing, formats nothing and cannot fail.
 *
 * What a verdict takes out is a copy (struct pktstore_pkts, one
 * allocation of bounded size) that belongs to the caller: it outlives the
 * store and crosses to a writer thread, while the store stays with its one
 * capture thread (one store per worker; it has no lock).
 */
#ifndef EGRESSD_PKTSTORE_H
#define EGRESSD_PKTSTORE_H

#include <stddef.h>
#include <stdint.h>

struct pktstore;

struct pktstore_cfg {
	size_t mem_bytes;	/* the budget: the table, the pool, the ring */
	unsigned flow_packets;	/* frames kept per flow, >= 1 */
	size_t max_flows;	/* flows tracked at most (the flow table's) */
};

/* A flow, either way round: pktstore_key_make orders the two ends. */
struct pktstore_key {
	uint8_t lo[16], hi[16];	/* IPv4-mapped addresses */
	uint16_t lo_port, hi_port;
	uint8_t proto;
	uint8_t pad;
	uint16_t vlan;		/* as the flow table keys it */
};

/* One frame of a copy, as pcap's record header says it. */
struct pktstore_rec {
	uint64_t ts_us;
	uint32_t caplen;	/* bytes kept (the data that follows) */
	uint32_t wire_len;	/* the frame's length on the wire */
};

/* A copy of some frames: n records, each a struct pktstore_rec then its
 * caplen bytes, packed in data[0..len). */
struct pktstore_pkts {
	int linktype;		/* the frames' DLT_; -1 when there are none */
	uint32_t snaplen;	/* the capture's, set by the caller */
	uint32_t n;
	uint32_t max_caplen;	/* the longest record's caplen */
	size_t len;
	uint8_t data[];
};

struct pktstore_figures {
	uint64_t kept;		/* frames kept for a young flow */
	uint64_t cut;		/* frames of young flows the budget refused or
				 * took back before a verdict */
};

/* Takes all the store's memory. Returns NULL, with a message, when
 * mem_bytes cannot hold the smallest store. */
struct pktstore *pktstore_new(const struct pktstore_cfg *cfg, char *err,
    size_t errlen);
void pktstore_free(struct pktstore *s);

void pktstore_key_make(struct pktstore_key *k, const uint8_t a[16],
    uint16_t aport, const uint8_t b[16], uint16_t bport, uint8_t proto,
    uint16_t vlan);

/* One frame of flow k going from src to dst (the ring's addresses), of
 * link type linktype (DLT_): a replay of several files may change it, and
 * a pcap file holds one, so a flow keeps only the frames of its first
 * kept frame's link type. */
void pktstore_add(struct pktstore *s, const struct pktstore_key *k,
    const uint8_t src[16], const uint8_t dst[16], uint64_t ts_us,
    const uint8_t *frame, uint32_t caplen, uint32_t wire_len, int linktype);

/* The kept frames of flow k, oldest first (none when it was never seen or
 * everything was cut), with their link type; the flow is no longer young.
 * The caller owns the copy (pktstore_pkts_free). */
struct pktstore_pkts *pktstore_flow(struct pktstore *s,
    const struct pktstore_key *k);

/* At most max frames from the ring between host and, when target is not
 * NULL, target, either way, taken at since_us or later (when none was,
 * at any time), of the link type of the latest of them: when more match,
 * the first max/2 and the last of them, oldest first. The caller owns
 * the copy. */
struct pktstore_pkts *pktstore_host(struct pktstore *s, const uint8_t host[16],
    const uint8_t *target, uint64_t since_us, unsigned max);

void pktstore_figures(const struct pktstore *s, struct pktstore_figures *f);

/* Walks p: *off starts at 0. Returns 1 with the next record and its bytes,
 * 0 at the end. */
int pktstore_pkts_next(const struct pktstore_pkts *p, size_t *off,
    struct pktstore_rec *rec, const uint8_t **bytes);

void pktstore_pkts_free(struct pktstore_pkts *p);

#endif
