/*
 * sig.h - SIGINT/SIGTERM as a counter that poll loops check.
 *
 * The handlers only count, and are installed without SA_RESTART so that a
 * blocking zmq_poll or waitpid returns EINTR and the loop sees the signal.
 */
#ifndef RP_SIG_H
#define RP_SIG_H

#include <signal.h>

extern volatile sig_atomic_t sig_stop;	/* SIGINT/SIGTERM received so far */
extern volatile sig_atomic_t sig_child; /* SIGCHLD received (only when asked for) */

/* Count SIGINT and SIGTERM; ignore SIGPIPE. With want_child, also note SIGCHLD. */
void sig_install(int want_child);
/* Restore the default dispositions (in a forked child before it execs or runs a stage). */
void sig_reset(void);

#endif
