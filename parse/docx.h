/*
 * docx.h - the text of a DOCX report: word/document.xml, through libzip and
 * libxml2.
 */
#ifndef RP_DOCX_H
#define RP_DOCX_H

#include "doc.h"
#include "format.h"

/*
 * Put the paragraphs of the DOCX in data into doc->text, one a line, tables
 * as lines of tab-separated cells; meta->title from docProps/core.xml.
 * Returns 0, or -1 with a reason in err (not a ZIP, no word/document.xml,
 * damaged).
 */
int docx_parse(struct doc *doc, const unsigned char *data, size_t len, struct format_meta *meta,
	       char *err, size_t errlen);

#endif
