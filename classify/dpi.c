/*
 * dpi.c: nDPI 4.2 behind egressd's own small interface. Detection is final
 * when nDPI names an application protocol and has no further metadata to
 * extract (ndpi_extra_dissection_possible), the rule ndpiReader applies, so
 * egressd and ndpiReader label the same flows the same way.
 */
#include <arpa/inet.h>
#include <ndpi/ndpi_api.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dpi.h"
#include "util.h"

/* Flow states come from slabs of 2 MB (xcalloc_table: one huge page
 * each), never from malloc: a flood of short flows would otherwise cost a
 * calloc, a free and, while the heap grows, a page fault every six states.
 * A freed state goes on the spare list for the next flow, so the slabs
 * hold no more states than were live at once (at most max_flows). */
#define DPI_SLAB_BYTES	(2UL << 20)

struct dpi_slab {
	struct dpi_slab *next;
};

struct dpi {
	struct ndpi_detection_module_struct *mod;
	struct dpi_flow *spare;		/* freed states, linked through next */
	struct dpi_slab *slabs;		/* newest first */
	size_t slab_used;		/* states carved from the newest slab */
};

struct dpi_flow {
	struct ndpi_flow_struct nf;
	struct dpi_flow *next;		/* on the spare list */
};

#define DPI_SLAB_STATES	((DPI_SLAB_BYTES - sizeof(struct dpi_flow)) / \
	sizeof(struct dpi_flow))

struct dpi *
dpi_new(char *err, size_t errlen)
{
	NDPI_PROTOCOL_BITMASK all;
	struct dpi *d;

	d = xcalloc(1, sizeof(*d));
	d->mod = ndpi_init_detection_module(ndpi_no_prefs);
	if (d->mod == NULL) {
		snprintf(err, errlen, "nDPI: cannot initialise a detection module");
		free(d);
		return NULL;
	}
	NDPI_BITMASK_SET_ALL(all);
	ndpi_set_protocol_detection_bitmask2(d->mod, &all);
	ndpi_finalize_initialization(d->mod);
	return d;
}

void
dpi_free(struct dpi *d)
{
	struct dpi_slab *sl;

	if (d == NULL)
		return;
	while ((sl = d->slabs) != NULL) {
		d->slabs = sl->next;
		xfree_table(sl, 1, DPI_SLAB_BYTES);
	}
	ndpi_exit_detection_module(d->mod);
	free(d);
}

struct dpi_flow *
dpi_flow_new(struct dpi *d)
{
	struct dpi_flow *f = d->spare;

	if (f != NULL) {
		d->spare = f->next;
		memset(f, 0, sizeof(*f));
		return f;
	}
	if (d->slabs == NULL || d->slab_used == DPI_SLAB_STATES) {
		struct dpi_slab *sl = xcalloc_table(1, DPI_SLAB_BYTES);

		sl->next = d->slabs;
		d->slabs = sl;
		d->slab_used = 0;
	}
	/* The slab's first state-sized cell holds its header. */
	f = (struct dpi_flow *)(void *)d->slabs + 1 + d->slab_used++;
	return f;
}

void
dpi_flow_free(struct dpi *d, struct dpi_flow *f)
{
	if (f == NULL)
		return;
	ndpi_free_flow_data(&f->nf);
	f->next = d->spare;
	d->spare = f;
}

size_t
dpi_flow_state_size(void)
{
	return sizeof(struct dpi_flow);
}

static void
fill_result(struct dpi_flow *f, ndpi_protocol p, struct dpi_result *out)
{
	out->master = p.master_protocol;
	out->app = p.app_protocol;
	out->category = (uint16_t)p.category;
	switch (f->nf.confidence) {
	case NDPI_CONFIDENCE_MATCH_BY_PORT: out->confidence = DPI_CONF_PORT; break;
	case NDPI_CONFIDENCE_MATCH_BY_IP: out->confidence = DPI_CONF_IP; break;
	case NDPI_CONFIDENCE_DPI_CACHE: out->confidence = DPI_CONF_CACHE; break;
	case NDPI_CONFIDENCE_DPI: out->confidence = DPI_CONF_DPI; break;
	default: out->confidence = DPI_CONF_UNKNOWN; break;
	}
	str_copy(out->server_name, (const char *)f->nf.host_server_name,
	    sizeof(out->server_name));
}

