/*
 * html_content.c - the main content of an HTML page as lines of text.
 *
 * With the statistics of html_tree.c, the element with the best content
 * score, discounted by its link density, is the content. A second walk
 * writes that element's text: paragraph breaks from blocks and <br>, data
 * tables as lines of tab-separated cells, link lists and chrome left out.
 *
 * Must never recurse over the tree (see html_tree.c) nor write markup.
 */
#include "html_content.h"
#include "html_tree.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define SPAN_MAX 64    /* a colspan or rowspan above this counts as this */
#define TABLE_COLS 256 /* columns whose rowspans are followed */

/* An open table: is it data, and, for data, the rowspans still covering its columns. */
struct htable {
	unsigned char data;
	size_t col;			 /* the next cell's column on this row */
	unsigned char cover[TABLE_COLS]; /* rows still covered by a rowspan above */
	unsigned char span;		 /* the open cell's colspan */
	unsigned char down;		 /* the open cell's rowspan */
};

struct hout {
	struct hwalk *w;
	xmlNode *root;
	struct buf *b;
	uint32_t last;	       /* the last code point written on this line */
	int line_text;	       /* the current line has text */
	int pending_space;     /* white space seen since */
	int space_nl;	       /* ... and it held a line end */
	int pending_break;     /* a block boundary since */
	int cell_depth;	       /* inside a cell of a data table */
	int first_cell;	       /* no cell written yet on this row */
	struct htable *tables; /* the open tables, innermost last */
	size_t ntables, captables;
};

static int
is_wide(uint32_t c)
{
	return (c >= 0x2E80 && c <= 0x9FFF) || (c >= 0xF900 && c <= 0xFAFF) ||
	       (c >= 0xFF00 && c <= 0xFFEF) || (c >= 0x20000 && c <= 0x3FFFF);
}

static void
out_flush_break(struct hout *o)
{
	if (o->pending_break && o->line_text) {
		buf_putc(o->b, '\n');
		o->line_text = 0;
	}
	o->pending_break = 0;
	if (!o->line_text)
		o->pending_space = o->space_nl = 0;
}

static void
out_break(struct hout *o)
{
	if (o->cell_depth)
		o->pending_space = 1;
	else
		o->pending_break = 1;
}

/* Decode one UTF-8 sequence from libxml2 (valid by construction); returns its length. */
static size_t
utf8_next(const unsigned char *s, uint32_t *cp)
{
	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	if ((s[0] & 0xE0) == 0xC0 && s[1]) {
		*cp = ((uint32_t)(s[0] & 0x1F) << 6) | (s[1] & 0x3F);
		return 2;
	}
	if ((s[0] & 0xF0) == 0xE0 && s[1] && s[2]) {
		*cp = ((uint32_t)(s[0] & 0x0F) << 12) | ((uint32_t)(s[1] & 0x3F) << 6) |
		      (s[2] & 0x3F);
		return 3;
	}
	if ((s[0] & 0xF8) == 0xF0 && s[1] && s[2] && s[3]) {
		*cp = ((uint32_t)(s[0] & 0x07) << 18) | ((uint32_t)(s[1] & 0x3F) << 12) |
		      ((uint32_t)(s[2] & 0x3F) << 6) | (s[3] & 0x3F);
		return 4;
	}
	*cp = 0xFFFD;
	return 1;
}

static int
is_html_space(uint32_t c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == 0xA0 ||
	       c == 0x3000;
}

static void
out_text(struct hout *o, const unsigned char *s)
{
	uint32_t c;
	while (*s) {
		size_t k = utf8_next(s, &c);
		if (is_html_space(c)) {
			if (o->line_text) {
				o->pending_space = 1;
				o->space_nl |= c == '\n' || c == '\r';
			}
		} else {
			out_flush_break(o);
			/* a line end between Chinese characters is source layout, not a space */
			if (o->pending_space && o->line_text && o->last != '\t' &&
			    !(o->space_nl && (is_wide(o->last) || is_wide(c))))
				buf_putc(o->b, ' ');
			buf_append(o->b, s, k);
			o->last = c;
			o->line_text = 1;
			o->pending_space = o->space_nl = 0;
		}
		s += k;
	}
}

