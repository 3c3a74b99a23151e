/*
 * exechook.h: runs a configured program once per verdict, the verdict's
 * JSON on its standard input. The command is split at blanks into argv and
 * run with execve(): never through a shell, and no verdict field is ever
 * put into argv. Verdict fields it may want without parsing JSON come as
 * environment variables (the caller's env list). The child gets a new
 * session, /dev/null as stdout, the daemon's stderr, no other descriptors,
 * PR_SET_NO_NEW_PRIVS, and no capabilities: the bounding, ambient,
 * inheritable, permitted and effective sets are emptied, and securebits
 * keep a root uid from regaining them at exec. It runs for at most the
 * timeout; then its process group is killed.
 *
 * exechook_run() blocks until the program ends: call it from a delivery
 * thread, never the packet path.
 */
#ifndef EGRESSD_EXECHOOK_H
#define EGRESSD_EXECHOOK_H

#include <stddef.h>
#include <stdint.h>

#define EXECHOOK_MAX_ARGS 32

struct exechook;

/* Splits cmd into words (at most EXECHOOK_MAX_ARGS-1) and checks the
 * program is an executable file (an absolute or relative path; PATH is not
 * searched). Returns NULL with a message. */
struct exechook *exechook_new(const char *cmd, uint64_t timeout_us, char *err,
    size_t errlen);
void exechook_free(struct exechook *h);

enum exechook_result {
	EXECHOOK_OK,		/* exited 0 */
	EXECHOOK_FAILED,	/* exited non-zero, or by a signal */
	EXECHOOK_TIMEOUT,	/* ran past the timeout and was killed */
	EXECHOOK_ERROR		/* could not be started */
};

/* Runs the program with body on stdin and env (NULL-ended "NAME=value"
 * strings; PATH=/usr/sbin:/usr/bin:/sbin:/bin is added) as its whole
 * environment. A program that exits without reading its input is not an
 * error (EPIPE is ignored). Every outcome but EXECHOOK_OK leaves a message
 * in err. */
enum exechook_result exechook_run(struct exechook *h, const char *body,
    size_t len, const char *const *env, char *err, size_t errlen);

#endif
