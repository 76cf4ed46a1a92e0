/*
 * sink_msg_fuzz.c - libFuzzer target for the sink's message reader: a
 * parser's message decoded as the sink's results socket reads it
 * (wire_decode), then what sink_prep.c and sink.c do with it before the
 * database: a keyed RESULT's body split into the report and the packed
 * document (sink_rows_split), the document read into rows (sink_rows_new,
 * with sink_mp.c's MessagePack reader), the fields a FAILED message's dead
 * letter takes, and the COPY rows written out with made-up ids.
 *
 * The input is frames separated by "\n~~\n" (fuzz_frames.h); an input with
 * no separator is the body of a RESULT ([report, document] in MessagePack,
 * common/proto.h) under a fixed header, so that most of the effort goes
 * into the document. Seeds: tests/fuzz/seeds/sink_msg/, made from real
 * reports by sink_msg_seeds.c (make fuzz-seeds). Besides what ASan and
 * UBSan catch, the target aborts when a row has the wrong number of columns
 * or an unescaped line break or NUL (COPY would then write values into the
 * wrong columns), when a document is refused without a reason, or when the
 * report is not inside the body. Must never keep state between inputs.
 */
#include "buf.h"
#include "fuzz_frames.h"
#include "log.h"
#include "sink_rows.h"
#include "wire.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	/* a warning per malformed message would be most of the run's time and all of its output */
	log_set_level(LOG_LEVEL_ERROR);
	return 0;
}

static void
fuzz_broken(const char *what, size_t i)
{
	fprintf(stderr, "sink_msg_fuzz: COPY rows broken: %s (row %zu)\n", what, i);
	abort();
}

/* Every row of b has exactly ncols tab-separated fields and ends in one newline. */
static void
fuzz_check_rows(const struct buf *b, size_t nrows, size_t ncols, const char *what)
{
	size_t row = 0, tabs = 0;

	for (size_t i = 0; i < b->len; i++) {
		if (b->data[i] == '\t') {
			tabs++;
		} else if (b->data[i] == '\n') {
			if (tabs + 1 != ncols)
				fuzz_broken(what, row);
			row++;
			tabs = 0;
		} else if (b->data[i] == '\r' || b->data[i] == '\0') {
			fuzz_broken(what, row);
		}
	}
	if (row != nrows || (b->len > 0 && b->data[b->len - 1] != '\n'))
		fuzz_broken(what, row);
}

/* Columns of each table: the comma-separated names of sink_rows.h. */
static size_t
fuzz_ncols(const char *columns)
{
	size_t n = 1;
	for (; *columns; columns++)
		n += *columns == ',';
	return n;
}

static void
fuzz_result(struct wire_msg *m)
{
	char err[512];
	const unsigned char *doc, *report;
	size_t doc_len, report_len;
	if (m->legacy ||
	    sink_rows_split(m->body, m->body_len, &doc, &doc_len, &report, &report_len) < 0)
		return; /* sink_prep.c refuses it as it is */
	if (report < m->body || report + report_len > m->body + m->body_len ||
	    doc + doc_len != m->body + m->body_len)
		fuzz_broken("the report or the document is not inside the body", 0);
	struct sink_doc *d = sink_rows_new(m->hdr, doc, doc_len, err, sizeof(err));
	if (d == NULL) {
		if (err[0] == '\0')
			fuzz_broken("a document refused without a reason", 0);
		return;
	}
	long long *ids = xcalloc(d->nsec + 1, sizeof(*ids));
	for (size_t i = 0; i < d->nsec; i++) {
		ids[i] = 1000 + (long long)i;
		/* sink_rows_sections reads ids[parent]: the parent must be an earlier section */
		if (d->sec_parent[i] >= (long)i || d->sec_parent[i] < -1)
			fuzz_broken("section parent is not an earlier section", i);
	}
	for (size_t i = 0; i < d->nmet; i++)
		if (d->met_sec[i] >= (long)d->nsec || d->met_sec[i] < -1)
			fuzz_broken("metric section index out of range", i);
	struct buf b = {0};
	sink_rows_document(d, 1, 7, &b);
	fuzz_check_rows(&b, 1, fuzz_ncols(SINK_ROWS_DOCUMENT_COLUMNS), "document row");
	buf_reset(&b);
	sink_rows_sections(d, 1, ids, &b);
	fuzz_check_rows(&b, d->nsec, fuzz_ncols(SINK_ROWS_SECTION_COLUMNS), "section row");
	buf_reset(&b);
	sink_rows_metrics(d, 1, d->nsec ? ids : NULL, &b);
	fuzz_check_rows(&b, d->nmet, fuzz_ncols(SINK_ROWS_METRIC_COLUMNS), "metric row");
	buf_release(&b);
	free(ids);
	sink_rows_free(&d);
	sink_rows_free(&d); /* safe twice, as every _free */
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct wire_frame f[FUZZ_FRAMES_MAX];
	struct wire_msg m;
	int n = fuzz_frames(data, size, f, FUZZ_FRAMES_MAX);

	static const char hdr[] = "{\"key\":\"k\",\"url\":\"u\",\"sha256\":\"s\"}";
	if (n == 1) {
		f[3] = f[0];
		f[0] = (struct wire_frame){WIRE_VERSION, strlen(WIRE_VERSION)};
		f[1] = (struct wire_frame){"RESULT", 6};
		f[2] = (struct wire_frame){hdr, strlen(hdr)};
		n = 4;
	}
	/* the results socket is a PULL: no route frame */
	if (wire_decode(f, n, 0, &m) != 0)
		return 0;
	/* sink_prep.c builds rows only for a RESULT with a job key; sink.c reads the rest */
	if (strcmp(m.type, "RESULT") == 0 && wire_str(&m, "key", NULL) != NULL)
		fuzz_result(&m);
	struct buf letter = {0};
	sink_rows_field(&letter, wire_str(&m, "url", "(unknown)"));
	sink_rows_field(&letter, wire_str(&m, "source", NULL));
	sink_rows_field(&letter, wire_str(&m, "error", "parse failed"));
	buf_printf(&letter, "%lld", wire_int(&m, "attempts", 1));
	buf_release(&letter);
	wire_msg_release(&m);
	return 0;
}
