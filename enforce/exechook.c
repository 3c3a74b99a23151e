/*
 * exechook.c: runs the configured program once per verdict (see
 * exechook.h for what the child gets and does not get).
 *
 * The daemon is multi-threaded, so between fork() and execve() the child
 * may only call async-signal-safe functions: everything it needs (argv,
 * envp, the highest capability number) is made before fork(), and the
 * child does nothing but system calls. The parent never blocks on the
 * child: the pipe's write end is non-blocking and one poll() waits on it
 * and on a pidfd of the child together, so the timeout holds even for a
 * program that neither reads its input nor exits.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <linux/securebits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "exechook.h"
#include "util.h"

#define EXECHOOK_PATH	"PATH=/usr/sbin:/usr/bin:/sbin:/bin"

/* How often the child is looked at when there is no pidfd (kernels before
 * 5.3). */
#define EXECHOOK_POLL_MS	10

struct exechook {
	char *words;			/* the command, NUL between words */
	char *argv[EXECHOOK_MAX_ARGS];	/* into words, NULL-ended */
	uint64_t timeout_us;
	int cap_last;			/* highest capability number */
	int fd_max;			/* closed up to here without close_range() */
};

/* The highest capability the kernel knows; capabilities above it cannot be
 * held, so dropping 0..cap_last drops them all. */
static int
read_cap_last(void)
{
	char buf[16];
	ssize_t n;
	long v;
	int fd;

	if ((fd = open("/proc/sys/kernel/cap_last_cap", O_RDONLY | O_CLOEXEC)) == -1)
		return 63;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 63;
	buf[n] = '\0';
	str_trim(buf);
	if (parse_long(buf, 0, 63, &v) == -1)
		return 63;
	return (int)v;
}

struct exechook *
exechook_new(const char *cmd, uint64_t timeout_us, char *err, size_t errlen)
{
	struct exechook *h;
	struct stat st;
	char *p;
	int argc = 0;

	h = xcalloc(1, sizeof(*h));
	h->words = xstrdup(cmd);
	h->timeout_us = timeout_us;
	h->cap_last = read_cap_last();
	/* sysconf() is not async-signal-safe: asked here, not in the
	 * child. */
	h->fd_max = (int)sysconf(_SC_OPEN_MAX);
	if (h->fd_max <= 0 || h->fd_max > 1024 * 1024)
		h->fd_max = 1024 * 1024;

	/* Words are split at blanks and nothing else: no quoting, no
	 * expansion, no shell, so what the configuration says is exactly
	 * what execve() gets. */
	p = h->words;
	for (;;) {
		p += strspn(p, " \t");
		if (*p == '\0')
			break;
		if (argc == EXECHOOK_MAX_ARGS - 1) {
			snprintf(err, errlen, "exec: more than %d words in '%s'",
			    EXECHOOK_MAX_ARGS - 1, cmd);
			goto fail;
		}
		h->argv[argc++] = p;
		p += strcspn(p, " \t");
		if (*p != '\0')
			*p++ = '\0';
	}
	h->argv[argc] = NULL;
	if (argc == 0) {
		snprintf(err, errlen, "exec: empty command");
		goto fail;
	}

	/* execve() does not search PATH: a name without a slash is relative
	 * to the working directory, and so is this check. */
	if (stat(h->argv[0], &st) == -1) {
		snprintf(err, errlen, "exec: %s: %s", h->argv[0], strerror(errno));
		goto fail;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "exec: %s: not a regular file", h->argv[0]);
		goto fail;
	}
	if (access(h->argv[0], X_OK) == -1) {
		snprintf(err, errlen, "exec: %s: %s", h->argv[0], strerror(errno));
		goto fail;
	}
	return h;

fail:
	exechook_free(h);
	return NULL;
}

void
exechook_free(struct exechook *h)
{
	if (h == NULL)
		return;
	free(h->words);
	free(h);
}

static uint64_t
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

/* The text of the errors the child's steps can meet; strerror() is not
 * async-signal-safe. */
