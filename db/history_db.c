/*
 * Static functions, in order: bind_kept, page_bind, take_text, page_collect,
 * trim.
 */
#include "db/history_db.h"

#include <stddef.h>
#include <string.h>

#include "db/ei_bind.h"

/* STMT_HIST_PAGE's columns, in its order. */
enum hcol {
	HC_EI_ID, HC_ENV_ID, HC_INTEGRATION_ID, HC_VERSION, HC_AT, HC_KIND,
	HC_TOKEN_ID, HC_TOKEN_NAME, HC_REQUEST_ID, HC_SHOW, HC_ENABLED, HC_OVERRIDE,
	HC__MAX
};

/* An open page: its statement, result buffers, and the text buffers that
 * each fetch reuses (a page costs its longest entry, not their sum). */
struct hist_page {
	MYSQL_STMT *st;
	struct arena *a;
	MYSQL_BIND b[HC__MAX];
	unsigned long len[HC__MAX];
	my_bool is_null[HC__MAX];
	signed char show, enabled;
	char *buf[HC__MAX];
	size_t cap[HC__MAX];
	struct hist_entry e;
};

/* HIST_KEPT's parameters at p[0..2]: keep, keep, the install's id. */
static void bind_kept(MYSQL_BIND *p, unsigned *keep, const unsigned char id[16],
		      unsigned long *l16)
{
	bind_uint(&p[0], keep);
	bind_uint(&p[1], keep);
	bind_bin(&p[2], id, l16);
}

static void page_bind(struct hist_page *p)
{
	static const enum hcol texts[] = { HC_KIND, HC_TOKEN_NAME, HC_REQUEST_ID, HC_OVERRIDE };

	bind_bin(&p->b[HC_EI_ID], p->e.ei_id, &p->len[HC_EI_ID]);
	bind_bin(&p->b[HC_ENV_ID], p->e.environment_id, &p->len[HC_ENV_ID]);
	bind_bin(&p->b[HC_INTEGRATION_ID], p->e.integration_id, &p->len[HC_INTEGRATION_ID]);
	bind_bin(&p->b[HC_TOKEN_ID], p->e.token_id, &p->len[HC_TOKEN_ID]);
	for (int c = HC_EI_ID; c <= HC_TOKEN_ID; c++)
		p->b[c].buffer_length = 16;
	bind_u64(&p->b[HC_VERSION], &p->e.version);
	bind_time(&p->b[HC_AT], &p->e.at);
	bind_tiny(&p->b[HC_SHOW], &p->show);
	bind_tiny(&p->b[HC_ENABLED], &p->enabled);
	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		MYSQL_BIND *b = &p->b[texts[i]];

		memset(b, 0, sizeof(*b));
		b->buffer_type = MYSQL_TYPE_BLOB;	/* no buffer: fetched by length */
	}
	for (int c = 0; c < HC__MAX; c++) {
		p->b[c].length = &p->len[c];
		p->b[c].is_null = &p->is_null[c];
	}
}

/* Text column c of the fetched row, into its reused buffer. */
static int take_text(struct hist_page *p, enum hcol c, struct text *t)
{
	return ei_take_text(p->st, (unsigned)c, p->len[c], p->is_null[c], p->a, &p->buf[c],
			    &p->cap[c], t);
}

static int page_collect(struct hist_page *p, struct hist_entry *out)
{
	p->e.show_in_catalog = p->show != 0;
	p->e.is_enabled = p->enabled != 0;
	p->e.has_token = !p->is_null[HC_TOKEN_ID];
	if (take_text(p, HC_KIND, &p->e.kind) < 0 ||
	    take_text(p, HC_TOKEN_NAME, &p->e.token_name) < 0 ||
	    take_text(p, HC_REQUEST_ID, &p->e.request_id) < 0 ||
	    take_text(p, HC_OVERRIDE, &p->e.override) < 0)
		return -1;
	*out = p->e;
	return 1;
}

enum db_err db_history_list(struct db *db, struct arena *a, const struct scope *scope,
			    const unsigned char id[16], const struct hist_query *q,
			    struct hist_page **out)
{
	struct hist_page *p = arena_calloc(a, sizeof(*p));
	MYSQL_BIND par[10];
	unsigned long l16 = 16;
	unsigned long long from = q->from, below = q->below;
	unsigned limit1 = q->limit + 1, keep = q->keep;
	signed char flag;
	enum db_err rc;

