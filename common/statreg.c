/*
 * statreg.c: the table of statreg.h, and the functions that fill a stats
 * event (stats_add, declared in event.h, and stats_merge).
 */
#include <string.h>

#include "statreg.h"
#include "util.h"

static const struct stat_def stat_defs[] = {
	{ "capture", "packets", STAT_COUNTER,
	    "Packets read from the capture source." },
	{ "capture", "bytes", STAT_COUNTER,
	    "Bytes on the wire of the packets read." },
	{ "capture", "truncated", STAT_GAUGE,
	    "1 when the capture file ended mid-record." },
	{ "capture", "kernel_drops", STAT_COUNTER,
	    "Packets the kernel dropped before capture." },
	{ "capture", "if_drops", STAT_COUNTER,
	    "Packets the interface dropped." },
	/* Each worker sees a step of the host's clock: not a sum. */
	{ "capture", "time_steps_back", STAT_MAX,
	    "Times packet or wall time went back by more than 1 s." },
	{ "capture", "workers", STAT_GAUGE, "Capture worker threads." },
	{ "decoder", "ok", STAT_COUNTER, "Packets decoded to an IP packet." },
	{ "flow", "created", STAT_COUNTER, "Flows created." },
	{ "flow", "active", STAT_GAUGE, "Flows in the flow table." },
	{ "flow", "evicted", STAT_COUNTER,
	    "Flows evicted from a full flow table." },
	{ "dpi", "detected", STAT_COUNTER, "Flows nDPI classified." },
	{ "dpi", "in_progress", STAT_GAUGE,
	    "Flows still in protocol detection." },
	{ "dpi", "in_progress_max", STAT_MAX,
	    "The most flows in protocol detection at once in one worker." },
	{ "behaviour", "entries", STAT_GAUGE,
	    "Entries in the behaviour tables." },
	{ "behaviour", "bytes", STAT_GAUGE,
	    "Bytes the behaviour tables hold." },
	{ "detect", "signatures_loaded", STAT_SAME, "Signatures loaded." },
	{ "inventory", "entries", STAT_GAUGE, "Entries in the inventory." },
	{ "verdicts", "suppressed", STAT_COUNTER,
	    "Verdicts suppressed as repeats." },
	{ "webhook", "delivered", STAT_COUNTER,
	    "Verdicts delivered to the webhook." },
	{ "webhook", "failures", STAT_COUNTER,
	    "Webhook requests that failed." },
	{ "webhook", "queue_dropped", STAT_COUNTER,
	    "Verdicts dropped by a full webhook queue." },
	{ "webhook", "spool_dropped", STAT_COUNTER,
	    "Verdicts dropped by the spool's bound." },
	{ "webhook", "spool_errors", STAT_COUNTER,
	    "Spool writes the disk refused." },
	{ "webhook", "backlog_dropped", STAT_COUNTER,
	    "Verdicts dropped by a full memory backlog." },
	{ "webhook", "abandoned", STAT_COUNTER,
	    "Verdicts still in memory when a run ended." },
	{ "webhook", "rejected", STAT_COUNTER,
	    "Verdicts the webhook refused for good." },
	{ "webhook", "pending", STAT_GAUGE, "Verdicts waiting for delivery." },
	{ "webhook", "spool_messages", STAT_GAUGE, "Messages in the spool." },
	{ "webhook", "spool_bytes", STAT_GAUGE, "Bytes of the spool's messages." },
	{ "webhook", "queue_depth", STAT_GAUGE, "Verdicts in the webhook queue." },
	{ "webhook", "disabled", STAT_GAUGE,
	    "1 while webhook delivery is disabled." },
	{ "action", "queue_depth", STAT_GAUGE, "Verdicts waiting for an action." },
	{ "action", "dropped", STAT_COUNTER,
	    "Verdicts dropped by a full action queue." },
	{ "action", "abandoned", STAT_COUNTER,
	    "Verdicts whose action had not run when a run ended." },
	{ "metrics", "conn_timeouts", STAT_COUNTER,
	    "Connections to this server cut for a request header not whole 2 s "
	    "after the accept, or an answer not taken 5 s after the request." },
	{ "metrics", "conn_dropped", STAT_COUNTER,
	    "Connections to this server closed for want of a place." },
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
