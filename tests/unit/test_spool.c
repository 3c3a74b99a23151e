/*
 * test_spool.c: the message spool. Each test works in a fresh mkdtemp
 * directory and checks what is on disk (names, modes, contents) as well as
 * what the API says, since the files are the spool's real state: a restart
 * rebuilds the index from them.
 */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "spool.h"
#include "suites.h"

#define MAX_BYTES 1000

static char base[256];	/* the test's mkdtemp directory */
static char dir[300];	/* the spool: base/spool, made by spool_open */

static void
setup(void)
{
	const char *t = getenv("TMPDIR");

	snprintf(base, sizeof(base), "%s/egressd-spool-XXXXXX",
	    t != NULL && *t != '\0' ? t : "/tmp");
	ck_assert_ptr_nonnull(mkdtemp(base));
	snprintf(dir, sizeof(dir), "%s/spool", base);
}

/* Removes base and everything under it (two levels deep at most). */
static void
rm_tree(const char *path)
{
	struct dirent *de;
	struct stat st;
	char p[600];
	DIR *d;

	if (lstat(path, &st) == -1)
		return;
	if (!S_ISDIR(st.st_mode)) {
		unlink(path);
		return;
	}
	chmod(path, 0700);
	if ((d = opendir(path)) != NULL) {
		while ((de = readdir(d)) != NULL) {
			if (strcmp(de->d_name, ".") == 0 ||
			    strcmp(de->d_name, "..") == 0)
				continue;
			snprintf(p, sizeof(p), "%s/%s", path, de->d_name);
			rm_tree(p);
		}
		closedir(d);
	}
	rmdir(path);
}

static void
teardown(void)
{
	rm_tree(base);
}

static struct spool *
open_ok(uint64_t max)
{
	char err[512] = "";
	struct spool *s = spool_open(dir, max, err, sizeof(err));

	ck_assert_msg(s != NULL, "spool_open: %s", err);
	return s;
}

static void
put_ok(struct spool *s, const char *id, const char *body)
{
	char err[512] = "";

	ck_assert_msg(spool_put(s, id, body, strlen(body), err,
	    sizeof(err)) == 0, "spool_put %s: %s", id, err);
}

static void
write_file(const char *name, const char *text)
{
	char p[400];
	FILE *fp;

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	ck_assert_ptr_nonnull(fp = fopen(p, "w"));
	fputs(text, fp);
	ck_assert_int_eq(fclose(fp), 0);
}

static int
exists(const char *name)
{
	char p[400];
	struct stat st;

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	return lstat(p, &st) == 0;
}

/* Whether anything but the entries listed (NULL-terminated) is in dir. */
static int
only_entries(const char *const *names)
{
	struct dirent *de;
	DIR *d = opendir(dir);
	int ok = 1;

	ck_assert_ptr_nonnull(d);
	while ((de = readdir(d)) != NULL) {
		const char *const *n;
		int found = 0;

		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		for (n = names; *n != NULL; n++)
			if (strcmp(*n, de->d_name) == 0)
				found = 1;
		ok = ok && found;
	}
	closedir(d);
	return ok;
}

