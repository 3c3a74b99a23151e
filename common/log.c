/*
 * log.c: one line per message on stderr, "egressd: " first. When stderr is
 * systemd's journal stream (JOURNAL_STREAM names its device and inode, as
 * systemd.exec(5) documents), each line starts with the message's priority
 * as sd-daemon(3) spells it ("<3>" for an error), which journald reads and
 * strips: `journalctl -p err` then finds egressd's errors. Any other stderr
 * (a terminal, a file, a pipe to another logger) gets no prefix; on a
 * terminal a line ends by erasing what a progress line left there. The
 * choice is made once, at the first message or at log_init(). The level
 * and the choice are process-wide settings made before any worker starts,
 * so they live here as the module's own state rather than being threaded
 * through every call.
 */
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"

static enum log_level log_level = LOG_LEVEL_INFO;
static int log_journal;
static int log_tty;		/* stderr is a terminal */
static pthread_once_t log_once = PTHREAD_ONCE_INIT;

void
log_set_level(enum log_level level)
{
	log_level = level;
}

void
log_init(void)
{
	const char *js = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;
	char end;

	log_journal = 0;
	log_tty = isatty(fileno(stderr));
	if (js == NULL ||
	    sscanf(js, "%llu:%llu%c", &dev, &ino, &end) != 2 ||
	    fstat(fileno(stderr), &st) == -1)
		return;
	/* Set for the service but inherited by anything it starts: only
	 * a stderr that is that stream itself is the journal's. */
	log_journal = (unsigned long long)st.st_dev == dev &&
	    (unsigned long long)st.st_ino == ino;
}

int
log_to_journal(void)
{
	pthread_once(&log_once, log_init);
	return log_journal;
}

void
log_msg(enum log_level level, const char *fmt, ...)
{
	/* sd-daemon.h's SD_ERR, SD_WARNING, SD_INFO, SD_DEBUG. */
	static const char *const prio[] = { "<3>", "<4>", "<6>", "<7>" };
	va_list ap;

	if (level > log_level)
		return;
	/* One line, whole, even when two threads log at once: the priority
	 * must open the line for journald to read it. */
	flockfile(stderr);
	if (log_to_journal())
		fputs(prio[level], stderr);
	fputs("egressd: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	/* On a terminal a replay's progress line may stand where this
	 * message began: erase what is left of it. */
	if (log_tty)
		fputs("\033[K", stderr);
	fputc('\n', stderr);
	funlockfile(stderr);
}
