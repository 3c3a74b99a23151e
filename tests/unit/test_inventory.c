/*
 * test_inventory.c: the VM inventory CSV. Files are written to a temporary
 * directory; each bad file must fail with the line that is wrong, and a
 * good one must answer lookups by address and, once learned, by MAC.
 */
#include <arpa/inet.h>
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "inventory.h"
#include "suites.h"

static char path[64];

static void
write_file(const char *text, size_t len)
{
	FILE *fp;
	int fd;

	snprintf(path, sizeof(path), "/tmp/egressd-inv-XXXXXX");
	fd = mkstemp(path);
	ck_assert_int_ne(fd, -1);
	fp = fdopen(fd, "w");
	ck_assert_ptr_nonnull(fp);
	ck_assert_uint_eq(fwrite(text, 1, len, fp), len);
	fclose(fp);
}

static struct inventory *
load_text(const char *text, char *err, size_t errlen)
{
	struct inventory *inv;

	write_file(text, strlen(text));
	inv = inventory_load(path, err, errlen);
	unlink(path);
	return inv;
}

static void
map4(const char *a, uint8_t out[16])
{
	memset(out, 0, 16);
	out[10] = out[11] = 0xff;
	ck_assert_int_eq(inet_pton(AF_INET, a, out + 12), 1);
}

/* Expects text to fail to load with "FILE:line: ..." holding what. */
static void
expect_error(const char *text, int line, const char *what)
{
	char err[512], want[32];

	ck_assert_ptr_null(load_text(text, err, sizeof(err)));
	snprintf(want, sizeof(want), ":%d: ", line);
	ck_assert_msg(strstr(err, want) != NULL, "'%s' lacks '%s'", err, want);
	ck_assert_msg(strstr(err, what) != NULL, "'%s' lacks '%s'", err, what);
}

START_TEST(lookup_by_address)
{
	struct inventory *inv;
	const struct inventory_vm *vm;
	uint8_t a[16];
	char err[256];

	inv = load_text("address,vm,tenant,labels\n"
	    "# a comment\n"
	    "\n"
	    "10.1.2.3,vm-7f3a,acme,tier=free;gpu\n"
	    "2001:db8::5,vm-v6,\"globex, inc\"\r\n"
	    "10.1.2.4,vm-bare\n", err, sizeof(err));
	ck_assert_msg(inv != NULL, "%s", err);
	ck_assert_uint_eq(inventory_count(inv), 3);
	ck_assert_int_eq(inventory_has_macs(inv), 0);
	map4("10.1.2.3", a);
	vm = inventory_lookup(inv, a);
	ck_assert_ptr_nonnull(vm);
	ck_assert_str_eq(vm->vm_id, "vm-7f3a");
	ck_assert_str_eq(vm->tenant, "acme");
	ck_assert_str_eq(vm->labels, "tier=free;gpu");
	ck_assert_int_eq(inet_pton(AF_INET6, "2001:db8::5", a), 1);
	vm = inventory_lookup(inv, a);
	ck_assert_ptr_nonnull(vm);
	ck_assert_str_eq(vm->tenant, "globex, inc");	/* quoted comma */
	ck_assert_str_eq(vm->labels, "");
	map4("10.1.2.4", a);
	vm = inventory_lookup(inv, a);
	ck_assert_ptr_nonnull(vm);
	ck_assert_str_eq(vm->tenant, "");
	map4("10.1.2.5", a);
	ck_assert_ptr_null(inventory_lookup(inv, a));
	inventory_free(inv);
}
END_TEST

