/*
 * heur_proxy.c: proxies and VPNs recognised from their handshakes. This
 * file holds SOCKS5, SOCKS4/4a, HTTP CONNECT and absolute-URI proxy
 * requests, VLESS and OpenVPN (TLS mode), and heur_proxy(), the dispatch
 * that picks the parsers a packet's transport, port and first byte allow;
 * WireGuard (and Cloudflare WARP's variant), IKE, L2TP, OpenConnect's
 * DTLS channel and IPsec by IP protocol are in heur_proxy_vpn.c. OpenVPN
 * stays here, beside the dispatch, because it is the last try for every
 * TCP and UDP packet that nothing else claimed.
 *
 * The design decision: a lone client message is weak evidence, so most
 * families keep what the opening message promised in st->proxy (who sent
 * it, its session id or index) and reach high confidence only when the
 * other side answers in kind. A family reports again for the same flow only
 * when its confidence rises (or, for SOCKS5, when the target becomes known),
 * so a caller may keep feeding packets after a hit.
 *
 * Not attempted here: OpenVPN static-key mode (no opcode, no session id,
 * only ciphertext after the optional TCP length: nothing cheap to key on),
 * and Tor (its TLS looks like any other TLS; the relay lists handle it).
 */
#include <stdio.h>
#include <string.h>

#include "bytes.h"
#include "heur.h"
#include "heur_proxy.h"
#include "util.h"

/* OpenVPN opcodes (ssl_pkt.h: P_* constants, in the high 5 bits). */
#define OVPN_CLIENT_V1	1
#define OVPN_SERVER_V1	2
#define OVPN_CONTROL_V1	4
#define OVPN_CLIENT_V2	7
#define OVPN_SERVER_V2	8
#define OVPN_CLIENT_V3	10

#define TARGET_MAX	96	/* as struct heur_hit's detail */

static int
is_print(uint8_t c)
{
	return c >= 0x20 && c <= 0x7e;
}

/* Copies at most n bytes of src into dst as printable text, '?' for the
 * rest, cut to dstlen - 1 characters. */
static void
print_copy(char *dst, size_t dstlen, const uint8_t *src, size_t n)
{
	size_t i;

	if (dstlen == 0)
		return;
	for (i = 0; i < n && i + 1 < dstlen; i++)
		dst[i] = is_print(src[i]) ? (char)src[i] : '?';
	dst[i] = '\0';
}

/* ---- SOCKS5 (RFC 1928) ---- */

#define SOCKS5_MAX_METHODS 9

/* Bit of st->proxy[PX_S5_METHODS] for one method. */
static uint8_t
s5_method_bit(uint8_t m)
{
	return (uint8_t)(m < 7 ? 1u << m : 0x80);
}

/*
 * RFC 1928 section 3: VER=5, NMETHODS, METHODS[NMETHODS], nothing else
 * (the client waits for the server's choice), each method offered once.
 * Only the IANA-assigned methods 0x00-0x09 are taken: the private range
 * 0x80-0xfe is used by no common client and would let half of all random
 * bytes pass; 0xff ("no acceptable methods") is never offered. Returns the
 * offered-method bits, or 0.
 */
static uint8_t
s5_greeting(const uint8_t *d, size_t len)
{
	uint8_t bits = 0;
	size_t n, i, j;

	if (len < 3 || d[0] != 5)
		return 0;
	n = d[1];
	if (n < 1 || n > SOCKS5_MAX_METHODS || len != 2 + n)
		return 0;
	for (i = 2; i < len; i++) {
		if (d[i] > 0x09)
			return 0;
		for (j = 2; j < i; j++)
			if (d[j] == d[i])
				return 0;
		bits |= s5_method_bit(d[i]);
	}
	return bits;
}

static const char *
s5_method_name(uint8_t m)
{
	switch (m) {
	case 0x00:
		return "no auth";
	case 0x01:
		return "GSSAPI";
	case 0x02:
		return "username/password";
	case 0xff:
		return "none acceptable";
	default:
		return "other";
	}
}

/*
 * RFC 1928 section 4: VER=5 CMD(1 CONNECT, 2 BIND, 3 UDP ASSOCIATE) RSV=0
 * ATYP(1 IPv4, 3 domain name with a length byte, 4 IPv6) DST.ADDR
 * DST.PORT(2), and nothing else before the reply. Writes "CMD host:port"
 * into out.
 */
