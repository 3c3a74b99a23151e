/*
 * live.h: live capture for the sidecar. For each worker and each interface
 * one libpcap handle (TPACKET_V3 memory-mapped ring of buffer_size bytes);
 * with more than one worker, the handles of an interface join one
 * PACKET_FANOUT group whose classic BPF program (PACKET_FANOUT_CBPF, see
 * live.c) picks the worker by the VM's address, or by both addresses
 * combined symmetrically, so both directions of a flow reach the same
 * worker; IP fragments are reassembled first (PACKET_FANOUT_FLAG_DEFRAG). Each worker reads
 * only its own handles: nothing is shared on the packet path.
 */
#ifndef EGRESSD_LIVE_H
#define EGRESSD_LIVE_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "source.h"

#define LIVE_MAX_IFACES 16
#define FANOUT_PROG_MAX 320	/* classic BPF instructions */

struct live;

/* Opens every handle cfg asks for (interface, workers, snaplen,
 * buffer_size, bpf_filter). An interface for which by_dir (when not NULL)
 * returns nonzero gets two handles per worker, one for what the host
 * received on it (LINK_IN: on a VM's tap, what the VM sent) and one for
 * what it sent (LINK_OUT), so every frame says which way it went. Needs
 * CAP_NET_RAW. Returns NULL with a message naming the interface. */
struct live *live_open(const struct config *cfg,
    int (*by_dir)(const char *ifname, void *arg), void *arg, char *err,
    size_t errlen);
void live_close(struct live *l);

/* Whether bpf_filter compiles (for an Ethernet interface): -t and the
 * start check it before anything is opened. Returns 0, or -1 with a
 * message. */
int live_check_filter(const struct config *cfg, char *err, size_t errlen);

unsigned live_workers(const struct live *l);

typedef void (*live_frame_fn)(const struct frame *fr, int dlt, void *arg);

/* Worker w: waits up to timeout_ms for packets on its handles and hands
 * each to fn. Returns the frames read, or -1 with a message when a handle
 * failed (the interface went away). */
int live_poll(struct live *l, unsigned w, int timeout_ms, live_frame_fn fn,
    void *arg, char *err, size_t errlen);

/* Worker w's kernel counters, summed over its handles (call it from that
 * worker only: libpcap's handle is not shared). */
void live_counters(struct live *l, unsigned w, uint64_t *received,
    uint64_t *dropped, uint64_t *if_dropped);

#endif
