/*
 * suites.h: the Check suites of the unit tests, one per module. main.c runs
 * them all in one SRunner; each test_*.c file defines one of them.
 */
#ifndef EGRESSD_TEST_SUITES_H
#define EGRESSD_TEST_SUITES_H

#include <check.h>

Suite *common_suite(void);
Suite *config_suite(void);
Suite *decode_suite(void);
Suite *flowtab_suite(void);
Suite *policy_suite(void);
Suite *eve_suite(void);

#endif
