#include "envint_db.h"

#include <stddef.h>

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

/* Completes a fetched row: booleans, and text columns copied out. */
static enum db_err ei_collect(MYSQL_STMT *st, struct ei_binds *eb, struct arena *a,
			      struct ei_row *out)
{
	for (size_t c = 0; c < NCOLS; c++) {
		void *field = (char *)&eb->row + ei_cols[c].off;

		if (ei_cols[c].kind == CK_BOOL) {
			*(bool *)field = eb->tiny[c] != 0;
		} else if (ei_cols[c].kind == CK_TEXT) {
			struct text *t = field;
			MYSQL_BIND fb;
			char *buf;

			t->p = NULL;
			t->n = 0;
			if (eb->is_null[c])
				continue;
			buf = arena_alloc(a, eb->len[c] + 1);
			if (buf == NULL)
				return DB_ERR;
			memset(&fb, 0, sizeof(fb));
			fb.buffer_type = MYSQL_TYPE_BLOB;
			fb.buffer = buf;
			fb.buffer_length = eb->len[c];
			if (eb->len[c] > 0 &&
			    mysql_stmt_fetch_column(st, &fb, (unsigned)c, 0) != 0)
				return DB_ERR;
			buf[eb->len[c]] = '\0';
			t->p = buf;
			t->n = eb->len[c];
		}
	}
	*out = eb->row;
	return DB_OK;
}

/* Binds the caller's scope at p[0..2] as (team, env-token flag, env). */
static void bind_scope(MYSQL_BIND *p, const struct scope *s, signed char *flag,
		       unsigned long *l16)
{
	*flag = s->env_token;
	bind_bin(&p[0], s->team_id, l16);
	bind_tiny(&p[1], flag);
	bind_bin(&p[2], s->env_token ? s->env_id : s->team_id, l16);
}

enum db_err db_ei_get(struct db *db, struct arena *a, const struct scope *scope,
		      const unsigned char id[16], struct ei_row *out)
{
	MYSQL_BIND p[8];
	unsigned long l16 = 16;
	signed char flag;
	struct ei_binds *eb = arena_alloc(a, sizeof(*eb));
	MYSQL_STMT *st = NULL;
	enum db_err rc;
	int f;

	if (eb == NULL)
		return DB_ERR;
	bind_bin(&p[0], scope->team_id, &l16);		/* whose secrets */
	bind_scope(&p[1], scope, &flag, &l16);		/* installed_environment */
	bind_bin(&p[4], id, &l16);
	bind_scope(&p[5], scope, &flag, &l16);		/* the row itself */
	ei_bind(eb);
	rc = db_exec(db, STMT_EI_GET, p, eb->b, &st);
	if (rc != DB_OK)
		return rc;
	f = db_fetch(st);
	if (f == 1)
		rc = ei_collect(st, eb, a, out);
	else
		rc = f == 0 ? DB_NOTFOUND : DB_ERR;
	db_done(st);
	return rc;
}
