/*
 * fleetagg_tab.c: the fleet correlator's bounded tables and contributor
 * lists (see fleetagg_int.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fleetagg_int.h"
#include "util.h"

void
tab_init(struct tab *t, size_t cap, size_t size, size_t keylen)
{
	size_t i;

	t->size = size;
	t->keylen = keylen;
	t->cap = cap;
	t->ents = xcalloc(cap, size);
	t->next = xcalloc(cap, sizeof(*t->next));
	for (t->nheads = 16; t->nheads < cap; t->nheads *= 2)
		;
	t->heads = xmalloc(t->nheads * sizeof(*t->heads));
	for (i = 0; i < t->nheads; i++)
		t->heads[i] = NONE;
	for (i = 0; i < cap; i++)
		t->next[i] = i + 1 < cap ? (uint32_t)(i + 1) : NONE;
	t->free = 0;
}

void
tab_free(struct tab *t)
{
	free(t->ents);
	free(t->next);
	free(t->heads);
}

void *
ent(const struct tab *t, uint32_t i)
{
	return t->ents + (size_t)i * t->size;
}

static uint32_t
bucket_of(const struct fleetagg *a, const struct tab *t, const void *key)
{
	return (uint32_t)(siphash13(&a->key, key, t->keylen) & (t->nheads - 1));
}

void *
tab_get(struct fleetagg *a, struct tab *t, const void *key, int create)
{
	uint32_t b = bucket_of(a, t, key), i;

	for (i = t->heads[b]; i != NONE; i = t->next[i])
		if (memcmp(ent(t, i), key, t->keylen) == 0)
			return ent(t, i);
	if (!create)
		return NULL;
	if (t->free == NONE) {
		a->st.dropped++;
		return NULL;
	}
	i = t->free;
	t->free = t->next[i];
	memset(ent(t, i), 0, t->size);
	memcpy(ent(t, i), key, t->keylen);
	t->next[i] = t->heads[b];
	t->heads[b] = i;
	t->used++;
	return ent(t, i);
}

/* Removes entry i (its contributors at offset contrib_off, when any). */
void
tab_del(struct fleetagg *a, struct tab *t, uint32_t i, size_t contrib_off)
{
	uint32_t b = bucket_of(a, t, ent(t, i)), *p;

	for (p = &t->heads[b]; *p != i; p = &t->next[*p])
		;
	*p = t->next[i];
	if (contrib_off != 0)
		contrib_release(a, *(uint32_t *)((unsigned char *)ent(t, i) +
		    contrib_off));
	memset(ent(t, i), 0, t->size);	/* unused entries read as zero */
	t->next[i] = t->free;
	t->free = i;
	t->used--;
}

/* ---- contributors ---- */

void
contrib_release(struct fleetagg *a, uint32_t head)
{
	uint32_t i, nx;

	for (i = head; i != CONTRIB_NONE; i = nx) {
		nx = a->contribs[i].next;
		a->contribs[i].next = a->contrib_free;
		a->contrib_free = i;
	}
}

/* Adds (vm, host) to the list at *head, once. */
void
contrib_add(struct fleetagg *a, uint32_t *head, uint32_t *n, const char *vm,
    const char *host, const uint8_t addr[16])
{
	uint32_t i;
	struct contrib *c;

	for (i = *head; i != CONTRIB_NONE; i = a->contribs[i].next)
		if (strcmp(a->contribs[i].vm, vm) == 0 &&
		    strcmp(a->contribs[i].host, host) == 0)
			return;
	if (*n >= CONTRIB_MAX || a->contrib_free == CONTRIB_NONE) {
		(*n)++;		/* counted, not named */
		return;
	}
	i = a->contrib_free;
	c = &a->contribs[i];
	a->contrib_free = c->next;
	str_copy(c->vm, vm, sizeof(c->vm));
	str_copy(c->host, host, sizeof(c->host));
	memcpy(c->addr, addr, 16);
	c->next = *head;
	*head = i;
	(*n)++;
}

/* Appends name to list (comma separated) unless it is there. */
void
name_add(char *list, size_t len, unsigned *n, const char *name)
{
	size_t l = strlen(list), nl = strlen(name);
	const char *p;

	if (nl == 0)
		return;
	for (p = list; (p = strstr(p, name)) != NULL; p += nl)
		if ((p == list || p[-1] == ',') && (p[nl] == ',' || p[nl] == '\0'))
			return;
	(*n)++;
	if (l + nl + 2 > len)
		return;
	if (l > 0)
		list[l++] = ',';
	memcpy(list + l, name, nl + 1);
}

/* Names the contributors of a list in h. */
void
contrib_name(const struct fleetagg *a, uint32_t head, struct fleet_hit *h)
{
	uint32_t i;
	char vm[160];

	for (i = head; i != CONTRIB_NONE; i = a->contribs[i].next) {
		const struct contrib *c = &a->contribs[i];

		if (h->nvms == 0)
			memcpy(h->first_vm, c->addr, 16);
		snprintf(vm, sizeof(vm), "%s@%s", c->vm, c->host);
		name_add(h->vms, sizeof(h->vms), &h->nvms, vm);
		name_add(h->hosts, sizeof(h->hosts), &h->nhosts, c->host);
	}
}

/* Distinct VMs in a list (a VM on two hosts, moved, counts once). */
unsigned
contrib_vms(const struct fleetagg *a, uint32_t head, uint32_t n)
{
	uint32_t i, j;
	unsigned vms = 0;

	for (i = head; i != CONTRIB_NONE; i = a->contribs[i].next) {
		for (j = head; j != i; j = a->contribs[j].next)
			if (strcmp(a->contribs[j].vm, a->contribs[i].vm) == 0)
				break;
		vms += j == i;
	}
	/* those counted but not named are taken as distinct */
	for (i = head; i != CONTRIB_NONE; i = a->contribs[i].next)
		n--;
	return vms + n;
}
