/*
 * cmd_report.c - `reportpipe report`: one self-contained HTML page to look at
 * before querying: the recent runs, the dead letters by cause, and the most
 * common indicators across years (an SVG line chart) and places (a table).
 *
 * The page must open from a mail attachment or an air-gapped share, so it
 * never refers to anything outside itself: inline CSS and SVG, no script, no
 * fonts, no images. Every string from the database is escaped, and only
 * http(s) and file URLs become links. Reads only; never creates a database.
 * The figures carry data-* attributes so that a test can read the page back
 * and compare it with SQL (tests/it/report_test.c).
 */
#include "cmd.h"
#include "cmd_opts.h"
#include "buf.h"
#include "config.h"
#include "log.h"
#include "sink_db.h"
#include "localdb.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sysexits.h>
#include <unistd.h>

#define REPORT_RUNS "20"
#define REPORT_KEYS "8"
#define REPORT_MAX_YEARS 64
#define REPORT_MAX_PLACES 16

/* Chart geometry, in SVG user units. */
#define CHART_W 440
#define CHART_H 160
#define CHART_L 84 /* room for the value labels */
#define CHART_R 12
#define CHART_T 12
#define CHART_B 24

static const char *const report_colors[] = {"#1f6feb", "#d1242f", "#1a7f37",
					    "#9a6700", "#8250df", "#57606a"};
#define REPORT_NCOLORS (sizeof(report_colors) / sizeof(report_colors[0]))

static void
report_usage(FILE *fp)
{
	fputs("usage: reportpipe report [-c FILE] [-o FILE]\n"
	      "\n"
	      "Write one self-contained HTML page (inline CSS and SVG, nothing fetched):\n"
	      "the last " REPORT_RUNS " runs with their counts, the dead letters by cause,\n"
	      "and for each of the " REPORT_KEYS " most common indicator keys of\n"
	      "comparable_metrics a line chart across years and a table across places,\n"
	      "each value linked to its report. A cell shows the result (not a target)\n"
	      "of the key's most common measure and unit, as the latest report states it.\n"
	      "\n"
	      "  -o FILE   write the page to FILE (written aside, then renamed into place);\n"
	      "            the default is standard output\n"
	      "\n"
	      "Exit 0 when written, 64 usage, 69 no database or the schema is behind\n"
	      "(reportpipe db migrate), 73 the page cannot be written, 75 database\n"
	      "unreachable, 78 bad config.\n",
	      fp);
}

/* Append s to b escaped for HTML text and quoted attribute values alike. */
static void
report_esc(struct buf *b, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '&':
			buf_puts(b, "&amp;");
			break;
		case '<':
			buf_puts(b, "&lt;");
			break;
		case '>':
			buf_puts(b, "&gt;");
			break;
		case '"':
			buf_puts(b, "&quot;");
			break;
		case '\'':
			buf_puts(b, "&#39;");
			break;
		default:
			buf_putc(b, *s);
		}
	}
}

/* A section's heading, and a note saying so when r has no rows; r's rows. */
static int
report_heading(struct buf *b, const PGresult *r, const char *id, const char *title,
	       const char *none)
{
	buf_printf(b, "<h2 id=\"%s\">%s</h2>\n", id, title);
	if (PQntuples(r) == 0)
		buf_printf(b, "<p class=\"note\">%s</p>\n", none);
	return PQntuples(r);
}

/*
 * The cells of row i of r: its first ntext columns as text, then the next
 * ncols as numbers, each named by cols for the page's sorting and tests.
 */
static void
report_cells(struct buf *b, const PGresult *r, int i, int ntext, const char *const *cols, int ncols)
{
	for (int c = 0; c < ntext; c++) {
		buf_puts(b, "<td>");
		report_esc(b, PQgetvalue(r, i, c));
		buf_puts(b, "</td>");
	}
	for (int c = 0; c < ncols; c++) {
		buf_printf(b, "<td class=\"n\" data-col=\"%s\">", cols[c]);
		report_esc(b, PQgetvalue(r, i, ntext + c));
		buf_puts(b, "</td>");
	}
}

