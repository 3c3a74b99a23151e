/*
 * report_int.h: the report's model, shared by the reader (report.c) and
 * the HTML writer (report_html.c). The reader keeps, for every verdict,
 * only its time, VM and category (enough for the matrix and the
 * timelines); the full record only for the first REPORT_VM_ROWS of each
 * VM, which is all the page shows. Flows are kept as times, bytes and
 * interned addresses, so 10,000 verdicts and a million flows stay small.
 */
#ifndef EGRESSD_REPORT_INT_H
#define EGRESSD_REPORT_INT_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define REPORT_NCAT		7	/* the policy categories */
#define REPORT_CAT_NONE		REPORT_NCAT	/* a flow no verdict names */
#define REPORT_VM_ROWS		200	/* verdict rows shown per VM */
#define REPORT_TOP_DESTS	10	/* destinations shown per VM */
#define REPORT_BUCKETS		60	/* timeline columns */
#define REPORT_MAX_VERDICTS	2000000	/* kept; more are counted only */
#define REPORT_MAX_FLOWS	4000000
#define REPORT_MAX_VMS		100000

/* The categories in the page's order: high severity first. */
extern const char *const report_cat_names[REPORT_NCAT + 1];

struct report_verdict {		/* a row of a VM's table */
	int64_t ts_us;
	char *verdict_id, *category, *confidence, *reason, *evidence, *peer,
	    *server_name, *asn, *as_org, *country;
};

struct report_vm {
	char *name;		/* the vm field */
	char *ip;		/* vm_ip, or NULL */
	uint64_t count[REPORT_NCAT];
	uint64_t total, high;	/* all verdicts; those of high severity */
	struct report_verdict *rows;	/* the first REPORT_VM_ROWS */
	size_t nrows;
};

struct report_mark {		/* every verdict, small */
	int64_t ts_us;
	uint32_t vm;
	uint8_t cat;
};

struct report_flow {
	int64_t start_us, end_us;
	uint64_t bytes, flow_id;
	uint32_t src, dst;	/* interned addresses */
	uint32_t vm;		/* UINT32_MAX: no VM with verdicts */
	uint8_t cat;		/* REPORT_CAT_NONE when none */
};

struct report_data {
	struct report_vm *vms;
	size_t nvms;
	json_t *vm_index;	/* vm name -> index */
	struct report_mark *marks;
	size_t nmarks;
	struct report_flow *flows;
	size_t nflows;
	char **strs;		/* interned strings (addresses) */
	size_t nstrs;
	json_t *str_index;	/* string -> index */
	json_t *flow_cat;	/* verdict flow_id -> category */
	json_t *peer_geo;	/* peer address -> {asn, as_org, country} */
	json_t *stats;		/* the last stats object, or NULL */
	int stats_eve;		/* it came from an EVE file */
	int64_t first_us, last_us;	/* INT64_MAX, INT64_MIN when none */
	uint64_t verdicts, flows_seen, lines_bad, verdicts_dropped,
	    flows_dropped;
};

/* Reads one event file into d. Returns 0, or -1 with a message. */
int report_read_file(struct report_data *d, const char *path, char *err,
    size_t errlen);
void report_data_init(struct report_data *d);
/* Flows to VMs and categories, once every file is read. */
void report_data_finish(struct report_data *d);
void report_data_free(struct report_data *d);

/* The order of the matrix's rows: VMs with high-severity verdicts first
 * (most of them first), then by all verdicts, then by name. Fills order
 * with the d->nvms indexes. */
void report_vm_order(const struct report_data *d, size_t *order);

/* Writes s HTML-escaped (& < > " ' and control characters). */
void report_escape(FILE *fp, const char *s);

/* "2026-11-22T03:03:06.376474Z" or "...+0000" to microseconds since the
 * epoch; -1 when it is not such a time. */
int64_t report_parse_time(const char *s);

/* Writes the page. Returns 0, or -1 when fp failed. */
struct report_args;
int report_html(FILE *fp, const struct report_data *d,
    const struct report_args *a);

#endif
