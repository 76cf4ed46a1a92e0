/*
 * fetcher_ctl.c - what the fetcher says to the sink and to its supervisor:
 * the run's BEGIN and FINISH and the stored validators (the sink's control
 * socket), progress and the summary (a pipe to `run`), and the workers that
 * died (a pipe from `run`). Every control message names its run, so a sink
 * that restarted within it still knows whose it is. It owns the run's
 * counts, which only it reports; it never calls into the loop.
 */
#include "buf.h"
#include "fetcher_ctl.h"
#include "fetcher_urlmap.h"
#include "log.h"
#include "proto.h"
#include "monotime.h"
#include "sig.h"

#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <zmq.h>

#define BEGIN_TIMEOUT_MS 60000
#define VALIDATORS_TIMEOUT_MS 120000
#define SUMMARY_TIMEOUT_MS 60000
#define PROGRESS_EVERY_MS 500
/* at its end, the longest the fetcher waits for its status lines to be read */
#define STATUS_FLUSH_MS 2000
/* waiting for an answer, the loop looks at the clock this often */
#define ASK_POLL_MS 200
/* How long a HOLD holds: a few of the sink's HOLD intervals, so one lost HOLD is no end. */
#define HOLD_MS (3 * WIRE_HEARTBEAT_MS)

/* A control request the loop waits on: the run's BEGIN, its first VALIDATORS, its FINISH. */
struct fetcher_question {
	const char *want; /* the answer's message type; NULL: nothing asked */
	long long until;  /* monotonic ms: unanswered then */
	int stoppable;	  /* a first stop signal ends the wait too */
};

struct fetcher_ctl {
	const struct config *cfg;
	void *sock;	      /* the sink's control socket */
	const char *run_name; /* our identity on it */
	long long run_id;     /* ingest_runs.id, from the sink's BEGUN */
	struct fetcher_question asked;
	/* the sink says the database is down (HOLD): no leases, and none runs out */
	long long held_until;	/* monotonic ms: the hold ends unless another HOLD comes */
	long long outage_since; /* monotonic ms the hold began; 0: none */
	int gave_up;		/* the database stayed down past outage_timeout */
	struct fetcher_counts n;
	struct fetcher_urlmap *url_source; /* report URL -> the name of its source */
	struct json_object *by_source;	   /* source name -> {"stored": n, "failed": n} */
	int status_fd, deaths_fd;	   /* to and from the supervisor (see fetcher_io) */
	struct buf deaths;		   /* a partial line read from deaths_fd */
	long long next_progress_ms;
};

struct fetcher_ctl *
fetcher_ctl_new(const struct config *cfg, const char *run_name, int status_fd, int deaths_fd)
{
	struct fetcher_ctl *c = g_new0(struct fetcher_ctl, 1);
	c->cfg = cfg;
	c->run_name = run_name;
	c->status_fd = status_fd;
	c->deaths_fd = deaths_fd;
	if (c->status_fd >= 0)
		fcntl(c->status_fd, F_SETFL, fcntl(c->status_fd, F_GETFL) | O_NONBLOCK);
	if (c->deaths_fd >= 0)
		fcntl(c->deaths_fd, F_SETFL, fcntl(c->deaths_fd, F_GETFL) | O_NONBLOCK);
	return c;
}

void
fetcher_ctl_free(struct fetcher_ctl **cp)
{
	if (*cp) {
		if ((*cp)->sock)
			zmq_close((*cp)->sock);
		fetcher_urlmap_free(&(*cp)->url_source);
		json_object_put((*cp)->by_source);
		buf_release(&(*cp)->deaths);
	}
	g_clear_pointer(cp, g_free);
}

int
fetcher_ctl_open(struct fetcher_ctl *c, void *ctx, const struct wire_endpoint *ep)
{
	c->sock = wire_open(ctx, ZMQ_DEALER, ep, 0, c->cfg, c->run_name);
	return c->sock ? 0 : -1;
}

void *
fetcher_ctl_sock(const struct fetcher_ctl *c)
{
	return c->sock;
}

int
fetcher_ctl_recv(struct fetcher_ctl *c, struct wire_msg *m)
{
	return wire_recv_nowait(c->sock, 0, m);
}

