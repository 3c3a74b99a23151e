/*
 * statreg.c: the table of statreg.h, and the functions that fill a stats
 * event (stats_add, declared in event.h, and stats_merge).
 */
#include <string.h>

#include "statreg.h"
#include "util.h"

#define C	STAT_COUNTER
#define G	STAT_GAUGE

/*
 * Every figure egressd writes, in the order it writes them. make lint
 * checks that each stats_add and stats_merge names one of these rows.
 * The last two columns put a figure into a labelled Prometheus family:
 * egressd_<family>[_total]{<label>}.
 */
/* The figures of delivery.h (delivery_figures), for one peer: sec its
 * section, lost the family of the verdicts it lost, peer what it delivers
 * to, q its queue's name, req what one attempt is. */
#define DELIVERY_STATS(sec, lost, peer, q, req) \
	{ sec, "queued", C, "Verdicts queued for " peer ".", NULL, NULL }, \
	{ sec, "queue_dropped", C, "Verdicts lost: the " q " queue was full.", \
	    lost, "reason=\"queue_full\"" }, \
	{ sec, "spooled", C, "Verdicts written to the spool.", NULL, NULL }, \
	{ sec, "spool_dropped", C, \
	    "Verdicts lost: the spool's bound was reached.", lost, \
	    "reason=\"spool_full\"" }, \
	{ sec, "spool_errors", C, "Spool writes the disk refused.", NULL, \
	    NULL }, \
	{ sec, "backlog_dropped", C, \
	    "Verdicts lost: the memory backlog was full.", lost, \
	    "reason=\"backlog_full\"" }, \
	{ sec, "abandoned", C, \
	    "Verdicts lost: still in memory when a run ended.", lost, \
	    "reason=\"abandoned\"" }, \
	{ sec, "recovered", C, \
	    "Verdicts found in the spool at start, from an earlier run.", \
	    NULL, NULL }, \
	{ sec, "delivered", C, "Verdicts delivered to " peer ".", NULL, NULL }, \
	{ sec, "messages", C, "Messages delivered to " peer ".", NULL, NULL }, \
	{ sec, "attempts", C, req " made.", NULL, NULL }, \
	{ sec, "failures", C, req " that failed.", NULL, NULL }, \
	{ sec, "rejected", C, "Verdicts lost: " peer " refused them for good.", \
	    lost, "reason=\"rejected\"" }, \
	{ sec, "pending", G, "Verdicts waiting for delivery.", NULL, NULL }, \
	{ sec, "spool_messages", G, "Messages in the spool.", NULL, NULL }, \
	{ sec, "spool_bytes", G, "Bytes of the spool's messages.", NULL, NULL }, \
	{ sec, "disabled", G, "1 while " q " delivery is disabled.", NULL, \
	    NULL }, \
	{ sec, "queue_depth", G, "Verdicts in the " q " queue.", NULL, NULL }

