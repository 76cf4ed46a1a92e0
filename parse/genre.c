/*
 * genre.c - the genre of a report, from the words its kind is named by.
 *
 * The title decides when it names a genre; otherwise the opening of the
 * text (a work report is addressed to 各位代表 and delivered 向大会), then
 * which genre's name the text repeats. Must never guess a genre from one
 * mention in the body: a work report cites 法治政府建设 and 统计公报 too.
 */
#include "genre.h"

#include <stdlib.h>
#include <string.h>

#define GENRE_HEAD 600	/* code points at the top that say how a report opens */
#define GENRE_REPEATS 3 /* mentions of a genre's name that make an untitled report of it */

struct genre_rule {
	const char *genre;
	const char *words[4]; /* all must appear (in a title) */
};

/* Checked in order: the more specific names first. */
static const struct genre_rule genre_title_rules[] = {
    {GENRE_XXGK, {"政府信息公开", "报告"}}, {GENRE_XXGK, {"政府信息公开", "年报"}},
    {GENRE_XXGK, {"政务公开", "年度报告"}}, {GENRE_FAZHI, {"法治政府建设", NULL}},
    {GENRE_FAZHI, {"依法行政", "报告"}},    {GENRE_TJGB, {"统计公报", NULL}},
    {GENRE_ZFGZBG, {"政府工作报告", NULL}},
};

/* The name an untitled report repeats, and the genre it makes. */
static const struct {
	const char *word;
	const char *genre;
} genre_text_words[] = {
    {"政府信息公开", GENRE_XXGK},
    {"法治政府建设", GENRE_FAZHI},
    {"统计公报", GENRE_TJGB},
};

static const char *
genre_of_title(const char *title)
{
	for (size_t i = 0; i < sizeof(genre_title_rules) / sizeof(genre_title_rules[0]); i++) {
		const struct genre_rule *r = &genre_title_rules[i];
		int all = 1;
		for (size_t k = 0; k < 4 && r->words[k]; k++)
			if (strstr(title, r->words[k]) == NULL)
				all = 0;
		if (all)
			return r->genre;
	}
	return NULL;
}

static size_t
genre_count(const char *text, const char *word)
{
	size_t n = 0, k = strlen(word);
	for (const char *p = strstr(text, word); p; p = strstr(p + k, word))
		n++;
	return n;
}

void
genre_find(struct doc *doc)
{
	const char *g = doc->title ? genre_of_title(doc->title) : NULL;
	if (g) {
		doc->genre = g;
		return;
	}
	const struct text *t = &doc->text;
	char *head = text_utf8(t, 0, t->len < GENRE_HEAD ? t->len : GENRE_HEAD);
	if (strstr(head, "各位代表") &&
	    (strstr(head, "政府工作报告") || strstr(head, "报告政府工作") ||
	     strstr(head, "向大会报告") || strstr(head, "报告工作") || strstr(head, "我代表")))
		g = GENRE_ZFGZBG;
	else if (strstr(head, "报告") || strstr(head, "公报"))
		g = genre_of_title(head); /* a report that names itself at the top */
	free(head);
	if (g == NULL) {
		char *all = text_utf8(t, 0, t->len);
		size_t best = 0;
		for (size_t i = 0; i < sizeof(genre_text_words) / sizeof(genre_text_words[0]);
		     i++) {
			size_t n = genre_count(all, genre_text_words[i].word);
			if (n >= GENRE_REPEATS && n > best) {
				best = n;
				g = genre_text_words[i].genre;
			}
		}
		free(all);
	}
	doc->genre = g ? g : GENRE_OTHER;
}
