/*
 * The effective config of an environment integration (API.md, "Beyond
 * Truto"): the caller's view of the integration's config (the redacted
 * copy for a team that does not own it) with the row's override
 * deep-merged over it by RFC 7396's rule (json_merge.h: objects merge,
 * arrays and scalars in the override replace, null in the override
 * removes the key), as the runtime would see it. The environment-level
 * keys (description, tags, environment_variables) come out beside the
 * config, not inside it. Both inputs are stored canonical JSON, each
 * parsed once.
 */
#ifndef ENVINT_EFFECTIVE_H
#define ENVINT_EFFECTIVE_H

#include <stddef.h>

#include "app/base/arena.h"

/* The keys returned beside the config, in the reply's order. */
enum effective_key {
	EK_DESCRIPTION,			/* EK_DESCRIPTION */
	EK_TAGS,			/* EK_TAGS */
	EK_ENVIRONMENT_VARIABLES,	/* EK_ENVIRONMENT_VARIABLES */
	EK__MAX
};

extern const char *const effective_key_names[EK__MAX];

struct effective {
	const char *config;		/* the merged object without those keys */
	size_t config_len;
	const char *key[EK__MAX];	/* each one's merged value, or NULL when
					 * neither side has it */
	size_t key_len[EK__MAX];
};

enum effective_rc {
	EFF_OK,		/* EFF_OK */
	EFF_STORED,	/* EFF_STORED: a stored text is not JSON (a bug) */
	EFF_OOM,	/* EFF_OOM */
	EFF__MAX
};

/* Merges override[0..olen) over config[0..clen) (either NULL or empty for
 * none) into *out, whose texts are compact JSON in the arena, valid until
 * it is reset. */
enum effective_rc effective_config(struct arena *a, const char *config, size_t clen,
				   const char *override, size_t olen, struct effective *out);

#endif
