/*
 * parse.c - the parse of one document: format, text, metadata, sections,
 * metrics, in that order.
 *
 * Keeps no state between documents, so any number of workers can run it.
 * Must never let a format's own metadata (HTML <meta> tags, document
 * properties) override what the text itself says: it only fills gaps.
 */
#include "parse.h"
#include "buf.h"
#include "decode.h"
#include "docx.h"
#include "format.h"
#include "genre.h"
#include "gov_body.h"
#include "html.h"
#include "meta.h"
#include "metrics.h"
#include "metrics_key.h"
#include "metrics_table.h"
#include "pdf.h"
#include "region.h"
#include "sections.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define BODY_NAME_MAX 90 /* bytes: thirty Chinese characters */

int
parse_content_charset(const char *content_type, char *out, size_t outlen)
{
	const char *p;

	if (content_type == NULL || (p = strcasestr(content_type, "charset=")) == NULL)
		return -1;
	p += strlen("charset=");
	if (*p == '"' || *p == '\'')
		p++;
	size_t n = 0;
	while (p[n] && (isalnum((unsigned char)p[n]) || p[n] == '-' || p[n] == '_' || p[n] == ':'))
		n++;
	if (n == 0 || n >= outlen)
		return -1;
	memcpy(out, p, n);
	out[n] = '\0';
	return 0;
}

/* Does s name a government body (ends as their names do), as a CMS's ContentSource may? */
static int
parse_is_body(const char *s)
{
	size_t n = strlen(s);
	if (n < 6 || n > BODY_NAME_MAX)
		return 0;
	size_t k = gov_body_end_utf8(s, n);
	return k > 0 && n > k;
}

/* A date written as CMSes write PubDate ("2020-12-18 16:42"), into out; 0 or -1. */
static int
parse_meta_date(const char *s, char out[11])
{
	struct doc *tmp = doc_new();
	int rc = -1;
	if (decode_text(tmp, (const unsigned char *)s, strlen(s), "UTF-8") == 0 &&
	    meta_date_at(tmp->text.cp, tmp->text.len, out) > 0)
		rc = 0;
	doc_free(&tmp);
	return rc;
}

/*
 * Whether an index link's text can stand as a title: a few words at least
 * (下载, 详情, 查看 are no title) and no more than a title's length.
 */
static int
parse_is_link_title(const char *s)
{
	size_t n = s ? strlen(s) : 0;
	return n >= 18 && n <= 600; /* six to two hundred CJK characters in UTF-8 */
}

/* Fill what the text did not give from the format's metadata; never override it. */
static void
parse_fill_meta(struct doc *doc, const struct format_meta *fm)
{
	if (doc->title == NULL && fm->title) {
		doc->title = xstrdup(fm->title);
		if (doc->report_year == 0)
			doc->report_year = meta_title_year(doc->title);
	}
	if (doc->published_on[0] == '\0' && fm->date)
		parse_meta_date(fm->date, doc->published_on);
	if (doc->issuer == NULL && fm->source && parse_is_body(fm->source))
		doc->issuer = xstrdup(fm->source);
}

struct doc *
parse_document_opts(const unsigned char *data, size_t len, const struct parse_options *opts,
		    char *err, size_t errlen)
{
	const char *content_type = opts ? opts->content_type : NULL;
	const char *xpath = opts ? opts->content_xpath : NULL;
	struct format_meta fm = {0};
	char charset[64];
	enum format f;
	int rc = -1;

	if (format_detect(data, len, content_type, &f, err, errlen) < 0)
		return NULL;
	const char *hint =
	    parse_content_charset(content_type, charset, sizeof(charset)) == 0 ? charset : NULL;
	struct doc *doc = doc_new();
	if (content_type)
		doc->content_type = xstrdup(content_type);
	switch (f) {
	case FORMAT_TEXT:
		rc = decode_text(doc, data, len, hint);
		if (rc < 0)
			snprintf(err, errlen, "unknown charset '%s' in content type", charset);
		break;
	case FORMAT_HTML:
		rc = html_parse(doc, data, len, hint, xpath, &fm, err, errlen);
		break;
	case FORMAT_PDF:
		rc = pdf_parse(doc, data, len, &fm, err, errlen);
		break;
	case FORMAT_DOCX:
		rc = docx_parse(doc, data, len, &fm, err, errlen);
		break;
	}
	/* from here on the document holds all it needs: data is not read again */
	if (opts && opts->input_done)
		opts->input_done(opts->input_done_arg);
	if (rc < 0) {
		format_meta_release(&fm);
		doc_free(&doc);
		return NULL;
	}
	meta_find(doc);
	if (fm.title == NULL && opts && parse_is_link_title(opts->link_text))
		fm.title = xstrdup(opts->link_text); /* the page said nothing: what linked to it */
	parse_fill_meta(doc, &fm);
	format_meta_release(&fm);
	if (sections_find(doc) == 0 && doc->text.len > 0) {
		/* no markers: the whole text is one root section */
		doc->sections = xcalloc(1, sizeof(struct section));
		doc->nsections = 1;
		struct section *s = &doc->sections[0];
		snprintf(s->path, sizeof(s->path), "1");
		s->level = 1;
		s->parent = -1;
		s->heading = xstrdup(doc->title ? doc->title : "");
		s->start = 0;
		s->end = doc->text.len;
	}
	metrics_find(doc);
	metrics_table_find(doc);
	genre_find(doc);
	region_find(doc);
	meta_title_made(doc);
	metrics_key_find(doc);
	return doc;
}

struct doc *
parse_document(const unsigned char *data, size_t len, const char *content_type, char *err,
	       size_t errlen)
{
	struct parse_options opts = {.content_type = content_type};
	return parse_document_opts(data, len, &opts, err, errlen);
}
