/*
 * Unit tests for app/base/qs.c: percent-decoding and query-string iteration.
 */
#include "tests/unit/unit.h"

#include <stdio.h>
#include <string.h>

#include "app/base/qs.h"

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


/* ---- echo_copy ---- */

/* dec_whole: digits naming 1 .. 10^18 - 1, leading zeros allowed. */
static void test_dec_whole(void **state)
{
	static const struct { const char *s; unsigned long long v; } ok[] = {
		{ "1", 1 }, { "42", 42 }, { "007", 7 }, { "999999999999999999", 999999999999999999ULL },
		{ "000000000000000000001", 1 },
	};
	static const char *const bad[] = {
		"", "0", "000", "-1", "+1", "1.0", "1e3", " 1", "1 ", "x", "1000000000000000000",
	};
	unsigned long long v;

	(void)state;
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		v = 0;
		assert_int_equal(dec_whole(ok[i].s, strlen(ok[i].s), &v), 0);
		assert_true(v == ok[i].v);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		v = 5;
		assert_int_equal(dec_whole(bad[i], strlen(bad[i]), &v), -1);
		assert_true(v == 5);	/* untouched */
	}
	/* n bounds the read: the digits after it are not looked at */
	assert_int_equal(dec_whole("12x", 2, &v), 0);
	assert_true(v == 12);
}

int main(int argc, char **argv)
{
	unit_filter(argc, argv);
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
		cmocka_unit_test(test_dec_whole),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