static const char *
child_strerror(int e)
{
	switch (e) {
	case ENOENT:	return "No such file or directory";
	case EACCES:	return "Permission denied";
	case ENOEXEC:	return "Exec format error";
	case EPERM:	return "Operation not permitted";
	case ENOMEM:	return "Cannot allocate memory";
	case E2BIG:	return "Argument list too long";
	case ETXTBSY:	return "Text file busy";
	case ELOOP:	return "Too many levels of symbolic links";
	case ENOTDIR:	return "Not a directory";
	case EMFILE:	return "Too many open files";
	case EINVAL:	return "Invalid argument";
	default:	return "error";
	}
}

/* Writes "egressd: exec PROG: what: error" to fd 2 and exits 127, from the
 * child, where stdio is not safe; a long name is cut. */
static void __attribute__((noreturn))
child_fail(const char *prog, const char *what, int e)
{
	const char *parts[6] = { "egressd: exec ", prog, ": ", what, ": ",
	    child_strerror(e) };
	char buf[512];
	size_t n = 0, i, k;

	for (i = 0; i < NELEM(parts); i++)
		for (k = 0; parts[i][k] != '\0' && n < sizeof(buf) - 1; k++)
			buf[n++] = parts[i][k];
	buf[n++] = '\n';
	/* Nothing is left to do if even this fails: the exit status says
	 * it. The test keeps hardened builds (warn_unused_result) quiet. */
	if (write(STDERR_FILENO, buf, n) < 0)
		_exit(127);
	_exit(127);
}

/* The child, between fork() and execve(): system calls only. Never
 * returns. */
static void __attribute__((noreturn))
child_exec(const struct exechook *h, int rfd, char *const envp[])
{
	struct __user_cap_header_struct caphdr;
	struct __user_cap_data_struct capdata[_LINUX_CAPABILITY_U32S_3];
	struct sigaction sa;
	sigset_t none;
	int fd, sig, cap;

	(void)setsid();

	/* The read end to fd 0, /dev/null to fd 1, fd 2 kept. The read end
	 * is moved up first in case the daemon runs with fd 0, 1 or 2
	 * closed and the pipe took one of them. */
	if (rfd <= STDERR_FILENO) {
		if ((fd = fcntl(rfd, F_DUPFD_CLOEXEC, STDERR_FILENO + 1)) == -1)
			child_fail(h->argv[0], "stdin", errno);
		rfd = fd;
	}
	if (dup2(rfd, STDIN_FILENO) == -1)
		child_fail(h->argv[0], "stdin", errno);
	if ((fd = open("/dev/null", O_WRONLY | O_CLOEXEC)) == -1)
		child_fail(h->argv[0], "/dev/null", errno);
	if (fd == STDOUT_FILENO)
		(void)fcntl(fd, F_SETFD, 0);
	else if (dup2(fd, STDOUT_FILENO) == -1)
		child_fail(h->argv[0], "stdout", errno);
	/* close_range() is Linux 5.9; before, one close() per possible
	 * descriptor. */
	if (close_range(STDERR_FILENO + 1, ~0U, 0) == -1)
		for (fd = STDERR_FILENO + 1; fd < h->fd_max; fd++)
			(void)close(fd);

	/* Handlers are reset by execve() anyway, but ignored signals and the
	 * mask are inherited: a hook must not start with SIGPIPE ignored or
	 * SIGTERM blocked. Errors are for SIGKILL, SIGSTOP and the signals
	 * the C library keeps for itself. */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	sigemptyset(&sa.sa_mask);
	for (sig = 1; sig < NSIG; sig++)
		(void)sigaction(sig, &sa, NULL);
	sigemptyset(&none);
	(void)sigprocmask(SIG_SETMASK, &none, NULL);

	/* No privileges, now or after execve(). The bounding set and the
	 * securebits need CAP_SETPCAP: without it (an unprivileged daemon)
	 * EPERM is expected and harmless, there being nothing to drop, and
	 * NO_NEW_PRIVS still stops setuid and file capabilities. */
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1)
		child_fail(h->argv[0], "no_new_privs", errno);
	for (cap = 0; cap <= h->cap_last; cap++)
		(void)prctl(PR_CAPBSET_DROP, cap, 0, 0, 0);
	(void)prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
	(void)prctl(PR_SET_SECUREBITS, SECBIT_NOROOT | SECBIT_NOROOT_LOCKED |
	    SECBIT_NO_SETUID_FIXUP | SECBIT_NO_SETUID_FIXUP_LOCKED, 0, 0, 0);
	memset(&caphdr, 0, sizeof(caphdr));
	memset(capdata, 0, sizeof(capdata));
	caphdr.version = _LINUX_CAPABILITY_VERSION_3;
	caphdr.pid = 0;
	/* Lowering every set is always allowed: a failure here means the
	 * program would run with privileges, so it does not run. */
	if (syscall(SYS_capset, &caphdr, capdata) == -1)
		child_fail(h->argv[0], "dropping capabilities", errno);

	execve(h->argv[0], h->argv, envp);
	child_fail(h->argv[0], "execve", errno);
}

