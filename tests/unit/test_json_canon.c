/*
 * Unit tests for app/json/json_canon.c without rules: syntax, duplicate
 * keys, depth, UTF-8, numbers, whitespace and chunking. The rules of API.md
 * are test_override.c's.
 */
#include "tests/unit/canon_harness.h"

#include "app/base/utf8.h"

static struct jc *canon_new(struct arena *a, const struct opts *o)
{
	return jc_new(a, o->prefix, o->depth, NULL, NULL, o->red, 0);
}

static void test_empty_object(void **state)
{
	struct arena *a = *state;

	expect_ok(a, S("{}"), "{}");
	expect_ok(a, S(" \t\r\n{ \n }\n\n "), "{}");
}

static void test_compacts_whitespace(void **state)
{
	struct arena *a = *state;

	expect_ok(a, S("{ \"label\" : \"x\" , \"tags\" : [ \"a\" ] }"),
		  "{\"label\":\"x\",\"tags\":[\"a\"]}");
	expect_ok(a, S("{\n\t\"actions\": {\n\t\t\"list\": {\"method\": \"get\", \"n\": [1, 2, 3]}\n\t}\n}\n"),
		  "{\"actions\":{\"list\":{\"method\":\"get\",\"n\":[1,2,3]}}}");
}

/* Canonical means compact, not sorted: key order is kept. */
static void test_key_order_kept(void **state)
{
	struct arena *a = *state;

	expect_ok(a, S("{\"tags\":[],\"label\":\"x\",\"base_url\":\"u\"}"),
		  "{\"tags\":[],\"label\":\"x\",\"base_url\":\"u\"}");
	expect_ok(a, S("{\"actions\":{\"z\":1,\"a\":2,\"m\":3}}"),
		  "{\"actions\":{\"z\":1,\"a\":2,\"m\":3}}");
}

/* The same key in different objects, or at different levels, is fine; a
 * fresh object (array elements) starts a fresh key set. */
static void test_same_key_in_different_objects(void **state)
{
	static const char in[] =
		"{\"actions\":{\"a\":{\"x\":1},\"b\":{\"x\":1},\"l\":[{\"x\":1,\"y\":2},"
		"{\"x\":2,\"y\":3},{\"x\":3}],\"actions\":{\"actions\":{\"actions\":1}}},"
		"\"resources\":{\"a\":{\"x\":1}}}";
	struct arena *a = *state;

	expect_ok(a, S(in), in);
}

static void test_numbers_verbatim(void **state)
{
	static const char in[] =
		"{\"actions\":{\"a\":1.50e3,\"b\":-0,\"c\":1E-7,\"d\":1e+2,\"e\":0.0,"
		"\"f\":12345678901234567890123456789,\"g\":-12.5e-10,\"h\":0,\"i\":-1,"
		"\"j\":[1.0,2.50,3E0],\"k\":100000000000000000000e-20}}";
	struct arena *a = *state;

	expect_ok(a, S(in), in);
	expect_ok(a, S("{\"rate_limit\":{\"n\": 1.50e3 }}"), "{\"rate_limit\":{\"n\":1.50e3}}");
}

static void test_unicode_escapes(void **state)
{
	struct arena *a = *state;

	/* \u escapes decode to UTF-8, astral pairs included */
	expect_ok(a, S("{\"label\":\"caf\\u00e9 \\u00E9\"}"), "{\"label\":\"caf\xc3\xa9 \xc3\xa9\"}");
	expect_ok(a, S("{\"label\":\"\\ud83d\\ude00\"}"), "{\"label\":\"\xf0\x9f\x98\x80\"}");
	expect_ok(a, S("{\"label\":\"\\u20AC\\u0041\"}"), "{\"label\":\"\xe2\x82\xac" "A\"}");
	/* raw UTF-8 passes through */
	expect_ok(a, S("{\"label\":\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\"}"),
		  "{\"label\":\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\"}");
	/* escapes JSON needs stay escaped; '/' needs none */
	expect_ok(a, S("{\"label\":\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"}"),
		  "{\"label\":\"\\\"\\\\/\\b\\f\\n\\r\\t\"}");
	/* other control characters come out as \u00XX (yajl: uppercase hex) */
	expect_ok(a, S("{\"label\":\"\\u001f\\u0001\"}"), "{\"label\":\"\\u001F\\u0001\"}");
	/* a NUL stays escaped: the output is never cut short */
	expect_ok(a, S("{\"label\":\"a\\u0000b\"}"), "{\"label\":\"a\\u0000b\"}");
	/* in keys too: an escaped key is the same key */
	expect_ok(a, S("{\"l\\u0061bel\":\"x\",\"actions\":{\"\\u00e9\":\"\\n\"}}"),
		  "{\"label\":\"x\",\"actions\":{\"\xc3\xa9\":\"\\n\"}}");
}

