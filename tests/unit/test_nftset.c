/*
 * test_nftset.c: block verdicts into nftables sets. The set names are
 * checked everywhere; the sets themselves only as root, in a child process
 * in a network namespace of its own, so the host's ruleset is never
 * touched. The child reports through its exit status: 0 when every step
 * passed, the failed step's number otherwise, SKIP_STATUS when it could
 * not make a namespace.
 */
#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <nftables/libnftables.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "nftset.h"
#include "suites.h"
#include "util.h"

#define SEC		1000000ULL
#define SKIP_STATUS	77

static void
map4(const char *a, uint8_t out[16])
{
	memset(out, 0, 16);
	out[10] = out[11] = 0xff;
	ck_assert_int_eq(inet_pton(AF_INET, a, out + 12), 1);
}

static void
expect_refused(const char *set4, const char *set6, const char *msg)
{
	char err[512] = "";

	ck_assert_ptr_null(nftset_new(set4, set6, 3600 * SEC, err, sizeof(err)));
	ck_assert_msg(strstr(err, msg) != NULL, "'%s' '%s': got '%s', want '%s'",
	    set4, set6, err, msg);
}

START_TEST(bad_specs)
{
	char long_name[400];

	expect_refused("", "", "no set for IPv4 or IPv6");
	expect_refused("inet egt", "", "nft_set: 'inet egt': expected FAMILY "
	    "TABLE SET");
	expect_refused("inet egt b4 extra", "", "expected FAMILY TABLE SET");
	expect_refused("   ", "", "expected FAMILY TABLE SET");
	expect_refused("inet6 egt b4", "", "unknown family 'inet6'");
	expect_refused("INET egt b4", "", "unknown family");
	expect_refused("inet egt b4;", "", "';' is not allowed");
	expect_refused("inet egt;flush ruleset", "", "';' is not allowed");
	expect_refused("inet egt {b4", "", "'{' is not allowed");
	expect_refused("inet \"egt\" b4", "", "'\"' is not allowed");
	expect_refused("inet $t b4", "", "'$' is not allowed");
	expect_refused("inet egt b4", "ip6 egt b@6", "'@' is not allowed");
	memset(long_name, 'a', sizeof(long_name) - 1);
	long_name[sizeof(long_name) - 1] = '\0';
	memcpy(long_name, "ip t ", 5);
	expect_refused(long_name, "", "name longer than 255 bytes");
}
END_TEST

/* Runs cmd in a fresh context; its output into out (when not NULL). */
static int
nft(char *out, size_t outlen, const char *fmt, ...)
{
	struct nft_ctx *ctx = nft_ctx_new(NFT_CTX_DEFAULT);
	char cmd[512];
	va_list ap;
	int rc;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	if (ctx == NULL)
		return -1;
	nft_ctx_buffer_output(ctx);
	nft_ctx_buffer_error(ctx);
	rc = nft_run_cmd_from_buffer(ctx, cmd);
	if (out != NULL)
		str_copy(out, nft_ctx_get_output_buffer(ctx), outlen);
	if (rc != 0)
		fprintf(stderr, "nft %s: %s", cmd, nft_ctx_get_error_buffer(ctx));
	nft_ctx_free(ctx);
	return rc;
}

static int
step_failed(int step, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "nftset step %d: ", step);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return step;
}

