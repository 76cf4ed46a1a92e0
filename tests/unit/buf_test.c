/*
 * buf_test.c - the growable buffer and the x* allocation wrappers.
 *
 * Checks contents byte for byte (embedded NULs, UTF-8 encodings at every
 * length boundary) and that allocation failures end the process through
 * fatalx() with EX_OSERR instead of returning NULL. Must not depend on the
 * exact growth policy beyond "capacity covers len + 1".
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "buf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <sysexits.h>
#include <unistd.h>

static void
test_append_puts_putc(void **state)
{
	(void)state;
	struct buf b = {0};

	buf_append(&b, "ab", 2);
	buf_puts(&b, "cd");
	buf_putc(&b, 'e');
	assert_int_equal(b.len, 5);
	assert_string_equal(b.data, "abcde");
	assert_true(b.cap >= b.len + 1);
	assert_int_equal(b.data[b.len], '\0');
	buf_release(&b);
}

static void
test_append_binary_keeps_nuls(void **state)
{
	(void)state;
	struct buf b = {0};

	buf_append(&b, "a\0b\0", 4);
	assert_int_equal(b.len, 4);
	assert_memory_equal(b.data, "a\0b\0", 5); /* and the terminating NUL */
	buf_append(&b, NULL, 0);		  /* appending nothing is allowed */
	assert_int_equal(b.len, 4);
	buf_release(&b);
}

static void
test_reserve_gives_empty_string(void **state)
{
	(void)state;
	struct buf b = {0};

	buf_reserve(&b, 0);
	assert_non_null(b.data);
	assert_int_equal(b.len, 0);
	assert_string_equal(b.data, "");
	buf_reserve(&b, 1000);
	assert_true(b.cap >= 1001);
	assert_int_equal(b.len, 0);
	assert_string_equal(b.data, "");
	buf_release(&b);
}

static void
test_growth_keeps_content(void **state)
{
	(void)state;
	struct buf b = {0};
	char expect[10001];

	for (int i = 0; i < 10000; i++) {
		char c = (char)('a' + i % 26);
		buf_putc(&b, c);
		expect[i] = c;
	}
	expect[10000] = '\0';
	assert_int_equal(b.len, 10000);
	assert_true(b.cap >= 10001);
	assert_string_equal(b.data, expect);
	buf_release(&b);
}

