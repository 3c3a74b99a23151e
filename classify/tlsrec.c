/*
 * tlsrec.c: TLS record sizes and what they carry (see tlsrec.h).
 *
 * The judges look at the records after the handshake, with each record's
 * length less the AEAD overhead (17 bytes in TLS 1.3: a 16-byte tag and
 * the inner content type; 24 in TLS 1.2's AES-GCM: an 8-byte explicit
 * nonce and the tag), which is the size of what the session carries.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "bytes.h"
#include "tlsrec.h"
#include "util.h"

#define REC_HANDSHAKE	22
#define REC_CCS		20
#define REC_HS		22
#define REC_DATA	23
#define REC_MAX_LEN	(16384 + 2048)	/* RFC 8446 section 5.2 */

struct rec {
	uint16_t len;
	uint16_t ms;		/* since the flow's first record, capped */
	uint8_t dir;
	uint8_t type;
};

struct tlsrec {
	uint64_t t0_us;
	uint16_t need[2];	/* bytes of the current record still to come */
	uint8_t hdr[2][5];	/* a record header split across segments */
	uint8_t hlen[2];
	uint8_t broken[2];	/* not TLS records (any more) */
	uint8_t n;
	struct rec r[TLSREC_MAX];
	/* Delayed refusals (tlsrec_delayed_replies), counted as records go
	 * by, past TLSREC_MAX too: */
	uint32_t req_ms, reply_ms;	/* the last small request, reply */
	uint8_t req_small, replied, reply_late;
	uint16_t delayed;
};

static void count_delay(struct tlsrec *t, int dir, uint16_t len,
    uint32_t ms);

size_t
tlsrec_size(void)
{
	return sizeof(struct tlsrec);
}

/* The records of the len captured bytes at d; returns 1 when the last
 * one kept came in. */
static int
parse(struct tlsrec *t, int dir, const uint8_t *d, size_t len, uint64_t ts_us)
{
	uint16_t rl;
	uint64_t ms;
	int judge = 0;

	if (t->broken[dir])
		return 0;
	if (t->n == 0 && t->hlen[0] == 0 && t->hlen[1] == 0)
		t->t0_us = ts_us;
	while (len > 0) {
		if (t->need[dir] > 0) {
			size_t take = len < t->need[dir] ? len : t->need[dir];

			t->need[dir] = (uint16_t)(t->need[dir] - take);
			d += take;
			len -= take;
			continue;
		}
		while (t->hlen[dir] < 5 && len > 0) {
			t->hdr[dir][t->hlen[dir]++] = *d++;
			len--;
		}
		if (t->hlen[dir] < 5)
			break;
		t->hlen[dir] = 0;
		rl = be16(t->hdr[dir] + 3);
		if (t->hdr[dir][0] < REC_CCS || t->hdr[dir][0] > REC_DATA ||
		    t->hdr[dir][1] != 3 || rl == 0 || rl > REC_MAX_LEN) {
			t->broken[dir] = 1;
			return 0;
		}
		ms = ts_us > t->t0_us ? (ts_us - t->t0_us) / 1000 : 0;
		t->need[dir] = rl;
		if (t->hdr[dir][0] == REC_DATA)
			count_delay(t, dir, rl, ms > UINT32_MAX ? UINT32_MAX :
			    (uint32_t)ms);
		if (t->n == TLSREC_MAX)
			continue;	/* past the kept ones: counted only */
		t->r[t->n].len = rl;
		t->r[t->n].ms = (uint16_t)(ms > 0xffff ? 0xffff : ms);
		t->r[t->n].dir = (uint8_t)dir;
		t->r[t->n].type = t->hdr[dir][0];
		if (++t->n == TLSREC_MAX)
			judge = 1;
	}
	return judge;
}



/*
 * A short snap length: a direction whose record header was not captured
 * is found again at a segment that is one whole application-data record
 * (an interactive protocol's line, each in a record and a segment of its
 * own).
 */
static void
resync(struct tlsrec *t, int dir, const uint8_t *d, size_t len, size_t wire)
{
	if (!t->broken[dir] || len < 5 ||
	    d[0] != REC_DATA || d[1] != 3 || (size_t)be16(d + 3) + 5 != wire)
		return;
	t->broken[dir] = 0;
	t->hlen[dir] = 0;
	t->need[dir] = 0;
}

/* len bytes of the direction went by uncaptured: skipped inside the
 * current record; where they held a record header, the direction is lost
 * until resync. */
static void
skip(struct tlsrec *t, int dir, size_t len)
{
	if (t->broken[dir])
		return;
	if (t->hlen[dir] == 0 && t->need[dir] >= len)
		t->need[dir] = (uint16_t)(t->need[dir] - len);
	else
		t->broken[dir] = 1;	/* a record header was not captured */
}

