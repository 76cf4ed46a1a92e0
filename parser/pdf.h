/*
 * pdf.h - the text of a PDF report, through poppler-glib.
 */
#ifndef RP_PDF_H
#define RP_PDF_H

#include "doc.h"
#include "format.h"

/*
 * Put the text of the PDF in data into doc->text, page by page, without
 * running headers, footers and page numbers, with lines that layout broke
 * mid-sentence joined; meta->title from the document properties. Returns
 * 0, or -1 with a reason in err (damaged, encrypted, no text).
 */
int pdf_parse(struct doc *doc, const unsigned char *data, size_t len, struct format_meta *meta,
	      char *err, size_t errlen);

#endif
