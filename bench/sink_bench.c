/*
 * sink_bench.c - rows per second into PostgreSQL: through the sink, and
 * through `psql \copy` of the same rows from files, side by side in one run.
 *
 *   sink   N parsed documents of seed size (the seed report parsed once, sent
 *          N times under N URLs, each with a body of its own sha256) go over
 *          real ZeroMQ ipc sockets to a real sink (sink_main() in a forked
 *          child, as `reportpipe run` starts it), timed from the first RESULT
 *          sent to the last ACK received: batching, COPY, is_current, COMMIT.
 *   psql   the rows the sink stored are written to files with `psql \copy
 *          ... TO` (untimed), the tables emptied, and `psql -1` loads the
 *          files back with `\copy ... FROM` (timed): documents, documents_raw,
 *          sections, metrics: the same rows into the same tables.
 * Each round empties the tables first; rounds alternate sink and psql.
 *
 * Must never run against a database that holds anything of value: it
 * truncates every table. bench/sink_bench.sh gives it a throwaway cluster
 * (tests/it/pgtmp.sh). Must never be built with sanitizers.
 */
#include "buf.h"
#include "config.h"
#include "digest.h"
#include "doc.h"
#include "doc_pack.h"
#include "log.h"
#include "parse.h"
#include "sig.h"
#include "sink.h"
#include "sink_db.h"
#include "wire.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libpq-fe.h>
#include <msgpack.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#define KEY_PH "KKKKKKKKKKKKKKKK"
#define URL_PH "file:///bench/UUUUUUUU.txt"
#define BENCH_RUN "sink-bench" /* the bench's identity as a fetcher */
#define SHA_PH "SSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSS"

static const char *const tables[] = {"documents", "documents_raw", "sections_base", "metrics_base"};

struct bench {
	const char *conninfo;
	const char *work;
	int n;
	char *hdr; /* the RESULT header with placeholders */
	size_t hdr_len, key_at, url_at, sha_at;
	unsigned char *body; /* the seed, and room for a line of its own per document */
	size_t seed_len;
	struct buf doc;	   /* the seed's document, packed once (after the report in a RESULT) */
	size_t doc_at;	   /* where the document starts in doc */
	struct buf packed; /* one RESULT body: [report, document] */
};

static double
bench_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
bench_sql(const char *conninfo, const char *sql)
{
	PGconn *c = PQconnectdb(conninfo);
	PGresult *r = PQexec(c, sql);
	if (PQresultStatus(r) != PGRES_COMMAND_OK && PQresultStatus(r) != PGRES_TUPLES_OK) {
		fprintf(stderr, "sink_bench: %s: %s", sql, PQerrorMessage(c));
		exit(1);
	}
	PQclear(r);
	PQfinish(c);
}

static long
bench_count(const char *conninfo, const char *table)
{
	char sql[128];
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM %s", table);
	PGconn *c = PQconnectdb(conninfo);
	PGresult *r = PQexec(c, sql);
	long v = PQresultStatus(r) == PGRES_TUPLES_OK ? atol(PQgetvalue(r, 0, 0)) : -1;
	PQclear(r);
	PQfinish(c);
	return v;
}

static void
bench_empty(const char *conninfo)
{
	bench_sql(conninfo,
		  "TRUNCATE documents, documents_raw, sections_base, metrics_base, sources,"
		  " dead_letters, ingest_runs RESTART IDENTITY CASCADE");
	bench_sql(conninfo, "CHECKPOINT");
}

static size_t
bench_find(const char *hay, const char *needle)
{
	const char *p = strstr(hay, needle);
	if (p == NULL) {
		fprintf(stderr, "sink_bench: placeholder %s not found\n", needle);
		exit(1);
	}
	return (size_t)(p - hay);
}

