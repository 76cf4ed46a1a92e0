/*
 * sink.h - the sink stage: parsed documents in, PostgreSQL rows and
 * acknowledgements out.
 */
#ifndef RP_SINK_H
#define RP_SINK_H

#include "config.h"
#include "wire.h"

/*
 * Serve runs: store what the parsers send, acknowledge each job to its
 * fetcher, record each run in ingest_runs (BEGIN ... FINISH). conninfo is
 * what localdb_conninfo() chose. With oneshot (a `run`'s own sink) it
 * ends after the first FINISH, else at a stop signal. Returns a sysexits.h
 * code: 0, or 75 when the database is unreachable at start.
 */
int sink_main(const struct config *cfg, const char *conninfo, const struct wire_endpoints *ep,
	      int oneshot);

#endif
