/*
 * spool.h: a durable queue of webhook messages in a directory. A message is
 * one file, named by its id, written to a temporary name with mode 0600,
 * fsync'd, renamed into place and the directory fsync'd, so that once
 * spool_put() returns 0 the message survives a crash or kill -9 and is never
 * seen half written. Ids sort by age (the caller makes them so), and the
 * spool hands them out oldest first. The sum of message sizes is bounded;
 * a put that would pass the bound fails with SPOOL_FULL and writes nothing.
 *
 * One thread owns a spool; nothing here locks.
 */
#ifndef EGRESSD_SPOOL_H
#define EGRESSD_SPOOL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

#define SPOOL_ID_MAX 64		/* bytes of an id with its NUL */

struct spool;

/* Checks that dir can be a spool for the user owner: a directory (not a
 * symbolic link) owned by owner that no group or other user can write.
 * Returns 0 when it can, 1 when it does not exist (spool_open makes it),
 * -1 with a message. */
int spool_check_dir(const char *dir, uid_t owner, char *err, size_t errlen);

/* The rules of a private directory egressd writes into and trusts what it
 * finds there (the spool, the evidence directory), for what st says of
 * dir, or, when st is NULL, what lstat says then: a directory, not a
 * symbolic link, owned by owner, writable by no group or other user, with
 * at least the owner's mode bits owner_needs. what names the setting and
 * why says what another user's file there could do, in the messages.
 * Returns 0 when it passes, 1 when st is NULL and dir does not exist, -1
 * with a message. */
int spool_check_private(const char *what, const char *why, mode_t owner_needs,
    const char *dir, const struct stat *st, uid_t owner, char *err,
    size_t errlen);

/* Opens dir, creating it with mode 0700 when missing, after the checks of
 * spool_check_dir for the effective user; a message file owned by another
 * user is refused (logged, left alone, not indexed). Removes temporary
 * files an interrupted put left, and indexes the messages already there
 * (an earlier run's), oldest first. A file there that is not a message is
 * left alone and not counted. Returns NULL with a message on error. */
struct spool *spool_open(const char *dir, uint64_t max_bytes, char *err,
    size_t errlen);
void spool_close(struct spool *s);

/* Whether id can name a message: 1 to SPOOL_ID_MAX-1 bytes of
 * [A-Za-z0-9_.-], not starting with '.'. */
int spool_id_valid(const char *id);

#define SPOOL_FULL	(-2)	/* spool_put: the bound would be passed */

/* Stores a message durably. Returns 0; SPOOL_FULL when the bound would be
 * passed (nothing is wrong with the disk); or -1 with errno EEXIST when id
 * is there already, or the errno of a failed system call (ENOSPC: the
 * file system is full), with a message. */
int spool_put(struct spool *s, const char *id, const void *body, size_t len,
    char *err, size_t errlen);

/* Messages held, and the sum of their sizes. */
size_t spool_count(const struct spool *s);
uint64_t spool_bytes(const struct spool *s);

/* Copies the id of the i-th oldest message (0 = oldest) into id; returns 0,
 * or -1 when there are not that many. */
int spool_peek(const struct spool *s, size_t i, char id[SPOOL_ID_MAX]);

/* Reads a message into a new buffer (*body, NUL-terminated, *len bytes
 * without the NUL; the caller frees it). Returns 0 or -1 with a message. */
int spool_read(struct spool *s, const char *id, char **body, size_t *len,
    char *err, size_t errlen);

/* Removes a delivered message (unlink, then fsync of the directory).
 * Returns 0 or -1 with a message; the index forgets it either way. */
int spool_remove(struct spool *s, const char *id, char *err, size_t errlen);

/* Moves a message the endpoint refused for good into the "rejected"
 * subdirectory (created 0700), out of the queue and the bound, kept for a
 * person to look at. Returns 0 or -1 with a message. */
int spool_reject(struct spool *s, const char *id, char *err, size_t errlen);

#endif
