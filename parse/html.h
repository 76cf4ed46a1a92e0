/*
 * html.h - an HTML page to the text of its main content, with the page's
 * metadata beside it.
 */
#ifndef RP_HTML_H
#define RP_HTML_H

#include "doc.h"
#include "format.h"

/*
 * The charset an HTML page declares in its first 8 KB (<meta charset>,
 * <meta http-equiv="Content-Type" content="...; charset=...">, <?xml
 * encoding>), read leniently as real pages write it. Returns 0 and writes
 * the label to out, or -1 when there is none.
 */
int html_meta_charset(const unsigned char *data, size_t len, char *out, size_t outlen);

/*
 * Decode the page (charset order as in decode.h: http_charset, BOM,
 * <meta>, detection), parse it with libxml2 and put the text of its main
 * content into doc->text (the content_xpath match when given and found),
 * the title first when the content lacks it; doc->charset is the page's.
 * Fills meta from <title> and the CMS tags (ArticleTitle, PubDate,
 * ContentSource). Returns 0, or -1 with a reason in err.
 */
int html_parse(struct doc *doc, const unsigned char *data, size_t len, const char *http_charset,
	       const char *content_xpath, struct format_meta *meta, char *err, size_t errlen);

#endif
