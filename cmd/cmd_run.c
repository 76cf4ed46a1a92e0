/*
 * cmd_run.c - `reportpipe run` (and `reportpipe fetch`): one cron pass.
 *
 * Takes the run lock, starts the sink, the parser workers and the fetcher
 * as child processes wired over ipc:// sockets in a private run directory
 * (with --remote only the fetcher, on the [network] endpoints: the parsers
 * and the sink are services elsewhere), supervises them, shows progress,
 * prints the summary the fetcher reports and exits with the code DESIGN.md
 * gives. Must never hold the lock past its own exit (flock dies with the
 * process, and the children die with it: PR_SET_PDEATHSIG), never leave its
 * children running, and never start a thread: it forks (to replace a
 * worker) at any time, and a fork of a threaded process may inherit a lock
 * held by a thread that no longer exists. So it uses no ZeroMQ itself; the
 * fetcher talks to it through two pipes.
 */
#include "cmd.h"
#include "cmd_opts.h"
#include "monotime.h"
#include "buf.h"
#include "config.h"
#include "fetcher.h"
#include "log.h"
#include "parser.h"
#include "proc.h"
#include "run_dry.h"
#include "run_report.h"
#include "sig.h"
#include "sink.h"
#include "localdb.h"
#include "wire.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <json-c/json.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#define MAX_WORKERS 256
#define DRAIN_SLACK_MS 1000	    /* past drain_timeout, before the children are killed */
#define STATUS_POLL_MS 200	    /* the longest wait of the supervisor's loop */
#define STATUS_PIPE_BYTES (1 << 20) /* the status pipe: /proc/sys/fs/pipe-max-size by default */

/* The run's process table: only parser workers are replaced (proc.h has the policy). */
enum stage { STAGE_SINK, STAGE_PARSER, STAGE_FETCHER };
static const struct proc_role run_roles[] = {
    [STAGE_SINK] = {"sink", "sink", 0},
    [STAGE_PARSER] = {"parser", "parser", 1},
    [STAGE_FETCHER] = {"fetcher", "fetcher", 0},
};

struct run {
	const struct config *cfg;
	const char *conninfo;
	char name[WIRE_ROUTE_MAX]; /* the run's identity toward the sink */
	struct wire_endpoints ep;
	int status_pipe[2]; /* fetcher -> supervisor: progress and summary lines */
	int deaths_pipe[2]; /* supervisor -> fetcher: parser workers that died */
	struct proc_table *procs;
	struct run_report *rr; /* relays the children's stderr while progress is live */
};

static void
run_usage(FILE *fp)
{
	fputs("usage: reportpipe run [-c FILE] [-q|--quiet] [-v|--verbose] [--syslog] [--remote]\n"
	      "                      [--source NAME]... [--dry-run]\n"
	      "       reportpipe fetch [-c FILE] [-q|--quiet] [-v|--verbose] [--syslog]\n"
	      "                        [--source NAME]...\n"
	      "\n"
	      "On a terminal (or with --syslog) the run's events are logged; under cron only\n"
	      "warnings, errors and the summary are printed. -v logs the events anyway, -vv\n"
	      "every document too; -q prints the summary only when something failed.\n"
	      "\n"
	      "One cron pass: fetch every source, parse and store what is new, print a\n"
	      "summary. On a terminal a progress line shows how far it got. --remote (or\n"
	      "`fetch`) starts only the fetcher, on the [network] endpoints, for parsers\n"
	      "and a sink running as services elsewhere. A first SIGINT or SIGTERM stops\n"
	      "fetching and gives the jobs in flight drain_timeout to be stored; a second\n"
	      "stops at once (the spool keeps the rest for the next run).\n"
	      "\n"
	      "--source NAME (repeatable) runs only the sources named. --dry-run fetches\n"
	      "and parses every source but stores nothing: it prints, per document, what a\n"
	      "run would do (new, new version, earlier version, unchanged, failed) and the\n"
	      "counts; it needs the database only to compare, and takes no lock.\n"
	      "\n"
	      "Exit 0 when everything was stored (or unchanged), 1 when some documents\n"
	      "failed (see dead_letters), 75 when another run holds the lock, the database\n"
	      "or the sink is unreachable, or the run was interrupted, 78 when the config\n"
	      "is bad, 64 when --source names no source of the config.\n",
	      fp);
}

