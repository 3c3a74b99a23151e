/*
 * verdict.c: the one verdict builder. A verdict is about a flow (the
 * evidence that decided it: nDPI, a signature, a heuristic) or about a
 * behaviour detector's finding (a VM and a target or a service, over a
 * window); both get their id, the VM's attribution from the inventory,
 * the peer's GeoIP, the action and the reason's opening "VM x is ...: "
 * here, written once. What differs (the id's input, the evidence fields
 * and the rest of the reason) is filled by a helper of each kind.
 *
 * Ids are stable across replays: a flow verdict's digests the flow's id,
 * first packet time and category; a behaviour verdict's the VM, target,
 * port, protocol, category and time. The two kinds use different keys,
 * so their ids never meet.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "behave.h"
#include "classify_int.h"
#include "communityid.h"
#include "dpi.h"
#include "geo.h"
#include "heur.h"
#include "inventory.h"
#include "sig.h"
#include "siphash.h"
#include "util.h"

static const char *const ev_source_names[EV_SOURCE_N] = {
	"none", "ndpi", "signature", "heuristic", "behaviour",
};

static void
format_endpoint(const uint8_t *addr, uint16_t port, uint8_t proto, char *buf,
    size_t len)
{
	char a[64];

	addr_format(addr, a, sizeof(a));
	if (proto != 6 && proto != 17 && proto != 132)
		snprintf(buf, len, "%s", a);
	else if (addr_is_v4(addr))
		snprintf(buf, len, "%s:%u", a, port);
	else
		snprintf(buf, len, "[%s]:%u", a, port);
}

/* Fills the verdict's VM fields, and writes how a sentence names the VM
 * ("vm-7f3a (10.1.2.3)" or "10.1.2.3") into name. */
static void
attribute(const struct classify *c, struct verdict *v, const uint8_t *addr,
    char *name, size_t len)
{
	const struct inventory_vm *vm = NULL;
	char a[64];

	memcpy(v->vm_addr, addr, 16);
	addr_format(addr, a, sizeof(a));
	if (c->inv != NULL)
		vm = inventory_lookup(c->inv, addr);
	if (vm == NULL) {
		str_copy(v->vm, a, sizeof(v->vm));
		str_copy(name, a, len);
		return;
	}
	str_copy(v->vm, vm->vm_id, sizeof(v->vm));
	str_copy(v->tenant, vm->tenant, sizeof(v->tenant));
	str_copy(v->labels, vm->labels, sizeof(v->labels));
	snprintf(name, len, "%s (%s)", vm->vm_id, a);
}

/* Two SipHash digests of in, as 32 hex digits. */
static void
make_id(char *out, size_t len, const struct siphash_key key[2],
    const void *in, size_t inlen)
{
	snprintf(out, len, "%016" PRIx64 "%016" PRIx64,
	    siphash24(&key[0], in, inlen), siphash24(&key[1], in, inlen));
}

/* ---- a flow's verdict ---- */

static void
flow_id_of(const struct flow *f, enum policy_category cat, char *out,
    size_t len)
{
	static const struct siphash_key key[2] = {
		{ 0x7665726469637430ULL, 1 }, { 0x7665726469637431ULL, 2 },
	};
	uint64_t in[3];

	in[0] = flow_id(f);
	in[1] = f->first_us;
	in[2] = cat;
	make_id(out, len, key, in, sizeof(in));
}

