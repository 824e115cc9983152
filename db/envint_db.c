/*
 * Static functions, in order: ei_bind, ei_collect,
 * ei_fetch_one, ei_get, put, qb_init, qb_time, qb_filters, bind_row_where,
 * read_version, why_not.
 */
#include "db/envint_db.h"

#include <stddef.h>
#include <string.h>

#include "db/ei_bind.h"

const char *const ei_change_names[CHG__MAX] = {
	"install", "update", "restore", "admin",	/* CHG_INSTALL .. CHG_ADMIN */
};

/* How each selected column lands in struct ei_row, in EI_SELECT's order. */
enum col_kind {
	CK_ID,		/* CK_ID: BINARY(16) */
	CK_BOOL,	/* CK_BOOL */
	CK_TIME,	/* CK_TIME: DATETIME(3) */
	CK_TEXT,	/* CK_TEXT: any length, copied into the arena */
	CK_U64,		/* CK_U64 */
	CK__MAX
};

struct col {
	enum col_kind kind;
	size_t off;	/* offset in struct ei_row */
};

#define C(kind, field) { kind, offsetof(struct ei_row, field) }

static const struct col ei_cols[] = {
	C(CK_ID, id), C(CK_ID, environment_id), C(CK_ID, integration_id),
	C(CK_BOOL, show_in_catalog), C(CK_BOOL, is_enabled),
	C(CK_TIME, created_at), C(CK_TIME, updated_at),
	C(CK_TEXT, override), C(CK_U64, version),
	C(CK_TEXT, integration.name), C(CK_TEXT, integration.category),
	C(CK_BOOL, integration.is_beta), C(CK_TEXT, integration.config),
	C(CK_ID, integration.team_id), C(CK_TEXT, integration.sharing),
	C(CK_TIME, integration.created_at), C(CK_TIME, integration.updated_at),
	C(CK_TEXT, integration.installed),
	C(CK_ID, team.id), C(CK_TEXT, team.name), C(CK_TEXT, team.domain),
	C(CK_TEXT, team.logo), C(CK_BOOL, team.is_verified),
	C(CK_BOOL, team.is_white_label), C(CK_TEXT, team.tos_link),
	C(CK_BOOL, team.allow_impersonation),
	C(CK_TIME, team.created_at), C(CK_TIME, team.updated_at),
};
#define NCOLS (sizeof(ei_cols) / sizeof(ei_cols[0]))

/* Result buffers for one row: fixed-size columns land in `row` directly;
 * text columns are bound with no buffer and fetched into the arena. */
struct ei_binds {
	MYSQL_BIND b[NCOLS];
	unsigned long len[NCOLS];
	my_bool is_null[NCOLS];
	signed char tiny[NCOLS];
	char *buf[NCOLS];	/* text buffers, reused row after row */
	size_t cap[NCOLS];
	struct ei_row row;
};

static void ei_bind(struct ei_binds *eb)
{
	memset(eb, 0, sizeof(*eb));
	for (size_t c = 0; c < NCOLS; c++) {
		MYSQL_BIND *b = &eb->b[c];
		void *field = (char *)&eb->row + ei_cols[c].off;

		switch (ei_cols[c].kind) {
		case CK_ID:
			b->buffer_type = MYSQL_TYPE_BLOB;
			b->buffer = field;
			b->buffer_length = 16;
			break;
		case CK_BOOL:
			b->buffer_type = MYSQL_TYPE_TINY;
			b->buffer = &eb->tiny[c];
			break;
		case CK_TIME:
			b->buffer_type = MYSQL_TYPE_DATETIME;
			b->buffer = field;
			break;
		case CK_TEXT:
			b->buffer_type = MYSQL_TYPE_BLOB;
			break;
		case CK_U64:
			b->buffer_type = MYSQL_TYPE_LONGLONG;
			b->buffer = field;
			b->is_unsigned = 1;
			break;
		case CK__MAX:
			break;
		}
		b->length = &eb->len[c];
		b->is_null = &eb->is_null[c];
	}
}