/*
 * Keep only the sources named (cfg->nsources shrinks; the others move past
 * it, and *all is the count config_free must see again). 0, or -1 when a
 * name is no source of cfg (said, with the names there are).
 */
static int
run_pick_sources(struct config *cfg, char **names, size_t nnames, size_t *all)
{
	*all = cfg->nsources;
	if (nnames == 0)
		return 0;
	size_t kept = 0;
	for (size_t k = 0; k < nnames; k++) {
		size_t i = 0;
		while (i < cfg->nsources && strcmp(cfg->sources[i].name, names[k]) != 0)
			i++;
		if (i == cfg->nsources) {
			fprintf(stderr,
				"reportpipe run: --source %s: no such source in %s;"
				" it has:",
				names[k], cfg->path);
			for (size_t j = 0; j < cfg->nsources; j++)
				fprintf(stderr, " %s", cfg->sources[j].name);
			fprintf(stderr, "%s\n", cfg->nsources ? "" : " none");
			return -1;
		}
		if (i < kept)
			continue; /* named twice */
		struct source tmp = cfg->sources[kept];
		cfg->sources[kept++] = cfg->sources[i];
		cfg->sources[i] = tmp;
	}
	cfg->nsources = kept;
	return 0;
}

/*
 * Hold <state_dir>/run.lock for the life of this process. -2 when another
 * run has it, -1 when it cannot be made; why says so, naming the file.
 */
static int
run_lock(const struct config *cfg, char *why, size_t cap)
{
	char path[PATH_MAX];
	if (mkdir(cfg->state_dir, 0755) < 0 && errno != EEXIST) {
		snprintf(why, cap,
			 "cannot create the state directory %s ([pipeline] state_dir in %s):"
			 " %s",
			 cfg->state_dir, cfg->path, strerror(errno));
		log_warnx("%s", why);
		return -1;
	}
	snprintf(path, sizeof(path), "%s/run.lock", cfg->state_dir);
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0) {
		snprintf(why, cap, "cannot open %s ([pipeline] state_dir in %s): %s", path,
			 cfg->path, strerror(errno));
		log_warnx("%s", why);
		return -1;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		char holder[32] = "";
		ssize_t n = pread(fd, holder, sizeof(holder) - 1, 0);
		holder[n > 0 ? n : 0] = '\0';
		holder[strcspn(holder, "\n")] = '\0';
		snprintf(why, cap, "another run%s%s%s holds the lock %s; try again later",
			 holder[0] ? " (pid " : "", holder, holder[0] ? ")" : "", path);
		log_warnx("%s", why);
		close(fd);
		return -2;
	}
	char pid[32];
	int len = snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) == 0)
		(void)!pwrite(fd, pid, (size_t)len, 0);
	return fd; /* kept open: the lock lives as long as this process */
}

/* In a child of the run (proc.c did the common set-up): run its stage. */
static int
run_child_main(void *arg, int role)
{
	struct run *r = arg;
	if (r->rr)
		run_report_relay_child(r->rr);
	close(r->status_pipe[0]);
	close(r->deaths_pipe[1]);
	switch (role) {
	case STAGE_SINK:
		return sink_main(r->cfg, r->conninfo, &r->ep, 1);
	case STAGE_PARSER:
		return parser_main(r->cfg, &r->ep);
	default: {
		struct fetcher_io io = {r->name, r->status_pipe[1], r->deaths_pipe[0]};
		return fetcher_main(r->cfg, &r->ep, &io);
	}
	}
}

static int
run_alive(const struct run *r, enum stage stage)
{
	return proc_alive(r->procs, stage) > 0;
}

