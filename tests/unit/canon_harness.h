/*
 * The harness of the canonicaliser's unit tests (test_json_canon.c, the
 * generic part; test_override.c, API.md's rules): every input runs whole
 * and in every chunk size from 1 to 31 bytes (yajl's own habit: boundaries
 * inside strings, escapes, numbers and UTF-8 sequences), and every run
 * must give the same result. The including file defines canon_new.
 */
#ifndef ENVINT_CANON_HARNESS_H
#define ENVINT_CANON_HARNESS_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/base/arena.h"
#include "app/json/json_canon.h"
#include "tests/unit/unit.h"

struct opts;

/* The canonicaliser under test, made for o (defined by the test file). */
static struct jc *canon_new(struct arena *a, const struct opts *o);

#define MAX_CHUNK 31
#define DEPTH 64

/* A literal and its length (literals may hold NUL bytes). */
#define S(lit) (lit), (sizeof(lit) - 1)

static const char syntax_msg[] =
	"is not valid JSON (syntax error, truncated input or invalid UTF-8)";

struct opts {
	const char *prefix;
	unsigned depth;
	bool red;
};

static const struct opts dflt = { "override", DEPTH, false };
static const struct opts with_red = { "override", DEPTH, true };

/* The outcome of one run; pointers live in the arena until its reset. */
struct res {
	int rc;
	const char *out, *red;
	size_t outlen, redlen;
	const char *path, *msg;
	size_t consumed;	/* bytes fed before a chunk was rejected */
	bool failed_in_feed;
};

/* Runs `in` through a new canonicaliser in chunks of `chunk` bytes (0:
 * whole). Resets the arena first. */
static inline void run(struct arena *a, const char *in, size_t n, size_t chunk,
		const struct opts *o, struct res *r)
{
	struct jc *j;
	size_t off = 0;

	arena_reset(a);
	memset(r, 0, sizeof(*r));
	j = canon_new(a, o);
	assert_non_null(j);
	if (chunk == 0)
		chunk = n > 0 ? n : 1;
	r->rc = 0;
	while (off < n) {
		size_t c = n - off < chunk ? n - off : chunk;

		off += c;
		if (jc_feed(j, in + off - c, c) < 0) {
			r->rc = -1;
			r->failed_in_feed = true;
			break;
		}
	}
	r->consumed = off;
	if (r->rc == 0)
		r->rc = jc_finish(j);
	else
		assert_int_equal(jc_finish(j), -1);	/* stays failed */
	if (r->rc < 0) {
		r->path = jc_failure(j)->path;
		r->msg = jc_failure(j)->msg;
		assert_non_null(r->path);
		assert_non_null(r->msg);
		/* a later feed is refused and keeps the first failure */
		const char *p2, *m2;

		assert_int_equal(jc_feed(j, "{}", 2), -1);
		p2 = jc_failure(j)->path;
		m2 = jc_failure(j)->msg;
		assert_string_equal(p2, r->path);
		assert_string_equal(m2, r->msg);
	} else {
		r->out = jc_output(j, &r->outlen);
		assert_non_null(r->out);
		r->red = jc_redacted(j, &r->redlen);
		if (!o->red)
			assert_null(r->red);
		else
			assert_non_null(r->red);
	}
}

/* The input being tested, printable, to name it in failed comparisons. */
static char label[128];

static inline void set_label(const char *in, size_t n)
{
	size_t o = 0;

	for (size_t i = 0; i < n && o + 8 < sizeof(label); i++) {
		unsigned char c = (unsigned char)in[i];

		if (c >= 0x20 && c < 0x7f)
			label[o++] = (char)c;
		else
			o += (size_t)snprintf(label + o, sizeof(label) - o, "\\x%02x", c);
	}
	if (n > 0 && o + 8 >= sizeof(label))
		memcpy(label + o, "...", 4);
	else
		label[o] = '\0';
}

/* Compares the outcome of a run as one line: input, chunk size, rc, and
 * (on failure) path and message. */
static inline void check_outcome(size_t chunk, const struct res *r, int rc,
			  const char *path, const char *msg)
{
	char g[1024], w[1024];

	snprintf(g, sizeof(g), "[%s] chunk %zu: rc %d %s | %s", label, chunk, r->rc,
		 r->rc < 0 ? r->path : "", r->rc < 0 ? r->msg : "");
	snprintf(w, sizeof(w), "[%s] chunk %zu: rc %d %s | %s", label, chunk, rc,
		 path, msg);
	assert_string_equal(g, w);
}