START_TEST(round_trip)
{
	static const char *const after_put[] = { "0001-a.msg", "0002-b.msg",
	    NULL };
	char err[512], id[SPOOL_ID_MAX], p[400], *body;
	struct spool *s = open_ok(MAX_BYTES);
	struct stat st;
	size_t len;

	ck_assert_int_eq(stat(dir, &st), 0);
	ck_assert_int_eq(st.st_mode & 07777, 0700);
	ck_assert_uint_eq(spool_count(s), 0);
	ck_assert_int_eq(spool_peek(s, 0, id), -1);

	/* Put out of order: the spool hands out by id. */
	put_ok(s, "0002-b", "{\"b\":2}");
	put_ok(s, "0001-a", "{\"a\":1}");
	ck_assert_uint_eq(spool_count(s), 2);
	ck_assert_uint_eq(spool_bytes(s), 14);
	ck_assert(only_entries(after_put));
	snprintf(p, sizeof(p), "%s/0001-a.msg", dir);
	ck_assert_int_eq(stat(p, &st), 0);
	ck_assert_int_eq(st.st_mode & 07777, 0600);
	ck_assert_int_eq(st.st_size, 7);

	ck_assert_int_eq(spool_peek(s, 0, id), 0);
	ck_assert_str_eq(id, "0001-a");
	ck_assert_int_eq(spool_peek(s, 1, id), 0);
	ck_assert_str_eq(id, "0002-b");
	ck_assert_int_eq(spool_peek(s, 2, id), -1);

	ck_assert_int_eq(spool_read(s, "0001-a", &body, &len, err,
	    sizeof(err)), 0);
	ck_assert_uint_eq(len, 7);
	ck_assert_str_eq(body, "{\"a\":1}");
	free(body);

	ck_assert_int_eq(spool_remove(s, "0001-a", err, sizeof(err)), 0);
	ck_assert(!exists("0001-a.msg"));
	ck_assert_uint_eq(spool_count(s), 1);
	ck_assert_uint_eq(spool_bytes(s), 7);
	ck_assert_int_eq(spool_peek(s, 0, id), 0);
	ck_assert_str_eq(id, "0002-b");

	/* Gone: reading or removing it again fails with a message. */
	err[0] = '\0';
	ck_assert_int_eq(spool_read(s, "0001-a", &body, &len, err,
	    sizeof(err)), -1);
	ck_assert_ptr_null(body);
	ck_assert(strstr(err, dir) != NULL);
	ck_assert_int_eq(spool_remove(s, "0001-a", err, sizeof(err)), -1);
	ck_assert_uint_eq(spool_count(s), 1);

	/* An empty body is a message too. */
	put_ok(s, "0003-c", "");
	ck_assert_int_eq(spool_read(s, "0003-c", &body, &len, err,
	    sizeof(err)), 0);
	ck_assert_uint_eq(len, 0);
	ck_assert_str_eq(body, "");
	free(body);
	spool_close(s);
	spool_close(NULL);
}
END_TEST

START_TEST(bound)
{
	char err[512] = "", big[MAX_BYTES + 1];
	struct spool *s = open_ok(MAX_BYTES);

	memset(big, 'x', sizeof(big));
	put_ok(s, "0001", "0123456789");
	/* One byte too many: refused, nothing on disk, nothing counted. */
	errno = 0;
	ck_assert_int_eq(spool_put(s, "0002", big, MAX_BYTES - 9, err,
	    sizeof(err)), SPOOL_FULL);
	ck_assert_int_eq(errno, ENOSPC);
	ck_assert(strstr(err, dir) != NULL);
	ck_assert(!exists("0002.msg"));
	ck_assert(!exists(".0002.tmp"));
	ck_assert_uint_eq(spool_count(s), 1);
	ck_assert_uint_eq(spool_bytes(s), 10);
	/* Exactly to the bound is fine. */
	ck_assert_int_eq(spool_put(s, "0002", big, MAX_BYTES - 10, err,
	    sizeof(err)), 0);
	ck_assert_uint_eq(spool_bytes(s), MAX_BYTES);
	errno = 0;
	ck_assert_int_eq(spool_put(s, "0003", "", 0, err, sizeof(err)), 0);
	ck_assert_int_eq(spool_put(s, "0004", "y", 1, err, sizeof(err)),
	    SPOOL_FULL);
	ck_assert_int_eq(errno, ENOSPC);
	/* Removing makes room again. */
	ck_assert_int_eq(spool_remove(s, "0002", err, sizeof(err)), 0);
	put_ok(s, "0004", "y");
	ck_assert_uint_eq(spool_count(s), 3);
	ck_assert_uint_eq(spool_bytes(s), 11);
	spool_close(s);
}
END_TEST

START_TEST(exists_already)
{
	char err[512] = "", *body;
	struct spool *s = open_ok(MAX_BYTES);
	size_t len;

	put_ok(s, "0001", "first");
	errno = 0;
	ck_assert_int_eq(spool_put(s, "0001", "second", 6, err, sizeof(err)),
	    -1);
	ck_assert_int_eq(errno, EEXIST);
	ck_assert_uint_eq(spool_count(s), 1);
	ck_assert_uint_eq(spool_bytes(s), 5);
	ck_assert_int_eq(spool_read(s, "0001", &body, &len, err, sizeof(err)),
	    0);
	ck_assert_str_eq(body, "first");
	free(body);
	spool_close(s);
}
END_TEST

