/*
 * parse.c - the parse of one document: format, text, metadata, sections,
 * metrics, in that order.
 *
 * Keeps no state between documents, so any number of workers can run it.
 */
#include "parse.h"
#include "buf.h"
#include "decode.h"
#include "meta.h"
#include "metrics.h"
#include "sections.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

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

/* Refuse what is not text: reportpipe reads plain text here. */
static int
parse_check_format(const unsigned char *data, size_t len, const char *content_type, char *err,
		   size_t errlen)
{
	if (len >= 5 && memcmp(data, "%PDF-", 5) == 0) {
		snprintf(err, errlen, "PDF documents are not supported yet");
		return -1;
	}
	if (len >= 4 && memcmp(data, "PK\x03\x04", 4) == 0) {
		snprintf(err, errlen, "ZIP/DOCX documents are not supported yet");
		return -1;
	}
	if (content_type && *content_type && strncasecmp(content_type, "text/", 5) != 0 &&
	    strncasecmp(content_type, "application/octet-stream", 24) != 0) {
		snprintf(err, errlen, "unsupported content type '%.80s'", content_type);
		return -1;
	}
	return 0;
}

struct doc *
parse_document(const unsigned char *data, size_t len, const char *content_type, char *err,
	       size_t errlen)
{
	char charset[64];
	struct doc *doc;

	if (parse_check_format(data, len, content_type, err, errlen) < 0)
		return NULL;
	doc = doc_new();
	if (content_type)
		doc->content_type = xstrdup(content_type);
	int have_hint = parse_content_charset(content_type, charset, sizeof(charset)) == 0;
	if (decode_text(doc, data, len, have_hint ? charset : NULL) < 0) {
		snprintf(err, errlen, "unknown charset '%s' in content type", charset);
		doc_free(&doc);
		return NULL;
	}
	meta_find(doc);
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
	return doc;
}
