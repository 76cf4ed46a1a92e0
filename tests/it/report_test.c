/*
 * report_test.c - `reportpipe report` (issue 15, "A page to look at"): the
 * corpus of ../shared/fixtures/corpus/guowuyuan/ and the reports of
 * ../shared/fixtures/reports/ go in with ONE `reportpipe run` over file://
 * sources (one more source is missing, so there is a dead letter), a dead
 * letter full of markup is added by SQL, and `reportpipe report -o` writes
 * the page. Then:
 *
 *  - headless chromium renders the page to a PNG that holds far more than a
 *    blank page does (skipped, saying so, only when chromium is absent);
 *  - the page refers to nothing outside itself and escapes the database's
 *    strings;
 *  - every figure the page states (the text of each cell, and its data-*
 *    attributes) equals what comparable_metrics holds, under the key's most
 *    common measure and unit, and links to its report's URL;
 *  - the runs and the dead letters by cause equal ingest_runs and dead_letters.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "testutil.h"

#include <dirent.h>
#include <libpq-fe.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define CORPUS_DIR "../shared/fixtures/corpus/guowuyuan"
#define REPORTS_DIR "../shared/fixtures/reports"
#define TOP_KEYS 8 /* cmd/cmd_report.c: REPORT_KEYS */
#define TOP_KEYS_TEXT "8"

static char tmpdir[] = "/tmp/rp-report-it.XXXXXX";
static char conninfo[512];
static char page_path[PATH_MAX];
static char *page;

static int group_teardown(void **state);

static int
setup_failed(void **state)
{
	group_teardown(state);
	return -1;
}

/* Append a [source] for every .txt file of dir; returns how many, or -1. */
static int
add_sources(const char *dir, char *text, size_t cap, int *n)
{
	DIR *d = opendir(dir);
	if (d == NULL) {
		fprintf(stderr, "missing fixtures directory %s\n", dir);
		return -1;
	}
	int count = 0;
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		size_t len = strlen(e->d_name);
		char rel[PATH_MAX], path[PATH_MAX];
		if (len < 5 || strcmp(e->d_name + len - 4, ".txt") != 0)
			continue;
		snprintf(rel, sizeof(rel), "%s/%s", dir, e->d_name);
		if (realpath(rel, path) == NULL)
			continue;
		*n += snprintf(
		    text + *n, cap - (size_t)*n, "[source \"%s-%.*s\"]\nurl = file://%s\n",
		    strstr(dir, "corpus") ? "corpus" : "fixture", (int)(len - 4), e->d_name, path);
		count++;
	}
	closedir(d);
	return count;
}

static int
group_setup(void **state)
{
	(void)state;
	static char text[128 * PATH_MAX];
	char conf[PATH_MAX];
	int rc, n;

	if (mkdtemp(tmpdir) == NULL)
		return -1;
	chmod(tmpdir, 0755);
	if (testutil_pg_start(tmpdir, conninfo, sizeof(conninfo)) < 0)
		return setup_failed(state);
	n = snprintf(text, sizeof(text),
		     "[database]\nconninfo = %s\n[pipeline]\nworkers = 2\nstate_dir = %s/state\n"
		     "[source \"missing\"]\nurl = file://%s/no-such-report.txt\n",
		     conninfo, tmpdir, tmpdir);
	if (add_sources(CORPUS_DIR, text, sizeof(text), &n) < 20 ||
	    add_sources(REPORTS_DIR, text, sizeof(text), &n) < 5)
		return setup_failed(state);
	snprintf(conf, sizeof(conf), "%s/report.conf", tmpdir);
	if (testutil_write_file(conf, text, (size_t)n) < 0)
		return setup_failed(state);
	/* 1: finished, and the missing source failed */
	char *out = testutil_run(&rc, "%s run -c %s", testutil_bin(), conf);
	if (rc != 1) {
		fprintf(stderr, "loading the fixtures exited %d, not 1:\n%s\n", rc, out);
		free(out);
		return setup_failed(state);
	}
	free(out);

	/* a letter whose every string is markup, as a hostile server could make it */
	PGconn *c = PQconnectdb(conninfo);
	PGresult *r = PQexec(c, "INSERT INTO dead_letters (url, stage, error, source, count)"
				" VALUES ('https://x.example/<script>alert(1)</script>', 'fetch',"
				" 'http 404 <b>gone</b> & \"quoted\"', '<i>evil</i>', 3)");
	int ok = PQresultStatus(r) == PGRES_COMMAND_OK;
	if (!ok)
		fprintf(stderr, "cannot add the dead letter: %s\n", PQerrorMessage(c));
	PQclear(r);
	PQfinish(c);
	if (!ok)
		return setup_failed(state);

	snprintf(page_path, sizeof(page_path), "%s/page.html", tmpdir);
	out = testutil_run(&rc, "%s report -c %s -o %s", testutil_bin(), conf, page_path);
	if (rc != 0) {
		fprintf(stderr, "reportpipe report exited %d:\n%s\n", rc, out);
		free(out);
		return setup_failed(state);
	}
	free(out);
	page = testutil_read_file(page_path, NULL);
	return page ? 0 : setup_failed(state);
}

