/*
 * fetch_fault_test.c - the fetcher against faultd (tests/it/faultd.py):
 * Retry-After, bodies cut at max_bytes, redirect loops, refused
 * connections, TLS failures, bodies that do not match their
 * Content-Encoding, robots.txt, the retry budget, the concurrency
 * and delay limits and proxies from the environment, each shown in
 * PostgreSQL and faultd's log.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "buf.h"
#include "fetch_env.h"
#include "testutil.h"

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define UA "reportpipe-it/1.0 (+fetch_fault_test)"
#define MAX_BYTES (1024 * 1024)

static struct fetch_env env;
static char faultd_log[PATH_MAX + 16], cert[PATH_MAX + 16], key[PATH_MAX + 16];
static long faults_log_at, faults_log_end; /* faultd.log around the "faults" run */
static int faults_rc;
static char *faults_out;

/* The faultd log records between offsets [from, to) (to < 0: the end), as a JSON array. */
static struct json_object *
faultd_records(long from, long to)
{
	char *text = fetch_env_read_from(faultd_log, from);
	struct json_object *all = json_object_new_array();
	long at = from;
	for (char *line = text, *nl; line && *line && (to < 0 || at < to); line = nl) {
		nl = strchr(line, '\n');
		at += (long)(nl ? (size_t)(nl - line) + 1 : strlen(line));
		if (nl)
			*nl++ = '\0';
		struct json_object *o = json_tokener_parse(line);
		if (o)
			json_object_array_add(all, o);
	}
	free(text);
	return all;
}

static const char *
rec_str(struct json_object *o, const char *k)
{
	struct json_object *v;
	return json_object_object_get_ex(o, k, &v) ? json_object_get_string(v) : "";
}

static double
rec_num(struct json_object *o, const char *k)
{
	struct json_object *v;
	return json_object_object_get_ex(o, k, &v) ? json_object_get_double(v) : -1;
}

/* Records whose path starts with prefix (and port, when port > 0). */
static int
count_path(struct json_object *recs, const char *prefix, int port)
{
	int n = 0;
	for (size_t i = 0; i < json_object_array_length(recs); i++) {
		struct json_object *o = json_object_array_get_idx(recs, i);
		if (strncmp(rec_str(o, "path"), prefix, strlen(prefix)) == 0 &&
		    (port <= 0 || (int)rec_num(o, "port") == port))
			n++;
	}
	return n;
}

static long
dead_letters_like(const char *url_like, const char *error_like, int attempts)
{
	char sql[1024];
	snprintf(sql, sizeof(sql),
		 "SELECT count(*) FROM dead_letters WHERE run_id = (SELECT max(id) FROM"
		 " ingest_runs) AND stage = 'fetch' AND url LIKE '%s' AND error LIKE '%s'"
		 " AND attempts = %d",
		 url_like, error_like, attempts);
	return fetch_env_query_long(&env, sql);
}

static void
expect_dead(const char *url_like, const char *error_like, int attempts)
{
	if (dead_letters_like(url_like, error_like, attempts) != 1) {
		char sql[512];
		snprintf(sql, sizeof(sql),
			 "SELECT string_agg(url || ' | ' || attempts || ' | ' || error, E'\\n')"
			 " FROM dead_letters WHERE run_id = (SELECT max(id) FROM ingest_runs)");
		static char shown[16384];
		char *all = fetch_env_query_str(&env, sql);
		snprintf(shown, sizeof(shown), "%s", all ? all : "(none)");
		free(all);
		fail_msg("no dead letter %s / %s / %d attempts among:\n%s\nrun output:\n%s",
			 url_like, error_like, attempts, shown, faults_out);
	}
}

static long
stored(const char *url_like)
{
	char sql[512];
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM documents WHERE url LIKE '%s'", url_like);
	return fetch_env_query_long(&env, sql);
}

