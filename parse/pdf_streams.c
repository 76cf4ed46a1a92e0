/*
 * pdf_streams.c - what poppler would inflate of a PDF, measured before it
 * does.
 *
 * Poppler decodes a stream as it reads it, with no limit: a page whose
 * content stream inflates from 1 MB to 1 GB of spaces costs it most of a
 * minute. So every stream in the file is found as poppler's own repair
 * would find it (the "stream" keyword, whatever the cross-reference table
 * says), its filters are applied as poppler applies them (Flate, LZW,
 * ASCIIHex, ASCII85, RunLength), and the output is counted, not kept.
 * Images and attached files are left alone: text extraction never decodes
 * them. A stream's end is the later of its /Length and the first
 * "endstream", so a lying /Length can only make the count larger. Spans
 * that add up to more than twice the file are no producer's work but a
 * way to make the measure itself take time quadratic in the file: refused.
 *
 * Known gaps: an encrypted PDF's streams read as noise here (poppler
 * decrypts them first), and a /Filter or /Length kept in an object stream
 * cannot be looked up (a Flate filter is assumed).
 *
 * Must never allocate in proportion to what a stream inflates to: the last
 * filter only counts, and an earlier one of a chain stops at max_stream.
 */
#include "pdf_streams.h"
#include "buf.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

enum pdf_filter { FILTER_NONE, FILTER_FLATE, FILTER_LZW, FILTER_AHX, FILTER_A85, FILTER_RL };

#define MAX_FILTERS 8

/* Where decoded bytes go: counted against max, and kept in out when out is not NULL. */
struct pdf_sink {
	struct buf *out;
	size_t n, max;
};

/* An "N G obj" header: where its object's text starts. */
struct pdf_obj {
	long num, gen;
	size_t at; /* just past "obj" */
};

struct pdf_objs {
	struct pdf_obj *v;
	size_t n, cap;
};

static int
pdf_sink_put(struct pdf_sink *s, const unsigned char *p, size_t n)
{
	if (n > s->max - s->n) {
		s->n = s->max + 1;
		return -1;
	}
	s->n += n;
	if (s->out)
		buf_append(s->out, p, n);
	return 0;
}

static int
pdf_space(int c)
{
	return c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == '\f' || c == '\0';
}

static int
pdf_delim(int c)
{
	return pdf_space(c) || strchr("()<>[]{}/%", c) != NULL;
}

/* Skip white space and comments. */
static const unsigned char *
pdf_skip(const unsigned char *p, const unsigned char *end)
{
	while (p < end) {
		if (*p == '%') {
			while (p < end && *p != '\n' && *p != '\r')
				p++;
		} else if (pdf_space(*p)) {
			p++;
		} else {
			break;
		}
	}
	return p;
}

/* An unsigned integer at *pp (advanced past it); -1 when none. */
static long
pdf_int(const unsigned char **pp, const unsigned char *end)
{
	const unsigned char *p = *pp;
	long v = 0;
	if (p >= end || *p < '0' || *p > '9')
		return -1;
	while (p < end && *p >= '0' && *p <= '9') {
		if (v < 100000000000L)
			v = v * 10 + (*p - '0');
		p++;
	}
	*pp = p;
	return v;
}

/* The object number before the "obj" at kw ("12 0 obj"), into num and gen; -1 when none. */
static int
pdf_obj_number(const unsigned char *data, const unsigned char *kw, long *num, long *gen)
{
	const unsigned char *p = kw;
	long v[2];
	for (int i = 1; i >= 0; i--) {
		const unsigned char *e = p;
		while (p > data && pdf_space(p[-1]))
			p--;
		if (p == e && i == 0)
			return -1; /* "12 0obj" is an object; "120obj" is not */
		e = p;
		while (p > data && p[-1] >= '0' && p[-1] <= '9')
			p--;
		if (p == e || e - p > 11)
			return -1;
		const unsigned char *q = p;
		v[i] = pdf_int(&q, e);
	}
	if (p > data && !pdf_delim(p[-1]))
		return -1;
	*num = v[0];
	*gen = v[1];
	return 0;
}

static int
pdf_cmp_obj(const void *a, const void *b)
{
	const struct pdf_obj *x = a, *y = b;
	if (x->num != y->num)
		return (x->num > y->num) - (x->num < y->num);
	if (x->gen != y->gen)
		return (x->gen > y->gen) - (x->gen < y->gen);
	return (x->at > y->at) - (x->at < y->at);
}

