/*
 * run_dry.h - `reportpipe run --dry-run`: fetch and parse, store nothing.
 */
#ifndef RP_RUN_DRY_H
#define RP_RUN_DRY_H

#include "config.h"

/*
 * Fetch every source of cfg and parse each report in this process, compare
 * each with what the database at conninfo holds, and print per document
 * whether a run would store it (new, new version) or not (unchanged), with
 * the counts. Writes nothing anywhere. Returns 0, 1 when some fetch or
 * parse failed, 75 when the database is unreachable or on a stop signal.
 */
int run_dry(const struct config *cfg, const char *conninfo);

#endif
