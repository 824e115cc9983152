/*
 * Every write names its actor (EI_ACTOR) for the change history: the
 * row's triggers, or db_history_uninstall for a DELETE, append the entry
 * in the write's own transaction (db/migrations/0005).
 *
 * Static functions, in order: check_if_match, patch_tx, same_override,
 * merge_tx, delete_tx, install_env_or_reply.
 */
#include "handlers/handlers.h"

#include <stdio.h>
#include <string.h>

#include "app/api/etag.h"
#include "app/api/override.h"
#include "app/base/ids.h"
#include "app/base/log.h"
#include "app/http/auth.h"
#include "app/http/req_body.h"
#include "db/envint_db.h"
#include "db/history_db.h"
#include "handlers/envint_json.h"

/* With If-Match: locks the row (inside the caller's transaction) and
 * checks it. Sets *pre. DB_OK, DB_NOTFOUND, DB_CONFLICT (412) or errors. */
static enum db_err check_if_match(struct req *r, const unsigned char id[16],
				  struct ei_precond *pre)
{
	enum db_err rc;

	pre->check = false;
	pre->version = 0;
	if (r->if_match == NULL)
		return DB_OK;
	rc = ei_lock_if_match(r, id, &pre->version);
	pre->check = rc == DB_OK;
	return rc;
}

/* A PATCH's transaction: what it writes, and the row it answers with. */
struct patch_tx {
	struct req *r;
	const unsigned char *id;
	const struct ei_update *u;
	const struct jm_node *patch;	/* a merge patch's override, or NULL */
	size_t patch_len;
	struct ei_row row;
	bool invalid;			/* the merged override broke a rule */
	struct failure why;
};

/* The If-Match check, the update (version + 1, updated_at forward) and the
 * read of the object returned: run again whole when the server rolls it
 * back (db_tx_run). */
static enum db_err patch_tx(struct db *db, void *ctx)
{
	struct patch_tx *t = ctx;
	struct req *r = t->r;
	const struct ei_update *u = t->u;
	struct ei_precond pre;
	enum db_err rc = check_if_match(r, t->id, &pre);

	if (rc == DB_OK && (u->set_show_in_catalog || u->set_is_enabled || u->set_override))
		rc = db_ei_update(db, &r->scope, t->id, u, &pre,
				  &EI_ACTOR(r, CHG_UPDATE));
	if (rc != DB_OK)
		return rc;
	if (!u->set_override)
		return db_ei_get(db, r->arena, &r->scope, t->id, &t->row);
	/* the override just written is in hand: do not read it back */
	rc = db_ei_get_lean(db, r->arena, &r->scope, t->id, &t->row);
	t->row.override.p = u->override;
	t->row.override.n = u->override_len;
	return rc;
}

/* A stored override (NULL or {} for none) and a new one (NULL for none)
 * say the same: both are canonical text. */
static bool same_override(const struct text *stored, const char *ov, size_t n)
{
	if (stored->p == NULL || (stored->n == 2 && memcmp(stored->p, "{}", 2) == 0))
		return ov == NULL;
	return ov != NULL && stored->n == n && memcmp(stored->p, ov, n) == 0;
}

/* A merge patch's transaction: the row's state read under its lock, the
 * patch merged into the stored override and the result checked, and only
 * what differs from the stored state written (a result equal to it is no
 * new version). Run again whole, every read included, when the server
 * rolls it back (db_tx_run), so concurrent merges of different keys all
 * land. A result that breaks a rule sets t->invalid and rolls back. */
static enum db_err merge_tx(struct db *db, void *ctx)
{
	struct patch_tx *t = ctx;
	struct req *r = t->r;
	struct ei_update u = *t->u;
	struct ei_state s;
	struct ei_precond pre;
	unsigned depth = ei_override_depth(r);
	enum db_err rc = db_ei_lock_state(db, r->arena, &r->scope, t->id, &s);

