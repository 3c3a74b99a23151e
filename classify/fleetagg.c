/*
 * fleetagg.c: the fleet correlator: taking summaries and host verdicts in
 * (see fleetagg.h; the tables are fleetagg_int.h's, the judging
 * fleetagg_judge.c's).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "cidr.h"
#include "fleetagg_int.h"
#include "util.h"

struct fleetagg *
fleetagg_new(const struct fleetagg_cfg *cfg)
{
	struct fleetagg *a = xcalloc(1, sizeof(*a));
	size_t i, n = cfg->max_keys > 16 ? cfg->max_keys : 16;

	a->cfg = *cfg;
	if (a->cfg.shards == 0)
		a->cfg.shards = 1;
	if (siphash_key_random(&a->key) == -1)
		memset(&a->key, 0x3c, sizeof(a->key));
	tab_init(&a->agg, n, sizeof(struct agg), sizeof(struct agg_key));
	tab_init(&a->acc, n, sizeof(struct acc), sizeof(struct acc_key));
	tab_init(&a->seen, n, sizeof(struct seen), sizeof(struct seen_key));
	a->contribs = xcalloc(2 * n + 1, sizeof(*a->contribs));
	for (i = 1; i <= 2 * n; i++)
		a->contribs[i].next = i < 2 * n ? (uint32_t)(i + 1) :
		    CONTRIB_NONE;
	a->contrib_free = 1;
	return a;
}

void
fleetagg_free(struct fleetagg *a)
{
	if (a == NULL)
		return;
	tab_free(&a->agg);
	tab_free(&a->acc);
	tab_free(&a->seen);
	free(a->contribs);
	free(a);
}

/* ---- taking summaries in ---- */

static int
proto_num(const char *s)
{
	long n;

	if (s == NULL)
		return -1;
	if (strcmp(s, "TCP") == 0)
		return 6;
	if (strcmp(s, "UDP") == 0)
		return 17;
	if (strcmp(s, "ICMP") == 0)
		return 1;
	if (strcmp(s, "ICMPv6") == 0)
		return 58;
	return parse_long(s, 0, 255, &n) == 0 ? (int)n : -1;
}

static uint64_t
num(const json_t *o, const char *key)
{
	json_int_t v = json_integer_value(json_object_get(o, key));

	return v > 0 ? (uint64_t)v : 0;
}

static int
parse_addr(const char *s, uint8_t out[16])
{
	struct cidr c;

	if (s == NULL || strchr(s, '/') != NULL || cidr_parse(s, &c) == -1)
		return -1;
	memcpy(out, c.addr, 16);
	return 0;
}

/* The shard a tenant belongs to: the same in every instance. */
static unsigned
shard_of(const struct fleetagg *a, const char *tenant)
{
	return (unsigned)(sketch_hash(tenant, strlen(tenant)) % a->cfg.shards);
}

/* The acc entry of key for window w, its epoch restarted when it is over. */
static struct acc *
acc_get(struct fleetagg *a, const struct acc_key *k, uint64_t w)
{
	struct acc *e = tab_get(a, &a->acc, k, 1);
	uint64_t len = k->kind == ACC_LOGINS ? a->cfg.brute_window_us :
	    a->cfg.scan_window_us;

	if (e == NULL)
		return NULL;
	if (e->epoch == 0 || (w > e->epoch && w - e->epoch >= len)) {
		contrib_release(a, e->contrib);
		memset((unsigned char *)e + sizeof(e->k), 0,
		    sizeof(*e) - sizeof(e->k));
		e->epoch = w;
	}
	if (w > e->last)
		e->last = w;
	return e;
}

static void
bucket_add(uint64_t *dst, const json_t *arr)
{
	size_t i;

	for (i = 0; i < json_array_size(arr) && i < BUCKETS; i++) {
		json_int_t v = json_integer_value(json_array_get(arr, i));

		if (v > 0)
			dst[i] += (uint64_t)v;
	}
}

