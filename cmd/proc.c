/*
 * proc.c - the process table (see proc.h): start, reap, replace and stop
 * the children of `run` and `reportpipe parser` with one policy.
 *
 * Must never block in the supervisor beyond proc_stop_all's bounded wait,
 * never replace a child once stopping has begun, and never leave a child
 * running past the supervisor: PR_SET_PDEATHSIG is SIGKILL because nobody
 * is left to reap, replace or report a child that outlived its
 * supervisor, and a stage told SIGTERM would go on draining for
 * drain_timeout toward a run that no longer exists. What a killed child
 * held is safe: the spool keeps every job until the sink has committed it.
 */
#include "proc.h"
#include "buf.h"
#include "cmd.h"
#include "log.h"
#include "monotime.h"
#include "sig.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <sysexits.h>
#include <unistd.h>

#define PROC_BACKOFF_MIN_MS 50	 /* before the first replacement of a quick death */
#define PROC_BACKOFF_MAX_MS 2000 /* the longest wait between replacements */
#define PROC_STOP_POLL_MS 5	 /* while waiting for children to stop */

/* What the table knows of a role beyond its declaration. */
struct proc_rolestate {
	int quick;	  /* quick deaths in a row */
	int gave_up;	  /* PROC_MAX_QUICK reached: not started again */
	int pending;	  /* replacements waiting for due_ms */
	long long due_ms; /* monotonic: when the pending ones start */
};

struct proc_table {
	const struct proc_role *roles;
	struct proc_rolestate *state;
	int nroles;
	proc_main_fn main;
	proc_ended_fn ended;
	void *arg;
	struct proc *procs;
	int nprocs, cap;
	int stopping;
};

struct proc_table *
proc_table_new(const struct proc_role *roles, int nroles, proc_main_fn main, proc_ended_fn ended,
	       void *arg)
{
	struct proc_table *t = xcalloc(1, sizeof(*t));
	t->roles = roles;
	t->nroles = nroles;
	t->state = xcalloc((size_t)nroles, sizeof(*t->state));
	t->main = main;
	t->ended = ended;
	t->arg = arg;
	return t;
}

void
proc_table_free(struct proc_table **tp)
{
	struct proc_table *t = *tp;
	if (t == NULL)
		return;
	free(t->procs);
	free(t->state);
	free(t);
	*tp = NULL;
}

/* In the new child: the common set-up of proc.h, then the role's stage. Never returns. */
static void
proc_child(struct proc_table *t, int role, pid_t supervisor, const sigset_t *mask)
{
	const struct proc_role *r = &t->roles[role];
	prctl(PR_SET_PDEATHSIG, SIGKILL); /* why SIGKILL: see the top of this file */
	if (getppid() != supervisor)
		_exit(EX_SOFTWARE); /* it died before the line above took effect */
	setsid();
	sig_reset(); /* also closes the supervisor's self-pipe: this child gets its own */
	sig_install(0);
	signal(SIGINT, SIG_IGN); /* the supervisor decides when its children stop */
	cmd_set_title(r->title);
	log_init(r->name, log_get_flags());
	sigprocmask(SIG_SETMASK, mask, NULL);
	_exit(t->main(t->arg, role));
}

pid_t
proc_spawn(struct proc_table *t, int role)
{
	pid_t supervisor = getpid();
	sigset_t stops, was;
	/*
	 * A signal between fork and the child's own handlers would reach the
	 * supervisor's handler in the child and be forgotten by sig_reset: a
	 * child that never stops. Blocked, it waits for the child's handlers.
	 */
	sigemptyset(&stops);
	sigaddset(&stops, SIGINT);
	sigaddset(&stops, SIGTERM);
	sigaddset(&stops, SIGCHLD);
	sigprocmask(SIG_BLOCK, &stops, &was);
	pid_t pid = fork();
	if (pid == 0)
		proc_child(t, role, supervisor, &was);
	sigprocmask(SIG_SETMASK, &was, NULL);
	if (pid < 0) {
		log_warn("cannot start the %s", t->roles[role].name);
		return -1;
	}
	if (t->nprocs == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 8;
		t->procs = xreallocarray(t->procs, (size_t)t->cap, sizeof(*t->procs));
	}
	struct proc *p = &t->procs[t->nprocs++];
	memset(p, 0, sizeof(*p));
	p->pid = pid;
	p->role = role;
	p->started_ms = monotime_ms();
	return pid;
}

void
proc_signal(struct proc_table *t, int role, int signo)
{
	for (int i = 0; i < t->nprocs; i++)
		if (!t->procs[i].done && (role < 0 || t->procs[i].role == role))
			kill(t->procs[i].pid, signo);
}