static int
s5_request(const uint8_t *d, size_t len, char *out, size_t outlen)
{
	static const char *const cmds[] = {
		"", "CONNECT", "BIND", "UDP ASSOCIATE",
	};
	char host[64];
	size_t alen;

	if (len < 10 || d[0] != 5 || d[1] < 1 || d[1] > 3 || d[2] != 0)
		return 0;
	switch (d[3]) {
	case 1:
		alen = 4;
		if (len != 4 + alen + 2)
			return 0;
		snprintf(host, sizeof(host), "%u.%u.%u.%u", d[4], d[5], d[6],
		    d[7]);
		break;
	case 3:
		alen = 1 + (size_t)d[4];
		if (d[4] == 0 || len != 4 + alen + 2)
			return 0;
		print_copy(host, sizeof(host), d + 5, d[4]);
		break;
	case 4:
		alen = 16;
		if (len != 4 + alen + 2)
			return 0;
		snprintf(host, sizeof(host), "[%02x%02x:%02x%02x:...:%02x%02x]",
		    d[4], d[5], d[6], d[7], d[18], d[19]);
		break;
	default:
		return 0;
	}
	snprintf(out, outlen, "%s %s:%u", cmds[d[1]], host, be16(d + 4 + alen));
	return 1;
}

static int
socks5(struct heur_flow *st, const struct heur_pkt *p, struct heur_hit *hit)
{
	const uint8_t *d = p->data;
	uint8_t *s = st->proxy;
	uint8_t bits, m;
	int greet_dir = (s[PX_DIRS] & DIR_S5) != 0;
	char target[TARGET_MAX];

	if (!(s[PX_FLAGS] & PX_S5_GREET)) {
		if ((bits = s5_greeting(d, p->len)) == 0)
			return 0;
		s[PX_FLAGS] |= PX_S5_GREET;
		s[PX_S5_METHODS] = bits;
		if (p->dir)
			s[PX_DIRS] |= DIR_S5;
		return 0;	/* a greeting alone is 3 bytes of evidence */
	}
	if (p->dir != greet_dir) {
		/* RFC 1928 section 3: the reply is VER=5 METHOD, 2 bytes, one
		 * of the offered methods or 0xff. */
		if (p->len != 2)
			return 0;
		m = d[1];
		if (m != 0xff && !(s[PX_S5_METHODS] & s5_method_bit(m)))
			return 0;
		if (!report(st, hit, CONF_HIGH, 0, "socks5"))
			return 0;
		snprintf(hit->detail, sizeof(hit->detail),
		    "greeting answered with method 0x%02x (%s)", m,
		    s5_method_name(m));
		return 1;
	}
	/* The request follows the greeting from the same side (after the
	 * RFC 1929 username/password exchange when the server chose 0x02). */
	if ((s[PX_FLAGS] & PX_S5_TARGET) ||
	    !s5_request(d, p->len, target, sizeof(target)))
		return 0;
	if (!report(st, hit, CONF_HIGH, 1, "socks5"))
		return 0;
	s[PX_FLAGS] |= PX_S5_TARGET;
	snprintf(hit->detail, sizeof(hit->detail), "%s", target);
	return 1;
}

/* ---- SOCKS4 (Ying-Da Lee, "SOCKS: A protocol for TCP proxy across
 * firewalls") and SOCKS4a ("SOCKS 4A: A Simple Extension to SOCKS 4") ---- */

/* Length of a printable NUL-terminated string at d[0..len), the NUL
 * included, or 0 when there is none within max bytes. */
static size_t
cstr_len(const uint8_t *d, size_t len, size_t max)
{
	size_t i;

	for (i = 0; i < len && i <= max; i++) {
		if (d[i] == 0)
			return i + 1;
		if (!is_print(d[i]))
			return 0;
	}
	return 0;
}

/*
 * VN=4 CD(1 CONNECT, 2 BIND) DSTPORT(2) DSTIP(4) USERID NUL; when DSTIP is
 * 0.0.0.x with x != 0 (4a), the host name follows, NUL-terminated. The
 * client then waits for the reply, so the message ends at its last NUL.
 */
