/*
 * heur_remote.c: remote shells and desktops that nDPI 4.2 has no
 * dissector for, or finds only by port, recognised from their opening
 * messages on any port: rlogin, rsh and rexec (the BSD r-commands), the X11
 * connection setup, Citrix ICA and CGP, RDP's UDP transport (MS-RDPEUDP)
 * and Radmin.
 *
 * The design decision: the r-commands and X11 open with a short message
 * whose whole grammar is fixed (NUL-terminated strings in a set order, a
 * byte-order mark and a protocol version), so a message is taken only when
 * it parses to its last byte; the server's one-byte answer (rlogin, rsh,
 * rexec) or the X11 setup reply makes it high. The others are binary
 * handshakes with fixed fields checked against their specifications.
 */
#include <stdio.h>
#include <string.h>

#include "bytes.h"
#include "heur.h"
#include "util.h"

/* st->remote[] layout. */
#define RM_CONF		0	/* best confidence reported for this flow */
#define RM_KIND		1	/* RK_* below: what the opener sent */

enum { RK_NONE, RK_RLOGIN, RK_RSH, RK_REXEC, RK_X11, RK_RADMIN,
	RK_RDPUDP };

#define NAME_MAX_LEN	64	/* a user name, in the r-commands */
#define CMD_MAX_LEN	1024	/* a command line, in rsh and rexec */

static int
report(struct heur_flow *st, struct heur_hit *hit, enum confidence conf,
    const char *name)
{
	if ((unsigned)conf <= st->remote[RM_CONF])
		return 0;
	st->remote[RM_CONF] = (uint8_t)conf;
	hit->category = CAT_REMOTE_ACCESS;
	hit->confidence = conf;
	hit->name = name;
	hit->detail[0] = '\0';
	return 1;
}

static int
is_print(uint8_t c)
{
	return c >= 0x20 && c <= 0x7e;
}

/* Length of the NUL-terminated string at d[0..len) with at most max
 * characters, all printable (none when empty is 0), the NUL counted; 0
 * when there is none. */
static size_t
cstr(const uint8_t *d, size_t len, size_t max, int empty_ok)
{
	size_t i;

	for (i = 0; i < len && i <= max; i++) {
		if (d[i] == 0)
			return i == 0 && !empty_ok ? 0 : i + 1;
		if (!is_print(d[i]))
			return 0;
	}
	return 0;
}

/* A user name as the r-commands' daemons take it: letters, digits and
 * ._- (POSIX portable user names). */
static int
user_name(const uint8_t *d, size_t n)
{
	size_t i;

	if (n == 0)
		return 0;
	for (i = 0; i < n; i++)
		if (!((d[i] >= 'a' && d[i] <= 'z') || (d[i] >= 'A' && d[i] <= 'Z') ||
		    (d[i] >= '0' && d[i] <= '9') || d[i] == '.' || d[i] == '_' ||
		    d[i] == '-'))
			return 0;
	return 1;
}

/*
 * RFC 1282 section "Connection Establishment": the client sends an empty
 * string, the client user, the server user and "terminal-type/speed", each
 * NUL-terminated. rsh and rexec (rshd(8), rexecd(8)): an optional stderr
 * port in ASCII digits, then two strings (local and remote user for rsh;
 * user and password for rexec) and the command. rlogin's terminal/speed
 * tells it from rsh; rsh and rexec share a grammar, and rexec's second
 * string is a password, so the two are told apart by nothing but the
 * service: both are reported as "rsh/rexec".
 */
static int
rcmd_request(const uint8_t *d, size_t len, int *kind, char *detail,
    size_t dlen)
{
	size_t a, b, c, e, i, slash;

	if ((a = cstr(d, len, 5, 1)) == 0)
		return 0;
	for (i = 0; i + 1 < a; i++)
		if (d[i] < '0' || d[i] > '9')
			return 0;
	if ((b = cstr(d + a, len - a, NAME_MAX_LEN, 0)) == 0 ||
	    (c = cstr(d + a + b, len - a - b, NAME_MAX_LEN, 1)) == 0 ||
	    (e = cstr(d + a + b + c, len - a - b - c, CMD_MAX_LEN, 0)) == 0 ||
	    a + b + c + e != len)
		return 0;
	if (!user_name(d + a, b - 1))
		return 0;
	if (a == 1) {
		/* rlogin: the third string is "term/speed". */
		const uint8_t *t = d + a + b + c;

		for (slash = 0; slash + 1 < e && t[slash] != '/'; slash++)
			;
		if (slash > 0 && slash + 2 < e && c > 1 &&
		    user_name(d + a + b, c - 1)) {
			for (i = slash + 1; i + 1 < e; i++)
				if (t[i] < '0' || t[i] > '9')
					break;
			if (i + 1 == e) {
				*kind = RK_RLOGIN;
				snprintf(detail, dlen, "login of '%.*s' as '%.*s', "
				    "terminal %.*s", (int)(b - 1), (const char *)d + a,
				    (int)(c - 1), (const char *)d + a + b,
				    (int)(e - 1), (const char *)t);
				return 1;
			}
		}
	}
	*kind = RK_RSH;
	snprintf(detail, dlen, "remote command for '%.*s'%s",
	    (int)(b - 1), (const char *)d + a,
	    a > 1 ? " with a stderr port" : "");
	return 1;
}

