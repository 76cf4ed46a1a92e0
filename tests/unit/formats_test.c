/*
 * formats_test.c - reports as they are published (format.c, html*.c, pdf.c,
 * docx.c and the charset order in decode.c), through parse_document().
 *
 * The fixtures in tests/fixtures/formats are the seed report made into a
 * GBK CMS page, an old UTF-8 page, a PDF and a DOCX by make-fixtures.sh.
 * Hostile inputs (a 20 MB page nested 10 000 deep, a truncated PDF, a ZIP
 * that is no DOCX, charsets that lie) are made here.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "buf.h"
#include "doc.h"
#include "format.h"
#include "html.h"
#include "parse.h"
#include "testutil.h"

#include <iconv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <zip.h>

#define FIXTURES "tests/fixtures/formats/shaoguan-2020-fazhi"
#define TITLE "韶关市人民政府关于2020年度法治政府建设工作的报告"

/* Chrome of the CMS fixture page: none of it may reach doc->text. */
static const char *const chrome[] = {
    "当前位置",	    "分享到",	"QQ空间",   "微博",	"主办", "ICP备",	  "无障碍浏览",
    "长者模式",	    "打印本页", "关闭窗口", "相关文章", "_hmt", "document.write", "欢迎访问",
    "请输入关键字", "浏览次数", "版权所有", "政务公开", "搜索", "line-height",	  "2019年度",
    "发布日期",	    "走进韶关", "push.js",  NULL};

static struct doc *
parse_ok(const void *data, size_t len, const char *content_type, const char *xpath)
{
	char err[256] = "";
	struct parse_options opts = {.content_type = content_type, .content_xpath = xpath};
	struct doc *doc = parse_document_opts(data, len, &opts, err, sizeof(err));
	if (doc == NULL)
		fail_msg("parse failed: %s", err);
	return doc;
}

static struct doc *
parse_file(const char *path, const char *content_type)
{
	size_t len;
	char *data = testutil_read_file(path, &len);
	if (data == NULL)
		fail_msg("cannot read %s", path);
	struct doc *doc = parse_ok(data, len, content_type, NULL);
	free(data);
	return doc;
}

/* Parse that must fail; returns the reason (static). */
static const char *
parse_fails(const void *data, size_t len, const char *content_type)
{
	static char err[256];
	err[0] = '\0';
	struct doc *doc = parse_document(data, len, content_type, err, sizeof(err));
	if (doc != NULL) {
		doc_free(&doc);
		fail_msg("parsed, expected a refusal");
	}
	assert_true(err[0] != '\0');
	return err;
}

static char *
text_of(const struct doc *doc)
{
	return text_utf8(&doc->text, 0, doc->text.len);
}

static int
has_warning(const struct doc *doc, const char *part)
{
	for (size_t i = 0; i < doc->nwarnings; i++)
		if (strstr(doc->warnings[i], part))
			return 1;
	return 0;
}

static void
expect_no_chrome(const char *path, const char *const *strings)
{
	struct doc *doc = parse_file(path, NULL);
	char *t = text_of(doc);
	const char *found = NULL;
	for (const char *const *s = strings; *s && !found; s++)
		if (strstr(t, *s))
			found = *s;
	int body = strstr(t, "坚定“四个自信”") != NULL && strstr(t, "2020年12月18日") != NULL;
	free(t);
	doc_free(&doc);
	if (found)
		fail_msg("%s: chrome '%s' is in the text", path, found);
	assert_true(body);
}

static void
test_html_cms_page_gbk(void **state)
{
	(void)state;
	expect_no_chrome(FIXTURES ".gbk.html", chrome);
	struct doc *doc = parse_file(FIXTURES ".gbk.html", NULL);
	assert_string_equal(doc->charset, "gb2312"); /* as declared, decoded as GB18030 */
	assert_string_equal(doc->title, TITLE);
	assert_string_equal(doc->published_on, "2020-12-18");
	char *t = text_of(doc);
	assert_non_null(strstr(t, "法援惠民生•助力农民工")); /* &#8226; outside GBK */
	assert_int_equal(strncmp(t, TITLE "\n", strlen(TITLE) + 1),
			 0); /* title from ArticleTitle */
	free(t);
	doc_free(&doc);
}

