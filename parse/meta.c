/*
 * meta.c - document metadata from the text itself.
 *
 * The title is the first short line (or, in a text flattened onto one line,
 * the first space-separated chunk) that ends in a document-type word; a
 * title wrapped over two lines is joined. The date is the signature date at
 * the end, else a labelled publication date near the top. Must never guess
 * from a single known document: only shapes of titles and dates.
 */
#include "meta.h"
#include "gov_body.h"
#include "textclass.h"
#include "buf.h"
#include "cn_numeral.h"
#include "decode.h"
#include "genre.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TITLE_MAX 80
#define HEAD_SCAN 600	  /* code points at the top searched for a title */
#define CONTACT_SCAN 2000 /* code points at the top searched for whom to ask */
#define TAIL_SCAN 300	  /* code points at the end searched for a signature date */

/* Document-type words a title ends with (UTF-32, longest first within a family). */
static const uint32_t *const title_ends[] = {
    U"报告", U"公报", U"年报", U"总结", U"规划", U"纲要", U"白皮书", U"决算", U"预算",
};

static int
ends_with(const uint32_t *cp, size_t n, const uint32_t *suffix)
{
	size_t k = 0;
	while (suffix[k])
		k++;
	return n >= k && memcmp(cp + n - k, suffix, k * sizeof(uint32_t)) == 0;
}

static int
title_like(const uint32_t *cp, size_t n)
{
	if (n < 4 || n > TITLE_MAX)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (cp[i] == 0x3002 || cp[i] == 0xFF0C || cp[i] == 0xFF1A || cp[i] == 0xFF1B)
			return 0; /* 。，：； */
	for (size_t i = 0; i < sizeof(title_ends) / sizeof(title_ends[0]); i++)
		if (ends_with(cp, n, title_ends[i]))
			return 1;
	return 0;
}

/* Trim spaces from [*s, *e). */
static void
trim(const struct text *t, size_t *s, size_t *e)
{
	while (*s < *e && text_is_space(t->cp[*s]))
		(*s)++;
	while (*e > *s && text_is_space(t->cp[*e - 1]))
		(*e)--;
}

/* Chunks at the top: runs of text between line ends and spaces. */
struct chunk {
	size_t s, e;
};

static size_t
top_chunks(const struct text *t, struct chunk *out, size_t max)
{
	size_t n = 0, i = 0, limit = t->len < HEAD_SCAN ? t->len : HEAD_SCAN;
	while (i < limit && n < max) {
		size_t s = i;
		while (i < t->len && t->cp[i] != '\n' && !text_is_space(t->cp[i]))
			i++;
		if (i > s)
			out[n++] = (struct chunk){s, i};
		i++;
	}
	return n;
}

/* A title that names its year or its subject (关于) stands on its own. */
static int
title_complete(const uint32_t *cp, size_t n)
{
	for (size_t i = 0; i + 1 < n; i++) {
		if (cp[i] == 0x5173 && cp[i + 1] == 0x4E8E) /* 关于 */
			return 1;
		if (i + 4 < n && text_is_digit(cp[i]) && text_is_digit(cp[i + 1]) &&
		    text_is_digit(cp[i + 2]) && text_is_digit(cp[i + 3]) &&
		    cp[i + 4] == 0x5E74) /* 2020年 */
			return 1;
	}
	return 0;
}

/* Does chunk i joined with chunk i + 1 make a title (one wrapped over two lines)? */
static int
title_joined(const struct text *t, const struct chunk *a, const struct chunk *b, char **out)
{
	size_t la = a->e - a->s, lb = b->e - b->s;
	if (la >= TITLE_MAX || title_complete(t->cp + b->s, lb))
		return 0;
	uint32_t *joined = xreallocarray(NULL, la + lb + 1, sizeof(uint32_t));
	memcpy(joined, t->cp + a->s, la * sizeof(uint32_t));
	memcpy(joined + la, t->cp + b->s, lb * sizeof(uint32_t));
	int ok = title_like(joined, la + lb);
	if (ok) {
		struct text jt = {joined, la + lb};
		*out = text_utf8(&jt, 0, la + lb);
	}
	free(joined);
	return ok;
}

/*
 * The first title-like chunk that names its year or subject; failing that,
 * the first title-like chunk at all (breadcrumbs such as 首页…统计公报 lose
 * to the real title after them).
 */
