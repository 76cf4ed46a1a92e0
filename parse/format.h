/*
 * format.h - which reader a report body needs: plain text, HTML, PDF or
 * DOCX, from its Content-Type and then from its first bytes.
 */
#ifndef RP_FORMAT_H
#define RP_FORMAT_H

#include <stddef.h>

enum format { FORMAT_TEXT, FORMAT_HTML, FORMAT_PDF, FORMAT_DOCX };

/*
 * Metadata a format carries beside its text (HTML <meta> tags, PDF and DOCX
 * document properties), UTF-8, owned; each may be NULL. Used only where the
 * text itself gives nothing better.
 */
struct format_meta {
	char *title;  /* ArticleTitle, <title>, the PDF or DOCX title */
	char *date;   /* PubDate as written: "2020-12-18 16:42" */
	char *source; /* ContentSource: the publishing body */
};

/*
 * Decide the format of data (len bytes) served as content_type (may be
 * NULL). Returns 0 and sets *out, or -1 with a one-line reason in err when
 * the body is of a format reportpipe does not read.
 */
int format_detect(const unsigned char *data, size_t len, const char *content_type, enum format *out,
		  char *err, size_t errlen);

/* The format's name for messages: "text", "HTML", "PDF", "DOCX". */
const char *format_name(enum format f);

/* Free what m holds and clear it; safe to call twice. */
void format_meta_release(struct format_meta *m);

#endif
