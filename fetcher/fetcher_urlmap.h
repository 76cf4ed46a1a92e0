/*
 * fetcher_urlmap.h - a map from URL to text: the one table type behind every
 * per-URL fact the fetcher keeps in a run (the URLs seen, each report's
 * source, the text of the index link to it).
 */
#ifndef RP_FETCHER_URLMAP_H
#define RP_FETCHER_URLMAP_H

struct fetcher_urlmap;

/* An empty map, owned by the caller (fetcher_urlmap_free). */
struct fetcher_urlmap *fetcher_urlmap_new(void);
/* Free the map and its strings; sets *m to NULL; NULL is fine. */
void fetcher_urlmap_free(struct fetcher_urlmap **m);

/* Set url's text (copied; NULL: "") in place of any earlier one. */
void fetcher_urlmap_put(struct fetcher_urlmap *m, const char *url, const char *text);
/* url's text, borrowed until the next put of url; NULL when url is not in m. */
const char *fetcher_urlmap_get(const struct fetcher_urlmap *m, const char *url);
/* Add url with text "" unless it is there: 1 when it was added, 0 when known. */
int fetcher_urlmap_add(struct fetcher_urlmap *m, const char *url);

#endif
