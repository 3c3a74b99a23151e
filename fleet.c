/*
 * fleet.c: `egressd fleet`, the fleet correlator. It reads every host's
 * contact summaries (egressd.summary.<host>, stream EGRESSD_SUMMARIES)
 * through a durable pull consumer, and the hosts' verdicts
 * (egressd.verdicts.>) through another, adds the summaries up per tenant
 * and target across hosts (fleetagg.h), and reports what no host could
 * see: to JetStream as egressd.fleet.<category>, then to the sinks the
 * configuration names (the event stream, --eve, the webhook, ...).
 *
 * Several instances share a consumer: each summary goes to one of them.
 * A tenant's findings need all of its summaries in one place, so tenants
 * are split into fleet_shards shards, one consumer each; an instance
 * judges one shard (fleet_shard), and instances of the same shard share
 * its consumer for a standby that takes over.
 *
 * A summary is acked only once the window it belongs to was judged and
 * its findings published; at a stop, the summaries of open windows are
 * handed back (nak), so that the next instance of the shard, or this one
 * restarted, judges those windows whole. A finding's verdict_id is the
 * same in every instance (fleetagg.h): JetStream drops a second publish
 * of it, and the sinks get a finding only when JetStream took it first.
 */
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "eve.h"
#include "fleet.h"
#include "fleetagg.h"
#include "log.h"
#include "natsbus.h"
#include "pipeline.h"
#include "sinks.h"
#include "util.h"

#define FETCH_BATCH	256
#define MAX_ACK_PENDING	65536

static volatile sig_atomic_t fleet_stop, fleet_reopen;

/* A summary waiting for its window to be judged. */
struct held {
	natsMsg *m;
	uint64_t window;
};

struct fleet {
	const struct config *cfg;
	struct sinks out;
	natsConnection *nc;
	jsCtx *js;
	natsSubscription *sum, *ver;
	struct fleetagg *agg;
	struct held *held;
	size_t nheld, capheld;
	char host[NATSBUS_HOST_MAX];
	int failed;		/* a finding could not be published */
	uint64_t published, duplicates, emitted;
};

static void
on_signal(int sig)
{
	if (sig == SIGHUP)
		fleet_reopen = 1;
	else
		fleet_stop = 1;
}

static void
usage(FILE *fp)
{
	fputs("usage: egressd fleet --nats URL[,URL...] [-c FILE] [-o FILE] "
	    "[options]\n"
	    "Reads every host's contact summaries from NATS JetStream, adds "
	    "them up per\ntenant and target across hosts, and reports "
	    "distributed floods, scans and\npassword guessing (see the "
	    "README's Fleet section).\n"
	    "  -c FILE       configuration file\n"
	    "  -o FILE       write events to FILE instead of standard output\n"
	    "  -v            more log output\n"
	    "  -h, --help    print this help and exit\n"
	    "The thresholds are the behaviour detectors' (syn_flood_pps, "
	    "scan_ports, ...);\nevery option of `egressd --help` is taken.\n",
	    fp);
}

/* The finding as a verdict. */
static void
to_verdict(const struct fleet *f, const struct fleet_hit *h,
    struct verdict *v)
{
	char tgt[64];
	int n;

