/*
 * sink_db.c - connect and migrate.
 *
 * Every statement here is either a constant compiled into the binary or
 * parameterised: no SQL is ever built from data.
 */
#include "sink_db.h"
#include "conninfo_mask.h"
#include "log.h"
#include "migrations.h"
#include "monotime.h"
#include "sig.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

/* pg_advisory_lock key for migrations: "rpmg" */
#define MIGRATE_LOCK_KEY "1919970663"
/* the COPY data of one CopyData message */
#define COPY_PIECE ((size_t)64 * 1024)

/*
 * Who is told while a statement waits on the server (sink_db_on_wait): one
 * per thread, the thread whose statement waits; the sink's second writer
 * (sink_pair.c) has none, and its wait is told by the thread that waits
 * for it.
 */
static _Thread_local sink_db_wait_fn wait_fn;
static _Thread_local void *wait_arg;

void
sink_db_on_wait(sink_db_wait_fn fn, void *arg)
{
	wait_fn = fn;
	wait_arg = arg;
}

/*
 * Wait until the next tick for the server's socket (events: POLLIN, with
 * POLLOUT while libpq has bytes to send), telling the waiter at each tick
 * since start how long the statement has waited: a lock it waits on, or a
 * server that stalls, then looks like what it is, a database that is slow,
 * and not like results that went missing (sink.c holds its runs' leases).
 * 0, or -1 when the connection failed (libpq says how).
 */
static int
db_wait(PGconn *conn, short events, long long start, long long *tick)
{
	long long now = monotime_ms();
	if (now >= *tick) {
		if (wait_fn)
			wait_fn(wait_arg, now - start);
		*tick = now + SINK_DB_WAIT_TICK_MS;
	}
	struct pollfd p = {PQsocket(conn), events, 0};
	int ready = poll(&p, 1, (int)(*tick - now));
	if (ready < 0 && errno != EINTR)
		return -1;
	/* what the server says is read even while it is sent to, as libpq asks */
	if (ready > 0 && (p.revents & (POLLIN | POLLERR | POLLHUP)) && !PQconsumeInput(conn))
		return -1;
	return 0;
}

/* PQgetResult without blocking in libpq: the waiting is db_wait's. */
static PGresult *
db_get_result(PGconn *conn)
{
	long long start = monotime_ms(), tick = start + SINK_DB_WAIT_TICK_MS;
	while (PQisBusy(conn) && PQsocket(conn) >= 0 && db_wait(conn, POLLIN, start, &tick) == 0)
		;
	return PQgetResult(conn);
}

/* Send what libpq holds (a nonblocking connection), waiting in db_wait. 0, or -1. */
static int
db_flush(PGconn *conn, long long start, long long *tick)
{
	int rc;
	while ((rc = PQflush(conn)) == 1)
		if (db_wait(conn, POLLIN | POLLOUT, start, tick) < 0)
			return -1;
	return rc;
}

/*
 * COPY rows and end it, the connection nonblocking meanwhile: a server
 * that stops reading in mid-COPY (a trigger that waits, an index insert
 * waiting on another's key) holds the runs as one that does not answer
 * does, where PQputCopyData would block with nobody told. 0, or -1.
 */
static int
db_put_copy(PGconn *conn, const struct buf *rows)
{
	long long start = monotime_ms(), tick = start + SINK_DB_WAIT_TICK_MS;
	int rc = PQsetnonblocking(conn, 1), put = 1;
	/*
	 * In pieces of COPY_PIECE, each sent before the next: the server takes
	 * a CopyData message whole before it reads a row of it, so one message
	 * of the whole batch would cost it that much memory, and would hide a
	 * stall until the next batch.
	 */
	for (size_t at = 0; rc == 0 && at < rows->len;) {
		size_t n = rows->len - at > COPY_PIECE ? COPY_PIECE : rows->len - at;
		put = PQputCopyData(conn, rows->data + at, (int)n);
		if (put < 0)
			rc = -1;
		else if (put == 1)
			at += n;
		if (rc == 0)
			rc = db_flush(conn, start, &tick);
	}
	while (rc == 0 && (put = PQputCopyEnd(conn, NULL)) == 0)
		rc = db_flush(conn, start, &tick);
	if (rc == 0)
		rc = put < 0 ? -1 : db_flush(conn, start, &tick);
	if (PQsetnonblocking(conn, 0) != 0)
		rc = -1;
	return rc;
}

