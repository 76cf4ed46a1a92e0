/*
 * sink.c - the sink stage's loop.
 *
 * Gathers RESULTs into batches (up to BATCH_MAX_DOCS documents, or
 * BATCH_WAIT_MS after the first, whichever comes first), stores each batch in
 * one transaction, or in two at once over two connections (sink_pair.h),
 * and acknowledges its documents only after COMMIT. When the
 * database refuses a batch, the batch is split until the document at fault is
 * alone; that one becomes a dead letter and the rest are stored. Answers the
 * fetcher's VALIDATORS questions; records dead letters and the run's counts.
 * While the database is down it keeps the batch in hand, stops reading, and
 * reconnects with capped backoff: nothing is lost, nothing storms. Must never
 * acknowledge a document before the transaction holding it has committed.
 *
 * Runs: a fetcher opens one with BEGIN on the control socket (the sink
 * records it in ingest_runs) and ends it with FINISH. Every job carries its
 * run, so one long-lived sink serves the fetchers of any number of runs, and
 * acknowledges each job to the fetcher that sent it, over the control socket.
 */
#include "sink.h"
#include "monotime.h"
#include "buf.h"
#include "curve.h"
#include "log.h"
#include "proto.h"
#include "sig.h"
#include "sink_db.h"
#include "sink_indicators.h"
#include "sink_pair.h"
#include "sink_prep.h"
#include "sink_rows.h"
#include "sink_write.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#define BACKOFF_MIN_MS 250
#define BACKOFF_MAX_MS 30000
#define BATCH_MAX_DOCS 128
#define BATCH_MAX_BYTES (32u << 20) /* bodies and rows held for one transaction */
#define BATCH_WAIT_MS 20
#define TRANSIENT_TRIES 5 /* a batch refused for a passing reason: tries before splitting */
/* a smaller batch goes in whole over one connection: two would cost more than they save */
#define PAIR_MIN_DOCS 8
/* a second connection that could not be opened is tried again after this long */
#define SECOND_RETRY_MS 30000

#define MAX_RUNS 32
#define HOLD_SLICE_MS 250 /* the longest sleep while the database is down */
/* a statement that waits this long for the database holds the runs' leases */
#define SLOW_HOLD_MS (2 * WIRE_HEARTBEAT_MS)
/* pg_advisory_lock(RUN_LOCK_NS, id): the run's sink is alive ("RPIP") */
#define RUN_LOCK_NS "1380993360"

/* One fetcher's run: where its acknowledgements go, and its counts. */
struct sink_run {
	unsigned char route[WIRE_ROUTE_MAX]; /* the fetcher's identity on the control socket */
	size_t route_len;
	long long run_id; /* ingest_runs.id; 0 for a free slot */
	long parsed, stored, duplicates, failed;
	long known_dead; /* failures whose dead letter was acknowledged: not counted in failed */
	long long last_used_ms;
};

/* A received RESULT waiting in the batch, with its checked rows. */
struct sink_pending {
	struct wire_msg m;
	struct sink_doc *doc;
	const unsigned char *report; /* the report's bytes, in m.body */
	size_t report_len;
	struct sink_run *run;
};

struct sink {
	const char *conninfo;
	PGconn *conn;
	/*
	 * The second writer's (sink_pair.h): half of each batch goes in over it,
	 * so that two backends share the database's work. NULL while it cannot
	 * be had; conn alone then does everything, as it always does the rest.
	 */
	PGconn *second;
	long long second_retry_ms; /* monotonic: when to try opening it again */
	void *ctl;
	struct sink_prep *prep; /* reads the results and builds their rows */
	int oneshot;		/* `run`: end after the first FINISH */
	struct sink_run runs[MAX_RUNS];
	long transactions;
	time_t down_since;	/* 0 while the database is reachable */
	long long next_hold_ms; /* monotonic: the next HOLD to the runs while it is down */
	struct sink_pending batch[BATCH_MAX_DOCS];
	size_t nbatch, batch_bytes;
	long long batch_deadline; /* monotonic ms: flush the batch by then */
};

/*
 * Tell every fetcher with a run here that the database cannot store now
 * (down for down_s, or slow to answer): a document waiting for it is not
 * lost and not failing, so its lease must not run out (fetcher_jobs.c), and
 * the fetcher decides when to give up (outage_timeout).
 */
static void
sink_hold(struct sink *s, const char *why, long long down_s)
{
	long long now = monotime_ms();
	if (now < s->next_hold_ms)
		return;
	s->next_hold_ms = now + WIRE_HEARTBEAT_MS;
	struct json_object *h = json_object_new_object();
	json_object_object_add(h, PROTO_KEY_REASON, json_object_new_string(why));
	json_object_object_add(h, PROTO_KEY_DOWN_S, json_object_new_int64(down_s));
	for (size_t i = 0; i < MAX_RUNS; i++)
		if (s->runs[i].run_id != 0)
			wire_send(s->ctl, s->runs[i].route, s->runs[i].route_len, PROTO_MSG_HOLD, h,
				  NULL, 0);
	json_object_put(h);
}

