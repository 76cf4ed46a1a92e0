/*
 * cmd_stage.c - the stages as long-lived services, for several hosts:
 * `reportpipe parser` and `reportpipe sink` on the [network] endpoints, and
 * `reportpipe keygen` for their CURVE keys. (`reportpipe fetch` is a run
 * with --remote: cmd_run.c.)
 *
 * The parser service supervises its workers with `run`'s process table
 * (proc.c): it forks them, stays single-threaded and free of ZeroMQ, and
 * replaces a worker that dies (a crash, or a report past parse_timeout_ms),
 * so that a poison report costs one process, never the service.
 */
#include "cmd.h"
#include "cmd_opts.h"
#include "config.h"
#include "curve.h"
#include "log.h"
#include "parser.h"
#include "proc.h"
#include "sig.h"
#include "sink.h"
#include "localdb.h"
#include "wire.h"

#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#define SERVICE_POLL_MS 1000 /* the longest wait of the service's loop */

/* The parser service's process table: one role, replaced when it dies. */
static const struct proc_role parser_roles[] = {{"parser", "parser worker", 1}};

struct parser_service {
	const struct config *cfg;
	const struct wire_endpoints *ep;
};

#define MAX_SERVICE_WORKERS 256

/* A service as its options and config make it. */
struct stage {
	int workers; /* 0: the config's */
	int verbose, use_syslog;
	struct config *cfg;
	struct wire_endpoints ep;
};

static void
parser_usage(FILE *fp)
{
	fputs("usage: reportpipe parser [-c FILE] [-w N|--workers N] [-v|--verbose]"
	      " [--syslog]\n"
	      "\n"
	      "Parser workers as a service: N processes (default [pipeline] workers) take\n"
	      "jobs from the fetcher at [network] jobs_connect and send the parsed\n"
	      "documents to the sink at results_connect. A worker that dies, or spends\n"
	      "longer than parse_timeout_ms on one report, is replaced. Stops on SIGTERM\n"
	      "within a second. Exit 70 when the workers die as soon as they start, 10 in\n"
	      "a row.\n",
	      fp);
}

static void
sink_usage(FILE *fp)
{
	fputs("usage: reportpipe sink [-c FILE] [-v|--verbose] [--syslog]\n"
	      "\n"
	      "The sink as a service: binds [network] results_bind and control_bind and\n"
	      "stores what the parsers send for each fetcher's run, one run after another.\n"
	      "Stops on SIGTERM within a second, also while the database is down. Exit 75\n"
	      "when the database is unreachable at start.\n",
	      fp);
}

/*
 * A service's options, config and endpoints: -1 to go on (s->cfg is then
 * the caller's to free), else the exit code.
 */
static int
stage_start(int argc, char **argv, enum wire_role role, struct stage *s)
{
	int parser = role == WIRE_ROLE_PARSER;
	const char *config_path;
	/* -w only for the parser service: the sink's table ends before it */
	const struct cmd_spec spec = {
	    argv[0],
	    parser ? parser_usage : sink_usage,
	    0,
	    0,
	    {{"verbose", 'v', CMD_OPT_FLAG, &s->verbose},
	     {"syslog", 0, CMD_OPT_FLAG, &s->use_syslog},
	     {parser ? "workers" : NULL, 'w', CMD_OPT_POSITIVE, &s->workers}}};
	int rc = cmd_start(argc, argv, &spec, &config_path, NULL);
	if (rc >= 0)
		return rc;
	if (s->workers > MAX_SERVICE_WORKERS) {
		fprintf(stderr, "reportpipe %s: -w wants a number of workers, 1..%d\n", argv[0],
			MAX_SERVICE_WORKERS);
		return EX_USAGE;
	}
	log_init(argv[0], s->use_syslog ? LOG_TO_SYSLOG : 0);
	log_set_level(s->verbose ? LOG_LEVEL_DEBUG : LOG_LEVEL_INFO);
	s->cfg = config_load(config_choose_path(config_path));
	if (s->cfg == NULL)
		return EX_CONFIG;
	if (wire_endpoints_network(&s->ep, s->cfg, role) < 0) {
		config_free(&s->cfg);
		return EX_CONFIG;
	}
	return -1;
}

