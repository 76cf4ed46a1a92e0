/*
 * doc.c - lifetime of a parsed document and small helpers over its text.
 */
#include "doc.h"
#include "buf.h"

#include <stdarg.h>
#include <stdlib.h>

struct doc *
doc_new(void)
{
	return xcalloc(1, sizeof(struct doc));
}

void
doc_free(struct doc **docp)
{
	struct doc *doc = *docp;
	if (doc == NULL)
		return;
	free(doc->url);
	free(doc->sha256);
	free(doc->content_type);
	free(doc->charset);
	free(doc->title);
	free(doc->issuer);
	free(doc->region_name);
	free(doc->text.cp);
	for (size_t i = 0; i < doc->nsections; i++)
		free(doc->sections[i].heading);
	free(doc->sections);
	for (size_t i = 0; i < doc->nmetrics; i++) {
		free(doc->metrics[i].label);
		free(doc->metrics[i].unit);
	}
	free(doc->metrics);
	for (size_t i = 0; i < doc->nwarnings; i++)
		free(doc->warnings[i]);
	free(doc->warnings);
	free(doc);
	*docp = NULL;
}

void
doc_warn(struct doc *doc, const char *fmt, ...)
{
	struct buf b = {0};
	va_list ap;
	va_start(ap, fmt);
	int n = buf_vprintf(&b, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	doc->warnings = xreallocarray(doc->warnings, doc->nwarnings + 1, sizeof(char *));
	doc->warnings[doc->nwarnings++] = buf_take(&b);
}

char *
text_utf8(const struct text *t, size_t start, size_t end)
{
	struct buf b = {0};
	if (end > t->len)
		end = t->len;
	buf_reserve(&b, start < end ? (end - start) * 3 : 0);
	for (size_t i = start; i < end; i++)
		buf_put_utf8(&b, t->cp[i]);
	return buf_take(&b);
}

const char *
qualifier_name(enum qualifier q)
{
	switch (q) {
	case QUAL_APPROX:
		return "approx";
	case QUAL_OVER:
		return "over";
	case QUAL_MAX:
		return "max";
	case QUAL_MIN:
		return "min";
	case QUAL_NONE:
		break;
	}
	return NULL;
}

const char *
measure_name(enum measure m)
{
	switch (m) {
	case MEASURE_CHANGE:
		return "change";
	case MEASURE_GROWTH:
		return "growth";
	case MEASURE_SHARE:
		return "share";
	case MEASURE_LEVEL:
		break;
	}
	return "level";
}
