/*
 * doc.h - the parsed document: the contract between parser, sink, tests and
 * `reportpipe parse --format json` (shared/DESIGN.md, "Parsed document").
 *
 * All offsets are code-point offsets into doc->text, end exclusive.
 */
#ifndef RP_DOC_H
#define RP_DOC_H

#include <stddef.h>
#include <stdint.h>

#define PARSER_VERSION 2

/* The normalised text as code points: what every offset points into. */
struct text {
	uint32_t *cp;
	size_t len;
};

struct section {
	char path[192];	 /* "1.6.2": position in the tree (MAX_DEPTH levels) */
	int level;	 /* 1 = top; from the order styles are first used */
	int parent;	 /* index into doc->sections, or -1 */
	char marker[24]; /* the marker as written, UTF-8: "（一）", "2." */
	char *heading;	 /* UTF-8, owned */
	size_t start;	 /* at the marker */
	size_t end;	 /* next section of the same or a higher level, or the end */
};

enum qualifier { QUAL_NONE, QUAL_APPROX, QUAL_OVER, QUAL_MAX, QUAL_MIN };

/* What kind of quantity a figure is (shared/DESIGN.md, "What a figure means"). */
enum measure {
	MEASURE_LEVEL,	/* an amount, count or stock */
	MEASURE_CHANGE, /* a difference in the figure's own unit: 减少2起 -> -2 */
	MEASURE_GROWTH, /* a relative change, % or 倍: 下降14.5% -> -14.5 */
	MEASURE_SHARE	/* a ratio that is a state: 出庭应诉率为86% */
};

struct metric {
	int section;  /* index into doc->sections, or -1 */
	char *label;  /* UTF-8, owned; "" when none found */
	double value; /* 万 and 亿 folded in */
	char *unit;   /* UTF-8, owned; "" when none */
	enum qualifier qualifier;
	enum measure measure;
	int target;		     /* 1: stated as a goal, plan or limit */
	int year;		     /* the calendar year it is about; 0: a span, or unknown */
	const char *key;	     /* its indicator (parse/indicators.txt), static; NULL: none */
	size_t start, end;	     /* the quantity as written: "近13万", "86%" */
	size_t sent_start, sent_end; /* the sentence it stands in */
};

struct doc {
	/* set by the caller (job metadata), may be NULL */
	char *url;
	char *sha256;
	char *content_type;
	/* set by the parser */
	char *charset;
	char *title;
	char *issuer;
	int report_year;       /* 0: unknown */
	char published_on[11]; /* "YYYY-MM-DD", or "" */
	const char *genre;     /* static: one of genre.h's names; NULL until found */
	char region_code[7];   /* the place it speaks for: "440200", "000000"; "" unknown */
	char *region_name;     /* as the report names the place (韶关市, 全国); owned */
	struct text text;
	struct section *sections;
	size_t nsections;
	struct metric *metrics;
	size_t nmetrics;
	char **warnings;
	size_t nwarnings;
};

struct doc *doc_new(void);
void doc_free(struct doc **doc);
void doc_warn(struct doc *doc, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Append a copy of text[start, end) to a UTF-8 string; returns a new owned string. */
char *text_utf8(const struct text *t, size_t start, size_t end);

const char *qualifier_name(enum qualifier q); /* NULL for QUAL_NONE */
const char *measure_name(enum measure m);     /* "level", "change", "growth", "share" */

#endif
