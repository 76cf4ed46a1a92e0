/*
 * supervise_test.c - the process table (cmd/proc.c) as `reportpipe parser`
 * uses it, with real processes: workers that die as soon as they start are
 * replaced with a growing back-off and then given up (the service exits 70
 * and says so once); a SIGTERM stops the service and its workers within a
 * second; a SIGKILL of the service takes its workers with it
 * (PR_SET_PDEATHSIG). No database: the workers wait for a fetcher that is
 * not there.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "monotime.h"
#include "testutil.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#define WORKERS 2
#define MAX_QUICK 10 /* PROC_MAX_QUICK in cmd/proc.h */

static char tmpdir[] = "/tmp/rp-supervise.XXXXXX";

/* A TCP port free on 127.0.0.1 right now (nothing listens there: the workers just wait). */
static int
free_port(void)
{
	struct sockaddr_in sa = {.sin_family = AF_INET};
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM, 0), port = -1;
	inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
	if (fd >= 0 && bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 &&
	    getsockname(fd, (struct sockaddr *)&sa, &len) == 0)
		port = ntohs(sa.sin_port);
	close(fd);
	return port;
}

/* tmpdir/NAME.conf for WORKERS workers taking jobs from jobs_connect. */
static void
write_conf(const char *name, const char *jobs_connect)
{
	char path[PATH_MAX], text[1024];
	snprintf(path, sizeof(path), "%s/%s.conf", tmpdir, name);
	snprintf(text, sizeof(text),
		 "[pipeline]\nworkers = %d\nstate_dir = %s/state\n"
		 "[network]\njobs_connect = %s\nresults_connect = tcp://127.0.0.1:%d\n",
		 WORKERS, tmpdir, jobs_connect, free_port());
	assert_int_equal(testutil_write_file(path, text, strlen(text)), 0);
}

/* `reportpipe parser -c tmpdir/NAME.conf`, its output in tmpdir/NAME.log. */
static pid_t
start_service(const char *name)
{
	char conf[PATH_MAX], log[PATH_MAX];
	snprintf(conf, sizeof(conf), "%s/%s.conf", tmpdir, name);
	snprintf(log, sizeof(log), "%s/%s.log", tmpdir, name);
	fflush(NULL);
	pid_t pid = fork();
	if (pid == 0) {
		int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		dup2(fd, 1);
		dup2(fd, 2);
		close(fd);
		execl(testutil_bin(), testutil_bin(), "parser", "-c", conf, (char *)NULL);
		_exit(127);
	}
	assert_true(pid > 0);
	return pid;
}

/* Exit code of pid within timeout_ms (-1: still running); *took_ms how long it waited. */
static int
wait_exit(pid_t pid, int timeout_ms, long long *took_ms)
{
	long long from = monotime_ms();
	int st;
	if (took_ms)
		*took_ms = -1;
	for (;;) {
		if (waitpid(pid, &st, WNOHANG) == pid) {
			if (took_ms)
				*took_ms = monotime_ms() - from;
			return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
		}
		if (monotime_ms() - from > timeout_ms)
			return -1;
		usleep(5000);
	}
}

static int
count_lines(const char *name, const char *needle)
{
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/%s.log", tmpdir, name);
	char *text = testutil_read_file(path, NULL);
	int n = 0;
	for (char *p = text; p && (p = strstr(p, needle)) != NULL; p++)
		n++;
	free(text);
	return n;
}

/* The children of pid (its workers), from /proc; how many, at most cap. */
static int
children(pid_t pid, pid_t *out, int cap)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%ld/task/%ld/children", (long)pid, (long)pid);
	char *text = testutil_read_file(path, NULL);
	int n = 0;
	for (char *p = text, *end; p && n < cap; p = end) {
		long v = strtol(p, &end, 10);
		if (end == p)
			break;
		out[n++] = (pid_t)v;
	}
	free(text);
	return n;
}

/* 1 while pid runs (a zombie waiting for init to reap it has ended). */
static int
running(pid_t pid)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
	char *text = testutil_read_file(path, NULL);
	const char *p = text ? strrchr(text, ')') : NULL;
	int alive = p && p[1] == ' ' && p[2] != 'Z' && p[2] != 'X';
	free(text);
	return alive;
}

