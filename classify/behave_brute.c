/*
 * behave_brute.c: online password guessing, per (vm, target, port),
 * brute_attempts attempts within brute_window (Zeek's SSH rule: 30 in 30
 * minutes). An attempt is what a guesser leaves behind:
 *  - a failure reply read in the service's own grammar (FTP 530, POP3
 *    -ERR, IMAP NO, HTTP 401, telnet's "Login incorrect"; on any port,
 *    MySQL, PostgreSQL, Redis, SMTP AUTH, IMAP, VNC and SMB refusals);
 *  - a short, small connection to an authentication service that got no
 *    such reply and no success reply;
 *  - a login a protocol reader followed to a refusal (SSH by its reply
 *    sizes, sshshape.h; TLS by the server's delayed answers, tlsrec.h);
 *  - on any port and through TLS: many short connections of one shape
 *    (or two alternating) that get little back, at a guesser's pace and
 *    not a flood's.
 * A success reply read on a connection takes it out of the count.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "behave.h"
#include "behave_int.h"
#include "lrutab.h"

/* A connection shorter and smaller than this is a login attempt. */
#define BRUTE_SHORT_US		(30ULL * 1000000)
#define BRUTE_SMALL_BYTES	(16 * 1024)
/* On any port, over TLS too: brute_attempts short connections of one
 * shape (their bytes each way within a tenth, or 64 bytes, of the first
 * one's) within BRUTE_SHAPE_US, so at least 3 a second at the default 30
 * (a client polling a second or twice a second stays under it), and at
 * most BRUTE_SHAPE_MAX_RATE a second (faster is a flood, as the TLS
 * handshake flood counts it: ab over HTTPS). */
#define BRUTE_SHAPE_US		(10ULL * 1000000)
#define BRUTE_SHAPE_MAX_RATE	200.0
/* ... each getting less than this back (a refusal and a TLS handshake; a
 * page fetched again and again gets more: httpsburst's 7.4 KB). */
#define BRUTE_SHAPE_BACK_MAX	4096

static int
is_http_port(uint16_t port)
{
	return port == 80 || port == 443 || port == 8080 || port == 8443;
}

static int
is_auth_port(uint16_t port)
{
	switch (port) {
	case 21: case 22: case 23: case 110: case 143: case 3389:
	case 5900: case 3306: case 5432: case 1433:
		return 1;
	}
	return is_http_port(port);
}

static const char *
service_name(uint16_t port)
{
	switch (port) {
	case 21: return "FTP";
	case 22: return "SSH";
	case 23: return "telnet";
	case 110: return "POP3";
	case 143: return "IMAP";
	case 3389: return "RDP";
	case 5900: return "VNC";
	case 3306: return "MySQL";
	case 5432: return "PostgreSQL";
	case 1433: return "MSSQL";
	}
	return is_http_port(port) ? "HTTP" : "login";
}

static const char *
brute_detector(uint16_t port)
{
	switch (port) {
	case 22: return "ssh_guessing";
	case 3389: return "rdp_guessing";
	case 21: return "ftp_guessing";
	case 23: return "telnet_guessing";
	case 110: return "pop3_guessing";
	case 143: return "imap_guessing";
	case 5900: return "vnc_guessing";
	case 3306: return "mysql_guessing";
	case 5432: return "postgresql_guessing";
	case 1433: return "mssql_guessing";
	}
	return is_http_port(port) ? "http_login_guessing" : "login_guessing";
}

/* Every reply from a server and every clear HTTP request from a VM is
 * searched: memchr finds the candidates, the needle's first byte, and
 * only those are compared (glibc's memmem costs more on such short
 * texts than the compare at every offset it would replace). */
