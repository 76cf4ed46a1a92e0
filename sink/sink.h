/*
 * sink.h - the sink stage: parsed documents in, PostgreSQL rows and
 * acknowledgements out.
 */
#ifndef RP_SINK_H
#define RP_SINK_H

#include "config.h"
#include "wire.h"

/*
 * Run the sink until the fetcher says FINISH (or a stop signal). conninfo is
 * what sink_localdb_conninfo() chose. The run's summary (its counts, and the
 * transactions the documents took) is written as one JSON line to summary_fd
 * (-1: nowhere). Returns a sysexits.h code: 0, or 75 when the database is
 * unreachable at start.
 */
int sink_main(const struct config *cfg, const char *conninfo, const struct wire_endpoints *ep,
	      int summary_fd);

#endif
