/*
 * cmd_run.c - `reportpipe run`: one cron pass.
 *
 * Takes the run lock, starts the sink, the parser workers and the fetcher
 * as child processes wired over ipc:// sockets in a private run directory,
 * supervises them, prints the summary the sink reports and exits with the
 * code DESIGN.md gives. Must never hold the lock past its own exit (flock
 * dies with the process), never leave its children running, and never start
 * a thread: it forks (to replace a worker) at any time, and a fork of a
 * threaded process may inherit a lock held by a thread that no longer
 * exists. So it uses no ZeroMQ itself; the sink hands it the summary through
 * a pipe.
 */
#include "cmd.h"
#include "buf.h"
#include "config.h"
#include "fetcher.h"
#include "log.h"
#include "parser.h"
#include "sig.h"
#include "sink.h"
#include "sink_localdb.h"
#include "wire.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <json-c/json.h>
#include <poll.h>
#include <limits.h>
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
#define MAX_RESTARTS 16

enum stage { STAGE_SINK, STAGE_PARSER, STAGE_FETCHER };
static const char *const stage_names[] = {"sink", "parser", "fetcher"};

struct child {
	pid_t pid;
	enum stage stage;
	int status; /* exit code once reaped */
	int done;
};

struct run {
	const struct config *cfg;
	const char *conninfo;
	struct wire_endpoints ep;
	int summary_fd; /* write end, for the sink */
	struct child children[MAX_WORKERS + 2];
	int nchildren;
	int restarts;
	int stopping; /* the children were told to stop: do not replace them */
};

static void
run_usage(FILE *fp)
{
	fputs("usage: reportpipe run [-c FILE] [-q|--quiet] [-v|--verbose] [--syslog]\n"
	      "\n"
	      "One cron pass: fetch every source, parse and store what is new, print a\n"
	      "summary. Exit 0 when everything was stored (or unchanged), 1 when some\n"
	      "documents failed (see dead_letters), 75 when another run holds the lock or\n"
	      "the database is unreachable, 78 when the config is bad.\n",
	      fp);
}

/* Hold <state_dir>/run.lock for the life of this process; 75 when someone else has it. */
static int
run_lock(const struct config *cfg)
{
	char path[PATH_MAX];
	if (mkdir(cfg->state_dir, 0755) < 0 && errno != EEXIST) {
		fprintf(stderr, "reportpipe: cannot create state directory %s: %s\n",
			cfg->state_dir, strerror(errno));
		return -1;
	}
	snprintf(path, sizeof(path), "%s/run.lock", cfg->state_dir);
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0) {
		fprintf(stderr, "reportpipe: cannot open %s: %s\n", path, strerror(errno));
		return -1;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		char holder[32] = "";
		ssize_t n = pread(fd, holder, sizeof(holder) - 1, 0);
		holder[n > 0 ? n : 0] = '\0';
		holder[strcspn(holder, "\n")] = '\0';
		if (holder[0])
			fprintf(stderr, "reportpipe: another run (pid %s) holds the lock %s; "
					"try again later\n", holder, path);
		else
			fprintf(stderr, "reportpipe: another run holds the lock %s; try again later\n",
				path);
		close(fd);
		return -2;
	}
	char pid[32];
	int len = snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) == 0)
		(void)!pwrite(fd, pid, (size_t)len, 0);
	return fd; /* kept open: the lock lives as long as this process */
}

static pid_t
run_spawn(struct run *r, enum stage stage)
{
	pid_t pid = fork();
	if (pid < 0) {
		log_warn("cannot start the %s", stage_names[stage]);
		return -1;
	}
	if (pid == 0) {
		int rc;
		sig_reset();
		sig_install(0);
		cmd_set_title(stage_names[stage]);
		log_init(stage_names[stage], 0);
		switch (stage) {
		case STAGE_SINK:
			rc = sink_main(r->cfg, r->conninfo, &r->ep, r->summary_fd);
			break;
		case STAGE_PARSER:
			rc = parser_main(&r->ep);
			break;
		default:
			rc = fetcher_main(r->cfg, &r->ep);
			break;
		}
		_exit(rc);
	}
	struct child *c = &r->children[r->nchildren++];
	c->pid = pid;
	c->stage = stage;
	c->done = 0;
	return pid;
}

static void
run_signal_all(struct run *r, int signo)
{
	r->stopping = 1;
	for (int i = 0; i < r->nchildren; i++)
		if (!r->children[i].done)
			kill(r->children[i].pid, signo);
}

