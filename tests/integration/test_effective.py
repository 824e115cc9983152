"""GET /environment-integration/{id}/effective-config (issue 15 §2): the
caller's view of the integration's config (redacted for a team that does
not own it) with the override deep-merged over it, the environment-level
keys beside it, and an ETag "<row version>.<integration version>".

Rows live in test_write's tenants: "Write Team" owns the integrations
imported here and installs them in its prod environment; "Write Solo"
installs them too (sharing allow) and sees the redacted copy. Expected
bodies are computed here from the imported config and the stored
override (an RFC 7396 merge written in Python), never from the server.
"""
import json
import os
import uuid

from helpers import REDACTED, check, expect_error
from test_write import JSON, PATH, check_write, get, new_row, patch, send, snapshot, world

MP = "application/merge-patch+json"
ENV_KEYS = ("description", "tags", "environment_variables")
ABSENT = {"description": None, "tags": [], "environment_variables": {}}


def merge(target, patch_):
    """RFC 7396 MergePatch; keys keep the target's order, new ones last."""
    if not isinstance(patch_, dict):
        return patch_
    out = dict(target) if isinstance(target, dict) else {}
    for k, v in patch_.items():
        if v is None:
            out.pop(k, None)
        else:
            out[k] = merge(out.get(k), v)
    return out


def redact(cfg):
    """API.md's rule on a config: every credentials...client.secret."""
    def walk(v, under_client):
        if isinstance(v, list):
            return [walk(x, under_client) for x in v]
        if not isinstance(v, dict):
            return v
        return {k: (REDACTED if under_client and k == "secret" else walk(x, k == "client"))
                for k, x in v.items()}
    cfg = dict(cfg)
    if "credentials" in cfg:
        cfg["credentials"] = walk(cfg["credentials"], False)
    return cfg


def base_config(name):
    return {"base_url": "https://%s.example/api" % name, "label": name,
            "headers": {"Accept": JSON, "X-Base": "1"},
            "credentials": {"format": "oauth2",
                            "config": {"client": {"id": "cid", "secret": "base-secret-" + name}}},
            "actions": {"list": {"method": "get", "path": "/items", "query": ["a", "b"]}},
            "description": "the base", "tags": ["base"],
            "environment_variables": {"REGION": "us", "DEEP": {"a": 1, "b": 2}}}


class Fixture:
    pass


def fixture(stack, cfg=None):
    """A fresh integration of Write Team with a secret in its config,
    installed in Write Team's prod (owner) and in Write Solo (not owner)."""
    w = world(stack)
    f = Fixture()
    f.name = "eff-%s" % uuid.uuid4().hex[:8]
    f.cfg = cfg if cfg is not None else base_config(f.name)
    f.path = os.path.join(w.dir, f.name + ".json")
    write_definition(f)
    f.integ = stack.ctl_out("integration", "import", f.path, "--team", w.team)
    f.own = stack.ctl_out("install", "--environment", w.prod, "--integration", f.integ)
    f.other = stack.ctl_out("install", "--environment", w.solo_env, "--integration", f.integ)
    return f


def write_definition(f):
    with open(f.path, "w") as fh:
        json.dump({"name": f.name, "category": "crm", "is_beta": False, "sharing": "allow",
                   "config": f.cfg}, fh)


def integration_version(stack, integ):
    return int(stack.sql("SELECT version FROM integration WHERE id = UNHEX('%s')"
                         % integ.replace("-", ""))[0][0])


def effective(stack, ei, token, method="GET", **kw):
    return stack.request(method, PATH + "/" + ei + "/effective-config", token=token, **kw)


def expected(base, override, ei, version):
    merged = merge(base, override or {})
    body = {"id": ei, "version": version,
            "config": {k: v for k, v in merged.items() if k not in ENV_KEYS}}
    for k in ENV_KEYS:
        body[k] = merged.get(k, ABSENT[k])
    return body


