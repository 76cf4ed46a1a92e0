/*
 * fetch_index_test.c - discovery: an index source on faultd with 3 pages of
 * links (and a 4th beyond max_pages) yields exactly the matching reports,
 * on its own host or allow_hosts, never javascript:, mailto:, fragments,
 * other schemes or other hosts; a second run fetches them conditionally
 * with the validators the sink holds for them; a file:// index cannot lead
 * to file:// reports.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "buf.h"
#include "fetch_env.h"
#include "testutil.h"

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct fetch_env env;
static char faultd_log[PATH_MAX + 16];

/* What faultd's index pages 1-3 link to and link_pattern matches, on allowed hosts. */
static const char *const expected[] = {
    "http://127.0.0.1:%d/reports/fz-1.txt",    "http://127.0.0.1:%d/reports/fz-2.txt",
    "http://127.0.0.1:%d/reports/fazhi-3.txt", "http://127.0.0.1:%d/reports/fz-4.txt",
    "http://localhost:%d/reports/fz-5.txt",    "http://127.0.0.1:%d/reports/fazhi-6.txt",
    "http://127.0.0.1:%d/reports/fazhi-7.txt",
};
#define NEXPECTED (sizeof(expected) / sizeof(expected[0]))

static int
group_setup(void **state)
{
	(void)state;
	if (fetch_env_setup(&env) < 0 || fetch_env_faultd_start(&env, 1, NULL, NULL) < 0)
		return -1;
	snprintf(faultd_log, sizeof(faultd_log), "%s/faultd.log", env.dir);
	char sources[1024];
	snprintf(sources, sizeof(sources),
		 "[source \"fazhi-index\"]\n"
		 "index = http://127.0.0.1:%d/index/1.html\n"
		 "link_pattern = 法治政府建设.*报告|/fazhi-[0-9]+\\.txt$\n"
		 "next_pattern = 下一页\n"
		 "max_pages = 3\n"
		 "allow_hosts = localhost\n",
		 env.faultd_ports[0]);
	return fetch_env_write_config(&env, "index", "per_host_delay_ms = 0\n", sources);
}

static int
group_teardown(void **state)
{
	(void)state;
	fetch_env_teardown(&env);
	return 0;
}

/* The requests faultd logged from offset on, as "STATUS PATH" lines. */
static char *
requests_since(long offset)
{
	char *text = fetch_env_read_from(faultd_log, offset);
	struct buf b = {0};
	for (char *line = text, *nl; line && *line; line = nl) {
		nl = strchr(line, '\n');
		if (nl)
			*nl++ = '\0';
		struct json_object *o = json_tokener_parse(line), *p, *s, *inm;
		if (o && json_object_object_get_ex(o, "path", &p) &&
		    json_object_object_get_ex(o, "status", &s)) {
			json_object_object_get_ex(o, "inm", &inm);
			buf_printf(&b, "%d %s%s\n", json_object_get_int(s),
				   json_object_get_string(p),
				   inm && json_object_get_string(inm) ? " conditional" : "");
		}
		json_object_put(o);
	}
	free(text);
	buf_putc(&b, '\0');
	return buf_take(&b);
}

static void
test_index_pages_discover_exactly_the_matching_reports(void **state)
{
	(void)state;
	int rc, port = env.faultd_ports[0];
	char *out = fetch_env_run(&env, "index", &rc);
	if (rc != 0 || strstr(out, "stored 7,") == NULL)
		fail_msg("index run exited %d, want 0 and 7 stored:\n%s", rc, out);
	free(out);

	assert_int_equal(fetch_env_query_long(&env, "SELECT count(*) FROM documents"), NEXPECTED);
	for (size_t i = 0; i < NEXPECTED; i++) {
		char url[256], sql[512];
		snprintf(url, sizeof(url), expected[i], port);
		snprintf(sql, sizeof(sql),
			 "SELECT count(*) FROM documents d JOIN sources s ON s.id = d.source_id"
			 " WHERE d.url = '%s' AND s.name = 'fazhi-index' AND"
			 " s.url = 'http://127.0.0.1:%d/index/1.html'",
			 url, port);
		if (fetch_env_query_long(&env, sql) != 1)
			fail_msg("%s was not discovered and stored", url);
	}

	char *reqs = requests_since(0);
	/* pages 1-3, each once; page 4 is past max_pages */
	assert_int_equal(fetch_env_count_lines(reqs, "200 /index/1.html", NULL), 1);
	assert_int_equal(fetch_env_count_lines(reqs, "200 /index/2.html", NULL), 1);
	assert_int_equal(fetch_env_count_lines(reqs, "200 /index/3.html", NULL), 1);
	assert_int_equal(fetch_env_count_lines(reqs, "/index/4.html", NULL), 0);
	/* only the matching reports were asked for, each once, and nothing else */
	assert_int_equal(fetch_env_count_lines(reqs, " /reports/", NULL), (int)NEXPECTED);
	assert_int_equal(fetch_env_count_lines(reqs, "other-", NULL), 0);
	assert_int_equal(fetch_env_count_lines(reqs, "fz-8", NULL), 0);
	assert_int_equal(fetch_env_count_lines(reqs, "/index/fz-6.txt", NULL), 0);
	free(reqs);
	assert_int_equal(fetch_env_query_long(&env, "SELECT count(*) FROM dead_letters"), 0);
}

