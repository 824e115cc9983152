#include "handlers/handlers.h"

#include <string.h>

#include "app/api/etag.h"
#include "app/base/ids.h"
#include "app/base/log.h"
#include "app/http/jsonw.h"
#include "handlers/envint_json.h"

int ei_id_or_reply(struct req *r, unsigned char id[16])
{
	if (id_parse(r->param, strlen(r->param), id) == 0)
		return 0;
	req_reply_error(r, 404, EI_NOT_FOUND);
	return -1;
}

static void object_json(struct req *r, const void *row)
{
	envint_json(r, row, &r->scope);
}

void ei_reply_object(struct req *r, int status, const struct ei_row *row)
{
	char etag[ETAG_MAX];

	etag_format(row->version, etag);
	req_header(r, "ETag", etag);
	/* an object can be megabytes (its override): past reply_buffer_max
	 * it is counted, then streamed, rather than held twice */
	req_reply_sized(r, status, object_json, row);
}

int query_or_reply(struct req *r, enum filter_mode mode, struct ei_list_query *q)
{
	struct failure f;
	int rc = filter_parse(r->arena, r->query, r->cfg, mode, q, &f);

	if (rc == 0)
		return 0;
	if (rc == FILTER_OOM)
		req_reply_error(r, 500, "internal error");
	else
		req_reply_invalid(r, "invalid query parameter '", "': ", &f);
	return -1;
}

void page_fetch_failed(struct req *r, const char *what, size_t n)
{
	log_error("req %s: %s: fetching row %zu failed", r->id, what, n);
	if (req_retract(r))
		req_reply_db(r, DB_UNAVAILABLE, NULL);
}

void page_end(struct req *r, const struct cursor *next, unsigned limit)
{
	JW_LIT(r, "],\"next_cursor\":");
	if (next != NULL) {
		char text[CURSOR_STR_LEN + 1];

		cursor_encode(next, text);
		jw_str(r, text, CURSOR_STR_LEN);
	} else {
		JW_LIT(r, "null");
	}
	JW_LIT(r, ",\"limit\":");
	jw_uint(r, limit);
	JW_LIT(r, "}");
}

enum db_err ei_lock_if_match(struct req *r, const unsigned char id[16],
			     unsigned long long *version)
{
	enum db_err rc = db_ei_lock(r->db, &r->scope, id, version);

	if (rc == DB_OK && r->if_match != NULL && !etag_if_match(r->if_match, *version))
		rc = DB_CONFLICT;
	return rc;
}

unsigned ei_override_depth(const struct req *r)
{
	return r->cfg->json_depth_max < 2 ? 1 : r->cfg->json_depth_max - 1;
}
