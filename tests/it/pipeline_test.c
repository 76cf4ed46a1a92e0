/*
 * pipeline_test.c - `reportpipe run` end to end: real processes, real
 * ZeroMQ ipc sockets, a real throwaway PostgreSQL cluster (tests/it/pgtmp.sh).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "testutil.h"

#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static char tmpdir[] = "/tmp/rp-it.XXXXXX";
static char conninfo[512];
static char seed_path[PATH_MAX];

/* A config in tmpdir/NAME.conf with the cluster and the given [source] blocks. */
static void
write_config(const char *name, const char *state, const char *conn, const char *sources)
{
	char path[PATH_MAX], text[8192];
	snprintf(path, sizeof(path), "%s/%s.conf", tmpdir, name);
	snprintf(text, sizeof(text),
		 "[database]\nconninfo = %s\n[pipeline]\nworkers = 2\nlease_ms = 20000\n"
		 "state_dir = %s/%s\n%s",
		 conn, tmpdir, state, sources);
	assert_int_equal(testutil_write_file(path, text, strlen(text)), 0);
}

static long
query_long(const char *sql)
{
	return testutil_query_long(conninfo, sql);
}

static char *
run_reportpipe(int *rc, const char *conf)
{
	return testutil_run(rc, "%s run -c %s/%s.conf", testutil_bin(), tmpdir, conf);
}

static int
group_setup(void **state)
{
	(void)state;
	if (mkdtemp(tmpdir) == NULL)
		return -1;
	if (testutil_pg_start(tmpdir, conninfo, sizeof(conninfo)) < 0)
		return -1;
	if (realpath("examples/reports/shaoguan-2020-fazhi.txt", seed_path) == NULL)
		return -1;

	char sources[PATH_MAX + 64];
	snprintf(sources, sizeof(sources), "[source \"seed\"]\nurl = file://%s\n", seed_path);
	write_config("seed", "state", conninfo, sources);
	return 0;
}

static int
group_teardown(void **state)
{
	(void)state;
	testutil_pg_stop(tmpdir);
	return 0;
}

static void
test_run_stores_seed_report(void **state)
{
	(void)state;
	int rc;
	char *out = run_reportpipe(&rc, "seed");
	if (rc != 0)
		fail_msg("run exited %d:\n%s", rc, out);
	assert_non_null(strstr(out, "stored 1"));
	free(out);
	assert_int_equal(query_long("SELECT count(*) FROM sections s JOIN documents d ON"
				    " d.id = s.document_id WHERE d.title LIKE"
				    " '韶关市人民政府关于2020年度%'"),
			 44);
	assert_int_equal(query_long("SELECT count(*) FROM documents_raw"), 1);
	assert_int_equal(query_long("SELECT count(*) FROM sections WHERE parent_id IS NULL"), 3);
	assert_int_equal(query_long("SELECT count(*) FROM ingest_runs WHERE status = 'ok'"
				    " AND stored = 1 AND finished_at IS NOT NULL"),
			 1);
	/* the seed's metrics are stored, each joined to the section it stands in */
	long metrics = query_long("SELECT count(*) FROM metrics");
	assert_true(metrics >= 56); /* the gold has 59; the parser issue asks for F1 >= 0.95 */
	assert_int_equal(query_long("SELECT count(*) FROM metrics m JOIN sections s ON"
				    " s.id = m.section_id AND s.path = m.section_path"
				    " AND s.document_id = m.document_id"),
			 metrics);
	assert_int_equal(query_long("SELECT count(*) FROM report_metrics WHERE"
				    " label LIKE '%出庭应诉率%' AND value = 86 AND unit = '%'"),
			 1);
	/* the body the sink kept is the file, byte for byte */
	assert_int_equal(query_long("SELECT length(body) FROM documents_raw"), 20832);
	/* offsets point into the stored text: the first section starts at its marker */
	assert_int_equal(query_long("SELECT count(*) FROM sections s JOIN documents d ON"
				    " d.id = s.document_id WHERE s.path = '1' AND"
				    " substr(d.text, s.start_pos + 1, 2) = '一、'"),
			 1);
}

