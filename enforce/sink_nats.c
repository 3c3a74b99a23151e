/*
 * sink_nats.c: the NATS JetStream sink (--nats). Every verdict is
 * published to the stream EGRESSD_VERDICTS, subject
 * egressd.verdicts.<category>, as its JSON with the host's id added
 * ("host"), with Nats-Msg-Id set to its verdict_id: the server drops a
 * copy published again within the stream's duplicate window, so a retry
 * after a lost ack does not store it twice. The at-least-once delivery
 * of delivery.h runs it, with <spool>/nats as its disk when spool is set:
 * a verdict is forgotten only once JetStream acked it (stored on the
 * stream's replicas), and waits on disk while the cluster is unreachable.
 * egressd creates the stream when it is missing.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "delivery.h"
#include "eve.h"
#include "log.h"
#include "natsbus.h"
#include "sink.h"
#include "sinkq.h"
#include "util.h"

#define SUBJECT_MAX	192

struct nats_sink {
	const struct config *cfg;
	char host[NATSBUS_HOST_MAX];
	char spool[CONFIG_PATH_MAX + 8];	/* <spool>/nats, or "" */
	natsConnection *nc;
	jsCtx *js;
	struct delivery *d;
	pthread_mutex_t mu;
	uint64_t duplicates;		/* acks that said: had it already */
	int stop;			/* atomic, set by delivery */
	/* Fleet summaries: published from a queue of their own, retried
	 * while the run goes on; at stop, one attempt each until one fails. */
	struct sinkq *sq;		/* struct summary_item * */
	int sq_gave_up;			/* its thread only */
	uint64_t summaries, summary_bytes, summaries_lost;	/* under mu */
};

struct summary_item {
	size_t len;
	char json[];
};

/* The message: the verdict with the host that made it. */
static char *
frame(void *arg, char **v, unsigned n, size_t *len)
{
	struct nats_sink *w = arg;
	json_t *o;
	char *out;

	(void)n;	/* batch is 1: a Nats-Msg-Id per verdict */
	o = json_loads(v[0], 0, NULL);
	if (o != NULL && json_is_object(o) &&
	    json_object_set_new(o, "host", json_string(w->host)) == 0 &&
	    (out = json_dumps(o, JSON_COMPACT)) != NULL) {
		json_decref(o);
		free(v[0]);
		*len = strlen(out);
		return out;
	}
	json_decref(o);
	*len = strlen(v[0]);	/* not expected: eve wrote it */
	return v[0];
}

static enum delivery_result
send_message(void *arg, const char *id, const char *body, size_t len,
    uint64_t *retry_after_us, char *err, size_t errlen)
{
	struct nats_sink *w = arg;
	char subject[SUBJECT_MAX];
	const char *vid = NULL, *cat = NULL;
	json_t *o;
	int rc, dup, fatal;

	*retry_after_us = 0;
	o = json_loadb(body, len, 0, NULL);
	if (o != NULL) {
		vid = json_string_value(json_object_get(o, "verdict_id"));
		cat = json_string_value(json_object_get(o, "category"));
	}
	if (vid == NULL || cat == NULL || strchr(cat, '.') != NULL ||
	    (size_t)snprintf(subject, sizeof(subject), "egressd.verdicts.%s",
	    cat) >= sizeof(subject)) {
		snprintf(err, errlen, "nats: message %s is not a verdict", id);
		json_decref(o);
		return DELIVERY_REJECTED;
	}
	rc = natsbus_publish(w->js, w->nc, w->cfg, &natsbus_verdict_stream,
	    subject, vid, w->host, body, len, &dup, &fatal, err, errlen);
	json_decref(o);
	if (rc == 0) {
		if (dup) {
			pthread_mutex_lock(&w->mu);
			w->duplicates++;
			pthread_mutex_unlock(&w->mu);
		}
		return DELIVERY_DONE;
	}
	return fatal ? DELIVERY_REJECTED : DELIVERY_RETRY;
}

/* Publishes one summary to egressd.summary.<host>, the host added to it;
 * returns 0, or -1 with a message. */
static int
publish_summary(struct nats_sink *w, const struct summary_item *it,
    char *err, size_t errlen)
{
	char subject[SUBJECT_MAX], msgid[NATSBUS_HOST_MAX + 80];
	const char *sid;
	json_t *o;
	char *body;
	int rc, dup, fatal;

	o = json_loadb(it->json, it->len, 0, NULL);
	sid = json_string_value(json_object_get(o, "summary_id"));
	if (sid == NULL || json_object_set_new(o, "host",
	    json_string(w->host)) != 0 ||
	    (body = json_dumps(o, JSON_COMPACT)) == NULL) {
		json_decref(o);
		snprintf(err, errlen, "nats: a summary that is not one");
		return -1;
	}
	snprintf(subject, sizeof(subject), "egressd.summary.%s", w->host);
	snprintf(msgid, sizeof(msgid), "%s.%s", w->host, sid);
	rc = natsbus_publish(w->js, w->nc, w->cfg, &natsbus_summary_stream,
	    subject, msgid, w->host, body, strlen(body), &dup, &fatal, err,
	    errlen);
	if (rc == 0) {
		pthread_mutex_lock(&w->mu);
		w->summaries++;
		w->summary_bytes += strlen(body);
		pthread_mutex_unlock(&w->mu);
	}
	free(body);
	json_decref(o);
	return rc;
}

