/*
 * cmd_opts.h - the options of a subcommand, as a table.
 *
 * Every command takes -c/--config FILE and -h/--help; a command lists only
 * the options of its own, each with where its value goes, and gets one
 * getopt_long loop, one usage error and one --help for them all.
 */
#ifndef RP_CMD_OPTS_H
#define RP_CMD_OPTS_H

#include "config.h"

#include <stdio.h>

enum cmd_opt_kind {
	CMD_OPT_FLAG,	  /* int *: set to 1 */
	CMD_OPT_COUNT,	  /* int *: one more each time given (-vv) */
	CMD_OPT_STRING,	  /* const char **: the argument, borrowed from argv */
	CMD_OPT_POSITIVE, /* int *: the argument as a whole number from 1 to INT_MAX */
	CMD_OPT_LIST,	  /* struct cmd_list *: each argument appended (--source a --source b) */
};

/* The arguments of an option given several times, borrowed from argv. */
struct cmd_list {
	char **v; /* room for argc of them: the caller allocates, and frees */
	size_t n;
};

struct cmd_opt {
	const char *name; /* the long name */
	char letter;	  /* the short option, or 0 for a long one only */
	enum cmd_opt_kind kind;
	void *value;
};

#define CMD_OPTS_MAX 14 /* options a command may list besides --config and --help */

/* A command as its options see it. */
struct cmd_spec {
	const char *name;		       /* "check": for messages and log lines */
	void (*usage)(FILE *);		       /* the whole usage, to stdout or stderr */
	int min_operands, max_operands;	       /* how many operands it takes; max -1: any */
	struct cmd_opt opts[CMD_OPTS_MAX + 1]; /* its own, up to the first without a name */
};

/*
 * Read argv[1..] by spec->opts and the common -c (into *config_path, when
 * not NULL) and -h; then expect spec's number of operands, from optind. A
 * table that lists "help" itself takes --help as its own option. With cfg,
 * also start the log as spec->name and load the config into *cfg.
 * Returns -1 when the command goes on, or the code to exit with: 0 after
 * printing usage to stdout for --help, EX_USAGE after printing it to stderr,
 * EX_CONFIG after the config loader said what is wrong.
 */
int cmd_start(int argc, char **argv, const struct cmd_spec *spec, const char **config_path,
	      struct config **cfg);

#endif
