/*
 * fetcher_jobs.c - leasing spooled jobs to parser workers, credit-based.
 *
 * A job is leased only to a worker that asked (READY) and only once its
 * body is durable in the spool; its spool file goes only on the sink's ACK.
 * A lease has two clocks: the worker has parse_timeout_ms (plus a grace) to
 * say it is done, then the sink has lease_ms to acknowledge. A lease that
 * runs out, or whose worker died, goes to another worker, up to
 * max_attempts, then the job is a dead letter: one poison document never
 * blocks a run. Idle workers and the fetcher greet each other every
 * WIRE_HEARTBEAT_MS, so a credit from a worker that vanished is dropped.
 *
 * The table finds a job by its key, and the job a worker holds by the
 * worker's serial, through GHashTables; it counts the jobs in each state, so
 * that the loop's questions (in flight? pending?) cost nothing. Every change
 * of state goes through jobs_set_state, which keeps those and asserts the
 * lease table's invariants: a lease belongs to exactly one job and one
 * worker, a job is LEASED exactly while it holds a lease, no count is
 * negative and they add up to the jobs known.
 *
 * It never calls back into the loop: what the loop must do about a job (count
 * it, send its dead letter) comes back as an outcome (fetcher_jobs_next_outcome).
 */
#include "fetcher_jobs.h"
#include "buf.h"
#include "digest.h"
#include "log.h"
#include "proto.h"
#include "monotime.h"
#include "spool.h"

#include <assert.h>
#include <dirent.h>
#include <glib.h>
#include <fcntl.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* What a worker gets beyond parse_timeout_ms to send its result and say so. */
#define PARSE_GRACE_MS 2000

/*
 * A job's life: PENDING (spooled, waiting for a worker), LEASED (a worker is
 * parsing it, within parse_timeout_ms), PARSED (the worker said it is done;
 * the sink has lease_ms to store it), BURIED (out of attempts: its dead
 * letter was sent, and its spool file stays until the sink has committed
 * it), DONE (acknowledged: stored, or its dead letter committed).
 */
enum job_state { JOB_PENDING, JOB_LEASED, JOB_PARSED, JOB_BURIED, JOB_DONE, JOB_NSTATES };

struct job {
	char key[DIGEST_HEX_LEN + 1]; /* spool name: sha256(url "\n" sha256) */
	char *url;
	char *error; /* BURIED: why, for its dead letter (owned) */
	enum job_state state;
	int attempts;
	long long deadline_ms;
	long worker_pid;    /* of the worker holding the lease, when it said */
	long worker_serial; /* LEASED: the worker holding the lease (struct worker's serial) */
};

struct fetcher_jobs {
	const struct config *cfg;
	GQueue outcomes;    /* struct job_outcome *, for the loop to take */
	GHashTable *by_key; /* key -> struct job * (owned by order) */
	GHashTable *leases; /* worker serial -> the one LEASED job it holds */
	struct job **order; /* every job, in the order it came: the oldest is leased first */
	size_t n, cap;
	size_t count[JOB_NSTATES]; /* jobs in each state */
	long long last_ack_ms;	   /* monotonic: the sink's last acknowledgement, 0 before one */
};

struct fetcher_jobs *
fetcher_jobs_new(const struct config *cfg)
{
	struct fetcher_jobs *t = xcalloc(1, sizeof(*t));
	t->cfg = cfg;
	g_queue_init(&t->outcomes);
	/* the keys are the jobs' own key arrays: they live as long as the entries */
	t->by_key = g_hash_table_new(g_str_hash, g_str_equal);
	t->leases = g_hash_table_new(g_direct_hash, g_direct_equal);
	return t;
}

void
fetcher_jobs_free(struct fetcher_jobs **tp)
{
	struct fetcher_jobs *t = *tp;
	if (t == NULL)
		return;
	for (size_t i = 0; i < t->n; i++) {
		free(t->order[i]->url);
		free(t->order[i]->error);
		free(t->order[i]);
	}
	free(t->order);
	struct job_outcome o;
	while (fetcher_jobs_next_outcome(t, &o))
		fetcher_jobs_outcome_release(&o);
	g_hash_table_destroy(t->by_key);
	g_hash_table_destroy(t->leases);
	free(t);
	*tp = NULL;
}

static gpointer
jobs_serial_key(long serial)
{
	return GSIZE_TO_POINTER((gsize)serial);
}

