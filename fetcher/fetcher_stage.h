/*
 * fetcher_stage.h - the fetcher stage's state, shared by fetcher.c (the
 * loop), fetcher_discover.c (what fetched bodies become), fetcher_ctl.c
 * (the sink and the supervisor) and fetcher_jobs.c (leasing spooled jobs).
 * Private to fetcher/: no other stage includes it.
 */
#ifndef RP_FETCHER_STAGE_H
#define RP_FETCHER_STAGE_H

#include "buf.h"
#include "config.h"
#include "digest.h"
#include "fetcher_http.h"
#include "fetcher_spool.h"
#include "fetcher_urlmap.h"
#include "fetcher_jobs.h"
#include "fetcher_workers.h"
#include "wire.h"

#include <json-c/json.h>

/* Stopping, what the sink has to answer FINISH: the drain leaves it this much of drain_timeout. */
#define FINISH_STOPPING_MS 1000

/* Discovered report URLs waiting for the sink's VALIDATORS answer (answers come in order). */
struct batch {
	const struct source *src;
	char **urls;
	size_t nurls;
};

/* A control request the loop waits on: the run's BEGIN, its first VALIDATORS, its FINISH. */
struct fetcher_question {
	const char *want; /* the answer's message type; NULL: nothing asked */
	long long until;  /* monotonic ms: unanswered then */
	int stoppable;	  /* a first stop signal ends the wait too */
};

/*
 * The loop's phases, in order. Each wait for the sink is a phase of the one
 * loop, not a poll of its own, so ACKs and HOLDs are taken in every phase.
 */
enum fetcher_phase {
	PHASE_BEGIN,	  /* BEGIN sent: BEGUN gives the run's id */
	PHASE_VALIDATORS, /* the configured reports' stored validators asked */
	PHASE_RUN,	  /* fetching, spooling, leasing, until every job is settled */
	PHASE_FINISH,	  /* FINISH sent: SUMMARY ends the run */
	PHASE_END,
};

struct fetcher {
	const struct config *cfg;
	enum fetcher_phase phase;
	struct fetcher_question asked;
	int rc;		       /* the exit code, once PHASE_END */
	long long drain_until; /* draining: the in-flight jobs' time is up then */
	const char *run_name;  /* our identity on the sink's control socket */
	long long run_id;      /* ingest_runs.id, from the sink's BEGUN */
	void *ctl, *jobs_sock;
	struct fetcher_http *http;
	struct fetcher_spool *spool;	   /* group commit of bodies into the spool */
	struct json_object *validators;	   /* url -> {sha256, etag, last_modified} */
	struct fetcher_urlmap *seen;	   /* every URL queued in this run, as a set */
	struct fetcher_urlmap *link_texts; /* report URL -> the text of the index link to it */
	struct fetcher_urlmap *url_source; /* report URL -> the name of its source */
	struct json_object *by_source;	   /* source name -> {"stored": n, "failed": n} */
	struct batch *batches;		   /* asked of the sink, not answered yet */
	size_t nbatches, bhead;
	long long last_spooled_ms;
	long long spooled_bytes;
	int idle_logged;
	struct fetcher_jobs *jobs;	 /* the jobs and their leases (fetcher_jobs.c) */
	struct fetcher_workers *workers; /* the parser workers heard from lately */
	long long last_worker_ms;	 /* when a worker was last known to be there */
	int draining; /* stopping: no new fetches or leases, in-flight jobs may finish */
	/* the sink says the database is down (HOLD): no leases, and none runs out */
	long long held_until;	  /* monotonic ms: the hold ends unless another HOLD comes */
	long long outage_since;	  /* monotonic ms the hold began; 0: none */
	int gave_up;		  /* the database stayed down past outage_timeout */
	int status_fd, deaths_fd; /* to and from the supervisor (see fetcher_io) */
	struct buf deaths;	  /* a partial line read from deaths_fd */
	long long next_progress_ms;
	long fetched, unchanged, fetch_failed;
	long parsed, stored, job_failed; /* as the workers and the sink report them */
};

