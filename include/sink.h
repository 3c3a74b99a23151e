/*
 * sink.h: one interface for everything a verdict, flow or stats event goes
 * to. Each sink is a struct sink_ops (a name and its functions, filled with
 * designated initializers) in a file of its own, declared and listed
 * once in the registry in sinks.c; the replay and the live capture drive them all
 * through sinks.h and never name one. A sink the configuration does not
 * ask for is not opened.
 *
 * The functions a capture thread calls (verdict, flow) copy and return:
 * a sink that may block (a network request, a child process, a netlink
 * call) puts the work on a bounded queue of its own (sinkq.h) and does it
 * in its own thread. Every verdict a sink takes ends, once finish has
 * returned, in exactly one of: delivered, kept for a later run (the
 * webhook's spool), or lost and counted in the sink's figures.
 */
#ifndef EGRESSD_SINK_H
#define EGRESSD_SINK_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "event.h"

#define SINK_WAIT_WHEN_FULL	0x1	/* a replay: wait for queue room */
#define SINK_FLUSH_EACH		0x2	/* a live capture: write each event */

/* What a sink is opened with. */
struct sink_args {
	const struct config *cfg;
	const char *out;	/* the event stream: a path, "-" for stdout */
	int flags;		/* SINK_* */
};

/* Why open or check failed: the exit status differs. */
#define SINK_ERR_RUNTIME	(-1)	/* a file could not be opened */
#define SINK_ERR_CONFIG		(-2)	/* the configuration cannot work */

/* How the verdicts a sink took ended, once finish has returned. */
struct sink_end {
	uint64_t kept;		/* waiting in durable storage for a later run */
	uint64_t lost;		/* dropped, refused or abandoned: counted */
};

struct sink_ops {
	const char *name;
	/* Whether the configuration asks for this sink. */
	int (*wanted)(const struct sink_args *a);
	/* -t: whether open would work, making and starting nothing.
	 * Returns 0 or SINK_ERR_*, with a message. May be NULL. */
	int (*check)(const struct sink_args *a, char *err, size_t errlen);
	/* Opens the sink into *state (owned by the sink until close).
	 * Returns 0 or SINK_ERR_*, with a message. */
	int (*open)(const struct sink_args *a, void **state, char *err,
	    size_t errlen);
	/* Capture threads: copy what is needed and return. May be NULL. */
	void (*verdict)(void *state, const struct verdict *v);
	void (*flow)(void *state, const struct flow_event *fe);
	/* A fleet summary (JSON text, classify's fleetsum.h); copy it. May
	 * be NULL: only the NATS sink publishes them. */
	void (*summary)(void *state, const char *json, size_t len);
	/* Writes a stats event. May be NULL. */
	void (*stats)(void *state, const struct stats_event *s);
	/* Health: 1, with why, when the sink has made no progress for
	 * limit_us while it has work (a write that blocks). May be NULL:
	 * a sink whose delays are its peer's, not egressd's. */
	int (*stalled)(void *state, uint64_t limit_us, char *why, size_t len);
	/* Adds the sink's own figures to a stats event. May be NULL. */
	void (*figures)(void *state, struct stats_event *s);
	/* Waits until everything taken is delivered or until the monotonic
	 * time deadline_us. May be NULL (nothing ever waits). */
	void (*drain)(void *state, uint64_t deadline_us);
	/* Stops whatever still runs (a request under way is given up soon)
	 * and says how the verdicts it took ended. May be NULL (everything
	 * it took was written). */
	void (*finish)(void *state, struct sink_end *end);
	/* SIGHUP: reopens files by name. May be NULL. */
	void (*reopen)(void *state);
	/* Frees everything; returns 0, or -1 with a message when events
	 * were lost on the way out (a file that could not be written). */
	int (*close)(void *state, char *err, size_t errlen);
};

#endif