/* 1 when a child of that stage ended badly (a sink that ended well did so after FINISH). */
static int
run_failed(const struct run *r, enum stage stage)
{
	for (int i = 0; i < proc_count(r->procs); i++) {
		const struct proc *p = proc_get(r->procs, i);
		if (p->done && p->role == (int)stage && p->status != 0)
			return 1;
	}
	return 0;
}

/*
 * A child was reaped. A parser worker's death is told to the fetcher (its
 * lease ends now); it is replaced only while the fetcher still runs.
 */
static int
run_child_ended(void *arg, const struct proc *p)
{
	struct run *r = arg;
	if (p->role != STAGE_PARSER)
		return 1;
	char line[64];
	int len = snprintf(line, sizeof(line), "%ld %d\n", (long)p->pid, p->wstatus);
	int fetcher_alive = run_alive(r, STAGE_FETCHER);
	if (fetcher_alive && write(r->deaths_pipe[1], line, (size_t)len) != len)
		log_warn("cannot tell the fetcher that a worker died");
	if (WIFSIGNALED(p->wstatus) && WTERMSIG(p->wstatus) == SIGALRM)
		log_warnx("a parser worker (pid %ld) exceeded parse_timeout_ms (%d ms) and was"
			  " stopped",
			  (long)p->pid, r->cfg->parse_timeout_ms);
	return fetcher_alive;
}

static void
run_relay_drain(void *arg)
{
	run_report_relay_drain(arg);
}

/* Stop every child, PROC_STOP_GRACE_MS at most, then kill: never waits for ever. */
static void
run_stop_all(struct run *r)
{
	proc_stop_all(r->procs, PROC_STOP_GRACE_MS, r->rr ? run_relay_drain : NULL, r->rr);
}

/*
 * Wait up to timeout_ms for the fetcher's status lines, a signal or a
 * child's end; hand the lines read to the report. The bytes read.
 */
static ssize_t
run_read_status(struct run *r, struct buf *pending, struct run_report *rr, int timeout_ms)
{
	/* the signals and the children's ends wake this at once (sig_install(1)) */
	struct pollfd pfd[3] = {{r->status_pipe[0], POLLIN, 0},
				{run_report_relay_fd(rr), POLLIN, 0},
				{sig_fd(), POLLIN, 0}};
	if (poll(pfd, 3, timeout_ms) <= 0)
		return 0;
	if (pfd[2].revents & POLLIN)
		sig_drain();
	if (pfd[1].revents & POLLIN)
		run_report_relay_drain(rr);
	if (!(pfd[0].revents & (POLLIN | POLLHUP)))
		return 0;
	char chunk[65536];
	ssize_t n = read(r->status_pipe[0], chunk, sizeof(chunk));
	if (n > 0)
		buf_append(pending, chunk, (size_t)n);
	char *line = pending->data, *nl;
	while (line && (nl = memchr(line, '\n', pending->len - (size_t)(line - pending->data)))) {
		*nl = '\0';
		run_report_line(rr, line);
		line = nl + 1;
	}
	if (line && line != pending->data) {
		size_t rest = pending->len - (size_t)(line - pending->data);
		memmove(pending->data, line, rest);
		pending->len = rest;
	}
	return n;
}

/*
 * The exit code when no summary came, and why, for the summary line: a
 * stage that found the config wrong (78), or that was stopped from outside
 * or could not reach the database (75: the spool keeps what was not stored,
 * and the next run goes on), or that failed in itself (70).
 */
