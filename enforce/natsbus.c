/*
 * natsbus.c: connecting to NATS and making streams (see natsbus.h).
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "natsbus.h"
#include "util.h"

#define MAX_SERVERS	16
#define SEC_NS		1000000000LL

static const char *const verdict_subjects[] = {
	"egressd.verdicts.>", "egressd.fleet.>"
};
static const char *const summary_subjects[] = { "egressd.summary.>" };

/* How long the server remembers a verdict's Nats-Msg-Id: longer than the
 * delivery backoff's longest wait, so that a retry after an outage is
 * still known. Summaries matter while the fleet correlates them, minutes;
 * an hour leaves room for a correlator's restart. */
const struct natsbus_stream natsbus_verdict_stream = {
	.name = NATSBUS_VERDICTS,
	.subjects = verdict_subjects,
	.nsubjects = 2,
	.max_age_ns = 30LL * 86400 * SEC_NS,
	.max_bytes = -1,
	.duplicates_ns = 3600LL * SEC_NS,
};

const struct natsbus_stream natsbus_summary_stream = {
	.name = NATSBUS_SUMMARIES,
	.subjects = summary_subjects,
	.nsubjects = 1,
	.max_age_ns = 3600LL * SEC_NS,
	.max_bytes = -1,
	.duplicates_ns = 120LL * SEC_NS,
};

/* Splits cfg->nats at commas into urls (pointing into buf). Returns how
 * many, or -1 with a message. */
static int
split_servers(const char *list, char *buf, size_t buflen,
    const char *urls[MAX_SERVERS], char *err, size_t errlen)
{
	char *p, *save = NULL;
	int n = 0;

	if (str_copy(buf, list, buflen) >= buflen) {
		snprintf(err, errlen, "nats: the server list is too long");
		return -1;
	}
	for (p = strtok_r(buf, ", \t", &save); p != NULL;
	    p = strtok_r(NULL, ", \t", &save)) {
		if (strncmp(p, "nats://", 7) != 0 && strncmp(p, "tls://", 6) != 0) {
			snprintf(err, errlen, "nats: '%s' is not a nats:// or "
			    "tls:// URL", p);
			return -1;
		}
		if (n == MAX_SERVERS) {
			snprintf(err, errlen, "nats: more than %d servers",
			    MAX_SERVERS);
			return -1;
		}
		urls[n++] = p;
	}
	if (n == 0) {
		snprintf(err, errlen, "nats: no server URL");
		return -1;
	}
	return n;
}

static int
token_ok(const char *t)
{
	const unsigned char *p = (const unsigned char *)t;

	if (*p == '\0')
		return 0;
	for (; *p != '\0'; p++)
		if (*p == '.' || *p == '*' || *p == '>' || isspace(*p) ||
		    *p < 0x20 || *p == 0x7f)
			return 0;
	return 1;
}

int
natsbus_check_config(const struct config *cfg, const char *host, char *err,
    size_t errlen)
{
	char buf[CONFIG_PATH_MAX];
	const char *urls[MAX_SERVERS];

	if (split_servers(cfg->nats, buf, sizeof(buf), urls, err, errlen) == -1)
		return -1;
	if (strlen(host) >= NATSBUS_HOST_MAX || !token_ok(host)) {
		snprintf(err, errlen, "host_id '%s': a subject token is needed "
		    "(no '.', '*', '>' or blanks, under %d bytes)", host,
		    NATSBUS_HOST_MAX);
		return -1;
	}
	if ((cfg->nats_cert_file[0] == '\0') != (cfg->nats_key_file[0] == '\0')) {
		snprintf(err, errlen, "nats_cert_file and nats_key_file go "
		    "together");
		return -1;
	}
	return 0;
}

void
natsbus_host_id(const struct config *cfg, char *out, size_t len)
{
	char *p;

	if (cfg->host_id[0] != '\0') {
		str_copy(out, cfg->host_id, len);
		return;
	}
	if (gethostname(out, len) != 0 || out[0] == '\0')
		str_copy(out, "localhost", len);
	out[len - 1] = '\0';
	for (p = out; *p != '\0'; p++)
		if (*p == '.' || *p == '*' || *p == '>' ||
		    isspace((unsigned char)*p))
			*p = '-';
}

void
natsbus_error(natsStatus s, jsErrCode jerr, const char *what, char *err,
    size_t errlen)
{
	const char *last = nats_GetLastError(NULL);

	if (jerr != 0)
		snprintf(err, errlen, "%s: %s (JetStream error %d)", what,
		    last != NULL && *last != '\0' ? last : natsStatus_GetText(s),
		    (int)jerr);
	else
		snprintf(err, errlen, "%s: %s", what,
		    last != NULL && *last != '\0' ? last : natsStatus_GetText(s));
}