static int
group_teardown(void **state)
{
	(void)state;
	free(page);
	page = NULL;
	testutil_pg_stop(tmpdir);
	return 0;
}

/* Undo the page's escaping of one attribute value or text, in place. */
static void
unescape(char *s)
{
	static const struct {
		const char *ent, *ch;
	} ents[] = {{"&amp;", "&"}, {"&lt;", "<"}, {"&gt;", ">"}, {"&quot;", "\""}, {"&#39;", "'"}};
	char *w = s;
	while (*s) {
		size_t k, nents = sizeof(ents) / sizeof(ents[0]);
		for (k = 0; k < nents; k++)
			if (strncmp(s, ents[k].ent, strlen(ents[k].ent)) == 0)
				break;
		if (k < nents) {
			*w++ = *ents[k].ch;
			s += strlen(ents[k].ent);
		} else
			*w++ = *s++;
	}
	*w = '\0';
}

/* The value of attribute name in the tag starting at tag, unescaped; fails when absent. */
static void
attr(const char *tag, const char *name, char *out, size_t cap)
{
	char pat[64];
	const char *end = strchr(tag, '>');
	snprintf(pat, sizeof(pat), " %s=\"", name);
	const char *p = strstr(tag, pat);
	if (p == NULL || end == NULL || p > end)
		fail_msg("no %s in %.80s", name, tag);
	p += strlen(pat);
	size_t len = strcspn(p, "\"");
	assert_true(len < cap);
	memcpy(out, p, len);
	out[len] = '\0';
	unescape(out);
}

/* The text of the cell whose opening tag starts at tag, markup dropped, unescaped. */
static void
text_of(const char *tag, char *out, size_t cap)
{
	assert_non_null(tag);
	const char *p = strchr(tag, '>') + 1, *end = strstr(p, "</td>");
	size_t n = 0;
	int in_tag = 0;
	assert_non_null(end);
	for (; p < end; p++) {
		if (*p == '<')
			in_tag = 1;
		else if (*p == '>')
			in_tag = 0;
		else if (!in_tag && n + 1 < cap)
			out[n++] = *p;
	}
	out[n] = '\0';
	unescape(out);
}

/* Run sql with params; fails the test on error. Caller clears. */
static PGresult *
query(PGconn *c, const char *sql, int n, const char *const *params)
{
	PGresult *r = PQexecParams(c, sql, n, NULL, params, NULL, NULL, 0);
	if (PQresultStatus(r) != PGRES_TUPLES_OK)
		fail_msg("%s: %s", sql, PQerrorMessage(c));
	return r;
}

