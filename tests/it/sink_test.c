/*
 * sink_test.c - the sink against a real PostgreSQL (tests/it/pgtmp.sh), fed
 * over real ZeroMQ by tests/support/sinkdrv: exactly-once storage, is_current,
 * batches with a bad document in them, and the schema's migrations.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "migrations.h"
#include "sinkdrv.h"
#include "testutil.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char tmpdir[] = "/tmp/rp-sink-it.XXXXXX";
static char base_conninfo[512];
static char *seed;
static size_t seed_len;
static long seed_sections, seed_metrics;

static int
group_setup(void **state)
{
	(void)state;
	if (testutil_pg_group_setup(tmpdir, base_conninfo, sizeof(base_conninfo), &seed,
				    &seed_len) < 0)
		return -1;
	struct json_object *h = sinkdrv_result("k", "file:///seed", seed, seed_len), *v;
	if (h == NULL) {
		testutil_pg_group_teardown(tmpdir,
					   &seed); /* cmocka skips it after a failed set-up */
		return -1;
	}
	json_object_object_get_ex(sinkdrv_doc(h), "sections", &v);
	seed_sections = (long)json_object_array_length(v);
	json_object_object_get_ex(sinkdrv_doc(h), "metrics", &v);
	seed_metrics = (long)json_object_array_length(v);
	json_object_put(h);
	return 0;
}

static int
group_teardown(void **state)
{
	(void)state;
	testutil_pg_group_teardown(tmpdir, &seed);
	return 0;
}

/* A fresh database and a sink writing to it. */
static void
start(struct sinkdrv *d, const char *name, char *conninfo, size_t len)
{
	assert_int_equal(sinkdrv_start_db(d, base_conninfo, tmpdir, name, conninfo, len), 0);
}

/* The seed with a line appended, so that each n gives a new body (a new sha256). */
static char *
seed_variant(int n, size_t *len)
{
	char *b = malloc(seed_len + 64);
	assert_non_null(b);
	memcpy(b, seed, seed_len);
	*len = seed_len + (size_t)snprintf(b + seed_len, 64, "\n（版本%d）\n", n);
	return b;
}

static struct json_object *
result(const char *key, const char *url, const char *body, size_t len)
{
	struct json_object *h = sinkdrv_result(key, url, body, len);
	assert_non_null(h);
	return h;
}

/* Finish the run and check the sink's summary and exit. */
static struct json_object *
finish(struct sinkdrv *d)
{
	int status;
	struct json_object *summary = sinkdrv_finish(d, &status);
	if (summary == NULL || status != 0) {
		char *log = testutil_read_file(d->log, NULL);
		fail_msg("the sink ended with %d and %s a summary; its log:\n%s", status,
			 summary ? "" : "without", log ? log : "(none)");
	}
	return summary;
}

static long
summary_long(struct json_object *s, const char *key)
{
	struct json_object *v;
	return json_object_object_get_ex(s, key, &v) ? (long)json_object_get_int64(v) : -1;
}