static void
take_row(struct fleetagg *a, const json_t *r, const char *host, uint64_t w,
    uint64_t interval_us, uint64_t bucket_us)
{
	const char *tenant = json_string_value(json_object_get(r, "tenant"));
	const char *vm = json_string_value(json_object_get(r, "vm"));
	const char *sk = json_string_value(json_object_get(r, "ports_sketch"));
	struct agg_key ak;
	struct acc_key ck;
	struct agg *g;
	struct acc *e;
	uint8_t vm_addr[16], target[16];
	uint64_t ports[SKETCH_WORDS], answered, replies, logins;
	uint16_t port;
	int proto, i;

	if (tenant == NULL)
		tenant = "";
	if (vm == NULL || parse_addr(json_string_value(json_object_get(r,
	    "vm_ip")), vm_addr) == -1 || parse_addr(json_string_value(
	    json_object_get(r, "target")), target) == -1 ||
	    (proto = proto_num(json_string_value(json_object_get(r,
	    "proto")))) == -1) {
		a->st.bad++;
		return;
	}
	if (shard_of(a, tenant) != a->cfg.shard) {
		a->st.other_shard++;
		return;
	}
	a->st.rows++;
	port = (uint16_t)num(r, "port");
	answered = num(r, "answered");
	replies = num(r, "replies");
	logins = num(r, "logins");

	memset(&ak, 0, sizeof(ak));
	ak.window = w;
	str_copy(ak.tenant, tenant, sizeof(ak.tenant));
	memcpy(ak.target, target, 16);
	ak.proto = (uint8_t)proto;
	if ((g = tab_get(a, &a->agg, &ak, 1)) != NULL) {
		if (g->interval_us == 0) {
			g->interval_us = interval_us;
			g->bucket_us = bucket_us;
		}
		bucket_add(g->syns_b, json_object_get(r, "syns_b"));
		bucket_add(g->pkts_b, json_object_get(r, "pkts_b"));
		if (g->judged) {
			g->judged = 0;
			a->st.rejudged++;
		}
		g->syns += num(r, "syns");
		g->pkts += num(r, "pkts");
		g->answered += answered;
		g->replies += replies;
		contrib_add(a, &g->contrib, &g->ncontrib, vm, host, vm_addr);
	}

	memset(&ck, 0, sizeof(ck));
	str_copy(ck.tenant, tenant, sizeof(ck.tenant));
	ck.proto = (uint8_t)proto;
	/* The ports tried on this target without an answer. */
	memset(ports, 0, sizeof(ports));
	if (sk == NULL || sketch_from_text(sk, ports) == -1) {
		if (num(r, "unanswered_ports") == 1)
			sketch_add(ports, sketch_hash(&port, sizeof(port)));
	}
	if (sketch_bits_set(ports) > 0 && (proto == 6 || proto == 17)) {
		ck.kind = ACC_PORTS;
		memcpy(ck.target, target, 16);
		if ((e = acc_get(a, &ck, w)) != NULL) {
			for (i = 0; i < SKETCH_WORDS; i++)
				e->sketch[i] |= ports[i];
			contrib_add(a, &e->contrib, &e->ncontrib, vm, host,
			    vm_addr);
		}
		memset(ck.target, 0, 16);
	}
	/* A target that never answered, on its port: no SYN-ACK (a RST
	 * leaves a probe unanswered, as on a host), no UDP or ICMP reply. */
	if (answered == 0) {
		ck.kind = ACC_HOSTS;
		ck.port = port;
		if ((e = acc_get(a, &ck, w)) != NULL) {
			sketch_add(e->sketch, sketch_hash(target, 16));
			e->pkts += num(r, "pkts");
			contrib_add(a, &e->contrib, &e->ncontrib, vm, host,
			    vm_addr);
		}
	}
	if (logins > 0) {
		ck.kind = ACC_LOGINS;
		ck.proto = (uint8_t)proto;
		ck.port = (uint16_t)num(r, "login_port");
		memcpy(ck.target, target, 16);
		if ((e = acc_get(a, &ck, w)) != NULL) {
			e->logins += logins;
			e->pkts += num(r, "pkts");
			contrib_add(a, &e->contrib, &e->ncontrib, vm, host,
			    vm_addr);
		}
	}
}