static void
test_chromium_renders_the_page(void **state)
{
	(void)state;
	int rc;
	char *bin = testutil_run(&rc, "command -v chromium || command -v chromium-browser");
	if (rc != 0) {
		free(bin);
		print_message("SKIP: chromium is not installed (Debian package chromium;"
			      " tools/deps.sh installs it), so the page is not rendered\n");
		skip();
	}
	bin[strcspn(bin, "\n")] = '\0';
	static const char blank[] = "<!DOCTYPE html><html><body></body></html>\n";
	char blank_path[PATH_MAX];
	snprintf(blank_path, sizeof(blank_path), "%s/blank.html", tmpdir);
	assert_int_equal(testutil_write_file(blank_path, blank, strlen(blank)), 0);

	long size[2];
	const char *html[2] = {page_path, blank_path}, *png[2] = {"page.png", "blank.png"};
	for (int i = 0; i < 2; i++) {
		/* as root chromium needs --no-sandbox; its profile stays in tmpdir */
		char *out = testutil_run(&rc,
					 "cd %s && timeout 120 %s --headless --no-sandbox"
					 " --disable-gpu --user-data-dir=%s/chromium-profile"
					 " --screenshot=%s --window-size=1200,3000 file://%s",
					 tmpdir, bin, tmpdir, png[i], html[i]);
		char path[PATH_MAX];
		snprintf(path, sizeof(path), "%s/%s", tmpdir, png[i]);
		size_t len = 0;
		char *data = testutil_read_file(path, &len);
		if (rc != 0 || data == NULL)
			fail_msg("chromium exited %d and wrote %s: %s", rc,
				 data ? "a PNG" : "no PNG", out);
		free(out);
		/* a PNG of the window's size: signature, then IHDR width and height */
		assert_true(len > 24);
		assert_memory_equal(data, "\x89PNG\r\n\x1a\n", 8);
		const unsigned char *u = (const unsigned char *)data;
		assert_int_equal((u[16] << 24) | (u[17] << 16) | (u[18] << 8) | u[19], 1200);
		assert_int_equal((u[20] << 24) | (u[21] << 16) | (u[22] << 8) | u[23], 3000);
		size[i] = (long)len;
		free(data);
	}
	free(bin);
	print_message("page.png %ld bytes, a blank page's %ld\n", size[0], size[1]);
	/* text, tables and charts compress far worse than white */
	assert_true(size[0] > 4 * size[1]);
}

static void
test_page_is_self_contained_and_escaped(void **state)
{
	(void)state;
	static const char *const banned[] = {"<script", " src=",   "<link",   "@import",
					     "url(",	"<iframe", "<object", "<img"};
	for (size_t i = 0; i < sizeof(banned) / sizeof(banned[0]); i++)
		if (strstr(page, banned[i]) != NULL)
			fail_msg("the page holds %s: %.80s", banned[i], strstr(page, banned[i]));
	assert_non_null(strstr(page, "<svg"));
	assert_non_null(strstr(page, "<style>"));
	/* the hostile letter is shown, escaped; its URL is nowhere a link */
	assert_non_null(strstr(page, "http 404 &lt;b&gt;gone&lt;/b&gt; &amp; &quot;quoted&quot;"));
	assert_non_null(strstr(page, "&lt;i&gt;evil&lt;/i&gt;"));
	assert_null(strstr(page, "<b>gone"));
	assert_null(strstr(page, "<i>evil"));
}