START_TEST(reopen)
{
	static const char *const after_open[] = { "0001.msg", "0002.msg",
	    "0003.msg", "notes.txt", "bad id.msg", ".hidden.msg", "rejected",
	    NULL };
	char err[512] = "", id[SPOOL_ID_MAX], p[400];
	struct spool *s = open_ok(MAX_BYTES);

	put_ok(s, "0003", "three");
	put_ok(s, "0001", "one");
	spool_close(s);

	/* What an earlier run, a crash and a person may leave. */
	write_file("0002.msg", "two!");
	write_file(".0004.tmp", "half writ");
	write_file(".x.tmp", "stray");
	write_file("notes.txt", "not a message");
	write_file("bad id.msg", "bad name");
	write_file(".hidden.msg", "dot name");
	snprintf(p, sizeof(p), "%s/rejected", dir);
	ck_assert_int_eq(mkdir(p, 0700), 0);

	s = open_ok(MAX_BYTES);
	ck_assert_uint_eq(spool_count(s), 3);
	ck_assert_uint_eq(spool_bytes(s), 12);
	ck_assert_int_eq(spool_peek(s, 0, id), 0);
	ck_assert_str_eq(id, "0001");
	ck_assert_int_eq(spool_peek(s, 1, id), 0);
	ck_assert_str_eq(id, "0002");
	ck_assert_int_eq(spool_peek(s, 2, id), 0);
	ck_assert_str_eq(id, "0003");
	ck_assert(!exists(".x.tmp"));
	ck_assert(!exists(".0004.tmp"));
	ck_assert(only_entries(after_open));

	/* The id a temporary file had is free for a put. */
	put_ok(s, "0004", "four");
	ck_assert_uint_eq(spool_count(s), 4);
	(void)err;
	spool_close(s);
}
END_TEST

START_TEST(reject)
{
	char err[512] = "", id[SPOOL_ID_MAX], p[400], *body;
	struct spool *s = open_ok(MAX_BYTES);
	struct stat st;
	size_t len;

	put_ok(s, "0001", "refused");
	put_ok(s, "0002", "fine");
	ck_assert_int_eq(spool_reject(s, "0001", err, sizeof(err)), 0);
	ck_assert_uint_eq(spool_count(s), 1);
	ck_assert_uint_eq(spool_bytes(s), 4);
	ck_assert_int_eq(spool_peek(s, 0, id), 0);
	ck_assert_str_eq(id, "0002");
	ck_assert(!exists("0001.msg"));
	snprintf(p, sizeof(p), "%s/rejected", dir);
	ck_assert_int_eq(stat(p, &st), 0);
	ck_assert(S_ISDIR(st.st_mode));
	ck_assert_int_eq(st.st_mode & 07777, 0700);
	ck_assert(exists("rejected/0001.msg"));

	/* A second rejection uses the directory that is there. */
	ck_assert_int_eq(spool_reject(s, "0002", err, sizeof(err)), 0);
	ck_assert(exists("rejected/0002.msg"));
	ck_assert_uint_eq(spool_count(s), 0);
	spool_close(s);

	/* Rejected messages stay out of the queue after a restart. */
	s = open_ok(MAX_BYTES);
	ck_assert_uint_eq(spool_count(s), 0);
	ck_assert_int_eq(spool_read(s, "0001", &body, &len, err, sizeof(err)),
	    -1);
	/* Rejecting what is not there fails with a message. */
	err[0] = '\0';
	ck_assert_int_eq(spool_reject(s, "0009", err, sizeof(err)), -1);
	ck_assert(strstr(err, "0009") != NULL);
	spool_close(s);
}
END_TEST

START_TEST(invalid_ids)
{
	static const char *const bad[] = { "", ".hidden", "a/b", "../x",
	    "a b", "a\nb", "caf\xc3\xa9", "x*",
	    /* SPOOL_ID_MAX bytes: one too many */
	    "0123456789012345678901234567890123456789012345678901234567890123",
	};
	char err[512], *body;
	struct spool *s = open_ok(MAX_BYTES);
	size_t i, len;

	ck_assert(spool_id_valid("0001-2.x_Y"));
	ck_assert(spool_id_valid("a."));
	ck_assert(spool_id_valid(
	    "012345678901234567890123456789012345678901234567890123456789012"));
	ck_assert(!spool_id_valid(NULL));
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_msg(!spool_id_valid(bad[i]), "%s valid", bad[i]);
		err[0] = '\0';
		errno = 0;
		ck_assert_int_eq(spool_put(s, bad[i], "x", 1, err,
		    sizeof(err)), -1);
		ck_assert_int_eq(errno, EINVAL);
		ck_assert(err[0] != '\0');
		ck_assert_int_eq(spool_read(s, bad[i], &body, &len, err,
		    sizeof(err)), -1);
		ck_assert_int_eq(spool_remove(s, bad[i], err, sizeof(err)),
		    -1);
		ck_assert_int_eq(spool_reject(s, bad[i], err, sizeof(err)),
		    -1);
	}
	ck_assert_uint_eq(spool_count(s), 0);
	spool_close(s);
	ck_assert(!exists("a/b.msg"));
}
END_TEST

