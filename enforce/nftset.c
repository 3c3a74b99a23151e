/*
 * nftset.c: block verdicts into nftables sets, through libnftables.
 *
 * Commands are nftables' own text, so the set names are checked to a
 * character set that cannot end a word or a command, and the only other
 * thing put in a command is an address inet_ntop() formatted.
 *
 * An nftset is owned by one thread: the libnftables context is not
 * thread-safe, and libnftables keeps some state of its own (a one-time
 * initialisation in nft_ctx_new(), an interface cache), so every nftset of
 * a process is made, used and freed by the same thread.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <netinet/in.h>
#include <nftables/libnftables.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nftset.h"
#include "util.h"

/* nftables names are at most 256 bytes (NFT_NAME_MAXLEN); a family is
 * shorter. */
#define NFTSET_WORD_MAX	256
#define NFTSET_NAME_MAX	(3 * NFTSET_WORD_MAX + 3)
/* An add-delete-add of one address, with the longest name. */
#define NFTSET_CMD_MAX	(3 * NFTSET_NAME_MAX + 3 * INET6_ADDRSTRLEN + 128)

struct nftset {
	struct nft_ctx *ctx;
	char set4[NFTSET_NAME_MAX];	/* "family table set", or "" */
	char set6[NFTSET_NAME_MAX];
	unsigned long timeout_s;	/* of every element added */
};

static const char *const nftset_families[] = {
	"ip", "ip6", "inet", "bridge", "arp", "netdev"
};

/* Checks spec, "FAMILY TABLE SET" with any blanks between the words, and
 * writes it to out with single spaces. */
static int
parse_spec(const char *spec, char *out, size_t outlen, char *err, size_t errlen)
{
	const char *p = spec, *w[3];
	size_t wl[3], i, n = 0;
	int known = 0;

	for (;;) {
		while (isspace((unsigned char)*p))
			p++;
		if (*p == '\0')
			break;
		if (n == 3) {
			n++;
			break;
		}
		w[n] = p;
		while (*p != '\0' && !isspace((unsigned char)*p))
			p++;
		wl[n] = (size_t)(p - w[n]);
		n++;
	}
	if (n != 3) {
		snprintf(err, errlen, "nft_set: '%s': expected FAMILY TABLE SET",
		    spec);
		return -1;
	}
	for (i = 0; i < 3; i++) {
		size_t k;

		if (wl[i] >= NFTSET_WORD_MAX) {
			snprintf(err, errlen, "nft_set: '%s': name longer than "
			    "%d bytes", spec, NFTSET_WORD_MAX - 1);
			return -1;
		}
		for (k = 0; k < wl[i]; k++) {
			unsigned char c = (unsigned char)w[i][k];

			if (!isalnum(c) && c != '_' && c != '.' && c != '-') {
				snprintf(err, errlen, "nft_set: '%s': '%c' is "
				    "not allowed in a name (A-Z a-z 0-9 _ . -)",
				    spec, c);
				return -1;
			}
		}
	}
	for (i = 0; i < NELEM(nftset_families); i++)
		if (strlen(nftset_families[i]) == wl[0] &&
		    strncmp(nftset_families[i], w[0], wl[0]) == 0)
			known = 1;
	if (!known) {
		snprintf(err, errlen, "nft_set: '%s': unknown family '%.*s' "
		    "(ip, ip6, inet, bridge, arp, netdev)", spec, (int)wl[0],
		    w[0]);
		return -1;
	}
	snprintf(out, outlen, "%.*s %.*s %.*s", (int)wl[0], w[0], (int)wl[1],
	    w[1], (int)wl[2], w[2]);
	return 0;
}

/* Runs cmd; on failure writes "what: " and the first line of nftables'
 * error text to err. Both buffers are read after every command, which
 * empties them, so output never piles up and an old error is never
 * reported again. */
static int
run(struct nftset *n, const char *cmd, const char *what, char *err,
    size_t errlen)
{
	char line[512];
	int rc;

	rc = nft_run_cmd_from_buffer(n->ctx, cmd);
	(void)nft_ctx_get_output_buffer(n->ctx);
	str_copy(line, nft_ctx_get_error_buffer(n->ctx), sizeof(line));
	if (rc == 0)
		return 0;
	line[strcspn(line, "\n")] = '\0';
	str_trim(line);
	snprintf(err, errlen, "%s: %s", what,
	    line[0] != '\0' ? line : "nftables failed");
	return -1;
}

/* The commands that put addr in set with the timeout, or renew its timeout
 * when it is there. "add element" of an element that exists succeeds
 * without touching its timeout on the kernels Debian 12 ships (6.1); so the
 * element is added, deleted and added again, in one transaction: the
 * first add makes the delete always valid, and as the batch is atomic the
 * address is never out of the set, not even for a packet. */
