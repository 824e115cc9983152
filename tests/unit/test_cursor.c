/* Unit tests for app/api/cursor.c: round trips, and every tampered byte
 * refused. */
#include "tests/unit/unit.h"

#include <string.h>

#include "app/api/cursor.h"

static void test_round_trip_and_tamper(void **state)
{
	struct cursor c = { 1628589600123000LL, { 0 } }, d;
	char text[CURSOR_STR_LEN + 1];

	(void)state;
	for (int i = 0; i < 16; i++)
		c.id[i] = (unsigned char)(i * 17);
	cursor_encode(&c, text);
	assert_int_equal(strlen(text), CURSOR_STR_LEN);
	assert_int_equal(cursor_decode(text, strlen(text), &d), 0);
	assert_true(d.created_us == c.created_us);
	assert_memory_equal(d.id, c.id, 16);
	for (size_t i = 0; i < CURSOR_STR_LEN; i++) {	/* flip each char */
		char t[CURSOR_STR_LEN + 1];

		memcpy(t, text, sizeof(t));
		t[i] = t[i] == 'A' ? 'E' : 'A';	/* E: differs in the low bits too */
		if (cursor_decode(t, CURSOR_STR_LEN, &d) == 0)
			fail_msg("tampered cursor accepted at %zu", i);
	}
	assert_int_equal(cursor_decode(text, CURSOR_STR_LEN - 1, &d), -1);
	assert_int_equal(cursor_decode("!!", 2, &d), -1);
	assert_int_equal(cursor_decode("", 0, &d), -1);
}

/* Instants before the epoch and ids of every byte survive. */
static void test_extremes(void **state)
{
	static const long long at[] = { 0, -1, -30610224000000000LL, 253402300799999999LL, 1 };
	char text[CURSOR_STR_LEN + 1];
	struct cursor c, d;

	(void)state;
	for (size_t i = 0; i < sizeof(at) / sizeof(at[0]); i++) {
		c.created_us = at[i];
		memset(c.id, (int)(i * 0x55), sizeof(c.id));
		cursor_encode(&c, text);
		assert_int_equal(cursor_decode(text, CURSOR_STR_LEN, &d), 0);
		assert_true(d.created_us == c.created_us);
		assert_memory_equal(d.id, c.id, sizeof(c.id));
	}
}

int main(int argc, char **argv)
{
	unit_filter(argc, argv);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip_and_tamper),
		cmocka_unit_test(test_extremes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
