/*
 * spool.c: the durable message queue of spool.h, one file per message.
 *
 * The directory is authoritative and the index in memory is only a sorted
 * copy of its listing, rebuilt at every open: a crash can therefore lose
 * nothing that spool_put() reported stored, and leaves at worst a dot-named
 * temporary file that the next open removes. Every file operation goes
 * through the directory's descriptor (openat, renameat, unlinkat), so the
 * spool keeps working on the directory it opened even if its path is
 * renamed, and the directory fsync that makes a rename durable is on the
 * same descriptor.
 *
 * egressd signs and sends whatever the spool holds, so only the user it
 * runs as may put anything there: the directory must be that user's, not a
 * symbolic link, and writable by nobody else, and a message file owned by
 * anyone else is refused (spool_check_dir, spool_scan_one, spool_read).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "spool.h"
#include "util.h"

#define SPOOL_SUFFIX	".msg"
#define SPOOL_TMP_SUFFIX ".tmp"
#define SPOOL_REJECTED	"rejected"
/* ".", id, ".tmp" or ".msg", NUL */
#define SPOOL_NAME_MAX	(SPOOL_ID_MAX + 6)
/*
 * The index grows with the number of files, which the size bound does not
 * limit when messages are tiny; this caps it (72 bytes an entry, so about
 * 19 MiB). A put past it fails as the size bound does (SPOOL_FULL); an
 * open that finds more keeps the oldest.
 */
#define SPOOL_COUNT_MAX	(256 * 1024)

struct spool_ent {
	char id[SPOOL_ID_MAX];
	uint64_t size;		/* body bytes, the file's size */
};

/* Refused files named in the log, one by one, before a summary. */
#define SPOOL_REFUSED_SHOWN	8

struct spool {
	char *dir;		/* for messages only */
	size_t refused;		/* message files not owned by us, at open */
	int dirfd;
	uint64_t max_bytes;
	uint64_t bytes;		/* sum of the sizes of indexed messages */
	struct spool_ent *ents;	/* sorted by id, so oldest first */
	size_t n, cap;
};

int
spool_id_valid(const char *id)
{
	size_t i;

	if (id == NULL || id[0] == '\0' || id[0] == '.')
		return 0;
	for (i = 0; id[i] != '\0'; i++) {
		char c = id[i];

		if (i >= SPOOL_ID_MAX - 1)
			return 0;
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-'))
			return 0;
	}
	return 1;
}

/* Writes "spool DIR: what: strerror(errno)" into err, keeping errno. */
static void
spool_err(const struct spool *s, const char *dir, char *err, size_t errlen,
    const char *what, const char *name)
{
	int saved = errno;

	if (s != NULL)
		dir = s->dir;
	if (name != NULL)
		snprintf(err, errlen, "spool %s: %s %s: %s", dir, what, name,
		    strerror(saved));
	else
		snprintf(err, errlen, "spool %s: %s: %s", dir, what,
		    strerror(saved));
	errno = saved;
}

static int
ent_cmp(const void *a, const void *b)
{
	const struct spool_ent *ea = a, *eb = b;

	return strcmp(ea->id, eb->id);
}

/* The index position of id, or -1. */
static long
spool_find(const struct spool *s, const char *id)
{
	size_t lo = 0, hi = s->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(id, s->ents[mid].id);

		if (c == 0)
			return (long)mid;
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return -1;
}

static void
spool_grow(struct spool *s)
{
	if (s->n < s->cap)
		return;
	s->cap = s->cap == 0 ? 64 : s->cap * 2;
	s->ents = xreallocarray(s->ents, s->cap, sizeof(*s->ents));
}

/* Inserts in order. New ids are usually the newest, so the append is the
 * common case and the memmove the rare one. */
static void
spool_insert(struct spool *s, const char *id, uint64_t size)
{
	size_t pos = s->n;

	spool_grow(s);
	if (s->n > 0 && strcmp(id, s->ents[s->n - 1].id) < 0) {
		size_t lo = 0, hi = s->n;

		while (lo < hi) {
			size_t mid = lo + (hi - lo) / 2;

			if (strcmp(id, s->ents[mid].id) < 0)
				hi = mid;
			else
				lo = mid + 1;
		}
		pos = lo;
		memmove(&s->ents[pos + 1], &s->ents[pos],
		    (s->n - pos) * sizeof(*s->ents));
	}
	str_copy(s->ents[pos].id, id, sizeof(s->ents[pos].id));
	s->ents[pos].size = size;
	s->n++;
	s->bytes += size;
}

