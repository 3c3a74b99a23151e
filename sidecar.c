/*
 * sidecar.c: live capture (-i). The main thread opens the capture handles
 * as root, drops to the configured user, sets up the sinks, starts one
 * worker thread per worker and then only waits: for signals (SIGHUP
 * reload, SIGTERM/SIGINT stop), for the stats interval, and for workers
 * that fail. Each worker owns its capture handles, its classifier (flow
 * table, nDPI module, signatures, behaviour tables) and its copy of the
 * inventory; the sinks behind it are thread-safe. Nothing on a worker's
 * packet path waits for another thread except for a queue slot.
 *
 * A worker publishes a stats snapshot once a second; stats events and
 * /metrics combine the snapshots, each figure as its kind says
 * (statreg.h). A reload is prepared and checked entirely by
 * the main thread, then handed to each worker, which swaps it in between
 * two packet batches: packets wait in the kernel ring meanwhile.
 *
 * Under a service manager (systemd's Type=notify, notify.h) the main
 * thread also says READY=1 once capturing, STATUS= now and then, and
 * WATCHDOG=1 only while /healthz would say ok, so a stuck worker gets
 * egressd restarted; workers never talk to the manager.
 */
#include <errno.h>
#include <pcap/pcap.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "classify.h"
#include "config.h"
#include "decode.h"
#include "dpi.h"
#include "eve.h"
#include "inventory.h"
#include "live.h"
#include "log.h"
#include "metrics.h"
#include "notify.h"
#include "pipeline.h"
#include "priv.h"
#include "sidecar.h"
#include "sinks.h"
#include "statreg.h"
#include "util.h"

#define POLL_MS		200
#define PUBLISH_US	1000000
#define STALE_US	5000000		/* a worker silent this long is unhealthy */
#define NO_INVENTORY	SIZE_MAX
#define STATUS_US	5000000		/* between two STATUS= lines */

struct sidecar;

struct worker {
	struct sidecar *sc;
	unsigned id;
	pthread_t thread;
	int started;
	struct classify *c;
	struct inventory *inv;
	struct pipeline pl;
	/* shared with the main thread, under mu */
	pthread_mutex_t mu;
	struct stats_event snap;
	uint64_t heartbeat_us;
	size_t inv_entries;		/* of the inventory; NO_INVENTORY */
	int failed;
	int pending;			/* a reload waits to be applied */
	const struct config *new_cfg;
	struct inventory *new_inv;
	unsigned applied;		/* reloads applied */
	uint64_t last_expire, last_pub;	/* the worker's own */
};

struct sidecar {
	const struct config *cfg;	/* in force; the first is the caller's */
	struct config *reloaded;	/* the last reload's, to free */
	const struct sidecar_args *args;
	struct source *src;
	struct sinks out;
	struct metrics *metrics;
	struct worker *w;
	unsigned nworkers;
	unsigned reloads;
	struct notify *notify;		/* NULL: no service manager listens */
	uint64_t last_status_us;	/* mono_us() of the last STATUS= */
	int watchdog_held;		/* a worker is stuck: no WATCHDOG=1 */
};

static volatile sig_atomic_t sc_stop, sc_reload;

static void
on_signal(int sig)
{
	if (sig == SIGHUP)
		sc_reload = 1;
	else
		sc_stop = 1;
}

static void
emit_verdict(const struct verdict *v, void *arg)
{
	struct worker *w = arg;
	struct verdict with_pkts;

	if (w->pl.ev == NULL) {
		sinks_verdict(&w->sc->out, v);
		return;
	}
	/* classify's verdict is const: the copy carries the packets. */
	with_pkts = *v;
	pipeline_evidence(&w->pl, &with_pkts);
	sinks_verdict(&w->sc->out, &with_pkts);
}

static void
emit_summary(char *json, size_t len, uint64_t ts_us, void *arg)
{
	(void)ts_us;
	sinks_summary(&((struct worker *)arg)->sc->out, json, len);
	free(json);
}