/* A stored URL becomes a link only with a scheme that cannot run code (javascript:). */
static int
report_linkable(const char *url)
{
	return strncasecmp(url, "https://", 8) == 0 || strncasecmp(url, "http://", 7) == 0 ||
	       strncasecmp(url, "file://", 7) == 0;
}

/* Run a read-only query; NULL after logging what failed. */
static PGresult *
report_query(PGconn *conn, const char *what, const char *sql, int n, const char *const *params)
{
	PGresult *r = PQexecParams(conn, sql, n, NULL, params, NULL, NULL, 0);
	if (PQresultStatus(r) != PGRES_TUPLES_OK) {
		log_warnx("report: cannot read %s: %s", what, PQerrorMessage(conn));
		PQclear(r);
		return NULL;
	}
	return r;
}

static const char report_css[] =
    /* no web font may be fetched: name the CJK faces systems ship */
    "body{font:14px/1.4 'Noto Sans CJK SC','Source Han Sans SC','WenQuanYi Micro Hei',"
    "'PingFang SC','Microsoft YaHei',sans-serif;margin:2em;color:#24292f;max-width:1100px}"
    "h1{font-size:1.5em}h2{font-size:1.2em;margin-top:2em;border-bottom:1px solid #d0d7de}"
    "h3{font-size:1.05em;margin-bottom:.3em}"
    "table{border-collapse:collapse;margin:.5em 0}"
    "th,td{border:1px solid #d0d7de;padding:2px 6px;text-align:left}"
    "td.n{text-align:right;font-variant-numeric:tabular-nums}"
    "th{background:#f6f8fa;white-space:nowrap}"
    "td.v{white-space:nowrap}.wide{overflow-x:auto}"
    "tr.failed td,tr.aborted td{background:#ffebe9}"
    ".note{color:#57606a}svg{background:#fff;border:1px solid #d0d7de}"
    "svg text{font-size:11px;fill:#57606a}";

static int
report_runs(PGconn *conn, struct buf *b)
{
	static const char *const cols[] = {"fetched",	 "unchanged", "parsed",	   "stored",
					   "duplicates", "failed",    "known_dead"};
	const char *p[] = {REPORT_RUNS};
	PGresult *r = report_query(
	    conn, "ingest_runs",
	    "SELECT id, coalesce(name, ''), to_char(started_at, 'YYYY-MM-DD HH24:MI:SS OF'),"
	    " coalesce(to_char(finished_at - started_at, 'HH24:MI:SS'), ''), status, fetched,"
	    " unchanged, parsed, stored, duplicates, failed, known_dead"
	    " FROM ingest_runs ORDER BY id DESC LIMIT $1::int",
	    1, p);
	if (r == NULL)
		return -1;
	if (report_heading(b, r, "runs", "Recent runs", "No runs yet.") > 0) {
		buf_puts(b, "<div class=\"wide\"><table id=\"runs-table\">\n<tr><th>id</th>"
			    "<th>run</th><th>started</th><th>took</th><th>status</th>");
		for (size_t c = 0; c < sizeof(cols) / sizeof(cols[0]); c++)
			buf_printf(b, "<th>%s</th>", cols[c]);
		buf_puts(b, "</tr>\n");
	}
	for (int i = 0; i < PQntuples(r); i++) {
		buf_puts(b, "<tr class=\"");
		report_esc(b, PQgetvalue(r, i, 4));
		buf_puts(b, "\" data-run=\"");
		report_esc(b, PQgetvalue(r, i, 0));
		buf_puts(b, "\">");
		report_cells(b, r, i, 5, cols, (int)(sizeof(cols) / sizeof(cols[0])));
		buf_puts(b, "</tr>\n");
	}
	if (PQntuples(r) > 0)
		buf_puts(b, "</table></div>\n");
	PQclear(r);
	return 0;
}

