/*
 * conninfo_mask.c - hide the passwords in a libpq connection string.
 *
 * The string is scanned the way libpq's own parser scans it (fe-connect.c:
 * conninfo_parse for keyword = value, conninfo_uri_parse_options for URIs),
 * and only the spans of secret values are replaced, so that a log line still
 * shows the string as the user wrote it. PQconninfoParse then checks the
 * result: whatever libpq reads as a password must read as the mask. Must
 * never return a string that still holds a password libpq would use.
 */
#include "conninfo_mask.h"
#include "buf.h"

#include <ctype.h>
#include <libpq-fe.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* The libpq keywords whose values are secrets. */
static const char *const conninfo_secrets[] = {"password", "sslpassword", NULL};

static int
conninfo_is_secret(const char *kw, size_t len)
{
	for (const char *const *s = conninfo_secrets; *s; s++)
		if (strlen(*s) == len && strncasecmp(kw, *s, len) == 0)
			return 1;
	return 0;
}

static int
conninfo_hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (char)tolower((unsigned char)c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* A URI query keyword, percent-decoded as libpq decodes it, names a secret. */
static int
conninfo_is_secret_encoded(const char *kw, size_t len)
{
	char dec[32];
	size_t n = 0;
	for (size_t i = 0; i < len; i++) {
		if (n == sizeof(dec))
			return 0; /* longer than any secret keyword */
		if (kw[i] == '%' && i + 2 < len && conninfo_hexval(kw[i + 1]) >= 0 &&
		    conninfo_hexval(kw[i + 2]) >= 0) {
			dec[n++] =
			    (char)(conninfo_hexval(kw[i + 1]) * 16 + conninfo_hexval(kw[i + 2]));
			i += 2;
		} else {
			dec[n++] = kw[i];
		}
	}
	return conninfo_is_secret(dec, n);
}

/* Copy s[*done, start) to out, then the mask; the next copy starts at end. */
static void
conninfo_replace(struct buf *out, const char *s, size_t *done, size_t start, size_t end)
{
	buf_append(out, s + *done, start - *done);
	buf_puts(out, CONNINFO_MASK);
	*done = end;
}

/* keyword = value pairs; a quoted value keeps its quotes around the mask. */
static void
conninfo_mask_keywords(const char *s, struct buf *out)
{
	const char *p = s;
	size_t done = 0;

	while (*p) {
		if (isspace((unsigned char)*p)) {
			p++;
			continue;
		}
		const char *kw = p;
		while (*p && *p != '=' && !isspace((unsigned char)*p))
			p++;
		size_t kwlen = (size_t)(p - kw);
		while (isspace((unsigned char)*p))
			p++;
		if (*p != '=')
			continue; /* a bare word: libpq refuses the string */
		p++;
		while (isspace((unsigned char)*p))
			p++;
		const char *val = p, *end;
		if (*p == '\'') {
			val = ++p;
			while (*p && *p != '\'') {
				if (*p == '\\' && p[1] != '\0')
					p++;
				p++;
			}
			end = p; /* the mask goes inside the quotes */
			if (*p == '\'')
				p++;
		} else {
			while (*p && !isspace((unsigned char)*p)) {
				if (*p == '\\' && p[1] != '\0')
					p++;
				p++;
			}
			end = p;
		}
		if (conninfo_is_secret(kw, kwlen))
			conninfo_replace(out, s, &done, (size_t)(val - s), (size_t)(end - s));
	}
	buf_puts(out, s + done);
}

/* postgresql://user:password@host/db?password=...&sslpassword=... */
static void
conninfo_mask_uri(const char *s, size_t prefix, struct buf *out)
{
	const char *p = s + prefix;
	size_t done = 0;

	/* as libpq: user info ends at the first '@' before any '/' */
	const char *at = p;
	while (*at && *at != '@' && *at != '/')
		at++;
	if (*at == '@') {
		const char *colon = memchr(p, ':', (size_t)(at - p));
		if (colon)
			conninfo_replace(out, s, &done, (size_t)(colon + 1 - s), (size_t)(at - s));
		p = at + 1;
	}
	/* the query string: each key=value after '?', joined by '&' */
	for (const char *q = strchr(p, '?'); q != NULL && *q != '\0';) {
		const char *kw = q + 1;
		const char *eq = kw;
		while (*eq && *eq != '=' && *eq != '&')
			eq++;
		const char *end = eq;
		while (*end && *end != '&')
			end++;
		if (*eq == '=' && conninfo_is_secret_encoded(kw, (size_t)(eq - kw)))
			conninfo_replace(out, s, &done, (size_t)(eq + 1 - s), (size_t)(end - s));
		q = *end ? end : NULL;
	}
	buf_puts(out, s + done);
}

static size_t
conninfo_uri_prefix(const char *s)
{
	static const char *const prefixes[] = {"postgresql://", "postgres://", NULL};
	for (const char *const *pre = prefixes; *pre; pre++)
		if (strncasecmp(s, *pre, strlen(*pre)) == 0)
			return strlen(*pre);
	return 0;
}

/* libpq reads a secret from orig, and reads anything but the mask from masked. */
static int
conninfo_leaks(const char *orig, const char *masked)
{
	char *err = NULL;
	PQconninfoOption *o = PQconninfoParse(orig, &err);
	if (o == NULL) {
		PQfreemem(err); /* libpq would refuse it; the scan above did its best */
		return 0;
	}
	PQconninfoOption *m = PQconninfoParse(masked, &err);
	int leak = 0;
	for (PQconninfoOption *opt = o; opt->keyword; opt++) {
		if (opt->val == NULL || opt->val[0] == '\0' ||
		    !conninfo_is_secret(opt->keyword, strlen(opt->keyword)))
			continue;
		const char *mv = NULL;
		for (PQconninfoOption *mo = m; mo && mo->keyword; mo++)
			if (strcmp(mo->keyword, opt->keyword) == 0)
				mv = mo->val;
		if (mv == NULL || strcmp(mv, CONNINFO_MASK) != 0)
			leak = 1;
	}
	if (m == NULL)
		PQfreemem(err);
	PQconninfoFree(m);
	PQconninfoFree(o);
	return leak;
}

char *
conninfo_masked(const char *conninfo)
{
	if (conninfo == NULL)
		return NULL;
	struct buf out = {0};
	size_t prefix = conninfo_uri_prefix(conninfo);
	if (prefix > 0)
		conninfo_mask_uri(conninfo, prefix, &out);
	else
		conninfo_mask_keywords(conninfo, &out);
	char *masked = buf_take(&out);
	if (conninfo_leaks(conninfo, masked)) {
		free(masked);
		masked = xstrdup(CONNINFO_MASK);
	}
	return masked;
}
