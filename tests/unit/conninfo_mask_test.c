/*
 * conninfo_mask_test.c - passwords in libpq connection strings never reach
 * a log line: keyword/value and URI forms, quoted and escaped values, query
 * parameters; everything but the password comes back as it was written.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "conninfo_mask.h"

#include <stdlib.h>
#include <string.h>

static void
expect_masked(const char *conninfo, const char *want)
{
	char *got = conninfo_masked(conninfo);
	assert_non_null(got);
	assert_string_equal(got, want);
	free(got);
}

static void
test_null_and_empty(void **state)
{
	(void)state;
	assert_null(conninfo_masked(NULL));
	expect_masked("", "");
}

static void
test_no_password_is_unchanged(void **state)
{
	(void)state;
	expect_masked("host=db.example.org dbname=reports user=reportpipe",
		      "host=db.example.org dbname=reports user=reportpipe");
	expect_masked("host='/var/run/post gres' dbname=reportpipe user=reportpipe",
		      "host='/var/run/post gres' dbname=reportpipe user=reportpipe");
	expect_masked("postgresql://reportpipe@db.example.org:5432/reports?sslmode=require",
		      "postgresql://reportpipe@db.example.org:5432/reports?sslmode=require");
	expect_masked("postgresql:///reportpipe", "postgresql:///reportpipe");
	/* passfile names a file, not a secret */
	expect_masked("host=db passfile=/etc/reportpipe/pgpass",
		      "host=db passfile=/etc/reportpipe/pgpass");
}

static void
test_keyword_value(void **state)
{
	(void)state;
	expect_masked("host=db.example.org password=secret dbname=reports",
		      "host=db.example.org password=**** dbname=reports");
	expect_masked("password=secret", "password=****");
	expect_masked("host=db password = secret user=rp", "host=db password = **** user=rp");
	expect_masked("host=db password='se cret' user=rp", "host=db password='****' user=rp");
	expect_masked("host=db password='it\\'s a secret' user=rp",
		      "host=db password='****' user=rp");
	expect_masked("host=db password=se\\ cret user=rp", "host=db password=**** user=rp");
	expect_masked("  password=a\tpassword=b  ", "  password=****\tpassword=****  ");
	expect_masked("host=db sslpassword=keypass", "host=db sslpassword=****");
	/* as libpq reads it: the value after "= " is the next word */
	expect_masked("password= host=db", "password= ****");
	/* unterminated quote (libpq refuses it): still nothing shown */
	expect_masked("host=db password='se cret", "host=db password='****");
	/* libpq refuses upper case keywords, but a log must not show them either */
	expect_masked("host=db PASSWORD=secret", "host=db PASSWORD=****");
}

static void
test_uri(void **state)
{
	(void)state;
	expect_masked("postgresql://rp:secret@db.example.org/reports",
		      "postgresql://rp:****@db.example.org/reports");
	expect_masked("postgres://rp:secret@db.example.org:5432/reports",
		      "postgres://rp:****@db.example.org:5432/reports");
	expect_masked("postgresql://rp:s%40cr%3At@db1,db2:5433/reports?target_session_attrs=any",
		      "postgresql://rp:****@db1,db2:5433/reports?target_session_attrs=any");
	expect_masked("postgresql://rp:@db/reports", "postgresql://rp:****@db/reports");
	expect_masked("postgresql://db.example.org/reports?user=rp&password=secret&sslmode=require",
		      "postgresql://db.example.org/reports?user=rp&password=****&sslmode=require");
	expect_masked("postgresql:///reports?password=secret",
		      "postgresql:///reports?password=****");
	expect_masked("postgresql://db/reports?pass%77ord=secret",
		      "postgresql://db/reports?pass%77ord=****");
	expect_masked("postgresql://rp:one@db/reports?password=two&sslpassword=three",
		      "postgresql://rp:****@db/reports?password=****&sslpassword=****");
	/* a ':' after the host is the port, not a password */
	expect_masked("postgresql://db.example.org:5432/reports",
		      "postgresql://db.example.org:5432/reports");
}

/* Whatever libpq reads as the password is gone from the result. */
static void
test_secret_never_survives(void **state)
{
	(void)state;
	const char *cases[] = {
	    "password=Xy7secret host=db",     "host=db password = 'Xy7 secret' dbname=x",
	    "postgresql://u:Xy7secret@h/db",  "postgres://h/db?password=Xy7secret",
	    "postgresql://u:Xy7s?ecret@h/db",
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *got = conninfo_masked(cases[i]);
		assert_non_null(got);
		if (strstr(got, "Xy7") != NULL)
			fail_msg("'%s' came back as '%s'", cases[i], got);
		free(got);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_null_and_empty),
	    cmocka_unit_test(test_no_password_is_unchanged),
	    cmocka_unit_test(test_keyword_value),
	    cmocka_unit_test(test_uri),
	    cmocka_unit_test(test_secret_never_survives),
	};
	return cmocka_run_group_tests_name("conninfo_mask", tests, NULL, NULL);
}
