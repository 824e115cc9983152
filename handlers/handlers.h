/*
 * Every request handler. A handler reads like a column of guard clauses,
 * replies exactly once, and holds no SQL and no FCGX_* calls.
 */
#ifndef ENVINT_HANDLERS_H
#define ENVINT_HANDLERS_H

#include "../app/req.h"

void healthz_get(struct req *r);	/* GET /healthz */
void envint_list(struct req *r);	/* GET /environment-integration */
void envint_get(struct req *r);
void envint_post(struct req *r);	/* POST /environment-integration */
void envint_patch(struct req *r);	/* PATCH /environment-integration/{id} */
void envint_delete(struct req *r);	/* DELETE /environment-integration/{id} */		/* GET /environment-integration/{id} */

#endif