static int
contains(const uint8_t *p, size_t len, const char *s)
{
	size_t n = strlen(s);
	const uint8_t *q = p, *end = p + len;

	if (n == 0)
		return 1;
	while ((size_t)(end - q) >= n &&
	    (q = memchr(q, (unsigned char)s[0], (size_t)(end - q) - n + 1)) !=
	    NULL) {
		if (memcmp(q + 1, s + 1, n - 1) == 0)
			return 1;
		q++;
	}
	return 0;
}

/*
 * Login refusals that say so in their own grammar, read on any port:
 *  - MySQL: an ERR packet (3-byte length, sequence, 0xff) with error 1045,
 *    ER_ACCESS_DENIED_ERROR, and SQLSTATE 28000;
 *  - PostgreSQL: an ErrorResponse ('E', a 4-byte length) whose code field
 *    is 28P01 (invalid_password) or 28000 (invalid_authorization_spec);
 *  - Redis: "-WRONGPASS" (6.0 and later) or "-ERR invalid password";
 *  - SMTP AUTH: reply 535 (RFC 4954: credentials invalid);
 *  - IMAP: a tagged NO with [AUTHENTICATIONFAILED] (RFC 5530);
 *  - VNC: a SecurityResult of 1 (failed), alone (RFB 3.3 and 3.7) or
 *    followed by its reason string (RFB 3.8: a 4-byte length that ends
 *    the message exactly);
 *  - SMB2: a response header with STATUS_LOGON_FAILURE (0xc000006d).
 */
enum login_svc {
	SVC_NONE, SVC_PORT, SVC_MYSQL, SVC_POSTGRES, SVC_REDIS, SVC_SMTP,
	SVC_IMAP, SVC_VNC, SVC_SMB, SVC_TLS
};

static const struct {
	const char *name, *detector;
} login_svcs[] = {
	[SVC_MYSQL] = { "MySQL", "mysql_guessing" },
	[SVC_POSTGRES] = { "PostgreSQL", "postgresql_guessing" },
	[SVC_REDIS] = { "Redis", "redis_guessing" },
	[SVC_SMTP] = { "SMTP AUTH", "smtp_guessing" },
	[SVC_IMAP] = { "IMAP", "imap_guessing" },
	[SVC_VNC] = { "VNC", "vnc_guessing" },
	[SVC_SMB] = { "SMB", "smb_guessing" },
	[SVC_TLS] = { "TLS-wrapped", "tls_login_guessing" },
};

/* len: the bytes captured at p; wire: the payload's bytes on the wire (a
 * short snap length cuts a reply, not its header). */
static enum login_svc
refusal_kind(const uint8_t *p, size_t len, size_t wire)
{
	size_t i;

	if (len >= 13 && p[4] == 0xff && p[5] == 0x15 && p[6] == 0x04 &&
	    p[7] == '#' && memcmp(p + 8, "28000", 5) == 0 &&
	    (size_t)(p[0] | p[1] << 8 | p[2] << 16) + 4 <= wire)
		return SVC_MYSQL;
	if (len >= 12 && p[0] == 'E' && p[1] == 0 && p[5] == 'S') {
		for (i = 5; i + 7 <= len && i < 160; i++)
			if (p[i - 1] == 0 && p[i] == 'C' && p[i + 6] == 0 &&
			    (memcmp(p + i + 1, "28P01", 5) == 0 ||
			    memcmp(p + i + 1, "28000", 5) == 0))
				return SVC_POSTGRES;
	}
	if (starts(p, len, "-WRONGPASS ") ||
	    starts(p, len, "-ERR invalid password"))
		return SVC_REDIS;
	if (starts(p, len, "535 ") || starts(p, len, "535-"))
		return SVC_SMTP;
	if (len > 0 && p[0] != '*' && contains(p, len < 64 ? len : 64,
	    " NO [AUTHENTICATIONFAILED]"))
		return SVC_IMAP;
	if (len > 8 && p[0] == 0 && p[1] == 0 && p[2] == 0 && p[3] == 1 &&
	    (size_t)((uint32_t)p[4] << 24 | (uint32_t)p[5] << 16 |
	    (uint32_t)p[6] << 8 | p[7]) + 8 == wire && p[8] >= 0x20 &&
	    p[8] < 0x7f)
		return SVC_VNC;
	if (wire == 4 && len == 4 && p[0] == 0 && p[1] == 0 && p[2] == 0 &&
	    p[3] == 1)
		return SVC_VNC;
	if (len >= 16 && p[0] == 0 && p[4] == 0xfe && p[5] == 'S' &&
	    p[6] == 'M' && p[7] == 'B' && p[12] == 0x6d && p[13] == 0 &&
	    p[14] == 0 && p[15] == 0xc0)
		return SVC_SMB;
	return SVC_NONE;
}

