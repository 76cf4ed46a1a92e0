/*
 * fetcher_spool_test.c - the fetcher's group commit into the spool: bodies
 * come back only once committed, in spool.h's format (spool_load reads
 * them), mode 0600, with no temporary file left behind; each one's data
 * synced before its rename, and the directory synced after it, before the
 * body is handed back; none lost or repeated across many groups; nothing
 * half-done left when the spool stops early.
 *
 * syncfs, fsync and rename are wrapped here (the program's own definitions
 * come before libc's) to record the order they happen in; a syncfs records
 * every file in the spool directory as it stood, inode and size, when the
 * sync was done.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "fetcher_spool.h"
#include "spool.h"
#include "testutil.h"

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

/* What the spool did, in order: syncs by inode (and size), renames by final path. */
struct event {
	char what; /* 'f' a file synced by syncfs, 's' fsync, 'r' rename */
	ino_t ino;
	off_t size;
	char path[128];
};
static struct event events[4096];
static size_t nevents;
static pthread_mutex_t events_mu = PTHREAD_MUTEX_INITIALIZER;
static const char *watched_dir; /* whose files a syncfs records */

static void
record_event(char what, ino_t ino, off_t size, const char *path)
{
	struct event e = {what, ino, size, ""};
	if (path)
		snprintf(e.path, sizeof(e.path), "%s", path);
	pthread_mutex_lock(&events_mu);
	if (nevents < sizeof(events) / sizeof(events[0]))
		events[nevents++] = e;
	pthread_mutex_unlock(&events_mu);
}

static void
record(char what, int fd, const char *path)
{
	struct stat st;
	if (fd >= 0 && fstat(fd, &st) == 0)
		record_event(what, st.st_ino, st.st_size, path);
	else
		record_event(what, 0, 0, path);
}

int
syncfs(int fd)
{
	int rc = (int)syscall(SYS_syncfs, fd);
	DIR *d = rc == 0 && watched_dir ? opendir(watched_dir) : NULL;
	struct dirent *e;
	while (d && (e = readdir(d)) != NULL) {
		char path[PATH_MAX];
		struct stat st;
		snprintf(path, sizeof(path), "%s/%s", watched_dir, e->d_name);
		if (e->d_name[0] == '.' && strncmp(e->d_name, ".tmp-", 5) != 0)
			continue;
		if (stat(path, &st) == 0)
			record_event('f', st.st_ino, st.st_size, NULL);
	}
	if (d)
		closedir(d);
	return rc;
}

int
fsync(int fd)
{
	int rc = (int)syscall(SYS_fsync, fd);
	if (rc == 0)
		record('s', fd, NULL);
	return rc;
}

int
rename(const char *from, const char *to)
{
	int rc = renameat(AT_FDCWD, from, AT_FDCWD, to);
	if (rc == 0)
		record('r', -1, to);
	return rc;
}

/* Index of the first event at or after from that matches (size -1: any); -1 when none. */
static long
find_event(size_t from, char what, ino_t ino, off_t size, const char *path)
{
	pthread_mutex_lock(&events_mu);
	long at = -1;
	for (size_t i = from; i < nevents && at < 0; i++)
		if (events[i].what == what &&
		    (path ? strcmp(events[i].path, path) == 0
			  : events[i].ino == ino && (size < 0 || events[i].size == size)))
			at = (long)i;
	pthread_mutex_unlock(&events_mu);
	return at;
}

#define KEY(c)                                                                                     \
	c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c  \
	    c c c c c c c c c c c c c c c c c c c

static int
count_entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;
	while (d && (e = readdir(d)) != NULL)
		n += e->d_name[0] != '.' || strncmp(e->d_name, ".tmp-", 5) == 0;
	if (d)
		closedir(d);
	return n;
}

static void
stage_one(struct fetcher_spool *s, int i)
{
	char key[65], hdr[64], body[64];
	snprintf(key, sizeof(key), "%064d", i);
	snprintf(hdr, sizeof(hdr), "{\"n\":%d}", i);
	snprintf(body, sizeof(body), "body %d", i);
	assert_int_equal(
	    fetcher_spool_stage(s, key, "http://x.invalid/", 1, hdr, body, strlen(body)), 0);
}

