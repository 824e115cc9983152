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

/* Reads one environment integration visible in `scope`. DB_NOTFOUND when
 * it does not exist or belongs to another tenant (indistinguishable). */
enum db_err db_ei_get(struct db *db, struct arena *a, const struct scope *scope,
		      const unsigned char id[16], struct ei_row *out);

#endif
