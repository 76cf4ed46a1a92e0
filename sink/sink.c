/*
 * sink.c - the sink stage's loop.
 *
 * Gathers RESULTs into batches (up to BATCH_MAX_DOCS documents, or
 * BATCH_WAIT_MS after the first, whichever comes first), stores each batch in
 * one transaction and acknowledges its documents only after COMMIT. When the
 * database refuses a batch, the batch is split until the document at fault is
 * alone; that one becomes a dead letter and the rest are stored. Answers the
 * fetcher's VALIDATORS questions; records dead letters and the run's counts.
 * While the database is down it keeps the batch in hand, stops reading, and
 * reconnects with capped backoff: nothing is lost, nothing storms. Must never
 * acknowledge a document before the transaction holding it has committed.
 */
#include "sink.h"
#include "buf.h"
#include "log.h"
#include "sig.h"
#include "sink_db.h"
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
#define BATCH_MAX_DOCS 64
#define BATCH_MAX_BYTES (32u << 20) /* bodies and rows held for one transaction */
#define BATCH_WAIT_MS 20
#define TRANSIENT_TRIES 5 /* a batch refused for a passing reason: tries before splitting */

/* A received RESULT waiting in the batch, with its checked rows. */
struct sink_pending {
	struct wire_msg m;
	struct sink_doc *doc;
};

struct sink {
	const char *conninfo;
	PGconn *conn;
	long long run_id;
	void *results, *acks, *ctl;
	int summary_fd;
	long parsed, stored, duplicates, failed, transactions;
	time_t down_since; /* 0 while the database is reachable */
	struct sink_pending batch[BATCH_MAX_DOCS];
	size_t nbatch, batch_bytes;
	long long batch_deadline; /* monotonic ms: flush the batch by then */
};

static long long
sink_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

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
		s->conn = sink_db_try_connect(s->conninfo, reason, sizeof(reason));
		if (s->conn != NULL) {
			log_info("database reachable again after %lds",
				 (long)(time(NULL) - s->down_since));
			s->down_since = 0;
			return 0;
		}
		log_debug("still unreachable: %s; next try in %dms", reason, delay);
		usleep((useconds_t)(delay + rand() % (delay / 4 + 1)) * 1000);
		delay = delay * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : delay * 2;
	}
	return -1;
}

static void
sink_ack(struct sink *s, const char *key, const char *status)
{
	struct json_object *h = json_object_new_object();
	json_object_object_add(h, "key", json_object_new_string(key));
	json_object_object_add(h, "status", json_object_new_string(status));
	if (wire_send(s->acks, NULL, 0, "ACK", h, NULL, 0) < 0)
		log_warnx("cannot send an acknowledgement for %s: %s", key, zmq_strerror(errno));
	json_object_put(h);
}

/*
 * Record a dead letter, reconnecting if the database went away meanwhile.
 * Returns 0 once recorded, -1 when it could not be (logged) or when stopping:
 * then the job must not be acknowledged, so that the fetcher keeps it.
 */
static int
sink_dead_letter(struct sink *s, const char *url, const char *stage, const char *error,
		 const char *sqlstate, int attempts, const unsigned char *body, size_t len)
{
	struct sink_err e;
	while (sink_write_dead_letter(s->conn, s->run_id, url, stage, error, sqlstate, attempts,
				      body, len, &e) < 0) {
		if (!sink_db_lost(s->conn, &e) || sink_reconnect(s, e.msg) < 0)
			return -1;
	}
	s->failed++;
	return 0;
}

/*
 * Store batch[lo, hi) in one transaction and acknowledge it after COMMIT.
 * When the database refuses it, split it until the document at fault is
 * alone, and make that one a dead letter. Returns 0, or -1 when told to stop
 * while the database is down (what is not acknowledged stays with the fetcher).
 */
