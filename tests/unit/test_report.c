/*
 * test_report.c: the forensic report (enforce/report.c, report_html.c):
 * every character HTML gives a meaning to is escaped, control characters
 * are replaced, times in both formats parse, and the matrix puts VMs with
 * high-severity verdicts first, then by count, then by name, reading
 * native verdicts and EVE alerts alike.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../enforce/report_int.h"
#include "report.h"
#include "suites.h"

static char *
escaped(const char *s)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&buf, &len);

	ck_assert_ptr_nonnull(fp);
	report_escape(fp, s);
	fclose(fp);
	return buf;
}

START_TEST(escape_html)
{
	char *out;

	out = escaped("<script>alert('x')</script>\"&");
	ck_assert_str_eq(out, "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;"
	    "&quot;&amp;");
	free(out);
	out = escaped("a\x01" "b\x1b" "c");
	ck_assert_str_eq(out, "a&#xfffd;b&#xfffd;c");
	free(out);
	out = escaped("plain.example.com");
	ck_assert_str_eq(out, "plain.example.com");
	free(out);
	out = escaped("");
	ck_assert_str_eq(out, "");
	free(out);
}
END_TEST

START_TEST(parse_times)
{
	ck_assert_int_eq(report_parse_time("1970-01-01T00:00:01.000002Z"),
	    1000002);
	ck_assert_int_eq(report_parse_time("1970-01-01T00:00:01.5+0000"),
	    1500000);
	ck_assert_int_eq(report_parse_time("1970-01-01T00:00:01Z"), 1000000);
	ck_assert_int_eq(report_parse_time("1970-01-01T00:00:01+0100"), -1);
	ck_assert_int_eq(report_parse_time("yesterday"), -1);
	ck_assert_int_eq(report_parse_time(NULL), -1);
}
END_TEST

static void
native(FILE *fp, const char *vm, const char *cat, const char *sev)
{
	fprintf(fp, "{\"timestamp\":\"2026-11-22T03:03:06.376474Z\","
	    "\"event_type\":\"verdict\",\"verdict_id\":\"00\",\"vm\":\"%s\","
	    "\"vm_ip\":\"%s\",\"category\":\"%s\",\"severity\":\"%s\","
	    "\"confidence\":\"high\",\"reason\":\"r\",\"evidence\":"
	    "{\"decided_by\":\"ndpi\"}}\n", vm, vm, cat, sev);
}

static void
eve_alert(FILE *fp, const char *vm, const char *cat, const char *sev)
{
	fprintf(fp, "{\"timestamp\":\"2026-11-22T03:03:07.000000+0000\","
	    "\"event_type\":\"alert\",\"alert\":{\"signature\":\"r\","
	    "\"metadata\":{\"verdict_id\":[\"01\"],\"vm\":[\"%s\"],"
	    "\"egressd_category\":[\"%s\"],\"severity\":[\"%s\"],"
	    "\"evidence\":{\"decided_by\":\"heuristic\"}}}}\n", vm, cat, sev);
}

START_TEST(matrix_order)
{
	char path[] = "/tmp/egressd-report-test-XXXXXX";
	struct report_data d;
	size_t order[8], i;
	char err[256];
	const char *want[] = { "miner", "flooder", "busy-p2p", "a-proxy",
	    "b-proxy" };
	FILE *fp;
	int fd;

	fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	fp = fdopen(fd, "w");
	/* busy-p2p: most verdicts, none high. */
	for (i = 0; i < 5; i++)
		native(fp, "busy-p2p", "p2p", "medium");
	native(fp, "b-proxy", "proxy", "medium");
	native(fp, "a-proxy", "proxy", "medium");
	/* flooder: one high verdict; miner: two, one of them from EVE. */
	native(fp, "flooder", "dos", "high");
	native(fp, "flooder", "scan", "medium");
	native(fp, "flooder", "scan", "medium");
	native(fp, "miner", "mining", "high");
	eve_alert(fp, "miner", "bruteforce", "high");
	fputs("not json\n", fp);
	fclose(fp);

	report_data_init(&d);
	ck_assert_int_eq(report_read_file(&d, path, err, sizeof(err)), 0);
	report_data_finish(&d);
	unlink(path);
	ck_assert_uint_eq(d.nvms, 5);
	ck_assert_uint_eq(d.lines_bad, 1);
	ck_assert_uint_eq(d.verdicts, 12);
	report_vm_order(&d, order);
	for (i = 0; i < 5; i++)
		ck_assert_str_eq(d.vms[order[i]].name, want[i]);
	ck_assert_uint_eq(d.vms[order[0]].count[2], 1);	/* bruteforce */
	report_data_free(&d);
}
END_TEST

START_TEST(missing_file)
{
	struct report_data d;
	char err[256];

	report_data_init(&d);
	ck_assert_int_eq(report_read_file(&d, "/nonexistent/ev.json", err,
	    sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "/nonexistent/ev.json"));
	report_data_free(&d);
}
END_TEST

Suite *
report_suite(void)
{
	Suite *s = suite_create("report");
	TCase *tc = tcase_create("report");

	tcase_add_test(tc, escape_html);
	tcase_add_test(tc, parse_times);
	tcase_add_test(tc, matrix_order);
	tcase_add_test(tc, missing_file);
	suite_add_tcase(s, tc);
	return s;
}
