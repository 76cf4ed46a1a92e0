/*
 * fetch_index_test.c - discovery: an index source on faultd with 3 pages of
 * links (and a 4th beyond max_pages) yields exactly the matching reports,
 * on its own host or allow_hosts, never javascript:, mailto:, fragments,
 * other schemes or other hosts; a second run fetches them conditionally
 * with the validators the sink holds for them; a file:// index cannot lead
 * to file:// reports. Every hop of a redirect is held to the same rules as
 * a link (the index's scheme, host and port, or allow_hosts); links with a
 * user name and password are refused without showing the password;
 * max_links caps the reports taken from one page; a report without a
 * title takes the text of the link that led to it; and a source's
 * content_xpath decides which part of a page is stored.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "buf.h"
#include "fetch_env.h"
#include "testutil.h"

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static struct fetch_env env;
static char faultd_log[PATH_MAX + 16];

/* What faultd's index pages 1-3 link to and link_pattern matches, on allowed hosts. */
static const char *const expected[] = {
    "http://127.0.0.1:%d/reports/fz-1.txt",    "http://127.0.0.1:%d/reports/fz-2.txt",
    "http://127.0.0.1:%d/reports/fazhi-3.txt", "http://127.0.0.1:%d/reports/fz-4.txt",
    "http://localhost:%d/reports/fz-5.txt",    "http://127.0.0.1:%d/reports/fazhi-6.txt",
    "http://127.0.0.1:%d/reports/fazhi-7.txt",
};
#define NEXPECTED (sizeof(expected) / sizeof(expected[0]))

static int
group_setup(void **state)
{
	(void)state;
	if (fetch_env_setup(&env) < 0 || fetch_env_faultd_start(&env, 2, NULL, NULL) < 0)
		return -1;
	snprintf(faultd_log, sizeof(faultd_log), "%s/faultd.log", env.dir);
	char pages[PATH_MAX + 16];
	snprintf(pages, sizeof(pages), "%s/pages", env.dir);
	if (mkdir(pages, 0700) < 0)
		return -1;
	char sources[1024];
	snprintf(sources, sizeof(sources),
		 "[source \"fazhi-index\"]\n"
		 "index = http://127.0.0.1:%d/index/1.html\n"
		 "link_pattern = 法治政府建设.*报告|/fazhi-[0-9]+\\.txt$\n"
		 "next_pattern = 下一页\n"
		 "max_pages = 3\n"
		 "allow_hosts = localhost:%d\n",
		 env.faultd_ports[0], env.faultd_ports[0]);
	return fetch_env_write_config(&env, "index", "per_host_delay_ms = 0\n", sources);
}

static int
group_teardown(void **state)
{
	(void)state;
	fetch_env_teardown(&env);
	return 0;
}

/* The requests faultd logged from offset on, as "STATUS PATH" lines. */
static char *
requests_since(long offset)
{
	char *text = fetch_env_read_from(faultd_log, offset);
	struct buf b = {0};
	for (char *line = text, *nl; line && *line; line = nl) {
		nl = strchr(line, '\n');
		if (nl)
			*nl++ = '\0';
		struct json_object *o = json_tokener_parse(line), *p, *s, *inm;
		if (o && json_object_object_get_ex(o, "path", &p) &&
		    json_object_object_get_ex(o, "status", &s)) {
			json_object_object_get_ex(o, "inm", &inm);
			buf_printf(&b, "%d %s%s\n", json_object_get_int(s),
				   json_object_get_string(p),
				   inm && json_object_get_string(inm) ? " conditional" : "");
		}
		json_object_put(o);
	}
	free(text);
	buf_putc(&b, '\0');
	return buf_take(&b);
}