	memset(v, 0, sizeof(*v));
	v->ts_us = h->window_start_us + h->window_us;
	str_copy(v->verdict_id, h->verdict_id, sizeof(v->verdict_id));
	if (h->tenant[0] != '\0')
		snprintf(v->vm, sizeof(v->vm), "tenant:%.55s", h->tenant);
	else
		snprintf(v->vm, sizeof(v->vm), "tenants:%u", h->ntenants);
	memcpy(v->vm_addr, h->first_vm, 16);
	str_copy(v->tenant, h->tenant, sizeof(v->tenant));
	v->category = h->category;
	v->severity = policy_severity(h->category);
	v->confidence = CONF_MEDIUM;
	v->decided_by = "behaviour";
	v->detector = h->detector;
	v->has_target = h->has_target;
	memcpy(v->target, h->target, 16);
	v->target_port = h->port;
	v->target_proto = h->proto;
	v->has_peer = h->has_target;
	memcpy(v->peer, h->target, 16);
	v->window_us = h->window_us;
	v->packets = h->packets;
	v->count = h->count;
	v->distinct = h->distinct;
	v->completed = h->completed;
	v->rate_pps = h->rate_pps;
	v->action = f->cfg->block_categories & (1u << h->category) ?
	    "block" : "alert";
	addr_format(h->target, tgt, sizeof(tgt));
	n = snprintf(v->reason, sizeof(v->reason), "%s%s %s together: %s%s%s"
	    ": %s", h->tenant[0] != '\0' ? "Tenant " : "Tenants ",
	    h->tenant[0] != '\0' ? h->tenant : h->tenants,
	    policy_phrase(h->category), h->detector,
	    h->has_target ? " against " : "", h->has_target ? tgt : "",
	    h->detail);
	if (n < 0)
		v->reason[0] = '\0';
	str_copy(v->fleet_vms, h->vms, sizeof(v->fleet_vms));
	str_copy(v->fleet_hosts, h->hosts, sizeof(v->fleet_hosts));
	str_copy(v->fleet_tenants, h->tenants, sizeof(v->fleet_tenants));
	v->fleet_nvms = h->nvms;
	v->fleet_nhosts = h->nhosts;
	v->fleet_ntenants = h->ntenants;
}

/* A finding: published to egressd.fleet.<category> first, retried while
 * the run goes on; handed to the sinks only when JetStream had not taken
 * it before (from another instance, or before a restart). */
static void
on_hit(const struct fleet_hit *h, void *arg)
{
	struct fleet *f = arg;
	struct verdict v;
	char subject[128], err[512], *json;
	unsigned tries;
	int dup = 0, fatal = 0, rc = -1;

	to_verdict(f, h, &v);
	if ((json = eve_verdict_json(&v)) == NULL) {
		f->failed = 1;
		return;
	}
	snprintf(subject, sizeof(subject), "egressd.fleet.%s",
	    policy_category_name(h->category));
	for (tries = 0; !fleet_stop; tries++) {
		rc = natsbus_publish(f->js, f->nc, f->cfg, &natsbus_verdict_stream,
		    subject, v.verdict_id, f->host, json, strlen(json), &dup,
		    &fatal, err, sizeof(err));
		if (rc == 0 || fatal)
			break;
		if (tries == 0)
			log_warn("%s; retried until the cluster takes it", err);
		usleep(500000);
	}
	free(json);
	if (rc != 0) {
		if (fatal)
			log_err("%s: fleet verdict %s dropped", err, v.verdict_id);
		else
			f->failed = 1;	/* its summaries are handed back */
		return;
	}
	f->published++;
	if (dup) {
		f->duplicates++;
		return;
	}
	f->emitted++;
	sinks_verdict(&f->out, &v);
}

static void
hold(struct fleet *f, natsMsg *m, uint64_t window)
{
	if (f->nheld == f->capheld) {
		f->capheld = f->capheld ? 2 * f->capheld : 256;
		f->held = xreallocarray(f->held, f->capheld, sizeof(*f->held));
	}
	f->held[f->nheld].m = m;
	f->held[f->nheld].window = window;
	f->nheld++;
}

/* Acks (or, with nak, hands back) the summaries of windows before
 * before, and forgets them. */
static void
release(struct fleet *f, uint64_t before, int nak)
{
	size_t i, k = 0;

	for (i = 0; i < f->nheld; i++) {
		if (f->held[i].window >= before) {
			f->held[k++] = f->held[i];
			continue;
		}
		if (nak)
			(void)natsMsg_Nak(f->held[i].m, NULL);
		else
			(void)natsMsg_Ack(f->held[i].m, NULL);
		natsMsg_Destroy(f->held[i].m);
	}
	f->nheld = k;
}

/* Judges the windows before before; their summaries are acked when every
 * finding was published, else handed back for another try. */
static void
judge(struct fleet *f, uint64_t before)
{
	f->failed = 0;
	fleetagg_close(f->agg, before, on_hit, f);
	release(f, before, f->failed);
}

