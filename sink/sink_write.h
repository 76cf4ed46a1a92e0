/*
 * sink_write.h - one parsed document into PostgreSQL, in one transaction.
 */
#ifndef RP_SINK_WRITE_H
#define RP_SINK_WRITE_H

#include <json-c/json.h>
#include <libpq-fe.h>
#include <stddef.h>

enum store_result {
	STORE_STORED,	 /* committed */
	STORE_DUPLICATE, /* (url, sha256) was already stored; nothing written */
	STORE_REJECTED,	 /* the database refused this document: a dead letter */
	STORE_RETRY,	 /* the connection failed: keep the job, reconnect, try again */
};

/*
 * Store job (the RESULT header: url, sha256, source, validators, and "doc",
 * the parsed document) with its raw body. On STORE_REJECTED err holds the
 * reason with its SQLSTATE.
 */
enum store_result sink_write_document(PGconn *conn, struct json_object *job,
				      const unsigned char *body, size_t body_len, char *err,
				      size_t errlen);

/* Record a dead letter; body may be NULL. Returns 0 or -1 (logged). */
int sink_write_dead_letter(PGconn *conn, long long run_id, const char *url, const char *stage,
			   const char *error, int attempts, const unsigned char *body,
			   size_t body_len);

#endif
