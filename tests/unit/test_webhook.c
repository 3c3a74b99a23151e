/*
 * test_webhook.c: signing, secrets, backoff and one POST at a time against
 * a one-shot HTTP server on 127.0.0.1 run in a thread of the test. The
 * signature vectors were computed apart from this code, with Python's hmac
 * module; the server checks that the headers egressd sends carry a
 * signature that webhook_sign() reproduces from the timestamp sent.
 */
#include <arpa/inet.h>
#include <check.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "suites.h"
#include "webhook.h"

/*
 * The Standard Webhooks specification's own example, checked with
 *   python3 -c 'import hmac,hashlib,base64; k=base64.b64decode(
 *     "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"); print("v1,"+base64.b64encode(
 *     hmac.new(k,b"msg_p5jXN8AQM9LWM0D4loKWxJek.1614265330."
 *     b"{\"test\": 2432232314}",hashlib.sha256).digest()).decode())'
 */
#define SW_SECRET	"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
#define SW_ID		"msg_p5jXN8AQM9LWM0D4loKWxJek"
#define SW_TS		1614265330
#define SW_BODY		"{\"test\": 2432232314}"
#define SW_SIG		"v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="

/*
 * A 32-byte key 01 02 .. 20 over an egressd-shaped body, from
 *   python3 -c 'import hmac,hashlib,base64; print("v1,"+base64.b64encode(
 *     hmac.new(bytes(range(1,33)),b"0001-abc.1700000000."
 *     b"{\"type\":\"egressd.verdicts\",\"data\":{\"verdicts\":[]}}",
 *     hashlib.sha256).digest()).decode())'
 */
#define EG_SECRET	"whsec_AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyA="
#define EG_ID		"0001-abc"
#define EG_TS		1700000000
#define EG_BODY		"{\"type\":\"egressd.verdicts\",\"data\":{\"verdicts\":[]}}"
#define EG_SIG		"v1,hBFkvqmcUmopKpfRNJknfAMhdmP2bYWxTtzUbBBBlrw="

/* HMAC-SHA256 with an empty key of "a.0.", by the same means. */
#define EMPTY_SIG	"v1,bgTtLRZwJ7Vl4qiHkyGQ/EK5IJ9kqBwQsfukbZGFDAQ="

static char tmpdir[256];

static void
setup(void)
{
	const char *t = getenv("TMPDIR");

	snprintf(tmpdir, sizeof(tmpdir), "%s/egressd-webhook-XXXXXX",
	    t != NULL && *t != '\0' ? t : "/tmp");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
}

static void
teardown(void)
{
	char cmd[300];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	ck_assert_int_eq(system(cmd), 0);
}

/* Writes text to a file of tmpdir; returns its path in a static buffer. */
static const char *
secret_file(const char *text)
{
	static char path[300];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/secret", tmpdir);
	ck_assert_ptr_nonnull(fp = fopen(path, "w"));
	fputs(text, fp);
	ck_assert_int_eq(fclose(fp), 0);
	return path;
}

