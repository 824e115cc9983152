/*
 * fuzz_json_canon: the streaming canonicaliser (app/json/json_canon.c) as the
 * integration import uses it (envintctl: prefix "config", redacted copy
 * wanted, max_depth = json_depth_max's default 64, size hint = length).
 *
 * Input: the raw JSON. Chunk sizes (1..64) come from a hash of the input.
 * Checks:
 *  - whole and chunked feeding agree: success vs failure, failure path and
 *    message, canonical and redacted bytes;
 *  - on success: both outputs are valid UTF-8 and valid JSON; if they
 *    differ, the redacted one contains "[REDACTED]"; walking both token
 *    streams side by side, every value at credentials...client.secret is
 *    exactly "[REDACTED]" in the redacted copy and every other token is
 *    identical (nothing else changed, no secret left behind);
 *  - duplicate keys, checked against a reference: accepted output has no
 *    object with a repeated key, and a "duplicate key" failure is backed
 *    by a repeated key in the input;
 *  - canonical form is a fixed point (re-canonicalising the output gives
 *    the same output and the same redacted copy), and redaction is
 *    idempotent (the redacted copy canonicalises to itself).
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <yajl/yajl_parse.h>

#include "app/api/override.h"
#include "app/base/arena.h"
#include "app/base/utf8.h"
#include "app/json/json_canon.h"
#include "tests/fuzz/fuzz_util.h"

#define DEPTH 64
#define MAX_CHUNK 64

static struct arena *arena;

struct result {
	int rc;
	const char *path, *msg;
	const char *out, *red;
	size_t out_len, red_len;
};

static void canon(const void *in, size_t n, const struct chunker *seed, struct result *r)
{
	struct jc *j = override_canon_new(arena, "config", DEPTH, true, n);
	size_t off = 0;

	CHECK(j != NULL);
	memset(r, 0, sizeof(*r));
	if (seed == NULL) {
		r->rc = n > 0 ? jc_feed(j, in, n) : 0;
	} else {
		struct chunker ch = *seed;

		while (off < n) {
			size_t c = chunker_next(&ch, MAX_CHUNK);

			if (c > n - off)
				c = n - off;
			if ((r->rc = jc_feed(j, (const char *)in + off, c)) < 0)
				break;
			off += c;
		}
	}
	if (r->rc == 0)
		r->rc = jc_finish(j);
	CHECK(r->rc == 0 || r->rc == -1);
	if (r->rc < 0) {
		r->path = jc_failure(j)->path;
		r->msg = jc_failure(j)->msg;
		CHECK(r->path != NULL && r->msg != NULL);
		CHECK(strlen(r->msg) > 0);
		CHECK(!jc_failure(j)->oom);
		return;
	}
	r->out = jc_output(j, &r->out_len);
	r->red = jc_redacted(j, &r->red_len);
	CHECK(r->out != NULL && r->red != NULL);
}

/* ---- token streams of the two outputs ---- */

enum tok { T_NULL, T_BOOL, T_NUM, T_STR, T_KEY, T_MAP, T_END_MAP, T_ARR, T_END_ARR };

struct token {
	enum tok t;
	const char *s;	/* into the output text, or a literal */
	size_t n;
};

struct tokens {
	struct token *v;
	size_t n, cap;
};

static void push(struct tokens *ts, enum tok t, const char *s, size_t n)
{
	if (ts->n == ts->cap) {
		ts->cap = ts->cap ? ts->cap * 2 : 64;
		ts->v = realloc(ts->v, ts->cap * sizeof(*ts->v));
		CHECK(ts->v != NULL);
	}
	/* keep string bytes: yajl's buffers do not outlive the callback */
	char *copy = NULL;

	if (n > 0) {
		copy = malloc(n);
		CHECK(copy != NULL);
		memcpy(copy, s, n);
	}
	ts->v[ts->n++] = (struct token){ t, copy, n };
}

static int t_null(void *c) { push(c, T_NULL, NULL, 0); return 1; }
static int t_bool(void *c, int b) { push(c, T_BOOL, b ? "t" : "f", 1); return 1; }
static int t_num(void *c, const char *s, size_t n) { push(c, T_NUM, s, n); return 1; }
static int t_str(void *c, const unsigned char *s, size_t n) { push(c, T_STR, (const char *)s, n); return 1; }
static int t_key(void *c, const unsigned char *s, size_t n) { push(c, T_KEY, (const char *)s, n); return 1; }
static int t_map(void *c) { push(c, T_MAP, NULL, 0); return 1; }
static int t_end_map(void *c) { push(c, T_END_MAP, NULL, 0); return 1; }
static int t_arr(void *c) { push(c, T_ARR, NULL, 0); return 1; }
static int t_end_arr(void *c) { push(c, T_END_ARR, NULL, 0); return 1; }

