/* Unit tests for app/base/ids.c: UUIDs and hex. */
#include "tests/unit/unit.h"

#include <stdio.h>
#include <string.h>

#include "app/base/ids.h"


static const char uuid_text[] = "0b7e5d3a-8c1f-4e2a-9d6b-1f2e3d4c5b6a";
static const unsigned char uuid_bytes[ID_LEN] = {
	0x0b, 0x7e, 0x5d, 0x3a, 0x8c, 0x1f, 0x4e, 0x2a,
	0x9d, 0x6b, 0x1f, 0x2e, 0x3d, 0x4c, 0x5b, 0x6a,
};

static void test_id_round_trip(void **state)
{
	unsigned char id[ID_LEN];
	char s[ID_STR_LEN + 1];

	(void)state;
	assert_int_equal(ID_STR_LEN, 36);
	assert_int_equal(id_parse(uuid_text, ID_STR_LEN, id), 0);
	assert_memory_equal(id, uuid_bytes, ID_LEN);
	memset(s, 'Z', sizeof(s));
	id_format(id, s);
	assert_string_equal(s, uuid_text);

	/* n bounds the input: a longer buffer parses by its first 36 bytes */
	char longer[] = "0b7e5d3a-8c1f-4e2a-9d6b-1f2e3d4c5b6aXYZ";

	memset(id, 0, sizeof(id));
	assert_int_equal(id_parse(longer, ID_STR_LEN, id), 0);
	assert_memory_equal(id, uuid_bytes, ID_LEN);

	/* all-zero and all-ff */
	assert_int_equal(id_parse("00000000-0000-0000-0000-000000000000", 36, id), 0);
	for (int i = 0; i < ID_LEN; i++)
		assert_int_equal(id[i], 0);
	assert_int_equal(id_parse("ffffffff-ffff-ffff-ffff-ffffffffffff", 36, id), 0);
	for (int i = 0; i < ID_LEN; i++)
		assert_int_equal(id[i], 0xff);
	id_format(id, s);
	assert_string_equal(s, "ffffffff-ffff-ffff-ffff-ffffffffffff");
}

static void test_id_uppercase(void **state)
{
	unsigned char id[ID_LEN];
	char s[ID_STR_LEN + 1];

	(void)state;
	assert_int_equal(id_parse("0B7E5D3A-8C1F-4E2A-9D6B-1F2E3D4C5B6A", 36, id), 0);
	assert_memory_equal(id, uuid_bytes, ID_LEN);
	id_format(id, s);
	assert_string_equal(s, uuid_text);	/* formatted lowercase */
	assert_int_equal(id_parse("0b7E5d3A-8c1F-4e2A-9d6B-1f2E3d4C5b6A", 36, id), 0);
	assert_memory_equal(id, uuid_bytes, ID_LEN);
}

static void test_id_rejects(void **state)
{
	static const char *const bad[] = {
		"0b7e5d3a-8c1f-4e2a-9d6b-1f2e3d4c5b6",		/* 35 */
		"0b7e5d3a-8c1f-4e2a-9d6b-1f2e3d4c5b6a0",	/* 37 */
		"0b7e5d3a8c1f4e2a9d6b1f2e3d4c5b6a",		/* no hyphens */
		"0b7e5d3a_8c1f-4e2a-9d6b-1f2e3d4c5b6a",		/* bad hyphen */
		"0b7e5d3a-8c1f-4e2a-9d6b_1f2e3d4c5b6a",
		"0b7e5d3a8-c1f-4e2a-9d6b-1f2e3d4c5b6a",		/* hyphen moved */
		"0b7e5d3a-8c1f-4e2a-9d6b-1f2e3d4c5b6g",		/* non-hex */
		"0b7e5d3a-8c1f-4e2a-9d6b-1f2e3d4c5b6 ",
		" b7e5d3a-8c1f-4e2a-9d6b-1f2e3d4c5b6a",
		"+b7e5d3a-8c1f-4e2a-9d6b-1f2e3d4c5b6a",
		"0x7e5d3a-8c1f-4e2a-9d6b-1f2e3d4c5b6a",
		"{b7e5d3a-8c1f-4e2a-9d6b-1f2e3d4c5b6}",
		"------------------------------------",
		"",
	};
	unsigned char id[ID_LEN];

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char got[80], want[80];

		snprintf(want, sizeof(want), "[%s] -> -1", bad[i]);
		snprintf(got, sizeof(got), "[%s] -> %d", bad[i],
			 id_parse(bad[i], strlen(bad[i]), id));
		assert_string_equal(got, want);
	}
	/* n is what counts, not the NUL */
	assert_int_equal(id_parse(uuid_text, 35, id), -1);
	assert_int_equal(id_parse(uuid_text, 0, id), -1);
}