/*
 * Login successes that say so in their own grammar, read on any port: a
 * connection that got one was a login, not a guess, and is not counted
 * (a client polling a database with the right password every few seconds
 * makes as many short connections as a slow guesser):
 *  - PostgreSQL: AuthenticationOk ('R', length 8, code 0) or ReadyForQuery
 *    ('Z', length 5), found by walking the messages of the segment by
 *    their lengths (the code may lie past a short snap length);
 *  - MySQL: an OK packet (0x00) that is the whole segment, sequence 2 or
 *    more (after the handshake and the client's login);
 *  - FTP: 230 (user logged in); SMTP AUTH: 235 (RFC 4954);
 *  - Redis: "+OK" that is the whole segment (what AUTH answers);
 *  - VNC: a SecurityResult of 0 (OK), four bytes alone.
 */
static int
is_login_success(const uint8_t *p, size_t len, size_t wire)
{
	size_t off, mlen;

	for (off = 0; off + 5 <= len && off + 5 <= wire; off += 1 + mlen) {
		mlen = (size_t)p[off + 1] << 24 | (size_t)p[off + 2] << 16 |
		    (size_t)p[off + 3] << 8 | p[off + 4];
		if (mlen < 4 || off + 1 + mlen > wire || p[off] == 0 ||
		    strchr("RSKZNE", p[off]) == NULL)
			break;
		if ((p[off] == 'R' && mlen == 8 && (off + 9 > len ||
		    (p[off + 5] | p[off + 6] | p[off + 7] | p[off + 8]) == 0)) ||
		    (p[off] == 'Z' && mlen == 5))
			return 1;
	}
	if (len >= 7 && p[3] >= 2 && p[4] == 0x00 &&
	    (size_t)(p[0] | p[1] << 8 | p[2] << 16) + 4 == wire)
		return 1;
	if (starts(p, len, "230 ") || starts(p, len, "230-") ||
	    starts(p, len, "235 "))
		return 1;
	if (wire == 5 && starts(p, len, "+OK\r\n"))
		return 1;
	return wire == 4 && len == 4 && (p[0] | p[1] | p[2] | p[3]) == 0;
}

/* Whether a payload from the server on port says a login failed. */
static int
is_failure_reply(uint16_t port, const uint8_t *p, size_t len)
{
	size_t i;

	switch (port) {
	case 21:
		return starts(p, len, "530 ") || starts(p, len, "530-");
	case 23:
		return contains(p, len, "Login incorrect");
	case 110:
		return starts(p, len, "-ERR");
	case 143:
		/* "a1 NO ...": a tag, not the untagged "*" */
		if (len == 0 || p[0] == '*' || p[0] == ' ')
			return 0;
		for (i = 0; i < len && i < 64 && p[i] != ' '; i++)
			if (p[i] == '\r' || p[i] == '\n')
				return 0;
		return starts(p + i, len - i, " NO ");
	}
	if (is_http_port(port))
		return starts(p, len, "HTTP/1.0 401") ||
		    starts(p, len, "HTTP/1.1 401");
	return 0;
}

