/*
 * cmd_dead_letters.c - `reportpipe dead-letters list|ack|retry`: what failed
 * for good, and what a person decided about it.
 *
 * A dead letter is one row per URL and cause (migration 004). ack settles
 * letters: they stop waiting, db status stops counting them, and while they
 * stay acknowledged the same failure is known dead and does not fail a run.
 * retry takes an acknowledgement back: the letters wait again, and the next
 * run, which fetches every URL it finds anyway, either stores the URL (the
 * letter is then settled) or fails for it again. Must never create a
 * database, and never delete a letter: the history stays queryable.
 */
#include "cmd.h"
#include "cmd_opts.h"
#include "buf.h"
#include "config.h"
#include "log.h"
#include "sink_db.h"
#include "localdb.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

static void
dl_usage(FILE *fp)
{
	fputs("usage: reportpipe dead-letters [-c FILE] [list [--all]]\n"
	      "       reportpipe dead-letters [-c FILE] ack ID...|--all\n"
	      "       reportpipe dead-letters [-c FILE] retry ID...|--all\n"
	      "\n"
	      "A dead letter is a URL that failed for good, one per URL and cause (the\n"
	      "stage, and the HTTP status, error class or SQLSTATE), with how often and\n"
	      "when it last failed.\n"
	      "\n"
	      "commands:\n"
	      "  list      the letters waiting (the default); --all: every letter, with its state\n"
	      "  ack       settle letters: they stop waiting, db status is healthy again, and\n"
	      "            the same failure no longer fails a run (known dead), until a\n"
	      "            document of the URL is stored\n"
	      "  retry     take an acknowledgement back: the letters wait again, and the\n"
	      "            next run tries their URLs again (as it does every URL it finds)\n"
	      "\n"
	      "Run `reportpipe dead-letters COMMAND --help` for one command.\n"
	      "Exit 0 when done, 64 usage, 65 an ID names no dead letter (nothing was\n"
	      "changed), 69 no database or the schema is behind (reportpipe db migrate),\n"
	      "75 database unreachable, 78 bad config.\n",
	      fp);
}

static void
dl_usage_of(const char *sub, FILE *fp)
{
	if (strcmp(sub, "list") == 0)
		fputs("usage: reportpipe dead-letters [-c FILE] list [--all]\n"
		      "\n"
		      "List the dead letters waiting: not acknowledged, and no document of\n"
		      "their URL stored since they last failed. With --all, every letter and\n"
		      "its state (waiting, acknowledged, stored since). Each shows its ID,\n"
		      "stage, count, when it was last seen, its source, URL and latest error.\n",
		      fp);
	else if (strcmp(sub, "ack") == 0)
		fputs("usage: reportpipe dead-letters [-c FILE] ack ID...|--all\n"
		      "\n"
		      "Acknowledge dead letters (--all: every one waiting). They stop waiting;\n"
		      "db status no longer counts them against the last run; a later failure\n"
		      "of the same URL for the same cause is counted as known dead, and a run\n"
		      "whose only failures are known dead exits 0. A document of the URL\n"
		      "stored later ends the acknowledgement.\n",
		      fp);
	else
		fputs("usage: reportpipe dead-letters [-c FILE] retry ID...|--all\n"
		      "\n"
		      "Take the acknowledgement of dead letters back (--all: every one\n"
		      "acknowledged). They wait again; the next run fetches their URLs again,\n"
		      "as it does every URL it finds: stored, the letter is settled; failed,\n"
		      "the run fails for it again.\n",
		      fp);
}

/*
 * The IDs of argv as a PostgreSQL bigint[] literal in out. Returns 0, or -1
 * after saying which argument is not an ID.
 */
static int
dl_ids(int argc, char **argv, struct buf *out)
{
	buf_putc(out, '{');
	for (int i = 0; i < argc; i++) {
		char *end;
		long long id = strtoll(argv[i], &end, 10);
		if (end == argv[i] || *end != '\0' || id <= 0) {
			fprintf(stderr, "reportpipe dead-letters: '%s' is not a dead letter ID\n",
				argv[i]);
			return -1;
		}
		buf_printf(out, "%s%lld", i ? "," : "", id);
	}
	buf_putc(out, '}');
	return 0;
}

static int
dl_list(PGconn *conn, int all)
{
	PGresult *r = PQexec(
	    conn, all ? "SELECT dl.id, dl.stage, dl.count,"
			" to_char(dl.last_seen, 'YYYY-MM-DD HH24:MI:SS'), coalesce(dl.source, '-'),"
			" dl.url, dl.error, CASE WHEN w.id IS NOT NULL THEN 'waiting'"
			" WHEN dl.acked_at IS NOT NULL THEN 'acknowledged' ELSE 'stored since' END"
			" FROM dead_letters dl LEFT JOIN dead_letters_waiting w ON w.id = dl.id"
			" ORDER BY dl.last_seen DESC, dl.id DESC"
		      : "SELECT id, stage, count, to_char(last_seen, 'YYYY-MM-DD HH24:MI:SS'),"
			" coalesce(source, '-'), url, error, 'waiting' FROM dead_letters_waiting"
			" ORDER BY last_seen DESC, id DESC");
	if (PQresultStatus(r) != PGRES_TUPLES_OK) {
		log_warnx("cannot read the dead letters: %s", PQerrorMessage(conn));
		PQclear(r);
		return EX_SOFTWARE;
	}
	if (PQntuples(r) == 0) {
		printf(all ? "no dead letters\n" : "no dead letters waiting\n");
		PQclear(r);
		return 0;
	}
	printf("%6s  %-5s  %5s  %-19s  %-12s  %s\n", "id", "stage", "count", "last seen", "state",
	       "source / url / error");
	for (int i = 0; i < PQntuples(r); i++)
		printf("%6s  %-5s  %5s  %-19s  %-12s  %s\n%*s%s\n%*s%s\n", PQgetvalue(r, i, 0),
		       PQgetvalue(r, i, 1), PQgetvalue(r, i, 2), PQgetvalue(r, i, 3),
		       PQgetvalue(r, i, 7), PQgetvalue(r, i, 4), 56, "", PQgetvalue(r, i, 5), 56,
		       "", PQgetvalue(r, i, 6));
	PQclear(r);
	return 0;
}