int ei_take_text(MYSQL_STMT *st, unsigned c, unsigned long len, bool is_null,
		 struct arena *a, char **buf, size_t *cap, struct text *t)
{
	t->p = NULL;
	t->n = 0;
	if (is_null)
		return 0;
	if (len + 1 > *cap) {
		size_t want = *cap * 2 > len + 1 ? *cap * 2 : len + 1;

		*buf = arena_alloc(a, want);
		*cap = *buf != NULL ? want : 0;
		if (*buf == NULL)
			return -1;
	}
	if (db_fetch_text(st, c, *buf, len) < 0)
		return -1;
	t->p = *buf;
	t->n = len;
	return 0;
}

/* Completes a fetched row: booleans, and text columns copied out. */
static enum db_err ei_collect(MYSQL_STMT *st, struct ei_binds *eb, struct arena *a,
			      struct ei_row *out)
{
	for (size_t c = 0; c < NCOLS; c++) {
		void *field = (char *)&eb->row + ei_cols[c].off;

		if (ei_cols[c].kind == CK_BOOL) {
			*(bool *)field = eb->tiny[c] != 0;
		} else if (ei_cols[c].kind == CK_TEXT &&
			   ei_take_text(st, (unsigned)c, eb->len[c], eb->is_null[c], a,
					&eb->buf[c], &eb->cap[c], field) < 0) {
			return DB_ERR;
		}
	}
	*out = eb->row;
	return DB_OK;
}

/* Binds the caller's scope at p[0..2] as (team, env-token flag, env). */
static enum db_err ei_get(struct db *db, enum db_stmt which, struct arena *a,
			  const struct scope *scope, const unsigned char id[16],
			  struct ei_row *out);

/* The one row of an executed statement, then the statement released.
 * DB_NOTFOUND when there is none. */
static enum db_err ei_fetch_one(MYSQL_STMT *st, struct ei_binds *eb, struct arena *a,
				struct ei_row *out)
{
	int f = db_fetch(st);
	enum db_err rc = f == 1 ? ei_collect(st, eb, a, out) : f == 0 ? DB_NOTFOUND : DB_ERR;

	db_done(st);
	return rc;
}

enum db_err db_ei_get(struct db *db, struct arena *a, const struct scope *scope,
		      const unsigned char id[16], struct ei_row *out)
{
	return ei_get(db, STMT_EI_GET, a, scope, id, out);
}

enum db_err db_ei_get_lean(struct db *db, struct arena *a, const struct scope *scope,
			   const unsigned char id[16], struct ei_row *out)
{
	return ei_get(db, STMT_EI_GET_LEAN, a, scope, id, out);
}

static enum db_err ei_get(struct db *db, enum db_stmt which, struct arena *a,
			  const struct scope *scope, const unsigned char id[16],
			  struct ei_row *out)
{
	MYSQL_BIND p[5];
	unsigned long l16 = 16;
	signed char flag;
	struct ei_binds *eb = arena_alloc(a, sizeof(*eb));
	MYSQL_STMT *st = NULL;
	enum db_err rc;

	if (eb == NULL)
		return DB_ERR;
	bind_bin(&p[0], scope->team_id, &l16);		/* whose secrets */
	bind_bin(&p[1], id, &l16);
	bind_scope(&p[2], scope, &flag, &l16);		/* the row itself */
	ei_bind(eb);
	rc = db_exec(db, which, p, eb->b, &st);
	if (rc != DB_OK)
		return rc;
	return ei_fetch_one(st, eb, a, out);
}

/* ---- the list query ---- */

static const char *const field_sql[EF__MAX] = {
	"ei.id",		/* EF_ID */
	"ei.integration_id",	/* EF_INTEGRATION_ID */
	"ei.environment_id",	/* EF_ENVIRONMENT_ID */
	"ei.show_in_catalog",	/* EF_SHOW_IN_CATALOG */
	"ei.is_enabled",	/* EF_IS_ENABLED */
	"i.name",		/* EF_INTEGRATION_NAME */
	"i.category",		/* EF_INTEGRATION_CATEGORY */
	"ei.created_at",	/* EF_CREATED_AT */
	"ei.updated_at",	/* EF_UPDATED_AT */
};

static const char *const op_sql[OP__MAX] = {
	" = ?",		/* OP_EQ */
	" <> ?",	/* OP_NE */
	" > ?",		/* OP_GT */
	" >= ?",	/* OP_GTE */
	" < ?",		/* OP_LT */
	" <= ?",	/* OP_LTE */
	" IN (",	/* OP_IN: followed by n markers */
	" NOT IN (",	/* OP_NIN */
};


