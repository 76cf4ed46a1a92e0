/*
 * dead_letters_test.c - a URL that fails for good, run after run, against a
 * real nginx and a real cluster (tests/it/fetch_env.c): one dead letter per
 * URL and cause whose count grows, `dead-letters list|ack|retry`, db status
 * and the run's exit code before and after the ack; db status on a database
 * that does not exist, was never migrated or never had a run; the summary
 * names the run as its log lines do.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "buf.h"
#include "fetch_env.h"
#include "sinkdrv.h"
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static struct fetch_env env;
static char gone[256]; /* the index page nginx answers 404 for */

static int
group_setup(void **state)
{
	(void)state;
	char root[PATH_MAX + 16], sources[1024];
	int rc;
	if (fetch_env_setup(&env) < 0)
		return -1;
	snprintf(root, sizeof(root), "%s/www", env.dir);
	free(testutil_run(&rc, "mkdir -p %s/reports && cp %s %s/reports/ok.txt", root, env.seed,
			  root));
	if (rc != 0 || fetch_env_nginx_start(&env, root) < 0)
		return -1;
	snprintf(gone, sizeof(gone), "http://127.0.0.1:%d/gone/list.html", env.nginx_port);
	snprintf(sources, sizeof(sources),
		 "[source \"ok\"]\nurl = http://127.0.0.1:%d/reports/ok.txt\n"
		 "[source \"gone-index\"]\nindex = %s\nlink_pattern = 报告\n",
		 env.nginx_port, gone);
	return fetch_env_write_config(&env, "dl", "per_host_delay_ms = 0\n", sources);
}

static int
group_teardown(void **state)
{
	(void)state;
	char pg[PATH_MAX + 32];
	struct stat st;
	int rc;
	/* a db status that made a local cluster after all: stop it before the dir goes */
	snprintf(pg, sizeof(pg), "%s/nodb-state/pg", env.dir);
	if (stat(pg, &st) == 0) {
		free(testutil_run(&rc, "env -u PGHOST -u PGDATABASE %s db -c %s/nodb.conf stop",
				  testutil_bin(), env.dir));
		/* as root the cluster lives outside the dir (localdb.c): remove it too */
		free(testutil_run(&rc,
				  "d=$(readlink %s) && case $d in /var/lib/reportpipe/localdb-*)"
				  " rm -rf \"$d\";; esac",
				  pg));
	}
	fetch_env_teardown(&env);
	return 0;
}

static char *
reportpipe(int *rc, const char *args)
{
	return testutil_run(rc, "%s %s -c %s/dl.conf", testutil_bin(), args, env.dir);
}

static long
letter_id(void)
{
	char sql[512];
	snprintf(sql, sizeof(sql), "SELECT id FROM dead_letters WHERE url = '%s'", gone);
	return fetch_env_query_long(&env, sql);
}

/* Run once; expect exit code want. */
static void
run_expect(int want, const char *what)
{
	int rc;
	char *out = fetch_env_run(&env, "dl", &rc);
	if (rc != want)
		fail_msg("%s: the run exited %d, want %d:\n%s", what, rc, want, out);
	free(out);
}

