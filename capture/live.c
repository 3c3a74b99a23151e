/*
 * live.c: the live capture handles (see live.h). Handles are non-blocking
 * and a worker poll()s their descriptors, so one thread serves several
 * interfaces and still wakes up to expire flows and publish stats when
 * the wire is quiet.
 */
#include <errno.h>
#include <linux/filter.h>
#include <linux/if_packet.h>
#include <pcap/pcap.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cidr.h"
#include "decode.h"
#include "live.h"
#include "log.h"
#include "source_int.h"
#include "statreg.h"
#include "util.h"

struct handle {
	pcap_t *p;
	int fd;
	int dlt;
	uint8_t dir;		/* enum link_dir: which frames it reads */
	char ifname[64];
};

struct live {
	char names[256];	/* the interfaces, as configured */
	unsigned nworkers, nifaces;
	unsigned nh;		/* handles per worker: one per interface, two
				 * (in, out) for one opened by direction */
	struct handle *h;	/* [worker * nh + handle] */
	struct sock_filter prog[FANOUT_PROG_MAX];	/* the fanout program */
	unsigned short prog_len;
};

/*
 * The fanout program: which worker a packet goes to. Everything the
 * classifier sums per VM (floods, scans, guessing, the DNS names it
 * resolved, suppression) must be seen by one worker, so the choice is made
 * by the VM's address: the IPv4 source or destination inside vm_networks.
 * When neither is (or there are no vm_networks, or the packet is IPv6),
 * both addresses are combined symmetrically, so that at least both
 * directions between two hosts meet. Loads are relative to the network
 * header (SKF_NET_OFF) and the protocol comes from the socket buffer
 * (SKF_AD_PROTOCOL), so the program is right for any link layer.
 * Classic BPF jumps reach 255 instructions: with more than FANOUT_CIDRS
 * IPv4 networks the program hashes the pair only.
 */
#define FANOUT_CIDRS	40

static unsigned
emit(struct live *l, unsigned short code, unsigned char jt, unsigned char jf,
    unsigned k)
{
	l->prog[l->prog_len] = (struct sock_filter){ code, jt, jf, k };
	return l->prog_len++;
}

