/*
 * fetcher_spool.c - group commit of fetched bodies into the spool.
 *
 * Write, fsync, rename, fsync the directory, one body at a time, costs a
 * device flush per body (milliseconds); a run of a thousand reports would
 * spend most of its time there. So bodies are made durable in groups, and
 * none of it happens on the fetch loop: the loop hands each body over (a
 * copy) and goes on fetching, and two threads take it from there:
 *
 *   writer     writes each body under a temporary name (spool_stage).
 *              Creating a file can cost a millisecond of CPU on a large,
 *              full ext4 (inode allocation), as much as fetching the body.
 *   committer  makes everything written so far durable together: one
 *              syncfs(2) of the spool's file system, rename each into
 *              place, one fsync of the directory. It waits up to GATHER_MS
 *              for a group to gather while the writer is busy, and only
 *              IDLE_MS once the writer has nothing left (the fetch paused
 *              or ended).
 *
 * syncfs costs one device flush per group where an fdatasync per file costs
 * one each (measured: the whole fetch was 1.5 to 2 times slower with them,
 * even 16 at a time); but it also writes out whatever else is dirty on that
 * file system, so the spool is best kept apart from busy writers such as a
 * database's data directory.
 * A body is handed back (fetcher_spool_next) only after all of that, so no
 * job is ever dispatched before its file is whole and durable under its
 * final name. Files are in spool.h's format ("RPSPOOL1\n", header line,
 * body), written by spool_stage, so the format lives in common/spool.c alone.
 */
#include "fetcher_spool.h"
#include "thread.h"
#include "buf.h"
#include "log.h"
#include "spool.h"

#include <assert.h>
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

#define GATHER_MS 20   /* the longest a commit waits for more bodies to join it */
#define IDLE_MS 2      /* ... or this long after the writer ran out of bodies */
#define GATHER_MAX 256 /* ... unless this many are written already */
/* Past this many bytes waiting for the writer, the loop writes bodies itself. */
#define WRITE_QUEUE_MAX (64u << 20)

struct staged {
	struct fetcher_spooled *body;
	char *header;	  /* with data: the copy the writer writes, freed once written */
	const char *data; /* points into header's allocation */
	char tmp[PATH_MAX];
	char final[PATH_MAX];
	int committed; /* through spool_commit_batch: durable under final, or failed */
};

struct staged_list {
	struct staged **v;
	size_t n, cap;
};

struct fetcher_spool {
	char *dir;
	int dirfd;
	int wake[2]; /* committer -> loop: committed bodies are ready */
	pthread_t writer, committer;
	int writer_started, committer_started;
	pthread_mutex_t mu;
	pthread_cond_t to_writer, to_committer;
	int stop;
	struct staged_list towrite; /* handed over, not written yet */
	size_t towrite_bytes;
	size_t writing;		    /* bodies the writer holds now */
	struct staged_list written; /* under temporary names, waiting for a commit */
	struct timespec last_written;
	size_t in_commit;	 /* bodies the committer holds now */
	struct staged_list done; /* committed (or failed), for the loop */
	size_t done_head;
	long commits;
	double commit_ms;
};

static void
list_push(struct staged_list *l, struct staged *s)
{
	assert(l->n <= l->cap);
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 32;
		l->v = xreallocarray(l->v, l->cap, sizeof(*l->v));
	}
	l->v[l->n++] = s;
}

static double
spool_ms_since(const struct timespec *a)
{
	struct timespec b;
	clock_gettime(CLOCK_MONOTONIC, &b);
	return (double)(b.tv_sec - a->tv_sec) * 1e3 + (double)(b.tv_nsec - a->tv_nsec) / 1e6;
}

static struct timespec
spool_deadline(const struct timespec *from, long ms)
{
	struct timespec t = *from;
	t.tv_sec += ms / 1000;
	t.tv_nsec += (ms % 1000) * 1000000L;
	if (t.tv_nsec >= 1000000000L) {
		t.tv_sec++;
		t.tv_nsec -= 1000000000L;
	}
	return t;
}

static int
spool_before(const struct timespec *a, const struct timespec *b)
{
	return a->tv_sec < b->tv_sec || (a->tv_sec == b->tv_sec && a->tv_nsec < b->tv_nsec);
}

/* Free a staged entry and the body it still holds. */
static void
spool_staged_free(struct staged *st)
{
	fetcher_spool_spooled_free(&st->body);
	free(st->header);
	free(st);
}

/* Drop a body that was never announced: its temporary file (if any) goes too. */
static void
spool_discard(struct staged *st, int written)
{
	if (written)
		unlink(st->tmp);
	spool_staged_free(st);
}

/* Write one body under its temporary name; marks it failed when it could not be. */
static void
spool_write_one(struct fetcher_spool *s, struct staged *st)
{
	if (spool_stage(s->dir, st->body->key, st->header, st->data, st->body->len, 0, st->tmp,
			st->final) < 0) {
		/* spool_stage logged it and left nothing behind; the dead letter keeps the body */
		st->body->failed = 1;
		st->body->held = st->header;
		st->body->data = st->data;
		st->header = NULL;
		st->data = NULL;
		return;
	}
	free(st->header);
	st->header = NULL;
	st->data = NULL;
}

