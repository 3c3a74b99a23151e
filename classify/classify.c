/*
 * classify.c: the worker. Per packet: find the flow, feed nDPI while
 * detection runs, and when it ends map the protocol to a policy category and
 * make the verdict. See include/classify.h.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cidr.h"
#include "classify.h"
#include "dpi.h"
#include "flowtab.h"
#include "policy.h"
#include "siphash.h"
#include "util.h"

struct classify {
	const struct config *cfg;
	struct classify_out out;
	struct flowtab *ft;
	struct dpi *dpi;
	struct policy *policy;
	/* counters for stats */
	uint64_t packets, bytes;
	uint64_t dpi_final, dpi_giveup, dpi_live, dpi_live_max;
	uint64_t verdicts[CAT_N];
	uint64_t verdicts_not_vm;	/* a forbidden flow with no VM side */
};

static void on_flow_end(struct flow *f, enum flow_end why, void *arg);

struct classify *
classify_new(const struct config *cfg, const struct classify_out *out, char *err,
    size_t errlen)
{
	struct flowtab_cfg fc;
	struct classify *c;

	c = xcalloc(1, sizeof(*c));
	c->cfg = cfg;
	c->out = *out;
	if ((c->dpi = dpi_new(err, errlen)) == NULL)
		goto fail;
	if ((c->policy = policy_new(c->dpi, err, errlen)) == NULL)
		goto fail;
	memset(&fc, 0, sizeof(fc));
	fc.max_flows = cfg->max_flows;
	fc.timeout_us[FLOW_TC_TCP] = cfg->tcp_idle_timeout_us;
	fc.timeout_us[FLOW_TC_TCP_CLOSED] = cfg->tcp_closed_timeout_us;
	fc.timeout_us[FLOW_TC_UDP] = cfg->udp_idle_timeout_us;
	fc.timeout_us[FLOW_TC_OTHER] = cfg->other_idle_timeout_us;
	fc.on_end = on_flow_end;
	fc.arg = c;
	if ((c->ft = flowtab_new(&fc, err, errlen)) == NULL)
		goto fail;
	return c;
fail:
	classify_free(c);
	return NULL;
}

void
classify_free(struct classify *c)
{
	if (c == NULL)
		return;
	/* Flows still open hold nDPI state: end them without events. */
	if (c->ft != NULL) {
		c->out.verdict = NULL;
		c->out.flow = NULL;
		flowtab_flush(c->ft);
	}
	flowtab_free(c->ft);
	policy_free(c->policy);
	dpi_free(c->dpi);
	free(c);
}

size_t
classify_flow_record_size(void)
{
	return sizeof(struct flow) + sizeof(struct flow *);
}

size_t
classify_flow_dpi_size(void)
{
	return dpi_flow_state_size();
}

static void
tuple_of(const struct flow *f, struct flow_tuple *t)
{
	memcpy(t->src, flow_src_addr(f), 16);
	memcpy(t->dst, flow_dst_addr(f), 16);
	t->sport = flow_src_port(f);
	t->dport = flow_dst_port(f);
	t->proto = f->key.proto;
	t->vlan = f->key.vlan;
}

static int
in_vm_networks(const struct config *cfg, const uint8_t *a)
{
	size_t i;

	for (i = 0; i < cfg->n_vm_networks; i++)
		if (cidr_contains(&cfg->vm_networks[i], a))
			return 1;
	return 0;
}

/* Which side is the VM: 0 the opener, 1 the responder, -1 neither. */
static int
vm_side(const struct config *cfg, const struct flow *f)
{
	if (cfg->n_vm_networks == 0)
		return 0;
	if (in_vm_networks(cfg, flow_src_addr(f)))
		return 0;
	if (in_vm_networks(cfg, flow_dst_addr(f)))
		return 1;
	return -1;
}

static double
confidence_of(uint8_t dpi_conf)
{
	switch (dpi_conf) {
	case DPI_CONF_DPI: return 0.9;
	case DPI_CONF_CACHE: return 0.8;
	case DPI_CONF_IP: return 0.6;
	case DPI_CONF_PORT: return 0.4;
	}
	return 0.3;
}

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