/* The lease table's invariants, checked on every change of state. */
static void
jobs_check(const struct fetcher_jobs *t)
{
	size_t sum = 0;
	for (int s = 0; s < JOB_NSTATES; s++) {
		assert(t->count[s] <= t->n); /* a count that went below zero wraps past n */
		sum += t->count[s];
	}
	assert(sum == t->n);
	assert(g_hash_table_size(t->leases) == t->count[JOB_LEASED]);
	assert(g_hash_table_size(t->by_key) == t->n);
}

/*
 * Move j to state, keeping the counts and the lease table: a job enters
 * LEASED with its worker's serial (which holds no other lease) and leaves it
 * releasing that lease.
 */
static void
jobs_set_state(struct fetcher_jobs *t, struct job *j, enum job_state state)
{
	assert(t->count[j->state] > 0);
	if (j->state == JOB_LEASED) {
		assert(g_hash_table_lookup(t->leases, jobs_serial_key(j->worker_serial)) == j);
		g_hash_table_remove(t->leases, jobs_serial_key(j->worker_serial));
	}
	if (state == JOB_LEASED) {
		assert(!g_hash_table_contains(t->leases, jobs_serial_key(j->worker_serial)));
		g_hash_table_insert(t->leases, jobs_serial_key(j->worker_serial), j);
	}
	t->count[j->state]--;
	t->count[state]++;
	j->state = state;
	jobs_check(t);
}

static struct job *
jobs_find(struct fetcher_jobs *t, const char *key)
{
	return g_hash_table_lookup(t->by_key, key);
}

/* Queue what the loop must do about j; body (owned) goes with a dead letter. */
static void
jobs_outcome(struct fetcher_jobs *t, enum job_outcome_kind kind, const struct job *j,
	     const char *source, unsigned char *body, size_t len)
{
	struct job_outcome *o = xcalloc(1, sizeof(*o));
	o->kind = kind;
	o->url = xstrdup(j->url);
	o->key = xstrdup(j->key);
	o->source = source ? xstrdup(source) : NULL;
	o->error = j->error ? xstrdup(j->error) : NULL;
	o->attempts = j->attempts;
	o->body = body;
	o->len = len;
	g_queue_push_tail(&t->outcomes, o);
}

int
fetcher_jobs_next_outcome(struct fetcher_jobs *t, struct job_outcome *out)
{
	struct job_outcome *o = g_queue_pop_head(&t->outcomes);
	if (o == NULL)
		return 0;
	*out = *o;
	free(o);
	return 1;
}

void
fetcher_jobs_outcome_release(struct job_outcome *o)
{
	char *owned[] = {o->url, o->key, o->source, o->error, (char *)o->body};
	for (size_t i = 0; i < sizeof(owned) / sizeof(owned[0]); i++)
		free(owned[i]);
	memset(o, 0, sizeof(*o));
}

void
fetcher_jobs_enqueue(struct fetcher_jobs *t, const char *key, const char *url)
{
	struct job *known = jobs_find(t, key);
	if (known) {
		/*
		 * Recovered from the spool and fetched again: the same bytes. When the
		 * job is already settled, the file just written is its second copy.
		 */
		if (known->state == JOB_DONE)
			spool_remove(t->cfg->spool_dir, key);
		return;
	}
	if (t->n == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 16;
		t->order = xreallocarray(t->order, t->cap, sizeof(*t->order));
	}
	struct job *j = xcalloc(1, sizeof(*j));
	snprintf(j->key, sizeof(j->key), "%s", key);
	j->url = xstrdup(url);
	j->state = JOB_PENDING;
	t->order[t->n++] = j;
	t->count[JOB_PENDING]++;
	g_hash_table_insert(t->by_key, j->key, j);
	jobs_check(t);
}

void
fetcher_jobs_recover(struct fetcher_jobs *t, struct fetcher_urlmap *url_source)
{
	DIR *d = opendir(t->cfg->spool_dir);
	struct dirent *e;
	if (d == NULL)
		return;
	while ((e = readdir(d)) != NULL) {
		if (strncmp(e->d_name, ".tmp-", 5) == 0) {
			/* a body a killed fetcher never committed: it is fetched again */
			if (unlinkat(dirfd(d), e->d_name, 0) == 0)
				log_debug("removed %s, an uncommitted spool file", e->d_name);
			continue;
		}
		if (strlen(e->d_name) != DIGEST_HEX_LEN)
			continue; /* ".", ".." */
		char *hdr = NULL;
		unsigned char *body = NULL;
		size_t len;
		if (spool_load(t->cfg->spool_dir, e->d_name, &hdr, &body, &len) == 0) {
			struct json_object *o = json_tokener_parse(hdr), *u, *src;
			if (o && json_object_object_get_ex(o, PROTO_KEY_URL, &u)) {
				/* its source, for the per-source counts, as the header names it */
				if (json_object_object_get_ex(o, PROTO_KEY_SOURCE, &src) &&
				    json_object_is_type(src, json_type_string))
					fetcher_urlmap_put(url_source, json_object_get_string(u),
							   json_object_get_string(src));
				log_info(
				    "url=%s re-dispatching a job an earlier run left in the spool",
				    json_object_get_string(u));
				fetcher_jobs_enqueue(t, e->d_name, json_object_get_string(u));
			}
			json_object_put(o);
		}
		free(hdr);
		free(body);
	}
	closedir(d);
}

