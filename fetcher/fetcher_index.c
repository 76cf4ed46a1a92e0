/*
 * fetcher_index.c - links out of an index page (libxml2's HTML parser).
 *
 * An index page is untrusted input: it must never make the fetcher leave
 * http and https (no file://, javascript:, mailto:), leave the index's host
 * unless the source allows it, or fetch a page twice.
 */
#include "fetcher_index.h"
#include "buf.h"
#include "log.h"

#include <ctype.h>
#include <curl/curl.h>
#include <libxml/HTMLparser.h>
#include <libxml/xpath.h>
#include <regex.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

void
fetcher_index_page_release(struct fetcher_index_page *p)
{
	for (size_t i = 0; i < p->nlinks; i++)
		free(p->links[i]);
	free(p->links);
	free(p->next);
	memset(p, 0, sizeof(*p));
}

/* The host of url, lowercased, or "" when it has none or is malformed. */
static void
index_host(const char *url, char *out, size_t cap)
{
	CURLU *u = curl_url();
	char *h = NULL;
	out[0] = '\0';
	if (u && curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_HOST, &h, 0) == CURLUE_OK && h) {
		size_t i;
		for (i = 0; h[i] && i + 1 < cap; i++)
			out[i] = (char)tolower((unsigned char)h[i]);
		out[i] = '\0';
	}
	curl_free(h);
	curl_url_cleanup(u);
}

int
fetcher_index_host_allowed(const struct source *src, const char *url)
{
	char host[256], own[256];
	index_host(url, host, sizeof(host));
	if (host[0] == '\0')
		return 0;
	index_host(src->index ? src->index : "", own, sizeof(own));
	if (own[0] && strcmp(host, own) == 0)
		return 1;
	for (size_t i = 0; i < src->nallow_hosts; i++)
		if (strcasecmp(host, src->allow_hosts[i]) == 0)
			return 1;
	return 0;
}

/*
 * Collapse runs of white space (ASCII and U+3000) to one space and trim. A
 * run between two non-ASCII characters goes entirely, as a line break
 * inside Chinese text does when a browser renders it.
 */
static char *
index_squash(const char *s)
{
	struct buf b = {0};
	int space = 0;
	for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++) {
		int ideo = p[0] == 0xe3 && p[1] == 0x80 && p[2] == 0x80;
		if (isspace(*p) || ideo) {
			p += ideo ? 2 : 0;
			space = 1;
			continue;
		}
		if (space && b.len > 0 && !((unsigned char)b.data[b.len - 1] >= 0x80 && *p >= 0x80))
			buf_putc(&b, ' ');
		space = 0;
		buf_putc(&b, (char)*p);
	}
	buf_putc(&b, '\0');
	b.len--;
	return buf_take(&b);
}

/*
 * Resolve href against base. NULL when href is empty, only a fragment, uses
 * a scheme other than http or https, or does not parse.
 */
