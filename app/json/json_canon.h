/*
 * Streaming JSON canonicaliser for integration configs and overrides.
 *
 * Bytes are fed in chunks of any size; yajl parses them (UTF-8 validation
 * on, no comments) and every event is re-emitted by yajl_gen into compact
 * canonical JSON: what is stored, and later copied into responses
 * verbatim. While parsing it rejects, as soon as they are seen: nesting
 * deeper than max_depth (at most JC_MAX_DEPTH), duplicate keys in any object, a top level that is
 * not an object, and top-level keys or types outside the override table of
 * API.md, numbers a double cannot hold, and \u escapes that are half a
 * surrogate pair. Optionally it emits a second, redacted copy in which every
 * credentials...client.secret value is replaced by JC_REDACTED.
 */
#ifndef ENVINT_JSON_CANON_H
#define ENVINT_JSON_CANON_H

#include <stdbool.h>
#include <stddef.h>

#include <yajl/yajl_parse.h>

#include "app/base/arena.h"

/* Deepest nesting accepted, whatever the caller asks: yajl_gen stops at
 * 128 levels. */
#define JC_MAX_DEPTH 127

/* Failure messages for malformed input (not a wrong type or key). */
#define JC_MSG_SYNTAX "is not valid JSON (syntax error, truncated input or invalid UTF-8)"
#define JC_MSG_SURROGATE "is not valid JSON (a \\u escape is half of a UTF-16 surrogate pair)"

/* What a caller who does not own an integration sees instead of a secret. */
#define JC_REDACTED "[REDACTED]"

struct jc;

/* Creates a canonicaliser whose state lives in `a` (yajl objects and
 * buffers are registered as arena cleanups). `path_prefix` names the value
 * in failure paths ("override", "config"). `size_hint` (0 if unknown)
 * presizes the output: the input's length bounds it. NULL when out of
 * memory. */
struct jc *jc_new(struct arena *a, const char *path_prefix, unsigned max_depth,
		  bool want_redacted, size_t size_hint);

/* Feeds a chunk. 0, or -1 once the input is rejected (see jc_failure). */
int jc_feed(struct jc *j, const void *buf, size_t n);

/* Ends the input. 0, or -1 when it is incomplete or rejected. */
int jc_finish(struct jc *j);

/* Sink use, for a parser that finds a config inside a larger document
 * (the PATCH body's "override"): it calls these callbacks with the
 * canonicaliser as context, starting with the object's map_open, instead
 * of jc_feed. jc_depth tells when the object has closed again (0). The
 * caller runs its own json_scan over the raw bytes. */
const yajl_callbacks *jc_callbacks(void);
bool jc_failed(const struct jc *j);
bool jc_oom(const struct jc *j);	/* the failure was memory, not input */
unsigned jc_depth(const struct jc *j);

/* After a -1: the failing path ("override.headers") and a message; both
 * live in the arena. */
void jc_failure(const struct jc *j, const char **path, const char **message);

/* After jc_finish: the canonical text (and the redacted one, or NULL when
 * not wanted). Owned by the canonicaliser, valid until the arena is reset;
 * NULL if generating it ran out of memory. */
const char *jc_output(struct jc *j, size_t *len);
const char *jc_redacted(struct jc *j, size_t *len);

#endif
