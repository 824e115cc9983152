/*
 * Every request handler. A handler reads like a column of guard clauses,
 * replies exactly once, and holds no SQL and no FCGX_* calls.
 */
#ifndef ENVINT_HANDLERS_H
#define ENVINT_HANDLERS_H

#include "app/api/filter.h"
#include "app/http/req.h"
#include "db/db.h"

/* Replies for a db result other than DB_OK: 404 with `not_found`,
 * 412 for a failed precondition (DB_CONFLICT), 503 when the database is
 * unavailable, 500 otherwise. */
void reply_db_error(struct req *r, enum db_err rc, const char *not_found);

/* Parses the query string for `mode` (app/filter.h) into *q. 0, or -1
 * after replying 400 naming the parameter. */
int query_or_reply(struct req *r, enum filter_mode mode, struct ei_list_query *q);

void healthz_get(struct req *r);	/* GET /healthz */
void envint_list(struct req *r);	/* GET /environment-integration */
void envint_get(struct req *r);		/* GET /environment-integration/{id} */
void envint_post(struct req *r);	/* POST /environment-integration */
void envint_patch(struct req *r);	/* PATCH /environment-integration/{id} */
void envint_delete(struct req *r);	/* DELETE /environment-integration/{id} */

#endif
