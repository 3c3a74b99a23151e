/*
 * policy.h: what the platform forbids, as a map from nDPI protocol ids to
 * egressd categories. The map is written with nDPI's protocol names and
 * resolved to ids once at start-up, so policy keys on ids (never on nDPI's
 * own categories, which put SOCKS under 'Web' in 4.2) and names that this
 * nDPI build lacks simply resolve to nothing.
 */
#ifndef EGRESSD_POLICY_H
#define EGRESSD_POLICY_H

#include <stddef.h>
#include <stdint.h>

#include "vocab.h"

struct dpi;
struct policy;

struct policy *policy_new(struct dpi *d, char *err, size_t errlen);
void policy_free(struct policy *p);

/* The category of one nDPI protocol id. */
enum policy_category policy_proto(const struct policy *p, uint16_t id);
/* The category of a Master.App pair: the app decides, then the master. */
enum policy_category policy_classify(const struct policy *p, uint16_t master,
    uint16_t app);

/* Number of table names this nDPI resolved, and of names it lacks. */
void policy_coverage(const struct policy *p, unsigned *resolved, unsigned *missing);

#endif