	if (rc != DB_OK)
		return rc;
	if (r->if_match != NULL && !etag_if_match(r->if_match, s.version))
		return DB_CONFLICT;
	if (u.set_override && t->patch != NULL) {
		switch (override_merge(r->arena, s.override.p, s.override.n, t->patch,
				       t->patch_len, depth, r->cfg->body_max, &u.override,
				       &u.override_len, &t->why)) {
		case OVM_OK:
			break;
		case OVM_INVALID:
			t->invalid = true;
			return DB_ERR;
		case OVM_STORED:
			log_error("req %s: the stored override is not JSON", r->id);
			return DB_ERR;
		case OVM_OOM:
		case OVM__MAX:
			log_error("req %s: out of memory merging the override", r->id);
			return DB_ERR;
		}
	}
	u.set_show_in_catalog &= u.show_in_catalog != s.show_in_catalog;
	u.set_is_enabled &= u.is_enabled != s.is_enabled;
	u.set_override &= !same_override(&s.override, u.override, u.override_len);
	pre = (struct ei_precond){ .check = true, .version = s.version };
	if (u.set_show_in_catalog || u.set_is_enabled || u.set_override)
		rc = db_ei_update(db, &r->scope, t->id, &u, &pre, &EI_ACTOR(r, CHG_UPDATE));
	if (rc == DB_OK)
		rc = db_ei_get_lean(db, r->arena, &r->scope, t->id, &t->row);
	/* the override is in hand either way: do not read it back */
	t->row.override = u.set_override ? (struct text){ u.override, u.override_len } :
					   s.override;
	return rc;
}

/* PATCH /environment-integration/{id}: absent fields stay. With
 * application/json, override is replaced whole ({} and null clear it);
 * with application/merge-patch+json it is merged into the stored one
 * (RFC 7396; null clears it all) and the result is held to the override
 * rules (400 naming the path in the result). One transaction (patch_tx,
 * merge_tx). A body that changes nothing changes nothing (no new
 * version), but If-Match is still checked. */
void envint_patch(struct req *r)
{
	unsigned char id[16];
	struct body b;
	struct ei_update u;
	struct ei_list_query none;
	struct patch_tx t = { .r = r, .id = id, .u = &u };
	enum db_err rc;

	if (query_or_reply(r, FILTER_NONE, &none) < 0)
		return;
	if (ei_id_or_reply(r, id) < 0)
		return;
	if (req_body_or_reply(r, BODY_PATCH, &b) < 0)
		return;
	u = (struct ei_update){
		.set_show_in_catalog = b.has_show_in_catalog, .show_in_catalog = b.show_in_catalog,
		.set_is_enabled = b.has_is_enabled, .is_enabled = b.is_enabled,
		.set_override = b.has_override, .override = b.override,
		.override_len = b.override_len,
	};
	if (b.merge && b.override != NULL) {
		t.patch = jm_parse(r->arena, b.override, b.override_len);
		t.patch_len = b.override_len;
		if (t.patch == NULL) {	/* canonical text: only memory can fail */
			req_reply_error(r, 500, "internal error");
			return;
		}
	}
	rc = db_tx_run(r->db, b.merge ? merge_tx : patch_tx, &t);
	if (t.invalid) {
		req_reply_invalid(r, "invalid body: ", " ", &t.why);
		return;
	}
	if (rc != DB_OK) {
		req_reply_db(r, rc, EI_NOT_FOUND);
		return;
	}
	ei_reply_object(r, 200, &t.row);
}

/* A DELETE: under the row's lock, the If-Match check (if any), the
 * uninstall entry of the history, and the delete. */
struct delete_tx {
	struct req *r;
	const unsigned char *id;
};

static enum db_err delete_tx(struct db *db, void *ctx)
{
	struct delete_tx *t = ctx;
	struct req *r = t->r;
	struct ei_precond pre = { 0 };
	unsigned long long version;
	enum db_err rc = ei_lock_if_match(r, t->id, &version);

	if (rc != DB_OK)
		return rc;
	rc = db_history_uninstall(db, &r->scope, t->id, version, &EI_ACTOR(r, CHG_UPDATE),
				  r->cfg->history_keep);
	return rc == DB_OK ? db_ei_delete(db, &r->scope, t->id, &pre) : rc;
}

