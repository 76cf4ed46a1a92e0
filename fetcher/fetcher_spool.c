/*
 * fetcher_spool.c - group commit of fetched bodies into the spool.
 *
 * Write, fsync, rename, fsync the directory, one body at a time, costs a
 * device flush per body (milliseconds); a run of a thousand reports would
 * spend most of its time there, and the loop could fetch nothing meanwhile.
 * So bodies are written under temporary names as they arrive, and a
 * committer thread makes everything staged so far (waiting up to GATHER_MS
 * for more to join) durable together: one
 * syncfs(2) of the spool's file system, rename each into place, then one
 * fsync of the directory. Meanwhile the loop goes on fetching. (syncfs also
 * writes out whatever else is dirty on that file system: the spool is best
 * kept apart from busy writers such as a database's data directory.)
 * A body is handed back (fetcher_spool_next) only after all of that, so no
 * job is ever dispatched before its file is whole and durable under its
 * final name. Files are in spool.h's format ("RPSPOOL1\n", header line,
 * body), written by spool_stage, so the format lives in common/spool.c alone.
 */
#include "fetcher_spool.h"
#include "buf.h"
#include "log.h"
#include "spool.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define GATHER_MS 20   /* how long a commit waits for more bodies to join it */
#define GATHER_MAX 256 /* ... unless this many are staged already */

struct staged {
	struct fetcher_spooled *body;
	char tmp[PATH_MAX];
	char final[PATH_MAX];
};

struct staged_list {
	struct staged *v;
	size_t n, cap;
};

struct fetcher_spool {
	char *dir;
	int dirfd;
	int wake[2]; /* committer -> loop: committed bodies are ready */
	pthread_t thread;
	int started;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int stop;
	struct staged_list pending; /* staged, waiting for the next commit */
	size_t in_commit;	    /* bodies the committer holds now */
	struct staged_list done;    /* committed (or failed), for the loop */
	size_t done_head;
	long commits;
	double commit_ms;
};

static void
list_push(struct staged_list *l, const struct staged *s)
{
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 32;
		l->v = xreallocarray(l->v, l->cap, sizeof(*l->v));
	}
	l->v[l->n++] = *s;
}

/*
 * Make a batch durable under final names; marks the ones that failed. One
 * syncfs(2) writes out the whole batch with one device flush, where an
 * fsync per file would cost a flush each; where syncfs fails, each file is
 * fsynced instead.
 */
static void
spool_commit_batch(struct fetcher_spool *s, struct staged *v, size_t n)
{
	struct timespec a, b;
	clock_gettime(CLOCK_MONOTONIC, &a);
	int synced = syncfs(s->dirfd) == 0;
	if (!synced)
		log_warn("spool: syncfs on %s failed; syncing file by file", s->dir);
	for (size_t i = 0; i < n; i++) {
		if (!synced) {
			int fd = open(v[i].tmp, O_RDONLY | O_CLOEXEC);
			if (fd < 0 || fsync(fd) < 0) {
				log_warn("url=%s spool: cannot sync %s", v[i].body->url, v[i].tmp);
				v[i].body->failed = 1;
			}
			if (fd >= 0)
				close(fd);
		}
		if (!v[i].body->failed && rename(v[i].tmp, v[i].final) < 0) {
			log_warn("url=%s spool: cannot commit %s", v[i].body->url, v[i].final);
			v[i].body->failed = 1;
		}
		if (v[i].body->failed)
			unlink(v[i].tmp);
	}
	if (fsync(s->dirfd) < 0) {
		/* the names may not survive a crash: do not announce them */
		log_warn("spool: cannot fsync directory %s", s->dir);
		for (size_t i = 0; i < n; i++) {
			if (!v[i].body->failed)
				unlink(v[i].final);
			v[i].body->failed = 1;
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &b);
	double ms = (double)(b.tv_sec - a.tv_sec) * 1e3 + (double)(b.tv_nsec - a.tv_nsec) / 1e6;
	log_debug("spool: committed %zu bodies in %.1f ms", n, ms);
	pthread_mutex_lock(&s->mu);
	s->commits++;
	s->commit_ms += ms;
	pthread_mutex_unlock(&s->mu);
}

static void *
spool_committer(void *arg)
{
	struct fetcher_spool *s = arg;
	pthread_mutex_lock(&s->mu);
	for (;;) {
		while (s->pending.n == 0 && !s->stop)
			pthread_cond_wait(&s->cv, &s->mu);
		/*
		 * A commit costs about the same for one body as for a hundred: let
		 * a few more arrive first, unless plenty are here already.
		 */
		struct timespec until;
		clock_gettime(CLOCK_MONOTONIC, &until);
		until.tv_nsec += GATHER_MS * 1000000L;
		if (until.tv_nsec >= 1000000000L) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000L;
		}
		while (s->pending.n < GATHER_MAX && !s->stop &&
		       pthread_cond_timedwait(&s->cv, &s->mu, &until) == 0)
			;
		if (s->pending.n == 0)
			break; /* stopping, nothing in hand */
		struct staged_list batch = s->pending;
		memset(&s->pending, 0, sizeof(s->pending));
		s->in_commit = batch.n;
		pthread_mutex_unlock(&s->mu);

		spool_commit_batch(s, batch.v, batch.n);

		pthread_mutex_lock(&s->mu);
		for (size_t i = 0; i < batch.n; i++)
			list_push(&s->done, &batch.v[i]);
		s->in_commit = 0;
		free(batch.v);
		char c = 1;
		if (write(s->wake[1], &c, 1) < 0 && errno != EAGAIN)
			log_warn("spool: cannot wake the fetcher loop");
		if (s->stop)
			break;
	}
	pthread_mutex_unlock(&s->mu);
	return NULL;
}

