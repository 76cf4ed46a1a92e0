/*
 * sink_legacy_test.c - a RESULT the sink cannot read is refused by name,
 * never lost: a parser of an older release (wire format reportpipe/1, the
 * document as JSON in the header) and a body that is not the MessagePack
 * [report, document] of reportpipe/1.1 each become a dead letter that keeps
 * the report, are acknowledged as failed, and the sink goes on storing what
 * a current parser sends. Real PostgreSQL, real ZeroMQ (tests/support/sinkdrv).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "sinkdrv.h"
#include "testutil.h"
#include "wire.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

static char tmpdir[] = "/tmp/rp-sink-legacy-it.XXXXXX";

/* Send frames as they are: what a peer of another release puts on the socket. */
static void
send_raw(void *sock, const char *version, const char *hdr, const void *body, size_t len)
{
	assert_true(zmq_send(sock, version, strlen(version), ZMQ_SNDMORE) >= 0);
	assert_true(zmq_send(sock, "RESULT", 6, ZMQ_SNDMORE) >= 0);
	assert_true(zmq_send(sock, hdr, strlen(hdr), ZMQ_SNDMORE) >= 0);
	assert_true(zmq_send(sock, body, len, 0) >= 0);
}

/* The header of hdr with the run's fields, as JSON text (owned). */
static char *
header_text(const struct sinkdrv *d, struct json_object *hdr)
{
	json_object_object_add(hdr, "run", json_object_new_string("sinkdrv"));
	json_object_object_add(hdr, "run_id", json_object_new_int64(d->run_id));
	return strdup(json_object_to_json_string_ext(hdr, JSON_C_TO_STRING_PLAIN));
}

static void
test_old_and_broken_results_become_dead_letters(void **state)
{
	(void)state;
	char conn[600], dir[PATH_MAX], base[512];
	size_t seed_len;
	struct sinkdrv d;
	char *seed = testutil_read_file("examples/reports/shaoguan-2020-fazhi.txt", &seed_len);
	assert_non_null(seed);
	assert_int_equal(testutil_pg_start(tmpdir, base, sizeof(base)), 0);
	assert_int_equal(sinkdrv_createdb(base, "legacy", conn, sizeof(conn)), 0);
	snprintf(dir, sizeof(dir), "%s/legacy", tmpdir);
	assert_int_equal(sinkdrv_start(&d, dir, conn), 0);

	/* 1: a parser of the old release: reportpipe/1, the document as JSON in the header */
	struct json_object *old = sinkdrv_result("old", "file:///r/old.txt", seed, seed_len);
	assert_non_null(old);
	char *text = header_text(&d, old);
	send_raw(d.results, WIRE_VERSION_LEGACY, text, seed, seed_len);
	free(text);
	/* 2: this release's version, a body that is not [report, document] */
	struct json_object *bad = sinkdrv_result("bad", "file:///r/bad.txt", seed, seed_len);
	json_object_object_del(bad, "doc");
	text = header_text(&d, bad);
	send_raw(d.results, WIRE_VERSION, text, seed, seed_len);
	free(text);
	/* 3: and what a current parser sends is stored all the same */
	struct json_object *good = sinkdrv_result("good", "file:///r/good.txt", seed, seed_len);
	assert_int_equal(sinkdrv_send(&d, good, seed, seed_len), 0);

	const char *keys[] = {"old", "bad", "good"};
	if (sinkdrv_wait_acks(&d, keys, 3, 30000) < 0)
		fail_msg("not every result was acknowledged; the sink's log:\n%s",
			 testutil_read_file(d.log, NULL));
	assert_string_equal(sinkdrv_status(&d, "old"), "failed");
	assert_string_equal(sinkdrv_status(&d, "bad"), "failed");
	assert_string_equal(sinkdrv_status(&d, "good"), "stored");
	int status;
	struct json_object *summary = sinkdrv_finish(&d, &status), *v;
	assert_non_null(summary);
	assert_int_equal(status, 0);
	assert_true(json_object_object_get_ex(summary, "failed", &v));
	assert_int_equal(json_object_get_int64(v), 2);
	assert_true(json_object_object_get_ex(summary, "stored", &v));
	assert_int_equal(json_object_get_int64(v), 1);
	json_object_put(summary);
	sinkdrv_close(&d);

	/* the sink's one line says what came and what to do */
	assert_int_equal(sinkdrv_count_lines(d.log,
					     "url=\"file:///r/old.txt\" msg=\"not stored:"
					     " refused a result in the format of reportpipe/1"),
			 1);
	assert_int_equal(sinkdrv_count_lines(d.log, "upgrade that parser"), 1);
	assert_int_equal(sinkdrv_count_lines(d.log, "url=\"file:///r/bad.txt\" msg=\"not stored:"
						    " the result's body is not a MessagePack"),
			 1);
	/* each letter keeps the report as it came, byte for byte */
	char sql[512];
	snprintf(
	    sql, sizeof(sql),
	    "SELECT count(*) FROM dead_letters WHERE url = 'file:///r/old.txt'"
	    " AND stage = 'store' AND error LIKE '%%reportpipe/1 %%' AND octet_length(body) = %zu"
	    " AND sha256(body) = (SELECT sha256(body) FROM documents_raw)",
	    seed_len);
	assert_int_equal(sinkdrv_query_long(conn, sql), 1);
	snprintf(sql, sizeof(sql),
		 "SELECT count(*) FROM dead_letters WHERE url = 'file:///r/bad.txt'"
		 " AND stage = 'store' AND octet_length(body) = %zu",
		 seed_len);
	assert_int_equal(sinkdrv_query_long(conn, sql), 1);
	assert_int_equal(sinkdrv_query_long(conn, "SELECT count(*) FROM dead_letters"), 2);
	assert_int_equal(sinkdrv_query_long(conn, "SELECT count(*) FROM documents"), 1);
	assert_int_equal(
	    sinkdrv_query_long(conn,
			       "SELECT count(*) FROM documents WHERE url = 'file:///r/good.txt'"),
	    1);
	json_object_put(old);
	json_object_put(bad);
	json_object_put(good);
	free(seed);
}

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
	(void)state;
	return mkdtemp(tmpdir) ? 0 : -1;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_old_and_broken_results_become_dead_letters),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
