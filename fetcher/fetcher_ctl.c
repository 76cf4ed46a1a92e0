/*
 * fetcher_ctl.c - what the fetcher says to the sink and to its supervisor:
 * the run's BEGIN and FINISH and the stored validators (the sink's control
 * socket), progress and the summary (a pipe to `run`), and the workers that
 * died (a pipe from `run`). Every control message names its run, so a sink
 * that restarted within it still knows whose it is.
 */
#include "buf.h"
#include "fetcher_stage.h"
#include "log.h"
#include "proto.h"
#include "monotime.h"
#include "sig.h"

#include <errno.h>
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

/* Every control message names its run: a sink that restarted within it still knows it. */
void
fetcher_add_run(const struct fetcher *f, struct json_object *h)
{
	json_object_object_add(h, PROTO_KEY_RUN, json_object_new_string(f->run_name));
	json_object_object_add(h, PROTO_KEY_RUN_ID, json_object_new_int64(f->run_id));
}

/* Every dead letter goes to the sink through here, named by its run. */
void
fetcher_dead(struct fetcher *f, const struct dead_letter *d)
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
	fetcher_add_run(f, h);
	if (wire_send(f->ctl, NULL, 0, PROTO_MSG_DEAD, h, d->body, d->len) < 0)
		log_warnx("url=%s cannot report the failure to the sink: %s", d->url,
			  zmq_strerror(errno));
	json_object_put(h);
}