static void test_id_generate(void **state)
{
	unsigned char a[ID_LEN], b[ID_LEN], back[ID_LEN];
	char s[ID_STR_LEN + 1];

	(void)state;
	id_generate(a);
	id_generate(b);
	assert_memory_not_equal(a, b, ID_LEN);
	assert_int_equal(a[6] >> 4, 4);		/* version 4 */
	assert_int_equal(a[8] & 0xc0, 0x80);	/* RFC 4122 variant */
	id_format(a, s);
	assert_int_equal(strlen(s), ID_STR_LEN);
	assert_int_equal(id_parse(s, ID_STR_LEN, back), 0);
	assert_memory_equal(a, back, ID_LEN);
}

static void test_hex(void **state)
{
	static const unsigned char bytes[] = { 0x00, 0xab, 0xff, 0x10, 0x09, 0xa0 };
	unsigned char out[8];
	char s[16];

	(void)state;
	memset(s, 'Z', sizeof(s));
	hex_encode(bytes, sizeof(bytes), s);
	assert_string_equal(s, "00abff1009a0");
	memset(s, 'Z', sizeof(s));
	hex_encode(bytes, 0, s);
	assert_string_equal(s, "");

	memset(out, 0x55, sizeof(out));
	assert_int_equal(hex_decode("00abff1009a0", 6, out), 0);
	assert_memory_equal(out, bytes, 6);
	assert_int_equal(out[6], 0x55);	/* nothing written past n */
	assert_int_equal(hex_decode("00ABFF1009A0", 6, out), 0);
	assert_memory_equal(out, bytes, 6);
	assert_int_equal(hex_decode("00aBfF1009A0", 6, out), 0);
	assert_memory_equal(out, bytes, 6);
	/* only 2*n digits are read */
	assert_int_equal(hex_decode("abzz", 1, out), 0);
	assert_int_equal(out[0], 0xab);
	assert_int_equal(hex_decode("", 0, out), 0);

	assert_int_equal(hex_decode("0g", 1, out), -1);
	assert_int_equal(hex_decode("g0", 1, out), -1);
	assert_int_equal(hex_decode("00 1", 2, out), -1);
	assert_int_equal(hex_decode("0:", 1, out), -1);	/* just past '9' */
	assert_int_equal(hex_decode("0/", 1, out), -1);	/* just before '0' */
	assert_int_equal(hex_decode("0@", 1, out), -1);	/* just before 'A' */
	assert_int_equal(hex_decode("0`", 1, out), -1);	/* just before 'a' */
	assert_int_equal(hex_decode("0x", 1, out), -1);
	assert_int_equal(hex_decode("\xff" "0", 1, out), -1);

	/* every byte round-trips */
	for (int v = 0; v < 256; v++) {
		unsigned char b = (unsigned char)v, back;
		char two[3];

		hex_encode(&b, 1, two);
		assert_int_equal(hex_decode(two, 1, &back), 0);
		assert_int_equal(back, v);
	}
}

int main(int argc, char **argv)
{
	unit_filter(argc, argv);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_id_round_trip),
		cmocka_unit_test(test_id_uppercase),
		cmocka_unit_test(test_id_rejects),
		cmocka_unit_test(test_id_generate),
		cmocka_unit_test(test_hex),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
