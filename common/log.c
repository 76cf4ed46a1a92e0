/*
 * log.c - logfmt lines to stderr or syslog.
 *
 * One write(2) per line, so lines from the stages of one run never interleave
 * mid-line. Never allocates: it must work when memory is short.
 */
#include "log.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

static char log_stage[32] = "reportpipe";
static char log_run[64];
static int log_flags;
static enum log_level log_min = LOG_LEVEL_INFO;

static void (*log_before)(void *), (*log_after)(void *);
static void *log_hook_arg;

static const char *const level_names[] = {"debug", "info", "warn", "error"};

void
log_init(const char *stage, int flags)
{
	snprintf(log_stage, sizeof(log_stage), "%s", stage);
	if ((flags & LOG_TO_SYSLOG) && !(log_flags & LOG_TO_SYSLOG))
		openlog("reportpipe", LOG_PID | LOG_NDELAY, LOG_DAEMON);
	log_flags = flags;
	/* the hooks, if any, belong to the process that set them (a parent before fork) */
	log_set_hooks(NULL, NULL, NULL);
}

void
log_set_hooks(void (*before)(void *), void (*after)(void *), void *arg)
{
	log_before = before;
	log_after = after;
	log_hook_arg = arg;
}

int
log_get_flags(void)
{
	return log_flags;
}

void
log_set_run(const char *run_id)
{
	snprintf(log_run, sizeof(log_run), "%s", run_id ? run_id : "");
}

const char *
log_get_run(void)
{
	return log_run;
}

void
log_set_level(enum log_level level)
{
	log_min = level;
}

enum log_level
log_get_level(void)
{
	return log_min;
}

/* Append msg as a logfmt quoted value: escape quote, backslash and control chars. */
static size_t
log_quote(char *out, size_t cap, size_t at, const char *msg)
{
	if (at < cap)
		out[at++] = '"';
	for (const unsigned char *p = (const unsigned char *)msg; *p && at + 4 < cap; p++) {
		if (*p == '"' || *p == '\\') {
			out[at++] = '\\';
			out[at++] = (char)*p;
		} else if (*p == '\n') {
			out[at++] = '\\';
			out[at++] = 'n';
		} else if (*p < 0x20) {
			out[at++] = ' ';
		} else {
			out[at++] = (char)*p;
		}
	}
	if (at < cap)
		out[at++] = '"';
	return at;
}

/*
 * After the head of a line at line[at] (of size bytes), the fields every
 * line ends with: run= when there is one, url= when given, and msg=, quoted;
 * one byte is left for the newline or NUL. Returns the new length.
 */
static size_t
log_fields(char *line, size_t size, size_t at, const char *url, const char *text)
{
	if (log_run[0])
		at += (size_t)snprintf(line + at, size - at, " run=%s", log_run);
	if (url[0]) {
		at += (size_t)snprintf(line + at, size - at, " url=");
		at = log_quote(line, size - 1, at, url);
	}
	at += (size_t)snprintf(line + at, size - at, " msg=");
	return log_quote(line, size - 1, at, text);
}

static void
log_emit(enum log_level level, const char *errstr, const char *fmt, va_list ap)
{
	char msg[2048], line[5632];
	size_t at;
	int n;

	if (level < log_min)
		return;
	n = vsnprintf(msg, sizeof(msg), fmt, ap);
	if (n < 0)
		return;
	/* libpq's messages end in a newline: the line ends there, not with a literal \n */
	size_t end = strlen(msg);
	while (end > 0 && (msg[end - 1] == '\n' || msg[end - 1] == '\r' || msg[end - 1] == ' '))
		msg[--end] = '\0';
	if (errstr) {
		size_t used = strlen(msg);
		snprintf(msg + used, sizeof(msg) - used, ": %s", errstr);
	}
	/* "url=X rest" becomes the field url=X and the message "rest" */
	char url[1024] = "";
	const char *text = msg;
	if (strncmp(msg, "url=", 4) == 0) {
		size_t ulen = strcspn(msg + 4, " ");
		if (ulen < sizeof(url) && msg[4 + ulen] == ' ') {
			memcpy(url, msg + 4, ulen);
			url[ulen] = '\0';
			text = msg + 4 + ulen + 1;
		}
	}

	if (log_flags & LOG_TO_SYSLOG) {
		static const int prio[] = {LOG_DEBUG, LOG_INFO, LOG_WARNING, LOG_ERR};
		at = (size_t)snprintf(line, sizeof(line), "level=%s stage=%s", level_names[level],
				      log_stage);
		at = log_fields(line, sizeof(line), at, url, text);
		line[at] = '\0';
		syslog(prio[level], "%s", line);
		return;
	}

	struct timespec ts;
	struct tm tm;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	at = strftime(line, sizeof(line), "ts=%Y-%m-%dT%H:%M:%S", &tm);
	at += (size_t)snprintf(line + at, sizeof(line) - at, ".%03ldZ level=%s stage=%s",
			       ts.tv_nsec / 1000000, level_names[level], log_stage);
	at = log_fields(line, sizeof(line), at, url, text);
	line[at++] = '\n';
	if (log_before)
		log_before(log_hook_arg);
	(void)!write(STDERR_FILENO, line, at);
	if (log_after)
		log_after(log_hook_arg);
}

#define LOG_BODY(level, errstr)                                                                    \
	do {                                                                                       \
		va_list ap;                                                                        \
		va_start(ap, fmt);                                                                 \
		log_emit(level, errstr, fmt, ap);                                                  \
		va_end(ap);                                                                        \
	} while (0)

void
log_debug(const char *fmt, ...)
{
	LOG_BODY(LOG_LEVEL_DEBUG, NULL);
}

void
log_info(const char *fmt, ...)
{
	LOG_BODY(LOG_LEVEL_INFO, NULL);
}

void
log_warn(const char *fmt, ...)
{
	const char *e = strerror(errno);
	LOG_BODY(LOG_LEVEL_WARN, e);
}

void
log_warnx(const char *fmt, ...)
{
	LOG_BODY(LOG_LEVEL_WARN, NULL);
}

void
fatal(int code, const char *fmt, ...)
{
	const char *e = strerror(errno);
	LOG_BODY(LOG_LEVEL_ERROR, e);
	exit(code);
}

void
fatalx(int code, const char *fmt, ...)
{
	LOG_BODY(LOG_LEVEL_ERROR, NULL);
	exit(code);
}
