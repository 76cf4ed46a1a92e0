/*
 * pdf.h - the text of a PDF report, through poppler-glib.
 */
#ifndef RP_PDF_H
#define RP_PDF_H

#include "doc.h"
#include "format.h"

/*
 * What poppler may inflate of one PDF: no stream it would decode for the
 * text (contents, fonts, cmaps, object streams; not images nor attached
 * files) past PDF_STREAM_MAX bytes, and not past PDF_TOTAL_MAX bytes in
 * all. A content stream of 1 GB of spaces fits in 1 MB of PDF and costs
 * poppler most of a minute; no report needs a page that size.
 */
#define PDF_STREAM_MAX (64u << 20)
#define PDF_TOTAL_MAX (256u << 20)

/*
 * Put the text of the PDF in data into doc->text, page by page, without
 * running headers, footers and page numbers, with lines that layout broke
 * mid-sentence joined; meta->title from the document properties. Returns
 * 0, or -1 with a reason in err (damaged, encrypted, no text).
 */
int pdf_parse(struct doc *doc, const unsigned char *data, size_t len, struct format_meta *meta,
	      char *err, size_t errlen);

#endif
