/*
 * html_content.h - the main content of a parsed HTML page, as lines of text.
 */
#ifndef RP_HTML_CONTENT_H
#define RP_HTML_CONTENT_H

#include "buf.h"

#include <libxml/tree.h>

/*
 * Append to out the main content found below root (normally <body>):
 * paragraphs as lines, tables as lines of tab-separated cells; scripts,
 * navigation, headers, footers, forms and link lists left out. Falls back
 * to all the text below root when no block scores.
 */
void html_content_main(xmlNode *root, struct buf *out);

/* Append the text of node and everything below it, as html_content_main writes it. */
void html_content_text(xmlNode *node, struct buf *out);

/* Append the text below node as one line, white space collapsed, up to max bytes. */
void html_content_inline(const xmlNode *node, struct buf *out, size_t max);

#endif
