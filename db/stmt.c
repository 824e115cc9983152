#include "db/stmt.h"

/*
 * Every statement binds its values; none is assembled from input. Column
 * lists are explicit so a schema migration cannot silently shift a bind.
 */
/*
 * STRAIGHT_JOIN: the rows are driven from environment_integration through
 * its keyset index (scope, created_at, id), which yields them in page
 * order, so LIMIT stops early and no sort happens. Left to itself the
 * optimizer starts from the small team table and sorts the whole tenant.
 *
 * The columns of an environment integration response, in the order of
 * db/envint_db.c's column table. One parameter: the caller's team (whose
 * secrets). installed_environment comes from integration_install's bitmap
 * for the row's own team (db/migrations/0003): a bit for every environment
 * of that team the integration is installed in, which the caller's scope
 * turns into ids when the response is written (handlers/envint_json.c).
 * LEFT JOIN: a missing entry must not hide the row.
 */
#define EI_SELECT_WITH(ov) \
	"SELECT ei.id, ei.environment_id, ei.integration_id, ei.show_in_catalog," \
	" ei.is_enabled, ei.created_at, ei.updated_at, " ov ", ei.version," \
	" i.name, i.category, i.is_beta," \
	" IF(i.team_id = ?, i.config, i.config_public), i.team_id, i.sharing," \
	" i.created_at, i.updated_at," \
	" ii.env_bits," \
	" t.id, t.name, t.domain, t.logo, t.is_verified, t.is_white_label," \
	" t.tos_link, t.allow_impersonation, t.created_at, t.updated_at" \
	" FROM environment_integration ei" \
	" STRAIGHT_JOIN integration i FORCE INDEX (PRIMARY) ON i.id = ei.integration_id" \
	" STRAIGHT_JOIN team t FORCE INDEX (PRIMARY) ON t.id = i.team_id" \
	" LEFT JOIN integration_install ii" \
	"  ON ii.team_id = ei.team_id AND ii.integration_id = ei.integration_id"

/* The usual select list; PATCH re-reads its row without the override it
 * has just written and already holds (it can be megabytes). */
#define EI_SELECT EI_SELECT_WITH("ei.override")

const char ei_select_sql[] = EI_SELECT;

/* The caller's scope: team, env-token flag, env. */
#define EI_SCOPE " ei.team_id = ? AND (? = 0 OR ei.environment_id = ?)"

/* The same scope on a history entry's own ids (db/history_db.h). */
#define HIST_SCOPE " h.team_id = ? AND (? = 0 OR h.environment_id = ?)"

/* Among the newest history_keep entries of the install (parameters: keep,
 * keep, the install's id; keep 0: all). The triggers prune 16 entries at a
 * time (db/migrations/0006), so up to 15 older ones may still be stored:
 * they are not shown, nor restored. One backward dive of the primary key. */
#define HIST_KEPT \
	" (? = 0 OR h.version + ? > (SELECT MAX(n.version) FROM ei_history n WHERE n.ei_id = ?))"

/* An entry's override, stored once per install and distinct override
 * (db/migrations/0006); LEFT JOIN: an entry without one reads NULL. */
#define HIST_OVERRIDE \
	" LEFT JOIN ei_history_override o ON o.ei_id = h.ei_id AND o.sha256 = h.override_sha"

