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
	switch (c) {
	case 0xc0:
		v->type = SINK_MP_NIL;
		return 0;
	case 0xc2:
	case 0xc3:
		v->type = SINK_MP_BOOL;
		v->b = c == 0xc3;
		return 0;
	case 0xc4:
	case 0xc5:
	case 0xc6:
		if (mp_be(r, (size_t)1 << (c - 0xc4), &u) < 0)
			return -1;
		return mp_bytes(r, v, SINK_MP_BIN, u);
	case 0xc7:
	case 0xc8:
	case 0xc9:
		if (mp_be(r, (size_t)1 << (c - 0xc7), &u) < 0)
			return -1;
		return mp_bytes(r, v, SINK_MP_EXT, u + 1); /* the type byte, then the data */
	case 0xca: {
		float f;
		uint32_t w;
		if (mp_be(r, 4, &u) < 0)
			return -1;
		w = (uint32_t)u;
		memcpy(&f, &w, sizeof(f));
		v->type = SINK_MP_FLOAT;
		v->f = f;
		return 0;
	}
	case 0xcb:
		if (mp_be(r, 8, &u) < 0)
			return -1;
		memcpy(&v->f, &u, sizeof(v->f));
		v->type = SINK_MP_FLOAT;
		return 0;
	case 0xcc:
	case 0xcd:
	case 0xce:
	case 0xcf:
		if (mp_be(r, (size_t)1 << (c - 0xcc), &u) < 0 || u > INT64_MAX)
			return -1;
		v->type = SINK_MP_INT;
		v->i = (int64_t)u;
		return 0;
	case 0xd0:
	case 0xd1:
	case 0xd2:
	case 0xd3: {
		size_t n = (size_t)1 << (c - 0xd0);
		if (mp_be(r, n, &u) < 0)
			return -1;
		/* sign-extend from n bytes */
		if (n < 8 && (u >> (8 * n - 1)) & 1)
			u |= ~(uint64_t)0 << (8 * n);
		v->type = SINK_MP_INT;
		memcpy(&v->i, &u, sizeof(v->i));
		return 0;
	}
	case 0xd4:
	case 0xd5:
	case 0xd6:
	case 0xd7:
	case 0xd8:
		return mp_bytes(r, v, SINK_MP_EXT, 1 + ((uint64_t)1 << (c - 0xd4)));
	case 0xd9:
	case 0xda:
	case 0xdb:
		if (mp_be(r, (size_t)1 << (c - 0xd9), &u) < 0)
			return -1;
		return mp_bytes(r, v, SINK_MP_STR, u);
	case 0xdc:
	case 0xdd:
		if (mp_be(r, (size_t)2 << (c - 0xdc), &u) < 0)
			return -1;
		return mp_container(r, v, SINK_MP_ARRAY, u);
	case 0xde:
	case 0xdf:
		if (mp_be(r, (size_t)2 << (c - 0xde), &u) < 0)
			return -1;
		return mp_container(r, v, SINK_MP_MAP, u);
	default: /* 0xc1: never used */
		return -1;
	}
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
