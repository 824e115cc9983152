"""Change history of environment integrations (issue 15 §3): every API write
that changes a row appends one entry, GET /environment-integration/{id}/history
pages through them newest first, POST /environment-integration/{id}/restore
writes one back as a new version, and history_keep bounds how many stay.

What each test writes lives in tenants of its own (world()): "History <tag>"
(environments prod and stage; a team token and one token per environment)
and "History Other <tag>" (one environment, a team token). Rows are
installed through the API (or envintctl, for the "admin" entry), each test
making its own.

The expected history is built here, write by write (Log): after each
successful write the row is read from the database and the entry it must
have left is derived from it, with the answering X-Request-Id and the
acting token (its id looked up by selector). "Nothing was written"
compares the row's columns, the CHECKSUM of environment_integration, the
row's ei_history rows (with their overrides) and the CHECKSUMs of
ei_history and ei_history_override before and after (frozen()). Every
check of the log also recounts ei_history_override's refs.

Retention runs on extra envint instances (one worker, their own nginx)
with history_keep set in their configuration; `envintctl history prune`
runs on a scratch database of its own, so that pruning never touches the
other modules' rows.
"""
import contextlib
import json
import os
import re
import tempfile
import uuid

from helpers import check, history_override_drift
from test_cut import envint_instance, nginx_for
from test_write import (JSON, MIB, PATH, api_time, check_write, expect_400,
                        expect_clean_error, parallel, send, snapshot, state)

MP = "application/merge-patch+json"
ENTRY_KEYS = ["environment_integration_id", "environment_id", "integration_id", "version", "kind",
              "created_at", "token", "request_id", "show_in_catalog", "is_enabled", "override"]
PAGE_KEYS = ["result", "next_cursor", "limit"]
NOT_FOUND = "environment integration not found"
NO_ENTRY = "history entry not found"
PAGE_DEFAULT, PAGE_MAX = 100, 1000     # the test stack's page_default and page_max
# response headers that differ between two identical requests
VOLATILE = {"x-request-id", "date", "connection", "keep-alive"}


def _hex(u):
    return u.replace("-", "")


# ---------------------------------------------------------------------------
# Tenants of our own, made once per stack

class World:
    pass


_WORLDS = {}


def world(stack):
    w = _WORLDS.get(stack.dir)
    if w is not None:
        return w
    w = World()
    w.tag = uuid.uuid4().hex[:6]
    w.dir = tempfile.mkdtemp(prefix="history-", dir=stack.dir)
    w.n = 0
    w.team = stack.ctl_out("team", "create", "--name", "History %s" % w.tag)
    w.prod = stack.ctl_out("environment", "create", "--team", w.team, "--name", "prod")
    w.stage = stack.ctl_out("environment", "create", "--team", w.team, "--name", "stage")
    w.token = stack.ctl_out("token", "create", "--team", w.team, "--name", "history team " + w.tag)
    w.prod_token = stack.ctl_out("token", "create", "--environment", w.prod,
                                 "--name", "history prod " + w.tag)
    w.stage_token = stack.ctl_out("token", "create", "--environment", w.stage,
                                  "--name", "history stage " + w.tag)
    w.other_team = stack.ctl_out("team", "create", "--name", "History Other %s" % w.tag)
    w.other_env = stack.ctl_out("environment", "create", "--team", w.other_team, "--name", "only")
    w.other_token = stack.ctl_out("token", "create", "--team", w.other_team,
                                  "--name", "history other " + w.tag)
    _WORLDS[stack.dir] = w
    return w


def new_integration(ctl, w, team=None):
    """A fresh integration (sharing allow) imported by `ctl` (a Stack whose
    configuration names the database) for `team` (default: ours); its id."""
    w.n += 1
    name = "hist-%03d-%s" % (w.n, uuid.uuid4().hex[:6])
    path = os.path.join(w.dir, name + ".json")
    with open(path, "w") as f:
        json.dump({"name": name, "category": "crm", "is_beta": False, "sharing": "allow",
                   "config": {"base_url": "https://%s.example/api" % name, "label": name}}, f)
    return ctl.ctl_out("integration", "import", path, "--team", team or w.team)


def install(stack, w, env=None, token=None, http=None, **fields):
    """A fresh install through the API (POST answering 201), in our prod
    environment unless told: (its id, the response)."""
    http = http or stack
    body = dict({"integration_id": new_integration(stack, w), "environment_id": env or w.prod},
                **fields)
    r = send(http, "POST", PATH, token or w.token, body)
    check(r.status == 201, "install: %d %r" % (r.status, r.body[:300]))
    return r.json()["id"], r


def token_info(stack, token):
    """The {"id", "name"} a history entry shows for this token."""
    rows = stack.sql("SELECT LOWER(HEX(id)), name FROM api_token WHERE selector = UNHEX('%s')"
                     % token[3:19])
    check(len(rows) == 1, "token %s...: %r" % (token[:19], rows))
    return {"id": str(uuid.UUID(hex=rows[0][0])), "name": rows[0][1]}


# ---------------------------------------------------------------------------
# Requests

def history(http, ei, token, query=""):
    return http.request("GET", "%s/%s/history%s" % (PATH, ei, "?" + query if query else ""),
                        token=token)


def restore(http, ei, token, body, ctype=JSON, headers=None):
    return send(http, "POST", "%s/%s/restore" % (PATH, ei), token, body, ctype=ctype,
                headers=headers)


def patch(http, ei, token, body, ctype=JSON, headers=None):
    return send(http, "PATCH", "%s/%s" % (PATH, ei), token, body, ctype=ctype, headers=headers)


def delete(http, ei, token, headers=None):
    return send(http, "DELETE", "%s/%s" % (PATH, ei), token, None, ctype=None, headers=headers)


