/*
 * fetcher.c - the fetcher stage's one event loop, and its phases: BEGIN,
 * the configured reports' stored validators, the run (fetch, discover,
 * spool, lease), FINISH.
 *
 * One poll set holds everything the stage waits on: the sink's control
 * socket, the workers' socket, the spool's and the supervisor's descriptors
 * and curl's sockets (CURLMOPT_SOCKETFUNCTION, in fetcher_http.c). No helper
 * waits on any of them by itself, so an ACK or a HOLD is taken in every
 * phase. Must never dispatch a job a worker did not ask for. On a stop
 * signal it drains: no new fetches or leases, the jobs in flight get
 * drain_timeout to be stored, and the run is recorded as interrupted.
 */
#include "fetcher.h"
#include "curve.h"
#include "fetcher_ctl.h"
#include "fetcher_discover.h"
#include "fetcher_http.h"
#include "fetcher_jobs.h"
#include "fetcher_spool.h"
#include "fetcher_workers.h"
#include "log.h"
#include "proto.h"
#include "monotime.h"
#include "sig.h"
#include "spool.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>
#include <zmq.h>

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

/* The stage's state: the loop's own, and the modules it wires together. */
struct fetcher {
	const struct config *cfg;
	enum fetcher_phase phase;
	int rc;		       /* the exit code, once PHASE_END */
	int draining;	       /* stopping: no new fetches or leases, in-flight jobs may finish */
	long long drain_until; /* draining: the in-flight jobs' time is up then */
	long long last_worker_ms;	   /* when a worker was last known to be there */
	void *jobs_sock;		   /* the parser workers' ROUTER */
	struct fetcher_ctl *ctl;	   /* the sink's control socket, the supervisor's pipes */
	struct fetcher_discover *discover; /* what finished transfers become */
	struct fetcher_http *http;	   /* the transfers (curl's multi socket API) */
	struct fetcher_spool *spool;	   /* group commit of bodies into the spool */
	struct fetcher_jobs *jobs;	   /* the jobs and their leases */
	struct fetcher_workers *workers;   /* the parser workers heard from lately */
};

/* The first stop signal: stop fetching and leasing; what is in flight may finish. */
static void
fetcher_drain(struct fetcher *f)
{
	f->draining = 1;
	/* drain_timeout is for the whole stop: the jobs in flight, then the run's end */
	long long drain_ms = (long long)f->cfg->drain_timeout * 1000 - FINISH_STOPPING_MS;
	f->drain_until = monotime_ms() + (drain_ms > 0 ? drain_ms : 0);
	log_warnx("stopping: no new fetches; %zu job%s in flight get up to %d s to be stored;"
		  " a second signal stops at once",
		  fetcher_jobs_in_flight(f->jobs), fetcher_jobs_in_flight(f->jobs) == 1 ? "" : "s",
		  f->cfg->drain_timeout);
}

/* 1 while reports are still coming: transfers, validators asked, bodies being spooled. */
static int
fetcher_fetching(struct fetcher *f)
{
	return fetcher_http_busy(f->http) || fetcher_discover_asking(f->discover) ||
	       fetcher_spool_busy(f->spool);
}

static int
fetcher_has_work(struct fetcher *f)
{
	if (f->draining)
		return fetcher_jobs_in_flight(f->jobs) > 0;
	return fetcher_fetching(f) || fetcher_jobs_outstanding(f->jobs);
}

/*
 * 1 when jobs wait and for lease_ms no worker has been heard of or held a
 * lease: nobody will take them (no parser service, or workers that cannot start).
 */
static int
fetcher_no_workers(struct fetcher *f)
{
	if (fetcher_workers_count(f->workers) > 0 || fetcher_jobs_in_flight(f->jobs) > 0) {
		f->last_worker_ms = monotime_ms();
		return 0;
	}
	return fetcher_jobs_outstanding(f->jobs) &&
	       monotime_ms() - f->last_worker_ms > f->cfg->lease_ms;
}

