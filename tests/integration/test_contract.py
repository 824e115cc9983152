"""Contract gaps found by outside testing (issue 13), through nginx: RFC 8259
whitespace, discriminator types, bounded error echoes, HEAD on every GET
route, timestamps without an offset, query parameters on one object, and
one 503 message. (nginx's own error pages: test_nginx.py; the body corpus
with the new whitespace cases runs in test_write.test_bad_patch_corpus.)

Rows written here are fresh installs in test_write's own tenants."""
import json
import os

from helpers import check, expect_error
from stack import wait_for
from test_write import (PATH, bad_patch, delete, expect_400, get, new_row, patch, snapshot,
                        state, world)

ECHO_MAX = 64   # app/base/qs.h


# ---------------------------------------------------------------------------
# 1. JSON whitespace is space, tab, LF and CR only

def test_form_feed_and_vertical_tab_write_nothing(stack):
    ei, _ = new_row(stack)
    before = None
    for body in (b'{"is_enabled":\x0cfalse}', b'{"is_enabled":false}\x0c',
                 b'{"is_enabled":false}\x0b', b'\x0b{"is_enabled":false}',
                 b'{"override":{"tags":[\x0c]}}', b'{"override":{\x0b"label":"x"}}',
                 b'{"override":{"label":"x"}\x0c}', b'{"is_enabled"\x0c:false}'):
        r = bad_patch(stack, ei, body, path="body", before=before)
        check("not valid JSON" in r.json()["message"], r.body)
        before = r.after
    # RFC whitespace everywhere is fine, and DEL and escaped controls in strings
    r = patch(stack, ei, b' \t\r\n{ "override" :\t{"label":"a\x7f\\f"} ,"is_enabled"\r\n: false }\n')
    check(r.status == 200, "status %d %r" % (r.status, r.body[:200]))
    check(r.json()["override"] == {"label": "a\x7f\x0c"}, r.json()["override"])
    check(r.json()["is_enabled"] is False, r.body[:200])


def test_import_refuses_form_feed(stack):
    w = world(stack)
    path = os.path.join(w.dir, "ff.json")
    with open(path, "wb") as f:
        f.write(b'{"name":"ff-integration","category":"crm","config":{"label":"x"},\x0c'
                b'"sharing":"allow"}')
    r = stack.ctl("integration", "import", path, "--team", w.team, check=False)
    check(r.returncode != 0, "import accepted a form feed: %r" % r.stdout)
    check(stack.sql("SELECT COUNT(*) FROM integration WHERE name = 'ff-integration'")
          == [["0"]], "the refused import wrote")
    with open(path, "wb") as f:
        f.write(b'{"name":"ff-integration","category":"crm","config":{"label":"x",'
                b'"tags":[\x0b]}}')
    r = stack.ctl("integration", "import", path, "--team", w.team, check=False)
    check(r.returncode != 0, "import accepted a vertical tab in the config")


# ---------------------------------------------------------------------------
# 3. Known discriminators with the wrong type

def test_discriminator_types(stack):
    ei, _ = new_row(stack)
    before = None
    for override, path in (
            ({"webhook": {"signature_verification": {"format": 7}}},
             "override.webhook.signature_verification.format"),
            ({"credentials": {"format": 5, "config": {}}}, "override.credentials.format"),
            ({"credentials": {"oauth2": "x"}}, "override.credentials.oauth2"),
            ({"pagination": {"config": "x", "format": "page"}}, "override.pagination.config"),
            ({"credentials": {"oauth2": {"format": "oauth2", "config": []}}},
             "override.credentials.oauth2.config")):
        before = bad_patch(stack, ei, {"override": override}, path=path, before=before).after
    ok = {"credentials": {"oauth2": {"format": "oauth2", "config": {"client": {"id": "x"}}}},
          "pagination": {"format": "cursor", "config": {"cursor_key": "after"}},
          "webhook": {"signature_verification": {"format": "custom", "config": {}}}}
    r = patch(stack, ei, {"override": ok})
    check(r.status == 200 and r.json()["override"] == ok, (r.status, r.body[:300]))
    r = patch(stack, ei, {"override": {"pagination": {"config": "x"}}})
    check(r.status == 200, "config without a format is the integration's own: %r" % r.body[:200])
    # integration import holds configs to the same rule
    w = world(stack)
    path = os.path.join(w.dir, "disc.json")
    with open(path, "w") as f:
        json.dump({"name": "disc-integration", "category": "crm",
                   "config": {"credentials": {"format": 5, "config": {}}}}, f)
    r = stack.ctl("integration", "import", path, "--team", w.team, check=False)
    check(r.returncode != 0 and "config.credentials.format" in r.stderr,
          "import: %d %r" % (r.returncode, r.stderr))


# ---------------------------------------------------------------------------
# 4. Error bodies echo at most 64 bytes of any piece of input

