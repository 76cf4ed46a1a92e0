/*
 * sink_prep.c - the thread that reads RESULTs and builds their rows (see
 * sink_prep.h). It hands each message over as a pointer on an inproc PAIR:
 * ZeroMQ's high-water mark on that pair is the bound on work done ahead,
 * and ownership moves with the pointer. The thread must never touch the
 * database, the control socket or the runs: those stay with the sink.
 */
#include "sink_prep.h"
#include "buf.h"
#include "log.h"
#include "proto.h"
#include "thread.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#define PREP_POLL_MS 200 /* how soon the thread notices it is asked to stop */

struct sink_prep {
	pthread_t thread;
	void *results; /* the thread's: PULL from the parsers */
	void *out;     /* the thread's end of the pair */
	void *in;      /* the sink's end of the pair */
	atomic_int stop;
};

/*
 * A RESULT's rows, read from its body (proto.h: [report, document]); the
 * report's bytes stay where they are, in the message. A RESULT of
 * reportpipe/1 (the document as JSON in its header) is refused by name:
 * its report becomes a dead letter, kept whole, until the parser that sent
 * it is upgraded and the letter is fetched again.
 */
static void
prep_result(struct sink_prepared *p)
{
	const struct wire_msg *m = &p->m;
	const unsigned char *doc;
	size_t doc_len;

	if (m->legacy) {
		snprintf(p->err, sizeof(p->err),
			 "refused a result in the format of " WIRE_VERSION_LEGACY
			 " (the document as JSON) from a parser of an older release;"
			 " this sink reads " WIRE_VERSION ": upgrade that parser");
		return;
	}
	if (sink_rows_split(m->body, m->body_len, &doc, &doc_len, &p->report, &p->report_len) < 0) {
		p->report = m->body;
		p->report_len = m->body_len;
		snprintf(p->err, sizeof(p->err),
			 "the result's body is not a MessagePack [report, document]");
		return;
	}
	p->doc = sink_rows_new(m->hdr, doc, doc_len, p->err, sizeof(p->err));
}

static struct sink_prepared *
prep_one(struct wire_msg *m)
{
	struct sink_prepared *p = xcalloc(1, sizeof(*p));
	p->m = *m;
	/* what a dead letter keeps: the report as it came, in any message */
	p->report = m->body;
	p->report_len = m->body_len;
	if (strcmp(m->type, PROTO_MSG_RESULT) == 0 && wire_str(m, PROTO_KEY_KEY, NULL) != NULL)
		prep_result(p);
	return p;
}

/* Hand p over, waiting for room; 0, or -1 when told to stop first (p is then still ours). */
static int
prep_hand_over(struct sink_prep *s, struct sink_prepared *p)
{
	while (!atomic_load(&s->stop)) {
		if (zmq_send(s->out, &p, sizeof(p), ZMQ_DONTWAIT) == (int)sizeof(p))
			return 0;
		if (errno != EAGAIN && errno != EINTR)
			return -1;
		zmq_pollitem_t item = {s->out, 0, ZMQ_POLLOUT, 0};
		zmq_poll(&item, 1, PREP_POLL_MS);
	}
	return -1;
}

static void *
prep_main(void *arg)
{
	struct sink_prep *s = arg;
	while (!atomic_load(&s->stop)) {
		zmq_pollitem_t item = {s->results, 0, ZMQ_POLLIN, 0};
		if (zmq_poll(&item, 1, PREP_POLL_MS) < 0 && errno != EINTR)
			break;
		struct wire_msg m;
		while (!atomic_load(&s->stop) && wire_recv_nowait(s->results, 0, &m) == 0) {
			struct sink_prepared *p = prep_one(&m);
			if (prep_hand_over(s, p) < 0) {
				sink_prepared_free(
				    &p); /* unacknowledged: the fetcher leases it again */
				break;
			}
		}
	}
	zmq_close(s->results);
	return NULL; /* out stays open: closing it could drop pointers still in the pair */
}

struct sink_prep *
sink_prep_start(void *ctx, void *results, int ahead)
{
	struct sink_prep *s = xcalloc(1, sizeof(*s));
	char endpoint[64];
	snprintf(endpoint, sizeof(endpoint), "inproc://sink-prep-%p", (void *)s);
	s->results = results;
	s->in = zmq_socket(ctx, ZMQ_PAIR);
	s->out = zmq_socket(ctx, ZMQ_PAIR);
	int linger = 0;
	if (s->in == NULL || s->out == NULL) {
		log_warnx("cannot create the sink's row-building sockets: %s", zmq_strerror(errno));
		goto fail;
	}
	/* the pair's queue is the bound on documents built ahead of the database */
	zmq_setsockopt(s->out, ZMQ_SNDHWM, &ahead, sizeof(ahead));
	zmq_setsockopt(s->in, ZMQ_RCVHWM, &ahead, sizeof(ahead));
	zmq_setsockopt(s->in, ZMQ_LINGER, &linger, sizeof(linger));
	zmq_setsockopt(s->out, ZMQ_LINGER, &linger, sizeof(linger));
	if (zmq_bind(s->in, endpoint) < 0 || zmq_connect(s->out, endpoint) < 0) {
		log_warnx("cannot connect the sink's row-building sockets: %s",
			  zmq_strerror(errno));
		goto fail;
	}
	/* signals blocked: a SIGTERM must reach the sink's loop, not this thread */
	int rc = thread_start(&s->thread, prep_main, s);
	if (rc != 0) {
		errno = rc;
		log_warn("cannot start the sink's row-building thread");
		goto fail;
	}
	return s;
fail:
	if (s->in)
		zmq_close(s->in);
	if (s->out)
		zmq_close(s->out);
	zmq_close(results);
	free(s);
	return NULL;
}

void *
sink_prep_socket(struct sink_prep *s)
{
	return s->in;
}

struct sink_prepared *
sink_prep_next(struct sink_prep *s)
{
	struct sink_prepared *p;
	if (zmq_recv(s->in, &p, sizeof(p), ZMQ_DONTWAIT) != (int)sizeof(p))
		return NULL;
	return p;
}

void
sink_prepared_free(struct sink_prepared **pp)
{
	struct sink_prepared *p = *pp;
	if (p == NULL)
		return;
	wire_msg_release(&p->m);
	sink_rows_free(&p->doc);
	free(p);
	*pp = NULL;
}

void
sink_prep_stop(struct sink_prep **sp)
{
	struct sink_prep *s = *sp;
	struct sink_prepared *p;
	if (s == NULL)
		return;
	atomic_store(&s->stop, 1);
	pthread_join(s->thread, NULL);
	/* what was built but never taken: not acknowledged, so the fetcher keeps it */
	while ((p = sink_prep_next(s)) != NULL)
		sink_prepared_free(&p);
	zmq_close(s->out);
	zmq_close(s->in);
	free(s);
	*sp = NULL;
}