/*
 * Sleep ms, in slices that keep the runs held; a stop signal ends it at
 * once (sig_sleep waits on sig_fd).
 */
static void
sink_wait_down(struct sink *s, int ms, const char *why)
{
	long long until = monotime_ms() + ms;
	for (long long now = monotime_ms(); now < until && !sig_stop; now = monotime_ms()) {
		sink_hold(s, why, time(NULL) - s->down_since);
		long long left = until - now;
		sig_sleep(left < HOLD_SLICE_MS ? (long)left : HOLD_SLICE_MS);
	}
}

/*
 * A statement has waited waited_ms for the database (sink_db_on_wait): a
 * lock it waits on, a server that stalls. The documents in hand are not
 * lost, so past SLOW_HOLD_MS the runs are held as for an outage, every
 * second it goes on.
 */
static void
sink_on_db_wait(void *arg, long long waited_ms)
{
	struct sink *s = arg;
	char why[96];
	if (waited_ms < SLOW_HOLD_MS)
		return; /* a passing hiccup: no hold, no warning at the fetcher */
	if (waited_ms < SLOW_HOLD_MS + WIRE_HEARTBEAT_MS)
		log_info("the database has not answered for %lld ms; holding the runs' leases"
			 " while it works",
			 waited_ms);
	snprintf(why, sizeof(why), "the database has not answered a statement for %lld s",
		 waited_ms / 1000);
	sink_hold(s, why, waited_ms / 1000);
}

static void sink_lock_runs(struct sink *s);

/*
 * Reconnect with capped exponential backoff (and some jitter) until
 * connected or told to stop. The outage is logged once, when it begins.
 */
static int
sink_reconnect(struct sink *s, const char *why)
{
	int delay = BACKOFF_MIN_MS;

	if (s->down_since == 0) {
		char since[32];
		struct tm tm;
		s->down_since = time(NULL);
		s->next_hold_ms = 0;
		strftime(since, sizeof(since), "%Y-%m-%dT%H:%M:%S%z",
			 localtime_r(&s->down_since, &tm));
		log_warnx("database unreachable since %s (%s); holding %zu unacknowledged"
			  " document%s and retrying, backing off up to %ds",
			  since, why, s->nbatch, s->nbatch == 1 ? "" : "s", BACKOFF_MAX_MS / 1000);
	}
	PQfinish(s->conn);
	s->conn = NULL;
	while (!sig_stop) {
		char reason[512];
		sink_hold(s, why, time(NULL) - s->down_since);
		s->conn = sink_db_try_connect(s->conninfo, reason, sizeof(reason));
		if (s->conn != NULL) {
			log_info("database reachable again after %lds",
				 (long)(time(NULL) - s->down_since));
			s->down_since = 0;
			s->second_retry_ms = 0; /* the second connection may come back too */
			sink_lock_runs(s);
			return 0;
		}
		log_debug("still unreachable: %s; next try in %dms", reason, delay);
		sink_wait_down(s, delay + rand() % (delay / 4 + 1), why);
		delay = delay * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : delay * 2;
	}
	return -1;
}

/*
 * Hold the run's advisory lock on this connection (taken again after a
 * reconnect): a later sink tells a run that is still going from one whose
 * sink is gone by it (sink_close_stale_runs). Never waits.
 */
static void
sink_lock_run(struct sink *s, long long run_id)
{
	char id[32];
	snprintf(id, sizeof(id), "%lld", run_id);
	const char *p[] = {id};
	PGresult *r =
	    sink_db_query(s->conn, "SELECT pg_try_advisory_lock(" RUN_LOCK_NS ", $1::int)", 1, p);
	if (PQresultStatus(r) != PGRES_TUPLES_OK || strcmp(PQgetvalue(r, 0, 0), "t") != 0)
		log_debug("cannot take the lock of run %lld", run_id);
	PQclear(r);
}

static void
sink_lock_runs(struct sink *s)
{
	for (size_t i = 0; i < MAX_RUNS; i++)
		if (s->runs[i].run_id != 0)
			sink_lock_run(s, s->runs[i].run_id);
}

static int
sink_has_run(const struct sink *s, long long run_id)
{
	for (size_t i = 0; i < MAX_RUNS; i++)
		if (s->runs[i].run_id == run_id)
			return 1;
	return 0;
}

/*
 * A run still 'running' whose lock nobody holds was left by a sink that is
 * gone: killed, or stopped while the database was down, so that it could
 * not record the end. It is recorded as interrupted; what it left in the
 * spool is stored by the run that comes next.
 */
