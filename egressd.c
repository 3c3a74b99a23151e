/*
 * egressd.c: main(). Parses the command line and the config file, wires
 * source -> decode -> classify -> sinks, and runs the capture loop. Only this
 * file exits, and only during setup; a runtime error stops the loop, flushes
 * every flow and the stats, and then reports through the exit status:
 * 0 success, 1 runtime error (unreadable capture, lost output or verdicts),
 * 2 usage or configuration error, 3 verdicts left in the spool for a later
 * run to deliver.
 */
#include <getopt.h>
#include <jansson.h>
#include <pcap/pcap.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "classify.h"
#include "config.h"
#include "decode.h"
#include "dpi.h"
#include "eve.h"
#include "fleet.h"
#include "inventory.h"
#include "live.h"
#include "log.h"
#include "metrics.h"
#include "pipeline.h"
#include "priv.h"
#include "progress.h"
#include "report.h"
#include "sidecar.h"
#include "sinks.h"
#include "source.h"
#include "util.h"

#define EXIT_RUNTIME	EGRESSD_EXIT_RUNTIME
#define EXIT_USAGE	EGRESSD_EXIT_USAGE

#define OPT_PROGRESS	900	/* getopt codes of --progress, --no-progress */
#define OPT_NO_PROGRESS	901
#define OPT_REPORT	902	/* --report FILE */
#define OPT_EVIDENCE_DIR	903	/* egressd report --evidence-dir */

/* The progress line looks at the clock once per this many frames: a
 * clock read per frame would cost more than the line is worth. */
#define PROGRESS_CHECK_FRAMES	4096
/* The replay's read-ahead ring (source_readahead): a few thousand frames,
 * and four times the longest frame libpcap keeps. */
#define REPLAY_RING_BYTES	(2U << 20)

static volatile sig_atomic_t stop_requested, reload_requested;

struct run {
	const struct config *cfg;
	struct sinks out;
	struct classify *c;
	struct inventory *inv;
	struct pipeline pl;
	struct source *src;	/* NULL: delivering a spool */
	struct progress *progress;	/* NULL: none shown */
	uint64_t progress_checked;	/* packets when the clock was last read */
	uint64_t verdicts;	/* so far, for the progress line */
	/* --report: the replay's events, native, in a temporary file the
	 * report is rendered from at the end (NULL: no report). */
	struct eve *report_log;
	char report_tmp[64];
};

static void
usage(FILE *fp)
{
	fprintf(fp,
	    "usage: egressd -r FILE [-r FILE]... [-o FILE] [-c FILE] [--flows] "
	    "[options]\n"
	    "       egressd -i IFACE[,IFACE] [-u USER] [--workers N] [options]\n"
	    "       egressd --webhook URL --spool DIR [options]   (deliver a spool)\n"
	    "       egressd -t [-c FILE] [options]\n"
	    "       egressd fleet --nats URL [options]  (see egressd fleet "
	    "--help)\n"
	    "       egressd report [-o report.html] [--evidence-dir DIR] "
	    "EVENTS.json...\n"
	    "\n"
	    "Classifies the traffic in a capture and writes JSON events: one\n"
	    "verdict per forbidden flow or behaviour (p2p, mining, remote_access,\n"
	    "proxy, dos, scan, bruteforce), with --flows one flow event per flow,\n"
	    "and a closing stats event.\n"
	    "\n"
	    "  -r FILE       read a pcap or pcapng capture ('-' for standard input);\n"
	    "                repeat it to read several captures as one, in order;\n"
	    "                a directory stands for its files (sorted by name; not\n"
	    "                hidden ones, not its subdirectories)\n"
	    "  -i IFACE      capture live (same as --interface); with -r, the\n"
	    "                interface the capture was taken on\n"
	    "  -u USER       run as USER once the capture is open (--user)\n"
	    "  -o FILE       append events to FILE instead of standard output\n"
	    "  -c FILE       read settings from FILE (command line wins)\n"
	    "  -t            check the configuration and exit\n"
	    "  --report=FILE with -r: write a forensic report (HTML) of the\n"
	    "                replay to FILE at the end (egressd report --help)\n"
	    "  --[no-]progress  a progress line on stderr during a replay (the\n"
	    "                default: when stderr is a terminal)\n"
	    "  -v            more log output (repeat for debug)\n"
	    "  -V, --version print the version and exit\n"
	    "  -h, --help    print this help and exit\n"
	    "\n"
	    "Settings (config file key = long option, '_' and '-' alike):\n");
	config_usage(fp);
}