static const char scope_team_sql[] = " WHERE ei.team_id = ?";
static const char scope_env_sql[] = " WHERE ei.team_id = ? AND ei.environment_id = ?";
static const char keyset_sql[] =
	" AND (ei.created_at > ? OR (ei.created_at = ? AND ei.id > ?))";
static const char order_sql[] = " ORDER BY ei.created_at, ei.id LIMIT ?";

struct ei_page {
	MYSQL_STMT *st;
	struct ei_binds eb;
	struct arena *a;
};

/* Appends to a buffer sized by the caller's upper bound. */
static char *put(char *w, const char *s)
{
	size_t n = strlen(s);

	memcpy(w, s, n);
	return w + n;
}

/* A statement assembled from constant fragments, and its parameters in
 * the arena: sql is sized for the head, the filters and `tail` bytes. */
struct qbuild {
	char *sql, *w;
	MYSQL_BIND *p;
	size_t k;		/* parameters bound so far */
	unsigned long *lens;	/* per parameter, as its kind needs */
	signed char *tinies;
	MYSQL_TIME *times;
	unsigned long l16;
};

static int qb_init(struct qbuild *b, struct arena *a, const char *head,
		   const struct ei_list_query *q, size_t more_params, size_t tail)
{
	size_t nparams = more_params, sqlcap = strlen(head) + tail + 1;

	for (size_t i = 0; i < q->n_filters; i++) {
		nparams += q->filters[i].n;
		sqlcap += 32 + 2 * q->filters[i].n;
	}
	b->sql = arena_alloc(a, sqlcap);
	b->p = arena_calloc(a, nparams * sizeof(*b->p));
	b->lens = arena_alloc(a, nparams * sizeof(*b->lens));
	b->tinies = arena_alloc(a, nparams);
	b->times = arena_alloc(a, nparams * sizeof(*b->times));
	if (b->sql == NULL || b->p == NULL || b->lens == NULL || b->tinies == NULL ||
	    b->times == NULL)
		return -1;
	b->w = put(b->sql, head);
	b->k = 0;
	b->l16 = 16;
	return 0;
}

/* Binds an instant as parameter k. */
static void qb_time(struct qbuild *b, long long us)
{
	db_time_from_us(us, &b->times[b->k]);
	bind_time(&b->p[b->k], &b->times[b->k]);
}

/* " AND field op ?" for each filter, its values bound in order. */
static void qb_filters(struct qbuild *b, const struct ei_list_query *q)
{
	for (size_t i = 0; i < q->n_filters; i++) {
		const struct ei_filter *f = &q->filters[i];

		b->w = put(b->w, " AND ");
		b->w = put(b->w, field_sql[f->field]);
		b->w = put(b->w, op_sql[f->op]);
		if (f->op == OP_IN || f->op == OP_NIN) {
			for (size_t j = 0; j < f->n; j++)
				b->w = put(b->w, j ? ",?" : "?");
			b->w = put(b->w, ")");
		}
		for (size_t j = 0; j < f->n; j++, b->k++) {
			union filter_value *v = &f->v[j];
			size_t k = b->k;

			switch (f->kind) {
			case VK_ID:
				bind_bin(&b->p[k], v->id, &b->l16);
				break;
			case VK_BOOL:
				b->tinies[k] = v->b;
				bind_tiny(&b->p[k], &b->tinies[k]);
				break;
			case VK_TIME:
				qb_time(b, v->us);
				break;
			case VK_STRING:
				b->lens[k] = v->s.n;
				bind_str(&b->p[k], v->s.p, &b->lens[k]);
				break;
			case VK__MAX:
				break;
			}
		}
	}
}

