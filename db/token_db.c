#include "db/token_db.h"

#include <string.h>

enum db_err db_token_lookup(struct db *db, struct arena *a,
			    const unsigned char selector[8],
			    unsigned char hash[32], struct scope *scope)
{
	MYSQL_BIND p[1], res[7];
	unsigned long sel_len = 8, hash_len = 32, team_len = 16, tenv_len = 16, env_len = 16,
		      tok_len = 16, name_len = 0;
	char name[TOKEN_NAME_MAX + 1];	/* api_token.name: VARCHAR(255) of utf8mb4 */
	my_bool tenv_null = 0, env_null = 0;
	unsigned char team[16], tenv[16], env[16], tok[16];
	uint32_t env_no = 0;
	MYSQL_STMT *st = NULL;
	enum db_err rc;
	size_t cap = 0;
	int f;

	bind_bin(&p[0], selector, &sel_len);
	bind_bin(&res[0], hash, &hash_len);
	res[0].buffer_length = 32;
	bind_bin(&res[1], team, &team_len);
	res[1].buffer_length = 16;
	bind_bin(&res[2], tenv, &tenv_len);
	res[2].buffer_length = 16;
	res[2].is_null = &tenv_null;
	bind_bin(&res[3], env, &env_len);
	res[3].buffer_length = 16;
	res[3].is_null = &env_null;
	bind_uint(&res[4], &env_no);
	bind_bin(&res[5], tok, &tok_len);
	res[5].buffer_length = 16;
	bind_str(&res[6], name, &name_len);
	res[6].buffer_length = TOKEN_NAME_MAX;

	rc = db_exec(db, STMT_AUTH_TOKEN, p, res, &st);
	if (rc != DB_OK)
		return rc;
	memset(scope, 0, sizeof(*scope));
	rc = DB_NOTFOUND;
	while ((f = db_fetch(st)) == 1) {
		if (rc == DB_NOTFOUND) {
			memcpy(scope->token_id, tok, 16);
			memcpy(scope->team_id, team, 16);
			scope->env_token = !tenv_null;
			if (!tenv_null)
				memcpy(scope->env_id, tenv, 16);
			cap = mysql_stmt_num_rows(st);
			scope->envs = arena_alloc(a, (cap ? cap : 1) * 16);
			scope->env_nos = arena_alloc(a, (cap ? cap : 1) * sizeof(uint32_t));
			scope->token_name = arena_strndup(a, name,
							  name_len < TOKEN_NAME_MAX ? name_len :
										      TOKEN_NAME_MAX);
			if (scope->envs == NULL || scope->env_nos == NULL ||
			    scope->token_name == NULL) {
				rc = DB_ERR;
				break;
			}
			rc = DB_OK;
		}
		if (!env_null && scope->n_envs < cap) {
			scope->env_nos[scope->n_envs] = env_no;
			memcpy(scope->envs[scope->n_envs++], env, 16);
		}
	}
	if (f < 0)
		rc = DB_ERR;
	db_done(st);
	return rc;
}

enum db_err db_token_insert(struct db *db, const unsigned char id[16],
			    const unsigned char selector[8],
			    const unsigned char hash[32],
			    const unsigned char team_id[16],
			    const unsigned char *environment_id,
			    const char *name)
{
	MYSQL_BIND p[6];
	unsigned long l16 = 16, l8 = 8, l32 = 32, lname = strlen(name);

	bind_bin(&p[0], id, &l16);
	bind_bin(&p[1], selector, &l8);
	bind_bin(&p[2], hash, &l32);
	bind_bin(&p[3], team_id, &l16);
	if (environment_id != NULL)
		bind_bin(&p[4], environment_id, &l16);
	else
		bind_null(&p[4]);
	bind_str(&p[5], name, &lname);
	return db_exec(db, STMT_TOKEN_INSERT, p, NULL, NULL);
}

enum db_err db_token_revoke(struct db *db, const unsigned char *id,
			    const unsigned char *selector)
{
	MYSQL_BIND p[2];
	unsigned long l16 = 16, l8 = 8;
	enum db_err rc;

	if (id != NULL)
		bind_bin(&p[0], id, &l16);
	else
		bind_null(&p[0]);
	if (selector != NULL)
		bind_bin(&p[1], selector, &l8);
	else
		bind_null(&p[1]);
	rc = db_exec(db, STMT_TOKEN_REVOKE, p, NULL, NULL);
	if (rc == DB_OK && db_affected(db) == 0)
		rc = DB_NOTFOUND;
	return rc;
}