static char *
index_resolve(const char *base, const char *href)
{
	char *h = index_squash(href), *out = NULL;
	/* browsers drop blanks inside href too; a scheme-looking prefix is checked first */
	size_t n = strspn(h, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+.-");
	if (h[0] == '\0' || h[0] == '#' ||
	    (n > 0 && h[n] == ':' && strncasecmp(h, "http:", 5) != 0 &&
	     strncasecmp(h, "https:", 6) != 0)) {
		free(h);
		return NULL;
	}
	CURLU *u = curl_url();
	char *s = NULL, *scheme = NULL;
	if (u && curl_url_set(u, CURLUPART_URL, base, 0) == CURLUE_OK &&
	    curl_url_set(u, CURLUPART_URL, h, CURLU_URLENCODE) == CURLUE_OK &&
	    curl_url_set(u, CURLUPART_FRAGMENT, NULL, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK &&
	    (strcmp(scheme, "http") == 0 || strcmp(scheme, "https") == 0) &&
	    curl_url_get(u, CURLUPART_URL, &s, 0) == CURLUE_OK)
		out = xstrdup(s);
	curl_free(s);
	curl_free(scheme);
	curl_url_cleanup(u);
	free(h);
	return out;
}

static int
index_matches(const regex_t *re, const char *text, const char *title, const char *url)
{
	return (text && regexec(re, text, 0, NULL, 0) == 0) ||
	       (title && regexec(re, title, 0, NULL, 0) == 0) || regexec(re, url, 0, NULL, 0) == 0;
}

static int
index_seen(const struct fetcher_index_page *p, const char *url)
{
	for (size_t i = 0; i < p->nlinks; i++)
		if (strcmp(p->links[i], url) == 0)
			return 1;
	return 0;
}

/* The page's <base href>, resolved, or a copy of page_url. */
static char *
index_base(xmlXPathContextPtr xp, const char *page_url)
{
	char *base = NULL;
	xmlXPathObjectPtr o = xmlXPathEvalExpression((const xmlChar *)"//base[@href]", xp);
	if (o && o->nodesetval && o->nodesetval->nodeNr > 0) {
		xmlChar *href = xmlGetProp(o->nodesetval->nodeTab[0], (const xmlChar *)"href");
		if (href)
			base = index_resolve(page_url, (const char *)href);
		xmlFree(href);
	}
	xmlXPathFreeObject(o);
	return base ? base : xstrdup(page_url);
}

int
fetcher_index_scan(const struct source *src, const char *page_url, const char *html, size_t len,
		   struct fetcher_index_page *out)
{
	regex_t link_re, next_re;
	int have_next = 0, rc = -1;

	memset(out, 0, sizeof(*out));
	if (len > (size_t)INT32_MAX)
		return -1;
	if (regcomp(&link_re, src->link_pattern ? src->link_pattern : "$^",
		    REG_EXTENDED | REG_NOSUB) != 0)
		return -1; /* the loader compiled it already: cannot happen */
	if (src->next_pattern &&
	    regcomp(&next_re, src->next_pattern, REG_EXTENDED | REG_NOSUB) == 0)
		have_next = 1;

	htmlDocPtr doc = htmlReadMemory(html, (int)len, page_url, NULL,
					HTML_PARSE_RECOVER | HTML_PARSE_NONET | HTML_PARSE_NOERROR |
					    HTML_PARSE_NOWARNING);
	xmlXPathContextPtr xp = doc ? xmlXPathNewContext(doc) : NULL;
	xmlXPathObjectPtr o =
	    xp ? xmlXPathEvalExpression((const xmlChar *)"//a[@href] | //area[@href]", xp) : NULL;
	if (o == NULL)
		goto out;
	char *base = index_base(xp, page_url);
	for (int i = 0; o->nodesetval && i < o->nodesetval->nodeNr; i++) {
		xmlNodePtr a = o->nodesetval->nodeTab[i];
		xmlChar *href = xmlGetProp(a, (const xmlChar *)"href");
		xmlChar *title = xmlGetProp(a, (const xmlChar *)"title");
		xmlChar *content = xmlNodeGetContent(a);
		char *text = index_squash((const char *)content);
		char *url = index_resolve(base, (const char *)href);
		const char *raw = href ? (const char *)href : "";
		const char *t = title ? (const char *)title : NULL;

		if (have_next && out->next == NULL && url && strcmp(url, page_url) != 0 &&
		    index_matches(&next_re, text, t, url) && fetcher_index_host_allowed(src, url)) {
			out->next = url;
			url = NULL;
		} else if (index_matches(&link_re, text, t, url ? url : raw)) {
			if (url == NULL || !fetcher_index_host_allowed(src, url)) {
				out->refused++;
				log_debug("index %s: link %s refused (not http(s), off-host or"
					  " malformed)",
					  page_url, raw);
			} else if (!index_seen(out, url)) {
				out->links =
				    xreallocarray(out->links, out->nlinks + 1, sizeof(*out->links));
				out->links[out->nlinks++] = url;
				url = NULL;
			}
		}
		free(url);
		free(text);
		xmlFree(content);
		xmlFree(title);
		xmlFree(href);
	}
	free(base);
	rc = 0;
out:
	xmlXPathFreeObject(o);
	xmlXPathFreeContext(xp);
	xmlFreeDoc(doc);
	regfree(&link_re);
	if (have_next)
		regfree(&next_re);
	return rc;
}