START_TEST(sign_vectors)
{
	uint8_t key[WEBHOOK_KEY_MAX];
	char err[512] = "", sig[WEBHOOK_SIG_MAX];
	size_t keylen;
	unsigned i;

	ck_assert_msg(webhook_load_secret(secret_file(SW_SECRET "\n"), key,
	    &keylen, err, sizeof(err)) == 0, "%s", err);
	ck_assert_uint_eq(keylen, 24);
	webhook_sign(key, keylen, SW_ID, SW_TS, SW_BODY, strlen(SW_BODY), sig,
	    sizeof(sig));
	ck_assert_str_eq(sig, SW_SIG);

	ck_assert_msg(webhook_load_secret(secret_file(EG_SECRET), key,
	    &keylen, err, sizeof(err)) == 0, "%s", err);
	ck_assert_uint_eq(keylen, 32);
	for (i = 0; i < 32; i++)
		ck_assert_uint_eq(key[i], i + 1);
	webhook_sign(key, keylen, EG_ID, EG_TS, EG_BODY, strlen(EG_BODY), sig,
	    sizeof(sig));
	ck_assert_str_eq(sig, EG_SIG);

	/* Any change of id, time or body changes the signature. */
	webhook_sign(key, keylen, EG_ID, EG_TS + 1, EG_BODY, strlen(EG_BODY),
	    sig, sizeof(sig));
	ck_assert_str_ne(sig, EG_SIG);
	webhook_sign(key, keylen, "0001-abd", EG_TS, EG_BODY, strlen(EG_BODY),
	    sig, sizeof(sig));
	ck_assert_str_ne(sig, EG_SIG);
	webhook_sign(key, keylen, EG_ID, EG_TS, EG_BODY, strlen(EG_BODY) - 1,
	    sig, sizeof(sig));
	ck_assert_str_ne(sig, EG_SIG);

	webhook_sign(NULL, 0, "a", 0, "", 0, sig, sizeof(sig));
	ck_assert_str_eq(sig, EMPTY_SIG);
}
END_TEST

START_TEST(secret_good)
{
	uint8_t key[WEBHOOK_KEY_MAX];
	char err[512] = "";
	size_t keylen;

	/* Blanks and a CRLF after the key are fine; so is no padding. */
	ck_assert_msg(webhook_load_secret(secret_file("whsec_YWI= \t\r\n"),
	    key, &keylen, err, sizeof(err)) == 0, "%s", err);
	ck_assert_uint_eq(keylen, 2);
	ck_assert(memcmp(key, "ab", 2) == 0);
	ck_assert_int_eq(webhook_load_secret(secret_file("whsec_YWI"), key,
	    &keylen, err, sizeof(err)), 0);
	ck_assert_uint_eq(keylen, 2);
	ck_assert(memcmp(key, "ab", 2) == 0);
	ck_assert_int_eq(webhook_load_secret(secret_file("whsec_YWJj"), key,
	    &keylen, err, sizeof(err)), 0);
	ck_assert_uint_eq(keylen, 3);
	ck_assert_int_eq(webhook_load_secret(secret_file("whsec_YQ=="), key,
	    &keylen, err, sizeof(err)), 0);
	ck_assert_uint_eq(keylen, 1);
	ck_assert_uint_eq(key[0], 'a');
	/* 128 zero bytes: the most there may be. */
	ck_assert_int_eq(webhook_load_secret(secret_file("whsec_"
	    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
	    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
	    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="), key, &keylen, err,
	    sizeof(err)), 0);
	ck_assert_uint_eq(keylen, 128);
}
END_TEST

START_TEST(secret_bad)
{
	static const char *const bad[] = {
		"",				/* empty file */
		"\n",
		"MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",	/* no prefix */
		"WHSEC_YWJj",
		"whsec_",			/* no key */
		"whsec_====",
		"whsec_YWJj@@@@",		/* not base64 */
		"whsec_YW Jj",
		"whsec_Y",			/* a lone sixth of a byte */
		"whsec_YWJj=",			/* padding where none goes */
		"whsec_Y=Jj",
		"whsec_YWJj\nwhsec_YWJj",
		/* 129 bytes: one too many */
		"whsec_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
		"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
		"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
	};
	uint8_t key[WEBHOOK_KEY_MAX];
	char err[512], path[300];
	size_t i, keylen;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const char *p = secret_file(bad[i]);

		err[0] = '\0';
		keylen = 99;
		ck_assert_msg(webhook_load_secret(p, key, &keylen, err,
		    sizeof(err)) == -1, "accepted \"%s\"", bad[i]);
		ck_assert_uint_eq(keylen, 0);
		ck_assert_msg(strstr(err, p) != NULL, "%s", err);
		/* The message never shows the key. */
		ck_assert_msg(strstr(err, "YWJj") == NULL &&
		    strstr(err, "MfKQ") == NULL && strstr(err, "AAAA") == NULL,
		    "%s", err);
	}

	snprintf(path, sizeof(path), "%s/missing", tmpdir);
	err[0] = '\0';
	ck_assert_int_eq(webhook_load_secret(path, key, &keylen, err,
	    sizeof(err)), -1);
	ck_assert(strstr(err, path) != NULL);
	/* A directory is not a secret file. */
	ck_assert_int_eq(webhook_load_secret(tmpdir, key, &keylen, err,
	    sizeof(err)), -1);
}
END_TEST

