/*
 * pdf.c - the text of a PDF report through poppler-glib, as paragraphs.
 *
 * Poppler gives each page's text in reading order, line by line, with a box
 * for every character. From the boxes come the page's margins, so a line
 * that stops short of the right margin ends its paragraph and an indented
 * line starts one; otherwise lines join, since Chinese has no spaces to
 * lose, unless the previous line ends a sentence or the next one starts
 * with a section marker. Running headers and footers (lines repeated at the
 * top or bottom of most pages) and page numbers ("- 3 -") are dropped.
 *
 * Must never keep poppler objects past pdf_parse() nor let a damaged or
 * encrypted file do more than fail with a reason.
 */
#include "pdf.h"
#include "buf.h"
#include "decode.h"
#include "pdf_streams.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <poppler.h>

#define EDGE_LINES 2 /* lines at the top and bottom of a page that may be header or footer */

struct pline {
	char *text;    /* UTF-8, owned; spaces next to Chinese characters removed */
	double x1, x2; /* left and right edge of its ink; x2 < x1 when unknown */
	int page;
	int edge; /* among the EDGE_LINES first or last lines of its page */
	int drop;
};

struct plines {
	struct pline *v;
	size_t n, cap;
	double *wide_w; /* widths of Chinese characters seen, for the em */
	size_t nw, capw;
};

static int
pdf_wide(gunichar c)
{
	return (c >= 0x2E80 && c <= 0x9FFF) || (c >= 0xF900 && c <= 0xFAFF) ||
	       (c >= 0xFF00 && c <= 0xFFEF) || (c >= 0x3000 && c <= 0x303F) ||
	       (c >= 0x2018 && c <= 0x201D) || (c >= 0x20000 && c <= 0x3FFFF);
}

/*
 * One line of page text (cps code points, rects their boxes or NULL) as a
 * pline: the spaces poppler puts between Chinese and Latin characters, which
 * the author never typed, go.
 */
static void
pdf_add_line(struct plines *pl, const gunichar *cp, size_t n, const PopplerRectangle *rects,
	     int page)
{
	struct buf b = {0};
	double x1 = 1e9, x2 = -1e9;

	for (size_t i = 0; i < n; i++) {
		gunichar c = cp[i];
		if (c == ' ' || c == '\t' || c == 0x3000 || c == 0xA0) {
			size_t j = i;
			while (j < n &&
			       (cp[j] == ' ' || cp[j] == '\t' || cp[j] == 0x3000 || cp[j] == 0xA0))
				j++;
			if (b.len > 0 && j < n && !pdf_wide(cp[i - 1]) && !pdf_wide(cp[j]))
				buf_putc(&b, ' ');
			i = j - 1;
			continue;
		}
		buf_put_utf8(&b, c);
		if (rects) {
			if (rects[i].x1 < x1)
				x1 = rects[i].x1;
			if (rects[i].x2 > x2)
				x2 = rects[i].x2;
			if (pdf_wide(c) && c > 0x3040) {
				if (pl->nw == pl->capw) {
					pl->capw = pl->capw ? pl->capw * 2 : 256;
					pl->wide_w =
					    xreallocarray(pl->wide_w, pl->capw, sizeof(double));
				}
				pl->wide_w[pl->nw++] = rects[i].x2 - rects[i].x1;
			}
		}
	}
	if (b.len == 0) {
		buf_release(&b);
		return;
	}
	if (pl->n == pl->cap) {
		pl->cap = pl->cap ? pl->cap * 2 : 256;
		pl->v = xreallocarray(pl->v, pl->cap, sizeof(struct pline));
	}
	pl->v[pl->n++] = (struct pline){buf_take(&b), x1, x2, page, 0, 0};
}

