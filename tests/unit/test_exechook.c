/*
 * test_exechook.c: the per-verdict program. Small /bin/sh scripts, written
 * into a fresh directory, report what they got (stdin, argv, environment,
 * descriptors, capabilities) into files the test reads back. The timeout
 * test makes this process a child subreaper, so the script's orphaned
 * background child is reaped here and its end can be seen, whatever the
 * container's init does with zombies.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "exechook.h"
#include "suites.h"
#include "util.h"

#define SEC	1000000ULL
#define MAX_FILE	(2 * 1024 * 1024)

static char tmpdir[256];

static void
setup(void)
{
	const char *dir = getenv("TMPDIR");

	snprintf(tmpdir, sizeof(tmpdir), "%s/egressd-exechook-XXXXXX",
	    dir != NULL && *dir != '\0' ? dir : "/tmp");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
	/* The hook must survive a writer that does not expect SIGPIPE. */
	signal(SIGPIPE, SIG_DFL);
}

static int
rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void
teardown(void)
{
	nftw(tmpdir, rm_one, 8, FTW_DEPTH | FTW_PHYS);
}

/* Writes a script named name into tmpdir with mode; its path into path. */
static void
write_file(const char *name, const char *text, mode_t mode, char *path,
    size_t len)
{
	FILE *fp;

	snprintf(path, len, "%s/%s", tmpdir, name);
	fp = fopen(path, "w");
	ck_assert_ptr_nonnull(fp);
	fputs(text, fp);
	ck_assert_int_eq(fclose(fp), 0);
	ck_assert_int_eq(chmod(path, mode), 0);
}

#define write_script(name, text, path) \
	write_file((name), "#!/bin/sh\n" text, 0700, (path), sizeof(path))

/* Reads a whole file; returns its length, -1 when it is missing. The
 * buffer is NUL-terminated after the data. */
static ssize_t
slurp(const char *path, char *buf, size_t cap)
{
	ssize_t n, total = 0;
	int fd;

	if ((fd = open(path, O_RDONLY)) == -1)
		return -1;
	while ((n = read(fd, buf + total, cap - 1 - (size_t)total)) > 0)
		total += n;
	close(fd);
	buf[total] = '\0';
	return total;
}

