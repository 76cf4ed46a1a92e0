/*
 * cmd_keys.c - `reportpipe keys`: list the indicator dictionary compiled into
 * this binary (parse/indicators.txt), or show the key a label gets.
 * No database: the indicators table holds the same rows.
 */
#include "cmd.h"
#include "cmd_opts.h"
#include "metrics_key.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sysexits.h>

static void
keys_usage(FILE *fp)
{
	fputs("usage: reportpipe keys [LABEL...]\n"
	      "\n"
	      "Without a label, list the indicator dictionary, one indicator a line:\n"
	      "key, usual measures, usual units and aliases, tab-separated. With labels,\n"
	      "print each label and the key it gets (\"-\" when none).\n",
	      fp);
}

int
cmd_keys(int argc, char **argv)
{
	/* every command takes -c; the dictionary needs no config */
	static const struct cmd_spec spec = {"keys", keys_usage, 0, -1, {{0}}};
	int stop = cmd_start(argc, argv, &spec, NULL, NULL);
	if (stop >= 0)
		return stop;
	if (optind < argc) {
		for (int i = optind; i < argc; i++) {
			const char *key = metrics_key_lookup(argv[i]);
			printf("%s\t%s\n", argv[i], key ? key : "-");
		}
		return fflush(stdout) == 0 ? 0 : EX_IOERR;
	}
	for (size_t i = 0; i < indicators_len; i++) {
		const struct indicator *ind = &indicators[i];
		printf("%s\t%s\t%s\t%s\n", ind->key, ind->measures, ind->units, ind->aliases);
	}
	return fflush(stdout) == 0 ? 0 : EX_IOERR;
}
