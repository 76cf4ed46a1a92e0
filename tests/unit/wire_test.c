/*
 * wire_test.c - message framing over real ZeroMQ sockets (inproc:// and
 * ipc:// in a temporary directory).
 *
 * Round trips with and without a body, ROUTER identities, and everything a
 * peer may get wrong: a foreign version, wrong frame counts, bad type or
 * header frames. After each bad message a good one must still arrive intact,
 * so a drop never desynchronises the stream. Receivers carry a 2 s timeout
 * so that a failure ends the test instead of hanging it.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "wire.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zmq.h>

struct fx {
	void *ctx;
	void *a; /* sender */
	void *b; /* receiver */
};

static int
setup(void **state)
{
	struct fx *fx = calloc(1, sizeof(*fx));
	if (fx == NULL || (fx->ctx = zmq_ctx_new()) == NULL)
		return -1;
	*state = fx;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *fx = *state;
	if (fx->a)
		zmq_close(fx->a);
	if (fx->b)
		zmq_close(fx->b);
	zmq_ctx_term(fx->ctx);
	free(fx);
	return 0;
}

static void *
sock(struct fx *fx, int type)
{
	void *s = zmq_socket(fx->ctx, type);
	int timeout = 2000;
	assert_non_null(s);
	wire_socket_defaults(s);
	assert_int_equal(zmq_setsockopt(s, ZMQ_RCVTIMEO, &timeout, sizeof(timeout)), 0);
	return s;
}

/* a = PUSH connected to b = PULL bound on a fresh inproc endpoint. */
static void
push_pull(struct fx *fx)
{
	static int seq;
	char ep[64];
	snprintf(ep, sizeof(ep), "inproc://wire-test-%d", ++seq);
	fx->b = sock(fx, ZMQ_PULL);
	assert_int_equal(zmq_bind(fx->b, ep), 0);
	fx->a = sock(fx, ZMQ_PUSH);
	assert_int_equal(zmq_connect(fx->a, ep), 0);
}

/* Send raw frames (n of them) as one message. */
static void
send_frames(void *s, const char *const *frames, int n)
{
	for (int i = 0; i < n; i++)
		assert_true(
		    zmq_send(s, frames[i], strlen(frames[i]), i + 1 < n ? ZMQ_SNDMORE : 0) >= 0);
}

/* The next message must be a well-formed PING with seq n: the stream is in step. */
static void
expect_ping(void *s, int is_router, long long n)
{
	struct wire_msg m;
	assert_int_equal(wire_recv(s, is_router, &m), 0);
	assert_string_equal(m.type, "PING");
	assert_int_equal(wire_int(&m, "seq", -1), n);
	wire_msg_release(&m);
}

static void
send_ping(void *s, long long n)
{
	struct json_object *h = json_object_new_object();
	json_object_object_add(h, "seq", json_object_new_int64(n));
	assert_int_equal(wire_send(s, NULL, 0, "PING", h, NULL, 0), 0);
	json_object_put(h);
}

static void
test_round_trip_with_body(void **state)
{
	struct fx *fx = *state;
	struct wire_msg m;
	const unsigned char body[] = "line one\n\0binary\xff\xfe tail";
	struct json_object *h = json_object_new_object();

	push_pull(fx);
	json_object_object_add(h, "url", json_object_new_string("https://example.invalid/r.txt"));
	json_object_object_add(h, "attempt", json_object_new_int(2));
	json_object_object_add(h, "size", json_object_new_int64(5000000000LL));
	assert_int_equal(wire_send(fx->a, NULL, 0, "JOB", h, body, sizeof(body)), 0);
	json_object_put(h);

	assert_int_equal(wire_recv(fx->b, 0, &m), 0);
	assert_string_equal(m.type, "JOB");
	assert_non_null(m.hdr);
	assert_string_equal(wire_str(&m, "url", NULL), "https://example.invalid/r.txt");
	assert_int_equal(wire_int(&m, "attempt", -1), 2);
	assert_int_equal(wire_int(&m, "size", -1), 5000000000LL);
	assert_int_equal(m.body_len, sizeof(body));
	assert_memory_equal(m.body, body, sizeof(body));
	assert_int_equal(m.body[m.body_len], '\0');
	assert_int_equal(m.route_len, 0);
	/* absent or mistyped fields give the default */
	assert_string_equal(wire_str(&m, "missing", "dflt"), "dflt");
	assert_string_equal(wire_str(&m, "attempt", "dflt"), "dflt");
	assert_int_equal(wire_int(&m, "url", -7), -7);
	wire_msg_release(&m);
	assert_null(m.hdr);
	assert_null(m.body);
	wire_msg_release(&m); /* twice is harmless */
}

