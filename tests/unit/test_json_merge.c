/*
 * Unit tests for app/json/json_merge.c: RFC 7396's own examples
 * (Appendix A), nesting, nulls, arrays, key order, large objects (the
 * sorted index), a tree merged twice, and the failures (an invalid target,
 * a sink that refuses, a patch nested too deeply).
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <yajl/yajl_gen.h>

#include "app/base/arena.h"
#include "app/json/json_merge.h"
#include "tests/unit/unit.h"

/* The sink: yajl_gen writing compact JSON into a buffer. */
struct sink {
	yajl_gen g;
	char out[65536];
	size_t len;
	int refuse_at;	/* >0: the n-th event returns 0 */
	int events;
};

static void print(void *ctx, const char *s, size_t n)
{
	struct sink *k = ctx;

	assert_true(k->len + n < sizeof(k->out));
	memcpy(k->out + k->len, s, n);
	k->len += n;
	k->out[k->len] = '\0';
}

static int step(struct sink *k, yajl_gen_status st)
{
	k->events++;
	if (k->refuse_at > 0 && k->events == k->refuse_at)
		return 0;
	return st == yajl_gen_status_ok;
}

static int k_null(void *c) { return step(c, yajl_gen_null(((struct sink *)c)->g)); }
static int k_bool(void *c, int v) { return step(c, yajl_gen_bool(((struct sink *)c)->g, v)); }
static int k_num(void *c, const char *s, size_t n)
{
	return step(c, yajl_gen_number(((struct sink *)c)->g, s, n));
}
static int k_str(void *c, const unsigned char *s, size_t n)
{
	return step(c, yajl_gen_string(((struct sink *)c)->g, s, n));
}
static int k_map(void *c) { return step(c, yajl_gen_map_open(((struct sink *)c)->g)); }
static int k_end_map(void *c) { return step(c, yajl_gen_map_close(((struct sink *)c)->g)); }
static int k_arr(void *c) { return step(c, yajl_gen_array_open(((struct sink *)c)->g)); }
static int k_end_arr(void *c) { return step(c, yajl_gen_array_close(((struct sink *)c)->g)); }

static const yajl_callbacks sink_cb = {
	k_null, k_bool, NULL, NULL, k_num, k_str, k_map, k_str, k_end_map, k_arr, k_end_arr,
};

static struct sink *sink_new(void)
{
	struct sink *k = calloc(1, sizeof(*k));

	assert_non_null(k);
	k->g = yajl_gen_alloc(NULL);
	yajl_gen_config(k->g, yajl_gen_print_callback, print, k);
	return k;
}

static void sink_free(struct sink *k)
{
	yajl_gen_free(k->g);
	free(k);
}

/* merge(target, patch) must give `want` exactly (key order included). */
static void expect_merge(struct arena *a, const char *target, const char *patch,
			 const char *want)
{
	struct sink *k = sink_new();
	struct jm_node *p = jm_parse(a, patch, strlen(patch));
	enum jm_result rc;

	assert_non_null(p);
	rc = json_merge(a, target, target != NULL ? strlen(target) : 0, p, &sink_cb, k);
	if (rc != JM_OK || strcmp(k->out, want) != 0)
		fail_msg("merge(%s, %s): rc %d, got %s, want %s", target ? target : "NULL",
			 patch, (int)rc, k->out, want);
	sink_free(k);
	arena_reset(a);
}

static int setup(void **state)
{
	*state = arena_new(4096);
	return *state == NULL;
}

static int teardown(void **state)
{
	arena_free(*state);
	return 0;
}

/* RFC 7396, Appendix A, every row. */
static void test_rfc7396_appendix_a(void **state)
{
	static const char *const rows[][3] = {
		{ "{\"a\":\"b\"}", "{\"a\":\"c\"}", "{\"a\":\"c\"}" },
		{ "{\"a\":\"b\"}", "{\"b\":\"c\"}", "{\"a\":\"b\",\"b\":\"c\"}" },
		{ "{\"a\":\"b\"}", "{\"a\":null}", "{}" },
		{ "{\"a\":\"b\",\"b\":\"c\"}", "{\"a\":null}", "{\"b\":\"c\"}" },
		{ "{\"a\":[\"b\"]}", "{\"a\":\"c\"}", "{\"a\":\"c\"}" },
		{ "{\"a\":\"c\"}", "{\"a\":[\"b\"]}", "{\"a\":[\"b\"]}" },
		{ "{\"a\":{\"b\":\"c\"}}", "{\"a\":{\"b\":\"d\",\"c\":null}}", "{\"a\":{\"b\":\"d\"}}" },
		{ "{\"a\":[{\"b\":\"c\"}]}", "{\"a\":[1]}", "{\"a\":[1]}" },
		{ "[\"a\",\"b\"]", "[\"c\",\"d\"]", "[\"c\",\"d\"]" },
		{ "{\"a\":\"b\"}", "[\"c\"]", "[\"c\"]" },
		{ "{\"a\":\"foo\"}", "null", "null" },
		{ "{\"a\":\"foo\"}", "\"bar\"", "\"bar\"" },
		{ "{\"e\":null}", "{\"a\":1}", "{\"e\":null,\"a\":1}" },
		{ "[1,2]", "{\"a\":\"b\",\"c\":null}", "{\"a\":\"b\"}" },
		{ "{}", "{\"a\":{\"bb\":{\"ccc\":null}}}", "{\"a\":{\"bb\":{}}}" },
	};

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		expect_merge(*state, rows[i][0], rows[i][1], rows[i][2]);
}

