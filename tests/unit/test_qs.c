/*
 * Unit tests for app/qs.c: percent-decoding and query-string iteration.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "app/base/qs.h"
#include "app/base/utf8.h"

/* Decodes the NUL-terminated `in` into a fresh buffer that is poisoned
 * beyond what is decoded; returns the length and the text in out. */
static long dec(const char *in, bool plus, char *out, size_t outsz)
{
	long n;

	memset(out, '#', outsz);
	n = pct_decode(out, in, strlen(in), plus);
	if (n >= 0) {
		assert_true((size_t)n < outsz);
		assert_int_equal(out[n], '#');	/* not NUL-terminated, nothing past it */
		out[n] = '\0';
	}
	return n;
}

static void test_pct_plain(void **state)
{
	char out[64];

	(void)state;
	assert_int_equal(dec("hello", false, out, sizeof(out)), 5);
	assert_string_equal(out, "hello");
	assert_int_equal(dec("", false, out, sizeof(out)), 0);
	assert_int_equal(dec("/a/b-c_d.e~f", true, out, sizeof(out)), 12);
	assert_string_equal(out, "/a/b-c_d.e~f");
}

static void test_pct_escapes(void **state)
{
	char out[64];

	(void)state;
	assert_int_equal(dec("%41%42", false, out, sizeof(out)), 2);
	assert_string_equal(out, "AB");
	assert_int_equal(dec("%5B%5D", false, out, sizeof(out)), 2);
	assert_string_equal(out, "[]");
	assert_int_equal(dec("%5b%5d", false, out, sizeof(out)), 2);	/* lower hex */
	assert_string_equal(out, "[]");
	assert_int_equal(dec("%2f%2F", false, out, sizeof(out)), 2);	/* mixed */
	assert_string_equal(out, "//");
	assert_int_equal(dec("a%20b%25c", false, out, sizeof(out)), 5);
	assert_string_equal(out, "a b%c");
	assert_int_equal(dec("%2B", true, out, sizeof(out)), 1);	/* escaped + stays + */
	assert_string_equal(out, "+");
	assert_int_equal(dec("%01%7f", false, out, sizeof(out)), 2);
	assert_memory_equal(out, "\x01\x7f", 2);
	/* high bytes decode as they are (UTF-8 of e-acute) */
	assert_int_equal(dec("%C3%A9", false, out, sizeof(out)), 2);
	assert_memory_equal(out, "\xc3\xa9", 2);
	assert_int_equal(dec("%ff", false, out, sizeof(out)), 1);
	assert_int_equal((unsigned char)out[0], 0xff);
}

static void test_pct_plus(void **state)
{
	char out[64];

	(void)state;
	assert_int_equal(dec("a+b++", true, out, sizeof(out)), 5);
	assert_string_equal(out, "a b  ");
	assert_int_equal(dec("a+b++", false, out, sizeof(out)), 5);
	assert_string_equal(out, "a+b++");
}

static void test_pct_malformed(void **state)
{
	static const char *const bad[] = {
		"%", "%4", "%zz", "%00", "%g1", "%1g", "abc%", "abc%4", "%%41",
		"ok%00ok", "%0", "% 41", "%-1", "%+1",
	};
	char out[64];

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char got[64], want[64];

		/* the input is part of the compared text, to name it on failure */
		snprintf(want, sizeof(want), "'%s' -> -1 -1", bad[i]);
		snprintf(got, sizeof(got), "'%s' -> %ld %ld", bad[i],
			 dec(bad[i], false, out, sizeof(out)),
			 dec(bad[i], true, out, sizeof(out)));
		assert_string_equal(got, want);
	}
}

/* A raw NUL byte in the input is rejected like a decoded one. */
static void test_pct_raw_nul(void **state)
{
	char out[8];

	(void)state;
	assert_int_equal(pct_decode(out, "a\0b", 3, false), -1);
	/* n bounds the input: the NUL past n is never read */
	assert_int_equal(pct_decode(out, "ab\0", 2, false), 2);
	assert_memory_equal(out, "ab", 2);
	/* an escape cut by n is incomplete, even if the bytes follow */
	assert_int_equal(pct_decode(out, "%41", 2, false), -1);
	assert_int_equal(pct_decode(out, "x%41", 3, false), -1);
}

static void test_pct_in_place(void **state)
{
	char buf[] = "%41+b%5B%5d%2Fz";
	long n;

	(void)state;
	n = pct_decode(buf, buf, strlen(buf), true);
	assert_int_equal(n, 7);
	assert_memory_equal(buf, "A b[]/z", 7);

	char path[] = "/environment-integration/%61bc";

	n = pct_decode(path, path, strlen(path), false);
	assert_int_equal(n, 28);
	assert_memory_equal(path, "/environment-integration/abc", 28);
}

