/*
 * format.c - format detection: the Content-Type first, the first bytes
 * (magic numbers, the start of an HTML page) after it.
 *
 * Must never guess a reader for a body it cannot read: a format that is not
 * text, HTML, PDF or DOCX is refused here, with a reason the dead letter
 * keeps, rather than decoded into garbage text.
 */
#include "format.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define PDF_MAGIC_WINDOW 1024 /* %PDF- may follow some junk (PDF 1.7, H.3) */
#define HTML_SNIFF_WINDOW 1024

const char *
format_name(enum format f)
{
	switch (f) {
	case FORMAT_TEXT:
		return "text";
	case FORMAT_HTML:
		return "HTML";
	case FORMAT_PDF:
		return "PDF";
	case FORMAT_DOCX:
		return "DOCX";
	}
	return "unknown";
}

void
format_meta_release(struct format_meta *m)
{
	free(m->title);
	free(m->date);
	free(m->source);
	m->title = m->date = m->source = NULL;
}

/* Does content_type (parameters ignored) equal one of names? */
static int
format_type_is(const char *content_type, const char *const *names)
{
	size_t n = strcspn(content_type, "; \t");
	for (; *names; names++)
		if (strlen(*names) == n && strncasecmp(content_type, *names, n) == 0)
			return 1;
	return 0;
}

static int
format_is_pdf(const unsigned char *data, size_t len)
{
	size_t w = len < PDF_MAGIC_WINDOW ? len : PDF_MAGIC_WINDOW;
	return w >= 5 && memmem(data, w, "%PDF-", 5) != NULL;
}

static int
format_is_zip(const unsigned char *data, size_t len)
{
	return len >= 4 && memcmp(data, "PK\x03\x04", 4) == 0;
}

/* A ZIP whose entries name word/document.xml; docx.c checks it properly. */
static int
format_zip_is_docx(const unsigned char *data, size_t len)
{
	return memmem(data, len, "word/document.xml", 17) != NULL;
}

/* Skip a BOM, white space, <?xml ...?> and comments at p; returns the new offset. */
static size_t
format_skip_prolog(const unsigned char *p, size_t n)
{
	size_t i = 0;
	if (n >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0)
		i = 3;
	for (;;) {
		while (i < n && (p[i] == ' ' || p[i] == '\t' || p[i] == '\r' || p[i] == '\n' ||
				 p[i] == '\f'))
			i++;
		const char *close = NULL;
		if (n - i >= 4 && memcmp(p + i, "<!--", 4) == 0)
			close = "-->";
		else if (n - i >= 2 && memcmp(p + i, "<?", 2) == 0)
			close = "?>";
		if (close == NULL)
			return i;
		const unsigned char *e = memmem(p + i, n - i, close, strlen(close));
		if (e == NULL)
			return n;
		i = (size_t)(e - p) + strlen(close);
	}
}

static int
format_starts_with_ci(const unsigned char *p, size_t n, const char *s)
{
	size_t k = strlen(s);
	return n >= k && strncasecmp((const char *)p, s, k) == 0;
}

/*
 * An HTML page: it starts (after a prolog) with <!doctype html or <html, or,
 * when loose (no content type said otherwise), with a tag that only HTML
 * starts with.
 */
static int
format_is_html(const unsigned char *data, size_t len, int loose)
{
	static const char *const strong[] = {"<!doctype html", "<html", NULL};
	static const char *const weak[] = {"<head", "<body", "<meta",	"<title", "<div",  "<table",
					   "<p>",   "<p ",   "<script", "<style", "<link", "<base",
					   "<br",   "<h1",   "<font",	NULL};
	size_t n = len < HTML_SNIFF_WINDOW ? len : HTML_SNIFF_WINDOW;
	size_t i = format_skip_prolog(data, n);

	for (const char *const *s = strong; *s; s++)
		if (format_starts_with_ci(data + i, n - i, *s))
			return 1;
	if (!loose)
		return 0;
	for (const char *const *s = weak; *s; s++)
		if (format_starts_with_ci(data + i, n - i, *s))
			return 1;
	return 0;
}

/* Formats known by their magic numbers that reportpipe does not read. */
static const char *
format_known_binary(const unsigned char *data, size_t len)
{
	static const struct {
		const char *magic;
		size_t len;
		const char *what;
	} known[] = {
	    {"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1", 8,
	     "a legacy Office document (.doc/.xls, OLE2): not read; ask for PDF or DOCX"},
	    {"\x89PNG", 4, "a PNG image"},
	    {"\xFF\xD8\xFF", 3, "a JPEG image"},
	    {"GIF8", 4, "a GIF image"},
	    {"Rar!", 4, "a RAR archive"},
	    {"7z\xBC\xAF\x27\x1C", 6, "a 7-Zip archive"},
	    {"\x1F\x8B", 2, "a gzip stream"},
	    {"{\\rtf", 5, "an RTF document"},
	    {"%!PS", 4, "a PostScript document"},
	};
	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		if (len >= known[i].len && memcmp(data, known[i].magic, known[i].len) == 0)
			return known[i].what;
	return NULL;
}

