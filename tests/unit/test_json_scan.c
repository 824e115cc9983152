/* Unit tests for app/json/json_scan.c, the byte scanner beside yajl: lone
 * surrogates, RFC 8259 whitespace, strings left open; fed whole and in
 * every split, with the offending byte's index. */
#include "tests/unit/unit.h"

#include <stdio.h>
#include <string.h>

#include "app/json/json_scan.h"

#define S(lit) (lit), (sizeof(lit) - 1)

/* Feeds in in two pieces split at `cut`: the verdict, and *at as an index
 * into the whole input. */
static enum json_scan_feed feed_split(const char *in, size_t n, size_t cut, size_t *at,
				      enum json_scan_end *end)
{
	struct json_scan s = JSON_SCAN_INIT;
	enum json_scan_feed r = json_scan_feed(&s, in, cut, at);

	if (r == JSON_SCAN_FED) {
		r = json_scan_feed(&s, in + cut, n - cut, at);
		*at += cut;
	}
	*end = json_scan_finish(&s);
	return r;
}

/* Every split of in gives `want`, at byte `want_at`, and ends as `want_end`
 * when nothing was found. */
static void expect(const char *in, size_t n, enum json_scan_feed want, size_t want_at,
		   enum json_scan_end want_end)
{
	for (size_t cut = 0; cut <= n; cut++) {
		char got[160], exp[160];
		size_t at = 0;
		enum json_scan_end end;
		enum json_scan_feed r = feed_split(in, n, cut, &at, &end);

		snprintf(exp, sizeof(exp), "[%.*s] cut %zu: %d at %zu end %d", (int)n, in, cut,
			 want, want == JSON_SCAN_FED ? 0 : want_at, want == JSON_SCAN_FED ? want_end : 0);
		snprintf(got, sizeof(got), "[%.*s] cut %zu: %d at %zu end %d", (int)n, in, cut,
			 r, r == JSON_SCAN_FED ? 0 : at, r == JSON_SCAN_FED ? end : 0);
		assert_string_equal(got, exp);
	}
}

static void test_clean(void **state)
{
	(void)state;
	expect(S("{\"a\":\"\\ud83d\\ude00\",\"b\":[1,2]}"), JSON_SCAN_FED, 0, JSON_SCAN_OK);
	expect(S(" \t\r\n{}\n"), JSON_SCAN_FED, 0, JSON_SCAN_OK);
	/* form feed and vertical tab inside strings are yajl's to judge */
	expect(S("{\"a\":\"\f\v\"}"), JSON_SCAN_FED, 0, JSON_SCAN_OK);
	expect(S("{\"a\":\"\\\"\\\\\"}"), JSON_SCAN_FED, 0, JSON_SCAN_OK);
}

static void test_whitespace(void **state)
{
	(void)state;
	expect(S("\f{}"), JSON_SCAN_SPACE, 0, JSON_SCAN_OK);
	expect(S("{}\v"), JSON_SCAN_SPACE, 2, JSON_SCAN_OK);
	expect(S("{\"a\":\"x\"\f}"), JSON_SCAN_SPACE, 8, JSON_SCAN_OK);
	expect(S("[1,\v2]"), JSON_SCAN_SPACE, 3, JSON_SCAN_OK);
}

static void test_surrogates(void **state)
{
	(void)state;
	expect(S("\"\\udc00\""), JSON_SCAN_LONE, 6, JSON_SCAN_OK);	/* low alone */
	expect(S("\"\\ud800x\""), JSON_SCAN_LONE, 7, JSON_SCAN_OK);	/* high, no '\' */
	expect(S("\"\\ud800\\n\""), JSON_SCAN_LONE, 8, JSON_SCAN_OK);	/* high, no 'u' */
	expect(S("\"\\ud800\\u0041\""), JSON_SCAN_LONE, 12, JSON_SCAN_OK);	/* not a low */
	expect(S("\"\\ud800\\ud800\""), JSON_SCAN_LONE, 12, JSON_SCAN_OK);
}

static void test_end(void **state)
{
	(void)state;
	expect(S("{\"a"), JSON_SCAN_FED, 0, JSON_SCAN_IN_STRING);
	expect(S("{\"a\\"), JSON_SCAN_FED, 0, JSON_SCAN_IN_STRING);
	expect(S("\"\\ud800"), JSON_SCAN_FED, 0, JSON_SCAN_SURROGATE);
	expect(S("{}\""), JSON_SCAN_FED, 0, JSON_SCAN_IN_STRING);
}

int main(int argc, char **argv)
{
	unit_filter(argc, argv);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_clean),
		cmocka_unit_test(test_whitespace),
		cmocka_unit_test(test_surrogates),
		cmocka_unit_test(test_end),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
