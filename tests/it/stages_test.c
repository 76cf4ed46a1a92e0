/*
 * stages_test.c - the stages as services on several hosts: `reportpipe
 * sink`, `reportpipe parser` and `reportpipe fetch` as separate processes
 * on two loopback addresses (the fetcher binds 127.0.0.1, the sink
 * 127.0.0.2), over tcp:// with CURVE. A worker holding the wrong key pair,
 * and one with no key at all, are refused, each refusal is logged with the
 * peer's address (once, not once a try), and the run completes only once a
 * worker with the right key joins. Real processes, real sockets, a real cluster.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "monotime.h"
#include "testutil.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define NREPORTS 3

static char tmpdir[] = "/tmp/rp-stages.XXXXXX";
static char conninfo[512];
/* every process a test started: a failed assertion must not leave services behind */
static pid_t started[16];
static int nstarted;

/* A TCP port free on addr right now. */
static int
free_port(const char *addr)
{
	struct sockaddr_in sa = {.sin_family = AF_INET};
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM, 0), port = -1;
	inet_pton(AF_INET, addr, &sa.sin_addr);
	if (fd >= 0 && bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 &&
	    getsockname(fd, (struct sockaddr *)&sa, &len) == 0)
		port = ntohs(sa.sin_port);
	close(fd);
	return port;
}

/* Start `reportpipe ARGS...` with stdout and stderr in tmpdir/LOG. */
static pid_t
spawn(const char *log, const char *cmd, const char *conf, const char *extra)
{
	char logpath[PATH_MAX], confpath[PATH_MAX];
	snprintf(logpath, sizeof(logpath), "%s/%s", tmpdir, log);
	snprintf(confpath, sizeof(confpath), "%s/%s.conf", tmpdir, conf);
	fflush(NULL);
	pid_t pid = fork();
	if (pid == 0) {
		int fd = open(logpath, O_WRONLY | O_CREAT | O_APPEND, 0644);
		dup2(fd, 1);
		dup2(fd, 2);
		close(fd);
		execl(testutil_bin(), testutil_bin(), cmd, "-c", confpath, extra, (char *)NULL);
		_exit(127);
	}
	if (pid > 0 && nstarted < (int)(sizeof(started) / sizeof(started[0])))
		started[nstarted++] = pid;
	return pid;
}

static int
log_has(const char *log, const char *needle)
{
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/%s", tmpdir, log);
	char *text = testutil_read_file(path, NULL);
	int found = text && strstr(text, needle) != NULL;
	free(text);
	return found;
}

static int
wait_log(const char *log, const char *needle, int timeout_ms)
{
	long long until = monotime_ms() + timeout_ms;
	while (!log_has(log, needle)) {
		if (monotime_ms() > until)
			return -1;
		usleep(100 * 1000);
	}
	return 0;
}

/* The lines of tmpdir/LOG that hold both a and b. */
static int
log_lines(const char *log, const char *a, const char *b)
{
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/%s", tmpdir, log);
	char *text = testutil_read_file(path, NULL);
	int n = 0;
	for (char *line = text, *end; line && *line; line = end ? end + 1 : NULL) {
		end = strchr(line, '\n');
		if (end)
			*end = '\0';
		n += strstr(line, a) != NULL && strstr(line, b) != NULL;
	}
	free(text);
	return n;
}

/* Wait until a line of tmpdir/LOG holds both a and b: 0, or -1 after timeout_ms. */
static int
wait_log_lines(const char *log, const char *a, const char *b, int timeout_ms)
{
	long long until = monotime_ms() + timeout_ms;
	while (log_lines(log, a, b) == 0) {
		if (monotime_ms() > until)
			return -1;
		usleep(100 * 1000);
	}
	return 0;
}

/* Exit code of pid within timeout_ms, or -1 while it still runs. */
static int
wait_exit(pid_t pid, int timeout_ms)
{
	long long until = monotime_ms() + timeout_ms;
	int st;
	for (;;) {
		pid_t got = waitpid(pid, &st, WNOHANG);
		if (got == pid) {
			for (int i = 0; i < nstarted; i++)
				if (started[i] == pid)
					started[i] =
					    0; /* reaped: its pid may be someone else's now */
			return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
		}
		if (monotime_ms() > until)
			return -1;
		usleep(50 * 1000);
	}
}

static void
stop(pid_t pid)
{
	if (pid > 0) {
		kill(pid, SIGTERM);
		if (wait_exit(pid, 10000) < 0) {
			kill(pid, SIGKILL);
			wait_exit(pid, 10000);
		}
	}
}