int
fetcher_ctl_deaths_fd(const struct fetcher_ctl *c)
{
	return c->deaths_fd;
}

struct fetcher_jobs_run
fetcher_ctl_jobs_run(const struct fetcher_ctl *c, void *jobs_sock)
{
	return (struct fetcher_jobs_run){c->run_name, c->run_id, jobs_sock};
}

/* Every control message names its run: a sink that restarted within it still knows it. */
static void
ctl_add_run(const struct fetcher_ctl *c, struct json_object *h)
{
	json_object_object_add(h, PROTO_KEY_RUN, json_object_new_string(c->run_name));
	json_object_object_add(h, PROTO_KEY_RUN_ID, json_object_new_int64(c->run_id));
}

/*
 * Count one document as "stored" or "failed" for its source: the one named,
 * else the one url was fetched for (unknown: no count), for the per-source
 * counts in progress and the summary. outcome NULL: only list the source.
 */
static void
ctl_count(struct fetcher_ctl *c, const char *source, const char *url, const char *outcome)
{
	struct json_object *counts, *n;
	if (source == NULL && url && c->url_source)
		source = fetcher_urlmap_get(c->url_source, url);
	if (source == NULL || c->by_source == NULL)
		return;
	if (!json_object_object_get_ex(c->by_source, source, &counts)) {
		counts = json_object_new_object();
		json_object_object_add(counts, PROTO_KEY_STORED, json_object_new_int64(0));
		json_object_object_add(counts, PROTO_KEY_FAILED, json_object_new_int64(0));
		json_object_object_add(c->by_source, source, counts);
	}
	if (outcome && json_object_object_get_ex(counts, outcome, &n))
		json_object_set_int64(n, json_object_get_int64(n) + 1);
}

/* Every dead letter goes to the sink through here, named by its run. */
static void
ctl_dead(struct fetcher_ctl *c, const struct dead_letter *d)
{
	struct json_object *h = json_object_new_object();
	if (d->key)
		json_object_object_add(h, PROTO_KEY_KEY, json_object_new_string(d->key));
	json_object_object_add(h, PROTO_KEY_URL, json_object_new_string(d->url));
	if (d->source)
		json_object_object_add(h, PROTO_KEY_SOURCE, json_object_new_string(d->source));
	json_object_object_add(h, PROTO_KEY_STAGE, json_object_new_string(d->stage));
	json_object_object_add(h, PROTO_KEY_ERROR, json_object_new_string(d->error));
	json_object_object_add(h, PROTO_KEY_ATTEMPTS, json_object_new_int(d->attempts));
	ctl_add_run(c, h);
	if (wire_send(c->sock, NULL, 0, PROTO_MSG_DEAD, h, d->body, d->len) < 0)
		log_warnx("url=%s cannot report the failure to the sink: %s", d->url,
			  zmq_strerror(errno));
	json_object_put(h);
}

void
fetcher_ctl_count_sources(struct fetcher_ctl *c, struct fetcher_jobs *jobs)
{
	c->url_source = fetcher_urlmap_new();
	c->by_source = json_object_new_object();
	/* every source is listed, with zeros when it stored and lost nothing */
	for (size_t i = 0; i < c->cfg->nsources; i++)
		ctl_count(c, c->cfg->sources[i].name, NULL, NULL);
	fetcher_jobs_recover(jobs, c->url_source);
}

void
fetcher_ctl_note_source(struct fetcher_ctl *c, const char *url, const char *source)
{
	fetcher_urlmap_put(c->url_source, url, source);
}

void
fetcher_ctl_tally(struct fetcher_ctl *c, enum fetcher_tally t)
{
	if (t == TALLY_FETCHED)
		c->n.fetched++;
	else
		c->n.unchanged++;
}

void
fetcher_ctl_fetch_failed(struct fetcher_ctl *c, const char *source, const char *url,
			 const struct dead_letter *d)
{
	c->n.fetch_failed++;
	ctl_count(c, source, url, PROTO_KEY_FAILED);
	ctl_dead(c, d);
}

const struct fetcher_counts *
fetcher_ctl_counts(const struct fetcher_ctl *c)
{
	return &c->n;
}

