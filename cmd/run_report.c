/*
 * run_report.c - the progress line, the summary and the metrics textfile.
 *
 * The fetcher knows how far a run has got (it fetches, leases and hears
 * every acknowledgement), so it sends JSON lines up a pipe; this file only
 * renders them. The progress line goes to stderr and is redrawn in place,
 * never under cron (not a terminal) or --quiet.
 */
#include "run_report.h"
#include "monotime.h"
#include "buf.h"
#include "log.h"
#include "proto.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static long long
report_int(struct json_object *o, const char *key)
{
	struct json_object *v;
	return json_object_object_get_ex(o, key, &v) ? (long long)json_object_get_int64(v) : 0;
}

static void
report_progress(struct run_report *rr, struct json_object *o)
{
	double secs = (double)(monotime_ms() - rr->started_ms) / 1000;
	long long jobs = report_int(o, PROTO_KEY_JOBS), settled = report_int(o, PROTO_KEY_SETTLED);
	double rate = secs > 0.5 ? (double)settled / secs : 0;
	struct json_object *v;
	int fetching =
	    json_object_object_get_ex(o, PROTO_KEY_FETCHING, &v) && json_object_get_boolean(v);
	int draining =
	    json_object_object_get_ex(o, PROTO_KEY_DRAINING, &v) && json_object_get_boolean(v);
	char eta[32] = "";

	/* the total is known once every source and index page has been fetched */
	if (!fetching && rate > 0 && jobs > settled) {
		long left = (long)((double)(jobs - settled) / rate + 0.5);
		snprintf(eta, sizeof(eta), ", ETA %ld:%02ld", left / 60, left % 60);
	}
	/* until discovery ends more documents may come: no total to show yet */
	char total[64];
	if (fetching)
		snprintf(total, sizeof(total), "%lld done, finding more", settled);
	else
		snprintf(total, sizeof(total), "%lld of %lld done", settled, jobs);
	snprintf(rr->shown, sizeof(rr->shown),
		 "fetched %lld, parsed %lld, stored %lld, failed %lld; %s, %.1f/s%s%s",
		 report_int(o, PROTO_KEY_FETCHED), report_int(o, PROTO_KEY_PARSED),
		 report_int(o, PROTO_KEY_STORED), report_int(o, PROTO_KEY_FAILED), total, rate, eta,
		 draining ? " (stopping)" : "");
	fprintf(stderr, "\r\033[K%s", rr->shown);
	fflush(stderr);
	rr->drawn = 1;
}

void
run_report_clear(struct run_report *rr)
{
	if (rr->drawn) {
		fputs("\r\033[K", stderr);
		fflush(stderr);
		rr->drawn = 0;
	}
}

/* After a line was written: the progress line again, below it. */
static void
report_redraw(struct run_report *rr)
{
	if (rr->live && !rr->drawn && rr->shown[0]) {
		fputs(rr->shown, stderr);
		fflush(stderr);
		rr->drawn = 1;
	}
}

static void
report_hook_before(void *arg)
{
	run_report_clear(arg);
}

static void
report_hook_after(void *arg)
{
	report_redraw(arg);
}

int
run_report_relay_open(struct run_report *rr)
{
	if (!rr->live)
		return 0;
	log_set_hooks(report_hook_before, report_hook_after, rr);
	if (pipe2(rr->relay, O_CLOEXEC) < 0) {
		log_warn("cannot relay the stages' messages; they may run into the progress line");
		return -1;
	}
	/* drained between other work: a read must never wait */
	fcntl(rr->relay[0], F_SETFL, fcntl(rr->relay[0], F_GETFL) | O_NONBLOCK);
	rr->relaying = 1;
	return 0;
}

void
run_report_relay_child(struct run_report *rr)
{
	if (!rr->relaying)
		return;
	/* dup2 leaves the new descriptor open across exec, as stderr should be */
	if (dup2(rr->relay[1], STDERR_FILENO) < 0)
		log_warn("cannot write to the relay pipe; writing to stderr");
	close(rr->relay[0]);
	close(rr->relay[1]);
	rr->relaying = 0;
}

int
run_report_relay_fd(const struct run_report *rr)
{
	return rr->relaying ? rr->relay[0] : -1;
}