/* The figures: each cell against comparable_metrics. */
static void
test_figures_equal_comparable_metrics(void **state)
{
	(void)state;
	PGconn *c = PQconnectdb(conninfo);
	assert_int_equal(PQstatus(c), CONNECTION_OK);
	const char *top_p[] = {TOP_KEYS_TEXT};
	PGresult *top = query(c,
			      "SELECT key FROM comparable_metrics WHERE key IS NOT NULL"
			      " GROUP BY key ORDER BY count(*) DESC, key LIMIT $1::int",
			      1, top_p);
	assert_int_equal(PQntuples(top), TOP_KEYS);

	int cells = 0, keys_seen = 0;
	for (int k = 0; k < PQntuples(top); k++) {
		const char *key = PQgetvalue(top, k, 0);
		const char *p[8] = {key};
		PGresult *s;
		/* the series this key shows, and how many (place, year) it has */
		s = query(c,
			  "WITH m AS (SELECT measure, unit FROM comparable_metrics WHERE key = $1"
			  " AND NOT target AND year IS NOT NULL AND measure IS NOT NULL"
			  " GROUP BY 1, 2 ORDER BY count(*) DESC, 1, 2 LIMIT 1)"
			  " SELECT m.measure, m.unit, (SELECT count(DISTINCT (coalesce(region_name,"
			  " ''), year)) FROM comparable_metrics c WHERE c.key = $1 AND NOT target"
			  " AND c.year IS NOT NULL AND c.measure = m.measure AND c.unit = m.unit)"
			  " FROM m",
			  1, p);
		assert_int_equal(PQntuples(s), 1);
		long expect = atol(PQgetvalue(s, 0, 2));
		char measure[64], unit[64];
		snprintf(measure, sizeof(measure), "%s", PQgetvalue(s, 0, 0));
		snprintf(unit, sizeof(unit), "%s", PQgetvalue(s, 0, 1));
		PQclear(s);

		long found = 0;
		for (const char *t = strstr(page, "<td class=\"n v\""); t;
		     t = strstr(t + 1, "<td class=\"n v\"")) {
			char a_key[256], a_measure[64], a_unit[64], place[256], year[16], doc[32],
			    value[64], shown[128], href[PATH_MAX];
			attr(t, "data-key", a_key, sizeof(a_key));
			if (strcmp(a_key, key) != 0)
				continue;
			attr(t, "data-measure", a_measure, sizeof(a_measure));
			attr(t, "data-unit", a_unit, sizeof(a_unit));
			assert_string_equal(a_measure, measure);
			assert_string_equal(a_unit, unit);
			attr(t, "data-place", place, sizeof(place));
			attr(t, "data-year", year, sizeof(year));
			attr(t, "data-doc", doc, sizeof(doc));
			attr(t, "data-value", value, sizeof(value));
			const char *a = strstr(t, "<a href=\"");
			assert_non_null(a);
			assert_true(a < strstr(t, "</td>"));
			attr(a, "href", href, sizeof(href));
			text_of(t, shown, sizeof(shown));

			/* the value the latest report states for this place and year (the
			 * smaller, when it states two) */
			p[1] = measure;
			p[2] = unit;
			p[3] = place;
			p[4] = year;
			PGresult *v = query(
			    c,
			    "SELECT value::text, document_id::text, url FROM comparable_metrics"
			    " WHERE key = $1 AND measure = $2 AND unit = $3 AND NOT target"
			    " AND coalesce(region_name, '') = $4 AND year = $5::int"
			    " ORDER BY report_year DESC NULLS LAST, document_id DESC, value LIMIT "
			    "1",
			    5, p);
			assert_int_equal(PQntuples(v), 1);
			/* what the cell says, in 万 or 亿 or plain, is the stored numeric */
			size_t len = strlen(shown);
			const char *scale = "1";
			if (len > 3 && strcmp(shown + len - 3, "亿") == 0)
				scale = "100000000", shown[len - 3] = '\0';
			else if (len > 3 && strcmp(shown + len - 3, "万") == 0)
				scale = "10000", shown[len - 3] = '\0';
			const char *q[] = {PQgetvalue(v, 0, 0), value, shown, scale};
			PGresult *eq = query(c,
					     "SELECT $1::numeric = $2::numeric"
					     " AND $1::numeric = $3::numeric * $4::numeric",
					     4, q);
			if (strcmp(PQgetvalue(eq, 0, 0), "t") != 0)
				fail_msg("%s %s %s: the page says %s (%s%s), SQL %s", key, place,
					 year, value, shown, scale, PQgetvalue(v, 0, 0));
			PQclear(eq);
			assert_string_equal(doc, PQgetvalue(v, 0, 1));
			assert_string_equal(href, PQgetvalue(v, 0, 2));
			PQclear(v);
			found++;
		}
		print_message("%s (%s, %s): %ld cells on the page, %ld in SQL\n", key, measure,
			      unit, found, expect);
		assert_int_equal(found, expect);
		assert_true(found > 0);
		cells += (int)found;
		keys_seen++;
	}
	PQclear(top);
	PQfinish(c);
	assert_int_equal(keys_seen, TOP_KEYS);
	assert_true(cells > 50);
}

