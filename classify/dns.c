/*
 * dns.c: the DNS message reader, the per-VM name cache and the DNS tunnel
 * detector of dns.h.
 *
 * The one decision a reader needs: both tables are bounded LRU tables
 * (lrutab.h), fixed pools sized at new() that never grow, keyed by SipHash
 * with a random key (so a VM cannot aim its names at one chain); when the
 * pool is full the least recently used entry is reused. Nothing is
 * allocated per packet. Neither counts or reports what it reuses: the
 * eviction count lrutab keeps goes nowhere.
 *
 * Names are presented one character per octet so lengths and character
 * statistics survive: A-Z are lower-cased, other printable ASCII is kept,
 * and an octet that is not printable (or a '.' or space inside a label)
 * becomes the stand-in 'A' + octet % 26. Upper-case letters therefore only
 * ever mark stand-ins, and a name stays printable for logs and JSON.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bytes.h"
#include "dns.h"
#include "lrutab.h"
#include "siphash.h"
#include "util.h"

#define DNS_HDR_LEN	12
#define DNS_MAX_JUMPS	16	/* compression pointers followed per name */
#define DNS_WIRE_MAX	255	/* RFC 1035 section 3.1: octets of a name */
#define DNS_TYPE_A	1
#define DNS_TYPE_CNAME	5
#define DNS_TYPE_NULL	10
#define DNS_TYPE_MX	15
#define DNS_TYPE_TXT	16
#define DNS_TYPE_AAAA	28
#define DNS_CLASS_IN	1

#define TAB_MAX		(1u << 24)	/* entries a table may be asked for */

/* ---- Messages (RFC 1035 section 4) ---- */

static char
name_char(uint8_t c)
{
	if (c >= 'A' && c <= 'Z')
		return (char)(c + ('a' - 'A'));
	if (c > 0x20 && c < 0x7f && c != '.')
		return (char)c;
	return (char)('A' + c % 26);
}

/*
 * Reads the name at *off (RFC 1035 section 4.1.4 compression), writing its
 * presentation form into out when out is not NULL, and moves *off past the
 * name as it sits at *off. Every read is bounded by len, at most
 * DNS_MAX_JUMPS pointers are followed (so a loop ends), labels of the
 * extended types 0x40/0x80 (RFC 6891 section 5) are refused, and the name
 * may not exceed 255 octets (section 3.1).
 */
static int
read_name(const uint8_t *msg, size_t len, size_t *off, char *out)
{
	size_t pos = *off, end = 0, wire = 1, olen = 0, ptr, i;
	unsigned jumps = 0;
	uint8_t c;

	for (;;) {
		if (pos >= len)
			return -1;
		c = msg[pos];
		if ((c & 0xc0) == 0xc0) {
			if (pos + 1 >= len || ++jumps > DNS_MAX_JUMPS)
				return -1;
			ptr = (size_t)(c & 0x3f) << 8 | msg[pos + 1];
			if (ptr >= len)
				return -1;
			if (end == 0)
				end = pos + 2;
			pos = ptr;
			continue;
		}
		if (c & 0xc0)
			return -1;
		if (c == 0)
			break;
		/* c <= 63 here: the two high bits are clear. */
		if (c > len - pos - 1)
			return -1;
		wire += 1 + (size_t)c;
		if (wire > DNS_WIRE_MAX)
			return -1;
		if (out != NULL) {
			if (olen > 0)
				out[olen++] = '.';
			for (i = 0; i < c; i++)
				out[olen++] = name_char(msg[pos + 1 + i]);
		}
		pos += 1 + (size_t)c;
	}
	if (end == 0)
		end = pos + 1;
	if (out != NULL)
		out[olen] = '\0';	/* olen <= wire - 2 < DNS_NAME_MAX */
	*off = end;
	return 0;
}

/* Reads one resource record at *off; stores its address in m when it is
 * an A or AAAA of class IN and there is room. */
