/*
 * nftset.h: adds addresses, with a timeout, to nftables sets through
 * libnftables, so that a rule dropping traffic from (or to) the set
 * enforces a block verdict. Sets are named "FAMILY TABLE SET", for example
 * "inet egressd blocked4"; the set must exist with type ipv4_addr (or
 * ipv6_addr for the IPv6 set) and "flags timeout". The command text is
 * built only from the checked set names and an address this program
 * formatted, never from packet bytes.
 *
 * Calls talk to the kernel over netlink and need CAP_NET_ADMIN: call them
 * from a delivery thread, never the packet path.
 */
#ifndef EGRESSD_NFTSET_H
#define EGRESSD_NFTSET_H

#include <stddef.h>
#include <stdint.h>

struct nftset;

/* set4 and set6 may each be "" (no set for that family), not both. Each
 * name must be three words of [A-Za-z0-9_.-], the first a family nftables
 * knows (ip, ip6, inet, bridge, arp, netdev). Checks that the sets exist
 * (nft list set). Returns NULL with a message, nftables' own included. */
struct nftset *nftset_new(const char *set4, const char *set6,
    uint64_t timeout_us, char *err, size_t errlen);
void nftset_free(struct nftset *n);

/* Adds addr (16 bytes, IPv4-mapped for IPv4) to the set of its family, or
 * refreshes its timeout when it is there. Returns 1 when added, 0 when no
 * set is configured for the family, -1 with nftables' message. */
int nftset_add(struct nftset *n, const uint8_t addr[16], char *err,
    size_t errlen);

#endif
