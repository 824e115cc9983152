/*
 * Query-string and URL decoding primitives. Pure functions over buffers:
 * no allocation, no FastCGI, unit-tested byte by byte. (UTF-8 checks are
 * in utf8.h.)
 */
#ifndef ENVINT_QS_H
#define ENVINT_QS_H

#include <stdbool.h>
#include <stddef.h>

/* Percent-decodes n bytes of src into dst (which may be src: decoding only
 * shrinks). With plus_is_space, '+' becomes ' ' (form encoding, used in
 * query strings, never in paths). Returns the decoded length, or -1 for a
 * malformed escape ("%", "%4", "%zz") or a decoded NUL byte. dst is not
 * NUL-terminated. */
long pct_decode(char *dst, const char *src, size_t n, bool plus_is_space);

/* One "key=value" pair of a query string, still encoded. */
struct qs_pair {
	const char *key;
	size_t klen;
	const char *val;	/* NULL when the pair has no '=' */
	size_t vlen;
};

/* Iterates the '&'-separated pairs of *cursor (a NUL-terminated query
 * string, without the leading '?'), skipping empty pairs ("a=1&&b=2", a
 * trailing '&'). Returns true and advances *cursor when a pair was found. */
bool qs_next(const char **cursor, struct qs_pair *out);

/* Most significant digits dec_whole takes: any such number fits 64 bits. */
#define DEC_WHOLE_DIGITS 18

/* n bytes of decimal digits (leading zeros allowed) naming a whole number
 * from 1 with at most DEC_WHOLE_DIGITS significant digits, into *out: a
 * query parameter's or a JSON number's text (version). 0, or -1 for
 * anything else (empty, a sign, a fraction, an exponent, 0, too long). */
int dec_whole(const char *s, size_t n, unsigned long long *out);

#endif
