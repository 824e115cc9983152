/*
 * UTF-8: strict validation, and the bounded echo of input in error
 * messages. Pure functions over buffers.
 */
#ifndef ENVINT_UTF8_H
#define ENVINT_UTF8_H

#include <stdbool.h>
#include <stddef.h>

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
