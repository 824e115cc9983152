/*
 * Unit tests for app/api/body.c, the streaming parser of PATCH and POST
 * /environment-integration bodies.
 *
 * Most cases live in a corpus, tests/data/body/:
 *   pass/NAME.json   a valid PATCH body; NAME.canon, when present, is the
 *                    exact canonical override expected (absent: the body
 *                    gives no override text: none, null or {}).
 *   fail/NAME.json   a PATCH body to reject; NAME.path is the expected
 *                    failure path and NAME.msg a substring of the message
 *                    (one line each).
 * Every corpus file is a test of its own. Each input is fed whole and in
 * every chunk size from 1 to 31 bytes (boundaries inside strings, escapes,
 * numbers and UTF-8 sequences), and every run must give the same outcome.
 *
 * Generated inputs (deep nesting, 4 MiB overrides) and the POST mode are
 * tested in code below.
 */
#include "tests/unit/unit.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "app/api/body.h"
#include "app/base/arena.h"
#include "app/base/utf8.h"

#ifndef TEST_DATA_DIR
#error "TEST_DATA_DIR must name tests/data"
#endif

#define MAX_CHUNK 31
#define DEPTH 64

/* A literal and its length (literals may hold NUL bytes). */
#define S(lit) (lit), (sizeof(lit) - 1)

/* One arena for every run: reset before each, freed at the end. */
static struct arena *arena;

/* The outcome of one run; strings live in the arena until its reset. */
struct res {
	int rc;
	struct body b;
	const char *path, *msg;
	bool oom;
	size_t consumed;	/* bytes fed, the rejected chunk included */
	bool failed_in_feed;
};

/* Runs `in` through a new parser in chunks of `chunk` bytes (0: whole, in
 * one body_feed). Resets the arena first. */
static void run(enum body_mode mode, unsigned depth, const char *in, size_t n,
		size_t chunk, struct res *r)
{
	struct body_parser *p;
	size_t off = 0;

	arena_reset(arena);
	memset(r, 0, sizeof(*r));
	p = body_parser_new(arena, mode, depth, 0);
	assert_non_null(p);
	if (chunk == 0)
		chunk = n > 0 ? n : 1;
	while (off < n) {
		size_t c = n - off < chunk ? n - off : chunk;

		off += c;
		if (body_feed(p, in + off - c, c) < 0) {
			r->rc = -1;
			r->failed_in_feed = true;
			break;
		}
	}
	r->consumed = off;
	if (r->rc == 0)
		r->rc = body_finish(p, &r->b);
	else
		assert_int_equal(body_finish(p, &r->b), -1);	/* stays failed */
	if (r->rc < 0) {
		const char *p2, *m2;
		bool oom2;

		body_failure(p, &r->path, &r->msg, &r->oom);
		assert_non_null(r->path);
		assert_non_null(r->msg);
		/* later feeds are refused and the first failure is kept */
		assert_int_equal(body_feed(p, "{}", 2), -1);
		assert_int_equal(body_finish(p, &r->b), -1);
		body_failure(p, &p2, &m2, &oom2);
		assert_string_equal(p2, r->path);
		assert_string_equal(m2, r->msg);
	} else {
		assert_true(r->b.override == NULL || r->b.override_len > 0);
	}
}

/* snprintf for comparison lines: truncation is harmless there. */
static void fmt(char *buf, size_t cap, const char *f, ...) __attribute__((format(printf, 3, 4)));
static void fmt(char *buf, size_t cap, const char *f, ...)
{
	va_list ap;

	va_start(ap, f);
	if (vsnprintf(buf, cap, f, ap) < 0)
		buf[0] = '\0';
	va_end(ap);
}

/* The input being tested, printable, to name it in failed comparisons. */
static char label[300];

