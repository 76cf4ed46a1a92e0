/*
 * fetcher_robots.h - robots.txt (RFC 9309): parse once per host, then ask.
 */
#ifndef RP_FETCHER_ROBOTS_H
#define RP_FETCHER_ROBOTS_H

#include <stddef.h>

struct fetcher_robots;

/*
 * The rules of robots.txt text for user_agent (its product token, "reportpipe"
 * of "reportpipe/0.1 (+...)", picks the group; else the "*" group). Never NULL.
 */
struct fetcher_robots *fetcher_robots_parse(const char *text, size_t len, const char *user_agent);

/* Rules that allow everything (no robots.txt) or nothing (unreachable robots.txt). */
struct fetcher_robots *fetcher_robots_new(int allow_all);

void fetcher_robots_free(struct fetcher_robots **r);

/* 1 when path (path and query of a URL, starting with '/') may be fetched. */
int fetcher_robots_allowed(const struct fetcher_robots *r, const char *path);

#endif
