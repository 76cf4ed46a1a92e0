/*
 * html.c - an HTML page through libxml2's HTML parser: the declared
 * charset, the page's metadata (<title>, the CMS <meta> tags Chinese
 * government sites emit), and the main content as text (html_content.c),
 * or the part a source's content_xpath names.
 *
 * Must never let libxml2 decide the charset (decode.c does, in the order
 * the issue fixes), never fetch anything (HTML_PARSE_NONET) and never
 * recurse over the tree: pages come nested arbitrarily deep.
 */
#include "html.h"
#include "buf.h"
#include "decode.h"
#include "html_content.h"

#include <ctype.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libxml/HTMLparser.h>
#include <libxml/xpath.h>

#define META_SCAN 8192		/* bytes searched for a declared charset */
#define TITLE_MAX 600		/* bytes of a title taken from the page */
#define TITLE_HEAD 1800		/* bytes at the top of the text where the title is looked for */
#define NEST_BUDGET 50000000ULL /* steps libxml2 may spend matching end tags */
#define ATTR_MAX 10000		/* attributes on one tag */

static const unsigned char *
memcasemem(const unsigned char *h, size_t hn, const char *needle)
{
	size_t k = strlen(needle);
	for (size_t i = 0; k && i + k <= hn; i++)
		if (strncasecmp((const char *)h + i, needle, k) == 0)
			return h + i;
	return NULL;
}

