/*
 * fetcher_retry.h - what a failed transfer means, and when to try it again.
 */
#ifndef RP_FETCHER_RETRY_H
#define RP_FETCHER_RETRY_H

#include <stddef.h>
#include <time.h>

enum fetch_class {
	FETCH_OK,
	FETCH_CONNECT,	 /* could not resolve or connect */
	FETCH_TIMEOUT,	 /* connect or total timeout, or too slow for too long */
	FETCH_NETWORK,	 /* the connection broke or answered nothing usable */
	FETCH_HTTP,	 /* a status other than 2xx and 304 */
	FETCH_TLS,	 /* handshake or certificate verification failed */
	FETCH_REDIRECT,	 /* more redirects than allowed, or one to a URL refused */
	FETCH_TOO_LARGE, /* the body is larger than max_bytes */
	FETCH_ROBOTS,	 /* robots.txt disallows the URL */
	FETCH_LOCAL,	 /* a file:// URL could not be read */
	FETCH_ENCODING,	 /* the body does not decode as its Content-Encoding says */
	FETCH_OTHER,
};

/* The class's name as it appears in dead letters ("connect", "http", ...). */
const char *fetcher_retry_class_name(enum fetch_class cls);

/* The class of a finished transfer from its CURLcode (as int) and HTTP status. */
enum fetch_class fetcher_retry_classify(int curl_code, long status);

/* 1 when the failure may go away: connection errors, timeouts, 5xx, 408, 429. */
int fetcher_retry_transient(enum fetch_class cls, long status);

/*
 * The delay before retry number retry (1 for the first) in ms: 1 s doubled
 * per retry, capped at cap_ms, with "equal jitter" (half fixed, half u in [0,1)).
 */
long fetcher_retry_backoff_ms(int retry, long cap_ms, double u);

/*
 * A Retry-After value (delay-seconds or an HTTP-date) as ms from now; -1 when
 * it is absent or unreadable. A date in the past is 0.
 */
long fetcher_retry_after_ms(const char *value, time_t now);

/*
 * The dead-letter text: "http 503 (transient) after 5 attempts: detail" or
 * "connect (transient) after 3 attempts: detail".
 */
void fetcher_retry_describe(char *out, size_t cap, enum fetch_class cls, long status, int attempts,
			    const char *detail);

#endif
