/*
 * fetcher_robots.c - robots.txt rules: groups, Allow/Disallow, '*' and '$'.
 *
 * The most specific (longest) matching rule decides, Allow winning a tie, as
 * RFC 9309 says. Input is whatever a server sent: it must never be trusted to
 * be text, to end in a newline, or to be small (the caller caps it).
 */
#include "fetcher_robots.h"
#include "buf.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct robots_rule {
	char *pattern;
	int allow;
};

struct fetcher_robots {
	int deny_all; /* robots.txt could not be fetched: nothing is allowed */
	struct robots_rule *rules;
	size_t nrules;
};

struct fetcher_robots *
fetcher_robots_new(int allow_all)
{
	struct fetcher_robots *r = xcalloc(1, sizeof(*r));
	r->deny_all = !allow_all;
	return r;
}

void
fetcher_robots_free(struct fetcher_robots **rp)
{
	struct fetcher_robots *r = *rp;
	if (r == NULL)
		return;
	for (size_t i = 0; i < r->nrules; i++)
		free(r->rules[i].pattern);
	free(r->rules);
	free(r);
	*rp = NULL;
}

/* The product token: "reportpipe" of "ReportPipe/0.1 (+https://...)". */
static size_t
robots_token(const char *s, char *out, size_t cap)
{
	size_t n = 0;
	while (*s == ' ' || *s == '\t')
		s++;
	while (*s && (isalnum((unsigned char)*s) || *s == '-' || *s == '_' || *s == '*') &&
	       n + 1 < cap)
		out[n++] = (char)tolower((unsigned char)*s++);
	out[n] = '\0';
	return n;
}

static void
robots_add(struct fetcher_robots *r, const char *value, int allow)
{
	r->rules = xreallocarray(r->rules, r->nrules + 1, sizeof(*r->rules));
	r->rules[r->nrules].pattern = xstrdup(value);
	r->rules[r->nrules].allow = allow;
	r->nrules++;
}

/*
 * One pass over the lines. which: 1 keeps the rules of groups naming our
 * token, 0 those of "*" groups. Returns how many groups matched.
 */
static int
robots_collect(struct fetcher_robots *r, const char *text, size_t len, const char *token, int which)
{
	const char *p = text, *end = text + len;
	int in_group = 0, matched = 0, last_was_agent = 0;
	char line[2048];

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = (size_t)((nl ? nl : end) - p);
		size_t copy = n < sizeof(line) - 1 ? n : sizeof(line) - 1;
		memcpy(line, p, copy);
		line[copy] = '\0';
		p = nl ? nl + 1 : end;

		char *hash = strchr(line, '#');
		if (hash)
			*hash = '\0';
		char *colon = strchr(line, ':');
		if (colon == NULL)
			continue;
		*colon = '\0';
		char *key = line, *value = colon + 1;
		while (*key == ' ' || *key == '\t' || *key == '\xef' || *key == '\xbb' ||
		       *key == '\xbf')
			key++; /* blanks, and a UTF-8 byte order mark on the first line */
		size_t kl = strlen(key);
		while (kl > 0 && isspace((unsigned char)key[kl - 1]))
			key[--kl] = '\0';
		while (*value == ' ' || *value == '\t')
			value++;
		size_t vl = strlen(value);
		while (vl > 0 && isspace((unsigned char)value[vl - 1]))
			value[--vl] = '\0';

		if (strcasecmp(key, "user-agent") == 0) {
			char agent[64];
			robots_token(value, agent, sizeof(agent));
			if (!last_was_agent)
				in_group = 0; /* a new group starts */
			if (which ? strcmp(agent, token) == 0 : strcmp(agent, "*") == 0) {
				if (!in_group)
					matched++;
				in_group = 1;
			}
			last_was_agent = 1;
			continue;
		}
		last_was_agent = 0;
		int allow = strcasecmp(key, "allow") == 0;
		if (!allow && strcasecmp(key, "disallow") != 0)
			continue; /* sitemap, crawl-delay, unknown keys */
		if (in_group && *value)
			robots_add(r, value, allow); /* an empty Disallow allows everything */
	}
	return matched;
}

struct fetcher_robots *
fetcher_robots_parse(const char *text, size_t len, const char *user_agent)
{
	struct fetcher_robots *r = fetcher_robots_new(1);
	char token[64];

	if (robots_token(user_agent ? user_agent : "", token, sizeof(token)) == 0)
		snprintf(token, sizeof(token), "*");
	if (strcmp(token, "*") == 0 || robots_collect(r, text, len, token, 1) == 0)
		robots_collect(r, text, len, token, 0);
	return r;
}

/* Does pattern (with '*' and a final '$') match a prefix of path? Iterative, no backtracking
 * blow-up. */
static int
robots_match(const char *pat, const char *path)
{
	const char *star_p = NULL, *star_s = NULL;
	const char *p = pat, *s = path;

	for (;;) {
		if (*p == '$' && p[1] == '\0') {
			if (*s == '\0')
				return 1;
		} else if (*p == '\0') {
			return 1; /* the pattern is a prefix of the path */
		} else if (*p == '*') {
			star_p = ++p;
			star_s = s;
			continue;
		} else if (*s != '\0' && *p == *s) {
			p++;
			s++;
			continue;
		}
		if (star_p == NULL || *star_s == '\0')
			return 0;
		p = star_p;
		s = ++star_s;
	}
}

int
fetcher_robots_allowed(const struct fetcher_robots *r, const char *path)
{
	if (strcmp(path, "/robots.txt") == 0)
		return 1;
	if (r->deny_all)
		return 0;
	size_t best = 0;
	int allowed = 1, found = 0;
	for (size_t i = 0; i < r->nrules; i++) {
		const struct robots_rule *rule = &r->rules[i];
		size_t len = strlen(rule->pattern);
		if (!robots_match(rule->pattern, path))
			continue;
		if (!found || len > best || (len == best && rule->allow)) {
			best = len;
			allowed = rule->allow;
			found = 1;
		}
	}
	return allowed;
}
