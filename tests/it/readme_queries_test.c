/*
 * readme_queries_test.c - every ```sql block of README.md, statement by
 * statement, against a database loaded by `reportpipe run` of the sample
 * report (plus one source that cannot be fetched, so that there is a dead
 * letter to list). Each statement must run and return rows, unless its
 * comment says it finds "no rows on the sample data".
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "testutil.h"

#include <libpq-fe.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char tmpdir[] = "/tmp/rp-readme-it.XXXXXX";
static char conninfo[512];

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
	char seed[PATH_MAX], conf[PATH_MAX], text[3 * PATH_MAX];
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
	snprintf(conninfo, sizeof(conninfo), "%s", out);
	free(out);
	if (realpath("examples/reports/shaoguan-2020-fazhi.txt", seed) == NULL)
		return setup_failed(state);
	snprintf(conf, sizeof(conf), "%s/readme.conf", tmpdir);
	snprintf(text, sizeof(text),
		 "[database]\nconninfo = %s\n[pipeline]\nworkers = 1\nstate_dir = %s/state\n"
		 "[source \"seed\"]\nurl = file://%s\n"
		 "[source \"missing\"]\nurl = file://%s/no-such-report.txt\n",
		 conninfo, tmpdir, seed, tmpdir);
	if (testutil_write_file(conf, text, strlen(text)) < 0)
		return setup_failed(state);
	out = testutil_run(&rc, "%s run -c %s", testutil_bin(), conf);
	if (rc != 1 || strstr(out, "stored 1") == NULL) {
		fprintf(stderr, "loading the sample data exited %d:\n%s\n", rc, out);
		free(out);
		return setup_failed(state);
	}
	free(out);
	return 0;
}

static int
group_teardown(void **state)
{
	(void)state;
	testutil_pg_stop(tmpdir);
	return 0;
}

/*
 * The statements of every ```sql block in text, in order, each one NUL
 * terminated, comments and surrounding blank space kept. Returns how many.
 */
static int
readme_statements(char *text, char **out, int max)
{
	int n = 0;
	char *p = text;
	while ((p = strstr(p, "\n```sql\n")) != NULL) {
		char *start = p + strlen("\n```sql\n");
		char *end = strstr(start, "\n```");
		assert_non_null(end);
		*end = '\0';
		/* a statement ends with ';' at the end of a line */
		for (char *s = start, *q = start; q < end; q++) {
			if (*q == ';' && (q + 1 == end || q[1] == '\n')) {
				*q = '\0';
				assert_true(n < max);
				out[n++] = s;
				s = q + 1;
			}
		}
		p = end + 1;
	}
	return n;
}

static void
test_every_readme_query_runs_and_returns_rows(void **state)
{
	(void)state;
	char *readme = testutil_read_file("README.md", NULL), *stmts[64];
	assert_non_null(readme);
	int n = readme_statements(readme, stmts, 64);
	/* the two under "Looking at the data" and the five example queries at least */
	assert_true(n >= 7);

	PGconn *c = PQconnectdb(conninfo);
	assert_int_equal(PQstatus(c), CONNECTION_OK);
	for (int i = 0; i < n; i++) {
		PGresult *r = PQexec(c, stmts[i]);
		if (PQresultStatus(r) != PGRES_TUPLES_OK)
			fail_msg("README query %d failed: %s\n%s", i + 1, PQerrorMessage(c),
				 stmts[i]);
		/* a query may say it finds nothing in the sample; it must still run */
		if (PQntuples(r) == 0 && strstr(stmts[i], "no rows on the sample data") == NULL)
			fail_msg("README query %d returned no rows on the sample data:\n%s", i + 1,
				 stmts[i]);
		/* sections sort by their key: path and section_path sort as text (1, 10, 2) */
		if ((strstr(stmts[i], "report_metrics") || strstr(stmts[i], "sections")) &&
		    strstr(stmts[i], "ORDER BY") && !strstr(stmts[i], "section_sort") &&
		    !strstr(stmts[i], "sort_key"))
			fail_msg("README query %d orders sections without their sort key:\n%s",
				 i + 1, stmts[i]);
		const char *first = strstr(stmts[i], "-- ");
		print_message("README query %d: %d row%s  %.*s\n", i + 1, PQntuples(r),
			      PQntuples(r) == 1 ? " " : "s", first ? (int)strcspn(first, "\n") : 0,
			      first ? first : "");
		PQclear(r);
	}
	PQfinish(c);
	free(readme);
}

/* The sort key orders a document's sections as the text does: by where each starts. */
static void
test_section_sort_key_is_document_order(void **state)
{
	(void)state;
	PGconn *c = PQconnectdb(conninfo);
	assert_int_equal(PQstatus(c), CONNECTION_OK);
	PGresult *r = PQexec(c, "SELECT count(*) FILTER (WHERE by_key <> by_text),"
				" count(*) FROM (SELECT row_number() OVER (PARTITION BY"
				" document_id ORDER BY sort_key) AS by_key, row_number() OVER"
				" (PARTITION BY document_id ORDER BY start_pos, level) AS by_text"
				" FROM sections) o");
	if (PQresultStatus(r) != PGRES_TUPLES_OK)
		fail_msg("%s", PQerrorMessage(c));
	assert_string_equal(PQgetvalue(r, 0, 0), "0");
	assert_true(atol(PQgetvalue(r, 0, 1)) > 0);
	PQclear(r);
	/* and 10 after 2, which text does not give */
	r = PQexec(c, "SELECT section_sort FROM report_metrics LIMIT 0");
	assert_int_equal(PQresultStatus(r), PGRES_TUPLES_OK);
	PQclear(r);
	r = PQexec(c,
		   "SELECT '{2}'::integer[] < '{10}'::integer[] AND '{1,2}' < '{1,10}'::integer[]"
		   " AND (SELECT count(*) FROM information_schema.columns WHERE table_name ="
		   " 'report_metrics' AND column_name = 'section_sort' AND ordinal_position ="
		   " 20) = 1");
	assert_string_equal(PQgetvalue(r, 0, 0), "t");
	PQclear(r);
	PQfinish(c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_every_readme_query_runs_and_returns_rows),
	    cmocka_unit_test(test_section_sort_key_is_document_order),
	};
	return cmocka_run_group_tests_name("readme_queries", tests, group_setup, group_teardown);
}
