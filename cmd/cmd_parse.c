/*
 * cmd_parse.c - `reportpipe parse`: one local file through the parser, no
 * queue and no database.
 */
#include "cmd.h"
#include "buf.h"
#include "config.h"
#include "digest.h"
#include "doc_json.h"
#include "parse.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <unistd.h>

static void
parse_usage(FILE *fp)
{
	fputs("usage: reportpipe parse [--format json|text] [--content-type TYPE]\n"
	      "                        [--max-bytes SIZE] [--config FILE] FILE|-\n"
	      "\n"
	      "Parse one local report and print the parsed document: JSON as in DESIGN.md\n"
	      "(the default), or a readable outline with --format text. A report larger\n"
	      "than --max-bytes (default: the config's [fetch] max_bytes) is refused.\n",
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

int
cmd_parse(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"format", required_argument, NULL, 'f'},
	    {"content-type", required_argument, NULL, 't'},
	    {"config", required_argument, NULL, 'c'},
	    {"max-bytes", required_argument, NULL, 'm'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	const char *format = "json", *content_type = NULL, *config_path = NULL, *max_opt = NULL;
	size_t max;
	int ch, rc;

	while ((ch = getopt_long(argc, argv, "f:t:c:m:h", opts, NULL)) != -1) {
		switch (ch) {
		case 'f':
			format = optarg;
			break;
		case 't':
			content_type = optarg;
			break;
		case 'c':
			config_path = optarg;
			break;
		case 'm':
			max_opt = optarg;
			break;
		case 'h':
			parse_usage(stdout);
			return 0;
		default:
			parse_usage(stderr);
			return EX_USAGE;
		}
	}
	if (optind != argc - 1 || (strcmp(format, "json") != 0 && strcmp(format, "text") != 0)) {
		parse_usage(stderr);
		return EX_USAGE;
	}
	if ((rc = parse_limit(max_opt, config_path, &max)) != 0)
		return rc;
	const char *path = argv[optind];
	FILE *fp = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
	if (fp == NULL) {
		fprintf(stderr, "reportpipe parse: %s: %s\n", path, strerror(errno));
		return EX_NOINPUT;
	}
	struct buf body = {0};
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

	char err[256];
	struct doc *doc = parse_document((const unsigned char *)body.data, body.len, content_type,
					 err, sizeof(err));
	if (doc == NULL) {
		fprintf(stderr, "reportpipe parse: %s: %s\n", path, err);
		buf_release(&body);
		return EX_DATAERR;
	}
	char sha[DIGEST_HEX_LEN + 1];
	digest_sha256_hex(body.data ? body.data : "", body.len, sha);
	doc->sha256 = xstrdup(sha);
	if (strcmp(path, "-") != 0) {
		char *abs = realpath(path, NULL);
		struct buf url = {0};
		buf_printf(&url, "file://%s", abs ? abs : path);
		free(abs);
		doc->url = buf_take(&url);
	}
	buf_release(&body);

	if (strcmp(format, "json") == 0) {
		struct json_object *o = doc_to_json(doc);
		const char *json = json_object_to_json_string_ext(
		    o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE);
		if (json == NULL) { /* json-c gives up past INT_MAX bytes */
			fprintf(stderr,
				"reportpipe parse: %s: the parsed document is too large "
				"to print as JSON\n",
				path);
			json_object_put(o);
			doc_free(&doc);
			return EX_SOFTWARE;
		}
		fputs(json, stdout);
		fputc('\n', stdout);
		json_object_put(o);
	} else {
		char *txt = doc_to_text(doc);
		fputs(txt, stdout);
		free(txt);
	}
	doc_free(&doc);
	return fflush(stdout) == 0 ? 0 : EX_IOERR;
}
