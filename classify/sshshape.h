/*
 * sshshape.h: an SSH session used as a tunnel (sshuttle, ssh -D or -L,
 * ssh -w) told apart from an interactive shell by the shape of its
 * traffic once the key exchange and the login are over. A person typing
 * sends one packet per keystroke, each the smallest an SSH cipher makes
 * (36 bytes with chacha20-poly1305 or AES-GCM, up to 64 with an HMAC), and
 * the server echoes it; a tunnel carries other programs' requests:
 * packets of every size from the client, full-size ones when it uploads.
 *
 * The design decision: counters, not a packet list. A flow whose opener
 * or responder starts with "SSH-" takes a slot of a fixed pool
 * (slotpool.h), skips its
 * first SSH_SKIP client packets (banner, key exchange, login, channel
 * set-up), counts the sizes of the next SSH_LOOK, and is judged then or at
 * its end; a full pool means a flow is not looked at (counted by the
 * caller).
 *
 * The same slot reads the login. SSH encrypts it, but the server's
 * replies have telling sizes (the rule Zeek's SSH analyzer uses): once the
 * client has sent NEWKEYS (message 21, the last packet in clear) and then
 * encrypted data, the server's first segment is SERVICE_ACCEPT, its next
 * USERAUTH_FAILURE; every later segment of exactly that failure's size
 * is one more refused attempt, and one 16 bytes shorter than
 * SERVICE_ACCEPT is USERAUTH_SUCCESS (its one-byte payload pads to the
 * smallest packet the cipher makes). A first failure more than 256 bytes
 * larger than SERVICE_ACCEPT is a pre-login banner and is skipped.
 * A client that sends more than three segments after its last refusal
 * is taken to be in (the success may share a segment with what follows).
 */
#ifndef EGRESSD_SSHSHAPE_H
#define EGRESSD_SSHSHAPE_H

#include <stddef.h>
#include <stdint.h>

#include "heur.h"

#define SSH_SKIP	12	/* client payload packets before the session */
#define SSH_LOOK	40	/* client payload packets judged after them */

struct sshshape;

/* Bytes of the state one flow keeps (a slot of a slotpool, zeroed). */
size_t sshshape_size(void);

/* Counts one payload packet (dir 0 from the client, len bytes of which
 * caplen were captured at payload); returns 1
 * once SSH_LOOK client packets are counted (time to judge). */
int sshshape_feed(struct sshshape *t, int dir, const uint8_t *payload,
    size_t caplen, size_t len);

/* Fills hit (category proxy) and returns 1 when the session carried a
 * tunnel's traffic; 0 for a shell, or when too little was seen. */
int sshshape_judge(const struct sshshape *t, struct heur_hit *hit);

/* The login as read so far: refused attempts after the first failure
 * (which answers the "none" probe or the first try), and whether the
 * server accepted one. */
struct sshshape_login {
	unsigned refused;
	int success;
	int read;		/* the login was found (NEWKEYS and replies) */
};
void sshshape_login(const struct sshshape *t, struct sshshape_login *out);

/* Whether the login is still undecided: no success yet, and either the
 * client's NEWKEYS was seen or the session is still young enough for it.
 * A remote-access verdict waits meanwhile: a connection whose logins were
 * all refused gave no remote access (a guesser's connection). */
int sshshape_login_pending(const struct sshshape *t);

/* The caller's mark that a verdict waits for the login: op 1 sets it, -1
 * clears it and stops the waiting (pending is 0 from then on), 0 only
 * reads; returns whether it was set. */
int sshshape_hold(struct sshshape *t, int op);

#endif
