/*
 * fetcher_retry.c - failure classes, capped exponential backoff, Retry-After.
 *
 * Pure functions: no clock, no randomness and no I/O of their own, so the
 * policy can be tested alone. Must never call a failure transient that
 * retrying cannot fix (TLS, 4xx other than 408 and 429, too large, a body
 * that does not match its Content-Encoding), or a
 * dead host would eat the run's retry budget for nothing.
 */
#include "fetcher_retry.h"

#include <ctype.h>
#include <curl/curl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>

#define RETRY_BASE_MS 1000L

static const char *const class_names[] = {
    [FETCH_OK] = "ok",
    [FETCH_CONNECT] = "connect",
    [FETCH_TIMEOUT] = "timeout",
    [FETCH_NETWORK] = "network",
    [FETCH_HTTP] = "http",
    [FETCH_TLS] = "tls",
    [FETCH_REDIRECT] = "redirect",
    [FETCH_TOO_LARGE] = "too_large",
    [FETCH_ROBOTS] = "robots",
    [FETCH_LOCAL] = "file",
    [FETCH_ENCODING] = "encoding",
    [FETCH_OTHER] = "other",
};

const char *
fetcher_retry_class_name(enum fetch_class cls)
{
	if ((size_t)cls >= sizeof(class_names) / sizeof(class_names[0]))
		return "other";
	return class_names[cls];
}

enum fetch_class
fetcher_retry_classify(int curl_code, long status)
{
	switch ((CURLcode)curl_code) {
	case CURLE_OK:
		if (status == 0 || (status >= 200 && status < 300) || status == 304)
			return FETCH_OK;
		return FETCH_HTTP;
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_RESOLVE_PROXY:
	case CURLE_COULDNT_CONNECT:
		return FETCH_CONNECT;
	case CURLE_OPERATION_TIMEDOUT:
		return FETCH_TIMEOUT;
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_PARTIAL_FILE:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
	case CURLE_WEIRD_SERVER_REPLY:
		return FETCH_NETWORK;
	case CURLE_BAD_CONTENT_ENCODING:
		/* a lying or unknown Content-Encoding: the same bytes come again */
		return FETCH_ENCODING;
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CIPHER:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_ISSUER_ERROR:
	case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
	case CURLE_SSL_INVALIDCERTSTATUS:
	case CURLE_SSL_CRL_BADFILE:
	case CURLE_SSL_ENGINE_NOTFOUND:
	case CURLE_SSL_ENGINE_SETFAILED:
	case CURLE_SSL_ENGINE_INITFAILED:
	case CURLE_SSL_SHUTDOWN_FAILED:
	case CURLE_USE_SSL_FAILED:
		return FETCH_TLS;
	case CURLE_TOO_MANY_REDIRECTS:
		return FETCH_REDIRECT;
	case CURLE_FILESIZE_EXCEEDED:
		return FETCH_TOO_LARGE;
	case CURLE_FILE_COULDNT_READ_FILE:
	case CURLE_READ_ERROR:
		return FETCH_LOCAL;
	default:
		return FETCH_OTHER;
	}
}

int
fetcher_retry_transient(enum fetch_class cls, long status)
{
	switch (cls) {
	case FETCH_CONNECT:
	case FETCH_TIMEOUT:
	case FETCH_NETWORK:
		return 1;
	case FETCH_HTTP:
		return status >= 500 || status == 408 || status == 429;
	default:
		return 0;
	}
}

long
fetcher_retry_backoff_ms(int retry, long cap_ms, double u)
{
	long d = RETRY_BASE_MS;
	for (int i = 1; i < retry && d < cap_ms; i++)
		d *= 2;
	if (d > cap_ms)
		d = cap_ms;
	if (u < 0)
		u = 0;
	if (u >= 1)
		u = 0.999;
	return d / 2 + (long)(u * (double)(d - d / 2));
}

long
fetcher_retry_after_ms(const char *value, time_t now)
{
	if (value == NULL)
		return -1;
	while (isspace((unsigned char)*value))
		value++;
	if (*value == '\0')
		return -1;
	if (isdigit((unsigned char)*value)) {
		char *end;
		unsigned long long s = strtoull(value, &end, 10);
		while (isspace((unsigned char)*end))
			end++;
		if (*end != '\0')
			return -1;
		/* a day is as long as any run should wait; more is the same as "not this run" */
		if (s > 86400)
			s = 86400;
		return (long)s * 1000;
	}
	time_t t = curl_getdate(value, NULL);
	if (t == (time_t)-1)
		return -1;
	if (t <= now)
		return 0;
	if (t - now > 86400)
		return 86400L * 1000;
	return (long)(t - now) * 1000;
}

void
fetcher_retry_describe(char *out, size_t cap, enum fetch_class cls, long status, int attempts,
		       const char *detail)
{
	char what[32];
	if (cls == FETCH_HTTP)
		snprintf(what, sizeof(what), "http %ld", status);
	else
		snprintf(what, sizeof(what), "%s", fetcher_retry_class_name(cls));
	snprintf(out, cap, "%s (%s) after %d attempt%s: %s", what,
		 fetcher_retry_transient(cls, status) ? "transient" : "permanent", attempts,
		 attempts == 1 ? "" : "s", detail ? detail : "");
}
