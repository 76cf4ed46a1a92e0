/*
 * reports_test.c - the six sample reports of ../shared/fixtures/reports/ go
 * in with ONE `reportpipe run` over file:// sources, into a real
 * PostgreSQL, and then:
 *
 *  - README's query for what fell (growth below zero) lists the declines of
 *    the 2012 Pingtan communiqué, each with its own subject and its value,
 *    as the hand-written gold tests/gold/pingtan-2012-tjgb.json has them;
 *  - every document has its title, issuer, report year, genre and region.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "testutil.h"

#include <json-c/json.h>
#include <libpq-fe.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define REPORTS_DIR "../shared/fixtures/reports"
#define GOLD_2012 "tests/gold/pingtan-2012-tjgb.json"

static const char *const reports[] = {
    "guowuyuan-1993-zfgzbg",	     "pingtan-2012-tjgb",   "pingtan-2023-xxgk-nianbao",
    "pingtanxian-2011-xxgk-nianbao", "shaoguan-2020-fazhi", "sichuan-2026-zfgzbg",
};
#define NREPORTS (sizeof(reports) / sizeof(reports[0]))

static char tmpdir[] = "/tmp/rp-reports-it.XXXXXX";
static char conninfo[512];

static int
group_teardown(void **state)
{
	(void)state;
	testutil_pg_stop(tmpdir);
	return 0;
}

static int
group_setup(void **state)
{
	char path[PATH_MAX], rel[PATH_MAX], conf[PATH_MAX + 32];
	static char text[NREPORTS * (PATH_MAX + 64) + 1024];
	int rc;

	if (mkdtemp(tmpdir) == NULL)
		return -1;
	chmod(tmpdir, 0755);
	if (testutil_pg_start(tmpdir, conninfo, sizeof(conninfo)) < 0) {
		group_teardown(state);
		return -1;
	}
	int n =
	    snprintf(text, sizeof(text),
		     "[database]\nconninfo = %s\n[pipeline]\nworkers = 2\nstate_dir = %s/state\n",
		     conninfo, tmpdir);
	for (size_t i = 0; i < NREPORTS; i++) {
		snprintf(rel, sizeof(rel), REPORTS_DIR "/%s.txt", reports[i]);
		if (realpath(rel, path) == NULL) {
			fprintf(stderr, "missing report %s\n", rel);
			group_teardown(state);
			return -1;
		}
		n += snprintf(text + n, sizeof(text) - (size_t)n,
			      "[source \"%s\"]\nurl = file://%s\n", reports[i], path);
	}
	snprintf(conf, sizeof(conf), "%s/reports.conf", tmpdir);
	if (testutil_write_file(conf, text, (size_t)n) < 0) {
		group_teardown(state);
		return -1;
	}
	char *out = testutil_run(&rc, "%s run -c %s", testutil_bin(), conf);
	if (rc != 0) {
		fprintf(stderr, "the run over the six reports exited %d:\n%s\n", rc, out);
		free(out);
		group_teardown(state);
		return -1;
	}
	free(out);
	return 0;
}

struct fall {
	char label[256];
	double value;
	int seen;
};

/* The gold's falls: growth figures below zero. */
static size_t
gold_falls(struct fall *out, size_t max)
{
	struct json_object *gold = json_object_from_file(GOLD_2012), *metrics, *v;
	size_t n = 0;
	assert_non_null(gold);
	assert_true(json_object_object_get_ex(gold, "metrics", &metrics));
	for (size_t i = 0; i < json_object_array_length(metrics); i++) {
		struct json_object *m = json_object_array_get_idx(metrics, i);
		if (!json_object_object_get_ex(m, "measure", &v) ||
		    strcmp(json_object_get_string(v), "growth") != 0)
			continue;
		json_object_object_get_ex(m, "value", &v);
		double value = json_object_get_double(v);
		if (value >= 0)
			continue;
		assert_true(n < max);
		json_object_object_get_ex(m, "label", &v);
		snprintf(out[n].label, sizeof(out[n].label), "%s", json_object_get_string(v));
		out[n].value = value;
		out[n++].seen = 0;
	}
	json_object_put(gold);
	return n;
}

/*
 * A label names the gold's subject when it is the gold's label, or its end
 * (Chinese puts the head noun last: 合同投资额 of 利用外资合同投资额 is the
 * same thing, less qualified), or one of them holds the other and they differ
 * by a measure word at most (生产安全事故死亡 for 生产安全事故死亡人数). A
 * start that loses the head is another subject: 生产安全事故, the subject of a
 * whole list, is never right for its 死亡人数.
 */
