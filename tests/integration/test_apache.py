"""envint behind a private Apache 2.4 (issue 17 §1, §2), in its two
shared-hosting modes, each with the site file users render
(tests/integration/stack.py, Stack.start_apache):

- "proxy": conf/apache-envint.conf.in, mod_proxy_fcgi in front of this
  stack's envint;
- "fcgid": conf/apache-fcgid.conf.in, mod_fcgid starting envint itself
  (workers = 0: one request at a time per process, no preforked pool).

A contract subset passes through each (list with filters and a full cursor
walk, a 1000-row page, get, PATCH, a 4 MiB PATCH, POST, DELETE, every error
status envint sends). Apache's own errors are the JSON envelope of API.md,
each sent by its real trigger over a raw socket; the documented exceptions
are asserted as what they are. Faults that need another setup (a deny, a
missing or silent upstream, a short client timeout) run on extra instances.
Under mod_fcgid, 8 clients never see more envint processes or database
connections than FcgidMaxProcesses, and no process forks idle workers.
"""
import atexit
import hashlib
import json
import os
import re
import socket
import struct
import threading
import time
import uuid

from helpers import check, expect_error, hex_to_uuid, procs_running
from stack import children, wait_for
from test_nginx import MALFORMED, REASON, raw_request, request

REASON = dict(REASON)
REASON.update({408: "Request Timeout", 417: "Expectation Failed"})
MODES = ("proxy", "fcgid")
FCGID_MAX = 8           # FcgidMaxProcesses of conf/apache-fcgid.conf.in
ROWS = 1005             # the fixture team's installs: a 1000-row page and more
MIB = 1024 * 1024

_APACHES = {}
_FIX = {}


def apache(stack, mode):
    """This stack's Apache of `mode`, started once and stopped at exit."""
    inst = _APACHES.get((stack.dir, mode))
    if inst is None:
        inst = stack.start_apache(mode)
        _APACHES[(stack.dir, mode)] = inst
        atexit.register(inst.stop)
    return inst


