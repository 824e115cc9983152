/*
 * Every request handler. A handler reads like a column of guard clauses,
 * replies exactly once, and holds no SQL and no FCGX_* calls.
 */
#ifndef ENVINT_HANDLERS_H
#define ENVINT_HANDLERS_H

#include "app/api/cursor.h"
#include "app/api/filter.h"
#include "app/http/req.h"
#include "db/db.h"
#include "db/envint_db.h"

/* The one 404 message of an environment integration that is absent,
 * invisible, or named by something that is not a UUID. */
#define EI_NOT_FOUND "environment integration not found"

/* The actor of a write the request makes (the change history): its
 * token and request id. */
#define EI_ACTOR(r, chg) ((struct ei_actor){ .token_id = (r)->scope.token_id, \
	.token_name = (r)->scope.token_name, .request_id = (r)->id, .kind = (chg) })

/* The {id} of an item route into id; 0, or -1 after replying 404. */
int ei_id_or_reply(struct req *r, unsigned char id[16]);

/* Replies with an environment integration object and its ETag. */
void ei_reply_object(struct req *r, int status, const struct ei_row *row);

/* Parses the query string for `mode` (app/api/filter.h) into *q. 0, or -1
 * after replying 400 naming the parameter. */
int query_or_reply(struct req *r, enum filter_mode mode, struct ei_list_query *q);

/* Inside a write's transaction: locks the visible row and reads its
 * version; with If-Match, checks the version against it. DB_OK,
 * DB_NOTFOUND, DB_CONFLICT (412) or errors. */
enum db_err ei_lock_if_match(struct req *r, const unsigned char id[16],
			     unsigned long long *version);

/* How deep an override may nest: json_depth_max less the body object. */
unsigned ei_override_depth(const struct req *r);

/* A page's row `n` could not be fetched: a 503 if nothing has left yet;
 * past that, the connection is cut (req_abort), so no client takes the
 * page for complete. Logged with `what` (list, history). */
void page_fetch_failed(struct req *r, const char *what, size_t n);

/* Closes a page opened with {"result":[ : `],"next_cursor":` the cursor
 * to the next page (or null when next is NULL), `,"limit":N}`. */
void page_end(struct req *r, const struct cursor *next, unsigned limit);

void healthz_get(struct req *r);	/* GET /healthz */
void status_get(struct req *r);		/* GET status_path: the pool's scoreboard */
void envint_list(struct req *r);	/* GET /environment-integration */
void envint_get(struct req *r);		/* GET /environment-integration/{id} */
void envint_post(struct req *r);	/* POST /environment-integration */
void envint_patch(struct req *r);	/* PATCH /environment-integration/{id} */
void envint_delete(struct req *r);	/* DELETE /environment-integration/{id} */
/* GET /environment-integration/{id}/effective-config */
void envint_effective_config(struct req *r);
/* GET /environment-integration/{id}/history */
void envint_history(struct req *r);
/* POST /environment-integration/{id}/restore */
void envint_restore(struct req *r);

/* GET /openapi.json: the document openapi_load read, no token; 404 when
 * there was none. */
void openapi_get(struct req *r);

/* Reads the OpenAPI document at `path` (openapi_file) into memory for
 * openapi_get, replacing the one held: the master calls it before it
 * forks, and again on reload. 0, or -1 (logged once, naming the path)
 * when it cannot be read or is longer than OPENAPI_MAX; /openapi.json then
 * answers 404. The buffer is the process's and lives until the next call. */
#define OPENAPI_MAX (16u << 20)
int openapi_load(const char *path);

#endif
