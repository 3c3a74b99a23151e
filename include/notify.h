/*
 * notify.h: telling a service manager how egressd is doing (systemd's
 * Type=notify protocol): READY=1 once every capture is open and the
 * privileges are dropped, STATUS= lines, RELOADING=1 around a reload,
 * STOPPING=1 at the end, and WATCHDOG=1 while every worker makes progress.
 * libsystemd's sd_notify() speaks the protocol (a datagram to the socket
 * NOTIFY_SOCKET names, abstract when it starts with '@'), so nothing here
 * depends on systemd running: without NOTIFY_SOCKET, notify_open() returns
 * NULL and every call below is a no-op on NULL.
 *
 * Only the main thread calls these: a send is a system call, never made on
 * a worker's packet path.
 */
#ifndef EGRESSD_NOTIFY_H
#define EGRESSD_NOTIFY_H

#include <stdint.h>

struct notify;

/* The manager's socket and watchdog interval as the environment gives
 * them, or NULL when no manager listens. now_us is mono_us(): the first
 * WATCHDOG=1 is due half an interval after it. The caller frees the
 * result with notify_free(). */
struct notify *notify_open(uint64_t now_us);
void notify_free(struct notify *n);

/* Sends one message of newline-separated KEY=VALUE assignments. Returns 0
 * when sent (or n is NULL), -1 when the send failed; the first failure is
 * logged, later ones are not (the manager may be gone for good). */
int notify_send(struct notify *n, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* WATCHDOG_USEC, 0 when the manager wants no watchdog pings (or n is
 * NULL). */
uint64_t notify_watchdog_us(const struct notify *n);

/* Whether a WATCHDOG=1 is due at now_us: half the interval after the last
 * one, as sd_watchdog_enabled(3) advises. */
int notify_watchdog_due(const struct notify *n, uint64_t now_us);

/* Sends WATCHDOG=1 and counts the interval from now_us. */
int notify_watchdog(struct notify *n, uint64_t now_us);

#endif
