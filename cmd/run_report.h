/*
 * run_report.h - what `run` tells people and machines: the live progress
 * line on a terminal, the summary line, and the Prometheus textfile.
 */
#ifndef RP_RUN_REPORT_H
#define RP_RUN_REPORT_H

#include "buf.h"

#include <json-c/json.h>

struct run_report {
	int live;		  /* draw the progress line (stderr is a terminal, not --quiet) */
	int quiet;		  /* print the summary only when something went wrong */
	long long started_ms;	  /* CLOCK_MONOTONIC */
	int drawn;		  /* a progress line is on the screen */
	struct json_object *last; /* the summary, once the fetcher sent it (owned) */
	struct json_object *progress; /* the latest progress line (owned) */
	char shown[256];	      /* the progress text drawn last, to draw again */
	int relaying;		      /* the children's stderr comes through relay[] */
	int relay[2];		      /* pipe: children's stderr -> the supervisor */
	struct buf relayed;	      /* a partial line read from relay[0] */
};

/*
 * While the progress line is live, every line written to the terminal goes
 * through the supervisor, which clears the progress line first and draws it
 * again after (docs/DESIGN-NOTES.md, "One writer on the terminal"): its own
 * log lines through log_set_hooks, its children's through a pipe that is
 * their stderr. Does nothing when not live. 0, or -1 after a logged error
 * (the run goes on, children then writing to stderr directly).
 */
int run_report_relay_open(struct run_report *rr);
/* In a child just forked: make the relay pipe its stderr. */
void run_report_relay_child(struct run_report *rr);
/* The end of the relay pipe to poll for, or -1. */
int run_report_relay_fd(const struct run_report *rr);
/* Copy what the children wrote, whole lines only, to stderr; never blocks. */
void run_report_relay_drain(struct run_report *rr);

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
 * duration and counts, each source's stored and failed documents, and the
 * last successful run's end (carried over from the file it replaces). 0, or
 * -1 after a logged error.
 */
int run_report_metrics_file(const struct run_report *rr, const char *path);

void run_report_release(struct run_report *rr);

#endif
