/*
 * webhook.c: signed POSTs to one endpoint (webhook.h), libcurl for HTTP and
 * OpenSSL's libcrypto for HMAC-SHA256 and base64.
 *
 * One curl easy handle lives as long as the webhook, so consecutive posts
 * reuse its connection (and TLS session) instead of paying a handshake per
 * message. The URL may carry a token in its query string or user part, so
 * messages never show the URL as given: they show scheme://host[:port]/path,
 * made once at setup.
 */
#include <ctype.h>
#include <curl/curl.h>
#include <errno.h>
#include <inttypes.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "util.h"
#include "webhook.h"

#define WEBHOOK_SECRET_PREFIX	"whsec_"
#define WEBHOOK_SECRET_FILE_MAX	4096	/* bytes of a secret file at most */
#define WEBHOOK_CONNECT_MAX_MS	5000L
#define WEBHOOK_TIMEOUT_DEFAULT_US (30 * 1000000ULL)	/* when given 0 */
#define WEBHOOK_RETRY_AFTER_MAX_US (24 * 3600 * 1000000ULL)
#define WEBHOOK_SNIPPET_MAX	200	/* bytes of a response body kept */
#define WEBHOOK_ID_MAX		256	/* bytes of a message id at most */
#define WEBHOOK_BACKOFF_BASE_US	1000000ULL

struct webhook {
	CURL *curl;
	char *url;		/* as given: may hold a token */
	char *shown;		/* scheme://host[:port]/path, for messages */
	uint8_t key[WEBHOOK_KEY_MAX];
	size_t keylen;		/* 0: unsigned posts */
	const int *stop;	/* set: the attempt under way is given up */
	char errbuf[CURL_ERROR_SIZE];
	/* Of the attempt under way, filled by the callbacks: */
	int64_t retry_after_s;	/* -1: none; else seconds, capped */
	char snippet[WEBHOOK_SNIPPET_MAX + 1];	/* start of the body */
	size_t snippet_len;
};

/*
 * curl_global_init() is not thread-safe, and webhooks are made in delivery
 * threads, so it runs once through pthread_once; the outcome is the one
 * piece of state that has to outlive any webhook.
 */
static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static int curl_ready;
static char curl_err[256];

static void
curl_init_once(void)
{
	CURLcode rc;

	if ((rc = curl_global_init(CURL_GLOBAL_DEFAULT)) != CURLE_OK) {
		snprintf(curl_err, sizeof(curl_err), "curl_global_init: %s",
		    curl_easy_strerror(rc));
		return;
	}
	curl_ready = 1;
}

static int
is_blank(int c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' ||
	    c == '\v' || c == '\f';
}

static int
is_b64(int c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (c >= '0' && c <= '9') || c == '+' || c == '/';
}

/*
 * Decodes standard base64, padded or not, into out (outlen bytes at most).
 * Returns the decoded length, or -1 when in is not base64 or too long.
 * EVP_DecodeBlock() counts padding as decoded zero bytes, so the true
 * length is taken from the number of '=' at the end.
 */
static long
b64_decode(const char *in, size_t inlen, uint8_t *out, size_t outlen)
{
	char padded[WEBHOOK_SECRET_FILE_MAX + 4];
	uint8_t raw[(WEBHOOK_SECRET_FILE_MAX + 4) / 4 * 3];
	size_t i, data, pad = 0;
	int n;
	long rc = -1;

	while (pad < 2 && pad < inlen && in[inlen - 1 - pad] == '=')
		pad++;
	data = inlen - pad;
	for (i = 0; i < data; i++)
		if (!is_b64((unsigned char)in[i]))
			return -1;
	if (data % 4 == 1 || (pad > 0 && (data + pad) % 4 != 0) ||
	    data + 4 > sizeof(padded))
		return -1;
	memcpy(padded, in, data);
	/* The padding the text left out, so the decoder sees whole quads. */
	for (pad = 0; (data + pad) % 4 != 0; pad++)
		padded[data + pad] = '=';
	n = EVP_DecodeBlock(raw, (const unsigned char *)padded,
	    (int)(data + pad));
	if (n < 0 || (size_t)n < pad)
		goto out;
	n -= (int)pad;
	if ((size_t)n > outlen)
		goto out;
	memcpy(out, raw, (size_t)n);
	rc = n;
out:
	OPENSSL_cleanse(padded, sizeof(padded));
	OPENSSL_cleanse(raw, sizeof(raw));
	return rc;
}