static int
s4_request(const uint8_t *d, size_t len, char *out, size_t outlen)
{
	char host[64];
	size_t u, h;

	if (len < 9 || d[0] != 4 || (d[1] != 1 && d[1] != 2) ||
	    be16(d + 2) == 0)
		return 0;
	if ((u = cstr_len(d + 8, len - 8, 255)) == 0)
		return 0;
	if (d[4] == 0 && d[5] == 0 && d[6] == 0) {
		if (d[7] == 0)
			return 0;	/* 0.0.0.0 is no destination */
		h = cstr_len(d + 8 + u, len - 8 - u, 255);
		if (h < 2 || 8 + u + h != len)
			return 0;
		print_copy(host, sizeof(host), d + 8 + u, h - 1);
		snprintf(out, outlen, "%s %s:%u (4a)",
		    d[1] == 1 ? "CONNECT" : "BIND", host, be16(d + 2));
		return 1;
	}
	if (8 + u != len)
		return 0;
	snprintf(out, outlen, "%s %u.%u.%u.%u:%u",
	    d[1] == 1 ? "CONNECT" : "BIND", d[4], d[5], d[6], d[7],
	    be16(d + 2));
	return 1;
}

static int
socks4(struct heur_flow *st, const struct heur_pkt *p, struct heur_hit *hit)
{
	const uint8_t *d = p->data;
	uint8_t *s = st->proxy;
	char target[TARGET_MAX];

	if (!(s[PX_FLAGS] & PX_S4_REQ)) {
		if (d[0] != 4 || !s4_request(d, p->len, target, sizeof(target)))
			return 0;
		s[PX_FLAGS] |= PX_S4_REQ;
		if (p->dir)
			s[PX_DIRS] |= DIR_S4;
		else if (report(st, hit, CONF_MEDIUM, 0, "socks4")) {
			str_copy(hit->detail, target, sizeof(hit->detail));
			return 1;
		}
		return 0;
	}
	/* Reply: VN=0 CD(90 granted, 91 rejected, 92/93 identd trouble)
	 * DSTPORT(2) DSTIP(4); tunnelled data may follow it at once. */
	if (p->dir == ((s[PX_DIRS] & DIR_S4) != 0) || p->len < 8 || d[0] != 0 ||
	    d[1] < 0x5a || d[1] > 0x5d)
		return 0;
	if (!report(st, hit, CONF_HIGH, 0, "socks4"))
		return 0;
	snprintf(hit->detail, sizeof(hit->detail),
	    "request answered with 0x%02x (%s)", d[1],
	    d[1] == 0x5a ? "granted" : "rejected");
	return 1;
}

/* ---- HTTP proxies (RFC 9110 section 9.3.6, RFC 9112 section 3.2) ---- */

/* Whether d[0..len) at i holds " HTTP/1.0" or " HTTP/1.1" and then the end
 * of the request line (CR or LF), RFC 9112 section 3. */
static int
http_version_eol(const uint8_t *d, size_t len, size_t i)
{
	static const char v[] = " HTTP/1.";

	if (len - i < sizeof(v) - 1 + 2 || memcmp(d + i, v, sizeof(v) - 1) != 0)
		return 0;
	i += sizeof(v) - 1;
	if (d[i] != '0' && d[i] != '1')
		return 0;
	return d[i + 1] == '\r' || d[i + 1] == '\n';
}

/* Length of the request-target at d[i..len): printable, no space. */
static size_t
http_target_len(const uint8_t *d, size_t len, size_t i)
{
	size_t n;

	for (n = 0; i + n < len && d[i + n] > 0x20 && d[i + n] < 0x7f; n++)
		;
	return n;
}

static int
http_connect(struct heur_flow *st, const struct heur_pkt *p,
    struct heur_hit *hit)
{
	const uint8_t *d = p->data;
	size_t n, colon, i, digits = 0;
	unsigned long port = 0;

