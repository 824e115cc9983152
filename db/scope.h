/*
 * What a caller may see: computed once per request from its token, and
 * passed to every query so each one is scoped by it.
 */
#ifndef ENVINT_SCOPE_H
#define ENVINT_SCOPE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct scope {
	unsigned char token_id[16];	/* the token's own id (history entries) */
	const char *token_name;		/* and its name, NUL-terminated; same
					 * lifetime as envs */
	unsigned char team_id[16];	/* the token's team */
	bool env_token;			/* token bound to one environment */
	unsigned char env_id[16];	/* that environment, when env_token */
	size_t n_envs;			/* environments visible to the token */
	unsigned char (*envs)[16];	/* sorted; valid for the request: in its
					 * arena, or the worker's token cache's
					 * (app/http/auth.c) after a cache hit */
	uint32_t *env_nos;		/* env_nos[i]: envs[i]'s number in its team,
					 * its bit in integration_install
					 * (db/migrations/0003); same lifetime */
};

#endif
