/*
 * communityid.c: Community ID v1 (see communityid.h). SHA-1 and base64
 * come from libcrypto, which the webhook's signatures use already. It is
 * computed when an event is written, never per packet.
 */
#include <openssl/evp.h>
#include <string.h>

#include "communityid.h"

/* ICMP types that have a counterpart: a request and its reply map to
 * each other, so both directions give one ID. */
static int
icmp_counterpart(uint8_t proto, uint16_t type, uint16_t *other)
{
	static const uint8_t v4[][2] = {
		{ 8, 0 }, { 0, 8 }, { 13, 14 }, { 14, 13 }, { 15, 16 },
		{ 16, 15 }, { 10, 9 }, { 9, 10 }, { 17, 18 }, { 18, 17 },
	};
	static const uint8_t v6[][2] = {
		{ 128, 129 }, { 129, 128 }, { 133, 134 }, { 134, 133 },
		{ 135, 136 }, { 136, 135 }, { 130, 131 }, { 131, 130 },
		{ 139, 140 }, { 140, 139 }, { 144, 145 }, { 145, 144 },
	};
	const uint8_t (*map)[2] = proto == 1 ? v4 : v6;
	size_t i, n = proto == 1 ? sizeof(v4) / sizeof(v4[0]) :
	    sizeof(v6) / sizeof(v6[0]);

	for (i = 0; i < n; i++) {
		if (map[i][0] == type) {
			*other = map[i][1];
			return 1;
		}
	}
	return 0;
}

static int
is_v4(const uint8_t a[16])
{
	static const uint8_t prefix[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	    0xff, 0xff };

	return memcmp(a, prefix, sizeof(prefix)) == 0;
}

int
community_id_v1(uint16_t seed, uint8_t proto, const uint8_t src[16],
    const uint8_t dst[16], uint16_t sport, uint16_t dport, char *out,
    size_t outlen)
{
	uint8_t buf[2 + 16 + 16 + 2 + 4], digest[EVP_MAX_MD_SIZE];
	const uint8_t *a = src, *b = dst;
	uint16_t pa = sport, pb = dport;
	size_t alen = 16, n = 0;
	unsigned dlen = 0;
	int ports, one_way = 0, cmp;

	if (outlen < COMMUNITY_ID_MAX)
		return -1;
	if (is_v4(src) && is_v4(dst)) {
		a += 12;
		b += 12;
		alen = 4;
	}
	/* TCP, UDP and SCTP have ports; ICMP a type and a code. */
	ports = proto == 6 || proto == 17 || proto == 132 || proto == 1 ||
	    proto == 58;
	if (proto == 1 || proto == 58) {
		if (!icmp_counterpart(proto, sport, &pb))
			one_way = 1;	/* the code stays the second port */
	}
	cmp = memcmp(a, b, alen);
	if (!one_way && (cmp > 0 || (cmp == 0 && ports && pa > pb))) {
		const uint8_t *t = a;
		uint16_t tp = pa;

		a = b;
		b = t;
		pa = pb;
		pb = tp;
	}
	buf[n++] = (uint8_t)(seed >> 8);
	buf[n++] = (uint8_t)seed;
	memcpy(buf + n, a, alen);
	n += alen;
	memcpy(buf + n, b, alen);
	n += alen;
	buf[n++] = proto;
	buf[n++] = 0;
	if (ports) {
		buf[n++] = (uint8_t)(pa >> 8);
		buf[n++] = (uint8_t)pa;
		buf[n++] = (uint8_t)(pb >> 8);
		buf[n++] = (uint8_t)pb;
	}
	if (EVP_Digest(buf, n, digest, &dlen, EVP_sha1(), NULL) != 1 ||
	    dlen != 20)
		return -1;
	out[0] = '1';
	out[1] = ':';
	EVP_EncodeBlock((unsigned char *)out + 2, digest, (int)dlen);
	return 0;
}

void
community_id_tuple(uint16_t seed, const struct flow_tuple *t,
    char out[COMMUNITY_ID_MAX])
{
	int icmp = t->proto == 1 || t->proto == 58;

	/* An ICMP flow's ID is its first packet's: from its sender, with
	 * its type and code, which is the ID of every packet of an echo
	 * exchange (request and reply are counterparts). */
	if (community_id_v1(seed, t->proto, t->src, t->dst,
	    icmp ? t->icmp_type : t->sport, icmp ? t->icmp_code : t->dport,
	    out, COMMUNITY_ID_MAX) == -1)
		out[0] = '\0';
}
