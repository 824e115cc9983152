-- The change history, cheaper per write (issue 15 §3: W4 with the history
-- must stay at 85% of W4 without it).
--
-- 1. Each distinct override is stored once per install. Until now every
-- ei_history entry carried its own copy of the override: a PATCH with a
-- 4 KB override wrote 4 KB into the history, and purged another 4 KB when
-- the oldest entry fell out. Many writes repeat an override the install's
-- history holds already (a flag toggled, a change undone, a restore, a
-- client that resends the whole object), so an entry now names its
-- override by its SHA-256 (`override_sha`, NULL for no override) and the
-- override itself is stored once per install in ei_history_override, with
-- `refs`, the number of entries naming it.
--
-- Who keeps `refs` right:
--   - the row triggers below (ei_history_ai, ei_history_au) add one, by an
--     upsert, for the entry they write;
--   - the uninstall entry, written by the DELETE's transaction
--     (db/history_db.c), adds one the same way;
--   - ei_history_ad takes one away for every entry deleted, however it is
--     deleted (pruning, `envintctl history prune`, a DBA's DELETE), and
--     deletes the override when none is left.
-- A restore or the history page joins the entry to its override on the
-- primary key (ei_id, sha256).
--
-- 2. The acting token's name comes with the row. envint already holds it
-- (its token lookup reads it), so the install or update that names its
-- actor (changed_by, change_request, change_kind: 0005) now also sets
-- change_token_name, and the triggers copy it: no lookup of api_token in
-- the trigger, a statement that cost about 4% of W4.
--
-- 3. Pruning goes 16 entries at a time. The update trigger deletes, at
-- every 16th version, the 16 entries that have fallen out of the newest
-- @envint_history_keep since the last time (one range of the primary key,
-- bounded below, so it never walks entries deleted before and not yet
-- purged). An install thus holds between history_keep and
-- history_keep + 15 entries; the API shows only the newest history_keep
-- (db/stmt.c, STMT_HIST_PAGE and STMT_HIST_STATE), so what a client sees
-- is exact. A point delete at every write cost about 6% of W4.
--
-- Upgrading from 0005. The overrides stored in ei_history are moved into
-- ei_history_override in one transaction (entries not moved yet: those
-- with an override and no override_sha), then ei_history's override column
-- goes. The new triggers are in place before the move, so a write during
-- the migration counts its own entry and the move counts the others once.
-- A binary older than this migration fails its history reads, restores
-- and DELETEs (they name the dropped column) until it is restarted: it
-- refuses, it never restores an override it cannot see. Run `envintctl
-- migrate` and restart envint together (README, "Upgrades").
--
-- Re-running this file after a failure half-way is safe.

CREATE TABLE IF NOT EXISTS ei_history_override (
  ei_id     BINARY(16)   NOT NULL,
  sha256    BINARY(32)   NOT NULL,
  override  LONGTEXT     NOT NULL,
  refs      INT UNSIGNED NOT NULL,
  PRIMARY KEY (ei_id, sha256)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

ALTER TABLE ei_history ADD COLUMN IF NOT EXISTS override_sha BINARY(32) NULL;

ALTER TABLE environment_integration
  ADD COLUMN IF NOT EXISTS change_token_name VARCHAR(255) NULL AFTER changed_by;

DROP TRIGGER IF EXISTS ei_history_ai;
DROP TRIGGER IF EXISTS ei_history_au;
DROP TRIGGER IF EXISTS ei_history_ad;

CREATE TRIGGER ei_history_ai AFTER INSERT ON environment_integration
  FOR EACH ROW
BEGIN
  DECLARE sha BINARY(32) DEFAULT UNHEX(SHA2(NEW.override, 256));

  IF sha IS NOT NULL THEN
    INSERT INTO ei_history_override (ei_id, sha256, override, refs)
      VALUES (NEW.id, sha, NEW.override, 1)
      ON DUPLICATE KEY UPDATE refs = refs + 1;
  END IF;
  INSERT INTO ei_history (ei_id, version, environment_id, team_id, integration_id, at,
                          kind, token_id, token_name, request_id,
                          show_in_catalog, is_enabled, override_sha)
  VALUES (NEW.id, NEW.version, NEW.environment_id, NEW.team_id, NEW.integration_id,
          NEW.updated_at, NEW.change_kind, NEW.changed_by,
          NEW.change_token_name,
          NEW.change_request, NEW.show_in_catalog, NEW.is_enabled, sha);
END;

-- Pruning (3. above): at versions 16, 32, ... past @envint_history_keep,
-- the 16 entries that fell out since the last time. Versions of an install
-- are consecutive (a DELETE ends them), so every entry falls in exactly one
-- such range. Unset (NULL) or 0 keeps everything.
CREATE TRIGGER ei_history_au AFTER UPDATE ON environment_integration
  FOR EACH ROW
BEGIN
  DECLARE sha BINARY(32);
  DECLARE top BIGINT UNSIGNED;

  IF NEW.version <> OLD.version THEN
    SET sha = UNHEX(SHA2(NEW.override, 256));
    IF sha IS NOT NULL THEN
      INSERT INTO ei_history_override (ei_id, sha256, override, refs)
        VALUES (NEW.id, sha, NEW.override, 1)
        ON DUPLICATE KEY UPDATE refs = refs + 1;
    END IF;
    INSERT INTO ei_history (ei_id, version, environment_id, team_id, integration_id, at,
                            kind, token_id, token_name, request_id,
                            show_in_catalog, is_enabled, override_sha)
    VALUES (NEW.id, NEW.version, NEW.environment_id, NEW.team_id, NEW.integration_id,
            NEW.updated_at, NEW.change_kind, NEW.changed_by,
            NEW.change_token_name,
            NEW.change_request, NEW.show_in_catalog, NEW.is_enabled, sha);
    IF @envint_history_keep > 0 AND NEW.version % 16 = 0
       AND NEW.version > @envint_history_keep THEN
      -- versions in (top - 16, top], top = NEW.version - keep > 0: a
      -- range of the primary key (BIGINT UNSIGNED: never below 0)
      SET top = NEW.version - @envint_history_keep;
      DELETE FROM ei_history
        WHERE ei_id = NEW.id AND version > IF(top > 16, top - 16, 0) AND version <= top;
    END IF;
  END IF;
END;

CREATE TRIGGER ei_history_ad AFTER DELETE ON ei_history
  FOR EACH ROW
BEGIN
  IF OLD.override_sha IS NOT NULL THEN
    UPDATE ei_history_override SET refs = refs - 1
      WHERE ei_id = OLD.ei_id AND sha256 = OLD.override_sha;
    DELETE FROM ei_history_override
      WHERE ei_id = OLD.ei_id AND sha256 = OLD.override_sha AND refs = 0;
  END IF;
END;

-- The move from 0005's column, skipped once the column is gone. Column
-- names in a block are resolved when a statement runs, so the branch is
-- valid SQL either way.
BEGIN NOT ATOMIC
  IF EXISTS (SELECT 1 FROM information_schema.columns
             WHERE table_schema = DATABASE() AND table_name = 'ei_history'
               AND column_name = 'override') THEN
    START TRANSACTION;
    INSERT INTO ei_history_override (ei_id, sha256, override, refs)
      SELECT ei_id, UNHEX(SHA2(override, 256)), MIN(override), COUNT(*)
        FROM ei_history
        WHERE override IS NOT NULL AND override_sha IS NULL
        GROUP BY ei_id, UNHEX(SHA2(override, 256))
      ON DUPLICATE KEY UPDATE refs = refs + VALUES(refs);
    UPDATE ei_history SET override_sha = UNHEX(SHA2(override, 256))
      WHERE override IS NOT NULL AND override_sha IS NULL;
    COMMIT;
  END IF;
END;

ALTER TABLE ei_history DROP COLUMN IF EXISTS override;

INSERT INTO schema_version (version, applied_at) VALUES (6, UTC_TIMESTAMP(3));
