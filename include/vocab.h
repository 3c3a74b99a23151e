/*
 * vocab.h: egressd's vocabulary: the categories a verdict can have, how
 * sure it is, and their names in events, settings and reasons. It depends
 * on nothing, so every module (common/ included) can use it; policy.h
 * maps nDPI's protocols onto these categories.
 */
#ifndef EGRESSD_VOCAB_H
#define EGRESSD_VOCAB_H

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

const char *policy_category_name(enum policy_category c);
/* Parses a category name; returns CAT_N when unknown. */
enum policy_category policy_category_parse(const char *name);
/* "high", "medium" or "low": how urgent a verdict of this category is. */
const char *policy_severity(enum policy_category c);
/* The verb phrase of a reason: "is mining", "is sharing files"... */
const char *policy_phrase(enum policy_category c);

#endif
