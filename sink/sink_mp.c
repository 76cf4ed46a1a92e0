/*
 * sink_mp.c - the MessagePack pull reader (see sink_mp.h).
 *
 * Everything comes from a peer: every length is checked against the bytes
 * that are left before it is used, and nesting is skipped with a counter,
 * not recursion, so no input can overrun the buffer or the stack.
 */
#include "sink_mp.h"

#include <string.h>

/* Take n bytes, or -1 when fewer are left. */
static int
mp_take(struct sink_mp *r, size_t n, const unsigned char **at)
{
	if ((size_t)(r->end - r->p) < n)
		return -1;
	*at = r->p;
	r->p += n;
	return 0;
}

/* A big-endian unsigned integer of n bytes (1, 2, 4, 8). */
static int
mp_be(struct sink_mp *r, size_t n, uint64_t *out)
{
	const unsigned char *at;
	if (mp_take(r, n, &at) < 0)
		return -1;
	uint64_t v = 0;
	for (size_t k = 0; k < n; k++)
		v = v << 8 | at[k];
	*out = v;
	return 0;
}

/* A payload of len bytes (a string, bin or ext), borrowed. */
static int
mp_bytes(struct sink_mp *r, struct sink_mp_value *v, enum sink_mp_type type, uint64_t len)
{
	const unsigned char *at;
	if (len > (uint64_t)(r->end - r->p) || mp_take(r, (size_t)len, &at) < 0)
		return -1;
	v->type = type;
	v->s = (const char *)at;
	v->len = (size_t)len;
	return 0;
}

static int
mp_container(struct sink_mp *r, struct sink_mp_value *v, enum sink_mp_type type, uint64_t n)
{
	/* each element takes at least one byte: a count past what is left is a lie */
	if (n > (uint64_t)(r->end - r->p))
		return -1;
	v->type = type;
	v->len = (size_t)n;
	return 0;
}

/*
 * The formats of first byte 0xc0..0xdf, from the MessagePack spec: what each
 * holds and how its size is told. An entry left out (0xc1) is MP_NEVER.
 */
enum mp_kind {
	MP_NEVER,  /* no such format */
	MP_CONST,  /* nil, false, true: the value is the byte (b = value) */
	MP_UINT,   /* an unsigned integer of width bytes */
	MP_SINT,   /* a two's complement integer of width bytes */
	MP_FLOAT,  /* an IEEE 754 float of width bytes (4 or 8) */
	MP_FIXED,  /* a payload of width bytes (fixext: the type byte and its data) */
	MP_SIZED,  /* a length of width bytes, then that many bytes and value more */
	MP_COUNTED /* a count of width bytes, then that many elements or pairs */
};

struct mp_format {
	unsigned char kind; /* enum mp_kind */
	unsigned char type; /* enum sink_mp_type */
	unsigned char width;
	unsigned char value; /* MP_CONST: b; MP_SIZED: bytes beyond the length (ext's type) */
};

#define MP_FORMAT(byte, kind, type, width, value) [(byte)-0xc0] = {kind, type, width, value}

static const struct mp_format mp_formats[0x20] = {
    MP_FORMAT(0xc0, MP_CONST, SINK_MP_NIL, 0, 0),
    MP_FORMAT(0xc2, MP_CONST, SINK_MP_BOOL, 0, 0),
    MP_FORMAT(0xc3, MP_CONST, SINK_MP_BOOL, 0, 1),
    MP_FORMAT(0xc4, MP_SIZED, SINK_MP_BIN, 1, 0),
    MP_FORMAT(0xc5, MP_SIZED, SINK_MP_BIN, 2, 0),
    MP_FORMAT(0xc6, MP_SIZED, SINK_MP_BIN, 4, 0),
    MP_FORMAT(0xc7, MP_SIZED, SINK_MP_EXT, 1, 1),
    MP_FORMAT(0xc8, MP_SIZED, SINK_MP_EXT, 2, 1),
    MP_FORMAT(0xc9, MP_SIZED, SINK_MP_EXT, 4, 1),
    MP_FORMAT(0xca, MP_FLOAT, SINK_MP_FLOAT, 4, 0),
    MP_FORMAT(0xcb, MP_FLOAT, SINK_MP_FLOAT, 8, 0),
    MP_FORMAT(0xcc, MP_UINT, SINK_MP_INT, 1, 0),
    MP_FORMAT(0xcd, MP_UINT, SINK_MP_INT, 2, 0),
    MP_FORMAT(0xce, MP_UINT, SINK_MP_INT, 4, 0),
    MP_FORMAT(0xcf, MP_UINT, SINK_MP_INT, 8, 0),
    MP_FORMAT(0xd0, MP_SINT, SINK_MP_INT, 1, 0),
    MP_FORMAT(0xd1, MP_SINT, SINK_MP_INT, 2, 0),
    MP_FORMAT(0xd2, MP_SINT, SINK_MP_INT, 4, 0),
    MP_FORMAT(0xd3, MP_SINT, SINK_MP_INT, 8, 0),
    MP_FORMAT(0xd4, MP_FIXED, SINK_MP_EXT, 2, 0),
    MP_FORMAT(0xd5, MP_FIXED, SINK_MP_EXT, 3, 0),
    MP_FORMAT(0xd6, MP_FIXED, SINK_MP_EXT, 5, 0),
    MP_FORMAT(0xd7, MP_FIXED, SINK_MP_EXT, 9, 0),
    MP_FORMAT(0xd8, MP_FIXED, SINK_MP_EXT, 17, 0),
    MP_FORMAT(0xd9, MP_SIZED, SINK_MP_STR, 1, 0),
    MP_FORMAT(0xda, MP_SIZED, SINK_MP_STR, 2, 0),
    MP_FORMAT(0xdb, MP_SIZED, SINK_MP_STR, 4, 0),
    MP_FORMAT(0xdc, MP_COUNTED, SINK_MP_ARRAY, 2, 0),
    MP_FORMAT(0xdd, MP_COUNTED, SINK_MP_ARRAY, 4, 0),
    MP_FORMAT(0xde, MP_COUNTED, SINK_MP_MAP, 2, 0),
    MP_FORMAT(0xdf, MP_COUNTED, SINK_MP_MAP, 4, 0),
};