START_TEST(secret_too_long_file)
{
	char text[5000], err[512] = "";
	uint8_t key[WEBHOOK_KEY_MAX];
	size_t keylen;

	memcpy(text, "whsec_YWJj", 10);
	memset(text + 10, ' ', sizeof(text) - 11);
	text[sizeof(text) - 1] = '\0';
	ck_assert_int_eq(webhook_load_secret(secret_file(text), key, &keylen,
	    err, sizeof(err)), -1);
}
END_TEST

START_TEST(backoff)
{
	static const uint32_t rnds[] = { 0, 1, 0x80000000u, 0xffffffffu };
	static const uint64_t caps[] = { 0, 1, 999, 1000000, 300000000,
	    3600000000ULL, UINT64_MAX / 2, UINT64_MAX };
	size_t r, c;
	unsigned a;

	ck_assert_uint_eq(webhook_backoff_us(1, 300000000, 0), 750000);
	ck_assert_uint_eq(webhook_backoff_us(1, 300000000, 0x80000000u),
	    1000000);
	ck_assert_uint_eq(webhook_backoff_us(3, 300000000, 0x80000000u),
	    4000000);
	ck_assert_uint_eq(webhook_backoff_us(30, 300000000, 0x80000000u),
	    300000000);
	ck_assert_uint_lt(webhook_backoff_us(1, 300000000, 0xffffffffu),
	    1250000);
	for (c = 0; c < sizeof(caps) / sizeof(caps[0]); c++) {
		for (r = 0; r < sizeof(rnds) / sizeof(rnds[0]); r++) {
			uint64_t prev = 0;

			for (a = 0; a <= 200; a++) {
				uint64_t d = webhook_backoff_us(a, caps[c],
				    rnds[r]);
				uint64_t cap = caps[c] == 0 ? 1 : caps[c];

				ck_assert_uint_ne(d, 0);
				ck_assert_uint_ge(d, prev);
				ck_assert(d <= cap || d - cap <= cap / 4);
				if (a >= 1 && a <= 40 &&
				    (1000000ULL << (a - 1)) <= cap)
					ck_assert_uint_ge(d,
					    (1000000ULL << (a - 1)) / 4 * 3);
				prev = d;
			}
		}
	}
	/* Different rnd, different waits: senders spread out. */
	ck_assert_uint_ne(webhook_backoff_us(5, 300000000, 1u << 20),
	    webhook_backoff_us(5, 300000000, 3u << 30));
}
END_TEST

START_TEST(new_refuses)
{
	static const char *const bad[] = { "ftp://example.com/", "garbage",
	    "", "file:///etc/passwd", "http://", "https://", "http:/x",
	    "gopher://example.com/", " http://example.com/",
	    "http://exa mple.com/" };
	struct webhook_opts o = { .timeout_us = 1000000 };
	struct webhook *w;
	char err[512];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		o.url = bad[i];
		err[0] = '\0';
		ck_assert_msg(webhook_new(&o, err, sizeof(err)) == NULL,
		    "accepted %s", bad[i]);
		ck_assert(err[0] != '\0');
	}
	o.url = NULL;
	ck_assert_ptr_null(webhook_new(&o, err, sizeof(err)));

	o.url = "HTTPS://Example.com:8443/hook?token=s3cr3t";
	w = webhook_new(&o, err, sizeof(err));
	ck_assert_msg(w != NULL, "%s", err);
	webhook_free(w);
	o.url = "http://[::1]/";
	w = webhook_new(&o, err, sizeof(err));
	ck_assert_msg(w != NULL, "%s", err);
	webhook_free(w);
	webhook_free(NULL);
}
END_TEST

