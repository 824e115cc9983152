/* Unit tests for app/base/utf8.c: strict validation and the bounded echo. */
#include "tests/unit/unit.h"

#include <stdio.h>
#include <string.h>

#include "app/base/utf8.h"

static void test_utf8_valid(void **state)
{
	static const struct {
		const char *s;
		size_t n;
	} ok[] = {
		{ "", 0 },
		{ "plain ascii ~\x7f", 14 },
		{ "\0", 1 },				/* NUL is ASCII */
		{ "\xc2\x80", 2 },			/* U+0080, smallest 2-byte */
		{ "\xc3\xa9", 2 },			/* e acute */
		{ "\xdf\xbf", 2 },			/* U+07FF */
		{ "\xe0\xa0\x80", 3 },		/* U+0800, smallest 3-byte */
		{ "\xe2\x82\xac", 3 },		/* euro */
		{ "\xed\x9f\xbf", 3 },		/* U+D7FF, just below surrogates */
		{ "\xee\x80\x80", 3 },		/* U+E000, just above */
		{ "\xef\xbf\xbf", 3 },		/* U+FFFF */
		{ "\xf0\x90\x80\x80", 4 },		/* U+10000, smallest 4-byte */
		{ "\xf0\x9f\x98\x80", 4 },		/* emoji */
		{ "\xf4\x8f\xbf\xbf", 4 },		/* U+10FFFF, the last */
		{ "a\xc3\xa9" "b\xe2\x82\xac" "c", 8 },
	};
	static const struct {
		const char *s;
		size_t n;
	} bad[] = {
		{ "\x80", 1 },				/* lone continuation */
		{ "\xbf", 1 },
		{ "\xc0\xaf", 2 },			/* overlong '/' */
		{ "\xc1\xbf", 2 },			/* overlong DEL */
		{ "\xe0\x80\xaf", 3 },		/* overlong, 3 bytes */
		{ "\xe0\x9f\xbf", 3 },		/* overlong U+07FF */
		{ "\xf0\x80\x80\xaf", 4 },		/* overlong, 4 bytes */
		{ "\xf0\x8f\xbf\xbf", 4 },		/* overlong U+FFFF */
		{ "\xed\xa0\x80", 3 },		/* U+D800 */
		{ "\xed\xbf\xbf", 3 },		/* U+DFFF */
		{ "\xf4\x90\x80\x80", 4 },		/* U+110000 */
		{ "\xf5\x80\x80\x80", 4 },
		{ "\xf8\x88\x80\x80\x80", 5 },	/* 5-byte form */
		{ "\xfe", 1 },
		{ "\xff", 1 },
		{ "\xc3", 1 },				/* truncated */
		{ "\xe2\x82", 2 },
		{ "\xf0\x9f\x98", 3 },
		{ "\xc3\x41", 2 },			/* not a continuation */
		{ "\xe2\x82\x41", 3 },
		{ "\xe2\xc3\xa9", 3 },
		{ "ok\xff", 3 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		char got[16], want[16];

		snprintf(want, sizeof(want), "ok %zu: 1", i);
		snprintf(got, sizeof(got), "ok %zu: %d", i, utf8_valid(ok[i].s, ok[i].n));
		assert_string_equal(got, want);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char got[16], want[16];

		snprintf(want, sizeof(want), "bad %zu: 0", i);
		snprintf(got, sizeof(got), "bad %zu: %d", i, utf8_valid(bad[i].s, bad[i].n));
		assert_string_equal(got, want);
	}
	/* n bounds the check: a sequence cut by n is invalid, bytes past n
	 * are never looked at */
	assert_false(utf8_valid("\xc3\xa9", 1));
	assert_false(utf8_valid("\xf0\x9f\x98\x80", 3));
	assert_true(utf8_valid("ab\xff", 2));
}

static void test_echo_copy(void **state)
{
	static const struct {
		const char *in;
		size_t cut;	/* bytes of in kept */
		bool dots;
	} cases[] = {
		{ "short", 5, false },
		/* 64 bytes: whole; 65: 64 and "..." */
		{ "0123456789012345678901234567890123456789012345678901234567890123", 64, false },
		{ "01234567890123456789012345678901234567890123456789012345678901234", 64, true },
		/* a character across the cut is left out whole */
		{ "012345678901234567890123456789012345678901234567890123456789012\xc3\xa9", 63, true },
		{ "01234567890123456789012345678901234567890123456789012345678901\xe2\x82\xacx", 62, true },
		{ "0123456789012345678901234567890123456789012345678901234567890\xf0\x9f\x98\x80", 61,
		  true },
		/* ... or kept when it ends at the cut */
		{ "01234567890123456789012345678901234567890123456789012345678901\xc3\xa9x", 64, true },
	};
	char out[ECHO_ROOM + 1];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t n = echo_copy(out, cases[i].in, strlen(cases[i].in));

		assert_int_equal(n, cases[i].cut + (cases[i].dots ? 3 : 0));
		assert_memory_equal(out, cases[i].in, cases[i].cut);
		if (cases[i].dots)
			assert_memory_equal(out + cases[i].cut, "...", 3);
		assert_true(utf8_valid(out, n));
	}
	/* a NUL byte would end the C string: it shows as '?' */
	assert_int_equal(echo_copy(out, "a\0b", 3), 3);
	assert_memory_equal(out, "a?b", 3);
	assert_int_equal(echo_copy(out, "", 0), 0);
}

int main(int argc, char **argv)
{
	unit_filter(argc, argv);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_utf8_valid),
		cmocka_unit_test(test_echo_copy),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