/* ---- X11 connection setup (X Window System Protocol, "Connection
 * Setup"): byte order 'B' or 'l', unused, protocol major 11, minor 0,
 * authorization name length, data length, unused(2), then both padded to
 * 4 bytes. The reply starts with 0 failed, 1 success or 2 authenticate,
 * and success and failure carry the major version again. ---- */

static uint16_t
x11_16(const uint8_t *d, int big)
{
	return big ? be16(d) : le16(d);
}

static int
x11_setup(const uint8_t *d, size_t len)
{
	int big;
	size_t n, m;

	if (len < 12 || (d[0] != 'B' && d[0] != 'l') || d[1] != 0)
		return 0;
	big = d[0] == 'B';
	if (x11_16(d + 2, big) != 11 || x11_16(d + 4, big) != 0)
		return 0;
	n = x11_16(d + 6, big);
	m = x11_16(d + 8, big);
	return len == 12 + ((n + 3) & ~3u) + ((m + 3) & ~3u);
}

/* ---- Radmin: messages start 01 00 00 00 and a length byte of what
 * follows the 9-byte header; the client's opening message is 10 bytes
 * ending 08 08 and the server's answer 46 (nDPI's radmin dissector keys on
 * the same fields). ---- */

static int
radmin(struct heur_flow *st, const struct heur_pkt *p, struct heur_hit *hit)
{
	const uint8_t *d = p->data;

	if (p->len < 10 || be32(d) != 0x01000000 || d[4] != p->len - 9)
		return 0;
	if (p->dir == 0 && p->len == 10 && d[8] == 0x08 && d[9] == 0x08) {
		st->remote[RM_KIND] = RK_RADMIN;
		return 0;
	}
	if (p->dir == 1 && p->len == 46 && st->remote[RM_KIND] == RK_RADMIN &&
	    be32(d + 7) == 0x02120802 && d[13] == 0x0a) {
		if (!report(st, hit, CONF_HIGH, "radmin"))
			return 0;
		snprintf(hit->detail, sizeof(hit->detail),
		    "client hello answered by the server's 46-byte reply");
		return 1;
	}
	return 0;
}

/* ---- RDP's UDP transport (MS-RDPEUDP 2.2.2.1, 2.2.2.5, 3.1.5.1.1): the
 * client's first datagram has snSourceAck -1, the SYN flag, an initial
 * sequence number and up/downstream MTUs of 1132 to 1232, and is padded
 * to 1232 bytes; the server answers SYN+ACK. ---- */

#define RDPUDP_FLAG_SYN	0x0001
#define RDPUDP_FLAG_ACK	0x0004
#define RDPUDP_MTU_MIN	1132
#define RDPUDP_MTU_MAX	1232

static int
rdpudp_syn(const uint8_t *d, size_t len, uint16_t want)
{
	uint16_t up, down;

	if (len < 16 || be32(d) != 0xffffffff ||
	    (be16(d + 6) & (RDPUDP_FLAG_SYN | RDPUDP_FLAG_ACK)) != want)
		return 0;
	up = be16(d + 12);
	down = be16(d + 14);
	return up >= RDPUDP_MTU_MIN && up <= RDPUDP_MTU_MAX &&
	    down >= RDPUDP_MTU_MIN && down <= RDPUDP_MTU_MAX;
}

static int
rdp_udp(struct heur_flow *st, const struct heur_pkt *p, struct heur_hit *hit)
{
	if (p->dir == 0 && p->len == RDPUDP_MTU_MAX &&
	    rdpudp_syn(p->data, p->len, RDPUDP_FLAG_SYN)) {
		st->remote[RM_KIND] = RK_RDPUDP;
		if (!report(st, hit, CONF_MEDIUM, "rdp-udp"))
			return 0;
		snprintf(hit->detail, sizeof(hit->detail),
		    "MS-RDPEUDP SYN datagram");
		return 1;
	}
	if (p->dir == 1 && st->remote[RM_KIND] == RK_RDPUDP &&
	    rdpudp_syn(p->data, p->len, RDPUDP_FLAG_SYN | RDPUDP_FLAG_ACK)) {
		if (!report(st, hit, CONF_HIGH, "rdp-udp"))
			return 0;
		snprintf(hit->detail, sizeof(hit->detail),
		    "MS-RDPEUDP SYN answered by SYN+ACK");
		return 1;
	}
	return 0;
}

