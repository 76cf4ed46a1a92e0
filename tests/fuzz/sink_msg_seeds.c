/*
 * sink_msg_seeds.c - write seeds for sink_msg_fuzz from real reports: each
 * report's first lines (at most MAX bytes, cut at a line or a character) parsed and packed
 * as the parser packs a RESULT body (doc_pack), once as the bare body (what
 * the target reads when the input has no frame separator) and once as a
 * whole message of frames (fuzz_frames.h). `make fuzz-seeds` runs it; the
 * seeds are kept in git, so this only runs again when the format changes.
 *
 *   sink_msg_seeds OUTDIR MAX REPORT...
 */
#include "buf.h"
#include "doc_pack.h"
#include "fuzz_frames.h"
#include "parse.h"
#include "wire.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int
seeds_write(const char *dir, const char *prefix, const char *name, const void *data, size_t len)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/%s-%s", dir, prefix, name);
	FILE *f = fopen(path, "wb");
	if (f == NULL || fwrite(data, 1, len, f) != len || fclose(f) != 0) {
		perror(path);
		return -1;
	}
	printf("%s: %zu bytes\n", path, len);
	return 0;
}

static int
seeds_one(const char *dir, size_t max, const char *file)
{
	char err[256];
	struct buf raw = {0}, body = {0}, msg = {0};
	FILE *f = fopen(file, "rb");
	if (f == NULL) {
		perror(file);
		return -1;
	}
	char chunk[8192];
	size_t got;
	while ((got = fread(chunk, 1, sizeof(chunk), f)) > 0)
		buf_append(&raw, chunk, got);
	fclose(f);
	size_t len = raw.len;
	if (len > max) {
		/* at a line, or else at a character, of a report with long lines */
		len = max;
		while (len > max / 2 && raw.data[len - 1] != '\n')
			len--;
		if (raw.data[len - 1] != '\n')
			for (len = max; len > 0 && ((unsigned char)raw.data[len] & 0xC0) == 0x80;)
				len--;
	}
	struct doc *doc = parse_document((const unsigned char *)raw.data, len,
					 "text/plain; charset=utf-8", err, sizeof(err));
	if (doc == NULL) {
		fprintf(stderr, "%s: %s\n", file, err);
		buf_release(&raw);
		return -1;
	}
	doc_pack(doc, raw.data, len, &body);
	doc_free(&doc);
	const char *name = strrchr(file, '/') ? strrchr(file, '/') + 1 : file;
	buf_printf(&msg,
		   "%s" FUZZ_FRAME_SEP "RESULT" FUZZ_FRAME_SEP
		   "{\"key\":\"k1\",\"url\":\"https://example.org/%s\",\"sha256\":\"0\","
		   "\"source\":\"s\",\"fetched_at\":\"2026-12-07T00:00:00Z\"}" FUZZ_FRAME_SEP,
		   WIRE_VERSION, name);
	buf_append(&msg, body.data, body.len);
	int rc = seeds_write(dir, "body", name, body.data, body.len) < 0 ||
			 seeds_write(dir, "framed", name, msg.data, msg.len) < 0
		     ? -1
		     : 0;
	buf_release(&raw);
	buf_release(&body);
	buf_release(&msg);
	return rc;
}

int
main(int argc, char **argv)
{
	if (argc < 4) {
		fprintf(stderr, "usage: sink_msg_seeds OUTDIR MAX REPORT...\n");
		return 2;
	}
	int rc = 0;
	for (int i = 3; i < argc; i++)
		if (seeds_one(argv[1], (size_t)atol(argv[2]), argv[i]) < 0)
			rc = 1;
	return rc;
}
