#include "handlers.h"

#include <string.h>

#include "../app/ids.h"
#include "../db/envint_db.h"
#include "envint_json.h"

/* Maps a db error that is not "found" to the reply. */
static void reply_db_error(struct req *r, enum db_err rc)
{
	switch (rc) {
	case DB_NOTFOUND:
		req_reply_error(r, 404, "environment integration not found");
		break;
	case DB_UNAVAILABLE:
		req_reply_error(r, 503, "database unavailable, retry later");
		break;
	default:
		req_reply_error(r, 500, "internal error");
		break;
	}
}

/* GET /environment-integration/{id}: the object, unwrapped. A malformed
 * id, an unknown one and another tenant's all answer the same 404. */
void envint_get(struct req *r)
{
	unsigned char id[16];
	struct ei_row row;
	enum db_err rc;
	yajl_gen g;

	if (id_parse(r->param, strlen(r->param), id) < 0) {
		req_reply_error(r, 404, "environment integration not found");
		return;
	}
	rc = db_ei_get(r->db, r->arena, &r->scope, id, &row);
	if (rc != DB_OK) {
		reply_db_error(r, rc);
		return;
	}
	g = req_json_begin(r, 200);
	if (g == NULL)
		return;
	envint_json(g, &row, &r->scope);
}
