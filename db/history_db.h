/*
 * The change history of environment integrations (db/migrations/0005,
 * 0006):
 * entries as stored in ei_history, read page by page, one entry's state
 * for a restore, the uninstall entry a DELETE writes, and pruning. Every
 * read is scoped like the rows' (EI_SCOPE), on the entry's own team and
 * environment ids, so history stays visible after an uninstall.
 */
#ifndef ENVINT_HISTORY_DB_H
#define ENVINT_HISTORY_DB_H

#include <stdbool.h>

#include "app/base/arena.h"
#include "db/db.h"
#include "db/envint_db.h"
#include "db/scope.h"

/* One entry. Text columns point into buffers reused by the next fetch. */
struct hist_entry {
	unsigned char ei_id[16], environment_id[16], integration_id[16];
	unsigned long long version;
	MYSQL_TIME at;
	struct text kind;	/* install, update, restore, uninstall, admin */
	bool has_token;
	unsigned char token_id[16];
	struct text token_name, request_id;	/* NULL when none */
	bool show_in_catalog, is_enabled;
	struct text override;	/* canonical JSON; NULL = none */
};

/* Which entries of one install a page holds: versions in [from, below)
 * among the newest `keep` (history_keep; 0: all), newest first, at most
 * limit + 1 of them (the extra one says that a next page exists). */
struct hist_query {
	unsigned long long from, below;
	unsigned limit, keep;
};

struct hist_page;

/* Runs the page query. The page lives in `a`. */
enum db_err db_history_list(struct db *db, struct arena *a, const struct scope *scope,
			    const unsigned char id[16], const struct hist_query *q,
			    struct hist_page **out);

/* The next entry: 1, 0 at the end, -1 on error. */
int db_history_next(struct hist_page *p, struct hist_entry *e);

/* Releases the page's statement; must come before the next statement. */
void db_history_close(struct hist_page *p);

/* DB_OK when the caller sees at least one entry of `id`, or the row
 * itself (installed before the history began), else DB_NOTFOUND (unknown
 * and foreign ids alike). */
enum db_err db_history_visible(struct db *db, const struct scope *scope,
			       const unsigned char id[16]);

/* One visible entry's flags and override (in `a`), for a restore; its
 * version in out->version. DB_NOTFOUND when there is no such entry among
 * the newest `keep` (0: all). */
enum db_err db_history_state(struct db *db, struct arena *a, const struct scope *scope,
			     const unsigned char id[16], unsigned long long version,
			     unsigned keep, struct ei_state *out);

/* Inside a DELETE's transaction, before the row goes and under its lock
 * (which read `version`): appends its uninstall entry (version + 1, the
 * state before removal, `who`), then keeps the newest `keep` entries (0:
 * all). DB_NOTFOUND when the row is not visible. */
enum db_err db_history_uninstall(struct db *db, const struct scope *scope,
				 const unsigned char id[16], unsigned long long version,
				 const struct ei_actor *who, unsigned keep);

/* Keeps the newest `keep` entries of every install (keep > 0), in batches
 * of one transaction per install; *removed counts what went. */
enum db_err db_history_prune(struct db *db, unsigned keep, unsigned long long *removed);

#endif
