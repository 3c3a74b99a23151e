/*
 * sinks.c: the registry of sinks and the fan-out to them (see sinks.h).
 * A new sink is a new file with its struct sink_ops, and its name below:
 * in the declaration and in registry[].
 */
#include <inttypes.h>
#include <stdio.h>

#include "log.h"
#include "sinks.h"
#include "util.h"

extern const struct sink_ops sink_events, sink_eve, sink_webhook, sink_nats,
    sink_exec, sink_nft, sink_evidence;

static const struct sink_ops *const registry[] = {
	&sink_events,	/* standard output or -o */
	&sink_eve,	/* --eve */
	&sink_webhook,
	&sink_nats,	/* --nats: JetStream */
	&sink_exec,
	&sink_nft,
	&sink_evidence,	/* --evidence-dir */
};

int
sinks_open(struct sinks *s, const struct sink_args *a, char *err,
    size_t errlen)
{
	size_t i;
	int rc;

	for (i = 0; i < NELEM(registry) && s->n < SINKS_MAX; i++) {
		if (!registry[i]->wanted(a))
			continue;
		s->s[s->n].ops = registry[i];
		s->s[s->n].state = NULL;
		if ((rc = registry[i]->open(a, &s->s[s->n].state, err,
		    errlen)) != 0)
			return rc;
		s->n++;
	}
	return 0;
}

int
sinks_check(const struct sink_args *a, char *err, size_t errlen)
{
	size_t i;
	int rc;

	for (i = 0; i < NELEM(registry); i++)
		if (registry[i]->wanted(a) && registry[i]->check != NULL &&
		    (rc = registry[i]->check(a, err, errlen)) != 0)
			return rc;
	return 0;
}

void
sinks_verdict(struct sinks *s, const struct verdict *v)
{
	unsigned i;

	for (i = 0; i < s->n; i++)
		if (s->s[i].ops->verdict != NULL)
			s->s[i].ops->verdict(s->s[i].state, v);
}

void
sinks_flow(struct sinks *s, const struct flow_event *fe)
{
	unsigned i;

	for (i = 0; i < s->n; i++)
		if (s->s[i].ops->flow != NULL)
			s->s[i].ops->flow(s->s[i].state, fe);
}

void
sinks_summary(struct sinks *s, const char *json, size_t len)
{
	unsigned i;

	for (i = 0; i < s->n; i++)
		if (s->s[i].ops->summary != NULL)
			s->s[i].ops->summary(s->s[i].state, json, len);
}

void
sinks_stats(struct sinks *s, const struct stats_event *st)
{
	unsigned i;

	for (i = 0; i < s->n; i++)
		if (s->s[i].ops->stats != NULL)
			s->s[i].ops->stats(s->s[i].state, st);
}

void
sinks_figures(struct sinks *s, struct stats_event *st)
{
	unsigned i;

	for (i = 0; i < s->n; i++)
		if (s->s[i].ops->figures != NULL)
			s->s[i].ops->figures(s->s[i].state, st);
}

int
sinks_stalled(struct sinks *s, uint64_t limit_us, char *why, size_t len)
{
	unsigned i;

	for (i = 0; i < s->n; i++)
		if (s->s[i].ops->stalled != NULL &&
		    s->s[i].ops->stalled(s->s[i].state, limit_us, why, len))
			return 1;
	return 0;
}

enum sinks_end
sinks_finish(struct sinks *s, uint64_t timeout_us)
{
	uint64_t deadline = mono_us() + timeout_us, kept = 0, lost = 0;
	struct sink_end e;
	char where[256] = "";
	size_t off = 0;
	unsigned i;

	/* All the sinks work at once: waiting for each in turn up to the
	 * same deadline waits no longer than for the slowest. */
	for (i = 0; i < s->n; i++)
		if (s->s[i].ops->drain != NULL)
			s->s[i].ops->drain(s->s[i].state, deadline);
	for (i = 0; i < s->n; i++) {
		if (s->s[i].ops->finish == NULL)
			continue;
		e.kept = e.lost = 0;
		s->s[i].ops->finish(s->s[i].state, &e);
		kept += e.kept;
		lost += e.lost;
		if (e.lost > 0 && off < sizeof(where))
			off += (size_t)snprintf(where + off, sizeof(where) - off,
			    "%s, ", s->s[i].ops->name);
	}
	if (lost > 0) {
		log_err("%" PRIu64 " verdicts were lost (see the stats event: "
		    "%saction)", lost, where);
		return SINKS_END_LOST;
	}
	return kept > 0 ? SINKS_END_KEPT : SINKS_END_ALL;
}

void
sinks_reopen(struct sinks *s)
{
	unsigned i;

	for (i = 0; i < s->n; i++)
		if (s->s[i].ops->reopen != NULL)
			s->s[i].ops->reopen(s->s[i].state);
}

int
sinks_close(struct sinks *s, char *err, size_t errlen)
{
	char other[512];
	unsigned i;
	int rc = 0;

	/* Last opened, first closed; the first failure is the one
	 * reported. */
	for (i = s->n; i-- > 0;) {
		if (s->s[i].ops->close(s->s[i].state, rc == 0 ? err : other,
		    rc == 0 ? errlen : sizeof(other)) == -1)
			rc = -1;
	}
	s->n = 0;
	return rc;
}
