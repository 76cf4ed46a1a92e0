/*
 * doc_json_stream.c - write a parsed document as JSON as it goes, for
 * `reportpipe parse --format json`.
 *
 * A json-c tree of a large report costs ten times the report in memory and
 * most of the time of a parse; this walks the document once (doc_json_walk)
 * and writes each value straight into one large buffer, turning the text's
 * code points into escaped UTF-8 with no string in between. The bytes are
 * the ones json-c prints doc_to_json()'s tree as, pretty and without slash
 * escapes, so that scripts and golden files see no change: it must never
 * write anything json-c would write differently (tests/unit/doc_json_test.c
 * holds it to that).
 */
#include "buf.h"
#include "doc_json.h"
#include "doc_json_walk.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#define STREAM_BUF (1u << 20) /* large: one fwrite per MiB, not per value */
#define STREAM_DEPTH 8	      /* the document nests three deep */
#define STREAM_ESC_MAX 6      /* the longest a code point gets: \u001f */

struct stream {
	FILE *fp;
	char *buf; /* owned, STREAM_BUF bytes */
	size_t len;
	int depth;			 /* containers open */
	unsigned char had[STREAM_DEPTH]; /* whether each open container has a member yet */
	int err;			 /* a write failed: the rest is dropped */
};

static void
stream_flush(struct stream *w)
{
	if (w->len > 0 && !w->err && fwrite(w->buf, 1, w->len, w->fp) != w->len)
		w->err = 1;
	w->len = 0;
}

static void
stream_put(struct stream *w, const char *s, size_t n)
{
	if (n > STREAM_BUF - w->len) {
		stream_flush(w);
		if (n > STREAM_BUF) {
			if (!w->err && fwrite(s, 1, n, w->fp) != n)
				w->err = 1;
			return;
		}
	}
	memcpy(w->buf + w->len, s, n);
	w->len += n;
}

/*
 * Escape byte c (< 0x80) as json-c does into o; returns the bytes written.
 * json-c escapes " \ and the C0 controls, lowercase hex, and leaves / alone
 * under JSON_C_TO_STRING_NOSLASHESCAPE; DEL and all non-ASCII pass through.
 */
static size_t
stream_esc_ascii(char *o, unsigned char c)
{
	static const char hex[] = "0123456789abcdef";
	if (c >= 0x20 && c != '"' && c != '\\') {
		o[0] = (char)c;
		return 1;
	}
	/* the escapes of one letter; the other controls as \u00XX */
	static const char letter[0x20] = {
	    ['\b'] = 'b', ['\n'] = 'n', ['\r'] = 'r', ['\t'] = 't', ['\f'] = 'f'};
	o[0] = '\\';
	if (c >= 0x20 || letter[c]) {
		o[1] = c >= 0x20 ? (char)c : letter[c]; /* " and \ stand for themselves */
		return 2;
	}
	memcpy(o + 1, "u00", 3);
	o[4] = hex[c >> 4];
	o[5] = hex[c & 0xF];
	return 6;
}

/* The C string s, escaped, without its quotes: bytewise, as json-c does. */
static void
stream_esc_cstr(struct stream *w, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	while (*p) {
		size_t room = (STREAM_BUF - w->len) / STREAM_ESC_MAX;
		if (room == 0) {
			stream_flush(w);
			continue;
		}
		char *o = w->buf + w->len;
		for (; *p && room > 0; p++, room--) {
			/* the common byte first, inline: the escapes are rare */
			if ((*p >= 0x20 && *p != '"' && *p != '\\') || *p >= 0x80)
				*o++ = (char)*p;
			else
				o += stream_esc_ascii(o, *p);
		}
		w->len = (size_t)(o - w->buf);
	}
}

/* The separator, indent and key that come before a value. */
static void
stream_prefix(struct stream *w, const char *key)
{
	static const char spaces[2 * STREAM_DEPTH] = "                ";
	if (w->depth == 0)
		return;
	if (w->had[w->depth - 1])
		stream_put(w, ",\n", 2);
	w->had[w->depth - 1] = 1;
	stream_put(w, spaces, 2 * (size_t)w->depth);
	if (key) {
		stream_put(w, "\"", 1);
		stream_esc_cstr(w, key);
		stream_put(w, "\":", 2);
	}
}

static void
stream_begin(void *ctx, const char *key, int array, size_t n)
{
	struct stream *w = ctx;
	(void)n;
	stream_prefix(w, key);
	/* json-c pretty breaks the line after an opening bracket even when nothing follows */
	stream_put(w, array ? "[\n" : "{\n", 2);
	assert(w->depth < STREAM_DEPTH);
	w->had[w->depth++] = 0;
}

