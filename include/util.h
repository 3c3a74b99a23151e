/*
 * util.h: the one allocation-failure policy and small bounded string and
 * number helpers used everywhere.
 *
 * Allocation failure is not a condition egressd can recover from sensibly at
 * the point it happens, so the x*() functions print a message and abort (as
 * tmux's xmalloc.c does); call sites stay free of NULL checks. Every caller
 * that allocates in response to input must itself enforce a bound first.
 */
#ifndef EGRESSD_UTIL_H
#define EGRESSD_UTIL_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

void *xmalloc(size_t size);
void *xcalloc(size_t nmemb, size_t size);
void *xreallocarray(void *ptr, size_t nmemb, size_t size);
/* Zeroed memory for a large table looked up at random (flows, behaviour
 * entries): from 2 MB up it is mapped on its own, aligned and marked for
 * transparent huge pages, so a random lookup costs a TLB entry per 2 MB
 * rather than per 4 kB. Pages stay out of RSS until first written. The
 * caller frees it with xfree_table() and the same counts. */
void *xcalloc_table(size_t nmemb, size_t size);
void xfree_table(void *p, size_t nmemb, size_t size);
/* Returns a copy the caller frees. */
char *xstrdup(const char *s);

/* Copies at most dstlen - 1 bytes and always terminates; returns strlen(src)
 * so truncation shows as a return value >= dstlen. */
size_t str_copy(char *dst, const char *src, size_t dstlen);

/* Parses a whole decimal integer in [min, max]; returns 0 or -1. */
int parse_long(const char *s, long min, long max, long *out);

/* Parses a duration: a number with an optional unit s, m, h, ms (default s)
 * into microseconds in [min_us, max_us]; returns 0 or -1. */
int parse_duration_us(const char *s, uint64_t min_us, uint64_t max_us, uint64_t *out);

/* Writes a duration as parse_duration_us reads it, in the largest unit
 * that divides it exactly ("100ms", "1s", "5m", "365d"). */
void format_duration_us(uint64_t us, char *buf, size_t len);

/* Removes leading and trailing white space in place and returns s. */
char *str_trim(char *s);

/* Reads one line of fp into buf without its newline (or a CR before it),
 * at most len - 2 bytes of it, a byte at a time so that a NUL byte cannot
 * end it unseen. Returns its length, or -1 at the end of the file; *nul
 * and *too_long say whether it held a NUL byte (left out) or more than
 * fits (the rest is skipped). */
int file_read_line(FILE *fp, char *buf, size_t len, int *nul, int *too_long);

/*
 * Every file egressd reads because the configuration names it (the config
 * file, rule files, the inventory, GeoIP databases, the webhook's secret
 * and CA files) is opened through file_open_regular(): anything but a
 * regular file, after symbolic links, is refused, so that a FIFO put in
 * place of one is an error at once rather than a read that waits forever
 * for a writer, and a directory or a device is refused by name. The open
 * itself does not wait (O_NONBLOCK, cleared once the file is known to be
 * regular). Returns a close-on-exec descriptor, or -1 with err set to
 * "PATH: why", e.g. "PATH: is a FIFO, not a regular file".
 */
int file_open_regular(const char *path, char *err, size_t errlen);
/* The same as a stdio stream for reading, which the caller fcloses. */
FILE *file_fopen_regular(const char *path, char *err, size_t errlen);
/* The same check for a file a library opens by its path: opens the file as
 * above and closes it again. Returns 0 or -1 with err set. */
int file_check_regular(const char *path, char *err, size_t errlen);
/* What a file of this mode is, for messages: "a FIFO", "a directory"... */
const char *file_type_name(mode_t mode);

/* Microseconds: since the epoch, and since an arbitrary start. */
uint64_t wall_us(void);
uint64_t mono_us(void);

/* A condition variable whose timed waits run on CLOCK_MONOTONIC, the
 * clock of mono_us, so a step of the wall clock changes no wait. */
void cond_init_monotonic(pthread_cond_t *cv);

/* Waits on cv (mu held) until the mono_us time until_us, or without a
 * limit when until_us is 0. */
void cond_wait_until(pthread_cond_t *cv, pthread_mutex_t *mu,
    uint64_t until_us);

#endif
