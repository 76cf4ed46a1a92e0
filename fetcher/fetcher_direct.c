/*
 * fetcher_direct.c - fetcher_http driven by a command that waits for the
 * result instead of by the fetcher's loop.
 *
 * It polls only curl's sockets: there is no sink, no spool and no worker.
 * It must never apply rules of its own: whatever the fetcher would refuse
 * (robots.txt, schemes, hosts, max_bytes) is refused in fetcher_http.c.
 */
#include "fetcher_direct.h"
#include "buf.h"
#include "log.h"
#include "sig.h"

#include <errno.h>
#include <stdlib.h>
#include <zmq.h>

#define DIRECT_IDLE_MS 1000 /* the longest wait between two looks at the transfers */

struct fetch_result *
fetcher_direct_next(struct fetcher_http *h)
{
	zmq_pollitem_t *items = NULL;
	struct fetch_result *r = NULL;
	int cap = 0;
	for (;;) {
		fetcher_http_perform(h);
		if ((r = fetcher_http_next(h)) != NULL)
			break;
		if (!fetcher_http_busy(h) || sig_stop)
			break;
		/* the signal descriptor first (when installed), then curl's sockets */
		int n = 0, first = sig_fd() >= 0;
		long timeout = DIRECT_IDLE_MS;
		if (cap < 1) {
			cap = 16;
			items = xreallocarray(items, (size_t)cap, sizeof(*items));
		}
		if (first)
			items[n++] = (zmq_pollitem_t){NULL, sig_fd(), ZMQ_POLLIN, 0};
		fetcher_http_poll_items(h, &items, &n, &cap, &timeout);
		if (zmq_poll(items, n, timeout) < 0) {
			if (errno == EINTR)
				continue;
			log_warnx("poll failed: %s", zmq_strerror(errno));
			break;
		}
		if (first && (items[0].revents & ZMQ_POLLIN))
			sig_drain();
		fetcher_http_on_ready(h, items + first, n - first);
	}
	free(items);
	return r;
}

struct fetch_result *
fetcher_direct_get(const struct config *cfg, const struct source *src, const char *url,
		   enum fetch_kind kind, int from_config)
{
	struct fetcher_http *h = fetcher_http_new(cfg);
	struct fetch_request req = {
	    .url = url, .src = src, .kind = kind, .page = 1, .from_config = from_config};
	fetcher_http_add(h, &req);
	struct fetch_result *r = fetcher_direct_next(h);
	fetcher_http_free(&h);
	return r;
}