static void
test_index_pages_discover_exactly_the_matching_reports(void **state)
{
	(void)state;
	int rc, port = env.faultd_ports[0];
	char *out = fetch_env_run(&env, "index", &rc);
	if (rc != 0 || strstr(out, "stored 7,") == NULL)
		fail_msg("index run exited %d, want 0 and 7 stored:\n%s", rc, out);
	free(out);

	assert_int_equal(fetch_env_query_long(&env, "SELECT count(*) FROM documents"), NEXPECTED);
	for (size_t i = 0; i < NEXPECTED; i++) {
		char url[256], sql[512];
		snprintf(url, sizeof(url), expected[i], port);
		snprintf(sql, sizeof(sql),
			 "SELECT count(*) FROM documents d JOIN sources s ON s.id = d.source_id"
			 " WHERE d.url = '%s' AND s.name = 'fazhi-index' AND"
			 " s.url = 'http://127.0.0.1:%d/index/1.html'",
			 url, port);
		if (fetch_env_query_long(&env, sql) != 1)
			fail_msg("%s was not discovered and stored", url);
	}

	char *reqs = requests_since(0);
	/* pages 1-3, each once; page 4 is past max_pages */
	assert_int_equal(fetch_env_count_lines(reqs, "200 /index/1.html", NULL), 1);
	assert_int_equal(fetch_env_count_lines(reqs, "200 /index/2.html", NULL), 1);
	assert_int_equal(fetch_env_count_lines(reqs, "200 /index/3.html", NULL), 1);
	assert_int_equal(fetch_env_count_lines(reqs, "/index/4.html", NULL), 0);
	/* only the matching reports were asked for, each once, and nothing else */
	assert_int_equal(fetch_env_count_lines(reqs, " /reports/", NULL), (int)NEXPECTED);
	assert_int_equal(fetch_env_count_lines(reqs, "other-", NULL), 0);
	assert_int_equal(fetch_env_count_lines(reqs, "fz-8", NULL), 0);
	assert_int_equal(fetch_env_count_lines(reqs, "/index/fz-6.txt", NULL), 0);
	free(reqs);
	assert_int_equal(fetch_env_query_long(&env, "SELECT count(*) FROM dead_letters"), 0);
}

static void
test_second_index_run_uses_stored_validators(void **state)
{
	(void)state;
	long offset = fetch_env_file_size(faultd_log);
	int rc;
	char *out = fetch_env_run(&env, "index", &rc);
	if (rc != 0 || strstr(out, "unchanged 7, stored 0, failed 0") == NULL)
		fail_msg("second index run exited %d, want everything unchanged:\n%s", rc, out);
	free(out);
	char *reqs = requests_since(offset);
	/* the sink's validators for discovered URLs made every request conditional: 304s */
	assert_int_equal(fetch_env_count_lines(reqs, "304 /reports/", "conditional", NULL),
			 (int)NEXPECTED);
	assert_int_equal(fetch_env_count_lines(reqs, " /reports/", NULL), (int)NEXPECTED);
	free(reqs);
	assert_int_equal(fetch_env_query_long(&env, "SELECT count(*) FROM documents"), NEXPECTED);
}

static void
test_file_index_leads_only_to_http_links(void **state)
{
	(void)state;
	int port = env.faultd_ports[0];
	char page[PATH_MAX + 32], html[1024], sources[PATH_MAX + 320];
	snprintf(page, sizeof(page), "%s/local-index.html", env.dir);
	snprintf(html, sizeof(html),
		 "<html><body>"
		 "<a href=\"file:///etc/passwd\">法治政府建设报告 1</a>"
		 "<a href=\"local-report.txt\">法治政府建设报告 2</a>"
		 "<a href=\"http://127.0.0.1:%d/reports/fz-20.txt\">法治政府建设报告 3</a>"
		 "</body></html>",
		 port);
	assert_int_equal(testutil_write_file(page, html, strlen(html)), 0);
	char local[PATH_MAX + 32];
	snprintf(local, sizeof(local), "%s/local-report.txt", env.dir);
	assert_int_equal(testutil_write_file(local, "x", 1), 0);
	snprintf(sources, sizeof(sources),
		 "[source \"local-index\"]\nindex = file://%s\nlink_pattern = 法治政府建设\n"
		 "allow_hosts = 127.0.0.1:%d\n",
		 page, port);
	assert_int_equal(
	    fetch_env_write_config(&env, "file-index", "per_host_delay_ms = 0\n", sources), 0);
	int rc;
	char *out = fetch_env_run(&env, "file-index", &rc);
	if (rc != 0 || strstr(out, "stored 1,") == NULL)
		fail_msg("file index run exited %d, want 0 and 1 stored:\n%s", rc, out);
	free(out);
	assert_int_equal(fetch_env_query_long(&env, "SELECT count(*) FROM documents d JOIN sources"
						    " s ON s.id = d.source_id WHERE"
						    " s.name = 'local-index'"),
			 1);
	assert_int_equal(fetch_env_query_long(&env, "SELECT count(*) FROM documents WHERE"
						    " url LIKE 'file:%'"),
			 0);
}

