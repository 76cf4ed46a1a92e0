/*
 * fetcher_jobs.h - the jobs table: spooled jobs, their leases to parser
 * workers, and what became of them.
 */
#ifndef RP_FETCHER_JOBS_H
#define RP_FETCHER_JOBS_H

#include "config.h"
#include "fetcher_urlmap.h"
#include "fetcher_workers.h"
#include "wire.h"

#include <json-c/json.h>
#include <stddef.h>

/* One per-source parse option: its job header key and its place in struct source_parse. */
struct fetcher_job_option {
	const char *key;
	size_t offset; /* of a char * in struct source_parse */
};
/* Every per-source parse option, each of which fetcher_job_header sends. */
extern const struct fetcher_job_option fetcher_job_options[];
extern const size_t fetcher_job_noptions;

/* What a lease adds to a spooled job's header. */
struct fetcher_job_lease {
	const char *run; /* the run's name, as the sink knows it */
	long long run_id;
	int attempts; /* this one included */
};

/*
 * The header of a JOB: spool_hdr (the spool's JSON; NULL or damaged: none)
 * with the lease's run and attempt, the parse time limit, and the parse
 * options of the source it names in cfg. The one place a job header is made.
 * Returns an owned object.
 */
struct json_object *fetcher_job_header(const struct config *cfg, const char *spool_hdr,
				       const struct fetcher_job_lease *l);

struct fetcher_jobs;

/* What happened to a job that the loop must act on: count it, send its dead letter. */
enum job_outcome_kind {
	JOB_OUT_PARSED, /* a worker finished it (or the sink's ACK came first) */
	JOB_OUT_STORED, /* the sink stored it: settled */
	JOB_OUT_FAILED, /* the sink recorded it as failed: settled */
	JOB_OUT_LOST,	/* its spool file is missing or damaged: settled, a dead letter */
	JOB_OUT_DEAD,	/* out of attempts: its dead letter, with the body, to send (again) */
};

/* One outcome, owned by whoever took it (fetcher_jobs_outcome_release). */
struct job_outcome {
	enum job_outcome_kind kind;
	char *url, *key;
	char *source; /* JOB_OUT_DEAD: as its spool header names it, or NULL */
	char *error;  /* JOB_OUT_DEAD: why */
	int attempts;
	unsigned char *body; /* JOB_OUT_DEAD: the body, when the spool file could be read */
	size_t len;
};

/* The run a lease names, and the ROUTER socket its JOB goes out on. */
struct fetcher_jobs_run {
	const char *name;
	long long id;
	void *sock;
};

/* An empty table for cfg's spool; fetcher_jobs_free frees it (sets *t to NULL). */
struct fetcher_jobs *fetcher_jobs_new(const struct config *cfg);
void fetcher_jobs_free(struct fetcher_jobs **t);

/* Take the next outcome (1), or 0 when there is none. */
int fetcher_jobs_next_outcome(struct fetcher_jobs *t, struct job_outcome *o);
void fetcher_jobs_outcome_release(struct job_outcome *o);

/* Queue the spooled job key (for url) for a parser worker, once. */
void fetcher_jobs_enqueue(struct fetcher_jobs *t, const char *key, const char *url);
/* Queue the jobs an earlier run left in the spool; note each one's source in url_source. */
void fetcher_jobs_recover(struct fetcher_jobs *t, struct fetcher_urlmap *url_source);
/* Lease pending jobs, the oldest first, to the workers of ws that asked for one. */
void fetcher_jobs_dispatch(struct fetcher_jobs *t, struct fetcher_workers *ws,
			   const struct fetcher_jobs_run *run);
/* Lease again (or, draining, keep), or dead-letter, jobs whose lease ran out. */
void fetcher_jobs_expire(struct fetcher_jobs *t, int draining);
/* A message from a worker (READY, HEARTBEAT): note it in ws, its credit, the job it finished. */
void fetcher_jobs_on_worker(struct fetcher_jobs *t, struct fetcher_workers *ws,
			    const struct wire_msg *m);
/* The worker process pid died (status as waitpid gives it): its lease ends now. */
void fetcher_jobs_on_death(struct fetcher_jobs *t, struct fetcher_workers *ws, long pid, int status,
			   int draining);
/* The database is down (a HOLD at now): parsed jobs and dead letters get lease_ms more. */
void fetcher_jobs_hold(struct fetcher_jobs *t, long long now);
/* The sink stored (or gave up on, status "failed") the job key: forget it and its spool file. */
void fetcher_jobs_on_ack(struct fetcher_jobs *t, const char *key, const char *status);

/* Jobs leased, parsed or buried (not settled); pending; in all; settled. */
size_t fetcher_jobs_in_flight(const struct fetcher_jobs *t);
size_t fetcher_jobs_pending(const struct fetcher_jobs *t);
size_t fetcher_jobs_total(const struct fetcher_jobs *t);
size_t fetcher_jobs_settled(const struct fetcher_jobs *t);
/* 1 while any job is not yet acknowledged. */
int fetcher_jobs_outstanding(const struct fetcher_jobs *t);

#endif
