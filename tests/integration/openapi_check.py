"""Every response the integration suite receives through Stack.request
(envint behind the stack's nginx, and behind test_apache.py's Apache
instances, whose request goes through the same method) is checked against
conf/openapi.json. tests/integration/run enables the check, and a test that
received a response the document does not describe fails at its end, with
each violation listed.

In scope: every response to Stack.request / ApacheInstance.request, that
is, everything envint answers and everything the rendered sites answer
(their own error pages included) for a request http.client could send:
  - a path of the document (one trailing slash tolerated, the path
    percent-decoded as envint decodes it) and one of its methods: the
    status must be one of the operation's responses, the body (but after
    HEAD, which has none) must be JSON of the content schema, with the
    Content-Type it names, and every header the response marks required
    must be there;
  - a path of the document with a method it lacks: 405 with the error
    envelope and an Allow that lists the path's methods in the document
    (x-envint-other-methods);
  - a path of no route: a 404 error envelope (or the web server's 400
    for a path it cannot decode).
Also in scope: test_isolation.py's own keep-alive client (the tenant
matrix: every route and filter with every token), which records here too.
Out of scope: the status page (Stack.STATUS_PATH: a configured path, not
in the document), and what never goes through Stack.request: raw sockets
(test_nginx.py's and test_apache.py's malformed requests, TRACE, HTTP/0.9
and the like), the FastCGI client of fcgi.py, and the other tests'
own http.client connections (pool, cut, process, status, write's
concurrency tests; soak, cluster, benchmarks).

Cheap on purpose: the request path only records the response (checked at
the test's end, or when 64 MiB of bodies are held), the document is read
once, each (path, method, status) compiles its validator once, and nothing
is recorded unless the runner called enable(). Needs python3-jsonschema (Draft 2020-12).
"""
import json
import re
import threading
import urllib.parse

_doc = None
_paths = []          # (regex, template, path item)
_validators = {}     # (template, method, status) -> validator
_violations = []
_pending = []        # (method, path, Response) not checked yet
_pending_bytes = 0
PENDING_MAX = 64 << 20
_lock = threading.Lock()  # test_isolation.py's client records from threads
checked = 0          # responses checked, for the runner's summary
_skip_paths = ()
METHODS = ("get", "head", "post", "put", "patch", "delete", "options", "trace")
# Allow's order (app/http/req.h's enum http_method)
ALLOW_ORDER = ("GET", "HEAD", "POST", "PATCH", "DELETE", "PUT", "OPTIONS")


def enable(doc_path, skip_paths=()):
    """Reads the document and turns the check on; raises ImportError
    without python3-jsonschema."""
    global _doc, _paths, _skip_paths
    import jsonschema  # noqa: F401  (fail here, once, when it is missing)
    with open(doc_path) as f:
        _doc = json.load(f)
    _paths = []
    for template, item in _doc["paths"].items():
        rx = "^" + "[^/]+".join(re.escape(part) for part in re.split(r"{[^}]+}", template)) + "$"
        _paths.append((re.compile(rx), template, item))
    _skip_paths = tuple(skip_paths)


def enabled():
    return _doc is not None


def take():
    """The violations of the responses recorded since the last call, and a
    clean slate."""
    global _violations
    with _lock:
        _flush()
        out, _violations = _violations, []
    return out


def _validator(key, schema):
    v = _validators.get(key)
    if v is None:
        from jsonschema import Draft202012Validator
        # "#/components/..." refs resolve against this root, whatever
        # jsonschema's version (no RefResolver, no referencing registry)
        root = {"allOf": [schema], "components": _doc["components"]}
        v = _validators[key] = Draft202012Validator(root)
    return v


def _deref(obj):
    while isinstance(obj, dict) and "$ref" in obj:
        node = _doc
        for part in obj["$ref"][2:].split("/"):
            node = node[part.replace("~1", "/").replace("~0", "~")]
        obj = node
    return obj


