/*
 * config_int.h: the option table's row type, shared by the table
 * (options.c) and its readers (config.c) only.
 */
#ifndef EGRESSD_CONFIG_INT_H
#define EGRESSD_CONFIG_INT_H

#include <stddef.h>

#include "config.h"

enum opt_type { OPT_INT, OPT_DURATION, OPT_BOOL, OPT_CIDR_LIST, OPT_PATH,
	OPT_PATH_LIST, OPT_CATEGORIES, OPT_TEXT, OPT_CHOICE };

struct option_def {
	const char *name;
	enum opt_type type;
	size_t offset;
	long long min, max;	/* OPT_INT: value; OPT_DURATION: microseconds */
	const char *defval;
	const char *help;
	unsigned modes;		/* MODE_REPLAY, MODE_LIVE: where it applies */
	int reloads;		/* a live capture's SIGHUP puts it in use */
};

#define SEC 1000000LL	/* microseconds */

/* The table, in the order --help lists it. */
extern const struct option_def options[];
extern const size_t noptions;

/* The names an OPT_CHOICE option takes (NULL-ended); its value is the
 * index. */
const char *const *choices_of(const struct option_def *o);

#endif
