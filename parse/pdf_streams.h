/*
 * pdf_streams.h - what poppler would inflate of a PDF, measured first.
 */
#ifndef RP_PDF_STREAMS_H
#define RP_PDF_STREAMS_H

#include <stddef.h>

/*
 * Decode, into a count, every stream of the PDF in data that poppler would
 * decode to extract its text, and stop at the first past max_stream bytes or
 * once all of them pass max_total. Returns 0, or -1 with the reason in err.
 */
int pdf_streams_check(const unsigned char *data, size_t len, size_t max_stream, size_t max_total,
		      char *err, size_t errlen);

#endif