/* 1 when the run phase is over: no work left, a stop, no workers, an outage. */
static int
fetcher_run_over(struct fetcher *f)
{
	if (sig_stop && !f->draining)
		fetcher_drain(f);
	if (sig_stop > 1 || !fetcher_has_work(f))
		return 1;
	if (!f->draining && fetcher_no_workers(f)) {
		log_warnx("no parser worker for %d s while jobs wait; ending the run, the jobs"
			  " stay in the spool for the next one",
			  f->cfg->lease_ms / 1000);
		f->draining = 1;
		return 1;
	}
	if (fetcher_ctl_outage_over(f->ctl, f->jobs)) {
		f->draining = 1;
		return 1;
	}
	if (f->draining && fetcher_ctl_held(f->ctl)) {
		log_warnx("stopping while the database is down: the %zu job%s in flight stay"
			  " in the spool",
			  fetcher_jobs_in_flight(f->jobs),
			  fetcher_jobs_in_flight(f->jobs) == 1 ? "" : "s");
		return 1;
	}
	if (f->draining && monotime_ms() >= f->drain_until) {
		log_warnx("drain_timeout reached with %zu job%s in flight; they stay in the"
			  " spool",
			  fetcher_jobs_in_flight(f->jobs),
			  fetcher_jobs_in_flight(f->jobs) == 1 ? "" : "s");
		return 1;
	}
	return 0;
}

static void
fetcher_end(struct fetcher *f, int rc)
{
	f->rc = rc;
	f->phase = PHASE_END;
}

/* The sink knows the run and its stored validators: start fetching every source. */
static void
fetcher_start(struct fetcher *f, struct json_object *validators)
{
	fetcher_ctl_count_sources(f->ctl, f->jobs);
	f->last_worker_ms = monotime_ms();
	f->http = fetcher_http_new(f->cfg);
	f->discover = fetcher_discover_new(validators);
	fetcher_discover_sources(f->discover, f->cfg, f->http);
	f->phase = PHASE_RUN;
}

/* The sink did not answer the question of this phase (or a signal ended the wait). */
static void
fetcher_unanswered_end(struct fetcher *f)
{
	fetcher_ctl_forget_question(f->ctl);
	switch (f->phase) {
	case PHASE_BEGIN:
		fetcher_ctl_begin_unanswered();
		fetcher_end(f, sig_stop ? 0 : EX_TEMPFAIL);
		break;
	case PHASE_VALIDATORS:
		fetcher_ctl_validators_unanswered();
		fetcher_end(f, sig_stop ? 0 : EX_TEMPFAIL);
		break;
	default:
		fetcher_ctl_finish_unanswered(f->ctl);
		fetcher_end(f, EX_TEMPFAIL);
		break;
	}
}

/*
 * The run phase is over: a second signal ends here; a run stopped while the
 * database is down cannot be ended with the sink; else FINISH.
 */
static void
fetcher_run_end(struct fetcher *f)
{
	fetcher_ctl_progress(f->ctl, f->jobs, fetcher_fetching(f), f->draining, 1);
	if (sig_stop > 1) {
		log_info("stopping at once; %s", fetcher_jobs_outstanding(f->jobs)
						     ? "unfinished jobs stay in the spool"
						     : "nothing left in flight");
		fetcher_end(f, 0);
		return;
	}
	/*
	 * A run that could not be ended with the sink (the database is down, the
	 * sink is gone) reports its own counts as interrupted: the spool keeps
	 * what was not stored, and the next run records this one's end.
	 */
	if (f->draining && fetcher_ctl_held(f->ctl)) {
		fetcher_ctl_summary_interrupted(f->ctl);
		fetcher_end(f, EX_TEMPFAIL);
		return;
	}
	f->phase = PHASE_FINISH;
	if (fetcher_ctl_finish(f->ctl, f->draining) < 0)
		fetcher_unanswered_end(f);
}

/* The answer the phase waits for: the next phase. */
static void
fetcher_on_answer(struct fetcher *f, struct wire_msg *m)
{
	switch (f->phase) {
	case PHASE_BEGIN:
		fetcher_ctl_on_begun(f->ctl, m);
		f->phase = PHASE_VALIDATORS;
		if (fetcher_ctl_load_validators(f->ctl) < 0)
			fetcher_unanswered_end(f);
		break;
	case PHASE_VALIDATORS:
		fetcher_start(f, fetcher_ctl_on_stored_validators(f->ctl, m));
		break;
	default:
		fetcher_ctl_on_summary(f->ctl, m);
		fetcher_end(f, 0);
		break;
	}
}

