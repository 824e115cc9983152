"""Writes: PATCH, POST and DELETE of /environment-integration, with ETag and
If-Match, all through nginx.

Every check that says "nothing was written" compares the row's columns
(snapshot(): all of them, override as HEX, version, updated_at) and the
CHECKSUM of the whole environment_integration table before and after the
request, read from the database, not from the responses.

The demo installs are only read here (other modules use them later). What
this module writes lives in its own tenants, made with envintctl on first
use (world()): "Write Team" (environments prod and stage, a team token and
a prod environment token) and "Write Solo" (one environment). Each test
makes its own rows with fresh integrations (new_row()).

tests/data/body/fail/*.json is a corpus of bad PATCH bodies maintained
alongside; each may have a NAME.path sidecar holding the expected
details.failures[0].path. It is read at run time, file by file.
"""
import glob
import hashlib
import http.client
import json
import os
import random
import tempfile
import threading
import uuid

from helpers import check, expect_error, hex_to_uuid, install_drift

HERE = os.path.dirname(os.path.abspath(__file__))
FAIL_DIR = os.path.normpath(os.path.join(HERE, "..", "data", "body", "fail"))
PATH = "/environment-integration"
OBJECT_KEYS = ["id", "integration_id", "environment_id", "show_in_catalog", "is_enabled",
               "created_at", "updated_at", "integration", "override"]
JSON = "application/json"
MIB = 1024 * 1024
BODY_MAX = 8 * MIB          # envint's default body_max (the test stack keeps it)
DEPTH_MAX = 64              # default json_depth_max; the body object counts
# words that must never reach a client in an error message
LEAKS = ("yajl", "mysql", "mariadb", "sql", "/work", ".c:", "errno", "lexical", "parse error")


# ---------------------------------------------------------------------------
# Tenants of our own, made once per stack

class World:
    pass


_WORLDS = {}


def _dashed(hexid):
    return hex_to_uuid(hexid)


def _demo_id(stack, sql):
    rows = stack.sql(sql)
    check(len(rows) == 1, "%s: %r" % (sql, rows))
    return _dashed(rows[0][0])


def world(stack):
    w = _WORLDS.get(id(stack))
    if w is not None:
        return w
    w = World()
    w.dir = tempfile.mkdtemp(prefix="write-", dir=stack.dir)
    w.n = 0
    w.team = stack.ctl_out("team", "create", "--name", "Write Team", "--domain", "write.example")
    w.prod = stack.ctl_out("environment", "create", "--team", w.team, "--name", "prod")
    w.stage = stack.ctl_out("environment", "create", "--team", w.team, "--name", "stage")
    w.token = stack.ctl_out("token", "create", "--team", w.team, "--name", "write team")
    w.prod_token = stack.ctl_out("token", "create", "--environment", w.prod, "--name", "write prod")
    w.solo_team = stack.ctl_out("team", "create", "--name", "Write Solo")
    w.solo_env = stack.ctl_out("environment", "create", "--team", w.solo_team, "--name", "only")
    w.solo_token = stack.ctl_out("token", "create", "--team", w.solo_team, "--name", "solo")
    # our own copy of a "deny" integration: its owner may install it
    w.own_deny = stack.ctl_out("integration", "import",
                      os.path.join(stack.srcdir, "db", "demo", "integrations", "bamboohr.json"),
                      "--team", w.team)

    def demo_integ(team, name):
        return _demo_id(stack, "SELECT HEX(i.id) FROM integration i JOIN team t ON t.id = i.team_id"
                               " WHERE t.name = '%s' AND i.name = '%s'" % (team, name))

    def demo_env(team, name):
        return _demo_id(stack, "SELECT HEX(e.id) FROM environment e JOIN team t ON t.id = e.team_id"
                               " WHERE t.name = '%s' AND e.name = '%s'" % (team, name))
    w.freshdesk = demo_integ("Globex", "freshdesk")      # allow
    w.pipedrive = demo_integ("Globex", "pipedrive")      # ask
    w.bamboohr = demo_integ("Globex", "bamboohr")        # deny
    w.acme_quickbooks = demo_integ("Acme Corp", "quickbooks")
    w.globex_team_id = _demo_id(stack, "SELECT HEX(id) FROM team WHERE name = 'Globex'")
    w.acme_prod = demo_env("Acme Corp", "production")
    w.acme_staging = demo_env("Acme Corp", "staging")
    w.globex_prod = demo_env("Globex", "production")
    _WORLDS[id(stack)] = w
    return w


def new_integration(stack, team=None, sharing="allow"):
    """A fresh integration owned by `team` (default: Write Team); its id."""
    w = world(stack)
    w.n += 1
    name = "wt-%03d-%s" % (w.n, uuid.uuid4().hex[:6])
    path = os.path.join(w.dir, name + ".json")
    with open(path, "w") as f:
        json.dump({"name": name, "category": "crm", "is_beta": False, "sharing": sharing,
                   "config": {"base_url": "https://%s.example/api" % name, "label": name,
                              "headers": {"Accept": JSON}}}, f)
    return stack.ctl_out("integration", "import", path, "--team", team or w.team)


def new_row(stack, env=None):
    """A fresh install (by envintctl, not by the API under test) in our prod
    environment unless told: (environment integration id, integration id)."""
    w = world(stack)
    integ = new_integration(stack)
    ei = stack.ctl_out("install", "--environment", env or w.prod, "--integration", integ)
    return ei, integ


# ---------------------------------------------------------------------------
# Reading the database

_SNAP_COLS = ("id", "environment_id", "team_id", "integration_id", "show_in_catalog",
              "is_enabled", "override_hex", "override_is_null", "override_len",
              "override_sha256", "version", "created_at", "updated_at")
# HEX() of a bigger override would pass the client's max_allowed_packet;
# then only its length and SHA-256 are compared
HEX_MAX = 1 * MIB


def _hex(u):
    return u.replace("-", "")


def state(stack, ei):
    """(snapshot of the row or None, CHECKSUM of the whole table), one query."""
    rows = stack.sql(
        "SELECT LOWER(HEX(id)), LOWER(HEX(environment_id)), LOWER(HEX(team_id)),"
        " LOWER(HEX(integration_id)), show_in_catalog, is_enabled,"
        " IF(LENGTH(override) > %d, 'BIG', HEX(override)), override IS NULL,"
        " LENGTH(override), SHA2(override, 256), version, created_at, updated_at"
        " FROM environment_integration WHERE id = UNHEX('%s');"
        " CHECKSUM TABLE environment_integration;" % (HEX_MAX, _hex(ei)))
    check(rows and rows[-1][0] == "envint.environment_integration", rows)
    checksum = rows[-1][1]
    rows = rows[:-1]
    check(len(rows) <= 1, rows)
    if not rows:
        return None, checksum
    snap = dict(zip(_SNAP_COLS, rows[0]))
    for k in ("id", "environment_id", "team_id", "integration_id"):
        snap[k] = _dashed(snap[k])
    snap["show_in_catalog"] = snap["show_in_catalog"] == "1"
    snap["is_enabled"] = snap["is_enabled"] == "1"
    snap["override_is_null"] = snap["override_is_null"] == "1"
    snap["override_bytes"] = None if snap["override_is_null"] or snap["override_hex"] == "BIG" \
        else bytes.fromhex(snap["override_hex"])
    snap["version"] = int(snap["version"])
    return snap, checksum


def snapshot(stack, ei):
    """Every column of one row (override as its exact bytes), or None."""
    return state(stack, ei)[0]


def api_time(db_time):
    """A DATETIME(3) as the mariadb client prints it, in the API's format."""
    return db_time.replace(" ", "T") + "Z"


def count_installs(stack, env, integ):
    return int(stack.sql("SELECT COUNT(*) FROM environment_integration WHERE environment_id ="
                         " UNHEX('%s') AND integration_id = UNHEX('%s')"
                         % (_hex(env), _hex(integ)))[0][0])


def table_checksum(stack):
    return stack.sql("CHECKSUM TABLE environment_integration")[0][1]


# ---------------------------------------------------------------------------
# Requests

def send(stack, method, path, token, body=None, ctype=JSON, headers=None, timeout=30):
    h = dict(headers or {})
    if ctype is not None:
        h["Content-Type"] = ctype
    if body is not None and not isinstance(body, (bytes, str)):
        body = json.dumps(body)
    if isinstance(body, str):
        body = body.encode()
    return stack.request(method, path, token=token, body=body, headers=h, timeout=timeout)


def patch(stack, ei, body, token=None, **kw):
    return send(stack, "PATCH", PATH + "/" + ei, token or world(stack).token, body, **kw)


def post(stack, body, token=None, **kw):
    return send(stack, "POST", PATH, token or world(stack).token, body, **kw)


def delete(stack, ei, token=None, **kw):
    kw.setdefault("ctype", None)
    return send(stack, "DELETE", PATH + "/" + ei, token or world(stack).token, **kw)


def get(stack, ei, token=None):
    return stack.get(PATH + "/" + ei, token=token or world(stack).token)


def expect_clean_error(resp, status, message_part=None):
    body = expect_error(resp, status, message_part)
    low = body["message"].lower()
    for word in LEAKS:
        check(word not in low, "message leaks %r: %r" % (word, body["message"]))
    return body


