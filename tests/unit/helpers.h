/*
 * helpers.h: what more than one unit suite needs.
 */
#ifndef EGRESSD_TEST_HELPERS_H
#define EGRESSD_TEST_HELPERS_H

#include <stdint.h>

#include "event.h"

/* The figure (section, name) of s; the test fails when it is missing. */
uint64_t stats_figure(const struct stats_event *s, const char *section,
    const char *name);

#endif
