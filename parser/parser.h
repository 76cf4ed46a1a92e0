/*
 * parser.h - the parser stage: jobs in, parsed documents out.
 */
#ifndef RP_PARSER_H
#define RP_PARSER_H

#include "config.h"
#include "wire.h"

/* Ask the fetcher for jobs and send each parsed result to the sink until a stop signal. */
int parser_main(const struct config *cfg, const struct wire_endpoints *ep);

#endif
