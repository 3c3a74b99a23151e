/*
 * util.c: allocation wrappers that abort on failure, bounded string and
 * number parsing, and the one way a file named by the configuration is
 * opened to be read. No function here keeps state.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "util.h"

static void
oom(size_t n)
{
	log_err("out of memory allocating %zu bytes", n);
	abort();
}

void *
xmalloc(size_t size)
{
	void *p;

	if (size == 0)
		size = 1;
	if ((p = malloc(size)) == NULL)
		oom(size);
	return p;
}

void *
xcalloc(size_t nmemb, size_t size)
{
	void *p;

	if (nmemb == 0 || size == 0)
		nmemb = size = 1;
	if ((p = calloc(nmemb, size)) == NULL)
		oom(nmemb * size);
	return p;
}

/* Tables below this size come from calloc. */
#define TABLE_MAP_MIN	(2UL << 20)
#define HUGE_PAGE	(2UL << 20)

static size_t
table_bytes(size_t nmemb, size_t size)
{
	if (nmemb != 0 && size > SIZE_MAX / nmemb - HUGE_PAGE) {
		log_err("allocation of %zu x %zu bytes overflows", nmemb,
		    size);
		abort();
	}
	return nmemb * size;
}

void *
xcalloc_table(size_t nmemb, size_t size)
{
	size_t n = table_bytes(nmemb, size), len, head;
	uint8_t *p;

	if (n < TABLE_MAP_MIN)
		return xcalloc(nmemb, size);
	/* Map a huge page more than asked and trim both ends, so the
	 * table starts on a huge page boundary. */
	len = (n + HUGE_PAGE - 1) & ~(HUGE_PAGE - 1);
	p = mmap(NULL, len + HUGE_PAGE, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		oom(n);
	head = (HUGE_PAGE - ((uintptr_t)p & (HUGE_PAGE - 1))) & (HUGE_PAGE - 1);
	if (head > 0)
		munmap(p, head);
	if (HUGE_PAGE - head > 0)
		munmap(p + head + len, HUGE_PAGE - head);
	p += head;
#ifdef MADV_HUGEPAGE
	(void)madvise(p, len, MADV_HUGEPAGE);	/* a hint; refused is fine */
#endif
	return p;
}

void
xfree_table(void *p, size_t nmemb, size_t size)
{
	size_t n;

	if (p == NULL)
		return;
	n = table_bytes(nmemb, size);
	if (n < TABLE_MAP_MIN) {
		free(p);
		return;
	}
	munmap(p, (n + HUGE_PAGE - 1) & ~(HUGE_PAGE - 1));
}

void *
xreallocarray(void *ptr, size_t nmemb, size_t size)
{
	void *p;

	if (nmemb != 0 && size > SIZE_MAX / nmemb) {
		log_err("allocation of %zu x %zu bytes overflows", nmemb,
		    size);
		abort();
	}
	if (nmemb * size == 0)
		nmemb = size = 1;
	if ((p = realloc(ptr, nmemb * size)) == NULL)
		oom(nmemb * size);
	return p;
}

char *
xstrdup(const char *s)
{
	size_t n = strlen(s) + 1;
	char *p = xmalloc(n);

	memcpy(p, s, n);
	return p;
}

size_t
str_copy(char *dst, const char *src, size_t dstlen)
{
	size_t n = strlen(src);

	if (dstlen > 0) {
		size_t c = n < dstlen - 1 ? n : dstlen - 1;
		memcpy(dst, src, c);
		dst[c] = '\0';
	}
	return n;
}

int
parse_long(const char *s, long min, long max, long *out)
{
	char *end;
	long v;

	if (s == NULL || *s == '\0' || isspace((unsigned char)*s))
		return -1;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

int
parse_duration_us(const char *s, uint64_t min_us, uint64_t max_us, uint64_t *out)
{
	char *end;
	unsigned long long v;
	uint64_t mult;

	if (s == NULL || !isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0)
		return -1;
	if (*end == '\0' || strcmp(end, "s") == 0)
		mult = 1000000;
	else if (strcmp(end, "ms") == 0)
		mult = 1000;
	else if (strcmp(end, "m") == 0)
		mult = 60ULL * 1000000;
	else if (strcmp(end, "h") == 0)
		mult = 3600ULL * 1000000;
	else if (strcmp(end, "d") == 0)
		mult = 86400ULL * 1000000;
	else
		return -1;
	if (v > UINT64_MAX / mult)
		return -1;
	v *= mult;
	if (v < min_us || v > max_us)
		return -1;
	*out = v;
	return 0;
}

void
format_duration_us(uint64_t us, char *buf, size_t len)
{
	static const struct {
		const char *unit;
		uint64_t us;
	} units[] = {
		{ "d", 86400ULL * 1000000 }, { "h", 3600ULL * 1000000 },
		{ "m", 60ULL * 1000000 }, { "s", 1000000 }, { "ms", 1000 },
	};
	size_t i;

	for (i = 0; i < NELEM(units); i++) {
		if (us != 0 && us % units[i].us == 0) {
			snprintf(buf, len, "%llu%s",
			    (unsigned long long)(us / units[i].us), units[i].unit);
			return;
		}
	}
	/* 0, or a figure no unit divides: microseconds have no unit here,
	 * so say it in ms with a fraction. */
	if (us == 0)
		snprintf(buf, len, "0s");
	else
		snprintf(buf, len, "%.3fms", (double)us / 1000.0);
}

char *
str_trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

int
file_read_line(FILE *fp, char *buf, size_t len, int *nul, int *too_long)
{
	size_t n = 0;
	int c;

	*nul = *too_long = 0;
	while ((c = getc(fp)) != EOF && c != '\n') {
		if (c == '\0')
			*nul = 1;
		else if (n + 2 < len)
			buf[n++] = (char)c;
		else
			*too_long = 1;
	}
	if (c == EOF && n == 0 && !*nul && !*too_long)
		return -1;
	if (n > 0 && buf[n - 1] == '\r')
		n--;
	buf[n] = '\0';
	return (int)n;
}

const char *
file_type_name(mode_t mode)
{
	if (S_ISREG(mode))
		return "a regular file";
	if (S_ISDIR(mode))
		return "a directory";
	if (S_ISFIFO(mode))
		return "a FIFO";
	if (S_ISCHR(mode))
		return "a character device";
	if (S_ISBLK(mode))
		return "a block device";
	if (S_ISSOCK(mode))
		return "a socket";
	if (S_ISLNK(mode))
		return "a symbolic link";
	return "of an unknown type";
}

int
file_open_regular(const char *path, char *err, size_t errlen)
{
	struct stat st;
	int fd, flags;

	/*
	 * O_NONBLOCK: opening a FIFO to read waits for a writer, forever if
	 * none comes; with it the open returns at once and the fstat below
	 * refuses the FIFO. O_NOCTTY: a terminal named here must not become
	 * the controlling one.
	 */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd == -1) {
		/* A socket cannot be opened at all (ENXIO): say what it is. */
		if (errno == ENXIO && stat(path, &st) == 0 &&
		    !S_ISREG(st.st_mode))
			snprintf(err, errlen, "%s: is %s, not a regular file",
			    path, file_type_name(st.st_mode));
		else
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) == -1) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		goto fail;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "%s: is %s, not a regular file", path,
		    file_type_name(st.st_mode));
		goto fail;
	}
	/* No effect on a regular file's reads; cleared so that the descriptor
	 * is the ordinary blocking one its readers expect. */
	if ((flags = fcntl(fd, F_GETFL)) == -1 ||
	    fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) == -1) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		goto fail;
	}
	return fd;
