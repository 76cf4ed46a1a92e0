/*
 * sinkdrv.c - a real sink in a child process, driven over real ZeroMQ.
 *
 * The child runs sink_main() exactly as `reportpipe run` does, with the same
 * signal handling; the test process holds the parser's and the fetcher's
 * ends of the sockets. Must never talk to the database on the sink's behalf:
 * whatever reaches PostgreSQL goes through the sink.
 */
#include "sinkdrv.h"
#include "buf.h"
#include "config.h"
#include "digest.h"
#include "doc_json.h"
#include "log.h"
#include "parse.h"
#include "sig.h"
#include "sink.h"
#include "monotime.h"
#include "testutil.h"
#include "wire.h"

#include <errno.h>
#include <fcntl.h>
#include <libpq-fe.h>
#include <msgpack.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#define DRV_RUN_NAME "sinkdrv"

int
sinkdrv_start(struct sinkdrv *d, const char *dir, const char *conninfo)
{
	struct wire_endpoints ep;

	memset(d, 0, sizeof(*d));
	snprintf(d->dir, sizeof(d->dir), "%s", dir);
	snprintf(d->log, sizeof(d->log), "%s/sink.log", dir);
	if ((mkdir(dir, 0755) < 0 && errno != EEXIST) || wire_endpoints_ipc(&ep, dir) < 0)
		return -1;
	fflush(NULL);
	d->pid = fork();
	if (d->pid < 0)
		return -1;
	if (d->pid == 0) {
		int fd = open(d->log, O_WRONLY | O_CREAT | O_APPEND, 0644);
		if (fd >= 0) {
			dup2(fd, 2);
			close(fd);
		}
		struct config cfg = {0};
		sig_reset();
		sig_install(0);
		log_init("sink", 0);
		log_set_level(LOG_LEVEL_DEBUG);
		_exit(sink_main(&cfg, conninfo, &ep, 1));
	}
	d->ctx = zmq_ctx_new();
	d->acked = json_object_new_object();
	d->results = wire_open(d->ctx, ZMQ_PUSH, &ep.results, 0, NULL, NULL);
	d->ctl = wire_open(d->ctx, ZMQ_DEALER, &ep.ctl, 0, NULL, DRV_RUN_NAME);
	if (d->results == NULL || d->ctl == NULL) {
		fprintf(stderr, "sinkdrv: cannot set up sockets: %s\n", zmq_strerror(errno));
		sinkdrv_close(d);
		return -1;
	}
	/* the sink records the run before anything else is sent in it */
	struct wire_msg m;
	long long until = monotime_ms() + 60000;
	wire_send(d->ctl, NULL, 0, "BEGIN", NULL, NULL, 0);
	while (d->run_id == 0 && monotime_ms() < until) {
		zmq_pollitem_t it = {d->ctl, 0, ZMQ_POLLIN, 0};
		if (zmq_poll(&it, 1, 200) < 0 && errno != EINTR)
			break;
		if ((it.revents & ZMQ_POLLIN) && wire_recv(d->ctl, 0, &m) == 0) {
			if (strcmp(m.type, "BEGUN") == 0)
				d->run_id = wire_int(&m, "run_id", 0);
			wire_msg_release(&m);
		}
	}
	if (d->run_id == 0) {
		fprintf(stderr, "sinkdrv: the sink did not begin a run (see %s)\n", d->log);
		sinkdrv_close(d);
		return -1;
	}
	return 0;
}

static void
drv_add_run(const struct sinkdrv *d, struct json_object *hdr)
{
	json_object_object_add(hdr, "run", json_object_new_string(DRV_RUN_NAME));
	json_object_object_add(hdr, "run_id", json_object_new_int64(d->run_id));
}

static int
drv_write(void *data, const char *bytes, size_t len)
{
	buf_append(data, bytes, len);
	return 0;
}

/*
 * Pack v as MessagePack, value for value: the tests change the JSON
 * document by hand (a bad level, a measure left out), and the sink must see
 * exactly that change, not what the parser would have written.
 */
static void
drv_pack_json(msgpack_packer *pk, struct json_object *v)
{
	switch (json_object_get_type(v)) {
	case json_type_null:
		msgpack_pack_nil(pk);
		break;
	case json_type_boolean:
		if (json_object_get_boolean(v))
			msgpack_pack_true(pk);
		else
			msgpack_pack_false(pk);
		break;
	case json_type_int:
		msgpack_pack_int64(pk, json_object_get_int64(v));
		break;
	case json_type_double:
		msgpack_pack_double(pk, json_object_get_double(v));
		break;
	case json_type_string:
		msgpack_pack_str_with_body(pk, json_object_get_string(v),
					   (size_t)json_object_get_string_len(v));
		break;
	case json_type_array:
		msgpack_pack_array(pk, json_object_array_length(v));
		for (size_t i = 0; i < json_object_array_length(v); i++)
			drv_pack_json(pk, json_object_array_get_idx(v, i));
		break;
	case json_type_object:
		msgpack_pack_map(pk, (size_t)json_object_object_length(v));
		json_object_object_foreach(v, key, val)
		{
			msgpack_pack_str_with_body(pk, key, strlen(key));
			drv_pack_json(pk, val);
		}
		break;
	}
}