/* The label after "name" and "=" in [p, e), leniently: spaces, quotes, no quotes. */
static int
html_label_after(const unsigned char *p, const unsigned char *e, const char *name, char *out,
		 size_t outlen)
{
	const unsigned char *q;
	while ((q = memcasemem(p, (size_t)(e - p), name)) != NULL) {
		p = q + strlen(name);
		while (p < e && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
			p++;
		if (p >= e || *p != '=')
			continue;
		p++;
		while (p < e && (*p == ' ' || *p == '\t' || *p == '"' || *p == '\'' || *p == '\n'))
			p++;
		size_t n = 0;
		while (p + n < e &&
		       (isalnum(p[n]) || p[n] == '-' || p[n] == '_' || p[n] == '.' || p[n] == ':'))
			n++;
		if (n == 0 || n >= outlen)
			continue;
		memcpy(out, p, n);
		out[n] = '\0';
		return 0;
	}
	return -1;
}

int
html_meta_charset(const unsigned char *data, size_t len, char *out, size_t outlen)
{
	size_t n = len < META_SCAN ? len : META_SCAN;

	for (size_t i = 0; i + 5 < n; i++) {
		if (data[i] != '<')
			continue;
		if (memcmp(data + i, "<!--", 4) == 0) {
			const unsigned char *e = memmem(data + i, n - i, "-->", 3);
			if (e == NULL)
				return -1;
			i = (size_t)(e - data) + 2;
			continue;
		}
		const char *key = NULL;
		if (strncasecmp((const char *)data + i, "<meta", 5) == 0)
			key = "charset";
		else if (strncasecmp((const char *)data + i, "<?xml", 5) == 0)
			key = "encoding";
		if (key == NULL)
			continue;
		const unsigned char *e = memchr(data + i, '>', n - i);
		if (e == NULL)
			e = data + n;
		if (html_label_after(data + i, e, key, out, outlen) == 0)
			return 0;
		i = (size_t)(e - data);
	}
	return -1;
}

/* FNV-1a of a lower-cased tag name at s; *len is how far the name goes. */
static uint32_t
html_tag_hash(const char *s, size_t n, size_t *len)
{
	uint32_t h = 2166136261u;
	size_t i = 0;
	while (i < n && i < 32 && isalnum((unsigned char)s[i]))
		h = (h ^ (uint32_t)tolower((unsigned char)s[i++])) * 16777619u;
	*len = i;
	return h;
}

/* libxml2's end priority: an end tag never closes an element of higher priority. */
static unsigned char
html_end_priority(const char *name, size_t len)
{
	static const struct {
		const char *name;
		unsigned char prio;
	} pr[] = {{"div", 150},	  {"td", 160},	  {"th", 160},	  {"tr", 170},
		  {"thead", 180}, {"tbody", 180}, {"tfoot", 180}, {"table", 190},
		  {"head", 200},  {"body", 200},  {"html", 220}};
	for (size_t i = 0; i < sizeof(pr) / sizeof(pr[0]); i++)
		if (strlen(pr[i].name) == len && strncasecmp(name, pr[i].name, len) == 0)
			return pr[i].prio;
	return 100;
}

static int
html_is_void(const char *name, size_t len)
{
	static const char *const v[] = {"area",	 "base",  "br",	   "col",    "embed", "hr",
					"img",	 "input", "link",  "meta",   "param", "source",
					"track", "wbr",	  "frame", "keygen", NULL};
	for (const char *const *p = v; *p; p++)
		if (strlen(*p) == len && strncasecmp(name, *p, len) == 0)
			return 1;
	return 0;
}

/*
 * Would libxml2 take too long over this page? Its HTML parser searches the
 * whole stack of open elements for each end tag, so a page of a million
 * unclosed tags followed by many end tags takes hours (and a tag's
 * attributes are checked pairwise). This simulates the search, without the
 * auto-closing, which only overestimates, and stops once NEST_BUDGET steps
 * are spent. Returns 1 when over budget; *attrs is the most attributes a
 * tag has, roughly.
 */
static int
html_too_nested(const char *s, size_t n, size_t *attrs)
{
	struct {
		uint32_t hash;
		unsigned char prio;
	} *stack = NULL;
	size_t depth = 0, cap = 0, i = 0, len;
	unsigned long long cost = 0;
	const char *p;
	int over = 0;

	*attrs = 0;
	while (!over && i < n && (p = memchr(s + i, '<', n - i)) != NULL) {
		i = (size_t)(p - s) + 1;
		if (i < n && (s[i] == '!' || s[i] == '?')) {
			const char *close = strncmp(s + i, "!--", 3) == 0 ? "-->" : ">";
			const char *e = memmem(s + i, n - i, close, strlen(close));
			i = e ? (size_t)(e - s) + strlen(close) : n;
			continue;
		}
		int end = i < n && s[i] == '/';
		i += (size_t)end;
		uint32_t h = html_tag_hash(s + i, n - i, &len);
		if (len == 0)
			continue;
		const char *name = s + i;
		if (end) {
			/* libxml2 looks for the element all down the stack, then closes
			 * it unless an element of higher priority is above it */
			unsigned char prio = html_end_priority(name, len), above = 0;
			size_t k = depth;
			for (; k > 0 && stack[k - 1].hash != h; k--, cost++)
				if (stack[k - 1].prio > above)
					above = stack[k - 1].prio;
			cost++;
			if (k > 0 && above <= prio)
				depth = k - 1;
			over = cost > NEST_BUDGET;
			continue;
		}
		size_t eq = 0;
		for (i += len; i < n && s[i] != '>'; i++)
			eq += s[i] == '=';
		if (eq > *attrs)
			*attrs = eq;
		if ((i > 0 && s[i - 1] == '/') || html_is_void(name, len))
			continue;
		if ((len == 6 && strncasecmp(name, "script", 6) == 0) ||
		    (len == 5 && strncasecmp(name, "style", 5) == 0)) {
			/* raw text up to its end tag: no tags inside */
			const char *e;
			while (i < n && (e = memmem(s + i, n - i, "</", 2)) != NULL) {
				i = (size_t)(e - s) + 2;
				if (n - i >= len && strncasecmp(s + i, name, len) == 0)
					break;
			}
			continue;
		}
		if (depth == cap) {
			cap = cap ? cap * 2 : 256;
			stack = xreallocarray(stack, cap, sizeof(*stack));
		}
		stack[depth].hash = h;
		stack[depth++].prio = html_end_priority(name, len);
	}
	free(stack);
	return over;
}

/* Pre-order successor of n below root; skips n's children unless down. */
static xmlNode *
html_next(xmlNode *n, const xmlNode *root, int down)
{
	if (down && n->children)
		return n->children;
	while (n != root && n->next == NULL)
		n = n->parent;
	return n == root ? NULL : n->next;
}

static const char *
html_attr(const xmlNode *n, const char *name)
{
	for (const xmlAttr *a = n->properties; a; a = a->next)
		if (strcasecmp((const char *)a->name, name) == 0 && a->children &&
		    a->children->type == XML_TEXT_NODE)
			return (const char *)a->children->content;
	return NULL;
}

/* A copy of s with white space (ASCII, NBSP, U+3000) trimmed, or NULL when nothing is left. */
static char *
html_trimmed(const char *s, size_t max)
{
	if (s == NULL)
		return NULL;
	for (;;) {
		if (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
			s++;
		else if (strncmp(s, "\xC2\xA0", 2) == 0)
			s += 2;
		else if (strncmp(s, "\xE3\x80\x80", 3) == 0)
			s += 3;
		else
			break;
	}
	size_t n = strlen(s);
	for (;;) {
		if (n > 0 && strchr(" \t\n\r", s[n - 1]))
			n--;
		else if (n >= 2 && strncmp(s + n - 2, "\xC2\xA0", 2) == 0)
			n -= 2;
		else if (n >= 3 && strncmp(s + n - 3, "\xE3\x80\x80", 3) == 0)
			n -= 3;
		else
			break;
	}
	if (n == 0 || n > max)
		return NULL;
	return xstrndup(s, n);
}

struct html_found {
	xmlNode *body, *h1;
	char *title_tag;     /* <title> */
	char *article_title; /* <meta name="ArticleTitle"> */
	char *pubdate;	     /* <meta name="PubDate"> */
	char *source;	     /* <meta name="ContentSource"> */
};

static void
html_found_meta(struct html_found *f, const xmlNode *n)
{
	const char *name = html_attr(n, "name"), *content = html_attr(n, "content");
	char **slot = NULL;
	if (name == NULL || content == NULL)
		return;
	if (strcasecmp(name, "ArticleTitle") == 0)
		slot = &f->article_title;
	else if (strcasecmp(name, "PubDate") == 0 || strcasecmp(name, "PublishDate") == 0)
		slot = &f->pubdate;
	else if (strcasecmp(name, "ContentSource") == 0)
		slot = &f->source;
	if (slot && *slot == NULL)
		*slot = html_trimmed(content, TITLE_MAX);
}

/*
 * Is this <h1> an article's title, not the site's logo or name: not inside
 * page chrome (header, nav, a logo box), not a link or an image?
 */
static int
html_h1_is_title(const xmlNode *h1)
{
	static const char *const chrome[] = {"header", "nav", "footer", "logo", "top", NULL};
	for (const xmlNode *c = h1->children; c; c = c->next)
		if (c->type == XML_ELEMENT_NODE && (strcmp((const char *)c->name, "a") == 0 ||
						    strcmp((const char *)c->name, "img") == 0))
			return 0;
	int up = 0;
	for (const xmlNode *a = h1->parent; a && a->type == XML_ELEMENT_NODE && up < 64;
	     a = a->parent, up++) {
		for (const char *const *w = chrome; *w; w++) {
			const char *cls = html_attr(a, "class"), *id = html_attr(a, "id");
			if (strcmp((const char *)a->name, *w) == 0 ||
			    (cls && strcasestr(cls, *w)) || (id && strcasestr(id, *w)))
				return 0;
		}
	}
	return 1;
}

/* One walk over the whole page for <body>, the first title <h1>, <title> and the CMS tags. */
static void
html_find(xmlNode *root, struct html_found *f)
{
	for (xmlNode *n = root; n;) {
		int down = 1;
		if (n->type == XML_ELEMENT_NODE && n->name) {
			const char *name = (const char *)n->name;
			if (strcmp(name, "script") == 0 || strcmp(name, "style") == 0) {
				down = 0;
			} else if (strcmp(name, "body") == 0 && f->body == NULL) {
				f->body = n;
			} else if (strcmp(name, "h1") == 0) {
				if (f->h1 == NULL && html_h1_is_title(n))
					f->h1 = n;
				down = 0;
			} else if (strcmp(name, "title") == 0 && f->title_tag == NULL) {
				struct buf b = {0};
				html_content_inline(n, &b, TITLE_MAX);
				f->title_tag = b.len ? buf_take(&b) : NULL;
				buf_release(&b);
				down = 0;
			} else if (strcmp(name, "meta") == 0) {
				html_found_meta(f, n);
			}
		} else if (n->type != XML_ELEMENT_NODE && n->type != XML_DOCUMENT_NODE &&
			   n->type != XML_HTML_DOCUMENT_NODE) {
			down = 0;
		}
		n = html_next(n, root, down);
	}
}

/*
 * The article title in a <title> such as "Title_Column_Site" or "Site - Title":
 * the longest part between the separators sites use.
 */
static char *
html_title_from_tag(const char *t)
{
	static const char *const seps[] = {"_", "|", " - ", "－", "—", "--", NULL};
	const char *best = t, *p = t;
	size_t bestn = 0;
	for (;;) {
		const char *e = NULL;
		size_t sl = 0;
		for (const char *const *s = seps; *s; s++) {
			const char *q = strstr(p, *s);
			if (q && (e == NULL || q < e)) {
				e = q;
				sl = strlen(*s);
			}
		}
		size_t n = e ? (size_t)(e - p) : strlen(p);
		if (n > bestn) {
			best = p;
			bestn = n;
		}
		if (e == NULL)
			break;
		p = e + sl;
	}
	char *part = xstrndup(best, bestn);
	char *out = html_trimmed(part, TITLE_MAX);
	free(part);
	return out;
}

/* The page's title: the CMS's ArticleTitle, else the first <h1>, else <title>. */
static char *
html_title(struct html_found *f)
{
	if (f->article_title) {
		char *t = f->article_title;
		f->article_title = NULL;
		return t;
	}
	if (f->h1) {
		struct buf b = {0};
		html_content_inline(f->h1, &b, TITLE_MAX);
		char *t = html_trimmed(b.data, TITLE_MAX);
		buf_release(&b);
		if (t && strlen(t) >= 8) /* two Chinese characters at least */
			return t;
		free(t);
	}
	return f->title_tag ? html_title_from_tag(f->title_tag) : NULL;
}

/* s without white space, at most max bytes of it. */
static char *
html_squeezed(const char *s, size_t max)
{
	struct buf b = {0};
	buf_reserve(&b, 64);
	for (size_t i = 0; i < max && s[i];) {
		if (strchr(" \t\n\r", s[i]))
			i++;
		else if (strncmp(s + i, "\xC2\xA0", 2) == 0)
			i += 2;
		else if (strncmp(s + i, "\xE3\x80\x80", 3) == 0)
			i += 3;
		else
			buf_putc(&b, s[i++]);
	}
	return buf_take(&b);
}

/* Does the top of text hold title, white space aside (a title wrapped over lines)? */
static int
html_text_has_title(const char *text, const char *title)
{
	char *head = html_squeezed(text, TITLE_HEAD), *t = html_squeezed(title, TITLE_MAX);
	int found = *t == '\0' || strstr(head, t) != NULL;
	free(head);
	free(t);
	return found;
}

static void
html_found_release(struct html_found *f)
{
	free(f->title_tag);
	free(f->article_title);
	free(f->pubdate);
	free(f->source);
	memset(f, 0, sizeof(*f));
}

/*
 * The content text (UTF-8) becomes doc->text, the title first when the
 * content lacks it (CMSes print it outside the article); doc->charset stays
 * the page's.
 */
static void
html_set_text(struct doc *doc, const struct buf *content, const char *title)
{
	struct buf text = {0};
	const char *c = content->data ? content->data : "";

	if (title && !html_text_has_title(c, title)) {
		buf_puts(&text, title);
		buf_putc(&text, '\n');
	}
	buf_append(&text, c, content->len);
	char *charset = doc->charset;
	doc->charset = NULL;
	decode_text(doc, (const unsigned char *)(text.data ? text.data : ""), text.len, "UTF-8");
	free(doc->charset);
	doc->charset = charset;
	buf_release(&text);
}

static void
html_xpath_quiet(void *ctx, xmlError *e)
{
	(void)ctx;
	(void)e;
}

/* The text of the nodes content_xpath selects; 0, or -1 when it selects nothing. */
static int
html_xpath_text(struct doc *doc, xmlDoc *hd, const char *xpath, struct buf *out)
{
	xmlXPathContext *ctx = xmlXPathNewContext(hd);
	if (ctx == NULL)
		return -1;
	ctx->error = html_xpath_quiet;
	xmlXPathObject *r = xmlXPathEvalExpression((const xmlChar *)xpath, ctx);
	int rc = -1;
	if (r == NULL) {
		doc_warn(doc,
			 "content_xpath '%.100s' is not a valid XPath: content found by scoring",
			 xpath);
	} else if (r->type != XPATH_NODESET || r->nodesetval == NULL ||
		   r->nodesetval->nodeNr == 0) {
		doc_warn(doc, "content_xpath '%.100s' selects nothing: content found by scoring",
			 xpath);
	} else {
		xmlNode *last = NULL;
		for (int i = 0; i < r->nodesetval->nodeNr; i++) {
			xmlNode *n = r->nodesetval->nodeTab[i];
			const xmlNode *a = n;
			while (last && a && a != last)
				a = a->parent;
			if (last && a == last)
				continue; /* inside a node already written */
			if (n->type == XML_ELEMENT_NODE) {
				html_content_text(n, out);
				last = n;
			} else if (n->type == XML_TEXT_NODE || n->type == XML_ATTRIBUTE_NODE) {
				xmlChar *s = xmlNodeGetContent(n);
				if (s) {
					buf_puts(out, (const char *)s);
					buf_putc(out, '\n');
				}
				xmlFree(s);
			}
		}
		rc = 0;
	}
	xmlXPathFreeObject(r);
	xmlXPathFreeContext(ctx);
	return rc;
}

int
html_parse(struct doc *doc, const unsigned char *data, size_t len, const char *http_charset,
	   const char *content_xpath, struct format_meta *meta, char *err, size_t errlen)
{
	char declared[64];
	struct decode_hints hints = {http_charset, NULL};

	if (html_meta_charset(data, len, declared, sizeof(declared)) == 0)
		hints.meta = declared;
	if (decode_text_hints(doc, data, len, &hints) < 0) {
		snprintf(err, errlen, "unknown charset '%.60s' in content type", http_charset);
		return -1;
	}
	char *utf8 = text_utf8(&doc->text, 0, doc->text.len);
	size_t n = strlen(utf8);
	if (n > INT_MAX) {
		snprintf(err, errlen, "HTML page of %zu bytes is too large", n);
		free(utf8);
		return -1;
	}
	size_t attrs;
	int deep = html_too_nested(utf8, n, &attrs);
	if (attrs > ATTR_MAX) {
		snprintf(err, errlen, "a tag with over %d attributes: not a page to read",
			 ATTR_MAX);
		free(utf8);
		return -1;
	}
	/*
	 * libxml2 stops at 256 levels unless HUGE; the walks here are iterative,
	 * so any depth will do, unless libxml2 itself would take hours over it.
	 */
	int opts = HTML_PARSE_RECOVER | HTML_PARSE_NONET | HTML_PARSE_NOERROR |
		   HTML_PARSE_NOWARNING | HTML_PARSE_IGNORE_ENC | HTML_PARSE_COMPACT;
	if (deep)
		doc_warn(doc,
			 "the page nests too deep to read whole: text below 256 levels is lost");
	else
		opts |= XML_PARSE_HUGE;
	htmlDocPtr hd = htmlReadMemory(utf8, (int)n, NULL, "UTF-8", opts);
	free(utf8);
	if (hd == NULL) {
		snprintf(err, errlen, "libxml2 found no HTML document in the body");
		return -1;
	}

	struct html_found f = {0};
	struct buf text = {0};
	xmlNode *root = xmlDocGetRootElement(hd);
	if (root) {
		html_find((xmlNode *)hd, &f);
		if (content_xpath == NULL || *content_xpath == '\0' ||
		    html_xpath_text(doc, hd, content_xpath, &text) < 0)
			html_content_main(f.body ? f.body : root, &text);
	}
	int rc = 0;
	if (deep && text.len == 0) {
		snprintf(err, errlen, "the page nests too deep to read: no text above level 256");
		rc = -1;
	} else {
		meta->title = html_title(&f);
		meta->date = f.pubdate;
		meta->source = f.source;
		f.pubdate = f.source = NULL;
		html_set_text(doc, &text, meta->title);
	}
	html_found_release(&f);
	xmlFreeDoc(hd);
	buf_release(&text);
	return rc;
}
