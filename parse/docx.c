/*
 * docx.c - the text of a DOCX report: the paragraphs of word/document.xml
 * (WordprocessingML), read from the ZIP with libzip and parsed with libxml2.
 *
 * Must never trust the archive: an entry is read only up to DOCX_MAX bytes
 * whatever size the archive claims, the XML parser never loads external
 * entities or DTDs nor touches the network, and the tree is walked
 * iteratively, never recursively.
 */
#include "docx.h"
#include "buf.h"
#include "decode.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <zip.h>

#define DOCX_MAX (64u * 1024 * 1024) /* bytes of XML read from one entry */
#define TITLE_MAX 600
#define DOCX_SPAN_MAX 64 /* grid columns one cell may span */

/* Read entry name of za into an owned, NUL-terminated buffer; NULL with a reason. */
static char *
docx_read_entry(zip_t *za, const char *name, size_t *lenp, char *err, size_t errlen)
{
	zip_file_t *zf = zip_fopen(za, name, 0);
	struct buf b = {0};
	char chunk[65536];
	zip_int64_t n;

	if (zf == NULL) {
		snprintf(err, errlen, "cannot open %s in the DOCX: %s", name, zip_strerror(za));
		return NULL;
	}
	while ((n = zip_fread(zf, chunk, sizeof(chunk))) > 0) {
		if (b.len + (size_t)n > DOCX_MAX) {
			snprintf(err, errlen, "%s in the DOCX is larger than %u MB", name,
				 DOCX_MAX >> 20);
			n = -2;
			break;
		}
		buf_append(&b, chunk, (size_t)n);
	}
	if (n < 0) {
		if (n == -1)
			snprintf(err, errlen, "damaged DOCX: cannot read %s: %s", name,
				 zip_file_strerror(zf));
		zip_fclose(zf);
		buf_release(&b);
		return NULL;
	}
	zip_fclose(zf);
	*lenp = b.len;
	buf_reserve(&b, 0);
	return buf_take(&b);
}

static xmlDoc *
docx_read_xml(const char *xml, size_t len)
{
	if (len > DOCX_MAX)
		return NULL;
	return xmlReadMemory(xml, (int)len, "document.xml", NULL,
			     XML_PARSE_RECOVER | XML_PARSE_NONET | XML_PARSE_NOERROR |
				 XML_PARSE_NOWARNING | XML_PARSE_COMPACT);
}

static int
docx_is(const xmlNode *n, const char *name)
{
	return n->type == XML_ELEMENT_NODE && strcmp((const char *)n->name, name) == 0;
}

struct docx_out {
	struct buf *b;
	int cell_depth; /* inside a table cell: paragraph ends are spaces */
	int first_cell;
	int line_text;
};

static void
docx_newline(struct docx_out *o)
{
	if (o->cell_depth) {
		if (o->line_text)
			buf_putc(o->b, ' ');
	} else if (o->line_text) {
		buf_putc(o->b, '\n');
		o->line_text = 0;
	}
}

/* Entering n: write what it holds; returns whether to walk its children. */
static int
docx_enter(struct docx_out *o, const xmlNode *n)
{
	if (n->type == XML_TEXT_NODE || n->type == XML_CDATA_SECTION_NODE) {
		/* only the text of w:t counts: w:instrText, w:delText and the rest do not */
		if (n->parent && docx_is(n->parent, "t") && n->content && *n->content) {
			buf_puts(o->b, (const char *)n->content);
			o->line_text = 1;
		}
		return 0;
	}
	if (n->type != XML_ELEMENT_NODE && n->type != XML_DOCUMENT_NODE)
		return 0;
	if (docx_is(n, "Fallback") || docx_is(n, "del") || docx_is(n, "instrText"))
		return 0; /* the same text again, deleted text, field codes */
	if (docx_is(n, "tab")) {
		buf_putc(o->b, '\t');
		o->line_text = 1;
	} else if (docx_is(n, "br") || docx_is(n, "cr")) {
		docx_newline(o);
	} else if (docx_is(n, "tr")) {
		docx_newline(o);
		o->first_cell = 1;
	} else if (docx_is(n, "tc")) {
		if (!o->first_cell) {
			buf_putc(o->b, '\t');
			o->line_text = 1;
		}
		o->first_cell = 0;
		o->cell_depth++;
	}
	return 1;
}

