/*
 * storage_test.c - the text of a report is stored once (issue 17): 300
 * seed-size reports take at most 2.5 times their decoded text, indexes and
 * TOAST included; the sections' body and the metrics' sentence that SQL sees
 * are what the parser stated, for the seed and for a report of odd
 * characters; and a database of schema 008 holding data migrates in place
 * with every answer unchanged.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "migrations.h"
#include "sinkdrv.h"
#include "testutil.h"

#include <libpq-fe.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define NREPORTS 300
#define BUDGET 2.5 /* bytes stored per byte of decoded text, at most */

static char tmpdir[] = "/tmp/rp-storage-it.XXXXXX";
static char base_conninfo[512];
static char *seed;
static size_t seed_len;

/* Non-BMP (𠀀 U+20000, 😀), a combining mark, a tab, a backslash, CJK compatibility. */
static const char odd_report[] =
    "𠀀市人民政府关于2021年度法治政府建设工作的报告\n"
    "一、总体情况\n"
    "全年共办理𠀀类案件12件，较上年增长5%。\\路径\t说明😀，e\xcc\x81复议案件共3件。\n"
    "（一）𩸽鱼行业\n"
    "检查企业𠮷家共45家，罚款约3.5万元。\n"
    "二、下一步\n"
    "培训人员不少于200人次😀。\n";

static int
group_setup(void **state)
{
	(void)state;
	return testutil_pg_group_setup(tmpdir, base_conninfo, sizeof(base_conninfo), &seed,
				       &seed_len);
}

static int
group_teardown(void **state)
{
	(void)state;
	testutil_pg_group_teardown(tmpdir, &seed);
	return 0;
}

/* Every row of a one-column query, as text joined by newlines ("\\N" for NULL); owned. */
static char *
query_text(const char *conninfo, const char *sql)
{
	PGconn *c = PQconnectdb(conninfo);
	PGresult *r = PQexec(c, sql);
	if (PQresultStatus(r) != PGRES_TUPLES_OK)
		fail_msg("%s: %s", sql, PQerrorMessage(c));
	size_t cap = 1;
	for (int i = 0; i < PQntuples(r); i++)
		cap += (size_t)PQgetlength(r, i, 0) + 3;
	char *out = calloc(1, cap), *p = out;
	for (int i = 0; i < PQntuples(r); i++)
		p += sprintf(p, "%s\n", PQgetisnull(r, i, 0) ? "\\N" : PQgetvalue(r, i, 0));
	PQclear(r);
	PQfinish(c);
	return out;
}

static long
q(const char *conninfo, const char *sql)
{
	long v = sinkdrv_query_long(conninfo, sql);
	if (v == LONG_MIN)
		fail_msg("query failed: %s", sql);
	return v;
}

/* Store the n bodies through a real sink, each at its own URL; fails the test otherwise. */
static void
store(const char *conninfo, const char *name, char **bodies, const size_t *lens, int n,
      struct json_object **hdr_out)
{
	char dir[PATH_MAX];
	struct sinkdrv d;
	const char **keys = calloc((size_t)n, sizeof(*keys));
	char(*kbuf)[16] = calloc((size_t)n, sizeof(*kbuf));
	int status;
	snprintf(dir, sizeof(dir), "%s/%s", tmpdir, name);
	assert_int_equal(sinkdrv_start(&d, dir, conninfo), 0);
	for (int i = 0; i < n; i++) {
		char url[96];
		snprintf(kbuf[i], sizeof(kbuf[i]), "k%d", i);
		snprintf(url, sizeof(url), "file:///%s/%d", name, i);
		keys[i] = kbuf[i];
		struct json_object *h = sinkdrv_result(keys[i], url, bodies[i], lens[i]);
		assert_non_null(h);
		assert_int_equal(sinkdrv_send(&d, h, bodies[i], lens[i]), 0);
		if (hdr_out && i == 0)
			*hdr_out = h;
		else
			json_object_put(h);
		/* a bounded pipe: take the acknowledgements as they come */
		sinkdrv_pump(&d, 0);
	}
	assert_int_equal(sinkdrv_wait_acks(&d, keys, (size_t)n, 120000), 0);
	for (int i = 0; i < n; i++)
		assert_string_equal(sinkdrv_status(&d, keys[i]), "stored");
	json_object_put(sinkdrv_finish(&d, &status));
	assert_int_equal(status, 0);
	sinkdrv_close(&d);
	free(keys);
	free(kbuf);
}