static bool tok_eq(const struct token *a, const struct token *b);

static const yajl_callbacks tok_cb = {
	t_null, t_bool, NULL, NULL, t_num, t_str, t_map, t_key, t_end_map, t_arr, t_end_arr,
};

/* Tokenizes s; with `strict`, it must be one valid JSON text. Otherwise
 * the tokens before the first error are kept. */
static void tokenize(const char *s, size_t n, struct tokens *ts, bool strict)
{
	yajl_handle h = yajl_alloc(&tok_cb, NULL, ts);
	bool ok;

	CHECK(h != NULL);
	memset(ts, 0, sizeof(*ts));
	ok = yajl_parse(h, (const unsigned char *)s, n) == yajl_status_ok &&
	     yajl_complete_parse(h) == yajl_status_ok;
	CHECKF(ok || !strict, "output is not valid JSON: %.*s", (int)(n > 300 ? 300 : n), s);
	yajl_free(h);
}

/* Index of the first key that repeats a key of the same object, or -1:
 * a reference for the canonicaliser's duplicate detection (its linear
 * scan and its hash index for objects of more than 16 keys). */
static long first_duplicate(const struct tokens *ts)
{
	size_t *open = malloc((ts->n + 1) * sizeof(*open));	/* token index of each open container */
	size_t depth = 0;
	long dup = -1;

	CHECK(open != NULL);
	for (size_t i = 0; i < ts->n && dup < 0; i++) {
		switch (ts->v[i].t) {
		case T_MAP:
		case T_ARR:
			open[depth++] = i;
			break;
		case T_END_MAP:
		case T_END_ARR:
			CHECK(depth > 0);
			depth--;
			break;
		case T_KEY: {
			/* earlier keys of this object: skip nested containers */
			size_t d = 0;

			CHECK(depth > 0);
			for (size_t k = i; k-- > open[depth - 1] + 1;) {
				enum tok t = ts->v[k].t;

				if (t == T_END_MAP || t == T_END_ARR)
					d++;
				else if (t == T_MAP || t == T_ARR)
					d--;
				else if (t == T_KEY && d == 0 && tok_eq(&ts->v[k], &ts->v[i])) {
					dup = (long)i;
					break;
				}
			}
			break;
		}
		default:
			break;
		}
	}
	free(open);
	return dup;
}

static void tokens_free(struct tokens *ts)
{
	for (size_t i = 0; i < ts->n; i++)
		free((void *)ts->v[i].s);
	free(ts->v);
}

static bool tok_eq(const struct token *a, const struct token *b)
{
	return a->t == b->t && a->n == b->n && (a->n == 0 || memcmp(a->s, b->s, a->n) == 0);
}

static bool is_lit(const struct token *k, const char *lit)
{
	return k != NULL && k->n == strlen(lit) && memcmp(k->s, lit, k->n) == 0;
}

/* Open containers while walking: the current key of objects, NULL for
 * arrays (and for an object before its first key). */
struct frame {
	bool is_map;
	const struct token *key;
};

/* The rule of API.md independently restated: a value whose path is
 * credentials ... client.secret (top-level key "credentials"; the value's
 * own key "secret"; its parent's key "client"). */
static bool secret_here(const struct frame *st, size_t depth)
{
	return depth >= 3 && st[0].is_map && is_lit(st[0].key, "credentials") &&
	       st[depth - 1].is_map && is_lit(st[depth - 1].key, "secret") &&
	       st[depth - 2].is_map && is_lit(st[depth - 2].key, "client");
}