/* A 4 MiB override (resources with many keys) goes through. */
static void test_large_override(void **state)
{
	const size_t target = 4u << 20;
	struct arena *a = *state;
	char *in = malloc(target + 256), *spaced = malloc(2 * target + 512);
	size_t n, sn, keys = 0;

	assert_non_null(in);
	assert_non_null(spaced);
	n = (size_t)sprintf(in, "{\"label\":\"big\",\"resources\":{");
	sn = (size_t)sprintf(spaced, "{ \"label\" : \"big\" , \"resources\" : {");
	while (n < target) {
		int w, sw;

		/* mostly strings; every 64th value an object */
		if (keys % 64 == 0) {
			w = sprintf(in + n, "%s\"k%07zu\":{\"v\":\"%032zx\",\"n\":[%zu,-1.5e3]}",
				    keys ? "," : "", keys, keys * 2654435761u, keys);
			sw = sprintf(spaced + sn,
				     "%s\n  \"k%07zu\" : { \"v\" : \"%032zx\" , \"n\" : [ %zu , -1.5e3 ] }",
				     keys ? " ," : "", keys, keys * 2654435761u, keys);
		} else {
			w = sprintf(in + n, "%s\"k%07zu\":\"%032zx\"",
				    keys ? "," : "", keys, keys * 2654435761u);
			sw = sprintf(spaced + sn, "%s\n  \"k%07zu\" : \"%032zx\"",
				     keys ? " ," : "", keys, keys * 2654435761u);
		}

		assert_true(w > 0 && sw > 0);
		n += (size_t)w;
		sn += (size_t)sw;
		keys++;
	}
	n += (size_t)sprintf(in + n, "}}");
	sn += (size_t)sprintf(spaced + sn, "\n}\n}\n");
	assert_true(n >= target);
	assert_true(keys > 80000);

	/* compact input comes out byte for byte; spaced input compacts to it */
	expect_ok_o(a, in, n, &dflt, in, n, NULL);
	expect_ok_o(a, spaced, sn, &with_red, in, n, NULL);

	/* the key set still catches a duplicate after ~100k keys */
	memcpy(in + n - 2, ",\"k0000123\":1}}", 16);
	expect_fail_tail(a, in, n + 13, ".k0000123", "duplicate key");
	free(in);
	free(spaced);
}

/* The prefix names the document in failure paths. */
static void test_path_prefix(void **state)
{
	static const struct opts cfg = { "config", DEPTH, false };
	struct arena *a = *state;

	expect_fail_o(a, S("{\"a\":1,\"a\":2}"), &cfg, "config.a", "duplicate key");
	expect_fail_o(a, S("[]"), &cfg, "config", "must be a JSON object");
	expect_fail_o(a, S("{"), &cfg, "config", syntax_msg);
}

static void test_top_level_not_object(void **state)
{
	static const char *const in[] = {
		"[]", "[{}]", "\"x\"", "1", "-1.5", "null", "true", "false", " [ ] ",
	};
	struct arena *a = *state;

	for (size_t i = 0; i < sizeof(in) / sizeof(in[0]); i++)
		expect_fail(a, in[i], strlen(in[i]), "override", "must be a JSON object");
}

/* A duplicate is caught at any depth, with the message "duplicate key" and
 * a path ending in the duplicated key. */
