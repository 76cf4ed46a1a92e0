/*
 * fetcher_discover.h - what finished transfers become: an index page's new
 * links (their stored validators asked of the sink first), a report's body
 * spooled, and once durable a job. It owns what the run has seen and knows
 * of each URL; the loop (fetcher.c) hands it the modules it works through.
 */
#ifndef RP_FETCHER_DISCOVER_H
#define RP_FETCHER_DISCOVER_H

#include "config.h"
#include "fetcher_ctl.h"
#include "fetcher_http.h"
#include "fetcher_jobs.h"
#include "fetcher_spool.h"
#include "wire.h"

#include <json-c/json.h>

struct fetcher_discover;

/* Discovery for one run; takes validators (url -> {sha256, etag, last_modified}). */
struct fetcher_discover *fetcher_discover_new(struct json_object *validators);
void fetcher_discover_free(struct fetcher_discover **d);
/* Fetch every configured source's report or first index page. */
void fetcher_discover_sources(struct fetcher_discover *d, const struct config *cfg,
			      struct fetcher_http *http);
/* A finished transfer: an index page's links, or a report to spool (or a failure to report). */
void fetcher_discover_on_fetched(struct fetcher_discover *d, struct fetcher_ctl *ctl,
				 struct fetcher_http *http, struct fetcher_spool *spool,
				 struct fetch_result *r);
/* Bodies the spool committed: now, and only now, they become jobs. */
void fetcher_discover_on_spooled(struct fetcher_discover *d, struct fetcher_ctl *ctl,
				 struct fetcher_spool *spool, struct fetcher_jobs *jobs);
/* The sink's answer to the oldest VALIDATORS question: fetch that batch. */
void fetcher_discover_on_validators(struct fetcher_discover *d, struct fetcher_http *http,
				    struct wire_msg *m);
/* 1 while a VALIDATORS question is unanswered: its reports are still to be fetched. */
int fetcher_discover_asking(const struct fetcher_discover *d);
/* Once, when the last transfer is over: the fetch phase's own throughput. */
void fetcher_discover_log_idle(struct fetcher_discover *d, const struct fetcher_counts *n,
			       struct fetcher_http *http, struct fetcher_spool *spool);

#endif
