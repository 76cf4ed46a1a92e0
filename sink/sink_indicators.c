/*
 * sink_indicators.c - write the indicator dictionary to the indicators table.
 *
 * The table is a copy of the data compiled into this binary, refreshed each
 * time the sink starts and at `db migrate`, so that it never disagrees with
 * the keys the parser gives. Must never build SQL from the dictionary: rows
 * go in by COPY.
 */
#include "sink_indicators.h"
#include "indicators.h"
#include "log.h"
#include "sink_db.h"
#include "sink_rows.h"

#include <string.h>

/* A space-separated list as a COPY field holding a text[] literal: {"a","b"}. */
static void
indicators_array(struct buf *out, const char *list)
{
	struct buf lit = {0};
	buf_putc(&lit, '{');
	for (const char *p = list; *p;) {
		size_t n = strcspn(p, " ");
		if (n > 0) {
			if (lit.len > 1)
				buf_putc(&lit, ',');
			/* the embed script refuses '"' and '\\', so quoting is enough */
			buf_putc(&lit, '"');
			buf_append(&lit, p, n);
			buf_putc(&lit, '"');
		}
		p += n;
		while (*p == ' ')
			p++;
	}
	buf_putc(&lit, '}');
	buf_putc(&lit, '\0');
	sink_rows_field(out, lit.data);
	buf_release(&lit);
}

void
sink_indicators_rows(struct buf *out)
{
	for (size_t i = 0; i < indicators_len; i++) {
		const struct indicator *ind = &indicators[i];
		sink_rows_field(out, ind->key);
		buf_putc(out, '\t');
		indicators_array(out, ind->aliases);
		buf_putc(out, '\t');
		indicators_array(out, ind->measures);
		buf_putc(out, '\t');
		indicators_array(out, ind->units);
		buf_putc(out, '\n');
	}
}

int
sink_indicators_sync(PGconn *conn)
{
	struct buf rows = {0};
	struct sink_err e = {0};
	int rc = -1;

	sink_indicators_rows(&rows);
	if (sink_db_exec(conn, "BEGIN", "BEGIN", 0, NULL, NULL, &e) < 0)
		goto fail;
	if (sink_db_exec(conn, "staging the indicators",
			 "CREATE TEMP TABLE indicators_new (LIKE indicators) ON COMMIT DROP", 0,
			 NULL, NULL, &e) < 0 ||
	    sink_db_copy(conn, "copying the indicators",
			 "COPY indicators_new (key, aliases, measures, units) FROM STDIN", &rows,
			 &e) < 0 ||
	    sink_db_exec(conn, "storing the indicators",
			 "INSERT INTO indicators SELECT * FROM indicators_new"
			 " ON CONFLICT (key) DO UPDATE SET aliases = EXCLUDED.aliases,"
			 " measures = EXCLUDED.measures, units = EXCLUDED.units"
			 " WHERE (indicators.aliases, indicators.measures, indicators.units)"
			 " IS DISTINCT FROM (EXCLUDED.aliases, EXCLUDED.measures, EXCLUDED.units)",
			 0, NULL, NULL, &e) < 0 ||
	    sink_db_exec(conn, "removing indicators no longer known",
			 "DELETE FROM indicators i WHERE NOT EXISTS"
			 " (SELECT 1 FROM indicators_new n WHERE n.key = i.key)",
			 0, NULL, NULL, &e) < 0 ||
	    sink_db_exec(conn, "COMMIT", "COMMIT", 0, NULL, NULL, &e) < 0) {
		PQclear(PQexec(conn, "ROLLBACK"));
		goto fail;
	}
	rc = 0;
	goto out;
fail:
	log_warnx("cannot write the indicator dictionary: %s", e.msg);
out:
	buf_release(&rows);
	return rc;
}