def expect_400(resp, path=None):
    """400, the envelope, and details.failures with a path and a message;
    failures[0].path == path when given."""
    body = expect_clean_error(resp, 400)
    check(body["error"] == "Bad Request", body)
    fails = (body.get("details") or {}).get("failures")
    check(isinstance(fails, list) and fails, "no details.failures in %r" % body)
    for f in fails:
        check(isinstance(f, dict) and isinstance(f.get("path"), str) and
              isinstance(f.get("message"), str) and f["message"], "failure %r" % f)
        for word in LEAKS:
            check(word not in f["message"].lower(), "failure leaks %r: %r" % (word, f))
    if path is not None:
        check(fails[0]["path"] == path, "failures[0].path %r, wanted %r (%r)"
              % (fails[0]["path"], path, fails[0]["message"]))
    return body


def etag_of(resp):
    return resp.header("ETag")


def check_object(obj, snap):
    """A response object is the row in the database, key by key."""
    check(list(obj.keys()) == OBJECT_KEYS, "keys %r" % list(obj.keys()))
    check(obj["id"] == snap["id"], (obj["id"], snap["id"]))
    check(obj["integration_id"] == snap["integration_id"], (obj["integration_id"], snap))
    check(obj["environment_id"] == snap["environment_id"], (obj["environment_id"], snap))
    check(obj["show_in_catalog"] is snap["show_in_catalog"], (obj["show_in_catalog"], snap))
    check(obj["is_enabled"] is snap["is_enabled"], (obj["is_enabled"], snap))
    check(obj["created_at"] == api_time(snap["created_at"]), (obj["created_at"], snap))
    check(obj["updated_at"] == api_time(snap["updated_at"]), (obj["updated_at"], snap))
    if snap["override_hex"] == "BIG":
        text = json.dumps(obj["override"], separators=(",", ":"), ensure_ascii=False).encode()
        check(len(text) == int(snap["override_len"]) and
              hashlib.sha256(text).hexdigest() == snap["override_sha256"],
              "big override differs from the stored one")
    else:
        want = {} if snap["override_bytes"] is None else json.loads(snap["override_bytes"])
        check(obj["override"] == want, "override %r, stored %r" % (obj["override"], want))
    check(obj["integration"]["id"] == snap["integration_id"], obj["integration"])


def check_write(stack, resp, ei, prev, token=None):
    """A successful write: 200, the object equals a fresh GET (with token,
    or this module's) and the row, version + 1, updated_at strictly later,
    ETag the new version."""
    check(resp.status == 200, "status %d %r" % (resp.status, resp.body[:300]))
    check((resp.header("Content-Type") or "").startswith(JSON), resp.headers)
    obj = resp.json()
    snap = snapshot(stack, ei)
    check(snap is not None, "row %s vanished" % ei)
    check(snap["version"] == prev["version"] + 1,
          "version %d after %d" % (snap["version"], prev["version"]))
    check(snap["updated_at"] > prev["updated_at"],
          "updated_at %s not after %s" % (snap["updated_at"], prev["updated_at"]))
    check(obj["updated_at"] > api_time(prev["updated_at"]), obj["updated_at"])
    for k in ("id", "environment_id", "team_id", "integration_id", "created_at"):
        check(snap[k] == prev[k], "%s changed: %r -> %r" % (k, prev[k], snap[k]))
    check(etag_of(resp) == '"%d"' % snap["version"], "ETag %r, version %d"
          % (etag_of(resp), snap["version"]))
    check_object(obj, snap)
    g = get(stack, ei, token)
    check(g.status == 200 and g.json() == obj, "PATCH reply differs from GET: %r" % g.body[:300])
    check(etag_of(g) == etag_of(resp), (etag_of(g), etag_of(resp)))
    return obj, snap


def patch_ok(stack, ei, body, **kw):
    """A PATCH that must succeed (check_write); the reply object and the row."""
    prev = snapshot(stack, ei)
    return check_write(stack, patch(stack, ei, body, **kw), ei, prev)


def bad_patch(stack, ei, body, path=None, status=400, ctype=JSON, headers=None,
              message_part=None, label=None, before=None):
    """A PATCH that must be refused (400 unless told) and write nothing.
    `before`: the row's state when the caller just read it (the previous
    call's r.after); r.after is the state read after this request."""
    if before is None:
        before = state(stack, ei)
    r = patch(stack, ei, body, ctype=ctype, headers=headers)
    what = label or (body[:120] if isinstance(body, (bytes, str)) else body)
    try:
        if status == 400:
            expect_400(r, path)
        else:
            expect_clean_error(r, status, message_part)
    except AssertionError as e:
        raise AssertionError("%r: %s" % (what, e)) from None
    r.after = state(stack, ei)
    check(r.after == before, "%r: the refused PATCH wrote something" % (what,))
    return r


def parallel(fns):
    """Runs the callables at once, each in its own thread (and so on its own
    connection); their results, in order (an exception is a result)."""
    barrier = threading.Barrier(len(fns))
    out = [None] * len(fns)

    def run(i):
        try:
            barrier.wait(10)
            out[i] = fns[i]()
        except Exception as e:  # noqa: BLE001
            out[i] = e
    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(fns))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    for i, res in enumerate(out):
        check(not isinstance(res, Exception), "thread %d: %r" % (i, res))
    return out


# ---------------------------------------------------------------------------
# 2. Bad PATCH bodies: 400, the envelope, and nothing written

def test_bad_patch_corpus(stack):
    """Every file of tests/data/body/fail, read now: 400 naming the sidecar's
    path, the row untouched."""
    files = sorted(glob.glob(os.path.join(FAIL_DIR, "*.json")))
    check(files, "the corpus %s is empty" % FAIL_DIR)
    ei, _ = new_row(stack)
    problems = []
    known = None
    for fname in files:
        with open(fname, "rb") as f:
            body = f.read()
        sidecar = fname[:-len(".json")] + ".path"
        want = None
        if os.path.exists(sidecar):
            with open(sidecar) as f:
                want = f.read().rstrip("\r\n")
        try:
            known = bad_patch(stack, ei, body, path=want, label=os.path.basename(fname),
                              before=known).after
        except AssertionError as e:
            problems.append(str(e))
            known = None
    check(not problems, "%d of %d corpus files:\n%s"
          % (len(problems), len(files), "\n".join(problems)))


def test_bad_patch_types_unknown_and_read_only_fields(stack):
    ei, integ = new_row(stack)
    w = world(stack)
    cases = [
        ({"show_in_catalog": "true"}, "show_in_catalog"),
        ({"show_in_catalog": 1}, "show_in_catalog"),
        ({"show_in_catalog": 0}, "show_in_catalog"),
        ({"show_in_catalog": None}, "show_in_catalog"),
        ({"show_in_catalog": {}}, "show_in_catalog"),
        ({"show_in_catalog": [True]}, "show_in_catalog"),
        ({"is_enabled": "false"}, "is_enabled"),
        ({"is_enabled": 1.0}, "is_enabled"),
        ({"is_enabled": None}, "is_enabled"),
        ({"is_enabled": []}, "is_enabled"),
        ({"override": "{}"}, "override"),
        ({"override": 1}, "override"),
        ({"override": True}, "override"),
        ({"override": []}, "override"),
        ({"override": [{}]}, "override"),
        ({"override": {"label": 1}}, "override.label"),
        ({"override": {"base_url": None}}, "override.base_url"),
        ({"override": {"logo": ["x"]}}, "override.logo"),
        ({"override": {"description": {}}}, "override.description"),
        ({"override": {"error_expression": False}}, "override.error_expression"),
        ({"override": {"headers": "x"}}, "override.headers"),
        ({"override": {"headers": {"x": 1}}}, "override.headers.x"),
        ({"override": {"headers": {"ok": "1", "x": None}}}, "override.headers.x"),
        ({"override": {"query": {"a": ["b"]}}}, "override.query.a"),
        ({"override": {"query_array_format": "pipes"}}, "override.query_array_format"),
        ({"override": {"query_array_format": 1}}, "override.query_array_format"),
        ({"override": {"tags": "a"}}, "override.tags"),
        ({"override": {"tags": ["a", 1]}}, "override.tags[1]"),
        ({"override": {"authorization": "bearer"}}, "override.authorization"),
        ({"override": {"authorization": {"format": "oauth"}}}, "override.authorization.format"),
        ({"override": {"pagination": {"format": 1}}}, "override.pagination.format"),
        ({"override": {"environment_variables": []}}, "override.environment_variables"),
        ({"override": {"webhook": "x"}}, "override.webhook"),
        # unknown fields, at the body level and in the override
        ({"bogus": True}, "bogus"),
        ({"Is_Enabled": True}, "Is_Enabled"),
        ({"is_enabled ": True}, "is_enabled "),
        ({"": 1}, ""),
        ({"override": {"bogus": 1}}, "override.bogus"),
        ({"override": {"label": "ok", "Label": "x"}}, "override.Label"),
        # valid fields first: still nothing may be written
        ({"is_enabled": False, "bogus": 1}, "bogus"),
        ({"show_in_catalog": False, "is_enabled": False, "override": {"label": 5}},
         "override.label"),
        ({"override": {"label": "fine"}, "is_enabled": "no"}, "is_enabled"),
    ]
    cur = get(stack, ei).json()
    read_only = {"id": cur["id"], "integration_id": cur["integration_id"],
                 "environment_id": cur["environment_id"], "created_at": cur["created_at"],
                 "updated_at": cur["updated_at"], "integration": cur["integration"]}
    for field, value in read_only.items():
        cases.append(({field: value}, field))                   # its own current value
        cases.append(({"is_enabled": False, field: value}, field))
        cases.append(({field: None}, field))
    cases.append(({"environment_id": w.stage}, "environment_id"))  # a move: refused
    cases.append(({"integration_id": integ}, "integration_id"))
    # the whole object sent back, as a careless client would
    cases.append((cur, "id"))
    known = None
    for body, path in cases:
        known = bad_patch(stack, ei, body, path, before=known).after
    # a read-only or unknown field is named even when the body has another
    # fault further on (API.md: "a details.failures entry whose path names it")
    for body, path in (('{"id":"x","override":{"label":"\\ud800"}}', "id"),
                       ('{"bogus":1,"override":{"label":"\\udc00"}}', "bogus"),
                       ('{"created_at":"x","is_enabled":true,"is_enabled":"\\ud800"}', "created_at")):
        r = bad_patch(stack, ei, body)
        paths = [f["path"] for f in r.json()["details"]["failures"]]
        check(path in paths, "%s: failures name %r, not %r" % (body, paths, path))


