/*
 * cmd_opts.c - one getopt_long loop for every subcommand.
 */
#include "cmd_opts.h"
#include "log.h"

#include <getopt.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

/* getopt_long's value for a long-only option i: past every character */
#define LONG_ONLY(i) (256 + (i))

static int
opt_take(const char *command, const struct cmd_opt *o, const char *arg)
{
	switch (o->kind) {
	case CMD_OPT_FLAG:
		*(int *)o->value = 1;
		return 0;
	case CMD_OPT_COUNT:
		(*(int *)o->value)++;
		return 0;
	case CMD_OPT_STRING:
		*(const char **)o->value = arg;
		return 0;
	case CMD_OPT_LIST: {
		struct cmd_list *l = o->value;
		l->v[l->n++] = (char *)arg;
		return 0;
	}
	case CMD_OPT_POSITIVE: {
		char *end;
		long v = strtol(arg, &end, 10);
		if (*arg == '\0' || *end != '\0' || v < 1 || v > INT_MAX) {
			fprintf(stderr,
				"reportpipe %s: --%s wants a whole number of 1 or more, not '%s'\n",
				command, o->name, arg);
			return -1;
		}
		*(int *)o->value = (int)v;
		return 0;
	}
	}
	return -1;
}

int
cmd_start(int argc, char **argv, const struct cmd_spec *spec, const char **config_path,
	  struct config **cfg)
{
	const struct cmd_opt *opts = spec->opts;
	const char *path = NULL;
	struct option longopts[CMD_OPTS_MAX + 3];
	char shortopts[2 * CMD_OPTS_MAX + 8] = "c:h";
	size_t nopts = 0, slen = strlen(shortopts);
	int own_help = 0;

	for (; nopts < CMD_OPTS_MAX && opts[nopts].name; nopts++) {
		const struct cmd_opt *o = &opts[nopts];
		int has_arg = o->kind >= CMD_OPT_STRING; /* STRING, POSITIVE, LIST */
		longopts[nopts] =
		    (struct option){o->name, has_arg ? required_argument : no_argument, NULL,
				    o->letter ? o->letter : LONG_ONLY((int)nopts)};
		own_help |= strcmp(o->name, "help") == 0;
		if (o->letter && o->letter != 'h') {
			shortopts[slen++] = o->letter;
			if (has_arg)
				shortopts[slen++] = ':';
		}
	}
	shortopts[slen] = '\0';
	size_t n = nopts;
	longopts[n++] = (struct option){"config", required_argument, NULL, 'c'};
	if (!own_help)
		longopts[n++] = (struct option){"help", no_argument, NULL, 'h'};
	longopts[n] = (struct option){NULL, 0, NULL, 0};

	int ch;
	while ((ch = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1) {
		if (ch == 'c') {
			path = optarg;
			continue;
		}
		const struct cmd_opt *o = NULL;
		for (size_t i = 0; i < nopts && o == NULL; i++)
			if (ch == (opts[i].letter ? opts[i].letter : LONG_ONLY((int)i)))
				o = &opts[i];
		if (o == NULL && ch == 'h' && !own_help) {
			spec->usage(stdout);
			return 0;
		}
		if (o == NULL) {
			spec->usage(stderr);
			return EX_USAGE;
		}
		if (opt_take(spec->name, o, optarg) < 0)
			return EX_USAGE;
	}
	int operands = argc - optind;
	if (operands < spec->min_operands ||
	    (spec->max_operands >= 0 && operands > spec->max_operands)) {
		spec->usage(stderr);
		return EX_USAGE;
	}
	if (config_path)
		*config_path = path;
	if (cfg) {
		log_init(spec->name, 0);
		if ((*cfg = config_load(config_choose_path(path))) == NULL)
			return EX_CONFIG;
	}
	return -1;
}