void
sinkdrv_pack(struct json_object *doc, const void *body, size_t len, struct buf *out)
{
	msgpack_packer pk;
	msgpack_packer_init(&pk, out, drv_write);
	msgpack_pack_array(&pk, 2);
	msgpack_pack_bin_with_body(&pk, body ? body : "", body ? len : 0);
	drv_pack_json(&pk, doc);
}

int
sinkdrv_send(struct sinkdrv *d, struct json_object *hdr, const void *body, size_t len)
{
	struct json_object *doc = NULL;
	struct buf packed = {0};
	drv_add_run(d, hdr);
	/* the RESULT a parser sends (common/proto.h): the document leaves the header */
	if (json_object_object_get_ex(hdr, "doc", &doc))
		json_object_get(doc);
	json_object_object_del(hdr, "doc");
	sinkdrv_pack(doc, body, len, &packed);
	int rc = wire_send(d->results, NULL, 0, "RESULT", hdr, packed.data, packed.len);
	if (doc)
		json_object_object_add(hdr, "doc", doc);
	buf_release(&packed);
	return rc;
}

static void
drv_take_ack(struct sinkdrv *d, struct wire_msg *m)
{
	const char *key = wire_str(m, "key", NULL), *status = wire_str(m, "status", "");
	if (strcmp(m->type, "ACK") == 0 && key) {
		json_object_object_add(d->acked, key, json_object_new_string(status));
		d->nacks++;
	}
}

void
sinkdrv_pump(struct sinkdrv *d, int ms)
{
	long long until = monotime_ms() + ms;
	do {
		zmq_pollitem_t it = {d->ctl, 0, ZMQ_POLLIN, 0};
		long left = (long)(until - monotime_ms());
		if (zmq_poll(&it, 1, left > 0 ? left : 0) < 0 && errno != EINTR)
			return;
		struct wire_msg m;
		while (wire_recv_nowait(d->ctl, 0, &m) == 0) {
			drv_take_ack(d, &m);
			wire_msg_release(&m);
		}
	} while (monotime_ms() < until);
}

const char *
sinkdrv_status(const struct sinkdrv *d, const char *key)
{
	struct json_object *v;
	return json_object_object_get_ex(d->acked, key, &v) ? json_object_get_string(v) : NULL;
}

int
sinkdrv_wait_acks(struct sinkdrv *d, const char *const *keys, size_t n, int timeout_ms)
{
	long long until = monotime_ms() + timeout_ms;
	for (;;) {
		size_t have = 0;
		for (size_t i = 0; i < n; i++)
			have += sinkdrv_status(d, keys[i]) != NULL;
		if (have == n)
			return 0;
		if (monotime_ms() >= until)
			return -1;
		sinkdrv_pump(d, 50);
	}
}

struct json_object *
sinkdrv_finish(struct sinkdrv *d, int *status)
{
	struct json_object *summary = NULL, *fin = json_object_new_object();
	*status = -1;
	drv_add_run(d, fin);
	int sent = wire_send(d->ctl, NULL, 0, "FINISH", fin, NULL, 0);
	json_object_put(fin);
	if (sent == 0) {
		long long until = monotime_ms() + 30000;
		while (summary == NULL && monotime_ms() < until) {
			zmq_pollitem_t it = {d->ctl, 0, ZMQ_POLLIN, 0};
			if (zmq_poll(&it, 1, 200) < 0 && errno != EINTR)
				break;
			struct wire_msg m;
			if ((it.revents & ZMQ_POLLIN) && wire_recv(d->ctl, 0, &m) == 0) {
				if (strcmp(m.type, "SUMMARY") == 0)
					summary = json_object_get(m.hdr);
				else
					drv_take_ack(d, &m);
				wire_msg_release(&m);
			}
		}
	}
	sinkdrv_pump(d, 0);
	if (d->pid > 0) {
		int st;
		long long until = monotime_ms() + 30000;
		pid_t got;
		while ((got = waitpid(d->pid, &st, WNOHANG)) == 0 && monotime_ms() < until)
			usleep(20000);
		if (got == d->pid) {
			*status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
			d->pid = 0;
		}
	}
	return summary;
}

void
sinkdrv_close(struct sinkdrv *d)
{
	if (d->pid > 0) {
		int st;
		kill(d->pid, SIGTERM);
		while (waitpid(d->pid, &st, 0) < 0 && errno == EINTR)
			;
		d->pid = 0;
	}
	if (d->results)
		zmq_close(d->results);
	if (d->ctl)
		zmq_close(d->ctl);
	d->results = d->ctl = NULL;
	if (d->ctx)
		zmq_ctx_term(d->ctx);
	d->ctx = NULL;
	json_object_put(d->acked);
	d->acked = NULL;
}