int
tlsrec_feed(struct tlsrec *t, int dir, const uint8_t *d, size_t len,
    size_t wire, uint64_t ts_us)
{
	int judge;

	if (t == NULL)
		return 0;
	dir = dir != 0;
	resync(t, dir, d, len, wire);
	judge = parse(t, dir, d, len, ts_us);
	if (wire > len)
		skip(t, dir, wire - len);
	return judge;
}

/* The session's data records, handshake left out, as (direction, size
 * carried); returns how many. */
struct datum {
	uint8_t dir;
	int size;
	uint16_t ms;
};

static size_t
data_records(const struct tlsrec *t, struct datum *out, int *tls13)
{
	size_t i, n = 0;
	int client_data = 0, v13 = 0, skipped_fin = 0, ov, tickets = 0,
	    server_data = 0;

	/* TLS 1.3: the server's first flight already holds data records
	 * (its encrypted handshake) before the client sends any. */
	for (i = 0; i < t->n; i++) {
		if (t->r[i].dir == 0 && t->r[i].type == REC_DATA)
			break;
		if (t->r[i].dir == 1 && t->r[i].type == REC_DATA) {
			v13 = 1;
			break;
		}
	}
	ov = v13 ? 17 : 24;
	for (i = 0; i < t->n; i++) {
		const struct rec *r = &t->r[i];

		if (r->type != REC_DATA)
			continue;
		if (r->dir == 1 && v13 && !client_data)
			continue;	/* the server's encrypted handshake */
		/* TLS 1.3 servers send one or two session tickets (RFC 8446
		 * section 4.6.1) once the client's Finished is in: small
		 * records before the server has said anything else. */
		if (r->dir == 1 && v13 && tickets < 2 && r->len <= 300 &&
		    !server_data) {
			tickets++;
			continue;
		}
		if (r->dir == 1)
			server_data = 1;
		if (r->dir == 0) {
			client_data = 1;
			if (v13 && !skipped_fin) {
				skipped_fin = 1;	/* the client's Finished */
				continue;
			}
		}
		out[n].dir = r->dir;
		out[n].size = (int)r->len - ov;
		out[n].ms = r->ms;
		n++;
	}
	*tls13 = v13;
	return n;
}

/* SSH inside: each side's version banner, then KEXINITs, the client's key
 * exchange and its 16-byte NEWKEYS (RFC 4253 sections 4.2, 7 and 7.3). */
static int
ssh_inside(const struct datum *D, size_t n)
{
	int c[4], k = 0, srv_big = 0, srv_small = 0;
	size_t i;

	for (i = 0; i < n && k < 4; i++) {
		if (D[i].dir == 0) {
			c[k++] = D[i].size;
		} else if (k >= 1) {
			if (D[i].size <= 255)
				srv_small = 1;
			if (k >= 2 && D[i].size >= 200)
				srv_big = 1;
		}
	}
	return k == 4 && c[0] >= 10 && c[0] <= 255 && srv_small &&
	    c[1] >= 200 && c[2] >= 32 && c[3] == 16 && srv_big;
}

/* An inner TLS handshake: a ClientHello's worth (512 bytes or more: the
 * padded hellos of OpenSSL, NSS, Go and Chrome), answered by a server
 * flight of more than 600 bytes before the client says anything else,
 * then the client's Finished: 64-80 bytes with its change_cipher_spec,
 * with what a tunnel's framing adds and often the first request in the
 * same record (600 bytes at most), sent as soon as the flight is in (a TLS
 * client computes it at once; an application's next request waits for
 * the application). An HTTP/1.1 client that sends a second request within
 * 20 ms of the answer to a first of 512 bytes or more has the same shape. */
#define FINISHED_MS	20
static int
tls_inside(const struct datum *D, size_t n, int *hello_size)
{
	size_t i, j;
	int csent = 0;

	for (i = 0; i < n && csent < 3; i++) {
		int flight = 0, sent = 0;

		if (D[i].dir != 0)
			continue;
		csent++;
		if (D[i].size < 512 || D[i].size > 2400)
			continue;
		for (j = i + 1; j < n && D[j].dir == 1; j++) {
			flight += D[j].size;
			sent++;
		}
		if (j < n && sent >= 1 && sent <= 6 && flight > 600 &&
		    D[j].size >= 50 && D[j].size <= 600 &&
		    D[j].ms - D[j - 1].ms <= FINISHED_MS) {
			*hello_size = D[i].size;
			return 1;
		}
	}
	return 0;
}