enum db_err db_ei_list(struct db *db, struct arena *a, const struct scope *scope,
		       const struct ei_list_query *q, struct ei_page **out)
{
	unsigned limit1 = q->limit + 1;
	struct ei_page *page = arena_calloc(a, sizeof(*page));
	struct qbuild b;
	enum db_err rc;

	if (page == NULL ||
	    qb_init(&b, a, ei_select_sql, q, 1 + 2 + (q->has_after ? 3 : 0) + 1,
		    sizeof(scope_team_sql) + sizeof(keyset_sql) + sizeof(order_sql) + 64) < 0)
		return DB_ERR;
	bind_bin(&b.p[b.k++], scope->team_id, &b.l16);	/* whose secrets */
	b.w = put(b.w, scope->env_token ? scope_env_sql : scope_team_sql);
	bind_bin(&b.p[b.k++], scope->team_id, &b.l16);
	if (scope->env_token)
		bind_bin(&b.p[b.k++], scope->env_id, &b.l16);
	qb_filters(&b, q);
	if (q->has_after) {
		b.w = put(b.w, keyset_sql);
		qb_time(&b, q->after_created_us);
		b.k++;
		qb_time(&b, q->after_created_us);
		b.k++;
		bind_bin(&b.p[b.k++], q->after_id, &b.l16);
	}
	b.w = put(b.w, order_sql);
	*b.w = '\0';
	bind_uint(&b.p[b.k], &limit1);

	ei_bind(&page->eb);
	page->a = a;
	rc = db_exec_text(db, "ei_list", b.sql, true, true, b.p, page->eb.b, &page->st);
	if (rc != DB_OK)
		return rc;
	*out = page;
	return DB_OK;
}

enum db_err db_ei_get_filtered(struct db *db, struct arena *a, const struct scope *scope,
			       const unsigned char id[16], const struct ei_list_query *q,
			       struct ei_row *out)
{
	struct ei_binds *eb = arena_alloc(a, sizeof(*eb));
	MYSQL_STMT *st = NULL;
	signed char flag;
	struct qbuild b;
	enum db_err rc;

	if (eb == NULL || qb_init(&b, a, stmt_defs[STMT_EI_GET].sql, q, 5, 0) < 0)
		return DB_ERR;
	bind_bin(&b.p[0], scope->team_id, &b.l16);	/* whose secrets */
	bind_bin(&b.p[1], id, &b.l16);
	bind_scope(&b.p[2], scope, &flag, &b.l16);	/* the row itself */
	b.k = 5;
	qb_filters(&b, q);
	*b.w = '\0';
	ei_bind(eb);
	rc = db_exec_text(db, "ei_get_filtered", b.sql, true, false, b.p, eb->b, &st);
	if (rc != DB_OK)
		return rc;
	return ei_fetch_one(st, eb, a, out);
}

int db_ei_page_next(struct ei_page *p, struct ei_row *row)
{
	int f = db_fetch(p->st);

	if (f != 1)
		return f;
	return ei_collect(p->st, &p->eb, p->a, row) == DB_OK ? 1 : -1;
}

void db_ei_page_close(struct ei_page *p)
{
	if (p != NULL)
		db_done(p->st);
}

/* ---- writes ---- */

/* Binds (id, scope, precondition) at p[0..5], shared by update and delete. */
struct row_where {
	unsigned long l16;
	signed char env_flag, check;
	unsigned long long version;
};

static void bind_row_where(MYSQL_BIND *p, struct row_where *w, const struct scope *scope,
			   const unsigned char id[16], const struct ei_precond *pre)
{
	w->l16 = 16;
	w->check = pre != NULL && pre->check;
	w->version = w->check ? pre->version : 0;	/* every bound byte defined */
	bind_bin(&p[0], id, &w->l16);
	bind_scope(&p[1], scope, &w->env_flag, &w->l16);
	bind_tiny(&p[4], &w->check);
	bind_u64(&p[5], &w->version);
}

/* Reads a visible row's version with STMT_EI_VERSION or STMT_EI_LOCK. */
static enum db_err read_version(struct db *db, enum db_stmt which, const struct scope *scope,
				const unsigned char id[16], unsigned long long *version)
{
	MYSQL_BIND p[4], r[1];
	unsigned long l16 = 16;
	signed char flag;

	bind_bin(&p[0], id, &l16);
	bind_scope(&p[1], scope, &flag, &l16);
	bind_u64(&r[0], version);
	return db_select_one(db, which, p, r);
}

enum db_err db_ei_lock(struct db *db, const struct scope *scope,
		       const unsigned char id[16], unsigned long long *version)
{
	return read_version(db, STMT_EI_LOCK, scope, id, version);
}