static void
test_second_index_run_uses_stored_validators(void **state)
{
	(void)state;
	long offset = fetch_env_file_size(faultd_log);
	int rc;
	char *out = fetch_env_run(&env, "index", &rc);
	if (rc != 0 || strstr(out, "unchanged 7, stored 0, failed 0") == NULL)
		fail_msg("second index run exited %d, want everything unchanged:\n%s", rc, out);
	free(out);
	char *reqs = requests_since(offset);
	/* the sink's validators for discovered URLs made every request conditional: 304s */
	assert_int_equal(fetch_env_count_lines(reqs, "304 /reports/", "conditional", NULL),
			 (int)NEXPECTED);
	assert_int_equal(fetch_env_count_lines(reqs, " /reports/", NULL), (int)NEXPECTED);
	free(reqs);
	assert_int_equal(fetch_env_query_long(&env, "SELECT count(*) FROM documents"), NEXPECTED);
}

static void
test_file_index_leads_only_to_http_links(void **state)
{
	(void)state;
	int port = env.faultd_ports[0];
	char page[PATH_MAX + 32], html[1024], sources[PATH_MAX + 320];
	snprintf(page, sizeof(page), "%s/local-index.html", env.dir);
	snprintf(html, sizeof(html),
		 "<html><body>"
		 "<a href=\"file:///etc/passwd\">法治政府建设报告 1</a>"
		 "<a href=\"local-report.txt\">法治政府建设报告 2</a>"
		 "<a href=\"http://127.0.0.1:%d/reports/fz-20.txt\">法治政府建设报告 3</a>"
		 "</body></html>",
		 port);
	assert_int_equal(testutil_write_file(page, html, strlen(html)), 0);
	char local[PATH_MAX + 32];
	snprintf(local, sizeof(local), "%s/local-report.txt", env.dir);
	assert_int_equal(testutil_write_file(local, "x", 1), 0);
	snprintf(sources, sizeof(sources),
		 "[source \"local-index\"]\nindex = file://%s\nlink_pattern = 法治政府建设\n"
		 "allow_hosts = 127.0.0.1\n",
		 page);
	assert_int_equal(
	    fetch_env_write_config(&env, "file-index", "per_host_delay_ms = 0\n", sources), 0);
	int rc;
	char *out = fetch_env_run(&env, "file-index", &rc);
	if (rc != 0 || strstr(out, "stored 1,") == NULL)
		fail_msg("file index run exited %d, want 0 and 1 stored:\n%s", rc, out);
	free(out);
	assert_int_equal(fetch_env_query_long(&env, "SELECT count(*) FROM documents d JOIN sources"
						    " s ON s.id = d.source_id WHERE"
						    " s.name = 'local-index'"),
			 1);
	assert_int_equal(fetch_env_query_long(&env, "SELECT count(*) FROM documents WHERE"
						    " url LIKE 'file:%'"),
			 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_index_pages_discover_exactly_the_matching_reports),
	    cmocka_unit_test(test_second_index_run_uses_stored_validators),
	    cmocka_unit_test(test_file_index_leads_only_to_http_links),
	};
	return cmocka_run_group_tests_name("fetch (index)", tests, group_setup, group_teardown);
}