static void set_label(const char *name, const char *in, size_t n)
{
	size_t o = 0;

	if (name != NULL) {
		if (snprintf(label, sizeof(label), "%s", name) < 0)
			label[0] = '\0';
		return;
	}
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

static const char *const mode_names[BODY__MAX] = {
	"PATCH", "POST", "MERGE", "RESTORE",	/* BODY_PATCH .. BODY_RESTORE */
};

/* One line per run, compared as strings so that a mismatch shows input,
 * mode, chunk size, rc, path and message together. `msg` is a substring
 * that the message must contain. */
static void check_outcome(enum body_mode mode, size_t chunk, const struct res *r,
			  int rc, const char *path, const char *msg)
{
	char g[1024], w[1024];
	const char *gm = "";

	if (r->rc < 0)
		gm = strstr(r->msg, msg) != NULL ? msg : r->msg;
	fmt(g, sizeof(g), "[%s] %s chunk %zu: rc %d %s | %s%s", label, mode_names[mode],
		 chunk, r->rc, r->rc < 0 ? r->path : "", gm, r->oom ? " (oom)" : "");
	fmt(w, sizeof(w), "[%s] %s chunk %zu: rc %d %s | %s", label, mode_names[mode],
		 chunk, rc, path, msg);
	assert_string_equal(g, w);
}

/* The canonical override, or "(none)". Short texts compare as strings for
 * a readable message. */
static void check_text(const char *got, size_t glen, const char *want, size_t wlen)
{
	if (got == NULL || want == NULL) {
		char g[256], w[256];

		fmt(g, sizeof(g), "[%s] override %s", label, got ? "(text)" : "(none)");
		fmt(w, sizeof(w), "[%s] override %s", label, want ? "(text)" : "(none)");
		assert_string_equal(g, w);
		return;
	}
	if (glen < 900 && wlen < 900) {
		char g[1024], w[1024];

		fmt(g, sizeof(g), "[%s] %.*s", label, (int)glen, got);
		fmt(w, sizeof(w), "[%s] %.*s", label, (int)wlen, want);
		assert_string_equal(g, w);
	}
	assert_int_equal(glen, wlen);
	assert_memory_equal(got, want, wlen);
}

/* Flags and values of two accepted bodies agree. */
static void check_same_body(size_t chunk, const struct body *x, const struct body *y)
{
	char g[256], w[256];

#define FLAGS(b) (b)->has_show_in_catalog, (b)->has_is_enabled, (b)->has_override, \
	(b)->has_integration_id, (b)->has_environment_id, (b)->show_in_catalog, (b)->is_enabled
	fmt(g, sizeof(g), "[%s] chunk %zu: %d%d%d%d%d %d%d", label, chunk, FLAGS(x));
	fmt(w, sizeof(w), "[%s] chunk %zu: %d%d%d%d%d %d%d", label, chunk, FLAGS(y));
#undef FLAGS
	assert_string_equal(g, w);
	if (x->has_integration_id)
		assert_memory_equal(x->integration_id, y->integration_id, 16);
	if (x->has_environment_id)
		assert_memory_equal(x->environment_id, y->environment_id, 16);
}

/* Expects `in` to be accepted at every chunk size, with the override text
 * `want` (NULL: none), and the same body every time; *first gets the
 * whole-input result (its strings are gone after the next run). */
static void expect_ok_m(enum body_mode mode, unsigned depth, const char *in, size_t n,
			const char *want, size_t wlen, struct body *first)
{
	struct res r;
	struct body b0;

	for (size_t chunk = 0; chunk <= MAX_CHUNK; chunk++) {
		run(mode, depth, in, n, chunk, &r);
		check_outcome(mode, chunk, &r, 0, "", "");
		check_text(r.b.override, r.b.override_len, want, wlen);
		if (chunk == 0)
			b0 = r.b;
		else
			check_same_body(chunk, &r.b, &b0);
	}
	if (first != NULL)
		*first = b0;
	arena_reset(arena);
}

static void expect_ok(const char *in, size_t n, const char *want, struct body *first)
{
	set_label(NULL, in, n);
	expect_ok_m(BODY_PATCH, DEPTH, in, n, want, want ? strlen(want) : 0, first);
}

/* Expects rejection at every chunk size, with `path` and a message that
 * contains `msg`, and the very same message at every chunk size. */
static void expect_fail_m(enum body_mode mode, unsigned depth, const char *in, size_t n,
			  const char *path, const char *msg)
{
	struct res r;
	char first_msg[512] = "";

	for (size_t chunk = 0; chunk <= MAX_CHUNK; chunk++) {
		run(mode, depth, in, n, chunk, &r);
		check_outcome(mode, chunk, &r, -1, path, msg);
		if (chunk == 0) {
			fmt(first_msg, sizeof(first_msg), "%s", r.msg);
		} else {
			char g[1024], w[1024];

			fmt(g, sizeof(g), "[%s] chunk %zu: %s", label, chunk, r.msg);
			fmt(w, sizeof(w), "[%s] chunk %zu: %s", label, chunk, first_msg);
			assert_string_equal(g, w);
		}
	}
	arena_reset(arena);
}

static void expect_fail(enum body_mode mode, const char *in, size_t n,
			const char *path, const char *msg)
{
	set_label(NULL, in, n);
	expect_fail_m(mode, DEPTH, in, n, path, msg);
}

/* ================= the corpus ================= */

struct corpus_case {
	char name[256];		/* "pass/NAME" or "fail/NAME" */
	bool pass;
	char *in;
	size_t n;
	char *canon;		/* pass: NULL when no .canon */
	size_t canon_len;
	char *path, *msg;	/* fail */
};

static size_t n_pass_tested, n_fail_tested;

/* Reads a whole file; NULL when it does not exist. */
static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t cap = 0, n = 0;

	if (f == NULL)
		return NULL;
	for (;;) {
		size_t got;

		if (n + 4096 + 1 > cap) {
			cap = (n + 4096 + 1) * 2;
			buf = realloc(buf, cap);
			if (buf == NULL) {
				fclose(f);
				return NULL;
			}
		}
		got = fread(buf + n, 1, cap - n - 1, f);
		n += got;
		if (got == 0)
			break;
	}
	fclose(f);
	buf[n] = '\0';
	*len = n;
	return buf;
}

/* A one-line sidecar, without its line end. */
static char *slurp_line(const char *path)
{
	size_t n;
	char *s = slurp(path, &n);

	if (s == NULL)
		return NULL;
	while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == '\r'))
		s[--n] = '\0';
	return s;
}

static void test_corpus_case(void **state)
{
	const struct corpus_case *c = *state;

	set_label(c->name, NULL, 0);
	if (c->pass) {
		/* as a PATCH body, and as a POST body (a superset of fields) */
		expect_ok_m(BODY_PATCH, DEPTH, c->in, c->n, c->canon, c->canon_len, NULL);
		expect_ok_m(BODY_POST, DEPTH, c->in, c->n, c->canon, c->canon_len, NULL);
		n_pass_tested++;
	} else {
		expect_fail_m(BODY_PATCH, DEPTH, c->in, c->n, c->path, c->msg);
		n_fail_tested++;
	}
}

static int cmp_case(const void *x, const void *y)
{
	return strcmp(((const struct corpus_case *)x)->name, ((const struct corpus_case *)y)->name);
}

/* Loads every NAME.json of body/pass and body/fail with its sidecars. A
 * fail case without .path or .msg is a broken corpus: exit. */
static struct corpus_case *load_corpus(size_t *count)
{
	static const char *const dirs[] = { "pass", "fail" };
	struct corpus_case *cases = NULL;
	size_t n = 0, cap = 0;

