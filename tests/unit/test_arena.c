/*
 * Unit tests for app/base/arena.c: the per-request memory arena.
 */
#include "tests/unit/unit.h"

#include <stdalign.h>
#include <string.h>

#include "app/base/arena.h"

#define ALIGN ((uintptr_t)alignof(max_align_t))

static int is_aligned(const void *p)
{
	return ((uintptr_t)p % ALIGN) == 0;
}

/* Every returned pointer is aligned for max_align_t, whatever the sizes
 * requested before it (odd sizes would misalign a naive bump allocator). */
static void test_alignment(void **state)
{
	struct arena *a = arena_new(4096);

	(void)state;
	assert_non_null(a);
	for (size_t n = 0; n < 300; n++) {
		void *p = arena_alloc(a, n);

		assert_non_null(p);
		assert_true(is_aligned(p));
		/* an odd string in between */
		char *s = arena_strndup(a, "abc", n % 4);

		assert_non_null(s);
		assert_true(is_aligned(s));
		void *z = arena_calloc(a, n % 7 + 1);

		assert_non_null(z);
		assert_true(is_aligned(z));
	}
	arena_free(a);
}

/* Two consecutive allocations never overlap, even of size 0. */
static void test_distinct_pointers(void **state)
{
	struct arena *a = arena_new(1024);
	unsigned char *p, *q;

	(void)state;
	p = arena_alloc(a, 0);
	q = arena_alloc(a, 0);
	assert_non_null(p);
	assert_non_null(q);
	assert_ptr_not_equal(p, q);
	p = arena_alloc(a, 17);
	q = arena_alloc(a, 17);
	assert_true(q >= p + 17 || p >= q + 17);
	arena_free(a);
}

static void test_strndup_strdup(void **state)
{
	struct arena *a = arena_new(1024);
	char *s;

	(void)state;
	s = arena_strndup(a, "hello world", 5);
	assert_non_null(s);
	assert_string_equal(s, "hello");
	assert_int_equal(s[5], '\0');

	s = arena_strndup(a, "hello", 0);
	assert_non_null(s);
	assert_string_equal(s, "");

	/* exactly n bytes are copied, embedded NULs included */
	s = arena_strndup(a, "ab\0cd", 5);
	assert_non_null(s);
	assert_memory_equal(s, "ab\0cd", 6);

	s = arena_strdup(a, "envint");
	assert_non_null(s);
	assert_string_equal(s, "envint");

	s = arena_strdup(a, "");
	assert_non_null(s);
	assert_string_equal(s, "");

	/* the copy is independent of the source */
	char src[] = "mutable";

	s = arena_strdup(a, src);
	src[0] = 'X';
	assert_string_equal(s, "mutable");
	arena_free(a);
}

static void test_strndup_size_max(void **state)
{
	struct arena *a = arena_new(1024);

	(void)state;
	assert_null(arena_strndup(a, "x", SIZE_MAX));
	assert_int_equal(arena_used(a), 0);
	arena_free(a);
}

static void test_alloc_overflow_rejected(void **state)
{
	struct arena *a = arena_new(1024);

	(void)state;
	assert_null(arena_alloc(a, SIZE_MAX));
	assert_null(arena_alloc(a, SIZE_MAX - ALIGN + 1));
	assert_null(arena_calloc(a, SIZE_MAX));
	assert_int_equal(arena_used(a), 0);
	/* the arena still works afterwards */
	assert_non_null(arena_alloc(a, 10));
	assert_int_equal(arena_used(a), 10);
	arena_free(a);
}

/* 10,000 allocations of 100 bytes in a 1 KiB arena: many blocks; every
 * allocation keeps its own contents. */
static void test_many_allocations_cross_blocks(void **state)
{
	enum { N = 10000, SZ = 100 };
	struct arena *a = arena_new(1024);
	static unsigned char *ptrs[N];

	(void)state;
	for (size_t i = 0; i < N; i++) {
		ptrs[i] = arena_alloc(a, SZ);
		assert_non_null(ptrs[i]);
		assert_true(is_aligned(ptrs[i]));
		memset(ptrs[i], (int)(i & 0xff), SZ);
	}
	assert_int_equal(arena_used(a), (size_t)N * SZ);
	for (size_t i = 0; i < N; i++)
		for (size_t k = 0; k < SZ; k++)
			assert_int_equal(ptrs[i][k], i & 0xff);
	arena_reset(a);
	assert_int_equal(arena_used(a), 0);
	arena_free(a);
}

