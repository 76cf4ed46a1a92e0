/*
 * config_test.c - the INI loader: defaults, every key, refusals naming
 * FILE:LINE on stderr, URL checks, sizes, workers=auto, REPORTPIPE_CONFIG.
 *
 * Config files are written into a mkdtemp directory; stderr is captured by
 * pointing fd 2 at a temporary file for the length of one config_load().
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "config.h"
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char tmpdir[64];
static char cfgpath[128];
static char errpath[128];

static int
group_setup(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/rp-config-test-XXXXXX");
	if (mkdtemp(tmpdir) == NULL)
		return -1;
	snprintf(cfgpath, sizeof(cfgpath), "%s/test.conf", tmpdir);
	snprintf(errpath, sizeof(errpath), "%s/stderr.txt", tmpdir);
	return 0;
}

static int
group_teardown(void **state)
{
	(void)state;
	unlink(cfgpath);
	unlink(errpath);
	rmdir(tmpdir);
	return 0;
}

/* config_load(path) with stderr captured into *err (caller frees). */
static struct config *
load_captured(const char *path, char **err)
{
	fflush(stderr);
	int saved = dup(STDERR_FILENO);
	FILE *fp = fopen(errpath, "w");
	assert_true(saved >= 0 && fp != NULL);
	dup2(fileno(fp), STDERR_FILENO);
	struct config *cfg = config_load(path);
	fflush(stderr);
	dup2(saved, STDERR_FILENO);
	close(saved);
	fclose(fp);
	*err = testutil_read_file(errpath, NULL);
	assert_non_null(*err);
	return cfg;
}

/* Load text as a config file; *err gets what was printed on stderr. */
static struct config *
load_text(const char *text, char **err)
{
	assert_int_equal(testutil_write_file(cfgpath, text, strlen(text)), 0);
	return load_captured(cfgpath, err);
}

/* text must be refused, and stderr must contain "<cfgpath>:<line>: " and needle. */
static void
expect_refused(const char *text, int line, const char *needle)
{
	char *err = NULL;
	char where[160];
	struct config *cfg = load_text(text, &err);
	if (cfg != NULL) {
		config_free(&cfg);
		free(err);
		fail_msg("accepted a config that must be refused:\n%s", text);
	}
	snprintf(where, sizeof(where), "%s:%d: ", cfgpath, line);
	if (strstr(err, where) == NULL || strstr(err, needle) == NULL) {
		print_error("stderr was: %s\n", err);
		free(err);
		fail_msg("expected '%s' and '%s' on stderr", where, needle);
	}
	free(err);
}

static struct config *
expect_loaded(const char *text)
{
	char *err = NULL;
	struct config *cfg = load_text(text, &err);
	if (cfg == NULL || *err) {
		print_error("stderr was: %s\n", err);
		free(err);
		config_free(&cfg);
		fail_msg("refused a good config, or complained about it");
	}
	free(err);
	return cfg;
}

static void
test_builtin_default(void **state)
{
	(void)state;
	struct config *cfg = config_load(NULL);
	const char *tail = "/reports/shaoguan-2020-fazhi.txt";

	assert_non_null(cfg);
	assert_string_equal(cfg->path, CONFIG_BUILTIN);
	assert_string_equal(cfg->conninfo, "");
	assert_int_equal(cfg->workers, 1);
	assert_string_equal(cfg->state_dir, "var");
	assert_string_equal(cfg->spool_dir, "var/spool");
	assert_int_equal(cfg->lease_ms, 300000);
	assert_int_equal(cfg->max_attempts, 3);
	assert_int_equal(cfg->per_host_concurrency, 2);
	assert_int_equal(cfg->per_host_delay_ms, 1000);
	assert_int_equal(cfg->max_bytes, 64 * 1024 * 1024);
	assert_int_equal(cfg->connect_timeout_ms, 10000);
	assert_int_equal(cfg->timeout_ms, 300000);
	assert_null(cfg->ca_file);
	assert_int_equal(strncmp(cfg->user_agent, "reportpipe/", 11), 0);
	assert_int_equal(cfg->nsources, 1);
	assert_string_equal(cfg->sources[0].name, "shaoguan-2020-fazhi");
	assert_int_equal(strncmp(cfg->sources[0].url, "file:///", 8), 0);
	size_t n = strlen(cfg->sources[0].url);
	assert_true(n > strlen(tail));
	assert_string_equal(cfg->sources[0].url + n - strlen(tail), tail);
	assert_null(strstr(cfg->sources[0].url, "@EXAMPLES@"));
	config_free(&cfg);
	assert_null(cfg);
	config_free(&cfg); /* twice is harmless */
}

