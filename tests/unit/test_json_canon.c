/*
 * Unit tests for app/json_canon.c, the streaming canonicaliser of overrides
 * and configs.
 *
 * Every input is fed in every chunk size from 1 to 31 bytes (yajl's own
 * habit: boundaries inside strings, escapes, numbers and UTF-8 sequences),
 * and once whole; every run must give the same result.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/api/override.h"
#include "app/base/utf8.h"
#include "app/json/json_canon.h"

#define MAX_CHUNK 31
#define DEPTH 64

/* A literal and its length (literals may hold NUL bytes). */
#define S(lit) (lit), (sizeof(lit) - 1)

static const char syntax_msg[] =
	"is not valid JSON (syntax error, truncated input or invalid UTF-8)";

struct opts {
	const char *prefix;
	unsigned depth;
	bool red;
};

static const struct opts dflt = { "override", DEPTH, false };
static const struct opts with_red = { "override", DEPTH, true };

/* The outcome of one run; pointers live in the arena until its reset. */
struct res {
	int rc;
	const char *out, *red;
	size_t outlen, redlen;
	const char *path, *msg;
	size_t consumed;	/* bytes fed before a chunk was rejected */
	bool failed_in_feed;
};

/* Runs `in` through a new canonicaliser in chunks of `chunk` bytes (0:
 * whole). Resets the arena first. */
static void run(struct arena *a, const char *in, size_t n, size_t chunk,
		const struct opts *o, struct res *r)
{
	struct jc *j;
	size_t off = 0;

	arena_reset(a);
	memset(r, 0, sizeof(*r));
	j = override_canon_new(a, o->prefix, o->depth, o->red, 0);
	assert_non_null(j);
	if (chunk == 0)
		chunk = n > 0 ? n : 1;
	r->rc = 0;
	while (off < n) {
		size_t c = n - off < chunk ? n - off : chunk;

		off += c;
		if (jc_feed(j, in + off - c, c) < 0) {
			r->rc = -1;
			r->failed_in_feed = true;
			break;
		}
	}
	r->consumed = off;
	if (r->rc == 0)
		r->rc = jc_finish(j);
	else
		assert_int_equal(jc_finish(j), -1);	/* stays failed */
	if (r->rc < 0) {
		r->path = jc_failure(j)->path;
		r->msg = jc_failure(j)->msg;
		assert_non_null(r->path);
		assert_non_null(r->msg);
		/* a later feed is refused and keeps the first failure */
		const char *p2, *m2;

		assert_int_equal(jc_feed(j, "{}", 2), -1);
		p2 = jc_failure(j)->path;
		m2 = jc_failure(j)->msg;
		assert_string_equal(p2, r->path);
		assert_string_equal(m2, r->msg);
	} else {
		r->out = jc_output(j, &r->outlen);
		assert_non_null(r->out);
		r->red = jc_redacted(j, &r->redlen);
		if (!o->red)
			assert_null(r->red);
		else
			assert_non_null(r->red);
	}
}

/* The input being tested, printable, to name it in failed comparisons. */
static char label[128];

static void set_label(const char *in, size_t n)
{
	size_t o = 0;

	for (size_t i = 0; i < n && o + 8 < sizeof(label); i++) {
		unsigned char c = (unsigned char)in[i];

		if (c >= 0x20 && c < 0x7f)
			label[o++] = (char)c;
		else
			o += (size_t)snprintf(label + o, sizeof(label) - o, "\\x%02x", c);
	}
	if (n > 0 && o + 8 >= sizeof(label))
		memcpy(label + o, "...", 4);
	else
		label[o] = '\0';
}

/* Compares the outcome of a run as one line: input, chunk size, rc, and
 * (on failure) path and message. */
static void check_outcome(size_t chunk, const struct res *r, int rc,
			  const char *path, const char *msg)
{
	char g[1024], w[1024];

	snprintf(g, sizeof(g), "[%s] chunk %zu: rc %d %s | %s", label, chunk, r->rc,
		 r->rc < 0 ? r->path : "", r->rc < 0 ? r->msg : "");
	snprintf(w, sizeof(w), "[%s] chunk %zu: rc %d %s | %s", label, chunk, rc,
		 path, msg);
	assert_string_equal(g, w);
}

static void check_rc(size_t chunk, int got, int want)
{
	char g[256], w[256];

	snprintf(g, sizeof(g), "[%s] chunk %zu: rc %d", label, chunk, got);
	snprintf(w, sizeof(w), "[%s] chunk %zu: rc %d", label, chunk, want);
	assert_string_equal(g, w);
}

