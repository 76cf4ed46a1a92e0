/*
 * install_test.c - an installed copy works outside the build tree, with the
 * paths of its PREFIX and no other: `make install PREFIX=… DESTDIR=…` for
 * /usr (config in /etc, the GNU/Debian convention) and for /usr/local leaves
 * no path of the other prefix in any installed file, the binary included; the
 * installed binary with no -c reads SYSCONFDIR/reportpipe/reportpipe.conf and
 * ingests the installed sample report with it, or exits 78 naming that path
 * when it is missing (never falling back to a local cluster); `make
 * uninstall` leaves no file behind.
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
#include <unistd.h>

static char tmpdir[] = "/tmp/rp-install.XXXXXX";
static char conninfo[512];

/* One install layout: what the Makefile must make of PREFIX. */
struct layout {
	const char *prefix;
	const char *bindir, *datadir, *sysconfdir, *unitdir;
	const char *foreign; /* a path that must appear in no installed file */
};

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

/* Fail unless path (under root) is a regular file. */
static void
expect_file(const char *root, const char *dir, const char *name)
{
	char path[PATH_MAX];
	struct stat st;
	snprintf(path, sizeof(path), "%s%s/%s", root, dir, name);
	if (stat(path, &st) != 0 || !S_ISREG(st.st_mode))
		fail_msg("make install did not install %s", path);
}

/* Fail unless the installed file root+dir/name holds needle. */
static void
expect_text(const char *root, const char *dir, const char *name, const char *needle)
{
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s%s/%s", root, dir, name);
	char *text = testutil_read_file(path, NULL);
	if (text == NULL || strstr(text, needle) == NULL)
		fail_msg("%s does not say '%s'", path, needle);
	free(text);
}