/* A listening socket on 127.0.0.1 with a port the kernel chose. */
static int
listen_local(int *port)
{
	struct sockaddr_in sin;
	socklen_t sl = sizeof(sin);
	int fd, one = 1;

	ck_assert_int_ne(fd = socket(AF_INET, SOCK_STREAM, 0), -1);
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	ck_assert_int_eq(listen(fd, 4), 0);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&sin, &sl), 0);
	*port = ntohs(sin.sin_port);
	return fd;
}

START_TEST(post_refused)
{
	struct webhook_opts o = { .timeout_us = 3000000 };
	char url[128], err[512] = "";
	struct webhook *w;
	uint64_t ra = 99;
	long status = 99;
	time_t t0;
	int fd, port;

	/* A port nobody listens on: bind it, learn it, close it. */
	fd = listen_local(&port);
	close(fd);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/hook?token=s3cr3t",
	    port);
	o.url = url;
	ck_assert_ptr_nonnull(w = webhook_new(&o, err, sizeof(err)));
	t0 = time(NULL);
	ck_assert_int_eq(webhook_post(w, "0001", "{}", 2, &status, &ra, err,
	    sizeof(err)), WEBHOOK_RETRY);
	ck_assert(time(NULL) - t0 <= 2);
	ck_assert_int_eq(status, 0);
	ck_assert_uint_eq(ra, 0);
	snprintf(url, sizeof(url), "webhook http://127.0.0.1:%d/hook: ", port);
	ck_assert_msg(strncmp(err, url, strlen(url)) == 0, "%s", err);
	ck_assert_msg(strlen(err) > strlen(url), "%s", err);
	ck_assert_msg(strstr(err, "s3cr3t") == NULL, "%s", err);
	ck_assert(strchr(err, '\n') == NULL);
	webhook_free(w);
}
END_TEST

/* The one-shot server: takes one request and sends one canned answer. */
struct server {
	int fd;
	const char *answer;
	char request[8192];
	size_t len;
};

static void *
server_run(void *arg)
{
	struct server *sv = arg;
	size_t want = 0;
	int c;

	if ((c = accept(sv->fd, NULL, NULL)) == -1)
		return NULL;
	while (sv->len < sizeof(sv->request) - 1) {
		ssize_t r = read(c, sv->request + sv->len,
		    sizeof(sv->request) - 1 - sv->len);
		char *end, *cl;

		if (r <= 0)
			break;
		sv->len += (size_t)r;
		sv->request[sv->len] = '\0';
		if ((end = strstr(sv->request, "\r\n\r\n")) == NULL)
			continue;
		if (want == 0) {
			cl = strcasestr(sv->request, "\r\nContent-Length:");
			want = (size_t)(end + 4 - sv->request) +
			    (cl != NULL ? strtoul(cl + 17, NULL, 10) : 0);
		}
		if (sv->len >= want)
			break;
	}
	if (write(c, sv->answer, strlen(sv->answer)) < 0)
		sv->len = 0;
	close(c);
	return NULL;
}

/* The value of header name in the request, copied into out. */
static int
header(const char *req, const char *name, char *out, size_t outlen)
{
	char key[64];
	const char *p, *e;

	snprintf(key, sizeof(key), "\r\n%s: ", name);
	if ((p = strcasestr(req, key)) == NULL)
		return -1;
	p += strlen(key);
	if ((e = strstr(p, "\r\n")) == NULL || (size_t)(e - p) >= outlen)
		return -1;
	memcpy(out, p, (size_t)(e - p));
	out[e - p] = '\0';
	return 0;
}

/* Posts EG_BODY as EG_ID, keyed with the 01..20 key, to a server that
 * answers with answer; checks the request it saw. */
