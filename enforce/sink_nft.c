/*
 * sink_nft.c: the nftables sink. A verdict whose action is "block" adds
 * an address to the configured nftables set (nftset.h): the VM's, or the
 * peer's (nft_target). The netlink call runs in the sink's own queue
 * thread (sinkq.h), so a block never waits behind a slow exec hook. A
 * block with no address to add (a behaviour verdict about many peers,
 * with nft_target peer) is counted as skipped, as is one whose address is
 * in the set already.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "cidr.h"
#include "log.h"
#include "nftset.h"
#include "sink.h"
#include "sinkq.h"
#include "util.h"

struct nft_item {
	uint8_t addr[16];
};

struct nft_sink {
	const struct config *cfg;
	struct nftset *set;
	struct sinkq *q;
	pthread_mutex_t mu;		/* the counters */
	uint64_t added, failed, skipped;
};

static void
run(void *arg, void **items, unsigned n)
{
	struct nft_sink *ns = arg;
	char err[512], addr[64];
	unsigned i;
	int rc;

	for (i = 0; i < n; i++) {
		struct nft_item *it = items[i];

		if ((rc = nftset_add(ns->set, it->addr, err, sizeof(err))) == -1) {
			addr_format(it->addr, addr, sizeof(addr));
			log_err("nftables: adding %s: %s", addr, err);
		}
		free(it);
		pthread_mutex_lock(&ns->mu);
		if (rc == 0)
			ns->skipped++;
		else if (rc == 1)
			ns->added++;
		else
			ns->failed++;
		pthread_mutex_unlock(&ns->mu);
	}
}

static void
discard(void *arg, void *item)
{
	(void)arg;
	free(item);
}

static int
wanted(const struct sink_args *a)
{
	return a->cfg->nft_set[0] != '\0' || a->cfg->nft_set6[0] != '\0';
}

static void
warn_no_blocks(const struct config *cfg)
{
	if (cfg->block_categories == 0)
		log_warn("nft_set is set but block_categories is empty: no "
		    "verdict will be blocked");
}

static int
check(const struct sink_args *a, char *err, size_t errlen)
{
	struct nftset *n;

	if ((n = nftset_new(a->cfg->nft_set, a->cfg->nft_set6,
	    a->cfg->nft_timeout_us, err, errlen)) == NULL)
		return SINK_ERR_CONFIG;
	nftset_free(n);
	warn_no_blocks(a->cfg);
	return 0;
}

static int
close_sink(void *state, char *err, size_t errlen);

static int
open_sink(const struct sink_args *a, void **state, char *err, size_t errlen)
{
	struct nft_sink *ns = xcalloc(1, sizeof(*ns));
	struct sinkq_def qd;

	ns->cfg = a->cfg;
	pthread_mutex_init(&ns->mu, NULL);
	if ((ns->set = nftset_new(a->cfg->nft_set, a->cfg->nft_set6,
	    a->cfg->nft_timeout_us, err, errlen)) == NULL)
		goto fail;
	warn_no_blocks(a->cfg);
	memset(&qd, 0, sizeof(qd));
	qd.cap = (size_t)a->cfg->queue_size;
	qd.batch = 1;
	qd.wait_when_full = (a->flags & SINK_WAIT_WHEN_FULL) != 0;
	qd.run = run;
	qd.discard = discard;
	qd.arg = ns;
	if ((ns->q = sinkq_new(&qd, err, errlen)) == NULL)
		goto fail;
	*state = ns;
	return 0;
fail:
	close_sink(ns, NULL, 0);
	return SINK_ERR_CONFIG;
}

static void
verdict(void *state, const struct verdict *v)
{
	struct nft_sink *ns = state;
	struct nft_item *it;

	if (strcmp(v->action, "block") != 0)
		return;
	if (ns->cfg->nft_target != NFT_TARGET_VM && !v->has_peer) {
		pthread_mutex_lock(&ns->mu);
		ns->skipped++;
		pthread_mutex_unlock(&ns->mu);
		return;
	}
	it = xmalloc(sizeof(*it));
	memcpy(it->addr, ns->cfg->nft_target == NFT_TARGET_VM ? v->vm_addr :
	    v->peer, 16);
	if (sinkq_push(ns->q, it) == -1)
		free(it);
}

static void
drain(void *state, uint64_t deadline_us)
{
	struct nft_sink *ns = state;

	(void)sinkq_wait_idle(ns->q, deadline_us);
}

static void
finish(void *state, struct sink_end *end)
{
	struct nft_sink *ns = state;
	end->lost = sinkq_finish(ns->q);
}

/* Counted with the exec hook's queue, in section "action". */
static void
figures(void *state, struct stats_event *s)
{
	struct nft_sink *ns = state;
	sinkq_merge_figures(ns->q, s, "action");
	pthread_mutex_lock(&ns->mu);
	stats_add(s, "action", "nft_added", ns->added);
	stats_add(s, "action", "nft_failed", ns->failed);
	stats_add(s, "action", "nft_skipped", ns->skipped);
	pthread_mutex_unlock(&ns->mu);
}

static int
close_sink(void *state, char *err, size_t errlen)
{
	struct nft_sink *ns = state;

	(void)err;
	(void)errlen;
	if (ns == NULL)
		return 0;
	sinkq_free(ns->q);
	nftset_free(ns->set);
	pthread_mutex_destroy(&ns->mu);
	free(ns);
	return 0;
}

const struct sink_ops sink_nft = {
	.name = "nft",
	.wanted = wanted,
	.check = check,
	.open = open_sink,
	.verdict = verdict,
	.figures = figures,
	.drain = drain,
	.finish = finish,
	.close = close_sink,
};