static void
on_signal(int sig)
{
	if (sig == SIGHUP)
		reload_requested = 1;
	else
		stop_requested = 1;
}

static void
emit_verdict(const struct verdict *v, void *arg)
{
	struct run *r = arg;
	struct verdict with_pkts;

	r->verdicts++;
	if (r->report_log != NULL)
		eve_verdict(r->report_log, v);
	if (r->pl.ev == NULL) {
		sinks_verdict(&r->out, v);
		return;
	}
	/* classify's verdict is const: the copy carries the packets. */
	with_pkts = *v;
	pipeline_evidence(&r->pl, &with_pkts);
	sinks_verdict(&r->out, &with_pkts);
}

static void
emit_summary(char *json, size_t len, uint64_t ts_us, void *arg)
{
	(void)ts_us;
	sinks_summary(&((struct run *)arg)->out, json, len);
	free(json);
}

static void
emit_flow(const struct flow_event *fe, void *arg)
{
	struct run *r = arg;

	/* Also called for the report alone, without --flows. */
	if (r->cfg->flows)
		sinks_flow(&r->out, fe);
	if (r->report_log != NULL)
		eve_flow(r->report_log, fe);
}

/* SIGHUP: reopen the log files, reread the inventory. A file that fails
 * leaves the old one in use. */
static void
reload(struct run *r)
{
	struct inventory *inv;
	char err[512];

	reload_requested = 0;
	sinks_reopen(&r->out);
	if (r->cfg->inventory[0] == '\0' || r->c == NULL)
		return;
	if ((inv = inventory_load(r->cfg->inventory, err, sizeof(err))) == NULL) {
		log_err("%s (the old inventory stays in use)", err);
		return;
	}
	inventory_free(classify_set_inventory(r->c, inv));
	r->inv = inv;
	log_info("inventory %s: %zu entries", r->cfg->inventory,
	    inventory_count(inv));
}

static void
write_stats(struct run *r)
{
	struct stats_event s;

	memset(&s, 0, sizeof(s));
	s.ts_us = r->pl.last_ts_us;
	if (s.ts_us == 0)	/* no packets: delivering a spool */
		s.ts_us = wall_us();
	pipeline_stats(&r->pl, &s, r->src, 0);
	if (r->inv != NULL) {
		stats_add(&s, "inventory", "entries", inventory_count(r->inv));
		stats_add(&s, "inventory", "learned", inventory_learned(r->inv));
		stats_add(&s, "inventory", "replaced", inventory_replaced(r->inv));
	}
	sinks_figures(&r->out, &s);
	sinks_stats(&r->out, &s);
	if (r->report_log != NULL)
		eve_stats(r->report_log, &s);
}

/* `egressd report [-o FILE] [--evidence-dir DIR] EVENTS...`: renders
 * event logs, native or EVE, into one HTML page. */
static int
report_command(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "evidence-dir", required_argument, NULL, OPT_EVIDENCE_DIR },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct report_args a;
	char err[512];
	int ch;

	memset(&a, 0, sizeof(a));
	a.out = "-";
	a.version = EGRESSD_VERSION;
	while ((ch = getopt_long(argc, argv, "o:h", lo, NULL)) != -1) {
		switch (ch) {
		case 'o': a.out = optarg; break;
		case OPT_EVIDENCE_DIR: a.evidence_dir = optarg; break;
		case 'h':
			printf("usage: egressd report [-o report.html] "
			    "[--evidence-dir DIR] EVENTS.json...\n\n"
			    "Writes one self-contained HTML page (standard "
			    "output without -o)\nfrom event logs: egressd's "
			    "own events or its --eve file.\nVerdicts link to "
			    "DIR/<verdict_id>.pcap with --evidence-dir,\nelse "
			    "to evidence/<verdict_id>.pcap beside the report "
			    "when it exists.\n");
			return 0;
		default:
			fputs("Try 'egressd report --help'.\n", stderr);
			return EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		log_err("report: give the event files to read");
		fputs("Try 'egressd report --help'.\n", stderr);
		return EXIT_USAGE;
	}
	a.inputs = (const char *const *)(argv + optind);
	a.ninputs = (size_t)(argc - optind);
	if (report_write(&a, err, sizeof(err)) == -1) {
		log_err("report: %s", err);
		return EXIT_RUNTIME;
	}
	return 0;
}