static int
read_rr(const uint8_t *msg, size_t len, size_t *off, struct dns_msg *m,
    int answer)
{
	uint16_t type, class, rdlen;
	const uint8_t *rd;

	if (read_name(msg, len, off, NULL) == -1 || len - *off < 10)
		return -1;
	type = be16(msg + *off);
	class = be16(msg + *off + 2);
	rdlen = be16(msg + *off + 8);
	*off += 10;
	if (rdlen > len - *off)
		return -1;
	rd = msg + *off;
	*off += rdlen;
	if (!answer || class != DNS_CLASS_IN)
		return 0;
	if (type == DNS_TYPE_A) {
		if (rdlen != 4)
			return -1;
		if (m->nanswers < NELEM(m->answers)) {
			memset(m->answers[m->nanswers], 0, 10);
			m->answers[m->nanswers][10] = 0xff;
			m->answers[m->nanswers][11] = 0xff;
			memcpy(m->answers[m->nanswers] + 12, rd, 4);
			m->nanswers++;
		}
	} else if (type == DNS_TYPE_AAAA) {
		if (rdlen != 16)
			return -1;
		if (m->nanswers < NELEM(m->answers))
			memcpy(m->answers[m->nanswers++], rd, 16);
	}
	/* CNAMEs and everything else: skipped by their RDLENGTH. */
	return 0;
}

int
dns_parse(const uint8_t *data, size_t len, struct dns_msg *out)
{
	size_t off = DNS_HDR_LEN;
	unsigned long i, nrr;
	uint16_t an;

	memset(out, 0, offsetof(struct dns_msg, answers));
	if (data == NULL || len < DNS_HDR_LEN)
		return -1;
	/* Header: ID, flags (QR is the top bit), QDCOUNT, ANCOUNT, NSCOUNT,
	 * ARCOUNT. Every query and answer egressd reads asks one question. */
	if (be16(data + 4) != 1)
		return -1;
	out->id = be16(data);
	out->is_response = (data[2] & 0x80) != 0;
	an = be16(data + 6);
	nrr = (unsigned long)an + be16(data + 8) + be16(data + 10);
	if (read_name(data, len, &off, out->qname) == -1 || len - off < 4)
		goto bad;
	out->qtype = be16(data + off);
	off += 4;
	/* Every section is walked, so a message cut anywhere is refused;
	 * octets after the last record are tolerated (padding). */
	for (i = 0; i < nrr; i++)
		if (read_rr(data, len, &off, out, i < an) == -1)
			goto bad;
	return 0;
bad:
	out->qname[0] = '\0';
	out->nanswers = 0;
	return -1;
}

/* ---- Both tables: lrutab.h ---- */

/* A table with its hash key and its reuse count: the times given lrutab
 * are all 0 (neither table is told one), so every reuse of an entry of a
 * full pool counts. */
struct dns_tab {
	struct lrutab lru;
	struct siphash_key key;
	uint64_t reused;	/* kept by lrutab, reported nowhere */
};

static int
tab_init(struct dns_tab *t, size_t max, size_t esize, size_t keyoff,
    size_t keylen)
{
	if (max == 0 || max > TAB_MAX || siphash_key_random(&t->key) == -1)
		return -1;
	lrutab_init(&t->lru, max, esize, keyoff, keylen, 0);
	return 0;
}

/* ---- The name cache ---- */

/* The address first: lrutab tries the last lookup's entry before hashing,
 * and that is most often the same VM's, so a compare ends sooner. */
struct cache_key {
	uint8_t addr[16];
	uint8_t vm[16];
};

struct cache_entry {
	struct lru_ent h;
	struct cache_key k;
	char name[DNS_NAME_MAX];
};

struct dns_cache {
	struct dns_tab tab;
};

struct dns_cache *
dns_cache_new(size_t max_entries)
{
	struct dns_cache *c = xcalloc(1, sizeof(*c));

	if (tab_init(&c->tab, max_entries, sizeof(struct cache_entry),
	    offsetof(struct cache_entry, k), sizeof(struct cache_key)) == -1) {
		free(c);
		return NULL;
	}
	return c;
}

void
dns_cache_free(struct dns_cache *c)
{
	if (c == NULL)
		return;
	lrutab_free(&c->tab.lru);
	free(c);
}

/* The entry of (vm, addr), made (the oldest reused when the pool is full)
 * when create is set, else NULL when there is none. */
static struct cache_entry *
cache_lookup(struct dns_cache *c, const uint8_t vm[16], const uint8_t addr[16],
    int create)
{
	struct cache_key k;
	int fresh;

	memcpy(k.addr, addr, 16);
	memcpy(k.vm, vm, 16);
	return lrutab_get(&c->tab.lru, &c->tab.key, &c->tab.reused, &k, create,
	    0, &fresh);
}

