/*
 * fetcher_policy_test.c - the fetcher's pure policies: failure classes,
 * backoff and Retry-After (fetcher_retry.c), robots.txt rules
 * (fetcher_robots.c) and links on index pages (fetcher_index.c).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "fetcher_index.h"
#include "fetcher_retry.h"
#include "fetcher_robots.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void
test_classes_and_what_is_retried(void **state)
{
	(void)state;
	assert_int_equal(fetcher_retry_classify(CURLE_OK, 200), FETCH_OK);
	assert_int_equal(fetcher_retry_classify(CURLE_OK, 304), FETCH_OK);
	assert_int_equal(fetcher_retry_classify(CURLE_OK, 0), FETCH_OK); /* file:// */
	assert_int_equal(fetcher_retry_classify(CURLE_OK, 503), FETCH_HTTP);
	assert_int_equal(fetcher_retry_classify(CURLE_COULDNT_CONNECT, 0), FETCH_CONNECT);
	assert_int_equal(fetcher_retry_classify(CURLE_OPERATION_TIMEDOUT, 0), FETCH_TIMEOUT);
	assert_int_equal(fetcher_retry_classify(CURLE_PEER_FAILED_VERIFICATION, 0), FETCH_TLS);
	assert_int_equal(fetcher_retry_classify(CURLE_TOO_MANY_REDIRECTS, 302), FETCH_REDIRECT);
	assert_int_equal(fetcher_retry_classify(CURLE_FILESIZE_EXCEEDED, 200), FETCH_TOO_LARGE);
	/* a body that does not decode as its Content-Encoding says will not on a retry */
	enum fetch_class enc = fetcher_retry_classify(CURLE_BAD_CONTENT_ENCODING, 200);
	assert_string_equal(fetcher_retry_class_name(enc), "encoding");
	assert_false(fetcher_retry_transient(enc, 200));

	static const long transient[] = {500, 502, 503, 504, 408, 429};
	for (size_t i = 0; i < sizeof(transient) / sizeof(transient[0]); i++)
		assert_true(fetcher_retry_transient(FETCH_HTTP, transient[i]));
	static const long permanent[] = {400, 401, 403, 404, 410, 451};
	for (size_t i = 0; i < sizeof(permanent) / sizeof(permanent[0]); i++)
		assert_false(fetcher_retry_transient(FETCH_HTTP, permanent[i]));
	assert_true(fetcher_retry_transient(FETCH_CONNECT, 0));
	assert_true(fetcher_retry_transient(FETCH_TIMEOUT, 0));
	assert_true(fetcher_retry_transient(FETCH_NETWORK, 0));
	assert_false(fetcher_retry_transient(FETCH_TLS, 0));
	assert_false(fetcher_retry_transient(FETCH_REDIRECT, 0));
	assert_false(fetcher_retry_transient(FETCH_TOO_LARGE, 0));
	assert_false(fetcher_retry_transient(FETCH_ROBOTS, 0));
}

static void
test_backoff_doubles_with_jitter_up_to_the_cap(void **state)
{
	(void)state;
	/* equal jitter: between half and all of 1 s, 2 s, 4 s ... */
	assert_int_equal(fetcher_retry_backoff_ms(1, 60000, 0.0), 500);
	assert_int_equal(fetcher_retry_backoff_ms(1, 60000, 0.9999), 999);
	assert_int_equal(fetcher_retry_backoff_ms(2, 60000, 0.0), 1000);
	assert_int_equal(fetcher_retry_backoff_ms(3, 60000, 0.5), 3000);
	assert_int_equal(fetcher_retry_backoff_ms(30, 60000, 0.0), 30000);
	assert_true(fetcher_retry_backoff_ms(30, 60000, 0.9999) <= 60000);
	assert_true(fetcher_retry_backoff_ms(100, 5000, 0.9999) <= 5000);
	assert_true(fetcher_retry_backoff_ms(1, 200, 0.5) <= 200);
}

