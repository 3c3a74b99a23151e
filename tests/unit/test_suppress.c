/*
 * test_suppress.c: the table of repeated verdicts (classify/suppress.c): a
 * repeat within the window is held back and does not start a new window,
 * a window of 0 holds nothing back, another category or target is no
 * repeat, and a full table gives up the triple seen longest ago, counting
 * it only while its window still runs.
 */
#include <check.h>
#include <string.h>

#include "../../classify/suppress.h"
#include "suites.h"

#define SEC	1000000ULL
#define WINDOW	(600 * SEC)

static void
v4(uint8_t a[16], uint32_t host)
{
	memset(a, 0, 16);
	a[10] = a[11] = 0xff;
	a[12] = 198;
	a[13] = (uint8_t)(host >> 16);
	a[14] = (uint8_t)(host >> 8);
	a[15] = (uint8_t)host;
}

START_TEST(repeat_within_window)
{
	struct suppress *s = suppress_new();
	uint8_t vm[16], tgt[16];

	v4(vm, 1);
	v4(tgt, 2);
	ck_assert_int_eq(suppress_check(s, NULL, vm, tgt, CAT_MINING, WINDOW,
	    10 * SEC), 0);
	ck_assert_int_eq(suppress_check(s, NULL, vm, tgt, CAT_MINING, WINDOW,
	    10 * SEC + WINDOW - 1), 1);
	/* The one held back started no window: the first one's ends. */
	ck_assert_int_eq(suppress_check(s, NULL, vm, tgt, CAT_MINING, WINDOW,
	    10 * SEC + WINDOW), 0);
	ck_assert_int_eq(suppress_check(s, NULL, vm, tgt, CAT_MINING, WINDOW,
	    11 * SEC + WINDOW), 1);
	ck_assert_uint_eq(suppress_evicted(s), 0);
	suppress_free(s);
}
END_TEST

START_TEST(other_triples_and_no_window)
{
	struct suppress *s = suppress_new();
	uint8_t vm[16], tgt[16], other[16];

	v4(vm, 1);
	v4(tgt, 2);
	v4(other, 3);
	ck_assert_int_eq(suppress_check(s, NULL, vm, tgt, CAT_MINING, WINDOW,
	    SEC), 0);
	ck_assert_int_eq(suppress_check(s, NULL, vm, tgt, CAT_PROXY, WINDOW,
	    SEC), 0);
	ck_assert_int_eq(suppress_check(s, NULL, vm, other, CAT_MINING, WINDOW,
	    SEC), 0);
	ck_assert_int_eq(suppress_check(s, NULL, other, tgt, CAT_MINING,
	    WINDOW, SEC), 0);
	ck_assert_int_eq(suppress_check(s, NULL, vm, tgt, CAT_MINING, WINDOW,
	    2 * SEC), 1);
	/* suppress_window 0: every verdict is reported. */
	ck_assert_int_eq(suppress_check(s, NULL, vm, tgt, CAT_MINING, 0,
	    3 * SEC), 0);
	ck_assert_int_eq(suppress_check(s, NULL, vm, tgt, CAT_MINING, 0,
	    3 * SEC), 0);
	suppress_free(s);
	suppress_free(NULL);
}
END_TEST

START_TEST(full_table_gives_up_oldest)
{
	struct suppress *s = suppress_new();
	uint8_t vm[16], tgt[16];
	uint32_t i;

	v4(vm, 1);
	for (i = 0; i < SUPPRESS_SLOTS; i++) {
		v4(tgt, 0x10000 + i);
		ck_assert_int_eq(suppress_check(s, NULL, vm, tgt, CAT_SCAN,
		    WINDOW, SEC + i), 0);
	}
	ck_assert_uint_eq(suppress_evicted(s), 0);
	/* One more: the first target gives way, still in its window. */
	v4(tgt, 0x10000 + SUPPRESS_SLOTS);
	ck_assert_int_eq(suppress_check(s, NULL, vm, tgt, CAT_SCAN, WINDOW,
	    2 * SEC), 0);
	ck_assert_uint_eq(suppress_evicted(s), 1);
	/* The last one is still held back; the first comes through early
	 * (and takes the second's place). */
	v4(tgt, 0x10000 + SUPPRESS_SLOTS - 1);
	ck_assert_int_eq(suppress_check(s, NULL, vm, tgt, CAT_SCAN, WINDOW,
	    3 * SEC), 1);
	v4(tgt, 0x10000);
	ck_assert_int_eq(suppress_check(s, NULL, vm, tgt, CAT_SCAN, WINDOW,
	    3 * SEC), 0);
	ck_assert_uint_eq(suppress_evicted(s), 2);
	/* After the window every entry is idle: taking one is no eviction. */
	v4(tgt, 0x20000);
	ck_assert_int_eq(suppress_check(s, NULL, vm, tgt, CAT_SCAN, WINDOW,
	    4 * SEC + WINDOW + SUPPRESS_SLOTS), 0);
	ck_assert_uint_eq(suppress_evicted(s), 2);
	suppress_free(s);
}
END_TEST

Suite *
suppress_suite(void)
{
	Suite *s = suite_create("suppress");
	TCase *tc = tcase_create("table");

	tcase_add_test(tc, repeat_within_window);
	tcase_add_test(tc, other_triples_and_no_window);
	tcase_add_test(tc, full_table_gives_up_oldest);
	suite_add_tcase(s, tc);
	return s;
}