static void
sink_close_stale_runs(struct sink *s)
{
	PGresult *r =
	    sink_db_query(s->conn, "SELECT id FROM ingest_runs WHERE status = 'running'", 0, NULL);
	if (PQresultStatus(r) != PGRES_TUPLES_OK) {
		log_warnx("cannot look for runs left running: %s", sink_db_message(s->conn));
		PQclear(r);
		return;
	}
	for (int i = 0; i < PQntuples(r); i++) {
		const char *p[] = {PQgetvalue(r, i, 0)};
		if (sink_has_run(s, atoll(p[0])))
			continue; /* ours: a lock this session holds would be granted again */
		PGresult *l = sink_db_query(
		    s->conn, "SELECT pg_try_advisory_lock(" RUN_LOCK_NS ", $1::int)", 1, p);
		int mine =
		    PQresultStatus(l) == PGRES_TUPLES_OK && strcmp(PQgetvalue(l, 0, 0), "t") == 0;
		PQclear(l);
		if (!mine)
			continue; /* its sink is alive, here or elsewhere */
		if (sink_db_command(
			s->conn, "closing a run left running",
			"UPDATE ingest_runs SET status = 'interrupted', finished_at = now()"
			" WHERE id = $1 AND status = 'running'",
			1, p) == 0)
			log_warnx("run %s ended without recording its end (its sink was stopped,"
				  " or the database was down); recorded as interrupted",
				  p[0]);
		PQclear(sink_db_query(s->conn,
				      "SELECT pg_advisory_unlock(" RUN_LOCK_NS ", $1::int)", 1, p));
	}
	PQclear(r);
}

/*
 * The run a message belongs to, by its "run" field (the fetcher's identity).
 * A run the sink has not seen BEGIN (the sink restarted within it) is adopted
 * under the ingest_runs id the message carries. NULL when it names no run.
 */
static struct sink_run *
sink_run_of(struct sink *s, const struct wire_msg *m)
{
	const char *name = wire_str(m, PROTO_KEY_RUN, NULL);
	long long run_id = wire_int(m, PROTO_KEY_RUN_ID, 0);
	struct sink_run *free_slot = NULL, *oldest = &s->runs[0];
	size_t len;

	if (name == NULL || (len = strlen(name)) == 0 || len > WIRE_ROUTE_MAX)
		return NULL;
	for (size_t i = 0; i < MAX_RUNS; i++) {
		struct sink_run *r = &s->runs[i];
		if (r->run_id == 0) {
			if (free_slot == NULL)
				free_slot = r;
			continue;
		}
		if (r->route_len == len && memcmp(r->route, name, len) == 0) {
			r->last_used_ms = monotime_ms();
			return r;
		}
		if (r->last_used_ms < oldest->last_used_ms)
			oldest = r;
	}
	if (run_id <= 0)
		return NULL;
	/* a fetcher that vanished never sends FINISH: its slot is the one to reuse */
	struct sink_run *r = free_slot ? free_slot : oldest;
	memset(r, 0, sizeof(*r));
	memcpy(r->route, name, len);
	r->route_len = len;
	r->run_id = run_id;
	r->last_used_ms = monotime_ms();
	if (s->conn)
		sink_lock_run(s, run_id);
	log_info("carrying on run %lld (begun before this sink started)", run_id);
	return r;
}

static void
sink_ack(struct sink *s, const struct sink_run *run, const char *key, const char *status)
{
	if (run == NULL)
		return; /* no run to tell: the fetcher leases the job again and finds it stored */
	struct json_object *h = json_object_new_object();
	json_object_object_add(h, PROTO_KEY_KEY, json_object_new_string(key));
	json_object_object_add(h, PROTO_KEY_STATUS, json_object_new_string(status));
	/* to a fetcher that is gone the ROUTER drops it: its next run finds the job stored */
	if (wire_send(s->ctl, run->route, run->route_len, PROTO_MSG_ACK, h, NULL, 0) < 0)
		log_warnx("cannot send an acknowledgement for %s: %s", key, zmq_strerror(errno));
	json_object_put(h);
}

/*
 * Record a dead letter of m (its url and source) keeping report (its body,
 * or for a RESULT the report inside it), reconnecting if the
 * database went away meanwhile. Returns 0 once recorded, -1 when it could
 * not be (logged) or when stopping: then the job must not be acknowledged,
 * so that the fetcher keeps it.
 */
static int
sink_dead_letter(struct sink *s, struct sink_run *run, const struct wire_msg *m,
		 const unsigned char *report, size_t report_len, const char *stage,
		 const char *error, const char *sqlstate)
{
	struct sink_letter l = {.run_id = run ? run->run_id : 0,
				.url = wire_str(m, PROTO_KEY_URL, "(unknown)"),
				.source = wire_str(m, PROTO_KEY_SOURCE, NULL),
				.stage = stage,
				.error = error,
				.sqlstate = sqlstate,
				.attempts = (int)wire_int(m, PROTO_KEY_ATTEMPTS, 1),
				.body = report,
				.body_len = report_len};
	struct sink_err e;
	int found;
	while ((found = sink_write_dead_letter(s->conn, &l, &e)) < 0) {
		if (!sink_db_lost(s->conn, &e) || sink_reconnect(s, e.msg) < 0)
			return -1;
	}
	if (run == NULL || (found & LETTER_REPEAT))
		; /* a letter sent again, its acknowledgement lost: counted the first time */
	else if (found & LETTER_KNOWN)
		run->known_dead++;
	else
		run->failed++;
	return 0;
}