	/* RFC 9112 section 3.2.3: CONNECT takes the authority-form
	 * "host:port", the port being required. */
	if (p->len < 8 || memcmp(d, "CONNECT ", 8) != 0)
		return 0;
	n = http_target_len(d, p->len, 8);
	if (n < 3 || !http_version_eol(d, p->len, 8 + n))
		return 0;
	for (colon = 8 + n - 1; colon > 8 && d[colon] != ':'; colon--)
		;
	if (colon == 8)
		return 0;
	for (i = colon + 1; i < 8 + n; i++) {
		if (d[i] < '0' || d[i] > '9' || ++digits > 5)
			return 0;
		port = port * 10 + (unsigned long)(d[i] - '0');
	}
	if (digits == 0 || port == 0 || port > 65535)
		return 0;
	if (!report(st, hit, CONF_HIGH, 0, "http-connect"))
		return 0;
	print_copy(hit->detail, sizeof(hit->detail), d + 8, n);
	return 1;
}

static int
http_absolute(struct heur_flow *st, const struct heur_pkt *p,
    struct heur_hit *hit)
{
	static const char *const methods[] = {
		"GET ", "POST ", "HEAD ", "PUT ", "DELETE ", "OPTIONS ",
		"PATCH ", "TRACE ",
	};
	static const char *const schemes[] = { "http://", "ftp://" };
	const uint8_t *d = p->data;
	size_t i, k, n, m, start, end, at;

	for (k = 0; k < NELEM(methods); k++) {
		m = strlen(methods[k]);
		if (p->len > m && memcmp(d, methods[k], m) == 0)
			break;
	}
	if (k == NELEM(methods))
		return 0;
	/* RFC 9112 section 3.2.2: a client sends the absolute-form to a
	 * proxy, and only to a proxy (origin servers get the origin-form);
	 * the scheme is case-insensitive (RFC 3986 section 3.1). */
	for (k = 0; k < NELEM(schemes); k++) {
		n = strlen(schemes[k]);
		if (p->len - m <= n)
			continue;
		for (i = 0; i < n; i++)
			if ((d[m + i] | 0x20) != schemes[k][i] &&
			    d[m + i] != (uint8_t)schemes[k][i])
				break;
		if (i == n)
			break;
	}
	if (k == NELEM(schemes))
		return 0;
	n = http_target_len(d, p->len, m);
	if (!http_version_eol(d, p->len, m + n))
		return 0;
	/* The authority: after "//", up to the path, query or fragment,
	 * without any userinfo. */
	start = m + strlen(schemes[k]);
	for (end = start; end < m + n && d[end] != '/' && d[end] != '?' &&
	    d[end] != '#'; end++)
		;
	for (at = end; at > start && d[at - 1] != '@'; at--)
		;
	if (at > start)
		start = at;
	if (end == start)
		return 0;
	if (!report(st, hit, CONF_MEDIUM, 0, "http-proxy"))
		return 0;
	print_copy(hit->detail, sizeof(hit->detail), d + start, end - start);
	return 1;
}

/* ---- OpenVPN, TLS mode (ssl_pkt.h and the protocol description in
 * OpenVPN's ssl.h / openvpn.net "OpenVPN protocol") ---- */

/* Whether b is opcode op with key_id 0: the initial key of a session. */
static int
ovpn_op(uint8_t b, int op)
{
	return b == (uint8_t)(op << 3);
}

/*
 * The body of a client hard reset as one of the usual wrappings lays it
 * out after opcode(1) and session id(8):
 *  - none: ack array length 0, message packet id 0 (the first reliable
 *    packet);
 *  - tls-auth: HMAC (16 to 64 bytes by digest), replay packet id (starts at
 *    1), net time (non-zero), then ack length 0 and message packet id 0;
 *  - tls-crypt / tls-crypt-v2: replay packet id 1 (or EARLY_NEG_START
 *    0x0f000000 + 1 with tls-crypt-v2), net time, 32-byte tag, ciphertext.
 * Retransmitted resets carry later replay ids, so small ids are allowed.
 */
static int
ovpn_reset_body(const uint8_t *q, size_t qlen)
{
	static const uint8_t hmac_lens[] = { 16, 20, 28, 32, 48, 64 };
	uint32_t pid;
	size_t o, k;

	if (qlen >= 14 && q[9] == 0 && be32(q + 10) == 0)
		return 1;
	for (k = 0; k <= NELEM(hmac_lens); k++) {
		o = 9 + (k == 0 ? 0 : hmac_lens[k - 1]);
		if (qlen < o + 8)
			break;
		pid = be32(q + o);
		if ((pid >> 24 != 0 && pid >> 24 != 0x0f) ||
		    (pid & 0xffffff) == 0 || (pid & 0xffffff) > 0xff ||
		    be32(q + o + 4) == 0)
			continue;
		if (k == 0 && qlen > o + 8 + 32)
			return 1;
		if (k > 0 && qlen >= o + 13 && q[o + 8] == 0 &&
		    be32(q + o + 9) == 0)
			return 1;
	}
	return 0;
}

