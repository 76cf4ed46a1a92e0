/*
 * metrics_table.c - data tables as metrics. The HTML and DOCX readers write
 * a table as lines of tab-separated cells (a colspan or a rowspan leaves
 * empty cells, so columns line up); a run of such lines is a grid. Its top
 * rows are the header, and each row below that starts with its heading
 * (text) followed by numbers is a data row: each number is a metric whose
 * label is the row heading and the column heading, whose unit comes from the
 * header (（单位：万元）, （%）) or the line above the table, and whose measure
 * comes from the headings (率, 占比 are shares; 增长, 增速 growth).
 *
 * A grid with one row, or no row of numbers, only lays text out: it gives
 * nothing. A sentence metric inside a table is dropped in favour of the
 * cell, so no figure is counted twice. Must never read outside doc->text,
 * nor trust the table's shape: rows may be ragged, and cells prose.
 */
#include "metrics_table.h"
#include "metrics_xxgk.h"
#include "table_cells.h"
#include "textclass.h"
#include "buf.h"
#include "metrics_unit.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define GRID_MAX_COLS 64    /* cells of one row read; the rest ignored */
#define GRID_MAX_HEAD 3	    /* header rows used for column headings */
#define CELL_PROSE 60	    /* code points: a longer cell is prose, not a heading or a figure */
#define HEAD_SEP "\xC2\xB7" /* "·" between the parts of a label */

struct gcell {
	size_t s, e; /* trimmed; s == e: empty */
};

struct grow {
	size_t s, e; /* the line, without its newline */
	struct gcell c[GRID_MAX_COLS];
	size_t n;
};

/* What a cell holds when it is a figure. */
struct gnum {
	double value;
	size_t s, e; /* the number as written */
	int percent; /* ended in % */
	int year;    /* a bare 19xx/20xx: a heading, not a figure */
};

static int
memchr_u32(const char32_t *set, uint32_t c)
{
	for (; *set; set++)
		if ((uint32_t)*set == c)
			return 1;
	return 0;
}

/* Parse a cell that is one number (1,234.5 -3 12.5%); 0, or -1 when it is anything else. */
static int
tb_number(const struct text *t, size_t s, size_t e, struct gnum *g)
{
	size_t i = s, digits = 0, int_digits = 0;
	int neg = 0, dot = 0;
	double v = 0, scale = 0.1;

	memset(g, 0, sizeof(*g));
	if (i < e &&
	    (t->cp[i] == '-' || t->cp[i] == 0x2212 || t->cp[i] == 0xFF0D || t->cp[i] == '+')) {
		neg = t->cp[i] != '+';
		i++;
	}
	for (; i < e; i++) {
		uint32_t c = t->cp[i];
		if (c >= '0' && c <= '9') {
			if (dot) {
				v += (c - '0') * scale;
				scale /= 10;
			} else {
				v = v * 10 + (c - '0');
				int_digits++;
			}
			digits++;
		} else if (c == '.' && !dot && digits > 0 && i + 1 < e && t->cp[i + 1] >= '0' &&
			   t->cp[i + 1] <= '9') {
			dot = 1;
		} else if (c == ',' && !dot && digits > 0 && i + 3 < e && t->cp[i + 3] >= '0' &&
			   t->cp[i + 3] <= '9') {
			continue; /* thousands */
		} else {
			break;
		}
	}
	if (digits == 0 || digits > 15)
		return -1;
	g->s = s;
	g->e = i;
	if (i < e && (t->cp[i] == '%' || t->cp[i] == 0x2030)) {
		g->percent = 1;
		i++;
		g->e = i;
	}
	if (i != e || !isfinite(v))
		return -1;
	g->value = neg ? -v : v;
	g->year = !dot && !neg && !g->percent && int_digits == 4 && v >= 1900 && v <= 2100;
	return 0;
}

/* Could a figure be a row's number (序号): a small whole number, as written? */
static int
tb_ordinal(const struct gnum *g)
{
	return !g->percent && g->value >= 1 && g->value < 1000 && g->value == floor(g->value);
}

