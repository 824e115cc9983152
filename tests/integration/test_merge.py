"""PATCH with Content-Type application/merge-patch+json (issue 15 §1): the
body's override is merged into the stored one (RFC 7396) under the row
lock, the result is held to the override rules, and a result equal to the
stored state is no new version.

Rows live in test_write's tenants ("Write Team"), each test making its
own (test_write.new_row). Every "nothing was written" compares the row's
columns and the table's CHECKSUM before and after (test_write.state).
"""
import json
import uuid

from helpers import check
from test_write import (BODY_MAX, DEPTH_MAX, JSON, MIB, PATH, _nest, bad_patch,
                        check_write, expect_400, expect_clean_error, get, new_row,
                        parallel, patch, send, snapshot, state, world)

MP = "application/merge-patch+json"


def mpatch(stack, ei, body, ctype=MP, **kw):
    return patch(stack, ei, body, ctype=ctype, **kw)


def merge_ok(stack, ei, body, **kw):
    """A merge patch that changes the row: check_write's checks (200,
    version + 1, reply == GET == row); the object and the new row."""
    prev = snapshot(stack, ei)
    return check_write(stack, mpatch(stack, ei, body, **kw), ei, prev)


def stored(snap):
    return None if snap["override_bytes"] is None else snap["override_bytes"].decode()


def merge_noop(stack, ei, body, **kw):
    """A merge patch whose result is the stored state: 200 with the row,
    its ETag unchanged, and nothing written (not even updated_at)."""
    before = state(stack, ei)
    r = mpatch(stack, ei, body, **kw)
    check(r.status == 200, "%r: %d %r" % (body, r.status, r.body[:300]))
    check(state(stack, ei) == before, "%r: a merge that changes nothing wrote" % (body,))
    check(r.header("ETag") == '"%d"' % before[0]["version"], (body, r.header("ETag")))
    g = get(stack, ei)
    check(g.status == 200 and g.json() == r.json(), "%r: reply differs from GET" % (body,))
    return r.json()


def set_override(stack, ei, ov):
    """Stores `ov` whole (a JSON PATCH, Truto's replace)."""
    prev = snapshot(stack, ei)
    _, snap = check_write(stack, patch(stack, ei, {"override": ov}), ei, prev)
    return snap


def test_merge_objects_nulls_arrays_and_order(stack):
    ei, _ = new_row(stack)
    set_override(stack, ei, {"label": "a", "headers": {"A": "1", "B": "2"},
                             "tags": ["x", "y"], "environment_variables": {"k": {"deep": 1, "keep": 2}}})
    obj, snap = merge_ok(stack, ei, {"override": {
        "headers": {"B": None, "C": "3"},          # objects merge; null deletes
        "tags": ["z"],                             # arrays replace
        "label": None,                             # a top-level key goes
        "environment_variables": {"k": {"deep": None, "new": [None, {"n": None}]}},
        "base_url": "https://merged.example"}})    # a new key comes last
    want = ('{"headers":{"A":"1","C":"3"},"tags":["z"],'
            '"environment_variables":{"k":{"keep":2,"new":[null,{"n":null}]}},'
            '"base_url":"https://merged.example"}')
    check(stored(snap) == want, stored(snap))
    check(obj["override"] == json.loads(want), obj["override"])
    # a key the override lacks, given as an object with nulls inside: they go
    _, snap = merge_ok(stack, ei, {"override": {"query": {"a": "1", "b": None}}})
    check(json.loads(stored(snap))["query"] == {"a": "1"}, stored(snap))
    # deleting what is not there, and {}: nothing changes
    merge_noop(stack, ei, {"override": {"label": None, "nope": None}})
    merge_noop(stack, ei, {"override": {}})
    merge_noop(stack, ei, {})
    # setting what is already there
    merge_noop(stack, ei, {"override": {"headers": {"A": "1"}, "tags": ["z"]}})


def test_merge_into_nothing_and_clear(stack):
    ei, _ = new_row(stack)
    check(snapshot(stack, ei)["override_is_null"], "new row has an override")
    merge_noop(stack, ei, {"override": {"label": None}})
    _, snap = merge_ok(stack, ei, {"override": {"label": "x", "headers": {"h": None}}})
    check(stored(snap) == '{"label":"x","headers":{}}', stored(snap))
    # deleting every key leaves no override: NULL, {} in the reply
    obj, snap = merge_ok(stack, ei, {"override": {"label": None, "headers": None}})
    check(snap["override_is_null"], snap)
    check(obj["override"] == {}, obj)
    # "override": null clears it all
    set_override(stack, ei, {"label": "y", "icon": "i"})
    obj, snap = merge_ok(stack, ei, {"override": None})
    check(snap["override_is_null"] and obj["override"] == {}, (snap, obj))
    merge_noop(stack, ei, {"override": None})


