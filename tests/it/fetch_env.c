/*
 * fetch_env.c - the servers and the database of the fetch integration tests.
 *
 * Everything listens on 127.0.0.1 only, lives in one temp dir and is
 * stopped by the process that started it; every wait is bounded in time.
 * Never touches any other cluster, nginx or port.
 */
#include "fetch_env.h"
#include "buf.h"
#include "testutil.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <libpq-fe.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define START_TIMEOUT_MS 15000

static void
env_sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
	nanosleep(&ts, NULL);
}

int
fetch_env_setup(struct fetch_env *e)
{
	memset(e, 0, sizeof(*e));
	snprintf(e->dir, sizeof(e->dir), "/tmp/rp-fetch.XXXXXX");
	if (mkdtemp(e->dir) == NULL) {
		perror("mkdtemp");
		return -1;
	}
	/* as root the cluster runs as 'postgres' and nginx's workers as 'nobody' */
	chmod(e->dir, 0755);
	if (realpath("examples/reports/shaoguan-2020-fazhi.txt", e->seed) == NULL) {
		perror("examples/reports/shaoguan-2020-fazhi.txt");
		return -1;
	}
	/* a proxy from the environment must not swallow requests to 127.0.0.1 */
	setenv("no_proxy", "127.0.0.1,localhost", 1);
	setenv("NO_PROXY", "127.0.0.1,localhost", 1);
	if (testutil_pg_start(e->dir, e->conninfo, sizeof(e->conninfo)) < 0)
		return -1;
	return 0;
}

static void
env_stop(pid_t *pid, int signo)
{
	if (*pid <= 0)
		return;
	kill(*pid, signo);
	for (int i = 0; i < 100; i++) {
		if (waitpid(*pid, NULL, WNOHANG) == *pid) {
			*pid = 0;
			return;
		}
		env_sleep_ms(50);
	}
	kill(*pid, SIGKILL);
	waitpid(*pid, NULL, 0);
	*pid = 0;
}

void
fetch_env_teardown(struct fetch_env *e)
{
	int rc;
	env_stop(&e->nginx_pid, SIGQUIT);
	env_stop(&e->faultd_pid, SIGTERM);
	if (e->dir[0] == '\0')
		return;
	free(testutil_run(&rc, "sh tests/it/pgtmp.sh stop %s/pg", e->dir));
	if (getenv("RP_KEEP_TEST_DIR") == NULL)
		free(testutil_run(&rc, "rm -rf %s", e->dir));
	else
		fprintf(stderr, "kept %s\n", e->dir);
}

int
fetch_env_free_port(void)
{
	struct sockaddr_in a = {.sin_family = AF_INET};
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0), port = -1;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0 &&
	    getsockname(fd, (struct sockaddr *)&a, &len) == 0)
		port = ntohs(a.sin_port);
	if (fd >= 0)
		close(fd);
	return port;
}

static int
env_port_open(int port)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	int ok = fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0;
	if (fd >= 0)
		close(fd);
	return ok;
}

/* fork and exec argv with stdout and stderr to logpath; the child's pid or -1. */
static pid_t
env_spawn(char *const argv[], const char *logpath)
{
	pid_t pid = fork();
	if (pid != 0)
		return pid;
	int fd = open(logpath, O_WRONLY | O_CREAT | O_APPEND, 0644);
	if (fd >= 0) {
		dup2(fd, 1);
		dup2(fd, 2);
		close(fd);
	}
	execvp(argv[0], argv);
	_exit(127);
}

/* Replace every @KEY@ of the template at tpl and write the result to out. */
static int
env_render(const char *tpl, const char *out, const char *const *pairs)
{
	char *text = testutil_read_file(tpl, NULL);
	if (text == NULL)
		return -1;
	struct buf b = {0};
	for (const char *p = text; *p;) {
		int hit = 0;
		for (size_t i = 0; pairs[i]; i += 2) {
			size_t n = strlen(pairs[i]);
			if (strncmp(p, pairs[i], n) == 0) {
				buf_puts(&b, pairs[i + 1]);
				p += n;
				hit = 1;
				break;
			}
		}
		if (!hit)
			buf_putc(&b, *p++);
	}
	int rc = testutil_write_file(out, b.data, b.len);
	buf_release(&b);
	free(text);
	return rc;
}