static void
test_example_file_loads(void **state)
{
	(void)state;
	struct config *cfg = config_load("config/reportpipe.conf.example");

	assert_non_null(cfg);
	assert_string_equal(cfg->path, "config/reportpipe.conf.example");
	assert_int_equal(cfg->workers, 1);
	assert_int_equal(cfg->max_bytes, 64 * 1024 * 1024);
	assert_int_equal(cfg->nsources, 1);
	assert_string_equal(
	    cfg->sources[0].url,
	    "file:///usr/local/share/reportpipe/examples/reports/shaoguan-2020-fazhi.txt");
	config_free(&cfg);
}

static void
test_every_key(void **state)
{
	(void)state;
	struct config *cfg = expect_loaded(
	    "; a comment\n[database]\nconninfo = host=db1 dbname=rp\n"
	    "[pipeline]\nworkers = 8\nstate_dir = /srv/rp\nlease_ms = 1000\nmax_attempts = 5\n"
	    "[fetch]\nuser_agent = probe/1.0\nper_host_concurrency = 4\nper_host_delay_ms = 0\n"
	    "max_bytes = 10MB\nconnect_timeout_ms = 500\ntimeout_ms = 60000\n"
	    "ca_file = /etc/ssl/ca.pem\n"
	    "[source \"a\"]\nurl = https://www.sg.gov.cn/zw/a.html\n"
	    "[source \"b\"]\nurl = http://example.org/b.txt?x=1\n");

	assert_string_equal(cfg->path, cfgpath);
	assert_string_equal(cfg->conninfo, "host=db1 dbname=rp");
	assert_int_equal(cfg->workers, 8);
	assert_string_equal(cfg->state_dir, "/srv/rp");
	assert_string_equal(cfg->spool_dir, "/srv/rp/spool"); /* follows state_dir */
	assert_int_equal(cfg->lease_ms, 1000);
	assert_int_equal(cfg->max_attempts, 5);
	assert_string_equal(cfg->user_agent, "probe/1.0");
	assert_int_equal(cfg->per_host_concurrency, 4);
	assert_int_equal(cfg->per_host_delay_ms, 0);
	assert_int_equal(cfg->max_bytes, 10000000);
	assert_int_equal(cfg->connect_timeout_ms, 500);
	assert_int_equal(cfg->timeout_ms, 60000);
	assert_string_equal(cfg->ca_file, "/etc/ssl/ca.pem");
	assert_int_equal(cfg->nsources, 2);
	assert_string_equal(cfg->sources[0].name, "a");
	assert_string_equal(cfg->sources[0].url, "https://www.sg.gov.cn/zw/a.html");
	assert_string_equal(cfg->sources[1].name, "b");
	assert_string_equal(cfg->sources[1].url, "http://example.org/b.txt?x=1");
	config_free(&cfg);

	cfg = expect_loaded("[pipeline]\nspool_dir = /var/spool/rp\n");
	assert_string_equal(cfg->spool_dir, "/var/spool/rp");
	assert_int_equal(cfg->nsources, 0);
	config_free(&cfg);
}

static void
test_unknown_key_names_file_and_line(void **state)
{
	(void)state;
	expect_refused("[pipeline]\n"
		       "\n"
		       "; workers below\n"
		       "wrokers = 2\n",
		       4, "unknown key 'wrokers' in [pipeline]");
	expect_refused("[fetch]\nuser_agent = x\n[database]\nconninfo =\npassword = secret\n", 5,
		       "unknown key 'password' in [database]");
	expect_refused("[source \"s\"]\nurl = http://example.org/\nindx = http://example.org/\n",
		       3, "unknown key 'indx' in [source \"s\"]");
	/* a source is a report or an index, not both; an index needs its pattern */
	expect_refused("[source \"s\"]\nurl = http://example.org/\nindex = http://example.org/\n",
		       1, "has both 'url' and 'index'");
	expect_refused("[source \"s\"]\nindex = http://example.org/\n", 1,
		       "is an index without a 'link_pattern'");
	expect_refused("[source \"s\"]\nindex = http://example.org/\nlink_pattern = (报告\n", 3,
		       "bad pattern");
	expect_refused("[databse]\nconninfo = x\n", 2, "unknown section [databse]");
	/* the first error is the one reported */
	expect_refused("[pipeline]\nworkers = 1\nfoo = 1\nbar = 2\n", 3, "unknown key 'foo'");
}