def test_merge_flags(stack):
    ei, _ = new_row(stack)
    set_override(stack, ei, {"label": "keep"})
    s0 = snapshot(stack, ei)
    # flags as stored: no new version; flags that differ: one
    merge_noop(stack, ei, {"is_enabled": s0["is_enabled"], "show_in_catalog": s0["show_in_catalog"]})
    obj, snap = merge_ok(stack, ei, {"is_enabled": not s0["is_enabled"]})
    check(snap["is_enabled"] is (not s0["is_enabled"]) and stored(snap) == '{"label":"keep"}', snap)
    obj, snap = merge_ok(stack, ei, {"show_in_catalog": not s0["show_in_catalog"],
                                     "is_enabled": not s0["is_enabled"], "override": {"icon": "i"}})
    check(snap["show_in_catalog"] is (not s0["show_in_catalog"]), snap)
    check(stored(snap) == '{"label":"keep","icon":"i"}', stored(snap))
    # flags are not nullable
    for f in ("is_enabled", "show_in_catalog"):
        bad_patch(stack, ei, {f: None}, path=f, ctype=MP)
        bad_patch(stack, ei, {f: None, "override": {"label": "no"}}, path=f, ctype=MP)


def test_merge_result_is_validated(stack):
    ei, _ = new_row(stack)
    set_override(stack, ei, {"base_url": "https://a.example", "headers": {"A": "1"},
                             "authorization": {"format": "bearer", "config": {"p": 1}},
                             "credentials": {"oauth2": {"format": "oauth2", "config": {}}}})
    cases = [
        ({"base_url": 5}, "override.base_url"),
        ({"headers": {"B": 2}}, "override.headers.B"),
        ({"headers": "x"}, "override.headers"),
        ({"nope": 1}, "override.nope"),
        ({"tags": [1]}, "override.tags[0]"),
        ({"query_array_format": "weird"}, "override.query_array_format"),
        ({"authorization": {"format": "nope"}}, "override.authorization.format"),
        # the place's config must stay an object beside the stored format
        ({"authorization": {"config": "str"}}, "override.authorization.config"),
        ({"pagination": {"format": 1}}, "override.pagination.format"),
        ({"credentials": {"api_key": "not an object"}}, "override.credentials.api_key"),
        ({"webhook": {"signature_verification": {"format": "hmac", "config": []}}},
         "override.webhook.signature_verification.config"),
    ]
    for ov, path in cases:
        bad_patch(stack, ei, {"override": ov}, path=path, ctype=MP)
        # with a flag beside it: nothing of the body is written
        bad_patch(stack, ei, {"is_enabled": False, "override": ov}, path=path, ctype=MP)
    # a valid result after removing what made it invalid is fine
    _, snap = merge_ok(stack, ei, {"override": {"authorization": {"format": None, "config": "s"}}})
    check(json.loads(stored(snap))["authorization"] == {"config": "s"}, stored(snap))
    # the patch itself: JSON rules as for any body
    for body, path in ((b'{"override":{"a":1,"a":2}}', "override.a"),
                       (b'{"override":[]}', "override"),
                       (b'{"override":"x"}', "override"),
                       (b'{"override":{"label":"x"}', "body")):
        bad_patch(stack, ei, body, path=path, ctype=MP)
    deep = '{"override":{"environment_variables":%s}}' % _nest(DEPTH_MAX - 1)
    bad_patch(stack, ei, deep, path=None, ctype=MP)
    ok = '{"override":{"environment_variables":%s}}' % _nest(DEPTH_MAX - 2)
    merge_ok(stack, ei, ok)


def test_merge_result_over_body_max(stack):
    ei, _ = new_row(stack)
    half = BODY_MAX // 2 + MIB // 2
    set_override(stack, ei, {"description": "a" * half})
    r = bad_patch(stack, ei, {"override": {"label": "b" * half}}, path="override", ctype=MP)
    check("once merged" in r.json()["details"]["failures"][0]["message"], r.body[:300])
    # replacing the big key instead fits
    _, snap = merge_ok(stack, ei, {"override": {"description": "small", "label": "b" * half}})
    check(snap["override_len"] == str(len('{"description":"small","label":""}') + half), snap)