/* --report: a temporary file for the replay's events. Returns 0, or -1
 * with a message. */
static int
report_begin(struct run *r, char *err, size_t errlen)
{
	const char *dir = getenv("TMPDIR");
	int fd;

	if (dir == NULL || dir[0] == '\0' ||
	    strlen(dir) + 24 > sizeof(r->report_tmp))
		dir = "/tmp";
	snprintf(r->report_tmp, sizeof(r->report_tmp),
	    "%s/egressd-report-XXXXXX", dir);
	if ((fd = mkstemp(r->report_tmp)) == -1) {
		snprintf(err, errlen, "%s: cannot make a temporary file",
		    r->report_tmp);
		r->report_tmp[0] = '\0';
		return -1;
	}
	close(fd);
	if ((r->report_log = eve_open(r->report_tmp, EVE_NATIVE, err,
	    errlen)) == NULL)
		return -1;
	return 0;
}

/* The end of a replay with --report: the page, from the events kept.
 * Returns 0, or -1 after logging why. */
static int
report_end(struct run *r, const char *path, const char **rfiles,
    size_t nrfiles)
{
	struct report_args a;
	const char *in = r->report_tmp;
	char err[512], window[32];
	char *settings = NULL;
	size_t settings_len = 0;
	FILE *mem;
	int rc;

	if (eve_close(r->report_log, err, sizeof(err)) == -1) {
		r->report_log = NULL;
		log_err("report: %s", err);
		return -1;
	}
	r->report_log = NULL;
	memset(&a, 0, sizeof(a));
	a.inputs = &in;
	a.ninputs = 1;
	a.captures = rfiles;
	a.ncaptures = nrfiles;
	a.out = path;
	a.version = EGRESSD_VERSION;
	/* The replay's own evidence files, when it wrote them. */
	if (r->cfg->evidence_dir[0] != '\0')
		a.evidence_dir = r->cfg->evidence_dir;
	if ((mem = open_memstream(&settings, &settings_len)) != NULL) {
		config_dump(r->cfg, mem);
		fclose(mem);
	}
	a.settings = settings;
	snprintf(window, sizeof(window), "%llu s",
	    (unsigned long long)(r->cfg->suppress_window_us / 1000000));
	a.suppress_window = window;
	if ((rc = report_write(&a, err, sizeof(err))) == -1)
		log_err("report: %s", err);
	free(settings);
	return rc;
}

static void
progress_figures_of(const struct run *r, struct progress_figures *f)
{
	memset(f, 0, sizeof(*f));
	if (source_progress(r->src, &f->done, &f->total) == -1)
		f->done = f->total = 0;
	f->packets = r->pl.packets;
	f->verdicts = r->verdicts;
}

static void
between_batches(void *arg)
{
	struct run *r = arg;
	struct progress_figures f;
	uint64_t now;

	if (reload_requested)
		reload(r);
	if (r->progress == NULL ||
	    r->pl.packets - r->progress_checked < PROGRESS_CHECK_FRAMES)
		return;
	r->progress_checked = r->pl.packets;
	now = mono_us();
	if (!progress_due(r->progress, now))
		return;
	progress_figures_of(r, &f);
	progress_show(r->progress, now, &f);
}

/* Replays the capture; returns 0, or -1 after a read error. A capture cut
 * off in its last record is read to that point, warned about and counted
 * (capture.truncated): it is how a file looks when copied while tcpdump
 * still writes it. Signals are looked at between batches of frames. */
static int
replay(struct run *r, char *err, size_t errlen)
{
	struct progress_figures f;
	int rc;

	rc = pipeline_run(&r->pl, r->src, 0, 0, &stop_requested,
	    between_batches, r, err, errlen);
	if (r->progress != NULL) {
		/* Ended before any message about the end is written. */
		progress_figures_of(r, &f);
		progress_end(r->progress, mono_us(), &f);
	}
	if (rc == SOURCE_CUT)
		log_warn("%s (events cover the %llu packets before it)", err,
		    (unsigned long long)r->pl.packets);
	return rc == SOURCE_ERROR ? -1 : 0;
}

