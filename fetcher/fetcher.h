/*
 * fetcher.h - the fetcher stage: sources in, spooled jobs leased to parsers.
 */
#ifndef RP_FETCHER_H
#define RP_FETCHER_H

#include "config.h"
#include "wire.h"

/*
 * Fetch every source, spool each new body, lease jobs to parser workers and
 * wait until each is acknowledged by the sink or dead-lettered; then tell the
 * sink FINISH. Returns a sysexits.h code.
 */
/* How the fetcher of one run talks to what started it. */
struct fetcher_io {
	const char *run_name; /* this run's identity on the sink's control socket; unique */
	int status_fd;	      /* progress and summary JSON lines for the supervisor; -1: none */
	int deaths_fd;	      /* "pid status" lines: parser workers that died; -1: none */
};

/*
 * One run: BEGIN with the sink, fetch every source, lease the jobs, and end
 * with FINISH once every job is settled, or, on a stop signal, once the jobs
 * in flight are (drain_timeout at most). Returns 0 when the sink confirmed
 * the end of the run, 75 when the sink could not be reached, else 70.
 */
int fetcher_main(const struct config *cfg, const struct wire_endpoints *ep,
		 const struct fetcher_io *io);

#endif
