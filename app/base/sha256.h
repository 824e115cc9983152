/*
 * SHA-256 of a small buffer (token secrets, cursor check bytes).
 *
 * OpenSSL 3 looks the digest implementation up and allocates a context on
 * every EVP_Digest(EVP_sha256()) call; here the implementation is fetched
 * once per process and one context is reused, so a digest allocates
 * nothing. Not thread-safe: envint's processes are single-threaded (a
 * forked worker gets its own copy of the state).
 */
#ifndef ENVINT_SHA256_H
#define ENVINT_SHA256_H

#include <stddef.h>

#define SHA256_LEN 32

/* Writes SHA-256(p[0..n)) to out. Returns 0, or -1 when OpenSSL fails
 * (out is then all zero bytes, which matches no stored hash). */
int sha256(const void *p, size_t n, unsigned char out[SHA256_LEN]);

#endif