/* The steps, in the child, in a namespace of its own. */
static int
namespace_steps(void)
{
	char err[512] = "", out[4096];
	struct nftset *n;
	uint8_t a4[16], a6[16];
	int rc;

	if (nft(NULL, 0, "add table inet egt; "
	    "add set inet egt b4 { type ipv4_addr; flags timeout; }; "
	    "add set inet egt b6 { type ipv6_addr; flags timeout; }; "
	    "add set inet egt plain { type ipv4_addr; }; "
	    "add set inet egt ports { type inet_service; flags timeout; }") != 0)
		return step_failed(1, "cannot make the sets");

	map4("192.0.2.10", a4);
	inet_pton(AF_INET6, "2001:db8::5", a6);
	/* Blanks between the words are any blanks. */
	n = nftset_new("inet egt\tb4", " inet  egt b6 ", 3600 * SEC, err,
	    sizeof(err));
	if (n == NULL)
		return step_failed(2, "nftset_new: %s", err);
	if ((rc = nftset_add(n, a4, err, sizeof(err))) != 1)
		return step_failed(3, "add v4: %d %s", rc, err);
	if ((rc = nftset_add(n, a6, err, sizeof(err))) != 1)
		return step_failed(4, "add v6: %d %s", rc, err);
	if (nft(out, sizeof(out), "list set inet egt b4") != 0 ||
	    strstr(out, "192.0.2.10 timeout 1h expires") == NULL)
		return step_failed(5, "b4 is:\n%s", out);
	if (nft(out, sizeof(out), "list set inet egt b6") != 0 ||
	    strstr(out, "2001:db8::5 timeout 1h expires") == NULL)
		return step_failed(6, "b6 is:\n%s", out);
	nftset_free(n);

	/* Again, with another timeout: the element is renewed, not
	 * duplicated and not left with the old timeout. */
	n = nftset_new("inet egt b4", "", 7200 * SEC, err, sizeof(err));
	if (n == NULL)
		return step_failed(7, "nftset_new: %s", err);
	if ((rc = nftset_add(n, a4, err, sizeof(err))) != 1)
		return step_failed(8, "add v4 again: %d %s", rc, err);
	if (nft(out, sizeof(out), "list set inet egt b4") != 0 ||
	    strstr(out, "192.0.2.10 timeout 2h expires") == NULL ||
	    strstr(out, "timeout 1h") != NULL)
		return step_failed(9, "b4 is:\n%s", out);
	/* No IPv6 set: nothing to do. */
	if ((rc = nftset_add(n, a6, err, sizeof(err))) != 0)
		return step_failed(10, "add v6 without a set: %d %s", rc, err);

	/* The set goes away under it: nftables' message. */
	if (nft(NULL, 0, "delete set inet egt b4") != 0)
		return step_failed(11, "cannot delete b4");
	err[0] = '\0';
	if ((rc = nftset_add(n, a4, err, sizeof(err))) != -1 ||
	    strstr(err, "nft_set 'inet egt b4': adding 192.0.2.10: Error:") == NULL)
		return step_failed(12, "add to a deleted set: %d %s", rc, err);
	nftset_free(n);

	/* Missing sets and tables, and sets that cannot take the address
	 * with a timeout, are found at nftset_new(). */
	if (nftset_new("inet egt nosuch", "", SEC, err, sizeof(err)) != NULL ||
	    strstr(err, "nft_set 'inet egt nosuch': Error: No such file or "
	    "directory") == NULL)
		return step_failed(13, "missing set: %s", err);
	if (nftset_new("", "ip6 nosuch b6", SEC, err, sizeof(err)) != NULL ||
	    strstr(err, "nft_set 'ip6 nosuch b6': Error:") == NULL)
		return step_failed(14, "missing table: %s", err);
	if (nftset_new("inet egt plain", "", SEC, err, sizeof(err)) != NULL ||
	    strstr(err, "cannot add an IPv4 address with a timeout: Error:") == NULL)
		return step_failed(15, "set without timeouts: %s", err);
	if (nftset_new("inet egt ports", "", SEC, err, sizeof(err)) != NULL ||
	    strstr(err, "cannot add an IPv4 address") == NULL)
		return step_failed(16, "set of ports: %s", err);
	if (nftset_new("inet egt b6", "inet egt b6", SEC, err, sizeof(err)) != NULL ||
	    strstr(err, "nft_set 'inet egt b6': cannot add an IPv4") == NULL)
		return step_failed(17, "IPv6 set for IPv4: %s", err);
	/* The dry runs left nothing behind. */
	if (nft(out, sizeof(out), "list set inet egt b6") != 0 ||
	    strstr(out, "2001:db8::\n") != NULL || strstr(out, "2001:db8:: ") != NULL)
		return step_failed(18, "b6 is:\n%s", out);
	return 0;
}

START_TEST(sets_in_namespace)
{
	int status;
	pid_t pid;

	if (geteuid() != 0) {
		fprintf(stderr, "nftset: not root, sets not tested\n");
		return;
	}
	pid = fork();
	ck_assert_int_ne(pid, -1);
	if (pid == 0) {
		if (unshare(CLONE_NEWNET) == -1) {
			fprintf(stderr, "nftset: unshare: %s\n", strerror(errno));
			_exit(errno == EPERM ? SKIP_STATUS : 100);
		}
		_exit(namespace_steps());
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_msg(WIFEXITED(status), "child status %#x", status);
	if (WEXITSTATUS(status) == SKIP_STATUS) {
		fprintf(stderr, "nftset: no network namespace, sets not tested\n");
		return;
	}
	ck_assert_msg(WEXITSTATUS(status) == 0, "step %d failed (see stderr)",
	    WEXITSTATUS(status));
}
END_TEST

Suite *
nftset_suite(void)
{
	Suite *s = suite_create("nftset");
	TCase *tc;

	tc = tcase_create("nftset");
	tcase_add_test(tc, bad_specs);
	tcase_add_test(tc, sets_in_namespace);
	suite_add_tcase(s, tc);
	return s;
}