const struct stmt_def stmt_defs[STMT__MAX] = {
	{ "auth_token",	/* STMT_AUTH_TOKEN: one row per environment the token sees */
	  "SELECT tk.secret_sha256, tk.team_id, tk.environment_id, e.id, e.env_no, tk.id,"
	  " tk.name"
	  " FROM api_token tk"
	  " LEFT JOIN environment e ON e.team_id = tk.team_id"
	  "  AND (tk.environment_id IS NULL OR e.id = tk.environment_id)"
	  " WHERE tk.selector = ? AND tk.revoked_at IS NULL"
	  " ORDER BY e.id",
	  true },
	{ "ei_get",	/* STMT_EI_GET */
	  EI_SELECT " WHERE ei.id = ? AND" EI_SCOPE,
	  true },
	{ "ei_get_lean",	/* STMT_EI_GET_LEAN */
	  EI_SELECT_WITH("NULL") " WHERE ei.id = ? AND" EI_SCOPE,
	  true },
	{ "ei_update",	/* STMT_EI_UPDATE: each IF(flag, value, column) sets only
			 * what the body named; updated_at moves forward by at
			 * least 1 ms so two updates never share it */
	  "UPDATE environment_integration ei SET"
	  " ei.show_in_catalog = IF(?, ?, ei.show_in_catalog),"
	  " ei.is_enabled = IF(?, ?, ei.is_enabled),"
	  " ei.override = IF(?, ?, ei.override),"
	  " ei.version = ei.version + 1,"
	  " ei.updated_at = GREATEST(UTC_TIMESTAMP(3), ei.updated_at + INTERVAL 1000 MICROSECOND),"
	  " ei.changed_by = ?, ei.change_token_name = ?, ei.change_request = ?,"
	  " ei.change_kind = ?"
	  " WHERE ei.id = ? AND" EI_SCOPE " AND (? = 0 OR ei.version = ?)",
	  false },
	{ "ei_delete",	/* STMT_EI_DELETE */
	  "DELETE ei FROM environment_integration ei"
	  " WHERE ei.id = ? AND" EI_SCOPE " AND (? = 0 OR ei.version = ?)",
	  false },
	{ "ei_version",	/* STMT_EI_VERSION: tells 404 from 412 */
	  "SELECT ei.version FROM environment_integration ei WHERE ei.id = ? AND" EI_SCOPE,
	  true },
	{ "ei_lock",	/* STMT_EI_LOCK: If-Match is checked under this lock */
	  "SELECT ei.version FROM environment_integration ei WHERE ei.id = ? AND" EI_SCOPE
	  " FOR UPDATE",
	  false },
	{ "ei_lock_state",	/* STMT_EI_LOCK_STATE: a merge patch reads what it
				 * merges into under this lock */
	  "SELECT ei.version, ei.show_in_catalog, ei.is_enabled, ei.override"
	  " FROM environment_integration ei WHERE ei.id = ? AND" EI_SCOPE
	  " FOR UPDATE",
	  false },
	{ "ei_effective",	/* STMT_EI_EFFECTIVE: what the effective config
				 * is made of; parameters: whose secrets, then
				 * the row and scope as STMT_EI_GET */
	  "SELECT ei.version, ei.override, IF(i.team_id = ?, i.config, i.config_public),"
	  " i.version"
	  " FROM environment_integration ei"
	  " STRAIGHT_JOIN integration i FORCE INDEX (PRIMARY) ON i.id = ei.integration_id"
	  " WHERE ei.id = ? AND" EI_SCOPE,
	  true },
	{ "ei_find",	/* STMT_EI_FIND: an existing install */
	  "SELECT id FROM environment_integration"
	  " WHERE environment_id = ? AND integration_id = ?",
	  true },
	{ "integration_access",	/* STMT_INTEGRATION_ACCESS */
	  "SELECT team_id, sharing FROM integration WHERE id = ?",
	  true },
	{ "team_insert",	/* STMT_TEAM_INSERT */
	  "INSERT INTO team (id, name, domain, logo, is_verified, is_white_label,"
	  " tos_link, allow_impersonation, created_at, updated_at)"
	  " VALUES (?, ?, ?, ?, ?, ?, ?, ?, UTC_TIMESTAMP(3), UTC_TIMESTAMP(3))",
	  false },
	{ "env_insert",	/* STMT_ENV_INSERT */
	  "INSERT INTO environment (id, team_id, name, created_at, updated_at)"
	  " VALUES (?, ?, ?, UTC_TIMESTAMP(3), UTC_TIMESTAMP(3))",
	  false },
	{ "env_team",	/* STMT_ENV_TEAM */
	  "SELECT team_id FROM environment WHERE id = ?",
	  true },
	{ "integration_upsert",	/* STMT_INTEGRATION_UPSERT: a changed config
				 * (or copy) is a new version (migration 0004) */
	  "INSERT INTO integration (id, team_id, name, category, is_beta, sharing,"
	  " config, config_public, created_at, updated_at)"
	  " VALUES (?, ?, ?, ?, ?, ?, ?, ?, UTC_TIMESTAMP(3), UTC_TIMESTAMP(3))"
	  " ON DUPLICATE KEY UPDATE"
	  /* first: it compares the columns before they change */
	  " version = IF(config <=> VALUES(config)"
	  "  AND config_public <=> VALUES(config_public), version, version + 1),"
	  " category = VALUES(category),"
	  " is_beta = VALUES(is_beta), sharing = VALUES(sharing),"
	  " config = VALUES(config), config_public = VALUES(config_public),"
	  " updated_at = UTC_TIMESTAMP(3)",
	  false },
	{ "integration_id",	/* STMT_INTEGRATION_ID */
	  "SELECT id FROM integration WHERE team_id = ? AND name = ?",
	  true },
	{ "integration_next",	/* STMT_INTEGRATION_NEXT: walks all integrations by id */
	  "SELECT id, config, config_public FROM integration WHERE id > ? ORDER BY id LIMIT 1",
	  true },
	{ "integration_set_public",	/* STMT_INTEGRATION_SET_PUBLIC: only while the
					 * config is still the one the copy came from */
	  "UPDATE integration SET config_public = ?, version = version + 1"
	  " WHERE id = ? AND config = ?",
	  false },
	{ "ei_install",	/* STMT_EI_INSTALL: the environment's team comes from the row */
	  "INSERT INTO environment_integration (id, environment_id, team_id,"
	  " integration_id, show_in_catalog, is_enabled, override, version,"
	  " created_at, updated_at, changed_by, change_token_name, change_request,"
	  " change_kind)"
	  " SELECT ?, e.id, e.team_id, ?, ?, ?, ?, 1, UTC_TIMESTAMP(3), UTC_TIMESTAMP(3),"
	  " ?, ?, ?, ? FROM environment e WHERE e.id = ?",
	  false },
	{ "token_insert",	/* STMT_TOKEN_INSERT */
	  "INSERT INTO api_token (id, selector, secret_sha256, team_id,"
	  " environment_id, name, created_at)"
	  " VALUES (?, ?, ?, ?, ?, ?, UTC_TIMESTAMP(3))",
	  false },
	{ "token_revoke",	/* STMT_TOKEN_REVOKE */
	  "UPDATE api_token SET revoked_at = UTC_TIMESTAMP(3)"
	  " WHERE (id = ? OR selector = ?) AND revoked_at IS NULL",
	  true },
	{ "schema_version",	/* STMT_SCHEMA_VERSION */
	  "SELECT COALESCE(MAX(version), 0) FROM schema_version",
	  true },
	{ "schema_exists",	/* STMT_SCHEMA_EXISTS */
	  "SELECT COUNT(*) FROM information_schema.tables"
	  " WHERE table_schema = DATABASE() AND table_name = 'schema_version'",
	  true },
	{ "team_count",	/* STMT_TEAM_COUNT */
	  "SELECT COUNT(*) FROM team",
	  true },
	{ "server_logging",	/* STMT_SERVER_LOGGING: what migrate must know before
				 * it creates triggers (binary log, Galera) */
	  "SELECT"
	  " COALESCE((SELECT VARIABLE_VALUE = 'ON' FROM information_schema.GLOBAL_VARIABLES"
	  "  WHERE VARIABLE_NAME = 'LOG_BIN'), 0),"
	  " COALESCE((SELECT VARIABLE_VALUE = 'ON' FROM information_schema.GLOBAL_VARIABLES"
	  "  WHERE VARIABLE_NAME = 'WSREP_ON'), 0),"
	  " COALESCE((SELECT VARIABLE_VALUE = 'ON' FROM information_schema.GLOBAL_VARIABLES"
	  "  WHERE VARIABLE_NAME = 'LOG_BIN_TRUST_FUNCTION_CREATORS'), 0),"
	  " COALESCE((SELECT VARIABLE_VALUE = 'ROW' FROM information_schema.GLOBAL_VARIABLES"
	  "  WHERE VARIABLE_NAME = 'BINLOG_FORMAT'), 0),"
	  " EXISTS (SELECT 1 FROM information_schema.USER_PRIVILEGES"
	  "  WHERE PRIVILEGE_TYPE = 'SUPER')",
	  true },
	{ "hist_page",	/* STMT_HIST_PAGE: versions in [?, ?) of one install,
			 * newest first: a range of the primary key */
	  "SELECT h.ei_id, h.environment_id, h.integration_id, h.version, h.at, h.kind,"
	  " h.token_id, h.token_name, h.request_id, h.show_in_catalog, h.is_enabled,"
	  " o.override"
	  " FROM ei_history h" HIST_OVERRIDE
	  " WHERE h.ei_id = ? AND h.version >= ? AND h.version < ? AND"
	  HIST_SCOPE " AND" HIST_KEPT " ORDER BY h.version DESC LIMIT ?",
	  true },
	{ "hist_visible",	/* STMT_HIST_VISIBLE: tells an empty page from a 404:
				 * an entry, or the row itself (installed before
				 * the history began), in the caller's scope */
	  "SELECT 1 FROM ei_history h WHERE h.ei_id = ? AND" HIST_SCOPE
	  " UNION ALL SELECT 1 FROM environment_integration ei WHERE ei.id = ? AND" EI_SCOPE
	  " LIMIT 1",
	  true },
	{ "hist_state",	/* STMT_HIST_STATE: what a restore writes back */
	  "SELECT h.version, h.show_in_catalog, h.is_enabled, o.override"
	  " FROM ei_history h" HIST_OVERRIDE
	  " WHERE h.ei_id = ? AND h.version = ? AND" HIST_SCOPE " AND" HIST_KEPT,
	  true },
	{ "hist_uninstall_override",	/* STMT_HIST_UNINSTALL_OVERRIDE: counts the
					 * uninstall entry's override (stores it,
					 * unless the history holds it already);
					 * parameters: the row and scope */
	  "INSERT INTO ei_history_override (ei_id, sha256, override, refs)"
	  " SELECT ei.id, UNHEX(SHA2(ei.override, 256)), ei.override, 1"
	  " FROM environment_integration ei WHERE ei.id = ? AND" EI_SCOPE
	  " AND ei.override IS NOT NULL"
	  " ON DUPLICATE KEY UPDATE refs = refs + 1",
	  false },
	{ "hist_uninstall",	/* STMT_HIST_UNINSTALL: the entry of a DELETE, from
				 * the row before it goes; parameters: token id,
				 * token name, request id, then the row and scope */
	  "INSERT INTO ei_history (ei_id, version, environment_id, team_id, integration_id,"
	  " at, kind, token_id, token_name, request_id, show_in_catalog, is_enabled,"
	  " override_sha)"
	  " SELECT ei.id, ei.version + 1, ei.environment_id, ei.team_id, ei.integration_id,"
	  " GREATEST(UTC_TIMESTAMP(3), ei.updated_at + INTERVAL 1000 MICROSECOND),"
	  " 'uninstall', ?, ?, ?,"
	  " ei.show_in_catalog, ei.is_enabled, UNHEX(SHA2(ei.override, 256))"
	  " FROM environment_integration ei WHERE ei.id = ? AND" EI_SCOPE,
	  false },
	{ "hist_trim",	/* STMT_HIST_TRIM: entries up to a version go */
	  "DELETE FROM ei_history WHERE ei_id = ? AND version <= ?",
	  true },
	{ "hist_next_install",	/* STMT_HIST_NEXT_INSTALL: walks the installs with
				 * history by id, with their newest version (a
				 * loose scan of the primary key) */
	  "SELECT ei_id, MAX(version) FROM ei_history WHERE ei_id > ?"
	  " GROUP BY ei_id ORDER BY ei_id LIMIT 1",
	  true },
};