static int
run_early_exit(const struct run *r, char *why, size_t cap)
{
	int code = sig_stop ? EX_TEMPFAIL : EX_SOFTWARE;
	snprintf(why, cap, sig_stop ? "stopped by a signal" : "the run ended early");
	for (int i = 0; i < proc_count(r->procs); i++) {
		const struct proc *k = proc_get(r->procs, i);
		if (!k->done || k->role == STAGE_PARSER || k->status == 0)
			continue;
		int by_signal = k->status > 128;
		int outside =
		    by_signal && (k->status == 128 + SIGKILL || k->status == 128 + SIGTERM ||
				  k->status == 128 + SIGINT || k->status == 128 + SIGHUP);
		if (k->status == EX_CONFIG)
			code = EX_CONFIG;
		else if (code != EX_CONFIG && (k->status == EX_TEMPFAIL || outside))
			code = EX_TEMPFAIL;
		if (by_signal)
			snprintf(why, cap,
				 "the %s was killed by signal %d before the end of the run"
				 " was recorded; what was not stored stays in the spool",
				 run_roles[k->role].name, k->status - 128);
		else
			snprintf(why, cap, "the %s exited with status %d (see the messages above)",
				 run_roles[k->role].name, k->status);
		if (k->role == STAGE_SINK)
			break; /* the sink's end explains the fetcher's */
	}
	return code;
}

static int
run_supervise(struct run *r, struct run_report *rr, int remote)
{
	struct buf pending = {0};
	int forwarded = 0, killed = 0;
	long long kill_at = 0;

	for (;;) {
		run_read_status(r, &pending, rr, proc_timeout(r->procs, STATUS_POLL_MS));
		if (sig_stop && !forwarded) {
			/* the fetcher drains: no new fetches, in-flight jobs get drain_timeout */
			run_report_clear(rr);
			log_warnx(
			    "stopping: in-flight jobs get up to %d s (drain_timeout); a second"
			    " signal stops at once",
			    r->cfg->drain_timeout);
			proc_signal(r->procs, STAGE_FETCHER, SIGTERM);
			forwarded = 1;
			kill_at = monotime_ms() + (long long)r->cfg->drain_timeout * 1000 +
				  DRAIN_SLACK_MS;
		}
		if (!killed && (sig_stop > 1 || (kill_at && monotime_ms() > kill_at))) {
			log_warnx("stopping at once; what was not stored stays in the spool");
			proc_stopping(r->procs);
			proc_signal(r->procs, -1, SIGKILL);
			killed = 1;
		}
		proc_reap(r->procs);
		proc_tick(r->procs);
		int fetcher_alive = run_alive(r, STAGE_FETCHER);
		int sink_alive = !remote && run_alive(r, STAGE_SINK);
		/* a oneshot sink ends by itself after FINISH, which only a fetcher that ended well
		 * sent */
		if (!fetcher_alive &&
		    (!sink_alive || rr->last == NULL || run_failed(r, STAGE_FETCHER)))
			break;
		if (!remote && !sink_alive && !forwarded && run_failed(r, STAGE_SINK)) {
			/* the run cannot end without its sink: stop the fetcher (the spool keeps
			 * all) */
			proc_signal(r->procs, STAGE_FETCHER, SIGKILL);
			forwarded = 1;
		}
	}
	/*
	 * what the fetcher wrote before it ended, all of it: its summary (every
	 * source listed) can be longer than one read, and the fetcher may have
	 * been reaped before the loop above read it; never waits (the workers
	 * still hold the pipe open)
	 */
	while (run_read_status(r, &pending, rr, 0) > 0)
		;
	/* the parsers wait for work forever: tell them the run is over */
	run_stop_all(r);
	buf_release(&pending);
	char why[256];
	int code = run_early_exit(r, why, sizeof(why));
	return run_report_finish(rr, code, why);
}

static void
run_remove_dir(const char *dir)
{
	static const char *const names[] = {"jobs", "results", "ctl"};
	char path[PATH_MAX];
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		unlink(path);
	}
	rmdir(dir);
}

static void
run_name(struct run *r, char *run_id, size_t cap)
{
	char host[64] = "localhost";
	time_t now = time(NULL);
	struct tm tm;
	gmtime_r(&now, &tm);
	strftime(run_id, cap, "%Y%m%dT%H%M%SZ", &tm);
	snprintf(run_id + strlen(run_id), cap - strlen(run_id), "-%ld", (long)getpid());
	gethostname(host, sizeof(host) - 1);
	host[sizeof(host) - 1] = '\0';
	/* unique among the fetchers one sink serves: host, time, pid */
	snprintf(r->name, sizeof(r->name), "%s/%s", host, run_id);
}

