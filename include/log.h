/*
 * log.h: the one logging API. Messages go to stderr prefixed "egressd: ";
 * when stderr is the journal's stream (systemd sets JOURNAL_STREAM), each
 * line also starts with its priority ("<3>" for an error) so journald files
 * it under that priority. Nothing on the per-packet path logs above
 * LOG_LEVEL_DEBUG; packet problems are counted in stats instead.
 */
#ifndef EGRESSD_LOG_H
#define EGRESSD_LOG_H

enum log_level { LOG_LEVEL_ERR, LOG_LEVEL_WARN, LOG_LEVEL_INFO, LOG_LEVEL_DEBUG };

void log_set_level(enum log_level level);
/* Decides, from JOURNAL_STREAM and stderr, whether lines carry a journal
 * priority. The first message decides by itself when nothing called this;
 * call it again after changing stderr or the environment (tests do). */
void log_init(void);
/* Whether lines carry a journal priority (deciding first if need be). */
int log_to_journal(void);
void log_msg(enum log_level level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#define log_err(...) log_msg(LOG_LEVEL_ERR, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_LEVEL_WARN, __VA_ARGS__)
#define log_info(...) log_msg(LOG_LEVEL_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_LEVEL_DEBUG, __VA_ARGS__)

#endif
