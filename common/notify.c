/*
 * notify.c: the service manager's notification socket, through
 * libsystemd's sd_notify() (see notify.h). The environment is read once,
 * at notify_open(); sd_notify() reads NOTIFY_SOCKET again at each send,
 * and is asked to leave it set because egressd sends for as long as it
 * runs (the exec hook's programs get an environment of their own, without
 * it).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-daemon.h>

#include "log.h"
#include "notify.h"
#include "util.h"

/* The longest message egressd sends is a STATUS= line naming interfaces. */
#define NOTIFY_MSG_MAX	1024

struct notify {
	uint64_t watchdog_us;	/* WATCHDOG_USEC; 0: no watchdog */
	uint64_t last_ping_us;	/* mono_us() of the last WATCHDOG=1 */
	int failed;		/* a send failed and was logged */
};

struct notify *
notify_open(uint64_t now_us)
{
	struct notify *n;
	const char *sock = getenv("NOTIFY_SOCKET");
	uint64_t usec = 0;

	if (sock == NULL || *sock == '\0')
		return NULL;
	n = xcalloc(1, sizeof(*n));
	/* > 0 only when WATCHDOG_USEC is set and WATCHDOG_PID, if set, is
	 * this process. */
	if (sd_watchdog_enabled(0, &usec) > 0)
		n->watchdog_us = usec;
	n->last_ping_us = now_us;
	return n;
}

void
notify_free(struct notify *n)
{
	free(n);
}

int
notify_send(struct notify *n, const char *fmt, ...)
{
	char msg[NOTIFY_MSG_MAX];
	va_list ap;
	int rc;

	if (n == NULL)
		return 0;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	rc = sd_notify(0, msg);
	if (rc > 0)
		return 0;
	if (!n->failed) {
		log_warn("notify: cannot send to the service manager: %s",
		    rc < 0 ? strerror(-rc) : "NOTIFY_SOCKET is gone");
		n->failed = 1;
	}
	return -1;
}

uint64_t
notify_watchdog_us(const struct notify *n)
{
	return n != NULL ? n->watchdog_us : 0;
}

int
notify_watchdog_due(const struct notify *n, uint64_t now_us)
{
	if (n == NULL || n->watchdog_us == 0)
		return 0;
	return now_us - n->last_ping_us >= n->watchdog_us / 2;
}

int
notify_watchdog(struct notify *n, uint64_t now_us)
{
	if (n == NULL || n->watchdog_us == 0)
		return 0;
	n->last_ping_us = now_us;
	return notify_send(n, "WATCHDOG=1");
}
