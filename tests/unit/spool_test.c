/*
 * spool_test.c - the durable spool: 0600 files, write-then-rename, load
 * round trip, damaged files refused, idempotent removal.
 *
 * Spool files are named after the SHA-256 of the body (digest.h), so the
 * digest's known answers are checked here too. Every test works in its own
 * mkdtemp directory under /tmp and removes it afterwards.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "digest.h"
#include "spool.h"
#include "testutil.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define HDR "{\"url\":\"https://example.invalid/a.txt\",\"attempt\":1}"

struct fx {
	char dir[64];
	mode_t umask_saved;
};

static int
setup(void **state)
{
	struct fx *fx = calloc(1, sizeof(*fx));
	if (fx == NULL)
		return -1;
	snprintf(fx->dir, sizeof(fx->dir), "/tmp/rp-spool-test-XXXXXX");
	if (mkdtemp(fx->dir) == NULL) {
		free(fx);
		return -1;
	}
	/* a permissive umask: the 0600 mode must come from spool.c, not from us */
	fx->umask_saved = umask(0);
	*state = fx;
	return 0;
}

/* Remove dir and everything below it (the tests only make files and dirs). */
static void
rm_tree(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char path[512];

	if (d == NULL)
		return;
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		struct stat st;
		if (lstat(path, &st) == 0 && S_ISDIR(st.st_mode))
			rm_tree(path);
		else
			unlink(path);
	}
	closedir(d);
	rmdir(dir);
}

static int
teardown(void **state)
{
	struct fx *fx = *state;
	umask(fx->umask_saved);
	rm_tree(fx->dir);
	free(fx);
	return 0;
}

/* Number of entries in dir (without . and ..); *tmp counts names starting ".tmp-". */
static int
count_entries(const char *dir, int *tmp)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	*tmp = 0;
	assert_non_null(d);
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		n++;
		if (strncmp(e->d_name, ".tmp-", 5) == 0)
			(*tmp)++;
	}
	closedir(d);
	return n;
}

