"""envintctl end to end, the migration scheme, and the access log."""
import json
import os
import shutil
import subprocess
import tempfile

from helpers import REDACTED, check, expect_error, history_override_drift, install_drift


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


def test_cli_redact_rewrites_stale_redacted_copies(stack):
    """`envintctl integration redact` recomputes every integration's
    redacted copy from its stored config. A copy made under an older rule
    (here the one that missed "client": [{"secret": ...}]) stops leaking to
    other teams; the owner keeps its secret; a second run rewrites nothing."""
    owner = stack.ctl_out("team", "create", "--name", "Redact Owner")
    other = stack.ctl_out("team", "create", "--name", "Redact Other")
    env = stack.ctl_out("environment", "create", "--team", other, "--name", "production")
    own_env = stack.ctl_out("environment", "create", "--team", owner, "--name", "production")
    config = {"credentials": {"oauth2": {"format": "oauth2", "config": {
        "client": [{"id": "c1", "secret": "array-secret-one"},
                   [{"secret": "array-secret-two"}]]}}}}
    d = tempfile.mkdtemp(dir=stack.dir)
    try:
        path = os.path.join(d, "arr.json")
        with open(path, "w") as f:
            json.dump({"name": "redact-arr", "category": "crm", "sharing": "allow",
                       "config": config}, f)
        integ = stack.ctl_out("integration", "import", path, "--team", owner)
    finally:
        shutil.rmtree(d)
    ei = stack.ctl_out("install", "--environment", env, "--integration", integ)
    own_ei = stack.ctl_out("install", "--environment", own_env, "--integration", integ)
    token = stack.ctl_out("token", "create", "--team", other)
    own_token = stack.ctl_out("token", "create", "--team", owner)
    hexid = integ.replace("-", "")

    def secrets(tok, row):
        r = stack.get("/environment-integration/" + row, token=tok)
        check(r.status == 200, r.body[:300])
        client = r.json()["integration"]["config"]["credentials"]["oauth2"]["config"]["client"]
        return [client[0]["secret"], client[1][0]["secret"]]

    check(secrets(token, ei) == [REDACTED, REDACTED], "import did not redact the array form")
    # other modules' fixtures store copies by SQL, in their own formatting:
    # a first run brings every copy to this rule, so the counts below are
    # this test's alone, whatever ran before
    stack.ctl_out("integration", "redact")
    # a copy as an envint before the array rule stored it: the secrets in clear
    stack.sql("UPDATE integration SET config_public = config WHERE id = UNHEX('%s')" % hexid)
    check(secrets(token, ei) == ["array-secret-one", "array-secret-two"],
          "the stale copy was not what the API served")
    total = int(stack.sql("SELECT COUNT(*) FROM integration")[0][0])
    out = stack.ctl_out("integration", "redact")
    check(out == "1 of %d redacted copies rewritten" % total, out)
    check(secrets(token, ei) == [REDACTED, REDACTED], "still leaking after redact")
    check(secrets(own_token, own_ei) == ["array-secret-one", "array-secret-two"],
          "the owner lost its secrets")
    out = stack.ctl_out("integration", "redact")
    check(out == "0 of %d redacted copies rewritten" % total, out)
    # a stored config the importer would refuse: reported by id, exit 1, the
    # other integrations still walked and its copy left alone
    stack.sql("UPDATE integration SET config = '{\"nope\":1}' WHERE id = UNHEX('%s')" % hexid)
    r = stack.ctl("integration", "redact", check=False)
    check(r.returncode == 1 and integ in r.stderr and "unknown key" in r.stderr, r.stderr)
    check(r.stdout.strip() == "0 of %d redacted copies rewritten" % total, r.stdout)
    check(secrets(token, ei) == [REDACTED, REDACTED], "a failed walk touched the copy")
    stack.sql("DELETE FROM environment_integration WHERE integration_id = UNHEX('%s')" % hexid)
    stack.sql("DELETE FROM integration WHERE id = UNHEX('%s')" % hexid)


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


