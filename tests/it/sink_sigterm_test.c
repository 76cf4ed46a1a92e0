/*
 * sink_sigterm_test.c - a SIGTERM reaches a sink that waits for its
 * database, and the sink acts on it within a second (issue 16): once with
 * PostgreSQL stopped (pg_ctl stop: the sink is in its reconnect back-off),
 * once with PostgreSQL hung (its postmaster stopped with SIGSTOP, so that a
 * new connection is accepted by the kernel and never answered). Each time
 * the sink exits 0 and says that the run's end is not recorded, nothing it
 * acknowledged is lost, and the next run stores the rest exactly once.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "monotime.h"
#include "sinkdrv.h"
#include "testutil.h"

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define NDOCS 12
#define BEFORE 4	    /* documents stored before the database goes away */
#define STOP_WITHIN_MS 1000 /* issue 16: a SIGTERM is acted on within 1 s */
#define BACKOFF_FOR_MS 3500 /* long enough for the back-off to reach 2 s sleeps */

static char tmpdir[] = "/tmp/rp-sigterm-it.XXXXXX";
static char base_conninfo[512];
static char *seed;
static size_t seed_len;

struct doc {
	char key[16];
	struct json_object *hdr;
	char *body;
	size_t len;
};

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
make_docs(struct doc *docs, const char *tag)
{
	for (int i = 0; i < NDOCS; i++) {
		struct doc *d = &docs[i];
		char url[64];
		d->body = malloc(seed_len + 64);
		assert_non_null(d->body);
		memcpy(d->body, seed, seed_len);
		d->len =
		    seed_len + (size_t)snprintf(d->body + seed_len, 64, "\n（%s第%d份）\n", tag, i);
		snprintf(d->key, sizeof(d->key), "%s%d", tag, i);
		snprintf(url, sizeof(url), "file:///sigterm/%s/%d", tag, i);
		d->hdr = sinkdrv_result(d->key, url, d->body, d->len);
		assert_non_null(d->hdr);
	}
}

static void
free_docs(struct doc *docs)
{
	for (int i = 0; i < NDOCS; i++) {
		json_object_put(docs[i].hdr);
		free(docs[i].body);
	}
}