/* Queue a written (or failed) body for the committer; called with mu held. */
static void
spool_push_written(struct fetcher_spool *s, struct staged *st)
{
	list_push(&s->written, st);
	clock_gettime(CLOCK_MONOTONIC, &s->last_written);
	pthread_cond_signal(&s->to_committer);
}

/* With mu held, wait on c until l holds work (1) or the spool stops (0). */
static int
spool_wait_for(struct fetcher_spool *s, const struct staged_list *l, pthread_cond_t *c)
{
	while (l->n == 0 && !s->stop)
		pthread_cond_wait(c, &s->mu);
	return !s->stop;
}

static void *
spool_writer(void *arg)
{
	struct fetcher_spool *s = arg;
	pthread_mutex_lock(&s->mu);
	/* when stopped, fetcher_spool_free drops what is queued */
	while (spool_wait_for(s, &s->towrite, &s->to_writer)) {
		struct staged_list batch = s->towrite;
		memset(&s->towrite, 0, sizeof(s->towrite));
		s->writing = batch.n;
		for (size_t i = 0; i < batch.n; i++) {
			struct staged *st = batch.v[i];
			int stopping = s->stop;
			pthread_mutex_unlock(&s->mu);
			if (!stopping)
				spool_write_one(s, st);
			pthread_mutex_lock(&s->mu);
			assert(s->writing > 0 && s->towrite_bytes >= st->body->len);
			s->writing--;
			s->towrite_bytes -= st->body->len;
			if (stopping || s->stop)
				spool_discard(st, !stopping && !st->body->failed);
			else
				spool_push_written(s, st);
		}
		free(batch.v);
	}
	pthread_mutex_unlock(&s->mu);
	return NULL;
}

