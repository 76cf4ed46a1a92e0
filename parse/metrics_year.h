/*
 * metrics_year.h - the year a metric is about (shared/DESIGN.md, "What a
 * figure means"): written in its sentence or heading, relative (去年, 今年),
 * a span (五年来, 年均), or the year its report covers or plans.
 */
#ifndef RP_METRICS_YEAR_H
#define RP_METRICS_YEAR_H

#include "doc.h"

struct year_ctx {
	struct doc *doc;
	const struct text *t;
	int work_report; /* a 政府工作报告: reviews base - 1 and plans base */
	int base;	 /* the year 今年 means; 0: unknown */
	int *heading;	 /* per section: a year it names, 0 none, -1 a span */
	char *heading_done;
	int now; /* year_of's last year is the present (现在，…): a state, not a plan */
};

/* Read what doc says of its own year (work report or not, the year it plans). */
void year_init(struct year_ctx *yc, struct doc *doc);
void year_release(struct year_ctx *yc);

/*
 * The year m is about, 0 for a span or unknown. *named is cleared when
 * neither its sentence, its paragraph's topic nor its headings tell; the
 * caller then falls back to the year the report covers (yc->base, or in a
 * work report base - 1 for a result).
 */
int year_of(struct year_ctx *yc, const struct metric *m, int *named);

/* Whether m is a former state (由原15个工作日), whose year is unknown. */
int year_is_former(const struct text *t, const struct metric *m);

/* Whether m is where a change started (从26.6万亿元增加到…). */
int year_is_from(const struct text *t, const struct metric *m);

/* Whether the clause of [lo, pos) says "now" (现在, 现有, 目前). */
int year_says_now(const struct text *t, size_t lo, size_t pos);

#endif
