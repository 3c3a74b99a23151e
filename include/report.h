/*
 * report.h: the forensic report. Reads event logs (egressd's native JSON
 * lines, or the Suricata-format EVE lines of --eve, mixed freely) and
 * writes one self-contained HTML file: a VM x category matrix, and per VM
 * a timeline, its verdicts and its top destinations. The page loads
 * nothing from anywhere (inline CSS and SVG, a Content-Security-Policy
 * that forbids every load), and every string from an event is escaped:
 * server names are chosen by whoever runs the server.
 *
 * Not on the packet path: `egressd report` and the end of `egressd -r
 * --report` call it once. Memory is bounded by caps on what is kept (see
 * report.c); what a cap left out is counted on the page.
 */
#ifndef EGRESSD_REPORT_H
#define EGRESSD_REPORT_H

#include <stddef.h>

struct report_args {
	const char *const *inputs;	/* event files to read */
	size_t ninputs;
	const char *const *captures;	/* named in the header; may be 0 */
	size_t ncaptures;
	const char *out;		/* the HTML file, "-" for stdout */
	const char *evidence_dir;	/* NULL: link only files found */
	const char *version;		/* egressd's */
	const char *settings;		/* "key = value" lines, or NULL */
	const char *suppress_window;	/* e.g. "300s", or NULL: unknown */
};

/* Reads every input and writes the report. Returns 0, or -1 with a
 * message naming the file. */
int report_write(const struct report_args *a, char *err, size_t errlen);

#endif