/* The code points [a, b) of UTF-8 s, as a new string. */
static char *
cp_slice(const char *s, long a, long b)
{
	const char *p = s, *from = NULL, *to = NULL;
	long i = 0;
	for (;; p++) {
		if ((*p & 0xC0) != 0x80) {
			if (i == a)
				from = p;
			if (i == b) {
				to = p;
				break;
			}
			if (*p == '\0')
				break;
			i++;
		}
	}
	assert_non_null(from);
	assert_non_null(to);
	return strndup(from, (size_t)(to - from));
}

static long
jint(struct json_object *o, const char *key)
{
	struct json_object *v;
	assert_true(json_object_object_get_ex(o, key, &v));
	return (long)json_object_get_int64(v);
}

/*
 * The sections' body and the metrics' sentence of document url, as the views
 * give them, are the parser's: its sentence, and its text cut at its offsets.
 */
static void
check_views_match_parser(const char *conninfo, const char *url, struct json_object *hdr)
{
	struct json_object *doc = sinkdrv_doc(hdr), *secs, *mets, *tv;
	char sql[512];
	assert_true(json_object_object_get_ex(doc, "text", &tv));
	assert_true(json_object_object_get_ex(doc, "sections", &secs));
	assert_true(json_object_object_get_ex(doc, "metrics", &mets));
	const char *text = json_object_get_string(tv);

	char *want = NULL;
	size_t wlen = 0;
	FILE *f = open_memstream(&want, &wlen);
	for (size_t i = 0; i < json_object_array_length(secs); i++) {
		struct json_object *s = json_object_array_get_idx(secs, i);
		char *body = cp_slice(text, jint(s, "start"), jint(s, "end"));
		fprintf(f, "%s\n", body);
		free(body);
	}
	fclose(f);
	snprintf(sql, sizeof(sql),
		 "SELECT s.body FROM sections s JOIN documents d ON d.id = s.document_id"
		 " WHERE d.url = '%s' ORDER BY s.id",
		 url);
	char *got = query_text(conninfo, sql);
	assert_true(json_object_array_length(secs) > 0);
	assert_string_equal(got, want);
	free(got);
	free(want);

	f = open_memstream(&want, &wlen);
	for (size_t i = 0; i < json_object_array_length(mets); i++) {
		struct json_object *m = json_object_array_get_idx(mets, i), *sv;
		assert_true(json_object_object_get_ex(m, "sentence", &sv));
		fprintf(f, "%s\n", json_object_get_string(sv));
	}
	fclose(f);
	snprintf(sql, sizeof(sql),
		 "SELECT m.sentence FROM metrics m JOIN documents d ON d.id = m.document_id"
		 " WHERE d.url = '%s' ORDER BY m.id",
		 url);
	got = query_text(conninfo, sql);
	assert_true(json_object_array_length(mets) > 0);
	assert_string_equal(got, want);
	free(got);
	/* report_metrics gives the same sentences */
	snprintf(sql, sizeof(sql),
		 "SELECT sentence FROM report_metrics WHERE url = '%s' ORDER BY metric_id", url);
	got = query_text(conninfo, sql);
	assert_string_equal(got, want);
	free(got);
	free(want);
}

