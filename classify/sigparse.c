/*
 * sigparse.c: reads signature rule files into a struct sigset: one line,
 * one rule, checked in full before any of it is added, so a bad line
 * leaves the set as it was before that line. sig.c indexes what this file
 * adds and matches flows against it.
 *
 * RULE FILES
 *
 * One rule per line; a line holds at most 4096 bytes, not counting its
 * newline (a longer line is an error). Blank lines and lines whose first
 * non-blank character is '#' are ignored. A rule is a list of key=value
 * tokens separated by white space (space, tab, CR, VT, FF), with no space
 * around '=':
 *
 *   id=MINE-0001 category=mining confidence=high host=*.supportxmr.com
 *       msg="SupportXMR pool"			(one line in a file)
 *   id=P2P-0100 category=p2p port=udp/6881-6889 payload="d1:ad2:id20:"
 *       msg="BitTorrent DHT query"		(one line in a file)
 *   id=VPN-0900 category=proxy confidence=high cert="O=Windscribe"
 *       msg="Windscribe VPN server certificate"	(one line in a file)
 *
 * A value is a comma-separated list of items. An item is unquoted, a run
 * of characters other than white space, ',' and '"'; or quoted, "...",
 * holding any characters and the escapes \" \\ \n \r \t and \xNN (exactly
 * two hex digits). Any other backslash sequence is an error, and a closing
 * quote must be followed by white space, ',' or the end of the line.
 * Escapes exist only inside quotes (outside, '\' is an ordinary
 * character). An empty item ("host=", "host=a,,b", payload="") is an
 * error. Keys that take one value (id, category, confidence, msg, offset)
 * take the whole value, commas kept (msg="a, b" is "a, b", msg=a,b is
 * "a,b"). Keys are lower case; every key may appear at most once in a
 * rule, and an unknown key is an error.
 *
 *   id=          required: 1-31 characters of [A-Za-z0-9_.:-], unique
 *                across the whole set (every file loaded into it)
 *   category=    required: p2p mining remote_access proxy dos scan bruteforce
 *   msg=         required: non-empty text without NUL bytes
 *   confidence=  low, medium or high; medium when absent
 *
 * Match kinds: a rule has at least one. The items of one kind are
 * alternatives (OR); all the kinds of a rule must hold (AND). A kind whose
 * fact is unknown (NULL or 0 in struct sig_facts) never holds.
 *
 *   host=     NAME, or *.DOMAIN meaning DOMAIN itself and every name below
 *             it (*.example.com matches example.com and a.b.example.com,
 *             not badexample.com). Case-insensitive; one trailing dot is
 *             ignored on the pattern and on the fact. Names are labels of
 *             [A-Za-z0-9_-], 1-63 characters each, 253 characters in all;
 *             '*' only as the whole first label, followed by a domain.
 *   ip=       IPv4 or IPv6 addresses or prefixes (10.0.0.0/8, 2001:db8::/32,
 *             ::/0), against the peer address. A v4 prefix never matches
 *             a v6 peer, even 0.0.0.0/0; ::/0 matches every peer.
 *   port=     N, N-M, tcp/N, tcp/N-M, udp/N or udp/N-M (decimal digits,
 *             1 <= N <= M <= 65535, "tcp/" and "udp/" in any case),
 *             against the responder's port and the IP protocol; a bare
 *             number or range matches TCP and UDP, nothing else.
 *   asn=      decimal AS numbers, 1..4294967295, no leading zeros.
 *   country=  ISO 3166 alpha-2 codes, two letters, case-insensitive.
 *   ndpi=     nDPI protocol names (SSH, TLS, BitTorrent...), compared
 *             without case as nDPI does and resolved when the file is
 *             loaded: a name this nDPI lacks is an error, and so is
 *             "Unknown". Holds when nDPI's app or master protocol is one
 *             of them.
 *   payload=  byte strings of 1-32 bytes, usually quoted so that escapes
 *             can be used; holds when one of them starts at an offset of
 *             0..32 in the payload packet.
 *   offset=   N in 0..63, only with payload=: every payload item of the
 *             rule must start exactly at byte N instead, and N plus the
 *             item's length must not exceed 64 (SIG_PAYLOAD_DEPTH), so no
 *             match looks past the first 64 bytes.
 *   alpn=     TLS ALPN protocol ids (h2, anydesk/6.2.0/linux): 1-64
 *             printable characters other than space and ','. A trailing
 *             '*' makes the rest a prefix: h2* matches h2 and h2c, and
 *             "anydesk/" followed by '*' every anydesk/ id. '*' elsewhere
 *             is an error, and so is '*' alone. Against the client's ALPN
 *             list (tls_alpn, entries separated by ','): holds when an
 *             item equals one entry, or a prefix starts one.
 *             Case-sensitive, as ALPN ids are.
 *   cert=     text of 1-64 bytes without NUL, usually quoted ("O=Acme,
 *             Inc."); holds when one item occurs, ASCII case ignored, in
 *             the server certificate's subject or issuer DN as nDPI
 *             formats them ("C=CA, ST=..., O=Windscribe, CN=...").
 *
 * Errors are "path:line: what is wrong", naming the token at fault; a
 * file that cannot be read gives "path: reason". On error the set keeps
 * the rules read before the bad line. A rule file must be a regular file
 * (or a link to one): a FIFO, a directory or a device is an error, never
 * a read that waits. sigset_load_dir() loads every regular file (or link
 * to one) whose name is NAME.rules, in strcoll(3) order (alphasort), and
 * stops at the first error; an entry NAME.rules of another type is
 * skipped with a warning.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "cidr.h"
#include "dpi.h"
#include "log.h"
#include "policy.h"
#include "sig.h"
#include "sig_int.h"
#include "util.h"

#define SIG_LINE_MAX	4096
#define SIG_ID_MAX	31
#define SIG_LABEL_MAX	63
#define SIG_ITEM_BYTES	32	/* longest payload= item */
#define SIG_TLS_ITEM_MAX 64	/* longest alpn= id or prefix, cert= text */
#define SIG_RULES_MAX	(1u << 24)
#define SIG_ITEMS_MAX	(1u << 27)
#define SIG_POOL_MAX	(1u << 30)
#define SIG_ELEMS_MAX	(SIG_LINE_MAX + 1)	/* items of one value */
#define SIG_ENTS_MAX	(1u << 28)	/* anchor index entries */