static const uint8_t v4_mapped[12] = { 0,0,0,0, 0,0,0,0, 0,0,0xff,0xff };

/* An IPv4-mapped address in host order, 0 for IPv6. */
static uint32_t
v4_host(const uint8_t a[16])
{
	if (memcmp(a, v4_mapped, sizeof(v4_mapped)) != 0)
		return 0;
	return (uint32_t)a[12] << 24 | (uint32_t)a[13] << 16 |
	    (uint32_t)a[14] << 8 | a[15];
}

int
dpi_process(struct dpi *d, struct dpi_flow *f, const uint8_t *l3, uint32_t len,
    uint64_t ts_ms, struct dpi_result *out)
{
	ndpi_protocol p;

	if (len > 0xffff)
		len = 0xffff;
	p = ndpi_detection_process_packet(d->mod, &f->nf, l3, (unsigned short)len,
	    ts_ms);
	fill_result(f, p, out);
	if (p.app_protocol == NDPI_PROTOCOL_UNKNOWN &&
	    p.master_protocol == NDPI_PROTOCOL_UNKNOWN)
		return 0;
	return !ndpi_extra_dissection_possible(d->mod, &f->nf);
}

int
dpi_process_syn(struct dpi *d, struct dpi_flow *f, const uint8_t src[16],
    uint16_t sport, const uint8_t dst[16], uint16_t dport, uint64_t ts_ms,
    struct dpi_result *out)
{
	uint8_t pkt[60], *tcp;
	size_t len;

	memset(pkt, 0, sizeof(pkt));
	if (v4_host(src) != 0 || v4_host(dst) != 0) {
		pkt[0] = 0x45;
		pkt[3] = 40;		/* total length */
		pkt[8] = 64;		/* TTL */
		pkt[9] = 6;
		memcpy(pkt + 12, src + 12, 4);
		memcpy(pkt + 16, dst + 12, 4);
		tcp = pkt + 20;
		len = 40;
	} else {
		pkt[0] = 0x60;
		pkt[5] = 20;		/* payload length */
		pkt[6] = 6;
		pkt[7] = 64;
		memcpy(pkt + 8, src, 16);
		memcpy(pkt + 24, dst, 16);
		tcp = pkt + 40;
		len = 60;
	}
	tcp[0] = (uint8_t)(sport >> 8);
	tcp[1] = (uint8_t)sport;
	tcp[2] = (uint8_t)(dport >> 8);
	tcp[3] = (uint8_t)dport;
	tcp[12] = 0x50;			/* header of 5 words */
	tcp[13] = 0x02;			/* SYN */
	tcp[14] = 0xff;			/* window */
	tcp[15] = 0xff;
	return dpi_process(d, f, pkt, (uint32_t)len, ts_ms, out);
}

void
dpi_giveup(struct dpi *d, struct dpi_flow *f, int guess, struct dpi_result *out)
{
	ndpi_protocol p;
	u_int8_t guessed = 0;

	p = ndpi_detection_giveup(d->mod, &f->nf, guess ? 1 : 0, &guessed);
	fill_result(f, p, out);
}

void
dpi_guess(struct dpi *d, uint8_t l4, const uint8_t src[16], uint16_t sport,
    const uint8_t dst[16], uint16_t dport, struct dpi_result *out)
{
	uint32_t sh = v4_host(src), dh = v4_host(dst);
	struct in_addr in;
	ndpi_protocol p;
	uint16_t by_ip = 0;

	memset(out, 0, sizeof(*out));
	p = ndpi_guess_undetected_protocol(d->mod, NULL, l4, sh, sport, dh, dport);
	out->master = p.master_protocol;
	out->app = p.app_protocol;
	out->category = (uint16_t)p.category;
	if (out->master == 0 && out->app == 0)
		return;
	/* nDPI says which list answered only through a flow: ask the
	 * address lists again. */
	if (sh != 0) {
		in.s_addr = htonl(sh);
		by_ip = ndpi_network_ptree_match(d->mod, &in);
		if (by_ip == 0) {
			in.s_addr = htonl(dh);
			by_ip = ndpi_network_ptree_match(d->mod, &in);
		}
	}
	out->confidence = by_ip != 0 && (by_ip == out->app || by_ip == out->master) ?
	    DPI_CONF_IP : DPI_CONF_PORT;
}

