/*
 * egressd.c: main(). Parses the command line and the config file, wires
 * source -> decode -> classify -> sinks, and runs the capture loop. Only this
 * file exits, and only during setup; a runtime error stops the loop, flushes
 * every flow and the stats, and then reports through the exit status:
 * 0 success, 1 runtime error (unreadable capture, lost output), 2 usage or
 * configuration error.
 */
#include <getopt.h>
#include <jansson.h>
#include <pcap/pcap.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "classify.h"
#include "config.h"
#include "decode.h"
#include "dpi.h"
#include "eve.h"
#include "log.h"
#include "source.h"
#include "util.h"

#define EGRESSD_VERSION "0.1.0"

#define EXIT_RUNTIME	1
#define EXIT_USAGE	2

#define OPT_TABLE_BASE	1000	/* getopt codes of option-table entries */
#define MAX_TABLE_OPTS	64

static volatile sig_atomic_t stop_requested;

struct run {
	struct eve *eve;
	uint64_t decode[DECODE_NRESULTS];
	uint64_t tunneled;
	uint64_t packets, bytes;
	uint64_t last_ts_us;
	uint64_t truncated;	/* the capture ended in a cut-off record */
};

static void
usage(FILE *fp)
{
	fprintf(fp,
	    "usage: egressd -r FILE [-o FILE] [-c FILE] [--flows] [options]\n"
	    "       egressd -t [-c FILE] [options]\n"
	    "\n"
	    "Classifies the traffic in a capture and writes JSON events: one\n"
	    "verdict per forbidden flow (p2p, mining, remote_access, proxy), with\n"
	    "--flows one flow event per flow, and a closing stats event.\n"
	    "\n"
	    "  -r FILE       read a pcap or pcapng capture ('-' for standard input)\n"
	    "  -o FILE       append events to FILE instead of standard output\n"
	    "  -c FILE       read settings from FILE (command line wins)\n"
	    "  -t            check the configuration and exit\n"
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
	(void)sig;
	stop_requested = 1;
}

static void
emit_verdict(const struct verdict *v, void *arg)
{
	struct run *r = arg;

	eve_verdict(r->eve, v);
}

static void
emit_flow(const struct flow_event *fe, void *arg)
{
	struct run *r = arg;

	eve_flow(r->eve, fe);
}

static void
write_stats(struct run *r, struct classify *c)
{
	struct stats_event s;
	int i;

	memset(&s, 0, sizeof(s));
	s.ts_us = r->last_ts_us;
	stats_add(&s, "capture", "packets", r->packets);
	stats_add(&s, "capture", "bytes", r->bytes);
	stats_add(&s, "capture", "truncated", r->truncated);
	for (i = 0; i < DECODE_NRESULTS; i++)
		stats_add(&s, "decoder", decode_result_name((enum decode_result)i),
		    r->decode[i]);
	stats_add(&s, "decoder", "tunneled", r->tunneled);
	classify_stats(c, &s);
	eve_stats(r->eve, &s);
}

/* Replays one capture; returns 0, or -1 after a read error. A capture cut
 * off in its last record is read to that point, warned about and counted:
 * it is how a file looks when copied while tcpdump still writes it. */
static int
replay(struct source *src, struct classify *c, struct run *r, char *err,
    size_t errlen)
{
	struct frame fr;
	struct pkt p;
	int dlt = source_linktype(src), rc;

	rc = 0;
	while (!stop_requested && (rc = source_next(src, &fr, err, errlen)) == 1) {
		enum decode_result d;

		r->packets++;
		r->bytes += fr.wire_len;
		if (fr.ts_us > r->last_ts_us)
			r->last_ts_us = fr.ts_us;
		d = decode_packet(dlt, fr.data, fr.caplen, &p);
		r->decode[d]++;
		if (d != DECODE_OK)
			continue;
		r->tunneled += p.tunneled;
		p.ts_us = fr.ts_us;
		p.wire_len = fr.wire_len;
		classify_packet(c, &p);
	}
	if (rc == -2) {
		log_warn("%s (events cover the %llu packets before it)", err,
		    (unsigned long long)r->packets);
		r->truncated = 1;
		return 0;
	}
	return stop_requested ? 0 : rc;
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
	struct {
		const char *name, *value;
	} sets[64];
	static struct option longopts[MAX_TABLE_OPTS + 3];
	static char optnames[MAX_TABLE_OPTS][48];
	struct classify_out out;
	struct classify *c = NULL;
	struct source *src = NULL;
	struct run run;
	const char *rfile = NULL, *ofile = "-", *cfile = NULL, *name;
	char err[512];
	size_t nsets = 0, nopts = 0, i;
	int ch, test_only = 0, verbose = 0, status = 0, takes;
	struct sigaction sa;

	/* Long options: the fixed ones, then one per option-table entry. */
	longopts[0] = (struct option){ "help", no_argument, NULL, 'h' };
	longopts[1] = (struct option){ "version", no_argument, NULL, 'V' };
	for (nopts = 0; nopts < MAX_TABLE_OPTS &&
	    (name = config_option_name(nopts, &takes)) != NULL; nopts++) {
		char *q = optnames[nopts];

		str_copy(q, name, sizeof(optnames[nopts]));
		for (; *q != '\0'; q++)
			if (*q == '_')
				*q = '-';
		longopts[2 + nopts] = (struct option){ optnames[nopts],
		    takes ? required_argument : optional_argument, NULL,
		    OPT_TABLE_BASE + (int)nopts };
	}

	while ((ch = getopt_long(argc, argv, "r:o:c:tvVh", longopts, NULL)) != -1) {
		switch (ch) {
		case 'r': rfile = optarg; break;
		case 'o': ofile = optarg; break;
		case 'c': cfile = optarg; break;
		case 't': test_only = 1; break;
		case 'v': verbose++; break;
		case 'V': print_version(); return 0;
		case 'h': usage(stdout); return 0;
		default:
			if (ch >= OPT_TABLE_BASE && ch < OPT_TABLE_BASE + (int)nopts) {
				if (nsets == NELEM(sets)) {
					fprintf(stderr, "egressd: too many options\n");
					return EXIT_USAGE;
				}
				name = config_option_name((size_t)(ch - OPT_TABLE_BASE),
				    &takes);
				sets[nsets].name = name;
				sets[nsets].value = optarg != NULL ? optarg : "yes";
				nsets++;
				break;
			}
			fprintf(stderr, "Try 'egressd --help'.\n");
			return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "egressd: unexpected argument '%s'\n"
		    "Try 'egressd --help'.\n", argv[optind]);
		return EXIT_USAGE;
	}
	log_set_level(verbose >= 2 ? LOG_LEVEL_DEBUG :
	    verbose == 1 ? LOG_LEVEL_INFO : LOG_LEVEL_WARN);

	config_defaults(&cfg);
	if (cfile != NULL && config_load(&cfg, cfile, err, sizeof(err)) == -1) {
		fprintf(stderr, "egressd: %s\n", err);
		return EXIT_USAGE;
	}
	for (i = 0; i < nsets; i++) {
		if (config_set(&cfg, sets[i].name, sets[i].value, err,
		    sizeof(err)) == -1) {
			fprintf(stderr, "egressd: command line: %s\n", err);
			return EXIT_USAGE;
		}
	}
	if (test_only) {
		memset(&out, 0, sizeof(out));
		if ((c = classify_new(&cfg, &out, err, sizeof(err))) == NULL) {
			fprintf(stderr, "egressd: %s\n", err);
			return EXIT_USAGE;
		}
		printf("egressd: %zu signatures loaded\n",
		    classify_signature_count(c));
		classify_free(c);
		if (verbose) {
			config_dump(&cfg, stdout);
			printf("# memory: %zu bytes per flow record, %zu more while "
			    "nDPI examines it\n", classify_flow_record_size(),
			    classify_flow_dpi_size());
		}
		printf("egressd: configuration %s is ok\n",
		    cfile != NULL ? cfile : "(defaults)");
		return 0;
	}
	if (rfile == NULL) {
		fprintf(stderr, "egressd: nothing to read: give -r FILE\n"
		    "Try 'egressd --help'.\n");
		return EXIT_USAGE;
	}

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	memset(&run, 0, sizeof(run));
	if ((src = source_open_file(rfile, err, sizeof(err))) == NULL) {
		fprintf(stderr, "egressd: %s\n", err);
		return EXIT_RUNTIME;
	}
	if ((run.eve = eve_open(ofile, err, sizeof(err))) == NULL) {
		fprintf(stderr, "egressd: %s\n", err);
		source_close(src);
		return EXIT_RUNTIME;
	}
	out.verdict = emit_verdict;
	out.flow = cfg.flows ? emit_flow : NULL;
	out.arg = &run;
	if ((c = classify_new(&cfg, &out, err, sizeof(err))) == NULL) {
		/* A rule file or database the configuration names is bad. */
		fprintf(stderr, "egressd: %s\n", err);
		status = EXIT_USAGE;
		goto out;
	}

	if (replay(src, c, &run, err, sizeof(err)) == -1) {
		/* Keep what was read: flows and stats are still written. */
		fprintf(stderr, "egressd: %s\n", err);
		status = EXIT_RUNTIME;
	}
	classify_flush(c);
	write_stats(&run, c);
out:
	classify_free(c);
	source_close(src);
	if (eve_close(run.eve, err, sizeof(err)) == -1) {
		fprintf(stderr, "egressd: %s\n", err);
		status = EXIT_RUNTIME;
	}
	return status;
}