/* The RFC's own example of section 3. */
static void test_rfc7396_section3(void **state)
{
	expect_merge(*state,
		     "{\"title\":\"Goodbye!\",\"author\":{\"givenName\":\"John\","
		     "\"familyName\":\"Doe\"},\"tags\":[\"example\",\"sample\"],"
		     "\"content\":\"This will be unchanged\"}",
		     "{\"title\":\"Hello!\",\"phoneNumber\":\"+01-123-456-7890\","
		     "\"author\":{\"familyName\":null},\"tags\":[\"example\"]}",
		     "{\"title\":\"Hello!\",\"author\":{\"givenName\":\"John\"},"
		     "\"tags\":[\"example\"],\"content\":\"This will be unchanged\","
		     "\"phoneNumber\":\"+01-123-456-7890\"}");
}

/* Deep merges; what the patch does not name is kept as it was, containers
 * included; nested objects the target lacks lose their nulls. */
static void test_nested(void **state)
{
	struct arena *a = *state;

	expect_merge(a, "{\"x\":{\"y\":{\"z\":1,\"w\":[1,{\"k\":null}]},\"v\":true},\"u\":{\"t\":[]}}",
		     "{\"x\":{\"y\":{\"z\":2}}}",
		     "{\"x\":{\"y\":{\"z\":2,\"w\":[1,{\"k\":null}]},\"v\":true},\"u\":{\"t\":[]}}");
	expect_merge(a, "{\"x\":{\"y\":1}}", "{\"x\":{\"y\":{\"a\":null,\"b\":{\"c\":null,\"d\":0}}}}",
		     "{\"x\":{\"y\":{\"b\":{\"d\":0}}}}");
	expect_merge(a, "{\"x\":{\"y\":1}}", "{\"x\":null}", "{}");
	expect_merge(a, "{\"x\":{\"y\":1}}", "{\"q\":null}", "{\"x\":{\"y\":1}}");
	expect_merge(a, "{\"x\":[1,2]}", "{\"x\":{\"a\":1}}", "{\"x\":{\"a\":1}}");
	expect_merge(a, "{\"x\":{\"a\":1}}", "{\"x\":[null,{\"n\":null}]}",
		     "{\"x\":[null,{\"n\":null}]}");
	expect_merge(a, "{\"a\":1}", "{}", "{\"a\":1}");
	expect_merge(a, NULL, "{\"a\":{\"b\":null,\"c\":\"d\"}}", "{\"a\":{\"c\":\"d\"}}");
	expect_merge(a, "", "{}", "{}");
	/* scalars of every kind, numbers as written */
	expect_merge(a, "{\"n\":1,\"b\":false,\"s\":\"x\",\"z\":null}",
		     "{\"n\":1.50e3,\"b\":true,\"s\":\"\\u00e9\\n\",\"z\":-0}",
		     "{\"n\":1.50e3,\"b\":true,\"s\":\"\xc3\xa9\\n\",\"z\":-0}");
	/* keys that differ only in length or by a NUL byte */
	expect_merge(a, "{\"a\":1,\"ab\":2,\"a\\u0000\":3}", "{\"ab\":null,\"a\\u0000\":4}",
		     "{\"a\":1,\"a\\u0000\":4}");
}

