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
#include "fetcher_stage.h"
#include "log.h"
#include "proto.h"
#include "monotime.h"
#include "sig.h"
#include "spool.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>
#include <zmq.h>

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

static int
fetcher_has_work(struct fetcher *f)
{
	if (f->draining)
		return fetcher_jobs_in_flight(f->jobs) > 0;
	return fetcher_http_busy(f->http) || fetcher_jobs_outstanding(f->jobs) ||
	       f->bhead < f->nbatches || fetcher_spool_busy(f->spool);
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

/*
 * 1 when the database has been down past outage_timeout: the run ends as a
 * signal would end it, and the spool keeps every job for the next run.
 * A hold that lapsed (no HOLD for a while) means the database came back.
 */
static int
fetcher_outage_over(struct fetcher *f)
{
	if (f->outage_since == 0)
		return 0;
	long long now = monotime_ms();
	if (!fetcher_held(f)) {
		log_info("the database is reachable again after %lld s",
			 (now - f->outage_since) / 1000);
		f->outage_since = 0;
		return 0;
	}
	if (f->cfg->outage_timeout == 0 || now - f->outage_since < f->cfg->outage_timeout * 1000LL)
		return 0;
	log_warnx("the database has been unreachable for %d s (outage_timeout); ending the run,"
		  " the %zu unsettled job%s stay in the spool for the next one",
		  f->cfg->outage_timeout,
		  fetcher_jobs_in_flight(f->jobs) + fetcher_jobs_pending(f->jobs),
		  fetcher_jobs_in_flight(f->jobs) + fetcher_jobs_pending(f->jobs) == 1 ? "" : "s");
	f->draining = 1;
	f->gave_up = 1;
	return 1;
}

/* How long a HOLD holds: a few of the sink's HOLD intervals, so one lost HOLD is no end. */
#define HOLD_MS (3 * WIRE_HEARTBEAT_MS)

int
fetcher_held(const struct fetcher *f)
{
	return f->outage_since != 0 && monotime_ms() < f->held_until;
}

void
fetcher_on_hold(struct fetcher *f, const struct wire_msg *m)
{
	long long now = monotime_ms();
	if (!fetcher_held(f)) {
		f->outage_since = now;
		log_warnx("the sink cannot reach the database (%s); the jobs wait in the spool,"
			  " for up to %d s (outage_timeout)",
			  wire_str(m, PROTO_KEY_REASON, "no reason given"), f->cfg->outage_timeout);
	}
	f->held_until = now + HOLD_MS;
	fetcher_jobs_hold(f->jobs, now);
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
	if (fetcher_outage_over(f))
		return 1;
	if (f->draining && fetcher_held(f)) {
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
fetcher_start(struct fetcher *f)
{
	const struct config *cfg = f->cfg;
	f->url_source = fetcher_urlmap_new();
	f->by_source = json_object_new_object();
	/* every source is listed, with zeros when it stored and lost nothing */
	for (size_t i = 0; i < cfg->nsources; i++)
		fetcher_count(f, cfg->sources[i].name, NULL, NULL);
	fetcher_jobs_recover(f->jobs, f->url_source);
	f->last_worker_ms = monotime_ms();
	f->http = fetcher_http_new(cfg);
	f->seen = fetcher_urlmap_new();
	f->link_texts = fetcher_urlmap_new();
	for (size_t i = 0; i < cfg->nsources; i++) {
		const struct source *src = &cfg->sources[i];
		const char *url = src->url ? src->url : src->index;
		if (fetcher_first_sight(f, url))
			fetcher_fetch(f, url, src, src->url ? FETCH_KIND_REPORT : FETCH_KIND_INDEX,
				      1, 1);
	}
	f->phase = PHASE_RUN;
}

/* The sink did not answer the question of this phase (or a signal ended the wait). */
static void
fetcher_unanswered_end(struct fetcher *f)
{
	f->asked.want = NULL;
	switch (f->phase) {
	case PHASE_BEGIN:
		fetcher_begin_unanswered();
		fetcher_end(f, sig_stop ? 0 : EX_TEMPFAIL);
		break;
	case PHASE_VALIDATORS:
		fetcher_validators_unanswered();
		fetcher_end(f, sig_stop ? 0 : EX_TEMPFAIL);
		break;
	default:
		fetcher_finish_unanswered(f);
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
	fetcher_progress(f, 1);
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
	if (f->draining && fetcher_held(f)) {
		fetcher_summary_interrupted(f);
		fetcher_end(f, EX_TEMPFAIL);
		return;
	}
	f->phase = PHASE_FINISH;
	if (fetcher_finish(f) < 0)
		fetcher_unanswered_end(f);
}

/* The answer the phase waits for: the next phase. */
static void
fetcher_on_answer(struct fetcher *f, struct wire_msg *m)
{
	switch (f->phase) {
	case PHASE_BEGIN:
		fetcher_on_begun(f, m);
		f->phase = PHASE_VALIDATORS;
		if (fetcher_load_validators(f) < 0)
			fetcher_unanswered_end(f);
		break;
	case PHASE_VALIDATORS:
		fetcher_on_stored_validators(f, m);
		fetcher_start(f);
		break;
	default:
		fetcher_on_summary(f, m);
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
		fetcher_on_hold(f, m);
	else if (fetcher_answered(f, m))
		fetcher_on_answer(f, m);
	else if (f->phase == PHASE_RUN && strcmp(m->type, PROTO_MSG_VALIDATORS) == 0)
		fetcher_on_validators(f, m);
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
			fetcher_on_fetched(f, r);
			fetcher_http_result_free(&r);
		}
	}
	fetcher_on_spooled(f);
	if (f->deaths_fd >= 0)
		fetcher_read_deaths(f);
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
	if (!fetcher_http_busy(f->http) && f->bhead == f->nbatches && !fetcher_spool_busy(f->spool))
		fetcher_log_idle(f);
	fetcher_jobs_expire(f->jobs, f->draining);
	/* no lease while the database cannot store what it would give */
	if (!f->draining && !fetcher_held(f))
		fetcher_jobs_dispatch(
		    f->jobs, f->workers,
		    &(struct fetcher_jobs_run){f->run_name, f->run_id, f->jobs_sock});
	fetcher_on_job_outcomes(f);
	fetcher_workers_beat(f->workers, f->jobs_sock, monotime_ms());
	fetcher_progress(f, 0);
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
		if (!run && fetcher_unanswered(f)) {
			fetcher_unanswered_end(f);
			continue;
		}
		long timeout = run ? WIRE_HEARTBEAT_MS / 2 : fetcher_ask_wait_ms(f);
		int n = 0, ncurl;
		if (cap < LOOP_FIXED_ITEMS) {
			cap = LOOP_FIXED_ITEMS + 16;
			items = xreallocarray(items, (size_t)cap, sizeof(*items));
		}
		items[n++] = (zmq_pollitem_t){f->ctl, 0, ZMQ_POLLIN, 0};
		if (run) {
			items[n++] = (zmq_pollitem_t){f->jobs_sock, 0, ZMQ_POLLIN, 0};
			items[n++] =
			    (zmq_pollitem_t){NULL, fetcher_spool_fd(f->spool), ZMQ_POLLIN, 0};
			if (f->deaths_fd >= 0)
				items[n++] = (zmq_pollitem_t){NULL, f->deaths_fd, ZMQ_POLLIN, 0};
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
		while (f->phase == phase && wire_recv_nowait(f->ctl, 0, &m) == 0) {
			fetcher_on_ctl(f, &m);
			wire_msg_release(&m);
		}
		fetcher_on_job_outcomes(f);
		if (run && f->phase == PHASE_RUN)
			fetcher_run_timers(f);
	}
	free(items);
}

int
fetcher_main(const struct config *cfg, const struct wire_endpoints *ep, const struct fetcher_io *io)
{
	struct fetcher f = {.cfg = cfg,
			    .run_name = io->run_name,
			    .status_fd = io->status_fd,
			    .deaths_fd = io->deaths_fd,
			    .phase = PHASE_BEGIN,
			    .rc = EX_SOFTWARE};
	struct curve_auth *auth = NULL;
	void *ctx = zmq_ctx_new();

	if (f.status_fd >= 0)
		fcntl(f.status_fd, F_SETFL, fcntl(f.status_fd, F_GETFL) | O_NONBLOCK);
	if (f.deaths_fd >= 0)
		fcntl(f.deaths_fd, F_SETFL, fcntl(f.deaths_fd, F_GETFL) | O_NONBLOCK);
	if (curve_auth_start(ctx, cfg, &auth) < 0)
		goto out;
	f.ctl = wire_open(ctx, ZMQ_DEALER, &ep->ctl, 0, cfg, io->run_name);
	f.jobs_sock = wire_open(ctx, ZMQ_ROUTER, &ep->jobs, 1, cfg, NULL);
	if (f.jobs_sock) {
		/* a send to a worker that is gone fails at once instead of vanishing */
		int mandatory = 1;
		zmq_setsockopt(f.jobs_sock, ZMQ_ROUTER_MANDATORY, &mandatory, sizeof(mandatory));
	}
	if (!f.ctl || !f.jobs_sock || spool_ensure_dir(cfg->spool_dir) < 0 ||
	    (f.spool = fetcher_spool_new(cfg->spool_dir)) == NULL)
		goto out;
	f.jobs = fetcher_jobs_new(cfg);
	f.workers = fetcher_workers_new();
	if (fetcher_begin(&f) < 0)
		fetcher_unanswered_end(&f);
	fetcher_loop(&f);
	fetcher_status_flush(&f);
out:
	fetcher_http_free(&f.http);
	fetcher_spool_free(&f.spool);
	json_object_put(f.validators);
	fetcher_urlmap_free(&f.seen);
	fetcher_urlmap_free(&f.link_texts);
	fetcher_urlmap_free(&f.url_source);
	json_object_put(f.by_source);
	for (size_t i = f.bhead; i < f.nbatches; i++) {
		for (size_t k = 0; k < f.batches[i].nurls; k++)
			free(f.batches[i].urls[k]);
		free(f.batches[i].urls);
	}
	free(f.batches);
	fetcher_jobs_free(&f.jobs);
	fetcher_workers_free(&f.workers);
	buf_release(&f.deaths);
	if (f.ctl)
		zmq_close(f.ctl);
	if (f.jobs_sock)
		zmq_close(f.jobs_sock);
	curve_auth_stop(&auth, ctx);
	zmq_ctx_term(ctx);
	return f.rc;
}
