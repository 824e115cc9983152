/*
 * Helpers shared by the libFuzzer harnesses in tests/fuzz/: invariant
 * checks that trap, a chunk-size generator, reference validators.
 * Header-only (every function static) so each harness stays one file.
 */
#ifndef ENVINT_FUZZ_UTIL_H
#define ENVINT_FUZZ_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yajl/yajl_parse.h>
#include <yajl/yajl_tree.h>

/* An invariant: when it does not hold, say which one and trap (libFuzzer
 * records the input as a crash). */
#define CHECK(cond) do { \
	if (!(cond)) { \
		fprintf(stderr, "\n*** fuzz invariant failed: %s (%s:%d)\n", \
			#cond, __FILE__, __LINE__); \
		__builtin_trap(); \
	} \
} while (0)

/* Same, with a printf-style explanation. */
#define CHECKF(cond, ...) do { \
	if (!(cond)) { \
		fprintf(stderr, "\n*** fuzz invariant failed: %s (%s:%d): ", \
			#cond, __FILE__, __LINE__); \
		fprintf(stderr, __VA_ARGS__); \
		fputc('\n', stderr); \
		__builtin_trap(); \
	} \
} while (0)

/* Chunk sizes 1..max from a 32-bit seed (xorshift32). */
struct chunker {
	uint32_t s;
};

static inline void chunker_init(struct chunker *c, uint32_t seed)
{
	c->s = seed * 2654435761u + 0x9e3779b9u;
	if (c->s == 0)
		c->s = 1;
}

static inline size_t chunker_next(struct chunker *c, size_t max)
{
	uint32_t x = c->s;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	c->s = x;
	return 1 + (size_t)(x % (uint32_t)max);
}

static inline uint32_t fnv1a32(const uint8_t *p, size_t n)
{
	uint32_t h = 2166136261u;

	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 16777619u;
	return h;
}

/* Reference UTF-8 check, written from the Unicode standard's table 3-7
 * (well-formed byte sequences), independently of app/base/qs.c. */
static inline bool ref_utf8_valid(const uint8_t *s, size_t n)
{
	size_t i = 0;

	while (i < n) {
		uint8_t c = s[i];
		uint8_t lo = 0x80, hi = 0xbf;
		size_t len;

		if (c <= 0x7f) {
			i++;
			continue;
		} else if (c >= 0xc2 && c <= 0xdf) {
			len = 2;
		} else if (c == 0xe0) {
			len = 3, lo = 0xa0;
		} else if ((c >= 0xe1 && c <= 0xec) || c == 0xee || c == 0xef) {
			len = 3;
		} else if (c == 0xed) {
			len = 3, hi = 0x9f;
		} else if (c == 0xf0) {
			len = 4, lo = 0x90;
		} else if (c >= 0xf1 && c <= 0xf3) {
			len = 4;
		} else if (c == 0xf4) {
			len = 4, hi = 0x8f;
		} else {
			return false;
		}
		if (n - i < len)
			return false;
		if (s[i + 1] < lo || s[i + 1] > hi)
			return false;
		for (size_t k = 2; k < len; k++)
			if (s[i + k] < 0x80 || s[i + k] > 0xbf)
				return false;
		i += len;
	}
	return true;
}

/* True when s[0..n) is one complete, valid JSON text according to
 * yajl_tree_parse (the text must not contain a raw NUL: JSON cannot). */
static inline bool json_text_valid(const char *s, size_t n, yajl_val *root_out)
{
	char *copy, err[256];
	yajl_val v;

	if (memchr(s, '\0', n) != NULL)
		return false;
	copy = malloc(n + 1);
	if (copy == NULL)
		abort();
	memcpy(copy, s, n);
	copy[n] = '\0';
	err[0] = '\0';
	v = yajl_tree_parse(copy, err, sizeof(err));
	free(copy);
	if (v == NULL)
		return false;
	if (root_out != NULL)
		*root_out = v;
	else
		yajl_tree_free(v);
	return true;
}

/* Prints a short hex dump of the input (for reports). */
static inline void dump_hex(const char *what, const void *p, size_t n)
{
	const uint8_t *b = p;

	fprintf(stderr, "%s (%zu bytes): ", what, n);
	for (size_t i = 0; i < n && i < 512; i++)
		fprintf(stderr, "%02x", b[i]);
	fprintf(stderr, n > 512 ? "...\n" : "\n");
}

#endif
