/*
 * config_check.c - the checks of single config values that need more than
 * a number's range: endpoints, host names, XPaths, files, UTF-8.
 *
 * Pure checks: they never change what they are given, and never print;
 * the loader (config.c) words the message and names the file and line.
 */
#include "config_check.h"
#include "buf.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <libxml/globals.h>
#include <libxml/xmlerror.h>
#include <libxml/xpath.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* A TCP port: 1..65535, decimal digits only. */
static int
config_check_port(const char *text)
{
	size_t n = strspn(text, "0123456789");
	if (n == 0 || n > 5 || text[n] != '\0')
		return -1;
	long port = strtol(text, NULL, 10);
	return port >= 1 && port <= 65535 ? 0 : -1;
}

/* An IPv6 address in brackets, "[::1]", ending at text + len. */
static int
config_check_ipv6_bracketed(const char *text, size_t len)
{
	char addr[INET6_ADDRSTRLEN];
	struct in6_addr a6;

	if (len < 3 || text[0] != '[' || text[len - 1] != ']' || len - 2 >= sizeof(addr))
		return -1;
	memcpy(addr, text + 1, len - 2);
	addr[len - 2] = '\0';
	return inet_pton(AF_INET6, addr, &a6) == 1 ? 0 : -1;
}

/*
 * A ZeroMQ endpoint as the stages use it: "tcp://HOST:PORT", where HOST is
 * "*", a name, an interface or an address ("[...]" for IPv6), or
 * "ipc://PATH". "" (unset) passes.
 */
int
config_check_endpoint(const char *value, char *why, size_t whylen)
{
	if (*value == '\0')
		return 0;
	if (strncmp(value, "ipc://", 6) == 0) {
		if (value[6] == '\0') {
			snprintf(why, whylen, "an ipc:// endpoint needs a path");
			return -1;
		}
		return 0;
	}
	if (strncmp(value, "tcp://", 6) != 0) {
		snprintf(why, whylen, "it is not a tcp:// or ipc:// endpoint");
		return -1;
	}
	const char *host = value + 6, *colon = strrchr(host, ':');
	if (colon == NULL || colon == host) {
		snprintf(why, whylen, "a tcp:// endpoint is tcp://HOST:PORT");
		return -1;
	}
	size_t hlen = (size_t)(colon - host);
	int host_ok;
	if (host[0] == '[')
		host_ok = config_check_ipv6_bracketed(host, hlen) == 0;
	else
		host_ok = (hlen == 1 && host[0] == '*') ||
			  strspn(host, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
				       "0123456789.-_") == hlen;
	if (!host_ok) {
		snprintf(why, whylen, "'%.*s' is not a host, an interface, an address or *",
			 (int)hlen, host);
		return -1;
	}
	if (config_check_port(colon + 1) < 0) {
		snprintf(why, whylen, "the port is not 1..65535");
		return -1;
	}
	return 0;
}

/*
 * One allow_hosts entry: a host name (letters, digits and hyphens in
 * labels of 1 to 63, joined by dots), an IPv4 address or an IPv6 address
 * (bare or in brackets), with an optional ":PORT" (not after a bare IPv6
 * address). On success *norm is the entry as stored: a bare IPv6 address
 * gets its brackets, the form in which the fetcher sees a link's host.
 */