static void
emit_flow(const struct flow_event *fe, void *arg)
{
	struct sidecar *sc = ((struct worker *)arg)->sc;

	sinks_flow(&sc->out, fe);
}

/*
 * Workers.
 */

static void
publish(struct worker *w, uint64_t now)
{
	struct stats_event s;

	memset(&s, 0, sizeof(s));
	pipeline_stats(&w->pl, &s, w->sc->src, w->id);
	pthread_mutex_lock(&w->mu);
	w->snap = s;
	w->heartbeat_us = now;
	pthread_mutex_unlock(&w->mu);
}

/* Swaps in a reload the main thread prepared, between two batches. */
static void
apply_reload(struct worker *w)
{
	const struct config *cfg;
	struct inventory *inv;
	char err[512];

	pthread_mutex_lock(&w->mu);
	if (!w->pending) {
		pthread_mutex_unlock(&w->mu);
		return;
	}
	cfg = w->new_cfg;
	inv = w->new_inv;
	w->pending = 0;
	pthread_mutex_unlock(&w->mu);

	if (classify_reload(w->c, cfg, err, sizeof(err)) == -1)
		log_err("worker %u: reload: %s (the old signatures stay)", w->id,
		    err);
	inventory_free(classify_set_inventory(w->c, inv));
	w->inv = inv;
	pthread_mutex_lock(&w->mu);
	w->inv_entries = inv != NULL ? inventory_count(inv) : NO_INVENTORY;
	w->applied++;
	pthread_mutex_unlock(&w->mu);
}

/* Between two polls: flows expire and the figures are published every
 * PUBLISH_US, and a prepared reload is put in use. */
static void
between_polls(void *arg)
{
	struct worker *w = arg;
	uint64_t now = wall_us();

	if (now - w->last_expire >= PUBLISH_US) {
		classify_expire(w->c, now);
		w->last_expire = now;
	}
	if (now - w->last_pub >= PUBLISH_US) {
		publish(w, now);
		w->last_pub = now;
	}
	apply_reload(w);
}

static void *
worker_main(void *arg)
{
	struct worker *w = arg;
	char err[512];

	w->last_expire = wall_us();
	if (pipeline_run(&w->pl, w->sc->src, w->id, POLL_MS, &sc_stop,
	    between_polls, w, err, sizeof(err)) != 0) {
		log_err("worker %u: %s", w->id, err);
		pthread_mutex_lock(&w->mu);
		w->failed = 1;
		pthread_mutex_unlock(&w->mu);
	}
	classify_flush(w->c);
	publish(w, wall_us());
	return NULL;
}

/*
 * Stats, metrics, health.
 */

/* Adds a worker's figure to s, combined with the other workers' as its
 * kind says (statreg.h): counts add up, a maximum stays the largest, a
 * setting is counted once. */
static void
collect(struct stats_event *s, void *arg)
{
	struct sidecar *sc = arg;
	struct stats_event snap;
	unsigned i, j;
	size_t n;

	memset(s, 0, sizeof(*s));
	s->ts_us = wall_us();
	stats_add(s, "capture", "workers", sc->nworkers);
	for (i = 0; i < sc->nworkers; i++) {
		pthread_mutex_lock(&sc->w[i].mu);
		snap = sc->w[i].snap;
		pthread_mutex_unlock(&sc->w[i].mu);
		for (j = 0; j < snap.n; j++)
			stats_merge(s, snap.c[j].section, snap.c[j].name,
			    snap.c[j].value);
	}
	/* The count, not the inventory (nor sc->cfg): a reload may be
	 * freeing them. */
	pthread_mutex_lock(&sc->w[0].mu);
	n = sc->w[0].inv_entries;
	pthread_mutex_unlock(&sc->w[0].mu);
	if (n != NO_INVENTORY)
		stats_add(s, "inventory", "entries", n);
	stats_add(s, "sidecar", "reloads", sc->reloads);
	sinks_figures(&sc->out, s);
}