static int
report_dead_letters(PGconn *conn, struct buf *b)
{
	PGresult *r = report_query(
	    conn, "dead_letters",
	    "SELECT dl.stage, dl.cause, coalesce(dl.source, ''), count(*), sum(dl.count),"
	    " count(w.id), to_char(max(dl.last_seen), 'YYYY-MM-DD HH24:MI:SS OF')"
	    " FROM dead_letters dl LEFT JOIN dead_letters_waiting w ON w.id = dl.id"
	    " GROUP BY 1, 2, 3 ORDER BY sum(dl.count) DESC, max(dl.last_seen) DESC, 1, 2, 3",
	    0, NULL);
	if (r == NULL)
		return -1;
	if (report_heading(b, r, "dead-letters", "Dead letters by cause", "No dead letters.") ==
	    0) {
		PQclear(r);
		return 0;
	}
	buf_puts(b, "<p class=\"note\">URLs that failed for good, by stage, cause and source."
		    " <code>reportpipe dead-letters list</code> shows each one.</p>\n"
		    "<div class=\"wide\"><table id=\"dead-letters-table\">\n<tr><th>stage</th>"
		    "<th>cause</th><th>source</th><th>URLs</th><th>failures</th><th>waiting</th>"
		    "<th>last seen</th></tr>\n");
	static const char *const cols[] = {"urls", "failures", "waiting"};
	for (int i = 0; i < PQntuples(r); i++) {
		buf_puts(b, "<tr data-stage=\"");
		report_esc(b, PQgetvalue(r, i, 0));
		buf_puts(b, "\" data-cause=\"");
		report_esc(b, PQgetvalue(r, i, 1));
		buf_puts(b, "\" data-source=\"");
		report_esc(b, PQgetvalue(r, i, 2));
		buf_puts(b, "\">");
		report_cells(b, r, i, 3, cols, 3);
		buf_puts(b, "<td>");
		report_esc(b, PQgetvalue(r, i, 6));
		buf_puts(b, "</td></tr>\n");
	}
	buf_puts(b, "</table></div>\n");
	PQclear(r);
	return 0;
}

/* The cells of one series: rows (place, year, value, url, document_id), by place, year. */
struct series {
	PGresult *r;
	int years[REPORT_MAX_YEARS], nyears;
	int place_start[REPORT_MAX_PLACES + 1], nplaces; /* row ranges of each place */
	double vmin, vmax;
};

static int
report_int_cmp(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;
	return (x > y) - (x < y);
}

/* Index the rows of s->r: its places, its years, its value range. */
static void
report_series_index(struct series *s)
{
	int n = PQntuples(s->r), i;
	s->nyears = s->nplaces = 0;
	for (i = 0; i < n; i++) {
		const char *place = PQgetvalue(s->r, i, 0);
		if (i == 0 || strcmp(place, PQgetvalue(s->r, i - 1, 0)) != 0) {
			/* the rows come ordered by place, so a page never grows without bound */
			if (s->nplaces == REPORT_MAX_PLACES)
				break;
			s->place_start[s->nplaces++] = i;
		}
		int y = atoi(PQgetvalue(s->r, i, 1)), seen = 0;
		for (int k = 0; k < s->nyears; k++)
			seen |= s->years[k] == y;
		if (!seen && s->nyears < REPORT_MAX_YEARS)
			s->years[s->nyears++] = y;
		double v = strtod(PQgetvalue(s->r, i, 2), NULL);
		if (i == 0 || v < s->vmin)
			s->vmin = v;
		if (i == 0 || v > s->vmax)
			s->vmax = v;
	}
	s->place_start[s->nplaces] = i;
	qsort(s->years, (size_t)s->nyears, sizeof(int), report_int_cmp);
}

/* An axis label: reports write large figures in 万, 亿 and 万亿, so the axis does too. */
static void
report_axis_num(struct buf *b, double v)
{
	double a = v < 0 ? -v : v;
	if (a >= 1e12)
		buf_printf(b, "%.4g万亿", v / 1e12);
	else if (a >= 1e8)
		buf_printf(b, "%.4g亿", v / 1e8);
	else if (a >= 1e4)
		buf_printf(b, "%.4g万", v / 1e4);
	else
		buf_printf(b, "%.4g", v);
}

/*
 * A cell's value as the reports would write it: 7400000000000 is 74000亿,
 * 8590000 is 859万. The decimal point moves in the text, never through a
 * double, so the page states exactly the stored numeric.
 */
