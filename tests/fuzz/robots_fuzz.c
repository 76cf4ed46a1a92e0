/*
 * robots_fuzz.c - libFuzzer target for robots.txt as a server sends it:
 * fetcher_robots_parse() for our user agent and for one with no product
 * token, then fetcher_robots_allowed() on a few fixed paths and on every
 * line of the input that starts with '/' (so the fuzzer can aim paths at
 * its own rules).
 *
 * Besides what ASan and UBSan catch, the target aborts when an answer is
 * not 0 or 1, when /robots.txt itself is refused, or when a group for
 * another agent, appended after the text, changes any answer for ours
 * (RFC 9309: only our group, else "*", applies). Must never keep state
 * between inputs.
 */
#include "buf.h"
#include "fetcher_robots.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_UA "ReportPipe/0.1 (+https://example.org/bot)"
#define FUZZ_PATHS_MAX 16
#define FUZZ_PATH_LEN 512

static const char *const fuzz_fixed_paths[] = {
    "/", "/robots.txt", "/reports/2023/fazhi.html", "/a?b=c&d=*", "/index.php?page=2", "/%E6%8A%A5",
};

/* A group for another agent: RFC 9309 says it may not touch our answers. */
static const char fuzz_other_group[] = "\nSitemap: https://example.org/s.xml\n"
				       "User-agent: zz-other-bot\nDisallow: /\nAllow: /reports\n";

static void
fuzz_broken(const char *what, const char *path)
{
	fprintf(stderr, "robots_fuzz: %s (path '%.80s')\n", what, path);
	abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;
	char paths[FUZZ_PATHS_MAX][FUZZ_PATH_LEN];
	size_t npaths = 0;

	for (size_t i = 0; i < sizeof(fuzz_fixed_paths) / sizeof(fuzz_fixed_paths[0]); i++)
		snprintf(paths[npaths++], FUZZ_PATH_LEN, "%s", fuzz_fixed_paths[i]);
	for (size_t i = 0; i < size && npaths < FUZZ_PATHS_MAX; i++) {
		if ((i == 0 || text[i - 1] == '\n') && text[i] == '/') {
			size_t n = 0;
			while (i + n < size && text[i + n] != '\n' && text[i + n] != '\0' &&
			       n + 1 < FUZZ_PATH_LEN)
				n++;
			memcpy(paths[npaths], text + i, n);
			paths[npaths++][n] = '\0';
		}
	}

	struct buf more = {0};
	buf_append(&more, data, size);
	buf_puts(&more, fuzz_other_group);

	struct fetcher_robots *r = fetcher_robots_parse(text, size, FUZZ_UA);
	struct fetcher_robots *r2 = fetcher_robots_parse(more.data, more.len, FUZZ_UA);
	struct fetcher_robots *anon = fetcher_robots_parse(text, size, "");
	if (r == NULL || r2 == NULL || anon == NULL)
		fuzz_broken("fetcher_robots_parse returned NULL", "");
	for (size_t i = 0; i < npaths; i++) {
		int a = fetcher_robots_allowed(r, paths[i]);
		int b = fetcher_robots_allowed(r2, paths[i]);
		int c = fetcher_robots_allowed(anon, paths[i]);
		if ((a != 0 && a != 1) || (c != 0 && c != 1))
			fuzz_broken("an answer neither 0 nor 1", paths[i]);
		if (a != b)
			fuzz_broken("another agent's group changed our answer", paths[i]);
	}
	if (!fetcher_robots_allowed(r, "/robots.txt"))
		fuzz_broken("robots.txt itself refused", "/robots.txt");
	buf_release(&more);
	fetcher_robots_free(&r);
	fetcher_robots_free(&r2);
	fetcher_robots_free(&anon);
	fetcher_robots_free(&anon); /* safe twice, as every _free */
	return 0;
}