static void
format_add(const struct nftset *n, const char *set, const char *addr,
    char *cmd, size_t cmdlen)
{
	snprintf(cmd, cmdlen,
	    "add element %s { %s timeout %lus }; "
	    "delete element %s { %s }; "
	    "add element %s { %s timeout %lus }",
	    set, addr, n->timeout_s, set, addr, set, addr, n->timeout_s);
}

/* Checks that set exists and takes an address of family af with a
 * timeout. The second step is a dry run of what nftset_add() does: the
 * batch goes to the kernel, which checks it and then drops it, so a set
 * of the wrong type or without "flags timeout" is found now rather than
 * at the first block verdict. */
static int
check_set(struct nftset *n, const char *set, int af, char *err, size_t errlen)
{
	char cmd[NFTSET_CMD_MAX], what[NFTSET_NAME_MAX + 32];
	int rc;

	snprintf(what, sizeof(what), "nft_set '%s'", set);
	snprintf(cmd, sizeof(cmd), "list set %s", set);
	if (run(n, cmd, what, err, errlen) == -1)
		return -1;

	snprintf(what, sizeof(what), "nft_set '%s': cannot add an %s address "
	    "with a timeout", set, af == AF_INET ? "IPv4" : "IPv6");
	format_add(n, set, af == AF_INET ? "192.0.2.0" : "2001:db8::", cmd,
	    sizeof(cmd));
	nft_ctx_set_dry_run(n->ctx, true);
	rc = run(n, cmd, what, err, errlen);
	nft_ctx_set_dry_run(n->ctx, false);
	return rc;
}

struct nftset *
nftset_new(const char *set4, const char *set6, uint64_t timeout_us,
    char *err, size_t errlen)
{
	struct nftset *n;

	n = xcalloc(1, sizeof(*n));
	if (set4[0] == '\0' && set6[0] == '\0') {
		snprintf(err, errlen, "nft_set: no set for IPv4 or IPv6");
		goto fail;
	}
	if (set4[0] != '\0' &&
	    parse_spec(set4, n->set4, sizeof(n->set4), err, errlen) == -1)
		goto fail;
	if (set6[0] != '\0' &&
	    parse_spec(set6, n->set6, sizeof(n->set6), err, errlen) == -1)
		goto fail;
	/* Whole seconds, as nftables prints them; never 0, which would mean
	 * the set's default timeout or none at all. */
	n->timeout_s = (unsigned long)((timeout_us + 999999) / 1000000);
	if (n->timeout_s == 0)
		n->timeout_s = 1;

	if ((n->ctx = nft_ctx_new(NFT_CTX_DEFAULT)) == NULL) {
		snprintf(err, errlen, "nft_set: cannot make a libnftables context");
		goto fail;
	}
	if (nft_ctx_buffer_output(n->ctx) != 0 ||
	    nft_ctx_buffer_error(n->ctx) != 0) {
		snprintf(err, errlen, "nft_set: cannot buffer libnftables output");
		goto fail;
	}
	/* "list set" without the elements: the set may hold many. */
	nft_ctx_output_set_flags(n->ctx, NFT_CTX_OUTPUT_TERSE);
	if (n->set4[0] != '\0' &&
	    check_set(n, n->set4, AF_INET, err, errlen) == -1)
		goto fail;
	if (n->set6[0] != '\0' &&
	    check_set(n, n->set6, AF_INET6, err, errlen) == -1)
		goto fail;
	return n;

fail:
	nftset_free(n);
	return NULL;
}

void
nftset_free(struct nftset *n)
{
	if (n == NULL)
		return;
	if (n->ctx != NULL)
		nft_ctx_free(n->ctx);
	free(n);
}

int
nftset_add(struct nftset *n, const uint8_t addr[16], char *err, size_t errlen)
{
	static const uint8_t v4mapped[12] = {
		0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff
	};
	char text[INET6_ADDRSTRLEN], cmd[NFTSET_CMD_MAX];
	char what[NFTSET_NAME_MAX + INET6_ADDRSTRLEN + 32];
	const char *set;

	if (memcmp(addr, v4mapped, sizeof(v4mapped)) == 0) {
		set = n->set4;
		inet_ntop(AF_INET, addr + 12, text, sizeof(text));
	} else {
		set = n->set6;
		inet_ntop(AF_INET6, addr, text, sizeof(text));
	}
	if (set[0] == '\0')
		return 0;
	format_add(n, set, text, cmd, sizeof(cmd));
	snprintf(what, sizeof(what), "nft_set '%s': adding %s", set, text);
	if (run(n, cmd, what, err, errlen) == -1)
		return -1;
	return 1;
}
