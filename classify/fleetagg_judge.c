/*
 * fleetagg_judge.c: the fleet correlator's judgement of closed windows
 * and longer epochs (see fleetagg.h, fleetagg_int.h).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cidr.h"
#include "fleetagg_int.h"
#include "util.h"

static const struct siphash_key id_key[2] = {
	{ 0x666c656574206964ULL, 0x2d6f6e652d686176ULL },
	{ 0x666c656574206964ULL, 0x2d74776f2d686176ULL },
};

/* The same id in every fleet instance, for the same finding. */
static void
make_id(struct fleet_hit *h, uint64_t epoch)
{
	char buf[256];
	int n;

	n = snprintf(buf, sizeof(buf), "%s|%s|%s|%u|%u|%" PRIu64, h->detector,
	    h->tenant, h->tenants, h->proto, h->port, epoch);
	if (n < 0 || (size_t)n >= sizeof(buf))
		n = sizeof(buf) - 1;
	snprintf(h->verdict_id, sizeof(h->verdict_id), "%016" PRIx64 "%016"
	    PRIx64, siphash13(&id_key[0], buf, (size_t)n) ^
	    siphash13(&id_key[0], h->target, 16),
	    siphash13(&id_key[1], buf, (size_t)n) ^
	    siphash13(&id_key[1], h->target, 16));
}

/* Reports h unless a host or the fleet already did; returns whether. */
static int
report(struct fleetagg *a, struct fleet_hit *h, uint64_t epoch,
    fleetagg_hit_fn fn, void *arg)
{
	const uint8_t *t = h->has_target ? h->target : NULL;
	uint64_t from = h->window_start_us, to = from + h->window_us;
	struct seen_key k;
	struct seen *s;

	if (h->tenant[0] != '\0' &&
	    seen_near(a, h->category, h->tenant, t, 0, from, to)) {
		a->st.withheld_host++;
		return 0;
	}
	if (seen_near(a, h->category, h->tenant, t, 1, from, to)) {
		a->st.withheld_repeat++;
		return 0;
	}
	seen_key_of(&k, h->category, h->tenant, t, 1);
	if ((s = tab_get(a, &a->seen, &k, 1)) != NULL && to > s->ts_us)
		s->ts_us = to;
	make_id(h, epoch);
	a->st.hits++;
	fn(h, arg);
	return 1;
}

static void
hit_start(struct fleet_hit *h, enum policy_category cat, const char *det,
    const char *tenant, const uint8_t *target, uint8_t proto, uint16_t port)
{
	memset(h, 0, sizeof(*h));
	h->category = cat;
	h->detector = det;
	str_copy(h->tenant, tenant, sizeof(h->tenant));
	if (target != NULL) {
		memcpy(h->target, target, 16);
		h->has_target = 1;
	}
	h->proto = proto;
	h->port = port;
}

/* The busiest flood bucket of an entry's counts: its count. */
static uint64_t
busiest(const uint64_t *b)
{
	uint64_t m = 0;
	unsigned i;

	for (i = 0; i < BUCKETS; i++)
		if (b[i] > m)
			m = b[i];
	return m;
}

/* What a flood detector needs of a sum: the detector, its count per
 * second in the busiest bucket, and whether that is a flood. */
static const char *
flood_of(const struct fleetagg *a, uint8_t proto, const uint64_t *syns_b,
    const uint64_t *pkts_b, uint64_t syns, uint64_t answered,
    uint64_t pkts, uint64_t replies, uint64_t bucket_us, double *rate,
    uint64_t *count)
{
	double secs = (double)(bucket_us > 0 ? bucket_us : 1000000) / 1e6;

	if (proto == 6) {
		*count = syns;
		*rate = (double)busiest(syns_b) / secs;
		if (*rate >= (double)a->cfg.syn_flood_pps && syns > 0 &&
		    (double)answered <= a->cfg.syn_flood_completion *
		    (double)syns)
			return "fleet_syn_flood";
	} else if (proto == 17) {
		*count = pkts;
		*rate = (double)busiest(pkts_b) / secs;
		/* Mostly unanswered: a service that answers is used. */
		if (*rate >= (double)a->cfg.udp_flood_pps && replies * 10 < pkts)
			return "fleet_udp_flood";
	} else if (proto == 1 || proto == 58) {
		*count = pkts;
		*rate = (double)busiest(pkts_b) / secs;
		if (*rate >= (double)a->cfg.icmp_flood_pps)
			return "fleet_icmp_flood";
	}
	return NULL;
}

