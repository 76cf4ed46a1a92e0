/*
 * spool.h - durable one-file-per-job storage of fetched bodies.
 *
 * A spool file is "RPSPOOL1\n" + one line of JSON (the job header) + "\n" +
 * the raw body. It is written to a temporary name, fsynced, renamed into place
 * and the directory fsynced, so a file under its final name is always whole
 * (Postfix's queue discipline). Files are mode 0600: bodies may be private.
 */
#ifndef RP_SPOOL_H
#define RP_SPOOL_H

#include <stddef.h>

#define SPOOL_NAME_LEN 64

/* Create dir (and parents) with mode 0700 if missing. Returns 0 or -1 (logged). */
int spool_ensure_dir(const char *dir);

/*
 * Write header_json and body in the spool format to a new temporary file in
 * dir (mode 0600) meant to become dir/name, fsyncing it when sync is set;
 * tmp and final (PATH_MAX each) get the two paths. Nothing is renamed: the
 * caller commits (spool_commit one by one, the fetcher in groups). Returns 0,
 * or -1 (logged) with nothing left behind.
 */
int spool_stage(const char *dir, const char *name, const char *header_json, const void *body,
		size_t body_len, int sync, char *tmp, char *final);

/* Durably write header_json and body as dir/name. Returns 0 or -1 (logged). */
int spool_commit(const char *dir, const char *name, const char *header_json, const void *body,
		 size_t body_len);

/*
 * Read dir/name back. On success *header and *body are malloc'd (caller frees;
 * body is NUL-terminated for convenience) and 0 is returned; -1 (logged) when
 * the file is missing or damaged.
 */
int spool_load(const char *dir, const char *name, char **header, unsigned char **body,
	       size_t *body_len);

/* Remove dir/name; a file already gone is not an error. Returns 0 or -1 (logged). */
int spool_remove(const char *dir, const char *name);

#endif