static void
build_fanout_prog(struct live *l, const struct config *cfg)
{
	const unsigned net = (unsigned)SKF_NET_OFF;
	unsigned v4[FANOUT_CIDRS], mask[FANOUT_CIDRS], ncidr = 0;
	unsigned src_jumps[FANOUT_CIDRS], dst_jumps[FANOUT_CIDRS];
	unsigned i, j, at_v4check, at_v6check, src, dst, v6, other, hash;
	size_t k;

	for (k = 0; k < cfg->n_vm_networks; k++) {
		const struct cidr *c = &cfg->vm_networks[k];
		unsigned bits;

		if (!addr_is_v4(c->addr))
			continue;
		if (ncidr == FANOUT_CIDRS) {
			ncidr = 0;	/* too many: pair hash only */
			break;
		}
		bits = c->bits - 96;
		mask[ncidr] = bits == 0 ? 0 : 0xffffffffu << (32 - bits);
		v4[ncidr] = (unsigned)c->addr[12] << 24 | (unsigned)c->addr[13] << 16 |
		    (unsigned)c->addr[14] << 8 | c->addr[15];
		ncidr++;
	}
	l->prog_len = 0;
	emit(l, BPF_LD | BPF_W | BPF_ABS, 0, 0, (unsigned)SKF_AD_OFF +
	    SKF_AD_PROTOCOL);
	at_v4check = emit(l, BPF_JMP | BPF_JEQ | BPF_K, 0, 0, 0x0800);
	at_v6check = emit(l, BPF_JMP | BPF_JEQ | BPF_K, 0, 0, 0x86dd);
	/* IPv4: is the source a VM? the destination? */
	for (i = 0; i < ncidr; i++) {
		emit(l, BPF_LD | BPF_W | BPF_ABS, 0, 0, net + 12);
		emit(l, BPF_ALU | BPF_AND | BPF_K, 0, 0, mask[i]);
		src_jumps[i] = emit(l, BPF_JMP | BPF_JEQ | BPF_K, 0, 0, v4[i]);
	}
	for (i = 0; i < ncidr; i++) {
		emit(l, BPF_LD | BPF_W | BPF_ABS, 0, 0, net + 16);
		emit(l, BPF_ALU | BPF_AND | BPF_K, 0, 0, mask[i]);
		dst_jumps[i] = emit(l, BPF_JMP | BPF_JEQ | BPF_K, 0, 0, v4[i]);
	}
	emit(l, BPF_LD | BPF_W | BPF_ABS, 0, 0, net + 12);	/* the pair */
	emit(l, BPF_ST, 0, 0, 0);
	emit(l, BPF_LD | BPF_W | BPF_ABS, 0, 0, net + 16);
	emit(l, BPF_LDX | BPF_MEM, 0, 0, 0);
	emit(l, BPF_ALU | BPF_XOR | BPF_X, 0, 0, 0);
	j = emit(l, BPF_JMP | BPF_JA, 0, 0, 0);		/* to hash */
	src = emit(l, BPF_LD | BPF_W | BPF_ABS, 0, 0, net + 12);
	emit(l, BPF_JMP | BPF_JA, 0, 0, 0);
	dst = emit(l, BPF_LD | BPF_W | BPF_ABS, 0, 0, net + 16);
	emit(l, BPF_JMP | BPF_JA, 0, 0, 0);
	/* IPv6: the low 32 bits of both addresses. */
	v6 = emit(l, BPF_LD | BPF_W | BPF_ABS, 0, 0, net + 20);
	emit(l, BPF_ST, 0, 0, 0);
	emit(l, BPF_LD | BPF_W | BPF_ABS, 0, 0, net + 36);
	emit(l, BPF_LDX | BPF_MEM, 0, 0, 0);
	emit(l, BPF_ALU | BPF_XOR | BPF_X, 0, 0, 0);
	emit(l, BPF_JMP | BPF_JA, 0, 0, 0);
	other = emit(l, BPF_RET | BPF_K, 0, 0, 0);
	hash = emit(l, BPF_ALU | BPF_MUL | BPF_K, 0, 0, 0x9e3779b1u);
	emit(l, BPF_ALU | BPF_RSH | BPF_K, 0, 0, 16);
	emit(l, BPF_RET | BPF_A, 0, 0, 0);

	/* Jump offsets count from the next instruction. */
	/* IPv4 skips the IPv6 test; anything else falls onto it. */
	l->prog[at_v4check].jt = (unsigned char)(at_v6check + 1 -
	    (at_v4check + 1));
	l->prog[at_v6check].jt = (unsigned char)(v6 - (at_v6check + 1));
	l->prog[at_v6check].jf = (unsigned char)(other - (at_v6check + 1));
	for (i = 0; i < ncidr; i++) {
		l->prog[src_jumps[i]].jt = (unsigned char)(src -
		    (src_jumps[i] + 1));
		l->prog[dst_jumps[i]].jt = (unsigned char)(dst -
		    (dst_jumps[i] + 1));
	}
	l->prog[j].k = hash - (j + 1);
	l->prog[src + 1].k = hash - (src + 2);
	l->prog[dst + 1].k = hash - (dst + 2);
	l->prog[other - 1].k = hash - other;
}

/* The context of one live_poll call, for pcap's callback. */
struct poll_ctx {
	source_frame_fn fn;
	void *arg;
	int dlt;
	const char *ifname;
	uint8_t dir;
};

/* The filter of a handle: bpf_filter, and for one that reads one
 * direction libpcap's inbound or outbound (on Linux the kernel's packet
 * type, so the other direction never reaches the ring). */
