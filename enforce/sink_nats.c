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

#include <jansson.h>

#include "delivery.h"
#include "eve.h"
#include "log.h"
#include "natsbus.h"
#include "sink.h"
#include "util.h"

#define SUBJECT_MAX	192
/* How long the server remembers a Nats-Msg-Id: longer than the backoff's
 * longest wait, so that a retry after an outage is still recognised. */
#define DUPLICATE_WINDOW_NS	(3600LL * 1000000000LL)
#define VERDICTS_MAX_AGE_NS	(30LL * 86400 * 1000000000LL)

static const char *const verdict_subjects[] = {
	"egressd.verdicts.>", "egressd.fleet.>"
};

static const struct natsbus_stream verdict_stream = {
	.name = NATSBUS_VERDICTS,
	.subjects = verdict_subjects,
	.nsubjects = 2,
	.max_age_ns = VERDICTS_MAX_AGE_NS,
	.max_bytes = -1,
	.duplicates_ns = DUPLICATE_WINDOW_NS,
};

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

/* One publish of body to subject, with the host in a header. */
static natsStatus
publish(struct nats_sink *w, const char *subject, const char *body,
    size_t len, jsPubOptions *po, jsPubAck **ack, jsErrCode *jerr)
{
	natsMsg *m = NULL;
	natsStatus s;

	s = natsMsg_Create(&m, subject, NULL, body, (int)len);
	if (s == NATS_OK)
		s = natsMsgHeader_Set(m, "Egressd-Host", w->host);
	if (s == NATS_OK)
		s = js_PublishMsg(ack, w->js, m, po, jerr);
	natsMsg_Destroy(m);
	return s;
}

static enum delivery_result
send_message(void *arg, const char *id, const char *body, size_t len,
    uint64_t *retry_after_us, char *err, size_t errlen)
{
	struct nats_sink *w = arg;
	char subject[SUBJECT_MAX], what[64];
	const char *vid = NULL, *cat = NULL;
	jsPubOptions po;
	jsPubAck *ack = NULL;
	jsErrCode jerr = 0;
	natsStatus s;
	json_t *o;
	int created;

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
	jsPubOptions_Init(&po);
	po.MsgId = vid;
	po.ExpectStream = NATSBUS_VERDICTS;
	po.MaxWait = (int64_t)(w->cfg->nats_timeout_us / 1000);
	s = publish(w, subject, body, len, &po, &ack, &jerr);
	if ((s == NATS_NO_RESPONDERS || jerr == JSStreamNotFoundErr) &&
	    natsbus_stream(w->js, &verdict_stream,
	    natsbus_replicas(w->cfg, w->nc), 1, &created, err, errlen) == 0) {
		/* No stream took the subject: made now, published again. */
		jerr = 0;
		s = publish(w, subject, body, len, &po, &ack, &jerr);
	}
	json_decref(o);
	if (s == NATS_OK) {
		if (ack->Duplicate) {
			pthread_mutex_lock(&w->mu);
			w->duplicates++;
			pthread_mutex_unlock(&w->mu);
		}
		jsPubAck_Destroy(ack);
		return DELIVERY_DONE;
	}
	snprintf(what, sizeof(what), "nats: publish of %s", id);
	natsbus_error(s, jerr, what, err, errlen);
	if (jerr == JSStreamMessageExceedsMaximumErr)
		return DELIVERY_REJECTED;
	return DELIVERY_RETRY;
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
	delivery_free(w->d);	/* first: its sender publishes */
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
	switch (natsbus_stream(w->js, &verdict_stream,
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
	delivery_drain(((struct nats_sink *)state)->d, deadline_us);
}

static void
finish(void *state, struct sink_end *end)
{
	delivery_finish(((struct nats_sink *)state)->d, end);
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
	.figures = figures,
	.drain = drain,
	.finish = finish,
	.close = close_sink,
};