def test_migrations_0002_to_0006_upgrade_installs(stack):
    """A database at schema version 1 with installs, migrated as it would
    have been: to version 2 (0002: integration_install as sorted id lists),
    then with a new install, through version 3 (0003: every environment gets
    its number in its team in creation order, the lists become bitmaps of
    those numbers, the triggers keep them after that, and number a new
    environment) to version 4 (0004: every integration has a version, 1 for
    the existing ones), 5 (0005: the change history, empty for existing
    installs, then kept by the triggers) and 6 (0006: each override stored
    once), and re-running 0003 to 0006 (as after a failure half-way) is
    safe."""
    db = "envint_mig2"
    stack.sql_root("DROP DATABASE IF EXISTS %s; CREATE DATABASE %s;"
                   "GRANT ALL ON %s.* TO 'envint'@'localhost';" % (db, db, db))
    d = tempfile.mkdtemp(dir=stack.dir)
    try:
        shutil.copy(os.path.join(stack.srcdir, "db", "schema.sql"), d)
        out = stack.ctl("--db-name", db, "migrate", "--dir", d)
        check(out.stdout.strip() == "schema version 1", out.stdout + out.stderr)
        t0, t1 = "'2021-01-01 00:00:00.000'", "'2021-01-02 00:00:00.000'"
        team, other = "AA" * 16, "BB" * 16
        # created at t0 in id order E1, E2, E3; E0 a day later: numbers
        # follow (created_at, id), not the ids alone
        envs = {e: ("%02X" % b) * 16 for e, b in (("e0", 0xE0), ("e1", 0xE1), ("e2", 0xE2),
                                                   ("e3", 0xE3))}
        created = {"e0": t1, "e1": t0, "e2": t0, "e3": t0}
        want_no = {"e1": 0, "e2": 1, "e3": 2, "e0": 3}
        integs = ["%02X" % b * 16 for b in (0x11, 0x12)]
        sql = ["INSERT INTO team (id, name, created_at, updated_at) VALUES (UNHEX('%s'), '%s', %s, %s);"
               % (t, t[:2], t0, t0) for t in (team, other)]
        sql += ["INSERT INTO environment (id, team_id, name, created_at, updated_at) VALUES"
                " (UNHEX('%s'), UNHEX('%s'), '%s', %s, %s);" % (envs[e], team, e, created[e], created[e])
                for e in sorted(envs)]
        sql += ["INSERT INTO environment (id, team_id, name, created_at, updated_at) VALUES"
                " (UNHEX('%s'), UNHEX('%s'), 'o', %s, %s);" % ("EF" * 16, other, t0, t0)]
        sql += ["INSERT INTO integration (id, team_id, name, category, config, config_public,"
                " created_at, updated_at) VALUES (UNHEX('%s'), UNHEX('%s'), 'i%d', 'crm', '{}',"
                " '{}', %s, %s);" % (i, team, k, t0, t0) for k, i in enumerate(integs)]

        def install(n, env_id, team_id, integ):
            return ("INSERT INTO environment_integration (id, environment_id, team_id, integration_id,"
                    " created_at, updated_at) VALUES (UNHEX('%032X'), UNHEX('%s'), UNHEX('%s'),"
                    " UNHEX('%s'), %s, %s);" % (n, env_id, team_id, integ, t0, t0))
        installs = [("e3", integs[0]), ("e1", integs[0]), ("e0", integs[0]), ("e0", integs[1])]
        sql += [install(k + 1, envs[e], team, i) for k, (e, i) in enumerate(installs)]
        sql.append(install(5, "EF" * 16, other, integs[0]))
        stack.sql_root("\n".join(sql), database=db)
        # version 2, as before
        os.mkdir(os.path.join(d, "migrations"))
        shutil.copy(os.path.join(stack.srcdir, "db", "migrations", "0002_integration_install.sql"),
                    os.path.join(d, "migrations"))
        out = stack.ctl("--db-name", db, "migrate", "--dir", d)
        check(out.stdout.strip() == "schema version 2", out.stdout + out.stderr)
        # an install under version 2's triggers
        stack.sql_root(install(6, envs["e2"], team, integs[1]), database=db)
        for attempt in range(2):
            out = stack.ctl("--db-name", db, "migrate", "--dir", os.path.join(stack.srcdir, "db"))
            check(out.stdout.strip() == "schema version 6", out.stdout + out.stderr)
            check(out.stderr.index("0003_") < out.stderr.index("0004_") <
                  out.stderr.index("0005_") < out.stderr.index("0006_"), out.stderr)
            hist = stack.sql_root("SELECT COUNT(*) FROM ei_history", database=db).stdout.strip()
            check(hist == "0", "attempt %d: history invented for old installs: %s"
                  % (attempt, hist))
            vers = stack.sql_root("SELECT version FROM integration", database=db).stdout.split()
            check(vers == ["1", "1"], "attempt %d: integration versions %r" % (attempt, vers))
            nos = dict(line.split("\t") for line in stack.sql_root(
                "SELECT name, env_no FROM environment", database=db).stdout.splitlines())
            check(nos == dict({e: str(n) for e, n in want_no.items()}, o="0"),
                  "attempt %d: numbers %r" % (attempt, nos))
            rows = stack.sql_root("SELECT HEX(team_id), HEX(integration_id), HEX(env_bits) FROM"
                                  " integration_install ORDER BY team_id, integration_id",
                                  database=db).stdout.split()
            # integs[0]: e3 (2), e1 (0), e0 (3) = 0b1101; integs[1]: e0 (3), e2 (1) = 0b1010
            check(rows == [team, integs[0], "0D", team, integs[1], "0A", other, integs[0], "01"],
                  "attempt %d: %r" % (attempt, rows))
            check(install_drift(stack, db) == [], install_drift(stack, db))
            # as if the file had failed before recording itself
            stack.sql_root("DELETE FROM schema_version WHERE version >= 3", database=db)
        stack.ctl("--db-name", db, "migrate", "--dir", os.path.join(stack.srcdir, "db"))
        # the new triggers: a new environment takes the next number, and
        # an install and an uninstall set and clear single bits
        stack.sql_root("INSERT INTO environment (id, team_id, name, created_at, updated_at) VALUES"
                       " (UNHEX('%s'), UNHEX('%s'), 'e4', %s, %s);" % ("E4" * 16, team, t0, t0)
                       + install(9, "E4" * 16, team, integs[1])
                       + " DELETE FROM environment_integration WHERE id = UNHEX('%032X');" % 3,
                       database=db)
        no = stack.sql_root("SELECT env_no FROM environment WHERE name = 'e4'", database=db).stdout
        check(no.strip() == "4", no)
        rows = stack.sql_root("SELECT HEX(env_bits) FROM integration_install WHERE team_id ="
                              " UNHEX('%s') ORDER BY integration_id" % team, database=db).stdout.split()
        check(rows == ["05", "1A"], rows)
        check(install_drift(stack, db) == [], install_drift(stack, db))
        # 0005's triggers: the new install has its first entry (a DBA's:
        # admin, no token), an UPDATE that raises the version the next,
        # one that leaves it alone none; the SQL DELETE none (the API's
        # DELETE writes its uninstall entry itself)
        stack.sql_root("UPDATE environment_integration SET version = version + 1,"
                       " is_enabled = FALSE WHERE id = UNHEX('%032X');"
                       " UPDATE environment_integration SET show_in_catalog = TRUE"
                       " WHERE id = UNHEX('%032X');" % (9, 9), database=db)
        hist = stack.sql_root("SELECT HEX(ei_id), version, kind, token_id IS NULL, is_enabled"
                              " FROM ei_history ORDER BY version", database=db).stdout.split()
        check(hist == ["%032X" % 9, "1", "admin", "1", "1", "%032X" % 9, "2", "admin", "1", "0"],
              hist)
        # the procedures of 0002 are gone
        procs = stack.sql_root("SELECT COUNT(*) FROM information_schema.routines"
                               " WHERE routine_schema = '%s'" % db).stdout.strip()
        check(procs == "0", procs)
    finally:
        shutil.rmtree(d)
        stack.sql_root("DROP DATABASE IF EXISTS %s" % db)