def _nest(depth, leaf="1", key="a"):
    return '{"%s":' % key * depth + leaf + "}" * depth


def test_bad_patch_duplicates_and_depth(stack):
    ei, _ = new_row(stack)
    many = ",".join('"k%d":%d' % (i, i) for i in range(40))
    cases = [
        ('{"is_enabled":true,"is_enabled":true}', "is_enabled"),
        ('{"is_enabled":true,"show_in_catalog":true,"is_enabled":false}', "is_enabled"),
        ('{"is_enabled":true,"is_enabl\\u0065d":false}', "is_enabled"),
        ('{"override":null,"override":null}', "override"),
        ('{"override":{"label":"a"},"override":{}}', "override"),
        ('{"override":{"label":"a","label":"a"}}', "override.label"),
        ('{"override":{"label":"a","\\u006cabel":"b"}}', "override.label"),
        ('{"override":{"headers":{"x":"1","x":"1"}}}', "override.headers.x"),
        ('{"override":{"resources":{"a":{"b":{"c":1,"c":2}}}}}', "override.resources.a.b.c"),
        ('{"override":{"environment_variables":{"l":[{"k":1},{"k":1,"k":2}]}}}',
         "override.environment_variables.l[1].k"),
        # past 16 keys the check uses a hash index
        ('{"override":{"environment_variables":{%s,"k5":1}}}' % many,
         "override.environment_variables.k5"),
        ('{"override":{"environment_variables":{%s,"k39":1}}}' % many,
         "override.environment_variables.k39"),
    ]
    known = None
    for body, path in cases:
        known = bad_patch(stack, ei, body, path, before=known).after
    # deep nesting: 10,000 levels, refused fast, for each way in
    deep = 10000
    for body, prefix in (
            ('{"override":{"environment_variables":%s}}' % _nest(deep), "override.environment_variables"),
            ('{"override":{"environment_variables":{"x":%s1%s}}}' % ("[" * deep, "]" * deep),
             "override.environment_variables.x"),
            ('{"override":%s}' % _nest(deep), "override"),
            ('{"override":%s1%s}' % ("[" * deep, "]" * deep), "override"),
            ('%s{}%s' % ("[" * deep, "]" * deep), "body"),
            ('{"is_enabled":%s}' % _nest(deep), "is_enabled"),
            ('{"override":{"environment_variables":%s' % ('{"a":' * deep), "override"),  # unterminated
    ):
        r = bad_patch(stack, ei, body, label="depth %s" % body[:40])
        got = r.json()["details"]["failures"][0]["path"]
        check(got.startswith(prefix), "deep %r: path %r" % (body[:40], got[:80]))
        check(r.elapsed < 1.0, "deep body took %.2fs" % r.elapsed)
    # the limit itself: json_depth_max (64) levels, counting the body object
    ok = '{"override":{"environment_variables":%s}}' % _nest(DEPTH_MAX - 2)
    prev = snapshot(stack, ei)
    check_write(stack, patch(stack, ei, ok), ei, prev)
    r = bad_patch(stack, ei, '{"override":{"environment_variables":%s}}' % _nest(DEPTH_MAX - 1))
    check(r.json()["details"]["failures"][0]["path"].startswith("override.environment_variables.a"),
          r.body[:200])
    # negative controls: the same key in sibling objects, 40 distinct keys
    prev = snapshot(stack, ei)
    obj, _ = check_write(stack, patch(stack, ei, '{"override":{"headers":{"x":"1"},"query":{"x":"2"},'
                                      '"environment_variables":{"l":[{"k":1},{"k":2}],%s}}}' % many),
                         ei, prev)
    check(obj["override"]["query"] == {"x": "2"} and
          len(obj["override"]["environment_variables"]) == 41, obj["override"])


def test_bad_patch_encoding_syntax_and_shape(stack):
    ei, _ = new_row(stack)
    body_level = [
        # invalid UTF-8: bad bytes, truncated and overlong sequences, encoded
        # surrogates, code points past U+10FFFF; in values and in keys
        b'{"override":{"label":"\xff"}}',
        b'{"override":{"label":"\xfe\xfe"}}',
        b'{"override":{"label":"ab\xc3"}}',
        b'{"override":{"label":"\x80"}}',
        b'{"override":{"label":"\xc0\x80"}}',
        b'{"override":{"label":"\xc1\xbf"}}',
        b'{"override":{"label":"\xe0\x80\xaf"}}',
        b'{"override":{"label":"\xf0\x80\x80\xaf"}}',
        b'{"override":{"label":"\xed\xa0\x80"}}',
        b'{"override":{"label":"\xed\xbf\xbf"}}',
        b'{"override":{"label":"\xf4\x90\x80\x80"}}',
        b'{"override":{"label":"\xf8\x88\x80\x80\x80"}}',
        b'{"override":{"headers":{"\xc0\xaf":"x"}}}',
        b'{"override":{"environment_variables":{"a":["\xc0\xaf"]}}}',
        b'{"\xc0\xafis_enabled":true}',
        b'{"is_enabled\xff":true}',
        b'{"integration_id":"\xc0\xaf"}',
        b'{"\xff":true}',
        # lone surrogate escapes
        b'{"override":{"label":"\\ud800"}}',
        b'{"override":{"label":"\\udc00"}}',
        b'{"override":{"label":"\\uDFFF"}}',
        b'{"override":{"label":"\\ud800x"}}',
        b'{"override":{"label":"a\\ud83d"}}',
        b'{"override":{"label":"\\ud800\\u0041"}}',
        b'{"override":{"label":"\\udbff\\udbff"}}',
        b'{"override":{"label":"\\ude00\\ud83d"}}',
        b'{"override":{"label":"\\ud800\\n"}}',
        b'{"override":{"headers":{"\\ud800":"x"}}}',
        b'{"\\ud800":true}',
        b'{"is_enabled":true,"override":{"label":"\\ud83d"},"show_in_catalog":true}',
        # syntax
        b'{"is_enabled":true,}',
        b"{'is_enabled':true}",
        b'{"is_enabled":True}',
        b'{is_enabled:true}',
        b'{"is_enabled":true',
        b'{"is_enabled":',
        b'{"override":{"label":"a"}',
        b'{"override":{"label":"a',
        b'{"override":{"label":"a\x01"}}',
        b'{"override":{"label":"a\nb"}}',
        b'{"override":{"label":"\\x41"}}',
        b'{"override":{"label":"\\u12"}}',
        b'{"override":{"environment_variables":{"x":NaN}}}',
        b'{"override":{"environment_variables":{"x":Infinity}}}',
        b'{"override":{"environment_variables":{"x":01}}}',
        b'{"override":{"environment_variables":{"x":1.}}}',
        b'/*c*/{"is_enabled":true}',
        b'{"is_enabled":true}//',
        # trailing garbage after a complete, valid object
        b'{"is_enabled":false}x',
        b'{"is_enabled":false} {}',
        b'{}{}',
        b'{"is_enabled":false}}',
        b'{"is_enabled":false}]',
        b'{"is_enabled":false} 1',
        b'{"is_enabled":false}\x00',
        b'{"is_enabled":false},',
        # empty and blank bodies
        b'',
        b' ',
        b'\r\n\t ',
        # not an object
        b'[]',
        b'[{}]',
        b'[{"is_enabled":false}]',
        b'"x"',
        b'"{\\"is_enabled\\":false}"',
        b'1',
        b'-0',
        b'true',
        b'false',
        b'null',
    ]
    known = None
    for body in body_level:
        known = bad_patch(stack, ei, body, before=known).after
    # a body that is not an object names the body itself
    known = None
    for body in (b'[]', b'[{}]', b'"x"', b'1', b'true', b'null', b'', b' '):
        known = bad_patch(stack, ei, body, "body", before=known).after
    # numbers a double cannot hold: named where they are
    for body, path in (
            ('{"override":{"environment_variables":{"x":1e400}}}', "override.environment_variables.x"),
            ('{"override":{"environment_variables":{"x":-1e400}}}', "override.environment_variables.x"),
            ('{"override":{"environment_variables":{"x":1E309}}}', "override.environment_variables.x"),
            ('{"override":{"environment_variables":{"x":%s}}}' % ("9" * 400),
             "override.environment_variables.x"),
            ('{"override":{"environment_variables":{"x":[1,2,1e400]}}}',
             "override.environment_variables.x[2]"),
            ('{"override":{"rate_limit":{"a":{"b":1e400}}}}', "override.rate_limit.a.b"),
            ('{"is_enabled":1e400}', "is_enabled"),
    ):
        bad_patch(stack, ei, body, path)
    # negative controls: a real surrogate pair, an escaped backslash before
    # "ud800", tiny and huge-but-finite numbers are all fine
    prev = snapshot(stack, ei)
    obj, snap = check_write(stack, patch(
        stack, ei, '{"override":{"label":"\\ud83d\\ude00 \\\\ud800","environment_variables":'
                   '{"a":1e-400,"b":1.7976931348623157e308,"c":-0}}}'), ei, prev)
    check(obj["override"]["label"] == "\U0001F600 \\ud800", obj["override"])
    check(snap["override_bytes"].startswith('{"label":"\U0001F600 \\\\ud800"'.encode()),
          snap["override_bytes"][:80])


