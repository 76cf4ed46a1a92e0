/*
 * gold_test.c - the parser against hand-checked answers, scored by
 * ../shared/tools/score-parse: the seed's gold in ../shared/fixtures/gold and
 * the project's own in tests/gold. Reports are read from ../shared; their
 * text is never copied into the project.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define REPORTS "../shared/fixtures/reports/"
#define SCORER "../shared/tools/score-parse"

struct score {
	double sections_f1, metrics_f1, qualifier_acc, label_acc;
	int meta;
};

static struct score
score_report(const char *report, const char *gold)
{
	struct score s = {0};
	int rc;
	char *out = testutil_run(&rc, "%s parse --format json %s%s.txt | python3 %s %s -",
				 testutil_bin(), REPORTS, report, SCORER, gold);
	const char *line = strstr(out, "score: ");
	if (rc != 0 || line == NULL ||
	    sscanf(line,
		   "score: sections_f1=%lf metrics_f1=%lf qualifier_acc=%lf label_acc=%lf meta=%d/4",
		   &s.sections_f1, &s.metrics_f1, &s.qualifier_acc, &s.label_acc, &s.meta) != 5)
		fail_msg("scoring %s failed (exit %d):\n%s", report, rc, out);
	print_message("%s: %s", report, line);
	free(out);
	return s;
}

static void
test_seed_report(void **state)
{
	(void)state;
	struct score s = score_report("shaoguan-2020-fazhi",
				      "../shared/fixtures/gold/shaoguan-2020-fazhi.json");
	assert_true(s.sections_f1 >= 0.9995);
	assert_true(s.metrics_f1 >= 0.95);
	assert_true(s.qualifier_acc >= 0.95);
	assert_true(s.label_acc >= 0.85);
	assert_int_equal(s.meta, 4);
}

static void
expect_genre(const char *report)
{
	char gold[256];
	snprintf(gold, sizeof(gold), "tests/gold/%s.json", report);
	struct score s = score_report(report, gold);
	assert_true(s.sections_f1 >= 0.9);
	assert_true(s.metrics_f1 >= 0.9);
}

static void
test_statistical_communique(void **state)
{
	(void)state;
	expect_genre("pingtan-2012-tjgb");
}

static void
test_open_government_report_2023(void **state)
{
	(void)state;
	expect_genre("pingtan-2023-xxgk-nianbao");
}

static void
test_open_government_report_2011(void **state)
{
	(void)state;
	expect_genre("pingtanxian-2011-xxgk-nianbao");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_seed_report),
		cmocka_unit_test(test_statistical_communique),
		cmocka_unit_test(test_open_government_report_2023),
		cmocka_unit_test(test_open_government_report_2011),
	};
	return cmocka_run_group_tests_name("gold", tests, NULL, NULL);
}