/* Objects of more than 8 keys on either side: the sorted index. */
static void test_many_keys(void **state)
{
	struct arena *a = *state;
	char target[4096], patch[4096], want[8192];
	size_t t = 0, p = 0, w = 0;

	t += (size_t)sprintf(target + t, "{");
	p += (size_t)sprintf(patch + p, "{");
	w += (size_t)sprintf(want + w, "{");
	for (int i = 0; i < 40; i++) {
		t += (size_t)sprintf(target + t, "%s\"k%d\":%d", i ? "," : "", i, i);
		/* the patch: every third key deleted, every third replaced, and
		 * new keys, in reverse order */
		if (i % 3 == 0)
			w += (size_t)sprintf(want + w, "%s\"k%d\":%d", w > 1 ? "," : "", i, i);
		else if (i % 3 == 2)
			w += (size_t)sprintf(want + w, "%s\"k%d\":\"r%d\"", w > 1 ? "," : "", i, i);
	}
	for (int i = 59; i >= 0; i--) {
		if (i >= 40)
			p += (size_t)sprintf(patch + p, "%s\"k%d\":%d", p > 1 ? "," : "", i, -i);
		else if (i % 3 == 1)
			p += (size_t)sprintf(patch + p, "%s\"k%d\":null", p > 1 ? "," : "", i);
		else if (i % 3 == 2)
			p += (size_t)sprintf(patch + p, "%s\"k%d\":\"r%d\"", p > 1 ? "," : "", i, i);
	}
	for (int i = 59; i >= 40; i--)
		w += (size_t)sprintf(want + w, ",\"k%d\":%d", i, -i);
	sprintf(target + t, "}");
	sprintf(patch + p, "}");
	sprintf(want + w, "}");
	expect_merge(a, target, patch, want);
}

/* One tree, merged twice (a transaction that runs again): the same result. */
static void test_same_tree_twice(void **state)
{
	struct arena *a = *state;
	const char *patch = "{\"a\":{\"b\":null,\"c\":1},\"d\":2}";
	const char *target = "{\"a\":{\"b\":0},\"e\":3}";
	struct jm_node *p = jm_parse(a, patch, strlen(patch));

	for (int i = 0; i < 2; i++) {
		struct sink *k = sink_new();

		assert_int_equal(json_merge(a, target, strlen(target), p, &sink_cb, k), JM_OK);
		assert_string_equal(k->out, "{\"a\":{\"c\":1},\"e\":3,\"d\":2}");
		sink_free(k);
	}
	arena_reset(a);
}

static void test_invalid_target(void **state)
{
	struct arena *a = *state;
	struct jm_node *p = jm_parse(a, "{}", 2);
	static const char *const bad[] = { "{", "{\"a\":}", "[1,]", "{} {}", "\xff" };

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct sink *k = sink_new();

		assert_int_equal(json_merge(a, bad[i], strlen(bad[i]), p, &sink_cb, k), JM_INVALID);
		sink_free(k);
	}
	arena_reset(a);
}

/* A sink that refuses at any event stops the merge with JM_SINK. */
static void test_sink_refuses(void **state)
{
	struct arena *a = *state;
	const char *target = "{\"a\":{\"b\":[1,{\"c\":2}]},\"d\":\"x\",\"e\":{\"f\":1}}";
	const char *patch = "{\"d\":[true,null],\"e\":{\"g\":{\"h\":null,\"i\":1}},\"j\":\"k\"}";
	struct jm_node *p = jm_parse(a, patch, strlen(patch));
	struct sink *k = sink_new();
	int total;

	assert_int_equal(json_merge(a, target, strlen(target), p, &sink_cb, k), JM_OK);
	total = k->events;
	sink_free(k);
	assert_true(total > 20);
	for (int at = 1; at <= total; at++) {
		k = sink_new();
		k->refuse_at = at;
		assert_int_equal(json_merge(a, target, strlen(target), p, &sink_cb, k), JM_SINK);
		assert_int_equal(k->events, at);
		sink_free(k);
	}
	arena_reset(a);
}

/* jm_parse: invalid text, empty text, and nesting past JM_MAX_DEPTH. */
static void test_parse_limits(void **state)
{
	struct arena *a = *state;
	char deep[2 * (JM_MAX_DEPTH + 1) + 1];

	assert_null(jm_parse(a, "", 0));
	assert_null(jm_parse(a, "{\"a\":", 5));
	assert_null(jm_parse(a, "{} x", 4));
	for (int i = 0; i < JM_MAX_DEPTH; i++) {
		deep[i] = '[';
		deep[JM_MAX_DEPTH + i] = ']';
	}
	assert_non_null(jm_parse(a, deep, 2 * JM_MAX_DEPTH));
	memset(deep, '[', JM_MAX_DEPTH + 1);
	memset(deep + JM_MAX_DEPTH + 1, ']', JM_MAX_DEPTH + 1);
	assert_null(jm_parse(a, deep, 2 * (JM_MAX_DEPTH + 1)));
	arena_reset(a);
}

int main(int argc, char **argv)
{
	unit_filter(argc, argv);
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_rfc7396_appendix_a),
		T(test_rfc7396_section3),
		T(test_nested),
		T(test_many_keys),
		T(test_same_tree_twice),
		T(test_invalid_target),
		T(test_sink_refuses),
		T(test_parse_limits),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
