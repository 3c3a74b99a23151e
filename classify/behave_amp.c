/*
 * behave_amp.c: reflection and amplification abuse from a VM, told by
 * what it asks and of how many servers: requests that exist to make a
 * large answer (DNS ANY, NTP monlist, memcached stats and gets, unicast
 * SSDP M-SEARCH, CLDAP searches, any chargen or QOTD datagram) sent to
 * amp_servers distinct servers within amp_window (10 in a minute: a
 * client uses one to three resolvers; US-CERT TA14-017A lists these
 * protocols). The servers are counted with a sketch per (vm, kind); the
 * spoofed victim is never seen, only the requests.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "behave.h"
#include "behave_int.h"
#include "bytes.h"
#include "lrutab.h"

enum amp_kind {
	AMP_DNS, AMP_NTP, AMP_MEMCACHED, AMP_SSDP, AMP_CLDAP, AMP_CHARGEN,
	AMP_QOTD, AMP_N
};

static const struct {
	const char *detector, *what;
	uint16_t port;
} amp_kinds[AMP_N] = {
	[AMP_DNS] = { "dns_amplification", "DNS ANY queries", 53 },
	[AMP_NTP] = { "ntp_amplification", "NTP monlist requests", 123 },
	[AMP_MEMCACHED] = { "memcached_amplification",
	    "memcached UDP requests", 11211 },
	[AMP_SSDP] = { "ssdp_amplification", "unicast SSDP M-SEARCHes", 1900 },
	[AMP_CLDAP] = { "cldap_amplification", "CLDAP searches", 389 },
	[AMP_CHARGEN] = { "chargen_amplification", "chargen datagrams", 19 },
	[AMP_QOTD] = { "qotd_amplification", "QOTD datagrams", 17 },
};

static int
dns_is_any(const uint8_t *p, size_t len)
{
	size_t off = 12;

	if (len < 12 || (p[2] & 0x80) != 0 || ((p[2] >> 3) & 0x0f) != 0 ||
	    be16(p + 4) == 0)
		return 0;
	while (off < len && p[off] != 0) {
		if ((p[off] & 0xc0) != 0)
			return 0;
		off += 1 + (size_t)p[off];
	}
	if (off >= len || len - off < 5)
		return 0;
	return be16(p + off + 1) == 255;
}

static int
cldap_is_search(const uint8_t *p, size_t len)
{
	size_t off, nlen;

	if (len < 2 || p[0] != 0x30)
		return 0;
	if (p[1] < 0x80)
		off = 2;
	else {
		nlen = p[1] & 0x7f;
		if (nlen == 0 || nlen > 4)
			return 0;
		off = 2 + nlen;
	}
	if (len < off + 2 || p[off] != 0x02 || p[off + 1] == 0 ||
	    p[off + 1] > 4)
		return 0;
	off += 2 + p[off + 1];
	return off < len && p[off] == 0x63;
}

static int
addr_is_multicast(const uint8_t *a)
{
	static const uint8_t v4mapped[12] = {
		0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff
	};

	if (memcmp(a, v4mapped, 12) == 0)
		return a[12] >= 224 && a[12] <= 239;
	return a[0] == 0xff;
}

/* The kind of amplification request p is, or -1. */
static int
amp_kind(const struct behave_pkt *p)
{
	const uint8_t *d = p->payload;
	size_t len = d != NULL ? p->payload_len : 0;

	switch (p->target_port) {
	case 53:
		return dns_is_any(d, len) ? AMP_DNS : -1;
	case 123:
		if (len >= 4 && (d[0] & 0x80) == 0 && (d[0] & 0x07) == 7 &&
		    (d[3] == 42 || d[3] == 20))
			return AMP_NTP;
		return -1;
	case 11211:
		if (len > 8 && (starts(d + 8, len - 8, "stats") ||
		    starts(d + 8, len - 8, "get ") ||
		    starts(d + 8, len - 8, "gets ")))
			return AMP_MEMCACHED;
		return -1;
	case 1900:
		if (starts(d, len, "M-SEARCH") && !addr_is_multicast(p->target))
			return AMP_SSDP;
		return -1;
	case 389:
		return cldap_is_search(d, len) ? AMP_CLDAP : -1;
	case 19:
		return AMP_CHARGEN;
	case 17:
		return AMP_QOTD;
	}
	return -1;
}

void
behave_amp_packet(struct behave *b, const struct behave_pkt *p,
    uint64_t htarget, struct behave_hit *hits, size_t max, size_t *n)
{
	struct amp_key k;
	struct amp_ent *e;
	struct behave_hit h;
	uint64_t distinct, elapsed, now = p->ts_us;
	int kind, fresh;
	char dur[32];

	if ((kind = amp_kind(p)) < 0)
		return;
	memset(&k, 0, sizeof(k));
	memcpy(k.vm, p->vm, 16);
	k.kind = (uint8_t)kind;
	e = lrutab_get(&b->amp, &b->key, &b->evicted, &k, 1, now, &fresh);
	if (fresh || (now >= e->start && now - e->start >= b->cfg.amp_window_us)) {
		e->start = now;
		e->requests = 0;
		e->bytes = 0;
		e->fired = 0;
		memset(e->servers, 0, sizeof(e->servers));
		e->nservers = 0;
	}
	add32(&e->requests, 1);
	e->bytes += p->wire_len;
	e->nservers += (uint16_t)sketch_add(e->servers, htarget);
	if (e->fired)
		return;
	distinct = sketch_estimate(b, e->nservers);
	if (distinct < b->cfg.amp_servers)
		return;
	elapsed = now > e->start ? now - e->start : 0;
	hit_init(&h, CAT_DOS, amp_kinds[kind].detector, p->vm, NULL, 17,
	    amp_kinds[kind].port);
	hit_figures(&h, elapsed, e->requests, e->bytes, e->requests, distinct,
	    distinct, b->cfg.amp_servers);
	behave_fmt_dur(dur, sizeof(dur), elapsed);
	snprintf(h.detail, sizeof(h.detail), "%u %s to %llu servers in %s",
	    e->requests, amp_kinds[kind].what, (unsigned long long)distinct,
	    dur);
	if (emit(b, &e->last, now, &h, hits, max, n))
		e->fired = 1;
}
