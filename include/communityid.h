/*
 * communityid.h: the Community ID of a flow, version 1 (the
 * corelight/community-id-spec), the hash Zeek, Suricata, Arkime and
 * Elastic put on their records so that one flow's records correlate
 * across tools. It is "1:" and the base64 of a SHA-1 over a 16-bit seed,
 * the two addresses and ports in a canonical order (so both directions
 * give one ID), the protocol and a zero byte. ICMP and ICMPv6 use the
 * type and code as ports, and a type with a reply type (echo and echo
 * reply, ...) counts as a two-way flow.
 */
#ifndef EGRESSD_COMMUNITYID_H
#define EGRESSD_COMMUNITYID_H

#include <stddef.h>
#include <stdint.h>

#include "event.h"

#define COMMUNITY_ID_MAX	32	/* "1:" + 28 base64 characters + NUL */

/* The ID of proto between src and dst (16 bytes each, IPv4-mapped for
 * IPv4); sport and dport are the ports, or for ICMP and ICMPv6 the type
 * and the code. Writes it into out; returns 0, or -1 when out is too
 * small. */
int community_id_v1(uint16_t seed, uint8_t proto, const uint8_t src[16],
    const uint8_t dst[16], uint16_t sport, uint16_t dport, char *out,
    size_t outlen);

/* The ID of a flow record's tuple into out (COMMUNITY_ID_MAX bytes); for
 * ICMP and ICMPv6, the ID of the flow's first packet (its type and code). */
void community_id_tuple(uint16_t seed, const struct flow_tuple *t,
    char out[COMMUNITY_ID_MAX]);

#endif
