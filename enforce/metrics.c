/*
 * metrics.c: the HTTP server of /metrics and /healthz (see metrics.h);
 * the text /metrics answers with is rendered by promtext.c.
 *
 * The server is in two parts, so that no client can hold what another
 * needs: /healthz is a liveness probe, and a probe that goes unanswered
 * gets a healthy capture restarted. libmicrohttpd parses and answers. A
 * thread of ours, the gate, owns the listening socket (made and bound
 * here, so a bind failure comes with its own errno and the bound port is
 * one getsockname() away) and hands a connection to the library
 * (MHD_add_connection) only once the whole request header has arrived,
 * seen with MSG_PEEK so that the library still reads all of it. The
 * library's own limit and timeout could not do this: its timeout counts
 * from the last byte, so a client trickling one more often never ends, and
 * sixteen such clients held every connection it would take.
 *
 * So the library only ever holds requests it can answer at once, and every
 * answer says "Connection: close", so none stays for a second request. The
 * gate gives each connection METRICS_HEADER_US from its accept to send a
 * whole header, however steadily it trickles; when all its
 * METRICS_WAIT_MAX places are taken, a new connection takes the place of
 * the oldest one still without a whole header, so a client that sends its
 * request at once always gets in. No place is set aside for /healthz: the
 * path is known only once the header is whole, and from then on every
 * request is answered at once. Nor is there a share per client address:
 * the kubelet probes from the node's own address, the one every process on
 * the node connects from, and a share would lock the probe out along with
 * such a process. A connection handed over is cut METRICS_SERVE_US later,
 * or after METRICS_SERVE_GRACE_US when a whole request waits for its
 * place: cut means shutdown(2) on its descriptor, after which the library
 * sees the stream end and closes the connection itself. The connections
 * held are thus bounded (METRICS_WAIT_MAX waiting, METRICS_SERVE_MAX
 * served), and so are the threads: the library's one and the gate.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "metrics.h"
#include "util.h"

#define METRICS_DEFAULT_ADDR	"127.0.0.1"
/* A scraper or two and a health checker, with room to spare: the
 * connections the library holds at once, each with a whole request. */
#define METRICS_SERVE_MAX	16
/* Connections waiting for a whole request header: a descriptor and this
 * table's entry each, nothing more. */
#define METRICS_WAIT_MAX	64
/* A request header must be whole this long after the accept ... */
#define METRICS_HEADER_US	(2 * 1000000)
/* ... and its answer taken this long after the handing over. */
#define METRICS_SERVE_US	(5 * 1000000)
/* When a whole request waits for a place, a connection the library has
 * held this long is cut to make room: an answer takes milliseconds, and
 * one that takes longer is stuck with a client that does not read it. */
#define METRICS_SERVE_GRACE_US	(1000 * 1000)
/* A connection handed over that the library has not taken within this
 * was refused by it (it closed the descriptor); its place is freed. */
#define METRICS_HANDOFF_US	(1000 * 1000)
/* A longer request header is closed unanswered: a request for us is a
 * line and a few fields. */
#define METRICS_HEADER_MAX	8192
/* Connections accepted per turn of the gate, so that a flood of them
 * cannot starve the ones already waiting. */
#define METRICS_ACCEPT_BATCH	16
/* Out of descriptors or memory: accept again after this. */
#define METRICS_ACCEPT_PAUSE_US	(100 * 1000)
#define METRICS_BACKLOG		64
#define METRICS_WHY_MAX		256

#define METRICS_CONTENT_TYPE	"text/plain; version=0.0.4; charset=utf-8"
#define METRICS_TEXT_TYPE	"text/plain; charset=utf-8"

/* A connection the gate holds until its request header is whole. */
struct metrics_wait {
	int fd;
	int whole;			/* the whole header has arrived */
	uint64_t since;			/* accepted, mono_us() */
	struct sockaddr_storage addr;
	socklen_t addrlen;
};