static void
meta_title(struct doc *doc)
{
	const struct text *t = &doc->text;
	struct chunk c[24];
	size_t n = top_chunks(t, c, 24);
	char *fallback = NULL;

	for (size_t i = 0; i < n; i++) {
		char *joined = NULL;
		if (i + 1 < n && !title_like(t->cp + c[i].s, c[i].e - c[i].s) &&
		    title_joined(t, &c[i], &c[i + 1], &joined)) {
			doc->title = joined;
			break;
		}
		if (title_like(t->cp + c[i].s, c[i].e - c[i].s)) {
			if (title_complete(t->cp + c[i].s, c[i].e - c[i].s)) {
				doc->title = text_utf8(t, c[i].s, c[i].e);
				break;
			}
			if (fallback == NULL)
				fallback = text_utf8(t, c[i].s, c[i].e);
		}
	}
	if (doc->title == NULL) {
		doc->title = fallback;
		fallback = NULL;
	}
	free(fallback);
}

/* A digit of a year written in Chinese (二〇二〇, also typed 二O二O); 两 writes no year. */
static int
cn_year_digit(uint32_t c)
{
	if (c == 'O')
		return 0;
	return c == 0x4E24 ? -1 : cn_digit(c);
}

size_t
meta_date_at(const uint32_t *cp, size_t n, char out[11])
{
	int y = 0, mo, d;
	size_t i = 0, k;
	int cn = 0;

	if (n >= 4 && text_is_digit(cp[0]) && text_is_digit(cp[1]) && text_is_digit(cp[2]) &&
	    text_is_digit(cp[3])) {
		y = (int)((cp[0] - '0') * 1000 + (cp[1] - '0') * 100 + (cp[2] - '0') * 10 +
			  (cp[3] - '0'));
		i = 4;
		if (i < n && text_is_digit(cp[i]))
			return 0;
	} else if (n >= 4) {
		for (i = 0; i < 4; i++) {
			int v = cn_year_digit(cp[i]);
			if (v < 0)
				return 0;
			y = y * 10 + v;
		}
		cn = 1;
	} else {
		return 0;
	}
	if (y < 1900 || y > 2199 || i >= n)
		return 0;
	uint32_t sep = cp[i];
	if (sep == 0x5E74) { /* 年 */
		i++;
		mo = cn ? cn_small_numeral(cp + i, n - i, &k) : text_digits(cp + i, n - i, 2, &k);
		if (mo < 1 || mo > 12 || i + k >= n || cp[i + k] != 0x6708) /* 月 */
			return 0;
		i += k + 1;
		d = cn ? cn_small_numeral(cp + i, n - i, &k) : text_digits(cp + i, n - i, 2, &k);
		if (d < 1 || d > 31 || i + k >= n || (cp[i + k] != 0x65E5 && cp[i + k] != 0x53F7))
			return 0; /* 日 or 号 */
		i += k + 1;
	} else if (!cn && (sep == '-' || sep == '/' || sep == '.')) {
		i++;
		mo = text_digits(cp + i, n - i, 2, &k);
		if (mo < 1 || mo > 12 || i + k >= n || cp[i + k] != sep)
			return 0;
		i += k + 1;
		d = text_digits(cp + i, n - i, 2, &k);
		if (d < 1 || d > 31)
			return 0;
		i += k;
	} else {
		return 0;
	}
	snprintf(out, 11, "%04d-%02d-%02d", y, mo, d);
	return i;
}

static int
is_label_before(const struct text *t, size_t pos)
{
	/* 时间： 日期： 发布时间： 发布日期： (optionally a space between) */
	size_t i = pos;
	while (i > 0 && text_is_space(t->cp[i - 1]))
		i--;
	if (i == 0 || (t->cp[i - 1] != 0xFF1A && t->cp[i - 1] != ':'))
		return 0;
	i--;
	if (i >= 2 && ((t->cp[i - 2] == 0x65F6 && t->cp[i - 1] == 0x95F4) || /* 时间 */
		       (t->cp[i - 2] == 0x65E5 && t->cp[i - 1] == 0x671F)))  /* 日期 */
		return 1;
	return 0;
}