/* fsync one written file, where syncfs failed; -1 (logged) when it may not be durable. */
static int
spool_sync_file(const struct staged *st)
{
	int fd = open(st->tmp, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fsync(fd) < 0) {
		log_warn("url=%s spool: cannot sync %s", st->body->url, st->tmp);
		if (fd >= 0)
			close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

/*
 * Make a batch durable under final names; marks the ones that failed. The
 * files' data is synced before their names appear (one syncfs, or where it
 * fails an fsync each), and the names before anyone hears of them.
 */
static void
spool_commit_batch(struct fetcher_spool *s, struct staged **v, size_t n)
{
	struct timespec a;
	clock_gettime(CLOCK_MONOTONIC, &a);
	int synced = syncfs(s->dirfd) == 0;
	if (!synced)
		log_warn("spool: syncfs on %s failed; syncing file by file", s->dir);
	for (size_t i = 0; i < n; i++) {
		if (v[i]->body->failed) {
			/* could not be written: nothing to commit */
		} else if (!synced && spool_sync_file(v[i]) < 0) {
			v[i]->body->failed = 1;
		} else if (rename(v[i]->tmp, v[i]->final) < 0) {
			log_warn("url=%s spool: cannot commit %s", v[i]->body->url, v[i]->final);
			v[i]->body->failed = 1;
		}
		if (v[i]->body->failed)
			unlink(v[i]->tmp);
		v[i]->committed = 1;
	}
	if (fsync(s->dirfd) < 0) {
		/* the names may not survive a crash: do not announce them */
		log_warn("spool: cannot fsync directory %s", s->dir);
		for (size_t i = 0; i < n; i++) {
			if (!v[i]->body->failed)
				unlink(v[i]->final);
			v[i]->body->failed = 1;
		}
	}
	double ms = spool_ms_since(&a);
	log_debug("spool: committed %zu bodies in %.1f ms", n, ms);
	pthread_mutex_lock(&s->mu);
	s->commits++;
	s->commit_ms += ms;
	pthread_mutex_unlock(&s->mu);
}

/*
 * Wait, with mu held, until a group is worth committing: GATHER_MAX bodies,
 * GATHER_MS since the first, or the writer idle for IDLE_MS (the fetch
 * paused or ended: waiting longer would only delay the ones in hand). While
 * the writer has bodies in hand, more are surely coming: the group waits.
 */
static void
spool_gather(struct fetcher_spool *s)
{
	struct timespec first;
	clock_gettime(CLOCK_MONOTONIC, &first);
	struct timespec until = spool_deadline(&first, GATHER_MS);
	while (s->written.n < GATHER_MAX && !s->stop) {
		struct timespec idle = spool_deadline(&s->last_written, IDLE_MS);
		int writer_idle = s->towrite.n == 0 && s->writing == 0;
		const struct timespec *t =
		    writer_idle && spool_before(&idle, &until) ? &idle : &until;
		if (pthread_cond_timedwait(&s->to_committer, &s->mu, t) != 0 &&
		    (t == &until || (s->towrite.n == 0 && s->writing == 0 &&
				     spool_ms_since(&s->last_written) >= IDLE_MS)))
			break;
	}
}

static void *
spool_committer(void *arg)
{
	struct fetcher_spool *s = arg;
	pthread_mutex_lock(&s->mu);
	/* when stopped, fetcher_spool_free drops what was never committed */
	while (spool_wait_for(s, &s->written, &s->to_committer)) {
		spool_gather(s);
		if (s->stop)
			break;
		struct staged_list batch = s->written;
		memset(&s->written, 0, sizeof(s->written));
		assert(s->in_commit == 0); /* one commit at a time */
		s->in_commit = batch.n;
		pthread_mutex_unlock(&s->mu);

		spool_commit_batch(s, batch.v, batch.n);

		pthread_mutex_lock(&s->mu);
		for (size_t i = 0; i < batch.n; i++)
			list_push(&s->done, batch.v[i]);
		s->in_commit = 0;
		free(batch.v);
		char c = 1;
		if (write(s->wake[1], &c, 1) < 0 && errno != EAGAIN)
			log_warn("spool: cannot wake the fetcher loop");
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
	pthread_cond_init(&s->to_writer, &ca);
	pthread_cond_init(&s->to_committer, &ca);
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
	if (thread_start(&s->committer, spool_committer, s) != 0) {
		log_warnx("spool: cannot start the committer thread");
		goto fail;
	}
	s->committer_started = 1;
	if (thread_start(&s->writer, spool_writer, s) != 0) {
		log_warnx("spool: cannot start the writer thread");
		goto fail;
	}
	s->writer_started = 1;
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
	free(b->held);
	free(b);
	*bp = NULL;
}

static void
spool_drop_list(struct staged_list *l, size_t from, int written)
{
	for (size_t i = from; i < l->n; i++)
		spool_discard(l->v[i], written && !l->v[i]->body->failed);
	free(l->v);
	memset(l, 0, sizeof(*l));
}

void
fetcher_spool_free(struct fetcher_spool **sp)
{
	struct fetcher_spool *s = *sp;
	if (s == NULL)
		return;
	pthread_mutex_lock(&s->mu);
	s->stop = 1;
	pthread_cond_broadcast(&s->to_writer);
	pthread_cond_broadcast(&s->to_committer);
	pthread_mutex_unlock(&s->mu);
	/* the committer finishes the batch in hand; the writer drops what it holds */
	if (s->writer_started)
		pthread_join(s->writer, NULL);
	if (s->committer_started)
		pthread_join(s->committer, NULL);
	/* what was never committed was never announced: it goes */
	spool_drop_list(&s->towrite, 0, 0);
	spool_drop_list(&s->written, 0, 1);
	/* committed but not taken: the files stay, as for a run cut short */
	for (size_t i = s->done_head; i < s->done.n; i++)
		spool_staged_free(s->done.v[i]);
	free(s->done.v);
	if (s->dirfd >= 0)
		close(s->dirfd);
	if (s->wake[0] >= 0)
		close(s->wake[0]);
	if (s->wake[1] >= 0)
		close(s->wake[1]);
	pthread_cond_destroy(&s->to_writer);
	pthread_cond_destroy(&s->to_committer);
	pthread_mutex_destroy(&s->mu);
	free(s->dir);
	free(s);
	*sp = NULL;
}

int
fetcher_spool_stage(struct fetcher_spool *s, const char *key, const char *url, int attempts,
		    const char *header_json, const void *body, size_t len)
{
	if (strchr(header_json, '\n')) {
		/* refused here, where the caller still holds the body for its dead letter */
		log_warnx("spool: refusing a header with a newline for %s", key);
		return -1;
	}
	struct staged *st = xcalloc(1, sizeof(*st));
	size_t hlen = strlen(header_json);
	st->header = xmalloc(hlen + 1 + len);
	memcpy(st->header, header_json, hlen + 1);
	if (len > 0)
		memcpy(st->header + hlen + 1, body, len);
	st->data = st->header + hlen + 1;
	st->body = xcalloc(1, sizeof(*st->body));
	st->body->key = xstrdup(key);
	st->body->url = xstrdup(url);
	st->body->attempts = attempts;
	st->body->len = len;

	pthread_mutex_lock(&s->mu);
	if (s->towrite_bytes + len <= WRITE_QUEUE_MAX || s->towrite.n == 0) {
		list_push(&s->towrite, st);
		s->towrite_bytes += len;
		pthread_cond_signal(&s->to_writer);
		pthread_mutex_unlock(&s->mu);
		return 0;
	}
	pthread_mutex_unlock(&s->mu);
	/* the writer is far behind: this one the loop writes itself, which slows it down */
	spool_write_one(s, st);
	pthread_mutex_lock(&s->mu);
	spool_push_written(s, st);
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
	assert(s->done_head <= s->done.n);
	if (s->done_head < s->done.n) {
		struct staged *st = s->done.v[s->done_head++];
		/* the promise of this file: no body is handed back before its commit */
		assert(st->committed && st->body != NULL);
		b = st->body;
		st->body = NULL;
		spool_staged_free(st);
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
	int busy = s->towrite.n > 0 || s->writing > 0 || s->written.n > 0 || s->in_commit > 0 ||
		   s->done_head < s->done.n;
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