static void
make_verdict(struct classify *c, struct flow *f, uint64_t ts_us)
{
	static const struct siphash_key idk0 = { 0x7665726469637430ULL, 1 };
	static const struct siphash_key idk1 = { 0x7665726469637431ULL, 2 };
	struct verdict v;
	char peer[96], vmaddr[64], how[48];
	const uint8_t *vm, *other;
	uint64_t in[3];
	int side;

	if (f->cls.verdict_made || f->cls.category == CAT_NONE)
		return;
	f->cls.verdict_made = 1;
	if ((side = vm_side(c->cfg, f)) == -1) {
		c->verdicts_not_vm++;
		return;
	}
	c->verdicts[f->cls.category]++;
	if (c->out.verdict == NULL)
		return;

	memset(&v, 0, sizeof(v));
	v.ts_us = ts_us;
	in[0] = f->id;
	in[1] = f->first_us;
	in[2] = f->cls.category;
	snprintf(v.verdict_id, sizeof(v.verdict_id), "%016" PRIx64 "%016" PRIx64,
	    siphash24(&idk0, in, sizeof(in)), siphash24(&idk1, in, sizeof(in)));
	vm = side == 0 ? flow_src_addr(f) : flow_dst_addr(f);
	other = side == 0 ? flow_dst_addr(f) : flow_src_addr(f);
	addr_format(vm, vmaddr, sizeof(vmaddr));
	str_copy(v.vm, vmaddr, sizeof(v.vm));
	v.category = (enum policy_category)f->cls.category;
	v.severity = policy_severity(v.category);
	v.confidence = confidence_of(f->cls.dpi_confidence);
	dpi_name(c->dpi, f->cls.master_proto, f->cls.app_proto, v.app_proto,
	    sizeof(v.app_proto));
	str_copy(v.server_name, f->cls.server_name, sizeof(v.server_name));
	str_copy(v.ndpi_category, dpi_category_name(c->dpi, f->cls.ndpi_category),
	    sizeof(v.ndpi_category));
	v.dpi_confidence = dpi_confidence_name(f->cls.dpi_confidence);
	v.has_flow = 1;
	v.flow_id = f->id;
	tuple_of(f, &v.t);
	v.action = "alert";

	switch (f->cls.dpi_confidence) {
	case DPI_CONF_PORT: str_copy(how, " (guessed from the port only)", sizeof(how)); break;
	case DPI_CONF_IP: str_copy(how, " (matched by address only)", sizeof(how)); break;
	default: how[0] = '\0'; break;
	}
	if (side == 0) {
		format_endpoint(other, v.t.dport, v.t.proto, peer, sizeof(peer));
		if (v.server_name[0] != '\0')
			snprintf(v.reason, sizeof(v.reason), "VM %s %s: %s to %s (%s)%s",
			    vmaddr, policy_phrase(v.category), v.app_proto,
			    v.server_name, peer, how);
		else
			snprintf(v.reason, sizeof(v.reason), "VM %s %s: %s to %s%s",
			    vmaddr, policy_phrase(v.category), v.app_proto, peer, how);
	} else {
		format_endpoint(other, v.t.sport, v.t.proto, peer, sizeof(peer));
		snprintf(v.reason, sizeof(v.reason),
		    "VM %s %s: %s from %s to the VM's port %u%s", vmaddr,
		    policy_phrase(v.category), v.app_proto, peer, v.t.dport, how);
	}
	c->out.verdict(&v, c->out.arg);
}

static void
record_result(struct flow *f, const struct dpi_result *r)
{
	f->cls.master_proto = r->master;
	f->cls.app_proto = r->app;
	f->cls.ndpi_category = r->category;
	f->cls.dpi_confidence = r->confidence;
	if (r->server_name[0] != '\0')
		str_copy(f->cls.server_name, r->server_name,
		    sizeof(f->cls.server_name));
}

/* Ends detection for f (giving up first when it is not final), frees the
 * nDPI state and decides the flow's category. */
static void
detection_end(struct classify *c, struct flow *f, int giveup, uint64_t ts_us)
{
	struct dpi_result r;

	if (f->cls.dpi_done)
		return;
	if (f->cls.dpi != NULL) {
		if (giveup) {
			memset(&r, 0, sizeof(r));
			dpi_giveup(c->dpi, f->cls.dpi, c->cfg->dpi_guess, &r);
			record_result(f, &r);
			c->dpi_giveup++;
		} else {
			c->dpi_final++;
		}
		dpi_flow_free(f->cls.dpi);
		f->cls.dpi = NULL;
		c->dpi_live--;
	}
	f->cls.dpi_done = 1;
	f->cls.category = (uint8_t)policy_classify(c->policy, f->cls.master_proto,
	    f->cls.app_proto);
	make_verdict(c, f, ts_us);
}