static const struct stat_def stat_defs[] = {
	/* capture: the source */
	{ "capture", "workers", G, "Capture worker threads.", NULL, NULL },
	{ "capture", "packets", C, "Packets read from the capture source.",
	    NULL, NULL },
	{ "capture", "bytes", C, "Bytes on the wire of the packets read.",
	    NULL, NULL },
	{ "capture", "truncated", G,
	    "Capture files that ended in a cut-off record.", NULL, NULL },
	{ "capture", "kernel_drops", C,
	    "Packets the kernel dropped before capture.", NULL, NULL },
	{ "capture", "if_drops", C, "Packets the interface dropped.",
	    NULL, NULL },
	/* Each worker sees a step of the host's clock: not a sum. */
	{ "capture", "time_steps_back", STAT_MAX,
	    "Times packet or wall time went back by more than 1 s.", NULL,
	    NULL },
	/* decoder: what each packet was */
	{ "decoder", "ok", C, "Packets decoded to an IP packet.",
	    "decoder_packets", "result=\"ok\"" },
	{ "decoder", "not_ip", C, "Packets that carry no IP packet.",
	    "decoder_packets", "result=\"not_ip\"" },
	{ "decoder", "truncated", C,
	    "Packets cut short before their IP header ended.",
	    "decoder_packets", "result=\"truncated\"" },
	{ "decoder", "malformed", C, "Packets whose headers contradict.",
	    "decoder_packets", "result=\"malformed\"" },
	{ "decoder", "fragment", C,
	    "IP fragments after the first (no transport header).",
	    "decoder_packets", "result=\"fragment\"" },
	{ "decoder", "unsupported", C,
	    "Packets of an encapsulation the decoder does not open.",
	    "decoder_packets", "result=\"unsupported\"" },
	{ "decoder", "tunneled", C,
	    "Packets taken out of a tunnel (GRE, VXLAN, Geneve, IP in IP).",
	    NULL, NULL },
	/* flow: the flow table */
	{ "flow", "created", C, "Flows created.", NULL, NULL },
	{ "flow", "active", G, "Flows in the flow table.", NULL, NULL },
	{ "flow", "ended_fin", C, "Flows ended by FIN.", "flow_ended",
	    "reason=\"fin\"" },
	{ "flow", "ended_rst", C, "Flows ended by RST.", "flow_ended",
	    "reason=\"rst\"" },
	{ "flow", "ended_timeout", C, "Flows ended by an idle timeout.",
	    "flow_ended", "reason=\"timeout\"" },
	{ "flow", "evicted", C, "Flows evicted from a full flow table.",
	    "flow_ended", "reason=\"evicted\"" },
	{ "flow", "ended_input", C, "Flows open when the input ended.",
	    "flow_ended", "reason=\"input\"" },
	/* dpi: nDPI */
	{ "dpi", "detected", C, "Flows nDPI classified.", NULL, NULL },
	{ "dpi", "given_up", C,
	    "Flows whose detection ended without a protocol.", NULL, NULL },
	{ "dpi", "no_payload", C, "TCP flows that never carried payload.",
	    NULL, NULL },
	{ "dpi", "flood_shed", C,
	    "Flows a flood opened that were not given to nDPI.", NULL, NULL },
	{ "dpi", "in_progress", G, "Flows still in protocol detection.",
	    NULL, NULL },
	{ "dpi", "in_progress_max", STAT_MAX,
	    "The most flows in protocol detection at once in one worker.",
	    NULL, NULL },
	{ "dpi", "unconfirmed", C,
	    "nDPI answers not taken: the payload did not confirm them.",
	    NULL, NULL },
	/* detect: signatures and heuristics */
	{ "detect", "contextual_only", C,
	    "Flows whose only evidence was a hint such as a port.", NULL,
	    NULL },
	{ "detect", "tls_untracked", C,
	    "TLS flows the record tracker had no slot for.", NULL, NULL },
	{ "detect", "ssh_untracked", C,
	    "SSH flows the shape tracker had no slot for.", NULL, NULL },
	{ "detect", "ssh_refused_only", C,
	    "SSH connections whose every login was refused.", NULL, NULL },
	{ "detect", "vnc_refused_only", C,
	    "RFB sessions that ended at the login.", NULL, NULL },
	{ "detect", "signatures_loaded", STAT_SAME, "Signatures loaded.",
	    NULL, NULL },
	{ "detect", "signature_matches", C, "Signature matches.", NULL, NULL },
	{ "detect", "heuristic_hits", C, "Protocol heuristic hits.", NULL,
	    NULL },
	{ "detect", "dns_answers_cached", C,
	    "DNS answers remembered for naming later flows.", NULL, NULL },
	{ "detect", "dns_tunnels", C, "DNS tunnels found.", NULL, NULL },
	/* verdicts: made, by category and by what decided them */
	{ "verdicts", "p2p", C, "P2P verdicts.", "verdicts",
	    "category=\"p2p\"" },
	{ "verdicts", "mining", C, "Mining verdicts.", "verdicts",
	    "category=\"mining\"" },
	{ "verdicts", "remote_access", C, "Remote access verdicts.",
	    "verdicts", "category=\"remote_access\"" },
	{ "verdicts", "proxy", C, "Proxy and VPN verdicts.", "verdicts",
	    "category=\"proxy\"" },
	{ "verdicts", "dos", C, "DoS verdicts.", "verdicts",
	    "category=\"dos\"" },
	{ "verdicts", "scan", C, "Scan verdicts.", "verdicts",
	    "category=\"scan\"" },
	{ "verdicts", "bruteforce", C, "Password guessing verdicts.",
	    "verdicts", "category=\"bruteforce\"" },
	{ "verdicts", "by_ndpi", C, "Verdicts nDPI decided.",
	    "verdicts_decided", "by=\"ndpi\"" },
	{ "verdicts", "by_signature", C, "Verdicts a signature decided.",
	    "verdicts_decided", "by=\"signature\"" },
	{ "verdicts", "by_heuristic", C, "Verdicts a heuristic decided.",
	    "verdicts_decided", "by=\"heuristic\"" },
	{ "verdicts", "by_behaviour", C,
	    "Verdicts a behaviour detector decided.", "verdicts_decided",
	    "by=\"behaviour\"" },
	/* behaviour: the behaviour tables */
	{ "behaviour", "entries", G, "Entries in the behaviour tables.",
	    NULL, NULL },
	{ "behaviour", "evicted", C,
	    "Behaviour entries still in use that gave way to new ones.",
	    NULL, NULL },
	{ "behaviour", "bytes", G, "Bytes the behaviour tables hold.", NULL,
	    NULL },
	{ "behaviour", "hits", C, "Behaviour detector hits.", NULL, NULL },
	{ "behaviour", "suppressed", C,
	    "Behaviour hits held back as repeats.", NULL, NULL },
	/* verdicts: not reported, by reason */
	{ "verdicts", "outside_vm_networks", C,
	    "Verdicts withheld: no side is in vm_networks.",
	    "verdicts_withheld", "reason=\"outside_vm_networks\"" },
	{ "verdicts", "ingress", C,
	    "Verdicts withheld: traffic into a VM (ingress_verdicts off).",
	    "verdicts_withheld", "reason=\"ingress\"" },
	{ "verdicts", "scan_probe", C,
	    "Verdicts withheld: an unanswered probe of a port scan.",
	    "verdicts_withheld", "reason=\"scan_probe\"" },
	{ "verdicts", "p2p_fanout", C,
	    "Scan verdicts withheld: a P2P protocol's fan-out.",
	    "verdicts_withheld", "reason=\"p2p_fanout\"" },
	{ "verdicts", "suppressed", C,
	    "Verdicts withheld: a repeat within suppress_window.",
	    "verdicts_withheld", "reason=\"suppressed\"" },
	{ "verdicts", "below_min_confidence", C,
	    "Verdicts withheld: below min_confidence.", "verdicts_withheld",
	    "reason=\"below_min_confidence\"" },
	/* inventory */
	{ "inventory", "entries", G, "Entries in the inventory.", NULL, NULL },
	{ "inventory", "learned", C, "VM bindings learned from traffic.",
	    NULL, NULL },
	{ "inventory", "replaced", C,
	    "Learned bindings that gave way to newer ones.", NULL, NULL },
	{ "sidecar", "reloads", C, "Reloads (SIGHUP) applied.", NULL, NULL },
	DELIVERY_STATS("webhook", "webhook_lost", "the webhook", "webhook",
	    "Webhook requests"),
	/* nats: the same for JetStream, and its own */
	DELIVERY_STATS("nats", "nats_lost", "JetStream", "NATS", "Publishes"),
	{ "nats", "duplicates", C,
	    "Publishes JetStream acked as a copy it had (Nats-Msg-Id).", NULL,
	    NULL },
	{ "nats", "summaries", C, "Fleet summaries JetStream took.", NULL,
	    NULL },
	{ "nats", "summary_bytes", C, "Bytes of the fleet summaries published.",
	    NULL, NULL },
	{ "nats", "summaries_lost", C,
	    "Fleet summaries dropped: a full queue, or unpublished at the end.",
	    NULL, NULL },
	/* fleet: the per-host summaries (fleetsum.h), with nats only */
	{ "fleet", "summaries", C, "Fleet summary messages made.", NULL, NULL },
	{ "fleet", "summary_rows", C,
	    "(VM, target, protocol) rows in the summaries.", NULL, NULL },
	{ "fleet", "summary_bytes", C, "Bytes of the summary messages made.",
	    NULL, NULL },
	{ "fleet", "summary_intervals", C, "Summary intervals ended.", NULL,
	    NULL },
	{ "fleet", "pairs_dropped", C,
	    "Pairs a full summary table did not keep (fleet_max_pairs).",
	    NULL, NULL },
	{ "fleet", "table_bytes", G, "Bytes of the summary tables.", NULL,
	    NULL },
	/* fleet: egressd fleet, the correlator */
	{ "fleet", "summaries_in", C, "Summaries the correlator took.", NULL,
	    NULL },
	{ "fleet", "rows_in", C, "Summary rows added up.", NULL, NULL },
	{ "fleet", "unreadable", C, "Summaries or rows that could not be read.",
	    NULL, NULL },
	{ "fleet", "other_shard", C, "Rows of tenants another shard judges.",
	    NULL, NULL },
	{ "fleet", "late_rows", C,
	    "Rows of windows no longer kept when they came.", NULL, NULL },
	{ "fleet", "windows", C, "Windows judged.", NULL, NULL },
	{ "fleet", "rejudged", C,
	    "Windows judged again for rows that came after.", NULL, NULL },
	{ "fleet", "findings", C, "Fleet findings reported.", NULL, NULL },
	{ "fleet", "withheld_host", C,
	    "Findings a host's verdict had reported already.", NULL, NULL },
	{ "fleet", "withheld_repeat", C,
	    "Findings reported within suppress_window before.", NULL, NULL },
	{ "fleet", "host_verdicts", C, "Host verdicts read.", NULL, NULL },
	{ "fleet", "table_full", C,
	    "Sums the correlator's full tables could not keep.", NULL, NULL },
	{ "fleet", "published", C,
	    "Fleet verdicts JetStream took (egressd.fleet.*).", NULL, NULL },
	{ "fleet", "published_before", C,
	    "Of those, verdicts JetStream had already: not reported again.",
	    NULL, NULL },
	{ "fleet", "held", G, "Summaries of windows not judged yet.", NULL,
	    NULL },
	/* evidence: --evidence-dir only */
	{ "evidence", "packets_kept", C,
	    "Packets kept for the evidence files of young flows.", NULL, NULL },
	{ "evidence", "packets_cut", C,
	    "Packets of young flows that evidence_memory refused or took "
	    "back.", NULL, NULL },
	{ "evidence", "files_written", C, "Evidence files written.", NULL,
	    NULL },
	{ "evidence", "write_errors", C,
	    "Evidence files the disk refused.", NULL, NULL },
	{ "evidence", "dropped", C,
	    "Evidence files lost: the evidence queue was full.", NULL, NULL },
	{ "evidence", "abandoned", C,
	    "Evidence files lost: still queued when a run ended.", NULL,
	    NULL },
	{ "evidence", "queue_depth", G, "Evidence files waiting to be "
	    "written.", NULL, NULL },
	/* action: the exec hook and nftables, their queues counted
	 * together */
	{ "action", "dropped", C,
	    "Actions lost: the exec hook's or nftables' queue was full.",
	    "action_lost", "reason=\"queue_full\"" },
	{ "action", "abandoned", C,
	    "Actions lost: still queued when a run ended.", "action_lost",
	    "reason=\"abandoned\"" },
	{ "action", "queue_depth", G,
	    "Verdicts waiting for the exec hook or nftables.", NULL, NULL },
	{ "action", "exec_runs", C, "Exec hook runs.", NULL, NULL },
	{ "action", "exec_failed", C,
	    "Exec hook runs that failed or exited non-zero.", NULL, NULL },
	{ "action", "exec_timeouts", C,
	    "Exec hook runs killed at exec_timeout.", NULL, NULL },
	{ "action", "nft_added", C, "Addresses added to the nftables sets.",
	    NULL, NULL },
	{ "action", "nft_failed", C, "nftables additions that failed.", NULL,
	    NULL },
	{ "action", "nft_skipped", C,
	    "Blocks with no address to add, or one already in the set.", NULL,
	    NULL },
	/* metrics: this server */
	{ "metrics", "conn_timeouts", C,
	    "Connections to this server cut for a request header not whole 2 s "
	    "after the accept, or an answer not taken 5 s after the request.",
	    NULL, NULL },
	{ "metrics", "conn_dropped", C,
	    "Connections to this server closed for want of a place.", NULL,
	    NULL },
};

