/*
 * source_file.c: the capture file backend of source.h. Timestamps are
 * asked for in microseconds whatever precision the file holds, so
 * nanosecond pcapng files replay with the same event times as any other.
 * One worker reads it; a poll reads a batch of frames, so a replay looks
 * at its signals between batches, not between frames.
 */
#include <pcap/pcap.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decode.h"
#include "source_int.h"
#include "statreg.h"
#include "util.h"

/* libpcap reads a file through stdio, whose own buffer is one block:
 * a read(2) every 4 KiB. This makes it one every 256 KiB; more saves no
 * measurable time and would show in RSS. */
#define SOURCE_READ_BUF	(256U << 10)

#define FILE_POLL_BATCH	256	/* frames per poll */

struct file_source {
	pcap_t *pcap;
	char *buf;		/* the stream's buffer, freed after it closes */
	int linktype;
	int truncated;		/* it ended in a cut-off record */
	int end;		/* 0, or the SOURCE_* the next poll returns */
	char end_err[512];	/* and its message */
	char name[256];
};

static const struct source_ops file_ops;

struct source *
source_open_file(const char *path, char *err, size_t errlen)
{
	char ebuf[PCAP_ERRBUF_SIZE];
	struct file_source *s;
	char *buf;
	FILE *fp;
	int dlt;
	pcap_t *p;

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
			snprintf(err, errlen, "%s: %s", strcmp(path, "-") == 0 ?
			    "standard input" : path, ebuf);
		return NULL;
	}
	dlt = pcap_datalink(p);
	if (!decode_linktype_supported(dlt)) {
		const char *n = pcap_datalink_val_to_name(dlt);

		snprintf(err, errlen, "%s: link type %d (%s) is not supported", path,
		    dlt, n != NULL ? n : "unknown");
		pcap_close(p);
		free(buf);
		return NULL;
	}
	s = xcalloc(1, sizeof(*s));
	s->pcap = p;
	s->buf = buf;
	s->linktype = dlt;
	str_copy(s->name, strcmp(path, "-") == 0 ? "standard input" : path,
	    sizeof(s->name));
	return source_new(&file_ops, s);
}

static void
file_close(void *state)
{
	struct file_source *s = state;

	pcap_close(s->pcap);	/* closes the stream, then its buffer can go */
	free(s->buf);
	free(s);
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
		snprintf(err, errlen, "%s: %s", s->name, pcap_geterr(s->pcap));
		/* libpcap says so only in words: a capture cut short while it
		 * was being written, whose every whole record was read. */
		if (strstr(pcap_geterr(s->pcap), "truncated") != NULL) {
			s->truncated = 1;
			return SOURCE_CUT;
		}
		return SOURCE_ERROR;
	}
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

static int
file_poll(void *state, unsigned worker, int timeout_ms, source_frame_fn fn,
    void *arg, char *err, size_t errlen)
{
	struct file_source *s = state;
	struct frame fr;
	int n, rc;

	(void)worker;
	(void)timeout_ms;
	if (s->end != 0) {
		snprintf(err, errlen, "%s", s->end_err);
		return s->end;
	}
	for (n = 0; n < FILE_POLL_BATCH; n++) {
		if ((rc = file_next(s, &fr, s->end_err, sizeof(s->end_err))) != 1) {
			/* The frames read come first; the end, next time. */
			s->end = rc == 0 ? SOURCE_END : rc;
			if (n > 0)
				return n;
			snprintf(err, errlen, "%s", s->end_err);
			return s->end;
		}
		fn(&fr, s->linktype, arg);
	}
	return n;
}

static void
file_figures(void *state, unsigned worker, struct stats_event *st)
{
	const struct file_source *s = state;

	(void)worker;
	stats_add(st, "capture", "truncated", (uint64_t)s->truncated);
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
	return ((const struct file_source *)state)->linktype;
}

static const char *
file_name(void *state)
{
	return ((const struct file_source *)state)->name;
}

static const struct source_ops file_ops = {
	.name = "file",
	.workers = file_workers,
	.poll = file_poll,
	.figures = file_figures,
	.linktype = file_linktype,
	.source_name = file_name,
	.close = file_close,
};
