/*
 * fetch_test.c - the fetcher against a real nginx on 127.0.0.1: 200
 * reports stored, then fetched again conditionally (304s in nginx's access
 * log, nothing new stored), then one changed and stored as a new version.
 * Bodies travel gzipped and are stored decoded.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "digest.h"
#include "fetch_env.h"
#include "testutil.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#define NREPORTS 200
#define UA "reportpipe-it/1.0 (+fetch_test)"

static struct fetch_env env;
static char www[PATH_MAX + 8], access_log[PATH_MAX + 16];

static void
report_name(int i, char *out, size_t cap)
{
	snprintf(out, cap, "r%03d.txt", i);
}

static int
write_report(const char *name, const char *variant)
{
	char path[PATH_MAX + 64];
	size_t len;
	char *text = fetch_env_report_text(&env, variant, &len);
	snprintf(path, sizeof(path), "%s/r/%s", www, name);
	int rc = text ? testutil_write_file(path, text, len) : -1;
	chmod(path, 0644);
	free(text);
	return rc;
}

static int
group_setup(void **state)
{
	(void)state;
	if (fetch_env_setup(&env) < 0)
		return -1;
	snprintf(www, sizeof(www), "%s/www", env.dir);
	snprintf(access_log, sizeof(access_log), "%s/access.log", env.dir);
	char dir[PATH_MAX + 16];
	snprintf(dir, sizeof(dir), "%s/r", www);
	if (mkdir(www, 0755) < 0 || mkdir(dir, 0755) < 0)
		return -1;
	for (int i = 1; i <= NREPORTS; i++) {
		char name[32];
		report_name(i, name, sizeof(name));
		if (write_report(name, name) < 0)
			return -1;
	}
	if (fetch_env_nginx_start(&env, www) < 0)
		return -1;

	size_t cap = (size_t)NREPORTS * 128 + 256, at = 0;
	char *sources = malloc(cap);
	if (sources == NULL)
		return -1;
	for (int i = 1; i <= NREPORTS; i++) {
		char name[32];
		report_name(i, name, sizeof(name));
		at += (size_t)snprintf(sources + at, cap - at,
				       "[source \"%.4s\"]\nurl = http://127.0.0.1:%d/r/%s\n", name,
				       env.nginx_port, name);
	}
	int rc = fetch_env_write_config(&env, "nginx",
					"user_agent = " UA "\nper_host_delay_ms = 0\n"
					"per_host_concurrency = 8\nmax_connections = 8\n",
					sources);
	free(sources);
	return rc;
}

static int
group_teardown(void **state)
{
	(void)state;
	fetch_env_teardown(&env);
	return 0;
}

static char *
run_ok(const char *conf, const char *expect)
{
	int rc;
	char *out = fetch_env_run(&env, conf, &rc);
	if (rc != 0 || strstr(out, expect) == NULL)
		fail_msg("run %s exited %d, want 0 and \"%s\":\n%s", conf, rc, expect, out);
	return out;
}

static void
test_first_run_stores_every_report_decoded(void **state)
{
	(void)state;
	free(run_ok("nginx", "stored 200,"));
	assert_int_equal(fetch_env_query_long(&env, "SELECT count(*) FROM documents"), NREPORTS);
	assert_int_equal(fetch_env_query_long(&env, "SELECT count(DISTINCT sha256) FROM documents"),
			 NREPORTS);
	assert_int_equal(fetch_env_query_long(&env,
					      "SELECT count(*) FROM documents WHERE"
					      " etag LIKE 'W/\"%' AND last_modified LIKE '%GMT'"),
			 NREPORTS);

	/* nginx sent every report gzipped; the body stored is the file, byte for byte */
	char *log = fetch_env_read_from(access_log, 0);
	assert_int_equal(
	    fetch_env_count_lines(log, " 200 GET /r/r", "enc=\"gzip\"", "ua=\"" UA "\"", NULL),
	    NREPORTS);
	assert_int_equal(fetch_env_count_lines(log, " GET /robots.txt ", NULL), 1);
	free(log);
	char path[PATH_MAX + 32], sha[DIGEST_HEX_LEN + 1], sql[256];
	size_t len;
	snprintf(path, sizeof(path), "%s/r/r042.txt", www);
	char *file = testutil_read_file(path, &len);
	assert_non_null(file);
	digest_sha256_hex(file, len, sha);
	snprintf(sql, sizeof(sql),
		 "SELECT count(*) FROM documents d JOIN documents_raw r ON r.document_id = d.id"
		 " WHERE d.url LIKE '%%/r/r042.txt' AND d.sha256 = '%s' AND length(r.body) = %zu",
		 sha, len);
	assert_int_equal(fetch_env_query_long(&env, sql), 1);
	free(file);
	assert_int_equal(fetch_env_query_long(&env, "SELECT count(*) FROM documents WHERE"
						    " text LIKE '%（样本 r042.txt）%'"),
			 1);
	assert_int_equal(fetch_env_query_long(&env,
					      "SELECT count(*) FROM ingest_runs WHERE"
					      " status = 'ok' AND stored = 200 AND failed = 0"),
			 1);
}