struct json_object *
sinkdrv_result(const char *key, const char *url, const void *body, size_t len)
{
	char err[256], sha[DIGEST_HEX_LEN + 1];
	digest_sha256_hex(body, len, sha);
	struct doc *doc = parse_document(body, len, "text/plain; charset=utf-8", err, sizeof(err));
	if (doc == NULL) {
		fprintf(stderr, "sinkdrv: cannot parse %s: %s\n", url, err);
		return NULL;
	}
	doc->url = xstrdup(url);
	doc->sha256 = xstrdup(sha);
	struct json_object *h = json_object_new_object();
	json_object_object_add(h, "key", json_object_new_string(key));
	json_object_object_add(h, "url", json_object_new_string(url));
	json_object_object_add(h, "sha256", json_object_new_string(sha));
	json_object_object_add(h, "content_type", json_object_new_string("text/plain"));
	json_object_object_add(h, "source", json_object_new_string("sinkdrv"));
	json_object_object_add(h, "doc", doc_to_json(doc));
	doc_free(&doc);
	return h;
}

struct json_object *
sinkdrv_doc(struct json_object *hdr)
{
	struct json_object *doc = NULL;
	json_object_object_get_ex(hdr, "doc", &doc);
	return doc;
}

int
sinkdrv_createdb(const char *base_conninfo, const char *name, char *out, size_t outlen)
{
	PGconn *c = PQconnectdb(base_conninfo);
	if (PQstatus(c) != CONNECTION_OK) {
		fprintf(stderr, "sinkdrv: %s", PQerrorMessage(c));
		PQfinish(c);
		return -1;
	}
	/* a test's own database name, never data: quoted all the same */
	char *ident = PQescapeIdentifier(c, name, strlen(name));
	struct buf sql = {0};
	buf_printf(&sql, "CREATE DATABASE %s", ident);
	PQfreemem(ident);
	PGresult *r = PQexec(c, sql.data);
	int ok = PQresultStatus(r) == PGRES_COMMAND_OK;
	if (!ok)
		fprintf(stderr, "sinkdrv: %s", PQerrorMessage(c));
	PQclear(r);
	PQfinish(c);
	buf_release(&sql);
	snprintf(out, outlen, "%s dbname=%s", base_conninfo, name);
	return ok ? 0 : -1;
}

int
sinkdrv_start_db(struct sinkdrv *d, const char *base_conninfo, const char *tmpdir, const char *name,
		 char *out, size_t outlen)
{
	char dir[PATH_MAX];
	snprintf(dir, sizeof(dir), "%s/%s", tmpdir, name);
	if (sinkdrv_createdb(base_conninfo, name, out, outlen) < 0)
		return -1;
	return sinkdrv_start(d, dir, out);
}

long
sinkdrv_query_long(const char *conninfo, const char *sql)
{
	PGconn *c = PQconnectdb(conninfo);
	long v = LONG_MIN;
	if (PQstatus(c) != CONNECTION_OK) {
		fprintf(stderr, "sinkdrv: %s", PQerrorMessage(c));
		PQfinish(c);
		return v;
	}
	PGresult *r = PQexec(c, sql);
	if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) > 0)
		v = atol(PQgetvalue(r, 0, 0));
	else
		fprintf(stderr, "sinkdrv: %s: %s", sql, PQerrorMessage(c));
	PQclear(r);
	PQfinish(c);
	return v;
}

int
sinkdrv_pg_ctl(const char *pgdir, const char *action)
{
	int rc;
	char *out;
	const char *as = getuid() == 0 ? "runuser -u postgres --" : "";
	const char *bin = "$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)";
	const char *env = getenv("REPORTPIPE_PG_BINDIR");
	if (env && *env)
		bin = env;
	if (strcmp(action, "start") == 0)
		/* the options tests/it/pgtmp.sh starts the cluster with */
		out = testutil_run(&rc,
				   "%s %s/pg_ctl -D %s/data -l %s/data/server.log -w -t 60 -o "
				   "\"-c listen_addresses='' -c unix_socket_directories='%s/sock'"
				   " -c fsync=off\" start",
				   as, bin, pgdir, pgdir, pgdir);
	else
		out = testutil_run(&rc, "%s %s/pg_ctl -D %s/data -m fast -w -t 60 stop", as, bin,
				   pgdir);
	if (rc != 0)
		fprintf(stderr, "sinkdrv: pg_ctl %s exited %d: %s\n", action, rc, out);
	free(out);
	return rc;
}

int
sinkdrv_count_lines(const char *file, const char *needle)
{
	char *text = testutil_read_file(file, NULL);
	int n = 0;
	if (text == NULL)
		return 0;
	for (char *line = text, *next; line && *line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		if (strstr(line, needle))
			n++;
	}
	free(text);
	return n;
}