static void check_redaction(const struct tokens *full, const struct tokens *red)
{
	struct frame st[JC_MAX_DEPTH + 8];
	size_t depth = 0, i = 0, k = 0;

	while (i < full->n) {
		const struct token *e = &full->v[i];

		CHECKF(k < red->n, "redacted copy ends early (token %zu)", i);
		if (e->t == T_KEY) {
			CHECK(depth > 0 && st[depth - 1].is_map);
			CHECKF(tok_eq(e, &red->v[k]), "key differs at token %zu", i);
			st[depth - 1].key = e;
			i++, k++;
			continue;
		}
		if (e->t == T_END_MAP || e->t == T_END_ARR) {
			CHECKF(tok_eq(e, &red->v[k]), "container end differs at token %zu", i);
			CHECK(depth > 0);
			depth--;
			i++, k++;
			continue;
		}
		/* a value */
		if (secret_here(st, depth)) {
			CHECKF(red->v[k].t == T_STR && is_lit(&red->v[k], OVERRIDE_REDACTED),
			       "a client.secret under credentials is not redacted (token %zu)", i);
			k++;
			if (e->t == T_MAP || e->t == T_ARR) {	/* skip the whole value */
				size_t d = 0;

				do {
					if (full->v[i].t == T_MAP || full->v[i].t == T_ARR)
						d++;
					else if (full->v[i].t == T_END_MAP || full->v[i].t == T_END_ARR)
						d--;
					i++;
				} while (d > 0);
			} else {
				i++;
			}
			continue;
		}
		CHECKF(tok_eq(e, &red->v[k]), "redacted copy differs outside a secret (token %zu)", i);
		if (e->t == T_MAP || e->t == T_ARR) {
			CHECK(depth < sizeof(st) / sizeof(st[0]));
			st[depth].is_map = e->t == T_MAP;
			st[depth].key = NULL;
			depth++;
		}
		i++, k++;
	}
	CHECKF(k == red->n, "redacted copy has %zu extra tokens", red->n - k);
	CHECK(depth == 0);
}

static bool has_sub(const char *s, size_t n, const char *lit)
{
	return memmem(s, n, lit, strlen(lit)) != NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct result whole, split, again, red_again;
	struct chunker seed;

	if (arena == NULL) {
		arena = arena_new(4096);
		CHECK(arena != NULL);
	}
	chunker_init(&seed, fnv1a32(data, size));

	canon(data, size, NULL, &whole);
	canon(data, size, &seed, &split);
	CHECKF(whole.rc == split.rc, "whole rc %d (%s %s), chunked rc %d (%s %s)",
	       whole.rc, whole.path ? whole.path : "-", whole.msg ? whole.msg : "-",
	       split.rc, split.path ? split.path : "-", split.msg ? split.msg : "-");
	if (whole.rc < 0) {
		CHECKF(strcmp(whole.path, split.path) == 0 && strcmp(whole.msg, split.msg) == 0,
		       "whole failed at '%s' (%s), chunked at '%s' (%s)",
		       whole.path, whole.msg, split.path, split.msg);
		if (strcmp(whole.msg, "duplicate key") == 0) {
			/* yajl gives the reference the same tokens up to there */
			struct tokens ti;

			tokenize((const char *)data, size, &ti, false);
			CHECKF(first_duplicate(&ti) >= 0, "'%s' reported as a duplicate key, "
			       "but no object repeats a key", whole.path);
			tokens_free(&ti);
		}
		arena_reset(arena);
		return 0;
	}
	CHECK(whole.out_len == split.out_len && memcmp(whole.out, split.out, whole.out_len) == 0);
	CHECK(whole.red_len == split.red_len && memcmp(whole.red, split.red, whole.red_len) == 0);

	CHECK(utf8_valid(whole.out, whole.out_len));
	CHECK(utf8_valid(whole.red, whole.red_len));
	if (whole.out_len != whole.red_len || memcmp(whole.out, whole.red, whole.out_len) != 0)
		CHECKF(has_sub(whole.red, whole.red_len, OVERRIDE_REDACTED),
		       "redacted copy differs but holds no %s", OVERRIDE_REDACTED);

	struct tokens tf, tr;

	tokenize(whole.out, whole.out_len, &tf, true);
	tokenize(whole.red, whole.red_len, &tr, true);
	CHECKF(first_duplicate(&tf) < 0, "accepted output repeats a key in one object");
	check_redaction(&tf, &tr);
	tokens_free(&tf);
	tokens_free(&tr);

	/* fixed point: the canonical text canonicalises to itself */
	canon(whole.out, whole.out_len, NULL, &again);
	CHECKF(again.rc == 0, "canonical output rejected: %s %s", again.path, again.msg);
	CHECKF(again.out_len == whole.out_len && memcmp(again.out, whole.out, whole.out_len) == 0,
	       "canonical form is not a fixed point");
	CHECK(again.red_len == whole.red_len && memcmp(again.red, whole.red, whole.red_len) == 0);

	/* redaction is idempotent */
	canon(whole.red, whole.red_len, NULL, &red_again);
	CHECKF(red_again.rc == 0, "redacted output rejected: %s %s", red_again.path, red_again.msg);
	CHECK(red_again.out_len == whole.red_len &&
	      memcmp(red_again.out, whole.red, whole.red_len) == 0);
	CHECK(red_again.red_len == whole.red_len &&
	      memcmp(red_again.red, whole.red, whole.red_len) == 0);

	arena_reset(arena);
	return 0;
}
