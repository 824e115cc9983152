/*
 * fuzz_cursor: keyset pagination cursors (app/api/cursor.c).
 *
 * Input: cursor text as a client would send it in next_cursor.
 * Checks:
 *  - whatever decodes re-encodes to a 39-character base64url string that
 *    decodes again to the identical (created_us, id);
 *  - a decodable text is exactly CURSOR_STR_LEN characters of the
 *    base64url alphabet;
 *  - the input's first 24 bytes taken as a struct cursor value (8 bytes
 *    created_us, 16 bytes id) survive encode -> decode unchanged, so
 *    cursor_encode is exercised over every value, not just decodable ones.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "app/api/cursor.h"
#include "tests/fuzz/fuzz_util.h"

static const char alphabet[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

static void check_encoded(const char *text)
{
	CHECK(strlen(text) == CURSOR_STR_LEN);
	CHECK(strspn(text, alphabet) == CURSOR_STR_LEN);
}

static void round_trip(const struct cursor *c)
{
	char text[CURSOR_STR_LEN + 1 + 8];
	struct cursor d;

	memset(text, 'X', sizeof(text));
	cursor_encode(c, text);
	check_encoded(text);
	memset(&d, 0xa5, sizeof(d));
	CHECKF(cursor_decode(text, CURSOR_STR_LEN, &d) == 0, "own encoding rejected: %s", text);
	CHECKF(d.created_us == c->created_us, "created_us %lld became %lld",
	       c->created_us, d.created_us);
	CHECK(memcmp(d.id, c->id, 16) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cursor c;

	/* 1: the text as given (exact length: no NUL terminator past it) */
	char *copy = malloc(size ? size : 1);

	CHECK(copy != NULL);
	memcpy(copy, data, size);
	memset(&c, 0x5a, sizeof(c));
	if (cursor_decode(copy, size, &c) == 0) {
		CHECK(size == CURSOR_STR_LEN);
		for (size_t i = 0; i < size; i++)
			CHECK(memchr(alphabet, copy[i], sizeof(alphabet) - 1) != NULL);
		round_trip(&c);
	}
	free(copy);

	/* 2: any value encodes and decodes back */
	if (size >= 24) {
		uint64_t v = 0;

		for (int i = 0; i < 8; i++)
			v = v << 8 | data[i];
		c.created_us = (long long)v;
		memcpy(c.id, data + 8, 16);
		round_trip(&c);
	}
	return 0;
}