void
dns_cache_put(struct dns_cache *c, const uint8_t vm[16], const uint8_t addr[16],
    const char *name)
{
	struct cache_entry *e = cache_lookup(c, vm, addr, 1);

	str_copy(e->name, name, sizeof(e->name));
}

const char *
dns_cache_get(struct dns_cache *c, const uint8_t vm[16], const uint8_t addr[16])
{
	struct cache_entry *e = cache_lookup(c, vm, addr, 0);

	return e != NULL ? e->name : NULL;
}

/* ---- The tunnel detector ----
 *
 * Per (VM, base domain) it counts, over a window of TUN_SLOTS slots of
 * TUN_SLOT_US (a sliding 50-60 s), queries with a new subdomain (not among
 * the entry's last TUN_RECENT) that are
 *  - long: >= 30 characters below the base domain, dots not counted, or a
 *    label >= 40 (DNS tunnels fill labels, RFC 1035 allows 63), with
 *    Shannon entropy >= 3.5 bits per character (encoded data; names people
 *    choose sit well below that);
 *  - of a data-carrying type: TXT, NULL, CNAME, MX or the private-use
 *    range 65280-65534 (RFC 6895 section 3.1), which iodine, dnscat2 and
 *    friends use for the downstream.
 *  - base64-encoded: a label that holds '+', '/' or '=', which base64
 *    (RFC 4648 section 4) uses and no host name has (RFC 1123 section
 *    2.1), as dns2tcp's data and its "=auth" and "=connect" labels do.
 * A tunnel is reported once per entry when 20 long queries, 30
 * data-carrying ones or 3 base64-encoded ones fall in the window: high
 * when long queries of a data-carrying type reach 20 as well (both signs
 * at once, iodine's), or both thresholds hold; medium otherwise.
 *
 * The base domain is the last two labels, or three when the TLD has two
 * letters and the second-level label is one of the generic second levels
 * of ccTLDs (ac, co, com, edu, gov, net, org: example.co.uk). That is no
 * public-suffix list, only enough to keep example.co.uk and other.co.uk
 * apart. Names under .arpa (reverse lookups) and subdomains whose labels
 * are all 3 characters or shorter (reversed addresses, DNSBL lookups such
 * as 4.3.2.1.zen.spamhaus.org) are not counted.
 */

#define TUN_SLOTS		6
#define TUN_SLOT_US		10000000ULL
#define TUN_RECENT		16
#define TUN_BASE_MAX		192	/* three labels of 63 and two dots */
#define TUN_LONG_CHARS		30
#define TUN_LONG_LABEL		40
#define TUN_ENTROPY_MIN		3.5
#define TUN_LONG_QUERIES	20
#define TUN_TYPE_QUERIES	30
#define TUN_ENC_QUERIES		3	/* base64-encoded queries, see below */

/* The base domain zero-padded to its full size, so keys compare whole. */
struct tun_key {
	uint8_t vm[16];
	char base[TUN_BASE_MAX];
};

struct tun_entry {
	struct lru_ent h;
	struct tun_key k;
	uint64_t slot[TUN_SLOTS];	/* slot number of each counter */
	uint16_t nlong[TUN_SLOTS];	/* long, high-entropy queries */
	uint16_t ntype[TUN_SLOTS];	/* data-carrying types */
	uint16_t nboth[TUN_SLOTS];	/* both at once */
	uint8_t nenc[TUN_SLOTS];	/* base64-encoded, new subdomains */
	uint32_t recent[TUN_RECENT];	/* hashes of the latest subdomains */
	uint8_t recent_pos;
	uint8_t reported;
	uint16_t entropy_x100;		/* of the latest long query */
};

/* lrutab compares keys a 4-byte word at a time. */
_Static_assert(sizeof(struct tun_key) % 4 == 0 &&
    sizeof(struct cache_key) % 4 == 0, "DNS keys are whole 4-byte words");

struct dns_tunnel {
	struct dns_tab tab;
};

