/*
 * doc_json.c - serialise a parsed document.
 *
 * The JSON is the contract with the sink and the scorer: key names and types
 * follow shared/DESIGN.md exactly; unknown values are null, never omitted.
 */
#include "doc_json.h"
#include "buf.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

static struct json_object *
str_or_null(const char *s)
{
	return s ? json_object_new_string(s) : NULL;
}

static struct json_object *
json_number(double v)
{
	char text[64];
	if (fabs(v) < 9e15 && v == floor(v))
		return json_object_new_int64((int64_t)v);
	snprintf(text, sizeof(text), "%.15g", v);
	return json_object_new_double_s(v, text);
}

struct json_object *
doc_to_json(const struct doc *doc)
{
	struct json_object *o = json_object_new_object();
	const struct text *t = &doc->text;

	json_object_object_add(o, "url", str_or_null(doc->url));
	json_object_object_add(o, "sha256", str_or_null(doc->sha256));
	json_object_object_add(o, "content_type", str_or_null(doc->content_type));
	json_object_object_add(o, "charset", str_or_null(doc->charset));
	json_object_object_add(o, "parser_version", json_object_new_int(PARSER_VERSION));
	json_object_object_add(o, "title", str_or_null(doc->title));
	json_object_object_add(o, "issuer", str_or_null(doc->issuer));
	json_object_object_add(o, "report_year",
			       doc->report_year ? json_object_new_int(doc->report_year) : NULL);
	json_object_object_add(o, "published_on",
			       doc->published_on[0] ? json_object_new_string(doc->published_on)
						    : NULL);
	json_object_object_add(o, "genre", str_or_null(doc->genre));
	json_object_object_add(o, "region_code",
			       doc->region_code[0] ? json_object_new_string(doc->region_code) : NULL);
	json_object_object_add(o, "region_name", str_or_null(doc->region_name));
	char *all = text_utf8(t, 0, t->len);
	json_object_object_add(o, "text", json_object_new_string(all));
	free(all);

	struct json_object *secs = json_object_new_array_ext((int)doc->nsections);
	for (size_t i = 0; i < doc->nsections; i++) {
		const struct section *s = &doc->sections[i];
		struct json_object *so = json_object_new_object();
		json_object_object_add(so, "path", json_object_new_string(s->path));
		json_object_object_add(so, "level", json_object_new_int(s->level));
		json_object_object_add(so, "marker", json_object_new_string(s->marker));
		json_object_object_add(so, "heading", json_object_new_string(s->heading));
		json_object_object_add(so, "start", json_object_new_int64((int64_t)s->start));
		json_object_object_add(so, "end", json_object_new_int64((int64_t)s->end));
		json_object_array_add(secs, so);
	}
	json_object_object_add(o, "sections", secs);

	struct json_object *mets = json_object_new_array_ext((int)doc->nmetrics);
	for (size_t i = 0; i < doc->nmetrics; i++) {
		const struct metric *m = &doc->metrics[i];
		struct json_object *mo = json_object_new_object();
		const char *q = qualifier_name(m->qualifier);
		char *txt = text_utf8(t, m->start, m->end);
		char *sent = text_utf8(t, m->sent_start, m->sent_end);
		json_object_object_add(mo, "section_path",
				       m->section >= 0
					       ? json_object_new_string(doc->sections[m->section].path)
					       : NULL);
		json_object_object_add(mo, "label", json_object_new_string(m->label));
		json_object_object_add(mo, "value", json_number(m->value));
		json_object_object_add(mo, "unit", json_object_new_string(m->unit));
		json_object_object_add(mo, "qualifier", str_or_null(q));
		json_object_object_add(mo, "measure", json_object_new_string(measure_name(m->measure)));
		json_object_object_add(mo, "target", json_object_new_boolean(m->target));
		json_object_object_add(mo, "year", m->year ? json_object_new_int(m->year) : NULL);
		json_object_object_add(mo, "key", str_or_null(m->key));
		json_object_object_add(mo, "text", json_object_new_string(txt));
		json_object_object_add(mo, "sentence", json_object_new_string(sent));
		json_object_object_add(mo, "start", json_object_new_int64((int64_t)m->start));
		json_object_object_add(mo, "end", json_object_new_int64((int64_t)m->end));
		/* where the sentence stands, so that the sink stores it as offsets */
		json_object_object_add(mo, "sentence_start",
				       json_object_new_int64((int64_t)m->sent_start));
		json_object_object_add(mo, "sentence_end",
				       json_object_new_int64((int64_t)m->sent_end));
		free(txt);
		free(sent);
		json_object_array_add(mets, mo);
	}
	json_object_object_add(o, "metrics", mets);

	struct json_object *warns = json_object_new_array();
	for (size_t i = 0; i < doc->nwarnings; i++)
		json_object_array_add(warns, json_object_new_string(doc->warnings[i]));
	json_object_object_add(o, "warnings", warns);
	return o;
}

char *
doc_to_text(const struct doc *doc)
{
	struct buf b = {0};
	const struct text *t = &doc->text;

	buf_printf(&b, "title:        %s\n", doc->title ? doc->title : "(none)");
	buf_printf(&b, "issuer:       %s\n", doc->issuer ? doc->issuer : "(none)");
	if (doc->report_year)
		buf_printf(&b, "report year:  %d\n", doc->report_year);
	else
		buf_puts(&b, "report year:  (none)\n");
	buf_printf(&b, "published on: %s\n", doc->published_on[0] ? doc->published_on : "(none)");
	buf_printf(&b, "genre:        %s\n", doc->genre ? doc->genre : "(none)");
	buf_printf(&b, "region:       %s %s\n", doc->region_code[0] ? doc->region_code : "(none)",
		   doc->region_name ? doc->region_name : "");
	buf_printf(&b, "charset:      %s\n", doc->charset ? doc->charset : "(none)");
	buf_printf(&b, "\nsections (%zu):\n", doc->nsections);
	for (size_t i = 0; i < doc->nsections; i++) {
		const struct section *s = &doc->sections[i];
		buf_printf(&b, "%*s%-8s %s%s\n", 2 * (s->level - 1), "", s->path, s->marker,
			   s->heading);
	}
	buf_printf(&b, "\nmetrics (%zu):\n", doc->nmetrics);
	for (size_t i = 0; i < doc->nmetrics; i++) {
		const struct metric *m = &doc->metrics[i];
		const char *q = qualifier_name(m->qualifier);
		char *txt = text_utf8(t, m->start, m->end);
		buf_printf(&b, "%-8s %-24s %.15g %s%s%s  [%s]\n",
			   m->section >= 0 ? doc->sections[m->section].path : "-", m->label,
			   m->value, m->unit, q ? " " : "", q ? q : "", txt);
		free(txt);
	}
	for (size_t i = 0; i < doc->nwarnings; i++)
		buf_printf(&b, "warning: %s\n", doc->warnings[i]);
	return buf_take(&b);
}
