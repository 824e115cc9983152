"""The database going away and coming back, seen through nginx."""
import os
import shutil
import signal
import subprocess
import tempfile
import time

from helpers import check, demo_ei, expect_error


def test_db_stopped_gives_503_then_recovers(stack):
    ei = demo_ei(stack)
    token = stack.tokens["acme-team"]
    master = stack.master_pid()
    env_token = stack.tokens["acme-production"]
    integration = stack.get("/environment-integration/" + ei, token=env_token).json()["integration_id"]
    before_version = stack.sql("SELECT version FROM environment_integration WHERE id = UNHEX('%s')"
                               % ei.replace("-", ""))[0][0]
    stack.stop_db()
    try:
        for _ in range(3):
            r = stack.get("/healthz")
            body = expect_error(r, 503)
            check(r.header("Retry-After") == "1", r.headers)
            check(r.elapsed < stack.db_timeout + 1, "took %.2fs" % r.elapsed)
            check("SQL" not in body["message"] and "mysql" not in body["message"].lower(),
                  body["message"])
            r = stack.get("/environment-integration/" + ei, token=token)
            expect_error(r, 503)
            check(r.elapsed < stack.db_timeout + 1, "took %.2fs" % r.elapsed)
        # valid writes too: 503 with Retry-After, never a hang, whichever
        # layer meets the outage first (the token lookup, or the write
        # itself while the worker still holds the token in its cache)
        for method, path, body in (
                ("PATCH", "/environment-integration/" + ei, {"is_enabled": True}),
                ("DELETE", "/environment-integration/" + ei, None),
                ("POST", "/environment-integration", {"integration_id": integration})):
            r = stack.request(method, path, token=env_token, body=body)
            expect_error(r, 503)
            check(r.header("Retry-After") == "1", "%s: %r" % (method, r.headers))
            check(r.elapsed < stack.db_timeout + 1, "%s took %.2fs" % (method, r.elapsed))
    finally:
        stack.start_db()
    deadline = time.monotonic() + 20
    while stack.get("/healthz").status != 200:
        check(time.monotonic() < deadline, "no recovery after the database restart")
        time.sleep(0.2)
    # every worker reconnects: several requests in a row all succeed
    for _ in range(10):
        r = stack.get("/environment-integration/" + ei, token=token)
        check(r.status == 200, "after restart: %d %r" % (r.status, r.body[:200]))
    # the writes refused during the outage wrote nothing
    check(stack.sql("SELECT version FROM environment_integration WHERE id = UNHEX('%s')"
                    % ei.replace("-", ""))[0][0] == before_version, "a refused write landed")
    check(stack.master_pid() == master and stack.app_proc.poll() is None, "app restarted")


def test_db_hung_gives_503_within_timeout(stack):
    """A server that accepts but never answers (SIGSTOP): no request hangs."""
    ei = demo_ei(stack)
    token = stack.tokens["acme-team"]
    stack.db_proc.send_signal(signal.SIGSTOP)
    try:
        for path, tok in (("/environment-integration/" + ei, token), ("/healthz", None)):
            r = stack.get(path, token=tok, timeout=60)
            expect_error(r, 503)
            check(r.elapsed < stack.db_timeout + 1.5, "%s took %.2fs" % (path, r.elapsed))
    finally:
        stack.db_proc.send_signal(signal.SIGCONT)
    deadline = time.monotonic() + 20
    while stack.get("/environment-integration/" + ei, token=token).status != 200:
        check(time.monotonic() < deadline, "no recovery after SIGCONT")
        time.sleep(0.2)


