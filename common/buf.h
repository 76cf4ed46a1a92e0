/*
 * buf.h - a growable byte buffer, always NUL-terminated.
 *
 * Allocation failure aborts through fatalx(): there is nothing sensible a
 * pipeline stage can do without memory, and checking every append obscures
 * the code that matters.
 */
#ifndef RP_BUF_H
#define RP_BUF_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

struct buf {
	char *data;
	size_t len;
	size_t cap;
};

/* Make room for at least extra more bytes beyond len (plus the NUL). */
void buf_reserve(struct buf *b, size_t extra);
void buf_append(struct buf *b, const void *data, size_t len);
void buf_puts(struct buf *b, const char *s);
void buf_putc(struct buf *b, char c);
void buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* As buf_printf, with the arguments in ap: how many bytes it appended, or -1 (nothing appended). */
int buf_vprintf(struct buf *b, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
/* Append code point cp as UTF-8 (invalid code points become U+FFFD). */
void buf_put_utf8(struct buf *b, uint32_t cp);
/* Hand the data to the caller (who frees it) and reset the buffer. */
char *buf_take(struct buf *b);
void buf_reset(struct buf *b);
void buf_release(struct buf *b);

/* malloc/realloc/strdup that never return NULL (fatalx on failure). */
void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xreallocarray(void *p, size_t n, size_t size);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);

#endif
