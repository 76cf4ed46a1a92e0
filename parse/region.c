/*
 * region.c - the place a report speaks for: its issuer's place, else its
 * title's, else the place the opening of its text names most.
 *
 * Names come from the NBS division table (parse/divisions.txt). A short
 * name (平潭, 四川) counts only with a place-type word after it (平潭综合实验区,
 * 四川省), because short names are also common words (和平, 朝阳). Must
 * never take a place from a cited document's title (《…》) or a quotation,
 * and never answer for a central ministry, which speaks for no place.
 */
#include "region.h"
#include "textclass.h"
#include "buf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define REGION_MAX_NAME 12  /* code points in the longest name looked up */
#define REGION_HEAD 1500    /* code points of text searched when nothing else names the place */
#define REGION_MAX_FOUND 64 /* places counted in that text */

/* Words that make a short name a place, longest first where one starts another. */
static const char *const region_suffixes[] = {
    "高新技术产业开发区",
    "经济技术开发区",
    "综合实验区",
    "特别行政区",
    "自治区",
    "自治州",
    "自治县",
    "自治旗",
    "新区",
    "林区",
    "地区",
    "省",
    "市",
    "区",
    "县",
    "州",
    "旗",
    "盟",
    NULL,
};

/* Bodies that speak for the whole country. */
static const char *const region_nation_bodies[] = {"国务院", "中华人民共和国", "中央人民政府",
						   NULL};

static int
region_starts(const char *s, size_t n, const char *w)
{
	size_t k = strlen(w);
	return k <= n && memcmp(s, w, k) == 0;
}

/* Is division d within division parent (or parent itself)? */
static int
region_within(int d, int parent)
{
	static const size_t digits[] = {0, 2, 4, 6};
	const struct division *p = &divisions[parent];
	return strncmp(divisions[d].code, p->code, digits[p->level]) == 0;
}