/*
 * The per-source parse options a job carries, each under its header key. A
 * field of struct source_parse without an entry here would be read from the
 * config and never reach a worker: fetcher_job_test checks that none is missing.
 */
const struct fetcher_job_option fetcher_job_options[] = {
    {PROTO_KEY_CONTENT_XPATH, offsetof(struct source_parse, content_xpath)},
};
const size_t fetcher_job_noptions = sizeof(fetcher_job_options) / sizeof(fetcher_job_options[0]);

struct json_object *
fetcher_job_header(const struct config *cfg, const char *spool_hdr,
		   const struct fetcher_job_lease *l)
{
	struct json_object *h = spool_hdr ? json_tokener_parse(spool_hdr) : NULL, *name;
	if (h == NULL || !json_object_is_type(h, json_type_object)) {
		json_object_put(h);
		h = json_object_new_object();
	}
	json_object_object_add(h, PROTO_KEY_ATTEMPTS, json_object_new_int(l->attempts));
	json_object_object_add(h, PROTO_KEY_RUN, json_object_new_string(l->run));
	json_object_object_add(h, PROTO_KEY_RUN_ID, json_object_new_int64(l->run_id));
	json_object_object_add(h, PROTO_KEY_PARSE_TIMEOUT_MS,
			       json_object_new_int(cfg->parse_timeout_ms));
	/*
	 * The options are taken now, from the config's source of that name, not
	 * written into the spool: a config changed since the body was spooled (a
	 * content_xpath fixed after a bad run) applies to the jobs waiting there
	 * too. A source no longer configured leaves the parser's defaults.
	 */
	if (!json_object_object_get_ex(h, PROTO_KEY_SOURCE, &name) ||
	    !json_object_is_type(name, json_type_string))
		return h;
	for (size_t i = 0; i < cfg->nsources; i++) {
		const struct source *src = &cfg->sources[i];
		if (strcmp(src->name, json_object_get_string(name)) != 0)
			continue;
		for (size_t k = 0; k < fetcher_job_noptions; k++) {
			const char *v = *(char *const *)((const char *)&src->parse +
							 fetcher_job_options[k].offset);
			if (v)
				json_object_object_add(h, fetcher_job_options[k].key,
						       json_object_new_string(v));
		}
		break;
	}
	return h;
}

/* Returns 0 when leased; -1 when the job failed (credit unused); -2 when the worker is gone. */
static int
jobs_lease(struct fetcher_jobs *t, struct job *j, const struct worker *w,
	   const struct fetcher_jobs_run *run)
{
	char *hdr = NULL;
	unsigned char *body = NULL;
	size_t len = 0;

	if (spool_load(t->cfg->spool_dir, j->key, &hdr, &body, &len) < 0) {
		jobs_set_state(t, j, JOB_DONE);
		jobs_outcome(t, JOB_OUT_LOST, j, NULL, NULL, 0);
		return -1;
	}
	j->attempts++;
	struct json_object *h = fetcher_job_header(t->cfg, hdr,
						   &(struct fetcher_job_lease){
						       .run = run->name,
						       .run_id = run->id,
						       .attempts = j->attempts,
						   });
	int rc = wire_send(run->sock, w->id, w->id_len, PROTO_MSG_JOB, h, body, len);
	json_object_put(h);
	free(hdr);
	free(body);
	if (rc < 0) {
		j->attempts--;
		return -2;
	}
	j->worker_pid = w->pid;
	j->worker_serial = w->serial;
	jobs_set_state(t, j, JOB_LEASED);
	j->deadline_ms = monotime_ms() + t->cfg->parse_timeout_ms + PARSE_GRACE_MS;
	return 0;
}

/*
 * j's dead letter, with the body, for the loop to send. The spool file stays until the sink
 * acknowledges it, committed (fetcher_jobs_on_ack): a dead letter the sink
 * never recorded, because it or the database went away, is not a document
 * lost. Sent again when no acknowledgement comes within lease_ms.
 */