int
webhook_load_secret(const char *path, uint8_t *key, size_t *keylen,
    char *err, size_t errlen)
{
	char buf[WEBHOOK_SECRET_FILE_MAX + 1];
	const size_t plen = strlen(WEBHOOK_SECRET_PREFIX);
	size_t len = 0;
	long n;
	int fd, rc = -1;

	*keylen = 0;
	if ((fd = file_open_regular(path, err, errlen)) == -1)
		return -1;
	while (len < sizeof(buf)) {
		ssize_t r = read(fd, buf + len, sizeof(buf) - len);

		if (r == -1) {
			if (errno == EINTR)
				continue;
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
			goto out;
		}
		if (r == 0)
			break;
		len += (size_t)r;
	}
	if (len > WEBHOOK_SECRET_FILE_MAX) {
		snprintf(err, errlen, "%s: longer than %d bytes", path,
		    WEBHOOK_SECRET_FILE_MAX);
		goto out;
	}
	while (len > 0 && is_blank((unsigned char)buf[len - 1]))
		len--;
	if (len < plen || memcmp(buf, WEBHOOK_SECRET_PREFIX, plen) != 0) {
		snprintf(err, errlen, "%s: does not start with \"%s\"", path,
		    WEBHOOK_SECRET_PREFIX);
		goto out;
	}
	if (len == plen) {
		snprintf(err, errlen, "%s: no key after \"%s\"", path,
		    WEBHOOK_SECRET_PREFIX);
		goto out;
	}
	n = b64_decode(buf + plen, len - plen, key, WEBHOOK_KEY_MAX);
	if (n < 0) {
		snprintf(err, errlen, "%s: the key after \"%s\" is not base64 "
		    "of at most %d bytes", path, WEBHOOK_SECRET_PREFIX,
		    WEBHOOK_KEY_MAX);
		goto out;
	}
	if (n == 0) {
		snprintf(err, errlen, "%s: empty key", path);
		goto out;
	}
	*keylen = (size_t)n;
	rc = 0;
out:
	OPENSSL_cleanse(buf, sizeof(buf));
	close(fd);
	return rc;
}

void
webhook_sign(const uint8_t *key, size_t keylen, const char *id, int64_t ts,
    const void *body, size_t len, char *out, size_t outlen)
{
	static const uint8_t nokey[1];
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned char b64[4 * ((EVP_MAX_MD_SIZE + 2) / 3) + 1];
	char tsbuf[24];
	OSSL_PARAM params[2];
	EVP_MAC *hmac = NULL;
	EVP_MAC_CTX *ctx = NULL;
	size_t maclen = 0;
	int tslen;

	if (outlen > 0)
		out[0] = '\0';
	tslen = snprintf(tsbuf, sizeof(tsbuf), "%" PRId64, ts);
	/* HMAC with an empty key is defined, but EVP_MAC_init() takes a NULL
	 * key to mean "keep the previous one". */
	if (key == NULL || keylen == 0)
		key = nokey;
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
	    (char *)"SHA256", 0);
	params[1] = OSSL_PARAM_construct_end();
	if ((hmac = EVP_MAC_fetch(NULL, "HMAC", NULL)) == NULL ||
	    (ctx = EVP_MAC_CTX_new(hmac)) == NULL ||
	    !EVP_MAC_init(ctx, key, keylen, params) ||
	    !EVP_MAC_update(ctx, (const unsigned char *)id, strlen(id)) ||
	    !EVP_MAC_update(ctx, (const unsigned char *)".", 1) ||
	    !EVP_MAC_update(ctx, (const unsigned char *)tsbuf,
	    (size_t)tslen) ||
	    !EVP_MAC_update(ctx, (const unsigned char *)".", 1) ||
	    !EVP_MAC_update(ctx, body, len) ||
	    !EVP_MAC_final(ctx, mac, &maclen, sizeof(mac)))
		goto out;	/* out stays "": webhook_post() refuses to send */
	EVP_EncodeBlock(b64, mac, (int)maclen);
	snprintf(out, outlen, "v1,%s", (const char *)b64);
