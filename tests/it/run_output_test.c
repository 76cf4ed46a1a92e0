/*
 * run_output_test.c - what `reportpipe run` shows a person and a monitor:
 * on a terminal (script(1) gives it one) the progress line never shares a
 * line with a log line, a parse failure is logged once, and the metrics
 * textfile passes `promtool check metrics`. A real throwaway PostgreSQL.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "testutil.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define COPIES 24 /* reports enough that progress is drawn while the stages log */

static char tmpdir[] = "/tmp/rp-output-it.XXXXXX";
static char conninfo[512];
static char conf[PATH_MAX], ok_conf[PATH_MAX], metrics[PATH_MAX];

static int
group_setup(void **state)
{
	(void)state;
	char seed[PATH_MAX], path[PATH_MAX + 64];
	if (mkdtemp(tmpdir) == NULL)
		return -1;
	if (testutil_pg_start(tmpdir, conninfo, sizeof(conninfo)) < 0)
		return -1;
	if (realpath("examples/reports/shaoguan-2020-fazhi.txt", seed) == NULL)
		return -1;
	size_t len;
	char *body = testutil_read_file(seed, &len);
	if (body == NULL)
		return -1;

	/* each copy under its own URL is a document of its own: the run takes a while */
	size_t cap = 64 * 1024, at = 0;
	char *text = malloc(cap);
	at += (size_t)snprintf(text + at, cap - at,
			       "[database]\nconninfo = %s\n[pipeline]\nworkers = 1\n"
			       "state_dir = %s/state\nmetrics_file = %s/reportpipe.prom\n",
			       conninfo, tmpdir, tmpdir);
	for (int i = 0; i < COPIES; i++) {
		snprintf(path, sizeof(path), "%s/report-%02d.txt", tmpdir, i);
		if (testutil_write_file(path, body, len) < 0)
			return -1;
		at += (size_t)snprintf(text + at, cap - at,
				       "[source \"copy%02d\"]\nurl = file://%s\n", i, path);
	}
	/* without the broken one, and with one new report: a run that succeeds */
	snprintf(path, sizeof(path), "%s/fresh.txt", tmpdir);
	if (testutil_write_file(path, body, len) < 0)
		return -1;
	snprintf(ok_conf, sizeof(ok_conf), "%s/ok.conf", tmpdir);
	size_t ok_len = at + (size_t)snprintf(text + at, cap - at,
					      "[source \"fresh\"]\nurl = file://%s\n", path);
	if (testutil_write_file(ok_conf, text, ok_len) < 0)
		return -1;
	snprintf(metrics, sizeof(metrics), "%s/reportpipe.prom", tmpdir);

	/* one that cannot be parsed: its failure must be logged once */
	snprintf(path, sizeof(path), "%s/broken.pdf", tmpdir);
	if (testutil_write_file(path, "%PDF-1.4\n%%EOF\n", 15) < 0)
		return -1;
	at += (size_t)snprintf(text + at, cap - at, "[source \"broken\"]\nurl = file://%s\n", path);
	free(body);
	snprintf(conf, sizeof(conf), "%s/output.conf", tmpdir);
	int rc = testutil_write_file(conf, text, at);
	free(text);
	return rc;
}

static int
group_teardown(void **state)
{
	(void)state;
	testutil_pg_stop(tmpdir);
	return 0;
}

/*
 * What a terminal shows for one line of raw output: \r goes back to column
 * 0, ESC [ K erases from the cursor to the end, anything else is written at
 * the cursor. Text drawn over by a later \r and ESC [ K is not seen.
 */
static void
screen_line(const char *raw, size_t len, char *shown, size_t cap)
{
	size_t cur = 0, end = 0;
	for (size_t i = 0; i < len; i++) {
		if (raw[i] == '\r') {
			cur = 0;
		} else if (raw[i] == '\033' && i + 2 < len && raw[i + 1] == '[' &&
			   raw[i + 2] == 'K') {
			end = cur;
			i += 2;
		} else if (cur + 1 < cap) {
			shown[cur++] = raw[i];
			if (cur > end)
				end = cur;
		}
	}
	shown[end] = '\0';
}

/* The progress line's own words: "fetched N, parsed N" with N a number. */
static int
is_progress(const char *line)
{
	for (const char *p = line; (p = strstr(p, "fetched ")) != NULL; p++) {
		const char *q = p + strlen("fetched ");
		if (*q < '0' || *q > '9')
			continue;
		while (*q >= '0' && *q <= '9')
			q++;
		if (strncmp(q, ", parsed ", 9) == 0)
			return 1;
	}
	return 0;
}

static size_t
count(const char *hay, const char *needle)
{
	size_t n = 0;
	for (const char *p = hay; (p = strstr(p, needle)) != NULL; p += strlen(needle))
		n++;
	return n;
}

