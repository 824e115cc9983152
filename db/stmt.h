/*
 * The prepared-statement table: every SQL statement envint runs, by name.
 * The SQL lives in db/stmt.c; nothing else in the tree holds SQL text
 * (besides db/schema.sql and db/migrations/).
 */
#ifndef ENVINT_STMT_H
#define ENVINT_STMT_H

#include <stdbool.h>

enum db_stmt {
	STMT_AUTH_TOKEN,		/* STMT_AUTH_TOKEN */
	STMT_EI_GET,			/* STMT_EI_GET */
	STMT_EI_GET_LEAN,		/* STMT_EI_GET_LEAN */
	STMT_EI_UPDATE,			/* STMT_EI_UPDATE */
	STMT_EI_DELETE,			/* STMT_EI_DELETE */
	STMT_EI_VERSION,		/* STMT_EI_VERSION */
	STMT_EI_LOCK,			/* STMT_EI_LOCK */
	STMT_EI_LOCK_STATE,		/* STMT_EI_LOCK_STATE */
	STMT_EI_EFFECTIVE,		/* STMT_EI_EFFECTIVE */
	STMT_EI_FIND,			/* STMT_EI_FIND */
	STMT_INTEGRATION_ACCESS,	/* STMT_INTEGRATION_ACCESS */
	STMT_TEAM_INSERT,		/* STMT_TEAM_INSERT */
	STMT_ENV_INSERT,		/* STMT_ENV_INSERT */
	STMT_ENV_TEAM,			/* STMT_ENV_TEAM */
	STMT_INTEGRATION_UPSERT,	/* STMT_INTEGRATION_UPSERT */
	STMT_INTEGRATION_ID,		/* STMT_INTEGRATION_ID */
	STMT_INTEGRATION_NEXT,		/* STMT_INTEGRATION_NEXT */
	STMT_INTEGRATION_SET_PUBLIC,	/* STMT_INTEGRATION_SET_PUBLIC */
	STMT_EI_INSTALL,		/* STMT_EI_INSTALL */
	STMT_TOKEN_INSERT,		/* STMT_TOKEN_INSERT */
	STMT_TOKEN_REVOKE,		/* STMT_TOKEN_REVOKE */
	STMT_SCHEMA_VERSION,		/* STMT_SCHEMA_VERSION */
	STMT_SCHEMA_EXISTS,		/* STMT_SCHEMA_EXISTS */
	STMT_TEAM_COUNT,		/* STMT_TEAM_COUNT */
	STMT_SERVER_LOGGING,		/* STMT_SERVER_LOGGING */
	STMT_HIST_PAGE,			/* STMT_HIST_PAGE */
	STMT_HIST_VISIBLE,		/* STMT_HIST_VISIBLE */
	STMT_HIST_STATE,		/* STMT_HIST_STATE */
	STMT_HIST_UNINSTALL_OVERRIDE,	/* STMT_HIST_UNINSTALL_OVERRIDE */
	STMT_HIST_UNINSTALL,		/* STMT_HIST_UNINSTALL */
	STMT_HIST_TRIM,			/* STMT_HIST_TRIM */
	STMT_HIST_NEXT_INSTALL,		/* STMT_HIST_NEXT_INSTALL */
	STMT__MAX
};

struct stmt_def {
	const char *name;	/* for logs */
	const char *sql;
	bool idempotent;	/* safe to re-run after a lost connection */
};

extern const struct stmt_def stmt_defs[STMT__MAX];

/* The select list and joins of an environment integration response, for
 * the list query that db/envint_db.c assembles from constant fragments.
 * One parameter: the caller's team (whose secrets the config shows); the
 * scope's parameters come with the WHERE clause the builder appends. */
extern const char ei_select_sql[];

#endif
