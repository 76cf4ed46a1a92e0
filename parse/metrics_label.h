/*
 * metrics_label.h - the phrase that says what a quantity counts.
 */
#ifndef RP_METRICS_LABEL_H
#define RP_METRICS_LABEL_H

#include "doc.h"

enum label_kind {
	LABEL_CLASSIFIER, /* 359名律师: the noun after the unit comes first */
	LABEL_MEASURE, /* 审结知识产权案件145件, 增长18.1%: the phrase before comes first */
	LABEL_NOUNIT, /* 近13万国家工作人员: only a scale, the noun (if any) follows */
};

/*
 * The label of the quantity written at [qstart, qend), looked for in its
 * clause but not before lo (the previous metric or the sentence start).
 * Returns an owned UTF-8 string, "" when none. *inherit is set when the
 * phrase before is only a predicate (增长, 比上年减少, 占, or nothing), so the
 * caller should rather reuse the label of the metric before it; *used_end is
 * where the label ends when it was taken from after the quantity (else qend),
 * so that the next quantity's phrase starts after it.
 */
char *label_find(const struct text *t, size_t lo, size_t qstart, size_t qend, enum label_kind kind,
		 int *inherit, size_t *used_end);

/* Cut [*a, *b) down to the noun phrase a label is made of (scope, verbs, times off). */
void label_trim(const struct text *t, size_t *a, size_t *b);

/*
 * Give the metrics of a list their own subjects: "A、B分别下降15%、14.5%"
 * labels 15% A and 14.5% B; a later list of the same length in the sentence
 * with no subject of its own ("分别增长…") takes the same ones.
 */
void label_lists(struct doc *doc);

/*
 * Give a label that names only what of something was counted (产量, 增速,
 * 死亡) the owner named by the figure before it in its sentence.
 */
void label_owners(struct doc *doc);

/*
 * Whether [a, b) is only a verb that makes an indicator of the thing
 * counted before (废止, 已办结): its length, with *va where it starts; else 0.
 */
size_t label_bare_verb(const struct text *t, size_t a, size_t b, size_t *va);

/*
 * Whether the clause from c to the label at p names who did it before an
 * object verb (实体平台接受法律咨询): its noun phrase in [*sa, *sb).
 */
int label_subject(const struct text *t, size_t c, size_t p, size_t *sa, size_t *sb);

/* Byte length of the 新增/增发/净增 a UTF-8 label starts with, else 0. */
size_t label_new_verb_prefix(const char *label);

/* Byte length of the verb a UTF-8 label starts with (审结案件 → 审结), else 0. */
size_t label_verb_prefix(const char *label);

/*
 * Give the figures of a breakdown (…申请81件，涉及自然人80件、商业企业1件)
 * the label of the figure they break down, after their own.
 */
void label_parts(struct doc *doc);

/*
 * Give a figure whose clause is only a verb (…2300件，废止830件) the thing
 * the figure before counts, after the verb (废止规章).
 */
void label_verbs(struct doc *doc);

/*
 * Give a multiple its base (…3366亿元，是1997年的1.8倍 → the figure
 * before's label, 相当于1997年), since a multiple means nothing without it.
 */
void label_bases(struct doc *doc);

/*
 * Give the items of a list of figures the first item's modifier that ends
 * in 的, when they share its noun's head (…引起的行政复议案件2件、行政诉讼案件7件).
 */
void label_modifiers(struct doc *doc);

/*
 * Tell apart figures of a section that would share a label (实体平台、网络平台
 * 接受法律咨询…) by the part of their subjects that differs.
 */
void label_collisions(struct doc *doc);

#endif