static void test_duplicate_keys_detected(void **state)
{
	static const char *const in[] = {
		"{\"label\":\"a\",\"label\":\"b\"}",
		"{\"actions\":{\"a\":1,\"a\":2}}",
		"{\"actions\":{\"a\":{\"b\":{\"c\":{\"x\":1,\"y\":2,\"x\":3}}}}}",
		"{\"label\":\"a\",\"l\\u0061bel\":\"b\"}",	/* the same key, escaped */
		"{\"actions\":{\"l\":[{\"q\":1},{\"r\":1,\"r\":2}]}}",
	};
	static const char *const tail[] = { ".label", ".a", ".x", ".label", ".r" };
	struct arena *a = *state;

	for (size_t i = 0; i < sizeof(in) / sizeof(in[0]); i++)
		expect_fail_tail(a, in[i], strlen(in[i]), tail[i], "duplicate key");
}

/* ... and the path is exactly the duplicated key's. */
static void test_duplicate_key_paths(void **state)
{
	struct arena *a = *state;

	/* depth 1 */
	expect_fail(a, S("{\"label\":\"a\",\"label\":\"b\"}"), "override.label", "duplicate key");
	/* depth 2 */
	expect_fail(a, S("{\"actions\":{\"a\":1,\"a\":2}}"), "override.actions.a", "duplicate key");
	expect_fail(a, S("{\"actions\":{\"a\":1,\"b\":2,\"a\":3}}"), "override.actions.a",
		    "duplicate key");
	/* depth 5 */
	expect_fail(a, S("{\"actions\":{\"a\":{\"b\":{\"c\":{\"x\":1,\"y\":2,\"x\":3}}}}}"),
		    "override.actions.a.b.c.x", "duplicate key");
	/* inside arrays */
	expect_fail(a, S("{\"actions\":{\"l\":[{\"q\":1},{\"r\":1,\"r\":2}]}}"),
		    "override.actions.l[1].r", "duplicate key");
}

/* Many keys in one object: the key set grows and still finds duplicates. */
static void test_duplicate_after_many_keys(void **state)
{
	struct arena *a = *state;
	char *in = malloc(64 * 1024);
	size_t n;

	assert_non_null(in);
	n = (size_t)sprintf(in, "{\"actions\":{");
	for (int i = 0; i < 2000; i++)
		n += (size_t)sprintf(in + n, "%s\"key%d\":%d", i ? "," : "", i, i);
	memcpy(in + n, "}}", 3);
	expect_ok(a, in, n + 2, in);

	n += (size_t)sprintf(in + n, ",\"key1999\":0}}");
	expect_fail_tail(a, in, n, ".key1999", "duplicate key");
	free(in);
}

/* Depth counts containers, the top-level object included. */
static void test_max_depth_boundary(void **state)
{
	static const struct opts d1 = { "override", 1, false };
	static const struct opts d2 = { "override", 2, false };
	struct arena *a = *state;
	char in[512], want_path[512];
	size_t n;

	expect_ok_o(a, S("{}"), &d1, "{}", 2, NULL);
	expect_fail_o(a, S("{\"actions\":{}}"), &d1, "override.actions", "nested too deeply");
	expect_ok_o(a, S("{\"actions\":{}}"), &d2, "{\"actions\":{}}", 14, NULL);
	expect_fail_o(a, S("{\"actions\":{\"a\":[]}}"), &d2, "override.actions.a",
		      "nested too deeply");

	/* with 64: the top object, "actions" and 62 arrays fit; 63 do not */
	n = (size_t)sprintf(in, "{\"actions\":{\"x\":");
	memset(in + n, '[', 62);
	memset(in + n + 62, ']', 62);
	n += 124;
	n += (size_t)sprintf(in + n, "}}");
	expect_ok(a, in, n, in);

	n = (size_t)sprintf(in, "{\"actions\":{\"x\":");
	memset(in + n, '[', 63);
	memset(in + n + 63, ']', 63);
	n += 126;
	n += (size_t)sprintf(in + n, "}}");
	n = (size_t)sprintf(want_path, "override.actions.x");
	for (int i = 0; i < 62; i++)
		n += (size_t)sprintf(want_path + n, "[0]");
	expect_fail(a, in, strlen(in), want_path, "nested too deeply");

	/* objects count the same way: the top object and 63 more fit */
	n = (size_t)sprintf(in, "{\"actions\":");
	for (int i = 0; i < 63; i++)
		n += (size_t)sprintf(in + n, "{\"k\":");
	n += (size_t)sprintf(in + n, "1");
	for (int i = 0; i < 64; i++)
		in[n++] = '}';
	in[n] = '\0';
	expect_ok(a, in, n, in);

	n = (size_t)sprintf(in, "{\"actions\":");
	for (int i = 0; i < 64; i++)
		n += (size_t)sprintf(in + n, "{\"k\":");
	n += (size_t)sprintf(in + n, "1");
	for (int i = 0; i < 65; i++)
		in[n++] = '}';
	in[n] = '\0';
	n = (size_t)sprintf(want_path, "override.actions");
	for (int i = 0; i < 63; i++)
		n += (size_t)sprintf(want_path + n, ".k");
	expect_fail(a, in, strlen(in), want_path, "nested too deeply");
}

