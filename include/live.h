/*
 * live.h: the live capture backend of source.h, for the sidecar. For each
 * worker and each interface one libpcap handle (TPACKET_V3 memory-mapped
 * ring of buffer_size bytes); with more than one worker, the handles of an
 * interface join one PACKET_FANOUT group whose classic BPF program
 * (PACKET_FANOUT_CBPF, see live.c) picks the worker by the VM's address,
 * or by both addresses combined symmetrically, so both directions of a
 * flow reach the same worker; IP fragments are reassembled first
 * (PACKET_FANOUT_FLAG_DEFRAG). Each worker reads only its own handles:
 * nothing is shared on the packet path.
 */
#ifndef EGRESSD_LIVE_H
#define EGRESSD_LIVE_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "source.h"

#define LIVE_MAX_IFACES 16
#define FANOUT_PROG_MAX 320	/* classic BPF instructions */

/* A live source (source.h): opens every handle cfg asks for (interface,
 * workers, snaplen, buffer_size, bpf_filter); source_workers is the
 * number of workers. An interface for which by_dir (when not NULL)
 * returns nonzero gets two handles per worker, one for what the host
 * received on it (LINK_IN: on a VM's tap, what the VM sent) and one for
 * what it sent (LINK_OUT), so every frame says which way it went. Needs
 * CAP_NET_RAW. Returns NULL with a message naming the interface. Worker
 * w's source_poll reads only its own handles and fails when one did (the
 * interface went away); its source_figures are the kernel's drops. */
struct source *source_open_live(const struct config *cfg,
    int (*by_dir)(const char *ifname, void *arg), void *arg, char *err,
    size_t errlen);

/* Whether bpf_filter compiles (for an Ethernet interface): -t and the
 * start check it before anything is opened. Returns 0, or -1 with a
 * message. */
int live_check_filter(const struct config *cfg, char *err, size_t errlen);

#endif
