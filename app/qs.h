/*
 * Query-string and URL decoding primitives. Pure functions over buffers:
 * no allocation, no FastCGI, unit-tested byte by byte.
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

/* True when s[0..n) is well-formed UTF-8: no overlong forms, no UTF-16
 * surrogates, nothing above U+10FFFF. */
bool utf8_valid(const char *s, size_t n);

/* The most bytes of one piece of input (a key, a parameter name) that an
 * error message or failure path echoes. */
#define ECHO_MAX 64
/* Room echo_copy needs at most. */
#define ECHO_ROOM (ECHO_MAX + 3)

/* Copies s[0..n) into dst for echoing: at most ECHO_MAX bytes, cut back to
 * a UTF-8 boundary and followed by "..." when cut; a NUL byte (from a \u0000
 * escape) becomes '?', so the echo stays one C string. Writes at most
 * ECHO_ROOM bytes, no terminator; returns the count. */
size_t echo_copy(char *dst, const char *s, size_t n);

#endif