static void
test_same_document_twice_leaves_one_copy(void **state)
{
	(void)state;
	struct sinkdrv d;
	char conn[600];
	start(&d, "twice", conn, sizeof(conn));

	/* twice in one batch, then once more in a later one: a fetcher redelivering */
	struct json_object *a = result("a", "file:///r/seed.txt", seed, seed_len);
	struct json_object *b = result("b", "file:///r/seed.txt", seed, seed_len);
	struct json_object *c = result("c", "file:///r/seed.txt", seed, seed_len);
	assert_int_equal(sinkdrv_send(&d, a, seed, seed_len), 0);
	assert_int_equal(sinkdrv_send(&d, b, seed, seed_len), 0);
	const char *ab[] = {"a", "b"}, *k3[] = {"c"};
	assert_int_equal(sinkdrv_wait_acks(&d, ab, 2, 30000), 0);
	assert_int_equal(sinkdrv_send(&d, c, seed, seed_len), 0);
	assert_int_equal(sinkdrv_wait_acks(&d, k3, 1, 30000), 0);

	int stored = strcmp(sinkdrv_status(&d, "a"), "stored") == 0;
	stored += strcmp(sinkdrv_status(&d, "b"), "stored") == 0;
	assert_int_equal(stored, 1);
	assert_string_equal(sinkdrv_status(&d, "c"), "duplicate");
	struct json_object *s = finish(&d);
	assert_int_equal(summary_long(s, "stored"), 1);
	assert_int_equal(summary_long(s, "duplicates"), 2);
	json_object_put(s);
	sinkdrv_close(&d);

	assert_int_equal(sinkdrv_query_long(conn, "SELECT count(*) FROM documents"), 1);
	assert_int_equal(sinkdrv_query_long(conn, "SELECT count(*) FROM documents_raw"), 1);
	assert_int_equal(sinkdrv_query_long(conn, "SELECT count(*) FROM sections"), seed_sections);
	assert_int_equal(sinkdrv_query_long(conn, "SELECT count(*) FROM metrics"), seed_metrics);
	assert_int_equal(sinkdrv_query_long(conn, "SELECT length(body) FROM documents_raw"),
			 (long)seed_len);
	assert_int_equal(sinkdrv_query_long(conn, "SELECT count(*) FROM dead_letters"), 0);
	json_object_put(a);
	json_object_put(b);
	json_object_put(c);
}

static void
test_new_version_flips_is_current(void **state)
{
	(void)state;
	struct sinkdrv d;
	char conn[600];
	size_t l2, l3, l4;
	char *v2 = seed_variant(2, &l2), *v3 = seed_variant(3, &l3), *v4 = seed_variant(4, &l4);
	start(&d, "versions", conn, sizeof(conn));

	struct json_object *h1 = result("v1", "file:///r/a.txt", seed, seed_len);
	assert_int_equal(sinkdrv_send(&d, h1, seed, seed_len), 0);
	const char *k1[] = {"v1"}, *k2[] = {"v2"}, *k34[] = {"v3", "v4"};
	assert_int_equal(sinkdrv_wait_acks(&d, k1, 1, 30000), 0);
	assert_int_equal(sinkdrv_query_long(conn, "SELECT count(*) FROM latest_documents"), 1);

	struct json_object *h2 = result("v2", "file:///r/a.txt", v2, l2);
	assert_int_equal(sinkdrv_send(&d, h2, v2, l2), 0);
	assert_int_equal(sinkdrv_wait_acks(&d, k2, 1, 30000), 0);
	assert_string_equal(sinkdrv_status(&d, "v2"), "stored");
	assert_int_equal(sinkdrv_query_long(conn, "SELECT count(*) FROM documents"), 2);
	assert_int_equal(
	    sinkdrv_query_long(conn, "SELECT count(*) FROM documents WHERE is_current"), 1);
	assert_int_equal(sinkdrv_query_long(conn, "SELECT count(*) FROM latest_documents WHERE"
						  " text LIKE '%（版本2）%'"),
			 1);

	/* two newer versions in one batch: the later one is current */
	struct json_object *h3 = result("v3", "file:///r/a.txt", v3, l3);
	struct json_object *h4 = result("v4", "file:///r/a.txt", v4, l4);
	assert_int_equal(sinkdrv_send(&d, h3, v3, l3), 0);
	assert_int_equal(sinkdrv_send(&d, h4, v4, l4), 0);
	assert_int_equal(sinkdrv_wait_acks(&d, k34, 2, 30000), 0);
	json_object_put(finish(&d));
	sinkdrv_close(&d);

	assert_int_equal(sinkdrv_query_long(conn, "SELECT count(*) FROM documents"), 4);
	assert_int_equal(
	    sinkdrv_query_long(conn, "SELECT count(*) FROM documents WHERE is_current"), 1);
	assert_int_equal(sinkdrv_query_long(conn, "SELECT count(*) FROM latest_documents WHERE"
						  " text LIKE '%（版本4）%'"),
			 1);
	/* the reporting view shows the current version's metrics only */
	assert_int_equal(sinkdrv_query_long(conn, "SELECT count(*) FROM report_metrics"),
			 seed_metrics);
	assert_int_equal(sinkdrv_query_long(conn, "SELECT count(DISTINCT document_id)"
						  " FROM report_metrics"),
			 1);
	json_object_put(h1);
	json_object_put(h2);
	json_object_put(h3);
	json_object_put(h4);
	free(v2);
	free(v3);
	free(v4);
}