/*
 * Whether q is a P_CONTROL_V1 of session sid whose reliable payload opens
 * with a TLS handshake record of message type hs (1 ClientHello, 2
 * ServerHello): OpenVPN carries its TLS handshake in control packets.
 * After opcode and session id: with tls-auth an HMAC and 8 bytes of replay
 * id and time, then the ack array (length, 4-byte ids, and the remote
 * session id when not empty) and the 4-byte message packet id. Under
 * tls-crypt the payload is encrypted and never matches.
 */
static int
ovpn_control_tls(const uint8_t *q, size_t qlen, const uint8_t *sid, int hs)
{
	static const uint8_t hmac_lens[] = { 0, 16, 20, 28, 32, 48, 64 };
	size_t o, k, n;

	if (!ovpn_op(q[0], OVPN_CONTROL_V1) || memcmp(q + 1, sid, 8) != 0)
		return 0;
	for (k = 0; k < NELEM(hmac_lens); k++) {
		o = 9 + (hmac_lens[k] ? hmac_lens[k] + 8u : 0u);
		if (o >= qlen)
			break;
		n = q[o];
		if (n > 8)
			continue;
		o += 1 + 4 * n + (n ? 8 : 0) + 4;
		if (o + 6 > qlen)
			continue;
		if (q[o] == 22 && q[o + 1] == 3 && q[o + 2] <= 4 &&
		    be16(q + o + 3) >= 4 && q[o + 5] == hs)
			return 1;
	}
	return 0;
}

