/*
 * decode.c - charset detection and text normalisation.
 *
 * Must never crash or silently drop text on bad input: every byte either
 * decodes or becomes U+FFFD, and the count of replacements is reported.
 */
#include "decode.h"
#include "buf.h"

#include <errno.h>
#include <iconv.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/*
 * Decode one UTF-8 sequence at p (n bytes available). Returns its length and
 * sets *cp, or returns 0 for an invalid sequence (overlong, surrogate, out of
 * range, truncated).
 */
static size_t
utf8_decode_one(const unsigned char *p, size_t n, uint32_t *cp)
{
	unsigned char c = p[0];
	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if (c >= 0xC2 && c <= 0xDF) {
		if (n < 2 || (p[1] & 0xC0) != 0x80)
			return 0;
		*cp = ((uint32_t)(c & 0x1F) << 6) | (p[1] & 0x3F);
		return 2;
	}
	if (c >= 0xE0 && c <= 0xEF) {
		if (n < 3 || (p[1] & 0xC0) != 0x80 || (p[2] & 0xC0) != 0x80)
			return 0;
		uint32_t v = ((uint32_t)(c & 0x0F) << 12) | ((uint32_t)(p[1] & 0x3F) << 6) |
			     (p[2] & 0x3F);
		if (v < 0x800 || (v >= 0xD800 && v <= 0xDFFF))
			return 0;
		*cp = v;
		return 3;
	}
	if (c >= 0xF0 && c <= 0xF4) {
		if (n < 4 || (p[1] & 0xC0) != 0x80 || (p[2] & 0xC0) != 0x80 ||
		    (p[3] & 0xC0) != 0x80)
			return 0;
		uint32_t v = ((uint32_t)(c & 0x07) << 18) | ((uint32_t)(p[1] & 0x3F) << 12) |
			     ((uint32_t)(p[2] & 0x3F) << 6) | (p[3] & 0x3F);
		if (v < 0x10000 || v > 0x10FFFF)
			return 0;
		*cp = v;
		return 4;
	}
	return 0;
}

size_t
decode_utf8_invalid(const unsigned char *data, size_t len)
{
	size_t bad = 0;
	uint32_t cp;
	for (size_t i = 0; i < len;) {
		if (data[i] < 0x80) {
			i++;
			continue;
		}
		size_t k = utf8_decode_one(data + i, len - i, &cp);
		if (k == 0) {
			bad++;
			i++;
		} else {
			i += k;
		}
	}
	return bad;
}

static size_t
decode_utf8(const unsigned char *data, size_t len, uint32_t *out, size_t *badp)
{
	size_t n = 0, bad = 0;
	for (size_t i = 0; i < len;) {
		if (data[i] < 0x80) {
			out[n++] = data[i++];
			continue;
		}
		size_t k = utf8_decode_one(data + i, len - i, &out[n]);
		if (k == 0) {
			out[n] = 0xFFFD;
			k = 1;
			bad++;
		}
		n++;
		i += k;
	}
	*badp = bad;
	return n;
}

/*
 * Decode with iconv into out (room for len + 1 code points). Returns the
 * number of code points, sets *bad; -1 when iconv does not know charset.
 */
static long
decode_iconv(const char *charset, const unsigned char *data, size_t len, uint32_t *out,
	     size_t *bad)
{
	/* after a bad sequence, step one code unit: two bytes in UTF-16, else one */
	size_t unit = strncasecmp(charset, "UTF-16", 6) == 0 ? 2 : 1;
	iconv_t cd = iconv_open("UTF-32LE", charset);
	if (cd == (iconv_t)-1)
		return -1;

	char chunk[4096];
	char *in = (char *)data;
	size_t inleft = len, n = 0;
	*bad = 0;
	while (inleft > 0) {
		char *o = chunk;
		size_t oleft = sizeof(chunk);
		size_t r = iconv(cd, &in, &inleft, &o, &oleft);
		int err = r == (size_t)-1 ? errno : 0;
		for (char *q = chunk; q + 4 <= o; q += 4) {
			const unsigned char *u = (const unsigned char *)q;
			out[n++] = (uint32_t)u[0] | ((uint32_t)u[1] << 8) | ((uint32_t)u[2] << 16) |
				   ((uint32_t)u[3] << 24);
		}
		if (err == E2BIG)
			continue;
		if (err == EILSEQ || err == EINVAL) {
			out[n++] = 0xFFFD;
			(*bad)++;
			size_t step = unit < inleft ? unit : inleft;
			in += step;
			inleft -= step;
			if (err == EINVAL) /* truncated at the end: the rest is one bad sequence */
				inleft = 0;
			iconv(cd, NULL, NULL, NULL, NULL);
		} else if (err) {
			break;
		}
	}
	iconv_close(cd);
	return (long)n;
}