/* Set the first metric's field key to a string the schema refuses. */
static void
spoil_metric(struct json_object *hdr, const char *key, const char *value)
{
	struct json_object *mets;
	assert_true(json_object_object_get_ex(sinkdrv_doc(hdr), "metrics", &mets));
	json_object_object_add(json_object_array_get_idx(mets, 0), key,
			       json_object_new_string(value));
}

/* Send n variants of the seed at once (key "bN", url file:///batch/N); spoil() picks bad ones. */
static void
send_batch(struct sinkdrv *d, int n, void (*spoil)(int, struct json_object *))
{
	for (int i = 0; i < n; i++) {
		char key[16], url[64];
		size_t len;
		char *body = seed_variant(i, &len);
		snprintf(key, sizeof(key), "b%d", i);
		snprintf(url, sizeof(url), "file:///batch/%d", i);
		struct json_object *h = result(key, url, body, len);
		if (spoil)
			spoil(i, h);
		assert_int_equal(sinkdrv_send(d, h, body, len), 0);
		json_object_put(h);
		free(body);
	}
}

static void
wait_batch(struct sinkdrv *d, int n)
{
	const char *keys[64];
	char names[64][16];
	for (int i = 0; i < n; i++) {
		snprintf(names[i], sizeof(names[i]), "b%d", i);
		keys[i] = names[i];
	}
	if (sinkdrv_wait_acks(d, keys, (size_t)n, 60000) < 0) {
		char *log = testutil_read_file(d->log, NULL);
		fail_msg("not every document was acknowledged; the sink's log:\n%s", log);
	}
}

static void
spoil_fifth(int i, struct json_object *h)
{
	if (i == 4)
		spoil_metric(h, "qualifier", "roughly"); /* CHECK (qualifier IN (...)) */
}

static void
test_batch_with_one_bad_document(void **state)
{
	(void)state;
	struct sinkdrv d;
	char conn[600];
	start(&d, "badbatch", conn, sizeof(conn));
	send_batch(&d, 9, spoil_fifth);
	wait_batch(&d, 9);
	for (int i = 0; i < 9; i++) {
		char key[16];
		snprintf(key, sizeof(key), "b%d", i);
		assert_string_equal(sinkdrv_status(&d, key), i == 4 ? "failed" : "stored");
	}
	struct json_object *s = finish(&d);
	assert_int_equal(summary_long(s, "stored"), 8);
	assert_int_equal(summary_long(s, "failed"), 1);
	json_object_put(s);
	sinkdrv_close(&d);

	/* it went in as a batch, which the sink split to find the bad one */
	assert_int_equal(sinkdrv_count_lines(d.log, "splitting it to find the document at fault"),
			 1);
	assert_int_equal(sinkdrv_query_long(conn, "SELECT count(*) FROM documents"), 8);
	assert_int_equal(sinkdrv_query_long(conn, "SELECT count(*) FROM documents WHERE"
						  " url = 'file:///batch/4'"),
			 0);
	assert_int_equal(sinkdrv_query_long(conn, "SELECT count(*) FROM sections"),
			 8 * seed_sections);
	assert_int_equal(sinkdrv_query_long(conn, "SELECT count(*) FROM metrics"),
			 8 * seed_metrics);
	assert_int_equal(sinkdrv_query_long(conn, "SELECT count(*) FROM documents_raw"), 8);
	/* the dead letter names the document, the error and its SQLSTATE, and keeps the body */
	assert_int_equal(sinkdrv_query_long(conn,
					    "SELECT count(*) FROM dead_letters WHERE"
					    " url = 'file:///batch/4' AND stage = 'store'"
					    " AND sqlstate = '23514' AND error LIKE '%23514%'"
					    " AND error LIKE '%qualifier%' AND body IS NOT NULL"),
			 1);
	assert_int_equal(sinkdrv_query_long(conn, "SELECT count(*) FROM dead_letters"), 1);
}

