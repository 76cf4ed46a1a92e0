/*
 * parser.c - the parser stage's loop.
 *
 * Asks for one job at a time (READY), so a slow worker is never handed more
 * than it can take. Keeps no state between jobs: any number of workers can
 * run, anywhere. Must never acknowledge anything itself: only the sink does,
 * after COMMIT.
 */
#include "parser.h"
#include "buf.h"
#include "doc_json.h"
#include "log.h"
#include "parse.h"
#include "sig.h"

#include <errno.h>
#include <string.h>
#include <sysexits.h>
#include <zmq.h>

/* Copy the job's identifying fields into the outgoing header. */
static void
parser_copy_fields(struct json_object *to, const struct wire_msg *job)
{
	static const char *const keys[] = {"key",	    "url",	    "final_url",
					   "sha256",	    "etag",	    "last_modified",
					   "content_type", "fetched_at", "source",
					   "source_url",   "attempts"};
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		struct json_object *v;
		if (json_object_object_get_ex(job->hdr, keys[i], &v))
			json_object_object_add(to, keys[i], json_object_get(v));
	}
}

static void
parser_handle(void *results, const struct wire_msg *job)
{
	const char *url = wire_str(job, "url", "(unknown)");
	char err[256];
	struct json_object *out = json_object_new_object();
	const unsigned char *body = job->body ? job->body : (const unsigned char *)"";

	parser_copy_fields(out, job);
	/* content_xpath: the source's override of the HTML content extraction, when set */
	struct parse_options opts = {wire_str(job, "content_type", NULL),
				     wire_str(job, "content_xpath", NULL)};
	struct doc *doc = parse_document_opts(body, job->body_len, &opts, err, sizeof(err));
	if (doc == NULL) {
		log_warnx("url=%s cannot parse: %s", url, err);
		json_object_object_add(out, "error", json_object_new_string(err));
		if (wire_send(results, NULL, 0, "FAILED", out, body, job->body_len) < 0)
			log_warnx("url=%s cannot send the failure: %s", url, zmq_strerror(errno));
		json_object_put(out);
		return;
	}
	const char *s;
	if ((s = wire_str(job, "url", NULL)) != NULL)
		doc->url = xstrdup(s);
	if ((s = wire_str(job, "sha256", NULL)) != NULL)
		doc->sha256 = xstrdup(s);
	json_object_object_add(out, "doc", doc_to_json(doc));
	log_debug("url=%s parsed: %zu sections, %zu metrics", url, doc->nsections, doc->nmetrics);
	doc_free(&doc);
	if (wire_send(results, NULL, 0, "RESULT", out, body, job->body_len) < 0)
		log_warnx("url=%s cannot send the result: %s", url, zmq_strerror(errno));
	json_object_put(out);
}

int
parser_main(const struct wire_endpoints *ep)
{
	void *ctx = zmq_ctx_new();
	void *jobs = zmq_socket(ctx, ZMQ_DEALER);
	void *results = zmq_socket(ctx, ZMQ_PUSH);
	int rc = 0;

	wire_socket_defaults(jobs);
	wire_socket_defaults(results);
	if (zmq_connect(jobs, ep->jobs) < 0 || zmq_connect(results, ep->results) < 0) {
		log_warnx("cannot connect: %s", zmq_strerror(errno));
		rc = EX_SOFTWARE;
		goto out;
	}
	int want = 1;
	while (!sig_stop) {
		if (want) {
			if (wire_send(jobs, NULL, 0, "READY", NULL, NULL, 0) < 0) {
				if (errno == EINTR)
					continue;
				log_warnx("cannot ask for work: %s", zmq_strerror(errno));
				rc = EX_SOFTWARE;
				break;
			}
			want = 0;
		}
		zmq_pollitem_t item = {jobs, 0, ZMQ_POLLIN, 0};
		if (zmq_poll(&item, 1, 1000) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (!(item.revents & ZMQ_POLLIN))
			continue;
		struct wire_msg m;
		if (wire_recv(jobs, 0, &m) != 0)
			continue;
		if (strcmp(m.type, "JOB") == 0) {
			parser_handle(results, &m);
			want = 1;
		} else {
			log_warnx("ignored a message of unknown type %s", m.type);
		}
		wire_msg_release(&m);
	}
out:
	zmq_close(jobs);
	zmq_close(results);
	zmq_ctx_term(ctx);
	return rc;
}