static void
jobs_bury(struct fetcher_jobs *t, struct job *j)
{
	char *hdr = NULL;
	unsigned char *body = NULL;
	size_t len = 0;
	struct json_object *h = NULL, *source = NULL;
	if (spool_load(t->cfg->spool_dir, j->key, &hdr, &body, &len) == 0)
		h = json_tokener_parse(hdr);
	if (h)
		json_object_object_get_ex(h, PROTO_KEY_SOURCE, &source);
	jobs_outcome(t, JOB_OUT_DEAD, j, source ? json_object_get_string(source) : NULL, body, len);
	json_object_put(h);
	free(hdr);
	jobs_set_state(t, j, JOB_BURIED);
	j->deadline_ms = monotime_ms() + t->cfg->lease_ms;
}

/*
 * The attempt on j ended without a result (why). Lease it again, or after
 * max_attempts record it as a dead letter, with the body, and let it go.
 */
static void
jobs_attempt_failed(struct fetcher_jobs *t, struct job *j, const char *why, int draining)
{
	if (j->attempts < t->cfg->max_attempts && !draining) {
		log_warnx("url=%s %s (attempt %d of %d); dispatching it again", j->url, why,
			  j->attempts, t->cfg->max_attempts);
		jobs_set_state(t, j, JOB_PENDING);
		return;
	}
	if (j->attempts < t->cfg->max_attempts) {
		/* stopping: it stays in the spool for the next run */
		jobs_set_state(t, j, JOB_PENDING);
		return;
	}
	char error[256];
	snprintf(error, sizeof(error), "%s, on each of %d attempts", why, j->attempts);
	free(j->error);
	j->error = xstrdup(error);
	log_warnx("url=%s %s; recording a dead letter", j->url, j->error);
	jobs_bury(t, j);
}

void
fetcher_jobs_dispatch(struct fetcher_jobs *t, struct fetcher_workers *ws,
		      const struct fetcher_jobs_run *run)
{
	for (size_t i = 0; i < t->n && t->count[JOB_PENDING] > 0; i++) {
		struct job *j = t->order[i];
		if (j->state != JOB_PENDING)
			continue;
		struct worker *wk = fetcher_workers_take_credit(ws);
		if (wk == NULL)
			return;
		int rc = jobs_lease(t, j, wk, run);
		if (rc == -1) {
			fetcher_workers_credit(ws, wk);
		} else if (rc == -2) {
			fetcher_workers_forget(ws, &wk); /* gone: offer its job to the next one */
			i--;
		}
	}
}

/*
 * Why a parsed job's lease ran out, with when the sink last acknowledged
 * anything: a sink that stopped acknowledging altogether (a database that
 * hangs, a sink that stalls) is told apart from results that went missing.
 */
static void
jobs_why_unstored(const struct fetcher_jobs *t, long long now, char *why, size_t cap)
{
	int n =
	    snprintf(why, cap, "parsed but not stored within lease_ms (%d ms)", t->cfg->lease_ms);
	if (n < 0 || (size_t)n >= cap)
		return;
	if (t->last_ack_ms == 0)
		snprintf(why + n, cap - (size_t)n, "; the sink has acknowledged nothing yet");
	else
		snprintf(why + n, cap - (size_t)n,
			 "; the sink's last acknowledgement came %.1f s ago",
			 (double)(now - t->last_ack_ms) / 1000.0);
}

void
fetcher_jobs_expire(struct fetcher_jobs *t, int draining)
{
	long long now = monotime_ms();
	char why[160];
	if (fetcher_jobs_in_flight(t) == 0)
		return;
	for (size_t i = 0; i < t->n; i++) {
		struct job *j = t->order[i];
		if ((j->state != JOB_LEASED && j->state != JOB_PARSED && j->state != JOB_BURIED) ||
		    now < j->deadline_ms)
			continue;
		if (j->state == JOB_BURIED) {
			log_info(
			    "url=%s the sink did not confirm the dead letter; sending it again",
			    j->url);
			jobs_bury(t, j);
			continue;
		}
		if (j->state == JOB_LEASED)
			snprintf(
			    why, sizeof(why),
			    "not parsed within parse_timeout_ms (%d ms): the worker hung or died",
			    t->cfg->parse_timeout_ms);
		else
			jobs_why_unstored(t, now, why, sizeof(why));
		jobs_attempt_failed(t, j, why, draining);
	}
}