/* Every message from the sink, in every phase. */
static void
fetcher_on_ctl(struct fetcher *f, struct wire_msg *m)
{
	if (strcmp(m->type, PROTO_MSG_ACK) == 0)
		fetcher_jobs_on_ack(f->jobs, wire_str(m, PROTO_KEY_KEY, NULL),
				    wire_str(m, PROTO_KEY_STATUS, NULL));
	else if (strcmp(m->type, PROTO_MSG_HOLD) == 0)
		fetcher_ctl_on_hold(f->ctl, m, f->jobs);
	else if (fetcher_ctl_answered(f->ctl, m))
		fetcher_on_answer(f, m);
	else if (f->phase == PHASE_RUN && strcmp(m->type, PROTO_MSG_VALIDATORS) == 0)
		fetcher_discover_on_validators(f->discover, f->http, m);
}

/* The run phase's work after a poll: transfers, spooled bodies, deaths, workers. */
static void
fetcher_run_events(struct fetcher *f, const zmq_pollitem_t *curl_items, int ncurl, int ready)
{
	if (!f->draining) {
		if (ready > 0)
			fetcher_http_on_ready(f->http, curl_items, ncurl);
		fetcher_http_perform(f->http);
		struct fetch_result *r;
		while ((r = fetcher_http_next(f->http)) != NULL) {
			fetcher_discover_on_fetched(f->discover, f->ctl, f->http, f->spool, r);
			fetcher_http_result_free(&r);
		}
	}
	fetcher_discover_on_spooled(f->discover, f->ctl, f->spool, f->jobs);
	if (fetcher_ctl_deaths_fd(f->ctl) >= 0)
		fetcher_ctl_read_deaths(f->ctl, f->jobs, f->workers, f->draining);
	struct wire_msg m;
	while (wire_recv_nowait(f->jobs_sock, 1, &m) == 0) {
		fetcher_jobs_on_worker(f->jobs, f->workers, &m);
		wire_msg_release(&m);
	}
}

/* The run phase's timers, after the sink's messages: leases, heartbeats, progress. */
static void
fetcher_run_timers(struct fetcher *f)
{
	if (!fetcher_fetching(f))
		fetcher_discover_log_idle(f->discover, fetcher_ctl_counts(f->ctl), f->http,
					  f->spool);
	fetcher_jobs_expire(f->jobs, f->draining);
	/* no lease while the database cannot store what it would give */
	if (!f->draining && !fetcher_ctl_held(f->ctl)) {
		struct fetcher_jobs_run run = fetcher_ctl_jobs_run(f->ctl, f->jobs_sock);
		fetcher_jobs_dispatch(f->jobs, f->workers, &run);
	}
	fetcher_ctl_on_job_outcomes(f->ctl, f->jobs);
	fetcher_workers_beat(f->workers, f->jobs_sock, monotime_ms());
	fetcher_ctl_progress(f->ctl, f->jobs, fetcher_fetching(f), f->draining, 0);
}

/* The loop's own descriptors (workers, sink, spool, deaths, a signal's), before curl's. */
#define LOOP_FIXED_ITEMS 5

/*
 * The fetcher's one event loop, through every phase: one poll set holds the
 * sink's control socket, the workers' socket, the spool's and the deaths'
 * descriptors and curl's sockets; nothing else waits on any of them.
 */
