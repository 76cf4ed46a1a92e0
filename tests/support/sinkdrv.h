/*
 * sinkdrv.h - drive a real sink from a test: sink_main() runs in a forked
 * child on ipc:// endpoints in a temporary directory, and the test plays the
 * parser (RESULT) and fetcher (ACK, FINISH) over real ZeroMQ sockets.
 * Also: throwaway databases in a tests/it/pgtmp.sh cluster, and stopping or
 * starting that cluster.
 */
#ifndef RP_SINKDRV_H
#define RP_SINKDRV_H

#include <json-c/json.h>
#include <limits.h>
#include <stddef.h>
#include <sys/types.h>

struct sinkdrv {
	char dir[PATH_MAX]; /* holds the ipc sockets and sink.log */
	char log[PATH_MAX]; /* the sink's stderr */
	pid_t pid;
	void *ctx;
	void *results;		   /* PUSH, as a parser worker */
	void *ctl;		   /* DEALER, as the fetcher: BEGIN, FINISH, and the ACKs */
	long long run_id;	   /* from the sink's BEGUN */
	struct json_object *acked; /* key -> last status */
	int nacks;		   /* acknowledgements received, repeats included */
};

/*
 * Start a sink writing to conninfo and open a run with it (BEGIN); its
 * sockets and log go in dir (created). 0 or -1.
 */
int sinkdrv_start(struct sinkdrv *d, const char *dir, const char *conninfo);

/*
 * Create database name in the cluster at base_conninfo (its conninfo in
 * out) and start a sink on it, its files in tmpdir/name. 0 or -1.
 */
int sinkdrv_start_db(struct sinkdrv *d, const char *base_conninfo, const char *tmpdir,
		     const char *name, char *out, size_t outlen);

/*
 * Send a RESULT: hdr (borrowed; the run's fields are added to it) is the
 * header with key, url, sha256 and doc. 0 or -1.
 */
int sinkdrv_send(struct sinkdrv *d, struct json_object *hdr, const void *body, size_t len);

/*
 * Append to out the RESULT body (common/proto.h) of body and the JSON
 * document doc packed value for value, as sinkdrv_send() sends it: a
 * document changed by hand reaches the sink exactly as changed.
 */
struct buf;
void sinkdrv_pack(struct json_object *doc, const void *body, size_t len, struct buf *out);

/* Receive acknowledgements until every key in keys[0..n) has one or timeout_ms passes. */
int sinkdrv_wait_acks(struct sinkdrv *d, const char *const *keys, size_t n, int timeout_ms);

/* The last status acknowledged for key ("stored", "duplicate", "failed"), or NULL. */
const char *sinkdrv_status(const struct sinkdrv *d, const char *key);

/* Receive whatever acknowledgements arrive within ms. */
void sinkdrv_pump(struct sinkdrv *d, int ms);

/*
 * Send FINISH, wait for the SUMMARY (returned, owned; NULL on timeout), and
 * reap the sink; *status is its exit code (or 128 + signal).
 */
struct json_object *sinkdrv_finish(struct sinkdrv *d, int *status);

/* Stop the sink (SIGTERM) if it still runs and close everything. Safe to call twice. */
void sinkdrv_close(struct sinkdrv *d);

/*
 * A RESULT header for body as the parser would send it: the parsed document
 * (parse_document) under "doc", with key, url and the body's sha256. Owned.
 */
struct json_object *sinkdrv_result(const char *key, const char *url, const void *body, size_t len);

/* The parsed document inside a RESULT header (borrowed). */
struct json_object *sinkdrv_doc(struct json_object *hdr);

/* Create database name in the cluster at base_conninfo; fill out with its conninfo. 0 or -1. */
int sinkdrv_createdb(const char *base_conninfo, const char *name, char *out, size_t outlen);

/* The first column of the first row of a query as a number; LONG_MIN (printed) on error. */
long sinkdrv_query_long(const char *conninfo, const char *sql);

/* pg_ctl stop -m fast or start the tests/it/pgtmp.sh cluster in pgdir. Exit code of pg_ctl. */
int sinkdrv_pg_ctl(const char *pgdir, const char *action);

/* Count the lines of file that contain needle. */
int sinkdrv_count_lines(const char *file, const char *needle);

#endif
