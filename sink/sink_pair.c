/*
 * sink_pair.c - one batch stored over two connections at once.
 *
 * The second half's thread lives for one batch: started here, joined here,
 * so no thread outlives the batch it writes, and a batch costs one
 * pthread_create beside its ten statements. Must never log: the sink
 * reports each half's outcome once, where it settles it.
 */
#include "sink_pair.h"
#include "monotime.h"

#include <pthread.h>
#include <stdint.h>
#include <time.h>

/* The second half, between the thread that writes it and the one that waits. */
struct pair_job {
	PGconn *conn;
	struct sink_pair_half *half;
	pthread_mutex_t mu;
	pthread_cond_t done_cv;
	int done;
	long long waited_ms, told_at; /* b's last waiter tick: how long, and when (0: none) */
};

int
sink_pair_side(const char *url)
{
	uint32_t h = 2166136261u; /* FNV-1a */
	for (const unsigned char *p = (const unsigned char *)url; *p; p++)
		h = (h ^ *p) * 16777619u;
	return (int)((h >> 16) & 1);
}

/* The second half's thread: b's statements tell their waits to the job. */
static void
pair_on_wait(void *arg, long long waited_ms)
{
	struct pair_job *j = arg;
	pthread_mutex_lock(&j->mu);
	j->waited_ms = waited_ms;
	j->told_at = monotime_ms();
	pthread_mutex_unlock(&j->mu);
}

static void *
pair_run(void *arg)
{
	struct pair_job *j = arg;
	sink_db_on_wait(pair_on_wait, j);
	j->half->r = sink_write_batch(j->conn, j->half->items, j->half->n, &j->half->e);
	pthread_mutex_lock(&j->mu);
	j->done = 1;
	pthread_cond_signal(&j->done_cv);
	pthread_mutex_unlock(&j->mu);
	return NULL;
}

/*
 * How long b's statement has waited now: its last tick and the time since,
 * while that tick is recent (a statement that ended stops ticking).
 */
static long long
pair_waited(const struct pair_job *j, long long now)
{
	if (j->told_at == 0 || now - j->told_at > SINK_DB_WAIT_TICK_MS + SINK_DB_WAIT_TICK_MS / 2)
		return 0;
	return j->waited_ms + (now - j->told_at);
}

int
sink_pair_write(PGconn *a, PGconn *b, struct sink_pair_half half[2], sink_db_wait_fn tick,
		void *arg)
{
	struct pair_job j = {.conn = b, .half = &half[1]};
	pthread_condattr_t ca;
	pthread_t t;

	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&j.done_cv, &ca);
	pthread_condattr_destroy(&ca);
	pthread_mutex_init(&j.mu, NULL);
	if (pthread_create(&t, NULL, pair_run, &j) != 0) {
		pthread_cond_destroy(&j.done_cv);
		pthread_mutex_destroy(&j.mu);
		return -1;
	}
	half[0].r = sink_write_batch(a, half[0].items, half[0].n, &half[0].e);
	pthread_mutex_lock(&j.mu);
	while (!j.done) {
		struct timespec at;
		clock_gettime(CLOCK_MONOTONIC, &at);
		at.tv_sec += SINK_DB_WAIT_TICK_MS / 1000;
		pthread_cond_timedwait(&j.done_cv, &j.mu, &at);
		long long waited = j.done ? 0 : pair_waited(&j, monotime_ms());
		if (waited > 0 && tick) {
			pthread_mutex_unlock(&j.mu); /* the waiter may take its time: b goes on */
			tick(arg, waited);
			pthread_mutex_lock(&j.mu);
		}
	}
	pthread_mutex_unlock(&j.mu);
	pthread_join(t, NULL);
	pthread_cond_destroy(&j.done_cv);
	pthread_mutex_destroy(&j.mu);
	return 0;
}
