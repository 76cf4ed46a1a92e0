/*
 * metrics_xxgk.c - the statutory tables of a 政府信息公开工作年度报告, read
 * where a web page flattened them into running text.
 *
 * Since 2019 the State Council fixes these tables (国办公开办函〔2019〕60号,
 * 〔2021〕30号): 二 主动公开政府信息情况 (one block per 第二十条 item: its
 * columns, then rows of 规章, 行政许可, ...), 三 收到和处理政府信息公开申请情况
 * (seven columns of applicants, the last their 总计, over the rows 一、本年新收
 * ... 四、结转下年度继续办理), and 四 行政复议、行政诉讼 (fifteen columns in three
 * groups, each ending in its 总计). Flattened, a row is its heading and then
 * its cells run together as one string of digits ("801000081"); the
 * template's columns and totals say where the cells part. A row is only read
 * where exactly one split fits; where several do ("77132470" under three
 * columns with no total), it is left out rather than guessed.
 *
 * Must never read past doc->text, and must stay linear in the text: each
 * split is searched under a step budget.
 */
#include "buf.h"
#include "metrics_xxgk.h"
#include "metrics_unit.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define XX_MAX_COLS 16
#define XX_MAX_ROWS 40	      /* rows of one table: the template has 25 */
#define XX_MAX_DIGITS 40      /* digits of one flattened row */
#define XX_LABEL_MAX 80	      /* code points of a row heading */
#define XX_HEAD_MAX 300	      /* code points of a flattened header */
#define XX_SPLIT_STEPS 200000 /* search steps for one row's split */
#define SEP "\xC2\xB7"	      /* "·" between the parts of a label */

/* A row's cells: where each number stands, and its value. */
struct xx_row {
	size_t s[XX_MAX_COLS], e[XX_MAX_COLS];
	double v[XX_MAX_COLS];
	size_t n;
};

static int
xx_digit(uint32_t c)
{
	return c >= '0' && c <= '9';
}

static int
xx_space(uint32_t c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == 0x3000;
}

static int
xx_cn_digit(uint32_t c)
{
	static const char32_t n[] = U"一二三四五六七八九十";
	for (const char32_t *p = n; *p; p++)
		if (*p == c)
			return (int)(p - n) + 1;
	return 0;
}

/* Is pos inside a table already read (a real table, read as a grid)? */
static int
xx_taken(const struct table_cells *c, size_t pos)
{
	for (size_t i = 0; i + 1 < c->nspan; i += 2)
		if (c->span[i] <= pos && pos < c->span[i + 1])
			return 1;
	return 0;
}

/* The first place at or after from (before to) where word stands, or SIZE_MAX. */
static size_t
xx_find(const struct text *t, size_t from, size_t to, const char32_t *word)
{
	for (size_t i = from; i < to && i < t->len; i++)
		if (t->cp[i] == (uint32_t)word[0] && unit_word_at(t, i, word))
			return i;
	return SIZE_MAX;
}

/* Count how many times word stands in [from, to). */
static int
xx_count(const struct text *t, size_t from, size_t to, const char32_t *word)
{
	int n = 0;
	size_t p = from;
	while ((p = xx_find(t, p, to, word)) != SIZE_MAX) {
		n++;
		p++;
	}
	return n;
}

/*
 * Split the digits text[s, s + len) into ncols numbers, none with a leading
 * zero; with group > 1, each group of that many ends in the sum of the
 * others. Where several splits fit, the one with the fewest non-zero cells
 * wins, if it is the only one with so few: most cells of these tables are
 * zero ("220000022" is 22 0 0 0 0 0 22, not 2 20 0 0 0 0 22). Returns 1 with
 * the split in row, or 0 when none or no single best one fits.
 */
struct xx_split {
	const uint32_t *d;
	size_t len, ncols, group;
	size_t cut[XX_MAX_COLS + 1];
	struct xx_row *row;
	size_t base;
	long steps;
	size_t best_nz; /* non-zero cells of the best split so far */
	int nbest;	/* splits with that many */
};

static double
xx_value(const struct xx_split *sp, size_t from, size_t to)
{
	double v = 0;
	for (size_t k = from; k < to; k++)
		v = v * 10 + (sp->d[k] - '0');
	return v;
}

