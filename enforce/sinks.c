/*
 * sinks.c: fans each event out to the sinks (see sinks.h).
 */
#include <stdio.h>

#include "log.h"
#include "sinks.h"

int
sinks_open(struct sinks *s, const char *out, const char *eve_path,
    int flush_each, char *err, size_t errlen)
{
	if ((s->eve = eve_open(out, err, errlen)) == NULL)
		return -1;
	eve_flush_each(s->eve, flush_each);
	if (eve_path[0] == '\0')
		return 0;
	if ((s->eve_file = eve_open(eve_path, err, errlen)) == NULL)
		return -1;
	eve_flush_each(s->eve_file, flush_each);
	return 0;
}

void
sinks_verdict(struct sinks *s, const struct verdict *v)
{
	eve_verdict(s->eve, v);
	if (s->eve_file != NULL)
		eve_verdict(s->eve_file, v);
	if (s->deliver != NULL)
		deliver_verdict(s->deliver, v);
}

void
sinks_flow(struct sinks *s, const struct flow_event *fe)
{
	eve_flow(s->eve, fe);
	if (s->eve_file != NULL)
		eve_flow(s->eve_file, fe);
}

void
sinks_stats(struct sinks *s, const struct stats_event *st)
{
	eve_stats(s->eve, st);
	if (s->eve_file != NULL)
		eve_stats(s->eve_file, st);
}

void
sinks_reopen(struct sinks *s)
{
	char err[512];

	if (eve_reopen(s->eve, err, sizeof(err)) == -1 ||
	    (s->eve_file != NULL &&
	    eve_reopen(s->eve_file, err, sizeof(err)) == -1))
		log_err("reopening: %s", err);
}

int
sinks_close(struct sinks *s, char *err, size_t errlen)
{
	char other[512];
	int rc = 0;

	/* Both are closed; the first failure is the one reported. */
	if (eve_close(s->eve_file, err, errlen) == -1)
		rc = -1;
	if (eve_close(s->eve, rc == 0 ? err : other,
	    rc == 0 ? errlen : sizeof(other)) == -1)
		rc = -1;
	s->eve = s->eve_file = NULL;
	return rc;
}