static int
healthy(void *arg, char *why, size_t len)
{
	struct sidecar *sc = arg;
	uint64_t now = wall_us(), hb;
	unsigned i;
	int failed;

	for (i = 0; i < sc->nworkers; i++) {
		pthread_mutex_lock(&sc->w[i].mu);
		hb = sc->w[i].heartbeat_us;
		failed = sc->w[i].failed;
		pthread_mutex_unlock(&sc->w[i].mu);
		if (failed) {
			snprintf(why, len, "worker %u: capture failed", i);
			return 0;
		}
		if (hb != 0 && now > hb + STALE_US) {
			snprintf(why, len, "worker %u: no progress for %.0f s", i,
			    (double)(now - hb) / 1e6);
			return 0;
		}
	}
	/* The events are written by threads of their own: one blocked
	 * (nobody reads the stream) is as stuck as a worker would be. */
	return !sinks_stalled(&sc->out, STALE_US, why, len);
}

static void
write_stats(struct sidecar *sc)
{
	struct stats_event s;

	collect(&s, sc);
	sinks_stats(&sc->out, &s);
}

/*
 * The service manager (notify.h): called from the main thread only.
 */

/* STATUS= with the packets read and verdicts made so far, after prefix
 * (other assignments, each ending in a newline, or ""). */
static void
send_status(struct sidecar *sc, const char *prefix)
{
	struct stats_event s;
	unsigned long long packets = 0, verdicts = 0;
	char why[256];
	unsigned j;

	if (sc->notify == NULL)
		return;
	collect(&s, sc);
	for (j = 0; j < s.n; j++) {
		if (strcmp(s.c[j].section, "capture") == 0 &&
		    strcmp(s.c[j].name, "packets") == 0)
			packets = s.c[j].value;
		/* Every verdict is counted once by what decided it. */
		else if (strcmp(s.c[j].section, "verdicts") == 0 &&
		    strncmp(s.c[j].name, "by_", 3) == 0)
			verdicts += s.c[j].value;
	}
	why[0] = '\0';
	healthy(sc, why, sizeof(why));
	notify_send(sc->notify,
	    "%sSTATUS=capturing on %s: %llu packets, %llu verdicts%s%s",
	    prefix, sc->cfg->interface, packets, verdicts,
	    why[0] != '\0' ? "; " : "", why);
	sc->last_status_us = mono_us();
}

/* WATCHDOG=1 every half interval while every worker and event writer
 * makes progress, as /healthz judges it: a stuck one stops the pings, and
 * the manager
 * restarts egressd when the interval runs out. STATUS= every STATUS_US. */
static void
tell_manager(struct sidecar *sc)
{
	uint64_t now = mono_us();
	char why[256];

	if (sc->notify == NULL)
		return;
	if (notify_watchdog_due(sc->notify, now)) {
		if (healthy(sc, why, sizeof(why))) {
			notify_watchdog(sc->notify, now);
			if (sc->watchdog_held) {
				log_info("every worker and event writer makes "
				    "progress again: watchdog pings resume");
				sc->watchdog_held = 0;
				send_status(sc, "");
			}
		} else if (!sc->watchdog_held) {
			log_err("%s: watchdog pings stop until it recovers",
			    why);
			sc->watchdog_held = 1;
			send_status(sc, "");
		}
	}
	if (now - sc->last_status_us >= STATUS_US)
		send_status(sc, "");
}

/*
 * Reload.
 */

