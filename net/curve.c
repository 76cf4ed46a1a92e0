/*
 * curve.c - CURVE keys, socket options and the ZAP handler (see curve.h).
 *
 * The handler answers libzmq's authentication requests (RFC 27, ZAP) on
 * inproc://zeromq.zap.01 in its own thread: a stage's main thread may sit in
 * a long database transaction or parse, and a peer's handshake must not wait
 * for it. It admits the public key of this host's own key pair (the simple
 * deployment shares one pair) and those listed in curve_client_keys.
 *
 * A peer with no key at all never reaches ZAP: libzmq drops the connection
 * when the greetings name different mechanisms. The same thread therefore
 * reads each binding socket's monitor (zmq_socket_monitor). The stable
 * monitor of libzmq 4.3 names the bound endpoint, not the peer: ACCEPTED
 * gives the connection's fd, whose peer address is read at once (a
 * connection dropped before that stays unnamed, which is rare), and a
 * failed handshake is followed by DISCONNECTED with that fd (libzmq sends
 * the two back to back from the connection's I/O thread). Such a peer tries
 * again every 100 ms, so a refusal is logged once per address and reason,
 * then at most once a minute with a count. Must never log a key that is not
 * public.
 */
#include "curve.h"
#include "buf.h"
#include "log.h"
#include "monotime.h"
#include "thread.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <zmq.h>

#define ZAP_ENDPOINT "inproc://zeromq.zap.01"
#define ZAP_DOMAIN "reportpipe"
#define WATCH_ENDPOINT "inproc://reportpipe.curve.watch"
#define WATCH_EVENTS                                                                               \
	(ZMQ_EVENT_ACCEPTED | ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL |                                \
	 ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL | ZMQ_EVENT_DISCONNECTED |                           \
	 ZMQ_EVENT_MONITOR_STOPPED)
#define REFUSAL_EVERY_MS 60000 /* a peer refused again is logged at most this often */
#define REFUSALS_MAX 256       /* addresses remembered for that */
#define ADDR_LEN 64

/* One accepted connection of a watched socket: its fd and its peer's address. */
struct curve_conn {
	int fd;
	char addr[ADDR_LEN];
};

/* A binding socket's monitor, read by the handler thread. */
struct curve_watch {
	void *pair;
	struct curve_conn *conns;
	size_t nconns;
	uint16_t failed; /* the event of a handshake that just failed, or 0 */
	uint32_t why;	 /* its value: a protocol error, or an errno */
	int stopped;
};

/* The last time a refusal of one peer for one reason was logged, and how many since. */
struct curve_refusal {
	char what[ADDR_LEN + 64];
	long long logged_ms;
	long unlogged;
};

struct curve_auth {
	pthread_t thread;
	void *ctx;
	void *rep;
	void *watch;	     /* PULL: the monitors of sockets made CURVE servers since */
	uint8_t (*keys)[32]; /* admitted public keys, raw */
	size_t nkeys;
	/* owned by the thread once it runs */
	struct curve_watch *watches;
	size_t nwatches;
	struct curve_refusal *refusals;
	size_t nrefusals;
};

/* The handler of this process: curve_server() hands it the monitor of each socket. */
static struct curve_auth *curve_running;

int
curve_enabled(const struct config *cfg)
{
	return cfg && cfg->curve_secret_key && cfg->curve_server_key &&
	       cfg->curve_secret_key[0] != '\0' && cfg->curve_server_key[0] != '\0';
}

static int
curve_check_support(void)
{
	if (!zmq_has("curve")) {
		log_warnx("this libzmq was built without CURVE; cannot use curve_secret_key");
		return -1;
	}
	return 0;
}

static int
curve_set(void *sock, int option, const void *value, size_t len, const char *what)
{
	if (zmq_setsockopt(sock, option, value, len) < 0) {
		log_warnx("cannot set %s: %s", what, zmq_strerror(errno));
		return -1;
	}
	return 0;
}

/*
 * Hand sock's monitor to the running handler, before sock binds, so that it
 * sees every connection. Without a handler (or when this fails, logged) the
 * socket works as before; only the refusals of peers without a key go unlogged.
 */
