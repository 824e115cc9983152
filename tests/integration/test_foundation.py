"""Foundation through nginx: health, the error envelope, routing,
authentication and token storage."""
import hashlib
import os
import subprocess
import tempfile
import uuid

from helpers import check, demo_ei, expect_error


def test_healthz_through_nginx(stack):
    r = stack.get("/healthz")
    check(r.status == 200, "status %d" % r.status)
    check(r.json() == {"status": "ok"}, r.body)
    check((r.header("Content-Type") or "").startswith("application/json"), r.headers)
    check(r.header("X-Request-Id"), "no X-Request-Id")


def test_request_id_on_every_response(stack):
    ids = set()
    for path, token in (("/healthz", None), ("/nope", None),
                        ("/environment-integration/x", None)):
        r = stack.get(path, token=token)
        rid = r.header("X-Request-Id")
        check(rid and len(rid) <= 64, "%s: X-Request-Id %r" % (path, rid))
        ids.add(rid)
    check(len(ids) == 3, "request ids repeat: %r" % ids)


def test_unknown_path_is_404_envelope(stack):
    for path in ("/nope", "/environment-integrations", "/environment-integration/a/b",
                 "/healthz/extra", "/", "/a/%2e%2e/healthz/x"):
        expect_error(stack.get(path), 404)
    # nginx itself refuses a broken escape; its page is the JSON envelope too
    for path in ("/%zz", "/healthz%00", "/%2e%2e/healthz"):
        expect_error(stack.get(path), 400)


def test_wrong_method_is_405_with_allow(stack):
    r = stack.request("POST", "/healthz")
    expect_error(r, 405)
    check(r.header("Allow") == "GET, HEAD", "Allow %r" % r.header("Allow"))
    r = stack.request("PUT", "/environment-integration/" + str(uuid.uuid4()),
                      token=stack.tokens["acme-team"])
    expect_error(r, 405)
    check("GET" in r.header("Allow"), "Allow %r" % r.header("Allow"))


def test_missing_token_is_401(stack):
    r = stack.get("/environment-integration/" + demo_ei(stack))
    expect_error(r, 401, "missing")
    check(r.header("WWW-Authenticate", ) is not None, "no WWW-Authenticate")


def test_malformed_tokens_are_401(stack):
    path = "/environment-integration/" + demo_ei(stack)
    good = stack.tokens["acme-team"]
    for header in ("Basic " + good, "Bearer", "Bearer ", "Bearer short",
                   "Bearer " + good[:-1], "Bearer " + good + "0",
                   "Bearer " + good[:-1] + "g", "Bearer xx" + good[2:],
                   "Token " + good, good):
        r = stack.get(path, headers={"Authorization": header})
        expect_error(r, 401, "malformed")


def test_unknown_token_is_401(stack):
    path = "/environment-integration/" + demo_ei(stack)
    good = stack.tokens["acme-team"]
    unknown_selector = "ei_" + os.urandom(8).hex() + good[19:]
    wrong_secret = good[:19] + os.urandom(32).hex()
    for tok in (unknown_selector, wrong_secret):
        expect_error(stack.get(path, token=tok), 401, "invalid")


def test_bearer_scheme_is_case_insensitive(stack):
    path = "/environment-integration/" + demo_ei(stack)
    r = stack.get(path, headers={"Authorization": "bearer " + stack.tokens["acme-team"]})
    check(r.status == 200, "status %d %r" % (r.status, r.body[:200]))


def test_revoked_token_is_401(stack):
    team = stack.sql("SELECT HEX(id) FROM team WHERE name = 'Acme Corp'")[0][0]
    team_id = "%s-%s-%s-%s-%s" % (team[:8], team[8:12], team[12:16], team[16:20], team[20:])
    tok = stack.ctl("token", "create", "--team", team_id.lower(), "--name", "t").stdout.strip()
    path = "/environment-integration/" + demo_ei(stack)
    check(stack.get(path, token=tok).status == 200, "fresh token refused")
    stack.ctl("token", "revoke", tok)
    expect_error(stack.get(path, token=tok), 401)


