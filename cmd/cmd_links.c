/*
 * cmd_links.c - `reportpipe links SOURCE`: what an index source's
 * link_pattern keeps and drops, and why.
 *
 * Fetches the index pages (up to max_pages) with the fetcher's own rules
 * and scan (fetcher_direct.c, fetcher_index.c), so that what it prints is
 * what a run would take. Must never store anything: no database, no spool.
 */
#include "cmd.h"
#include "cmd_opts.h"
#include "buf.h"
#include "config.h"
#include "fetcher_direct.h"
#include "fetcher_index.h"
#include "log.h"
#include "sig.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

static void
links_usage(FILE *fp)
{
	fputs("usage: reportpipe links [-c FILE] [-v] SOURCE\n"
	      "\n"
	      "Fetch the index pages of one index source (up to its max_pages, with the\n"
	      "fetcher's rules: robots.txt, http and https only, the index's host or\n"
	      "allow_hosts) and print each link its link_pattern keeps and drops, and\n"
	      "why. Nothing is fetched beyond the index pages and nothing is stored.\n"
	      "\n"
	      "Output: one line per link, \"keep URL  TEXT\" or \"drop URL  TEXT  (why)\",\n"
	      "\"next URL\" for the next page, and a count per page.\n"
	      "\n"
	      "Exit 0, 1 when an index page could not be fetched or read, 64 when SOURCE\n"
	      "is not an index source of the config, 78 when the config is bad.\n",
	      fp);
}

/* Print what page r of src keeps and drops; its next page (owned) in *next. 0 or -1. */
static int
links_page(const struct source *src, const struct fetch_result *r, char **next)
{
	struct fetcher_index_page page;
	struct fetcher_index_drops drops;
	const char *at = r->final_url ? r->final_url : r->url;

	*next = NULL;
	if (fetcher_index_explain(src, at, r->body.data ? r->body.data : "", r->body.len, &page,
				  &drops) < 0) {
		fprintf(stderr, "reportpipe links: %s: the index page is not readable HTML\n",
			r->url);
		fetcher_index_drops_release(&drops);
		return -1;
	}
	printf("page %d %s\n", r->page, r->url);
	for (size_t i = 0; i < page.nlinks; i++)
		printf("  keep %s  %s\n", page.links[i], page.texts[i]);
	for (size_t i = 0; i < drops.n; i++)
		printf("  drop %s  %s  (%s)\n", drops.v[i].url, drops.v[i].text, drops.v[i].why);
	if (page.next)
		printf("  next %s\n", page.next);
	printf("  %zu kept, %zu dropped\n", page.nlinks, drops.n);
	*next = page.next;
	page.next = NULL;
	fetcher_index_drops_release(&drops);
	fetcher_index_page_release(&page);
	return 0;
}

/* Walk src's index pages, max_pages at most. Returns an exit code. */
static int
links_walk(const struct config *cfg, const struct source *src)
{
	char *url = xstrdup(src->index);
	int rc = 0;
	for (int n = 1; url && n <= src->max_pages && !sig_stop; n++) {
		/* the first page is written in the config (file:// allowed), the rest are links */
		struct fetch_result *r =
		    fetcher_direct_get(cfg, src, url, FETCH_KIND_INDEX, n == 1);
		free(url);
		url = NULL;
		if (r == NULL)
			break;
		r->page = n;
		if (!r->ok || r->not_modified) {
			fprintf(stderr, "reportpipe links: %s: %s\n", r->url, r->error);
			rc = 1;
		} else if (links_page(src, r, &url) < 0) {
			rc = 1;
		} else if (url && n == src->max_pages) {
			printf("(max_pages = %d: the next page is not followed)\n", src->max_pages);
		}
		fetcher_http_result_free(&r);
	}
	free(url);
	return sig_stop ? EX_TEMPFAIL : rc;
}

int
cmd_links(int argc, char **argv)
{
	int verbose = 0;
	const struct cmd_spec spec = {
	    "links", links_usage, 1, 1, {{"verbose", 'v', CMD_OPT_COUNT, &verbose}}};
	struct config *cfg;
	int stop = cmd_start(argc, argv, &spec, NULL, &cfg);
	if (stop >= 0)
		return stop;
	log_set_level(verbose > 1 ? LOG_LEVEL_DEBUG : verbose ? LOG_LEVEL_INFO : LOG_LEVEL_WARN);
	sig_install(0);
	const char *name = argv[optind];
	const struct source *src = NULL;
	for (size_t i = 0; i < cfg->nsources && src == NULL; i++)
		if (strcmp(cfg->sources[i].name, name) == 0)
			src = &cfg->sources[i];
	int rc;
	if (src == NULL) {
		fprintf(stderr,
			"reportpipe links: no source \"%s\" in %s (`reportpipe check` lists"
			" them)\n",
			name, cfg->path);
		rc = EX_USAGE;
	} else if (src->index == NULL) {
		fprintf(stderr,
			"reportpipe links: source \"%s\" (%s:%d) has a url, not an index: it"
			" has no links to choose from\n",
			name, cfg->path, src->line);
		rc = EX_USAGE;
	} else {
		rc = links_walk(cfg, src);
	}
	config_free(&cfg);
	return rc;
}