START_TEST(learn_by_mac)
{
	static const uint8_t mac[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };
	static const uint8_t other[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x57 };
	struct inventory *inv;
	const struct inventory_vm *vm;
	uint8_t a[16], b[16];
	char err[256], ip[32];
	int i;

	inv = load_text("52:54:00:12:34:56,vm-mac,t1,\n", err, sizeof(err));
	ck_assert_msg(inv != NULL, "%s", err);
	ck_assert_int_eq(inventory_has_macs(inv), 1);
	map4("10.9.9.9", a);
	ck_assert_ptr_null(inventory_lookup(inv, a));
	inventory_learn(inv, other, a);		/* not in the file */
	ck_assert_ptr_null(inventory_lookup(inv, a));
	inventory_learn(inv, mac, a);
	vm = inventory_lookup(inv, a);
	ck_assert_ptr_nonnull(vm);
	ck_assert_str_eq(vm->vm_id, "vm-mac");
	ck_assert_uint_eq(inventory_learned(inv), 1);
	inventory_learn(inv, mac, a);		/* again: no new binding */
	ck_assert_uint_eq(inventory_learned(inv), 1);

	/* Thousands of addresses behind one MAC: the table stays its size,
	 * old bindings give way, the newest is found. */
	for (i = 0; i < 5000; i++) {
		snprintf(ip, sizeof(ip), "10.8.%d.%d", i / 250, i % 250);
		map4(ip, b);
		inventory_learn(inv, mac, b);
	}
	ck_assert_ptr_nonnull(inventory_lookup(inv, b));
	ck_assert_uint_gt(inventory_replaced(inv), 4000);
	inventory_free(inv);
}
END_TEST

/* A VM by its MAC sending from addresses not its own: another VM's (an
 * address row), or outside vm_networks; its own, the unspecified and
 * link-local ones are not counted; the count is per window. */
START_TEST(foreign_sources)
{
	static const uint8_t mac[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };
	static const uint8_t other[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x57 };
	struct inventory *inv;
	struct inventory_foreign *st;
	const struct inventory_vm *vm;
	uint8_t own[16], theirs[16], any[16], ll[16];
	char err[256];

	inv = load_text("52:54:00:12:34:56,vm-a,t1,\n10.0.0.5,vm-a,t1,\n"
	    "10.0.0.6,vm-b,t1,\n", err, sizeof(err));
	ck_assert_msg(inv != NULL, "%s", err);
	map4("10.0.0.5", own);
	map4("10.0.0.6", theirs);
	map4("198.51.100.7", any);
	memset(ll, 0, 16);
	ll[0] = 0xfe;
	ll[1] = 0x80;
	ll[15] = 1;
	ck_assert_ptr_null(inventory_foreign(inv, other, any, 0, 1, 10, &st));
	ck_assert_ptr_null(st);
	vm = inventory_foreign(inv, mac, own, 1, 1, 10, &st);
	ck_assert_str_eq(vm->vm_id, "vm-a");
	ck_assert_ptr_null(st);
	ck_assert_ptr_nonnull(inventory_foreign(inv, mac, ll, 0, 2, 10, &st));
	ck_assert_ptr_null(st);
	/* not in vm_networks, or none set: only with in_nets 0 */
	inventory_foreign(inv, mac, any, -1, 3, 10, &st);
	ck_assert_ptr_null(st);
	inventory_foreign(inv, mac, theirs, 1, 4, 10, &st);
	ck_assert_ptr_nonnull(st);
	ck_assert_uint_eq(st->count, 1);
	inventory_foreign(inv, mac, any, 0, 5, 10, &st);
	ck_assert_uint_eq(st->count, 2);
	inventory_foreign(inv, mac, any, 0, 20, 10, &st);	/* new window */
	ck_assert_uint_eq(st->count, 1);
	inventory_free(inv);
}
END_TEST

/* An iface: row: the interface is the VM's; what comes from the VM on it
 * binds its source address, and addresses not its own are counted as a
 * MAC row's are. Interface and MAC keys of the same bytes are distinct. */
