/*
 * cidr.c: parse, match and print address prefixes held in IPv4-mapped form.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "cidr.h"
#include "util.h"

static const uint8_t v4mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

int
addr_is_v4(const uint8_t addr[16])
{
	return memcmp(addr, v4mapped, sizeof(v4mapped)) == 0;
}

int
cidr_parse(const char *s, struct cidr *out)
{
	char host[INET6_ADDRSTRLEN + 1];
	const char *slash = strchr(s, '/');
	size_t hlen = slash ? (size_t)(slash - s) : strlen(s);
	long bits;
	int v4, i;

	if (hlen == 0 || hlen >= sizeof(host))
		return -1;
	memcpy(host, s, hlen);
	host[hlen] = '\0';
	memset(out, 0, sizeof(*out));
	if (inet_pton(AF_INET, host, out->addr + 12) == 1) {
		memcpy(out->addr, v4mapped, sizeof(v4mapped));
		v4 = 1;
	} else if (inet_pton(AF_INET6, host, out->addr) == 1) {
		v4 = 0;
	} else {
		return -1;
	}
	if (slash == NULL)
		bits = v4 ? 32 : 128;
	else if (parse_long(slash + 1, 0, v4 ? 32 : 128, &bits) == -1)
		return -1;
	out->bits = (uint8_t)(v4 ? bits + 96 : bits);
	for (i = out->bits; i < 128; i++)
		out->addr[i / 8] &= (uint8_t)~(0x80 >> (i % 8));
	return 0;
}

int
cidr_contains(const struct cidr *c, const uint8_t addr[16])
{
	int full = c->bits / 8, rest = c->bits % 8;

	if (memcmp(c->addr, addr, (size_t)full) != 0)
		return 0;
	if (rest == 0)
		return 1;
	return ((c->addr[full] ^ addr[full]) & (uint8_t)(0xff00 >> rest)) == 0;
}

void
addr_format(const uint8_t addr[16], char *buf, size_t len)
{
	if (addr_is_v4(addr)) {
		if (inet_ntop(AF_INET, addr + 12, buf, (socklen_t)len) == NULL)
			str_copy(buf, "?", len);
	} else if (inet_ntop(AF_INET6, addr, buf, (socklen_t)len) == NULL) {
		str_copy(buf, "?", len);
	}
}

void
cidr_format(const struct cidr *c, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN];
	int v4 = addr_is_v4(c->addr) && c->bits >= 96;

	addr_format(c->addr, a, sizeof(a));
	snprintf(buf, len, "%s/%d", a, v4 ? c->bits - 96 : c->bits);
}
