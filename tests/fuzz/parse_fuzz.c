/*
 * parse_fuzz.c - libFuzzer target for the whole parse: bytes in, parsed
 * document, JSON and text outline out, everything freed.
 *
 * Every input is parsed with no content type (format and charset sniffed);
 * the low three bits of the first byte pick a second parse with a declared
 * type (a charset hint, or HTML, PDF, DOCX, octet-stream) so the iconv paths
 * and the Content-Type rules get the same inputs. Besides what ASan and
 * UBSan catch, the target aborts when a document breaks the doc.h contract
 * (offsets out of range, dangling section index), because the sink and the
 * scorer would read past the text on such a document.
 *
 * Must never keep state between inputs: libFuzzer runs millions of them in
 * one process and counts any growth as a leak.
 */
#include "doc.h"
#include "doc_json.h"
#include "parse.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const fuzz_content_types[] = {
    NULL, /* the sniffed parse only */
    "text/plain; charset=gbk",
    "text/plain; charset=utf-16",
    "text/plain; charset=utf-8",
    "text/html; charset=gbk",
    "application/pdf",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/octet-stream",
};

#define FUZZ_NTYPES (sizeof(fuzz_content_types) / sizeof(fuzz_content_types[0]))

/* Abort with a reason: libFuzzer reports it as a crash and saves the input. */
static void
fuzz_broken(const char *what, size_t i)
{
	fprintf(stderr, "parse_fuzz: document contract broken: %s (index %zu)\n", what, i);
	abort();
}

/* The doc.h contract that doc_json, the sink and the scorer rely on. */
static void
fuzz_check_doc(const struct doc *doc)
{
	size_t len = doc->text.len;

	if (len > 0 && doc->text.cp == NULL)
		fuzz_broken("text.cp is NULL with text.len > 0", 0);
	if (doc->nsections > 0 && doc->sections == NULL)
		fuzz_broken("sections is NULL with nsections > 0", 0);
	if (doc->nmetrics > 0 && doc->metrics == NULL)
		fuzz_broken("metrics is NULL with nmetrics > 0", 0);
	if (memchr(doc->published_on, '\0', sizeof(doc->published_on)) == NULL)
		fuzz_broken("published_on not terminated", 0);
	for (size_t i = 0; i < doc->nsections; i++) {
		const struct section *s = &doc->sections[i];
		if (memchr(s->path, '\0', sizeof(s->path)) == NULL)
			fuzz_broken("section path not terminated", i);
		if (memchr(s->marker, '\0', sizeof(s->marker)) == NULL)
			fuzz_broken("section marker not terminated", i);
		if (s->heading == NULL)
			fuzz_broken("section heading is NULL", i);
		if (s->level < 1)
			fuzz_broken("section level < 1", i);
		if (s->parent < -1 || (s->parent >= 0 && (size_t)s->parent >= i))
			fuzz_broken("section parent is not an earlier section", i);
		if (s->start > s->end || s->end > len)
			fuzz_broken("section [start, end) outside the text", i);
	}
	for (size_t i = 0; i < doc->nmetrics; i++) {
		const struct metric *m = &doc->metrics[i];
		if (m->section < -1 || (m->section >= 0 && (size_t)m->section >= doc->nsections))
			fuzz_broken("metric section index out of range", i);
		if (m->label == NULL || m->unit == NULL)
			fuzz_broken("metric label or unit is NULL", i);
		if (m->start > m->end || m->end > len)
			fuzz_broken("metric [start, end) outside the text", i);
		if (m->sent_start > m->sent_end || m->sent_end > len)
			fuzz_broken("metric sentence outside the text", i);
	}
	for (size_t i = 0; i < doc->nwarnings; i++)
		if (doc->warnings[i] == NULL)
			fuzz_broken("warning is NULL", i);
}

/* One parse: either a document, checked and serialised, or an error message. */
static void
fuzz_parse_one(const uint8_t *data, size_t size, const char *content_type)
{
	char err[256];

	err[0] = '\0';
	struct doc *doc = parse_document(data, size, content_type, err, sizeof(err));
	if (doc == NULL) {
		if (err[0] == '\0')
			fuzz_broken("NULL document without an error message", 0);
		return;
	}
	fuzz_check_doc(doc);

	struct json_object *o = doc_to_json(doc);
	if (o == NULL)
		fuzz_broken("doc_to_json returned NULL", 0);
	const char *js = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
	if (js == NULL)
		fuzz_broken("JSON did not serialise", 0);
	json_object_put(o);

	free(doc_to_text(doc));
	doc_free(&doc);
	if (doc != NULL)
		fuzz_broken("doc_free left the pointer set", 0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_parse_one(data, size, NULL);
	if (size > 0 && fuzz_content_types[data[0] % FUZZ_NTYPES] != NULL)
		fuzz_parse_one(data, size, fuzz_content_types[data[0] % FUZZ_NTYPES]);
	return 0;
}
