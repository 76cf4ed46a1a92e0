/*
 * sig_test.c - signals as poll events (common/sig.c) and threads started
 * with them blocked (common/thread.c).
 *
 * A signal must make sig_fd() readable even when it arrived before the
 * poll, sig_sleep must end on a stop signal, a forked child must not share
 * its parent's pipe after sig_reset, and a thread from thread_start must
 * block every signal while its creator's mask stays as it was.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "monotime.h"
#include "sig.h"
#include "thread.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

/* The handler may interrupt the poll itself (EINTR): then the byte is there for the next one. */
static int
readable(int fd, int ms)
{
	struct pollfd p = {fd, POLLIN, 0};
	int n;
	while ((n = poll(&p, 1, ms)) < 0 && errno == EINTR)
		;
	return n == 1 && (p.revents & POLLIN);
}

static int
setup(void **state)
{
	(void)state;
	sig_reset();
	sig_install(1);
	return 0;
}

static void
test_signal_before_poll_wakes_it(void **state)
{
	(void)state;
	assert_true(sig_fd() >= 0);
	assert_false(readable(sig_fd(), 0));
	raise(SIGTERM); /* before the poll: the race a counter alone loses */
	assert_int_equal(sig_stop, 1);
	assert_true(readable(sig_fd(), 0));
	sig_drain();
	assert_false(readable(sig_fd(), 0));
	assert_int_equal(sig_stop, 1); /* draining forgets nothing */
	raise(SIGINT);
	assert_int_equal(sig_stop, 2);
	assert_true(readable(sig_fd(), 0));
}

static void
test_child_signal_wakes_the_supervisor(void **state)
{
	(void)state;
	sig_drain();
	pid_t pid = fork();
	if (pid == 0)
		_exit(0);
	assert_true(pid > 0);
	assert_true(readable(sig_fd(), 5000));
	assert_int_equal(sig_child, 1);
	assert_int_equal(waitpid(pid, NULL, 0), pid);
	sig_drain();
}

static void
test_sleep_ends_on_a_stop_signal(void **state)
{
	(void)state;
	long long from = monotime_ms();
	assert_int_equal(sig_sleep(50), 0);
	assert_true(monotime_ms() - from >= 50);

	pid_t parent = getpid(), pid = fork();
	if (pid == 0) {
		usleep(100 * 1000);
		kill(parent, SIGTERM);
		_exit(0);
	}
	from = monotime_ms();
	assert_int_equal(sig_sleep(30000), -1);
	assert_true(monotime_ms() - from < 5000);
	waitpid(pid, NULL, 0);
	/* stopping already: no sleep at all */
	from = monotime_ms();
	assert_int_equal(sig_sleep(30000), -1);
	assert_true(monotime_ms() - from < 100);
}

static void
test_reset_gives_a_child_its_own_pipe(void **state)
{
	(void)state;
	sig_drain();
	int parent_fd = sig_fd();
	pid_t pid = fork();
	if (pid == 0) {
		sig_reset();
		if (sig_fd() != -1 || sig_stop != 0)
			_exit(1);
		sig_install(0);
		raise(SIGTERM); /* the child's own pipe, not the parent's */
		_exit(sig_stop == 1 && readable(sig_fd(), 0) ? 0 : 2);
	}
	int st;
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
	assert_int_equal(sig_fd(), parent_fd);
	/* only the SIGCHLD of that child, none of its SIGTERM */
	sig_drain();
	assert_false(readable(sig_fd(), 0));
}

static void *
thread_mask(void *arg)
{
	sigset_t *mask = arg;
	pthread_sigmask(SIG_SETMASK, NULL, mask);
	return NULL;
}

static void
test_thread_starts_with_signals_blocked(void **state)
{
	(void)state;
	sigset_t before, after, in_thread;
	pthread_t t;
	pthread_sigmask(SIG_SETMASK, NULL, &before);
	assert_false(sigismember(&before, SIGTERM));
	assert_int_equal(thread_start(&t, thread_mask, &in_thread), 0);
	assert_int_equal(pthread_join(t, NULL), 0);
	pthread_sigmask(SIG_SETMASK, NULL, &after);
	static const int sigs[] = {SIGINT, SIGTERM, SIGCHLD, SIGHUP, SIGALRM, SIGPIPE, SIGUSR1};
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
		assert_true(sigismember(&in_thread, sigs[i]));
		assert_int_equal(sigismember(&after, sigs[i]), sigismember(&before, sigs[i]));
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup(test_signal_before_poll_wakes_it, setup),
	    cmocka_unit_test_setup(test_child_signal_wakes_the_supervisor, setup),
	    cmocka_unit_test_setup(test_sleep_ends_on_a_stop_signal, setup),
	    cmocka_unit_test_setup(test_reset_gives_a_child_its_own_pipe, setup),
	    cmocka_unit_test_setup(test_thread_starts_with_signals_blocked, setup),
	};
	return cmocka_run_group_tests_name("sig", tests, NULL, NULL);
}