/* Takes what a fetch of sub brings: summaries, or host verdicts. */
static size_t
take(struct fleet *f, natsSubscription *sub, int summaries, int64_t wait_ms)
{
	natsMsgList list = { 0 };
	jsErrCode jerr = 0;
	char err[256];
	uint64_t w;
	int i;
	size_t n;

	if (natsSubscription_Fetch(&list, sub, FETCH_BATCH, wait_ms, &jerr) !=
	    NATS_OK)
		return 0;
	n = (size_t)list.Count;
	for (i = 0; i < list.Count; i++) {
		natsMsg *m = list.Msgs[i];

		list.Msgs[i] = NULL;
		if (!summaries) {
			fleetagg_host_verdict(f->agg, natsMsg_GetData(m),
			    (size_t)natsMsg_GetDataLength(m));
			(void)natsMsg_Ack(m, NULL);
			natsMsg_Destroy(m);
		} else if (fleetagg_summary(f->agg, natsMsg_GetData(m),
		    (size_t)natsMsg_GetDataLength(m), &w, err,
		    sizeof(err)) == -1) {
			log_warn("%s: %s; dropped", natsMsg_GetSubject(m), err);
			(void)natsMsg_Term(m, NULL);
			natsMsg_Destroy(m);
		} else {
			hold(f, m, w);
		}
	}
	natsMsgList_Destroy(&list);
	return n;
}

static void
write_stats(struct fleet *f)
{
	struct stats_event s;
	struct fleetagg_stats a;

	memset(&s, 0, sizeof(s));
	s.ts_us = wall_us();
	fleetagg_stats(f->agg, &a);
	stats_add(&s, "fleet", "summaries_in", a.summaries);
	stats_add(&s, "fleet", "rows_in", a.rows);
	stats_add(&s, "fleet", "unreadable", a.bad);
	stats_add(&s, "fleet", "other_shard", a.other_shard);
	stats_add(&s, "fleet", "late_rows", a.late);
	stats_add(&s, "fleet", "rejudged", a.rejudged);
	stats_add(&s, "fleet", "windows", a.windows);
	stats_add(&s, "fleet", "findings", a.hits);
	stats_add(&s, "fleet", "withheld_host", a.withheld_host);
	stats_add(&s, "fleet", "withheld_repeat", a.withheld_repeat);
	stats_add(&s, "fleet", "host_verdicts", a.host_verdicts);
	stats_add(&s, "fleet", "table_full", a.dropped);
	stats_add(&s, "fleet", "published", f->published);
	stats_add(&s, "fleet", "published_before", f->duplicates);
	stats_add(&s, "fleet", "held", f->nheld);
	sinks_figures(&f->out, &s);
	sinks_stats(&f->out, &s);
}

/* How long a summary may go unacked: long enough for its window to be
 * judged (the lateness allowed, an interval; the linger) with room to
 * spare. */
static uint64_t
ack_wait_us(const struct config *cfg)
{
	return 3 * cfg->fleet_interval_us + cfg->fleet_linger_us + 30000000ULL;
}

/* How long a judged window's sums are kept for rows that come late: those
 * sent again after the ack wait (a correlator or a cluster node that went
 * with them unacked), taken as packet time. */
static uint64_t
retain_us(const struct config *cfg)
{
	uint64_t r = 2 * ack_wait_us(cfg);

	return r > 6 * cfg->fleet_interval_us ? r : 6 * cfg->fleet_interval_us;
}

