/*
 * vocab.c: the names of categories and confidences (vocab.h).
 */
#include <string.h>

#include "vocab.h"

static const struct {
	const char *name, *severity, *phrase;
} cats[CAT_N] = {
	[CAT_NONE] = { "none", "low", "is doing nothing forbidden" },
	[CAT_P2P] = { "p2p", "medium", "is sharing files peer to peer" },
	[CAT_MINING] = { "mining", "high", "is mining" },
	[CAT_REMOTE_ACCESS] = { "remote_access", "medium", "is using remote access" },
	[CAT_PROXY] = { "proxy", "medium", "is tunnelling through a proxy or VPN" },
	[CAT_DOS] = { "dos", "high", "is flooding" },
	[CAT_SCAN] = { "scan", "medium", "is scanning" },
	[CAT_BRUTEFORCE] = { "bruteforce", "high", "is guessing passwords" },
};

const char *
policy_category_name(enum policy_category c)
{
	return (unsigned)c < CAT_N ? cats[c].name : "?";
}

enum policy_category
policy_category_parse(const char *name)
{
	int c;

	for (c = 0; c < CAT_N; c++)
		if (strcmp(cats[c].name, name) == 0)
			return (enum policy_category)c;
	return CAT_N;
}

const char *
policy_severity(enum policy_category c)
{
	return (unsigned)c < CAT_N ? cats[c].severity : "low";
}

const char *
policy_phrase(enum policy_category c)
{
	return (unsigned)c < CAT_N ? cats[c].phrase : "?";
}

const char *
confidence_name(enum confidence c)
{
	static const char *const names[CONF_N] = { "none", "low", "medium", "high" };

	return (unsigned)c < CONF_N ? names[c] : "?";
}

enum confidence
confidence_parse(const char *name)
{
	int c;

	for (c = CONF_LOW; c < CONF_N; c++)
		if (strcmp(confidence_name((enum confidence)c), name) == 0)
			return (enum confidence)c;
	return CONF_NONE;
}
