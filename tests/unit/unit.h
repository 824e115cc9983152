/*
 * What every unit test program shares: cmocka, and a filter so that one
 * case runs alone:
 *     build-asan/tests/unit/test_json_canon 'test_dup*'
 *     UNIT_FILTER='test_dup*' make check TESTS=tests/unit/test_json_canon
 * run the cases whose names match (cmocka's pattern: '*' and '?').
 * ./dev.sh unit NAME [PATTERN] does the same after building.
 */
#ifndef ENVINT_UNIT_H
#define ENVINT_UNIT_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>

/* Call first in main: applies argv[1], or $UNIT_FILTER, as the filter. */
static inline void unit_filter(int argc, char **argv)
{
	const char *pattern = argc > 1 ? argv[1] : getenv("UNIT_FILTER");

	if (pattern != NULL && *pattern != '\0')
		cmocka_set_test_filter(pattern);
}

#endif
