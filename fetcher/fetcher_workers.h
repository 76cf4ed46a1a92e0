/*
 * fetcher_workers.h - the parser workers the fetcher has heard from lately,
 * found by their ZeroMQ identity.
 */
#ifndef RP_FETCHER_WORKERS_H
#define RP_FETCHER_WORKERS_H

#include "wire.h"

#include <stddef.h>

/* A parser worker the fetcher has heard from lately. */
struct worker {
	unsigned char id[WIRE_ROUTE_MAX];
	size_t id_len;
	long pid;
	long serial; /* unique in this run: a worker forgotten and heard again is a new one */
	long long seen_ms;
	int credit; /* it asked for a job and has none (fetcher_workers_credit) */
};

struct fetcher_workers;

struct fetcher_workers *fetcher_workers_new(void);
/* Forget every worker; sets *ws to NULL; NULL is fine. */
void fetcher_workers_free(struct fetcher_workers **ws);

/*
 * The worker whose identity is id, heard from at now (pid as it says):
 * a known one, or a new one with a new serial. Borrowed until forgotten.
 */
struct worker *fetcher_workers_note(struct fetcher_workers *ws, const unsigned char *id,
				    size_t id_len, long pid, long long now);
/* Give w the one credit it can have (it asked for a job and holds none). */
void fetcher_workers_credit(struct fetcher_workers *ws, struct worker *w);
/* Take a credit: the worker that asked first, its credit used up; NULL when none asked. */
struct worker *fetcher_workers_take_credit(struct fetcher_workers *ws);
/* The worker process pid, or NULL. */
struct worker *fetcher_workers_by_pid(struct fetcher_workers *ws, long pid);
/* Forget *w (gone, silent or dead); sets *w to NULL. */
void fetcher_workers_forget(struct fetcher_workers *ws, struct worker **w);
/* Workers known. */
size_t fetcher_workers_count(const struct fetcher_workers *ws);
/*
 * Every WIRE_HEARTBEAT_MS: forget the workers silent past WIRE_LIVENESS_MS
 * and the ones a HEARTBEAT on sock (a ROUTER) no longer reaches; greet the rest.
 */
void fetcher_workers_beat(struct fetcher_workers *ws, void *sock, long long now);

#endif
