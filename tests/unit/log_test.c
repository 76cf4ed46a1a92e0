/*
 * log_test.c - the lines log.c writes: a message that ends in a newline (as
 * every libpq error message does) ends the line without a literal "\n";
 * a failure that is not the server's has no empty "(SQLSTATE )"; the run
 * name set once is on every line and can be read back.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "log.h"
#include "sink_db.h"
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The lines logged while fn ran, read back from stderr redirected to a file. */
static char *
captured(void (*fn)(void))
{
	char path[] = "/tmp/rp-log-test.XXXXXX";
	int fd = mkstemp(path), saved = dup(STDERR_FILENO);
	assert_true(fd >= 0 && saved >= 0);
	dup2(fd, STDERR_FILENO);
	fn();
	dup2(saved, STDERR_FILENO);
	close(saved);
	close(fd);
	char *text = testutil_read_file(path, NULL);
	unlink(path);
	assert_non_null(text);
	return text;
}

static void
log_libpq_message(void)
{
	log_warnx("recording the run failed: %s", "connection pointer is NULL\n");
	log_warnx("%s", "ERROR:  relation \"x\" does not exist\nLINE 1: SELECT\n\n");
}

static void
test_trailing_newline_is_trimmed(void **state)
{
	(void)state;
	log_init("sink", 0);
	log_set_run(NULL);
	char *out = captured(log_libpq_message);
	assert_non_null(
	    strstr(out, "msg=\"recording the run failed: connection pointer is NULL\"\n"));
	/* a newline inside a message stays escaped, one at its end goes */
	assert_non_null(
	    strstr(out, "msg=\"ERROR:  relation \\\"x\\\" does not exist\\nLINE 1: SELECT\"\n"));
	free(out);
}

static void
log_no_connection(void)
{
	/* what the sink logged when it recorded a run after its connection was gone */
	assert_int_equal(sink_db_command(NULL, "recording the run", "SELECT 1", 0, NULL), -1);
}

static void
test_no_sqlstate_no_sqlstate_part(void **state)
{
	(void)state;
	log_init("sink", 0);
	char *out = captured(log_no_connection);
	assert_non_null(
	    strstr(out, "msg=\"recording the run failed: connection pointer is NULL\"\n"));
	free(out);
}

static void
log_one(void)
{
	log_info("hello");
}

static void
test_run_name_on_every_line(void **state)
{
	(void)state;
	log_init("run", 0);
	log_set_run("20261207T045415Z-16128");
	assert_string_equal(log_get_run(), "20261207T045415Z-16128");
	char *out = captured(log_one);
	assert_non_null(strstr(out, " stage=run run=20261207T045415Z-16128 msg=\"hello\"\n"));
	free(out);
	log_set_run(NULL);
	assert_string_equal(log_get_run(), "");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_trailing_newline_is_trimmed),
	    cmocka_unit_test(test_no_sqlstate_no_sqlstate_part),
	    cmocka_unit_test(test_run_name_on_every_line),
	};
	return cmocka_run_group_tests_name("log", tests, NULL, NULL);
}
