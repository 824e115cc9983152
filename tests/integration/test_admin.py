"""envintctl end to end, the migration scheme, and the access log."""
import json
import os
import shutil
import tempfile

from helpers import check, expect_error


def test_access_log_line_per_request(stack):
    r = stack.get("/environment-integration?limit=1", token=stack.tokens["acme-team"])
    rid = r.header("X-Request-Id")
    lines = [ln for ln in stack.app_log().splitlines() if ln.endswith(" " + rid)]
    check(len(lines) == 1, "access lines for %s: %r" % (rid, lines))
    # "... info: GET /environment-integration 200 <bytes> <n>us <id>"
    parts = lines[0].split(" info: ", 1)[1].split()
    check(parts[0] == "GET" and parts[1] == "/environment-integration", parts)
    check(parts[2] == "200", parts)
    check(int(parts[3]) == len(r.body), "logged bytes %s, body %d" % (parts[3], len(r.body)))
    check(parts[4].endswith("us") and int(parts[4][:-2]) >= 0, parts)
    # a hostile path cannot forge a second log line
    r = stack.get("/x%0aFAKE%20line")
    log = stack.app_log()
    check(r.status == 404 and "/x?FAKE line 404" in log, "request did not reach the app")
    check("\nFAKE line" not in log, "newline from a path reached the log")


def test_cli_builds_a_tenant_end_to_end(stack):
    team = stack.ctl("team", "create", "--name", "CLI Team", "--domain", "cli.example",
                     "--verified").stdout.strip()
    env = stack.ctl("environment", "create", "--team", team, "--name", "production").stdout.strip()
    integ = stack.ctl("integration", "import",
                      os.path.join(stack.srcdir, "db", "demo", "integrations", "jira.json"),
                      "--team", team).stdout.strip()
    ei = stack.ctl("install", "--environment", env, "--integration", integ).stdout.strip()
    token = stack.ctl("token", "create", "--environment", env, "--name", "cli").stdout.strip()
    r = stack.get("/environment-integration", token=token)
    check(r.status == 200, r.body[:300])
    body = r.json()
    check([o["id"] for o in body["result"]] == [ei], body)
    o = body["result"][0]
    check(o["environment_id"] == env and o["integration_id"] == integ, o)
    check(o["integration"]["team"]["name"] == "CLI Team" and o["integration"]["team"]["is_verified"], o)
    # the owner sees its own secret, verbatim from the imported file
    with open(os.path.join(stack.srcdir, "db", "demo", "integrations", "jira.json")) as f:
        want = json.load(f)["config"]
    check(o["integration"]["config"] == want, "imported config differs from the file")
    # re-import updates in place: same id
    again = stack.ctl("integration", "import",
                      os.path.join(stack.srcdir, "db", "demo", "integrations", "jira.json"),
                      "--team", team).stdout.strip()
    check(again == integ, "re-import made a new integration")
    # installing twice is a conflict for the CLI (the API's POST is idempotent)
    r2 = stack.ctl("install", "--environment", env, "--integration", integ, check=False)
    check(r2.returncode == 1 and "conflicts" in r2.stderr, r2.stderr)
    # a token revoked by id
    tid = [ln for ln in stack.ctl("token", "create", "--team", team).stderr.splitlines()
           if "token id" in ln][0].split()[3]
    check(stack.ctl("token", "revoke", tid).stdout.strip() == "revoked", "revoke by id")
    r3 = stack.ctl("token", "revoke", tid, check=False)
    check(r3.returncode == 1 and "not found" in r3.stderr, r3.stderr)


def test_cli_rejects_invalid_integration_files(stack):
    team = stack.sql("SELECT LOWER(HEX(id)) FROM team WHERE name = 'Acme Corp'")[0][0]
    team = "%s-%s-%s-%s-%s" % (team[:8], team[8:12], team[12:16], team[16:20], team[20:])
    cases = [
        ('{"name":"x","category":"crm","sharing":"allow","config":{"nope":1}}', "config.nope unknown key"),
        ('{"name":"x","category":"crm","sharing":"allow","config":{"headers":{"a":1}}}',
         "config.headers.a must be a string"),
        ('{"name":"x","category":"crm","sharing":"allow","config":{"authorization":{"format":"oauth"}}}',
         "config.authorization.format must be one of"),
        ('{"name":"x","category":"crm","sharing":"maybe","config":{}}', "sharing"),
        ('{"name":"x","config":{}}', "category"),
        ('[1,2]', "not a JSON object"),
        ('{"name":', "not a JSON object"),
    ]
    before = stack.sql("SELECT COUNT(*) FROM integration")[0][0]
    d = tempfile.mkdtemp(dir=stack.dir)
    try:
        for text, want in cases:
            path = os.path.join(d, "bad.json")
            with open(path, "w") as f:
                f.write(text)
            r = stack.ctl("integration", "import", path, "--team", team, check=False)
            check(r.returncode == 1, "%s: exit %d" % (text, r.returncode))
            check(want in r.stderr, "%s: stderr %r lacks %r" % (text, r.stderr, want))
    finally:
        shutil.rmtree(d)
    check(stack.sql("SELECT COUNT(*) FROM integration")[0][0] == before, "a bad file was stored")
    r = stack.ctl("team", "create", check=False)
    check(r.returncode == 2 and "usage" in r.stderr, r.stderr)
    r = stack.ctl("environment", "create", "--team", "nope", "--name", "x", check=False)
    check(r.returncode == 2 and "UUID" in r.stderr, r.stderr)


def test_migrations_apply_in_order_once(stack):
    """schema.sql makes version 1; migrations/NNNN_*.sql above the recorded
    version are applied in order, each once."""
    stack.sql_root("DROP DATABASE IF EXISTS envint_mig; CREATE DATABASE envint_mig;"
                   "GRANT ALL ON envint_mig.* TO 'envint'@'localhost';")
    d = tempfile.mkdtemp(dir=stack.dir)
    try:
        shutil.copy(os.path.join(stack.srcdir, "db", "schema.sql"), d)
        os.mkdir(os.path.join(d, "migrations"))
        for n, sql in ((3, "ALTER TABLE probe ADD COLUMN b INT NULL;"),
                       (2, "CREATE TABLE probe (a INT NOT NULL) ENGINE=InnoDB;")):
            with open(os.path.join(d, "migrations", "%04d_probe.sql" % n), "w") as f:
                f.write(sql + "\nINSERT INTO schema_version (version, applied_at)"
                        " VALUES (%d, UTC_TIMESTAMP(3));\n" % n)
        with open(os.path.join(d, "migrations", "notes.txt"), "w") as f:
            f.write("not a migration")
        out = stack.ctl("--db-name", "envint_mig", "migrate", "--dir", d)
        check(out.stdout.strip() == "schema version 3", out.stdout + out.stderr)
        check("schema.sql" in out.stderr and "0002_probe.sql" in out.stderr and
              out.stderr.index("0002") < out.stderr.index("0003"), out.stderr)
        again = stack.ctl("--db-name", "envint_mig", "migrate", "--dir", d)
        check(again.stdout.strip() == "schema version 3" and "applied" not in again.stderr,
              again.stderr)
        cols = stack.sql_root("SHOW COLUMNS FROM probe", database="envint_mig").stdout
        check("\nb\t" in "\n" + cols, cols)
        versions = stack.sql_root("SELECT GROUP_CONCAT(version ORDER BY version) FROM schema_version",
                                  database="envint_mig").stdout.strip()
        check(versions == "1,2,3", versions)
    finally:
        shutil.rmtree(d)
        stack.sql_root("DROP DATABASE envint_mig")