def test_migration_0006_stores_each_history_override_once(stack):
    """A database at version 5 whose history holds overrides (written by
    0005's triggers) migrates to 6: every entry keeps its override, now
    stored once per install and distinct override with the count of
    entries naming it, and ei_history's own copy is gone; re-running 0006
    changes nothing; after it the triggers count each new entry, pruning
    and any DELETE of entries uncount them, and an override goes with its
    last entry."""
    db = "envint_mig6"
    stack.sql_root("DROP DATABASE IF EXISTS %s; CREATE DATABASE %s;"
                   "GRANT ALL ON %s.* TO 'envint'@'localhost';" % (db, db, db))
    d = tempfile.mkdtemp(dir=stack.dir)

    def sql(text):
        return stack.sql_root(text, database=db).stdout

    def migrate(src, want):
        out = stack.ctl("--db-name", db, "migrate", "--dir", src)
        check(out.stdout.strip() == "schema version %d" % want, out.stdout + out.stderr)

    def overrides(ei, joined=True):
        """The ei's entries' overrides, oldest first: through the join, or
        (joined false) from 0005's own column."""
        source = ("IFNULL(o.override, '-') FROM ei_history h LEFT JOIN ei_history_override o"
                  " ON o.ei_id = h.ei_id AND o.sha256 = h.override_sha" if joined
                  else "IFNULL(h.override, '-') FROM ei_history h")
        return [line.split("\t")[1] for line in sql(
            "SELECT h.version, %s WHERE h.ei_id = UNHEX('%032X') ORDER BY h.version"
            % (source, ei)).splitlines()]

    def stored():
        return sorted(tuple(line.split("\t")) for line in sql(
            "SELECT HEX(ei_id), override, refs FROM ei_history_override").splitlines())

    def update(ei, override):
        return ("UPDATE environment_integration SET version = version + 1, override = %s"
                " WHERE id = UNHEX('%032X');" % ("NULL" if override is None else "'%s'" % override, ei))

    a, b, c = '{"label":"a"}', '{"label":"b"}', '{"label":"c"}'
    try:
        shutil.copy(os.path.join(stack.srcdir, "db", "schema.sql"), d)
        os.mkdir(os.path.join(d, "migrations"))
        for n in ("0002_integration_install", "0003_install_bitmap", "0004_integration_version",
                  "0005_history"):
            shutil.copy(os.path.join(stack.srcdir, "db", "migrations", n + ".sql"),
                        os.path.join(d, "migrations"))
        migrate(d, 5)
        team, env, integ = "AA" * 16, "AE" * 16, "A1" * 16
        t0 = "'2021-01-01 00:00:00.000'"
        sql("INSERT INTO team (id, name, created_at, updated_at) VALUES (UNHEX('%s'), 't', %s, %s);"
            "INSERT INTO environment (id, team_id, name, created_at, updated_at) VALUES"
            " (UNHEX('%s'), UNHEX('%s'), 'e', %s, %s);"
            "INSERT INTO integration (id, team_id, name, category, config, config_public,"
            " created_at, updated_at) VALUES (UNHEX('%s'), UNHEX('%s'), 'i', 'crm', '{}', '{}',"
            " %s, %s);" % (team, t0, t0, env, team, t0, t0, integ, team, t0, t0))
        for n, first in ((1, a), (2, a), (3, None)):
            sql("INSERT INTO integration (id, team_id, name, category, config, config_public,"
                " created_at, updated_at) VALUES (UNHEX('%032X'), UNHEX('%s'), 'i%d', 'crm', '{}',"
                " '{}', %s, %s);"
                "INSERT INTO environment_integration (id, environment_id, team_id, integration_id,"
                " override, created_at, updated_at) VALUES (UNHEX('%032X'), UNHEX('%s'),"
                " UNHEX('%s'), UNHEX('%032X'), %s, %s, %s);"
                % (0x100 + n, team, n, t0, t0, n, env, team, 0x100 + n,
                   "NULL" if first is None else "'%s'" % first, t0, t0))
        sql(update(1, b) + update(1, a) + update(1, None) + update(1, a))
        before = {ei: overrides(ei, joined=False) for ei in (1, 2, 3)}
        check(before == {1: [a, b, a, "-", a], 2: [a], 3: ["-"]}, "under 0005: %r" % before)

        for attempt in range(2):
            migrate(os.path.join(stack.srcdir, "db"), 6)
            cols = sql("SELECT column_name FROM information_schema.columns WHERE table_schema ="
                       " '%s' AND table_name = 'ei_history' AND column_name LIKE 'override%%'"
                       % db).split()
            check(cols == ["override_sha"], "attempt %d: columns %r" % (attempt, cols))
            after = {ei: overrides(ei) for ei in (1, 2, 3)}
            check(after == before, "attempt %d: %r" % (attempt, after))
            check(stored() == [("%032X" % 1, a, "3"), ("%032X" % 1, b, "1"), ("%032X" % 2, a, "1")],
                  "attempt %d: %r" % (attempt, stored()))
            check(history_override_drift(stack, db) == [], history_override_drift(stack, db))
            # as if the file had failed before recording itself
            sql("DELETE FROM schema_version WHERE version >= 6")
        migrate(os.path.join(stack.srcdir, "db"), 6)

        # 0006's triggers, keeping 2 as an envint connection would: v6 (c)
        # is stored; v7 to v15 (a, b in turn) count; v16 (b) prunes up to
        # 16 - 2 = 14, which leaves v15 (a) and v16 (b) and uncounts c
        news = [c] + [a if v % 2 else b for v in range(7, 17)]
        sql("SET @envint_history_keep = 2;" + "".join(update(1, o) for o in news[:-1]))
        check(overrides(1) == [a, b, a, "-", a] + news[:-1], overrides(1))
        check(stored() == [("%032X" % 1, a, "8"), ("%032X" % 1, b, "5"), ("%032X" % 1, c, "1"),
                           ("%032X" % 2, a, "1")], stored())
        sql("SET @envint_history_keep = 2;" + update(1, news[-1]))
        check(overrides(1) == [a, b], overrides(1))
        check(stored() == [("%032X" % 1, a, "1"), ("%032X" % 1, b, "1"), ("%032X" % 2, a, "1")],
              stored())
        check(history_override_drift(stack, db) == [], history_override_drift(stack, db))
        # b's only entry goes, and b with it; then a DBA's DELETE of all
        sql("DELETE FROM ei_history WHERE ei_id = UNHEX('%032X') AND version = 16" % 1)
        check(("%032X" % 1, b, "1") not in stored() and history_override_drift(stack, db) == [],
              stored())
        sql("DELETE FROM ei_history WHERE ei_id = UNHEX('%032X')" % 1)
        check(stored() == [("%032X" % 2, a, "1")], stored())
        check(history_override_drift(stack, db) == [], history_override_drift(stack, db))
    finally:
        shutil.rmtree(d)
        stack.sql_root("DROP DATABASE IF EXISTS %s" % db)


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