def test_private_database_installs_where_the_host_name_does_not_resolve(stack):
    """The private MariaDB of dev.sh and the tests installs on a machine
    where neither the host name nor localhost resolves (a minimal root
    without /etc/hosts), emulated in a mount and UTS namespace. The plain
    command fails there: the emulation reproduces the problem."""
    shell = ('mount --bind /dev/null /etc/hosts && hostname envint-no-such-host-7q && '
             'exec "$@"')
    # Inside a chroot whose root is not a mount point (a fresh-run root)
    # unshare cannot make the new mount namespace private, and a bind
    # mount there could reach the host's; /etc/hosts then stays and only
    # the host name is made unresolvable, where the plain command works.
    probe = subprocess.run(["unshare", "--mount", "true"], capture_output=True, text=True)
    chroot = "cannot change root filesystem propagation" in probe.stderr
    if chroot:
        shell = 'hostname envint-no-such-host-7q && exec "$@"'
        print("# a chroot: /etc/hosts cannot be hidden, only the host name is unresolvable")
    work = tempfile.mkdtemp(prefix="installdb-", dir=stack.dir)
    try:
        results = []
        for name, force in (("plain", False), ("ours", True)):
            datadir = os.path.join(work, name)
            cmd = stack.install_db_command(datadir)
            if not force:
                cmd = [a for a in cmd if a != "--force"]
            ns = ["--uts"] if chroot else ["--mount", "--uts"]
            r = subprocess.run(["unshare"] + ns + ["sh", "-c", shell, "sh"] + cmd,
                               capture_output=True, text=True, timeout=120)
            results.append((name, r.returncode, r.stdout + r.stderr))
        check(chroot or (results[0][1] != 0 and "could be looked up" in results[0][2]),
              "the emulation did not reproduce the failure: %r"
              % (results[0][:2] + (results[0][2][-300:],),))
        check(results[1][1] == 0 and os.path.isdir(os.path.join(work, "ours", "mysql")),
              "install failed: %r" % (results[1][:2] + (results[1][2][-300:],),))
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _history_au(stack):
    """The text of trigger ei_history_au as db/migrations/0006 creates it."""
    with open(os.path.join(stack.srcdir, "db", "migrations", "0006_history_overrides.sql")) as f:
        sql = f.read()
    start = sql.index("CREATE TRIGGER ei_history_au")
    return sql[start:sql.index("\nEND;", start) + 4]


def _replace_trigger(stack, text):
    """Drops ei_history_au and creates `text` in its place, through the
    mariadb client (DELIMITER keeps the body whole)."""
    r = subprocess.run(["mariadb", "--no-defaults", "-S", stack.db_sock, "-uroot", "envint"],
                       input="DROP TRIGGER IF EXISTS ei_history_au;\nDELIMITER //\n%s//\n"
                       "DELIMITER ;\n" % text, capture_output=True, text=True)
    check(r.returncode == 0, r.stderr)


def test_statements_prepared_before_a_schema_change_are_prepared_again(stack):
    """MariaDB 10.11 answers "Table 'envint.t' doesn't exist" (1146) to every execution of
    a statement prepared before the triggers of its table were replaced by ones with a
    table alias (or a table they use was altered), until the connection goes. envint
    reconnects and runs it again: writes through workers that kept their statements across
    such a change all succeed, and each leaves its history entry."""
    ei = demo_ei(stack)
    token = stack.tokens["acme-production"]
    path = "/environment-integration/" + ei
    hexid = ei.replace("-", "")

    def patches(what):
        # enough for every worker of the stack to run (and so hold) the
        # prepared UPDATE
        for k in range(3 * stack.workers):
            r = stack.request("PATCH", path, token=token, body={"is_enabled": k % 2 == 0})
            check(r.status == 200, "%s: PATCH %d: %d %r" % (what, k, r.status, r.body[:200]))

    def entries():
        return int(stack.sql("SELECT COUNT(*) FROM ei_history WHERE ei_id = UNHEX('%s')"
                             % hexid)[0][0])

    original = _history_au(stack)
    # as 0005 had it: the token's name read through an alias
    aliased = original.replace("NEW.change_token_name,",
                               "(SELECT t.name FROM api_token t WHERE t.id = NEW.changed_by),")
    check(aliased != original, "0006's ei_history_au no longer reads change_token_name")
    log_path = os.path.join(stack.dir, "envint.log")
    log_from = os.path.getsize(log_path)
    try:
        patches("before")
        n = entries()
        _replace_trigger(stack, aliased)
        patches("aliased trigger")
        check(entries() == n + 3 * stack.workers, "entries %d, wanted %d"
              % (entries(), n + 3 * stack.workers))
        stack.sql("ALTER TABLE ei_history COMMENT = 'altered under prepared statements'")
        patches("ei_history altered")
    finally:
        stack.sql("ALTER TABLE ei_history COMMENT = ''")
        _replace_trigger(stack, original)
    patches("trigger put back")
    with open(log_path, errors="replace") as f:
        f.seek(log_from)
        log = f.read()
    # whether this MariaDB still has the bug (10.11.19 of Debian 12 does;
    # without the reconnect the first PATCH after the change is a 500): a
    # comment, since a fixed server makes the writes succeed all the same
    met = log.count("reconnecting (statements prepared before a schema change)")
    print("# the workers met MariaDB's 1146 after a schema change %d times" % met, flush=True)
