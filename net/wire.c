/*
 * wire.c - framing of stage messages over ZeroMQ (see wire.h for the layout).
 *
 * Must never trust a frame: every field from a peer is checked for presence,
 * size and type, and a bad message is dropped with a warning, not asserted.
 */
#include "wire.h"
#include "buf.h"
#include "curve.h"
#include "log.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

int
wire_send(void *sock, const unsigned char *route, size_t route_len, const char *type,
	  struct json_object *hdr, const void *body, size_t body_len)
{
	const char *hdr_text =
	    hdr ? json_object_to_json_string_ext(hdr, JSON_C_TO_STRING_PLAIN) : "{}";
	if (hdr_text == NULL) { /* json-c gives up past INT_MAX bytes */
		errno = EMSGSIZE;
		return -1;
	}
	int more = body ? ZMQ_SNDMORE : 0;

	if (route && zmq_send(sock, route, route_len, ZMQ_SNDMORE) < 0)
		return -1;
	if (zmq_send(sock, WIRE_VERSION, strlen(WIRE_VERSION), ZMQ_SNDMORE) < 0)
		return -1;
	if (zmq_send(sock, type, strlen(type), ZMQ_SNDMORE) < 0)
		return -1;
	if (zmq_send(sock, hdr_text, strlen(hdr_text), more) < 0)
		return -1;
	if (body && zmq_send(sock, body, body_len, 0) < 0)
		return -1;
	return 0;
}

/*
 * Receive every frame of one message, keeping the first max of them.
 * Returns the total number of frames (which may exceed max), or -1.
 */
static int
wire_recv_frames(void *sock, zmq_msg_t *frames, int max, int flags)
{
	int total = 0, more = 1;

	while (more) {
		zmq_msg_t f;
		zmq_msg_init(&f);
		/* only the first frame may be absent: the rest of a message arrives with it */
		if (zmq_msg_recv(&f, sock, total == 0 ? flags : 0) < 0) {
			int e = errno;
			zmq_msg_close(&f);
			for (int i = 0; i < total && i < max; i++)
				zmq_msg_close(&frames[i]);
			errno = e;
			return -1;
		}
		more = zmq_msg_more(&f);
		if (total < max)
			frames[total] = f;
		else
			zmq_msg_close(&f);
		total++;
	}
	return total;
}

int
wire_decode(const struct wire_frame *f, int nframes, int is_router, struct wire_msg *m)
{
	int at = 0, rc = 1;

	memset(m, 0, sizeof(*m));
	if (nframes > WIRE_FRAMES_MAX)
		goto malformed;
	if (is_router) {
		if (nframes < 1 || f[0].len > WIRE_ROUTE_MAX)
			goto malformed;
		m->route_len = f[0].len;
		memcpy(m->route, f[0].data, m->route_len);
		at = 1;
	}
	if (nframes - at < 3 || nframes - at > 4)
		goto malformed;
	if (f[at].len == strlen(WIRE_VERSION_LEGACY) &&
	    memcmp(f[at].data, WIRE_VERSION_LEGACY, f[at].len) == 0) {
		m->legacy = 1;
	} else if (f[at].len != strlen(WIRE_VERSION) ||
		   memcmp(f[at].data, WIRE_VERSION, strlen(WIRE_VERSION)) != 0) {
		size_t n = f[at].len;
		log_warnx(
		    "refused a message of unknown format version '%.*s' (this build speaks %s)",
		    (int)(n > 32 ? 32 : n), (const char *)f[at].data, WIRE_VERSION);
		goto done;
	}
	size_t tlen = f[at + 1].len;
	/* a NUL inside would make "RESULT\0x" pass for RESULT: a type is a word or nothing */
	if (tlen == 0 || tlen >= sizeof(m->type) || memchr(f[at + 1].data, '\0', tlen) != NULL)
		goto malformed;
	memcpy(m->type, f[at + 1].data, tlen);
	m->type[tlen] = '\0';

	struct json_tokener *tok = json_tokener_new();
	m->hdr = json_tokener_parse_ex(tok, f[at + 2].data, (int)f[at + 2].len);
	enum json_tokener_error jerr = json_tokener_get_error(tok);
	json_tokener_free(tok);
	if (jerr != json_tokener_success || !json_object_is_type(m->hdr, json_type_object)) {
		json_object_put(m->hdr);
		m->hdr = NULL;
		goto malformed;
	}
	if (nframes - at == 4) {
		m->body_len = f[at + 3].len;
		m->body = xmalloc(m->body_len + 1);
		memcpy(m->body, f[at + 3].data, m->body_len);
		m->body[m->body_len] = '\0';
	}
	rc = 0;
	goto done;

malformed:
	log_warnx("dropped a malformed message (%d frames)", nframes);
done:
	if (rc != 0)
		wire_msg_release(m);
	return rc;
}

static int
wire_recv_flags(void *sock, int is_router, struct wire_msg *m, int flags)
{
	zmq_msg_t f[WIRE_FRAMES_MAX];
	struct wire_frame fr[WIRE_FRAMES_MAX];
	int nframes, rc;

	memset(m, 0, sizeof(*m));
	nframes = wire_recv_frames(sock, f, WIRE_FRAMES_MAX, flags);
	if (nframes < 0)
		return -1;
	for (int i = 0; i < nframes && i < WIRE_FRAMES_MAX; i++)
		fr[i] = (struct wire_frame){zmq_msg_data(&f[i]), zmq_msg_size(&f[i])};
	rc = wire_decode(fr, nframes, is_router, m);
	for (int i = 0; i < nframes && i < WIRE_FRAMES_MAX; i++)
		zmq_msg_close(&f[i]);
	return rc;
}

