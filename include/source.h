/*
 * source.h: where frames come from. A source is one interface over two
 * backends, both libpcap handles: a capture file (pcap or pcapng, "-" for
 * standard input) for replay, and live interfaces for the sidecar
 * (live.h), which several workers poll at once. Both are read the same
 * way: source_poll hands each frame it reads to a function. Frames are
 * borrowed: valid only during that call.
 */
#ifndef EGRESSD_SOURCE_H
#define EGRESSD_SOURCE_H

#include <stddef.h>
#include <stdint.h>

#include "event.h"

struct source;

struct frame {
	uint64_t ts_us;
	const uint8_t *data;
	uint32_t caplen;	/* bytes captured */
	uint32_t wire_len;	/* bytes on the wire */
	const char *ifname;	/* the capture interface, NULL when unknown */
	uint8_t link_dir;	/* enum link_dir, LINK_UNKNOWN when the
				 * capture does not say */
};

typedef void (*source_frame_fn)(const struct frame *fr, int dlt, void *arg);

/* What source_poll returns besides a number of frames. */
#define SOURCE_ERROR	(-1)	/* a read failed (err says why) */
#define SOURCE_CUT	(-2)	/* the file ends in a cut-off record: every
				 * record before it was read (err says) */
#define SOURCE_END	(-3)	/* the end of the input */
#define SOURCE_BAD_FILTER (-4)	/* source_open_files: the filter expression
				 * does not compile */

/* Opens capture files as one stream, read in the order given: a
 * directory stands for its regular files, sorted by name (hidden files
 * and subdirectories left out); "-" is standard input. filter (NULL or ""
 * for none) is a tcpdump expression compiled against each file's link
 * type. Fails, with a message and *why (SOURCE_ERROR, or
 * SOURCE_BAD_FILTER) when a path is missing, a file cannot be read or
 * has a link type the decoder does not know, or the filter does not
 * compile; why may be NULL. */
struct source *source_open_files(const char *const *paths, size_t n,
    const char *filter, int *why, char *err, size_t errlen);
/* One file, no filter. */
struct source *source_open_file(const char *path, char *err, size_t errlen);
void source_close(struct source *s);

/* Reads what worker (0 .. source_workers-1) can read within timeout_ms
 * (a file never waits) and hands each frame to fn with its link type.
 * Returns the frames read (0 when none came in time), or SOURCE_*. */
int source_poll(struct source *s, unsigned worker, int timeout_ms,
    source_frame_fn fn, void *arg, char *err, size_t errlen);

unsigned source_workers(const struct source *s);

/* Adds the source's own figures of one worker to a stats event, in
 * section "capture": a file's truncated, the kernel's drops of a live
 * worker's handles (call it from that worker: libpcap handles are not
 * shared). s may be NULL. */
void source_figures(struct source *s, unsigned worker, struct stats_event *st);

/* How far a replay has read: *done of *total bytes of its files.
 * Returns 0, or -1 when that is unknown (standard input, a pipe, a live
 * source). Costs a system call or so: not for every frame. */
int source_progress(const struct source *s, uint64_t *done,
    uint64_t *total);

/* A capture file's link type (of several, the first's; each frame comes
 * with its own) and name (of several, the one being read; a live
 * source: -1, its interfaces). */
int source_linktype(const struct source *s);
const char *source_name(const struct source *s);

/* Capture files only, every one a regular file: starts a thread that
 * reads them ahead, into a ring of bytes bytes, while source_poll hands
 * out what it read (a replay then reads and classifies on two cores).
 * Returns 0, or -1 when it cannot (standard input or a pipe, whose read
 * could keep the thread from ending; no thread): polls read as before.
 * Not with source_next. */
int source_readahead(struct source *s, size_t bytes);

/* A capture file only: one frame at a time. Returns 1 with a frame, 0 at
 * the end of input, SOURCE_CUT or SOURCE_ERROR with a message. */
int source_next(struct source *s, struct frame *fr, char *err, size_t errlen);

#endif
