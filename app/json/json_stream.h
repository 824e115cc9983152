/*
 * A yajl parser and the byte scanner (json_scan.h) fed the same chunks:
 * the one driver under the PATCH body parser and the canonicaliser. It
 * keeps the first failure, maps yajl's errors (whose text names bytes and
 * offsets, for no client's eyes) to one message, and holds the input to
 * RFC 8259 where yajl is lenient (whitespace, lone surrogates, a string
 * left open at the end).
 */
#ifndef ENVINT_JSON_STREAM_H
#define ENVINT_JSON_STREAM_H

#include <stdbool.h>
#include <stddef.h>

#include <yajl/yajl_parse.h>

#include "app/base/arena.h"
#include "app/json/json_scan.h"

/* Failure messages for malformed input (not a wrong type or key). */
#define JSON_MSG_SYNTAX "is not valid JSON (syntax error, truncated input or invalid UTF-8)"
#define JSON_MSG_SURROGATE "is not valid JSON (a \\u escape is half of a UTF-16 surrogate pair)"
#define JSON_MSG_OOM "out of memory"

/* The first failure of a parse. Owned by whoever owns the callbacks' ctx,
 * so callbacks and the driver record into the same place. */
struct json_failure {
	bool failed;
	bool oom;		/* the cause was memory, not input */
	const char *path;	/* "body", "override.headers.a"; in the arena */
	const char *msg;
};

/* Records a failure unless one is recorded already (the first wins).
 * Returns 0, what a yajl callback returns to cancel the parse. */
int json_fail(struct json_failure *f, const char *path, const char *msg);

/* Records running out of memory at `path`. Returns 0. */
int json_fail_oom(struct json_failure *f, const char *path);

struct json_stream {
	yajl_handle yh;
	struct json_scan scan;
	size_t bytes;			/* fed so far */
	struct json_failure *fail;
	const char *syntax_path;	/* the path of malformed input */
};

/* Sets up s to parse with `cb` and `ctx` (yajl's defaults: UTF-8 checked,
 * no comments), recording into *fail; malformed input is reported at
 * `syntax_path`. The parser is freed with the arena. 0, or -1 when out of
 * memory. */
int json_stream_init(struct json_stream *s, struct arena *a, const yajl_callbacks *cb,
		     void *ctx, struct json_failure *fail, const char *syntax_path);

/* Feeds a chunk. 0, or -1 once the input is rejected. */
int json_stream_feed(struct json_stream *s, const void *buf, size_t n);

/* Ends the input. 0, or -1 when it was incomplete or rejected. */
int json_stream_finish(struct json_stream *s);

#endif