/*
 * The results of a statement sent (sent: what PQsend* returned), as PQexec
 * gives them: the last one, or the COPY state; NULL when it was not sent.
 */
static PGresult *
db_results(PGconn *conn, int sent)
{
	PGresult *last = NULL, *r;
	if (!sent)
		return NULL;
	while ((r = db_get_result(conn)) != NULL) {
		ExecStatusType st = PQresultStatus(r);
		PQclear(last);
		last = r;
		if (st == PGRES_COPY_IN || st == PGRES_COPY_OUT || st == PGRES_COPY_BOTH)
			break;
	}
	return last;
}

PGresult *
sink_db_query_formats(PGconn *conn, const char *sql, int nparams, const char *const *params,
		      const int *lengths, const int *formats)
{
	return db_results(conn,
			  PQsendQueryParams(conn, sql, nparams, NULL, params, lengths, formats, 0));
}

PGresult *
sink_db_query(PGconn *conn, const char *sql, int nparams, const char *const *params)
{
	return sink_db_query_formats(conn, sql, nparams, params, NULL, NULL);
}

/* connect_timeout of the conninfo in ms (libpq leaves it to a polling caller), or 0. */
static long long
db_connect_timeout_ms(PGconn *c)
{
	long long ms = 0;
	PQconninfoOption *opts = PQconninfo(c);
	for (PQconninfoOption *o = opts; o && o->keyword; o++)
		if (strcmp(o->keyword, "connect_timeout") == 0 && o->val && *o->val) {
			int s = atoi(o->val);
			/* as libpq: below 2 s is 2 s, 0 or less waits for ever */
			ms = s <= 0 ? 0 : (s < 2 ? 2 : s) * 1000LL;
		}
	PQconninfoFree(opts);
	return ms;
}

/*
 * PQconnectdb, but waiting in poll(2) beside sig_fd(). libpq's own waits
 * go round on EINTR, so a server that accepts and never answers (a hung
 * host, a stopped postmaster) would keep the stage from its SIGTERM for
 * ever. The connection, or NULL with the reason in why.
 */
static PGconn *
db_connect_polled(const char *conninfo, char *why, size_t whylen)
{
	PGconn *c = PQconnectStart(conninfo);
	if (c == NULL) {
		snprintf(why, whylen, "out of memory");
		return NULL;
	}
	long long timeout = db_connect_timeout_ms(c);
	long long until = timeout ? monotime_ms() + timeout : 0;
	int timed_out = 0;
	PostgresPollingStatusType st =
	    PQstatus(c) == CONNECTION_BAD ? PGRES_POLLING_FAILED : PGRES_POLLING_WRITING;
	while (st != PGRES_POLLING_OK && st != PGRES_POLLING_FAILED && !sig_stop) {
		struct pollfd p[2] = {
		    {PQsocket(c), st == PGRES_POLLING_READING ? POLLIN : POLLOUT, 0},
		    {sig_fd(), POLLIN, 0}};
		int wait = 1000; /* a bound, in case a signal came before the pipe existed */
		if (until) {
			long long left = until - monotime_ms();
			if ((timed_out = left <= 0))
				break;
			wait = left < wait ? (int)left : wait;
		}
		int n = poll(p, 2, wait);
		if (n < 0 && errno != EINTR) {
			st = PGRES_POLLING_FAILED;
			break;
		}
		if (n > 0 && (p[1].revents & POLLIN))
			sig_drain();
		if (n > 0 && p[0].revents)
			st = PQconnectPoll(c);
	}
	if (st == PGRES_POLLING_OK)
		return c;
	if (st != PGRES_POLLING_FAILED && sig_stop)
		snprintf(why, whylen, "stopped by a signal while connecting");
	else if (timed_out)
		snprintf(why, whylen, "timeout expired (connect_timeout)");
	else
		snprintf(why, whylen, "%s", PQerrorMessage(c));
	why[strcspn(why, "\n")] = '\0';
	PQfinish(c);
	return NULL;
}

