/*
 * sink_prep.h - RESULTs turned into COPY rows on a thread of their own.
 *
 * The sink's main thread waits on the database while a batch goes in.
 * Reading each parsed document and building its rows costs the sink about
 * as much CPU again, and done on that thread it would wait while the
 * database waits. Here it runs beside it: this thread owns the
 * results socket and hands over documents ready to store.
 */
#ifndef RP_SINK_PREP_H
#define RP_SINK_PREP_H

#include "sink_rows.h"
#include "wire.h"

#include <stddef.h>

/* One message from a parser, with its rows when it is a RESULT that checked out. */
struct sink_prepared {
	struct wire_msg m;
	struct sink_doc *doc;	     /* NULL unless a RESULT whose document is fit to store */
	const unsigned char *report; /* the report's bytes, borrowed from m.body */
	size_t report_len;
	char err[512]; /* why doc is NULL for a RESULT */
};

struct sink_prep;

/*
 * Start the thread on results (a socket of ctx it now owns, and closes).
 * At most `ahead` documents wait ready; past that the thread stops reading
 * and the parsers' results wait in their socket. NULL after a logged error.
 */
struct sink_prep *sink_prep_start(void *ctx, void *results, int ahead);

/* The socket that is readable (ZMQ_POLLIN) when a document is ready. */
void *sink_prep_socket(struct sink_prep *p);

/* The next ready message, or NULL when none is (never blocks). The caller frees it. */
struct sink_prepared *sink_prep_next(struct sink_prep *p);

void sink_prepared_free(struct sink_prepared **pp);

/* Stop the thread and free what it prepared that nobody took. */
void sink_prep_stop(struct sink_prep **pp);

#endif