/* ---- qs_next ---- */

struct want {
	const char *key;
	const char *val;	/* NULL: no '=' */
};

/* Iterates `qs` and checks every pair against `w` (n pairs). */
static void check_pairs(const char *qs, const struct want *w, size_t n)
{
	const char *cur = qs;
	struct qs_pair p;
	size_t i = 0;

	while (qs_next(&cur, &p)) {
		assert_true(i < n);
		assert_int_equal(p.klen, strlen(w[i].key));
		assert_memory_equal(p.key, w[i].key, p.klen);
		/* pointers point into the query string */
		assert_true(p.key >= qs && p.key + p.klen <= qs + strlen(qs));
		if (w[i].val == NULL) {
			assert_null(p.val);
			assert_int_equal(p.vlen, 0);
		} else {
			assert_non_null(p.val);
			assert_int_equal(p.vlen, strlen(w[i].val));
			assert_memory_equal(p.val, w[i].val, p.vlen);
			assert_ptr_equal(p.val, p.key + p.klen + 1);
		}
		i++;
	}
	assert_int_equal(i, n);
	assert_int_equal(*cur, '\0');
	/* once exhausted, it stays exhausted */
	assert_false(qs_next(&cur, &p));
	assert_int_equal(*cur, '\0');
}

static void test_qs_basic(void **state)
{
	static const struct want w[] = { { "a", "1" }, { "b", "2" } };

	(void)state;
	check_pairs("a=1&b=2", w, 2);
}

static void test_qs_empty_pairs(void **state)
{
	static const struct want w[] = { { "a", "1" }, { "b", "2" } };

	(void)state;
	check_pairs("a=1&&b=2&", w, 2);
	check_pairs("&a=1&b=2", w, 2);
	check_pairs("&&&a=1&&&&b=2&&&", w, 2);
}

static void test_qs_no_equals(void **state)
{
	static const struct want w[] = { { "flag", NULL }, { "b", "2" }, { "last", NULL } };

	(void)state;
	check_pairs("flag&b=2&last", w, 3);
}

static void test_qs_empty_value(void **state)
{
	static const struct want w[] = { { "a", "" }, { "b", "" } };

	(void)state;
	check_pairs("a=&b=", w, 2);
}

static void test_qs_empty_key(void **state)
{
	static const struct want w[] = { { "", "v" }, { "", "" } };

	(void)state;
	check_pairs("=v&=", w, 2);
}

static void test_qs_empty_string(void **state)
{
	(void)state;
	check_pairs("", NULL, 0);
	check_pairs("&", NULL, 0);
	check_pairs("&&&", NULL, 0);
}

/* Only the first '=' splits; the value keeps the rest, still encoded. */
static void test_qs_encoded_kept(void **state)
{
	static const struct want w[] = {
		{ "filter", "a=b" }, { "q", "x%20y+z" }, { "tags%5B%5D", "1" },
	};

	(void)state;
	check_pairs("filter=a=b&q=x%20y+z&tags%5B%5D=1", w, 3);
}

/* Decoding a pair found by qs_next: the two work together. */
static void test_qs_then_decode(void **state)
{
	const char *cur = "name=J%C3%BCrgen+M&bad=%zz";
	struct qs_pair p;
	char out[32];

	(void)state;
	assert_true(qs_next(&cur, &p));
	assert_int_equal(pct_decode(out, p.val, p.vlen, true), 9);
	assert_memory_equal(out, "J\xc3\xbcrgen M", 9);
	assert_true(qs_next(&cur, &p));
	assert_int_equal(pct_decode(out, p.key, p.klen, true), 3);
	assert_int_equal(pct_decode(out, p.val, p.vlen, true), -1);
	assert_false(qs_next(&cur, &p));
}

/* ---- utf8_valid ---- */

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

/* ---- echo_copy ---- */

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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pct_plain),
		cmocka_unit_test(test_pct_escapes),
		cmocka_unit_test(test_pct_plus),
		cmocka_unit_test(test_pct_malformed),
		cmocka_unit_test(test_pct_raw_nul),
		cmocka_unit_test(test_pct_in_place),
		cmocka_unit_test(test_qs_basic),
		cmocka_unit_test(test_qs_empty_pairs),
		cmocka_unit_test(test_qs_no_equals),
		cmocka_unit_test(test_qs_empty_value),
		cmocka_unit_test(test_qs_empty_key),
		cmocka_unit_test(test_qs_empty_string),
		cmocka_unit_test(test_qs_encoded_kept),
		cmocka_unit_test(test_qs_then_decode),
		cmocka_unit_test(test_utf8_valid),
		cmocka_unit_test(test_echo_copy),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
