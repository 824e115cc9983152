/* Unit tests for app/api/filter.c: the list's query string. */
#include <stdio.h>
#include <string.h>

#include "tests/unit/unit.h"

#include "app/api/cursor.h"
#include "app/api/filter.h"
#include "app/api/timeconv.h"
#include "app/base/clock.h"
#include "app/base/ids.h"
#include "app/base/utf8.h"

static struct config cfg;
static struct arena *arena;

static int setup(void **state)
{
	(void)state;
	config_defaults(&cfg);
	arena = arena_new(4096);
	return arena == NULL;
}

static int teardown(void **state)
{
	(void)state;
	arena_free(arena);
	return 0;
}

/* The first filter's first value, a time, field by field (UTC). */
static struct civil first_time(const struct ei_list_query *q)
{
	struct civil c;

	civil_from_us(q->filters[0].v[0].us, &c);
	return c;
}

static int parse(const char *qs, struct ei_list_query *q, struct failure *f)
{
	arena_reset(arena);
	return filter_parse(arena, qs, &cfg, FILTER_LIST, q, f);
}

/* The query fails naming `param` in the failure's path. */
static void fails(const char *qs, const char *param)
{
	struct ei_list_query q;
	struct failure f = { 0 };

	if (parse(qs, &q, &f) != -1)
		fail_msg("accepted: %s", qs);
	assert_non_null(f.path);
	if (strcmp(f.path, param) != 0)
		fail_msg("%s: path '%s', wanted '%s' (%s)", qs, f.path, param, f.message);
}

static void test_empty_and_defaults(void **state)
{
	struct ei_list_query q;
	struct failure f;

	(void)state;
	assert_int_equal(parse("", &q, &f), 0);
	assert_int_equal(q.n_filters, 0);
	assert_int_equal(q.limit, 100);
	assert_false(q.has_after);
	assert_int_equal(parse("next_cursor=", &q, &f), 0);
	assert_false(q.has_after);
	assert_int_equal(parse("&&", &q, &f), 0);
}

static void test_limit(void **state)
{
	struct ei_list_query q;
	struct failure f;

	(void)state;
	assert_int_equal(parse("limit=7", &q, &f), 0);
	assert_int_equal(q.limit, 7);
	assert_int_equal(parse("limit=1000", &q, &f), 0);
	assert_int_equal(q.limit, 1000);
	assert_int_equal(parse("limit=5000", &q, &f), 0);
	assert_int_equal(q.limit, 1000);	/* clamped */
	fails("limit=0", "limit");
	fails("limit=-1", "limit");
	fails("limit=", "limit");
	fails("limit=1e3", "limit");
	assert_int_equal(parse("limit=99999999999999999999", &q, &f), 0);
	assert_int_equal(q.limit, 1000);	/* clamped, however long */
	assert_int_equal(parse("limit=007", &q, &f), 0);
	assert_int_equal(q.limit, 7);
	fails("limit=0000", "limit");
	fails("limit=5&limit=6", "limit");
}

static void test_scalar_filters(void **state)
{
	struct ei_list_query q;
	struct failure f;

	(void)state;
	assert_int_equal(parse("is_enabled=true&show_in_catalog=false", &q, &f), 0);
	assert_int_equal(q.n_filters, 2);
	assert_int_equal(q.filters[0].field, EF_IS_ENABLED);
	assert_int_equal(q.filters[0].op, OP_EQ);
	assert_true(q.filters[0].v[0].b);
	assert_int_equal(q.filters[1].field, EF_SHOW_IN_CATALOG);
	assert_false(q.filters[1].v[0].b);

	assert_int_equal(parse("is_enabled[ne]=true", &q, &f), 0);
	assert_int_equal(q.filters[0].op, OP_NE);

	assert_int_equal(parse("integration.name=My+Name", &q, &f), 0);
	assert_int_equal(q.filters[0].field, EF_INTEGRATION_NAME);
	assert_int_equal(q.filters[0].v[0].s.n, 7);
	assert_memory_equal(q.filters[0].v[0].s.p, "My Name", 7);

	assert_int_equal(parse("integration%5Bcategory%5D=crm", &q, &f), 0);
	assert_int_equal(q.filters[0].field, EF_INTEGRATION_CATEGORY);
	assert_int_equal(parse("integration[name][ne]=x", &q, &f), 0);
	assert_int_equal(q.filters[0].field, EF_INTEGRATION_NAME);
	assert_int_equal(q.filters[0].op, OP_NE);

	/* repeated scalar conditions are ANDed, not merged */
	assert_int_equal(parse("is_enabled=true&is_enabled=false", &q, &f), 0);
	assert_int_equal(q.n_filters, 2);
}

