/*
 * cmd_stage.c - the stages as long-lived services, for several hosts:
 * `reportpipe parser` and `reportpipe sink` on the [network] endpoints, and
 * `reportpipe keygen` for their CURVE keys. (`reportpipe fetch` is a run
 * with --remote: cmd_run.c.)
 *
 * The parser service supervises its workers the way `run` does: it forks
 * them, stays single-threaded and free of ZeroMQ, and replaces a worker that
 * dies (a crash, or a report past parse_timeout_ms), so that a poison report
 * costs one process, never the service.
 */
#include "cmd.h"
#include "monotime.h"
#include "buf.h"
#include "config.h"
#include "curve.h"
#include "log.h"
#include "parser.h"
#include "sig.h"
#include "sink.h"
#include "sink_localdb.h"
#include "wire.h"

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#define RESTART_DELAY_MS 1000 /* before replacing a worker that died at once */
#define QUICK_DEATH_MS 1000

struct stage_opts {
	const char *config_path;
	int workers; /* 0: the config's */
	int verbose, use_syslog;
};

static void
stage_usage(FILE *fp, const char *cmd)
{
	if (strcmp(cmd, "parser") == 0)
		fputs(
		    "usage: reportpipe parser [-c FILE] [-w N|--workers N] [-v|--verbose]"
		    " [--syslog]\n"
		    "\n"
		    "Parser workers as a service: N processes (default [pipeline] workers) take\n"
		    "jobs from the fetcher at [network] jobs_connect and send the parsed\n"
		    "documents to the sink at results_connect. A worker that dies, or spends\n"
		    "longer than parse_timeout_ms on one report, is replaced. Stops on SIGTERM.\n",
		    fp);
	else
		fputs(
		    "usage: reportpipe sink [-c FILE] [-v|--verbose] [--syslog]\n"
		    "\n"
		    "The sink as a service: binds [network] results_bind and control_bind and\n"
		    "stores what the parsers send for each fetcher's run, one run after another.\n"
		    "Stops on SIGTERM. Exit 75 when the database is unreachable at start.\n",
		    fp);
}

/* Options common to the services; returns -1 to go on, else the exit code. */
static int
stage_options(int argc, char **argv, struct stage_opts *o)
{
	static const struct option opts[] = {
	    {"config", required_argument, NULL, 'c'}, {"workers", required_argument, NULL, 'w'},
	    {"verbose", no_argument, NULL, 'v'},      {"syslog", no_argument, NULL, 's'},
	    {"help", no_argument, NULL, 'h'},	      {NULL, 0, NULL, 0},
	};
	int parser = strcmp(argv[0], "parser") == 0, ch;
	char *end;

	while ((ch = getopt_long(argc, argv, parser ? "c:w:vh" : "c:vh", opts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			o->config_path = optarg;
			break;
		case 'w':
			o->workers = (int)strtol(optarg, &end, 10);
			if (!parser || *end || o->workers < 1 || o->workers > 256) {
				fprintf(stderr,
					"reportpipe %s: -w wants a number of workers, 1..256\n",
					argv[0]);
				return EX_USAGE;
			}
			break;
		case 'v':
			o->verbose = 1;
			break;
		case 's':
			o->use_syslog = 1;
			break;
		case 'h':
			stage_usage(stdout, argv[0]);
			return 0;
		default:
			stage_usage(stderr, argv[0]);
			return EX_USAGE;
		}
	}
	if (optind != argc) {
		stage_usage(stderr, argv[0]);
		return EX_USAGE;
	}
	log_init(argv[0], o->use_syslog ? LOG_TO_SYSLOG : 0);
	log_set_level(o->verbose ? LOG_LEVEL_DEBUG : LOG_LEVEL_INFO);
	return -1;
}

/*
 * Options, config and endpoints of a service: -1 to go on (*cfg is then the
 * caller's to free), else the exit code.
 */
static int
stage_start(int argc, char **argv, enum wire_role role, struct stage_opts *o,
	    struct wire_endpoints *ep, struct config **cfg)
{
	int rc = stage_options(argc, argv, o);
	if (rc >= 0)
		return rc;
	*cfg = config_load(config_choose_path(o->config_path));
	if (*cfg == NULL)
		return EX_CONFIG;
	if (wire_endpoints_network(ep, *cfg, role) < 0) {
		config_free(cfg);
		return EX_CONFIG;
	}
	return -1;
}

static pid_t
parser_spawn(const struct config *cfg, const struct wire_endpoints *ep)
{
	pid_t supervisor = getpid(), pid = fork();
	if (pid < 0) {
		log_warn("cannot start a parser worker");
		return -1;
	}
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		if (getppid() != supervisor)
			_exit(0);
		sig_reset();
		sig_install(0);
		signal(SIGINT, SIG_IGN); /* the service decides when its workers stop */
		cmd_set_title("parser worker");
		log_init("parser", log_get_flags());
		_exit(parser_main(cfg, ep));
	}
	return pid;
}

