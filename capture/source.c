/*
 * source.c: libpcap capture files. Timestamps are asked for in microseconds
 * whatever precision the file holds, so nanosecond pcapng files replay with
 * the same event times as any other.
 */
#include <pcap/pcap.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decode.h"
#include "source.h"
#include "util.h"

/* libpcap reads a file through stdio, whose own buffer is one block:
 * a read(2) every 4 KiB. This makes it one every 256 KiB; more saves no
 * measurable time and would show in RSS. */
#define SOURCE_READ_BUF	(256U << 10)

struct source {
	pcap_t *pcap;
	char *buf;		/* the stream's buffer, freed after it closes */
	int linktype;
	char name[256];
};

struct source *
source_open_file(const char *path, char *err, size_t errlen)
{
	char ebuf[PCAP_ERRBUF_SIZE];
	struct source *s;
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
	return s;
}

void
source_close(struct source *s)
{
	if (s == NULL)
		return;
	pcap_close(s->pcap);	/* closes the stream, then its buffer can go */
	free(s->buf);
	free(s);
}

int
source_next(struct source *s, struct frame *fr, char *err, size_t errlen)
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
		return strstr(pcap_geterr(s->pcap), "truncated") != NULL ? -2 : -1;
	}
}

int
source_linktype(const struct source *s)
{
	return s->linktype;
}

const char *
source_name(const struct source *s)
{
	return s->name;
}
