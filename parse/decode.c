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

size_t
decode_utf8_one(const unsigned char *p, size_t n, uint32_t *cp)
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
		uint32_t v =
		    ((uint32_t)(c & 0x0F) << 12) | ((uint32_t)(p[1] & 0x3F) << 6) | (p[2] & 0x3F);
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

/*
 * Count the invalid sequences of data (each bad byte once) and return them;
 * the valid multi-byte ones go to *multi. With first_bad_stops, stop at the
 * first invalid one, as a test for UTF-8 needs no more.
 */
static size_t
utf8_count(const unsigned char *data, size_t len, size_t *multi, int first_bad_stops)
{
	size_t bad = 0;
	uint32_t cp;
	*multi = 0;
	for (size_t i = 0; i < len;) {
		if (data[i] < 0x80) {
			i++;
			continue;
		}
		size_t k = decode_utf8_one(data + i, len - i, &cp);
		if (k == 0) {
			bad++;
			if (first_bad_stops)
				break;
			i++;
		} else {
			(*multi)++;
			i += k;
		}
	}
	return bad;
}

size_t
decode_utf8_invalid(const unsigned char *data, size_t len)
{
	size_t multi;
	return utf8_count(data, len, &multi, 0);
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
		size_t k = decode_utf8_one(data + i, len - i, &out[n]);
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
decode_iconv(const char *charset, const unsigned char *data, size_t len, uint32_t *out, size_t *bad)
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

/* Whether c ends a sentence or a line, so that a break after it is a paragraph's. */
static int
is_sentence_end(uint32_t c)
{
	return c == U'。' || c == U'！' || c == U'？' || c == '!' || c == '?' || c == '\n' ||
	       c == U'：' || c == ':';
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
		} else if (c == 0x200B && w >= 2 && cp[w - 1] == '\n' && i + 1 < n &&
			   cp[i + 1] == '\n' && !is_sentence_end(cp[w - 2])) {
			/*
			 * A line holding only a ZWSP inside a sentence is a page or
			 * span break of the source page (达到74.4\n\u200b\n万亿元,
			 * 人\n\u200b\n民满意): join the words it cut.
			 */
			w--;
			i++;
			continue;
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

/* Where a charset came from, in the order they are tried. */
enum decode_source { SRC_HTTP, SRC_BOM, SRC_META, SRC_DETECT };

static const char *const decode_source_name[] = {"Content-Type", "BOM", "<meta>", "detection"};

struct decode_cand {
	const char *label; /* what doc->charset records */
	const char *codec; /* "UTF-8" (our decoder) or an iconv name */
	size_t skip;	   /* bytes of BOM to skip */
	enum decode_source src;
};

static int
is_label(const char *s, const char *const *names)
{
	for (; *names; names++)
		if (strcasecmp(s, *names) == 0)
			return 1;
	return 0;
}

/*
 * The decoder for a declared label: UTF-8 ourselves, the GB family with
 * GB18030 (a superset of GB2312 and GBK, which real pages mislabel), the rest
 * with iconv. NULL when iconv does not know the label.
 */
static const char *
decode_codec(const char *label)
{
	static const char *const utf8[] = {"utf-8", "utf8", "unicode-1-1-utf-8", NULL};
	static const char *const gb[] = {
	    "gb2312",	   "gb_2312", "gb_2312-80", "gbk",     "x-gbk",	    "cp936",   "ms936",
	    "windows-936", "euc-cn",  "csgb2312",   "chinese", "iso-ir-58", "gb18030", NULL};

	if (is_label(label, utf8))
		return "UTF-8";
	if (is_label(label, gb))
		return "GB18030";
	iconv_t cd = iconv_open("UTF-32LE", label);
	if (cd == (iconv_t)-1)
		return NULL;
	iconv_close(cd);
	return label;
}

/* The name doc->charset records: UTF-8 in one spelling, any other label as declared. */
static const char *
decode_label(const char *declared, const char *codec)
{
	return strcmp(codec, "UTF-8") == 0 ? "UTF-8" : declared;
}

/*
 * Detection, done only when it is needed: UTF-8 when valid, else the better
 * of UTF-8 and GB18030. Decodes into out (room for len + 1) and sets *bad.
 */
static size_t
decode_detect(struct decode_cand *c, const unsigned char *data, size_t len, uint32_t *out,
	      size_t *bad)
{
	/* one pass in the common case: valid UTF-8 is decoded while it is checked */
	size_t utf8_bad = 0;
	size_t n = decode_utf8(data, len, out, &utf8_bad);
	if (utf8_bad > 0) {
		size_t gb_bad = 0;
		long r = decode_iconv("GB18030", data, len, out, &gb_bad);
		if (r >= 0 && gb_bad < utf8_bad) {
			c->label = c->codec = "GB18030";
			*bad = gb_bad;
			return (size_t)r;
		}
		n = decode_utf8(data, len, out, &utf8_bad); /* out was overwritten */
	}
	c->label = c->codec = "UTF-8";
	*bad = utf8_bad;
	return n;
}

/* Decode data with c into out (room for len + 1); returns the count, sets *bad. */
static size_t
decode_with(struct decode_cand *c, const unsigned char *data, size_t len, uint32_t *out,
	    size_t *bad)
{
	data += c->skip;
	len -= c->skip;
	if (c->src == SRC_DETECT)
		return decode_detect(c, data, len, out, bad);
	if (strcmp(c->codec, "UTF-8") == 0)
		return decode_utf8(data, len, out, bad);
	long r = decode_iconv(c->codec, data, len, out, bad);
	if (r < 0) { /* known a moment ago: only a failing iconv_open gets here */
		*bad = 0;
		return 0;
	}
	return (size_t)r;
}

/* Valid UTF-8 with several multi-byte sequences: no other charset makes that by chance. */
static int
decode_is_utf8_text(const unsigned char *data, size_t len)
{
	size_t multi;
	return utf8_count(data, len, &multi, 1) == 0 && multi >= 4;
}

int
decode_text_hints(struct doc *doc, const unsigned char *data, size_t len,
		  const struct decode_hints *h)
{
	struct decode_cand cand[4];
	size_t nc = 0;

	if (h && h->http && *h->http) {
		const char *codec = decode_codec(h->http);
		if (codec == NULL) {
			doc_warn(doc, "unknown charset '%s'", h->http);
			return -1;
		}
		cand[nc++] = (struct decode_cand){decode_label(h->http, codec), codec, 0, SRC_HTTP};
	}
	if (len >= 3 && data[0] == 0xEF && data[1] == 0xBB && data[2] == 0xBF)
		cand[nc++] = (struct decode_cand){"UTF-8", "UTF-8", 3, SRC_BOM};
	else if (len >= 2 && data[0] == 0xFF && data[1] == 0xFE)
		cand[nc++] = (struct decode_cand){"UTF-16LE", "UTF-16LE", 2, SRC_BOM};
	else if (len >= 2 && data[0] == 0xFE && data[1] == 0xFF)
		cand[nc++] = (struct decode_cand){"UTF-16BE", "UTF-16BE", 2, SRC_BOM};
	if (h && h->meta && *h->meta) {
		const char *codec = decode_codec(h->meta);
		/* a <meta> that could be read at all is not UTF-16 (WHATWG): UTF-8 */
		if (codec && strncasecmp(codec, "UTF-16", 6) == 0)
			codec = "UTF-8";
		if (codec)
			cand[nc++] =
			    (struct decode_cand){decode_label(h->meta, codec), codec, 0, SRC_META};
		else
			doc_warn(doc, "unknown charset '%.40s' in <meta>: ignored", h->meta);
	}
	cand[nc++] = (struct decode_cand){"UTF-8", "UTF-8", 0, SRC_DETECT};

	uint32_t *out = xreallocarray(NULL, len + 1, sizeof(uint32_t));
	struct decode_cand *use = &cand[0];
	size_t bad, n = decode_with(use, data, len, out, &bad);

	if (use->src != SRC_DETECT && use->skip == 0 && strcmp(use->codec, "UTF-8") != 0 &&
	    decode_is_utf8_text(data, len)) {
		/* a declaration that lies: the body is UTF-8 through and through */
		doc_warn(doc, "charset '%.40s' from %s contradicts the body, which is UTF-8",
			 use->label, decode_source_name[use->src]);
		n = decode_utf8(data, len, out, &bad);
		use = &cand[nc - 1]; /* detection, not run: UTF-8 it is */
		*use = (struct decode_cand){"UTF-8", "UTF-8", 0, SRC_DETECT};
	} else if (bad > 0) {
		/* the first declaration does not fit: a later one that fits far better wins */
		uint32_t *alt = xreallocarray(NULL, len + 1, sizeof(uint32_t));
		for (size_t i = 1; i < nc; i++) {
			size_t abad, an = decode_with(&cand[i], data, len, alt, &abad);
			if (!(abad == 0 || abad * 10 < bad))
				continue;
			doc_warn(doc,
				 "charset '%.40s' from %s does not fit the body: '%s' from %s does",
				 use->label, decode_source_name[use->src], cand[i].label,
				 decode_source_name[cand[i].src]);
			uint32_t *t = out;
			out = alt;
			alt = t;
			n = an;
			bad = abad;
			use = &cand[i];
			break;
		}
		free(alt);
	}
	if (bad)
		doc_warn(doc, "%zu invalid byte sequence%s in %s replaced with U+FFFD", bad,
			 bad == 1 ? "" : "s", use->label);
	n = normalise(out, n);
	free(doc->text.cp);
	doc->text.cp = out;
	doc->text.len = n;
	free(doc->charset);
	doc->charset = xstrdup(use->label);
	return 0;
}

int
decode_text(struct doc *doc, const unsigned char *data, size_t len, const char *charset_hint)
{
	struct decode_hints h = {charset_hint, NULL};
	return decode_text_hints(doc, data, len, &h);
}