static void
test_300_reports_fit_the_budget(void **state)
{
	(void)state;
	char conn[600];
	static char *bodies[NREPORTS];
	static size_t lens[NREPORTS];
	struct json_object *first = NULL;
	assert_int_equal(sinkdrv_createdb(base_conninfo, "budget", conn, sizeof(conn)), 0);
	for (int i = 0; i < NREPORTS; i++) {
		bodies[i] = malloc(seed_len + 64);
		memcpy(bodies[i], seed, seed_len);
		lens[i] =
		    seed_len + (size_t)snprintf(bodies[i] + seed_len, 64, "\n（第%d份）\n", i);
	}
	store(conn, "budget", bodies, lens, NREPORTS, &first);
	for (int i = 0; i < NREPORTS; i++)
		free(bodies[i]);

	assert_int_equal(q(conn, "SELECT count(*) FROM documents"), NREPORTS);
	check_views_match_parser(conn, "file:///budget/0", first);
	json_object_put(first);

	/* every table of the schema, with its indexes and TOAST */
	char *sizes = query_text(
	    conn, "SELECT c.relname || ' ' || pg_total_relation_size(c.oid) || ' (indexes '"
		  " || pg_indexes_size(c.oid) || ')' FROM pg_class c JOIN pg_namespace n"
		  " ON n.oid = c.relnamespace WHERE n.nspname = 'public' AND c.relkind = 'r'"
		  " ORDER BY pg_total_relation_size(c.oid) DESC");
	print_message("%s", sizes);
	free(sizes);
	sizes =
	    query_text(conn, "SELECT c.relname || ' ' || pg_relation_size(c.oid) FROM pg_class c"
			     " JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname ="
			     " 'public' AND c.relkind = 'i' AND pg_relation_size(c.oid) > 65536"
			     " ORDER BY pg_relation_size(c.oid) DESC");
	print_message("%s", sizes);
	free(sizes);
	sizes =
	    query_text(conn, "SELECT (SELECT count(*) FROM sections) || ' sections, ' ||"
			     " (SELECT count(*) FROM metrics) || ' metrics, raw bodies of ' ||"
			     " (SELECT sum(octet_length(body)) FROM documents_raw) || ' bytes'");
	print_message("%s", sizes);
	free(sizes);
	long stored = q(conn, "SELECT sum(pg_total_relation_size(c.oid)) FROM pg_class c"
			      " JOIN pg_namespace n ON n.oid = c.relnamespace"
			      " WHERE n.nspname = 'public' AND c.relkind = 'r'");
	long input = q(conn, "SELECT sum(octet_length(text)) FROM documents");
	double ratio = (double)stored / (double)input;
	print_message("%d reports: %ld bytes of text, %ld bytes stored: %.2f per input byte\n",
		      NREPORTS, input, stored, ratio);
	assert_true(ratio <= BUDGET);
}

static void
test_odd_characters_keep_their_offsets(void **state)
{
	(void)state;
	char conn[600];
	char *bodies[] = {(char *)odd_report};
	size_t lens[] = {sizeof(odd_report) - 1};
	struct json_object *hdr = NULL, *mets;
	assert_int_equal(sinkdrv_createdb(base_conninfo, "odd", conn, sizeof(conn)), 0);
	store(conn, "odd", bodies, lens, 1, &hdr);
	/* the report holds figures after non-BMP characters, else this proves little */
	assert_true(json_object_object_get_ex(sinkdrv_doc(hdr), "metrics", &mets));
	assert_true(json_object_array_length(mets) >= 4);
	check_views_match_parser(conn, "file:///odd/0", hdr);
	json_object_put(hdr);
}

/* The answers a migration must keep: bodies, sentences, figures, the views. */
static const char *const answers[] = {
    "SELECT md5(string_agg(concat_ws('|', id, document_id, parent_id, path, level, marker,"
    " heading, body, start_pos, end_pos), E'\\n' ORDER BY id)) FROM sections",
    "SELECT md5(string_agg(concat_ws('|', id, document_id, section_id, label, value, unit,"
    " qualifier, text, sentence, start_pos, end_pos, measure, target, year, key), E'\\n'"
    " ORDER BY id)) FROM metrics",
    "SELECT md5(string_agg(r::text, E'\\n' ORDER BY metric_id)) FROM report_metrics r",
    "SELECT md5(string_agg(c::text, E'\\n' ORDER BY document_id, key, measure, year, value,"
    " label)) FROM comparable_metrics c",
    "SELECT count(*) || ' ' || sum(value) FROM metrics",
};

#define DOC_COLS                                                                                   \
	"id, url, final_url, sha256, etag, last_modified, content_type, charset, fetched_at,"      \
	" title, issuer, report_year, published_on, parser_version, text, is_current, genre,"      \
	" region_code, region_name, link_text"
#define SEC_COLS                                                                                   \
	"id, document_id, parent_id, path, level, marker, heading, body, start_pos, end_pos"
#define MET_COLS                                                                                   \
	"id, document_id, section_id, section_path, label, value, unit, qualifier, text,"          \
	" sentence, start_pos, end_pos, measure, target, year, key"