def _route_path(path):
    """The path as envint routes it: without the query, percent-decoded,
    one trailing slash off."""
    p = urllib.parse.unquote(path.split("?", 1)[0])
    if len(p) > 1 and p.endswith("/"):
        p = p[:-1]
    return p


def _check_body(where, key, resp, content):
    ctype = (resp.header("Content-Type") or "").split(";")[0].strip().lower()
    media = content.get(ctype)
    if media is None:
        return ["%s: Content-Type %r, the document has %s" % (where, ctype, sorted(content))]
    try:
        body = json.loads(resp.body)
    except ValueError as e:
        return ["%s: body is not JSON (%s): %r" % (where, e, resp.body[:200])]
    errors = sorted(_validator(key + (ctype,), media["schema"]).iter_errors(body),
                    key=lambda e: list(e.absolute_path))
    return ["%s: body at /%s: %s" % (where, "/".join(str(p) for p in e.absolute_path),
                                     e.message[:300]) for e in errors[:5]]


def _check_response(where, key, resp, r, head):
    bad = []
    for name, h in (r.get("headers") or {}).items():
        if _deref(h).get("required") and resp.header(name) is None:
            bad.append("%s: no %s header" % (where, name))
    if head:
        if resp.body:
            bad.append("%s: a body after HEAD" % where)
    elif "content" in r:
        bad += _check_body(where, key, resp, r["content"])
    elif resp.body:
        bad.append("%s: a body the document does not describe" % where)
    return bad


def _no_route(where, resp, head):
    """A path of no route: envint's 404, or the web server's 400 for a path
    it cannot decode (an escape that does not decode, a NUL, a climb above
    /), both the error envelope."""
    if resp.status not in (400, 404):
        return ["%s: a path of no route answered %d (the document: 404)" % (where, resp.status)]
    r = _deref({"$ref": "#/components/responses/E%d" % resp.status})
    return _check_response(where, ("", "", resp.status), resp, r, head)


def observe(method, path, resp):
    """Records one response (Stack.request calls this for every one); it is
    checked when the test ends (take), or once the responses held pass
    PENDING_MAX bytes: the request path itself only appends, so timing
    tests (token cache, slow requests) see no difference."""
    global _pending_bytes
    if _doc is None:
        return
    with _lock:
        _pending.append((method, path, resp))
        _pending_bytes += len(resp.body or b"")
        if _pending_bytes <= PENDING_MAX:
            return
        _flush()


def _flush():
    """Checks what is pending (the caller holds _lock)."""
    global _pending, _pending_bytes
    todo, _pending, _pending_bytes = _pending, [], 0
    for method, path, resp in todo:
        _check(method, path, resp)


def _check(method, path, resp):
    global checked
    checked += 1
    rpath = _route_path(path)
    if rpath in _skip_paths:
        checked -= 1
        return
    where = "%s %s -> %d" % (method, path[:120], resp.status)
    m = method.lower()
    head = m == "head"
    for rx, template, item in _paths:
        if not rx.match(rpath):
            continue
        op = item.get(m) if m in METHODS else None
        if op is None:
            allow = ", ".join(x for x in ALLOW_ORDER if x.lower() in item)
            bad = []
            if resp.status != 405:
                bad.append("%s: %s is not a method of %s in the document (Allow: %s), "
                           "but the reply is not 405" % (where, method, template, allow))
            else:
                r = _deref(item["x-envint-other-methods"])
                bad += _check_response(where, (template, "other", 405), resp, r, head)
                if resp.header("Allow") != allow:
                    bad.append("%s: Allow %r, the document's methods %r"
                               % (where, resp.header("Allow"), allow))
            _violations.extend(bad)
            return
        r = op["responses"].get(str(resp.status))
        if r is None:
            _violations.append("%s: status %d is not a response of %s %s in the document"
                               % (where, resp.status, method, template))
            return
        _violations.extend(_check_response(where, (template, m, resp.status), resp,
                                           _deref(r), head))
        return
    _violations.extend(_no_route(where, resp, head))
