"""Assertions shared by the integration tests."""
import uuid


def check(cond, msg):
    if not cond:
        raise AssertionError(msg)


def expect_error(resp, status, message_part=None):
    """The response is the JSON error envelope of API.md with this status."""
    check(resp.status == status, "status %d, wanted %d: %r" % (resp.status, status, resp.body[:300]))
    ctype = resp.header("Content-Type") or ""
    check(ctype.startswith("application/json"), "content type %r" % ctype)
    body = resp.json()
    check(body.get("statusCode") == status, "statusCode in %r" % body)
    check(isinstance(body.get("error"), str) and body["error"], "error in %r" % body)
    check(isinstance(body.get("message"), str) and body["message"], "message in %r" % body)
    if message_part is not None:
        check(message_part in body["message"], "message %r lacks %r" % (body["message"], message_part))
    return body


def hex_to_uuid(h):
    return str(uuid.UUID(hex=h.lower()))


def demo_ei(stack, team="Acme Corp", env="production", integration="zendesk"):
    """The id of one demo install, looked up in the database."""
    rows = stack.sql(
        "SELECT HEX(ei.id) FROM environment_integration ei"
        " JOIN environment e ON e.id = ei.environment_id"
        " JOIN team t ON t.id = e.team_id"
        " JOIN integration i ON i.id = ei.integration_id"
        " WHERE t.name = '%s' AND e.name = '%s' AND i.name = '%s'" % (team, env, integration))
    check(len(rows) == 1, "demo install %s/%s/%s: %r" % (team, env, integration, rows))
    return hex_to_uuid(rows[0][0])


# The object of API.md, key by key, in order.
OBJECT_KEYS = ["id", "integration_id", "environment_id", "show_in_catalog", "is_enabled",
               "created_at", "updated_at", "integration", "override"]
INTEGRATION_KEYS = ["id", "name", "category", "is_beta", "config", "team_id", "sharing",
                    "created_at", "updated_at", "installed_environment", "team"]
TEAM_KEYS = ["id", "name", "domain", "logo", "is_verified", "is_white_label", "tos_link",
             "allow_impersonation", "created_at", "updated_at"]

REDACTED = "[REDACTED]"


def redact(config):
    """API.md: every client.secret inside config.credentials is replaced
    (in place; returns config), also where client is an array of objects
    (at any array depth)."""
    def clients(v):
        if isinstance(v, dict) and "secret" in v:
            v["secret"] = REDACTED
        elif isinstance(v, list):
            for x in v:
                clients(x)

    def walk(node):
        if isinstance(node, dict):
            for k, v in node.items():
                if k == "client":
                    clients(v)
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)
    walk(config.get("credentials"))
    return config


def install_drift(stack, database="envint"):
    """Where integration_install (db/migrations/0002) disagrees with the
    installs themselves: rows (team, integration, stored, recomputed) in hex;
    [] when it is exact."""
    return stack.sql_root(
        "SET SESSION group_concat_max_len = 16777216;"
        " SELECT HEX(r.team_id), HEX(r.integration_id), HEX(ii.environment_ids), HEX(r.ids) FROM"
        " (SELECT team_id, integration_id, GROUP_CONCAT(environment_id ORDER BY environment_id"
        "  SEPARATOR '') AS ids FROM environment_integration GROUP BY team_id, integration_id) r"
        " LEFT JOIN integration_install ii USING (team_id, integration_id)"
        " WHERE ii.environment_ids IS NULL OR ii.environment_ids <> r.ids"
        " UNION ALL SELECT HEX(ii.team_id), HEX(ii.integration_id), HEX(ii.environment_ids), NULL"
        " FROM integration_install ii WHERE NOT EXISTS (SELECT 1 FROM environment_integration x"
        "  WHERE x.team_id = ii.team_id AND x.integration_id = ii.integration_id)",
        database=database).stdout.splitlines()