/* batch[lo, lo + n) was committed as items[0, n): count it and acknowledge it. */
static void
sink_settle(struct sink *s, size_t lo, const struct sink_write_item *items, size_t n)
{
	s->transactions++;
	for (size_t i = 0; i < n; i++) {
		struct sink_pending *p = &s->batch[lo + i];
		int stored = items[i].outcome == STORE_STORED;
		if (p->run && stored)
			p->run->stored++;
		else if (p->run)
			p->run->duplicates++;
		log_debug("url=%s %s", p->doc->url, stored ? "stored" : "already stored");
		sink_ack(s, p->run, wire_str(&p->m, PROTO_KEY_KEY, ""),
			 stored ? PROTO_STATUS_STORED : PROTO_STATUS_DUPLICATE);
	}
}

/* batch[lo, lo + n) as items for sink_write_batch (owned by the caller). */
static struct sink_write_item *
sink_items(const struct sink *s, size_t lo, size_t n)
{
	struct sink_write_item *items = xcalloc(n, sizeof(*items));
	for (size_t i = 0; i < n; i++) {
		const struct sink_pending *p = &s->batch[lo + i];
		items[i] = (struct sink_write_item){p->doc, p->report, p->report_len, STORE_RETRY};
	}
	return items;
}

/*
 * Store batch[lo, hi) in one transaction and acknowledge it after COMMIT.
 * When the database refuses it, split it until the document at fault is
 * alone, and make that one a dead letter. refused: what the first try of
 * this very range got, as a half of a pair (sink_flush_pair) that the
 * database refused; NULL to make the first try here. Returns 0, or -1 when
 * told to stop while the database is down (what is not acknowledged stays
 * with the fetcher).
 */
static int
sink_flush_range(struct sink *s, size_t lo, size_t hi, const struct sink_pair_half *refused)
{
	size_t n = hi - lo;
	struct sink_write_item *items = sink_items(s, lo, n);
	struct sink_err e;
	enum store_result r;
	/* a batch the sink set out to store in one transaction, not a part split off it */
	int whole = refused != NULL || n == s->nbatch;

	int tries = 0, delay = BACKOFF_MIN_MS;
	for (;;) {
		if (refused) {
			r = refused->r;
			e = refused->e;
			refused = NULL;
		} else {
			r = sink_write_batch(s->conn, items, n, &e);
		}
		if (r == STORE_RETRY) {
			if (sink_reconnect(s, e.msg) < 0) {
				free(items);
				return -1;
			}
		} else if (r == STORE_REJECTED && sink_db_transient(&e) &&
			   ++tries < TRANSIENT_TRIES && !sig_stop) {
			log_warnx("the database refused %zu document%s for a passing reason (%s);"
				  " trying again in %dms",
				  n, n == 1 ? "" : "s", e.msg, delay);
			sig_sleep(delay);
			delay *= 2;
		} else {
			break;
		}
	}
	if (r == STORE_STORED) {
		sink_settle(s, lo, items, n);
		free(items);
		return 0;
	}
	free(items);
	if (n == 1) {
		struct sink_pending *p = &s->batch[lo];
		log_warnx("url=%s not stored: %s", p->doc->url, e.msg);
		if (sink_dead_letter(s, p->run, &p->m, p->report, p->report_len, "store", e.msg,
				     e.sqlstate) == 0)
			sink_ack(s, p->run, wire_str(&p->m, PROTO_KEY_KEY, ""),
				 PROTO_STATUS_FAILED);
		else if (sig_stop)
			return -1;
		return 0;
	}
	if (whole)
		log_info("a batch of %zu documents was refused (%s); splitting it to find the"
			 " document at fault",
			 n, e.msg);
	else
		log_debug("a part of %zu documents was refused; splitting it again", n);
	size_t mid = lo + n / 2;
	if (sink_flush_range(s, lo, mid, NULL) < 0)
		return -1;
	return sink_flush_range(s, mid, hi, NULL);
}

/*
 * The second writer's connection, opened again once SECOND_RETRY_MS has
 * passed since it was lost or refused, and only while conn works: the
 * database is answering, so the connection is not a long wait.
 */
static PGconn *
sink_second(struct sink *s)
{
	if (s->second && PQstatus(s->second) == CONNECTION_OK)
		return s->second;
	PQfinish(s->second);
	s->second = NULL;
	if (s->conn == NULL || PQstatus(s->conn) != CONNECTION_OK ||
	    monotime_ms() < s->second_retry_ms)
		return NULL;
	char why[512];
	s->second = sink_db_try_connect(s->conninfo, why, sizeof(why));
	if (s->second == NULL) {
		/* said once, not every SECOND_RETRY_MS while the server has no room */
		if (s->second_retry_ms == 0)
			log_info("storing over one connection for now: a second cannot be"
				 " opened (%s)",
				 why);
		s->second_retry_ms = monotime_ms() + SECOND_RETRY_MS;
		return NULL;
	}
	s->second_retry_ms = 0;
	return s->second;
}