/* A connection handed to the library, until it says it closed it. */
struct metrics_served {
	int fd;				/* -1: a free place */
	int started;			/* the library took it */
	int cut;			/* shut down by the gate */
	uint64_t since;			/* handed over, mono_us() */
};

struct metrics {
	struct MHD_Daemon *mhd;
	char build[3][128];		/* version, nDPI, libpcap */
	struct metrics_build bi;	/* pointing into build */
	int has_bi;
	metrics_collect_fn collect;
	metrics_health_fn health;
	void *arg;
	int port;			/* bound port, host order */
	int lfd;			/* the listening socket, the gate's */
	int ep;				/* the gate's epoll */
	int wake[2];			/* pipe: stop, or a place was freed */
	int stopping;
	pthread_t gate;
	/* The gate's alone; fd -1 marks a free entry. */
	struct metrics_wait wait[METRICS_WAIT_MAX];
	unsigned nwait;			/* entries in use */
	/* Shared with the library's thread, under mu. */
	pthread_mutex_t mu;
	struct metrics_served served[METRICS_SERVE_MAX];
	/* Counts, read by a scrape. */
	uint64_t timeouts;		/* cut for being slow */
	uint64_t dropped;		/* closed for want of a place */
};

/* Parses a decimal port 0-65535; returns 0 or -1. */
static int
parse_port(const char *s, in_port_t *port)
{
	unsigned long v = 0;
	const char *p;

	if (*s == '\0')
		return -1;
	for (p = s; *p != '\0'; p++) {
		if (*p < '0' || *p > '9')
			return -1;
		v = v * 10 + (unsigned long)(*p - '0');
		if (v > 65535)
			return -1;
	}
	*port = htons((in_port_t)v);
	return 0;
}

int
metrics_parse_addr(const char *spec, struct sockaddr_storage *ss, char *err,
    size_t errlen)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;
	char host[INET6_ADDRSTRLEN + 2];
	const char *port, *colon, *end;
	size_t hlen;
	int v6 = 0;

	memset(ss, 0, sizeof(*ss));
	if (spec == NULL || *spec == '\0') {
		snprintf(err, errlen, "metrics address is empty");
		return -1;
	}
	if (spec[0] == '[') {
		if ((end = strchr(spec, ']')) == NULL || end[1] != ':') {
			snprintf(err, errlen, "metrics address \"%s\": "
			    "[IPV6]:PORT expected", spec);
			return -1;
		}
		v6 = 1;
		hlen = (size_t)(end - spec - 1);
		if (hlen >= sizeof(host))
			goto badaddr;
		memcpy(host, spec + 1, hlen);
		host[hlen] = '\0';
		port = end + 2;
	} else if ((colon = strchr(spec, ':')) != NULL) {
		if (strchr(colon + 1, ':') != NULL) {
			snprintf(err, errlen, "metrics address \"%s\": an IPv6 "
			    "address goes in brackets, [ADDR]:PORT", spec);
			return -1;
		}
		hlen = (size_t)(colon - spec);
		if (hlen >= sizeof(host))
			goto badaddr;
		memcpy(host, spec, hlen);
		host[hlen] = '\0';
		port = colon + 1;
	} else {
		str_copy(host, METRICS_DEFAULT_ADDR, sizeof(host));
		port = spec;
	}

	if (parse_port(port, v6 ? &sin6->sin6_port : &sin->sin_port) == -1) {
		snprintf(err, errlen, "metrics address \"%s\": bad port \"%s\" "
		    "(0-65535)", spec, port);
		return -1;
	}
	/* inet_pton() only: a host name would need a DNS lookup, and what
	 * to listen on should not depend on a resolver. */
	if (v6) {
		sin6->sin6_family = AF_INET6;
		if (inet_pton(AF_INET6, host, &sin6->sin6_addr) != 1)
			goto badaddr;
	} else {
		sin->sin_family = AF_INET;
		if (inet_pton(AF_INET, host, &sin->sin_addr) != 1)
			goto badaddr;
	}
	return 0;