static int
group_setup(void **state)
{
	(void)state;
	int rc;
	if (fetch_env_setup(&env) < 0)
		return -1;
	snprintf(faultd_log, sizeof(faultd_log), "%s/faultd.log", env.dir);
	snprintf(cert, sizeof(cert), "%s/cert.pem", env.dir);
	snprintf(key, sizeof(key), "%s/key.pem", env.dir);
	char *out =
	    testutil_run(&rc,
			 "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1"
			 " -nodes -keyout %s -out %s -days 2 -subj /CN=127.0.0.1"
			 " -addext subjectAltName=IP:127.0.0.1",
			 key, cert);
	if (rc != 0) {
		fprintf(stderr, "openssl: %s\n", out);
		free(out);
		return -1;
	}
	free(out);
	if (fetch_env_faultd_start(&env, 2, cert, key) < 0)
		return -1;

	/* one run with every fault and some good reports, shared by the first tests */
	int a = env.faultd_ports[0], closed = fetch_env_free_port();
	struct buf src = {0};
#define SOURCE(name, fmt, ...)                                                                     \
	buf_printf(&src, "[source \"" name "\"]\nurl = " fmt "\n", __VA_ARGS__)
	SOURCE("ok-1", "http://127.0.0.1:%d/reports/ok-1.txt", a);
	SOURCE("ok-2", "http://127.0.0.1:%d/reports/ok-2.txt", a);
	SOURCE("retry-after", "http://127.0.0.1:%d/retry-after/ra.txt", a);
	SOURCE("retry-date", "http://127.0.0.1:%d/retry-date/rd.txt", a);
	SOURCE("endless", "http://127.0.0.1:%d/endless", a);
	SOURCE("huge", "http://127.0.0.1:%d/huge", a);
	SOURCE("huge-stream", "http://127.0.0.1:%d/huge-stream", a);
	SOURCE("loop", "http://127.0.0.1:%d/loop/0", a);
	SOURCE("refused", "http://127.0.0.1:%d/reports/refused.txt", closed);
	SOURCE("tls-plain", "https://127.0.0.1:%d/reports/tls-plain.txt", a);
	SOURCE("tls-self-signed", "https://127.0.0.1:%d/reports/self-signed.txt", env.tls_port);
	SOURCE("not-found", "http://127.0.0.1:%d/notfound/nf.txt", a);
	SOURCE("always-500", "http://127.0.0.1:%d/always500/a.txt", a);
	SOURCE("trickle", "http://127.0.0.1:%d/trickle", a);
	SOURCE("private", "http://127.0.0.1:%d/private/p.txt", a);
	SOURCE("private-robots-off", "http://127.0.0.1:%d/private/q.txt\nrobots = off", a);
	SOURCE("gzip-lie", "http://127.0.0.1:%d/gzip-lie/gz.txt", a);
	SOURCE("unknown-encoding", "http://127.0.0.1:%d/encoding/enc.txt", a);
#undef SOURCE
	rc = fetch_env_write_config(
	    &env, "faults",
	    "user_agent = " UA "\nper_host_delay_ms = 0\n"
	    "per_host_concurrency = 4\nmax_connections = 8\n"
	    "max_bytes = 1MiB\nmax_retries = 2\nretry_budget = 50\n"
	    "retry_max_delay_ms = 3000\nconnect_timeout_ms = 3000\n"
	    "timeout_ms = 30000\nlow_speed_bytes = 100\nlow_speed_seconds = 1\n",
	    src.data);
	buf_release(&src);
	if (rc < 0)
		return -1;
	faults_log_at = fetch_env_file_size(faultd_log);
	faults_out = fetch_env_run(&env, "faults", &faults_rc);
	faults_log_end = fetch_env_file_size(faultd_log);
	return 0;
}

static int
group_teardown(void **state)
{
	(void)state;
	free(faults_out);
	fetch_env_teardown(&env);
	return 0;
}

static void
test_run_with_faults_stores_the_rest_and_exits_1(void **state)
{
	(void)state;
	if (faults_rc != 1)
		fail_msg("a run with failures exited %d, want 1:\n%s", faults_rc, faults_out);
	assert_non_null(strstr(faults_out, "stored 5, failed 13"));
	assert_int_equal(stored("%/reports/ok-1.txt"), 1);
	assert_int_equal(stored("%/reports/ok-2.txt"), 1);
	assert_int_equal(stored("%/retry-after/ra.txt"), 1);
	assert_int_equal(stored("%/retry-date/rd.txt"), 1);
	assert_int_equal(stored("%/private/q.txt"), 1);
	assert_int_equal(fetch_env_query_long(&env, "SELECT count(*) FROM documents"), 5);
	assert_int_equal(fetch_env_query_long(&env,
					      "SELECT count(*) FROM ingest_runs WHERE"
					      " status = 'failed' AND stored = 5 AND failed = 13"),
			 1);
	assert_int_equal(fetch_env_query_long(&env, "SELECT count(*) FROM dead_letters"), 13);
	/* every request carried the configured User-Agent */
	struct json_object *recs = faultd_records(faults_log_at, faults_log_end);
	for (size_t i = 0; i < json_object_array_length(recs); i++)
		assert_string_equal(rec_str(json_object_array_get_idx(recs, i), "ua"), UA);
	json_object_put(recs);
}