START_TEST(open_errors)
{
	char err[512] = "", p[400];
	FILE *fp;

	/* The path is a file. */
	snprintf(p, sizeof(p), "%s/file", base);
	ck_assert_ptr_nonnull(fp = fopen(p, "w"));
	fclose(fp);
	ck_assert_ptr_null(spool_open(p, MAX_BYTES, err, sizeof(err)));
	ck_assert(strstr(err, p) != NULL);

	/* A parent is missing: not made. */
	err[0] = '\0';
	snprintf(p, sizeof(p), "%s/no/such", base);
	ck_assert_ptr_null(spool_open(p, MAX_BYTES, err, sizeof(err)));
	ck_assert(strstr(err, p) != NULL);

	/* Not readable: only testable when permissions apply to us. */
	if (geteuid() != 0) {
		err[0] = '\0';
		ck_assert_int_eq(mkdir(dir, 0700), 0);
		ck_assert_int_eq(chmod(dir, 0), 0);
		ck_assert_ptr_null(spool_open(dir, MAX_BYTES, err,
		    sizeof(err)));
		ck_assert(strstr(err, dir) != NULL);
		chmod(dir, 0700);
	}
}
END_TEST

START_TEST(loose_dir_kept)
{
	struct spool *s;
	struct stat st;

	/* An existing directory open to others is used as it is. */
	ck_assert_int_eq(mkdir(dir, 0755), 0);
	ck_assert_int_eq(chmod(dir, 0755), 0);
	s = open_ok(MAX_BYTES);
	put_ok(s, "0001", "x");
	ck_assert_int_eq(stat(dir, &st), 0);
	ck_assert_int_eq(st.st_mode & 07777, 0755);
	spool_close(s);
}
END_TEST

/* A put into a directory that turned read-only fails cleanly and leaves
 * no temporary file; root ignores the mode, so only without it. */
START_TEST(put_fails_cleanly)
{
	char err[512] = "";
	struct spool *s;

	if (geteuid() == 0)
		return;
	s = open_ok(MAX_BYTES);
	ck_assert_int_eq(chmod(dir, 0500), 0);
	errno = 0;
	ck_assert_int_eq(spool_put(s, "0001", "x", 1, err, sizeof(err)), -1);
	ck_assert_int_eq(errno, EACCES);
	ck_assert(strstr(err, dir) != NULL);
	ck_assert_uint_eq(spool_count(s), 0);
	chmod(dir, 0700);
	ck_assert(!exists(".0001.tmp"));
	spool_close(s);
}
END_TEST

/* A FIFO under a message's name is not a message: an open skips it, and
 * one put there after the open is refused by a read without waiting for a
 * writer (a wait would show as the test's timeout). */
START_TEST(fifo_not_read)
{
	char err[512] = "", p[400], *body = NULL;
	struct spool *s;
	size_t len = 0;

	s = open_ok(MAX_BYTES);
	put_ok(s, "0001", "one");
	snprintf(p, sizeof(p), "%s/0002.msg", dir);
	ck_assert_int_eq(mkfifo(p, 0600), 0);
	spool_close(s);

	s = open_ok(MAX_BYTES);
	ck_assert_uint_eq(spool_count(s), 1);
	snprintf(p, sizeof(p), "%s/0001.msg", dir);
	ck_assert_int_eq(unlink(p), 0);
	ck_assert_int_eq(mkfifo(p, 0600), 0);
	ck_assert_int_eq(spool_read(s, "0001", &body, &len, err,
	    sizeof(err)), -1);
	ck_assert_ptr_null(body);
	ck_assert(strstr(err, "0001.msg") != NULL);
	spool_close(s);
}
END_TEST

Suite *
spool_suite(void)
{
	Suite *s = suite_create("spool");
	TCase *tc;

	tc = tcase_create("spool");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, round_trip);
	tcase_add_test(tc, bound);
	tcase_add_test(tc, exists_already);
	tcase_add_test(tc, reopen);
	tcase_add_test(tc, reject);
	tcase_add_test(tc, invalid_ids);
	tcase_add_test(tc, open_errors);
	tcase_add_test(tc, loose_dir_kept);
	tcase_add_test(tc, put_fails_cleanly);
	tcase_add_test(tc, fifo_not_read);
	suite_add_tcase(s, tc);
	return s;
}
