/*
 * cidr.h: address prefixes for IPv4 and IPv6 in one form. IPv4 addresses are
 * held IPv4-mapped (::ffff:a.b.c.d) everywhere in egressd, so one 16-byte
 * compare serves both families and a v4 prefix /n is a mapped prefix /96+n.
 */
#ifndef EGRESSD_CIDR_H
#define EGRESSD_CIDR_H

#include <stddef.h>
#include <stdint.h>

struct cidr {
	uint8_t addr[16];	/* network address, host bits cleared */
	uint8_t bits;		/* prefix length in the 128-bit mapped space */
};

/* Parses "a.b.c.d[/n]" or "x::y[/n]"; returns 0 or -1. */
int cidr_parse(const char *s, struct cidr *out);
int cidr_contains(const struct cidr *c, const uint8_t addr[16]);
/* Writes the prefix as text ("10.0.0.0/8", "2001:db8::/32"). */
void cidr_format(const struct cidr *c, char *buf, size_t len);

/* Writes an address held in mapped form as plain v4 or v6 text. */
void addr_format(const uint8_t addr[16], char *buf, size_t len);
int addr_is_v4(const uint8_t addr[16]);

#endif
