/*
 * test_policy.c: the forbidden-protocol map against the nDPI this build
 * links. Names go through dpi_proto_id() as policy_new() does, so a test
 * fails when nDPI renames a protocol the policy relies on.
 */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dpi.h"
#include "policy.h"
#include "suites.h"
#include "util.h"

struct fixture {
	struct dpi *dpi;
	struct policy *pol;
};

static void
fx_open(struct fixture *fx)
{
	char err[256] = "";

	fx->dpi = dpi_new(err, sizeof(err));
	ck_assert_msg(fx->dpi != NULL, "dpi_new: %s", err);
	fx->pol = policy_new(fx->dpi, err, sizeof(err));
	ck_assert_msg(fx->pol != NULL, "policy_new: %s", err);
}

static void
fx_close(struct fixture *fx)
{
	policy_free(fx->pol);
	dpi_free(fx->dpi);
}

static uint16_t
id_of(struct fixture *fx, const char *name)
{
	int id = dpi_proto_id(fx->dpi, name);

	ck_assert_msg(id > 0, "nDPI does not know '%s'", name);
	ck_assert_uint_lt((unsigned)id, dpi_proto_count(fx->dpi));
	return (uint16_t)id;
}

START_TEST(forbidden_protocols)
{
	static const struct {
		const char *name;
		enum policy_category cat;
	} want[] = {
		{ "SSH", CAT_REMOTE_ACCESS },
		{ "BitTorrent", CAT_P2P },
		{ "SOCKS", CAT_PROXY },
		{ "Tor", CAT_PROXY },
		{ "OpenVPN", CAT_PROXY },
		{ "Mining", CAT_MINING },
		{ "RDP", CAT_REMOTE_ACCESS },
	};
	struct fixture fx;
	size_t i;

	fx_open(&fx);
	for (i = 0; i < NELEM(want); i++) {
		uint16_t id = id_of(&fx, want[i].name);

		ck_assert_msg(policy_proto(fx.pol, id) == want[i].cat,
		    "%s (id %u) is %s, not %s", want[i].name, id,
		    policy_category_name(policy_proto(fx.pol, id)),
		    policy_category_name(want[i].cat));
		/* As the app of any master, and as a master alone. */
		ck_assert_int_eq(policy_classify(fx.pol, id, 0), want[i].cat);
		ck_assert_int_eq(policy_classify(fx.pol, 0, id), want[i].cat);
	}
	fx_close(&fx);
}
END_TEST

START_TEST(allowed_protocols)
{
	static const char *allowed[] = { "TLS", "HTTP", "DNS", "NTP", "QUIC" };
	struct fixture fx;
	size_t i;

	fx_open(&fx);
	for (i = 0; i < NELEM(allowed); i++)
		ck_assert_int_eq(policy_proto(fx.pol, id_of(&fx, allowed[i])),
		    CAT_NONE);
	ck_assert_int_eq(policy_proto(fx.pol, 0), CAT_NONE);
	/* Ids past nDPI's own are nothing, not a read out of bounds. */
	ck_assert_int_eq(policy_proto(fx.pol, (uint16_t)dpi_proto_count(fx.dpi)),
	    CAT_NONE);
	ck_assert_int_eq(policy_proto(fx.pol, 65535), CAT_NONE);
	ck_assert_int_eq(dpi_proto_id(fx.dpi, "NoSuchProtocolAnywhere"), -1);
	fx_close(&fx);
}
END_TEST

START_TEST(master_and_app)
{
	struct fixture fx;
	uint16_t tls, http, tor, ssh, dns;

	fx_open(&fx);
	tls = id_of(&fx, "TLS");
	http = id_of(&fx, "HTTP");
	tor = id_of(&fx, "Tor");
	ssh = id_of(&fx, "SSH");
	dns = id_of(&fx, "DNS");

	ck_assert_int_eq(policy_classify(fx.pol, tls, tor), CAT_PROXY);
	ck_assert_int_eq(policy_classify(fx.pol, http, 0), CAT_NONE);
	ck_assert_int_eq(policy_classify(fx.pol, tls, 0), CAT_NONE);
	ck_assert_int_eq(policy_classify(fx.pol, dns, http), CAT_NONE);
	/* The app decides first; the master when the app says nothing. */
	ck_assert_int_eq(policy_classify(fx.pol, ssh, http), CAT_REMOTE_ACCESS);
	ck_assert_int_eq(policy_classify(fx.pol, tor, ssh), CAT_REMOTE_ACCESS);
	fx_close(&fx);
}
END_TEST

START_TEST(category_names)
{
	static const struct {
		enum policy_category c;
		const char *name;
	} names[] = {
		{ CAT_NONE, "none" }, { CAT_P2P, "p2p" }, { CAT_MINING, "mining" },
		{ CAT_REMOTE_ACCESS, "remote_access" }, { CAT_PROXY, "proxy" },
		{ CAT_DOS, "dos" }, { CAT_SCAN, "scan" },
		{ CAT_BRUTEFORCE, "bruteforce" },
	};
	size_t i;
	int c;

	ck_assert_uint_eq(NELEM(names), CAT_N);
	for (i = 0; i < NELEM(names); i++) {
		ck_assert_str_eq(policy_category_name(names[i].c), names[i].name);
		ck_assert_int_eq(policy_category_parse(names[i].name), names[i].c);
	}
	for (c = 0; c < CAT_N; c++) {
		const char *sev = policy_severity((enum policy_category)c);

		ck_assert_int_eq(policy_category_parse(
		    policy_category_name((enum policy_category)c)), c);
		ck_assert(strcmp(sev, "high") == 0 || strcmp(sev, "medium") == 0 ||
		    strcmp(sev, "low") == 0);
		ck_assert_str_ne(policy_phrase((enum policy_category)c), "?");
	}
	ck_assert_int_eq(policy_category_parse("bogus"), CAT_N);
	ck_assert_int_eq(policy_category_parse(""), CAT_N);
	ck_assert_int_eq(policy_category_parse("Proxy"), CAT_N);
	ck_assert_str_eq(policy_category_name(CAT_N), "?");
	ck_assert_str_eq(policy_severity(CAT_MINING), "high");
	ck_assert_str_eq(policy_severity(CAT_NONE), "low");
}
END_TEST

START_TEST(coverage)
{
	struct fixture fx;
	unsigned resolved = 0, missing = 0;

	fx_open(&fx);
	policy_coverage(fx.pol, &resolved, &missing);
	ck_assert_uint_gt(resolved, 30);
	/* Every name of the table is counted one way or the other. */
	ck_assert_uint_gt(resolved + missing, 50);
	fx_close(&fx);
}
END_TEST

Suite *
policy_suite(void)
{
	Suite *s = suite_create("policy");
	TCase *tc;

	tc = tcase_create("ndpi");
	tcase_add_test(tc, forbidden_protocols);
	tcase_add_test(tc, allowed_protocols);
	tcase_add_test(tc, master_and_app);
	tcase_add_test(tc, coverage);
	suite_add_tcase(s, tc);

	tc = tcase_create("names");
	tcase_add_test(tc, category_names);
	suite_add_tcase(s, tc);
	return s;
}
