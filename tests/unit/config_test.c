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
#include <sys/stat.h>
#include <unistd.h>

static char tmpdir[64];
static char cfgpath[128];
static char errpath[128];
static char capath[128]; /* an existing, readable file for ca_file */

static int
group_setup(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/rp-config-test-XXXXXX");
	if (mkdtemp(tmpdir) == NULL)
		return -1;
	snprintf(cfgpath, sizeof(cfgpath), "%s/test.conf", tmpdir);
	snprintf(errpath, sizeof(errpath), "%s/stderr.txt", tmpdir);
	snprintf(capath, sizeof(capath), "%s/ca.pem", tmpdir);
	return testutil_write_file(capath, "not checked\n", 12);
}

static int
group_teardown(void **state)
{
	(void)state;
	unlink(cfgpath);
	unlink(errpath);
	unlink(capath);
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

/* Load len bytes of text as a config file; *err gets what was printed on stderr. */
static struct config *
load_bytes(const char *text, size_t len, char **err)
{
	assert_int_equal(testutil_write_file(cfgpath, text, len), 0);
	return load_captured(cfgpath, err);
}

static struct config *
load_text(const char *text, char **err)
{
	return load_bytes(text, strlen(text), err);
}

/* len bytes must be refused, and stderr must contain "<cfgpath>:<line>: " and needle. */
static void
expect_refused_bytes(const char *text, size_t len, int line, const char *needle)
{
	char *err = NULL;
	char where[160];
	struct config *cfg = load_bytes(text, len, &err);
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

/* text must be refused, and stderr must contain "<cfgpath>:<line>: " and needle. */
static void
expect_refused(const char *text, int line, const char *needle)
{
	expect_refused_bytes(text, strlen(text), line, needle);
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
	char text[1024];
	snprintf(
	    text, sizeof(text),
	    "; a comment\n[database]\nconninfo = host=db1 dbname=rp\n"
	    "[pipeline]\nworkers = 8\nstate_dir = /srv/rp\nlease_ms = 1000\nmax_attempts = 5\n"
	    "[fetch]\nuser_agent = probe/1.0\nper_host_concurrency = 4\nper_host_delay_ms = 0\n"
	    "max_bytes = 10MB\nconnect_timeout_ms = 500\ntimeout_ms = 60000\n"
	    "ca_file = %s\n"
	    "[source \"a\"]\nurl = https://www.sg.gov.cn/zw/a.html\n"
	    "[source \"b\"]\nurl = http://example.org/b.txt?x=1\n",
	    capath);
	struct config *cfg = expect_loaded(text);

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
	assert_string_equal(cfg->ca_file, capath);
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
	expect_refused("[source \"s\"]\nurl = http://example.org/\nindx = http://example.org/\n", 3,
		       "unknown key 'indx' in [source \"s\"]");
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
	static const char *const bad[] = {"",	   "MiB",     "abc", "10XB",	"-5",	 "0",
					  "0.5",   "64 MiBs", "inf", "1e30GiB", "+1",	 " 1",
					  "0x400", "1e3",     ".5k", "1.",	"1.5e1k"};
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

/*
 * Issue 12 item 11: a key given twice, or a section given twice, was
 * accepted, the last value silently winning (and allow_hosts adding up).
 * Each is refused on the second occurrence, naming the first.
 */
static void
test_repeats_refused(void **state)
{
	(void)state;
	static const struct {
		const char *text;
		int line;
		const char *needle;
	} cases[] = {
	    {"[pipeline]\nworkers = 2\nworkers = 3\n", 3,
	     "key 'workers' given twice in [pipeline]"},
	    {"[database]\nconninfo =\n\nconninfo = dbname=x\n", 4, "key 'conninfo' given twice"},
	    {"[fetch]\nuser_agent = a\nmax_bytes = 1k\nuser_agent = b\n", 4,
	     "key 'user_agent' given twice in [fetch]"},
	    {"[network]\njobs_bind = tcp://*:7701\njobs_bind = tcp://*:7702\n", 3,
	     "key 'jobs_bind' given twice in [network]"},
	    {"[pipeline]\nworkers = 2\n[fetch]\nuser_agent = x\n[pipeline]\nstate_dir = /srv\n", 5,
	     "section [pipeline] given twice"},
	    {"[network]\n[network]\n", 2, "section [network] given twice"},
	    {"[source \"s\"]\nindex = http://a.example/\nlink_pattern = a\nlink_pattern = b\n", 4,
	     "key 'link_pattern' given twice in [source \"s\"]"},
	    {"[source \"s\"]\nindex = http://a.example/\nlink_pattern = a\n"
	     "allow_hosts = b.example\nallow_hosts = c.example\n",
	     5, "key 'allow_hosts' given twice"},
	    {"[source \"s\"]\nurl = http://a.example/\nrobots = off\nrobots = on\n", 4,
	     "key 'robots' given twice"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		expect_refused(cases[i].text, cases[i].line, cases[i].needle);

	/* the message names where the first one is */
	char first[200];
	snprintf(first, sizeof(first), "(first at %s:2)", cfgpath);
	expect_refused("[pipeline]\nworkers = 2\nworkers = 3\n", 3, first);
	expect_refused("[pipeline]\nworkers = 2\n[pipeline]\n", 3, "(first at ");
	snprintf(first, sizeof(first), "source \"a\" defined twice (first at %s:1)", cfgpath);
	expect_refused("[source \"a\"]\nurl = http://a.example/\n"
		       "[source \"b\"]\nurl = http://b.example/\n"
		       "[source  \"a\"]\nurl = http://c.example/\n",
		       5, first);
	/* not "key 'url' given twice": the section is the mistake */
	expect_refused("[source \"a\"]\nurl = http://a.example/\n[source \"a\"]\nurl = http://b/\n",
		       3, "source \"a\" defined twice");
}

/*
 * An indented line used to continue the previous key's value (libinih's
 * multi-line entries), so "  ca_file = x" under "  user_agent = y" set
 * user_agent to "ca_file = x". Leading white space is now ignored.
 */
static void
test_indented_lines(void **state)
{
	(void)state;
	struct config *cfg = expect_loaded("[pipeline]\n  workers = 2\n\tstate_dir = /srv/rp\n"
					   "  [fetch]\n  user_agent = a\n   max_connections = 3\n");
	assert_int_equal(cfg->workers, 2);
	assert_string_equal(cfg->state_dir, "/srv/rp");
	assert_string_equal(cfg->user_agent, "a");
	assert_int_equal(cfg->max_connections, 3);
	config_free(&cfg);
	/* a stray word on an indented line is a syntax error, not more of the value */
	expect_refused("[fetch]\nuser_agent = a\n   b\n", 3, "syntax error");
}

/* libinih cut a value at a NUL byte and took the rest for nothing. */
static void
test_nul_byte_refused(void **state)
{
	(void)state;
	static const char t1[] = "[pipeline]\nstate_dir = /srv\0/rp\n";
	static const char t2[] = "[pipeline]\nworkers = 1\n; a comment\0 with a NUL\n";
	static const char t3[] = "[source \"a\"]\nurl = http://a.example/x\0.html\n";
	expect_refused_bytes(t1, sizeof(t1) - 1, 2, "NUL byte");
	expect_refused_bytes(t2, sizeof(t2) - 1, 3, "NUL byte");
	expect_refused_bytes(t3, sizeof(t3) - 1, 2, "NUL byte");
	/* a NUL in a line longer than libinih's buffer, too */
	char big[400];
	int n = snprintf(big, sizeof(big), "[pipeline]\nstate_dir = /");
	memset(big + n, 'a', 250);
	n += 250;
	big[n++] = '\0';
	n += snprintf(big + n, sizeof(big) - (size_t)n, "b\n");
	expect_refused_bytes(big, (size_t)n, 2, "NUL byte");
}

static void
test_endpoints(void **state)
{
	(void)state;
	static const char *const bad[] = {
	    "tcp://",	       "tcp://host",	   "tcp://:7701",     "tcp://host:",
	    "tcp://host:0",    "tcp://host:65536", "tcp://host:77x",  "tcp://host:+77",
	    "tcp://[::1:7701", "tcp://[zz]:7701",  "tcp://a b:7701",  "tcp://host:7701/x",
	    "ipc://",	       "inproc://x",	   "udp://host:7701",
	};
	static const char *const good[] = {
	    "tcp://*:7701",	    "tcp://fetch.example.org:7701",
	    "tcp://127.0.0.1:7701", "tcp://[::1]:7701",
	    "tcp://eth0:7701",	    "ipc:///run/rp/jobs",
	    "ipc://@rp-jobs",	    "",
	};
	char text[256];
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(text, sizeof(text), "[network]\njobs_bind = %s\n", bad[i]);
		expect_refused(text, 2, "'jobs_bind'");
	}
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		snprintf(text, sizeof(text), "[network]\nresults_connect = %s\n", good[i]);
		struct config *cfg = expect_loaded(text);
		assert_string_equal(cfg->results_connect, good[i]);
		config_free(&cfg);
	}
}

static void
test_content_xpath_compiled(void **state)
{
	(void)state;
	expect_refused("[source \"a\"]\nurl = http://a.example/\ncontent_xpath = //div[\n", 3,
		       "content_xpath");
	/* libxml2's own reason is given */
	expect_refused("[source \"a\"]\nurl = http://a.example/\ncontent_xpath = //div[\n", 3,
		       "Invalid expression");
	expect_refused("[source \"a\"]\nurl = http://a.example/\ncontent_xpath = foo((\n", 3,
		       "content_xpath");

	struct config *cfg =
	    expect_loaded("[source \"a\"]\nurl = http://a.example/\n"
			  "content_xpath = //div[@id=\"zoom\"]//p[contains(., \"报告\")]\n");
	assert_string_equal(cfg->sources[0].parse.content_xpath,
			    "//div[@id=\"zoom\"]//p[contains(., \"报告\")]");
	config_free(&cfg);
}

static void
test_ca_file_must_be_readable(void **state)
{
	(void)state;
	char text[256];
	expect_refused("[fetch]\nca_file = /nonexistent/ca.pem\n", 2, "'ca_file'");
	snprintf(text, sizeof(text), "[fetch]\nuser_agent = x\nca_file = %s\n", tmpdir);
	expect_refused(text, 3, "not a regular file"); /* a directory */
	if (geteuid() != 0) {			       /* root reads anything */
		assert_int_equal(chmod(capath, 0), 0);
		snprintf(text, sizeof(text), "[fetch]\nca_file = %s\n", capath);
		expect_refused(text, 2, "'ca_file'");
		assert_int_equal(chmod(capath, 0644), 0);
	}
	/* empty means the system's bundle, as when unset */
	struct config *cfg = expect_loaded("[fetch]\nca_file =\n");
	assert_null(cfg->ca_file);
	config_free(&cfg);
}

static void
test_allow_hosts_checked(void **state)
{
	(void)state;
	static const char *const bad[] = {
	    "bad_host!",
	    "a..example",
	    "-a.example",
	    "a-.example",
	    "a.example:0",
	    "a.example:65536",
	    "a.example:x",
	    "a.example:",
	    "[::1",
	    "[::1]x",
	    "[zz]",
	    "1.2.3.4.5:80",
	    "http://a.example",
	    "a.example/x",
	    "例子.中国",
	    ":80",
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.example",
	};
	char text[512];
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(text, sizeof(text),
			 "[source \"s\"]\nindex = http://a.example/\nlink_pattern = x\n"
			 "allow_hosts = ok.example, %s\n",
			 bad[i]);
		expect_refused(text, 4, "allow_hosts");
	}
	struct config *cfg = expect_loaded(
	    "[source \"s\"]\nindex = http://a.example/\nlink_pattern = x\n"
	    "allow_hosts = www.gd.gov.cn, 127.0.0.1 localhost:8080 [::1]:8080 ::1 XN--FIQS8S.cn\n");
	assert_int_equal(cfg->sources[0].nallow_hosts, 6);
	assert_string_equal(cfg->sources[0].allow_hosts[0], "www.gd.gov.cn");
	assert_string_equal(cfg->sources[0].allow_hosts[3], "[::1]:8080");
	/* bracketed, as the fetcher's URL parser gives a link's host */
	assert_string_equal(cfg->sources[0].allow_hosts[4], "[::1]");
	config_free(&cfg);
}

/* "+2" and "-0" parsed as numbers; only digits are a number now. */
static void
test_integers_are_digits(void **state)
{
	(void)state;
	static const struct {
		const char *section, *key, *value;
	} keys[] = {
	    {"pipeline", "workers", "2"},
	    {"pipeline", "lease_ms", "1000"},
	    {"pipeline", "max_attempts", "2"},
	    {"pipeline", "stale_after", "0"},
	    {"pipeline", "parse_timeout_ms", "1000"},
	    {"pipeline", "drain_timeout", "0"},
	    {"fetch", "per_host_concurrency", "2"},
	    {"fetch", "per_host_delay_ms", "0"},
	    {"fetch", "max_connections", "2"},
	    {"fetch", "connect_timeout_ms", "1000"},
	    {"fetch", "timeout_ms", "1000"},
	    {"fetch", "low_speed_bytes", "0"},
	    {"fetch", "low_speed_seconds", "2"},
	    {"fetch", "max_retries", "0"},
	    {"fetch", "retry_budget", "0"},
	    {"fetch", "retry_max_delay_ms", "0"},
	    {"fetch", "max_bytes", "1024"},
	};
	static const char *const forms[] = {"+%s", "-%s", "%s x", "0x%s", "%s.0", "%se0"};
	char text[256], value[64], needle[80];
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		snprintf(text, sizeof(text), "[%s]\n%s = %s\n", keys[i].section, keys[i].key,
			 keys[i].value);
		config_free((struct config *[]){expect_loaded(text)});
		snprintf(needle, sizeof(needle), "'%s'", keys[i].key);
		for (size_t f = 0; f < sizeof(forms) / sizeof(forms[0]); f++) {
			if (strcmp(keys[i].key, "max_bytes") == 0 && strcmp(forms[f], "%s.0") == 0)
				continue; /* a size may have a fraction: 1.5KiB */
			snprintf(value, sizeof(value), forms[f], keys[i].value);
			snprintf(text, sizeof(text), "[%s]\n%s = %s\n", keys[i].section,
				 keys[i].key, value);
			expect_refused(text, 2, needle);
		}
	}
	expect_refused("[source \"s\"]\nindex = http://a.example/\nlink_pattern = x\n"
		       "max_pages = +3\n",
		       4, "'max_pages'");
	expect_refused("[fetch]\nmax_bytes = +64MiB\n", 2, "'max_bytes'");
	/* auto stays what it was */
	config_free((struct config *[]){expect_loaded("[pipeline]\nworkers = auto\n")});
	expect_refused("[pipeline]\nworkers = +auto\n", 2, "'workers'");
}

/* Bytes that are not UTF-8 reached names, URLs and patterns as they were. */
static void
test_invalid_utf8_refused(void **state)
{
	(void)state;
	static const struct {
		const char *text;
		int line;
	} cases[] = {
	    {"[source \"\xff\"]\nurl = http://a.example/\n", 1},
	    {"[source \"a\xe6\xb3\"]\nurl = http://a.example/\n", 1},
	    {"[source \"a\"]\nurl = http://a.example/\xc3\x28\n", 2},
	    {"[source \"a\"]\nindex = http://a.example/\nlink_pattern = \xb1\xa8\xb8\xe6\n", 3},
	    {"[fetch]\nuser_agent = x\xe4\xb8\n", 2},	     /* cut short */
	    {"[fetch]\nuser_agent = \xc0\xaf\n", 2},	     /* overlong '/' */
	    {"[fetch]\nuser_agent = \xed\xa0\x80\n", 2},     /* a surrogate */
	    {"[fetch]\nuser_agent = \xf4\x90\x80\x80\n", 2}, /* past U+10FFFF */
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		expect_refused(cases[i].text, cases[i].line, "not valid UTF-8");

	struct config *cfg =
	    expect_loaded("\xef\xbb\xbf[source \"韶关\"]\nindex = http://a.example/\n"
			  "link_pattern = 法治政府建设.*报告\xf0\x9f\x93\x84\n");
	assert_string_equal(cfg->sources[0].name, "韶关");
	config_free(&cfg);
}

/* A config without a source loads (the stages' own configs need none), with a warning for run. */
static void
test_no_source_warns(void **state)
{
	(void)state;
	struct config *cfg = expect_loaded("[pipeline]\nworkers = 1\n");
	fflush(stderr);
	int saved = dup(STDERR_FILENO);
	FILE *fp = fopen(errpath, "w");
	assert_true(saved >= 0 && fp != NULL);
	dup2(fileno(fp), STDERR_FILENO);
	size_t n = config_check_sources(cfg);
	fflush(stderr);
	dup2(saved, STDERR_FILENO);
	close(saved);
	fclose(fp);
	char *err = testutil_read_file(errpath, NULL);
	assert_int_equal(n, 0);
	assert_non_null(err);
	assert_non_null(strstr(err, "no [source] sections: nothing to fetch"));
	assert_non_null(strstr(err, cfgpath));
	free(err);
	config_free(&cfg);

	cfg = config_load(NULL); /* the built-in default has one */
	assert_int_equal(config_check_sources(cfg), 1);
	config_free(&cfg);
}

/*
 * The command refuses what config_load refuses, with exit 78 (EX_CONFIG).
 * Each file points the database at nothing and the state into tmpdir, so
 * that a run which wrongly accepts it fails fast and starts no cluster.
 */
static void
test_run_exits_78(void **state)
{
	(void)state;
	static const char *const tails[] = {
	    "[fetch]\nuser_agent = x\n[pipeline]\nworkers = 2\n",
	    "workers = +2\n",
	    "[source \"a\"]\nurl = http://a.example/\n[source \"a\"]\nurl = http://a.example/\n",
	};
	static const int lines[] = {7, 5, 7};
	char text[512], where[200];
	for (size_t i = 0; i < sizeof(tails) / sizeof(tails[0]); i++) {
		int rc;
		snprintf(text, sizeof(text),
			 "[database]\nconninfo = host=/nonexistent-rp-config-test\n"
			 "[pipeline]\nstate_dir = %s/state\n%s",
			 tmpdir, tails[i]);
		assert_int_equal(testutil_write_file(cfgpath, text, strlen(text)), 0);
		char *out = testutil_run(&rc, "%s run -c %s", testutil_bin(), cfgpath);
		int rm_rc;
		free(testutil_run(&rm_rc, "rm -rf %s/state", tmpdir));
		snprintf(where, sizeof(where), "%s:%d: ", cfgpath, lines[i]);
		if (rc != 78 || strstr(out, where) == NULL) {
			print_error("exit %d, output: %s\n", rc, out);
			free(out);
			fail_msg("run -c must exit 78 naming %s", where);
		}
		free(out);
	}
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
	    cmocka_unit_test(test_repeats_refused),
	    cmocka_unit_test(test_indented_lines),
	    cmocka_unit_test(test_nul_byte_refused),
	    cmocka_unit_test(test_endpoints),
	    cmocka_unit_test(test_content_xpath_compiled),
	    cmocka_unit_test(test_ca_file_must_be_readable),
	    cmocka_unit_test(test_allow_hosts_checked),
	    cmocka_unit_test(test_integers_are_digits),
	    cmocka_unit_test(test_invalid_utf8_refused),
	    cmocka_unit_test(test_no_source_warns),
	    cmocka_unit_test(test_run_exits_78),
	};
	return cmocka_run_group_tests_name("config", tests, group_setup, group_teardown);
}