/* Is text[s, e) prose: long, or with a sentence's end in it? */
static int
tb_prose(const struct text *t, size_t s, size_t e)
{
	if (e - s > CELL_PROSE)
		return 1;
	for (size_t i = s; i < e; i++)
		if (t->cp[i] == 0x3002 || t->cp[i] == 0xFF1B)
			return 1; /* 。 ； */
	return 0;
}

/* Split the lines [s, e) into rows of cells; returns the rows (owned) and their count. */
static struct grow *
tb_rows(const struct text *t, size_t s, size_t e, size_t *nrows)
{
	struct grow *rows = NULL;
	size_t n = 0, cap = 0;
	for (size_t ls = s; ls < e;) {
		size_t le = ls;
		while (le < e && t->cp[le] != '\n')
			le++;
		if (n == cap) {
			cap = cap ? cap * 2 : 16;
			rows = xreallocarray(rows, cap, sizeof(*rows));
		}
		struct grow *r = &rows[n++];
		r->s = ls;
		r->e = le;
		r->n = 0;
		for (size_t cs = ls; cs <= le && r->n < GRID_MAX_COLS;) {
			size_t ce = cs;
			while (ce < le && t->cp[ce] != '\t')
				ce++;
			size_t a = cs, b = ce;
			while (a < b && text_is_space(t->cp[a]))
				a++;
			while (b > a && text_is_space(t->cp[b - 1]))
				b--;
			r->c[r->n].s = a;
			r->c[r->n].e = b;
			r->n++;
			cs = ce + 1;
		}
		ls = le + 1;
	}
	*nrows = n;
	return rows;
}

/* A unit stated in text[s, e): （单位：万元）, (%), 单位：人. Fills unit, *scale and the cut. */
static int
tb_unit_in(const struct text *t, size_t s, size_t e, char unit[32], double *scale, size_t *cut_s,
	   size_t *cut_e)
{
	static const char32_t dan[] = U"单位";
	for (size_t i = s; i < e; i++) {
		int paren = t->cp[i] == 0xFF08 || t->cp[i] == '(';
		size_t k = i + (size_t)paren;
		if (k < e && unit_word_at(t, k, dan)) {
			k += 2;
			if (k < e && (t->cp[k] == 0xFF1A || t->cp[k] == ':'))
				k++;
		} else if (!paren) {
			continue;
		}
		double sc = 1;
		if (k < e && t->cp[k] == 0x4E07) { /* 万 */
			sc = 1e4;
			k++;
		} else if (k < e && t->cp[k] == 0x4EBF) { /* 亿 */
			sc = 1e8;
			k++;
		}
		size_t len = 0;
		unsigned flags;
		if (k < e && (t->cp[k] == '%' || t->cp[k] == 0x2030 || t->cp[k] == 0x5143))
			len = 1; /* % ‰ 元 */
		else if (k < e)
			len = unit_match(t, k, &flags);
		size_t close = k + len;
		if (len == 0 || close > e)
			continue;
		if (paren) {
			if (close >= e || (t->cp[close] != 0xFF09 && t->cp[close] != ')'))
				continue;
			close++;
		}
		char *u = text_utf8(t, k, k + len);
		int fits = strlen(u) < 32;
		if (fits)
			strcpy(unit, u);
		free(u);
		if (!fits)
			continue;
		*scale = sc;
		*cut_s = i;
		*cut_e = close;
		return 1;
	}
	return 0;
}

/* Past a list marker at text[s] (一、 （一） (1) 1. 1、 ①), if the heading has one. */
static size_t
tb_unmarked(const struct text *t, size_t s, size_t e)
{
	static const char32_t cn[] = U"一二三四五六七八九十";
	size_t i = s;
	int open = i < e && (t->cp[i] == 0xFF08 || t->cp[i] == '(');
	i += (size_t)open;
	size_t d = i;
	while (i < e && ((t->cp[i] >= '0' && t->cp[i] <= '9') || memchr_u32(cn, t->cp[i])))
		i++;
	if (i == d || i - d > 3) {
		if (s < e && t->cp[s] >= 0x2460 && t->cp[s] <= 0x2473)
			return s + 1; /* ① - ⑳ */
		return s;
	}
	if (open)
		return i < e && (t->cp[i] == 0xFF09 || t->cp[i] == ')') ? i + 1 : s;
	if (i < e && (t->cp[i] == 0x3001 || t->cp[i] == '.' || t->cp[i] == 0xFF0E) && i + 1 < e &&
	    !(t->cp[i + 1] >= '0' && t->cp[i + 1] <= '9'))
		return i + 1;
	return s;
}

