/*
 * pipeline.c: the source -> decode -> classify loop, and the figures and
 * exit status both run modes share, and the option table on the command
 * line (see pipeline.h). The per-frame path adds
 * counters and hands the packet on; it allocates nothing.
 */
#include <getopt.h>
#include <string.h>

#include "log.h"
#include "pipeline.h"
#include "util.h"

void
pipeline_init(struct pipeline *pl, struct classify *c, const char *ifname)
{
	memset(pl, 0, sizeof(*pl));
	pl->c = c;
	pl->ifname = ifname;
}

void
pipeline_frame(struct pipeline *pl, int dlt, const struct frame *fr)
{
	enum decode_result d;
	struct pkt p;

	pl->packets++;
	pl->bytes += fr->wire_len;
	if (fr->ts_us > pl->last_ts_us)
		pl->last_ts_us = fr->ts_us;
	d = decode_packet(dlt, fr->data, fr->caplen, &p);
	pl->decode[d]++;
	if (d != DECODE_OK)
		return;
	pl->tunneled += p.tunneled;
	p.ts_us = fr->ts_us;
	p.wire_len = fr->wire_len;
	p.ifname = fr->ifname != NULL ? fr->ifname : pl->ifname;
	/* A live handle that reads one direction says which; otherwise the
	 * decoder's reading of the link header (SLL's packet type) stays. */
	if (fr->link_dir != LINK_UNKNOWN)
		p.link_dir = fr->link_dir;
	/* Kept before classifying: the frame that brings a verdict is one
	 * it rests on. */
	if (pl->ev != NULL) {
		struct pktstore_key k;

		pktstore_key_make(&k, p.src, p.sport, p.dst, p.dport, p.proto,
		    p.vlan);
		pktstore_add(pl->ev, &k, p.src, p.dst, fr->ts_us, fr->data,
		    fr->caplen, fr->wire_len, dlt);
		pl->ev_linktype = dlt;
	}
	classify_packet(pl->c, &p);
}

int
pipeline_evidence_open(struct pipeline *pl, const struct config *cfg,
    unsigned nworkers, char *err, size_t errlen)
{
	struct pktstore_cfg pc;

	if (cfg->evidence_dir[0] == '\0')
		return 0;
	memset(&pc, 0, sizeof(pc));
	pc.mem_bytes = (size_t)cfg->evidence_memory / (nworkers > 0 ?
	    nworkers : 1);
	pc.flow_packets = (unsigned)cfg->evidence_packets;
	pc.max_flows = (size_t)cfg->max_flows;
	if ((pl->ev = pktstore_new(&pc, err, errlen)) == NULL)
		return -1;
	pl->ev_packets = pc.flow_packets;
	pl->ev_snaplen = (uint32_t)cfg->snaplen;
	return 0;
}

void
pipeline_evidence(struct pipeline *pl, struct verdict *v)
{
	struct pktstore_key k;
	struct pktstore_pkts *e;

	v->evidence = NULL;
	if (pl->ev == NULL)
		return;
	if (v->has_flow) {
		pktstore_key_make(&k, v->t.src, v->t.sport, v->t.dst,
		    v->t.dport, v->t.proto, v->t.vlan);
		e = pktstore_flow(pl->ev, &k);
	} else
		e = pktstore_host(pl->ev, v->vm_addr,
		    v->has_target ? v->target : NULL,
		    v->ts_us > v->window_us ? v->ts_us - v->window_us : 0,
		    pl->ev_packets);
	/* No frame: an empty file of the latest frame's link type. */
	if (e->linktype < 0)
		e->linktype = pl->ev_linktype;
	e->snaplen = e->max_caplen > pl->ev_snaplen ? e->max_caplen :
	    pl->ev_snaplen;
	v->evidence = e;
}

void
pipeline_evidence_close(struct pipeline *pl)
{
	pktstore_free(pl->ev);
	pl->ev = NULL;
}

static void
run_frame(const struct frame *fr, int dlt, void *arg)
{
	pipeline_frame(arg, dlt, fr);
}

int
pipeline_run(struct pipeline *pl, struct source *src, unsigned worker,
    int timeout_ms, const volatile sig_atomic_t *stop,
    void (*between)(void *arg), void *arg, char *err, size_t errlen)
{
	int rc;

	while (!*stop) {
		rc = source_poll(src, worker, timeout_ms, run_frame, pl, err,
		    errlen);
		if (rc < 0)
			return rc == SOURCE_END ? 0 : rc;
		if (between != NULL)
			between(arg);
	}
	return 0;
}

void
pipeline_stats(const struct pipeline *pl, struct stats_event *s,
    struct source *src, unsigned worker)
{
	int i;

	stats_add(s, "capture", "packets", pl->packets);
	stats_add(s, "capture", "bytes", pl->bytes);
	source_figures(src, worker, s);
	for (i = 0; i < DECODE_NRESULTS; i++)
		stats_add(s, "decoder", decode_result_name((enum decode_result)i),
		    pl->decode[i]);
	stats_add(s, "decoder", "tunneled", pl->tunneled);
	if (pl->c != NULL)
		classify_stats(pl->c, s);
	if (pl->ev != NULL) {
		struct pktstore_figures f;

		pktstore_figures(pl->ev, &f);
		stats_add(s, "evidence", "packets_kept", f.kept);
		stats_add(s, "evidence", "packets_cut", f.cut);
	}
}

int
pipeline_exit_status(int status, enum sinks_end end)
{
	switch (end) {
	case SINKS_END_LOST:
		return EGRESSD_EXIT_RUNTIME;
	case SINKS_END_KEPT:
		return status == EGRESSD_EXIT_OK ? EGRESSD_EXIT_SPOOLED : status;
	case SINKS_END_ALL:
		break;
	}
	return status;
}

size_t
pipeline_table_longopts(struct option *lo, char (*names)[PIPELINE_OPT_NAME])
{
	const char *name;
	size_t n;
	int takes;
	char *q;

	for (n = 0; n < CONFIG_MAX_OPTIONS &&
	    (name = config_option_name(n, &takes)) != NULL; n++) {
		q = names[n];
		str_copy(q, name, PIPELINE_OPT_NAME);
		for (; *q != '\0'; q++)
			if (*q == '_')
				*q = '-';
		lo[n] = (struct option){ names[n],
		    takes ? required_argument : optional_argument, NULL,
		    PIPELINE_OPT_TABLE + (int)n };
	}
	return n;
}

int
pipeline_table_set(int ch, const char *arg, const char **names,
    const char **values, size_t *n, size_t max)
{
	const char *name;
	int takes;

	if (ch < PIPELINE_OPT_TABLE || (name = config_option_name(
	    (size_t)(ch - PIPELINE_OPT_TABLE), &takes)) == NULL)
		return 0;
	if (*n == max) {
		log_err("too many options");
		return -1;
	}
	names[*n] = name;
	values[*n] = arg != NULL ? arg : "yes";
	(*n)++;
	return 1;
}