/* Split one page's text into plines, with the character boxes when poppler's count agrees. */
static void
pdf_add_page(struct plines *pl, PopplerPage *page, int pageno)
{
	char *text = poppler_page_get_text(page);
	if (text == NULL)
		return;
	glong n = 0;
	gunichar *cp = g_utf8_to_ucs4_fast(text, -1, &n);
	PopplerRectangle *rects = NULL;
	guint nrects = 0;
	if (!poppler_page_get_text_layout(page, &rects, &nrects) || nrects != (guint)n) {
		g_free(rects);
		rects = NULL;
	}
	size_t first = pl->n;
	for (glong s = 0; s < n;) {
		glong e = s;
		while (e < n && cp[e] != '\n')
			e++;
		pdf_add_line(pl, cp + s, (size_t)(e - s), rects ? rects + s : NULL, pageno);
		s = e + 1;
	}
	for (size_t i = first; i < pl->n; i++)
		pl->v[i].edge = i - first < EDGE_LINES || pl->n - i <= EDGE_LINES;
	g_free(rects);
	g_free(cp);
	g_free(text);
}

static int
pdf_cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

/* The q-quantile of v[0..n) (sorts v); def when n is 0. */
static double
pdf_quantile(double *v, size_t n, double q, double def)
{
	if (n == 0)
		return def;
	qsort(v, n, sizeof(double), pdf_cmp_double);
	return v[(size_t)(q * (double)(n - 1))];
}

/* A page number alone on its line: "3", "- 3 -", "—3—", "第3页", "第 3 页 共 11 页", "3/11". */
static int
pdf_is_page_number(const char *s)
{
	static const char *const dashes[] = {"-", "—", "–", "－", "―", "_", "·", "•", " ", NULL};
	int digits = 0;
	const char *p = s;
	for (;;) {
		int moved = 0;
		for (const char *const *d = dashes; *d; d++)
			if (strncmp(p, *d, strlen(*d)) == 0) {
				p += strlen(*d);
				moved = 1;
			}
		if (strncmp(p, "第", 3) == 0 || strncmp(p, "页", 3) == 0 ||
		    strncmp(p, "共", 3) == 0) {
			p += 3;
			moved = 1;
		}
		if (*p >= '0' && *p <= '9') {
			while (*p >= '0' && *p <= '9')
				p++, digits++;
			moved = 1;
		} else if (*p == '/') {
			p++;
			moved = 1;
		}
		if (!moved)
			break;
	}
	return *p == '\0' && digits > 0 && digits <= 6;
}

/* A line's text with its digits as '#', for comparing "- 3 -" with "- 4 -". */
static char *
pdf_shape(const char *s)
{
	char *t = xstrdup(s);
	for (char *p = t; *p; p++)
		if (*p >= '0' && *p <= '9')
			*p = '#';
	return t;
}

struct pdf_edge {
	char *shape;
	size_t line;
	int page;
};

static int
pdf_cmp_edge(const void *a, const void *b)
{
	const struct pdf_edge *x = a, *y = b;
	int c = strcmp(x->shape, y->shape);
	if (c)
		return c;
	return (x->page > y->page) - (x->page < y->page);
}

/*
 * Drop page numbers, and lines at the edge of pages whose shape repeats on
 * at least half of the pages (two at least): running headers and footers.
 */
static void
pdf_drop_running(struct plines *pl, int npages)
{
	size_t need = (size_t)(npages + 1) / 2, ne = 0;
	struct pdf_edge *e = xreallocarray(NULL, pl->n + 1, sizeof(struct pdf_edge));

	if (need < 2)
		need = 2;
	for (size_t i = 0; i < pl->n; i++) {
		struct pline *a = &pl->v[i];
		if (!a->edge)
			continue;
		if (pdf_is_page_number(a->text))
			a->drop = 1;
		else
			e[ne++] = (struct pdf_edge){pdf_shape(a->text), i, a->page};
	}
	qsort(e, ne, sizeof(e[0]), pdf_cmp_edge);
	for (size_t i = 0; i < ne;) {
		size_t j = i, pages = 0;
		for (; j < ne && strcmp(e[j].shape, e[i].shape) == 0; j++)
			if (j == i || e[j].page != e[j - 1].page)
				pages++;
		if (npages >= 2 && pages >= need)
			for (size_t k = i; k < j; k++)
				pl->v[e[k].line].drop = 1;
		i = j;
	}
	for (size_t i = 0; i < ne; i++)
		free(e[i].shape);
	free(e);
}

