/*
 * operator_test.c - checking before running (issue 15): `check` exits 0 on
 * the example config pointed at the test cluster, 78 on bad configs, 75
 * when the database is down; `links` prints what an index page's
 * link_pattern keeps and drops, and why, fetching no report and storing
 * nothing; `run --dry-run` fetches and parses but stores no row; `run
 * --source` fetches only that source; `parse URL` fetches with the
 * fetcher's rules. Real faultd on 127.0.0.1, a real cluster (fetch_env.c).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "buf.h"
#include "fetch_env.h"
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct fetch_env env;
static char faultd_log[PATH_MAX + 16];
static int port;

static int
group_setup(void **state)
{
	(void)state;
	if (fetch_env_setup(&env) < 0 || fetch_env_faultd_start(&env, 2, NULL, NULL) < 0)
		return -1;
	port = env.faultd_ports[0];
	snprintf(faultd_log, sizeof(faultd_log), "%s/faultd.log", env.dir);
	char sources[1024];
	snprintf(sources, sizeof(sources),
		 "[source \"fazhi-index\"]\n"
		 "index = http://127.0.0.1:%d/index/1.html\n"
		 "link_pattern = 法治政府建设.*报告|/fazhi-[0-9]+\\.txt$\n"
		 "next_pattern = 下一页\n"
		 "max_pages = 3\n"
		 "allow_hosts = localhost:%d\n"
		 "[source \"single\"]\n"
		 "url = http://127.0.0.1:%d/reports/single.txt\n",
		 port, port, port);
	if (fetch_env_write_config(&env, "ops", "per_host_delay_ms = 0\n", sources) < 0)
		return -1;
	/* the schema, as a first run would make it: the commands below only read it */
	int rc;
	free(testutil_run(&rc, "%s db migrate -c %s/ops.conf", testutil_bin(), env.dir));
	return rc == 0 ? 0 : -1;
}

static int
group_teardown(void **state)
{
	(void)state;
	fetch_env_teardown(&env);
	return 0;
}

/* `reportpipe ARGS` (at most 120 s): its output (caller frees) and exit code. */
static char *
rp(int *rc, const char *args)
{
	return testutil_run(rc, "timeout -k 10 120 %s %s", testutil_bin(), args);
}

static long
rows(const char *table)
{
	char sql[128];
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM %s", table);
	return fetch_env_query_long(&env, sql);
}

/* Fail unless out contains needle (formatted with the faultd port where it says %d). */
static void
assert_has(const char *out, const char *fmt)
{
	char needle[512];
	snprintf(needle, sizeof(needle), fmt, port);
	if (strstr(out, needle) == NULL)
		fail_msg("missing \"%s\" in:\n%s", needle, out);
}

static void
test_check_example_config(void **state)
{
	(void)state;
	size_t len;
	char *text = testutil_read_file("config/reportpipe.conf.example", &len);
	assert_non_null(text);
	struct buf b = {0};
	for (char *line = text, *nl; line && *line; line = nl) {
		nl = strchr(line, '\n');
		if (nl)
			*nl++ = '\0';
		if (strcmp(line, "conninfo =") == 0)
			buf_printf(&b, "conninfo = %s\n", env.conninfo);
		else if (strncmp(line, "state_dir =", 11) == 0)
			buf_printf(&b, "state_dir = %s/state\n", env.dir);
		else
			buf_printf(&b, "%s\n", line);
	}
	free(text);
	char path[PATH_MAX + 32], args[PATH_MAX + 64];
	snprintf(path, sizeof(path), "%s/example.conf", env.dir);
	assert_int_equal(testutil_write_file(path, b.data, b.len), 0);
	buf_release(&b);

	int rc;
	snprintf(args, sizeof(args), "check -c %s", path);
	char *out = rp(&rc, args);
	if (rc != 0)
		fail_msg("check on the example config exited %d:\n%s", rc, out);
	assert_has(out, "source \"shaoguan-2020-fazhi\"");
	assert_has(out, "database: reachable");
	free(out);

	/* an index source shows what it would fetch */
	snprintf(args, sizeof(args), "check -c %s/ops.conf", env.dir);
	out = rp(&rc, args);
	assert_int_equal(rc, 0);
	assert_has(out, "index         http://127.0.0.1:%d/index/1.html");
	assert_has(out, "max_pages     3");
	assert_has(out, "max_links     1000");
	assert_has(out, "allow_hosts   localhost:%d");
	assert_has(out, "url           http://127.0.0.1:%d/reports/single.txt");
	free(out);
	assert_int_equal(rows("ingest_runs"), 0);
}

