/*
 * source_file.c: the capture file backend of source.h. Timestamps are
 * asked for in microseconds whatever precision the file holds, so
 * nanosecond pcapng files replay with the same event times as any other.
 * One worker reads it; a poll reads a batch of frames, so a replay looks
 * at its signals between batches, not between frames.
 *
 * Several files (and the files of a directory) are one source: read one
 * after the other into one stream, so one classifier and one flow table
 * see them and a flow split across two files stays one flow. Only one
 * file is open at a time; each frame goes out with its own file's link
 * type, so files of different link types mix. Every regular file is
 * opened and checked once before the first frame is read, so a missing,
 * unreadable or foreign file stops the run before any event is written,
 * as a single bad file does.
 *
 * With source_readahead, a thread of the source's own reads the files
 * (libpcap's reads and copies, the part of a replay that is not
 * classifying) into a frame ring while the replay classifies, and keeps
 * reading while the rest of egressd starts up.
 */
#include <pcap/pcap.h>
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "decode.h"
#include "frame_ring.h"
#include "log.h"
#include "source_int.h"
#include "statreg.h"
#include "util.h"

/* libpcap reads a file through stdio, whose own buffer is one block:
 * a read(2) every 4 KiB. This makes it one every 256 KiB; more saves no
 * measurable time and would show in RSS. */
#define SOURCE_READ_BUF	(256U << 10)

#define FILE_POLL_BATCH	256	/* frames per poll */

/* Inputs of one replay at most, directories expanded: the list is held
 * in memory, so it has a cap. */
#define SOURCE_MAX_FILES	100000

struct file_input {
	char *path;		/* "-" for standard input */
	uint64_t size;		/* bytes; 0 when unknown (a pipe) */
};

struct file_source {
	pcap_t *pcap;		/* the file being read; NULL once all are */
	char *buf;		/* its stream's buffer, freed after it closes */
	int linktype;		/* the file being read's */
	int first_linktype;	/* the first file's, for source_linktype */
	struct file_input *in;
	size_t nin, cur;	/* inputs; the one being read */
	uint64_t size_done;	/* bytes of the inputs before cur */
	uint64_t size_total;	/* of all inputs; 0 when one is a pipe */
	char *filter;		/* bpf_filter, NULL for none */
	_Atomic uint64_t truncated;	/* files that ended in a cut-off
					 * record */
	int end;		/* 0, or the SOURCE_* the next poll returns */
	char end_err[512];	/* and its message */
	/* source_readahead: the thread and its ring; the bytes of the
	 * inputs it has read, for file_progress; the input of the frames
	 * the replay took last. Without it the replay's thread reads and
	 * these stay 0. */
	struct frame_ring *ring;
	pthread_t reader;
	_Atomic uint64_t read_done;
	size_t taking;
};

static const struct source_ops file_ops;

static const char *
input_name(const char *path)
{
	return strcmp(path, "-") == 0 ? "standard input" : path;
}

/* Opens one capture file, with filter compiled against its link type.
 * Returns the handle (and its stream's buffer in *bufp), or NULL with a
 * message and *why: SOURCE_ERROR for the file, SOURCE_BAD_FILTER for the
 * expression. */
