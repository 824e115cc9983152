#include "handlers/handlers.h"

void reply_db_error(struct req *r, enum db_err rc, const char *not_found)
{
	switch (rc) {
	case DB_NOTFOUND:
		req_reply_error(r, 404, not_found);
		break;
	case DB_CONFLICT:
		req_reply_error(r, 412, "If-Match does not match the current ETag; "
				"fetch the object again and retry");
		break;
	case DB_UNAVAILABLE:
		req_reply_unavailable(r);
		break;
	default:
		req_reply_error(r, 500, "internal error");
		break;
	}
}

int query_or_reply(struct req *r, enum filter_mode mode, struct ei_list_query *q)
{
	struct failure f;

	if (filter_parse(r->arena, r->query, r->cfg, mode, q, &f) == 0)
		return 0;
	req_reply_invalid(r, "invalid query parameter '", "': ", &f);
	return -1;
}