/* Start the stages, supervise them, report. The lock is held. */
static int
run_stages(struct run *r, int remote, struct run_report *rr)
{
	char dir[] = "/tmp/reportpipe-run.XXXXXX";
	int rc = EX_SOFTWARE, have_dir = 0;

	r->status_pipe[0] = r->status_pipe[1] = r->deaths_pipe[0] = r->deaths_pipe[1] = -1;
	if (run_report_relay_open(rr) == 0)
		r->rr = rr;
	if (remote) {
		if (wire_endpoints_network(&r->ep, r->cfg, WIRE_ROLE_FETCHER) < 0)
			return run_report_finish(rr, EX_CONFIG,
						 "the [network] endpoints are incomplete");
	} else {
		if (mkdtemp(dir) == NULL) {
			log_warn("cannot create a run directory");
			return run_report_finish(rr, EX_CANTCREAT,
						 "cannot create a run directory in /tmp");
		}
		have_dir = 1;
		wire_endpoints_ipc(&r->ep, dir);
	}
	if (pipe2(r->status_pipe, O_CLOEXEC) < 0 || pipe2(r->deaths_pipe, O_CLOEXEC) < 0) {
		log_warn("cannot create the status pipes");
		rc = run_report_finish(rr, EX_OSERR, "cannot create the status pipes");
		goto out;
	}
	/*
	 * A status line lists every source (~60 bytes each) and the fetcher
	 * waits while one is half written: room for a few thousand sources in
	 * the pipe keeps its loop from waiting on ours. Best effort: a smaller
	 * pipe is only slower.
	 */
	(void)fcntl(r->status_pipe[1], F_SETPIPE_SZ, STATUS_PIPE_BYTES);
	r->procs = proc_table_new(run_roles, (int)(sizeof(run_roles) / sizeof(run_roles[0])),
				  run_child_main, run_child_ended, r);
	/* stable nodes first: the sink binds results and ctl, the fetcher jobs */
	if (!remote) {
		if (proc_spawn(r->procs, STAGE_SINK) < 0) {
			rc = run_report_finish(rr, EX_OSERR, "cannot start the sink");
			goto out;
		}
		for (int i = 0; i < r->cfg->workers; i++)
			proc_spawn(r->procs, STAGE_PARSER);
	}
	if (proc_spawn(r->procs, STAGE_FETCHER) < 0) {
		run_stop_all(r);
		rc = run_report_finish(rr, EX_OSERR, "cannot start the fetcher");
		goto out;
	}
	close(r->status_pipe[1]);
	r->status_pipe[1] = -1;
	close(r->deaths_pipe[0]);
	r->deaths_pipe[0] = -1;
	if (remote)
		log_debug("fetching for the services at %s and %s", r->ep.ctl.connect,
			  r->ep.results.connect);
	else
		log_debug("started %d parser worker%s in %s", r->cfg->workers,
			  r->cfg->workers == 1 ? "" : "s", dir);
	rc = run_supervise(r, rr, remote);
out:
	for (int i = 0; i < 2; i++) {
		if (r->status_pipe[i] >= 0)
			close(r->status_pipe[i]);
		if (r->deaths_pipe[i] >= 0)
			close(r->deaths_pipe[i]);
	}
	if (have_dir)
		run_remove_dir(dir);
	proc_table_free(&r->procs);
	return rc;
}