#undef C
#undef G

/* The HELP line of each labelled family. */
static const struct {
	const char *family, *help;
} stat_families[] = {
	{ "decoder_packets", "Packets by what the decoder made of them." },
	{ "flow_ended", "Flows ended, by how." },
	{ "verdicts", "Verdicts by policy category." },
	{ "verdicts_decided", "Verdicts by what decided them." },
	{ "verdicts_withheld", "Verdicts not reported, by reason." },
	{ "webhook_lost", "Verdicts the webhook lost, by reason." },
	{ "nats_lost", "Verdicts the NATS sink lost, by reason." },
	{ "action_lost", "Actions lost, by reason." },
};

const struct stat_def *
stat_find(const char *section, const char *name)
{
	size_t i;

	for (i = 0; i < NELEM(stat_defs); i++)
		if (strcmp(section, stat_defs[i].section) == 0 &&
		    strcmp(name, stat_defs[i].name) == 0)
			return &stat_defs[i];
	return NULL;
}

const struct stat_def *
stat_at(size_t i)
{
	return i < NELEM(stat_defs) ? &stat_defs[i] : NULL;
}

const char *
stat_family_help(const char *family)
{
	size_t i;

	for (i = 0; i < NELEM(stat_families); i++)
		if (strcmp(family, stat_families[i].family) == 0)
			return stat_families[i].help;
	return NULL;
}

uint64_t
stat_combine(enum stat_kind kind, uint64_t a, uint64_t b)
{
	switch (kind) {
	case STAT_MAX:
	case STAT_SAME:
		return a > b ? a : b;
	case STAT_COUNTER:
	case STAT_GAUGE:
		break;
	}
	return a + b;
}

void
stats_add(struct stats_event *s, const char *section, const char *name,
    uint64_t value)
{
	if (s->n == STATS_MAX_COUNTERS)
		return;
	s->c[s->n].section = section;
	s->c[s->n].name = name;
	s->c[s->n].value = value;
	s->n++;
}

void
stats_merge(struct stats_event *s, const char *section, const char *name,
    uint64_t value)
{
	const struct stat_def *d;
	unsigned i;

	for (i = 0; i < s->n; i++) {
		if (strcmp(s->c[i].section, section) == 0 &&
		    strcmp(s->c[i].name, name) == 0) {
			d = stat_find(section, name);
			s->c[i].value = stat_combine(d != NULL ? d->kind :
			    STAT_COUNTER, s->c[i].value, value);
			return;
		}
	}
	stats_add(s, section, name, value);
}
