/*
 * cmd_db.c - `reportpipe db migrate|status|url|stop`.
 *
 * status only reads, and never creates the local cluster (it starts one that
 * exists); migrate only applies the migrations compiled in. Must never print
 * the conninfo except for `db url`, which exists to print it.
 */
#include "cmd.h"
#include "cmd_opts.h"
#include "config.h"
#include "log.h"
#include "sink_db.h"
#include "sink_indicators.h"
#include "localdb.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

static void
db_usage(FILE *fp)
{
	fputs("usage: reportpipe db [-c FILE] COMMAND\n"
	      "\n"
	      "commands:\n"
	      "  migrate   apply the schema migrations (idempotent, advisory-locked)\n"
	      "  status    show the schema version, the last runs with their counts and\n"
	      "            how many dead letters are waiting; exit 0 when healthy, 1 when\n"
	      "            the last run failed (with dead letters still waiting), is older\n"
	      "            than stale_after, or no run is recorded, 69 when there is no\n"
	      "            database (none configured and no local cluster) or its schema\n"
	      "            is not migrated, 75 when the database is unreachable\n"
	      "  url       print the conninfo in use: psql \"$(reportpipe db url)\"\n"
	      "            (starts the project-local cluster when that is the database)\n"
	      "  stop      stop the project-local PostgreSQL cluster\n",
	      fp);
}

/* The schema version applied, and the newest one this binary ships. */
static int
db_status_schema(PGconn *conn)
{
	PGresult *r = PQexec(conn, "SELECT to_regclass('schema_migrations') IS NOT NULL");
	int have = PQresultStatus(r) == PGRES_TUPLES_OK && strcmp(PQgetvalue(r, 0, 0), "t") == 0;
	if (PQresultStatus(r) != PGRES_TUPLES_OK) {
		log_warnx("cannot read the schema version: %s", PQerrorMessage(conn));
		PQclear(r);
		return -1;
	}
	PQclear(r);
	if (!have) {
		printf("schema: not migrated (run: reportpipe db migrate)\n");
		return 0;
	}
	r = PQexec(conn, "SELECT coalesce(max(version), 0), (SELECT name FROM schema_migrations"
			 " ORDER BY version DESC LIMIT 1) FROM schema_migrations");
	if (PQresultStatus(r) != PGRES_TUPLES_OK) {
		log_warnx("cannot read schema_migrations: %s", PQerrorMessage(conn));
		PQclear(r);
		return -1;
	}
	int behind = sink_db_schema_behind(conn);
	printf("schema version: %s (%s)%s\n", PQgetvalue(r, 0, 0), PQgetvalue(r, 0, 1),
	       behind > 0 ? "; behind this binary: run reportpipe db migrate" : "");
	PQclear(r);
	return 1;
}

/*
 * Exit 1 when no run is recorded, when the last run failed and some of its
 * dead letters still wait (not acknowledged, nothing of the URL stored
 * since), or when it finished longer than stale_after seconds ago (0: no
 * age check), so that monitoring can alert on it. Before 002 (no view of
 * the waiting letters) every letter of a failed run waits.
 */
static int
db_status_health(PGconn *conn, int stale_after, int have_view)
{
	char secs[32];
	snprintf(secs, sizeof(secs), "%d", stale_after);
	const char *params[] = {secs};
	/* the age check, and how many of the last run's letters wait */
	static const char *const sql[] = {
	    "SELECT status, coalesce(extract(epoch FROM now() - coalesce(finished_at,"
	    " started_at))::bigint, 0) > $1::int AND $1::int > 0, r.failed"
	    " FROM ingest_runs r ORDER BY id DESC LIMIT 1",
	    "SELECT status, coalesce(extract(epoch FROM now() - coalesce(finished_at,"
	    " started_at))::bigint, 0) > $1::int AND $1::int > 0,"
	    " (SELECT count(*) FROM dead_letters_waiting w WHERE w.run_id = r.id)"
	    " FROM ingest_runs r ORDER BY id DESC LIMIT 1",
	};
	PGresult *r = PQexecParams(conn, sql[have_view != 0], 1, NULL, params, NULL, NULL, 0);
	int rc = 0;
	if (PQresultStatus(r) != PGRES_TUPLES_OK) {
		log_warnx("cannot read ingest_runs: %s", PQerrorMessage(conn));
		rc = EX_SOFTWARE;
	} else if (PQntuples(r) == 0) {
		printf("health: no run recorded yet\n");
		rc = 1;
	} else if (strcmp(PQgetvalue(r, 0, 0), "failed") == 0 &&
		   strcmp(PQgetvalue(r, 0, 2), "0") != 0) {
		printf("health: the last run failed (%s of its dead letters waiting)\n",
		       PQgetvalue(r, 0, 2));
		rc = 1;
	} else if (strcmp(PQgetvalue(r, 0, 1), "t") == 0) {
		printf("health: the last run is older than stale_after (%ds)\n", stale_after);
		rc = 1;
	} else if (strcmp(PQgetvalue(r, 0, 0), "failed") == 0) {
		printf("health: ok (the last run's dead letters are settled: acknowledged, or"
		       " stored since)\n");
	} else {
		printf("health: ok\n");
	}
	PQclear(r);
	return rc;
}

