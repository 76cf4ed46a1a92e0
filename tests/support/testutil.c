/*
 * testutil.c - file and process helpers for tests.
 */
#include "testutil.h"
#include "buf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>

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