static void
report_value(struct buf *b, const char *value)
{
	const char *digits = value + (*value == '-'), *dot = strchr(digits, '.');
	size_t ilen = dot ? (size_t)(dot - digits) : strlen(digits);
	size_t shift = ilen >= 9 ? 8 : ilen >= 6 ? 4 : 0;
	if (shift == 0 || strspn(digits, "0123456789.") != strlen(digits)) {
		report_esc(b, value);
		return;
	}
	struct buf frac = {0};
	buf_append(&frac, digits + ilen - shift, shift);
	if (dot)
		buf_puts(&frac, dot + 1);
	while (frac.len > 0 && frac.data[frac.len - 1] == '0')
		frac.data[--frac.len] = '\0';
	buf_append(b, value, (size_t)(digits - value) + ilen - shift);
	if (frac.len)
		buf_printf(b, ".%s", frac.data);
	buf_puts(b, shift == 8 ? "亿" : "万");
	buf_release(&frac);
}

/* One polyline per place across the years it has; each point names its value. */
static void
report_chart(struct buf *b, const struct series *s, const char *unit)
{
	int y0 = s->years[0], y1 = s->years[s->nyears - 1];
	double v0 = s->vmin, v1 = s->vmax;
	if (v1 - v0 < 1e-12) { /* a flat series still needs a scale */
		v0 -= 1;
		v1 += 1;
	}
	double pw = CHART_W - CHART_L - CHART_R, ph = CHART_H - CHART_T - CHART_B;

	buf_printf(b,
		   "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\""
		   " viewBox=\"0 0 %d %d\" role=\"img\">\n",
		   CHART_W, CHART_H, CHART_W, CHART_H);
	buf_printf(b,
		   "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#d0d7de\"/>"
		   "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#d0d7de\"/>\n",
		   CHART_L, CHART_T, CHART_L, CHART_H - CHART_B, CHART_L, CHART_H - CHART_B,
		   CHART_W - CHART_R, CHART_H - CHART_B);
	buf_printf(b, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">", CHART_L - 4, CHART_T + 8);
	report_axis_num(b, v1);
	report_esc(b, unit);
	buf_printf(b, "</text><text x=\"%d\" y=\"%d\" text-anchor=\"end\">", CHART_L - 4,
		   CHART_H - CHART_B);
	report_axis_num(b, v0);
	report_esc(b, unit);
	buf_printf(b,
		   "</text><text x=\"%d\" y=\"%d\">%d</text>"
		   "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">%d</text>\n",
		   CHART_L, CHART_H - 6, y0, CHART_W - CHART_R, CHART_H - 6, y1);
	for (int p = 0; p < s->nplaces; p++) {
		const char *color = report_colors[(size_t)p % REPORT_NCOLORS];
		struct buf pts = {0}, dots = {0};
		for (int i = s->place_start[p]; i < s->place_start[p + 1]; i++) {
			int y = atoi(PQgetvalue(s->r, i, 1));
			if (y < y0 || y > y1) /* beyond REPORT_MAX_YEARS */
				continue;
			double v = strtod(PQgetvalue(s->r, i, 2), NULL);
			double x = CHART_L + (y1 == y0 ? pw / 2 : pw * (y - y0) / (y1 - y0));
			double yy = CHART_T + ph * (v1 - v) / (v1 - v0);
			buf_printf(&pts, "%s%.1f,%.1f", pts.len ? " " : "", x, yy);
			buf_printf(&dots, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"2.5\" fill=\"%s\">",
				   x, yy, color);
			buf_puts(&dots, "<title>");
			report_esc(&dots, PQgetvalue(s->r, i, 0));
			buf_printf(&dots, " %d: ", y);
			report_esc(&dots, PQgetvalue(s->r, i, 2));
			report_esc(&dots, unit);
			buf_puts(&dots, "</title></circle>");
		}
		buf_printf(b,
			   "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"1.5\""
			   " points=\"%s\"/>%s\n",
			   color, pts.data, dots.data);
		buf_release(&pts);
		buf_release(&dots);
	}
	buf_puts(b, "</svg>\n");
}