static void
phrase_target(const struct fleet_hit *h, char *buf, size_t len)
{
	char addr[64];

	addr_format(h->target, addr, sizeof(addr));
	if (h->port != 0)
		snprintf(buf, len, "%s%s%s:%u", strchr(addr, ':') ? "[" : "",
		    addr, strchr(addr, ':') ? "]" : "", h->port);
	else
		snprintf(buf, len, "%s", addr);
}

/* The floods of one window's (tenant, target, protocol) sums. */
static void
judge_floods(struct fleetagg *a, const uint32_t *idx, size_t n,
    fleetagg_hit_fn fn, void *arg)
{
	struct fleet_hit h;
	const char *det;
	char tgt[80];
	double rate;
	uint64_t count;
	size_t i;

	for (i = 0; i < n; i++) {
		struct agg *g = ent(&a->agg, idx[i]);

		/* judged already, and no row since */
		if (g->judged || contrib_vms(a, g->contrib, g->ncontrib) < 2 ||
		    (det = flood_of(a, g->k.proto, g->syns_b, g->pkts_b,
		    g->syns, g->answered, g->pkts, g->replies, g->bucket_us,
		    &rate, &count)) == NULL)
			continue;
		hit_start(&h, CAT_DOS, det, g->k.tenant, g->k.target,
		    g->k.proto, 0);
		h.window_start_us = g->k.window;
		h.window_us = g->interval_us;
		h.packets = g->pkts;
		h.count = count;
		h.completed = g->answered;
		h.rate_pps = rate;
		contrib_name(a, g->contrib, &h);
		phrase_target(&h, tgt, sizeof(tgt));
		snprintf(h.detail, sizeof(h.detail), "%u VMs on %u hosts, "
		    "%.0f/s to %s in the busiest %s, %" PRIu64 " in all, %"
		    PRIu64 " answered; each VM and host below the flood rate "
		    "alone", h.nvms, h.nhosts, rate, tgt, g->bucket_us ==
		    1000000 ? "second" : "flood window", count, g->answered);
		report(a, &h, g->k.window, fn, arg);
	}
}

static int
cmp_target(const void *x, const void *y, void *arg)
{
	const struct fleetagg *a = arg;
	const struct agg *g = ent(&a->agg, *(const uint32_t *)x);
	const struct agg *h = ent(&a->agg, *(const uint32_t *)y);
	int c = memcmp(g->k.target, h->k.target, 16);

	return c != 0 ? c : (int)g->k.proto - (int)h->k.proto;
}