/* Returns the environment the child gets: env (its strings shared, not
 * copied) and PATH unless env has one. The caller frees the array. */
static char **
make_envp(const char *const *env)
{
	size_t n = 0, i;
	char **envp;
	int has_path = 0;

	while (env != NULL && env[n] != NULL)
		n++;
	envp = xreallocarray(NULL, n + 2, sizeof(*envp));
	for (i = 0; i < n; i++) {
		/* execve() does not change its strings; its prototype lacks
		 * the const only for compatibility (POSIX rationale). */
		envp[i] = (char *)(uintptr_t)env[i];
		if (strncmp(env[i], "PATH=", 5) == 0)
			has_path = 1;
	}
	if (!has_path)
		envp[n++] = (char *)(uintptr_t)EXECHOOK_PATH;
	envp[n] = NULL;
	return envp;
}

/* Writes what the pipe takes of body without blocking and without
 * SIGPIPE; returns 0 while more is to come, 1 when done (all written, or
 * the reader is gone), -1 on another error. */
static int
write_some(int fd, const char *body, size_t len, size_t *off)
{
	ssize_t n;

	while (*off < len) {
		n = write(fd, body + *off, len - *off);
		if (n > 0) {
			*off += (size_t)n;
			continue;
		}
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && errno == EAGAIN)
			return 0;
		if (n == -1 && errno == EPIPE)
			return 1;	/* exiting without reading is fine */
		return -1;
	}
	return 1;
}

/* SIGPIPE from a write to a pipe is sent to the writing thread: blocked,
 * it stays pending and is taken here, unless it was pending before we
 * started (then it is somebody else's). */
static void
sigpipe_consume(int was_pending)
{
	struct timespec zero = { 0, 0 };
	sigset_t set, pending;

	if (was_pending)
		return;
	sigemptyset(&pending);
	if (sigpending(&pending) == 0 && sigismember(&pending, SIGPIPE)) {
		sigemptyset(&set);
		sigaddset(&set, SIGPIPE);
		while (sigtimedwait(&set, NULL, &zero) == -1 && errno == EINTR)
			;
	}
}