static void
xx_split_at(struct xx_split *sp, size_t col, size_t pos)
{
	if (--sp->steps < 0)
		return;
	size_t left = sp->ncols - col;
	if (left == 0) {
		size_t nz = 0;
		for (size_t i = 0; i < sp->ncols; i++)
			nz += xx_value(sp, sp->cut[i], sp->cut[i + 1]) != 0;
		if (sp->nbest > 0 && nz > sp->best_nz)
			return;
		if (sp->nbest > 0 && nz == sp->best_nz) {
			sp->nbest++;
			return;
		}
		sp->best_nz = nz;
		sp->nbest = 1;
		for (size_t i = 0; i < sp->ncols; i++) {
			sp->row->s[i] = sp->base + sp->cut[i];
			sp->row->e[i] = sp->base + sp->cut[i + 1];
			sp->row->v[i] = xx_value(sp, sp->cut[i], sp->cut[i + 1]);
		}
		return;
	}
	size_t rest = sp->len - pos;
	if (rest < left || rest > left * 15)
		return;
	size_t maxw = sp->d[pos] == '0' ? 1 : rest - (left - 1);
	if (maxw > 15)
		maxw = 15;
	for (size_t w = 1; w <= maxw; w++) {
		sp->cut[col + 1] = pos + w;
		if (sp->group > 1 && (col + 1) % sp->group == 0) {
			/* the group's last cell is the sum of the others */
			double sum = 0;
			for (size_t i = col + 1 - sp->group; i < col; i++)
				sum += xx_value(sp, sp->cut[i], sp->cut[i + 1]);
			if (xx_value(sp, pos, pos + w) != sum)
				continue;
		}
		xx_split_at(sp, col + 1, pos + w);
	}
}

static int
xx_split(const struct text *t, size_t s, size_t len, size_t ncols, size_t group, struct xx_row *row)
{
	struct xx_split sp = {.d = t->cp + s,
			      .len = len,
			      .ncols = ncols,
			      .group = group,
			      .row = row,
			      .base = s,
			      .steps = XX_SPLIT_STEPS};
	if (ncols == 0 || ncols > XX_MAX_COLS || len > XX_MAX_DIGITS)
		return 0;
	sp.cut[0] = 0;
	xx_split_at(&sp, 0, 0);
	if (sp.nbest != 1 || sp.steps < 0)
		return 0;
	row->n = ncols;
	return 1;
}

/*
 * Read a row's cells at *p: digit strings apart (one a column) or run
 * together (split as xx_split says). A trailing "N." is the next row's
 * marker, not a cell; decimals are read only for one column. Advances *p
 * past the cells; returns 0 with row filled, or -1.
 */
static int
xx_cells(const struct text *t, size_t *p, size_t ncols, size_t group, struct xx_row *row)
{
	size_t gs[XX_MAX_COLS + 1], ge[XX_MAX_COLS + 1], ng = 0, i = *p;
	memset(row, 0, sizeof(*row));
	while (i < t->len && ng <= XX_MAX_COLS) {
		size_t a = i;
		while (i < t->len &&
		       (xx_digit(t->cp[i]) || (ncols == 1 && t->cp[i] == '.' && i > a &&
					       i + 1 < t->len && xx_digit(t->cp[i + 1]))))
			i++;
		if (i == a)
			break;
		gs[ng] = a;
		ge[ng++] = i;
		size_t k = i;
		while (k < t->len && xx_space(t->cp[k]))
			k++;
		if (k >= t->len || !xx_digit(t->cp[k]))
			break;
		i = k;
	}
	if (ng == 0)
		return -1;
	/* "…00000002.其他": the 2 starts the next row */
	size_t end = ge[ng - 1];
	if (end < t->len && (t->cp[end] == '.' || t->cp[end] == 0xFF0E || t->cp[end] == 0x3001) &&
	    end + 1 < t->len && !xx_digit(t->cp[end + 1])) {
		if (ge[ng - 1] - gs[ng - 1] == 1)
			ng--;
		else
			ge[ng - 1]--;
	}
	if (ng == 0)
		return -1;
	*p = ge[ng - 1];
	if (ng == ncols) {
		for (size_t k = 0; k < ng; k++) {
			char *s = text_utf8(t, gs[k], ge[k]);
			row->v[k] = strtod(s, NULL);
			free(s);
			row->s[k] = gs[k];
			row->e[k] = ge[k];
		}
		row->n = ncols;
		return 0;
	}
	if (ng == 1 && xx_split(t, gs[0], ge[0] - gs[0], ncols, group, row) == 1)
		return 0;
	return -1;
}

