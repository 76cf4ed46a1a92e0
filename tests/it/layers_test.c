/*
 * layers_test.c - the layers of tools/layers.txt hold: the tree keeps to
 * them, and an include across them (a stage header from common/, the parse
 * library reaching up into a stage) fails the build of a copy of the tree,
 * with tools/check-layers.sh saying which file, which line and which rule.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char tmpdir[] = "/tmp/rp-layers.XXXXXX";

static int
setup(void **state)
{
	(void)state;
	if (mkdtemp(tmpdir) == NULL)
		return -1;
	/* What a layer's build needs, and nothing built. */
	int rc;
	char *out =
	    testutil_run(&rc,
			 "tar cf - Makefile VERSION tools $(sed -n 's/^\\([a-z]*\\):.*/\\1/p' "
			 "tools/layers.txt) | tar xf - -C %s 2>&1",
			 tmpdir);
	free(out);
	return rc == 0 ? 0 : -1;
}

static int
teardown(void **state)
{
	(void)state;
	int rc;
	char *out = testutil_run(&rc, "rm -rf %s", tmpdir);
	free(out);
	return 0;
}

static void
test_tree_keeps_to_its_layers(void **state)
{
	(void)state;
	int rc;
	char *out = testutil_run(&rc, "sh tools/check-layers.sh . 2>&1");
	if (rc != 0)
		fail_msg("the tree breaks its layers:\n%s", out);
	free(out);
}

/*
 * Add `#include "HEADER"` at the top of FILE in the copy, build LIB there,
 * expect the build to fail and to say WHY; then take the include back.
 */
static void
expect_refused(const char *file, const char *header, const char *lib, const char *why)
{
	int rc;
	char *out = testutil_run(&rc, "cd %s && cp %s %s.orig && sed -i '1i #include \"%s\"' %s",
				 tmpdir, file, file, header, file);
	assert_int_equal(rc, 0);
	free(out);

	out = testutil_run(&rc, "make -C %s --no-print-directory build/lib/%s 2>&1", tmpdir, lib);
	if (rc == 0)
		fail_msg("%s builds with #include \"%s\":\n%s", file, header, out);
	if (strstr(out, why) == NULL)
		fail_msg("the failed build does not say '%s':\n%s", why, out);
	free(out);

	out = testutil_run(&rc, "sh tools/check-layers.sh %s 2>&1", tmpdir);
	if (rc != 1 || strstr(out, why) == NULL)
		fail_msg("check-layers (exit %d) does not say '%s':\n%s", rc, why, out);
	free(out);

	out = testutil_run(&rc, "cd %s && mv %s.orig %s", tmpdir, file, file);
	assert_int_equal(rc, 0);
	free(out);
}

static void
test_common_may_not_include_a_stage(void **state)
{
	(void)state;
	expect_refused("common/spool.c", "sink.h", "libcommon.a",
		       "common/spool.c:1: includes \"sink.h\" of sink/, but common/ may use only: "
		       "common");
}

static void
test_parse_library_may_not_include_its_stage(void **state)
{
	(void)state;
	expect_refused("parse/doc.c", "parser.h", "libparse.a",
		       "parse/doc.c:1: includes \"parser.h\" of parser/, but parse/ may use only: "
		       "common parse");
}

static void
test_stages_may_not_include_each_other(void **state)
{
	(void)state;
	expect_refused(
	    "fetcher/fetcher_retry.h", "sink_db.h", "libfetcher.a",
	    "fetcher/fetcher_retry.h:1: includes \"sink_db.h\" of sink/, but fetcher/ may "
	    "use only: common config net fetcher");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_tree_keeps_to_its_layers),
	    cmocka_unit_test(test_common_may_not_include_a_stage),
	    cmocka_unit_test(test_parse_library_may_not_include_its_stage),
	    cmocka_unit_test(test_stages_may_not_include_each_other),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