/* Several tenants flooding one target together, none alone. */
static void
judge_tenants(struct fleetagg *a, uint32_t *idx, size_t n,
    fleetagg_hit_fn fn, void *arg)
{
	struct fleet_hit h;
	uint64_t syns_b[BUCKETS], pkts_b[BUCKETS], syns, answered, pkts,
	    replies, count;
	size_t i, j, k;
	unsigned b;
	double rate;
	const char *det;
	char tgt[80];
	int alone, fresh;

	qsort_r(idx, n, sizeof(*idx), cmp_target, a);
	for (i = 0; i < n; i = j) {
		const struct agg *g0 = ent(&a->agg, idx[i]);

		memset(syns_b, 0, sizeof(syns_b));
		memset(pkts_b, 0, sizeof(pkts_b));
		syns = answered = pkts = replies = 0;
		alone = 0;
		fresh = 0;
		for (j = i; j < n && cmp_target(&idx[i], &idx[j], a) == 0; j++) {
			const struct agg *g = ent(&a->agg, idx[j]);

			for (b = 0; b < BUCKETS; b++) {
				syns_b[b] += g->syns_b[b];
				pkts_b[b] += g->pkts_b[b];
			}
			syns += g->syns;
			answered += g->answered;
			pkts += g->pkts;
			replies += g->replies;
			fresh |= !g->judged;
			alone |= flood_of(a, g->k.proto, g->syns_b, g->pkts_b,
			    g->syns, g->answered, g->pkts, g->replies,
			    g->bucket_us, &rate, &count) != NULL;
		}
		if (j - i < 2 || alone || !fresh || (det = flood_of(a, g0->k.proto,
		    syns_b, pkts_b, syns, answered, pkts, replies,
		    g0->bucket_us, &rate, &count)) == NULL)
			continue;
		hit_start(&h, CAT_DOS, det, "", g0->k.target, g0->k.proto, 0);
		h.detector = strcmp(det, "fleet_syn_flood") == 0 ?
		    "fleet_tenants_syn_flood" : strcmp(det, "fleet_udp_flood")
		    == 0 ? "fleet_tenants_udp_flood" : "fleet_tenants_icmp_flood";
		h.window_start_us = g0->k.window;
		h.window_us = g0->interval_us;
		h.packets = pkts;
		h.count = count;
		h.completed = answered;
		h.rate_pps = rate;
		for (k = i; k < j; k++) {
			const struct agg *g = ent(&a->agg, idx[k]);

			name_add(h.tenants, sizeof(h.tenants), &h.ntenants,
			    g->k.tenant[0] != '\0' ? g->k.tenant : "(none)");
			contrib_name(a, g->contrib, &h);
		}
		phrase_target(&h, tgt, sizeof(tgt));
		snprintf(h.detail, sizeof(h.detail), "%u tenants (%u VMs on %u "
		    "hosts), %.0f/s to %s in the busiest flood window, %" PRIu64
		    " in all; no tenant at the flood rate alone", h.ntenants,
		    h.nvms, h.nhosts, rate, tgt, count);
		report(a, &h, g0->k.window, fn, arg);
	}
}

/* Scans and guessing over their longer epochs, once each per epoch. */
static void
judge_acc(struct fleetagg *a, uint64_t before, fleetagg_hit_fn fn, void *arg)
{
	struct fleet_hit h;
	uint64_t n, len;
	uint32_t i;
	char tgt[80];

	for (i = 0; i < a->acc.cap; i++) {
		struct acc *e = ent(&a->acc, i);

		if (e->epoch == 0 || e->reported || e->epoch >= before ||
		    contrib_vms(a, e->contrib, e->ncontrib) < 2)
			continue;
		if (e->k.kind == ACC_PORTS) {
			n = sketch_estimate_bits(sketch_bits_set(e->sketch));
			if (n < a->cfg.scan_ports)
				continue;
			hit_start(&h, CAT_SCAN, "fleet_port_scan",
			    e->k.tenant, e->k.target, e->k.proto, 0);
		} else if (e->k.kind == ACC_HOSTS) {
			n = sketch_estimate_bits(sketch_bits_set(e->sketch));
			if (n < a->cfg.scan_hosts)
				continue;
			hit_start(&h, CAT_SCAN, "fleet_address_scan",
			    e->k.tenant, NULL, e->k.proto, e->k.port);
		} else {
			n = e->logins;
			if (n < a->cfg.brute_attempts)
				continue;
			hit_start(&h, CAT_BRUTEFORCE,
			    "fleet_password_guessing", e->k.tenant,
			    e->k.target, e->k.proto, e->k.port);
		}
		len = e->k.kind == ACC_LOGINS ? a->cfg.brute_window_us :
		    a->cfg.scan_window_us;
		h.window_start_us = e->epoch;
		h.window_us = e->last + a->interval_us - e->epoch;
		if (h.window_us > len)
			h.window_us = len;
		h.count = n;
		h.distinct = e->k.kind == ACC_LOGINS ? 0 : n;
		h.packets = e->pkts;
		contrib_name(a, e->contrib, &h);
		if (h.has_target)
			phrase_target(&h, tgt, sizeof(tgt));
		if (e->k.kind == ACC_PORTS)
			snprintf(h.detail, sizeof(h.detail), "%u VMs on %u hosts "
			    "tried about %" PRIu64 " ports of %s without an "
			    "answer", h.nvms, h.nhosts, n, tgt);
		else if (e->k.kind == ACC_HOSTS)
			snprintf(h.detail, sizeof(h.detail), "%u VMs on %u hosts "
			    "probed about %" PRIu64 " hosts on port %u without "
			    "an answer", h.nvms, h.nhosts, n, e->k.port);
		else
			snprintf(h.detail, sizeof(h.detail), "%u VMs on %u hosts "
			    "made %" PRIu64 " login attempts on %s", h.nvms,
			    h.nhosts, n, tgt);
		(void)report(a, &h, e->epoch, fn, arg);
		e->reported = 1;	/* withheld or not: once an epoch */
	}
	/* Epochs over by before are forgotten. */
	for (i = 0; i < a->acc.cap; i++) {
		struct acc *e = ent(&a->acc, i);

		len = e->k.kind == ACC_LOGINS ? a->cfg.brute_window_us :
		    a->cfg.scan_window_us;
		if (e->epoch != 0 && e->epoch + len <= before &&
		    before != UINT64_MAX)
			tab_del(a, &a->acc, i, offsetof(struct acc, contrib));
	}
}