/*
 * Put each URL's documents on its side (sink_pair_side), keeping their
 * order: batch[0, k) for the first connection, batch[k, nbatch) for the
 * second. Returns k.
 */
static size_t
sink_split(struct sink *s)
{
	struct sink_pending *sides = xcalloc(s->nbatch, sizeof(*sides));
	size_t k = 0, back = s->nbatch;
	for (size_t i = 0; i < s->nbatch; i++)
		if (sink_pair_side(s->batch[i].doc->url) == 0)
			sides[k++] = s->batch[i];
	for (size_t i = s->nbatch; i-- > 0;)
		if (sink_pair_side(s->batch[i].doc->url) != 0)
			sides[--back] = s->batch[i];
	memcpy(s->batch, sides, s->nbatch * sizeof(*sides));
	free(sides);
	return k;
}

/*
 * Store the batch in two halves at once, one per connection. A half that
 * does not go in whole (refused, or its connection lost) is stored again
 * over conn alone by sink_flush_range, which splits, retries and
 * reconnects as ever: the second connection only ever saves time.
 */
static void
sink_flush_pair(struct sink *s, PGconn *second)
{
	size_t n = s->nbatch, k = sink_split(s);
	if (k == 0 || k == n) {
		sink_flush_range(s, 0, n, NULL);
		return;
	}
	struct sink_write_item *items = sink_items(s, 0, n);
	struct sink_pair_half half[2] = {{.items = items, .n = k},
					 {.items = items + k, .n = n - k}};
	if (sink_pair_write(s->conn, second, half, sink_on_db_wait, s) < 0) {
		free(items);
		sink_flush_range(s, 0, n, NULL);
		return;
	}
	/* what is committed is acknowledged first, whatever becomes of the rest */
	for (int h = 0; h < 2; h++)
		if (half[h].r == STORE_STORED)
			sink_settle(s, h ? k : 0, half[h].items, half[h].n);
	/*
	 * The rest over conn alone: a refused half from where it stands, a half
	 * whose connection was lost tried afresh (sink_flush_range reconnects
	 * conn when it is conn that is gone).
	 */
	for (int h = 0; h < 2; h++) {
		size_t lo = h ? k : 0;
		if (half[h].r == STORE_STORED)
			continue;
		if (h == 1 && sink_db_lost(second, &half[h].e))
			log_info("storing over one connection for now: the second was lost (%s)",
				 half[h].e.msg);
		if (sink_flush_range(s, lo, lo + half[h].n,
				     half[h].r == STORE_REJECTED ? &half[h] : NULL) < 0)
			break; /* stopping while the database is down */
	}
	free(items);
}

/* Store and acknowledge the batch in hand, then let it go. */
static void
sink_flush(struct sink *s)
{
	PGconn *second = s->nbatch >= PAIR_MIN_DOCS ? sink_second(s) : NULL;
	if (second)
		sink_flush_pair(s, second);
	else if (s->nbatch > 0)
		sink_flush_range(s, 0, s->nbatch, NULL);
	for (size_t i = 0; i < s->nbatch; i++) {
		wire_msg_release(&s->batch[i].m);
		sink_rows_free(&s->batch[i].doc);
	}
	s->nbatch = 0;
	s->batch_bytes = 0;
}

/* Take one prepared message: into the batch, or settled at once. */
static void
sink_on_result(struct sink *s, struct sink_prepared *p)
{
	struct wire_msg *m = &p->m;
	const char *key = wire_str(m, PROTO_KEY_KEY, NULL),
		   *url = wire_str(m, PROTO_KEY_URL, "(unknown)");
	struct sink_run *run = sink_run_of(s, m);

	if (key == NULL) {
		log_warnx("dropped a result without a job key (url %s)", url);
	} else if (strcmp(m->type, PROTO_MSG_FAILED) == 0) {
		const char *why = wire_str(m, PROTO_KEY_ERROR, "parse failed");
		/* the parser logged it where it happened; here it only becomes a dead letter */
		log_debug("url=%s parse failed: %s", url, why);
		if (sink_dead_letter(s, run, m, m->body, m->body_len, "parse", why, NULL) == 0)
			sink_ack(s, run, key, PROTO_STATUS_FAILED);
	} else if (strcmp(m->type, PROTO_MSG_RESULT) != 0) {
		log_warnx("ignored a result of unknown type %s (url %s)", m->type, url);
	} else {
		if (run)
			run->parsed++;
		if (p->doc == NULL) {
			log_warnx("url=%s not stored: %s", url, p->err);
			if (sink_dead_letter(s, run, m, p->report, p->report_len, "store", p->err,
					     NULL) == 0)
				sink_ack(s, run, key, PROTO_STATUS_FAILED);
		} else {
			struct sink_doc *doc = p->doc;
			if (s->nbatch == 0)
				s->batch_deadline = monotime_ms() + BATCH_WAIT_MS;
			s->batch[s->nbatch].m = *m;
			s->batch[s->nbatch].run = run;
			s->batch[s->nbatch].report = p->report;
			s->batch[s->nbatch].report_len = p->report_len;
			s->batch[s->nbatch++].doc = doc;
			s->batch_bytes +=
			    m->body_len + doc->docrow.len + doc->sec.len + doc->met.len;
			free(p); /* the batch owns its message and rows now */
			return;
		}
	}
	sink_prepared_free(&p);
}