/* The summary queue's thread: each summary until it is published; once
 * the run stops, one attempt each, and none after one failed. */
static void
summary_run(void *arg, void **items, unsigned n)
{
	struct nats_sink *w = arg;
	char err[512];
	unsigned i, tries;
	uint64_t wait;

	for (i = 0; i < n; i++) {
		for (tries = 0;; tries++) {
			if (w->sq_gave_up) {
				pthread_mutex_lock(&w->mu);
				w->summaries_lost++;
				pthread_mutex_unlock(&w->mu);
				break;
			}
			if (publish_summary(w, items[i], err, sizeof(err)) == 0)
				break;
			if (__atomic_load_n(&w->stop, __ATOMIC_ACQUIRE)) {
				log_warn("%s; summaries still queued are dropped",
				    err);
				w->sq_gave_up = 1;
				continue;
			}
			if (tries == 0)
				log_warn("%s; retried until the cluster takes it",
				    err);
			/* 0.25 s doubled to 4 s, looking at stop meanwhile. */
			wait = 250000ULL << (tries < 4 ? tries : 4);
			for (; wait > 0 && !__atomic_load_n(&w->stop,
			    __ATOMIC_ACQUIRE); wait -= wait > 50000 ? 50000 : wait)
				usleep(50000);
		}
		free(items[i]);
	}
}

static void
summary_discard(void *arg, void *item)
{
	struct nats_sink *w = arg;

	pthread_mutex_lock(&w->mu);
	w->summaries_lost++;
	pthread_mutex_unlock(&w->mu);
	free(item);
}

static void
summary(void *state, const char *json, size_t len)
{
	struct nats_sink *w = state;
	struct summary_item *it = xmalloc(sizeof(*it) + len + 1);

	it->len = len;
	memcpy(it->json, json, len);
	it->json[len] = '\0';
	if (sinkq_push(w->sq, it) == -1) {
		free(it);
		pthread_mutex_lock(&w->mu);
		w->summaries_lost++;
		pthread_mutex_unlock(&w->mu);
	}
}

static void
delivery_def_of(struct nats_sink *w, struct delivery_def *def)
{
	memset(def, 0, sizeof(*def));
	def->name = "nats";
	def->cfg = w->cfg;
	def->spool = w->spool;
	def->batch = 1;
	def->retry_max_us = w->cfg->webhook_retry_max_us;
	def->frame = frame;
	def->send = send_message;
	def->arg = w;
	def->stop = &w->stop;
}

static void
nats_sink_free(struct nats_sink *w)
{
	if (w == NULL)
		return;
	__atomic_store_n(&w->stop, 1, __ATOMIC_RELEASE);
	sinkq_free(w->sq);	/* first: the threads publish */
	delivery_free(w->d);
	jsCtx_Destroy(w->js);
	natsConnection_Destroy(w->nc);
	pthread_mutex_destroy(&w->mu);
	free(w);
}

static struct nats_sink *
nats_sink_new(const struct config *cfg, char *err, size_t errlen)
{
	struct nats_sink *w = xcalloc(1, sizeof(*w));

	w->cfg = cfg;
	pthread_mutex_init(&w->mu, NULL);
	natsbus_host_id(cfg, w->host, sizeof(w->host));
	if (natsbus_check_config(cfg, w->host, err, errlen) == -1) {
		nats_sink_free(w);
		return NULL;
	}
	if (cfg->spool[0] != '\0')
		snprintf(w->spool, sizeof(w->spool), "%s/nats", cfg->spool);
	return w;
}

static int
wanted(const struct sink_args *a)
{
	return a->cfg->nats[0] != '\0';
}

/* -t: the settings, the spool, and the cluster: reachable, with JetStream,
 * and the stream there or creatable. */