void
classify_packet(struct classify *c, const struct pkt *p)
{
	struct dpi_result r;
	struct flow *f;
	long budget;
	int dir, final;

	c->packets++;
	c->bytes += p->wire_len;
	f = flowtab_packet(c->ft, p, &dir);
	if (f->cls.dpi_done)
		return;
	if (f->cls.dpi == NULL) {
		f->cls.dpi = dpi_flow_new();
		if (++c->dpi_live > c->dpi_live_max)
			c->dpi_live_max = c->dpi_live;
	}
	memset(&r, 0, sizeof(r));
	final = dpi_process(c->dpi, f->cls.dpi, p->l3, p->l3_len, p->ts_us / 1000, &r);
	record_result(f, &r);
	f->cls.dpi_pkts++;
	budget = p->proto == 6 ? c->cfg->dpi_tcp_packets : c->cfg->dpi_udp_packets;
	if (final) {
		detection_end(c, f, 0, p->ts_us);
	} else if (f->cls.dpi_pkts >= budget || f->tclass == FLOW_TC_TCP_CLOSED) {
		/* Out of budget, or the connection is over: decide now. */
		detection_end(c, f, 1, p->ts_us);
	} else if (r.confidence >= DPI_CONF_CACHE && !f->cls.verdict_made) {
		/* nDPI knows the protocol and only wants more packets for its
		 * metadata: a forbidden protocol is reported now, not when the
		 * flow ends. */
		f->cls.category = (uint8_t)policy_classify(c->policy, r.master, r.app);
		make_verdict(c, f, p->ts_us);
	}
}

static void
on_flow_end(struct flow *f, enum flow_end why, void *arg)
{
	struct classify *c = arg;
	struct flow_event fe;

	detection_end(c, f, 1, f->last_us);
	if (c->out.flow == NULL)
		return;
	memset(&fe, 0, sizeof(fe));
	fe.ts_us = f->last_us;
	fe.flow_id = f->id;
	tuple_of(f, &fe.t);
	dpi_name(c->dpi, f->cls.master_proto, f->cls.app_proto, fe.app_proto,
	    sizeof(fe.app_proto));
	str_copy(fe.ndpi_category, dpi_category_name(c->dpi, f->cls.ndpi_category),
	    sizeof(fe.ndpi_category));
	fe.category = (enum policy_category)f->cls.category;
	str_copy(fe.server_name, f->cls.server_name, sizeof(fe.server_name));
	fe.pkts_toserver = f->pkts[0];
	fe.pkts_toclient = f->pkts[1];
	fe.bytes_toserver = f->bytes[0];
	fe.bytes_toclient = f->bytes[1];
	fe.start_us = f->first_us;
	fe.end_us = f->last_us;
	fe.end_reason = flow_end_name(why);
	fe.dpi_confidence = dpi_confidence_name(f->cls.dpi_confidence);
	c->out.flow(&fe, c->out.arg);
}

void
classify_expire(struct classify *c, uint64_t now_us)
{
	flowtab_expire(c->ft, now_us);
}

void
classify_flush(struct classify *c)
{
	flowtab_flush(c->ft);
}

void
classify_stats(const struct classify *c, struct stats_event *s)
{
	static const char *const end_keys[FLOW_END_N] = {
		"ended_fin", "ended_rst", "ended_timeout", "evicted", "ended_input",
	};
	struct flowtab_stats fs;
	int i;

	flowtab_stats(c->ft, &fs);
	stats_add(s, "flow", "created", fs.created);
	stats_add(s, "flow", "active", fs.active);
	for (i = 0; i < FLOW_END_N; i++)
		stats_add(s, "flow", end_keys[i], fs.ended[i]);
	stats_add(s, "dpi", "detected", c->dpi_final);
	stats_add(s, "dpi", "given_up", c->dpi_giveup);
	stats_add(s, "dpi", "in_progress", c->dpi_live);
	stats_add(s, "dpi", "in_progress_max", c->dpi_live_max);
	for (i = 1; i < CAT_N; i++)
		stats_add(s, "verdicts", policy_category_name((enum policy_category)i),
		    c->verdicts[i]);
	stats_add(s, "verdicts", "outside_vm_networks", c->verdicts_not_vm);
}