static void test_id_lists_in_every_encoding(void **state)
{
	static const char *const forms[] = {
		"id[in]=3fda2b4c-0516-41bc-8ae6-4927e42ecce9,4a4de828-f4db-4c9e-adfd-434e0864c3c7",
		"id[in][]=3fda2b4c-0516-41bc-8ae6-4927e42ecce9&id[in][]=4a4de828-f4db-4c9e-adfd-434e0864c3c7",
		"id[in][0]=3fda2b4c-0516-41bc-8ae6-4927e42ecce9&id[in][1]=4a4de828-f4db-4c9e-adfd-434e0864c3c7",
		"id%5Bin%5D%5B0%5D=3fda2b4c-0516-41bc-8ae6-4927e42ecce9&id%5Bin%5D%5B1%5D=4a4de828-f4db-4c9e-adfd-434e0864c3c7",
		"id%5Bin%5D=3fda2b4c-0516-41bc-8ae6-4927e42ecce9%2C4a4de828-f4db-4c9e-adfd-434e0864c3c7",
		"id[in]=3fda2b4c-0516-41bc-8ae6-4927e42ecce9&id[in][]=4a4de828-f4db-4c9e-adfd-434e0864c3c7",
	};
	unsigned char a[16], b[16];

	(void)state;
	id_parse("3fda2b4c-0516-41bc-8ae6-4927e42ecce9", 36, a);
	id_parse("4a4de828-f4db-4c9e-adfd-434e0864c3c7", 36, b);
	for (size_t i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
		struct ei_list_query q;
		struct failure f;

		if (parse(forms[i], &q, &f) != 0)
			fail_msg("%s: %s %s", forms[i], f.path, f.message);
		assert_int_equal(q.n_filters, 1);
		assert_int_equal(q.filters[0].field, EF_ID);
		assert_int_equal(q.filters[0].op, OP_IN);
		assert_int_equal(q.filters[0].n, 2);
		assert_memory_equal(q.filters[0].v[0].id, a, 16);
		assert_memory_equal(q.filters[0].v[1].id, b, 16);
	}
}

static void test_times(void **state)
{
	struct ei_list_query q;
	struct failure f;

	(void)state;
	assert_int_equal(parse("created_at[gte]=2021-08-10T12:00:00.123%2B02:00", &q, &f), 0);
	assert_int_equal(q.filters[0].op, OP_GTE);
	assert_int_equal(first_time(&q).hour, 10);	/* converted to UTC */
	assert_int_equal(first_time(&q).micro, 123000);
	assert_int_equal(parse("updated_at[lt]=2021-08-10", &q, &f), 0);
	assert_int_equal(first_time(&q).day, 10);
	fails("created_at=yesterday", "created_at");
	fails("created_at=2021-02-30T00:00:00Z", "created_at");
}

/* Without an offset a time is UTC (Truto's Python SDK sends naive
 * datetimes), with up to 6 fraction digits kept exactly; garbage stays
 * rejected. */
static void test_times_without_offset(void **state)
{
	static const struct {
		const char *qs;
		unsigned hour, minute, second;
		unsigned long micro;
	} ok[] = {
		{ "created_at[gte]=2024-01-01T00:00:00", 0, 0, 0, 0 },
		{ "created_at[gt]=2024-01-01T00:00:00.0005", 0, 0, 0, 500 },
		{ "created_at[lt]=2024-01-01T13:14:15.123456", 13, 14, 15, 123456 },
		{ "updated_at[lte]=2024-01-01+23:59", 23, 59, 0, 0 },
		{ "updated_at=2024-01-01T23:59:59.9", 23, 59, 59, 900000 },
	};
	static const char *const bad[] = {
		"created_at=2024-01-01T00:00:00.", "created_at=2024-01-01T00:00:00.1234567",
		"created_at=2024-01-01T24:00:00", "created_at=2024-01-01T00:00:60",
		"created_at=2024-01-01T00", "created_at=2024-01-01T00:00:00Zx",
		"created_at=2024-01-01T00:00:00%2B01", "created_at=2024-01-01T00:00:00%2B",
		"created_at=2024-01-01T00:00:00+", "created_at=2024-01-01T00:00:00%20%20",
		"created_at=2024-01-01TT00:00", "created_at=0999-12-31T23:59:59",
		"created_at=2024-1-01T00:00:00", "created_at=2024-01-01T0:00:00",
		"created_at=2024-01-01T00:00:00 junk",
	};
	struct ei_list_query q;
	struct failure f;

	(void)state;
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		if (parse(ok[i].qs, &q, &f) != 0)
			fail_msg("rejected: %s (%s)", ok[i].qs, f.message);
		assert_int_equal(first_time(&q).year, 2024);
		assert_int_equal(first_time(&q).hour, ok[i].hour);
		assert_int_equal(first_time(&q).minute, ok[i].minute);
		assert_int_equal(first_time(&q).second, ok[i].second);
		assert_int_equal(first_time(&q).micro, ok[i].micro);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const char *name = strncmp(bad[i], "updated", 7) == 0 ? "updated_at" : "created_at";

		fails(bad[i], name);
	}
}