/* Tor's link protocol: fixed 514-byte cells (tor-spec section 3), so
 * nearly every data record carries a whole number of them. */
static int
tor_cells(const struct datum *D, size_t n, unsigned *cells)
{
	size_t i, k = 0;

	if (n < 6)
		return 0;
	for (i = 0; i < n; i++)
		if (D[i].size > 0 && D[i].size % 514 == 0)
			k++;
	*cells = (unsigned)k;
	return k * 4 >= n * 3;
}

/* Mining inside TLS: after its login, a miner's messages are shares, each
 * the same size (a job id, a nonce and a 32-byte result in fixed-width
 * hex), sent when a hash meets the target, so at irregular times (a
 * Poisson process: the gaps' coefficient of variation is near 1), and
 * each answered at once, a third or more by a short accept alone (a pool
 * may send the next job with it, or answer each with the accept and the
 * next job in one record of the same size). A timer-driven client (a
 * heartbeat, a poll) has near-constant gaps; HTTP answers are longer. */
#define SHARE_MIN	80	/* bytes of a share, at least */
#define SHARE_MAX	400
#define ANSWER_MS	50	/* a pool answers a share within this */
#define ACCEPT_MAX	100	/* bytes of an accept, at most */
#define MEAN_GAP_MS	50	/* shares come further apart than a burst */

static int
mining_cadence(const struct datum *D, size_t n, unsigned *shares,
    int *size, double *cv)
{
	size_t i, j, k = 0, nc = 0, same = 0, answered = 0, short_ans = 0,
	    na = 0, same_ans = 0;
	int c[TLSREC_MAX], a[TLSREC_MAX], cs, best = 0, mode = 0;
	double t[TLSREC_MAX], mean = 0, var = 0;
	size_t ci[TLSREC_MAX];

	/* the client's records after its first (a login; stratum's
	 * authorize after its subscribe is one record off the mode) */
	for (i = 0; i < n; i++) {
		if (D[i].dir != 0)
			continue;
		if (k++ < 1)
			continue;
		ci[nc] = i;
		c[nc++] = D[i].size;
	}
	if (nc < 6)
		return 0;
	for (i = 0; i < nc; i++) {
		int cnt = 0;

		for (j = 0; j < nc; j++)
			if (c[j] >= c[i] - 2 && c[j] <= c[i] + 2)
				cnt++;
		if (cnt > best) {
			best = cnt;
			mode = c[i];
		}
	}
	if (mode < SHARE_MIN || mode > SHARE_MAX)
		return 0;
	k = 0;
	for (i = 0; i < nc; i++) {
		size_t at = ci[i];

		if (c[i] < mode - 2 || c[i] > mode + 2)
			continue;
		same++;
		t[k++] = D[at].ms;
		if (at + 1 < n && D[at + 1].dir == 1 &&
		    D[at + 1].ms - D[at].ms <= ANSWER_MS) {
			answered++;
			a[na++] = D[at + 1].size;
			if (D[at + 1].size <= ACCEPT_MAX)
				short_ans++;
		}
	}
	/* A pool that sends the next job with each accept answers every
	 * share with one record of the same size instead. */
	for (i = 0; i < na; i++) {
		size_t cnt = 0;

		for (j = 0; j < na; j++)
			if (a[j] >= a[i] - 2 && a[j] <= a[i] + 2)
				cnt++;
		if (cnt > same_ans)
			same_ans = cnt;
	}
	if (same * 5 < nc * 4 || answered * 5 < same * 4 ||
	    (short_ans * 3 < answered && same_ans * 3 < answered * 2) || k < 6)
		return 0;
	for (i = 1; i < k; i++)
		mean += t[i] - t[i - 1];
	mean /= (double)(k - 1);
	for (i = 1; i < k; i++)
		var += (t[i] - t[i - 1] - mean) * (t[i] - t[i - 1] - mean);
	var /= (double)(k - 1);
	cs = mean >= MEAN_GAP_MS;
	*cv = mean > 0 ? sqrt(var) / mean : 0;
	*shares = (unsigned)same;
	*size = mode;
	return cs && *cv >= 0.35;
}

/*
 * A server that sends application data before the client has finished
 * its handshake. In TLS 1.2 a ChangeCipherSpec from the server before
 * the client's second flight is an abbreviated (resumed) handshake, after
 * which the client sends its own ChangeCipherSpec and Finished (RFC 5246
 * section 7.3) before the server has anything to read; its Finished is a
 * handshake record after the ChangeCipherSpec (in TLS 1.3 the records
 * after it are application data, its encrypted handshake). simple-obfs's
 * tls mode imitates a resumption and sends the tunnel's answer at once.
 */
