/*
 * fetcher_spool_test.c - the fetcher's group commit into the spool: bodies
 * come back only once committed, in spool.h's format (spool_load reads
 * them), mode 0600, with no temporary file left behind.
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
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

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

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_bodies_are_committed_then_handed_back),
	};
	return cmocka_run_group_tests_name("fetcher spool", tests, NULL, NULL);
}