static void
install_and_run(const struct layout *l, const char *name)
{
	char root[256], etc[512], bin[PATH_MAX], conf[PATH_MAX], example[PATH_MAX];
	int rc;

	snprintf(root, sizeof(root), "%s/%s", tmpdir, name);
	char *out = testutil_run(&rc, "make -s --no-print-directory install PREFIX=%s DESTDIR=%s",
				 l->prefix, root);
	if (rc != 0)
		fail_msg("make install PREFIX=%s failed:\n%s", l->prefix, out);
	free(out);

	expect_file(root, l->bindir, "reportpipe");
	expect_file(root, l->sysconfdir, "reportpipe/reportpipe.conf.example");
	expect_file(root, l->datadir, "examples/reports/shaoguan-2020-fazhi.txt");
	/* the units start this install's binary on this install's config */
	char want[PATH_MAX];
	snprintf(want, sizeof(want), "ExecStart=%s/reportpipe run", l->bindir);
	expect_text(root, l->unitdir, "reportpipe.service", want);
	snprintf(want, sizeof(want), "REPORTPIPE_CONFIG=%s/reportpipe/reportpipe.conf",
		 l->sysconfdir);
	expect_text(root, l->unitdir, "reportpipe.service", want);
	expect_text(root, l->unitdir, "reportpipe-sink.service", want);
	snprintf(want, sizeof(want), "REPORTPIPE_CONFIG=%s/reportpipe/%%i.conf", l->sysconfdir);
	expect_text(root, l->unitdir, "reportpipe-parser@.service", want);

	/* no file, the binary included, names the other prefix's paths */
	out = testutil_run(&rc, "grep -rl -- '%s' %s", l->foreign, root);
	if (rc != 1)
		fail_msg("PREFIX=%s: '%s' is in installed files:\n%s", l->prefix, l->foreign, out);
	free(out);

	snprintf(bin, sizeof(bin), "%s%s/reportpipe", root, l->bindir);
	/* no -c and no config there: 78, naming the path, and no local cluster */
	snprintf(want, sizeof(want), "%s/reportpipe/reportpipe.conf", l->sysconfdir);
	if (access(want, F_OK) == 0) {
		print_message("skipped: this host has %s, so its absence cannot be tried\n", want);
	} else {
		out = testutil_run(&rc,
				   "cd %s && env -u REPORTPIPE_CONFIG -u REPORTPIPE_SYSCONFDIR"
				   " %s run 2>&1",
				   tmpdir, bin);
		if (rc != 78 || strstr(out, want) == NULL || strstr(out, "cluster") != NULL)
			fail_msg("PREFIX=%s, no config: exit %d (want 78 naming %s):\n%s",
				 l->prefix, rc, want, out);
		free(out);
	}

	/* the installed example, pointed at the test database, a private state dir
	 * and the installed sample, is the config the staged binary reads by default */
	snprintf(example, sizeof(example), "%s%s/reportpipe/reportpipe.conf.example", root,
		 l->sysconfdir);
	snprintf(etc, sizeof(etc), "%s%s", root, l->sysconfdir);
	snprintf(conf, sizeof(conf), "%s/reportpipe/reportpipe.conf", etc);
	out = testutil_run(&rc,
			   "sed -e 's|^conninfo =.*|conninfo = %s|'"
			   " -e 's|^state_dir =.*|state_dir = %s/state-%s|'"
			   " -e 's|^url = file://%s/|url = file://%s%s/|'"
			   " %s > %s",
			   conninfo, tmpdir, name, l->datadir, root, l->datadir, example, conf);
	assert_int_equal(rc, 0);
	free(out);
	char *text = testutil_read_file(conf, NULL);
	assert_non_null(strstr(text, "conninfo = host="));
	snprintf(want, sizeof(want), "url = file://%s%s/examples/reports/", root, l->datadir);
	if (strstr(text, want) == NULL)
		fail_msg("the installed example has no source under %s:\n%s", l->datadir, text);
	free(text);

	out = testutil_run(
	    &rc, "cd / && env -u REPORTPIPE_CONFIG REPORTPIPE_SYSCONFDIR=%s %s run 2>&1", etc, bin);
	if (rc != 0 || strstr(out, "stored 1") == NULL)
		fail_msg("PREFIX=%s: the installed binary with no -c exited %d:\n%s", l->prefix, rc,
			 out);
	free(out);
	out = testutil_run(&rc,
			   "cd / && env -u REPORTPIPE_CONFIG REPORTPIPE_SYSCONFDIR=%s %s db status",
			   etc, bin);
	if (rc != 0)
		fail_msg("PREFIX=%s: db status with no -c exited %d:\n%s", l->prefix, rc, out);
	free(out);

	/* the config is the operator's: uninstall leaves it, so it goes first */
	assert_int_equal(unlink(conf), 0);
	out = testutil_run(&rc, "make -s --no-print-directory uninstall PREFIX=%s DESTDIR=%s",
			   l->prefix, root);
	assert_int_equal(rc, 0);
	free(out);
	out = testutil_run(&rc, "find %s -type f", root);
	if (out[0] != '\0')
		fail_msg("make uninstall PREFIX=%s left files behind:\n%s", l->prefix, out);
	free(out);
}

static void
test_install_prefix_usr(void **state)
{
	(void)state;
	static const struct layout l = {
	    .prefix = "/usr",
	    .bindir = "/usr/bin",
	    .datadir = "/usr/share/reportpipe",
	    .sysconfdir = "/etc",
	    .unitdir = "/usr/lib/systemd/system",
	    .foreign = "/usr/local",
	};
	install_and_run(&l, "usr");
}

static void
test_install_prefix_usr_local(void **state)
{
	(void)state;
	static const struct layout l = {
	    .prefix = "/usr/local",
	    .bindir = "/usr/local/bin",
	    .datadir = "/usr/local/share/reportpipe",
	    .sysconfdir = "/usr/local/etc",
	    .unitdir = "/usr/local/lib/systemd/system",
	    .foreign = "/usr/etc",
	};
	install_and_run(&l, "usr-local");
}

int
main(void)
{
	/* /usr/local last: the checkout's build/reportpipe ends with the default paths */
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_install_prefix_usr),
	    cmocka_unit_test(test_install_prefix_usr_local),
	};
	return cmocka_run_group_tests_name("install", tests, setup, teardown);
}