def test_bad_patch_unterminated_string_after_the_object(stack):
    """Trailing garbage that opens a string and never closes it: as much a
    syntax error as any other trailing garbage. Every case is tried; the
    report says which were accepted and whether they wrote."""
    ei, _ = new_row(stack)
    problems = []
    for body in (b'{}"', b'{} "', b'{"is_enabled":false}"', b'{"is_enabled":false}"oops',
                 b'{"is_enabled":false}\n"x', b'{"override":{"label":"x"}}"',
                 b'{"show_in_catalog":false} "\\u00',
                 b'{"is_enabled":false}""', b'{"is_enabled":false}"x"'):
        before = state(stack, ei)
        r = patch(stack, ei, body)
        after = state(stack, ei)
        if r.status != 400:
            problems.append("%r: %d%s" % (body, r.status, ", and it wrote (version %d -> %d)"
                                          % (before[0]["version"], after[0]["version"])
                                          if after != before else ""))
            continue
        try:
            expect_400(r, "body")
            check(after == before, "wrote")
        except AssertionError as e:
            problems.append("%r: %s" % (body, e))
    # the same on POST: no install
    w = world(stack)
    integ = new_integration(stack)
    body = ('{"integration_id":"%s","environment_id":"%s"}"' % (integ, w.prod)).encode()
    r = post(stack, body)
    if r.status != 400 or count_installs(stack, w.prod, integ) != 0:
        problems.append("POST %r: %d, %d row(s) installed" % (body, r.status,
                                                          count_installs(stack, w.prod, integ)))
    check(not problems, "accepted:\n" + "\n".join(problems))


def test_patch_content_type_size_and_transport(stack):
    w = world(stack)
    ei, _ = new_row(stack)
    good = {"is_enabled": False}
    for ctype in ("text/plain", None, "application/x-www-form-urlencoded", "application/jsonp",
                  "application/json-seq", "json", "application/", "*/*",
                  "multipart/form-data; boundary=x"):
        r = bad_patch(stack, ei, good, status=415, ctype=ctype)
        check(r.json()["error"] == "Unsupported Media Type", r.body)
        check("application/json" in r.json()["message"], r.body)
    # merge-patch+json is test_merge.py's; JSON Patch (RFC 6902) is not taken
    for ctype in ("application/json-patch+json", "application/json-patch+json; charset=utf-8"):
        r = bad_patch(stack, ei, good, status=415, ctype=ctype, message_part="merge-patch")
    # POST is held to the same rule, and inserts nothing
    before = table_checksum(stack)
    for ctype in ("text/plain", None, "application/merge-patch+json"):
        expect_clean_error(post(stack, {"integration_id": new_integration(stack),
                                        "environment_id": w.prod}, ctype=ctype), 415)
    check(table_checksum(stack) == before, "a refused POST inserted")
    # JSON with parameters, any case: accepted
    prev = snapshot(stack, ei)
    _, prev = check_write(stack, patch(stack, ei, good, ctype="application/json; charset=utf-8"),
                          ei, prev)
    check(prev["is_enabled"] is False, prev)
    _, prev = check_write(stack, patch(stack, ei, {"is_enabled": True},
                                       ctype="Application/JSON ; charset=UTF-8"), ei, prev)
    check(prev["is_enabled"] is True, prev)
    # over the limit: 9 MiB, a JSON 413, nothing written (PATCH and POST)
    big = b'{"override":{"description":"' + b"a" * (9 * MIB) + b'"}}'
    r = bad_patch(stack, ei, big, status=413, label="9 MiB")
    check(r.json()["error"] == "Payload Too Large", r.body)
    check(r.elapsed < 10, "413 took %.1fs" % r.elapsed)
    before = table_checksum(stack)
    expect_clean_error(post(stack, b'{"integration_id":"%s","environment_id":"%s","override":'
                            b'{"description":"%s"}}' % (new_integration(stack).encode(),
                                                          w.prod.encode(), b"a" * (9 * MIB))), 413)
    check(table_checksum(stack) == before, "an oversized POST inserted")
    # one byte over, then exactly at the limit
    head, tail = b'{"override":{"description":"', b'"}}'
    fill = BODY_MAX - len(head) - len(tail)
    bad_patch(stack, ei, head + b"b" * (fill + 1) + tail, status=413, label="limit + 1")
    prev = snapshot(stack, ei)
    obj, prev = check_write(stack, patch(stack, ei, head + b"b" * fill + tail), ei, prev)
    check(obj["override"] == {"description": "b" * fill}, "8 MiB override not returned")
    _, prev = check_write(stack, patch(stack, ei, {"override": None}), ei, prev)
    check(prev["override_is_null"], prev)
    # a chunked request body (no Content-Length from the client) is read too
    conn = http.client.HTTPConnection("127.0.0.1", stack.http_port, timeout=30)
    try:
        conn.request("PATCH", PATH + "/" + ei, body=iter([b'{"show_in_cat', b'alog":true}']),
                     headers={"Authorization": "Bearer " + w.token, "Content-Type": JSON},
                     encode_chunked=True)
        resp = conn.getresponse()
        data = resp.read()
        check(resp.status == 200, "chunked PATCH: %d %r" % (resp.status, data[:300]))
    finally:
        conn.close()
    snap = snapshot(stack, ei)
    check(snap["show_in_catalog"] is True and snap["version"] == prev["version"] + 1, snap)


def test_patch_path_and_authorization(stack):
    w = world(stack)
    ei, _ = new_row(stack)
    missing = patch(stack, str(uuid.uuid4()), {"is_enabled": False})
    expect_clean_error(missing, 404)
    for bad in ("not-a-uuid", "1", ei[:-1], ei + "0", ei.replace("-", ""), ei + "x",
                "%27%20OR%201%3D1", ei[:8]):
        before = state(stack, ei)
        for body, ctype in (({"is_enabled": False}, JSON), ("{", JSON),
                            ({"is_enabled": False}, "text/plain"), ({"bogus": 1}, JSON)):
            r = send(stack, "PATCH", PATH + "/" + bad, w.token, body, ctype=ctype)
            expect_clean_error(r, 404)
            check(r.json() == missing.json(), "%s: 404 body %r" % (bad, r.body))
        check(state(stack, ei) == before, "a PATCH of %s wrote" % bad)
    # no token, a bad token: 401 before anything is parsed or written
    before = state(stack, ei)
    r = stack.request("PATCH", PATH + "/" + ei, body=b'{"is_enabled":false}',
                      headers={"Content-Type": JSON})
    expect_clean_error(r, 401)
    r = patch(stack, ei, {"is_enabled": False}, token=w.token[:-1] + ("0" if w.token[-1] != "0" else "1"))
    expect_clean_error(r, 401)
    r = stack.request("DELETE", PATH + "/" + ei)
    expect_clean_error(r, 401)
    r = stack.request("POST", PATH, body=json.dumps({"integration_id": new_integration(stack),
                                                     "environment_id": w.prod}),
                      headers={"Content-Type": JSON})
    expect_clean_error(r, 401)
    check(state(stack, ei)[0] == before[0], "an unauthenticated request wrote")


# ---------------------------------------------------------------------------
# 3. Valid PATCHes

