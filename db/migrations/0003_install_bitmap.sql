-- installed_environment as a bitmap per (team, integration).
--
-- Migration 0002 kept, per (team, integration), the sorted list of the
-- 16-byte ids of the environments holding it. Every install rewrote that
-- whole list, so an install cost grew with the environments already
-- holding the integration (tests/bench/load_scaling with a 256 MB buffer
-- pool: 1M installs over 4,000 environments loaded in 366 s, 25 times the
-- 14.4 s of 100,000 over 400), and the stored procedures'
-- read-then-write took the row's lock for longer than needed.
--
-- Now every environment has a small number, env_no, unique within its
-- team (0, 1, 2... in creation order, given by a trigger whoever inserts),
-- and integration_install.env_bits holds bit env_no (byte env_no DIV 8,
-- bit env_no MOD 8, least significant first) for each environment of the
-- team holding the integration: 125 bytes for a team of 1,000
-- environments. An install sets one bit, an uninstall clears one, each in
-- one statement that reads nothing else of the row; the bitmap never has
-- trailing zero bytes, and a (team, integration) with no install has no
-- row. A response still reads one row by primary key; the caller's scope
-- (the token's environments, each with its env_no, app/http/auth.c) turns
-- the bits back into ids (handlers/envint_json.c).
--
-- Concurrent installs of one integration in one team still write the same
-- row: on one server they queue on its lock for the length of one small
-- UPDATE; on Galera, through two nodes, one of them may fail certification
-- (1213), and envint runs it again (README: Running a pool and a cluster).
--
-- A deleted environment's number can be given again only when it was the
-- highest of its team; its installs were deleted first (trigger
-- environment_bd of 0002, kept), clearing its bits.
--
-- Re-running this file after a failure half-way is safe: it renumbers,
-- then rebuilds the bitmaps from the installs.

DROP TRIGGER IF EXISTS environment_integration_ai;
DROP TRIGGER IF EXISTS environment_integration_ad;
DROP TRIGGER IF EXISTS environment_integration_au;
DROP TRIGGER IF EXISTS environment_bi;
DROP PROCEDURE IF EXISTS integration_install_add;
DROP PROCEDURE IF EXISTS integration_install_remove;

ALTER TABLE environment ADD COLUMN IF NOT EXISTS env_no INT UNSIGNED NOT NULL DEFAULT 0;
ALTER TABLE environment DROP INDEX IF EXISTS environment_team_no;
UPDATE environment e
  JOIN (SELECT id, ROW_NUMBER() OVER (PARTITION BY team_id ORDER BY created_at, id) - 1 AS n
        FROM environment) r ON r.id = e.id
  SET e.env_no = r.n;
ALTER TABLE environment ADD UNIQUE KEY environment_team_no (team_id, env_no);

DELETE FROM integration_install;
ALTER TABLE integration_install DROP COLUMN IF EXISTS environment_ids;
ALTER TABLE integration_install ADD COLUMN IF NOT EXISTS env_bits MEDIUMBLOB NOT NULL;

-- The next number of the team. A DBA's own env_no is replaced too: the
-- numbers are the bitmaps' business.
CREATE TRIGGER environment_bi BEFORE INSERT ON environment
  FOR EACH ROW
  SET NEW.env_no = (SELECT COALESCE(MAX(x.env_no) + 1, 0) FROM environment x
                    WHERE x.team_id = NEW.team_id);

-- Sets the environment's bit. The row inserted is the bitmap of that bit
-- alone (env_no DIV 8 zero bytes, then the bit's byte); on an existing row
-- that byte is ORed into the bitmap, padded with zero bytes to reach it.
CREATE TRIGGER environment_integration_ai AFTER INSERT ON environment_integration
  FOR EACH ROW
  INSERT INTO integration_install (team_id, integration_id, env_bits)
    SELECT NEW.team_id, NEW.integration_id,
           CONCAT(REPEAT(X'00', e.env_no DIV 8), CHAR(1 << (e.env_no MOD 8)))
    FROM environment e WHERE e.id = NEW.environment_id
  ON DUPLICATE KEY UPDATE integration_install.env_bits = CONCAT(
    LEFT(RPAD(integration_install.env_bits,
              GREATEST(LENGTH(integration_install.env_bits), LENGTH(VALUES(env_bits))), X'00'),
         LENGTH(VALUES(env_bits)) - 1),
    CHAR(ORD(SUBSTRING(integration_install.env_bits, LENGTH(VALUES(env_bits)), 1))
         | ORD(RIGHT(VALUES(env_bits), 1))),
    SUBSTRING(integration_install.env_bits, LENGTH(VALUES(env_bits)) + 1));

-- Clears the environment's bit, then the trailing zero bytes; the row goes
-- with the last bit. (ORD of a byte past the end is 0.)
CREATE TRIGGER environment_integration_ad AFTER DELETE ON environment_integration
  FOR EACH ROW
BEGIN
  DECLARE k INT UNSIGNED;
  SELECT env_no INTO k FROM environment WHERE id = OLD.environment_id;
  UPDATE integration_install
    SET env_bits = TRIM(TRAILING X'00' FROM CONCAT(
      LEFT(env_bits, k DIV 8),
      CHAR(ORD(SUBSTRING(env_bits, k DIV 8 + 1, 1)) & (255 ^ (1 << (k MOD 8)))),
      SUBSTRING(env_bits, k DIV 8 + 2)))
    WHERE team_id = OLD.team_id AND integration_id = OLD.integration_id
      AND LENGTH(env_bits) > k DIV 8;
  DELETE FROM integration_install
    WHERE team_id = OLD.team_id AND integration_id = OLD.integration_id AND env_bits = '';
END;

-- The API never moves an install; a DBA's UPDATE that does is followed
-- (the same two edits, as a delete and an insert).
CREATE TRIGGER environment_integration_au AFTER UPDATE ON environment_integration
  FOR EACH ROW
BEGIN
  DECLARE k INT UNSIGNED;
  IF NOT (OLD.team_id <=> NEW.team_id AND OLD.integration_id <=> NEW.integration_id AND
          OLD.environment_id <=> NEW.environment_id) THEN
    SELECT env_no INTO k FROM environment WHERE id = OLD.environment_id;
    UPDATE integration_install
      SET env_bits = TRIM(TRAILING X'00' FROM CONCAT(
        LEFT(env_bits, k DIV 8),
        CHAR(ORD(SUBSTRING(env_bits, k DIV 8 + 1, 1)) & (255 ^ (1 << (k MOD 8)))),
        SUBSTRING(env_bits, k DIV 8 + 2)))
      WHERE team_id = OLD.team_id AND integration_id = OLD.integration_id
        AND LENGTH(env_bits) > k DIV 8;
    DELETE FROM integration_install
      WHERE team_id = OLD.team_id AND integration_id = OLD.integration_id AND env_bits = '';
    INSERT INTO integration_install (team_id, integration_id, env_bits)
      SELECT NEW.team_id, NEW.integration_id,
             CONCAT(REPEAT(X'00', e.env_no DIV 8), CHAR(1 << (e.env_no MOD 8)))
      FROM environment e WHERE e.id = NEW.environment_id
    ON DUPLICATE KEY UPDATE integration_install.env_bits = CONCAT(
      LEFT(RPAD(integration_install.env_bits,
                GREATEST(LENGTH(integration_install.env_bits), LENGTH(VALUES(env_bits))), X'00'),
           LENGTH(VALUES(env_bits)) - 1),
      CHAR(ORD(SUBSTRING(integration_install.env_bits, LENGTH(VALUES(env_bits)), 1))
           | ORD(RIGHT(VALUES(env_bits), 1))),
      SUBSTRING(integration_install.env_bits, LENGTH(VALUES(env_bits)) + 1));
  END IF;
END;

-- Fill it from what is installed now; the same statements rebuild it after
-- maintenance that bypassed the triggers (README, "Database notes"). Each
-- install sets its bit as the trigger does, row after row.
START TRANSACTION;
DELETE FROM integration_install;
INSERT INTO integration_install (team_id, integration_id, env_bits)
  SELECT ei.team_id, ei.integration_id,
         CONCAT(REPEAT(X'00', e.env_no DIV 8), CHAR(1 << (e.env_no MOD 8)))
  FROM environment_integration ei JOIN environment e ON e.id = ei.environment_id
ON DUPLICATE KEY UPDATE integration_install.env_bits = CONCAT(
  LEFT(RPAD(integration_install.env_bits,
            GREATEST(LENGTH(integration_install.env_bits), LENGTH(VALUES(env_bits))), X'00'),
       LENGTH(VALUES(env_bits)) - 1),
  CHAR(ORD(SUBSTRING(integration_install.env_bits, LENGTH(VALUES(env_bits)), 1))
       | ORD(RIGHT(VALUES(env_bits), 1))),
  SUBSTRING(integration_install.env_bits, LENGTH(VALUES(env_bits)) + 1));
COMMIT;

INSERT INTO schema_version (version, applied_at) VALUES (3, UTC_TIMESTAMP(3));
