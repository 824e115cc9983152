/*
 * The request body of PATCH and POST /environment-integration, parsed as a
 * stream: chunks go to yajl as they are read from the FastCGI input, and a
 * field table (in body.c) checks every event as it arrives. "override" is
 * routed through the canonicaliser (json_canon.h), which validates it and
 * re-emits it compactly: that text is what gets stored.
 *
 * Rejected, as soon as seen: a non-object body, unknown fields, read-only
 * fields, wrong types, duplicate keys at any depth, nesting deeper than
 * the limit, invalid UTF-8 and lone surrogates, numbers a double cannot
 * hold, trailing garbage, an empty body.
 */
#ifndef ENVINT_BODY_H
#define ENVINT_BODY_H

#include <stdbool.h>
#include <stddef.h>

#include "app/base/arena.h"

enum body_mode {
	BODY_PATCH,	/* BODY_PATCH: show_in_catalog, is_enabled, override */
	BODY_POST,	/* BODY_POST: those, plus integration_id, environment_id */
	BODY_MERGE,	/* BODY_MERGE: PATCH's fields, override a merge patch
			 * (RFC 7396): checked as JSON only (its nulls delete
			 * keys; the merged result meets the override rules,
			 * override_merge), and {} kept as {} (changes nothing) */
	BODY_RESTORE,	/* BODY_RESTORE: version alone (POST .../restore) */
	BODY__MAX
};

/* What a valid body said. */
struct body {
	bool has_show_in_catalog, has_is_enabled, has_override;
	bool has_integration_id, has_environment_id, has_version;
	bool merge;		/* parsed as BODY_MERGE */
	bool show_in_catalog, is_enabled;
	const char *override;	/* canonical JSON; NULL (with has_override)
				 * when the body asked to clear it: null, or
				 * {} but in BODY_MERGE */
	size_t override_len;
	unsigned char integration_id[16], environment_id[16];
	unsigned long long version;	/* a whole number from 1 */
};

struct body_parser;

/* A parser living in `a`. max_depth counts the body object itself;
 * size_hint (the Content-Length, or 0) presizes the override's canonical
 * text. NULL when out of memory. */
struct body_parser *body_parser_new(struct arena *a, enum body_mode mode,
				    unsigned max_depth, size_t size_hint);

/* Feeds a chunk. 0, or -1 once rejected. */
int body_feed(struct body_parser *p, const void *buf, size_t n);

/* Ends the body and fills *out. 0, or -1 when rejected. */
int body_finish(struct body_parser *p, struct body *out);

/* After a -1: where ("override.headers.a", "is_enabled", "body") and why;
 * both live in the arena. *oom is set when the cause was memory. */
void body_failure(const struct body_parser *p, const char **path,
		  const char **message, bool *oom);

#endif