def page(http, ei, token, query=""):
    """One history page that must be a 200: its body, shape checked."""
    r = history(http, ei, token, query)
    check(r.status == 200, "history ?%s: %d %r" % (query, r.status, r.body[:300]))
    check((r.header("Content-Type") or "").startswith(JSON), r.headers)
    check(r.header("ETag") is None, "history has an ETag: %r" % r.header("ETag"))
    body = r.json()
    check(list(body) == PAGE_KEYS, "page keys %r" % list(body))
    check(isinstance(body["result"], list), body)
    for e in body["result"]:
        check(list(e) == ENTRY_KEYS, "entry keys %r" % list(e))
    return body


def entries(http, ei, token):
    """Every entry of a row's history, newest first (one page of page_max)."""
    body = page(http, ei, token, "limit=%d" % PAGE_MAX)
    check(body["next_cursor"] is None, "next_cursor after a whole history")
    return body["result"]


def same_reply(a, b):
    """Status, headers (but the per-request ones) and body bytes."""
    def key(r):
        return (r.status, sorted((k.lower(), v) for k, v in r.headers
                                 if k.lower() not in VOLATILE), r.body)
    return key(a) == key(b)


def show(r):
    return "%d %r" % (r.status, r.body[:300])


# ---------------------------------------------------------------------------
# The database, read directly

def history_rows(stack, ei):
    """The row's ei_history rows, every column, oldest first."""
    return stack.sql(
        "SELECT version, kind, LOWER(HEX(environment_id)), LOWER(HEX(team_id)),"
        " LOWER(HEX(integration_id)), at, IFNULL(LOWER(HEX(token_id)), '-'),"
        " IFNULL(token_name, '-'), IFNULL(request_id, '-'), show_in_catalog, is_enabled,"
        " IFNULL(HEX(o.override), '-') FROM ei_history h LEFT JOIN ei_history_override o"
        " ON o.ei_id = h.ei_id AND o.sha256 = h.override_sha WHERE h.ei_id = UNHEX('%s')"
        " ORDER BY version" % _hex(ei))


def plant_override(stack, ei, version, text):
    """Makes entry `version` of `ei` name `text` as its override, the way a
    DBA who keeps ei_history_override's counts would (db/migrations/0006):
    the new override counted, the old one uncounted (and gone at 0)."""
    e, sha = "UNHEX('%s')" % _hex(ei), "UNHEX(SHA2('%s', 256))" % text
    stack.sql("INSERT INTO ei_history_override (ei_id, sha256, override, refs)"
              " VALUES (%s, %s, '%s', 1) ON DUPLICATE KEY UPDATE refs = refs + 1;"
              "UPDATE ei_history_override o JOIN ei_history h"
              " ON o.ei_id = h.ei_id AND o.sha256 = h.override_sha SET o.refs = o.refs - 1"
              " WHERE h.ei_id = %s AND h.version = %d;"
              "UPDATE ei_history SET override_sha = %s WHERE ei_id = %s AND version = %d;"
              "DELETE FROM ei_history_override WHERE ei_id = %s AND refs = 0"
              % (e, sha, text, e, version, sha, e, version, e))


def db_versions(stack, ei, database=None):
    q = "SELECT version FROM ei_history WHERE ei_id = UNHEX('%s') ORDER BY version DESC" % _hex(ei)
    if database:
        return [int(v) for v in stack.sql_root(q, database=database).stdout.split()]
    return [int(r[0]) for r in stack.sql(q)]


def frozen(stack, ei):
    """Everything a refused request must leave alone: the row, the
    environment_integration CHECKSUM, the row's history, the CHECKSUMs of
    ei_history and of the overrides it names."""
    return (state(stack, ei), history_rows(stack, ei),
            [r[1] for r in stack.sql("CHECKSUM TABLE ei_history, ei_history_override")])


def db_now(stack):
    """The database's clock, in the API's format."""
    return api_time(stack.sql("SELECT UTC_TIMESTAMP(3)")[0][0])


# ---------------------------------------------------------------------------
# The expected history

class Between:
    """A created_at that is only known to lie in [lo, hi] (ISO texts of one
    format compare as times)."""

    def __init__(self, lo, hi):
        self.lo, self.hi = lo, hi

    def __eq__(self, other):
        return isinstance(other, str) and self.lo <= other <= self.hi

    def __repr__(self):
        return "<between %s and %s>" % (self.lo, self.hi)


def entry(snap, kind, created, token, rid, version=None):
    return {"environment_integration_id": snap["id"], "environment_id": snap["environment_id"],
            "integration_id": snap["integration_id"],
            "version": snap["version"] if version is None else version, "kind": kind,
            "created_at": created, "token": token, "request_id": rid,
            "show_in_catalog": snap["show_in_catalog"], "is_enabled": snap["is_enabled"],
            "override": {} if snap["override_bytes"] is None
            else json.loads(snap["override_bytes"])}


class Log:
    """The history a row must show, oldest first, one entry per write."""

    def __init__(self, stack, ei):
        self.stack, self.ei, self.want = stack, ei, []

    def admin(self):
        """The entry of `envintctl install`: the row as it stands at version 1."""
        snap = snapshot(self.stack, self.ei)
        check(snap["version"] == 1, snap)
        self.want.append(entry(snap, "admin", api_time(snap["updated_at"]), None, None))

    def wrote(self, kind, resp, token):
        """A write that answered 200/201: its entry, from the row as stored now."""
        check(resp.status in (200, 201), "%s: %s" % (kind, show(resp)))
        rid = resp.header("X-Request-Id")
        check(rid, "no X-Request-Id")
        snap = snapshot(self.stack, self.ei)
        self.want.append(entry(snap, kind, api_time(snap["updated_at"]),
                               token_info(self.stack, token), rid))
        return snap

    def uninstalled(self, before, resp, token):
        """A DELETE that answered 200; `before` is the row just before it."""
        check(resp.status == 200, "uninstall: %s" % show(resp))
        lo = self.want[-1]["created_at"] if self.want else "0"
        self.want.append(entry(before, "uninstall", Between(lo, db_now(self.stack)),
                               token_info(self.stack, token), resp.header("X-Request-Id"),
                               version=before["version"] + 1))

    @property
    def top(self):
        return self.want[-1]["version"]


