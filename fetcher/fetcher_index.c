/*
 * fetcher_index.c - links out of an index page (libxml2's HTML parser).
 *
 * An index page is untrusted input: it must never make the fetcher leave
 * http and https (no file://, javascript:, mailto:), leave the index's
 * host and port (its http and https count as one) unless allow_hosts
 * allows it, send
 * credentials found in a link, take more than max_links reports from one
 * page, or fetch a page twice. The same rules hold for every hop of a
 * redirect (fetcher_http.c asks fetcher_index_check_url).
 */
#include "fetcher_index.h"
#include "buf.h"
#include "log.h"

#include <ctype.h>
#include <curl/curl.h>
#include <json-c/json.h>
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
	for (size_t i = 0; i < p->nlinks; i++) {
		free(p->links[i]);
		free(p->texts[i]);
	}
	free(p->links);
	free(p->texts);
	free(p->next);
	memset(p, 0, sizeof(*p));
}

/* Where a URL leads: scheme, host and port (the scheme's default when not written). */
struct index_origin {
	char scheme[16];
	char host[256]; /* lowercased; an IPv6 address in brackets */
	long port;
};

/* The origin of url; -1 when it does not parse or has no host. */
static int
index_origin(const char *url, struct index_origin *o)
{
	CURLU *u = curl_url();
	char *scheme = NULL, *host = NULL, *port = NULL;
	int rc = -1;
	memset(o, 0, sizeof(*o));
	if (u && curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK && host[0] &&
	    strlen(host) < sizeof(o->host) && strlen(scheme) < sizeof(o->scheme) &&
	    curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) == CURLUE_OK) {
		snprintf(o->scheme, sizeof(o->scheme), "%s", scheme);
		for (size_t i = 0; host[i]; i++)
			o->host[i] = (char)tolower((unsigned char)host[i]);
		o->port = strtol(port, NULL, 10);
		rc = 0;
	}
	curl_free(scheme);
	curl_free(host);
	curl_free(port);
	curl_url_cleanup(u);
	return rc;
}

/* 1 when o is on its scheme's default port (http 80, https 443). */
static int
index_default_port(const struct index_origin *o)
{
	return o->port == (strcmp(o->scheme, "https") == 0 ? 443 : 80);
}

/*
 * 1 when an allow_hosts entry admits o: "name" (or "[v6]") on the default
 * port of o's scheme, "name:port" (or "[v6]:port") on that port only.
 */
static int
index_allow_entry(const char *entry, const struct index_origin *o)
{
	char host[256];
	const char *colon = NULL;
	long port = -1;
	if (entry[0] == '[') {
		const char *end = strchr(entry, ']');
		if (end && end[1] == ':')
			colon = end + 1;
	} else if ((colon = strchr(entry, ':')) != NULL && strchr(colon + 1, ':') != NULL) {
		colon = NULL; /* an IPv6 address without brackets: no port */
	}
	size_t n = colon ? (size_t)(colon - entry) : strlen(entry);
	if (colon) {
		char *end;
		port = strtol(colon + 1, &end, 10);
		if (*end != '\0' || end == colon + 1 || port <= 0 || port > 65535)
			return 0;
	}
	if (entry[0] != '[' && strchr(entry, ':') && !colon)
		snprintf(host, sizeof(host), "[%.*s]", (int)n, entry);
	else
		snprintf(host, sizeof(host), "%.*s", (int)n, entry);
	if (strcasecmp(host, o->host) != 0)
		return 0;
	return port >= 0 ? port == o->port : index_default_port(o);
}

int
fetcher_index_host_allowed(const struct source *src, const char *url)
{
	struct index_origin o, own;
	if (index_origin(url, &o) < 0)
		return 0;
	/* a site's http and https are one; any other port is another service */
	if (src->index && index_origin(src->index, &own) == 0 && strcmp(o.host, own.host) == 0 &&
	    ((strcmp(o.scheme, own.scheme) == 0 && o.port == own.port) ||
	     (index_default_port(&o) && index_default_port(&own))))
		return 1;
	for (size_t i = 0; i < src->nallow_hosts; i++)
		if (index_allow_entry(src->allow_hosts[i], &o))
			return 1;
	return 0;
}