/* Write len bytes of whole lines (or the rest at the end) with the progress line out of the way. */
static void
report_relay_write(struct run_report *rr, const char *data, size_t len)
{
	run_report_clear(rr);
	while (len > 0) {
		ssize_t n = write(STDERR_FILENO, data, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break; /* stderr is gone: nothing else can be told */
		data += n;
		len -= (size_t)n;
	}
	report_redraw(rr);
}

void
run_report_relay_drain(struct run_report *rr)
{
	if (!rr->relaying)
		return;
	char chunk[8192];
	ssize_t n;
	while ((n = read(rr->relay[0], chunk, sizeof(chunk))) > 0 || (n < 0 && errno == EINTR))
		if (n > 0)
			buf_append(&rr->relayed, chunk, (size_t)n);
	/* a line that is not whole yet waits: half of it would glue to the progress line */
	char *last = rr->relayed.len ? memrchr(rr->relayed.data, '\n', rr->relayed.len) : NULL;
	if (last == NULL)
		return;
	size_t whole = (size_t)(last - rr->relayed.data) + 1;
	report_relay_write(rr, rr->relayed.data, whole);
	memmove(rr->relayed.data, rr->relayed.data + whole, rr->relayed.len - whole);
	rr->relayed.len -= whole;
}

/* The end of the run: all that is left, a partial line too, then no more relaying. */
static void
report_relay_close(struct run_report *rr)
{
	if (!rr->relaying)
		return;
	run_report_relay_drain(rr);
	if (rr->relayed.len > 0) {
		buf_putc(&rr->relayed, '\n');
		report_relay_write(rr, rr->relayed.data, rr->relayed.len);
		rr->relayed.len = 0;
	}
	close(rr->relay[0]);
	close(rr->relay[1]);
	rr->relaying = 0;
}

void
run_report_line(struct run_report *rr, const char *line)
{
	struct json_object *o = json_tokener_parse(line), *type;
	if (o == NULL || !json_object_object_get_ex(o, PROTO_KEY_TYPE, &type)) {
		log_warnx("unreadable status line from the fetcher");
		json_object_put(o);
		return;
	}
	if (strcmp(json_object_get_string(type), PROTO_LINE_SUMMARY) == 0) {
		json_object_put(rr->last);
		rr->last = o;
		return;
	}
	if (strcmp(json_object_get_string(type), PROTO_LINE_PROGRESS) == 0) {
		if (rr->live)
			report_progress(rr, o);
		json_object_put(rr->progress);
		rr->progress = o;
		return;
	}
	json_object_put(o);
}

static void
report_summary(const struct run_report *rr, struct json_object *o, const char *status,
	       const char *why)
{
	char id[32] = "-"; /* a run that never began has no id */
	if (report_int(o, PROTO_KEY_RUN_ID) > 0)
		snprintf(id, sizeof(id), "%lld", report_int(o, PROTO_KEY_RUN_ID));
	if (rr->quiet && strcmp(status, PROTO_STATUS_OK) == 0)
		return;
	/* the database's id, and the name every log line of the run carries */
	const char *name = log_get_run();
	char known[48] = "";
	if (report_int(o, PROTO_KEY_KNOWN_DEAD) > 0)
		snprintf(known, sizeof(known), ", known dead %lld",
			 report_int(o, PROTO_KEY_KNOWN_DEAD));
	printf("reportpipe: run %s%s%s%s %s: fetched %lld, unchanged %lld, stored %lld,"
	       " failed %lld%s (parsed %lld, duplicates %lld)%s%s\n",
	       id, *name ? " (" : "", name, *name ? ")" : "", status,
	       report_int(o, PROTO_KEY_FETCHED), report_int(o, PROTO_KEY_UNCHANGED),
	       report_int(o, PROTO_KEY_STORED), report_int(o, PROTO_KEY_FAILED), known,
	       report_int(o, PROTO_KEY_PARSED), report_int(o, PROTO_KEY_DUPLICATES),
	       why ? "; " : "", why ? why : "");
	fflush(stdout);
}

int
run_report_finish(struct run_report *rr, int code_without_summary, const char *why)
{
	report_relay_close(rr);
	run_report_clear(rr);
	rr->shown[0] = '\0'; /* the summary follows: no progress line below it */
	log_set_hooks(NULL, NULL, NULL);
	struct json_object *st, *w;
	if (rr->last == NULL && rr->progress == NULL) {
		printf("reportpipe: run not run: %s\n", why ? why : "it ended before it began");
		fflush(stdout);
		return code_without_summary;
	}
	if (rr->last == NULL) {
		/* counts as far as the fetcher told them */
		report_summary(rr, rr->progress,
			       code_without_summary == 75 ? "interrupted" : "failed", why);
		return code_without_summary;
	}
	struct json_object *o = rr->last;
	const char *status = json_object_object_get_ex(o, PROTO_KEY_STATUS, &st)
				 ? json_object_get_string(st)
				 : "failed";
	report_summary(rr, o, status,
		       json_object_object_get_ex(o, PROTO_KEY_WHY, &w) ? json_object_get_string(w)
								       : NULL);
	if (strcmp(status, PROTO_STATUS_INTERRUPTED) == 0)
		return 75;
	return report_int(o, PROTO_KEY_FAILED) > 0 ? 1 : 0;
}

/* Append v as a Prometheus label value: backslash, quote and newline escaped. */
static void
report_label(struct buf *b, const char *v)
{
	buf_putc(b, '"');
	for (; *v; v++) {
		if (*v == '\\' || *v == '"')
			buf_putc(b, '\\');
		if (*v == '\n')
			buf_puts(b, "\\n");
		else
			buf_putc(b, *v);
	}
	buf_putc(b, '"');
}

/*
 * The last success as the previous textfile gave it (0: none known). The
 * file is the only memory the supervisor has between runs, and it must not
 * ask the database, which may be what is failing.
 */
static long long
report_last_success(const char *path)
{
	static const char name[] = "reportpipe_last_success_timestamp_seconds ";
	char line[512];
	long long t = 0;
	FILE *fp = fopen(path, "r");
	if (fp == NULL)
		return 0;
	while (fgets(line, sizeof(line), fp))
		if (strncmp(line, name, sizeof(name) - 1) == 0)
			t = strtoll(line + sizeof(name) - 1, NULL, 10);
	fclose(fp);
	return t > 0 ? t : 0;
}

int
run_report_metrics_file(const struct run_report *rr, const char *path)
{
	struct json_object *st, *sources;
	/* no summary: the run ended before its end could be recorded */
	const char *status = rr->last && json_object_object_get_ex(rr->last, PROTO_KEY_STATUS, &st)
				 ? json_object_get_string(st)
				 : "error";
	static const char *const outcomes[] = {"fetched", "unchanged",	"parsed",
					       "stored",  "duplicates", "failed"};
	static const char *const statuses[] = {"ok", "failed", "interrupted", "error"};
	struct buf b = {0}, tmp = {0};
	int rc = 0;
	long long now = (long long)time(NULL);
	/* a success is a run that stored or left unchanged every document */
	long long success = strcmp(status, PROTO_STATUS_OK) == 0 ? now : report_last_success(path);

	buf_puts(&b,
		 "# HELP reportpipe_run_last_finished_timestamp_seconds When the last run ended.\n"
		 "# TYPE reportpipe_run_last_finished_timestamp_seconds gauge\n");
	buf_printf(&b, "reportpipe_run_last_finished_timestamp_seconds %lld\n", now);
	buf_puts(&b, "# HELP reportpipe_last_success_timestamp_seconds When a run last ended"
		     " with every document stored or unchanged (0: never, as far as this file"
		     " remembers).\n"
		     "# TYPE reportpipe_last_success_timestamp_seconds gauge\n");
	buf_printf(&b, "reportpipe_last_success_timestamp_seconds %lld\n", success);
	buf_puts(&b, "# HELP reportpipe_run_last_status How the last run ended (1 on its status).\n"
		     "# TYPE reportpipe_run_last_status gauge\n");
	for (size_t i = 0; i < sizeof(statuses) / sizeof(statuses[0]); i++)
		buf_printf(&b, "reportpipe_run_last_status{status=\"%s\"} %d\n", statuses[i],
			   strcmp(status, statuses[i]) == 0);
	buf_puts(&b, "# HELP reportpipe_run_duration_seconds How long the last run took.\n"
		     "# TYPE reportpipe_run_duration_seconds gauge\n");
	buf_printf(&b, "reportpipe_run_duration_seconds %.3f\n",
		   (double)(monotime_ms() - rr->started_ms) / 1000);
	/* counts of one run go up and down from run to run: gauges, so no _total */
	buf_puts(&b, "# HELP reportpipe_run_documents Documents of the last run, by outcome.\n"
		     "# TYPE reportpipe_run_documents gauge\n");
	for (size_t i = 0; i < sizeof(outcomes) / sizeof(outcomes[0]); i++)
		buf_printf(&b, "reportpipe_run_documents{outcome=\"%s\"} %lld\n", outcomes[i],
			   rr->last ? report_int(rr->last, outcomes[i]) : 0);

	/* per source, from the summary, else as far as the last progress line got */
	struct json_object *counts = rr->last ? rr->last : rr->progress;
	buf_puts(&b, "# HELP reportpipe_run_source_documents Documents of the last run stored"
		     " or failed, by source.\n"
		     "# TYPE reportpipe_run_source_documents gauge\n");
	if (counts && json_object_object_get_ex(counts, PROTO_KEY_SOURCES, &sources) &&
	    json_object_is_type(sources, json_type_object)) {
		json_object_object_foreach(sources, name, per)
		{
			static const char *const kinds[] = {"stored", "failed"};
			for (size_t i = 0; i < 2; i++) {
				buf_puts(&b, "reportpipe_run_source_documents{source=");
				report_label(&b, name);
				buf_printf(&b, ",outcome=\"%s\"} %lld\n", kinds[i],
					   report_int(per, kinds[i]));
			}
		}
	}

	/* node_exporter must never read half a file: write aside, then rename */
	buf_printf(&tmp, "%s.tmp.%ld", path, (long)getpid());
	FILE *fp = fopen(tmp.data, "w");
	int written = fp && fwrite(b.data, 1, b.len, fp) == b.len;
	if (fp && fclose(fp) != 0)
		written = 0;
	if (!written || rename(tmp.data, path) < 0) {
		log_warn("cannot write metrics_file %s", path);
		unlink(tmp.data);
		rc = -1;
	}
	buf_release(&b);
	buf_release(&tmp);
	return rc;
}

void
run_report_release(struct run_report *rr)
{
	json_object_put(rr->last);
	rr->last = NULL;
	json_object_put(rr->progress);
	rr->progress = NULL;
	report_relay_close(rr);
	buf_release(&rr->relayed);
}
