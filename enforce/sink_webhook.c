/*
 * sink_webhook.c: the webhook sink. Verdicts go through the at-least-once
 * delivery of delivery.h, with the spool directory as its disk: up to
 * webhook_batch verdicts make one message, {"type":"egressd.verdicts",
 * "timestamp":..., "data":{"verdicts":[...]}}, POSTed signed (webhook.h);
 * a message leaves the spool only after a 2xx answer; 410 disables the
 * endpoint, and a 429's Retry-After sets the wait.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "delivery.h"
#include "eve.h"
#include "log.h"
#include "sink.h"
#include "util.h"
#include "webhook.h"

#define USER_AGENT	"egressd/0.1"

struct webhook_sink {
	struct webhook *wh;
	struct delivery *d;
	int stop_post;			/* atomic: give up a request under way */
};

/* The message: the verdicts in an envelope that says what they are. */
static char *
frame(void *arg, char **v, unsigned n, size_t *lenp)
{
	static const char head[] = "{\"type\":\"egressd.verdicts\","
	    "\"timestamp\":\"";
	char ts[40], *body;
	size_t len = 0, off, i;

	(void)arg;
	eve_timestamp(wall_us(), ts, sizeof(ts));
	for (i = 0; i < n; i++)
		len += strlen(v[i]) + 1;	/* and its comma */
	len += sizeof(head) + strlen(ts) + 64;	/* the frame around them */
	body = xmalloc(len);
	off = (size_t)snprintf(body, len, "%s%s\",\"data\":{\"verdicts\":[",
	    head, ts);
	for (i = 0; i < n; i++) {
		size_t l = strlen(v[i]);

		if (i > 0)
			body[off++] = ',';
		memcpy(body + off, v[i], l);
		off += l;
		free(v[i]);
	}
	off += (size_t)snprintf(body + off, len - off, "]}}");
	*lenp = off;
	return body;
}

static enum delivery_result
send_message(void *arg, const char *id, const char *body, size_t len,
    uint64_t *retry_after_us, char *err, size_t errlen)
{
	struct webhook_sink *w = arg;
	long status = 0;

	switch (webhook_post(w->wh, id, body, len, &status, retry_after_us,
	    err, errlen)) {
	case WEBHOOK_DELIVERED:
		return DELIVERY_DONE;
	case WEBHOOK_REJECTED:
		return DELIVERY_REJECTED;
	case WEBHOOK_GONE:
		return DELIVERY_GONE;
	case WEBHOOK_RETRY:
	default:
		return DELIVERY_RETRY;
	}
}

static void
delivery_def_of(struct webhook_sink *w, const struct config *cfg,
    struct delivery_def *def)
{
	memset(def, 0, sizeof(*def));
	def->name = "webhook";
	def->cfg = cfg;
	def->spool = cfg->spool;
	def->batch = (unsigned)cfg->webhook_batch;
	def->retry_max_us = cfg->webhook_retry_max_us;
	def->frame = frame;
	def->send = send_message;
	def->arg = w;
	def->stop = &w->stop_post;
}

static void
webhook_sink_free(struct webhook_sink *w)
{
	if (w == NULL)
		return;
	delivery_free(w->d);	/* first: its sender uses wh */
	webhook_free(w->wh);
	free(w);
}

/* Loads the secret and makes the HTTP client. */
static struct webhook_sink *
webhook_sink_new(const struct config *cfg, char *err, size_t errlen)
{
	struct webhook_sink *w;
	struct webhook_opts o;
	uint8_t key[WEBHOOK_KEY_MAX];
	size_t keylen = 0;
	struct stat st;

	if (cfg->webhook[0] == '\0') {
		snprintf(err, errlen, "spool is set but neither webhook nor "
		    "nats is: the spool holds what they have not taken");
		return NULL;
	}
	if (cfg->webhook_secret_file[0] == '\0') {
		snprintf(err, errlen, "webhook needs webhook_secret_file: "
		    "messages are always signed");
		return NULL;
	}
	if (webhook_load_secret(cfg->webhook_secret_file, key, &keylen, err,
	    errlen) == -1)
		return NULL;
	if (stat(cfg->webhook_secret_file, &st) == 0 && (st.st_mode & 077) != 0)
		log_warn("%s can be read by other users: chmod 600 it",
		    cfg->webhook_secret_file);
	w = xcalloc(1, sizeof(*w));
	memset(&o, 0, sizeof(o));
	o.url = cfg->webhook;
	o.key = key;
	o.keylen = keylen;
	o.timeout_us = cfg->webhook_timeout_us;
	o.ca_file = cfg->webhook_ca_file;
	o.user_agent = USER_AGENT;
	o.stop = &w->stop_post;
	w->wh = webhook_new(&o, err, errlen);
	memset(key, 0, sizeof(key));
	if (w->wh == NULL) {
		webhook_sink_free(w);
		return NULL;
	}
	return w;
}

static int
wanted(const struct sink_args *a)
{
	/* A spool with no sink to take it is an error webhook_sink_new
	 * reports. */
	return a->cfg->webhook[0] != '\0' ||
	    (a->cfg->spool[0] != '\0' && a->cfg->nats[0] == '\0');
}

static int
check(const struct sink_args *a, char *err, size_t errlen)
{
	struct webhook_sink *w;
	struct delivery_def def;
	int rc;

	if ((w = webhook_sink_new(a->cfg, err, errlen)) == NULL)
		return SINK_ERR_CONFIG;
	delivery_def_of(w, a->cfg, &def);
	rc = delivery_check(&def, err, errlen);
	webhook_sink_free(w);
	return rc == 0 ? 0 : SINK_ERR_CONFIG;
}

static int
open_sink(const struct sink_args *a, void **state, char *err, size_t errlen)
{
	struct webhook_sink *w;
	struct delivery_def def;

	if ((w = webhook_sink_new(a->cfg, err, errlen)) == NULL)
		return SINK_ERR_CONFIG;
	delivery_def_of(w, a->cfg, &def);
	if ((w->d = delivery_new(&def, a->flags, err, errlen)) == NULL) {
		webhook_sink_free(w);
		return SINK_ERR_CONFIG;
	}
	*state = w;
	return 0;
}

static void
verdict(void *state, const struct verdict *v)
{
	struct webhook_sink *w = state;
	char *json;

	if ((json = eve_verdict_json(v)) != NULL)
		delivery_verdict(w->d, json);
}

static void
drain(void *state, uint64_t deadline_us)
{
	delivery_drain(((struct webhook_sink *)state)->d, deadline_us);
}

static void
finish(void *state, struct sink_end *end)
{
	delivery_finish(((struct webhook_sink *)state)->d, end);
}

static void
figures(void *state, struct stats_event *s)
{
	delivery_figures(((struct webhook_sink *)state)->d, s);
}

static int
close_sink(void *state, char *err, size_t errlen)
{
	(void)err;
	(void)errlen;
	webhook_sink_free(state);
	return 0;
}

const struct sink_ops sink_webhook = {
	.name = "webhook",
	.wanted = wanted,
	.check = check,
	.open = open_sink,
	.verdict = verdict,
	.figures = figures,
	.drain = drain,
	.finish = finish,
	.close = close_sink,
};