/* A date standing alone: a paragraph (or, flattened, a space-separated chunk) of its own. */
static int
date_alone(const struct text *t, size_t pos, size_t used)
{
	size_t e = pos + used;
	int before = pos == 0 || t->cp[pos - 1] == '\n' || text_is_space(t->cp[pos - 1]);
	int after = e >= t->len || t->cp[e] == '\n' || text_is_space(t->cp[e]);
	return before && after;
}

/*
 * The signature date: the last date that stands alone. Failing that, a
 * labelled date near the top (时间：2022-10-31), as CMS pages print.
 */
static void
meta_date(struct doc *doc)
{
	const struct text *t = &doc->text;
	char d[11];

	for (size_t i = 0; i < t->len; i++) {
		if (!(text_is_digit(t->cp[i]) || cn_year_digit(t->cp[i]) >= 0))
			continue;
		size_t used = meta_date_at(t->cp + i, t->len - i, d);
		if (used == 0)
			continue;
		if (date_alone(t, i, used))
			memcpy(doc->published_on, d, 11);
		i += used - 1;
	}
	if (doc->published_on[0])
		return;
	size_t limit = t->len < HEAD_SCAN ? t->len : HEAD_SCAN;
	for (size_t i = 0; i < limit; i++) {
		if (is_label_before(t, i) && meta_date_at(t->cp + i, t->len - i, d)) {
			memcpy(doc->published_on, d, 11);
			return;
		}
	}
}

/*
 * The length of the longest prefix of cp[0..n) that names a government body
 * (a place of two or more characters, then an ending such as 政府), or 0.
 */
static size_t
org_prefix(const uint32_t *cp, size_t n)
{
	size_t best = 0;
	for (size_t end = 2; end <= n; end++) {
		size_t k = gov_body_end(cp, end);
		if (k > 0 && end >= k + 2)
			best = end;
	}
	return best;
}

/* Issuer from a title: before 关于; before the year; or the body named right after it. */
static char *
issuer_from_title(const char *title)
{
	const char *about = strstr(title, "关于");
	if (about && about > title)
		return xstrndup(title, (size_t)(about - title));

	struct doc tmp = {0};
	size_t n = strlen(title);
	if (decode_text(&tmp, (const unsigned char *)title, n, "UTF-8") < 0)
		return NULL;
	const struct text *t = &tmp.text;
	char *issuer = NULL;
	for (size_t i = 0; i + 4 < t->len; i++) {
		if (!(text_is_digit(t->cp[i]) && text_is_digit(t->cp[i + 1]) &&
		      text_is_digit(t->cp[i + 2]) && text_is_digit(t->cp[i + 3]) &&
		      t->cp[i + 4] == 0x5E74))
			continue;
		if (i >= 2) {
			if (org_prefix(t->cp, i) == i)
				issuer = text_utf8(t, 0, i); /* 平潭县人民政府2011年… */
		} else {
			size_t at = i + 5;
			if (at < t->len && t->cp[at] == 0x5EA6) /* 年度 */
				at++;
			size_t k = org_prefix(t->cp + at, t->len - at);
			if (k)
				issuer =
				    text_utf8(t, at, at + k); /* 2026年四川省人民政府工作报告 */
		}
		break;
	}
	free(tmp.text.cp);
	free(tmp.charset);
	return issuer;
}

/* A labelled source (来源：平潭综合实验区统计局) that names a government body. */
static char *
issuer_from_source_label(const struct text *t)
{
	char *found = NULL;
	for (size_t i = 0; i + 3 < t->len; i++) {
		if (!(t->cp[i] == 0x6765 && t->cp[i + 1] == 0x6E90 &&
		      (t->cp[i + 2] == 0xFF1A || t->cp[i + 2] == ':')))
			continue;
		size_t s = i + 3;
		while (s < t->len && (text_is_space(t->cp[s]) || t->cp[s] == '\n'))
			s++;
		size_t e = s;
		while (e < t->len && !text_is_space(t->cp[e]) && t->cp[e] != '\n' && e - s <= 30)
			e++;
		if (e > s && e - s <= 30 && org_prefix(t->cp + s, e - s) == e - s) {
			free(found);
			found = text_utf8(t, s, e);
		}
	}
	return found;
}