static int
sink_flush_range(struct sink *s, size_t lo, size_t hi)
{
	size_t n = hi - lo;
	struct sink_write_item *items = xcalloc(n, sizeof(*items));
	struct sink_err e;
	enum store_result r;

	for (size_t i = 0; i < n; i++) {
		struct sink_pending *p = &s->batch[lo + i];
		items[i] = (struct sink_write_item){p->doc, p->m.body, p->m.body_len, STORE_RETRY};
	}
	int tries = 0, delay = BACKOFF_MIN_MS;
	for (;;) {
		r = sink_write_batch(s->conn, items, n, &e);
		if (r == STORE_RETRY) {
			if (sink_reconnect(s, e.msg) < 0) {
				free(items);
				return -1;
			}
		} else if (r == STORE_REJECTED && sink_db_transient(&e) &&
			   ++tries < TRANSIENT_TRIES && !sig_stop) {
			log_warnx("the database refused %zu document%s for a passing reason (%s);"
				  " trying again in %dms", n, n == 1 ? "" : "s", e.msg, delay);
			usleep((useconds_t)delay * 1000);
			delay *= 2;
		} else {
			break;
		}
	}
	if (r == STORE_STORED) {
		s->transactions++;
		for (size_t i = 0; i < n; i++) {
			struct sink_pending *p = &s->batch[lo + i];
			int stored = items[i].outcome == STORE_STORED;
			if (stored)
				s->stored++;
			else
				s->duplicates++;
			log_debug("url=%s %s", p->doc->url, stored ? "stored" : "already stored");
			sink_ack(s, wire_str(&p->m, "key", ""), stored ? "stored" : "duplicate");
		}
		free(items);
		return 0;
	}
	free(items);
	if (n == 1) {
		struct sink_pending *p = &s->batch[lo];
		log_warnx("url=%s not stored: %s", p->doc->url, e.msg);
		if (sink_dead_letter(s, p->doc->url, "store", e.msg, e.sqlstate,
				     (int)wire_int(&p->m, "attempts", 1), p->m.body,
				     p->m.body_len) == 0)
			sink_ack(s, wire_str(&p->m, "key", ""), "failed");
		else if (sig_stop)
			return -1;
		return 0;
	}
	if (n == s->nbatch)
		log_info("a batch of %zu documents was refused (%s); splitting it to find the"
			 " document at fault", n, e.msg);
	else
		log_debug("a part of %zu documents was refused; splitting it again", n);
	size_t mid = lo + n / 2;
	if (sink_flush_range(s, lo, mid) < 0)
		return -1;
	return sink_flush_range(s, mid, hi);
}

/* Store and acknowledge the batch in hand, then let it go. */
static void
sink_flush(struct sink *s)
{
	if (s->nbatch > 0)
		sink_flush_range(s, 0, s->nbatch);
	for (size_t i = 0; i < s->nbatch; i++) {
		wire_msg_release(&s->batch[i].m);
		sink_rows_free(&s->batch[i].doc);
	}
	s->nbatch = 0;
	s->batch_bytes = 0;
}

/* Take one message from the results socket: into the batch, or settled at once. */
static void
sink_on_result(struct sink *s, struct wire_msg *m)
{
	const char *key = wire_str(m, "key", NULL), *url = wire_str(m, "url", "(unknown)");
	char err[512];

	if (key == NULL) {
		log_warnx("dropped a result without a job key (url %s)", url);
	} else if (strcmp(m->type, "FAILED") == 0) {
		const char *why = wire_str(m, "error", "parse failed");
		log_warnx("url=%s parse failed: %s", url, why);
		if (sink_dead_letter(s, url, "parse", why, NULL, (int)wire_int(m, "attempts", 1),
				     m->body, m->body_len) == 0)
			sink_ack(s, key, "failed");
	} else if (strcmp(m->type, "RESULT") != 0) {
		log_warnx("ignored a result of unknown type %s (url %s)", m->type, url);
	} else {
		s->parsed++;
		struct sink_doc *doc = sink_rows_new(m->hdr, err, sizeof(err));
		if (doc == NULL) {
			log_warnx("url=%s not stored: %s", url, err);
			if (sink_dead_letter(s, url, "store", err, NULL,
					     (int)wire_int(m, "attempts", 1), m->body,
					     m->body_len) == 0)
				sink_ack(s, key, "failed");
		} else {
			if (s->nbatch == 0)
				s->batch_deadline = sink_now_ms() + BATCH_WAIT_MS;
			s->batch[s->nbatch].m = *m;
			s->batch[s->nbatch++].doc = doc;
			s->batch_bytes +=
				m->body_len + doc->docrow.len + doc->sec.len + doc->met.len;
			return; /* the batch owns m now */
		}
	}
	wire_msg_release(m);
}

/* Move what the results socket holds into the batch, as far as it has room. */
static void
sink_take_results(struct sink *s)
{
	struct wire_msg m;
	while (s->nbatch < BATCH_MAX_DOCS && s->batch_bytes < BATCH_MAX_BYTES &&
	       wire_recv_nowait(s->results, 0, &m) == 0)
		sink_on_result(s, &m);
}