/* Index of the first name >= s[0..n) in division_names. */
static size_t
region_lower(const char *s, size_t n)
{
	size_t lo = 0, hi = division_names_len;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const char *name = division_names[mid].name;
		size_t k = strlen(name);
		int c = memcmp(name, s, k < n ? k : n);
		if (c == 0)
			c = k < n ? -1 : k > n;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Among the places named exactly s[0..n): one within parent, else the highest level. */
static int
region_pick(const char *s, size_t n, int parent)
{
	int best = -1;
	for (size_t i = region_lower(s, n); i < division_names_len; i++) {
		const char *name = division_names[i].name;
		if (strlen(name) != n || memcmp(name, s, n) != 0)
			break;
		int d = division_names[i].division;
		if (parent >= 0 && d != parent && region_within(d, parent))
			return d;
		if (best < 0 || divisions[d].level < divisions[best].level)
			best = d;
	}
	return best;
}

int
region_name_at(const char *s, size_t n, int parent, size_t *used)
{
	size_t ends[REGION_MAX_NAME + 1] = {0}, nend = 0, i = 0;
	int found = -1;

	*used = 0;
	while (i < n && nend < REGION_MAX_NAME) {
		i += utf8_seqlen((unsigned char)s[i]);
		ends[nend++] = i > n ? n : i;
	}
	/* from the longest: two code points are a short name at the least */
	while (nend-- > 1) {
		size_t k = ends[nend];
		int d = region_pick(s, k, parent);
		if (d < 0)
			continue;
		size_t total = k;
		int full = strlen(divisions[d].name) == k;
		if (!full) {
			size_t best = 0;
			for (const char *const *w = region_suffixes; *w; w++)
				if (region_starts(s + k, n - k, *w) && strlen(*w) > best)
					best = strlen(*w);
			if (best == 0)
				continue;
			total += best;
		} else if (nend < 2) {
			continue; /* a two-character name (城区, 和县) is too often a word */
		}
		if (total > *used) {
			*used = total;
			found = d;
		}
	}
	return found;
}

/* Skip a cited title or a quotation at s: the bytes to skip, 0 when none. */
static size_t
region_skip_quoted(const char *s, size_t n)
{
	static const char *const pairs[][2] = {{"《", "》"}, {"“", "”"}, {"〈", "〉"}};
	for (size_t i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++) {
		if (!region_starts(s, n, pairs[i][0]))
			continue;
		size_t k = strlen(pairs[i][0]);
		for (size_t j = k; j < n; j += utf8_seqlen((unsigned char)s[j]))
			if (region_starts(s + j, n - j, pairs[i][1]))
				return j + strlen(pairs[i][1]);
		return n;
	}
	return 0;
}

/*
 * The place a name such as an issuer's names: the first place in s, made
 * more specific by each place after it that lies within it (广州市天河区 ->
 * 天河区). Its index or -1; *at and *len get the bytes it is written in.
 */
static int
region_in_name(const char *s, size_t n, size_t *at, size_t *len)
{
	int cur = -1;
	for (size_t i = 0; i < n;) {
		size_t used, q = region_skip_quoted(s + i, n - i);
		if (q) {
			i += q;
			continue;
		}
		int d = region_name_at(s + i, n - i, cur, &used);
		if (d >= 0 && (cur < 0 || (d != cur && region_within(d, cur)))) {
			cur = d;
			*at = i;
			*len = used;
			i += used;
		} else if (d >= 0) {
			break; /* a second place that is not within the first */
		} else {
			i += utf8_seqlen((unsigned char)s[i]);
		}
	}
	return cur;
}

static void
region_set(struct doc *doc, const char *code, const char *name, size_t len)
{
	snprintf(doc->region_code, sizeof(doc->region_code), "%s", code);
	free(doc->region_name);
	doc->region_name = xstrndup(name, len);
}

static int
region_nation_body(const char *s)
{
	for (const char *const *b = region_nation_bodies; *b; b++)
		if (strncmp(s, *b, strlen(*b)) == 0)
			return 1;
	return 0;
}

/* A central body that is not a place: a ministry, an administration. */
static int
region_central_body(const char *s)
{
	size_t n = strlen(s);
	return strncmp(s, "国家", strlen("国家")) == 0 || strncmp(s, "中国", strlen("中国")) == 0 ||
	       (n >= 3 && strcmp(s + n - 3, "部") == 0);
}

/* The place the opening of the text names most often (the first of equals). */
static int
region_in_text(const char *s, size_t n, size_t *at, size_t *len)
{
	int found[REGION_MAX_FOUND], count[REGION_MAX_FOUND];
	size_t fat[REGION_MAX_FOUND], flen[REGION_MAX_FOUND], nfound = 0;
	for (size_t i = 0; i < n;) {
		size_t used, q = region_skip_quoted(s + i, n - i);
		if (q) {
			i += q;
			continue;
		}
		int d = region_name_at(s + i, n - i, -1, &used);
		if (d < 0) {
			i += utf8_seqlen((unsigned char)s[i]);
			continue;
		}
		size_t k = 0;
		while (k < nfound && found[k] != d)
			k++;
		if (k == nfound && nfound < REGION_MAX_FOUND) {
			found[k] = d;
			count[k] = 0;
			fat[k] = i;
			flen[k] = used;
			nfound++;
		}
		if (k < nfound)
			count[k]++;
		i += used;
	}
	int best = -1;
	for (size_t k = 0; k < nfound; k++)
		if (best < 0 || count[k] > count[best])
			best = (int)k;
	if (best < 0)
		return -1;
	*at = fat[best];
	*len = flen[best];
	return found[best];
}

void
region_find(struct doc *doc)
{
	size_t at, len;
	int d;

	doc->region_code[0] = '\0';
	if ((doc->issuer && region_nation_body(doc->issuer)) ||
	    (doc->title && strncmp(doc->title, "中华人民共和国", strlen("中华人民共和国")) == 0)) {
		region_set(doc, REGION_NATION_CODE, REGION_NATION_NAME, strlen(REGION_NATION_NAME));
		return;
	}
	if (doc->issuer) {
		d = region_in_name(doc->issuer, strlen(doc->issuer), &at, &len);
		if (d >= 0) {
			region_set(doc, divisions[d].code, doc->issuer + at, len);
			return;
		}
		if (region_central_body(doc->issuer))
			return;
	}
	if (doc->title) {
		d = region_in_name(doc->title, strlen(doc->title), &at, &len);
		if (d >= 0) {
			region_set(doc, divisions[d].code, doc->title + at, len);
			return;
		}
	}
	const struct text *t = &doc->text;
	char *head = text_utf8(t, 0, t->len < REGION_HEAD ? t->len : REGION_HEAD);
	if (strstr(head, "我代表国务院")) {
		region_set(doc, REGION_NATION_CODE, REGION_NATION_NAME, strlen(REGION_NATION_NAME));
	} else if ((d = region_in_text(head, strlen(head), &at, &len)) >= 0) {
		region_set(doc, divisions[d].code, head + at, len);
	}
	free(head);
}