def check_log(http, log, token):
    """The API's history and ei_history are exactly the log, newest first."""
    got = entries(http, log.ei, token)
    want = list(reversed(log.want))
    check(len(got) == len(want), "%d entries, wanted %d: versions %r"
          % (len(got), len(want), [e["version"] for e in got]))
    for g, x in zip(got, want):
        check(g == x, "entry v%s:\n got %r\nwant %r" % (x["version"], g, x))
    check(db_versions(log.stack, log.ei) == [e["version"] for e in want],
          "ei_history versions %r" % db_versions(log.stack, log.ei))
    drift = history_override_drift(log.stack)
    check(drift == [], "ei_history_override miscounted: %r" % drift[:5])
    return got


def patch_ok(stack, log, token, body, ctype=JSON, headers=None):
    """A PATCH that changes the row (check_write); logs its update entry."""
    prev = snapshot(stack, log.ei)
    r = patch(stack, log.ei, token, body, ctype=ctype, headers=headers)
    obj, _ = check_write(stack, r, log.ei, prev, world(stack).token)
    log.wrote("update", r, token)
    return obj


def row_with_history(stack, w, n):
    """A row installed through the API and patched until its history has
    n entries; its Log."""
    ei, r = install(stack, w)
    log = Log(stack, ei)
    log.wrote("install", r, w.token)
    for k in range(n - 1):
        patch_ok(stack, log, w.token, {"override": {"label": "step %d" % k}})
    return log


# ---------------------------------------------------------------------------
# Which writes leave an entry

def test_install_leaves_an_install_entry_with_token_and_request_id(stack):
    """A 201 install: one entry, kind install, version 1, the token and request id."""
    w = world(stack)
    for token, env, fields in ((w.token, w.prod, {}),
                               (w.prod_token, w.prod, {"is_enabled": False, "show_in_catalog": True,
                                                       "override": {"label": "at install"}})):
        ei, r = install(stack, w, env=env, token=token, **fields)
        log = Log(stack, ei)
        log.wrote("install", r, token)
        got = check_log(stack, log, w.token)
        e = got[0]
        check(e["version"] == 1 and e["kind"] == "install", e)
        check(e["token"] == token_info(stack, token), e)
        check(e["request_id"] == r.header("X-Request-Id"), (e, r.header("X-Request-Id")))
        check(e["created_at"] == r.json()["created_at"] == r.json()["updated_at"], (e, r.json()))
        check(e["environment_id"] == env and e["override"] == r.json()["override"], e)


def test_patch_json_and_merge_add_update_entries(stack):
    """Every PATCH that makes a new version (JSON or merge patch) adds one update entry."""
    w = world(stack)
    ei, r = install(stack, w)
    log = Log(stack, ei)
    log.wrote("install", r, w.token)
    patch_ok(stack, log, w.token, {"is_enabled": False})
    patch_ok(stack, log, w.prod_token, {"override": {"label": "json", "headers": {"A": "1"}}})
    patch_ok(stack, log, w.token, {"override": {"headers": {"B": "2"}}}, ctype=MP)
    patch_ok(stack, log, w.prod_token, {"show_in_catalog": True, "override": {"label": None}},
             ctype=MP)
    # a JSON PATCH of what is already stored is still a new version
    patch_ok(stack, log, w.token, {"is_enabled": False})
    patch_ok(stack, log, w.token, {"override": None})
    got = check_log(stack, log, w.token)
    check([e["kind"] for e in got] == ["update"] * 6 + ["install"], got)
    # the merge patch merged headers into what the JSON PATCH had stored
    check(got[0]["override"] == {} and
          got[3]["override"] == {"label": "json", "headers": {"A": "1", "B": "2"}}, got[3])


def test_noop_patches_add_no_entry(stack):
    """A merge patch that changes nothing adds no entry; a JSON {} adds one only with a version."""
    w = world(stack)
    log = row_with_history(stack, w, 2)
    before = frozen(stack, log.ei)
    for body in ({}, {"override": {}}, {"override": {"label": "step 0"}},
                 {"override": {"nope": None}}, {"is_enabled": True}):
        r = patch(stack, log.ei, w.token, body, ctype=MP)
        check(r.status == 200, "%r: %s" % (body, show(r)))
        check(frozen(stack, log.ei) == before, "merge %r that changes nothing wrote" % (body,))
    # application/json {}: an entry exactly when it made a version
    r = patch(stack, log.ei, w.token, {})
    check(r.status == 200, show(r))
    if snapshot(stack, log.ei)["version"] != log.top:
        log.wrote("update", r, w.token)
    check_log(stack, log, w.token)


def test_failed_writes_add_no_entry(stack):
    """400, 412, 413 and 415 answers to PATCH, DELETE and restore leave history alone."""
    w = world(stack)
    log = row_with_history(stack, w, 3)
    v = log.top
    stale = {"If-Match": '"%d"' % (v - 1)}
    refused = [
        ("PATCH bad body", lambda: patch(stack, log.ei, w.token, {"bogus": 1}), 400),
        ("PATCH bad override", lambda: patch(stack, log.ei, w.token, {"override": {"no": 1}}),
         400),
        ("PATCH not JSON", lambda: patch(stack, log.ei, w.token, b'{"is_enabled":'), 400),
        ("merge bad result", lambda: patch(stack, log.ei, w.token,
                                           {"override": {"headers": {"A": 1}}}, ctype=MP), 400),
        ("PATCH stale If-Match", lambda: patch(stack, log.ei, w.token, {"is_enabled": False},
                                               headers=stale), 412),
        ("merge stale If-Match", lambda: patch(stack, log.ei, w.token, {"override": {"l": None}},
                                               ctype=MP, headers=stale), 412),
        ("DELETE stale If-Match", lambda: delete(stack, log.ei, w.token, headers=stale), 412),
        ("restore stale If-Match", lambda: restore(stack, log.ei, w.token, {"version": 1},
                                                   headers=stale), 412),
        ("PATCH text/plain", lambda: patch(stack, log.ei, w.token, {"is_enabled": False},
                                           ctype="text/plain"), 415),
        ("PATCH 9 MiB", lambda: patch(stack, log.ei, w.token, b'{"override":{"description":"'
                                      + b"a" * (9 * MIB) + b'"}}'), 413),
    ]
    for what, fn, status in refused:
        before = frozen(stack, log.ei)
        r = fn()
        check(r.status == status, "%s: %s, wanted %d" % (what, show(r), status))
        check(frozen(stack, log.ei) == before, "%s: a refused write changed something" % what)
    check_log(stack, log, w.token)