/* DELETE /environment-integration/{id}: {"id": ...}; a second one is 404. */
void envint_delete(struct req *r)
{
	unsigned char id[16];
	struct ei_list_query none;
	struct delete_tx t = { r, id };
	enum db_err rc;
	yajl_gen g;

	if (query_or_reply(r, FILTER_NONE, &none) < 0)
		return;
	if (ei_id_or_reply(r, id) < 0)
		return;
	rc = db_tx_run(r->db, delete_tx, &t);
	if (rc != DB_OK) {
		req_reply_db(r, rc, EI_NOT_FOUND);
		return;
	}
	g = req_json_begin(r, 200);
	if (g == NULL)
		return;
	yajl_gen_map_open(g);
	json_key(g, "id");
	json_str(g, r->param);
	yajl_gen_map_close(g);
}

/* The environment a POST installs into: the token's own, the body's (one
 * the token sees), or the team's only one. 0, or -1 after replying. */
static int install_env_or_reply(struct req *r, const struct body *b, unsigned char env[16])
{
	const struct scope *s = &r->scope;

	if (s->env_token) {
		if (b->has_environment_id && memcmp(b->environment_id, s->env_id, 16) != 0) {
			req_reply_error(r, 404, "environment not found");
			return -1;
		}
		memcpy(env, s->env_id, 16);
		return 0;
	}
	if (b->has_environment_id) {
		if (!scope_sees_env(s, b->environment_id)) {
			req_reply_error(r, 404, "environment not found");
			return -1;
		}
		memcpy(env, b->environment_id, 16);
		return 0;
	}
	if (s->n_envs == 1) {
		memcpy(env, s->envs[0], 16);
		return 0;
	}
	if (s->n_envs == 0) {
		req_reply_error(r, 404, "the token's team has no environment");
		return -1;
	}
	static const struct failure f = { "environment_id",
		"is required when the token's team has more than one environment" };
	req_reply_invalid(r, "invalid body: ", " ", &f);
	return -1;
}

/* POST /environment-integration: installs an integration. 201 with the
 * new object, or 200 with the existing one when it is already installed
 * there (the body's flags and override are then ignored); never 409. */
void envint_post(struct req *r)
{
	unsigned char env[16], team[16], id[16];
	char location_id[ID_STR_LEN + 1];
	char location[64 + ID_STR_LEN];
	enum sharing sharing;
	struct body b;
	struct ei_row row;
	enum db_err rc;
	int status = 201;

	if (req_body_or_reply(r, BODY_POST, &b) < 0)
		return;
	if (!b.has_integration_id) {
		static const struct failure f = { "integration_id", "is required" };

		req_reply_invalid(r, "invalid body: ", " ", &f);
		return;
	}
	if (install_env_or_reply(r, &b, env) < 0)
		return;
	rc = db_integration_access(r->db, b.integration_id, team, &sharing);
	if (rc == DB_OK && memcmp(team, r->scope.team_id, 16) != 0) {
		if (sharing == SHARING_DENY)
			rc = DB_NOTFOUND;	/* as if it did not exist */
		else if (sharing == SHARING_ASK) {
			req_reply_error(r, 403, "the integration's owner must approve installing it");
			return;
		}
	}
	if (rc != DB_OK) {
		req_reply_db(r, rc, "integration not found");
		return;
	}
	id_generate(id);
	rc = db_ei_install(r->db, id, env, b.integration_id,
			   b.has_show_in_catalog && b.show_in_catalog,
			   !b.has_is_enabled || b.is_enabled, b.override, b.override_len,
			   &EI_ACTOR(r, CHG_INSTALL));
	if (rc == DB_CONFLICT) {	/* already installed: that one, with 200 */
		rc = db_ei_find(r->db, env, b.integration_id, id);
		status = 200;
	}
	if (rc == DB_OK)
		rc = db_ei_get(r->db, r->arena, &r->scope, id, &row);
	if (rc != DB_OK) {
		req_reply_db(r, rc, EI_NOT_FOUND);
		return;
	}
	if (status == 201) {
		id_format(id, location_id);
		snprintf(location, sizeof(location), "/environment-integration/%s", location_id);
		req_header(r, "Location", location);
	}
	ei_reply_object(r, status, &row);
}
