/*
 * fuzz_filter: the list endpoint's query-string parser (app/api/filter.c) and
 * the decoding primitives under it (app/base/qs.c).
 *
 * Input: the raw query string (without '?'), cut at the first NUL byte.
 * Checks:
 *  - pct_decode agrees with a reference decoder, in place and not, with
 *    and without plus_is_space (on the raw bytes, NULs included);
 *  - qs_next yields exactly the non-empty '&'-separated pairs, in order,
 *    each split at its first '=';
 *  - utf8_valid agrees with a reference validator (Unicode table 3-7);
 *  - filter_parse, on success: 1 <= limit <= page_max, n_filters <= 64,
 *    every filter 1 <= n <= 100 with a known field and operator, strings
 *    valid UTF-8, times inside DATETIME's range;
 *    on failure: path and message are NUL-terminated strings, the path
 *    is valid UTF-8 (or made so by json_str), and the error envelope
 *    req_reply_failures would build around them is valid JSON.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <yajl/yajl_gen.h>

#include "app/api/filter.h"
#include "app/api/timeconv.h"
#include "app/base/arena.h"
#include "app/base/clock.h"
#include "app/base/config.h"
#include "app/base/qs.h"
#include "app/base/utf8.h"
#include "app/http/req.h"
#include "tests/fuzz/fuzz_util.h"

static struct arena *arena;
static struct config cfg;

static int hexv(uint8_t c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Reference percent-decoder following qs.h's contract. */
static long ref_pct_decode(uint8_t *dst, const uint8_t *src, size_t n, bool plus)
{
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		if (src[i] == 0)
			return -1;
		if (src[i] == '%') {
			if (n - i < 3)
				return -1;
			int h = hexv(src[i + 1]), l = hexv(src[i + 2]);

			if (h < 0 || l < 0 || (h << 4 | l) == 0)
				return -1;
			dst[o++] = (uint8_t)(h << 4 | l);
			i += 2;
		} else {
			dst[o++] = plus && src[i] == '+' ? ' ' : src[i];
		}
	}
	return (long)o;
}

static void check_pct(const uint8_t *data, size_t size)
{
	uint8_t *ref = malloc(size + 1), *out = malloc(size + 1), *inplace = malloc(size + 1);

	CHECK(ref && out && inplace);
	for (int plus = 0; plus < 2; plus++) {
		long r = ref_pct_decode(ref, data, size, plus);
		long got = pct_decode((char *)out, (const char *)data, size, plus);

		CHECKF(got == r, "pct_decode returned %ld, reference %ld (plus=%d)", got, r, plus);
		if (got >= 0) {
			CHECK((size_t)got <= size);
			CHECK(memcmp(out, ref, (size_t)got) == 0);
			CHECK(memchr(out, '\0', (size_t)got) == NULL);
		}
		memcpy(inplace, data, size);
		got = pct_decode((char *)inplace, (const char *)inplace, size, plus);
		CHECK(got == r);
		if (got >= 0)
			CHECK(memcmp(inplace, ref, (size_t)got) == 0);
	}
	free(ref);
	free(out);
	free(inplace);
}

/* qs_next against a reference split of the NUL-terminated query. */
static void check_qs(const char *q)
{
	size_t qlen = strlen(q);
	const char *cur = q, *ref = q, *end = q + qlen;
	struct qs_pair pr;
	size_t pairs = 0;

	while (qs_next(&cur, &pr)) {
		const char *seg_end;

		/* reference: the next non-empty segment */
		while (*ref == '&')
			ref++;
		CHECK(*ref != '\0');
		seg_end = strchr(ref, '&');
		if (seg_end == NULL)
			seg_end = end;
		CHECK(pr.key == ref);
		CHECK(pr.key >= q && pr.key + pr.klen <= end);
		CHECK(memchr(pr.key, '=', pr.klen) == NULL);
		CHECK(memchr(pr.key, '&', pr.klen) == NULL);
		if (pr.val == NULL) {
			CHECK(pr.vlen == 0);
			CHECK(pr.key + pr.klen == seg_end);
		} else {
			CHECK(pr.val == pr.key + pr.klen + 1 && pr.val[-1] == '=');
			CHECK(pr.val + pr.vlen == seg_end);
			CHECK(memchr(pr.val, '&', pr.vlen) == NULL);
		}
		CHECK(pr.klen > 0 || pr.val != NULL);	/* never an empty pair */
		CHECK(cur == seg_end);
		ref = seg_end;
		CHECK(++pairs <= qlen);
	}
	while (*ref == '&')
		ref++;
	CHECK(*ref == '\0');
	CHECK(*cur == '\0');
}

/* What json_str makes of s, inside a document like the error envelope,
 * must be valid JSON (json_str replaces invalid UTF-8). */
struct sbuf {
	char *p;
	size_t n, cap;
};

static void sbuf_print(void *ctx, const char *s, size_t n)
{
	struct sbuf *b = ctx;

	if (b->n + n > b->cap) {
		b->cap = (b->n + n) * 2;
		b->p = realloc(b->p, b->cap);
		CHECK(b->p != NULL);
	}
	memcpy(b->p + b->n, s, n);
	b->n += n;
}

