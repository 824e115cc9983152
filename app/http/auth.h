/*
 * Bearer-token authentication: resolves the Authorization header to the
 * caller's scope (team, optional environment, visible environments), once
 * per request.
 */
#ifndef ENVINT_AUTH_H
#define ENVINT_AUTH_H

#include "app/http/req.h"

/* Fills r->scope and returns 0; or replies 401 (missing, malformed,
 * unknown, revoked token), 503 (database down) or 500, and returns -1.
 * A lookup is reused for auth_cache_seconds by this worker: a revoked
 * token stops working within that time. */
int auth_or_reply(struct req *r);

/* Empties this process's token cache (workers start with an empty one). */
void auth_cache_clear(void);

/* True when the caller's token sees environment `env`. */
bool scope_sees_env(const struct scope *s, const unsigned char env[16]);

#endif