/* Add a row's cells: label = heading + SEP + column heading. */
static void
xx_emit(struct doc *doc, struct table_cells *c, const struct xx_row *row, size_t row_s,
	const char *heading, const char *const *cols, const char *unit, double scale,
	enum measure m)
{
	for (size_t k = 0; k < row->n && cols[k]; k++) {
		struct buf b = {0};
		buf_puts(&b, heading);
		if (*heading && *cols[k])
			buf_puts(&b, SEP);
		buf_puts(&b, cols[k]);
		table_cell_add(doc, c, row->s[k], row->e[k], row_s, row->e[row->n - 1],
			       row->v[k] * scale, unit, buf_take(&b), m, doc->report_year);
	}
}

/*
 * A row heading's marker at p: its level (1: 一、 2: （一） 3: 1.), with its
 * length and number; 0 when there is none.
 */
static int
xx_marker(const struct text *t, size_t p, size_t *len, int *num)
{
	uint32_t c = t->cp[p];
	int n;
	if (p + 1 < t->len && (n = xx_cn_digit(c)) && t->cp[p + 1] == 0x3001) {
		*len = 2;
		*num = n;
		return 1;
	}
	if (p + 2 < t->len && (c == 0xFF08 || c == '(') && (n = xx_cn_digit(t->cp[p + 1])) &&
	    (t->cp[p + 2] == 0xFF09 || t->cp[p + 2] == ')')) {
		*len = 3;
		*num = n;
		return 2;
	}
	if (p + 2 < t->len && xx_digit(c) &&
	    (t->cp[p + 1] == '.' || t->cp[p + 1] == 0xFF0E || t->cp[p + 1] == 0x3001) &&
	    !xx_digit(t->cp[p + 2])) {
		*len = 2;
		*num = (int)(c - '0');
		return 3;
	}
	return 0;
}

/* Append a heading part text[s, e), without white space or a closing remark in brackets. */
static char *
xx_part(const struct text *t, size_t s, size_t e)
{
	while (e > s && xx_space(t->cp[e - 1]))
		e--;
	if (e > s && (t->cp[e - 1] == 0xFF09 || t->cp[e - 1] == ')')) {
		size_t k = e - 1;
		while (k > s && t->cp[k] != 0xFF08 && t->cp[k] != '(')
			k--;
		if (k > s) /* "部分公开（区分处理的，…）" is 部分公开 */
			e = k;
	}
	struct buf b = {0};
	for (size_t i = s; i < e; i++)
		if (!xx_space(t->cp[i]))
			buf_put_utf8(&b, t->cp[i]);
	return buf_take(&b);
}

