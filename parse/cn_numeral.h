/*
 * cn_numeral.h - Chinese numerals, as sections, dates and metrics read them.
 */
#ifndef RP_CN_NUMERAL_H
#define RP_CN_NUMERAL_H

#include <stddef.h>
#include <stdint.h>

/*
 * The digits by a perfect hash: the multiplier sends each of the 13 code
 * points that write a digit to its own slot of 16, so that a lookup is one
 * multiply, one load and one compare. Over a whole parse (callgrind, 2 MB
 * of reports) a switch ran 0.5% more instructions, a sorted table searched
 * by halves 6% more. Should
 * two code points ever share a slot, the table's initialisers overwrite
 * each other, which -Wextra -Werror refuses to build.
 */
#define CN_DIGIT_SLOT(c) (((uint32_t)(c)*0xcacc9ec9u) >> 28)
#define CN_DIGIT(c, d) [CN_DIGIT_SLOT(c)] = {c, (d) + 1}

static const struct {
	uint32_t c;
	uint8_t digit_1; /* the digit + 1: 0 in an empty slot, so that c = 0 finds none */
} cn_digits[16] = {
    CN_DIGIT(U'零', 0), CN_DIGIT(U'〇', 0), CN_DIGIT(U'○', 0), /* ○, as typed for 〇 */
    CN_DIGIT(U'一', 1), CN_DIGIT(U'二', 2), CN_DIGIT(U'两', 2), CN_DIGIT(U'三', 3),
    CN_DIGIT(U'四', 4), CN_DIGIT(U'五', 5), CN_DIGIT(U'六', 6), CN_DIGIT(U'七', 7),
    CN_DIGIT(U'八', 8), CN_DIGIT(U'九', 9),
};

/* The digit 0..9 that c writes (零 〇 ○ 一 二 两 三 ... 九), or -1. Inline: the parser asks it of
 * every code point. */
static inline int
cn_digit(uint32_t c)
{
	unsigned slot = CN_DIGIT_SLOT(c);
	return cn_digits[slot].c == c ? cn_digits[slot].digit_1 - 1 : -1;
}

/*
 * Value of the Chinese numeral (一..九十九, 两) at cp[0..n); sets *used to
 * the code points consumed. Returns -1 when there is none.
 */
int cn_small_numeral(const uint32_t *cp, size_t n, size_t *used);

#endif