badaddr:
	snprintf(err, errlen, "metrics address \"%s\": not a numeric IPv4 "
	    "address or [IPv6] address", spec);
	memset(ss, 0, sizeof(*ss));
	return -1;
}

static enum MHD_Result
reply(struct MHD_Connection *conn, unsigned status, const char *type,
    char *body, size_t len, enum MHD_ResponseMemoryMode mode)
{
	struct MHD_Response *r;
	enum MHD_Result ret;

	if ((r = MHD_create_response_from_buffer(len, body, mode)) == NULL) {
		if (mode == MHD_RESPMEM_MUST_FREE)
			free(body);
		return MHD_NO;
	}
	if (MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type) ==
	    MHD_NO)
		goto fail;
	/* One request per connection: an open connection waiting for a
	 * second one would hold its place as a slow client does. */
	if (MHD_add_response_header(r, MHD_HTTP_HEADER_CONNECTION, "close") ==
	    MHD_NO)
		goto fail;
	if (status == MHD_HTTP_METHOD_NOT_ALLOWED &&
	    MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, "GET, HEAD") ==
	    MHD_NO)
		goto fail;
	ret = MHD_queue_response(conn, status, r);
	MHD_destroy_response(r);
	return ret;
fail:
	MHD_destroy_response(r);
	return MHD_NO;
}

static enum MHD_Result
reply_static(struct MHD_Connection *conn, unsigned status, const char *text)
{
	return reply(conn, status, METRICS_TEXT_TYPE, (char *)text,
	    strlen(text), MHD_RESPMEM_PERSISTENT);
}

static enum MHD_Result
serve_metrics(struct metrics *m, struct MHD_Connection *conn)
{
	struct stats_event *s;
	size_t need, got;
	char *body;

	/* About 3 KiB: on the heap, as the HTTP thread's stack is the
	 * library's to size. */
	s = xcalloc(1, sizeof(*s));
	if (m->collect != NULL)
		m->collect(s, m->arg);
	/* After the collector's: a full event leaves these out, not its. */
	stats_add(s, "metrics", "conn_timeouts",
	    __atomic_load_n(&m->timeouts, __ATOMIC_RELAXED));
	stats_add(s, "metrics", "conn_dropped",
	    __atomic_load_n(&m->dropped, __ATOMIC_RELAXED));
	/* The size is bounded by STATS_MAX_COUNTERS lines of bounded
	 * names, a few tens of KiB at most. */
	need = metrics_render(s, m->has_bi ? &m->bi : NULL, NULL, 0);
	body = xmalloc(need + 1);
	got = metrics_render(s, m->has_bi ? &m->bi : NULL, body,
	    need + 1);
	free(s);
	if (got > need)		/* cannot happen: s did not change */
		got = need;
	return reply(conn, MHD_HTTP_OK, METRICS_CONTENT_TYPE, body, got,
	    MHD_RESPMEM_MUST_FREE);
}

static enum MHD_Result
serve_health(struct metrics *m, struct MHD_Connection *conn)
{
	char why[METRICS_WHY_MAX], *body;
	size_t n;

	why[0] = '\0';
	if (m->health == NULL || m->health(m->arg, why, sizeof(why)) == 1)
		return reply_static(conn, MHD_HTTP_OK, "ok\n");
	why[sizeof(why) - 1] = '\0';
	if (why[0] == '\0')
		str_copy(why, "unhealthy", sizeof(why));
	n = strlen(why);
	body = xmalloc(n + 2);
	memcpy(body, why, n);
	body[n++] = '\n';
	body[n] = '\0';
	return reply(conn, MHD_HTTP_SERVICE_UNAVAILABLE, METRICS_TEXT_TYPE, body,
	    n, MHD_RESPMEM_MUST_FREE);
}

/* libmicrohttpd's access handler. It answers on the first call, before
 * any request body is read: no path here takes one, so a body is never
 * waited for, and the library discards it. */
