/*
 * comparable_test.c - figures compared across reports (shared/DESIGN.md,
 * "What a figure means"): the 24 State Council work reports of
 * ../shared/fixtures/corpus/guowuyuan/ and the sample report (stored under
 * two URLs) go in with ONE `reportpipe run` over file:// sources, then:
 *
 *  - GDP growth by year from comparable_metrics is one value a year and
 *    matches tests/gold/corpus/gdp-growth.tsv (hand-written), and so do the
 *    growth targets;
 *  - a body stored under two URLs counts once in comparable_metrics;
 *  - every document has its genre, place and report year;
 *  - the indicators table is the compiled-in dictionary, and every key
 *    stored joins it;
 *  - the queries of README's "Comparing across reports" (```sql corpus
 *    blocks) run and return rows.
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

#define CORPUS_DIR "../shared/fixtures/corpus/guowuyuan"
#define GOLD_TSV "tests/gold/corpus/gdp-growth.tsv"
#define MAX_ROWS 256

static char tmpdir[] = "/tmp/rp-comparable-it.XXXXXX";
static char conninfo[512];

/* The corpus reports: one a year, 2000-2024, no 2020 in the source. */
static int
corpus_year(int i)
{
	int y = 2000 + i;
	return y >= 2020 ? y + 1 : y;
}
#define CORPUS_REPORTS 24