/* `reportpipe keygen`: the secret key, and the public key when asked. */
static void
keygen(char *secret, char *public_key)
{
	int rc;
	char *out = testutil_run(&rc, "%s keygen", testutil_bin());
	assert_int_equal(rc, 0);
	assert_non_null(out);
	assert_int_equal(
	    sscanf(out, "# public key: %40s\ncurve_secret_key = %40s", public_key, secret), 2);
	free(out);
}

/* A config for reports [from, to), on the given ports and keys (secret NULL: no CURVE). */
static void
write_conf_range(const char *name, const int ports[3], const char *secret, const char *server_key,
		 int from, int to)
{
	char path[PATH_MAX], text[8192];
	int at = snprintf(
	    text, sizeof(text),
	    "[database]\nconninfo = %s\n"
	    "[pipeline]\nworkers = 1\nstate_dir = %s/state-%s\n"
	    "[network]\n"
	    "jobs_bind = tcp://127.0.0.1:%d\njobs_connect = tcp://127.0.0.1:%d\n"
	    "results_bind = tcp://127.0.0.2:%d\nresults_connect = tcp://127.0.0.2:%d\n"
	    "control_bind = tcp://127.0.0.2:%d\ncontrol_connect = tcp://127.0.0.2:%d\n",
	    conninfo, tmpdir, name, ports[0], ports[0], ports[1], ports[1], ports[2], ports[2]);
	if (secret) /* NULL: no CURVE at all */
		at +=
		    snprintf(text + at, sizeof(text) - (size_t)at,
			     "curve_secret_key = %s\ncurve_server_key = %s\n", secret, server_key);
	for (int i = from; i < to; i++)
		at += snprintf(text + at, sizeof(text) - (size_t)at,
			       "[source \"r%d\"]\nurl = file://%s/reports/r%d.txt\n", i, tmpdir, i);
	snprintf(path, sizeof(path), "%s/%s.conf", tmpdir, name);
	assert_int_equal(testutil_write_file(path, text, strlen(text)), 0);
}

static void
write_conf(const char *name, const int ports[3], const char *secret, const char *server_key)
{
	write_conf_range(name, ports, secret, server_key, 0, NREPORTS);
}

/* tmpdir/reports/rI.txt: the seed with a line of its own, so each is a new document. */
static int
write_report(int i)
{
	char path[PATH_MAX];
	size_t len;
	char *seed = testutil_read_file("examples/reports/shaoguan-2020-fazhi.txt", &len);
	if (seed == NULL)
		return -1;
	char *body = malloc(len + 32);
	memcpy(body, seed, len);
	int n = snprintf(body + len, 32, "\n%d\n", i);
	snprintf(path, sizeof(path), "%s/reports/r%d.txt", tmpdir, i);
	int rc = testutil_write_file(path, body, len + (size_t)n);
	free(body);
	free(seed);
	return rc;
}