out:
	EVP_MAC_CTX_free(ctx);
	EVP_MAC_free(hmac);
	OPENSSL_cleanse(mac, sizeof(mac));
}

/* Makes w->shown from w->url, or returns -1 when the URL does not parse. */
static int
webhook_shown_url(struct webhook *w)
{
	CURLU *u;
	char *scheme = NULL, *host = NULL, *port = NULL, *path = NULL;
	size_t len;
	int rc = -1;

	if ((u = curl_url()) == NULL)
		return -1;
	if (curl_url_set(u, CURLUPART_URL, w->url, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK ||
	    host[0] == '\0')
		goto out;
	if (curl_url_get(u, CURLUPART_PORT, &port, 0) != CURLUE_OK)
		port = NULL;	/* none given */
	if (curl_url_get(u, CURLUPART_PATH, &path, 0) != CURLUE_OK)
		path = NULL;
	len = strlen(scheme) + strlen(host) + 16 +
	    (path != NULL ? strlen(path) : 0);
	w->shown = xmalloc(len);
	snprintf(w->shown, len, "%s://%s%s%s%s", scheme, host,
	    port != NULL ? ":" : "", port != NULL ? port : "",
	    path != NULL ? path : "/");
	rc = 0;
out:
	curl_free(scheme);
	curl_free(host);
	curl_free(port);
	curl_free(path);
	curl_url_cleanup(u);
	return rc;
}

/* Keeps the start of the response body for the error message and drops
 * the rest. */
static size_t
webhook_on_body(char *data, size_t size, size_t nmemb, void *arg)
{
	struct webhook *w = arg;
	size_t len = size * nmemb, i;

	for (i = 0; i < len && w->snippet_len < WEBHOOK_SNIPPET_MAX; i++) {
		unsigned char c = (unsigned char)data[i];

		/* One line, printable: the endpoint chooses these bytes. */
		w->snippet[w->snippet_len++] = c >= 0x20 && c < 0x7f ?
		    (char)c : ' ';
	}
	w->snippet[w->snippet_len] = '\0';
	return len;
}

/* Parses a Retry-After value: delta-seconds or an HTTP date. */
static int64_t
retry_after_parse(const char *v, size_t len)
{
	char buf[128];
	time_t when, now;
	int64_t secs = 0;
	const int64_t max = (int64_t)(WEBHOOK_RETRY_AFTER_MAX_US / 1000000);
	size_t i;

	while (len > 0 && is_blank((unsigned char)*v)) {
		v++;
		len--;
	}
	while (len > 0 && is_blank((unsigned char)v[len - 1]))
		len--;
	if (len == 0 || len >= sizeof(buf))
		return -1;
	for (i = 0; i < len && isdigit((unsigned char)v[i]); i++)
		if (secs < max)
			secs = secs * 10 + (v[i] - '0');
	if (i == len)
		return secs < max ? secs : max;
	memcpy(buf, v, len);
	buf[len] = '\0';
	if ((when = curl_getdate(buf, NULL)) == -1)
		return -1;
	now = time(NULL);
	if (when <= now)
		return 0;
	return (int64_t)(when - now) < max ? (int64_t)(when - now) : max;
}

static size_t
webhook_on_header(char *data, size_t size, size_t nmemb, void *arg)
{
	static const char name[] = "retry-after:";
	struct webhook *w = arg;
	size_t len = size * nmemb;

	/* A new status line starts a new response (after a 100 Continue,
	 * say): only the last one's headers count. */
	if (len >= 5 && memcmp(data, "HTTP/", 5) == 0)
		w->retry_after_s = -1;
	else if (len > sizeof(name) - 1 &&
	    strncasecmp(data, name, sizeof(name) - 1) == 0)
		w->retry_after_s = retry_after_parse(data + sizeof(name) - 1,
		    len - (sizeof(name) - 1));
	return len;
}

/* libcurl calls this at least once a second while a request is under way
 * (and more often while data moves); a non-zero answer ends it. */
static int
webhook_on_progress(void *arg, curl_off_t dltotal, curl_off_t dlnow,
    curl_off_t ultotal, curl_off_t ulnow)
{
	const struct webhook *w = arg;

	(void)dltotal; (void)dlnow; (void)ultotal; (void)ulnow;
	return w->stop != NULL && __atomic_load_n(w->stop, __ATOMIC_ACQUIRE);
}

struct webhook *
webhook_new(const struct webhook_opts *o, char *err, size_t errlen)
{
	struct webhook *w;
	uint64_t timeout_us = o->timeout_us;
	long timeout_ms, connect_ms;
	CURLcode rc = CURLE_OK;

	if (o->url == NULL || (strncasecmp(o->url, "http://", 7) != 0 &&
	    strncasecmp(o->url, "https://", 8) != 0)) {
		snprintf(err, errlen, "webhook URL must start with http:// or "
		    "https://");
		return NULL;
	}
	if (o->keylen > WEBHOOK_KEY_MAX || (o->keylen > 0 && o->key == NULL)) {
		snprintf(err, errlen, "webhook key must be 1 to %d bytes",
		    WEBHOOK_KEY_MAX);
		return NULL;
	}
	pthread_once(&curl_once, curl_init_once);
	if (!curl_ready) {
		snprintf(err, errlen, "webhook: %s", curl_err);
		return NULL;
	}

	w = xcalloc(1, sizeof(*w));
	w->url = xstrdup(o->url);
	if (webhook_shown_url(w) == -1) {
		/* Not even the host: the URL itself is the only thing to
		 * show, and it may hold a token. */
		snprintf(err, errlen, "webhook URL does not parse");
		goto fail;
	}
	if (o->keylen > 0)
		memcpy(w->key, o->key, o->keylen);
	w->keylen = o->keylen;
	if ((w->curl = curl_easy_init()) == NULL) {
		snprintf(err, errlen, "webhook %s: curl_easy_init failed",
		    w->shown);
		goto fail;
	}

	if (timeout_us == 0)
		timeout_us = WEBHOOK_TIMEOUT_DEFAULT_US;
	timeout_ms = timeout_us / 1000 > 86400000ULL ? 86400000L :
	    (long)(timeout_us / 1000);
	if (timeout_ms < 1)
		timeout_ms = 1;
	connect_ms = timeout_ms < WEBHOOK_CONNECT_MAX_MS ? timeout_ms :
	    WEBHOOK_CONNECT_MAX_MS;

#define SETOPT(opt, val) do {						\
	if (rc == CURLE_OK)						\
		rc = curl_easy_setopt(w->curl, opt, val);		\
} while (0)
	SETOPT(CURLOPT_URL, w->url);
	SETOPT(CURLOPT_ERRORBUFFER, w->errbuf);
	SETOPT(CURLOPT_NOSIGNAL, 1L);
	SETOPT(CURLOPT_TIMEOUT_MS, timeout_ms);
	SETOPT(CURLOPT_CONNECTTIMEOUT_MS, connect_ms);
	SETOPT(CURLOPT_FOLLOWLOCATION, 0L);
	SETOPT(CURLOPT_SSL_VERIFYPEER, 1L);
	SETOPT(CURLOPT_SSL_VERIFYHOST, 2L);
#if LIBCURL_VERSION_NUM >= 0x075500	/* 7.85.0 */
	SETOPT(CURLOPT_PROTOCOLS_STR, "http,https");
#else
	SETOPT(CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
	SETOPT(CURLOPT_USERAGENT, o->user_agent != NULL &&
	    o->user_agent[0] != '\0' ? o->user_agent : "egressd");
	SETOPT(CURLOPT_TCP_KEEPALIVE, 1L);
	SETOPT(CURLOPT_WRITEFUNCTION, webhook_on_body);
	SETOPT(CURLOPT_WRITEDATA, w);
	SETOPT(CURLOPT_HEADERFUNCTION, webhook_on_header);
	SETOPT(CURLOPT_HEADERDATA, w);
	if (o->stop != NULL) {
		w->stop = o->stop;
		SETOPT(CURLOPT_XFERINFOFUNCTION, webhook_on_progress);
		SETOPT(CURLOPT_XFERINFODATA, w);
		SETOPT(CURLOPT_NOPROGRESS, 0L);
	}
	/*
	 * curl opens the CA file by its path when it connects, in the delivery
	 * thread, and its open of a FIFO would wait there for a writer: the
	 * file is checked here, at setup, to be a regular file. One swapped
	 * for a FIFO later is outside what egressd defends against (whoever
	 * can do that can change the CAs).
	 */
	if (o->ca_file != NULL && o->ca_file[0] != '\0') {
		if (file_check_regular(o->ca_file, err, errlen) == -1)
			goto fail;
		SETOPT(CURLOPT_CAINFO, o->ca_file);
	}
#undef SETOPT
	if (rc != CURLE_OK) {
		snprintf(err, errlen, "webhook %s: %s", w->shown,
		    curl_easy_strerror(rc));
		goto fail;
	}
	return w;
fail:
	webhook_free(w);
	return NULL;
}

void
webhook_free(struct webhook *w)
{
	if (w == NULL)
		return;
	if (w->curl != NULL)
		curl_easy_cleanup(w->curl);
	OPENSSL_cleanse(w->key, sizeof(w->key));
	free(w->url);
	free(w->shown);
	free(w);
}

/* Whether id can go into a header line as it is. */
static int
webhook_id_ok(const char *id)
{
	size_t i;

	for (i = 0; id[i] != '\0'; i++)
		if (i >= WEBHOOK_ID_MAX || (unsigned char)id[i] <= 0x20 ||
		    (unsigned char)id[i] >= 0x7f)
			return 0;
	return i > 0;
}

static enum webhook_result
webhook_classify(long status)
{
	if (status >= 200 && status < 300)
		return WEBHOOK_DELIVERED;
	switch (status) {
	case 410:
		return WEBHOOK_GONE;
	case 400:
	case 413:
	case 415:
	case 422:
		return WEBHOOK_REJECTED;
	default:
		return WEBHOOK_RETRY;
	}
}

enum webhook_result
webhook_post(struct webhook *w, const char *id, const char *body, size_t len,
    long *status, uint64_t *retry_after_us, char *err, size_t errlen)
{
	char hid[sizeof("webhook-id: ") + WEBHOOK_ID_MAX];
	char hts[sizeof("webhook-timestamp: ") + 24];
	char hsig[sizeof("webhook-signature: ") + WEBHOOK_SIG_MAX];
	char sig[WEBHOOK_SIG_MAX];
	const char *lines[6];
	struct curl_slist *headers = NULL, *h;
	enum webhook_result res = WEBHOOK_RETRY;
	int64_t ts;
	size_t i, n = 0;
	CURLcode rc;

	*status = 0;
	*retry_after_us = 0;
	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if (!webhook_id_ok(id)) {
		/* No attempt can ever carry it. */
		snprintf(err, errlen, "webhook %s: invalid message id",
		    w->shown);
		return WEBHOOK_REJECTED;
	}

	ts = (int64_t)time(NULL);
	snprintf(hid, sizeof(hid), "webhook-id: %s", id);
	snprintf(hts, sizeof(hts), "webhook-timestamp: %" PRId64, ts);
	lines[n++] = "Content-Type: application/json";
	/* curl would otherwise wait for a 100 Continue on a large body. */
	lines[n++] = "Expect:";
	lines[n++] = hid;
	lines[n++] = hts;
	if (w->keylen > 0) {
		webhook_sign(w->key, w->keylen, id, ts, body, len, sig,
		    sizeof(sig));
		if (sig[0] == '\0') {
			snprintf(err, errlen, "webhook %s: signing failed",
			    w->shown);
			return WEBHOOK_RETRY;
		}
		snprintf(hsig, sizeof(hsig), "webhook-signature: %s", sig);
		lines[n++] = hsig;
	}
	for (i = 0; i < n; i++) {
		if ((h = curl_slist_append(headers, lines[i])) == NULL) {
			snprintf(err, errlen, "webhook %s: out of memory",
			    w->shown);
			goto out;
		}
		headers = h;
	}

	w->errbuf[0] = '\0';
	w->retry_after_s = -1;
	w->snippet_len = 0;
	w->snippet[0] = '\0';
	rc = curl_easy_setopt(w->curl, CURLOPT_HTTPHEADER, headers);
	if (rc == CURLE_OK)
		rc = curl_easy_setopt(w->curl, CURLOPT_POSTFIELDSIZE_LARGE,
		    (curl_off_t)len);
	if (rc == CURLE_OK)
		rc = curl_easy_setopt(w->curl, CURLOPT_POSTFIELDS, body);
	if (rc == CURLE_OK)
		rc = curl_easy_perform(w->curl);
	if (curl_easy_getinfo(w->curl, CURLINFO_RESPONSE_CODE, status) !=
	    CURLE_OK)
		*status = 0;
	if (rc != CURLE_OK) {
		/* Even after a status came, a broken answer proves nothing:
		 * try again; the receiver dedups on webhook-id. */
		snprintf(err, errlen, "webhook %s: %s", w->shown,
		    w->errbuf[0] != '\0' ? w->errbuf : curl_easy_strerror(rc));
		res = WEBHOOK_RETRY;
		goto out;
	}
	res = webhook_classify(*status);
	if ((*status == 429 || *status == 503) && w->retry_after_s > 0)
		*retry_after_us = (uint64_t)w->retry_after_s * 1000000ULL;
	if (res != WEBHOOK_DELIVERED)
		snprintf(err, errlen, "webhook %s: HTTP %ld%s%s", w->shown,
		    *status, w->snippet_len > 0 ? ": " : "", w->snippet);
out:
	/* The handle outlives this call; it must not keep pointers to the
	 * headers freed here or to the caller's body. */
	curl_easy_setopt(w->curl, CURLOPT_HTTPHEADER, NULL);
	curl_easy_setopt(w->curl, CURLOPT_POSTFIELDS, NULL);
	curl_slist_free_all(headers);
	return res;
}

uint64_t
webhook_backoff_us(unsigned attempt, uint64_t cap_us, uint32_t rnd)
{
	uint64_t d = WEBHOOK_BACKOFF_BASE_US, low, span, add;
	unsigned shift = attempt > 0 ? attempt - 1 : 0;

	if (shift >= 64 || d > (UINT64_MAX >> shift))
		d = UINT64_MAX;
	else
		d <<= shift;
	if (d > cap_us)
		d = cap_us;
	if (d == 0)
		d = 1;
	/* d * (0.75 + 0.5 * rnd / 2^32) in integers: low is d - d/4, and
	 * span * rnd / 2^32 is split in halves of span so that nothing
	 * overflows. */
	low = d - d / 4;
	span = d / 2;
	add = (span >> 32) * rnd + (((span & 0xffffffffULL) * rnd) >> 32);
	if (low > UINT64_MAX - add)
		return UINT64_MAX;
	return low + add;
}
