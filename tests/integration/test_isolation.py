"""Isolation matrix (issue 6): 3 teams x 2 environments x (environment
token, team token), every route and every list filter. Nothing of another
tenant may be returned, changed or hinted at.

The module builds its own tenants (world()): teams "Iso <tag> Team 0..2",
each with environments prod and stage, four integrations each (private
"deny", shared "allow", "ask", and one named like the other teams' own),
all with client secrets under config.credentials, and nine installs per
team: some of its own integrations, the other teams' shared ones, and one
approved "ask" install of another team's. Timestamps tie across tenants on
purpose (a cursor of one tenant then lands among another's rows). Twelve
tokens: one per environment and two per team (the two team tokens of a
team must answer byte for byte alike).

Every expectation is computed here from the database rows (read with
stack.sql) and from the configs this module imported, never from the
server's answers. Every response body is scanned for ids (hyphenated or
not, any case) of teams, environments, integrations and installs the token
must not know, and for the foreign secrets, override texts and names of
the fixture. A foreign row's GET/PATCH/DELETE must answer byte for byte
like a random UUID (headers too, apart from X-Request-Id and Date), and the
whole environment_integration table plus the CHECKSUMs of the other tables
are compared before and after: nothing changes except what the positive
controls of the last test write. That test also removes the fixture.
"""
import base64
import hashlib
import http.client
import json
import os
import re
import tempfile
import threading
import time
import uuid
from collections import namedtuple
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone

import openapi_check
from helpers import INTEGRATION_KEYS, OBJECT_KEYS, REDACTED, TEAM_KEYS, check, hex_to_uuid
from helpers import redact as helpers_redact
from stack import Response

PATH = "/environment-integration"
# response headers that legitimately differ between two identical requests
VOLATILE_HEADERS = {"x-request-id", "date", "connection", "keep-alive"}
THREADS = 2          # the stack has 2 workers; the machine 2 shared cores
EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)

Scope = namedtuple("Scope", "label team env")      # env None: a team token


def _hex(u):
    return u.replace("-", "")


def _us(text):
    """ISO-8601 text (with a zone) or '2024-05-01 10:00:00.000000' (UTC) ->
    microseconds since the epoch."""
    dt = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=timezone.utc)
    return (dt - EPOCH) // timedelta(microseconds=1)


def _api_time(db_time):
    """'2024-05-01 10:00:00.000000' -> '2024-05-01T10:00:00.000Z'."""
    return db_time[:10] + "T" + db_time[11:23] + "Z"


def redact(config):
    """The redacted form of a config, on a copy (helpers.redact)."""
    return helpers_redact(json.loads(json.dumps(config)))


# ---------------------------------------------------------------------------
# Failures are collected (a matrix tells more than its first failing cell)

class Checks:
    def __init__(self, what):
        self.what = what
        self.n = 0
        self.fails = []
        self.lock = threading.Lock()
        self.t0 = time.monotonic()

    def __call__(self, cond, msg):
        with self.lock:
            self.n += 1
            if not cond:
                text = msg() if callable(msg) else msg
                self.fails.append(text if len(text) <= 700 else text[:700] + "...")
        return cond

    def done(self):
        print("# %s: %d assertions, %d failed, %.1fs" % (self.what, self.n, len(self.fails),
                                                       time.monotonic() - self.t0), flush=True)
        check(not self.fails, "%d of %d isolation checks failed in %s; first ones:\n  %s"
              % (len(self.fails), self.n, self.what, "\n  ".join(self.fails[:25])))


# ---------------------------------------------------------------------------
# HTTP: one keep-alive connection per thread

_local = threading.local()
REQUESTS = [0]
_REQUESTS_LOCK = threading.Lock()


def call(stack, method, path, token=None, body=None, headers=None):
    h = dict(headers or {})
    if token is not None:
        h["Authorization"] = "Bearer " + token
    if body is not None and not isinstance(body, (bytes, str)):
        body = json.dumps(body)
        h.setdefault("Content-Type", "application/json")
    if isinstance(body, str):
        body = body.encode()
    for attempt in (0, 1):
        conn = getattr(_local, "conn", None)
        # a connection idle for a while may be closing on the server's
        # side: a write never goes out on one
        if conn is not None and (_local.port != stack.http_port or
                                 time.monotonic() - _local.used > 1.0):
            conn.close()
            conn = None
        if conn is None:
            conn = http.client.HTTPConnection("127.0.0.1", stack.http_port, timeout=30)
            _local.conn, _local.port = conn, stack.http_port
        try:
            conn.request(method, path, body=body, headers=h)
            r = conn.getresponse()
            data = r.read()
        except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
            conn.close()
            _local.conn = None
            # a keep-alive connection the server had closed: the request
            # was not processed; only a GET is retried all the same
            if attempt or method != "GET":
                raise
            continue
        _local.used = time.monotonic()
        if r.will_close:
            conn.close()
            _local.conn = None
        with _REQUESTS_LOCK:
            REQUESTS[0] += 1
        resp = Response(r.status, r.getheaders(), data, 0)
        openapi_check.observe(method, path, resp)  # as Stack.request does
        return resp


def same_reply(a, b):
    """Status, headers (but the per-request ones) and body bytes."""
    def key(r):
        return (r.status, sorted((k.lower(), v) for k, v in r.headers
                                 if k.lower() not in VOLATILE_HEADERS), r.body)
    return key(a) == key(b)


def show(r):
    return "%d %s %r" % (r.status, [(k, v) for k, v in r.headers
                                    if k.lower() not in VOLATILE_HEADERS], r.body[:300])


def pmap(fn, items):
    """fn over items on THREADS threads; results in order (exceptions raise)."""
    with ThreadPoolExecutor(THREADS) as ex:
        return list(ex.map(fn, items))


# ---------------------------------------------------------------------------
# The database, read directly

_EI_COLS = ("id", "environment_id", "team_id", "integration_id", "show_in_catalog",
            "is_enabled", "override_sha", "version", "created_at", "updated_at")


def db_state(stack):
    """{ei id: row} of the whole environment_integration table, and the
    CHECKSUMs of the other tables, in one query."""
    out = stack.sql(
        "SELECT LOWER(HEX(id)), LOWER(HEX(environment_id)), LOWER(HEX(team_id)),"
        " LOWER(HEX(integration_id)), show_in_catalog, is_enabled,"
        " IFNULL(SHA2(override, 256), '-'), version,"
        " DATE_FORMAT(created_at, '%Y-%m-%d %H:%i:%s.%f'),"
        " DATE_FORMAT(updated_at, '%Y-%m-%d %H:%i:%s.%f')"
        " FROM environment_integration;"
        " CHECKSUM TABLE team, environment, integration, api_token;")
    rows, sums = {}, {}
    for line in out:
        if len(line) == 2:
            sums[line[0]] = line[1]
            continue
        r = dict(zip(_EI_COLS, line))
        for k in ("id", "environment_id", "team_id", "integration_id"):
            r[k] = hex_to_uuid(r[k])
        r["show_in_catalog"] = r["show_in_catalog"] == "1"
        r["is_enabled"] = r["is_enabled"] == "1"
        r["version"] = int(r["version"])
        rows[r["id"]] = r
    check(len(sums) == 4, "checksums: %r" % sums)
    return rows, sums


def history_checksum(stack):
    """CHECKSUMs of ei_history and its overrides: the refused requests of
    the matrix must not add (or remove) an entry anywhere."""
    return [r[1] for r in stack.sql("CHECKSUM TABLE ei_history, ei_history_override")]