static int
check(const struct sink_args *a, char *err, size_t errlen)
{
	struct nats_sink *w;
	struct delivery_def def;
	jsErrCode jerr = 0;
	int rc = SINK_ERR_CONFIG, created;

	if ((w = nats_sink_new(a->cfg, err, errlen)) == NULL)
		return SINK_ERR_CONFIG;
	delivery_def_of(w, &def);
	if (delivery_check(&def, err, errlen) == -1)
		goto out;
	if ((w->nc = natsbus_connect(a->cfg, "egressd -t", 0, err, errlen)) ==
	    NULL) {
		rc = SINK_ERR_RUNTIME;
		goto out;
	}
	if (natsConnection_JetStream(&w->js, w->nc, NULL) != NATS_OK) {
		natsbus_error(NATS_ERR, jerr, "nats", err, errlen);
		goto out;
	}
	switch (natsbus_stream(w->js, &natsbus_verdict_stream,
	    natsbus_replicas(a->cfg, w->nc), 0, &created, err, errlen)) {
	case 0:
		log_info("nats: stream %s is there", NATSBUS_VERDICTS);
		rc = 0;
		break;
	case 1:
		log_info("nats: stream %s is missing; a run creates it with %d "
		    "replicas", NATSBUS_VERDICTS,
		    natsbus_replicas(a->cfg, w->nc));
		rc = 0;
		break;
	default:
		rc = SINK_ERR_RUNTIME;
		break;
	}
out:
	nats_sink_free(w);
	return rc;
}

static int
open_sink(const struct sink_args *a, void **state, char *err, size_t errlen)
{
	struct nats_sink *w;
	struct delivery_def def;
	struct sinkq_def qd;
	char name[NATSBUS_HOST_MAX + 16];

	if ((w = nats_sink_new(a->cfg, err, errlen)) == NULL)
		return SINK_ERR_CONFIG;
	/* The spool's parent: the webhook's spool, made here when only
	 * NATS uses it. */
	if (a->cfg->spool[0] != '\0' && mkdir(a->cfg->spool, 0700) == -1 &&
	    errno != EEXIST) {
		snprintf(err, errlen, "spool %s: %s", a->cfg->spool,
		    strerror(errno));
		nats_sink_free(w);
		return SINK_ERR_RUNTIME;
	}
	snprintf(name, sizeof(name), "egressd %s", w->host);
	if ((w->nc = natsbus_connect(a->cfg, name, 1, err, errlen)) == NULL ||
	    natsConnection_JetStream(&w->js, w->nc, NULL) != NATS_OK) {
		if (w->nc != NULL)
			snprintf(err, errlen, "nats: no JetStream context");
		nats_sink_free(w);
		return SINK_ERR_CONFIG;
	}
	delivery_def_of(w, &def);
	if ((w->d = delivery_new(&def, a->flags, err, errlen)) == NULL) {
		nats_sink_free(w);
		return SINK_ERR_CONFIG;
	}
	memset(&qd, 0, sizeof(qd));
	qd.cap = (size_t)a->cfg->queue_size;
	qd.batch = 16;
	qd.wait_when_full = (a->flags & SINK_WAIT_WHEN_FULL) != 0;
	qd.finish_queued = 1;
	qd.run = summary_run;
	qd.discard = summary_discard;
	qd.arg = w;
	if ((w->sq = sinkq_new(&qd, err, errlen)) == NULL) {
		nats_sink_free(w);
		return SINK_ERR_CONFIG;
	}
	*state = w;
	return 0;
}

static void
verdict(void *state, const struct verdict *v)
{
	struct nats_sink *w = state;
	char *json;

	if ((json = eve_verdict_json(v)) != NULL)
		delivery_verdict(w->d, json);
}

static void
drain(void *state, uint64_t deadline_us)
{
	struct nats_sink *w = state;

	delivery_drain(w->d, deadline_us);
	(void)sinkq_wait_idle(w->sq, deadline_us);
}

/* Verdicts end as delivery says; summaries are no verdicts: what is left
 * of them is counted in stats (fleet.summaries_lost), not here. */
static void
finish(void *state, struct sink_end *end)
{
	struct nats_sink *w = state;

	delivery_finish(w->d, end);	/* sets stop */
	sinkq_stop(w->sq);
}

static void
figures(void *state, struct stats_event *s)
{
	struct nats_sink *w = state;
	uint64_t dup;

	delivery_figures(w->d, s);
	pthread_mutex_lock(&w->mu);
	dup = w->duplicates;
	pthread_mutex_unlock(&w->mu);
	stats_add(s, "nats", "duplicates", dup);
	pthread_mutex_lock(&w->mu);
	stats_add(s, "nats", "summaries", w->summaries);
	stats_add(s, "nats", "summary_bytes", w->summary_bytes);
	stats_add(s, "nats", "summaries_lost", w->summaries_lost);
	pthread_mutex_unlock(&w->mu);
}

static int
close_sink(void *state, char *err, size_t errlen)
{
	(void)err;
	(void)errlen;
	nats_sink_free(state);
	return 0;
}

const struct sink_ops sink_nats = {
	.name = "nats",
	.wanted = wanted,
	.check = check,
	.open = open_sink,
	.verdict = verdict,
	.summary = summary,
	.figures = figures,
	.drain = drain,
	.finish = finish,
	.close = close_sink,
};