static void
test_curve_stages_on_two_addresses(void **state)
{
	(void)state;
	char good_secret[41], good_public[41], wrong_secret[41], wrong_public[41];
	int ports[3] = {free_port("127.0.0.1"), free_port("127.0.0.2"), 0};
	ports[2] = free_port("127.0.0.2");
	assert_true(ports[0] > 0 && ports[1] > 0 && ports[2] > 0 && ports[1] != ports[2]);

	keygen(good_secret, good_public);
	keygen(wrong_secret, wrong_public);
	/* everyone knows the server's public key; only "good" holds the admitted pair */
	write_conf("good", ports, good_secret, good_public);
	write_conf("wrong", ports, wrong_secret, good_public);
	write_conf("nokey", ports, NULL, NULL);

	pid_t sink = spawn("sink.log", "sink", "good", NULL);
	pid_t intruder = spawn("wrong.log", "parser", "wrong", "--verbose");
	long long nokey_since = monotime_ms();
	pid_t nokey = spawn("nokey.log", "parser", "nokey", "--verbose");
	pid_t fetch = spawn("fetch.log", "fetch", "good", NULL);

	/* the fetcher (jobs) and the sink (results) each refuse the intruder, and say so */
	int refused_jobs = wait_log("fetch.log", "refused a peer at 127.0.0.1", 30000);
	int refused_results = wait_log("sink.log", "refused a peer at 127.0.0.", 30000);
	if (refused_jobs < 0 || refused_results < 0) {
		char *out;
		int rc;
		out = testutil_run(&rc, "cat %s/fetch.log %s/sink.log %s/wrong.log", tmpdir, tmpdir,
				   tmpdir);
		fprintf(stderr, "%s\n", out ? out : "");
		free(out);
	}
	assert_int_equal(refused_jobs, 0);
	assert_int_equal(refused_results, 0);
	assert_true(log_has("fetch.log", wrong_public)); /* the refused key is named */

	/*
	 * A worker with no key at all never reaches the ZAP handler (its
	 * handshake fails on the mechanism): each service logs the refusal with
	 * the worker's address. libzmq tells nobody that address; the service
	 * reads it from the connection as libzmq accepts it, which a connection
	 * refused within the millisecond can outrun (rarely), and a keyless
	 * worker that saw the CURVE greeting first stops trying. A worker that
	 * gave up unnamed is replaced, a few times at most.
	 */
	for (int try = 0; try < 4; try++) {
		refused_jobs =
		    wait_log_lines("fetch.log", "refused peer 127.0.0.1: no CURVE key", "", 10000);
		refused_results =
		    wait_log_lines("sink.log", "refused peer 127.0.0.", ": no CURVE key", 10000);
		if (refused_jobs == 0 && refused_results == 0)
			break;
		stop(nokey);
		nokey = spawn("nokey.log", "parser", "nokey", "--verbose");
	}
	if (refused_jobs < 0 || refused_results < 0) {
		int rc;
		char *out = testutil_run(&rc, "cat %s/fetch.log %s/sink.log %s/nokey.log", tmpdir,
					 tmpdir, tmpdir);
		fprintf(stderr, "%s\n", out ? out : "");
		free(out);
	}
	assert_int_equal(refused_jobs, 0);
	assert_int_equal(refused_results, 0);

	/* with only the intruders, nothing is parsed: the run waits */
	usleep(1500 * 1000);
	assert_int_equal(wait_exit(fetch, 0), -1);
	assert_int_equal(testutil_query_long(conninfo, "SELECT count(*) FROM documents"), 0);

	/*
	 * The keyless worker tries again every 100 ms, the wrong one too; each
	 * service names each of them once a minute at most, not once a try.
	 */
	long long minutes = 1 + (monotime_ms() - nokey_since) / 60000;
	assert_true(log_lines("fetch.log", "refused peer 127.0.0.", "no CURVE key") <= minutes);
	assert_true(log_lines("sink.log", "refused peer 127.0.0.", "no CURVE key") <= minutes);
	assert_true(log_lines("fetch.log", "refused a peer at", wrong_public) <= minutes);
	assert_true(log_lines("sink.log", "refused a peer at", wrong_public) <= minutes);

	/* a worker with the right key joins: the run completes */
	pid_t worker = spawn("good.log", "parser", "good", NULL);
	int rc = wait_exit(fetch, 120000);
	if (rc != 0) {
		int r;
		char *out = testutil_run(&r, "cat %s/fetch.log %s/sink.log %s/good.log", tmpdir,
					 tmpdir, tmpdir);
		fprintf(stderr, "%s\n", out ? out : "");
		free(out);
	}
	assert_int_equal(rc, 0);
	/* the summary names the run by its id and by the name its log lines carry */
	assert_true(log_has("fetch.log", "reportpipe: run 1 (") &&
		    log_has("fetch.log", ") ok: fetched 3"));
	assert_int_equal(testutil_query_long(conninfo, "SELECT count(*) FROM documents"), NREPORTS);
	assert_int_equal(testutil_query_long(conninfo, "SELECT count(*) FROM ingest_runs"
						       " WHERE status = 'ok' AND stored = 3"),
			 1);

	/*
	 * The next cron run: a new fetcher on the same endpoint. The worker's
	 * credit went to the old one; it hears nothing for a while and asks the
	 * new one, so the long-lived services serve this run too.
	 */
	for (int i = NREPORTS; i < 2 * NREPORTS; i++)
		write_report(i);
	write_conf_range("good2", ports, good_secret, good_public, NREPORTS, 2 * NREPORTS);
	pid_t fetch2 = spawn("fetch2.log", "fetch", "good2", NULL);
	rc = wait_exit(fetch2, 120000);
	if (rc != 0) {
		int r;
		char *out = testutil_run(&r, "cat %s/fetch2.log %s/good.log", tmpdir, tmpdir);
		fprintf(stderr, "%s\n", out ? out : "");
		free(out);
	}
	assert_int_equal(rc, 0);
	/* the summary names the run by its id and by the name its log lines carry */
	assert_true(log_has("fetch2.log", "reportpipe: run 2 (") &&
		    log_has("fetch2.log", ") ok: fetched 3"));
	assert_int_equal(testutil_query_long(conninfo, "SELECT count(*) FROM documents"),
			 2 * NREPORTS);

	/* the services outlive the runs, and stop cleanly on SIGTERM */
	assert_int_equal(wait_exit(sink, 0), -1);
	assert_int_equal(wait_exit(intruder, 0), -1);
	assert_int_equal(wait_exit(nokey, 0), -1);
	kill(sink, SIGTERM);
	assert_int_equal(wait_exit(sink, 20000), 0);
	kill(worker, SIGTERM);
	assert_int_equal(wait_exit(worker, 20000), 0);
	stop(intruder);
	stop(nokey);
}