static void
describe_status(const char *prog, int status, char *err, size_t errlen)
{
	if (WIFEXITED(status))
		snprintf(err, errlen, "exec %s: exit status %d", prog,
		    WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		snprintf(err, errlen, "exec %s: killed by signal %d", prog,
		    WTERMSIG(status));
	else
		snprintf(err, errlen, "exec %s: wait status %#x", prog, status);
}

enum exechook_result
exechook_run(struct exechook *h, const char *body, size_t len,
    const char *const *env, char *err, size_t errlen)
{
	enum exechook_result res = EXECHOOK_ERROR;
	sigset_t pipeset, oldset, pending;
	struct pollfd pfd[2];
	uint64_t deadline;
	char **envp;
	size_t off = 0;
	int pipefd[2], pidfd = -1, wfd, status = 0, reaped = 0;
	int was_pending, nfds, timeout_ms, r, saved, poll_failed = 0;
	pid_t pid;

	envp = make_envp(env);
	if (pipe2(pipefd, O_CLOEXEC) == -1) {
		snprintf(err, errlen, "exec %s: pipe: %s", h->argv[0],
		    strerror(errno));
		free(envp);
		return EXECHOOK_ERROR;
	}
	if ((pid = fork()) == -1) {
		saved = errno;
		close(pipefd[0]);
		close(pipefd[1]);
		free(envp);
		snprintf(err, errlen, "exec %s: fork: %s", h->argv[0],
		    strerror(saved));
		return EXECHOOK_ERROR;
	}
	if (pid == 0)
		child_exec(h, pipefd[0], envp);

	close(pipefd[0]);
	free(envp);
	wfd = pipefd[1];
	if (fcntl(wfd, F_SETFL, O_NONBLOCK) == -1 || len == 0) {
		close(wfd);	/* then the child reads EOF at once */
		wfd = -1;
	}
#ifdef SYS_pidfd_open
	pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
#endif

	sigemptyset(&pipeset);
	sigaddset(&pipeset, SIGPIPE);
	sigemptyset(&pending);
	was_pending = sigpending(&pending) == 0 && sigismember(&pending, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &pipeset, &oldset);

	deadline = now_us() + h->timeout_us;
	while (!reaped) {
		uint64_t now = now_us();

		if (now >= deadline)
			break;
		/* At most a minute at a time: the loop comes round again. */
		timeout_ms = (deadline - now) / 1000 >= 60000 ? 60000 :
		    (int)((deadline - now + 999) / 1000);
		if (pidfd == -1 && timeout_ms > EXECHOOK_POLL_MS)
			timeout_ms = EXECHOOK_POLL_MS;
		nfds = 0;
		if (wfd != -1) {
			pfd[nfds].fd = wfd;
			pfd[nfds].events = POLLOUT;
			pfd[nfds++].revents = 0;
		}
		if (pidfd != -1) {
			pfd[nfds].fd = pidfd;
			pfd[nfds].events = POLLIN;
			pfd[nfds++].revents = 0;
		}
		if (poll(pfd, (nfds_t)nfds, timeout_ms) == -1 && errno != EINTR) {
			snprintf(err, errlen, "exec %s: poll: %s", h->argv[0],
			    strerror(errno));
			poll_failed = 1;
			break;	/* killed below like a timeout */
		}
		if (wfd != -1 && pfd[0].revents != 0) {
			r = write_some(wfd, body, len, &off);
			if (r != 0) {
				close(wfd);
				wfd = -1;
			}
		}
		/* Without a pidfd this is the 10 ms polling; with one, the
		 * pidfd said so, and waitpid() returns at once. */
		r = waitpid(pid, &status, WNOHANG);
		if (r == pid)
			reaped = 1;
		else if (r == -1 && errno != EINTR) {
			snprintf(err, errlen, "exec %s: waitpid: %s", h->argv[0],
			    strerror(errno));
			reaped = -1;
		}
	}
	if (wfd != -1)
		close(wfd);
	sigpipe_consume(was_pending);
	pthread_sigmask(SIG_SETMASK, &oldset, NULL);

	if (reaped == 0) {
		/* setsid() made the child a group leader; kill the pid too in
		 * case it has not got that far yet. */
		(void)kill(-pid, SIGKILL);
		(void)kill(pid, SIGKILL);
		while (waitpid(pid, &status, 0) == -1 && errno == EINTR)
			;
		if (!poll_failed) {
			snprintf(err, errlen, "exec %s: killed after %.1f s",
			    h->argv[0], (double)h->timeout_us / 1e6);
			res = EXECHOOK_TIMEOUT;
		}
	} else if (reaped == 1) {
		if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
			res = EXECHOOK_OK;
		else {
			describe_status(h->argv[0], status, err, errlen);
			res = EXECHOOK_FAILED;
		}
	}
	if (pidfd != -1)
		close(pidfd);
	return res;
}