/* SIGTERM every child still running and wait for each. */
static void
run_stop_all(struct run *r)
{
	run_signal_all(r, SIGTERM);
	for (int i = 0; i < r->nchildren; i++) {
		if (!r->children[i].done) {
			int status;
			while (waitpid(r->children[i].pid, &status, 0) < 0 && errno == EINTR)
				;
			r->children[i].done = 1;
		}
	}
}

static int
run_alive(const struct run *r, enum stage stage)
{
	for (int i = 0; i < r->nchildren; i++)
		if (!r->children[i].done && r->children[i].stage == stage)
			return 1;
	return 0;
}

/* Reap exited children; a parser that died is replaced. */
static void
run_reap(struct run *r, int summary_seen)
{
	int status;
	pid_t pid;
	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		for (int i = 0; i < r->nchildren; i++) {
			struct child *c = &r->children[i];
			if (c->pid != pid || c->done)
				continue;
			c->done = 1;
			c->status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
			if (c->status != 0 && !r->stopping)
				log_warnx("the %s (pid %ld) exited with status %d", stage_names[c->stage],
					  (long)pid, c->status);
			if (c->stage == STAGE_PARSER && !summary_seen && !r->stopping) {
				if (r->restarts++ < MAX_RESTARTS) {
					log_warnx("starting a new parser worker");
					run_spawn(r, STAGE_PARSER);
				}
			}
		}
	}
}

static long long
summary_int(struct json_object *o, const char *key)
{
	struct json_object *v;
	return json_object_object_get_ex(o, key, &v) ? (long long)json_object_get_int64(v) : 0;
}

/* Print the sink's summary line; returns the exit code it implies, or -1 if unreadable. */
static int
run_print_summary(const char *line, int quiet)
{
	struct json_object *o = json_tokener_parse(line), *st;
	if (o == NULL || !json_object_object_get_ex(o, "status", &st)) {
		log_warnx("unreadable summary from the sink");
		json_object_put(o);
		return -1;
	}
	const char *status = json_object_get_string(st);
	if (!quiet || strcmp(status, "ok") != 0) {
		printf("reportpipe: run %lld %s: fetched %lld, unchanged %lld, stored %lld,"
		       " failed %lld (parsed %lld, duplicates %lld)\n",
		       summary_int(o, "run_id"), status, summary_int(o, "fetched"),
		       summary_int(o, "unchanged"), summary_int(o, "stored"),
		       summary_int(o, "failed"), summary_int(o, "parsed"),
		       summary_int(o, "duplicates"));
		fflush(stdout);
	}
	int code = summary_int(o, "failed") > 0 ? 1 : 0;
	json_object_put(o);
	return code;
}

static int
run_supervise(struct run *r, int summary_in, int quiet)
{
	int exit_code = -1, summary_seen = 0, forwarded = 0;
	struct buf pending = {0};

	for (;;) {
		struct pollfd pfd = {summary_in, POLLIN, 0};
		if (poll(&pfd, 1, 200) > 0 && (pfd.revents & (POLLIN | POLLHUP))) {
			char chunk[4096];
			ssize_t n = read(summary_in, chunk, sizeof(chunk));
			if (n > 0)
				buf_append(&pending, chunk, (size_t)n);
			char *nl = pending.data ? strchr(pending.data, '\n') : NULL;
			if (nl && !summary_seen) {
				*nl = '\0';
				exit_code = run_print_summary(pending.data, quiet);
				summary_seen = exit_code >= 0;
			}
		}
		if (sig_stop && !forwarded) {
			log_warnx("stopping on a signal; unfinished jobs stay in the spool");
			run_signal_all(r, SIGTERM);
			forwarded = 1;
		}
		if (sig_stop > 1)
			run_signal_all(r, SIGKILL);

		run_reap(r, summary_seen);
		int sink_alive = run_alive(r, STAGE_SINK), fetcher_alive = run_alive(r, STAGE_FETCHER);
		if (summary_seen && !sink_alive && !fetcher_alive)
			break;
		if (!summary_seen && (!sink_alive || !fetcher_alive)) {
			/* a stage ended before the run did: find out why and stop the rest */
			for (int i = 0; i < r->nchildren; i++) {
				struct child *k = &r->children[i];
				if (k->done && k->stage != STAGE_PARSER && k->status == EX_TEMPFAIL)
					exit_code = EX_TEMPFAIL;
			}
			if (exit_code < 0)
				exit_code = sig_stop ? 1 : EX_SOFTWARE;
			if (!forwarded) {
				run_signal_all(r, SIGTERM);
				forwarded = 1;
			}
			if (!sink_alive && !fetcher_alive)
				break;
		}
	}
	/* the parsers wait for work forever: tell them the run is over */
	run_stop_all(r);
	buf_release(&pending);
	return exit_code < 0 ? EX_SOFTWARE : exit_code;
}