/* The policy: after p ended (and ended() did not object), whether and when it is replaced. */
static void
proc_schedule(struct proc_table *t, const struct proc *p)
{
	struct proc_rolestate *st = &t->state[p->role];
	const struct proc_role *r = &t->roles[p->role];
	long long now = monotime_ms();

	if (now - p->started_ms >= PROC_QUICK_MS) {
		st->quick = 0;
		st->pending++;
		return; /* due at once, or with the back-off already running */
	}
	if (++st->quick >= PROC_MAX_QUICK) {
		st->gave_up = 1;
		st->pending = 0;
		log_warnx("the %s processes die as soon as they start (%d in a row, the last"
			  " with status %d); not starting more",
			  r->name, st->quick, p->status);
		return;
	}
	long long delay = PROC_BACKOFF_MIN_MS;
	for (int i = 1; i < st->quick && delay < PROC_BACKOFF_MAX_MS; i++)
		delay *= 2;
	if (delay > PROC_BACKOFF_MAX_MS)
		delay = PROC_BACKOFF_MAX_MS;
	st->pending++;
	st->due_ms = now + delay;
}

/* p ended with wstatus: record it, say so, tell ended(), and apply the policy. */
static void
proc_ended(struct proc_table *t, int i, int wstatus)
{
	struct proc *p = &t->procs[i];
	const struct proc_role *r = &t->roles[p->role];
	p->done = 1;
	p->wstatus = wstatus;
	p->status = WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : 128 + WTERMSIG(wstatus);
	if (p->status != 0 && !t->stopping)
		log_warnx("the %s (pid %ld) exited with status %d", r->name, (long)p->pid,
			  p->status);
	struct proc copy = *p;
	if (r->restart) { /* a replaced child leaves the table: a service replaces many */
		int after = t->nprocs - i - 1;
		memmove(p, p + 1, (size_t)after * sizeof(*p));
		t->nprocs--;
	}
	int may = t->ended ? t->ended(t->arg, &copy) : 1;
	if (r->restart && may && !t->stopping && !sig_stop && !t->state[copy.role].gave_up)
		proc_schedule(t, &copy);
}

void
proc_reap(struct proc_table *t)
{
	int wstatus;
	pid_t pid;
	sig_child = 0; /* before waitpid: a child ending after it is noted again */
	while ((pid = waitpid(-1, &wstatus, WNOHANG)) > 0) {
		for (int i = 0; i < t->nprocs; i++) {
			if (t->procs[i].pid == pid && !t->procs[i].done) {
				proc_ended(t, i, wstatus);
				break;
			}
		}
	}
}

void
proc_tick(struct proc_table *t)
{
	long long now = monotime_ms();
	for (int role = 0; role < t->nroles; role++) {
		struct proc_rolestate *st = &t->state[role];
		if (t->stopping || sig_stop) {
			st->pending = 0;
			continue;
		}
		if (st->pending == 0 || now < st->due_ms)
			continue;
		log_warnx("starting a new %s process", t->roles[role].name);
		for (; st->pending > 0; st->pending--)
			proc_spawn(t, role);
	}
}

int
proc_timeout(const struct proc_table *t, int max_ms)
{
	long long now = monotime_ms();
	int ms = max_ms;
	for (int role = 0; role < t->nroles; role++) {
		const struct proc_rolestate *st = &t->state[role];
		if (st->pending == 0)
			continue;
		long long left = st->due_ms - now;
		if (left < ms)
			ms = left > 0 ? (int)left : 0;
	}
	return ms;
}

void
proc_stopping(struct proc_table *t)
{
	t->stopping = 1;
	for (int role = 0; role < t->nroles; role++)
		t->state[role].pending = 0;
}

int
proc_alive(const struct proc_table *t, int role)
{
	int n = 0;
	for (int i = 0; i < t->nprocs; i++)
		n += !t->procs[i].done && t->procs[i].role == role;
	return n;
}

void
proc_stop_all(struct proc_table *t, int grace_ms, void (*idle)(void *), void *idle_arg)
{
	proc_stopping(t);
	proc_signal(t, -1, SIGTERM);
	long long kill_at = monotime_ms() + grace_ms;
	for (;;) {
		proc_reap(t);
		int left = 0;
		for (int role = 0; role < t->nroles; role++)
			left += proc_alive(t, role);
		if (left == 0)
			return;
		if (idle) /* a child blocked on a full pipe would never stop */
			idle(idle_arg);
		if (kill_at && monotime_ms() >= kill_at) {
			log_warnx("%d child%s did not stop within %d ms; killing %s", left,
				  left == 1 ? "" : "ren", grace_ms, left == 1 ? "it" : "them");
			proc_signal(t, -1, SIGKILL);
			kill_at = 0;
		}
		/* SIGCHLD wakes this at once when the supervisor asked for it (sig_install(1)) */
		struct pollfd p = {sig_fd(), POLLIN, 0};
		if (!sig_child && poll(&p, 1, PROC_STOP_POLL_MS) > 0)
			sig_drain();
	}
}

int
proc_pending(const struct proc_table *t, int role)
{
	return t->state[role].pending > 0;
}

int
proc_gave_up(const struct proc_table *t, int role)
{
	return t->state[role].gave_up;
}

int
proc_count(const struct proc_table *t)
{
	return t->nprocs;
}

const struct proc *
proc_get(const struct proc_table *t, int i)
{
	return &t->procs[i];
}
