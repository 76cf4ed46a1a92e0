/*
 * sink_reparse_test.c - `reportpipe reparse` after a parser change: stored
 * documents whose rows an older parser wrote (simulated by spoiling them and
 * lowering parser_version) get their sections and metrics replaced from the
 * raw bodies, one transaction each, and nothing of the old rows is left.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "sinkdrv.h"
#include "testutil.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char tmpdir[] = "/tmp/rp-reparse-it.XXXXXX";
static char conninfo[600];
static char conf[PATH_MAX];
static long per_doc_sections, per_doc_metrics;

/* Store three versions of the seed at three URLs through a real sink. */
static int
load(void)
{
	size_t len;
	char *seed = testutil_read_file("examples/reports/shaoguan-2020-fazhi.txt", &len);
	char dir[PATH_MAX];
	struct sinkdrv d;
	const char *keys[] = {"r0", "r1", "r2"};
	if (seed == NULL)
		return -1;
	snprintf(dir, sizeof(dir), "%s/sink", tmpdir);
	if (sinkdrv_start(&d, dir, conninfo) < 0)
		return -1;
	for (int i = 0; i < 3; i++) {
		char url[64], *body = malloc(len + 32);
		snprintf(url, sizeof(url), "file:///reparse/%d", i);
		memcpy(body, seed, len);
		size_t n = len + (size_t)snprintf(body + len, 32, "\n（%d）\n", i);
		struct json_object *h = sinkdrv_result(keys[i], url, body, n), *v;
		if (i == 0) {
			json_object_object_get_ex(sinkdrv_doc(h), "sections", &v);
			per_doc_sections = (long)json_object_array_length(v);
			json_object_object_get_ex(sinkdrv_doc(h), "metrics", &v);
			per_doc_metrics = (long)json_object_array_length(v);
		}
		sinkdrv_send(&d, h, body, n);
		json_object_put(h);
		free(body);
	}
	free(seed);
	int rc = sinkdrv_wait_acks(&d, keys, 3, 30000), status;
	json_object_put(sinkdrv_finish(&d, &status));
	sinkdrv_close(&d);
	return rc == 0 && status == 0 ? 0 : -1;
}

static int group_teardown(void **state);

/* The cluster is up but the setup failed: cmocka skips the teardown, so stop it here. */
static int
setup_failed(void **state)
{
	group_teardown(state);
	return -1;
}

static int
group_setup(void **state)
{
	(void)state;
	char base[512], text[1024];
	int rc;
	if (mkdtemp(tmpdir) == NULL)
		return -1;
	chmod(tmpdir, 0755);
	char *out = testutil_run(&rc, "sh tests/it/pgtmp.sh start %s/pg", tmpdir);
	if (rc != 0) {
		fprintf(stderr, "cannot start a test cluster: %s\n", out);
		free(out);
		return setup_failed(state);
	}
	out[strcspn(out, "\n")] = '\0';
	snprintf(base, sizeof(base), "%s", out);
	free(out);
	if (sinkdrv_createdb(base, "reparse", conninfo, sizeof(conninfo)) < 0 || load() < 0)
		return setup_failed(state);
	snprintf(conf, sizeof(conf), "%s/reparse.conf", tmpdir);
	snprintf(text, sizeof(text), "[database]\nconninfo = %s\n[pipeline]\nstate_dir = %s/st\n",
		 conninfo, tmpdir);
	if (testutil_write_file(conf, text, strlen(text)) < 0)
		return setup_failed(state);
	return 0;
}

static int
group_teardown(void **state)
{
	(void)state;
	testutil_pg_stop(tmpdir);
	return 0;
}

static long
q(const char *sql)
{
	long v = sinkdrv_query_long(conninfo, sql);
	if (v == LONG_MIN)
		fail_msg("query failed: %s", sql);
	return v;
}

static void
exec_sql(const char *sql)
{
	int rc;
	char *out =
	    testutil_run(&rc, "psql -X -q -v ON_ERROR_STOP=1 -d '%s' -c \"%s\"", conninfo, sql);
	if (rc != 0)
		fail_msg("%s: %s", sql, out);
	free(out);
}

