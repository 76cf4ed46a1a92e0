/*
 * proto.h - every name that crosses a process boundary, spelled once.
 *
 * In the manner of Postfix's mail_proto.h: the message types of wire.h's
 * frames, the keys of their JSON headers, the values a few keys take, and
 * the status lines the fetcher writes to `run`. Every stage sends and
 * compares these constants, never a literal, so that a key one side writes
 * and the other reads cannot drift apart unnoticed (content_xpath once did:
 * the parser read it and nothing wrote it). Declares names only: no code,
 * no stage knowledge.
 */
#ifndef RP_PROTO_H
#define RP_PROTO_H

/*
 * Message types, by socket (wire.h frames them).
 * jobs (fetcher ROUTER <-> parser DEALER):
 *   READY      parser -> fetcher: give me a job (and, with "done", I finished one)
 *   HEARTBEAT  both ways while a worker is idle
 *   JOB        fetcher -> parser: one spooled body to parse (see the job keys)
 * results (parser PUSH -> sink PULL):
 *   RESULT     a parsed document, to be stored: the header names the job, the
 *              body is MessagePack (see "The RESULT body" below)
 *   FAILED     a body that could not be parsed ("error"), a dead letter
 * ctl (fetcher DEALER <-> sink ROUTER):
 *   BEGIN -> BEGUN            a run starts; the sink gives its run_id
 *   VALIDATORS -> VALIDATORS  the stored validators of "urls"
 *   DEAD                      a dead letter from the fetcher, acknowledged by ACK
 *   ACK                       sink -> fetcher: a job is committed ("key", "status")
 *   HOLD                      sink -> fetcher: the database is down, keep the leases
 *   FINISH -> SUMMARY         the run ends; the sink records and returns its counts
 */
#define PROTO_MSG_READY "READY"
#define PROTO_MSG_HEARTBEAT "HEARTBEAT"
#define PROTO_MSG_JOB "JOB"
#define PROTO_MSG_RESULT "RESULT"
#define PROTO_MSG_FAILED "FAILED"
#define PROTO_MSG_BEGIN "BEGIN"
#define PROTO_MSG_BEGUN "BEGUN"
#define PROTO_MSG_VALIDATORS "VALIDATORS"
#define PROTO_MSG_DEAD "DEAD"
#define PROTO_MSG_ACK "ACK"
#define PROTO_MSG_HOLD "HOLD"
#define PROTO_MSG_FINISH "FINISH"
#define PROTO_MSG_SUMMARY "SUMMARY"

/*
 * Header keys of a job: the spool header the fetcher writes (fetcher.c) and
 * what it adds at lease time (fetcher_job_header), copied by the parser into
 * its RESULT or FAILED so the sink knows the document's origin.
 */
#define PROTO_KEY_KEY "key" /* the job's spool name, which ACK and DEAD name too */
#define PROTO_KEY_URL "url"
#define PROTO_KEY_FINAL_URL "final_url"
#define PROTO_KEY_SHA256 "sha256"
#define PROTO_KEY_ETAG "etag"
#define PROTO_KEY_LAST_MODIFIED "last_modified"
#define PROTO_KEY_CONTENT_TYPE "content_type"
#define PROTO_KEY_FETCHED_AT "fetched_at"
#define PROTO_KEY_SOURCE "source" /* the [source "name"] the body came from */
#define PROTO_KEY_SOURCE_URL "source_url"
#define PROTO_KEY_LINK_TEXT "link_text"
#define PROTO_KEY_ATTEMPTS "attempts"
#define PROTO_KEY_PARSE_TIMEOUT_MS "parse_timeout_ms"
/* Per-source parse options (fetcher_job_options[] lists the ones a job carries). */
#define PROTO_KEY_CONTENT_XPATH "content_xpath"

/* Keys of the other messages. */
#define PROTO_KEY_RUN "run"	  /* the fetcher's identity on the ctl socket */
#define PROTO_KEY_RUN_ID "run_id" /* ingest_runs.id */
#define PROTO_KEY_PID "pid"
#define PROTO_KEY_DONE "done" /* READY: the key of the job just finished */
#define PROTO_KEY_DOC "doc"   /* reportpipe/1's RESULT: the document as JSON (refused) */
#define PROTO_KEY_ERROR "error"
#define PROTO_KEY_STAGE "stage"
#define PROTO_KEY_STATUS "status"
#define PROTO_KEY_REASON "reason"
#define PROTO_KEY_DOWN_S "down_s"
#define PROTO_KEY_URLS "urls"
#define PROTO_KEY_VALIDATORS "validators"