static void
test_html_old_page_utf8_undeclared(void **state)
{
	(void)state;
	static const char *const old_chrome[] = {"政府信息公开指南", "依申请公开", "版权所有",
						 "技术支持", NULL};
	expect_no_chrome(FIXTURES ".utf8.html", old_chrome);
	struct doc *doc = parse_file(FIXTURES ".utf8.html", "text/html");
	assert_string_equal(doc->charset, "UTF-8");
	assert_string_equal(doc->title, TITLE);
	assert_int_equal(doc->nwarnings, 0);
	doc_free(&doc);
}

/* Convert UTF-8 to charset; caller frees. */
static char *
convert(const char *charset, const char *text, size_t *outlen)
{
	iconv_t cd = iconv_open(charset, "UTF-8");
	assert_true(cd != (iconv_t)-1);
	size_t inleft = strlen(text), cap = inleft * 4 + 8, oleft = cap;
	char *out = malloc(cap), *in = (char *)text, *o = out;
	assert_non_null(out);
	assert_int_not_equal(iconv(cd, &in, &inleft, &o, &oleft), (size_t)-1);
	iconv_close(cd);
	*outlen = cap - oleft;
	return out;
}

#define BODY_TEXT "全年行政机关负责人出庭应诉率为86%，办理行政复议案件120件。"

/* A page with meta (a <meta> tag or ""), the body text, in charset (NULL: UTF-8). */
static char *
page(const char *meta, const char *charset, size_t *len)
{
	struct buf b = {0};
	buf_printf(&b, "<html><head>%s<title>报告</title></head><body><p>%s</p></body></html>",
		   meta, BODY_TEXT);
	if (charset == NULL) {
		*len = b.len;
		return buf_take(&b);
	}
	char *out = convert(charset, b.data, len);
	buf_release(&b);
	return out;
}

static void
expect_charset(const char *meta, const char *bytes_in, const char *content_type,
	       const char *charset, const char *warning)
{
	size_t len;
	char *data = page(meta, bytes_in, &len);
	struct doc *doc = parse_ok(data, len, content_type, NULL);
	char *t = text_of(doc);
	char why[512] = "";
	if (strcmp(doc->charset, charset) != 0)
		snprintf(why, sizeof(why), "charset %s, expected %s", doc->charset, charset);
	else if (strstr(t, BODY_TEXT) == NULL)
		snprintf(why, sizeof(why), "text '%s' lost the body", t);
	else if (warning ? !has_warning(doc, warning) : doc->nwarnings != 0)
		snprintf(why, sizeof(why), "%zu warnings, first '%s'; expected '%s'",
			 doc->nwarnings, doc->nwarnings ? doc->warnings[0] : "",
			 warning ? warning : "none");
	free(t);
	free(data);
	doc_free(&doc);
	if (why[0])
		fail_msg("meta '%s', bytes %s, served as '%s': %s", meta,
			 bytes_in ? bytes_in : "UTF-8", content_type ? content_type : "(none)",
			 why);
}

