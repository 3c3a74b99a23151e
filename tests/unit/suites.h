/*
 * suites.h: the Check suites of the unit tests, one per module. main.c runs
 * them all in one SRunner; each test_*.c file defines one of them. None is
 * optional: a suite declared here and not defined fails the link.
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
Suite *sig_suite(void);
Suite *heur_p2p_mining_suite(void);
Suite *heur_proxy_suite(void);
Suite *heur_remote_suite(void);
Suite *heur_tunnel_suite(void);
Suite *names_suite(void);
Suite *heur_fet_suite(void);
Suite *tlsrec_suite(void);
Suite *sshshape_suite(void);
Suite *dns_suite(void);
Suite *geo_suite(void);
Suite *classify_suite(void);
Suite *behave_suite(void);
Suite *spool_suite(void);
Suite *webhook_suite(void);
Suite *exechook_suite(void);
Suite *nftset_suite(void);
Suite *inventory_suite(void);
Suite *sinks_suite(void);
Suite *metrics_suite(void);
Suite *suppress_suite(void);
Suite *verdict_suite(void);
Suite *log_suite(void);
Suite *notify_suite(void);
Suite *pktstore_suite(void);
Suite *frame_ring_suite(void);
Suite *report_suite(void);
Suite *fleet_suite(void);

#endif
