/*
 * What envint_db.c and history_db.c share: the binders of the caller's
 * scope (EI_SCOPE in stmt.c) and of the acting token of a write
 * (db/envint_db.h, struct ei_actor), and the read of a writable state.
 * Nothing outside db/ includes this.
 */
#ifndef ENVINT_EI_BIND_H
#define ENVINT_EI_BIND_H

#include <string.h>

#include "db/db.h"
#include "db/envint_db.h"
#include "db/scope.h"

/* EI_SCOPE's three parameters at p[0..2]: the team, whether the token is
 * bound to one environment, and that environment. */
static inline void bind_scope(MYSQL_BIND *p, const struct scope *s, signed char *flag,
			      unsigned long *l16)
{
	*flag = s->env_token;
	bind_bin(&p[0], s->team_id, l16);
	bind_tiny(&p[1], flag);
	bind_bin(&p[2], s->env_token ? s->env_id : s->team_id, l16);
}

/* What bind_actor's parameters point at: live until the statement ran. */
struct actor_binds {
	unsigned long l16, lname, lreq, lkind;
};

/* (changed_by, change_token_name, change_request, change_kind) at
 * p[0..3]: the token's id and name or NULL, the request id or NULL, the
 * kind's name. */
static inline void bind_actor(MYSQL_BIND *p, struct actor_binds *b, const struct ei_actor *who)
{
	const char *kind = ei_change_names[who->kind];

	b->l16 = 16;
	b->lname = who->token_name != NULL ? strlen(who->token_name) : 0;
	b->lreq = who->request_id != NULL ? strlen(who->request_id) : 0;
	b->lkind = strlen(kind);
	if (who->token_id != NULL)
		bind_bin(&p[0], who->token_id, &b->l16);
	else
		bind_null(&p[0]);
	if (who->token_id != NULL && who->token_name != NULL)
		bind_str(&p[1], who->token_name, &b->lname);
	else
		bind_null(&p[1]);
	if (who->request_id != NULL)
		bind_str(&p[2], who->request_id, &b->lreq);
	else
		bind_null(&p[2]);
	bind_str(&p[3], kind, &b->lkind);
}

/* Copies text column c of the row just fetched (len bytes, or SQL NULL)
 * into *buf, which is grown in `a` when short (doubling) and reused row
 * after row, and points t at it (t->p NULL for SQL NULL). 0, or -1 when
 * memory or the fetch failed. (envint_db.c) */
int ei_take_text(MYSQL_STMT *st, unsigned c, unsigned long len, bool is_null,
		 struct arena *a, char **buf, size_t *cap, struct text *t);

/* Runs `which`, a statement of one row (version, show_in_catalog,
 * is_enabled, override) with `params` bound, into *out (the override
 * copied into `a`). DB_NOTFOUND without a row. (envint_db.c) */
enum db_err ei_state_read(struct db *db, enum db_stmt which, MYSQL_BIND *params,
			  struct arena *a, struct ei_state *out);

#endif