struct dns_tunnel *
dns_tunnel_new(size_t max_entries)
{
	struct dns_tunnel *t = xcalloc(1, sizeof(*t));

	if (tab_init(&t->tab, max_entries, sizeof(struct tun_entry),
	    offsetof(struct tun_entry, k), sizeof(struct tun_key)) == -1) {
		free(t);
		return NULL;
	}
	return t;
}

void
dns_tunnel_free(struct dns_tunnel *t)
{
	if (t == NULL)
		return;
	lrutab_free(&t->tab.lru);
	free(t);
}

static int
is_cc_second_level(const char *s, size_t n)
{
	static const char *const sl[] = {
		"ac", "co", "com", "edu", "gov", "net", "org",
	};
	size_t k;

	for (k = 0; k < NELEM(sl); k++)
		if (strlen(sl[k]) == n && memcmp(s, sl[k], n) == 0)
			return 1;
	return 0;
}

/* Offset of the base domain in name, or -1 when the name has nothing below
 * its base domain. */
static long
base_offset(const char *name, size_t len)
{
	size_t dots[3], nd = 0, i, tld, sl;

	for (i = len; i > 0 && nd < 3; i--)
		if (name[i - 1] == '.')
			dots[nd++] = i - 1;
	if (nd < 2)
		return -1;
	tld = len - dots[0] - 1;
	sl = dots[0] - dots[1] - 1;
	if (tld == 2 && is_cc_second_level(name + dots[1] + 1, sl)) {
		if (nd < 3)
			return -1;
		return (long)dots[2] + 1;
	}
	return (long)dots[1] + 1;
}

/* Whether s[0..n) holds a character of base64's that no host name has. */
static int
base64_label(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (s[i] == '+' || s[i] == '/' || s[i] == '=')
			return 1;
	return 0;
}

/* Shannon entropy, bits per character, of s[0..n) without the dots;
 * *chars gets their number and *longest the longest label. */
static double
sub_entropy(const char *s, size_t n, size_t *chars, size_t *longest)
{
	uint8_t count[256];
	size_t i, total = 0, run = 0;
	double sum = 0;

	memset(count, 0, sizeof(count));
	*longest = 0;
	for (i = 0; i < n; i++) {
		if (s[i] == '.') {
			run = 0;
			continue;
		}
		count[(uint8_t)s[i]]++;	/* n < 256: no overflow */
		total++;
		if (++run > *longest)
			*longest = run;
	}
	*chars = total;
	if (total == 0)
		return 0;
	for (i = 0; i < NELEM(count); i++)
		if (count[i] > 0)
			sum += count[i] * log2(count[i]);
	return log2((double)total) - sum / (double)total;
}

static int
is_data_type(uint16_t t)
{
	return t == DNS_TYPE_TXT || t == DNS_TYPE_NULL || t == DNS_TYPE_CNAME ||
	    t == DNS_TYPE_MX || (t >= 65280 && t <= 65534);
}

