/*
 * cmd_parse.c - `reportpipe parse`: one local file through the parser, no
 * queue and no database.
 */
#include "cmd.h"
#include "cmd_opts.h"
#include "buf.h"
#include "config.h"
#include "digest.h"
#include "doc_json.h"
#include "fetcher_direct.h"
#include "fetcher_retry.h"
#include "log.h"
#include "parse.h"
#include "sig.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <unistd.h>

static void
parse_usage(FILE *fp)
{
	fputs("usage: reportpipe parse [--format json|text] [--content-type TYPE]\n"
	      "                        [--max-bytes SIZE] [--config FILE] FILE|-|URL\n"
	      "\n"
	      "Parse one report and print the parsed document: JSON as in DESIGN.md\n"
	      "(the default), or a readable outline with --format text. A report larger\n"
	      "than --max-bytes (default: the config's [fetch] max_bytes) is refused.\n"
	      "An http:// or https:// URL is fetched as the fetcher fetches a source's\n"
	      "url (robots.txt, TLS verification, [fetch] limits, redirects to http and\n"
	      "https only), and its Content-Type is used unless --content-type is given.\n"
	      "\n"
	      "Exit 0, 64 usage, 65 the report cannot be parsed or is too large, 66 the\n"
	      "file cannot be read or the URL not fetched for good, 75 the URL failed for\n"
	      "a passing reason (try again later), 78 bad config.\n",
	      fp);
}

/*
 * Read fp to its end into b, but never more than max + 1 bytes, so that a
 * pipe without end costs no more than the limit. Returns 0, 1 when the input
 * is larger than max, or -1 on a read error.
 */
static int
parse_read(FILE *fp, size_t max, struct buf *b)
{
	struct stat st;

	if (fstat(fileno(fp), &st) == 0 && S_ISREG(st.st_mode)) {
		if ((uintmax_t)st.st_size > max)
			return 1;
		buf_reserve(b, (size_t)st.st_size);
	}
	for (;;) {
		if (b->len > max)
			return 1;
		size_t want = max + 1 - b->len;
		if (want > 65536)
			want = 65536;
		buf_reserve(b, want);
		size_t n = fread(b->data + b->len, 1, want, fp);
		b->len += n;
		b->data[b->len] = '\0';
		if (n < want)
			return ferror(fp) ? -1 : b->len > max;
	}
}

/* The byte limit on the input: --max-bytes, else the config's [fetch] max_bytes. */
static int
parse_limit(const char *opt, const char *config_path, size_t *max)
{
	if (opt) {
		if (config_parse_size(opt, max) < 0 || *max == 0) {
			fprintf(stderr,
				"reportpipe parse: --max-bytes '%s' is not a size "
				"(such as 64MiB, 10MB, 512k or 1048576)\n",
				opt);
			return EX_USAGE;
		}
		return 0;
	}
	struct config *cfg = config_load(config_choose_path(config_path));
	if (cfg == NULL)
		return EX_CONFIG;
	*max = cfg->max_bytes;
	config_free(&cfg);
	return 0;
}

/*
 * The parser has decoded the body (a struct buf) and will not read it again:
 * free it now, as the code points alone are larger than the report.
 */
static void
parse_input_done(void *arg)
{
	buf_release(arg);
}

/* 1 when arg is an http or https URL, which parse fetches instead of opening. */
static int
parse_is_url(const char *arg)
{
	return strncasecmp(arg, "http://", 7) == 0 || strncasecmp(arg, "https://", 8) == 0;
}

/*
 * Fetch url into body as a run fetches a source's url; its Content-Type
 * (owned) in *type. 0, or an exit code after saying why, once.
 */
static int
parse_fetch(const char *url, const char *config_path, const char *max_opt, struct buf *body,
	    char **type)
{
	log_init("parse", 0);
	log_set_level(LOG_LEVEL_WARN);
	sig_install(0);
	size_t max = 0;
	int rc = max_opt ? parse_limit(max_opt, NULL, &max) : 0;
	if (rc != 0)
		return rc;
	struct config *cfg = config_load(config_choose_path(config_path));
	if (cfg == NULL)
		return EX_CONFIG;
	if (max_opt)
		cfg->max_bytes = max;
	/* written by the operator, as a source's url is: its redirects may go to any host */
	struct source src = {.name = "(command line)", .url = (char *)url, .robots = 1};
	struct fetch_result *r = fetcher_direct_get(cfg, &src, url, FETCH_KIND_REPORT, 1);
	config_free(&cfg);
	if (r == NULL)
		return EX_TEMPFAIL; /* stopped by a signal */
	if (!r->ok) {
		fprintf(stderr, "reportpipe parse: %s: %s\n", url, r->error);
		rc = r->cls == FETCH_TOO_LARGE			  ? EX_DATAERR
		     : fetcher_retry_transient(r->cls, r->status) ? EX_TEMPFAIL
								  : EX_NOINPUT;
	} else {
		*body = r->body;
		memset(&r->body, 0, sizeof(r->body));
		*type = r->content_type ? xstrdup(r->content_type) : NULL;
	}
	fetcher_http_result_free(&r);
	return rc;
}