static void
test_second_run_is_conditional_and_stores_nothing(void **state)
{
	(void)state;
	static const char *const tables[] = {"documents", "documents_raw", "sections", "metrics",
					     "dead_letters"};
	long before[5];
	for (int i = 0; i < 5; i++) {
		char sql[96];
		snprintf(sql, sizeof(sql), "SELECT count(*) FROM %s", tables[i]);
		before[i] = fetch_env_query_long(&env, sql);
	}
	long offset = fetch_env_file_size(access_log);

	struct timespec a, b;
	clock_gettime(CLOCK_MONOTONIC, &a);
	free(run_ok("nginx", "unchanged 200, stored 0, failed 0"));
	clock_gettime(CLOCK_MONOTONIC, &b);

	char *log = fetch_env_read_from(access_log, offset);
	/* every report asked with its stored validators, and nginx said 304 */
	assert_int_equal(fetch_env_count_lines(log, " GET /r/r", NULL), NREPORTS);
	assert_int_equal(fetch_env_count_lines(log, " 304 GET /r/r", "inm=\"W/", "GMT\"", NULL),
			 NREPORTS);
	assert_int_equal(fetch_env_count_lines(log, " 200 GET /r/r", NULL), 0);
	free(log);
	for (int i = 0; i < 5; i++) {
		char sql[96];
		snprintf(sql, sizeof(sql), "SELECT count(*) FROM %s", tables[i]);
		assert_int_equal(fetch_env_query_long(&env, sql), before[i]);
	}
	assert_int_equal(fetch_env_query_long(&env, "SELECT count(*) FROM ingest_runs WHERE"
						    " id = (SELECT max(id) FROM ingest_runs) AND"
						    " fetched = 200 AND unchanged = 200 AND"
						    " stored = 0 AND failed = 0 AND status = 'ok'"),
			 1);
	print_message("second run over %d unchanged reports: %.2f s\n", NREPORTS,
		      (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9);
}

static void
test_changed_report_is_stored_as_a_new_version(void **state)
{
	(void)state;
	assert_int_equal(write_report("r007.txt", "r007.txt, revised"), 0);
	char path[PATH_MAX + 32];
	snprintf(path, sizeof(path), "%s/r/r007.txt", www);
	/* a later mtime, as a republished file has: nginx's validators change */
	struct timespec times[2] = {{time(NULL) + 5, 0}, {time(NULL) + 5, 0}};
	assert_int_equal(utimensat(AT_FDCWD, path, times, 0), 0);
	long offset = fetch_env_file_size(access_log);

	free(run_ok("nginx", "unchanged 199, stored 1, failed 0"));
	char *log = fetch_env_read_from(access_log, offset);
	assert_int_equal(fetch_env_count_lines(log, " 200 GET /r/r007.txt", NULL), 1);
	assert_int_equal(fetch_env_count_lines(log, " 304 GET /r/r", NULL), NREPORTS - 1);
	free(log);

	assert_int_equal(fetch_env_query_long(&env, "SELECT count(*) FROM documents WHERE"
						    " url LIKE '%/r/r007.txt'"),
			 2);
	assert_int_equal(fetch_env_query_long(&env, "SELECT count(*) FROM documents WHERE"
						    " url LIKE '%/r/r007.txt' AND is_current AND"
						    " text LIKE '%（样本 r007.txt, revised）%'"),
			 1);
	assert_int_equal(fetch_env_query_long(&env,
					      "SELECT count(*) FROM documents WHERE"
					      " url LIKE '%/r/r007.txt' AND NOT is_current AND"
					      " text LIKE '%（样本 r007.txt）%'"),
			 1);
	assert_int_equal(fetch_env_query_long(&env, "SELECT count(*) FROM documents"),
			 NREPORTS + 1);
}

/* www/v/rev.txt: a short report whose figures tell its versions apart, with the given mtime. */
static int
write_revert_report(const char *text, time_t mtime)
{
	char path[PATH_MAX + 32];
	snprintf(path, sizeof(path), "%s/v/rev.txt", www);
	struct timespec times[2] = {{mtime, 0}, {mtime, 0}};
	if (testutil_write_file(path, text, strlen(text)) < 0 || chmod(path, 0644) < 0)
		return -1;
	return utimensat(AT_FDCWD, path, times, 0);
}

/* The figures report_metrics shows for rev.txt, "label=value" in label order. */
static char *
revert_figures(void)
{
	char *s =
	    fetch_env_query_str(&env, "SELECT string_agg(label || '=' || value, ' ' ORDER BY label)"
				      " FROM report_metrics WHERE url LIKE '%/v/rev.txt'");
	assert_non_null(s);
	return s;
}

static void
test_report_back_to_an_earlier_version_is_current_again(void **state)
{
	(void)state;
	static const char version_a[] =
	    "某市人民政府关于2024年度法治政府建设工作的报告\n\n一、主要工作\n"
	    "全年办理行政复议案件123件，行政机关负责人出庭应诉率达95%。\n\n"
	    "某市人民政府\n2025年1月20日\n";
	static const char version_b[] =
	    "某市人民政府关于2024年度法治政府建设工作的报告\n\n一、主要工作\n"
	    "全年办理行政复议案件98件，行政机关负责人出庭应诉率达100%。\n\n"
	    "某市人民政府\n2025年1月20日\n";
	static const char figures_a[] = "行政复议案件=123 行政机关负责人出庭应诉率=95";
	char dir[PATH_MAX + 16], source[PATH_MAX], sha_a[DIGEST_HEX_LEN + 1], sql[512];
	snprintf(dir, sizeof(dir), "%s/v", www);
	assert_int_equal(mkdir(dir, 0755), 0);
	snprintf(source, sizeof(source), "[source \"rev\"]\nurl = http://127.0.0.1:%d/v/rev.txt\n",
		 env.nginx_port);
	assert_int_equal(fetch_env_write_config(&env, "revert",
						"user_agent = " UA "\nper_host_delay_ms = 0\n",
						source),
			 0);
	digest_sha256_hex(version_a, strlen(version_a), sha_a);
	/* each version a later mtime, as a republished file has: nginx's validators change */
	time_t t0 = time(NULL) - 3600;

	assert_int_equal(write_revert_report(version_a, t0), 0);
	free(run_ok("revert", "stored 1, failed 0 (parsed 1, duplicates 0)"));
	char *fig = revert_figures();
	assert_string_equal(fig, figures_a);
	free(fig);

	assert_int_equal(write_revert_report(version_b, t0 + 100), 0);
	free(run_ok("revert", "stored 1, failed 0 (parsed 1, duplicates 0)"));
	fig = revert_figures();
	assert_string_not_equal(fig, figures_a);
	free(fig);

	/* the publisher withdraws B: the URL serves A again, and A is the current version */
	assert_int_equal(write_revert_report(version_a, t0 + 200), 0);
	free(run_ok("revert", "unchanged 0, stored 1, failed 0 (parsed 1, duplicates 0)"));
	assert_int_equal(fetch_env_query_long(&env, "SELECT count(*) FROM documents"
						    " WHERE url LIKE '%/v/rev.txt'"),
			 2);
	snprintf(sql, sizeof(sql),
		 "SELECT count(*) FROM documents WHERE url LIKE '%%/v/rev.txt'"
		 " AND is_current AND sha256 = '%s'",
		 sha_a);
	assert_int_equal(fetch_env_query_long(&env, sql), 1);
	fig = revert_figures();
	assert_string_equal(fig, figures_a);
	free(fig);
	/* its validators are what nginx serves now (ETag: mtime and size in hex) */
	snprintf(sql, sizeof(sql),
		 "SELECT count(*) FROM documents WHERE url LIKE '%%/v/rev.txt'"
		 " AND is_current AND etag LIKE '%%\"%llx-%zx\"'",
		 (unsigned long long)(t0 + 200), strlen(version_a));
	assert_int_equal(fetch_env_query_long(&env, sql), 1);

	/* and the next night nothing changed: a 304, no duplicate */
	long offset = fetch_env_file_size(access_log);
	free(run_ok("revert", "unchanged 1, stored 0, failed 0 (parsed 0, duplicates 0)"));
	char *log = fetch_env_read_from(access_log, offset);
	assert_int_equal(fetch_env_count_lines(log, " 304 GET /v/rev.txt", NULL), 1);
	free(log);
	assert_int_equal(fetch_env_query_long(&env, "SELECT count(*) FROM ingest_runs WHERE"
						    " id = (SELECT max(id) FROM ingest_runs) AND"
						    " unchanged = 1 AND duplicates = 0"),
			 1);
	fig = revert_figures();
	assert_string_equal(fig, figures_a);
	free(fig);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_first_run_stores_every_report_decoded),
	    cmocka_unit_test(test_second_run_is_conditional_and_stores_nothing),
	    cmocka_unit_test(test_changed_report_is_stored_as_a_new_version),
	    cmocka_unit_test(test_report_back_to_an_earlier_version_is_current_again),
	};
	return cmocka_run_group_tests_name("fetch (nginx)", tests, group_setup, group_teardown);
}
