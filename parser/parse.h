/*
 * parse.h - one report body in, one parsed document out. No I/O, no state.
 */
#ifndef RP_PARSE_H
#define RP_PARSE_H

#include "doc.h"

/*
 * Parse data (len bytes) whose HTTP Content-Type is content_type (may be
 * NULL: sniffed). Returns an owned document, or NULL with a one-line reason
 * in err when the format is not one reportpipe reads.
 */
struct doc *parse_document(const unsigned char *data, size_t len, const char *content_type,
			   char *err, size_t errlen);

/* The charset parameter of a Content-Type ("text/html; charset=gbk" -> "gbk"), into out. */
int parse_content_charset(const char *content_type, char *out, size_t outlen);

#endif