static enum MHD_Result
handle(void *cls, struct MHD_Connection *conn, const char *url,
    const char *method, const char *version, const char *upload_data,
    size_t *upload_data_size, void **con_cls)
{
	struct metrics *m = cls;

	(void)version;
	(void)upload_data;
	(void)upload_data_size;
	(void)con_cls;
	if (method == NULL || url == NULL)
		return MHD_NO;
	if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 &&
	    strcmp(method, MHD_HTTP_METHOD_HEAD) != 0)
		return reply_static(conn, MHD_HTTP_METHOD_NOT_ALLOWED,
		    "method not allowed\n");
	if (strcmp(url, "/metrics") == 0)
		return serve_metrics(m, conn);
	if (strcmp(url, "/healthz") == 0)
		return serve_health(m, conn);
	return reply_static(conn, MHD_HTTP_NOT_FOUND, "not found\n");
}

static void
mhd_log(void *cls, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));

/* The library's own messages are about single connections (a client gone,
 * a bad request): worth seeing when debugging, not in the log otherwise. */
static void
mhd_log(void *cls, const char *fmt, va_list ap)
{
	char msg[256];
	size_t n;

	(void)cls;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	n = strlen(msg);
	while (n > 0 && msg[n - 1] == '\n')
		msg[--n] = '\0';
	log_debug("metrics: %s", msg);
}

/*
 * Whether the request header on fd is whole, peeked at without taking it:
 * 1 yes, 0 not yet, -1 never (the peer is gone, or it is too long). Empty
 * lines before the request line are skipped, as the library skips them:
 * they do not end a header.
 */
static int
header_state(int fd)
{
	char buf[METRICS_HEADER_MAX];
	ssize_t n, i;

	n = recv(fd, buf, sizeof(buf), MSG_PEEK | MSG_DONTWAIT);
	if (n == -1)
		return errno == EAGAIN || errno == EWOULDBLOCK ||
		    errno == EINTR ? 0 : -1;
	if (n == 0)
		return -1;
	for (i = 0; i < n && (buf[i] == '\r' || buf[i] == '\n'); i++)
		;
	for (; i < n; i++) {
		if (buf[i] != '\n')
			continue;
		if ((i + 1 < n && buf[i + 1] == '\n') ||
		    (i + 2 < n && buf[i + 1] == '\r' && buf[i + 2] == '\n'))
			return 1;
	}
	return n == (ssize_t)sizeof(buf) ? -1 : 0;
}

static void
bump(uint64_t *counter)
{
	__atomic_add_fetch(counter, 1, __ATOMIC_RELAXED);
}

/* Wakes the gate's epoll_wait(). */
static void
wake_gate(struct metrics *m)
{
	/* EAGAIN: the pipe is full, so the gate is to wake anyway. */
	if (write(m->wake[1], "", 1) == -1 && errno != EAGAIN)
		log_debug("metrics: wake: %s", strerror(errno));
}

/* Closes the waiting connection i; closing takes it out of the epoll set
 * too, as the descriptor has no other copy. */
static void
wait_close(struct metrics *m, unsigned i)
{
	close(m->wait[i].fd);
	m->wait[i].fd = -1;
	m->nwait--;
}

/* The oldest waiting connection whose header is (whole) or is not yet
 * (!whole) whole, or -1. */
static int
wait_oldest(const struct metrics *m, int whole)
{
	int i, oldest = -1;

	for (i = 0; i < METRICS_WAIT_MAX; i++)
		if (m->wait[i].fd != -1 && m->wait[i].whole == whole &&
		    (oldest == -1 || m->wait[i].since < m->wait[oldest].since))
			oldest = i;
	return oldest;
}

