/*
 * sink_write.h - parsed documents into PostgreSQL, several to a transaction.
 */
#ifndef RP_SINK_WRITE_H
#define RP_SINK_WRITE_H

#include "sink_db.h"
#include "sink_rows.h"

#include <libpq-fe.h>
#include <stddef.h>

enum store_result {
	STORE_STORED,	 /* committed: stored, or an earlier version made current again */
	STORE_DUPLICATE, /* (url, sha256) was already stored; nothing written */
	STORE_REJECTED,	 /* the database refused the transaction: it was rolled back */
	STORE_RETRY,	 /* the connection failed: keep the work, reconnect, try again */
};

/* One document of a batch: its rows, its raw body, and what became of it. */
struct sink_write_item {
	const struct sink_doc *doc;
	const unsigned char *body; /* may be NULL: stored as empty */
	size_t body_len;
	enum store_result outcome; /* STORED or DUPLICATE once the batch committed */
};

/*
 * Store items[0..n) in one transaction: their document rows (idempotent on
 * url and sha256), raw bodies, sections and metrics by COPY, and is_current.
 * Returns STORE_STORED once COMMIT succeeded (each item's outcome is then set),
 * STORE_REJECTED when the database refused the batch (rolled back; e says
 * why), or STORE_RETRY when the connection is gone.
 */
enum store_result sink_write_batch(PGconn *conn, struct sink_write_item *items, size_t n,
				   struct sink_err *e);

/*
 * COPY the sections and metrics of items[i] under document ids[i] (0: skip
 * it), section ids reserved from the sequence so metrics can name theirs.
 * Inside the caller's transaction. Returns 0, or -1 with e filled.
 */
int sink_write_tree(PGconn *conn, const struct sink_write_item *items, size_t n,
		    const long long *ids, struct sink_err *e);

/* A dead letter: what failed, where, why, and the body when there is one. */
struct sink_letter {
	long long run_id; /* 0: no run known */
	const char *url;
	const char *source; /* the source's name; NULL when the sender did not know it */
	const char *stage;  /* "fetch", "parse" or "store" */
	const char *error;
	const char *sqlstate; /* NULL or "": not the database's refusal */
	int attempts;
	const unsigned char *body; /* NULL: none */
	size_t body_len;
};

/* What sink_write_dead_letter found, beside recording the letter. */
enum {
	LETTER_KNOWN = 1,  /* it was acknowledged: known dead, the run does not fail for it */
	LETTER_REPEAT = 2, /* this run recorded it already: a letter sent again */
};

/*
 * Record a dead letter: one row per url, stage and cause (migration 004),
 * whose count (the runs that saw it fail) and last_seen grow when it fails
 * again. Returns LETTER_ flags, or -1 (logged) with e filled so the caller
 * can tell a lost connection.
 */
int sink_write_dead_letter(PGconn *conn, const struct sink_letter *l, struct sink_err *e);

#endif
