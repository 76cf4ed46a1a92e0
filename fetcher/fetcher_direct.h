/*
 * fetcher_direct.h - the fetcher's downloads for a command that waits on
 * them (links, parse URL, run --dry-run): same rules, no spool, no sink.
 */
#ifndef RP_FETCHER_DIRECT_H
#define RP_FETCHER_DIRECT_H

#include "fetcher_http.h"

/*
 * Drive h until a transfer finishes and return it (the caller frees it),
 * or NULL once nothing is queued or running, or on a stop signal.
 */
struct fetch_result *fetcher_direct_next(struct fetcher_http *h);

/*
 * Fetch one URL of src as the fetcher would (robots.txt, max_bytes, TLS,
 * redirects) and return its result, never NULL unless stopped by a signal.
 */
struct fetch_result *fetcher_direct_get(const struct config *cfg, const struct source *src,
					const char *url, enum fetch_kind kind, int from_config);

#endif
