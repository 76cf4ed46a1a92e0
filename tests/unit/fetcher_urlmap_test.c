/*
 * fetcher_urlmap_test.c - the one URL map the fetcher keeps its per-URL
 * facts in: a set (seen), and URL -> text (url_source, link_texts).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "fetcher_urlmap.h"

#include <stdio.h>
#include <string.h>

static void
test_add_is_true_once(void **state)
{
	(void)state;
	struct fetcher_urlmap *m = fetcher_urlmap_new();
	assert_int_equal(fetcher_urlmap_add(m, "http://a/1"), 1);
	assert_int_equal(fetcher_urlmap_add(m, "http://a/1"), 0);
	assert_int_equal(fetcher_urlmap_add(m, "http://a/2"), 1);
	assert_string_equal(fetcher_urlmap_get(m, "http://a/1"), "");
	assert_null(fetcher_urlmap_get(m, "http://a/3"));
	fetcher_urlmap_free(&m);
	assert_null(m);
	fetcher_urlmap_free(&m); /* twice is fine */
}

static void
test_put_copies_and_replaces(void **state)
{
	(void)state;
	struct fetcher_urlmap *m = fetcher_urlmap_new();
	char url[64], text[64];
	snprintf(url, sizeof(url), "http://a/r.pdf");
	snprintf(text, sizeof(text), "2023年政府信息公开工作年度报告");
	fetcher_urlmap_put(m, url, text);
	memset(url, 'x', sizeof(url) - 1);
	memset(text, 'y', sizeof(text) - 1);
	assert_string_equal(fetcher_urlmap_get(m, "http://a/r.pdf"),
			    "2023年政府信息公开工作年度报告");
	fetcher_urlmap_put(m, "http://a/r.pdf", "source b");
	assert_string_equal(fetcher_urlmap_get(m, "http://a/r.pdf"), "source b");
	fetcher_urlmap_put(m, "http://a/none", NULL);
	assert_string_equal(fetcher_urlmap_get(m, "http://a/none"), "");
	assert_int_equal(fetcher_urlmap_add(m, "http://a/r.pdf"), 0);
	fetcher_urlmap_free(&m);
}

/* Many URLs: every one is found again with its own text. */
static void
test_many_urls(void **state)
{
	(void)state;
	struct fetcher_urlmap *m = fetcher_urlmap_new();
	char url[64], text[32];
	for (int i = 0; i < 20000; i++) {
		snprintf(url, sizeof(url), "http://h%d/r/%d.html", i % 37, i);
		snprintf(text, sizeof(text), "t%d", i);
		fetcher_urlmap_put(m, url, text);
	}
	for (int i = 0; i < 20000; i++) {
		snprintf(url, sizeof(url), "http://h%d/r/%d.html", i % 37, i);
		snprintf(text, sizeof(text), "t%d", i);
		assert_string_equal(fetcher_urlmap_get(m, url), text);
	}
	fetcher_urlmap_free(&m);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_add_is_true_once),
	    cmocka_unit_test(test_put_copies_and_replaces),
	    cmocka_unit_test(test_many_urls),
	};
	return cmocka_run_group_tests_name("fetcher url map", tests, NULL, NULL);
}