def test_patch_each_field_then_all(stack):
    ei, _ = new_row(stack)
    prev = snapshot(stack, ei)
    check(prev["show_in_catalog"] and prev["is_enabled"] and prev["override_is_null"]
          and prev["version"] == 1, prev)
    steps = [
        ({"show_in_catalog": False}, {"show_in_catalog": False}),
        ({"show_in_catalog": True}, {"show_in_catalog": True}),
        ({"is_enabled": False}, {"is_enabled": False}),
        ({"is_enabled": False}, {"is_enabled": False}),          # same value: still a write
        ({"is_enabled": True}, {"is_enabled": True}),
        ({"override": {"label": "one"}}, {"override": {"label": "one"}}),
        ({"show_in_catalog": False, "is_enabled": False,
          "override": {"base_url": "https://x.example", "headers": {"A": "b"}, "tags": ["t"],
                       "query_array_format": "brackets",
                       "authorization": {"format": "bearer", "config": {"path": "$.x"}},
                       "pagination": {"format": "cursor", "config": {"unknown_ok": [1, None]}},
                       "credentials": {"oauth2": {"format": "oauth2"}},
                       "environment_variables": {"n": 1.5, "b": True, "z": None}}},
         None),
        ({"override": None, "is_enabled": True, "show_in_catalog": True},
         {"override": None, "is_enabled": True, "show_in_catalog": True}),
    ]
    for body, changes in steps:
        expected = dict(prev)
        changes = changes or {k: v for k, v in body.items()}
        r = patch(stack, ei, body)
        obj, snap = check_write(stack, r, ei, prev)
        for k, v in changes.items():
            if k == "override":
                if v is None:
                    check(snap["override_is_null"] and obj["override"] == {}, snap)
                else:
                    check(json.loads(snap["override_bytes"]) == v and obj["override"] == v,
                          "override %r stored %r" % (v, snap["override_bytes"]))
            else:
                check(snap[k] is v and obj[k] is v, "%s: %r / %r" % (k, snap[k], obj[k]))
        # what the body did not name did not change
        for k in ("show_in_catalog", "is_enabled", "override_bytes"):
            name = "override" if k == "override_bytes" else k
            if name not in body:
                check(snap[k] == expected[k], "%s changed by %r" % (k, body))
        prev = snap


def test_patch_override_replace_clear_and_canonical(stack):
    ei, _ = new_row(stack)
    prev = snapshot(stack, ei)
    obj, prev = check_write(stack, patch(stack, ei, {"override": {"label": "a"}}), ei, prev)
    check(prev["override_bytes"] == b'{"label":"a"}', prev["override_bytes"])
    # wholesale replacement, not a merge
    obj, prev = check_write(stack, patch(stack, ei, {"override": {"headers": {"x": "y"}}}), ei, prev)
    check(prev["override_bytes"] == b'{"headers":{"x":"y"}}', prev["override_bytes"])
    check(obj["override"] == {"headers": {"x": "y"}}, obj["override"])
    # flags alone leave the override as it is
    obj, prev = check_write(stack, patch(stack, ei, {"is_enabled": False}), ei, prev)
    check(prev["override_bytes"] == b'{"headers":{"x":"y"}}', prev["override_bytes"])
    # {} and null both clear: NULL in the database, {} in the response
    for clear in ('{"override":{}}', '{"override":null}', '{"override": { } }'):
        _, prev = check_write(stack, patch(stack, ei, {"override": {"label": "back"}}), ei, prev)
        obj, prev = check_write(stack, patch(stack, ei, clear), ei, prev)
        check(prev["override_is_null"] and prev["override_hex"] == "NULL", (clear, prev))
        check(obj["override"] == {}, (clear, obj["override"]))
    # canonical compact JSON: the request's whitespace is gone, escapes are
    # decoded, key order and number text are kept
    text = ('{ "override" :\n\t{ "label" : "caf\\u00e9 \\/ \\"q\\"" ,\r\n "headers" : { "B" : "1" ,'
            ' "A" : "2" } , "tags" : [ "x" , "y" ] ,\n "environment_variables" : { "n" : 10 ,'
            ' "f" : -2.5 , "t" : true , "z" : null , "o" : { } , "a" : [ ] } } }\n')
    obj, prev = check_write(stack, patch(stack, ei, text), ei, prev)
    want = ('{"label":"caf\u00e9 / \\"q\\"","headers":{"B":"1","A":"2"},"tags":["x","y"],'
            '"environment_variables":{"n":10,"f":-2.5,"t":true,"z":null,"o":{},"a":[]}}').encode()
    check(prev["override_bytes"] == want, "stored %r\nwanted %r" % (prev["override_bytes"], want))
    check(prev["override_hex"] == want.hex().upper(), prev["override_hex"])
    check(obj["override"] == json.loads(want), obj["override"])
    check(list(obj["override"]["headers"].keys()) == ["B", "A"], "key order lost")


def test_patch_noop_and_updated_at_always_forward(stack):
    w = world(stack)
    ei, _ = new_row(stack)
    _, prev = patch_ok(stack, ei, {"override": {"label": "keep"}})
    # {} names nothing: 200, the object, no new version, nothing written
    before = state(stack, ei)
    for body in ('{}', ' { } ', '\n{}\n'):
        r = patch(stack, ei, body)
        check(r.status == 200, "%r: %d %r" % (body, r.status, r.body[:200]))
        check(state(stack, ei) == before, "%r wrote" % body)
        check(etag_of(r) == '"%d"' % prev["version"], etag_of(r))
        check_object(r.json(), prev)
        check(r.json() == get(stack, ei).json(), "{} reply differs from GET")
    # two PATCHes within one millisecond still move updated_at: put the
    # stored time ahead of the clock, so "now" cannot separate them
    stack.sql("UPDATE environment_integration SET updated_at = UTC_TIMESTAMP(3) + INTERVAL 1 HOUR"
              " WHERE id = UNHEX('%s')" % _hex(ei))
    prev = snapshot(stack, ei)
    seen = [prev["updated_at"]]
    for i in range(4):
        _, prev = check_write(stack, patch(stack, ei, {"is_enabled": i % 2 == 0}), ei, prev)
        seen.append(prev["updated_at"])
    check(seen == sorted(set(seen)), "updated_at not strictly increasing: %r" % seen)
    # back-to-back PATCHes on one connection each: strictly increasing too
    stack.sql("UPDATE environment_integration SET updated_at = UTC_TIMESTAMP(3)"
              " WHERE id = UNHEX('%s')" % _hex(ei))
    times = []
    for i in range(10):
        r = patch(stack, ei, {"show_in_catalog": i % 2 == 0}, token=w.prod_token)
        check(r.status == 200, r.body[:200])
        times.append(r.json()["updated_at"])
    check(times == sorted(set(times)), "updated_at not strictly increasing: %r" % times)
    check(api_time(snapshot(stack, ei)["updated_at"]) == times[-1], times[-1])


# ---------------------------------------------------------------------------
# 4. ETag / If-Match

def test_etag_and_if_match_on_patch(stack):
    ei, _ = new_row(stack)
    g = get(stack, ei)
    check(g.status == 200 and etag_of(g) == '"1"', "GET ETag %r" % etag_of(g))
    prev = snapshot(stack, ei)
    _, prev = check_write(stack, patch(stack, ei, {"is_enabled": False}, headers={"If-Match": '"1"'}),
                          ei, prev)                                             # v2
    check(etag_of(get(stack, ei)) == '"2"', "GET after PATCH")
    for stale in ('"1"', '"3"', '"0"', '"02"', '"2 "', '" 2"', '"-1"'):
        r = bad_patch(stack, ei, {"is_enabled": True}, status=412, headers={"If-Match": stale})
        check(r.json()["error"] == "Precondition Failed", r.body)
        check(etag_of(get(stack, ei)) == '"2"', "ETag moved after 412")
    _, prev = check_write(stack, patch(stack, ei, {"is_enabled": True}, headers={"If-Match": "*"}),
                          ei, prev)                                             # v3
    _, prev = check_write(stack, patch(stack, ei, {"override": {"label": "l"}},
                                       headers={"If-Match": '"1", "3"'}), ei, prev)  # v4
    _, prev = check_write(stack, patch(stack, ei, {"is_enabled": False},
                                       headers={"If-Match": '"4","9"'}), ei, prev)   # v5
    _, prev = check_write(stack, patch(stack, ei, {"is_enabled": True},
                                       headers={"If-Match": 'W/"5", "5"'}), ei, prev)  # v6
    for bad in ('W/"6"', 'w/"6"', "6", '"6', "garbage", '""', "**", "*, \"1\"", '"1", W/"6"',
                "'6'"):
        bad_patch(stack, ei, {"is_enabled": False}, status=412, headers={"If-Match": bad})
    # {} changes nothing but still honours If-Match
    bad_patch(stack, ei, {}, status=412, headers={"If-Match": '"5"'})
    before = state(stack, ei)
    r = patch(stack, ei, {}, headers={"If-Match": '"6"'})
    check(r.status == 200 and etag_of(r) == '"6"', (r.status, etag_of(r)))
    check(state(stack, ei) == before, "{} with If-Match wrote")
    # a bad body is a 400 whatever If-Match says
    bad_patch(stack, ei, {"bogus": 1}, headers={"If-Match": '"6"'}, path="bogus")
    # If-Match on a row that is not there is a 404, not a 412
    for tag in ("*", '"1"'):
        r = patch(stack, str(uuid.uuid4()), {"is_enabled": True}, headers={"If-Match": tag})
        expect_clean_error(r, 404)