static void
spoil_two(int i, struct json_object *h)
{
	struct json_object *secs;
	if (i == 1) {
		/* refused by the documents' CHECK on report_year */
		json_object_object_add(sinkdrv_doc(h), "report_year", json_object_new_int(3000));
	} else if (i == 9) {
		/* refused by the sections' CHECK on level */
		assert_true(json_object_object_get_ex(sinkdrv_doc(h), "sections", &secs));
		json_object_object_add(json_object_array_get_idx(secs, 2), "level",
				       json_object_new_int(0));
	} else if (i == 6) {
		/* refused before the database: offsets outside the text */
		assert_true(json_object_object_get_ex(sinkdrv_doc(h), "sections", &secs));
		json_object_object_add(json_object_array_get_idx(secs, 0), "end",
				       json_object_new_int(10000000));
	}
}

static void
test_batch_with_several_bad_documents(void **state)
{
	(void)state;
	struct sinkdrv d;
	char conn[600];
	start(&d, "badbatch2", conn, sizeof(conn));
	send_batch(&d, 12, spoil_two);
	wait_batch(&d, 12);
	struct json_object *s = finish(&d);
	assert_int_equal(summary_long(s, "stored"), 9);
	assert_int_equal(summary_long(s, "failed"), 3);
	json_object_put(s);
	sinkdrv_close(&d);

	assert_int_equal(sinkdrv_query_long(conn, "SELECT count(*) FROM documents"), 9);
	assert_int_equal(sinkdrv_query_long(conn, "SELECT count(*) FROM metrics"),
			 9 * seed_metrics);
	assert_int_equal(sinkdrv_query_long(conn, "SELECT count(*) FROM dead_letters WHERE"
						  " url = 'file:///batch/1' AND sqlstate = '23514'"
						  " AND error LIKE '%report_year%'"),
			 1);
	assert_int_equal(sinkdrv_query_long(conn, "SELECT count(*) FROM dead_letters WHERE"
						  " url = 'file:///batch/9' AND sqlstate = '23514'"
						  " AND error LIKE '%level%'"),
			 1);
	assert_int_equal(sinkdrv_query_long(conn, "SELECT count(*) FROM dead_letters WHERE"
						  " url = 'file:///batch/6' AND sqlstate IS NULL"
						  " AND error LIKE '%outside the text%'"),
			 1);
}

/* A RESULT for body at url, as fetched at the given time with the given ETag. */
static struct json_object *
fetched(const char *key, const char *url, const char *body, size_t len, const char *at,
	const char *etag)
{
	struct json_object *h = result(key, url, body, len);
	json_object_object_add(h, "fetched_at", json_object_new_string(at));
	json_object_object_add(h, "etag", json_object_new_string(etag));
	return h;
}

/* Send one result and wait for its acknowledgement: the status. */
static const char *
send_one(struct sinkdrv *d, struct json_object *h, const char *body, size_t len)
{
	struct json_object *k;
	assert_true(json_object_object_get_ex(h, "key", &k));
	const char *keys[] = {json_object_get_string(k)};
	assert_int_equal(sinkdrv_send(d, h, body, len), 0);
	assert_int_equal(sinkdrv_wait_acks(d, keys, 1, 30000), 0);
	const char *status = sinkdrv_status(d, keys[0]);
	json_object_put(h);
	return status;
}

