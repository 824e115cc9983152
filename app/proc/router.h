/*
 * The static route table: path, whether it takes an {id} segment, whether
 * it needs a token, and one handler per method. Beside it, the pool status
 * page at the configured status_path (no token), checked first.
 */
#ifndef ENVINT_ROUTER_H
#define ENVINT_ROUTER_H

#include "app/http/req.h"

typedef void (*handler_fn)(struct req *r);

enum route_id {
	ROUTE_HEALTHZ,		/* ROUTE_HEALTHZ */
	ROUTE_EI_COLLECTION,	/* ROUTE_EI_COLLECTION */
	ROUTE_EI_ITEM,		/* ROUTE_EI_ITEM */
	ROUTE_EI_EFFECTIVE,	/* ROUTE_EI_EFFECTIVE */
	ROUTE_EI_HISTORY,	/* ROUTE_EI_HISTORY */
	ROUTE_EI_RESTORE,	/* ROUTE_EI_RESTORE */
	ROUTE_OPENAPI,		/* ROUTE_OPENAPI */
	ROUTE__MAX
};

struct route {
	const char *prefix;	/* the path, or the path before "/{id}" */
	bool item;		/* takes one more path segment, the {id} */
	bool needs_auth;
	handler_fn methods[M__MAX];
	const char *suffix;	/* item routes: what follows "/{id}", or NULL */
};

/* Finds the route of `path`; sets *param to the {id} segment (in the arena)
 * for item routes (before the suffix, for those that have one).
 * ROUTE__MAX when nothing matches. */
enum route_id router_match(struct arena *a, const char *path, const char **param);

/* The table's entry for a route. */
const struct route *router_route(enum route_id id);

/* Writes the route's methods as "GET, HEAD, PATCH" into buf (HEAD
 * wherever there is a GET). */
void router_allow(enum route_id id, char *buf, size_t len);

/* False when `path` is a path of the route table (status_path must not
 * shadow one). */
bool router_path_free(const char *path);

/* The Allow of the status page (status_path), which is no row of the table
 * because its path is configured: GET and its HEAD. */
#define ROUTER_STATUS_ALLOW "GET, HEAD"

/* Matches r->path, checks the method and the token, and runs the handler;
 * answers 404, 405 (with Allow) or 401 itself. */
void router_dispatch(struct req *r);

#endif
