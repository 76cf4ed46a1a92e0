/*
 * thread.h - the one way to start a thread: with every signal blocked.
 *
 * A signal sent to the process goes to any thread that does not block it.
 * Started here, a helper thread blocks them all, so that SIGINT, SIGTERM and
 * SIGCHLD always reach the thread whose loop polls sig_fd() and acts on them
 * (sig.h), never a helper that would only note them.
 */
#ifndef RP_THREAD_H
#define RP_THREAD_H

#include <pthread.h>

/* pthread_create(t, NULL, fn, arg) with every signal blocked in the new thread: 0 or an errno. */
int thread_start(pthread_t *t, void *(*fn)(void *), void *arg);

#endif
