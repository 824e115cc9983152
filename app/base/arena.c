#include "app/base/arena.h"

#include <stdalign.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define ARENA_ALIGN alignof(max_align_t)

struct block {
	struct block *next;
	size_t size;	/* usable bytes in data */
	size_t used;
	alignas(max_align_t) unsigned char data[];
};

struct cleanup {
	struct cleanup *next;
	void (*fn)(void *);
	void *ptr;
};

/* Blocks a reset keeps for the next request (beyond the first), so a
 * worker serving similar requests stops calling malloc at all; anything
 * beyond goes back to the C library, so one huge body does not pin
 * memory for the worker's life. */
#define ARENA_KEEP_BYTES (4u << 20)

struct arena {
	struct block *head;	/* current block; the first block is last in the list */
	struct block *first;
	struct block *spare;	/* kept by reset, reused before malloc */
	size_t spare_bytes;
	struct cleanup *cleanups;
	size_t used;
	size_t grow;		/* size of the next ordinary block */
};

static struct block *block_new(size_t size)
{
	struct block *b = malloc(sizeof(*b) + size);

	if (b == NULL)
		return NULL;
	b->next = NULL;
	b->size = size;
	b->used = 0;
	return b;
}

struct arena *arena_new(size_t first)
{
	struct arena *a = malloc(sizeof(*a));

	if (a == NULL)
		return NULL;
	if (first < 1024)
		first = 1024;
	a->first = a->head = block_new(first);
	if (a->head == NULL) {
		free(a);
		return NULL;
	}
	a->cleanups = NULL;
	a->spare = NULL;
	a->spare_bytes = 0;
	a->used = 0;
	a->grow = first * 2;
	return a;
}

void *arena_alloc(struct arena *a, size_t n)
{
	struct block *b = a->head;
	size_t off, size;

	if (n == 0)
		n = 1;
	if (n > SIZE_MAX - ARENA_ALIGN)
		return NULL;
	off = (b->used + ARENA_ALIGN - 1) & ~(ARENA_ALIGN - 1);
	if (off > b->size || b->size - off < n) {
		/* Ordinary blocks grow geometrically; a request bigger than the
		 * next one gets a block of its own size and leaves the growth
		 * schedule alone, so one huge body does not inflate the rest. */
		if (n > a->grow) {
			size = n;
		} else {
			size = a->grow;
			if (a->grow <= SIZE_MAX / 2)
				a->grow *= 2;
		}
		b = NULL;
		if (a->spare != NULL && a->spare->size >= n) {	/* reuse a kept block */
			b = a->spare;
			a->spare = b->next;
			a->spare_bytes -= b->size;
			b->used = 0;
		}
		if (b == NULL)
			b = block_new(size);
		if (b == NULL)
			return NULL;
		b->next = a->head;
		a->head = b;
		off = 0;
	}
	b->used = off + n;
	a->used += n;
	return b->data + off;
}

void *arena_calloc(struct arena *a, size_t n)
{
	void *p = arena_alloc(a, n);

	if (p != NULL)
		memset(p, 0, n);
	return p;
}

char *arena_strndup(struct arena *a, const char *s, size_t n)
{
	char *p;

	if (n == SIZE_MAX)
		return NULL;
	p = arena_alloc(a, n + 1);
	if (p == NULL)
		return NULL;
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *arena_strdup(struct arena *a, const char *s)
{
	return arena_strndup(a, s, strlen(s));
}

int arena_cleanup_add(struct arena *a, void (*fn)(void *), void *ptr)
{
	struct cleanup *c = arena_alloc(a, sizeof(*c));

	if (c == NULL)
		return -1;
	c->fn = fn;
	c->ptr = ptr;
	c->next = a->cleanups;
	a->cleanups = c;
	return 0;
}

void *arena_own(struct arena *a, void *ptr, void (*fn)(void *))
{
	if (ptr == NULL)
		return NULL;
	if (arena_cleanup_add(a, fn, ptr) < 0) {
		fn(ptr);
		return NULL;
	}
	return ptr;
}

void arena_reset(struct arena *a)
{
	struct block *b, *next;

	while (a->cleanups != NULL) {
		struct cleanup *c = a->cleanups;

		a->cleanups = c->next;
		c->fn(c->ptr);
	}
	for (b = a->head; b != a->first; b = next) {
		next = b->next;
		if (a->spare_bytes + b->size <= ARENA_KEEP_BYTES) {
			b->next = a->spare;
			a->spare = b;
			a->spare_bytes += b->size;
		} else {
			free(b);
		}
	}
	a->head = a->first;
	a->first->used = 0;
	a->used = 0;
	a->grow = a->first->size * 2;
}

size_t arena_used(const struct arena *a)
{
	return a->used;
}

void arena_free(struct arena *a)
{
	struct block *b, *next;

	if (a == NULL)
		return;
	arena_reset(a);
	for (b = a->spare; b != NULL; b = next) {
		next = b->next;
		free(b);
	}
	free(a->first);
	free(a);
}