static void
sink_on_validators(struct sink *s, struct wire_msg *m)
{
	struct json_object *urls = NULL, *reply = json_object_new_object();
	struct json_object *known = json_object_new_object();

	json_object_object_get_ex(m->hdr, "urls", &urls);
	if (urls && json_object_is_type(urls, json_type_array)) {
		const char *params[] = {json_object_to_json_string_ext(urls, JSON_C_TO_STRING_PLAIN)};
		PGresult *r = PQexecParams(s->conn,
					   "SELECT url, sha256, etag, last_modified FROM documents"
					   " WHERE is_current AND url IN"
					   " (SELECT json_array_elements_text($1::json))",
					   1, NULL, params, NULL, NULL, 0);
		if (PQresultStatus(r) == PGRES_TUPLES_OK) {
			for (int i = 0; i < PQntuples(r); i++) {
				struct json_object *v = json_object_new_object();
				json_object_object_add(v, "sha256",
						       json_object_new_string(PQgetvalue(r, i, 1)));
				if (!PQgetisnull(r, i, 2))
					json_object_object_add(
						v, "etag", json_object_new_string(PQgetvalue(r, i, 2)));
				if (!PQgetisnull(r, i, 3))
					json_object_object_add(
						v, "last_modified",
						json_object_new_string(PQgetvalue(r, i, 3)));
				json_object_object_add(known, PQgetvalue(r, i, 0), v);
			}
		} else {
			log_warnx("reading stored validators failed: %s", PQerrorMessage(s->conn));
		}
		PQclear(r);
	}
	json_object_object_add(reply, "validators", known);
	wire_send(s->ctl, m->route, m->route_len, "VALIDATORS", reply, NULL, 0);
	json_object_put(reply);
}

static int
sink_finish_run(struct sink *s, const char *status, long fetched, long unchanged)
{
	char v[7][32];
	snprintf(v[0], 32, "%lld", s->run_id);
	snprintf(v[1], 32, "%ld", fetched);
	snprintf(v[2], 32, "%ld", unchanged);
	snprintf(v[3], 32, "%ld", s->parsed);
	snprintf(v[4], 32, "%ld", s->stored);
	snprintf(v[5], 32, "%ld", s->duplicates);
	snprintf(v[6], 32, "%ld", s->failed);
	const char *p[] = {v[0], v[1], v[2], v[3], v[4], v[5], v[6], status};
	for (;;) {
		if (sink_db_command(s->conn, "recording the run",
				    "UPDATE ingest_runs SET finished_at = now(), fetched = $2,"
				    " unchanged = $3, parsed = $4, stored = $5, duplicates = $6,"
				    " failed = $7, status = $8 WHERE id = $1",
				    8, p) == 0)
			return 0;
		if (PQstatus(s->conn) == CONNECTION_OK ||
		    sink_reconnect(s, "recording the run") < 0)
			return -1;
	}
}

static void
sink_on_finish(struct sink *s, struct wire_msg *m)
{
	long fetched = (long)wire_int(m, "fetched", 0), unchanged = (long)wire_int(m, "unchanged", 0);
	const char *status = s->failed ? "failed" : "ok";

	sink_finish_run(s, status, fetched, unchanged);
	struct json_object *h = json_object_new_object();
	json_object_object_add(h, "run_id", json_object_new_int64(s->run_id));
	json_object_object_add(h, "status", json_object_new_string(status));
	json_object_object_add(h, "fetched", json_object_new_int64(fetched));
	json_object_object_add(h, "unchanged", json_object_new_int64(unchanged));
	json_object_object_add(h, "parsed", json_object_new_int64(s->parsed));
	json_object_object_add(h, "stored", json_object_new_int64(s->stored));
	json_object_object_add(h, "duplicates", json_object_new_int64(s->duplicates));
	json_object_object_add(h, "failed", json_object_new_int64(s->failed));
	json_object_object_add(h, "transactions", json_object_new_int64(s->transactions));
	wire_send(s->ctl, m->route, m->route_len, "SUMMARY", h, NULL, 0);
	if (s->summary_fd >= 0) {
		/* a pipe, not a socket: the supervisor must stay single-threaded to fork safely */
		struct buf line = {0};
		buf_printf(&line, "%s\n", json_object_to_json_string_ext(h, JSON_C_TO_STRING_PLAIN));
		if (write(s->summary_fd, line.data, line.len) != (ssize_t)line.len)
			log_warn("cannot hand the summary to the supervisor");
		buf_release(&line);
	}
	json_object_put(h);
}