/*
 * The body a work report is delivered for: 我代表国务院 (near the top). A
 * bare level (我代表省人民政府) names no body of its own and is left out.
 */
static char *
issuer_from_speaker(const struct text *t)
{
	size_t limit = t->len < HEAD_SCAN ? t->len : HEAD_SCAN;
	for (size_t i = 0; i + 3 < limit; i++) {
		if (!(t->cp[i] == 0x6211 && t->cp[i + 1] == 0x4EE3 && t->cp[i + 2] == 0x8868))
			continue; /* 我代表 */
		size_t s = i + 3, e = s;
		while (e < t->len && e - s < 30 && t->cp[e] != 0xFF0C && t->cp[e] != ',' &&
		       t->cp[e] != 0x5411 && t->cp[e] != '\n') /* ， , 向 */
			e++;
		size_t k = org_prefix(t->cp + s, e - s);
		uint32_t first = t->cp[s];
		if (k && first != 0x7701 && first != 0x5E02 && first != 0x53BF && first != 0x533A)
			return text_utf8(t, s, s + k); /* not 省 市 县 区 */
		return NULL;
	}
	return NULL;
}

/*
 * The body whose office answers for the report (如对本报告有疑问，请与平潭综合
 * 实验区管委会办公室联系): the preamble of a 政府信息公开年度报告 says it when
 * nothing else names the issuer. An office (办公室) answers for the body it
 * belongs to; a body named with no office is taken as it is.
 */
static char *
issuer_from_contact(const struct text *t)
{
	static const uint32_t office[] = U"办公室";
	size_t limit = t->len < CONTACT_SCAN ? t->len : CONTACT_SCAN;
	for (size_t i = 0; i + 2 < limit; i++) {
		if (!(t->cp[i] == 0x8BF7 && t->cp[i + 1] == 0x4E0E)) /* 请与 */
			continue;
		size_t s = i + 2, e = s;
		while (e + 1 < t->len && e - s < 40 &&
		       !(t->cp[e] == 0x8054 && t->cp[e + 1] == 0x7CFB))
			e++; /* to 联系 */
		if (e + 1 >= t->len || e - s >= 40 || e - s < 4)
			continue;
		if (ends_with(t->cp + s, e - s, office) &&
		    org_prefix(t->cp + s, e - s - 3) == e - s - 3)
			return text_utf8(t, s, e - 3);
		if (org_prefix(t->cp + s, e - s) == e - s)
			return text_utf8(t, s, e);
	}
	return NULL;
}

/*
 * The issuer: from the title (before 关于, before its year, or the body
 * after it), else the signature line above the closing date, else the
 * body a work report speaks for, else the body whose office answers for
 * the report, else a labelled source that names a government body.
 */
static void
meta_issuer(struct doc *doc)
{
	const struct text *t = &doc->text;

	if (doc->title && (doc->issuer = issuer_from_title(doc->title)) != NULL)
		return;
	if (doc->published_on[0]) {
		size_t end = t->len;
		while (end > 0 && (t->cp[end - 1] == '\n' || text_is_space(t->cp[end - 1])))
			end--;
		size_t ls = end;
		while (ls > 0 && t->cp[ls - 1] != '\n')
			ls--; /* the date line */
		if (ls > 0) {
			size_t pe = ls - 1;
			while (pe > 0 && (t->cp[pe - 1] == '\n' || text_is_space(t->cp[pe - 1])))
				pe--;
			size_t ps = pe;
			while (ps > 0 && t->cp[ps - 1] != '\n')
				ps--;
			trim(t, &ps, &pe);
			if (pe > ps && pe - ps <= 30 &&
			    org_prefix(t->cp + ps, pe - ps) == pe - ps) {
				doc->issuer = text_utf8(t, ps, pe);
				return;
			}
		}
	}
	if ((doc->issuer = issuer_from_speaker(t)) != NULL)
		return;
	if ((doc->issuer = issuer_from_contact(t)) != NULL)
		return;
	doc->issuer = issuer_from_source_label(t);
}

