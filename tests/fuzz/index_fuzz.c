/*
 * index_fuzz.c - libFuzzer target for an index page as a server sends it:
 * fetcher_index_scan() and fetcher_index_explain() on the bytes as the
 * HTML of a made-up source's index page (link_pattern, next_pattern,
 * max_links and allow_hosts as a config would give them).
 *
 * The low two bits of the first byte pick one of four sources, so that
 * the tight max_links, the pattern matched on text or on URL and the
 * credentials in the index URL all get the same inputs. Besides what ASan
 * and UBSan catch, the target aborts when a link taken breaks
 * fetcher_index.h's promises: more than max_links, not http(s), listed
 * twice, refused by fetcher_index_check_url, or when scan and explain
 * disagree. Must never keep state between inputs.
 */
#include "config.h"
#include "fetcher_index.h"
#include "log.h"

#include <curl/curl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

static char *fuzz_hosts[] = {"files.example.gov.cn", "cdn.example.org:8443"};

static const struct source fuzz_sources[] = {
    {.name = "fazhi",
     .index = "https://www.example.gov.cn/zwgk/fzzfjs/index.html",
     .link_pattern = "法治政府建设|年度报告",
     .next_pattern = "下一页|next",
     .max_pages = 3,
     .max_links = 3,
     .robots = 1},
    {.name = "by-url",
     .index = "http://example.org:8080/reports/",
     .link_pattern = "\\.(pdf|docx?|html?)$",
     .max_pages = 1,
     .max_links = 0, /* SOURCE_MAX_LINKS */
     .allow_hosts = fuzz_hosts,
     .nallow_hosts = 2,
     .robots = 1},
    {.name = "creds",
     .index = "https://user:secret@example.com/list?page=1#top",
     .link_pattern = ".",
     .next_pattern = "^https?://",
     .max_pages = 5,
     .max_links = 50,
     .robots = 0},
    {.name = "none",
     .index = "https://example.net/",
     .link_pattern = NULL, /* matches nothing */
     .max_links = 1,
     .robots = 1},
};

static void
fuzz_broken(const char *what, const char *url)
{
	fprintf(stderr, "index_fuzz: fetcher_index.h contract broken: %s (%.200s)\n", what,
		url ? url : "");
	abort();
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	/* a line per refused link would be most of the run's time and all of its output */
	log_set_level(LOG_LEVEL_ERROR);
	return 0;
}

/* 1 when url parses as a URL with a password in it ("secret@" in a path is no password). */
static int
fuzz_has_password(const char *url)
{
	CURLU *u = curl_url();
	char *pw = NULL;
	int has = u && curl_url_set(u, CURLUPART_URL, url, CURLU_NON_SUPPORT_SCHEME) == CURLUE_OK &&
		  curl_url_get(u, CURLUPART_PASSWORD, &pw, 0) == CURLUE_OK && pw != NULL;
	curl_free(pw);
	curl_url_cleanup(u);
	return has;
}

static void
fuzz_check_page(const struct source *src, const struct fetcher_index_page *p)
{
	size_t max = src->max_links > 0 ? (size_t)src->max_links : SOURCE_MAX_LINKS;
	char why[256];

	if (p->nlinks > max)
		fuzz_broken("more links than max_links", NULL);
	if (p->nlinks > 0 && (p->links == NULL || p->texts == NULL))
		fuzz_broken("links or texts NULL", NULL);
	for (size_t i = 0; i < p->nlinks; i++) {
		const char *u = p->links[i];
		if (u == NULL || p->texts[i] == NULL)
			fuzz_broken("a NULL link or text", NULL);
		if (strncmp(u, "http://", 7) != 0 && strncmp(u, "https://", 8) != 0)
			fuzz_broken("a link not http(s)", u);
		if (fetcher_index_check_url(src, u, 1, why, sizeof(why)) != 0)
			fuzz_broken("a link that fetcher_index_check_url refuses", u);
		for (size_t j = 0; j < i; j++)
			if (strcmp(p->links[j], u) == 0)
				fuzz_broken("a link listed twice", u);
	}
	if (p->next && fetcher_index_check_url(src, p->next, 1, why, sizeof(why)) != 0)
		fuzz_broken("a next page that fetcher_index_check_url refuses", p->next);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct source *src;
	struct fetcher_index_page a, b;
	struct fetcher_index_drops drops;
	const char *html = (const char *)data;

	if (size == 0)
		return 0;
	src = &fuzz_sources[data[0] % (sizeof(fuzz_sources) / sizeof(fuzz_sources[0]))];
	int ra = fetcher_index_scan(src, src->index, html, size, &a);
	int rb = fetcher_index_explain(src, src->index, html, size, &b, &drops);
	if (ra != rb)
		fuzz_broken("scan and explain returned differently", NULL);
	if (ra == 0) {
		fuzz_check_page(src, &a);
		if (a.nlinks != b.nlinks || a.refused != b.refused || a.cut != b.cut ||
		    (a.next == NULL) != (b.next == NULL) || (a.next && strcmp(a.next, b.next) != 0))
			fuzz_broken("scan and explain found different pages", NULL);
		for (size_t i = 0; i < a.nlinks; i++)
			if (strcmp(a.links[i], b.links[i]) != 0 ||
			    strcmp(a.texts[i], b.texts[i]) != 0)
				fuzz_broken("scan and explain found different links", a.links[i]);
		for (size_t i = 0; i < drops.n; i++) {
			if (drops.v[i].url == NULL || drops.v[i].text == NULL ||
			    drops.v[i].why == NULL)
				fuzz_broken("a drop with a NULL field", NULL);
			/* never a password: the drops are printed by `reportpipe links` */
			if (fuzz_has_password(drops.v[i].url))
				fuzz_broken("a drop shows the index's password", drops.v[i].url);
		}
		if (drops.n < a.refused + a.cut)
			fuzz_broken("fewer drops than links refused and cut", NULL);
	}
	fetcher_index_page_release(&a);
	fetcher_index_page_release(&b);
	fetcher_index_drops_release(&drops);
	return 0;
}
