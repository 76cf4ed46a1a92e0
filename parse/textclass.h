/*
 * textclass.h - the classes of code points the parser's scanners share:
 * blanks within a line, digits and the breaks between clauses. One home,
 * so that the scanners cannot come to disagree on what a blank is.
 */
#ifndef RP_TEXTCLASS_H
#define RP_TEXTCLASS_H

#include <stddef.h>
#include <stdint.h>

/* Bytes of the UTF-8 sequence that starts with byte c (the text is valid UTF-8). */
static inline size_t
utf8_seqlen(unsigned char c)
{
	return c < 0x80 ? 1 : c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : 2;
}

/* A blank within a line: space, tab, the ideographic space. */
static inline int
text_is_space(uint32_t c)
{
	return c == ' ' || c == '\t' || c == 0x3000;
}

/* An ASCII digit. */
static inline int
text_is_digit(uint32_t c)
{
	return c >= '0' && c <= '9';
}

/* An ASCII or full-width digit (２０２５年). */
static inline int
text_is_any_digit(uint32_t c)
{
	return text_is_digit(c) || (c >= 0xFF10 && c <= 0xFF19);
}

/*
 * The value of the one to max ASCII digits at cp[0..n), which no further
 * digit follows, with their count in *used; -1 when there are none or more.
 */
static inline int
text_digits(const uint32_t *cp, size_t n, size_t max, size_t *used)
{
	size_t i = 0;
	int v = 0;
	while (i < n && i < max && text_is_digit(cp[i]))
		v = v * 10 + (int)(cp[i++] - '0');
	if (i == 0 || (i < n && text_is_digit(cp[i])))
		return -1;
	*used = i;
	return v;
}

/* The end of a clause: a comma, semicolon, colon, full stop, ! or ?, or a line's end. */
static inline int
text_is_clause_break(uint32_t c)
{
	return c == 0xFF0C || c == 0xFF1B || c == 0xFF1A || c == 0x3002 || c == 0xFF01 ||
	       c == 0xFF1F || c == ',' || c == ';' || c == ':' || c == '\n';
}

#define TEXT_CLAUSE_BACK 40 /* code points of a clause looked back at */

/*
 * Start of the clause that holds pos: just after the clause break before it,
 * but not before lo nor more than TEXT_CLAUSE_BACK code points back.
 */
static inline size_t
text_clause_start(const uint32_t *cp, size_t lo, size_t pos)
{
	size_t i = pos;
	while (i > lo && pos - i < TEXT_CLAUSE_BACK && !text_is_clause_break(cp[i - 1]))
		i--;
	return i;
}

/* Whether a code point of cp[a..b) is of the class is (a clause break, a digit). */
static inline int
text_any(const uint32_t *cp, size_t a, size_t b, int (*is)(uint32_t))
{
	for (size_t i = a; i < b; i++)
		if (is(cp[i]))
			return 1;
	return 0;
}

#endif
