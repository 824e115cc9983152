"""Assertions shared by the integration tests."""
import os
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


def install_bitmap(env_nos):
    """integration_install.env_bits (db/migrations/0003) for environments
    with these numbers, as hex: bit k in byte k // 8, no trailing zero
    byte."""
    if not env_nos:
        return ""
    out = bytearray(max(env_nos) // 8 + 1)
    for k in env_nos:
        out[k // 8] |= 1 << (k % 8)
    return out.hex().upper()


def install_drift(stack, database="envint"):
    """Where integration_install (db/migrations/0003) disagrees with the
    installs themselves, recomputed here from the installs and each
    environment's env_no: rows (team, integration, stored, recomputed) in
    hex; [] when it is exact."""
    want = {}
    for team, integ, no in (line.split("\t") for line in stack.sql_root(
            "SELECT HEX(ei.team_id), HEX(ei.integration_id), e.env_no"
            " FROM environment_integration ei JOIN environment e ON e.id = ei.environment_id",
            database=database).stdout.splitlines()):
        want.setdefault((team, integ), []).append(int(no))
    have = {(team, integ): bits for team, integ, bits in (line.split("\t") for line in stack.sql_root(
        "SELECT HEX(team_id), HEX(integration_id), HEX(env_bits) FROM integration_install",
        database=database).stdout.splitlines())}
    drift = []
    for key in sorted(set(want) | set(have)):
        w = install_bitmap(want[key]) if key in want else None
        if have.get(key) != w:
            drift.append((key[0], key[1], have.get(key), w))
    return drift


def history_override_drift(stack, database="envint"):
    """Where ei_history_override (db/migrations/0006) disagrees with the
    entries that name its overrides, recomputed here from ei_history:
    (install, sha256, stored refs, entries naming it) in hex, and
    (install, sha256, "hash", "") for an override whose hash is not its
    own; [] when it is exact. An entry whose override is missing shows as
    stored refs None."""
    want = {}
    for ei, sha in (line.split("\t") for line in stack.sql_root(
            "SELECT HEX(ei_id), HEX(override_sha) FROM ei_history"
            " WHERE override_sha IS NOT NULL", database=database).stdout.splitlines()):
        want[ei, sha] = want.get((ei, sha), 0) + 1
    have, drift = {}, []
    for ei, sha, refs, own in (line.split("\t") for line in stack.sql_root(
            "SELECT HEX(ei_id), HEX(sha256), refs, sha256 = UNHEX(SHA2(override, 256))"
            " FROM ei_history_override", database=database).stdout.splitlines()):
        have[ei, sha] = int(refs)
        if own != "1":
            drift.append((ei, sha, "hash", ""))
    for key in sorted(set(want) | set(have)):
        if have.get(key) != want.get(key):
            drift.append((key[0], key[1], have.get(key), want.get(key)))
    return drift


def procs_running(binary):
    """The pids of the processes whose executable is `binary` (an absolute
    path; mod_fcgid's envint is a copy of its own)."""
    out = []
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                if os.readlink("/proc/%s/exe" % d) == binary:
                    out.append(int(d))
            except OSError:
                pass
    return out