def test_merge_content_types_and_if_match(stack):
    w = world(stack)
    ei, _ = new_row(stack)
    for ctype in (MP, MP + "; charset=utf-8", "Application/Merge-Patch+JSON ; charset=UTF-8"):
        merge_ok(stack, ei, {"override": {"label": str(uuid.uuid4())}}, ctype=ctype)
    # application/json still replaces
    prev = snapshot(stack, ei)
    _, snap = check_write(stack, patch(stack, ei, {"override": {"icon": "j"}}), ei, prev)
    check(stored(snap) == '{"icon":"j"}', stored(snap))
    for ctype in ("application/json-patch+json", "application/merge-patch", "application/merge-patch+jsonx"):
        r = bad_patch(stack, ei, {"override": {"label": "no"}}, status=415, ctype=ctype)
        check("application/merge-patch+json" in r.json()["message"], r.body)
    # POST takes application/json only
    r = send(stack, "POST", PATH, w.token, {"integration_id": new_row(stack)[1]}, ctype=MP)
    expect_clean_error(r, 415, "application/json")
    # If-Match: a stale tag is 412 (nothing written), the current one or * applies
    v = snapshot(stack, ei)["version"]
    bad_patch(stack, ei, {"override": {"label": "stale"}}, status=412, ctype=MP,
              headers={"If-Match": '"%d"' % (v - 1)})
    bad_patch(stack, ei, {}, status=412, ctype=MP, headers={"If-Match": '"%d"' % (v + 1)})
    obj, snap = merge_ok(stack, ei, {"override": {"label": "cur"}}, headers={"If-Match": '"%d"' % v})
    merge_ok(stack, ei, {"override": {"label": "star"}}, headers={"If-Match": "*"})
    merge_noop(stack, ei, {"override": {"label": "star"}}, headers={"If-Match": '"%d"' % (v + 2)})
    # over body_max before a byte is read
    big = b'{"override":{"description":"' + b"a" * (9 * MIB) + b'"}}'
    bad_patch(stack, ei, big, status=413, ctype=MP)


def test_merge_missing_and_foreign_rows(stack):
    w = world(stack)
    ei, _ = new_row(stack)
    solo_ei, _ = new_row(stack, env=w.solo_env)
    body = {"is_enabled": False, "override": {"label": "pwned", "headers": None}}
    missing = mpatch(stack, str(uuid.uuid4()), body)
    expect_clean_error(missing, 404)
    for target, token in ((solo_ei, w.token), (ei, w.solo_token), ("not-a-uuid", w.token)):
        before = state(stack, ei if target != solo_ei else solo_ei)
        r = mpatch(stack, target, body, token=token)
        check(r.status == 404 and r.body == missing.body, "%s: %d %r" % (target, r.status, r.body))
        check(state(stack, ei if target != solo_ei else solo_ei) == before, "foreign merge wrote")
    # an environment token does not reach the team's other environment
    stage_ei, _ = new_row(stack, env=w.stage)
    before = state(stack, stage_ei)
    r = mpatch(stack, stage_ei, body, token=w.prod_token)
    check(r.status == 404 and r.body == missing.body, r.body)
    check(state(stack, stage_ei) == before, "env token merged into another environment")


def test_concurrent_merges_of_different_keys_all_land(stack):
    ei, _ = new_row(stack)
    set_override(stack, ei, {"environment_variables": {"base": 0}, "label": "l"})
    v0 = snapshot(stack, ei)["version"]
    n = 32

    def one(i):
        return lambda: mpatch(stack, ei, {"override": {"environment_variables": {"K%02d" % i: i}}})
    res = parallel([one(i) for i in range(n)])
    for i, r in enumerate(res):
        check(r.status == 200, "merge %d: %d %r" % (i, r.status, r.body[:200]))
    snap = snapshot(stack, ei)
    ov = json.loads(stored(snap))
    want = dict({"base": 0}, **{"K%02d" % i: i for i in range(n)})
    check(ov["environment_variables"] == want, "lost keys: %r"
          % sorted(set(want) - set(ov["environment_variables"])))
    check(ov["label"] == "l", ov)
    check(snap["version"] == v0 + n, "version %d, wanted %d" % (snap["version"], v0 + n))
    # every reply shows a distinct version, and its own key
    versions = sorted(int(r.header("ETag").strip('"')) for r in res)
    check(versions == list(range(v0 + 1, v0 + n + 1)), versions)
    for i, r in enumerate(res):
        check(r.json()["override"]["environment_variables"].get("K%02d" % i) == i, r.body[:200])
