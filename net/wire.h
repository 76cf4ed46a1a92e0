/*
 * wire.h - the message format between stages.
 *
 * A message is a multipart ZeroMQ message:
 *   [identity]  only on ROUTER sockets
 *   "reportpipe/1.1"  the format version; anything else is refused, never trusted
 *   type        a short word: READY, JOB, RESULT, FAILED, ACK, FINISH, SUMMARY ...
 *   header      a JSON object
 *   [body]      bytes, optional: a report body; a RESULT's is MessagePack (proto.h)
 * reportpipe/1 differs only in its RESULT (the document as JSON in the header):
 * its messages are still read, marked legacy, so that the sink can refuse
 * such a RESULT by name (a dead letter), and every other message works as before.
 * Knows no stage: it only frames and unframes.
 */
#ifndef RP_WIRE_H
#define RP_WIRE_H

#include "config.h"

#include <json-c/json.h>
#include <stddef.h>

#define WIRE_VERSION "reportpipe/1.1"
#define WIRE_VERSION_LEGACY "reportpipe/1" /* read, never sent */
#define WIRE_ROUTE_MAX 256
/* Idle peers greet each other this often; silence past WIRE_LIVENESS_MS means gone. */
#define WIRE_HEARTBEAT_MS 1000
#define WIRE_LIVENESS_MS 5000

struct wire_msg {
	char type[16];
	struct json_object *hdr; /* owned; never NULL after a successful receive */
	unsigned char *body;	 /* owned; NULL when the message has none */
	size_t body_len;
	unsigned char route[WIRE_ROUTE_MAX];
	size_t route_len; /* 0 unless received on a ROUTER socket */
	int legacy;	  /* 1: sent as WIRE_VERSION_LEGACY */
};

/*
 * Send one message. route/route_len address a peer on a ROUTER socket (NULL
 * otherwise). hdr is borrowed (may be NULL for "{}"); body may be NULL.
 * Returns 0, or -1 with errno set by zmq.
 */
int wire_send(void *sock, const unsigned char *route, size_t route_len, const char *type,
	      struct json_object *hdr, const void *body, size_t body_len);

/*
 * Receive one message into m (which the caller later releases).
 * Returns 0 on success, -1 on a socket error (errno from zmq: EINTR, EAGAIN,
 * ETERM), 1 when a malformed or foreign-version message was received, logged
 * and dropped.
 */
int wire_recv(void *sock, int is_router, struct wire_msg *m);

/* One received frame, borrowed: what wire_decode reads instead of a socket. */
struct wire_frame {
	const void *data;
	size_t len;
};

/* Frames a message may have: identity, version, type, header, body, and one spare. */
#define WIRE_FRAMES_MAX 6

/*
 * Turn the frames of one received message into m, as wire_recv does (which
 * calls it): f[0 .. min(nframes, WIRE_FRAMES_MAX)) are read, and a message
 * of more frames is malformed. Returns 0, or 1 when the message is malformed
 * or of a foreign version (logged; m then holds nothing to release).
 */
int wire_decode(const struct wire_frame *f, int nframes, int is_router, struct wire_msg *m);

/* Like wire_recv, but returns -1 with errno EAGAIN at once when nothing is waiting. */
int wire_recv_nowait(void *sock, int is_router, struct wire_msg *m);

void wire_msg_release(struct wire_msg *m);

/* Borrowed string / integer fields of the header, with a default when absent. */
const char *wire_str(const struct wire_msg *m, const char *key, const char *dflt);
long long wire_int(const struct wire_msg *m, const char *key, long long dflt);

/*
 * The endpoints of one pipeline: who binds and who connects is fixed. For a
 * `run` both addresses are the same ipc:// path; for stages on several hosts
 * they come from [network] (bind "tcp://0.0.0.0:7701", connect
 * "tcp://fetch.example:7701").
 */
struct wire_endpoint {
	char bind[256];
	char connect[256];
};

struct wire_endpoints {
	struct wire_endpoint jobs;    /* fetcher binds ROUTER; parsers connect DEALER */
	struct wire_endpoint results; /* sink binds PULL; parsers connect PUSH */
	struct wire_endpoint
	    ctl; /* sink binds ROUTER; fetchers connect DEALER; ACKs return on it */
};

/* Fill e with ipc:// endpoints inside dir. Returns 0, or -1 when dir is too long. */
int wire_endpoints_ipc(struct wire_endpoints *e, const char *dir);

/* The roles a process plays, to know which [network] endpoints it needs. */
enum wire_role { WIRE_ROLE_FETCHER, WIRE_ROLE_PARSER, WIRE_ROLE_SINK };

/*
 * Fill e from the config's [network] section. Returns 0, or -1 after saying
 * on stderr which key role needs and the config lacks.
 */
int wire_endpoints_network(struct wire_endpoints *e, const struct config *cfg, enum wire_role role);

/*
 * A socket of type on endpoint (bound when bind, else connected), with the
 * defaults below and, when the config turns CURVE on and the endpoint is
 * tcp://, CURVE as server (bind) or client (connect). identity (or NULL) is
 * the socket's routing id on its peer's ROUTER. NULL after a logged error.
 */
void *wire_open(void *ctx, int type, const struct wire_endpoint *endpoint, int bind,
		const struct config *cfg, const char *identity);

/* Set a bounded LINGER: queued messages get out, zmq_ctx_term never hangs. */
void wire_socket_defaults(void *sock);

#endif
