-- The change history of environment integrations (issue 15 §3).
--
-- Every API write that changes a row leaves one entry in ei_history, in
-- the same transaction: the row's state after the change (for an
-- uninstall, just before it), its new version, when, the kind of write,
-- the acting token (id, and its name as it was then) and the request id.
--
-- How entries are written. An install or update names its actor in the
-- row itself (changed_by, change_request, change_kind, set by the same
-- INSERT or UPDATE statement), and the triggers below copy the new state
-- from there: no extra round trip per write. An UPDATE that leaves the
-- version alone is not a change and writes no entry. The uninstall entry is
-- written by the DELETE's own transaction (db/history_db.c), since a
-- DELETE statement cannot name its actor. Triggers fire only on the node
-- that runs the statement; Galera replicates the rows they wrote.
--
-- Retention. The update trigger deletes the one entry that falls out of
-- the newest @envint_history_keep (a session variable each envint
-- connection sets from the history_keep setting); unset (NULL) or 0 keeps
-- everything. Versions of an install are consecutive, so that keeps the
-- count at history_keep; a point delete, because a range delete from the
-- start of the install's entries walks every entry deleted but not yet
-- purged by InnoDB, a cost that grows while purge lags behind a busy
-- server. A lowered setting, or entries kept while it was 0, are trimmed
-- by `envintctl history prune`.
--
-- Entries keep their environment and team ids, so the scope that saw the
-- row still sees its history after an uninstall. No foreign keys: history
-- outlives the row and its environment.
--
-- Re-running this file after a failure half-way is safe.

ALTER TABLE environment_integration
  ADD COLUMN IF NOT EXISTS changed_by BINARY(16) NULL,
  ADD COLUMN IF NOT EXISTS change_request VARCHAR(80) NULL,
  ADD COLUMN IF NOT EXISTS change_kind ENUM('install', 'update', 'restore', 'admin')
    NOT NULL DEFAULT 'admin';

CREATE TABLE IF NOT EXISTS ei_history (
  ei_id            BINARY(16)      NOT NULL,
  version          BIGINT UNSIGNED NOT NULL,
  environment_id   BINARY(16)      NOT NULL,
  team_id          BINARY(16)      NOT NULL,
  integration_id   BINARY(16)      NOT NULL,
  at               DATETIME(3)     NOT NULL,
  kind             ENUM('install', 'update', 'restore', 'uninstall', 'admin') NOT NULL,
  token_id         BINARY(16)      NULL,
  token_name       VARCHAR(255)    NULL,
  request_id       VARCHAR(80)     NULL,
  show_in_catalog  BOOLEAN         NOT NULL,
  is_enabled       BOOLEAN         NOT NULL,
  override         LONGTEXT        NULL,
  PRIMARY KEY (ei_id, version)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

DROP TRIGGER IF EXISTS ei_history_ai;
DROP TRIGGER IF EXISTS ei_history_au;

CREATE TRIGGER ei_history_ai AFTER INSERT ON environment_integration
  FOR EACH ROW
  INSERT INTO ei_history (ei_id, version, environment_id, team_id, integration_id, at,
                          kind, token_id, token_name, request_id,
                          show_in_catalog, is_enabled, override)
  VALUES (NEW.id, NEW.version, NEW.environment_id, NEW.team_id, NEW.integration_id,
          NEW.updated_at, NEW.change_kind, NEW.changed_by,
          (SELECT t.name FROM api_token t WHERE t.id = NEW.changed_by),
          NEW.change_request, NEW.show_in_catalog, NEW.is_enabled, NEW.override);

CREATE TRIGGER ei_history_au AFTER UPDATE ON environment_integration
  FOR EACH ROW
BEGIN
  IF NEW.version <> OLD.version THEN
    INSERT INTO ei_history (ei_id, version, environment_id, team_id, integration_id, at,
                            kind, token_id, token_name, request_id,
                            show_in_catalog, is_enabled, override)
    VALUES (NEW.id, NEW.version, NEW.environment_id, NEW.team_id, NEW.integration_id,
            NEW.updated_at, NEW.change_kind, NEW.changed_by,
            (SELECT t.name FROM api_token t WHERE t.id = NEW.changed_by),
            NEW.change_request, NEW.show_in_catalog, NEW.is_enabled, NEW.override);
    IF @envint_history_keep > 0 AND NEW.version > @envint_history_keep THEN
      DELETE FROM ei_history
        WHERE ei_id = NEW.id AND version = NEW.version - @envint_history_keep;
    END IF;
  END IF;
END;

-- Installs made before this migration start their history at their next
-- change; nothing is invented for the past.

INSERT INTO schema_version (version, applied_at) VALUES (5, UTC_TIMESTAMP(3));