void
fetcher_on_job_outcomes(struct fetcher *f)
{
	struct job_outcome o;
	while (fetcher_jobs_next_outcome(f->jobs, &o)) {
		switch (o.kind) {
		case JOB_OUT_PARSED:
			f->parsed++;
			break;
		case JOB_OUT_STORED:
			f->stored++;
			fetcher_count(f, NULL, o.url, PROTO_KEY_STORED);
			break;
		case JOB_OUT_FAILED:
			f->job_failed++;
			fetcher_count(f, NULL, o.url, PROTO_KEY_FAILED);
			break;
		case JOB_OUT_LOST:
			f->job_failed++;
			fetcher_count(f, NULL, o.url, PROTO_KEY_FAILED);
			fetcher_dead(f,
				     &(struct dead_letter){.url = o.url,
							   .stage = "fetch",
							   .error = "spool file missing or damaged",
							   .attempts = o.attempts});
			break;
		case JOB_OUT_DEAD:
			/* its spool file stays until the sink acknowledges the dead letter */
			fetcher_dead(f, &(struct dead_letter){.source = o.source,
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
 * cannot be sent. The loop takes the answer (fetcher_on_*), and late ACKs
 * and HOLDs as they come, from the one poll set: there is no second loop.
 */
static int
fetcher_ask(struct fetcher *f, const char *type, struct json_object *req, const char *want,
	    int timeout_ms, int stoppable)
{
	f->asked = (struct fetcher_question){want, monotime_ms() + timeout_ms, stoppable};
	return wire_send(f->ctl, NULL, 0, type, req, NULL, 0);
}

int
fetcher_answered(const struct fetcher *f, const struct wire_msg *m)
{
	return f->asked.want && strcmp(m->type, f->asked.want) == 0;
}

int
fetcher_unanswered(const struct fetcher *f)
{
	return (f->asked.stoppable && sig_stop) || sig_stop > 1 || monotime_ms() >= f->asked.until;
}

long
fetcher_ask_wait_ms(const struct fetcher *f)
{
	long long left = f->asked.until - monotime_ms();
	return left < 0 ? 0 : left > ASK_POLL_MS ? ASK_POLL_MS : (long)left;
}

/* Open the run with the sink, which records it and gives its id. */
int
fetcher_begin(struct fetcher *f)
{
	/* the sink records the name our log lines carry (run=) with the run's id */
	struct json_object *req = json_object_new_object();
	const char *name = *log_get_run() ? log_get_run() : f->run_name;
	json_object_object_add(req, PROTO_KEY_RUN, json_object_new_string(name));
	int rc = fetcher_ask(f, PROTO_MSG_BEGIN, req, PROTO_MSG_BEGUN, BEGIN_TIMEOUT_MS, 1);
	json_object_put(req);
	return rc;
}

void
fetcher_on_begun(struct fetcher *f, const struct wire_msg *m)
{
	f->asked.want = NULL;
	f->run_id = wire_int(m, PROTO_KEY_RUN_ID, 0);
	log_debug("run %lld begins", f->run_id);
}

void
fetcher_begin_unanswered(void)
{
	log_warnx("the sink did not answer within %d s; is it running and is the database up?",
		  BEGIN_TIMEOUT_MS / 1000);
}

void
fetcher_count(struct fetcher *f, const char *source, const char *url, const char *outcome)
{
	struct json_object *counts, *n;
	if (source == NULL && url && f->url_source)
		source = fetcher_urlmap_get(f->url_source, url);
	if (source == NULL || f->by_source == NULL)
		return;
	if (!json_object_object_get_ex(f->by_source, source, &counts)) {
		counts = json_object_new_object();
		json_object_object_add(counts, PROTO_KEY_STORED, json_object_new_int64(0));
		json_object_object_add(counts, PROTO_KEY_FAILED, json_object_new_int64(0));
		json_object_object_add(f->by_source, source, counts);
	}
	if (outcome && json_object_object_get_ex(counts, outcome, &n))
		json_object_set_int64(n, json_object_get_int64(n) + 1);
}

/* One JSON line for the supervisor (progress, summary); dropped when it is not reading. */
static void
fetcher_status(struct fetcher *f, struct json_object *o)
{
	if (f->status_fd < 0)
		return;
	struct buf line = {0};
	buf_printf(&line, "%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
	if (write(f->status_fd, line.data, line.len) < 0 && errno != EAGAIN)
		log_debug("cannot report progress: %s", strerror(errno));
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
fetcher_status_flush(const struct fetcher *f)
{
	long long until = monotime_ms() + STATUS_FLUSH_MS;
	int unread = 0;
	if (f->status_fd < 0)
		return;
	while (ioctl(f->status_fd, FIONREAD, &unread) == 0 && unread > 0 && monotime_ms() < until) {
		struct pollfd p = {f->status_fd, POLLOUT, 0};
		if (poll(&p, 1, 0) > 0 && (p.revents & (POLLERR | POLLHUP)))
			return; /* the supervisor is gone */
		poll(NULL, 0, 5);
	}
}

void
fetcher_progress(struct fetcher *f, int force)
{
	long long now = monotime_ms();
	if (f->status_fd < 0 || (!force && now < f->next_progress_ms))
		return;
	f->next_progress_ms = now + PROGRESS_EVERY_MS;
	int fetching =
	    fetcher_http_busy(f->http) || f->bhead < f->nbatches || fetcher_spool_busy(f->spool);
	size_t settled = fetcher_jobs_settled(f->jobs);
	struct json_object *o = json_object_new_object();
	json_object_object_add(o, PROTO_KEY_TYPE, json_object_new_string(PROTO_LINE_PROGRESS));
	json_object_object_add(o, PROTO_KEY_RUN_ID, json_object_new_int64(f->run_id));
	json_object_object_add(o, PROTO_KEY_FETCHED, json_object_new_int64(f->fetched));
	json_object_object_add(o, PROTO_KEY_UNCHANGED, json_object_new_int64(f->unchanged));
	json_object_object_add(o, PROTO_KEY_PARSED, json_object_new_int64(f->parsed));
	json_object_object_add(o, PROTO_KEY_STORED, json_object_new_int64(f->stored));
	json_object_object_add(o, PROTO_KEY_FAILED,
			       json_object_new_int64(f->fetch_failed + f->job_failed));
	json_object_object_add(o, PROTO_KEY_JOBS,
			       json_object_new_int64((int64_t)fetcher_jobs_total(f->jobs)));
	json_object_object_add(o, PROTO_KEY_SETTLED, json_object_new_int64((int64_t)settled));
	json_object_object_add(o, PROTO_KEY_FETCHING, json_object_new_boolean(fetching));
	json_object_object_add(o, PROTO_KEY_DRAINING, json_object_new_boolean(f->draining));
	if (f->by_source)
		json_object_object_add(o, PROTO_KEY_SOURCES, json_object_get(f->by_source));
	fetcher_status(f, o);
	json_object_put(o);
}

/* "pid status" lines from the supervisor: workers that died, maybe holding a lease. */
void
fetcher_read_deaths(struct fetcher *f)
{
	char chunk[512];
	ssize_t n;
	while ((n = read(f->deaths_fd, chunk, sizeof(chunk))) > 0)
		buf_append(&f->deaths, chunk, (size_t)n);
	char *line = f->deaths.data, *nl;
	while (line && (nl = memchr(line, '\n', f->deaths.len - (size_t)(line - f->deaths.data)))) {
		long pid;
		int status;
		*nl = '\0';
		if (sscanf(line, "%ld %d", &pid, &status) == 2)
			fetcher_jobs_on_death(f->jobs, f->workers, pid, status, f->draining);
		line = nl + 1;
	}
	if (line && line != f->deaths.data) {
		size_t rest = f->deaths.len - (size_t)(line - f->deaths.data);
		memmove(f->deaths.data, line, rest);
		f->deaths.len = rest;
	}
}

int
fetcher_load_validators(struct fetcher *f)
{
	struct json_object *req = json_object_new_object(), *urls = json_object_new_array();
	for (size_t i = 0; i < f->cfg->nsources; i++)
		if (f->cfg->sources[i].url)
			json_object_array_add(urls, json_object_new_string(f->cfg->sources[i].url));
	json_object_object_add(req, PROTO_KEY_URLS, urls);
	fetcher_add_run(f, req);
	int rc = fetcher_ask(f, PROTO_MSG_VALIDATORS, req, PROTO_MSG_VALIDATORS,
			     VALIDATORS_TIMEOUT_MS, 1);
	json_object_put(req);
	return rc;
}

void
fetcher_on_stored_validators(struct fetcher *f, const struct wire_msg *m)
{
	struct json_object *v;
	f->asked.want = NULL;
	if (json_object_object_get_ex(m->hdr, PROTO_KEY_VALIDATORS, &v))
		f->validators = json_object_get(v);
	if (f->validators == NULL)
		f->validators = json_object_new_object();
}

void
fetcher_validators_unanswered(void)
{
	log_warnx("the sink did not answer for stored validators");
}

/* FINISH: the sink records the run's counts and answers with its summary. */
int
fetcher_finish(struct fetcher *f)
{
	struct json_object *fin = json_object_new_object();

	json_object_object_add(fin, PROTO_KEY_FETCHED, json_object_new_int64(f->fetched));
	json_object_object_add(fin, PROTO_KEY_UNCHANGED, json_object_new_int64(f->unchanged));
	json_object_object_add(fin, PROTO_KEY_FETCH_FAILED, json_object_new_int64(f->fetch_failed));
	if (f->draining)
		json_object_object_add(fin, PROTO_KEY_STATUS,
				       json_object_new_string(PROTO_STATUS_INTERRUPTED));
	fetcher_add_run(f, fin);
	/* stopping, the run has drain_timeout in all: the sink answers at once or not at all */
	int wait = f->draining ? FINISH_STOPPING_MS : SUMMARY_TIMEOUT_MS;
	int rc = fetcher_ask(f, PROTO_MSG_FINISH, fin, PROTO_MSG_SUMMARY, wait, 0);
	json_object_put(fin);
	return rc;
}

void
fetcher_on_summary(struct fetcher *f, struct wire_msg *m)
{
	f->asked.want = NULL;
	json_object_object_add(m->hdr, PROTO_KEY_TYPE, json_object_new_string(PROTO_LINE_SUMMARY));
	/* the sink counts the run, the fetcher knows each document's source */
	if (f->by_source)
		json_object_object_add(m->hdr, PROTO_KEY_SOURCES, json_object_get(f->by_source));
	fetcher_status(f, m->hdr);
}

void
fetcher_summary_interrupted(struct fetcher *f)
{
	struct json_object *o = json_object_new_object();
	json_object_object_add(o, PROTO_KEY_TYPE, json_object_new_string(PROTO_LINE_SUMMARY));
	json_object_object_add(o, PROTO_KEY_RUN_ID, json_object_new_int64(f->run_id));
	json_object_object_add(o, PROTO_KEY_STATUS,
			       json_object_new_string(PROTO_STATUS_INTERRUPTED));
	json_object_object_add(o, PROTO_KEY_FETCHED, json_object_new_int64(f->fetched));
	json_object_object_add(o, PROTO_KEY_UNCHANGED, json_object_new_int64(f->unchanged));
	json_object_object_add(o, PROTO_KEY_PARSED, json_object_new_int64(f->parsed));
	json_object_object_add(o, PROTO_KEY_STORED, json_object_new_int64(f->stored));
	json_object_object_add(o, PROTO_KEY_FAILED,
			       json_object_new_int64(f->fetch_failed + f->job_failed));
	json_object_object_add(o, PROTO_KEY_DUPLICATES, json_object_new_int64(0));
	if (f->by_source)
		json_object_object_add(o, PROTO_KEY_SOURCES, json_object_get(f->by_source));
	json_object_object_add(
	    o, PROTO_KEY_WHY,
	    json_object_new_string(f->gave_up
				       ? "the database stayed unreachable past outage_timeout"
				       : "the sink could not record the end of the run"));
	fetcher_status(f, o);
	json_object_put(o);
}

void
fetcher_finish_unanswered(struct fetcher *f)
{
	log_warnx("the sink did not confirm the end of the run");
	fetcher_summary_interrupted(f);
}