/* Every "N G obj" in the file, in the order of the file. */
static void
pdf_index(const unsigned char *data, size_t len, struct pdf_objs *objs)
{
	const unsigned char *p = data, *end = data + len;
	while ((p = memmem(p, (size_t)(end - p), "obj", 3)) != NULL) {
		const unsigned char *kw = p;
		p += 3;
		if (p < end && !pdf_delim(*p))
			continue;
		struct pdf_obj o;
		if (pdf_obj_number(data, kw, &o.num, &o.gen) < 0)
			continue;
		o.at = (size_t)(p - data);
		if (objs->n == objs->cap) {
			objs->cap = objs->cap ? objs->cap * 2 : 256;
			objs->v = xreallocarray(objs->v, objs->cap, sizeof(objs->v[0]));
		}
		objs->v[objs->n++] = o;
	}
}

/* The text of object num gen (its last definition, as an update would have it); NULL when unknown.
 */
static const unsigned char *
pdf_lookup(const unsigned char *data, const struct pdf_objs *byref, long num, long gen)
{
	size_t lo = 0, hi = byref->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct pdf_obj *o = &byref->v[mid];
		if (o->num < num || (o->num == num && o->gen <= gen))
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0 || byref->v[lo - 1].num != num || byref->v[lo - 1].gen != gen)
		return NULL;
	return data + byref->v[lo - 1].at;
}

/* Is the name at p (after its '/') exactly name? */
static int
pdf_name_is(const unsigned char *p, const unsigned char *end, const char *name)
{
	size_t n = strlen(name);
	return (size_t)(end - p) >= n && memcmp(p, name, n) == 0 &&
	       (p + n == end || pdf_delim(p[n]));
}

/*
 * The keys this needs of the dictionary of a stream: the text from its
 * "obj" to the keyword. Found as that text grows (the next "stream" under
 * the same "obj"), so that no text is read twice; the first of each wins.
 */
struct pdf_dict {
	const unsigned char *upto;
	const unsigned char *filter, *length, *subtype, *type;
};

static void
pdf_dict_scan(struct pdf_dict *dk, const unsigned char *kw)
{
	static const struct {
		const char *name;
		size_t off;
	} keys[] = {{"Filter", offsetof(struct pdf_dict, filter)},
		    {"Length", offsetof(struct pdf_dict, length)},
		    {"Subtype", offsetof(struct pdf_dict, subtype)},
		    {"Type", offsetof(struct pdf_dict, type)}};
	const unsigned char *p = dk->upto;

	while (p < kw && (p = memchr(p, '/', (size_t)(kw - p))) != NULL) {
		p++;
		for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
			const unsigned char **v =
			    (const unsigned char **)((char *)dk + keys[i].off);
			if (*v == NULL && pdf_name_is(p, kw, keys[i].name)) {
				*v = pdf_skip(p + strlen(keys[i].name), kw);
				break;
			}
		}
	}
	dk->upto = kw;
}

/*
 * If p holds a reference "N G R", the text of that object (or NULL when it
 * is not in the file); otherwise p.
 */
static const unsigned char *
pdf_deref(const unsigned char *data, const unsigned char *end, const struct pdf_objs *byref,
	  const unsigned char *p, int *unknown)
{
	const unsigned char *q = p;
	long num = pdf_int(&q, end), gen;
	*unknown = 0;
	if (num < 0)
		return p;
	q = pdf_skip(q, end);
	if ((gen = pdf_int(&q, end)) < 0)
		return p;
	q = pdf_skip(q, end);
	if (q >= end || *q != 'R' || (q + 1 < end && !pdf_delim(q[1])))
		return p;
	const unsigned char *o = pdf_lookup(data, byref, num, gen);
	if (o == NULL) {
		*unknown = 1;
		return NULL;
	}
	return pdf_skip(o, end);
}

static enum pdf_filter
pdf_filter_named(const unsigned char *p, const unsigned char *end)
{
	static const struct {
		const char *name;
		enum pdf_filter f;
	} names[] = {{"FlateDecode", FILTER_FLATE},  {"Fl", FILTER_FLATE},
		     {"LZWDecode", FILTER_LZW},	     {"LZW", FILTER_LZW},
		     {"ASCIIHexDecode", FILTER_AHX}, {"AHx", FILTER_AHX},
		     {"ASCII85Decode", FILTER_A85},  {"A85", FILTER_A85},
		     {"RunLengthDecode", FILTER_RL}, {"RL", FILTER_RL}};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (pdf_name_is(p, end, names[i].name))
			return names[i].f;
	return FILTER_NONE;
}