static int
handle_filter(const struct config *cfg, uint8_t dir, char *buf, size_t len)
{
	const char *d = dir == LINK_IN ? "inbound" : dir == LINK_OUT ?
	    "outbound" : NULL;
	int n;

	if (d == NULL)
		n = snprintf(buf, len, "%s", cfg->bpf_filter);
	else if (cfg->bpf_filter[0] == '\0')
		n = snprintf(buf, len, "%s", d);
	else
		n = snprintf(buf, len, "(%s) and %s", cfg->bpf_filter, d);
	return n < 0 || (size_t)n >= len ? -1 : 0;
}

int
live_check_filter(const struct config *cfg, char *err, size_t errlen)
{
	struct bpf_program prog;
	pcap_t *p;
	int rc = 0;

	if (cfg->bpf_filter[0] == '\0')
		return 0;
	/* Ethernet: what an interface of a host or a VM's tap shows. */
	if ((p = pcap_open_dead(DLT_EN10MB, (int)cfg->snaplen)) == NULL) {
		snprintf(err, errlen, "bpf_filter: out of memory");
		return -1;
	}
	if (pcap_compile(p, &prog, cfg->bpf_filter, 1,
	    PCAP_NETMASK_UNKNOWN) == -1) {
		snprintf(err, errlen, "bpf_filter: %s", pcap_geterr(p));
		rc = -1;
	} else {
		pcap_freecode(&prog);
	}
	pcap_close(p);
	return rc;
}

static int
open_handle(struct live *l, const struct config *cfg, const char *ifname,
    uint8_t dir, struct handle *h, int fanout_id, char *err, size_t errlen)
{
	char ebuf[PCAP_ERRBUF_SIZE], filter[sizeof(cfg->bpf_filter) + 16];
	struct bpf_program prog;
	int rc, fanout;

	str_copy(h->ifname, ifname, sizeof(h->ifname));
	h->dir = dir;
	if ((h->p = pcap_create(ifname, ebuf)) == NULL) {
		snprintf(err, errlen, "%s: %s", ifname, ebuf);
		return -1;
	}
	pcap_set_snaplen(h->p, (int)cfg->snaplen);
	pcap_set_promisc(h->p, 1);
	pcap_set_timeout(h->p, 100);	/* ms: a TPACKET_V3 block's age limit */
	pcap_set_buffer_size(h->p, (int)cfg->buffer_size);
	pcap_set_tstamp_precision(h->p, PCAP_TSTAMP_PRECISION_MICRO);
	if ((rc = pcap_activate(h->p)) < 0) {
		snprintf(err, errlen, "%s: %s", ifname,
		    rc == PCAP_ERROR ? pcap_geterr(h->p) : pcap_statustostr(rc));
		return -1;
	}
	if (rc > 0)	/* a warning, e.g. promiscuous mode not supported */
		log_warn("%s: %s", ifname, pcap_statustostr(rc));
	h->dlt = pcap_datalink(h->p);
	if (!decode_linktype_supported(h->dlt)) {
		snprintf(err, errlen, "%s: link type %s is not supported", ifname,
		    pcap_datalink_val_to_name(h->dlt) != NULL ?
		    pcap_datalink_val_to_name(h->dlt) : "?");
		return -1;
	}
	if (handle_filter(cfg, dir, filter, sizeof(filter)) == -1) {
		snprintf(err, errlen, "bpf_filter: too long");
		return -1;
	}
	if (filter[0] != '\0') {
		if (pcap_compile(h->p, &prog, filter, 1,
		    PCAP_NETMASK_UNKNOWN) == -1) {
			snprintf(err, errlen, "bpf_filter: %s", pcap_geterr(h->p));
			return -1;
		}
		rc = pcap_setfilter(h->p, &prog);
		pcap_freecode(&prog);
		if (rc == -1) {
			snprintf(err, errlen, "%s: %s", ifname, pcap_geterr(h->p));
			return -1;
		}
	}
	if (pcap_setnonblock(h->p, 1, ebuf) == -1) {
		snprintf(err, errlen, "%s: %s", ifname, ebuf);
		return -1;
	}
	h->fd = pcap_get_selectable_fd(h->p);
	if (fanout_id >= 0) {
		struct sock_fprog fp = { l->prog_len, l->prog };

		/* Unsigned: the flags shifted by 16 pass INT_MAX. */
		fanout = (int)((unsigned)fanout_id |
		    (unsigned)(PACKET_FANOUT_CBPF | PACKET_FANOUT_FLAG_DEFRAG) <<
		    16);
		if (setsockopt(h->fd, SOL_PACKET, PACKET_FANOUT, &fanout,
		    sizeof(fanout)) == -1 ||
		    setsockopt(h->fd, SOL_PACKET, PACKET_FANOUT_DATA, &fp,
		    sizeof(fp)) == -1) {
			snprintf(err, errlen, "%s: joining fanout group %d: %s",
			    ifname, fanout_id, strerror(errno));
			return -1;
		}
	}
	return 0;
}

