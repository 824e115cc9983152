#include "handlers/handlers.h"

#include <string.h>

#include "app/api/cursor.h"
#include "app/api/effective.h"
#include "app/api/etag.h"
#include "app/base/ids.h"
#include "app/base/log.h"
#include "app/http/jsonw.h"
#include "db/envint_db.h"
#include "handlers/envint_json.h"

/* GET /environment-integration/{id}: the object, unwrapped. A malformed
 * id, an unknown one and another tenant's all answer the same 404. The
 * list's filters are extra conditions (Truto documents them here too): a
 * row that does not match them is a 404 as well. */
void envint_get(struct req *r)
{
	unsigned char id[16];
	struct ei_list_query q;
	struct ei_row row;
	enum db_err rc;

	if (query_or_reply(r, FILTER_ITEM, &q) < 0)
		return;
	if (ei_id_or_reply(r, id) < 0)
		return;
	if (q.n_filters > 0)
		rc = db_ei_get_filtered(r->db, r->arena, &r->scope, id, &q, &row);
	else
		rc = db_ei_get(r->db, r->arena, &r->scope, id, &row);
	if (rc != DB_OK) {
		req_reply_db(r, rc, EI_NOT_FOUND);
		return;
	}
	ei_reply_object(r, 200, &row);
}

/* GET /environment-integration: one page, row by row into
 * {"result": [...], "next_cursor": "..." | null, "limit": n}, gathered in
 * the reply buffer (its Content-Length goes first). The query asks for
 * limit + 1 rows: the extra one only says that a next page exists, and the
 * cursor is the last row shown. A page whose body would pass
 * reply_buffer_max ends before the row that passes it, with a cursor to
 * it: fewer than `limit` rows, as API.md allows (a page holds at least one
 * row, however long). HEAD builds the page too, for its length. */
void envint_list(struct req *r)
{
	struct ei_list_query q;
	struct ei_page *page = NULL;
	struct ei_row row, peek;
	struct cursor last = { 0, { 0 } };
	size_t n = 0, max = r->cfg->reply_buffer_max;
	bool more = false, full = false;
	enum db_err rc;
	int got = 0;

	if (query_or_reply(r, FILTER_LIST, &q) < 0)
		return;
	rc = db_ei_list(r->db, r->arena, &r->scope, &q, &page);
	if (rc != DB_OK) {
		req_reply_db(r, rc, EI_NOT_FOUND);
		return;
	}
	if (req_begin(r, 200) < 0)
		goto out;
	JW_LIT(r, "{\"result\":[");
	while (n < q.limit && (got = db_ei_page_next(page, &row)) == 1) {
		size_t mark = req_body_len(r);

		if (n > 0)
			JW_LIT(r, ",");
		envint_json(r, &row, &r->scope);
		if (n > 0 && req_body_len(r) > max) {
			req_body_cut(r, mark);	/* this row opens the next page */
			full = true;
			break;
		}
		last.created_us = db_time_us(&row.created_at);
		memcpy(last.id, row.id, 16);
		n++;
	}
	if (!full && n == q.limit)
		got = db_ei_page_next(page, &peek);
	if (got < 0) {
		page_fetch_failed(r, "list", n);
		goto out;
	}
	more = full || (n == q.limit && got == 1);
	page_end(r, more ? &last : NULL, q.limit);
out:
	db_ei_page_close(page);
}

/* What an environment-level key is when neither side has it: the
 * override's own defaults (API.md's override is {} when none is stored,
 * so clients can index into it). */
static const char *const effective_absent[EK__MAX] = {
	"null",	/* EK_DESCRIPTION */
	"[]",	/* EK_TAGS */
	"{}",	/* EK_ENVIRONMENT_VARIABLES */
};

/* GET /environment-integration/{id}/effective-config: {"id", "version",
 * "config", "description", "tags", "environment_variables"}, the
 * integration's config as the caller sees it (redacted for other teams)
 * with the override deep-merged over it, and the environment-level keys
 * beside it (app/api/effective.h). Scope and 404s as GET of the object;
 * no query parameters. ETag "<row version>.<integration version>". */
void envint_effective_config(struct req *r)
{
	unsigned char id[16];
	struct ei_list_query none;
	struct ei_effective e;
	struct effective out;
	char etag[ETAG_PAIR_MAX];
	enum effective_rc erc;
	enum db_err rc;

	if (query_or_reply(r, FILTER_NONE, &none) < 0)
		return;
	if (ei_id_or_reply(r, id) < 0)
		return;
	rc = db_ei_effective(r->db, r->arena, &r->scope, id, &e);
	if (rc != DB_OK) {
		req_reply_db(r, rc, EI_NOT_FOUND);
		return;
	}
	erc = effective_config(r->arena, e.config.p, e.config.n, e.override.p, e.override.n,
			       &out);
	if (erc != EFF_OK) {
		log_error("req %s: effective config: %s", r->id, erc == EFF_STORED ?
			  "a stored config or override is not JSON" : "out of memory");
		req_reply_error(r, 500, "internal error");
		return;
	}
	etag_format_pair(e.version, e.integration_version, etag);
	req_header(r, "ETag", etag);
	if (req_begin(r, 200) < 0)
		return;
	JW_LIT(r, "{\"id\":");
	jw_id(r, id);
	JW_LIT(r, ",\"version\":");
	jw_uint(r, e.version);
	JW_LIT(r, ",\"config\":");
	(void)req_write(r, out.config, out.config_len);
	for (int k = 0; k < EK__MAX; k++) {
		JW_LIT(r, ",\"");
		(void)req_write(r, effective_key_names[k], strlen(effective_key_names[k]));
		JW_LIT(r, "\":");
		if (out.key[k] != NULL)
			(void)req_write(r, out.key[k], out.key_len[k]);
		else
			(void)req_write(r, effective_absent[k], strlen(effective_absent[k]));
	}
	JW_LIT(r, "}");
}
