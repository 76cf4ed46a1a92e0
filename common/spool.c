/*
 * spool.c - write, fsync, rename: a spool file is whole or absent.
 *
 * Must never leave a partial file under a final name, and never create a file
 * anyone but the owner can read.
 */
#include "spool.h"
#include "buf.h"
#include "log.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char spool_magic[] = "RPSPOOL1\n";

/*
 * A spool name is one plain file name of our own making (the fetcher's are
 * SHA-256 hex): never a path, and never a dot file, which are the temporary
 * names of spool_stage. A caller that breaks this has a bug that could
 * write, read or unlink outside the spool.
 */
static int
spool_name_ok(const char *name)
{
	size_t n = strlen(name);
	return n > 0 && n <= SPOOL_NAME_LEN && name[0] != '.' && strchr(name, '/') == NULL;
}

int
spool_ensure_dir(const char *dir)
{
	char path[PATH_MAX];

	if (snprintf(path, sizeof(path), "%s", dir) >= (int)sizeof(path)) {
		log_warnx("spool directory path too long: %s", dir);
		return -1;
	}
	for (char *p = path + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(path, 0700) < 0 && errno != EEXIST) {
			log_warn("cannot create directory %s", path);
			return -1;
		}
		*p = '/';
	}
	if (mkdir(path, 0700) < 0 && errno != EEXIST) {
		log_warn("cannot create spool directory %s", path);
		return -1;
	}
	return 0;
}

static int
spool_write_all(int fd, const void *data, size_t len)
{
	const char *p = data;
	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int
spool_fsync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	int rc = fsync(fd);
	close(fd);
	return rc;
}

int
spool_stage(const char *dir, const char *name, const char *header_json, const void *body,
	    size_t body_len, int sync, char *tmp, char *final)
{
	int fd;

	assert(spool_name_ok(name));
	if (strchr(header_json, '\n')) {
		log_warnx("spool: refusing a header with a newline for %s", name);
		return -1;
	}
	snprintf(final, PATH_MAX, "%s/%s", dir, name);
	if (snprintf(tmp, PATH_MAX, "%s/.tmp-%s-%ld", dir, name, (long)getpid()) >= PATH_MAX) {
		log_warnx("spool: path too long in %s", dir);
		return -1;
	}
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0) {
		log_warn("spool: cannot create %s", tmp);
		return -1;
	}
	if (spool_write_all(fd, spool_magic, sizeof(spool_magic) - 1) < 0 ||
	    spool_write_all(fd, header_json, strlen(header_json)) < 0 ||
	    spool_write_all(fd, "\n", 1) < 0 || spool_write_all(fd, body, body_len) < 0 ||
	    (sync && fsync(fd) < 0)) {
		log_warn("spool: cannot write %s", tmp);
		close(fd);
		unlink(tmp);
		return -1;
	}
	if (close(fd) < 0) {
		log_warn("spool: cannot write %s", tmp);
		unlink(tmp);
		return -1;
	}
	return 0;
}

int
spool_commit(const char *dir, const char *name, const char *header_json, const void *body,
	     size_t body_len)
{
	char tmp[PATH_MAX], final[PATH_MAX];

	if (spool_stage(dir, name, header_json, body, body_len, 1, tmp, final) < 0)
		return -1;
	if (rename(tmp, final) < 0) {
		log_warn("spool: cannot commit %s", final);
		unlink(tmp);
		return -1;
	}
	if (spool_fsync_dir(dir) < 0) {
		log_warn("spool: cannot fsync directory %s", dir);
		return -1;
	}
	return 0;
}

int
spool_load(const char *dir, const char *name, char **header, unsigned char **body, size_t *body_len)
{
	char path[PATH_MAX];
	struct stat st;
	unsigned char *data = NULL;
	int fd;

	assert(spool_name_ok(name));
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		log_warn("spool: cannot open %s", path);
		return -1;
	}
	if (fstat(fd, &st) < 0 || st.st_size < (off_t)sizeof(spool_magic)) {
		log_warnx("spool: %s is damaged (too short); leaving it for inspection", path);
		close(fd);
		return -1;
	}
	size_t size = (size_t)st.st_size, got = 0;
	data = xmalloc(size + 1);
	while (got < size) {
		ssize_t n = read(fd, data + got, size - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	data[got] = '\0';
	unsigned char *nl = NULL;
	if (got == size && memcmp(data, spool_magic, sizeof(spool_magic) - 1) == 0)
		nl = memchr(data + sizeof(spool_magic) - 1, '\n', size - (sizeof(spool_magic) - 1));
	if (nl == NULL) {
		log_warnx("spool: %s is damaged (bad header); leaving it for inspection", path);
		free(data);
		return -1;
	}
	size_t hstart = sizeof(spool_magic) - 1;
	*header = xstrndup((const char *)data + hstart, (size_t)(nl - data) - hstart);
	*body_len = size - (size_t)(nl + 1 - data);
	*body = xmalloc(*body_len + 1);
	memcpy(*body, nl + 1, *body_len);
	(*body)[*body_len] = '\0';
	free(data);
	return 0;
}

int
spool_remove(const char *dir, const char *name)
{
	char path[PATH_MAX];

	assert(spool_name_ok(name));
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (unlink(path) < 0 && errno != ENOENT) {
		log_warn("spool: cannot remove %s", path);
		return -1;
	}
	return 0;
}