PGconn *
sink_db_try_connect(const char *conninfo, char *why, size_t whylen)
{
	char *err = NULL;
	PQconninfoOption *opts = PQconninfoParse(conninfo, &err);
	if (opts == NULL) {
		/* libpq quotes the bad string in err, password and all: never log it */
		char *masked = conninfo_masked(conninfo);
		snprintf(why, whylen, "the conninfo \"%s\" is malformed", masked);
		free(masked);
		PQfreemem(err);
		return NULL;
	}
	PQconninfoFree(opts);
	PGconn *c = db_connect_polled(conninfo, why, whylen);
	if (c == NULL)
		return NULL;
	PQclear(PQexec(c, "SET client_min_messages = warning"));
	return c;
}

int
sink_db_refused_for_good(const char *why)
{
	/*
	 * libpq gives no SQLSTATE for a refused connection, only the server's
	 * message: these are PostgreSQL's words for 3D000, 28000, 28P01 and
	 * libpq's for a bad option (the server's lc_messages must be English).
	 */
	static const char *const for_good[] = {
	    "does not exist",	     /* database, role */
	    "authentication failed", /* password, peer, ident */
	    "no password supplied",
	    "pg_hba.conf",
	    "invalid connection option",
	    "is malformed",
	    "not permitted to log in",
	    "permission denied for database",
	};
	for (size_t i = 0; i < sizeof(for_good) / sizeof(for_good[0]); i++)
		if (strstr(why, for_good[i]))
			return 1;
	return 0;
}

int
sink_db_open(const char *conninfo, PGconn **out)
{
	char why[512];
	*out = sink_db_try_connect(conninfo, why, sizeof(why));
	if (*out != NULL)
		return 0;
	int for_good = sink_db_refused_for_good(why);
	log_warnx("database unreachable: %s%s", why,
		  for_good ? " (a configuration error: check [database] conninfo)" : "");
	return for_good ? EX_CONFIG : EX_TEMPFAIL;
}

const char *
sink_db_message(const PGconn *conn)
{
	static _Thread_local char msg[1024];
	snprintf(msg, sizeof(msg), "%s", conn ? PQerrorMessage(conn) : "no connection");
	for (char *p = msg; *p; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';
	size_t n = strlen(msg);
	while (n > 0 && msg[n - 1] == ' ')
		msg[--n] = '\0';
	return msg;
}

PGconn *
sink_db_connect(const char *conninfo)
{
	char why[512];
	PGconn *c = sink_db_try_connect(conninfo, why, sizeof(why));
	if (c == NULL)
		log_warnx("database unreachable: %s", why);
	return c;
}

/* Length of the valid UTF-8 sequence at s (at most n bytes), or 0 when there is none. */
static size_t
db_utf8_seq(const unsigned char *s, size_t n)
{
	size_t len;
	unsigned min;
	unsigned cp;
	if (s[0] < 0x80)
		return 1;
	if ((s[0] & 0xE0) == 0xC0)
		len = 2, min = 0x80, cp = s[0] & 0x1F;
	else if ((s[0] & 0xF0) == 0xE0)
		len = 3, min = 0x800, cp = s[0] & 0x0F;
	else if ((s[0] & 0xF8) == 0xF0)
		len = 4, min = 0x10000, cp = s[0] & 0x07;
	else
		return 0;
	if (len > n)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xC0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3F);
	}
	if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
		return 0;
	return len;
}

void
sink_db_utf8_clean(char *s)
{
	unsigned char *p = (unsigned char *)s;
	size_t n = strlen(s);
	for (size_t i = 0; i < n;) {
		size_t len = db_utf8_seq(p + i, n - i);
		if (len > 0) {
			i += len;
		} else if ((p[i] & 0xC0) == 0xC0 && n - i < 4) {
			/* a sequence cut off by a length limit: drop it */
			p[i] = '\0';
			break;
		} else {
			p[i++] = '?';
		}
	}
}

