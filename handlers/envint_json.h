/*
 * The environment integration object of API.md, generated from a row.
 * One serialiser for GET, list and PATCH responses; and beside it, the
 * entries of its change history.
 */
#ifndef ENVINT_ENVINT_JSON_H
#define ENVINT_ENVINT_JSON_H

#include "app/http/req.h"
#include "db/envint_db.h"
#include "db/history_db.h"

/* Writes the object into the reply body (after req_begin). Stored JSON
 * (config, override) is copied verbatim: it was validated and
 * canonicalised when written. `scope` filters installed_environment to
 * what the caller sees. */
void envint_json(struct req *r, const struct ei_row *row, const struct scope *scope);

/* Writes one change-history entry (the history route's result rows): the
 * stored override verbatim, {} for none; token null when there was none. */
void history_json(struct req *r, const struct hist_entry *e);

#endif