static void
test_charset_order(void **state)
{
	(void)state;
	const char *gbk_meta =
	    "<meta http-equiv=\"Content-Type\" content=\"text/html; charset=gbk\">";
	/* the HTTP charset first */
	expect_charset(gbk_meta, "GBK", "text/html; charset=GB18030", "GB18030", NULL);
	/* then the <meta>, also in its lenient spellings */
	expect_charset(gbk_meta, "GBK", "text/html", "gbk", NULL);
	expect_charset("<META HTTP-EQUIV=Content-Type CONTENT='text/html;charset = GB2312'>", "GBK",
		       NULL, "GB2312", NULL);
	expect_charset("<meta charset=gbk/>", "GBK", NULL, "gbk", NULL);
	/* then detection, GB18030 for the GB family */
	expect_charset("", "GBK", NULL, "GB18030", NULL);
	expect_charset("", NULL, NULL, "UTF-8", NULL);
	/* a <meta> that lies: the body is UTF-8 */
	expect_charset(gbk_meta, NULL, NULL, "UTF-8", "contradicts the body");
	/* an HTTP charset that lies: the GBK body decodes by its <meta>, or by detection */
	expect_charset(gbk_meta, "GBK", "text/html; charset=utf-8", "gbk", "does not fit");
	expect_charset("", "GBK", "text/html; charset=utf-8", "GB18030", "does not fit");

	/* a BOM comes after the HTTP charset but before the <meta> */
	size_t len;
	char *body = page("<meta charset=\"gbk\">", NULL, &len);
	struct buf b = {0};
	buf_append(&b, "\xEF\xBB\xBF", 3);
	buf_append(&b, body, len);
	struct doc *doc = parse_ok(b.data, b.len, "text/html", NULL);
	assert_string_equal(doc->charset, "UTF-8");
	doc_free(&doc);
	buf_release(&b);
	free(body);

	/* an unknown charset in a <meta> is only a warning; in the Content-Type, an error */
	body = page("<meta charset=\"x-no-such\">", NULL, &len);
	doc = parse_ok(body, len, NULL, NULL);
	assert_true(has_warning(doc, "unknown charset 'x-no-such'"));
	doc_free(&doc);
	assert_non_null(
	    strstr(parse_fails(body, len, "text/html; charset=x-no-such"), "x-no-such"));
	free(body);
}

static void
test_meta_charset_scan(void **state)
{
	(void)state;
	char cs[64];
#define SCAN(s) html_meta_charset((const unsigned char *)(s), strlen(s), cs, sizeof(cs))
	assert_int_equal(SCAN("<html><head><meta charset=\"utf-8\"></head>"), 0);
	assert_string_equal(cs, "utf-8");
	assert_int_equal(SCAN("<meta content=\"text/html; charset=gb2312\" http-equiv=x>"), 0);
	assert_string_equal(cs, "gb2312");
	assert_int_equal(SCAN("<?xml version=\"1.0\" encoding=\"GBK\"?><html>"), 0);
	assert_string_equal(cs, "GBK");
	/* a commented-out declaration and one outside any <meta> do not count */
	assert_int_equal(SCAN("<!-- <meta charset=big5> --><p>charset=gbk</p>"), -1);
	assert_int_equal(SCAN("<meta name=\"keywords\" content=\"报告\">"), -1);
	assert_int_equal(SCAN("<meta charset="), -1);
#undef SCAN
}

static void
test_html_blocks_and_tables(void **state)
{
	(void)state;
	const char *html =
	    "<html><body><div class=\"nav\"><a href=\"/\">首页</a><a href=\"/a\">新闻</a></div>"
	    "<div id=\"main\"><p>一、总体情况</p><p>全年办理行政复议案件120件，同比增长5%。"
	    "<br>办结率为98%，较上年提高2个百分点。</p><div>二、存在问题</div>"
	    "<ul><li>执法能力有待提升，培训不够。</li><li>宣传力度不足，覆盖面不广。</li></ul>"
	    "<table><tr><th>项目</th><th>数量</th></tr><tr><td>行政复议</td><td><p>120</p><p>件"
	    "</p></td></tr></table><script>var x = '脚本文字';</script>"
	    "<style>p{color:red}</style></div><footer>版权所有 某某政府</footer></body></html>";
	struct doc *doc = parse_ok(html, strlen(html), "text/html; charset=utf-8", NULL);
	char *t = text_of(doc);
	const char *want = "一、总体情况\n全年办理行政复议案件120件，同比增长5%。\n"
			   "办结率为98%，较上年提高2个百分点。\n二、存在问题\n"
			   "执法能力有待提升，培训不够。\n宣传力度不足，覆盖面不广。\n"
			   "项目\t数量\n行政复议\t120 件\n";
	int ok = strcmp(t, want) == 0;
	if (!ok)
		print_message("got:\n%s\nwant:\n%s\n", t, want);
	free(t);
	assert_int_equal(doc->nsections, 2);
	doc_free(&doc);
	assert_true(ok);
}