static void
test_progress_never_shares_a_line_with_a_log_line(void **state)
{
	(void)state;
	int rc;
	/* script gives the run a terminal: the progress line is drawn, -v logs the events */
	char *out = testutil_run(&rc, "script -q -e -c '%s run -v -c %s' /dev/null < /dev/null",
				 testutil_bin(), conf);
	if (rc != 1) /* the broken report fails */
		fail_msg("run under script exited %d, want 1:\n%s", rc, out);

	int progress = 0, logs = 0;
	char shown[16384];
	for (char *line = out; *line;) {
		size_t len = strcspn(line, "\n");
		screen_line(line, len, shown, sizeof(shown));
		int p = is_progress(shown), l = strstr(shown, "level=") != NULL;
		if (p && l)
			fail_msg("a log line ran into the progress line:\n%s", shown);
		progress += p;
		logs += l;
		/* the progress line itself, wherever a terminal drew it over */
		progress += !p && len && is_progress(line);
		line += len + (line[len] == '\n');
	}
	/* otherwise the test proves nothing: both must have been there */
	if (progress == 0 || logs == 0)
		fail_msg("want progress and log lines, got %d and %d:\n%s", progress, logs, out);
	/* once the fetcher knew all the reports, the total was shown */
	char total[32];
	snprintf(total, sizeof(total), " of %d done", COPIES + 1);
	assert_non_null(strstr(out, total));

	/* the parse failure, once: by the parser, where it happened, and not again */
	if (count(out, "broken.pdf\" msg=\"cannot parse") != 1 || count(out, "parse failed") != 0)
		fail_msg("the parse failure is not logged exactly once:\n%s", out);
	free(out);
}

static void
test_parse_names_the_formats(void **state)
{
	(void)state;
	int rc;
	char *out = testutil_run(
	    &rc, "%s parse --format yaml examples/reports/shaoguan-2020-fazhi.txt", testutil_bin());
	assert_int_equal(rc, 64);
	if (strstr(out, "yaml") == NULL || strstr(out, "json") == NULL ||
	    strstr(out, "text") == NULL)
		fail_msg("parse --format yaml does not say which formats exist:\n%s", out);
	free(out);
}

/* The value of the sample line that starts with prefix, or -1 when there is none. */
static double
sample(const char *text, const char *prefix)
{
	for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
		if (strncmp(p, prefix, strlen(prefix)) == 0 && p[strlen(prefix)] == ' ')
			return strtod(p + strlen(prefix) + 1, NULL);
	return -1;
}

/* promtool's lint, and the naming rule it does not check: only a counter ends in _total. */
static char *
check_metrics_file(void)
{
	int rc;
	char *out = testutil_run(&rc, "promtool check metrics < %s", metrics);
	if (rc != 0)
		fail_msg("promtool check metrics (rc %d; Debian package prometheus):\n%s", rc, out);
	free(out);
	char *text = testutil_read_file(metrics, NULL);
	assert_non_null(text);
	for (const char *p = text; (p = strstr(p, "# TYPE ")) != NULL; p++) {
		char name[128], type[32];
		assert_int_equal(sscanf(p, "# TYPE %127s %31s", name, type), 2);
		size_t n = strlen(name);
		if (n > 6 && strcmp(name + n - 6, "_total") == 0 && strcmp(type, "counter") != 0)
			fail_msg("%s is a %s, and only a counter may end in _total", name, type);
	}
	return text;
}

static void
test_metrics_file(void **state)
{
	(void)state;
	int rc;
	char *out = testutil_run(&rc, "%s run -q -c %s", testutil_bin(), ok_conf);
	if (rc != 0)
		fail_msg("a run that should succeed exited %d:\n%s", rc, out);
	free(out);
	char *text = check_metrics_file();
	double success = sample(text, "reportpipe_last_success_timestamp_seconds");
	if (success < 1e9)
		fail_msg("no last success after a successful run:\n%s", text);
	assert_true(sample(text, "reportpipe_run_duration_seconds") > 0);
	assert_true(sample(text, "reportpipe_run_source_documents{source=\"fresh\","
				 "outcome=\"stored\"}") == 1);
	assert_true(sample(text, "reportpipe_run_source_documents{source=\"copy00\","
				 "outcome=\"failed\"}") == 0);
	free(text);

	sleep(1); /* so that a new timestamp would differ from the kept one */
	out = testutil_run(&rc, "%s run -q -c %s", testutil_bin(), conf);
	if (rc != 1)
		fail_msg("a run with a broken report exited %d, want 1:\n%s", rc, out);
	free(out);
	text = check_metrics_file();
	/* a failed run keeps the last success the file had */
	if (sample(text, "reportpipe_last_success_timestamp_seconds") != success)
		fail_msg("the last success (%.0f) was not kept:\n%s", success, text);
	assert_true(sample(text, "reportpipe_run_source_documents{source=\"broken\","
				 "outcome=\"failed\"}") == 1);
	assert_true(sample(text, "reportpipe_run_last_status{status=\"failed\"}") == 1);
	free(text);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_progress_never_shares_a_line_with_a_log_line),
	    cmocka_unit_test(test_parse_names_the_formats),
	    cmocka_unit_test(test_metrics_file),
	};
	return cmocka_run_group_tests_name("run_output", tests, group_setup, group_teardown);
}
