#include "app/proc/router.h"

#include <stdio.h>
#include <string.h>

#include "app/http/auth.h"
#include "handlers/handlers.h"

static const struct route routes[ROUTE__MAX] = {
	{ "/healthz", false, false,	/* ROUTE_HEALTHZ */
	  { [M_GET] = healthz_get }, NULL },
	{ "/environment-integration", false, true,	/* ROUTE_EI_COLLECTION */
	  { [M_GET] = envint_list, [M_POST] = envint_post }, NULL },
	{ "/environment-integration", true, true,	/* ROUTE_EI_ITEM */
	  { [M_GET] = envint_get, [M_PATCH] = envint_patch,
	    [M_DELETE] = envint_delete }, NULL },
	{ "/environment-integration", true, true,	/* ROUTE_EI_EFFECTIVE */
	  { [M_GET] = envint_effective_config }, "/effective-config" },
	{ "/environment-integration", true, true,	/* ROUTE_EI_HISTORY */
	  { [M_GET] = envint_history }, "/history" },
	{ "/environment-integration", true, true,	/* ROUTE_EI_RESTORE */
	  { [M_POST] = envint_restore }, "/restore" },
	{ "/openapi.json", false, false,	/* ROUTE_OPENAPI */
	  { [M_GET] = openapi_get }, NULL },
};

enum route_id router_match(struct arena *a, const char *path, const char **param)
{
	size_t n = strlen(path);

	*param = NULL;
	/* One trailing slash is tolerated: "/healthz/" is "/healthz". */
	if (n > 1 && path[n - 1] == '/')
		n--;
	for (int i = 0; i < ROUTE__MAX; i++) {
		size_t plen = strlen(routes[i].prefix);
		const char *seg;
		size_t slen;

		if (n < plen || memcmp(path, routes[i].prefix, plen) != 0)
			continue;
		if (!routes[i].item) {
			if (n == plen)
				return (enum route_id)i;
			continue;
		}
		if (n <= plen + 1 || path[plen] != '/')
			continue;
		seg = path + plen + 1;
		slen = n - plen - 1;
		if (routes[i].suffix != NULL) {	/* "{id}/effective-config" */
			size_t xlen = strlen(routes[i].suffix);

			if (slen <= xlen ||
			    memcmp(seg + slen - xlen, routes[i].suffix, xlen) != 0)
				continue;
			slen -= xlen;
		}
		if (memchr(seg, '/', slen) != NULL)
			continue;
		*param = arena_strndup(a, seg, slen);
		if (*param == NULL)
			return ROUTE__MAX;
		return (enum route_id)i;
	}
	return ROUTE__MAX;
}

const struct route *router_route(enum route_id id)
{
	return &routes[id];
}

/* A route's handler for method m. HEAD is GET's wherever the route has a
 * GET (RFC 9110): the handler runs as for GET and req drops the body. */
static handler_fn route_handler(enum route_id id, enum http_method m)
{
	if (m == M_HEAD && routes[id].methods[M_HEAD] == NULL)
		return routes[id].methods[M_GET];
	return routes[id].methods[m];
}

void router_allow(enum route_id id, char *buf, size_t len)
{
	size_t used = 0;

	buf[0] = '\0';
	for (int m = 0; m < M__MAX; m++) {
		const char *sep = used ? ", " : "";
		size_t need;

		if (route_handler(id, (enum http_method)m) == NULL)
			continue;
		need = strlen(sep) + strlen(http_method_names[m]);
		if (used + need >= len)
			break;	/* never half a method name */
		memcpy(buf + used, sep, strlen(sep));
		memcpy(buf + used + strlen(sep), http_method_names[m], strlen(http_method_names[m]) + 1);
		used += need;
	}
}

bool router_path_free(const char *path)
{
	size_t n = strlen(path);

	for (int i = 0; i < ROUTE__MAX; i++) {
		size_t plen = strlen(routes[i].prefix);

		if (strncmp(path, routes[i].prefix, plen) != 0)
			continue;
		if (!routes[i].item && (n == plen || (n == plen + 1 && path[plen] == '/')))
			return false;
		if (routes[i].item && n > plen + 1 && path[plen] == '/' &&
		    strchr(path + plen + 1, '/') == NULL)
			return false;
	}
	return true;
}

/* The status page's path (status_path), with one trailing slash
 * tolerated as on every route. */
static bool is_status_path(const struct req *r)
{
	const char *sp = r->cfg->status_path;
	size_t n = strlen(sp);

	return n > 0 && strncmp(r->path, sp, n) == 0 &&
	       (r->path[n] == '\0' || (r->path[n] == '/' && r->path[n + 1] == '\0'));
}

/* Picks the handler, or replies 404 / 405 / 401 itself. */
static void dispatch(struct req *r)
{
	enum route_id id;
	handler_fn fn;

	r->head_only = r->method == M_HEAD;	/* any reply to HEAD: no body */
	if (r->path == NULL) {
		req_reply_error(r, 404, "no such route");
		return;
	}
	if (r->cfg != NULL && is_status_path(r)) {	/* no token: see API.md */
		if (r->method == M_GET || r->method == M_HEAD) {
			status_get(r);
			return;
		}
		req_header(r, "Allow", ROUTER_STATUS_ALLOW);
		req_reply_error(r, 405, "method not allowed on this route");
		return;
	}
	id = router_match(r->arena, r->path, &r->param);
	if (id == ROUTE__MAX) {
		req_reply_error(r, 404, "no such route");
		return;
	}
	fn = route_handler(id, r->method);
	if (fn == NULL) {
		char allow[64];

		router_allow(id, allow, sizeof(allow));
		req_header(r, "Allow", allow);
		req_reply_error(r, 405, "method not allowed on this route");
		return;
	}
	if (routes[id].needs_auth && auth_or_reply(r) < 0)
		return;
	fn(r);
}

void router_dispatch(struct req *r)
{
	dispatch(r);
	(void)req_flush(r);
}