/*
 * The filters of the stream whose dictionary ends at kw, in the order they
 * decode, into f; returns how many. The chain stops at the first filter
 * not measured here (an image's), since poppler's text never goes past it.
 */
static int
pdf_filters(const unsigned char *data, const unsigned char *end, const struct pdf_objs *byref,
	    const struct pdf_dict *dk, const unsigned char *kw, enum pdf_filter *f)
{
	const unsigned char *v = dk->filter;
	int unknown, n = 0;
	if (v == NULL)
		return 0;
	const unsigned char *lim = kw;
	const unsigned char *r = pdf_deref(data, end, byref, v, &unknown);
	if (unknown) {
		f[0] = FILTER_FLATE; /* in an object stream: the usual filter */
		return 1;
	}
	if (r != v)
		lim = end; /* an indirect value ends where its own text does */
	v = r;
	if (v < lim && *v == '/')
		return (f[0] = pdf_filter_named(v + 1, lim)) != FILTER_NONE;
	if (v >= lim || *v != '[')
		return 0;
	for (v = pdf_skip(v + 1, lim); v < lim && *v == '/' && n < MAX_FILTERS;
	     v = pdf_skip(v, lim)) {
		if ((f[n] = pdf_filter_named(v + 1, lim)) == FILTER_NONE)
			break;
		n++;
		for (v++; v < lim && !pdf_delim(*v); v++)
			;
	}
	return n;
}

/* The stream's /Length, when it is a number or a reference to one; -1 otherwise. */
static long
pdf_length(const unsigned char *data, const unsigned char *end, const struct pdf_objs *byref,
	   const struct pdf_dict *dk)
{
	const unsigned char *v = dk->length;
	int unknown;
	if (v == NULL || (v = pdf_deref(data, end, byref, v, &unknown)) == NULL)
		return -1;
	return pdf_int(&v, end);
}

/* Images and attached files: text extraction never decodes them. */
static int
pdf_unread(const struct pdf_dict *dk, const unsigned char *kw)
{
	const unsigned char *v = dk->subtype;
	if (v && v < kw && *v == '/' && pdf_name_is(v + 1, kw, "Image"))
		return 1;
	v = dk->type;
	return v && v < kw && *v == '/' && pdf_name_is(v + 1, kw, "EmbeddedFile");
}

/* FlateDecode: poppler's header checks, then zlib. */
static int
pdf_flate(const unsigned char *in, size_t len, struct pdf_sink *s)
{
	unsigned char out[65536];
	z_stream z = {0};
	int rc = 0, zrc;

	if (len < 2 || (in[0] & 0x0f) != 8 || ((in[0] << 8) + in[1]) % 31 != 0 || (in[1] & 0x20))
		return 0; /* poppler reads nothing either */
	if (inflateInit2(&z, -15) != Z_OK)
		return 0;
	in += 2;
	len -= 2;
	do {
		uInt chunk = len > (1u << 30) ? 1u << 30 : (uInt)len;
		z.next_in = (unsigned char *)in;
		z.avail_in = chunk;
		do {
			z.next_out = out;
			z.avail_out = sizeof(out);
			zrc = inflate(&z, Z_NO_FLUSH);
			if (pdf_sink_put(s, out, sizeof(out) - z.avail_out) < 0) {
				rc = -1;
				goto done;
			}
		} while (zrc == Z_OK && z.avail_out == 0);
		in += chunk - z.avail_in;
		len -= chunk - z.avail_in;
	} while (zrc == Z_OK && len > 0);
done:
	inflateEnd(&z);
	return rc;
}

