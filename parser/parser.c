/*
 * parser.c - the parser stage's loop.
 *
 * Asks for one job at a time (READY, which also says which job it finished),
 * so a slow worker is never handed more than it can take. Heartbeats go both
 * ways while it is idle; when the fetcher falls silent (its run ended, or a
 * new run started on a tcp:// endpoint) it asks again. A job gets a time
 * limit. Keeps no state between jobs: any number of workers can run,
 * anywhere. Must never acknowledge anything itself: only the sink does,
 * after COMMIT.
 */
#include "parser.h"
#include "monotime.h"
#include "buf.h"
#include "doc_pack.h"
#include "log.h"
#include "parse.h"
#include "proto.h"
#include "sig.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/time.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

/* Copy the job's identifying fields into the outgoing header. */
static void
parser_copy_fields(struct json_object *to, const struct wire_msg *job)
{
	static const char *const keys[] = {
	    PROTO_KEY_KEY,    PROTO_KEY_URL,	       PROTO_KEY_FINAL_URL,    PROTO_KEY_SHA256,
	    PROTO_KEY_ETAG,   PROTO_KEY_LAST_MODIFIED, PROTO_KEY_CONTENT_TYPE, PROTO_KEY_FETCHED_AT,
	    PROTO_KEY_SOURCE, PROTO_KEY_SOURCE_URL,    PROTO_KEY_ATTEMPTS,     PROTO_KEY_RUN,
	    PROTO_KEY_RUN_ID, PROTO_KEY_LINK_TEXT};
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		struct json_object *v;
		if (json_object_object_get_ex(job->hdr, keys[i], &v))
			json_object_object_add(to, keys[i], json_object_get(v));
	}
}

static void
parser_handle(void *results, const struct wire_msg *job)
{
	const char *url = wire_str(job, PROTO_KEY_URL, "(unknown)");
	char err[256];
	struct json_object *out = json_object_new_object();
	const unsigned char *body = job->body ? job->body : (const unsigned char *)"";

	parser_copy_fields(out, job);
	/* content_xpath: the source's override of the HTML content extraction, when set */
	struct parse_options opts = {.content_type = wire_str(job, PROTO_KEY_CONTENT_TYPE, NULL),
				     .content_xpath = wire_str(job, PROTO_KEY_CONTENT_XPATH, NULL),
				     .link_text = wire_str(job, PROTO_KEY_LINK_TEXT, NULL)};
	struct doc *doc = parse_document_opts(body, job->body_len, &opts, err, sizeof(err));
	if (doc == NULL) {
		/* the one line for this failure: the sink records the dead letter quietly */
		log_warnx(
		    "url=%s cannot parse: %s; kept as a dead letter (reportpipe dead-letters)", url,
		    err);
		json_object_object_add(out, PROTO_KEY_ERROR, json_object_new_string(err));
		if (wire_send(results, NULL, 0, PROTO_MSG_FAILED, out, body, job->body_len) < 0)
			log_warnx("url=%s cannot send the failure: %s", url, zmq_strerror(errno));
		json_object_put(out);
		return;
	}
	const char *s;
	if ((s = wire_str(job, PROTO_KEY_URL, NULL)) != NULL)
		doc->url = xstrdup(s);
	if ((s = wire_str(job, PROTO_KEY_SHA256, NULL)) != NULL)
		doc->sha256 = xstrdup(s);
	/* the document goes as MessagePack, the report inside it (proto.h, "The RESULT body") */
	struct buf packed = {0};
	doc_pack(doc, body, job->body_len, &packed);
	log_debug("url=%s parsed: %zu sections, %zu metrics", url, doc->nsections, doc->nmetrics);
	doc_free(&doc);
	if (wire_send(results, NULL, 0, PROTO_MSG_RESULT, out, packed.data, packed.len) < 0)
		log_warnx("url=%s cannot send the result: %s", url, zmq_strerror(errno));
	buf_release(&packed);
	json_object_put(out);
}

/*
 * The job's time limit: past it the kernel ends this process with SIGALRM
 * (whoever supervises it starts a new one, and the fetcher counts the
 * attempt). A hung parse cannot be unwound safely from inside; ending the
 * process can, since a worker holds nothing but the job.
 */