	for (size_t d = 0; d < 2; d++) {
		char dpath[1024];
		DIR *dir;
		struct dirent *e;

		fmt(dpath, sizeof(dpath), "%s/body/%s", TEST_DATA_DIR, dirs[d]);
		dir = opendir(dpath);
		if (dir == NULL) {
			fprintf(stderr, "cannot open %s\n", dpath);
			exit(1);
		}
		while ((e = readdir(dir)) != NULL) {
			size_t len = strlen(e->d_name);
			char base[1024], fpath[1100];
			struct corpus_case *c;

			if (len <= 5 || strcmp(e->d_name + len - 5, ".json") != 0)
				continue;
			if (n == cap) {
				cap = cap ? cap * 2 : 64;
				cases = realloc(cases, cap * sizeof(*cases));
				if (cases == NULL)
					exit(1);
			}
			c = &cases[n++];
			memset(c, 0, sizeof(*c));
			if (snprintf(c->name, sizeof(c->name), "%s/%.*s", dirs[d], (int)(len - 5),
				     e->d_name) >= (int)sizeof(c->name)) {
				fprintf(stderr, "corpus file name too long: %s\n", e->d_name);
				exit(1);
			}
			c->pass = d == 0;
			fmt(base, sizeof(base), "%s/%.*s", dpath, (int)(len - 5), e->d_name);
			fmt(fpath, sizeof(fpath), "%s.json", base);
			c->in = slurp(fpath, &c->n);
			if (c->in == NULL) {
				fprintf(stderr, "cannot read %s\n", fpath);
				exit(1);
			}
			if (c->pass) {
				fmt(fpath, sizeof(fpath), "%s.canon", base);
				c->canon = slurp(fpath, &c->canon_len);
				/* canonical text is compact: a final newline is the editor's */
				if (c->canon != NULL && c->canon_len > 0 &&
				    c->canon[c->canon_len - 1] == '\n')
					c->canon[--c->canon_len] = '\0';
			} else {
				fmt(fpath, sizeof(fpath), "%s.path", base);
				c->path = slurp_line(fpath);
				fmt(fpath, sizeof(fpath), "%s.msg", base);
				c->msg = slurp_line(fpath);
				if (c->path == NULL || c->msg == NULL || c->msg[0] == '\0') {
					fprintf(stderr, "%s: needs .path and a non-empty .msg\n", base);
					exit(1);
				}
			}
		}
		closedir(dir);
	}
	if (n > 0)
		qsort(cases, n, sizeof(*cases), cmp_case);
	*count = n;
	return cases;
}

static void free_corpus(struct corpus_case *cases, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(cases[i].in);
		free(cases[i].canon);
		free(cases[i].path);
		free(cases[i].msg);
	}
	free(cases);
}

/* ================= PATCH: what the struct says ================= */

static void test_patch_fields(void **state)
{
	struct body b;

	(void)state;
	expect_ok(S("{\"show_in_catalog\":true}"), NULL, &b);
	assert_true(b.has_show_in_catalog && b.show_in_catalog);
	assert_false(b.has_is_enabled || b.has_override || b.has_integration_id ||
		     b.has_environment_id);

	expect_ok(S("{\"show_in_catalog\":false}"), NULL, &b);
	assert_true(b.has_show_in_catalog);
	assert_false(b.show_in_catalog);

	expect_ok(S("{\"is_enabled\":false}"), NULL, &b);
	assert_true(b.has_is_enabled);
	assert_false(b.is_enabled || b.has_show_in_catalog || b.has_override);

	expect_ok(S("{\"is_enabled\":true}"), NULL, &b);
	assert_true(b.has_is_enabled && b.is_enabled);

	expect_ok(S("{\"is_enabled\":false,\"override\":{\"label\":\"x\"},\"show_in_catalog\":true}"),
		  "{\"label\":\"x\"}", &b);
	assert_true(b.has_is_enabled && b.has_show_in_catalog && b.has_override);
	assert_true(b.show_in_catalog);
	assert_false(b.is_enabled);

	/* nothing at all: every field absent, nothing to write */
	expect_ok(S("{}"), NULL, &b);
	assert_false(b.has_show_in_catalog || b.has_is_enabled || b.has_override);
	assert_null(b.override);
}

/* null and {} both clear: override NULL, has_override true. */
static void test_patch_override_clears(void **state)
{
	static const char *const clear[] = {
		"{\"override\":null}",
		"{\"override\":{}}",
		" { \"override\" : { \n } } ",
		"{\"override\" :null , \"is_enabled\":true}",
	};
	struct body b;

	(void)state;
	for (size_t i = 0; i < sizeof(clear) / sizeof(clear[0]); i++) {
		expect_ok(clear[i], strlen(clear[i]), NULL, &b);
		assert_true(b.has_override);
		assert_null(b.override);
	}
	/* an override with content is not cleared */
	expect_ok(S("{\"override\":{\"tags\":[]}}"), "{\"tags\":[]}", &b);
	assert_true(b.has_override);
	assert_non_null(b.override);
}

/* ================= merge patch (BODY_MERGE) ================= */

/* The override is a merge patch: JSON rules only (nulls, any key, any
 * type: the merged result is judged later), {} kept as {} (no change),
 * null still clears; the flags as in PATCH, never null. */
