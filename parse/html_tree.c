/*
 * html_tree.c - the first pass over a parsed page: for every element, its
 * kind (block, cell, link, chrome to leave out), its text and the part of
 * it inside links, and a content score gathered from the paragraphs below
 * it (Chinese sentence punctuation counts most, then length).
 *
 * Must never recurse: real pages nest thousands of levels deep (unclosed
 * tags), so the walk is iterative over the parent and sibling pointers,
 * with explicit stacks, linear in the nodes.
 */
#include "html_tree.h"
#include "buf.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MIN_PARA 10	  /* code points of text before a block counts as a paragraph */
#define DATA_CELL_MAX 200 /* a table with a longer cell is layout, not data */

static const char *const drop_tags[] = {
    "script", "style",	"noscript", "nav",	"header", "footer",   "form", "iframe",
    "select", "option", "button",   "textarea", "input",  "template", "svg",  "math",
    "object", "embed",	"canvas",   "audio",	"video",  "map",      "head", "title",
    "aside",  "label",	"frameset", "frame",	"applet", "link",     "meta", NULL};

static const char *const block_tags[] = {
    "p",       "div",	   "li",	 "ul",	    "ol",      "dl",	  "dt",	    "dd",
    "h1",      "h2",	   "h3",	 "h4",	    "h5",      "h6",	  "hr",	    "section",
    "article", "main",	   "blockquote", "pre",	    "center",  "address", "figure", "figcaption",
    "caption", "fieldset", "legend",	 "details", "summary", "body",	  "html",   "tbody",
    "thead",   "tfoot",	   "menu",	 "dir",	    "hgroup",  "dialog",  NULL};

/* class or id words of page chrome, and words that save an element anyway */
static const char *const chrome_words[] = {
    "nav",	 "menu",    "header",  "footer",  "share",   "breadcrumb", "crumb",
    "copyright", "sidebar", "toolbar", "comment", "related", "bdshare",	   "topbar",
    "banner",	 "search",  "login",   "print",	  NULL};
static const char *const content_words[] = {"content", "article", "main", "zoom", "text",
					    "detail",  "editor",  "body", NULL};

static int
in_list(const char *s, const char *const *list)
{
	for (; *list; list++)
		if (strcmp(s, *list) == 0)
			return 1;
	return 0;
}

/* Does an attribute value hold any of words (case-insensitive substring)? */
static int
attr_has(const char *v, const char *const *words)
{
	for (; *words; words++)
		if (strcasestr(v, *words) != NULL)
			return 1;
	return 0;
}

/* Chrome by its class or id, or hidden by its style. */
static int
html_is_chrome(const xmlNode *n)
{
	int chrome = 0, saved = 0;
	for (const xmlAttr *a = n->properties; a; a = a->next) {
		const xmlNode *t = a->children;
		if (t == NULL || t->type != XML_TEXT_NODE || t->content == NULL)
			continue;
		const char *name = (const char *)a->name, *v = (const char *)t->content;
		if (strcasecmp(name, "class") == 0 || strcasecmp(name, "id") == 0) {
			chrome |= attr_has(v, chrome_words);
			saved |= attr_has(v, content_words);
		} else if (strcasecmp(name, "style") == 0) {
			char compact[128];
			size_t k = 0;
			for (const char *p = v; *p && k + 1 < sizeof(compact); p++)
				if (*p != ' ' && *p != '\t')
					compact[k++] = *p;
			compact[k] = '\0';
			if (strcasestr(compact, "display:none") ||
			    strcasestr(compact, "visibility:hidden"))
				return 1;
		} else if (strcasecmp(name, "hidden") == 0) {
			return 1;
		}
	}
	return chrome && !saved;
}

static enum hkind
html_kind(const xmlNode *n)
{
	const char *name = (const char *)n->name;

	if (name == NULL)
		return HK_INLINE;
	if (in_list(name, drop_tags))
		return HK_DROP;
	if (strcmp(name, "br") == 0)
		return HK_BR;
	if (strcmp(name, "a") == 0)
		return HK_LINK;
	if (strcmp(name, "td") == 0 || strcmp(name, "th") == 0)
		return HK_CELL;
	if (strcmp(name, "tr") == 0)
		return HK_ROW;
	if (strcmp(name, "table") == 0)
		return HK_TABLE;
	if (html_is_chrome(n))
		return HK_DROP;
	return in_list(name, block_tags) ? HK_BLOCK : HK_INLINE;
}

int
html_tree_blockish(enum hkind k)
{
	return k == HK_BLOCK || k == HK_CELL || k == HK_ROW || k == HK_TABLE;
}

static void
push(size_t **stack, size_t *n, size_t *cap, size_t v)
{
	if (*n == *cap) {
		*cap = *cap ? *cap * 2 : 64;
		*stack = xreallocarray(*stack, *cap, sizeof(size_t));
	}
	(*stack)[(*n)++] = v;
}

struct hstat *
html_tree_stat(const struct hwalk *w, const xmlNode *n)
{
	uintptr_t i = (uintptr_t)n->_private;
	return i ? &w->st[i - 1] : NULL;
}

