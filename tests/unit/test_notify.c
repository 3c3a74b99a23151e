/*
 * test_notify.c: the service manager's socket. The test plays the manager:
 * an AF_UNIX datagram socket bound in a fresh directory (and one in the
 * abstract namespace, NOTIFY_SOCKET starting with '@'), named in
 * NOTIFY_SOCKET, from which each message notify_send() sends is read back.
 * The watchdog's interval comes from WATCHDOG_USEC, and a WATCHDOG_PID of
 * another process turns it off, as sd_watchdog_enabled(3) says.
 */
#include <check.h>
#include <fcntl.h>
#include <poll.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "notify.h"
#include "suites.h"

static char dir[256];
static int manager = -1;

/* A manager socket at name ("@..." abstract), named in NOTIFY_SOCKET. */
static void
manager_listen(const char *name)
{
	struct sockaddr_un sa;
	socklen_t len;

	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	ck_assert_uint_lt(strlen(name), sizeof(sa.sun_path));
	memcpy(sa.sun_path, name, strlen(name));
	len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen(name));
	if (name[0] == '@')
		sa.sun_path[0] = '\0';
	ck_assert_int_ge(manager = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC,
	    0), 0);
	ck_assert_int_eq(bind(manager, (struct sockaddr *)&sa, len), 0);
	ck_assert_int_eq(setenv("NOTIFY_SOCKET", name, 1), 0);
}

static void
manager_path(void)
{
	char path[512];

	snprintf(dir, sizeof(dir), "%s/egressd-notify-XXXXXX",
	    getenv("TMPDIR") != NULL ? getenv("TMPDIR") : "/tmp");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/notify", dir);
	manager_listen(path);
}

static void
manager_close(void)
{
	char path[512];

	close(manager);
	manager = -1;
	if (dir[0] != '\0') {
		snprintf(path, sizeof(path), "%s/notify", dir);
		unlink(path);
		rmdir(dir);
		dir[0] = '\0';
	}
	unsetenv("NOTIFY_SOCKET");
	unsetenv("WATCHDOG_USEC");
	unsetenv("WATCHDOG_PID");
}

/* The next message, within a second; "" when none came. */
static void
manager_read(char *buf, size_t len)
{
	struct pollfd p = { manager, POLLIN, 0 };
	ssize_t n;

	buf[0] = '\0';
	if (poll(&p, 1, 1000) != 1)
		return;
	n = recv(manager, buf, len - 1, 0);
	ck_assert_int_ge(n, 0);
	buf[n] = '\0';
}

START_TEST(no_socket_no_notify)
{
	unsetenv("NOTIFY_SOCKET");
	setenv("WATCHDOG_USEC", "1000000", 1);
	ck_assert_ptr_null(notify_open(0));
	/* NULL is a manager that does not listen. */
	ck_assert_int_eq(notify_send(NULL, "READY=1"), 0);
	ck_assert_uint_eq(notify_watchdog_us(NULL), 0);
	ck_assert_int_eq(notify_watchdog_due(NULL, 1ULL << 40), 0);
	ck_assert_int_eq(notify_watchdog(NULL, 0), 0);
	notify_free(NULL);
	unsetenv("WATCHDOG_USEC");
}
END_TEST

START_TEST(ready_status_stopping_arrive)
{
	struct notify *n;
	char buf[1024];

	manager_path();
	ck_assert_ptr_nonnull(n = notify_open(0));
	ck_assert_int_eq(notify_send(n, "READY=1\nSTATUS=capturing on %s: "
	    "%d packets", "eth0,eth1", 0), 0);
	manager_read(buf, sizeof(buf));
	ck_assert_str_eq(buf, "READY=1\nSTATUS=capturing on eth0,eth1: "
	    "0 packets");
	ck_assert_int_eq(notify_send(n, "STOPPING=1"), 0);
	manager_read(buf, sizeof(buf));
	ck_assert_str_eq(buf, "STOPPING=1");
	/* No watchdog asked for: none is due, none is sent. */
	ck_assert_uint_eq(notify_watchdog_us(n), 0);
	ck_assert_int_eq(notify_watchdog_due(n, 1ULL << 40), 0);
	notify_free(n);
	manager_close();
}
END_TEST

START_TEST(abstract_socket)
{
	struct notify *n;
	char name[64], buf[256];

	snprintf(name, sizeof(name), "@egressd-notify-test-%ld",
	    (long)getpid());
	manager_listen(name);
	ck_assert_ptr_nonnull(n = notify_open(0));
	ck_assert_int_eq(notify_send(n, "READY=1"), 0);
	manager_read(buf, sizeof(buf));
	ck_assert_str_eq(buf, "READY=1");
	notify_free(n);
	manager_close();
}
END_TEST

START_TEST(watchdog_every_half_interval)
{
	struct notify *n;
	char buf[256];

	manager_path();
	setenv("WATCHDOG_USEC", "4000000", 1);
	ck_assert_ptr_nonnull(n = notify_open(1000));
	ck_assert_uint_eq(notify_watchdog_us(n), 4000000);
	ck_assert_int_eq(notify_watchdog_due(n, 1000), 0);
	ck_assert_int_eq(notify_watchdog_due(n, 1000 + 1999999), 0);
	ck_assert_int_eq(notify_watchdog_due(n, 1000 + 2000000), 1);
	ck_assert_int_eq(notify_watchdog(n, 2001000), 0);
	manager_read(buf, sizeof(buf));
	ck_assert_str_eq(buf, "WATCHDOG=1");
	/* Counted again from that ping. */
	ck_assert_int_eq(notify_watchdog_due(n, 2001000 + 1999999), 0);
	ck_assert_int_eq(notify_watchdog_due(n, 4001000), 1);
	notify_free(n);

	/* The interval is another process's (WATCHDOG_PID): not ours. */
	setenv("WATCHDOG_PID", "1", 1);
	ck_assert_ptr_nonnull(n = notify_open(0));
	ck_assert_uint_eq(notify_watchdog_us(n), 0);
	notify_free(n);
	manager_close();
}
END_TEST

START_TEST(gone_manager_fails_quietly)
{
	struct notify *n;
	char path[512];
	int saved, null;

	manager_path();
	ck_assert_ptr_nonnull(n = notify_open(0));
	snprintf(path, sizeof(path), "%s/notify", dir);
	ck_assert_int_eq(unlink(path), 0);
	/* Logged once, then only the -1; the warning is kept off the test's
	 * output. */
	fflush(stderr);
	ck_assert_int_ge(saved = dup(STDERR_FILENO), 0);
	ck_assert_int_ge(null = open("/dev/null", O_WRONLY), 0);
	ck_assert_int_eq(dup2(null, STDERR_FILENO), STDERR_FILENO);
	close(null);
	ck_assert_int_eq(notify_send(n, "STATUS=a"), -1);
	ck_assert_int_eq(notify_send(n, "STATUS=b"), -1);
	fflush(stderr);
	ck_assert_int_eq(dup2(saved, STDERR_FILENO), STDERR_FILENO);
	close(saved);
	notify_free(n);
	manager_close();
}
END_TEST

Suite *
notify_suite(void)
{
	Suite *s = suite_create("notify");
	TCase *tc = tcase_create("socket");

	tcase_add_test(tc, no_socket_no_notify);
	tcase_add_test(tc, ready_status_stopping_arrive);
	tcase_add_test(tc, abstract_socket);
	tcase_add_test(tc, watchdog_every_half_interval);
	tcase_add_test(tc, gone_manager_fails_quietly);
	suite_add_tcase(s, tc);
	return s;
}
