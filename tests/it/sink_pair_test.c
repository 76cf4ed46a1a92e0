/*
 * sink_pair_test.c - a batch stored over the sink's two connections
 * (sink/sink_pair.h), against a real PostgreSQL fed over real ZeroMQ by
 * tests/support/sinkdrv: both connections write, one URL's versions stay on
 * one side, a second connection that dies loses nothing and comes back,
 * one the server refuses leaves the first to store everything, and a
 * source both halves name is never locked by either.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "sink_pair.h"
#include "sinkdrv.h"
#include "testutil.h"

#include <libpq-fe.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char tmpdir[] = "/tmp/rp-sink-pair-it.XXXXXX";
static char base_conninfo[512];
static char *seed;
static size_t seed_len;

/* the sink's connections to its database, this query's own left out */
static const char sink_conns[] =
    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
    " AND backend_type = 'client backend' AND pid <> pg_backend_pid()";

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

static void
start(struct sinkdrv *d, const char *name, char *conninfo, size_t len)
{
	assert_int_equal(sinkdrv_start_db(d, base_conninfo, tmpdir, name, conninfo, len), 0);
}

/*
 * Send documents first..first+n-1 as keys k<i>: the seed with a line of
 * its own, at url u<i>, or at url_of(i) when given; from source src (with
 * src_url) when src is not NULL. All are built before the first is sent,
 * so that they reach the sink as one burst and fill its batches. Then wait
 * for every acknowledgement.
 */
static void
send_docs(struct sinkdrv *d, int first, int n, const char *(*url_of)(int), const char *src,
	  const char *src_url)
{
	char keys[64][16], *body[64];
	const char *k[64];
	size_t len[64];
	struct json_object *h[64];
	assert_true(n <= 64);
	for (int i = 0; i < n; i++) {
		char url[64];
		body[i] = malloc(seed_len + 64);
		assert_non_null(body[i]);
		memcpy(body[i], seed, seed_len);
		len[i] = seed_len +
			 (size_t)snprintf(body[i] + seed_len, 64, "\n（第%d份）\n", first + i);
		snprintf(keys[i], sizeof(keys[i]), "k%d", first + i);
		snprintf(url, sizeof(url), "file:///pair/u%d", first + i);
		k[i] = keys[i];
		h[i] = sinkdrv_result(keys[i], url_of ? url_of(first + i) : url, body[i], len[i]);
		assert_non_null(h[i]);
		if (src) {
			json_object_object_add(h[i], "source", json_object_new_string(src));
			json_object_object_add(h[i], "source_url", json_object_new_string(src_url));
		}
	}
	for (int i = 0; i < n; i++) {
		assert_int_equal(sinkdrv_send(d, h[i], body[i], len[i]), 0);
		json_object_put(h[i]);
		free(body[i]);
	}
	if (sinkdrv_wait_acks(d, k, (size_t)n, 20000) < 0) {
		char *log = testutil_read_file(d->log, NULL);
		fail_msg("not every document was acknowledged in 20 s; the sink's log:\n%s", log);
	}
	for (int i = 0; i < n; i++)
		assert_string_equal(sinkdrv_status(d, k[i]), "stored");
}

/*
 * 1 when every transaction that stored documents stored URLs of one side
 * only (sink_pair_side), and both sides had transactions of their own.
 */
static int
halves_kept_apart(const char *conninfo)
{
	PGconn *c = PQconnectdb(conninfo);
	PGresult *r = PQexec(c, "SELECT xmin::text, url FROM documents ORDER BY 1");
	int ok = PQresultStatus(r) == PGRES_TUPLES_OK, seen[2] = {0, 0};
	for (int i = 0; ok && i < PQntuples(r); i++) {
		int side = sink_pair_side(PQgetvalue(r, i, 1));
		if (i > 0 && strcmp(PQgetvalue(r, i, 0), PQgetvalue(r, i - 1, 0)) == 0)
			ok = side == sink_pair_side(PQgetvalue(r, i - 1, 1));
		else
			seen[side]++;
	}
	PQclear(r);
	PQfinish(c);
	return ok && seen[0] > 0 && seen[1] > 0;
}

static long
finish_stored(struct sinkdrv *d, long *transactions)
{
	int status;
	struct json_object *s = sinkdrv_finish(d, &status), *v;
	assert_non_null(s);
	assert_int_equal(status, 0);
	long stored = json_object_object_get_ex(s, "stored", &v) ? json_object_get_int(v) : -1;
	*transactions =
	    json_object_object_get_ex(s, "transactions", &v) ? json_object_get_int(v) : -1;
	json_object_put(s);
	return stored;
}

/* every third document is a new version of one URL: they must stay in order, on one side */
static const char *
url_with_versions(int i)
{
	static char url[64];
	if (i % 3 == 0)
		return "file:///pair/versions";
	snprintf(url, sizeof(url), "file:///pair/u%d", i);
	return url;
}

static void
test_batch_goes_in_over_two_connections(void **state)
{
	(void)state;
	struct sinkdrv d;
	char conn[600];
	long tx;
	start(&d, "pair", conn, sizeof(conn));
	send_docs(&d, 0, 60, url_with_versions, NULL, NULL);
	/* the run's connection and the second writer's */
	assert_int_equal(sinkdrv_query_long(conn, sink_conns), 2);
	assert_int_equal(finish_stored(&d, &tx), 60);
	sinkdrv_close(&d);

	assert_int_equal(sinkdrv_query_long(conn, "SELECT count(*) FROM documents"), 60);
	/* each half its own transaction, and counted as one */
	assert_int_equal(
	    sinkdrv_query_long(conn, "SELECT count(DISTINCT xmin::text) FROM documents"), tx);
	assert_true(tx >= 2);
	assert_true(halves_kept_apart(conn));
	/* one URL's versions went in on one side, in order: one current, the last */
	assert_int_equal(sinkdrv_query_long(conn, "SELECT count(*) FROM documents WHERE is_current"
						  " AND url = 'file:///pair/versions'"),
			 1);
	/* 57: the last multiple of 3 below 60 */
	assert_int_equal(sinkdrv_query_long(conn, "SELECT count(*) FROM documents WHERE is_current"
						  " AND url = 'file:///pair/versions'"
						  " AND text LIKE '%（第57份）%'"),
			 1);
	assert_int_equal(sinkdrv_query_long(conn, "SELECT count(*) FROM dead_letters"), 0);
}