def test_if_match_on_delete(stack):
    ei, _ = new_row(stack)
    _, prev = patch_ok(stack, ei, {"is_enabled": False})
    before = state(stack, ei)
    for stale in ('"1"', 'W/"2"', "nope", '"3"'):
        r = delete(stack, ei, headers={"If-Match": stale})
        expect_clean_error(r, 412)
        check(state(stack, ei) == before, "DELETE with If-Match %s changed the table" % stale)
    check(get(stack, ei).status == 200, "row gone after a 412")
    r = delete(stack, ei, headers={"If-Match": '"2"'})
    check(r.status == 200 and r.json() == {"id": ei}, (r.status, r.body))
    check(snapshot(stack, ei) is None, "row still there")
    expect_clean_error(delete(stack, ei, headers={"If-Match": '"2"'}), 404)
    expect_clean_error(delete(stack, ei, headers={"If-Match": "*"}), 404)
    # If-Match: * deletes whatever the version
    ei2, _ = new_row(stack)
    patch_ok(stack, ei2, {"is_enabled": False})
    r = delete(stack, ei2, headers={"If-Match": "*"})
    check(r.status == 200 and r.json() == {"id": ei2}, (r.status, r.body))
    check(snapshot(stack, ei2) is None, "row still there")


# ---------------------------------------------------------------------------
# 5. POST: install

def check_created(stack, r, env, integ, show=False, enabled=True, override=None):
    check(r.status == 201, "status %d %r" % (r.status, r.body[:300]))
    obj = r.json()
    ei = obj["id"]
    check(str(uuid.UUID(ei)) == ei, "id %r" % ei)
    loc = r.header("Location") or ""
    check(loc.endswith(PATH + "/" + ei) and (loc.startswith("/") or loc.startswith("http")),
          "Location %r" % loc)
    snap = snapshot(stack, ei)
    check(snap is not None, "no row for %s" % ei)
    check(snap["environment_id"] == env and snap["integration_id"] == integ, snap)
    env_team = stack.sql("SELECT LOWER(HEX(team_id)) FROM environment WHERE id = UNHEX('%s')"
                         % _hex(env))[0][0]
    check(snap["team_id"] == _dashed(env_team), "team_id %s, env's team %s" % (snap["team_id"], env_team))
    check(snap["show_in_catalog"] is show and snap["is_enabled"] is enabled, snap)
    check(snap["version"] == 1 and snap["created_at"] == snap["updated_at"], snap)
    if override is None:
        check(snap["override_is_null"], snap)
    else:
        check(snap["override_bytes"] == override, "stored %r, wanted %r"
              % (snap["override_bytes"], override))
    check(etag_of(r) == '"1"', "ETag %r" % etag_of(r))
    check_object(obj, snap)
    g = stack.get(loc[loc.index(PATH):], token=world(stack).token if env != world(stack).solo_env
                  else world(stack).solo_token)
    check(g.status == 200 and g.json() == obj, "GET Location: %d %r" % (g.status, g.body[:200]))
    return obj, snap


def test_post_installs_and_is_idempotent(stack):
    w = world(stack)
    # defaults
    integ = new_integration(stack)
    r = post(stack, {"integration_id": integ, "environment_id": w.prod})
    obj, snap = check_created(stack, r, w.prod, integ)
    # again, with other flags: 200, the same row, untouched; never 409
    before = state(stack, obj["id"])
    for body in ({"integration_id": integ, "environment_id": w.prod},
                 {"integration_id": integ, "environment_id": w.prod, "is_enabled": False,
                  "show_in_catalog": True, "override": {"label": "ignored"}}):
        r2 = post(stack, body)
        check(r2.status == 200, "repeat POST: %d %r" % (r2.status, r2.body[:200]))
        check(r2.json() == get(stack, obj["id"]).json() and r2.json()["id"] == obj["id"],
              "repeat POST returned another row")
        check(etag_of(r2) == '"1"', etag_of(r2))
        check(state(stack, obj["id"]) == before, "repeat POST wrote")
    check(count_installs(stack, w.prod, integ) == 1, "two rows")
    # the same integration in the other environment is a new install
    r = post(stack, {"integration_id": integ, "environment_id": w.stage})
    obj2, _ = check_created(stack, r, w.stage, integ)
    check(obj2["id"] != obj["id"], "same id in two environments")
    # every field given; the override is stored canonically
    integ = new_integration(stack)
    text = ('{ "override" : { "label" : "L" , "headers" : { "X" : "1" } } , "is_enabled" : false ,'
            ' "show_in_catalog" : true , "integration_id" : "%s" , "environment_id" : "%s" }'
            % (integ, w.stage))
    check_created(stack, post(stack, text), w.stage, integ, show=True, enabled=False,
                  override=b'{"label":"L","headers":{"X":"1"}}')
    # override {} or null at install: nothing stored
    for ov in ({}, None):
        integ = new_integration(stack)
        check_created(stack, post(stack, {"integration_id": integ, "environment_id": w.prod,
                                          "override": ov, "show_in_catalog": False}), w.prod, integ)
    # an environment token installs into its environment, with or without
    # naming it
    integ = new_integration(stack)
    check_created(stack, post(stack, {"integration_id": integ}, token=w.prod_token), w.prod, integ)
    integ = new_integration(stack)
    check_created(stack, post(stack, {"integration_id": integ, "environment_id": w.prod},
                              token=w.prod_token), w.prod, integ)
    # a team with one environment needs no environment_id
    integ = new_integration(stack, team=w.solo_team)
    check_created(stack, post(stack, {"integration_id": integ}, token=w.solo_token), w.solo_env, integ)
    # after a DELETE, installing again makes a new row
    integ = new_integration(stack)
    first = post(stack, {"integration_id": integ, "environment_id": w.prod}).json()["id"]
    check(delete(stack, first).status == 200, "delete")
    again, _ = check_created(stack, post(stack, {"integration_id": integ, "environment_id": w.prod}),
                             w.prod, integ)
    check(again["id"] != first, "re-install reused the deleted id")


def test_post_sharing_rules(stack):
    w = world(stack)
    # another team's integration with sharing allow: installable
    obj, _ = check_created(stack, post(stack, {"integration_id": w.freshdesk, "environment_id": w.prod}),
                           w.prod, w.freshdesk)
    check(obj["integration"]["team_id"] == w.globex_team_id and
          obj["integration"]["sharing"] == "allow", obj["integration"])
    r = post(stack, {"integration_id": w.freshdesk, "environment_id": w.prod})
    check(r.status == 200 and r.json()["id"] == obj["id"], (r.status, r.body[:200]))
    # our own "deny" integration: the owner may install it
    check_created(stack, post(stack, {"integration_id": w.own_deny, "environment_id": w.prod}),
                  w.prod, w.own_deny)
    missing = post(stack, {"integration_id": str(uuid.uuid4()), "environment_id": w.prod})
    expect_clean_error(missing, 404)
    before = table_checksum(stack)
    # ask: 403 saying the owner must approve (from Acme, and from us)
    for token, body in ((stack.tokens["acme-team"], {"integration_id": w.pipedrive,
                                                     "environment_id": w.acme_staging}),
                        (stack.tokens["acme-production"], {"integration_id": w.pipedrive}),
                        (w.token, {"integration_id": w.pipedrive, "environment_id": w.prod})):
        r = post(stack, body, token=token)
        b = expect_clean_error(r, 403, "approve")
        check(b["error"] == "Forbidden", b)
    # deny: exactly the 404 of an integration that does not exist
    for token, body in ((stack.tokens["acme-team"], {"integration_id": w.bamboohr,
                                                     "environment_id": w.acme_staging}),
                        (w.token, {"integration_id": w.bamboohr, "environment_id": w.prod})):
        r = post(stack, body, token=token)
        expect_clean_error(r, 404)
        check(r.json() == missing.json(), "deny 404 %r differs from unknown %r" % (r.body, missing.body))
    # unknown integration, from every kind of token
    for token, body in ((w.token, {"environment_id": w.prod}), (w.prod_token, {}),
                        (w.solo_token, {}),
                        (stack.tokens["acme-team"], {"environment_id": w.acme_prod})):
        body["integration_id"] = str(uuid.uuid4())
        r = post(stack, body, token=token)
        expect_clean_error(r, 404)
        check(r.json() == missing.json(), "unknown integration 404 %r" % r.body)
    check(table_checksum(stack) == before, "a refused install wrote")
    check(count_installs(stack, w.acme_staging, w.pipedrive) == 0, "pipedrive installed")
    check(count_installs(stack, w.prod, w.bamboohr) == 0, "bamboohr installed")