static uint64_t
earlier(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

/*
 * Hands the waiting connection i to the library when there is a place for
 * it, and returns 1; else returns 0 and makes a place if it can, setting
 * *next to when it next may. Called with mu held; returns with it held.
 */
static int
hand_over(struct metrics *m, unsigned i, uint64_t now, uint64_t *next)
{
	struct metrics_wait *w = &m->wait[i];
	struct metrics_served *oldest = NULL;
	unsigned j, place = METRICS_SERVE_MAX;
	int fd = w->fd, cut = 0;

	for (j = 0; j < METRICS_SERVE_MAX; j++) {
		struct metrics_served *p = &m->served[j];

		/* Not taken by the library and fd is the gate's again: the
		 * library refused it and closed the descriptor. */
		if (p->fd == fd && !p->started)
			p->fd = -1;
		if (p->fd == -1) {
			if (place == METRICS_SERVE_MAX)
				place = j;
		} else if (p->cut)
			cut = 1;
		else if (p->started &&
		    (oldest == NULL || p->since < oldest->since))
			oldest = p;
	}
	if (place == METRICS_SERVE_MAX) {
		/* One cut already makes the place. */
		if (cut || oldest == NULL)
			return 0;
		if (now - oldest->since < METRICS_SERVE_GRACE_US) {
			*next = earlier(*next, oldest->since +
			    METRICS_SERVE_GRACE_US);
			return 0;
		}
		shutdown(oldest->fd, SHUT_RDWR);
		oldest->cut = 1;
		bump(&m->dropped);
		return 0;
	}
	m->served[place].fd = fd;
	m->served[place].started = 0;
	m->served[place].cut = 0;
	m->served[place].since = now;
	epoll_ctl(m->ep, EPOLL_CTL_DEL, fd, NULL);
	w->fd = -1;
	m->nwait--;
	/* Not under mu: an older library may tell of the connection from
	 * within the call, and its notice takes mu. */
	pthread_mutex_unlock(&m->mu);
	/* On failure the library has closed fd. */
	if (MHD_add_connection(m->mhd, fd, (struct sockaddr *)&w->addr,
	    w->addrlen) == MHD_NO) {
		pthread_mutex_lock(&m->mu);
		if (m->served[place].fd == fd && !m->served[place].started)
			m->served[place].fd = -1;
		bump(&m->dropped);
	} else
		pthread_mutex_lock(&m->mu);
	return 1;
}

/*
 * Cuts what is late, hands over what is whole; returns when something is
 * next due (UINT64_MAX: nothing).
 */
static uint64_t
gate_turn(struct metrics *m, uint64_t now)
{
	uint64_t next = UINT64_MAX, due;
	unsigned j;
	int i;

	for (i = 0; i < METRICS_WAIT_MAX; i++) {
		if (m->wait[i].fd == -1)
			continue;
		due = m->wait[i].since + METRICS_HEADER_US;
		if (now >= due) {
			wait_close(m, (unsigned)i);
			bump(&m->timeouts);
		} else
			next = earlier(next, due);
	}

	pthread_mutex_lock(&m->mu);
	for (j = 0; j < METRICS_SERVE_MAX; j++) {
		struct metrics_served *p = &m->served[j];

		if (p->fd == -1 || p->cut)
			continue;
		if (!p->started) {
			/* The descriptor may be another's by now: it is
			 * forgotten, never shut down. */
			due = p->since + METRICS_HANDOFF_US;
			if (now >= due)
				p->fd = -1;
			else
				next = earlier(next, due);
			continue;
		}
		due = p->since + METRICS_SERVE_US;
		if (now >= due) {
			/* Still the library's: it closes it only after its
			 * notice, which waits for mu. */
			shutdown(p->fd, SHUT_RDWR);
			p->cut = 1;
			bump(&m->timeouts);
		} else
			next = earlier(next, due);
	}
	while ((i = wait_oldest(m, 1)) != -1 &&
	    hand_over(m, (unsigned)i, now, &next))
		;
	pthread_mutex_unlock(&m->mu);
	return next;
}

/* Looks at the header on the waiting connection i again, after epoll
 * said something came (events). */
static void
wait_check(struct metrics *m, unsigned i, uint32_t events)
{
	int state;

	if (m->wait[i].fd == -1 || m->wait[i].whole)
		return;
	state = header_state(m->wait[i].fd);
	/* A peer that stopped sending before its header was whole will
	 * never make it whole. */
	if (state == -1 || (state == 0 &&
	    (events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR)) != 0))
		wait_close(m, i);
	else
		m->wait[i].whole = state;
}

