/*
 * metrics_number.c - reading one number out of the text: Arabic or Chinese
 * numerals, a decimal part, 多/余 and the 万/亿 scale.
 *
 * Knows nothing about units or whether a number is a metric. Must never
 * recurse, allocate, or read past the text, whatever the input (a million
 * digits in a row, 亿亿亿…, stray separators): every call ends past pos.
 */
#include "metrics_number.h"
#include "textclass.h"
#include "cn_numeral.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

/* Integer parts longer than this are codes or junk, never a stated quantity. */
#define MAX_INT_DIGITS 15
/* Significant digits kept in the mantissa; more cannot change a double much. */
#define MAX_SIG 18

static int
cn_small(uint32_t c)
{
	switch (c) {
	case U'十':
		return 10;
	case U'百':
		return 100;
	case U'千':
		return 1000;
	}
	return 0;
}

/* Decimal exponent of 万 and 亿, else 0. */
static int
cn_big(uint32_t c)
{
	return c == U'万' ? 4 : c == U'亿' ? 8 : 0;
}

static int
is_cn(uint32_t c)
{
	return cn_digit(c) >= 0 || cn_small(c) || cn_big(c);
}

/* (c * NUMERAL_MUL) >> 27 tells the numerals apart; see metrics_number.h. */
const char32_t number_slot[32] = {
    [0] = U'九',  [2] = U'六',	[4] = U'百',  [7] = U'四',  [8] = U'二',  [11] = U'一',
    [12] = U'○',  [13] = U'千', [15] = U'三', [16] = U'八', [18] = U'五', [20] = U'亿',
    [23] = U'七', [24] = U'零', [26] = U'十', [27] = U'两', [28] = U'万', [29] = U'〇',
};

