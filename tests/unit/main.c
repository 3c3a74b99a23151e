/*
 * main.c: runs every unit suite in one SRunner and exits non-zero when any
 * test failed, so `make check-unit` fails with it.
 */
#include <check.h>
#include <stdlib.h>

#include "suites.h"

int
main(void)
{
	SRunner *sr;
	int failed;

	sr = srunner_create(common_suite());
	srunner_add_suite(sr, config_suite());
	srunner_add_suite(sr, decode_suite());
	srunner_add_suite(sr, flowtab_suite());
	srunner_add_suite(sr, policy_suite());
	srunner_add_suite(sr, eve_suite());
	srunner_add_suite(sr, sig_suite());
	srunner_add_suite(sr, sshshape_suite());
	srunner_add_suite(sr, tlsrec_suite());
	srunner_add_suite(sr, heur_fet_suite());
	srunner_add_suite(sr, names_suite());
	srunner_add_suite(sr, heur_remote_suite());
	srunner_add_suite(sr, heur_tunnel_suite());
	srunner_add_suite(sr, heur_p2p_mining_suite());
	srunner_add_suite(sr, heur_proxy_suite());
	srunner_add_suite(sr, dns_suite());
	srunner_add_suite(sr, geo_suite());
	srunner_add_suite(sr, classify_suite());
	srunner_add_suite(sr, behave_suite());
	srunner_add_suite(sr, spool_suite());
	srunner_add_suite(sr, webhook_suite());
	srunner_add_suite(sr, exechook_suite());
	srunner_add_suite(sr, nftset_suite());
	srunner_add_suite(sr, inventory_suite());
	srunner_add_suite(sr, sinks_suite());
	srunner_add_suite(sr, metrics_suite());
	srunner_add_suite(sr, suppress_suite());
	srunner_add_suite(sr, verdict_suite());
	srunner_add_suite(sr, log_suite());
	srunner_add_suite(sr, notify_suite());
	srunner_add_suite(sr, pktstore_suite());
	srunner_add_suite(sr, frame_ring_suite());
	srunner_add_suite(sr, fleet_suite());
	srunner_add_suite(sr, report_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
