/*
 * html_tree.h - what html_content.c knows of each element of a parsed page:
 * its kind, its text and link text, its content score; and the iterative
 * walk both passes over the tree use.
 */
#ifndef RP_HTML_TREE_H
#define RP_HTML_TREE_H

#include <stddef.h>

#include <libxml/tree.h>

enum hkind {
	HK_INLINE,
	HK_BLOCK,
	HK_DROP,
	HK_BR,
	HK_CELL,
	HK_ROW,
	HK_TABLE,
	HK_LINK,
};

struct hstat {
	xmlNode *node;
	size_t chars;	   /* non-space code points below */
	size_t link_chars; /* of which inside <a> */
	size_t nlinks;	   /* <a> elements below */
	size_t own_chars;  /* text whose nearest block is this element */
	size_t own_link;
	size_t own_punct;
	size_t max_cell; /* tables: the longest cell */
	double score;	 /* gathered from the paragraphs below */
	unsigned char kind;
	unsigned char nested; /* tables: holds another table */
	unsigned char data;   /* tables: cells are data, written as one line a row */
};

/* The statistics of one subtree; elements point at theirs through _private. */
struct hwalk {
	struct hstat *st;
	size_t nst, cap;
	size_t *blocks; /* open blocks, as indices into st */
	size_t nblocks, capb;
	size_t *tables; /* open tables */
	size_t ntables, capt;
	int in_link;
};

/*
 * Walk the tree below root in document order, iteratively: enter returns
 * whether to descend; leave is called for every node entered with a
 * descent, after its children.
 */
void html_tree_walk(xmlNode *root, int (*enter)(void *, xmlNode *),
		    void (*leave)(void *, xmlNode *), void *ctx);

/* Gather the statistics of every element below root that is not chrome, into w. */
void html_tree_stats(struct hwalk *w, xmlNode *root);

/* The statistics of n, or NULL when n was left out (chrome) or not walked. */
struct hstat *html_tree_stat(const struct hwalk *w, const xmlNode *n);

/* Is the element a block, a table or a part of one? */
int html_tree_blockish(enum hkind k);

/* Clear the elements' _private pointers and free w; safe to call twice. */
void html_tree_release(struct hwalk *w);

#endif