static void
curve_watch_socket(void *sock)
{
	static unsigned serial;
	struct curve_auth *a = curve_running;
	char endpoint[64];
	if (a == NULL)
		return;
	snprintf(endpoint, sizeof(endpoint), "inproc://reportpipe.curve.monitor.%u", serial++);
	if (zmq_socket_monitor(sock, endpoint, WATCH_EVENTS) < 0) {
		log_warnx("cannot watch handshakes: %s; peers without a CURVE key are refused"
			  " unlogged",
			  zmq_strerror(errno));
		return;
	}
	void *pair = zmq_socket(a->ctx, ZMQ_PAIR), *push = zmq_socket(a->ctx, ZMQ_PUSH);
	int linger = 0;
	if (pair)
		zmq_setsockopt(pair, ZMQ_LINGER, &linger, sizeof(linger));
	if (pair == NULL || push == NULL || zmq_connect(pair, endpoint) < 0 ||
	    zmq_connect(push, WATCH_ENDPOINT) < 0) {
		log_warnx("cannot watch handshakes: %s; peers without a CURVE key are refused"
			  " unlogged",
			  zmq_strerror(errno));
		zmq_socket_monitor(sock, NULL, 0);
		if (pair)
			zmq_close(pair);
		if (push)
			zmq_close(push);
		return;
	}
	/* the PAIR moves to the handler thread: a full fence, as libzmq asks */
	atomic_thread_fence(memory_order_seq_cst);
	if (zmq_send(push, &pair, sizeof(pair), 0) != (int)sizeof(pair)) {
		log_warnx("cannot watch handshakes: %s", zmq_strerror(errno));
		zmq_socket_monitor(sock, NULL, 0);
		zmq_close(pair);
	}
	zmq_close(push);
}

/*
 * This process's public key, from the config's secret key: 1 when CURVE is
 * on and the key is made, 0 when CURVE is off, -1 after a logged error.
 */
static int
curve_own_key(const struct config *cfg, char public_key[CURVE_KEY_LEN + 1])
{
	if (!curve_enabled(cfg))
		return 0;
	if (curve_check_support() < 0)
		return -1;
	if (zmq_curve_public(public_key, cfg->curve_secret_key) < 0) {
		log_warnx("curve_secret_key is not a CURVE secret key");
		return -1;
	}
	return 1;
}

int
curve_server(void *sock, const struct config *cfg)
{
	int on = 1;
	if (!curve_enabled(cfg))
		return 0;
	if (curve_check_support() < 0 ||
	    curve_set(sock, ZMQ_CURVE_SERVER, &on, sizeof(on), "the CURVE server role") < 0 ||
	    curve_set(sock, ZMQ_CURVE_SECRETKEY, cfg->curve_secret_key, CURVE_KEY_LEN + 1,
		      "curve_secret_key") < 0 ||
	    curve_set(sock, ZMQ_ZAP_DOMAIN, ZAP_DOMAIN, strlen(ZAP_DOMAIN), "the ZAP domain") < 0)
		return -1;
	curve_watch_socket(sock);
	return 0;
}

int
curve_client(void *sock, const struct config *cfg)
{
	char public_key[CURVE_KEY_LEN + 1];
	int on = curve_own_key(cfg, public_key);
	if (on <= 0)
		return on;
	if (curve_set(sock, ZMQ_CURVE_SERVERKEY, cfg->curve_server_key, CURVE_KEY_LEN + 1,
		      "curve_server_key") < 0 ||
	    curve_set(sock, ZMQ_CURVE_PUBLICKEY, public_key, CURVE_KEY_LEN + 1,
		      "the CURVE public key") < 0 ||
	    curve_set(sock, ZMQ_CURVE_SECRETKEY, cfg->curve_secret_key, CURVE_KEY_LEN + 1,
		      "curve_secret_key") < 0)
		return -1;
	return 0;
}

static void
curve_auth_add(struct curve_auth *a, const char *z85)
{
	a->keys = xreallocarray(a->keys, a->nkeys + 1, sizeof(*a->keys));
	if (zmq_z85_decode(a->keys[a->nkeys], z85) != NULL)
		a->nkeys++;
}

static int
curve_auth_admits(const struct curve_auth *a, const void *key, size_t len)
{
	if (len != 32)
		return 0;
	for (size_t i = 0; i < a->nkeys; i++)
		if (memcmp(a->keys[i], key, 32) == 0)
			return 1;
	return 0;
}

/*
 * 1 when a refusal of what (a peer and a reason) is to be logged now: the
 * first one, then one a minute. *unlogged gets how many went unlogged since.
 */