/* Note which worker ended and how; 1 when it should be replaced. */
static int
parser_reaped(const struct config *cfg, pid_t pid, int status, long long lived_ms)
{
	if (WIFSIGNALED(status) && WTERMSIG(status) == SIGALRM)
		log_warnx("worker %ld exceeded parse_timeout_ms (%d ms) and was stopped; its job"
			  " goes to another worker",
			  (long)pid, cfg->parse_timeout_ms);
	else if (WIFSIGNALED(status))
		log_warnx("worker %ld was killed by signal %d", (long)pid, WTERMSIG(status));
	else if (WEXITSTATUS(status) != 0)
		log_warnx("worker %ld exited with status %d", (long)pid, WEXITSTATUS(status));
	if (lived_ms < QUICK_DEATH_MS)
		usleep(RESTART_DELAY_MS * 1000); /* do not spin on a worker that cannot start */
	return !sig_stop;
}

int
cmd_parser(int argc, char **argv)
{
	struct stage_opts o = {0};
	struct wire_endpoints ep;
	struct config *cfg = NULL;
	int rc = stage_start(argc, argv, WIRE_ROLE_PARSER, &o, &ep, &cfg);
	if (rc >= 0)
		return rc;
	int n = o.workers ? o.workers : cfg->workers;
	pid_t *pids = xcalloc((size_t)n, sizeof(*pids));
	long long *born = xcalloc((size_t)n, sizeof(*born));

	sig_install(0);
	log_info("%d worker%s taking jobs from %s, sending results to %s", n, n == 1 ? "" : "s",
		 ep.jobs.connect, ep.results.connect);
	for (int i = 0; i < n; i++) {
		pids[i] = parser_spawn(cfg, &ep);
		born[i] = monotime_ms();
	}
	while (!sig_stop) {
		int status;
		pid_t pid = wait(&status);
		if (pid < 0) {
			if (errno == EINTR)
				continue;
			break; /* no children left: every fork failed */
		}
		for (int i = 0; i < n; i++) {
			if (pids[i] != pid)
				continue;
			if (parser_reaped(cfg, pid, status, monotime_ms() - born[i])) {
				pids[i] = parser_spawn(cfg, &ep);
				born[i] = monotime_ms();
			}
		}
	}
	log_info("stopping the workers");
	for (int i = 0; i < n; i++)
		if (pids[i] > 0)
			kill(pids[i], SIGTERM);
	while (wait(NULL) > 0 || errno == EINTR)
		;
	free(pids);
	free(born);
	config_free(&cfg);
	return 0;
}

int
cmd_sink(int argc, char **argv)
{
	struct stage_opts o = {0};
	struct wire_endpoints ep;
	struct config *cfg = NULL;
	int rc = stage_start(argc, argv, WIRE_ROLE_SINK, &o, &ep, &cfg);
	if (rc >= 0)
		return rc;
	cmd_set_title("sink");
	char *conninfo = sink_localdb_conninfo(cfg, 1);
	if (conninfo == NULL) {
		log_warnx("no database to write to; try again once it is reachable");
		config_free(&cfg);
		return EX_TEMPFAIL;
	}
	sig_install(0);
	rc = sink_main(cfg, conninfo, &ep, 0);
	free(conninfo);
	config_free(&cfg);
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