static void
test_round_trip_without_body(void **state)
{
	struct fx *fx = *state;
	struct wire_msg m;

	push_pull(fx);
	assert_int_equal(wire_send(fx->a, NULL, 0, "READY", NULL, NULL, 0), 0);
	assert_int_equal(wire_recv(fx->b, 0, &m), 0);
	assert_string_equal(m.type, "READY");
	assert_non_null(m.hdr);
	assert_int_equal(json_object_object_length(m.hdr), 0);
	assert_null(m.body);
	assert_int_equal(m.body_len, 0);
	wire_msg_release(&m);

	/* an empty body is still a body: four frames, zero bytes */
	assert_int_equal(wire_send(fx->a, NULL, 0, "RESULT", NULL, "", 0), 0);
	assert_int_equal(wire_recv(fx->b, 0, &m), 0);
	assert_string_equal(m.type, "RESULT");
	assert_non_null(m.body);
	assert_int_equal(m.body_len, 0);
	wire_msg_release(&m);
}

static void
test_router_identity_over_ipc(void **state)
{
	struct fx *fx = *state;
	struct wire_endpoints ep;
	struct wire_msg m;
	char dir[] = "/tmp/rp-wire-XXXXXX";
	char path[128];
	const char id[] = "worker-7";

	assert_non_null(mkdtemp(dir));
	assert_int_equal(wire_endpoints_ipc(&ep, dir), 0);
	fx->b = sock(fx, ZMQ_ROUTER);
	assert_int_equal(zmq_bind(fx->b, ep.jobs.bind), 0);
	fx->a = sock(fx, ZMQ_DEALER);
	assert_int_equal(zmq_setsockopt(fx->a, ZMQ_ROUTING_ID, id, strlen(id)), 0);
	assert_int_equal(zmq_connect(fx->a, ep.jobs.connect), 0);

	assert_int_equal(wire_send(fx->a, NULL, 0, "READY", NULL, NULL, 0), 0);
	assert_int_equal(wire_recv(fx->b, 1, &m), 0);
	assert_string_equal(m.type, "READY");
	assert_int_equal(m.route_len, strlen(id));
	assert_memory_equal(m.route, id, strlen(id));

	/* answer the peer by its route: only it gets the job */
	assert_int_equal(wire_send(fx->b, m.route, m.route_len, "JOB", NULL, "body", 4), 0);
	wire_msg_release(&m);
	assert_int_equal(wire_recv(fx->a, 0, &m), 0);
	assert_string_equal(m.type, "JOB");
	assert_int_equal(m.route_len, 0);
	assert_int_equal(m.body_len, 4);
	assert_memory_equal(m.body, "body", 4);
	wire_msg_release(&m);

	zmq_close(fx->a);
	zmq_close(fx->b);
	fx->a = fx->b = NULL;
	snprintf(path, sizeof(path), "%s/jobs", dir);
	unlink(path);
	assert_int_equal(rmdir(dir), 0);
}

static void
test_foreign_version_refused(void **state)
{
	struct fx *fx = *state;
	struct wire_msg m;
	static const char *const v2[] = {"reportpipe/2", "JOB", "{\"url\":\"x\"}", "body"};
	static const char *const prefix[] = {"reportpipe/1x", "JOB", "{}"};
	static const char *const empty[] = {"", "JOB", "{}"};

	push_pull(fx);
	send_frames(fx->a, v2, 4);
	send_frames(fx->a, prefix, 3);
	send_frames(fx->a, empty, 3);
	send_ping(fx->a, 1);
	for (int i = 0; i < 3; i++) {
		memset(&m, 0xA5, sizeof(m)); /* garbage in: nothing may be left owned */
		assert_int_equal(wire_recv(fx->b, 0, &m), 1);
		assert_null(m.hdr);
		assert_null(m.body);
	}
	expect_ping(fx->b, 0, 1);
}

