/*
 * fuzz_body: the streaming PATCH/POST body parser (app/api/body.c) and, through
 * it, the override canonicaliser (app/json/json_canon.c) in sink mode.
 *
 * Input: 2 bytes of chunk seed, then the body. Each mode (BODY_PATCH,
 * BODY_POST, BODY_RESTORE) parses the body twice: whole (one body_feed) and in chunks of
 * 1..64 bytes drawn from the seed, stopping at the first rejected chunk as
 * req_body.c does. max_depth is json_depth_max's default (64) and the size
 * hint is the body length (the Content-Length), as in req_body.c.
 * Checks:
 *  - both runs agree: success vs failure; on failure the same path and
 *    message (and oom flag); on success the same struct body and the same
 *    override bytes;
 *  - on success: has_* flags are consistent, override is never "{}", and a
 *    non-NULL override is valid UTF-8 and is a fixed point: jc_new/jc_feed/
 *    jc_finish with prefix "override" accepts it and re-emits it byte for
 *    byte;
 *  - on failure: path and message are NUL-terminated strings, the message
 *    non-empty (the path is "" for an unknown field spelled "").
 * One arena per process, reset after each input.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "app/api/body.h"
#include "app/api/override.h"
#include "app/base/arena.h"
#include "app/base/utf8.h"
#include "app/json/json_canon.h"
#include "tests/fuzz/fuzz_util.h"

#define DEPTH 64	/* json_depth_max's default */
#define MAX_CHUNK 64

static struct arena *arena;

struct outcome {
	int rc;
	struct body b;
	const char *path, *msg;
	bool oom;
};

static void run(enum body_mode mode, const uint8_t *in, size_t n, uint32_t seed,
		bool whole, struct outcome *o)
{
	struct body_parser *p = body_parser_new(arena, mode, DEPTH, n);
	struct chunker ch;
	size_t off = 0;

	CHECK(p != NULL);
	memset(o, 0, sizeof(*o));
	chunker_init(&ch, seed);
	o->rc = 0;
	while (off < n) {
		size_t c = whole ? n : chunker_next(&ch, MAX_CHUNK);

		if (c > n - off)
			c = n - off;
		if (body_feed(p, in + off, c) < 0) {
			o->rc = -1;
			break;
		}
		off += c;
	}
	if (o->rc == 0)
		o->rc = body_finish(p, &o->b);
	CHECK(o->rc == 0 || o->rc == -1);
	if (o->rc < 0) {
		body_failure(p, &o->path, &o->msg, &o->oom);
		CHECK(o->path != NULL && o->msg != NULL);
		(void)strlen(o->path);	/* NUL-terminated; "" for an unknown empty key */
		CHECK(strlen(o->msg) > 0);
		CHECK(!o->oom);	/* no allocation limit here: never out of memory */
	}
}

static void check_override_fixed_point(const struct body *b)
{
	struct jc *j;
	const char *out;
	size_t len = 0;

	CHECK(b->override_len > 0);
	CHECKF(utf8_valid(b->override, b->override_len), "override is not valid UTF-8");
	CHECKF(!(b->override_len == 2 && memcmp(b->override, "{}", 2) == 0),
	       "override {} should have been cleared");
	j = override_canon_new(arena, "override", DEPTH - 1, false, 0);
	CHECK(j != NULL);
	if (jc_feed(j, b->override, b->override_len) < 0 || jc_finish(j) < 0) {
		const char *path, *msg;

		path = jc_failure(j)->path;
		msg = jc_failure(j)->msg;
		CHECKF(0, "canonical override rejected on re-parse: %s %s: %.*s", path, msg,
		       (int)(b->override_len > 300 ? 300 : b->override_len), b->override);
	}
	out = jc_output(j, &len);
	CHECK(out != NULL);
	CHECKF(len == b->override_len && memcmp(out, b->override, len) == 0,
	       "canonical form is not a fixed point:\n  first:  %.*s\n  second: %.*s",
	       (int)(b->override_len > 300 ? 300 : b->override_len), b->override,
	       (int)(len > 300 ? 300 : len), out);
}

static void compare(enum body_mode mode, const struct outcome *w, const struct outcome *c)
{
	CHECKF(w->rc == c->rc, "mode %d: whole rc %d (%s %s), chunked rc %d (%s %s)", mode,
	       w->rc, w->path ? w->path : "-", w->msg ? w->msg : "-",
	       c->rc, c->path ? c->path : "-", c->msg ? c->msg : "-");
	if (w->rc < 0) {
		CHECKF(strcmp(w->path, c->path) == 0 && strcmp(w->msg, c->msg) == 0,
		       "mode %d: whole failed at '%s' (%s), chunked at '%s' (%s)", mode,
		       w->path, w->msg, c->path, c->msg);
		CHECK(w->oom == c->oom);
		return;
	}
	const struct body *a = &w->b, *b = &c->b;

	CHECK(a->has_show_in_catalog == b->has_show_in_catalog);
	CHECK(a->has_is_enabled == b->has_is_enabled);
	CHECK(a->has_override == b->has_override);
	CHECK(a->has_integration_id == b->has_integration_id);
	CHECK(a->has_environment_id == b->has_environment_id);
	if (a->has_show_in_catalog)
		CHECK(a->show_in_catalog == b->show_in_catalog);
	if (a->has_is_enabled)
		CHECK(a->is_enabled == b->is_enabled);
	if (a->has_integration_id)
		CHECK(memcmp(a->integration_id, b->integration_id, 16) == 0);
	if (a->has_environment_id)
		CHECK(memcmp(a->environment_id, b->environment_id, 16) == 0);
	CHECK((a->override == NULL) == (b->override == NULL));
	if (a->override != NULL)
		CHECKF(a->override_len == b->override_len &&
		       memcmp(a->override, b->override, a->override_len) == 0,
		       "override differs between whole and chunked parsing");
}

static void check_success(enum body_mode mode, const struct body *b)
{
	if (mode == BODY_PATCH)
		CHECK(!b->has_integration_id && !b->has_environment_id);
	if (mode == BODY_RESTORE) {	/* version alone, a whole number from 1 */
		CHECK(!b->has_show_in_catalog && !b->has_is_enabled && !b->has_override);
		CHECK(!b->has_integration_id && !b->has_environment_id);
		CHECK(!b->has_version || (b->version >= 1 && b->version < 1000000000000000000ULL));
	} else {
		CHECK(!b->has_version);
	}
	if (b->override != NULL) {
		CHECK(b->has_override);
		check_override_fixed_point(b);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (arena == NULL) {
		arena = arena_new(4096);
		CHECK(arena != NULL);
	}
	if (size < 2)
		return 0;

	uint32_t seed = (uint32_t)data[0] << 8 | data[1];
	const uint8_t *body = data + 2;
	size_t n = size - 2;

	/* BODY_MERGE (whose override is held to JSON rules only, and may
	 * be {}) is fuzz_merge's */
	static const enum body_mode modes[] = { BODY_PATCH, BODY_POST, BODY_RESTORE };

	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		enum body_mode m = modes[i];
		struct outcome whole, chunked;

		run(m, body, n, seed, true, &whole);
		run(m, body, n, seed, false, &chunked);
		compare(m, &whole, &chunked);
		if (whole.rc == 0)
			check_success(m, &whole.b);
	}
	arena_reset(arena);
	return 0;
}