static double
elapsed_s(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (double)(t1.tv_sec - t0->tv_sec) +
	    (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

START_TEST(new_refuses)
{
	char path[512], dir[512], cmd[2048], err[256];
	struct exechook *h;
	int i;

	err[0] = '\0';
	ck_assert_ptr_null(exechook_new("", SEC, err, sizeof(err)));
	ck_assert_str_eq(err, "exec: empty command");
	ck_assert_ptr_null(exechook_new(" \t ", SEC, err, sizeof(err)));
	ck_assert_str_eq(err, "exec: empty command");

	snprintf(path, sizeof(path), "%s/missing", tmpdir);
	ck_assert_ptr_null(exechook_new(path, SEC, err, sizeof(err)));
	ck_assert_msg(strstr(err, "No such file or directory") != NULL &&
	    strncmp(err, "exec: ", 6) == 0, "%s", err);

	/* PATH is not searched: a bare name is relative to the working
	 * directory, where there is no "sh". */
	if (access("sh", F_OK) == -1) {
		ck_assert_ptr_null(exechook_new("sh -c true", SEC, err,
		    sizeof(err)));
		ck_assert_str_eq(err, "exec: sh: No such file or directory");
	}

	ck_assert_ptr_null(exechook_new(tmpdir, SEC, err, sizeof(err)));
	ck_assert_msg(strstr(err, "not a regular file") != NULL, "%s", err);

	/* Mode 0644 is refused even for root: X_OK needs an x bit. */
	write_file("noexec", "#!/bin/sh\n", 0644, path, sizeof(path));
	ck_assert_ptr_null(exechook_new(path, SEC, err, sizeof(err)));
	ck_assert_msg(strstr(err, "Permission denied") != NULL, "%s", err);

	/* A directory on the way is not a file either. */
	snprintf(dir, sizeof(dir), "%s/noexec/x", tmpdir);
	ck_assert_ptr_null(exechook_new(dir, SEC, err, sizeof(err)));

	/* EXECHOOK_MAX_ARGS - 1 words are taken, one more is not. */
	write_script("ok", "exit 0\n", path);
	snprintf(cmd, sizeof(cmd), "%s", path);
	for (i = 1; i < EXECHOOK_MAX_ARGS - 1; i++)
		strncat(cmd, " w", sizeof(cmd) - strlen(cmd) - 1);
	h = exechook_new(cmd, SEC, err, sizeof(err));
	ck_assert_msg(h != NULL, "%s", err);
	exechook_free(h);
	strncat(cmd, " w", sizeof(cmd) - strlen(cmd) - 1);
	ck_assert_ptr_null(exechook_new(cmd, SEC, err, sizeof(err)));
	ck_assert_msg(strstr(err, "more than 31 words") != NULL, "%s", err);

	exechook_free(NULL);
}
END_TEST

/* stdin, argv and the environment, exactly as given and nothing else. */
START_TEST(input_argv_env)
{
	static const char body[] = "{\"verdict\":\"x\"}\n\0second line\xff";
	char script[512], out[512], outenv[600], outargv[600], cmd[1024];
	char err[256] = "", *got;
	const char *env[3];
	struct exechook *h;
	ssize_t n;

	write_script("report",
	    "cat > \"$OUT\"\n"
	    "env > \"$OUT.env\"\n"
	    "printf '%s|' \"$#\" \"$1\" \"$2\" \"$3\" \"$4\" \"$5\" > \"$OUT.argv\"\n",
	    script);
	snprintf(out, sizeof(out), "OUT=%s/stdin", tmpdir);
	snprintf(outenv, sizeof(outenv), "%s/stdin.env", tmpdir);
	snprintf(outargv, sizeof(outargv), "%s/stdin.argv", tmpdir);
	env[0] = out;
	env[1] = "EGRESSD_CATEGORY=mining";
	env[2] = NULL;
	ck_assert_int_eq(setenv("EGRESSD_TEST_SECRET", "leaked", 1), 0);

	/* Blanks of both kinds split; shell syntax is just text. */
	snprintf(cmd, sizeof(cmd), "  %s one\t two  $(id) ; 'q r'", script);
	h = exechook_new(cmd, 5 * SEC, err, sizeof(err));
	ck_assert_msg(h != NULL, "%s", err);
	ck_assert_int_eq(exechook_run(h, body, sizeof(body) - 1, env, err,
	    sizeof(err)), EXECHOOK_OK);
	exechook_free(h);

	got = xmalloc(MAX_FILE);
	n = slurp(out + 4, got, MAX_FILE);
	ck_assert_int_eq(n, (ssize_t)sizeof(body) - 1);
	ck_assert_mem_eq(got, body, sizeof(body) - 1);

	ck_assert_int_ge(slurp(outargv, got, MAX_FILE), 0);
	ck_assert_str_eq(got, "6|one|two|$(id)|;|'q|");

	ck_assert_int_ge(slurp(outenv, got, MAX_FILE), 0);
	ck_assert_msg(strstr(got, "EGRESSD_CATEGORY=mining\n") != NULL, "%s", got);
	ck_assert_msg(strstr(got, out) != NULL, "%s", got);
	ck_assert_msg(strstr(got, "PATH=/usr/sbin:/usr/bin:/sbin:/bin\n") != NULL,
	    "%s", got);
	ck_assert_msg(strstr(got, "EGRESSD_TEST_SECRET") == NULL, "%s", got);
	if (getenv("HOME") != NULL)
		ck_assert_msg(strstr(got, "HOME=") == NULL, "%s", got);
	free(got);
	unsetenv("EGRESSD_TEST_SECRET");
}
END_TEST

START_TEST(exit_status_and_signal)
{
	char script[512], err[256] = "";
	struct exechook *h;

	write_script("three", "exit 3\n", script);
	h = exechook_new(script, 5 * SEC, err, sizeof(err));
	ck_assert_msg(h != NULL, "%s", err);
	ck_assert_int_eq(exechook_run(h, "x", 1, NULL, err, sizeof(err)),
	    EXECHOOK_FAILED);
	ck_assert_msg(strstr(err, "exit status 3") != NULL, "%s", err);
	ck_assert_msg(strstr(err, script) != NULL, "%s", err);
	exechook_free(h);

	write_script("term", "kill -TERM $$\nsleep 5\n", script);
	h = exechook_new(script, 5 * SEC, err, sizeof(err));
	ck_assert_msg(h != NULL, "%s", err);
	ck_assert_int_eq(exechook_run(h, "", 0, NULL, err, sizeof(err)),
	    EXECHOOK_FAILED);
	ck_assert_msg(strstr(err, "killed by signal 15") != NULL, "%s", err);
	exechook_free(h);

	/* No "#!": execve() fails (no shell tries it instead) and the child
	 * exits 127 after saying why on stderr. */
	write_file("noshebang", "exit 0\n", 0700, script, sizeof(script));
	h = exechook_new(script, 5 * SEC, err, sizeof(err));
	ck_assert_msg(h != NULL, "%s", err);
	ck_assert_int_eq(exechook_run(h, "", 0, NULL, err, sizeof(err)),
	    EXECHOOK_FAILED);
	ck_assert_msg(strstr(err, "exit status 127") != NULL, "%s", err);
	exechook_free(h);
}
END_TEST

/* The program and its background child are killed at the timeout. */
START_TEST(timeout_kills_group)
{
	char script[512], pidfile[512], env_out[600], buf[64], err[256] = "";
	const char *env[2];
	struct exechook *h;
	struct timespec t0;
	long bg;
	int status, i, gone = 0;
	pid_t r;

	ck_assert_int_eq(prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0), 0);
	write_script("slow", "sleep 30 &\necho $! > \"$OUT\"\nexec sleep 30\n",
	    script);
	snprintf(pidfile, sizeof(pidfile), "%s/bg.pid", tmpdir);
	snprintf(env_out, sizeof(env_out), "OUT=%s", pidfile);
	env[0] = env_out;
	env[1] = NULL;
	h = exechook_new(script, SEC / 5, err, sizeof(err));
	ck_assert_msg(h != NULL, "%s", err);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	ck_assert_int_eq(exechook_run(h, "{}", 2, env, err, sizeof(err)),
	    EXECHOOK_TIMEOUT);
	ck_assert_msg(elapsed_s(&t0) < 3.0, "took %.2f s", elapsed_s(&t0));
	ck_assert_msg(strstr(err, "killed after 0.2 s") != NULL, "%s", err);
	exechook_free(h);

	ck_assert_int_gt(slurp(pidfile, buf, sizeof(buf)), 0);
	str_trim(buf);
	ck_assert_int_eq(parse_long(buf, 2, 1L << 30, &bg), 0);
	/* Orphaned, it is ours to reap; SIGKILL is what it died of. */
	for (i = 0; i < 200 && !gone; i++) {
		r = waitpid((pid_t)bg, &status, WNOHANG);
		if (r == (pid_t)bg) {
			ck_assert(WIFSIGNALED(status));
			ck_assert_int_eq(WTERMSIG(status), SIGKILL);
			gone = 1;
		} else if (r == -1 && errno == ECHILD)
			gone = 1;	/* reaped by someone else */
		else
			usleep(10000);
	}
	ck_assert_msg(gone, "background child %ld still runs", bg);
	ck_assert_int_eq(kill((pid_t)bg, 0), -1);
	ck_assert_int_eq(errno, ESRCH);
}
END_TEST

/* A program that ignores a body larger than the pipe is not an error, and
 * the writer neither blocks nor dies of SIGPIPE. */
START_TEST(unread_body)
{
	char script[512], err[256] = "";
	struct exechook *h;
	struct timespec t0;
	size_t len = 1024 * 1024;
	char *body = xmalloc(len);

	memset(body, 'v', len);
	write_script("quick", "exit 0\n", script);
	h = exechook_new(script, 5 * SEC, err, sizeof(err));
	ck_assert_msg(h != NULL, "%s", err);
	ck_assert_int_eq(exechook_run(h, body, len, NULL, err, sizeof(err)),
	    EXECHOOK_OK);
	exechook_free(h);

	/* Still alive while the pipe is full: the write must wait without
	 * blocking the wait for the exit. */
	write_script("lazy", "sleep 0.3\n", script);
	h = exechook_new(script, 5 * SEC, err, sizeof(err));
	ck_assert_msg(h != NULL, "%s", err);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	ck_assert_int_eq(exechook_run(h, body, len, NULL, err, sizeof(err)),
	    EXECHOOK_OK);
	ck_assert_msg(elapsed_s(&t0) < 3.0, "took %.2f s", elapsed_s(&t0));
	exechook_free(h);

	/* Neither reading nor exiting: the timeout still holds. */
	write_script("stuck", "exec sleep 30\n", script);
	h = exechook_new(script, SEC / 5, err, sizeof(err));
	ck_assert_msg(h != NULL, "%s", err);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	ck_assert_int_eq(exechook_run(h, body, len, NULL, err, sizeof(err)),
	    EXECHOOK_TIMEOUT);
	ck_assert_msg(elapsed_s(&t0) < 3.0, "took %.2f s", elapsed_s(&t0));
	exechook_free(h);
	free(body);
}
END_TEST

/* No privileges: every capability set empty, no_new_privs set. As root
 * this is the real check; unprivileged the bounding set cannot be
 * dropped (and need not be: nothing can be gained), the rest must hold. */
START_TEST(no_privileges)
{
	static const char *const zero[] = { "CapInh", "CapPrm", "CapEff", "CapAmb" };
	char script[512], out[512], env_out[600], got[4096], line[64];
	char err[256] = "";
	const char *env[2];
	struct exechook *h;
	size_t i;
	int root = geteuid() == 0;

	write_script("caps",
	    "grep -E '^(Cap(Inh|Prm|Eff|Bnd|Amb)|NoNewPrivs):' /proc/self/status"
	    " > \"$OUT\"\n", script);
	snprintf(out, sizeof(out), "%s/caps.out", tmpdir);
	snprintf(env_out, sizeof(env_out), "OUT=%s", out);
	env[0] = env_out;
	env[1] = NULL;
	h = exechook_new(script, 5 * SEC, err, sizeof(err));
	ck_assert_msg(h != NULL, "%s", err);
	ck_assert_int_eq(exechook_run(h, "", 0, env, err, sizeof(err)),
	    EXECHOOK_OK);
	exechook_free(h);
	ck_assert_int_gt(slurp(out, got, sizeof(got)), 0);

	for (i = 0; i < NELEM(zero); i++) {
		snprintf(line, sizeof(line), "%s:\t0000000000000000\n", zero[i]);
		ck_assert_msg(strstr(got, line) != NULL, "%s not empty:\n%s",
		    zero[i], got);
	}
	ck_assert_msg(strstr(got, "NoNewPrivs:\t1\n") != NULL, "%s", got);
	if (root) {
		ck_assert_msg(strstr(got, "CapBnd:\t0000000000000000\n") != NULL,
		    "%s", got);
		/* This process has capabilities, so there was something to
		 * drop. */
		ck_assert_int_gt(slurp("/proc/self/status", got, sizeof(got)), 0);
		ck_assert_msg(strstr(got, "CapEff:\t0000000000000000") == NULL,
		    "running as root without capabilities: nothing tested");
	} else
		fprintf(stderr, "exechook: not root, the bounding set is not "
		    "checked\n");
}
END_TEST

/* Only fds 0, 1 and 2, stdout being /dev/null. */
START_TEST(descriptors)
{
	char script[512], out[512], env_out[600], got[512], err[256] = "";
	const char *env[3];
	struct exechook *h;
	int fd;

	/* Not close-on-exec: only the child's own closing removes it. */
	fd = open("/dev/null", O_RDONLY);
	ck_assert_int_ne(fd, -1);
	ck_assert_int_eq(dup2(fd, 57), 57);
	close(fd);
	write_script("fds",
	    "if [ -e /proc/$$/fd/57 ]; then echo open; else echo closed; fi"
	    " > \"$OUT\"\n"
	    "out=$(readlink /proc/$$/fd/1)\n"
	    "in=$(readlink /proc/$$/fd/0)\n"
	    "echo \"$out\" \"${in%%:*}\" >> \"$OUT\"\n"
	    "[ \"$(cat)\" = body ] && echo read >> \"$OUT\"\n"
	    "echo shown >/dev/null\n", script);
	snprintf(out, sizeof(out), "%s/fds.out", tmpdir);
	snprintf(env_out, sizeof(env_out), "OUT=%s", out);
	env[0] = env_out;
	env[1] = NULL;
	h = exechook_new(script, 5 * SEC, err, sizeof(err));
	ck_assert_msg(h != NULL, "%s", err);
	ck_assert_int_eq(exechook_run(h, "body", 4, env, err, sizeof(err)),
	    EXECHOOK_OK);
	exechook_free(h);
	close(57);
	ck_assert_int_gt(slurp(out, got, sizeof(got)), 0);
	ck_assert_str_eq(got, "closed\n/dev/null pipe\nread\n");
}
END_TEST

#define THREADS	4
#define RUNS	5

struct thread_arg {
	struct exechook *h;
	int id;
	int failures;
};

static void *
run_thread(void *p)
{
	struct thread_arg *a = p;
	char out[600], body[64], got[128], err[256];
	const char *env[2];
	int i;

	snprintf(out, sizeof(out), "OUT=%s/thread%d", tmpdir, a->id);
	env[0] = out;
	env[1] = NULL;
	for (i = 0; i < RUNS; i++) {
		snprintf(body, sizeof(body), "thread %d run %d\n", a->id, i);
		if (exechook_run(a->h, body, strlen(body), env, err,
		    sizeof(err)) != EXECHOOK_OK ||
		    slurp(out + 4, got, sizeof(got)) < 0 ||
		    strcmp(got, body) != 0)
			a->failures++;
	}
	return NULL;
}

/* Several delivery threads running the hook at once. */
START_TEST(concurrent_threads)
{
	struct thread_arg args[THREADS];
	pthread_t tid[THREADS];
	char script[512], err[256] = "";
	struct exechook *h;
	int i;

	write_script("cat", "cat > \"$OUT\"\n", script);
	h = exechook_new(script, 5 * SEC, err, sizeof(err));
	ck_assert_msg(h != NULL, "%s", err);
	for (i = 0; i < THREADS; i++) {
		args[i].h = h;
		args[i].id = i;
		args[i].failures = 0;
		ck_assert_int_eq(pthread_create(&tid[i], NULL, run_thread,
		    &args[i]), 0);
	}
	for (i = 0; i < THREADS; i++) {
		pthread_join(tid[i], NULL);
		ck_assert_int_eq(args[i].failures, 0);
	}
	exechook_free(h);
}
END_TEST

Suite *
exechook_suite(void)
{
	Suite *s = suite_create("exechook");
	TCase *tc;

	tc = tcase_create("exechook");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, new_refuses);
	tcase_add_test(tc, input_argv_env);
	tcase_add_test(tc, exit_status_and_signal);
	tcase_add_test(tc, timeout_kills_group);
	tcase_add_test(tc, unread_body);
	tcase_add_test(tc, no_privileges);
	tcase_add_test(tc, descriptors);
	tcase_add_test(tc, concurrent_threads);
	suite_add_tcase(s, tc);
	return s;
}