static int
out_in_data_table(const struct hout *o)
{
	return o->ntables > 0 && o->tables[o->ntables - 1].data;
}

/* Start a cell of a data table: a tab before all but a row's first. */
static void
out_cell_sep(struct hout *o)
{
	if (!o->first_cell) {
		out_flush_break(o);
		buf_putc(o->b, '\t');
		o->line_text = 1;
		o->last = '\t';
		o->pending_space = o->space_nl = 0;
	}
	o->first_cell = 0;
}

/* A colspan or rowspan attribute, 1 when absent or nonsense, at most SPAN_MAX. */
static unsigned char
out_span(const xmlNode *n, const char *name)
{
	for (const xmlAttr *a = n->properties; a; a = a->next)
		if (strcasecmp((const char *)a->name, name) == 0 && a->children &&
		    a->children->type == XML_TEXT_NODE && a->children->content) {
			long v = strtol((const char *)a->children->content, NULL, 10);
			return v < 1 ? 1 : v > SPAN_MAX ? SPAN_MAX : (unsigned char)v;
		}
	return 1;
}

/*
 * Write an empty cell for each column at the row's position that a rowspan
 * above still covers, so that the cells after it stay in their columns.
 */
static void
out_covered(struct hout *o, struct htable *tb)
{
	while (tb->col < TABLE_COLS && tb->cover[tb->col]) {
		tb->cover[tb->col++]--;
		out_cell_sep(o);
	}
}

/* Link lists (menus, related articles, share buttons): mostly the text of several links. */
static int
is_link_list(const struct hstat *s)
{
	return html_tree_blockish(s->kind) && s->nlinks >= 2 && s->link_chars * 2 > s->chars;
}

static int
out_enter(void *ctx, xmlNode *n)
{
	struct hout *o = ctx;

	if (n->type == XML_TEXT_NODE || n->type == XML_CDATA_SECTION_NODE) {
		if (n->content)
			out_text(o, n->content);
		return 0;
	}
	if (n->type != XML_ELEMENT_NODE)
		return 0;
	struct hstat *s = html_tree_stat(o->w, n);
	if (s == NULL || (n != o->root && is_link_list(s)))
		return 0;
	switch ((enum hkind)s->kind) {
	case HK_BR:
		if (o->cell_depth) {
			o->pending_space = 1;
		} else {
			out_flush_break(o);
			if (o->line_text)
				buf_putc(o->b, '\n');
			o->line_text = 0;
		}
		break;
	case HK_TABLE:
		out_break(o);
		if (o->ntables == o->captables) {
			o->captables = o->captables ? o->captables * 2 : 8;
			o->tables = xreallocarray(o->tables, o->captables, sizeof(struct htable));
		}
		memset(&o->tables[o->ntables], 0, sizeof(struct htable));
		o->tables[o->ntables++].data = s->data;
		break;
	case HK_ROW:
		out_break(o);
		o->first_cell = 1;
		if (o->ntables)
			o->tables[o->ntables - 1].col = 0;
		break;
	case HK_CELL:
		if (!out_in_data_table(o)) {
			out_break(o);
			break;
		}
		struct htable *tb = &o->tables[o->ntables - 1];
		out_covered(o, tb);
		out_cell_sep(o);
		tb->span = out_span(n, "colspan");
		tb->down = out_span(n, "rowspan");
		o->cell_depth++;
		break;
	case HK_BLOCK:
		out_break(o);
		break;
	default:
		break;
	}
	return 1;
}

