/*
 * Environment integrations as stored: the row, its integration and the
 * integration's team, read in one query. Text columns point into the
 * request arena; stored JSON (config, override) is returned verbatim.
 */
#ifndef ENVINT_ENVINT_DB_H
#define ENVINT_ENVINT_DB_H

#include <stdbool.h>
#include <stddef.h>

#include "app/api/query.h"
#include "app/base/arena.h"
#include "db/db.h"
#include "db/scope.h"

struct text {
	const char *p;	/* NULL for SQL NULL */
	size_t n;
};

struct ei_row {
	unsigned char id[16], environment_id[16], integration_id[16];
	bool show_in_catalog, is_enabled;
	MYSQL_TIME created_at, updated_at;
	struct text override;		/* NULL = none stored */
	unsigned long long version;
	struct {
		struct text name, category, config, sharing;
		bool is_beta;
		unsigned char team_id[16];
		MYSQL_TIME created_at, updated_at;
		struct text installed;	/* bit env_no set for each environment
					 * of the row's team holding it (byte
					 * env_no / 8, bit env_no % 8) */
	} integration;
	struct {
		unsigned char id[16];
		struct text name, domain, logo, tos_link;
		bool is_verified, is_white_label, allow_impersonation;
		MYSQL_TIME created_at, updated_at;
	} team;
};

/* db_ei_get without reading the override column (row->override is NULL):
 * for a caller that has just written it and holds the text. */
enum db_err db_ei_get_lean(struct db *db, struct arena *a, const struct scope *scope,
			   const unsigned char id[16], struct ei_row *out);

/* An open page of results, streamed from the server row by row. */
struct ei_page;

/* Runs the list query: one statement (join of environment_integration,
 * integration and team, installed_environment included), scoped to the
 * caller, ordered by (created_at, id), limit + 1 rows so the caller knows
 * whether another page exists. */
enum db_err db_ei_list(struct db *db, struct arena *a, const struct scope *scope,
		       const struct ei_list_query *q, struct ei_page **out);

/* db_ei_get with the list's filters of q (not its limit or cursor) as
 * extra conditions: DB_NOTFOUND also when the row does not match them. */
enum db_err db_ei_get_filtered(struct db *db, struct arena *a, const struct scope *scope,
			       const unsigned char id[16], const struct ei_list_query *q,
			       struct ei_row *out);

/* Fetches the next row. Text columns point into buffers that are reused
 * by the next call: a page costs the largest row, not the sum of rows.
 * 1 for a row, 0 at the end, -1 on error. */
int db_ei_page_next(struct ei_page *p, struct ei_row *row);

/* Releases the statement's result (reading and dropping any rows left).
 * Must come before the next statement on the connection. */
void db_ei_page_close(struct ei_page *p);

/* Reads one environment integration visible in `scope`. DB_NOTFOUND when
 * it does not exist or belongs to another tenant (indistinguishable). */
enum db_err db_ei_get(struct db *db, struct arena *a, const struct scope *scope,
		      const unsigned char id[16], struct ei_row *out);

/* What a PATCH changes: only the fields whose set_ flag is true. */
struct ei_update {
	bool set_show_in_catalog, show_in_catalog;
	bool set_is_enabled, is_enabled;
	bool set_override;
	const char *override;	/* canonical JSON, or NULL to clear */
	size_t override_len;
};

/* Who makes a write, for the change history (db/migrations/0005): the
 * install or update names it in the row (changed_by, change_request,
 * change_kind) and the row's triggers copy it into the entry. */
enum ei_change {
	CHG_INSTALL,	/* CHG_INSTALL: POST, 201 */
	CHG_UPDATE,	/* CHG_UPDATE: PATCH of any kind */
	CHG_RESTORE,	/* CHG_RESTORE: POST .../restore */
	CHG_ADMIN,	/* CHG_ADMIN: envintctl, no token */
	CHG__MAX
};

/* The change kinds as the database and the API spell them. */
extern const char *const ei_change_names[CHG__MAX];

struct ei_actor {
	const unsigned char *token_id;	/* NULL: no token */
	const char *token_name;		/* its name; NULL: no token */
	const char *request_id;		/* NULL: none */
	enum ei_change kind;
};

/* A precondition on the row's version (If-Match). */
struct ei_precond {
	bool check;
	unsigned long long version;
};

/* Updates one visible row, bumping version and updated_at. DB_NOTFOUND
 * when it is not visible; DB_CONFLICT when it exists but the version
 * precondition failed. */
enum db_err db_ei_update(struct db *db, const struct scope *scope,
			 const unsigned char id[16], const struct ei_update *u,
			 const struct ei_precond *pre, const struct ei_actor *who);

/* Inside a transaction: locks one visible row and reads its version.
 * DB_NOTFOUND when it is not visible. */
enum db_err db_ei_lock(struct db *db, const struct scope *scope,
		       const unsigned char id[16], unsigned long long *version);

/* What a merge patch merges into: a row's writable state. */
struct ei_state {
	unsigned long long version;
	bool show_in_catalog, is_enabled;
	struct text override;	/* canonical JSON in the arena; NULL = none */
};

/* Inside a transaction: locks one visible row and reads its state.
 * DB_NOTFOUND when it is not visible. */
enum db_err db_ei_lock_state(struct db *db, struct arena *a, const struct scope *scope,
			     const unsigned char id[16], struct ei_state *out);

/* What the effective config of a row is made of. */
struct ei_effective {
	unsigned long long version;		/* the row's */
	unsigned long long integration_version;	/* its integration's */
	struct text override;	/* canonical JSON in the arena; NULL = none */
	struct text config;	/* the caller's view: the integration's config
				 * for its own team, the redacted copy for
				 * others; in the arena */
};

/* Reads one visible row's override and its integration's config as the
 * caller may see it. DB_NOTFOUND as db_ei_get. */
enum db_err db_ei_effective(struct db *db, struct arena *a, const struct scope *scope,
			    const unsigned char id[16], struct ei_effective *out);

/* Deletes one visible row; results as db_ei_update. Its history entry is
 * the caller's (db_history_uninstall, in the same transaction). */
enum db_err db_ei_delete(struct db *db, const struct scope *scope,
			 const unsigned char id[16], const struct ei_precond *pre);

enum sharing { SHARING_ALLOW, SHARING_ASK, SHARING_DENY };

/* The owner and sharing of an integration. DB_NOTFOUND if there is none. */
enum db_err db_integration_access(struct db *db, const unsigned char id[16],
				  unsigned char team_out[16], enum sharing *sharing);

/* Installs an integration into an environment. override: canonical JSON or
 * NULL. DB_NOTFOUND if the environment does not exist, DB_CONFLICT if it is
 * already installed there. */
enum db_err db_ei_install(struct db *db, const unsigned char id[16],
			  const unsigned char env_id[16],
			  const unsigned char integration_id[16],
			  bool show_in_catalog, bool is_enabled,
			  const char *override, size_t override_len,
			  const struct ei_actor *who);

/* The id of the install of `integration` in `env`. DB_NOTFOUND if none. */
enum db_err db_ei_find(struct db *db, const unsigned char env[16],
		       const unsigned char integration[16], unsigned char id_out[16]);

#endif
