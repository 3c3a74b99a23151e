/*
 * dpi.h: the nDPI 4.2 wrapper, and the only door to nDPI in egressd (only
 * classify/dpi.c includes nDPI's headers). One struct dpi per worker holds a
 * detection module with every protocol enabled; one struct dpi_flow holds a
 * flow's nDPI state while detection runs. The caller frees that state the
 * moment dpi_process() reports the detection final or the packet budget is
 * spent (after dpi_giveup()), so only flows still being classified cost
 * nDPI's per-flow memory.
 */
#ifndef EGRESSD_DPI_H
#define EGRESSD_DPI_H

#include <stddef.h>
#include <stdint.h>

struct dpi;
struct dpi_flow;

enum dpi_confidence { DPI_CONF_UNKNOWN, DPI_CONF_PORT, DPI_CONF_IP,
	DPI_CONF_CACHE, DPI_CONF_DPI };

struct dpi_result {
	uint16_t master;	/* e.g. TLS; 0 when none */
	uint16_t app;		/* e.g. Google; 0 when unknown */
	uint16_t category;	/* nDPI's own category id */
	uint8_t confidence;	/* enum dpi_confidence */
	char server_name[80];	/* SNI / Host / DNS query, "" when none: all
				 * nDPI 4.2 keeps (79 bytes) */
};

struct dpi *dpi_new(char *err, size_t errlen);
void dpi_free(struct dpi *d);

/* Returns fresh per-flow state the caller gives back with dpi_flow_free()
 * to the same d. States come from d's own 2 MB slabs and freed ones are
 * reused, so d holds at most as many as were ever live at once. */
struct dpi_flow *dpi_flow_new(struct dpi *d);
void dpi_flow_free(struct dpi *d, struct dpi_flow *f);

/* Bytes of nDPI's per-flow state, for the memory figures. */
size_t dpi_flow_state_size(void);

/* Gives one IP packet to nDPI. Returns 1 when detection is final (a
 * protocol is known and nDPI wants no more packets), 0 to go on. */
int dpi_process(struct dpi *d, struct dpi_flow *f, const uint8_t *l3,
    uint32_t len, uint64_t ts_ms, struct dpi_result *out);

/* Gives nDPI the SYN that opened a TCP flow, rebuilt from the flow's
 * addresses (IPv4-mapped or IPv6) and ports: a flow's state is made at its
 * first payload, and some dissectors (tinc's) note the SYN's endpoints.
 * Returns as dpi_process(). */
int dpi_process_syn(struct dpi *d, struct dpi_flow *f, const uint8_t src[16],
    uint16_t sport, const uint8_t dst[16], uint16_t dport, uint64_t ts_ms,
    struct dpi_result *out);

/* Ends detection: nDPI's last word, guessing by port and address when
 * guess is set. */
void dpi_giveup(struct dpi *d, struct dpi_flow *f, int guess,
    struct dpi_result *out);

/* nDPI's guess by port and address for a flow it never saw a packet of
 * (src opened it); addresses are IPv4-mapped or IPv6 (IPv6: ports only). */
void dpi_guess(struct dpi *d, uint8_t l4, const uint8_t src[16], uint16_t sport,
    const uint8_t dst[16], uint16_t dport, struct dpi_result *out);

/* What nDPI read of a TLS (or QUIC) handshake: the client's ALPN list and
 * the server certificate's subject and issuer, "" where unknown. */
struct dpi_tls {
	char alpn[128];
	char cert_subject[192];
	char cert_issuer[192];
};

/* Copies the TLS metadata nDPI holds for f; returns 1 when any is known. */
int dpi_tls_info(struct dpi *d, struct dpi_flow *f, struct dpi_tls *out);

/* "TLS.Google", "SSH", "Unknown": nDPI's Master.App name. */
void dpi_name(struct dpi *d, uint16_t master, uint16_t app, char *buf, size_t len);
const char *dpi_proto_name(struct dpi *d, uint16_t id);
const char *dpi_category_name(struct dpi *d, uint16_t category);
const char *dpi_confidence_name(uint8_t confidence);

/* The id nDPI gives a protocol name, or -1 when this nDPI lacks it. */
int dpi_proto_id(struct dpi *d, const char *name);
/* Number of protocol ids (for tables indexed by id). */
unsigned dpi_proto_count(struct dpi *d);

const char *dpi_version(void);

/* Whether a guess by port (master, app) came from the client's port: it
 * is a default port of the protocol and the server's port is not. A
 * client's ephemeral port says nothing about what it speaks (a UDP flood
 * whose source port passes 3389 is not RDP). */
int dpi_guess_from_client_port(struct dpi *d, uint16_t master, uint16_t app,
    uint8_t l4, uint16_t client_port, uint16_t server_port);

#endif