static void
reload(struct sidecar *sc)
{
	const struct sidecar_args *a = sc->args;
	struct config *cfg = xcalloc(1, sizeof(*cfg));
	struct classify_out out;
	struct classify *check;
	struct inventory **inv;
	const char *name;
	char err[512];
	unsigned i, want;
	size_t k;
	int takes, tries;

	sc_reload = 0;
	sinks_reopen(&sc->out);

	if (config_build(cfg, a->cfile, a->set_names, a->set_values, a->nsets,
	    err, sizeof(err)) == -1) {
		log_err("reload rejected, the running settings stay: %s", err);
		free(cfg);
		return;
	}
	for (k = 0; (name = config_option_name(k, &takes)) != NULL; k++) {
		if (config_option_reloads(name) ||
		    !config_changed(sc->cfg, cfg, name))
			continue;
		log_warn("reload: %s changed; it takes effect at restart", name);
		config_copy_option(cfg, sc->cfg, name);
	}
	/* Everything is loaded and checked here, before any worker sees it. */
	memset(&out, 0, sizeof(out));
	if ((check = classify_new(cfg, &out, err, sizeof(err))) == NULL) {
		log_err("reload rejected, the running signatures stay: %s", err);
		free(cfg);
		return;
	}
	want = (unsigned)classify_signature_count(check);
	classify_free(check);
	inv = xcalloc(sc->nworkers, sizeof(*inv));
	for (i = 0; cfg->inventory[0] != '\0' && i < sc->nworkers; i++) {
		if ((inv[i] = inventory_load(cfg->inventory, err,
		    sizeof(err))) == NULL) {
			log_err("reload rejected, the running inventory stays: %s",
			    err);
			while (i-- > 0)
				inventory_free(inv[i]);
			free(inv);
			free(cfg);
			return;
		}
	}
	for (i = 0; i < sc->nworkers; i++) {
		pthread_mutex_lock(&sc->w[i].mu);
		sc->w[i].new_cfg = cfg;
		sc->w[i].new_inv = inv[i];
		sc->w[i].pending = 1;
		pthread_mutex_unlock(&sc->w[i].mu);
	}
	free(inv);
	/* The previous reload's settings are freed once no worker uses them. */
	for (tries = 0; tries < 100; tries++) {
		unsigned done = 0;

		for (i = 0; i < sc->nworkers; i++) {
			pthread_mutex_lock(&sc->w[i].mu);
			done += !sc->w[i].pending;
			pthread_mutex_unlock(&sc->w[i].mu);
		}
		if (done == sc->nworkers)
			break;
		nanosleep(&(struct timespec){ 0, 50000000 }, NULL);
	}
	if (tries == 100) {
		/* A worker is stuck; keep both rather than free one in use. */
		log_err("reload: a worker did not take the new settings in 5 s");
	} else {
		free(sc->reloaded);
	}
	sc->reloaded = cfg;
	sc->cfg = cfg;
	sc->reloads++;
	log_info("reloaded %s: %u signatures%s", a->cfile != NULL ? a->cfile :
	    "the settings", want, cfg->inventory[0] != '\0' ?
	    ", inventory reread" : "");
}

/*
 * Setting up and running.
 */

/* Whether the inventory names ifname as one VM's interface. */
static int
iface_bound(const char *ifname, void *arg)
{
	const struct inventory_vm *vm = inventory_iface(arg, ifname);

	if (vm != NULL)
		log_info("%s carries %s alone: read by direction", ifname,
		    vm->vm_id);
	return vm != NULL;
}

/* Each worker's classifier and inventory, made while egressd still has
 * the privileges it started with: the rule files, GeoIP databases and
 * inventory need only be readable by whoever starts it. */
