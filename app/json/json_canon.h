/*
 * Streaming JSON canonicaliser: bytes fed in chunks of any size are parsed
 * (json_stream.h: yajl held to RFC 8259) and every event is re-emitted by
 * yajl_gen as compact canonical JSON, the text that is stored and later
 * copied into responses verbatim. While parsing it rejects, as soon as
 * they are seen: a top level that is not an object, nesting deeper than
 * max_depth (at most JC_MAX_DEPTH), duplicate keys in any object, and
 * numbers a double cannot hold.
 *
 * What the keys and values may be is the caller's business: a rules table
 * sees every key and value with its position, may reject it, and may have
 * it replaced in an optional second, redacted copy. This file knows
 * nothing of API.md; app/api/override.c holds its rules.
 */
#ifndef ENVINT_JSON_CANON_H
#define ENVINT_JSON_CANON_H

#include <stdbool.h>
#include <stddef.h>

#include <yajl/yajl_parse.h>

#include "app/base/arena.h"
#include "app/json/json_stream.h"

/* Deepest nesting accepted, whatever the caller asks: yajl_gen stops at
 * 128 levels. */
#define JC_MAX_DEPTH 127

struct jc;

/* What a value is, for the rules. */
enum jc_event {
	JC_SCALAR,	/* JC_SCALAR: null, boolean or number */
	JC_STRING,	/* JC_STRING */
	JC_MAP,		/* JC_MAP: an object opens */
	JC_ARRAY,	/* JC_ARRAY: an array opens */
};

/* A caller's rules; any hook may be NULL. Positions are read with the
 * accessors below: when a hook runs, jc_depth(j) containers are open and
 * the key or value belongs to the innermost one (level jc_depth(j) - 1;
 * level 0 is the top-level object). A hook returns 1 to go on, or 0 after
 * jc_reject. */
struct jc_rules {
	/* A key of the innermost object, already its current key (so
	 * jc_path names it). Duplicates never reach the hook. */
	int (*key)(void *ctx, struct jc *j);
	/* A value, or a container about to open (it opens at level
	 * jc_depth(j)); s and n are a string's bytes. */
	int (*value)(void *ctx, struct jc *j, enum jc_event ev, const unsigned char *s,
		     size_t n);
	/* The innermost object is about to close (its keys still readable). */
	int (*map_close)(void *ctx, struct jc *j);
	/* True when the value about to be emitted goes into the redacted copy
	 * as `redact_with` instead (a container is replaced whole). */
	bool (*redact)(void *ctx, const struct jc *j);
	const char *redact_with;
};

/* Creates a canonicaliser whose state lives in `a` (yajl objects and
 * buffers are arena cleanups). `path_prefix` names the document in failure
 * paths ("override", "config"). `rules` (and its ctx) may be NULL. With
 * `want_redacted`, a second copy is made (rules->redact decides what it
 * hides). `size_hint` (0 if unknown) presizes the output: the input's
 * length bounds it. NULL when out of memory. */
struct jc *jc_new(struct arena *a, const char *path_prefix, unsigned max_depth,
		  const struct jc_rules *rules, void *rules_ctx, bool want_redacted,
		  size_t size_hint);

/* Feeds a chunk. 0, or -1 once the input is rejected (see jc_failure). */
int jc_feed(struct jc *j, const void *buf, size_t n);

/* Ends the input. 0, or -1 when it is incomplete or rejected. */
int jc_finish(struct jc *j);

/* Sink use, for a parser that finds a config inside a larger document
 * (the PATCH body's "override"): it calls these callbacks with the
 * canonicaliser as context, starting with the object's map_open, instead
 * of jc_feed; jc_depth tells when the object has closed again (0). The
 * caller runs the byte scanner over the raw input (its own json_stream). */
const yajl_callbacks *jc_callbacks(void);

/* The first failure (failed false while there is none). */
const struct json_failure *jc_failure(const struct jc *j);

/* After jc_finish: the canonical text (and the redacted one, or NULL when
 * not wanted). Owned by the canonicaliser, valid until the arena is reset;
 * NULL if generating it ran out of memory. */
const char *jc_output(struct jc *j, size_t *len);
const char *jc_redacted(struct jc *j, size_t *len);

/* ---- for rules ---- */

/* Containers open now. */
unsigned jc_depth(const struct jc *j);

/* The current key of the object open at `level`, or NULL (an array, or an
 * object before its first key). The bytes are not NUL-terminated. */
const char *jc_key_at(const struct jc *j, unsigned level, size_t *len);

/* True when jc_key_at(j, level) is `lit`. */
bool jc_key_is(const struct jc *j, unsigned level, const char *lit);

/* True when the container open at `level` is an object. */
bool jc_is_map_at(const struct jc *j, unsigned level);

/* The current position as a path, "override.headers.a" or "config.tags[2]"
 * (each key echoed within ECHO_MAX bytes), in the arena; the prefix alone
 * when out of memory. */
const char *jc_path(struct jc *j);

/* Rejects the input: at `path`, or at the current position when NULL.
 * Returns 0. */
int jc_reject(struct jc *j, const char *path, const char *msg);

/* Fails for lack of memory (the caller answers 500, not 400). Returns 0. */
int jc_reject_oom(struct jc *j);

/* The arena the canonicaliser lives in. */
struct arena *jc_arena(const struct jc *j);

#endif