def test_tokens_are_stored_hashed(stack):
    tok = stack.tokens["acme-team"]
    selector, secret = tok[3:19], tok[19:]
    rows = stack.sql("SELECT HEX(secret_sha256), HEX(selector) FROM api_token"
                     " WHERE selector = UNHEX('%s')" % selector)
    check(len(rows) == 1, rows)
    want = hashlib.sha256(bytes.fromhex(secret)).hexdigest().upper()
    check(rows[0][0] == want, "stored hash is not SHA-256 of the secret")
    dump = subprocess.run(["mariadb-dump", "--no-defaults", "-S", stack.db_sock, "-uroot",
                           "--hex-blob", "envint", "api_token"],
                          capture_output=True, text=True, check=True).stdout
    check(secret not in dump.lower() and tok not in dump, "plaintext secret in the database")


def test_get_one_own_and_other_tenant(stack):
    ei = demo_ei(stack)
    r = stack.get("/environment-integration/" + ei, token=stack.tokens["acme-team"])
    check(r.status == 200, r.body[:300])
    obj = r.json()
    check(obj["id"] == ei, obj.get("id"))
    check(obj["integration"]["name"] == "zendesk", obj["integration"])
    # another team's token: exactly the 404 of an id that does not exist
    other = stack.get("/environment-integration/" + ei, token=stack.tokens["globex-team"])
    missing = stack.get("/environment-integration/" + str(uuid.uuid4()),
                        token=stack.tokens["globex-team"])
    expect_error(other, 404)
    check(other.json() == missing.json(), "other tenant's 404 differs from a missing id")
    # an environment token of the same team sees only its environment
    staging = demo_ei(stack, env="staging")
    expect_error(stack.get("/environment-integration/" + staging,
                           token=stack.tokens["acme-production"]), 404)
    check(stack.get("/environment-integration/" + ei,
                    token=stack.tokens["acme-production"]).status == 200, "own env refused")


def test_malformed_id_is_404(stack):
    tok = stack.tokens["acme-team"]
    for bad in ("not-a-uuid", "1", "'%20OR%201=1%20--", "%27%20OR%201%3D1",
                "3fda2b4c-0516-41bc-8ae6-4927e42ecce9x", "3fda2b4c05164"):
        expect_error(stack.get("/environment-integration/" + bad, token=tok), 404)


def _run_envint(stack, *args, conf_text=None):
    argv = [stack.binary("envint")]
    if conf_text is not None:
        fd, path = tempfile.mkstemp(dir=stack.dir, suffix=".conf")
        with os.fdopen(fd, "w") as f:
            f.write(conf_text)
        argv += ["--config", path]
    return subprocess.run(argv + list(args), capture_output=True, text=True, timeout=20,
                          stdin=subprocess.DEVNULL)


def test_bad_config_exits_2_naming_the_key(stack):
    cases = [
        ((), "workers = 257\n", "workers"),
        ((), "status_path = status\n", "status_path"),
        ((), "status_path = /healthz\n", "'status_path' /healthz is a route"),
        ((), "bogus = 1\n", "unknown key 'bogus'"),
        ((), "body_max = lots\n", "body_max"),
        ((), "log_level = loud\n", "log_level"),
        ((), "page_default = 2000\n", "page_default"),
        (("--workers", "-1"), "", "workers"),
        (("--no-such-flag", "1"), "", "no_such_flag"),
    ]
    for args, text, want in cases:
        r = _run_envint(stack, *args, conf_text=text)
        check(r.returncode == 2, "%r %r: exit %d" % (args, text, r.returncode))
        check(want in r.stderr, "%r %r: stderr %r lacks %r" % (args, text, r.stderr, want))
    r = _run_envint(stack, "--check-config", conf_text="workers = 3\n")
    check(r.returncode == 0, r.stderr)
    r = _run_envint(stack, "--config", "/nonexistent/envint.conf")
    check(r.returncode == 2 and "/nonexistent/envint.conf" in r.stderr, r.stderr)


def test_no_listen_and_no_inherited_socket_exits_2(stack):
    r = _run_envint(stack, conf_text="workers = 1\n")
    check(r.returncode == 2 and "listen" in r.stderr, (r.returncode, r.stderr))