static void
test_second_run_adds_no_rows(void **state)
{
	(void)state;
	static const char *const tables[] = {"documents", "documents_raw", "sections",
					     "metrics",	  "sources",	   "dead_letters"};
	long before[6];
	for (int i = 0; i < 6; i++) {
		char sql[128];
		snprintf(sql, sizeof(sql), "SELECT count(*) FROM %s", tables[i]);
		before[i] = query_long(sql);
	}
	int rc;
	char *out = run_reportpipe(&rc, "seed");
	if (rc != 0)
		fail_msg("second run exited %d:\n%s", rc, out);
	assert_non_null(strstr(out, "unchanged 1"));
	free(out);
	for (int i = 0; i < 6; i++) {
		char sql[128];
		snprintf(sql, sizeof(sql), "SELECT count(*) FROM %s", tables[i]);
		assert_int_equal(query_long(sql), before[i]);
	}
}

static void
test_second_concurrent_run_exits_75(void **state)
{
	(void)state;
	char lock[PATH_MAX];
	snprintf(lock, sizeof(lock), "%s/state/run.lock", tmpdir);
	int fd = open(lock, O_RDWR | O_CREAT, 0644);
	assert_true(fd >= 0);
	assert_int_equal(flock(fd, LOCK_EX), 0);

	struct timespec a, b;
	int rc;
	clock_gettime(CLOCK_MONOTONIC, &a);
	char *out = run_reportpipe(&rc, "seed");
	clock_gettime(CLOCK_MONOTONIC, &b);
	close(fd);
	assert_int_equal(rc, 75);
	assert_non_null(strstr(out, "another run"));
	assert_true(b.tv_sec - a.tv_sec < 2);
	free(out);
}

static void
test_failures_are_dead_letters_and_exit_1(void **state)
{
	(void)state;
	char pdf[PATH_MAX], sources[3 * PATH_MAX];
	snprintf(pdf, sizeof(pdf), "%s/report.pdf", tmpdir);
	assert_int_equal(testutil_write_file(pdf, "%PDF-1.4\n%%EOF\n", 15), 0);
	snprintf(sources, sizeof(sources),
		 "[source \"missing\"]\nurl = file://%s/no-such-report.txt\n"
		 "[source \"pdf\"]\nurl = file://%s\n"
		 "[source \"seed\"]\nurl = file://%s\n",
		 tmpdir, pdf, seed_path);
	write_config("faults", "state", conninfo, sources);
	long docs = query_long("SELECT count(*) FROM documents");

	int rc;
	char *out = run_reportpipe(&rc, "faults");
	if (rc != 1)
		fail_msg("a run with failures exited %d, want 1:\n%s", rc, out);
	free(out);
	assert_int_equal(query_long("SELECT count(*) FROM dead_letters WHERE stage = 'fetch'"
				    " AND url LIKE '%no-such-report.txt'"),
			 1);
	assert_int_equal(query_long("SELECT count(*) FROM dead_letters WHERE stage = 'parse'"
				    " AND url LIKE '%report.pdf' AND body IS NOT NULL"),
			 1);
	assert_int_equal(query_long("SELECT count(*) FROM documents"), docs);
	assert_int_equal(query_long("SELECT failed FROM ingest_runs ORDER BY id DESC LIMIT 1"), 2);
	assert_int_equal(query_long("SELECT count(*) FROM ingest_runs WHERE id ="
				    " (SELECT max(id) FROM ingest_runs) AND status = 'failed'"),
			 1);
}

static void
test_db_status_tells_monitoring(void **state)
{
	(void)state;
	int rc;
	/* the run before this one had failures */
	char *out = testutil_run(&rc, "%s db status -c %s/faults.conf", testutil_bin(), tmpdir);
	assert_int_equal(rc, 1);
	assert_non_null(strstr(out, "the last run failed"));
	free(out);

	out = run_reportpipe(&rc, "seed");
	assert_int_equal(rc, 0);
	free(out);
	out = testutil_run(&rc, "%s db status -c %s/seed.conf", testutil_bin(), tmpdir);
	assert_int_equal(rc, 0);
	assert_non_null(strstr(out, "health: ok"));
	free(out);

	/* three days without a run: older than the default stale_after of two days */
	assert_int_equal(testutil_pg_exec(conninfo, "UPDATE ingest_runs SET started_at ="
						    " started_at - interval '3 days', finished_at ="
						    " finished_at - interval '3 days'"),
			 0);
	out = testutil_run(&rc, "%s db status -c %s/seed.conf", testutil_bin(), tmpdir);
	assert_int_equal(rc, 1);
	assert_non_null(strstr(out, "older than stale_after"));
	free(out);
}

