/*
 * sig.c: the signature engine. Rule files are parsed into one flat store
 * (rules, their match items, a byte pool for names and payloads) and every
 * rule is indexed under one anchor kind, so a lookup costs a few hash
 * probes however many rules are loaded.
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
 *
 * DESIGN
 *
 * Each rule is indexed under the first kind it has in the order host, ip,
 * ndpi, payload, port, asn, country, alpn, cert: hosts in a hash of names
 * (a "*.D" pattern is stored under D and found by probing every
 * label-boundary suffix of the fact), addresses in one hash keyed by
 * (prefix length, masked address) probed once per prefix length in use,
 * ndpi ids, ASNs and countries in integer hashes, ports in an integer
 * hash port by port for ranges of up to 16 ports and by 256-port block
 * for wider ones, payload items by their first two bytes (or one, for
 * one-byte items) and, when pinned, their offset. Rules anchored on alpn
 * or cert go into one plain list per kind, walked whole only when the
 * fact is known: rules with nothing better to anchor on are few, and the
 * facts arrive once per TLS flow, so a hash would buy nothing. A
 * candidate is reported only from the first of its rule's anchor items
 * that holds, so a rule reached several ways fires once per lookup
 * without any per-lookup memory.
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
#include "util.h"

#define SIG_LINE_MAX	4096
#define SIG_ID_MAX	31
#define SIG_HOST_MAX	253
#define SIG_LABEL_MAX	63
#define SIG_ITEM_BYTES	32	/* longest payload= item */
#define SIG_TLS_ITEM_MAX 64	/* longest alpn= id or prefix, cert= text */
#define SIG_FLOAT_LAST	32	/* last start offset of an unpinned item */
#define SIG_PORT_EXPAND	16	/* widest range hashed port by port */
#define SIG_RULES_MAX	(1u << 24)
#define SIG_ITEMS_MAX	(1u << 27)
#define SIG_POOL_MAX	(1u << 30)
#define SIG_ELEMS_MAX	(SIG_LINE_MAX + 1)	/* items of one value */
#define SIG_ENTS_MAX	(1u << 28)	/* anchor index entries */
#define RULE_BLOCK_SHIFT 10
#define RULE_BLOCK	(1u << RULE_BLOCK_SHIFT)
#define TEXT_CHUNK	65536
#define NONE		UINT32_MAX
#define SLOT_LIST	0x80000000u	/* sig_slot.item is a list */
#define NO_OFFSET	0xffff

/* Anchor preference order. */
enum sig_kind {
	K_HOST, K_IP, K_NDPI, K_PAYLOAD, K_PORT, K_ASN, K_COUNTRY, K_ALPN,
	K_CERT, K_N
};

/* The first kind anchored in a walked list rather than an index. */
#define K_WALKED	K_ALPN

static const char *const kind_names[K_N] = {
	"host", "ip", "ndpi", "payload", "port", "asn", "country", "alpn",
	"cert",
};

/* Payload index keys: the class in the high bits, then offset and bytes. */
#define PK_FLOAT2	0x01000000u
#define PK_FLOAT1	0x02000000u
#define PK_PIN2		0x04000000u
#define PK_PIN1		0x08000000u

/* One alternative of one kind of one rule. */
struct sig_item {
	uint32_t rule;		/* index of its rule */
	uint8_t kind;		/* enum sig_kind */
	uint8_t len;		/* host: name length; payload, alpn, cert:
				 * bytes; ip: prefix bits */
	uint16_t a;		/* host: 1 if "*."; payload: pinned offset or
				 * NO_OFFSET; port: first; ndpi: id;
				 * country: two upper-case letters;
				 * alpn: 1 if a prefix (without its '*') */
	union {
		uint8_t addr[16];	/* ip: masked, mapped */
		uint32_t asn;
		uint32_t off;		/* host, payload, alpn, cert (lower
					 * case): bytes in the pool */
		struct {
			uint16_t last;
			uint8_t proto;	/* 6, 17, or 0 for both */
		} port;
	} u;
};