def test_error_echo_is_bounded(stack):
    ei, _ = new_row(stack)
    key = "k" * (4 * 1024 * 1024)
    r = bad_patch(stack, ei, json.dumps({key: 1}).encode())
    check(len(r.body) < 1024, "a %d-byte error body" % len(r.body))
    failure = r.json()["details"]["failures"][0]
    check(failure == {"path": "k" * ECHO_MAX + "...", "message": "unknown field"}, failure)
    check(r.json()["message"] == "invalid body: %s unknown field" % failure["path"], r.json())
    # a duplicate 3 MiB key inside the override: 32 two-byte characters fill
    # the 64 bytes exactly, and no character is cut
    dup = ("\u00e9" * 40 + "k" * (3 * 1024 * 1024)).encode()
    r = bad_patch(stack, ei, b'{"override":{"environment_variables":{"a":1,"' + dup +
                  b'":1,"' + dup + b'":2}}}')
    check(len(r.body) < 1024, "a %d-byte error body" % len(r.body))
    failure = r.json()["details"]["failures"][0]
    check(failure == {"path": "override.environment_variables." + "\u00e9" * 32 + "...",
                      "message": "duplicate key"}, failure)
    # a query parameter's name, on the list and on one object
    name = "x" * 5000
    for p in (PATH, PATH + "/" + ei):
        r = stack.get(p + "?" + name + "=1", token=world(stack).token)
        body = expect_error(r, 400)
        check(body["details"]["failures"][0]["path"] == "x" * ECHO_MAX + "...", body)
        check(len(r.body) < 1024, "a %d-byte error body" % len(r.body))


# ---------------------------------------------------------------------------
# 5. HEAD wherever GET works

SKIP_HEADERS = {"date", "x-request-id", "transfer-encoding", "connection", "content-length"}


def _head_matches_get(stack, path, token=None):
    g = stack.request("GET", path, token=token)
    h = stack.request("HEAD", path, token=token)
    check(h.status == g.status, "%s: HEAD %d, GET %d" % (path, h.status, g.status))
    check(h.body == b"", "%s: HEAD sent a body %r" % (path, h.body[:100]))
    gh = {k.lower(): v for k, v in g.headers if k.lower() not in SKIP_HEADERS}
    hh = {k.lower(): v for k, v in h.headers if k.lower() not in SKIP_HEADERS}
    check(gh == hh, "%s: headers differ:\nGET  %r\nHEAD %r" % (path, gh, hh))
    # envint sends no Content-Length (replies are streamed); where GET has one, HEAD has it too
    check(g.header("Content-Length") in (None, h.header("Content-Length")),
          "%s: Content-Length %r vs %r" % (path, g.header("Content-Length"),
                                           h.header("Content-Length")))
    return g, h


def test_head_on_every_get_route(stack):
    w = world(stack)
    ei, _ = new_row(stack)
    _head_matches_get(stack, "/healthz")
    _head_matches_get(stack, "/healthz/")
    _head_matches_get(stack, PATH, token=w.token)
    _head_matches_get(stack, PATH + "?limit=1000&is_enabled=true", token=w.token)
    g, h = _head_matches_get(stack, PATH + "/" + ei, token=w.token)
    check(g.status == 200 and h.header("ETag") == g.header("ETag") == '"1"', h.headers)
    # errors answer HEAD the same way: 400, 401, 404
    _head_matches_get(stack, PATH + "?limit=0", token=w.token)
    _head_matches_get(stack, PATH)
    _head_matches_get(stack, PATH + "/" + ei)
    _head_matches_get(stack, PATH + "/not-a-uuid", token=w.token)
    _head_matches_get(stack, "/nope")
    # HEAD is in every Allow list
    for path, allow in (("/healthz", "GET, HEAD"), (PATH, "GET, HEAD, POST"),
                        (PATH + "/" + ei, "GET, HEAD, PATCH, DELETE")):
        r = stack.request("PUT", path, token=w.token)
        expect_error(r, 405)
        check(r.header("Allow") == allow, "%s: Allow %r" % (path, r.header("Allow")))
    # HEAD writes nothing and reads as GET does (another tenant: 404)
    check(stack.request("HEAD", PATH + "/" + ei, token=stack.tokens["acme-team"]).status == 404,
          "another tenant's row answered HEAD")


# ---------------------------------------------------------------------------
# 6. Timestamps without an offset are UTC, compared at full precision

def _matches(stack, ei, token, query):
    r = stack.get(PATH + "?id=" + ei + "&" + query, token=token)
    check(r.status == 200, "%s: %d %r" % (query, r.status, r.body[:300]))
    ids = [o["id"] for o in r.json()["result"]]
    one = stack.get(PATH + "/" + ei + "?" + query, token=token)
    check(one.status == (200 if ids else 404), "%s: GET by id %d, list %r" % (query, one.status, ids))
    return ids == [ei]


