/*
 * sink_pair.h - one batch stored over two connections at once.
 *
 * PostgreSQL gives each connection one backend, and a backend works on one
 * core: over one connection, the database's share of a run is serial, and
 * once the parsers are done the other cores sit idle. Here a batch is split
 * in two by URL, and each half goes in by a transaction of its own on a
 * connection of its own, the second on a thread of its own. Two halves
 * never hold the same URL, so neither waits on rows the other writes.
 * Must never touch the sink's sockets, runs or counts: it only writes, and
 * says what became of each half.
 */
#ifndef RP_SINK_PAIR_H
#define RP_SINK_PAIR_H

#include "sink_db.h"
#include "sink_write.h"

#include <stddef.h>

/* One half of a batch, and what became of it (as sink_write_batch says). */
struct sink_pair_half {
	struct sink_write_item *items;
	size_t n;
	enum store_result r;
	struct sink_err e;
};

/* The half (0 or 1) that url's documents go to: the same for every version of it. */
int sink_pair_side(const char *url);

/*
 * Store half[0] on a, in the calling thread, and half[1] on b, on a thread
 * of its own, at the same time; return once both are done. While the
 * calling thread waits for b, tick(arg, ms) is told every second how long
 * b's statement has waited, as the calling thread's waiter is told of its
 * own (sink_db_on_wait). 0, or -1 when no thread could be started: then
 * nothing was written.
 */
int sink_pair_write(PGconn *a, PGconn *b, struct sink_pair_half half[2], sink_db_wait_fn tick,
		    void *arg);

#endif