static void
test_migrate_from_008_keeps_answers(void **state)
{
	(void)state;
	char src[600], old[600], conf[PATH_MAX], text[1024];
	char *bodies[] = {seed, (char *)odd_report};
	size_t lens[] = {seed_len, sizeof(odd_report) - 1};
	int rc;
	char *out;

	/* the rows the sink writes for the seed and the odd report */
	assert_int_equal(sinkdrv_createdb(base_conninfo, "mig_src", src, sizeof(src)), 0);
	store(src, "mig_src", bodies, lens, 2, NULL);

	/* a database as release 008 left it: 001-008 applied and recorded */
	assert_int_equal(sinkdrv_createdb(base_conninfo, "mig_old", old, sizeof(old)), 0);
	out = testutil_run(&rc,
			   "set -e; for f in sink/migrations/00[1-8]_*.sql; do"
			   " psql -X -q -v ON_ERROR_STOP=1 -d '%s' -1 -f $f; done; psql -X -q"
			   " -v ON_ERROR_STOP=1 -d '%s' -c \"CREATE TABLE schema_migrations"
			   " (version integer PRIMARY KEY, name text NOT NULL, applied_at"
			   " timestamptz NOT NULL DEFAULT now())\"",
			   old, old);
	if (rc != 0)
		fail_msg("setting up 008 failed: %s", out);
	free(out);
	for (int i = 0; i < migrations_count && migrations[i].version <= 8; i++) {
		char sql[256];
		snprintf(sql, sizeof(sql),
			 "INSERT INTO schema_migrations VALUES (%d, '%s') RETURNING 1",
			 migrations[i].version, migrations[i].name);
		assert_int_equal(q(old, sql), 1);
	}
	/* holding the rows as 008's sink wrote them: body and sentence copied out */
	static const struct {
		const char *table, *cols;
	} tables[] = {{"documents", DOC_COLS},
		      {"documents_raw", "document_id, body"},
		      {"sections", SEC_COLS},
		      {"metrics", MET_COLS}};
	for (size_t i = 0; i < sizeof(tables) / sizeof(tables[0]); i++) {
		out = testutil_run(
		    &rc,
		    "set -e; psql -X -q -v"
		    " ON_ERROR_STOP=1 -d '%s' -c \"COPY (SELECT %s FROM %s) TO STDOUT\""
		    " | psql -X -q -v ON_ERROR_STOP=1 -d '%s' -c \"COPY %s (%s) FROM"
		    " STDIN\"",
		    src, tables[i].cols, tables[i].table, old, tables[i].table, tables[i].cols);
		if (rc != 0)
			fail_msg("copying %s failed: %s", tables[i].table, out);
		free(out);
	}
	assert_int_equal(q(old, "SELECT count(*) FROM metrics"),
			 q(src, "SELECT count(*) FROM metrics"));
	assert_int_equal(q(old, "SELECT count(*) FROM sections"),
			 q(src, "SELECT count(*) FROM sections"));
	/* an older parser's rows that the text does not give back: kept as they were */
	assert_int_equal(q(old, "WITH s AS (UPDATE sections SET body = body || '旧' WHERE id ="
				" (SELECT max(id) FROM sections) RETURNING 1),"
				" m AS (UPDATE metrics SET sentence = '文中没有的句子' WHERE id ="
				" (SELECT min(id) FROM metrics) RETURNING 1)"
				" SELECT (SELECT count(*) FROM s) + (SELECT count(*) FROM m)"),
			 2);

	char *before[sizeof(answers) / sizeof(answers[0])];
	for (size_t i = 0; i < sizeof(answers) / sizeof(answers[0]); i++)
		before[i] = query_text(old, answers[i]);

	snprintf(conf, sizeof(conf), "%s/mig.conf", tmpdir);
	snprintf(text, sizeof(text),
		 "[database]\nconninfo = %s\n[pipeline]\nstate_dir = %s/st\nstale_after = 0\n", old,
		 tmpdir);
	assert_int_equal(testutil_write_file(conf, text, strlen(text)), 0);
	out = testutil_run(&rc, "%s db -c %s migrate", testutil_bin(), conf);
	if (rc != 0 || strstr(out, "applied migration 009") == NULL)
		fail_msg("migrate failed: %s", out);
	free(out);

	for (size_t i = 0; i < sizeof(answers) / sizeof(answers[0]); i++) {
		char *after = query_text(old, answers[i]);
		if (strcmp(before[i], after) != 0)
			fail_msg("%s\nbefore: %safter:  %s", answers[i], before[i], after);
		free(after);
		free(before[i]);
	}
	/* and the copies are gone, but for the two the text cannot give */
	assert_int_equal(q(old, "SELECT count(*) FROM sections_base WHERE body_copy IS NOT NULL"),
			 1);
	assert_int_equal(
	    q(old, "SELECT count(*) FROM metrics_base WHERE sentence_copy IS NOT NULL"), 1);
	assert_int_equal(q(old, "SELECT count(*) FROM metrics_base WHERE sentence_start IS NULL"),
			 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_300_reports_fit_the_budget),
	    cmocka_unit_test(test_odd_characters_keep_their_offsets),
	    cmocka_unit_test(test_migrate_from_008_keeps_answers),
	};
	return cmocka_run_group_tests_name("storage", tests, group_setup, group_teardown);
}