enum db_err ei_state_read(struct db *db, enum db_stmt which, MYSQL_BIND *params,
			  struct arena *a, struct ei_state *out)
{
	MYSQL_BIND r[4];
	unsigned long olen = 0;
	signed char show = 0, en = 0;
	my_bool onull = 0;
	MYSQL_STMT *st = NULL;
	char *text = NULL;
	enum db_err rc;
	int f;

	bind_u64(&r[0], &out->version);
	bind_tiny(&r[1], &show);
	bind_tiny(&r[2], &en);
	memset(&r[3], 0, sizeof(r[3]));
	r[3].buffer_type = MYSQL_TYPE_BLOB;	/* no buffer: fetched by length */
	r[3].length = &olen;
	r[3].is_null = &onull;
	rc = db_exec(db, which, params, r, &st);
	if (rc != DB_OK)
		return rc;
	f = db_fetch(st);
	rc = f == 1 ? DB_OK : f == 0 ? DB_NOTFOUND : DB_ERR;
	if (rc == DB_OK && !onull &&
	    ((text = arena_alloc(a, olen + 1)) == NULL || db_fetch_text(st, 3, text, olen) < 0))
		rc = DB_ERR;
	db_done(st);
	out->show_in_catalog = show != 0;
	out->is_enabled = en != 0;
	out->override.p = rc == DB_OK && !onull ? text : NULL;
	out->override.n = out->override.p != NULL ? olen : 0;
	return rc;
}

enum db_err db_ei_lock_state(struct db *db, struct arena *a, const struct scope *scope,
			     const unsigned char id[16], struct ei_state *out)
{
	MYSQL_BIND p[4];
	unsigned long l16 = 16;
	signed char flag;

	bind_bin(&p[0], id, &l16);
	bind_scope(&p[1], scope, &flag, &l16);
	return ei_state_read(db, STMT_EI_LOCK_STATE, p, a, out);
}

enum db_err db_ei_effective(struct db *db, struct arena *a, const struct scope *scope,
			    const unsigned char id[16], struct ei_effective *out)
{
	MYSQL_BIND p[5], r[4];
	unsigned long l16 = 16, len[2] = { 0, 0 };
	my_bool is_null[2] = { 0, 0 };
	struct text *texts[2] = { &out->override, &out->config };
	signed char flag;
	MYSQL_STMT *st = NULL;
	enum db_err rc;
	int f;

	bind_bin(&p[0], scope->team_id, &l16);		/* whose secrets */
	bind_bin(&p[1], id, &l16);
	bind_scope(&p[2], scope, &flag, &l16);		/* the row itself */
	bind_u64(&r[0], &out->version);
	bind_u64(&r[3], &out->integration_version);
	for (int c = 0; c < 2; c++) {	/* no buffer: fetched by length */
		memset(&r[1 + c], 0, sizeof(r[1 + c]));
		r[1 + c].buffer_type = MYSQL_TYPE_BLOB;
		r[1 + c].length = &len[c];
		r[1 + c].is_null = &is_null[c];
	}
	rc = db_exec(db, STMT_EI_EFFECTIVE, p, r, &st);
	if (rc != DB_OK)
		return rc;
	f = db_fetch(st);
	rc = f == 1 ? DB_OK : f == 0 ? DB_NOTFOUND : DB_ERR;
	for (int c = 0; c < 2; c++) {
		char *text = NULL;

		texts[c]->p = NULL;
		texts[c]->n = 0;
		if (rc != DB_OK || is_null[c])
			continue;
		if ((text = arena_alloc(a, len[c] + 1)) == NULL ||
		    db_fetch_text(st, (unsigned)(1 + c), text, len[c]) < 0) {
			rc = DB_ERR;
			break;
		}
		texts[c]->p = text;
		texts[c]->n = len[c];
	}
	db_done(st);
	return rc;
}

/* After a write touched no row: 404, or 412 when the row is there. */
static enum db_err why_not(struct db *db, const struct scope *scope,
			   const unsigned char id[16])
{
	unsigned long long version;
	enum db_err rc = read_version(db, STMT_EI_VERSION, scope, id, &version);

	return rc == DB_OK ? DB_CONFLICT : rc;
}