/*
 * A remark in brackets closing a heading ("部分公开（区分处理的，只计这一情形）"):
 * the part to leave out of a label, when it is longer than a qualifier.
 */
static void
tb_remark(const struct text *t, size_t s, size_t e, size_t *cut_s, size_t *cut_e)
{
	if (e - s < 2 || (t->cp[e - 1] != 0xFF09 && t->cp[e - 1] != ')'))
		return;
	size_t k = e - 1;
	while (k > s && t->cp[k] != 0xFF08 && t->cp[k] != '(')
		k--;
	if (k > s && e - k > 8) {
		*cut_s = k;
		*cut_e = e;
	}
}

/* Append text[s, e) without [cut_s, cut_e) and white space. */
static void
tb_put(struct buf *b, const struct text *t, size_t s, size_t e, size_t cut_s, size_t cut_e)
{
	for (size_t i = s; i < e; i++)
		if ((i < cut_s || i >= cut_e) && !text_is_space(t->cp[i]) && t->cp[i] != '\n')
			buf_put_utf8(b, t->cp[i]);
}

/* A 19xx/20xx year written in s, or 0. */
static int
tb_year_in(const char *s)
{
	for (const char *p = s; *p; p++)
		if ((p[0] == '1' && p[1] == '9') || (p[0] == '2' && p[1] == '0'))
			if (p[2] >= '0' && p[2] <= '9' && p[3] >= '0' && p[3] <= '9' &&
			    (p == s || p[-1] < '0' || p[-1] > '9') && (p[4] < '0' || p[4] > '9'))
				return (p[0] - '0') * 1000 + (p[1] - '0') * 100 +
				       (p[2] - '0') * 10 + (p[3] - '0');
	return 0;
}

/* The year a heading cell is and says nothing more (2022, 2022年, 2022年度), or 0. */
static int
tb_only_year(const struct text *t, size_t s, size_t e)
{
	static const char32_t nian[] = U"年", du[] = U"年度";
	if (e - s < 4)
		return 0;
	int y = 0;
	for (size_t i = s; i < s + 4; i++) {
		if (t->cp[i] < '0' || t->cp[i] > '9')
			return 0;
		y = y * 10 + (int)(t->cp[i] - '0');
	}
	size_t rest = e - s - 4;
	if (y < 1900 || y > 2100 ||
	    !(rest == 0 || (rest == 1 && unit_word_at(t, s + 4, nian)) ||
	      (rest == 2 && unit_word_at(t, s + 4, du))))
		return 0;
	return y;
}

/* The measure that a heading gives its figures. */
static enum measure
tb_measure(const char *heading, int percent)
{
	static const char *const growth[] = {"增长", "增速", "增幅", "同比", "比上年", NULL};
	static const char *const share[] = {"率", "占比", "比重", "比例", NULL};
	for (const char *const *w = growth; *w; w++)
		if (strstr(heading, *w))
			return MEASURE_GROWTH;
	for (const char *const *w = share; *w; w++)
		if (strstr(heading, *w))
			return MEASURE_SHARE;
	return percent ? MEASURE_SHARE : MEASURE_LEVEL;
}

/* The year a heading speaks of: written in it, 上年 the year before, else the report's. */
static int
tb_year(const char *heading, int report_year)
{
	int y = tb_year_in(heading);
	if (y)
		return y;
	if (report_year && (strstr(heading, "上年") || strstr(heading, "去年")))
		return report_year - 1;
	return report_year;
}

static int
tb_target(const char *heading)
{
	return strstr(heading, "目标") || strstr(heading, "计划") || strstr(heading, "预期");
}

/*
 * Is row r a data row: its heading (text, or a year), then figures that are
 * not years, and no prose? *first gets the column of its first figure.
 */