/* The most frequent year (YYYY年) in the text, when the title gives none. */
static int
year_most_mentioned(const struct text *t)
{
	int counts[300] = {0}, best = 0;
	for (size_t i = 0; i + 4 < t->len; i++) {
		if (!(text_is_digit(t->cp[i]) && text_is_digit(t->cp[i + 1]) &&
		      text_is_digit(t->cp[i + 2]) && text_is_digit(t->cp[i + 3]) &&
		      t->cp[i + 4] == 0x5E74) ||
		    (i > 0 && text_is_digit(t->cp[i - 1])))
			continue;
		int y = (int)((t->cp[i] - '0') * 1000 + (t->cp[i + 1] - '0') * 100 +
			      (t->cp[i + 2] - '0') * 10 + (t->cp[i + 3] - '0'));
		if (y >= 1900 && y < 2200 && ++counts[y - 1900] > counts[best])
			best = y - 1900;
	}
	return counts[best] ? best + 1900 : 0;
}

int
meta_title_year(const char *title)
{
	for (const char *p = title; p && *p; p++) {
		if (!((p[0] == '1' && p[1] == '9') || (p[0] == '2' && p[1] == '0')))
			continue;
		if (text_is_digit((unsigned char)p[2]) && text_is_digit((unsigned char)p[3]) &&
		    strncmp(p + 4, "年", strlen("年")) == 0 &&
		    (p == title || !text_is_digit((unsigned char)p[-1])))
			return (p[0] - '0') * 1000 + (p[1] - '0') * 100 + (p[2] - '0') * 10 +
			       (p[3] - '0');
	}
	return 0;
}

static int
year_at(const struct text *t, size_t i)
{
	if (i + 4 >= t->len ||
	    !(text_is_digit(t->cp[i]) && text_is_digit(t->cp[i + 1]) &&
	      text_is_digit(t->cp[i + 2]) && text_is_digit(t->cp[i + 3])) ||
	    t->cp[i + 4] != 0x5E74 || (i > 0 && text_is_digit(t->cp[i - 1])))
		return 0;
	return (int)((t->cp[i] - '0') * 1000 + (t->cp[i + 1] - '0') * 100 +
		     (t->cp[i + 2] - '0') * 10 + (t->cp[i + 3] - '0'));
}

/* Does t->cp[pos..] start with one of words? */
static int
words_at(const struct text *t, size_t pos, const uint32_t *const *words, size_t nwords)
{
	for (size_t w = 0; w < nwords; w++) {
		size_t k = 0;
		while (words[w][k] && pos + k < t->len && t->cp[pos + k] == words[w][k])
			k++;
		if (words[w][k] == 0)
			return 1;
	}
	return 0;
}

/*
 * The year a work report is delivered in, which names it (DESIGN-NOTES,
 * "report_year"): the date it was delivered (2024年3月5日在…会议上), else the
 * year its plan is for (二、2024年政府工作任务, 对2018年政府工作的建议), else
 * the year after the one it reviews (一、2023年工作回顾), else the year a
 * paragraph opens by naming (1993年是…). 0 when none of these is written.
 */
static int
year_of_work_report(const struct text *t)
{
	static const uint32_t *const plans[] = {
	    U"主要任务",     U"工作总体部署", U"重点工作",	 U"经济社会发展总体要求",
	    U"政府工作任务", U"的工作",	      U"政府工作的建议", U"工作的总体要求",
	};
	static const uint32_t *const reviews[] = {U"工作回顾", U"国内工作回顾"};
	int plan = 0, review = 0, opens = 0;
	char d[11];

	for (size_t i = 0; i < t->len; i++) {
		int y = year_at(t, i);
		if (y == 0)
			continue;
		uint32_t before = i > 0 ? t->cp[i - 1] : '\n';
		if (i < HEAD_SCAN && meta_date_at(t->cp + i, t->len - i, d)) {
			size_t used = meta_date_at(t->cp + i, t->len - i, d);
			if (i + used < t->len && t->cp[i + used] == 0x5728) /* 在…会议上 */
				return y;
		}
		if (!plan && (before == 0x3001 || before == 0x5BF9) && /* 、 对 */
		    words_at(t, i + 5, plans, sizeof(plans) / sizeof(plans[0])))
			plan = y;
		if (!review && before == 0x3001 &&
		    words_at(t, i + 5, reviews, sizeof(reviews) / sizeof(reviews[0])))
			review = y + 1;
		if (!opens && t->cp[i + 5] == 0x662F && /* 是 */
		    (before == '\n' || text_is_space(before) || before == 0xFF01 ||
		     before == 0x3002))
			opens = y;
	}
	return plan ? plan : review ? review : opens;
}