static int
db_status(PGconn *conn, int stale_after)
{
	int migrated = db_status_schema(conn);
	if (migrated <= 0)
		return migrated < 0 ? EX_SOFTWARE : EX_UNAVAILABLE;
	PGresult *r =
	    PQexec(conn, "SELECT (SELECT count(*) FROM documents),"
			 " (SELECT count(*) FROM documents WHERE is_current),"
			 " (SELECT count(*) FROM sections), (SELECT count(*) FROM metrics)");
	if (PQresultStatus(r) == PGRES_TUPLES_OK)
		printf("stored: %s documents (%s current), %s sections, %s metrics\n",
		       PQgetvalue(r, 0, 0), PQgetvalue(r, 0, 1), PQgetvalue(r, 0, 2),
		       PQgetvalue(r, 0, 3));
	PQclear(r);
	/* waiting: no document of that URL was stored after the letter (002's view) */
	r = PQexec(conn, "SELECT to_regclass('dead_letters_waiting') IS NOT NULL");
	int have_view =
	    PQresultStatus(r) == PGRES_TUPLES_OK && strcmp(PQgetvalue(r, 0, 0), "t") == 0;
	PQclear(r);
	r = PQexec(conn, have_view ? "SELECT (SELECT count(*) FROM dead_letters_waiting),"
				     " (SELECT count(*) FROM dead_letters)"
				   : "SELECT count(*), count(*) FROM dead_letters");
	if (PQresultStatus(r) != PGRES_TUPLES_OK) {
		log_warnx("cannot read dead_letters: %s", PQerrorMessage(conn));
		PQclear(r);
		return EX_SOFTWARE;
	}
	printf(
	    "dead letters waiting: %s (%s recorded in all; SELECT * FROM dead_letters_waiting)\n",
	    PQgetvalue(r, 0, 0), PQgetvalue(r, 0, 1));
	PQclear(r);
	/* name came with migration 006: read through jsonb, so that an older schema shows none */
	r = PQexec(conn, "SELECT id, to_char(started_at, 'YYYY-MM-DD HH24:MI:SS'), status, fetched,"
			 " unchanged, parsed, stored, duplicates, failed,"
			 " coalesce(to_jsonb(ir)->>'name', '-')"
			 " FROM ingest_runs ir ORDER BY id DESC LIMIT 10");
	if (PQresultStatus(r) != PGRES_TUPLES_OK) {
		log_warnx("cannot read ingest_runs: %s", PQerrorMessage(conn));
		PQclear(r);
		return EX_SOFTWARE;
	}
	printf("last runs:\n");
	printf("%6s  %-19s  %-8s %7s %9s %6s %6s %10s %6s  %s\n", "run", "started", "status",
	       "fetched", "unchanged", "parsed", "stored", "duplicates", "failed", "name");
	for (int i = 0; i < PQntuples(r); i++)
		printf("%6s  %-19s  %-8s %7s %9s %6s %6s %10s %6s  %s\n", PQgetvalue(r, i, 0),
		       PQgetvalue(r, i, 1), PQgetvalue(r, i, 2), PQgetvalue(r, i, 3),
		       PQgetvalue(r, i, 4), PQgetvalue(r, i, 5), PQgetvalue(r, i, 6),
		       PQgetvalue(r, i, 7), PQgetvalue(r, i, 8), PQgetvalue(r, i, 9));
	PQclear(r);
	return db_status_health(conn, stale_after, have_view);
}

int
cmd_db(int argc, char **argv)
{
	static const struct cmd_spec spec = {"db", db_usage, 1, 1, {{0}}};
	const char *config_path;
	int stop = cmd_start(argc, argv, &spec, &config_path, NULL);
	if (stop >= 0)
		return stop;
	const char *sub = argv[optind];
	if (strcmp(sub, "migrate") != 0 && strcmp(sub, "status") != 0 && strcmp(sub, "url") != 0 &&
	    strcmp(sub, "stop") != 0) {
		fprintf(stderr, "reportpipe db: unknown command '%s'\n\n", sub);
		db_usage(stderr);
		return EX_USAGE;
	}
	log_init("db", 0);
	struct config *cfg = config_load(config_choose_path(config_path));
	if (cfg == NULL)
		return EX_CONFIG;

	int rc = 0;
	if (strcmp(sub, "stop") == 0) {
		rc = localdb_stop(cfg) == 0 ? 0 : EX_SOFTWARE;
		config_free(&cfg);
		return rc;
	}
	/* status reports on a database; it does not make one (migrate and run do) */
	if (strcmp(sub, "status") == 0 && localdb_wanted(cfg) && !localdb_exists(cfg)) {
		printf("no database: none is configured ([database] conninfo, PGHOST, PGDATABASE)"
		       " and the local cluster of state_dir %s does not exist (reportpipe db"
		       " migrate creates it)\n",
		       cfg->state_dir);
		config_free(&cfg);
		return EX_UNAVAILABLE;
	}
	char *conninfo = localdb_conninfo(cfg, 1);
	if (conninfo == NULL) {
		config_free(&cfg);
		return EX_TEMPFAIL;
	}
	if (strcmp(sub, "url") == 0) {
		puts(conninfo);
	} else {
		PGconn *conn = sink_db_connect(conninfo);
		if (conn == NULL)
			rc = EX_TEMPFAIL;
		else if (strcmp(sub, "migrate") == 0)
			rc = sink_db_migrate(conn) == 0 && sink_indicators_sync(conn) == 0
				 ? 0
				 : EX_SOFTWARE;
		else
			rc = db_status(conn, cfg->stale_after);
		PQfinish(conn);
	}
	free(conninfo);
	config_free(&cfg);
	return rc;
}