static void
test_printf_appends(void **state)
{
	(void)state;
	struct buf b = {0};
	char big[300];

	buf_puts(&b, "x=");
	buf_printf(&b, "%d-%s-%zu", 42, "abc", (size_t)7);
	assert_string_equal(b.data, "x=42-abc-7");
	assert_int_equal(b.len, strlen("x=42-abc-7"));

	memset(big, 'z', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	buf_printf(&b, "[%s]", big); /* longer than the first allocation */
	assert_int_equal(b.len, strlen("x=42-abc-7") + 2 + 299);
	assert_int_equal(b.data[b.len - 1], ']');
	assert_int_equal(b.data[b.len], '\0');
	assert_int_equal(b.data[strlen("x=42-abc-7") + 1], 'z');
	buf_release(&b);
}

static void
test_put_utf8_boundaries(void **state)
{
	(void)state;
	static const struct {
		uint32_t cp;
		const char *utf8;
	} cases[] = {
	    {0x41, "A"},
	    {0x7F, "\x7F"},
	    {0x80, "\xC2\x80"},
	    {0xE9, "\xC3\xA9"},
	    {0x7FF, "\xDF\xBF"},
	    {0x800, "\xE0\xA0\x80"},
	    {0x4E2D, "\xE4\xB8\xAD"}, /* 中 */
	    {0xFFFF, "\xEF\xBF\xBF"},
	    {0x10000, "\xF0\x90\x80\x80"},
	    {0x20BB7, "\xF0\xA0\xAE\xB7"}, /* 𠮷 */
	    {0x10FFFF, "\xF4\x8F\xBF\xBF"},
	    /* not code points: U+FFFD instead */
	    {0xD800, "\xEF\xBF\xBD"},
	    {0xDFFF, "\xEF\xBF\xBD"},
	    {0x110000, "\xEF\xBF\xBD"},
	    {0xFFFFFFFF, "\xEF\xBF\xBD"},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct buf b = {0};
		buf_put_utf8(&b, cases[i].cp);
		assert_int_equal(b.len, strlen(cases[i].utf8));
		assert_memory_equal(b.data, cases[i].utf8, b.len);
		buf_release(&b);
	}
}

static void
test_put_utf8_nul_code_point(void **state)
{
	(void)state;
	struct buf b = {0};

	buf_put_utf8(&b, 0);
	assert_int_equal(b.len, 1);
	assert_int_equal(b.data[0], '\0');
	buf_release(&b);
}

static void
test_take_hands_over_and_resets(void **state)
{
	(void)state;
	struct buf b = {0};

	buf_puts(&b, "hello");
	char *s = buf_take(&b);
	assert_string_equal(s, "hello");
	assert_null(b.data);
	assert_int_equal(b.len, 0);
	assert_int_equal(b.cap, 0);
	free(s);

	/* an untouched buffer still yields an owned, empty string */
	s = buf_take(&b);
	assert_non_null(s);
	assert_string_equal(s, "");
	free(s);

	/* and the buffer is usable again after a take */
	buf_puts(&b, "again");
	assert_string_equal(b.data, "again");
	buf_release(&b);
}

static void
test_reset_keeps_capacity(void **state)
{
	(void)state;
	struct buf b = {0};

	buf_puts(&b, "some text");
	size_t cap = b.cap;
	buf_reset(&b);
	assert_int_equal(b.len, 0);
	assert_int_equal(b.cap, cap);
	assert_string_equal(b.data, "");
	buf_puts(&b, "x");
	assert_string_equal(b.data, "x");
	buf_release(&b);

	struct buf empty = {0};
	buf_reset(&empty); /* no data yet: must not touch NULL */
	assert_null(empty.data);
}

static void
test_release_twice_is_safe(void **state)
{
	(void)state;
	struct buf b = {0};

	buf_puts(&b, "x");
	buf_release(&b);
	assert_null(b.data);
	assert_int_equal(b.len, 0);
	assert_int_equal(b.cap, 0);
	buf_release(&b);
	assert_null(b.data);
}

static void
test_xstr_helpers(void **state)
{
	(void)state;

	char *s = xstrdup("韶关");
	assert_string_equal(s, "韶关");
	free(s);

	s = xstrndup("abcdef", 3);
	assert_string_equal(s, "abc");
	free(s);

	s = xstrndup("ab\0cd", 5); /* copies n bytes, NULs included */
	assert_memory_equal(s, "ab\0cd", 6);
	free(s);

	int *z = xcalloc(16, sizeof(int));
	for (int i = 0; i < 16; i++)
		assert_int_equal(z[i], 0);
	z = xreallocarray(z, 32, sizeof(int));
	z[31] = 7;
	assert_int_equal(z[0], 0);
	assert_int_equal(z[31], 7);
	free(z);

	void *p = xmalloc(0); /* never NULL, even for zero bytes */
	assert_non_null(p);
	free(p);
}

/* Run fn in a child and return its exit status (-1 when it did not exit). */
static int
exit_status_of(void (*fn)(void))
{
	fflush(NULL);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		/* the fatal message is expected: keep the test output clean */
		if (freopen("/dev/null", "w", stderr) == NULL)
			_exit(99);
		fn();
		_exit(0); /* reached only when fn returned: the test then fails */
	}
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void
overflow_reallocarray(void)
{
	void *volatile p = xreallocarray(NULL, SIZE_MAX / 2 + 2, 2);
	free(p);
}

static void
overflow_reserve(void)
{
	struct buf b = {0};
	buf_puts(&b, "0123456789");
	buf_reserve(&b, SIZE_MAX - 5);
	buf_release(&b);
}

static void
test_overflow_is_fatal(void **state)
{
	(void)state;
	assert_int_equal(exit_status_of(overflow_reallocarray), EX_OSERR);
	assert_int_equal(exit_status_of(overflow_reserve), EX_OSERR);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_append_puts_putc),
	    cmocka_unit_test(test_append_binary_keeps_nuls),
	    cmocka_unit_test(test_reserve_gives_empty_string),
	    cmocka_unit_test(test_growth_keeps_content),
	    cmocka_unit_test(test_printf_appends),
	    cmocka_unit_test(test_put_utf8_boundaries),
	    cmocka_unit_test(test_put_utf8_nul_code_point),
	    cmocka_unit_test(test_take_hands_over_and_resets),
	    cmocka_unit_test(test_reset_keeps_capacity),
	    cmocka_unit_test(test_release_twice_is_safe),
	    cmocka_unit_test(test_xstr_helpers),
	    cmocka_unit_test(test_overflow_is_fatal),
	};
	return cmocka_run_group_tests_name("buf", tests, NULL, NULL);
}
