/*
 * metrics.h: /metrics (Prometheus text format 0.0.4) and /healthz over HTTP,
 * served by libmicrohttpd from a thread of its own, behind a thread of
 * ours that lets a connection in once its request header is whole, so
 * that slow clients cannot keep the health probe out (see metrics.c). The
 * figures are those of the stats event, and the server's own counts of
 * connections cut: each (section, name) becomes egressd_<section>_<name>,
 * with "_total" for counters, or, when the stats registry (statreg.h) puts
 * it in a labelled family, one series of it, such as
 * egressd_verdicts_total{category="mining"}; egressd_build_info names the
 * versions. The collect callback is called on
 * the HTTP thread for every scrape and must be thread-safe.
 */
#ifndef EGRESSD_METRICS_H
#define EGRESSD_METRICS_H

#include <stddef.h>
#include <sys/socket.h>

#include "event.h"

typedef void (*metrics_collect_fn)(struct stats_event *s, void *arg);
/* Returns 1 when healthy; otherwise 0 with a reason in why. */
typedef int (*metrics_health_fn)(void *arg, char *why, size_t len);

struct metrics;

/* What egressd_build_info says. */
struct metrics_build {
	const char *version, *ndpi, *libpcap;
};

/* Parses "PORT", "ADDR:PORT" or "[IPV6]:PORT" (ADDR defaults to
 * 127.0.0.1) into a socket address; returns 0 or -1 with a message. */
int metrics_parse_addr(const char *spec, struct sockaddr_storage *ss,
    char *err, size_t errlen);

/* Binds and starts serving; returns NULL with a message. */
struct metrics *metrics_start(const char *spec,
    const struct metrics_build *b, metrics_collect_fn collect,
    metrics_health_fn health, void *arg, char *err, size_t errlen);
/* The port m listens on: the one chosen by the kernel for port 0. */
int metrics_port(const struct metrics *m);
/* Stops serving and frees m; NULL is a no-op. */
void metrics_stop(struct metrics *m);

/* Writes s in the text format into buf (NUL-terminated, truncated at a
 * line boundary when too small); returns the length it needed. The length
 * excludes the NUL, as snprintf's does; buf may be NULL when len is 0. */
size_t metrics_render(const struct stats_event *s,
    const struct metrics_build *b, char *buf, size_t len);

#endif
