/*
 * fetcher.c - the fetcher stage's loop: fetch, spool, lease, collect acks.
 *
 * A body is on disk (spool, fsynced) before any worker hears of it, and its
 * spool file goes only when the sink has acknowledged it after COMMIT. A job
 * not acknowledged within its lease goes to another worker; after
 * max_attempts it becomes a dead letter, so one poison document never blocks
 * a run. Must never dispatch a job a worker did not ask for.
 */
#include "fetcher.h"
#include "buf.h"
#include "digest.h"
#include "fetcher_http.h"
#include "log.h"
#include "sig.h"
#include "spool.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>
#include <zmq.h>

#define VALIDATORS_TIMEOUT_MS 120000
#define SUMMARY_TIMEOUT_MS 60000
#define MAX_POLL_ITEMS 256

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

struct fetcher {
	const struct config *cfg;
	void *ctl, *jobs_sock, *acks;
	struct fetcher_http *http;
	struct json_object *validators; /* url -> {sha256, etag, last_modified} */
	struct job *jobs;
	size_t njobs, cap;
	struct worker *ready; /* credits: workers that asked for a job */
	size_t nready, ready_cap;
	long fetched, unchanged, fetch_failed;
};

static long long
now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static struct job *
fetcher_find(struct fetcher *f, const char *key)
{
	for (size_t i = 0; i < f->njobs; i++)
		if (strcmp(f->jobs[i].key, key) == 0)
			return &f->jobs[i];
	return NULL;
}

static void
fetcher_enqueue(struct fetcher *f, const char *key, const char *url)
{
	if (fetcher_find(f, key))
		return; /* already queued, e.g. recovered from the spool and fetched again */
	if (f->njobs == f->cap) {
		f->cap = f->cap ? f->cap * 2 : 16;
		f->jobs = xreallocarray(f->jobs, f->cap, sizeof(*f->jobs));
	}
	struct job *j = &f->jobs[f->njobs++];
	memset(j, 0, sizeof(*j));
	snprintf(j->key, sizeof(j->key), "%s", key);
	j->url = xstrdup(url);
	j->state = JOB_PENDING;
}

static void
fetcher_dead(struct fetcher *f, const char *url, const char *stage, const char *error,
	     int attempts, const void *body, size_t len)
{
	struct json_object *h = json_object_new_object();
	json_object_object_add(h, "url", json_object_new_string(url));
	json_object_object_add(h, "stage", json_object_new_string(stage));
	json_object_object_add(h, "error", json_object_new_string(error));
	json_object_object_add(h, "attempts", json_object_new_int(attempts));
	if (wire_send(f->ctl, NULL, 0, "DEAD", h, body, len) < 0)
		log_warnx("url=%s cannot report the failure to the sink: %s", url,
			  zmq_strerror(errno));
	json_object_put(h);
}

