/*
 * fetch_run_test.c - how a cron run behaves for the person or machine
 * watching it: the first SIGINT drains (in-flight jobs are stored, the run
 * is recorded as interrupted, exit 75), a second stops at once, the next
 * run stores the rest; the progress line appears on a terminal and only
 * there; metrics_file is written for node_exporter. Real nginx on
 * 127.0.0.1, real processes, a real cluster (tests/it/fetch_env.c).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "buf.h"
#include "fetch_env.h"
#include "monotime.h"
#include "testutil.h"

#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define NREPORTS 30

static struct fetch_env env;
static char sources[NREPORTS * 128];

static long
documents(void)
{
	return fetch_env_query_long(&env, "SELECT count(*) FROM documents");
}

static void
fresh_database(void)
{
	assert_int_equal(fetch_env_query_long(&env, "TRUNCATE sources, documents, ingest_runs,"
						    " dead_letters CASCADE; SELECT 0"),
			 0);
}

/* Wait until at least n documents are stored; fails the test after 60 s. */
static void
wait_documents(long n)
{
	long long until = monotime_ms() + 60000;
	while (documents() < n) {
		if (monotime_ms() > until)
			fail_msg("fewer than %ld documents after 60 s", n);
		usleep(20 * 1000);
	}
}

static long
spool_files(void)
{
	int rc;
	char *out = testutil_run(&rc, "ls %s/state/spool 2>/dev/null | grep -vc '^\\.' ", env.dir);
	long n = out ? atol(out) : -1;
	free(out);
	return n;
}

/* The whole set after a second, uninterrupted run: every report once. */
static void
assert_second_run_completes(void)
{
	int rc;
	char *out = fetch_env_run(&env, "slow", &rc);
	if (rc != 0)
		fail_msg("the run after the interrupted one exited %d:\n%s", rc, out);
	free(out);
	assert_int_equal(documents(), NREPORTS);
	assert_int_equal(fetch_env_query_long(&env, "SELECT count(*) FROM (SELECT url, sha256"
						    " FROM documents GROUP BY 1, 2"
						    " HAVING count(*) > 1) d"),
			 0);
	assert_int_equal(spool_files(), 0);
}

static void
test_first_signal_drains_and_records_interrupted(void **state)
{
	(void)state;
	char log[PATH_MAX + 16];
	fresh_database();
	snprintf(log, sizeof(log), "%s/drain.log", env.dir);
	pid_t run = fetch_env_run_spawn(&env, "slow", log);
	wait_documents(3);
	kill(run, SIGINT);
	long long asked = monotime_ms();
	int rc = fetch_env_run_wait(run, 60000);
	char *text = testutil_read_file(log, NULL);
	if (rc != 75)
		fail_msg("an interrupted run exited %d, want 75:\n%s", rc, text ? text : "");
	/* drained, not killed: well within drain_timeout, and it said what it did */
	assert_true(monotime_ms() - asked < 30000);
	assert_non_null(strstr(text, "stopping: no new fetches"));
	assert_non_null(strstr(text, " interrupted: fetched "));
	free(text);
	long stored = documents();
	assert_true(stored >= 3 && stored < NREPORTS);
	char *status =
	    fetch_env_query_str(&env, "SELECT string_agg(status || coalesce("
				      "' ' || finished_at::text, ''), ',') FROM ingest_runs");
	if (status == NULL || strncmp(status, "interrupted 2", 13) != 0)
		fail_msg("the interrupted run was recorded as %s", status ? status : "nothing");
	free(status);
	assert_int_equal(fetch_env_query_long(&env, "SELECT count(*) FROM ingest_runs"
						    " WHERE status = 'interrupted'"
						    " AND finished_at IS NOT NULL"),
			 1);
	/* every job leased before the signal was stored: nothing was left half done */
	assert_int_equal(fetch_env_query_long(&env, "SELECT count(*) FROM dead_letters"), 0);
	assert_second_run_completes();
}

static void
test_second_signal_stops_at_once(void **state)
{
	(void)state;
	char log[PATH_MAX + 16];
	fresh_database();
	snprintf(log, sizeof(log), "%s/twice.log", env.dir);
	pid_t run = fetch_env_run_spawn(&env, "slow", log);
	wait_documents(2);
	kill(run, SIGINT);
	usleep(50 * 1000);
	kill(run, SIGINT);
	long long asked = monotime_ms();
	int rc = fetch_env_run_wait(run, 20000);
	assert_int_equal(rc, 75);
	assert_true(monotime_ms() - asked < 3000);
	assert_true(documents() < NREPORTS);
	assert_second_run_completes();
}