/* The evidence fields of a flow's verdict. */
static void
flow_facts(const struct classify *c, const struct flow *f,
    const struct evidence *ev, struct verdict *v)
{
	unsigned i;

	dpi_name(c->dpi, f->cls.master_proto, f->cls.app_proto, v->app_proto,
	    sizeof(v->app_proto));
	str_copy(v->server_name, c->cur_host != NULL ? c->cur_host :
	    f->cls.server_name, sizeof(v->server_name));
	if (f->cls.app_proto != 0 || f->cls.master_proto != 0) {
		str_copy(v->ndpi_category, dpi_category_name(c->dpi,
		    f->cls.ndpi_category), sizeof(v->ndpi_category));
		v->dpi_confidence = dpi_confidence_name(f->cls.dpi_confidence);
	}
	for (i = 0; i < f->cls.nsigs && i < VERDICT_MAX_SIGS; i++) {
		const struct sig_rule *r = sigset_rule(c->sigs, f->cls.sigs[i]);

		str_copy(v->sigs[i].id, r->id, sizeof(v->sigs[i].id));
		str_copy(v->sigs[i].msg, r->msg, sizeof(v->sigs[i].msg));
		v->nsigs++;
	}
	if (ev->source == EV_HEURISTIC) {
		str_copy(v->heuristic, ev->hit->name, sizeof(v->heuristic));
		str_copy(v->heuristic_detail, ev->hit->detail,
		    sizeof(v->heuristic_detail));
	} else if (f->cls.heur_name != 0) {
		str_copy(v->heuristic, c->heur_names[f->cls.heur_name - 1],
		    sizeof(v->heuristic));
	}
	v->has_flow = 1;
	v->flow_id = flow_id(f);
	tuple_of(f, &v->t);
	community_id_tuple((uint16_t)c->cfg->community_id_seed, &v->t,
	    v->community_id);
}

/* What the evidence says, as the part of the reason after "VM x is ...: ". */
static void
describe(const struct evidence *ev, const struct verdict *v, char *buf,
    size_t len)
{
	switch (ev->source) {
	case EV_SIGNATURE:
		snprintf(buf, len, "%s [%s]", ev->rule->msg, ev->rule->id);
		break;
	case EV_HEURISTIC:
		if (ev->hit->detail[0] != '\0')
			snprintf(buf, len, "%s %s", ev->hit->name, ev->hit->detail);
		else
			snprintf(buf, len, "%s", ev->hit->name);
		break;
	default:
		snprintf(buf, len, "%s", v->app_proto);
		break;
	}
}

/* The reason after its opening: what was seen, with whom, and how sure. */
static void
flow_reason(const struct flow *f, const struct evidence *ev, int side,
    const struct verdict *v, char *buf, size_t len)
{
	char peer[96], what[256], how[64];

	describe(ev, v, what, sizeof(what));
	how[0] = '\0';
	if (ev->source == EV_NDPI && f->cls.dpi_confidence == DPI_CONF_PORT)
		str_copy(how, " (guessed from the port only)", sizeof(how));
	else if (ev->source == EV_NDPI && f->cls.dpi_confidence == DPI_CONF_CACHE)
		str_copy(how, " (by nDPI's memory of earlier flows with this peer)",
		    sizeof(how));
	format_endpoint(v->peer, side == 0 ? v->t.dport : v->t.sport,
	    v->t.proto, peer, sizeof(peer));
	if (side == 0) {
		if (v->server_name[0] != '\0')
			snprintf(buf, len, "%s to %s (%s)%s", what,
			    v->server_name, peer, how);
		else
			snprintf(buf, len, "%s to %s%s", what, peer, how);
	} else if (f->cls.either_side && !f->cls.opener_is_server) {
		snprintf(buf, len, "%s with %s (which sent first)%s", what, peer,
		    how);
	} else if (f->cls.opener_is_server) {
		snprintf(buf, len, "%s to %s (only the server's packets seen)%s",
		    what, peer, how);
	} else {
		snprintf(buf, len, "%s from %s to the VM's port %u%s", what, peer,
		    v->t.dport, how);
	}
}

/* ---- a behaviour detector's verdict ---- */

static void
behave_id_of(const struct behave_hit *h, uint64_t ts_us, char *out,
    size_t len)
{
	static const struct siphash_key key[2] = {
		{ 0x6265686176653030ULL, 3 }, { 0x6265686176653031ULL, 4 },
	};
	struct {
		uint8_t vm[16], target[16];
		uint64_t ts_us;
		uint16_t port;
		uint8_t cat, proto;
		uint32_t pad;
	} in;

	memset(&in, 0, sizeof(in));
	memcpy(in.vm, h->vm, 16);
	memcpy(in.target, h->target, 16);
	in.ts_us = ts_us;
	in.port = h->port;
	in.cat = (uint8_t)h->category;
	in.proto = h->proto;
	make_id(out, len, key, &in, sizeof(in));
}