/*
 * Control bytes (NUL and the like, not tab, line ends, form feed or ESC)
 * in more than 1% of the first 4 KB: no text in any charset reportpipe
 * reads looks like that, unless it starts with a UTF-16 BOM.
 */
static int
format_looks_binary(const unsigned char *data, size_t len)
{
	size_t n = len < 4096 ? len : 4096, ctl = 0;
	if (len >= 2 &&
	    ((data[0] == 0xFF && data[1] == 0xFE) || (data[0] == 0xFE && data[1] == 0xFF)))
		return 0;
	for (size_t i = 0; i < n; i++)
		if (data[i] < 0x20 && data[i] != '\t' && data[i] != '\n' && data[i] != '\r' &&
		    data[i] != '\f' && data[i] != 0x1B)
			ctl++;
	return ctl * 100 > n;
}

/* Sniff the first bytes; loose when no specific content type was given. */
static int
format_sniff(const unsigned char *data, size_t len, int loose, enum format *out, char *err,
	     size_t errlen)
{
	const char *what;

	if (format_is_pdf(data, len)) {
		*out = FORMAT_PDF;
	} else if (format_is_zip(data, len)) {
		if (!format_zip_is_docx(data, len)) {
			snprintf(err, errlen,
				 "a ZIP archive that is not a DOCX (no word/document.xml)");
			return -1;
		}
		*out = FORMAT_DOCX;
	} else if ((what = format_known_binary(data, len)) != NULL) {
		snprintf(err, errlen, "unsupported format: %s", what);
		return -1;
	} else if (loose && format_looks_binary(data, len)) {
		snprintf(err, errlen, "unsupported format: binary data that is not PDF or DOCX");
		return -1;
	} else {
		*out = format_is_html(data, len, loose) ? FORMAT_HTML : FORMAT_TEXT;
	}
	return 0;
}

int
format_detect(const unsigned char *data, size_t len, const char *content_type, enum format *out,
	      char *err, size_t errlen)
{
	static const char *const html[] = {"text/html", "application/xhtml+xml", NULL};
	static const char *const pdf[] = {"application/pdf", "application/x-pdf",
					  "application/acrobat", NULL};
	static const char *const docx[] = {
	    "application/vnd.openxmlformats-officedocument.wordprocessingml.document", NULL};
	static const char *const zip[] = {"application/zip", "application/x-zip-compressed", NULL};
	static const char *const generic[] = {
	    "application/octet-stream", "binary/octet-stream", "application/force-download",
	    "application/download", "application/x-download", "application/zip",
	    "application/x-zip-compressed", "application/unknown",
	    /* Word files, old or new, are served as either */
	    "application/msword", "application/vnd.ms-word", NULL};
	const char *ct = content_type;

	while (ct && (*ct == ' ' || *ct == '\t'))
		ct++;
	if (ct && format_type_is(ct, zip) && !format_is_zip(data, len)) {
		snprintf(err, errlen, "served as %.60s, but the body is not a ZIP archive", ct);
		return -1;
	}
	if (ct == NULL || *ct == '\0' || format_type_is(ct, generic))
		return format_sniff(data, len, 1, out, err, errlen);
	if (format_type_is(ct, pdf)) {
		if (!format_is_pdf(data, len)) {
			snprintf(err, errlen, "served as %.60s, but the body is not a PDF", ct);
			return -1;
		}
		*out = FORMAT_PDF;
		return 0;
	}
	if (format_type_is(ct, docx)) {
		if (!format_is_zip(data, len)) {
			snprintf(err, errlen, "served as DOCX, but the body is not a ZIP archive");
			return -1;
		}
		return format_sniff(data, len, 0, out, err, errlen);
	}
	if (format_type_is(ct, html)) {
		/* a binary body under an HTML label is still that binary */
		if (format_sniff(data, len, 0, out, err, errlen) < 0)
			return -1;
		if (*out == FORMAT_TEXT)
			*out = FORMAT_HTML;
		return 0;
	}
	if (strncasecmp(ct, "text/", 5) == 0)
		return format_sniff(data, len, 0, out, err, errlen);
	snprintf(err, errlen, "unsupported content type '%.80s'", ct);
	return -1;
}
