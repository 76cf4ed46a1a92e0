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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zmq.h>

#define BEGIN_TIMEOUT_MS 60000
#define VALIDATORS_TIMEOUT_MS 120000
#define SUMMARY_TIMEOUT_MS 60000
#define PROGRESS_EVERY_MS 500

/* Every control message names its run: a sink that restarted within it still knows it. */
void
fetcher_add_run(const struct fetcher *f, struct json_object *h)
{
	json_object_object_add(h, PROTO_KEY_RUN, json_object_new_string(f->run_name));
	json_object_object_add(h, PROTO_KEY_RUN_ID, json_object_new_int64(f->run_id));
}

/*
 * Send a control request and wait for the answer of type want (late ACKs
 * that arrive meanwhile are taken as they come). 0, or -1 on timeout.
 */
int
fetcher_ask(struct fetcher *f, const char *type, struct json_object *req, const char *want,
	    struct wire_msg *reply, int timeout_ms, int stoppable)
{
	if (wire_send(f->ctl, NULL, 0, type, req, NULL, 0) < 0)
		return -1;
	long long until = monotime_ms() + timeout_ms;
	while ((!stoppable || !sig_stop) && sig_stop < 2 && monotime_ms() < until) {
		zmq_pollitem_t item = {f->ctl, 0, ZMQ_POLLIN, 0};
		if (zmq_poll(&item, 1, 200) < 0 && errno != EINTR)
			return -1;
		if (!(item.revents & ZMQ_POLLIN) || wire_recv(f->ctl, 0, reply) != 0)
			continue;
		if (strcmp(reply->type, want) == 0)
			return 0;
		if (strcmp(reply->type, PROTO_MSG_ACK) == 0)
			fetcher_jobs_on_ack(f, reply);
		else if (strcmp(reply->type, PROTO_MSG_HOLD) == 0)
			fetcher_jobs_hold(f, reply);
		wire_msg_release(reply);
	}
	return -1;
}

/* Open the run with the sink, which records it and gives its id. */
int
fetcher_begin(struct fetcher *f)
{
	struct wire_msg m;
	/* the sink records the name our log lines carry (run=) with the run's id */
	struct json_object *req = json_object_new_object();
	const char *name = *log_get_run() ? log_get_run() : f->run_name;
	json_object_object_add(req, PROTO_KEY_RUN, json_object_new_string(name));
	int rc = fetcher_ask(f, PROTO_MSG_BEGIN, req, PROTO_MSG_BEGUN, &m, BEGIN_TIMEOUT_MS, 1);
	json_object_put(req);
	if (rc < 0) {
		log_warnx("the sink did not answer within %d s; is it running and is the database"
			  " up?",
			  BEGIN_TIMEOUT_MS / 1000);
		return -1;
	}
	f->run_id = wire_int(&m, PROTO_KEY_RUN_ID, 0);
	wire_msg_release(&m);
	log_debug("run %lld begins", f->run_id);
	return 0;
}

void
fetcher_count(struct fetcher *f, const char *source, const char *url, const char *outcome)
{
	struct json_object *name, *counts, *n;
	if (source == NULL && url && f->url_source &&
	    json_object_object_get_ex(f->url_source, url, &name))
		source = json_object_get_string(name);
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

void
fetcher_progress(struct fetcher *f, int force)
{
	long long now = monotime_ms();
	if (f->status_fd < 0 || (!force && now < f->next_progress_ms))
		return;
	f->next_progress_ms = now + PROGRESS_EVERY_MS;
	int fetching =
	    fetcher_http_busy(f->http) || f->bhead < f->nbatches || fetcher_spool_busy(f->spool);
	size_t settled = 0;
	for (size_t i = 0; i < f->njobs; i++)
		settled += f->jobs[i].state == JOB_DONE;
	struct json_object *o = json_object_new_object();
	json_object_object_add(o, PROTO_KEY_TYPE, json_object_new_string(PROTO_LINE_PROGRESS));
	json_object_object_add(o, PROTO_KEY_RUN_ID, json_object_new_int64(f->run_id));
	json_object_object_add(o, PROTO_KEY_FETCHED, json_object_new_int64(f->fetched));
	json_object_object_add(o, PROTO_KEY_UNCHANGED, json_object_new_int64(f->unchanged));
	json_object_object_add(o, PROTO_KEY_PARSED, json_object_new_int64(f->parsed));
	json_object_object_add(o, PROTO_KEY_STORED, json_object_new_int64(f->stored));
	json_object_object_add(o, PROTO_KEY_FAILED,
			       json_object_new_int64(f->fetch_failed + f->job_failed));
	json_object_object_add(o, PROTO_KEY_JOBS, json_object_new_int64((int64_t)f->njobs));
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
			fetcher_workers_on_death(f, pid, status);
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
	struct wire_msg m;
	for (size_t i = 0; i < f->cfg->nsources; i++)
		if (f->cfg->sources[i].url)
			json_object_array_add(urls, json_object_new_string(f->cfg->sources[i].url));
	json_object_object_add(req, PROTO_KEY_URLS, urls);
	fetcher_add_run(f, req);
	int rc = fetcher_ask(f, PROTO_MSG_VALIDATORS, req, PROTO_MSG_VALIDATORS, &m,
			     VALIDATORS_TIMEOUT_MS, 1);
	json_object_put(req);
	if (rc < 0) {
		log_warnx("the sink did not answer for stored validators");
		return -1;
	}
	struct json_object *v;
	if (json_object_object_get_ex(m.hdr, PROTO_KEY_VALIDATORS, &v))
		f->validators = json_object_get(v);
	wire_msg_release(&m);
	if (f->validators == NULL)
		f->validators = json_object_new_object();
	return 0;
}

/* FINISH: the sink records the run's counts and answers with its summary. */
int
fetcher_finish(struct fetcher *f)
{
	struct json_object *fin = json_object_new_object();
	struct wire_msg m;
	int rc = -1;

	json_object_object_add(fin, PROTO_KEY_FETCHED, json_object_new_int64(f->fetched));
	json_object_object_add(fin, PROTO_KEY_UNCHANGED, json_object_new_int64(f->unchanged));
	json_object_object_add(fin, PROTO_KEY_FETCH_FAILED, json_object_new_int64(f->fetch_failed));
	if (f->draining)
		json_object_object_add(fin, PROTO_KEY_STATUS,
				       json_object_new_string(PROTO_STATUS_INTERRUPTED));
	fetcher_add_run(f, fin);
	/* stopping, the run has drain_timeout in all: the sink answers at once or not at all */
	int wait = f->draining ? FINISH_STOPPING_MS : SUMMARY_TIMEOUT_MS;
	if (fetcher_ask(f, PROTO_MSG_FINISH, fin, PROTO_MSG_SUMMARY, &m, wait, 0) == 0) {
		json_object_object_add(m.hdr, PROTO_KEY_TYPE,
				       json_object_new_string(PROTO_LINE_SUMMARY));
		/* the sink counts the run, the fetcher knows each document's source */
		if (f->by_source)
			json_object_object_add(m.hdr, PROTO_KEY_SOURCES,
					       json_object_get(f->by_source));
		fetcher_status(f, m.hdr);
		wire_msg_release(&m);
		rc = 0;
	} else {
		log_warnx("the sink did not confirm the end of the run");
	}
	json_object_put(fin);
	return rc;
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
