/*
 * Per-request memory arena (nginx's pool). A worker owns one arena and
 * resets it after every request: everything request-scoped lives here and
 * dies together, so handlers never free.
 */
#ifndef ENVINT_ARENA_H
#define ENVINT_ARENA_H

#include <stddef.h>

struct arena;

/* Creates an arena whose first block holds `first` bytes. The caller owns
 * the result (arena_free). NULL when out of memory. */
struct arena *arena_new(size_t first);

/* Returns `n` bytes aligned for any type, owned by the arena and valid until
 * the next arena_reset/arena_free. NULL when out of memory. */
void *arena_alloc(struct arena *a, size_t n);

/* Like arena_alloc, zero-filled. */
void *arena_calloc(struct arena *a, size_t n);

/* Copies `n` bytes of `s` and a terminating NUL into the arena. */
char *arena_strndup(struct arena *a, const char *s, size_t n);
char *arena_strdup(struct arena *a, const char *s);

/* Registers fn(ptr) to run at the next reset/free, last registered first:
 * the way objects with their own destructors (yajl_gen, MYSQL_RES) are tied
 * to the request. Returns 0, or -1 when out of memory (fn is then not
 * registered and the caller still owns ptr). */
int arena_cleanup_add(struct arena *a, void (*fn)(void *), void *ptr);

/* Ties ptr to the arena with arena_cleanup_add; when that fails, fn(ptr)
 * runs at once. Returns ptr, or NULL (ptr NULL, or freed): one call for
 * "create, then own", so a constructor has one cleanup style. */
void *arena_own(struct arena *a, void *ptr, void (*fn)(void *));

/* Runs cleanups and makes the arena empty. Grown blocks are kept for the
 * next request up to a few MiB (no malloc per request in steady state);
 * the rest is freed, so one big request does not leave a worker big. */
void arena_reset(struct arena *a);

/* Bytes handed out since the last reset (for tests and accounting). */
size_t arena_used(const struct arena *a);

void arena_free(struct arena *a);

#endif
