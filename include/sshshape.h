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

/* Counts one payload packet (dir 0 from the client, len bytes); returns 1
 * once SSH_LOOK client packets are counted (time to judge). */
int sshshape_feed(struct sshshape *t, int dir, size_t len);

/* Fills hit (category proxy) and returns 1 when the session carried a
 * tunnel's traffic; 0 for a shell, or when too little was seen. */
int sshshape_judge(const struct sshshape *t, struct heur_hit *hit);

#endif
