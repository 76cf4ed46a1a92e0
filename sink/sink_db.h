/*
 * sink_db.h - connections and the schema: the only place reportpipe opens
 * a PostgreSQL connection.
 */
#ifndef RP_SINK_DB_H
#define RP_SINK_DB_H

#include "buf.h"

#include <libpq-fe.h>

/* A failed statement: what was being done, the server's message, its SQLSTATE. */
struct sink_err {
	char msg[1024];
	char sqlstate[6]; /* "" when the failure did not come from the server */
};

/* Connect; on failure log the server's reason (never the conninfo) and return NULL. */
PGconn *sink_db_connect(const char *conninfo);

/*
 * Connect without logging (reconnect loops); NULL with the reason in why.
 * Waits in poll(2) beside sig_fd(): gives up at once on SIGINT/SIGTERM, even
 * when the server accepted the connection and never answers.
 */
PGconn *sink_db_try_connect(const char *conninfo, char *why, size_t whylen);

/*
 * 1 when a failed connection's reason (as sink_db_try_connect gives it) will
 * not go away by waiting: no such database or role, a password or pg_hba.conf
 * refusal, a bad option. A configuration error (exit 78), not an outage (75).
 */
int sink_db_refused_for_good(const char *why);

/*
 * Connect for a stage that cannot start without the database: 0 with *out
 * set, else the exit code after logging why (EX_CONFIG when the refusal is
 * for good, EX_TEMPFAIL when waiting may help).
 */
int sink_db_open(const char *conninfo, PGconn **out);

/* PQerrorMessage on one line, without libpq's trailing newline (a per-thread buffer). */
const char *sink_db_message(const PGconn *conn);

/* Apply every migration not yet recorded, under an advisory lock. Returns 0 or -1 (logged). */
int sink_db_migrate(PGconn *conn);

/* 1 when some compiled-in migration is not applied yet, 0 when current, -1 on error. */
int sink_db_schema_behind(PGconn *conn);

/* Run a parameterised command expecting no rows. Returns 0 or -1 (logged with what). */
int sink_db_command(PGconn *conn, const char *what, const char *sql, int nparams,
		    const char *const *params);

/* how often a statement the server has not answered yet is told to the waiter */
#define SINK_DB_WAIT_TICK_MS 1000
/*
 * Told, every second a statement waits on the server, how long it has
 * waited so far (ms): the database is slow, not gone.
 */
typedef void (*sink_db_wait_fn)(void *arg, long long waited_ms);
/* The one waiter of the calling thread's statements (NULL: none). */
void sink_db_on_wait(sink_db_wait_fn fn, void *arg);

/*
 * PQexecParams, waiting for the server in poll(2) and telling the waiter
 * while it takes long. The last result (the caller clears it), or NULL
 * when the statement could not be sent. Every statement of a batch, a run
 * and a dead letter goes through it.
 */
PGresult *sink_db_query(PGconn *conn, const char *sql, int nparams, const char *const *params);
/* sink_db_query with PQexecParams' lengths and formats (binary parameters). */
PGresult *sink_db_query_formats(PGconn *conn, const char *sql, int nparams,
				const char *const *params, const int *lengths, const int *formats);

/* The SQLSTATE of a failed result, or "" */
const char *sink_db_sqlstate(const PGresult *r);

/*
 * Run a parameterised statement. Returns 0 (the result in *out when out is
 * not NULL, which the caller clears) or -1 with e filled; nothing is logged.
 */
int sink_db_exec(PGconn *conn, const char *what, const char *sql, int nparams,
		 const char *const *params, PGresult **out, struct sink_err *e);

/* COPY rows (text format) with sql ("COPY ... FROM STDIN"). Returns 0 or -1 with e filled. */
int sink_db_copy(PGconn *conn, const char *what, const char *sql, const struct buf *rows,
		 struct sink_err *e);

/* Reserve n ids of table's serial id column. Returns an owned array, or NULL with e filled. */
long long *sink_db_reserve_ids(PGconn *conn, const char *table, size_t n, struct sink_err *e);

/*
 * 1 when a failure means the connection is gone or the server is going away
 * (class 08, 57P0x): the work is kept, and tried again after reconnecting.
 */
int sink_db_lost(PGconn *conn, const struct sink_err *e);

/*
 * Make s valid UTF-8 in place, so that the database takes it as text: bytes
 * that start no valid sequence become '?', and a sequence cut off at the end
 * is dropped.
 */
void sink_db_utf8_clean(char *s);

/*
 * 1 when a refusal says nothing about the data: a deadlock or serialization
 * failure (class 40), insufficient resources such as a full disk (53), a
 * cancelled statement (57014), a lock not available (55P03), a system error
 * (58). Worth trying again after a pause before blaming a document.
 */
int sink_db_transient(const struct sink_err *e);

/* Fill e as "<what> failed: <message>" with no SQLSTATE. */
void sink_db_fail(struct sink_err *e, const char *what, const char *msg);

#endif
