/*
 * log.c: stderr or syslog, chosen once at start-up. The level and the choice
 * are process-wide settings made before any worker starts, so they live here
 * as the module's own state rather than being threaded through every call.
 */
#include <stdarg.h>
#include <stdio.h>
#include <syslog.h>

#include "log.h"

static enum log_level log_level = LOG_LEVEL_INFO;
static int log_syslog;

void
log_set_level(enum log_level level)
{
	log_level = level;
}

void
log_use_syslog(const char *ident)
{
	openlog(ident, LOG_PID | LOG_NDELAY, LOG_DAEMON);
	log_syslog = 1;
}

void
log_msg(enum log_level level, const char *fmt, ...)
{
	static const int prio[] = { LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG };
	va_list ap;

	if (level > log_level)
		return;
	va_start(ap, fmt);
	if (log_syslog) {
		vsyslog(prio[level], fmt, ap);
	} else {
		fputs("egressd: ", stderr);
		vfprintf(stderr, fmt, ap);
		fputc('\n', stderr);
	}
	va_end(ap);
}