/* Count the non-space code points of a text node and its Chinese sentence punctuation. */
static void
text_counts(const unsigned char *s, size_t *chars, size_t *punct)
{
	size_t c = 0, p = 0;
	for (; *s; s++) {
		unsigned char b = *s;
		if (b == ' ' || b == '\t' || b == '\n' || b == '\r' || b == '\f' ||
		    (b & 0xC0) == 0x80)
			continue;
		if (b == 0xC2 && s[1] == 0xA0)
			continue; /* NBSP */
		if (b == 0xE3 && s[1] == 0x80 && s[2] == 0x80)
			continue; /* U+3000 */
		c++;
		if (b == ',' || (b == 0xE3 && s[1] == 0x80 && (s[2] == 0x81 || s[2] == 0x82)) ||
		    (b == 0xEF && s[1] == 0xBC &&
		     (s[2] == 0x8C || s[2] == 0x9B || s[2] == 0x9A || s[2] == 0x81 ||
		      s[2] == 0x9F)))
			p++; /* , 、 。 ， ； ： ！ ？ */
	}
	*chars = c;
	*punct = p;
}

/* Walk one: returns whether to descend into n. */
static int
stats_enter(struct hwalk *w, xmlNode *n)
{
	if (n->type == XML_TEXT_NODE || n->type == XML_CDATA_SECTION_NODE) {
		struct hstat *p = n->parent ? html_tree_stat(w, n->parent) : NULL;
		size_t chars, punct;
		if (p == NULL || n->content == NULL)
			return 0;
		text_counts(n->content, &chars, &punct);
		p->chars += chars;
		if (w->in_link)
			p->link_chars += chars;
		if (w->nblocks) {
			struct hstat *b = &w->st[w->blocks[w->nblocks - 1]];
			b->own_chars += chars;
			b->own_punct += punct;
			if (w->in_link)
				b->own_link += chars;
		}
		return 0;
	}
	if (n->type != XML_ELEMENT_NODE)
		return 0;
	enum hkind k = html_kind(n);
	if (k == HK_DROP)
		return 0;
	if (w->nst == w->cap) {
		w->cap = w->cap ? w->cap * 2 : 256;
		w->st = xreallocarray(w->st, w->cap, sizeof(struct hstat));
	}
	struct hstat *s = &w->st[w->nst];
	memset(s, 0, sizeof(*s));
	s->node = n;
	s->kind = (unsigned char)k;
	n->_private = (void *)(uintptr_t)++w->nst;
	if (html_tree_blockish(k))
		push(&w->blocks, &w->nblocks, &w->capb, w->nst - 1);
	if (k == HK_TABLE)
		push(&w->tables, &w->ntables, &w->capt, w->nst - 1);
	if (k == HK_LINK) {
		w->in_link++;
		s->nlinks = 1;
	}
	return 1;
}

/* A paragraph's score goes to its block, the parent, and less to two more ancestors. */
static void
stats_score(struct hwalk *w, xmlNode *n, struct hstat *s)
{
	if (s->own_chars < MIN_PARA || s->own_link * 2 >= s->own_chars)
		return;
	double ps = 1.0 + (double)s->own_punct + fmin((double)s->own_chars / 100.0, 3.0);
	static const double share[] = {1.0, 1.0, 0.5, 1.0 / 3.0};
	struct hstat *a = s;
	for (int up = 0; a && up < 4; up++) {
		a->score += ps * share[up];
		n = n->parent;
		a = n ? html_tree_stat(w, n) : NULL;
	}
}

static void
stats_exit(struct hwalk *w, xmlNode *n)
{
	struct hstat *s = html_tree_stat(w, n);
	if (s == NULL)
		return;
	size_t self = (size_t)(s - w->st);
	enum hkind k = s->kind;

	if (k == HK_LINK && w->in_link > 0)
		w->in_link--;
	if (html_tree_blockish(k)) {
		if (w->nblocks && w->blocks[w->nblocks - 1] == self)
			w->nblocks--;
		stats_score(w, n, s);
		s = &w->st[self];
	}
	if (k == HK_CELL && w->ntables) {
		struct hstat *t = &w->st[w->tables[w->ntables - 1]];
		if (s->chars > t->max_cell)
			t->max_cell = s->chars;
	}
	if (k == HK_TABLE) {
		if (w->ntables && w->tables[w->ntables - 1] == self)
			w->ntables--;
		if (w->ntables)
			w->st[w->tables[w->ntables - 1]].nested = 1;
		s->data = !s->nested && s->max_cell <= DATA_CELL_MAX;
	}
	struct hstat *p = n->parent ? html_tree_stat(w, n->parent) : NULL;
	if (p) {
		p->chars += s->chars;
		p->link_chars += s->link_chars;
		p->nlinks += s->nlinks;
	}
}

void
html_tree_walk(xmlNode *root, int (*enter)(void *, xmlNode *), void (*leave)(void *, xmlNode *),
	       void *ctx)
{
	xmlNode *n = root;
	while (n) {
		int down = enter(ctx, n);
		if (down && n->children) {
			n = n->children;
			continue;
		}
		if (down)
			leave(ctx, n);
		while (n != root && n->next == NULL) {
			n = n->parent;
			leave(ctx, n);
		}
		if (n == root)
			break;
		n = n->next;
	}
}

static int
stats_enter_cb(void *w, xmlNode *n)
{
	return stats_enter(w, n);
}

static void
stats_exit_cb(void *w, xmlNode *n)
{
	stats_exit(w, n);
}

void
html_tree_release(struct hwalk *w)
{
	for (size_t i = 0; i < w->nst; i++)
		w->st[i].node->_private = NULL;
	free(w->st);
	free(w->blocks);
	free(w->tables);
	memset(w, 0, sizeof(*w));
}

void
html_tree_stats(struct hwalk *w, xmlNode *root)
{
	html_tree_walk(root, stats_enter_cb, stats_exit_cb, w);
}
