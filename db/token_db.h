/*
 * Token lookup and administration queries.
 */
#ifndef ENVINT_TOKEN_DB_H
#define ENVINT_TOKEN_DB_H

#include "app/base/arena.h"
#include "db/db.h"
#include "db/scope.h"

/* The longest api_token.name in bytes: VARCHAR(255) of utf8mb4. */
#define TOKEN_NAME_MAX 1020

/* Finds the live token with this selector. On DB_OK, `hash` holds the
 * stored SHA-256 of its secret and `scope` its team, environment and the
 * sorted list of environments it sees (allocated in `a`). DB_NOTFOUND for
 * an unknown or revoked selector. */
enum db_err db_token_lookup(struct db *db, struct arena *a,
			    const unsigned char selector[8],
			    unsigned char hash[32], struct scope *scope);

/* Stores a new token; environment_id NULL makes a team token. */
enum db_err db_token_insert(struct db *db, const unsigned char id[16],
			    const unsigned char selector[8],
			    const unsigned char hash[32],
			    const unsigned char team_id[16],
			    const unsigned char *environment_id,
			    const char *name);

/* Revokes by token id (16 bytes) or selector (8 bytes): pass NULL for the
 * other. DB_NOTFOUND when no live token matched. */
enum db_err db_token_revoke(struct db *db, const unsigned char *id,
			    const unsigned char *selector);

#endif