/* Connects, makes sure of the streams, and subscribes. */
static int
attach(struct fleet *f, char *err, size_t errlen)
{
	char name[NATSBUS_HOST_MAX + 32], dsum[64], dver[64];
	uint64_t ack_wait;
	unsigned tries;
	int created;

	snprintf(name, sizeof(name), "egressd fleet %s", f->host);
	if ((f->nc = natsbus_connect(f->cfg, name, 1, err, errlen)) == NULL)
		return -1;
	if (natsConnection_JetStream(&f->js, f->nc, NULL) != NATS_OK) {
		snprintf(err, errlen, "nats: no JetStream context");
		return -1;
	}
	/* The streams are there before the consumers, whoever starts
	 * first; retried while the cluster is not up yet. */
	for (tries = 0; natsbus_stream(f->js, &natsbus_summary_stream,
	    natsbus_replicas(f->cfg, f->nc), 1, &created, err, errlen) != 0 ||
	    natsbus_stream(f->js, &natsbus_verdict_stream,
	    natsbus_replicas(f->cfg, f->nc), 1, &created, err, errlen) != 0;
	    tries++) {
		if (fleet_stop)
			return -1;
		if (tries % 30 == 0)
			log_warn("%s; trying again", err);
		sleep(1);
	}
	snprintf(dsum, sizeof(dsum), "egressd-fleet-%ldof%ld",
	    f->cfg->fleet_shard, f->cfg->fleet_shards);
	snprintf(dver, sizeof(dver), "egressd-fleet-verdicts-%ldof%ld",
	    f->cfg->fleet_shard, f->cfg->fleet_shards);
	ack_wait = ack_wait_us(f->cfg);
	/* A cluster that just lost a node elects the consumers' leaders
	 * again: requests time out meanwhile. Tried again each second. */
	for (tries = 0; f->sum == NULL || f->ver == NULL; tries++) {
		if (f->sum == NULL)
			f->sum = natsbus_pull(f->js, NATSBUS_SUMMARIES,
			    "egressd.summary.>", dsum, ack_wait, MAX_ACK_PENDING,
			    err, errlen);
		if (f->sum != NULL && f->ver == NULL)
			f->ver = natsbus_pull(f->js, NATSBUS_VERDICTS,
			    "egressd.verdicts.>", dver, 60000000ULL,
			    MAX_ACK_PENDING, err, errlen);
		if (f->sum != NULL && f->ver != NULL)
			break;
		if (fleet_stop)
			return -1;
		if (tries % 30 == 0)
			log_warn("%s; trying again", err);
		sleep(1);
	}
	return 0;
}

static void
agg_cfg(const struct config *cfg, struct fleetagg_cfg *ac)
{
	memset(ac, 0, sizeof(*ac));
	ac->syn_flood_pps = (uint64_t)cfg->syn_flood_pps;
	ac->udp_flood_pps = (uint64_t)cfg->udp_flood_pps;
	ac->icmp_flood_pps = (uint64_t)cfg->icmp_flood_pps;
	ac->syn_flood_completion = (double)cfg->syn_flood_completed_pct / 100.0;
	ac->scan_ports = (uint64_t)cfg->scan_ports;
	ac->scan_hosts = (uint64_t)cfg->scan_hosts;
	ac->scan_window_us = cfg->scan_window_us;
	ac->brute_attempts = (uint64_t)cfg->brute_attempts;
	ac->brute_window_us = cfg->brute_window_us;
	ac->suppress_us = cfg->suppress_window_us;
	ac->retain_us = retain_us(cfg);
	ac->max_keys = (size_t)cfg->behave_max_entries;
	ac->shards = (unsigned)cfg->fleet_shards;
	ac->shard = (unsigned)cfg->fleet_shard;
}

/* The loop: host verdicts first (they withhold findings), then
 * summaries; windows are judged one interval after a later window's
 * summaries came (hosts are not in step), or when none came for
 * fleet_linger. */
static void
run(struct fleet *f)
{
	uint64_t last_in = mono_us(), next_stats, latest, iv, before;
	uint64_t judged = 0;

	next_stats = mono_us() + f->cfg->stats_interval_us;
	while (!fleet_stop) {
		while (take(f, f->ver, 0, 20) > 0 && !fleet_stop)
			;
		if (take(f, f->sum, 1, 200) > 0)
			last_in = mono_us();
		latest = fleetagg_latest(f->agg, &iv);
		before = latest > iv ? latest - iv : 0;
		if (f->nheld > 0 && mono_us() - last_in >= f->cfg->fleet_linger_us)
			before = UINT64_MAX;
		if (before > judged && f->nheld > 0) {
			judge(f, before);
			judged = before == UINT64_MAX ? latest + iv : before;
		}
		if (fleet_reopen) {	/* SIGHUP: files renamed away */
			fleet_reopen = 0;
			sinks_reopen(&f->out);
		}
		if (mono_us() >= next_stats) {
			write_stats(f);
			next_stats = mono_us() + f->cfg->stats_interval_us;
		}
	}
}

