/*
 * natsbus.h: egressd's side of NATS JetStream (libnats), shared by the
 * verdict sink (sink_nats.c) and the fleet run mode: connecting with the
 * configured servers, credentials and TLS, and making sure a stream
 * exists. libnats runs its own threads for reading, pinging and
 * reconnecting; nothing here is called on the packet path.
 */
#ifndef EGRESSD_NATSBUS_H
#define EGRESSD_NATSBUS_H

#include <stddef.h>
#include <stdint.h>

#include <nats/nats.h>

#include "config.h"

#define NATSBUS_VERDICTS	"EGRESSD_VERDICTS"
#define NATSBUS_SUMMARIES	"EGRESSD_SUMMARIES"

/* The longest host id: it is one token of a subject. */
#define NATSBUS_HOST_MAX	128

/* Checks cfg->nats (comma-separated nats:// or tls:// URLs) and that host
 * can be one subject token. Returns 0 or -1 with a message. */
int natsbus_check_config(const struct config *cfg, const char *host,
    char *err, size_t errlen);

/* This host's id: host_id, else the host name, made a valid subject token
 * ('.', '*', '>' and blanks become '-'). */
void natsbus_host_id(const struct config *cfg, char *out, size_t len);

/* Connects to the servers of cfg->nats as name. With keep_trying, a
 * cluster that cannot be reached now is tried in the background (the
 * connection is returned at once, not yet connected); without, that fails.
 * Returns the connection, or NULL with a message. */
natsConnection *natsbus_connect(const struct config *cfg, const char *name,
    int keep_trying, char *err, size_t errlen);

/* The replicas of a stream egressd creates: nats_replicas, or 3 when the
 * cluster has 3 servers or more (those the connection knows), else 1. */
int natsbus_replicas(const struct config *cfg, natsConnection *nc);

/* What a stream egressd makes looks like. */
struct natsbus_stream {
	const char *name;
	const char *const *subjects;
	int nsubjects;
	int64_t max_age_ns;	/* 0: kept until the limits below */
	int64_t max_bytes;	/* -1: none */
	int64_t duplicates_ns;	/* the window Nats-Msg-Id is deduplicated in */
};

/* egressd's two streams: EGRESSD_VERDICTS (egressd.verdicts.> and
 * egressd.fleet.>, 30 days, Nats-Msg-Id remembered an hour) and
 * EGRESSD_SUMMARIES (egressd.summary.>, an hour). */
extern const struct natsbus_stream natsbus_verdict_stream;
extern const struct natsbus_stream natsbus_summary_stream;

/* Makes sure stream st exists: looks it up and, when it is missing and
 * create is set, creates it with replicas. *created tells. Returns 0, 1
 * when it is missing and create is not set, or -1 with a message. */
int natsbus_stream(jsCtx *js, const struct natsbus_stream *st, int replicas,
    int create, int *created, char *err, size_t errlen);

/* Publishes body to subject, acked by stream (st, made when no stream
 * takes the subject), with Nats-Msg-Id msgid and the header Egressd-Host:
 * host. *duplicate says the stream had that id already. Returns 0, or -1
 * with a message; *fatal then says these bytes will never be taken (too
 * large). */
int natsbus_publish(jsCtx *js, natsConnection *nc, const struct config *cfg,
    const struct natsbus_stream *st, const char *subject, const char *msgid,
    const char *host, const char *body, size_t len, int *duplicate,
    int *fatal, char *err, size_t errlen);

/* A durable pull consumer of stream's subject (filter), shared by every
 * process that names it: each message goes to one of them, and one that
 * is not acked within ack_wait_us goes again. Returns the subscription,
 * or NULL with a message. */
natsSubscription *natsbus_pull(jsCtx *js, const char *stream,
    const char *filter, const char *durable, uint64_t ack_wait_us,
    int max_ack_pending, char *err, size_t errlen);

/* A status and JetStream error code as one line. */
void natsbus_error(natsStatus s, jsErrCode jerr, const char *what, char *err,
    size_t errlen);

#endif
