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

struct dpi;
struct policy;

enum policy_category {
	CAT_NONE,
	CAT_P2P,
	CAT_MINING,
	CAT_REMOTE_ACCESS,
	CAT_PROXY,
	CAT_DOS,
	CAT_SCAN,
	CAT_BRUTEFORCE,
	CAT_N
};

/* How sure a piece of evidence, and so a verdict, is. */
enum confidence { CONF_NONE, CONF_LOW, CONF_MEDIUM, CONF_HIGH, CONF_N };

const char *confidence_name(enum confidence c);	/* "low", "medium", "high" */
/* Parses "low", "medium" or "high"; returns CONF_NONE when unknown. */
enum confidence confidence_parse(const char *name);

struct policy *policy_new(struct dpi *d, char *err, size_t errlen);
void policy_free(struct policy *p);

/* The category of one nDPI protocol id. */
enum policy_category policy_proto(const struct policy *p, uint16_t id);
/* The category of a Master.App pair: the app decides, then the master. */
enum policy_category policy_classify(const struct policy *p, uint16_t master,
    uint16_t app);

/* Number of table names this nDPI resolved, and of names it lacks. */
void policy_coverage(const struct policy *p, unsigned *resolved, unsigned *missing);

const char *policy_category_name(enum policy_category c);
/* Parses a category name; returns CAT_N when unknown. */
enum policy_category policy_category_parse(const char *name);
/* "high", "medium" or "low": how urgent a verdict of this category is. */
const char *policy_severity(enum policy_category c);
/* The verb phrase of a reason: "is mining", "is sharing files"... */
const char *policy_phrase(enum policy_category c);

#endif