static void
test_bad_config_exits_78_with_file_and_line(void **state)
{
	(void)state;
	char path[PATH_MAX], expect[PATH_MAX + 8];
	snprintf(path, sizeof(path), "%s/typo.conf", tmpdir);
	const char *text = "[pipeline]\nworkers = 1\nspool_dri = x\n";
	assert_int_equal(testutil_write_file(path, text, strlen(text)), 0);
	int rc;
	char *out = testutil_run(&rc, "%s run -c %s", testutil_bin(), path);
	assert_int_equal(rc, 78);
	snprintf(expect, sizeof(expect), "%s:3:", path);
	assert_non_null(strstr(out, expect));
	assert_non_null(strstr(out, "spool_dri"));
	free(out);

	text = "[source \"x\"]\nurl = gopher://example.org/report\n";
	assert_int_equal(testutil_write_file(path, text, strlen(text)), 0);
	out = testutil_run(&rc, "%s run -c %s", testutil_bin(), path);
	assert_int_equal(rc, 78);
	snprintf(expect, sizeof(expect), "%s:2:", path);
	assert_non_null(strstr(out, expect));
	free(out);

	/* a malformed conninfo is named, with its password masked: libpq would quote it */
	text = "[database]\nconninfo = postgresql://rp:Xy7%zzsecret@db/x\n";
	assert_int_equal(testutil_write_file(path, text, strlen(text)), 0);
	out = testutil_run(&rc, "%s run -c %s", testutil_bin(), path);
	assert_int_equal(rc, 78);
	snprintf(expect, sizeof(expect), "%s:2:", path);
	assert_non_null(strstr(out, expect));
	assert_non_null(strstr(out, "postgresql://rp:****@db/x"));
	assert_null(strstr(out, "zzsecret"));
	free(out);
}

/* The password of a conninfo never reaches the logs, even when the server refuses it. */
static void
test_password_never_logged(void **state)
{
	(void)state;
	char sources[PATH_MAX + 64], conn[PATH_MAX];
	snprintf(conn, sizeof(conn),
		 "host=%s/nowhere dbname=x user=x password=Sesame-7f3a connect_timeout=2", tmpdir);
	snprintf(sources, sizeof(sources), "[source \"seed\"]\nurl = file://%s\n", seed_path);
	write_config("secret", "secret-state", conn, sources);
	int rc;
	char *out = testutil_run(&rc, "%s run -vv -c %s/secret.conf", testutil_bin(), tmpdir);
	assert_int_equal(rc, 75);
	assert_null(strstr(out, "Sesame-7f3a"));
	free(out);
	out = testutil_run(&rc, "%s db status -c %s/secret.conf", testutil_bin(), tmpdir);
	assert_null(strstr(out, "Sesame-7f3a"));
	free(out);
}

static void
test_unreachable_database_exits_75(void **state)
{
	(void)state;
	char sources[PATH_MAX + 64], conn[PATH_MAX];
	snprintf(conn, sizeof(conn), "host=%s/nowhere dbname=x user=x connect_timeout=2", tmpdir);
	snprintf(sources, sizeof(sources), "[source \"seed\"]\nurl = file://%s\n", seed_path);
	write_config("nodb", "nodb-state", conn, sources);
	int rc;
	char *out = run_reportpipe(&rc, "nodb");
	if (rc != 75)
		fail_msg("run against a dead database exited %d, want 75:\n%s", rc, out);
	assert_non_null(strstr(out, "database unreachable"));
	free(out);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_run_stores_seed_report),
	    cmocka_unit_test(test_second_run_adds_no_rows),
	    cmocka_unit_test(test_second_concurrent_run_exits_75),
	    cmocka_unit_test(test_failures_are_dead_letters_and_exit_1),
	    cmocka_unit_test(test_db_status_tells_monitoring),
	    cmocka_unit_test(test_bad_config_exits_78_with_file_and_line),
	    cmocka_unit_test(test_unreachable_database_exits_75),
	    cmocka_unit_test(test_password_never_logged),
	};
	return cmocka_run_group_tests_name("pipeline", tests, group_setup, group_teardown);
}