int
fleet_command(int argc, char **argv)
{
	static struct config cfg, sink_cfg;
	static const char *set_names[64], *set_values[64];
	static struct option lo[CONFIG_MAX_OPTIONS + 2];
	static char optnames[CONFIG_MAX_OPTIONS][PIPELINE_OPT_NAME];
	static struct fleet f;
	struct fleetagg_cfg ac;
	struct sink_args sa;
	struct sigaction sig;
	const char *ofile = "-", *cfile = NULL;
	char err[512];
	size_t nsets = 0, n;
	int ch, verbose = 0, rc;

	n = pipeline_table_longopts(lo, optnames);
	lo[n] = (struct option){ "help", no_argument, NULL, 'h' };
	while ((ch = getopt_long(argc, argv, "c:o:vh", lo, NULL)) != -1) {
		switch (ch) {
		case 'c': cfile = optarg; break;
		case 'o': ofile = optarg; break;
		case 'v': verbose++; break;
		case 'h': usage(stdout); return 0;
		default:
			if ((rc = pipeline_table_set(ch, optarg, set_names,
			    set_values, &nsets, NELEM(set_names))) == 1)
				break;
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc) {
		log_err("fleet: unexpected argument '%s'", argv[optind]);
		return 2;
	}
	log_set_level(verbose >= 2 ? LOG_LEVEL_DEBUG : verbose == 1 ?
	    LOG_LEVEL_INFO : LOG_LEVEL_WARN);
	if (config_build(&cfg, cfile, set_names, set_values, nsets, err,
	    sizeof(err)) == -1) {
		log_err("%s", err);
		return 2;
	}
	natsbus_host_id(&cfg, f.host, sizeof(f.host));
	if (cfg.nats[0] == '\0' || natsbus_check_config(&cfg, f.host, err,
	    sizeof(err)) == -1) {
		log_err("fleet: %s", cfg.nats[0] == '\0' ? "--nats is needed" :
		    err);
		return 2;
	}
	if (cfg.fleet_shard >= cfg.fleet_shards) {
		log_err("fleet: fleet_shard %ld is not below fleet_shards %ld",
		    cfg.fleet_shard, cfg.fleet_shards);
		return 2;
	}
	f.cfg = &cfg;
	/* The sinks, but NATS: fleet verdicts go to egressd.fleet.* here. */
	sink_cfg = cfg;
	sink_cfg.nats[0] = '\0';
	memset(&sa, 0, sizeof(sa));
	sa.cfg = &sink_cfg;
	sa.out = ofile;
	sa.flags = SINK_FLUSH_EACH;
	if ((rc = sinks_open(&f.out, &sa, err, sizeof(err))) != 0) {
		log_err("%s", err);
		sinks_close(&f.out, err, sizeof(err));
		return rc == SINK_ERR_CONFIG ? 2 : 1;
	}
	memset(&sig, 0, sizeof(sig));
	sig.sa_handler = on_signal;
	sigaction(SIGINT, &sig, NULL);
	sigaction(SIGTERM, &sig, NULL);
	sigaction(SIGHUP, &sig, NULL);
	sig.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sig, NULL);
	agg_cfg(&cfg, &ac);
	f.agg = fleetagg_new(&ac);
	rc = 0;
	if (attach(&f, err, sizeof(err)) == -1) {
		if (!fleet_stop) {
			log_err("fleet: %s", err);
			rc = 1;
		}
	} else {
		run(&f);
	}
	/* Open windows go back to the shard's consumer, judged whole by
	 * whoever takes them next. */
	release(&f, UINT64_MAX, 1);
	/* Acks and naks are sent without waiting: out before the
	 * connection closes, or the next instance would get them only
	 * after the ack wait. */
	if (f.nc != NULL && natsConnection_FlushTimeout(f.nc, 2000) != NATS_OK)
		log_warn("fleet: the last acks may not have reached the "
		    "cluster; their summaries come again after the ack wait");
	write_stats(&f);
	(void)sinks_finish(&f.out, cfg.drain_timeout_us);
	if (sinks_close(&f.out, err, sizeof(err)) == -1) {
		log_err("%s", err);
		rc = 1;
	}
	natsSubscription_Destroy(f.sum);
	natsSubscription_Destroy(f.ver);
	jsCtx_Destroy(f.js);
	natsConnection_Destroy(f.nc);
	fleetagg_free(f.agg);
	free(f.held);
	return rc;
}
