/*
 * sig.c - async-signal-safe signal counting.
 */
#include "sig.h"

#include <string.h>

volatile sig_atomic_t sig_stop;
volatile sig_atomic_t sig_child;

static void
sig_on_stop(int signo)
{
	(void)signo;
	sig_stop++;
}

static void
sig_on_child(int signo)
{
	(void)signo;
	sig_child = 1;
}

void
sig_install(int want_child)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = sig_on_stop;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
	if (want_child) {
		sa.sa_handler = sig_on_child;
		sa.sa_flags = SA_NOCLDSTOP;
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
}
