/*
 * metrics_number.h - numbers as reports write them: Arabic (1,234.5 and
 * full-width 1．5), Chinese (三千五百, 七点九, 一万二) and both with 多/余 and
 * 万/亿 after them (40多万, 3.1万多, 1.5万).
 */
#ifndef RP_METRICS_NUMBER_H
#define RP_METRICS_NUMBER_H

#include "doc.h"

#include <uchar.h>

struct number {
	size_t start;	   /* first digit */
	size_t core_end;   /* after the digits (and 点/decimals), before 多/余/万/亿 */
	size_t end;	   /* after 多/余 and 万/亿 */
	size_t run_end;	   /* where a caller that refuses the number resumes scanning */
	double value;	   /* 万 and 亿 folded in; finite */
	int chinese;	   /* written in Chinese numerals */
	int bare_one;	   /* exactly 一 */
	int bare_two;	   /* exactly 二 (counting uses 两; 二次 means "secondary") */
	int leading_zero;  /* Arabic with a leading 0 and more digits: a code, not a count */
	int decimal;	   /* has a fractional part */
	int scaled;	   /* 万 or 亿 folded in */
	int over;	   /* 多 or 余 between the digits and the unit: "more than" */
	size_t int_digits; /* Arabic: digits before the decimal point */
};

/*
 * Whether c can start a number (an ASCII digit or a Chinese numeral). Called
 * on every code point of every report, so a multiplicative hash picks the one
 * numeral c could be: (c * NUMERAL_MUL) >> 27 differs for each of the 18
 * (零〇○一二两三四五六七八九十百千万亿). Adding a numeral means finding a new
 * multiplier; metrics_test checks the set.
 */
#define NUMERAL_MUL 0xcacc9ec9u
extern const char32_t number_slot[32];

static inline int
number_starts(uint32_t c)
{
	if (c < 0x80)
		return c >= '0' && c <= '9';
	return number_slot[(uint32_t)(c * NUMERAL_MUL) >> 27] == c;
}

/*
 * Parse the number at t->cp[pos]. Returns 0 and fills n, or -1 when there is
 * no well-formed number there; n->run_end is set either way and is always
 * past pos, so a scanner that resumes there stays linear.
 */
int number_parse(const struct text *t, size_t pos, struct number *n);

#endif