/* In a worker (proc.c did the common set-up). */
static int
parser_worker_main(void *arg, int role)
{
	const struct parser_service *ps = arg;
	(void)role;
	return parser_main(ps->cfg, ps->ep);
}

/* A worker was reaped (proc.c logged how it ended): say why, when it ran out of time. */
static int
parser_worker_ended(void *arg, const struct proc *p)
{
	const struct parser_service *ps = arg;
	if (WIFSIGNALED(p->wstatus) && WTERMSIG(p->wstatus) == SIGALRM)
		log_warnx("worker %ld exceeded parse_timeout_ms (%d ms) and was stopped; its job"
			  " goes to another worker",
			  (long)p->pid, ps->cfg->parse_timeout_ms);
	return 1;
}

int
cmd_parser(int argc, char **argv)
{
	struct stage st = {0};
	int rc = stage_start(argc, argv, WIRE_ROLE_PARSER, &st);
	if (rc >= 0)
		return rc;
	int n = st.workers ? st.workers : st.cfg->workers;
	struct parser_service ps = {st.cfg, &st.ep};
	struct proc_table *t =
	    proc_table_new(parser_roles, 1, parser_worker_main, parser_worker_ended, &ps);

	sig_install(1);
	log_info("%d worker%s taking jobs from %s, sending results to %s", n, n == 1 ? "" : "s",
		 st.ep.jobs.connect, st.ep.results.connect);
	for (int i = 0; i < n; i++)
		proc_spawn(t, 0);
	rc = 0;
	while (!sig_stop) {
		struct pollfd p = {sig_fd(), POLLIN, 0};
		if (poll(&p, 1, proc_timeout(t, SERVICE_POLL_MS)) > 0)
			sig_drain();
		proc_reap(t);
		proc_tick(t);
		if (!sig_stop && proc_alive(t, 0) == 0 && !proc_pending(t, 0)) {
			/* given up (said), or no fork succeeded: let the service manager decide */
			log_warnx("no parser worker left; stopping the service");
			rc = EX_SOFTWARE;
			break;
		}
	}
	if (sig_stop)
		log_info("stopping the workers");
	proc_stop_all(t, PROC_STOP_GRACE_MS, NULL, NULL);
	proc_table_free(&t);
	config_free(&st.cfg);
	return rc;
}

int
cmd_sink(int argc, char **argv)
{
	struct stage st = {0};
	int rc = stage_start(argc, argv, WIRE_ROLE_SINK, &st);
	if (rc >= 0)
		return rc;
	cmd_set_title("sink");
	char *conninfo = localdb_conninfo(st.cfg, 1);
	if (conninfo == NULL) {
		log_warnx("no database to write to; try again once it is reachable");
		config_free(&st.cfg);
		return EX_TEMPFAIL;
	}
	sig_install(0);
	rc = sink_main(st.cfg, conninfo, &st.ep, 0);
	free(conninfo);
	config_free(&st.cfg);
	return rc;
}

int
cmd_keygen(int argc, char **argv)
{
	char public_key[CURVE_KEY_LEN + 1], secret_key[CURVE_KEY_LEN + 1];
	if (argc > 1) {
		int help = strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0;
		fputs("usage: reportpipe keygen\n\n"
		      "Print a new CURVE key pair for [network]: the public key as a comment,\n"
		      "then the curve_secret_key line.\n",
		      help ? stdout : stderr);
		return help ? 0 : EX_USAGE;
	}
	log_init("keygen", 0);
	if (curve_keypair(public_key, secret_key) < 0)
		return EX_UNAVAILABLE;
	printf("# public key: %s\ncurve_secret_key = %s\n", public_key, secret_key);
	return 0;
}