def test_cli_flags_win_over_the_file_wherever_they_stand(stack):
    """envintctl reads the configuration as envint does: the file, then the
    flags (before or after --config, --key value or --key=value), then the
    same checks. (It once let a file named after the flags win, and never
    checked.)"""
    ctl = stack.binary("envintctl")
    conf = stack.config_path()
    name = "flags-%d" % os.getpid()
    for args in (["--db-name", "no_such_database", "--config", conf],
                 ["--config", conf, "--db-name=no_such_database"]):
        r = subprocess.run([ctl] + args + ["team", "create", "--name", name],
                           capture_output=True, text=True, timeout=60)
        check(r.returncode == 1 and "cannot connect" in r.stderr, (args, r.returncode, r.stderr))
    check(stack.sql("SELECT COUNT(*) FROM team WHERE name = '%s'" % name) == [["0"]],
          "a team was created in the file's database")
    # the relations between keys are checked, whatever came from where
    r = subprocess.run([ctl, "--page-default", "500", "--config", conf, "--page-max=100",
                        "team", "create", "--name", name], capture_output=True, text=True,
                       timeout=60)
    check(r.returncode == 2 and "page_default" in r.stderr, (r.returncode, r.stderr))
    r = subprocess.run([ctl, "--config", conf, "--no-such-key", "1", "team", "create",
                        "--name", name], capture_output=True, text=True, timeout=60)
    check(r.returncode == 2 and "--no-such-key" in r.stderr, (r.returncode, r.stderr))
    # and a good flag after the file works
    r = subprocess.run([ctl, "--config", conf, "--db-name=envint", "team", "create",
                        "--name", name], capture_output=True, text=True, timeout=60)
    check(r.returncode == 0, r.stderr)


