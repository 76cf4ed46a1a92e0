/*
 * gov_body_test.c - the one list of the endings of government bodies' names,
 * as both of its readers see it: code points (a title's issuer) and UTF-8
 * (a CMS's ContentSource).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "gov_body.h"

#include <string.h>

static void
test_utf8_endings(void **state)
{
	(void)state;
	const char *s = "江苏省人民政府";
	assert_int_equal(gov_body_end_utf8(s, strlen(s)), strlen("政府"));
	s = "平潭综合实验区管委会";
	assert_int_equal(gov_body_end_utf8(s, strlen(s)), strlen("管委会"));
	s = "韶关市政务服务数据管理中心";
	assert_int_equal(gov_body_end_utf8(s, strlen(s)), strlen("中心"));
	s = "国家统计局";
	assert_int_equal(gov_body_end_utf8(s, strlen(s)), strlen("局"));
	s = "工作报告";
	assert_int_equal(gov_body_end_utf8(s, strlen(s)), 0);
	assert_int_equal(gov_body_end_utf8("", 0), 0);
}

static void
test_code_point_endings(void **state)
{
	(void)state;
	static const uint32_t office[] = U"韶关市人民政府办公室";
	assert_int_equal(gov_body_end(office, 10), 3);
	assert_int_equal(gov_body_end(office, 7), 2); /* 韶关市人民政府 */
	assert_int_equal(gov_body_end(office, 5), 0); /* 韶关市人民 */
	static const uint32_t wei[] = U"发展改革委";
	assert_int_equal(gov_body_end(wei, 5), 1);
	assert_int_equal(gov_body_end(wei, 0), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_utf8_endings),
	    cmocka_unit_test(test_code_point_endings),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
