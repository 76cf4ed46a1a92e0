/*
 * thread.c - start threads with signals blocked (see thread.h). The caller's
 * own mask is put back before returning: only the new thread keeps it.
 */
#include "thread.h"

#include <signal.h>

int
thread_start(pthread_t *t, void *(*fn)(void *), void *arg)
{
	sigset_t all, old;
	/* the new thread inherits the mask in force at pthread_create: set it for that moment */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	int rc = pthread_create(t, NULL, fn, arg);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return rc;
}