/* A run's counts: FINISH, SUMMARY, and the status lines. */
#define PROTO_KEY_FETCHED "fetched"
#define PROTO_KEY_UNCHANGED "unchanged"
#define PROTO_KEY_FETCH_FAILED "fetch_failed"
#define PROTO_KEY_PARSED "parsed"
#define PROTO_KEY_STORED "stored"
#define PROTO_KEY_DUPLICATES "duplicates"
#define PROTO_KEY_FAILED "failed"
#define PROTO_KEY_KNOWN_DEAD "known_dead"
#define PROTO_KEY_TRANSACTIONS "transactions"

/* Values of "status": an ACK's outcome, and how a run ended (ingest_runs.status too). */
#define PROTO_STATUS_STORED "stored"
#define PROTO_STATUS_DUPLICATE "duplicate"
#define PROTO_STATUS_FAILED "failed"
#define PROTO_STATUS_INTERRUPTED "interrupted"
#define PROTO_STATUS_OK "ok" /* a run with nothing failed */

/* The fetcher's status lines to `run` (one JSON object a line, "type" says which). */
#define PROTO_KEY_TYPE "type"
#define PROTO_LINE_PROGRESS "progress"
#define PROTO_LINE_SUMMARY "summary"
#define PROTO_KEY_JOBS "jobs"
#define PROTO_KEY_SETTLED "settled"
#define PROTO_KEY_FETCHING "fetching"
#define PROTO_KEY_DRAINING "draining"
#define PROTO_KEY_SOURCES "sources"
#define PROTO_KEY_WHY "why"

/*
 * The RESULT body (since reportpipe/1.1): a MessagePack array of two, the
 * report's bytes (bin) and the parsed document (a map). The parser writes
 * it straight from struct doc (parser/doc_pack.c); the sink reads it
 * straight into COPY rows (sink/sink_rows.c). The map's keys are the JSON
 * document's (shared/DESIGN.md, "Parsed document"), with these differences:
 * url and sha256 travel in the header only, warnings are not sent, and a
 * metric's sentence is sent as its offsets alone (sentence_start,
 * sentence_end), not as a copy. An integral value is an integer, any other
 * a float64. A reader skips the keys it does not know.
 */
#define PROTO_DOC_CONTENT_TYPE "content_type"
#define PROTO_DOC_CHARSET "charset"
#define PROTO_DOC_PARSER_VERSION "parser_version"
#define PROTO_DOC_TITLE "title"
#define PROTO_DOC_ISSUER "issuer"
#define PROTO_DOC_REPORT_YEAR "report_year"
#define PROTO_DOC_PUBLISHED_ON "published_on"
#define PROTO_DOC_GENRE "genre"
#define PROTO_DOC_REGION_CODE "region_code"
#define PROTO_DOC_REGION_NAME "region_name"
#define PROTO_DOC_TEXT "text"
#define PROTO_DOC_SECTIONS "sections" /* an array of maps: */
#define PROTO_DOC_PATH "path"
#define PROTO_DOC_LEVEL "level"
#define PROTO_DOC_MARKER "marker"
#define PROTO_DOC_HEADING "heading"
#define PROTO_DOC_START "start" /* code-point offsets into text, end exclusive */
#define PROTO_DOC_END "end"
#define PROTO_DOC_METRICS "metrics" /* an array of maps: */
#define PROTO_DOC_SECTION_PATH "section_path"
#define PROTO_DOC_LABEL "label"
#define PROTO_DOC_VALUE "value"
#define PROTO_DOC_UNIT "unit"
#define PROTO_DOC_QUALIFIER "qualifier"
#define PROTO_DOC_MEASURE "measure"
#define PROTO_DOC_TARGET "target"
#define PROTO_DOC_YEAR "year"
#define PROTO_DOC_KEY "key"
#define PROTO_DOC_METRIC_TEXT "text"  /* the quantity as written: a copy */
#define PROTO_DOC_SENTENCE "sentence" /* optional: a copy, checked against the offsets */
#define PROTO_DOC_SENTENCE_START "sentence_start"
#define PROTO_DOC_SENTENCE_END "sentence_end"

#endif
