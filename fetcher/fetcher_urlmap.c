/*
 * fetcher_urlmap.c - a map from URL to text over glib's GHashTable.
 *
 * GHashTable rather than a table of our own: glib is linked already (through
 * poppler-glib), and a general table written here would be one more thing
 * to get right. The map owns copies of every key and value; callers never
 * see glib. Must never keep a caller's pointer.
 */
#include "fetcher_urlmap.h"

#include <glib.h>

struct fetcher_urlmap {
	GHashTable *t; /* char * -> char *, both owned */
};

struct fetcher_urlmap *
fetcher_urlmap_new(void)
{
	struct fetcher_urlmap *m = g_new0(struct fetcher_urlmap, 1);
	m->t = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	return m;
}

void
fetcher_urlmap_free(struct fetcher_urlmap **mp)
{
	if (*mp)
		g_hash_table_destroy((*mp)->t);
	g_clear_pointer(mp, g_free);
}

void
fetcher_urlmap_put(struct fetcher_urlmap *m, const char *url, const char *text)
{
	g_hash_table_replace(m->t, g_strdup(url), g_strdup(text ? text : ""));
}

const char *
fetcher_urlmap_get(const struct fetcher_urlmap *m, const char *url)
{
	return g_hash_table_lookup(m->t, url);
}

int
fetcher_urlmap_add(struct fetcher_urlmap *m, const char *url)
{
	if (g_hash_table_contains(m->t, url))
		return 0;
	g_hash_table_insert(m->t, g_strdup(url), g_strdup(""));
	return 1;
}