static void check_text(const char *got, size_t glen, const char *want, size_t wlen)
{
	if (glen < 900 && wlen < 900) {
		/* short: compare as strings for a readable message */
		char g[256], w[256];

		snprintf(g, sizeof(g), "%.*s", (int)glen, got);
		snprintf(w, sizeof(w), "%.*s", (int)wlen, want);
		assert_string_equal(g, w);
	}
	assert_int_equal(glen, wlen);
	assert_memory_equal(got, want, wlen);
}

/* Expects `in` to canonicalise to `want` (and the redacted copy to
 * `want_red` when o->red) at every chunk size. */
static void expect_ok_o(struct arena *a, const char *in, size_t n, const struct opts *o,
			const char *want, size_t wlen, const char *want_red)
{
	struct res r;

	set_label(in, n);
	for (size_t chunk = 0; chunk <= MAX_CHUNK; chunk++) {
		run(a, in, n, chunk, o, &r);
		check_outcome(chunk, &r, 0, "", "");
		check_text(r.out, r.outlen, want, wlen);
		if (o->red && want_red != NULL)
			check_text(r.red, r.redlen, want_red, strlen(want_red));
	}
	arena_reset(a);
}

static void expect_ok(struct arena *a, const char *in, size_t n, const char *want)
{
	expect_ok_o(a, in, n, &dflt, want, strlen(want), NULL);
}

/* Expects rejection with exactly `path` and `msg` at every chunk size. */
static void expect_fail_o(struct arena *a, const char *in, size_t n, const struct opts *o,
			  const char *path, const char *msg)
{
	struct res r;

	set_label(in, n);
	for (size_t chunk = 0; chunk <= MAX_CHUNK; chunk++) {
		run(a, in, n, chunk, o, &r);
		check_outcome(chunk, &r, -1, path, msg);
	}
	arena_reset(a);
}

static void expect_fail(struct arena *a, const char *in, size_t n,
			const char *path, const char *msg)
{
	expect_fail_o(a, in, n, &dflt, path, msg);
}

/* Expects rejection with `msg` and a path that ends with `tail`, at every
 * chunk size (for tests about detection, not about the exact path). */
static void expect_fail_tail(struct arena *a, const char *in, size_t n,
			     const char *tail, const char *msg)
{
	struct res r;
	size_t tl = strlen(tail);

	set_label(in, n);
	for (size_t chunk = 0; chunk <= MAX_CHUNK; chunk++) {
		size_t pl;

		run(a, in, n, chunk, &dflt, &r);
		check_rc(chunk, r.rc, -1);
		assert_string_equal(r.msg, msg);
		pl = strlen(r.path);
		assert_true(pl > tl);
		assert_string_equal(r.path + pl - tl, tail);
		assert_memory_equal(r.path, "override.", 9);
	}
	arena_reset(a);
}

/* Per-test arena: created in setup, freed in teardown (which cmocka runs
 * even after a failed assertion, so ASan's leak check stays quiet). */
static int setup(void **state)
{
	*state = arena_new(4096);
	return *state == NULL ? -1 : 0;
}

static int teardown(void **state)
{
	arena_free(*state);
	return 0;
}

/* A strict UTF-8 check (RFC 3629): no overlongs, no surrogates, nothing
 * above U+10FFFF. */
