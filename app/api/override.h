/*
 * The override object of API.md (and an integration's config, which has
 * the same top-level keys), as rules for the canonicaliser (json_canon.h):
 * the top-level key table and its types, the discriminator places
 * (authorization, pagination, webhook.signature_verification, credentials
 * in both forms), and the redaction of credentials ... client.secret.
 */
#ifndef ENVINT_OVERRIDE_H
#define ENVINT_OVERRIDE_H

#include <stdbool.h>
#include <stddef.h>

#include "app/base/arena.h"
#include "app/base/failure.h"
#include "app/json/json_canon.h"
#include "app/json/json_merge.h"

/* What a caller who does not own an integration sees instead of a secret. */
#define OVERRIDE_REDACTED "[REDACTED]"

/* A canonicaliser holding its input to these rules; `path_prefix` names
 * the document in failure paths ("override", "config"). With
 * want_redacted it also makes the copy other teams see. Lives in `a`;
 * NULL when out of memory. */
struct jc *override_canon_new(struct arena *a, const char *path_prefix, unsigned max_depth,
			      bool want_redacted, size_t size_hint);

enum override_merge_rc {
	OVM_OK,		/* OVM_OK: *out is the merged override */
	OVM_INVALID,	/* OVM_INVALID: the result breaks a rule; *f says where */
	OVM_STORED,	/* OVM_STORED: the stored text is not JSON (a bug) */
	OVM_OOM,	/* OVM_OOM */
	OVM__MAX
};

/* A merge-patch PATCH's override: stored[0..stored_len) (canonical; NULL
 * for none) with `patch` merged in (RFC 7396, json_merge.h), held to these
 * rules exactly as a whole override is (failure paths name the place in
 * the result: "override.headers.a"; nesting at most max_depth) and
 * canonicalised. A result longer than size_max is OVM_INVALID at
 * "override". On OVM_OK, *out is the canonical text (in the arena), or
 * NULL when the result is empty ({}: nothing to store). size_hint presizes
 * the output (the patch's length, say). */
enum override_merge_rc override_merge(struct arena *a, const char *stored, size_t stored_len,
				      const struct jm_node *patch, size_t size_hint,
				      unsigned max_depth, size_t size_max,
				      const char **out, size_t *out_len, struct failure *f);

#endif