int
fetch_env_nginx_start(struct fetch_env *e, const char *root)
{
	char conf[PATH_MAX + 16], prefix[PATH_MAX + 16], errlog[PATH_MAX + 32], port[16];
	char tmp[PATH_MAX + 16], log[PATH_MAX + 16];
	e->nginx_port = fetch_env_free_port();
	snprintf(port, sizeof(port), "%d", e->nginx_port);
	snprintf(conf, sizeof(conf), "%s/nginx.conf", e->dir);
	snprintf(prefix, sizeof(prefix), "%s/", e->dir);
	snprintf(errlog, sizeof(errlog), "%s/nginx-error.log", e->dir);
	snprintf(tmp, sizeof(tmp), "%s/nginx-tmp", e->dir);
	snprintf(log, sizeof(log), "%s/nginx.out", e->dir);
	mkdir(tmp, 0755);
	const char *pairs[] = {"@DIR@", e->dir, "@ROOT@", root, "@PORT@", port, NULL};
	if (env_render("tests/it/nginx-test.conf.in", conf, pairs) < 0) {
		fprintf(stderr, "cannot write %s\n", conf);
		return -1;
	}
	char *argv[] = {"nginx", "-p", prefix, "-c", conf, "-e", errlog, NULL};
	e->nginx_pid = env_spawn(argv, log);
	for (int waited = 0; waited < START_TIMEOUT_MS; waited += 50) {
		if (env_port_open(e->nginx_port))
			return 0;
		if (waitpid(e->nginx_pid, NULL, WNOHANG) == e->nginx_pid) {
			e->nginx_pid = 0;
			break;
		}
		env_sleep_ms(50);
	}
	char *out = testutil_read_file(log, NULL), *err = testutil_read_file(errlog, NULL);
	fprintf(stderr, "nginx did not start:\n%s\n%s\n", out ? out : "", err ? err : "");
	free(out);
	free(err);
	return -1;
}

int
fetch_env_faultd_start(struct fetch_env *e, int nports, const char *cert, const char *key)
{
	char ports_path[PATH_MAX + 16], log[PATH_MAX + 16], n[16];
	snprintf(ports_path, sizeof(ports_path), "%s/faultd.ports", e->dir);
	snprintf(log, sizeof(log), "%s/faultd.out", e->dir);
	snprintf(n, sizeof(n), "%d", nports);
	char *argv[] = {"python3",
			"tests/it/faultd.py",
			"--dir",
			e->dir,
			"--seed",
			e->seed,
			"--ports",
			n,
			cert ? "--tls-cert" : NULL,
			(char *)cert,
			"--tls-key",
			(char *)key,
			NULL};
	e->faultd_pid = env_spawn(argv, log);
	for (int waited = 0; waited < START_TIMEOUT_MS; waited += 50) {
		char *text = testutil_read_file(ports_path, NULL);
		if (text) {
			char *p = text, *end;
			e->nfaultd_ports = 0;
			for (long v; (v = strtol(p, &end, 10)) > 0; p = end) {
				if (e->nfaultd_ports < nports &&
				    e->nfaultd_ports < FETCH_ENV_MAX_PORTS)
					e->faultd_ports[e->nfaultd_ports++] = (int)v;
				else
					e->tls_port = (int)v;
			}
			free(text);
			return e->nfaultd_ports == nports ? 0 : -1;
		}
		if (waitpid(e->faultd_pid, NULL, WNOHANG) == e->faultd_pid) {
			e->faultd_pid = 0;
			break;
		}
		env_sleep_ms(50);
	}
	char *out = testutil_read_file(log, NULL);
	fprintf(stderr, "faultd did not start:\n%s\n", out ? out : "");
	free(out);
	return -1;
}

int
fetch_env_write_config(const struct fetch_env *e, const char *name, const char *fetch_keys,
		       const char *sources)
{
	char path[PATH_MAX + 64];
	struct buf b = {0};
	snprintf(path, sizeof(path), "%s/%s.conf", e->dir, name);
	buf_printf(&b,
		   "[database]\nconninfo = %s\n[pipeline]\nworkers = 2\nlease_ms = 60000\n"
		   "state_dir = %s/state\n[fetch]\n%s\n%s",
		   e->conninfo, e->dir, fetch_keys ? fetch_keys : "", sources);
	int rc = testutil_write_file(path, b.data, b.len);
	buf_release(&b);
	return rc;
}