/* Fill e from a failed result (r may be NULL: the connection's message). */
static void
db_error(struct sink_err *e, PGconn *conn, const PGresult *r, const char *what)
{
	const char *msg = r ? PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY) : NULL;
	const char *detail = r ? PQresultErrorField(r, PG_DIAG_MESSAGE_DETAIL) : NULL;
	const char *context = r ? PQresultErrorField(r, PG_DIAG_CONTEXT) : NULL;
	/* e is this function's output: filling it is no use of what it held */
	// cppcheck-suppress ctuuninitvar
	snprintf(e->sqlstate, sizeof(e->sqlstate), "%s", sink_db_sqlstate(r));
	if (msg == NULL) {
		msg = PQerrorMessage(conn);
		detail = context = NULL;
	}
	/* the detail and context quote the row: enough of them to find it, not all */
	if (e->sqlstate[0])
		snprintf(e->msg, sizeof(e->msg), "%s failed (SQLSTATE %s): %s%s%.160s%s%.160s",
			 what, e->sqlstate, msg, detail ? "; " : "", detail ? detail : "",
			 context ? "; " : "", context ? context : "");
	else
		snprintf(e->msg, sizeof(e->msg), "%s failed: %s", what, msg);
	/* one line for the log and dead_letters.error: whitespace runs become one space */
	char *w = e->msg;
	for (const char *p = e->msg; *p; p++) {
		int space = *p == '\n' || *p == '\t' || *p == ' ';
		if (!space)
			*w++ = *p;
		else if (w > e->msg && w[-1] != ' ')
			*w++ = ' ';
	}
	while (w > e->msg && w[-1] == ' ')
		w--;
	*w = '\0';
	/* the limits above cut bytes, not characters */
	sink_db_utf8_clean(e->msg);
}

void
sink_db_fail(struct sink_err *e, const char *what, const char *msg)
{
	e->sqlstate[0] = '\0';
	snprintf(e->msg, sizeof(e->msg), "%s failed: %s", what, msg);
	sink_db_utf8_clean(e->msg);
}

int
sink_db_exec(PGconn *conn, const char *what, const char *sql, int nparams,
	     const char *const *params, PGresult **out, struct sink_err *e)
{
	PGresult *r = sink_db_query(conn, sql, nparams, params);
	ExecStatusType st = PQresultStatus(r);
	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
		db_error(e, conn, r, what);
		PQclear(r);
		return -1;
	}
	if (out)
		*out = r;
	else
		PQclear(r);
	return 0;
}

int
sink_db_copy(PGconn *conn, const char *what, const char *sql, const struct buf *rows,
	     struct sink_err *e)
{
	PGresult *r = db_results(conn, PQsendQuery(conn, sql));
	if (PQresultStatus(r) != PGRES_COPY_IN) {
		db_error(e, conn, r, what);
		PQclear(r);
		return -1;
	}
	PQclear(r);
	int failed = 0;
	if (db_put_copy(conn, rows) < 0) {
		db_error(e, conn, NULL, what);
		failed = 1;
	}
	/* drain every result until NULL, as libpq requires after COPY */
	while ((r = db_get_result(conn)) != NULL) {
		if (PQresultStatus(r) != PGRES_COMMAND_OK && !failed) {
			db_error(e, conn, r, what);
			failed = 1;
		}
		PQclear(r);
	}
	return failed ? -1 : 0;
}

long long *
sink_db_reserve_ids(PGconn *conn, const char *table, size_t n, struct sink_err *e)
{
	char count[32];
	PGresult *r;
	snprintf(count, sizeof(count), "%zu", n);
	const char *params[] = {table, count};
	if (sink_db_exec(conn, "reserving ids",
			 /* the sequence is looked up once (an InitPlan), not once a row */
			 "SELECT nextval((SELECT pg_get_serial_sequence($1, 'id')::regclass))"
			 " FROM generate_series(1, $2::int)",
			 2, params, &r, e) < 0)
		return NULL;
	if ((size_t)PQntuples(r) != n) {
		sink_db_fail(e, "reserving ids", "the server returned too few");
		PQclear(r);
		return NULL;
	}
	long long *ids = xcalloc(n + 1, sizeof(long long));
	for (size_t i = 0; i < n; i++)
		ids[i] = atoll(PQgetvalue(r, (int)i, 0));
	PQclear(r);
	return ids;
}

int
sink_db_transient(const struct sink_err *e)
{
	const char *s = e->sqlstate;
	return strncmp(s, "40", 2) == 0 || strncmp(s, "53", 2) == 0 || strncmp(s, "58", 2) == 0 ||
	       strcmp(s, "57014") == 0 || strcmp(s, "55P03") == 0;
}