/* ---- Citrix: ICA opens with the detect string 7f 7f "ICA" 00 (some
 * versions send 07 07 "ICA" 00), CGP (session reliability) with
 * 1a "CGP/01". ---- */

static int
citrix(struct heur_flow *st, const struct heur_pkt *p, struct heur_hit *hit)
{
	const uint8_t *d = p->data;

	if (p->len >= 6 && (d[0] == 0x7f || d[0] == 0x07) && d[1] == d[0] &&
	    memcmp(d + 2, "ICA\0", 4) == 0) {
		if (!report(st, hit, CONF_HIGH, "citrix-ica"))
			return 0;
		snprintf(hit->detail, sizeof(hit->detail), "ICA detect string");
		return 1;
	}
	if (p->len >= 7 && memcmp(d, "\x1a" "CGP/01", 7) == 0) {
		if (!report(st, hit, CONF_HIGH, "citrix-ica"))
			return 0;
		snprintf(hit->detail, sizeof(hit->detail),
		    "CGP session reliability handshake");
		return 1;
	}
	return 0;
}

static int
tcp_opening(struct heur_flow *st, const struct heur_pkt *p,
    struct heur_hit *hit)
{
	const uint8_t *d = p->data;
	char detail[sizeof(hit->detail)];
	int kind;

	if (p->dir == 0 && st->remote[RM_KIND] == RK_NONE) {
		if (x11_setup(d, p->len)) {
			st->remote[RM_KIND] = RK_X11;
			if (!report(st, hit, CONF_MEDIUM, "x11"))
				return 0;
			snprintf(hit->detail, sizeof(hit->detail),
			    "X11 connection setup, %s byte order",
			    d[0] == 'B' ? "big-endian" : "little-endian");
			return 1;
		}
		if (rcmd_request(d, p->len, &kind, detail, sizeof(detail))) {
			st->remote[RM_KIND] = (uint8_t)kind;
			if (!report(st, hit, CONF_MEDIUM,
			    kind == RK_RLOGIN ? "rlogin" : "rsh"))
				return 0;
			str_copy(hit->detail, detail, sizeof(hit->detail));
			return 1;
		}
		return 0;
	}
	if (p->dir != 1)
		return 0;
	switch (st->remote[RM_KIND]) {
	case RK_RLOGIN:
	case RK_RSH:
	case RK_REXEC:
		/* The daemon answers one NUL byte on success, or 01 and a
		 * message ("Permission denied."). */
		if (!((p->len == 1 && d[0] == 0) || (p->len > 1 && d[0] == 1)))
			return 0;
		if (!report(st, hit, CONF_HIGH,
		    st->remote[RM_KIND] == RK_RLOGIN ? "rlogin" : "rsh"))
			return 0;
		snprintf(hit->detail, sizeof(hit->detail),
		    "request answered by the daemon (%s)",
		    d[0] == 0 ? "accepted" : "refused");
		return 1;
	case RK_X11:
		if (p->len < 8 || d[0] > 2 ||
		    (d[0] != 2 && be16(d + 2) != 11 && le16(d + 2) != 11))
			return 0;
		if (!report(st, hit, CONF_HIGH, "x11"))
			return 0;
		snprintf(hit->detail, sizeof(hit->detail),
		    "X11 connection setup answered (%s)",
		    d[0] == 1 ? "success" : d[0] == 0 ? "failed" :
		    "authenticate");
		return 1;
	}
	return 0;
}

int
heur_remote(struct heur_flow *st, const struct heur_pkt *p,
    struct heur_hit *hit)
{
	const uint8_t *d = p->data;

	if (d == NULL || p->len == 0)
		return 0;
	if (p->proto == 17)
		return p->index < 2 && rdp_udp(st, p, hit);
	if (p->proto != 6)
		return 0;
	if ((d[0] == 0x7f || d[0] == 0x07 || d[0] == 0x1a) && citrix(st, p, hit))
		return 1;
	if (d[0] == 0x01 && radmin(st, p, hit))
		return 1;
	return p->index < 4 && tcp_opening(st, p, hit);
}