/* Wait for bodies and pass each to check; the number taken. */
static int
take_all(struct fetcher_spool *s, int want, void (*check)(const char *, struct fetcher_spooled *),
	 const char *dir)
{
	int got = 0;
	for (int tries = 0; got < want && tries < 200; tries++) {
		struct pollfd p = {fetcher_spool_fd(s), POLLIN, 0};
		poll(&p, 1, 100);
		struct fetcher_spooled *b;
		while ((b = fetcher_spool_next(s)) != NULL) {
			assert_false(b->failed);
			check(dir, b);
			fetcher_spool_spooled_free(&b);
			got++;
		}
	}
	return got;
}

/*
 * Its data synced whole (the file at its full size when a syncfs was done),
 * then renamed into place, then the directory synced: all before now.
 */
static void
check_durable(const char *dir, struct fetcher_spooled *b)
{
	char path[PATH_MAX];
	struct stat st, dst;
	snprintf(path, sizeof(path), "%s/%s", dir, b->key);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(stat(dir, &dst), 0);
	long synced = find_event(0, 'f', st.st_ino, st.st_size, NULL);
	long renamed = find_event(0, 'r', 0, -1, path);
	assert_true(synced >= 0);
	assert_true(renamed > synced);
	assert_true(find_event((size_t)renamed, 's', dst.st_ino, -1, NULL) > renamed);
}

static void
test_bodies_are_durable_before_handed_back(void **state)
{
	(void)state;
	char dir[] = "/tmp/rp-fspool-test-XXXXXX";
	assert_non_null(mkdtemp(dir));
	watched_dir = dir;
	struct fetcher_spool *s = fetcher_spool_new(dir);
	assert_non_null(s);
	for (int i = 0; i < 20; i++)
		stage_one(s, i);
	assert_int_equal(take_all(s, 20, check_durable, dir), 20);
	fetcher_spool_free(&s);
	watched_dir = NULL;
	int rc;
	free(testutil_run(&rc, "rm -rf %s", dir));
}

static int seen[600];

static void
check_once(const char *dir, struct fetcher_spooled *b)
{
	char *hdr = NULL;
	unsigned char *body = NULL;
	size_t len;
	assert_int_equal(spool_load(dir, b->key, &hdr, &body, &len), 0);
	int i = atoi(b->key);
	assert_true(i >= 0 && i < 600);
	char want[64];
	snprintf(want, sizeof(want), "body %d", i);
	assert_string_equal((char *)body, want);
	assert_int_equal(seen[i]++, 0);
	free(hdr);
	free(body);
}

/* More bodies than one group holds, staged in bursts: each comes back once. */
static void
test_many_groups_each_body_once(void **state)
{
	(void)state;
	char dir[] = "/tmp/rp-fspool-test-XXXXXX";
	assert_non_null(mkdtemp(dir));
	struct fetcher_spool *s = fetcher_spool_new(dir);
	assert_non_null(s);
	memset(seen, 0, sizeof(seen));
	int got = 0;
	for (int i = 0; i < 600; i++) {
		stage_one(s, i);
		if (i % 100 == 99)
			got += take_all(s, 0, check_once, dir);
	}
	got += take_all(s, 600 - got, check_once, dir);
	assert_int_equal(got, 600);
	assert_false(fetcher_spool_busy(s));
	assert_int_equal(count_entries(dir), 600);
	fetcher_spool_free(&s);
	int rc;
	free(testutil_run(&rc, "rm -rf %s", dir));
}

/* Stopped with bodies in every state: no temporary file stays, every spool file is whole. */
static void
test_free_midway_leaves_nothing_half_done(void **state)
{
	(void)state;
	char dir[] = "/tmp/rp-fspool-test-XXXXXX";
	assert_non_null(mkdtemp(dir));
	struct fetcher_spool *s = fetcher_spool_new(dir);
	assert_non_null(s);
	for (int i = 0; i < 300; i++)
		stage_one(s, i);
	fetcher_spool_free(&s);
	assert_null(s);
	DIR *d = opendir(dir);
	assert_non_null(d);
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.') {
			assert_true(strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0);
			continue;
		}
		char *hdr = NULL;
		unsigned char *body = NULL;
		size_t len;
		assert_int_equal(spool_load(dir, e->d_name, &hdr, &body, &len), 0);
		assert_int_equal(len, strlen((char *)body));
		free(hdr);
		free(body);
	}
	closedir(d);
	int rc;
	free(testutil_run(&rc, "rm -rf %s", dir));
}