static void
test_content_xpath(void **state)
{
	(void)state;
	/* a sidebar that outscores the report: the source's content_xpath overrides it */
	const char *html =
	    "<html><body><div "
	    "id=\"side\"><p>通知公告：关于开展调研的通知，请各单位于本月底前报送材料，"
	    "逾期不报的，予以通报；联系人：张三，电话：12345。</p><p>其他事项：另行通知，请留意。"
	    "</p></div><div id=\"zoom\"><p>全年办理案件120件。</p></div></body></html>";
	struct doc *doc = parse_ok(html, strlen(html), "text/html", "//div[@id='zoom']");
	char *t = text_of(doc);
	assert_string_equal(t, "全年办理案件120件。\n");
	free(t);
	doc_free(&doc);

	/* a bad or empty XPath: a warning, and the content found by scoring */
	doc = parse_ok(html, strlen(html), "text/html", "//div[");
	assert_true(has_warning(doc, "not a valid XPath"));
	doc_free(&doc);
	doc = parse_ok(html, strlen(html), "text/html", "//article");
	assert_true(has_warning(doc, "selects nothing"));
	t = text_of(doc);
	assert_non_null(strstr(t, "通知公告"));
	free(t);
	doc_free(&doc);
}

static void
test_html_meta_fills_gaps_only(void **state)
{
	(void)state;
	/* the text gives no title, date or issuer: the CMS tags do */
	const char *bare = "<html><head><meta name=\"ArticleTitle\" content=\"某市2021年统计公报\">"
			   "<meta name=\"PubDate\" content=\"2022-03-01 09:30\">"
			   "<meta name=\"ContentSource\" content=\"某市统计局\"></head>"
			   "<body><p>全年地区生产总值增长6%，就业形势稳定。</p></body></html>";
	struct doc *doc = parse_ok(bare, strlen(bare), "text/html", NULL);
	assert_string_equal(doc->title, "某市2021年统计公报");
	assert_int_equal(doc->report_year, 2021);
	assert_string_equal(doc->published_on, "2022-03-01");
	assert_string_equal(doc->issuer, "某市统计局");
	doc_free(&doc);

	/* the signature date and the title's issuer win over PubDate and ContentSource */
	const char *full =
	    "<html><head><meta name=\"PubDate\" content=\"2021-01-05\">"
	    "<meta name=\"ContentSource\" content=\"某市司法局\"></head><body><div>"
	    "<p>某市人民政府关于2020年度法治政府建设工作的报告</p>"
	    "<p>全年办理行政复议案件120件，同比增长5%。</p><p>某市人民政府</p><p>2020年12月18日</p>"
	    "</div></body></html>";
	doc = parse_ok(full, strlen(full), "text/html", NULL);
	assert_string_equal(doc->issuer, "某市人民政府");
	assert_string_equal(doc->published_on, "2020-12-18");
	doc_free(&doc);

	/* the site's logo in an <h1> is not the title; the article's <h1> is */
	const char *logo =
	    "<html><head><title>门户网站</title></head><body><div class=\"top\">"
	    "<h1><a href=\"/\">某市人民政府门户网站</a></h1></div><div class=\"t\">"
	    "<h1>某市2021年统计公报</h1></div><div class=\"c\"><p>全年地区生产总值"
	    "增长6%，就业形势稳定。</p><p>粮食产量增长2%，物价平稳。</p></div></body></html>";
	doc = parse_ok(logo, strlen(logo), NULL, NULL);
	assert_string_equal(doc->title, "某市2021年统计公报");
	doc_free(&doc);
}