static void
parser_arm(long long ms)
{
	struct itimerval it = {{0, 0}, {(time_t)(ms / 1000), (suseconds_t)(ms % 1000) * 1000}};
	setitimer(ITIMER_REAL, &it, NULL);
}

static int
parser_say(void *jobs, const char *type, const char *done_key)
{
	struct json_object *h = json_object_new_object();
	json_object_object_add(h, PROTO_KEY_PID, json_object_new_int64((int64_t)getpid()));
	if (done_key)
		json_object_object_add(h, PROTO_KEY_DONE, json_object_new_string(done_key));
	int rc = wire_send(jobs, NULL, 0, type, h, NULL, 0);
	json_object_put(h);
	return rc;
}

int
parser_main(const struct config *cfg, const struct wire_endpoints *ep)
{
	void *ctx = zmq_ctx_new();
	void *jobs = wire_open(ctx, ZMQ_DEALER, &ep->jobs, 0, cfg, NULL);
	void *results = wire_open(ctx, ZMQ_PUSH, &ep->results, 0, cfg, NULL);
	int rc = 0, want = 1;
	char done[128] = "";
	long long heard = monotime_ms(), next_beat = heard + WIRE_HEARTBEAT_MS;

	if (jobs == NULL || results == NULL) {
		rc = EX_SOFTWARE;
		goto out;
	}
	signal(SIGALRM, SIG_DFL);
	while (!sig_stop) {
		long long now = monotime_ms();
		if (now - heard > WIRE_LIVENESS_MS) {
			/* the fetcher is gone or new (the next cron run): ask it again */
			log_debug("no word from the fetcher for %d ms; asking for work again",
				  WIRE_LIVENESS_MS);
			want = 1;
			heard = now;
		}
		if (want || now >= next_beat) {
			if (parser_say(jobs, want ? PROTO_MSG_READY : PROTO_MSG_HEARTBEAT,
				       done[0] ? done : NULL) < 0) {
				if (errno == EINTR)
					continue;
				log_warnx("cannot reach the fetcher: %s", zmq_strerror(errno));
				rc = EX_SOFTWARE;
				break;
			}
			want = 0;
			done[0] = '\0';
			next_beat = now + WIRE_HEARTBEAT_MS;
		}
		/* sig_fd: a SIGTERM ends the wait at once, wherever the kernel delivered it */
		zmq_pollitem_t items[] = {{NULL, sig_fd(), ZMQ_POLLIN, 0},
					  {jobs, 0, ZMQ_POLLIN, 0}};
		if (zmq_poll(items, 2, WIRE_HEARTBEAT_MS / 4) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (items[0].revents & ZMQ_POLLIN)
			sig_drain();
		if (sig_stop || !(items[1].revents & ZMQ_POLLIN))
			continue;
		struct wire_msg m;
		if (wire_recv(jobs, 0, &m) != 0)
			continue;
		heard = monotime_ms();
		if (strcmp(m.type, PROTO_MSG_JOB) == 0) {
			long long limit =
			    wire_int(&m, PROTO_KEY_PARSE_TIMEOUT_MS, cfg->parse_timeout_ms);
			parser_arm(limit > 0 ? limit : cfg->parse_timeout_ms);
			parser_handle(results, &m);
			parser_arm(0);
			snprintf(done, sizeof(done), "%s", wire_str(&m, PROTO_KEY_KEY, ""));
			want = 1;
		} else if (strcmp(m.type, PROTO_MSG_HEARTBEAT) != 0) {
			log_warnx("ignored a message of unknown type %s", m.type);
		}
		wire_msg_release(&m);
	}
out:
	if (jobs) {
		/*
		 * what waits there is a READY or a heartbeat, worth nothing to a
		 * fetcher that may be gone: never hold the exit for it (a result,
		 * on the other socket, keeps its linger)
		 */
		int linger = 0;
		zmq_setsockopt(jobs, ZMQ_LINGER, &linger, sizeof(linger));
		zmq_close(jobs);
	}
	if (results)
		zmq_close(results);
	zmq_ctx_term(ctx);
	return rc;
}
