#include "app/api/cursor.h"

#include <string.h>

#include "app/base/sha256.h"

#define RAW_LEN 29

static const char b64[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

static void check_bytes(const unsigned char *raw, unsigned char out[4])
{
	unsigned char h[SHA256_LEN];

	sha256(raw, RAW_LEN - 4, h);	/* all zero on failure */
	memcpy(out, h, 4);
}

void cursor_encode(const struct cursor *c, char *out)
{
	unsigned char raw[RAW_LEN + 1];	/* +1: the last group reads one byte over */
	unsigned long long v = (unsigned long long)c->created_us;
	size_t o = 0;

	raw[0] = 1;
	for (int i = 0; i < 8; i++)
		raw[1 + i] = (unsigned char)(v >> (56 - 8 * i));
	memcpy(raw + 9, c->id, 16);
	check_bytes(raw, raw + 25);
	raw[RAW_LEN] = 0;
	for (size_t i = 0; i < RAW_LEN; i += 3) {
		unsigned long w = (unsigned long)raw[i] << 16 | (unsigned long)raw[i + 1] << 8 |
				  (i + 2 < RAW_LEN ? raw[i + 2] : 0);

		out[o++] = b64[w >> 18 & 63];
		out[o++] = b64[w >> 12 & 63];
		if (i + 1 < RAW_LEN)
			out[o++] = b64[w >> 6 & 63];
		if (i + 2 < RAW_LEN)
			out[o++] = b64[w & 63];
	}
	out[o] = '\0';
}

static int b64val(char c)
{
	const char *p = c ? strchr(b64, c) : NULL;

	return p != NULL ? (int)(p - b64) : -1;
}

int cursor_decode(const char *s, size_t n, struct cursor *out)
{
	unsigned char raw[RAW_LEN + 2], check[4];
	unsigned long long v = 0;
	size_t o = 0;

	if (n != CURSOR_STR_LEN)
		return -1;
	for (size_t i = 0; i < n; i += 4) {
		unsigned long w = 0;
		size_t k, take = n - i < 4 ? n - i : 4;

		for (k = 0; k < take; k++) {
			int d = b64val(s[i + k]);

			if (d < 0)
				return -1;
			w |= (unsigned long)d << (18 - 6 * k);
		}
		raw[o++] = (unsigned char)(w >> 16);
		if (take > 2)
			raw[o++] = (unsigned char)(w >> 8);
		if (take > 3)
			raw[o++] = (unsigned char)w;
	}
	/* the last character carries 2 unused bits: only the spelling the
	 * encoder writes (zeros there) is accepted, one text per cursor */
	if (o != RAW_LEN || raw[0] != 1 || (b64val(s[n - 1]) & 3) != 0)
		return -1;
	check_bytes(raw, check);
	if (memcmp(check, raw + 25, 4) != 0)
		return -1;
	for (int i = 0; i < 8; i++)
		v = v << 8 | raw[1 + i];
	out->created_us = (long long)v;
	memcpy(out->id, raw + 9, 16);
	return 0;
}