char *
fetch_env_run(const struct fetch_env *e, const char *name, int *rc)
{
	/* a run that hangs fails the test instead of stalling the suite */
	return testutil_run(rc, "timeout -k 10 300 %s run -c %s/%s.conf", testutil_bin(), e->dir,
			    name);
}

char *
fetch_env_query_str(const struct fetch_env *e, const char *sql)
{
	PGconn *c = PQconnectdb(e->conninfo);
	char *v = NULL;
	if (PQstatus(c) != CONNECTION_OK) {
		fprintf(stderr, "cannot connect: %s", PQerrorMessage(c));
		PQfinish(c);
		return NULL;
	}
	PGresult *r = PQexec(c, sql);
	if (PQresultStatus(r) != PGRES_TUPLES_OK)
		fprintf(stderr, "%s: %s", sql, PQerrorMessage(c));
	else if (PQntuples(r) > 0 && !PQgetisnull(r, 0, 0))
		v = xstrdup(PQgetvalue(r, 0, 0));
	PQclear(r);
	PQfinish(c);
	return v;
}

long
fetch_env_query_long(const struct fetch_env *e, const char *sql)
{
	char *s = fetch_env_query_str(e, sql);
	long v = s ? atol(s) : -1;
	free(s);
	return v;
}

long
fetch_env_file_size(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 ? (long)st.st_size : 0;
}

char *
fetch_env_read_from(const char *path, long offset)
{
	size_t len = 0;
	char *all = testutil_read_file(path, &len);
	if (all == NULL)
		return xstrdup("");
	char *tail = xstrdup((size_t)offset <= len ? all + offset : "");
	free(all);
	return tail;
}

int
fetch_env_count_lines(const char *text, ...)
{
	int count = 0;
	for (const char *line = text; line && *line;) {
		const char *nl = strchr(line, '\n');
		size_t n = nl ? (size_t)(nl - line) : strlen(line);
		char *copy = xstrndup(line, n);
		int all = 1;
		va_list ap;
		va_start(ap, text);
		for (const char *needle; (needle = va_arg(ap, const char *)) != NULL;)
			if (strstr(copy, needle) == NULL)
				all = 0;
		va_end(ap);
		count += all;
		free(copy);
		line = nl ? nl + 1 : NULL;
	}
	return count;
}

char *
fetch_env_report_text(const struct fetch_env *e, const char *name, size_t *len)
{
	static const char mark[] = "主要工作及成效";
	char *seed = testutil_read_file(e->seed, NULL);
	if (seed == NULL)
		return NULL;
	struct buf b = {0};
	char *at = strstr(seed, mark);
	if (at == NULL) {
		buf_puts(&b, seed);
	} else {
		at += strlen(mark);
		buf_append(&b, seed, (size_t)(at - seed));
		buf_printf(&b, "（样本 %s）%s", name, at);
	}
	free(seed);
	if (len)
		*len = b.len;
	return buf_take(&b);
}

int
fetch_env_write_config_pipeline(const struct fetch_env *e, const char *name,
				const char *pipeline_keys, const char *fetch_keys,
				const char *sources)
{
	char path[PATH_MAX + 64];
	struct buf b = {0};
	snprintf(path, sizeof(path), "%s/%s.conf", e->dir, name);
	buf_printf(&b,
		   "[database]\nconninfo = %s\n[pipeline]\nworkers = 2\nstate_dir = %s/state\n%s\n"
		   "[fetch]\n%s\n%s",
		   e->conninfo, e->dir, pipeline_keys ? pipeline_keys : "",
		   fetch_keys ? fetch_keys : "", sources);
	int rc = testutil_write_file(path, b.data, b.len);
	buf_release(&b);
	return rc;
}

pid_t
fetch_env_run_spawn(const struct fetch_env *e, const char *name, const char *logpath)
{
	char conf[PATH_MAX + 64];
	snprintf(conf, sizeof(conf), "%s/%s.conf", e->dir, name);
	char *argv[] = {(char *)testutil_bin(), "run", "-c", conf, NULL};
	fflush(stdout);
	fflush(stderr);
	return env_spawn(argv, logpath);
}

int
fetch_env_run_wait(pid_t pid, long timeout_ms)
{
	int status;
	for (long waited = 0;; waited += 10) {
		pid_t w = waitpid(pid, &status, WNOHANG);
		if (w == pid)
			return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
		if (w < 0 && errno != EINTR)
			return -1;
		if (waited >= timeout_ms)
			break;
		env_sleep_ms(10);
	}
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	return -1;
}