int
cmd_parse(int argc, char **argv)
{
	const char *format = "json", *content_type = NULL, *config_path, *max_opt = NULL;
	size_t max;
	int rc;
	/* the operand is checked after the format, which names its choices */
	const struct cmd_spec spec = {"parse",
				      parse_usage,
				      0,
				      -1,
				      {{"format", 'f', CMD_OPT_STRING, &format},
				       {"content-type", 't', CMD_OPT_STRING, &content_type},
				       {"max-bytes", 'm', CMD_OPT_STRING, &max_opt}}};
	int stop = cmd_start(argc, argv, &spec, &config_path, NULL);
	if (stop >= 0)
		return stop;
	if (strcmp(format, "json") != 0 && strcmp(format, "text") != 0) {
		/* name the choices: the usage line alone leaves the reader to spot them */
		fprintf(stderr,
			"reportpipe parse: unknown format \"%s\"; the formats are json (the"
			" default) and text\n",
			format);
		return EX_USAGE;
	}
	if (optind != argc - 1) {
		parse_usage(stderr);
		return EX_USAGE;
	}
	const char *path = argv[optind];
	char *fetched_type = NULL;
	struct buf body = {0};
	if (parse_is_url(path)) {
		if ((rc = parse_fetch(path, config_path, max_opt, &body, &fetched_type)) != 0)
			return rc;
		if (content_type == NULL)
			content_type = fetched_type;
		goto parse;
	}
	if ((rc = parse_limit(max_opt, config_path, &max)) != 0)
		return rc;
	FILE *fp = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
	if (fp == NULL) {
		fprintf(stderr, "reportpipe parse: %s: %s\n", path, strerror(errno));
		return EX_NOINPUT;
	}
	int rerr = parse_read(fp, max, &body);
	if (fp != stdin)
		fclose(fp);
	if (rerr != 0) {
		if (rerr < 0)
			fprintf(stderr, "reportpipe parse: %s: read error\n", path);
		else
			fprintf(stderr,
				"reportpipe parse: %s: larger than max_bytes (%zu bytes), which "
				"the pipeline would not fetch either; raise [fetch] max_bytes or "
				"pass --max-bytes\n",
				path, max);
		buf_release(&body);
		return rerr < 0 ? EX_IOERR : EX_DATAERR;
	}

parse:;
	char err[256], sha[DIGEST_HEX_LEN + 1];
	digest_sha256_hex(body.data ? body.data : "", body.len, sha);
	struct parse_options popts = {
	    .content_type = content_type, .input_done = parse_input_done, .input_done_arg = &body};
	struct doc *doc = parse_document_opts((const unsigned char *)(body.data ? body.data : ""),
					      body.len, &popts, err, sizeof(err));
	free(fetched_type);
	buf_release(&body); /* parse_input_done() did it, unless the format was refused */
	if (doc == NULL) {
		fprintf(stderr, "reportpipe parse: %s: %s\n", path, err);
		return EX_DATAERR;
	}
	doc->sha256 = xstrdup(sha);
	if (parse_is_url(path)) {
		doc->url = xstrdup(path);
	} else if (strcmp(path, "-") != 0) {
		char *abs = realpath(path, NULL);
		struct buf url = {0};
		buf_printf(&url, "file://%s", abs ? abs : path);
		free(abs);
		doc->url = buf_take(&url);
	}

	if (strcmp(format, "json") == 0) {
		/* streamed: a tree of a large report would cost ten times the report */
		if (doc_json_write(doc, stdout) < 0) {
			fprintf(stderr, "reportpipe parse: %s: writing the JSON: %s\n", path,
				strerror(errno));
			doc_free(&doc);
			return EX_IOERR;
		}
	} else {
		char *txt = doc_to_text(doc);
		fputs(txt, stdout);
		free(txt);
	}
	doc_free(&doc);
	return fflush(stdout) == 0 ? 0 : EX_IOERR;
}