static int
make_workers(struct sidecar *sc, char *err, size_t errlen)
{
	struct classify_out out;
	unsigned i;

	sc->w = xcalloc(sc->nworkers, sizeof(*sc->w));
	for (i = 0; i < sc->nworkers; i++) {
		struct worker *w = &sc->w[i];

		w->sc = sc;
		w->id = i;
		pthread_mutex_init(&w->mu, NULL);
		w->inv_entries = NO_INVENTORY;
		out.verdict = emit_verdict;
		out.summary = emit_summary;
		out.flow = sc->cfg->flows ? emit_flow : NULL;
		out.arg = w;
		if ((w->c = classify_new(sc->cfg, &out, err, errlen)) == NULL)
			return -1;
		pipeline_init(&w->pl, w->c, NULL);
		if (pipeline_evidence_open(&w->pl, sc->cfg, sc->nworkers, err,
		    errlen) == -1)
			return -1;
		if (sc->cfg->inventory[0] != '\0') {
			if ((w->inv = inventory_load(sc->cfg->inventory, err,
			    errlen)) == NULL)
				return -1;
			classify_set_inventory(w->c, w->inv);
			w->inv_entries = inventory_count(w->inv);
		}
		publish(w, 0);
	}
	return 0;
}

static int
start_workers(struct sidecar *sc, char *err, size_t errlen)
{
	sigset_t block, old;
	unsigned i;
	int rc = 0;

	/* Signals are the main thread's business. */
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &block, &old);
	for (i = 0; i < sc->nworkers; i++) {
		if (pthread_create(&sc->w[i].thread, NULL, worker_main,
		    &sc->w[i]) != 0) {
			snprintf(err, errlen, "cannot start worker %u", i);
			rc = -1;
			break;
		}
		sc->w[i].started = 1;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return rc;
}

static void
stop_workers(struct sidecar *sc)
{
	unsigned i;

	sc_stop = 1;
	/* Called again on the way out: a thread is joined once (a second
	 * join reads a descriptor glibc may have given to another thread). */
	for (i = 0; sc->w != NULL && i < sc->nworkers; i++)
		if (sc->w[i].started) {
			pthread_join(sc->w[i].thread, NULL);
			sc->w[i].started = 0;
		}
}

static void
free_workers(struct sidecar *sc)
{
	unsigned i;

	for (i = 0; sc->w != NULL && i < sc->nworkers; i++) {
		classify_free(sc->w[i].c);
		pipeline_evidence_close(&sc->w[i].pl);
		inventory_free(sc->w[i].inv);
		pthread_mutex_destroy(&sc->w[i].mu);
	}
	free(sc->w);
}