/* Parse the seed once and make the header template. */
static void
bench_prepare(struct bench *b, const char *seed_path)
{
	FILE *f = fopen(seed_path, "rb");
	struct buf raw = {0};
	char chunk[65536], err[256];
	size_t got;
	if (f == NULL) {
		fprintf(stderr, "sink_bench: cannot open %s: %s\n", seed_path, strerror(errno));
		exit(1);
	}
	while ((got = fread(chunk, 1, sizeof(chunk), f)) > 0)
		buf_append(&raw, chunk, got);
	fclose(f);
	b->seed_len = raw.len;
	b->body = xmalloc(raw.len + 64);
	memcpy(b->body, raw.data, raw.len);
	buf_release(&raw);

	struct doc *doc = parse_document(b->body, b->seed_len, "text/plain", err, sizeof(err));
	if (doc == NULL) {
		fprintf(stderr, "sink_bench: cannot parse %s: %s\n", seed_path, err);
		exit(1);
	}
	struct json_object *h = json_object_new_object();
	json_object_object_add(h, "run", json_object_new_string(BENCH_RUN));
	json_object_object_add(h, "key", json_object_new_string(KEY_PH));
	json_object_object_add(h, "url", json_object_new_string(URL_PH));
	json_object_object_add(h, "sha256", json_object_new_string(SHA_PH));
	json_object_object_add(h, "content_type", json_object_new_string("text/plain"));
	/* the parser's RESULT body with an empty report: its document follows 0x92 0xc4 0x00 */
	doc_pack(doc, NULL, 0, &b->doc);
	b->doc_at = 3;
	printf("seed: %s, %zu bytes: %zu sections and %zu metrics per document\n", seed_path,
	       b->seed_len, doc->nsections, doc->nmetrics);
	doc_free(&doc);
	b->hdr = xstrdup(json_object_to_json_string_ext(h, JSON_C_TO_STRING_PLAIN |
							       JSON_C_TO_STRING_NOSLASHESCAPE));
	b->hdr_len = strlen(b->hdr);
	json_object_put(h);
	b->key_at = bench_find(b->hdr, KEY_PH);
	b->url_at = bench_find(b->hdr, URL_PH);
	b->sha_at = bench_find(b->hdr, SHA_PH);
}

static int
bench_write(void *data, const char *bytes, size_t len)
{
	buf_append(data, bytes, len);
	return 0;
}

/* Send document i as RESULT: the template patched in place, a body of its own. */
static int
bench_send(struct bench *b, void *sock, int i)
{
	char key[32], url[64], sha[DIGEST_HEX_LEN + 1];
	snprintf(key, sizeof(key), "%016d", i);
	snprintf(url, sizeof(url), "file:///bench/%08d.txt", i);
	size_t len =
	    b->seed_len + (size_t)snprintf((char *)b->body + b->seed_len, 64, "\n%08d\n", i);
	digest_sha256_hex(b->body, len, sha);
	memcpy(b->hdr + b->key_at, key, strlen(KEY_PH));
	memcpy(b->hdr + b->url_at, url, strlen(URL_PH));
	memcpy(b->hdr + b->sha_at, sha, strlen(SHA_PH));
	msgpack_packer pk;
	buf_reset(&b->packed);
	msgpack_packer_init(&pk, &b->packed, bench_write);
	msgpack_pack_array(&pk, 2);
	msgpack_pack_bin_with_body(&pk, b->body, len);
	buf_append(&b->packed, b->doc.data + b->doc_at, b->doc.len - b->doc_at);
	if (zmq_send(sock, WIRE_VERSION, strlen(WIRE_VERSION), ZMQ_SNDMORE) < 0 ||
	    zmq_send(sock, "RESULT", 6, ZMQ_SNDMORE) < 0 ||
	    zmq_send(sock, b->hdr, b->hdr_len, ZMQ_SNDMORE) < 0 ||
	    zmq_send(sock, b->packed.data, b->packed.len, 0) < 0)
		return -1;
	return 0;
}

/*
 * One sink round: N documents in, every ACK back. Returns the seconds it
 * took; the sink's transactions and CPU seconds go in the out parameters.
 */