def db_inventory(stack):
    """Every team, environment and integration id with its team."""
    out = stack.sql(
        "SELECT 't', LOWER(HEX(id)), LOWER(HEX(id)) FROM team"
        " UNION ALL SELECT 'e', LOWER(HEX(id)), LOWER(HEX(team_id)) FROM environment"
        " UNION ALL SELECT 'i', LOWER(HEX(id)), LOWER(HEX(team_id)) FROM integration")
    inv = {"t": {}, "e": {}, "i": {}}
    for kind, i, t in out:
        inv[kind][hex_to_uuid(i)] = hex_to_uuid(t)
    return inv


# ---------------------------------------------------------------------------
# The fixture

class World:
    pass


_WORLDS = {}
KINDS = ("private", "shared", "ask", "common")
SHARING = {"private": "deny", "shared": "allow", "ask": "ask", "common": "deny"}


def _config(tag, k, kind):
    """An integration config with secrets in every form the redaction knows:
    a credentials map keyed by format (string secret, object secret), or
    one {format, config} (ask)."""
    s = "iso%s-secret-t%d-%s" % (tag, k, kind)
    cfg = {"base_url": "https://iso-%s-t%d-%s.example/api" % (tag, k, kind),
           "label": "iso-%s-label-t%d-%s" % (tag, k, kind),
           "headers": {"Accept": "application/json"},
           "environment_variables": {"HINT": "iso-%s-hint-t%d-%s" % (tag, k, kind)}}
    if kind == "ask":
        cfg["credentials"] = {"format": "oauth2", "config": {
            "client": {"id": "iso-client-t%d" % k, "secret": s + "-single"},
            "auth": {"tokenHost": "https://auth.example"}}}
    else:
        cfg["credentials"] = {
            "oauth2": {"format": "oauth2", "config": {
                "client": {"id": "iso-client-t%d" % k, "secret": s + "-string"},
                "scope": "read"}},
            "api_key": {"format": "api_key", "config": {
                "client": {"id": "iso-key-t%d" % k,
                           "secret": {"value": s + "-object", "rotated_at": s + "-rotated"}},
                "fields": [{"name": "api_key", "type": "password"}]}}}
    return cfg


def _secrets(cfg):
    out = []

    def walk(node, parent_key):
        if isinstance(node, dict):
            for k, v in node.items():
                if parent_key == "client" and k == "secret":
                    out.extend(_strings(v))
                else:
                    walk(v, k)
        elif isinstance(node, list):
            for v in node:
                walk(v, None)
    walk(cfg["credentials"], None)
    return out


def _strings(v):
    if isinstance(v, str):
        return [v]
    if isinstance(v, dict):
        return [s for x in v.values() for s in _strings(x)]
    if isinstance(v, list):
        return [s for x in v for s in _strings(x)]
    return []