void
fetcher_jobs_on_worker(struct fetcher_jobs *t, struct fetcher_workers *ws, const struct wire_msg *m)
{
	long long now = monotime_ms();
	struct worker *w = fetcher_workers_note(ws, m->route, m->route_len,
						(long)wire_int(m, PROTO_KEY_PID, 0), now);
	const char *done = wire_str(m, PROTO_KEY_DONE, NULL);
	struct job *j = done ? jobs_find(t, done) : NULL;
	if (j && j->state == JOB_LEASED) {
		jobs_set_state(t, j, JOB_PARSED);
		j->deadline_ms = now + t->cfg->lease_ms;
		jobs_outcome(t, JOB_OUT_PARSED, j, NULL, NULL, 0);
	}
	/*
	 * A worker only talks while it waits for a job, so READY and HEARTBEAT
	 * alike mean it can take one, unless its lease crossed them on the way.
	 * (A worker whose READY went to a fetcher of an earlier run only sends
	 * heartbeats to this one.) One credit however often it asks.
	 */
	if (!g_hash_table_contains(t->leases, jobs_serial_key(w->serial)))
		fetcher_workers_credit(ws, w);
}

void
fetcher_jobs_on_death(struct fetcher_jobs *t, struct fetcher_workers *ws, long pid, int status,
		      int draining)
{
	char why[160];
	if (WIFSIGNALED(status) && WTERMSIG(status) == SIGALRM)
		snprintf(why, sizeof(why),
			 "the parser exceeded parse_timeout_ms (%d ms) and was stopped",
			 t->cfg->parse_timeout_ms);
	else if (WIFSIGNALED(status))
		snprintf(why, sizeof(why), "the parser worker was killed by signal %d while on it",
			 WTERMSIG(status));
	else
		snprintf(why, sizeof(why), "the parser worker exited with status %d while on it",
			 WEXITSTATUS(status));
	struct worker *w = fetcher_workers_by_pid(ws, pid);
	if (w)
		fetcher_workers_forget(ws, &w);
	/* the leases it held, taken first: ending one changes the lease table */
	GPtrArray *held = g_ptr_array_new();
	GHashTableIter it;
	gpointer k, v;
	g_hash_table_iter_init(&it, t->leases);
	while (g_hash_table_iter_next(&it, &k, &v))
		if (((struct job *)v)->worker_pid == pid)
			g_ptr_array_add(held, v);
	for (guint i = 0; i < held->len; i++)
		jobs_attempt_failed(t, g_ptr_array_index(held, i), why, draining);
	g_ptr_array_free(held, TRUE);
}

size_t
fetcher_jobs_in_flight(const struct fetcher_jobs *t)
{
	return t->count[JOB_LEASED] + t->count[JOB_PARSED] + t->count[JOB_BURIED];
}

size_t
fetcher_jobs_pending(const struct fetcher_jobs *t)
{
	return t->count[JOB_PENDING];
}

size_t
fetcher_jobs_total(const struct fetcher_jobs *t)
{
	return t->n;
}

size_t
fetcher_jobs_settled(const struct fetcher_jobs *t)
{
	return t->count[JOB_DONE];
}

int
fetcher_jobs_outstanding(const struct fetcher_jobs *t)
{
	return t->count[JOB_DONE] < t->n;
}

void
fetcher_jobs_hold(struct fetcher_jobs *t, long long now)
{
	/* not a failure of the parse nor of the worker: no attempt is used up */
	for (size_t i = 0; i < t->n; i++) {
		struct job *j = t->order[i];
		if ((j->state == JOB_PARSED || j->state == JOB_BURIED) &&
		    j->deadline_ms < now + t->cfg->lease_ms)
			j->deadline_ms = now + t->cfg->lease_ms;
	}
}

void
fetcher_jobs_on_ack(struct fetcher_jobs *t, const char *key, const char *status)
{
	struct job *j = key ? jobs_find(t, key) : NULL;
	t->last_ack_ms = monotime_ms();
	if (j == NULL || j->state == JOB_DONE)
		return;		    /* a late duplicate acknowledgement: already settled */
	if (j->state == JOB_LEASED) /* the sink's word came before the worker's */
		jobs_outcome(t, JOB_OUT_PARSED, j, NULL, NULL, 0);
	if (j->state == JOB_BURIED)
		log_debug("url=%s dead letter recorded", j->url);
	jobs_set_state(t, j, JOB_DONE);
	int failed = status && strcmp(status, PROTO_STATUS_FAILED) == 0;
	jobs_outcome(t, failed ? JOB_OUT_FAILED : JOB_OUT_STORED, j, NULL, NULL, 0);
	spool_remove(t->cfg->spool_dir, j->key);
	log_debug("url=%s %s", j->url, status ? status : "acknowledged");
}