static void
test_earlier_version_is_current_again(void **state)
{
	(void)state;
	struct sinkdrv d;
	char conn[600];
	size_t l2;
	char *v2 = seed_variant(2, &l2);
	const char *url = "file:///r/back.txt";
	static const char current[] = "SELECT count(*) FROM documents WHERE is_current";
	static const char v1_current[] = "SELECT count(*) FROM documents WHERE is_current"
					 " AND text NOT LIKE '%（版本2）%'";
	start(&d, "back", conn, sizeof(conn));

	assert_string_equal(
	    send_one(&d, fetched("a1", url, seed, seed_len, "2026-01-01T03:00:00Z", "\"e1\""), seed,
		     seed_len),
	    "stored");
	assert_string_equal(
	    send_one(&d, fetched("b1", url, v2, l2, "2026-01-02T03:00:00Z", "\"e2\""), v2, l2),
	    "stored");
	assert_int_equal(sinkdrv_query_long(conn, v1_current), 0);

	/* the page goes back to the first version: that one is current again */
	assert_string_equal(
	    send_one(&d, fetched("a2", url, seed, seed_len, "2026-01-03T03:00:00Z", "\"e3\""), seed,
		     seed_len),
	    "stored");
	assert_int_equal(sinkdrv_query_long(conn, "SELECT count(*) FROM documents"), 2);
	assert_int_equal(sinkdrv_query_long(conn, current), 1);
	assert_int_equal(sinkdrv_query_long(conn, v1_current), 1);
	/* with the validators and time of the fetch that brought it back */
	assert_int_equal(sinkdrv_query_long(conn, "SELECT count(*) FROM documents WHERE is_current"
						  " AND etag = '\"e3\"' AND fetched_at ="
						  " '2026-01-03T03:00:00Z'"),
			 1);
	assert_int_equal(sinkdrv_query_long(conn, "SELECT count(DISTINCT document_id)"
						  " FROM report_metrics"),
			 1);
	assert_int_equal(sinkdrv_query_long(conn, "SELECT count(*) FROM report_metrics r"
						  " JOIN documents d ON d.id = r.document_id"
						  " WHERE d.text LIKE '%（版本2）%'"),
			 0);

	/* the second version again, but fetched before that: a job left in a spool */
	assert_string_equal(
	    send_one(&d, fetched("b2", url, v2, l2, "2026-01-02T04:00:00Z", "\"e2\""), v2, l2),
	    "duplicate");
	assert_int_equal(sinkdrv_query_long(conn, v1_current), 1);
	/* the current version again: a duplicate, and nothing of it is written */
	assert_string_equal(
	    send_one(&d, fetched("a3", url, seed, seed_len, "2026-01-04T03:00:00Z", "\"e4\""), seed,
		     seed_len),
	    "duplicate");
	assert_int_equal(sinkdrv_query_long(conn, "SELECT count(*) FROM documents WHERE is_current"
						  " AND etag = '\"e3\"'"),
			 1);

	/* both versions at once: the one fetched last is current, whatever their order */
	struct json_object *late = fetched("a4", url, seed, seed_len, "2026-01-06T03:00:00Z", "e6");
	struct json_object *early = fetched("b3", url, v2, l2, "2026-01-05T03:00:00Z", "e5");
	const char *both[] = {"a4", "b3"};
	assert_int_equal(sinkdrv_send(&d, late, seed, seed_len), 0);
	assert_int_equal(sinkdrv_send(&d, early, v2, l2), 0);
	assert_int_equal(sinkdrv_wait_acks(&d, both, 2, 30000), 0);
	json_object_put(late);
	json_object_put(early);
	assert_int_equal(sinkdrv_query_long(conn, current), 1);
	assert_int_equal(sinkdrv_query_long(conn, v1_current), 1);

	struct json_object *s = finish(&d);
	sinkdrv_close(&d);
	/* a1, b1, a2 changed what the URL shows; b2 and a3 did not */
	assert_true(summary_long(s, "stored") >= 3);
	assert_true(summary_long(s, "duplicates") >= 2);
	assert_int_equal(summary_long(s, "stored") + summary_long(s, "duplicates"), 7);
	json_object_put(s);
	assert_int_equal(sinkdrv_query_long(conn, "SELECT count(*) FROM documents"), 2);
	free(v2);
}

static void
test_documents_are_batched(void **state)
{
	(void)state;
	struct sinkdrv d;
	char conn[600];
	start(&d, "batched", conn, sizeof(conn));
	send_batch(&d, 20, NULL);
	wait_batch(&d, 20);
	struct json_object *s = finish(&d);
	sinkdrv_close(&d);
	assert_int_equal(summary_long(s, "stored"), 20);
	/* fewer transactions than documents, and they show as such in the rows' xmin */
	long tx = summary_long(s, "transactions");
	json_object_put(s);
	assert_true(tx >= 1 && tx < 20);
	assert_int_equal(
	    sinkdrv_query_long(conn, "SELECT count(DISTINCT xmin::text) FROM documents"), tx);
	/* every metric sits in a section of its own document */
	assert_int_equal(sinkdrv_query_long(conn, "SELECT count(*) FROM metrics m JOIN sections s"
						  " ON s.id = m.section_id AND s.document_id ="
						  " m.document_id AND s.path = m.section_path"),
			 20 * seed_metrics);
}

