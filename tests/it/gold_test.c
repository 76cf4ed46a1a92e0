/*
 * gold_test.c - the parser against hand-checked answers, scored by
 * ../shared/tools/score-parse: the seed's gold in ../shared/fixtures/gold and
 * the project's own in tests/gold (the archive reports) and tests/gold/corpus
 * (the State Council's work reports). Reports are read from ../shared; their
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
#define CORPUS "../shared/fixtures/corpus/guowuyuan/"
#define SCORER "../shared/tools/score-parse"

/*
 * The thresholds of issues 13 and 14 ("Done when"), asserted on every gold
 * file: the seed, tests/gold and tests/gold/corpus.
 */
enum field { F_SECTIONS, F_METRICS, F_MEASURE, F_SIGN, F_TARGET, F_YEAR, F_LABEL, F_KEY, F_COUNT };

static const struct {
	const char *key; /* as score-parse prints it */
	double min;
} fields[F_COUNT] = {
    [F_SECTIONS] = {"sections_f1", 0.9995}, [F_METRICS] = {"metrics_f1", 0.97},
    [F_MEASURE] = {"measure_acc", 0.95},    [F_SIGN] = {"sign_acc", 0.95},
    [F_TARGET] = {"target_acc", 0.95},	    [F_YEAR] = {"year_acc", 0.95},
    [F_LABEL] = {"label_f1", 0.90},	    [F_KEY] = {"key_acc", 0.95},
};

struct score {
	double v[F_COUNT];
	int has[F_COUNT];
	double qualifier_acc, label_acc;
	int meta, doc; /* meta=N/4, doc=N/3 (genre, region_code, region_name) */
};

/* Parse "key=value" out of the scorer's last line. */
static int
score_get(const char *line, const char *key, double *v)
{
	char pat[64];
	snprintf(pat, sizeof(pat), " %s=", key);
	const char *p = strstr(line, pat);
	return p != NULL && sscanf(p + strlen(pat), "%lf", v) == 1;
}

static struct score
score_report(const char *report_path, const char *gold)
{
	struct score s = {0};
	int rc;
	char *out = testutil_run(&rc, "%s parse --format json %s | python3 %s %s -", testutil_bin(),
				 report_path, SCORER, gold);
	const char *line = strstr(out, "score: ");
	if (rc != 0 || line == NULL ||
	    sscanf(
		line,
		"score: sections_f1=%lf metrics_f1=%lf qualifier_acc=%lf label_acc=%lf meta=%d/4",
		&s.v[F_SECTIONS], &s.v[F_METRICS], &s.qualifier_acc, &s.label_acc, &s.meta) != 5)
		fail_msg("scoring %s failed (exit %d):\n%s", report_path, rc, out);
	s.has[F_SECTIONS] = s.has[F_METRICS] = 1;
	for (int f = F_MEASURE; f < F_COUNT; f++)
		s.has[f] = score_get(line, fields[f].key, &s.v[f]);
	const char *doc = strstr(line, " doc=");
	if (doc == NULL || sscanf(doc, " doc=%d/3", &s.doc) != 1)
		s.doc = -1;
	print_message("%s: %s", report_path, line);
	free(out);
	return s;
}

/* Assert every threshold, and that genre, region code and region name are right. */
static void
expect_thresholds(const char *name, const struct score *s)
{
	for (int f = 0; f < F_COUNT; f++) {
		if (!s->has[f])
			fail_msg("%s: the gold has no %s to score", name, fields[f].key);
		if (s->v[f] < fields[f].min)
			fail_msg("%s: %s=%.3f, below %.3f", name, fields[f].key, s->v[f],
				 fields[f].min);
	}
	if (s->doc != 3)
		fail_msg("%s: doc=%d/3 (genre, region_code, region_name)", name, s->doc);
}

static void
test_seed_report(void **state)
{
	(void)state;
	struct score s = score_report(REPORTS "shaoguan-2020-fazhi.txt",
				      "../shared/fixtures/gold/shaoguan-2020-fazhi.json");
	expect_thresholds("shaoguan-2020-fazhi", &s);
	assert_true(s.qualifier_acc >= 0.95);
	assert_true(s.label_acc >= 0.85);
	assert_int_equal(s.meta, 4);
}

/* The report in dir and its gold in tests/gold/gold_dir, scored against the thresholds. */
static void
expect_gold(const char *dir, const char *gold_dir, const char *report)
{
	char path[256], gold[256];
	snprintf(path, sizeof(path), "%s%s.txt", dir, report);
	snprintf(gold, sizeof(gold), "tests/gold/%s%s.json", gold_dir, report);
	struct score s = score_report(path, gold);
	expect_thresholds(report, &s);
}

static void
test_statistical_communique(void **state)
{
	(void)state;
	expect_gold(REPORTS, "", "pingtan-2012-tjgb");
}

static void
test_open_government_report_2023(void **state)
{
	(void)state;
	expect_gold(REPORTS, "", "pingtan-2023-xxgk-nianbao");
}

static void
test_open_government_report_2011(void **state)
{
	(void)state;
	expect_gold(REPORTS, "", "pingtanxian-2011-xxgk-nianbao");
}

static void
test_work_report_2003(void **state)
{
	(void)state;
	expect_gold(CORPUS, "corpus/", "guowuyuan-2003-zfgzbg");
}

static void
test_work_report_2013(void **state)
{
	(void)state;
	expect_gold(CORPUS, "corpus/", "guowuyuan-2013-zfgzbg");
}

static void
test_work_report_2024(void **state)
{
	(void)state;
	expect_gold(CORPUS, "corpus/", "guowuyuan-2024-zfgzbg");
}

/*
 * The held-out series: every report of the corpus that states GDP growth,
 * 43 results and targets from 2002 to 2024 (tests/gold/corpus/gdp-growth.tsv),
 * must come out with the right value, measure, target flag and year, all of them.
 */
static void
test_gdp_series(void **state)
{
	(void)state;
	int rc, matched = 0, total = 0;
	char *out = testutil_run(&rc, "python3 tests/it/gdp_series.py %s %s %s", testutil_bin(),
				 "tests/gold/corpus/gdp-growth.tsv", CORPUS);
	const char *line = strstr(out, "gdp: ");
	if (rc != 0 || line == NULL ||
	    sscanf(line, "gdp: matched=%d total=%d", &matched, &total) != 2)
		fail_msg("gdp_series.py failed (exit %d):\n%s", rc, out);
	print_message("%s", out);
	free(out);
	assert_true(total >= 40);
	assert_int_equal(matched, total);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_seed_report),
	    cmocka_unit_test(test_statistical_communique),
	    cmocka_unit_test(test_open_government_report_2023),
	    cmocka_unit_test(test_open_government_report_2011),
	    cmocka_unit_test(test_work_report_2003),
	    cmocka_unit_test(test_work_report_2013),
	    cmocka_unit_test(test_work_report_2024),
	    cmocka_unit_test(test_gdp_series),
	};
	return cmocka_run_group_tests_name("gold", tests, NULL, NULL);
}
