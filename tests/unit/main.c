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
	if (sig_suite != NULL)
		srunner_add_suite(sr, sig_suite());
	if (sshshape_suite != NULL)
		srunner_add_suite(sr, sshshape_suite());
	if (tlsrec_suite != NULL)
		srunner_add_suite(sr, tlsrec_suite());
	if (heur_fet_suite != NULL)
		srunner_add_suite(sr, heur_fet_suite());
	if (names_suite != NULL)
		srunner_add_suite(sr, names_suite());
	if (heur_remote_suite != NULL)
		srunner_add_suite(sr, heur_remote_suite());
	if (heur_tunnel_suite != NULL)
		srunner_add_suite(sr, heur_tunnel_suite());
	if (heur_p2p_mining_suite != NULL)
		srunner_add_suite(sr, heur_p2p_mining_suite());
	if (heur_proxy_suite != NULL)
		srunner_add_suite(sr, heur_proxy_suite());
	if (dns_suite != NULL)
		srunner_add_suite(sr, dns_suite());
	if (geo_suite != NULL)
		srunner_add_suite(sr, geo_suite());
	if (classify_suite != NULL)
		srunner_add_suite(sr, classify_suite());
	if (behave_suite != NULL)
		srunner_add_suite(sr, behave_suite());
	if (spool_suite != NULL)
		srunner_add_suite(sr, spool_suite());
	if (webhook_suite != NULL)
		srunner_add_suite(sr, webhook_suite());
	if (exechook_suite != NULL)
		srunner_add_suite(sr, exechook_suite());
	if (nftset_suite != NULL)
		srunner_add_suite(sr, nftset_suite());
	if (inventory_suite != NULL)
		srunner_add_suite(sr, inventory_suite());
	if (deliver_suite != NULL)
		srunner_add_suite(sr, deliver_suite());
	if (metrics_suite != NULL)
		srunner_add_suite(sr, metrics_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
