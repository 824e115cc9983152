#include "handlers.h"

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
		req_reply_error(r, 503, "database unavailable, retry later");
		break;
	default:
		req_reply_error(r, 500, "internal error");
		break;
	}
}