static void
test_reparse_after_parser_change_replaces_rows_without_orphans(void **state)
{
	(void)state;
	int rc;
	long old_max_metric = q("SELECT max(id) FROM metrics");
	long old_max_section = q("SELECT max(id) FROM sections");
	long untouched = q("SELECT sum(id) FROM metrics WHERE document_id = 3");

	/* what an older parser might have left: fewer metrics, wrong ones, stale headings */
	exec_sql("UPDATE documents SET parser_version = 0, title = 'old title' WHERE id IN (1, 2);"
		 " DELETE FROM metrics WHERE document_id = 1 AND id % 2 = 0;"
		 " UPDATE metrics SET value = value + 1000, label = 'stale' WHERE document_id = 2;"
		 /* the table behind the view metrics (009): sentence is not a column of it */
		 " INSERT INTO metrics_base (document_id, label, value, unit, text, sentence_copy,"
		 " start_pos, end_pos) VALUES (1, 'stale', 1, '', '1', '1', 0, 1);"
		 " UPDATE sections SET heading = 'stale' WHERE document_id IN (1, 2)");
	assert_true(q("SELECT count(*) FROM metrics WHERE document_id = 1") != per_doc_metrics);

	char *out = testutil_run(&rc, "%s reparse -c %s --below-version 1", testutil_bin(), conf);
	if (rc != 0)
		fail_msg("reparse exited %d:\n%s", rc, out);
	assert_non_null(strstr(out, "2 of 2 documents replaced, 0 failed"));
	free(out);

	for (int id = 1; id <= 3; id++) {
		char sql[160];
		snprintf(sql, sizeof(sql), "SELECT count(*) FROM metrics WHERE document_id = %d",
			 id);
		assert_int_equal(q(sql), per_doc_metrics);
		snprintf(sql, sizeof(sql), "SELECT count(*) FROM sections WHERE document_id = %d",
			 id);
		assert_int_equal(q(sql), per_doc_sections);
	}
	assert_int_equal(q("SELECT count(*) FROM metrics WHERE label = 'stale'"), 0);
	assert_int_equal(q("SELECT count(*) FROM sections WHERE heading = 'stale'"), 0);
	assert_int_equal(q("SELECT count(*) FROM documents WHERE parser_version = 0"), 0);
	assert_int_equal(q("SELECT count(*) FROM documents WHERE title = 'old title'"), 0);
	/* replaced, not patched: documents 1 and 2 have new rows only; 3 was not touched */
	char sql[200];
	snprintf(sql, sizeof(sql),
		 "SELECT count(*) FROM metrics WHERE document_id IN (1, 2) AND id <= %ld",
		 old_max_metric);
	assert_int_equal(q(sql), 0);
	snprintf(sql, sizeof(sql),
		 "SELECT count(*) FROM sections WHERE document_id IN (1, 2) AND id <= %ld",
		 old_max_section);
	assert_int_equal(q(sql), 0);
	assert_int_equal(q("SELECT sum(id) FROM metrics WHERE document_id = 3"), untouched);
	/* the reparsed figures are those of a fresh parse: the same as the untouched copy */
	assert_int_equal(q("SELECT count(*) FROM (SELECT section_path, label, value, unit,"
			   " qualifier FROM metrics WHERE document_id = 1 EXCEPT SELECT"
			   " section_path, label, value, unit, qualifier FROM metrics WHERE"
			   " document_id = 3) x"),
			 0);
	/* no orphans: every metric and section hangs off a section of its own document */
	assert_int_equal(q("SELECT count(*) FROM metrics m LEFT JOIN sections s ON s.id ="
			   " m.section_id WHERE m.section_id IS NOT NULL AND (s.id IS NULL OR"
			   " s.document_id <> m.document_id OR s.path <> m.section_path)"),
			 0);
	assert_int_equal(q("SELECT count(*) FROM sections c LEFT JOIN sections p ON p.id ="
			   " c.parent_id WHERE c.parent_id IS NOT NULL AND (p.id IS NULL OR"
			   " p.document_id <> c.document_id)"),
			 0);
	assert_int_equal(q("SELECT count(*) FROM metrics WHERE document_id NOT IN"
			   " (SELECT id FROM documents)"),
			 0);
	assert_int_equal(q("SELECT count(*) FROM metrics"), 3 * per_doc_metrics);
	assert_int_equal(q("SELECT count(*) FROM sections"), 3 * per_doc_sections);
	/* the keys and raw bytes stay as stored */
	assert_int_equal(q("SELECT count(*) FROM documents_raw"), 3);
	assert_int_equal(q("SELECT count(*) FROM documents WHERE is_current"), 3);

	/* nothing below version 1 is left; without the flag every document is reparsed */
	out = testutil_run(&rc, "%s reparse -c %s --below-version 1", testutil_bin(), conf);
	assert_int_equal(rc, 0);
	assert_non_null(strstr(out, "0 of 0 documents replaced"));
	free(out);
	out = testutil_run(&rc, "%s reparse -c %s", testutil_bin(), conf);
	assert_int_equal(rc, 0);
	assert_non_null(strstr(out, "3 of 3 documents replaced, 0 failed"));
	free(out);
	assert_int_equal(q("SELECT count(*) FROM metrics"), 3 * per_doc_metrics);
}

