/*
 * cmd_check.c - `reportpipe check`: is this config ready to run? (as
 * `nginx -t` or Logstash's --config.test_and_exit answer it).
 *
 * Loads the config (the loader refuses bad values naming file:line),
 * compiles every source's patterns and XPath again, lists what each source
 * would fetch, and connects to the database. Must never write anything:
 * no migration, no run, and no local cluster is created or started.
 */
#include "cmd.h"
#include "cmd_opts.h"
#include "config.h"
#include "config_check.h"
#include "log.h"
#include "sink_db.h"
#include "localdb.h"

#include <getopt.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

static void
check_usage(FILE *fp)
{
	fputs("usage: reportpipe check [-c FILE]\n"
	      "\n"
	      "Load the config, compile every source's link_pattern, next_pattern and\n"
	      "content_xpath, list the sources with what each would fetch, and connect\n"
	      "to the database. Nothing is fetched, written or started.\n"
	      "\n"
	      "Exit 0 when the config is good and the database answers, 75 when the\n"
	      "database is unreachable (try again later), 78 when the config is bad or\n"
	      "the database refuses it for good (no such database or role, a password).\n",
	      fp);
}

/* 0 when pattern (key of src) compiles, else -1, said once with file and line. */
static int
check_pattern(const struct config *cfg, const struct source *src, const char *key,
	      const char *pattern)
{
	regex_t re;
	if (pattern == NULL)
		return 0;
	int rc = regcomp(&re, pattern, REG_EXTENDED | REG_NOSUB);
	if (rc != 0) {
		char why[200];
		regerror(rc, &re, why, sizeof(why));
		fprintf(stderr, "%s:%d: source \"%s\": %s does not compile: %s\n", cfg->path,
			src->line, src->name, key, why);
		return -1;
	}
	regfree(&re);
	return 0;
}

/* Print what src would fetch; -1 when one of its patterns or its XPath does not compile. */
static int
check_source(const struct config *cfg, const struct source *src)
{
	int bad = check_pattern(cfg, src, "link_pattern", src->link_pattern) < 0;
	bad |= check_pattern(cfg, src, "next_pattern", src->next_pattern) < 0;
	char why[200];
	if (src->parse.content_xpath && config_check_xpath(src->parse.content_xpath, why) < 0) {
		fprintf(stderr, "%s:%d: source \"%s\": content_xpath does not compile: %s\n",
			cfg->path, src->line, src->name, why);
		bad = 1;
	}
	printf("source \"%s\" (%s:%d)\n", src->name, cfg->path, src->line);
	if (src->url) {
		printf("  url           %s\n", src->url);
	} else {
		printf("  index         %s\n", src->index);
		printf("  link_pattern  %s\n", src->link_pattern);
		if (src->next_pattern)
			printf("  next_pattern  %s\n", src->next_pattern);
		printf("  max_pages     %d\n", src->max_pages);
		printf("  max_links     %d\n",
		       src->max_links > 0 ? src->max_links : SOURCE_MAX_LINKS);
		if (src->nallow_hosts > 0) {
			printf("  allow_hosts  ");
			for (size_t i = 0; i < src->nallow_hosts; i++)
				printf(" %s", src->allow_hosts[i]);
			printf("\n");
		}
	}
	if (src->parse.content_xpath)
		printf("  content_xpath %s\n", src->parse.content_xpath);
	printf("  robots.txt    %s\n", src->robots ? "obeyed" : "ignored (robots = no)");
	return bad ? -1 : 0;
}

/* Connect to cfg's database and say how it stands. Returns an exit code. */
static int
check_database(const struct config *cfg)
{
	char *conninfo = localdb_conninfo(cfg, 0);
	if (conninfo == NULL)
		return EX_TEMPFAIL;
	char why[512];
	PGconn *conn = sink_db_try_connect(conninfo, why, sizeof(why));
	free(conninfo);
	if (conn == NULL) {
		int for_good = sink_db_refused_for_good(why);
		fprintf(stderr, "database: unreachable: %s%s\n", why,
			for_good ? " (a configuration error: check [database] conninfo)"
			: localdb_wanted(cfg)
			    ? " (the project-local cluster: `reportpipe run` starts it)"
			    : "");
		return for_good ? EX_CONFIG : EX_TEMPFAIL;
	}
	int behind = sink_db_schema_behind(conn);
	printf("database: reachable (%s)\n",
	       localdb_wanted(cfg) ? "project-local cluster" : "[database] conninfo");
	if (behind > 0)
		printf("  schema: migrations to apply (the next run applies them)\n");
	else if (behind == 0)
		printf("  schema: current\n");
	PQfinish(conn);
	return behind < 0 ? EX_TEMPFAIL : 0;
}

int
cmd_check(int argc, char **argv)
{
	static const struct cmd_spec spec = {"check", check_usage, 0, 0, {{0}}};
	struct config *cfg;
	int stop = cmd_start(argc, argv, &spec, NULL, &cfg);
	if (stop >= 0)
		return stop;
	printf("config: %s\n", cfg->path);
	int bad = 0;
	config_check_sources(cfg);
	for (size_t i = 0; i < cfg->nsources; i++)
		bad |= check_source(cfg, &cfg->sources[i]) < 0;
	printf("%zu source%s\n", cfg->nsources, cfg->nsources == 1 ? "" : "s");
	int rc = bad ? EX_CONFIG : check_database(cfg);
	if (rc == 0)
		printf("ok\n");
	config_free(&cfg);
	return rc;
}