/* The grid columns a table cell spans (w:tcPr/w:gridSpan), 1 when it says none. */
static int
docx_grid_span(const xmlNode *tc)
{
	for (const xmlNode *p = tc->children; p; p = p->next) {
		if (!docx_is(p, "tcPr"))
			continue;
		for (const xmlNode *g = p->children; g; g = g->next) {
			if (!docx_is(g, "gridSpan"))
				continue;
			xmlChar *v = xmlGetProp(g, (const xmlChar *)"val");
			long k = v ? strtol((const char *)v, NULL, 10) : 1;
			xmlFree(v);
			return k < 1 ? 1 : k > DOCX_SPAN_MAX ? DOCX_SPAN_MAX : (int)k;
		}
	}
	return 1;
}

static void
docx_exit(struct docx_out *o, const xmlNode *n)
{
	if (docx_is(n, "p")) {
		docx_newline(o);
	} else if (docx_is(n, "tc")) {
		if (o->cell_depth)
			o->cell_depth--;
		/* a cell's last paragraph left a space: drop it */
		if (o->b->len && o->b->data[o->b->len - 1] == ' ')
			o->b->data[--o->b->len] = '\0';
		/* the grid columns a merged cell covers are empty cells, so columns line up */
		for (int k = docx_grid_span(n); k > 1 && !o->cell_depth; k--)
			buf_putc(o->b, '\t');
	} else if (docx_is(n, "tr")) {
		if (!o->cell_depth && o->line_text) {
			buf_putc(o->b, '\n');
			o->line_text = 0;
		}
	}
}

/* Walk the document iteratively: paragraphs to lines. */
static void
docx_text(xmlDoc *xd, struct buf *out)
{
	struct docx_out o = {out, 0, 1, 0};
	xmlNode *root = (xmlNode *)xd, *n = root;

	while (n) {
		int down = docx_enter(&o, n);
		if (down && n->children) {
			n = n->children;
			continue;
		}
		if (down)
			docx_exit(&o, n);
		while (n != root && n->next == NULL) {
			n = n->parent;
			docx_exit(&o, n);
		}
		if (n == root)
			break;
		n = n->next;
	}
	if (o.line_text)
		buf_putc(out, '\n');
}

/* dc:title of docProps/core.xml, when the archive has one. */
static char *
docx_title(zip_t *za)
{
	char err[128];
	size_t len;
	char *xml = docx_read_entry(za, "docProps/core.xml", &len, err, sizeof(err));
	char *title = NULL;
	if (xml == NULL)
		return NULL;
	xmlDoc *xd = docx_read_xml(xml, len);
	free(xml);
	if (xd == NULL)
		return NULL;
	xmlNode *root = xmlDocGetRootElement(xd);
	for (xmlNode *n = root ? root->children : NULL; n; n = n->next) {
		if (docx_is(n, "title") && n->children && n->children->type == XML_TEXT_NODE) {
			const char *t = (const char *)n->children->content;
			if (t && *t && strlen(t) <= TITLE_MAX)
				title = xstrdup(t);
			break;
		}
	}
	xmlFreeDoc(xd);
	return title;
}

int
docx_parse(struct doc *doc, const unsigned char *data, size_t len, struct format_meta *meta,
	   char *err, size_t errlen)
{
	zip_error_t ze;
	zip_source_t *src;
	zip_t *za = NULL;
	struct buf text = {0};
	int rc = -1;

	zip_error_init(&ze);
	src = zip_source_buffer_create(data, len, 0, &ze);
	if (src == NULL || (za = zip_open_from_source(src, ZIP_RDONLY, &ze)) == NULL) {
		snprintf(err, errlen, "not a readable ZIP archive: %s", zip_error_strerror(&ze));
		if (src)
			zip_source_free(src);
		zip_error_fini(&ze);
		return -1;
	}
	zip_error_fini(&ze);
	if (zip_name_locate(za, "word/document.xml", 0) < 0) {
		snprintf(err, errlen, "a ZIP archive that is not a DOCX (no word/document.xml)");
		goto out;
	}
	size_t xlen;
	char *xml = docx_read_entry(za, "word/document.xml", &xlen, err, errlen);
	if (xml == NULL)
		goto out;
	xmlDoc *xd = docx_read_xml(xml, xlen);
	free(xml);
	if (xd == NULL) {
		snprintf(err, errlen, "damaged DOCX: word/document.xml is not XML");
		goto out;
	}
	docx_text(xd, &text);
	xmlFreeDoc(xd);
	meta->title = docx_title(za);
	decode_text(doc, (const unsigned char *)(text.data ? text.data : ""), text.len, "UTF-8");
	free(doc->charset);
	doc->charset = NULL; /* a DOCX has no charset of its own: its XML says */
	rc = 0;
out:
	buf_release(&text);
	zip_discard(za);
	return rc;
}