/* 100,000 nested arrays: rejected as soon as the limit is passed, without
 * recursion or reading the rest. */
static void test_deep_nesting_fails_fast(void **state)
{
	const size_t depth = 100000;
	struct arena *a = *state;
	char *in = malloc(depth + 64), want_path[512];
	size_t n, p;
	struct res r;

	assert_non_null(in);
	n = (size_t)sprintf(in, "{\"actions\":{\"x\":");
	memset(in + n, '[', depth);
	n += depth;
	p = (size_t)sprintf(want_path, "override.actions.x");
	for (int i = 0; i < 62; i++)
		p += (size_t)sprintf(want_path + p, "[0]");
	set_label(in, 40);
	for (size_t chunk = 1; chunk <= MAX_CHUNK; chunk++) {
		run(a, in, n, chunk, &dflt, &r);
		check_rc(chunk, r.rc, -1);
		assert_true(r.failed_in_feed);
		/* the 63rd '[' is byte 78 (0-based): stopped in that chunk */
		assert_true(r.consumed >= 79);
		assert_true(r.consumed < 79 + chunk);
		assert_string_equal(r.msg, "nested too deeply");
		assert_string_equal(r.path, want_path);
	}
	run(a, in, n, 0, &dflt, &r);
	check_rc(0, r.rc, -1);
	assert_string_equal(r.msg, "nested too deeply");
	arena_reset(a);
	free(in);
}

/* yajl_gen cannot nest deeper than 128: whatever depth a caller asks for,
 * the canonicaliser caps it at JC_MAX_DEPTH (127) and rejects deeper input
 * instead of emitting a broken document; up to the cap, output is intact. */
static void test_depth_above_128_output_intact(void **state)
{
	static const struct opts d200 = { "override", 200, false };
	struct arena *a = *state;
	char in[512], path[512];
	size_t n, w;

	/* 2 objects + 130 arrays = 132 levels: over the cap, rejected where
	 * the 126th array opens (the 125 open ones each show as [0]) */
	w = (size_t)sprintf(path, "override.actions.x");
	for (int i = 0; i < 125; i++)
		w += (size_t)sprintf(path + w, "[0]");
	n = (size_t)sprintf(in, "{\"actions\":{\"x\":");
	memset(in + n, '[', 130);
	memset(in + n + 130, ']', 130);
	n += 260;
	n += (size_t)sprintf(in + n, "}}");
	expect_fail_o(a, in, n, &d200, path, "nested too deeply");
	/* 2 objects + 125 arrays = 127 levels: at the cap, kept intact */
	n = (size_t)sprintf(in, "{\"actions\":{\"x\":");
	memset(in + n, '[', 125);
	memset(in + n + 125, ']', 125);
	n += 250;
	n += (size_t)sprintf(in + n, "}}");
	expect_ok_o(a, in, n, &d200, in, n, NULL);
}

static void test_invalid_utf8_bytes(void **state)
{
	static const struct {
		const char *in;
		size_t n;
	} cases[] = {
		{ S("{\"label\":\"\xff\"}") },
		{ S("{\"label\":\"a\xfe" "b\"}") },
		{ S("{\"label\":\"\x80\"}") },			/* lone continuation */
		{ S("{\"label\":\"\xc3\"}") },			/* truncated sequence */
		{ S("{\"label\":\"\xe2\x82\"}") },
		{ S("{\"label\":\"\xf8\x88\x80\x80\x80\"}") },	/* 5-byte form */
		{ S("{\"actions\":{\"\xff\":1}}") },		/* in a key */
		{ S("{\"label\":\"\xff") },
	};
	struct arena *a = *state;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		expect_fail(a, cases[i].in, cases[i].n, "override", syntax_msg);
}