static void
test_bodies_are_committed_then_handed_back(void **state)
{
	(void)state;
	char dir[] = "/tmp/rp-fspool-test-XXXXXX";
	assert_non_null(mkdtemp(dir));
	struct fetcher_spool *s = fetcher_spool_new(dir);
	assert_non_null(s);
	static const char *const keys[] = {KEY("a"), KEY("b"), KEY("c")};
	for (int i = 0; i < 3; i++) {
		char hdr[64], body[32];
		snprintf(hdr, sizeof(hdr), "{\"n\":%d}", i);
		snprintf(body, sizeof(body), "body %d", i);
		assert_int_equal(fetcher_spool_stage(s, keys[i], "http://x.invalid/", 1, hdr, body,
						     strlen(body)),
				 0);
	}
	assert_int_equal(fetcher_spool_stage(s, keys[0], "u", 1, "{\n}", "", 0), -1);

	int got = 0;
	for (int tries = 0; got < 3 && tries < 100; tries++) {
		struct pollfd p = {fetcher_spool_fd(s), POLLIN, 0};
		poll(&p, 1, 100);
		struct fetcher_spooled *b;
		while ((b = fetcher_spool_next(s)) != NULL) {
			assert_false(b->failed);
			char *hdr = NULL;
			unsigned char *body = NULL;
			size_t len;
			assert_int_equal(spool_load(dir, b->key, &hdr, &body, &len), 0);
			assert_int_equal(len, b->len);
			assert_memory_equal(body, "body ", 5);
			char path[128];
			struct stat st;
			snprintf(path, sizeof(path), "%s/%s", dir, b->key);
			assert_int_equal(stat(path, &st), 0);
			assert_int_equal(st.st_mode & 0777, 0600);
			free(hdr);
			free(body);
			fetcher_spool_spooled_free(&b);
			assert_null(b);
			got++;
		}
	}
	assert_int_equal(got, 3);
	assert_false(fetcher_spool_busy(s));
	assert_int_equal(count_entries(dir), 3); /* three spool files, no temporary ones */
	fetcher_spool_free(&s);
	assert_null(s);
	fetcher_spool_free(&s);
	int rc;
	free(testutil_run(&rc, "rm -rf %s", dir));
}

/* A body the spool cannot write comes back failed, still holding its bytes for the dead letter. */
static void
test_unwritable_body_comes_back_with_its_bytes(void **state)
{
	(void)state;
	char dir[] = "/tmp/rp-fspool-test-XXXXXX", path[256];
	const char *key = KEY("d");
	int rc;
	assert_non_null(mkdtemp(dir));
	/* a directory where the temporary file would go: open fails, even for root */
	snprintf(path, sizeof(path), "%s/.tmp-%s-%ld", dir, key, (long)getpid());
	assert_int_equal(mkdir(path, 0700), 0);
	struct fetcher_spool *s = fetcher_spool_new(dir);
	assert_non_null(s);
	assert_int_equal(fetcher_spool_stage(s, key, "http://x.invalid/d", 2, "{}", "the body", 8),
			 0);
	struct fetcher_spooled *b = NULL;
	for (int tries = 0; b == NULL && tries < 100; tries++) {
		struct pollfd p = {fetcher_spool_fd(s), POLLIN, 0};
		poll(&p, 1, 100);
		b = fetcher_spool_next(s);
	}
	assert_non_null(b);
	assert_true(b->failed);
	assert_int_equal(b->attempts, 2);
	assert_int_equal(b->len, 8);
	assert_non_null(b->data);
	assert_memory_equal(b->data, "the body", 8);
	fetcher_spool_spooled_free(&b);
	fetcher_spool_free(&s);
	snprintf(path, sizeof(path), "%s/%s", dir, key);
	struct stat st;
	assert_int_not_equal(stat(path, &st), 0); /* no spool file under its final name */
	free(testutil_run(&rc, "rm -rf %s", dir));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_bodies_are_committed_then_handed_back),
	    cmocka_unit_test(test_bodies_are_durable_before_handed_back),
	    cmocka_unit_test(test_many_groups_each_body_once),
	    cmocka_unit_test(test_free_midway_leaves_nothing_half_done),
	    cmocka_unit_test(test_unwritable_body_comes_back_with_its_bytes),
	};
	return cmocka_run_group_tests_name("fetcher spool", tests, NULL, NULL);
}
