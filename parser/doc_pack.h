/*
 * doc_pack.h - a parsed document as the body of a RESULT: MessagePack,
 * written straight from struct doc (common/proto.h, "The RESULT body").
 */
#ifndef RP_DOC_PACK_H
#define RP_DOC_PACK_H

#include "buf.h"
#include "doc.h"

#include <stddef.h>

/* Append to out the RESULT body of doc parsed from report (report_len bytes; NULL: empty). */
void doc_pack(const struct doc *doc, const void *report, size_t report_len, struct buf *out);

#endif