/* A parameter's name is echoed within ECHO_MAX bytes, cut at a UTF-8
 * boundary and marked with "...". */
static void test_failure_echo_is_capped(void **state)
{
	char qs[8192], want[128];
	struct ei_list_query q;
	struct failure f;

	(void)state;
	memset(qs, 'k', 5000);
	strcpy(qs + 5000, "=1");
	assert_int_equal(parse(qs, &q, &f), -1);
	memset(want, 'k', ECHO_MAX);
	strcpy(want + ECHO_MAX, "...");
	assert_string_equal(f.path, want);
	/* a two-byte character across the cut is left out whole */
	memset(qs, 'k', ECHO_MAX - 1);
	strcpy(qs + ECHO_MAX - 1, "%C3%A9%C3%A9=1");
	assert_int_equal(parse(qs, &q, &f), -1);
	memset(want, 'k', ECHO_MAX - 1);
	strcpy(want + ECHO_MAX - 1, "...");
	assert_string_equal(f.path, want);
	/* exactly ECHO_MAX bytes: whole */
	memset(qs, 'k', ECHO_MAX);
	strcpy(qs + ECHO_MAX, "=1");
	assert_int_equal(parse(qs, &q, &f), -1);
	assert_int_equal(strlen(f.path), ECHO_MAX);
}

/* GET of one object takes the list's filters, not limit or next_cursor. */
static void test_item_mode(void **state)
{
	struct ei_list_query q;
	struct failure f;

	(void)state;
	arena_reset(arena);
	assert_int_equal(filter_parse(arena, "is_enabled=true&integration[name]=zendesk&"
				      "created_at[gte]=2024-01-01", &cfg, FILTER_ITEM, &q, &f), 0);
	assert_int_equal(q.n_filters, 3);
	assert_int_equal(filter_parse(arena, "", &cfg, FILTER_ITEM, &q, &f), 0);
	assert_int_equal(q.n_filters, 0);
	assert_int_equal(filter_parse(arena, "limit=1", &cfg, FILTER_ITEM, &q, &f), -1);
	assert_string_equal(f.path, "limit");
	assert_int_equal(filter_parse(arena, "is_enabled=true&next_cursor=", &cfg, FILTER_ITEM,
				      &q, &f), -1);
	assert_string_equal(f.path, "next_cursor");
	assert_int_equal(filter_parse(arena, "include=all", &cfg, FILTER_ITEM, &q, &f), -1);
	assert_string_equal(f.path, "include");
}

static void test_failures_name_the_parameter(void **state)
{
	char many[8192];
	size_t w = 0;

	(void)state;
	fails("bogus=1", "bogus");
	fails("id[like]=x", "id[like]");
	fails("is_enabled[gt]=true", "is_enabled[gt]");
	fails("is_enabled=maybe", "is_enabled");
	fails("show_in_catalog=1", "show_in_catalog");
	fails("id=nope", "id");
	fails("id[eq][]=3fda2b4c-0516-41bc-8ae6-4927e42ecce9", "id[eq][]");
	fails("id[in][x]=3fda2b4c-0516-41bc-8ae6-4927e42ecce9", "id[in][x]");
	fails("id[in]=", "id[in]");
	fails("id[in]=3fda2b4c-0516-41bc-8ae6-4927e42ecce9,", "id[in]");
	fails("integration.name=%ff", "integration.name");
	fails("integration.name=%zz", "integration.name");
	fails("idx=1", "idx");
	fails("id[in", "id[in");
	fails("next_cursor=abc", "next_cursor");
	fails("=1", "");
	w += (size_t)snprintf(many + w, sizeof(many) - w, "id[in]=");
	for (int i = 0; i < 101; i++)
		w += (size_t)snprintf(many + w, sizeof(many) - w, "%s3fda2b4c-0516-41bc-8ae6-4927e42ecce9",
				      i ? "," : "");
	fails(many, "id[in]");
	w = 0;
	for (int i = 0; i < 65; i++)
		w += (size_t)snprintf(many + w, sizeof(many) - w, "is_enabled=true&");
	fails(many, "is_enabled");
}