static void
fetcher_loop(struct fetcher *f)
{
	zmq_pollitem_t *items = NULL;
	int cap = 0;

	while (f->phase != PHASE_END) {
		int run = f->phase == PHASE_RUN;
		if (run && fetcher_run_over(f)) {
			fetcher_run_end(f);
			continue;
		}
		if (!run && fetcher_ctl_unanswered(f->ctl)) {
			fetcher_unanswered_end(f);
			continue;
		}
		long timeout = run ? WIRE_HEARTBEAT_MS / 2 : fetcher_ctl_ask_wait_ms(f->ctl);
		int n = 0, ncurl;
		if (cap < LOOP_FIXED_ITEMS) {
			cap = LOOP_FIXED_ITEMS + 16;
			items = xreallocarray(items, (size_t)cap, sizeof(*items));
		}
		items[n++] = (zmq_pollitem_t){fetcher_ctl_sock(f->ctl), 0, ZMQ_POLLIN, 0};
		if (run) {
			items[n++] = (zmq_pollitem_t){f->jobs_sock, 0, ZMQ_POLLIN, 0};
			items[n++] =
			    (zmq_pollitem_t){NULL, fetcher_spool_fd(f->spool), ZMQ_POLLIN, 0};
			if (fetcher_ctl_deaths_fd(f->ctl) >= 0)
				items[n++] = (zmq_pollitem_t){NULL, fetcher_ctl_deaths_fd(f->ctl),
							      ZMQ_POLLIN, 0};
		}
		/* a signal wakes the poll even when it lands between a check and the wait */
		int nsig = -1;
		if (sig_fd() >= 0) {
			nsig = n;
			items[n++] = (zmq_pollitem_t){NULL, sig_fd(), ZMQ_POLLIN, 0};
		}
		ncurl = n;
		if (run && !f->draining)
			fetcher_http_poll_items(f->http, &items, &n, &cap, &timeout);
		int ready = zmq_poll(items, n, timeout);
		if (ready < 0 && errno != EINTR) {
			log_warnx("poll failed: %s", zmq_strerror(errno));
			if (run)
				fetcher_run_end(f);
			else
				fetcher_unanswered_end(f);
			continue;
		}
		if (nsig >= 0 && (items[nsig].revents & ZMQ_POLLIN))
			sig_drain();
		if (run)
			fetcher_run_events(f, items + ncurl, n - ncurl, ready);
		struct wire_msg m;
		/* an answer may end the phase: the rest waits for the next turn */
		enum fetcher_phase phase = f->phase;
		while (f->phase == phase && fetcher_ctl_recv(f->ctl, &m) == 0) {
			fetcher_on_ctl(f, &m);
			wire_msg_release(&m);
		}
		fetcher_ctl_on_job_outcomes(f->ctl, f->jobs);
		if (run && f->phase == PHASE_RUN)
			fetcher_run_timers(f);
	}
	free(items);
}

int
fetcher_main(const struct config *cfg, const struct wire_endpoints *ep, const struct fetcher_io *io)
{
	struct fetcher f = {.cfg = cfg, .phase = PHASE_BEGIN, .rc = EX_SOFTWARE};
	struct curve_auth *auth = NULL;
	void *ctx = zmq_ctx_new();

	f.ctl = fetcher_ctl_new(cfg, io->run_name, io->status_fd, io->deaths_fd);
	if (curve_auth_start(ctx, cfg, &auth) < 0)
		goto out;
	int ctl_open = fetcher_ctl_open(f.ctl, ctx, &ep->ctl);
	f.jobs_sock = wire_open(ctx, ZMQ_ROUTER, &ep->jobs, 1, cfg, NULL);
	if (f.jobs_sock) {
		/* a send to a worker that is gone fails at once instead of vanishing */
		int mandatory = 1;
		zmq_setsockopt(f.jobs_sock, ZMQ_ROUTER_MANDATORY, &mandatory, sizeof(mandatory));
	}
	if (ctl_open < 0 || !f.jobs_sock || spool_ensure_dir(cfg->spool_dir) < 0 ||
	    (f.spool = fetcher_spool_new(cfg->spool_dir)) == NULL)
		goto out;
	f.jobs = fetcher_jobs_new(cfg);
	f.workers = fetcher_workers_new();
	if (fetcher_ctl_begin(f.ctl) < 0)
		fetcher_unanswered_end(&f);
	fetcher_loop(&f);
	fetcher_ctl_status_flush(f.ctl);
out:
	fetcher_http_free(&f.http);
	fetcher_spool_free(&f.spool);
	fetcher_discover_free(&f.discover);
	fetcher_jobs_free(&f.jobs);
	fetcher_workers_free(&f.workers);
	fetcher_ctl_free(&f.ctl);
	if (f.jobs_sock)
		zmq_close(f.jobs_sock);
	curve_auth_stop(&auth, ctx);
	zmq_ctx_term(ctx);
	return f.rc;
}