static void
test_copy_fields_round_trip(void **state)
{
	(void)state;
	struct sinkdrv d;
	char conn[600];
	static const char odd[] = "tab\there back\\slash cr\r nl\n \\N quote' 双\"引\"号 ①";
	start(&d, "escapes", conn, sizeof(conn));
	struct json_object *h = result("e", "file:///r/odd\tname.txt", seed, seed_len), *secs;
	json_object_object_add(sinkdrv_doc(h), "title", json_object_new_string(odd));
	assert_true(json_object_object_get_ex(sinkdrv_doc(h), "sections", &secs));
	json_object_object_add(json_object_array_get_idx(secs, 1), "heading",
			       json_object_new_string(odd));
	spoil_metric(h, "label", odd);
	json_object_object_add(h, "source", json_object_new_string(odd));
	assert_int_equal(sinkdrv_send(&d, h, seed, seed_len), 0);
	const char *k[] = {"e"};
	assert_int_equal(sinkdrv_wait_acks(&d, k, 1, 30000), 0);
	assert_string_equal(sinkdrv_status(&d, "e"), "stored");
	json_object_put(finish(&d));
	sinkdrv_close(&d);
	json_object_put(h);

	/* each odd string comes back byte for byte, wherever it went through COPY */
	char sql[512];
	snprintf(sql, sizeof(sql),
		 "SELECT (SELECT count(*) FROM documents WHERE title = $q$%s$q$"
		 " AND url = E'file:///r/odd\\tname.txt')"
		 " + (SELECT count(*) FROM sections WHERE heading = $q$%s$q$ AND path = '1.1')"
		 " + (SELECT count(*) FROM metrics WHERE label = $q$%s$q$)"
		 " + (SELECT count(*) FROM sources WHERE name = $q$%s$q$)",
		 odd, odd, odd, odd);
	assert_int_equal(sinkdrv_query_long(conn, sql), 4);
	assert_int_equal(sinkdrv_query_long(conn, "SELECT count(*) FROM documents d JOIN sources s"
						  " ON s.id = d.source_id"),
			 1);
}

/* Set metric i's measure, target and year as a parser would. */
static void
set_meaning(struct json_object *hdr, size_t i, const char *measure, int target, int year)
{
	struct json_object *mets;
	assert_true(json_object_object_get_ex(sinkdrv_doc(hdr), "metrics", &mets));
	struct json_object *m = json_object_array_get_idx(mets, i);
	assert_non_null(m);
	json_object_object_add(m, "measure", measure ? json_object_new_string(measure) : NULL);
	json_object_object_add(m, "target", json_object_new_boolean(target));
	json_object_object_add(m, "year", year ? json_object_new_int(year) : NULL);
}

