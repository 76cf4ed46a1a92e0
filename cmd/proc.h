/*
 * proc.h - the process table of a supervising command, as OpenBSD's
 * proc.c: `run` (sink, parser workers, fetcher) and `reportpipe parser`
 * (parser workers) declare their roles and start, reap, replace and stop
 * their children here, with one policy for both:
 *
 *  - A child dies with its supervisor (PR_SET_PDEATHSIG, SIGKILL), lives in
 *    a session of its own (the terminal's signals go to the supervisor,
 *    which stops the children in order), ignores SIGINT and stops on SIGTERM.
 *  - A child of a role that restarts is replaced when it ends, unless the
 *    table is stopping or a stop signal came. One that lived less than
 *    PROC_QUICK_MS is replaced after a back-off that doubles with each such
 *    death in a row; after PROC_MAX_QUICK of them in a row the role is given
 *    up, and that is logged once.
 *  - Stopping: SIGTERM to every child, a bounded wait, then SIGKILL.
 *
 * The supervisor stays single-threaded and uses no ZeroMQ: it forks at any
 * time. Its loop polls sig_fd() (with SIGCHLD: sig_install(1)), and calls
 * proc_reap() and proc_tick() each time round, waiting at most
 * proc_timeout() ms.
 */
#ifndef RP_PROC_H
#define RP_PROC_H

#include <sys/types.h>

#define PROC_QUICK_MS 1000	/* a child that dies sooner did not get going */
#define PROC_MAX_QUICK 10	/* quick deaths in a row: then replacing it is pointless */
#define PROC_STOP_GRACE_MS 1000 /* a child told to stop gets this long, then SIGKILL */

struct proc_role {
	const char *name;  /* the log's stage: "sink", "parser", "fetcher" */
	const char *title; /* what ps(1) shows: "reportpipe: <title>" */
	int restart;	   /* replaced when it ends (policy above) */
};

struct proc {
	pid_t pid;
	int role;    /* index in the table's roles */
	int done;    /* reaped */
	int wstatus; /* as waitpid(2) gave it, once done */
	int status;  /* once done: its exit code, or 128 + the signal that ended it */
	long long started_ms;
};

struct proc_table;

/*
 * In the child, after the common set-up (above): run the role's stage and
 * return its exit code.
 */
typedef int (*proc_main_fn)(void *arg, int role);
/*
 * In the supervisor, once for each child reaped (p is gone after the call).
 * Returns 0 to keep the child from being replaced (the run no longer needs
 * it), 1 to leave that to the policy.
 */
typedef int (*proc_ended_fn)(void *arg, const struct proc *p);

/* A table of the roles (borrowed, as arg); ended may be NULL. */
struct proc_table *proc_table_new(const struct proc_role *roles, int nroles, proc_main_fn main,
				  proc_ended_fn ended, void *arg);
/* Free the table (the children are not touched: stop them first). NULL-safe, sets *tp to NULL. */
void proc_table_free(struct proc_table **tp);

/* Start a child in role: its pid, or -1 (logged). */
pid_t proc_spawn(struct proc_table *t, int role);
/* Send signo to every child still running in role, or in every role when role < 0. */
void proc_signal(struct proc_table *t, int role, int signo);
/* Reap every child that ended; tell ended of each; schedule replacements. Never blocks. */
void proc_reap(struct proc_table *t);
/* Start the replacements that are due. */
void proc_tick(struct proc_table *t);
/* Milliseconds until the next replacement is due, at most max_ms. */
int proc_timeout(const struct proc_table *t, int max_ms);
/* From now on nothing is started again (the children are being stopped). */
void proc_stopping(struct proc_table *t);
/*
 * SIGTERM every child, wait up to grace_ms for them (calling idle, if not
 * NULL, every few ms: a child may wait on a pipe the supervisor drains),
 * then SIGKILL what is left and reap it. Never waits for ever.
 */
void proc_stop_all(struct proc_table *t, int grace_ms, void (*idle)(void *), void *idle_arg);

/* Children running in role. */
int proc_alive(const struct proc_table *t, int role);
/* 1 when a replacement in role is waiting for its back-off. */
int proc_pending(const struct proc_table *t, int role);
/* 1 when the role was given up (PROC_MAX_QUICK quick deaths in a row). */
int proc_gave_up(const struct proc_table *t, int role);
/*
 * The children in the order they were started: running ones, and ended
 * ones of roles that do not restart (a replaced child leaves the table).
 */
int proc_count(const struct proc_table *t);
const struct proc *proc_get(const struct proc_table *t, int i);

#endif