/* Write dir/pages/name, which faultd serves as /pages/name. */
static void
write_page(const char *name, const char *html)
{
	char path[PATH_MAX + 64];
	snprintf(path, sizeof(path), "%s/pages/%s", env.dir, name);
	assert_int_equal(testutil_write_file(path, html, strlen(html)), 0);
}

/* faultd's records since offset whose path starts with prefix, at addr and port (0: any). */
static int
requests_at(long offset, const char *addr, int port, const char *prefix)
{
	char *text = fetch_env_read_from(faultd_log, offset);
	int n = 0;
	for (char *line = text, *nl; line && *line; line = nl) {
		nl = strchr(line, '\n');
		if (nl)
			*nl++ = '\0';
		struct json_object *o = json_tokener_parse(line), *a, *p, *path;
		if (o && json_object_object_get_ex(o, "addr", &a) &&
		    json_object_object_get_ex(o, "port", &p) &&
		    json_object_object_get_ex(o, "path", &path) &&
		    (addr == NULL || strcmp(json_object_get_string(a), addr) == 0) &&
		    (port == 0 || json_object_get_int(p) == port) &&
		    strncmp(json_object_get_string(path), prefix, strlen(prefix)) == 0)
			n++;
		json_object_put(o);
	}
	free(text);
	return n;
}

static long
count_sql(const char *fmt, ...)
{
	char sql[2048];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(sql, sizeof(sql), fmt, ap);
	va_end(ap);
	return fetch_env_query_long(&env, sql);
}

#define PASSWORD "s3cret-pw" /* faultd's /redirect-cred/ sends it too */