static void
test_retry_after_is_waited_out_then_stored(void **state)
{
	(void)state;
	struct json_object *recs = faultd_records(faults_log_at, faults_log_end);
	static const char *const paths[] = {"/retry-after/ra.txt", "/retry-date/rd.txt"};
	for (int k = 0; k < 2; k++) {
		double first = -1, second = -1;
		for (size_t i = 0; i < json_object_array_length(recs); i++) {
			struct json_object *o = json_object_array_get_idx(recs, i);
			if (strcmp(rec_str(o, "path"), paths[k]) != 0)
				continue;
			if (first < 0) {
				first = rec_num(o, "t");
				assert_int_equal((int)rec_num(o, "status"), k == 0 ? 503 : 429);
			} else {
				second = rec_num(o, "t");
				assert_int_equal((int)rec_num(o, "status"), 200);
			}
		}
		assert_int_equal(count_path(recs, paths[k], 0), 2);
		print_message("%s: retried after %.2f s\n", paths[k], second - first);
		/* Retry-After: 2, and an HTTP-date 3 s ahead (whole seconds: at least 2 s) */
		assert_true(second - first >= 2.0);
		assert_true(second - first < 6.0);
	}
	json_object_put(recs);
}

static void
test_bodies_are_cut_at_max_bytes(void **state)
{
	(void)state;
	expect_dead("%/endless",
		    "too_large (permanent) after 1 attempt: body cut off at max_bytes"
		    " (1048576 bytes) while streaming",
		    1);
	expect_dead("%/huge-stream", "too_large (permanent) after 1 attempt: body cut off at%", 1);
	expect_dead("%/huge",
		    "too_large (permanent) after 1 attempt: Content-Length 2147483648 is"
		    " larger than max_bytes%",
		    1);
	/* the server could send only what the socket buffers hold past the limit */
	struct json_object *recs = faultd_records(faults_log_at, faults_log_end);
	int seen = 0;
	for (size_t i = 0; i < json_object_array_length(recs); i++) {
		struct json_object *o = json_object_array_get_idx(recs, i);
		const char *p = rec_str(o, "path");
		if (strcmp(p, "/endless") && strcmp(p, "/huge") && strcmp(p, "/huge-stream"))
			continue;
		seen++;
		print_message("%s: the server sent %.0f bytes\n", p, rec_num(o, "sent"));
		assert_true(rec_num(o, "sent") < 16.0 * MAX_BYTES);
		if (strcmp(p, "/huge") != 0)
			assert_true(rec_num(o, "sent") >= MAX_BYTES);
	}
	assert_int_equal(seen, 3);
	json_object_put(recs);
}

static void
test_network_failures_are_recorded_with_their_cause(void **state)
{
	(void)state;
	expect_dead("%/loop/0", "redirect (permanent) after 1 attempt: Maximum (5) redirects%", 1);
	/* nothing answers there: robots.txt cannot be read, so nothing else is tried */
	expect_dead("%/reports/refused.txt",
		    "connect (transient) after 3 attempts: %/robots.txt could not be fetched"
		    " (%Connection refused%",
		    3);
	expect_dead("%/reports/tls-plain.txt", "tls (permanent) after 1 attempt: %", 1);
	expect_dead("%/reports/self-signed.txt",
		    "tls (permanent) after 1 attempt: %self-signed certificate%", 1);
	expect_dead("%/notfound/nf.txt",
		    "http 404 (permanent) after 1 attempt: the server answered"
		    " 404",
		    1);
	expect_dead("%/always500/a.txt",
		    "http 500 (transient) after 3 attempts: the server"
		    " answered 500",
		    3);
	expect_dead("%/trickle", "timeout (transient) after 3 attempts: Operation too slow%", 3);
	struct json_object *recs = faultd_records(faults_log_at, faults_log_end);
	assert_int_equal(count_path(recs, "/loop/", 0), 6); /* the first request and 5 redirects */
	assert_int_equal(count_path(recs, "/always500/", 0), 3);
	assert_int_equal(count_path(recs, "/notfound/", 0), 1);
	json_object_put(recs);
}

static void
test_bad_content_encoding_is_permanent(void **state)
{
	(void)state;
	/* no retry can fix a body that is not what its Content-Encoding says */
	expect_dead("%/gzip-lie/gz.txt",
		    "encoding (permanent) after 1 attempt: the body cannot be decoded as"
		    " its Content-Encoding (gzip) says: %",
		    1);
	expect_dead("%/encoding/enc.txt",
		    "encoding (permanent) after 1 attempt: the body cannot be decoded as"
		    " its Content-Encoding (x-unknown) says: Unrecognized content encoding%",
		    1);
	struct json_object *recs = faultd_records(faults_log_at, faults_log_end);
	assert_int_equal(count_path(recs, "/gzip-lie/", 0), 1);
	assert_int_equal(count_path(recs, "/encoding/", 0), 1);
	json_object_put(recs);
}

