/*
 * sink_indicators.h - the indicators table: the compiled-in dictionary
 * (common/indicators.h), written to the database so that SQL can join on it.
 */
#ifndef RP_SINK_INDICATORS_H
#define RP_SINK_INDICATORS_H

#include "buf.h"

#include <libpq-fe.h>

/* The dictionary as COPY rows of indicators (key, aliases, measures, units). */
void sink_indicators_rows(struct buf *out);

/*
 * Make the indicators table hold exactly the compiled-in dictionary, in one
 * transaction (safe beside another sink doing the same). Returns 0 or -1 (logged).
 */
int sink_indicators_sync(PGconn *conn);

#endif
