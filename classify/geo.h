/*
 * geo.h: country and autonomous system of an address, from MaxMind DB
 * files (GeoLite2/GeoIP2 Country or City, and ASN) read with libmaxminddb.
 * Either database may be absent; lookups then leave those fields empty.
 */
#ifndef EGRESSD_GEO_H
#define EGRESSD_GEO_H

#include <stddef.h>
#include <stdint.h>

struct geo;

struct geo_info {
	char country[3];	/* ISO 3166 alpha-2, "" when unknown */
	uint32_t asn;		/* 0 when unknown */
	char as_org[64];	/* autonomous_system_organization, "" when unknown */
};

/* Opens the databases (either path may be NULL). Returns NULL with a
 * message naming the file when one cannot be opened or is not the kind
 * expected. */
struct geo *geo_open(const char *country_db, const char *asn_db, char *err,
    size_t errlen);
void geo_close(struct geo *g);

/* Looks addr (16 bytes, IPv4-mapped for IPv4) up; returns 1 when anything
 * was found, 0 otherwise. Allocates nothing that outlives the call. */
int geo_lookup(struct geo *g, const uint8_t addr[16], struct geo_info *out);

#endif