/* 三 收到和处理政府信息公开申请情况: rows of seven cells, the last their total. */
static void
xx_apply(struct doc *doc, struct table_cells *c)
{
	static const char *const cols[] = {"自然人",
					   "法人或其他组织" SEP "商业企业",
					   "法人或其他组织" SEP "科研机构",
					   "法人或其他组织" SEP "社会公益组织",
					   "法人或其他组织" SEP "法律服务机构",
					   "法人或其他组织" SEP "其他",
					   "总计",
					   NULL};
	static const char32_t *const head[] = {
	    U"自然人", U"商业企业", U"科研机构", U"社会公益组织", U"法律服务机构", U"总计", NULL};
	const struct text *t = &doc->text;
	size_t a = xx_find(t, 0, t->len, U"申请人情况");
	if (a == SIZE_MAX)
		return;
	size_t p = xx_find(t, a, a + XX_HEAD_MAX, U"一、");
	if (p == SIZE_MAX)
		return;
	for (const char32_t *const *h = head; *h; h++)
		if (xx_find(t, a, p, *h) == SIZE_MAX)
			return;
	if (xx_taken(c, p))
		return;
	char *part[4] = {NULL, NULL, NULL, NULL};
	int top = 0;
	size_t end = p;
	for (int nrow = 0; nrow < XX_MAX_ROWS; nrow++) {
		while (p < t->len && xx_space(t->cp[p]))
			p++;
		size_t row_s = p, q = p, mlen;
		int num, lvl = p < t->len ? xx_marker(t, p, &mlen, &num) : 0;
		if (lvl == 0 || (lvl == 1 && num <= top))
			break; /* the table is over: the report's next part */
		/* the heading: markers and their words, up to the first cell */
		while (q < t->len && q - p < XX_LABEL_MAX) {
			size_t ml, kl;
			int n, kn, l = xx_marker(t, q, &ml, &n);
			if (l) {
				if (l == 1) {
					if (n <= top)
						break;
					top = n;
				}
				size_t k = q + ml;
				while (k < t->len && !xx_digit(t->cp[k]) &&
				       !xx_marker(t, k, &kl, &kn))
					k++;
				for (int L = l; L < 4; L++) {
					free(part[L]);
					part[L] = NULL;
				}
				part[l] = xx_part(t, q + ml, k);
				q = k;
				continue;
			}
			if (xx_digit(t->cp[q]))
				break;
			q++;
		}
		if (q >= t->len || !xx_digit(t->cp[q]))
			break;
		struct buf h = {0};
		for (int L = 1; L < 4; L++)
			if (part[L] && *part[L]) {
				if (h.len)
					buf_puts(&h, SEP);
				buf_puts(&h, part[L]);
			}
		char *heading = buf_take(&h);
		struct xx_row row;
		if (xx_cells(t, &q, 7, 7, &row) == 0)
			xx_emit(doc, c, &row, row_s, heading, cols, "", 1, MEASURE_LEVEL);
		else if (q < t->len && xx_digit(t->cp[q]))
			q++; /* no cells read: never loop in place */
		free(heading);
		end = q;
		p = q;
	}
	for (int L = 0; L < 4; L++)
		free(part[L]);
	if (end > a)
		table_span_add(c, a, end);
}

/* 四 政府信息公开行政复议、行政诉讼情况: fifteen cells in three groups, each ending in its total.
 */
static void
xx_review(struct doc *doc, struct table_cells *c)
{
#define RESULTS(g)                                                                                 \
	g SEP "结果维持", g SEP "结果纠正", g SEP "其他结果", g SEP "尚未审结", g SEP "总计"
	static const char *const cols[] = {RESULTS("行政复议"),
					   RESULTS("行政诉讼" SEP "未经复议直接起诉"),
					   RESULTS("行政诉讼" SEP "复议后起诉"), NULL};
#undef RESULTS
	const struct text *t = &doc->text;
	size_t a = xx_find(t, 0, t->len, U"行政诉讼情况");
	if (a == SIZE_MAX)
		return;
	size_t q = a;
	while (q < t->len && q - a < XX_HEAD_MAX && !xx_digit(t->cp[q]))
		q++;
	if (q >= t->len || !xx_digit(t->cp[q]) || xx_count(t, a, q, U"结果维持") != 3 ||
	    xx_find(t, a, q, U"未经复议直接起诉") == SIZE_MAX ||
	    xx_find(t, a, q, U"复议后起诉") == SIZE_MAX || xx_taken(c, q))
		return;
	size_t s = q;
	struct xx_row row;
	if (xx_cells(t, &q, 15, 5, &row) == 0) {
		xx_emit(doc, c, &row, s, "", cols, "", 1, MEASURE_LEVEL);
		table_span_add(c, a, q);
	}
}

/* 二 主动公开政府信息情况: per 第二十条 item, its columns, then rows of a heading and cells. */
struct xx_col {
	const char *name;
	const char *unit;
	double scale;
	enum measure measure;
};

