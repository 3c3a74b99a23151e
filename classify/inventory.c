/*
 * inventory.c: the VM inventory, read with libcsv. Strings live in one
 * arena; entries point into it once the file is read. Keys (an address, or
 * a MAC, or an interface name) sit in an open-addressing table of at least twice the entries, so
 * a lookup is a hash and a probe or two; learned bindings sit in a
 * four-way bucketed table that never grows.
 */
#include <ctype.h>
#include <csv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cidr.h"
#include "inventory.h"
#include "siphash.h"
#include "util.h"

#define FIELDS_MAX	4
#define FIELD_MAX	256	/* bytes of one field, NUL included */
#define LEARN_WAYS	4

enum key_kind { KEY_NONE, KEY_ADDR, KEY_MAC, KEY_IFACE };

struct key_slot {
	uint8_t key[16];
	uint8_t kind;		/* enum key_kind; KEY_NONE: empty */
	uint32_t entry;
	uint32_t line;		/* where the key was given */
};

struct learn_slot {
	uint8_t addr[16];
	uint32_t entry_plus1;	/* 0: empty */
	uint64_t stamp;		/* higher is newer */
};

struct inventory {
	struct inventory_vm *vms;
	struct inventory_foreign *foreign;	/* per entry, MAC rows' used */
	size_t n, cap;
	char *arena;
	size_t arena_len, arena_cap;
	struct key_slot *keys;
	size_t key_mask;
	size_t nmacs;
	struct learn_slot *learn;
	size_t learn_mask;	/* buckets - 1 */
	uint64_t stamp, learned, replaced;
	struct siphash_key hk;
};

/* One record being parsed by libcsv's callbacks. */
struct record {
	char f[FIELDS_MAX][FIELD_MAX];
	int nf;
	int too_many, too_long, ended;
};

static void
on_field(void *s, size_t len, void *arg)
{
	struct record *r = arg;

	if (r->nf == FIELDS_MAX) {
		r->too_many = 1;
		return;
	}
	if (len >= FIELD_MAX) {
		r->too_long = 1;
		len = FIELD_MAX - 1;
	}
	memcpy(r->f[r->nf], s, len);
	r->f[r->nf][len] = '\0';
	r->nf++;
}

