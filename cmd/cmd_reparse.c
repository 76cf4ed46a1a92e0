/*
 * cmd_reparse.c - `reportpipe reparse`: the stored raw documents through the
 * current parser again, each one's sections and metrics replaced in one
 * transaction.
 *
 * Reads documents one at a time, so memory stays at one document whatever
 * the database holds. A document the parser now refuses keeps its old rows.
 * Must never touch documents_raw, the document keys (url, sha256) or
 * is_current: a reparse changes what was read from a body, not which bodies
 * were stored.
 */
#include "cmd.h"
#include "cmd_opts.h"
#include "config.h"
#include "doc.h"
#include "doc_json.h"
#include "doc_pack.h"
#include "log.h"
#include "parse.h"
#include "sig.h"
#include "sink_db.h"
#include "localdb.h"
#include "reparse.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

struct reparse_counts {
	long replaced, failed, gone;
};

static void
reparse_usage(FILE *fp)
{
	fprintf(
	    fp,
	    "usage: reportpipe reparse [-c FILE] [--below-version N] [-q|--quiet] [-v|--verbose]\n"
	    "\n"
	    "Run the stored raw documents (documents_raw) through the current parser\n"
	    "(version %d) again. For each one, in one transaction, its sections and\n"
	    "metrics are replaced and its title, issuer, year, date, text and\n"
	    "parser_version updated; nothing of the old parse is left behind.\n"
	    "\n"
	    "  --below-version N   only documents whose parser_version is below N\n"
	    "                      (default: all of them)\n"
	    "\n"
	    "Exit 0 when every document was reparsed, 1 when some could not be (they\n"
	    "keep their rows; see the log), 75 when the database is unreachable.\n",
	    PARSER_VERSION);
}

/* Parse one stored document and replace its rows. Returns 0, or -1 when the connection is lost. */
static int
reparse_one(PGconn *conn, long long id, struct reparse_counts *c)
{
	struct reparse_doc d;
	struct sink_err e;
	char err[256];

	int got = reparse_load(conn, id, &d, &e);
	if (got != 0) {
		if (got < 0 && sink_db_lost(conn, &e))
			return -1;
		if (got < 0) {
			log_warnx("document %lld: %s", id, e.msg);
			c->failed++;
		} else {
			c->gone++;
		}
		return 0;
	}
	struct parse_options opts = {.content_type = d.content_type, .link_text = d.link_text};
	struct doc *doc = parse_document_opts(d.body, d.body_len, &opts, err, sizeof(err));
	if (doc == NULL) {
		log_warnx("url=%s (document %lld) cannot be parsed now: %s; its rows stay", d.url,
			  id, err);
		c->failed++;
		reparse_doc_release(&d);
		return 0;
	}
	doc->url = xstrdup(d.url);
	doc->sha256 = xstrdup(d.sha256);
	struct json_object *json = doc_to_json(doc);
	struct buf packed = {0};
	doc_pack(doc, NULL, 0, &packed);
	doc_free(&doc);
	enum store_result r =
	    reparse_replace(conn, id, json, (const unsigned char *)packed.data, packed.len, &e);
	buf_release(&packed);
	json_object_put(json);
	int rc = 0;
	switch (r) {
	case STORE_STORED:
		c->replaced++;
		log_debug("url=%s (document %lld) reparsed", d.url, id);
		break;
	case STORE_DUPLICATE:
		c->gone++;
		break;
	case STORE_REJECTED:
		log_warnx("url=%s (document %lld) not replaced: %s", d.url, id, e.msg);
		c->failed++;
		break;
	case STORE_RETRY:
		log_warnx("the database went away while reparsing document %lld: %s", id, e.msg);
		rc = -1;
		break;
	}
	reparse_doc_release(&d);
	return rc;
}

int
cmd_reparse(int argc, char **argv)
{
	int below = 0, quiet = 0, verbose = 0;
	const struct cmd_spec spec = {"reparse",
				      reparse_usage,
				      0,
				      0,
				      {{"below-version", 0, CMD_OPT_POSITIVE, &below},
				       {"quiet", 'q', CMD_OPT_FLAG, &quiet},
				       {"verbose", 'v', CMD_OPT_FLAG, &verbose}}};
	struct config *cfg;
	int stop = cmd_start(argc, argv, &spec, NULL, &cfg);
	if (stop >= 0)
		return stop;
	log_set_level(verbose ? LOG_LEVEL_DEBUG : quiet ? LOG_LEVEL_WARN : LOG_LEVEL_INFO);
	PGconn *conn = localdb_connect(cfg);
	config_free(&cfg);
	if (conn == NULL)
		return EX_TEMPFAIL;

	int rc = EX_SOFTWARE;
	int behind = sink_db_schema_behind(conn);
	if (behind < 0 || (behind && sink_db_migrate(conn) < 0))
		goto out;
	sig_install(0);

	long long *ids;
	struct sink_err e;
	long n = reparse_list(conn, below, &ids, &e);
	if (n < 0) {
		log_warnx("%s", e.msg);
		rc = sink_db_lost(conn, &e) ? EX_TEMPFAIL : EX_SOFTWARE;
		goto out;
	}
	struct reparse_counts c = {0};
	rc = 0;
	for (long i = 0; i < n && !sig_stop; i++) {
		if (reparse_one(conn, ids[i], &c) < 0) {
			rc = EX_TEMPFAIL;
			break;
		}
	}
	free(ids);
	if (!quiet || c.failed || rc)
		printf("reportpipe: reparse with parser version %d: %ld of %ld document%s"
		       " replaced, %ld failed%s\n",
		       PARSER_VERSION, c.replaced, n, n == 1 ? "" : "s", c.failed,
		       sig_stop ? " (stopped)" : "");
	if (rc == 0 && (c.failed || sig_stop))
		rc = 1;
out:
	PQfinish(conn);
	return rc;
}