static void
stream_end(void *ctx, int array)
{
	static const char spaces[2 * STREAM_DEPTH] = "                ";
	struct stream *w = ctx;
	assert(w->depth > 0);
	if (w->had[--w->depth])
		stream_put(w, "\n", 1);
	stream_put(w, spaces, 2 * (size_t)w->depth);
	stream_put(w, array ? "]" : "}", 1);
}

static void
stream_str(void *ctx, const char *key, const char *s)
{
	struct stream *w = ctx;
	stream_prefix(w, key);
	if (s == NULL) {
		stream_put(w, "null", 4);
		return;
	}
	stream_put(w, "\"", 1);
	stream_esc_cstr(w, s);
	stream_put(w, "\"", 1);
}

/* Code point c as UTF-8 into o, as buf_put_utf8() does; returns the bytes written. */
static size_t
stream_utf8(char *o, uint32_t c)
{
	if (c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
		c = 0xFFFD;
	if (c < 0x800) {
		o[0] = (char)(0xC0 | (c >> 6));
		o[1] = (char)(0x80 | (c & 0x3F));
		return 2;
	}
	if (c < 0x10000) {
		o[0] = (char)(0xE0 | (c >> 12));
		o[1] = (char)(0x80 | ((c >> 6) & 0x3F));
		o[2] = (char)(0x80 | (c & 0x3F));
		return 3;
	}
	o[0] = (char)(0xF0 | (c >> 18));
	o[1] = (char)(0x80 | ((c >> 12) & 0x3F));
	o[2] = (char)(0x80 | ((c >> 6) & 0x3F));
	o[3] = (char)(0x80 | (c & 0x3F));
	return 4;
}

static void
stream_text(void *ctx, const char *key, const struct text *t, size_t start, size_t end)
{
	struct stream *w = ctx;
	if (end > t->len)
		end = t->len;
	stream_prefix(w, key);
	stream_put(w, "\"", 1);
	size_t i = start;
	while (i < end) {
		size_t room = (STREAM_BUF - w->len) / STREAM_ESC_MAX;
		if (room == 0) {
			stream_flush(w);
			continue;
		}
		size_t stop = end - i < room ? end : i + room;
		char *o = w->buf + w->len;
		for (; i < stop; i++) {
			uint32_t c = t->cp[i];
			if (c >= 0x800 && c < 0xD800) {
				/* CJK, most of a Chinese report: three bytes, inline */
				o[0] = (char)(0xE0 | (c >> 12));
				o[1] = (char)(0x80 | ((c >> 6) & 0x3F));
				o[2] = (char)(0x80 | (c & 0x3F));
				o += 3;
			} else if (c >= 0x20 && c < 0x80 && c != '"' && c != '\\')
				*o++ = (char)c;
			else if (c >= 0x80)
				o += stream_utf8(o, c);
			else if (c != 0)
				o += stream_esc_ascii(o, (unsigned char)c);
			else
				break; /* the tree's string is a C string: it ends here too */
		}
		w->len = (size_t)(o - w->buf);
		if (i < stop)
			break;
	}
	stream_put(w, "\"", 1);
}

static void
stream_int64(void *ctx, const char *key, int64_t v)
{
	struct stream *w = ctx;
	char digits[24], *p = digits + sizeof(digits);
	/* the magnitude as unsigned, so that INT64_MIN has one too */
	uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
	do
		*--p = (char)('0' + u % 10);
	while ((u /= 10) > 0);
	if (v < 0)
		*--p = '-';
	stream_prefix(w, key);
	stream_put(w, p, (size_t)(digits + sizeof(digits) - p));
}

static void
stream_real(void *ctx, const char *key, double v, const char *repr)
{
	struct stream *w = ctx;
	(void)v; /* json_object_new_double_s() prints repr as it is */
	stream_prefix(w, key);
	stream_put(w, repr, strlen(repr));
}

static void
stream_boolean(void *ctx, const char *key, int v)
{
	struct stream *w = ctx;
	stream_prefix(w, key);
	if (v)
		stream_put(w, "true", 4);
	else
		stream_put(w, "false", 5);
}

static const struct doc_json_ops stream_ops = {
    stream_begin, stream_end, stream_str, stream_text, stream_int64, stream_real, stream_boolean,
};

int
doc_json_write(const struct doc *doc, FILE *fp)
{
	struct stream w = {.fp = fp, .buf = xmalloc(STREAM_BUF)};
	doc_json_walk(doc, &stream_ops, &w);
	assert(w.depth == 0);
	stream_put(&w, "\n", 1);
	stream_flush(&w);
	free(w.buf);
	return w.err ? -1 : 0;
}
