/*
 * sink_rows.c - a parsed document (JSON) into COPY text-format rows.
 *
 * Everything that can be checked without the database is checked here, so a
 * document that can never be stored is refused before it joins a batch.
 * Must never talk to the database, and never build SQL: it only makes COPY
 * data, where every value is an escaped field.
 */
#include "sink_rows.h"
#include "proto.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char *
rows_str(struct json_object *o, const char *key)
{
	struct json_object *v;
	if (o && json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_string))
		return json_object_get_string(v);
	return NULL;
}

/* An integer field as decimal text into out, or NULL when absent. */
static const char *
rows_int(struct json_object *o, const char *key, char *out, size_t cap)
{
	struct json_object *v;
	if (o && json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_int)) {
		snprintf(out, cap, "%lld", (long long)json_object_get_int64(v));
		return out;
	}
	return NULL;
}

/* Append the n bytes at s as one escaped COPY field. */
static void
rows_field_n(struct buf *b, const char *s, size_t n)
{
	const char *run = s, *end = s + n;
	for (; s < end; s++) {
		const char *esc;
		switch (*s) {
		case '\\':
			esc = "\\\\";
			break;
		case '\t':
			esc = "\\t";
			break;
		case '\n':
			esc = "\\n";
			break;
		case '\r':
			esc = "\\r";
			break;
		default:
			continue;
		}
		buf_append(b, run, (size_t)(s - run));
		buf_puts(b, esc);
		run = s + 1;
	}
	buf_append(b, run, (size_t)(s - run));
}

void
sink_rows_field(struct buf *b, const char *s)
{
	if (s == NULL)
		buf_puts(b, "\\N");
	else
		rows_field_n(b, s, strlen(s));
}

/* Append the fields, tab-separated, ending the row with a newline. */
static void
rows_put(struct buf *b, const char *const *fields, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		sink_rows_field(b, fields[i]);
		buf_putc(b, i + 1 == n ? '\n' : '\t');
	}
}

/*
 * Byte offset of every code point of text (plus one past the end), so that
 * code-point offsets can be checked against the UTF-8 text.
 */
static size_t *
rows_utf8_offsets(const char *text, size_t len, size_t *ncp)
{
	size_t n = 0;
	size_t *off = xreallocarray(NULL, len + 1, sizeof(size_t));
	for (size_t i = 0; i < len; i++)
		if (((unsigned char)text[i] & 0xC0) != 0x80)
			off[n++] = i;
	off[n] = len;
	*ncp = n;
	return off;
}

static size_t
rows_array(struct json_object *o, const char *key, struct json_object **arr)
{
	*arr = NULL;
	if (o && json_object_object_get_ex(o, key, arr) &&
	    json_object_is_type(*arr, json_type_array))
		return json_object_array_length(*arr);
	*arr = NULL;
	return 0;
}

