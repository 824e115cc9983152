#!/usr/bin/env python3
"""Deterministic benchmark dataset (seeded): writes SQL for the envint schema
to stdout, to be piped into the mariadb client.

  small: 4 teams, 12 environments, 300 integrations (configs 2-8 KB shaped
         like the seed's example), ~3,000 environment integrations
  large: 4 teams, 400 environments, 300 integrations, ~100,000 installs
         (25,000 per team: a team token's list is 250 pages of 100)
  large10: large with 10 times the environments (1M installs)

Rows go in with multi-row INSERTs inside one transaction per table, so
`large` loads in seconds. Ids come from the seeded generator: the same
size always produces the same rows (timestamps are fixed too)."""
import json
import random
import sys
import uuid

SIZES = {
    "small": dict(teams=4, envs_per_team=3, integrations=300, installs_per_env=250),
    "large": dict(teams=4, envs_per_team=100, integrations=300, installs_per_env=250),
    # large at 10x (tests/bench/load_scaling): 1M installs over 4,000 environments
    "large10": dict(teams=4, envs_per_team=1000, integrations=300, installs_per_env=250),
}
CATEGORIES = ["crm", "helpdesk", "ticketing", "hris", "accounting", "ats", "chat", "storage"]
BASE_EPOCH = 1609459200  # 2021-01-01T00:00:00Z


def uid(rng):
    return uuid.UUID(int=rng.getrandbits(128), version=4)


def hexid(u):
    return "UNHEX('%s')" % u.hex


def ts(seconds, ms=0):
    import datetime
    t = datetime.datetime.fromtimestamp(BASE_EPOCH + seconds, datetime.timezone.utc)
    return "'%s.%03d'" % (t.strftime("%Y-%m-%d %H:%M:%S"), ms)


def sql_str(s):
    return "'" + s.replace("\\", "\\\\").replace("'", "''") + "'"


def make_config(rng, name, secret):
    """A config like seed 000's example, between 2 and 8 KB."""
    resources = {}
    for r in range(rng.randint(2, 9)):
        rname = "resource_%d" % r
        resources[rname] = {
            "list": {
                "method": "get", "path": "/%s/%s" % (name, rname),
                "response_path": "data.items",
                "query": {"page": "{{pagination.page}}", "per_page": "{{pagination.per_page}}"},
                "pagination": {"format": "page", "config": {"page_key": "page", "limit_key": "per_page"}},
            },
            "get": {"method": "get", "path": "/%s/%s/{{id}}" % (name, rname),
                    "response_path": "data"},
            "create": {"method": "post", "path": "/%s/%s" % (name, rname),
                       "body": {"item": "{{body}}"}, "response_path": "data"},
        }
    return {
        "base_url": "https://api.%s.example.com/v2" % name,
        "label": name.replace("_", " ").title(),
        "logo": "https://cdn.example.com/logos/%s.png" % name,
        "headers": {"Accept": "application/json", "User-Agent": "truto"},
        "query_array_format": rng.choice(["comma", "brackets", "indices", "repeat"]),
        "credentials": {"oauth2": {"format": "oauth2", "config": {
            "client": {"id": "%s-client" % name, "secret": secret},
            "auth": {"tokenHost": "https://auth.%s.example.com" % name, "tokenPath": "/oauth/token"},
        }}},
        "authorization": {"format": "bearer", "config": {"token": "{{oauth.token.access_token}}"}},
        "pagination": {"format": "page", "config": {"page_key": "page", "limit_key": "per_page"}},
        "rate_limit": {"is_rate_limited": "status = 429",
                       "retry_after_header_expression": "Retry-After"},
        "resources": resources,
        "error_expression": "status >= 400 ? { 'status': status }",
    }


def emit_rows(out, table, columns, rows, batch=1000):
    for i in range(0, len(rows), batch):
        out.write("INSERT INTO %s (%s) VALUES\n" % (table, ", ".join(columns)))
        out.write(",\n".join("(" + ", ".join(r) + ")" for r in rows[i:i + batch]))
        out.write(";\n")


def main():
    size = sys.argv[1] if len(sys.argv) > 1 else "small"
    p = SIZES[size]
    rng = random.Random("envint-bench-" + size)  # both sizes fit in one database
    out = sys.stdout
    out.write("SET autocommit = 0, unique_checks = 0, foreign_key_checks = 0;\n")
    teams, envs = [], []
    for t in range(p["teams"]):
        tid = uid(rng)
        teams.append(tid)
        for e in range(p["envs_per_team"]):
            envs.append((uid(rng), tid, "env-%d" % e))
    emit_rows(out, "team", ["id", "name", "domain", "is_verified", "created_at", "updated_at"],
              [[hexid(t), sql_str("Bench %s team %d" % (size, i)),
                sql_str("team%d.%s.example" % (i, size)), "1",
                ts(0), ts(0)] for i, t in enumerate(teams)])
    emit_rows(out, "environment", ["id", "team_id", "name", "created_at", "updated_at"],
              [[hexid(e), hexid(t), sql_str(n), ts(0), ts(0)] for e, t, n in envs])
    integrations = []
    rows = []
    for i in range(p["integrations"]):
        iid = uid(rng)
        owner = teams[i % len(teams)]
        name = "integration_%03d" % i
        secret = "sk_live_%032x" % rng.getrandbits(128)
        cfg = make_config(rng, name, secret)
        full = json.dumps(cfg, separators=(",", ":"))
        cfg["credentials"]["oauth2"]["config"]["client"]["secret"] = "[REDACTED]"
        public = json.dumps(cfg, separators=(",", ":"))
        integrations.append(iid)
        rows.append([hexid(iid), hexid(owner), sql_str(name), sql_str(CATEGORIES[i % len(CATEGORIES)]),
                     "0", "'allow'", sql_str(full), sql_str(public), ts(0), ts(0)])
    emit_rows(out, "integration", ["id", "team_id", "name", "category", "is_beta", "sharing",
                                   "config", "config_public", "created_at", "updated_at"], rows, 50)
    rows = []
    n = 0
    for env, team, _ in envs:
        for iid in rng.sample(integrations, p["installs_per_env"]):
            n += 1
            override = "NULL"
            if rng.random() < 0.2:
                override = sql_str(json.dumps({"headers": {"X-Env": "bench-%d" % n},
                                               "tags": ["bench"]}, separators=(",", ":")))
            # every tenth row shares its timestamp with the previous one
            sec = n - (n % 10 == 0)
            rows.append([hexid(uid(rng)), hexid(env), hexid(team), hexid(iid),
                         str(int(rng.random() < 0.7)), str(int(rng.random() < 0.8)), override,
                         "1", ts(sec, sec % 1000), ts(sec, sec % 1000)])
    emit_rows(out, "environment_integration",
              ["id", "environment_id", "team_id", "integration_id", "show_in_catalog",
               "is_enabled", "override", "version", "created_at", "updated_at"], rows)
    out.write("COMMIT;\n")


if __name__ == "__main__":
    main()
