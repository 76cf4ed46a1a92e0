/*
 * docs_test.c - every config key the loader accepts is documented in
 * reportpipe.conf(5) and in config/reportpipe.conf.example, and both man
 * pages render without warnings.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "config.h"
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void
test_every_key_in_the_man_page(void **state)
{
	(void)state;
	char *page = testutil_read_file("docs/reportpipe.conf.5", NULL);
	assert_non_null(page);
	int n = 0;
	for (const char *const *k = config_known_keys(); *k; k++, n++) {
		char want[96];
		snprintf(want, sizeof(want), ".It Cm %s ", strchr(*k, '.') + 1);
		if (strstr(page, want) == NULL)
			fail_msg("reportpipe.conf(5) does not document %s (no '%s')", *k, want);
	}
	assert_true(n >= 20);
	free(page);
}

static void
test_every_key_in_the_example(void **state)
{
	(void)state;
	char *ex = testutil_read_file("config/reportpipe.conf.example", NULL);
	assert_non_null(ex);
	for (const char *const *k = config_known_keys(); *k; k++) {
		char want[96];
		/* set, or shown commented out: "key =" at the start of a line or after "; " */
		snprintf(want, sizeof(want), "\n%s =", strchr(*k, '.') + 1);
		char alt[96];
		snprintf(alt, sizeof(alt), "; %s =", strchr(*k, '.') + 1);
		if (strstr(ex, want) == NULL && strstr(ex, alt) == NULL)
			fail_msg("config/reportpipe.conf.example does not show %s", *k);
	}
	free(ex);
}

static void
test_the_example_loads(void **state)
{
	(void)state;
	struct config *cfg = config_load("config/reportpipe.conf.example");
	assert_non_null(cfg);
	config_free(&cfg);
}

static void
expect_clean_render(const char *page)
{
	int rc;
	/* man sends rendering warnings to stderr; the page itself goes to /dev/null */
	char *out = testutil_run(&rc, "{ MANWIDTH=80 man --warnings=w -l %s >/dev/null; }", page);
	if (rc != 0 || out[0] != '\0')
		fail_msg("man -l %s: exit %d, warnings:\n%s", page, rc, out);
	free(out);
}

static void
test_man_pages_render_without_warnings(void **state)
{
	(void)state;
	expect_clean_render("docs/reportpipe.1");
	expect_clean_render("docs/reportpipe.conf.5");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_every_key_in_the_man_page),
	    cmocka_unit_test(test_every_key_in_the_example),
	    cmocka_unit_test(test_the_example_loads),
	    cmocka_unit_test(test_man_pages_render_without_warnings),
	};
	return cmocka_run_group_tests_name("docs", tests, NULL, NULL);
}
