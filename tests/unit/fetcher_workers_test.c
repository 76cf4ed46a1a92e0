/*
 * fetcher_workers_test.c - the worker registry: found by identity, one
 * credit each however often it asks, served in the order they asked, and a
 * worker forgotten and heard again is a new one.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "fetcher_workers.h"

#include <stdio.h>
#include <string.h>

/* The lease table's and the spool's asserts are part of what the tests check. */
#ifdef NDEBUG
#error "the test build must keep assert() on"
#endif

static struct worker *
note(struct fetcher_workers *ws, const char *id, long pid)
{
	return fetcher_workers_note(ws, (const unsigned char *)id, strlen(id), pid, 1000);
}

static void
test_found_by_identity(void **state)
{
	(void)state;
	struct fetcher_workers *ws = fetcher_workers_new();
	/* ZeroMQ's own identities begin with a zero byte */
	const unsigned char ida[] = {0, 0x6b, 0x8b, 0x45, 0x67},
			    idb[] = {0, 0x6b, 0x8b, 0x45, 0x68};
	struct worker *a = fetcher_workers_note(ws, ida, sizeof(ida), 11, 1000);
	struct worker *b = fetcher_workers_note(ws, idb, sizeof(idb), 12, 1000);
	assert_ptr_not_equal(a, b);
	assert_ptr_equal(fetcher_workers_note(ws, ida, sizeof(ida), 21, 2000), a);
	assert_int_equal(a->seen_ms, 2000);
	assert_int_equal(a->pid, 21);
	assert_int_equal(fetcher_workers_count(ws), 2);
	assert_ptr_equal(fetcher_workers_by_pid(ws, 12), b);
	assert_null(fetcher_workers_by_pid(ws, 99));
	fetcher_workers_free(&ws);
	assert_null(ws);
}

static void
test_one_credit_first_asked_first_served(void **state)
{
	(void)state;
	struct fetcher_workers *ws = fetcher_workers_new();
	struct worker *a = note(ws, "a", 1), *b = note(ws, "b", 2), *c = note(ws, "c", 3);
	fetcher_workers_credit(ws, b);
	fetcher_workers_credit(ws, a);
	fetcher_workers_credit(ws, b); /* asks again: still one credit */
	fetcher_workers_credit(ws, c);
	assert_ptr_equal(fetcher_workers_take_credit(ws), b);
	assert_int_equal(b->credit, 0);
	assert_ptr_equal(fetcher_workers_take_credit(ws), a);
	/* a forgotten worker's credit goes with it */
	fetcher_workers_forget(ws, &c);
	assert_null(c);
	assert_null(fetcher_workers_take_credit(ws));
	assert_int_equal(fetcher_workers_count(ws), 2);
	fetcher_workers_free(&ws);
}

static void
test_forgotten_and_heard_again_is_new(void **state)
{
	(void)state;
	struct fetcher_workers *ws = fetcher_workers_new();
	struct worker *a = note(ws, "a", 1);
	long serial = a->serial;
	fetcher_workers_forget(ws, &a);
	assert_int_equal(fetcher_workers_count(ws), 0);
	a = note(ws, "a", 1);
	assert_true(a->serial > serial);
	fetcher_workers_free(&ws);
}

/* Many workers: each found again by its identity, none confused with another. */
static void
test_many_workers(void **state)
{
	(void)state;
	struct fetcher_workers *ws = fetcher_workers_new();
	char id[32];
	for (int i = 0; i < 5000; i++) {
		snprintf(id, sizeof(id), "w%d", i);
		note(ws, id, i + 1);
	}
	assert_int_equal(fetcher_workers_count(ws), 5000);
	for (int i = 0; i < 5000; i++) {
		snprintf(id, sizeof(id), "w%d", i);
		struct worker *w = note(ws, id, i + 1);
		assert_int_equal(w->serial, i + 1);
		assert_memory_equal(w->id, id, strlen(id));
	}
	fetcher_workers_free(&ws);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_found_by_identity),
	    cmocka_unit_test(test_one_credit_first_asked_first_served),
	    cmocka_unit_test(test_forgotten_and_heard_again_is_new),
	    cmocka_unit_test(test_many_workers),
	};
	return cmocka_run_group_tests_name("fetcher worker registry", tests, NULL, NULL);
}