static void
test_check_bad_configs_exit_78(void **state)
{
	(void)state;
	/* the bad cases of tests/unit/config_test.c, one of each kind */
	static const char *const bad[] = {
	    "[pipeline]\nwrokers = 2\n",
	    "[databse]\nconninfo = x\n",
	    "[pipeline]\nworkers = 1\njust some words\n",
	    "[pipeline\nworkers = 1\n",
	    "[pipeline]\nworkers = 0\n",
	    "[fetch]\nmax_bytes = 64 MiBs\n",
	    "[fetch]\ntimeout_ms = 1e3\n",
	    "workers = +2\n",
	    "[source \"s\"]\nurl = http://example.org/\nindex = http://example.org/\n",
	    "[source \"s\"]\nindex = http://example.org/\n",
	    "[source \"s\"]\nindex = http://example.org/\nlink_pattern = (报告\n",
	    "[source \"f\"]\nurl = ftp://example.org/report.txt\n",
	    "[source \"m\"]\nurl = not a url\n",
	    "[source \"forgotten\"]\n[pipeline]\nworkers = 2\n",
	    "[source \"a\"]\nurl = http://a.example/\ncontent_xpath = //div[\n",
	    "[fetch]\nca_file = /nonexistent/ca.pem\n",
	    "[source \"s\"]\nindex = http://a.example/\nlink_pattern = x\nallow_hosts = "
	    "a..example\n",
	    "[source \"a\"]\nurl = http://a.example/\n[source \"a\"]\nurl = http://a.example/\n",
	    "[pipeline]\nstate_dir = \xff\xfe\n",
	};
	char path[PATH_MAX + 32], args[PATH_MAX + 64];
	snprintf(path, sizeof(path), "%s/bad.conf", env.dir);
	snprintf(args, sizeof(args), "check -c %s", path);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct buf b = {0};
		buf_printf(&b, "[database]\nconninfo = %s\n%s", env.conninfo, bad[i]);
		assert_int_equal(testutil_write_file(path, b.data, b.len), 0);
		buf_release(&b);
		int rc;
		char *out = rp(&rc, args);
		if (rc != 78)
			fail_msg("check exited %d, want 78, on:\n%s\noutput:\n%s", rc, bad[i], out);
		free(out);
	}
	/* a file that is not there */
	int rc;
	free(rp(&rc, "check -c /nonexistent/reportpipe.conf"));
	assert_int_equal(rc, 78);
}

static void
test_check_database_down_exits_75(void **state)
{
	(void)state;
	char path[PATH_MAX + 32], args[PATH_MAX + 64];
	snprintf(path, sizeof(path), "%s/down.conf", env.dir);
	char port_free[512];
	snprintf(port_free, sizeof(port_free),
		 "[database]\nconninfo = host=127.0.0.1 port=%d dbname=x connect_timeout=2\n"
		 "[source \"s\"]\nurl = http://a.example/\n",
		 fetch_env_free_port());
	assert_int_equal(testutil_write_file(path, port_free, strlen(port_free)), 0);
	snprintf(args, sizeof(args), "check -c %s", path);
	int rc;
	char *out = rp(&rc, args);
	if (rc != 75)
		fail_msg("check with the database down exited %d, want 75:\n%s", rc, out);
	assert_has(out, "database: unreachable");
	free(out);
}

static void
test_links_keeps_and_drops_with_reasons(void **state)
{
	(void)state;
	long offset = fetch_env_file_size(faultd_log);
	char args[PATH_MAX + 64];
	snprintf(args, sizeof(args), "links -c %s/ops.conf fazhi-index", env.dir);
	int rc;
	char *out = rp(&rc, args);
	if (rc != 0)
		fail_msg("links exited %d:\n%s", rc, out);
	assert_has(out, "page 1 http://127.0.0.1:%d/index/1.html");
	assert_has(out, "page 3 http://127.0.0.1:%d/index/3.html");
	assert_has(out, "keep http://127.0.0.1:%d/reports/fz-1.txt  2020年法治政府建设工作报告");
	assert_has(out, "keep http://localhost:%d/reports/fz-5.txt");
	assert_has(out, "keep http://127.0.0.1:%d/reports/fazhi-7.txt");
	assert_has(out, "drop http://127.0.0.1:%d/reports/other-1.txt  政府信息公开工作年度报告"
			"  (does not match link_pattern)");
	assert_has(out, "drop http://elsewhere.invalid/reports/fz-9.txt");
	assert_has(out, "(not the index's host and port nor in allow_hosts)");
	assert_has(out, "(not http or https, or malformed)");
	assert_has(out, "next http://127.0.0.1:%d/index/2.html");
	assert_has(out, "(max_pages = 3: the next page is not followed)");
	/* the index pages only: no report was fetched, page 4 not at all */
	char *log = fetch_env_read_from(faultd_log, offset);
	if (strstr(log, "/reports/") || strstr(log, "/index/4.html"))
		fail_msg("links fetched more than index pages 1-3:\n%s", log);
	assert_non_null(strstr(log, "/index/3.html"));
	free(log);
	free(out);
	assert_int_equal(rows("documents"), 0);

	snprintf(args, sizeof(args), "links -c %s/ops.conf nosuch", env.dir);
	free(rp(&rc, args));
	assert_int_equal(rc, 64);
	snprintf(args, sizeof(args), "links -c %s/ops.conf single", env.dir);
	free(rp(&rc, args));
	assert_int_equal(rc, 64);
}