def test_idempotent_reinstall_adds_no_entry(stack):
    """A POST of an existing install answers 200 and adds nothing."""
    w = world(stack)
    ei, r = install(stack, w)
    log = Log(stack, ei)
    log.wrote("install", r, w.token)
    integ = r.json()["integration_id"]
    before = frozen(stack, ei)
    for token, body in ((w.token, {"integration_id": integ, "environment_id": w.prod}),
                        (w.prod_token, {"integration_id": integ, "is_enabled": False,
                                        "override": {"label": "ignored"}})):
        again = send(stack, "POST", PATH, token, body)
        check(again.status == 200 and again.json()["id"] == ei, show(again))
        check(frozen(stack, ei) == before, "a repeat install wrote")
    check_log(stack, log, w.token)


def test_ctl_install_records_an_admin_entry(stack):
    """`envintctl install`: kind admin, version 1, token and request_id null."""
    w = world(stack)
    integ = new_integration(stack, w)
    ei = stack.ctl_out("install", "--environment", w.prod, "--integration", integ)
    log = Log(stack, ei)
    log.admin()
    got = check_log(stack, log, w.token)
    check(got[0]["kind"] == "admin" and got[0]["token"] is None and got[0]["request_id"] is None,
          got)
    # the API's writes after it are its own
    patch_ok(stack, log, w.prod_token, {"is_enabled": False})
    check_log(stack, log, w.prod_token)


def test_uninstall_entry_and_history_after_uninstall(stack):
    """DELETE adds uninstall (last version + 1, the state before); the same scope still reads it."""
    w = world(stack)
    log = row_with_history(stack, w, 2)
    patch_ok(stack, log, w.token, {"show_in_catalog": True, "override": {"label": "last"}})
    before = snapshot(stack, log.ei)
    missing = history(stack, str(uuid.uuid4()), w.token)
    r = delete(stack, log.ei, w.prod_token)
    log.uninstalled(before, r, w.prod_token)
    check(snapshot(stack, log.ei) is None, "row still there")
    expect_clean_error(stack.get(PATH + "/" + log.ei, token=w.token), 404)
    got = check_log(stack, log, w.token)
    u = got[0]
    check(u["kind"] == "uninstall" and u["version"] == before["version"] + 1, u)
    check(u["override"] == {"label": "last"} and u["show_in_catalog"] is True, u)
    # the environment token of the row's environment too
    check(entries(stack, log.ei, w.prod_token) == got, "prod token's history differs")
    # another environment of the team, another team: as a missing id
    for token in (w.stage_token, w.other_token):
        r = history(stack, log.ei, token)
        check(same_reply(r, history(stack, str(uuid.uuid4()), token)),
              "foreign history of an uninstalled row: %s" % show(r))
    expect_clean_error(missing, 404, NOT_FOUND)


# ---------------------------------------------------------------------------
# Reading: order, pages, filters, parameters

def test_history_is_newest_first_with_default_and_clamped_limit(stack):
    """Entries come by version descending; limit defaults to page_default, clamps to page_max."""
    w = world(stack)
    log = row_with_history(stack, w, 4)
    body = page(stack, log.ei, w.token)
    check(body["limit"] == PAGE_DEFAULT and body["next_cursor"] is None, body)
    check([e["version"] for e in body["result"]] == [4, 3, 2, 1], body["result"])
    for q, lim in (("limit=%d" % (PAGE_MAX + 1), PAGE_MAX), ("limit=999999999999", PAGE_MAX),
                   ("limit=4", 4), ("limit=1", 1)):
        body = page(stack, log.ei, w.token, q)
        check(body["limit"] == lim, "?%s: limit %r" % (q, body["limit"]))
        check([e["version"] for e in body["result"]] == [4, 3, 2, 1][:lim], (q, body["result"]))
    # an empty next_cursor is the first page
    check(page(stack, log.ei, w.token, "limit=2&next_cursor=") == page(stack, log.ei, w.token,
                                                                         "limit=2"), "empty cursor")


def walk(http, ei, token, limit, between=None):
    """Every page of a history at `limit`; between(pages_so_far) runs after
    each page. The versions seen, in order, and the number of pages."""
    seen, cursor, pages = [], "", 0
    while True:
        body = page(http, ei, token, "limit=%d&next_cursor=%s" % (limit, cursor))
        check(body["limit"] == limit and len(body["result"]) <= limit, body)
        check(body["result"] or pages == 0, "an empty page after a cursor")
        seen += [e["version"] for e in body["result"]]
        pages += 1
        if between:
            between(pages)
        cursor = body["next_cursor"]
        if cursor is None or pages > 50:
            return seen, pages
        check(isinstance(cursor, str) and cursor, "next_cursor %r" % cursor)


