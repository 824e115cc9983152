-- installed_environment, kept ready instead of aggregated per response.
--
-- integration_install holds, for each (team, integration) installed in at
-- least one of the team's environments, the 16-byte ids of those
-- environments concatenated in ascending byte order: exactly what a response's
-- integration.installed_environment lists for a team token (an environment
-- token sees only its own environment, filtered by the app). Reading it is
-- one primary-key lookup joined to the row; the per-row GROUP_CONCAT
-- subquery it replaces was about a third of the database's work for a GET
-- and for a list page.
--
-- Triggers on environment_integration keep it exact, whoever writes: the
-- API, envintctl, a DBA's SQL. Each trigger first takes the row lock of its
-- (team, integration) entry, then edits the value it read under that lock,
-- so concurrent installs and uninstalls of one integration serialise there
-- and none is lost. Statements that do not fire row triggers (TRUNCATE; a
-- foreign key cascade, which is why deleting an environment first deletes
-- its installs explicitly, below) would leave it stale; after such
-- maintenance rebuild it with the statements at the end of this file.
--
-- Creating triggers and procedures needs the TRIGGER and CREATE ROUTINE
-- privileges; with binary logging on, MariaDB also wants SUPER or
-- log_bin_trust_function_creators=1 (README, "Database").

CREATE TABLE IF NOT EXISTS integration_install (
  team_id          BINARY(16) NOT NULL,
  integration_id   BINARY(16) NOT NULL,
  environment_ids  MEDIUMBLOB NOT NULL,
  PRIMARY KEY (team_id, integration_id),
  CONSTRAINT integration_install_team FOREIGN KEY (team_id) REFERENCES team (id),
  CONSTRAINT integration_install_integration FOREIGN KEY (integration_id)
    REFERENCES integration (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- Adds env to the (team, integration) entry, keeping the ids sorted; a no-op
-- when it is already there. Binary search over the 16-byte slots.
DROP PROCEDURE IF EXISTS integration_install_add;
CREATE PROCEDURE integration_install_add(IN p_team BINARY(16), IN p_integration BINARY(16),
                                         IN p_env BINARY(16))
  MODIFIES SQL DATA
BEGIN
  DECLARE ids MEDIUMBLOB;
  DECLARE lo, hi, mid INT UNSIGNED;

  -- the upsert takes the entry's row lock (exclusive, also when it exists)
  INSERT INTO integration_install (team_id, integration_id, environment_ids)
    VALUES (p_team, p_integration, '')
    ON DUPLICATE KEY UPDATE environment_ids = environment_ids;
  SELECT environment_ids INTO ids FROM integration_install
    WHERE team_id = p_team AND integration_id = p_integration FOR UPDATE;
  SET lo = 0, hi = LENGTH(ids) DIV 16;
  WHILE lo < hi DO
    SET mid = (lo + hi) DIV 2;
    IF SUBSTRING(ids, mid * 16 + 1, 16) < p_env THEN
      SET lo = mid + 1;
    ELSE
      SET hi = mid;
    END IF;
  END WHILE;
  IF SUBSTRING(ids, lo * 16 + 1, 16) <> p_env THEN
    UPDATE integration_install
      SET environment_ids = CONCAT(LEFT(ids, lo * 16), p_env, SUBSTRING(ids, lo * 16 + 1))
      WHERE team_id = p_team AND integration_id = p_integration;
  END IF;
END;

-- Removes env from the entry; the entry goes when its last env does. A
-- linear scan, unlike add's binary search: it finds the id even in an entry
-- whose order was ever broken by hand (removes are rare).
DROP PROCEDURE IF EXISTS integration_install_remove;
CREATE PROCEDURE integration_install_remove(IN p_team BINARY(16), IN p_integration BINARY(16),
                                            IN p_env BINARY(16))
  MODIFIES SQL DATA
BEGIN
  DECLARE ids MEDIUMBLOB DEFAULT NULL;
  DECLARE pos INT UNSIGNED DEFAULT 1;
  DECLARE CONTINUE HANDLER FOR NOT FOUND SET ids = NULL;

  SELECT environment_ids INTO ids FROM integration_install
    WHERE team_id = p_team AND integration_id = p_integration FOR UPDATE;
  WHILE pos <= LENGTH(ids) AND SUBSTRING(ids, pos, 16) <> p_env DO
    SET pos = pos + 16;
  END WHILE;
  -- pos past the end: not listed (or no entry at all), nothing to do
  IF pos <= LENGTH(ids) THEN
    IF LENGTH(ids) = 16 THEN
      DELETE FROM integration_install WHERE team_id = p_team AND integration_id = p_integration;
    ELSE
      UPDATE integration_install
        SET environment_ids = CONCAT(LEFT(ids, pos - 1), SUBSTRING(ids, pos + 16))
        WHERE team_id = p_team AND integration_id = p_integration;
    END IF;
  END IF;
END;

DROP TRIGGER IF EXISTS environment_integration_ai;
CREATE TRIGGER environment_integration_ai AFTER INSERT ON environment_integration
  FOR EACH ROW CALL integration_install_add(NEW.team_id, NEW.integration_id, NEW.environment_id);

DROP TRIGGER IF EXISTS environment_integration_ad;
CREATE TRIGGER environment_integration_ad AFTER DELETE ON environment_integration
  FOR EACH ROW CALL integration_install_remove(OLD.team_id, OLD.integration_id, OLD.environment_id);

-- The API never moves an install; a DBA's UPDATE that does is followed.
DROP TRIGGER IF EXISTS environment_integration_au;
CREATE TRIGGER environment_integration_au AFTER UPDATE ON environment_integration
  FOR EACH ROW
BEGIN
  IF NOT (OLD.team_id <=> NEW.team_id AND OLD.integration_id <=> NEW.integration_id AND
          OLD.environment_id <=> NEW.environment_id) THEN
    CALL integration_install_remove(OLD.team_id, OLD.integration_id, OLD.environment_id);
    CALL integration_install_add(NEW.team_id, NEW.integration_id, NEW.environment_id);
  END IF;
END;

-- A foreign key cascade fires no triggers: an environment's installs are
-- deleted here, row by row, before the cascade would reach them.
DROP TRIGGER IF EXISTS environment_bd;
CREATE TRIGGER environment_bd BEFORE DELETE ON environment
  FOR EACH ROW DELETE FROM environment_integration WHERE environment_id = OLD.id;

-- Fill it from what is installed now; the same four statements rebuild it
-- after maintenance. (The locking read of INSERT ... SELECT holds off
-- concurrent installs until COMMIT.)
SET SESSION group_concat_max_len = 16777216;
START TRANSACTION;
DELETE FROM integration_install;
INSERT INTO integration_install (team_id, integration_id, environment_ids)
  SELECT team_id, integration_id,
         GROUP_CONCAT(environment_id ORDER BY environment_id SEPARATOR '')
  FROM environment_integration GROUP BY team_id, integration_id;
COMMIT;

INSERT INTO schema_version (version, applied_at) VALUES (2, UTC_TIMESTAMP(3));
