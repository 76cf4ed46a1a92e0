/*
 * parse_bench.c - parse throughput of parse_document() on real report text.
 *
 * Two measurements over the same bytes, in one run:
 *   per-doc  the seed report parsed as its own document, again and again
 *            until about TARGET MB have gone through (the pipeline's case);
 *   whole    the seed repeated, joined by newlines, to about TARGET MB and
 *            parsed as ONE document (how the parser scales with length).
 * Each is timed with CLOCK_MONOTONIC over several repetitions after one
 * untimed warm-up; the timed region is parse_document() plus doc_free(),
 * nothing else (no file I/O, no JSON). MB here is 2^20 bytes. The process
 * CPU time over the same passes is reported beside it: well under the wall
 * time means the core was shared and the numbers are low.
 *
 * With -w FILE it also writes the whole mode's input to FILE, so that
 * bench/run.sh can time `reportpipe parse` as a whole process on the very
 * same bytes.
 *
 * Must never be built with sanitizers or run as a test: it is a benchmark,
 * and bench/run.sh pins it to one core. Prints the sections and metrics it
 * found so that one can see real work was done, and one "result" line per
 * measurement for bench/run.sh to read.
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

struct bench_stats {
	double best_s;
	double median_s;
	double cpu_share; /* CPU time / wall time over the timed passes */
};

static void
usage(void)
{
	fprintf(stderr, "usage: parse_bench [-m TARGET_MB] [-r REPS] [-w FILE] REPORT.txt\n");
	exit(2);
}