static int
cmp_u64(const void *x, const void *y)
{
	uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;

	return a < b ? -1 : a > b;
}

void
fleetagg_close(struct fleetagg *a, uint64_t before, fleetagg_hit_fn fn,
    void *arg)
{
	uint64_t *wins;
	uint32_t *idx, i;
	size_t nw = 0, n, w;

	wins = xcalloc(a->agg.used + 1, sizeof(*wins));
	idx = xcalloc(a->agg.used + 1, sizeof(*idx));
	for (i = 0; i < a->agg.cap; i++) {
		struct agg *g = ent(&a->agg, i);

		if (g->interval_us != 0 && !g->judged && g->k.window < before)
			wins[nw++] = g->k.window;
	}
	qsort(wins, nw, sizeof(*wins), cmp_u64);
	for (w = 0; w < nw; w++) {
		if (w > 0 && wins[w] == wins[w - 1])
			continue;
		for (n = 0, i = 0; i < a->agg.cap; i++) {
			struct agg *g = ent(&a->agg, i);

			if (g->interval_us != 0 && g->k.window == wins[w])
				idx[n++] = i;
		}
		judge_floods(a, idx, n, fn, arg);
		judge_tenants(a, idx, n, fn, arg);
		for (i = 0; i < n; i++)
			((struct agg *)ent(&a->agg, idx[i]))->judged = 1;
		a->st.windows++;
	}
	/* Judged windows past retain_us are forgotten. */
	for (i = 0; i < a->agg.cap; i++) {
		struct agg *g = ent(&a->agg, i);

		if (g->interval_us != 0 && g->judged &&
		    g->k.window + a->cfg.retain_us < a->latest)
			tab_del(a, &a->agg, i, offsetof(struct agg, contrib));
	}
	judge_acc(a, before, fn, arg);
	/* Verdicts too old to withhold anything judged from now on. */
	for (i = 0; before != UINT64_MAX && i < a->seen.cap; i++) {
		struct seen *s = ent(&a->seen, i);

		if (s->ts_us != 0 && s->ts_us + 2 * a->cfg.suppress_us +
		    a->interval_us < before)
			tab_del(a, &a->seen, i, 0);
	}
	free(wins);
	free(idx);
}

void
fleetagg_stats(const struct fleetagg *a, struct fleetagg_stats *st)
{
	*st = a->st;
}