static double
now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Parse, timed; returns the document or NULL with err set. */
static struct doc *
parse_timed(const struct buf *b, double *secs, char *err, size_t errlen)
{
	double t0 = now_s();
	err[0] = '\0';
	struct doc *doc = parse_document((const unsigned char *)b->data, b->len, NULL, err, errlen);
	*secs = now_s() - t0;
	if (doc == NULL)
		assert_true(err[0] != '\0');
	return doc;
}

static void
test_html_20mb_nested_10000_deep(void **state)
{
	(void)state;
	const size_t target = 20u << 20;
	struct buf b = {0};
	buf_reserve(&b, target + 200000);
	buf_puts(&b, "<html><body>");
	for (int i = 0; i < 10000; i++)
		buf_puts(&b, i % 2 ? "<div>" : "<span><div class=\"c\">");
	while (b.len < target - 100000)
		buf_puts(
		    &b,
		    "<p>坚持依法行政，加快建设法治政府，<b>全面</b>推进严格规范公正文明执法。</p>");
	for (int i = 0; i < 10000; i++)
		buf_puts(&b, i % 2 ? "</div>" : "</div></span>");
	buf_puts(&b, "</body></html>");

	char err[256];
	double secs;
	struct doc *doc = parse_timed(&b, &secs, err, sizeof(err));
	buf_release(&b);
	print_message("20 MB, 10 000 deep: %.1f s, %s\n", secs, doc ? "parsed" : err);
	size_t len = doc ? doc->text.len : 0;
	doc_free(&doc);
	assert_true(len > 5000000); /* all of it: the walks go to any depth */
	assert_true(secs < 60);	    /* under ASan; about 3 s optimised */
}

static void
test_html_nesting_beyond_reason(void **state)
{
	(void)state;
	/* 300 000 unclosed tables, then end tags libxml2 would search the stack for */
	struct buf b = {0};
	buf_puts(&b, "<html><body><div><p>依法行政，建设法治政府。</p>");
	for (int i = 0; i < 100000; i++)
		buf_puts(&b, "<table><tr><td><p>坚持依法行政。</p>");
	for (int i = 0; i < 20000; i++)
		buf_puts(&b, "</div></span>");
	buf_puts(&b, "</body></html>");

	char err[256];
	double secs, mb = (double)b.len / 1048576;
	struct doc *doc = parse_timed(&b, &secs, err, sizeof(err));
	buf_release(&b);
	print_message("%.1f MB, 300 000 deep: %.1f s, %s\n", mb, secs, doc ? "best effort" : err);
	int warned = doc && has_warning(doc, "nests too deep");
	doc_free(&doc);
	assert_true(warned || strstr(err, "nests too deep"));
	assert_true(secs < 20);
}

static void
test_pdf_fixture(void **state)
{
	(void)state;
	struct doc *doc = parse_file(FIXTURES ".pdf", "application/pdf");
	char *t = text_of(doc);
	assert_null(strstr(t, "韶关市人民政府文件")); /* the running header */
	assert_null(strstr(t, "-1-"));		      /* a page number */
	assert_null(strstr(t, "2020 年"));	      /* poppler's spaces around Latin text */
	/* a sentence broken over lines (and over pages) is whole again */
	assert_non_null(strstr(t, "坚定“四个自信”"));
	assert_non_null(strstr(t, "有序推进乡镇街道体制改革"));
	assert_int_equal(strncmp(t, "韶关市人民政府关于2020年度法治政府\n建设工作的报告\n", 72), 0);
	free(t);
	assert_null(doc->charset);
	assert_string_equal(doc->title, TITLE);
	doc_free(&doc);
}