def test_timestamps_without_offset(stack):
    w = world(stack)
    ei, _ = new_row(stack)
    stack.sql("UPDATE environment_integration SET created_at = '2024-01-01 00:00:00.000'"
              " WHERE id = UNHEX('%s')" % ei.replace("-", ""))
    want = {
        "created_at=2024-01-01T00:00:00": True,
        "created_at=2024-01-01T00:00:00.000000": True,
        "created_at[eq]=2024-01-01T00:00:00.0005": False,     # never rounded to .000
        "created_at[ne]=2024-01-01T00:00:00.0005": True,
        "created_at[gt]=2024-01-01T00:00:00.0005": False,
        "created_at[gte]=2024-01-01T00:00:00.0005": False,
        "created_at[lt]=2024-01-01T00:00:00.0005": True,
        "created_at[lte]=2024-01-01T00:00:00.0005": True,
        "created_at[gt]=2023-12-31T23:59:59.999999": True,
        "created_at[gte]=2024-01-01T00:00:00.000001": False,
        "created_at[lt]=2024-01-01T00:00:00.000001": True,
        "created_at[lte]=2023-12-31T23:59:59.9995": False,
        "created_at[in]=2024-01-01T00:00:00.0005,2024-01-01T00:00:00": True,
        "created_at[nin]=2024-01-01T00:00:00.0005": True,
        # naive means UTC: an hour later in +01:00 is the same instant
        "created_at=2024-01-01T01:00:00%2B01:00": True,
        "created_at[gte]=2024-01-01": True,
        "created_at[gte]=2024-01-01+00:00:00.1": False,        # '+' is a space: the 'T'
    }
    bad = [k for k, v in want.items() if _matches(stack, ei, w.token, k) != v]
    check(not bad, "wrong results for: %r" % bad)
    for garbage in ("2024-01-01T00:00:00.1234567", "2024-01-01T24:00:00", "2024-01-01T00",
                    "2024-01-01T00:00:00Zx", "2024-13-01T00:00:00", "20240101T000000"):
        body = expect_error(stack.get(PATH + "?created_at[gte]=" + garbage, token=w.token), 400)
        check(body["details"]["failures"][0]["path"] == "created_at[gte]", body)


# ---------------------------------------------------------------------------
# 7. Query parameters on one object; one 503

def test_query_parameters_on_one_object(stack):
    w = world(stack)
    ei, integ = new_row(stack)
    item = PATH + "/" + ei
    plain = get(stack, ei)
    check(plain.status == 200, plain.body[:200])
    for q in ("?", "?&", "?is_enabled=true", "?integration_id=" + integ,
              "?id[in]=%s,%s" % (ei, ei), "?environment_id=" + w.prod,
              "?integration[category]=crm&created_at[lte]=9999-01-01"):
        r = stack.get(item + q, token=w.token)
        check(r.status == 200 and r.body == plain.body, "%s: %d %r" % (q, r.status, r.body[:200]))
    for q in ("?is_enabled=false", "?integration.name=nope", "?id[ne]=" + ei,
              "?environment_id=" + w.stage, "?created_at[lt]=2000-01-01"):
        r = stack.get(item + q, token=w.token)
        body = expect_error(r, 404)
        check(body == expect_error(get(stack, "00000000-0000-4000-8000-000000000000"), 404),
              "%s: the 404 differs from an unknown id's" % q)
    for q, name in (("?limit=1", "limit"), ("?next_cursor=", "next_cursor"),
                    ("?is_enabled=maybe", "is_enabled"), ("?include=all", "include"),
                    ("?is_enabled=true&expand=x", "expand")):
        expect_400(stack.get(item + q, token=w.token), name)
    # PATCH and DELETE take no parameter at all, and write nothing
    before = state(stack, ei)
    for q, name in (("?is_enabled=true", "is_enabled"), ("?x=1", "x"), ("?limit", "limit")):
        r = stack.request("PATCH", item + q, token=w.token, body=b'{"is_enabled":false}',
                          headers={"Content-Type": "application/json"})
        expect_400(r, name)
        r = stack.request("DELETE", item + q, token=w.token)
        expect_400(r, name)
        check(state(stack, ei) == before, "%s: a refused request wrote" % q)
    r = stack.request("PATCH", item + "?", token=w.token, body=b'{"is_enabled":false}',
                      headers={"Content-Type": "application/json"})
    check(r.status == 200, "PATCH with an empty query: %d" % r.status)
    r = delete(stack, ei + "?")
    check(r.status == 200 and snapshot(stack, ei) is None, "DELETE with an empty query")


def test_one_503_everywhere(stack):
    """Every 503 of envint has one message and Retry-After from retry_after
    (the nginx site renders the same value for its own 502/503/504)."""
    stack.stop_db()
    try:
        seen = set()
        for method, path, token in (("GET", "/healthz", None),
                                    ("GET", PATH, stack.tokens["acme-team"]),
                                    ("GET", PATH + "/00000000-0000-4000-8000-000000000000",
                                     stack.tokens["acme-team"])):
            r = stack.request(method, path, token=token)
            body = expect_error(r, 503)
            check(r.header("Retry-After") == "1", r.headers)
            seen.add(body["message"])
        check(seen == {"database unavailable, retry later"}, seen)
    finally:
        stack.start_db()
    # the workers come back on their own
    wait_for(lambda: stack.get("/healthz").status == 200, 30, "envint to reach the database")
