/*
 * fetcher_spool.h - group commit of fetched bodies into the spool.
 */
#ifndef RP_FETCHER_SPOOL_H
#define RP_FETCHER_SPOOL_H

#include <stddef.h>

struct fetcher_spool;

/* A body whose spool file is durable under its final name (or failed). */
struct fetcher_spooled {
	char *key;
	char *url;
	int failed; /* could not be written: a dead letter, not a job */
	int attempts;
	size_t len;
	const char *data; /* when it could not be written: the body, for the dead letter */
	char *held;	  /* the allocation data points into */
};

/* Start the committer for spool directory dir (which exists). NULL on failure (logged). */
struct fetcher_spool *fetcher_spool_new(const char *dir);

/*
 * Stop the committer, waiting for the batch in hand; bodies staged but not
 * committed are removed (they were never announced). Sets *s to NULL.
 */
void fetcher_spool_free(struct fetcher_spool **s);

/*
 * Hand a body over (copied) to be written in spool.h's format under a
 * temporary name, off the caller's thread; it becomes the spool file key
 * with the next group commit. 0, or -1 (logged) when it is refused (a
 * header with a newline); a body that cannot be written comes back from
 * fetcher_spool_next marked failed.
 */
int fetcher_spool_stage(struct fetcher_spool *s, const char *key, const char *url, int attempts,
			const char *header_json, const void *body, size_t len);

/* A descriptor that becomes readable when committed bodies are ready to take. */
int fetcher_spool_fd(const struct fetcher_spool *s);

/*
 * Take the next committed body (NULL when none); the caller frees it with
 * fetcher_spool_spooled_free. Only now may its job be dispatched.
 */
struct fetcher_spooled *fetcher_spool_next(struct fetcher_spool *s);
void fetcher_spool_spooled_free(struct fetcher_spooled **sp);

/* Bodies staged or being committed, not yet taken. */
int fetcher_spool_busy(struct fetcher_spool *s);

/* Group commits so far, and the ms they took in all (the committer's own time). */
void fetcher_spool_stats(struct fetcher_spool *s, long *commits, double *commit_ms);

#endif