static void
test_pdf_damaged(void **state)
{
	(void)state;
	size_t len;
	char *pdf = testutil_read_file(FIXTURES ".pdf", &len);
	assert_non_null(pdf);
	/* truncated anywhere: a reason or a best-effort text, never a crash */
	static const double cut[] = {0.0005, 0.01, 0.3, 0.5, 0.9, 0.999};
	for (size_t i = 0; i < sizeof(cut) / sizeof(cut[0]); i++) {
		char err[256] = "";
		size_t n = (size_t)((double)len * cut[i]);
		struct doc *doc =
		    parse_document((const unsigned char *)pdf, n, NULL, err, sizeof(err));
		print_message("PDF cut to %zu bytes: %s\n", n, doc ? "best effort" : err);
		if (doc == NULL)
			assert_true(err[0] != '\0');
		doc_free(&doc);
	}
	/* a body served as PDF that is not one */
	assert_non_null(strstr(parse_fails("<html>", 6, "application/pdf"), "not a PDF"));
	assert_non_null(strstr(parse_fails("%PDF-1.4\n%%EOF", 14, NULL), "PDF"));
	free(pdf);
}

static void
test_docx_fixture(void **state)
{
	(void)state;
	struct doc *doc = parse_file(FIXTURES ".docx", NULL);
	char *t = text_of(doc);
	assert_int_equal(strncmp(t, "韶关市人民政府关于2020年度法治政府\n建设工作的报告\n", 72), 0);
	assert_null(strstr(t, "韶关市人民政府文件")); /* the header part is not the body */
	free(t);
	assert_string_equal(doc->title, TITLE);
	assert_true(doc->nsections > 20);
	doc_free(&doc);
}

/* A ZIP with the given entries (name, content pairs, NULL-terminated), read into memory. */
static char *
make_zip(const char *const *entries, size_t *len)
{
	char path[] = "/tmp/formats_test_XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	int zerr;
	zip_t *za = zip_open(path, ZIP_CREATE | ZIP_TRUNCATE, &zerr);
	assert_non_null(za);
	for (size_t i = 0; entries[i]; i += 2) {
		zip_source_t *s = zip_source_buffer(za, entries[i + 1], strlen(entries[i + 1]), 0);
		assert_true(zip_file_add(za, entries[i], s, ZIP_FL_OVERWRITE) >= 0);
	}
	assert_int_equal(zip_close(za), 0);
	char *data = testutil_read_file(path, len);
	unlink(path);
	assert_non_null(data);
	return data;
}

static void
test_docx_refusals(void **state)
{
	(void)state;
	static const char *const not_docx[] = {"readme.txt", "一份报告", "xl/workbook.xml", "<x/>",
					       NULL};
	size_t len;
	char *zip = make_zip(not_docx, &len);
	assert_non_null(strstr(parse_fails(zip, len, NULL), "not a DOCX"));
	assert_non_null(strstr(parse_fails(zip, len,
					   "application/vnd.openxmlformats-"
					   "officedocument.wordprocessingml.document"),
			       "not a DOCX"));
	free(zip);

	/* word/document.xml that is not XML: a best effort (recovered) or a reason */
	static const char *const broken[] = {"word/document.xml",
					     "<w:document><w:body><w:p><w:r>"
					     "<w:t>全年办理案件120件。",
					     NULL};
	zip = make_zip(broken, &len);
	char err[256] = "";
	struct doc *doc = parse_document((const unsigned char *)zip, len, NULL, err, sizeof(err));
	assert_true(doc != NULL || err[0] != '\0');
	doc_free(&doc);
	/* a truncated archive */
	doc = parse_document((const unsigned char *)zip, len / 2, NULL, err, sizeof(err));
	assert_true(doc != NULL || err[0] != '\0');
	doc_free(&doc);
	free(zip);
}

