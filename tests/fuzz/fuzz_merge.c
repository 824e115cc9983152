/*
 * fuzz_merge: a merge-patch PATCH (issue 15 §1) without the database:
 * app/api/body.c in BODY_MERGE, app/json/json_merge.c, and
 * app/api/override.c's override_merge, as handlers/envint_write.c's
 * merge_tx runs them (json_depth_max 64, a size limit of 64 KiB).
 *
 * Input: the stored override, a newline, then the PATCH body. The stored
 * part goes through the override canonicaliser first (as every stored
 * override did); when it is refused the row has no override (NULL).
 * Checks:
 *  - the body parses alike whole and in chunks of 1..64 bytes (outcome,
 *    failure, patch text);
 *  - an accepted patch is a tree jm_parse always takes;
 *  - the stored text is never OVM_STORED (it is canonical), and memory
 *    never runs out;
 *  - merging the same tree twice (a transaction run again) gives the same
 *    outcome and bytes;
 *  - an accepted result is a fixed point of the override canonicaliser,
 *    within the size limit, never "{}" (that is NULL: no override);
 *  - RFC 7396 is idempotent: merging the patch into the result gives the
 *    result again;
 *  - a refused result names a path in the override ("override...") and a
 *    message.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "app/api/body.h"
#include "app/api/override.h"
#include "app/base/arena.h"
#include "app/json/json_merge.h"
#include "tests/fuzz/fuzz_util.h"

#define DEPTH 64
#define SIZE_MAX_OV 65536
#define MAX_CHUNK 64

static struct arena *arena;

struct parsed {
	int rc;
	struct body b;
	const char *path, *msg;
};

static void parse(const uint8_t *in, size_t n, const struct chunker *seed, struct parsed *r)
{
	struct body_parser *p = body_parser_new(arena, BODY_MERGE, DEPTH, n);
	size_t off = 0;
	bool oom;

	CHECK(p != NULL);
	memset(r, 0, sizeof(*r));
	if (seed == NULL) {
		r->rc = n > 0 ? body_feed(p, in, n) : 0;
	} else {
		struct chunker ch = *seed;

		while (off < n && r->rc == 0) {
			size_t c = chunker_next(&ch, MAX_CHUNK);

			if (c > n - off)
				c = n - off;
			r->rc = body_feed(p, in + off, c);
			off += c;
		}
	}
	if (r->rc == 0)
		r->rc = body_finish(p, &r->b);
	if (r->rc < 0) {
		body_failure(p, &r->path, &r->msg, &oom);
		CHECK(!oom);
	}
}

/* The stored override: canonical text, or NULL. */
static const char *store(const uint8_t *in, size_t n, size_t *len)
{
	struct jc *j = override_canon_new(arena, "override", DEPTH - 1, false, n);
	const char *out;

	CHECK(j != NULL);
	if (n == 0 || jc_feed(j, in, n) < 0 || jc_finish(j) < 0)
		return NULL;
	out = jc_output(j, len);
	CHECK(out != NULL);
	return *len == 2 && memcmp(out, "{}", 2) == 0 ? NULL : out;
}

struct merged {
	enum override_merge_rc rc;
	const char *out;
	size_t len;
	struct failure f;
};

static void merge(const char *stored, size_t slen, const struct jm_node *patch,
		  struct merged *m)
{
	memset(m, 0, sizeof(*m));
	m->rc = override_merge(arena, stored, slen, patch, 0, DEPTH - 1, SIZE_MAX_OV,
			       &m->out, &m->len, &m->f);
	CHECKF(m->rc == OVM_OK || m->rc == OVM_INVALID, "override_merge: %d", (int)m->rc);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nl = memchr(data, '\n', size);
	const uint8_t *body = nl != NULL ? nl + 1 : data;
	size_t blen = nl != NULL ? size - (size_t)(body - data) : size;
	size_t slen = 0;
	const char *stored;
	struct parsed whole, split;
	struct chunker seed;
	struct jm_node *patch;
	struct merged m1, m2, again;

	if (arena == NULL) {
		arena = arena_new(4096);
		CHECK(arena != NULL);
	}
	stored = nl != NULL ? store(data, (size_t)(nl - data), &slen) : NULL;

	chunker_init(&seed, fnv1a32(data, size));
	parse(body, blen, NULL, &whole);
	parse(body, blen, &seed, &split);
	CHECK(whole.rc == split.rc);
	if (whole.rc < 0) {
		CHECKF(strcmp(whole.path, split.path) == 0 && strcmp(whole.msg, split.msg) == 0,
		       "whole: %s %s, chunked: %s %s", whole.path, whole.msg, split.path, split.msg);
		goto out;
	}
	CHECK(whole.b.merge && split.b.merge);
	CHECK(whole.b.has_override == split.b.has_override);
	CHECK(whole.b.override_len == split.b.override_len);
	CHECK((whole.b.override == NULL) == (split.b.override == NULL));
	if (whole.b.override == NULL)
		goto out;
	CHECK(memcmp(whole.b.override, split.b.override, whole.b.override_len) == 0);

	patch = jm_parse(arena, whole.b.override, whole.b.override_len);
	CHECK(patch != NULL);
	merge(stored, slen, patch, &m1);
	merge(stored, slen, patch, &m2);
	CHECK(m1.rc == m2.rc);
	if (m1.rc == OVM_INVALID) {
		CHECK(strcmp(m1.f.path, m2.f.path) == 0 && strcmp(m1.f.message, m2.f.message) == 0);
		CHECKF(strncmp(m1.f.path, "override", 8) == 0, "path %s", m1.f.path);
		CHECK(m1.f.message != NULL && m1.f.message[0] != '\0');
		goto out;
	}
	CHECK(m1.len == m2.len && (m1.out == NULL) == (m2.out == NULL));
	if (m1.out == NULL) {
		CHECK(m1.len == 0);
	} else {
		size_t clen = 0;
		const char *canon;

		CHECK(memcmp(m1.out, m2.out, m1.len) == 0);
		CHECK(m1.len <= SIZE_MAX_OV);
		CHECK(!(m1.len == 2 && memcmp(m1.out, "{}", 2) == 0));
		canon = store((const uint8_t *)m1.out, m1.len, &clen);
		CHECKF(canon != NULL && clen == m1.len && memcmp(canon, m1.out, clen) == 0,
		       "merged override is not canonical: %.*s", (int)(m1.len > 300 ? 300 : m1.len),
		       m1.out);
	}
	/* RFC 7396: MergePatch(MergePatch(T, P), P) == MergePatch(T, P) */
	merge(m1.out, m1.len, patch, &again);
	CHECK(again.rc == OVM_OK);
	CHECK(again.len == m1.len && (again.out == NULL) == (m1.out == NULL));
	CHECKF(m1.out == NULL || memcmp(again.out, m1.out, m1.len) == 0,
	       "merging the patch again changed the result: %.*s -> %.*s",
	       (int)(m1.len > 200 ? 200 : m1.len), m1.out,
	       (int)(again.len > 200 ? 200 : again.len), again.out);
out:
	arena_reset(arena);
	return 0;
}