def test_post_environment_rules_and_bad_bodies(stack):
    w = world(stack)
    integ = new_integration(stack)
    before = table_checksum(stack)
    # a team token of a team with two environments must say which
    for body in ({"integration_id": integ}, {"integration_id": integ, "is_enabled": True}):
        r = post(stack, body)
        b = expect_400(r, "environment_id")
        check("environment_id" in b["message"], b)
    r = post(stack, {"integration_id": w.freshdesk}, token=stack.tokens["acme-team"])
    expect_400(r, "environment_id")
    # environments the token cannot see: another tenant's, a random one,
    # our own other environment through an environment token
    env404 = []
    for token, env in ((w.token, w.acme_prod), (w.token, w.globex_prod), (w.token, w.solo_env),
                       (w.token, str(uuid.uuid4())), (w.prod_token, w.stage),
                       (w.prod_token, w.acme_prod), (w.solo_token, w.prod),
                       (stack.tokens["acme-production"], w.acme_staging)):
        r = post(stack, {"integration_id": integ, "environment_id": env}, token=token)
        expect_clean_error(r, 404)
        env404.append(r.json())
    check(all(b == env404[0] for b in env404), "environment 404s differ: %r" % env404)
    # bad bodies
    ro = {"id": str(uuid.uuid4()), "created_at": "2021-08-10T10:00:00.000Z",
          "updated_at": "2021-08-10T10:00:00.000Z", "integration": {"id": integ}}
    for field, value in ro.items():
        expect_400(post(stack, {"integration_id": integ, "environment_id": w.prod, field: value}),
                   field)
        expect_400(post(stack, {field: value, "integration_id": integ, "environment_id": w.prod}),
                   field)
    for body, path in (
            ({"environment_id": w.prod}, "integration_id"),
            ({}, "integration_id"),
            ({"environment_id": w.prod, "is_enabled": True, "override": {"label": "x"}},
             "integration_id"),
            ({"integration_id": None, "environment_id": w.prod}, "integration_id"),
            ({"integration_id": 5, "environment_id": w.prod}, "integration_id"),
            ({"integration_id": "zendesk", "environment_id": w.prod}, "integration_id"),
            ({"integration_id": integ.upper() + "0", "environment_id": w.prod}, "integration_id"),
            ({"integration_id": [integ], "environment_id": w.prod}, "integration_id"),
            ({"integration_id": integ, "environment_id": "production"}, "environment_id"),
            ({"integration_id": integ, "environment_id": None}, "environment_id"),
            ({"integration_id": integ, "environment_id": w.prod, "is_enabled": "yes"}, "is_enabled"),
            ({"integration_id": integ, "environment_id": w.prod, "show_in_catalog": 1},
             "show_in_catalog"),
            ({"integration_id": integ, "environment_id": w.prod, "override": []}, "override"),
            ({"integration_id": integ, "environment_id": w.prod, "override": {"bogus": 1}},
             "override.bogus"),
            ({"integration_id": integ, "environment_id": w.prod, "override": {"headers": {"a": 1}}},
             "override.headers.a"),
            ({"integration_id": integ, "environment_id": w.prod, "bogus": 1}, "bogus"),
            ('{"integration_id":"%s","integration_id":"%s","environment_id":"%s"}'
             % (integ, integ, w.prod), "integration_id"),
            ('{"integration_id":"%s","environment_id":"%s"} x' % (integ, w.prod), None),
            ('[{"integration_id":"%s"}]' % integ, "body"),
            ('', "body"),
    ):
        expect_400(post(stack, body), path)
    check(table_checksum(stack) == before, "a refused POST wrote")
    check(count_installs(stack, w.prod, integ) == 0, "installed anyway")


# ---------------------------------------------------------------------------
# 6. DELETE

def test_delete(stack):
    w = world(stack)
    ei, _ = new_row(stack)
    ei_stage, _ = new_row(stack, env=w.stage)
    missing = delete(stack, str(uuid.uuid4()))
    expect_clean_error(missing, 404)
    # an environment token cannot delete a row of its team's other environment
    before = state(stack, ei_stage)
    r = delete(stack, ei_stage, token=w.prod_token)
    check(r.status == 404 and r.json() == missing.json(), (r.status, r.body))
    check(state(stack, ei_stage) == before, "deleted through the wrong environment")
    for bad in ("not-a-uuid", ei[:-1], ei + "0", ei.replace("-", ""), "%20", "x%2Fy"):
        r = delete(stack, bad)
        expect_clean_error(r, 404)
    check(snapshot(stack, ei) is not None, "a malformed DELETE deleted")
    r = delete(stack, ei)
    check(r.status == 200, "status %d %r" % (r.status, r.body))
    check((r.header("Content-Type") or "").startswith(JSON), r.headers)
    check(r.json() == {"id": ei}, r.body)
    check(snapshot(stack, ei) is None, "row still there")
    r2 = delete(stack, ei)
    expect_clean_error(r2, 404)
    check(r2.json() == missing.json(), "second DELETE's 404 differs")
    expect_clean_error(get(stack, ei), 404)
    expect_clean_error(patch(stack, ei, {"is_enabled": True}), 404)
    check(snapshot(stack, ei) is None, "PATCH revived the row")
    # the stage row is still there; its own team token deletes it
    r = delete(stack, ei_stage)
    check(r.status == 200 and r.json() == {"id": ei_stage}, r.body)
    check(snapshot(stack, ei_stage) is None, "stage row still there")


# ---------------------------------------------------------------------------
# installed_environment is kept in integration_install by triggers
# (db/migrations/0003: a bitmap of env_no); these check it stays exact
# whoever writes.

def test_installed_environment_under_concurrent_installs_and_deletes(stack):
    """Installs and uninstalls of one integration across six environments,
    at once through the API (both workers) and envintctl (own connections):
    after every round each install's installed_environment is the sorted
    list of where it is installed, an environment token sees only its own,
    and integration_install agrees with a recomputation."""
    w = world(stack)
    team = stack.ctl_out("team", "create", "--name", "Install Race")
    envs = sorted((stack.ctl_out("environment", "create", "--team", team, "--name", "e%d" % k)
                   for k in range(6)), key=lambda e: _hex(e).lower())
    token = stack.ctl_out("token", "create", "--team", team, "--name", "race")
    env_token = stack.ctl_out("token", "create", "--environment", envs[2], "--name", "race e2")
    integ = new_integration(stack, team=team)
    rng = random.Random(5)
    installed = {}  # env -> ei id

    def api_install(env):
        return lambda: post(stack, {"integration_id": integ, "environment_id": env}, token=token)

    def ctl_install(env):
        return lambda: stack.ctl("install", "--environment", env, "--integration", integ)

    def api_delete(ei):
        return lambda: delete(stack, ei, token=token)

    for rnd in range(6):
        todo = [e for e in envs if e not in installed]
        fns = [(api_install if k % 2 else ctl_install)(e) for k, e in enumerate(todo)]
        gone = rng.sample(sorted(installed), rng.randint(0, len(installed)))
        fns += [api_delete(installed[e]) for e in gone]
        rng.shuffle(fns)
        for res in parallel(fns):
            ok = getattr(res, "status", 0) in (200, 201) or getattr(res, "returncode", 1) == 0
            check(ok, "round %d: %r" % (rnd, res))
        installed = {_dashed(row[0]): _dashed(row[1]) for row in stack.sql(
            "SELECT HEX(environment_id), HEX(id) FROM environment_integration"
            " WHERE integration_id = UNHEX('%s')" % _hex(integ))}
        check(set(installed) == set(envs) - set(gone),
              "round %d: installed in %r" % (rnd, sorted(installed)))
        want = sorted(installed, key=lambda e: _hex(e).lower())
        for e, ei in installed.items():
            got = get(stack, ei, token=token).json()["integration"]["installed_environment"]
            check(got == want, "round %d: %s lists %r, want %r" % (rnd, ei, got, want))
        if envs[2] in installed:
            got = get(stack, installed[envs[2]], token=env_token).json()
            check(got["integration"]["installed_environment"] == [envs[2]],
                  "environment token: %r" % got["integration"]["installed_environment"])
        check(install_drift(stack) == [], "round %d: drift %r" % (rnd, install_drift(stack)))
    for ei in installed.values():
        check(delete(stack, ei, token=token).status == 200, "cleanup")
    check(stack.sql("SELECT COUNT(*) FROM integration_install WHERE integration_id = UNHEX('%s')"
                    % _hex(integ))[0][0] == "0", "an entry outlived its last install")