static void
test_retry_after_seconds_and_dates(void **state)
{
	(void)state;
	time_t now = curl_getdate("Wed, 21 Oct 2015 07:28:00 GMT", NULL);
	assert_int_equal(fetcher_retry_after_ms("2", now), 2000);
	assert_int_equal(fetcher_retry_after_ms(" 120 ", now), 120000);
	assert_int_equal(fetcher_retry_after_ms("Wed, 21 Oct 2015 07:28:03 GMT", now), 3000);
	assert_int_equal(fetcher_retry_after_ms("Wed, 21 Oct 2015 07:27:00 GMT", now), 0);
	assert_int_equal(fetcher_retry_after_ms("99999999999999999999", now), 86400000);
	assert_int_equal(fetcher_retry_after_ms(NULL, now), -1);
	assert_int_equal(fetcher_retry_after_ms("", now), -1);
	assert_int_equal(fetcher_retry_after_ms("soon", now), -1);
	assert_int_equal(fetcher_retry_after_ms("3 seconds", now), -1);
}

static void
test_describe_names_class_status_and_attempts(void **state)
{
	(void)state;
	char out[256];
	fetcher_retry_describe(out, sizeof(out), FETCH_HTTP, 503, 5, "the server answered 503");
	assert_string_equal(out, "http 503 (transient) after 5 attempts: the server answered 503");
	fetcher_retry_describe(out, sizeof(out), FETCH_TLS, 0, 1, "bad certificate");
	assert_string_equal(out, "tls (permanent) after 1 attempt: bad certificate");
}

static const char robots_txt[] = "# comment\n"
				 "User-agent: *\n"
				 "Disallow: /private/\n"
				 "\n"
				 "User-agent: googlebot\n"
				 "Disallow: /\n"
				 "\n"
				 "User-agent: ReportPipe\n"
				 "User-agent: other\n"
				 "Disallow: /reports/draft\n"
				 "Allow: /reports/draft/final\n"
				 "Disallow: /*.pdf$\n"
				 "Disallow: /tmp/*/x\n"
				 "Sitemap: https://example.gov.cn/sitemap.xml\n";

static void
test_robots_groups_and_longest_match(void **state)
{
	(void)state;
	struct fetcher_robots *r =
	    fetcher_robots_parse(robots_txt, strlen(robots_txt), "reportpipe/0.1 (+https://x)");
	/* our own group applies, not "*": /private/ is not disallowed for us */
	assert_true(fetcher_robots_allowed(r, "/private/a.txt"));
	assert_false(fetcher_robots_allowed(r, "/reports/draft-2020.txt"));
	assert_true(fetcher_robots_allowed(r, "/reports/draft/final/a.txt"));
	assert_false(fetcher_robots_allowed(r, "/reports/a.pdf"));
	assert_true(fetcher_robots_allowed(r, "/reports/a.pdf?page=2"));
	assert_false(fetcher_robots_allowed(r, "/tmp/abc/x"));
	assert_true(fetcher_robots_allowed(r, "/tmp/abc/y"));
	assert_true(fetcher_robots_allowed(r, "/robots.txt"));
	fetcher_robots_free(&r);
	assert_null(r);
	fetcher_robots_free(&r);

	r = fetcher_robots_parse(robots_txt, strlen(robots_txt), "SomeBot/2");
	assert_false(fetcher_robots_allowed(r, "/private/a.txt"));
	assert_true(fetcher_robots_allowed(r, "/reports/draft.txt"));
	fetcher_robots_free(&r);

	r = fetcher_robots_new(0);
	assert_false(fetcher_robots_allowed(r, "/"));
	assert_true(fetcher_robots_allowed(r, "/robots.txt"));
	fetcher_robots_free(&r);

	static const char odd[] = "User-agent: *\r\nDisallow:\r\n\0Disallow: /x";
	r = fetcher_robots_parse(odd, sizeof(odd) - 1, "reportpipe");
	assert_true(fetcher_robots_allowed(r, "/x"));
	fetcher_robots_free(&r);
}

