/*
 * install_test.c - an installed copy works outside the build tree:
 * `make install DESTDIR=…`, then the installed binary, with the installed
 * example config adapted to a throwaway PostgreSQL, ingests the installed
 * sample report; `make uninstall` leaves no file behind.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "testutil.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static char tmpdir[] = "/tmp/rp-install.XXXXXX";
static char conninfo[512];

static int
setup(void **state)
{
	(void)state;
	if (mkdtemp(tmpdir) == NULL)
		return -1;
	if (testutil_pg_start(tmpdir, conninfo, sizeof(conninfo)) < 0)
		return -1;
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	testutil_pg_stop(tmpdir);
	return 0;
}

static void
test_installed_binary_runs_the_example_config(void **state)
{
	(void)state;
	int rc;
	char *out = testutil_run(&rc, "make -s --no-print-directory install DESTDIR=%s/root", tmpdir);
	if (rc != 0)
		fail_msg("make install failed:\n%s", out);
	free(out);

	char example[PATH_MAX], conf[PATH_MAX];
	snprintf(example, sizeof(example), "%s/root/usr/local/etc/reportpipe/reportpipe.conf.example",
		 tmpdir);
	snprintf(conf, sizeof(conf), "%s/reportpipe.conf", tmpdir);
	/* the example, pointed at the test database, a private state dir and the installed sample */
	out = testutil_run(&rc,
			   "sed -e 's|^conninfo =.*|conninfo = %s|'"
			   " -e 's|^state_dir =.*|state_dir = %s/state|'"
			   " -e 's|^url = file:///usr/local/|url = file://%s/root/usr/local/|'"
			   " %s > %s",
			   conninfo, tmpdir, tmpdir, example, conf);
	assert_int_equal(rc, 0);
	free(out);
	char *text = testutil_read_file(conf, NULL);
	assert_non_null(strstr(text, "conninfo = host="));
	free(text);

	out = testutil_run(&rc, "cd / && %s/root/usr/local/bin/reportpipe run -c %s", tmpdir, conf);
	if (rc != 0)
		fail_msg("the installed binary exited %d:\n%s", rc, out);
	assert_non_null(strstr(out, "stored 1"));
	free(out);

	out = testutil_run(&rc, "%s/root/usr/local/bin/reportpipe db status -c %s", tmpdir, conf);
	assert_int_equal(rc, 0);
	free(out);

	out = testutil_run(&rc, "make -s --no-print-directory uninstall DESTDIR=%s/root", tmpdir);
	assert_int_equal(rc, 0);
	free(out);
	out = testutil_run(&rc, "find %s/root -type f", tmpdir);
	if (out[0] != '\0')
		fail_msg("make uninstall left files behind:\n%s", out);
	free(out);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_installed_binary_runs_the_example_config),
	};
	return cmocka_run_group_tests_name("install", tests, setup, teardown);
}
