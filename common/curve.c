/*
 * curve.c - CURVE keys, socket options and the ZAP handler (see curve.h).
 *
 * The handler answers libzmq's authentication requests (RFC 27, ZAP) on
 * inproc://zeromq.zap.01 in its own thread: a stage's main thread may sit in
 * a long database transaction or parse, and a peer's handshake must not wait
 * for it. It admits the public key of this host's own key pair (the simple
 * deployment shares one pair) and those listed in curve_client_keys.
 */
#include "curve.h"
#include "buf.h"
#include "log.h"

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#define ZAP_ENDPOINT "inproc://zeromq.zap.01"
#define ZAP_DOMAIN "reportpipe"

struct curve_auth {
	pthread_t thread;
	void *rep;
	uint8_t (*keys)[32]; /* admitted public keys, raw */
	size_t nkeys;
};

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
	return 0;
}

int
curve_client(void *sock, const struct config *cfg)
{
	char public_key[CURVE_KEY_LEN + 1];
	if (!curve_enabled(cfg))
		return 0;
	if (curve_check_support() < 0)
		return -1;
	if (zmq_curve_public(public_key, cfg->curve_secret_key) < 0) {
		log_warnx("curve_secret_key is not a CURVE secret key");
		return -1;
	}
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

static void *
curve_auth_main(void *arg)
{
	struct curve_auth *a = arg;
	while (curve_auth_serve(a) == 0)
		;
	zmq_close(a->rep);
	return NULL;
}

int
curve_auth_start(void *ctx, const struct config *cfg, struct curve_auth **out)
{
	char own[CURVE_KEY_LEN + 1];
	*out = NULL;
	if (!curve_enabled(cfg))
		return 0;
	if (curve_check_support() < 0)
		return -1;
	if (zmq_curve_public(own, cfg->curve_secret_key) < 0) {
		log_warnx("curve_secret_key is not a CURVE secret key");
		return -1;
	}
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
	a->rep = zmq_socket(ctx, ZMQ_REP);
	int linger = 0;
	zmq_setsockopt(a->rep, ZMQ_LINGER, &linger, sizeof(linger));
	if (zmq_bind(a->rep, ZAP_ENDPOINT) < 0) {
		log_warnx("cannot start the CURVE authentication handler: %s", zmq_strerror(errno));
		zmq_close(a->rep);
		free(a->keys);
		free(a);
		return -1;
	}
	int rc = pthread_create(&a->thread, NULL, curve_auth_main, a);
	if (rc != 0) {
		errno = rc;
		log_warn("cannot start the CURVE authentication thread");
		zmq_close(a->rep);
		free(a->keys);
		free(a);
		return -1;
	}
	*out = a;
	return 0;
}

void
curve_auth_stop(struct curve_auth **ap, void *ctx)
{
	struct curve_auth *a = *ap;
	if (a == NULL)
		return;
	zmq_ctx_shutdown(ctx); /* the handler's receive ends with ETERM */
	pthread_join(a->thread, NULL);
	free(a->keys);
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
