/*
 * curve.h - ZeroMQ CURVE for stages on several hosts: the keys from the
 * config, the socket options of each side, and the ZAP handler through which
 * a binding stage admits only the public keys it knows, logging every peer it
 * refuses (one with a key not admitted, and one with no key at all). Everything
 * here is a no-op while CURVE is off (no keys set).
 */
#ifndef RP_CURVE_H
#define RP_CURVE_H

#include "config.h"

#define CURVE_KEY_LEN 40 /* a 32-byte key in Z85 */

/* 1 when the config sets the keys. */
int curve_enabled(const struct config *cfg);

/*
 * Make sock a CURVE server (binding side, before it binds; the running
 * handler then watches its handshakes) or client. 0, or -1 after a logged error.
 */
int curve_server(void *sock, const struct config *cfg);
int curve_client(void *sock, const struct config *cfg);

struct curve_auth;

/*
 * Start the ZAP handler of ctx (a thread) before any socket of ctx binds;
 * one per process. *out is NULL while CURVE is off. Returns 0, or -1 after a
 * logged error.
 */
int curve_auth_start(void *ctx, const struct config *cfg, struct curve_auth **out);

/* Shut ctx down (its sockets must be closed first), then end the handler. */
void curve_auth_stop(struct curve_auth **a, void *ctx);

/* A new key pair, Z85, NUL-terminated. 0, or -1 when libzmq lacks CURVE. */
int curve_keypair(char public_key[CURVE_KEY_LEN + 1], char secret_key[CURVE_KEY_LEN + 1]);

#endif
