/*
 * gov_body.c - the endings of government bodies' names.
 */
#include "gov_body.h"
#include "decode.h"

#include <string.h>

/*
 * UTF-8, in one list for both callers. A longer ending that ends with a
 * shorter one (人民政府, 统计局) would never be the shortest and is left out.
 */
static const char *const gov_body_ends[] = {
    "政府", "委员会", "管委会", "办公厅", "办公室", "中心", "局", "厅", "委", "院", "署",
};
#define GOV_BODY_ENDS (sizeof(gov_body_ends) / sizeof(gov_body_ends[0]))
#define GOV_BODY_END_MAX 4 /* code points in the longest ending */

/* Decode the UTF-8 ending e (valid) into out; its length in code points. */
static size_t
end_code_points(const char *e, uint32_t out[GOV_BODY_END_MAX])
{
	const unsigned char *p = (const unsigned char *)e;
	size_t left = strlen(e), n = 0, k;
	while (left > 0 && n < GOV_BODY_END_MAX && (k = decode_utf8_one(p, left, &out[n])) > 0) {
		p += k;
		left -= k;
		n++;
	}
	return n;
}

size_t
gov_body_end(const uint32_t *cp, size_t n)
{
	size_t best = 0;
	for (size_t k = 0; k < GOV_BODY_ENDS; k++) {
		uint32_t e[GOV_BODY_END_MAX];
		size_t len = end_code_points(gov_body_ends[k], e);
		if (len <= n && memcmp(cp + n - len, e, len * sizeof(uint32_t)) == 0 &&
		    (best == 0 || len < best))
			best = len;
	}
	return best;
}

size_t
gov_body_end_utf8(const char *s, size_t n)
{
	size_t best = 0;
	for (size_t k = 0; k < GOV_BODY_ENDS; k++) {
		size_t len = strlen(gov_body_ends[k]);
		if (len <= n && memcmp(s + n - len, gov_body_ends[k], len) == 0 &&
		    (best == 0 || len < best))
			best = len;
	}
	return best;
}
