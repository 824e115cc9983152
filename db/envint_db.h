/*
 * Environment integrations as stored: the row, its integration and the
 * integration's team, read in one query. Text columns point into the
 * request arena; stored JSON (config, override) is returned verbatim.
 */
#ifndef ENVINT_ENVINT_DB_H
#define ENVINT_ENVINT_DB_H

#include <stdbool.h>
#include <stddef.h>

#include "../app/arena.h"
#include "db.h"
#include "scope.h"

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
		struct text installed;	/* n/16 environment ids, sorted */
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

/* The list filters of API.md. Each field maps to one column in
 * db/envint_db.c and to its query-string names in app/filter.c. */
enum ei_field {
	EF_ID,			/* EF_ID */
	EF_INTEGRATION_ID,	/* EF_INTEGRATION_ID */
	EF_ENVIRONMENT_ID,	/* EF_ENVIRONMENT_ID */
	EF_SHOW_IN_CATALOG,	/* EF_SHOW_IN_CATALOG */
	EF_IS_ENABLED,		/* EF_IS_ENABLED */
	EF_INTEGRATION_NAME,	/* EF_INTEGRATION_NAME */
	EF_INTEGRATION_CATEGORY,	/* EF_INTEGRATION_CATEGORY */
	EF_CREATED_AT,		/* EF_CREATED_AT */
	EF_UPDATED_AT,		/* EF_UPDATED_AT */
	EF__MAX
};

enum filter_op {
	OP_EQ,	/* OP_EQ */
	OP_NE,	/* OP_NE */
	OP_GT,	/* OP_GT */
	OP_GTE,	/* OP_GTE */
	OP_LT,	/* OP_LT */
	OP_LTE,	/* OP_LTE */
	OP_IN,	/* OP_IN */
	OP_NIN,	/* OP_NIN */
	OP__MAX
};

/* One value of a filter; which member is set follows the field's kind. */
union filter_value {
	unsigned char id[16];	/* ids */
	bool b;			/* show_in_catalog, is_enabled */
	MYSQL_TIME t;		/* created_at, updated_at (UTC) */
	struct text s;		/* integration name, category */
};

struct ei_filter {
	enum ei_field field;
	enum filter_op op;
	size_t n;		/* 1, or the list length of in / nin */
	union filter_value *v;
};

struct ei_list_query {
	struct ei_filter *filters;
	size_t n_filters;
	bool has_after;		/* keyset position from next_cursor */
	MYSQL_TIME after_created;
	unsigned char after_id[16];
	unsigned limit;		/* rows wanted on the page */
};

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
			 const struct ei_precond *pre);

/* Inside a transaction: locks one visible row and reads its version.
 * DB_NOTFOUND when it is not visible. */
enum db_err db_ei_lock(struct db *db, const struct scope *scope,
		       const unsigned char id[16], unsigned long long *version);

/* Deletes one visible row; results as db_ei_update. */
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
			  const char *override, size_t override_len);

/* The id of the install of `integration` in `env`. DB_NOTFOUND if none. */
enum db_err db_ei_find(struct db *db, const unsigned char env[16],
		       const unsigned char integration[16], unsigned char id_out[16]);

#endif
