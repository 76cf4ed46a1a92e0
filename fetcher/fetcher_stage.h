/*
 * fetcher_stage.h - the fetcher stage's state, shared by fetcher.c (the
 * loop, fetching and discovery) and fetcher_jobs.c (leasing spooled jobs).
 * Private to fetcher/: no other stage includes it.
 */
#ifndef RP_FETCHER_STAGE_H
#define RP_FETCHER_STAGE_H

#include "config.h"
#include "digest.h"
#include "fetcher_http.h"
#include "fetcher_spool.h"
#include "wire.h"

#include <json-c/json.h>

enum job_state { JOB_PENDING, JOB_LEASED, JOB_DONE };

struct job {
	char key[DIGEST_HEX_LEN + 1]; /* spool name: sha256(url "\n" sha256) */
	char *url;
	enum job_state state;
	int attempts;
	long long deadline_ms;
};

struct worker {
	unsigned char id[WIRE_ROUTE_MAX];
	size_t id_len;
};

/* Discovered report URLs waiting for the sink's VALIDATORS answer (answers come in order). */
struct batch {
	const struct source *src;
	char **urls;
	size_t nurls;
};

struct fetcher {
	const struct config *cfg;
	void *ctl, *jobs_sock, *acks;
	struct fetcher_http *http;
	struct fetcher_spool *spool;	/* group commit of bodies into the spool */
	struct json_object *validators; /* url -> {sha256, etag, last_modified} */
	struct json_object *seen;	/* every URL queued in this run, as a set */
	struct batch *batches;		/* asked of the sink, not answered yet */
	size_t nbatches, bhead;
	long long last_spooled_ms;
	long long spooled_bytes;
	int idle_logged;
	struct job *jobs;
	size_t njobs, cap;
	struct worker *ready; /* credits: workers that asked for a job */
	size_t nready, ready_cap;
	long fetched, unchanged, fetch_failed;
};

/* CLOCK_MONOTONIC in ms. */
long long fetcher_now_ms(void);

/* Tell the sink that url failed for good (a dead letter), with the body when there is one. */
void fetcher_dead(struct fetcher *f, const char *url, const char *stage, const char *error,
		  int attempts, const void *body, size_t len);

/* Queue the spooled job key (for url) for a parser worker, once. */
void fetcher_jobs_enqueue(struct fetcher *f, const char *key, const char *url);
/* Queue the jobs an earlier run left in the spool. */
void fetcher_jobs_recover(struct fetcher *f);
/* Lease pending jobs to the workers that asked for one. */
void fetcher_jobs_dispatch(struct fetcher *f);
/* Lease again, or dead-letter, jobs whose lease ran out. */
void fetcher_jobs_expire(struct fetcher *f);
/* The sink stored (or gave up on) a job: forget it and its spool file. */
void fetcher_jobs_on_ack(struct fetcher *f, struct wire_msg *m);
/* 1 while any job is not yet acknowledged. */
int fetcher_jobs_outstanding(const struct fetcher *f);

#endif