def test_migrate_checks_the_server_before_changing_anything(stack):
    """On a server with binary logging (as on a Galera node) a user without
    SUPER cannot create the triggers of migration 0002 unless
    log_bin_trust_function_creators is on: migrate says so in one line and
    changes nothing, instead of failing half way (error 1419). Then it
    applies everything once the setting is on. Every table has a primary
    key (Galera replicates none without one)."""
    from stack import Stack
    other = Stack(stack.builddir, stack.srcdir,
                  directory=tempfile.mkdtemp(prefix="binlog-", dir=stack.dir))
    saved = os.environ.get("ENVINT_MARIADB_ARGS")
    os.environ["ENVINT_MARIADB_ARGS"] = (saved or "") + " --log-bin=binlog --binlog-format=ROW"
    try:
        other.start_db()
    finally:
        if saved is None:
            del os.environ["ENVINT_MARIADB_ARGS"]
        else:
            os.environ["ENVINT_MARIADB_ARGS"] = saved
    try:
        other.write_config()
        check(other.sql_root("SELECT @@log_bin").stdout.strip() == "1", "binary logging is off")
        r = other.ctl("migrate", "--dir", os.path.join(stack.srcdir, "db"), check=False)
        lines = [l for l in r.stderr.splitlines() if l.strip()]
        check(r.returncode == 1 and len(lines) == 1 and
              "log_bin_trust_function_creators" in lines[0] and "nothing was changed" in lines[0],
              (r.returncode, r.stderr))
        check(other.sql("SHOW TABLES") == [], "migrate changed something: %r" % other.sql("SHOW TABLES"))
        other.sql_root("SET GLOBAL log_bin_trust_function_creators = 1")
        r = other.ctl("migrate", "--dir", os.path.join(stack.srcdir, "db"))
        check(r.stdout.strip() == "schema version 6", r.stdout)
        nokey = other.sql(
            "SELECT t.TABLE_NAME FROM information_schema.TABLES t WHERE t.TABLE_SCHEMA = 'envint'"
            " AND NOT EXISTS (SELECT 1 FROM information_schema.TABLE_CONSTRAINTS c"
            "  WHERE c.TABLE_SCHEMA = t.TABLE_SCHEMA AND c.TABLE_NAME = t.TABLE_NAME"
            "  AND c.CONSTRAINT_TYPE = 'PRIMARY KEY')")
        check(nokey == [], "tables without a primary key: %r" % nokey)
        # nothing left to apply: no check needed, nothing printed but the version
        r = other.ctl("migrate", "--dir", os.path.join(stack.srcdir, "db"))
        check(r.stdout.strip() == "schema version 6", r.stdout)
    finally:
        other.stop_db()