/* Warns when a secret file can be read by others. */
static void
secret_mode(const char *path)
{
	struct stat st;

	if (path[0] != '\0' && stat(path, &st) == 0 && (st.st_mode & 077) != 0)
		log_warn("%s can be read by other users: chmod 600 it", path);
}

static void
on_connected(natsConnection *nc, void *arg)
{
	char url[256];

	(void)arg;
	if (natsConnection_GetConnectedUrl(nc, url, sizeof(url)) != NATS_OK)
		url[0] = '\0';
	log_warn("nats: connected to %s", url);
}

natsConnection *
natsbus_connect(const struct config *cfg, const char *name, int keep_trying,
    char *err, size_t errlen)
{
	char buf[CONFIG_PATH_MAX];
	const char *urls[MAX_SERVERS];
	natsOptions *o = NULL;
	natsConnection *nc = NULL;
	natsStatus s;
	int n, secure = 0, i;

	if ((n = split_servers(cfg->nats, buf, sizeof(buf), urls, err,
	    errlen)) == -1)
		return NULL;
	for (i = 0; i < n; i++)
		secure |= strncmp(urls[i], "tls://", 6) == 0;
	if ((s = natsOptions_Create(&o)) != NATS_OK)
		goto fail;
	s = natsOptions_SetServers(o, urls, n);
	if (s == NATS_OK)
		s = natsOptions_SetName(o, name);
	if (s == NATS_OK)
		s = natsOptions_SetTimeout(o, (int64_t)(cfg->nats_timeout_us / 1000));
	/* Forever, every half second plus jitter: a cluster that is down
	 * comes back, and verdicts wait in the spool meanwhile. */
	if (s == NATS_OK)
		s = natsOptions_SetMaxReconnect(o, -1);
	if (s == NATS_OK)
		s = natsOptions_SetReconnectWait(o, 500);
	/* With a handler, a first connect that fails returns at once and
	 * goes on in the background (without one, it would block for as
	 * many attempts as reconnects: for ever). */
	if (s == NATS_OK && keep_trying)
		s = natsOptions_SetRetryOnFailedConnect(o, true, on_connected,
		    NULL);
	if (s == NATS_OK && cfg->nats_creds[0] != '\0') {
		secret_mode(cfg->nats_creds);
		s = natsOptions_SetUserCredentialsFromFiles(o, cfg->nats_creds,
		    NULL);
	}
	if (s == NATS_OK && cfg->nats_ca_file[0] != '\0') {
		secure = 1;
		s = natsOptions_LoadCATrustedCertificates(o, cfg->nats_ca_file);
	}
	if (s == NATS_OK && cfg->nats_cert_file[0] != '\0') {
		secure = 1;
		secret_mode(cfg->nats_key_file);
		s = natsOptions_LoadCertificatesChain(o, cfg->nats_cert_file,
		    cfg->nats_key_file);
	}
	if (s == NATS_OK && secure)
		s = natsOptions_SetSecure(o, true);
	if (s != NATS_OK)
		goto fail;
	s = natsConnection_Connect(&nc, o);
	if (s == NATS_NOT_YET_CONNECTED && keep_trying) {
		log_warn("nats: no server of %s answers yet; connecting in the "
		    "background, verdicts wait meanwhile", cfg->nats);
		s = NATS_OK;
	}
	if (s != NATS_OK)
		goto fail;
	natsOptions_Destroy(o);
	return nc;
fail:
	natsbus_error(s, 0, cfg->nats, err, errlen);
	natsConnection_Destroy(nc);
	natsOptions_Destroy(o);
	return NULL;
}

int
natsbus_replicas(const struct config *cfg, natsConnection *nc)
{
	char **servers = NULL;
	int count = 0, i;

	if (cfg->nats_replicas > 0)
		return (int)cfg->nats_replicas;
	/* The configured servers and those the cluster told of. */
	if (natsConnection_GetServers(nc, &servers, &count) != NATS_OK)
		count = 1;
	for (i = 0; servers != NULL && i < count; i++)
		free(servers[i]);
	free(servers);
	return count >= 3 ? 3 : 1;
}