/* A request bigger than any block gets its own block. */
static void test_huge_allocation(void **state)
{
	const size_t big = 3u << 20;	/* 3 MiB in a 1 KiB arena */
	struct arena *a = arena_new(1024);
	unsigned char *small1, *huge, *small2;

	(void)state;
	small1 = arena_alloc(a, 100);
	assert_non_null(small1);
	memset(small1, 0x11, 100);
	huge = arena_alloc(a, big);
	assert_non_null(huge);
	assert_true(is_aligned(huge));
	memset(huge, 0x22, big);
	small2 = arena_alloc(a, 100);
	assert_non_null(small2);
	assert_true(is_aligned(small2));
	memset(small2, 0x33, 100);
	assert_int_equal(arena_used(a), big + 200);
	for (size_t i = 0; i < 100; i++) {
		assert_int_equal(small1[i], 0x11);
		assert_int_equal(small2[i], 0x33);
	}
	assert_int_equal(huge[0], 0x22);
	assert_int_equal(huge[big - 1], 0x22);

	arena_reset(a);
	assert_int_equal(arena_used(a), 0);
	/* and again after the reset */
	huge = arena_alloc(a, big);
	assert_non_null(huge);
	memset(huge, 0x44, big);
	assert_int_equal(arena_used(a), big);
	arena_free(a);
}

static void test_used_accounting(void **state)
{
	struct arena *a = arena_new(1024);

	(void)state;
	assert_int_equal(arena_used(a), 0);
	assert_non_null(arena_alloc(a, 3));
	assert_int_equal(arena_used(a), 3);
	assert_non_null(arena_alloc(a, 5));
	assert_int_equal(arena_used(a), 8);	/* requested bytes, not padding */
	assert_non_null(arena_alloc(a, 0));
	assert_int_equal(arena_used(a), 9);	/* a zero-size request takes 1 */
	assert_non_null(arena_strdup(a, "abcd"));
	assert_int_equal(arena_used(a), 14);	/* 4 + NUL */
	assert_non_null(arena_strndup(a, "abcdef", 2));
	assert_int_equal(arena_used(a), 17);
	assert_non_null(arena_calloc(a, 2000));	/* bigger than the first block */
	assert_int_equal(arena_used(a), 2017);
	arena_reset(a);
	assert_int_equal(arena_used(a), 0);
	assert_non_null(arena_alloc(a, 1));
	assert_int_equal(arena_used(a), 1);
	arena_free(a);
}

static void test_first_block_minimum(void **state)
{
	/* arena_new(0) still gives a usable arena */
	struct arena *a = arena_new(0);
	void *p;

	(void)state;
	assert_non_null(a);
	p = arena_alloc(a, 1000);
	assert_non_null(p);
	memset(p, 1, 1000);
	assert_int_equal(arena_used(a), 1000);
	arena_free(a);
}

/* The first block is reused after a reset: the same first pointer. */
static void test_reset_reuses_first_block(void **state)
{
	struct arena *a = arena_new(4096);
	void *p1, *p2;

	(void)state;
	p1 = arena_alloc(a, 64);
	assert_non_null(arena_alloc(a, 100000));	/* extra blocks */
	arena_reset(a);
	p2 = arena_alloc(a, 64);
	assert_ptr_equal(p1, p2);
	arena_free(a);
}

/* ---- cleanups ---- */

static int order[64];
static size_t norder;

static void record(void *p)
{
	assert_true(norder < sizeof(order) / sizeof(order[0]));
	order[norder++] = *(int *)p;
}

static void test_cleanups_lifo_on_reset(void **state)
{
	static int vals[5] = { 1, 2, 3, 4, 5 };
	struct arena *a = arena_new(1024);

	(void)state;
	norder = 0;
	for (int i = 0; i < 5; i++) {
		assert_int_equal(arena_cleanup_add(a, record, &vals[i]), 0);
		/* allocations in between move cleanups across blocks */
		assert_non_null(arena_alloc(a, 700));
	}
	assert_int_equal(norder, 0);	/* nothing runs before the reset */
	arena_reset(a);
	assert_int_equal(norder, 5);
	for (int i = 0; i < 5; i++)
		assert_int_equal(order[i], 5 - i);
	assert_int_equal(arena_used(a), 0);

	/* cleanups run once: a second reset runs nothing */
	arena_reset(a);
	assert_int_equal(norder, 5);
	arena_free(a);
	assert_int_equal(norder, 5);
}