static void
on_record(int c, void *arg)
{
	struct record *r = arg;

	(void)c;
	r->ended = 1;
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* "52:54:00:12:34:56" or with '-' between the pairs. */
static int
parse_mac(const char *s, uint8_t mac[6])
{
	int i, hi, lo;

	if (strlen(s) != 17)
		return -1;
	for (i = 0; i < 6; i++) {
		hi = hexval((unsigned char)s[3 * i]);
		lo = hexval((unsigned char)s[3 * i + 1]);
		if (hi < 0 || lo < 0)
			return -1;
		if (i < 5 && s[3 * i + 2] != ':' && s[3 * i + 2] != '-')
			return -1;
		mac[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

static size_t
key_hash(const struct inventory *inv, const uint8_t key[16], uint8_t kind)
{
	uint8_t in[17];

	memcpy(in, key, 16);
	in[16] = kind;
	return (size_t)siphash13(&inv->hk, in, sizeof(in));
}

static struct key_slot *
key_find(const struct inventory *inv, const uint8_t key[16], uint8_t kind)
{
	size_t i = key_hash(inv, key, kind) & inv->key_mask;

	for (;; i = (i + 1) & inv->key_mask) {
		struct key_slot *s = &inv->keys[i];

		if (s->kind == KEY_NONE)
			return s;	/* the empty slot where it would go */
		if (s->kind == kind && memcmp(s->key, key, 16) == 0)
			return s;
	}
}

static size_t
arena_add(struct inventory *inv, const char *s)
{
	size_t len = strlen(s) + 1, off;

	if (inv->arena_len + len > inv->arena_cap) {
		inv->arena_cap = (inv->arena_len + len) * 2;
		inv->arena = xreallocarray(inv->arena, inv->arena_cap, 1);
	}
	off = inv->arena_len;
	memcpy(inv->arena + off, s, len);
	inv->arena_len += len;
	return off;
}

/* A field fit to print in an event: no control bytes. */
static int
printable(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 0;
	return 1;
}

/* An interface name as Linux allows it (IFNAMSIZ less its NUL). */
static int
iface_name_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > INVENTORY_IFNAME_MAX)
		return 0;
	for (; *s != '\0'; s++)
		if ((unsigned char)*s <= 0x20 || *s == 0x7f || *s == '/')
			return 0;
	return 1;
}

/* Parsed keys of the file, before the key table is sized. */
struct pending {
	uint8_t key[16];
	uint8_t kind;
	uint32_t line;
};

/* Checks one record and stores it; returns 0 or -1 with a message. */
static int
add_record(struct inventory *inv, struct pending **keys, size_t *nkeys,
    size_t *capkeys, const struct record *r, unsigned line, char *msg,
    size_t msglen)
{
	struct pending k;
	struct cidr c;
	size_t off[3];
	int i;

	memset(&k, 0, sizeof(k));
	if (r->too_many || r->nf < 2) {
		snprintf(msg, msglen, "expected 2 to 4 fields: address or MAC, "
		    "VM id, tenant, labels");
		return -1;
	}
	if (r->too_long) {
		snprintf(msg, msglen, "a field longer than %d bytes",
		    FIELD_MAX - 1);
		return -1;
	}
	if (parse_mac(r->f[0], k.key) == 0) {
		k.kind = KEY_MAC;
	} else if (strncasecmp(r->f[0], "iface:", 6) == 0) {
		if (!iface_name_ok(r->f[0] + 6)) {
			snprintf(msg, msglen, "'%.64s': an interface name is 1 "
			    "to %d bytes, no blank, '/' or control byte",
			    r->f[0], INVENTORY_IFNAME_MAX);
			return -1;
		}
		memcpy(k.key, r->f[0] + 6, strlen(r->f[0] + 6));
		k.kind = KEY_IFACE;
	} else if (strchr(r->f[0], '/') == NULL &&
	    cidr_parse(r->f[0], &c) == 0 && c.bits == 128) {
		memcpy(k.key, c.addr, 16);
		k.kind = KEY_ADDR;
	} else {
		snprintf(msg, msglen, "'%.64s' is not an address, a MAC or "
		    "iface:NAME", r->f[0]);
		return -1;
	}
	if (r->f[1][0] == '\0' || strlen(r->f[1]) > 63) {
		snprintf(msg, msglen, "the VM id must be 1 to 63 bytes");
		return -1;
	}
	if (r->nf > 2 && strlen(r->f[2]) > 63) {
		snprintf(msg, msglen, "the tenant must be at most 63 bytes");
		return -1;
	}
	for (i = 1; i < r->nf; i++) {
		if (!printable(r->f[i])) {
			snprintf(msg, msglen, "field %d holds a control byte",
			    i + 1);
			return -1;
		}
	}
	if (inv->n == INVENTORY_MAX_ENTRIES) {
		snprintf(msg, msglen, "more than %d entries",
		    INVENTORY_MAX_ENTRIES);
		return -1;
	}
	off[0] = arena_add(inv, r->f[1]);
	off[1] = arena_add(inv, r->nf > 2 ? r->f[2] : "");
	off[2] = arena_add(inv, r->nf > 3 ? r->f[3] : "");
	if (inv->n == inv->cap) {
		inv->cap = inv->cap ? inv->cap * 2 : 64;
		inv->vms = xreallocarray(inv->vms, inv->cap, sizeof(*inv->vms));
	}
	/* Offsets for now: the arena may still move. */
	inv->vms[inv->n].vm_id = (const char *)(uintptr_t)off[0];
	inv->vms[inv->n].tenant = (const char *)(uintptr_t)off[1];
	inv->vms[inv->n].labels = (const char *)(uintptr_t)off[2];
	inv->n++;
	k.line = line;
	if (*nkeys == *capkeys) {
		*capkeys = *capkeys ? *capkeys * 2 : 64;
		*keys = xreallocarray(*keys, *capkeys, sizeof(**keys));
	}
	(*keys)[(*nkeys)++] = k;
	return 0;
}

static int
is_header(const struct record *r)
{
	static const char *const names[] = { "address", "mac", "ip", "key" };
	size_t i;

	for (i = 0; i < NELEM(names); i++)
		if (strcasecmp(r->f[0], names[i]) == 0)
			return 1;
	return 0;
}

struct inventory *
inventory_load(const char *path, char *err, size_t errlen)
{
	struct inventory *inv = xcalloc(1, sizeof(*inv));
	struct pending *keys = NULL;
	struct csv_parser cp;
	struct record *r = xcalloc(1, sizeof(*r));
	char line[INVENTORY_LINE_MAX + 2], msg[160];
	size_t nkeys = 0, capkeys = 0, i, slots;
	unsigned lineno = 0, records = 0;
	int len, nul, too_long;
	FILE *fp;

	msg[0] = '\0';
	if ((fp = file_fopen_regular(path, err, errlen)) == NULL)
		goto fail_early;
	if (csv_init(&cp, CSV_STRICT | CSV_APPEND_NULL) != 0) {
		snprintf(err, errlen, "%s: out of memory", path);
		fclose(fp);
		goto fail_early;
	}
	while ((len = file_read_line(fp, line, sizeof(line), &nul,
	    &too_long)) != -1) {
		const char *t;

		lineno++;
		if (nul || too_long) {
			snprintf(msg, sizeof(msg), nul ? "a NUL byte" :
			    "line longer than %d bytes", INVENTORY_LINE_MAX);
			goto bad_line;
		}
		t = line + strspn(line, " \t");
		if (*t == '\0' || *t == '#')
			continue;
		memset(r, 0, sizeof(*r));
		line[len] = '\n';
		if (csv_parse(&cp, line, (size_t)len + 1, on_field, on_record,
		    r) != (size_t)len + 1 || !r->ended) {
			snprintf(msg, sizeof(msg), "%s", r->ended ?
			    csv_strerror(csv_error(&cp)) :
			    "a quoted field does not end on its line");
			goto bad_line;
		}
		if (records++ == 0 && is_header(r))
			continue;
		if (add_record(inv, &keys, &nkeys, &capkeys, r, lineno, msg,
		    sizeof(msg)) == -1)
			goto bad_line;
	}
	if (ferror(fp)) {
		snprintf(err, errlen, "%s: cannot be read", path);
		goto fail;
	}

	/* Entries point into the arena, now that it stays put. */
	for (i = 0; i < inv->n; i++) {
		inv->vms[i].vm_id = inv->arena + (uintptr_t)inv->vms[i].vm_id;
		inv->vms[i].tenant = inv->arena + (uintptr_t)inv->vms[i].tenant;
		inv->vms[i].labels = inv->arena + (uintptr_t)inv->vms[i].labels;
	}
	for (slots = 16; slots < 2 * nkeys; slots *= 2)
		;
	inv->keys = xcalloc(slots, sizeof(*inv->keys));
	inv->key_mask = slots - 1;
	if (siphash_key_random(&inv->hk) == -1)
		memset(&inv->hk, 0x5a, sizeof(inv->hk));
	for (i = 0; i < nkeys; i++) {
		struct key_slot *s = key_find(inv, keys[i].key, keys[i].kind);
		char a[64];

		if (s->kind != KEY_NONE) {
			if (keys[i].kind == KEY_IFACE)
				snprintf(a, sizeof(a), "iface:%.16s",
				    (const char *)keys[i].key);
			else if (keys[i].kind == KEY_MAC)
				snprintf(a, sizeof(a),
				    "%02x:%02x:%02x:%02x:%02x:%02x",
				    keys[i].key[0], keys[i].key[1], keys[i].key[2],
				    keys[i].key[3], keys[i].key[4], keys[i].key[5]);
			else
				addr_format(keys[i].key, a, sizeof(a));
			snprintf(err, errlen, "%s:%u: %s already given on line %u",
			    path, keys[i].line, a, s->line);
			goto fail;
		}
		memcpy(s->key, keys[i].key, 16);
		s->kind = keys[i].kind;
		s->entry = (uint32_t)i;
		s->line = keys[i].line;
		if (s->kind == KEY_MAC || s->kind == KEY_IFACE)
			inv->nmacs++;
	}
	if (inv->nmacs > 0) {
		for (slots = 16; slots < inv->nmacs; slots *= 2)
			;
		inv->learn = xcalloc(slots * LEARN_WAYS, sizeof(*inv->learn));
		inv->learn_mask = slots - 1;
		inv->foreign = xcalloc(inv->n, sizeof(*inv->foreign));
	}
	csv_free(&cp);
	fclose(fp);
	free(keys);
	free(r);
	return inv;

bad_line:
	snprintf(err, errlen, "%s:%u: %s", path, lineno, msg);
fail:
	csv_free(&cp);
	fclose(fp);
fail_early:
	free(keys);
	free(r);
	/* Entries still hold offsets here: free only the arrays. */
	free(inv->vms);
	free(inv->arena);
	free(inv->keys);
	free(inv->learn);
	free(inv->foreign);
	free(inv);
	return NULL;
}

void
inventory_free(struct inventory *inv)
{
	if (inv == NULL)
		return;
	free(inv->vms);
	free(inv->arena);
	free(inv->keys);
	free(inv->learn);
	free(inv->foreign);
	free(inv);
}

size_t
inventory_count(const struct inventory *inv)
{
	return inv->n;
}

int
inventory_has_macs(const struct inventory *inv)
{
	return inv->nmacs > 0;
}

const struct inventory_vm *
inventory_lookup(const struct inventory *inv, const uint8_t addr[16])
{
	const struct key_slot *s = key_find(inv, addr, KEY_ADDR);
	const struct learn_slot *b;
	unsigned w;

	if (s->kind != KEY_NONE)
		return &inv->vms[s->entry];
	if (inv->learn == NULL)
		return NULL;
	b = &inv->learn[(key_hash(inv, addr, KEY_NONE) & inv->learn_mask) *
	    LEARN_WAYS];
	for (w = 0; w < LEARN_WAYS; w++)
		if (b[w].entry_plus1 != 0 && memcmp(b[w].addr, addr, 16) == 0)
			return &inv->vms[b[w].entry_plus1 - 1];
	return NULL;
}

/* The key of a MAC or of an interface name, zero padded. */
static void
link_key(uint8_t key[16], const void *k, size_t len)
{
	memset(key, 0, 16);
	memcpy(key, k, len < 16 ? len : 16);
}

static void
learn(struct inventory *inv, const uint8_t key[16], uint8_t kind,
    const uint8_t addr[16])
{
	const struct key_slot *s;
	struct learn_slot *b, *victim;
	unsigned w;

	if (inv->learn == NULL)
		return;
	s = key_find(inv, key, kind);
	if (s->kind == KEY_NONE)
		return;
	b = &inv->learn[(key_hash(inv, addr, KEY_NONE) & inv->learn_mask) *
	    LEARN_WAYS];
	victim = &b[0];
	for (w = 0; w < LEARN_WAYS; w++) {
		if (b[w].entry_plus1 != 0 && memcmp(b[w].addr, addr, 16) == 0) {
			b[w].entry_plus1 = s->entry + 1;	/* moved VMs */
			b[w].stamp = ++inv->stamp;
			return;
		}
		if (b[w].stamp < victim->stamp)
			victim = &b[w];
	}
	if (victim->entry_plus1 != 0)
		inv->replaced++;
	memcpy(victim->addr, addr, 16);
	victim->entry_plus1 = s->entry + 1;
	victim->stamp = ++inv->stamp;
	inv->learned++;
}

void
inventory_learn(struct inventory *inv, const uint8_t mac[6],
    const uint8_t addr[16])
{
	uint8_t key[16];

	link_key(key, mac, 6);
	learn(inv, key, KEY_MAC, addr);
}

void
inventory_learn_iface(struct inventory *inv, const char *ifname,
    const uint8_t addr[16])
{
	uint8_t key[16];

	link_key(key, ifname, strlen(ifname));
	learn(inv, key, KEY_IFACE, addr);
}

const struct inventory_vm *
inventory_iface(const struct inventory *inv, const char *ifname)
{
	const struct key_slot *s;
	uint8_t key[16];

	if (strlen(ifname) > INVENTORY_IFNAME_MAX)
		return NULL;
	link_key(key, ifname, strlen(ifname));
	s = key_find(inv, key, KEY_IFACE);
	return s->kind == KEY_NONE ? NULL : &inv->vms[s->entry];
}

uint64_t
inventory_learned(const struct inventory *inv)
{
	return inv->learned;
}

uint64_t
inventory_replaced(const struct inventory *inv)
{
	return inv->replaced;
}

/* Addresses every host uses whatever it owns: unspecified (DHCP, DAD) and
 * IPv6 link-local. */
static int
addr_anyones(const uint8_t a[16])
{
	static const uint8_t zero[16], v4zero[16] = { 0, 0, 0, 0, 0, 0, 0, 0,
		0, 0, 0xff, 0xff };

	return memcmp(a, zero, 16) == 0 || memcmp(a, v4zero, 16) == 0 ||
	    (a[0] == 0xfe && (a[1] & 0xc0) == 0x80);
}

static const struct inventory_vm *
foreign_check(struct inventory *inv, const uint8_t key[16], uint8_t kind,
    const uint8_t addr[16], int in_nets, uint64_t now, uint64_t window_us,
    struct inventory_foreign **st)
{
	const struct key_slot *s, *a;
	struct inventory_foreign *f;
	int foreign;

	*st = NULL;
	if (inv->foreign == NULL)
		return NULL;
	s = key_find(inv, key, kind);
	if (s->kind == KEY_NONE)
		return NULL;
	if (addr_anyones(addr))
		return &inv->vms[s->entry];
	a = key_find(inv, addr, KEY_ADDR);
	if (a->kind != KEY_NONE)
		foreign = strcmp(inv->vms[a->entry].vm_id,
		    inv->vms[s->entry].vm_id) != 0;
	else
		foreign = in_nets == 0;
	if (!foreign)
		return &inv->vms[s->entry];
	f = &inv->foreign[s->entry];
	if (f->count == 0 || now < f->start || now - f->start >= window_us) {
		f->start = now;
		f->count = 0;
	}
	if (f->count < UINT32_MAX)
		f->count++;
	*st = f;
	return &inv->vms[s->entry];
}

const struct inventory_vm *
inventory_foreign(struct inventory *inv, const uint8_t mac[6],
    const uint8_t addr[16], int in_nets, uint64_t now, uint64_t window_us,
    struct inventory_foreign **st)
{
	uint8_t key[16];

	link_key(key, mac, 6);
	return foreign_check(inv, key, KEY_MAC, addr, in_nets, now, window_us, st);
}

const struct inventory_vm *
inventory_foreign_iface(struct inventory *inv, const char *ifname,
    const uint8_t addr[16], int in_nets, uint64_t now, uint64_t window_us,
    struct inventory_foreign **st)
{
	uint8_t key[16];

	*st = NULL;
	if (strlen(ifname) > INVENTORY_IFNAME_MAX)
		return NULL;
	link_key(key, ifname, strlen(ifname));
	return foreign_check(inv, key, KEY_IFACE, addr, in_nets, now, window_us, st);
}