static void
test_a_dead_link_is_one_letter_until_acknowledged(void **state)
{
	(void)state;
	int rc;
	char sql[512], *out;

	run_expect(1, "first run");
	run_expect(1, "second run");
	/* one row for the URL and its cause, seen twice, with its source */
	assert_int_equal(fetch_env_query_long(&env, "SELECT count(*) FROM dead_letters"), 1);
	snprintf(sql, sizeof(sql),
		 "SELECT count FROM dead_letters WHERE url = '%s' AND stage = 'fetch'"
		 " AND cause = 'http 404' AND source = 'gone-index' AND last_seen > created_at",
		 gone);
	assert_int_equal(fetch_env_query_long(&env, sql), 2);
	assert_int_equal(fetch_env_query_long(&env, "SELECT count(*) FROM dead_letters_waiting"),
			 1);

	out = reportpipe(&rc, "db status");
	assert_int_equal(rc, 1);
	assert_non_null(strstr(out, "the last run failed"));
	free(out);

	out = reportpipe(&rc, "dead-letters list");
	assert_int_equal(rc, 0);
	assert_non_null(strstr(out, gone));
	assert_non_null(strstr(out, "gone-index"));
	assert_non_null(strstr(out, "http 404 (permanent)"));
	free(out);

	/* an unknown ID changes nothing */
	out = reportpipe(&rc, "dead-letters ack 999999");
	assert_int_equal(rc, 65);
	free(out);
	assert_int_equal(fetch_env_query_long(&env, "SELECT count(*) FROM dead_letters_waiting"),
			 1);

	char args[64];
	snprintf(args, sizeof(args), "dead-letters ack %ld", letter_id());
	out = reportpipe(&rc, args);
	assert_int_equal(rc, 0);
	assert_non_null(strstr(out, "acknowledged 1 dead letter"));
	free(out);
	assert_int_equal(fetch_env_query_long(&env, "SELECT count(*) FROM dead_letters_waiting"),
			 0);

	/* settled: the failed run before the ack no longer makes the database unhealthy */
	out = reportpipe(&rc, "db status");
	if (rc != 0)
		fail_msg("db status after the ack exited %d:\n%s", rc, out);
	assert_non_null(strstr(out, "health: ok"));
	free(out);
	out = reportpipe(&rc, "dead-letters list");
	assert_int_equal(rc, 0);
	assert_null(strstr(out, gone));
	free(out);

	/* the next run fails for a known dead link only: exit 0, and it says so */
	out = fetch_env_run(&env, "dl", &rc);
	if (rc != 0 || strstr(out, "known dead 1") == NULL)
		fail_msg("the run after the ack exited %d, want 0 and \"known dead 1\":\n%s", rc,
			 out);
	free(out);
	assert_int_equal(fetch_env_query_long(&env,
					      "SELECT count(*) FROM ingest_runs WHERE id ="
					      " (SELECT max(id) FROM ingest_runs) AND status ="
					      " 'ok' AND failed = 0 AND known_dead = 1"),
			 1);
	assert_int_equal(fetch_env_query_long(&env, "SELECT count(*) FROM dead_letters"), 1);
	snprintf(sql, sizeof(sql),
		 "SELECT count FROM dead_letters WHERE url = '%s' AND acked_at IS NOT NULL", gone);
	assert_int_equal(fetch_env_query_long(&env, sql), 3);
	out = reportpipe(&rc, "db status");
	assert_int_equal(rc, 0);
	free(out);

	/* retry takes the ack back: the letter waits, and the next run fails for it again */
	out = reportpipe(&rc, "dead-letters retry --all");
	assert_int_equal(rc, 0);
	assert_non_null(strstr(out, "1 dead letter waiting again"));
	free(out);
	out = reportpipe(&rc, "dead-letters list");
	assert_non_null(strstr(out, gone));
	free(out);
	run_expect(1, "the run after the retry");
	assert_int_equal(fetch_env_query_long(&env, "SELECT count FROM dead_letters"), 4);

	/* ack --all settles every waiting letter */
	out = reportpipe(&rc, "dead-letters ack --all");
	assert_int_equal(rc, 0);
	assert_non_null(strstr(out, "acknowledged 1 dead letter"));
	free(out);
	assert_int_equal(fetch_env_query_long(&env, "SELECT count(*) FROM dead_letters_waiting"),
			 0);
}

static void
test_usage(void **state)
{
	(void)state;
	int rc;
	const char *const bad[] = {"dead-letters ack",	       "dead-letters retry",
				   "dead-letters ack 1 --all", "dead-letters ack x",
				   "dead-letters list 3",      "dead-letters frob"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char *out = reportpipe(&rc, bad[i]);
		if (rc != 64)
			fail_msg("%s exited %d, want 64:\n%s", bad[i], rc, out);
		free(out);
	}
	const char *const help[] = {"dead-letters --help", "dead-letters list --help",
				    "dead-letters ack --help", "dead-letters retry --help"};
	for (size_t i = 0; i < sizeof(help) / sizeof(help[0]); i++) {
		char *out = reportpipe(&rc, help[i]);
		assert_int_equal(rc, 0);
		assert_non_null(strstr(out, "usage: reportpipe dead-letters"));
		free(out);
	}
}