static void test_merge_patch_bodies(void **state)
{
	static const char *const ok[][2] = {
		{ "{\"override\":{\"label\":null,\"nope\":1}}", "{\"label\":null,\"nope\":1}" },
		{ "{\"override\":{\"headers\":{\"a\":null},\"base_url\":5}}",
		  "{\"headers\":{\"a\":null},\"base_url\":5}" },
		{ "{\"override\":{}}", "{}" },
		{ "{\"override\" : { } , \"is_enabled\":true}", "{}" },
		{ "{\"override\":null}", NULL },
		{ "{\"is_enabled\":false}", NULL },
	};
	struct res r;

	(void)state;
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		const char *want = ok[i][1];

		set_label(NULL, ok[i][0], strlen(ok[i][0]));
		expect_ok_m(BODY_MERGE, DEPTH, ok[i][0], strlen(ok[i][0]), want,
			    want ? strlen(want) : 0, NULL);
	}
	run(BODY_MERGE, DEPTH, S("{\"override\":{}}"), 0, &r);
	assert_true(r.rc == 0 && r.b.merge && r.b.has_override);
	run(BODY_PATCH, DEPTH, S("{\"override\":{}}"), 0, &r);
	assert_true(r.rc == 0 && !r.b.merge && r.b.has_override && r.b.override == NULL);
	arena_reset(arena);
	expect_fail(BODY_MERGE, S("{\"is_enabled\":null}"), "is_enabled", "must be a boolean");
	expect_fail(BODY_MERGE, S("{\"show_in_catalog\":null}"), "show_in_catalog",
		    "must be a boolean");
	expect_fail(BODY_MERGE, S("{\"override\":[]}"), "override", "must be an object or null");
	expect_fail(BODY_MERGE, S("{\"override\":{\"a\":1,\"a\":null}}"), "override.a",
		    "duplicate key");
	expect_fail(BODY_MERGE, S("{\"integration_id\":null}"), "integration_id", "is read-only");
	expect_fail(BODY_MERGE, S("{\"override\":{\"x\":1e400}}"), "override.x",
		    "number out of range");
}

/* ================= restore (BODY_RESTORE) ================= */

/* {"version": N}: a whole number from 1, no sign, fraction, exponent or
 * leading zero; the object's other fields are unknown here. */
static void test_restore_bodies(void **state)
{
	static const struct { const char *in; unsigned long long v; } ok[] = {
		{ "{\"version\":1}", 1 },
		{ "{ \"version\" : 42 }", 42 },
		{ "{\"version\":999999999999999999}", 999999999999999999ULL },
	};
	static const char *const bad[] = {
		"{\"version\":0}", "{\"version\":-1}", "{\"version\":1.5}",
		"{\"version\":1e3}", "{\"version\":01}", "{\"version\":\"1\"}",
		"{\"version\":null}", "{\"version\":true}", "{\"version\":[1]}",
		"{\"version\":{}}", "{\"version\":1000000000000000000}",
	};
	struct res r;

	(void)state;
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		for (size_t chunk = 0; chunk <= 3; chunk++) {
			run(BODY_RESTORE, DEPTH, ok[i].in, strlen(ok[i].in), chunk, &r);
			assert_int_equal(r.rc, 0);
			assert_true(r.b.has_version);
			assert_true(r.b.version == ok[i].v);
		}
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		expect_fail(BODY_RESTORE, bad[i], strlen(bad[i]), "version",
			    "must be a whole number from 1");
	run(BODY_RESTORE, DEPTH, S("{}"), 0, &r);
	assert_true(r.rc == 0 && !r.b.has_version);
	expect_fail(BODY_RESTORE, S("{\"version\":1,\"version\":2}"), "version", "duplicate key");
	expect_fail(BODY_RESTORE, S("{\"is_enabled\":true}"), "is_enabled", "unknown field");
	expect_fail(BODY_RESTORE, S("{\"override\":{}}"), "override", "unknown field");
	expect_fail(BODY_RESTORE, S("{\"id\":1}"), "id", "unknown field");
	/* and a PATCH may not set it: it is the object's */
	expect_fail(BODY_PATCH, S("{\"version\":3}"), "version", "is read-only");
	expect_fail(BODY_PATCH, S("{\"is_enabled\":1}"), "is_enabled", "must be a boolean");
}

/* ================= POST ================= */

static const unsigned char uuid_a[16] = {
	0x4a, 0x4d, 0xe8, 0x28, 0xf4, 0xdb, 0x4c, 0x9e,
	0xad, 0xfd, 0x43, 0x4e, 0x08, 0x64, 0xc3, 0xc7,
};
static const unsigned char uuid_b[16] = {
	0x8a, 0x2b, 0x10, 0x4d, 0x74, 0xa6, 0x47, 0xf2,
	0xb9, 0x3e, 0xc6, 0xb6, 0x11, 0xe8, 0x23, 0x91,
};

static void expect_post_ok(const char *in, size_t n, const char *want, struct body *b)
{
	set_label(NULL, in, n);
	expect_ok_m(BODY_POST, DEPTH, in, n, want, want ? strlen(want) : 0, b);
}

static void test_post_ids_accepted(void **state)
{
	struct body b;

	(void)state;
	expect_post_ok(S("{\"integration_id\":\"4a4de828-f4db-4c9e-adfd-434e0864c3c7\","
			 "\"environment_id\":\"8a2b104d-74a6-47f2-b93e-c6b611e82391\"}"), NULL, &b);
	assert_true(b.has_integration_id && b.has_environment_id);
	assert_false(b.has_show_in_catalog || b.has_is_enabled || b.has_override);
	assert_memory_equal(b.integration_id, uuid_a, 16);
	assert_memory_equal(b.environment_id, uuid_b, 16);

	/* all fields, any order, with an override */
	expect_post_ok(S("{ \"override\" : {\"label\":\"l\"}, \"is_enabled\": false,"
			 " \"environment_id\" : \"8a2b104d-74a6-47f2-b93e-c6b611e82391\" ,"
			 "\"show_in_catalog\":true,"
			 "\"integration_id\":\"4a4de828-f4db-4c9e-adfd-434e0864c3c7\"}"),
		       "{\"label\":\"l\"}", &b);
	assert_true(b.has_integration_id && b.has_environment_id && b.has_override &&
		    b.has_is_enabled && b.has_show_in_catalog);
	assert_true(b.show_in_catalog);
	assert_false(b.is_enabled);
	assert_memory_equal(b.integration_id, uuid_a, 16);
	assert_memory_equal(b.environment_id, uuid_b, 16);

	/* integration_id alone; environment_id is optional */
	expect_post_ok(S("{\"integration_id\":\"4a4de828-f4db-4c9e-adfd-434e0864c3c7\"}"), NULL, &b);
	assert_true(b.has_integration_id);
	assert_false(b.has_environment_id);
	assert_memory_equal(b.integration_id, uuid_a, 16);

	/* ids.h: either case is a UUID */
	expect_post_ok(S("{\"integration_id\":\"4A4DE828-F4DB-4C9E-ADFD-434E0864C3C7\"}"), NULL, &b);
	assert_memory_equal(b.integration_id, uuid_a, 16);

	/* an escaped key and escaped characters in the value */
	expect_post_ok(S("{\"integration\\u005fid\":\"4a4de828\\u002df4db-4c9e-adfd-434e0864c3c7\"}"),
		       NULL, &b);
	assert_true(b.has_integration_id);
	assert_memory_equal(b.integration_id, uuid_a, 16);
}