static int
tb_data_row(const struct text *t, const struct grow *r, size_t *first)
{
	size_t nnum = 0, nother = 0, i = 0;
	struct gnum g;
	while (i < r->n && r->c[i].s == r->c[i].e)
		i++;
	if (i == r->n || tb_prose(t, r->c[i].s, r->c[i].e))
		return 0;
	/* figures from the first column on have no heading, unless a rowspan gave it or
	 * the first is a row's number (序号) before its heading */
	if (tb_number(t, r->c[i].s, r->c[i].e, &g) == 0 && !g.year && i == 0) {
		size_t k = i + 1;
		struct gnum h;
		while (k < r->n && r->c[k].s == r->c[k].e)
			k++;
		if (!tb_ordinal(&g) || k == r->n || tb_number(t, r->c[k].s, r->c[k].e, &h) == 0)
			return 0;
		i = k;
	}
	if (tb_number(t, r->c[i].s, r->c[i].e, &g) < 0 || g.year)
		i++;
	for (; i < r->n; i++) {
		const struct gcell *c = &r->c[i];
		if (c->s == c->e)
			continue;
		if (tb_prose(t, c->s, c->e))
			return 0;
		if (tb_number(t, c->s, c->e, &g) == 0) {
			if (g.year)
				return 0;
			if (nnum++ == 0)
				*first = i;
		} else if (nnum > 0) {
			nother++;
		}
	}
	return nnum > 0 && nnum >= nother;
}

/*
 * Is row r a row of figures with no heading of its own, from its first
 * column on: at least three, and nothing else in it? Its cells are named
 * by their column headings alone (the 行政复议、行政诉讼 table of a
 * 政府信息公开 report is one such row under three rows of headings).
 */
static int
tb_headless_row(const struct text *t, const struct grow *r)
{
	size_t nnum = 0;
	struct gnum g;
	if (r->n == 0 || r->c[0].s == r->c[0].e)
		return 0;
	for (size_t i = 0; i < r->n; i++) {
		const struct gcell *c = &r->c[i];
		if (c->s == c->e)
			continue;
		if (tb_number(t, c->s, c->e, &g) < 0 || g.year)
			return 0;
		nnum++;
	}
	return nnum >= 3;
}

/*
 * The heading of column j: the header rows' cells, top down. In a row above
 * the last, an empty cell is covered by a colspan: the heading is its left
 * neighbour's (never one of the row headings' columns, below minc). A
 * heading over every figure column is left out of it; its year goes to
 * *year (0: none) and its unit to unit.
 */
static void
tb_col_heading(const struct text *t, const struct grow *head, size_t nhead, size_t j, size_t minc,
	       int *year, struct buf *b, char unit[32], double *scale)
{
	size_t last_s = 0, last_n = 0;
	for (size_t h = 0; h < nhead; h++) {
		const struct grow *r = &head[h];
		size_t k = j, over = 0;
		for (size_t i = minc; i < r->n; i++)
			over += r->c[i].s != r->c[i].e;
		if (over == 1 && r->c[minc].s != r->c[minc].e && nhead > 1) {
			/* one heading over every figure column says nothing of one column: it
			 * only gives the year (2023年) or the unit */
			size_t cs = 0, ce = 0;
			if (!unit[0])
				tb_unit_in(t, r->c[minc].s, r->c[minc].e, unit, scale, &cs, &ce);
			char *all = text_utf8(t, r->c[minc].s, r->c[minc].e);
			if (!*year)
				*year = tb_year_in(all);
			free(all);
			continue;
		}
		if (k >= r->n || r->c[k].s == r->c[k].e) {
			if (h + 1 == nhead)
				continue;
			while (k > minc && (k >= r->n || r->c[k].s == r->c[k].e))
				k--;
			if (k >= r->n || r->c[k].s == r->c[k].e)
				continue;
		}
		int y = tb_only_year(t, r->c[k].s, r->c[k].e);
		if (y) { /* "2022年" says when, not what: the cells' year */
			*year = y;
			continue;
		}
		size_t cs = 0, ce = 0;
		if (!unit[0] && !tb_unit_in(t, r->c[k].s, r->c[k].e, unit, scale, &cs, &ce))
			cs = ce = 0;
		size_t before = b->len;
		if (b->len)
			buf_puts(b, HEAD_SEP);
		size_t mark = b->len;
		tb_put(b, t, r->c[k].s, r->c[k].e, cs, ce);
		size_t n = b->len - mark;
		/* nothing left, or the same heading again (a rowspan read as two rows) */
		if (n == 0 || (n == last_n && memcmp(b->data + last_s, b->data + mark, n) == 0)) {
			b->len = before;
			if (b->data)
				b->data[b->len] = '\0';
			continue;
		}
		last_s = mark;
		last_n = n;
	}
}