def world(stack):
    w = _WORLDS.get(stack.dir)
    if w is not None:
        return w
    t0 = time.monotonic()
    w = World()
    w.tag = uuid.uuid4().hex[:8]
    tag = w.tag
    w.dir = tempfile.mkdtemp(prefix="iso-", dir=stack.dir)
    # teams: one with every optional field, one with some, one with none
    team_args = [["--domain", "iso-%s-team0.example" % tag, "--logo",
                  "https://iso-%s-team0.example/logo.png" % tag, "--tos-link",
                  "https://iso-%s-team0.example/tos" % tag, "--verified"],
                 ["--domain", "iso-%s-team1.example" % tag], []]
    w.teams = [stack.ctl_out("team", "create", "--name", "Iso %s Team %d" % (tag, k), *team_args[k])
               for k in range(3)]
    w.team_strings = [["Iso %s Team %d" % (tag, k), "iso-%s-team%d.example" % (tag, k)]
                      for k in range(3)]
    w.env = {}                      # (k, "prod"|"stage") -> id
    for k in range(3):
        for name in ("prod", "stage"):
            w.env[k, name] = stack.ctl_out("environment", "create", "--team", w.teams[k],
                                  "--name", name)
    # integrations, imported by envintctl (which computes the redacted copy)
    w.integ = {}                    # (k, kind) -> id
    w.integ_info = {}               # id -> dict
    files = []
    for k in range(3):
        for kind in KINDS:
            name = ("iso-%s-common" % tag) if kind == "common" else "iso-%s-t%d-%s" % (tag, k, kind)
            category = "iso-%s-%s" % (tag, {"private": "crm", "common": "crm",
                                             "shared": "hris", "ask": "ats"}[kind])
            cfg = _config(tag, k, kind)
            doc = {"name": name, "category": category, "is_beta": kind == "shared" and k == 1,
                   "sharing": SHARING[kind], "config": cfg}
            fn = os.path.join(w.dir, "t%d-%s.json" % (k, kind))
            with open(fn, "w") as f:
                json.dump(doc, f)
            files.append((k, kind, fn, doc))
    ids = pmap(lambda f: stack.ctl_out("integration", "import", f[2], "--team", w.teams[f[0]]),
               files)
    for (k, kind, _, doc), iid in zip(files, ids):
        w.integ[k, kind] = iid
        w.integ_info[iid] = {"team": w.teams[k], "k": k, "kind": kind, "name": doc["name"],
                             "category": doc["category"], "is_beta": doc["is_beta"],
                             "sharing": doc["sharing"], "config": doc["config"],
                             "secrets": _secrets(doc["config"])}
    for info in w.integ_info.values():
        check(len(info["secrets"]) >= 1, "no secret in %r" % info["name"])
    # installs: nine per team; positions j = 0..8 give timestamps that tie
    # across the three teams (and in pairs inside a team)
    layout = [("prod", 0, "private"), ("prod", 0, "shared"), ("prod", 0, "common"),
              ("prod", 1, "shared"),
              ("stage", 0, "private"), ("stage", 0, "ask"), ("stage", 1, "shared"),
              ("stage", 2, "shared"), ("stage", 1, "ask")]   # (env, owner offset, kind)
    w.rows = {}                     # ei id -> (k, env name, integration id, j)
    values = []
    for k in range(3):
        for j, (env, off, kind) in enumerate(layout):
            ei = str(uuid.uuid4())
            integ = w.integ[(k + off) % 3, kind]
            created = "2024-05-01 10:00:%02d.%03d" % (j // 2, 500 * (j % 2 == 1 and j == 7))
            updated = "2024-06-01 00:00:00.%03d" % (j * 100 + 1)
            override = None
            if j in (1, 4, 7):
                override = json.dumps({"label": "iso-%s-ov-t%d-%d" % (tag, k, j),
                                       "environment_variables": {
                                           "K": "iso-%s-ovsecret-t%d-%d" % (tag, k, j)}},
                                      separators=(",", ":"))
            w.rows[ei] = {"k": k, "env": w.env[k, env], "env_name": env, "integ": integ, "j": j,
                          "override": override}
            values.append("(UNHEX('%s'), UNHEX('%s'), UNHEX('%s'), UNHEX('%s'), %d, %d, %s, 1,"
                          " '%s', '%s')"
                          % (_hex(ei), _hex(w.env[k, env]), _hex(w.teams[k]), _hex(integ),
                             j % 2 == 0, j % 3 != 0,
                             "NULL" if override is None else "'%s'" % override,
                             created, updated))
    stack.sql("INSERT INTO environment_integration (id, environment_id, team_id, integration_id,"
              " show_in_catalog, is_enabled, override, version, created_at, updated_at) VALUES "
              + ",".join(values))
    # each row's history: the insert trigger's entry of version 1, so that
    # a foreign row's history and restore have something to reveal or to
    # write back
    entries = stack.sql("SELECT COUNT(*) FROM ei_history WHERE version = 1 AND ei_id IN (%s)"
                        % ",".join("UNHEX('%s')" % _hex(ei) for ei in w.rows))[0][0]
    assert int(entries) == len(w.rows), "history entries of the fixture: %s" % entries
    # the twelve tokens
    w.scopes = {}
    for k in range(3):
        for name in ("prod", "stage"):
            label = "T%d/%s" % (k, name)
            w.scopes[label] = Scope(label, w.teams[k], w.env[k, name])
        for n in (1, 2):
            label = "T%d/team%d" % (k, n)
            w.scopes[label] = Scope(label, w.teams[k], None)
    labels = sorted(w.scopes)
    w.tokens = dict(zip(labels, pmap(lambda lb: stack.ctl_out(
        "token", "create", *(("--environment", w.scopes[lb].env) if w.scopes[lb].env
                              else ("--team", w.scopes[lb].team)), "--name", "iso " + lb),
        labels)))
    check(len(set(w.tokens.values())) == 12 and all(t.startswith("ei_") for t in w.tokens.values()),
          "12 distinct tokens")
    # what the database says about teams and integrations (timestamps, ...)
    w.team_rows = {}
    for line in stack.sql(
            "SELECT LOWER(HEX(id)), name, IFNULL(domain, '<null>'), IFNULL(logo, '<null>'),"
            " is_verified, is_white_label, IFNULL(tos_link, '<null>'), allow_impersonation,"
            " DATE_FORMAT(created_at, '%Y-%m-%d %H:%i:%s.%f'),"
            " DATE_FORMAT(updated_at, '%Y-%m-%d %H:%i:%s.%f') FROM team WHERE id IN ("
            + ",".join("UNHEX('%s')" % _hex(t) for t in w.teams) + ")"):
        nul = lambda v: None if v == "<null>" else v  # noqa: E731
        w.team_rows[hex_to_uuid(line[0])] = {
            "id": hex_to_uuid(line[0]), "name": line[1], "domain": nul(line[2]),
            "logo": nul(line[3]), "is_verified": line[4] == "1",
            "is_white_label": line[5] == "1", "tos_link": nul(line[6]),
            "allow_impersonation": line[7] == "1", "created_at": _api_time(line[8]),
            "updated_at": _api_time(line[9])}
    check(len(w.team_rows) == 3, "team rows %r" % w.team_rows)
    for line in stack.sql(
            "SELECT LOWER(HEX(id)), DATE_FORMAT(created_at, '%Y-%m-%d %H:%i:%s.%f'),"
            " DATE_FORMAT(updated_at, '%Y-%m-%d %H:%i:%s.%f'), config = config_public"
            " FROM integration WHERE team_id IN ("
            + ",".join("UNHEX('%s')" % _hex(t) for t in w.teams) + ")"):
        info = w.integ_info[hex_to_uuid(line[0])]
        info["created_at"], info["updated_at"] = _api_time(line[1]), _api_time(line[2])
        check(line[3] == "0", "%s: the redacted copy equals the config" % info["name"])
    w.s0, w.sums0 = db_state(stack)
    w.changed = {}                  # ei id -> what the positive controls expect
    w.deleted = set()
    _WORLDS[stack.dir] = w
    print("# isolation fixture (tag %s) built in %.1fs" % (tag, time.monotonic() - t0), flush=True)
    return w


def cleanup(stack, w):
    teams = ",".join("UNHEX('%s')" % _hex(t) for t in w.teams)
    stack.sql("DELETE FROM environment_integration WHERE team_id IN (%s)"
              " OR integration_id IN (SELECT id FROM integration WHERE team_id IN (%s));"
              "DELETE FROM ei_history WHERE team_id IN (%s);"
              "DELETE FROM api_token WHERE team_id IN (%s);"
              "DELETE FROM environment WHERE team_id IN (%s);"
              "DELETE FROM integration WHERE team_id IN (%s);"
              "DELETE FROM team WHERE id IN (%s);" % ((teams,) * 7))
    _WORLDS.pop(stack.dir, None)


# ---------------------------------------------------------------------------
# What a scope may see, from the database rows

class View:
    """A scope's view of the database at one moment: its rows in API order,
    the ids it may meet in a response, and everything it must not."""

    def __init__(self, w, scope, rows, inv):
        self.w, self.scope, self.rows = w, scope, rows
        sees = lambda r: r["team_id"] == scope.team and (  # noqa: E731
            scope.env is None or r["environment_id"] == scope.env)
        self.visible = sorted((r for r in rows.values() if sees(r)),
                              key=lambda r: (r["created_at"], r["id"]))
        self.ids = [r["id"] for r in self.visible]
        self.idset = set(self.ids)
        self.envs = sorted(e for e, t in inv["e"].items() if t == scope.team and
                           (scope.env is None or e == scope.env))
        used_integ = {r["integration_id"] for r in self.visible}
        ok_teams = {scope.team} | {inv["i"][i] for i in used_integ}
        ok_integ = used_integ | {i for i, t in inv["i"].items() if t == scope.team}
        forbidden = [i for i in rows if i not in self.idset]
        forbidden += [e for e in inv["e"] if e not in self.envs]
        forbidden += [t for t in inv["t"] if t not in ok_teams]
        forbidden += [i for i in inv["i"] if i not in ok_integ]
        self.forbidden_hex = {_hex(x).encode() for x in forbidden}
        self.forbidden_ids = {_hex(x): x for x in forbidden}
        strings = []
        for iid, info in w.integ_info.items():
            if info["team"] != scope.team:
                strings += info["secrets"]
            if iid not in ok_integ:
                strings += [info["config"]["base_url"], info["config"]["label"],
                            info["config"]["environment_variables"]["HINT"]]
                if info["kind"] != "common":
                    strings.append(info["name"])
        for k, t in enumerate(w.teams):
            if t not in ok_teams:
                strings += w.team_strings[k]
        for ei, fx in w.rows.items():
            if ei not in self.idset and fx["override"] is not None:
                ov = json.loads(fx["override"])
                strings += [ov["label"], ov["environment_variables"]["K"]]
        for ei, ch in w.changed.items():
            if ei not in self.idset:
                strings.append(ch["label"])
        self.forbidden_strings = [s.encode() for s in strings]

    def installed(self, integ):
        return sorted({r["environment_id"] for r in self.visible if r["integration_id"] == integ})

    def expected(self, ei, override_text):
        """The object API.md describes for this row, as this scope sees it."""
        r = self.rows[ei]
        info = self.w.integ_info[r["integration_id"]]
        cfg = info["config"] if info["team"] == self.scope.team else redact(info["config"])
        return {
            "id": ei, "integration_id": r["integration_id"],
            "environment_id": r["environment_id"], "show_in_catalog": r["show_in_catalog"],
            "is_enabled": r["is_enabled"], "created_at": _api_time(r["created_at"]),
            "updated_at": _api_time(r["updated_at"]),
            "integration": {
                "id": r["integration_id"], "name": info["name"], "category": info["category"],
                "is_beta": info["is_beta"], "config": cfg, "team_id": info["team"],
                "sharing": info["sharing"], "created_at": info["created_at"],
                "updated_at": info["updated_at"],
                "installed_environment": self.installed(r["integration_id"]),
                "team": self.w.team_rows[info["team"]]},
            "override": json.loads(override_text) if override_text else {}}


HEXRUN = re.compile(rb"[0-9A-Fa-f-]{32,}")


def leaks(view, resp):
    """Foreign ids (any case, with or without hyphens) and foreign strings
    found in a response's body or headers."""
    body = resp.body + b"".join(("\n%s: %s" % kv).encode() for kv in resp.headers)
    found = []
    for m in HEXRUN.finditer(body):
        s = m.group().replace(b"-", b"").lower()
        for i in range(len(s) - 31):
            if s[i:i + 32] in view.forbidden_hex:
                found.append(view.forbidden_ids[s[i:i + 32].decode()])
    found += [s.decode() for s in view.forbidden_strings if s in body]
    return found


def overrides(stack, w):
    """{ei id: stored override text or None} of the fixture's rows."""
    out = {}
    for i, h in stack.sql("SELECT LOWER(HEX(id)), IFNULL(HEX(override), '-')"
                          " FROM environment_integration WHERE team_id IN (%s)"
                          % ",".join("UNHEX('%s')" % _hex(t) for t in w.teams)):
        out[hex_to_uuid(i)] = None if h == "-" else bytes.fromhex(h).decode()
    return out


def views(stack, w):
    rows, _ = db_state(stack)
    inv = db_inventory(stack)
    return {lb: View(w, sc, rows, inv) for lb, sc in w.scopes.items()}, overrides(stack, w)


def check_object(ck, view, ovs, o, where):
    """One object of a response against the database and the fixture."""
    ei = o.get("id") if isinstance(o, dict) else None
    if not ck(ei in view.idset, lambda: "%s: row %r is not in the scope" % (where, ei)):
        return
    if not (ck(list(o) == OBJECT_KEYS, lambda: "%s: keys %r" % (where, list(o))) and
            ck(isinstance(o["integration"], dict) and list(o["integration"]) == INTEGRATION_KEYS,
               "%s: integration keys" % where) and
            ck(isinstance(o["integration"]["team"], dict) and
               list(o["integration"]["team"]) == TEAM_KEYS, "%s: team keys" % where)):
        return
    ck(o["environment_id"] in view.envs, lambda: "%s: environment %s" % (where, o["environment_id"]))
    inst = o.get("integration", {}).get("installed_environment")
    ck(isinstance(inst, list) and set(inst) <= set(view.envs),
       lambda: "%s: installed_environment %r outside %r" % (where, inst, view.envs))
    want = view.expected(ei, ovs.get(ei))
    ck(o == want, lambda: "%s: object differs from the database at %s" % (where, first_diff(o, want)))


def first_diff(got, want, path="$"):
    """Where two JSON values first differ, and how."""
    if isinstance(got, dict) and isinstance(want, dict):
        for k in sorted(set(got) | set(want)):
            if got.get(k, KeyError) != want.get(k, KeyError):
                return first_diff(got.get(k, "<absent>"), want.get(k, "<absent>"), path + "." + k)
    elif isinstance(got, list) and isinstance(want, list) and len(got) == len(want):
        for n, (a, b) in enumerate(zip(got, want)):
            if a != b:
                return first_diff(a, b, "%s[%d]" % (path, n))
    return "%s: got %s, wanted %s" % (path, json.dumps(got)[:200], json.dumps(want)[:200])


def check_state_unchanged(ck, stack, w, what):
    rows, sums = db_state(stack)
    ck(sums == w.sums0, lambda: "%s: other tables changed: %r -> %r" % (what, w.sums0, sums))
    want = {i: r for i, r in w.s0.items() if i not in w.changed and i not in w.deleted}
    for i, r in want.items():
        ck(rows.get(i) == r, lambda: "%s: row %s changed: %r -> %r" % (what, i, r, rows.get(i)))
    for i in rows:
        ck(i in w.s0 or i in w.changed,
           lambda: "%s: new row %s: %r" % (what, i, rows[i]))
    return rows


# ---------------------------------------------------------------------------
# Cursors

def decode_cursor(text):
    raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    check(len(raw) == 29 and raw[0] == 1, "cursor %r: %d bytes" % (text, len(raw)))
    check(hashlib.sha256(raw[:25]).digest()[:4] == raw[25:], "cursor %r: check bytes" % text)
    return int.from_bytes(raw[1:9], "big"), str(uuid.UUID(bytes=raw[9:25]))


def list_call(stack, ck, view, ovs, token, query, where):
    """One list request, every isolation check on it; (ids, body) or None."""
    r = call(stack, "GET", PATH + ("?" + query if query else ""), token)
    if not ck(r.status == 200, lambda: "%s: %s" % (where, show(r))):
        return None
    found = leaks(view, r)
    ck(not found, lambda: "%s: foreign data in the response: %r" % (where, found[:5]))
    body = json.loads(r.body)
    ck(list(body) == ["result", "next_cursor", "limit"], lambda: "%s: keys %r" % (where, list(body)))
    for n, o in enumerate(body["result"]):
        check_object(ck, view, ovs, o, "%s [%d]" % (where, n))
    if body["next_cursor"] is not None:
        created, cid = decode_cursor(body["next_cursor"])
        ck(cid in view.idset and body["result"] and cid == body["result"][-1]["id"],
           lambda: "%s: next_cursor names %s, not the last row shown" % (where, cid))
    return [o["id"] for o in body["result"]], body


# ---------------------------------------------------------------------------
# 1. the fixture; every token sees exactly its rows

def test_fixture_every_token_sees_exactly_its_scope(stack):
    w = world(stack)
    ck = Checks("fixture")
    vs, ovs = views(stack, w)
    for lb, v in vs.items():
        want = 9 if v.scope.env is None else (4 if lb.endswith("prod") else 5)
        ck(len(v.ids) == want, "%s: %d rows in the fixture, wanted %d" % (lb, len(v.ids), want))
        ck(len(v.envs) == (2 if v.scope.env is None else 1), "%s: environments" % lb)
        res = list_call(stack, ck, v, ovs, w.tokens[lb], "", lb)
        if res:
            ck(res[0] == v.ids, lambda: "%s: list %r, wanted %r" % (lb, res[0], v.ids))
    # redaction is really exercised: an owner sees its secret, others the marker
    for k in range(3):
        shared = w.integ[k, "shared"]
        secret = w.integ_info[shared]["secrets"][0].encode()
        seen = 0
        for lb, v in vs.items():
            mine = v.scope.team == w.teams[k]
            want = [r["id"] for r in v.visible if r["integration_id"] == shared]
            res = list_call(stack, ck, v, ovs, w.tokens[lb], "integration_id=" + shared,
                            "%s ?integration_id=T%d shared" % (lb, k))
            if res is None:
                continue
            ck(res[0] == want, lambda: "%s: T%d's shared rows %r, wanted %r" % (lb, k, res[0], want))
            raw = json.dumps(res[1]).encode()
            ck((secret in raw) == (mine and bool(want)),
               "%s: T%d's secret shown=%s" % (lb, k, secret in raw))
            ck(mine or raw.count(REDACTED.encode()) == 2 * len(want),
               "%s: T%d's secrets are not redacted" % (lb, k))
            seen += 0 if mine else len(want)
        ck(seen >= 4, "T%d's shared integration seen redacted %d times" % (k, seen))
    # the two team tokens of a team answer byte for byte alike
    for k in range(3):
        a = call(stack, "GET", PATH, w.tokens["T%d/team1" % k])
        b = call(stack, "GET", PATH, w.tokens["T%d/team2" % k])
        ck(a.status == 200 and same_reply(a, b), "T%d: the two team tokens differ" % k)
    check_state_unchanged(ck, stack, w, "after the fixture checks")
    ck.done()


# ---------------------------------------------------------------------------
# 2. every filter and operator, naming every tenant's ids

def _conds(w):
    """(query, predicate over a db row) for every field and operator, with
    ids, names and values of all three tenants (and a random id)."""
    info = w.integ_info
    eis = sorted(w.rows)
    envs = sorted(w.env.values())
    integs = sorted(info)
    rnd = str(uuid.uuid4())
    name = lambda r: info[r["integration_id"]]["name"] if r["integration_id"] in info else None  # noqa: E731
    cat = lambda r: info[r["integration_id"]]["category"] if r["integration_id"] in info else None  # noqa: E731
    names = sorted({i["name"] for i in info.values()})
    cats = sorted({i["category"] for i in info.values()})
    privates = [w.integ[k, "private"] for k in range(3)]
    shareds = [w.integ[k, "shared"] for k in range(3)]
    t_prod0 = [e for e in eis if w.rows[e]["k"] == 0 and w.rows[e]["env_name"] == "prod"]
    cs = []

    def add(q, pred, flag=""):
        cs.append((q, pred, flag))
    add("", lambda r: True, "all")
    add("limit=1000", lambda r: True, "all")
    # id: every fixture id alone (own ones come back, foreign ones do not)
    for e in eis:
        add("id=" + e, lambda r, e=e: r["id"] == e)
    add("id=" + rnd, lambda r: r["id"] == rnd, "empty")
    add("id[eq]=" + eis[0], lambda r: r["id"] == eis[0])
    add("id[ne]=" + t_prod0[0], lambda r: r["id"] != t_prod0[0])
    add("id[in]=" + ",".join(eis + [rnd]), lambda r: r["id"] in eis, "all")
    add("id[nin]=" + ",".join(eis), lambda r: r["id"] not in eis, "empty")
    add("id[nin]=" + ",".join(t_prod0), lambda r: r["id"] not in t_prod0)
    add("id[in][]=%s&id[in][]=%s&id[in][]=%s" % (eis[3], eis[12], eis[21]),
        lambda r: r["id"] in (eis[3], eis[12], eis[21]))
    add("id[in][0]=%s&id%%5Bin%%5D%%5B1%%5D=%s" % (eis[5], eis[25]),
        lambda r: r["id"] in (eis[5], eis[25]))
    # integration_id: every integration of every tenant
    for i in integs:
        add("integration_id=" + i, lambda r, i=i: r["integration_id"] == i)
    add("integration_id=" + rnd, lambda r: r["integration_id"] == rnd, "empty")
    add("integration_id[eq]=" + shareds[1], lambda r: r["integration_id"] == shareds[1])
    add("integration_id[ne]=" + shareds[0], lambda r: r["integration_id"] != shareds[0])
    add("integration_id[in]=" + ",".join(privates),
        lambda r: r["integration_id"] in privates)
    add("integration_id[nin]=" + ",".join(privates),
        lambda r: r["integration_id"] not in privates)
    add("integration_id[in][]=%s&integration_id[in][]=%s" % (shareds[1], shareds[2]),
        lambda r: r["integration_id"] in shareds[1:])
    # environment_id: all six
    for e in envs:
        add("environment_id=" + e, lambda r, e=e: r["environment_id"] == e)
    add("environment_id=" + rnd, lambda r: r["environment_id"] == rnd, "empty")
    add("environment_id[eq]=" + envs[0], lambda r: r["environment_id"] == envs[0])
    for e in envs:
        add("environment_id[ne]=" + e, lambda r, e=e: r["environment_id"] != e)
    add("environment_id[in]=" + ",".join(envs), lambda r: r["environment_id"] in envs, "all")
    add("environment_id[nin]=" + ",".join(envs), lambda r: r["environment_id"] not in envs,
        "empty")
    add("environment_id[in][0]=%s&environment_id[in][1]=%s" % (w.env[1, "prod"], w.env[2, "stage"]),
        lambda r: r["environment_id"] in (w.env[1, "prod"], w.env[2, "stage"]))
    add("environment_id[nin][]=" + w.env[0, "prod"],
        lambda r: r["environment_id"] != w.env[0, "prod"])
    # booleans
    for f in ("show_in_catalog", "is_enabled"):
        for v in (True, False):
            t = "true" if v else "false"
            add("%s=%s" % (f, t), lambda r, f=f, v=v: r[f] is v)
            add("%s[eq]=%s" % (f, t), lambda r, f=f, v=v: r[f] is v)
            add("%s[ne]=%s" % (f, t), lambda r, f=f, v=v: r[f] is not v)
    # names and categories, both spellings
    for n in names:
        add("integration.name=" + n, lambda r, n=n: name(r) == n)
    add("integration.name=iso-%s-nothing" % w.tag, lambda r: False, "empty")
    common = "iso-%s-common" % w.tag
    add("integration[name]=" + common, lambda r: name(r) == common)
    add("integration%5Bname%5D%5Beq%5D=" + common, lambda r: name(r) == common)
    add("integration.name[ne]=" + common, lambda r: name(r) != common)
    pnames = [info[p]["name"] for p in privates]
    add("integration[name][in]=" + ",".join(pnames), lambda r: name(r) in pnames)
    add("integration.name[nin]=" + ",".join(pnames), lambda r: name(r) not in pnames)
    add("integration.name[in][]=%s&integration.name[in][]=%s" % (pnames[1], common),
        lambda r: name(r) in (pnames[1], common))
    for c in cats:
        add("integration.category=" + c, lambda r, c=c: cat(r) == c)
        add("integration[category][ne]=" + c, lambda r, c=c: cat(r) != c)
    add("integration[category][in]=" + ",".join(cats[:2]), lambda r: cat(r) in cats[:2])
    add("integration.category[nin][]=%s&integration.category[nin][]=%s" % (cats[0], cats[2]),
        lambda r: cat(r) not in (cats[0], cats[2]))
    # timestamps: every operator, on values every tenant has
    ops = {"eq": lambda a, b: a == b[0], "ne": lambda a, b: a != b[0],
           "gt": lambda a, b: a > b[0], "gte": lambda a, b: a >= b[0],
           "lt": lambda a, b: a < b[0], "lte": lambda a, b: a <= b[0],
           "in": lambda a, b: a in b, "nin": lambda a, b: a not in b}
    for f, vals in (("created_at", ["2024-05-01T10:00:02.000Z", "2024-05-01T12:00:03+02:00"]),
                    ("updated_at", ["2024-06-01T00:00:00.401Z", "2024-06-01T00:00:00.201Z"])):
        us = [_us(v) for v in vals]
        add("%s=%s" % (f, vals[0]), lambda r, f=f, us=us: _us(r[f]) == us[0])
        for op, fn in ops.items():
            vs = vals if op in ("in", "nin") else vals[:1]
            q = "%s[%s]=%s" % (f, op, ",".join(v.replace("+", "%2B") for v in vs))
            add(q, lambda r, f=f, fn=fn, u=us[:len(vs)]: fn(_us(r[f]), u))
    # combinations naming another tenant
    add("environment_id=%s&integration_id=%s" % (w.env[1, "prod"], shareds[1]),
        lambda r: r["environment_id"] == w.env[1, "prod"] and r["integration_id"] == shareds[1])
    add("id[in]=%s&is_enabled=true" % ",".join(eis),
        lambda r: r["id"] in eis and r["is_enabled"])
    add("integration.category=%s&environment_id[ne]=%s" % (cats[1], w.env[0, "stage"]),
        lambda r: cat(r) == cats[1] and r["environment_id"] != w.env[0, "stage"])
    add("integration_id=%s&created_at[gte]=2024-05-01T10:00:01Z" % shareds[2],
        lambda r: r["integration_id"] == shareds[2] and _us(r["created_at"]) >= _us("2024-05-01T10:00:01Z"))
    return cs


def test_list_every_filter_stays_in_scope(stack):
    w = world(stack)
    ck = Checks("list filters")
    vs, ovs = views(stack, w)
    conds = _conds(w)
    # each condition means something: it keeps rows somewhere and drops
    # rows somewhere (or is meant to keep all, or none, everywhere)
    for q, pred, flag in conds:
        got = {lb: [r["id"] for r in v.visible if pred(r)] for lb, v in vs.items()}
        if flag == "empty":
            ck(not any(got.values()), "%s: expected empty everywhere" % q)
        elif flag == "all":
            ck(all(got[lb] == v.ids for lb, v in vs.items()), "%s: expected everything" % q)
        else:
            ck(any(got.values()) and any(got[lb] != v.ids for lb, v in vs.items()),
               "%s: a condition that tells nothing apart" % q)
    start = REQUESTS[0]

    def run(lb):
        v, tok = vs[lb], w.tokens[lb]
        for q, pred, _ in conds:
            where = "%s ?%s" % (lb, q[:120])
            res = list_call(stack, ck, v, ovs, tok, q, where)
            if res is None:
                continue
            want = [r["id"] for r in v.visible if pred(r)]
            ck(res[0] == want, lambda: "%s: ids %r, wanted %r" % (where, res[0], want))
            ck(res[1]["next_cursor"] is None, "%s: next_cursor %r" % (where, res[1]["next_cursor"]))
            ck(res[1]["limit"] == (1000 if "limit=1000" in q else 100), "%s: limit" % where)
    pmap(run, sorted(w.tokens))
    print("# %d list requests, %d conditions x %d tokens"
          % (REQUESTS[0] - start, len(conds), len(w.tokens)), flush=True)
    check_state_unchanged(ck, stack, w, "after the list matrix")
    ck.done()


# ---------------------------------------------------------------------------
# 3. pages and cursors, one's own and another token's

def test_pages_and_foreign_cursors_stay_in_scope(stack):
    w = world(stack)
    ck = Checks("pages and cursors")
    vs, ovs = views(stack, w)
    cursors = {}            # label -> [cursor text] of its walks

    def walk(lb, query, limit):
        v, tok = vs[lb], w.tokens[lb]
        ids, cursor, pages = [], "", 0
        want = [r["id"] for r in v.visible]
        if query:
            want = [i for i in want if i in query]
        while True:
            q = "limit=%d&next_cursor=%s%s" % (limit, cursor, "&" + query if query else "")
            where = "%s walk ?%s" % (lb, q[:100])
            res = list_call(stack, ck, v, ovs, tok, q, where)
            if res is None:
                return
            pages += 1
            ids += res[0]
            nxt = res[1]["next_cursor"]
            # a cursor exactly when this scope has more rows: another
            # tenant's rows must not make a next page appear
            ck((nxt is not None) == (len(ids) < len(want)),
               lambda: "%s: next_cursor %r after %d of %d rows" % (where, nxt, len(ids), len(want)))
            if nxt is None or pages > 20:
                break
            cursors.setdefault(lb, []).append(nxt)
            cursor = nxt
        ck(ids == want, lambda: "%s: walk at %d gave %r, wanted %r" % (lb, limit, ids, want))

    every_id = "id[in]=" + ",".join(sorted(w.rows))
    jobs = []
    for lb in sorted(w.tokens):
        n = len(vs[lb].ids)
        for limit in (1, 2, n - 1, n):
            jobs.append((lb, "", limit))
        jobs.append((lb, every_id, 2))
    pmap(lambda j: walk(*j), jobs)
    # another token's cursor only moves the start inside the caller's scope
    pairs = [(a, b) for a in sorted(cursors) for b in sorted(w.tokens) if a != b]

    def foreign(pair):
        a, b = pair
        v = vs[b]
        for cur in (cursors[a][0], cursors[a][len(cursors[a]) // 2]):
            created, cid = decode_cursor(cur)
            key = (created, cid)
            want = [r["id"] for r in v.visible if (_us(r["created_at"]), r["id"]) > key]
            where = "%s with a cursor of %s" % (b, a)
            res = list_call(stack, ck, v, ovs, w.tokens[b], "next_cursor=" + cur, where)
            if res:
                ck(res[0] == want, lambda: "%s: %r, wanted %r" % (where, res[0], want))
    pmap(foreign, pairs)
    ck(len(pairs) == 132, "cursor pairs: %d" % len(pairs))
    check_state_unchanged(ck, stack, w, "after the walks")
    ck.done()


# ---------------------------------------------------------------------------
# 4. GET, PATCH, DELETE of every foreign row: exactly the 404 of a random id

VARIANTS = [
    ("GET", None, None, False),
    ("GET upper-case id", None, None, True),
    ("PATCH", {"is_enabled": False, "show_in_catalog": True, "override": {"label": "iso-pwned"}},
     None, False),
    ("PATCH {}", {}, None, False),
    ("PATCH If-Match current", {"is_enabled": False}, '"1"', False),
    ("PATCH If-Match *", {"is_enabled": False}, "*", False),
    ("PATCH If-Match stale", {"is_enabled": False}, '"999"', False),
    ("DELETE", None, None, False),
    ("DELETE If-Match current", None, '"1"', False),
    ("DELETE If-Match *", None, "*", False),
    ("DELETE If-Match stale", None, '"999"', False),
    ("PATCH merge", {"is_enabled": False, "override": {"label": "iso-pwned", "headers": None}},
     None, False),
    ("PATCH merge {}", {"override": {}}, None, False),
    ("PATCH merge If-Match current", {"override": {"label": "iso-pwned"}}, '"1"', False),
    ("GET effective-config", None, None, False),
    ("GET effective-config upper-case id", None, None, True),
    ("HEAD effective-config", None, None, False),
    ("GET history", None, None, False),
    ("GET history upper-case id", None, None, True),
    ("GET history ?version=1", None, None, False),
    ("GET history ?limit=1", None, None, False),
    ("HEAD history", None, None, False),
    ("POST restore", {"version": 1}, None, False),
    ("POST restore If-Match current", {"version": 1}, '"1"', False),
    ("POST restore If-Match *", {"version": 1}, "*", False),
    ("POST restore If-Match stale", {"version": 1}, '"999"', False),
    ("POST restore unknown version", {"version": 2}, None, False),
]
# one of each route, for the demo tenants against the fixture
DEMO_VARIANTS = ("GET", "PATCH", "DELETE", "PATCH merge", "GET effective-config", "GET history",
                 "POST restore")


def _variant(stack, token, ei, variant):
    name, body, if_match, upper = variant
    method = name.split()[0]
    headers = {"If-Match": if_match} if if_match else {}
    if "merge" in name:
        headers["Content-Type"] = "application/merge-patch+json"
    path = PATH + "/" + (ei.upper() if upper else ei)
    if "effective-config" in name:
        path += "/effective-config"
    elif "history" in name:
        path += "/history" + (name[name.index("?"):] if "?" in name else "")
    elif "restore" in name:
        path += "/restore"
    return call(stack, method, path, token, body=body, headers=headers)


def test_foreign_rows_answer_like_missing_ones_and_stay_unchanged(stack):
    w = world(stack)
    ck = Checks("foreign GET/PATCH/DELETE")
    vs, ovs = views(stack, w)
    rows, _ = db_state(stack)
    # a few rows of the demo data and of other modules too
    others = sorted(i for i, r in rows.items() if r["team_id"] not in w.teams)[:6]
    history0 = history_checksum(stack)
    start = REQUESTS[0]

    def run(lb):
        v, tok = vs[lb], w.tokens[lb]
        mine = set(v.ids)
        foreign = [i for i in sorted(w.rows) if i not in mine] + others
        ck(len(foreign) >= (18 if v.scope.env is None else 22), "%s: %d foreign rows" % (lb, len(foreign)))
        for variant in VARIANTS:
            missing = _variant(stack, tok, str(uuid.uuid4()), variant)
            ck(missing.status == 404 and (variant[0].startswith("HEAD") or
                                          b"not found" in missing.body),
               lambda: "%s %s of a random id: %s" % (lb, variant[0], show(missing)))
            for ei in foreign:
                r = _variant(stack, tok, ei, variant)
                ck(same_reply(r, missing), lambda: "%s %s of foreign %s (T%s %s): %s, a random id: %s"
                   % (lb, variant[0], ei, w.rows.get(ei, {}).get("k", "?"),
                      w.rows.get(ei, {}).get("env_name", "other"), show(r), show(missing)))
        # own rows, read only: 200 and exactly the row
        for ei in v.ids:
            for upper in (False, True):
                r = _variant(stack, tok, ei, ("GET", None, None, upper))
                where = "%s GET own %s%s" % (lb, ei, " (upper)" if upper else "")
                if not ck(r.status == 200, lambda: "%s: %s" % (where, show(r))):
                    continue
                found = leaks(v, r)
                ck(not found, lambda: "%s: foreign data %r" % (where, found[:5]))
                ck(r.header("ETag") == '"1"', "%s: ETag %r" % (where, r.header("ETag")))
                check_object(ck, v, ovs, json.loads(r.body), where)
            # its effective config: 200, and nothing foreign (other teams'
            # secrets stay redacted in the merged config)
            r = _variant(stack, tok, ei, ("GET effective-config", None, None, False))
            where = "%s GET effective-config own %s" % (lb, ei)
            if ck(r.status == 200, lambda: "%s: %s" % (where, show(r))):
                found = leaks(v, r)
                ck(not found, lambda: "%s: foreign data %r" % (where, found[:5]))
            # its history: 200, entries of this row in this scope only
            for query in ("", "?version=1"):
                r = _variant(stack, tok, ei, ("GET history" + query, None, None, False))
                where = "%s GET history%s own %s" % (lb, query, ei)
                if not ck(r.status == 200, lambda: "%s: %s" % (where, show(r))):
                    continue
                found = leaks(v, r)
                ck(not found, lambda: "%s: foreign data %r" % (where, found[:5]))
                res = json.loads(r.body)["result"]
                ck(len(res) == 1 and all(e["environment_integration_id"] == ei and
                                         e["environment_id"] in v.envs and e["version"] == 1
                                         for e in res),
                   lambda: "%s: entries %r" % (where, res))
    pmap(run, sorted(w.tokens))
    # the demo tenants, against every fixture row
    for label in ("acme-team", "acme-production", "globex-team"):
        tok = stack.tokens[label]
        for variant in (v for v in VARIANTS if v[0] in DEMO_VARIANTS):
            missing = _variant(stack, tok, str(uuid.uuid4()), variant)
            for ei in sorted(w.rows):
                r = _variant(stack, tok, ei, variant)
                ck(same_reply(r, missing), lambda: "%s %s of fixture row %s: %s"
                   % (label, variant[0], ei, show(r)))
        r = call(stack, "GET", PATH + "?id[in]=" + ",".join(sorted(w.rows)), tok)
        ck(r.status == 200 and json.loads(r.body)["result"] == [],
           lambda: "%s lists fixture rows: %s" % (label, show(r)))
    print("# %d requests on foreign rows" % (REQUESTS[0] - start), flush=True)
    check_state_unchanged(ck, stack, w, "after PATCH/DELETE of foreign rows")
    ck(history_checksum(stack) == history0, "the refused requests changed ei_history")
    ck.done()


# ---------------------------------------------------------------------------
# 5. POST into another tenant's environment, or of its private integration

def test_post_into_foreign_scope_writes_nothing(stack):
    w = world(stack)
    ck = Checks("foreign POST")
    vs, ovs = views(stack, w)
    history0 = history_checksum(stack)
    start = REQUESTS[0]

    def post(tok, body):
        return call(stack, "POST", PATH, tok, body=body)

    def run(lb):
        v, tok = vs[lb], w.tokens[lb]
        k = w.teams.index(v.scope.team)
        own_shared = w.integ[k, "shared"]
        own_env = v.scope.env or w.env[k, "prod"]
        foreign_envs = [e for (kk, n), e in sorted(w.env.items()) if e not in v.envs]
        ck(len(foreign_envs) == (5 if v.scope.env else 4), "%s: foreign envs" % lb)
        # an environment the token cannot see: the 404 of a random one
        for integ in (own_shared, w.integ[(k + 1) % 3, "shared"], w.integ[(k + 1) % 3, "private"]):
            missing = post(tok, {"integration_id": integ, "environment_id": str(uuid.uuid4())})
            ck(missing.status == 404, lambda: "%s POST into a random env: %s" % (lb, show(missing)))
            for env in foreign_envs:
                r = post(tok, {"integration_id": integ, "environment_id": env})
                ck(same_reply(r, missing), lambda: "%s POST %s into foreign env %s: %s vs %s"
                   % (lb, w.integ_info[integ]["name"], env, show(r), show(missing)))
        # another team's private integrations (deny): the 404 of a random one
        body = lambda i: {"integration_id": i, "environment_id": own_env}  # noqa: E731
        missing = post(tok, body(str(uuid.uuid4())))
        ck(missing.status == 404, lambda: "%s POST of a random integration: %s" % (lb, show(missing)))
        for kk in range(3):
            if kk == k:
                continue
            for kind in ("private", "common"):
                r = post(tok, body(w.integ[kk, kind]))
                ck(same_reply(r, missing), lambda: "%s POST of T%d's %s: %s vs %s"
                   % (lb, kk, kind, show(r), show(missing)))
                # without environment_id as well (env tokens: their own)
                if v.scope.env:
                    r2 = post(tok, {"integration_id": w.integ[kk, kind]})
                    m2 = post(tok, {"integration_id": str(uuid.uuid4())})
                    ck(same_reply(r2, m2), lambda: "%s POST of T%d's %s (no env): %s"
                       % (lb, kk, kind, show(r2)))
            # "ask": 403 by contract, the same whether installed here or not,
            # and nothing of the owner in it
            r = post(tok, body(w.integ[kk, "ask"]))
            ck(r.status == 403 and b"approve" in r.body and not leaks(v, r)
               and w.teams[kk].encode() not in r.body,
               lambda: "%s POST of T%d's ask integration: %s" % (lb, kk, show(r)))
        # an environment token naming its sibling environment: as a random one
        if v.scope.env:
            sib = w.env[k, "stage" if v.scope.env == w.env[k, "prod"] else "prod"]
            m = post(tok, {"integration_id": own_shared, "environment_id": str(uuid.uuid4())})
            r = post(tok, {"integration_id": own_shared, "environment_id": sib})
            ck(same_reply(r, m), lambda: "%s POST into its sibling env: %s" % (lb, show(r)))
    pmap(run, sorted(w.tokens))
    print("# %d refused POSTs" % (REQUESTS[0] - start), flush=True)
    check_state_unchanged(ck, stack, w, "after the refused POSTs")
    ck(history_checksum(stack) == history0, "the refused POSTs changed ei_history")
    ck.done()


# ---------------------------------------------------------------------------
# 6. positive controls (each token can read and write its own rows), the
#    final state of every tenant, and the fixture removed

def test_own_writes_work_and_nothing_else_changed(stack):
    w = world(stack)
    ck = Checks("positive controls")
    try:
        _positive_controls(stack, w, ck)
    finally:
        if _WORLDS.get(stack.dir) is w:
            cleanup(stack, w)
    left = stack.sql("SELECT COUNT(*) FROM team WHERE name LIKE 'Iso %s Team %%'" % w.tag)
    ck(left == [["0"]], "fixture teams left behind: %r" % left)
    ck.done()


def _positive_controls(stack, w, ck):
    vs, _ = views(stack, w)
    # each token patches one row of its own (a different one each)
    targets = {}
    for lb in sorted(w.tokens):
        k, kind = int(lb[1]), lb.split("/")[1]
        pick = {"prod": ("prod", 2), "stage": ("stage", 5), "team1": ("prod", 3),
                "team2": ("stage", 8)}[kind]
        ei = next(i for i, fx in w.rows.items()
                  if fx["k"] == k and fx["env_name"] == pick[0] and fx["j"] == pick[1])
        check(ei in vs[lb].ids, "%s: target not in scope" % lb)
        targets[lb] = ei
    check(len(set(targets.values())) == 12, "targets are distinct")
    for lb, ei in sorted(targets.items()):
        before = w.s0[ei]
        label = "iso-%s-ctl-%s" % (w.tag, lb)
        body = {"is_enabled": not before["is_enabled"], "override": {"label": label}}
        r = call(stack, "PATCH", PATH + "/" + ei, w.tokens[lb], body=body,
                 headers={"If-Match": '"1"'})
        ok = ck(r.status == 200 and r.header("ETag") == '"2"',
                lambda: "%s PATCH own %s: %s" % (lb, ei, show(r)))
        w.changed[ei] = {"label": label, "is_enabled": not before["is_enabled"], "by": lb}
        if ok:
            o = json.loads(r.body)
            ck(o["is_enabled"] is (not before["is_enabled"]) and o["override"] == {"label": label},
               lambda: "%s PATCH own: %r" % (lb, o))
            g = call(stack, "GET", PATH + "/" + ei, w.tokens[lb])
            ck(g.status == 200 and json.loads(g.body) == o, "%s GET after PATCH" % lb)
    # installs of one's own, by the environment tokens, then removed again
    posted = {}
    for k in range(3):
        for env, integ in (("prod", w.integ[(k + 2) % 3, "shared"]), ("stage", w.integ[k, "shared"])):
            lb = "T%d/%s" % (k, env)
            r = call(stack, "POST", PATH, w.tokens[lb], body={"integration_id": integ})
            if not ck(r.status == 201, lambda: "%s POST %s: %s" % (lb, integ, show(r))):
                continue
            o = json.loads(r.body)
            ck(o["environment_id"] == w.env[k, env] and
               o["integration"]["installed_environment"] == [w.env[k, env]],
               lambda: "%s POST: %r" % (lb, o))
            again = call(stack, "POST", PATH, w.tokens[lb], body={"integration_id": integ})
            ck(again.status == 200 and json.loads(again.body)["id"] == o["id"],
               lambda: "%s POST again: %s" % (lb, show(again)))
            posted[o["id"]] = lb
            w.changed[o["id"]] = {"label": "iso-%s-ctl-new" % w.tag, "new": True}
    ck(len(posted) == 6, "6 installs made: %r" % posted)
    # everything again, now with the changed and the new rows in the database
    vs, ovs = views(stack, w)
    for lb, v in sorted(vs.items()):
        res = list_call(stack, ck, v, ovs, w.tokens[lb], "", "%s after writes" % lb)
        if res:
            ck(res[0] == v.ids, lambda: "%s after writes: %r, wanted %r" % (lb, res[0], v.ids))
        missing = call(stack, "GET", PATH + "/" + str(uuid.uuid4()), w.tokens[lb])
        for ei in sorted(set(targets.values()) | set(posted)):
            r = call(stack, "GET", PATH + "/" + ei, w.tokens[lb])
            if ei in v.ids:
                if ck(r.status == 200, lambda: "%s GET own %s: %s" % (lb, ei, show(r))):
                    check_object(ck, v, ovs, json.loads(r.body), "%s GET %s" % (lb, ei))
            else:
                ck(same_reply(r, missing), lambda: "%s GET foreign changed row %s: %s"
                   % (lb, ei, show(r)))
    # the team tokens see the env tokens' new rows in both environments'
    # installed_environment; the other team's tokens cannot delete them
    for ei, lb in sorted(posted.items()):
        k = int(lb[1])
        other = "T%d/team1" % ((k + 1) % 3)
        missing = call(stack, "DELETE", PATH + "/" + str(uuid.uuid4()), w.tokens[other])
        r = call(stack, "DELETE", PATH + "/" + ei, w.tokens[other])
        ck(same_reply(r, missing), lambda: "%s DELETE of %s's new row: %s" % (other, lb, show(r)))
        sib = "T%d/%s" % (k, "stage" if lb.endswith("prod") else "prod")
        missing = call(stack, "DELETE", PATH + "/" + str(uuid.uuid4()), w.tokens[sib])
        r = call(stack, "DELETE", PATH + "/" + ei, w.tokens[sib])
        ck(same_reply(r, missing), lambda: "%s DELETE of its sibling's row: %s" % (sib, show(r)))
        # restore: the other team and the sibling environment as a random
        # id; its own token writes version 1 back as version 2
        for tok_lb in (other, sib):
            missing = call(stack, "POST", PATH + "/" + str(uuid.uuid4()) + "/restore",
                           w.tokens[tok_lb], body={"version": 1})
            r = call(stack, "POST", PATH + "/" + ei + "/restore", w.tokens[tok_lb],
                     body={"version": 1})
            ck(same_reply(r, missing), lambda: "%s restore of %s's new row: %s"
               % (tok_lb, lb, show(r)))
        r = call(stack, "POST", PATH + "/" + ei + "/restore", w.tokens[lb], body={"version": 1},
                 headers={"If-Match": '"1"'})
        ck(r.status == 200 and r.header("ETag") == '"2"',
           lambda: "%s restore own new row: %s" % (lb, show(r)))
        r = call(stack, "DELETE", PATH + "/" + ei, w.tokens[lb], headers={"If-Match": '"2"'})
        ck(r.status == 200 and json.loads(r.body) == {"id": ei},
           lambda: "%s DELETE own new row: %s" % (lb, show(r)))
        r = call(stack, "DELETE", PATH + "/" + ei, w.tokens[lb])
        ck(r.status == 404, lambda: "%s second DELETE: %s" % (lb, show(r)))
        w.changed.pop(ei)
        # uninstalled, its history stays with its scope (its environment's
        # token, its team's) and with no one else
        for tok_lb in (lb, "T%d/team1" % k):
            r = call(stack, "GET", PATH + "/" + ei + "/history", w.tokens[tok_lb])
            got = [(e["version"], e["kind"]) for e in json.loads(r.body)["result"]] \
                if r.status == 200 else show(r)
            ck(got == [(3, "uninstall"), (2, "restore"), (1, "install")],
               lambda: "%s history of %s's uninstalled row: %r" % (tok_lb, lb, got))
        for tok_lb in (other, sib):
            missing = call(stack, "GET", PATH + "/" + str(uuid.uuid4()) + "/history",
                           w.tokens[tok_lb])
            r = call(stack, "GET", PATH + "/" + ei + "/history", w.tokens[tok_lb])
            ck(same_reply(r, missing), lambda: "%s history of %s's uninstalled row: %s"
               % (tok_lb, lb, show(r)))
    # and one original row deleted by a team token
    gone = next(i for i, fx in w.rows.items() if fx["k"] == 1 and fx["j"] == 4)
    r = call(stack, "DELETE", PATH + "/" + gone, w.tokens["T1/team2"], headers={"If-Match": "*"})
    ck(r.status == 200 and json.loads(r.body) == {"id": gone}, "T1/team2 DELETE: %s" % show(r))
    w.deleted.add(gone)
    # the database: the patched rows as patched, the deleted one gone, the
    # new ones gone again, everything else (every tenant) as it was
    rows = check_state_unchanged(ck, stack, w, "at the end")
    ovs = overrides(stack, w)
    for ei, ch in w.changed.items():
        r, b = rows.get(ei), w.s0[ei]
        ck(r is not None and r["version"] == 2 and r["is_enabled"] is ch["is_enabled"]
           and r["updated_at"] > b["updated_at"]
           and {k: v for k, v in r.items() if k not in ("version", "is_enabled", "updated_at",
                                                          "override_sha")}
           == {k: v for k, v in b.items() if k not in ("version", "is_enabled", "updated_at",
                                                          "override_sha")}
           and json.loads(ovs.get(ei) or "{}") == {"label": ch["label"]},
           lambda: "patched row %s: %r (was %r)" % (ei, r, b))
    ck(gone not in rows, "deleted row %s still there" % gone)
    ck(len(w.changed) == 12, "12 patched rows: %d" % len(w.changed))