static int
openvpn(struct heur_flow *st, const struct heur_pkt *p, struct heur_hit *hit)
{
	const uint8_t *d = p->data, *q;
	uint8_t *s = st->proxy;
	size_t qlen, i;
	int op, acked = 0;

	/* TCP: each packet is prefixed with its 16-bit length. */
	if (p->proto == 6) {
		if (p->len < 2)
			return 0;
		qlen = be16(d);
		q = d + 2;
		if (qlen > p->len - 2)
			return 0;
	} else {
		q = d;
		qlen = p->len;
	}
	if (qlen < 14)
		return 0;

	if (!(s[PX_FLAGS] & PX_OVPN_RESET) && p->index == 0 &&
	    ovpn_op(q[0], OVPN_SERVER_V2) && !all_zero(q + 1, 8) &&
	    !(s[PX_FLAGS] & (PX_WG_INIT | PX_WG_DATA))) {
		/* A capture of one direction (asymmetric routing, a tap on
		 * one leg) can start with the server's reset. It is kept and
		 * only the server's own TLS in a control packet of the same
		 * session confirms it, below. */
		s[PX_FLAGS] |= PX_OVPN_RESET | PX_OVPN_SRV;
		s[PX_OVPN_OP] = q[0];
		memcpy(s + PX_ID, q + 1, 8);
		if (p->dir)
			s[PX_DIRS] |= DIR_OVPN;
		return 0;
	}
	if (!(s[PX_FLAGS] & PX_OVPN_RESET)) {
		if (!ovpn_op(q[0], OVPN_CLIENT_V1) &&
		    !ovpn_op(q[0], OVPN_CLIENT_V2) &&
		    !ovpn_op(q[0], OVPN_CLIENT_V3))
			return 0;
		if (all_zero(q + 1, 8))
			return 0;	/* a session id is random, never 0 */
		/* TCP: the client waits for the reply, so the length is the
		 * whole segment. The body must look like a reset in both:
		 * a 2-byte length and an opcode byte alone are what DNS over
		 * TCP looks like 3 times in 256. */
		if ((p->proto == 6 && qlen != p->len - 2) ||
		    !ovpn_reset_body(q, qlen))
			return 0;
		if (s[PX_FLAGS] & (PX_WG_INIT | PX_WG_DATA))
			return 0;	/* PX_ID is taken */
		s[PX_FLAGS] |= PX_OVPN_RESET;
		s[PX_OVPN_OP] = q[0];
		memcpy(s + PX_ID, q + 1, 8);
		if (p->dir)
			s[PX_DIRS] |= DIR_OVPN;
		/* Over UDP nothing frames the datagram: a lone "reset" is one
		 * byte of opcode in 256 that any protocol's first byte can be
		 * (an ONC RPC xid, say). Only the server's answer counts. */
		if (p->proto == 17)
			return 0;
		if (!report(st, hit, CONF_MEDIUM, 0, "openvpn"))
			return 0;
		snprintf(hit->detail, sizeof(hit->detail),
		    "%s client hard reset v%d", p->proto == 6 ? "tcp" : "udp",
		    s[PX_OVPN_OP] >> 3 == OVPN_CLIENT_V1 ? 1 :
		    s[PX_OVPN_OP] >> 3 == OVPN_CLIENT_V2 ? 2 : 3);
		return 1;
	}
	if (p->dir == ((s[PX_DIRS] & DIR_OVPN) != 0)) {
		/* The same side again: its TLS hello inside a control packet
		 * of the reset's session confirms the reset when the other
		 * side's answer is not in view. */
		if (!ovpn_control_tls(q, qlen, s + PX_ID,
		    (s[PX_FLAGS] & PX_OVPN_SRV) ? 2 : 1))
			return 0;
		if (!report(st, hit, CONF_HIGH, 0, "openvpn"))
			return 0;
		snprintf(hit->detail, sizeof(hit->detail),
		    "%s %s hard reset, then its TLS %s in a control packet "
		    "of the same session", p->proto == 6 ? "tcp" : "udp",
		    (s[PX_FLAGS] & PX_OVPN_SRV) ? "server" : "client",
		    (s[PX_FLAGS] & PX_OVPN_SRV) ? "ServerHello" : "ClientHello");
		hit->opener_is_server = (s[PX_FLAGS] & PX_OVPN_SRV) != 0;
		return 1;
	}
	if (s[PX_FLAGS] & PX_OVPN_SRV)
		return 0;
	/* Key method 1 pairs CLIENT_V1 with SERVER_V1; V2 and V3 clients
	 * are answered by SERVER_V2. */
	op = s[PX_OVPN_OP] >> 3 == OVPN_CLIENT_V1 ? OVPN_SERVER_V1 :
	    OVPN_SERVER_V2;
	if (!ovpn_op(q[0], op) || all_zero(q + 1, 8))
		return 0;
	/* The server's reset acks the client's: its ack array carries the
	 * client's session id as the remote session id. Encrypted under
	 * tls-crypt, visible otherwise. */
	for (i = 9; i + 8 <= qlen; i++)
		if (memcmp(q + i, s + PX_ID, 8) == 0) {
			acked = 1;
			break;
		}
	if (!report(st, hit, CONF_HIGH, 0, "openvpn"))
		return 0;
	snprintf(hit->detail, sizeof(hit->detail),
	    "%s client hard reset answered by server reset v%d%s",
	    p->proto == 6 ? "tcp" : "udp", op == OVPN_SERVER_V1 ? 1 : 2,
	    acked ? ", client session acked" : "");
	return 1;
}

/* ---- VLESS (Project X documentation, "VLESS protocol"): the request is
 * version 0, the 16-byte user id, an addons length and its protobuf, a
 * command (1 TCP, 2 UDP, 3 mux), then, but for mux, port(2), address type
 * (1 IPv4, 2 domain with a length byte, 3 IPv6) and the address, then the
 * first data in clear; the answer starts version 0 and its own addons
 * length. VLESS encrypts nothing: the tunnel's security is TLS, when any.
 * ---- */

#define VLESS_ADDONS_MAX 64