static bool strict_utf8(const unsigned char *s, size_t n)
{
	size_t i = 0;

	while (i < n) {
		unsigned c = s[i];
		size_t k;
		unsigned long cp, min;

		if (c < 0x80) {
			i++;
			continue;
		} else if (c >= 0xc2 && c <= 0xdf) {
			k = 1; cp = c & 0x1f; min = 0x80;
		} else if (c >= 0xe0 && c <= 0xef) {
			k = 2; cp = c & 0x0f; min = 0x800;
		} else if (c >= 0xf0 && c <= 0xf4) {
			k = 3; cp = c & 0x07; min = 0x10000;
		} else {
			return false;
		}
		if (n - i <= k)
			return false;
		for (size_t m = 1; m <= k; m++) {
			if ((s[i + m] & 0xc0) != 0x80)
				return false;
			cp = cp << 6 | (s[i + m] & 0x3f);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return false;
		i += k + 1;
	}
	return true;
}

/* ================= accepted input ================= */

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

/* Every top-level key of the table, each with a valid value. */
static const char all_keys[] =
	"{\"base_url\":\"https://api.example.com/v2\","
	"\"label\":\"Example\","
	"\"logo\":\"https://example.com/logo.png\","
	"\"icon\":\"icon.svg\","
	"\"headers\":{\"Accept\":\"application/json\",\"X-Empty\":\"\"},"
	"\"query\":{\"page_size\":\"100\"},"
	"\"query_array_format\":\"brackets\","
	"\"actions\":{\"list_contacts\":{\"method\":\"get\",\"path\":\"/contacts\"}},"
	"\"credentials\":{\"format\":\"oauth2\",\"config\":{\"client\":{\"id\":\"i\",\"secret\":\"s\"}}},"
	"\"authorization\":{\"format\":\"bearer\",\"config\":{\"path\":\"oauth.token.access_token\"}},"
	"\"pagination\":{\"format\":\"cursor\",\"config\":{\"cursor_field\":\"next\"}},"
	"\"rate_limit\":{\"is_rate_limited\":\"{{status = 429}}\",\"retry_after\":60},"
	"\"resources\":{\"contacts\":{\"list\":{\"method\":\"list_contacts\"}}},"
	"\"tool_tags\":{\"contacts\":[\"crm\",\"people\"]},"
	"\"webhook\":{\"signature_verification\":{\"format\":\"hmac\"}},"
	"\"error_expression\":\"$.error.message\","
	"\"description\":\"An example integration\","
	"\"tags\":[\"crm\",\"sales\",\"\"],"
	"\"environment_variables\":{\"REGION\":\"eu\",\"N\":3,\"F\":false,\"L\":[null]}}";

static void test_all_top_level_keys(void **state)
{
	struct arena *a = *state;

	expect_ok(a, S(all_keys), all_keys);
}

/* The same keys, one by one. */
static void test_each_top_level_key(void **state)
{
	static const char *const one[] = {
		"{\"base_url\":\"\"}",
		"{\"label\":\"x\"}",
		"{\"logo\":\"x\"}",
		"{\"icon\":\"x\"}",
		"{\"headers\":{}}",
		"{\"headers\":{\"a\":\"b\"}}",
		"{\"query\":{}}",
		"{\"query\":{\"a\":\"1\",\"b\":\"\"}}",
		"{\"query_array_format\":\"comma\"}",
		"{\"query_array_format\":\"brackets\"}",
		"{\"query_array_format\":\"indices\"}",
		"{\"query_array_format\":\"repeat\"}",
		"{\"actions\":{}}",
		"{\"credentials\":{}}",
		"{\"authorization\":{}}",
		"{\"authorization\":{\"format\":\"bearer\"}}",
		"{\"authorization\":{\"format\":\"header\"}}",
		"{\"authorization\":{\"format\":\"basic\"}}",
		"{\"pagination\":{}}",
		"{\"pagination\":{\"format\":\"page\"}}",
		"{\"pagination\":{\"format\":\"cursor\"}}",
		"{\"pagination\":{\"format\":\"link_header\"}}",
		"{\"pagination\":{\"format\":\"offset\"}}",
		"{\"pagination\":{\"format\":\"range\"}}",
		"{\"pagination\":{\"format\":\"dynamic\"}}",
		"{\"rate_limit\":{}}",
		"{\"resources\":{}}",
		"{\"tool_tags\":{}}",
		"{\"webhook\":{}}",
		"{\"error_expression\":\"x\"}",
		"{\"description\":\"x\"}",
		"{\"tags\":[]}",
		"{\"tags\":[\"a\",\"b\"]}",
		"{\"environment_variables\":{}}",
	};
	struct arena *a = *state;

	for (size_t i = 0; i < sizeof(one) / sizeof(one[0]); i++)
		expect_ok(a, one[i], strlen(one[i]), one[i]);
}

/* Inside the top-level objects, keys and types are the integration's. */
static void test_nested_lenient(void **state)
{
	static const char in[] =
		"{\"actions\":{\"x\":{\"anything\":{\"deeper\":[1,\"two\",{\"three\":null}],"
		"\"format\":\"not-checked\",\"t\":true,\"f\":false}}},"
		"\"resources\":{\"r\":{\"unknown_key\":{\"k\":[[],{}]}}},"
		"\"credentials\":{\"format\":\"whatever\",\"config\":{\"n\":1}},"
		"\"authorization\":{\"config\":{\"format\":\"nested format is free\"},\"extra\":1},"
		"\"pagination\":{\"format\":\"page\",\"config\":{\"format\":[1]}}}";
	struct arena *a = *state;

	expect_ok(a, S(in), in);
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

	expect_fail_o(a, S("{\"nope\":1}"), &cfg, "config.nope", "unknown key");
	expect_fail_o(a, S("[]"), &cfg, "config", "must be a JSON object");
	expect_fail_o(a, S("{"), &cfg, "config", syntax_msg);
}

/* ================= rejected input ================= */

static void test_top_level_not_object(void **state)
{
	static const char *const in[] = {
		"[]", "[{}]", "\"x\"", "1", "-1.5", "null", "true", "false", " [ ] ",
	};
	struct arena *a = *state;

	for (size_t i = 0; i < sizeof(in) / sizeof(in[0]); i++)
		expect_fail(a, in[i], strlen(in[i]), "override", "must be a JSON object");
}

static void test_unknown_top_level_key(void **state)
{
	struct arena *a = *state;

	expect_fail(a, S("{\"nope\":1}"), "override.nope", "unknown key");
	expect_fail(a, S("{\"nope\":{\"label\":\"x\"}}"), "override.nope", "unknown key");
	expect_fail(a, S("{\"\":1}"), "override.", "unknown key");
	/* names are exact: case and prefixes matter */
	expect_fail(a, S("{\"Label\":\"x\"}"), "override.Label", "unknown key");
	expect_fail(a, S("{\"labels\":\"x\"}"), "override.labels", "unknown key");
	expect_fail(a, S("{\"lab\":\"x\"}"), "override.lab", "unknown key");
	/* an embedded NUL does not make a prefix match; the path shows it as
	 * '?' (a NUL would end the path's C string there) */
	expect_fail(a, S("{\"label\\u0000\":\"x\"}"), "override.label?", "unknown key");
}

/* The path of an unknown key that is not the first key of the object must
 * name that key alone (API.md: "a details.failures entry whose path names
 * it"). */
/* An unknown key of 4 MiB comes back as its first ECHO_MAX bytes and
 * "...", in every key of the path. */
static void test_failure_paths_echo_capped(void **state)
{
	size_t big = 4u << 20, n = 0;
	char *in = malloc(big + 64), want[256];
	struct arena *a = *state;
	struct res r;

	assert_non_null(in);
	n += (size_t)sprintf(in, "{\"");
	memset(in + n, 'k', big);
	n += big;
	n += (size_t)sprintf(in + n, "\":1}");
	run(a, in, n, 0, &dflt, &r);
	snprintf(want, sizeof(want), "override.%.*s...", ECHO_MAX, in + 2);
	assert_int_equal(r.rc, -1);
	assert_string_equal(r.path, want);
	arena_reset(a);
	/* a long known-place key and a long nested key */
	n = (size_t)sprintf(in, "{\"environment_variables\":{\"");
	memset(in + n, 'v', 100);
	n += 100;
	n += (size_t)sprintf(in + n, "\":{\"");
	memset(in + n, 'w', 100);
	n += 100;
	n += (size_t)sprintf(in + n, "\":1,\"");
	memset(in + n, 'w', 100);
	n += 100;
	n += (size_t)sprintf(in + n, "\":2}}}");
	run(a, in, n, 0, &dflt, &r);
	snprintf(want, sizeof(want), "override.environment_variables.%.*s....%.*s...",
		 ECHO_MAX, in + 27, ECHO_MAX, in + 27 + 100 + 4);
	assert_int_equal(r.rc, -1);
	assert_string_equal(r.msg, "duplicate key");
	assert_string_equal(r.path, want);
	arena_reset(a);
	free(in);
}

static void test_unknown_key_after_other_keys(void **state)
{
	struct arena *a = *state;

	expect_fail(a, S("{\"label\":\"x\",\"nope\":1}"), "override.nope", "unknown key");
	expect_fail(a, S("{\"actions\":{\"a\":1},\"nope\":1}"), "override.nope", "unknown key");
}

static void test_wrong_types(void **state)
{
	static const struct {
		const char *in, *path, *msg;
	} cases[] = {
		{ "{\"base_url\":1}", "override.base_url", "must be a string" },
		{ "{\"base_url\":null}", "override.base_url", "must be a string" },
		{ "{\"label\":true}", "override.label", "must be a string" },
		{ "{\"logo\":[\"x\"]}", "override.logo", "must be a string" },
		{ "{\"icon\":{}}", "override.icon", "must be a string" },
		{ "{\"error_expression\":0}", "override.error_expression", "must be a string" },
		{ "{\"description\":false}", "override.description", "must be a string" },
		{ "{\"headers\":\"x\"}", "override.headers", "must be an object of strings" },
		{ "{\"headers\":[]}", "override.headers", "must be an object of strings" },
		{ "{\"headers\":{\"a\":1}}", "override.headers.a", "must be a string" },
		{ "{\"headers\":{\"ok\":\"v\",\"a\":null}}", "override.headers.a", "must be a string" },
		{ "{\"headers\":{\"a\":{\"b\":\"c\"}}}", "override.headers.a", "must be a string" },
		{ "{\"headers\":{\"a\":[\"c\"]}}", "override.headers.a", "must be a string" },
		{ "{\"query\":{\"a\":false}}", "override.query.a", "must be a string" },
		{ "{\"query\":null}", "override.query", "must be an object of strings" },
		{ "{\"tags\":\"a\"}", "override.tags", "must be an array of strings" },
		{ "{\"tags\":{}}", "override.tags", "must be an array of strings" },
		{ "{\"tags\":[1]}", "override.tags[0]", "must be a string" },
		{ "{\"tags\":[\"a\",\"b\",null]}", "override.tags[2]", "must be a string" },
		{ "{\"tags\":[\"a\",[\"b\"]]}", "override.tags[1]", "must be a string" },
		{ "{\"tags\":[{}]}", "override.tags[0]", "must be a string" },
		{ "{\"query_array_format\":\"bogus\"}", "override.query_array_format",
		  "must be one of: comma brackets indices repeat" },
		{ "{\"query_array_format\":\"Comma\"}", "override.query_array_format",
		  "must be one of: comma brackets indices repeat" },
		{ "{\"query_array_format\":1}", "override.query_array_format",
		  "must be one of: comma brackets indices repeat" },
		{ "{\"query_array_format\":[\"comma\"]}", "override.query_array_format",
		  "must be one of: comma brackets indices repeat" },
		{ "{\"actions\":\"x\"}", "override.actions", "must be an object" },
		{ "{\"actions\":[]}", "override.actions", "must be an object" },
		{ "{\"credentials\":null}", "override.credentials", "must be an object" },
		{ "{\"authorization\":\"bearer\"}", "override.authorization", "must be an object" },
		{ "{\"pagination\":1}", "override.pagination", "must be an object" },
		{ "{\"rate_limit\":true}", "override.rate_limit", "must be an object" },
		{ "{\"resources\":[{}]}", "override.resources", "must be an object" },
		{ "{\"tool_tags\":\"\"}", "override.tool_tags", "must be an object" },
		{ "{\"webhook\":0}", "override.webhook", "must be an object" },
		{ "{\"environment_variables\":[]}", "override.environment_variables",
		  "must be an object" },
		{ "{\"authorization\":{\"format\":\"oauth\"}}", "override.authorization.format",
		  "must be one of: bearer header basic" },
		{ "{\"authorization\":{\"config\":{},\"format\":1}}", "override.authorization.format",
		  "must be one of: bearer header basic" },
		{ "{\"authorization\":{\"format\":{\"x\":\"bearer\"}}}", "override.authorization.format",
		  "must be one of: bearer header basic" },
		{ "{\"authorization\":{\"format\":\"Bearer\"}}", "override.authorization.format",
		  "must be one of: bearer header basic" },
		{ "{\"pagination\":{\"format\":\"pages\"}}", "override.pagination.format",
		  "must be one of: page cursor link_header offset range dynamic" },
		{ "{\"pagination\":{\"format\":null}}", "override.pagination.format",
		  "must be one of: page cursor link_header offset range dynamic" },
		{ "{\"pagination\":{\"format\":[\"page\"]}}", "override.pagination.format",
		  "must be one of: page cursor link_header offset range dynamic" },
		/* the check comes after the valid keys before it */
		{ "{\"label\":\"ok\",\"tags\":[\"ok\"],\"base_url\":[]}", "override.base_url",
		  "must be a string" },
	};
	struct arena *a = *state;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		expect_fail(a, cases[i].in, strlen(cases[i].in), cases[i].path, cases[i].msg);
}

/* Discriminator places (authorization, pagination,
 * webhook.signature_verification, credentials in both forms): "format" is a
 * string, the "config" beside a format is an object, and credentials
 * without a "format" key is a map of entries, each an object and itself
 * such a place. Whatever order the keys come in. */
static void test_discriminator_types(void **state)
{
	static const struct {
		const char *in, *path, *msg;
	} bad[] = {
		{ "{\"webhook\":{\"signature_verification\":{\"format\":7}}}",
		  "override.webhook.signature_verification.format", "must be a string" },
		{ "{\"webhook\":{\"signature_verification\":{\"config\":[],\"format\":\"hmac\"}}}",
		  "override.webhook.signature_verification.config", "must be an object" },
		{ "{\"webhook\":{\"signature_verification\":{\"format\":\"x\",\"config\":\"s\"}}}",
		  "override.webhook.signature_verification.config", "must be an object" },
		{ "{\"credentials\":{\"format\":5,\"config\":{}}}",
		  "override.credentials.format", "must be a string" },
		{ "{\"credentials\":{\"config\":{},\"format\":null}}",
		  "override.credentials.format", "must be a string" },
		{ "{\"credentials\":{\"config\":\"x\",\"format\":\"api_key\"}}",
		  "override.credentials.config", "must be an object" },
		{ "{\"credentials\":{\"oauth2\":\"x\"}}",
		  "override.credentials.oauth2", "must be an object (a credentials entry)" },
		{ "{\"credentials\":{\"oauth2\":{},\"api_key\":[]}}",
		  "override.credentials.api_key", "must be an object (a credentials entry)" },
		{ "{\"credentials\":{\"oauth2\":{\"format\":1}}}",
		  "override.credentials.oauth2.format", "must be a string" },
		{ "{\"credentials\":{\"oauth2\":{\"config\":1,\"format\":\"oauth2\"}}}",
		  "override.credentials.oauth2.config", "must be an object" },
		{ "{\"pagination\":{\"config\":\"x\",\"format\":\"page\"}}",
		  "override.pagination.config", "must be an object" },
		{ "{\"pagination\":{\"format\":\"page\",\"config\":null}}",
		  "override.pagination.config", "must be an object" },
		{ "{\"authorization\":{\"format\":\"bearer\",\"config\":[{}]}}",
		  "override.authorization.config", "must be an object" },
		/* the first failure wins, and later keys are not reached */
		{ "{\"credentials\":{\"a\":1,\"b\":{\"format\":2}},\"tags\":3}",
		  "override.credentials.a", "must be an object (a credentials entry)" },
	};
	static const char *const good[] = {
		/* a format alone, a config alone, other keys of any type */
		"{\"pagination\":{\"format\":\"page\"}}",
		"{\"pagination\":{\"config\":\"free without a format\"}}",
		"{\"authorization\":{\"format\":\"basic\",\"config\":{},\"x\":[1]}}",
		"{\"webhook\":{\"signature_verification\":{\"format\":\"anything\",\"config\":{}},"
		"\"format\":1,\"config\":2}}",
		/* single form: the other keys and the inside of config are lenient */
		"{\"credentials\":{\"label\":\"x\",\"format\":\"api_key\",\"config\":{\"format\":5,"
		"\"config\":\"y\"},\"extra\":{\"format\":[]}}}",
		/* map form: entries with their own format and config */
		"{\"credentials\":{\"oauth2\":{\"format\":\"oauth2\",\"config\":{\"client\":{}}},"
		"\"api_key\":{\"config\":{\"format\":9}},\"empty\":{}}}",
		"{\"credentials\":{}}",
		/* deeper and other places stay lenient */
		"{\"resources\":{\"r\":{\"format\":1,\"config\":2}},\"actions\":{\"format\":3}}",
		"{\"pagination\":{\"format\":\"cursor\",\"config\":{\"format\":[],\"config\":1}}}",
	};
	struct arena *a = *state;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		expect_fail(a, bad[i].in, strlen(bad[i].in), bad[i].path, bad[i].msg);
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		expect_ok(a, good[i], strlen(good[i]), good[i]);
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

/* Empty input: nothing fed at all, then jc_finish. */
/* yajl takes an unterminated string after a complete document for "more to
 * come" and accepts the input: the byte scanner must refuse it. */
static void test_unterminated_trailing_string(void **state)
{
	struct arena *a = *state;

	expect_fail(a, S("{\"label\":\"x\"}\"oops"), "override", syntax_msg);
	expect_fail(a, S("{}\""), "override", syntax_msg);
	expect_fail(a, S("{\"label\":\"x\"}\n\""), "override", syntax_msg);
}

static void test_empty_input(void **state)
{
	struct arena *a = *state;
	struct jc *j;
	const char *p, *m;

	j = override_canon_new(a, "override", DEPTH, false, 0);
	assert_non_null(j);
	assert_int_equal(jc_finish(j), -1);
	p = jc_failure(j)->path;
	m = jc_failure(j)->msg;
	assert_string_equal(p, "override");
	assert_string_equal(m, syntax_msg);
	arena_reset(a);

	/* a zero-byte feed, then finish */
	j = override_canon_new(a, "override", DEPTH, false, 0);
	assert_int_equal(jc_feed(j, "", 0), 0);
	assert_int_equal(jc_finish(j), -1);
	arena_reset(a);
}

/* Zero-byte feeds between chunks change nothing. */
static void test_zero_length_feeds(void **state)
{
	static const char in[] = "{\"label\":\"x\",\"tags\":[\"a\"]}";
	struct arena *a = *state;
	struct jc *j = override_canon_new(a, "override", DEPTH, false, 0);
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

/* The first failure is the one reported, even after more input. */
static void test_first_failure_kept(void **state)
{
	struct arena *a = *state;
	struct jc *j = override_canon_new(a, "override", DEPTH, false, 0);
	const char *p, *m;

	assert_non_null(j);
	/* the number ends at the ',': rejected within this chunk */
	assert_int_equal(jc_feed(j, S("{\"base_url\":1,")), -1);
	assert_int_equal(jc_feed(j, S("\"nope\":2}")), -1);
	assert_int_equal(jc_finish(j), -1);
	p = jc_failure(j)->path;
	m = jc_failure(j)->msg;
	assert_string_equal(p, "override.base_url");
	assert_string_equal(m, "must be a string");
	arena_reset(a);
}

/* ================= redaction ================= */

static void test_redact_map_of_formats(void **state)
{
	static const char in[] =
		"{\"credentials\":{\"oauth2\":{\"format\":\"oauth2\",\"config\":"
		"{\"client\":{\"id\":\"a\",\"secret\":\"s3cret\"}}}}}";
	static const char want_red[] =
		"{\"credentials\":{\"oauth2\":{\"format\":\"oauth2\",\"config\":"
		"{\"client\":{\"id\":\"a\",\"secret\":\"" OVERRIDE_REDACTED "\"}}}}}";
	struct arena *a = *state;
	struct res r;

	assert_string_equal(OVERRIDE_REDACTED, "[REDACTED]");
	expect_ok_o(a, S(in), &with_red, in, sizeof(in) - 1, want_red);

	run(a, S(in), 0, &with_red, &r);
	assert_int_equal(r.rc, 0);
	assert_non_null(memmem(r.out, r.outlen, "s3cret", 6));
	assert_null(memmem(r.red, r.redlen, "s3cret", 6));
	assert_non_null(memmem(r.red, r.redlen, "[REDACTED]", 10));
	arena_reset(a);
}

static void test_redact_single_form_nested_value(void **state)
{
	static const char in[] =
		"{\"credentials\":{\"format\":\"api_key\",\"config\":{\"client\":"
		"{\"secret\":{\"nested\":[1,2]}}}}}";
	static const char want_red[] =
		"{\"credentials\":{\"format\":\"api_key\",\"config\":{\"client\":"
		"{\"secret\":\"[REDACTED]\"}}}}";
	struct arena *a = *state;

	expect_ok_o(a, S(in), &with_red, in, sizeof(in) - 1, want_red);
}

/* After a redacted container, the redacted copy carries on normally. */
static void test_redact_siblings_after_secret(void **state)
{
	static const char in[] =
		"{\"label\":\"l\",\"credentials\":{\"format\":\"f\",\"client\":{\"secret\":{\"a\":[1,{\"b\":[]}],"
		"\"secret\":\"inner\"},\"id\":\"q\"},\"z\":[1,{\"y\":null}]},\"tags\":[\"t\"]}";
	static const char want_red[] =
		"{\"label\":\"l\",\"credentials\":{\"format\":\"f\",\"client\":{\"secret\":\"[REDACTED]\","
		"\"id\":\"q\"},\"z\":[1,{\"y\":null}]},\"tags\":[\"t\"]}";
	struct arena *a = *state;

	expect_ok_o(a, S(in), &with_red, in, sizeof(in) - 1, want_red);
}

/* Every client.secret under credentials, whatever its value, also where
 * client is an array of objects (at any array depth). */
static void test_redact_every_secret(void **state)
{
	static const char in[] =
		"{\"credentials\":{"
		"\"oauth2\":{\"config\":{\"client\":{\"secret\":\"one\"}}},"
		"\"api_key\":{\"config\":{\"client\":{\"secret\":[\"two\",\"three\"]}}},"
		"\"basic\":{\"client\":{\"secret\":2}},"
		"\"deep\":{\"a\":{\"b\":{\"c\":{\"client\":{\"secret\":null}}}}},"
		"\"clients\":{\"client\":[{\"secret\":\"four\"},{\"id\":\"x\",\"secret\":{\"k\":1}}]},"
		"\"nested\":{\"client\":[[{\"secret\":5}],\"plain\"]},"
		"\"client\":{\"secret\":true}}}";
	static const char want_red[] =
		"{\"credentials\":{"
		"\"oauth2\":{\"config\":{\"client\":{\"secret\":\"[REDACTED]\"}}},"
		"\"api_key\":{\"config\":{\"client\":{\"secret\":\"[REDACTED]\"}}},"
		"\"basic\":{\"client\":{\"secret\":\"[REDACTED]\"}},"
		"\"deep\":{\"a\":{\"b\":{\"c\":{\"client\":{\"secret\":\"[REDACTED]\"}}}}},"
		"\"clients\":{\"client\":[{\"secret\":\"[REDACTED]\"},"
		"{\"id\":\"x\",\"secret\":\"[REDACTED]\"}]},"
		"\"nested\":{\"client\":[[{\"secret\":\"[REDACTED]\"}],\"plain\"]},"
		"\"client\":{\"secret\":\"[REDACTED]\"}}}";
	struct arena *a = *state;

	expect_ok_o(a, S(in), &with_red, in, sizeof(in) - 1, want_red);
}

/* Not redacted: a secret not under client, client.secret outside
 * credentials, other keys of client. */
static void test_redact_only_client_secret_in_credentials(void **state)
{
	static const char *const in[] = {
		"{\"credentials\":{\"format\":\"api_key\",\"config\":{\"secret\":\"keep1\"}}}",
		"{\"credentials\":{\"format\":\"f\",\"secret\":\"keep2\"}}",
		"{\"credentials\":{\"client\":{\"id\":\"keep3\",\"secrets\":\"keep4\"}}}",
		"{\"credentials\":{\"client_secret\":\"keep5\",\"x\":{\"client\":\"keep6\"},\"format\":\"f\"}}",
		"{\"actions\":{\"client\":{\"secret\":\"keep7\"}}}",
		"{\"webhook\":{\"credentials\":{\"client\":{\"secret\":\"keep8\"}}}}",
		"{\"environment_variables\":{\"client\":{\"secret\":\"keep9\"}}}",
		"{\"resources\":{\"credentials\":{\"x\":{\"client\":{\"secret\":\"keep10\"}}}}}",
		"{\"credentials\":{\"format\":\"f\",\"list\":[{\"secret\":\"keep11\"}],\"client\":[{\"secrets\":\"keep12\"}]}}",
		"{\"credentials\":{\"format\":\"f\",\"x\":[{\"secret\":\"keep13\"},[{\"secret\":\"keep14\"}]]}}",
	};
	struct arena *a = *state;

	for (size_t i = 0; i < sizeof(in) / sizeof(in[0]); i++)
		expect_ok_o(a, in[i], strlen(in[i]), &with_red, in[i], strlen(in[i]), in[i]);
}

/* Without want_redacted there is no second copy. */
static void test_no_redacted_copy(void **state)
{
	static const char in[] = "{\"credentials\":{\"client\":{\"secret\":\"s\"}}}";
	struct arena *a = *state;
	struct res r;

	run(a, S(in), 0, &dflt, &r);
	assert_int_equal(r.rc, 0);
	assert_null(r.red);
	check_text(r.out, r.outlen, in, sizeof(in) - 1);
	arena_reset(a);
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_empty_object),
		T(test_compacts_whitespace),
		T(test_key_order_kept),
		T(test_all_top_level_keys),
		T(test_each_top_level_key),
		T(test_nested_lenient),
		T(test_same_key_in_different_objects),
		T(test_numbers_verbatim),
		T(test_unicode_escapes),
		T(test_large_override),
		T(test_path_prefix),
		T(test_top_level_not_object),
		T(test_unknown_top_level_key),
		T(test_unknown_key_after_other_keys),
		T(test_wrong_types),
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
		T(test_discriminator_types),
		T(test_failure_paths_echo_capped),
		T(test_empty_input),
		T(test_zero_length_feeds),
		T(test_first_failure_kept),
		T(test_redact_map_of_formats),
		T(test_redact_single_form_nested_value),
		T(test_redact_siblings_after_secret),
		T(test_redact_every_secret),
		T(test_redact_only_client_secret_in_credentials),
		T(test_no_redacted_copy),
	};
#undef T

	return cmocka_run_group_tests(tests, NULL, NULL);
}
