"""conf/openapi.json against the server itself: GET /openapi.json serves
it without a token, and its paths and methods are exactly envint's route
table, read from the server twice: the Allow map of the rendered nginx site
(envint --render-site writes it from the table) and the Allow of envint's
own 405 on every path. (tests/openapi/lint checks the document's form; the
runner checks every response against it: openapi_check.py.)"""
import json
import os
import re
import signal
import uuid

from helpers import check, expect_error
from stack import wait_for
from test_nginx import paths_of, site_allow_map

METHODS = ("get", "head", "post", "put", "patch", "delete", "options", "trace")
ALLOW_ORDER = ("GET", "HEAD", "POST", "PATCH", "DELETE", "PUT", "OPTIONS")


def document(stack):
    with open(stack.openapi_file()) as f:
        return json.load(f)


def doc_allow(item):
    """A path item's methods as envint's Allow spells them."""
    return ", ".join(m for m in ALLOW_ORDER if m.lower() in item)


def concrete(template, segment):
    return re.sub(r"{[^}]+}", segment, template)


def test_served_without_a_token(stack):
    with open(stack.openapi_file(), "rb") as f:
        raw = f.read()
    r = stack.get("/openapi.json")
    check(r.status == 200, "status %d: %r" % (r.status, r.body[:200]))
    check((r.header("Content-Type") or "").startswith("application/json"),
          "Content-Type %r" % r.header("Content-Type"))
    check(r.body == raw, "the body is not conf/openapi.json byte for byte")
    etag = r.header("ETag")
    check(etag is not None and re.fullmatch(r'"[0-9a-f]{16}"', etag), "ETag %r" % etag)
    h = stack.request("HEAD", "/openapi.json")
    check(h.status == 200 and h.body == b"", "HEAD: %d %r" % (h.status, h.body[:100]))
    check(h.header("ETag") == etag, "HEAD's ETag %r, GET's %r" % (h.header("ETag"), etag))
    check(h.header("Content-Length") == str(len(raw)), "HEAD's length %r" % h.header("Content-Length"))
    # a token is not needed, and one that is wrong does not matter
    check(stack.get("/openapi.json", token="ei_nope").status == 200, "a bad token refused")
    check(stack.get("/openapi.json/").body == raw, "one trailing slash")
    r = stack.request("POST", "/openapi.json", body={})
    expect_error(r, 405)
    check(r.header("Allow") == "GET, HEAD", "Allow %r" % r.header("Allow"))


def test_document_paths_are_the_route_table(stack):
    """Every route of the rendered site's Allow map is a path of the
    document with the same methods, and every path of the document is a
    route: a route or method missing from the document fails, and so does
    a path or method the server does not have."""
    doc = document(stack)
    seg = str(uuid.uuid4())
    entries = site_allow_map(stack)
    templates = {concrete(t, seg): (t, item) for t, item in doc["paths"].items()}
    seen = set()
    for rx, allow in entries:
        for path in paths_of(rx, seg):
            p = path[:-1] if len(path) > 1 and path.endswith("/") else path
            if p == stack.STATUS_PATH:
                continue  # configured (status_path), off by default: not in the document
            check(p in templates, "route %s (%s) is not in conf/openapi.json" % (path, allow))
            t, item = templates[p]
            check(doc_allow(item) == allow, "%s: the site's Allow %r, the document's %r"
                  % (t, allow, doc_allow(item)))
            seen.add(t)
    for t, item in doc["paths"].items():
        check(t in seen, "conf/openapi.json names %s, which the route table does not have" % t)
        extra = [m for m in METHODS if m in item and m.upper() not in ALLOW_ORDER]
        check(extra == [], "%s: methods envint has on no route: %r" % (t, extra))


def test_document_methods_are_envints_allow(stack):
    """The server's own word, path by path: a method the path lacks gets a
    405 whose Allow is the document's method list."""
    doc = document(stack)
    seg = str(uuid.uuid4())
    for t, item in doc["paths"].items():
        method = next(m for m in ("PUT", "OPTIONS", "PATCH", "POST") if m.lower() not in item)
        r = stack.request(method, concrete(t, seg), token=stack.tokens["acme-team"])
        expect_error(r, 405)
        check(r.header("Allow") == doc_allow(item), "%s: envint's Allow %r, the document's %r"
              % (t, r.header("Allow"), doc_allow(item)))


def test_missing_document_is_404_and_logged(stack):
    """openapi_file that cannot be read: logged once, and /openapi.json is
    the usual 404 envelope (a reload re-reads the setting)."""
    missing = os.path.join(stack.dir, "no-such-openapi.json")
    workers = set(stack.worker_pids())
    stack.write_config(openapi_file=missing)
    try:
        os.kill(stack.master_pid(), signal.SIGHUP)
        wait_for(lambda: not (set(stack.worker_pids()) & workers) and
                 len(stack.worker_pids()) == stack.workers, 20, "workers replaced")
        r = stack.get("/openapi.json")
        expect_error(r, 404, "no OpenAPI document")
        check(r.header("ETag") is None, "ETag on the 404")
        check(stack.get("/healthz").status == 200, "unhealthy")
        check(missing in stack.app_log(), "the missing document was not logged")
    finally:
        workers = set(stack.worker_pids())
        stack.write_config()
        os.kill(stack.master_pid(), signal.SIGHUP)
        wait_for(lambda: not (set(stack.worker_pids()) & workers) and
                 len(stack.worker_pids()) == stack.workers, 20, "workers replaced")
    check(stack.get("/openapi.json").status == 200, "the document is back")
