/*
 * Keyset pagination cursors: the (created_at, id) of the last row of a
 * page, opaque to clients. Text form: base64url (no padding) of
 *   version (1 byte, = 1) | created_at, microseconds since the epoch
 *   (8 bytes, big-endian) | id (16 bytes) | check (4 bytes)
 * where check is the first 4 bytes of SHA-256 over the preceding bytes.
 * The check catches truncation and tampering by accident; a forged cursor
 * gains nothing, because every query is scoped to the caller anyway.
 */
#ifndef ENVINT_CURSOR_H
#define ENVINT_CURSOR_H

#include <stddef.h>

#define CURSOR_STR_LEN 39	/* base64url of 29 bytes */

struct cursor {
	long long created_us;
	unsigned char id[16];
};

/* Writes the text form and a NUL into out[CURSOR_STR_LEN + 1]. */
void cursor_encode(const struct cursor *c, char *out);

/* Decodes `n` bytes of text. 0, or -1 for anything malformed. */
int cursor_decode(const char *s, size_t n, struct cursor *out);

#endif