/* Well-formed-looking but invalid UTF-8 (RFC 3629): overlong forms, UTF-16
 * surrogates, code points above U+10FFFF. */
static void test_invalid_utf8_overlong_surrogate(void **state)
{
	static const struct {
		const char *in;
		size_t n;
	} cases[] = {
		{ S("{\"label\":\"\xc0\xaf\"}") },		/* overlong '/' */
		{ S("{\"label\":\"\xc1\xbf\"}") },		/* overlong DEL */
		{ S("{\"label\":\"\xe0\x80\xaf\"}") },		/* overlong, 3 bytes */
		{ S("{\"label\":\"\xf0\x80\x80\xaf\"}") },	/* overlong, 4 bytes */
		{ S("{\"label\":\"\xed\xa0\x80\"}") },		/* U+D800 */
		{ S("{\"label\":\"\xf4\x90\x80\x80\"}") },	/* U+110000 */
		{ S("{\"actions\":{\"\xc0\xaf\":1}}") },	/* in a key */
	};
	struct arena *a = *state;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		expect_fail(a, cases[i].in, cases[i].n, "override", syntax_msg);
}

/* An escaped lone surrogate must not turn into invalid UTF-8 in the
 * canonical text (which is stored and copied into responses verbatim):
 * either reject it or emit valid UTF-8. */
static void test_escaped_lone_surrogate(void **state)
{
	static const char *const in[] = {
		"{\"label\":\"\\udc00\"}",
		"{\"label\":\"x\\udfff\"}",
	};
	struct arena *a = *state;
	struct res r;

	for (size_t i = 0; i < sizeof(in) / sizeof(in[0]); i++) {
		run(a, in[i], strlen(in[i]), 0, &dflt, &r);
		if (r.rc == 0) {
			char g[256], w[256];

			/* on failure the message shows the bytes emitted */
			set_label(r.out, r.outlen);
			snprintf(w, sizeof(w), "%s -> valid UTF-8", in[i]);
			if (strict_utf8((const unsigned char *)r.out, r.outlen))
				snprintf(g, sizeof(g), "%s -> valid UTF-8", in[i]);
			else
				snprintf(g, sizeof(g), "%s -> invalid UTF-8 [%s]", in[i], label);
			assert_string_equal(g, w);
		}
	}
	arena_reset(a);
}

static void test_syntax_errors(void **state)
{
	static const char *const in[] = {
		"{",				/* truncated */
		"{\"label\"",
		"{\"label\":",
		"{\"label\":\"x",
		"{\"label\":\"x\"",
		"{\"label\":\"x\",",
		"{\"actions\":{\"a\":[1,2",
		"{\"actions\":{\"a\":1.",
		"{\"actions\":{\"a\":-}}",
		"{} x",				/* trailing garbage */
		"{}{}",
		"{},",
		"{}}",
		"{\"label\":\"x\",}",		/* trailing comma */
		"{\"label\" \"x\"}",
		"{label:\"x\"}",
		"{'label':'x'}",
		"{/* c */}",			/* no comments */
		"{} // c",
		"{\"actions\":{\"a\":tru}}",
		"{\"actions\":{\"a\":01}}",
		"{\"actions\":{\"a\":NaN}}",
		"{\"label\":\"\\x41\"}",	/* bad escape */
		"{\"label\":\"\\u12\"}",
		"{\"label\":\"a\tb\"}",		/* raw control character */
		"{\"label\":\"a\nb\"}",
		"\xef\xbb\xbf{}",		/* byte order mark */
		"",				/* empty */
		"   \n\t ",			/* blanks only */
	};
	struct arena *a = *state;

	for (size_t i = 0; i < sizeof(in) / sizeof(in[0]); i++)
		expect_fail(a, in[i], strlen(in[i]), "override", syntax_msg);
}

/* RFC 8259 whitespace is space, tab, LF and CR; yajl also skips form feed
 * and vertical tab between tokens. Outside strings those two are refused
 * wherever they stand; inside strings every raw control is refused (yajl),
 * while DEL and escaped controls are legal. */