struct rule {
	struct sig_rule pub;	/* first, so the two convert */
	uint32_t item;		/* first of its items; kinds are contiguous */
	uint16_t nitem;
	uint8_t anchor;		/* enum sig_kind it is indexed under */
};

/* A slot of an index: a key and the one item filed under it, or, with
 * SLOT_LIST set, the head of a list of the items filed under it. */
struct sig_slot {
	uint32_t key;		/* the integer itself, or a 32-bit hash */
	uint32_t item;		/* NONE when the slot is empty */
};

struct sig_list {
	uint32_t item;
	uint32_t next;		/* NONE ends the list */
};

/*
 * An index: open addressing with linear probing over distinct keys, at
 * most 3/4 full, so a probe is mostly one cache line; keys holding
 * several items chain them in a side list. Most probes of a lookup miss,
 * so each index also keeps a one-bit-per-key filter of 8 bits per slot,
 * small enough to stay in cache, and skips the slots when the key's bit
 * is clear.
 */
struct sig_tab {
	struct sig_slot *slot;	/* mask + 1 of them; NULL while empty */
	uint8_t *filter;	/* mask + 1 bytes */
	struct sig_list *list;
	uint32_t mask;
	uint32_t nkey;		/* distinct keys */
	uint32_t nitem;		/* items filed */
	uint32_t nlist, caplist;
	int intkeys;		/* keys are integers, mixed before probing */
};

/* The anchor items of a kind too rare to index, walked whole. */
struct sig_walk {
	uint32_t *item;
	uint32_t n, cap;
};

struct text_chunk {
	struct text_chunk *next;
	size_t used, size;
	char data[];
};