static void
test_dry_run_stores_nothing(void **state)
{
	(void)state;
	char args[PATH_MAX + 64];
	snprintf(args, sizeof(args), "run --dry-run -c %s/ops.conf", env.dir);
	int rc;
	char *out = rp(&rc, args);
	if (rc != 0)
		fail_msg("run --dry-run exited %d:\n%s", rc, out);
	assert_has(out, "new       http://127.0.0.1:%d/reports/single.txt");
	assert_has(out, "new       http://127.0.0.1:%d/reports/fz-1.txt");
	assert_has(out,
		   "dry run: 8 new, 0 new versions, 0 earlier versions, 0 unchanged, 0 failed");
	free(out);
	/* nothing anywhere: no document, no run, no source, no dead letter */
	assert_int_equal(rows("documents"), 0);
	assert_int_equal(rows("documents_raw"), 0);
	assert_int_equal(rows("sources"), 0);
	assert_int_equal(rows("ingest_runs"), 0);
	assert_int_equal(rows("dead_letters"), 0);
}

static void
test_run_source_fetches_only_that_source(void **state)
{
	(void)state;
	long offset = fetch_env_file_size(faultd_log);
	char args[PATH_MAX + 64];
	snprintf(args, sizeof(args), "run --source single -c %s/ops.conf", env.dir);
	int rc;
	char *out = rp(&rc, args);
	if (rc != 0)
		fail_msg("run --source single exited %d:\n%s", rc, out);
	free(out);
	char *log = fetch_env_read_from(faultd_log, offset);
	if (strstr(log, "/index/") || strstr(log, "/reports/fz-"))
		fail_msg("run --source single fetched another source:\n%s", log);
	assert_non_null(strstr(log, "/reports/single.txt"));
	free(log);
	assert_int_equal(rows("documents"), 1);

	/* a dry run now finds that one unchanged, the index's reports still new */
	snprintf(args, sizeof(args), "run --dry-run -c %s/ops.conf", env.dir);
	out = rp(&rc, args);
	assert_int_equal(rc, 0);
	assert_has(out, "unchanged http://127.0.0.1:%d/reports/single.txt");
	assert_has(out, "dry run: 7 new, 0 new versions, 0 earlier versions, 1 unchanged");
	free(out);
	assert_int_equal(rows("documents"), 1);
	assert_int_equal(rows("ingest_runs"), 1);

	snprintf(args, sizeof(args), "run --source nosuch -c %s/ops.conf", env.dir);
	out = rp(&rc, args);
	assert_int_equal(rc, 64);
	assert_has(out, "--source nosuch: no such source");
	free(out);
	assert_int_equal(rows("ingest_runs"), 1);
}

static void
test_parse_url(void **state)
{
	(void)state;
	char args[PATH_MAX + 128];
	snprintf(args, sizeof(args),
		 "parse --format text -c %s/ops.conf http://127.0.0.1:%d/reports/parse-me.txt",
		 env.dir, port);
	int rc;
	char *out = rp(&rc, args);
	if (rc != 0)
		fail_msg("parse URL exited %d:\n%s", rc, out);
	assert_has(out, "title:");
	free(out);
	/* the fetcher's max_bytes holds */
	snprintf(args, sizeof(args),
		 "parse --max-bytes 100 -c %s/ops.conf http://127.0.0.1:%d/reports/parse-me.txt",
		 env.dir, port);
	out = rp(&rc, args);
	if (rc != 65)
		fail_msg("parse URL over max_bytes exited %d, want 65:\n%s", rc, out);
	free(out);
	/* nothing listens there: a passing failure */
	snprintf(args, sizeof(args), "parse -c %s/ops.conf http://127.0.0.1:%d/reports/x.txt",
		 env.dir, fetch_env_free_port());
	out = rp(&rc, args);
	if (rc != 75)
		fail_msg("parse URL on a closed port exited %d, want 75:\n%s", rc, out);
	free(out);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_check_example_config),
	    cmocka_unit_test(test_check_bad_configs_exit_78),
	    cmocka_unit_test(test_check_database_down_exits_75),
	    cmocka_unit_test(test_links_keeps_and_drops_with_reasons),
	    cmocka_unit_test(test_dry_run_stores_nothing),
	    cmocka_unit_test(test_run_source_fetches_only_that_source),
	    cmocka_unit_test(test_parse_url),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
