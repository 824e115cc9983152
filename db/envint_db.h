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

/* An open page of results, fetched client-side in one round trip. */
struct ei_page;

/* Runs the list query: one statement (join of environment_integration,
 * integration and team, installed_environment included), scoped to the
 * caller, ordered by (created_at, id), limit + 1 rows so the caller knows
 * whether another page exists. */
enum db_err db_ei_list(struct db *db, struct arena *a, const struct scope *scope,
		       const struct ei_list_query *q, struct ei_page **out);

/* Rows in the page (at most limit + 1). */
size_t db_ei_page_rows(const struct ei_page *p);

/* Fetches the next row. Text columns point into buffers that are reused
 * by the next call: a page costs the largest row, not the sum of rows.
 * 1 for a row, 0 at the end, -1 on error. */
int db_ei_page_next(struct ei_page *p, struct ei_row *row);

/* Releases the statement's result (also done by the arena on reset). */
void db_ei_page_close(struct ei_page *p);

/* Reads one environment integration visible in `scope`. DB_NOTFOUND when
 * it does not exist or belongs to another tenant (indistinguishable). */
enum db_err db_ei_get(struct db *db, struct arena *a, const struct scope *scope,
		      const unsigned char id[16], struct ei_row *out);

#endif
