/*
 * API tokens: "ei_" + 16 hex digits of selector + 64 hex digits of secret
 * (256 random bits). The selector is stored to find the row; only
 * SHA-256(secret) is stored to check it, and compared in constant time.
 */
#ifndef ENVINT_TOKEN_H
#define ENVINT_TOKEN_H

#include <stdbool.h>
#include <stddef.h>

#define TOKEN_PREFIX "ei_"
#define TOKEN_SELECTOR_LEN 8
#define TOKEN_SECRET_LEN 32
#define TOKEN_HASH_LEN 32
#define TOKEN_STR_LEN (3 + 2 * TOKEN_SELECTOR_LEN + 2 * TOKEN_SECRET_LEN)

struct token {
	unsigned char selector[TOKEN_SELECTOR_LEN];
	unsigned char secret[TOKEN_SECRET_LEN];
};

/* Parses the token text (exactly TOKEN_STR_LEN bytes). 0 or -1. */
int token_parse(const char *s, size_t n, struct token *out);

/* Extracts the token from an Authorization header value ("Bearer X", the
 * scheme in any case, one or more spaces). 0 or -1 when malformed. */
int token_from_header(const char *header, struct token *out);

/* Fills a new token from the kernel's random source. 0 or -1. */
int token_generate(struct token *out);

/* Writes the text form and a NUL into out[TOKEN_STR_LEN + 1]. */
void token_format(const struct token *t, char *out);

/* SHA-256 of the secret. */
void token_hash(const struct token *t, unsigned char out[TOKEN_HASH_LEN]);

/* Constant-time comparison of the secret's hash with a stored one. */
bool token_matches(const struct token *t, const unsigned char stored[TOKEN_HASH_LEN]);

#endif