fail:
	close(fd);
	return -1;
}

FILE *
file_fopen_regular(const char *path, char *err, size_t errlen)
{
	FILE *fp;
	int fd;

	if ((fd = file_open_regular(path, err, errlen)) == -1)
		return NULL;
	if ((fp = fdopen(fd, "r")) == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		close(fd);
	}
	return fp;
}

int
file_check_regular(const char *path, char *err, size_t errlen)
{
	int fd;

	if ((fd = file_open_regular(path, err, errlen)) == -1)
		return -1;
	close(fd);
	return 0;
}

uint64_t
wall_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

uint64_t
mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

void
cond_init_monotonic(pthread_cond_t *cv)
{
	pthread_condattr_t a;

	pthread_condattr_init(&a);
	pthread_condattr_setclock(&a, CLOCK_MONOTONIC);
	pthread_cond_init(cv, &a);
	pthread_condattr_destroy(&a);
}

void
cond_wait_until(pthread_cond_t *cv, pthread_mutex_t *mu, uint64_t until_us)
{
	struct timespec ts;

	if (until_us == 0) {
		pthread_cond_wait(cv, mu);
		return;
	}
	ts.tv_sec = (time_t)(until_us / 1000000);
	ts.tv_nsec = (long)(until_us % 1000000) * 1000;
	pthread_cond_timedwait(cv, mu, &ts);
}
