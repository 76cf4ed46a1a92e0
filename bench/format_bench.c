/*
 * format_bench.c - parse speed of parse_document() per format: the seed as
 * plain text, as a GBK CMS page, as a PDF and as a DOCX (the renditions in
 * tests/fixtures/formats), side by side in one run.
 *
 * Each file is parsed as its own document, again and again, for at least
 * PASS_S seconds a pass; after one untimed warm-up, REPS passes are timed
 * with CLOCK_MONOTONIC, and the best and median are reported as MB/s of
 * input (MB = 2^20 bytes) and as documents a second. The timed region is
 * parse_document() plus doc_free(): no file I/O, no JSON.
 *
 * Must never be built with sanitizers or run as a test: it is a benchmark
 * (`make bench-formats` pins it to one core). Prints one "result" line per
 * file for scripts to read.
 */
#include "doc.h"
#include "parse.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MB (1024.0 * 1024.0)
#define PASS_S 0.5

static double
fbench_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The whole of path, owned; NULL with a message. */
static unsigned char *
fbench_read(const char *path, size_t *lenp)
{
	FILE *f = fopen(path, "rb");
	unsigned char *data = NULL;
	size_t len = 0, cap = 0, n;

	if (f == NULL) {
		fprintf(stderr, "format_bench: cannot open %s: %s\n", path, strerror(errno));
		return NULL;
	}
	do {
		if (len == cap) {
			cap = cap ? cap * 2 : 65536;
			unsigned char *p = realloc(data, cap);
			if (p == NULL) {
				free(data);
				fclose(f);
				fprintf(stderr, "format_bench: out of memory reading %s\n", path);
				return NULL;
			}
			data = p;
		}
		n = fread(data + len, 1, cap - len, f);
		len += n;
	} while (n > 0);
	fclose(f);
	*lenp = len;
	return data;
}

/* Parse once; exits on a parse error. Returns the text length in code points. */
static size_t
fbench_parse(const unsigned char *data, size_t len, size_t *nsec, size_t *nmet)
{
	char err[256];
	struct doc *doc = parse_document(data, len, NULL, err, sizeof(err));

	if (doc == NULL) {
		fprintf(stderr, "format_bench: parse failed: %s\n", err);
		exit(1);
	}
	size_t n = doc->text.len;
	*nsec = doc->nsections;
	*nmet = doc->nmetrics;
	doc_free(&doc);
	return n;
}

static int
fbench_cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static void
fbench_file(const char *path, int reps)
{
	size_t len, nsec, nmet;
	unsigned char *data = fbench_read(path, &len);
	double *rate = calloc((size_t)reps, sizeof(double));

	if (data == NULL || rate == NULL)
		exit(1);
	size_t chars = fbench_parse(data, len, &nsec, &nmet); /* warm-up */
	for (int r = 0; r < reps; r++) {
		size_t docs = 0;
		double t0 = fbench_now(), dt;
		do {
			fbench_parse(data, len, &nsec, &nmet);
			docs++;
		} while ((dt = fbench_now() - t0) < PASS_S);
		rate[r] = (double)docs / dt;
	}
	qsort(rate, (size_t)reps, sizeof(double), fbench_cmp);
	double best = rate[reps - 1];
	double median = reps % 2 ? rate[reps / 2] : (rate[reps / 2 - 1] + rate[reps / 2]) / 2;
	double mb = (double)len / MB;
	printf("%-52s %8zu bytes %5zu chars %3zu sections %3zu metrics: median %7.2f MB/s "
	       "(%7.1f docs/s), best %7.2f MB/s\n",
	       path, len, chars, nsec, nmet, median * mb, median, best * mb);
	printf("result file=%s bytes=%zu chars=%zu sections=%zu metrics=%zu reps=%d "
	       "median_mbps=%.3f best_mbps=%.3f median_docs_per_s=%.2f\n",
	       path, len, chars, nsec, nmet, reps, median * mb, best * mb, median);
	free(rate);
	free(data);
}

int
main(int argc, char **argv)
{
	int reps = 5, c;

	while ((c = getopt(argc, argv, "r:")) != -1) {
		if (c != 'r' || (reps = atoi(optarg)) < 1) {
			fprintf(stderr, "usage: format_bench [-r REPS] FILE...\n");
			return 2;
		}
	}
	if (optind == argc) {
		fprintf(stderr, "usage: format_bench [-r REPS] FILE...\n");
		return 2;
	}
	for (int i = optind; i < argc; i++)
		fbench_file(argv[i], reps);
	return 0;
}
