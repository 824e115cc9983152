#include "app/base/sha256.h"

#include <string.h>

#include <openssl/evp.h>

static EVP_MD *md;		/* fetched on first use, kept for the process */
static EVP_MD_CTX *ctx;		/* reused by every call */

int sha256(const void *p, size_t n, unsigned char out[SHA256_LEN])
{
	unsigned int len = 0;

	if (md == NULL)
		md = EVP_MD_fetch(NULL, "SHA2-256", NULL);
	if (ctx == NULL)
		ctx = EVP_MD_CTX_new();
	if (md == NULL || ctx == NULL ||
	    EVP_DigestInit_ex2(ctx, md, NULL) != 1 ||
	    EVP_DigestUpdate(ctx, p, n) != 1 ||
	    EVP_DigestFinal_ex(ctx, out, &len) != 1 || len != SHA256_LEN) {
		memset(out, 0, SHA256_LEN);
		return -1;
	}
	return 0;
}