static void live_close(void *state);

static struct live *
live_open(const struct config *cfg, int (*by_dir)(const char *, void *),
    void *arg, char *err, size_t errlen)
{
	struct live *l = xcalloc(1, sizeof(*l));
	char names[CONFIG_PATH_MAX], *p, *next, *ifs[LIVE_MAX_IFACES];
	uint8_t dirs[2 * LIVE_MAX_IFACES];
	char *hif[2 * LIVE_MAX_IFACES];
	unsigned i, w;

	str_copy(names, cfg->interface, sizeof(names));
	for (p = names; p != NULL; p = next) {
		if ((next = strchr(p, ',')) != NULL)
			*next++ = '\0';
		p = str_trim(p);
		if (*p == '\0')
			continue;
		if (l->nifaces == LIVE_MAX_IFACES) {
			snprintf(err, errlen, "interface: more than %d interfaces",
			    LIVE_MAX_IFACES);
			free(l);
			return NULL;
		}
		ifs[l->nifaces++] = p;
	}
	if (l->nifaces == 0) {
		snprintf(err, errlen, "interface: no interface named");
		free(l);
		return NULL;
	}
	for (i = 0; i < l->nifaces; i++) {
		if (by_dir != NULL && by_dir(ifs[i], arg)) {
			hif[l->nh] = ifs[i];
			dirs[l->nh++] = LINK_IN;
			hif[l->nh] = ifs[i];
			dirs[l->nh++] = LINK_OUT;
		} else {
			hif[l->nh] = ifs[i];
			dirs[l->nh++] = LINK_UNKNOWN;
		}
	}
	l->nworkers = (unsigned)cfg->workers;
	build_fanout_prog(l, cfg);
	l->h = xcalloc((size_t)l->nworkers * l->nh, sizeof(*l->h));
	for (w = 0; w < l->nworkers; w++) {
		for (i = 0; i < l->nh; i++) {
			/* One fanout group per handle of a worker (an
			 * interface, or one direction of it), unique to this
			 * process so that two egressd never share one. */
			int id = l->nworkers > 1 ?
			    (int)(((unsigned)getpid() * 32 + i) & 0xffff) : -1;

			if (open_handle(l, cfg, hif[i], dirs[i],
			    &l->h[w * l->nh + i], id, err, errlen) == -1) {
				live_close(l);
				return NULL;
			}
		}
	}
	return l;
}

static void
live_close(void *state)
{
	struct live *l = state;
	size_t i;

	if (l == NULL)
		return;
	for (i = 0; i < (size_t)l->nworkers * l->nh; i++)
		if (l->h[i].p != NULL)
			pcap_close(l->h[i].p);
	free(l->h);
	free(l);
}