static void test_cleanups_lifo_on_free(void **state)
{
	static int vals[3] = { 10, 20, 30 };
	struct arena *a = arena_new(1024);

	(void)state;
	norder = 0;
	for (int i = 0; i < 3; i++)
		assert_int_equal(arena_cleanup_add(a, record, &vals[i]), 0);
	arena_free(a);
	assert_int_equal(norder, 3);
	assert_int_equal(order[0], 30);
	assert_int_equal(order[1], 20);
	assert_int_equal(order[2], 10);
}

static void test_free_null(void **state)
{
	(void)state;
	arena_free(NULL);	/* must not crash */
}

static int cycles_run;

static void count_cycle(void *p)
{
	(void)p;
	cycles_run++;
}

/* 1000 request-like cycles: allocations crossing blocks, a cleanup, a
 * reset. Accounting and cleanups stay exact. */
static void test_reset_cycles(void **state)
{
	struct arena *a = arena_new(2048);
	void *first = NULL;

	(void)state;
	cycles_run = 0;
	for (int c = 0; c < 1000; c++) {
		size_t total = 0;
		char *s;

		assert_int_equal(arena_used(a), 0);
		void *p = arena_alloc(a, 16);

		assert_non_null(p);
		if (c == 0)
			first = p;
		else
			assert_ptr_equal(p, first);
		total += 16;
		for (int k = 0; k < 20 + c % 13; k++) {
			size_t n = (size_t)(k * 37 + c) % 500 + 1;
			unsigned char *q = arena_alloc(a, n);

			assert_non_null(q);
			assert_true(is_aligned(q));
			memset(q, c & 0xff, n);
			total += n;
		}
		s = arena_strdup(a, "cycle");
		assert_string_equal(s, "cycle");
		total += 6;
		assert_int_equal(arena_used(a), total);
		assert_int_equal(arena_cleanup_add(a, count_cycle, NULL), 0);
		arena_reset(a);
		assert_int_equal(cycles_run, c + 1);
		assert_int_equal(arena_used(a), 0);
	}
	arena_free(a);
	assert_int_equal(cycles_run, 1000);
}

/* calloc zeroes memory, even memory that held data before a reset. */
static void test_calloc_zeroes(void **state)
{
	struct arena *a = arena_new(1024);
	unsigned char *p, *z;

	(void)state;
	p = arena_alloc(a, 512);
	memset(p, 0xAA, 512);
	arena_reset(a);
	z = arena_calloc(a, 512);
	assert_ptr_equal(z, p);	/* the same bytes, reused */
	for (size_t i = 0; i < 512; i++)
		assert_int_equal(z[i], 0);

	/* in a new block too */
	z = arena_calloc(a, 5000);
	assert_non_null(z);
	for (size_t i = 0; i < 5000; i++)
		assert_int_equal(z[i], 0);
	assert_int_equal(arena_used(a), 5512);
	arena_free(a);
}

int main(int argc, char **argv)
{
	unit_filter(argc, argv);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_alignment),
		cmocka_unit_test(test_distinct_pointers),
		cmocka_unit_test(test_strndup_strdup),
		cmocka_unit_test(test_strndup_size_max),
		cmocka_unit_test(test_alloc_overflow_rejected),
		cmocka_unit_test(test_many_allocations_cross_blocks),
		cmocka_unit_test(test_huge_allocation),
		cmocka_unit_test(test_used_accounting),
		cmocka_unit_test(test_first_block_minimum),
		cmocka_unit_test(test_reset_reuses_first_block),
		cmocka_unit_test(test_cleanups_lifo_on_reset),
		cmocka_unit_test(test_cleanups_lifo_on_free),
		cmocka_unit_test(test_free_null),
		cmocka_unit_test(test_reset_cycles),
		cmocka_unit_test(test_calloc_zeroes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
