/*
 * test_log.c: the journal priority prefix. stderr is pointed at a fresh
 * file; with JOURNAL_STREAM naming that file's device and inode each line
 * starts with its sd-daemon(3) priority, and with JOURNAL_STREAM naming
 * another file (as a program egressd's service started would inherit it),
 * malformed or unset, lines are as on a terminal.
 */
#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "suites.h"

static char path[256];
static int saved_stderr = -1;

/* stderr into a new file; returns its JOURNAL_STREAM value in js. */
static void
stderr_to_file(char *js, size_t len)
{
	struct stat st;
	int fd;

	snprintf(path, sizeof(path), "%s/egressd-log-XXXXXX",
	    getenv("TMPDIR") != NULL ? getenv("TMPDIR") : "/tmp");
	ck_assert_int_ge(fd = mkstemp(path), 0);
	fflush(stderr);
	ck_assert_int_ge(saved_stderr = dup(STDERR_FILENO), 0);
	ck_assert_int_eq(dup2(fd, STDERR_FILENO), STDERR_FILENO);
	close(fd);
	ck_assert_int_eq(fstat(STDERR_FILENO, &st), 0);
	snprintf(js, len, "%llu:%llu", (unsigned long long)st.st_dev,
	    (unsigned long long)st.st_ino);
}

/* stderr back; returns what was written to the file (the caller frees). */
static char *
stderr_back(void)
{
	char *buf = calloc(1, 4096);
	FILE *f;

	fflush(stderr);
	ck_assert_int_eq(dup2(saved_stderr, STDERR_FILENO), STDERR_FILENO);
	close(saved_stderr);
	ck_assert_ptr_nonnull(f = fopen(path, "r"));
	(void)fread(buf, 1, 4095, f);
	fclose(f);
	unlink(path);
	unsetenv("JOURNAL_STREAM");
	log_init();
	return buf;
}

/* Logs one line at each level with JOURNAL_STREAM set to js (NULL: unset)
 * and returns the output. */
static char *
log_all(const char *js)
{
	char own[64];

	stderr_to_file(own, sizeof(own));
	if (js == NULL)
		unsetenv("JOURNAL_STREAM");
	else
		setenv("JOURNAL_STREAM", js[0] == '=' ? own : js, 1);
	log_init();
	log_set_level(LOG_LEVEL_DEBUG);
	log_err("broken %d", 1);
	log_warn("odd");
	log_info("fine");
	log_debug("detail");
	log_set_level(LOG_LEVEL_INFO);
	return stderr_back();
}

static const char plain[] =
    "egressd: broken 1\negressd: odd\negressd: fine\negressd: detail\n";

START_TEST(journal_stream_gets_priorities)
{
	char *out = log_all("=");	/* "=": stderr's own dev:ino */

	ck_assert_str_eq(out, "<3>egressd: broken 1\n<4>egressd: odd\n"
	    "<6>egressd: fine\n<7>egressd: detail\n");
	free(out);
}
END_TEST

START_TEST(other_stream_gets_none)
{
	struct stat st;
	char other[64], *out;

	/* The root directory: another file than stderr. */
	ck_assert_int_eq(stat("/", &st), 0);
	snprintf(other, sizeof(other), "%llu:%llu",
	    (unsigned long long)st.st_dev, (unsigned long long)st.st_ino);
	out = log_all(other);
	ck_assert_str_eq(out, plain);
	free(out);
	out = log_all(NULL);
	ck_assert_str_eq(out, plain);
	free(out);
	out = log_all("junk");
	ck_assert_str_eq(out, plain);
	free(out);
	out = log_all("1:2:3");
	ck_assert_str_eq(out, plain);
	free(out);
	ck_assert_int_eq(log_to_journal(), 0);
}
END_TEST

Suite *
log_suite(void)
{
	Suite *s = suite_create("log");
	TCase *tc = tcase_create("journal");

	tcase_add_test(tc, journal_stream_gets_priorities);
	tcase_add_test(tc, other_stream_gets_none);
	suite_add_tcase(s, tc);
	return s;
}
