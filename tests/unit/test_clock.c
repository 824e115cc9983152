/* Unit tests for app/base/clock.c: calendar arithmetic of UTC instants,
 * and the monotonic clock. */
#include "tests/unit/unit.h"

#include "app/base/clock.h"

/* Known instants, field by field, both ways. */
static void test_known_instants(void **state)
{
	static const struct {
		long long us;
		struct civil c;
	} known[] = {
		{ 0, { 1970, 1, 1, 0, 0, 0, 0 } },
		{ -1, { 1969, 12, 31, 23, 59, 59, 999999 } },
		{ 1628589600123456LL, { 2021, 8, 10, 10, 0, 0, 123456 } },
		{ 951782400000000LL, { 2000, 2, 29, 0, 0, 0, 0 } },
		{ -30610224000000000LL, { 1000, 1, 1, 0, 0, 0, 0 } },
		{ 253402300799999999LL, { 9999, 12, 31, 23, 59, 59, 999999 } },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
		struct civil c;

		civil_from_us(known[i].us, &c);
		assert_true(c.year == known[i].c.year);
		assert_int_equal(c.month, known[i].c.month);
		assert_int_equal(c.day, known[i].c.day);
		assert_int_equal(c.hour, known[i].c.hour);
		assert_int_equal(c.minute, known[i].c.minute);
		assert_int_equal(c.second, known[i].c.second);
		assert_int_equal(c.micro, known[i].c.micro);
		assert_true(civil_to_us(&known[i].c) == known[i].us);
	}
}

/* Every day of four centuries round-trips, and days follow each other. */
static void test_every_day(void **state)
{
	struct civil prev = { 0 }, c;

	(void)state;
	for (long long day = -146097; day < 146097; day++) {
		long long us = day * 86400000000LL + 43200000000LL;

		civil_from_us(us, &c);
		assert_true(civil_to_us(&c) == us);
		assert_true(c.day >= 1 && c.day <= civil_days_in_month(c.year, c.month));
		if (day > -146097)
			assert_true(c.day == prev.day + 1 || c.day == 1);
		prev = c;
	}
}

static void test_days_in_month(void **state)
{
	(void)state;
	assert_int_equal(civil_days_in_month(2024, 2), 29);
	assert_int_equal(civil_days_in_month(2023, 2), 28);
	assert_int_equal(civil_days_in_month(1900, 2), 28);
	assert_int_equal(civil_days_in_month(2000, 2), 29);
	assert_int_equal(civil_days_in_month(2023, 4), 30);
	assert_int_equal(civil_days_in_month(2023, 12), 31);
}

static void test_now_ms_is_monotonic(void **state)
{
	long long a = now_ms(), b = now_ms();

	(void)state;
	assert_true(a > 0);
	assert_true(b >= a);
}

int main(int argc, char **argv)
{
	unit_filter(argc, argv);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_known_instants),
		cmocka_unit_test(test_every_day),
		cmocka_unit_test(test_days_in_month),
		cmocka_unit_test(test_now_ms_is_monotonic),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