static void
test_progress_on_a_terminal_and_metrics_file(void **state)
{
	(void)state;
	int rc;
	char prom[PATH_MAX + 16];
	fresh_database();
	snprintf(prom, sizeof(prom), "%s/reportpipe.prom", env.dir);

	/* script(1) gives the run a terminal: the progress line is drawn in place */
	char *out = testutil_run(&rc, "script -qec '%s run -c %s/metrics.conf' /dev/null",
				 testutil_bin(), env.dir);
	if (rc != 0)
		fail_msg("run on a terminal exited %d:\n%s", rc, out);
	assert_non_null(strstr(out, "\r\033[Kfetched "));
	assert_non_null(strstr(out, "/s"));
	free(out);

	char *metrics = testutil_read_file(prom, NULL);
	assert_non_null(metrics);
	assert_non_null(strstr(metrics, "reportpipe_run_last_status{status=\"ok\"} 1\n"));
	assert_non_null(strstr(metrics, "reportpipe_run_last_status{status=\"failed\"} 0\n"));
	char want[128];
	snprintf(want, sizeof(want), "reportpipe_run_documents{outcome=\"stored\"} %d\n", NREPORTS);
	assert_non_null(strstr(metrics, want));
	assert_non_null(strstr(metrics, "reportpipe_run_last_finished_timestamp_seconds "));
	free(metrics);
	struct stat st;
	char tmp[PATH_MAX + 32];
	snprintf(tmp, sizeof(tmp), "%s.tmp", prom);
	assert_int_not_equal(stat(tmp, &st), 0);

	/* under cron (no terminal) only the summary: no progress line, no info lines */
	out = fetch_env_run(&env, "metrics", &rc);
	assert_int_equal(rc, 0);
	assert_null(strstr(out, "\033[K"));
	assert_null(strstr(out, "level=info"));
	assert_non_null(strstr(out, " ok: fetched 30, unchanged 30"));
	free(out);
	/* -v: the run's events all the same */
	out = testutil_run(&rc, "%s run -v -c %s/metrics.conf", testutil_bin(), env.dir);
	assert_int_equal(rc, 0);
	assert_non_null(strstr(out, "level=info stage=fetcher"));
	assert_null(strstr(out, "level=debug"));
	free(out);
}

static int
group_setup(void **state)
{
	(void)state;
	char root[PATH_MAX + 16], path[PATH_MAX + 64];
	if (fetch_env_setup(&env) < 0)
		return -1;
	snprintf(root, sizeof(root), "%s/www", env.dir);
	mkdir(root, 0755);
	for (int i = 0; i < NREPORTS; i++) {
		char name[32];
		size_t len;
		snprintf(name, sizeof(name), "r%02d", i);
		char *text = fetch_env_report_text(&env, name, &len);
		snprintf(path, sizeof(path), "%s/%s.txt", root, name);
		if (text == NULL || testutil_write_file(path, text, len) < 0)
			return -1;
		free(text);
	}
	if (fetch_env_nginx_start(&env, root) < 0)
		return -1;
	size_t at = 0;
	for (int i = 0; i < NREPORTS; i++)
		at += (size_t)snprintf(sources + at, sizeof(sources) - at,
				       "[source \"r%02d\"]\nurl = http://127.0.0.1:%d/r%02d.txt\n",
				       i, env.nginx_port, i);
	/* one at a time, 150 ms apart: a run lasts seconds, so it can be interrupted */
	if (fetch_env_write_config_pipeline(&env, "slow", "drain_timeout = 20\nlease_ms = 20000",
					    "per_host_concurrency = 1\nper_host_delay_ms = 150",
					    sources) < 0)
		return -1;
	snprintf(path, sizeof(path), "metrics_file = %s/reportpipe.prom", env.dir);
	if (fetch_env_write_config_pipeline(&env, "metrics", path,
					    "per_host_concurrency = 4\nper_host_delay_ms = 0",
					    sources) < 0)
		return -1;
	int rc;
	char *out = testutil_run(&rc, "%s db migrate -c %s/slow.conf", testutil_bin(), env.dir);
	free(out);
	return rc == 0 ? 0 : -1;
}

static int
group_teardown(void **state)
{
	(void)state;
	fetch_env_teardown(&env);
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_first_signal_drains_and_records_interrupted),
	    cmocka_unit_test(test_second_signal_stops_at_once),
	    cmocka_unit_test(test_progress_on_a_terminal_and_metrics_file),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