/* The table: a row per place, a column per year, each value linked to its report. */
static void
report_table(struct buf *b, const struct series *s, const char *key, const char *measure,
	     const char *unit)
{
	buf_puts(b, "<div class=\"wide\"><table class=\"series\">\n<tr><th>place</th>");
	for (int k = 0; k < s->nyears; k++)
		buf_printf(b, "<th>%d</th>", s->years[k]);
	buf_puts(b, "</tr>\n");
	for (int p = 0; p < s->nplaces; p++) {
		const char *place = PQgetvalue(s->r, s->place_start[p], 0);
		buf_printf(b, "<tr><th><span style=\"color:%s\">&#9632;</span> ",
			   report_colors[(size_t)p % REPORT_NCOLORS]);
		report_esc(b, *place ? place : "(no place)");
		buf_puts(b, "</th>");
		int i = s->place_start[p], end = s->place_start[p + 1];
		for (int k = 0; k < s->nyears; k++) {
			/* skip a year beyond REPORT_MAX_YEARS, which has no column */
			while (i < end && atoi(PQgetvalue(s->r, i, 1)) < s->years[k])
				i++;
			if (i >= end || atoi(PQgetvalue(s->r, i, 1)) != s->years[k]) {
				buf_puts(b, "<td></td>");
				continue;
			}
			const char *value = PQgetvalue(s->r, i, 2), *url = PQgetvalue(s->r, i, 3);
			buf_puts(b, "<td class=\"n v\" data-key=\"");
			report_esc(b, key);
			buf_puts(b, "\" data-measure=\"");
			report_esc(b, measure);
			buf_puts(b, "\" data-unit=\"");
			report_esc(b, unit);
			buf_puts(b, "\" data-place=\"");
			report_esc(b, place);
			buf_printf(b, "\" data-year=\"%d\" data-doc=\"", s->years[k]);
			report_esc(b, PQgetvalue(s->r, i, 4));
			buf_puts(b, "\" data-value=\"");
			report_esc(b, value);
			buf_puts(b, "\">");
			if (report_linkable(url)) {
				buf_puts(b, "<a href=\"");
				report_esc(b, url);
				buf_puts(b, "\">");
				report_value(b, value);
				buf_puts(b, "</a>");
			} else
				report_value(b, value);
			buf_puts(b, "</td>");
			i++;
		}
		buf_puts(b, "</tr>\n");
	}
	buf_puts(b, "</table></div>\n");
}

/* One key: its most common measure and unit among results with a year, charted and tabled. */
static int
report_key(PGconn *conn, struct buf *b, const char *key, const char *mentions)
{
	const char *p[3] = {key};
	PGresult *m = report_query(
	    conn, "the measures of a key",
	    "SELECT measure, unit FROM comparable_metrics WHERE key = $1 AND NOT target"
	    " AND year IS NOT NULL AND measure IS NOT NULL"
	    " GROUP BY 1, 2 ORDER BY count(*) DESC, 1, 2 LIMIT 1",
	    1, p);
	if (m == NULL)
		return -1;
	buf_puts(b, "<h3>");
	report_esc(b, key);
	buf_puts(b, "</h3>\n");
	if (PQntuples(m) == 0) {
		buf_printf(b, "<p class=\"note\">%s mentions, none a result with a year.</p>\n",
			   mentions);
		PQclear(m);
		return 0;
	}
	char *measure = xstrdup(PQgetvalue(m, 0, 0)), *unit = xstrdup(PQgetvalue(m, 0, 1));
	PQclear(m);
	p[1] = measure;
	p[2] = unit;
	/*
	 * A figure restated by a later report (a preliminary GDP revised) shows as
	 * restated. One report may state two values for one cell (a five-year
	 * total the parser dated to one year); the smaller wins, so that the page
	 * is the same on every run rather than whatever order the plan yields.
	 */
	struct series s = {0};
	s.r = report_query(
	    conn, "a key's values",
	    "SELECT DISTINCT ON (place, year) coalesce(region_name, '') AS place,"
	    " year, value::text, url, document_id FROM comparable_metrics"
	    " WHERE key = $1 AND measure = $2 AND unit = $3 AND NOT target"
	    " AND year IS NOT NULL"
	    " ORDER BY place, year, report_year DESC NULLS LAST, document_id DESC, value",
	    3, p);
	if (s.r == NULL) {
		free(measure);
		free(unit);
		return -1;
	}
	report_series_index(&s);
	buf_printf(b, "<p class=\"note\">%s mentions; shown: measure <b>", mentions);
	report_esc(b, measure);
	buf_puts(b, "</b>, unit <b>");
	report_esc(b, *unit ? unit : "(none)");
	buf_puts(b, "</b>, results only, as the latest report states them.</p>\n");
	report_chart(b, &s, unit);
	report_table(b, &s, key, measure, unit);
	PQclear(s.r);
	free(measure);
	free(unit);
	return 0;
}

