/*
 * classify_stats.c: the worker's counters as a stats event
 * (classify_stats, include/classify.h). The sections and names are part
 * of the stats event README.md describes: their order is the order
 * they are written in, so they are added here in one place.
 */
#include "behave.h"
#include "classify_int.h"
#include "fleetsum.h"
#include "sig.h"

void
classify_stats(const struct classify *c, struct stats_event *s)
{
	static const char *const end_keys[FLOW_END_N] = {
		"ended_fin", "ended_rst", "ended_timeout", "evicted", "ended_input",
	};
	struct flowtab_stats fs;
	int i;

	stats_add(s, "capture", "time_steps_back", c->clock.steps_back);
	flowtab_stats(c->ft, &fs);
	stats_add(s, "flow", "created", fs.created);
	stats_add(s, "flow", "active", fs.active);
	for (i = 0; i < FLOW_END_N; i++)
		stats_add(s, "flow", end_keys[i], fs.ended[i]);
	stats_add(s, "dpi", "detected", c->dpi_final);
	stats_add(s, "dpi", "given_up", c->dpi_giveup);
	stats_add(s, "dpi", "no_payload", c->dpi_no_payload);
	stats_add(s, "dpi", "flood_shed", c->dpi_shed);
	stats_add(s, "dpi", "in_progress", c->dpi_live);
	stats_add(s, "dpi", "in_progress_max", c->dpi_live_max);
	stats_add(s, "dpi", "unconfirmed", c->ndpi_unconfirmed);
	stats_add(s, "detect", "contextual_only", c->contextual_only);
	stats_add(s, "detect", "tls_untracked", c->tls_untracked);
	stats_add(s, "detect", "ssh_untracked", c->ssh_untracked);
	stats_add(s, "detect", "ssh_refused_only", c->ssh_refused_only);
	stats_add(s, "detect", "vnc_refused_only", c->vnc_refused_only);
	stats_add(s, "detect", "signatures_loaded", sigset_count(c->sigs));
	stats_add(s, "detect", "signature_matches", c->sig_matches);
	stats_add(s, "detect", "heuristic_hits", c->heur_hits);
	stats_add(s, "detect", "dns_answers_cached", c->dns_answers);
	stats_add(s, "detect", "dns_tunnels", c->dns_tunnels);
	for (i = 1; i < CAT_N; i++)
		stats_add(s, "verdicts", policy_category_name((enum policy_category)i),
		    c->verdicts[i]);
	{
		static const char *const by[EV_SOURCE_N] = {
			NULL, "by_ndpi", "by_signature", "by_heuristic",
			"by_behaviour",
		};
		struct behave_stats bs;

		for (i = 1; i < EV_SOURCE_N; i++)
			stats_add(s, "verdicts", by[i], c->verdicts_by[i]);
		behave_stats(c->behave, &bs);
		stats_add(s, "behaviour", "entries", bs.entries);
		stats_add(s, "behaviour", "evicted", bs.evicted);
		stats_add(s, "behaviour", "bytes", bs.bytes);
		stats_add(s, "behaviour", "hits", bs.hits);
		stats_add(s, "behaviour", "suppressed", bs.suppressed);
	}
	stats_add(s, "verdicts", "outside_vm_networks", c->verdicts_not_vm);
	stats_add(s, "verdicts", "ingress", c->verdicts_ingress);
	stats_add(s, "verdicts", "scan_probe", c->verdicts_scan_probe);
	stats_add(s, "verdicts", "p2p_fanout", c->verdicts_p2p_fanout);
	stats_add(s, "verdicts", "suppressed", c->verdicts_suppressed);
	stats_add(s, "verdicts", "below_min_confidence", c->below_min_confidence);
	if (c->fleet != NULL) {
		struct fleetsum_stats sum;

		fleetsum_stats(c->fleet, &sum);
		stats_add(s, "fleet", "summaries", sum.messages);
		stats_add(s, "fleet", "summary_rows", sum.rows);
		stats_add(s, "fleet", "summary_bytes", sum.bytes);
		stats_add(s, "fleet", "summary_intervals", sum.intervals);
		stats_add(s, "fleet", "pairs_dropped", sum.dropped);
		stats_add(s, "fleet", "table_bytes", sum.table_bytes);
	}
}
