#include "handlers/handlers.h"

#include "db/db.h"

/* 200 {"status":"ok"} when this worker reaches the database, 503 when it
 * cannot. Reveals nothing else. */
void healthz_get(struct req *r)
{
	enum db_err rc = db_ping(r->db);
	yajl_gen g;

	if (rc != DB_OK) {
		req_reply_db(r, rc, NULL);
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