/* 1 when u carries a user name or a password. */
static int
index_has_credentials(CURLU *u)
{
	char *user = NULL, *password = NULL;
	int yes = curl_url_get(u, CURLUPART_USER, &user, 0) == CURLUE_OK ||
		  curl_url_get(u, CURLUPART_PASSWORD, &password, 0) == CURLUE_OK;
	curl_free(user);
	curl_free(password);
	return yes;
}

int
fetcher_index_check_url(const struct source *src, const char *url, int lock_host, char *why,
			size_t cap)
{
	CURLU *u = curl_url();
	char *scheme = NULL;
	const char *no = NULL;
	if (u == NULL ||
	    curl_url_set(u, CURLUPART_URL, url, CURLU_NON_SUPPORT_SCHEME) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK)
		no = "not a URL that can be read";
	else if (strcmp(scheme, "http") != 0 && strcmp(scheme, "https") != 0)
		no = "not http or https";
	else if (index_has_credentials(u))
		no = "it carries credentials (a user name or password, not shown)";
	else if (lock_host && !fetcher_index_host_allowed(src, url))
		no = "not the index's host and port nor in allow_hosts";
	curl_free(scheme);
	curl_url_cleanup(u);
	if (no)
		snprintf(why, cap, "%s", no);
	return no ? -1 : 0;
}

/* url without user name and password (caller frees); NULL when it does not parse. */
static char *
index_strip_credentials(const char *url)
{
	CURLU *u = curl_url();
	char *s = NULL, *out = NULL;
	if (u && curl_url_set(u, CURLUPART_URL, url, CURLU_NON_SUPPORT_SCHEME) == CURLUE_OK &&
	    curl_url_set(u, CURLUPART_USER, NULL, 0) == CURLUE_OK &&
	    curl_url_set(u, CURLUPART_PASSWORD, NULL, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_URL, &s, 0) == CURLUE_OK)
		out = xstrdup(s);
	curl_free(s);
	curl_url_cleanup(u);
	return out;
}