static double
bench_sink(struct bench *b, long *transactions, double *cpu)
{
	char dir[256];
	struct wire_endpoints ep;
	snprintf(dir, sizeof(dir), "%s/ipc", b->work);
	mkdir(dir, 0755);
	wire_endpoints_ipc(&ep, dir);
	fflush(NULL);
	pid_t pid = fork();
	if (pid == 0) {
		char log[300];
		snprintf(log, sizeof(log), "%s/sink.log", b->work);
		int fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0644);
		if (fd >= 0) {
			dup2(fd, 2);
			close(fd);
		}
		struct config cfg = {0};
		sig_reset();
		sig_install(0);
		log_init("sink", 0);
		_exit(sink_main(&cfg, b->conninfo, &ep, 1));
	}
	void *ctx = zmq_ctx_new();
	void *results = wire_open(ctx, ZMQ_PUSH, &ep.results, 0, NULL, NULL);
	void *ctl = wire_open(ctx, ZMQ_DEALER, &ep.ctl, 0, NULL, BENCH_RUN);
	if (results == NULL || ctl == NULL)
		exit(1);
	/* the run is opened before the clock starts: BEGIN waits for the sink's start-up */
	struct wire_msg begun;
	zmq_pollitem_t bit = {ctl, 0, ZMQ_POLLIN, 0};
	if (wire_send(ctl, NULL, 0, "BEGIN", NULL, NULL, 0) < 0 || zmq_poll(&bit, 1, 60000) != 1 ||
	    wire_recv(ctl, 0, &begun) != 0) {
		fprintf(stderr, "sink_bench: the sink did not begin a run\n");
		exit(1);
	}
	long long run_id = wire_int(&begun, "run_id", 0);
	wire_msg_release(&begun);
	int sent = 0, acked = 0, failed = 0;
	double t0 = bench_now();
	/* send while the sink takes them, read acknowledgements as they come */
	while (acked < b->n) {
		zmq_pollitem_t it[] = {{ctl, 0, ZMQ_POLLIN, 0}, {results, 0, ZMQ_POLLOUT, 0}};
		if (zmq_poll(it, sent < b->n ? 2 : 1, 60000) <= 0) {
			fprintf(stderr, "sink_bench: stalled at %d sent, %d acknowledged\n", sent,
				acked);
			exit(1);
		}
		if (sent < b->n && (it[1].revents & ZMQ_POLLOUT)) {
			if (bench_send(b, results, sent) < 0) {
				fprintf(stderr, "sink_bench: send: %s\n", zmq_strerror(errno));
				exit(1);
			}
			sent++;
		}
		struct wire_msg m;
		while (wire_recv_nowait(ctl, 0, &m) == 0) {
			acked++;
			failed += strcmp(wire_str(&m, "status", ""), "stored") != 0;
			wire_msg_release(&m);
		}
	}
	double took = bench_now() - t0;
	if (failed) {
		fprintf(stderr, "sink_bench: %d documents were not stored (see %s/sink.log)\n",
			failed, b->work);
		exit(1);
	}
	struct json_object *fin = json_object_new_object();
	json_object_object_add(fin, "run", json_object_new_string(BENCH_RUN));
	json_object_object_add(fin, "run_id", json_object_new_int64(run_id));
	wire_send(ctl, NULL, 0, "FINISH", fin, NULL, 0);
	json_object_put(fin);
	zmq_pollitem_t it = {ctl, 0, ZMQ_POLLIN, 0};
	*transactions = -1;
	if (zmq_poll(&it, 1, 60000) == 1) {
		struct wire_msg m;
		if (wire_recv(ctl, 0, &m) == 0) {
			*transactions = wire_int(&m, "transactions", -1);
			wire_msg_release(&m);
		}
	}
	int st;
	struct rusage ru;
	wait4(pid, &st, 0, &ru);
	*cpu = (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
	       ru.ru_stime.tv_usec / 1e6;
	zmq_close(results);
	zmq_close(ctl);
	zmq_ctx_term(ctx);
	return took;
}

