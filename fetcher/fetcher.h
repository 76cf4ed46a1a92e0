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
int fetcher_main(const struct config *cfg, const struct wire_endpoints *ep);

#endif