static int
curve_refusal_due(struct curve_auth *a, const char *what, long *unlogged)
{
	long long now = monotime_ms();
	struct curve_refusal *r = NULL;
	for (size_t i = 0; i < a->nrefusals && r == NULL; i++)
		if (strcmp(a->refusals[i].what, what) == 0)
			r = &a->refusals[i];
	if (r == NULL) {
		if (a->nrefusals < REFUSALS_MAX) {
			a->refusals =
			    xreallocarray(a->refusals, a->nrefusals + 1, sizeof(*a->refusals));
			r = &a->refusals[a->nrefusals++];
		} else { /* forget the one logged longest ago */
			r = &a->refusals[0];
			for (size_t i = 1; i < a->nrefusals; i++)
				if (a->refusals[i].logged_ms < r->logged_ms)
					r = &a->refusals[i];
		}
		snprintf(r->what, sizeof(r->what), "%s", what);
		r->logged_ms = now;
		r->unlogged = 0;
		*unlogged = 0;
		return 1;
	}
	if (now - r->logged_ms < REFUSAL_EVERY_MS) {
		r->unlogged++;
		return 0;
	}
	*unlogged = r->unlogged;
	r->logged_ms = now;
	r->unlogged = 0;
	return 1;
}

/* Answer one ZAP request; -1 when the context is ending. */
static int
curve_auth_serve(struct curve_auth *a)
{
	enum { VERSION, REQUEST_ID, DOMAIN, ADDRESS, IDENTITY, MECHANISM, CREDENTIAL, NFRAMES };
	zmq_msg_t f[NFRAMES];
	int n = 0, more = 1;

	while (more) {
		zmq_msg_t part;
		zmq_msg_init(&part);
		if (zmq_msg_recv(&part, a->rep, 0) < 0) {
			int e = errno;
			zmq_msg_close(&part);
			for (int i = 0; i < n && i < NFRAMES; i++)
				zmq_msg_close(&f[i]);
			return e == ETERM ? -1 : 0;
		}
		more = zmq_msg_more(&part);
		if (n < NFRAMES)
			f[n] = part;
		else
			zmq_msg_close(&part);
		n++;
	}
	int ok = n == NFRAMES && zmq_msg_size(&f[MECHANISM]) == 5 &&
		 memcmp(zmq_msg_data(&f[MECHANISM]), "CURVE", 5) == 0 &&
		 curve_auth_admits(a, zmq_msg_data(&f[CREDENTIAL]), zmq_msg_size(&f[CREDENTIAL]));
	if (!ok) {
		char peer[CURVE_KEY_LEN + 1] = "(none)";
		if (n == NFRAMES && zmq_msg_size(&f[CREDENTIAL]) == 32)
			zmq_z85_encode(peer, zmq_msg_data(&f[CREDENTIAL]), 32);
		log_warnx("refused a peer at %.*s: its CURVE public key %s is not admitted"
			  " (see curve_client_keys)",
			  n > ADDRESS ? (int)zmq_msg_size(&f[ADDRESS]) : 0,
			  n > ADDRESS ? (const char *)zmq_msg_data(&f[ADDRESS]) : "", peer);
	}
	/* the reply: version, request id, status code, status text, user id, metadata */
	zmq_send(a->rep, "1.0", 3, ZMQ_SNDMORE);
	if (n > REQUEST_ID)
		zmq_send(a->rep, zmq_msg_data(&f[REQUEST_ID]), zmq_msg_size(&f[REQUEST_ID]),
			 ZMQ_SNDMORE);
	else
		zmq_send(a->rep, "", 0, ZMQ_SNDMORE);
	zmq_send(a->rep, ok ? "200" : "400", 3, ZMQ_SNDMORE);
	zmq_send(a->rep, ok ? "OK" : "key not admitted", ok ? 2 : 16, ZMQ_SNDMORE);
	zmq_send(a->rep, "", 0, ZMQ_SNDMORE);
	zmq_send(a->rep, "", 0, 0);
	for (int i = 0; i < n && i < NFRAMES; i++)
		zmq_msg_close(&f[i]);
	return 0;
}

/* The peer address of a connection's fd, without the port; "" when it is gone already. */
static void
curve_peer_address(int fd, char addr[ADDR_LEN])
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	addr[0] = '\0';
	if (getpeername(fd, (struct sockaddr *)&ss, &len) < 0)
		return;
	if (ss.ss_family == AF_INET)
		inet_ntop(AF_INET, &((struct sockaddr_in *)&ss)->sin_addr, addr, ADDR_LEN);
	else if (ss.ss_family == AF_INET6)
		inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&ss)->sin6_addr, addr, ADDR_LEN);
}

/*
 * Log a peer whose handshake failed before any ZAP request: once, then once
 * a minute. A peer without a key offers the NULL mechanism, and libzmq drops
 * it (a mechanism mismatch), unless the peer saw our CURVE greeting first
 * and hung up: then all that shows is a handshake cut short (EPIPE).
 */