/*
 * The columns of table that a COPY can write: a generated one
 * (sections_base.sort_key) is the database's to fill, in both directions.
 */
static char *
bench_columns(const char *conninfo, const char *table)
{
	PGconn *c = PQconnectdb(conninfo);
	const char *p[] = {table};
	PGresult *r = PQexecParams(c,
				   "SELECT string_agg(column_name, ', ' ORDER BY ordinal_position)"
				   " FROM information_schema.columns WHERE table_schema = 'public'"
				   " AND table_name = $1 AND is_generated = 'NEVER'",
				   1, NULL, p, NULL, NULL, 0);
	if (PQresultStatus(r) != PGRES_TUPLES_OK || PQgetisnull(r, 0, 0)) {
		fprintf(stderr, "sink_bench: the columns of %s: %s", table, PQerrorMessage(c));
		exit(1);
	}
	char *cols = xstrdup(PQgetvalue(r, 0, 0));
	PQclear(r);
	PQfinish(c);
	return cols;
}

/*
 * The psql command that copies every table TO files or FROM them, with
 * the columns looked up here, once: the timed run is psql's alone. Owned.
 */
static char *
bench_psql_command(const struct bench *b, const char *direction)
{
	struct buf cmd = {0};
	buf_printf(&cmd, "psql -X -q -v ON_ERROR_STOP=1 -d '%s'%s", b->conninfo,
		   strcmp(direction, "FROM") == 0 ? " -1" : "");
	for (size_t i = 0; i < sizeof(tables) / sizeof(tables[0]); i++) {
		char *cols = bench_columns(b->conninfo, tables[i]);
		if (strcmp(direction, "TO") == 0)
			buf_printf(&cmd,
				   " -c \"\\copy (SELECT %s FROM %s ORDER BY 1) TO '%s/%s.copy'\"",
				   cols, tables[i], b->work, tables[i]);
		else
			buf_printf(&cmd, " -c \"\\copy %s (%s) FROM '%s/%s.copy'\"", tables[i],
				   cols, b->work, tables[i]);
		free(cols);
	}
	return buf_take(&cmd);
}

/* utime + stime (+ cutime + cstime with children) of pid in seconds, from /proc; -1 if gone. */
static double
bench_proc_cpu(long pid, int children, long *ppid)
{
	char path[64], text[1024];
	unsigned long ut, st;
	long cut, cst;
	snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
	FILE *f = fopen(path, "r");
	if (f == NULL)
		return -1;
	size_t n = fread(text, 1, sizeof(text) - 1, f);
	fclose(f);
	text[n] = '\0';
	const char *p = strrchr(text, ')');
	if (p == NULL ||
	    sscanf(p + 2, "%*c %ld %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu %ld %ld", ppid, &ut,
		   &st, &cut, &cst) != 5)
		return -1;
	double t = (double)(ut + st) + (children ? (double)(cut + cst) : 0);
	return t / (double)sysconf(_SC_CLK_TCK);
}

/*
 * CPU seconds the whole PostgreSQL cluster has used: the postmaster with the
 * backends it reaped, and the processes it still runs. 0 without a pid file.
 */
static double
bench_server_cpu(const char *pidfile)
{
	long pm = 0, ppid;
	FILE *f = pidfile ? fopen(pidfile, "r") : NULL;
	if (f == NULL)
		return 0;
	if (fscanf(f, "%ld", &pm) != 1)
		pm = 0;
	fclose(f);
	double total = pm > 0 ? bench_proc_cpu(pm, 1, &ppid) : -1;
	if (total < 0)
		return 0;
	DIR *d = opendir("/proc");
	struct dirent *de;
	while (d && (de = readdir(d)) != NULL) {
		long pid = atol(de->d_name);
		double t;
		if (pid > 0 && pid != pm && (t = bench_proc_cpu(pid, 0, &ppid)) >= 0 && ppid == pm)
			total += t;
	}
	if (d)
		closedir(d);
	return total;
}

static int
bench_cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