def fixture(stack):
    """Team "Apache Fixture": one integration of its own installed in ROWS
    environments (made by SQL, as test_list.py's big team), a team token,
    and a second integration of its own to POST."""
    if _FIX.get("dir") == stack.dir:
        return _FIX

    def uid(label):
        d = hashlib.sha256(("envint-apache:" + label).encode()).digest()
        return str(uuid.UUID(bytes=d[:16], version=4))

    def hx(u):
        return "UNHEX('%s')" % u.replace("-", "")
    t0 = "'2021-01-01 00:00:00.000'"
    team, integ, integ2 = uid("team"), uid("integration"), uid("integration-2")
    envs = [uid("env-%04d" % k) for k in range(ROWS)]
    rows = [uid("ei-%04d" % k) for k in range(ROWS)]
    sql = [
        "INSERT INTO team (id, name, is_verified, is_white_label, allow_impersonation,"
        " created_at, updated_at) VALUES (%s, 'Apache Fixture', 0, 0, 0, %s, %s);"
        % (hx(team), t0, t0),
        "INSERT INTO integration (id, team_id, name, category, is_beta, sharing, config,"
        " config_public, created_at, updated_at) VALUES (%s, %s, 'apache-one', 'crm', 0, 'deny',"
        " '{}', '{}', %s, %s), (%s, %s, 'apache-two', 'hris', 0, 'deny', '{}', '{}', %s, %s);"
        % (hx(integ), hx(team), t0, t0, hx(integ2), hx(team), t0, t0),
        "INSERT INTO environment (id, team_id, name, created_at, updated_at) VALUES "
        + ",".join("(%s, %s, 'env-%04d', %s, %s)" % (hx(e), hx(team), k, t0, t0)
                   for k, e in enumerate(envs)) + ";",
        "INSERT INTO environment_integration (id, environment_id, team_id, integration_id,"
        " show_in_catalog, is_enabled, override, version, created_at, updated_at) VALUES "
        + ",".join("(%s, %s, %s, %s, %d, 1, NULL, 1, '2021-01-01 00:%02d:%02d.000',"
                   " '2021-01-01 00:00:00.000')"
                   % (hx(r), hx(e), hx(team), hx(integ), k % 2, k // 60, k % 60)
                   for k, (r, e) in enumerate(zip(rows, envs))) + ";"]
    stack.sql_root("\n".join(sql), database="envint")
    token = stack.ctl_out("token", "create", "--team", team, "--name", "apache")
    ask = stack.sql("SELECT HEX(i.id) FROM integration i JOIN team t ON t.id = i.team_id"
                    " WHERE t.name = 'Globex' AND i.name = 'pipedrive'")[0][0]
    _FIX.clear()
    _FIX.update(dir=stack.dir, team=team, integ=integ, integ2=integ2, envs=envs,
                rows=rows, token=token, ask=hex_to_uuid(ask))
    return _FIX


def _json_request(inst, method, path, token, body=None, headers=None):
    return inst.request(method, path, token=token, body=body, headers=headers, timeout=60)


# ---- the contract through each mode ----

def _walk(inst, token, query, limit):
    ids, cursor, pages = [], "", 0
    while True:
        r = _json_request(inst, "GET", "/environment-integration?%s&limit=%d&next_cursor=%s"
                          % (query, limit, cursor), token)
        check(r.status == 200, "walk: %d %r" % (r.status, r.body[:200]))
        body = r.json()
        ids += [o["id"] for o in body["result"]]
        pages += 1
        if body["next_cursor"] is None:
            return ids, pages
        cursor = body["next_cursor"]


def test_contract_subset_through_both_modes(stack):
    fx = fixture(stack)
    tok = fx["token"]
    for mode in MODES:
        inst = apache(stack, mode)
        where = mode + ": "
        # list with filters, a full cursor walk, the same rows as nginx
        q = "integration.name=apache-one&show_in_catalog=true&is_enabled=true"
        ids, pages = _walk(inst, tok, q, 97)
        want, _ = _walk(stack, tok, q, 1000)
        check(ids == want and len(ids) == ROWS // 2 and pages == 6,
              where + "walk: %d rows in %d pages, nginx %d" % (len(ids), pages, len(want)))
        # a page asked for 1000 rows, byte for byte what nginx sends: the
        # fixture's rows are long (each lists the team's 1005 environments),
        # so the page fills reply_buffer_max and ends early with a cursor
        r = _json_request(inst, "GET", "/environment-integration?limit=1000", tok)
        n = _json_request(stack, "GET", "/environment-integration?limit=1000", tok)
        page = r.json() if r.status == 200 else {"result": []}
        got = len(page["result"])
        check(r.status == 200 and r.body == n.body and got >= 1
              and (got == 1000 or page["next_cursor"] is not None)
              and r.header("Content-Length") == str(len(r.body)),
              where + "1000-row page: %d, %d rows, %d bytes, nginx %d"
              % (r.status, got, len(r.body), len(n.body)))
        # get one, with its ETag
        ei = fx["rows"][0 if mode == "proxy" else 2]
        r = _json_request(inst, "GET", "/environment-integration/" + ei, tok)
        check(r.status == 200 and r.json()["id"] == ei and r.header("ETag") == '"1"',
              where + "get: %d %r" % (r.status, r.body[:200]))
        # PATCH, then a 4 MiB override, under If-Match
        r = _json_request(inst, "PATCH", "/environment-integration/" + ei, tok,
                          body={"is_enabled": False}, headers={"If-Match": '"1"'})
        check(r.status == 200 and r.json()["is_enabled"] is False and r.header("ETag") == '"2"',
              where + "PATCH: %d %r" % (r.status, r.body[:200]))
        big = {"override": {"description": "d" * (4 * MIB)}}
        r = _json_request(inst, "PATCH", "/environment-integration/" + ei, tok, body=big)
        check(r.status == 200 and r.json()["override"] == big["override"],
              where + "4 MiB PATCH: %d %r" % (r.status, r.body[:200]))
        got = stack.sql("SELECT LENGTH(override) FROM environment_integration WHERE id = %s"
                        % ("UNHEX('%s')" % ei.replace("-", "")))
        check(int(got[0][0]) > 4 * MIB, where + "stored override %r" % got)
        # POST: 201, then the same row with 200; DELETE: 200, then 404
        env = fx["envs"][10 if mode == "proxy" else 11]
        post = {"integration_id": fx["integ2"], "environment_id": env}
        r = _json_request(inst, "POST", "/environment-integration", tok, body=post)
        check(r.status == 201 and r.header("Location"), where + "POST: %d %r" % (r.status, r.body[:200]))
        new = r.json()["id"]
        r = _json_request(inst, "POST", "/environment-integration", tok, body=post)
        check(r.status == 200 and r.json()["id"] == new, where + "POST again: %d" % r.status)
        r = _json_request(inst, "DELETE", "/environment-integration/" + new, tok)
        check(r.status == 200 and r.json() == {"id": new}, where + "DELETE: %d %r" % (r.status, r.body))
        expect_error(_json_request(inst, "DELETE", "/environment-integration/" + new, tok), 404)
        _every_error_status(stack, inst, fx, ei, where)


def _every_error_status(stack, inst, fx, ei, where):
    """Each error status envint sends, as envint sends it, through Apache."""
    tok = fx["token"]
    item = "/environment-integration/" + ei
    cases = [
        (400, ("GET", "/environment-integration?is_enabled=maybe", tok, None, None)),
        (401, ("GET", "/environment-integration", None, None, None)),
        (401, ("GET", "/environment-integration", "ei_" + "0" * 80, None, None)),
        (403, ("POST", "/environment-integration", tok,
               {"integration_id": fx["ask"], "environment_id": fx["envs"][0]}, None)),
        (404, ("GET", "/environment-integration/" + str(uuid.uuid4()), tok, None, None)),
        (404, ("GET", "/no-such-route", tok, None, None)),
        (405, ("PUT", item, tok, None, None)),
        (412, ("PATCH", item, tok, {"is_enabled": True}, {"If-Match": '"999"'})),
        (413, ("PATCH", item, tok, b'{"override":{"description":"' + b"a" * (8 * MIB + 10) + b'"}}',
               {"Content-Type": "application/json"})),
        (415, ("PATCH", item, tok, b'{}', {"Content-Type": "text/plain"})),
    ]
    for status, (method, path, token, body, headers) in cases:
        r = _json_request(inst, method, path, token, body=body, headers=headers)
        try:
            expect_error(r, status)
        except AssertionError as e:
            raise AssertionError("%s%s %s: %s" % (where, method, path, e)) from None
        check(re.fullmatch(r"[0-9a-f]{32}", r.header("X-Request-Id") or ""),
              where + "%d: X-Request-Id %r" % (status, r.header("X-Request-Id")))
        if status == 401:
            check(r.header("WWW-Authenticate"), where + "401 without WWW-Authenticate")
        if status == 405:
            check(r.header("Allow") == "GET, HEAD, PATCH, DELETE", where + "Allow %r" % r.header("Allow"))


def test_envint_503_through_both_modes(stack):
    """The database down: envint's own 503 (its message, Retry-After from
    retry_after) passes each mode as it is, not as Apache's 503 page."""
    fx = fixture(stack)
    insts = [apache(stack, mode) for mode in MODES]
    stack.stop_db()
    try:
        for inst in insts:
            for path, token in (("/healthz", None), ("/environment-integration", fx["token"])):
                r = inst.get(path, token=token)
                body = expect_error(r, 503)
                check(body["message"] == "database unavailable, retry later" and
                      r.header("Retry-After") == "1",
                      "%s %s: %r %r" % (inst.mode, path, body, r.header("Retry-After")))
    finally:
        stack.start_db()
    for inst in insts:
        wait_for(lambda: inst.get("/healthz").status == 200, 30, inst.mode + ": envint to reconnect")


# ---- Apache's own errors ----

def expect_page(r, status, retry_after=None, head_only=False, request_id=True, where=""):
    """r is one of the site's error pages (conf/apache-errors/): the
    envelope and nothing else, as application/json, no-store, a request id
    unless Apache had none to give, Retry-After exactly where given, and
    no validators of the file it came from."""
    where = "%s%d page" % (where, status)
    check(r.status == status, "%s: status %d: %r" % (where, r.status, r.body[:300]))
    check(r.header("Content-Type") == "application/json",
          "%s: Content-Type %r" % (where, r.header("Content-Type")))
    check(r.header("Cache-Control") == "no-store", "%s: Cache-Control %r" % (where, r.header("Cache-Control")))
    rid = r.header("X-Request-Id")
    if request_id:
        check(re.fullmatch(r"[0-9a-f]{32}", rid or ""), "%s: X-Request-Id %r" % (where, rid))
    else:
        check(rid is None, "%s: X-Request-Id %r" % (where, rid))
    check(r.header("Retry-After") == retry_after,
          "%s: Retry-After %r, wanted %r" % (where, r.header("Retry-After"), retry_after))
    for h in ("ETag", "Last-Modified", "Accept-Ranges"):
        check(r.header(h) is None, "%s: %s %r" % (where, h, r.header(h)))
    if head_only:
        check(r.body == b"", "%s: HEAD got a body" % where)
        return None
    body = expect_error(r, status)
    check(body == {"statusCode": status, "error": REASON[status], "message": body["message"]},
          "%s: %r" % (where, body))
    return body


def not_from_envint(stack, inst, replies):
    log = stack.app_log() + inst.envint_log() + inst.error_log()
    for r in replies:
        rid = r.header("X-Request-Id")
        check(rid is None or rid not in log.replace(rid + '"', ""),
              "request %s reached envint" % rid)


# Requests Apache refuses while reading the request line and headers: the
# page, but no request id (the request never got one).
UNPARSED = [(w, d) for w, d in MALFORMED
            if w not in ("a lowercase method", "CONNECT with an authority",
                         "an escape that does not decode", "a path above the root",
                         "Content-Length with Transfer-Encoding", "Transfer-Encoding in HTTP/1.0",
                         "a chunk size that is no number")] + [
    ("CONNECT to a path", request(b"CONNECT", b"/healthz")),
    ("one header over 8 KB", request(b"GET", b"/healthz", b"X-Big: " + b"a" * 9000)),
    ("a cookie over 8 KB", request(b"GET", b"/healthz", b"Cookie: " + b"a=b;" * 2500)),
    ("101 headers", request(b"GET", b"/healthz", *(b"X-H%d: a" % i for i in range(101)))),
    ("10,000 headers", request(b"GET", b"/healthz", *(b"X-H%d: a" % i for i in range(10000)))),
]


def test_apache_own_errors_are_json(stack):
    for mode in MODES:
        inst = apache(stack, mode)
        port = inst.http_port
        replies = []
        where = mode + ": "
        for what, data in UNPARSED:
            r = raw_request(port, data)
            try:
                body = expect_page(r, 400, request_id=False, where=where)
            except AssertionError as e:
                raise AssertionError("%s: %s" % (what, e)) from None
            check(body["message"] == "malformed HTTP request", where + what)
            replies.append(r)
        # parsed, then refused: the page with the request's id
        for what, data in (("an escape that does not decode", request(b"GET", b"/%zz")),
                           ("a path above the root", request(b"GET", b"/%2e%2e/healthz"))):
            replies.append(r := raw_request(port, data))
            expect_page(r, 400, where=where + what + ": ")
        for target in (b"/" + b"a" * 9000, b"/healthz?" + b"a" * 9000):
            replies.append(r := raw_request(port, request(b"GET", target)))
            expect_page(r, 414, request_id=False, where=where)
        # a declared body over the limit: 413 at once, not a 408 after the
        # body failed to come (LimitRequestBody does not cover proxying)
        for method, path in ((b"POST", b"/environment-integration"),
                             (b"PATCH", b"/environment-integration/" + str(uuid.uuid4()).encode()),
                             (b"HEAD", b"/healthz")):
            r = raw_request(port, request(method, path, b"Content-Length: 100000000"),
                            head_only=method == b"HEAD")
            expect_page(r, 413, head_only=method == b"HEAD", where=where)
            check(r.elapsed < 5, where + "413 took %.1fs" % r.elapsed)
            replies.append(r)
        # TRACE (TraceEnable off): 405 with envint's Allow for the path (the
        # site's, rendered from the route table); a path of no route gets
        # 405 too (envint would say 404), without Allow
        item = "/environment-integration/" + str(uuid.uuid4())
        for path in ("/healthz", "/healthz/", "/environment-integration", item, item + "/",
                     stack.STATUS_PATH, "/nope", "/environment-integration/a/b"):
            mine = stack.request("PUT", path, token=stack.tokens["acme-team"])
            replies.append(r := raw_request(port, request(b"TRACE", path.encode())))
            expect_page(r, 405, where=where)
            check(r.header("Allow") == mine.header("Allow"),
                  where + "TRACE %s: Allow %r, envint's %r" % (path, r.header("Allow"),
                                                            mine.header("Allow")))
        replies.append(r := raw_request(port, request(
            b"POST", b"/environment-integration", b"Expect: something-else", b"Content-Length: 2") + b"{}"))
        expect_page(r, 417, request_id=False, where=where)
        # the pages themselves are unknown paths, as envint's 404
        mine = expect_error(stack.get("/nope"), 404)
        for path in (b"/_envint_error/400.json", b"/_envint_error/", b"/_envint_error/nope"):
            replies.append(r := raw_request(port, request(b"GET", path)))
            check(expect_page(r, 404, where=where) == mine, where + "404 %r" % r.body)
        not_from_envint(stack, inst, replies)


def test_apache_exceptions_reach_envint(stack):
    """Documented exceptions: no 505 (a request line with HTTP/2.0 or later
    is served as HTTP/1.1), no 501 for a Transfer-Encoding that ends in
    chunked, no 411 (a body without a length is chunked or absent): these
    requests reach envint, which answers them as any other."""
    for mode in MODES:
        inst = apache(stack, mode)
        for version in (b"HTTP/2.0", b"HTTP/3.0"):
            r = raw_request(inst.http_port, request(b"GET", b"/healthz", version=version))
            check(r.status == 200 and r.json() == {"status": "ok"},
                  "%s %s: %d %r" % (mode, version, r.status, r.body[:200]))
        for data in (request(b"POST", b"/environment-integration", b"Transfer-Encoding: gzip, chunked")
                     + b"0\r\n\r\n",
                     request(b"POST", b"/environment-integration")):
            r = raw_request(inst.http_port, data)
            expect_error(r, 401)    # envint's: no token
            rid = r.header("X-Request-Id")
            log = stack.app_log() if mode == "proxy" else inst.envint_log()
            check(rid in log, "%s: %s did not reach envint" % (mode, rid))


def _extra_apache(stack, mode, name, extra="", envint_conf=None, site_edit=None):
    inst = stack.start_apache(mode, name=name, extra=extra, envint_conf=envint_conf,
                              site_edit=site_edit)
    atexit.register(inst.stop)
    return inst


RETRY_AFTER = "7"


def test_apache_faults(stack):
    """Faults on extra instances: a deny (403), envint not listening (503),
    envint breaking off (502), envint silent past ProxyTimeout (504), a
    client too slow with its head or body (408). 502-504 carry the
    rendered retry_after."""
    inst = _extra_apache(stack, "proxy", "apache-deny",
                         extra='<LocationMatch "^/(?!_envint_error/)">\n    Require all denied\n'
                               '</LocationMatch>')
    try:
        for path in (b"/healthz", b"/environment-integration", b"/nope"):
            expect_page(raw_request(inst.http_port, request(b"GET", path)), 403)
    finally:
        inst.stop()
    inst = _extra_apache(stack, "proxy", "apache-down", envint_conf={
        "listen": "unix:" + os.path.join(stack.dir, "nobody-listens.sock"),
        "retry_after": RETRY_AFTER})
    try:
        for data in (request(b"GET", b"/healthz"),
                     request(b"POST", b"/environment-integration", b"Content-Length: 2") + b"{}"):
            expect_page(raw_request(inst.http_port, data), 503, retry_after=RETRY_AFTER)
    finally:
        inst.stop()
    # a FastCGI server that accepts and closes, or answers with bytes that
    # are no FastCGI (503 both: mod_proxy_fcgi's word for an envint that
    # broke off before its reply; it sends no 502 here), stays silent (504
    # after ProxyTimeout, 2 s here), or sends a reply head that does not
    # parse (documented exception: Apache's 500 with an empty body; envint
    # never sends one)
    for status, behaviour in ((503, "close"), (503, "garbage"), (504, "silent"), (500, "badhead")):
        with socket.socket() as srv:
            srv.bind(("127.0.0.1", 0))
            srv.listen(16)
            held, stop = [], threading.Event()

            def serve():
                srv.settimeout(0.2)
                while not stop.is_set():
                    try:
                        c, _ = srv.accept()
                    except OSError:
                        continue
                    if behaviour == "close":
                        c.close()
                    elif behaviour in ("garbage", "badhead"):
                        c.settimeout(2)
                        head = b"no colon in this header\r\n\r\n"
                        try:
                            c.recv(65536)
                            c.sendall(b"HTTP/1.1 200 OK\r\n\r\n" if behaviour == "garbage" else
                                      struct.pack(">BBHHBx", 1, 6, 1, len(head), 0) + head)
                        except OSError:
                            pass
                        held.append(c)
                    else:
                        held.append(c)
            t = threading.Thread(target=serve, daemon=True)
            t.start()
            inst = _extra_apache(
                stack, "proxy", "apache-" + behaviour,
                envint_conf={"listen": "127.0.0.1:%d" % srv.getsockname()[1],
                             "retry_after": RETRY_AFTER},
                site_edit=lambda s: s.replace("ProxyTimeout 60", "ProxyTimeout 2"))
            try:
                r = raw_request(inst.http_port, request(b"GET", b"/healthz"))
                if behaviour == "badhead":
                    check(r.status == 500 and r.body == b"", "bad head: %d %r" % (r.status, r.body))
                else:
                    expect_page(r, status, retry_after=RETRY_AFTER, where=behaviour + ": ")
            finally:
                inst.stop()
                stop.set()
                t.join()
                for c in held:
                    c.close()
    # 408: mod_reqtimeout's limits, short here. Documented exceptions: a
    # request line left unfinished is closed without a byte (as nginx
    # does), and under mod_fcgid a body that stops coming is the 500 page
    # (mod_fcgid reads the body before envint sees it, and reports the
    # failed read as its own error).
    for mode in MODES:
        inst = _extra_apache(stack, mode, "apache-slow-" + mode,
                             extra="RequestReadTimeout handshake=0 header=1 body=1")
        try:
            with socket.create_connection(("127.0.0.1", inst.http_port), timeout=15) as s:
                s.sendall(b"GET /heal")
                check(s.recv(65536) == b"", mode + ": an unfinished request line got a reply")
            r = raw_request(inst.http_port, b"GET /healthz HTTP/1.1\r\nHost: x\r\n", timeout=15)
            expect_page(r, 408, request_id=False, where=mode + ", head: ")
            r = raw_request(inst.http_port, request(b"POST", b"/environment-integration",
                                                    b"Content-Length: 10") + b"{", timeout=15)
            expect_page(r, 408 if mode == "proxy" else 500, where=mode + ", body: ")
        finally:
            inst.stop()


def test_fcgid_body_limits(stack):
    """mod_fcgid's request length limit sits above body_max: a 4 MiB body
    passes (test_contract_subset...), a body just over body_max gets
    envint's JSON 413, a declared one over Apache's limit Apache's 413
    page (test_apache_own_errors_are_json). Documented exception: a chunked
    body over Apache's limit is the 500 page, not 413: mod_fcgid reads the
    whole body before envint sees any, and reports the read that Apache's
    limit stopped as its own failure."""
    inst = apache(stack, "fcgid")
    fx = fixture(stack)
    item = ("/environment-integration/" + fx["rows"][3]).encode()
    auth = ("Authorization: Bearer " + fx["token"]).encode()
    over = b'{"override":{"description":"' + b"a" * (8 * MIB + 10) + b'"}}'
    r = raw_request(inst.http_port, request(b"PATCH", item, auth, b"Content-Type: application/json",
                                            b"Content-Length: %d" % len(over)) + over)
    body = expect_error(r, 413)
    check("8388608" in body["message"] or "body" in body["message"], "envint's 413: %r" % body)
    huge = b"a" * (10 * MIB)
    chunked = b"".join(b"%x\r\n%s\r\n" % (len(huge[i:i + MIB]), huge[i:i + MIB])
                       for i in range(0, len(huge), MIB)) + b"0\r\n\r\n"
    r = raw_request(inst.http_port, request(b"PATCH", item, auth, b"Content-Type: application/json",
                                            b"Transfer-Encoding: chunked") + chunked, timeout=60)
    expect_page(r, 500, where="chunked 10 MiB: ")
    check("Request body is larger than the configured limit" in inst.error_log() or
          "exceeds" in inst.error_log(), "no limit in Apache's error log")


# ---- mod_fcgid: processes and connections ----

def test_fcgid_process_counts(stack):
    """8 clients through mod_fcgid for 4 s: at most FcgidMaxProcesses envint
    processes and as many database connections (mod_fcgid spawns lazily,
    so bounds, not exact counts), none of them with a forked worker, and
    each one's status page shows a pool of one."""
    fx = fixture(stack)
    stack.sql_root("CREATE USER IF NOT EXISTS 'envint_fcgid'@'localhost' IDENTIFIED BY '%s';"
                   "GRANT ALL ON envint.* TO 'envint_fcgid'@'localhost';" % stack.DB_PASSWORD)
    inst = _extra_apache(stack, "fcgid", "apache-fcgid-count",
                         envint_conf={"db_user": "envint_fcgid", "status_path": "/envint-status"})
    binary = inst.path("envint")
    stop = threading.Event()
    statuses, errors = {}, []

    def client(k):
        path = "/environment-integration/" + fx["rows"][100 + k]
        while not stop.is_set():
            try:
                r = inst.get(path, token=fx["token"])
                statuses[r.status] = statuses.get(r.status, 0) + 1
            except Exception as e:  # noqa: BLE001
                errors.append(repr(e))
    threads = [threading.Thread(target=client, args=(k,)) for k in range(8)]
    peak_procs = peak_conns = 0
    try:
        for t in threads:
            t.start()
        t_end = time.monotonic() + 4
        while time.monotonic() < t_end:
            procs = procs_running(binary)
            for p in procs:
                check(children(p) == [], "envint %d forked workers %r" % (p, children(p)))
            conns = int(stack.sql_root("SELECT COUNT(*) FROM information_schema.PROCESSLIST"
                                       " WHERE USER = 'envint_fcgid'").stdout.strip())
            peak_procs, peak_conns = max(peak_procs, len(procs)), max(peak_conns, conns)
            time.sleep(0.1)
    finally:
        stop.set()
        for t in threads:
            t.join()
    try:
        check(not errors, "client errors: %r" % errors[:3])
        check(set(statuses) == {200} and sum(statuses.values()) > 50, "statuses %r" % statuses)
        check(1 <= peak_procs <= FCGID_MAX, "envint processes: peak %d" % peak_procs)
        check(peak_conns <= FCGID_MAX, "database connections: peak %d" % peak_conns)
        body = inst.get("/envint-status").json()
        check(body["workers"] == {"total": 1, "busy": 1, "idle": 0, "max_busy": 1},
              "a process's own page: %r" % body)
        print("# fcgid, 8 clients for 4 s: %d requests, peak %d envint processes, "
              "peak %d database connections (FcgidMaxProcesses %d)"
              % (sum(statuses.values()), peak_procs, peak_conns, FCGID_MAX))
    finally:
        inst.stop()
    wait_for(lambda: not procs_running(binary), 20, "mod_fcgid's envint processes to stop")


def test_no_sanitizer_reports_from_fcgid_envint(stack):
    """mod_fcgid's envint writes its sanitizer reports into its instance's
    out/ (the runner's own check looks only at the stack's directory)."""
    for inst in list(_APACHES.values()):
        inst.stop()
    _APACHES.clear()
    reports = []
    for d in os.listdir(stack.dir):
        out = os.path.join(stack.dir, d, "out")
        if d.startswith("apache-") and os.path.isdir(out):
            reports += [os.path.join(out, f) for f in os.listdir(out) if f.startswith("sanitizer")]
    text = ""
    for f in reports[:2]:
        with open(f, errors="replace") as fh:
            text += fh.read()[:3000]
    check(not reports, "sanitizer reports: %r\n%s" % (reports, text))