/* Move the documents made ready into the batch, as far as it has room. */
static void
sink_take_results(struct sink *s)
{
	struct sink_prepared *p;
	while (s->nbatch < BATCH_MAX_DOCS && s->batch_bytes < BATCH_MAX_BYTES &&
	       (p = sink_prep_next(s->prep)) != NULL)
		sink_on_result(s, p);
}

static void
sink_on_validators(struct sink *s, struct wire_msg *m)
{
	struct json_object *urls = NULL, *reply = json_object_new_object();
	struct json_object *known = json_object_new_object();

	json_object_object_get_ex(m->hdr, PROTO_KEY_URLS, &urls);
	if (urls && json_object_is_type(urls, json_type_array)) {
		const char *params[] = {
		    json_object_to_json_string_ext(urls, JSON_C_TO_STRING_PLAIN)};
		PGresult *r = sink_db_query(s->conn,
					    "SELECT url, sha256, etag, last_modified FROM documents"
					    " WHERE is_current AND url IN"
					    " (SELECT json_array_elements_text($1::json))",
					    1, params);
		if (PQresultStatus(r) == PGRES_TUPLES_OK) {
			for (int i = 0; i < PQntuples(r); i++) {
				struct json_object *v = json_object_new_object();
				json_object_object_add(v, PROTO_KEY_SHA256,
						       json_object_new_string(PQgetvalue(r, i, 1)));
				if (!PQgetisnull(r, i, 2))
					json_object_object_add(
					    v, PROTO_KEY_ETAG,
					    json_object_new_string(PQgetvalue(r, i, 2)));
				if (!PQgetisnull(r, i, 3))
					json_object_object_add(
					    v, PROTO_KEY_LAST_MODIFIED,
					    json_object_new_string(PQgetvalue(r, i, 3)));
				json_object_object_add(known, PQgetvalue(r, i, 0), v);
			}
		} else {
			log_warnx("reading stored validators failed: %s", PQerrorMessage(s->conn));
		}
		PQclear(r);
	}
	json_object_object_add(reply, PROTO_KEY_VALIDATORS, known);
	wire_send(s->ctl, m->route, m->route_len, PROTO_MSG_VALIDATORS, reply, NULL, 0);
	json_object_put(reply);
}

static int
sink_finish_run(struct sink *s, const struct sink_run *run, const char *status, long fetched,
		long unchanged)
{
	char v[8][32];
	snprintf(v[0], 32, "%lld", run->run_id);
	snprintf(v[1], 32, "%ld", fetched);
	snprintf(v[2], 32, "%ld", unchanged);
	snprintf(v[3], 32, "%ld", run->parsed);
	snprintf(v[4], 32, "%ld", run->stored);
	snprintf(v[5], 32, "%ld", run->duplicates);
	snprintf(v[6], 32, "%ld", run->failed);
	snprintf(v[7], 32, "%ld", run->known_dead);
	const char *p[] = {v[0], v[1], v[2], v[3], v[4], v[5], v[6], status, v[7]};
	if (s->conn == NULL && sig_stop) {
		log_warnx("the end of run %lld is not recorded: the database is down; the next run"
			  " records it as interrupted",
			  run->run_id);
		return -1;
	}
	for (;;) {
		if (sink_db_command(s->conn, "recording the run",
				    "UPDATE ingest_runs SET finished_at = now(), fetched = $2,"
				    " unchanged = $3, parsed = $4, stored = $5, duplicates = $6,"
				    " failed = $7, status = $8, known_dead = $9 WHERE id = $1"
				    /* a sink stopping never overwrites a run that ended well */
				    " AND (status = 'running' OR $8 <> 'aborted')",
				    9, p) == 0)
			return 0;
		if (PQstatus(s->conn) == CONNECTION_OK ||
		    sink_reconnect(s, "recording the run") < 0)
			return -1;
	}
}

