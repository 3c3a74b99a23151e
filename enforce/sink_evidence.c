/*
 * sink_evidence.c: --evidence-dir. Each verdict's packets (the copy the
 * capture path made, struct verdict's evidence, pktstore.h) become
 * DIR/<verdict_id>.pcap in the capture's link type. Writing a file takes a
 * disk, so it happens in the sink's own queue thread (sinkq.h); the
 * capture thread only queues the copy it already has.
 *
 * The directory follows the spool's rules: made 0700 when missing, and
 * refused when it is a symbolic link, not owned by the user egressd runs
 * as, or writable by others, since whoever can write there can plant
 * files an investigator would take for egressd's. Each file is written
 * 0600 under a temporary name and renamed, so a reader never sees half a
 * file. A lost file (a full queue, a refused write) is counted in section
 * "evidence" and never delays or loses the verdict itself.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pcap/pcap.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "pktstore.h"
#include "priv.h"
#include "sink.h"
#include "sinkq.h"
#include "spool.h"
#include "statreg.h"
#include "util.h"

struct evidence_item {
	char id[40];			/* the verdict's */
	struct pktstore_pkts *pkts;
};

struct evidence_sink {
	char dir[CONFIG_PATH_MAX];
	int dirfd;
	struct sinkq *q;
	pthread_mutex_t mu;		/* the counters */
	uint64_t written, errors;
};

static void
item_free(struct evidence_item *it)
{
	pktstore_pkts_free(it->pkts);
	free(it);
}

/* A verdict id becomes a file name: nothing that leaves the directory
 * or hides the file. */
static int
id_is_name(const char *id)
{
	size_t i;

	if (id[0] == '\0' || id[0] == '.')
		return 0;
	for (i = 0; id[i] != '\0'; i++)
		if (id[i] == '/')
			return 0;
	return 1;
}

/* Writes one file; returns 0, or -1 with a message. */
static int
write_pcap(struct evidence_sink *x, const struct evidence_item *it,
    char *err, size_t errlen)
{
	char tmp[64], name[64];
	struct pktstore_rec rec;
	struct pcap_pkthdr h;
	const uint8_t *bytes;
	pcap_dumper_t *d = NULL;
	pcap_t *dead = NULL;
	FILE *fp = NULL;
	size_t off = 0;
	int fd, rc = -1;

	if (!id_is_name(it->id)) {
		snprintf(err, errlen, "evidence %s: verdict id \"%s\" is no "
		    "file name", x->dir, it->id);
		return -1;
	}
	snprintf(tmp, sizeof(tmp), ".%s.pcap.tmp", it->id);
	snprintf(name, sizeof(name), "%s.pcap", it->id);
	fd = openat(x->dirfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW |
	    O_CLOEXEC, 0600);
	if (fd == -1 || fchmod(fd, 0600) == -1 ||
	    (fp = fdopen(fd, "wb")) == NULL) {
		snprintf(err, errlen, "evidence %s: %s: %s", x->dir, tmp,
		    strerror(errno));
		if (fd != -1)
			close(fd);
		goto out;
	}
	if ((dead = pcap_open_dead(it->pkts->linktype,
	    (int)it->pkts->snaplen)) == NULL ||
	    (d = pcap_dump_fopen(dead, fp)) == NULL) {
		snprintf(err, errlen, "evidence %s: %s: %s", x->dir, tmp,
		    dead != NULL ? pcap_geterr(dead) : "pcap_open_dead failed");
		fclose(fp);
		goto out;
	}
	while (pktstore_pkts_next(it->pkts, &off, &rec, &bytes)) {
		memset(&h, 0, sizeof(h));
		h.ts.tv_sec = (time_t)(rec.ts_us / 1000000);
		h.ts.tv_usec = (suseconds_t)(rec.ts_us % 1000000);
		h.caplen = rec.caplen;
		h.len = rec.wire_len;
		pcap_dump((u_char *)d, &h, bytes);
	}
	if (pcap_dump_flush(d) == -1 || ferror(fp)) {
		snprintf(err, errlen, "evidence %s: %s: write failed", x->dir,
		    tmp);
		pcap_dump_close(d);
		goto out;
	}
	pcap_dump_close(d);
	if (renameat(x->dirfd, tmp, x->dirfd, name) == -1) {
		snprintf(err, errlen, "evidence %s: rename to %s: %s", x->dir,
		    name, strerror(errno));
		goto out;
	}
	rc = 0;
out:
	if (rc == -1)
		(void)unlinkat(x->dirfd, tmp, 0);
	if (dead != NULL)
		pcap_close(dead);
	return rc;
}

static void
run(void *arg, void **items, unsigned n)
{
	struct evidence_sink *x = arg;
	char err[CONFIG_PATH_MAX + 256];	/* a path and a reason */
	unsigned i;
	int rc;

	for (i = 0; i < n; i++) {
		rc = write_pcap(x, items[i], err, sizeof(err));
		if (rc == -1)
			log_warn("%s", err);
		item_free(items[i]);
		pthread_mutex_lock(&x->mu);
		if (rc == 0)
			x->written++;
		else
			x->errors++;
		pthread_mutex_unlock(&x->mu);
	}
}

static void
discard(void *arg, void *item)
{
	(void)arg;
	item_free(item);
}

static int
wanted(const struct sink_args *a)
{
	return a->cfg->evidence_dir[0] != '\0';
}

/* The spool's rules (spool_check_private), and the owner must be able to
 * write there; st NULL: as lstat finds dir. */
static int
check_dir(const char *dir, const struct stat *st, uid_t owner, char *err,
    size_t errlen)
{
	return spool_check_private("evidence_dir",
	    "others could plant files there", S_IRWXU, dir, st, owner, err,
	    errlen);
}