/* The grid of lines [s, e): its cells as metrics. */
static void
tb_grid(struct doc *doc, struct table_cells *out, size_t s, size_t e, size_t above_s,
	size_t above_e)
{
	const struct text *t = &doc->text;
	size_t nrows, first = 0, ncols = 0, ncells = out->n;
	struct grow *rows = tb_rows(t, s, e, &nrows);
	size_t d0 = nrows;
	for (size_t i = 0; i < nrows; i++) {
		if (rows[i].n > ncols)
			ncols = rows[i].n;
		if (d0 == nrows &&
		    (tb_data_row(t, &rows[i], &first) || (i > 0 && tb_headless_row(t, &rows[i]))))
			d0 = i;
	}
	if (nrows < 2 || ncols < 2 || d0 == nrows) {
		free(rows);
		return; /* lays text out: one row, or no row of figures */
	}
	/* the table's own unit: a caption row of one cell, or the line just above */
	char tunit[32] = "";
	double tscale = 1;
	size_t cs, ce, h0 = d0 > GRID_MAX_HEAD ? d0 - GRID_MAX_HEAD : 0;
	for (size_t h = 0; h < d0; h++) {
		size_t filled = 0;
		for (size_t k = 0; k < rows[h].n; k++)
			filled += rows[h].c[k].s != rows[h].c[k].e;
		if (filled == 1 && h == h0)
			h0++;
		for (size_t k = 0; h >= h0 && k < rows[h].n; k++) {
			struct gnum g;
			if (rows[h].c[k].s != rows[h].c[k].e &&
			    tb_number(t, rows[h].c[k].s, rows[h].c[k].e, &g) == 0 && !g.year) {
				h0 = h + 1; /* a row with a figure in it heads no column */
				break;
			}
		}
		if (filled == 1 && !tunit[0])
			tb_unit_in(t, rows[h].s, rows[h].e, tunit, &tscale, &cs, &ce);
	}
	if (!tunit[0] && above_e > above_s && above_e - above_s <= CELL_PROSE)
		tb_unit_in(t, above_s, above_e, tunit, &tscale, &cs, &ce);

	/* each heading column's last heading: a rowspan leaves the cells below it empty */
	struct gcell last[GRID_MAX_COLS];
	memset(last, 0, sizeof(last));
	for (size_t i = d0; i < nrows; i++) {
		const struct grow *r = &rows[i];
		if (tb_headless_row(t, r))
			first = 0;
		else if (!tb_data_row(t, r, &first))
			continue;
		struct buf rh = {0};
		char runit[32] = "";
		double rscale = 1;
		int own = 0; /* a heading of this row's own seen: empty cells now are colspans */
		for (size_t j = 0; j < first; j++) {
			struct gcell hc = r->c[j];
			if (hc.s != hc.e) {
				own = 1;
				last[j] = hc;
				for (size_t k = j + 1; k < GRID_MAX_COLS; k++)
					last[k].s = last[k].e = 0;
			} else if (!own) {
				hc = last[j];
			}
			struct gnum g;
			if (hc.s == hc.e || (tb_number(t, hc.s, hc.e, &g) == 0 && !g.year))
				continue; /* empty, or a row's number (序号) */
			cs = ce = 0;
			if (!runit[0])
				tb_unit_in(t, hc.s, hc.e, runit, &rscale, &cs, &ce);
			if (rh.len)
				buf_puts(&rh, HEAD_SEP);
			if (cs == ce)
				tb_remark(t, hc.s, hc.e, &cs, &ce);
			tb_put(&rh, t, tb_unmarked(t, hc.s, hc.e), hc.e, cs, ce);
		}
		for (size_t j = first; j < r->n; j++) {
			struct gnum g;
			if (r->c[j].s == r->c[j].e || tb_number(t, r->c[j].s, r->c[j].e, &g) < 0)
				continue;
			struct buf ch = {0};
			char cunit[32] = "";
			double cscale = 1;
			int year = 0;
			tb_col_heading(t, rows + h0, d0 - h0, j, first, &year, &ch, cunit, &cscale);
			const char *unit = g.percent  ? "%"
					   : cunit[0] ? cunit
					   : runit[0] ? runit
						      : tunit;
			double scale = g.percent  ? 1
				       : cunit[0] ? cscale
				       : runit[0] ? rscale
						  : tscale;
			struct buf label = {0};
			buf_puts(&label, rh.data ? rh.data : "");
			if (ch.len) {
				if (label.len)
					buf_puts(&label, HEAD_SEP);
				buf_puts(&label, ch.data);
			}
			if (label.len == 0 || strcmp(label.data, "序号") == 0 ||
			    strcmp(label.data, "编号") == 0) {
				/* nothing names it, or it only numbers the rows */
				buf_release(&label);
				buf_release(&ch);
				continue;
			}
			char *lab = buf_take(&label);
			enum measure ms = tb_measure(lab, g.percent || strcmp(unit, "%") == 0);
			/* a year in the column heading, else one written in the row's */
			if (year == 0)
				year = tb_year(ch.data ? ch.data : "", doc->report_year);
			if (year == doc->report_year && tb_year_in(lab))
				year = tb_year_in(lab);
			table_cell_add(doc, out, g.s, g.e, r->s, r->e, g.value * scale, unit, lab,
				       ms, year);
			out->m[out->n - 1].target = tb_target(ch.data ? ch.data : "");
			buf_release(&ch);
		}
		buf_release(&rh);
	}
	if (out->n > ncells) /* a grid that named no cell leaves its sentences be */
		table_span_add(out, rows[d0].s, e);
	free(rows);
}