/* -t: loads everything the configuration names, as a run would, and
 * says whether it is usable: a configuration -t passes does not fail at
 * start for a reason -t could have seen (interfaces excepted: a VM bridge
 * may come up after the check). */
static int
check_config(const struct config *cfg, const char *cfile, const char *ofile,
    int verbose)
{
	struct classify_out out;
	struct classify *c;
	struct inventory *inv = NULL;
	struct sink_args sa = { .cfg = cfg, .out = ofile };
	char err[512];
	struct sockaddr_storage ss;
	uid_t uid;

	if (live_check_filter(cfg, err, sizeof(err)) == -1 ||
	    (cfg->metrics[0] != '\0' &&
	    metrics_parse_addr(cfg->metrics, &ss, err, sizeof(err)) == -1)) {
		log_err("%s", err);
		return EXIT_USAGE;
	}
	memset(&out, 0, sizeof(out));
	if ((c = classify_new(cfg, &out, err, sizeof(err))) == NULL) {
		log_err("%s", err);
		return EXIT_USAGE;
	}
	printf("egressd: %zu signatures loaded\n", classify_signature_count(c));
	classify_free(c);
	if (cfg->user[0] != '\0' && priv_user_uid(cfg->user, &uid) == -1) {
		log_err("user %s: no such user", cfg->user);
		return EXIT_USAGE;
	}
	if (cfg->inventory[0] != '\0') {
		if ((inv = inventory_load(cfg->inventory, err,
		    sizeof(err))) == NULL) {
			log_err("%s", err);
			return EXIT_USAGE;
		}
		printf("egressd: inventory of %zu entries\n", inventory_count(inv));
		inventory_free(inv);
	}
	if (sinks_check(&sa, err, sizeof(err)) != 0) {
		log_err("%s", err);
		return EXIT_USAGE;
	}
	if (verbose) {
		config_dump(cfg, stdout);
		printf("# memory: %zu bytes per flow record, %zu more while "
		    "nDPI examines it\n", classify_flow_record_size(),
		    classify_flow_dpi_size());
	}
	printf("egressd: configuration %s is ok\n",
	    cfile != NULL ? cfile : "(defaults)");
	return 0;
}

/* A setting the file or the command line gave that this run mode does
 * not use is named, never ignored in silence: a warning, as the run is
 * still what the rest asks for (a replay with the service's own config
 * file sets its live-only options, for one). progress is -1 when neither
 * --progress nor --no-progress was given. */
static void
warn_misplaced(const struct config *cfg, unsigned mode, int progress)
{
	const char *names[CONFIG_MAX_OPTIONS];
	size_t i, n;

	n = config_misplaced(cfg, mode, names, NELEM(names));
	for (i = 0; i < n && i < NELEM(names); i++)
		log_warn("%s applies only to %s; ignored with %s", names[i],
		    mode == MODE_REPLAY ? "live capture (-i)" : "replays (-r)",
		    mode == MODE_REPLAY ? "-r" : "-i");
	if (mode == MODE_LIVE && progress != -1)
		log_warn("--%sprogress applies only to replays (-r); ignored "
		    "with -i", progress ? "" : "no-");
}

static void
print_version(void)
{
	printf("egressd %s (nDPI %s, %s, jansson %s)\n", EGRESSD_VERSION,
	    dpi_version(), pcap_lib_version(), JANSSON_VERSION);
}

