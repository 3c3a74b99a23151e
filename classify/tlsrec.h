/*
 * tlsrec.h: what a TLS session's record sizes say about what it carries.
 * A tunnel inside TLS (Trojan, VMess or VLESS over TLS or WebSocket, SSH
 * behind stunnel or sslh, Tor's link protocol) hides its bytes but not
 * the sizes and order of the messages it wraps: an SSH key exchange, an
 * inner TLS handshake and Tor's fixed 514-byte cells each leave a pattern
 * of record lengths that ordinary HTTPS does not (Xue et al., "Fingerprinting
 * Obfuscated Proxy Traffic with Encapsulated TLS Handshakes", USENIX
 * Security 2024, make the case for the inner handshake).
 *
 * The design decision: the record layer is parsed from each direction's
 * TCP payload in order (a header split across segments is kept), and only
 * the first TLSREC_MAX records are kept, in a slot of a fixed pool
 * (slotpool.h) that a flow takes when its client opens with a ClientHello
 * and gives back when the records are judged: nothing grows with traffic,
 * and a full pool only means a flow is not looked at (counted by the
 * caller).
 */
#ifndef EGRESSD_TLSREC_H
#define EGRESSD_TLSREC_H

#include <stddef.h>
#include <stdint.h>

#include "heur.h"

#define TLSREC_MAX	28	/* records kept per flow */

struct tlsrec;

/* Bytes of the state one flow keeps (a slot of a slotpool, zeroed). */
size_t tlsrec_size(void);

/* Feeds one TCP payload of the flow: dir 0 from the opener, len bytes
 * captured at d of its wire bytes (more when a short snap length cut the
 * segment: those are skipped by the records' lengths). Returns 1 when the
 * TLSREC_MAX-th record is kept (time to judge); records after it are
 * only counted (tlsrec_delayed_replies). */
int tlsrec_feed(struct tlsrec *t, int dir, const uint8_t *d, size_t len,
    size_t wire, uint64_t ts_us);

/* Judges the records kept: fills hit and returns 1 when they show SSH,
 * an inner TLS handshake, Tor cells or a miner's shares inside the
 * session. */
int tlsrec_judge(const struct tlsrec *t, struct heur_hit *hit);

/* How many of the client's small requests the server answered only after
 * a delay of about a second or more, with the client's next request right
 * after: a server's wrong-password delay, met by a guesser (tlsrec.c). */
unsigned tlsrec_delayed_replies(const struct tlsrec *t);

#endif