static void
brute_roll(const struct behave *b, struct brute_ent *e, uint64_t now,
    int fresh)
{
	if (!fresh && (now < e->start || now - e->start < b->cfg.brute_window_us))
		return;
	e->start = now;
	e->attempts = e->replies = e->unclaimed = e->ok_unclaimed = e->pkts = 0;
	e->bytes = 0;
	e->fired = 0;
	e->http_failed = 0;
	e->http_plain = e->http_creds = 0;
}

static void
brute_check(struct behave *b, struct brute_ent *e, uint64_t now,
    struct behave_hit *hits, size_t max, size_t *n)
{
	struct behave_hit h;
	uint64_t elapsed;
	char dur[32];
	const char *svc;

	if (e->fired || e->attempts < b->cfg.brute_attempts)
		return;
	elapsed = now > e->start ? now - e->start : 0;
	svc = e->ssh ? "SSH" : e->svc > SVC_PORT ? login_svcs[e->svc].name :
	    service_name(e->k.port);
	hit_init(&h, CAT_BRUTEFORCE, e->ssh ? "ssh_guessing" :
	    e->svc > SVC_PORT ? login_svcs[e->svc].detector :
	    brute_detector(e->k.port), e->k.vm, e->k.target, 6, e->k.port);
	hit_figures(&h, elapsed, e->pkts, e->bytes, e->attempts, 0, e->attempts,
	    b->cfg.brute_attempts);
	behave_fmt_dur(dur, sizeof(dur), elapsed);
	if (e->replies == 0)
		snprintf(h.detail, sizeof(h.detail),
		    "%u short %s connections in %s", e->attempts, svc, dur);
	else
		snprintf(h.detail, sizeof(h.detail),
		    "%u %s login attempts (%u failure replies) in %s",
		    e->attempts, svc, e->replies, dur);
	if (emit(b, &e->last, now, &h, hits, max, n))
		e->fired = 1;
}

void
behave_brute_reply(struct behave *b, const struct behave_pkt *p,
    struct behave_hit *hits, size_t max, size_t *n)
{
	struct brute_ent *e;
	int fresh;
	size_t wire = p->payload_wire > p->payload_len ? p->payload_wire :
	    p->payload_len;
	enum login_svc svc = refusal_kind(p->payload, p->payload_len, wire);

	if (svc == SVC_NONE && is_login_success(p->payload, p->payload_len,
	    wire)) {
		e = brute_lookup(b, p->vm, p->target, p->target_port,
		    p->ts_us, &fresh);
		if (e != NULL) {
			brute_roll(b, e, p->ts_us, fresh);
			if (e->ok_unclaimed < 1024)
				e->ok_unclaimed++;
		}
		return;
	}
	if (svc == SVC_NONE && (!is_auth_port(p->target_port) ||
	    !is_failure_reply(p->target_port, p->payload, p->payload_len)))
		return;
	e = brute_lookup(b, p->vm, p->target, p->target_port,
	    p->ts_us, &fresh);
	if (e == NULL)
		return;
	brute_roll(b, e, p->ts_us, fresh);
	if (svc != SVC_NONE)
		e->svc = (uint8_t)svc;
	e->attempts++;
	b->logins++;
	e->replies++;
	e->unclaimed++;
	if (is_http_port(p->target_port))
		e->http_failed = 1;
	brute_check(b, e, p->ts_us, hits, max, n);
}

/* Whether v is within a tenth, or 64 bytes, of ref. */
static int
same_shape(uint32_t ref, uint64_t v)
{
	uint64_t d = v > ref ? v - ref : ref - v;
	uint64_t tol = ref / 10 > 64 ? ref / 10 : 64;

	return d <= tol;
}

/*
 * Password guessing on any port and through TLS, where no failure reply
 * can be read: many short connections to one service that all look
 * alike and get little back (a guessing tool sends the same request with
 * another password and gets the same refusal). Two shapes are followed
 * at once, since some tools alternate (hydra's http-post-form fetches
 * the form, then posts, each on its own connection).
 */
