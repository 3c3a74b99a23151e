/*
 * priv.h: dropping root once the capture is open. The packet sockets stay
 * usable (they are open already); the process keeps only the
 * capabilities it still needs: none, or CAP_NET_ADMIN when it must add
 * addresses to nftables sets. Call it before starting any thread:
 * capabilities belong to each thread, and new threads inherit the
 * caller's.
 */
#ifndef EGRESSD_PRIV_H
#define EGRESSD_PRIV_H

#include <sys/types.h>

#include <stddef.h>

/* Switches to user (its uid, primary gid and no supplementary groups),
 * empties the bounding set but for the kept capability, and sets
 * no_new_privs. Returns 0, or -1 with a message. */
int priv_drop(const char *user, int keep_net_admin, char *err, size_t errlen);

/* Not root (a service given CAP_NET_RAW by systemd, say): keeps the user
 * and gives up every capability but CAP_NET_ADMIN when asked to keep it.
 * Returns 0, or -1 with a message. */
int priv_drop_caps(int keep_net_admin, char *err, size_t errlen);

/* The uid of the account user (for egressd -t); returns 0, or -1 when
 * there is no such account. */
int priv_user_uid(const char *user, uid_t *uid);

#endif