void
fetcher_index_redact(const char *url, char *out, size_t cap)
{
	char *s = index_strip_credentials(url);
	if (s)
		snprintf(out, cap, "%s", s);
	else if (strchr(url, '@') == NULL)
		snprintf(out, cap, "%s", url);
	else
		snprintf(out, cap, "(a URL not shown: it may carry a password)");
	free(s);
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

/*
 * What a link says of its report: its text, unless that is empty or cut
 * short (…, ...), when its title attribute (lists often put the whole title
 * there) is the better one.
 */
static const char *
index_link_text(const char *text, const char *title)
{
	size_t n = text ? strlen(text) : 0;
	int cut = (n >= 3 && strcmp(text + n - 3, "...") == 0) ||
		  (n >= 3 && strcmp(text + n - 3, "\xE2\x80\xA6") == 0); /* … */
	if (title && *title && (n == 0 || cut))
		return title;
	return text && !cut ? text : "";
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

/* Note a link the scan leaves out, and why, when the caller asked (drops not NULL). */
static void
index_drop(struct fetcher_index_drops *drops, const char *url, const char *text, const char *why)
{
	char shown[2048];
	if (drops == NULL)
		return;
	fetcher_index_redact(url, shown, sizeof(shown));
	drops->v = xreallocarray(drops->v, drops->n + 1, sizeof(*drops->v));
	drops->v[drops->n++] =
	    (struct fetcher_index_drop){xstrdup(shown), xstrdup(text ? text : ""), xstrdup(why)};
}

void
fetcher_index_drops_release(struct fetcher_index_drops *drops)
{
	for (size_t i = 0; i < drops->n; i++) {
		free(drops->v[i].url);
		free(drops->v[i].text);
		free(drops->v[i].why);
	}
	free(drops->v);
	memset(drops, 0, sizeof(*drops));
}

static int
index_scan(const struct source *src, const char *page_url, const char *html, size_t len,
	   struct fetcher_index_page *out, struct fetcher_index_drops *drops)
{
	regex_t link_re, next_re;
	int have_next = 0, rc = -1;
	size_t max_links = src->max_links > 0 ? (size_t)src->max_links : SOURCE_MAX_LINKS;
	char why[128], shown[2048];
	/* the links kept, hashed: a page of many links must not cost their square */
	struct json_object *seen = NULL;

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
	/* the index's own credentials (written in the config) never pass to its links */
	char *page = index_strip_credentials(page_url);
	if (page == NULL)
		page = xstrdup("");
	char *base = index_base(xp, page);
	seen = json_object_new_object();
	for (int i = 0; o->nodesetval && i < o->nodesetval->nodeNr; i++) {
		xmlNodePtr a = o->nodesetval->nodeTab[i];
		xmlChar *href = xmlGetProp(a, (const xmlChar *)"href");
		xmlChar *title = xmlGetProp(a, (const xmlChar *)"title");
		xmlChar *content = xmlNodeGetContent(a);
		char *text = index_squash((const char *)content);
		char *url = index_resolve(base, (const char *)href);
		const char *raw = href ? (const char *)href : "";
		const char *t = title ? (const char *)title : NULL;

		if (have_next && out->next == NULL && url && strcmp(url, page) != 0 &&
		    index_matches(&next_re, text, t, url) &&
		    fetcher_index_check_url(src, url, 1, why, sizeof(why)) == 0) {
			out->next = url;
			url = NULL;
		} else if (index_matches(&link_re, text, t, url ? url : raw)) {
			if (url == NULL ||
			    fetcher_index_check_url(src, url, 1, why, sizeof(why)) < 0) {
				out->refused++;
				fetcher_index_redact(url ? url : raw, shown, sizeof(shown));
				/* a password on a public page: the operator should know */
				if (url && strstr(why, "credentials"))
					log_warnx("index %s: link %s refused: %s", page, shown,
						  why);
				else
					log_debug("index %s: link %s refused: %s", page, shown,
						  url ? why : "not http or https, or malformed");
				index_drop(drops, url ? url : raw, text,
					   url ? why : "not http or https, or malformed");
			} else if (json_object_object_get_ex(seen, url, NULL)) {
				index_drop(drops, url, text, "listed twice"); /* taken once */
			} else if (out->nlinks >= max_links) {
				out->cut++;
				index_drop(drops, url, text, "past max_links");
			} else {
				json_object_object_add(seen, url, NULL);
				out->links =
				    xreallocarray(out->links, out->nlinks + 1, sizeof(*out->links));
				out->texts =
				    xreallocarray(out->texts, out->nlinks + 1, sizeof(*out->texts));
				out->texts[out->nlinks] = xstrdup(index_link_text(text, t));
				out->links[out->nlinks++] = url;
				url = NULL;
			}
		} else {
			index_drop(drops, url ? url : raw, text, "does not match link_pattern");
		}
		free(url);
		free(text);
		xmlFree(content);
		xmlFree(title);
		xmlFree(href);
	}
	free(base);
	if (out->cut > 0)
		log_warnx("index %s: more report links than max_links (%zu): the first %zu are"
			  " fetched, %zu more are not",
			  page, max_links, out->nlinks, out->cut);
	free(page);
	rc = 0;
out:
	json_object_put(seen);
	xmlXPathFreeObject(o);
	xmlXPathFreeContext(xp);
	xmlFreeDoc(doc);
	regfree(&link_re);
	if (have_next)
		regfree(&next_re);
	return rc;
}

int
fetcher_index_scan(const struct source *src, const char *page_url, const char *html, size_t len,
		   struct fetcher_index_page *out)
{
	return index_scan(src, page_url, html, len, out, NULL);
}

int
fetcher_index_explain(const struct source *src, const char *page_url, const char *html, size_t len,
		      struct fetcher_index_page *out, struct fetcher_index_drops *drops)
{
	memset(drops, 0, sizeof(*drops));
	return index_scan(src, page_url, html, len, out, drops);
}