static enum webhook_result
post_to(const char *answer, long *status, uint64_t *ra, char *err,
    size_t errlen)
{
	uint8_t key[32];
	struct webhook_opts o = { .key = key, .keylen = sizeof(key),
	    .timeout_us = 5000000, .user_agent = "egressd-test" };
	struct server sv = { .answer = answer };
	char url[128], ts[32], sig[WEBHOOK_SIG_MAX], want[WEBHOOK_SIG_MAX];
	enum webhook_result res;
	struct webhook *w;
	pthread_t th;
	int port;
	long long t;
	unsigned i;

	for (i = 0; i < sizeof(key); i++)
		key[i] = (uint8_t)(i + 1);
	sv.fd = listen_local(&port);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/in?x=1", port);
	o.url = url;
	ck_assert_ptr_nonnull(w = webhook_new(&o, err, errlen));
	ck_assert_int_eq(pthread_create(&th, NULL, server_run, &sv), 0);
	res = webhook_post(w, EG_ID, EG_BODY, strlen(EG_BODY), status, ra,
	    err, errlen);
	ck_assert_int_eq(pthread_join(th, NULL), 0);
	close(sv.fd);
	webhook_free(w);

	ck_assert_msg(strncmp(sv.request, "POST /in?x=1 HTTP/1.1\r\n", 23) ==
	    0, "%s", sv.request);
	ck_assert(strstr(sv.request, "\r\n\r\n" EG_BODY) != NULL);
	ck_assert_int_eq(header(sv.request, "Content-Type", want,
	    sizeof(want)), 0);
	ck_assert_str_eq(want, "application/json");
	ck_assert_int_eq(header(sv.request, "User-Agent", want, sizeof(want)),
	    0);
	ck_assert_str_eq(want, "egressd-test");
	ck_assert_int_eq(header(sv.request, "webhook-id", want, sizeof(want)),
	    0);
	ck_assert_str_eq(want, EG_ID);
	ck_assert_int_eq(header(sv.request, "webhook-timestamp", ts,
	    sizeof(ts)), 0);
	t = strtoll(ts, NULL, 10);
	ck_assert(llabs(t - (long long)time(NULL)) <= 5);
	ck_assert_int_eq(header(sv.request, "webhook-signature", sig,
	    sizeof(sig)), 0);
	webhook_sign(key, sizeof(key), EG_ID, t, EG_BODY, strlen(EG_BODY),
	    want, sizeof(want));
	ck_assert_str_eq(sig, want);
	if (t == EG_TS)
		ck_assert_str_eq(sig, EG_SIG);
	return res;
}

#define ANSWER(status, extra, body)					\
	"HTTP/1.1 " status "\r\nConnection: close\r\n" extra		\
	"Content-Length: " #body "\r\n\r\n"

