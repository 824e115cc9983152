/*
 * Unit tests for app/api/token.c: API tokens, their hash and the header.
 */
#include "tests/unit/unit.h"

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


int main(int argc, char **argv)
{
	unit_filter(argc, argv);
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
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