/* Say which of ids (a bigint[] literal) name no letter. Returns how many, or -1. */
static int
dl_unknown(PGconn *conn, const char *ids)
{
	const char *p[] = {ids};
	PGresult *r =
	    PQexecParams(conn,
			 "SELECT w.id FROM unnest($1::bigint[]) AS w(id)"
			 " WHERE NOT EXISTS (SELECT 1 FROM dead_letters d WHERE d.id = w.id)",
			 1, NULL, p, NULL, NULL, 0);
	if (PQresultStatus(r) != PGRES_TUPLES_OK) {
		log_warnx("cannot read the dead letters: %s", PQerrorMessage(conn));
		PQclear(r);
		return -1;
	}
	int n = PQntuples(r);
	for (int i = 0; i < n; i++)
		fprintf(stderr, "reportpipe dead-letters: no dead letter has ID %s\n",
			PQgetvalue(r, i, 0));
	PQclear(r);
	return n;
}

/* ack or retry the letters of ids (NULL: --all). */
static int
dl_settle(PGconn *conn, int ack, const char *ids)
{
	static const char *const sql[2][2] = {
	    /* retry: by IDs, every acknowledged one */
	    {"UPDATE dead_letters SET acked_at = NULL"
	     " WHERE id = ANY($1::bigint[]) AND acked_at IS NOT NULL",
	     "UPDATE dead_letters SET acked_at = NULL WHERE acked_at IS NOT NULL"},
	    /* ack: by IDs, every waiting one */
	    {"UPDATE dead_letters SET acked_at = now()"
	     " WHERE id = ANY($1::bigint[]) AND acked_at IS NULL",
	     "UPDATE dead_letters SET acked_at = now()"
	     " WHERE id IN (SELECT id FROM dead_letters_waiting)"},
	};
	if (ids) {
		int unknown = dl_unknown(conn, ids);
		if (unknown != 0)
			return unknown < 0 ? EX_SOFTWARE : EX_DATAERR;
	}
	const char *p[] = {ids};
	PGresult *r = PQexecParams(conn, sql[ack][ids == NULL], ids ? 1 : 0, NULL, ids ? p : NULL,
				   NULL, NULL, 0);
	if (PQresultStatus(r) != PGRES_COMMAND_OK) {
		log_warnx("cannot %s the dead letters: %s", ack ? "acknowledge" : "retry",
			  PQerrorMessage(conn));
		PQclear(r);
		return EX_SOFTWARE;
	}
	long n = atol(PQcmdTuples(r));
	PQclear(r);
	if (ack)
		printf("acknowledged %ld dead letter%s\n", n, n == 1 ? "" : "s");
	else
		printf("%ld dead letter%s waiting again: the next run tries %s\n", n,
		       n == 1 ? "" : "s", n == 1 ? "its URL" : "their URLs");
	return 0;
}

int
cmd_dead_letters(int argc, char **argv)
{
	const char *config_path, *sub = "list";
	int all = 0, help = 0;
	/* --help is taken here: the help of a subcommand follows its name */
	const struct cmd_spec spec = {
	    "dead-letters",
	    dl_usage,
	    0,
	    -1,
	    {{"all", 0, CMD_OPT_FLAG, &all}, {"help", 'h', CMD_OPT_FLAG, &help}}};
	int stop = cmd_start(argc, argv, &spec, &config_path, NULL);
	if (stop >= 0)
		return stop;
	int named = optind < argc;
	if (named)
		sub = argv[optind++];
	int known =
	    strcmp(sub, "list") == 0 || strcmp(sub, "ack") == 0 || strcmp(sub, "retry") == 0;
	if (!known) {
		fprintf(stderr, "reportpipe dead-letters: unknown command '%s'\n\n", sub);
		dl_usage(stderr);
		return EX_USAGE;
	}
	if (help) {
		if (named)
			dl_usage_of(sub, stdout);
		else
			dl_usage(stdout);
		return 0;
	}
	int nids = argc - optind, is_list = strcmp(sub, "list") == 0;
	if ((is_list && nids > 0) || (!is_list && (nids > 0) == all)) {
		dl_usage_of(sub, stderr);
		return EX_USAGE;
	}
	struct buf ids = {0};
	if (nids > 0 && dl_ids(nids, argv + optind, &ids) < 0) {
		buf_release(&ids);
		return EX_USAGE;
	}

	log_init("dead-letters", 0);
	struct config *cfg = config_load(config_choose_path(config_path));
	if (cfg == NULL) {
		buf_release(&ids);
		return EX_CONFIG;
	}
	PGconn *conn;
	int rc = localdb_open_existing(cfg, &conn);
	if (rc == 0) {
		if (is_list)
			rc = dl_list(conn, all);
		else
			rc = dl_settle(conn, strcmp(sub, "ack") == 0, nids > 0 ? ids.data : NULL);
		PQfinish(conn);
	}
	buf_release(&ids);
	config_free(&cfg);
	return rc;
}
