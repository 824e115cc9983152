/* Unit tests for app/base/hostlist.c: db_host's ordered server list. */
#include "tests/unit/unit.h"

#include <stdio.h>
#include <string.h>

#include "app/base/hostlist.h"

static void test_lists(void **state)
{
	static const struct {
		const char *spec;
		const char *want;	/* "host port;host port;..." */
	} ok[] = {
		{ "127.0.0.1", "127.0.0.1 3306;" },
		{ "db1:3311,db2:3312,db3", "db1 3311;db2 3312;db3 3306;" },
		{ " db1 , db2:1 ,\tdb3:65535 ", "db1 3306;db2 1;db3 65535;" },
		{ "[::1]:3307, [2001:db8::3], localhost", "::1 3307;2001:db8::3 3306;localhost 3306;" },
		{ "a,b,c,d,e,f,g,h", "a 3306;b 3306;c 3306;d 3306;e 3306;f 3306;g 3306;h 3306;" },
	};
	struct hostport hp[HOSTLIST_MAX];
	char err[256];
	size_t n;

	(void)state;
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		char got[HOSTLIST_MAX * (HOST_MAX + 8)] = "";

		if (hostlist_parse(ok[i].spec, 3306, hp, &n, err, sizeof(err)) != 0)
			fail_msg("[%s] refused: %s", ok[i].spec, err);
		for (size_t k = 0; k < n; k++)
			snprintf(got + strlen(got), sizeof(got) - strlen(got), "%s %u;",
				 hp[k].host, hp[k].port);
		assert_string_equal(got, ok[i].want);
	}
}

static void test_refused(void **state)
{
	static const char *const bad[] = {
		"", " ", "a,,b", "a,", ",a", "a:0", "a:65536", "a:", "a:x", "a:33x06",
		"::1", "[::1", "[::1]x", "[]:3306", ":3306", "a,b,c,d,e,f,g,h,i",
	};
	struct hostport hp[HOSTLIST_MAX];
	char err[256];
	size_t n;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		if (hostlist_parse(bad[i], 3306, hp, &n, err, sizeof(err)) != -1)
			fail_msg("[%s] accepted", bad[i]);
		assert_true(err[0] != '\0');
	}
	/* a host of 256 bytes */
	char big[300];

	memset(big, 'h', 256);
	big[256] = '\0';
	assert_int_equal(hostlist_parse(big, 3306, hp, &n, err, sizeof(err)), -1);
	big[255] = '\0';
	assert_int_equal(hostlist_parse(big, 3306, hp, &n, err, sizeof(err)), 0);
}

int main(int argc, char **argv)
{
	unit_filter(argc, argv);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lists),
		cmocka_unit_test(test_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