void
fetcher_ctl_on_job_outcomes(struct fetcher_ctl *c, struct fetcher_jobs *jobs)
{
	struct job_outcome o;
	while (fetcher_jobs_next_outcome(jobs, &o)) {
		switch (o.kind) {
		case JOB_OUT_PARSED:
			c->n.parsed++;
			break;
		case JOB_OUT_STORED:
			c->n.stored++;
			ctl_count(c, NULL, o.url, PROTO_KEY_STORED);
			break;
		case JOB_OUT_FAILED:
			c->n.job_failed++;
			ctl_count(c, NULL, o.url, PROTO_KEY_FAILED);
			break;
		case JOB_OUT_LOST:
			c->n.job_failed++;
			ctl_count(c, NULL, o.url, PROTO_KEY_FAILED);
			ctl_dead(c, &(struct dead_letter){.url = o.url,
							  .stage = "fetch",
							  .error = "spool file missing or damaged",
							  .attempts = o.attempts});
			break;
		case JOB_OUT_DEAD:
			/* its spool file stays until the sink acknowledges the dead letter */
			ctl_dead(c, &(struct dead_letter){.source = o.source,
							  .url = o.url,
							  .stage = "parse",
							  .error = o.error,
							  .key = o.key,
							  .attempts = o.attempts,
							  .body = o.body,
							  .len = o.len});
			break;
		}
		fetcher_jobs_outcome_release(&o);
	}
}

/*
 * Send a control request whose answer (of type want) the loop waits for,
 * until timeout_ms from now (stoppable: or a stop signal). 0, or -1 when it
 * cannot be sent. The loop takes the answer (fetcher_ctl_on_*), and late ACKs
 * and HOLDs as they come, from the one poll set: there is no second loop.
 */
static int
ctl_ask(struct fetcher_ctl *c, const char *type, struct json_object *req, const char *want,
	int timeout_ms, int stoppable)
{
	c->asked = (struct fetcher_question){want, monotime_ms() + timeout_ms, stoppable};
	return wire_send(c->sock, NULL, 0, type, req, NULL, 0);
}

int
fetcher_ctl_answered(const struct fetcher_ctl *c, const struct wire_msg *m)
{
	return c->asked.want && strcmp(m->type, c->asked.want) == 0;
}

int
fetcher_ctl_unanswered(const struct fetcher_ctl *c)
{
	return (c->asked.stoppable && sig_stop) || sig_stop > 1 || monotime_ms() >= c->asked.until;
}

void
fetcher_ctl_forget_question(struct fetcher_ctl *c)
{
	c->asked.want = NULL;
}

long
fetcher_ctl_ask_wait_ms(const struct fetcher_ctl *c)
{
	long long left = c->asked.until - monotime_ms();
	return left < 0 ? 0 : left > ASK_POLL_MS ? ASK_POLL_MS : (long)left;
}

/* Open the run with the sink, which records it and gives its id. */
int
fetcher_ctl_begin(struct fetcher_ctl *c)
{
	/* the sink records the name our log lines carry (run=) with the run's id */
	struct json_object *req = json_object_new_object();
	const char *name = *log_get_run() ? log_get_run() : c->run_name;
	json_object_object_add(req, PROTO_KEY_RUN, json_object_new_string(name));
	int rc = ctl_ask(c, PROTO_MSG_BEGIN, req, PROTO_MSG_BEGUN, BEGIN_TIMEOUT_MS, 1);
	json_object_put(req);
	return rc;
}

void
fetcher_ctl_on_begun(struct fetcher_ctl *c, const struct wire_msg *m)
{
	c->asked.want = NULL;
	c->run_id = wire_int(m, PROTO_KEY_RUN_ID, 0);
	log_debug("run %lld begins", c->run_id);
}

void
fetcher_ctl_begin_unanswered(void)
{
	log_warnx("the sink did not answer within %d s; is it running and is the database up?",
		  BEGIN_TIMEOUT_MS / 1000);
}