static void
test_malformed_frame_counts(void **state)
{
	struct fx *fx = *state;
	struct wire_msg m;
	static const char *const f[] = {WIRE_VERSION, "JOB", "{}", "body", "x", "y", "z"};
	static const int bad_counts[] = {1, 2, 5, 6, 7};

	push_pull(fx);
	for (size_t i = 0; i < sizeof(bad_counts) / sizeof(bad_counts[0]); i++) {
		send_frames(fx->a, f, bad_counts[i]);
		send_ping(fx->a, (long long)i);
	}
	for (size_t i = 0; i < sizeof(bad_counts) / sizeof(bad_counts[0]); i++) {
		assert_int_equal(wire_recv(fx->b, 0, &m), 1);
		assert_null(m.hdr);
		assert_null(m.body);
		expect_ping(fx->b, 0, (long long)i);
	}
}

static void
test_malformed_type_and_header(void **state)
{
	struct fx *fx = *state;
	struct wire_msg m;
	static const char *const cases[][3] = {
	    {WIRE_VERSION, "", "{}"},		      /* empty type */
	    {WIRE_VERSION, "SIXTEEN-CHARS-XX", "{}"}, /* type does not fit */
	    {WIRE_VERSION, "JOB", ""},		      /* empty header */
	    {WIRE_VERSION, "JOB", "{\"url\":"},	      /* truncated JSON */
	    {WIRE_VERSION, "JOB", "[1,2]"},	      /* JSON, not an object */
	    {WIRE_VERSION, "JOB", "\"text\""},
	    {WIRE_VERSION, "JOB", "not json"},
	};
	const size_t n = sizeof(cases) / sizeof(cases[0]);

	push_pull(fx);
	for (size_t i = 0; i < n; i++)
		send_frames(fx->a, cases[i], 3);
	send_ping(fx->a, 42);
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(wire_recv(fx->b, 0, &m), 1);
		assert_null(m.hdr);
	}
	expect_ping(fx->b, 0, 42);

	/* the longest type that fits (15 bytes) is fine */
	static const char *const longest[] = {WIRE_VERSION, "FIFTEEN-CHARS-X", "{}"};
	send_frames(fx->a, longest, 3);
	assert_int_equal(wire_recv(fx->b, 0, &m), 0);
	assert_string_equal(m.type, "FIFTEEN-CHARS-X");
	wire_msg_release(&m);
}

static void
test_router_malformed_from_dealer(void **state)
{
	struct fx *fx = *state;
	struct wire_msg m;
	static const char *const only_version[] = {WIRE_VERSION};
	static const char *const foreign[] = {"other/1", "READY", "{}"};

	fx->b = sock(fx, ZMQ_ROUTER);
	assert_int_equal(zmq_bind(fx->b, "inproc://wire-router-bad"), 0);
	fx->a = sock(fx, ZMQ_DEALER);
	assert_int_equal(zmq_connect(fx->a, "inproc://wire-router-bad"), 0);
	send_frames(fx->a, only_version, 1);
	send_frames(fx->a, foreign, 3);
	send_ping(fx->a, 9);
	assert_int_equal(wire_recv(fx->b, 1, &m), 1);
	assert_int_equal(wire_recv(fx->b, 1, &m), 1);
	assert_null(m.hdr);
	expect_ping(fx->b, 1, 9);
}

static void
test_recv_nowait_empty_is_eagain(void **state)
{
	struct fx *fx = *state;
	struct wire_msg m;

	push_pull(fx);
	errno = 0;
	assert_int_equal(wire_recv_nowait(fx->b, 0, &m), -1);
	assert_int_equal(errno, EAGAIN);
	assert_null(m.hdr);
	assert_null(m.body);
}

/* Wait (at most 1 s) until s has a message; no fixed sleep. */
static void
wait_readable(void *s)
{
	zmq_pollitem_t it = {.socket = s, .events = ZMQ_POLLIN};
	assert_int_equal(zmq_poll(&it, 1, 1000), 1);
}

static void
test_recv_nowait_skips_malformed(void **state)
{
	struct fx *fx = *state;
	struct wire_msg m;
	static const char *const bad[] = {"reportpipe/0", "JOB", "{}"};

	push_pull(fx);
	/* only a bad message waiting: dropped, then "nothing waiting" */
	send_frames(fx->a, bad, 3);
	wait_readable(fx->b);
	errno = 0;
	assert_int_equal(wire_recv_nowait(fx->b, 0, &m), -1);
	assert_int_equal(errno, EAGAIN);

	/* a bad message before a good one: the good one comes out */
	send_frames(fx->a, bad, 3);
	send_ping(fx->a, 5);
	wait_readable(fx->b);
	assert_int_equal(wire_recv_nowait(fx->b, 0, &m), 0);
	assert_string_equal(m.type, "PING");
	assert_int_equal(wire_int(&m, "seq", -1), 5);
	wire_msg_release(&m);
}

