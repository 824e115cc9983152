/* Unit tests for app/api/etag.c: the strong tag of a version, and
 * If-Match (RFC 9110: "*" or a list; strong comparison). */
#include "tests/unit/unit.h"

#include <stdio.h>
#include <string.h>

#include "app/api/etag.h"

static void test_format(void **state)
{
	char out[ETAG_MAX];

	(void)state;
	etag_format(7, out);
	assert_string_equal(out, "\"7\"");
	etag_format(0, out);
	assert_string_equal(out, "\"0\"");
	etag_format(18446744073709551615ULL, out);	/* the largest fits */
	assert_string_equal(out, "\"18446744073709551615\"");
}

static void test_if_match(void **state)
{
	static const struct {
		const char *header;
		unsigned long long version;
		bool match;
	} cases[] = {
		{ "\"7\"", 7, true },
		{ "\"7\"", 8, false },
		{ "*", 123, true },
		{ "  *  ", 1, true },
		{ "*, \"1\"", 1, true },		/* "*" in a list is no tag: skipped */
		{ "*, \"1\"", 2, false },
		{ "\"1\", \"7\"", 7, true },
		{ "\"1\",\"7\"", 7, true },
		{ " ,, \"7\" ,", 7, true },
		{ "W/\"7\"", 7, false },		/* weak never matches */
		{ "W/\"7\", \"7\"", 7, true },
		{ "\"77\"", 7, false },
		{ "\"07\"", 7, false },
		{ "7", 7, false },			/* unquoted */
		{ "\"7", 7, false },			/* unterminated */
		{ "", 7, false },
		{ "garbage, \"7\"", 7, true },		/* a bad element is skipped */
		{ "garbage \"7\"", 7, false },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char got[128], want[128];

		snprintf(want, sizeof(want), "[%s] %llu -> %d", cases[i].header,
			 cases[i].version, cases[i].match);
		snprintf(got, sizeof(got), "[%s] %llu -> %d", cases[i].header,
			 cases[i].version, etag_if_match(cases[i].header, cases[i].version));
		assert_string_equal(got, want);
	}
}
/* The effective config's tag: both versions, the largest ones fit. */
static void test_format_pair(void **state)
{
	char out[ETAG_PAIR_MAX];

	(void)state;
	etag_format_pair(7, 3, out);
	assert_string_equal(out, "\"7.3\"");
	etag_format_pair(18446744073709551615ULL, 18446744073709551615ULL, out);
	assert_string_equal(out, "\"18446744073709551615.18446744073709551615\"");
	/* a row's If-Match never takes it: it compares the row version only */
	etag_format_pair(7, 3, out);
	assert_false(etag_if_match(out, 7));
}

int main(int argc, char **argv)
{
	unit_filter(argc, argv);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_format),
		cmocka_unit_test(test_if_match),
		cmocka_unit_test(test_format_pair),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
