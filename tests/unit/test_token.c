/*
 * Unit tests for app/token.c (API tokens) and app/ids.c (UUIDs, hex).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "app/api/token.h"
#include "app/base/ids.h"

/* A fixed, valid token: selector 0123456789abcdef, secret 00 01 .. 1f. */
static const char tok_text[] =
	"ei_0123456789abcdef"
	"000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";

static const unsigned char tok_selector[TOKEN_SELECTOR_LEN] = {
	0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef,
};

static int is_lower_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

static void test_token_len_constant(void **state)
{
	(void)state;
	assert_int_equal(TOKEN_STR_LEN, 83);
	assert_int_equal(strlen(tok_text), TOKEN_STR_LEN);
}

static void test_generate_format(void **state)
{
	struct token t, u;
	char s[TOKEN_STR_LEN + 2];

	(void)state;
	assert_int_equal(token_generate(&t), 0);
	memset(s, 'Z', sizeof(s));
	token_format(&t, s);
	assert_int_equal(s[TOKEN_STR_LEN], '\0');
	assert_int_equal(s[TOKEN_STR_LEN + 1], 'Z');	/* nothing written past the NUL */
	assert_int_equal(strlen(s), TOKEN_STR_LEN);
	assert_memory_equal(s, "ei_", 3);
	for (size_t i = 3; i < TOKEN_STR_LEN; i++)
		assert_true(is_lower_hex(s[i]));

	/* two tokens differ (256 random bits) */
	assert_int_equal(token_generate(&u), 0);
	assert_memory_not_equal(t.secret, u.secret, TOKEN_SECRET_LEN);
}

static void test_parse_round_trip(void **state)
{
	struct token t, p;
	char s[TOKEN_STR_LEN + 1];

	(void)state;
	for (int i = 0; i < 50; i++) {
		assert_int_equal(token_generate(&t), 0);
		token_format(&t, s);
		memset(&p, 0, sizeof(p));
		assert_int_equal(token_parse(s, strlen(s), &p), 0);
		assert_memory_equal(p.selector, t.selector, TOKEN_SELECTOR_LEN);
		assert_memory_equal(p.secret, t.secret, TOKEN_SECRET_LEN);
	}
}

static void test_parse_fixed(void **state)
{
	struct token t;
	char s[TOKEN_STR_LEN + 1];

	(void)state;
	assert_int_equal(token_parse(tok_text, TOKEN_STR_LEN, &t), 0);
	assert_memory_equal(t.selector, tok_selector, TOKEN_SELECTOR_LEN);
	for (int i = 0; i < TOKEN_SECRET_LEN; i++)
		assert_int_equal(t.secret[i], i);
	token_format(&t, s);
	assert_string_equal(s, tok_text);
}

/* hex_decode accepts both cases, so an uppercase token parses (to the
 * same bytes) while its prefix must stay "ei_". */
static void test_parse_uppercase_hex(void **state)
{
	char up[TOKEN_STR_LEN + 1];
	struct token t;

	(void)state;
	memcpy(up, tok_text, sizeof(up));
	for (size_t i = 3; i < TOKEN_STR_LEN; i++)
		if (up[i] >= 'a' && up[i] <= 'f')
			up[i] = (char)(up[i] - 'a' + 'A');
	assert_int_equal(token_parse(up, TOKEN_STR_LEN, &t), 0);
	assert_memory_equal(t.selector, tok_selector, TOKEN_SELECTOR_LEN);
	assert_int_equal(t.secret[31], 0x1f);
	assert_int_equal(t.secret[10], 0x0a);
}

static void test_parse_rejects(void **state)
{
	char s[TOKEN_STR_LEN + 2];
	struct token t;

	(void)state;
	/* wrong lengths */
	assert_int_equal(token_parse(tok_text, TOKEN_STR_LEN - 1, &t), -1);
	memcpy(s, tok_text, TOKEN_STR_LEN);
	s[TOKEN_STR_LEN] = '0';
	s[TOKEN_STR_LEN + 1] = '\0';
	assert_int_equal(token_parse(s, TOKEN_STR_LEN + 1, &t), -1);
	assert_int_equal(token_parse("", 0, &t), -1);
	assert_int_equal(token_parse("ei_", 3, &t), -1);

	/* wrong prefix, same length */
	memcpy(s, tok_text, TOKEN_STR_LEN + 1);
	s[0] = 'E';
	assert_int_equal(token_parse(s, TOKEN_STR_LEN, &t), -1);
	memcpy(s, tok_text, TOKEN_STR_LEN + 1);
	s[2] = '-';
	assert_int_equal(token_parse(s, TOKEN_STR_LEN, &t), -1);
	memcpy(s, tok_text, TOKEN_STR_LEN + 1);
	memcpy(s, "EI_", 3);
	assert_int_equal(token_parse(s, TOKEN_STR_LEN, &t), -1);

	/* a non-hex character anywhere after the prefix */
	static const size_t where[] = { 3, 4, 18, 19, 20, 50, TOKEN_STR_LEN - 1 };
	static const char bad[] = { 'g', 'G', ' ', '-', 'x', '\0' };

	for (size_t i = 0; i < sizeof(where) / sizeof(where[0]); i++)
		for (size_t k = 0; k < sizeof(bad); k++) {
			memcpy(s, tok_text, TOKEN_STR_LEN + 1);
			s[where[i]] = bad[k];
			assert_int_equal(token_parse(s, TOKEN_STR_LEN, &t), -1);
		}
}

struct hdr {
	const char *pre, *post;	/* the header is pre + token + post */
};

