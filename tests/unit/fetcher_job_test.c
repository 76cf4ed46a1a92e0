/*
 * fetcher_job_test.c - the job header carries every per-source parse option.
 *
 * content_xpath was parsed from the config, documented and tested in the
 * parser, and never sent to a worker. These tests fail when a field of
 * struct source_parse has no entry in fetcher_job_options[], and when
 * fetcher_job_header leaves out any option listed there.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "config.h"
#include "fetcher_jobs.h"
#include "proto.h"

#include <stdio.h>
#include <string.h>

/* The header's string under key, or NULL. */
static const char *
hdr_str(struct json_object *h, const char *key)
{
	struct json_object *v;
	if (!json_object_object_get_ex(h, key, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

static long long
hdr_int(struct json_object *h, const char *key)
{
	struct json_object *v;
	assert_true(json_object_object_get_ex(h, key, &v));
	return json_object_get_int64(v);
}

/* Point option k of p at s. */
static void
option_set(struct source_parse *p, size_t k, char *s)
{
	memcpy((char *)p + fetcher_job_options[k].offset, &s, sizeof(s));
}

static void
test_every_parse_option_is_listed(void **state)
{
	(void)state;
	/* every field of struct source_parse is a char *, each one listed once */
	assert_int_equal(sizeof(struct source_parse), fetcher_job_noptions * sizeof(char *));
	for (size_t k = 0; k < fetcher_job_noptions; k++) {
		assert_int_equal(fetcher_job_options[k].offset % sizeof(char *), 0);
		for (size_t o = 0; o < k; o++) {
			assert_int_not_equal(fetcher_job_options[k].offset,
					     fetcher_job_options[o].offset);
			assert_string_not_equal(fetcher_job_options[k].key,
						fetcher_job_options[o].key);
		}
	}
	/* the one the parser reads today */
	int found = 0;
	for (size_t k = 0; k < fetcher_job_noptions; k++)
		found += strcmp(fetcher_job_options[k].key, PROTO_KEY_CONTENT_XPATH) == 0;
	assert_int_equal(found, 1);
}

static void
test_job_header_carries_every_parse_option(void **state)
{
	(void)state;
	char values[16][48];
	struct source srcs[2] = {{.name = "other"}, {.name = "city"}};
	assert_true(fetcher_job_noptions <= 16);
	for (size_t k = 0; k < fetcher_job_noptions; k++) {
		snprintf(values[k], sizeof(values[k]), "//div[@id='opt%zu']", k);
		option_set(&srcs[1].parse, k, values[k]);
		option_set(&srcs[0].parse, k, "//wrong-source");
	}
	struct config cfg = {.sources = srcs, .nsources = 2, .parse_timeout_ms = 1234};
	struct fetcher_job_lease l = {.run = "run-a", .run_id = 42, .attempts = 2};

	struct json_object *h = fetcher_job_header(
	    &cfg, "{\"url\":\"http://gov.example/r.html\",\"source\":\"city\",\"key\":\"k1\"}", &l);
	for (size_t k = 0; k < fetcher_job_noptions; k++) {
		const char *got = hdr_str(h, fetcher_job_options[k].key);
		if (got == NULL)
			fail_msg("the job header lacks the parse option '%s'",
				 fetcher_job_options[k].key);
		assert_string_equal(got, values[k]);
	}
	/* the spool header stays as it was, with the lease's fields added */
	assert_string_equal(hdr_str(h, PROTO_KEY_URL), "http://gov.example/r.html");
	assert_string_equal(hdr_str(h, PROTO_KEY_KEY), "k1");
	assert_string_equal(hdr_str(h, PROTO_KEY_RUN), "run-a");
	assert_int_equal(hdr_int(h, PROTO_KEY_RUN_ID), 42);
	assert_int_equal(hdr_int(h, PROTO_KEY_ATTEMPTS), 2);
	assert_int_equal(hdr_int(h, PROTO_KEY_PARSE_TIMEOUT_MS), 1234);
	json_object_put(h);
}

static void
test_unset_options_and_unknown_sources_send_none(void **state)
{
	(void)state;
	struct source src = {.name = "city"}; /* no option set */
	struct config cfg = {.sources = &src, .nsources = 1, .parse_timeout_ms = 10};
	struct fetcher_job_lease l = {.run = "r", .run_id = 1, .attempts = 1};
	const char *spooled[] = {
	    "{\"url\":\"u\",\"source\":\"city\"}", /* the source, with nothing set */
	    "{\"url\":\"u\",\"source\":\"gone\"}", /* a source no longer configured */
	    "{\"url\":\"u\"}",			   /* no source named */
	    "[1,2]",				   /* damaged */
	    NULL,
	};
	for (size_t i = 0; i < sizeof(spooled) / sizeof(spooled[0]); i++) {
		struct json_object *h = fetcher_job_header(&cfg, spooled[i], &l);
		assert_true(json_object_is_type(h, json_type_object));
		for (size_t k = 0; k < fetcher_job_noptions; k++)
			assert_false(
			    json_object_object_get_ex(h, fetcher_job_options[k].key, NULL));
		assert_int_equal(hdr_int(h, PROTO_KEY_ATTEMPTS), 1);
		json_object_put(h);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_every_parse_option_is_listed),
	    cmocka_unit_test(test_job_header_carries_every_parse_option),
	    cmocka_unit_test(test_unset_options_and_unknown_sources_send_none),
	};
	return cmocka_run_group_tests_name("fetcher job header", tests, NULL, NULL);
}
