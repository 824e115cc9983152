/* Unit tests for app/api/timeconv.c: ISO-8601 parsing and the DATETIME
 * range. (The list's use of it, naive times included: test_filter.c.) */
#include "tests/unit/unit.h"

#include "app/api/timeconv.h"
#include "app/base/clock.h"

static void test_time_conversions(void **state)
{
	long long us;
	struct civil t;

	(void)state;
	assert_int_equal(time_parse_iso("1970-01-01T00:00:00Z", 20, &us), 0);
	assert_true(us == 0);
	assert_int_equal(time_parse_iso("2021-08-10T10:00:00.000Z", 24, &us), 0);
	assert_true(us == 1628589600000000LL);
	civil_from_us(us, &t);
	assert_int_equal(t.year, 2021);
	assert_int_equal(t.month, 8);
	assert_int_equal(t.day, 10);
	assert_int_equal(t.hour, 10);
	assert_true(civil_to_us(&t) == us);
	assert_int_equal(time_parse_iso("2024-02-29", 10, &us), 0);	/* leap day */
	assert_int_equal(time_parse_iso("2023-02-29", 10, &us), -1);
	assert_int_equal(time_parse_iso("2021-08-10T24:00:00Z", 20, &us), -1);
	assert_int_equal(time_parse_iso("2021-08-10T10:00:00.1234567Z", 28, &us), -1);
	assert_int_equal(time_parse_iso("2021-08-10T10:00:00.Z", 21, &us), -1);
	assert_int_equal(time_parse_iso("2021-08-10T10:00Z", 17, &us), 0);
	assert_int_equal(time_parse_iso("2021-08-10T10:00:00-05:30", 25, &us), 0);
	assert_true(us == 1628589600000000LL + (5 * 3600 + 30 * 60) * 1000000LL);
	assert_int_equal(time_parse_iso("0999-01-01", 10, &us), -1);
	/* offsets that leave DATETIME's range */
	assert_int_equal(time_parse_iso("9999-12-31T23:00:00-01:00", 25, &us), -1);
	assert_int_equal(time_parse_iso("1000-01-01T00:30:00+01:00", 25, &us), -1);
	assert_int_equal(time_parse_iso("9999-12-31T23:59:59.999999Z", 27, &us), 0);
	/* a '+' decoded to ' ' */
	assert_int_equal(time_parse_iso("2021-08-10T12:00:00 02:00", 25, &us), 0);
	assert_true(us == 1628589600000000LL);
}

int main(int argc, char **argv)
{
	unit_filter(argc, argv);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_time_conversions),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