static void
test_digest_known_answers(void **state)
{
	(void)state;
	char hex[DIGEST_HEX_LEN + 1];

	digest_sha256_hex("", 0, hex);
	assert_string_equal(hex,
			    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	digest_sha256_hex("abc", 3, hex);
	assert_string_equal(hex,
			    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	assert_int_equal(strlen(hex), DIGEST_HEX_LEN);
	assert_int_equal(SPOOL_NAME_LEN, DIGEST_HEX_LEN);
}

static void
test_ensure_dir_nested_0700(void **state)
{
	struct fx *fx = *state;
	char path[256];
	struct stat st;

	snprintf(path, sizeof(path), "%s/a/b/c", fx->dir);
	assert_int_equal(spool_ensure_dir(path), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0700);
	snprintf(path, sizeof(path), "%s/a", fx->dir);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0700);
	/* already there: still fine */
	snprintf(path, sizeof(path), "%s/a/b/c", fx->dir);
	assert_int_equal(spool_ensure_dir(path), 0);
}

static void
test_ensure_dir_refuses_file_in_the_way(void **state)
{
	struct fx *fx = *state;
	char file[256], path[300];

	snprintf(file, sizeof(file), "%s/plain", fx->dir);
	assert_int_equal(testutil_write_file(file, "x", 1), 0);
	snprintf(path, sizeof(path), "%s/sub", file);
	assert_int_equal(spool_ensure_dir(path), -1);
}

static void
test_commit_mode_0600_and_no_tmp_left(void **state)
{
	struct fx *fx = *state;
	char name[DIGEST_HEX_LEN + 1], path[256];
	const char body[] = "韶关市人民政府关于2020年度法治政府建设工作的报告\n";
	struct stat st;
	int tmp;

	digest_sha256_hex(body, sizeof(body) - 1, name);
	assert_int_equal(spool_commit(fx->dir, name, HDR, body, sizeof(body) - 1), 0);
	snprintf(path, sizeof(path), "%s/%s", fx->dir, name);
	assert_int_equal(stat(path, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(count_entries(fx->dir, &tmp), 1);
	assert_int_equal(tmp, 0);

	/* the bytes on disk are exactly magic + header + LF + body */
	size_t len;
	char *raw = testutil_read_file(path, &len);
	assert_non_null(raw);
	assert_int_equal(len, strlen("RPSPOOL1\n" HDR "\n") + sizeof(body) - 1);
	assert_memory_equal(raw, "RPSPOOL1\n" HDR "\n", strlen("RPSPOOL1\n" HDR "\n"));
	free(raw);
}

static void
test_load_round_trip_binary_body(void **state)
{
	struct fx *fx = *state;
	unsigned char body[300];
	char *hdr = NULL;
	unsigned char *got = NULL;
	size_t got_len = 0;

	for (size_t i = 0; i < sizeof(body); i++)
		body[i] = (unsigned char)(i * 7); /* NULs and LFs included */
	assert_int_equal(spool_commit(fx->dir, "job1", HDR, body, sizeof(body)), 0);
	assert_int_equal(spool_load(fx->dir, "job1", &hdr, &got, &got_len), 0);
	assert_string_equal(hdr, HDR);
	assert_int_equal(got_len, sizeof(body));
	assert_memory_equal(got, body, sizeof(body));
	assert_int_equal(got[got_len], '\0');
	free(hdr);
	free(got);
}

static void
test_load_empty_body(void **state)
{
	struct fx *fx = *state;
	char *hdr = NULL;
	unsigned char *got = NULL;
	size_t got_len = 99;

	assert_int_equal(spool_commit(fx->dir, "empty", "{}", "", 0), 0);
	assert_int_equal(spool_load(fx->dir, "empty", &hdr, &got, &got_len), 0);
	assert_string_equal(hdr, "{}");
	assert_int_equal(got_len, 0);
	assert_non_null(got);
	assert_int_equal(got[0], '\0');
	free(hdr);
	free(got);
}

static void
test_commit_replaces_whole_file(void **state)
{
	struct fx *fx = *state;
	char *hdr = NULL;
	unsigned char *got = NULL;
	size_t got_len = 0;
	int tmp;

	assert_int_equal(spool_commit(fx->dir, "j", "{\"v\":1}", "a much longer first body", 23),
			 0);
	assert_int_equal(spool_commit(fx->dir, "j", "{\"v\":2}", "short", 5), 0);
	assert_int_equal(spool_load(fx->dir, "j", &hdr, &got, &got_len), 0);
	assert_string_equal(hdr, "{\"v\":2}");
	assert_int_equal(got_len, 5);
	assert_memory_equal(got, "short", 5);
	assert_int_equal(count_entries(fx->dir, &tmp), 1);
	assert_int_equal(tmp, 0);
	free(hdr);
	free(got);
}

static void
test_commit_refuses_newline_in_header(void **state)
{
	struct fx *fx = *state;
	int tmp;

	assert_int_equal(spool_commit(fx->dir, "bad", "{\n}", "x", 1), -1);
	assert_int_equal(count_entries(fx->dir, &tmp), 0);
}

static void
test_commit_into_missing_dir_fails(void **state)
{
	struct fx *fx = *state;
	char dir[256];

	snprintf(dir, sizeof(dir), "%s/not-there", fx->dir);
	assert_int_equal(spool_commit(dir, "x", "{}", "x", 1), -1);
}

static void
test_load_refuses_damaged(void **state)
{
	struct fx *fx = *state;
	static const struct {
		const char *name;
		const char *data;
		size_t len;
	} cases[] = {
	    {"empty", "", 0},
	    {"short", "RPSP", 4},
	    {"magic-only", "RPSPOOL1\n", 9},
	    {"no-header-end", "RPSPOOL1\n{\"url\":\"x\"}", 20},
	    {"other-magic", "RPSPOOL2\n{}\nbody", 16},
	    {"not-a-spool", "<html><body>hello</body></html>\n", 32},
	};
	char path[256];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *hdr = (char *)"untouched";
		unsigned char *body = (unsigned char *)"untouched";
		size_t len = 12345;
		snprintf(path, sizeof(path), "%s/%s", fx->dir, cases[i].name);
		assert_int_equal(testutil_write_file(path, cases[i].data, cases[i].len), 0);
		assert_int_equal(spool_load(fx->dir, cases[i].name, &hdr, &body, &len), -1);
		/* nothing was handed out */
		assert_string_equal(hdr, "untouched");
		assert_int_equal(len, 12345);
		/* and the damaged file is left for inspection */
		assert_int_equal(access(path, F_OK), 0);
	}
}

static void
test_load_missing_fails(void **state)
{
	struct fx *fx = *state;
	char *hdr = NULL;
	unsigned char *body = NULL;
	size_t len = 0;

	assert_int_equal(spool_load(fx->dir, "nope", &hdr, &body, &len), -1);
	assert_null(hdr);
	assert_null(body);
}

static void
test_remove_and_remove_missing(void **state)
{
	struct fx *fx = *state;
	char path[256];
	int tmp;

	assert_int_equal(spool_commit(fx->dir, "gone", "{}", "x", 1), 0);
	snprintf(path, sizeof(path), "%s/gone", fx->dir);
	assert_int_equal(access(path, F_OK), 0);
	assert_int_equal(spool_remove(fx->dir, "gone"), 0);
	assert_int_equal(access(path, F_OK), -1);
	assert_int_equal(count_entries(fx->dir, &tmp), 0);
	/* a second remove, and a name never spooled, are not errors */
	assert_int_equal(spool_remove(fx->dir, "gone"), 0);
	assert_int_equal(spool_remove(fx->dir, "never-there"), 0);
}

static void
test_remove_of_a_directory_fails(void **state)
{
	struct fx *fx = *state;
	char path[256];

	snprintf(path, sizeof(path), "%s/subdir", fx->dir);
	assert_int_equal(mkdir(path, 0700), 0);
	assert_int_equal(spool_remove(fx->dir, "subdir"), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_digest_known_answers),
	    cmocka_unit_test_setup_teardown(test_ensure_dir_nested_0700, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_ensure_dir_refuses_file_in_the_way, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_commit_mode_0600_and_no_tmp_left, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_load_round_trip_binary_body, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_load_empty_body, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_commit_replaces_whole_file, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_commit_refuses_newline_in_header, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_commit_into_missing_dir_fails, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_load_refuses_damaged, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_load_missing_fails, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_remove_and_remove_missing, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_remove_of_a_directory_fails, setup, teardown),
	};
	return cmocka_run_group_tests_name("spool", tests, NULL, NULL);
}