enum db_err db_ei_update(struct db *db, const struct scope *scope,
			 const unsigned char id[16], const struct ei_update *u,
			 const struct ei_precond *pre, const struct ei_actor *who)
{
	MYSQL_BIND p[16];
	struct row_where w;
	struct actor_binds ab;
	/* a value whose flag is off is still sent: make it a defined 0 */
	signed char set_show = u->set_show_in_catalog,
		    show = u->set_show_in_catalog && u->show_in_catalog,
		    set_en = u->set_is_enabled, en = u->set_is_enabled && u->is_enabled,
		    set_ov = u->set_override;
	unsigned long lov = u->override_len;
	enum db_err rc;

	bind_tiny(&p[0], &set_show);
	bind_tiny(&p[1], &show);
	bind_tiny(&p[2], &set_en);
	bind_tiny(&p[3], &en);
	bind_tiny(&p[4], &set_ov);
	if (u->override != NULL)
		bind_str(&p[5], u->override, &lov);
	else
		bind_null(&p[5]);
	bind_actor(&p[6], &ab, who);
	bind_row_where(&p[10], &w, scope, id, pre);
	rc = db_exec(db, STMT_EI_UPDATE, p, NULL, NULL);
	if (rc == DB_OK && db_affected(db) == 0)
		rc = why_not(db, scope, id);
	return rc;
}

enum db_err db_ei_delete(struct db *db, const struct scope *scope,
			 const unsigned char id[16], const struct ei_precond *pre)
{
	MYSQL_BIND p[6];
	struct row_where w;
	enum db_err rc;

	bind_row_where(p, &w, scope, id, pre);
	rc = db_exec(db, STMT_EI_DELETE, p, NULL, NULL);
	if (rc == DB_OK && db_affected(db) == 0)
		rc = why_not(db, scope, id);
	return rc;
}

enum db_err db_integration_access(struct db *db, const unsigned char id[16],
				  unsigned char team_out[16], enum sharing *sharing)
{
	MYSQL_BIND p[1], r[2];
	unsigned long l16 = 16, tlen = 16, slen = 0;
	char share[8] = "";
	enum db_err rc;

	bind_bin(&p[0], id, &l16);
	bind_bin(&r[0], team_out, &tlen);
	r[0].buffer_length = 16;
	bind_str(&r[1], share, &slen);
	r[1].buffer_length = sizeof(share) - 1;
	rc = db_select_one(db, STMT_INTEGRATION_ACCESS, p, r);
	if (rc != DB_OK)
		return rc;
	share[slen < sizeof(share) ? slen : sizeof(share) - 1] = '\0';
	*sharing = strcmp(share, "allow") == 0 ? SHARING_ALLOW :
		   strcmp(share, "ask") == 0 ? SHARING_ASK : SHARING_DENY;
	return DB_OK;
}

enum db_err db_ei_install(struct db *db, const unsigned char id[16],
			  const unsigned char env_id[16],
			  const unsigned char integration_id[16],
			  bool show_in_catalog, bool is_enabled,
			  const char *override, size_t override_len,
			  const struct ei_actor *who)
{
	MYSQL_BIND p[10];
	unsigned long l16 = 16, lov = override_len;
	signed char cat = show_in_catalog, en = is_enabled;
	struct actor_binds ab;
	enum db_err rc;

	bind_bin(&p[0], id, &l16);
	bind_bin(&p[1], integration_id, &l16);
	bind_tiny(&p[2], &cat);
	bind_tiny(&p[3], &en);
	if (override != NULL)
		bind_str(&p[4], override, &lov);
	else
		bind_null(&p[4]);
	bind_actor(&p[5], &ab, who);
	bind_bin(&p[9], env_id, &l16);
	rc = db_exec(db, STMT_EI_INSTALL, p, NULL, NULL);
	if (rc == DB_OK && db_affected(db) == 0)
		rc = DB_NOTFOUND;
	return rc;
}

enum db_err db_ei_find(struct db *db, const unsigned char env[16],
		       const unsigned char integration[16], unsigned char id_out[16])
{
	MYSQL_BIND p[2], r[1];
	unsigned long l16 = 16, len = 16;

	bind_bin(&p[0], env, &l16);
	bind_bin(&p[1], integration, &l16);
	bind_bin(&r[0], id_out, &len);
	r[0].buffer_length = 16;
	return db_select_one(db, STMT_EI_FIND, p, r);
}