int
main(int argc, char **argv)
{
	struct bench b = {0};
	int rounds = 3;
	if (argc < 4) {
		fprintf(stderr, "usage: sink_bench CONNINFO WORKDIR SEED [N] [ROUNDS] [PIDFILE]\n");
		return 2;
	}
	const char *pidfile = argc > 6 ? argv[6] : NULL; /* the cluster's postmaster.pid */
	b.conninfo = argv[1];
	b.work = argv[2];
	b.n = argc > 4 ? atoi(argv[4]) : 2000;
	rounds = argc > 5 ? atoi(argv[5]) : 3;
	log_init("sink_bench", 0);
	log_set_level(LOG_LEVEL_WARN);
	bench_prepare(&b, argv[3]);

	PGconn *c = sink_db_connect(b.conninfo);
	if (c == NULL || sink_db_migrate(c) < 0)
		return 1;
	PQfinish(c);

	char *copy_to = bench_psql_command(&b, "TO"), *copy_from = bench_psql_command(&b, "FROM");
	double sink_s[16], psql_s[16], sink_srv[16], psql_srv[16];
	long rows = 0, all_rows = 0, tx = 0;
	double cpu = 0;
	if (rounds > 16)
		rounds = 16;
	for (int r = 0; r < rounds; r++) {
		bench_empty(b.conninfo);
		double srv0 = bench_server_cpu(pidfile);
		sink_s[r] = bench_sink(&b, &tx, &cpu);
		sink_srv[r] = bench_server_cpu(pidfile) - srv0;
		long sec = bench_count(b.conninfo, "sections"),
		     met = bench_count(b.conninfo, "metrics");
		long docs = bench_count(b.conninfo, "documents");
		if (docs != b.n) {
			fprintf(stderr, "sink_bench: %ld documents stored, want %d\n", docs, b.n);
			return 1;
		}
		rows = sec + met;
		all_rows = rows + 2 * docs;
		if (r == 0 && system(copy_to) != 0)
			return 1;
		bench_empty(b.conninfo);
		srv0 = bench_server_cpu(pidfile);
		double t0 = bench_now();
		if (system(copy_from) != 0)
			return 1;
		psql_s[r] = bench_now() - t0;
		psql_srv[r] = bench_server_cpu(pidfile) - srv0;
		if (bench_count(b.conninfo, "sections") + bench_count(b.conninfo, "metrics") !=
		    rows) {
			fprintf(stderr, "sink_bench: psql loaded a different number of rows\n");
			return 1;
		}
		printf("round %d: sink %.3f s (%ld transactions; CPU: sink %.2f s, server %.2f s),"
		       " psql \\copy %.3f s (server CPU %.2f s); %ld section+metric rows\n",
		       r + 1, sink_s[r], tx, cpu, sink_srv[r], psql_s[r], psql_srv[r], rows);
		fflush(stdout);
	}
	qsort(sink_s, (size_t)rounds, sizeof(double), bench_cmp_double);
	qsort(psql_s, (size_t)rounds, sizeof(double), bench_cmp_double);
	qsort(sink_srv, (size_t)rounds, sizeof(double), bench_cmp_double);
	qsort(psql_srv, (size_t)rounds, sizeof(double), bench_cmp_double);
	double sm = sink_s[rounds / 2], pm = psql_s[rounds / 2];
	printf("result docs=%d rows=%ld all_rows=%ld rounds=%d sink_median_s=%.3f"
	       " sink_best_s=%.3f psql_median_s=%.3f psql_best_s=%.3f sink_rows_per_s=%.0f"
	       " psql_rows_per_s=%.0f ratio=%.2f sink_server_cpu_s=%.2f psql_server_cpu_s=%.2f\n",
	       b.n, rows, all_rows, rounds, sm, sink_s[0], pm, psql_s[0], rows / sm, rows / pm,
	       pm / sm, sink_srv[rounds / 2], psql_srv[rounds / 2]);
	free(copy_to);
	free(copy_from);
	free(b.hdr);
	free(b.body);
	return 0;
}
