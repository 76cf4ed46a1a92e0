/*
 * fetcher_jobs.c - leasing spooled jobs to parser workers, credit-based.
 *
 * A job is leased only to a worker that asked (READY) and only once its
 * body is durable in the spool; its spool file goes only on the sink's ACK.
 * A lease that runs out goes to another worker, up to max_attempts, then
 * the job is a dead letter: one poison document never blocks a run.
 */
#include "fetcher_stage.h"
#include "log.h"
#include "spool.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct job *
jobs_find(struct fetcher *f, const char *key)
{
	for (size_t i = 0; i < f->njobs; i++)
		if (strcmp(f->jobs[i].key, key) == 0)
			return &f->jobs[i];
	return NULL;
}

void
fetcher_jobs_enqueue(struct fetcher *f, const char *key, const char *url)
{
	if (jobs_find(f, key))
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

void
fetcher_jobs_recover(struct fetcher *f)
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
				log_info(
				    "url=%s re-dispatching a job an earlier run left in the spool",
				    json_object_get_string(u));
				fetcher_jobs_enqueue(f, e->d_name, json_object_get_string(u));
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
jobs_lease(struct fetcher *f, struct job *j, const struct worker *w)
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
	j->deadline_ms = fetcher_now_ms() + f->cfg->lease_ms;
	return 0;
}

void
fetcher_jobs_dispatch(struct fetcher *f)
{
	for (size_t i = 0; i < f->njobs && f->nready > 0; i++) {
		if (f->jobs[i].state != JOB_PENDING)
			continue;
		/* most recent credit first: that worker is surely still there */
		struct worker w = f->ready[--f->nready];
		int rc = jobs_lease(f, &f->jobs[i], &w);
		if (rc == -1)
			f->ready[f->nready++] = w;
		else if (rc == -2)
			i--; /* the worker went away: offer this job to the next one */
	}
}

void
fetcher_jobs_expire(struct fetcher *f)
{
	long long now = fetcher_now_ms();
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

void
fetcher_jobs_on_ack(struct fetcher *f, struct wire_msg *m)
{
	const char *key = wire_str(m, "key", NULL);
	struct job *j = key ? jobs_find(f, key) : NULL;
	if (j == NULL || j->state == JOB_DONE)
		return; /* a late duplicate acknowledgement: already settled */
	j->state = JOB_DONE;
	spool_remove(f->cfg->spool_dir, j->key);
	log_debug("url=%s %s", j->url, wire_str(m, "status", "acknowledged"));
}

int
fetcher_jobs_outstanding(const struct fetcher *f)
{
	for (size_t i = 0; i < f->njobs; i++)
		if (f->jobs[i].state != JOB_DONE)
			return 1;
	return 0;
}

/* Send a control request and wait for the reply of the given type. */