/*
 * One JSON line for the supervisor (progress, summary). The pipe is
 * non-blocking, so that a supervisor that stops reading cannot stop the
 * fetcher: a progress line that finds the pipe full is dropped whole. But a
 * line is longer than the pipe holds once it lists hundreds of sources, and
 * a line cut short would glue to the next and make both unreadable (a lost
 * summary is a failed run), so a line once begun, and a summary always, is
 * written to its end, waiting STATUS_FLUSH_MS at most for the supervisor to
 * read. One that does not read in that time gets no more lines.
 */
static void
ctl_status(struct fetcher_ctl *c, struct json_object *o, int must_arrive)
{
	if (c->status_fd < 0)
		return;
	struct buf line = {0};
	buf_printf(&line, "%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
	long long until = monotime_ms() + STATUS_FLUSH_MS;
	size_t done = 0;
	while (done < line.len) {
		ssize_t n = write(c->status_fd, line.data + done, line.len - done);
		if (n > 0) {
			done += (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno != EAGAIN) {
			log_debug("cannot report progress: %s", strerror(errno));
			break;
		}
		if (done == 0 && !must_arrive)
			break; /* the pipe is full: this progress line is dropped whole */
		struct pollfd p = {c->status_fd, POLLOUT, 0};
		long long left = until - monotime_ms();
		if (left <= 0 || (poll(&p, 1, (int)left) < 0 && errno != EINTR) ||
		    (p.revents & (POLLERR | POLLHUP))) {
			log_warnx("the supervisor does not read the status lines; sending no more");
			c->status_fd = -1;
			break;
		}
	}
	buf_release(&line);
}

/*
 * The supervisor decides the run's outcome from the summary line: once the
 * fetcher has exited it takes what is left in the pipe in one read, and a
 * summary behind a large progress line (a sources list of hundreds) would be
 * lost. So the fetcher ends only once its lines are read (FIONREAD on the
 * pipe is 0), nobody reads any more, or STATUS_FLUSH_MS passed.
 */
void
fetcher_ctl_status_flush(const struct fetcher_ctl *c)
{
	long long until = monotime_ms() + STATUS_FLUSH_MS;
	int unread = 0;
	if (c->status_fd < 0)
		return;
	while (ioctl(c->status_fd, FIONREAD, &unread) == 0 && unread > 0 && monotime_ms() < until) {
		struct pollfd p = {c->status_fd, POLLOUT, 0};
		if (poll(&p, 1, 0) > 0 && (p.revents & (POLLERR | POLLHUP)))
			return; /* the supervisor is gone */
		poll(NULL, 0, 5);
	}
}

void
fetcher_ctl_progress(struct fetcher_ctl *c, const struct fetcher_jobs *jobs, int fetching,
		     int draining, int force)
{
	long long now = monotime_ms();
	if (c->status_fd < 0 || (!force && now < c->next_progress_ms))
		return;
	c->next_progress_ms = now + PROGRESS_EVERY_MS;
	size_t settled = fetcher_jobs_settled(jobs);
	struct json_object *o = json_object_new_object();
	json_object_object_add(o, PROTO_KEY_TYPE, json_object_new_string(PROTO_LINE_PROGRESS));
	json_object_object_add(o, PROTO_KEY_RUN_ID, json_object_new_int64(c->run_id));
	json_object_object_add(o, PROTO_KEY_FETCHED, json_object_new_int64(c->n.fetched));
	json_object_object_add(o, PROTO_KEY_UNCHANGED, json_object_new_int64(c->n.unchanged));
	json_object_object_add(o, PROTO_KEY_PARSED, json_object_new_int64(c->n.parsed));
	json_object_object_add(o, PROTO_KEY_STORED, json_object_new_int64(c->n.stored));
	json_object_object_add(o, PROTO_KEY_FAILED,
			       json_object_new_int64(c->n.fetch_failed + c->n.job_failed));
	json_object_object_add(o, PROTO_KEY_JOBS,
			       json_object_new_int64((int64_t)fetcher_jobs_total(jobs)));
	json_object_object_add(o, PROTO_KEY_SETTLED, json_object_new_int64((int64_t)settled));
	json_object_object_add(o, PROTO_KEY_FETCHING, json_object_new_boolean(fetching));
	json_object_object_add(o, PROTO_KEY_DRAINING, json_object_new_boolean(draining));
	if (c->by_source)
		json_object_object_add(o, PROTO_KEY_SOURCES, json_object_get(c->by_source));
	ctl_status(c, o, 0);
	json_object_put(o);
}

/* "pid status" lines from the supervisor: workers that died, maybe holding a lease. */
void
fetcher_ctl_read_deaths(struct fetcher_ctl *c, struct fetcher_jobs *jobs,
			struct fetcher_workers *ws, int draining)
{
	char chunk[512];
	ssize_t n;
	while ((n = read(c->deaths_fd, chunk, sizeof(chunk))) > 0)
		buf_append(&c->deaths, chunk, (size_t)n);
	char *line = c->deaths.data, *nl;
	while (line && (nl = memchr(line, '\n', c->deaths.len - (size_t)(line - c->deaths.data)))) {
		long pid;
		int status;
		*nl = '\0';
		if (sscanf(line, "%ld %d", &pid, &status) == 2)
			fetcher_jobs_on_death(jobs, ws, pid, status, draining);
		line = nl + 1;
	}
	if (line && line != c->deaths.data) {
		size_t rest = c->deaths.len - (size_t)(line - c->deaths.data);
		memmove(c->deaths.data, line, rest);
		c->deaths.len = rest;
	}
}

int
fetcher_ctl_load_validators(struct fetcher_ctl *c)
{
	struct json_object *req = json_object_new_object(), *urls = json_object_new_array();
	for (size_t i = 0; i < c->cfg->nsources; i++)
		if (c->cfg->sources[i].url)
			json_object_array_add(urls, json_object_new_string(c->cfg->sources[i].url));
	json_object_object_add(req, PROTO_KEY_URLS, urls);
	ctl_add_run(c, req);
	int rc =
	    ctl_ask(c, PROTO_MSG_VALIDATORS, req, PROTO_MSG_VALIDATORS, VALIDATORS_TIMEOUT_MS, 1);
	json_object_put(req);
	return rc;
}

struct json_object *
fetcher_ctl_on_stored_validators(struct fetcher_ctl *c, const struct wire_msg *m)
{
	struct json_object *v, *validators = NULL;
	c->asked.want = NULL;
	if (json_object_object_get_ex(m->hdr, PROTO_KEY_VALIDATORS, &v))
		validators = json_object_get(v);
	if (validators == NULL)
		validators = json_object_new_object();
	return validators;
}

void
fetcher_ctl_validators_unanswered(void)
{
	log_warnx("the sink did not answer for stored validators");
}

/* FINISH: the sink records the run's counts and answers with its summary. */
int
fetcher_ctl_finish(struct fetcher_ctl *c, int draining)
{
	struct json_object *fin = json_object_new_object();

	json_object_object_add(fin, PROTO_KEY_FETCHED, json_object_new_int64(c->n.fetched));
	json_object_object_add(fin, PROTO_KEY_UNCHANGED, json_object_new_int64(c->n.unchanged));
	json_object_object_add(fin, PROTO_KEY_FETCH_FAILED,
			       json_object_new_int64(c->n.fetch_failed));
	if (draining)
		json_object_object_add(fin, PROTO_KEY_STATUS,
				       json_object_new_string(PROTO_STATUS_INTERRUPTED));
	ctl_add_run(c, fin);
	/* stopping, the run has drain_timeout in all: the sink answers at once or not at all */
	int wait = draining ? FINISH_STOPPING_MS : SUMMARY_TIMEOUT_MS;
	int rc = ctl_ask(c, PROTO_MSG_FINISH, fin, PROTO_MSG_SUMMARY, wait, 0);
	json_object_put(fin);
	return rc;
}

void
fetcher_ctl_on_summary(struct fetcher_ctl *c, struct wire_msg *m)
{
	c->asked.want = NULL;
	json_object_object_add(m->hdr, PROTO_KEY_TYPE, json_object_new_string(PROTO_LINE_SUMMARY));
	/* the sink counts the run, the fetcher knows each document's source */
	if (c->by_source)
		json_object_object_add(m->hdr, PROTO_KEY_SOURCES, json_object_get(c->by_source));
	ctl_status(c, m->hdr, 1);
}

void
fetcher_ctl_summary_interrupted(struct fetcher_ctl *c)
{
	struct json_object *o = json_object_new_object();
	json_object_object_add(o, PROTO_KEY_TYPE, json_object_new_string(PROTO_LINE_SUMMARY));
	json_object_object_add(o, PROTO_KEY_RUN_ID, json_object_new_int64(c->run_id));
	json_object_object_add(o, PROTO_KEY_STATUS,
			       json_object_new_string(PROTO_STATUS_INTERRUPTED));
	json_object_object_add(o, PROTO_KEY_FETCHED, json_object_new_int64(c->n.fetched));
	json_object_object_add(o, PROTO_KEY_UNCHANGED, json_object_new_int64(c->n.unchanged));
	json_object_object_add(o, PROTO_KEY_PARSED, json_object_new_int64(c->n.parsed));
	json_object_object_add(o, PROTO_KEY_STORED, json_object_new_int64(c->n.stored));
	json_object_object_add(o, PROTO_KEY_FAILED,
			       json_object_new_int64(c->n.fetch_failed + c->n.job_failed));
	json_object_object_add(o, PROTO_KEY_DUPLICATES, json_object_new_int64(0));
	if (c->by_source)
		json_object_object_add(o, PROTO_KEY_SOURCES, json_object_get(c->by_source));
	json_object_object_add(
	    o, PROTO_KEY_WHY,
	    json_object_new_string(c->gave_up
				       ? "the database stayed unreachable past outage_timeout"
				       : "the sink could not record the end of the run"));
	ctl_status(c, o, 1);
	json_object_put(o);
}

void
fetcher_ctl_finish_unanswered(struct fetcher_ctl *c)
{
	log_warnx("the sink did not confirm the end of the run");
	fetcher_ctl_summary_interrupted(c);
}

int
fetcher_ctl_ask_validators(struct fetcher_ctl *c, char *const *urls, size_t n)
{
	struct json_object *req = json_object_new_object(), *arr = json_object_new_array();
	for (size_t i = 0; i < n; i++)
		json_object_array_add(arr, json_object_new_string(urls[i]));
	json_object_object_add(req, PROTO_KEY_URLS, arr);
	ctl_add_run(c, req);
	int rc = wire_send(c->sock, NULL, 0, PROTO_MSG_VALIDATORS, req, NULL, 0);
	/* the caller reports a failure: errno says why, after the request is released */
	int saved = errno;
	json_object_put(req);
	errno = saved;
	return rc;
}

int
fetcher_ctl_held(const struct fetcher_ctl *c)
{
	return c->outage_since != 0 && monotime_ms() < c->held_until;
}

void
fetcher_ctl_on_hold(struct fetcher_ctl *c, const struct wire_msg *m, struct fetcher_jobs *jobs)
{
	long long now = monotime_ms();
	if (!fetcher_ctl_held(c)) {
		c->outage_since = now;
		log_warnx(
		    "the sink cannot store in the database now (%s); the jobs wait in the spool,"
		    " for up to %d s (outage_timeout)",
		    wire_str(m, PROTO_KEY_REASON, "no reason given"), c->cfg->outage_timeout);
	}
	c->held_until = now + HOLD_MS;
	fetcher_jobs_hold(jobs, now);
}

int
fetcher_ctl_outage_over(struct fetcher_ctl *c, const struct fetcher_jobs *jobs)
{
	if (c->outage_since == 0)
		return 0;
	long long now = monotime_ms();
	if (!fetcher_ctl_held(c)) {
		log_info("the database is reachable again after %lld s",
			 (now - c->outage_since) / 1000);
		c->outage_since = 0;
		return 0;
	}
	if (c->cfg->outage_timeout == 0 || now - c->outage_since < c->cfg->outage_timeout * 1000LL)
		return 0;
	size_t unsettled = fetcher_jobs_in_flight(jobs) + fetcher_jobs_pending(jobs);
	log_warnx("the database has been unreachable for %d s (outage_timeout); ending the run,"
		  " the %zu unsettled job%s stay in the spool for the next one",
		  c->cfg->outage_timeout, unsettled, unsettled == 1 ? "" : "s");
	c->gave_up = 1;
	return 1;
}