static pcap_t *
open_one(const char *path, const char *filter, char **bufp, int *why,
    char *err, size_t errlen)
{
	char ebuf[PCAP_ERRBUF_SIZE];
	struct bpf_program prog;
	char *buf;
	FILE *fp;
	int dlt;
	pcap_t *p;

	*why = SOURCE_ERROR;
	*bufp = NULL;
	/*
	 * Not file_open_regular(): a capture may be a pipe or a FIFO that
	 * tcpdump writes into (tcpdump -w - | egressd -r -), read as it
	 * comes. Opening a FIFO waits for its writer, which is what the user
	 * asked for; every file the configuration names is refused instead
	 * when it is not a regular file.
	 */
	fp = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
	if (fp == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	buf = xmalloc(SOURCE_READ_BUF);
	if (setvbuf(fp, buf, _IOFBF, SOURCE_READ_BUF) != 0) {
		free(buf);
		buf = NULL;	/* stdio keeps its own buffer */
	}
	ebuf[0] = '\0';
	p = pcap_fopen_offline_with_tstamp_precision(fp,
	    PCAP_TSTAMP_PRECISION_MICRO, ebuf);
	if (p == NULL) {
		if (fp != stdin)
			fclose(fp);
		free(buf);
		/* libpcap names the file itself in some messages. */
		if (strncmp(ebuf, path, strlen(path)) == 0)
			snprintf(err, errlen, "%s", ebuf);
		else
			snprintf(err, errlen, "%s: %s", input_name(path), ebuf);
		return NULL;
	}
	dlt = pcap_datalink(p);
	if (!decode_linktype_supported(dlt)) {
		const char *n = pcap_datalink_val_to_name(dlt);

		snprintf(err, errlen, "%s: link type %d (%s) is not supported",
		    input_name(path), dlt, n != NULL ? n : "unknown");
		goto fail;
	}
	/* As tcpdump -r FILE EXPR: compiled for this file's link type, and
	 * libpcap's reader skips the frames it rejects. */
	if (filter != NULL) {
		if (pcap_compile(p, &prog, filter, 1,
		    PCAP_NETMASK_UNKNOWN) == -1) {
			snprintf(err, errlen, "bpf_filter: %s (for %s, link "
			    "type %d)", pcap_geterr(p), input_name(path), dlt);
			*why = SOURCE_BAD_FILTER;
			goto fail;
		}
		if (pcap_setfilter(p, &prog) == -1) {
			snprintf(err, errlen, "bpf_filter: %s: %s",
			    input_name(path), pcap_geterr(p));
			pcap_freecode(&prog);
			*why = SOURCE_BAD_FILTER;
			goto fail;
		}
		pcap_freecode(&prog);
	}
	*bufp = buf;
	return p;
fail:
	pcap_close(p);
	free(buf);
	return NULL;
}

static int
not_hidden(const struct dirent *d)
{
	return d->d_name[0] != '.';
}

static void
add_input(struct file_source *s, size_t *cap, const char *path,
    uint64_t size)
{
	if (s->nin == *cap) {
		*cap = *cap != 0 ? *cap * 2 : 8;
		s->in = xreallocarray(s->in, *cap, sizeof(*s->in));
	}
	s->in[s->nin].path = xstrdup(path);
	s->in[s->nin].size = size;
	s->nin++;
}

/* Adds the regular files of directory dir, sorted by name, without
 * hidden ones and without descending into subdirectories. */
static int
add_directory(struct file_source *s, size_t *cap, const char *dir,
    char *err, size_t errlen)
{
	struct dirent **names;
	struct stat st;
	char path[4096];
	size_t before = s->nin;
	int n, i, rc = 0;

	if ((n = scandir(dir, &names, not_hidden, alphasort)) == -1) {
		snprintf(err, errlen, "%s: %s", dir, strerror(errno));
		return -1;
	}
	for (i = 0; i < n; i++) {
		if (rc == 0 && (size_t)snprintf(path, sizeof(path), "%s%s%s",
		    dir, dir[strlen(dir) - 1] == '/' ? "" : "/",
		    names[i]->d_name) >= sizeof(path)) {
			snprintf(err, errlen, "%s/%s: path too long", dir,
			    names[i]->d_name);
			rc = -1;
		}
		if (rc == 0 && stat(path, &st) == 0 && S_ISREG(st.st_mode)) {
			if (s->nin == SOURCE_MAX_FILES) {
				snprintf(err, errlen, "%s: more than %d capture "
				    "files", dir, SOURCE_MAX_FILES);
				rc = -1;
			} else {
				add_input(s, cap, path, (uint64_t)st.st_size);
			}
		}
		free(names[i]);
	}
	free(names);
	if (rc == 0 && s->nin == before) {
		snprintf(err, errlen, "%s: no capture files in the directory", dir);
		rc = -1;
	}
	return rc;
}

/* Makes the list of inputs from the paths given. */
static int
list_inputs(struct file_source *s, const char *const *paths, size_t n,
    char *err, size_t errlen)
{
	struct stat st;
	size_t i, cap = 0;
	int stdin_seen = 0, unknown = 0;

	for (i = 0; i < n; i++) {
		if (strcmp(paths[i], "-") == 0) {
			if (stdin_seen++) {
				snprintf(err, errlen, "standard input ('-') "
				    "can be read once");
				return -1;
			}
			add_input(s, &cap, paths[i], 0);
			continue;
		}
		if (stat(paths[i], &st) == -1) {
			snprintf(err, errlen, "%s: %s", paths[i], strerror(errno));
			return -1;
		}
		if (S_ISDIR(st.st_mode)) {
			if (add_directory(s, &cap, paths[i], err, errlen) == -1)
				return -1;
			continue;
		}
		if (s->nin == SOURCE_MAX_FILES) {
			snprintf(err, errlen, "more than %d capture files",
			    SOURCE_MAX_FILES);
			return -1;
		}
		add_input(s, &cap, paths[i],
		    S_ISREG(st.st_mode) ? (uint64_t)st.st_size : 0);
	}
	for (i = 0; i < s->nin; i++) {
		s->size_total += s->in[i].size;
		unknown |= s->in[i].size == 0;	/* a pipe or FIFO */
	}
	if (unknown)
		s->size_total = 0;
	return 0;
}

static void
file_close(void *state)
{
	struct file_source *s = state;
	size_t i;

	if (s->ring != NULL) {
		frame_ring_stop(s->ring);
		pthread_join(s->reader, NULL);
		frame_ring_free(s->ring);
	}
	if (s->pcap != NULL)
		pcap_close(s->pcap);	/* closes the stream, then its buffer can go */
	free(s->buf);
	for (i = 0; i < s->nin; i++)
		free(s->in[i].path);
	free(s->in);
	free(s->filter);
	free(s);
}

/* Opens input s->cur as the one being read. */
static int
open_current(struct file_source *s, int *why, char *err, size_t errlen)
{
	const char *path = s->in[s->cur].path;

	s->pcap = open_one(path, s->filter, &s->buf, why, err, errlen);
	if (s->pcap == NULL)
		return -1;
	s->linktype = pcap_datalink(s->pcap);
	return 0;
}

struct source *
source_open_files(const char *const *paths, size_t n, const char *filter,
    int *why, char *err, size_t errlen)
{
	struct file_source *s;
	struct stat st;
	pcap_t *p;
	char *buf;
	size_t i;
	int dummy;

	if (why == NULL)
		why = &dummy;
	*why = SOURCE_ERROR;
	s = xcalloc(1, sizeof(*s));
	if (filter != NULL && filter[0] != '\0')
		s->filter = xstrdup(filter);
	if (n == 0) {
		snprintf(err, errlen, "no capture file given");
		goto fail;
	}
	if (list_inputs(s, paths, n, err, errlen) == -1)
		goto fail;
	/* The later regular files are checked now (header, link type,
	 * filter) and opened again in their turn; a pipe can be read once. */
	for (i = 1; i < s->nin; i++) {
		if (strcmp(s->in[i].path, "-") == 0 ||
		    stat(s->in[i].path, &st) == -1 || !S_ISREG(st.st_mode))
			continue;
		if ((p = open_one(s->in[i].path, s->filter, &buf, why, err,
		    errlen)) == NULL)
			goto fail;
		pcap_close(p);
		free(buf);
	}
	if (open_current(s, why, err, errlen) == -1)
		goto fail;
	s->first_linktype = s->linktype;
	return source_new(&file_ops, s);
fail:
	file_close(s);
	return NULL;
}

struct source *
source_open_file(const char *path, char *err, size_t errlen)
{
	return source_open_files(&path, 1, NULL, NULL, err, errlen);
}

static int
file_next(struct file_source *s, struct frame *fr, char *err, size_t errlen)
{
	struct pcap_pkthdr *h;
	const u_char *data;
	int rc;

	rc = pcap_next_ex(s->pcap, &h, &data);
	switch (rc) {
	case 1:
		fr->ts_us = (uint64_t)h->ts.tv_sec * 1000000 + (uint64_t)h->ts.tv_usec;
		fr->data = data;
		fr->caplen = h->caplen;
		fr->wire_len = h->len;
		fr->ifname = NULL;
		fr->link_dir = LINK_UNKNOWN;
		return 1;
	case PCAP_ERROR_BREAK:
		return 0;
	default:
		snprintf(err, errlen, "%s: %s", input_name(s->in[s->cur].path),
		    pcap_geterr(s->pcap));
		/* libpcap says so only in words: a capture cut short while it
		 * was being written, whose every whole record was read. */
		if (strstr(pcap_geterr(s->pcap), "truncated") != NULL) {
			s->truncated++;
			return SOURCE_CUT;
		}
		return SOURCE_ERROR;
	}
}

/* The file being read has ended (rc: 0 or SOURCE_CUT, with its message
 * in err); moves on to the next. Returns 1 when there is one, 0 at the
 * end of the last (rc stands), or SOURCE_ERROR when the next cannot be
 * opened. A cut file that is not the last is warned about here, as the
 * replay warns about a cut last one. */
static int
next_input(struct file_source *s, int rc, char *err, size_t errlen)
{
	int why;

	if (s->cur + 1 >= s->nin)
		return 0;
	if (rc == SOURCE_CUT)
		log_warn("%s (the next file is read)", err);
	s->size_done += s->in[s->cur].size;
	pcap_close(s->pcap);
	free(s->buf);
	s->pcap = NULL;
	s->buf = NULL;
	s->cur++;
	if (open_current(s, &why, err, errlen) == -1)
		return SOURCE_ERROR;
	return 1;
}

int
source_next(struct source *src, struct frame *fr, char *err, size_t errlen)
{
	if (src->ops != &file_ops) {
		snprintf(err, errlen, "%s: not a capture file",
		    source_name(src));
		return SOURCE_ERROR;
	}
	return file_next(src->state, fr, err, errlen);
}

/* The bytes of the inputs read so far: those before the current one and
 * the current one's position. */
static uint64_t
bytes_read(const struct file_source *s)
{
	long off = -1;

	if (s->pcap != NULL && pcap_file(s->pcap) != NULL)
		off = ftell(pcap_file(s->pcap));
	return s->size_done + (off > 0 ? (uint64_t)off : 0);
}

/* The next frame of the inputs, going on from one file to the next:
 * returns 1 with *fr, or the end (SOURCE_END, SOURCE_CUT or SOURCE_ERROR)
 * with its message in err. */
static int
stream_next(struct file_source *s, struct frame *fr, char *err,
    size_t errlen)
{
	int rc, more;

	for (;;) {
		if ((rc = file_next(s, fr, err, errlen)) == 1)
			return 1;
		more = rc == SOURCE_ERROR ? 0 : next_input(s, rc, err, errlen);
		if (more != 1)
			return more == SOURCE_ERROR ? SOURCE_ERROR :
			    rc == 0 ? SOURCE_END : rc;
	}
}

/* The read-ahead thread: file_poll's reading, into the ring. */
static void *
reader_main(void *arg)
{
	struct file_source *s = arg;
	struct frame fr;
	char msg[512];
	unsigned n = 0;
	int rc;

	msg[0] = '\0';
	while ((rc = stream_next(s, &fr, msg, sizeof(msg))) == 1) {
		if (frame_ring_put(s->ring, &fr, s->linktype,
		    (uint32_t)s->cur) == -1)
			return NULL;	/* the replay stopped */
		if (++n % FILE_POLL_BATCH == 0)
			atomic_store(&s->read_done, bytes_read(s));
	}
	atomic_store(&s->read_done, bytes_read(s));
	frame_ring_end(s->ring, rc, msg);
	return NULL;
}

int
source_readahead(struct source *src, size_t bytes)
{
	struct file_source *s;
	sigset_t all, old;
	size_t i;
	int rc;

	if (src->ops != &file_ops)
		return -1;
	s = src->state;
	if (s->ring != NULL || s->size_total == 0)
		return -1;	/* already, or a pipe: it could block the end */
	for (i = 0; i < s->nin; i++)
		if (strcmp(s->in[i].path, "-") == 0)
			return -1;
	s->ring = frame_ring_new(bytes);
	/* Signals stay the replay's thread's. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = pthread_create(&s->reader, NULL, reader_main, s);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0) {
		frame_ring_free(s->ring);
		s->ring = NULL;
		return -1;
	}
	return 0;
}

static int
file_poll(void *state, unsigned worker, int timeout_ms, source_frame_fn fn,
    void *arg, char *err, size_t errlen)
{
	struct file_source *s = state;
	struct frame fr;
	uint32_t input = 0;
	int n, rc, dlt = 0;

	(void)worker;
	(void)timeout_ms;
	if (s->end != 0) {
		snprintf(err, errlen, "%s", s->end_err);
		return s->end;
	}
	for (n = 0; n < FILE_POLL_BATCH; n++) {
		rc = s->ring != NULL ? frame_ring_get(s->ring, &fr, &dlt,
		    &input, s->end_err, sizeof(s->end_err)) :
		    stream_next(s, &fr, s->end_err, sizeof(s->end_err));
		if (rc != 1) {
			/* The frames read come first; the end, next time. */
			s->end = rc;
			if (n > 0)
				return n;
			snprintf(err, errlen, "%s", s->end_err);
			return s->end;
		}
		if (s->ring != NULL)
			s->taking = input;
		else
			dlt = s->linktype;
		fn(&fr, dlt, arg);
		if (s->ring != NULL)
			frame_ring_release(s->ring);
	}
	return n;
}

static int
file_progress(void *state, uint64_t *done, uint64_t *total)
{
	struct file_source *s = state;

	if (s->size_total == 0)
		return -1;
	*done = s->ring != NULL ? atomic_load(&s->read_done) : bytes_read(s);
	*total = s->size_total;
	if (*done > *total)
		*done = *total;	/* a file that grew while read */
	return 0;
}

static void
file_figures(void *state, unsigned worker, struct stats_event *st)
{
	const struct file_source *s = state;

	(void)worker;
	stats_add(st, "capture", "truncated", atomic_load(&s->truncated));
}

static unsigned
file_workers(void *state)
{
	(void)state;
	return 1;
}

static int
file_linktype(void *state)
{
	return ((const struct file_source *)state)->first_linktype;
}

static const char *
file_name(void *state)
{
	const struct file_source *s = state;

	return input_name(s->in[s->ring != NULL ? s->taking : s->cur].path);
}

static const struct source_ops file_ops = {
	.name = "file",
	.workers = file_workers,
	.poll = file_poll,
	.figures = file_figures,
	.progress = file_progress,
	.linktype = file_linktype,
	.source_name = file_name,
	.close = file_close,
};