	if (p == NULL)
		return DB_ERR;
	p->a = a;
	page_bind(p);
	bind_bin(&par[0], id, &l16);
	bind_u64(&par[1], &from);
	bind_u64(&par[2], &below);
	bind_scope(&par[3], scope, &flag, &l16);
	bind_kept(&par[6], &keep, id, &l16);
	bind_uint(&par[9], &limit1);
	rc = db_exec(db, STMT_HIST_PAGE, par, p->b, &p->st);
	if (rc == DB_OK)
		*out = p;
	return rc;
}

int db_history_next(struct hist_page *p, struct hist_entry *e)
{
	int f = db_fetch(p->st);

	return f == 1 ? page_collect(p, e) : f;
}

void db_history_close(struct hist_page *p)
{
	if (p != NULL)
		db_done(p->st);
}

enum db_err db_history_visible(struct db *db, const struct scope *scope,
			       const unsigned char id[16])
{
	MYSQL_BIND p[8], r[1];
	unsigned long l16 = 16;
	signed char flag, one = 0;

	bind_bin(&p[0], id, &l16);
	bind_scope(&p[1], scope, &flag, &l16);
	bind_bin(&p[4], id, &l16);
	bind_scope(&p[5], scope, &flag, &l16);
	bind_tiny(&r[0], &one);
	return db_select_one(db, STMT_HIST_VISIBLE, p, r);
}

enum db_err db_history_state(struct db *db, struct arena *a, const struct scope *scope,
			     const unsigned char id[16], unsigned long long version,
			     unsigned keep, struct ei_state *out)
{
	MYSQL_BIND p[8];
	unsigned long l16 = 16;
	signed char flag;

	bind_bin(&p[0], id, &l16);
	bind_u64(&p[1], &version);
	bind_scope(&p[2], scope, &flag, &l16);
	bind_kept(&p[5], &keep, id, &l16);
	return ei_state_read(db, STMT_HIST_STATE, p, a, out);
}

/* Deletes the entries of `id` up to version `upto`. */
static enum db_err trim(struct db *db, const unsigned char id[16], unsigned long long upto)
{
	MYSQL_BIND p[2];
	unsigned long l16 = 16;

	bind_bin(&p[0], id, &l16);
	bind_u64(&p[1], &upto);
	return db_exec(db, STMT_HIST_TRIM, p, NULL, NULL);
}

enum db_err db_history_uninstall(struct db *db, const struct scope *scope,
				 const unsigned char id[16], unsigned long long version,
				 const struct ei_actor *who, unsigned keep)
{
	MYSQL_BIND p[7];
	struct actor_binds ab;
	unsigned long l16 = 16;
	signed char flag;
	enum db_err rc;

	/* token id, token name, request id; bind_actor's fourth, the kind, is
	 * overwritten: this entry's kind is uninstall */
	bind_actor(&p[0], &ab, who);
	bind_bin(&p[3], id, &l16);
	bind_scope(&p[4], scope, &flag, &l16);
	/* the override first (the row and scope, p[3..6]), then the entry
	 * that names it */
	rc = db_exec(db, STMT_HIST_UNINSTALL_OVERRIDE, &p[3], NULL, NULL);
	if (rc == DB_OK)
		rc = db_exec(db, STMT_HIST_UNINSTALL, p, NULL, NULL);
	if (rc != DB_OK)
		return rc;
	if (db_affected(db) == 0)
		return DB_NOTFOUND;
	/* the entry is version + 1: keep it and the keep - 1 before it */
	return keep > 0 && version + 1 > keep ? trim(db, id, version + 1 - keep) : DB_OK;
}

enum db_err db_history_prune(struct db *db, unsigned keep, unsigned long long *removed)
{
	unsigned char id[16] = { 0 };
	unsigned long l16 = 16, idlen = 16;
	unsigned long long newest = 0;
	MYSQL_BIND p[1], r[2];
	enum db_err rc;

	*removed = 0;
	for (;;) {
		bind_bin(&p[0], id, &l16);
		bind_bin(&r[0], id, &idlen);
		r[0].buffer_length = 16;
		bind_u64(&r[1], &newest);
		rc = db_select_one(db, STMT_HIST_NEXT_INSTALL, p, r);
		if (rc == DB_NOTFOUND)
			return DB_OK;
		if (rc != DB_OK)
			return rc;
		if (newest <= keep)
			continue;
		rc = trim(db, id, newest - keep);
		if (rc != DB_OK)
			return rc;
		*removed += db_affected(db);
	}
}
