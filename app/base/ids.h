/*
 * Identifiers and their text forms: UUIDs (BINARY(16) in the database,
 * lowercase hyphenated in JSON) and hex.
 */
#ifndef ENVINT_IDS_H
#define ENVINT_IDS_H

#include <stdbool.h>
#include <stddef.h>

#define ID_LEN 16
#define ID_STR_LEN 36

/* Parses a hyphenated UUID (either case) of exactly `n` bytes into out.
 * Returns 0, or -1 if it is not one. */
int id_parse(const char *s, size_t n, unsigned char out[ID_LEN]);

/* Writes the lowercase hyphenated form and a NUL into out[37]. */
void id_format(const unsigned char id[ID_LEN], char out[ID_STR_LEN + 1]);

/* A new random (version 4) UUID. */
void id_generate(unsigned char out[ID_LEN]);

/* The value of one hex digit (either case), or -1. */
int hex_digit(unsigned char c);

/* Digits by value: "0123456789abcdef" and "0123456789ABCDEF". */
extern const char hex_lower[16], hex_upper[16];

/* Decodes exactly 2*n hex digits (either case) into n bytes. 0 or -1. */
int hex_decode(const char *s, size_t n, unsigned char *out);

/* Writes 2*n lowercase hex digits and a NUL into out. */
void hex_encode(const unsigned char *in, size_t n, char *out);

#endif
