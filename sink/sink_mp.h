/*
 * sink_mp.h - a pull reader of MessagePack: one value at a time, straight
 * from the received bytes, with no tree in between.
 *
 * msgpack-c's C API only unpacks into an object tree; the sink reads a
 * parsed document once, in order, into COPY rows, so a cursor is all it
 * needs. Strings are borrowed pointers into the buffer, which must outlive
 * what is read from it.
 */
#ifndef RP_SINK_MP_H
#define RP_SINK_MP_H

#include <stddef.h>
#include <stdint.h>

enum sink_mp_type {
	SINK_MP_NIL,
	SINK_MP_BOOL,
	SINK_MP_INT, /* i holds it; a uint64 above INT64_MAX is refused as malformed */
	SINK_MP_FLOAT,
	SINK_MP_STR,
	SINK_MP_BIN,
	SINK_MP_ARRAY, /* n elements follow */
	SINK_MP_MAP,   /* n key/value pairs follow */
	SINK_MP_EXT,   /* skipped whole: never sent by a parser */
};

struct sink_mp_value {
	enum sink_mp_type type;
	int b;
	int64_t i;
	double f;
	const char *s; /* STR, BIN: borrowed, not NUL-terminated */
	size_t len;    /* STR, BIN: bytes; ARRAY, MAP: elements or pairs */
};

struct sink_mp {
	const unsigned char *p, *end;
};

/* Read the next value's head (a container's elements are read next). 0, or -1 when malformed. */
int sink_mp_next(struct sink_mp *r, struct sink_mp_value *v);

/* Skip the value whose head v was just read, with everything it contains. 0, or -1. */
int sink_mp_skip(struct sink_mp *r, const struct sink_mp_value *v);

/* The next value as a string: 0 with it in s/len; 1 when it is another type (skipped); -1. */
int sink_mp_str(struct sink_mp *r, const char **s, size_t *len);

/* v (just read) is a STR equal to the NUL-terminated key. */
int sink_mp_is(const struct sink_mp_value *v, const char *key);

#endif