static void test_post_ids_rejected(void **state)
{
	static const struct {
		const char *in, *path, *msg;
	} cases[] = {
		{ "{\"integration_id\":\"not-a-uuid\"}", "integration_id", "must be a UUID string" },
		{ "{\"integration_id\":\"\"}", "integration_id", "must be a UUID string" },
		{ "{\"integration_id\":\"4a4de828-f4db-4c9e-adfd-434e0864c3c\"}", "integration_id", "must be a UUID string" },
		{ "{\"integration_id\":\"4a4de828-f4db-4c9e-adfd-434e0864c3c7a\"}", "integration_id", "must be a UUID string" },
		{ "{\"integration_id\":\"4a4de828f4db4c9eadfd434e0864c3c7\"}", "integration_id", "must be a UUID string" },
		{ "{\"integration_id\":\"{4a4de828-f4db-4c9e-adfd-434e0864c3c7}\"}", "integration_id", "must be a UUID string" },
		{ "{\"integration_id\":\"4a4de828-f4db-4c9e-adfd-434e0864c3g7\"}", "integration_id", "must be a UUID string" },
		{ "{\"integration_id\":\" 4a4de828-f4db-4c9e-adfd-434e0864c3c7\"}", "integration_id", "must be a UUID string" },
		{ "{\"integration_id\":\"4a4de828-f4db-4c9e-adfd-434e0864c3c7\\u0000\"}", "integration_id", "must be a UUID string" },
		{ "{\"integration_id\":123}", "integration_id", "must be a UUID string" },
		{ "{\"integration_id\":1e400}", "integration_id", "must be a UUID string" },
		{ "{\"integration_id\":null}", "integration_id", "must be a UUID string" },
		{ "{\"integration_id\":true}", "integration_id", "must be a UUID string" },
		{ "{\"integration_id\":[\"4a4de828-f4db-4c9e-adfd-434e0864c3c7\"]}", "integration_id", "must be a UUID string" },
		{ "{\"integration_id\":{}}", "integration_id", "must be a UUID string" },
		{ "{\"environment_id\":\"production\"}", "environment_id", "must be a UUID string" },
		{ "{\"integration_id\":\"4a4de828-f4db-4c9e-adfd-434e0864c3c7\",\"environment_id\":7}",
		  "environment_id", "must be a UUID string" },
		/* duplicates, read-only and unknown fields as in PATCH */
		{ "{\"integration_id\":\"4a4de828-f4db-4c9e-adfd-434e0864c3c7\","
		  "\"integration_id\":\"4a4de828-f4db-4c9e-adfd-434e0864c3c7\"}", "integration_id", "duplicate key" },
		{ "{\"id\":\"4a4de828-f4db-4c9e-adfd-434e0864c3c7\"}", "id", "is read-only" },
		{ "{\"created_at\":\"2021-08-10T10:00:00.000Z\"}", "created_at", "is read-only" },
		{ "{\"integration\":{}}", "integration", "is read-only" },
		{ "{\"integration_name\":\"zendesk\"}", "integration_name", "unknown field" },
		{ "{\"is_enabled\":\"4a4de828-f4db-4c9e-adfd-434e0864c3c7\"}", "is_enabled", "must be a boolean" },
		{ "{\"override\":\"4a4de828-f4db-4c9e-adfd-434e0864c3c7\"}", "override", "must be an object or null" },
		{ "[\"4a4de828-f4db-4c9e-adfd-434e0864c3c7\"]", "body", "must be a JSON object" },
		{ "", "body", "is empty" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		expect_fail(BODY_POST, cases[i].in, strlen(cases[i].in), cases[i].path, cases[i].msg);
	/* the very same ids are read-only in PATCH */
	expect_fail(BODY_PATCH, S("{\"integration_id\":\"4a4de828-f4db-4c9e-adfd-434e0864c3c7\"}"),
		    "integration_id", "is read-only");
	expect_fail(BODY_PATCH, S("{\"environment_id\":\"8a2b104d-74a6-47f2-b93e-c6b611e82391\"}"),
		    "environment_id", "is read-only");
}

/* ================= generated input ================= */

/* 100,000 levels of nesting are refused within the first few hundred
 * bytes: the parser never walks (or buffers) the rest. */
static void deep_fails_fast(const char *prefix, char open, const char *path_prefix,
			    const char *msg)
{
	const size_t levels = 100000, chunk = 64;
	size_t plen = strlen(prefix), n = plen + levels, off = 0;
	char *in = malloc(n);
	struct body_parser *p;
	const char *path, *m;
	bool oom;
	int rc = 0;

	assert_non_null(in);
	memcpy(in, prefix, plen);
	memset(in + plen, open, levels);
	arena_reset(arena);
	p = body_parser_new(arena, BODY_PATCH, DEPTH, 0);
	assert_non_null(p);
	while (off < n) {
		size_t c = n - off < chunk ? n - off : chunk;

		off += c;
		if (body_feed(p, in + off - c, c) < 0) {
			rc = -1;
			break;
		}
	}
	free(in);
	assert_int_equal(rc, -1);
	{
		char g[128], w[128];

		fmt(g, sizeof(g), "[%s] consumed <= 320: %s", prefix, off <= 320 ? "yes" : "no");
		fmt(w, sizeof(w), "[%s] consumed <= 320: yes", prefix);
		assert_string_equal(g, w);
	}
	body_failure(p, &path, &m, &oom);
	assert_false(oom);
	assert_string_equal(m, msg);
	assert_memory_equal(path, path_prefix, strlen(path_prefix));
	print_message("# %s + 100000 x '%c': rejected after %zu bytes: %s %s\n",
		      prefix, open, off, path, m);
	arena_reset(arena);
}

static void test_deep_nesting_fails_fast(void **state)
{
	(void)state;
	deep_fails_fast("{\"override\":{\"actions\":{\"x\":", '[', "override.actions.x[0][0]",
			"nested too deeply");
	/* objects nest the same way (each level needs a key) */
	{
		const size_t levels = 100000;
		const char *pre = "{\"override\":{\"actions\":";
		size_t plen = strlen(pre), n = plen + levels * 5, off = 0;
		char *in = malloc(n);
		struct body_parser *p;
		const char *path, *m;
		bool oom;
		int rc = 0;

		assert_non_null(in);
		memcpy(in, pre, plen);
		for (size_t i = 0; i < levels; i++)
			memcpy(in + plen + i * 5, "{\"a\":", 5);
		arena_reset(arena);
		p = body_parser_new(arena, BODY_PATCH, DEPTH, 0);
		assert_non_null(p);
		while (off < n) {
			size_t c = n - off < 64 ? n - off : 64;

			off += c;
			if (body_feed(p, in + off - c, c) < 0) {
				rc = -1;
				break;
			}
		}
		free(in);
		assert_int_equal(rc, -1);
		assert_true(off <= 64 * 8);	/* 62 levels * 5 bytes + prefix */
		body_failure(p, &path, &m, &oom);
		assert_string_equal(m, "nested too deeply");
		assert_memory_equal(path, "override.actions.a.a.a", 22);
		arena_reset(arena);
	}
	/* outside the override: a wrong type, at the first bracket */
	deep_fails_fast("{\"show_in_catalog\":", '[', "show_in_catalog", "must be a boolean");
	deep_fails_fast("{\"is_enabled\":", '{', "is_enabled", "must be a boolean");
	deep_fails_fast("", '[', "body", "must be a JSON object");
}

/* The limit counts the body object itself: max_depth levels in all. */
static void depth_case(unsigned max_depth, unsigned levels, bool ok)
{
	/* {"override":{"actions":{"x":[[...]]}}}: body, override, actions,
	 * then levels-3 arrays */
	size_t arrays = levels - 3, n = 0;
	char *in = malloc(64 + 2 * arrays), *want = malloc(64 + 2 * arrays);
	size_t wn;

	assert_non_null(in);
	assert_non_null(want);
	n = (size_t)sprintf(in, "{\"override\":{\"actions\":{\"x\":");
	wn = (size_t)sprintf(want, "{\"actions\":{\"x\":");
	memset(in + n, '[', arrays);
	memset(want + wn, '[', arrays);
	n += arrays;
	wn += arrays;
	memset(in + n, ']', arrays);
	memset(want + wn, ']', arrays);
	n += arrays;
	wn += arrays;
	n += (size_t)sprintf(in + n, "}}}");
	wn += (size_t)sprintf(want + wn, "}}");
	fmt(label, sizeof(label), "max_depth %u, %u levels", max_depth, levels);
	if (ok) {
		expect_ok_m(BODY_PATCH, max_depth, in, n, want, wn, NULL);
	} else {
		struct res r;

		for (size_t chunk = 0; chunk <= MAX_CHUNK; chunk += 7) {
			run(BODY_PATCH, max_depth, in, n, chunk, &r);
			assert_int_equal(r.rc, -1);
			assert_string_equal(r.msg, "nested too deeply");
			assert_memory_equal(r.path, "override.actions.x", 18);
		}
	}
	free(in);
	free(want);
	arena_reset(arena);
}

static void test_depth_limit(void **state)
{
	struct res r;

	(void)state;
	depth_case(64, 64, true);
	depth_case(64, 65, false);
	depth_case(10, 10, true);
	depth_case(10, 11, false);
	depth_case(4, 4, true);
	depth_case(4, 5, false);
	/* JC_MAX_DEPTH caps the override at 127 levels (yajl_gen's limit) */
	depth_case(1000, 128, true);
	depth_case(1000, 129, false);

	/* max_depth 2: the body and a flat override */
	set_label("max_depth 2", NULL, 0);
	expect_ok_m(BODY_PATCH, 2, S("{\"override\":{\"label\":\"x\"}}"), S("{\"label\":\"x\"}"), NULL);
	expect_fail_m(BODY_PATCH, 2, S("{\"override\":{\"actions\":{}}}"), "override.actions",
		      "nested too deeply");
	/* below 2 counts as 2: an override object is always possible */
	for (unsigned d = 0; d < 2; d++) {
		run(BODY_PATCH, d, S("{\"override\":{\"label\":\"x\"}}"), 0, &r);
		assert_int_equal(r.rc, 0);
		run(BODY_PATCH, d, S("{\"override\":{\"actions\":{}}}"), 0, &r);
		assert_int_equal(r.rc, -1);
		assert_string_equal(r.msg, "nested too deeply");
	}
	arena_reset(arena);
}

/* Builds a ~4 MiB body: environment_variables with many keys of mixed
 * values. Returns the body; *ov_off and *ov_len locate the override. */
static char *big_body(size_t target, size_t *n_out, size_t *ov_off, size_t *ov_len,
		      size_t *keys_out)
{
	char *in = malloc(target + 512);
	size_t n, keys = 0;

	assert_non_null(in);
	n = (size_t)sprintf(in, "{\"is_enabled\":true,\"override\":");
	*ov_off = n;
	n += (size_t)sprintf(in + n, "{\"label\":\"big\",\"environment_variables\":{");
	while (n < target) {
		int w;

		switch (keys % 4) {
		case 0:
			w = sprintf(in + n, "%s\"k%07zu\":\"%032zx\"", keys ? "," : "", keys,
				    keys * 2654435761u);
			break;
		case 1:
			w = sprintf(in + n, ",\"k%07zu\":%zu.5e-3", keys, keys);
			break;
		case 2:
			w = sprintf(in + n, ",\"k%07zu\":{\"k%07zu\":[true,null,\"x\"]}", keys, keys);
			break;
		default:
			w = sprintf(in + n, ",\"k%07zu\":-%zu", keys, keys);
			break;
		}
		assert_true(w > 0);
		n += (size_t)w;
		keys++;
	}
	n += (size_t)sprintf(in + n, "}}");
	*ov_len = n - *ov_off;
	n += (size_t)sprintf(in + n, ",\"show_in_catalog\":false}");
	*n_out = n;
	*keys_out = keys;
	return in;
}

/* Freed by the group teardown too, should an assertion jump out. */
static char *big_in, *big_dup;

static void test_large_override(void **state)
{
	static const size_t chunks[] = { 0, 1, 7, 31, 4096, 65536 };
	const size_t target = 4u << 20;
	size_t n, ov_off, ov_len, keys;
	char *in = big_in = big_body(target, &n, &ov_off, &ov_len, &keys);
	char *dup;
	struct res r;
	clock_t t0 = clock();

	(void)state;
	assert_true(n >= target);
	assert_true(keys > 100000);
	fmt(label, sizeof(label), "4 MiB override, %zu keys", keys);
	for (size_t i = 0; i < sizeof(chunks) / sizeof(chunks[0]); i++) {
		run(BODY_PATCH, DEPTH, in, n, chunks[i], &r);
		check_outcome(BODY_PATCH, chunks[i], &r, 0, "", "");
		assert_true(r.b.has_override && r.b.has_is_enabled && r.b.has_show_in_catalog);
		/* the compact input comes out byte for byte */
		check_text(r.b.override, r.b.override_len, in + ov_off, ov_len);
	}

	/* the same body, with a duplicate of the first key at the very end */
	dup = big_dup = malloc(n + 64);
	assert_non_null(dup);
	memcpy(dup, in, ov_off + ov_len - 2);
	n = ov_off + ov_len - 2;
	n += (size_t)sprintf(dup + n, ",\"k0000000\":1}},\"show_in_catalog\":false}");
	for (size_t i = 0; i < sizeof(chunks) / sizeof(chunks[0]); i++) {
		run(BODY_PATCH, DEPTH, dup, n, chunks[i], &r);
		check_outcome(BODY_PATCH, chunks[i], &r, -1,
			      "override.environment_variables.k0000000", "duplicate key");
		/* found at the end, not before */
		assert_true(r.consumed > n - 64 - chunks[i]);
	}
	/* and a duplicate of a nested key deep inside the last object */
	n = ov_off + ov_len - 2;
	memcpy(dup, in, n);
	n += (size_t)sprintf(dup + n, ",\"last\":{\"a\":1,\"b\":2,\"a\":3}}}}");
	run(BODY_PATCH, DEPTH, dup, n, 0, &r);
	check_outcome(BODY_PATCH, 0, &r, -1, "override.environment_variables.last.a",
		      "duplicate key");
	free(dup);
	free(in);
	big_in = big_dup = NULL;
	arena_reset(arena);
	print_message("# 4 MiB override: %zu keys, %zu runs, %.2f s CPU\n", keys,
		      2 * sizeof(chunks) / sizeof(chunks[0]) + 1,
		      (double)(clock() - t0) / CLOCKS_PER_SEC);
}

/* ================= feeding ================= */

static void test_empty_and_zero_length_feeds(void **state)
{
	struct body_parser *p;
	struct body b;
	const char *path, *msg;
	bool oom;

	(void)state;
	/* no feed at all */
	arena_reset(arena);
	p = body_parser_new(arena, BODY_PATCH, DEPTH, 0);
	assert_non_null(p);
	assert_int_equal(body_finish(p, &b), -1);
	body_failure(p, &path, &msg, &oom);
	assert_string_equal(path, "body");
	assert_non_null(strstr(msg, "is empty"));
	assert_false(oom);

	/* only zero-length feeds: still empty */
	arena_reset(arena);
	p = body_parser_new(arena, BODY_PATCH, DEPTH, 0);
	assert_int_equal(body_feed(p, "", 0), 0);
	assert_int_equal(body_feed(p, "x", 0), 0);
	assert_int_equal(body_finish(p, &b), -1);
	body_failure(p, &path, &msg, &oom);
	assert_string_equal(path, "body");
	assert_non_null(strstr(msg, "is empty"));

	/* zero-length feeds between real ones change nothing */
	arena_reset(arena);
	p = body_parser_new(arena, BODY_PATCH, DEPTH, 0);
	assert_int_equal(body_feed(p, "", 0), 0);
	assert_int_equal(body_feed(p, "{\"override\":{\"la", 16), 0);
	assert_int_equal(body_feed(p, "", 0), 0);
	assert_int_equal(body_feed(p, "bel\":\"\\ud83d", 12), 0);
	assert_int_equal(body_feed(p, "", 0), 0);
	assert_int_equal(body_feed(p, "\\ude00\"}}", 9), 0);
	assert_int_equal(body_feed(p, "", 0), 0);
	assert_int_equal(body_finish(p, &b), 0);
	assert_true(b.has_override);
	check_text(b.override, b.override_len, S("{\"label\":\"\xf0\x9f\x98\x80\"}"));
	arena_reset(arena);
}

/* A 4 MiB unknown field, at body level and inside the override, comes back
 * as its first ECHO_MAX bytes and "...": an error reply stays small. */
static void test_failure_echo_is_capped(void **state)
{
	static const char *const pre[] = { "{\"", "{\"override\":{\"" };
	static const char *const want_prefix[] = { "", "override." };
	size_t big = 4u << 20;
	char *in = malloc(big + 64), want[256];
	struct res r;

	(void)state;
	assert_non_null(in);
	for (size_t k = 0; k < 2; k++) {
		size_t n = (size_t)sprintf(in, "%s", pre[k]);

		memset(in + n, 'k', big);
		n += big;
		n += (size_t)sprintf(in + n, "\":1}}");
		run(BODY_PATCH, DEPTH, in, n, 0, &r);
		assert_int_equal(r.rc, -1);
		snprintf(want, sizeof(want), "%s%.*s...", want_prefix[k], ECHO_MAX, in + strlen(pre[k]));
		assert_string_equal(r.path, want);
	}
	free(in);
}

/* The first failure is the one reported, and the parser stays failed. */
static void test_first_failure_kept(void **state)
{
	struct body_parser *p;
	struct body b;
	const char *path, *msg;
	bool oom;

	(void)state;
	arena_reset(arena);
	p = body_parser_new(arena, BODY_PATCH, DEPTH, 0);
	assert_int_equal(body_feed(p, "{\"is_enabled\":1,", 16), -1);
	assert_int_equal(body_feed(p, "\"id\":1}", 7), -1);
	assert_int_equal(body_finish(p, &b), -1);
	body_failure(p, &path, &msg, &oom);
	assert_string_equal(path, "is_enabled");
	assert_string_equal(msg, "must be a boolean");
	assert_false(oom);
	arena_reset(arena);
}

/* Many parsers, one after another, in one arena: nothing leaks across a
 * reset (LeakSanitizer checks the rest at exit). */
static void test_arena_reuse(void **state)
{
	struct res r;

	(void)state;
	for (int i = 0; i < 200; i++) {
		run(i % 2 ? BODY_POST : BODY_PATCH, DEPTH,
		    S("{\"override\":{\"actions\":{\"a\":[1,2,{\"b\":null}]},\"tags\":[\"t\"]}}"),
		    (size_t)(i % 9), &r);
		assert_int_equal(r.rc, 0);
		run(BODY_PATCH, DEPTH, S("{\"override\":{\"actions\":{\"a\":1,\"a\":2}}}"),
		    (size_t)(i % 5), &r);
		assert_int_equal(r.rc, -1);
	}
	arena_reset(arena);
}

/* ================= main ================= */

static int group_setup(void **state)
{
	(void)state;
	arena = arena_new(4096);
	return arena == NULL ? -1 : 0;
}

static int group_teardown(void **state)
{
	(void)state;
	arena_free(arena);
	arena = NULL;
	free(big_in);
	free(big_dup);
	return 0;
}

int main(int argc, char **argv)
{
	unit_filter(argc, argv);
	static const struct CMUnitTest fixed[] = {
		cmocka_unit_test(test_patch_fields),
		cmocka_unit_test(test_patch_override_clears),
		cmocka_unit_test(test_merge_patch_bodies),
		cmocka_unit_test(test_restore_bodies),
		cmocka_unit_test(test_post_ids_accepted),
		cmocka_unit_test(test_post_ids_rejected),
		cmocka_unit_test(test_deep_nesting_fails_fast),
		cmocka_unit_test(test_depth_limit),
		cmocka_unit_test(test_large_override),
		cmocka_unit_test(test_empty_and_zero_length_feeds),
		cmocka_unit_test(test_failure_echo_is_capped),
		cmocka_unit_test(test_first_failure_kept),
		cmocka_unit_test(test_arena_reuse),
	};
	const size_t nfixed = sizeof(fixed) / sizeof(fixed[0]);
	size_t ncases, npass = 0, nfail, ntests;
	struct corpus_case *cases = load_corpus(&ncases);
	struct CMUnitTest *tests;
	int rc;

	for (size_t i = 0; i < ncases; i++)
		npass += cases[i].pass;
	nfail = ncases - npass;
	ntests = nfixed + ncases;
	tests = calloc(ntests, sizeof(*tests));
	if (tests == NULL)
		return 1;
	memcpy(tests, fixed, sizeof(fixed));
	for (size_t i = 0; i < ncases; i++) {
		tests[nfixed + i].name = cases[i].name;
		tests[nfixed + i].test_func = test_corpus_case;
		tests[nfixed + i].initial_state = &cases[i];
	}
	/* an empty corpus directory would make this test prove nothing */
	if (npass < 20 || nfail < 40) {
		fprintf(stderr, "corpus too small: %zu pass, %zu fail files\n", npass, nfail);
		return 1;
	}
	rc = _cmocka_run_group_tests("body", tests, ntests, group_setup, group_teardown);
	printf("# corpus: %zu pass and %zu fail files found; %zu pass and %zu fail files passed "
	       "at chunk sizes whole and 1..%d\n", npass, nfail, n_pass_tested, n_fail_tested,
	       MAX_CHUNK);
	free(tests);
	free_corpus(cases, ncases);
	return rc;
}
