/*
 * Unit tests for app/api/override.c: the canonicaliser under API.md's
 * override rules (key table, types, discriminator places) and the
 * redaction of credentials ... client.secret.
 */
#include "tests/unit/canon_harness.h"

#include "app/api/override.h"
#include "app/base/utf8.h"

static struct jc *canon_new(struct arena *a, const struct opts *o)
{
	return override_canon_new(a, o->prefix, o->depth, o->red, 0);
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

/* The prefix names the document in failure paths. */
static void test_path_prefix(void **state)
{
	static const struct opts cfg = { "config", DEPTH, false };
	struct arena *a = *state;

	expect_fail_o(a, S("{\"nope\":1}"), &cfg, "config.nope", "unknown key");
	expect_fail_o(a, S("[]"), &cfg, "config", "must be a JSON object");
	expect_fail_o(a, S("{"), &cfg, "config", syntax_msg);
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

/* ---- override_merge: the merge-patch PATCH's override ---- */

struct merged {
	enum override_merge_rc rc;
	const char *out;
	size_t len;
	struct failure f;
};

static void merge(struct arena *a, const char *stored, const char *patch, unsigned depth,
		  size_t size_max, struct merged *m)
{
	struct jm_node *p = jm_parse(a, patch, strlen(patch));

	assert_non_null(p);
	memset(m, 0, sizeof(*m));
	m->out = "untouched";
	m->rc = override_merge(a, stored, stored != NULL ? strlen(stored) : 0, p, strlen(patch),
			       depth, size_max, &m->out, &m->len, &m->f);
}

static void expect_merged(struct arena *a, const char *stored, const char *patch,
			  const char *want)
{
	struct merged m;

	merge(a, stored, patch, DEPTH, 1 << 20, &m);
	assert_int_equal(m.rc, OVM_OK);
	if (want == NULL) {
		assert_null(m.out);
		assert_int_equal(m.len, 0);
	} else {
		assert_non_null(m.out);
		assert_int_equal(m.len, strlen(want));
		assert_memory_equal(m.out, want, m.len);
	}
	arena_reset(a);
}

static void expect_merge_fails(struct arena *a, const char *stored, const char *patch,
			       unsigned depth, size_t size_max, const char *path, const char *msg)
{
	struct merged m;

	merge(a, stored, patch, depth, size_max, &m);
	assert_int_equal(m.rc, OVM_INVALID);
	assert_string_equal(m.f.path, path);
	if (strstr(m.f.message, msg) == NULL)
		fail_msg("message '%s' lacks '%s'", m.f.message, msg);
	assert_string_equal(m.out, "untouched");
	arena_reset(a);
}

static void test_merge_result(void **state)
{
	struct arena *a = *state;

	expect_merged(a, NULL, "{\"label\":\"x\"}", "{\"label\":\"x\"}");
	expect_merged(a, "{}", "{\"label\":\"x\"}", "{\"label\":\"x\"}");
	expect_merged(a, "{\"label\":\"a\",\"headers\":{\"A\":\"1\",\"B\":\"2\"}}",
		      "{\"headers\":{\"A\":null,\"C\":\"3\"},\"tags\":[\"t\"]}",
		      "{\"label\":\"a\",\"headers\":{\"B\":\"2\",\"C\":\"3\"},\"tags\":[\"t\"]}");
	/* the result is canonical: a patch's escapes are decoded */
	expect_merged(a, NULL, "{\"label\":\"caf\\u00e9\"}", "{\"label\":\"caf\xc3\xa9\"}");
	/* nulls of keys that are not there, unknown keys included, are nothing */
	expect_merged(a, "{\"label\":\"a\"}", "{\"nope\":null,\"icon\":null}",
		      "{\"label\":\"a\"}");
	/* an empty result is no override */
	expect_merged(a, "{\"label\":\"a\"}", "{\"label\":null}", NULL);
	expect_merged(a, NULL, "{}", NULL);
	expect_merged(a, NULL, "{\"credentials\":{\"format\":null}}",
		      "{\"credentials\":{}}");
}

/* The result is held to the rules; paths name the place in the result. */
static void test_merge_result_rules(void **state)
{
	struct arena *a = *state;
	const char *stored = "{\"authorization\":{\"format\":\"bearer\",\"config\":{}},"
			     "\"credentials\":{\"oauth2\":{\"format\":\"x\",\"config\":{}}}}";

	expect_merge_fails(a, stored, "{\"base_url\":1}", DEPTH, 1 << 20,
			   "override.base_url", "must be a string");
	expect_merge_fails(a, stored, "{\"nope\":1}", DEPTH, 1 << 20, "override.nope",
			   "unknown key");
	expect_merge_fails(a, stored, "{\"authorization\":{\"config\":[]}}", DEPTH, 1 << 20,
			   "override.authorization.config", "must be an object");
	expect_merge_fails(a, stored, "{\"authorization\":{\"format\":\"nope\"}}", DEPTH,
			   1 << 20, "override.authorization.format", "must be one of");
	expect_merge_fails(a, stored, "{\"credentials\":{\"k\":1}}", DEPTH, 1 << 20,
			   "override.credentials.k", "credentials entry");
	expect_merge_fails(a, stored, "{\"headers\":{\"a\":{\"b\":null}}}", DEPTH, 1 << 20,
			   "override.headers.a", "must be a string");
	/* removing the format makes the map form's rule apply to what is left */
	expect_merged(a, stored, "{\"authorization\":{\"format\":null,\"config\":1}}",
		      "{\"authorization\":{\"config\":1},"
		      "\"credentials\":{\"oauth2\":{\"format\":\"x\",\"config\":{}}}}");
}

/* Depth and size are judged on the result. */
static void test_merge_result_limits(void **state)
{
	struct arena *a = *state;
	struct merged m;

	/* three levels of result fit a depth of 3, four do not */
	expect_merge_fails(a, "{\"actions\":{\"a\":{}}}", "{\"actions\":{\"a\":{\"b\":{}}}}",
			   3, 1 << 20, "override.actions.a.b", "nested too deeply");
	merge(a, "{\"actions\":{\"a\":{\"b\":{}}}}", "{\"actions\":{\"a\":{\"b\":null}}}",
	      3, 1 << 20, &m);
	assert_int_equal(m.rc, OVM_OK);
	assert_int_equal(m.len, 20);
	assert_memory_equal(m.out, "{\"actions\":{\"a\":{}}}", 20);
	arena_reset(a);
	/* a stored override deeper than the limit today is refused too */
	expect_merge_fails(a, "{\"actions\":{\"a\":{\"b\":{}}}}", "{\"label\":\"x\"}", 3,
			   1 << 20, "override.actions.a.b", "nested too deeply");
	/* size: a 19-byte result fits a limit of 19, not one of 18 */
	merge(a, "{\"label\":\"abcdefg\"}", "{\"icon\":null}", DEPTH, 18, &m);
	assert_int_equal(m.rc, OVM_INVALID);
	assert_string_equal(m.f.path, "override");
	assert_string_equal(m.f.message, "exceeds the limit of 18 bytes once merged");
	arena_reset(a);
	merge(a, "{\"label\":\"abcdefg\"}", "{\"icon\":null}", DEPTH, 19, &m);
	assert_int_equal(m.rc, OVM_OK);
	assert_int_equal(m.len, 19);
	arena_reset(a);
	/* a stored text that is not JSON is the server's fault */
	merge(a, "{\"label\":", "{}", DEPTH, 1 << 20, &m);
	assert_int_equal(m.rc, OVM_STORED);
	arena_reset(a);
}

int main(int argc, char **argv)
{
	unit_filter(argc, argv);
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_all_top_level_keys),
		T(test_each_top_level_key),
		T(test_nested_lenient),
		T(test_unknown_top_level_key),
		T(test_unknown_key_after_other_keys),
		T(test_wrong_types),
		T(test_discriminator_types),
		T(test_failure_paths_echo_capped),
		T(test_redact_map_of_formats),
		T(test_redact_single_form_nested_value),
		T(test_redact_siblings_after_secret),
		T(test_redact_every_secret),
		T(test_redact_only_client_secret_in_credentials),
		T(test_no_redacted_copy),
		T(test_path_prefix),
		T(test_first_failure_kept),
		T(test_merge_result),
		T(test_merge_result_rules),
		T(test_merge_result_limits),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