static void
test_recv_timeout_is_eagain(void **state)
{
	struct fx *fx = *state;
	struct wire_msg m;
	int timeout = 20;

	push_pull(fx);
	assert_int_equal(zmq_setsockopt(fx->b, ZMQ_RCVTIMEO, &timeout, sizeof(timeout)), 0);
	errno = 0;
	assert_int_equal(wire_recv(fx->b, 0, &m), -1);
	assert_int_equal(errno, EAGAIN);
}

static void
test_endpoints_ipc(void **state)
{
	(void)state;
	struct wire_endpoints e;
	char longdir[100];

	assert_int_equal(wire_endpoints_ipc(&e, "/run/rp"), 0);
	assert_string_equal(e.jobs.bind, "ipc:///run/rp/jobs");
	assert_string_equal(e.jobs.connect, "ipc:///run/rp/jobs");
	assert_string_equal(e.results.bind, "ipc:///run/rp/results");
	assert_string_equal(e.results.connect, "ipc:///run/rp/results");
	assert_string_equal(e.ctl.bind, "ipc:///run/rp/ctl");
	assert_string_equal(e.ctl.connect, "ipc:///run/rp/ctl");

	memset(longdir, 'd', sizeof(longdir) - 1);
	longdir[0] = '/';
	longdir[sizeof(longdir) - 1] = '\0';
	assert_int_equal(wire_endpoints_ipc(&e, longdir), -1);
}

static void
test_socket_defaults_linger(void **state)
{
	struct fx *fx = *state;
	int linger = -1;
	size_t len = sizeof(linger);

	fx->a = zmq_socket(fx->ctx, ZMQ_PUSH);
	wire_socket_defaults(fx->a);
	assert_int_equal(zmq_getsockopt(fx->a, ZMQ_LINGER, &linger, &len), 0);
	assert_int_equal(linger, 2000);
}

/*
 * wire_decode without a socket. Found by tests/fuzz/wire_fuzz.c: a type frame
 * with a NUL inside ("J\0B") was taken as the shorter type "J", so that
 * "RESULT\0anything" would pass for a RESULT (tests/fuzz/crashes/README.md).
 */
static void
test_decode_type_with_nul(void **state)
{
	struct wire_msg m;
	struct wire_frame f[] = {{WIRE_VERSION, strlen(WIRE_VERSION)}, {"RESULT\0x", 8}, {"{}", 2}};

	(void)state;
	assert_int_equal(wire_decode(f, 3, 0, &m), 1);
	assert_null(m.hdr);
	f[1] = (struct wire_frame){"J\0B", 3};
	assert_int_equal(wire_decode(f, 3, 0, &m), 1);
	/* the same frames without the NUL are a message, with the body frame as given */
	struct wire_frame g[] = {{"peer", 4}, f[0], {"RESULT", 6}, {"{\"k\":1}", 7}, {"b\0dy", 4}};
	assert_int_equal(wire_decode(g, 5, 1, &m), 0);
	assert_string_equal(m.type, "RESULT");
	assert_int_equal(wire_int(&m, "k", 0), 1);
	assert_int_equal(m.route_len, 4);
	assert_memory_equal(m.route, "peer", 4);
	assert_int_equal(m.body_len, 4);
	assert_memory_equal(m.body, "b\0dy", 5);
	wire_msg_release(&m);
	/* more frames than WIRE_FRAMES_MAX are refused before any is read */
	assert_int_equal(wire_decode(g, WIRE_FRAMES_MAX + 1, 1, &m), 1);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    T(test_round_trip_with_body),
	    T(test_round_trip_without_body),
	    T(test_router_identity_over_ipc),
	    T(test_foreign_version_refused),
	    T(test_malformed_frame_counts),
	    T(test_malformed_type_and_header),
	    T(test_router_malformed_from_dealer),
	    T(test_recv_nowait_empty_is_eagain),
	    T(test_recv_nowait_skips_malformed),
	    T(test_recv_timeout_is_eagain),
	    cmocka_unit_test(test_endpoints_ipc),
	    T(test_socket_defaults_linger),
	    cmocka_unit_test(test_decode_type_with_nul),
	};
	return cmocka_run_group_tests_name("wire", tests, NULL, NULL);
}
