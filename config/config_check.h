/*
 * config_check.h - checks of single config values, for the loader (config.c).
 */
#ifndef RP_CONFIG_CHECK_H
#define RP_CONFIG_CHECK_H

#include <stddef.h>

/* "" or "tcp://HOST:PORT" or "ipc://PATH": 0, else -1 with the reason in why. */
int config_check_endpoint(const char *value, char *why, size_t whylen);

/*
 * An allow_hosts entry: a host name, IPv4 or IPv6 address, with an optional
 * ":PORT". 0 and *norm (the caller's) is the entry as stored; else -1.
 */
int config_check_host(const char *entry, char **norm);

/* An XPath libxml2 compiles: 0, else -1 with libxml2's reason in why. */
int config_check_xpath(const char *xpath, char why[static 200]);

/* A regular file that can be opened for reading: 0, else -1 with the reason in why. */
int config_check_readable(const char *path, char *why, size_t whylen);

/* The offset of the first byte of s[0..len) that is not valid UTF-8, or len. */
size_t config_utf8_invalid_at(const unsigned char *s, size_t len);

#endif