/*
 * The summary names the run by its database id and by the name on its log
 * lines, and ingest_runs.name is that name (issue 12 item 17).
 */
static void
test_summary_names_the_run_as_its_logs_do(void **state)
{
	(void)state;
	int rc;
	char *out = fetch_env_run(&env, "dl", &rc);
	const char *at = strstr(out, " run=");
	if (at == NULL)
		fail_msg("no log line with the run's name:\n%s", out);
	char name[64] = "", want[128];
	sscanf(at + 5, "%63[^ ]", name);
	long id = fetch_env_query_long(&env, "SELECT max(id) FROM ingest_runs");
	snprintf(want, sizeof(want), "reportpipe: run %ld (%s) ", id, name);
	int said = strstr(out, want) != NULL;
	if (!said)
		print_message("%s\n", out);
	free(out); /* before a failure: cmocka leaves the test there */
	if (!said)
		fail_msg("the summary does not say \"%s\"", want);
	/* and ingest_runs keeps the name, so that a row leads to its log lines */
	char sql[160];
	snprintf(sql, sizeof(sql),
		 "SELECT count(*) FROM ingest_runs WHERE id = %ld AND name = '%s'", id, name);
	if (strspn(name, "0123456789TZ-") != strlen(name) || fetch_env_query_long(&env, sql) != 1)
		fail_msg("ingest_runs row %ld is not named %s", id, name);
}

static void
test_db_status_without_a_database(void **state)
{
	(void)state;
	char path[PATH_MAX + 32], text[2 * PATH_MAX + 1024];
	struct stat st;
	int rc;

	/* nothing configured and no local cluster: report it, make nothing */
	snprintf(path, sizeof(path), "%s/nodb.conf", env.dir);
	snprintf(text, sizeof(text),
		 "[database]\nconninfo =\n[pipeline]\nstate_dir = %s/nodb-state\n", env.dir);
	assert_int_equal(testutil_write_file(path, text, strlen(text)), 0);
	char *out = testutil_run(&rc, "env -u PGHOST -u PGDATABASE %s db -c %s status",
				 testutil_bin(), path);
	if (rc != 69 || strstr(out, "no database") == NULL)
		fail_msg("db status without a database exited %d, want 69 and \"no database\":\n%s",
			 rc, out);
	free(out);
	snprintf(path, sizeof(path), "%s/nodb-state", env.dir);
	assert_int_equal(stat(path, &st), -1);

	/* a database never migrated, then migrated without a run: neither is healthy */
	char conn[512];
	assert_int_equal(sinkdrv_createdb(env.conninfo, "fresh", conn, sizeof(conn)), 0);
	snprintf(path, sizeof(path), "%s/fresh.conf", env.dir);
	snprintf(text, sizeof(text),
		 "[database]\nconninfo = %s\n[pipeline]\nstate_dir = %s/st\nstale_after = 0\n",
		 conn, env.dir);
	assert_int_equal(testutil_write_file(path, text, strlen(text)), 0);
	out = testutil_run(&rc, "%s db -c %s status", testutil_bin(), path);
	if (rc != 69 || strstr(out, "schema: not migrated") == NULL)
		fail_msg("db status before migrate exited %d, want 69:\n%s", rc, out);
	free(out);
	out = testutil_run(&rc, "%s db -c %s migrate", testutil_bin(), path);
	assert_int_equal(rc, 0);
	free(out);
	out = testutil_run(&rc, "%s db -c %s status", testutil_bin(), path);
	if (rc != 1 || strstr(out, "no run recorded yet") == NULL)
		fail_msg("db status with no run exited %d, want 1:\n%s", rc, out);
	free(out);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_a_dead_link_is_one_letter_until_acknowledged),
	    cmocka_unit_test(test_usage),
	    cmocka_unit_test(test_summary_names_the_run_as_its_logs_do),
	    cmocka_unit_test(test_db_status_without_a_database),
	};
	return cmocka_run_group_tests_name("dead_letters", tests, group_setup, group_teardown);
}