static int
check(const struct sink_args *a, char *err, size_t errlen)
{
	const struct config *cfg = a->cfg;
	uid_t owner = geteuid();

	/* Checked for the user the run switches to; not made: a directory
	 * -t made as root would not be that user's. */
	if (cfg->user[0] != '\0' && priv_user_uid(cfg->user, &owner) == -1) {
		snprintf(err, errlen, "user %s: no such user", cfg->user);
		return SINK_ERR_CONFIG;
	}
	return check_dir(cfg->evidence_dir, NULL, owner, err, errlen) == -1 ?
	    SINK_ERR_CONFIG : 0;
}

/* A run killed while writing leaves a temporary file: no reader takes
 * it for evidence (it is hidden and not named .pcap), and the next start
 * removes ours. */
static void
remove_temporaries(struct evidence_sink *x)
{
	struct dirent *de;
	struct stat st;
	size_t len;
	DIR *d;
	int fd;

	/* closedir() closes the descriptor fdopendir() got: give it a copy. */
	if ((fd = dup(x->dirfd)) == -1)
		return;
	if ((d = fdopendir(fd)) == NULL) {
		close(fd);
		return;
	}
	while ((de = readdir(d)) != NULL) {
		len = strlen(de->d_name);
		if (de->d_name[0] != '.' || len < 10 ||
		    strcmp(de->d_name + len - 9, ".pcap.tmp") != 0)
			continue;
		if (fstatat(x->dirfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
		    S_ISREG(st.st_mode) && st.st_uid == geteuid())
			(void)unlinkat(x->dirfd, de->d_name, 0);
	}
	closedir(d);
}

static int
close_sink(void *state, char *err, size_t errlen);

static int
open_sink(const struct sink_args *a, void **state, char *err, size_t errlen)
{
	const char *dir = a->cfg->evidence_dir;
	struct evidence_sink *x;
	struct sinkq_def qd;
	struct stat st;
	int rc;

	x = xcalloc(1, sizeof(*x));
	x->dirfd = -1;
	pthread_mutex_init(&x->mu, NULL);
	str_copy(x->dir, dir, sizeof(x->dir));
	if ((rc = check_dir(dir, NULL, geteuid(), err, errlen)) == -1)
		goto fail;
	if (rc == 1 && mkdir(dir, 0700) == -1 && errno != EEXIST) {
		snprintf(err, errlen, "evidence_dir %s: mkdir: %s", dir,
		    strerror(errno));
		goto fail;
	}
	/* O_NOFOLLOW, and the checks again on what was opened: the path
	 * may have changed since the lstat. */
	x->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	if (x->dirfd == -1 || fstat(x->dirfd, &st) == -1) {
		snprintf(err, errlen, "evidence_dir %s: %s", dir,
		    strerror(errno));
		goto fail;
	}
	if (check_dir(dir, &st, geteuid(), err, errlen) == -1)
		goto fail;
	remove_temporaries(x);
	memset(&qd, 0, sizeof(qd));
	qd.cap = (size_t)a->cfg->queue_size;
	qd.batch = 16;
	qd.wait_when_full = (a->flags & SINK_WAIT_WHEN_FULL) != 0;
	/* Writing what is queued at the end is quick, and keeps it. */
	qd.finish_queued = 1;
	qd.run = run;
	qd.discard = discard;
	qd.arg = x;
	if ((x->q = sinkq_new(&qd, err, errlen)) == NULL)
		goto fail;
	*state = x;
	return 0;
fail:
	close_sink(x, NULL, 0);
	return SINK_ERR_CONFIG;
}

static void
verdict(void *state, const struct verdict *v)
{
	struct evidence_sink *x = state;
	struct evidence_item *it;

	if (v->evidence == NULL)
		return;
	/* From here the copy is this sink's. */
	it = xmalloc(sizeof(*it));
	str_copy(it->id, v->verdict_id, sizeof(it->id));
	it->pkts = v->evidence;
	if (sinkq_push(x->q, it) == -1)
		item_free(it);
}

static void
drain(void *state, uint64_t deadline_us)
{
	struct evidence_sink *x = state;

	(void)sinkq_wait_idle(x->q, deadline_us);
}

/* A lost file is counted here; the verdict itself went out, so it is not
 * one of the verdicts the run lost. */
static void
finish(void *state, struct sink_end *end)
{
	struct evidence_sink *x = state;

	(void)end;
	sinkq_stop(x->q);
}

static void
figures(void *state, struct stats_event *s)
{
	struct evidence_sink *x = state;

	pthread_mutex_lock(&x->mu);
	stats_merge(s, "evidence", "files_written", x->written);
	stats_merge(s, "evidence", "write_errors", x->errors);
	pthread_mutex_unlock(&x->mu);
	sinkq_merge_figures(x->q, s, "evidence");
}

static int
close_sink(void *state, char *err, size_t errlen)
{
	struct evidence_sink *x = state;
	int rc = 0;

	if (x == NULL)
		return 0;
	sinkq_free(x->q);
	if (x->errors > 0 && err != NULL) {
		snprintf(err, errlen, "evidence %s: %llu files could not be "
		    "written", x->dir, (unsigned long long)x->errors);
		rc = -1;
	}
	if (x->dirfd != -1)
		close(x->dirfd);
	pthread_mutex_destroy(&x->mu);
	free(x);
	return rc;
}

const struct sink_ops sink_evidence = {
	.name = "evidence",
	.wanted = wanted,
	.check = check,
	.open = open_sink,
	.verdict = verdict,
	.figures = figures,
	.drain = drain,
	.finish = finish,
	.close = close_sink,
};