START_TEST(by_interface)
{
	struct inventory *inv;
	struct inventory_foreign *st;
	const struct inventory_vm *vm;
	uint8_t own[16], theirs[16], any[16];
	char err[256];

	inv = load_text("iface:tap-7f3a,vm-a,t1,gpu\n10.0.0.6,vm-b,t1,\n"
	    "IFACE:veth0,vm-c,t2,\n", err, sizeof(err));
	ck_assert_msg(inv != NULL, "%s", err);
	ck_assert_int_eq(inventory_has_macs(inv), 1);
	vm = inventory_iface(inv, "tap-7f3a");
	ck_assert_ptr_nonnull(vm);
	ck_assert_str_eq(vm->vm_id, "vm-a");
	ck_assert_str_eq(vm->labels, "gpu");
	ck_assert_str_eq(inventory_iface(inv, "veth0")->vm_id, "vm-c");
	ck_assert_ptr_null(inventory_iface(inv, "tap-7f3"));
	ck_assert_ptr_null(inventory_iface(inv, "tap-7f3a0123456789"));
	map4("10.0.0.5", own);
	map4("10.0.0.6", theirs);
	map4("198.51.100.7", any);
	ck_assert_ptr_null(inventory_lookup(inv, own));
	inventory_learn_iface(inv, "tap-7f3a", own);
	ck_assert_str_eq(inventory_lookup(inv, own)->vm_id, "vm-a");
	inventory_learn_iface(inv, "eth9", any);	/* no VM's */
	ck_assert_ptr_null(inventory_lookup(inv, any));
	ck_assert_ptr_null(inventory_foreign_iface(inv, "eth9", any, 0, 1, 10,
	    &st));
	vm = inventory_foreign_iface(inv, "tap-7f3a", own, 1, 1, 10, &st);
	ck_assert_str_eq(vm->vm_id, "vm-a");
	ck_assert_ptr_null(st);
	inventory_foreign_iface(inv, "tap-7f3a", theirs, 1, 2, 10, &st);
	ck_assert_ptr_nonnull(st);
	ck_assert_uint_eq(st->count, 1);
	inventory_foreign_iface(inv, "tap-7f3a", any, 0, 3, 10, &st);
	ck_assert_uint_eq(st->count, 2);
	inventory_free(inv);

	expect_error("iface:tap0,a\niface:tap0,b\n", 2,
	    "iface:tap0 already given on line 1");
	expect_error("iface:,a\n", 1, "an interface name is 1 to 15 bytes");
	expect_error("iface:a-very-long-name0,a\n", 1, "interface name");
	expect_error("iface:tap 0,a\n", 1, "interface name");
	expect_error("iface:../tap0,a\n", 1, "interface name");
}
END_TEST

START_TEST(bad_files)
{
	char err[256];

	expect_error("10.0.0.1,a\n10.0.0.1,b\n", 2, "already given on line 1");
	expect_error("52:54:00:12:34:56,a\n52-54-00-12-34-56,b\n", 2,
	    "52:54:00:12:34:56 already given");
	expect_error("10.0.0.1\n", 1, "expected 2 to 4 fields");
	expect_error("10.0.0.1,a,b,c,d\n", 1, "expected 2 to 4 fields");
	expect_error("# ok\n10.0.0.0/8,a\n", 2, "not an address, a MAC or iface:NAME");
	expect_error("host.example,a\n", 1, "not an address, a MAC or iface:NAME");
	expect_error("10.0.0.1,,t\n", 1, "VM id");
	expect_error("10.0.0.1,\"vm\n", 1, "quoted field");
	expect_error("10.0.0.1,\"v\"m\n", 1, "");	/* libcsv's strict mode */

	/* A NUL byte, and a line past the limit. */
	write_file("10.0.0.1,a\n10.0.0.2,b\0c\n", 24);
	ck_assert_ptr_null(inventory_load(path, err, sizeof(err)));
	unlink(path);
	ck_assert_msg(strstr(err, ":2: a NUL byte") != NULL, "%s", err);
	{
		char big[INVENTORY_LINE_MAX + 64];

		memset(big, 'x', sizeof(big));
		memcpy(big, "10.0.0.1,", 9);
		big[sizeof(big) - 2] = '\n';
		big[sizeof(big) - 1] = '\0';
		expect_error(big, 1, "line longer than");
	}
	ck_assert_ptr_null(inventory_load("/nonexistent/inv.csv", err,
	    sizeof(err)));
	ck_assert_msg(strstr(err, "No such file") != NULL, "%s", err);
}
END_TEST

Suite *
inventory_suite(void)
{
	Suite *s = suite_create("inventory");
	TCase *tc = tcase_create("csv");

	tcase_add_test(tc, lookup_by_address);
	tcase_add_test(tc, learn_by_mac);
	tcase_add_test(tc, foreign_sources);
	tcase_add_test(tc, by_interface);
	tcase_add_test(tc, bad_files);
	suite_add_tcase(s, tc);
	return s;
}
