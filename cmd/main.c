/*
 * main.c - command dispatch, --help and --version.
 */
#include "cmd.h"

#include <curl/curl.h>
#include <stdio.h>
#include <string.h>
#include <sysexits.h>

static void
usage(FILE *fp)
{
	fputs(
	    "usage: reportpipe COMMAND [OPTIONS]\n"
	    "\n"
	    "Ingest published reports into PostgreSQL: fetch, parse, store.\n"
	    "\n"
	    "commands:\n"
	    "  run [-c FILE] [--remote]      one cron pass: fetch, parse and store every source\n"
	    "  run --source NAME...          a run of only the sources named\n"
	    "  run --dry-run                 fetch and parse, store nothing, print what would "
	    "change\n"
	    "  check [-c FILE]               test the config, list the sources, reach the "
	    "database\n"
	    "  links [-c FILE] SOURCE        the links an index source keeps and drops, and why\n"
	    "  fetch [-c FILE]               a run whose parsers and sink are services elsewhere\n"
	    "  parser [-c FILE] [-w N]       parser workers as a service on [network] endpoints\n"
	    "  sink [-c FILE]                the sink as a service on [network] endpoints\n"
	    "  keygen                        print a new CURVE key pair for [network]\n"
	    "  parse [--format json|text] FILE|-|URL\n"
	    "                                parse one file (or fetched URL), print the document\n"
	    "  db migrate|status|url|stop    manage the database (see reportpipe db --help)\n"
	    "  reparse [-c FILE] [--below-version N]\n"
	    "                                run stored documents through the current parser\n"
	    "  dead-letters [list|ack|retry] what failed for good: list it, settle it\n"
	    "                                (ack ID...|--all) or try it again (retry)\n"
	    "  keys [LABEL...]               list the indicator dictionary (or labels' keys)\n"
	    "  report [-c FILE] [-o FILE]    one HTML page: runs, dead letters, indicators\n"
	    "\n"
	    "options:\n"
	    "  -h, --help                    show this help (also after a command)\n"
	    "  -V, --version                 show the version\n"
	    "\n"
	    "Every command takes -c FILE; the default is $REPORTPIPE_CONFIG, then\n"
	    "SYSCONFDIR/reportpipe/reportpipe.conf when installed, or in a checkout the\n"
	    "built-in default (the bundled sample reports into a project-local PostgreSQL).\n"
	    "Exit codes: 0 ok, 1 some documents failed, 64 usage, 75 locked, database or\n"
	    "sink unreachable, or interrupted (try again later), 78 bad config.\n",
	    fp);
}

int
main(int argc, char **argv)
{
	cmd_title_init(argc, argv);
	if (argc < 2) {
		usage(stderr);
		return EX_USAGE;
	}
	const char *cmd = argv[1];
	if (strcmp(cmd, "-h") == 0 || strcmp(cmd, "--help") == 0 || strcmp(cmd, "help") == 0) {
		usage(stdout);
		return 0;
	}
	if (strcmp(cmd, "-V") == 0 || strcmp(cmd, "--version") == 0) {
		printf("reportpipe %s\n", RP_VERSION);
		return 0;
	}
	curl_global_init(CURL_GLOBAL_DEFAULT);
	int rc;
	if (strcmp(cmd, "run") == 0)
		rc = cmd_run(argc - 1, argv + 1);
	else if (strcmp(cmd, "fetch") == 0)
		rc = cmd_fetch(argc - 1, argv + 1);
	else if (strcmp(cmd, "parser") == 0)
		rc = cmd_parser(argc - 1, argv + 1);
	else if (strcmp(cmd, "sink") == 0)
		rc = cmd_sink(argc - 1, argv + 1);
	else if (strcmp(cmd, "keygen") == 0)
		rc = cmd_keygen(argc - 1, argv + 1);
	else if (strcmp(cmd, "parse") == 0)
		rc = cmd_parse(argc - 1, argv + 1);
	else if (strcmp(cmd, "db") == 0)
		rc = cmd_db(argc - 1, argv + 1);
	else if (strcmp(cmd, "reparse") == 0)
		rc = cmd_reparse(argc - 1, argv + 1);
	else if (strcmp(cmd, "dead-letters") == 0)
		rc = cmd_dead_letters(argc - 1, argv + 1);
	else if (strcmp(cmd, "keys") == 0)
		rc = cmd_keys(argc - 1, argv + 1);
	else if (strcmp(cmd, "check") == 0)
		rc = cmd_check(argc - 1, argv + 1);
	else if (strcmp(cmd, "links") == 0)
		rc = cmd_links(argc - 1, argv + 1);
	else if (strcmp(cmd, "report") == 0)
		rc = cmd_report(argc - 1, argv + 1);
	else {
		fprintf(stderr, "reportpipe: unknown command '%s'\n\n", cmd);
		usage(stderr);
		rc = EX_USAGE;
	}
	curl_global_cleanup();
	return rc;
}
