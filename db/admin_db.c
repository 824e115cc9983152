#include "db/admin_db.h"

#include <uuid/uuid.h>

static void bind_opt_str(MYSQL_BIND *b, const char *s, unsigned long *len)
{
	if (s == NULL) {
		bind_null(b);
		return;
	}
	*len = strlen(s);
	bind_str(b, s, len);
}

enum db_err db_team_insert(struct db *db, const unsigned char id[16],
			   const struct team_row *t)
{
	MYSQL_BIND p[8];
	unsigned long l16 = 16, lname = 0, ldom = 0, llogo = 0, ltos = 0;
	signed char ver = t->is_verified, wl = t->is_white_label,
		    imp = t->allow_impersonation;

	bind_bin(&p[0], id, &l16);
	bind_opt_str(&p[1], t->name, &lname);
	bind_opt_str(&p[2], t->domain, &ldom);
	bind_opt_str(&p[3], t->logo, &llogo);
	bind_tiny(&p[4], &ver);
	bind_tiny(&p[5], &wl);
	bind_opt_str(&p[6], t->tos_link, &ltos);
	bind_tiny(&p[7], &imp);
	return db_exec(db, STMT_TEAM_INSERT, p, NULL, NULL);
}

enum db_err db_env_insert(struct db *db, const unsigned char id[16],
			  const unsigned char team_id[16], const char *name)
{
	MYSQL_BIND p[3];
	unsigned long l16 = 16, lname = strlen(name);

	bind_bin(&p[0], id, &l16);
	bind_bin(&p[1], team_id, &l16);
	bind_str(&p[2], name, &lname);
	return db_exec(db, STMT_ENV_INSERT, p, NULL, NULL);
}

/* Runs a statement that selects one BINARY(16) column of one row. */
static enum db_err select_id(struct db *db, enum db_stmt id, MYSQL_BIND *p,
			     unsigned char out[16])
{
	MYSQL_BIND r[1];
	unsigned long len = 16;

	bind_bin(&r[0], out, &len);
	r[0].buffer_length = 16;
	return db_select_one(db, id, p, r);
}

enum db_err db_env_team(struct db *db, const unsigned char env_id[16],
			unsigned char team_id[16])
{
	MYSQL_BIND p[1];
	unsigned long l16 = 16;

	bind_bin(&p[0], env_id, &l16);
	return select_id(db, STMT_ENV_TEAM, p, team_id);
}

enum db_err db_integration_upsert(struct db *db, const unsigned char team_id[16],
				  const struct integration_row *i,
				  unsigned char id_out[16])
{
	MYSQL_BIND p[8], q[2];
	unsigned char id[16];
	unsigned long l16 = 16, lname = strlen(i->name), lcat = strlen(i->category),
		      lshare = strlen(i->sharing), lcfg = i->config_len,
		      lpub = i->config_public_len;
	signed char beta = i->is_beta;
	enum db_err rc;

	uuid_generate_random(id);
	bind_bin(&p[0], id, &l16);
	bind_bin(&p[1], team_id, &l16);
	bind_str(&p[2], i->name, &lname);
	bind_str(&p[3], i->category, &lcat);
	bind_tiny(&p[4], &beta);
	bind_str(&p[5], i->sharing, &lshare);
	bind_str(&p[6], i->config, &lcfg);
	bind_str(&p[7], i->config_public, &lpub);
	rc = db_exec(db, STMT_INTEGRATION_UPSERT, p, NULL, NULL);
	if (rc != DB_OK)
		return rc;
	bind_bin(&q[0], team_id, &l16);
	bind_str(&q[1], i->name, &lname);
	return select_id(db, STMT_INTEGRATION_ID, q, id_out);
}

/* Copies text column `c` of the current row into the arena. */
static enum db_err fetch_text(MYSQL_STMT *st, unsigned c, unsigned long len,
			      struct arena *a, struct text *out)
{
	char *p = arena_alloc(a, (size_t)len + 1);

	if (p == NULL || db_fetch_text(st, c, p, len) < 0)
		return DB_ERR;
	out->p = p;
	out->n = len;
	return DB_OK;
}

enum db_err db_integration_next(struct db *db, struct arena *a,
				const unsigned char after[16], unsigned char id[16],
				struct text *config, struct text *config_public)
{
	MYSQL_BIND p[1], r[3];
	MYSQL_STMT *st = NULL;
	unsigned long l16 = 16, idlen = 0, lcfg = 0, lpub = 0;
	enum db_err rc;
	int f;

	bind_bin(&p[0], after, &l16);
	bind_bin(&r[0], id, &idlen);
	r[0].buffer_length = 16;
	bind_str(&r[1], NULL, &lcfg);	/* no buffer: fetched by length below */
	bind_str(&r[2], NULL, &lpub);
	rc = db_exec(db, STMT_INTEGRATION_NEXT, p, r, &st);
	if (rc != DB_OK)
		return rc;
	f = db_fetch(st);
	if (f == 1)
		rc = fetch_text(st, 1, lcfg, a, config);
	if (f == 1 && rc == DB_OK)
		rc = fetch_text(st, 2, lpub, a, config_public);
	db_done(st);
	return f == 1 ? rc : f == 0 ? DB_NOTFOUND : DB_ERR;
}

enum db_err db_integration_set_public(struct db *db, const unsigned char id[16],
				      const struct text *config,
				      const struct text *config_public)
{
	MYSQL_BIND p[3];
	unsigned long l16 = 16, lpub = config_public->n, lcfg = config->n;
	enum db_err rc;

	bind_str(&p[0], config_public->p, &lpub);
	bind_bin(&p[1], id, &l16);
	bind_str(&p[2], config->p, &lcfg);
	rc = db_exec(db, STMT_INTEGRATION_SET_PUBLIC, p, NULL, NULL);
	return rc == DB_OK && db_affected(db) == 0 ? DB_NOTFOUND : rc;
}

enum db_err db_select_u64(struct db *db, enum db_stmt id, unsigned long long *out)
{
	MYSQL_BIND r[1];

	bind_u64(&r[0], out);
	return db_select_one(db, id, NULL, r);
}

enum db_err db_server_logging(struct db *db, struct server_logging *out)
{
	MYSQL_BIND r[5];
	signed char v[5] = { 0 };
	enum db_err rc;

	for (int i = 0; i < 5; i++)
		bind_tiny(&r[i], &v[i]);
	rc = db_select_one(db, STMT_SERVER_LOGGING, NULL, r);
	*out = (struct server_logging){ v[0] != 0, v[1] != 0, v[2] != 0, v[3] != 0, v[4] != 0 };
	return rc;
}