/* BEGIN: a fetcher starts a run; it is recorded and its id given back. */
static void
sink_on_begin(struct sink *s, struct wire_msg *m)
{
	struct sink_run *r = NULL, *oldest = &s->runs[0];
	for (size_t i = 0; i < MAX_RUNS && r == NULL; i++) {
		if (s->runs[i].run_id == 0)
			r = &s->runs[i];
		else if (s->runs[i].last_used_ms < oldest->last_used_ms)
			oldest = &s->runs[i];
	}
	if (r == NULL)
		r = oldest;
	PGresult *res;
	const char *name = wire_str(m, PROTO_KEY_RUN, NULL);
	char *clean = name && *name ? xstrdup(name) : NULL;
	if (clean)
		sink_db_utf8_clean(clean);
	for (;;) {
		const char *vals[] = {clean};
		res = sink_db_query(
		    s->conn, "INSERT INTO ingest_runs (name) VALUES ($1) RETURNING id", 1, vals);
		if (PQresultStatus(res) == PGRES_TUPLES_OK)
			break;
		char why[256];
		snprintf(why, sizeof(why), "recording a new run: %s", PQerrorMessage(s->conn));
		why[strcspn(why, "\n")] = '\0';
		PQclear(res);
		if (PQstatus(s->conn) == CONNECTION_OK || sink_reconnect(s, why) < 0) {
			log_warnx("cannot record a new run: %s", why);
			free(clean);
			return; /* no answer: the fetcher gives up and says why */
		}
	}
	free(clean);
	memset(r, 0, sizeof(*r));
	memcpy(r->route, m->route, m->route_len);
	r->route_len = m->route_len;
	r->run_id = atoll(PQgetvalue(res, 0, 0));
	r->last_used_ms = monotime_ms();
	PQclear(res);
	sink_lock_run(s, r->run_id);
	sink_close_stale_runs(s);
	log_info("run %lld begins (fetcher %.*s)", r->run_id, (int)r->route_len,
		 (const char *)r->route);
	struct json_object *h = json_object_new_object();
	json_object_object_add(h, PROTO_KEY_RUN_ID, json_object_new_int64(r->run_id));
	wire_send(s->ctl, m->route, m->route_len, PROTO_MSG_BEGUN, h, NULL, 0);
	json_object_put(h);
}

static void
sink_on_finish(struct sink *s, struct wire_msg *m)
{
	struct sink_run *run = sink_run_of(s, m);
	long fetched = (long)wire_int(m, PROTO_KEY_FETCHED, 0),
	     unchanged = (long)wire_int(m, PROTO_KEY_UNCHANGED, 0);
	const char *asked = wire_str(m, PROTO_KEY_STATUS, NULL);

	if (run == NULL) {
		log_warnx("ignored the end of a run this sink knows nothing of");
		return;
	}
	/*
	 * the fetcher's own failures came as dead letters, counted here with the
	 * rest; known dead ones (acknowledged letters) do not fail the run
	 */
	const char *status = asked && strcmp(asked, PROTO_STATUS_INTERRUPTED) == 0
				 ? PROTO_STATUS_INTERRUPTED
			     : run->failed ? PROTO_STATUS_FAILED
					   : PROTO_STATUS_OK;
	sink_finish_run(s, run, status, fetched, unchanged);
	log_info("run %lld ends %s: stored %ld, duplicates %ld, failed %ld, known dead %ld",
		 run->run_id, status, run->stored, run->duplicates, run->failed, run->known_dead);
	struct json_object *h = json_object_new_object();
	json_object_object_add(h, PROTO_KEY_RUN_ID, json_object_new_int64(run->run_id));
	json_object_object_add(h, PROTO_KEY_STATUS, json_object_new_string(status));
	json_object_object_add(h, PROTO_KEY_FETCHED, json_object_new_int64(fetched));
	json_object_object_add(h, PROTO_KEY_UNCHANGED, json_object_new_int64(unchanged));
	json_object_object_add(h, PROTO_KEY_PARSED, json_object_new_int64(run->parsed));
	json_object_object_add(h, PROTO_KEY_STORED, json_object_new_int64(run->stored));
	json_object_object_add(h, PROTO_KEY_DUPLICATES, json_object_new_int64(run->duplicates));
	json_object_object_add(h, PROTO_KEY_FAILED, json_object_new_int64(run->failed));
	json_object_object_add(h, PROTO_KEY_KNOWN_DEAD, json_object_new_int64(run->known_dead));
	json_object_object_add(h, PROTO_KEY_TRANSACTIONS, json_object_new_int64(s->transactions));
	wire_send(s->ctl, m->route, m->route_len, PROTO_MSG_SUMMARY, h, NULL, 0);
	json_object_put(h);
	memset(run, 0, sizeof(*run));
}