static void make_header(char *h, size_t len, const struct hdr *x)
{
	snprintf(h, len, "%s%s%s", x->pre, tok_text, x->post);
}

static void test_from_header(void **state)
{
	static const struct hdr ok[] = {
		{ "Bearer ", "" }, { "bearer ", "" }, { "BEARER  ", "" }, { "bEaReR ", "" },
		{ "Bearer ", "   " }, { "Bearer     ", "" }, { "Bearer ", " \t " },
	};
	char h[256];
	struct token t;

	(void)state;
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		char got[300], want[300];

		memset(&t, 0, sizeof(t));
		make_header(h, sizeof(h), &ok[i]);
		/* the header is part of the compared text, to name it on failure */
		snprintf(want, sizeof(want), "[%s] -> 0", h);
		snprintf(got, sizeof(got), "[%s] -> %d", h, token_from_header(h, &t));
		assert_string_equal(got, want);
		assert_memory_equal(t.selector, tok_selector, TOKEN_SELECTOR_LEN);
		assert_int_equal(t.secret[31], 0x1f);
	}
}

static void test_from_header_rejects(void **state)
{
	static const struct hdr bad[] = {
		{ "Basic ", "" }, { "Token ", "" }, { "Bearer\t", "" }, { " Bearer ", "" },
		{ "Bearer", "" }, { "Bearer ", " x" }, { "Bearer x", "" },
		{ "Bearer ", tok_text }, { "Bearer  \t", "" }, { "Bearer ", "\r\n" },
		{ "", "" },
	};
	static const char *const plain[] = { "Bearer", "Bearer ", "Bearer    ", "", "bearer" };
	char h[512];
	struct token t;

	(void)state;
	assert_int_equal(token_from_header(NULL, &t), -1);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char got[600], want[600];

		make_header(h, sizeof(h), &bad[i]);
		snprintf(want, sizeof(want), "[%s] -> -1", h);
		snprintf(got, sizeof(got), "[%s] -> %d", h, token_from_header(h, &t));
		assert_string_equal(got, want);
	}
	for (size_t i = 0; i < sizeof(plain) / sizeof(plain[0]); i++) {
		char got[64], want[64];

		snprintf(want, sizeof(want), "[%s] -> -1", plain[i]);
		snprintf(got, sizeof(got), "[%s] -> %d", plain[i],
			 token_from_header(plain[i], &t));
		assert_string_equal(got, want);
	}
}

static void hexbytes(const char *hex, unsigned char *out, size_t n)
{
	assert_int_equal(hex_decode(hex, n, out), 0);
}

static void test_hash_vectors(void **state)
{
	struct token t;
	unsigned char h[TOKEN_HASH_LEN], want[TOKEN_HASH_LEN];
	char hex[2 * TOKEN_HASH_LEN + 1];

	(void)state;
	memset(&t, 0, sizeof(t));
	memset(t.selector, 0x77, sizeof(t.selector));	/* the selector is not hashed */
	token_hash(&t, h);
	hex_encode(h, TOKEN_HASH_LEN, hex);
	assert_string_equal(hex, "66687aadf862bd776c8fc18b8e9f8e20089714856ee233b3902a591d0d5f2925");

	assert_int_equal(token_parse(tok_text, TOKEN_STR_LEN, &t), 0);
	token_hash(&t, h);
	hexbytes("630dcd2966c4336691125448bbb25b4ff412a49c732db2c8abc1b8581bd710dd",
		 want, TOKEN_HASH_LEN);
	assert_memory_equal(h, want, TOKEN_HASH_LEN);

	memset(t.secret, 0xff, sizeof(t.secret));
	token_hash(&t, h);
	hex_encode(h, TOKEN_HASH_LEN, hex);
	assert_string_equal(hex, "af9613760f72635fbdb44a5a0a63c39f12af30f950a6ee5c971be188e89c4051");
}

static void test_matches(void **state)
{
	struct token t;
	unsigned char stored[TOKEN_HASH_LEN];

	(void)state;
	assert_int_equal(token_generate(&t), 0);
	token_hash(&t, stored);
	assert_true(token_matches(&t, stored));
	for (size_t i = 0; i < TOKEN_HASH_LEN; i++) {
		stored[i] ^= 0x01;
		assert_false(token_matches(&t, stored));
		stored[i] ^= 0x01;
	}
	assert_true(token_matches(&t, stored));
	/* a different secret does not match */
	t.secret[0] ^= 0x80;
	assert_false(token_matches(&t, stored));
	t.secret[0] ^= 0x80;
	/* the selector plays no part */
	t.selector[0] ^= 0xff;
	assert_true(token_matches(&t, stored));
	memset(stored, 0, sizeof(stored));
	assert_false(token_matches(&t, stored));
}

/* ---- ids.h ---- */

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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_token_len_constant),
		cmocka_unit_test(test_generate_format),
		cmocka_unit_test(test_parse_round_trip),
		cmocka_unit_test(test_parse_fixed),
		cmocka_unit_test(test_parse_uppercase_hex),
		cmocka_unit_test(test_parse_rejects),
		cmocka_unit_test(test_from_header),
		cmocka_unit_test(test_from_header_rejects),
		cmocka_unit_test(test_hash_vectors),
		cmocka_unit_test(test_matches),
		cmocka_unit_test(test_id_round_trip),
		cmocka_unit_test(test_id_uppercase),
		cmocka_unit_test(test_id_rejects),
		cmocka_unit_test(test_id_generate),
		cmocka_unit_test(test_hex),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