int
natsbus_stream(jsCtx *js, const struct natsbus_stream *st, int replicas,
    int create, int *created, char *err, size_t errlen)
{
	jsStreamInfo *si = NULL;
	jsStreamConfig sc;
	jsErrCode jerr = 0;
	natsStatus s;

	*created = 0;
	s = js_GetStreamInfo(&si, js, st->name, NULL, &jerr);
	if (s == NATS_OK) {
		jsStreamInfo_Destroy(si);
		return 0;
	}
	if (s != NATS_NOT_FOUND && jerr != JSStreamNotFoundErr) {
		natsbus_error(s, jerr, st->name, err, errlen);
		return -1;
	}
	if (!create)
		return 1;
	jsStreamConfig_Init(&sc);
	sc.Name = st->name;
	sc.Subjects = (const char **)st->subjects;
	sc.SubjectsLen = st->nsubjects;
	sc.Storage = js_FileStorage;
	sc.Retention = js_LimitsPolicy;
	sc.Replicas = replicas;
	sc.MaxAge = st->max_age_ns;
	sc.MaxBytes = st->max_bytes;
	sc.Duplicates = st->duplicates_ns;
	jerr = 0;
	s = js_AddStream(&si, js, &sc, NULL, &jerr);
	if (s != NATS_OK && jerr != JSStreamNameExistErr) {
		natsbus_error(s, jerr, st->name, err, errlen);
		return -1;
	}
	jsStreamInfo_Destroy(si);
	*created = s == NATS_OK;
	if (*created)
		log_info("nats: stream %s created with %d replicas", st->name,
		    replicas);
	return 0;
}

int
natsbus_publish(jsCtx *js, natsConnection *nc, const struct config *cfg,
    const struct natsbus_stream *st, const char *subject, const char *msgid,
    const char *host, const char *body, size_t len, int *duplicate,
    int *fatal, char *err, size_t errlen)
{
	jsPubOptions po;
	jsPubAck *ack = NULL;
	jsErrCode jerr = 0;
	natsMsg *m = NULL;
	natsStatus s;
	int try, created;

	*duplicate = *fatal = 0;
	if (natsConnection_Status(nc) != NATS_CONN_STATUS_CONNECTED) {
		snprintf(err, errlen, "%s: no NATS server connected (trying "
		    "%s)", subject, cfg->nats);
		return -1;
	}
	jsPubOptions_Init(&po);
	po.MsgId = msgid;
	po.ExpectStream = st->name;
	po.MaxWait = (int64_t)(cfg->nats_timeout_us / 1000);
	for (try = 0; try < 2; try++) {
		jerr = 0;
		s = natsMsg_Create(&m, subject, NULL, body, (int)len);
		if (s == NATS_OK)
			s = natsMsgHeader_Set(m, "Egressd-Host", host);
		if (s == NATS_OK)
			s = js_PublishMsg(&ack, js, m, &po, &jerr);
		natsMsg_Destroy(m);
		m = NULL;
		/* No stream takes the subject: made, and published again. */
		if (try == 0 && (s == NATS_NO_RESPONDERS ||
		    jerr == JSStreamNotFoundErr) &&
		    natsbus_stream(js, st, natsbus_replicas(cfg, nc), 1, &created,
		    err, errlen) == 0)
			continue;
		break;
	}
	if (s == NATS_OK) {
		*duplicate = ack->Duplicate;
		jsPubAck_Destroy(ack);
		return 0;
	}
	natsbus_error(s, jerr, subject, err, errlen);
	*fatal = jerr == JSStreamMessageExceedsMaximumErr;
	return -1;
}

natsSubscription *
natsbus_pull(jsCtx *js, const char *stream, const char *filter,
    const char *durable, uint64_t ack_wait_us, int max_ack_pending,
    char *err, size_t errlen)
{
	natsSubscription *sub = NULL;
	jsConsumerInfo *ci = NULL;
	jsConsumerConfig cc;
	jsSubOptions so;
	jsErrCode jerr = 0;
	natsStatus s;

	/* The consumer as this run wants it: updated when it exists (an
	 * earlier run's ack wait, say), made when it does not; then the
	 * subscription binds to it. */
	jsConsumerConfig_Init(&cc);
	cc.Durable = durable;
	cc.AckPolicy = js_AckExplicit;
	cc.DeliverPolicy = js_DeliverAll;
	cc.AckWait = (int64_t)ack_wait_us * 1000;
	cc.MaxAckPending = max_ack_pending;
	cc.FilterSubject = filter;
	s = js_UpdateConsumer(&ci, js, stream, &cc, NULL, &jerr);
	if (s != NATS_OK && (s == NATS_NOT_FOUND ||
	    jerr == JSConsumerNotFoundErr)) {
		jerr = 0;
		s = js_AddConsumer(&ci, js, stream, &cc, NULL, &jerr);
	}
	jsConsumerInfo_Destroy(ci);
	if (s != NATS_OK) {
		natsbus_error(s, jerr, durable, err, errlen);
		return NULL;
	}
	jsSubOptions_Init(&so);
	so.Stream = stream;
	so.Consumer = durable;
	jerr = 0;
	s = js_PullSubscribe(&sub, js, filter, durable, NULL, &so, &jerr);
	if (s != NATS_OK) {
		natsbus_error(s, jerr, durable, err, errlen);
		return NULL;
	}
	return sub;
}