static int
same_subject(const char *got, const char *gold)
{
	size_t lg = strlen(got), lo = strlen(gold);
	if (lg < 6) /* two CJK characters in UTF-8 */
		return 0;
	if (lg <= lo && strcmp(gold + lo - lg, got) == 0)
		return 1;
	const char *longer = lg >= lo ? got : gold, *shorter = lg >= lo ? gold : got;
	return strstr(longer, shorter) != NULL && strlen(longer) - strlen(shorter) <= 6;
}

static void
test_declines_of_the_2012_communique_have_their_own_subjects(void **state)
{
	(void)state;
	struct fall gold[64];
	size_t ng = gold_falls(gold, 64);
	assert_true(ng >= 20);

	/* README's query, for this report */
	PGconn *c = PQconnectdb(conninfo);
	assert_int_equal(PQstatus(c), CONNECTION_OK);
	PGresult *r = PQexec(c, "SELECT label, value, unit, measure, year FROM report_metrics"
				" WHERE measure = 'growth' AND value < 0"
				" AND url LIKE '%/pingtan-2012-tjgb.txt'");
	if (PQresultStatus(r) != PGRES_TUPLES_OK)
		fail_msg("%s", PQerrorMessage(c));
	size_t nrows = (size_t)PQntuples(r), wrong = 0, exact = 0;
	for (size_t i = 0; i < nrows; i++) {
		const char *label = PQgetvalue(r, (int)i, 0);
		double value = strtod(PQgetvalue(r, (int)i, 1), NULL);
		struct fall *hit = NULL;
		for (size_t j = 0; j < ng && hit == NULL; j++)
			if (!gold[j].seen && gold[j].value - value < 1e-9 &&
			    value - gold[j].value < 1e-9 && same_subject(label, gold[j].label))
				hit = &gold[j];
		if (hit == NULL) {
			print_message("  not a fall of the gold: %s %s%s (year %s)\n", label,
				      PQgetvalue(r, (int)i, 1), PQgetvalue(r, (int)i, 2),
				      PQgetvalue(r, (int)i, 4));
			wrong++;
			continue;
		}
		hit->seen = 1;
		exact += strcmp(label, hit->label) == 0;
		if (strcmp(PQgetvalue(r, (int)i, 2), "%") != 0 ||
		    strcmp(PQgetvalue(r, (int)i, 4), "2012") != 0) {
			print_message("  %s: unit %s, year %s; want %%, 2012\n", label,
				      PQgetvalue(r, (int)i, 2), PQgetvalue(r, (int)i, 4));
			wrong++;
		}
	}
	size_t missed = 0;
	for (size_t j = 0; j < ng; j++)
		if (!gold[j].seen) {
			print_message("  missing fall: %s %g%%\n", gold[j].label, gold[j].value);
			missed++;
		}
	print_message("falls: %zu rows, %zu of %zu gold falls found (%zu with the gold's very "
		      "label)\n",
		      nrows, ng - missed, ng, exact);
	PQclear(r);
	PQfinish(c);
	assert_int_equal(missed, 0);
	assert_int_equal(wrong, 0);
}

static void
test_every_report_has_title_issuer_year_genre_and_region(void **state)
{
	(void)state;
	PGconn *c = PQconnectdb(conninfo);
	assert_int_equal(PQstatus(c), CONNECTION_OK);
	PGresult *r = PQexec(c, "SELECT url, title, issuer, report_year, genre, region_code,"
				" region_name FROM documents WHERE is_current ORDER BY url");
	assert_int_equal(PQresultStatus(r), PGRES_TUPLES_OK);
	assert_int_equal(PQntuples(r), (int)NREPORTS);
	int missing = 0;
	for (int i = 0; i < PQntuples(r); i++) {
		print_message("  %s: %s | %s | %s | %s | %s %s\n",
			      strrchr(PQgetvalue(r, i, 0), '/'), PQgetvalue(r, i, 1),
			      PQgetvalue(r, i, 2), PQgetvalue(r, i, 3), PQgetvalue(r, i, 4),
			      PQgetvalue(r, i, 5), PQgetvalue(r, i, 6));
		for (int k = 1; k <= 6; k++)
			missing += PQgetisnull(r, i, k) || *PQgetvalue(r, i, k) == '\0';
	}
	PQclear(r);
	PQfinish(c);
	assert_int_equal(missing, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_declines_of_the_2012_communique_have_their_own_subjects),
	    cmocka_unit_test(test_every_report_has_title_issuer_year_genre_and_region),
	};
	return cmocka_run_group_tests_name("reports", tests, group_setup, group_teardown);
}
