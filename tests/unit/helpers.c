/*
 * helpers.c: see helpers.h.
 */
#include <check.h>
#include <string.h>

#include "helpers.h"

uint64_t
stats_figure(const struct stats_event *s, const char *section,
    const char *name)
{
	unsigned i;

	for (i = 0; i < s->n; i++)
		if (strcmp(s->c[i].section, section) == 0 &&
		    strcmp(s->c[i].name, name) == 0)
			return s->c[i].value;
	ck_abort_msg("no %s.%s in the stats", section, name);
	return 0;
}