int
config_check_host(const char *entry, char **norm)
{
	const char *port = NULL;
	size_t hlen;
	struct in6_addr a6;
	struct in_addr a4;

	if (entry[0] == '[') {
		const char *close = strchr(entry, ']');
		if (close == NULL)
			return -1;
		hlen = (size_t)(close - entry) + 1;
		if (config_check_ipv6_bracketed(entry, hlen) < 0)
			return -1;
		if (close[1] == ':')
			port = close + 2;
		else if (close[1] != '\0')
			return -1;
	} else if (strchr(entry, ':') != strrchr(entry, ':')) {
		if (inet_pton(AF_INET6, entry, &a6) != 1)
			return -1;
		struct buf b = {0};
		buf_printf(&b, "[%s]", entry);
		*norm = buf_take(&b);
		return 0;
	} else {
		const char *colon = strchr(entry, ':');
		hlen = colon ? (size_t)(colon - entry) : strlen(entry);
		port = colon ? colon + 1 : NULL;
		char host[256];
		if (hlen == 0 || hlen > 253)
			return -1;
		memcpy(host, entry, hlen);
		host[hlen] = '\0';
		if (strspn(host, "0123456789.") == hlen) {
			if (inet_pton(AF_INET, host, &a4) != 1)
				return -1;
		} else {
			for (const char *label = host; *label;) {
				size_t n = strspn(label, "abcdefghijklmnopqrstuvwxyz"
							 "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-");
				if (n == 0 || n > 63 || label[0] == '-' || label[n - 1] == '-' ||
				    (label[n] != '.' && label[n] != '\0') ||
				    (label[n] == '.' && label[n + 1] == '\0'))
					return -1;
				label += n + (label[n] == '.');
			}
		}
	}
	if (port && config_check_port(port) < 0)
		return -1;
	*norm = xstrdup(entry);
	return 0;
}

/* libxml2's structured error handler while an XPath is compiled: keep the first message. */
static void
#if LIBXML_VERSION >= 21200
config_xpath_error(void *user, const xmlError *e)
#else
config_xpath_error(void *user, xmlErrorPtr e)
#endif
{
	char *why = user;
	if (why[0] == '\0' && e && e->message) {
		snprintf(why, 200, "%s", e->message);
		why[strcspn(why, "\n")] = '\0';
	}
}

/* Compile xpath as the parser will, and throw it away; on error why gets libxml2's reason. */
int
config_check_xpath(const char *xpath, char why[static 200])
{
	xmlStructuredErrorFunc saved = xmlStructuredError;
	void *saved_ctx = xmlStructuredErrorContext;

	why[0] = '\0';
	xmlSetStructuredErrorFunc(why, config_xpath_error);
	xmlXPathCompExprPtr comp = xmlXPathCompile((const xmlChar *)xpath);
	xmlSetStructuredErrorFunc(saved_ctx, saved);
	if (comp == NULL) {
		if (why[0] == '\0')
			snprintf(why, 200, "libxml2 cannot compile it");
		return -1;
	}
	xmlXPathFreeCompExpr(comp);
	return 0;
}

/* A file that can be opened for reading; on error why says why not. */
int
config_check_readable(const char *path, char *why, size_t whylen)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0) {
		snprintf(why, whylen, "cannot read '%s': %s", path, strerror(errno));
		return -1;
	}
	int rc = fstat(fd, &st);
	close(fd);
	if (rc < 0 || !S_ISREG(st.st_mode)) {
		snprintf(why, whylen, "'%s' is not a regular file", path);
		return -1;
	}
	return 0;
}

/*
 * The offset of the first byte in s[0..len) that does not begin a valid
 * UTF-8 sequence (overlong forms, surrogates and code points past U+10FFFF
 * are invalid), or len when all of it is valid.
 */
size_t
config_utf8_invalid_at(const unsigned char *s, size_t len)
{
	size_t i = 0;

	while (i < len) {
		unsigned c = s[i];
		size_t n;
		uint32_t cp, min;
		if (c < 0x80) {
			i++;
			continue;
		}
		if ((c & 0xe0) == 0xc0) {
			n = 1, cp = c & 0x1f, min = 0x80;
		} else if ((c & 0xf0) == 0xe0) {
			n = 2, cp = c & 0x0f, min = 0x800;
		} else if ((c & 0xf8) == 0xf0) {
			n = 3, cp = c & 0x07, min = 0x10000;
		} else {
			return i;
		}
		if (len - i <= n)
			return i;
		for (size_t k = 1; k <= n; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return i;
			cp = cp << 6 | (s[i + k] & 0x3f);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return i;
		i += n + 1;
	}
	return len;
}