static void
curve_watch_refused(struct curve_auth *a, const char *addr, const char *endpoint, uint16_t event,
		    uint32_t why)
{
	char what[ADDR_LEN + 64], more[64] = "";
	long unlogged;
	const char *peer = *addr ? addr : "(address gone before it could be read)";
	int mismatch = event == ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL &&
		       why == ZMQ_PROTOCOL_ERROR_ZMTP_MECHANISM_MISMATCH;
	int protocol = event == ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL && !mismatch;
	snprintf(what, sizeof(what), "%s %s", peer, protocol ? "protocol" : "nokey");
	if (!curve_refusal_due(a, what, &unlogged))
		return;
	if (unlogged > 0)
		snprintf(more, sizeof(more), " (and %ld times since the last such line)", unlogged);
	if (mismatch)
		log_warnx("refused peer %s: no CURVE key; it connected to %s without CURVE (give it"
			  " curve_secret_key and curve_server_key)%s",
			  peer, endpoint, more);
	else if (protocol && why == ZMQ_PROTOCOL_ERROR_ZMTP_CRYPTOGRAPHIC)
		log_warnx("refused peer %s: its CURVE handshake on %s does not decrypt (its"
			  " curve_server_key is not this host's public key)%s",
			  peer, endpoint, more);
	else if (protocol)
		log_warnx("refused peer %s: its ZeroMQ handshake on %s failed (protocol error"
			  " 0x%x)%s",
			  peer, endpoint, (unsigned)why, more);
	else
		log_warnx("refused peer %s: no CURVE key, it seems; it hung up during the CURVE"
			  " handshake on %s (%s), as a peer without curve_secret_key and"
			  " curve_server_key does%s",
			  peer, endpoint, zmq_strerror((int)why), more);
}

/* Read one event of w's monitor; -1 when the context is ending. */
static int
curve_watch_event(struct curve_auth *a, struct curve_watch *w)
{
	zmq_msg_t head;
	char endpoint[256];
	uint16_t event = 0;
	uint32_t value = 0;

	zmq_msg_init(&head);
	if (zmq_msg_recv(&head, w->pair, 0) < 0) {
		zmq_msg_close(&head);
		return errno == ETERM ? -1 : 0;
	}
	int ok = zmq_msg_size(&head) == 6 && zmq_msg_more(&head);
	if (ok) {
		memcpy(&event, zmq_msg_data(&head), 2);
		memcpy(&value, (char *)zmq_msg_data(&head) + 2, 4);
	}
	int more = zmq_msg_more(&head);
	zmq_msg_close(&head);
	int n = more ? zmq_recv(w->pair, endpoint, sizeof(endpoint) - 1, 0) : 0;
	if (n < 0)
		return errno == ETERM ? -1 : 0;
	endpoint[(size_t)n < sizeof(endpoint) ? (size_t)n : sizeof(endpoint) - 1] = '\0';
	if (!ok)
		return 0;

	size_t i = 0;
	switch (event) {
	case ZMQ_EVENT_ACCEPTED:
		while (i < w->nconns && w->conns[i].fd != (int)value)
			i++;
		if (i == w->nconns) {
			w->conns = xreallocarray(w->conns, w->nconns + 1, sizeof(*w->conns));
			w->conns[w->nconns++].fd = (int)value;
		}
		curve_peer_address((int)value, w->conns[i].addr);
		break;
	case ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL:
	case ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL:
		w->failed = event;
		w->why = value;
		break;
	case ZMQ_EVENT_DISCONNECTED:
		while (i < w->nconns && w->conns[i].fd != (int)value)
			i++;
		if (w->failed)
			curve_watch_refused(a, i < w->nconns ? w->conns[i].addr : "", endpoint,
					    w->failed, w->why);
		w->failed = 0;
		if (i < w->nconns)
			w->conns[i] = w->conns[--w->nconns];
		break;
	case ZMQ_EVENT_MONITOR_STOPPED:
		w->stopped = 1;
		break;
	}
	return 0;
}

/* Take the monitor curve_watch_socket() handed over. */
static void
curve_watch_take(struct curve_auth *a)
{
	void *pair;
	if (zmq_recv(a->watch, &pair, sizeof(pair), 0) != (int)sizeof(pair))
		return;
	atomic_thread_fence(memory_order_seq_cst);
	a->watches = xreallocarray(a->watches, a->nwatches + 1, sizeof(*a->watches));
	a->watches[a->nwatches++] = (struct curve_watch){.pair = pair};
}