def check_effective(stack, ei, token, base, integ):
    """The reply is the expected body (key order included) with its ETag."""
    snap = snapshot(stack, ei)
    ov = None if snap["override_bytes"] is None else json.loads(snap["override_bytes"])
    r = effective(stack, ei, token)
    check(r.status == 200, "%d %r" % (r.status, r.body[:300]))
    check((r.header("Content-Type") or "").startswith(JSON), r.headers)
    got = json.loads(r.body)
    want = expected(base, ov, ei, snap["version"])
    check(got == want, "effective config of %s:\n got %r\nwant %r" % (ei, got, want))
    check(list(got) == list(want) and list(got["config"]) == list(want["config"]),
          "key order %r / %r" % (list(got["config"]), list(want["config"])))
    etag = '"%d.%d"' % (snap["version"], integration_version(stack, integ))
    check(r.header("ETag") == etag, "ETag %r, wanted %r" % (r.header("ETag"), etag))
    return got, r


def test_effective_config_merges_and_keeps_env_keys_beside(stack):
    w = world(stack)
    f = fixture(stack)
    # no override: the base, its environment-level keys beside it
    got, _ = check_effective(stack, f.own, w.token, f.cfg, f.integ)
    check(got["config"]["credentials"]["config"]["client"]["secret"] == "base-secret-" + f.name, got)
    check(got["description"] == "the base" and got["tags"] == ["base"], got)
    # an override: objects merge, arrays and scalars replace, null removes
    prev = snapshot(stack, f.own)
    check_write(stack, patch(stack, f.own, {"override": {
        "headers": {"X-Base": "2", "X-Mine": "m"},
        "actions": {"list": {"query": ["c"], "extra": {"x": None, "y": 1}}},
        "label": "mine", "tags": ["t1", "t2"],
        "environment_variables": {"REGION": "eu", "DEEP": {"a": None, "c": 3}, "NEW": [None]}}}),
        f.own, prev)
    got, _ = check_effective(stack, f.own, w.token, f.cfg, f.integ)
    check(got["config"]["headers"] == {"Accept": JSON, "X-Base": "2", "X-Mine": "m"}, got)
    check(got["environment_variables"] == {"REGION": "eu", "DEEP": {"b": 2, "c": 3}, "NEW": [None]},
          got)
    # a merge patch deleting keys of the base through the override
    prev = snapshot(stack, f.own)
    check_write(stack, patch(stack, f.own, {"override": {"description": "", "tags": None}},
                             ctype=MP), f.own, prev)
    got, _ = check_effective(stack, f.own, w.token, f.cfg, f.integ)
    check(got["description"] == "" and got["tags"] == ["base"], got)
    # a base without the environment-level keys: their defaults
    g = fixture(stack, cfg={"base_url": "https://plain.example"})
    got, _ = check_effective(stack, g.own, w.token, g.cfg, g.integ)
    check(got["description"] is None and got["tags"] == [] and got["environment_variables"] == {},
          got)


def test_effective_config_redaction_is_the_callers_view(stack):
    w = world(stack)
    f = fixture(stack)
    # another team sees the redacted base
    got, _ = check_effective(stack, f.other, w.solo_token, redact(f.cfg), f.integ)
    check(got["config"]["credentials"]["config"]["client"]["secret"] == REDACTED, got)
    check(("base-secret-" + f.name).encode() not in effective(stack, f.other, w.solo_token).body,
          "the owner's secret leaks")
    # what its own override sets is its own, and shown
    r = patch(stack, f.other, {"override": {"credentials": {
        "config": {"client": {"secret": "solo-secret"}}}}}, token=w.solo_token)
    check(r.status == 200, "%d %r" % (r.status, r.body[:300]))
    got, _ = check_effective(stack, f.other, w.solo_token, redact(f.cfg), f.integ)
    check(got["config"]["credentials"]["config"]["client"] == {"id": "cid", "secret": "solo-secret"},
          got)
    # the owner's row of the same integration: the real secret
    got, _ = check_effective(stack, f.own, w.token, f.cfg, f.integ)
    check(got["config"]["credentials"]["config"]["client"]["secret"] == "base-secret-" + f.name, got)


