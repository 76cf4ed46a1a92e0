/*
 * sink_rows.c - a parsed document (the MessagePack of a RESULT's body, see
 * proto.h) into COPY text-format rows, read in one pass with no tree between.
 *
 * Everything that can be checked without the database is checked here, so a
 * document that can never be stored is refused before it joins a batch.
 * Must never talk to the database, and never build SQL: it only makes COPY
 * data, where every value is an escaped field.
 */
#include "sink_rows.h"
#include "proto.h"
#include "sink_mp.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <stddef.h>
#include <string.h>
#include <time.h>

/* A string read from the document, borrowed; s is NULL when absent. */
struct rows_str {
	const char *s;
	size_t n;
};

static const char *
rows_str(struct json_object *o, const char *key)
{
	struct json_object *v;
	if (o && json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_string))
		return json_object_get_string(v);
	return NULL;
}

static struct rows_str
rows_c(const char *s)
{
	return (struct rows_str){s, s ? strlen(s) : 0};
}

static int
rows_eq(struct rows_str a, const char *b)
{
	return a.s && a.n == strlen(b) && memcmp(a.s, b, a.n) == 0;
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

/* Append the fields, tab-separated, ending the row with a newline; s NULL is \N. */
static void
rows_put(struct buf *b, const struct rows_str *fields, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (fields[i].s == NULL)
			buf_puts(b, "\\N");
		else
			rows_field_n(b, fields[i].s, fields[i].n);
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

/*
 * One value of a map, by the type the reader wants. A value of another type
 * counts as absent, as a JSON value of the wrong type did. -1 when malformed.
 */
static int
rows_read_str(struct sink_mp *r, struct rows_str *out)
{
	const char *s;
	size_t n;
	int rc = sink_mp_str(r, &s, &n);
	if (rc != 0) {
		*out = (struct rows_str){NULL, 0};
		return rc < 0 ? -1 : 0;
	}
	/* a C string ended at a NUL, as json-c's strings did: COPY cannot carry one */
	const char *nul = memchr(s, '\0', n);
	*out = (struct rows_str){s, nul ? (size_t)(nul - s) : n};
	return 0;
}

/* An integer field, and whether the message had one there. */
struct rows_int {
	long long v;
	int has;
};

/* An integer: 0 with out->has set when it is one; other types leave it unset. */
static int
rows_read_int(struct sink_mp *r, struct rows_int *out)
{
	struct sink_mp_value v;
	if (sink_mp_next(r, &v) < 0)
		return -1;
	out->has = v.type == SINK_MP_INT;
	if (out->has)
		out->v = (long long)v.i;
	return sink_mp_skip(r, &v);
}

/* Decimal text of v into out (cap bytes), as a field. */
static struct rows_str
rows_num(char *out, size_t cap, long long v)
{
	int n = snprintf(out, cap, "%lld", v);
	return (struct rows_str){out, (size_t)n};
}

/*
 * Read a map's pairs one by one: 1 with its key in k and the reader at its
 * value, 0 at the map's end, -1 when malformed. A key that is a container
 * (never a known one) is skipped whole.
 */
static int
rows_pair(struct sink_mp *r, size_t *left, struct sink_mp_value *k)
{
	if (*left == 0)
		return 0;
	(*left)--;
	return sink_mp_next(r, k) < 0 || sink_mp_skip(r, k) < 0 ? -1 : 1;
}

/* Skip the value the reader is at. */
static int
rows_skip_value(struct sink_mp *r)
{
	struct sink_mp_value v;
	return sink_mp_next(r, &v) < 0 || sink_mp_skip(r, &v) < 0 ? -1 : 0;
}

/*
 * A field of a map that the reader keeps, as its key names it: a string or
 * an integer, and where it goes in the struct that map is read into.
 */
enum rows_map { ROWS_END, ROWS_IN_TOP, ROWS_IN_SECTION, ROWS_IN_METRIC };
enum rows_kind { ROWS_STR, ROWS_INT };
struct rows_field {
	enum rows_map map; /* ROWS_END ends the table */
	enum rows_kind kind;
	const char *key;
	size_t offset; /* of its struct rows_str or struct rows_int */
};
#define ROWS_STRUCT_TOP struct rows_top
#define ROWS_STRUCT_SECTION struct rows_section
#define ROWS_STRUCT_METRIC struct rows_metric
#define ROWS_FIELD(map, kind, key, member)                                                         \
	{                                                                                          \
		ROWS_IN_##map, ROWS_##kind, PROTO_DOC_##key, offsetof(ROWS_STRUCT_##map, member)   \
	}

/* The document's own fields: the top-level map's scalars, and where its arrays start. */
struct rows_top {
	struct rows_str content_type, charset, title, issuer, published_on, genre, region_code,
	    region_name, text;
	struct rows_int report_year, parser_version;
	int has_text;				 /* text was a string (possibly empty) */
	const unsigned char *sections, *metrics; /* the arrays' heads, or NULL */
};

/* One section's fields as read. */
struct rows_section {
	struct rows_str path, marker, heading;
	struct rows_int lvl, a, e;
};

/* One metric's fields as read. */
struct rows_metric {
	struct rows_str spath, label, unit, qualifier, measure, key, text, sentence;
	struct sink_mp_value value;
	struct rows_int st, en, sst, sen, year;
	int has_value, target;
	int measure_bad; /* measure is there, neither a string nor nil */
};

/*
 * Every key of the message the sink keeps (net/proto.h), by the map it
 * stands in: the field of that map's struct it is read into.
 */
static const struct rows_field rows_fields[] = {
    ROWS_FIELD(TOP, STR, CONTENT_TYPE, content_type),
    ROWS_FIELD(TOP, STR, CHARSET, charset),
    ROWS_FIELD(TOP, STR, TITLE, title),
    ROWS_FIELD(TOP, STR, ISSUER, issuer),
    ROWS_FIELD(TOP, STR, PUBLISHED_ON, published_on),
    ROWS_FIELD(TOP, STR, GENRE, genre),
    ROWS_FIELD(TOP, STR, REGION_CODE, region_code),
    ROWS_FIELD(TOP, STR, REGION_NAME, region_name),
    ROWS_FIELD(TOP, INT, REPORT_YEAR, report_year),
    ROWS_FIELD(TOP, INT, PARSER_VERSION, parser_version),
    ROWS_FIELD(SECTION, STR, PATH, path),
    ROWS_FIELD(SECTION, STR, MARKER, marker),
    ROWS_FIELD(SECTION, STR, HEADING, heading),
    ROWS_FIELD(SECTION, INT, LEVEL, lvl),
    ROWS_FIELD(SECTION, INT, START, a),
    ROWS_FIELD(SECTION, INT, END, e),
    ROWS_FIELD(METRIC, STR, SECTION_PATH, spath),
    ROWS_FIELD(METRIC, STR, LABEL, label),
    ROWS_FIELD(METRIC, STR, UNIT, unit),
    ROWS_FIELD(METRIC, STR, QUALIFIER, qualifier),
    ROWS_FIELD(METRIC, STR, KEY, key),
    ROWS_FIELD(METRIC, STR, METRIC_TEXT, text),
    ROWS_FIELD(METRIC, STR, SENTENCE, sentence),
    ROWS_FIELD(METRIC, INT, START, st),
    ROWS_FIELD(METRIC, INT, END, en),
    ROWS_FIELD(METRIC, INT, SENTENCE_START, sst),
    ROWS_FIELD(METRIC, INT, SENTENCE_END, sen),
    ROWS_FIELD(METRIC, INT, YEAR, year),
    {ROWS_END, ROWS_STR, NULL, 0}};

/*
 * The value of the pair whose key is k, into the field of base (the struct of
 * map) that the key names: 1 when read, 0 when k names no field of map (the
 * value not read), -1 when malformed.
 */
static int
rows_read_field(struct sink_mp *r, const struct sink_mp_value *k, enum rows_map map, void *base)
{
	for (const struct rows_field *f = rows_fields; f->map != ROWS_END; f++) {
		if (f->map != map || !sink_mp_is(k, f->key))
			continue;
		char *at = (char *)base + f->offset;
		int rc = f->kind == ROWS_STR ? rows_read_str(r, (struct rows_str *)at)
					     : rows_read_int(r, (struct rows_int *)at);
		return rc < 0 ? -1 : 1;
	}
	return 0;
}

static int
rows_read_top(struct sink_mp *r, struct rows_top *t)
{
	struct sink_mp_value m, k;
	size_t left;
	int rc;
	memset(t, 0, sizeof(*t));
	if (sink_mp_next(r, &m) < 0 || m.type != SINK_MP_MAP)
		return -1;
	left = m.len;
	while ((rc = rows_pair(r, &left, &k)) > 0) {
		if ((rc = rows_read_field(r, &k, ROWS_IN_TOP, t)) != 0) {
			if (rc < 0)
				return -1;
			continue;
		}
		if (sink_mp_is(&k, PROTO_DOC_TEXT)) {
			struct sink_mp_value v;
			if (sink_mp_next(r, &v) < 0)
				return -1;
			t->has_text = v.type == SINK_MP_STR;
			t->text =
			    t->has_text ? (struct rows_str){v.s, v.len} : (struct rows_str){0};
			if (sink_mp_skip(r, &v) < 0)
				return -1;
		} else {
			/* the arrays are read once the text is known: remember where they are */
			const unsigned char *at = r->p;
			struct sink_mp_value v;
			if (sink_mp_next(r, &v) < 0 || sink_mp_skip(r, &v) < 0)
				return -1;
			if (v.type == SINK_MP_ARRAY && sink_mp_is(&k, PROTO_DOC_SECTIONS))
				t->sections = at;
			else if (v.type == SINK_MP_ARRAY && sink_mp_is(&k, PROTO_DOC_METRICS))
				t->metrics = at;
		}
	}
	return rc;
}

static void
rows_document(struct sink_doc *d, struct json_object *job, const struct rows_top *t)
{
	char year[24], pv[24], now[32];
	const char *fetched = rows_str(job, PROTO_KEY_FETCHED_AT);
	d->etag = rows_str(job, PROTO_KEY_ETAG);
	d->last_modified = rows_str(job, PROTO_KEY_LAST_MODIFIED);
	d->fetched_at = fetched;
	if (fetched == NULL) {
		/* COPY cannot ask for the column default of one row: the sink's clock stands in */
		time_t tt = time(NULL);
		struct tm tm;
		strftime(now, sizeof(now), "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&tt, &tm));
		fetched = now;
	}
	d->source = rows_str(job, PROTO_KEY_SOURCE);
	d->source_url = rows_str(job, PROTO_KEY_SOURCE_URL);
	if (d->source_url == NULL)
		d->source_url = d->url;
	const struct rows_str fields[] = {
	    rows_c(d->url),
	    rows_c(rows_str(job, PROTO_KEY_FINAL_URL)),
	    rows_c(d->sha256),
	    rows_c(d->etag),
	    rows_c(d->last_modified),
	    t->content_type.s ? t->content_type : rows_c(rows_str(job, PROTO_KEY_CONTENT_TYPE)),
	    t->charset,
	    rows_c(fetched),
	    t->title,
	    t->issuer,
	    t->report_year.has ? rows_num(year, sizeof(year), t->report_year.v)
			       : (struct rows_str){0},
	    t->published_on,
	    t->parser_version.has ? rows_num(pv, sizeof(pv), t->parser_version.v) : rows_c("0"),
	    t->text,
	    rows_c("f"), /* is_current: set once the batch knows which version is newest */
	    t->genre,
	    t->region_code,
	    t->region_name,
	    rows_c(rows_str(job, PROTO_KEY_LINK_TEXT)),
	};
	rows_put(&d->docrow, fields, sizeof(fields) / sizeof(fields[0]));
}

/* A region code is six digits and a genre one of the five, as the schema checks. */
static int
rows_check_place(const struct rows_top *t, char *err, size_t errlen)
{
	static const char *const genres[] = {
	    "法治政府建设报告", "政府信息公开年度报告", "统计公报", "政府工作报告", "其他", NULL};
	struct rows_str code = t->region_code, genre = t->genre;
	if (code.s) {
		size_t digits = 0;
		while (digits < code.n && code.s[digits] >= '0' && code.s[digits] <= '9')
			digits++;
		if (code.n != 6 || digits != 6) {
			snprintf(err, errlen, "region_code '%.*s' is not six digits",
				 (int)(code.n > 16 ? 16 : code.n), code.s);
			return -1;
		}
	}
	const char *const *g = genres;
	while (genre.s && *g && !rows_eq(genre, *g))
		g++;
	if (genre.s && *g == NULL) {
		snprintf(err, errlen, "genre '%.*s' is not one of the five",
			 (int)(genre.n > 64 ? 64 : genre.n), genre.s);
		return -1;
	}
	return 0;
}

/* The array whose head is at `at` (rows_read_top found it): its length, the reader after its head.
 */
static size_t
rows_array_at(const unsigned char *at, const unsigned char *end, struct sink_mp *r)
{
	struct sink_mp_value v;
	*r = (struct sink_mp){at, end};
	if (at == NULL || sink_mp_next(r, &v) < 0 || v.type != SINK_MP_ARRAY)
		return 0; /* rows_read_top checked it already */
	return v.len;
}

/* The next element's head: a map (0 with its size in n), or another value, skipped (1). */
static int
rows_map(struct sink_mp *r, size_t *n)
{
	struct sink_mp_value v;
	if (sink_mp_next(r, &v) < 0)
		return -1;
	if (v.type != SINK_MP_MAP) {
		*n = 0;
		return sink_mp_skip(r, &v) < 0 ? -1 : 1;
	}
	*n = v.len;
	return 0;
}

static int
rows_sections(struct sink_doc *d, const struct rows_top *t, const unsigned char *end, size_t ncp,
	      struct rows_str **paths, char *err, size_t errlen)
{
	struct sink_mp r;
	size_t n = rows_array_at(t->sections, end, &r);
	d->nsec = n;
	d->sec_off = xcalloc(n + 1, sizeof(size_t));
	d->sec_parent = xcalloc(n + 1, sizeof(long));
	*paths = xcalloc(n + 1, sizeof(**paths));
	for (size_t i = 0; i < n; i++) {
		struct rows_section sec = {0};
		int rc;
		size_t left;
		struct sink_mp_value k;
		d->sec_off[i] = d->sec.len;
		if ((rc = rows_map(&r, &left)) < 0)
			goto malformed;
		while ((rc = rows_pair(&r, &left, &k)) > 0) {
			if ((rc = rows_read_field(&r, &k, ROWS_IN_SECTION, &sec)) == 0)
				rc = rows_skip_value(&r);
			if (rc < 0)
				goto malformed;
		}
		if (rc < 0)
			goto malformed;
		const struct rows_str path = sec.path;
		const long long a = sec.a.v, e = sec.e.v;
		if (path.s == NULL || !sec.lvl.has || !sec.a.has || !sec.e.has) {
			snprintf(err, errlen, "section %zu is missing path, level, start or end",
				 i);
			return -1;
		}
		if (a < 0 || e < a || (unsigned long long)e > ncp) {
			snprintf(err, errlen,
				 "section %.*s has offsets %lld..%lld outside the text (%zu code "
				 "points)",
				 (int)(path.n > 64 ? 64 : path.n), path.s, a, e, ncp);
			return -1;
		}
		(*paths)[i] = path;
		/* parent: the nearest earlier section whose path is ours without its last part */
		d->sec_parent[i] = -1;
		size_t plen = path.n;
		while (plen > 0 && path.s[plen - 1] != '.')
			plen--;
		if (plen > 0) {
			plen--; /* the dot */
			for (size_t j = i; j-- > 0;) {
				const struct rows_str *pp = &(*paths)[j];
				if (pp->n == plen && memcmp(pp->s, path.s, plen) == 0) {
					d->sec_parent[i] = (long)j;
					break;
				}
			}
		}
		char lv[24], st[24], en[24];
		/* no body: the view sections cuts it from documents.text at the offsets */
		const struct rows_str fields[] = {path,
						  rows_num(lv, sizeof(lv), sec.lvl.v),
						  sec.marker.s ? sec.marker : rows_c(""),
						  sec.heading.s ? sec.heading : rows_c(""),
						  rows_num(st, sizeof(st), a),
						  rows_num(en, sizeof(en), e)};
		rows_put(&d->sec, fields, sizeof(fields) / sizeof(fields[0]));
	}
	d->sec_off[n] = d->sec.len;
	return 0;
malformed:
	snprintf(err, errlen, "the sections are not well-formed MessagePack");
	return -1;
}

static int
rows_read_metric(struct sink_mp *r, size_t left, struct rows_metric *m)
{
	struct sink_mp_value k;
	int rc;
	memset(m, 0, sizeof(*m));
	while ((rc = rows_pair(r, &left, &k)) > 0) {
		struct sink_mp_value v;
		if ((rc = rows_read_field(r, &k, ROWS_IN_METRIC, m)) != 0) {
			if (rc < 0)
				return -1;
			continue;
		}
		if ((rc = sink_mp_next(r, &v)) == 0) {
			if (sink_mp_is(&k, PROTO_DOC_VALUE)) {
				m->value = v;
				m->has_value = 1;
			} else if (sink_mp_is(&k, PROTO_DOC_TARGET)) {
				m->target = v.type == SINK_MP_BOOL && v.b;
			} else if (sink_mp_is(&k, PROTO_DOC_MEASURE)) {
				m->measure = v.type == SINK_MP_STR ? (struct rows_str){v.s, v.len}
								   : (struct rows_str){0};
				m->measure_bad = v.type != SINK_MP_STR && v.type != SINK_MP_NIL;
			}
			rc = sink_mp_skip(r, &v);
		}
		if (rc < 0)
			return -1;
	}
	return rc;
}

/*
 * A metric's measure: one of the names of shared/DESIGN.md, or NULL when the
 * parser that made the document did not say (before parser version 2).
 * Returns 0, or -1 for a name the database would refuse.
 */
static int
rows_measure(const struct rows_metric *m, const char **out)
{
	static const char *const names[] = {"level", "change", "growth", "share", NULL};
	*out = NULL;
	if (m->measure_bad)
		return -1;
	if (m->measure.s == NULL)
		return 0;
	for (const char *const *n = names; *n; n++)
		if (rows_eq(m->measure, *n)) {
			*out = *n;
			return 0;
		}
	return -1;
}

/*
 * Where m's sentence stands in the text: 0 when the parser sent offsets in
 * the text that give its sentence (and the copy, when it sent one, agrees),
 * else -1 (an older parser, or offsets that disagree), and the sentence is
 * stored as a copy.
 */
static int
rows_sentence(const struct rows_metric *m, const char *text, const size_t *off, size_t ncp)
{
	if (!m->sst.has || !m->sen.has || m->sst.v < 0 || m->sen.v < m->sst.v ||
	    (unsigned long long)m->sen.v > ncp)
		return -1;
	if (m->sentence.s == NULL)
		return 0;
	size_t len = off[m->sen.v] - off[m->sst.v];
	return m->sentence.n == len && memcmp(m->sentence.s, text + off[m->sst.v], len) == 0 ? 0
											     : -1;
}

static int
rows_metrics(struct sink_doc *d, const struct rows_top *t, const unsigned char *end,
	     const size_t *off, size_t ncp, const struct rows_str *paths, char *err, size_t errlen)
{
	struct sink_mp r;
	size_t n = rows_array_at(t->metrics, end, &r), nsec = d->nsec, hint = 0;
	d->nmet = n;
	d->met_off = xcalloc(n + 1, sizeof(size_t));
	d->met_sec = xcalloc(n + 1, sizeof(long));
	for (size_t i = 0; i < n; i++) {
		struct rows_metric m;
		char value[64], year[24], st[24], en[24], sst[24], sen[24];
		const char *measure;
		size_t left;
		d->met_off[i] = d->met.len;
		d->met_sec[i] = -1;
		int rc = rows_map(&r, &left);
		if (rc < 0 || (rc == 0 && rows_read_metric(&r, left, &m) < 0)) {
			snprintf(err, errlen, "metric %zu is not well-formed MessagePack", i);
			return -1;
		}
		if (rc == 1)
			memset(&m, 0, sizeof(m));
		/* metrics come in text order, so the search starts where the last one matched */
		for (size_t k = 0; m.spath.s && k < nsec; k++) {
			size_t j = (hint + k) % nsec;
			if (paths[j].n == m.spath.n &&
			    memcmp(paths[j].s, m.spath.s, m.spath.n) == 0) {
				d->met_sec[i] = (long)j;
				hint = j;
				break;
			}
		}
		if (!m.has_value || !m.st.has || !m.en.has) {
			snprintf(err, errlen, "metric %zu is missing value, start or end", i);
			return -1;
		}
		if (m.value.type == SINK_MP_INT) {
			snprintf(value, sizeof(value), "%lld", (long long)m.value.i);
		} else if (m.value.type == SINK_MP_FLOAT && isfinite(m.value.f)) {
			snprintf(value, sizeof(value), "%.15g", m.value.f);
		} else {
			snprintf(err, errlen, "metric %zu has a value that is not a number", i);
			return -1;
		}
		if (rows_measure(&m, &measure) < 0) {
			snprintf(err, errlen,
				 "metric %zu has a measure that is not one of level,"
				 " change, growth or share",
				 i);
			return -1;
		}
		if (m.year.has && (m.year.v < 1 || m.year.v > 9999)) {
			snprintf(err, errlen, "metric %zu has the year %lld", i, m.year.v);
			return -1;
		}
		int at = rows_sentence(&m, t->text.s, off, ncp);
		const struct rows_str none = {0};
		const struct rows_str fields[] = {
		    m.spath,
		    m.label.s ? m.label : rows_c(""),
		    rows_c(value),
		    m.unit.s ? m.unit : rows_c(""),
		    m.qualifier,
		    m.text.s ? m.text : rows_c(""),
		    at == 0	   ? none
		    : m.sentence.s ? m.sentence
				   : rows_c(""),
		    rows_num(st, sizeof(st), m.st.v),
		    rows_num(en, sizeof(en), m.en.v),
		    rows_c(measure),
		    rows_c(m.target ? "t" : "f"),
		    m.year.has ? rows_num(year, sizeof(year), m.year.v) : none,
		    m.key,
		    at == 0 ? rows_num(sst, sizeof(sst), m.sst.v) : none,
		    at == 0 ? rows_num(sen, sizeof(sen), m.sen.v) : none};
		rows_put(&d->met, fields, sizeof(fields) / sizeof(fields[0]));
	}
	d->met_off[n] = d->met.len;
	return 0;
}

int
sink_rows_split(const unsigned char *body, size_t len, const unsigned char **doc, size_t *doc_len,
		const unsigned char **report, size_t *report_len)
{
	struct sink_mp r = {body, body ? body + len : NULL};
	struct sink_mp_value a, b;
	if (body == NULL || sink_mp_next(&r, &a) < 0 || a.type != SINK_MP_ARRAY || a.len != 2 ||
	    sink_mp_next(&r, &b) < 0 || b.type != SINK_MP_BIN)
		return -1;
	*report = (const unsigned char *)b.s;
	*report_len = b.len;
	*doc = r.p;
	*doc_len = (size_t)(r.end - r.p);
	return 0;
}

struct sink_doc *
sink_rows_new(struct json_object *job, const unsigned char *packed, size_t len, char *err,
	      size_t errlen)
{
	struct sink_doc *d = xcalloc(1, sizeof(*d));
	struct sink_mp r = {packed, packed ? packed + len : NULL};
	struct rows_top t;
	struct rows_str *paths = NULL;
	size_t *off = NULL;

	err[0] = '\0';
	d->url = rows_str(job, PROTO_KEY_URL);
	d->sha256 = rows_str(job, PROTO_KEY_SHA256);
	if (packed == NULL || rows_read_top(&r, &t) < 0) {
		snprintf(err, errlen, "the parsed document is not a well-formed MessagePack map");
		goto fail;
	}
	if (d->url == NULL || d->sha256 == NULL || !t.has_text) {
		snprintf(err, errlen, "result is missing url, sha256 or the parsed document");
		goto fail;
	}
	if (memchr(t.text.s, '\0', t.text.n) != NULL) {
		snprintf(err, errlen, "the document's text holds a NUL byte");
		goto fail;
	}
	if (rows_check_place(&t, err, errlen) < 0)
		goto fail;
	rows_document(d, job, &t);
	size_t ncp = 0;
	/* the offsets are only needed to check sections' and sentences' offsets */
	if (t.sections || t.metrics)
		off = rows_utf8_offsets(t.text.s, t.text.n, &ncp);
	if (rows_sections(d, &t, r.end, ncp, &paths, err, errlen) < 0 ||
	    rows_metrics(d, &t, r.end, off, ncp, paths, err, errlen) < 0)
		goto fail;
	free(paths);
	free(off);
	return d;
fail:
	free(paths);
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