static void
test_services_refuse_missing_endpoints(void **state)
{
	(void)state;
	char path[PATH_MAX];
	int rc;
	snprintf(path, sizeof(path), "%s/bare.conf", tmpdir);
	assert_int_equal(testutil_write_file(path, "[pipeline]\nworkers = 1\n", 23), 0);
	char *out = testutil_run(&rc, "%s parser -c %s", testutil_bin(), path);
	assert_int_equal(rc, 78);
	assert_non_null(strstr(out, "[network] jobs_connect is needed"));
	free(out);
	out = testutil_run(&rc, "%s sink -c %s", testutil_bin(), path);
	assert_int_equal(rc, 78);
	assert_non_null(strstr(out, "[network] results_bind is needed"));
	free(out);
	out = testutil_run(&rc, "%s fetch -c %s", testutil_bin(), path);
	assert_int_equal(rc, 78);
	assert_non_null(strstr(out, "[network] jobs_bind is needed"));
	free(out);
}

/* A fetch run that no worker serves ends (75) after lease_ms; its jobs wait in the spool. */
static void
test_fetch_without_workers_gives_up(void **state)
{
	(void)state;
	char path[PATH_MAX], text[4096];
	int ports[3] = {free_port("127.0.0.1"), free_port("127.0.0.2"), 0};
	ports[2] = free_port("127.0.0.2");
	snprintf(path, sizeof(path), "%s/lonely.conf", tmpdir);
	int at =
	    snprintf(text, sizeof(text),
		     "[database]\nconninfo = %s\n"
		     "[pipeline]\nlease_ms = 1500\nstate_dir = %s/state-lonely\n"
		     "[network]\njobs_bind = tcp://127.0.0.1:%d\n"
		     "results_bind = tcp://127.0.0.2:%d\n"
		     "control_bind = tcp://127.0.0.2:%d\ncontrol_connect = tcp://127.0.0.2:%d\n",
		     conninfo, tmpdir, ports[0], ports[1], ports[2], ports[2]);
	/* bodies the database has not seen: the same files, one byte more */
	for (int i = 0; i < NREPORTS; i++) {
		char src[PATH_MAX], dst[PATH_MAX];
		int rc;
		snprintf(src, sizeof(src), "%s/reports/r%d.txt", tmpdir, i);
		snprintf(dst, sizeof(dst), "%s/reports/lonely%d.txt", tmpdir, i);
		free(testutil_run(&rc, "cp %s %s && echo x >> %s", src, dst, dst));
		at += snprintf(text + at, sizeof(text) - (size_t)at,
			       "[source \"l%d\"]\nurl = file://%s\n", i, dst);
	}
	assert_int_equal(testutil_write_file(path, text, strlen(text)), 0);
	pid_t sink = spawn("lonely-sink.log", "sink", "lonely", NULL);
	pid_t fetch = spawn("lonely-fetch.log", "fetch", "lonely", NULL);
	int rc = wait_exit(fetch, 60000);
	assert_int_equal(rc, 75);
	assert_true(log_has("lonely-fetch.log", "no parser worker for 1 s while jobs wait"));
	assert_true(log_has("lonely-fetch.log", " interrupted: fetched 3"));
	int r;
	char *out = testutil_run(&r, "ls %s/state-lonely/spool | grep -vc '^\\.'", tmpdir);
	assert_int_equal(atoi(out), NREPORTS);
	free(out);
	stop(sink);
}

static int
group_setup(void **state)
{
	(void)state;
	char path[PATH_MAX];
	if (mkdtemp(tmpdir) == NULL || testutil_pg_start(tmpdir, conninfo, sizeof(conninfo)) < 0)
		return -1;
	snprintf(path, sizeof(path), "%s/reports", tmpdir);
	mkdir(path, 0755);
	for (int i = 0; i < NREPORTS; i++)
		if (write_report(i) < 0)
			return -1;
	return 0;
}

static int
group_teardown(void **state)
{
	(void)state;
	for (int i = 0; i < nstarted; i++)
		if (started[i] > 0 && kill(started[i], SIGKILL) == 0)
			waitpid(started[i], NULL, 0);
	testutil_pg_stop(tmpdir);
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_curve_stages_on_two_addresses),
	    cmocka_unit_test(test_services_refuse_missing_endpoints),
	    cmocka_unit_test(test_fetch_without_workers_gives_up),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