static void
iso_now(char *out, size_t cap)
{
	time_t t = time(NULL);
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(out, cap, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static void
add_opt(struct json_object *o, const char *key, const char *v)
{
	if (v)
		json_object_object_add(o, key, json_object_new_string(v));
}

/* A finished download: unchanged, or spooled and queued, or a dead letter. */
static void
fetcher_on_fetched(struct fetcher *f, struct fetch_result *r)
{
	if (!r->ok) {
		f->fetch_failed++;
		log_warnx("url=%s fetch failed: %s", r->url, r->error);
		fetcher_dead(f, r->url, "fetch", r->error, 1, NULL, 0);
		return;
	}
	f->fetched++;
	char sha[DIGEST_HEX_LEN + 1];
	digest_sha256_hex(r->body.data ? r->body.data : "", r->body.len, sha);

	struct json_object *known, *ksha;
	if (json_object_object_get_ex(f->validators, r->url, &known) &&
	    json_object_object_get_ex(known, "sha256", &ksha) &&
	    strcmp(json_object_get_string(ksha), sha) == 0) {
		f->unchanged++;
		log_debug("url=%s unchanged", r->url);
		return;
	}

	struct buf keysrc = {0};
	char key[DIGEST_HEX_LEN + 1], fetched_at[32];
	buf_printf(&keysrc, "%s\n%s", r->url, sha);
	digest_sha256_hex(keysrc.data, keysrc.len, key);
	buf_release(&keysrc);
	iso_now(fetched_at, sizeof(fetched_at));

	struct json_object *h = json_object_new_object();
	add_opt(h, "key", key);
	add_opt(h, "url", r->url);
	add_opt(h, "final_url", r->final_url);
	add_opt(h, "sha256", sha);
	add_opt(h, "etag", r->etag);
	add_opt(h, "last_modified", r->last_modified);
	add_opt(h, "content_type", r->content_type);
	add_opt(h, "fetched_at", fetched_at);
	add_opt(h, "source", r->source[0] ? r->source : NULL);
	add_opt(h, "source_url", r->url);
	int rc = spool_commit(f->cfg->spool_dir, key,
			      json_object_to_json_string_ext(h, JSON_C_TO_STRING_PLAIN),
			      r->body.data ? r->body.data : "", r->body.len);
	json_object_put(h);
	if (rc < 0) {
		f->fetch_failed++;
		fetcher_dead(f, r->url, "fetch", "could not write the spool file", 1, r->body.data,
			     r->body.len);
		return;
	}
	log_debug("url=%s spooled as %s (%zu bytes)", r->url, key, r->body.len);
	fetcher_enqueue(f, key, r->url);
}

/* Jobs an earlier run left in the spool go out again first. */
static void
fetcher_recover(struct fetcher *f)
{
	DIR *d = opendir(f->cfg->spool_dir);
	struct dirent *e;
	if (d == NULL)
		return;
	while ((e = readdir(d)) != NULL) {
		if (strlen(e->d_name) != DIGEST_HEX_LEN)
			continue; /* ".", "..", ".tmp-*" leftovers */
		char *hdr = NULL;
		unsigned char *body = NULL;
		size_t len;
		if (spool_load(f->cfg->spool_dir, e->d_name, &hdr, &body, &len) == 0) {
			struct json_object *o = json_tokener_parse(hdr), *u;
			if (o && json_object_object_get_ex(o, "url", &u)) {
				log_info("url=%s re-dispatching a job an earlier run left in the spool",
					 json_object_get_string(u));
				fetcher_enqueue(f, e->d_name, json_object_get_string(u));
			}
			json_object_put(o);
		}
		free(hdr);
		free(body);
	}
	closedir(d);
}

/* Returns 0 when leased; -1 when the job failed (credit unused); -2 when the worker is gone. */
static int
fetcher_lease(struct fetcher *f, struct job *j, const struct worker *w)
{
	char *hdr = NULL;
	unsigned char *body = NULL;
	size_t len = 0;

	if (spool_load(f->cfg->spool_dir, j->key, &hdr, &body, &len) < 0) {
		j->state = JOB_DONE;
		f->fetch_failed++;
		fetcher_dead(f, j->url, "fetch", "spool file missing or damaged", j->attempts, NULL,
			     0);
		return -1;
	}
	struct json_object *h = json_tokener_parse(hdr);
	if (h == NULL)
		h = json_object_new_object();
	j->attempts++;
	json_object_object_add(h, "attempts", json_object_new_int(j->attempts));
	int rc = wire_send(f->jobs_sock, w->id, w->id_len, "JOB", h, body, len);
	json_object_put(h);
	free(hdr);
	free(body);
	if (rc < 0) {
		j->attempts--;
		return -2;
	}
	j->state = JOB_LEASED;
	j->deadline_ms = now_ms() + f->cfg->lease_ms;
	return 0;
}

static void
fetcher_dispatch(struct fetcher *f)
{
	for (size_t i = 0; i < f->njobs && f->nready > 0; i++) {
		if (f->jobs[i].state != JOB_PENDING)
			continue;
		/* most recent credit first: that worker is surely still there */
		struct worker w = f->ready[--f->nready];
		int rc = fetcher_lease(f, &f->jobs[i], &w);
		if (rc == -1)
			f->ready[f->nready++] = w;
		else if (rc == -2)
			i--; /* the worker went away: offer this job to the next one */
	}
}

static void
fetcher_expire(struct fetcher *f)
{
	long long now = now_ms();
	for (size_t i = 0; i < f->njobs; i++) {
		struct job *j = &f->jobs[i];
		if (j->state != JOB_LEASED || now < j->deadline_ms)
			continue;
		if (j->attempts < f->cfg->max_attempts) {
			log_warnx("url=%s not acknowledged within its lease; dispatching it again",
				  j->url);
			j->state = JOB_PENDING;
			continue;
		}
		char *hdr = NULL;
		unsigned char *body = NULL;
		size_t len = 0;
		char why[128];
		snprintf(why, sizeof(why), "not acknowledged after %d attempts", j->attempts);
		log_warnx("url=%s %s; recording a dead letter", j->url, why);
		spool_load(f->cfg->spool_dir, j->key, &hdr, &body, &len);
		fetcher_dead(f, j->url, "parse", why, j->attempts, body, len);
		free(hdr);
		free(body);
		spool_remove(f->cfg->spool_dir, j->key);
		j->state = JOB_DONE;
	}
}

static void
fetcher_on_ack(struct fetcher *f, struct wire_msg *m)
{
	const char *key = wire_str(m, "key", NULL);
	struct job *j = key ? fetcher_find(f, key) : NULL;
	if (j == NULL || j->state == JOB_DONE)
		return; /* a late duplicate acknowledgement: already settled */
	j->state = JOB_DONE;
	spool_remove(f->cfg->spool_dir, j->key);
	log_debug("url=%s %s", j->url, wire_str(m, "status", "acknowledged"));
}

static int
fetcher_outstanding(const struct fetcher *f)
{
	for (size_t i = 0; i < f->njobs; i++)
		if (f->jobs[i].state != JOB_DONE)
			return 1;
	return 0;
}

/* Send a control request and wait for the reply of the given type. */
static int
fetcher_ask(struct fetcher *f, const char *type, struct json_object *req, struct wire_msg *reply,
	    int timeout_ms)
{
	if (wire_send(f->ctl, NULL, 0, type, req, NULL, 0) < 0)
		return -1;
	long long until = now_ms() + timeout_ms;
	while (!sig_stop && now_ms() < until) {
		zmq_pollitem_t item = {f->ctl, 0, ZMQ_POLLIN, 0};
		if (zmq_poll(&item, 1, 200) < 0 && errno != EINTR)
			return -1;
		if ((item.revents & ZMQ_POLLIN) && wire_recv(f->ctl, 0, reply) == 0)
			return 0;
	}
	return -1;
}

static int
fetcher_load_validators(struct fetcher *f)
{
	struct json_object *req = json_object_new_object(), *urls = json_object_new_array();
	struct wire_msg m;
	for (size_t i = 0; i < f->cfg->nsources; i++)
		if (f->cfg->sources[i].url)
			json_object_array_add(urls, json_object_new_string(f->cfg->sources[i].url));
	json_object_object_add(req, "urls", urls);
	int rc = fetcher_ask(f, "VALIDATORS", req, &m, VALIDATORS_TIMEOUT_MS);
	json_object_put(req);
	if (rc < 0) {
		log_warnx("the sink did not answer for stored validators");
		return -1;
	}
	struct json_object *v;
	if (json_object_object_get_ex(m.hdr, "validators", &v))
		f->validators = json_object_get(v);
	wire_msg_release(&m);
	if (f->validators == NULL)
		f->validators = json_object_new_object();
	return 0;
}

static void
fetcher_loop(struct fetcher *f)
{
	zmq_pollitem_t items[MAX_POLL_ITEMS];

	while (!sig_stop && (fetcher_http_busy(f->http) || fetcher_outstanding(f))) {
		int n = 2;
		long timeout = 1000;
		items[0] = (zmq_pollitem_t){f->jobs_sock, 0, ZMQ_POLLIN, 0};
		items[1] = (zmq_pollitem_t){f->acks, 0, ZMQ_POLLIN, 0};
		fetcher_http_poll_items(f->http, items, &n, MAX_POLL_ITEMS, &timeout);
		if (zmq_poll(items, n, timeout) < 0 && errno != EINTR) {
			log_warnx("poll failed: %s", zmq_strerror(errno));
			break;
		}
		fetcher_http_perform(f->http);
		struct fetch_result *r;
		while ((r = fetcher_http_next(f->http)) != NULL) {
			fetcher_on_fetched(f, r);
			fetcher_http_result_free(&r);
		}
		struct wire_msg m;
		while (wire_recv_nowait(f->jobs_sock, 1, &m) == 0) {
			if (strcmp(m.type, "READY") == 0) {
				if (f->nready == f->ready_cap) {
					f->ready_cap = f->ready_cap ? f->ready_cap * 2 : 8;
					f->ready = xreallocarray(f->ready, f->ready_cap,
								 sizeof(*f->ready));
				}
				memcpy(f->ready[f->nready].id, m.route, m.route_len);
				f->ready[f->nready++].id_len = m.route_len;
			}
			wire_msg_release(&m);
		}
		while (wire_recv_nowait(f->acks, 0, &m) == 0) {
			if (strcmp(m.type, "ACK") == 0)
				fetcher_on_ack(f, &m);
			wire_msg_release(&m);
		}
		fetcher_expire(f);
		fetcher_dispatch(f);
	}
}

static void *
fetcher_socket(void *ctx, int type, const char *endpoint, int bind)
{
	void *sock = zmq_socket(ctx, type);
	wire_socket_defaults(sock);
	if ((bind ? zmq_bind(sock, endpoint) : zmq_connect(sock, endpoint)) < 0) {
		log_warnx("cannot %s %s: %s", bind ? "bind" : "connect", endpoint,
			  zmq_strerror(errno));
		zmq_close(sock);
		return NULL;
	}
	return sock;
}

int
fetcher_main(const struct config *cfg, const struct wire_endpoints *ep)
{
	struct fetcher f = {.cfg = cfg};
	int rc = EX_SOFTWARE;
	void *ctx = zmq_ctx_new();

	f.ctl = fetcher_socket(ctx, ZMQ_DEALER, ep->ctl, 0);
	f.jobs_sock = fetcher_socket(ctx, ZMQ_ROUTER, ep->jobs, 1);
	if (f.jobs_sock) {
		/* a send to a worker that is gone fails at once instead of vanishing */
		int mandatory = 1;
		zmq_setsockopt(f.jobs_sock, ZMQ_ROUTER_MANDATORY, &mandatory, sizeof(mandatory));
	}
	f.acks = fetcher_socket(ctx, ZMQ_PULL, ep->acks, 1);
	if (!f.ctl || !f.jobs_sock || !f.acks || spool_ensure_dir(cfg->spool_dir) < 0)
		goto out;
	if (fetcher_load_validators(&f) < 0) {
		rc = EX_TEMPFAIL;
		goto out;
	}
	fetcher_recover(&f);
	f.http = fetcher_http_new(cfg);
	for (size_t i = 0; i < cfg->nsources; i++) {
		if (cfg->sources[i].url)
			fetcher_http_add(f.http, cfg->sources[i].url, cfg->sources[i].name);
		else
			log_warnx("source \"%s\": index sources are not followed yet",
				  cfg->sources[i].name);
	}

	fetcher_loop(&f);
	if (sig_stop) {
		log_info("stopping; %s", fetcher_outstanding(&f) ? "unfinished jobs stay in the spool"
								 : "nothing left in flight");
		rc = 0;
		goto out;
	}

	struct json_object *fin = json_object_new_object();
	struct wire_msg m;
	json_object_object_add(fin, "fetched", json_object_new_int64(f.fetched));
	json_object_object_add(fin, "unchanged", json_object_new_int64(f.unchanged));
	json_object_object_add(fin, "fetch_failed", json_object_new_int64(f.fetch_failed));
	if (fetcher_ask(&f, "FINISH", fin, &m, SUMMARY_TIMEOUT_MS) == 0) {
		wire_msg_release(&m);
		rc = 0;
	} else {
		log_warnx("the sink did not confirm the end of the run");
	}
	json_object_put(fin);
out:
	fetcher_http_free(&f.http);
	json_object_put(f.validators);
	for (size_t i = 0; i < f.njobs; i++)
		free(f.jobs[i].url);
	free(f.jobs);
	free(f.ready);
	if (f.ctl)
		zmq_close(f.ctl);
	if (f.jobs_sock)
		zmq_close(f.jobs_sock);
	if (f.acks)
		zmq_close(f.acks);
	zmq_ctx_term(ctx);
	return rc;
}