static int
is_fullwidth_ascii(uint32_t c)
{
	return (c >= 0xFF10 && c <= 0xFF19) || (c >= 0xFF21 && c <= 0xFF3A) ||
	       (c >= 0xFF41 && c <= 0xFF5A) || c == 0xFF05;
}

/* Normalise in place; returns the new length. */
static size_t
normalise(uint32_t *cp, size_t n)
{
	size_t w = 0;
	for (size_t i = 0; i < n; i++) {
		uint32_t c = cp[i];
		if (c == '\r') {
			if (i + 1 < n && cp[i + 1] == '\n')
				continue;
			c = '\n';
		} else if (is_fullwidth_ascii(c)) {
			c -= 0xFEE0;
		} else if (c == 0xFEFF || c == 0x200B || (c < 0x20 && c != '\n' && c != '\t') ||
			   c == 0x7F) {
			continue;
		} else if (c == 0xA0) {
			c = ' ';
		}
		cp[w++] = c;
	}
	return w;
}

int
decode_text(struct doc *doc, const unsigned char *data, size_t len, const char *charset_hint)
{
	uint32_t *out = xreallocarray(NULL, len + 1, sizeof(uint32_t));
	const char *charset = NULL;
	size_t n = 0, bad = 0;

	if (len >= 3 && data[0] == 0xEF && data[1] == 0xBB && data[2] == 0xBF) {
		n = decode_utf8(data + 3, len - 3, out, &bad);
		charset = "UTF-8";
	} else if (len >= 2 && ((data[0] == 0xFF && data[1] == 0xFE) ||
				(data[0] == 0xFE && data[1] == 0xFF))) {
		charset = data[0] == 0xFF ? "UTF-16LE" : "UTF-16BE";
		n = (size_t)decode_iconv(charset, data + 2, len - 2, out, &bad);
	} else if (charset_hint && *charset_hint) {
		long r;
		if (strcasecmp(charset_hint, "utf-8") == 0 || strcasecmp(charset_hint, "utf8") == 0) {
			n = decode_utf8(data, len, out, &bad);
			charset = "UTF-8";
		} else if ((r = decode_iconv(charset_hint, data, len, out, &bad)) >= 0) {
			n = (size_t)r;
			charset = charset_hint;
		} else {
			free(out);
			doc_warn(doc, "unknown charset '%s'", charset_hint);
			return -1;
		}
	} else {
		size_t utf8_bad = decode_utf8_invalid(data, len);
		if (utf8_bad == 0) {
			n = decode_utf8(data, len, out, &bad);
			charset = "UTF-8";
		} else {
			size_t gb_bad = 0;
			long r = decode_iconv("GB18030", data, len, out, &gb_bad);
			if (r >= 0 && gb_bad < utf8_bad) {
				n = (size_t)r;
				bad = gb_bad;
				charset = "GB18030";
			} else {
				n = decode_utf8(data, len, out, &bad);
				charset = "UTF-8";
			}
		}
	}
	if (bad)
		doc_warn(doc, "%zu invalid byte sequence%s in %s replaced with U+FFFD", bad,
			 bad == 1 ? "" : "s", charset);
	n = normalise(out, n);
	free(doc->text.cp);
	doc->text.cp = out;
	doc->text.len = n;
	free(doc->charset);
	doc->charset = xstrdup(charset);
	return 0;
}