static int
early_server_data(const struct tlsrec *t)
{
	size_t i;
	int state = 0;	/* 1 server hello, 2 CCS, 3 Finished */

	if (t->n < 4 || t->r[0].dir != 0 || t->r[0].type != REC_HS)
		return 0;
	for (i = 1; i < t->n; i++) {
		const struct rec *r = &t->r[i];

		if (r->dir == 0)
			return 0;	/* the client spoke again first */
		if (state == 0 && r->type == REC_HS)
			state = 1;
		else if (state == 1 && r->type == REC_HS)
			;
		else if (state == 1 && r->type == REC_CCS)
			state = 2;
		else if (state == 2 && r->type == REC_HS)
			state = 3;
		else if (state == 3 && r->type == REC_DATA)
			return 1;
		else
			return 0;
	}
	return 0;
}

int
tlsrec_judge(const struct tlsrec *t, struct heur_hit *hit)
{
	struct datum D[TLSREC_MAX];
	unsigned cells, shares;
	size_t n;
	int v13, hello, share;
	double cv;

	if (t == NULL)
		return 0;
	n = data_records(t, D, &v13);
	hit->confidence = CONF_MEDIUM;
	if (early_server_data(t)) {
		hit->category = CAT_PROXY;
		hit->name = "tls-imitation";
		snprintf(hit->detail, sizeof(hit->detail),
		    "server sent data before the client finished a resumed "
		    "TLS 1.2 handshake");
		return 1;
	}
	if (ssh_inside(D, n)) {
		hit->category = CAT_REMOTE_ACCESS;
		hit->name = "ssh-in-tls";
		snprintf(hit->detail, sizeof(hit->detail),
		    "record sizes of an SSH banner, key exchange and 16-byte "
		    "NEWKEYS inside TLS%s", v13 ? " 1.3" : "");
		return 1;
	}
	if (tor_cells(D, n, &cells)) {
		hit->category = CAT_PROXY;
		hit->name = "tor-cells";
		snprintf(hit->detail, sizeof(hit->detail),
		    "%u of %zu data records carry whole 514-byte Tor cells",
		    cells, n);
		return 1;
	}
	if (mining_cadence(D, n, &shares, &share, &cv)) {
		hit->category = CAT_MINING;
		hit->name = "mining-cadence";
		snprintf(hit->detail, sizeof(hit->detail),
		    "%u shares of %d bytes at irregular times (cv %.2f), each "
		    "accepted at once, inside TLS", shares, share, cv);
		return 1;
	}
	if (tls_inside(D, n, &hello)) {
		hit->category = CAT_PROXY;
		hit->name = "tls-in-tls";
		snprintf(hit->detail, sizeof(hit->detail),
		    "inner %d-byte hello, server flight, small Finished: a TLS "
		    "handshake inside TLS", hello);
		return 1;
	}
	return 0;
}

/*
 * Login refusals inside TLS, by their timing: servers answer a wrong
 * password only after a delay (dovecot's auth_failure_delay and PAM's
 * pam_faildelay are 2 s, vsftpd's delay_failed_login 1 s) and a right one
 * at once; a guesser sends its next password as soon as the refusal is in.
 * One refusal: a small client record (at most DELAY_REQ_MAX bytes with
 * the record's overhead: a LOGIN, PASS or AUTH line), the server's next
 * record small too (at most DELAY_REPLY_MAX) and DELAY_MIN_MS to
 * DELAY_MAX_MS after it, and the client's next record within
 * DELAY_NEXT_MS of that reply.
 */
#define DELAY_REQ_MAX	152
#define DELAY_REPLY_MAX	184
#define DELAY_MIN_MS	900
#define DELAY_MAX_MS	4500
#define DELAY_NEXT_MS	1000

static void
count_delay(struct tlsrec *t, int dir, uint16_t len, uint32_t ms)
{
	if (dir == 0) {
		if (t->reply_late && ms - t->reply_ms <= DELAY_NEXT_MS &&
		    t->delayed < UINT16_MAX)
			t->delayed++;
		t->reply_late = t->replied = 0;
		t->req_small = len <= DELAY_REQ_MAX;
		t->req_ms = ms;
		return;
	}
	if (!t->replied)
		t->reply_late = t->req_small && len <= DELAY_REPLY_MAX &&
		    ms >= t->req_ms + DELAY_MIN_MS &&
		    ms <= t->req_ms + DELAY_MAX_MS;
	else
		t->reply_late = 0;	/* more than one record: no refusal */
	t->replied = 1;
	t->reply_ms = ms;
}

unsigned
tlsrec_delayed_replies(const struct tlsrec *t)
{
	return t == NULL ? 0 : t->delayed;
}