/* next_cursor carries a cursor_encode()d position into the query. */
static void test_cursor_parameter(void **state)
{
	struct cursor c = { 1628589600123000LL, { 0 } };
	char text[CURSOR_STR_LEN + 1];
	struct ei_list_query q;
	struct failure f;
	char qs[128];

	(void)state;
	for (int i = 0; i < 16; i++)
		c.id[i] = (unsigned char)(i * 17);
	cursor_encode(&c, text);
	snprintf(qs, sizeof(qs), "next_cursor=%s&limit=2", text);
	assert_int_equal(parse(qs, &q, &f), 0);
	assert_true(q.has_after);
	assert_memory_equal(q.after_id, c.id, 16);
	assert_true(q.after_created_us == c.created_us);
	text[5] = text[5] == 'A' ? 'E' : 'A';
	snprintf(qs, sizeof(qs), "next_cursor=%s", text);
	fails(qs, "next_cursor");
}

/* FILTER_HISTORY: limit, next_cursor (any position from 2: a version)
 * and version; no filters. */
static void test_history_mode(void **state)
{
	struct cursor c = { 7, { 0 } };
	char text[CURSOR_STR_LEN + 1], qs[128];
	struct ei_list_query q;
	struct failure f;
	static const char *const bad[][2] = {
		{ "version=0", "version" }, { "version=-1", "version" }, { "version=000", "version" },
		{ "version=1.0", "version" }, { "version=", "version" }, { "version=x", "version" },
		{ "version=1&version=2", "version" }, { "version=1000000000000000000", "version" },
		{ "is_enabled=true", "is_enabled" }, { "id=3fda2b4c-0516-41bc-8ae6-4927e42ecce9", "id" },
		{ "limit=0", "limit" }, { "next_cursor=abc", "next_cursor" }, { "bogus", "bogus" },
	};

	(void)state;
	arena_reset(arena);
	assert_int_equal(filter_parse(arena, "", &cfg, FILTER_HISTORY, &q, &f), 0);
	assert_true(!q.has_after && !q.has_version && q.limit == cfg.page_default);
	assert_int_equal(filter_parse(arena, "version=12&limit=5", &cfg, FILTER_HISTORY, &q, &f),
			 0);
	assert_true(q.has_version && q.version == 12 && q.limit == 5 && q.n_filters == 0);
	assert_int_equal(filter_parse(arena, "version=007", &cfg, FILTER_HISTORY, &q, &f), 0);
	assert_true(q.has_version && q.version == 7);
	memset(c.id, 0xab, 16);
	cursor_encode(&c, text);
	snprintf(qs, sizeof(qs), "next_cursor=%s", text);
	assert_int_equal(filter_parse(arena, qs, &cfg, FILTER_HISTORY, &q, &f), 0);
	assert_true(q.has_after && q.after_version == 7);
	assert_memory_equal(q.after_id, c.id, 16);
	c.created_us = 1;	/* nothing lies below version 1 */
	cursor_encode(&c, text);
	snprintf(qs, sizeof(qs), "next_cursor=%s", text);
	assert_int_equal(filter_parse(arena, qs, &cfg, FILTER_HISTORY, &q, &f), -1);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(filter_parse(arena, bad[i][0], &cfg, FILTER_HISTORY, &q, &f), -1);
		assert_string_equal(f.path, bad[i][1]);
	}
	/* and the list knows no version */
	assert_int_equal(filter_parse(arena, "version=1", &cfg, FILTER_LIST, &q, &f), -1);
}

int main(int argc, char **argv)
{
	unit_filter(argc, argv);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_empty_and_defaults),
		cmocka_unit_test(test_history_mode),
		cmocka_unit_test(test_limit),
		cmocka_unit_test(test_scalar_filters),
		cmocka_unit_test(test_id_lists_in_every_encoding),
		cmocka_unit_test(test_times),
		cmocka_unit_test(test_times_without_offset),
		cmocka_unit_test(test_failure_echo_is_capped),
		cmocka_unit_test(test_item_mode),
		cmocka_unit_test(test_failures_name_the_parameter),
		cmocka_unit_test(test_cursor_parameter),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