/* Takes the connections waiting in the kernel, METRICS_ACCEPT_BATCH at
 * most; returns when to accept again after a failure, else 0. */
static uint64_t
gate_accept(struct metrics *m, uint64_t now)
{
	struct epoll_event ev;
	struct sockaddr_storage ss;
	socklen_t sslen;
	unsigned k;
	int fd, state, i;

	for (k = 0; k < METRICS_ACCEPT_BATCH; k++) {
		sslen = sizeof(ss);
		fd = accept4(m->lfd, (struct sockaddr *)&ss, &sslen,
		    SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd == -1) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			if (errno == EMFILE || errno == ENFILE ||
			    errno == ENOBUFS || errno == ENOMEM) {
				log_debug("metrics: accept: %s",
				    strerror(errno));
				return now + METRICS_ACCEPT_PAUSE_US;
			}
			return 0;
		}
		/* A prompt client's request is often here already. */
		if ((state = header_state(fd)) == -1) {
			close(fd);
			continue;
		}
		if (m->nwait == METRICS_WAIT_MAX) {
			bump(&m->dropped);
			if ((i = wait_oldest(m, 0)) == -1) {
				/* All whole: they go first. */
				close(fd);
				continue;
			}
			wait_close(m, (unsigned)i);
		}
		for (i = 0; m->wait[i].fd != -1; i++)
			;
		/* Edge-triggered: a peek leaves the bytes in, and a level
		 * would report them again and again. Bytes come between
		 * the peek and this call are reported by it. */
		ev.events = EPOLLIN | EPOLLRDHUP | EPOLLET;
		ev.data.u32 = (uint32_t)i;
		if (!state && epoll_ctl(m->ep, EPOLL_CTL_ADD, fd, &ev) == -1) {
			log_debug("metrics: epoll_ctl: %s", strerror(errno));
			close(fd);
			continue;
		}
		m->wait[i].fd = fd;
		m->wait[i].whole = state;
		m->wait[i].since = now;
		m->wait[i].addr = ss;
		m->wait[i].addrlen = sslen;
		m->nwait++;
	}
	return 0;
}

#define GATE_WAKE	METRICS_WAIT_MAX	/* epoll data of the pipe */
#define GATE_LISTEN	(METRICS_WAIT_MAX + 1)	/* of the listening socket */

/* The gate's thread: accepts, watches the headers come, hands over. */
static void *
gate_main(void *arg)
{
	struct metrics *m = arg;
	struct epoll_event evs[2 + METRICS_WAIT_MAX], ev;
	uint64_t now, next, accept_at = 0;
	char drain[64];
	int i, n, timeout, incoming, listening = 1;

	for (;;) {
		now = mono_us();
		next = gate_turn(m, now);
		if (!listening && now >= accept_at) {
			ev.events = EPOLLIN;
			ev.data.u32 = GATE_LISTEN;
			if (epoll_ctl(m->ep, EPOLL_CTL_MOD, m->lfd, &ev) == 0)
				listening = 1;
			else
				accept_at = now + METRICS_ACCEPT_PAUSE_US;
		}
		if (!listening)
			next = earlier(next, accept_at);
		timeout = next == UINT64_MAX ? -1 :
		    next <= now ? 0 : (int)((next - now + 999) / 1000);
		if ((n = epoll_wait(m->ep, evs, (int)NELEM(evs), timeout)) ==
		    -1) {
			if (errno != EINTR) {
				log_debug("metrics: epoll_wait: %s",
				    strerror(errno));
				nanosleep(&(struct timespec){ 0,
				    METRICS_ACCEPT_PAUSE_US * 1000L }, NULL);
			}
			continue;
		}
		now = mono_us();
		incoming = 0;
		for (i = 0; i < n; i++) {
			uint32_t what = evs[i].data.u32;

			if (what == GATE_WAKE) {
				while (read(m->wake[0], drain,
				    sizeof(drain)) > 0)
					;
				if (__atomic_load_n(&m->stopping,
				    __ATOMIC_ACQUIRE))
					return NULL;
			} else if (what == GATE_LISTEN)
				incoming = 1;
			else
				wait_check(m, what, evs[i].events);
		}
		/* Last: an accept may reuse the entry of one closed to make
		 * room, and an event of the closed one must not reach it. */
		if (incoming && (accept_at = gate_accept(m, now)) != 0) {
			/* Not ready again until the pause ends. */
			ev.events = 0;
			ev.data.u32 = GATE_LISTEN;
			if (epoll_ctl(m->ep, EPOLL_CTL_MOD, m->lfd, &ev) == 0)
				listening = 0;
		}
	}
}