static void
test_robots_txt_is_read_once_and_obeyed(void **state)
{
	(void)state;
	expect_dead("%/private/p.txt",
		    "robots (permanent) after 0 attempts: disallowed by"
		    " http://127.0.0.1:%/robots.txt",
		    0);
	struct json_object *recs = faultd_records(faults_log_at, faults_log_end);
	assert_int_equal(count_path(recs, "/robots.txt", env.faultd_ports[0]), 1);
	assert_int_equal(count_path(recs, "/private/p.txt", 0), 0);
	assert_int_equal(count_path(recs, "/private/q.txt", 0), 1); /* robots = off */
	json_object_put(recs);
}

static void
test_ca_file_trusts_a_self_signed_server(void **state)
{
	(void)state;
	char keys[PATH_MAX + 128], sources[256];
	snprintf(keys, sizeof(keys), "per_host_delay_ms = 0\nca_file = %s\n", cert);
	snprintf(sources, sizeof(sources),
		 "[source \"tls-trusted\"]\nurl = https://127.0.0.1:%d/reports/trusted.txt\n",
		 env.tls_port);
	assert_int_equal(fetch_env_write_config(&env, "tls", keys, sources), 0);
	int rc;
	char *out = fetch_env_run(&env, "tls", &rc);
	if (rc != 0)
		fail_msg("run with ca_file exited %d:\n%s", rc, out);
	free(out);
	assert_int_equal(stored("https://127.0.0.1:%/reports/trusted.txt"), 1);
}

static void
test_concurrency_limits_hold(void **state)
{
	(void)state;
	struct buf src = {0};
	for (int p = 0; p < 2; p++)
		for (int i = 0; i < 10; i++)
			buf_printf(
			    &src,
			    "[source \"slow-%d-%d\"]\nurl = http://127.0.0.1:%d/slow/s%d-%d.txt\n",
			    p, i, env.faultd_ports[p], p, i);
	assert_int_equal(fetch_env_write_config(&env, "limits",
						"per_host_delay_ms = 0\nper_host_concurrency = 3\n"
						"max_connections = 4\n",
						src.data),
			 0);
	buf_release(&src);
	long from = fetch_env_file_size(faultd_log);
	int rc;
	char *out = fetch_env_run(&env, "limits", &rc);
	if (rc != 0)
		fail_msg("run exited %d:\n%s", rc, out);
	free(out);
	struct json_object *recs = faultd_records(from, -1);
	double peak = 0, peak_port[2] = {0, 0};
	int slow = 0;
	for (size_t i = 0; i < json_object_array_length(recs); i++) {
		struct json_object *o = json_object_array_get_idx(recs, i);
		int port = (int)rec_num(o, "port");
		for (int p = 0; p < 2; p++)
			if (port == env.faultd_ports[p] && rec_num(o, "conc_port") > peak_port[p])
				peak_port[p] = rec_num(o, "conc_port");
		if (rec_num(o, "conc") > peak)
			peak = rec_num(o, "conc");
		slow += strncmp(rec_str(o, "path"), "/slow/", 6) == 0;
	}
	json_object_put(recs);
	print_message("in flight at most: %.0f in all, %.0f and %.0f per host\n", peak,
		      peak_port[0], peak_port[1]);
	assert_int_equal(slow, 20);
	/* reached, never exceeded: per host 3, in all 4 */
	assert_true(peak_port[0] <= 3 && peak_port[1] <= 3);
	assert_true(peak_port[0] == 3 || peak_port[1] == 3);
	assert_true(peak == 4);
}

static void
test_per_host_delay_spaces_requests(void **state)
{
	(void)state;
	struct buf src = {0};
	for (int i = 0; i < 4; i++)
		buf_printf(&src,
			   "[source \"spaced-%d\"]\nurl = http://127.0.0.1:%d/reports/sp%d.txt\n",
			   i, env.faultd_ports[1], i);
	assert_int_equal(
	    fetch_env_write_config(&env, "delay",
				   "per_host_delay_ms = 400\nper_host_concurrency = 4\n", src.data),
	    0);
	buf_release(&src);
	long from = fetch_env_file_size(faultd_log);
	int rc;
	char *out = fetch_env_run(&env, "delay", &rc);
	if (rc != 0)
		fail_msg("run exited %d:\n%s", rc, out);
	free(out);
	struct json_object *recs = faultd_records(from, -1);
	double starts[8];
	int n = 0;
	for (size_t i = 0; i < json_object_array_length(recs) && n < 8; i++)
		starts[n++] = rec_num(json_object_array_get_idx(recs, i), "t");
	json_object_put(recs);
	assert_int_equal(n, 5); /* robots.txt and 4 reports */
	for (int i = 1; i < n; i++)
		for (int k = 0; k < i; k++)
			if (starts[k] > starts[i]) {
				double t = starts[k];
				starts[k] = starts[i];
				starts[i] = t;
			}
	for (int i = 1; i < n; i++) {
		print_message("gap %d: %.3f s\n", i, starts[i] - starts[i - 1]);
		assert_true(starts[i] - starts[i - 1] >= 0.35); /* 400 ms, less clock jitter */
	}
}

