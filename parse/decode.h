/*
 * decode.h - raw report bytes to normalised text.
 */
#ifndef RP_DECODE_H
#define RP_DECODE_H

#include "doc.h"

/* Where the charset of a body is declared; either may be NULL. */
struct decode_hints {
	const char *http; /* the charset parameter of the HTTP Content-Type */
	const char *meta; /* declared in the document itself (HTML <meta charset>) */
};

/*
 * Decode data into doc->text and set doc->charset. Order: the HTTP charset,
 * then a BOM (UTF-8, UTF-16LE/BE), then the <meta> charset, then detection
 * (UTF-8 if it is valid, else whichever of UTF-8 and GB18030 decodes with
 * fewer invalid sequences). The GB family (GB2312, GBK, ...) decodes as
 * GB18030, its superset, and is recorded as declared. A declaration that
 * lies gives way, with a warning: to UTF-8 when the body is valid UTF-8
 * through and through, or to a later candidate that decodes with no (or ten
 * times fewer) invalid sequences. Invalid bytes become U+FFFD and are counted
 * in doc->warnings. Normalises line ends to LF, full-width ASCII digits,
 * letters and ％ to ASCII, and drops control characters and BOMs.
 * Returns 0, or -1 when the HTTP charset is one iconv does not know (an
 * unknown <meta> charset is only a warning).
 */
int decode_text_hints(struct doc *doc, const unsigned char *data, size_t len,
		      const struct decode_hints *h);

/* decode_text_hints() with only an HTTP charset (may be NULL). */
int decode_text(struct doc *doc, const unsigned char *data, size_t len, const char *charset_hint);

/* Count the invalid sequences a strict UTF-8 decoder finds in data. */
size_t decode_utf8_invalid(const unsigned char *data, size_t len);

/*
 * Decode one UTF-8 sequence at p (n bytes available). Returns its length and
 * sets *cp, or returns 0 for an invalid sequence (overlong, surrogate, out of
 * range, truncated).
 */
size_t decode_utf8_one(const unsigned char *p, size_t n, uint32_t *cp);

#endif