int
fleetagg_summary(struct fleetagg *a, const char *json, size_t len,
    uint64_t *window_us, char *err, size_t errlen)
{
	json_t *o = json_loadb(json, len, 0, NULL), *rows;
	const char *host = json_string_value(json_object_get(o, "host"));
	uint64_t w = num(o, "start_us"), iv = num(o, "interval_us"),
	    bu = num(o, "bucket_us");
	size_t i;

	if (o == NULL || host == NULL || w == 0 || iv == 0 || bu == 0 ||
	    !json_is_array(rows = json_object_get(o, "rows"))) {
		json_decref(o);
		a->st.bad++;
		snprintf(err, errlen, "not a fleet summary");
		return -1;
	}
	a->st.summaries++;
	*window_us = w;
	if (w + a->cfg.retain_us < a->latest) {
		a->st.late += json_array_size(rows);
		json_decref(o);
		return 0;
	}
	if (w > a->latest)
		a->latest = w;
	a->interval_us = iv;
	for (i = 0; i < json_array_size(rows); i++)
		take_row(a, json_array_get(rows, i), host, w, iv, bu);
	json_decref(o);
	return 0;
}

uint64_t
fleetagg_latest(const struct fleetagg *a, uint64_t *interval_us)
{
	*interval_us = a->interval_us;
	return a->latest;
}

/* ---- what was reported ---- */

static uint64_t
parse_ts(const char *s)
{
	struct tm tm;
	int us = 0;

	if (s == NULL)
		return 0;
	memset(&tm, 0, sizeof(tm));
	if (sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d.%6dZ", &tm.tm_year, &tm.tm_mon,
	    &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &us) < 6)
		return 0;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	return (uint64_t)timegm(&tm) * 1000000ULL + (uint64_t)us;
}

void
seen_key_of(struct seen_key *k, enum policy_category cat, const char *tenant,
    const uint8_t *target, int fleet)
{
	memset(k, 0, sizeof(*k));
	k->category = (uint8_t)cat;
	str_copy(k->tenant, tenant, sizeof(k->tenant));
	if (target != NULL)
		memcpy(k->target, target, 16);
	k->fleet = (uint8_t)fleet;
}

void
fleetagg_host_verdict(struct fleetagg *a, const char *json, size_t len)
{
	json_t *o = json_loadb(json, len, 0, NULL);
	const char *tenant = json_string_value(json_object_get(o, "tenant"));
	const char *tgt = json_string_value(json_object_get(
	    json_object_get(o, "evidence"), "target"));
	const char *catname = json_string_value(json_object_get(o,
	    "category"));
	enum policy_category cat = catname != NULL ?
	    policy_category_parse(catname) : CAT_N;
	uint8_t target[16];
	struct seen_key k;
	struct seen *s;
	uint64_t ts = parse_ts(json_string_value(json_object_get(o,
	    "timestamp")));

	if (tgt == NULL)
		tgt = json_string_value(json_object_get(o, "dest_ip"));
	if (o != NULL && ts != 0 && cat != CAT_NONE && cat != CAT_N &&
	    parse_addr(tgt, target) == 0) {
		a->st.host_verdicts++;
		seen_key_of(&k, cat, tenant != NULL ? tenant : "", target, 0);
		if ((s = tab_get(a, &a->seen, &k, 1)) != NULL && ts > s->ts_us)
			s->ts_us = ts;
	}
	json_decref(o);
}

int
seen_near(struct fleetagg *a, enum policy_category cat, const char *tenant,
    const uint8_t *target, int fleet, uint64_t from, uint64_t to)
{
	struct seen_key k;
	struct seen *s;

	seen_key_of(&k, cat, tenant, target, fleet);
	if ((s = tab_get(a, &a->seen, &k, 0)) == NULL)
		return 0;
	return s->ts_us + a->cfg.suppress_us >= from &&
	    s->ts_us <= to + a->cfg.suppress_us;
}
