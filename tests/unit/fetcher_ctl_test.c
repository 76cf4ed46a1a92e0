/*
 * fetcher_ctl_test.c - the fetcher's status lines to its supervisor, over a
 * real pipe: a line longer than the pipe holds arrives whole, a progress
 * line that finds the pipe full is dropped whole (never half), the summary
 * waits for a slow reader, and a supervisor that never reads cannot hang
 * the fetcher.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "buf.h"
#include "config.h"
#include "fetcher_ctl.h"
#include "fetcher_jobs.h"
#include "monotime.h"
#include "proto.h"

#include <fcntl.h>
#include <json-c/json.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* More sources than a 64 KiB pipe holds the counts of, in one line. */
#define NSOURCES 3000

struct fixture {
	struct config cfg;
	int pipe[2];
	struct fetcher_ctl *ctl;
	struct fetcher_jobs *jobs;
};

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	f->cfg.spool_dir = "/nonexistent/reportpipe-spool"; /* nothing to recover */
	f->cfg.nsources = NSOURCES;
	f->cfg.sources = calloc(NSOURCES, sizeof(*f->cfg.sources));
	for (size_t i = 0; i < NSOURCES; i++) {
		char name[64];
		snprintf(name, sizeof(name), "a source with a longish name, number %zu", i);
		f->cfg.sources[i].name = strdup(name);
	}
	assert_int_equal(pipe2(f->pipe, O_CLOEXEC), 0);
	f->ctl = fetcher_ctl_new(&f->cfg, "fetcher_ctl_test", f->pipe[1], -1);
	f->jobs = fetcher_jobs_new(&f->cfg);
	fetcher_ctl_count_sources(f->ctl, f->jobs);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;
	fetcher_ctl_free(&f->ctl);
	fetcher_jobs_free(&f->jobs);
	for (size_t i = 0; i < NSOURCES; i++)
		free(f->cfg.sources[i].name);
	free(f->cfg.sources);
	if (f->pipe[0] >= 0)
		close(f->pipe[0]);
	if (f->pipe[1] >= 0)
		close(f->pipe[1]);
	free(f);
	return 0;
}

/* Fill the (non-blocking) pipe with empty lines until it takes no more. */
static void
fill_pipe(int fd)
{
	char nl[4096];
	memset(nl, '\n', sizeof(nl));
	while (write(fd, nl, sizeof(nl)) > 0)
		;
}

struct reader {
	int fd;
	int delay_ms; /* before the first read: the supervisor is busy */
	struct buf got;
};

/* The supervisor: reads 4 KiB at a time, as `run` does, to the end. */
static void *
reader_main(void *arg)
{
	struct reader *r = arg;
	char chunk[4096];
	ssize_t n;
	usleep((useconds_t)r->delay_ms * 1000);
	while ((n = read(r->fd, chunk, sizeof(chunk))) > 0)
		buf_append(&r->got, chunk, (size_t)n);
	return NULL;
}

/* Every non-empty line of got parses as JSON; how many are of type want. */
static int
count_lines(const struct buf *got, const char *want, size_t *sources)
{
	int n = 0;
	size_t at = 0;
	while (at < got->len) {
		const char *nl = memchr(got->data + at, '\n', got->len - at);
		assert_non_null(nl); /* every line ends */
		size_t len = (size_t)(nl - (got->data + at));
		if (len > 0) {
			char *line = strndup(got->data + at, len);
			struct json_object *o = json_tokener_parse(line), *type, *src;
			assert_non_null(o); /* never a half line glued to another */
			assert_true(json_object_object_get_ex(o, PROTO_KEY_TYPE, &type));
			if (strcmp(json_object_get_string(type), want) == 0) {
				n++;
				if (json_object_object_get_ex(o, PROTO_KEY_SOURCES, &src))
					*sources = (size_t)json_object_object_length(src);
			}
			json_object_put(o);
			free(line);
		}
		at += len + 1;
	}
	return n;
}

static void
test_summary_longer_than_the_pipe_arrives_whole(void **state)
{
	struct fixture *f = *state;
	struct reader r = {f->pipe[0], 50, {0}};
	pthread_t t;
	assert_int_equal(fcntl(f->pipe[1], F_GETPIPE_SZ), 65536);
	assert_int_equal(pthread_create(&t, NULL, reader_main, &r), 0);
	fetcher_ctl_summary_interrupted(f->ctl);
	close(f->pipe[1]);
	f->pipe[1] = -1;
	assert_int_equal(pthread_join(t, NULL), 0);
	assert_true(r.got.len > 65536);
	size_t sources = 0;
	assert_int_equal(count_lines(&r.got, PROTO_LINE_SUMMARY, &sources), 1);
	assert_int_equal(sources, NSOURCES);
	buf_release(&r.got);
}

static void
test_progress_dropped_whole_summary_waits(void **state)
{
	struct fixture *f = *state;
	fill_pipe(f->pipe[1]);
	/* the pipe is full: this progress line goes nowhere, not in part */
	fetcher_ctl_progress(f->ctl, f->jobs, 1, 0, 1);
	struct reader r = {f->pipe[0], 200, {0}};
	pthread_t t;
	assert_int_equal(pthread_create(&t, NULL, reader_main, &r), 0);
	fetcher_ctl_summary_interrupted(f->ctl);
	close(f->pipe[1]);
	f->pipe[1] = -1;
	assert_int_equal(pthread_join(t, NULL), 0);
	size_t sources = 0;
	assert_int_equal(count_lines(&r.got, PROTO_LINE_PROGRESS, &sources), 0);
	assert_int_equal(count_lines(&r.got, PROTO_LINE_SUMMARY, &sources), 1);
	assert_int_equal(sources, NSOURCES);
	buf_release(&r.got);
}

static void
test_a_supervisor_that_never_reads_cannot_hang_it(void **state)
{
	struct fixture *f = *state;
	fill_pipe(f->pipe[1]);
	long long t0 = monotime_ms();
	fetcher_ctl_summary_interrupted(f->ctl); /* waits its 2 s, then gives up */
	long long t1 = monotime_ms();
	fetcher_ctl_summary_interrupted(f->ctl); /* no more lines: returns at once */
	long long t2 = monotime_ms();
	assert_true(t1 - t0 >= 1900 && t1 - t0 < 10000);
	assert_true(t2 - t1 < 1000);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_summary_longer_than_the_pipe_arrives_whole, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_progress_dropped_whole_summary_waits, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_a_supervisor_that_never_reads_cannot_hang_it,
					    setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
