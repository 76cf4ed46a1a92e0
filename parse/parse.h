/*
 * parse.h - one report body in, one parsed document out. No I/O, no state.
 */
#ifndef RP_PARSE_H
#define RP_PARSE_H

#include "doc.h"

/* How a body was served, and what its source says about it. */
struct parse_options {
	const char *content_type;  /* the HTTP Content-Type; NULL: sniffed */
	const char *content_xpath; /* HTML: the element holding the report; NULL: found */
	const char *link_text;	   /* the index link's text: the title when none is found */
	/*
	 * Called once, when data will not be read again: after the format is
	 * decoded, before metadata, sections and metrics are found. The caller
	 * may free data then, so that a large report is not held both as bytes
	 * and as code points. NULL: not called.
	 */
	void (*input_done)(void *arg);
	void *input_done_arg;
};

/*
 * Parse data (len bytes) as opts says (opts may be NULL). Plain text, HTML,
 * PDF and DOCX are read. Returns an owned document, or NULL with a one-line
 * reason in err when the body is of another format or cannot be read.
 */
struct doc *parse_document_opts(const unsigned char *data, size_t len,
				const struct parse_options *opts, char *err, size_t errlen);

/*
 * Parse data (len bytes) whose HTTP Content-Type is content_type (may be
 * NULL: sniffed): parse_document_opts() with no content_xpath.
 */
struct doc *parse_document(const unsigned char *data, size_t len, const char *content_type,
			   char *err, size_t errlen);

/* The charset parameter of a Content-Type ("text/html; charset=gbk" -> "gbk"), into out. */
int parse_content_charset(const char *content_type, char *out, size_t outlen);

#endif