static void *
curve_auth_main(void *arg)
{
	struct curve_auth *a = arg;
	zmq_pollitem_t *items = NULL;
	int running = 1;

	while (running) {
		size_t n = 2 + a->nwatches;
		items = xreallocarray(items, n, sizeof(*items));
		items[0] = (zmq_pollitem_t){.socket = a->rep, .events = ZMQ_POLLIN};
		items[1] = (zmq_pollitem_t){.socket = a->watch, .events = ZMQ_POLLIN};
		for (size_t i = 0; i < a->nwatches; i++)
			items[2 + i] =
			    (zmq_pollitem_t){.socket = a->watches[i].pair, .events = ZMQ_POLLIN};
		if (zmq_poll(items, (int)n, -1) < 0) {
			running = errno == EINTR;
			continue;
		}
		if ((items[0].revents & ZMQ_POLLIN) && curve_auth_serve(a) < 0)
			running = 0;
		for (size_t i = 0; running && i < a->nwatches; i++)
			if ((items[2 + i].revents & ZMQ_POLLIN) &&
			    curve_watch_event(a, &a->watches[i]) < 0)
				running = 0;
		for (size_t i = 0; i < a->nwatches;) {
			if (!a->watches[i].stopped) {
				i++;
				continue;
			}
			zmq_close(a->watches[i].pair);
			free(a->watches[i].conns);
			a->watches[i] = a->watches[--a->nwatches];
		}
		if (running && (items[1].revents & ZMQ_POLLIN))
			curve_watch_take(a);
	}
	free(items);
	for (size_t i = 0; i < a->nwatches; i++) {
		zmq_close(a->watches[i].pair);
		free(a->watches[i].conns);
	}
	/* monitors handed over after the last poll */
	void *pair;
	while (zmq_recv(a->watch, &pair, sizeof(pair), ZMQ_DONTWAIT) == (int)sizeof(pair))
		zmq_close(pair);
	zmq_close(a->watch);
	zmq_close(a->rep);
	return NULL;
}

int
curve_auth_start(void *ctx, const struct config *cfg, struct curve_auth **out)
{
	char own[CURVE_KEY_LEN + 1];
	*out = NULL;
	int on = curve_own_key(cfg, own);
	if (on <= 0)
		return on;
	struct curve_auth *a = xcalloc(1, sizeof(*a));
	curve_auth_add(a, own);
	for (const char *p = cfg->curve_client_keys; *p;) {
		size_t len = strcspn(p, " \t");
		if (len == CURVE_KEY_LEN) {
			char key[CURVE_KEY_LEN + 1];
			memcpy(key, p, CURVE_KEY_LEN);
			key[CURVE_KEY_LEN] = '\0';
			curve_auth_add(a, key);
		}
		p += len ? len : 1;
	}
	a->ctx = ctx;
	a->rep = zmq_socket(ctx, ZMQ_REP);
	a->watch = zmq_socket(ctx, ZMQ_PULL);
	int linger = 0, rc;
	zmq_setsockopt(a->rep, ZMQ_LINGER, &linger, sizeof(linger));
	zmq_setsockopt(a->watch, ZMQ_LINGER, &linger, sizeof(linger));
	if (zmq_bind(a->rep, ZAP_ENDPOINT) < 0 || zmq_bind(a->watch, WATCH_ENDPOINT) < 0) {
		log_warnx("cannot start the CURVE authentication handler: %s", zmq_strerror(errno));
		goto fail;
	}
	/* signals are the main loop's business: the thread starts with them blocked */
	rc = thread_start(&a->thread, curve_auth_main, a);
	if (rc != 0) {
		errno = rc;
		log_warn("cannot start the CURVE authentication thread");
		goto fail;
	}
	curve_running = a;
	*out = a;
	return 0;
fail:
	zmq_close(a->rep);
	zmq_close(a->watch);
	free(a->keys);
	free(a);
	return -1;
}

void
curve_auth_stop(struct curve_auth **ap, void *ctx)
{
	struct curve_auth *a = *ap;
	if (a == NULL)
		return;
	if (curve_running == a)
		curve_running = NULL;
	zmq_ctx_shutdown(ctx); /* the handler's poll ends with ETERM */
	pthread_join(a->thread, NULL);
	free(a->keys);
	free(a->watches);
	free(a->refusals);
	free(a);
	*ap = NULL;
}

int
curve_keypair(char public_key[CURVE_KEY_LEN + 1], char secret_key[CURVE_KEY_LEN + 1])
{
	if (curve_check_support() < 0)
		return -1;
	return zmq_curve_keypair(public_key, secret_key) < 0 ? -1 : 0;
}