/* LZWDecode with EarlyChange 1, as poppler's LZWStream. */
static int
pdf_lzw(const unsigned char *in, size_t len, struct pdf_sink *s)
{
	struct {
		unsigned short len, head;
		unsigned char tail;
	} *t = xcalloc(4097, sizeof(*t));
	unsigned char seq[4097];
	unsigned long bits = 0;
	int nbits = 0, width = 9, next = 258, prev = -1, rc = 0;
	size_t seqlen = 0, i = 0;

	for (;;) {
		while (nbits < width && i < len) {
			bits = (bits << 8) | in[i++];
			nbits += 8;
		}
		if (nbits < width)
			break;
		int code = (int)((bits >> (nbits - width)) & ((1u << width) - 1));
		nbits -= width;
		if (code == 257)
			break;
		if (code == 256 || next >= 4097) {
			next = 258;
			width = 9;
			prev = -1;
			if (code == 256)
				continue;
		}
		if (code < 256) {
			seq[0] = (unsigned char)code;
			seqlen = 1;
		} else if (code < next && t[code].len > 0) {
			seqlen = t[code].len;
			for (size_t k = seqlen, c = (size_t)code; k > 0; k--) {
				if (c < 256) {
					seq[k - 1] = (unsigned char)c;
					break;
				}
				seq[k - 1] = t[c].tail;
				c = t[c].head;
			}
		} else if (code == next && prev >= 0) {
			seq[seqlen] = seq[0];
			seqlen++;
		} else {
			break; /* poppler: "unexpected code", and the end */
		}
		if (prev >= 0 && next < 4097) {
			t[next].len = (unsigned short)((prev < 256 ? 1 : t[prev].len) + 1);
			t[next].head = (unsigned short)prev;
			t[next].tail = seq[0];
			next++;
			width = next + 1 >= 2048   ? 12
				: next + 1 >= 1024 ? 11
				: next + 1 >= 512  ? 10
						   : 9;
		}
		prev = code;
		if (pdf_sink_put(s, seq, seqlen) < 0) {
			rc = -1;
			break;
		}
	}
	free(t);
	return rc;
}

static int
pdf_hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static int
pdf_ahx(const unsigned char *in, size_t len, struct pdf_sink *s)
{
	int hi = -1;
	for (size_t i = 0; i < len && in[i] != '>'; i++) {
		int v = pdf_hexval(in[i]);
		if (v < 0)
			continue;
		if (hi < 0) {
			hi = v;
			continue;
		}
		unsigned char c = (unsigned char)(hi << 4 | v);
		hi = -1;
		if (pdf_sink_put(s, &c, 1) < 0)
			return -1;
	}
	if (hi < 0)
		return 0;
	unsigned char c = (unsigned char)(hi << 4);
	return pdf_sink_put(s, &c, 1);
}

static int
pdf_a85(const unsigned char *in, size_t len, struct pdf_sink *s)
{
	unsigned char g[5], out[4];
	int n = 0;
	for (size_t i = 0; i < len && in[i] != '~'; i++) {
		if (in[i] == 'z' && n == 0) {
			memset(out, 0, 4);
			if (pdf_sink_put(s, out, 4) < 0)
				return -1;
			continue;
		}
		if (in[i] < '!' || in[i] > 'u')
			continue;
		g[n++] = (unsigned char)(in[i] - '!');
		if (n < 5)
			continue;
		unsigned long v = 0;
		for (int k = 0; k < 5; k++)
			v = v * 85 + g[k];
		for (int k = 0; k < 4; k++)
			out[k] = (unsigned char)(v >> (24 - 8 * k));
		n = 0;
		if (pdf_sink_put(s, out, 4) < 0)
			return -1;
	}
	if (n > 1) {
		unsigned long v = 0;
		for (int k = 0; k < 5; k++)
			v = v * 85 + (k < n ? g[k] : 84);
		for (int k = 0; k < 4; k++)
			out[k] = (unsigned char)(v >> (24 - 8 * k));
		return pdf_sink_put(s, out, (size_t)n - 1);
	}
	return 0;
}

static int
pdf_rl(const unsigned char *in, size_t len, struct pdf_sink *s)
{
	unsigned char run[128];
	for (size_t i = 0; i < len && in[i] != 128;) {
		size_t n;
		if (in[i] < 128) {
			n = (size_t)in[i] + 1;
			if (n > len - i - 1)
				n = len - i - 1;
			if (pdf_sink_put(s, in + i + 1, n) < 0)
				return -1;
			i += n + 1;
		} else {
			if (i + 1 >= len)
				break;
			n = 257 - (size_t)in[i];
			memset(run, in[i + 1], n);
			if (pdf_sink_put(s, run, n) < 0)
				return -1;
			i += 2;
		}
	}
	return 0;
}

/*
 * Decode [in, in + len) through the filters f[0..n): every step's output is
 * held to max, the last one's only counted. Returns the largest output of a
 * step, or max + 1 when one goes past max.
 */