/* Returns 1 when the sink's work is over (a FINISH, for a one-run sink). */
static int
sink_on_ctl(struct sink *s, struct wire_msg *m)
{
	if (strcmp(m->type, PROTO_MSG_BEGIN) == 0) {
		sink_on_begin(s, m);
	} else if (strcmp(m->type, PROTO_MSG_VALIDATORS) == 0) {
		sink_on_validators(s, m);
	} else if (strcmp(m->type, PROTO_MSG_DEAD) == 0) {
		/* a job's dead letter: its spool file goes only once this is committed */
		const char *key = wire_str(m, PROTO_KEY_KEY, NULL);
		struct sink_run *run = sink_run_of(s, m);
		if (sink_dead_letter(s, run, m, m->body, m->body_len,
				     wire_str(m, PROTO_KEY_STAGE, "fetch"),
				     wire_str(m, PROTO_KEY_ERROR, "failed"), NULL) == 0 &&
		    key)
			sink_ack(s, run, key, PROTO_STATUS_FAILED);
	} else if (strcmp(m->type, PROTO_MSG_FINISH) == 0) {
		/* redelivered copies may still wait in the batch: count them first */
		sink_flush(s);
		sink_on_finish(s, m);
		return s->oneshot;
	} else {
		log_warnx("ignored a control message of unknown type %s", m->type);
	}
	return 0;
}

int
sink_main(const struct config *cfg, const char *conninfo, const struct wire_endpoints *ep,
	  int oneshot)
{
	struct sink s = {.conninfo = conninfo, .oneshot = oneshot};
	struct curve_auth *auth = NULL;
	int rc = EX_SOFTWARE;

	int opened = sink_db_open(conninfo, &s.conn);
	if (opened != 0)
		return opened;
	int behind = sink_db_schema_behind(s.conn);
	if (behind < 0 || (behind && sink_db_migrate(s.conn) < 0) ||
	    sink_indicators_sync(s.conn) < 0) {
		PQfinish(s.conn);
		return EX_SOFTWARE;
	}

	void *ctx = zmq_ctx_new();
	if (curve_auth_start(ctx, cfg, &auth) < 0)
		goto out;
	void *results = wire_open(ctx, ZMQ_PULL, &ep->results, 1, cfg, NULL);
	s.ctl = wire_open(ctx, ZMQ_ROUTER, &ep->ctl, 1, cfg, NULL);
	if (results == NULL || s.ctl == NULL) {
		if (results)
			zmq_close(results);
		goto out;
	}
	/* two batches' worth built ahead: the next is ready when the database is */
	if ((s.prep = sink_prep_start(ctx, results, 2 * BATCH_MAX_DOCS)) == NULL)
		goto out;
	if (!oneshot)
		log_info("serving runs on %s (results) and %s (control)", ep->results.bind,
			 ep->ctl.bind);

	sink_db_on_wait(sink_on_db_wait, &s);
	/* the signals first: a SIGTERM is seen however busy the sockets are */
	zmq_pollitem_t items[] = {{NULL, sig_fd(), ZMQ_POLLIN, 0},
				  {s.ctl, 0, ZMQ_POLLIN, 0},
				  {sink_prep_socket(s.prep), 0, ZMQ_POLLIN, 0}};
	int finished = 0;
	while (!finished && !sig_stop) {
		long timeout = 1000;
		if (s.nbatch > 0) {
			long long left = s.batch_deadline - monotime_ms();
			timeout = left > 0 ? (long)left : 0;
		}
		/* a full batch is not read from: the results wait in the socket */
		int nitems = s.nbatch < BATCH_MAX_DOCS && s.batch_bytes < BATCH_MAX_BYTES ? 3 : 2;
		items[2].revents = 0;
		if (zmq_poll(items, nitems, timeout) < 0) {
			if (errno == EINTR)
				continue;
			log_warnx("poll failed: %s", zmq_strerror(errno));
			break;
		}
		if (items[0].revents & ZMQ_POLLIN) {
			sig_drain();
			if (sig_stop)
				break;
		}
		struct wire_msg m;
		/* control first: a FINISH is only sent once every result was acknowledged */
		if ((items[1].revents & ZMQ_POLLIN) && wire_recv(s.ctl, 1, &m) == 0) {
			finished = sink_on_ctl(&s, &m);
			wire_msg_release(&m);
		}
		if (!finished && (items[2].revents & ZMQ_POLLIN))
			sink_take_results(&s);
		if (s.nbatch > 0 &&
		    (s.nbatch == BATCH_MAX_DOCS || s.batch_bytes >= BATCH_MAX_BYTES ||
		     monotime_ms() >= s.batch_deadline))
			sink_flush(&s);
	}
	/* stopping: store what is in hand if the database lets us, without waiting for it */
	sink_flush(&s);
	for (size_t i = 0; i < MAX_RUNS; i++)
		if (s.runs[i].run_id != 0)
			sink_finish_run(&s, &s.runs[i], "aborted", 0, 0);
	rc = 0;
out:
	sink_db_on_wait(NULL, NULL);
	PQfinish(s.second);
	sink_prep_stop(&s.prep);
	if (s.ctl)
		zmq_close(s.ctl);
	curve_auth_stop(&auth, ctx);
	zmq_ctx_term(ctx);
	PQfinish(s.conn);
	return rc;
}
