/*
 * sshshape.c: SSH tunnels by their traffic shape (see include/sshshape.h).
 *
 * Sizes are TCP payload bytes. A keystroke is at most KEY_MAX bytes: an
 * SSH packet of one byte of channel data is 36 bytes with an AEAD cipher
 * and 52 to 68 with encrypt-then-MAC; a tunnel's requests are larger (a
 * SOCKS or HTTP request, a TLS hello) and its uploads fill the segment.
 */
#include <stdio.h>
#include <string.h>

#include "sshshape.h"
#include "util.h"

#define KEY_MAX		68	/* bytes of a keystroke packet, at most */
#define BIG_MIN		1000	/* bytes of a bulk packet, at least */
#define LOOK_MIN	12	/* client packets to judge a flow's end by */

struct sshshape {
	uint16_t client;	/* client payload packets so far */
	uint16_t small, mid, big;	/* of those counted, by size */
	uint32_t up, down;	/* bytes counted, client and server */
};

size_t
sshshape_size(void)
{
	return sizeof(struct sshshape);
}

int
sshshape_feed(struct sshshape *t, int dir, size_t len)
{
	if (len == 0 || t == NULL)
		return 0;
	if (t->client >= SSH_SKIP + SSH_LOOK)
		return 1;
	if (dir != 0) {
		if (t->client > SSH_SKIP)
			t->down += (uint32_t)len;
		return 0;
	}
	if (++t->client <= SSH_SKIP)
		return 0;
	t->up += (uint32_t)len;
	if (len <= KEY_MAX)
		t->small++;
	else if (len >= BIG_MIN)
		t->big++;
	else
		t->mid++;
	return t->client >= SSH_SKIP + SSH_LOOK;
}

/*
 * A shell: most client packets keystrokes (all of them in
 * tests/captures/ssh-interactive.pcap). A tunnel: fewer than 60% of
 * keystroke size, and either a fifth or more bulk uploads (sshuttle sends
 * its own server code first, then the programs' data) or two fifths or
 * more requests of a few hundred bytes (ssh -D: a SOCKS channel opening
 * and the request it carries). scp, rsync or git pushing over SSH have
 * the same shape as a tunnel's upload: they are reported as ssh-tunnel.
 */
int
sshshape_judge(const struct sshshape *t, struct heur_hit *hit)
{
	unsigned n;

	if (t == NULL)
		return 0;
	n = (unsigned)t->small + t->mid + t->big;
	/* A tunnel sends small packets too (window adjustments while data
	 * comes down), but not a shell's majority of them. */
	if (n < LOOK_MIN || t->small * 10 >= n * 6)
		return 0;
	if (t->big * 10 < n * 2 && t->mid * 10 < n * 4)
		return 0;
	hit->category = CAT_PROXY;
	hit->confidence = CONF_MEDIUM;
	hit->name = "ssh-tunnel";
	snprintf(hit->detail, sizeof(hit->detail),
	    "after the login %u client packets: %u keystroke-sized, %u bulk, "
	    "%u bytes up, %u down", n, t->small, t->big, t->up, t->down);
	return 1;
}