static size_t
pdf_decode(const unsigned char *in, size_t len, const enum pdf_filter *f, int n, size_t max)
{
	struct buf a = {0}, b = {0};
	size_t largest = 0;
	for (int i = 0; i < n; i++) {
		struct buf *out = i + 1 < n ? (i % 2 ? &b : &a) : NULL;
		struct pdf_sink s = {out, 0, max};
		if (out)
			out->len = 0;
		int rc = f[i] == FILTER_FLATE ? pdf_flate(in, len, &s)
			 : f[i] == FILTER_LZW ? pdf_lzw(in, len, &s)
			 : f[i] == FILTER_AHX ? pdf_ahx(in, len, &s)
			 : f[i] == FILTER_A85 ? pdf_a85(in, len, &s)
					      : pdf_rl(in, len, &s);
		if (s.n > largest)
			largest = s.n;
		if (rc < 0 || s.n == 0 || out == NULL)
			break;
		in = (const unsigned char *)out->data;
		len = out->len;
	}
	buf_release(&a);
	buf_release(&b);
	return largest;
}

int
pdf_streams_check(const unsigned char *data, size_t len, size_t max_stream, size_t max_total,
		  char *err, size_t errlen)
{
	const unsigned char *end = data + len, *p = data;
	const unsigned char *endstream = data; /* the first "endstream" at or after the data */
	struct pdf_objs objs = {0}, byref;
	struct pdf_dict dk = {0};
	size_t total = 0, spans = 0, o = 0;
	int rc = 0;

	pdf_index(data, len, &objs);
	byref.n = byref.cap = objs.n;
	byref.v = xreallocarray(NULL, objs.n + 1, sizeof(objs.v[0]));
	if (objs.n)
		memcpy(byref.v, objs.v, objs.n * sizeof(objs.v[0]));
	qsort(byref.v, byref.n, sizeof(byref.v[0]), pdf_cmp_obj);

	while ((p = memmem(p, (size_t)(end - p), "stream", 6)) != NULL) {
		const unsigned char *kw = p;
		p += 6;
		if ((kw > data && !pdf_space(kw[-1]) && kw[-1] != '>') || p == end ||
		    !pdf_space(*p))
			continue;
		/* the dictionary: from the last "obj" before the keyword */
		size_t was = o;
		while (o < objs.n && data + objs.v[o].at <= kw)
			o++;
		if (o != was || dk.upto == NULL)
			dk = (struct pdf_dict){o > 0 ? data + objs.v[o - 1].at : data, NULL, NULL,
					       NULL, NULL};
		pdf_dict_scan(&dk, kw);
		long num = o > 0 ? objs.v[o - 1].num : -1;
		enum pdf_filter f[MAX_FILTERS];
		int nf = pdf_filters(data, end, &byref, &dk, kw, f);
		if (nf == 0 || pdf_unread(&dk, kw))
			continue;
		/* the data: past the end of the keyword's line, as poppler's skipToNextLine */
		const unsigned char *d = p;
		while (d < end && *d != '\n' && *d != '\r')
			d++;
		if (d < end && *d == '\r' && d + 1 < end && d[1] == '\n')
			d++;
		if (d < end)
			d++;
		/* to the later of the first "endstream" and /Length; else the end of the file */
		if (endstream != NULL && endstream < d)
			endstream = memmem(d, (size_t)(end - d), "endstream", 9);
		const unsigned char *e = endstream;
		long length = pdf_length(data, end, &byref, &dk);
		if (length >= 0 && (size_t)length <= (size_t)(end - d) &&
		    (e == NULL || d + length > e))
			e = d + length;
		if (e == NULL)
			e = end;
		/* a legible file's streams do not overlap; spans that add up past it are built */
		spans += (size_t)(e - d);
		if (spans > 2 * len + (1u << 20)) {
			snprintf(err, errlen,
				 "the PDF's streams overlap one another (%zu bytes of them in a "
				 "file of %zu): damaged, or built to defeat the check of what "
				 "they inflate to; refused unread",
				 spans, len);
			rc = -1;
			break;
		}

		size_t room = max_total - total < max_stream ? max_total - total : max_stream;
		size_t n = pdf_decode(d, (size_t)(e - d), f, nf, room);
		if (n > room) {
			char where[64];
			if (num >= 0)
				snprintf(where, sizeof(where), "object %ld", num);
			else
				snprintf(where, sizeof(where), "the stream at byte %zu",
					 (size_t)(kw - data));
			if (room == max_stream)
				snprintf(err, errlen,
					 "%s: a stream inflates to more than %zu MiB (the limit on "
					 "one PDF stream): a decompression bomb, refused unread",
					 where, max_stream >> 20);
			else
				snprintf(
				    err, errlen,
				    "the PDF's streams inflate to more than %zu MiB in all (the "
				    "limit on one PDF): refused unread",
				    max_total >> 20);
			rc = -1;
			break;
		}
		total += n;
	}
	free(objs.v);
	free(byref.v);
	return rc;
}
