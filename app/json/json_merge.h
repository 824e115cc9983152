/*
 * RFC 7396 JSON merge patch, streamed: a target document (text) is parsed
 * once and its events, with a patch merged in, go to a sink's yajl
 * callbacks as they are produced (a canonicaliser that validates the
 * result, or a writer). Objects merge recursively, a null in the patch
 * removes the key, arrays and scalars in the patch replace; a patch that
 * is not an object replaces the whole target. The patch is a tree (parsed
 * once with jm_parse, small next to a target of up to body_max).
 *
 * Order of the result's keys: the target's, in its order, then the keys
 * only the patch has, in the patch's order. Nothing here knows API.md.
 */
#ifndef ENVINT_JSON_MERGE_H
#define ENVINT_JSON_MERGE_H

#include <stddef.h>

#include <yajl/yajl_parse.h>

#include "app/base/arena.h"

/* A parsed patch (opaque). */
struct jm_node;

/* Deepest patch jm_parse accepts: deeper than the canonicaliser allows. */
#define JM_MAX_DEPTH 128

/* Parses one JSON text (the canonical output of json_canon.h, or any
 * valid JSON nested at most JM_MAX_DEPTH) into a tree in `a`, valid until
 * the arena is reset. NULL when the text is not such JSON or memory ran
 * out. */
struct jm_node *jm_parse(struct arena *a, const char *text, size_t len);

enum jm_result {
	JM_OK,		/* JM_OK: the whole result went to the sink */
	JM_SINK,	/* JM_SINK: a sink callback returned 0 (its own failure) */
	JM_INVALID,	/* JM_INVALID: the target is not valid JSON */
	JM_OOM,		/* JM_OOM: out of memory */
	JM__MAX
};

/* Streams merge(target, patch) to sink(sink_ctx). target[0..tlen) is one
 * JSON text; NULL or empty stands for {}. The patch tree is only read,
 * so the same tree may be merged again (a transaction run a second time).
 * A sink failure stops the parse at once: the sink keeps its reason. */
enum jm_result json_merge(struct arena *a, const char *target, size_t tlen,
			  const struct jm_node *patch, const yajl_callbacks *sink,
			  void *sink_ctx);

#endif