struct sigset {
	struct rule **block;	/* rules in blocks of RULE_BLOCK, never moved */
	uint32_t nrule, nblock;
	struct sig_item *item;
	uint32_t nitem, capitem;
	uint8_t *pool;		/* host names (lower case) and payload bytes */
	uint32_t npool, cappool;
	struct text_chunk *text;	/* ids, messages, file names */
	struct sig_tab tab[K_WALKED];	/* anchor indexes */
	struct sig_walk walk[K_N - K_WALKED];	/* alpn, cert anchors */
	struct sig_tab port_wide;	/* wide port ranges by port >> 8 */
	struct sig_tab ids;
	uint32_t ip_len_used[129];	/* anchor prefixes by length */
	uint8_t ip_lens[129];		/* lengths in use, longest first */
	unsigned nip_len;
	uint8_t *pair_seen;		/* bitmap of PK_FLOAT2 keys in use */
	/* by two bytes b0 b1: a floating item may start with them (its
	 * pair, or b0 when it is one byte); NULL when there is none */
	uint8_t *float_seen;
	uint8_t single_seen[32];	/* bitmap of PK_FLOAT1 keys in use */
	uint64_t pinned;		/* bitmap of pinned offsets in use */
	uint32_t nent;		/* anchor index entries, all tables */
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

/* What a lookup knows, normalised once. */
struct lookup {
	const struct sigset *s;
	const struct sig_facts *f;
	char host[SIG_HOST_MAX + 2];
	size_t hostlen;		/* 0 when the name is unknown or unusable */
	uint16_t country;	/* 0 when unknown */
	void (*fn)(const struct sig_rule *, void *);
	void *arg;
	size_t n;
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

static uint32_t
mix32(uint32_t x)
{
	x ^= x >> 16;
	x *= 0x7feb352dU;
	x ^= x >> 15;
	x *= 0x846ca68bU;
	x ^= x >> 16;
	return x;
}

/*
 * Where keys land depends on the rules, which the operator writes, and not
 * on traffic: traffic only looks keys up in a table that never changes
 * after loading, so no input can lengthen a chain and a keyed hash buys
 * nothing here. This one reads the key 8 bytes at a time.
 */
static uint32_t
hash_bytes(const void *p, size_t n)
{
	const uint8_t *b = p;
	uint64_t h = 0x9e3779b97f4a7c15ULL ^ n, w;

	for (; n >= 8; b += 8, n -= 8) {
		memcpy(&w, b, 8);
		h = (h ^ w) * 0xff51afd7ed558ccdULL;
		h ^= h >> 32;
	}
	if (n > 0) {
		w = 0;
		memcpy(&w, b, n);
		h = (h ^ w) * 0xc4ceb9fe1a85ec53ULL;
		h ^= h >> 29;
	}
	h *= 0xff51afd7ed558ccdULL;
	return (uint32_t)(h ^ h >> 32);
}

static uint32_t
tab_bucket(const struct sig_tab *t, uint32_t key)
{
	return (t->intkeys ? mix32(key) : key) & t->mask;
}

/* The filter bit of a key: other bits of the hash than the slot's. */
static uint32_t
tab_filter_bit(const struct sig_tab *t, uint32_t key)
{
	return mix32(key ^ 0x9e3779b9U) & (t->mask * 8 + 7);
}

/* The slot of key, or the empty slot where it would go. */
static struct sig_slot *
tab_slot(const struct sig_tab *t, uint32_t key)
{
	uint32_t b = tab_bucket(t, key);

	while (t->slot[b].item != NONE && t->slot[b].key != key)
		b = (b + 1) & t->mask;
	return &t->slot[b];
}

static void
tab_grow(struct sig_tab *t)
{
	struct sig_slot *old = t->slot, *to;
	uint32_t n = old == NULL ? 0 : t->mask + 1, nb = n == 0 ? 16 : n * 2;
	uint32_t i, bit;

	t->slot = xreallocarray(NULL, nb, sizeof(*t->slot));
	for (i = 0; i < nb; i++)
		t->slot[i].item = NONE;
	t->filter = xreallocarray(t->filter, nb, 1);
	memset(t->filter, 0, nb);
	t->mask = nb - 1;
	for (i = 0; i < n; i++) {
		if (old[i].item == NONE)
			continue;
		to = tab_slot(t, old[i].key);
		*to = old[i];
		bit = tab_filter_bit(t, old[i].key);
		t->filter[bit >> 3] |= (uint8_t)(1u << (bit & 7));
	}
	free(old);
}

static uint32_t
tab_list_add(struct sig_tab *t, uint32_t item, uint32_t next)
{
	if (t->nlist == t->caplist) {
		t->caplist = t->caplist ? t->caplist * 2 : 8;
		t->list = xreallocarray(t->list, t->caplist, sizeof(*t->list));
	}
	t->list[t->nlist].item = item;
	t->list[t->nlist].next = next;
	return t->nlist++;
}

static void
tab_insert(struct sig_tab *t, uint32_t key, uint32_t item)
{
	struct sig_slot *sl;
	uint32_t bit;

	if (t->slot == NULL || (t->nkey + 1) * 4 > (t->mask + 1) * 3)
		tab_grow(t);
	sl = tab_slot(t, key);
	if (sl->item == NONE) {
		sl->key = key;
		sl->item = item;
		t->nkey++;
		bit = tab_filter_bit(t, key);
		t->filter[bit >> 3] |= (uint8_t)(1u << (bit & 7));
	} else if (sl->item & SLOT_LIST) {
		sl->item = SLOT_LIST |
		    tab_list_add(t, item, sl->item & ~SLOT_LIST);
	} else {
		bit = tab_list_add(t, sl->item, NONE);
		sl->item = SLOT_LIST | tab_list_add(t, item, bit);
	}
	t->nitem++;
}

/*
 * The first item filed under key, or NONE; tab_more() gives the others.
 * Two keys of one 32-bit hash share a slot, so callers compare the item.
 */
static uint32_t
tab_find(const struct sig_tab *t, uint32_t key, uint32_t *cursor)
{
	const struct sig_slot *sl;
	uint32_t bit;

	*cursor = NONE;
	if (t->slot == NULL)
		return NONE;
	bit = tab_filter_bit(t, key);
	if ((t->filter[bit >> 3] & (1u << (bit & 7))) == 0)
		return NONE;
	sl = tab_slot(t, key);
	if (sl->item == NONE || (sl->item & SLOT_LIST) == 0)
		return sl->item;
	*cursor = t->list[sl->item & ~SLOT_LIST].next;
	return t->list[sl->item & ~SLOT_LIST].item;
}

static uint32_t
tab_more(const struct sig_tab *t, uint32_t *cursor)
{
	uint32_t i = *cursor;

	if (i == NONE)
		return NONE;
	*cursor = t->list[i].next;
	return t->list[i].item;
}

static void
tab_trim(struct sig_tab *t)
{
	if (t->nlist > 0 && t->nlist < t->caplist) {
		t->list = xreallocarray(t->list, t->nlist, sizeof(*t->list));
		t->caplist = t->nlist;
	}
}

static void
tab_free(struct sig_tab *t)
{
	free(t->slot);
	free(t->filter);
	free(t->list);
}

/* Returns a NUL-terminated copy of p[0..n) that lives as long as s. */
static const char *
text_add(struct sigset *s, const char *p, size_t n)
{
	struct text_chunk *c = s->text;
	char *out;

	if (c == NULL || c->size - c->used < n + 1) {
		size_t size = n + 1 > TEXT_CHUNK ? n + 1 : TEXT_CHUNK;

		c = xmalloc(sizeof(*c) + size);
		c->size = size;
		c->used = 0;
		c->next = s->text;
		s->text = c;
	}
	out = c->data + c->used;
	memcpy(out, p, n);
	out[n] = '\0';
	c->used += n + 1;
	return out;
}

static struct rule *
rule_at(const struct sigset *s, uint32_t i)
{
	return &s->block[i >> RULE_BLOCK_SHIFT][i & (RULE_BLOCK - 1)];
}

struct sigset *
sigset_new(void)
{
	struct sigset *s = xcalloc(1, sizeof(*s));
	int k;

	for (k = 0; k < K_WALKED; k++)
		s->tab[k].intkeys = k != K_HOST && k != K_IP;
	s->port_wide.intkeys = 1;
	return s;
}

void
sigset_free(struct sigset *s)
{
	struct text_chunk *c, *next;
	uint32_t i;
	int k;

	if (s == NULL)
		return;
	for (i = 0; i < s->nblock; i++)
		free(s->block[i]);
	free(s->block);
	free(s->item);
	free(s->pool);
	for (c = s->text; c != NULL; c = next) {
		next = c->next;
		free(c);
	}
	for (k = 0; k < K_WALKED; k++)
		tab_free(&s->tab[k]);
	for (k = 0; k < K_N - K_WALKED; k++)
		free(s->walk[k].item);
	tab_free(&s->port_wide);
	tab_free(&s->ids);
	free(s->pair_seen);
	free(s->float_seen);
	free(s);
}

size_t
sigset_count(const struct sigset *s)
{
	return s->nrule;
}

const struct sig_rule *
sigset_rule(const struct sigset *s, uint32_t index)
{
	if (index >= s->nrule)
		return NULL;
	return &rule_at(s, index)->pub;
}

/*
 * Matching.
 */

static int
prefix_holds(const uint8_t *net, unsigned bits, const uint8_t *addr)
{
	unsigned full = bits / 8, rest = bits % 8;

	if (memcmp(net, addr, full) != 0)
		return 0;
	if (rest == 0)
		return 1;
	return ((net[full] ^ addr[full]) & (uint8_t)(0xff00 >> rest)) == 0;
}

/* The first offset where a payload item holds, or -1. */
static int
payload_at(const struct lookup *L, const struct sig_item *it)
{
	const struct sig_facts *f = L->f;
	const uint8_t *pat = L->s->pool + it->u.off;
	const uint8_t *hit;
	size_t window;

	if (f->payload == NULL)
		return -1;
	if (it->a != NO_OFFSET) {
		if ((size_t)it->a + it->len > f->payload_len ||
		    memcmp(f->payload + it->a, pat, it->len) != 0)
			return -1;
		return it->a;
	}
	window = f->payload_len < SIG_FLOAT_LAST + (size_t)it->len ?
	    f->payload_len : SIG_FLOAT_LAST + (size_t)it->len;
	hit = memmem(f->payload, window, pat, it->len);
	return hit == NULL ? -1 : (int)(hit - f->payload);
}

/* An alpn item equals, or as a prefix starts, one entry of the list. */
static int
alpn_holds(const char *list, const uint8_t *pat, size_t n, int prefix)
{
	const char *p = list, *end;
	size_t len;

	for (;;) {
		end = strchr(p, ',');
		len = end == NULL ? strlen(p) : (size_t)(end - p);
		if ((len == n || (prefix && len > n)) && memcmp(p, pat, n) == 0)
			return 1;
		if (end == NULL)
			return 0;
		p = end + 1;
	}
}

/* pat (n bytes, lower case) occurs in text, ASCII case ignored. */
static int
text_has(const char *text, const uint8_t *pat, size_t n)
{
	const char *p;
	size_t i;

	if (text == NULL)
		return 0;
	for (p = text; *p != '\0'; p++) {
		for (i = 0; i < n; i++) {
			unsigned char c = (unsigned char)p[i];

			if (c >= 'A' && c <= 'Z')
				c = (unsigned char)(c - 'A' + 'a');
			if (c != pat[i])
				break;	/* also at the NUL: pat has none */
		}
		if (i == n)
			return 1;
	}
	return 0;
}

static int
item_holds(const struct lookup *L, const struct sig_item *it)
{
	const struct sig_facts *f = L->f;
	const char *name;
	size_t n;

	switch (it->kind) {
	case K_HOST:
		if (L->hostlen == 0)
			return 0;
		name = (const char *)L->s->pool + it->u.off;
		n = it->len;
		if (L->hostlen == n)
			return memcmp(L->host, name, n) == 0;
		return it->a && L->hostlen > n &&
		    L->host[L->hostlen - n - 1] == '.' &&
		    memcmp(L->host + L->hostlen - n, name, n) == 0;
	case K_IP:
		return f->peer != NULL &&
		    prefix_holds(it->u.addr, it->len, f->peer);
	case K_NDPI:
		return f->ndpi_app == it->a || f->ndpi_master == it->a;
	case K_PAYLOAD:
		return payload_at(L, it) >= 0;
	case K_PORT:
		if (f->port == 0 || f->port < it->a ||
		    f->port > it->u.port.last)
			return 0;
		if (it->u.port.proto != 0)
			return f->proto == it->u.port.proto;
		return f->proto == 6 || f->proto == 17;
	case K_ASN:
		return f->asn != 0 && f->asn == it->u.asn;
	case K_COUNTRY:
		return L->country != 0 && L->country == it->a;
	case K_ALPN:
		return f->tls_alpn != NULL && alpn_holds(f->tls_alpn,
		    L->s->pool + it->u.off, it->len, it->a);
	case K_CERT:
		return text_has(f->tls_cert_subject, L->s->pool + it->u.off,
		    it->len) || text_has(f->tls_cert_issuer,
		    L->s->pool + it->u.off, it->len);
	default:
		return 0;
	}
}

/* Every kind of the rule holds. */
static int
rule_holds(const struct lookup *L, const struct rule *r)
{
	const struct sig_item *it = L->s->item + r->item;
	const struct sig_item *end = it + r->nitem;
	uint8_t kind;
	int ok;

	while (it < end) {
		kind = it->kind;
		for (ok = 0; it < end && it->kind == kind; it++)
			if (!ok && item_holds(L, it))
				ok = 1;
		if (!ok)
			return 0;
	}
	return 1;
}

/*
 * A candidate reached through anchor item idx. Each item that holds is
 * reached exactly once per lookup, so reporting the rule only from the
 * first of its anchor items that holds reports it once.
 */
static void
candidate(struct lookup *L, uint32_t idx)
{
	const struct sig_item *it = L->s->item + idx;
	const struct rule *r = rule_at(L->s, it->rule);
	uint32_t j;

	if (!item_holds(L, it))
		return;
	for (j = r->item; j < idx; j++)
		if (L->s->item[j].kind == r->anchor &&
		    item_holds(L, L->s->item + j))
			return;
	if (!rule_holds(L, r))
		return;
	L->fn(&r->pub, L->arg);
	L->n++;
}

static void
probe_int(struct lookup *L, const struct sig_tab *t, uint32_t key)
{
	uint32_t i, cur;

	for (i = tab_find(t, key, &cur); i != NONE; i = tab_more(t, &cur))
		candidate(L, i);
}

static void
walk_anchors(struct lookup *L, enum sig_kind kind)
{
	const struct sig_walk *w = &L->s->walk[kind - K_WALKED];
	uint32_t i;

	for (i = 0; i < w->n; i++)
		candidate(L, w->item[i]);
}

static void
match_host(struct lookup *L)
{
	const struct sig_tab *t = &L->s->tab[K_HOST];
	const struct sig_item *it;
	size_t start = 0, n;
	const char *dot;
	uint32_t i, cur;

	if (L->hostlen == 0 || t->nitem == 0)
		return;
	for (;;) {
		n = L->hostlen - start;
		for (i = tab_find(t, hash_bytes(L->host + start, n), &cur);
		    i != NONE; i = tab_more(t, &cur)) {
			it = L->s->item + i;
			if (it->len == n && (it->a || start == 0) &&
			    memcmp(L->s->pool + it->u.off, L->host + start,
			    n) == 0)
				candidate(L, i);
		}
		dot = memchr(L->host + start, '.', n);
		if (dot == NULL)
			break;
		start = (size_t)(dot - L->host) + 1;
	}
}

static void
match_ip(struct lookup *L)
{
	const struct sig_tab *t = &L->s->tab[K_IP];
	const struct sig_item *it;
	uint8_t key[17];
	unsigned k, b, bits;
	uint32_t i, cur;

	if (L->f->peer == NULL || L->s->nip_len == 0)
		return;
	for (k = 0; k < L->s->nip_len; k++) {
		bits = L->s->ip_lens[k];
		key[0] = (uint8_t)bits;
		memcpy(key + 1, L->f->peer, 16);
		if (bits < 128) {
			b = bits / 8;
			key[1 + b] &= (uint8_t)(0xff00 >> (bits % 8));
			memset(key + 2 + b, 0, 15 - b);
		}
		for (i = tab_find(t, hash_bytes(key, sizeof(key)), &cur);
		    i != NONE; i = tab_more(t, &cur)) {
			it = L->s->item + i;
			if (it->len == bits &&
			    memcmp(it->u.addr, key + 1, 16) == 0)
				candidate(L, i);
		}
	}
}

/* Payload items reached at offset p count only at their first hit. */
static void
probe_payload(struct lookup *L, uint32_t key, int p)
{
	const struct sig_tab *t = &L->s->tab[K_PAYLOAD];
	uint32_t i, cur;

	for (i = tab_find(t, key, &cur); i != NONE; i = tab_more(t, &cur))
		if (payload_at(L, L->s->item + i) == p)
			candidate(L, i);
}

static void
match_payload(struct lookup *L)
{
	const struct sigset *s = L->s;
	const uint8_t *pl = L->f->payload;
	size_t len = L->f->payload_len, end;
	uint64_t pinned;
	unsigned p, pair;

	if (pl == NULL || len == 0 || s->tab[K_PAYLOAD].nitem == 0)
		return;
	if (s->float_seen != NULL) {
		/* Offsets with a byte after them: one test each, where most
		 * find that no floating item starts with those two bytes. */
		end = len - 1 < SIG_FLOAT_LAST + 1 ? len - 1 : SIG_FLOAT_LAST + 1;
		for (p = 0; p < end; p++) {
			pair = (unsigned)pl[p] << 8 | pl[p + 1];
			if ((s->float_seen[pair >> 3] & (1u << (pair & 7))) == 0)
				continue;
			if (s->single_seen[pl[p] >> 3] & (1u << (pl[p] & 7)))
				probe_payload(L, PK_FLOAT1 | pl[p], (int)p);
			if (s->pair_seen != NULL &&
			    s->pair_seen[pair >> 3] & (1u << (pair & 7)))
				probe_payload(L, PK_FLOAT2 | pair, (int)p);
		}
		/* The last byte, when a floating item may start there: only a
		 * one-byte item can. */
		p = (unsigned)len - 1;
		if (p <= SIG_FLOAT_LAST &&
		    s->single_seen[pl[p] >> 3] & (1u << (pl[p] & 7)))
			probe_payload(L, PK_FLOAT1 | pl[p], (int)p);
	}
	pinned = s->pinned;
	if (len < SIG_PAYLOAD_DEPTH)
		pinned &= (UINT64_C(1) << len) - 1;
	for (; pinned != 0; pinned &= pinned - 1) {
		p = (unsigned)__builtin_ctzll(pinned);
		probe_payload(L, PK_PIN1 | p << 16 | pl[p], (int)p);
		if (p + 1 < len)
			probe_payload(L, PK_PIN2 | p << 16 |
			    (unsigned)pl[p] << 8 | pl[p + 1], (int)p);
	}
}

size_t
sigset_match(const struct sigset *s, const struct sig_facts *facts,
    void (*fn)(const struct sig_rule *, void *), void *arg)
{
	struct lookup L;
	const struct sig_facts *f = facts;
	size_t n, i;

	if (s == NULL || f == NULL || s->nrule == 0)
		return 0;
	L.s = s;
	L.f = f;
	L.fn = fn;
	L.arg = arg;
	L.n = 0;
	L.hostlen = 0;
	if (f->host != NULL) {
		for (n = 0; n < SIG_HOST_MAX + 2 && f->host[n] != '\0'; n++) {
			char c = f->host[n];

			if (c >= 'A' && c <= 'Z')
				c = (char)(c - 'A' + 'a');
			L.host[n] = c;
		}
		if (n > 0 && n < SIG_HOST_MAX + 2 && L.host[n - 1] == '.')
			n--;
		if (n <= SIG_HOST_MAX)
			L.hostlen = n;
	}
	L.country = 0;
	if (f->country != NULL) {
		uint16_t c = 0;

		for (i = 0; i < 2; i++) {
			char ch = f->country[i];

			if (ch >= 'a' && ch <= 'z')
				ch = (char)(ch - 'a' + 'A');
			if (ch < 'A' || ch > 'Z')
				break;
			c = (uint16_t)(c << 8 | (uint8_t)ch);
		}
		if (i == 2 && f->country[2] == '\0')
			L.country = c;
	}

	match_host(&L);
	match_ip(&L);
	if (f->ndpi_app != 0)
		probe_int(&L, &s->tab[K_NDPI], f->ndpi_app);
	if (f->ndpi_master != 0 && f->ndpi_master != f->ndpi_app)
		probe_int(&L, &s->tab[K_NDPI], f->ndpi_master);
	match_payload(&L);
	if (f->port != 0) {
		probe_int(&L, &s->tab[K_PORT], f->port);
		probe_int(&L, &s->port_wide, (uint32_t)f->port >> 8);
	}
	if (f->asn != 0)
		probe_int(&L, &s->tab[K_ASN], f->asn);
	if (L.country != 0)
		probe_int(&L, &s->tab[K_COUNTRY], L.country);
	if (f->tls_alpn != NULL)
		walk_anchors(&L, K_ALPN);
	if (f->tls_cert_subject != NULL || f->tls_cert_issuer != NULL)
		walk_anchors(&L, K_CERT);
	return L.n;
}

/*
 * Parsing.
 */

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

static void
index_item(struct sigset *s, uint32_t idx)
{
	struct sig_item *it = &s->item[idx];
	uint8_t key[17];
	uint32_t p, k;
	unsigned i;

	switch (it->kind) {
	case K_HOST:
		tab_insert(&s->tab[K_HOST], hash_bytes(s->pool + it->u.off,
		    it->len), idx);
		break;
	case K_IP:
		key[0] = it->len;
		memcpy(key + 1, it->u.addr, 16);
		tab_insert(&s->tab[K_IP], hash_bytes(key, sizeof(key)), idx);
		if (s->ip_len_used[it->len]++ == 0) {
			/* Keep the lengths longest first. */
			for (i = s->nip_len;
			    i > 0 && s->ip_lens[i - 1] < it->len; i--)
				s->ip_lens[i] = s->ip_lens[i - 1];
			s->ip_lens[i] = it->len;
			s->nip_len++;
		}
		break;
	case K_NDPI:
	case K_COUNTRY:
		tab_insert(&s->tab[it->kind], it->a, idx);
		break;
	case K_ASN:
		tab_insert(&s->tab[K_ASN], it->u.asn, idx);
		break;
	case K_PORT:
		if ((uint32_t)it->u.port.last - it->a < SIG_PORT_EXPAND)
			for (p = it->a; p <= it->u.port.last; p++)
				tab_insert(&s->tab[K_PORT], p, idx);
		else
			for (p = it->a >> 8;
			    p <= (uint32_t)it->u.port.last >> 8; p++)
				tab_insert(&s->port_wide, p, idx);
		break;
	case K_PAYLOAD: {
		const uint8_t *b = s->pool + it->u.off;

		if (it->a != NO_OFFSET) {
			k = (uint32_t)it->a << 16;
			if (it->len >= 2)
				k |= PK_PIN2 | (uint32_t)b[0] << 8 | b[1];
			else
				k |= PK_PIN1 | b[0];
			s->pinned |= UINT64_C(1) << it->a;
		} else {
			if (s->float_seen == NULL)
				s->float_seen = xcalloc(65536 / 8, 1);
			if (it->len >= 2) {
				k = (uint32_t)b[0] << 8 | b[1];
				if (s->pair_seen == NULL)
					s->pair_seen = xcalloc(65536 / 8, 1);
				s->pair_seen[k >> 3] |= (uint8_t)(1u << (k & 7));
				s->float_seen[k >> 3] |= (uint8_t)(1u << (k & 7));
				k |= PK_FLOAT2;
			} else {
				k = PK_FLOAT1 | b[0];
				s->single_seen[b[0] >> 3] |=
				    (uint8_t)(1u << (b[0] & 7));
				/* every b0 x: the 256 bits from b0 << 8 */
				memset(s->float_seen + b[0] * 32, 0xff, 32);
			}
		}
		tab_insert(&s->tab[K_PAYLOAD], k, idx);
		break;
	}
	case K_ALPN:
	case K_CERT: {
		struct sig_walk *w = &s->walk[it->kind - K_WALKED];

		if (w->n == w->cap) {
			w->cap = w->cap ? w->cap * 2 : 8;
			w->item = xreallocarray(w->item, w->cap,
			    sizeof(*w->item));
		}
		w->item[w->n++] = idx;
		break;
	}
	default:
		break;
	}
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
		P->file = text_add(s, P->path, strlen(P->path));
	r = rule_at(s, s->nrule);
	memset(r, 0, sizeof(*r));
	r->pub.id = text_add(s, P->id, P->idlen);
	r->pub.msg = text_add(s, P->msg, P->msglen);
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
	tab_insert(&s->ids, h, s->nrule);
	first = s->nitem;
	s->nitem += P->nitem;
	s->npool += P->npool;
	s->nrule++;
	for (i = first; i < s->nitem; i++)
		if (s->item[i].kind == r->anchor)
			index_item(s, i);
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

/* Gives back the slack of the growing arrays once a file is in. */
static void
trim(struct sigset *s)
{
	int k;

	if (s->nitem > 0 && s->nitem < s->capitem) {
		s->item = xreallocarray(s->item, s->nitem, sizeof(*s->item));
		s->capitem = s->nitem;
	}
	if (s->npool > 0 && s->npool < s->cappool) {
		s->pool = xreallocarray(s->pool, s->npool, 1);
		s->cappool = s->npool;
	}
	for (k = 0; k < K_WALKED; k++)
		tab_trim(&s->tab[k]);
	for (k = 0; k < K_N - K_WALKED; k++) {
		struct sig_walk *w = &s->walk[k];

		if (w->n > 0 && w->n < w->cap) {
			w->item = xreallocarray(w->item, w->n,
			    sizeof(*w->item));
			w->cap = w->n;
		}
	}
	tab_trim(&s->port_wide);
	tab_trim(&s->ids);
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
	trim(s);
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
