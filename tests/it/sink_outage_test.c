/*
 * sink_outage_test.c - PostgreSQL stops in the middle of a stream
 * (pg_ctl stop -m fast) and comes back 5 s later: the sink keeps what it
 * holds, reconnects with capped backoff without burning CPU, says so once,
 * and in the end every document is stored exactly once.
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
#include <time.h>
#include <unistd.h>

#define NDOCS 40
#define STOP_AFTER 12 /* documents sent before PostgreSQL stops */

static char tmpdir[] = "/tmp/rp-outage-it.XXXXXX";
static char base_conninfo[512];
static char *seed;
static size_t seed_len;

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

static double
now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* CPU seconds (user + system) the process has used, from /proc. */
static double
cpu_seconds(pid_t pid)
{
	char path[64], *text;
	unsigned long ut = 0, st = 0;
	snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
	text = testutil_read_file(path, NULL);
	assert_non_null(text);
	/* the fields after the command name, which is in parentheses and may hold spaces */
	const char *p = strrchr(text, ')');
	assert_non_null(p);
	assert_int_equal(
	    sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &st), 2);
	free(text);
	return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

struct doc {
	char key[16];
	struct json_object *hdr;
	char *body;
	size_t len;
};

static void
make_doc(struct doc *d, int i)
{
	char url[64];
	d->body = malloc(seed_len + 64);
	assert_non_null(d->body);
	memcpy(d->body, seed, seed_len);
	d->len = seed_len + (size_t)snprintf(d->body + seed_len, 64, "\n（第%d份）\n", i);
	snprintf(d->key, sizeof(d->key), "o%d", i);
	snprintf(url, sizeof(url), "file:///outage/%d", i);
	d->hdr = sinkdrv_result(d->key, url, d->body, d->len);
	assert_non_null(d->hdr);
}

static void
test_postgres_restart_mid_stream_stores_each_document_once(void **state)
{
	(void)state;
	char conn[600], dir[PATH_MAX], pgdir[PATH_MAX];
	struct sinkdrv d;
	static struct doc docs[NDOCS];
	const char *keys[NDOCS];

	snprintf(pgdir, sizeof(pgdir), "%s/pg", tmpdir);
	snprintf(dir, sizeof(dir), "%s/outage", tmpdir);
	for (int i = 0; i < NDOCS; i++) {
		make_doc(&docs[i], i);
		keys[i] = docs[i].key;
	}
	assert_int_equal(sinkdrv_createdb(base_conninfo, "outage", conn, sizeof(conn)), 0);
	long per_doc_metrics;
	{
		struct json_object *mets;
		assert_true(json_object_object_get_ex(sinkdrv_doc(docs[0].hdr), "metrics", &mets));
		per_doc_metrics = (long)json_object_array_length(mets);
	}
	assert_int_equal(sinkdrv_start(&d, dir, conn), 0);

	/* a steady stream: one document every 100 ms */
	for (int i = 0; i < STOP_AFTER; i++) {
		assert_int_equal(sinkdrv_send(&d, docs[i].hdr, docs[i].body, docs[i].len), 0);
		sinkdrv_pump(&d, 100);
	}
	assert_int_equal(sinkdrv_pg_ctl(pgdir, "stop"), 0);
	double stopped = now_s(), cpu_before = cpu_seconds(d.pid);
	for (int i = STOP_AFTER; i < NDOCS; i++) {
		assert_int_equal(sinkdrv_send(&d, docs[i].hdr, docs[i].body, docs[i].len), 0);
		sinkdrv_pump(&d, 100);
	}
	double left = 5.0 - (now_s() - stopped);
	if (left > 0)
		sinkdrv_pump(&d, (int)(left * 1000));
	/* nothing sent while the database was down may be acknowledged */
	int acked_while_down = 0;
	for (int i = STOP_AFTER; i < NDOCS; i++)
		acked_while_down += sinkdrv_status(&d, keys[i]) != NULL;
	assert_int_equal(acked_while_down, 0);
	double cpu_down = cpu_seconds(d.pid) - cpu_before, down_for = now_s() - stopped;
	assert_int_equal(sinkdrv_pg_ctl(pgdir, "start"), 0);

	/* a fetcher would redeliver what its lease saw unacknowledged: so do we, once */
	int redelivered = 0;
	for (int i = 0; i < NDOCS; i++) {
		if (sinkdrv_status(&d, keys[i]) == NULL) {
			assert_int_equal(sinkdrv_send(&d, docs[i].hdr, docs[i].body, docs[i].len),
					 0);
			redelivered++;
		}
	}
	if (sinkdrv_wait_acks(&d, keys, NDOCS, 90000) < 0) {
		char *log = testutil_read_file(d.log, NULL);
		fail_msg("not every document was acknowledged after the restart; log:\n%s", log);
	}
	int status;
	struct json_object *summary = sinkdrv_finish(&d, &status);
	assert_non_null(summary);
	assert_int_equal(status, 0);
	json_object_put(summary);
	for (int i = 0; i < NDOCS; i++)
		assert_string_not_equal(sinkdrv_status(&d, keys[i]), "failed");
	sinkdrv_close(&d);
	print_message("down %.1fs, sink CPU while down %.3fs, %d redelivered\n", down_for, cpu_down,
		      redelivered);

	assert_int_equal(sinkdrv_query_long(conn, "SELECT count(*) FROM documents"), NDOCS);
	assert_int_equal(sinkdrv_query_long(conn, "SELECT count(DISTINCT url) FROM documents"),
			 NDOCS);
	assert_int_equal(sinkdrv_query_long(conn, "SELECT count(*) FROM documents_raw"), NDOCS);
	assert_int_equal(sinkdrv_query_long(conn, "SELECT count(*) FROM metrics"),
			 NDOCS * per_doc_metrics);
	assert_int_equal(sinkdrv_query_long(conn,
					    "SELECT count(*) FROM (SELECT document_id"
					    " FROM metrics GROUP BY document_id HAVING"
					    " count(*) <> (SELECT count(*) FROM metrics WHERE"
					    " document_id = (SELECT min(id) FROM documents))) x"),
			 0);
	assert_int_equal(sinkdrv_query_long(conn, "SELECT count(*) FROM dead_letters"), 0);

	char *log = testutil_read_file(d.log, NULL);
	for (char *line = strtok(log, "\n"); line; line = strtok(NULL, "\n"))
		if (strstr(line, "reachable") || strstr(line, "refused"))
			print_message("%s\n", line);
	free(log);
	/* said once, with since when; and back again */
	assert_int_equal(sinkdrv_count_lines(d.log, "database unreachable since"), 1);
	assert_int_equal(sinkdrv_count_lines(d.log, "database reachable again"), 1);
	/* no retry storm: backing off costs next to no CPU */
	assert_true(cpu_down < 1.0);
	for (int i = 0; i < NDOCS; i++) {
		json_object_put(docs[i].hdr);
		free(docs[i].body);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_postgres_restart_mid_stream_stores_each_document_once),
	};
	return cmocka_run_group_tests_name("sink_outage", tests, group_setup, group_teardown);
}