/* The last code point of a UTF-8 string, and the one before it. */
static void
pdf_tail(const char *s, gunichar *last, gunichar *prev)
{
	*last = *prev = 0;
	for (const char *p = s; *p; p = g_utf8_next_char(p)) {
		*prev = *last;
		*last = g_utf8_get_char(p);
	}
}

static int
pdf_ends_sentence(const char *s)
{
	gunichar last, prev;
	pdf_tail(s, &last, &prev);
	if (last == 0x201D || last == 0x2019 || last == 0xFF09 || last == 0x300D || last == ')')
		last = prev; /* 。” ends as 。 does */
	return last == 0x3002 || last == 0xFF01 || last == 0xFF1F || last == 0xFF1B ||
	       last == 0xFF1A || last == '!' || last == '?' || last == ';' || last == ':';
}

static int
pdf_cn_numeral(gunichar c)
{
	return c && g_utf8_strchr("一二三四五六七八九十〇零百", -1, c) != NULL;
}

/* Does s start with a section marker: 一、 （一） (一) 1. 1． 1、 （1） (1) ① 第一章? */
static int
pdf_starts_marker(const char *s)
{
	const char *p = s;
	gunichar c = g_utf8_get_char(p);
	if (c >= 0x2460 && c <= 0x2473) /* ①..⑳ */
		return 1;
	if (c == 0xFF08 || c == '(') {
		p = g_utf8_next_char(p);
		int n = 0;
		while ((c = g_utf8_get_char(p)) && (pdf_cn_numeral(c) || (c >= '0' && c <= '9')))
			p = g_utf8_next_char(p), n++;
		return n > 0 && n <= 3 && (c == 0xFF09 || c == ')');
	}
	if (c == 0x7B2C) /* 第 */
		p = g_utf8_next_char(p);
	int n = 0, arabic = 0;
	while ((c = g_utf8_get_char(p)) && (pdf_cn_numeral(c) || (c >= '0' && c <= '9'))) {
		arabic |= c < 0x80;
		p = g_utf8_next_char(p), n++;
	}
	if (n == 0 || n > 3)
		return 0;
	if (c == 0x3001 || c == 0xFF0E || c == 0x7AE0 || c == 0x8282 || c == 0x6761)
		return 1; /* 、 ． 章 节 条 */
	if (c == '.' && arabic) {
		gunichar d = g_utf8_get_char(g_utf8_next_char(p));
		return !(d >= '0' && d <= '9'); /* 1.5万 is a number */
	}
	return 0;
}

struct pdf_geom {
	double left, right, em;
	int known;    /* margins and em from the character boxes */
	int indented; /* paragraphs start indented: a full line before a flush one goes on */
};

static struct pdf_geom
pdf_geometry(struct plines *pl)
{
	struct pdf_geom g = {0};
	double *l = xreallocarray(NULL, pl->n + 1, sizeof(double));
	double *r = xreallocarray(NULL, pl->n + 1, sizeof(double));
	size_t k = 0;
	for (size_t i = 0; i < pl->n; i++)
		if (!pl->v[i].drop && pl->v[i].x2 > pl->v[i].x1) {
			l[k] = pl->v[i].x1;
			r[k++] = pl->v[i].x2;
		}
	g.em = pdf_quantile(pl->wide_w, pl->nw, 0.5, 0);
	if (k >= 3 && g.em > 0) {
		g.left = pdf_quantile(l, k, 0.25, 0);
		g.right = pdf_quantile(r, k, 0.75, 0);
		g.known = g.right > g.left + 4 * g.em;
		size_t two_em = 0;
		for (size_t i = 0; i < k; i++)
			if (fabs(l[i] - (g.left + 2 * g.em)) < 0.5 * g.em)
				two_em++;
		g.indented = g.known && two_em * 10 >= k;
	}
	free(l);
	free(r);
	return g;
}