/* Does the text open as a work report does (各位代表, near the top)? */
static int
opens_as_work_report(const struct text *t)
{
	size_t limit = t->len < HEAD_SCAN ? t->len : HEAD_SCAN;
	for (size_t i = 0; i + 3 < limit; i++)
		if (t->cp[i] == 0x5404 && t->cp[i + 1] == 0x4F4D && t->cp[i + 2] == 0x4EE3 &&
		    t->cp[i + 3] == 0x8868)
			return 1;
	return 0;
}

/*
 * The delivery date of a work report (——2024年3月5日在…会议上) when no
 * signature date stands alone.
 */
static void
meta_delivery_date(struct doc *doc)
{
	const struct text *t = &doc->text;
	size_t limit = t->len < HEAD_SCAN ? t->len : HEAD_SCAN;
	char d[11];
	for (size_t i = 0; i < limit; i++) {
		if (year_at(t, i) == 0)
			continue;
		size_t used = meta_date_at(t->cp + i, t->len - i, d);
		if (used && i + used < t->len && t->cp[i + used] == 0x5728) { /* 在 */
			memcpy(doc->published_on, d, 11);
			return;
		}
	}
}

static void
meta_year(struct doc *doc)
{
	if (opens_as_work_report(&doc->text) && !meta_title_year(doc->title)) {
		doc->report_year = year_of_work_report(&doc->text);
		if (doc->report_year)
			return;
	}
	if (doc->title) {
		/* the first 19xx/20xx followed by 年 in the title */
		const char *p = doc->title;
		for (; *p; p++) {
			if ((p[0] == '1' && p[1] == '9') || (p[0] == '2' && p[1] == '0')) {
				if (p[2] >= '0' && p[2] <= '9' && p[3] >= '0' && p[3] <= '9' &&
				    strncmp(p + 4, "年", strlen("年")) == 0 &&
				    (p == doc->title || p[-1] < '0' || p[-1] > '9')) {
					doc->report_year = (p[0] - '0') * 1000 +
							   (p[1] - '0') * 100 + (p[2] - '0') * 10 +
							   (p[3] - '0');
					return;
				}
			}
		}
		return; /* a title without a year: no guess */
	}
	doc->report_year = year_most_mentioned(&doc->text);
}

void
meta_find(struct doc *doc)
{
	meta_title(doc);
	meta_date(doc);
	if (doc->published_on[0] == '\0' && opens_as_work_report(&doc->text))
		meta_delivery_date(doc);
	meta_issuer(doc);
	meta_year(doc);
}

/*
 * A report whose text, page and link give no title is named as its genre
 * names its reports, from what is known of it: a work report is titled 政府
 * 工作报告 (the national and provincial ones are titled just so); the others
 * put the body or place, the year and the genre's words together, as those
 * reports title themselves (平潭县人民政府2011年政府信息公开工作年度报告,
 * 2012年平潭综合实验区国民经济和社会发展统计公报). Without a genre, a year or
 * a body or place, it stays without a title.
 */
void
meta_title_made(struct doc *doc)
{
	if (doc->title || doc->genre == NULL)
		return;
	if (strcmp(doc->genre, GENRE_ZFGZBG) == 0) {
		doc->title = xstrdup("政府工作报告");
		return;
	}
	const char *who = doc->issuer ? doc->issuer : doc->region_name;
	if (doc->report_year == 0 || who == NULL || *who == '\0')
		return;
	struct buf b = {0};
	if (strcmp(doc->genre, GENRE_XXGK) == 0)
		buf_printf(&b, "%s%d年政府信息公开工作年度报告", who, doc->report_year);
	else if (strcmp(doc->genre, GENRE_FAZHI) == 0)
		buf_printf(&b, "%s%d年法治政府建设年度报告", who, doc->report_year);
	else if (strcmp(doc->genre, GENRE_TJGB) == 0 && doc->region_name && *doc->region_name)
		buf_printf(&b, "%d年%s国民经济和社会发展统计公报", doc->report_year,
			   doc->region_name);
	if (b.len)
		doc->title = xstrdup(b.data);
	buf_release(&b);
}