/* The library's notice of a connection taken or closed, on its thread. A
 * closed one is told of before its descriptor is closed, so the gate,
 * which shuts descriptors down only under mu, never touches another's. */
static void
on_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
    enum MHD_ConnectionNotificationCode toe)
{
	struct metrics *m = cls;
	const union MHD_ConnectionInfo *ci;
	unsigned j;

	(void)socket_context;
	ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
	if (ci == NULL)
		return;
	pthread_mutex_lock(&m->mu);
	for (j = 0; j < METRICS_SERVE_MAX; j++) {
		if (m->served[j].fd != ci->connect_fd)
			continue;
		if (toe == MHD_CONNECTION_NOTIFY_STARTED)
			m->served[j].started = 1;
		else
			m->served[j].fd = -1;
		break;
	}
	pthread_mutex_unlock(&m->mu);
	/* A place is free: a whole request may be waiting for it. */
	if (toe == MHD_CONNECTION_NOTIFY_CLOSED)
		wake_gate(m);
}

struct metrics *
metrics_start(const char *spec, const struct metrics_build *b,
    metrics_collect_fn collect, metrics_health_fn health, void *arg,
    char *err, size_t errlen)
{
	struct sockaddr_storage ss, bound;
	struct epoll_event ev;
	sigset_t all, old;
	socklen_t sslen, blen;
	struct metrics *m;
	const char *what;
	int fd, one = 1, flags;
	unsigned j;

	if (metrics_parse_addr(spec, &ss, err, errlen) == -1)
		return NULL;
	sslen = ss.ss_family == AF_INET6 ? sizeof(struct sockaddr_in6) :
	    sizeof(struct sockaddr_in);
	if ((fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC |
	    SOCK_NONBLOCK, 0)) == -1) {
		snprintf(err, errlen, "metrics %s: socket: %s", spec,
		    strerror(errno));
		return NULL;
	}
	/* A restart must not wait out TIME_WAIT of the last scrape. */
	what = "setsockopt";
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) == -1)
		goto sockfail;
	/* "[::]" means IPv6 only, as in nginx: 0.0.0.0 is its own listener. */
	if (ss.ss_family == AF_INET6 && setsockopt(fd, IPPROTO_IPV6,
	    IPV6_V6ONLY, &one, sizeof(one)) == -1)
		goto sockfail;
	what = "bind";
	if (bind(fd, (struct sockaddr *)&ss, sslen) == -1)
		goto sockfail;
	what = "listen";
	if (listen(fd, METRICS_BACKLOG) == -1)
		goto sockfail;
	what = "getsockname";
	blen = sizeof(bound);
	if (getsockname(fd, (struct sockaddr *)&bound, &blen) == -1)
		goto sockfail;
	m = xcalloc(1, sizeof(*m));
	if (b != NULL) {
		str_copy(m->build[0], b->version, sizeof(m->build[0]));
		str_copy(m->build[1], b->ndpi, sizeof(m->build[1]));
		str_copy(m->build[2], b->libpcap, sizeof(m->build[2]));
		m->bi.version = m->build[0];
		m->bi.ndpi = m->build[1];
		m->bi.libpcap = m->build[2];
		m->has_bi = 1;
	}
	m->collect = collect;
	m->health = health;
	m->arg = arg;
	m->lfd = fd;
	m->port = ntohs(bound.ss_family == AF_INET6 ?
	    ((struct sockaddr_in6 *)&bound)->sin6_port :
	    ((struct sockaddr_in *)&bound)->sin_port);
	pthread_mutex_init(&m->mu, NULL);
	for (j = 0; j < METRICS_WAIT_MAX; j++)
		m->wait[j].fd = -1;
	for (j = 0; j < METRICS_SERVE_MAX; j++)
		m->served[j].fd = -1;
	m->ep = m->wake[0] = m->wake[1] = -1;
	what = "pipe";
	if (pipe2(m->wake, O_NONBLOCK | O_CLOEXEC) == -1)
		goto fail;
	what = "epoll";
	if ((m->ep = epoll_create1(EPOLL_CLOEXEC)) == -1)
		goto fail;
	ev.events = EPOLLIN;
	ev.data.u32 = GATE_WAKE;
	if (epoll_ctl(m->ep, EPOLL_CTL_ADD, m->wake[0], &ev) == -1)
		goto fail;
	ev.data.u32 = GATE_LISTEN;
	if (epoll_ctl(m->ep, EPOLL_CTL_ADD, fd, &ev) == -1)
		goto fail;

	/* Both threads leave signals to the main thread. */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	/* MHD_USE_AUTO picks epoll: select() would fail on a descriptor
	 * above FD_SETSIZE, which a busy daemon can reach. The ITC wakes
	 * the library's thread for a connection handed over. Its limit has
	 * room beyond the gate's: a place is freed at the close notice,
	 * just before the library forgets the connection itself. */
	flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO |
	    MHD_USE_ERROR_LOG | MHD_USE_NO_LISTEN_SOCKET | MHD_USE_ITC;
	m->mhd = MHD_start_daemon((unsigned)flags, 0, NULL, NULL, handle, m,
	    MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,
	    MHD_OPTION_NOTIFY_CONNECTION, on_connection, m,
	    MHD_OPTION_CONNECTION_LIMIT, (unsigned)(2 * METRICS_SERVE_MAX),
	    MHD_OPTION_CONNECTION_TIMEOUT,
	    (unsigned)(METRICS_SERVE_US / 1000000),
	    MHD_OPTION_END);
	if (m->mhd == NULL)
		snprintf(err, errlen, "metrics %s: cannot start the HTTP "
		    "server", spec);
	else if (pthread_create(&m->gate, NULL, gate_main, m) != 0) {
		snprintf(err, errlen, "metrics %s: cannot start a thread",
		    spec);
		MHD_stop_daemon(m->mhd);
		m->mhd = NULL;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (m->mhd != NULL)
		return m;
	goto undo;

fail:
	snprintf(err, errlen, "metrics %s: %s: %s", spec, what,
	    strerror(errno));
undo:
	if (m->ep != -1)
		close(m->ep);
	if (m->wake[0] != -1) {
		close(m->wake[0]);
		close(m->wake[1]);
	}
	pthread_mutex_destroy(&m->mu);
	free(m);
	close(fd);
	return NULL;

sockfail:
	snprintf(err, errlen, "metrics %s: %s: %s", spec, what, strerror(errno));
	close(fd);
	return NULL;
}

int
metrics_port(const struct metrics *m)
{
	return m == NULL ? -1 : m->port;
}

void
metrics_stop(struct metrics *m)
{
	unsigned i;

	if (m == NULL)
		return;
	__atomic_store_n(&m->stopping, 1, __ATOMIC_RELEASE);
	wake_gate(m);
	pthread_join(m->gate, NULL);
	for (i = 0; i < METRICS_WAIT_MAX; i++)
		if (m->wait[i].fd != -1)
			wait_close(m, i);
	close(m->ep);
	close(m->lfd);
	/* Joins the library's thread and closes its connections; its close
	 * notices still write to the pipe. */
	MHD_stop_daemon(m->mhd);
	close(m->wake[0]);
	close(m->wake[1]);
	pthread_mutex_destroy(&m->mu);
	free(m);
}
