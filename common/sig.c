/*
 * sig.c - async-signal-safe signal counting, and the self-pipe that makes
 * a signal an event in a poll set.
 *
 * A self-pipe rather than signalfd: signalfd needs the signals blocked in
 * every thread for the life of the process, and a blocked mask survives
 * fork and exec, so every child (a stage, pg_ctl, initdb) would have to
 * undo it before it could be stopped. It would also take the EINTR away
 * from code that waits in a blocking call (the fetcher's loop, waitpid).
 * With a handler that counts and writes one byte both kinds of waiting work.
 */
#include "sig.h"
#include "monotime.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>

volatile sig_atomic_t sig_stop;
volatile sig_atomic_t sig_child;

static volatile sig_atomic_t sig_pipe_r = -1, sig_pipe_w = -1;

/* Wake whoever polls sig_fd(). A full pipe is readable already: nothing lost. */
static void
sig_wake(void)
{
	int saved = errno;
	char c = 0;
	if (sig_pipe_w >= 0)
		(void)!write(sig_pipe_w, &c, 1);
	errno = saved;
}

static void
sig_on_stop(int signo)
{
	(void)signo;
	sig_stop++;
	sig_wake();
}

static void
sig_on_child(int signo)
{
	(void)signo;
	sig_child = 1;
	sig_wake();
}

void
sig_install(int want_child)
{
	struct sigaction sa;

	if (sig_pipe_r < 0) {
		int p[2];
		/* without the pipe the counters still work: loops only wake later */
		if (pipe2(p, O_NONBLOCK | O_CLOEXEC) == 0) {
			sig_pipe_r = p[0];
			sig_pipe_w = p[1];
		}
	}
	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = sig_on_stop;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
	if (want_child) {
		/* restarted: a child's end must not break a read or write under way */
		sa.sa_handler = sig_on_child;
		sa.sa_flags = SA_NOCLDSTOP | SA_RESTART;
		sigaction(SIGCHLD, &sa, NULL);
	}
}

void
sig_reset(void)
{
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	signal(SIGCHLD, SIG_DFL);
	sig_stop = 0;
	sig_child = 0;
	int r = sig_pipe_r, w = sig_pipe_w;
	sig_pipe_r = sig_pipe_w = -1;
	if (r >= 0)
		close(r);
	if (w >= 0)
		close(w);
}

int
sig_fd(void)
{
	return sig_pipe_r;
}

void
sig_drain(void)
{
	char chunk[64];
	if (sig_pipe_r < 0)
		return;
	while (read(sig_pipe_r, chunk, sizeof(chunk)) > 0)
		;
}

int
sig_sleep(long ms)
{
	long long until = monotime_ms() + ms;
	for (;;) {
		if (sig_stop)
			return -1;
		long long left = until - monotime_ms();
		if (left <= 0)
			return 0;
		struct pollfd p = {sig_fd(), POLLIN, 0};
		/* without a pipe (fd -1) poll just sleeps, and EINTR still ends it early */
		if (poll(&p, 1, (int)left) > 0)
			sig_drain();
	}
}