static void
rows_document(struct sink_doc *d, struct json_object *job, struct json_object *doc,
	      const char *text)
{
	char year[16], pv[16], now[32];
	const char *ctype = rows_str(doc, "content_type"), *fetched = rows_str(job, "fetched_at");
	d->etag = rows_str(job, "etag");
	d->last_modified = rows_str(job, "last_modified");
	d->fetched_at = fetched;
	if (fetched == NULL) {
		/* COPY cannot ask for the column default of one row: the sink's clock stands in */
		time_t t = time(NULL);
		struct tm tm;
		strftime(now, sizeof(now), "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&t, &tm));
		fetched = now;
	}
	d->source = rows_str(job, "source");
	d->source_url = rows_str(job, "source_url");
	if (d->source_url == NULL)
		d->source_url = d->url;
	const char *fields[] = {
	    d->url,
	    rows_str(job, "final_url"),
	    d->sha256,
	    d->etag,
	    d->last_modified,
	    ctype ? ctype : rows_str(job, "content_type"),
	    rows_str(doc, "charset"),
	    fetched,
	    rows_str(doc, "title"),
	    rows_str(doc, "issuer"),
	    rows_int(doc, "report_year", year, sizeof(year)),
	    rows_str(doc, "published_on"),
	    rows_int(doc, "parser_version", pv, sizeof(pv)) ? pv : "0",
	    text,
	    "f", /* is_current: set once the batch knows which version is newest */
	    rows_str(doc, "genre"),
	    rows_str(doc, "region_code"),
	    rows_str(doc, "region_name"),
	    rows_str(job, "link_text"),
	};
	rows_put(&d->docrow, fields, sizeof(fields) / sizeof(fields[0]));
}

/* A region code is six digits and a genre one of the five, as the schema checks. */
static int
rows_check_place(struct json_object *doc, char *err, size_t errlen)
{
	static const char *const genres[] = {
	    "法治政府建设报告", "政府信息公开年度报告", "统计公报", "政府工作报告", "其他", NULL};
	const char *code = rows_str(doc, "region_code"), *genre = rows_str(doc, "genre");
	if (code && (strlen(code) != 6 || strspn(code, "0123456789") != 6)) {
		snprintf(err, errlen, "region_code '%.16s' is not six digits", code);
		return -1;
	}
	const char *const *g = genres;
	while (genre && *g && strcmp(*g, genre) != 0)
		g++;
	if (genre && *g == NULL) {
		snprintf(err, errlen, "genre '%.64s' is not one of the five", genre);
		return -1;
	}
	return 0;
}

/* off[0..ncp] are the byte offsets of text's code points (rows_utf8_offsets). */
static int
rows_sections(struct sink_doc *d, struct json_object *doc, size_t ncp, char *err, size_t errlen)
{
	struct json_object *secs;
	size_t n = rows_array(doc, "sections", &secs);
	d->nsec = n;
	d->sec_off = xcalloc(n + 1, sizeof(size_t));
	d->sec_parent = xcalloc(n + 1, sizeof(long));
	for (size_t i = 0; i < n; i++) {
		struct json_object *s = json_object_array_get_idx(secs, i);
		const char *path = rows_str(s, "path");
		char lvl[32], st[32], en[32];
		d->sec_off[i] = d->sec.len;
		if (path == NULL || rows_int(s, "level", lvl, sizeof(lvl)) == NULL ||
		    rows_int(s, "start", st, sizeof(st)) == NULL ||
		    rows_int(s, "end", en, sizeof(en)) == NULL) {
			snprintf(err, errlen, "section %zu is missing path, level, start or end",
				 i);
			return -1;
		}
		long long a = atoll(st), e = atoll(en);
		if (a < 0 || e < a || (unsigned long long)e > ncp) {
			snprintf(err, errlen,
				 "section %.64s has offsets %lld..%lld outside the text (%zu code "
				 "points)",
				 path, a, e, ncp);
			return -1;
		}
		/* parent: the nearest earlier section whose path is ours without its last part */
		d->sec_parent[i] = -1;
		const char *dot = strrchr(path, '.');
		if (dot) {
			size_t plen = (size_t)(dot - path);
			for (size_t j = i; j-- > 0;) {
				const char *pp =
				    rows_str(json_object_array_get_idx(secs, j), "path");
				if (pp && strlen(pp) == plen && strncmp(pp, path, plen) == 0) {
					d->sec_parent[i] = (long)j;
					break;
				}
			}
		}
		const char *marker = rows_str(s, "marker"), *heading = rows_str(s, "heading");
		sink_rows_field(&d->sec, path);
		buf_printf(&d->sec, "\t%s\t", lvl);
		sink_rows_field(&d->sec, marker ? marker : "");
		buf_putc(&d->sec, '\t');
		sink_rows_field(&d->sec, heading ? heading : "");
		/* no body: the view sections cuts it from documents.text at the offsets */
		buf_printf(&d->sec, "\t%s\t%s\n", st, en);
	}
	d->sec_off[n] = d->sec.len;
	return 0;
}

/*
 * Where m's sentence stands in the text: 0 with its code-point offsets in
 * st and en when the parser sent offsets that give exactly its sentence,
 * else -1 (an older parser, or offsets that disagree), and the sentence is
 * stored as a copy.
 */
static int
rows_sentence(struct json_object *m, const char *sentence, const char *text, const size_t *off,
	      size_t ncp, char *st, char *en, size_t cap)
{
	if (sentence == NULL || rows_int(m, "sentence_start", st, cap) == NULL ||
	    rows_int(m, "sentence_end", en, cap) == NULL)
		return -1;
	long long a = atoll(st), e = atoll(en);
	if (a < 0 || e < a || (unsigned long long)e > ncp)
		return -1;
	size_t len = off[e] - off[a];
	return strlen(sentence) == len && memcmp(sentence, text + off[a], len) == 0 ? 0 : -1;
}

/*
 * A metric's measure: one of the names of shared/DESIGN.md, or NULL when the
 * parser that made the document did not say (before parser version 2).
 * Returns 0, or -1 for a name the database would refuse.
 */
static int
rows_measure(struct json_object *m, const char **out)
{
	static const char *const names[] = {"level", "change", "growth", "share", NULL};
	struct json_object *v;
	*out = NULL;
	if (!json_object_object_get_ex(m, "measure", &v) || v == NULL)
		return 0;
	if (!json_object_is_type(v, json_type_string))
		return -1;
	for (const char *const *n = names; *n; n++)
		if (strcmp(json_object_get_string(v), *n) == 0) {
			*out = *n;
			return 0;
		}
	return -1;
}

static int
rows_metrics(struct sink_doc *d, struct json_object *doc, const char *text, const size_t *off,
	     size_t ncp, char *err, size_t errlen)
{
	struct json_object *mets, *secs;
	size_t n = rows_array(doc, "metrics", &mets);
	size_t nsec = rows_array(doc, "sections", &secs), hint = 0;
	d->nmet = n;
	d->met_off = xcalloc(n + 1, sizeof(size_t));
	d->met_sec = xcalloc(n + 1, sizeof(long));
	for (size_t i = 0; i < n; i++) {
		struct json_object *m = json_object_array_get_idx(mets, i), *v;
		const char *spath = rows_str(m, "section_path");
		char st[32], en[32], value[64], year[16], sst[32], sen[32];
		const char *measure;
		d->met_off[i] = d->met.len;
		d->met_sec[i] = -1;
		/* metrics come in text order, so the search starts where the last one matched */
		for (size_t k = 0; spath && k < nsec; k++) {
			size_t j = (hint + k) % nsec;
			const char *p = rows_str(json_object_array_get_idx(secs, j), "path");
			if (p && strcmp(p, spath) == 0) {
				d->met_sec[i] = (long)j;
				hint = j;
				break;
			}
		}
		if (!json_object_object_get_ex(m, "value", &v) ||
		    rows_int(m, "start", st, sizeof(st)) == NULL ||
		    rows_int(m, "end", en, sizeof(en)) == NULL) {
			snprintf(err, errlen, "metric %zu is missing value, start or end", i);
			return -1;
		}
		if (json_object_is_type(v, json_type_int)) {
			snprintf(value, sizeof(value), "%lld", (long long)json_object_get_int64(v));
		} else if (json_object_is_type(v, json_type_double) &&
			   isfinite(json_object_get_double(v))) {
			snprintf(value, sizeof(value), "%.15g", json_object_get_double(v));
		} else {
			snprintf(err, errlen, "metric %zu has a value that is not a number", i);
			return -1;
		}
		if (rows_measure(m, &measure) < 0) {
			snprintf(err, errlen,
				 "metric %zu has a measure that is not one of level,"
				 " change, growth or share",
				 i);
			return -1;
		}
		const char *y = rows_int(m, "year", year, sizeof(year));
		if (y && (atoll(y) < 1 || atoll(y) > 9999)) {
			snprintf(err, errlen, "metric %zu has the year %.20s", i, y);
			return -1;
		}
		struct json_object *tv = NULL;
		json_object_object_get_ex(m, "target", &tv);
		const char *label = rows_str(m, "label"), *unit = rows_str(m, "unit");
		const char *mtext = rows_str(m, "text"), *sentence = rows_str(m, "sentence");
		int at = rows_sentence(m, sentence, text, off, ncp, sst, sen, sizeof(sst));
		const char *fields[] = {
		    spath,
		    label ? label : "",
		    value,
		    unit ? unit : "",
		    rows_str(m, "qualifier"),
		    mtext ? mtext : "",
		    at == 0    ? NULL
		    : sentence ? sentence
			       : "",
		    st,
		    en,
		    measure,
		    json_object_is_type(tv, json_type_boolean) && json_object_get_boolean(tv) ? "t"
											      : "f",
		    y,
		    rows_str(m, "key"),
		    at == 0 ? sst : NULL,
		    at == 0 ? sen : NULL};
		rows_put(&d->met, fields, sizeof(fields) / sizeof(fields[0]));
	}
	d->met_off[n] = d->met.len;
	return 0;
}

struct sink_doc *
sink_rows_new(struct json_object *job, char *err, size_t errlen)
{
	struct json_object *doc = NULL, *textv = NULL;
	struct sink_doc *d = xcalloc(1, sizeof(*d));
	size_t *off = NULL;

	err[0] = '\0';
	json_object_object_get_ex(job, PROTO_KEY_DOC, &doc);
	d->url = rows_str(job, "url");
	d->sha256 = rows_str(job, "sha256");
	if (doc == NULL || d->url == NULL || d->sha256 == NULL ||
	    !json_object_object_get_ex(doc, "text", &textv) ||
	    !json_object_is_type(textv, json_type_string)) {
		snprintf(err, errlen, "result is missing url, sha256 or the parsed document");
		goto fail;
	}
	const char *text = json_object_get_string(textv);
	size_t text_len = (size_t)json_object_get_string_len(textv);
	if (strlen(text) != text_len) {
		snprintf(err, errlen, "the document's text holds a NUL byte");
		goto fail;
	}
	if (rows_check_place(doc, err, errlen) < 0)
		goto fail;
	rows_document(d, job, doc, text);
	struct json_object *arr;
	size_t ncp = 0;
	/* the offsets are only needed to check sections' and sentences' offsets */
	if (rows_array(doc, "sections", &arr) > 0 || rows_array(doc, "metrics", &arr) > 0)
		off = rows_utf8_offsets(text, text_len, &ncp);
	if (rows_sections(d, doc, ncp, err, errlen) < 0 ||
	    rows_metrics(d, doc, text, off, ncp, err, errlen) < 0)
		goto fail;
	free(off);
	return d;
fail:
	free(off);
	sink_rows_free(&d);
	return NULL;
}

void
sink_rows_free(struct sink_doc **dp)
{
	struct sink_doc *d = *dp;
	if (d == NULL)
		return;
	buf_release(&d->docrow);
	buf_release(&d->sec);
	buf_release(&d->met);
	free(d->sec_off);
	free(d->sec_parent);
	free(d->met_off);
	free(d->met_sec);
	free(d);
	*dp = NULL;
}

void
sink_rows_document(const struct sink_doc *d, long long id, long long source_id, struct buf *out)
{
	if (source_id > 0)
		buf_printf(out, "%lld\t%lld\t", id, source_id);
	else
		buf_printf(out, "%lld\t\\N\t", id);
	buf_append(out, d->docrow.data, d->docrow.len);
}

void
sink_rows_sections(const struct sink_doc *d, long long doc_id, const long long *ids,
		   struct buf *out)
{
	for (size_t i = 0; i < d->nsec; i++) {
		if (d->sec_parent[i] >= 0)
			buf_printf(out, "%lld\t%lld\t%lld\t", ids[i], doc_id,
				   ids[d->sec_parent[i]]);
		else
			buf_printf(out, "%lld\t%lld\t\\N\t", ids[i], doc_id);
		buf_append(out, d->sec.data + d->sec_off[i], d->sec_off[i + 1] - d->sec_off[i]);
	}
}

void
sink_rows_metrics(const struct sink_doc *d, long long doc_id, const long long *ids, struct buf *out)
{
	for (size_t i = 0; i < d->nmet; i++) {
		if (ids && d->met_sec[i] >= 0)
			buf_printf(out, "%lld\t%lld\t", doc_id, ids[d->met_sec[i]]);
		else
			buf_printf(out, "%lld\t\\N\t", doc_id);
		buf_append(out, d->met.data + d->met_off[i], d->met_off[i + 1] - d->met_off[i]);
	}
}