static void
test_metric_meaning_is_stored(void **state)
{
	(void)state;
	struct sinkdrv d;
	char conn[600];
	size_t len;
	start(&d, "meaning", conn, sizeof(conn));
	char *body = seed_variant(1, &len);
	struct json_object *h = result("m", "file:///r/meaning.txt", body, len), *mets, *m0;
	/* what the parser said of the seed's first metric is what the database holds */
	assert_true(json_object_object_get_ex(sinkdrv_doc(h), "metrics", &mets));
	m0 = json_object_array_get_idx(mets, 0);
	struct json_object *v;
	assert_true(json_object_object_get_ex(m0, "measure", &v));
	char want[160];
	snprintf(want, sizeof(want), "%s", json_object_get_string(v));
	set_meaning(h, 1, "growth", 1, 2021);
	set_meaning(h, 2, "share", 0, 2020);
	set_meaning(h, 3, "change", 0, 0);
	/* a document from a parser before version 2 says nothing of them */
	json_object_object_del(json_object_array_get_idx(mets, 4), "measure");
	json_object_object_del(json_object_array_get_idx(mets, 4), "target");
	json_object_object_del(json_object_array_get_idx(mets, 4), "year");
	assert_int_equal(sinkdrv_send(&d, h, body, len), 0);
	/* a measure the schema does not know makes the document a dead letter */
	free(body);
	body = seed_variant(2, &len);
	struct json_object *bad = result("x", "file:///r/badmeasure.txt", body, len);
	set_meaning(bad, 0, "speed", 0, 0);
	assert_int_equal(sinkdrv_send(&d, bad, body, len), 0);
	const char *k[] = {"m", "x"};
	assert_int_equal(sinkdrv_wait_acks(&d, k, 2, 30000), 0);
	assert_string_equal(sinkdrv_status(&d, "m"), "stored");
	assert_string_not_equal(sinkdrv_status(&d, "x"), "stored");
	json_object_put(finish(&d));
	sinkdrv_close(&d);
	json_object_put(h);
	json_object_put(bad);
	free(body);

	char sql[512];
	snprintf(sql, sizeof(sql),
		 "SELECT count(*) FROM metrics WHERE id = (SELECT min(id) FROM metrics)"
		 " AND measure = '%s' AND NOT target",
		 want);
	assert_int_equal(sinkdrv_query_long(conn, sql), 1);
	/* the metrics set by hand, by their place in the document (ids follow it) */
	static const char *const set[] = {
	    "measure = 'growth' AND target AND year = 2021",
	    "measure = 'share' AND NOT target AND year = 2020",
	    "measure = 'change' AND NOT target AND year IS NULL",
	    "measure IS NULL AND NOT target AND year IS NULL",
	};
	for (int i = 0; i < 4; i++) {
		snprintf(sql, sizeof(sql),
			 "SELECT count(*) FROM (SELECT * FROM report_metrics ORDER BY metric_id"
			 " OFFSET %d LIMIT 1) m WHERE %s",
			 i + 1, set[i]);
		if (sinkdrv_query_long(conn, sql) != 1)
			fail_msg("metric %d is not stored as %s", i + 1, set[i]);
	}
	assert_int_equal(sinkdrv_query_long(conn, "SELECT count(*) FROM metrics"), seed_metrics);
	/* report_metrics keeps its earlier columns first, in order */
	assert_int_equal(sinkdrv_query_long(
			     conn, "SELECT count(*) FROM information_schema.columns WHERE"
				   " table_name = 'report_metrics' AND ((column_name = 'qualifier'"
				   " AND ordinal_position = 11) OR (column_name = 'section_id' AND"
				   " ordinal_position = 16) OR (column_name = 'year' AND"
				   " ordinal_position = 19))"),
			 3);
}

static int
count_in(const char *text, const char *needle)
{
	int n = 0;
	for (const char *p = text; (p = strstr(p, needle)) != NULL; p += strlen(needle))
		n++;
	return n;
}