/* Wait until the service has WORKERS workers; their pids in w. */
static void
wait_workers(pid_t service, pid_t *w)
{
	long long until = monotime_ms() + 20000;
	while (children(service, w, WORKERS) < WORKERS) {
		assert_true(monotime_ms() < until);
		usleep(20000);
	}
}

static void
test_workers_dying_at_once_are_given_up(void **state)
{
	(void)state;
	char jobs[256];
	/* a path too long for a unix socket: every worker fails to connect and exits 70 */
	int at = snprintf(jobs, sizeof(jobs), "ipc://%s/", tmpdir);
	while (at < 200)
		jobs[at++] = 'x';
	jobs[at] = '\0';
	write_conf("dying", jobs);
	long long took;
	pid_t service = start_service("dying");
	int rc = wait_exit(service, 60000, &took);
	if (rc < 0) {
		kill(service, SIGKILL);
		waitpid(service, NULL, 0);
	}
	int deaths = count_lines("dying", "exited with status 70");
	print_message("the service exited %d after %lld ms, %d worker deaths\n", rc, took, deaths);
	/* not restarted for ever: given up, said once, and the service fails */
	assert_int_equal(rc, 70);
	assert_int_equal(count_lines("dying", "die as soon as they start (10 in a row"), 1);
	assert_int_equal(count_lines("dying", "no parser worker left"), 1);
	assert_true(deaths >= MAX_QUICK && deaths <= MAX_QUICK + WORKERS);
	/* with a back-off: 10 deaths at once would take a few ms, not seconds */
	assert_true(took >= 2000);
}

static void
test_sigterm_stops_service_and_workers_within_1s(void **state)
{
	(void)state;
	char jobs[64];
	pid_t w[WORKERS];
	snprintf(jobs, sizeof(jobs), "tcp://127.0.0.1:%d", free_port());
	write_conf("term", jobs);
	pid_t service = start_service("term");
	wait_workers(service, w);
	usleep(300 * 1000); /* past their start: waiting for a fetcher */
	long long took;
	assert_int_equal(kill(service, SIGTERM), 0);
	int rc = wait_exit(service, 10000, &took);
	print_message("SIGTERM: the service exited %d after %lld ms\n", rc, took);
	assert_int_equal(rc, 0);
	assert_true(took <= 1000);
	for (int i = 0; i < WORKERS; i++)
		assert_false(running(w[i]));
	assert_int_equal(count_lines("term", "exited with status"), 0);
}

static void
test_killed_service_takes_its_workers(void **state)
{
	(void)state;
	char jobs[64];
	pid_t w[WORKERS];
	snprintf(jobs, sizeof(jobs), "tcp://127.0.0.1:%d", free_port());
	write_conf("kill", jobs);
	pid_t service = start_service("kill");
	wait_workers(service, w);
	usleep(300 * 1000);
	assert_int_equal(kill(service, SIGKILL), 0);
	assert_int_equal(wait_exit(service, 10000, NULL), 128 + SIGKILL);
	long long until = monotime_ms() + 1000;
	int left;
	do {
		left = 0;
		for (int i = 0; i < WORKERS; i++)
			left += running(w[i]);
		if (left)
			usleep(10000);
	} while (left && monotime_ms() < until);
	for (int i = 0; i < WORKERS; i++)
		if (running(w[i]))
			kill(w[i], SIGKILL); /* not to leave it behind; the assertion fails below */
	assert_int_equal(left, 0);
}

static int
group_setup(void **state)
{
	(void)state;
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int
group_teardown(void **state)
{
	(void)state;
	int rc;
	free(testutil_run(&rc, "rm -rf %s", tmpdir));
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_workers_dying_at_once_are_given_up),
	    cmocka_unit_test(test_sigterm_stops_service_and_workers_within_1s),
	    cmocka_unit_test(test_killed_service_takes_its_workers),
	};
	return cmocka_run_group_tests_name("supervise", tests, group_setup, group_teardown);
}