static double
bench_clock(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Read the whole of path into an owned buffer; NULL with a message on failure. */
static unsigned char *
bench_read_file(const char *path, size_t *lenp)
{
	FILE *f = fopen(path, "rb");
	unsigned char *data = NULL;
	size_t len = 0, cap = 0, n;

	if (f == NULL) {
		fprintf(stderr, "parse_bench: cannot open %s: %s\n", path, strerror(errno));
		return NULL;
	}
	do {
		if (len == cap) {
			cap = cap ? cap * 2 : 65536;
			unsigned char *p = realloc(data, cap);
			if (p == NULL) {
				fprintf(stderr, "parse_bench: out of memory reading %s\n", path);
				goto fail;
			}
			data = p;
		}
		n = fread(data + len, 1, cap - len, f);
		len += n;
	} while (n > 0);
	if (ferror(f)) {
		fprintf(stderr, "parse_bench: cannot read %s: %s\n", path, strerror(errno));
		goto fail;
	}
	fclose(f);
	*lenp = len;
	return data;
fail:
	free(data);
	fclose(f);
	return NULL;
}

/* Write data (len bytes) to path; 0, or -1 with a message. */
static int
bench_write_file(const char *path, const unsigned char *data, size_t len)
{
	FILE *f = fopen(path, "wb");

	if (f == NULL) {
		fprintf(stderr, "parse_bench: cannot create %s: %s\n", path, strerror(errno));
		return -1;
	}
	int short_write = fwrite(data, 1, len, f) != len;
	if (fclose(f) != 0 || short_write) {
		fprintf(stderr, "parse_bench: cannot write %s: %s\n", path, strerror(errno));
		return -1;
	}
	return 0;
}

static int
bench_cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Parse data as one document; counts go to *nsec, *nmet. Exits on a parse error. */
static void
bench_parse_once(const unsigned char *data, size_t len, size_t *nsec, size_t *nmet)
{
	char err[256];
	struct doc *doc = parse_document(data, len, "text/plain; charset=utf-8", err, sizeof(err));

	if (doc == NULL) {
		fprintf(stderr, "parse_bench: parse failed: %s\n", err);
		exit(1);
	}
	*nsec = doc->nsections;
	*nmet = doc->nmetrics;
	doc_free(&doc);
}

/*
 * Time reps passes; each pass parses data (len bytes) as a document times
 * times over. One untimed warm-up pass first. Fills st with seconds per pass.
 */
static void
bench_run(const unsigned char *data, size_t len, size_t times, int reps, struct bench_stats *st,
	  size_t *nsec, size_t *nmet)
{
	double *t = calloc((size_t)reps, sizeof(double));
	double cpu0, wall = 0;

	if (t == NULL) {
		fprintf(stderr, "parse_bench: out of memory\n");
		exit(1);
	}
	for (size_t i = 0; i < times; i++)
		bench_parse_once(data, len, nsec, nmet);
	/* the CPU time shows how much of the core the run really had */
	cpu0 = bench_clock(CLOCK_PROCESS_CPUTIME_ID);
	for (int r = 0; r < reps; r++) {
		double t0 = bench_clock(CLOCK_MONOTONIC);
		for (size_t i = 0; i < times; i++)
			bench_parse_once(data, len, nsec, nmet);
		t[r] = bench_clock(CLOCK_MONOTONIC) - t0;
		wall += t[r];
	}
	st->cpu_share = (bench_clock(CLOCK_PROCESS_CPUTIME_ID) - cpu0) / wall;
	qsort(t, (size_t)reps, sizeof(double), bench_cmp_double);
	st->best_s = t[0];
	st->median_s = reps % 2 ? t[reps / 2] : (t[reps / 2 - 1] + t[reps / 2]) / 2;
	free(t);
}

static void
bench_report(const char *mode, size_t bytes, size_t docs, const struct bench_stats *st, int reps)
{
	double mb = (double)bytes / MB;

	printf("%-8s %zu doc(s), %.2f MB per pass, %d passes: best %.1f MB/s (%.2f ms/MB), "
	       "median %.1f MB/s (%.2f ms/MB); CPU time / wall time %.2f\n",
	       mode, docs, mb, reps, mb / st->best_s, st->best_s * 1e3 / mb, mb / st->median_s,
	       st->median_s * 1e3 / mb, st->cpu_share);
	if (st->cpu_share < 0.95)
		printf("warning  %s: the core was shared with other work (CPU/wall %.2f): "
		       "these numbers are low\n",
		       mode, st->cpu_share);
	printf("result mode=%s bytes=%zu docs=%zu reps=%d best_mbps=%.2f median_mbps=%.2f "
	       "best_ms_per_mb=%.3f median_ms_per_mb=%.3f cpu_share=%.3f\n",
	       mode, bytes, docs, reps, mb / st->best_s, mb / st->median_s, st->best_s * 1e3 / mb,
	       st->median_s * 1e3 / mb, st->cpu_share);
}

int
main(int argc, char **argv)
{
	double target_mb = 50;
	int reps = 5, c;
	const char *write_path = NULL;

	while ((c = getopt(argc, argv, "m:r:w:")) != -1) {
		switch (c) {
		case 'm':
			target_mb = atof(optarg);
			break;
		case 'r':
			reps = atoi(optarg);
			break;
		case 'w':
			write_path = optarg;
			break;
		default:
			usage();
		}
	}
	if (optind != argc - 1 || target_mb <= 0 || reps < 1)
		usage();

	size_t seed_len;
	unsigned char *seed = bench_read_file(argv[optind], &seed_len);
	if (seed == NULL)
		return 1;
	if (seed_len == 0) {
		fprintf(stderr, "parse_bench: %s is empty\n", argv[optind]);
		return 1;
	}

	/* the seed joined by newlines until at least target_mb */
	size_t target = (size_t)(target_mb * MB), copies = 0, big_len = 0;
	unsigned char *big = malloc(target + 2 * seed_len + 1);
	if (big == NULL) {
		fprintf(stderr, "parse_bench: out of memory for %.0f MB\n", target_mb);
		return 1;
	}
	while (big_len < target) {
		if (copies > 0)
			big[big_len++] = '\n';
		memcpy(big + big_len, seed, seed_len);
		big_len += seed_len;
		copies++;
	}

	if (write_path && bench_write_file(write_path, big, big_len) < 0)
		return 1;

	size_t sec1, met1, secn, metn;
	bench_parse_once(seed, seed_len, &sec1, &met1);
	printf("seed     %s: %zu bytes (%.4f MB), one parse: %zu sections, %zu metrics\n",
	       argv[optind], seed_len, seed_len / MB, sec1, met1);

	struct bench_stats st;
	bench_run(seed, seed_len, copies, reps, &st, &sec1, &met1);
	bench_report("per-doc", seed_len * copies, copies, &st, reps);

	bench_run(big, big_len, 1, reps, &st, &secn, &metn);
	printf("whole    %zu copies joined as one document: %zu sections, %zu metrics "
	       "(%zu x seed = %zu)\n",
	       copies, secn, metn, copies, copies * met1);
	bench_report("whole", big_len, 1, &st, reps);
	printf("result counts seed_sections=%zu seed_metrics=%zu whole_sections=%zu "
	       "whole_metrics=%zu copies=%zu\n",
	       sec1, met1, secn, metn, copies);

	free(big);
	free(seed);
	return 0;
}