static const char *const kind_names[K_N] = {
	"host", "ip", "ndpi", "payload", "port", "asn", "country", "alpn",
	"cert",
};

/* The rule being read, and where the parse of one file stands. */
struct parse {
	struct sigset *s;
	struct dpi *dpi;
	const char *path;
	const char *file;	/* path in the set's text, made at first rule */
	int line;
	char *err;
	size_t errlen;

	const char *id, *msg;	/* in the line buffer */
	size_t idlen, msglen;
	enum policy_category category;
	enum confidence confidence;
	int offset;		/* -1 when not pinned */
	unsigned keys;		/* bitmask of keys seen */
	unsigned kinds;		/* bitmask of enum sig_kind seen */
	uint32_t nitem;		/* pending items at s->item[s->nitem] */
	uint32_t npool;		/* pending bytes at s->pool[s->npool] */

	/* Items of the value being read, as offsets into the line. */
	uint16_t elem_off[SIG_ELEMS_MAX];
	uint16_t elem_len[SIG_ELEMS_MAX];
	unsigned nelem;
	char shown[256];	/* a token as an error message shows it */
};

enum sig_key {
	KEY_ID = K_N, KEY_CATEGORY, KEY_CONFIDENCE, KEY_MSG, KEY_OFFSET
};

static const struct {
	const char *name;
	int key;		/* enum sig_kind or enum sig_key */
} key_table[] = {
	{ "id", KEY_ID }, { "category", KEY_CATEGORY },
	{ "confidence", KEY_CONFIDENCE }, { "msg", KEY_MSG },
	{ "offset", KEY_OFFSET }, { "host", K_HOST }, { "ip", K_IP },
	{ "ndpi", K_NDPI }, { "payload", K_PAYLOAD }, { "port", K_PORT },
	{ "asn", K_ASN }, { "country", K_COUNTRY }, { "alpn", K_ALPN },
	{ "cert", K_CERT },
};

