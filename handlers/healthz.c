#include "handlers.h"

#include "../db/db.h"

/* 200 {"status":"ok"} when this worker reaches the database, 503 when it
 * cannot. Reveals nothing else. */
void healthz_get(struct req *r)
{
	yajl_gen g;

	switch (db_ping(r->db)) {
	case DB_OK:
		break;
	case DB_UNAVAILABLE:
		req_reply_error(r, 503, "database unavailable");
		return;
	default:
		req_reply_error(r, 500, "internal error");
		return;
	}
	g = req_json_begin(r, 200);
	if (g == NULL)
		return;
	yajl_gen_map_open(g);
	json_key(g, "status");
	json_str(g, "ok");
	yajl_gen_map_close(g);
}