static void
spool_forget(struct spool *s, const char *id)
{
	long i = spool_find(s, id);

	if (i < 0)
		return;
	s->bytes -= s->ents[i].size;
	memmove(&s->ents[i], &s->ents[i + 1],
	    (s->n - (size_t)i - 1) * sizeof(*s->ents));
	s->n--;
}

/* Keeps the SPOOL_COUNT_MAX oldest entries of an unsorted index. */
static void
spool_trim(struct spool *s)
{
	size_t i;

	if (s->n > 1)	/* qsort(NULL, 0, ...) is undefined */
		qsort(s->ents, s->n, sizeof(*s->ents), ent_cmp);
	if (s->n <= SPOOL_COUNT_MAX)
		return;
	for (i = SPOOL_COUNT_MAX; i < s->n; i++)
		s->bytes -= s->ents[i].size;
	s->n = SPOOL_COUNT_MAX;
}

static int
has_suffix(const char *name, size_t len, const char *suffix)
{
	size_t sl = strlen(suffix);

	return len > sl && memcmp(name + len - sl, suffix, sl) == 0;
}

/* Looks at one directory entry: removes a leftover temporary file, indexes
 * a message, leaves anything else alone. Returns 0 or -1 with a message. */
static int
spool_scan_one(struct spool *s, const char *name, char *err, size_t errlen)
{
	char id[SPOOL_ID_MAX];
	struct stat st;
	size_t len = strlen(name);

	if (name[0] == '.' && has_suffix(name, len, SPOOL_TMP_SUFFIX)) {
		if (fstatat(s->dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
		    S_ISREG(st.st_mode) &&
		    unlinkat(s->dirfd, name, 0) == -1 && errno != ENOENT) {
			spool_err(s, NULL, err, errlen, "remove", name);
			return -1;
		}
		return 0;
	}
	if (!has_suffix(name, len, SPOOL_SUFFIX) ||
	    len - strlen(SPOOL_SUFFIX) >= sizeof(id))
		return 0;
	memcpy(id, name, len - strlen(SPOOL_SUFFIX));
	id[len - strlen(SPOOL_SUFFIX)] = '\0';
	if (!spool_id_valid(id))
		return 0;
	if (fstatat(s->dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == -1) {
		if (errno == ENOENT)
			return 0;
		spool_err(s, NULL, err, errlen, "stat", name);
		return -1;
	}
	if (!S_ISREG(st.st_mode))
		return 0;
	if (st.st_uid != geteuid()) {
		if (s->refused++ < SPOOL_REFUSED_SHOWN)
			log_err("spool %s: %s is owned by uid %u, not by uid %u "
			    "that egressd runs as: refused, left where it is",
			    s->dir, name, (unsigned)st.st_uid,
			    (unsigned)geteuid());
		return 0;
	}
	/* Unsorted while scanning: one sort at the end. */
	spool_grow(s);
	str_copy(s->ents[s->n].id, id, sizeof(s->ents[s->n].id));
	s->ents[s->n].size = (uint64_t)st.st_size;
	s->n++;
	s->bytes += (uint64_t)st.st_size;
	if (s->n >= 2 * SPOOL_COUNT_MAX)
		spool_trim(s);
	return 0;
}

static int
spool_scan(struct spool *s, char *err, size_t errlen)
{
	struct dirent *de;
	DIR *d;
	int fd, rc = 0;

	/* closedir() closes the descriptor fdopendir() got: give it a copy. */
	if ((fd = fcntl(s->dirfd, F_DUPFD_CLOEXEC, 0)) == -1) {
		spool_err(s, NULL, err, errlen, "dup", NULL);
		return -1;
	}
	if ((d = fdopendir(fd)) == NULL) {
		spool_err(s, NULL, err, errlen, "opendir", NULL);
		close(fd);
		return -1;
	}
	for (;;) {
		errno = 0;
		if ((de = readdir(d)) == NULL) {
			if (errno != 0) {
				spool_err(s, NULL, err, errlen, "readdir",
				    NULL);
				rc = -1;
			}
			break;
		}
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0 ||
		    strcmp(de->d_name, SPOOL_REJECTED) == 0)
			continue;
		if ((rc = spool_scan_one(s, de->d_name, err, errlen)) == -1)
			break;
	}
	closedir(d);
	if (rc == 0)
		spool_trim(s);
	if (s->refused > SPOOL_REFUSED_SHOWN)
		log_err("spool %s: %zu message files in all refused for their "
		    "owner", s->dir, s->refused);
	return rc;
}

int
spool_check_private(const char *what, const char *why, mode_t owner_needs,
    const char *dir, const struct stat *given, uid_t owner, char *err,
    size_t errlen)
{
	struct stat own;
	const struct stat *st = given;

	if (st == NULL) {
		if (lstat(dir, &own) == -1) {
			if (errno == ENOENT)
				return 1;
			snprintf(err, errlen, "%s %s: stat: %s", what, dir,
			    strerror(errno));
			return -1;
		}
		st = &own;
	}
	if (S_ISLNK(st->st_mode)) {
		snprintf(err, errlen, "%s %s: is a symbolic link: name the "
		    "directory itself", what, dir);
		return -1;
	}
	if (!S_ISDIR(st->st_mode)) {
		snprintf(err, errlen, "%s %s: not a directory", what, dir);
		return -1;
	}
	if (st->st_uid != owner) {
		snprintf(err, errlen, "%s %s: owned by uid %u, not by uid %u "
		    "that egressd runs as: chown it (%s)", what, dir,
		    (unsigned)st->st_uid, (unsigned)owner, why);
		return -1;
	}
	if ((st->st_mode & (S_IWGRP | S_IWOTH)) != 0) {
		snprintf(err, errlen, "%s %s: mode %04o lets other users write "
		    "there (%s): chmod 700 it", what, dir,
		    (unsigned)(st->st_mode & 07777), why);
		return -1;
	}
	if ((st->st_mode & owner_needs) != owner_needs) {
		snprintf(err, errlen, "%s %s: mode %04o: its owner cannot write "
		    "there: chmod 700 it", what, dir,
		    (unsigned)(st->st_mode & 07777));
		return -1;
	}
	return 0;
}

#define SPOOL_WHY	"egressd signs what it finds there"

int
spool_check_dir(const char *dir, uid_t owner, char *err, size_t errlen)
{
	return spool_check_private("spool", SPOOL_WHY, 0, dir, NULL, owner,
	    err, errlen);
}

struct spool *
spool_open(const char *dir, uint64_t max_bytes, char *err, size_t errlen)
{
	struct spool *s;
	struct stat st;
	int rc;

	if ((rc = spool_check_dir(dir, geteuid(), err, errlen)) == -1)
		return NULL;
	if (rc == 1 && mkdir(dir, 0700) == -1 && errno != EEXIST) {
		spool_err(NULL, dir, err, errlen, "mkdir", NULL);
		return NULL;
	}
	s = xcalloc(1, sizeof(*s));
	s->dir = xstrdup(dir);
	s->max_bytes = max_bytes;
	/* O_NOFOLLOW, and the checks again on what was opened: the path may
	 * have changed since the lstat. */
	s->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	if (s->dirfd == -1) {
		spool_err(s, NULL, err, errlen, "open", NULL);
		goto fail;
	}
	if (fstat(s->dirfd, &st) == -1) {
		spool_err(s, NULL, err, errlen, "stat", NULL);
		goto fail;
	}
	if (spool_check_private("spool", SPOOL_WHY, 0, dir, &st, geteuid(),
	    err, errlen) == -1)
		goto fail;
	if (spool_scan(s, err, errlen) == -1)
		goto fail;
	return s;
fail:
	spool_close(s);
	return NULL;
}

void
spool_close(struct spool *s)
{
	if (s == NULL)
		return;
	if (s->dirfd != -1)
		close(s->dirfd);
	free(s->ents);
	free(s->dir);
	free(s);
}

size_t
spool_count(const struct spool *s)
{
	return s->n;
}

uint64_t
spool_bytes(const struct spool *s)
{
	return s->bytes;
}

int
spool_peek(const struct spool *s, size_t i, char id[SPOOL_ID_MAX])
{
	if (i >= s->n)
		return -1;
	str_copy(id, s->ents[i].id, SPOOL_ID_MAX);
	return 0;
}

/* Checks id and makes its file name; returns 0, or -1 with EINVAL. */
static int
spool_name(const struct spool *s, const char *id, int tmp, char *name,
    size_t namelen, char *err, size_t errlen)
{
	if (!spool_id_valid(id)) {
		errno = EINVAL;
		snprintf(err, errlen, "spool %s: invalid message id", s->dir);
		return -1;
	}
	if (tmp)
		snprintf(name, namelen, ".%s%s", id, SPOOL_TMP_SUFFIX);
	else
		snprintf(name, namelen, "%s%s", id, SPOOL_SUFFIX);
	return 0;
}

static int
write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len > 0) {
		ssize_t w = write(fd, p, len);

		if (w == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

int
spool_put(struct spool *s, const char *id, const void *body, size_t len,
    char *err, size_t errlen)
{
	char name[SPOOL_NAME_MAX], tmp[SPOOL_NAME_MAX];
	struct stat st;
	int fd = -1, saved;
	const char *what;

	if (spool_name(s, id, 0, name, sizeof(name), err, errlen) == -1 ||
	    spool_name(s, id, 1, tmp, sizeof(tmp), err, errlen) == -1)
		return -1;
	if (spool_find(s, id) >= 0 ||
	    fstatat(s->dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0) {
		errno = EEXIST;
		spool_err(s, NULL, err, errlen, "put", name);
		return -1;
	}
	if (s->bytes > s->max_bytes || len > s->max_bytes - s->bytes ||
	    s->n >= SPOOL_COUNT_MAX) {
		snprintf(err, errlen, "spool %s: put %s: %zu bytes would pass "
		    "the bound (%llu of %llu bytes in %zu messages)", s->dir,
		    name, len, (unsigned long long)s->bytes,
		    (unsigned long long)s->max_bytes, s->n);
		errno = ENOSPC;
		return SPOOL_FULL;
	}

	/* A temporary file of this id can only be one an earlier failed put
	 * could not remove; O_EXCL still refuses anything that appears
	 * between the unlink and the open. */
	if (unlinkat(s->dirfd, tmp, 0) == -1 && errno != ENOENT) {
		what = "remove";
		goto fail;
	}
	fd = openat(s->dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC |
	    O_NOFOLLOW, 0600);
	if (fd == -1) {
		what = "create";
		goto fail;
	}
	if (write_all(fd, body, len) == -1) {
		what = "write";
		goto fail;
	}
	if (fsync(fd) == -1) {
		what = "fsync";
		goto fail;
	}
	if (close(fd) == -1) {
		fd = -1;
		what = "close";
		goto fail;
	}
	fd = -1;
	if (renameat(s->dirfd, tmp, s->dirfd, name) == -1) {
		what = "rename";
		goto fail;
	}
	if (fsync(s->dirfd) == -1) {
		/* The rename may not last: take it back so that a failed put
		 * leaves nothing, as the caller will assume. */
		saved = errno;
		spool_err(s, NULL, err, errlen, "fsync directory after",
		    name);
		unlinkat(s->dirfd, name, 0);
		errno = saved;
		return -1;
	}
	spool_insert(s, id, len);
	return 0;
fail:
	saved = errno;
	spool_err(s, NULL, err, errlen, what, tmp);
	if (fd != -1)
		close(fd);
	unlinkat(s->dirfd, tmp, 0);
	errno = saved;
	return -1;
}

int
spool_read(struct spool *s, const char *id, char **body, size_t *len,
    char *err, size_t errlen)
{
	char name[SPOOL_NAME_MAX];
	struct stat st;
	uint64_t limit = s->max_bytes;
	size_t size, got = 0;
	char *buf = NULL;
	long i;
	int fd, saved;

	*body = NULL;
	*len = 0;
	if (spool_name(s, id, 0, name, sizeof(name), err, errlen) == -1)
		return -1;
	/* A message indexed at open may be larger than a bound lowered
	 * since; anything else larger than the bound is not ours. */
	if ((i = spool_find(s, id)) >= 0 && s->ents[i].size > limit)
		limit = s->ents[i].size;
	/* O_NONBLOCK: a FIFO put under a message's name since the scan must
	 * not hold delivery up waiting for a writer; the fstat refuses it.
	 * On the regular file it has no effect. */
	if ((fd = openat(s->dirfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW |
	    O_NONBLOCK)) == -1) {
		spool_err(s, NULL, err, errlen, "open", name);
		return -1;
	}
	if (fstat(fd, &st) == -1) {
		spool_err(s, NULL, err, errlen, "stat", name);
		goto fail;
	}
	if (S_ISREG(st.st_mode) && st.st_uid != geteuid()) {
		snprintf(err, errlen, "spool %s: %s is owned by uid %u, not by "
		    "uid %u that egressd runs as: refused", s->dir, name,
		    (unsigned)st.st_uid, (unsigned)geteuid());
		errno = EPERM;
		goto fail;
	}
	if (!S_ISREG(st.st_mode) || st.st_size < 0 ||
	    (uint64_t)st.st_size > limit ||
	    (uint64_t)st.st_size >= SIZE_MAX) {
		errno = S_ISREG(st.st_mode) ? EFBIG : EINVAL;
		spool_err(s, NULL, err, errlen, "read", name);
		goto fail;
	}
	size = (size_t)st.st_size;
	buf = xmalloc(size + 1);
	while (got < size) {
		ssize_t r = read(fd, buf + got, size - got);

		if (r == -1) {
			if (errno == EINTR)
				continue;
			spool_err(s, NULL, err, errlen, "read", name);
			goto fail;
		}
		if (r == 0)
			break;	/* shrank since the fstat: take what is there */
		got += (size_t)r;
	}
	close(fd);
	buf[got] = '\0';
	*body = buf;
	*len = got;
	return 0;
fail:
	saved = errno;
	free(buf);
	close(fd);
	errno = saved;
	return -1;
}

int
spool_remove(struct spool *s, const char *id, char *err, size_t errlen)
{
	char name[SPOOL_NAME_MAX];

	if (spool_name(s, id, 0, name, sizeof(name), err, errlen) == -1)
		return -1;
	spool_forget(s, id);
	if (unlinkat(s->dirfd, name, 0) == -1) {
		spool_err(s, NULL, err, errlen, "remove", name);
		return -1;
	}
	if (fsync(s->dirfd) == -1) {
		spool_err(s, NULL, err, errlen, "fsync directory after remove",
		    name);
		return -1;
	}
	return 0;
}

int
spool_reject(struct spool *s, const char *id, char *err, size_t errlen)
{
	char name[SPOOL_NAME_MAX];
	int rfd, rc = -1, saved;

	if (spool_name(s, id, 0, name, sizeof(name), err, errlen) == -1)
		return -1;
	/* Out of the queue even when the move fails, so that the caller does
	 * not offer it again and again; the file stays where it is and the
	 * next open indexes it anew. */
	spool_forget(s, id);
	if (mkdirat(s->dirfd, SPOOL_REJECTED, 0700) == -1 && errno != EEXIST) {
		spool_err(s, NULL, err, errlen, "mkdir", SPOOL_REJECTED);
		return -1;
	}
	if ((rfd = openat(s->dirfd, SPOOL_REJECTED, O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC | O_NOFOLLOW)) == -1) {
		spool_err(s, NULL, err, errlen, "open", SPOOL_REJECTED);
		return -1;
	}
	if (renameat(s->dirfd, name, rfd, name) == -1) {
		spool_err(s, NULL, err, errlen, "move to " SPOOL_REJECTED, name);
		goto out;
	}
	if (fsync(rfd) == -1) {
		spool_err(s, NULL, err, errlen, "fsync", SPOOL_REJECTED);
		goto out;
	}
	if (fsync(s->dirfd) == -1) {
		spool_err(s, NULL, err, errlen, "fsync directory after reject",
		    name);
		goto out;
	}
	rc = 0;
out:
	saved = errno;
	close(rfd);
	errno = saved;
	return rc;
}
