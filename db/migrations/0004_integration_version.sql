-- A version per integration, for the effective config's ETag.
--
-- GET /environment-integration/{id}/effective-config answers the
-- integration's config deep-merged with the row's override; its ETag,
-- "<row version>.<integration version>", must change when either side
-- does. integration.version starts at 1 and is raised by every write of
-- the config or of its redacted copy: envintctl integration import (only
-- when config or config_public changes) and integration redact (only the
-- copies it rewrites). The row's own ETag and If-Match keep comparing the
-- row's version alone.
--
-- Re-running this file after a failure half-way is safe.

ALTER TABLE integration ADD COLUMN IF NOT EXISTS
  version BIGINT UNSIGNED NOT NULL DEFAULT 1 AFTER config_public;

INSERT INTO schema_version (version, applied_at) VALUES (4, UTC_TIMESTAMP(3));