static void
brute_shape(struct behave *b, struct brute_ent *e, const struct behave_conn *c,
    struct behave_hit *hits, size_t max, size_t *n)
{
	struct behave_hit h;
	uint64_t elapsed;
	unsigned i, s = 2, total;
	char dur[32];

	if (c->bytes_to_vm >= BRUTE_SHAPE_BACK_MAX)
		return;
	/* HTTP in clear says what it asks: GETs without credentials (the
	 * same small file fetched 200 times) are no login attempts. */
	if (e->http_plain && !e->http_creds)
		return;
	for (i = 0; i < 2; i++)
		if (e->shaped[i] > 0 && c->ts_us >= e->shape_start[i] &&
		    c->ts_us - e->shape_start[i] <= BRUTE_SHAPE_US &&
		    same_shape(e->shape_to[i], c->bytes_to_vm) &&
		    same_shape(e->shape_from[i], c->bytes_from_vm))
			s = i;
	if (s == 2) {
		/* A new reference in place of the emptier or older one. */
		s = e->shaped[0] > e->shaped[1] ||
		    (e->shaped[0] == e->shaped[1] &&
		    e->shape_start[0] > e->shape_start[1]) ? 1 : 0;
		if (e->shaped[s] > 0 && c->ts_us >= e->shape_start[s] &&
		    c->ts_us - e->shape_start[s] <= BRUTE_SHAPE_US &&
		    e->shaped[!s] > 0 && c->ts_us >= e->shape_start[!s] &&
		    c->ts_us - e->shape_start[!s] > BRUTE_SHAPE_US)
			s = !s;		/* replace the one out of its window */
		e->shape_to[s] = (uint32_t)c->bytes_to_vm;
		e->shape_from[s] = (uint32_t)c->bytes_from_vm;
		e->shape_start[s] = c->ts_us;
		e->shaped[s] = 1;
		return;
	}
	e->shaped[s]++;
	/* The other shape counts when it began no earlier: alternating. */
	total = e->shaped[s] + (e->shape_start[!s] >= e->shape_start[s] ?
	    e->shaped[!s] : 0);
	if (e->fired || total < b->cfg.brute_attempts)
		return;
	elapsed = c->ts_us - e->shape_start[s];
	if ((double)e->shaped[s] * 1e6 > BRUTE_SHAPE_MAX_RATE *
	    (double)(elapsed > 0 ? elapsed : 1))
		return;
	/* Nor when the VM was reported flooding this target within the
	 * window: alike connections of a flood are the flood (ab). */
	{
		struct tgt_ent *t;
		int fresh;

		t = tgt_lookup(b, c->vm, c->target, 0, c->ts_us,
		    &fresh);
		if (t != NULL && t->last_dos != 0 &&
		    (c->ts_us + 1 < t->last_dos ||
		    c->ts_us + 1 - t->last_dos <= BRUTE_SHAPE_US))
			return;
	}
	hit_init(&h, CAT_BRUTEFORCE, brute_detector(e->k.port), e->k.vm,
	    e->k.target, 6, e->k.port);
	hit_figures(&h, elapsed, e->pkts, e->bytes, total, 0, total,
	    b->cfg.brute_attempts);
	behave_fmt_dur(dur, sizeof(dur), elapsed);
	snprintf(h.detail, sizeof(h.detail), "%u short connections of %s "
	    "(%u bytes out, %u back) to port %u in %s", total,
	    total > e->shaped[s] ? "two alternating shapes" : "one shape",
	    e->shape_from[s], e->shape_to[s], e->k.port, dur);
	if (emit(b, &e->last, c->ts_us, &h, hits, max, n))
		e->fired = 1;
}