static unsigned
live_workers(void *state)
{
	return ((const struct live *)state)->nworkers;
}

static void
on_packet(u_char *user, const struct pcap_pkthdr *hdr, const u_char *data)
{
	struct poll_ctx *ctx = (struct poll_ctx *)(void *)user;
	struct frame fr;

	fr.ts_us = (uint64_t)hdr->ts.tv_sec * 1000000 + (uint64_t)hdr->ts.tv_usec;
	fr.data = data;
	fr.caplen = hdr->caplen;
	fr.wire_len = hdr->len;
	fr.ifname = ctx->ifname;
	fr.link_dir = ctx->dir;
	ctx->fn(&fr, ctx->dlt, ctx->arg);
}

static int
live_poll(void *state, unsigned w, int timeout_ms, source_frame_fn fn,
    void *arg, char *err, size_t errlen)
{
	struct live *l = state;
	struct handle *h = &l->h[w * l->nh];
	struct pollfd pfd[2 * LIVE_MAX_IFACES];
	struct poll_ctx ctx = { fn, arg, 0, NULL, 0 };
	unsigned i;
	int n, total = 0;

	for (i = 0; i < l->nh; i++) {
		pfd[i].fd = h[i].fd;
		pfd[i].events = POLLIN;
		pfd[i].revents = 0;
	}
	if (poll(pfd, l->nh, timeout_ms) == -1 && errno != EINTR) {
		snprintf(err, errlen, "poll: %s", strerror(errno));
		return SOURCE_ERROR;
	}
	for (i = 0; i < l->nh; i++) {
		if (pfd[i].revents & (POLLERR | POLLNVAL)) {
			snprintf(err, errlen, "%s: the capture failed (the "
			    "interface went down or away?)", h[i].ifname);
			return SOURCE_ERROR;
		}
		/* Read even without POLLIN: TPACKET_V3 blocks retire on a
		 * timer, and a bounded batch keeps interfaces fair. */
		ctx.dlt = h[i].dlt;
		ctx.ifname = h[i].ifname;
		ctx.dir = h[i].dir;
		n = pcap_dispatch(h[i].p, 256, on_packet, (u_char *)&ctx);
		if (n == PCAP_ERROR) {
			snprintf(err, errlen, "%s: %s", h[i].ifname,
			    pcap_geterr(h[i].p));
			return SOURCE_ERROR;
		}
		if (n > 0)
			total += n;
	}
	return total;
}

/* The kernel's figures of worker w's handles. */
static void
live_figures(void *state, unsigned w, struct stats_event *st)
{
	struct live *l = state;
	struct pcap_stat ps;
	uint64_t dropped = 0, if_dropped = 0;
	unsigned i;

	for (i = 0; i < l->nh; i++) {
		if (pcap_stats(l->h[w * l->nh + i].p, &ps) == 0) {
			dropped += ps.ps_drop;
			if_dropped += ps.ps_ifdrop;
		}
	}
	stats_add(st, "capture", "kernel_drops", dropped);
	stats_add(st, "capture", "if_drops", if_dropped);
}

static int
live_linktype(void *state)
{
	(void)state;
	return -1;	/* each handle has its own */
}

static const char *
live_name(void *state)
{
	return ((const struct live *)state)->names;
}

static const struct source_ops live_ops = {
	.name = "live",
	.workers = live_workers,
	.poll = live_poll,
	.figures = live_figures,
	.linktype = live_linktype,
	.source_name = live_name,
	.close = live_close,
};

struct source *
source_open_live(const struct config *cfg,
    int (*by_dir)(const char *ifname, void *arg), void *arg, char *err,
    size_t errlen)
{
	struct live *l;

	if ((l = live_open(cfg, by_dir, arg, err, errlen)) == NULL)
		return NULL;
	str_copy(l->names, cfg->interface, sizeof(l->names));
	return source_new(&live_ops, l);
}
