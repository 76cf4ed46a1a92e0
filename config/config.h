/*
 * config.h - the loaded configuration, shared read-only by every stage.
 *
 * The loader refuses a bad file before anything starts: unknown sections or
 * keys, bad values and malformed source URLs are errors naming file:line.
 */
#ifndef RP_CONFIG_H
#define RP_CONFIG_H

#include <stddef.h>

#define SOURCE_MAX_LINKS 1000 /* the default of max_links */

/*
 * How a source's reports are parsed. Every field is a string the parser
 * gets in the job header: fetcher_job_options[] (fetcher_jobs.c) names each
 * one's key, and tests/unit/fetcher_job_test fails when a field here has no
 * entry there, so an option cannot be parsed from the config and then lost.
 */
struct source_parse {
	char *content_xpath; /* override the HTML main-content extraction */
};

struct source {
	char *name;
	char *url;	    /* a report; exactly one of url and index is set */
	char *index;	    /* an index page whose links lead to reports */
	char *link_pattern; /* POSIX ERE on a link's text or URL (index sources) */
	char *next_pattern; /* POSIX ERE finding the next index page's link */
	int max_pages;	    /* index pages to follow, the first included */
	int max_links;	    /* report links taken from one index page; 0: SOURCE_MAX_LINKS */
	char **allow_hosts; /* hosts besides the index's own that links may lead to */
	size_t nallow_hosts;
	int robots;		   /* obey robots.txt (default 1) */
	struct source_parse parse; /* what the parser gets with each of its jobs */
	int line;		   /* where the section starts, for later messages */
};

struct config {
	char *path; /* the file loaded, or "(built-in default)" */
	/* [database] */
	char *conninfo;	    /* "" means: libpq environment, else the project-local cluster */
	int outage_timeout; /* seconds a run waits for a database that went away (0: forever) */
	/* [pipeline] */
	int workers;
	char *state_dir;
	char *spool_dir;
	int lease_ms;
	int max_attempts;
	int stale_after;      /* seconds; `db status` fails when the last run is older (0: off) */
	int parse_timeout_ms; /* a worker longer on one report is stopped and replaced */
	int drain_timeout;    /* seconds the first signal leaves in-flight jobs to finish */
	char *metrics_file;   /* Prometheus textfile written after each run; "" none */
	/* [fetch] */
	char *user_agent;
	int per_host_concurrency;
	int per_host_delay_ms;
	size_t max_bytes;
	int connect_timeout_ms;
	int timeout_ms;
	int low_speed_bytes;	/* abort a transfer slower than this ... */
	int low_speed_seconds;	/* ... for this long */
	int max_connections;	/* concurrent transfers in all */
	int max_retries;	/* retries of one URL after a transient failure */
	int retry_budget;	/* retries in one run, all URLs together */
	int retry_max_delay_ms; /* the backoff's cap (and Retry-After's) */
	char *ca_file;		/* NULL: the system bundle */
	/* [network]: tcp:// endpoints of the stages run apart (fetch, parser, sink) */
	char *jobs_bind, *jobs_connect;	      /* the fetcher's job socket */
	char *results_bind, *results_connect; /* the sink's result socket */
	char *control_bind, *control_connect; /* the sink's control socket */
	char *curve_secret_key;		      /* Z85; "" means no CURVE */
	char *curve_server_key;		      /* Z85 public key of the binding side */
	char *curve_client_keys;	      /* Z85 public keys accepted besides our own */
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

/*
 * The path to load: explicit, else $REPORTPIPE_CONFIG, else for an installed
 * binary SYSCONFDIR/reportpipe/reportpipe.conf (SYSCONFDIR replaced by
 * $REPORTPIPE_SYSCONFDIR when set), else NULL (the built-in default) in a
 * checkout. Borrowed: valid until the next call.
 */
const char *config_choose_path(const char *explicit_path);

void config_free(struct config **cfg);

/*
 * For the commands that fetch: warn when cfg has no source ("nothing to
 * fetch"); a config for the other stages needs none. Returns cfg->nsources.
 */
size_t config_check_sources(const struct config *cfg);

/* Parse "64MiB", "10MB", "512k", "1048576" into bytes; -1 when malformed. */
int config_parse_size(const char *text, size_t *out);

/* Every key the loader accepts, "section.key" ("source.url" for sources); NULL-terminated. */
const char *const *config_known_keys(void);

/* The bundled examples directory (next to the binary, or the installed copy). */
const char *config_examples_dir(void);

#endif