static void
test_retry_budget_bounds_the_run(void **state)
{
	(void)state;
	struct buf src = {0};
	for (int i = 0; i < 3; i++)
		buf_printf(&src,
			   "[source \"budget-%d\"]\nurl = http://127.0.0.1:%d/always500/b%d.txt\n",
			   i, env.faultd_ports[0], i);
	assert_int_equal(fetch_env_write_config(&env, "budget",
						"per_host_delay_ms = 0\nmax_retries = 3\n"
						"retry_budget = 1\nretry_max_delay_ms = 1000\n",
						src.data),
			 0);
	buf_release(&src);
	long from = fetch_env_file_size(faultd_log);
	int rc;
	char *out = fetch_env_run(&env, "budget", &rc);
	assert_int_equal(rc, 1);
	free(out);
	struct json_object *recs = faultd_records(from, -1);
	assert_int_equal(count_path(recs, "/always500/b", 0), 4); /* 3 first tries, 1 retry */
	json_object_put(recs);
	/* the first failure took the one retry; every later one was recorded at once */
	assert_int_equal(fetch_env_query_long(&env,
					      "SELECT count(*) FROM dead_letters WHERE"
					      " run_id = (SELECT max(id) FROM ingest_runs) AND"
					      " error LIKE 'http 500 (transient)%retry budget is"
					      " spent'"),
			 3);
	assert_int_equal(
	    fetch_env_query_long(&env, "SELECT count(*) FROM dead_letters WHERE"
				       " run_id = (SELECT max(id) FROM ingest_runs) AND"
				       " error LIKE 'http 500 (transient) after 2 attempts%'"),
	    1);
}

static void
test_proxy_comes_from_the_environment(void **state)
{
	(void)state;
	char proxy[64];
	snprintf(proxy, sizeof(proxy), "http://127.0.0.1:%d", env.faultd_ports[1]);
	assert_int_equal(
	    fetch_env_write_config(&env, "proxy", "per_host_delay_ms = 0\n",
				   "[source \"proxied\"]\n"
				   "url = http://reports.example.invalid/reports/px.txt\n"),
	    0);
	long from = fetch_env_file_size(faultd_log);
	int rc;
	setenv("http_proxy", proxy, 1);
	char *out = fetch_env_run(&env, "proxy", &rc);
	unsetenv("http_proxy");
	if (rc != 0)
		fail_msg("run through a proxy exited %d:\n%s", rc, out);
	free(out);
	assert_int_equal(stored("http://reports.example.invalid/reports/px.txt"), 1);
	struct json_object *recs = faultd_records(from, -1);
	int proxied = 0;
	for (size_t i = 0; i < json_object_array_length(recs); i++)
		proxied += strcmp(rec_str(json_object_array_get_idx(recs, i), "proxied"),
				  "http://reports.example.invalid/reports/px.txt") == 0;
	json_object_put(recs);
	assert_int_equal(proxied, 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_run_with_faults_stores_the_rest_and_exits_1),
	    cmocka_unit_test(test_retry_after_is_waited_out_then_stored),
	    cmocka_unit_test(test_bodies_are_cut_at_max_bytes),
	    cmocka_unit_test(test_network_failures_are_recorded_with_their_cause),
	    cmocka_unit_test(test_bad_content_encoding_is_permanent),
	    cmocka_unit_test(test_robots_txt_is_read_once_and_obeyed),
	    cmocka_unit_test(test_ca_file_trusts_a_self_signed_server),
	    cmocka_unit_test(test_concurrency_limits_hold),
	    cmocka_unit_test(test_per_host_delay_spaces_requests),
	    cmocka_unit_test(test_retry_budget_bounds_the_run),
	    cmocka_unit_test(test_proxy_comes_from_the_environment),
	};
	return cmocka_run_group_tests_name("fetch (faults)", tests, group_setup, group_teardown);
}
