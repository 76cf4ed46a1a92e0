/*
 * testutil.h - small helpers shared by the unit and integration tests.
 */
#ifndef RP_TESTUTIL_H
#define RP_TESTUTIL_H

#include <stddef.h>

/* Read a whole file; NULL when it cannot be read. Caller frees. *len may be NULL. */
char *testutil_read_file(const char *path, size_t *len);

/* Write len bytes to path; 0 or -1. */
int testutil_write_file(const char *path, const void *data, size_t len);

/* The reportpipe binary under test: $REPORTPIPE_BIN, else build/reportpipe. */
const char *testutil_bin(void);

/*
 * Run a shell command (printf-style) and capture its stdout and stderr
 * together. Returns the output (caller frees) and sets *rc to the exit code
 * (128 + signal when killed).
 */
char *testutil_run(int *rc, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/*
 * Start a throwaway PostgreSQL cluster in dir/pg (tests/it/pgtmp.sh: socket
 * only, as 'postgres' when root, so dir is made enterable) and write its
 * conninfo. Returns 0, or -1 after printing why.
 */
int testutil_pg_start(const char *dir, char *conninfo, size_t cap);

/* Stop the cluster testutil_pg_start made in dir/pg and remove dir. */
void testutil_pg_stop(const char *dir);

/*
 * The group set-up the sink's database tests share: make dir from its
 * mkdtemp template, start a cluster in it (testutil_pg_start) and read the
 * seed report into *seed (owned). 0, or -1 with the cluster stopped again:
 * cmocka skips the teardown of a failed set-up.
 */
int testutil_pg_group_setup(char *dir, char *conninfo, size_t cap, char **seed, size_t *seed_len);

/* Undo testutil_pg_group_setup: stop the cluster, remove dir, free *seed. */
void testutil_pg_group_teardown(const char *dir, char **seed);

/* Run sql that returns no rows on conninfo; 0, or -1 after printing why. */
int testutil_pg_exec(const char *conninfo, const char *sql);

/* The first column of the first row of sql as a long; fails the test on error. */
long testutil_query_long(const char *conninfo, const char *sql);

#endif
