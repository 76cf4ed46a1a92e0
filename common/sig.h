/*
 * sig.h - SIGINT, SIGTERM and SIGCHLD as events for poll loops.
 *
 * The handlers count (sig_stop, sig_child) and write a byte to a self-pipe
 * whose read end, sig_fd(), belongs in every poll set of the process: a
 * signal that arrives between a check of sig_stop and the poll still wakes
 * the poll, on whichever thread the kernel delivered it to. Handlers are
 * installed without SA_RESTART for SIGINT/SIGTERM, so that a blocking call
 * outside a poll loop (waitpid, a sleep) still returns EINTR.
 *
 * Use in a loop:
 *
 *	zmq_pollitem_t items[] = {{NULL, sig_fd(), ZMQ_POLLIN, 0}, ...};
 *	while (!sig_stop) {
 *		zmq_poll(items, n, timeout);	(EINTR: go round)
 *		if (items[0].revents & ZMQ_POLLIN)
 *			sig_drain();		(then look at sig_stop / sig_child)
 *		...
 *	}
 *
 * A plain poll(2) takes {sig_fd(), POLLIN, 0}; curl_multi_poll takes it in
 * extra_fds. Never read sig_fd() yourself: sig_drain() does.
 */
#ifndef RP_SIG_H
#define RP_SIG_H

#include <signal.h>

extern volatile sig_atomic_t sig_stop;	/* SIGINT/SIGTERM received so far */
extern volatile sig_atomic_t sig_child; /* SIGCHLD received (only when asked for) */

/*
 * Count SIGINT and SIGTERM; ignore SIGPIPE. With want_child, also note
 * SIGCHLD. Opens the self-pipe (once; again after sig_reset).
 */
void sig_install(int want_child);
/*
 * Restore the default dispositions and close the self-pipe (in a forked
 * child before it execs or runs a stage: the pipe is its parent's).
 */
void sig_reset(void);

/* The self-pipe's read end: readable once a signal above arrived. -1 before sig_install. */
int sig_fd(void);
/* Empty sig_fd() after it polled readable. Never blocks. */
void sig_drain(void);
/*
 * Sleep up to ms, ending early when SIGINT or SIGTERM arrives (or arrived
 * before). 0 when the whole time passed, -1 when told to stop.
 */
int sig_sleep(long ms);

#endif
