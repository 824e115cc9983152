/*
 * The change history of an environment integration (issue 15 §3): its
 * pages, newest first, and the restore of one entry as a new version.
 * Entries are written by the writes themselves (envint_write.c,
 * db/migrations/0005); here they are only read and written back.
 *
 * Static functions, in order: page_range, history_empty, restore_tx.
 */
#include "handlers/handlers.h"

#include <limits.h>
#include <string.h>

#include "app/api/cursor.h"
#include "app/api/override.h"
#include "app/base/log.h"
#include "app/http/jsonw.h"
#include "app/http/req_body.h"
#include "db/history_db.h"
#include "handlers/envint_json.h"

#define HISTORY_ENTRY_NOT_FOUND "history entry not found"

/* The versions a page covers: below the cursor's, and only `version` when
 * the filter names one (an empty range when the cursor is past it). */
static void page_range(const struct ei_list_query *q, struct hist_query *hq)
{
	hq->from = 0;
	hq->below = q->has_after ? q->after_version : ULLONG_MAX;
	hq->limit = q->limit;
	if (q->has_version) {
		hq->from = q->version;
		if (q->version < hq->below)
			hq->below = q->version + 1;
		else
			hq->below = q->version;
	}
}

/* A page with no entry: 404 when the caller sees neither an entry of
 * this install nor the row (unknown and foreign ids alike), else an empty
 * page. */
static void history_empty(struct req *r, const unsigned char id[16], unsigned limit)
{
	enum db_err rc = db_history_visible(r->db, &r->scope, id);

	if (rc != DB_OK) {
		req_reply_db(r, rc, EI_NOT_FOUND);
		return;
	}
	if (req_begin(r, 200) < 0)
		return;
	JW_LIT(r, "{\"result\":[");
	page_end(r, NULL, limit);
}

/* GET /environment-integration/{id}/history: {"result": [entries, newest
 * first], "next_cursor", "limit"}, paged like the list (limit + 1 rows
 * asked for; a page ends early, with a cursor, past reply_buffer_max).
 * Scope as GET of the object, on the entries' own ids: still readable
 * after an uninstall. Query: limit, next_cursor (of this id's history),
 * version. */
void envint_history(struct req *r)
{
	unsigned char id[16];
	struct ei_list_query q;
	struct hist_query hq;
	struct hist_page *page = NULL;
	struct hist_entry e;
	unsigned long long last = 0;
	size_t n = 0, max = r->cfg->reply_buffer_max;
	enum db_err rc;
	int got;

	if (query_or_reply(r, FILTER_HISTORY, &q) < 0)
		return;
	if (ei_id_or_reply(r, id) < 0)
		return;
	if (q.has_after && memcmp(q.after_id, id, 16) != 0) {
		static const struct failure f = { "next_cursor",
			"is not a cursor of this environment integration's history" };

		req_reply_invalid(r, "invalid query parameter '", "': ", &f);
		return;
	}
	page_range(&q, &hq);
	hq.keep = r->cfg->history_keep;
	rc = db_history_list(r->db, r->arena, &r->scope, id, &hq, &page);
	if (rc != DB_OK) {
		req_reply_db(r, rc, EI_NOT_FOUND);
		return;
	}
	got = db_history_next(page, &e);
	if (got == 0) {
		db_history_close(page);
		history_empty(r, id, q.limit);
		return;
	}
	if (got < 0)
		goto failed;
	if (req_begin(r, 200) < 0)
		goto out;
	JW_LIT(r, "{\"result\":[");
	while (got == 1 && n < q.limit) {
		size_t mark = req_body_len(r);

		if (n > 0)
			JW_LIT(r, ",");
		history_json(r, &e);
		if (n > 0 && req_body_len(r) > max) {
			req_body_cut(r, mark);	/* this entry opens the next page */
			break;
		}
		last = e.version;
		n++;
		got = db_history_next(page, &e);
	}
	if (got < 0)
		goto failed;
	if (got == 1) {	/* an entry is left (cut, or past limit): it opens the next page */
		struct cursor c = { (long long)last, { 0 } };

		memcpy(c.id, id, 16);
		page_end(r, &c, q.limit);
	} else {
		page_end(r, NULL, q.limit);
	}
	goto out;
failed:
	page_fetch_failed(r, "history", n);
out:
	db_history_close(page);
}