static void
test_runs_equal_ingest_runs(void **state)
{
	(void)state;
	static const char *const cols[] = {"fetched",	 "unchanged", "parsed",	   "stored",
					   "duplicates", "failed",    "known_dead"};
	PGconn *c = PQconnectdb(conninfo);
	assert_int_equal(PQstatus(c), CONNECTION_OK);
	int rows = 0;
	for (const char *t = strstr(page, " data-run=\""); t; t = strstr(t + 1, " data-run=\"")) {
		char id[32];
		attr(t, "data-run", id, sizeof(id));
		const char *p[] = {id};
		PGresult *r = query(c,
				    "SELECT fetched, unchanged, parsed, stored, duplicates, failed,"
				    " known_dead FROM ingest_runs WHERE id = $1::bigint",
				    1, p);
		assert_int_equal(PQntuples(r), 1);
		const char *end = strstr(t, "</tr>");
		for (int k = 0; k < 7; k++) {
			char pat[64], shown[32];
			snprintf(pat, sizeof(pat), "data-col=\"%s\"", cols[k]);
			const char *cell = strstr(t, pat);
			assert_true(cell != NULL && cell < end);
			text_of(cell, shown, sizeof(shown));
			assert_string_equal(shown, PQgetvalue(r, 0, k));
		}
		PQclear(r);
		rows++;
	}
	PQfinish(c);
	/* the load's run, its failed source among its counts */
	assert_int_equal(rows, testutil_query_long(conninfo, "SELECT count(*) FROM ingest_runs"));
	assert_true(rows >= 1);
	assert_int_equal(testutil_query_long(conninfo, "SELECT failed FROM ingest_runs"), 1);
}

static void
test_dead_letters_equal_by_cause(void **state)
{
	(void)state;
	PGconn *c = PQconnectdb(conninfo);
	assert_int_equal(PQstatus(c), CONNECTION_OK);
	int rows = 0;
	long failures = 0;
	for (const char *t = strstr(page, "<tr data-stage=\""); t;
	     t = strstr(t + 1, "<tr data-stage=\"")) {
		char stage[16], cause[256], source[256], urls[16], fails[16];
		attr(t, "data-stage", stage, sizeof(stage));
		attr(t, "data-cause", cause, sizeof(cause));
		attr(t, "data-source", source, sizeof(source));
		text_of(strstr(t, "data-col=\"urls\""), urls, sizeof(urls));
		text_of(strstr(t, "data-col=\"failures\""), fails, sizeof(fails));
		const char *p[] = {stage, cause, source};
		PGresult *r = query(c,
				    "SELECT count(*), sum(count) FROM dead_letters WHERE stage = $1"
				    " AND cause = $2 AND coalesce(source, '') = $3",
				    3, p);
		assert_string_equal(urls, PQgetvalue(r, 0, 0));
		assert_string_equal(fails, PQgetvalue(r, 0, 1));
		failures += atol(fails);
		PQclear(r);
		rows++;
	}
	PQfinish(c);
	/* the missing source (cause "file") and the one added with markup */
	assert_int_equal(rows, 2);
	assert_int_equal(failures, testutil_query_long(conninfo, "SELECT sum(count) FROM"
								 " dead_letters"));
	assert_non_null(strstr(page, "data-cause=\"file\" data-source=\"missing\""));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_page_is_self_contained_and_escaped),
	    cmocka_unit_test(test_figures_equal_comparable_metrics),
	    cmocka_unit_test(test_runs_equal_ingest_runs),
	    cmocka_unit_test(test_dead_letters_equal_by_cause),
	    cmocka_unit_test(test_chromium_renders_the_page),
	};
	return cmocka_run_group_tests_name("report", tests, group_setup, group_teardown);
}
