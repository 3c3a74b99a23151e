/*
 * sig.h: the signature engine. Rules are data (the .rules files in
 * signatures/), one per line: an id, a category, a message, a confidence
 * and one or more match kinds (host, ip, port, asn, country, ndpi, payload,
 * alpn, cert) that must all hold. The full rule grammar is written once, in
 * the comment at the top of classify/sigparse.c.
 *
 * Matching never walks the rule list: each rule is indexed under one of its
 * kinds (host, ip, ndpi, payload, port, asn, country, alpn, cert, in that
 * order of preference), a lookup collects the candidates from each index
 * that the flow's facts can reach, and only those are checked against all
 * their kinds. Hosts are hashed (exact names, and every suffix of the name
 * for "*.domain" patterns), addresses go through one hash per prefix
 * length in use, so 100k host rules and 100k CIDR rules cost a handful of
 * hash probes per lookup. Rules with no kind but alpn and cert sit in one
 * short list per kind, walked only when that fact is known: they are few,
 * and the facts arrive once per TLS flow.
 */
#ifndef EGRESSD_SIG_H
#define EGRESSD_SIG_H

#include <stddef.h>
#include <stdint.h>

#include "policy.h"

struct dpi;
struct sigset;

/* A loaded rule, read-only; valid while its sigset lives. */
struct sig_rule {
	const char *id;		/* unique across the set */
	const char *msg;
	const char *file;	/* where it was read, for messages */
	int line;
	enum policy_category category;
	enum confidence confidence;
	uint32_t index;		/* 0..sigset_count()-1, for per-flow bitsets */
	int contextual;		/* a port= rule and nothing else: a hint
				 * that never makes a verdict alone */
};

/* What is known of a flow when it is matched. A kind whose fact is
 * unknown (NULL, 0) never matches, so a rule with that kind does not fire
 * yet; it may fire on a later lookup when the fact is known. */
struct sig_facts {
	const uint8_t *peer;	/* the non-VM side's address (16 bytes, mapped) */
	uint16_t port;		/* the responder's port */
	uint8_t proto;		/* IP protocol: 6, 17, ... */
	const char *host;	/* SNI, Host, DNS name or cached DNS answer */
	uint16_t ndpi_master;	/* nDPI protocol ids, 0 unknown */
	uint16_t ndpi_app;
	uint32_t asn;		/* 0 unknown */
	const char *country;	/* ISO 3166 alpha-2, NULL unknown */
	const uint8_t *payload;	/* start of one payload packet, or NULL */
	size_t payload_len;
	/* Added last so that callers that zero the struct keep working. */
	const char *tls_alpn;	/* client ALPN ids, comma-separated as nDPI
				 * gives them ("h2,http/1.1"), NULL unknown */
	const char *tls_cert_subject;	/* server certificate DNs as nDPI */
	const char *tls_cert_issuer;	/* formats them, NULL unknown */
};

struct sigset *sigset_new(void);
void sigset_free(struct sigset *s);

/* Adds the rules of one file, which must be a regular file (a FIFO is an
 * error, not a wait). dpi resolves ndpi= names (an unknown name is an
 * error). Returns 0, or -1 with "file:line: what is wrong" in err; on
 * error the set keeps the rules read before the bad line. */
int sigset_load_file(struct sigset *s, const char *path, struct dpi *dpi,
    char *err, size_t errlen);
/* Adds every "*.rules" file of a directory, in name order; an entry of that
 * name that is not a regular file (a FIFO, a directory...) is skipped with
 * a warning. */
int sigset_load_dir(struct sigset *s, const char *dir, struct dpi *dpi,
    char *err, size_t errlen);

size_t sigset_count(const struct sigset *s);
const struct sig_rule *sigset_rule(const struct sigset *s, uint32_t index);

/* Calls fn once for each rule whose every kind holds for facts; returns how
 * many did. Allocates nothing. */
size_t sigset_match(const struct sigset *s, const struct sig_facts *facts,
    void (*fn)(const struct sig_rule *, void *), void *arg);

/* Longest payload= pattern plus its offset bound: how many bytes of each
 * payload packet matching can look at. */
#define SIG_PAYLOAD_DEPTH 64

#endif
