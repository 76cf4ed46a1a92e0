/*
 * sink_db.h - connections and the schema: the only place reportpipe opens
 * a PostgreSQL connection.
 */
#ifndef RP_SINK_DB_H
#define RP_SINK_DB_H

#include <libpq-fe.h>

/* Connect; on failure log the server's reason (never the conninfo) and return NULL. */
PGconn *sink_db_connect(const char *conninfo);

/* Apply every migration not yet recorded, under an advisory lock. Returns 0 or -1 (logged). */
int sink_db_migrate(PGconn *conn);

/* 1 when some compiled-in migration is not applied yet, 0 when current, -1 on error. */
int sink_db_schema_behind(PGconn *conn);

/* Run a parameterised command expecting no rows. Returns 0 or -1 (logged with what). */
int sink_db_command(PGconn *conn, const char *what, const char *sql, int nparams,
		    const char *const *params);

/* The SQLSTATE of a failed result, or "" */
const char *sink_db_sqlstate(const PGresult *r);

#endif