static int
run_main(int argc, char **argv, int remote)
{
	const char *config_path;
	int quiet = 0, verbose = 0, use_syslog = 0, dry = 0;
	struct cmd_list names = {xcalloc((size_t)argc + 1, sizeof(char *)), 0};
	const struct cmd_spec spec = {"run",
				      run_usage,
				      0,
				      0,
				      {{"quiet", 'q', CMD_OPT_FLAG, &quiet},
				       {"verbose", 'v', CMD_OPT_COUNT, &verbose},
				       {"syslog", 0, CMD_OPT_FLAG, &use_syslog},
				       {"remote", 0, CMD_OPT_FLAG, &remote},
				       {"source", 0, CMD_OPT_LIST, &names},
				       {"dry-run", 0, CMD_OPT_FLAG, &dry}}};
	int stop = cmd_start(argc, argv, &spec, &config_path, NULL);
	if (stop < 0 && dry && remote) {
		fprintf(stderr, "reportpipe: --dry-run needs the database, which a remote"
				" fetcher does not reach\n");
		run_usage(stderr);
		stop = EX_USAGE;
	}
	if (stop >= 0) {
		free(names.v);
		return stop;
	}
	log_init("run", use_syslog ? LOG_TO_SYSLOG : 0);
	/* under cron (stderr no terminal) only warnings and errors: cron mails what is printed */
	enum log_level level =
	    use_syslog || isatty(STDERR_FILENO) ? LOG_LEVEL_INFO : LOG_LEVEL_WARN;
	if (quiet)
		level = LOG_LEVEL_WARN;
	if (verbose)
		level = verbose > 1 ? LOG_LEVEL_DEBUG : LOG_LEVEL_INFO;
	log_set_level(level);
	/* from the start: a stop before the stages run ends the run with its summary */
	sig_install(1);

	struct run_report rr = {.quiet = quiet, .started_ms = monotime_ms()};
	struct config *cfg = config_load(config_choose_path(config_path));
	if (cfg == NULL) {
		free(names.v);
		return run_report_finish(&rr, EX_CONFIG, "the config is bad (see above)");
	}
	size_t all_sources;
	int picked = run_pick_sources(cfg, names.v, names.n, &all_sources);
	free(names.v);
	if (picked < 0) {
		config_free(&cfg);
		return EX_USAGE;
	}
	config_check_sources(cfg); /* a warning: the spool may still hold work */
	if (cfg->workers > MAX_WORKERS)
		cfg->workers = MAX_WORKERS;
	if (dry) {
		/* no lock, no run, no metrics: a dry run changes nothing a run would see */
		char *ci = localdb_conninfo(cfg, 1);
		int rc = ci ? run_dry(cfg, ci) : EX_TEMPFAIL;
		free(ci);
		cfg->nsources = all_sources;
		config_free(&cfg);
		return rc;
	}

	char why[PATH_MAX + 128];
	int lock = run_lock(cfg, why, sizeof(why));
	if (lock < 0) {
		cfg->nsources = all_sources;
		config_free(&cfg);
		return run_report_finish(&rr, lock == -2 ? EX_TEMPFAIL : EX_CANTCREAT, why);
	}

	struct run r = {.cfg = cfg};
	/* a live line only for a person watching: never under cron, syslog or -q */
	rr.live = !quiet && !use_syslog && isatty(STDERR_FILENO);
	char run_id[64];
	run_name(&r, run_id, sizeof(run_id));
	log_set_run(run_id);

	char *conninfo = NULL;
	int rc;
	if (!remote && (conninfo = localdb_conninfo(cfg, 1)) == NULL) {
		rc = run_report_finish(&rr, EX_TEMPFAIL,
				       "no database to write to; try again once it is reachable");
	} else {
		r.conninfo = conninfo;
		rc = sig_stop ? run_report_finish(&rr, EX_TEMPFAIL,
						  "stopped by a signal before it began")
			      : run_stages(&r, remote, &rr);
	}
	if (cfg->metrics_file[0])
		run_report_metrics_file(&rr, cfg->metrics_file);
	run_report_release(&rr);
	free(conninfo);
	close(lock);
	cfg->nsources = all_sources;
	config_free(&cfg);
	return rc;
}

int
cmd_run(int argc, char **argv)
{
	return run_main(argc, argv, 0);
}

int
cmd_fetch(int argc, char **argv)
{
	return run_main(argc, argv, 1);
}