static void
test_links_and_redirects_stay_on_the_index_origin(void **state)
{
	(void)state;
	int a = env.faultd_ports[0], b = env.faultd_ports[1];
	char html[4096], sources[1024];
	snprintf(html, sizeof(html),
		 "<html><body>\n"
		 "<a href=\"/redirect/same?to=/reports/hop-same.txt\">法治政府建设报告 1</a>\n"
		 "<a href=\"/redirect/host?to=http://127.0.0.2:%d/reports/hop-host.txt\">"
		 "法治政府建设报告 2</a>\n"
		 "<a href=\"/redirect/port?to=http://127.0.0.1:%d/reports/hop-port.txt\">"
		 "法治政府建设报告 3</a>\n"
		 "<a href=\"/redirect/two-1?to=/redirect/two-2?to=http://127.0.0.2:%d/reports/"
		 "hop-two.txt\">法治政府建设报告 4</a>\n"
		 "<a href=\"/redirect/allowed?to=http://localhost:%d/reports/hop-allowed.txt\">"
		 "法治政府建设报告 5</a>\n"
		 "<a href=\"http://127.0.0.1:%d/reports/port-link.txt\">法治政府建设报告 6</a>\n"
		 "<a href=\"http://reporter:" PASSWORD "@127.0.0.1:%d/reports/cred.txt\">"
		 "法治政府建设报告 7</a>\n"
		 "<a href=\"/redirect-cred/cred-hop.txt\">法治政府建设报告 8</a>\n"
		 "<a href=\"/redirect/ftp?to=ftp://127.0.0.1:%d/reports/ftp.txt\">"
		 "法治政府建设报告 9</a>\n"
		 "</body></html>\n",
		 a, b, a, a, b, a, a);
	write_page("hops.html", html);
	/* a report the operator named may still be redirected to another host, as documented */
	snprintf(
	    sources, sizeof(sources),
	    "[source \"hops\"]\n"
	    "index = http://127.0.0.1:%d/pages/hops.html\n"
	    "link_pattern = 法治政府建设\n"
	    "allow_hosts = localhost:%d\n"
	    "[source \"named\"]\n"
	    "url = http://127.0.0.1:%d/redirect/cfg?to=http://127.0.0.2:%d/reports/cfg-host.txt\n",
	    a, a, a, a);
	assert_int_equal(fetch_env_write_config(&env, "hops", "per_host_delay_ms = 0\n", sources),
			 0);
	long offset = fetch_env_file_size(faultd_log);
	int rc;
	char *out = fetch_env_run(&env, "hops", &rc);
	if (rc != 1 || strstr(out, "stored 3, failed 5") == NULL)
		fail_msg("hops run exited %d, want 1 with 3 stored and 5 failed:\n%s", rc, out);

	/* followed: on the index's origin, in allow_hosts, or named in the config */
	assert_int_equal(count_sql("SELECT count(*) FROM documents WHERE url ="
				   " 'http://127.0.0.1:%d/redirect/same?to=/reports/hop-same.txt'",
				   a),
			 1);
	assert_int_equal(
	    count_sql("SELECT count(*) FROM documents WHERE url = 'http://127.0.0.1:%d"
		      "/redirect/allowed?to=http://localhost:%d/reports/hop-allowed.txt'",
		      a, a),
	    1);
	assert_int_equal(count_sql("SELECT count(*) FROM documents WHERE url = 'http://127.0.0.1:%d"
				   "/redirect/cfg?to=http://127.0.0.2:%d/reports/cfg-host.txt'",
				   a, a),
			 1);
	assert_int_equal(requests_at(offset, "127.0.0.1", a, "/reports/hop-same.txt"), 1);
	assert_int_equal(requests_at(offset, "127.0.0.1", a, "/reports/hop-allowed.txt"), 1);

	/* the other host saw the operator's report and its robots.txt, nothing else */
	assert_int_equal(requests_at(offset, "127.0.0.2", 0, "/reports/cfg-host.txt"), 1);
	assert_int_equal(requests_at(offset, "127.0.0.2", 0, "/robots.txt"), 1);
	assert_int_equal(requests_at(offset, "127.0.0.2", 0, "/"), 2);
	/* another port of the same host is another origin: nothing reached it */
	assert_int_equal(requests_at(offset, NULL, b, "/"), 0);
	/* the first hop of the two was followed, the second refused */
	assert_int_equal(requests_at(offset, "127.0.0.1", a, "/redirect/two-1"), 1);
	assert_int_equal(requests_at(offset, "127.0.0.1", a, "/redirect/two-2"), 1);
	/* a link with credentials is never requested, nor a redirect to one */
	assert_int_equal(requests_at(offset, NULL, 0, "/reports/cred"), 0);
	assert_int_equal(requests_at(offset, NULL, 0, "/reports/port-link.txt"), 0);

	/* each refused hop is a permanent dead letter naming where it led */
	static const char *const refused[][2] = {
	    {"host", "%%127.0.0.2:%d/reports/hop-host.txt refused: not the index''s host and port"},
	    {"port", "%%127.0.0.1:%d/reports/hop-port.txt refused: not the index''s host and port"},
	    {"two-1", "%%127.0.0.2:%d/reports/hop-two.txt refused: not the index''s host and port"},
	    {"cred", "http://127.0.0.1:%d/reports/cred-hop.txt refused: it carries credentials"},
	    {"ftp", "%%ftp://127.0.0.1:%d/reports/ftp.txt refused: not http or https"},
	};
	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		char like[256];
		snprintf(like, sizeof(like), refused[i][1],
			 strcmp(refused[i][0], "port") == 0 ? b : a);
		if (count_sql(
			"SELECT count(*) FROM dead_letters WHERE run_id = (SELECT max(id)"
			" FROM ingest_runs) AND url LIKE 'http://127.0.0.1:%d/redirect%%/%s%%'"
			" AND attempts = 1 AND error LIKE 'redirect (permanent) after 1"
			" attempt: redirect to %s%%'",
			a, refused[i][0], like) != 1)
			fail_msg("no dead letter for the redirect %s (%s):\n%s", refused[i][0],
				 like, out);
	}
	/* the password is in no log line, no dead letter and no document */
	if (strstr(out, PASSWORD) != NULL)
		fail_msg("the password was logged:\n%s", out);
	assert_int_equal(
	    fetch_env_count_lines(out, "refused", "/reports/cred.txt", "credentials", NULL), 1);
	assert_int_equal(count_sql("SELECT count(*) FROM dead_letters WHERE error LIKE '%%%s%%'"
				   " OR url LIKE '%%%s%%'",
				   PASSWORD, PASSWORD),
			 0);
	assert_int_equal(count_sql("SELECT count(*) FROM documents WHERE url LIKE '%%%s%%'"
				   " OR url LIKE '%%/reports/port-link.txt'",
				   PASSWORD),
			 0);
	free(out);
}

