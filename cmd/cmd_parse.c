/*
 * cmd_parse.c - `reportpipe parse`: one local file through the parser, no
 * queue and no database.
 */
#include "cmd.h"
#include "buf.h"
#include "digest.h"
#include "doc_json.h"
#include "parse.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

static void
parse_usage(FILE *fp)
{
	fputs("usage: reportpipe parse [--format json|text] [--content-type TYPE] FILE|-\n"
	      "\n"
	      "Parse one local report and print the parsed document: JSON as in DESIGN.md\n"
	      "(the default), or a readable outline with --format text.\n",
	      fp);
}

static int
read_all(FILE *fp, struct buf *b)
{
	char chunk[65536];
	size_t n;
	while ((n = fread(chunk, 1, sizeof(chunk), fp)) > 0)
		buf_append(b, chunk, n);
	return ferror(fp) ? -1 : 0;
}

int
cmd_parse(int argc, char **argv)
{
	static const struct option opts[] = {
		{"format", required_argument, NULL, 'f'},
		{"content-type", required_argument, NULL, 't'},
		{"config", required_argument, NULL, 'c'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *format = "json", *content_type = NULL;
	int ch;

	while ((ch = getopt_long(argc, argv, "f:t:c:h", opts, NULL)) != -1) {
		switch (ch) {
		case 'f':
			format = optarg;
			break;
		case 't':
			content_type = optarg;
			break;
		case 'c':
			break; /* parse needs no configuration; accepted like every command */
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
	const char *path = argv[optind];
	FILE *fp = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
	if (fp == NULL) {
		fprintf(stderr, "reportpipe parse: %s: %s\n", path, strerror(errno));
		return EX_NOINPUT;
	}
	struct buf body = {0};
	int rerr = read_all(fp, &body);
	if (fp != stdin)
		fclose(fp);
	if (rerr < 0) {
		fprintf(stderr, "reportpipe parse: %s: read error\n", path);
		buf_release(&body);
		return EX_IOERR;
	}

	char err[256];
	struct doc *doc = parse_document((const unsigned char *)body.data, body.len,
					 content_type, err, sizeof(err));
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
			fprintf(stderr, "reportpipe parse: %s: the parsed document is too large "
					"to print as JSON\n", path);
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
