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
#include "app/json/json_canon.h"

/* What a caller who does not own an integration sees instead of a secret. */
#define OVERRIDE_REDACTED "[REDACTED]"

/* A canonicaliser holding its input to these rules; `path_prefix` names
 * the document in failure paths ("override", "config"). With
 * want_redacted it also makes the copy other teams see. Lives in `a`;
 * NULL when out of memory. */
struct jc *override_canon_new(struct arena *a, const char *path_prefix, unsigned max_depth,
			      bool want_redacted, size_t size_hint);

#endif