static int perr(struct parse *P, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int
perr(struct parse *P, const char *fmt, ...)
{
	va_list ap;
	int n;

	n = snprintf(P->err, P->errlen, "%s:%d: ", P->path, P->line);
	if (n >= 0 && (size_t)n < P->errlen) {
		va_start(ap, fmt);
		vsnprintf(P->err + n, P->errlen - (size_t)n, fmt, ap);
		va_end(ap);
	}
	return -1;
}

/* Writes bytes for a message: printable ASCII kept, the rest as \xNN,
 * cut after 48 bytes. */
static const char *
printable(const char *p, size_t n, char *buf, size_t len)
{
	size_t i, o = 0;

	for (i = 0; i < n && o + 8 < len; i++) {
		unsigned char c = (unsigned char)p[i];

		if (i == 48) {
			o += (size_t)snprintf(buf + o, len - o, "...");
			break;
		}
		if (c >= 0x20 && c < 0x7f && c != '\\' && c != '\'')
			buf[o++] = (char)c;
		else
			o += (size_t)snprintf(buf + o, len - o, "\\x%02x", c);
	}
	buf[o < len ? o : len - 1] = '\0';
	return buf;
}

/* A token for an error message, in P's buffer. */
static const char *
shown(struct parse *P, const char *p, size_t n)
{
	return printable(p, n, P->shown, sizeof(P->shown));
}

static int
is_space(int c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

static int
is_letter(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * Decodes the quoted item that starts at line[*r] (the opening quote) into
 * line[*w], in place: the decoded text is never longer.
 */
static int
read_quoted(struct parse *P, char *line, size_t *r, size_t *w, size_t end,
    const char *key)
{
	size_t i = *r + 1, o = *w;
	int hi, lo;
	char c;

	for (;;) {
		if (i >= end)
			return perr(P, "%s: unterminated quoted value", key);
		c = line[i++];
		if (c == '"')
			break;
		if (c == '\\') {
			if (i >= end)
				return perr(P, "%s: unterminated quoted value",
				    key);
			switch (c = line[i++]) {
			case '"':
			case '\\':
				break;
			case 'n':
				c = '\n';
				break;
			case 'r':
				c = '\r';
				break;
			case 't':
				c = '\t';
				break;
			case 'x':
				hi = i < end ? hexval(line[i]) : -1;
				lo = i + 1 < end ? hexval(line[i + 1]) : -1;
				if (hi < 0 || lo < 0)
					return perr(P, "%s: bad escape "
					    "'\\x%s' (want \\xNN)", key,
					    shown(P, line + i,
					    end - i < 2 ? end - i : 2));
				c = (char)(hi << 4 | lo);
				i += 2;
				break;
			default:
				return perr(P, "%s: bad escape '\\%s'", key,
				    shown(P, &c, 1));
			}
		}
		line[o++] = c;
	}
	if (i < end && !is_space(line[i]) && line[i] != ',')
		return perr(P, "%s: text after closing quote", key);
	*r = i;
	*w = o;
	return 0;
}

/*
 * Reads the value that starts at line[*pos], decoding it in place, and
 * records its items in P->elem_*. Sets *val and *vlen to the whole
 * decoded value, commas kept.
 */
static int
read_value(struct parse *P, char *line, size_t *pos, size_t end,
    const char *key, char **val, size_t *vlen)
{
	size_t r = *pos, w = r, vstart = r, estart;

	P->nelem = 0;
	for (;;) {
		estart = w;
		if (r < end && line[r] == '"') {
			if (read_quoted(P, line, &r, &w, end, key) == -1)
				return -1;
		} else {
			while (r < end && !is_space(line[r]) &&
			    line[r] != ',' && line[r] != '"')
				line[w++] = line[r++];
			if (r < end && line[r] == '"')
				return perr(P, "%s: '\"' inside an unquoted "
				    "value", key);
		}
		P->elem_off[P->nelem] = (uint16_t)estart;
		P->elem_len[P->nelem] = (uint16_t)(w - estart);
		P->nelem++;
		if (r >= end || line[r] != ',')
			break;
		line[w++] = ',';
		r++;
	}
	*pos = r;
	*val = line + vstart;
	*vlen = w - vstart;
	return 0;
}

static struct sig_item *
new_item(struct parse *P, enum sig_kind kind)
{
	struct sigset *s = P->s;
	struct sig_item *it;
	uint32_t need = s->nitem + P->nitem + 1;

	if (need > s->capitem) {
		s->capitem = s->capitem ? s->capitem * 2 : 64;
		if (s->capitem < need)
			s->capitem = need;
		s->item = xreallocarray(s->item, s->capitem, sizeof(*s->item));
	}
	it = &s->item[s->nitem + P->nitem++];
	memset(it, 0, sizeof(*it));
	it->rule = s->nrule;
	it->kind = (uint8_t)kind;
	return it;
}

/* Copies n bytes to the pending pool; returns their offset. */
static uint32_t
pool_add(struct parse *P, const void *p, size_t n)
{
	struct sigset *s = P->s;
	uint32_t off = s->npool + P->npool;
	size_t need = (size_t)off + n;

	if (need > s->cappool) {
		size_t cap = s->cappool ? (size_t)s->cappool * 2 : 4096;

		if (cap < need)
			cap = need;
		s->pool = xreallocarray(s->pool, cap, 1);
		s->cappool = (uint32_t)cap;
	}
	memcpy(s->pool + off, p, n);
	P->npool += (uint32_t)n;
	return off;
}

/* Lower-cases and checks a host= item into out; returns its length
 * without "*." or -1. */
static int
host_pattern(const char *p, size_t n, char *out, int *wild)
{
	size_t i, label = 0;

	*wild = 0;
	if (n >= 2 && p[0] == '*' && p[1] == '.') {
		*wild = 1;
		p += 2;
		n -= 2;
	}
	if (n > 0 && p[n - 1] == '.')
		n--;
	if (n == 0 || n > SIG_HOST_MAX)
		return -1;
	for (i = 0; i < n; i++) {
		char c = p[i];

		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		if (c == '.') {
			if (label == 0)
				return -1;
			label = 0;
		} else if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    c == '-' || c == '_') {
			if (++label > SIG_LABEL_MAX)
				return -1;
		} else {
			return -1;
		}
		out[i] = c;
	}
	if (label == 0)
		return -1;
	return (int)n;
}

static int
port_item(const char *p, struct sig_item *it)
{
	char buf[16];
	const char *dash;
	long lo, hi;

	it->u.port.proto = 0;
	if (strncasecmp(p, "tcp/", 4) == 0) {
		it->u.port.proto = 6;
		p += 4;
	} else if (strncasecmp(p, "udp/", 4) == 0) {
		it->u.port.proto = 17;
		p += 4;
	}
	if (strspn(p, "0123456789-") != strlen(p))
		return -1;
	if ((dash = strchr(p, '-')) != NULL) {
		if ((size_t)(dash - p) >= sizeof(buf))
			return -1;
		memcpy(buf, p, (size_t)(dash - p));
		buf[dash - p] = '\0';
		if (parse_long(buf, 1, 65535, &lo) == -1 ||
		    parse_long(dash + 1, 1, 65535, &hi) == -1 || hi < lo)
			return -1;
	} else {
		if (parse_long(p, 1, 65535, &lo) == -1)
			return -1;
		hi = lo;
	}
	it->a = (uint16_t)lo;
	it->u.port.last = (uint16_t)hi;
	return 0;
}

static int
asn_item(const char *p, uint32_t *out)
{
	unsigned long long v = 0;

	if (*p == '\0' || *p == '0')
		return -1;
	for (; *p != '\0'; p++) {
		if (*p < '0' || *p > '9')
			return -1;
		v = v * 10 + (unsigned)(*p - '0');
		if (v > UINT32_MAX)
			return -1;
	}
	*out = (uint32_t)v;
	return 0;
}

/* Checks an alpn= item; returns the length of the id or prefix without
 * its '*', or -1. */
static int
alpn_item(const char *p, size_t n, int *prefix)
{
	size_t i;

	*prefix = n > 0 && p[n - 1] == '*';
	if (*prefix)
		n--;
	if (n == 0 || n > SIG_TLS_ITEM_MAX)
		return -1;
	for (i = 0; i < n; i++)
		if (p[i] <= ' ' || p[i] > '~' || p[i] == ',' || p[i] == '*')
			return -1;
	return (int)n;
}

/* Adds the items of one match kind. */
static int
parse_kind(struct parse *P, enum sig_kind kind, const char *line)
{
	const char *key = kind_names[kind];
	char buf[SIG_HOST_MAX + 8];
	struct sig_item *it;
	struct cidr c;
	const char *e;
	unsigned i;
	size_t n;
	int len, wild, id;

	for (i = 0; i < P->nelem; i++) {
		e = line + P->elem_off[i];
		n = P->elem_len[i];
		if (n == 0)
			return perr(P, P->nelem == 1 ? "%s: empty value" :
			    "%s: empty item in list", key);
		if (kind != K_PAYLOAD && kind != K_HOST && kind != K_ALPN &&
		    kind != K_CERT) {
			if (n >= sizeof(buf) || memchr(e, '\0', n) != NULL)
				return perr(P, "%s: bad item '%s'", key,
				    shown(P, e, n));
			memcpy(buf, e, n);
			buf[n] = '\0';
		}
		switch (kind) {
		case K_HOST:
			it = new_item(P, kind);
			if ((len = host_pattern(e, n, buf, &wild)) == -1)
				return perr(P, "host: bad name pattern '%s'",
				    shown(P, e, n));
			it->len = (uint8_t)len;
			it->a = (uint16_t)wild;
			it->u.off = pool_add(P, buf, (size_t)len);
			break;
		case K_IP:
			if (strspn(buf, "0123456789abcdefABCDEF:./") != n ||
			    cidr_parse(buf, &c) == -1)
				return perr(P, "ip: bad address or prefix '%s'",
				    shown(P, e, n));
			it = new_item(P, kind);
			it->len = c.bits;
			memcpy(it->u.addr, c.addr, 16);
			break;
		case K_PORT:
			it = new_item(P, kind);
			if (port_item(buf, it) == -1)
				return perr(P, "port: bad port or range '%s' "
				    "(want [tcp/|udp/]N[-M], 1..65535)",
				    shown(P, e, n));
			break;
		case K_ASN:
			it = new_item(P, kind);
			if (asn_item(buf, &it->u.asn) == -1)
				return perr(P, "asn: bad AS number '%s' "
				    "(1..4294967295)", shown(P, e, n));
			break;
		case K_COUNTRY:
			if (n != 2 || !is_letter(buf[0]) || !is_letter(buf[1]))
				return perr(P, "country: bad code '%s' (want "
				    "two letters)", shown(P, e, n));
			it = new_item(P, kind);
			it->a = (uint16_t)((buf[0] & ~0x20) << 8 |
			    (buf[1] & ~0x20));
			break;
		case K_NDPI:
			if (P->dpi == NULL)
				return perr(P, "ndpi: '%s': no nDPI to "
				    "resolve protocol names", shown(P, e, n));
			id = dpi_proto_id(P->dpi, buf);
			if (id < 0 || id > UINT16_MAX)
				return perr(P, "ndpi: unknown nDPI protocol "
				    "'%s'", shown(P, e, n));
			if (id == 0)
				return perr(P, "ndpi: '%s' is nDPI's "
				    "unknown protocol and never matches",
				    shown(P, e, n));
			it = new_item(P, kind);
			it->a = (uint16_t)id;
			break;
		case K_PAYLOAD:
			if (n > SIG_ITEM_BYTES)
				return perr(P, "payload: '%s' is %zu bytes "
				    "(1..%d allowed)", shown(P, e, n), n,
				    SIG_ITEM_BYTES);
			it = new_item(P, kind);
			it->len = (uint8_t)n;
			it->u.off = pool_add(P, e, n);
			break;
		case K_ALPN:
			if ((len = alpn_item(e, n, &wild)) == -1)
				return perr(P, "alpn: bad ALPN id '%s' (1-%d "
				    "printable characters, no space or ',', "
				    "'*' only at the end of a prefix)",
				    shown(P, e, n), SIG_TLS_ITEM_MAX);
			it = new_item(P, kind);
			it->len = (uint8_t)len;
			it->a = (uint16_t)wild;
			it->u.off = pool_add(P, e, (size_t)len);
			break;
		case K_CERT:
			if (n > SIG_TLS_ITEM_MAX)
				return perr(P, "cert: '%s' is %zu bytes (1..%d "
				    "allowed)", shown(P, e, n), n,
				    SIG_TLS_ITEM_MAX);
			if (memchr(e, '\0', n) != NULL)
				return perr(P, "cert: NUL byte in '%s'",
				    shown(P, e, n));
			for (len = 0; (size_t)len < n; len++)
				buf[len] = e[len] >= 'A' && e[len] <= 'Z' ?
				    (char)(e[len] - 'A' + 'a') : e[len];
			it = new_item(P, kind);
			it->len = (uint8_t)n;
			it->u.off = pool_add(P, buf, n);
			break;
		default:
			return perr(P, "internal error: kind %d", kind);
		}
	}
	return 0;
}

static int
valid_id(const char *p, size_t n)
{
	size_t i;

	if (n == 0 || n > SIG_ID_MAX)
		return 0;
	for (i = 0; i < n; i++)
		if (!is_letter(p[i]) && !(p[i] >= '0' && p[i] <= '9') &&
		    (p[i] == '\0' || strchr("_.:-", p[i]) == NULL))
			return 0;
	return 1;
}

/* A one-value key. */
static int
parse_single(struct parse *P, int key, const char *name, const char *v,
    size_t n)
{
	char buf[32];
	long off;

	if (key != KEY_MSG && key != KEY_ID) {
		if (n == 0 || n >= sizeof(buf) || memchr(v, '\0', n) != NULL)
			return perr(P, "%s: bad value '%s'", name,
			    shown(P, v, n));
		memcpy(buf, v, n);
		buf[n] = '\0';
	}
	switch (key) {
	case KEY_ID:
		if (!valid_id(v, n))
			return perr(P, "id: bad id '%s' (1-%d characters of "
			    "A-Za-z0-9_.:-)", shown(P, v, n), SIG_ID_MAX);
		P->id = v;
		P->idlen = n;
		break;
	case KEY_MSG:
		if (n == 0)
			return perr(P, "msg: empty message");
		if (memchr(v, '\0', n) != NULL)
			return perr(P, "msg: NUL byte in message");
		P->msg = v;
		P->msglen = n;
		break;
	case KEY_CATEGORY:
		P->category = policy_category_parse(buf);
		if (P->category == CAT_NONE || P->category == CAT_N)
			return perr(P, "category: unknown category '%s' (p2p, "
			    "mining, remote_access, proxy, dos, scan, "
			    "bruteforce)", shown(P, v, n));
		break;
	case KEY_CONFIDENCE:
		if ((P->confidence = confidence_parse(buf)) == CONF_NONE)
			return perr(P, "confidence: bad value '%s' (low, "
			    "medium, high)", shown(P, v, n));
		break;
	case KEY_OFFSET:
		if (parse_long(buf, 0, SIG_PAYLOAD_DEPTH - 1, &off) == -1)
			return perr(P, "offset: bad offset '%s' (0..%d)",
			    shown(P, v, n), SIG_PAYLOAD_DEPTH - 1);
		P->offset = (int)off;
		break;
	default:
		return perr(P, "internal error: key %d", key);
	}
	return 0;
}

/* Checks the rule read from one line and adds it to the set. */
static int
finish_rule(struct parse *P)
{
	struct sigset *s = P->s;
	struct sig_item *it;
	struct rule *r;
	char idbuf[SIG_ID_MAX + 1];
	uint32_t i, h, first, cur, nent = 0;
	uint8_t anchor;
	int k;

	if (P->id == NULL)
		return perr(P, "rule without id=");
	memcpy(idbuf, P->id, P->idlen);
	idbuf[P->idlen] = '\0';
	if (!(P->keys & 1u << KEY_CATEGORY))
		return perr(P, "rule '%s': no category=", idbuf);
	if (P->msg == NULL)
		return perr(P, "rule '%s': no msg=", idbuf);
	if (P->kinds == 0)
		return perr(P, "rule '%s': no match kind (host=, ip=, ndpi=, "
		    "payload=, port=, asn=, country=, alpn= or cert=)", idbuf);
	if (P->offset >= 0 && !(P->kinds & 1u << K_PAYLOAD))
		return perr(P, "rule '%s': offset= without payload=", idbuf);
	for (i = 0; i < P->nitem; i++) {
		it = &s->item[s->nitem + i];
		if (it->kind != K_PAYLOAD)
			continue;
		if (P->offset < 0) {
			it->a = NO_OFFSET;
			continue;
		}
		if (P->offset + it->len > SIG_PAYLOAD_DEPTH)
			return perr(P, "rule '%s': offset=%d puts a %u-byte "
			    "payload item past byte %d", idbuf, P->offset,
			    it->len, SIG_PAYLOAD_DEPTH);
		it->a = (uint16_t)P->offset;
	}
	for (k = 0; k < K_N; k++)
		if (P->kinds & 1u << k)
			break;
	anchor = (uint8_t)k;
	for (i = 0; i < P->nitem; i++) {
		it = &s->item[s->nitem + i];
		if (it->kind != anchor)
			continue;
		if (it->kind != K_PORT)
			nent += 1;
		else if ((uint32_t)it->u.port.last - it->a < SIG_PORT_EXPAND)
			nent += (uint32_t)it->u.port.last - it->a + 1;
		else
			nent += ((uint32_t)it->u.port.last >> 8) -
			    (it->a >> 8) + 1;
	}
	h = hash_bytes(P->id, P->idlen);
	for (i = tab_find(&s->ids, h, &cur); i != NONE;
	    i = tab_more(&s->ids, &cur)) {
		r = rule_at(s, i);
		if (strcmp(r->pub.id, idbuf) == 0)
			return perr(P, "id '%s' already used at %s:%d", idbuf,
			    r->pub.file, r->pub.line);
	}
	if (s->nrule >= SIG_RULES_MAX)
		return perr(P, "more than %u rules", SIG_RULES_MAX);
	if (s->nitem + P->nitem > SIG_ITEMS_MAX ||
	    s->npool + P->npool > SIG_POOL_MAX || s->nent + nent > SIG_ENTS_MAX)
		return perr(P, "rules too large (more than %u items, %u index "
		    "entries or %u bytes of names and payloads)", SIG_ITEMS_MAX,
		    SIG_ENTS_MAX, SIG_POOL_MAX);

	if ((s->nrule & (RULE_BLOCK - 1)) == 0) {
		s->block = xreallocarray(s->block, s->nblock + 1,
		    sizeof(*s->block));
		s->block[s->nblock++] = xreallocarray(NULL, RULE_BLOCK,
		    sizeof(**s->block));
	}
	if (P->file == NULL)
		P->file = sigset_text_add(s, P->path, strlen(P->path));
	r = rule_at(s, s->nrule);
	memset(r, 0, sizeof(*r));
	r->pub.id = sigset_text_add(s, P->id, P->idlen);
	r->pub.msg = sigset_text_add(s, P->msg, P->msglen);
	r->pub.file = P->file;
	r->pub.line = P->line;
	r->pub.category = P->category;
	r->pub.confidence = P->confidence;
	/* A port alone says what a service usually is, never what this
	 * flow said. */
	r->pub.contextual = P->kinds == 1u << K_PORT;
	r->pub.index = s->nrule;
	r->item = s->nitem;
	r->nitem = (uint16_t)P->nitem;
	r->anchor = anchor;
	s->nent += nent;
	sig_tab_insert(&s->ids, h, s->nrule);
	first = s->nitem;
	s->nitem += P->nitem;
	s->npool += P->npool;
	s->nrule++;
	for (i = first; i < s->nitem; i++)
		if (s->item[i].kind == r->anchor)
			sigset_index_item(s, i);
	return 0;
}

static int
parse_line(struct parse *P, char *line, size_t end)
{
	size_t pos = 0, kstart, vlen = 0;
	char kbuf[16], *val = NULL;
	unsigned i;
	int key;

	while (pos < end && is_space(line[pos]))
		pos++;
	if (pos == end || line[pos] == '#')
		return 0;

	P->id = P->msg = NULL;
	P->idlen = P->msglen = 0;
	P->category = CAT_NONE;
	P->confidence = CONF_MEDIUM;
	P->offset = -1;
	P->keys = P->kinds = 0;
	P->nitem = P->npool = 0;

	while (pos < end) {
		kstart = pos;
		while (pos < end && !is_space(line[pos]) && line[pos] != '=')
			pos++;
		if (pos == end || line[pos] != '=') {
			while (pos < end && !is_space(line[pos]))
				pos++;
			return perr(P, "'%s': not key=value",
			    shown(P, line + kstart, pos - kstart));
		}
		key = -1;
		if (pos - kstart < sizeof(kbuf)) {
			memcpy(kbuf, line + kstart, pos - kstart);
			kbuf[pos - kstart] = '\0';
			for (i = 0; i < NELEM(key_table) && key == -1; i++)
				if (kbuf[0] == key_table[i].name[0] &&
				    strcmp(key_table[i].name, kbuf) == 0)
					key = key_table[i].key;
		}
		if (key == -1)
			return perr(P, "unknown key '%s'",
			    shown(P, line + kstart, pos - kstart));
		if (P->keys & 1u << key)
			return perr(P, "repeated key '%s'", kbuf);
		P->keys |= 1u << key;
		pos++;
		if (read_value(P, line, &pos, end, kbuf, &val, &vlen) == -1)
			return -1;
		if (key < K_N) {
			P->kinds |= 1u << key;
			if (parse_kind(P, (enum sig_kind)key, line) == -1)
				return -1;
		} else if (parse_single(P, key, kbuf, val, vlen) == -1) {
			return -1;
		}
		while (pos < end && is_space(line[pos]))
			pos++;
	}
	return finish_rule(P);
}

int
sigset_load_file(struct sigset *s, const char *path, struct dpi *dpi,
    char *err, size_t errlen)
{
	struct parse *P = NULL;
	char *line = NULL;
	FILE *fp;
	size_t len;
	int c, rc = -1;

	if ((fp = file_fopen_regular(path, err, errlen)) == NULL)
		return -1;
	P = xcalloc(1, sizeof(*P));
	P->s = s;
	P->dpi = dpi;
	P->path = path;
	P->err = err;
	P->errlen = errlen;
	line = xmalloc(SIG_LINE_MAX + 1);
	for (;;) {
		len = 0;
		while ((c = getc_unlocked(fp)) != EOF && c != '\n') {
			if (len == SIG_LINE_MAX) {
				P->line++;
				perr(P, "line longer than %d bytes",
				    SIG_LINE_MAX);
				goto out;
			}
			line[len++] = (char)c;
		}
		if (ferror(fp)) {
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
			goto out;
		}
		if (c == EOF && len == 0)
			break;
		P->line++;
		line[len] = '\0';
		if (parse_line(P, line, len) == -1)
			goto out;
		if (c == EOF)
			break;
	}
	rc = 0;
out:
	sigset_trim(s);
	free(line);
	free(P);
	fclose(fp);
	return rc;
}

static int
rules_name(const struct dirent *d)
{
	size_t n = strlen(d->d_name);

	return n > 6 && strcmp(d->d_name + n - 6, ".rules") == 0;
}

int
sigset_load_dir(struct sigset *s, const char *dir, struct dpi *dpi,
    char *err, size_t errlen)
{
	struct dirent **names = NULL;
	char path[PATH_MAX];
	struct stat st;
	int i, n, rc = -1;

	if ((n = scandir(dir, &names, rules_name, alphasort)) == -1) {
		snprintf(err, errlen, "%s: %s", dir, strerror(errno));
		return -1;
	}
	for (i = 0; i < n; i++) {
		if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir,
		    names[i]->d_name) >= sizeof(path)) {
			snprintf(err, errlen, "%s/%s: path too long", dir,
			    names[i]->d_name);
			goto out;
		}
		if (stat(path, &st) == -1) {
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
			goto out;
		}
		/* Skipped with a warning, not an error: the configuration
		 * names the directory, not this entry. It is not opened, so a
		 * FIFO cannot block; one put in place of a regular file after
		 * this stat is refused by sigset_load_file() without
		 * blocking. */
		if (!S_ISREG(st.st_mode)) {
			log_warn("%s: is %s, not a regular file: skipped", path,
			    file_type_name(st.st_mode));
			continue;
		}
		if (sigset_load_file(s, path, dpi, err, errlen) == -1)
			goto out;
	}
	rc = 0;
out:
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return rc;
}
