/*
 * config.h - the loaded configuration, shared read-only by every stage.
 *
 * The loader refuses a bad file before anything starts: unknown sections or
 * keys, bad values and malformed source URLs are errors naming file:line.
 */
#ifndef RP_CONFIG_H
#define RP_CONFIG_H

#include <stddef.h>

struct source {
	char *name;
	char *url;
	int line; /* where the section starts, for later messages */
};

struct config {
	char *path; /* the file loaded, or "(built-in default)" */
	/* [database] */
	char *conninfo; /* "" means: libpq environment, else the project-local cluster */
	/* [pipeline] */
	int workers;
	char *state_dir;
	char *spool_dir;
	int lease_ms;
	int max_attempts;
	/* [fetch] */
	char *user_agent;
	int per_host_concurrency;
	int per_host_delay_ms;
	size_t max_bytes;
	int connect_timeout_ms;
	int timeout_ms;
	char *ca_file; /* NULL: the system bundle */
	/* [source "name"] */
	struct source *sources;
	size_t nsources;
};

#define CONFIG_BUILTIN "(built-in default)"

/*
 * Load path, or the built-in default when path is NULL. On error prints
 * "FILE:LINE: message" to stderr and returns NULL (the caller exits 78).
 */
struct config *config_load(const char *path);

/* The path to load: explicit, else $REPORTPIPE_CONFIG, else NULL (built-in). */
const char *config_choose_path(const char *explicit_path);

void config_free(struct config **cfg);

/* Parse "64MiB", "10MB", "512k", "1048576" into bytes; -1 when malformed. */
int config_parse_size(const char *text, size_t *out);

/* The bundled examples directory (next to the binary, or the installed copy). */
const char *config_examples_dir(void);

#endif