int
sink_db_lost(PGconn *conn, const struct sink_err *e)
{
	if (PQstatus(conn) != CONNECTION_OK)
		return 1;
	/* 08: connection exception; 57P01..03: admin or crash shutdown, cannot connect now */
	return strncmp(e->sqlstate, "08", 2) == 0 || strncmp(e->sqlstate, "57P", 3) == 0;
}

const char *
sink_db_sqlstate(const PGresult *r)
{
	const char *s = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
	return s ? s : "";
}

int
sink_db_command(PGconn *conn, const char *what, const char *sql, int nparams,
		const char *const *params)
{
	PGresult *r = sink_db_query(conn, sql, nparams, params);
	ExecStatusType st = PQresultStatus(r);
	int ok = st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK;
	if (!ok) {
		const char *state = sink_db_sqlstate(r);
		log_warnx("%s failed%s%s%s: %s", what, *state ? " (SQLSTATE " : "", state,
			  *state ? ")" : "", PQerrorMessage(conn));
	}
	PQclear(r);
	return ok ? 0 : -1;
}

static int
db_applied_max(PGconn *conn)
{
	PGresult *r = PQexec(conn, "SELECT to_regclass('schema_migrations') IS NOT NULL");
	int have = PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1 &&
		   strcmp(PQgetvalue(r, 0, 0), "t") == 0;
	if (PQresultStatus(r) != PGRES_TUPLES_OK) {
		log_warnx("cannot read the schema version: %s", PQerrorMessage(conn));
		PQclear(r);
		return -1;
	}
	PQclear(r);
	if (!have)
		return 0;
	r = PQexec(conn, "SELECT coalesce(max(version), 0) FROM schema_migrations");
	int v = PQresultStatus(r) == PGRES_TUPLES_OK ? atoi(PQgetvalue(r, 0, 0)) : -1;
	if (v < 0)
		log_warnx("cannot read schema_migrations: %s", PQerrorMessage(conn));
	PQclear(r);
	return v;
}

int
sink_db_schema_behind(PGconn *conn)
{
	int v = db_applied_max(conn);
	if (v < 0)
		return -1;
	return v < migrations[migrations_count - 1].version;
}

int
sink_db_migrate(PGconn *conn)
{
	int rc = -1;

	if (sink_db_command(conn, "taking the migration lock",
			    "SELECT pg_advisory_lock(" MIGRATE_LOCK_KEY ")", 0, NULL) < 0)
		return -1;
	if (sink_db_command(conn, "creating schema_migrations",
			    "CREATE TABLE IF NOT EXISTS schema_migrations ("
			    " version integer PRIMARY KEY, name text NOT NULL,"
			    " applied_at timestamptz NOT NULL DEFAULT now())",
			    0, NULL) < 0)
		goto unlock;
	int have = db_applied_max(conn);
	if (have < 0)
		goto unlock;
	for (int i = 0; i < migrations_count; i++) {
		const struct migration *m = &migrations[i];
		if (m->version <= have)
			continue;
		char version[16];
		snprintf(version, sizeof(version), "%d", m->version);
		const char *params[] = {version, m->name};
		if (sink_db_command(conn, "BEGIN", "BEGIN", 0, NULL) < 0)
			goto unlock;
		PGresult *r = PQexec(conn, m->sql);
		if (PQresultStatus(r) != PGRES_COMMAND_OK) {
			const char *state = sink_db_sqlstate(r);
			log_warnx("migration %s failed%s%s%s: %s", m->name,
				  *state ? " (SQLSTATE " : "", state, *state ? ")" : "",
				  PQerrorMessage(conn));
			PQclear(r);
			PQclear(PQexec(conn, "ROLLBACK"));
			goto unlock;
		}
		PQclear(r);
		if (sink_db_command(conn, "recording a migration",
				    "INSERT INTO schema_migrations (version, name) VALUES ($1, $2)",
				    2, params) < 0 ||
		    sink_db_command(conn, "COMMIT", "COMMIT", 0, NULL) < 0) {
			PQclear(PQexec(conn, "ROLLBACK"));
			goto unlock;
		}
		log_info("applied migration %s", m->name);
	}
	rc = 0;
unlock:
	sink_db_command(conn, "releasing the migration lock",
			"SELECT pg_advisory_unlock(" MIGRATE_LOCK_KEY ")", 0, NULL);
	return rc;
}
