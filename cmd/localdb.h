/*
 * localdb.h - the project-local PostgreSQL cluster used when no
 * database is configured.
 */
#ifndef RP_LOCALDB_H
#define RP_LOCALDB_H

#include "config.h"

#include <libpq-fe.h>

/* True when cfg names no database: empty conninfo and no PGHOST/PGDATABASE. */
int localdb_wanted(const struct config *cfg);

/*
 * The conninfo to use for cfg: the configured one, "" for the libpq
 * environment, or the local cluster's (created and started when start is
 * set). Returns an owned string, or NULL after logging why.
 */
char *localdb_conninfo(const struct config *cfg, int start);

/* A connection to cfg's database (the local cluster created and started if need be), or NULL after
 * logging why. */
PGconn *localdb_connect(const struct config *cfg);

/*
 * 1 when the local cluster has been created (it may be stopped), 0 when it
 * has not. Creates nothing, not even the state directory.
 */
int localdb_exists(const struct config *cfg);

/* Stop the local cluster if it runs. Returns 0, or -1 (logged). */
int localdb_stop(const struct config *cfg);

/* Where the local cluster's data directory is (owned string), for messages. */
char *localdb_datadir(const struct config *cfg);

/*
 * Connect to cfg's database for a command that only reads or settles what
 * runs stored (dead-letters, report): it must exist, with the schema this
 * binary ships. 0 with *out set; else an exit code, after saying why
 * (EX_UNAVAILABLE: no database, or its schema is behind; EX_TEMPFAIL:
 * unreachable; EX_SOFTWARE: a schema newer than this binary). A local
 * cluster that exists but is stopped is started; none is ever created.
 */
int localdb_open_existing(const struct config *cfg, PGconn **out);

#endif