int
sidecar_run(const struct config *cfg, const struct sidecar_args *a)
{
	struct sidecar sc;
	struct sigaction sa;
	struct inventory *bound = NULL;
	char err[512];
	uint64_t last_stats;
	int status = 0, rc = 0, nft;
	struct sink_args sargs;
	struct metrics_build build = { EGRESSD_VERSION, dpi_version(),
	    pcap_lib_version() };
	unsigned i;

	memset(&sc, 0, sizeof(sc));
	sc.notify = notify_open(mono_us());
	sc.cfg = cfg;
	sc.args = a;
	sc.nworkers = (unsigned)cfg->workers;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sa.sa_flags = SA_RESTART;
	sigaction(SIGHUP, &sa, NULL);
	sa.sa_flags = 0;
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);

	/* A filter that does not compile is the configuration's fault. */
	if (live_check_filter(cfg, err, sizeof(err)) == -1) {
		log_err("%s", err);
		return EGRESSD_EXIT_USAGE;
	}
	/* Interfaces the inventory names as a VM's are read by direction
	 * (a load that fails here fails again in make_workers, which says
	 * why). */
	if (cfg->inventory[0] != '\0')
		bound = inventory_load(cfg->inventory, err, sizeof(err));
	sc.src = source_open_live(cfg, bound != NULL ? iface_bound : NULL, bound,
	    err, sizeof(err));
	inventory_free(bound);
	if (sc.src == NULL) {
		log_err("%s", err);
		return EGRESSD_EXIT_RUNTIME;
	}
	if (make_workers(&sc, err, sizeof(err)) == -1) {
		log_err("%s", err);
		status = EGRESSD_EXIT_USAGE;
		goto out;
	}
	/* The sockets are open: what made them is no longer needed. */
	nft = cfg->nft_set[0] != '\0' || cfg->nft_set6[0] != '\0';
	if (cfg->user[0] != '\0')
		rc = priv_drop(cfg->user, nft, err, sizeof(err));
	else if (geteuid() != 0)
		rc = priv_drop_caps(nft, err, sizeof(err));
	else
		log_warn("running as root: set user (-u) to drop privileges");
	if (rc == -1) {
		log_err("%s", err);
		status = EGRESSD_EXIT_USAGE;
		goto out;
	}
	/* From here on, files are opened as the user the sidecar runs as. */
	/* A live capture never waits for a full queue: it counts a drop. */
	sargs.cfg = cfg;
	sargs.out = a->ofile;
	sargs.flags = SINK_FLUSH_EACH;
	if ((rc = sinks_open(&sc.out, &sargs, err, sizeof(err))) != 0) {
		log_err("%s", err);
		status = rc == SINK_ERR_CONFIG ? EGRESSD_EXIT_USAGE :
		    EGRESSD_EXIT_RUNTIME;
		goto out;
	}
	if (start_workers(&sc, err, sizeof(err)) == -1) {
		log_err("%s", err);
		status = EGRESSD_EXIT_USAGE;
		goto out;
	}
	if (cfg->metrics[0] != '\0' &&
	    (sc.metrics = metrics_start(cfg->metrics, &build, collect, healthy,
	    &sc, err, sizeof(err))) == NULL) {
		log_err("%s", err);
		status = EGRESSD_EXIT_USAGE;
		goto out;
	}
	log_info("capturing on %s with %u worker%s", cfg->interface,
	    sc.nworkers, sc.nworkers == 1 ? "" : "s");
	/* Every capture is open, the privileges are dropped, the workers
	 * and /metrics run: what a unit ordered after egressd waits for. */
	send_status(&sc, "READY=1\n");
	/* A first ping at once: the set-up (every signature loaded once per
	 * worker) may have used much of the manager's interval already. */
	notify_watchdog(sc.notify, mono_us());

	last_stats = wall_us();
	while (!sc_stop) {
		nanosleep(&(struct timespec){ 0, POLL_MS * 1000000L }, NULL);
		if (sc_reload) {
			/* MONOTONIC_USEC= lets a newer systemd match this
			 * RELOADING=1 with the reload it asked for
			 * (sd_notify(3)); an older one ignores the field. */
			notify_send(sc.notify, "RELOADING=1\nSTATUS=reloading\n"
			    "MONOTONIC_USEC=%llu", (unsigned long long)mono_us());
			reload(&sc);
			send_status(&sc, "READY=1\n");
		}
		for (i = 0; i < sc.nworkers; i++) {
			int failed;

			pthread_mutex_lock(&sc.w[i].mu);
			failed = sc.w[i].failed;
			pthread_mutex_unlock(&sc.w[i].mu);
			if (failed) {
				status = EGRESSD_EXIT_RUNTIME;
				sc_stop = 1;
			}
		}
		if (sc.cfg->stats_interval_us > 0 &&
		    wall_us() - last_stats >= sc.cfg->stats_interval_us) {
			write_stats(&sc);
			last_stats = wall_us();
		}
		tell_manager(&sc);
	}
	log_info("stopping");
	notify_send(sc.notify, "STOPPING=1\nSTATUS=draining");
	stop_workers(&sc);
	/* As a replay ends: every verdict delivered, in the spool, or
	 * counted lost, before the last stats and the exit status. */
	status = pipeline_exit_status(status,
	    sinks_finish(&sc.out, sc.cfg->drain_timeout_us));
	write_stats(&sc);
out:
	stop_workers(&sc);
	metrics_stop(sc.metrics);
	free_workers(&sc);
	source_close(sc.src);
	free(sc.reloaded);
	notify_free(sc.notify);
	if (sinks_close(&sc.out, err, sizeof(err)) == -1) {
		log_err("%s", err);
		status = EGRESSD_EXIT_RUNTIME;
	}
	return status;
}
