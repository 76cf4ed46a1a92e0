/*
 * gov_body.h - the words that end the name of a government body (政府,
 * 委员会, 办公室, 局 ...): one list, for the issuer found in a title
 * (meta.c) and for the body a CMS names in its ContentSource (parse.c).
 */
#ifndef RP_GOV_BODY_H
#define RP_GOV_BODY_H

#include <stddef.h>
#include <stdint.h>

/*
 * The length in code points of the shortest ending of a body's name that
 * cp[0..n) ends with, or 0 when it ends with none. The shortest, so that a
 * caller asking for a place before the ending asks the least of it
 * (江苏省人民政府 ends with 政府 as well as with 人民政府).
 */
size_t gov_body_end(const uint32_t *cp, size_t n);

/* The same for the UTF-8 string s[0..n), in bytes. */
size_t gov_body_end_utf8(const char *s, size_t n);

#endif