static int group_teardown(void **state);

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
	char path[PATH_MAX], conf[PATH_MAX], copy[PATH_MAX];
	static char text[64 * PATH_MAX];
	size_t len;
	int rc;

	if (mkdtemp(tmpdir) == NULL)
		return -1;
	chmod(tmpdir, 0755);
	if (testutil_pg_start(tmpdir, conninfo, sizeof(conninfo)) < 0)
		return setup_failed(state);
	int n = snprintf(text, sizeof(text),
			 "[database]\nconninfo = %s\n[pipeline]\nworkers = 2\n"
			 "state_dir = %s/state\n",
			 conninfo, tmpdir);
	for (int i = 0; i < CORPUS_REPORTS; i++) {
		char rel[PATH_MAX];
		snprintf(rel, sizeof(rel), CORPUS_DIR "/guowuyuan-%d-zfgzbg.txt", corpus_year(i));
		if (realpath(rel, path) == NULL) {
			fprintf(stderr, "missing corpus report %s\n", rel);
			return setup_failed(state);
		}
		n += snprintf(text + n, sizeof(text) - (size_t)n,
			      "[source \"guowuyuan-%d\"]\nurl = file://%s\n", corpus_year(i), path);
	}
	/* the sample report, and the same bytes under a second URL */
	if (realpath("examples/reports/shaoguan-2020-fazhi.txt", path) == NULL)
		return setup_failed(state);
	char *body = testutil_read_file(path, &len);
	snprintf(copy, sizeof(copy), "%s/shaoguan-copy.txt", tmpdir);
	if (body == NULL || testutil_write_file(copy, body, len) < 0) {
		free(body);
		return setup_failed(state);
	}
	free(body);
	n += snprintf(
	    text + n, sizeof(text) - (size_t)n,
	    "[source \"seed\"]\nurl = file://%s\n[source \"seed-copy\"]\nurl = file://%s\n", path,
	    copy);
	snprintf(conf, sizeof(conf), "%s/comparable.conf", tmpdir);
	if (testutil_write_file(conf, text, (size_t)n) < 0)
		return setup_failed(state);
	char *out = testutil_run(&rc, "%s run -c %s", testutil_bin(), conf);
	if (rc != 0) {
		fprintf(stderr, "loading the corpus exited %d:\n%s\n", rc, out);
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

static long
query_long(const char *sql)
{
	return testutil_query_long(conninfo, sql);
}

struct yv {
	int year;
	double value;
};

/* The gold rows of gdp-growth.tsv with the given target flag. */
static size_t
gold_rows(int target, struct yv *out, size_t max)
{
	char *tsv = testutil_read_file(GOLD_TSV, NULL), *save = NULL;
	size_t n = 0;
	assert_non_null(tsv);
	for (char *line = strtok_r(tsv, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char file[128], measure[16], flag[8];
		int year;
		double value;
		if (sscanf(line, "%127s %d %15s %7s %lf", file, &year, measure, flag, &value) != 5)
			continue; /* the header */
		assert_string_equal(measure, "growth");
		if ((strcmp(flag, "true") == 0) != target)
			continue;
		assert_true(n < max);
		out[n++] = (struct yv){year, value};
	}
	free(tsv);
	assert_true(n > 0);
	return n;
}

/* The rows of a (year, value) query, ordered by the query. */
static size_t
db_rows(const char *sql, struct yv *out, size_t max)
{
	PGconn *c = PQconnectdb(conninfo);
	assert_int_equal(PQstatus(c), CONNECTION_OK);
	PGresult *r = PQexec(c, sql);
	if (PQresultStatus(r) != PGRES_TUPLES_OK)
		fail_msg("%s: %s", sql, PQerrorMessage(c));
	size_t n = (size_t)PQntuples(r);
	assert_true(n <= max);
	for (size_t i = 0; i < n; i++) {
		out[i].year = PQgetisnull(r, (int)i, 0) ? 0 : atoi(PQgetvalue(r, (int)i, 0));
		out[i].value = strtod(PQgetvalue(r, (int)i, 1), NULL);
	}
	PQclear(r);
	PQfinish(c);
	return n;
}

static int
same_value(double a, double b)
{
	return a - b < 1e-9 && b - a < 1e-9;
}

/* How many of the gold rows of year y the database has; its rows of y in *ndb. */
static size_t
year_matches(int y, const struct yv *gold, size_t ng, const struct yv *db, size_t nd, size_t *ndb)
{
	size_t hit = 0;
	*ndb = 0;
	for (size_t k = 0; k < nd; k++)
		*ndb += db[k].year == y;
	for (size_t j = 0; j < ng; j++) {
		if (gold[j].year != y)
			continue;
		for (size_t k = 0; k < nd; k++)
			if (db[k].year == y && same_value(db[k].value, gold[j].value)) {
				hit++;
				break;
			}
	}
	return hit;
}

/*
 * Every year the gold states has exactly the gold's values in the database
 * (one for a result, two for a range target), and no year has more rows
 * than the gold gives it.
 */
static void
check_series(int target, const char *sql)
{
	struct yv gold[MAX_ROWS], db[MAX_ROWS];
	size_t ng = gold_rows(target, gold, MAX_ROWS), nd = db_rows(sql, db, MAX_ROWS);
	size_t matched = 0, years = 0, bad = 0;

	for (int y = 1990; y <= 2030; y++) {
		size_t ngy = 0, ndb;
		for (size_t j = 0; j < ng; j++)
			ngy += gold[j].year == y;
		size_t hit = year_matches(y, gold, ng, db, nd, &ndb);
		if (ngy == 0 && ndb == 0)
			continue;
		years += ngy > 0;
		matched += hit;
		if (ngy == 0 ? ndb > 1 : (hit != ngy || ndb != ngy)) {
			bad++;
			print_message(
			    "  %s %d: gold has %zu value(s), the database %zu, %zu match\n",
			    target ? "target" : "result", y, ngy, ndb, hit);
		}
	}
	print_message("%s: %zu of %zu gold rows match (%zu gold years, %zu database rows)\n",
		      target ? "targets" : "results", matched, ng, years, nd);
	assert_int_equal(matched, ng);
	assert_int_equal(bad, 0);
}

static void
test_gdp_growth_by_year_matches_gold(void **state)
{
	(void)state;
	check_series(0, "SELECT year, value FROM comparable_metrics"
			" WHERE key = '生产总值' AND measure = 'growth' AND NOT target"
			" ORDER BY year");
}

static void
test_gdp_growth_targets_match_gold(void **state)
{
	(void)state;
	check_series(1, "SELECT year, value FROM comparable_metrics"
			" WHERE key = '生产总值' AND measure = 'growth' AND target"
			" ORDER BY year");
}

static void
test_a_body_under_two_urls_counts_once(void **state)
{
	(void)state;
	/* both URLs are stored and current ... */
	assert_int_equal(query_long("SELECT count(*) FROM documents WHERE is_current AND"
				    " url LIKE '%shaoguan%'"),
			 2);
	/* ... and the view holds the metrics of one of them */
	assert_int_equal(query_long("SELECT count(DISTINCT document_id) FROM comparable_metrics"
				    " WHERE url LIKE '%shaoguan%'"),
			 1);
	assert_int_equal(query_long("SELECT count(*) FROM comparable_metrics"
				    " WHERE key = '出庭应诉率' AND region_code = '440200'"),
			 1);
	assert_int_equal(query_long("SELECT count(*) FROM comparable_metrics"
				    " WHERE url LIKE '%shaoguan%'"),
			 query_long("SELECT count(*) FROM metrics m JOIN documents d"
				    " ON d.id = m.document_id WHERE d.url LIKE '%shaoguan%'") /
			     2);
}

static void
test_documents_have_genre_place_and_year(void **state)
{
	(void)state;
	assert_int_equal(query_long("SELECT count(*) FROM documents WHERE url LIKE '%guowuyuan%'"
				    " AND genre = '政府工作报告' AND region_code = '000000'"
				    " AND region_name = '全国' AND issuer = '国务院'"
				    " AND title = '政府工作报告'"),
			 CORPUS_REPORTS);
	/* each report is named after the year it was delivered in, as its file is */
	assert_int_equal(query_long("SELECT count(*) FROM documents WHERE url LIKE '%guowuyuan%'"
				    " AND url LIKE '%guowuyuan-' || report_year || '-zfgzbg.txt'"),
			 CORPUS_REPORTS);
	assert_int_equal(query_long("SELECT count(*) FROM documents WHERE url LIKE '%shaoguan%'"
				    " AND genre = '法治政府建设报告' AND region_code = '440200'"
				    " AND region_name = '韶关市' AND report_year = 2020"),
			 2);
}

static void
test_indicators_table_is_the_dictionary(void **state)
{
	(void)state;
	int rc;
	char *out = testutil_run(&rc, "%s keys", testutil_bin());
	assert_int_equal(rc, 0);
	long lines = 0;
	for (const char *p = out; *p; p++)
		lines += *p == '\n';
	free(out);
	assert_true(lines >= 150);
	assert_int_equal(query_long("SELECT count(*) FROM indicators"), lines);
	assert_int_equal(
	    query_long("SELECT count(*) FROM indicators WHERE key = '生产总值'"
		       " AND '国内生产总值' = ANY (aliases) AND 'GDP' = ANY (aliases)"),
	    1);
	/* every stored key joins the table, and the corpus has keyed figures */
	assert_int_equal(query_long("SELECT count(*) FROM metrics m WHERE m.key IS NOT NULL AND"
				    " NOT EXISTS (SELECT 1 FROM indicators i WHERE i.key = m.key)"),
			 0);
	assert_true(query_long("SELECT count(*) FROM metrics WHERE key = '生产总值'") > 24);
}

/* The statements of every ```sql corpus block of README.md; returns how many. */
static int
readme_corpus_statements(char *text, char **out, int max)
{
	static const char fence[] = "\n```sql corpus\n";
	int n = 0;
	char *p = text;
	while ((p = strstr(p, fence)) != NULL) {
		char *start = p + strlen(fence), *end = strstr(start, "\n```");
		assert_non_null(end);
		*end = '\0';
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
test_readme_comparing_queries_return_rows(void **state)
{
	(void)state;
	char *readme = testutil_read_file("README.md", NULL), *stmts[16];
	assert_non_null(readme);
	int n = readme_corpus_statements(readme, stmts, 16);
	assert_true(n >= 3); /* GDP growth by year, 出庭应诉率 by place, target vs result */
	PGconn *c = PQconnectdb(conninfo);
	assert_int_equal(PQstatus(c), CONNECTION_OK);
	int empty = 0;
	for (int i = 0; i < n; i++) {
		PGresult *r = PQexec(c, stmts[i]);
		if (PQresultStatus(r) != PGRES_TUPLES_OK)
			fail_msg("README corpus query %d failed: %s\n%s", i + 1, PQerrorMessage(c),
				 stmts[i]);
		const char *first = strstr(stmts[i], "-- ");
		print_message("README corpus query %d: %d row(s)  %.*s\n", i + 1, PQntuples(r),
			      first ? (int)strcspn(first, "\n") : 0, first ? first : "");
		empty += PQntuples(r) == 0;
		PQclear(r);
	}
	PQfinish(c);
	free(readme);
	assert_int_equal(empty, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_documents_have_genre_place_and_year),
	    cmocka_unit_test(test_a_body_under_two_urls_counts_once),
	    cmocka_unit_test(test_indicators_table_is_the_dictionary),
	    cmocka_unit_test(test_gdp_growth_by_year_matches_gold),
	    cmocka_unit_test(test_gdp_growth_targets_match_gold),
	    cmocka_unit_test(test_readme_comparing_queries_return_rows),
	};
	return cmocka_run_group_tests_name("comparable", tests, group_setup, group_teardown);
}