static void
out_exit(void *ctx, xmlNode *n)
{
	struct hout *o = ctx;
	struct hstat *s = html_tree_stat(o->w, n);

	if (s == NULL)
		return;
	switch ((enum hkind)s->kind) {
	case HK_TABLE:
		if (o->ntables)
			o->ntables--;
		out_break(o);
		break;
	case HK_CELL:
		if (o->cell_depth && out_in_data_table(o)) {
			struct htable *tb = &o->tables[o->ntables - 1];
			o->cell_depth--;
			o->pending_space = 0;
			/* the columns a colspan covers are empty cells; a rowspan covers them below
			 */
			for (unsigned k = 0; k < tb->span; k++, tb->col++) {
				if (k > 0)
					out_cell_sep(o);
				if (tb->col < TABLE_COLS)
					tb->cover[tb->col] = (unsigned char)(tb->down - 1);
			}
			tb->span = tb->down = 1;
		} else {
			out_break(o);
		}
		break;
	case HK_ROW:
		if (out_in_data_table(o)) {
			/* rowspans from above at the row's end; past a gap, they only count down */
			struct htable *tb = &o->tables[o->ntables - 1];
			out_covered(o, tb);
			for (size_t c = tb->col; c < TABLE_COLS; c++)
				if (tb->cover[c])
					tb->cover[c]--;
		}
		out_break(o);
		break;
	case HK_BLOCK:
		out_break(o);
		break;
	default:
		break;
	}
}

static void
out_write(struct hwalk *w, xmlNode *root, struct buf *b)
{
	struct hout o = {.w = w, .root = root, .b = b};
	html_tree_walk(root, out_enter, out_exit, &o);
	if (o.line_text)
		buf_putc(b, '\n');
	free(o.tables);
}

/* The element with the best score, discounted by its link density; NULL when none scores. */
static xmlNode *
best_candidate(const struct hwalk *w)
{
	const struct hstat *best = NULL;
	double top = 0;
	for (size_t i = 0; i < w->nst; i++) {
		const struct hstat *s = &w->st[i];
		if (s->score <= 0 || s->chars == 0)
			continue;
		double v = s->score * (1.0 - (double)s->link_chars / (double)s->chars);
		if (v > 0 && v >= top) { /* ties: the later, deeper element */
			top = v;
			best = s;
		}
	}
	return best ? best->node : NULL;
}

void
html_content_main(xmlNode *root, struct buf *out)
{
	struct hwalk w = {0};

	html_tree_stats(&w, root);
	xmlNode *best = best_candidate(&w);
	out_write(&w, best ? best : root, out);
	html_tree_release(&w);
}

void
html_content_text(xmlNode *node, struct buf *out)
{
	struct hwalk w = {0};

	html_tree_stats(&w, node);
	out_write(&w, node, out);
	html_tree_release(&w);
}

struct hinline {
	struct buf *b;
	size_t max;
	uint32_t last;
	int pending_space;
};

static int
inline_enter(void *ctx, xmlNode *n)
{
	struct hinline *h = ctx;
	if (h->b->len >= h->max)
		return 0;
	if (n->type == XML_ELEMENT_NODE) {
		const char *name = (const char *)n->name;
		return name && strcmp(name, "script") != 0 && strcmp(name, "style") != 0;
	}
	if (n->type != XML_TEXT_NODE && n->type != XML_CDATA_SECTION_NODE)
		return 0;
	const unsigned char *s = n->content;
	uint32_t c;
	while (s && *s && h->b->len < h->max) {
		size_t k = utf8_next(s, &c);
		if (is_html_space(c)) {
			h->pending_space = h->last != 0;
		} else {
			if (h->pending_space && !(is_wide(h->last) && is_wide(c)))
				buf_putc(h->b, ' ');
			buf_append(h->b, s, k);
			h->last = c;
			h->pending_space = 0;
		}
		s += k;
	}
	return 0;
}

static void
inline_exit(void *ctx, xmlNode *n)
{
	(void)ctx;
	(void)n;
}

void
html_content_inline(const xmlNode *node, struct buf *out, size_t max)
{
	struct buf b = {0};
	struct hinline h = {&b, max, 0, 0};
	/* the walk only reads the tree; its callbacks take it as non-const */
	html_tree_walk((xmlNode *)(uintptr_t)node, inline_enter, inline_exit, &h);
	if (b.len)
		buf_append(out, b.data, b.len);
	buf_release(&b);
}
