/*
 * formats_gold_test.c - the seed report as it is published (a GBK CMS page,
 * an old UTF-8 page, a PDF, a DOCX: tests/fixtures/formats) through
 * `reportpipe parse --format json`, scored by ../shared/tools/score-parse
 * against the seed's gold. Each rendition must score within 0.02 of the
 * plain text on sections and metrics, with all four metadata fields right.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "testutil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SEED_TXT "../shared/fixtures/reports/shaoguan-2020-fazhi.txt"
#define GOLD "../shared/fixtures/gold/shaoguan-2020-fazhi.json"
#define SCORER "../shared/tools/score-parse"
#define RENDITION "tests/fixtures/formats/shaoguan-2020-fazhi"

struct score {
	double sections_f1, metrics_f1;
	int meta;
};

static struct score
score_file(const char *path, const char *content_type)
{
	struct score s = {0};
	double q, l;
	int rc;
	char ct[160] = "";

	if (content_type)
		snprintf(ct, sizeof(ct), "--content-type '%s' ", content_type);
	char *out = testutil_run(&rc, "%s parse --format json %s%s | python3 %s %s -",
				 testutil_bin(), ct, path, SCORER, GOLD);
	const char *line = strstr(out, "score: ");
	if (rc != 0 || line == NULL ||
	    sscanf(
		line,
		"score: sections_f1=%lf metrics_f1=%lf qualifier_acc=%lf label_acc=%lf meta=%d/4",
		&s.sections_f1, &s.metrics_f1, &q, &l, &s.meta) != 5) {
		char why[2048];
		snprintf(why, sizeof(why), "scoring %s failed (exit %d):\n%.1800s", path, rc, out);
		free(out);
		fail_msg("%s", why);
	}
	print_message("%s: %s", path, line);
	free(out);
	return s;
}

static void
expect_like_plain_text(const char *path, const char *content_type)
{
	struct score plain = score_file(SEED_TXT, NULL);
	struct score s = score_file(path, content_type);

	assert_true(fabs(s.sections_f1 - plain.sections_f1) <= 0.02);
	assert_true(fabs(s.metrics_f1 - plain.metrics_f1) <= 0.02);
	assert_int_equal(s.meta, 4);
}

static void
test_plain_text(void **state)
{
	(void)state;
	struct score s = score_file(SEED_TXT, NULL);
	assert_true(s.sections_f1 >= 0.9995);
	assert_true(s.metrics_f1 >= 0.9995);
	assert_int_equal(s.meta, 4);
}

static void
test_gbk_cms_page(void **state)
{
	(void)state;
	expect_like_plain_text(RENDITION ".gbk.html", NULL);
	/* served as a fetcher sees it, with the charset in the header */
	expect_like_plain_text(RENDITION ".gbk.html", "text/html; charset=GBK");
}

static void
test_utf8_page_without_charset(void **state)
{
	(void)state;
	expect_like_plain_text(RENDITION ".utf8.html", NULL);
}

static void
test_pdf(void **state)
{
	(void)state;
	expect_like_plain_text(RENDITION ".pdf", NULL);
	expect_like_plain_text(RENDITION ".pdf", "application/pdf");
}

static void
test_docx(void **state)
{
	(void)state;
	expect_like_plain_text(RENDITION ".docx", NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_plain_text),
	    cmocka_unit_test(test_gbk_cms_page),
	    cmocka_unit_test(test_utf8_page_without_charset),
	    cmocka_unit_test(test_pdf),
	    cmocka_unit_test(test_docx),
	};
	return cmocka_run_group_tests_name("formats_gold", tests, NULL, NULL);
}