static int
sink_on_ctl(struct sink *s, struct wire_msg *m)
{
	if (strcmp(m->type, "VALIDATORS") == 0) {
		sink_on_validators(s, m);
	} else if (strcmp(m->type, "DEAD") == 0) {
		const char *url = wire_str(m, "url", "(unknown)");
		sink_dead_letter(s, url, wire_str(m, "stage", "fetch"),
				 wire_str(m, "error", "failed"), NULL, (int)wire_int(m, "attempts", 1),
				 m->body, m->body_len);
	} else if (strcmp(m->type, "FINISH") == 0) {
		/* redelivered copies may still wait in the batch: count them first */
		sink_flush(s);
		sink_on_finish(s, m);
		return 1;
	} else {
		log_warnx("ignored a control message of unknown type %s", m->type);
	}
	return 0;
}

static void *
sink_socket(void *ctx, int type, const char *endpoint, int bind)
{
	void *sock = zmq_socket(ctx, type);
	if (sock == NULL)
		return NULL;
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
sink_main(const struct config *cfg, const char *conninfo, const struct wire_endpoints *ep,
	  int summary_fd)
{
	struct sink s = {.conninfo = conninfo, .summary_fd = summary_fd};
	int rc = EX_SOFTWARE;
	(void)cfg;

	s.conn = sink_db_connect(conninfo);
	if (s.conn == NULL)
		return EX_TEMPFAIL;
	int behind = sink_db_schema_behind(s.conn);
	if (behind < 0 || (behind && sink_db_migrate(s.conn) < 0)) {
		PQfinish(s.conn);
		return EX_SOFTWARE;
	}
	PGresult *r = PQexec(s.conn, "INSERT INTO ingest_runs DEFAULT VALUES RETURNING id");
	if (PQresultStatus(r) != PGRES_TUPLES_OK) {
		log_warnx("cannot record the run: %s", PQerrorMessage(s.conn));
		PQclear(r);
		PQfinish(s.conn);
		return EX_TEMPFAIL;
	}
	s.run_id = atoll(PQgetvalue(r, 0, 0));
	PQclear(r);

	void *ctx = zmq_ctx_new();
	s.results = sink_socket(ctx, ZMQ_PULL, ep->results, 1);
	s.ctl = sink_socket(ctx, ZMQ_ROUTER, ep->ctl, 1);
	s.acks = sink_socket(ctx, ZMQ_PUSH, ep->acks, 0);
	if (!s.results || !s.ctl || !s.acks)
		goto out;

	zmq_pollitem_t items[] = {{s.ctl, 0, ZMQ_POLLIN, 0}, {s.results, 0, ZMQ_POLLIN, 0}};
	int finished = 0;
	while (!finished && !sig_stop) {
		long timeout = 1000;
		if (s.nbatch > 0) {
			long long left = s.batch_deadline - sink_now_ms();
			timeout = left > 0 ? (long)left : 0;
		}
		/* a full batch is not read from: the results wait in the socket */
		int nitems = s.nbatch < BATCH_MAX_DOCS && s.batch_bytes < BATCH_MAX_BYTES ? 2 : 1;
		items[1].revents = 0;
		if (zmq_poll(items, nitems, timeout) < 0) {
			if (errno == EINTR)
				continue;
			log_warnx("poll failed: %s", zmq_strerror(errno));
			break;
		}
		struct wire_msg m;
		/* control first: a FINISH is only sent once every result was acknowledged */
		if ((items[0].revents & ZMQ_POLLIN) && wire_recv(s.ctl, 1, &m) == 0) {
			finished = sink_on_ctl(&s, &m);
			wire_msg_release(&m);
		}
		if (!finished && (items[1].revents & ZMQ_POLLIN))
			sink_take_results(&s);
		if (s.nbatch > 0 && (s.nbatch == BATCH_MAX_DOCS || s.batch_bytes >= BATCH_MAX_BYTES ||
				     sink_now_ms() >= s.batch_deadline))
			sink_flush(&s);
	}
	/* stopping: store what is in hand if the database lets us, without waiting for it */
	sink_flush(&s);
	if (!finished)
		sink_finish_run(&s, "aborted", 0, 0);
	rc = 0;
out:
	if (s.results)
		zmq_close(s.results);
	if (s.ctl)
		zmq_close(s.ctl);
	if (s.acks)
		zmq_close(s.acks);
	zmq_ctx_term(ctx);
	PQfinish(s.conn);
	return rc;
}