static void check_envelope(const char *path, const char *message)
{
	struct sbuf b = { 0 };
	yajl_gen g = yajl_gen_alloc(NULL);

	CHECK(g != NULL);
	yajl_gen_config(g, yajl_gen_print_callback, sbuf_print, &b);
	yajl_gen_config(g, yajl_gen_validate_utf8, 1);
	yajl_gen_map_open(g);
	json_key(g, "path");
	json_str(g, path);
	json_key(g, "message");
	json_str(g, message);
	yajl_gen_map_close(g);
	yajl_gen_free(g);
	CHECKF(json_text_valid(b.p, b.n, NULL), "envelope for path '%s' is not JSON", path);
	free(b.p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ei_list_query q;
	struct failure fail = { NULL, NULL };
	char *query;
	int rc;

	if (arena == NULL) {
		config_defaults(&cfg);
		arena = arena_new(4096);
		CHECK(arena != NULL);
	}

	/* qs.h primitives over the raw bytes (NULs included) */
	check_pct(data, size);
	CHECKF(utf8_valid((const char *)data, size) == ref_utf8_valid(data, size),
	       "utf8_valid disagrees with the reference");

	/* the query string: cut at the first NUL */
	size_t n = strnlen((const char *)data, size);

	query = malloc(n + 1);
	CHECK(query != NULL);
	memcpy(query, data, n);
	query[n] = '\0';
	check_qs(query);

	rc = filter_parse(arena, query, &cfg, FILTER_LIST, &q, &fail);
	CHECK(rc == 0 || rc == -1);
	if (rc == 0) {
		CHECKF(q.limit >= 1 && q.limit <= cfg.page_max, "limit %u", q.limit);
		CHECK(q.n_filters <= FILTER_MAX_PARAMS);
		CHECK(q.n_filters == 0 || q.filters != NULL);
		for (size_t i = 0; i < q.n_filters; i++) {
			const struct ei_filter *f = &q.filters[i];

			CHECKF(f->n >= 1 && f->n <= FILTER_MAX_VALUES, "filter %zu has n=%zu", i, f->n);
			CHECK((unsigned)f->field < EF__MAX);
			CHECK((unsigned)f->op < OP__MAX);
			CHECK(f->v != NULL);
			for (size_t k = 0; k < f->n; k++) {
				const union filter_value *v = &f->v[k];

				switch (f->field) {
				case EF_INTEGRATION_NAME:
				case EF_INTEGRATION_CATEGORY:
					CHECK(v->s.p != NULL || v->s.n == 0);
					CHECK(utf8_valid(v->s.p, v->s.n));
					break;
				case EF_CREATED_AT:
				case EF_UPDATED_AT: {
					struct civil t;

					CHECK(time_in_range(v->us));
					civil_from_us(v->us, &t);
					CHECK(t.year >= 1000 && t.year <= 9999);
					CHECK(t.month >= 1 && t.month <= 12);
					CHECK(t.day >= 1 && t.day <= 31);
					CHECK(t.hour <= 23 && t.minute <= 59 && t.second <= 59);
					CHECK(t.micro <= 999999);
					CHECK(civil_to_us(&t) == v->us);
					break;
				}
				case EF_SHOW_IN_CATALOG:
				case EF_IS_ENABLED:
					CHECK(f->op == OP_EQ || f->op == OP_NE);
					break;
				default:
					break;
				}
			}
			/* in/nin lists are merged: one filter per (field, op) */
			if (f->op == OP_IN || f->op == OP_NIN)
				for (size_t k = i + 1; k < q.n_filters; k++)
					CHECK(!(q.filters[k].field == f->field && q.filters[k].op == f->op));
		}
		if (q.has_after)
			CHECK(time_in_range(q.after_created_us));
	} else {
		CHECK(fail.path != NULL && fail.message != NULL);
		size_t pl = strlen(fail.path), ml = strlen(fail.message);

		CHECK(ml > 0);
		CHECK(ref_utf8_valid((const uint8_t *)fail.message, ml));
		/* the path is the decoded parameter name, validated as UTF-8 */
		CHECKF(utf8_valid(fail.path, pl), "failure path is not valid UTF-8");
		check_envelope(fail.path, fail.message);
	}
	/* the history route's mode: no filters, a version from 1, a cursor
	 * position from 2 (nothing lies below version 1) */
	rc = filter_parse(arena, query, &cfg, FILTER_HISTORY, &q, &fail);
	CHECK(rc == 0 || rc == -1);
	if (rc == 0) {
		CHECK(q.n_filters == 0);
		CHECKF(q.limit >= 1 && q.limit <= cfg.page_max, "limit %u", q.limit);
		CHECK(!q.has_version || q.version >= 1);
		CHECK(!q.has_after || q.after_version >= 2);
	} else {
		CHECK(fail.path != NULL && fail.message != NULL);
	}
	free(query);
	arena_reset(arena);
	return 0;
}