def test_paging_with_next_cursor_has_no_gaps_or_duplicates(stack):
    """Walking next_cursor at any limit gives every entry once, newest first."""
    w = world(stack)
    log = row_with_history(stack, w, 12)
    full = list(range(12, 0, -1))
    for limit in (1, 2, 5, 11, 12, 13):
        seen, pages = walk(stack, log.ei, w.token, limit)
        check(seen == full, "limit %d: %r" % (limit, seen))
        # a cursor exactly when more entries remain
        check(pages == max(1, -(-12 // limit)), "limit %d: %d pages" % (limit, pages))
    # a write in the middle of a walk: the walk goes on below where it was
    seen, _ = walk(stack, log.ei, w.token, 5, between=lambda n: n == 1 and patch_ok(
        stack, log, w.token, {"override": {"label": "mid-walk"}}))
    check(seen == full, "walk across a write: %r" % seen)
    check([e["version"] for e in entries(stack, log.ei, w.token)] == [13] + full, "after the walk")


def test_version_filter_hit_and_miss(stack):
    """?version=N answers that entry alone, or an empty result when there is none."""
    w = world(stack)
    log = row_with_history(stack, w, 5)
    want = list(reversed(log.want))
    for v in (1, 3, 5):
        body = page(stack, log.ei, w.token, "version=%d" % v)
        check(body["result"] == [want[5 - v]] and body["next_cursor"] is None, (v, body))
    for q in ("version=6", "version=999999", "version=2&limit=1&next_cursor="):
        body = page(stack, log.ei, w.token, q)
        check(body["next_cursor"] is None, (q, body))
        check(body["result"] == ([want[3]] if q.startswith("version=2") else []), (q, body))


def test_bad_query_parameters_are_400_naming_them(stack):
    """limit, version, next_cursor out of rule, or any other parameter: 400 naming it."""
    w = world(stack)
    log = row_with_history(stack, w, 3)
    other = row_with_history(stack, w, 3)
    cur = page(stack, log.ei, w.token, "limit=1")["next_cursor"]
    foreign_cur = page(stack, other.ei, w.token, "limit=1")["next_cursor"]
    check(cur and foreign_cur, "no cursors to test with")
    cases = [("limit=0", "limit"), ("limit=-1", "limit"), ("limit=abc", "limit"),
             ("limit=1.5", "limit"), ("limit=", "limit"),
             ("version=abc", "version"), ("version=0", "version"), ("version=-1", "version"),
             ("version=1.5", "version"), ("version=", "version"),
             ("limit=1&limit=2", "limit"), ("version=1&version=2", "version"),
             ("foo=1", "foo"), ("is_enabled=true", "is_enabled"), ("expand=x", "expand"),
             ("version[eq]=1", "version[eq]"),
             ("next_cursor=abc", "next_cursor"), ("next_cursor=" + cur[:-1], "next_cursor"),
             ("next_cursor=" + cur + "A", "next_cursor"),
             ("next_cursor=%s&next_cursor=%s" % (cur, cur), "next_cursor"),
             # a cursor of another id's history
             ("next_cursor=" + foreign_cur, "next_cursor")]
    for q, name in cases:
        r = history(stack, log.ei, w.token, q)
        try:
            expect_400(r, name)
        except AssertionError as e:
            raise AssertionError("?%s: %s" % (q, e)) from None
    # the cursor works where it belongs
    check([e["version"] for e in page(stack, log.ei, w.token, "next_cursor=" + cur)["result"]]
          == [2, 1], "own cursor")


# ---------------------------------------------------------------------------
# Restore

def restore_ok(stack, log, token, version, headers=None):
    """A restore that must succeed: 200 with the object (check_write:
    version + 1, ETag, object == GET == row), the row's state that of the
    entry, a restore entry logged."""
    target = next(e for e in log.want if e["version"] == version)
    prev = snapshot(stack, log.ei)
    r = restore(stack, log.ei, token, {"version": version}, headers=headers)
    obj, snap = check_write(stack, r, log.ei, prev, world(stack).token)
    for k in ("show_in_catalog", "is_enabled", "override"):
        check(obj[k] == target[k], "restored %s %r, the entry's %r" % (k, obj[k], target[k]))
    if target["override"] == {}:
        check(snap["override_is_null"], "restoring no override stored %r" % snap["override_bytes"])
    log.wrote("restore", r, token)
    return obj


def test_restore_writes_the_entry_back_as_a_new_version(stack):
    """Restore answers 200 with the object; the row and the restore entry hold the entry's state."""
    w = world(stack)
    ei, r = install(stack, w, show_in_catalog=True, override={"label": "first", "tags": ["a"]})
    log = Log(stack, ei)
    log.wrote("install", r, w.token)
    patch_ok(stack, log, w.token, {"is_enabled": False, "show_in_catalog": False,
                                   "override": {"headers": {"X": "1"}}})
    patch_ok(stack, log, w.token, {"override": None})
    restore_ok(stack, log, w.token, 1)                  # v4 = v1
    restore_ok(stack, log, w.prod_token, 3)             # v5 = v3: no override
    restore_ok(stack, log, w.token, 4)                  # a restore entry restores too
    got = check_log(stack, log, w.token)
    check([e["kind"] for e in got] == ["restore"] * 3 + ["update", "update", "install"], got)
    check(got[0]["override"] == {"label": "first", "tags": ["a"]}, got[0])


def test_restore_of_the_current_state_is_still_a_new_version(stack):
    """Restoring the entry equal to the row still writes version + 1 and an entry."""
    w = world(stack)
    log = row_with_history(stack, w, 2)
    restore_ok(stack, log, w.token, 2)
    restore_ok(stack, log, w.token, 3)
    check_log(stack, log, w.token)


def test_restore_if_match(stack):
    """If-Match as on PATCH: a mismatch is 412 and writes nothing; a match or * applies."""
    w = world(stack)
    log = row_with_history(stack, w, 3)
    for tag in ('"1"', '"%d"' % (log.top + 1), 'W/"3"', "garbage"):
        before = frozen(stack, log.ei)
        r = restore(stack, log.ei, w.token, {"version": 1}, headers={"If-Match": tag})
        expect_clean_error(r, 412)
        check(frozen(stack, log.ei) == before, "If-Match %s: the 412 wrote" % tag)
    restore_ok(stack, log, w.token, 1, headers={"If-Match": '"%d"' % log.top})
    restore_ok(stack, log, w.token, 2, headers={"If-Match": "*"})
    check_log(stack, log, w.token)


def test_restore_of_an_unknown_version_is_404_history_entry(stack):
    """A version the visible row never had: 404 history entry not found, nothing written."""
    w = world(stack)
    log = row_with_history(stack, w, 2)
    for v in (3, 99, 2 ** 40):
        before = frozen(stack, log.ei)
        expect_clean_error(restore(stack, log.ei, w.token, {"version": v}), 404, NO_ENTRY)
        check(frozen(stack, log.ei) == before, "restore of version %d wrote" % v)
    check_log(stack, log, w.token)


def test_restore_of_an_uninstalled_row_is_404_not_found(stack):
    """After DELETE the row is gone: restore is the missing-id 404, and writes nothing."""
    w = world(stack)
    log = row_with_history(stack, w, 2)
    before = snapshot(stack, log.ei)
    log.uninstalled(before, delete(stack, log.ei, w.token), w.token)
    missing = restore(stack, str(uuid.uuid4()), w.token, {"version": 1})
    expect_clean_error(missing, 404, NOT_FOUND)
    for v in (1, 2, 3):
        h = frozen(stack, log.ei)
        r = restore(stack, log.ei, w.token, {"version": v})
        check(same_reply(r, missing), "restore v%d of an uninstalled row: %s" % (v, show(r)))
        check(frozen(stack, log.ei) == h, "restore of an uninstalled row wrote")
    check_log(stack, log, w.token)


def test_restore_bad_bodies_are_400_and_415(stack):
    """Bad version, unknown fields, non-JSON: 400 naming it; a Content-Type not JSON: 415."""
    w = world(stack)
    log = row_with_history(stack, w, 2)
    cases = [({}, "version"), ({"version": "1"}, "version"), ({"version": 0}, "version"),
             ({"version": -1}, "version"), ({"version": 1.5}, "version"),
             ({"version": None}, "version"), ({"version": True}, "version"),
             ({"version": [1]}, "version"), ({"version": {}}, "version"),
             ({"version": 1, "extra": 1}, "extra"), ({"extra": 1, "version": 1}, "extra"),
             ({"version": 1, "override": {}}, "override"),
             ('{"version":1,"version":2}', "version"),
             ("[1]", "body"), ('"x"', "body"), ('{"version":1', "body"), ("", "body")]
    for body, path in cases:
        before = frozen(stack, log.ei)
        r = restore(stack, log.ei, w.token, body)
        try:
            expect_400(r, path)
        except AssertionError as e:
            raise AssertionError("%r: %s" % (body, e)) from None
        check(frozen(stack, log.ei) == before, "%r: the refused restore wrote" % (body,))
    for ctype in ("text/plain", None, MP, "application/x-www-form-urlencoded"):
        before = frozen(stack, log.ei)
        expect_clean_error(restore(stack, log.ei, w.token, {"version": 1}, ctype=ctype), 415)
        check(frozen(stack, log.ei) == before, "%r: the refused restore wrote" % ctype)
    # JSON with parameters is JSON
    prev = snapshot(stack, log.ei)
    r = restore(stack, log.ei, w.token, {"version": 1}, ctype="application/json; charset=utf-8")
    check_write(stack, r, log.ei, prev, world(stack).token)
    log.wrote("restore", r, w.token)
    check_log(stack, log, w.token)


def test_restore_of_an_override_todays_rules_refuse_is_400(stack):
    """A stored entry whose override the rules now refuse: 400 naming its path, nothing written."""
    w = world(stack)
    log = row_with_history(stack, w, 3)
    for v, text, path in ((1, '{"label":"ok","planted":1}', "override.planted"),
                          (2, '{"headers":{"A":1}}', "override.headers.A")):
        plant_override(stack, log.ei, v, text)
        before = frozen(stack, log.ei)
        r = restore(stack, log.ei, w.token, {"version": v})
        try:
            expect_400(r, path)
        except AssertionError as e:
            raise AssertionError("restore of %s: %s" % (text, e)) from None
        check(frozen(stack, log.ei) == before, "restore of a refused override wrote")
    # the entry that is still valid restores
    restore_ok(stack, log, w.token, 3)


def test_restore_of_a_damaged_entry_is_500_and_writes_nothing(stack):
    """A stored override that is not JSON at all (damaged by hand, never by envint): the
    server's fault, a 500 envelope that says no more, and nothing written."""
    w = world(stack)
    log = row_with_history(stack, w, 2)
    plant_override(stack, log.ei, 1, '{"label":')
    before = frozen(stack, log.ei)
    r = restore(stack, log.ei, w.token, {"version": 1})
    expect_clean_error(r, 500, "internal error")
    check(frozen(stack, log.ei) == before, "restore of a damaged entry wrote")
    restore_ok(stack, log, w.token, 2)


# ---------------------------------------------------------------------------
# Scope

def test_foreign_history_and_restore_are_the_missing_404(stack):
    """Another team, or a token of another environment: the missing-id 404, nothing written."""
    w = world(stack)
    log = row_with_history(stack, w, 3)
    ok_stage, r = install(stack, w, env=w.stage)
    for token in (w.other_token, w.stage_token):
        missing_h = history(stack, str(uuid.uuid4()), token)
        missing_r = restore(stack, str(uuid.uuid4()), token, {"version": 1})
        expect_clean_error(missing_h, 404, NOT_FOUND)
        expect_clean_error(missing_r, 404, NOT_FOUND)
        for q in ("", "version=1", "limit=1"):
            r = history(stack, log.ei, token, q)
            check(same_reply(r, history(stack, str(uuid.uuid4()), token, q)),
                  "foreign history ?%s: %s" % (q, show(r)))
        check(same_reply(history(stack, log.ei.upper(), token), missing_h), "upper-case id")
        check(same_reply(history(stack, "not-a-uuid", token), missing_h), "malformed id")
        for v, headers in ((1, None), (2, {"If-Match": '"3"'}), (99, None), (1, {"If-Match": "*"})):
            before = frozen(stack, log.ei)
            r = restore(stack, log.ei, token, {"version": v}, headers=headers)
            check(same_reply(r, missing_r), "foreign restore v%d: %s" % (v, show(r)))
            check(frozen(stack, log.ei) == before, "a foreign restore wrote")
    # the controls: the team token and the stage token reach the stage row
    check(len(entries(stack, ok_stage, w.token)) == 1, "team token, stage row")
    check(len(entries(stack, ok_stage, w.stage_token)) == 1, "stage token, stage row")
    expect_clean_error(history(stack, log.ei, None), 401)
    check_log(stack, log, w.token)


def test_a_visible_row_without_entries_has_no_history(stack):
    """A row with no entry (installed before the migration): an empty history page for
    the tokens that see the row, the missing-id 404 for the others; restore finds none."""
    w = world(stack)
    ei = stack.ctl_out("install", "--environment", w.prod,
                       "--integration", new_integration(stack, w))
    stack.sql("DELETE FROM ei_history WHERE ei_id = UNHEX('%s')" % _hex(ei))
    for q in ("", "version=1"):
        r = history(stack, ei, w.token, q)
        check(r.status == 200 and json.loads(r.body) == {"result": [], "next_cursor": None,
                                                          "limit": 100},
              "?%s of a row without entries: %s" % (q, show(r)))
    missing = history(stack, str(uuid.uuid4()), w.other_token)
    check(same_reply(history(stack, ei, w.other_token), missing),
          "another team's token tells a row without entries from a missing one")
    before = frozen(stack, ei)
    expect_clean_error(restore(stack, ei, w.token, {"version": 1}), 404, NO_ENTRY)
    check(frozen(stack, ei) == before, "restore of a row without entries wrote")


def test_token_secrets_never_appear_in_history(stack):
    """No response of history or restore carries a token's secret or its hash."""
    w = world(stack)
    log = row_with_history(stack, w, 2)
    patch_ok(stack, log, w.prod_token, {"is_enabled": False})
    restore_ok(stack, log, w.prod_token, 1)
    bodies = [history(stack, log.ei, t).body for t in (w.token, w.prod_token)]
    bodies += [restore(stack, log.ei, w.token, {"version": 2}).body,
               history(stack, log.ei, w.token, "version=4").body]
    delete(stack, log.ei, w.prod_token)
    bodies.append(history(stack, log.ei, w.token).body)
    for token in (w.token, w.prod_token):
        secret = token[19:]
        sha = stack.sql("SELECT LOWER(HEX(secret_sha256)) FROM api_token WHERE selector ="
                        " UNHEX('%s')" % token[3:19])[0][0]
        for b in bodies:
            low = b.lower()
            check(secret.lower().encode() not in low and sha.encode() not in low,
                  "a token secret in %r" % b[:300])
    check(b"secret" not in b"".join(bodies).lower(), "a field named secret")


# ---------------------------------------------------------------------------
# Concurrency

def test_concurrent_merges_each_leave_one_entry(stack):
    """8 merge patches at once: all keys land, version + 8, 8 update entries, consecutive."""
    w = world(stack)
    log = row_with_history(stack, w, 2)
    patch_ok(stack, log, w.token, {"override": {"environment_variables": {"base": 0}}})
    v0, n = log.top, 8

    def one(i):
        return lambda: patch(stack, log.ei, w.token,
                             {"override": {"environment_variables": {"K%d" % i: i}}}, ctype=MP)
    res = parallel([one(i) for i in range(n)])
    for i, r in enumerate(res):
        check(r.status == 200, "merge %d: %s" % (i, show(r)))
    snap = snapshot(stack, log.ei)
    check(snap["version"] == v0 + n, "version %d, wanted %d" % (snap["version"], v0 + n))
    want_vars = dict({"base": 0}, **{"K%d" % i: i for i in range(n)})
    check(json.loads(snap["override_bytes"])["environment_variables"] == want_vars, snap)
    got = entries(stack, log.ei, w.token)
    new = [e for e in got if e["version"] > v0]
    check([e["version"] for e in new] == list(range(v0 + n, v0, -1)), [e["version"] for e in new])
    check(all(e["kind"] == "update" and e["token"] == token_info(stack, w.token) for e in new), new)
    # each entry is the state its own request wrote: its reply's version,
    # one key more than the entry before it
    by_rid = {r.header("X-Request-Id"): r for r in res}
    check(len(by_rid) == n, "request ids repeat")
    prev_keys = {"base"}
    for e in reversed(new):
        r = by_rid.get(e["request_id"])
        check(r is not None, "entry v%d names request %r of no reply"
              % (e["version"], e["request_id"]))
        check(r.header("ETag") == '"%d"' % e["version"], (e["version"], r.header("ETag")))
        check(r.json()["override"] == e["override"], "v%d: entry and reply differ" % e["version"])
        keys = set(e["override"]["environment_variables"])
        check(prev_keys < keys and len(keys - prev_keys) == 1, "v%d: keys %r after %r"
              % (e["version"], sorted(keys), sorted(prev_keys)))
        prev_keys = keys
    check(db_versions(stack, log.ei)[:n] == list(range(v0 + n, v0, -1)), "ei_history")


# ---------------------------------------------------------------------------
# Retention

@contextlib.contextmanager
def front(stack, name, **conf):
    """An extra envint (one worker) with these configuration keys, and an
    nginx of its own around it: yields (instance, nginx) Stacks."""
    with envint_instance(stack, name, **conf) as inst:
        with nginx_for(stack, name, inst.app_sock) as ng:
            yield inst, ng


def test_history_keep_keeps_the_newest_entries(stack):
    """history_keep=3: after every write the API shows exactly the newest 3 entries, while
    the database holds at most 15 more (the triggers prune 16 at a time, at versions 16,
    32, ...); an entry still stored but past the newest 3 is neither listed nor restored
    (404, nothing written); a DELETE trims to exactly 3 itself."""
    w = world(stack)
    with front(stack, "hist-keep3", history_keep=3) as (_, ng):
        ei, r = install(stack, w, http=ng)
        for v in range(2, 20):
            # four overrides in turn: entries share them (ei_history_override)
            r = patch(ng, ei, w.token, {"override": {"label": "keep %d" % (v % 4)}})
            check(r.status == 200 and r.header("ETag") == '"%d"' % v, show(r))
            check([e["version"] for e in entries(ng, ei, w.token)] ==
                  list(range(v, max(v - 3, 0), -1)), "kept at v%d" % v)
            lowest = 1 if v < 16 else 14    # version 16 pruned up to 16 - 3 = 13
            check(db_versions(stack, ei) == list(range(v, lowest - 1, -1)),
                  "v%d: ei_history %r" % (v, db_versions(stack, ei)))
            if v == 15:
                check(page(ng, ei, w.token, "version=2")["result"] == [], "?version=2 listed")
                before = frozen(stack, ei)
                expect_clean_error(restore(ng, ei, w.token, {"version": 2}), 404, NO_ENTRY)
                check(frozen(stack, ei) == before, "restore of a pruned version wrote")
        drift = history_override_drift(stack)
        check(drift == [], "ei_history_override miscounted: %r" % drift[:5])
        r = restore(ng, ei, w.token, {"version": 17})
        check(r.status == 200 and r.header("ETag") == '"20"', show(r))
        check(delete(ng, ei, w.token).status == 200, "delete")
        got = entries(ng, ei, w.token)
        check([(e["version"], e["kind"]) for e in got] == [(21, "uninstall"), (20, "restore"),
                                                          (19, "update")], got)
        check(db_versions(stack, ei) == [21, 20, 19], "after the DELETE %r" % db_versions(stack, ei))
        drift = history_override_drift(stack)
        check(drift == [], "ei_history_override miscounted: %r" % drift[:5])


def test_a_page_past_reply_buffer_max_ends_early_with_a_cursor(stack):
    """reply_buffer_max=64k and entries of ~30 KB: a page of limit 10 holds two (a page
    always holds one), ends with a cursor to the entry that did not fit, and walking the
    cursors gives every entry once, newest first."""
    w = world(stack)
    with front(stack, "hist-cut", reply_buffer_max="65536") as (_, ng):
        ei, r = install(stack, w, http=ng)
        big = "x" * 30000
        for k in range(4):
            r = patch(ng, ei, w.token, {"override": {"label": "%d %s" % (k, big)}})
            check(r.status == 200, show(r))
        seen, cursor, sizes = [], "", []
        for _ in range(10):
            body = page(ng, ei, w.token, "limit=10&next_cursor=" + cursor)
            sizes.append(len(body["result"]))
            seen += [e["version"] for e in body["result"]]
            cursor = body["next_cursor"]
            if cursor is None:
                break
        check(seen == [5, 4, 3, 2, 1], "versions walked %r" % seen)
        check(sizes[0] == 2 and all(n < 10 for n in sizes), "page sizes %r" % sizes)


def scratch_db(stack, db):
    stack.sql_root("DROP DATABASE IF EXISTS %s; CREATE DATABASE %s CHARACTER SET utf8mb4"
                   " COLLATE utf8mb4_bin; GRANT ALL ON %s.* TO 'envint'@'localhost';"
                   % (db, db, db))
    stack.ctl("--db-name", db, "migrate", "--dir", os.path.join(stack.srcdir, "db"))


def test_history_keep_0_keeps_all_and_prune_trims_to_the_setting(stack):
    """history_keep=0 keeps over 100; `history prune` at 2 trims every install, says how many."""
    w = world(stack)
    db = "envint_history"
    scratch_db(stack, db)
    try:
        with front(stack, "hist-keep0", db_name=db, history_keep=0) as (inst, ng):
            team = inst.ctl_out("team", "create", "--name", "Prune Team")
            env = inst.ctl_out("environment", "create", "--team", team, "--name", "prod")
            token = inst.ctl_out("token", "create", "--team", team, "--name", "prune")
            eis = []
            for _ in range(2):
                integ = new_integration(inst, w, team=team)
                r = send(ng, "POST", PATH, token, {"integration_id": integ, "environment_id": env})
                check(r.status == 201, show(r))
                eis.append(r.json()["id"])
            admin = inst.ctl_out("install", "--environment", env,
                                 "--integration", new_integration(inst, w, team=team))
            for k in range(PAGE_DEFAULT + 4):           # 105 entries on the first
                r = patch(ng, eis[0], token, {"is_enabled": k % 2 == 0})
                check(r.status == 200, show(r))
            for k in range(2):                          # 3 on the second
                check(patch(ng, eis[1], token, {"is_enabled": k % 2 == 0}).status == 200, "patch")
            check([e["version"] for e in entries(ng, eis[0], token)] == list(range(105, 0, -1)),
                  "history_keep=0 did not keep all 105")
            check(db_versions(stack, eis[1], db) == [3, 2, 1], "second install")
            # the setting lowered to 2: prune removes 103 + 1, the admin row keeps its 1
            inst.write_config(db_socket=stack.db_sock, db_name=db, history_keep=2)
            r = inst.ctl("history", "prune")
            check(re.search(r"\b104\b", r.stdout), "prune printed %r (stderr %r), not 104"
                  % (r.stdout, r.stderr))
            check(db_versions(stack, eis[0], db) == [105, 104], db_versions(stack, eis[0], db))
            check(db_versions(stack, eis[1], db) == [3, 2], db_versions(stack, eis[1], db))
            check(db_versions(stack, admin, db) == [1], db_versions(stack, admin, db))
            check([e["version"] for e in entries(ng, eis[0], token)] == [105, 104],
                  "API after prune")
            r = inst.ctl("history", "prune")
            check(re.search(r"\b0\b", r.stdout) and "104" not in r.stdout,
                  "a second prune printed %r (stderr %r), not 0" % (r.stdout, r.stderr))
    finally:
        stack.sql_root("DROP DATABASE IF EXISTS %s" % db)