int
sink_mp_next(struct sink_mp *r, struct sink_mp_value *v)
{
	const unsigned char *at;
	uint64_t u;

	memset(v, 0, sizeof(*v));
	if (mp_take(r, 1, &at) < 0)
		return -1;
	unsigned c = at[0];
	if (c <= 0x7f || c >= 0xe0) {
		v->type = SINK_MP_INT;
		v->i = (int8_t)c;
		return 0;
	}
	if ((c & 0xe0) == 0xa0)
		return mp_bytes(r, v, SINK_MP_STR, c & 0x1f);
	if ((c & 0xf0) == 0x90)
		return mp_container(r, v, SINK_MP_ARRAY, c & 0x0f);
	if ((c & 0xf0) == 0x80)
		return mp_container(r, v, SINK_MP_MAP, c & 0x0f);

	const struct mp_format *f = &mp_formats[c - 0xc0];
	enum sink_mp_type type = (enum sink_mp_type)f->type;
	if (f->kind == MP_NEVER)
		return -1;
	if (f->kind == MP_CONST) {
		v->type = type;
		v->b = f->value;
		return 0;
	}
	if (f->kind == MP_FIXED)
		return mp_bytes(r, v, type, f->width);
	if (mp_be(r, f->width, &u) < 0)
		return -1;
	switch ((enum mp_kind)f->kind) {
	case MP_SIZED:
		return mp_bytes(r, v, type, u + f->value);
	case MP_COUNTED:
		return mp_container(r, v, type, u);
	case MP_UINT:
		if (u > INT64_MAX)
			return -1;
		v->i = (int64_t)u;
		break;
	case MP_SINT:
		/* sign-extend from width bytes */
		if (f->width < 8 && (u >> (8 * f->width - 1)) & 1)
			u |= ~(uint64_t)0 << (8 * f->width);
		memcpy(&v->i, &u, sizeof(v->i));
		break;
	case MP_FLOAT:
		if (f->width == 4) {
			uint32_t w = (uint32_t)u;
			float fl;
			memcpy(&fl, &w, sizeof(fl));
			v->f = fl;
		} else {
			memcpy(&v->f, &u, sizeof(v->f));
		}
		break;
	default:
		return -1;
	}
	v->type = type;
	return 0;
}

int
sink_mp_skip(struct sink_mp *r, const struct sink_mp_value *v)
{
	/* values still to read; a map's pair is two */
	uint64_t left = v->type == SINK_MP_ARRAY ? v->len
			: v->type == SINK_MP_MAP ? 2 * (uint64_t)v->len
						 : 0;
	while (left > 0) {
		struct sink_mp_value e;
		if (sink_mp_next(r, &e) < 0)
			return -1;
		left--;
		if (e.type == SINK_MP_ARRAY)
			left += e.len;
		else if (e.type == SINK_MP_MAP)
			left += 2 * (uint64_t)e.len;
	}
	return 0;
}

int
sink_mp_str(struct sink_mp *r, const char **s, size_t *len)
{
	struct sink_mp_value v;
	if (sink_mp_next(r, &v) < 0)
		return -1;
	if (v.type != SINK_MP_STR)
		return sink_mp_skip(r, &v) < 0 ? -1 : 1;
	*s = v.s;
	*len = v.len;
	return 0;
}

int
sink_mp_is(const struct sink_mp_value *v, const char *key)
{
	size_t n = strlen(key);
	return v->type == SINK_MP_STR && v->len == n && memcmp(v->s, key, n) == 0;
}