/* A report of parser version 1 (before tables and meanings) reaches version 2 with them. */
static void
test_reparse_below_version_2_adds_tables_and_meaning(void **state)
{
	(void)state;
	int rc;
	size_t len;
	char dir[PATH_MAX], *report = testutil_read_file(
				"../shared/fixtures/reports/pingtan-2023-xxgk-nianbao.txt", &len);
	static const char table[] = "\n单位：%\n指标\t2022年\n依申请公开答复率\t98.5\n";
	assert_non_null(report);
	char *body = malloc(len + sizeof(table));
	memcpy(body, report, len);
	memcpy(body + len, table, sizeof(table));
	len += sizeof(table) - 1;
	free(report);
	struct sinkdrv d;
	snprintf(dir, sizeof(dir), "%s/sink2", tmpdir);
	assert_int_equal(sinkdrv_start(&d, dir, conninfo), 0);
	struct json_object *h = sinkdrv_result("v1", "file:///reparse/xxgk", body, len);
	assert_non_null(h);
	assert_int_equal(sinkdrv_send(&d, h, body, len), 0);
	json_object_put(h);
	free(body);
	const char *keys[] = {"v1"};
	assert_int_equal(sinkdrv_wait_acks(&d, keys, 1, 30000), 0);
	json_object_put(sinkdrv_finish(&d, &rc));
	sinkdrv_close(&d);
	long id = q("SELECT id FROM documents WHERE url = 'file:///reparse/xxgk'");
	long cells = q("SELECT count(*) FROM metrics m JOIN documents d ON d.id = m.document_id"
		       " WHERE d.url = 'file:///reparse/xxgk' AND m.section_path = '3'");
	assert_true(cells >= 7 * 25);

	/* what version 1 stored: no table cells, nothing of what the figures mean */
	char sql[400];
	snprintf(sql, sizeof(sql),
		 "UPDATE documents SET parser_version = 1 WHERE id = %ld;"
		 " DELETE FROM metrics WHERE document_id = %ld AND label LIKE '%%·%%';"
		 " UPDATE metrics SET measure = NULL, year = NULL WHERE document_id = %ld",
		 id, id, id);
	exec_sql(sql);
	char *out = testutil_run(&rc, "%s reparse -c %s --below-version 2", testutil_bin(), conf);
	if (rc != 0)
		fail_msg("reparse exited %d:\n%s", rc, out);
	/* only this one was below 2: the seeds were stored by this parser */
	assert_non_null(strstr(out, "1 of 1 document replaced, 0 failed"));
	free(out);
	snprintf(sql, sizeof(sql), "SELECT parser_version FROM documents WHERE id = %ld", id);
	assert_int_equal(q(sql), 2);
	snprintf(sql, sizeof(sql),
		 "SELECT count(*) FROM metrics WHERE document_id = %ld AND section_path = '3'"
		 " AND measure = 'level' AND NOT target AND year = 2023",
		 id);
	assert_int_equal(q(sql), cells);
	assert_int_equal(q("SELECT count(*) FROM report_metrics WHERE label ="
			   " '本年新收政府信息公开申请数量·总计' AND value = 81 AND year = 2023"),
			 1);
	/* a column headed only by a year gives its cells that year, not a label */
	assert_int_equal(q("SELECT count(*) FROM report_metrics WHERE label ="
			   " '依申请公开答复率' AND value = 98.5 AND unit = '%'"
			   " AND measure = 'share' AND year = 2022"),
			 1);
	snprintf(sql, sizeof(sql),
		 "SELECT count(*) FROM metrics WHERE document_id = %ld AND measure IS NULL", id);
	assert_int_equal(q(sql), 0);
}

static void
test_reparse_usage(void **state)
{
	(void)state;
	int rc;
	char *out = testutil_run(&rc, "%s reparse --help", testutil_bin());
	assert_int_equal(rc, 0);
	assert_non_null(strstr(out, "--below-version N"));
	free(out);
	out = testutil_run(&rc, "%s reparse --below-version zero", testutil_bin());
	assert_int_equal(rc, 64);
	free(out);
	out = testutil_run(&rc, "%s --help", testutil_bin());
	assert_non_null(strstr(out, "reparse"));
	free(out);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_reparse_after_parser_change_replaces_rows_without_orphans),
	    cmocka_unit_test(test_reparse_below_version_2_adds_tables_and_meaning),
	    cmocka_unit_test(test_reparse_usage),
	};
	return cmocka_run_group_tests_name("sink_reparse", tests, group_setup, group_teardown);
}