static const char index_html[] =
    "<html><head><base href=\"https://gov.example/fz/\"></head><body>"
    "<a href=\"2020.html\">2020年法治政府\n  建设工作报告</a>"
    "<a href=\"/fz/2019.html\" title=\"2019年法治政府建设年度报告\">2019年...</a>"
    "<a href=\"2018-report.html#top\">（全文）</a>"
    "<a href=\"2020.html\">2020年法治政府建设工作报告（重复）</a>"
    "<a href=\"javascript:show('2017')\">2017年法治政府建设工作报告</a>"
    "<a href=\"mailto:a@gov.example\">法治政府建设报告</a>"
    "<a href=\"#x\">法治政府建设报告</a>"
    "<a href=\"file:///etc/passwd\">法治政府建设报告</a>"
    "<a href=\"https://cdn.gov.example/2016.html\">2016年法治政府建设工作报告</a>"
    "<a href=\"https://evil.example/2015.html\">2015年法治政府建设工作报告</a>"
    "<a href=\"other.html\">统计公报</a>"
    "<a href=\"list_2.html\">下一页</a>"
    "</body></html>";

static void
test_index_links_are_resolved_and_filtered(void **state)
{
	(void)state;
	char *allow[] = {"cdn.gov.example"};
	struct source src = {.name = "t",
			     .index = "https://gov.example/fz/list.html",
			     .link_pattern = "法治政府建设.*报告|-report\\.html$",
			     .next_pattern = "下一页",
			     .max_pages = 3,
			     .allow_hosts = allow,
			     .nallow_hosts = 1};
	struct fetcher_index_page p;
	assert_int_equal(fetcher_index_scan(&src, src.index, index_html, strlen(index_html), &p),
			 0);
	static const char *const want[] = {
	    "https://gov.example/fz/2020.html", "https://gov.example/fz/2019.html",
	    "https://gov.example/fz/2018-report.html", "https://cdn.gov.example/2016.html"};
	assert_int_equal(p.nlinks, 4);
	for (size_t i = 0; i < 4; i++)
		assert_string_equal(p.links[i], want[i]);
	assert_string_equal(p.next, "https://gov.example/fz/list_2.html");
	assert_int_equal(p.refused, 5); /* javascript:, mailto:, #x, file:, evil.example */
	fetcher_index_page_release(&p);

	/* the index's host and port, the default port written or not; http on 80 and https on
	 * 443 are one site, any other port is another service */
	assert_true(fetcher_index_host_allowed(&src, "https://GOV.example:443/x"));
	assert_true(fetcher_index_host_allowed(&src, "http://gov.example/x"));
	assert_false(fetcher_index_host_allowed(&src, "http://GOV.example:8080/x"));
	assert_false(fetcher_index_host_allowed(&src, "https://gov.example:8443/x"));
	assert_false(fetcher_index_host_allowed(&src, "http://gov.example:443/x"));
	assert_false(fetcher_index_host_allowed(&src, "https://gov.example.evil.example/x"));
	/* a name in allow_hosts: its default ports; host:port: that port */
	assert_true(fetcher_index_host_allowed(&src, "http://cdn.gov.example/2016.html"));
	assert_true(fetcher_index_host_allowed(&src, "https://CDN.gov.example:443/2016.html"));
	assert_false(fetcher_index_host_allowed(&src, "https://cdn.gov.example:8443/2016.html"));
	char *allow_port[] = {"cdn.gov.example:8443", "[::1]:8080"};
	src.allow_hosts = allow_port;
	src.nallow_hosts = 2;
	assert_true(fetcher_index_host_allowed(&src, "https://cdn.gov.example:8443/2016.html"));
	assert_false(fetcher_index_host_allowed(&src, "https://cdn.gov.example/2016.html"));
	assert_true(fetcher_index_host_allowed(&src, "http://[::1]:8080/x"));
	assert_false(fetcher_index_host_allowed(&src, "http://[::1]/x"));
	src.nallow_hosts = 0;
	assert_false(fetcher_index_host_allowed(&src, "https://cdn.gov.example/2016.html"));
	assert_false(fetcher_index_host_allowed(&src, "not a url"));

	/* not HTML at all still parses to nothing rather than failing the run */
	assert_int_equal(fetcher_index_scan(&src, src.index, "\x00\x01\x02", 3, &p), 0);
	assert_int_equal(p.nlinks, 0);
	fetcher_index_page_release(&p);
}

