/*
 * sidecar.h: the live capture run (-i); see sidecar.c.
 */
#ifndef EGRESSD_SIDECAR_H
#define EGRESSD_SIDECAR_H

#include <stddef.h>

#include "config.h"

/* What a reload needs to rebuild the settings as they were given. */
struct sidecar_args {
	const char *cfile;		/* -c, or NULL */
	const char *const *set_names;	/* command-line settings, in order */
	const char *const *set_values;
	size_t nsets;
	const char *ofile;		/* -o, "-" for standard output */
};

/* Runs until SIGTERM or SIGINT (or a capture fails); returns the exit
 * status, one of the EGRESSD_EXIT_ codes of pipeline.h. */
int sidecar_run(const struct config *cfg, const struct sidecar_args *a);

#endif