int
wire_recv(void *sock, int is_router, struct wire_msg *m)
{
	return wire_recv_flags(sock, is_router, m, 0);
}

int
wire_recv_nowait(void *sock, int is_router, struct wire_msg *m)
{
	int rc;
	/* a malformed message (1) is dropped: keep reading the next one */
	while ((rc = wire_recv_flags(sock, is_router, m, ZMQ_DONTWAIT)) == 1)
		;
	return rc;
}

void
wire_msg_release(struct wire_msg *m)
{
	json_object_put(m->hdr);
	free(m->body);
	m->hdr = NULL;
	m->body = NULL;
	m->body_len = 0;
}

const char *
wire_str(const struct wire_msg *m, const char *key, const char *dflt)
{
	struct json_object *v;
	if (m->hdr && json_object_object_get_ex(m->hdr, key, &v) &&
	    json_object_is_type(v, json_type_string))
		return json_object_get_string(v);
	return dflt;
}

long long
wire_int(const struct wire_msg *m, const char *key, long long dflt)
{
	struct json_object *v;
	if (m->hdr && json_object_object_get_ex(m->hdr, key, &v) &&
	    json_object_is_type(v, json_type_int))
		return (long long)json_object_get_int64(v);
	return dflt;
}

void
wire_socket_defaults(void *sock)
{
	/* long enough to deliver a last acknowledgement or summary, short enough never to hang */
	int linger = 2000;
	zmq_setsockopt(sock, ZMQ_LINGER, &linger, sizeof(linger));
}

int
wire_endpoints_ipc(struct wire_endpoints *e, const char *dir)
{
	static const char *const names[] = {"jobs", "results", "ctl"};
	struct wire_endpoint *slots[] = {&e->jobs, &e->results, &e->ctl};
	/* an ipc path must fit sun_path (108 bytes) */
	if (strlen(dir) > 80)
		return -1;
	for (size_t i = 0; i < 3; i++) {
		snprintf(slots[i]->bind, sizeof(slots[i]->bind), "ipc://%s/%s", dir, names[i]);
		snprintf(slots[i]->connect, sizeof(slots[i]->connect), "%s", slots[i]->bind);
	}
	return 0;
}

/* Copy one [network] value into slot; -1 (said on stderr) when it is needed but empty. */
static int
wire_take(char *slot, size_t cap, const char *value, int needed, const char *key,
	  const struct config *cfg)
{
	if (*value == '\0' && needed) {
		fprintf(stderr, "%s: [network] %s is needed for this command\n", cfg->path, key);
		return -1;
	}
	if (strlen(value) >= cap) {
		fprintf(stderr, "%s: [network] %s is too long\n", cfg->path, key);
		return -1;
	}
	snprintf(slot, cap, "%s", value);
	return 0;
}

int
wire_endpoints_network(struct wire_endpoints *e, const struct config *cfg, enum wire_role role)
{
	int fetcher = role == WIRE_ROLE_FETCHER, parser = role == WIRE_ROLE_PARSER,
	    sink = role == WIRE_ROLE_SINK;
	memset(e, 0, sizeof(*e));
	if (wire_take(e->jobs.bind, sizeof(e->jobs.bind), cfg->jobs_bind, fetcher, "jobs_bind",
		      cfg) < 0 ||
	    wire_take(e->jobs.connect, sizeof(e->jobs.connect), cfg->jobs_connect, parser,
		      "jobs_connect", cfg) < 0 ||
	    wire_take(e->results.bind, sizeof(e->results.bind), cfg->results_bind, sink,
		      "results_bind", cfg) < 0 ||
	    wire_take(e->results.connect, sizeof(e->results.connect), cfg->results_connect, parser,
		      "results_connect", cfg) < 0 ||
	    wire_take(e->ctl.bind, sizeof(e->ctl.bind), cfg->control_bind, sink, "control_bind",
		      cfg) < 0 ||
	    wire_take(e->ctl.connect, sizeof(e->ctl.connect), cfg->control_connect, fetcher,
		      "control_connect", cfg) < 0)
		return -1;
	return 0;
}

void *
wire_open(void *ctx, int type, const struct wire_endpoint *endpoint, int bind,
	  const struct config *cfg, const char *identity)
{
	const char *addr = bind ? endpoint->bind : endpoint->connect;
	void *sock = zmq_socket(ctx, type);
	if (sock == NULL) {
		log_warnx("cannot create a socket for %s: %s", addr, zmq_strerror(errno));
		return NULL;
	}
	wire_socket_defaults(sock);
	if (identity)
		zmq_setsockopt(sock, ZMQ_ROUTING_ID, identity, strlen(identity));
	if (cfg && strncmp(addr, "tcp://", 6) == 0 &&
	    (bind ? curve_server(sock, cfg) : curve_client(sock, cfg)) < 0) {
		zmq_close(sock);
		return NULL;
	}
	if ((bind ? zmq_bind(sock, addr) : zmq_connect(sock, addr)) < 0) {
		log_warnx("cannot %s %s: %s", bind ? "bind" : "connect to", addr,
			  zmq_strerror(errno));
		zmq_close(sock);
		return NULL;
	}
	return sock;
}