static void
xx_active(struct doc *doc, struct table_cells *c)
{
	static const struct word colw[] = {W(U"本年制发件数"),
					   W(U"本年废止件数"),
					   W(U"现行有效件数"),
					   W(U"本年处理决定数量"),
					   W(U"本年收费金额（单位：万元）"),
					   W(U"本年收费金额(单位:万元)"),
					   W(U"本年新制作数量"),
					   W(U"本年新公开数量"),
					   W(U"对外公开总数量"),
					   W(U"上一年项目数量"),
					   W(U"本年增/减"),
					   W(U"处理决定数量"),
					   W(U"采购项目数量"),
					   W(U"采购总金额"),
					   {NULL, 0}};
	static const struct xx_col colm[] = {
	    {"本年制发件数", "件", 1, MEASURE_LEVEL},	{"本年废止件数", "件", 1, MEASURE_LEVEL},
	    {"现行有效件数", "件", 1, MEASURE_LEVEL},	{"本年处理决定数量", "", 1, MEASURE_LEVEL},
	    {"本年收费金额", "元", 1e4, MEASURE_LEVEL}, {"本年收费金额", "元", 1e4, MEASURE_LEVEL},
	    {"本年新制作数量", "", 1, MEASURE_LEVEL},	{"本年新公开数量", "", 1, MEASURE_LEVEL},
	    {"对外公开总数量", "", 1, MEASURE_LEVEL},	{"上一年项目数量", "", 1, MEASURE_LEVEL},
	    {"本年增/减", "", 1, MEASURE_CHANGE},	{"处理决定数量", "", 1, MEASURE_LEVEL},
	    {"采购项目数量", "", 1, MEASURE_LEVEL},	{"采购总金额", "", 1, MEASURE_LEVEL},
	};
	static const struct word roww[] = {
	    W(U"规章"),	    W(U"行政规范性文件"),	W(U"规范性文件"),
	    W(U"行政许可"), W(U"其他对外管理服务事项"), W(U"行政处罚"),
	    W(U"行政强制"), W(U"行政事业性收费"),	W(U"政府集中采购"),
	    {NULL, 0}};
	const struct text *t = &doc->text;
	size_t a = xx_find(t, 0, t->len, U"主动公开政府信息情况");
	if (a == SIZE_MAX)
		return;
	size_t stop = xx_find(t, a, t->len, U"收到和处理政府信息公开申请情况");
	if (stop == SIZE_MAX)
		stop = t->len;
	size_t p = a, end = a;
	while ((p = xx_find(t, p, stop, U"信息内容")) != SIZE_MAX) {
		int cols[XX_MAX_COLS], which;
		size_t ncols = 0, len;
		p += 4;
		for (;;) {
			while (p < stop && xx_space(t->cp[p]))
				p++;
			if (ncols == XX_MAX_COLS || (len = unit_words_at(t, p, colw, &which)) == 0)
				break;
			cols[ncols++] = which;
			p += len;
		}
		if (ncols == 0)
			continue;
		for (int nrow = 0; nrow < XX_MAX_ROWS; nrow++) {
			while (p < stop && xx_space(t->cp[p]))
				p++;
			if ((len = unit_words_at(t, p, roww, &which)) == 0)
				break;
			if (xx_taken(c, p))
				break;
			size_t row_s = p, q = p + len;
			struct xx_row row;
			if (xx_cells(t, &q, ncols, 0, &row) < 0) {
				p = q > p + len ? q : p + len;
				end = p;
				continue;
			}
			for (size_t k = 0; k < row.n; k++) {
				const struct xx_col *cm = &colm[cols[k]];
				struct buf b = {0};
				char *rn = text_utf8(t, row_s, row_s + len);
				buf_puts(&b, rn);
				buf_puts(&b, SEP);
				buf_puts(&b, cm->name);
				free(rn);
				table_cell_add(doc, c, row.s[k], row.e[k], row_s, row.e[row.n - 1],
					       row.v[k] * cm->scale, cm->unit, buf_take(&b),
					       cm->measure, doc->report_year);
			}
			p = end = q;
		}
	}
	if (end > a)
		table_span_add(c, a, end);
}

void
metrics_xxgk_find(struct doc *doc, struct table_cells *c)
{
	xx_active(doc, c);
	xx_apply(doc, c);
	xx_review(doc, c);
}