/* One URL that failed for good, as fetcher_dead tells the sink. */
struct dead_letter {
	const char *source; /* the source's name, or NULL when not known */
	const char *url;
	const char *stage; /* "fetch" or "parse" */
	const char *error;
	const char *key; /* the job's key: the sink acknowledges it once committed */
	int attempts;
	const void *body; /* the body when there is one, else NULL */
	size_t len;
};

/* Tell the sink that d->url failed for good: a dead letter. */
void fetcher_dead(struct fetcher *f, const struct dead_letter *d);

/* fetcher_discover.c: finished transfers become reports, spool files and jobs. */
/* Queue url for download, once per run, with its stored validators. */
void fetcher_fetch(struct fetcher *f, const char *url, const struct source *src,
		   enum fetch_kind kind, int page, int from_config);
/* 1 the first time url is seen in this run. */
int fetcher_first_sight(struct fetcher *f, const char *url);
/* A finished transfer: an index page's links, or a report to spool. */
void fetcher_on_fetched(struct fetcher *f, struct fetch_result *r);
/* Bodies the spool committed: now, and only now, they become jobs. */
void fetcher_on_spooled(struct fetcher *f);
/* The sink's answer to the oldest VALIDATORS question: fetch that batch. */
void fetcher_on_validators(struct fetcher *f, struct wire_msg *m);
/* Once, when the last transfer is over: the fetch phase's own throughput. */
void fetcher_log_idle(struct fetcher *f);

/* 1 while the sink holds the run (the database is down). */
int fetcher_held(const struct fetcher *f);
/* HOLD from the sink: the database is down; leases wait, none runs out meanwhile. */
void fetcher_on_hold(struct fetcher *f, const struct wire_msg *m);
/* Count and tell the sink what the jobs table says happened to its jobs. */
void fetcher_on_job_outcomes(struct fetcher *f);

/* fetcher_ctl.c: the sink's control socket and the supervisor's pipes. */
/*
 * Count one document as "stored" or "failed" for its source: the one named,
 * else the one url was fetched for (unknown: no count), for the per-source
 * counts in progress and the summary. outcome NULL: only list the source.
 */
void fetcher_count(struct fetcher *f, const char *source, const char *url, const char *outcome);
/* Name the run in a control message's header. */
void fetcher_add_run(const struct fetcher *f, struct json_object *h);
/* BEGIN: the sink records the run; BEGUN (fetcher_on_begun) gives its id. 0 or -1. */
int fetcher_begin(struct fetcher *f);
void fetcher_on_begun(struct fetcher *f, const struct wire_msg *m);
void fetcher_begin_unanswered(void);
/* Ask the stored validators of the configured report URLs (fetcher_on_stored_validators). */
int fetcher_load_validators(struct fetcher *f);
void fetcher_on_stored_validators(struct fetcher *f, const struct wire_msg *m);
void fetcher_validators_unanswered(void);
/* 1 when m answers the question the loop waits on. */
int fetcher_answered(const struct fetcher *f, const struct wire_msg *m);
/* 1 when that question's time is up, or a signal ended the wait. */
int fetcher_unanswered(const struct fetcher *f);
/* How long the loop may poll while it waits for an answer. */
long fetcher_ask_wait_ms(const struct fetcher *f);
/* A progress line for the supervisor, at most every PROGRESS_EVERY_MS unless forced. */
void fetcher_progress(struct fetcher *f, int force);
/* At the end: wait (a little) until the supervisor has read the status lines. */
void fetcher_status_flush(const struct fetcher *f);
/* Take the supervisor's news of parser workers that died. */
void fetcher_read_deaths(struct fetcher *f);
/* FINISH: the run's counts to the sink. 0, or -1 when it cannot be sent. */
int fetcher_finish(struct fetcher *f);
/* The sink's SUMMARY, with the per-source counts, to the supervisor. */
void fetcher_on_summary(struct fetcher *f, struct wire_msg *m);
/* No SUMMARY came: say so, and report this fetcher's counts as interrupted. */
void fetcher_finish_unanswered(struct fetcher *f);
/* The summary of a run the sink could not end: this fetcher's counts, as interrupted. */
void fetcher_summary_interrupted(struct fetcher *f);

#endif
