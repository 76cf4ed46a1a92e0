/*
 * decode.h - raw report bytes to normalised text.
 */
#ifndef RP_DECODE_H
#define RP_DECODE_H

#include "doc.h"

/*
 * Decode data into doc->text and set doc->charset. Order: a BOM (UTF-8,
 * UTF-16LE/BE), then charset_hint (from the HTTP Content-Type, may be NULL),
 * then UTF-8 if it is valid, else whichever of UTF-8 and GB18030 decodes
 * with fewer invalid sequences. Invalid bytes become U+FFFD and are counted
 * in doc->warnings. Normalises line ends to LF, full-width ASCII digits,
 * letters and ％ to ASCII, and drops control characters and BOMs.
 * Returns 0, or -1 when charset_hint names a charset iconv does not know.
 */
int decode_text(struct doc *doc, const unsigned char *data, size_t len, const char *charset_hint);

/* Count the invalid sequences a strict UTF-8 decoder finds in data. */
size_t decode_utf8_invalid(const unsigned char *data, size_t len);

#endif