static void
test_max_links_caps_an_index_page(void **state)
{
	(void)state;
	struct buf html = {0};
	buf_puts(&html, "<html><body>\n");
	for (int i = 1; i <= 50; i++)
		buf_printf(&html, "<a href=\"/reports/many-%02d.txt\">法治政府建设报告 %d</a>\n", i,
			   i);
	buf_puts(&html, "</body></html>\n");
	buf_putc(&html, '\0');
	write_page("many.html", html.data);
	buf_release(&html);
	char sources[512];
	snprintf(sources, sizeof(sources),
		 "[source \"many\"]\n"
		 "index = http://127.0.0.1:%d/pages/many.html\n"
		 "link_pattern = 法治政府建设\n"
		 "max_links = 10\n",
		 env.faultd_ports[0]);
	assert_int_equal(fetch_env_write_config(&env, "many", "per_host_delay_ms = 0\n", sources),
			 0);
	long offset = fetch_env_file_size(faultd_log);
	int rc;
	char *out = fetch_env_run(&env, "many", &rc);
	if (rc != 0 || strstr(out, "stored 10,") == NULL)
		fail_msg("many run exited %d, want 0 and 10 stored:\n%s", rc, out);
	/* the first ten in page order, each once, and no other */
	assert_int_equal(requests_at(offset, NULL, 0, "/reports/many-"), 10);
	for (int i = 1; i <= 10; i++) {
		char path[64];
		snprintf(path, sizeof(path), "/reports/many-%02d.txt", i);
		assert_int_equal(requests_at(offset, NULL, 0, path), 1);
	}
	assert_int_equal(fetch_env_count_lines(out, "level=warn", "pages/many.html",
					       "max_links (10)", "40 more", NULL),
			 1);
	assert_int_equal(
	    count_sql("SELECT count(*) FROM documents WHERE url LIKE '%%/reports/many-%%'"), 10);
	free(out);
}

/*
 * A report that names no title of its own takes the text of the index link
 * that led to it, or the link's title attribute when the text is cut short;
 * a link that says only 下载 is no title, and the genre's title is made. The
 * text is kept in documents.link_text, so reparse finds the same title.
 */
static void
test_a_report_without_a_title_takes_its_link_text(void **state)
{
	(void)state;
	static const char body[] =
	    "<html><body><p>本报告中所列数据的统计期限自2023年1月1日起至2023年12月31日止。"
	    "如对本报告有疑问，请与某某县人民政府办公室联系。</p><p>一、总体情况</p>"
	    "<p>2023年，主动公开政府信息1200条。政府信息公开工作年度报告。</p></body></html>\n";
	for (int i = 1; i <= 3; i++) {
		char name[32], html[sizeof(body) + 64];
		snprintf(name, sizeof(name), "untitled-%d.html", i);
		/* three different bodies: three documents */
		snprintf(html, sizeof(html), "%.*s<!-- %d -->\n", (int)sizeof(body) - 2, body, i);
		write_page(name, html);
	}
	write_page(
	    "titles.html",
	    "<html><body>\n"
	    "<a href=\"/pages/untitled-1.html\">某某县2023年政府信息公开工作年度报告</a>\n"
	    "<a href=\"/pages/untitled-2.html\" title=\"某某县2022年政府信息公开工作年度报告\">"
	    "某某县2022年政府信息公开...</a>\n"
	    "<a href=\"/pages/untitled-3.html\">下载</a>\n"
	    "</body></html>\n");
	char sources[512];
	snprintf(sources, sizeof(sources),
		 "[source \"titles\"]\n"
		 "index = http://127.0.0.1:%d/pages/titles.html\n"
		 "link_pattern = untitled\n",
		 env.faultd_ports[0]);
	assert_int_equal(fetch_env_write_config(&env, "titles", "per_host_delay_ms = 0\n", sources),
			 0);
	int rc;
	char *out = fetch_env_run(&env, "titles", &rc);
	if (rc != 0 || strstr(out, "stored 3,") == NULL)
		fail_msg("titles run exited %d, want 0 and 3 stored:\n%s", rc, out);
	free(out);
	assert_int_equal(
	    count_sql("SELECT count(*) FROM documents WHERE url LIKE"
		      " '%%/untitled-1.html' AND title = '某某县2023年政府信息公开工作年度报告'"
		      " AND link_text = title"),
	    1);
	assert_int_equal(
	    count_sql("SELECT count(*) FROM documents WHERE url LIKE"
		      " '%%/untitled-2.html' AND title = '某某县2022年政府信息公开工作年度报告'"),
	    1);
	/* 下载 is kept as what the link said, but the title is the genre's */
	assert_int_equal(
	    count_sql("SELECT count(*) FROM documents WHERE url LIKE '%%/untitled-3.html'"
		      " AND link_text = '下载' AND title = "
		      "'某某县人民政府2023年政府信息公开工作年度报告'"),
	    1);
}

