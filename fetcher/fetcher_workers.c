/*
 * fetcher_workers.c - the worker registry: the parser workers heard from
 * lately, by ZeroMQ identity, and the credits of those waiting for a job.
 *
 * A worker is found by identity through a GHashTable (glib is linked
 * already, through poppler-glib): a busy run hears from every worker often.
 * Credits wait in a queue, so the worker that asked first is served first.
 * It knows nothing of jobs: whether a worker holds a lease is the lease
 * table's business (fetcher_jobs.c). Must never give a worker two credits.
 */
#include "fetcher_workers.h"
#include "log.h"
#include "proto.h"

#include <assert.h>
#include <glib.h>
#include <string.h>

struct fetcher_workers {
	GHashTable *by_id; /* GBytes identity -> struct worker * (owned here) */
	GQueue credited;   /* the workers with a credit, the first to ask first */
	long serials;
	long long next_beat_ms;
};

static void
workers_free_one(gpointer w)
{
	g_free(w);
}

struct fetcher_workers *
fetcher_workers_new(void)
{
	struct fetcher_workers *ws = g_new0(struct fetcher_workers, 1);
	ws->by_id = g_hash_table_new_full(g_bytes_hash, g_bytes_equal,
					  (GDestroyNotify)g_bytes_unref, workers_free_one);
	g_queue_init(&ws->credited);
	return ws;
}

void
fetcher_workers_free(struct fetcher_workers **wsp)
{
	if (*wsp) {
		g_queue_clear(&(*wsp)->credited);
		g_hash_table_destroy((*wsp)->by_id);
	}
	g_clear_pointer(wsp, g_free);
}

struct worker *
fetcher_workers_note(struct fetcher_workers *ws, const unsigned char *id, size_t id_len, long pid,
		     long long now)
{
	GBytes *key = g_bytes_new(id, id_len);
	struct worker *w = g_hash_table_lookup(ws->by_id, key);
	if (w == NULL) {
		assert(id_len <= sizeof(w->id));
		w = g_new0(struct worker, 1);
		memcpy(w->id, id, id_len);
		w->id_len = id_len;
		w->serial = ++ws->serials;
		g_hash_table_insert(ws->by_id, key, w);
	} else {
		g_bytes_unref(key);
	}
	w->seen_ms = now;
	w->pid = pid;
	return w;
}

void
fetcher_workers_credit(struct fetcher_workers *ws, struct worker *w)
{
	if (w->credit)
		return; /* one credit however often it asks */
	w->credit = 1;
	g_queue_push_tail(&ws->credited, w);
}

struct worker *
fetcher_workers_take_credit(struct fetcher_workers *ws)
{
	struct worker *w = g_queue_pop_head(&ws->credited);
	if (w) {
		assert(w->credit);
		w->credit = 0;
	}
	return w;
}

struct worker *
fetcher_workers_by_pid(struct fetcher_workers *ws, long pid)
{
	GHashTableIter it;
	gpointer k, v;
	g_hash_table_iter_init(&it, ws->by_id);
	while (g_hash_table_iter_next(&it, &k, &v))
		if (((struct worker *)v)->pid == pid)
			return v;
	return NULL;
}

void
fetcher_workers_forget(struct fetcher_workers *ws, struct worker **wp)
{
	struct worker *w = *wp;
	if (w->credit)
		g_queue_remove(&ws->credited, w);
	GBytes *key = g_bytes_new(w->id, w->id_len);
	int removed = g_hash_table_remove(ws->by_id, key);
	assert(removed);
	(void)removed;
	g_bytes_unref(key);
	*wp = NULL;
}

size_t
fetcher_workers_count(const struct fetcher_workers *ws)
{
	return g_hash_table_size(ws->by_id);
}

void
fetcher_workers_beat(struct fetcher_workers *ws, void *sock, long long now)
{
	GHashTableIter it;
	gpointer k, v;
	if (now < ws->next_beat_ms)
		return;
	ws->next_beat_ms = now + WIRE_HEARTBEAT_MS;
	g_hash_table_iter_init(&it, ws->by_id);
	while (g_hash_table_iter_next(&it, &k, &v)) {
		struct worker *w = v;
		/* a busy worker is silent: its lease's clock judges it, not this one; a send
		 * that fails means its connection is gone */
		if (now - w->seen_ms > WIRE_LIVENESS_MS ||
		    wire_send(sock, w->id, w->id_len, PROTO_MSG_HEARTBEAT, NULL, NULL, 0) < 0) {
			if (w->credit)
				g_queue_remove(&ws->credited, w);
			g_hash_table_iter_remove(&it);
		}
	}
}