static inline void check_rc(size_t chunk, int got, int want)
{
	char g[256], w[256];

	snprintf(g, sizeof(g), "[%s] chunk %zu: rc %d", label, chunk, got);
	snprintf(w, sizeof(w), "[%s] chunk %zu: rc %d", label, chunk, want);
	assert_string_equal(g, w);
}

static inline void check_text(const char *got, size_t glen, const char *want, size_t wlen)
{
	if (glen < 900 && wlen < 900) {
		/* short: compare as strings for a readable message */
		char g[256], w[256];

		snprintf(g, sizeof(g), "%.*s", (int)glen, got);
		snprintf(w, sizeof(w), "%.*s", (int)wlen, want);
		assert_string_equal(g, w);
	}
	assert_int_equal(glen, wlen);
	assert_memory_equal(got, want, wlen);
}

/* Expects `in` to canonicalise to `want` (and the redacted copy to
 * `want_red` when o->red) at every chunk size. */
static inline void expect_ok_o(struct arena *a, const char *in, size_t n, const struct opts *o,
			const char *want, size_t wlen, const char *want_red)
{
	struct res r;

	set_label(in, n);
	for (size_t chunk = 0; chunk <= MAX_CHUNK; chunk++) {
		run(a, in, n, chunk, o, &r);
		check_outcome(chunk, &r, 0, "", "");
		check_text(r.out, r.outlen, want, wlen);
		if (o->red && want_red != NULL)
			check_text(r.red, r.redlen, want_red, strlen(want_red));
	}
	arena_reset(a);
}

static inline void expect_ok(struct arena *a, const char *in, size_t n, const char *want)
{
	expect_ok_o(a, in, n, &dflt, want, strlen(want), NULL);
}

/* Expects rejection with exactly `path` and `msg` at every chunk size. */
static inline void expect_fail_o(struct arena *a, const char *in, size_t n, const struct opts *o,
			  const char *path, const char *msg)
{
	struct res r;

	set_label(in, n);
	for (size_t chunk = 0; chunk <= MAX_CHUNK; chunk++) {
		run(a, in, n, chunk, o, &r);
		check_outcome(chunk, &r, -1, path, msg);
	}
	arena_reset(a);
}

static inline void expect_fail(struct arena *a, const char *in, size_t n,
			const char *path, const char *msg)
{
	expect_fail_o(a, in, n, &dflt, path, msg);
}

/* Expects rejection with `msg` and a path that ends with `tail`, at every
 * chunk size (for tests about detection, not about the exact path). */
static inline void expect_fail_tail(struct arena *a, const char *in, size_t n,
			     const char *tail, const char *msg)
{
	struct res r;
	size_t tl = strlen(tail);

	set_label(in, n);
	for (size_t chunk = 0; chunk <= MAX_CHUNK; chunk++) {
		size_t pl;

		run(a, in, n, chunk, &dflt, &r);
		check_rc(chunk, r.rc, -1);
		assert_string_equal(r.msg, msg);
		pl = strlen(r.path);
		assert_true(pl > tl);
		assert_string_equal(r.path + pl - tl, tail);
		assert_memory_equal(r.path, "override.", 9);
	}
	arena_reset(a);
}

/* Per-test arena: created in setup, freed in teardown (which cmocka runs
 * even after a failed assertion, so ASan's leak check stays quiet). */
static inline int setup(void **state)
{
	*state = arena_new(4096);
	return *state == NULL ? -1 : 0;
}

static inline int teardown(void **state)
{
	arena_free(*state);
	return 0;
}

/* A strict UTF-8 check (RFC 3629): no overlongs, no surrogates, nothing
 * above U+10FFFF. */
static inline bool strict_utf8(const unsigned char *s, size_t n)
{
	size_t i = 0;

	while (i < n) {
		unsigned c = s[i];
		size_t k;
		unsigned long cp, min;

		if (c < 0x80) {
			i++;
			continue;
		} else if (c >= 0xc2 && c <= 0xdf) {
			k = 1; cp = c & 0x1f; min = 0x80;
		} else if (c >= 0xe0 && c <= 0xef) {
			k = 2; cp = c & 0x0f; min = 0x800;
		} else if (c >= 0xf0 && c <= 0xf4) {
			k = 3; cp = c & 0x07; min = 0x10000;
		} else {
			return false;
		}
		if (n - i <= k)
			return false;
		for (size_t m = 1; m <= k; m++) {
			if ((s[i + m] & 0xc0) != 0x80)
				return false;
			cp = cp << 6 | (s[i + m] & 0x3f);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return false;
		i += k + 1;
	}
	return true;
}

#endif