/*
 * A source's content_xpath reaches the parser (the job header carries it):
 * of a page whose sidebar outscores the report, the source with
 * content_xpath stores only the report's part, and the same page under a
 * source without one stores the scorer's choice, the sidebar.
 */
static void
test_content_xpath_chooses_the_stored_text(void **state)
{
	(void)state;
	static const char html[] =
	    "<html><body><div id=\"side\"><p>通知公告：关于开展调研的通知，请各单位于本月底前"
	    "报送材料，逾期不报的，予以通报；联系人：张三，电话：12345。</p><p>其他事项：另行通知，"
	    "请留意。</p></div><div id=\"zoom\"><p>全年办理案件120件。</p></div></body></html>\n";
	/* the same page twice, so that each source has a URL of its own */
	write_page("two-parts-xpath.html", html);
	write_page("two-parts-scored.html", html);
	char sources[1024];
	snprintf(sources, sizeof(sources),
		 "[source \"with-xpath\"]\n"
		 "url = http://127.0.0.1:%d/pages/two-parts-xpath.html\n"
		 "content_xpath = //div[@id=\"zoom\"]\n"
		 "[source \"scored\"]\n"
		 "url = http://127.0.0.1:%d/pages/two-parts-scored.html\n",
		 env.faultd_ports[0], env.faultd_ports[0]);
	assert_int_equal(fetch_env_write_config(&env, "xpath", "per_host_delay_ms = 0\n", sources),
			 0);
	int rc;
	char *out = fetch_env_run(&env, "xpath", &rc);
	if (rc != 0 || strstr(out, "stored 2,") == NULL)
		fail_msg("xpath run exited %d, want 0 and 2 stored:\n%s", rc, out);
	free(out);
	char *text = fetch_env_query_str(
	    &env, "SELECT text FROM documents WHERE url LIKE '%/two-parts-xpath.html'");
	assert_non_null(text);
	if (strstr(text, "全年办理案件120件") == NULL || strstr(text, "通知公告") != NULL)
		fail_msg("with content_xpath, want only the zoom part stored, got: %s", text);
	free(text);
	text = fetch_env_query_str(
	    &env, "SELECT text FROM documents WHERE url LIKE '%/two-parts-scored.html'");
	assert_non_null(text);
	if (strstr(text, "通知公告") == NULL)
		fail_msg("without content_xpath, want the scorer's choice (the sidebar), got: %s",
			 text);
	free(text);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_index_pages_discover_exactly_the_matching_reports),
	    cmocka_unit_test(test_second_index_run_uses_stored_validators),
	    cmocka_unit_test(test_file_index_leads_only_to_http_links),
	    cmocka_unit_test(test_links_and_redirects_stay_on_the_index_origin),
	    cmocka_unit_test(test_max_links_caps_an_index_page),
	    cmocka_unit_test(test_a_report_without_a_title_takes_its_link_text),
	    cmocka_unit_test(test_content_xpath_chooses_the_stored_text),
	};
	return cmocka_run_group_tests_name("fetch (index)", tests, group_setup, group_teardown);
}