/* Every run of two or more lines with tabs in them. */
static void
tb_grids(struct doc *doc, struct table_cells *out)
{
	const struct text *t = &doc->text;
	size_t run_s = 0, nlines = 0, above_s = 0, above_e = 0, prev_s = 0;
	for (size_t ls = 0; ls <= t->len;) {
		size_t le = ls;
		int tab = 0;
		while (le < t->len && t->cp[le] != '\n')
			tab |= t->cp[le++] == '\t';
		if (tab) {
			if (nlines++ == 0) {
				run_s = ls;
				above_s = prev_s;
				above_e = ls ? ls - 1 : 0;
			}
		} else if (nlines) {
			if (nlines >= 2)
				tb_grid(doc, out, run_s, ls - 1, above_s, above_e);
			nlines = 0;
		}
		prev_s = ls;
		if (le >= t->len) {
			if (nlines >= 2)
				tb_grid(doc, out, run_s, le, above_s, above_e);
			break;
		}
		ls = le + 1;
	}
}

static int
tb_cmp(const void *a, const void *b)
{
	const struct metric *x = a, *y = b;
	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	return (x->end > y->end) - (x->end < y->end);
}

static int
tb_in_table(const struct table_cells *c, const struct metric *m)
{
	for (size_t i = 0; i + 1 < c->nspan; i += 2)
		if (m->start < c->span[i + 1] && m->end > c->span[i])
			return 1;
	return 0;
}

size_t
metrics_table_find(struct doc *doc)
{
	struct table_cells c = {0};

	tb_grids(doc, &c);
	metrics_xxgk_find(doc, &c);
	size_t added = c.n;
	if (added) {
		size_t w = 0;
		for (size_t i = 0; i < doc->nmetrics; i++) {
			struct metric *m = &doc->metrics[i];
			if (tb_in_table(&c, m)) {
				free(m->label);
				free(m->unit);
				continue;
			}
			doc->metrics[w++] = *m;
		}
		doc->metrics = xreallocarray(doc->metrics, w + c.n, sizeof(struct metric));
		memcpy(doc->metrics + w, c.m, c.n * sizeof(struct metric));
		doc->nmetrics = w + c.n;
		qsort(doc->metrics, doc->nmetrics, sizeof(struct metric), tb_cmp);
	}
	free(c.m);
	free(c.span);
	return added;
}
