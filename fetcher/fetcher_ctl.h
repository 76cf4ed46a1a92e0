/*
 * fetcher_ctl.h - the fetcher's side of the sink's control socket (BEGIN,
 * stored validators, HOLD, FINISH, dead letters) and of its supervisor's
 * pipes (progress and summary lines out, worker deaths in), with the run's
 * counts they report. The loop (fetcher.c) drives it; it never calls back.
 */
#ifndef RP_FETCHER_CTL_H
#define RP_FETCHER_CTL_H

#include "config.h"
#include "fetcher_jobs.h"
#include "fetcher_workers.h"
#include "wire.h"

#include <json-c/json.h>

/* Stopping, what the sink has to answer FINISH: the drain leaves it this much of drain_timeout. */
#define FINISH_STOPPING_MS 1000

struct fetcher_ctl;

/* The run's counts, as progress, FINISH and the summary report them. */
struct fetcher_counts {
	long fetched, unchanged, fetch_failed;
	long parsed, stored, job_failed; /* as the workers and the sink report them */
};

/* What fetcher_ctl_tally counts: one report fetched, or found unchanged. */
enum fetcher_tally {
	TALLY_FETCHED,
	TALLY_UNCHANGED,
};

/* One URL that failed for good, as fetcher_ctl_dead tells the sink. */
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

/*
 * The control side of one run, named run_name (unique), with the
 * supervisor's pipes (see fetcher_io; -1: none) made non-blocking. Never NULL.
 */
struct fetcher_ctl *fetcher_ctl_new(const struct config *cfg, const char *run_name, int status_fd,
				    int deaths_fd);
/* Closes the control socket and releases the counts; *c becomes NULL. */
void fetcher_ctl_free(struct fetcher_ctl **c);
/* Open the sink's control socket (a DEALER on ep). 0, or -1 when it cannot be opened. */
int fetcher_ctl_open(struct fetcher_ctl *c, void *ctx, const struct wire_endpoint *ep);
/* The control socket, for the loop's poll set; messages come through fetcher_ctl_recv. */
void *fetcher_ctl_sock(const struct fetcher_ctl *c);
/* One message from the sink without waiting: 0, or -1 when none is there. */
int fetcher_ctl_recv(struct fetcher_ctl *c, struct wire_msg *m);
/* The supervisor's deaths pipe, for the poll set; -1: none. */
int fetcher_ctl_deaths_fd(const struct fetcher_ctl *c);
/* The run as a lease names it: its name, the id BEGUN gave, the workers' socket. */
struct fetcher_jobs_run fetcher_ctl_jobs_run(const struct fetcher_ctl *c, void *jobs_sock);

/* BEGIN: the sink records the run; BEGUN (fetcher_ctl_on_begun) gives its id. 0 or -1. */
int fetcher_ctl_begin(struct fetcher_ctl *c);
void fetcher_ctl_on_begun(struct fetcher_ctl *c, const struct wire_msg *m);
void fetcher_ctl_begin_unanswered(void);
/* Ask the stored validators of the configured report URLs. 0 or -1. */
int fetcher_ctl_load_validators(struct fetcher_ctl *c);
/* The answer: url -> {sha256, etag, last_modified}, owned by the caller; never NULL. */
struct json_object *fetcher_ctl_on_stored_validators(struct fetcher_ctl *c,
						     const struct wire_msg *m);
void fetcher_ctl_validators_unanswered(void);
/* FINISH: the run's counts to the sink (draining: as interrupted). 0, or -1. */
int fetcher_ctl_finish(struct fetcher_ctl *c, int draining);
/* The sink's SUMMARY, with the per-source counts, to the supervisor. */
void fetcher_ctl_on_summary(struct fetcher_ctl *c, struct wire_msg *m);
/* No SUMMARY came: say so, and report this fetcher's counts as interrupted. */
void fetcher_ctl_finish_unanswered(struct fetcher_ctl *c);
/* The summary of a run the sink could not end: this fetcher's counts, as interrupted. */
void fetcher_ctl_summary_interrupted(struct fetcher_ctl *c);

/* 1 when m answers the question the loop waits on. */
int fetcher_ctl_answered(const struct fetcher_ctl *c, const struct wire_msg *m);
/* 1 when that question's time is up, or a signal ended the wait. */
int fetcher_ctl_unanswered(const struct fetcher_ctl *c);
/* Stop waiting on the question asked: a late answer is not taken for one. */
void fetcher_ctl_forget_question(struct fetcher_ctl *c);
/* How long the loop may poll while it waits for an answer. */
long fetcher_ctl_ask_wait_ms(const struct fetcher_ctl *c);
/* Ask the validators of newly found report URLs; the answers come in order. 0, or -1 (errno). */
int fetcher_ctl_ask_validators(struct fetcher_ctl *c, char *const *urls, size_t n);

/* 1 while the sink holds the run (the database is down). */
int fetcher_ctl_held(const struct fetcher_ctl *c);
/* HOLD from the sink: the database is down; the jobs' leases wait, none runs out meanwhile. */
void fetcher_ctl_on_hold(struct fetcher_ctl *c, const struct wire_msg *m,
			 struct fetcher_jobs *jobs);
/*
 * 1 when the database has been down past outage_timeout: the run ends as a
 * signal would end it. A hold that lapsed means the database came back.
 */
int fetcher_ctl_outage_over(struct fetcher_ctl *c, const struct fetcher_jobs *jobs);

/*
 * From now on count per source: every configured source is listed, and the
 * sources of the jobs the spool recovered into jobs are known.
 */
void fetcher_ctl_count_sources(struct fetcher_ctl *c, struct fetcher_jobs *jobs);
/* url (a report being spooled) counts for the source named. */
void fetcher_ctl_note_source(struct fetcher_ctl *c, const char *url, const char *source);
/* One report fetched, or found unchanged. */
void fetcher_ctl_tally(struct fetcher_ctl *c, enum fetcher_tally t);
/*
 * A fetch that failed for good: counted for source (NULL: url's), and d
 * told to the sink.
 */
void fetcher_ctl_fetch_failed(struct fetcher_ctl *c, const char *source, const char *url,
			      const struct dead_letter *d);
/* The run's counts so far. */
const struct fetcher_counts *fetcher_ctl_counts(const struct fetcher_ctl *c);
/* Count and tell the sink what the jobs table says happened to its jobs. */
void fetcher_ctl_on_job_outcomes(struct fetcher_ctl *c, struct fetcher_jobs *jobs);

/* A progress line for the supervisor, at most every PROGRESS_EVERY_MS unless forced. */
void fetcher_ctl_progress(struct fetcher_ctl *c, const struct fetcher_jobs *jobs, int fetching,
			  int draining, int force);
/* At the end: wait (a little) until the supervisor has read the status lines. */
void fetcher_ctl_status_flush(const struct fetcher_ctl *c);
/* Take the supervisor's news of parser workers that died, and what they held. */
void fetcher_ctl_read_deaths(struct fetcher_ctl *c, struct fetcher_jobs *jobs,
			     struct fetcher_workers *ws, int draining);

#endif
