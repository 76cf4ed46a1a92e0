/*
 * cn_numeral.c - the small Chinese numerals of section markers and dates
 * (see cn_numeral.h).
 */
#include "cn_numeral.h"

int
cn_small_numeral(const uint32_t *cp, size_t n, size_t *used)
{
	size_t i = 0;
	int tens = -1, units = -1, d;

	if (i < n && (d = cn_digit(cp[i])) > 0) {
		units = d;
		i++;
	}
	if (i < n && cp[i] == 0x5341) { /* 十 */
		tens = units < 0 ? 1 : units;
		units = -1;
		i++;
		if (i < n && (d = cn_digit(cp[i])) > 0) {
			units = d;
			i++;
		}
	}
	if (tens < 0 && units < 0)
		return -1;
	*used = i;
	return (tens < 0 ? 0 : tens * 10) + (units < 0 ? 0 : units);
}
