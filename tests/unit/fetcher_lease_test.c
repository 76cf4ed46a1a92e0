/*
 * fetcher_lease_test.c - a parsed job whose acknowledgement never comes:
 * its lease runs out, it is leased again, and after max_attempts it is a
 * dead letter whose error says when the sink last acknowledged anything
 * (nothing yet, or so long ago), so that a stalled sink is told apart from
 * results that went missing. A real spool in a temp dir and a real ROUTER
 * socket carry the jobs.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "config.h"
#include "fetcher_jobs.h"
#include "fetcher_workers.h"
#include "proto.h"
#include "spool.h"
#include "wire.h"

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zmq.h>

#define LEASE_MS 100
#define ATTEMPTS 2
#define WORKER "worker-1"

struct fixture {
	struct config cfg;
	char spool[64];
	void *ctx, *router;
	struct fetcher_jobs *jobs;
	struct fetcher_workers *workers;
};

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	snprintf(f->spool, sizeof(f->spool), "/tmp/rp-lease-test.XXXXXX");
	assert_non_null(mkdtemp(f->spool));
	f->cfg.spool_dir = f->spool;
	f->cfg.lease_ms = LEASE_MS;
	f->cfg.parse_timeout_ms = 1000;
	f->cfg.max_attempts = ATTEMPTS;
	f->ctx = zmq_ctx_new();
	f->router = zmq_socket(f->ctx, ZMQ_ROUTER);
	assert_int_equal(zmq_bind(f->router, "inproc://fetcher-lease-test"), 0);
	f->jobs = fetcher_jobs_new(&f->cfg);
	f->workers = fetcher_workers_new();
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;
	fetcher_jobs_free(&f->jobs);
	fetcher_workers_free(&f->workers);
	int linger = 0;
	zmq_setsockopt(f->router, ZMQ_LINGER, &linger, sizeof(linger));
	zmq_close(f->router);
	zmq_ctx_term(f->ctx);
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", f->spool);
	assert_int_equal(system(cmd), 0);
	free(f);
	return 0;
}

/* A worker's READY (done: the key of the job it finished, or NULL). */
static void
worker_says(struct fixture *f, const char *done)
{
	struct wire_msg m = {.route_len = strlen(WORKER)};
	memcpy(m.route, WORKER, m.route_len);
	snprintf(m.type, sizeof(m.type), "%s", PROTO_MSG_READY);
	m.hdr = json_object_new_object();
	json_object_object_add(m.hdr, PROTO_KEY_PID, json_object_new_int64(4242));
	if (done)
		json_object_object_add(m.hdr, PROTO_KEY_DONE, json_object_new_string(done));
	fetcher_jobs_on_worker(f->jobs, f->workers, &m);
	json_object_put(m.hdr);
}

/* Spool and queue the job key. */
static void
enqueue(struct fixture *f, const char *key)
{
	char url[64];
	snprintf(url, sizeof(url), "http://127.0.0.1/%s.txt", key);
	assert_int_equal(spool_commit(f->spool, key, "{}", "a report", 8), 0);
	fetcher_jobs_enqueue(f->jobs, key, url);
}

/* Lease what is pending to the worker, which parses it at once and asks again. */
static void
lease_and_parse(struct fixture *f, const char *key)
{
	const struct fetcher_jobs_run run = {"fetcher_lease_test", 1, f->router};
	fetcher_jobs_dispatch(f->jobs, f->workers, &run);
	assert_int_equal(fetcher_jobs_pending(f->jobs), 0);
	worker_says(f, key);
}

/* Let every lease run out, unacknowledged, until key is a dead letter; its error (owned). */
static char *
dead_letter_of(struct fixture *f, const char *key)
{
	for (int attempt = 1; attempt <= ATTEMPTS; attempt++) {
		lease_and_parse(f, key);
		usleep((LEASE_MS + 50) * 1000);
		fetcher_jobs_expire(f->jobs, 0);
	}
	struct job_outcome o;
	char *error = NULL;
	while (fetcher_jobs_next_outcome(f->jobs, &o)) {
		if (o.kind == JOB_OUT_DEAD && strcmp(o.key, key) == 0) {
			assert_int_equal(o.attempts, ATTEMPTS);
			error = strdup(o.error);
		}
		fetcher_jobs_outcome_release(&o);
	}
	assert_non_null(error);
	return error;
}

static void
test_never_acknowledged(void **state)
{
	struct fixture *f = *state;
	worker_says(f, NULL);
	enqueue(f, "job-a");
	char *error = dead_letter_of(f, "job-a");
	assert_non_null(strstr(error, "parsed but not stored within lease_ms (100 ms)"));
	assert_non_null(strstr(error, "the sink has acknowledged nothing yet"));
	assert_non_null(strstr(error, "on each of 2 attempts"));
	free(error);
}

static void
test_acknowledged_long_ago(void **state)
{
	struct fixture *f = *state;
	worker_says(f, NULL);
	enqueue(f, "job-a");
	lease_and_parse(f, "job-a");
	fetcher_jobs_on_ack(f->jobs, "job-a", PROTO_STATUS_STORED);
	assert_int_equal(fetcher_jobs_settled(f->jobs), 1);
	enqueue(f, "job-b");
	char *error = dead_letter_of(f, "job-b");
	/* two leases of 100 ms ran out since: at least 0.2 s ago */
	const char *ago = strstr(error, "the sink's last acknowledgement came ");
	assert_non_null(ago);
	double s = atof(ago + strlen("the sink's last acknowledgement came "));
	assert_true(s >= 0.2 && s < 10);
	assert_null(strstr(error, "nothing yet"));
	free(error);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_never_acknowledged, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_acknowledged_long_ago, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
