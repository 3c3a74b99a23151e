/*
 * source.h: where frames come from. Both sources are libpcap handles: a
 * capture file (pcap or pcapng, "-" for standard input) for replay, and a
 * live interface for the sidecar. Frames are borrowed: valid until the next
 * source_next() call.
 */
#ifndef EGRESSD_SOURCE_H
#define EGRESSD_SOURCE_H

#include <stddef.h>
#include <stdint.h>

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

/* Opens a capture file; fails for files libpcap cannot read and for link
 * types the decoder does not know. */
struct source *source_open_file(const char *path, char *err, size_t errlen);
void source_close(struct source *s);

/* Returns 1 with a frame, 0 at the end of input, -2 when the file ends in
 * a cut-off record (everything before it was read), -1 on any other read
 * error; err says why for both. */
int source_next(struct source *s, struct frame *fr, char *err, size_t errlen);

int source_linktype(const struct source *s);
const char *source_name(const struct source *s);

#endif