static int
report_indicators(PGconn *conn, struct buf *b)
{
	const char *p[] = {REPORT_KEYS};
	PGresult *r =
	    report_query(conn, "comparable_metrics",
			 "SELECT key, count(*) FROM comparable_metrics WHERE key IS NOT NULL"
			 " GROUP BY key ORDER BY count(*) DESC, key LIMIT $1::int",
			 1, p);
	if (r == NULL)
		return -1;
	report_heading(b, r, "indicators", "Common indicators",
		       "No figure has an indicator key yet.");
	int rc = 0;
	for (int i = 0; i < PQntuples(r) && rc == 0; i++)
		rc = report_key(conn, b, PQgetvalue(r, i, 0), PQgetvalue(r, i, 1));
	PQclear(r);
	return rc;
}

/* The whole page in b: 0, or -1 when a query failed (logged). */
static int
report_page(PGconn *conn, struct buf *b)
{
	PGresult *r = report_query(
	    conn, "the documents",
	    "SELECT to_char(now(), 'YYYY-MM-DD HH24:MI:SS OF'), count(*) FILTER (WHERE is_current),"
	    " count(DISTINCT sha256) FILTER (WHERE is_current) FROM documents",
	    0, NULL);
	if (r == NULL)
		return -1;
	buf_printf(b,
		   "<!DOCTYPE html>\n<html lang=\"zh\">\n<head>\n<meta charset=\"utf-8\">\n"
		   "<title>reportpipe report</title>\n<style>%s</style>\n</head>\n<body>\n"
		   "<h1>reportpipe report</h1>\n<p class=\"note\">Made %s by reportpipe %s:"
		   " %s current documents (%s distinct bodies).</p>\n",
		   report_css, PQgetvalue(r, 0, 0), RP_VERSION, PQgetvalue(r, 0, 1),
		   PQgetvalue(r, 0, 2));
	PQclear(r);
	if (report_runs(conn, b) < 0 || report_dead_letters(conn, b) < 0 ||
	    report_indicators(conn, b) < 0)
		return -1;
	buf_puts(b, "</body>\n</html>\n");
	return 0;
}

/* Write the page to path (NULL: stdout); a reader never sees half a file. */
static int
report_write(const char *path, const struct buf *b)
{
	if (path == NULL) {
		if (fwrite(b->data, 1, b->len, stdout) != b->len || fflush(stdout) != 0) {
			log_warn("report: cannot write the page to standard output");
			return -1;
		}
		return 0;
	}
	struct buf tmp = {0};
	buf_printf(&tmp, "%s.tmp.%ld", path, (long)getpid());
	FILE *fp = fopen(tmp.data, "w");
	int ok = fp && fwrite(b->data, 1, b->len, fp) == b->len && fflush(fp) == 0 &&
		 fsync(fileno(fp)) == 0;
	if (fp && fclose(fp) != 0)
		ok = 0;
	if (!ok || rename(tmp.data, path) < 0) {
		log_warn("report: cannot write %s", path);
		unlink(tmp.data);
		buf_release(&tmp);
		return -1;
	}
	buf_release(&tmp);
	return 0;
}

int
cmd_report(int argc, char **argv)
{
	const char *out_path = NULL;
	const struct cmd_spec spec = {
	    "report", report_usage, 0, 0, {{"output", 'o', CMD_OPT_STRING, &out_path}}};
	struct config *cfg;
	int stop = cmd_start(argc, argv, &spec, NULL, &cfg);
	if (stop >= 0)
		return stop;
	PGconn *conn;
	int rc = localdb_open_existing(cfg, &conn);
	if (rc == 0) {
		struct buf page = {0};
		if (report_page(conn, &page) < 0)
			rc = EX_SOFTWARE;
		else if (report_write(out_path, &page) < 0)
			rc = EX_CANTCREAT;
		buf_release(&page);
		PQfinish(conn);
	}
	config_free(&cfg);
	return rc;
}
