/*
 * run_report.h - what `run` tells people and machines: the live progress
 * line on a terminal, the summary line, and the Prometheus textfile.
 */
#ifndef RP_RUN_REPORT_H
#define RP_RUN_REPORT_H

#include <json-c/json.h>

struct run_report {
	int live;		  /* draw the progress line (stderr is a terminal, not --quiet) */
	int quiet;		  /* print the summary only when something went wrong */
	long long started_ms;	  /* CLOCK_MONOTONIC */
	int drawn;		  /* a progress line is on the screen */
	struct json_object *last; /* the summary, once the fetcher sent it (owned) */
	struct json_object *progress; /* the latest progress line (owned) */
};

/* Take one status line from the fetcher (progress or summary). */
void run_report_line(struct run_report *rr, const char *line);

/* Clear the progress line, if one is drawn (before the summary, or at the end). */
void run_report_clear(struct run_report *rr);

/*
 * Print the summary and return the exit code it implies: 0 ok, 1 some
 * documents failed, 75 interrupted. A run that ended without one (a stage
 * died, the run was stopped) still gets its summary line, from the last
 * progress the fetcher sent, saying why; it returns code_without_summary.
 */
int run_report_finish(struct run_report *rr, int code_without_summary, const char *why);

/*
 * Write the Prometheus textfile at path (tmp + rename): the last run's end,
 * status (ok, failed, interrupted; error when it ended without a summary),
 * duration and counts. 0, or -1 after a logged error.
 */
int run_report_metrics_file(const struct run_report *rr, const char *path);

void run_report_release(struct run_report *rr);

#endif