int
main(int argc, char **argv)
{
	static struct config cfg;	/* large: keep it off the stack */
	static const char *set_names[64], *set_values[64];
	static struct option longopts[CONFIG_MAX_OPTIONS + 6];
	static char optnames[CONFIG_MAX_OPTIONS][PIPELINE_OPT_NAME];
	struct classify_out out;
	struct classify *c = NULL;
	struct source *src = NULL;
	struct run run;
	const char *ofile = "-", *cfile = NULL, *report = NULL;
	static const char **rfiles;	/* static: reachable until exit */
	char err[512];
	size_t nsets = 0, nrfiles = 0;
	int ch, test_only = 0, verbose = 0, status = 0, rc, why;
	int progress = -1;	/* --progress 1, --no-progress 0, else -1 */
	int stdin_given = 0;
	struct sigaction sa;
	struct sink_args sargs;

	if (argc > 1 && strcmp(argv[1], "report") == 0)
		return report_command(argc - 1, argv + 1);
	if (argc > 1 && strcmp(argv[1], "fleet") == 0)
		return fleet_command(argc - 1, argv + 1);
	/* Long options: the fixed ones, then one per option-table entry. */
	longopts[0] = (struct option){ "help", no_argument, NULL, 'h' };
	longopts[1] = (struct option){ "version", no_argument, NULL, 'V' };
	longopts[2] = (struct option){ "progress", no_argument, NULL,
	    OPT_PROGRESS };
	longopts[3] = (struct option){ "no-progress", no_argument, NULL,
	    OPT_NO_PROGRESS };
	longopts[4] = (struct option){ "report", required_argument, NULL,
	    OPT_REPORT };
	/* Every -r, at most one per argument. */
	rfiles = xcalloc((size_t)argc + 1, sizeof(*rfiles));
	(void)pipeline_table_longopts(longopts + 5, optnames);

	while ((ch = getopt_long(argc, argv, "r:o:c:i:u:tvVh", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'i':
		case 'u':
			if (nsets == NELEM(set_names)) {
				log_err("too many options");
				return EXIT_USAGE;
			}
			set_names[nsets] = ch == 'i' ? "interface" : "user";
			set_values[nsets] = optarg;
			nsets++;
			break;
		case 'r':
			if (strcmp(optarg, "-") == 0 && stdin_given++) {
				log_err("-r -: standard input can be read once");
				return EXIT_USAGE;
			}
			rfiles[nrfiles++] = optarg;
			break;
		case OPT_PROGRESS: progress = 1; break;
		case OPT_NO_PROGRESS: progress = 0; break;
		case OPT_REPORT: report = optarg; break;
		case 'o': ofile = optarg; break;
		case 'c': cfile = optarg; break;
		case 't': test_only = 1; break;
		case 'v': verbose++; break;
		case 'V': print_version(); return 0;
		case 'h': usage(stdout); return 0;
		default:
			if ((rc = pipeline_table_set(ch, optarg, set_names,
			    set_values, &nsets, NELEM(set_names))) == 1)
				break;
			if (rc == 0)
				fprintf(stderr, "Try 'egressd --help'.\n");
			return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		log_err("unexpected argument '%s'", argv[optind]);
		fputs("Try 'egressd --help'.\n", stderr);
		return EXIT_USAGE;
	}
	log_set_level(verbose >= 2 ? LOG_LEVEL_DEBUG :
	    verbose == 1 ? LOG_LEVEL_INFO : LOG_LEVEL_WARN);

	if (config_build(&cfg, cfile, set_names, set_values, nsets, err,
	    sizeof(err)) == -1) {
		log_err("%s", err);
		return EXIT_USAGE;
	}
	if (test_only)
		return check_config(&cfg, cfile, ofile, verbose);
	if (report != NULL && nrfiles == 0) {
		log_err("--report is for replays: give -r FILE");
		return EXIT_USAGE;
	}
	if (nrfiles > 0)
		warn_misplaced(&cfg, MODE_REPLAY, progress);
	else if (cfg.interface[0] != '\0')
		warn_misplaced(&cfg, MODE_LIVE, progress);
	if (cfg.interface[0] != '\0' && nrfiles > 0) {
		/* -r FILE -i NAME: the capture was taken on NAME. */
		if (strchr(cfg.interface, ',') != NULL ||
		    strlen(cfg.interface) > INVENTORY_IFNAME_MAX) {
			log_err("with -r, -i names the one interface the "
			    "capture was taken on");
			return EXIT_USAGE;
		}
	} else if (cfg.interface[0] != '\0') {
		struct sidecar_args a;

		a.cfile = cfile;
		a.set_names = set_names;
		a.set_values = set_values;
		a.nsets = nsets;
		a.ofile = ofile;
		return sidecar_run(&cfg, &a);
	}
	if (nrfiles == 0 && ((cfg.webhook[0] == '\0' && cfg.nats[0] == '\0') ||
	    cfg.spool[0] == '\0')) {
		log_err("nothing to read: give -r FILE");
		fputs("Try 'egressd --help'.\n", stderr);
		return EXIT_USAGE;
	}
	if (nrfiles == 0 && progress != -1)	/* delivering a spool */
		log_warn("--%sprogress applies only to replays (-r); ignored",
		    progress ? "" : "no-");

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sa.sa_flags = SA_RESTART;	/* a reload must not break a read */
	sigaction(SIGHUP, &sa, NULL);
	sa.sa_flags = 0;
	sa.sa_handler = SIG_IGN;	/* a hook or peer that went away */
	sigaction(SIGPIPE, &sa, NULL);

	memset(&run, 0, sizeof(run));
	run.cfg = &cfg;
	if (nrfiles > 0 && (src = source_open_files(rfiles, nrfiles,
	    cfg.bpf_filter, &why, err, sizeof(err))) == NULL) {
		log_err("%s", err);
		free(rfiles);
		return why == SOURCE_BAD_FILTER ? EXIT_USAGE : EXIT_RUNTIME;
	}
	run.src = src;
	/* Reading starts now, while the rest starts up. */
	if (src != NULL)
		(void)source_readahead(src, REPLAY_RING_BYTES);
	if (src != NULL && cfg.interface[0] != '\0' &&
	    !decode_linktype_has_direction(source_linktype(src)))
		log_warn("%s: taken on %s, but its link type does not say which "
		    "way frames went: the inventory's iface: rows do not apply "
		    "(capture with tcpdump -i any for that)", rfiles[0],
		    cfg.interface);
	/* A replay waits for room in a full delivery queue: reading a file
	 * more slowly loses nothing. */
	sargs.cfg = &cfg;
	sargs.out = ofile;
	sargs.flags = SINK_WAIT_WHEN_FULL;
	if ((rc = sinks_open(&run.out, &sargs, err, sizeof(err))) != 0) {
		log_err("%s", err);
		status = rc == SINK_ERR_CONFIG ? EXIT_USAGE : EXIT_RUNTIME;
		goto out;
	}
	if (cfg.inventory[0] != '\0' &&
	    (run.inv = inventory_load(cfg.inventory, err, sizeof(err))) == NULL) {
		log_err("%s", err);
		status = EXIT_USAGE;
		goto out;
	}
	if (report != NULL && report_begin(&run, err, sizeof(err)) == -1) {
		log_err("report: %s", err);
		status = EXIT_RUNTIME;
		goto out;
	}
	if (src != NULL) {
		out.verdict = emit_verdict;
		out.summary = emit_summary;
		out.flow = cfg.flows || run.report_log != NULL ? emit_flow :
		    NULL;
		out.arg = &run;
		if ((c = classify_new(&cfg, &out, err, sizeof(err))) == NULL) {
			/* A rule file or database the configuration names is bad. */
			log_err("%s", err);
			status = EXIT_USAGE;
			goto out;
		}
		run.c = c;
		classify_set_inventory(c, run.inv);
		pipeline_init(&run.pl, c, cfg.interface[0] != '\0' ?
		    cfg.interface : NULL);
		if (pipeline_evidence_open(&run.pl, &cfg, 1, err,
		    sizeof(err)) == -1) {
			log_err("%s", err);
			status = EXIT_USAGE;
			goto out;
		}
		if (progress == 1 || (progress == -1 && isatty(STDERR_FILENO)))
			run.progress = progress_new(stderr,
			    isatty(STDERR_FILENO), mono_us());
		if (replay(&run, err, sizeof(err)) == -1) {
			/* Keep what was read: flows and stats are still written. */
			log_err("%s", err);
			status = EXIT_RUNTIME;
		}
		classify_flush(c);
	}
	/* Every verdict is now delivered, in the spool, or counted lost: the
	 * last stats and the exit status say which. */
	status = pipeline_exit_status(status,
	    sinks_finish(&run.out, cfg.drain_timeout_us));
	write_stats(&run);
	if (run.report_log != NULL && report_end(&run, report, rfiles,
	    nrfiles) == -1)
		status = EXIT_RUNTIME;
out:
	if (run.report_log != NULL)
		eve_close(run.report_log, err, sizeof(err));
	if (run.report_tmp[0] != '\0')
		unlink(run.report_tmp);
	progress_free(run.progress);
	free(rfiles);
	classify_free(c);
	pipeline_evidence_close(&run.pl);
	inventory_free(run.inv);
	source_close(src);
	if (sinks_close(&run.out, err, sizeof(err)) == -1) {
		log_err("%s", err);
		status = EXIT_RUNTIME;
	}
	return status;
}