def test_installed_environment_follows_sql_maintenance(stack):
    """Writes that bypass the API keep it exact too: a DBA's UPDATE moving
    an install, deleting an environment (its installs go by the trigger,
    not silently by the foreign key cascade), plain INSERT and DELETE."""
    team = stack.ctl_out("team", "create", "--name", "Install Maint")
    token = stack.ctl_out("token", "create", "--team", team, "--name", "maint")
    envs = [stack.ctl_out("environment", "create", "--team", team, "--name", "m%d" % k)
            for k in range(4)]
    integ = new_integration(stack, team=team)
    eis = [stack.ctl_out("install", "--environment", e, "--integration", integ) for e in envs[:3]]

    def listed():
        return get(stack, eis[0], token=token).json()["integration"]["installed_environment"]

    def ordered(es):
        return sorted(es, key=lambda e: _hex(e).lower())
    check(listed() == ordered(envs[:3]), listed())
    # move the second install to the fourth environment
    stack.sql_root("UPDATE environment_integration SET environment_id = UNHEX('%s')"
                   " WHERE id = UNHEX('%s')" % (_hex(envs[3]), _hex(eis[1])), database="envint")
    check(listed() == ordered([envs[0], envs[2], envs[3]]), listed())
    # delete the third environment: its install cascades away
    stack.sql_root("DELETE FROM api_token WHERE environment_id = UNHEX('%s');"
                   " DELETE FROM environment WHERE id = UNHEX('%s')" % (_hex(envs[2]), _hex(envs[2])),
                   database="envint")
    check(snapshot(stack, eis[2]) is None, "the environment's install survived it")
    check(listed() == ordered([envs[0], envs[3]]), listed())
    # plain SQL delete
    stack.sql_root("DELETE FROM environment_integration WHERE id = UNHEX('%s')" % _hex(eis[1]),
                   database="envint")
    check(listed() == [envs[0]], listed())
    check(install_drift(stack) == [], "drift %r" % install_drift(stack))
    # a lost entry (maintenance gone wrong) empties the list, never the row
    stack.sql_root("DELETE FROM integration_install WHERE integration_id = UNHEX('%s')"
                   % _hex(integ), database="envint")
    r = get(stack, eis[0], token=token)
    check(r.status == 200 and r.json()["integration"]["installed_environment"] == [],
          (r.status, r.body[:200]))
    check(len(install_drift(stack)) == 1, "drift %r" % install_drift(stack))
    stack.sql_root("DELETE FROM environment_integration WHERE id = UNHEX('%s')" % _hex(eis[0]),
                   database="envint")
    check(install_drift(stack) == [], "drift %r" % install_drift(stack))


# ---------------------------------------------------------------------------
# 7. Another tenant

def test_other_tenant_sees_404_and_writes_nothing(stack):
    w = world(stack)
    ei, _ = new_row(stack)
    patch_ok(stack, ei, {"override": {"label": "mine"}})
    unknown = str(uuid.uuid4())
    before = state(stack, ei)
    for token in (stack.tokens["globex-team"], stack.tokens["acme-team"],
                  stack.tokens["acme-production"], w.solo_token):
        for name, call in (
                ("GET", lambda t, i: get(stack, i, token=t)),
                ("PATCH", lambda t, i: patch(stack, i, {"is_enabled": False,
                                                        "override": {"label": "theirs"}}, token=t)),
                ("PATCH If-Match current", lambda t, i: patch(stack, i, {"is_enabled": False},
                                                              token=t, headers={"If-Match": '"2"'})),
                ("PATCH If-Match stale", lambda t, i: patch(stack, i, {"is_enabled": False},
                                                            token=t, headers={"If-Match": '"1"'})),
                ("PATCH If-Match *", lambda t, i: patch(stack, i, {"is_enabled": False}, token=t,
                                                        headers={"If-Match": "*"})),
                ("PATCH {}", lambda t, i: patch(stack, i, {}, token=t)),
                ("DELETE", lambda t, i: delete(stack, i, token=t)),
                ("DELETE If-Match stale", lambda t, i: delete(stack, i, token=t,
                                                              headers={"If-Match": '"1"'})),
                ("DELETE If-Match *", lambda t, i: delete(stack, i, token=t,
                                                          headers={"If-Match": "*"})),
        ):
            theirs, none = call(token, ei), call(token, unknown)
            expect_clean_error(none, 404)
            check(theirs.status == 404 and theirs.body == none.body,
                  "%s of another tenant's row: %d %r vs %r" % (name, theirs.status, theirs.body,
                                                                none.body))
            check(theirs.header("ETag") is None, "%s: ETag leaked" % name)
            check(state(stack, ei) == before, "%s by another tenant wrote" % name)
    # installing into someone else's environment
    for token, env, integ in ((stack.tokens["globex-team"], w.acme_staging, w.freshdesk),
                              (stack.tokens["globex-team"], w.acme_prod, w.acme_quickbooks),
                              (stack.tokens["globex-team"], w.prod, new_integration(stack)),
                              (stack.tokens["acme-team"], w.stage, w.acme_quickbooks)):
        r = post(stack, {"integration_id": integ, "environment_id": env}, token=token)
        expect_clean_error(r, 404)
        check(count_installs(stack, env, integ) == 0, "installed into another tenant's env")
    check(state(stack, ei)[1] == before[1], "the table changed")


# ---------------------------------------------------------------------------
# 8. Concurrency

def test_concurrent_patches_serialise(stack):
    n = 32
    ei, _ = new_row(stack)
    start = snapshot(stack, ei)
    bodies = [{"override": {"label": "writer-%d" % k}, "is_enabled": k % 2 == 0} for k in range(n)]
    res = parallel([lambda b=b: patch(stack, ei, b) for b in bodies])
    bad = [(k, r.status, r.body[:120]) for k, r in enumerate(res) if r.status != 200]
    check(not bad, "not 200: %r" % bad)
    end = snapshot(stack, ei)
    check(end["version"] == start["version"] + n, "version %d -> %d" % (start["version"], end["version"]))
    stored = json.loads(end["override_bytes"])
    winners = [k for k, b in enumerate(bodies) if b["override"] == stored]
    check(len(winners) == 1, "stored override %r matches %r" % (stored, winners))
    k = winners[0]
    check(end["is_enabled"] is bodies[k]["is_enabled"],
          "override of writer %d but is_enabled of another" % k)
    check(end["override_bytes"] == ('{"label":"writer-%d"}' % k).encode(), end["override_bytes"])
    # every reply shows its own write, with its own version; the last
    # version is the stored state; updated_at rises with the version
    versions = {}
    for j, r in enumerate(res):
        obj = r.json()
        check(obj["override"] == bodies[j]["override"] and obj["is_enabled"] is bodies[j]["is_enabled"],
              "writer %d's reply shows %r" % (j, obj["override"]))
        tag = etag_of(r)
        check(tag and tag.startswith('"') and tag.endswith('"'), tag)
        versions[int(tag.strip('"'))] = (j, obj["updated_at"])
    check(sorted(versions) == list(range(start["version"] + 1, end["version"] + 1)),
          "versions in the replies: %r" % sorted(versions))
    check(versions[end["version"]][0] == k, "the last version is not the stored write")
    times = [versions[v][1] for v in sorted(versions)]
    check(times == sorted(set(times)), "updated_at not strictly increasing with version: %r" % times)
    check(times[-1] == api_time(end["updated_at"]), (times[-1], end["updated_at"]))


def test_concurrent_if_match_only_one_wins(stack):
    n = 16
    ei, _ = new_row(stack)
    _, start = patch_ok(stack, ei, {"override": {"label": "start"}})
    tag = '"%d"' % start["version"]
    bodies = [{"override": {"label": "racer-%d" % k}, "show_in_catalog": k % 2 == 1}
              for k in range(n)]
    res = parallel([lambda b=b: patch(stack, ei, b, headers={"If-Match": tag}) for b in bodies])
    statuses = [r.status for r in res]
    check(statuses.count(200) == 1 and statuses.count(412) == n - 1, "statuses %r" % statuses)
    for r in res:
        if r.status == 412:
            expect_clean_error(r, 412)
    k = statuses.index(200)
    end = snapshot(stack, ei)
    check(end["version"] == start["version"] + 1, "version %d -> %d" % (start["version"], end["version"]))
    check(json.loads(end["override_bytes"]) == bodies[k]["override"] and
          end["show_in_catalog"] is bodies[k]["show_in_catalog"], "stored %r, winner %d" % (end, k))
    check(etag_of(res[k]) == '"%d"' % end["version"], etag_of(res[k]))
    # the same race on DELETE: one 200, the rest 412 or 404 (already gone)
    tag = '"%d"' % end["version"]
    res = parallel([lambda: delete(stack, ei, headers={"If-Match": tag}) for _ in range(8)])
    statuses = sorted(r.status for r in res)
    check(statuses.count(200) == 1 and all(s in (200, 404, 412) for s in statuses),
          "DELETE statuses %r" % statuses)
    check(snapshot(stack, ei) is None, "row still there")


def test_concurrent_posts_make_one_row(stack):
    w = world(stack)
    rounds = []
    for env, token, with_env in ((w.prod, w.token, True), (w.prod, w.prod_token, False),
                                 (w.stage, w.token, True)):
        integ = new_integration(stack)
        body = {"integration_id": integ}
        if with_env:
            body["environment_id"] = env
        res = parallel([lambda: post(stack, body, token=token) for _ in range(8)])
        rounds.append((env, integ, res))
    problems = []
    for env, integ, res in rounds:
        statuses = [r.status for r in res]
        if sorted(statuses) != [200] * 7 + [201]:
            problems.append("statuses %r: %r" % (statuses, [r.body[:150] for r in res
                                                            if r.status not in (200, 201)]))
            continue
        ids = {r.json()["id"] for r in res}
        if len(ids) != 1:
            problems.append("ids %r" % ids)
        if count_installs(stack, env, integ) != 1:
            problems.append("rows %d" % count_installs(stack, env, integ))
        created = [r for r in res if r.status == 201][0]
        if created.header("Location") is None:
            problems.append("201 without Location")
        if any(r.json() != created.json() for r in res):
            problems.append("replies differ")
    check(not problems, "; ".join(problems))