static void
test_format_detection(void **state)
{
	(void)state;
	enum format f;
	char err[256];
#define DETECT(data, ct)                                                                           \
	format_detect((const unsigned char *)(data), sizeof(data) - 1, (ct), &f, err, sizeof(err))
	assert_int_equal(DETECT("%PDF-1.7\n", NULL), 0);
	assert_int_equal(f, FORMAT_PDF);
	assert_int_equal(DETECT("%PDF-1.7\n", "application/octet-stream"), 0);
	assert_int_equal(f, FORMAT_PDF);
	assert_int_equal(DETECT("%PDF-1.7\n", "text/html; charset=utf-8"), 0);
	assert_int_equal(f, FORMAT_PDF);
	assert_int_equal(DETECT("  <!DOCTYPE html><html>", NULL), 0);
	assert_int_equal(f, FORMAT_HTML);
	assert_int_equal(DETECT("<!-- CMS --><HTML>", "text/plain"), 0);
	assert_int_equal(f, FORMAT_HTML);
	assert_int_equal(DETECT("<div>报告</div>", NULL), 0);
	assert_int_equal(f, FORMAT_HTML);
	assert_int_equal(DETECT("一、总体情况", "text/html"), 0);
	assert_int_equal(f, FORMAT_HTML);
	assert_int_equal(DETECT("一、总体情况", NULL), 0);
	assert_int_equal(f, FORMAT_TEXT);
	assert_int_equal(DETECT("<div>报告</div>", "text/plain"), 0);
	assert_int_equal(f, FORMAT_TEXT);
	assert_int_equal(DETECT("PK\x03\x04....word/document.xml", NULL), 0);
	assert_int_equal(f, FORMAT_DOCX);
	assert_int_equal(DETECT("PK\x03\x04....xl/workbook.xml", NULL), -1);
	assert_int_equal(DETECT("\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1", NULL), -1);
	assert_non_null(strstr(err, "legacy Office"));
	assert_int_equal(DETECT("\x89PNG\r\n", "image/png"), -1);
	assert_non_null(strstr(err, "image/png"));
	assert_int_equal(DETECT("\x89PNG\r\n", NULL), -1);
	/* servers label .doc and .docx alike: the bytes decide */
	assert_int_equal(DETECT("\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1", "application/msword"), -1);
	assert_int_equal(DETECT("PK\x03\x04....word/document.xml", "application/msword"), 0);
	assert_int_equal(f, FORMAT_DOCX);
	/* unknown binary is refused unless served as text; UTF-16 with its BOM is text */
	assert_int_equal(DETECT("\x01\x02\x00\x00\x17\x00\x00\x00\x05\x00", NULL), -1);
	assert_non_null(strstr(err, "binary"));
	assert_int_equal(DETECT("\x01\x02\x00\x00\x17\x00\x00\x00\x05\x00", "text/plain"), 0);
	assert_int_equal(DETECT("\xFF\xFE\x00\x4E\x00\x4E", NULL), 0);
	assert_int_equal(f, FORMAT_TEXT);
	assert_int_equal(DETECT("not a zip", "application/zip"), -1);
	assert_int_equal(DETECT("GIF89a", "application/vnd.ms-excel"), -1);
	assert_non_null(strstr(err, "unsupported content type"));
#undef DETECT
	assert_string_equal(format_name(FORMAT_DOCX), "DOCX");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_html_cms_page_gbk),
	    cmocka_unit_test(test_html_old_page_utf8_undeclared),
	    cmocka_unit_test(test_charset_order),
	    cmocka_unit_test(test_meta_charset_scan),
	    cmocka_unit_test(test_html_blocks_and_tables),
	    cmocka_unit_test(test_content_xpath),
	    cmocka_unit_test(test_html_meta_fills_gaps_only),
	    cmocka_unit_test(test_html_20mb_nested_10000_deep),
	    cmocka_unit_test(test_html_nesting_beyond_reason),
	    cmocka_unit_test(test_pdf_fixture),
	    cmocka_unit_test(test_pdf_damaged),
	    cmocka_unit_test(test_docx_fixture),
	    cmocka_unit_test(test_docx_refusals),
	    cmocka_unit_test(test_format_detection),
	};
	return cmocka_run_group_tests_name("formats", tests, NULL, NULL);
}
