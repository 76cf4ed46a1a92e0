/*
 * sink_db.c - connect and migrate.
 *
 * Every statement here is either a constant compiled into the binary or
 * parameterised: no SQL is ever built from data.
 */
#include "sink_db.h"
#include "log.h"
#include "migrations.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* pg_advisory_lock key for migrations: "rpmg" */
#define MIGRATE_LOCK_KEY "1919970663"

PGconn *
sink_db_connect(const char *conninfo)
{
	PGconn *c = PQconnectdb(conninfo);
	if (PQstatus(c) != CONNECTION_OK) {
		char msg[512];
		snprintf(msg, sizeof(msg), "%s", PQerrorMessage(c));
		msg[strcspn(msg, "\n")] = '\0';
		log_warnx("database unreachable: %s", msg);
		PQfinish(c);
		return NULL;
	}
	PQclear(PQexec(c, "SET client_min_messages = warning"));
	return c;
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
	PGresult *r = PQexecParams(conn, sql, nparams, NULL, params, NULL, NULL, 0);
	ExecStatusType st = PQresultStatus(r);
	int ok = st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK;
	if (!ok)
		log_warnx("%s failed (SQLSTATE %s): %s", what, sink_db_sqlstate(r),
			  PQerrorMessage(conn));
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
			log_warnx("migration %s failed (SQLSTATE %s): %s", m->name,
				  sink_db_sqlstate(r), PQerrorMessage(conn));
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