/*
 * A connection whose login a protocol reader followed and saw refused
 * (an SSH session with no success reply, or a TLS session whose server
 * answered small requests only after a wrong password's delay, see
 * tlsrec.h): each refused attempt is one,
 * and a connection that was refused before any counted retry (a client
 * that skipped the "none" probe and gave up after one try) is one. This
 * is what finds a guesser trying several passwords a connection on any
 * port; it replaces the short-connection count for the connection.
 */
static size_t
login_refused(struct behave *b, const struct behave_conn *c,
    struct behave_hit *hits, size_t max)
{
	struct brute_ent *e;
	size_t n = 0;
	int fresh;

	e = brute_lookup(b, c->vm, c->target, c->target_port,
	    c->ts_us, &fresh);
	if (e == NULL)
		return 0;
	brute_roll(b, e, c->ts_us, fresh);
	if (c->login_tls)
		e->svc = SVC_TLS;
	else
		e->ssh = 1;
	add32(&e->pkts, c->pkts_from_vm);
	e->bytes += c->bytes_from_vm;
	add32(&e->attempts, c->logins_refused > 0 ? c->logins_refused : 1);
	b->logins += c->logins_refused > 0 ? c->logins_refused : 1;
	add32(&e->replies, c->logins_refused);
	brute_check(b, e, c->ts_us, hits, max, &n);
	return n;
}

/*
 * A short connection to an authentication service is one attempt, unless
 * failure replies were already counted for it: then those stand for the
 * connection (a client that tried three passwords in one FTP session is
 * three attempts, not four). Web ports count only once a 401 was seen.
 */
size_t
behave_conn_end(struct behave *b, const struct behave_conn *c,
    struct behave_hit *hits, size_t max)
{
	struct brute_ent *e;
	size_t n = 0;
	int fresh, web;

	if (c->proto == 6 && c->established) {
		struct tgt_ent *t;

		t = tgt_lookup(b, c->vm, c->target, 0, c->ts_us,
		    &fresh);
		if (t != NULL && t->conns_open > 0)
			t->conns_open--;
	}
	if (c->proto == 6 && c->login_read)
		return login_refused(b, c, hits, max);
	if (c->proto != 6 || !c->established ||
	    c->duration_us >= BRUTE_SHORT_US ||
	    c->bytes_to_vm >= BRUTE_SMALL_BYTES)
		return 0;
	web = is_http_port(c->target_port);
	e = brute_lookup(b, c->vm, c->target, c->target_port,
	    c->ts_us, &fresh);
	if (e == NULL)
		return 0;
	brute_roll(b, e, c->ts_us, fresh);
	if (e->ok_unclaimed > 0) {
		/* The server said the login succeeded: no guess. */
		e->ok_unclaimed--;
		return 0;
	}
	brute_shape(b, e, c, hits, max, &n);
	if (!is_auth_port(c->target_port) || (web && !e->http_failed))
		return n;
	add32(&e->pkts, c->pkts_from_vm);
	e->bytes += c->bytes_from_vm;
	if (e->unclaimed > 0)
		e->unclaimed = 0;
	else if (!web) {
		e->attempts++;
		b->logins++;
	}
	brute_check(b, e, c->ts_us, hits, max, &n);
	return n;
}

/* An HTTP request in clear from the VM: whether the requests to this
 * service carry credentials (a POST, an Authorization header), for the
 * guessing-by-shape rule (brute_shape). */
void
behave_brute_http_request(struct behave *b, const struct behave_pkt *p)
{
	struct brute_ent *e;
	int fresh;

	e = brute_lookup(b, p->vm, p->target, p->target_port,
	    p->ts_us, &fresh);
	if (e == NULL)
		return;
	brute_roll(b, e, p->ts_us, fresh);
	e->http_plain = 1;
	if (starts(p->payload, p->payload_len, "POST ") ||
	    contains(p->payload, p->payload_len < 2048 ? p->payload_len : 2048,
	    "\nAuthorization:"))
		e->http_creds = 1;
}
