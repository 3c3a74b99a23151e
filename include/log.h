/*
 * log.h: the one logging API. Messages go to stderr prefixed "egressd: "
 * (or to syslog once log_use_syslog() is called by a service). Nothing on the
 * per-packet path logs above LOG_LEVEL_DEBUG; packet problems are counted in
 * stats instead.
 */
#ifndef EGRESSD_LOG_H
#define EGRESSD_LOG_H

enum log_level { LOG_LEVEL_ERR, LOG_LEVEL_WARN, LOG_LEVEL_INFO, LOG_LEVEL_DEBUG };

void log_set_level(enum log_level level);
void log_use_syslog(const char *ident);
void log_msg(enum log_level level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#define log_err(...) log_msg(LOG_LEVEL_ERR, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_LEVEL_WARN, __VA_ARGS__)
#define log_info(...) log_msg(LOG_LEVEL_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_LEVEL_DEBUG, __VA_ARGS__)

#endif