/* SIGTERM the sink; its exit code, and in *took_ms how long it took (-1: it never ended). */
static int
sigterm_and_time(struct sinkdrv *d, long long *took_ms)
{
	int st;
	long long sent = monotime_ms();
	assert_int_equal(kill(d->pid, SIGTERM), 0);
	pid_t got;
	while ((got = waitpid(d->pid, &st, WNOHANG)) == 0 && monotime_ms() - sent < 30000)
		usleep(5000);
	*took_ms = monotime_ms() - sent;
	if (got != d->pid) {
		kill(d->pid, SIGKILL);
		waitpid(d->pid, &st, 0);
		d->pid = 0;
		*took_ms = -1;
		return -1;
	}
	d->pid = 0;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/*
 * The next run: a new sink on the same database; the documents the first
 * one never acknowledged are sent again (as the fetcher's spool would), and
 * every one ends up stored exactly once.
 */
static void
next_run_stores_the_rest(const char *conn, const char *dir, struct doc *docs,
			 const char *const *first_status)
{
	struct sinkdrv d;
	const char *keys[NDOCS];
	int resent = 0;
	assert_int_equal(sinkdrv_start(&d, dir, conn), 0);
	for (int i = 0; i < NDOCS; i++) {
		keys[i] = docs[i].key;
		if (first_status[i] == NULL) {
			assert_int_equal(sinkdrv_send(&d, docs[i].hdr, docs[i].body, docs[i].len),
					 0);
			resent++;
		}
	}
	assert_true(resent > 0);
	for (int i = 0; i < NDOCS; i++)
		if (first_status[i] != NULL)
			keys[i] = NULL;
	const char *want[NDOCS];
	int nwant = 0;
	for (int i = 0; i < NDOCS; i++)
		if (keys[i])
			want[nwant++] = keys[i];
	if (sinkdrv_wait_acks(&d, want, (size_t)nwant, 60000) < 0) {
		char *log = testutil_read_file(d.log, NULL);
		fail_msg("the next run did not store the rest; its log:\n%s", log);
	}
	for (int i = 0; i < nwant; i++)
		assert_string_equal(sinkdrv_status(&d, want[i]), "stored");
	int status;
	struct json_object *summary = sinkdrv_finish(&d, &status);
	assert_non_null(summary);
	assert_int_equal(status, 0);
	json_object_put(summary);
	sinkdrv_close(&d);
	assert_int_equal(sinkdrv_query_long(conn, "SELECT count(*) FROM documents"), NDOCS);
	assert_int_equal(sinkdrv_query_long(conn, "SELECT count(DISTINCT url) FROM documents"),
			 NDOCS);
	assert_int_equal(sinkdrv_query_long(conn, "SELECT count(*) FROM dead_letters"), 0);
	/* the first run, whose end its sink could not record, was closed by the next */
	assert_int_equal(sinkdrv_query_long(conn, "SELECT count(*) FROM ingest_runs"
						  " WHERE status = 'running'"),
			 0);
}

/* Send docs [from, to) and give the sink time to store them. */
static void
send_docs(struct sinkdrv *d, struct doc *docs, int from, int to, int pump_ms)
{
	for (int i = from; i < to; i++) {
		assert_int_equal(sinkdrv_send(d, docs[i].hdr, docs[i].body, docs[i].len), 0);
		sinkdrv_pump(d, pump_ms);
	}
}

static void
check_stopped(struct sinkdrv *d, int rc, long long took, const char *what)
{
	char *log = testutil_read_file(d->log, NULL);
	print_message("%s: the sink ended %lld ms after SIGTERM, exit %d\n", what, took, rc);
	if (took < 0 || took > STOP_WITHIN_MS || rc != 0)
		fail_msg("%s: SIGTERM took %lld ms (want at most %d), exit %d (want 0); log:\n%s",
			 what, took, STOP_WITHIN_MS, rc, log ? log : "");
	/* the summary: the run's end is not recorded, the next run records it */
	if (sinkdrv_count_lines(d->log, "is not recorded: the database is down") != 1)
		fail_msg("%s: no line saying the run's end is not recorded; log:\n%s", what,
			 log ? log : "");
	free(log);
}

static void
test_sigterm_during_backoff(void **state)
{
	(void)state;
	char conn[600], dir[PATH_MAX], pgdir[PATH_MAX - 32];
	static struct doc docs[NDOCS];
	const char *status[NDOCS];
	struct sinkdrv d;

	snprintf(pgdir, sizeof(pgdir), "%s/pg", tmpdir);
	snprintf(dir, sizeof(dir), "%s/backoff", tmpdir);
	make_docs(docs, "b");
	assert_int_equal(sinkdrv_createdb(base_conninfo, "backoff", conn, sizeof(conn)), 0);
	assert_int_equal(sinkdrv_start(&d, dir, conn), 0);
	send_docs(&d, docs, 0, BEFORE, 100);

	assert_int_equal(sinkdrv_pg_ctl(pgdir, "stop"), 0);
	send_docs(&d, docs, BEFORE, NDOCS, 0);
	/* the back-off doubles from 250 ms: by now it sleeps up to 2 s at a time */
	sinkdrv_pump(&d, BACKOFF_FOR_MS);
	assert_int_equal(sinkdrv_count_lines(d.log, "database unreachable since"), 1);
	for (int i = 0; i < NDOCS; i++)
		status[i] = sinkdrv_status(&d, docs[i].key);
	for (int i = BEFORE; i < NDOCS; i++)
		assert_null(status[i]); /* nothing is acknowledged while the database is down */

	long long took;
	int rc = sigterm_and_time(&d, &took);
	check_stopped(&d, rc, took, "database stopped");
	sinkdrv_close(&d);

	assert_int_equal(sinkdrv_pg_ctl(pgdir, "start"), 0);
	snprintf(dir, sizeof(dir), "%s/backoff-next", tmpdir);
	next_run_stores_the_rest(conn, dir, docs, status);
	free_docs(docs);
}

/* The pid on the first line of the cluster's postmaster.pid. */
static pid_t
postmaster_pid(const char *pgdir)
{
	char path[PATH_MAX + 32];
	snprintf(path, sizeof(path), "%s/data/postmaster.pid", pgdir);
	char *text = testutil_read_file(path, NULL);
	assert_non_null(text);
	pid_t pid = (pid_t)atol(text);
	free(text);
	assert_true(pid > 0);
	return pid;
}

static void
test_sigterm_while_database_hangs(void **state)
{
	(void)state;
	char conn[600], dir[PATH_MAX], pgdir[PATH_MAX - 32];
	static struct doc docs[NDOCS];
	const char *status[NDOCS];
	struct sinkdrv d;

	snprintf(pgdir, sizeof(pgdir), "%s/pg", tmpdir);
	snprintf(dir, sizeof(dir), "%s/hang", tmpdir);
	make_docs(docs, "h");
	assert_int_equal(sinkdrv_createdb(base_conninfo, "hang", conn, sizeof(conn)), 0);
	assert_int_equal(sinkdrv_start(&d, dir, conn), 0);
	send_docs(&d, docs, 0, BEFORE, 100);
	long backend = sinkdrv_query_long(conn, "SELECT pid FROM pg_stat_activity WHERE datname"
						" = 'hang' AND backend_type = 'client backend'"
						" AND pid <> pg_backend_pid()");
	assert_true(backend > 0);

	/*
	 * The postmaster stops answering (a hung host looks the same): a new
	 * connection waits in its listen queue for ever. The sink's own backend
	 * ends, so that its next write finds the connection gone and it
	 * reconnects, into that queue.
	 */
	pid_t postmaster = postmaster_pid(pgdir);
	assert_int_equal(kill(postmaster, SIGSTOP), 0);
	assert_int_equal(kill((pid_t)backend, SIGTERM), 0);
	usleep(300 * 1000);
	send_docs(&d, docs, BEFORE, NDOCS, 0);
	sinkdrv_pump(&d, 1500);
	for (int i = 0; i < NDOCS; i++)
		status[i] = sinkdrv_status(&d, docs[i].key);
	for (int i = BEFORE; i < NDOCS; i++)
		assert_null(status[i]);

	long long took;
	int rc = sigterm_and_time(&d, &took);
	kill(postmaster, SIGCONT); /* before any assertion: the cluster must come back */
	check_stopped(&d, rc, took, "database hung");
	sinkdrv_close(&d);

	snprintf(dir, sizeof(dir), "%s/hang-next", tmpdir);
	next_run_stores_the_rest(conn, dir, docs, status);
	free_docs(docs);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_sigterm_during_backoff),
	    cmocka_unit_test(test_sigterm_while_database_hangs),
	};
	return cmocka_run_group_tests_name("sink_sigterm", tests, group_setup, group_teardown);
}
