/*
 * log.h - the one logging API of reportpipe.
 *
 * Every line is logfmt on stderr (or syslog with log_init(..., LOG_TO_SYSLOG)):
 *   ts=... level=info stage=fetcher run=20261126T201641-1234 msg="..."
 * A message that starts with "url=X " puts X in the line's own url field:
 *   ts=... level=warn stage=fetcher run=... url=https://... msg="fetch failed: ..."
 * Callers must never pass secrets (passwords, full conninfo) in a message.
 */
#ifndef RP_LOG_H
#define RP_LOG_H

#include <stdarg.h>

enum log_level { LOG_LEVEL_DEBUG, LOG_LEVEL_INFO, LOG_LEVEL_WARN, LOG_LEVEL_ERROR };

#define LOG_TO_SYSLOG 0x01

/* Set the stage name that every following line carries; flags: LOG_TO_SYSLOG. */
void log_init(const char *stage, int flags);
/* The flags given to log_init (a child stage logs where its parent does). */
int log_get_flags(void);
/*
 * Call before(arg) just before each line is written to stderr and after(arg)
 * just after it (never for syslog), so that whoever draws on the same
 * terminal can clear its line and draw it again; NULL hooks: none.
 * log_init drops the hooks: a child stage must not draw its parent's screen.
 */
void log_set_hooks(void (*before)(void *), void (*after)(void *), void *arg);
/* Set the run id that every following line carries (NULL: none). */
void log_set_run(const char *run_id);
/* The run id the lines carry ("" when none), for a summary to name the same run. */
const char *log_get_run(void);
/* Lines below this level are dropped. */
void log_set_level(enum log_level level);
enum log_level log_get_level(void);

void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* log_warn appends strerror(errno); log_warnx does not. */
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Log at error level and exit(code); fatal appends strerror(errno). */
void fatal(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3), noreturn));
void fatalx(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3), noreturn));

#endif