START_TEST(post_outcomes)
{
	char err[512], date[64];
	char answer[256];
	uint64_t ra;
	long status;
	struct tm tm;
	time_t later;

	err[0] = 'x';
	ck_assert_int_eq(post_to("HTTP/1.1 204 No Content\r\n"
	    "Connection: close\r\n\r\n", &status, &ra, err, sizeof(err)),
	    WEBHOOK_DELIVERED);
	ck_assert_int_eq(status, 204);
	ck_assert_uint_eq(ra, 0);

	ck_assert_int_eq(post_to("HTTP/1.1 200 OK\r\nConnection: close\r\n"
	    "Content-Length: 2\r\n\r\nok", &status, &ra, err, sizeof(err)),
	    WEBHOOK_DELIVERED);

	ck_assert_int_eq(post_to("HTTP/1.1 503 Busy\r\nConnection: close\r\n"
	    "retry-after:  7 \r\nContent-Length: 0\r\n\r\n", &status, &ra, err,
	    sizeof(err)), WEBHOOK_RETRY);
	ck_assert_int_eq(status, 503);
	ck_assert_uint_eq(ra, 7000000);
	ck_assert_msg(strstr(err, "HTTP 503") != NULL, "%s", err);
	ck_assert_msg(strstr(err, "x=1") == NULL, "%s", err);

	/* An HTTP date, a minute or so ahead. */
	later = time(NULL) + 60;
	gmtime_r(&later, &tm);
	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S GMT", &tm);
	snprintf(answer, sizeof(answer), "HTTP/1.1 429 Slow Down\r\n"
	    "Connection: close\r\nRetry-After: %s\r\nContent-Length: 0\r\n\r\n",
	    date);
	ck_assert_int_eq(post_to(answer, &status, &ra, err, sizeof(err)),
	    WEBHOOK_RETRY);
	ck_assert_int_eq(status, 429);
	ck_assert_msg(ra >= 55000000 && ra <= 60000000, "%llu",
	    (unsigned long long)ra);

	/* Capped at a day; a date gone by is no wait; ignored on a 500. */
	ck_assert_int_eq(post_to("HTTP/1.1 429 No\r\nConnection: close\r\n"
	    "Retry-After: 99999999999999999999\r\nContent-Length: 0\r\n\r\n",
	    &status, &ra, err, sizeof(err)), WEBHOOK_RETRY);
	ck_assert_uint_eq(ra, 86400000000ULL);
	ck_assert_int_eq(post_to("HTTP/1.1 503 No\r\nConnection: close\r\n"
	    "Retry-After: Wed, 21 Oct 2015 07:28:00 GMT\r\n"
	    "Content-Length: 0\r\n\r\n", &status, &ra, err, sizeof(err)),
	    WEBHOOK_RETRY);
	ck_assert_uint_eq(ra, 0);
	ck_assert_int_eq(post_to("HTTP/1.1 500 Oops\r\nConnection: close\r\n"
	    "Retry-After: 7\r\nContent-Length: 0\r\n\r\n", &status, &ra, err,
	    sizeof(err)), WEBHOOK_RETRY);
	ck_assert_int_eq(status, 500);
	ck_assert_uint_eq(ra, 0);

	ck_assert_int_eq(post_to(ANSWER("410 Gone", "", 0), &status, &ra,
	    err, sizeof(err)), WEBHOOK_GONE);
	ck_assert_int_eq(status, 410);
	ck_assert_int_eq(post_to(ANSWER("413 Too Large", "", 0), &status, &ra,
	    err, sizeof(err)), WEBHOOK_REJECTED);
	ck_assert_int_eq(post_to(ANSWER("401 Who", "", 0), &status, &ra,
	    err, sizeof(err)), WEBHOOK_RETRY);
	ck_assert_int_eq(post_to(ANSWER("302 Found",
	    "Location: http://127.0.0.1:1/\r\n", 0), &status, &ra, err,
	    sizeof(err)), WEBHOOK_RETRY);
	ck_assert_int_eq(status, 302);

	/* The start of the body, on one line, names the problem. */
	ck_assert_int_eq(post_to("HTTP/1.1 422 Unprocessable\r\n"
	    "Connection: close\r\nContent-Length: 20\r\n\r\n"
	    "bad\nfield \"verdicts\"", &status, &ra, err, sizeof(err)),
	    WEBHOOK_REJECTED);
	ck_assert_int_eq(status, 422);
	ck_assert_msg(strstr(err, "HTTP 422: bad field \"verdicts\"") != NULL,
	    "%s", err);
	ck_assert(strchr(err, '\n') == NULL);
}
END_TEST

Suite *
webhook_suite(void)
{
	Suite *s = suite_create("webhook");
	TCase *tc;

	tc = tcase_create("webhook");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, sign_vectors);
	tcase_add_test(tc, secret_good);
	tcase_add_test(tc, secret_bad);
	tcase_add_test(tc, secret_too_long_file);
	tcase_add_test(tc, backoff);
	tcase_add_test(tc, new_refuses);
	tcase_add_test(tc, post_refused);
	tcase_add_test(tc, post_outcomes);
	suite_add_tcase(s, tc);
	return s;
}