/* A restore's transaction: under the row's lock, If-Match, the entry's
 * state, its override held to today's rules, and the write (a new version
 * whatever it holds, recorded as a restore). Run again whole when the
 * server rolls it back (db_tx_run). */
struct restore_tx {
	struct req *r;
	const unsigned char *id;
	unsigned long long version;	/* the entry's */
	const struct jm_node *nothing;	/* {}: the override passes through the
					 * merge, which checks it, unchanged */
	struct ei_row row;
	bool no_entry, invalid;
	struct failure why;
};

static enum db_err restore_tx(struct db *db, void *ctx)
{
	struct restore_tx *t = ctx;
	struct req *r = t->r;
	unsigned long long version;
	struct ei_state s;
	struct ei_update u = { .set_show_in_catalog = true, .set_is_enabled = true,
			       .set_override = true };
	struct ei_precond pre;
	enum db_err rc = ei_lock_if_match(r, t->id, &version);

	t->no_entry = t->invalid = false;
	if (rc != DB_OK)
		return rc;
	rc = db_history_state(db, r->arena, &r->scope, t->id, t->version, r->cfg->history_keep,
			      &s);
	t->no_entry = rc == DB_NOTFOUND;
	if (rc != DB_OK)
		return rc;
	switch (override_merge(r->arena, s.override.p, s.override.n, t->nothing, 0,
			       ei_override_depth(r),
			       r->cfg->body_max, &u.override, &u.override_len, &t->why)) {
	case OVM_OK:
		break;
	case OVM_INVALID:
		t->invalid = true;
		return DB_ERR;
	case OVM_STORED:
		log_error("req %s: history entry %llu: the stored override is not JSON", r->id,
			  t->version);
		return DB_ERR;
	case OVM_OOM:
	case OVM__MAX:
		log_error("req %s: out of memory checking a restored override", r->id);
		return DB_ERR;
	}
	u.show_in_catalog = s.show_in_catalog;
	u.is_enabled = s.is_enabled;
	pre = (struct ei_precond){ .check = true, .version = version };
	rc = db_ei_update(db, &r->scope, t->id, &u, &pre, &EI_ACTOR(r, CHG_RESTORE));
	if (rc == DB_OK)
		rc = db_ei_get_lean(db, r->arena, &r->scope, t->id, &t->row);
	t->row.override = (struct text){ u.override, u.override_len };
	return rc;
}

/* POST /environment-integration/{id}/restore {"version": N}: writes entry
 * N's flags and override back as a new version; 200 with the object, as
 * PATCH. If-Match optional (412). 404 for a row not (or no longer)
 * installed, and for an unknown or pruned version; 400 naming the path
 * when the entry's override breaks today's rules. */
void envint_restore(struct req *r)
{
	unsigned char id[16];
	struct ei_list_query none;
	struct body b;
	struct restore_tx t = { .r = r, .id = id };
	enum db_err rc;

	if (query_or_reply(r, FILTER_NONE, &none) < 0)
		return;
	if (ei_id_or_reply(r, id) < 0)
		return;
	if (req_body_or_reply(r, BODY_RESTORE, &b) < 0)
		return;
	if (!b.has_version) {
		static const struct failure f = { "version", "is required" };

		req_reply_invalid(r, "invalid body: ", " ", &f);
		return;
	}
	t.version = b.version;
	t.nothing = jm_parse(r->arena, "{}", 2);
	if (t.nothing == NULL) {
		req_reply_error(r, 500, "internal error");
		return;
	}
	rc = db_tx_run(r->db, restore_tx, &t);
	if (t.invalid) {
		req_reply_invalid(r, "invalid history entry: ", " ", &t.why);
		return;
	}
	if (rc != DB_OK) {
		req_reply_db(r, rc, t.no_entry ? HISTORY_ENTRY_NOT_FOUND : EI_NOT_FOUND);
		return;
	}
	ei_reply_object(r, 200, &t.row);
}