/* What the detector measured. */
static void
behave_facts(const struct behave_hit *h, struct verdict *v)
{
	v->detector = h->detector;
	v->has_target = h->has_target;
	memcpy(v->target, h->target, 16);
	v->target_port = h->port;
	v->target_proto = h->proto;
	v->window_us = h->window_us;
	v->packets = h->packets;
	v->bytes = h->bytes;
	v->count = h->count;
	v->distinct = h->distinct;
	v->completed = h->completed;
	v->rate_pps = h->rate_pps;
}

static void
behave_reason(const struct behave_hit *h, char *buf, size_t len)
{
	char tgt[96];

	if (h->has_target) {
		format_endpoint(h->target, h->port, h->port != 0 ? 6 : 0, tgt,
		    sizeof(tgt));
		snprintf(buf, len, "%s against %s: %s", h->detector, tgt,
		    h->detail);
	} else {
		snprintf(buf, len, "%s: %s", h->detector, h->detail);
	}
}

/* ---- both ---- */

void
verdict_make(struct classify *c, const struct verdict_about *a, uint64_t ts_us)
{
	const struct flow *f = a->flow;
	enum ev_source source = f != NULL ? a->ev->source : EV_BEHAVIOUR;
	enum policy_category cat = f != NULL ? a->ev->category :
	    a->hit->category;
	const uint8_t *vm, *peer;
	struct verdict v;
	char vmname[128];
	int n;

	c->verdicts[cat]++;
	c->verdicts_by[source]++;
	if (c->out.verdict == NULL)
		return;
	memset(&v, 0, sizeof(v));
	v.ts_us = pktclock_capture_time(&c->clock, ts_us);
	v.category = cat;
	v.severity = policy_severity(cat);
	v.decided_by = ev_source_names[source];
	if (f != NULL) {
		flow_id_of(f, cat, v.verdict_id, sizeof(v.verdict_id));
		vm = a->side == 0 ? flow_src_addr(f) : flow_dst_addr(f);
		peer = a->side == 0 ? flow_dst_addr(f) : flow_src_addr(f);
		v.has_peer = 1;
		v.confidence = a->ev->confidence;
		flow_facts(c, f, a->ev, &v);
	} else {
		behave_id_of(a->hit, ts_us, v.verdict_id, sizeof(v.verdict_id));
		vm = a->hit->vm;
		peer = a->hit->target;
		v.has_peer = a->hit->has_target;
		v.confidence = a->hit->confidence;
		behave_facts(a->hit, &v);
	}
	attribute(c, &v, vm, vmname, sizeof(vmname));
	memcpy(v.peer, peer, 16);
	if (c->geo != NULL && v.has_peer) {
		struct geo_info gi;

		if (geo_lookup(c->geo, peer, &gi)) {
			v.asn = gi.asn;
			str_copy(v.as_org, gi.as_org, sizeof(v.as_org));
			str_copy(v.country, gi.country, sizeof(v.country));
		}
	}
	v.action = c->cfg->block_categories & (1u << cat) ? "block" : "alert";
	n = snprintf(v.reason, sizeof(v.reason), "VM %s %s: ", vmname,
	    policy_phrase(cat));
	if (n < 0 || (size_t)n >= sizeof(v.reason))
		n = (int)sizeof(v.reason) - 1;
	if (f != NULL)
		flow_reason(f, a->ev, a->side, &v, v.reason + n,
		    sizeof(v.reason) - (size_t)n);
	else
		behave_reason(a->hit, v.reason + n,
		    sizeof(v.reason) - (size_t)n);
	c->out.verdict(&v, c->out.arg);
}