int
dpi_tls_info(struct dpi *d, struct dpi_flow *f, struct dpi_tls *out)
{
	const char *alpn = f->nf.protos.tls_quic.alpn;
	const char *subj = f->nf.protos.tls_quic.subjectDN;
	const char *iss = f->nf.protos.tls_quic.issuerDN;
	uint16_t m = f->nf.detected_protocol_stack[1];
	uint16_t a = f->nf.detected_protocol_stack[0];

	(void)d;
	memset(out, 0, sizeof(*out));
	/* The union holds TLS data only when nDPI took the flow for TLS,
	 * DTLS or QUIC; for anything else these bytes are another protocol's. */
	if (m != NDPI_PROTOCOL_TLS && a != NDPI_PROTOCOL_TLS &&
	    m != NDPI_PROTOCOL_QUIC && a != NDPI_PROTOCOL_QUIC &&
	    m != NDPI_PROTOCOL_DTLS && a != NDPI_PROTOCOL_DTLS)
		return 0;
	if (alpn != NULL)
		str_copy(out->alpn, alpn, sizeof(out->alpn));
	if (subj != NULL)
		str_copy(out->cert_subject, subj, sizeof(out->cert_subject));
	if (iss != NULL)
		str_copy(out->cert_issuer, iss, sizeof(out->cert_issuer));
	return out->alpn[0] != '\0' || out->cert_subject[0] != '\0' ||
	    out->cert_issuer[0] != '\0';
}

void
dpi_name(struct dpi *d, uint16_t master, uint16_t app, char *buf, size_t len)
{
	ndpi_protocol p;

	memset(&p, 0, sizeof(p));
	p.master_protocol = master;
	p.app_protocol = app;
	ndpi_protocol2name(d->mod, p, buf, (u_int)len);
}

const char *
dpi_proto_name(struct dpi *d, uint16_t id)
{
	return ndpi_get_proto_name(d->mod, id);
}

const char *
dpi_category_name(struct dpi *d, uint16_t category)
{
	return ndpi_category_get_name(d->mod, (ndpi_protocol_category_t)category);
}

const char *
dpi_confidence_name(uint8_t confidence)
{
	static const char *const names[] = { "unknown", "port", "ip", "cache", "dpi" };

	return confidence < NELEM(names) ? names[confidence] : "?";
}

int
dpi_proto_id(struct dpi *d, const char *name)
{
	char buf[64];
	int id;

	str_copy(buf, name, sizeof(buf));
	id = ndpi_get_protocol_id(d->mod, buf);
	return id;
}

unsigned
dpi_proto_count(struct dpi *d)
{
	return ndpi_get_num_supported_protocols(d->mod);
}

/* Whether port is one of proto's default ports for l4 (6 or 17). nDPI
 * keeps the first port of each default range in its table. */
static int
is_default_port(struct dpi *d, uint16_t proto, uint8_t l4, uint16_t port)
{
	ndpi_proto_defaults_t *def = ndpi_get_proto_defaults(d->mod);
	const uint16_t *ports;
	int i;

	if (proto == 0 || proto >= ndpi_get_num_supported_protocols(d->mod))
		return 0;
	ports = l4 == 6 ? def[proto].tcp_default_ports :
	    def[proto].udp_default_ports;
	for (i = 0; i < MAX_DEFAULT_PORTS; i++)
		if (ports[i] != 0 && ports[i] == port)
			return 1;
	return 0;
}

int
dpi_guess_from_client_port(struct dpi *d, uint16_t master, uint16_t app,
    uint8_t l4, uint16_t client_port, uint16_t server_port)
{
	uint16_t p = app != 0 ? app : master;

	return (is_default_port(d, p, l4, client_port) ||
	    is_default_port(d, master, l4, client_port)) &&
	    !is_default_port(d, p, l4, server_port) &&
	    !is_default_port(d, master, l4, server_port);
}

const char *
dpi_version(void)
{
	return ndpi_revision();
}