static void
test_syntax_error_and_missing_file(void **state)
{
	(void)state;
	expect_refused("[pipeline]\nworkers = 1\njust some words\n", 3, "syntax error");

	/* a missing file is refused with its name and the reason */
	char *err = NULL;
	struct config *cfg = load_captured("/nonexistent/reportpipe.conf", &err);
	assert_null(cfg);
	assert_non_null(strstr(err, "/nonexistent/reportpipe.conf: cannot open config"));
	free(err);
}

/*
 * Regression (config.c, config_load, fixed): when inih finds a syntax error, a later
 * handler error replaces it, so the message names the wrong line and a
 * confusing cause. Input "[pipeline\nworkers = 1\n" (missing "]" on line 1)
 * prints "FILE:2: unknown section [] (key 'workers')" instead of pointing at
 * line 1: config_load prefers ctx.err over inih's earlier error line (rc).
 */
static void
test_first_error_wins_over_later_key_error(void **state)
{
	(void)state;
	expect_refused("[pipeline\nworkers = 1\n", 1, "syntax error");
}

static void
test_bad_values_refused(void **state)
{
	(void)state;
	static const char *const cases[][2] = {
	    {"[pipeline]\nworkers = 0\n", "'workers'"},
	    {"[pipeline]\nworkers = 257\n", "'workers'"},
	    {"[pipeline]\nworkers = 4x\n", "'workers'"},
	    {"[pipeline]\nworkers = many\n", "'workers'"},
	    {"[pipeline]\nlease_ms = 99\n", "'lease_ms'"},
	    {"[pipeline]\nmax_attempts = 0\n", "'max_attempts'"},
	    {"[pipeline]\nstate_dir =\n", "'state_dir' is empty"},
	    {"[fetch]\nuser_agent =\n", "'user_agent' is empty"},
	    {"[fetch]\nper_host_concurrency = 65\n", "'per_host_concurrency'"},
	    {"[fetch]\nper_host_delay_ms = -1\n", "'per_host_delay_ms'"},
	    {"[fetch]\nmax_bytes = 64 MiBs\n", "'max_bytes'"},
	    {"[fetch]\nmax_bytes = 0\n", "'max_bytes'"},
	    {"[fetch]\ntimeout_ms = 1e3\n", "'timeout_ms'"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		expect_refused(cases[i][0], 2, cases[i][1]); /* the value is on line 2 */
}

static void
test_url_checks(void **state)
{
	(void)state;
	expect_refused("[source \"f\"]\nurl = ftp://example.org/report.txt\n", 2,
		       "scheme 'ftp'; only http, https and file are fetched");
	expect_refused("[source \"m\"]\nurl = not a url\n", 2, "malformed url 'not a url'");
	expect_refused("[source \"h\"]\nurl = https://\n", 2, "malformed url 'https://'");
	expect_refused("[source \"e\"]\nurl =\n", 2, "malformed url");
	expect_refused("[source \"d\"]\nurl = http://a.example/\nurl = http://b.example/\n", 3,
		       "key 'url' given twice");
	expect_refused("[source noquotes]\nurl = http://a.example/\n", 2, "bad section");
	expect_refused("[source \"\"]\nurl = http://a.example/\n", 2, "bad section");

	struct config *cfg = expect_loaded("[source \"ok\"]\nurl = FILE:///tmp/x.txt\n");
	assert_int_equal(cfg->nsources, 1);
	config_free(&cfg);
}

/*
 * Regression (config.c, fixed): a [source "name"] section with no keys is silently
 * dropped instead of being refused with "has no 'url'". inih (built with
 * INI_CALL_HANDLER_ON_NEW_SECTION=0, the default) never calls the handler
 * for a bare section header, so the source is never created and
 * config_validate() has nothing to check. Input:
 *     [source "forgotten"]
 *     [pipeline]
 *     workers = 2
 * loads with nsources == 0 and no message.
 */
static void
test_source_without_url_refused(void **state)
{
	(void)state;
	expect_refused("[source \"forgotten\"]\n"
		       "[pipeline]\n"
		       "workers = 2\n",
		       1, "source \"forgotten\" has neither 'url' nor 'index'");
}

/*
 * Regression (config.c, fixed): a source URL that makes its line longer than 199 bytes is
 * refused with a syntax error on a line that does not exist. libinih reads
 * at most INI_MAX_LINE (200) bytes per line and is built without
 * INI_ALLOW_REALLOC, so it parses the first chunk as "url = <truncated>" and
 * the rest as a line of its own. Input (4 lines): [source "long"] with
 * "url = https://www.example.gov.cn/" + 230 letters + ".html"; stderr says
 * "FILE:5: syntax error". Long query-string URLs are common on gov sites.
 */
static void
test_long_url_accepted(void **state)
{
	(void)state;
	char text[512], url[300];
	int n = snprintf(url, sizeof(url), "https://www.example.gov.cn/");

	for (int i = 0; i < 230; i++)
		url[n++] = (char)('a' + i % 26);
	snprintf(url + n, sizeof(url) - (size_t)n, ".html");
	snprintf(text, sizeof(text), "[pipeline]\nworkers = 2\n[source \"long\"]\nurl = %s\n", url);

	struct config *cfg = expect_loaded(text);
	assert_int_equal(cfg->nsources, 1);
	assert_string_equal(cfg->sources[0].url, url);
	config_free(&cfg);
}

static void
test_parse_size(void **state)
{
	(void)state;
	static const struct {
		const char *text;
		size_t bytes;
	} good[] = {
	    {"1048576", 1048576}, {"64MiB", 64u << 20},	  {"64mib", 64u << 20},	 {"64M", 64u << 20},
	    {"10MB", 10000000},	  {"512k", 512 << 10},	  {"512KiB", 512 << 10}, {"2kb", 2000},
	    {"1.5KiB", 1536},	  {"2 GiB", 2147483648u}, {"1GB", 1000000000},	 {"100B", 100},
	};
	static const char *const bad[] = {"",  "MiB", "abc",	 "10XB", "-5",
					  "0", "0.5", "64 MiBs", "inf",	 "1e30GiB"};
	size_t v;

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		v = 0;
		if (config_parse_size(good[i].text, &v) != 0)
			fail_msg("'%s' refused", good[i].text);
		assert_int_equal(v, good[i].bytes);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		v = 12345;
		if (config_parse_size(bad[i], &v) != -1)
			fail_msg("'%s' accepted as %zu bytes", bad[i], v);
		assert_int_equal(v, 12345);
	}
}

/*
 * Regression (config.c, config_parse_size, fixed): "nan" is accepted. strtod() parses it,
 * and every range check (v < 0, v < 1, v > SIZE_MAX / 2) is false for NaN,
 * so the function returns 0 and stores (size_t)NaN, which is undefined
 * behaviour. `max_bytes = nan` therefore loads without complaint.
 */
static void
test_parse_size_refuses_nan(void **state)
{
	(void)state;
	size_t v = 12345;

	assert_int_equal(config_parse_size("nan", &v), -1);
	assert_int_equal(v, 12345);
}

static void
test_workers_auto(void **state)
{
	(void)state;
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	int expect = n < 1 ? 1 : n > 64 ? 64 : (int)n;
	struct config *cfg = expect_loaded("[pipeline]\nworkers = auto\n");

	assert_int_equal(cfg->workers, expect);
	config_free(&cfg);
}

static void
test_choose_path(void **state)
{
	(void)state;
	unsetenv("REPORTPIPE_CONFIG");
	assert_null(config_choose_path(NULL));
	assert_string_equal(config_choose_path("/etc/a.conf"), "/etc/a.conf");

	setenv("REPORTPIPE_CONFIG", "", 1);
	assert_null(config_choose_path(NULL));

	setenv("REPORTPIPE_CONFIG", cfgpath, 1);
	assert_string_equal(config_choose_path(NULL), cfgpath);
	/* an explicit -c still wins over the environment */
	assert_string_equal(config_choose_path("/etc/a.conf"), "/etc/a.conf");

	/* and the chosen file is what gets loaded */
	assert_int_equal(testutil_write_file(cfgpath, "[pipeline]\nworkers = 3\n", 23), 0);
	struct config *cfg = config_load(config_choose_path(NULL));
	assert_non_null(cfg);
	assert_string_equal(cfg->path, cfgpath);
	assert_int_equal(cfg->workers, 3);
	config_free(&cfg);
	unsetenv("REPORTPIPE_CONFIG");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_builtin_default),
	    cmocka_unit_test(test_example_file_loads),
	    cmocka_unit_test(test_every_key),
	    cmocka_unit_test(test_unknown_key_names_file_and_line),
	    cmocka_unit_test(test_syntax_error_and_missing_file),
	    cmocka_unit_test(test_first_error_wins_over_later_key_error),
	    cmocka_unit_test(test_bad_values_refused),
	    cmocka_unit_test(test_url_checks),
	    cmocka_unit_test(test_source_without_url_refused),
	    cmocka_unit_test(test_long_url_accepted),
	    cmocka_unit_test(test_parse_size),
	    cmocka_unit_test(test_parse_size_refuses_nan),
	    cmocka_unit_test(test_workers_auto),
	    cmocka_unit_test(test_choose_path),
	};
	return cmocka_run_group_tests_name("config", tests, group_setup, group_teardown);
}