static void
run_remove_dir(const char *dir)
{
	static const char *const names[] = {"jobs", "results", "acks", "ctl"};
	char path[PATH_MAX];
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		unlink(path);
	}
	rmdir(dir);
}

int
cmd_run(int argc, char **argv)
{
	static const struct option opts[] = {
		{"config", required_argument, NULL, 'c'}, {"quiet", no_argument, NULL, 'q'},
		{"verbose", no_argument, NULL, 'v'},	  {"syslog", no_argument, NULL, 's'},
		{"help", no_argument, NULL, 'h'},	  {NULL, 0, NULL, 0},
	};
	const char *config_path = NULL;
	int quiet = 0, verbose = 0, use_syslog = 0, ch;

	while ((ch = getopt_long(argc, argv, "c:qvh", opts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			config_path = optarg;
			break;
		case 'q':
			quiet = 1;
			break;
		case 'v':
			verbose = 1;
			break;
		case 's':
			use_syslog = 1;
			break;
		case 'h':
			run_usage(stdout);
			return 0;
		default:
			run_usage(stderr);
			return EX_USAGE;
		}
	}
	if (optind != argc) {
		run_usage(stderr);
		return EX_USAGE;
	}
	log_init("run", use_syslog ? LOG_TO_SYSLOG : 0);
	log_set_level(verbose ? LOG_LEVEL_DEBUG : quiet ? LOG_LEVEL_WARN : LOG_LEVEL_INFO);

	struct config *cfg = config_load(config_choose_path(config_path));
	if (cfg == NULL)
		return EX_CONFIG;
	if (cfg->workers > MAX_WORKERS)
		cfg->workers = MAX_WORKERS;

	int lock = run_lock(cfg);
	if (lock < 0) {
		config_free(&cfg);
		return lock == -2 ? EX_TEMPFAIL : EX_CANTCREAT;
	}

	char run_id[64];
	time_t now = time(NULL);
	struct tm tm;
	gmtime_r(&now, &tm);
	strftime(run_id, sizeof(run_id), "%Y%m%dT%H%M%SZ", &tm);
	snprintf(run_id + strlen(run_id), sizeof(run_id) - strlen(run_id), "-%ld", (long)getpid());
	log_set_run(run_id);

	char *conninfo = sink_localdb_conninfo(cfg, 1);
	if (conninfo == NULL) {
		log_warnx("no database to write to; try again once it is reachable");
		close(lock);
		config_free(&cfg);
		return EX_TEMPFAIL;
	}

	char dir[] = "/tmp/reportpipe-run.XXXXXX";
	if (mkdtemp(dir) == NULL) {
		log_warn("cannot create a run directory");
		free(conninfo);
		close(lock);
		config_free(&cfg);
		return EX_CANTCREAT;
	}

	struct run r = {.cfg = cfg, .conninfo = conninfo};
	wire_endpoints_ipc(&r.ep, dir);
	sig_install(0);

	int summary[2] = {-1, -1};
	int rc = EX_SOFTWARE;
	if (pipe2(summary, O_CLOEXEC) < 0) {
		log_warn("cannot create the summary pipe");
		goto out;
	}
	r.summary_fd = summary[1];
	/* stable nodes first: the sink binds results and ctl, the fetcher jobs and acks */
	if (run_spawn(&r, STAGE_SINK) < 0)
		goto out;
	for (int i = 0; i < cfg->workers; i++)
		run_spawn(&r, STAGE_PARSER);
	if (run_spawn(&r, STAGE_FETCHER) < 0) {
		run_stop_all(&r);
		goto out;
	}
	log_debug("started %d parser worker%s in %s", cfg->workers, cfg->workers == 1 ? "" : "s",
		  dir);
	rc = run_supervise(&r, summary[0], quiet);
out:
	if (summary[0] >= 0) {
		close(summary[0]);
		close(summary[1]);
	}
	run_remove_dir(dir);
	free(conninfo);
	close(lock);
	config_free(&cfg);
	return rc;
}