static void test_only_rfc_whitespace(void **state)
{
	static const char *const bad[] = {
		"\f{}", "{}\f", "\v{}", "{}\v", "{\f}", "{\v\"label\":\"x\"}",
		"{\"label\"\f:\"x\"}", "{\"label\":\v\"x\"}", "{\"tags\":[\f]}",
		"{\"tags\":[\"a\",\v\"b\"]}", "{\"actions\":{\"a\":1\f}}",
		"{\"label\":\"a\fb\"}", "{\"label\":\"a\vb\"}",
		"{\"actions\":{\"a\x1f\":1}}", "{}\xc2\xa0", "{\"tags\":[\x00]}",
	};
	struct arena *a = *state;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		expect_fail(a, bad[i], strlen(bad[i]), "override", syntax_msg);
	expect_ok(a, S(" \t\r\n{ \t\r\n\"tags\" :\t[ \"a\"\r\n] } \n"), "{\"tags\":[\"a\"]}");
	expect_ok(a, S("{\"label\":\"a\x7f\\f\\u000b\"}"), "{\"label\":\"a\x7f\\f\\u000B\"}");
}

/* yajl takes an unterminated string after a complete document for "more to
 * come" and accepts the input: the byte scanner must refuse it. */
static void test_unterminated_trailing_string(void **state)
{
	struct arena *a = *state;

	expect_fail(a, S("{\"label\":\"x\"}\"oops"), "override", syntax_msg);
	expect_fail(a, S("{}\""), "override", syntax_msg);
	expect_fail(a, S("{\"label\":\"x\"}\n\""), "override", syntax_msg);
}

/* Empty input: nothing fed at all, then jc_finish. */
static void test_empty_input(void **state)
{
	struct arena *a = *state;
	struct jc *j;
	const char *p, *m;

	j = jc_new(a, "override", DEPTH, NULL, NULL, false, 0);
	assert_non_null(j);
	assert_int_equal(jc_finish(j), -1);
	p = jc_failure(j)->path;
	m = jc_failure(j)->msg;
	assert_string_equal(p, "override");
	assert_string_equal(m, syntax_msg);
	arena_reset(a);

	/* a zero-byte feed, then finish */
	j = jc_new(a, "override", DEPTH, NULL, NULL, false, 0);
	assert_int_equal(jc_feed(j, "", 0), 0);
	assert_int_equal(jc_finish(j), -1);
	arena_reset(a);
}

/* Zero-byte feeds between chunks change nothing. */
static void test_zero_length_feeds(void **state)
{
	static const char in[] = "{\"label\":\"x\",\"tags\":[\"a\"]}";
	struct arena *a = *state;
	struct jc *j = jc_new(a, "override", DEPTH, NULL, NULL, false, 0);
	const char *out;
	size_t len;

	assert_non_null(j);
	for (size_t i = 0; i < sizeof(in) - 1; i++) {
		assert_int_equal(jc_feed(j, "", 0), 0);
		assert_int_equal(jc_feed(j, in + i, 1), 0);
	}
	assert_int_equal(jc_finish(j), 0);
	out = jc_output(j, &len);
	check_text(out, len, in, sizeof(in) - 1);
	arena_reset(a);
}

int main(int argc, char **argv)
{
	unit_filter(argc, argv);
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_empty_object),
		T(test_compacts_whitespace),
		T(test_key_order_kept),
		T(test_same_key_in_different_objects),
		T(test_numbers_verbatim),
		T(test_unicode_escapes),
		T(test_large_override),
		T(test_path_prefix),
		T(test_top_level_not_object),
		T(test_duplicate_keys_detected),
		T(test_duplicate_key_paths),
		T(test_duplicate_after_many_keys),
		T(test_max_depth_boundary),
		T(test_deep_nesting_fails_fast),
		T(test_depth_above_128_output_intact),
		T(test_invalid_utf8_bytes),
		T(test_invalid_utf8_overlong_surrogate),
		T(test_escaped_lone_surrogate),
		T(test_syntax_errors),
		T(test_unterminated_trailing_string),
		T(test_only_rfc_whitespace),
		T(test_empty_input),
		T(test_zero_length_feeds),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
