/*
 * suites.h: the Check suites of the unit tests, one per module. main.c runs
 * them all in one SRunner; each test_*.c file defines one of them. Suites
 * of modules still being written are declared weak, so the runner links
 * (and skips them) until their file exists.
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
Suite *sig_suite(void) __attribute__((weak));
Suite *heur_p2p_mining_suite(void) __attribute__((weak));
Suite *heur_proxy_suite(void) __attribute__((weak));
Suite *heur_remote_suite(void) __attribute__((weak));
Suite *heur_tunnel_suite(void) __attribute__((weak));
Suite *names_suite(void) __attribute__((weak));
Suite *heur_fet_suite(void) __attribute__((weak));
Suite *tlsrec_suite(void) __attribute__((weak));
Suite *sshshape_suite(void) __attribute__((weak));
Suite *dns_suite(void) __attribute__((weak));
Suite *geo_suite(void) __attribute__((weak));
Suite *classify_suite(void) __attribute__((weak));
Suite *behave_suite(void) __attribute__((weak));
Suite *spool_suite(void) __attribute__((weak));
Suite *webhook_suite(void) __attribute__((weak));
Suite *exechook_suite(void) __attribute__((weak));
Suite *nftset_suite(void) __attribute__((weak));
Suite *inventory_suite(void) __attribute__((weak));
Suite *deliver_suite(void) __attribute__((weak));
Suite *metrics_suite(void) __attribute__((weak));

#endif
