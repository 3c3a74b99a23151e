/*
 * webhook.h: one HTTP endpoint that takes signed messages, per the Standard
 * Webhooks specification (standardwebhooks.com): a POST of a JSON body with
 *   webhook-id: the message id (the same on every retry of the message)
 *   webhook-timestamp: seconds since the epoch, at this attempt
 *   webhook-signature: v1,<base64 of HMAC-SHA256(key, id "." timestamp "." body)>
 * where key is the base64-decoded part after "whsec_" of the secret.
 *
 * webhook_post() makes one attempt and classifies the answer; retry timing
 * (webhook_backoff_us) and what to do with each outcome belong to the
 * caller (enforce/sink_webhook.c). libcurl does HTTP; OpenSSL's libcrypto does
 * HMAC and base64. TLS peers are verified unless the URL is plain http.
 * Calls block for up to the timeout: never call them on the packet path.
 */
#ifndef EGRESSD_WEBHOOK_H
#define EGRESSD_WEBHOOK_H

#include <stddef.h>
#include <stdint.h>

#define WEBHOOK_KEY_MAX 128		/* bytes of a decoded key at most */
#define WEBHOOK_SIG_MAX 64		/* "v1," + base64 of 32 bytes + NUL */

/* Reads a secret file: "whsec_" and base64, optionally followed by blanks
 * and a newline, in a regular file (a FIFO is refused at once, not waited
 * on). Fills key (WEBHOOK_KEY_MAX bytes) and *keylen. Returns 0,
 * or -1 with a message that never contains the secret. */
int webhook_load_secret(const char *path, uint8_t *key, size_t *keylen,
    char *err, size_t errlen);

/* Writes "v1,<base64 signature>" of (id, ts, body) into out. */
void webhook_sign(const uint8_t *key, size_t keylen, const char *id,
    int64_t ts, const void *body, size_t len, char *out, size_t outlen);

struct webhook_opts {
	const char *url;
	const uint8_t *key;	/* copied; NULL with keylen 0 sends unsigned */
	size_t keylen;
	uint64_t timeout_us;	/* the whole request, connect included */
	const char *ca_file;	/* NULL or "": the system's CA store; else
				 * a regular file, or webhook_new fails */
	const char *user_agent;
	/* NULL, or a flag another thread sets (with __atomic_store_n) to give
	 * up a request under way within about a second: it ends as
	 * WEBHOOK_RETRY. */
	const int *stop;
};

enum webhook_result {
	WEBHOOK_DELIVERED,	/* 2xx */
	WEBHOOK_RETRY,		/* transport error, 3xx, 5xx, 429, other 4xx */
	WEBHOOK_REJECTED,	/* 400, 413, 415, 422: these bytes never will be taken */
	WEBHOOK_GONE		/* 410: the endpoint asks never to be called again */
};

struct webhook;

/* Checks the URL (http or https) and sets up a reusable handle. Returns
 * NULL with a message. */
struct webhook *webhook_new(const struct webhook_opts *o, char *err,
    size_t errlen);
void webhook_free(struct webhook *w);

/* Makes one POST of body as message id. *status gets the HTTP status, or 0
 * when no answer came. *retry_after_us gets the wait a 429 or 503 answer
 * asked for in Retry-After (seconds or an HTTP date), 0 when none. Every
 * outcome but WEBHOOK_DELIVERED leaves a one-line message in err. */
enum webhook_result webhook_post(struct webhook *w, const char *id,
    const char *body, size_t len, long *status, uint64_t *retry_after_us,
    char *err, size_t errlen);

/* The wait before retry number attempt (1 = the first retry): 1 s doubled
 * per attempt up to cap_us, then scaled by a factor from 0.75 to 1.25
 * taken from rnd (full range of uint32_t), so many senders do not retry in
 * step. */
uint64_t webhook_backoff_us(unsigned attempt, uint64_t cap_us, uint32_t rnd);

#endif
