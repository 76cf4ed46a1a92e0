/*
 * testutil.c - file and process helpers for tests.
 */
#include "testutil.h"
#include "buf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <libpq-fe.h>

char *
testutil_read_file(const char *path, size_t *len)
{
	FILE *fp = fopen(path, "rb");
	struct buf b = {0};
	char chunk[65536];
	size_t n;

	if (fp == NULL)
		return NULL;
	while ((n = fread(chunk, 1, sizeof(chunk), fp)) > 0)
		buf_append(&b, chunk, n);
	fclose(fp);
	if (len)
		*len = b.len;
	return buf_take(&b);
}

int
testutil_write_file(const char *path, const void *data, size_t len)
{
	FILE *fp = fopen(path, "wb");
	if (fp == NULL)
		return -1;
	size_t w = fwrite(data, 1, len, fp);
	return fclose(fp) == 0 && w == len ? 0 : -1;
}

const char *
testutil_bin(void)
{
	const char *b = getenv("REPORTPIPE_BIN");
	return b && *b ? b : "build/reportpipe";
}

char *
testutil_run(int *rc, const char *fmt, ...)
{
	struct buf cmd = {0}, out = {0};
	va_list ap;
	char chunk[4096];
	size_t n;

	va_start(ap, fmt);
	int len = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	buf_reserve(&cmd, (size_t)len);
	va_start(ap, fmt);
	vsnprintf(cmd.data, (size_t)len + 1, fmt, ap);
	va_end(ap);
	cmd.len = (size_t)len;
	buf_puts(&cmd, " 2>&1");

	FILE *p = popen(cmd.data, "r");
	buf_release(&cmd);
	if (p == NULL) {
		*rc = -1;
		return xstrdup("");
	}
	while ((n = fread(chunk, 1, sizeof(chunk), p)) > 0)
		buf_append(&out, chunk, n);
	int status = pclose(p);
	*rc = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	return buf_take(&out);
}

int
testutil_pg_start(const char *dir, char *conninfo, size_t cap)
{
	int rc;

	chmod(dir, 0755); /* as root the cluster runs as 'postgres', which must enter */
	char *out = testutil_run(&rc, "sh tests/it/pgtmp.sh start %s/pg", dir);
	if (rc != 0) {
		fprintf(stderr, "cannot start a test cluster: %s\n", out);
		free(out);
		return -1;
	}
	out[strcspn(out, "\n")] = '\0';
	snprintf(conninfo, cap, "%s", out);
	free(out);
	return 0;
}

void
testutil_pg_stop(const char *dir)
{
	int rc;
	free(testutil_run(&rc, "sh tests/it/pgtmp.sh stop %s/pg", dir));
	free(testutil_run(&rc, "rm -rf %s", dir));
}

int
testutil_pg_group_setup(char *dir, char *conninfo, size_t cap, char **seed, size_t *seed_len)
{
	*seed = NULL;
	if (mkdtemp(dir) == NULL)
		return -1;
	if (testutil_pg_start(dir, conninfo, cap) < 0 ||
	    (*seed = testutil_read_file("examples/reports/shaoguan-2020-fazhi.txt", seed_len)) ==
		NULL) {
		testutil_pg_group_teardown(dir, seed);
		return -1;
	}
	return 0;
}

void
testutil_pg_group_teardown(const char *dir, char **seed)
{
	testutil_pg_stop(dir);
	free(*seed);
	*seed = NULL;
}

int
testutil_pg_exec(const char *conninfo, const char *sql)
{
	PGconn *c = PQconnectdb(conninfo);
	int rc = -1;
	if (PQstatus(c) == CONNECTION_OK) {
		PGresult *r = PQexec(c, sql);
		rc = PQresultStatus(r) == PGRES_COMMAND_OK ? 0 : -1;
		if (rc < 0)
			fprintf(stderr, "%s: %s", sql, PQerrorMessage(c));
		PQclear(r);
	} else {
		fprintf(stderr, "cannot connect: %s", PQerrorMessage(c));
	}
	PQfinish(c);
	return rc;
}

long
testutil_query_long(const char *conninfo, const char *sql)
{
	PGconn *c = PQconnectdb(conninfo);
	if (PQstatus(c) != CONNECTION_OK) {
		char why[512];
		snprintf(why, sizeof(why), "%s", PQerrorMessage(c));
		PQfinish(c);
		fail_msg("cannot connect: %s", why);
	}
	PGresult *r = PQexec(c, sql);
	if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) < 1) {
		char why[512];
		snprintf(why, sizeof(why), "%s", PQerrorMessage(c));
		PQclear(r);
		PQfinish(c);
		fail_msg("%s: %s", sql, why);
	}
	long v = atol(PQgetvalue(r, 0, 0));
	PQclear(r);
	PQfinish(c);
	return v;
}