/* Should line b start a new paragraph after line a? */
static int
pdf_breaks(const struct pdf_geom *g, const struct pline *a, const struct pline *b, size_t longest)
{
	if (pdf_starts_marker(b->text))
		return 1;
	if (g->known && a->x2 > a->x1 && b->x2 > b->x1) {
		int full = a->x2 >= g->right - 1.5 * g->em, flush = b->x1 <= g->left + 0.8 * g->em;
		/* where paragraphs start indented, a sentence ending a full line goes on */
		return !full || !flush || (!g->indented && pdf_ends_sentence(a->text));
	}
	if (pdf_ends_sentence(a->text))
		return 1;
	/* no boxes: a line much shorter than the longest ends its paragraph */
	return (size_t)g_utf8_strlen(a->text, -1) * 10 < longest * 8;
}

static void
pdf_join(struct plines *pl, struct buf *out)
{
	struct pdf_geom g = pdf_geometry(pl);
	size_t longest = 0;
	for (size_t i = 0; i < pl->n; i++) {
		size_t n = (size_t)g_utf8_strlen(pl->v[i].text, -1);
		if (!pl->v[i].drop && n > longest)
			longest = n;
	}
	const struct pline *prev = NULL;
	for (size_t i = 0; i < pl->n; i++) {
		const struct pline *cur = &pl->v[i];
		if (cur->drop)
			continue;
		if (prev) {
			gunichar last, before;
			pdf_tail(prev->text, &last, &before);
			gunichar first = g_utf8_get_char(cur->text);
			if (pdf_breaks(&g, prev, cur, longest))
				buf_putc(out, '\n');
			else if (last == '-' && g_unichar_isalpha(before) &&
				 g_unichar_islower(first))
				out->data[--out->len] = '\0'; /* a hyphenated word */
			else if (!pdf_wide(last) && !pdf_wide(first))
				buf_putc(out, ' ');
		}
		buf_puts(out, cur->text);
		prev = cur;
	}
	if (prev)
		buf_putc(out, '\n');
}

int
pdf_parse(struct doc *doc, const unsigned char *data, size_t len, struct format_meta *meta,
	  char *err, size_t errlen)
{
	GError *gerr = NULL;
	GBytes *bytes = NULL;
	PopplerDocument *pd = NULL;
	struct plines pl = {0};
	struct buf text = {0};
	int rc = -1;

	/* poppler inflates without limit: measure first what it would inflate */
	if (pdf_streams_check(data, len, PDF_STREAM_MAX, PDF_TOTAL_MAX, err, errlen) < 0)
		goto out;
	bytes = g_bytes_new_static(data, len);
	pd = poppler_document_new_from_bytes(bytes, NULL, &gerr);
	if (pd == NULL) {
		if (gerr && gerr->domain == POPPLER_ERROR && gerr->code == POPPLER_ERROR_ENCRYPTED)
			snprintf(err, errlen,
				 "the PDF is encrypted: it cannot be read without a password");
		else
			snprintf(err, errlen, "cannot read the PDF (poppler: %s)",
				 gerr ? gerr->message : "no reason given");
		goto out;
	}
	int npages = poppler_document_get_n_pages(pd);
	for (int i = 0; i < npages; i++) {
		PopplerPage *page = poppler_document_get_page(pd, i);
		if (page == NULL)
			continue;
		pdf_add_page(&pl, page, i);
		g_object_unref(page);
	}
	pdf_drop_running(&pl, npages);
	pdf_join(&pl, &text);
	if (text.len == 0) {
		snprintf(
		    err, errlen,
		    "the PDF has no text to extract (%d page%s): a scan without OCR, or damaged",
		    npages, npages == 1 ? "" : "s");
		goto out;
	}
	char *title = poppler_document_get_title(pd);
	if (title && *title)
		meta->title = xstrdup(title);
	g_free(title);
	decode_text(doc, (const unsigned char *)text.data, text.len, "UTF-8");
	free(doc->charset);
	doc->charset = NULL; /* a PDF has no charset; its text came out as Unicode */
	rc = 0;
out:
	for (size_t i = 0; i < pl.n; i++)
		free(pl.v[i].text);
	free(pl.v);
	free(pl.wide_w);
	buf_release(&text);
	if (pd)
		g_object_unref(pd);
	if (bytes)
		g_bytes_unref(bytes);
	if (gerr)
		g_error_free(gerr);
	return rc;
}
