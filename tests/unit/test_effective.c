/*
 * Unit tests for app/api/effective.c: the effective config (the base
 * config with the override deep-merged over it, RFC 7396's rule) and the
 * environment-level keys split out beside it.
 */
#include <stdbool.h>
#include <string.h>

#include "app/api/effective.h"
#include "app/base/arena.h"
#include "tests/unit/unit.h"

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

static void expect_text(const char *got, size_t len, const char *want)
{
	if (want == NULL) {
		assert_null(got);
		return;
	}
	assert_non_null(got);
	if (len != strlen(want) || memcmp(got, want, len) != 0)
		fail_msg("got %.*s, want %s", (int)len, got, want);
}

/* effective(config, override) must be `config` beside the three keys
 * (NULL: absent). */
static void expect_effective(struct arena *a, const char *config, const char *override,
			     const char *want_config, const char *desc, const char *tags,
			     const char *env)
{
	struct effective e;

	assert_int_equal(effective_config(a, config, config ? strlen(config) : 0, override,
					  override ? strlen(override) : 0, &e), EFF_OK);
	expect_text(e.config, e.config_len, want_config);
	expect_text(e.key[EK_DESCRIPTION], e.key_len[EK_DESCRIPTION], desc);
	expect_text(e.key[EK_TAGS], e.key_len[EK_TAGS], tags);
	expect_text(e.key[EK_ENVIRONMENT_VARIABLES], e.key_len[EK_ENVIRONMENT_VARIABLES], env);
	arena_reset(a);
}

static void test_merge_rule(void **state)
{
	struct arena *a = *state;

	/* no override: the base as it is */
	expect_effective(a, "{\"base_url\":\"b\",\"headers\":{\"A\":\"1\"}}", NULL,
			 "{\"base_url\":\"b\",\"headers\":{\"A\":\"1\"}}", NULL, NULL, NULL);
	expect_effective(a, "{\"base_url\":\"b\"}", "{}", "{\"base_url\":\"b\"}", NULL, NULL, NULL);
	/* objects merge, arrays and scalars replace, null removes */
	expect_effective(a,
			 "{\"base_url\":\"b\",\"headers\":{\"A\":\"1\",\"B\":\"2\"},"
			 "\"actions\":{\"l\":{\"m\":\"get\",\"p\":[1,2]},\"x\":{\"y\":1}},"
			 "\"tool_tags\":{\"t\":[\"a\"]}}",
			 "{\"headers\":{\"B\":\"3\"},\"actions\":{\"l\":{\"p\":[3]},\"x\":null},"
			 "\"tool_tags\":{\"t\":[]},\"label\":\"L\"}",
			 "{\"base_url\":\"b\",\"headers\":{\"A\":\"1\",\"B\":\"3\"},"
			 "\"actions\":{\"l\":{\"m\":\"get\",\"p\":[3]}},\"tool_tags\":{\"t\":[]},"
			 "\"label\":\"L\"}", NULL, NULL, NULL);
	/* no base config at all */
	expect_effective(a, NULL, "{\"label\":\"L\"}", "{\"label\":\"L\"}", NULL, NULL, NULL);
	expect_effective(a, NULL, NULL, "{}", NULL, NULL, NULL);
}

/* description, tags and environment_variables leave the config, from
 * either side, merged by the same rule. */
static void test_environment_keys_beside(void **state)
{
	struct arena *a = *state;

	expect_effective(a,
			 "{\"description\":\"base\",\"base_url\":\"b\",\"tags\":[\"x\"],"
			 "\"environment_variables\":{\"A\":1,\"B\":{\"c\":[null]}},\"label\":\"l\"}",
			 "{\"environment_variables\":{\"A\":null,\"B\":{\"d\":true},\"C\":\"3\"},"
			 "\"tags\":[\"y\",\"z\"]}",
			 "{\"base_url\":\"b\",\"label\":\"l\"}", "\"base\"", "[\"y\",\"z\"]",
			 "{\"B\":{\"c\":[null],\"d\":true},\"C\":\"3\"}");
	/* from the override alone */
	expect_effective(a, "{\"base_url\":\"b\"}", "{\"description\":\"mine\",\"tags\":[]}",
			 "{\"base_url\":\"b\"}", "\"mine\"", "[]", NULL);
	/* an override can remove the base's */
	expect_effective(a, "{\"description\":\"d\",\"tags\":[\"t\"]}", "{\"description\":null}",
			 "{}", NULL, "[\"t\"]", NULL);
	/* nested keys of the same name stay in the config */
	expect_effective(a, "{\"actions\":{\"tags\":[1],\"description\":\"x\"}}", NULL,
			 "{\"actions\":{\"tags\":[1],\"description\":\"x\"}}", NULL, NULL, NULL);
}

/* Redaction is the caller's view of the base: the override's own secret is
 * the caller's, and shown. */
static void test_redacted_base_and_own_secret(void **state)
{
	struct arena *a = *state;

	expect_effective(a,
			 "{\"credentials\":{\"format\":\"oauth2\",\"config\":{\"client\":"
			 "{\"id\":\"i\",\"secret\":\"[REDACTED]\"}}}}",
			 NULL,
			 "{\"credentials\":{\"format\":\"oauth2\",\"config\":{\"client\":"
			 "{\"id\":\"i\",\"secret\":\"[REDACTED]\"}}}}", NULL, NULL, NULL);
	expect_effective(a,
			 "{\"credentials\":{\"format\":\"oauth2\",\"config\":{\"client\":"
			 "{\"id\":\"i\",\"secret\":\"[REDACTED]\"}}}}",
			 "{\"credentials\":{\"config\":{\"client\":{\"secret\":\"mine\"}}}}",
			 "{\"credentials\":{\"format\":\"oauth2\",\"config\":{\"client\":"
			 "{\"id\":\"i\",\"secret\":\"mine\"}}}}", NULL, NULL, NULL);
}

static void test_stored_text_not_json(void **state)
{
	struct arena *a = *state;
	struct effective e;

	assert_int_equal(effective_config(a, "{\"a\":", 5, NULL, 0, &e), EFF_STORED);
	assert_int_equal(effective_config(a, "{}", 2, "{\"a\"", 4, &e), EFF_STORED);
	arena_reset(a);
}

int main(int argc, char **argv)
{
	unit_filter(argc, argv);
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_merge_rule),
		T(test_environment_keys_beside),
		T(test_redacted_base_and_own_secret),
		T(test_stored_text_not_json),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
