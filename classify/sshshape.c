/*
 * sshshape.c: SSH tunnels by their traffic shape (see sshshape.h).
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

#define BANNER_MIN	256	/* a pre-login banner exceeds SERVICE_ACCEPT by more */
#define SUCCESS_LESS	16	/* USERAUTH_SUCCESS is this much smaller */
#define MSG_NEWKEYS	21	/* RFC 4253 section 7.3 */
#define SINCE_MAX	3	/* client segments after a refusal of a login */

struct sshshape {
	uint16_t client;	/* client payload packets so far */
	uint16_t small, mid, big;	/* of those counted, by size */
	uint32_t up, down;	/* bytes counted, client and server */
	uint16_t accept_size;	/* SERVICE_ACCEPT's segment, 0 not yet */
	uint16_t fail_size;	/* the first USERAUTH_FAILURE's, 0 not yet */
	uint8_t refused;	/* later failures of that size */
	uint8_t since;		/* client segments since the last failure */
	unsigned newkeys:1;	/* the client sent NEWKEYS */
	unsigned encrypted:1;	/* and encrypted data after it */
	unsigned banner:1;	/* a pre-login banner was skipped */
	unsigned decided:1;	/* USERAUTH_SUCCESS seen */
	unsigned held:1;	/* a verdict waits for the login (caller's) */
	unsigned released:1;	/* the caller stopped waiting */
};

/*
 * Whether a client segment holds NEWKEYS, walking the binary packets in
 * clear from its start (RFC 4253 section 6: a 4-byte length, a padding
 * length, the message number); *after says whether bytes follow it (the
 * first encrypted packet in the same segment).
 */
static int
has_newkeys(const uint8_t *p, size_t caplen, size_t len, int *after)
{
	size_t off = 0;
	uint32_t plen;

	while (off + 6 <= caplen) {
		plen = (uint32_t)p[off] << 24 | (uint32_t)p[off + 1] << 16 |
		    (uint32_t)p[off + 2] << 8 | p[off + 3];
		if (plen < 5 || plen > 35000 || p[off + 4] >= plen)
			return 0;
		if (p[off + 5] == MSG_NEWKEYS) {
			*after = off + 4 + plen < len;
			return 1;
		}
		off += 4 + (size_t)plen;
	}
	return 0;
}

static void
login_feed(struct sshshape *t, int dir, const uint8_t *p, size_t caplen,
    size_t len)
{
	int after = 0;

	if (t->decided)
		return;
	if (dir == 0) {
		if (t->fail_size != 0 && t->since < UINT8_MAX)
			t->since++;
		if (t->newkeys)
			t->encrypted = 1;
		else if (p != NULL && has_newkeys(p, caplen, len, &after)) {
			t->newkeys = 1;
			t->encrypted = (unsigned)after;
		}
		return;
	}
	if (!t->encrypted || len > UINT16_MAX)
		return;
	if (t->accept_size == 0) {
		t->accept_size = (uint16_t)len;
		return;
	}
	if (len + SUCCESS_LESS == t->accept_size) {
		t->decided = 1;
		return;
	}
	if (t->fail_size == 0) {
		if (!t->banner && len > (size_t)t->accept_size + BANNER_MIN) {
			t->banner = 1;
			return;
		}
		t->fail_size = (uint16_t)len;
		return;
	}
	if (len == t->fail_size) {
		if (t->refused < UINT8_MAX)
			t->refused++;
		t->since = 0;
	}
}

int
sshshape_login_pending(const struct sshshape *t)
{
	if (t == NULL || t->released || t->decided || t->since > SINCE_MAX)
		return 0;
	/* A login that cannot be read (no NEWKEYS in clear where the
	 * banner and key exchange should be) is not waited for. */
	return t->newkeys || t->client < SSH_SKIP;
}

int
sshshape_hold(struct sshshape *t, int op)
{
	int was;

	if (t == NULL)
		return 0;
	was = t->held;
	if (op > 0)
		t->held = 1;
	else if (op < 0) {
		t->held = 0;
		t->released = 1;
	}
	return was;
}

void
sshshape_login(const struct sshshape *t, struct sshshape_login *out)
{
	memset(out, 0, sizeof(*out));
	if (t == NULL)
		return;
	out->refused = t->refused;
	/* A success reply may share its segment with what follows it; a
	 * client that goes on talking after its last refusal (opening a
	 * channel, sending a command) got in all the same. A guesser sends
	 * its next try or its goodbye, and the server answers the try. */
	out->success = t->decided || t->since > SINCE_MAX;
	out->read = t->fail_size != 0 || t->decided;
}

size_t
sshshape_size(void)
{
	return sizeof(struct sshshape);
}

int
sshshape_feed(struct sshshape *t, int dir, const uint8_t *payload,
    size_t caplen, size_t len)
{
	if (len == 0 || t == NULL)
		return 0;
	login_feed(t, dir, payload, caplen, len);
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
 * tests/golden/ssh-interactive/). A tunnel: fewer than 60% of
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