static void
test_second_connection_lost(void **state)
{
	(void)state;
	struct sinkdrv d;
	char conn[600];
	long tx;
	start(&d, "pairlost", conn, sizeof(conn));
	send_docs(&d, 0, 30, NULL, NULL, NULL);
	assert_int_equal(sinkdrv_query_long(conn, sink_conns), 2);
	/* the second writer's backend: the one without the run's advisory lock */
	assert_int_equal(
	    sinkdrv_query_long(conn, "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
				     " WHERE datname = current_database() AND backend_type ="
				     " 'client backend' AND pid <> pg_backend_pid() AND pid NOT IN"
				     " (SELECT pid FROM pg_locks WHERE locktype = 'advisory')"),
	    1);
	send_docs(&d, 30, 30, NULL, NULL, NULL); /* its half goes in over the first */
	send_docs(&d, 60, 30, NULL, NULL, NULL); /* and it is back */
	assert_int_equal(sinkdrv_query_long(conn, sink_conns), 2);
	assert_int_equal(finish_stored(&d, &tx), 90);
	sinkdrv_close(&d);

	assert_int_equal(sinkdrv_count_lines(d.log, "the second was lost"), 1);
	assert_int_equal(sinkdrv_query_long(conn, "SELECT count(*) FROM documents"), 90);
	assert_int_equal(sinkdrv_query_long(conn, "SELECT count(*) FROM documents_raw"), 90);
	assert_int_equal(sinkdrv_query_long(conn, "SELECT count(*) FROM dead_letters"), 0);
}

static void
test_known_source_is_not_locked(void **state)
{
	(void)state;
	struct sinkdrv d;
	char conn[600];
	long tx;
	start(&d, "pairsource", conn, sizeof(conn));
	send_docs(&d, 0, 20, NULL, "gov", "https://gov.example/list");
	/*
	 * An upsert of the source would wait for this lock; reading it and
	 * checking the documents' foreign key do not.
	 */
	PGconn *locker = PQconnectdb(conn);
	assert_int_equal(PQstatus(locker), CONNECTION_OK);
	/* should this test fail first, the server lets the lock go, and the sink with it */
	PQclear(PQexec(locker, "SET idle_in_transaction_session_timeout = '30s'"));
	PQclear(PQexec(locker, "BEGIN"));
	PGresult *r = PQexec(locker, "SELECT 1 FROM sources WHERE name = 'gov' FOR NO KEY UPDATE");
	assert_int_equal(PQntuples(r), 1);
	PQclear(r);
	send_docs(&d, 20, 40, NULL, "gov", "https://gov.example/list");
	PQclear(PQexec(locker, "COMMIT"));
	PQfinish(locker);
	/* a source whose address changed is written, once */
	send_docs(&d, 60, 20, NULL, "gov", "https://gov.example/new-list");
	assert_int_equal(finish_stored(&d, &tx), 80);
	sinkdrv_close(&d);

	assert_int_equal(sinkdrv_query_long(conn, "SELECT count(*) FROM sources"), 1);
	assert_int_equal(sinkdrv_query_long(conn, "SELECT count(*) FROM sources"
						  " WHERE url = 'https://gov.example/new-list'"),
			 1);
	assert_int_equal(sinkdrv_query_long(conn, "SELECT count(*) FROM documents d JOIN sources s"
						  " ON s.id = d.source_id AND s.name = 'gov'"),
			 80);
}

static void
test_second_connection_refused(void **state)
{
	(void)state;
	struct sinkdrv d;
	char conn[600], dir[PATH_MAX], as_one[700];
	long tx;
	/* a role the server lets in once: the sink's second connection is refused */
	assert_int_equal(sinkdrv_createdb(base_conninfo, "pairone", conn, sizeof(conn)), 0);
	assert_int_equal(testutil_pg_exec(conn, "CREATE ROLE rp_one LOGIN CONNECTION LIMIT 1;"
						" ALTER DATABASE pairone OWNER TO rp_one"),
			 0);
	snprintf(as_one, sizeof(as_one), "%s user=rp_one", conn);
	snprintf(dir, sizeof(dir), "%s/pairone", tmpdir);
	assert_int_equal(sinkdrv_start(&d, dir, as_one), 0);
	send_docs(&d, 0, 40, NULL, NULL, NULL);
	send_docs(&d, 40, 40, NULL, NULL, NULL);
	assert_int_equal(sinkdrv_query_long(conn, sink_conns), 1);
	assert_int_equal(finish_stored(&d, &tx), 80);
	sinkdrv_close(&d);

	/* said once, and everything went over the one connection */
	assert_int_equal(sinkdrv_count_lines(d.log, "a second cannot be opened"), 1);
	assert_int_equal(sinkdrv_query_long(conn, "SELECT count(*) FROM documents"), 80);
	assert_int_equal(sinkdrv_query_long(conn, "SELECT count(*) FROM dead_letters"), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_batch_goes_in_over_two_connections),
	    cmocka_unit_test(test_second_connection_lost),
	    cmocka_unit_test(test_second_connection_refused),
	    cmocka_unit_test(test_known_source_is_not_locked),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
