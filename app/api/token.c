#include "app/api/token.h"

#include <string.h>
#include <strings.h>
#include <sys/random.h>

#include <openssl/crypto.h>

#include "app/base/ids.h"
#include "app/base/sha256.h"

_Static_assert(TOKEN_HASH_LEN == SHA256_LEN, "a token hash is a SHA-256");

int token_parse(const char *s, size_t n, struct token *out)
{
	const char *p = s + 3;

	if (n != TOKEN_STR_LEN || memcmp(s, TOKEN_PREFIX, 3) != 0)
		return -1;
	if (hex_decode(p, TOKEN_SELECTOR_LEN, out->selector) < 0)
		return -1;
	p += 2 * TOKEN_SELECTOR_LEN;
	return hex_decode(p, TOKEN_SECRET_LEN, out->secret);
}

int token_from_header(const char *h, struct token *out)
{
	size_t n;

	if (h == NULL || strncasecmp(h, "Bearer ", 7) != 0)
		return -1;
	h += 7;
	while (*h == ' ')
		h++;
	n = strlen(h);
	while (n > 0 && (h[n - 1] == ' ' || h[n - 1] == '\t'))
		n--;
	return token_parse(h, n, out);
}

int token_generate(struct token *out)
{
	unsigned char buf[TOKEN_SELECTOR_LEN + TOKEN_SECRET_LEN];
	size_t got = 0;

	while (got < sizeof(buf)) {
		ssize_t n = getrandom(buf + got, sizeof(buf) - got, 0);

		if (n < 0)
			return -1;
		got += (size_t)n;
	}
	memcpy(out->selector, buf, TOKEN_SELECTOR_LEN);
	memcpy(out->secret, buf + TOKEN_SELECTOR_LEN, TOKEN_SECRET_LEN);
	OPENSSL_cleanse(buf, sizeof(buf));
	return 0;
}

void token_format(const struct token *t, char *out)
{
	memcpy(out, TOKEN_PREFIX, 3);
	hex_encode(t->selector, TOKEN_SELECTOR_LEN, out + 3);
	hex_encode(t->secret, TOKEN_SECRET_LEN, out + 3 + 2 * TOKEN_SELECTOR_LEN);
}

void token_hash(const struct token *t, unsigned char out[TOKEN_HASH_LEN])
{
	/* all zero on failure, which matches no stored hash */
	sha256(t->secret, TOKEN_SECRET_LEN, out);
}

bool token_matches(const struct token *t, const unsigned char stored[TOKEN_HASH_LEN])
{
	unsigned char h[TOKEN_HASH_LEN];
	bool ok;

	token_hash(t, h);
	ok = CRYPTO_memcmp(h, stored, TOKEN_HASH_LEN) == 0;
	OPENSSL_cleanse(h, sizeof(h));
	return ok;
}