/* 10^e, exact for |e| <= 22, so 135.53亿 comes out as 13553000000 exactly. */
static double
pow10i(int e)
{
	static const double p[] = {1e0,	 1e1,  1e2,  1e3,  1e4,	 1e5,  1e6,  1e7,
				   1e8,	 1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
				   1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
	if (e >= 0 && e <= 22)
		return p[e];
	return pow(10.0, e);
}

static double
scaled(double mant, int e)
{
	if (e >= 0)
		return mant * pow10i(e);
	return mant / pow10i(-e);
}

/* The whole run of Chinese numeral characters at pos, for skipping junk. */
static size_t
cn_run_end(const struct text *t, size_t pos)
{
	size_t i = pos;
	while (i < t->len && (is_cn(t->cp[i]) ||
			      (t->cp[i] == U'点' && i + 1 < t->len && cn_digit(t->cp[i + 1]) >= 0)))
		i++;
	return i > pos ? i : pos + 1;
}

static int
cn_parse(const struct text *t, size_t pos, struct number *n)
{
	const uint32_t *cp = t->cp;
	size_t i = pos;
	double total = 0, section = 0, last_mult = 0;
	int pending = -1, last_small = 10000, wan = 0, zero = 0;

	n->chinese = 1;
	/* 百姓, 千家万户, 万一, 〇: a numeral starts with a digit or 十 */
	if (cn_digit(cp[pos]) <= 0 && cp[pos] != U'十')
		goto bad;
	while (i < t->len) {
		uint32_t c = cp[i];
		int d, m;
		if ((d = cn_digit(c)) >= 0) {
			/* 十四五, 二〇二〇, 三四个: digit strings are names and years */
			if (pending >= 0 || (d == 0 && zero))
				goto bad;
			if (d == 0) {
				zero = 1;
				last_mult = 0;
			} else {
				pending = d;
			}
			i++;
			continue;
		}
		if ((m = cn_small(c)) != 0) {
			int k = pending;
			if (k < 0) {
				/* a leading 十 is 一十; elsewhere (五万千瓦) the 千 is the unit's
				 */
				if (m != 10 || !(i == pos || zero))
					break;
				k = 1;
			}
			if (m >= last_small)
				goto bad;
			section += (double)k * m;
			last_small = m;
			last_mult = m;
			pending = -1;
			zero = 0;
			i++;
			continue;
		}
		if ((m = cn_big(c)) != 0) {
			if (pending > 0)
				section += pending;
			pending = -1;
			if (total == 0 && section == 0)
				goto bad;
			if (m == 4) {
				if (wan)
					goto bad;
				total += section * 1e4;
				wan = 1;
			} else {
				total = (total + section) * 1e8;
				wan = 0;
			}
			section = 0;
			last_small = 10000;
			last_mult = m == 4 ? 1e4 : 1e8;
			zero = 0;
			n->scaled = 1;
			i++;
			continue;
		}
		break;
	}
	if (i + 1 < t->len && cp[i] == U'点' && cn_digit(cp[i + 1]) >= 0) {
		double mant = total + section + (pending > 0 ? pending : 0);
		int e = 0;
		i++;
		for (int d; i < t->len && (d = cn_digit(cp[i])) >= 0; i++) {
			if (e > -MAX_SIG) {
				mant = mant * 10 + d;
				e--;
			}
		}
		n->value = scaled(mant, e);
		n->decimal = 1;
	} else {
		double v = total + section;
		/* 三千五, 一万二: a last digit right after 百/千/万 counts in the next place down
		 */
		if (pending > 0)
			v += pending * (last_mult >= 100 ? last_mult / 10 : 1);
		n->value = v;
	}
	n->core_end = i;
	n->bare_one = i == pos + 1 && cp[pos] == U'一';
	n->bare_two = i == pos + 1 && cp[pos] == U'二';
	return 0;
bad:
	n->run_end = cn_run_end(t, pos);
	return -1;
}

static int
ar_parse(const struct text *t, size_t pos, struct number *n)
{
	const uint32_t *cp = t->cp;
	size_t r = pos, i = pos, group = 0;
	uint64_t mant = 0;
	int sig = 0, e = 0, comma = 0;

	/* the run: digits and the separators between them */
	while (r < t->len &&
	       (text_is_digit(cp[r]) || ((cp[r] == '.' || cp[r] == U'．' || cp[r] == ',') &&
					 r + 1 < t->len && text_is_digit(cp[r + 1]))))
		r++;
	n->run_end = r;
	while (i < r) {
		uint32_t c = cp[i];
		if (text_is_digit(c)) {
			if (sig < MAX_SIG) {
				mant = mant * 10 + (c - '0');
				sig += mant != 0;
			} else {
				e++;
			}
			n->int_digits++;
			group++;
			i++;
		} else if (c == ',') {
			if (comma ? group != 3 : group > 3)
				return -1;
			comma = 1;
			group = 0;
			i++;
		} else {
			break;
		}
	}
	if (comma && group != 3)
		return -1;
	if (i < r) { /* a decimal point */
		n->decimal = 1;
		for (i++; i < r && text_is_digit(cp[i]); i++) {
			if (sig < MAX_SIG) {
				mant = mant * 10 + (cp[i] - '0');
				sig += mant != 0;
				e--;
			}
		}
	}
	/* a second point or a stray separator: 1.6.2, 2020.12.18, 1,2345 */
	if (i != r || n->int_digits > MAX_INT_DIGITS)
		return -1;
	n->leading_zero = cp[pos] == '0' && n->int_digits > 1;
	n->value = scaled((double)mant, e);
	n->core_end = i;
	return 0;
}

int
number_parse(const struct text *t, size_t pos, struct number *n)
{
	const uint32_t *cp = t->cp;

	memset(n, 0, sizeof(*n));
	n->start = pos;
	if (pos >= t->len) {
		n->run_end = pos + 1;
		return -1;
	}
	if (text_is_digit(cp[pos]) ? ar_parse(t, pos, n) : cn_parse(t, pos, n)) {
		if (n->run_end <= pos)
			n->run_end = pos + 1;
		return -1;
	}

	size_t i = n->core_end;
	int e = 0, k = 0;
	/* 39.8 万亿元: web text puts a space between digits and their scale */
	if (!n->chinese && i + 1 < t->len && (cp[i] == ' ' || cp[i] == 0x3000 || cp[i] == 0xA0) &&
	    cn_big(cp[i + 1]))
		i++;
	if (i < t->len && (cp[i] == U'多' || cp[i] == U'余')) {
		n->over = 1;
		i++;
	}
	/* 5千万: a 千 or 百 only counts as scale when 万 or 亿 follows it */
	if (!n->chinese && i + 1 < t->len && (cp[i] == U'千' || cp[i] == U'百') &&
	    cn_big(cp[i + 1])) {
		e += cp[i] == U'千' ? 3 : 2;
		i++;
	}
	/* at most 万亿: 亿亿亿… is junk, not a scale */
	for (int b; i < t->len && k < 2 && (b = cn_big(cp[i])) != 0; i++, k++) {
		e += b;
		n->scaled = 1;
	}
	if (!n->over && n->scaled && i < t->len && (cp[i] == U'多' || cp[i] == U'余')) {
		n->over = 1;
		i++;
	}
	n->value = scaled(n->value, e);
	n->end = i;
	if (n->run_end < i)
		n->run_end = i;
	if (!isfinite(n->value))
		return -1;
	return 0;
}