static int
vless(struct heur_flow *st, const struct heur_pkt *p, struct heur_hit *hit)
{
	const uint8_t *d = p->data;
	uint8_t *s = st->proxy;
	char target[72];
	size_t off, alen;
	uint8_t cmd;

	if (p->dir == 1) {
		if (!(s[PX_FLAGS] & PX_VLESS_REQ) || p->len < 2 || d[0] != 0 ||
		    d[1] > VLESS_ADDONS_MAX || (size_t)2 + d[1] > p->len)
			return 0;
		if (!report(st, hit, CONF_HIGH, 0, "vless"))
			return 0;
		snprintf(hit->detail, sizeof(hit->detail),
		    "request answered with a VLESS response header");
		return 1;
	}
	if (p->index != 0 || p->len < 19 || d[0] != 0 ||
	    d[17] > VLESS_ADDONS_MAX)
		return 0;
	off = 18 + (size_t)d[17];
	if (off + 1 > p->len)
		return 0;
	cmd = d[off++];
	if (cmd == 3) {
		snprintf(target, sizeof(target), "mux");
	} else if (cmd == 1 || cmd == 2) {
		if (off + 3 > p->len)
			return 0;
		switch (d[off + 2]) {
		case 1:
			alen = 4;
			if (off + 3 + alen > p->len)
				return 0;
			snprintf(target, sizeof(target), "%u.%u.%u.%u:%u",
			    d[off + 3], d[off + 4], d[off + 5], d[off + 6],
			    be16(d + off));
			break;
		case 2:
			if (off + 4 > p->len || d[off + 3] == 0)
				return 0;
			alen = 1 + (size_t)d[off + 3];
			if (off + 3 + alen > p->len)
				return 0;
			{
				size_t i;

				for (i = 0; i < d[off + 3]; i++)
					if (!is_print(d[off + 4 + i]) ||
					    d[off + 4 + i] == ' ')
						return 0;
			}
			{
				char host[64];

				print_copy(host, sizeof(host), d + off + 4,
				    d[off + 3]);
				snprintf(target, sizeof(target), "%s:%u", host,
				    be16(d + off));
			}
			break;
		case 3:
			alen = 16;
			if (off + 3 + alen > p->len)
				return 0;
			snprintf(target, sizeof(target), "[IPv6]:%u",
			    be16(d + off));
			break;
		default:
			return 0;
		}
		if (be16(d + off) == 0)
			return 0;
	} else {
		return 0;
	}
	s[PX_FLAGS] |= PX_VLESS_REQ;
	if (!report(st, hit, CONF_MEDIUM, 0, "vless"))
		return 0;
	snprintf(hit->detail, sizeof(hit->detail), "request %s %s",
	    cmd == 2 ? "UDP" : cmd == 3 ? "" : "TCP", target);
	return 1;
}

int
heur_proxy(struct heur_flow *st, const struct heur_pkt *p, struct heur_hit *hit)
{
	const uint8_t *d = p->data;

	if (p->len == 0 || d == NULL)
		return 0;
	if (p->proto == 6) {
		/* Cheapest first: one byte decides which parsers can apply. */
		if ((d[0] == 5 || (st->proxy[PX_FLAGS] & PX_S5_GREET)) &&
		    socks5(st, p, hit))
			return 1;
		if ((d[0] == 4 || (st->proxy[PX_FLAGS] & PX_S4_REQ)) &&
		    socks4(st, p, hit))
			return 1;
		if (p->dir == 0 && d[0] == 'C' && http_connect(st, p, hit))
			return 1;
		if (p->dir == 0 && d[0] >= 'D' && d[0] <= 'T' &&
		    http_absolute(st, p, hit))
			return 1;
		if ((d[0] == 0 || (st->proxy[PX_FLAGS] & PX_VLESS_REQ)) &&
		    vless(st, p, hit))
			return 1;
		return openvpn(st, p, hit);
	}
	if (p->proto == 17) {
		if ((p->sport == 500 || p->dport == 500 || p->sport == 4500 ||
		    p->dport == 4500) && heur_vpn_ike(st, p, hit))
			return 1;
		if (d[0] >= WG_INIT && d[0] <= WG_DATA &&
		    heur_vpn_wireguard(st, p, hit))
			return 1;
		if ((d[0] & 0xcb) == 0xc8 && heur_vpn_l2tp(st, p, hit))
			return 1;
		if (d[0] == 22 && p->len > 3 && ((d[1] == 0xfe && d[2] >= 0xfd) ||
		    (d[1] == 1 && d[2] == 0)) && heur_vpn_dtls_psk(st, p, hit))
			return 1;
		return openvpn(st, p, hit);
	}
	return 0;
}