struct fetcher_spool *
fetcher_spool_new(const char *dir)
{
	struct fetcher_spool *s = xcalloc(1, sizeof(*s));
	s->dir = xstrdup(dir);
	s->wake[0] = s->wake[1] = -1;
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_mutex_init(&s->mu, NULL);
	pthread_cond_init(&s->cv, &ca);
	pthread_condattr_destroy(&ca);
	s->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (s->dirfd < 0) {
		log_warn("spool: cannot open directory %s", dir);
		goto fail;
	}
	if (pipe2(s->wake, O_CLOEXEC | O_NONBLOCK) < 0) {
		log_warn("spool: cannot create a pipe");
		goto fail;
	}
	/* signals are the loop's business: the committer starts with them all blocked */
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	int rc = pthread_create(&s->thread, NULL, spool_committer, s);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0) {
		log_warnx("spool: cannot start the committer thread");
		goto fail;
	}
	s->started = 1;
	return s;
fail:
	fetcher_spool_free(&s);
	return NULL;
}

void
fetcher_spool_spooled_free(struct fetcher_spooled **bp)
{
	struct fetcher_spooled *b = *bp;
	if (b == NULL)
		return;
	free(b->key);
	free(b->url);
	free(b);
	*bp = NULL;
}

void
fetcher_spool_free(struct fetcher_spool **sp)
{
	struct fetcher_spool *s = *sp;
	if (s == NULL)
		return;
	if (s->started) {
		pthread_mutex_lock(&s->mu);
		s->stop = 1;
		/* what was never committed was never announced: it goes */
		for (size_t i = 0; i < s->pending.n; i++) {
			unlink(s->pending.v[i].tmp);
			fetcher_spool_spooled_free(&s->pending.v[i].body);
		}
		s->pending.n = 0;
		pthread_cond_signal(&s->cv);
		pthread_mutex_unlock(&s->mu);
		pthread_join(s->thread, NULL);
	}
	for (size_t i = s->done_head; i < s->done.n; i++)
		fetcher_spool_spooled_free(&s->done.v[i].body);
	free(s->done.v);
	free(s->pending.v);
	if (s->dirfd >= 0)
		close(s->dirfd);
	if (s->wake[0] >= 0)
		close(s->wake[0]);
	if (s->wake[1] >= 0)
		close(s->wake[1]);
	pthread_cond_destroy(&s->cv);
	pthread_mutex_destroy(&s->mu);
	free(s->dir);
	free(s);
	*sp = NULL;
}

int
fetcher_spool_stage(struct fetcher_spool *s, const char *key, const char *url, int attempts,
		    const char *header_json, const void *body, size_t len)
{
	struct staged st;
	/* written now, made durable and renamed by the committer thread with its group */
	if (spool_stage(s->dir, key, header_json, body, len, 0, st.tmp, st.final) < 0)
		return -1;
	st.body = xcalloc(1, sizeof(*st.body));
	st.body->key = xstrdup(key);
	st.body->url = xstrdup(url);
	st.body->attempts = attempts;
	st.body->len = len;
	pthread_mutex_lock(&s->mu);
	list_push(&s->pending, &st);
	pthread_cond_signal(&s->cv);
	pthread_mutex_unlock(&s->mu);
	return 0;
}

int
fetcher_spool_fd(const struct fetcher_spool *s)
{
	return s->wake[0];
}

struct fetcher_spooled *
fetcher_spool_next(struct fetcher_spool *s)
{
	struct fetcher_spooled *b = NULL;
	char drain[64];
	while (read(s->wake[0], drain, sizeof(drain)) > 0)
		;
	pthread_mutex_lock(&s->mu);
	if (s->done_head < s->done.n) {
		b = s->done.v[s->done_head++].body;
		if (s->done_head == s->done.n)
			s->done_head = s->done.n = 0;
	}
	pthread_mutex_unlock(&s->mu);
	return b;
}

int
fetcher_spool_busy(struct fetcher_spool *s)
{
	pthread_mutex_lock(&s->mu);
	int busy = s->pending.n > 0 || s->in_commit > 0 || s->done_head < s->done.n;
	pthread_mutex_unlock(&s->mu);
	return busy;
}

void
fetcher_spool_stats(struct fetcher_spool *s, long *commits, double *commit_ms)
{
	pthread_mutex_lock(&s->mu);
	*commits = s->commits;
	*commit_ms = s->commit_ms;
	pthread_mutex_unlock(&s->mu);
}