def test_effective_config_etag_follows_both_sides(stack):
    w = world(stack)
    f = fixture(stack)
    iv = integration_version(stack, f.integ)
    check(iv == 1, "a new integration's version is %d" % iv)
    _, r0 = check_effective(stack, f.own, w.token, f.cfg, f.integ)
    check(r0.header("ETag") == '"1.1"', r0.header("ETag"))
    # the object's own ETag is still the row version alone
    check(get(stack, f.own).header("ETag") == '"1"', get(stack, f.own).headers)
    # the row changes: the first part
    prev = snapshot(stack, f.own)
    check_write(stack, patch(stack, f.own, {"override": {"label": "x"}}), f.own, prev)
    _, r = check_effective(stack, f.own, w.token, f.cfg, f.integ)
    check(r.header("ETag") == '"2.1"', r.header("ETag"))
    # If-Match on a write compares the row version only: the pair is no tag of it
    r412 = patch(stack, f.own, {"is_enabled": False}, headers={"If-Match": '"2.1"'})
    expect_error(r412, 412)
    # the same definition imported again: nothing changed, no new version
    stack.ctl_out("integration", "import", f.path, "--team", w.team)
    check(integration_version(stack, f.integ) == 1, "a re-import of the same config bumped")
    # a changed config: the second part, for every row of the integration
    f.cfg = dict(f.cfg, label="changed", headers={"Accept": JSON})
    write_definition(f)
    stack.ctl_out("integration", "import", f.path, "--team", w.team)
    check(integration_version(stack, f.integ) == 2, integration_version(stack, f.integ))
    _, r = check_effective(stack, f.own, w.token, f.cfg, f.integ)
    check(r.header("ETag") == '"2.2"', r.header("ETag"))
    _, r = check_effective(stack, f.other, w.solo_token, redact(f.cfg), f.integ)
    check(r.header("ETag") == '"1.2"', r.header("ETag"))
    # redact rewriting a stale copy: a new version; one already right: none
    hexid = f.integ.replace("-", "")
    stack.sql("UPDATE integration SET config_public = config WHERE id = UNHEX('%s')" % hexid)
    stack.ctl("integration", "redact")
    check(integration_version(stack, f.integ) == 3, integration_version(stack, f.integ))
    _, r = check_effective(stack, f.other, w.solo_token, redact(f.cfg), f.integ)
    check(r.header("ETag") == '"1.3"', r.header("ETag"))
    stack.ctl("integration", "redact")
    check(integration_version(stack, f.integ) == 3, "redact of a right copy bumped")


def test_effective_config_scope_methods_and_query(stack):
    w = world(stack)
    f = fixture(stack)
    stage = stack.ctl_out("install", "--environment", w.stage, "--integration", f.integ)
    missing = effective(stack, str(uuid.uuid4()), w.token)
    expect_error(missing, 404)
    for ei, token in ((f.other, w.token),            # another team's row
                      (f.own, w.solo_token),         # ours, to another team
                      (stage, w.prod_token),         # another environment of the team
                      ("not-a-uuid", w.token), (f.own.upper() + "x", w.token)):
        r = effective(stack, ei, token)
        check(r.status == 404 and r.body == missing.body, "%s: %d %r" % (ei, r.status, r.body))
    # a team token sees every environment of its team; upper case ids work
    check(effective(stack, stage, w.token).status == 200, "team token, stage row")
    check(effective(stack, f.own.upper(), w.token).status == 200, "upper-case id")
    # no token
    expect_error(effective(stack, f.own, None), 401)
    # HEAD: GET's status and ETag, no body
    g = effective(stack, f.own, w.token)
    h = effective(stack, f.own, w.token, method="HEAD")
    check(h.status == 200 and h.body == b"" and h.header("ETag") == g.header("ETag"),
          (h.status, h.body, h.headers))
    # only GET and HEAD
    for method in ("POST", "PATCH", "PUT", "DELETE"):
        r = send(stack, method, PATH + "/" + f.own + "/effective-config", w.token, {})
        expect_error(r, 405)
        check(r.header("Allow") == "GET, HEAD", r.headers)
    # no query parameters, not even the object's filters
    for q in ("is_enabled=true", "expand=effective_config", "x=1"):
        r = stack.request("GET", PATH + "/" + f.own + "/effective-config?" + q, token=w.token)
        expect_error(r, 400)
        check(r.json()["details"]["failures"][0]["path"] == q.split("=")[0], r.body)
    # the object itself has no expand either: the effective config is its own route
    r = stack.request("GET", PATH + "/" + f.own + "?expand=effective_config", token=w.token)
    expect_error(r, 400)
    # a trailing slash is tolerated, more segments are not a route
    check(stack.request("GET", PATH + "/" + f.own + "/effective-config/", token=w.token).status
          == 200, "trailing slash")
    expect_error(stack.request("GET", PATH + "/" + f.own + "/effective-config/x", token=w.token),
                 404)