static void
test_migrate_from_version_1_keeps_data(void **state)
{
	(void)state;
	char conn[600], conf[PATH_MAX], text[1024];
	int rc;
	assert_int_equal(sinkdrv_createdb(base_conninfo, "fromv1", conn, sizeof(conn)), 0);
	/* a database as the first release left it: 001 applied and recorded, with data */
	char *out = testutil_run(
	    &rc,
	    "psql -X -q -v ON_ERROR_STOP=1 -d '%s' -1 -f sink/migrations/001_init.sql -c \""
	    "CREATE TABLE schema_migrations (version integer PRIMARY KEY, name text NOT NULL,"
	    " applied_at timestamptz NOT NULL DEFAULT now());"
	    " INSERT INTO schema_migrations VALUES (1, '001_init');"
	    " INSERT INTO documents (url, sha256, parser_version, text) VALUES ('file:///old',"
	    " repeat('a', 64), 1, '一、旧');"
	    " INSERT INTO sections (document_id, path, level, marker, heading, body, start_pos,"
	    " end_pos) VALUES (1, '1', 1, '一、', '旧', '一、旧', 0, 3);"
	    " INSERT INTO dead_letters (url, stage, error) VALUES ('file:///gone', 'fetch', 'x');"
	    /* one URL failing the same way in three runs: one letter after 004 */
	    " INSERT INTO dead_letters (url, stage, error, created_at) VALUES"
	    " ('file:///404', 'fetch', 'http 404 (permanent) after 1 attempt: a', now() - interval "
	    "'2 days'),"
	    " ('file:///404', 'fetch', 'http 404 (permanent) after 2 attempts: b', now() - "
	    "interval '1 day'),"
	    " ('file:///404', 'fetch', 'http 404 (permanent) after 1 attempt: c', now())\"",
	    conn);
	if (rc != 0)
		fail_msg("setting up version 1 failed: %s", out);
	free(out);

	snprintf(conf, sizeof(conf), "%s/fromv1.conf", tmpdir);
	/* stale_after = 0: no age check; with no run yet, db status still exits 1 */
	snprintf(text, sizeof(text),
		 "[database]\nconninfo = %s\n[pipeline]\nstate_dir = %s/st\nstale_after = 0\n",
		 conn, tmpdir);
	assert_int_equal(testutil_write_file(conf, text, strlen(text)), 0);
	/* two at once: the advisory lock lets one apply 002 to 004 while the other waits */
	out = testutil_run(&rc,
			   "(%s db -c %s migrate & %s db -c %s migrate; a=$?; wait $!; b=$?;"
			   " exit $((a + b)))",
			   testutil_bin(), conf, testutil_bin(), conf);
	if (rc != 0)
		fail_msg("concurrent migrates failed: %s", out);
	assert_int_equal(count_in(out, "applied migration 002"), 1);
	assert_int_equal(count_in(out, "applied migration 003"), 1);
	assert_int_equal(count_in(out, "applied migration 004"), 1);
	assert_int_equal(count_in(out, "applied migration 005"), 1);
	free(out);
	out = testutil_run(&rc, "%s db -c %s migrate", testutil_bin(), conf);
	assert_int_equal(rc, 0);
	assert_null(strstr(out, "applied migration"));
	free(out);
	const struct migration *last = &migrations[migrations_count - 1];
	assert_int_equal(sinkdrv_query_long(conn, "SELECT max(version) FROM schema_migrations"),
			 last->version);
	assert_int_equal(sinkdrv_query_long(conn, "SELECT count(*) FROM schema_migrations"),
			 migrations_count);
	/* 004 collapsed the three into the latest, seen three times since the first */
	assert_int_equal(sinkdrv_query_long(conn, "SELECT count(*) FROM dead_letters"), 2);
	assert_int_equal(sinkdrv_query_long(conn, "SELECT count FROM dead_letters WHERE url ="
						  " 'file:///404' AND cause = 'http 404' AND error"
						  " LIKE '%: c' AND created_at < last_seen"),
			 3);
	assert_int_equal(sinkdrv_query_long(conn, "SELECT count(*) FROM sections s JOIN documents d"
						  " ON d.id = s.document_id"),
			 1);

	/* db status: the version, the runs, the dead letters waiting; no run yet is not healthy */
	out = testutil_run(&rc, "%s db -c %s status", testutil_bin(), conf);
	assert_int_equal(rc, 1);
	char want[128];
	snprintf(want, sizeof(want), "schema version: %d (%s)", last->version, last->name);
	assert_non_null(strstr(out, want));
	assert_non_null(strstr(out, "dead letters waiting: 2 "));
	assert_non_null(strstr(out, "health: no run recorded yet"));
	assert_non_null(strstr(out, "last runs:"));
	free(out);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_same_document_twice_leaves_one_copy),
	    cmocka_unit_test(test_new_version_flips_is_current),
	    cmocka_unit_test(test_earlier_version_is_current_again),
	    cmocka_unit_test(test_batch_with_one_bad_document),
	    cmocka_unit_test(test_batch_with_several_bad_documents),
	    cmocka_unit_test(test_documents_are_batched),
	    cmocka_unit_test(test_copy_fields_round_trip),
	    cmocka_unit_test(test_metric_meaning_is_stored),
	    cmocka_unit_test(test_migrate_from_version_1_keeps_data),
	};
	return cmocka_run_group_tests_name("sink", tests, group_setup, group_teardown);
}