static void
test_index_refuses_credentials_and_caps_links(void **state)
{
	(void)state;
	static const char html[] =
	    "<html><body>"
	    "<a href=\"https://user:pw@gov.example/fz/1.html\">法治政府建设报告 1</a>"
	    "<a href=\"https://user@gov.example/fz/2.html\">法治政府建设报告 2</a>"
	    "<a href=\"https://gov.example/fz/3.html\">法治政府建设报告 3</a>"
	    "<a href=\"4.html\">法治政府建设报告 4</a>"
	    "<a href=\"3.html\">法治政府建设报告 3 again</a>"
	    "<a href=\"5.html\">法治政府建设报告 5</a>"
	    "<a href=\"6.html\">法治政府建设报告 6</a>"
	    "<a href=\"https://a:b@gov.example/fz/next.html\">下一页</a>"
	    "</body></html>";
	struct source src = {.name = "t",
			     .index = "https://gov.example/fz/list.html",
			     .link_pattern = "法治政府建设",
			     .next_pattern = "下一页",
			     .max_links = 2};
	struct fetcher_index_page p;
	assert_int_equal(fetcher_index_scan(&src, src.index, html, strlen(html), &p), 0);
	assert_int_equal(p.nlinks, 2);
	assert_string_equal(p.links[0], "https://gov.example/fz/3.html");
	assert_string_equal(p.links[1], "https://gov.example/fz/4.html");
	assert_int_equal(p.refused, 2); /* user:pw@ and user@ */
	assert_int_equal(p.cut, 2);	/* 5.html and 6.html; 3.html is no new link */
	assert_null(p.next);		/* credentials in the next page's link too */
	fetcher_index_page_release(&p);

	/* 0 is the default, 1000 */
	src.max_links = 0;
	assert_int_equal(fetcher_index_scan(&src, src.index, html, strlen(html), &p), 0);
	assert_int_equal(p.nlinks, 4);
	assert_int_equal(p.cut, 0);
	fetcher_index_page_release(&p);

	/* the index's own credentials do not pass to its relative links */
	static const char rel[] = "<a href=\"7.html\">法治政府建设报告 7</a>";
	src.index = "https://op:secret@gov.example/fz/list.html";
	assert_int_equal(fetcher_index_scan(&src, src.index, rel, strlen(rel), &p), 0);
	assert_int_equal(p.nlinks, 1);
	assert_string_equal(p.links[0], "https://gov.example/fz/7.html");
	fetcher_index_page_release(&p);
	src.index = "https://gov.example/fz/list.html";

	char why[128];
	assert_int_equal(
	    fetcher_index_check_url(&src, "https://gov.example/x", 1, why, sizeof(why)), 0);
	assert_int_equal(
	    fetcher_index_check_url(&src, "https://u:pw@gov.example/x", 0, why, sizeof(why)), -1);
	assert_null(strstr(why, "pw"));
	assert_int_equal(fetcher_index_check_url(&src, "ftp://gov.example/x", 0, why, sizeof(why)),
			 -1);
	assert_int_equal(
	    fetcher_index_check_url(&src, "https://evil.example/x", 1, why, sizeof(why)), -1);
	assert_int_equal(
	    fetcher_index_check_url(&src, "https://evil.example/x", 0, why, sizeof(why)), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_classes_and_what_is_retried),
	    cmocka_unit_test(test_backoff_doubles_with_jitter_up_to_the_cap),
	    cmocka_unit_test(test_retry_after_seconds_and_dates),
	    cmocka_unit_test(test_describe_names_class_status_and_attempts),
	    cmocka_unit_test(test_robots_groups_and_longest_match),
	    cmocka_unit_test(test_index_links_are_resolved_and_filtered),
	    cmocka_unit_test(test_index_refuses_credentials_and_caps_links),
	};
	return cmocka_run_group_tests_name("fetcher policies", tests, NULL, NULL);
}
