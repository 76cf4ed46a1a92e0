/*
 * sink.c - the sink stage's loop.
 *
 * Stores each RESULT in one transaction and acknowledges it only after
 * COMMIT; answers the fetcher's VALIDATORS questions; records dead letters
 * and the run's counts. While the database is down it keeps the document in
 * hand and reconnects with capped backoff: nothing is lost, nothing storms.
 */
#include "sink.h"
#include "buf.h"
#include "log.h"
#include "sig.h"
#include "sink_db.h"
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

struct sink {
	const char *conninfo;
	PGconn *conn;
	long long run_id;
	void *results, *acks, *ctl;
	int summary_fd;
	long parsed, stored, duplicates, failed;
	time_t down_since; /* 0 while the database is reachable */
};

/* Reconnect with capped exponential backoff until connected or told to stop. */
static int
sink_reconnect(struct sink *s)
{
	int delay = BACKOFF_MIN_MS;

	if (s->down_since == 0) {
		s->down_since = time(NULL);
		log_warnx("database unreachable; holding the current document and retrying");
	}
	while (!sig_stop) {
		PQfinish(s->conn);
		s->conn = PQconnectdb(s->conninfo);
		if (PQstatus(s->conn) == CONNECTION_OK) {
			log_info("database reachable again after %lds",
				 (long)(time(NULL) - s->down_since));
			s->down_since = 0;
			return 0;
		}
		usleep((useconds_t)delay * 1000);
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

/* Record a dead letter, reconnecting if the database went away meanwhile. */
static void
sink_dead_letter(struct sink *s, const char *url, const char *stage, const char *error,
		 int attempts, const unsigned char *body, size_t len)
{
	s->failed++;
	while (sink_write_dead_letter(s->conn, s->run_id, url, stage, error, attempts, body, len) <
	       0) {
		if (PQstatus(s->conn) == CONNECTION_OK || sink_reconnect(s) < 0)
			return;
	}
}

static void
sink_on_result(struct sink *s, struct wire_msg *m)
{
	const char *key = wire_str(m, "key", NULL), *url = wire_str(m, "url", "(unknown)");
	char err[1024];

	if (key == NULL) {
		log_warnx("dropped a result without a job key (url %s)", url);
		return;
	}
	if (strcmp(m->type, "FAILED") == 0) {
		const char *why = wire_str(m, "error", "parse failed");
		log_warnx("url=%s parse failed: %s", url, why);
		sink_dead_letter(s, url, "parse", why, (int)wire_int(m, "attempts", 1), m->body,
				 m->body_len);
		sink_ack(s, key, "failed");
		return;
	}
	s->parsed++;
	for (;;) {
		enum store_result r =
			sink_write_document(s->conn, m->hdr, m->body, m->body_len, err, sizeof(err));
		switch (r) {
		case STORE_STORED:
			s->stored++;
			log_debug("url=%s stored", url);
			sink_ack(s, key, "stored");
			return;
		case STORE_DUPLICATE:
			s->duplicates++;
			log_debug("url=%s already stored", url);
			sink_ack(s, key, "duplicate");
			return;
		case STORE_REJECTED:
			log_warnx("url=%s not stored: %s", url, err);
			sink_dead_letter(s, url, "store", err, 1, m->body, m->body_len);
			sink_ack(s, key, "failed");
			return;
		case STORE_RETRY:
			if (sink_reconnect(s) < 0)
				return; /* stopping: no ack, so the fetcher keeps the job */
		}
	}
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
		if (PQstatus(s->conn) == CONNECTION_OK || sink_reconnect(s) < 0)
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
				 wire_str(m, "error", "failed"), (int)wire_int(m, "attempts", 1),
				 m->body, m->body_len);
	} else if (strcmp(m->type, "FINISH") == 0) {
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
		if (zmq_poll(items, 2, 1000) < 0) {
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
		if ((items[1].revents & ZMQ_POLLIN) && wire_recv(s.results, 0, &m) == 0) {
			sink_on_result(&s, &m);
			wire_msg_release(&m);
		}
	}
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