int
dns_tunnel_query(struct dns_tunnel *t, const uint8_t vm[16],
    const struct dns_msg *q, uint64_t now_us, struct heur_hit *hit)
{
	struct tun_key key;
	struct tun_entry *e;
	const char *base;
	size_t len, sublen, chars, longest, blen, i;
	unsigned nlong = 0, ntype = 0, nboth = 0, nenc = 0;
	uint64_t slot = now_us / TUN_SLOT_US;
	uint32_t sh;
	double ent = 0;
	int is_long, is_type, is_enc, fresh;
	long boff;

	if (q->is_response)
		return 0;
	len = strnlen(q->qname, sizeof(q->qname));
	if (len == 0 || len >= sizeof(q->qname))
		return 0;
	if (len >= 5 && strcmp(q->qname + len - 5, ".arpa") == 0)
		return 0;
	if ((boff = base_offset(q->qname, len)) <= 1)
		return 0;
	base = q->qname + boff;
	blen = len - (size_t)boff;
	if (blen >= TUN_BASE_MAX)
		return 0;
	sublen = (size_t)boff - 1;

	ent = sub_entropy(q->qname, sublen, &chars, &longest);
	if (longest <= 3)
		return 0;	/* reversed addresses, DNSBL lookups */
	is_long = (chars >= TUN_LONG_CHARS || longest >= TUN_LONG_LABEL) &&
	    ent >= TUN_ENTROPY_MIN;
	is_type = is_data_type(q->qtype);
	is_enc = base64_label(q->qname, sublen);
	if (!is_long && !is_type && !is_enc)
		return 0;	/* ordinary names take no entry */

	memset(&key, 0, sizeof(key));
	memcpy(key.vm, vm, 16);
	memcpy(key.base, base, blen);
	e = lrutab_get(&t->tab.lru, &t->tab.key, &t->tab.reused, &key, 1, 0,
	    &fresh);

	/* A subdomain asked again (a retry, a poll of one name) is no new
	 * data; tunnels never repeat one. */
	sh = (uint32_t)siphash24(&t->tab.key, q->qname, sublen) | 1;
	for (i = 0; i < TUN_RECENT; i++)
		if (e->recent[i] == sh)
			return 0;
	e->recent[e->recent_pos] = sh;
	e->recent_pos = (uint8_t)((e->recent_pos + 1) % TUN_RECENT);

	i = slot % TUN_SLOTS;
	if (e->slot[i] < slot) {
		e->slot[i] = slot;
		e->nlong[i] = e->ntype[i] = e->nboth[i] = 0;
		e->nenc[i] = 0;
	}
	if (is_enc && e->nenc[i] < UINT8_MAX)
		e->nenc[i]++;
	if (is_long && e->nlong[i] < UINT16_MAX) {
		e->nlong[i]++;
		e->entropy_x100 = (uint16_t)(ent * 100);
	}
	if (is_type && e->ntype[i] < UINT16_MAX)
		e->ntype[i]++;
	if (is_long && is_type && e->nboth[i] < UINT16_MAX)
		e->nboth[i]++;
	if (e->reported)
		return 0;
	for (i = 0; i < TUN_SLOTS; i++) {
		if (e->slot[i] + TUN_SLOTS <= slot || e->slot[i] > slot)
			continue;
		nlong += e->nlong[i];
		ntype += e->ntype[i];
		nboth += e->nboth[i];
		nenc += e->nenc[i];
	}
	if (nlong < TUN_LONG_QUERIES && ntype < TUN_TYPE_QUERIES &&
	    nenc < TUN_ENC_QUERIES)
		return 0;
	e->reported = 1;
	hit->category = CAT_PROXY;
	hit->name = "dns-tunnel";
	hit->confidence = nlong >= TUN_LONG_QUERIES &&
	    (ntype >= TUN_TYPE_QUERIES || nboth >= TUN_LONG_QUERIES) ?
	    CONF_HIGH : CONF_MEDIUM;
	if (nlong < TUN_LONG_QUERIES && ntype < TUN_TYPE_QUERIES)
		snprintf(hit->detail, sizeof(hit->detail),
		    "%.40s: %u base64 names, %u TXT/NULL/CNAME/MX in %us",
		    e->k.base, nenc, ntype,
		    (unsigned)(TUN_SLOTS * TUN_SLOT_US / 1000000));
	else
		snprintf(hit->detail, sizeof(hit->detail),
		    "%.40s: %u long (H=%u.%02u), %u TXT/NULL/CNAME/MX in %us",
		    e->k.base, nlong, e->entropy_x100 / 100,
		    e->entropy_x100 % 100, ntype,
		    (unsigned)(TUN_SLOTS * TUN_SLOT_US / 1000000));
	return 1;
}

/* iodine's common.c: raw_header is 10 d1 9e, then the command in the high
 * nibble (1 login, 2 data, 3 ping) and the user in the low. The client
 * switches to it once its login over DNS found the server reachable. */
int
dns_iodine_raw(const uint8_t *d, size_t len, struct heur_hit *hit)
{
	static const char *const cmd[] = { "login", "data", "ping" };
	unsigned c;

	if (len < 4 || d[0] != 0x10 || d[1] != 0xd1 || d[2] != 0x9e)
		return 0;
	c = d[3] >> 4;
	if (c < 1 || c > 3)
		return 0;
	hit->category = CAT_PROXY;
	hit->confidence = CONF_HIGH;
	hit->name = "iodine-raw";
	snprintf(hit->detail, sizeof(hit->detail),
	    "iodine's raw UDP header (%s, user %u) on a DNS flow", cmd[c - 1],
	    d[3] & 15u);
	return 1;
}
