"""The replies nginx makes itself (conf/nginx-envint.conf.in, rendered by
envint --render-site as users render it): every status nginx sends without
asking envint is the JSON envelope of API.md, with the headers envint puts
on its own replies. Each trigger is the real one, sent over a raw socket
where http.client cannot send it (an oversized request line, a bad
Transfer-Encoding, TRACE...).

Faults that need another server setup (a deny, limit_req, a dead or silent
upstream, a body temp file that cannot be created, short timeouts) run on
small extra nginx instances: the private wrapper around the same site, with
the fault as http-level directives in its nginx-extra.conf, which the
site's server and locations inherit. Each renders the site from an
envint.conf of its own whose retry_after is RETRY_AFTER, not the default,
so the Retry-After seen is the rendered setting.
"""
import contextlib
import os
import re
import shutil
import socket
import ssl
import time
import uuid

from helpers import check, expect_error
from stack import Response, Stack, wait_for

# The reason phrases, spelled as envint's own replies spell them (app/req.c,
# RFC 7231); nginx's status lines use older ones ("405 Not Allowed").
REASON = {
    400: "Bad Request", 403: "Forbidden", 404: "Not Found",
    405: "Method Not Allowed", 411: "Length Required",
    413: "Payload Too Large", 414: "URI Too Long",
    500: "Internal Server Error", 501: "Not Implemented", 502: "Bad Gateway",
    503: "Service Unavailable", 504: "Gateway Timeout",
    505: "HTTP Version Not Supported",
}

RETRY_AFTER = "7"  # the extra instances' retry_after (envint's default is 1)
HOST = b"Host: envint.test\r\n"


def raw_request(port, data, head_only=False, timeout=20):
    """Sends data as it is and reads one reply: the head, then a body of
    Content-Length bytes (nginx's own pages always carry one), a chunked
    one (envint's replies) decoded, or for HTTP/1.0 all up to the close.
    After HEAD the body is what arrived with the head: it must be empty."""
    t0 = time.monotonic()
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        try:
            s.sendall(data)
        except OSError:
            pass  # nginx may answer and close before it read everything
        buf = b""

        def more(what):
            nonlocal buf
            chunk = s.recv(65536)
            if not chunk:
                raise AssertionError("closed in the %s: %r" % (what, buf[:300]))
            buf += chunk

        while b"\r\n\r\n" not in buf:
            more("reply head")
        head, _, buf = buf.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        check(lines[0].startswith("HTTP/1.1 "), "status line %r" % lines[0])
        status = int(lines[0].split()[1])
        headers = [tuple(part.strip() for part in line.split(":", 1)) for line in lines[1:]]
        hdr = {k.lower(): v for k, v in headers}
        body = b""
        if head_only:
            body = buf  # what came with the head: no body follows a HEAD
        elif "content-length" in hdr:
            while len(buf) < int(hdr["content-length"]):
                more("body")
            body = buf
        elif hdr.get("transfer-encoding") != "chunked":
            while True:  # HTTP/1.0: the body ends with the connection
                chunk = s.recv(65536)
                if not chunk:
                    break
                buf += chunk
            body = buf
        else:
            while True:
                while b"\r\n" not in buf:
                    more("chunk size")
                size, _, buf = buf.partition(b"\r\n")
                size = int(size, 16)
                while len(buf) < size + 2:
                    more("chunk")
                body, buf = body + buf[:size], buf[size + 2:]
                if size == 0:
                    break
    return Response(status, headers, body, time.monotonic() - t0)


def expect_page(r, status, retry_after=None, head_only=False):
    """r is one of nginx's pages: the envelope with the standard reason
    phrase and nothing else, Content-Type application/json, no-store, a
    request id, and Retry-After exactly where retry_after is given."""
    where = "%d page" % status
    check(r.status == status, "status %d, wanted %d: %r" % (r.status, status, r.body[:300]))
    ctype = r.header("Content-Type")
    check(ctype == "application/json", "%s: Content-Type %r" % (where, ctype))
    check(r.header("Cache-Control") == "no-store",
          "%s: Cache-Control %r" % (where, r.header("Cache-Control")))
    check(re.fullmatch(r"[0-9a-f]{32}", r.header("X-Request-Id") or ""),
          "%s: X-Request-Id %r" % (where, r.header("X-Request-Id")))
    check(r.header("Retry-After") == retry_after,
          "%s: Retry-After %r, wanted %r" % (where, r.header("Retry-After"), retry_after))
    if head_only:
        check(r.body == b"", "%s: HEAD got a body %r" % (where, r.body[:300]))
        return None
    body = expect_error(r, status)
    check(body == {"statusCode": status, "error": REASON[status], "message": body["message"]},
          "%s: %r" % (where, body))
    check(len(body["message"]) <= 64 and "nginx" not in body["message"],
          "%s: message %r" % (where, body["message"]))
    return body


def not_from_envint(stack, replies):
    """None of these replies reached envint: their request ids are not in
    its log (envint logs the id of every request it serves)."""
    log = stack.app_log()
    for r in replies:
        check(r.header("X-Request-Id") not in log,
              "request %s reached envint" % r.header("X-Request-Id"))


def request(method, target, *headers, version=b"HTTP/1.1"):
    """The bytes of a request with a Host and these header lines."""
    return (method + b" " + target + b" " + version + b"\r\n" + HOST +
            b"".join(h + b"\r\n" for h in headers) + b"\r\n")


# ---- the stack's own nginx ----

def client_hello():
    """The first bytes a TLS client sends, made without any network."""
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    tls = ssl.create_default_context().wrap_bio(incoming, outgoing,
                                                server_hostname="envint.test")
    try:
        tls.do_handshake()
    except ssl.SSLWantReadError:
        pass
    return outgoing.read()


MALFORMED = [
    ("a request line without a version", b"GET\r\n\r\n"),
    ("a lowercase method", request(b"get", b"/healthz")),
    ("HTTP/0.8", request(b"GET", b"/healthz", version=b"HTTP/0.8")),
    ("the HTTP/2 preface", b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"),
    ("a TLS ClientHello", client_hello()),
    ("CONNECT with an authority", b"CONNECT envint.test:443 HTTP/1.1\r\n"
                                  b"Host: envint.test:443\r\n\r\n"),
    ("an escape that does not decode", request(b"GET", b"/%zz")),
    ("a path above the root", request(b"GET", b"/%2e%2e/healthz")),
    ("HTTP/1.1 without Host", b"GET /healthz HTTP/1.1\r\n\r\n"),
    ("a Host with a slash", b"GET /healthz HTTP/1.1\r\nHost: a/b\r\n\r\n"),
    ("a NUL in a header", request(b"GET", b"/healthz", b"X-A: a\x00b")),
    ("two Content-Length", request(b"POST", b"/environment-integration",
                                   b"Content-Length: 2", b"Content-Length: 2") + b"{}"),
    ("a Content-Length that is no number",
     request(b"POST", b"/environment-integration", b"Content-Length: x")),
    ("Content-Length with Transfer-Encoding",
     request(b"POST", b"/environment-integration", b"Content-Length: 5",
             b"Transfer-Encoding: chunked") + b"0\r\n\r\n"),
    ("Transfer-Encoding in HTTP/1.0",
     request(b"POST", b"/environment-integration", b"Transfer-Encoding: chunked",
             version=b"HTTP/1.0") + b"0\r\n\r\n"),
    ("a chunk size that is no number",
     request(b"POST", b"/environment-integration", b"Transfer-Encoding: chunked") +
     b"zz\r\n{}\r\n0\r\n\r\n"),
]


def test_400_malformed_requests(stack):
    replies = []
    for what, data in MALFORMED:
        r = raw_request(stack.http_port, data)
        try:
            body = expect_page(r, 400)
        except AssertionError as e:
            raise AssertionError("%s: %s" % (what, e)) from None
        check(body["message"] == "malformed HTTP request", "%s: %r" % (what, body))
        replies.append(r)
    not_from_envint(stack, replies)


def test_400_header_too_large(stack):
    """nginx logs these as 494 and sends 400; the page says what is wrong."""
    replies = []
    for what, data in (
            ("one header over 8 KB", request(b"GET", b"/healthz", b"X-Big: " + b"a" * 9000)),
            ("a cookie over 8 KB", request(b"GET", b"/healthz", b"Cookie: " + b"a=b;" * 2500)),
            ("10,000 headers", request(b"GET", b"/healthz",
                                       *(b"X-H%d: a" % i for i in range(10000))))):
        r = raw_request(stack.http_port, data)
        body = expect_page(r, 400)
        check(body["message"] == "request headers too large", "%s: %r" % (what, body))
        replies.append(r)
    not_from_envint(stack, replies)


def test_414_uri_too_long(stack):
    replies = []
    for target in (b"/" + b"a" * 9000, b"/healthz?" + b"a" * 9000,
                   b"/environment-integration/" + b"%41" * 3000):
        for method in (b"GET", b"HEAD"):
            r = raw_request(stack.http_port, request(method, target), head_only=method == b"HEAD")
            expect_page(r, 414, head_only=method == b"HEAD")
            replies.append(r)
    not_from_envint(stack, replies)


def test_413_body_too_large(stack):
    """client_max_body_size (64m): nginx answers on the announced length,
    before any of the body arrives."""
    replies = []
    for method, path in ((b"POST", b"/environment-integration"),
                         (b"PATCH", b"/environment-integration/" + str(uuid.uuid4()).encode()),
                         (b"HEAD", b"/healthz")):
        r = raw_request(stack.http_port, request(method, path, b"Content-Length: 100000000"),
                        head_only=method == b"HEAD")
        expect_page(r, 413, head_only=method == b"HEAD")
        replies.append(r)
    not_from_envint(stack, replies)


def test_501_transfer_encoding(stack):
    """nginx decodes chunked only; any other coding is its 501."""
    replies = []
    for te in (b"gzip, chunked", b"identity", b"chunked, gzip", b"deflate"):
        r = raw_request(stack.http_port, request(b"POST", b"/environment-integration",
                                                 b"Transfer-Encoding: " + te) + b"0\r\n\r\n")
        expect_page(r, 501)
        replies.append(r)
    not_from_envint(stack, replies)


def test_505_http_version(stack):
    replies = []
    for version in (b"HTTP/2.0", b"HTTP/3.0", b"HTTP/9.9"):
        for method in (b"GET", b"TRACE"):
            r = raw_request(stack.http_port, request(method, b"/healthz", version=version))
            expect_page(r, 505)
            replies.append(r)
    not_from_envint(stack, replies)


def test_404_for_the_error_pages_themselves(stack):
    """The pages are internal locations: asking for one is an unknown path,
    and nginx's 404 is envint's 404, byte for byte."""
    envint_404 = stack.get("/nope")
    expect_error(envint_404, 404)
    for path in ("/_envint_error/400", "/_envint_error/502", "/_envint_error/"):
        r = raw_request(stack.http_port, request(b"GET", path.encode()))
        expect_page(r, 404)
        check(r.json() == envint_404.json(),
              "%s: %r, envint's %r" % (path, r.body, envint_404.body))


def site_allow_map(stack):
    """(regex, Allow) of the map in the site the stack's nginx runs."""
    with open(os.path.join(stack.dir, "nginx-envint.conf")) as f:
        site = f.read()
    block = site[site.index("map $uri $envint_allow {"):]
    block = block[:block.index("}")]
    entries = re.findall(r'^\s*"~(\^[^"]*\$)"\s+"([^"]*)";\s*$', block, re.M)
    check(len(entries) == block.count(";") - 1, "unparsed lines in the map:\n" + block)
    return entries


def paths_of(regex, segment):
    """Paths a map regex matches: each "[^/]+" is segment, and a final "/?"
    gives the path without and with the slash. Any other construct fails
    the test, so a new kind of route gets a look here."""
    body, tail, out = regex[1:-1], "", ""
    if body.endswith("/?"):
        body, tail = body[:-2], "/"
    i = 0
    while i < len(body):
        if body.startswith("[^/]+", i):
            out, i = out + segment, i + 5
        elif body[i] == "\\":
            out, i = out + body[i + 1], i + 2
        else:
            check(body[i] not in ".^$|?*+()[]{}", "map regex %r: unknown construct" % regex)
            out, i = out + body[i], i + 1
    paths = [out, out + tail] if tail else [out]
    for p in paths:
        check(re.fullmatch(regex, p), "%r !~ %r" % (p, regex))
    return paths


def envint_answer(stack, path, allow):
    """envint's reply to a method the route lacks (PUT unless it has one)."""
    method = next(m for m in ("PUT", "OPTIONS", "PATCH", "POST") if m not in allow.split(", "))
    return stack.request(method, path, token=stack.tokens["acme-team"])


def test_405_trace_and_connect_allow_is_envints(stack):
    """TRACE and CONNECT never reach envint; nginx's 405 carries the Allow
    of the site's map, rendered from envint's route table, and it must be
    the Allow envint sends for the same path. The map must cover every
    documented route, and a path of no route gets envint's 404."""
    item = "/environment-integration/" + str(uuid.uuid4())
    entries = site_allow_map(stack)
    documented = ["/healthz", "/healthz/", "/environment-integration",
                  "/environment-integration/", item, item + "/",
                  item + "/effective-config", item + "/effective-config/",
                  item + "/history", item + "/history/", item + "/restore", item + "/restore/",
                  "/openapi.json", "/openapi.json/"]
    for path in documented:
        check(any(re.fullmatch(rx, path) for rx, _ in entries), "no map entry for " + path)
    replies = []
    for rx, allow in entries:
        for path in paths_of(rx, item.rsplit("/", 1)[1]):
            mine = envint_answer(stack, path, allow)
            expect_error(mine, 405)
            check(mine.header("Allow") == allow,
                  "%s: envint's Allow %r, the map's %r" % (path, mine.header("Allow"), allow))
            for method in (b"TRACE", b"CONNECT"):
                for version in (b"HTTP/1.1", b"HTTP/1.0"):
                    r = raw_request(stack.http_port,
                                    request(method, path.encode(), version=version))
                    expect_page(r, 405)
                    check(r.header("Allow") == mine.header("Allow"),
                          "%s %s: nginx's Allow %r, envint's %r"
                          % (method, path, r.header("Allow"), mine.header("Allow")))
                    replies.append(r)
    for path in ("/", "/nope", "/healthz/extra", "/environment-integration/a/b",
                 "/environment-integrations"):
        mine = envint_answer(stack, path, "")
        expect_error(mine, 404)
        for method in (b"TRACE", b"CONNECT"):
            r = raw_request(stack.http_port, request(method, path.encode()))
            expect_page(r, 404)
            check(r.header("Allow") is None, "%s %s: Allow %r" % (method, path, r.header("Allow")))
            check(r.json() == mine.json(),
                  "%s %s: %r, envint's %r" % (method, path, r.body, mine.body))
            replies.append(r)
    not_from_envint(stack, replies)


def test_no_411_from_nginx(stack):
    """Documented exception: nginx 1.22 sends no 411 of its own over
    HTTP/1.x. A body without Content-Length is chunked (which nginx
    decodes) or absent, and either way the request reaches envint."""
    for data in (request(b"POST", b"/environment-integration"),
                 request(b"POST", b"/environment-integration", version=b"HTTP/1.0"),
                 request(b"PATCH", b"/environment-integration/" + str(uuid.uuid4()).encode()),
                 request(b"POST", b"/environment-integration", b"Transfer-Encoding: chunked",
                         b"Content-Type: application/json") + b"2\r\n{}\r\n0\r\n\r\n"):
        r = raw_request(stack.http_port, data)
        check(r.status != 411, "nginx sent 411: %r" % r.body)
        rid = r.header("X-Request-Id")
        wait_for(lambda: rid in stack.app_log(), 10, "envint to log request " + rid)


def test_no_tls_so_no_495_to_497(stack):
    """Documented exception: 495-497 (client certificate errors, plain HTTP
    on an HTTPS port) exist only on a TLS listener, and the site has none;
    a TLS client here gets the plain 400 page (test_400_malformed_requests).
    Adding TLS to the site means adding pages for these."""
    with open(os.path.join(stack.dir, "nginx-envint.conf")) as f:
        site = f.read()
    listens = re.findall(r"^\s*listen\s+([^;]*);", site, re.M)
    check(listens and not any({"ssl", "quic"} & set(addr.split()) for addr in listens),
          "listen %r" % listens)
    check(not re.search(r"^\s*ssl", site, re.M), "ssl directives in the site")


# ---- faults, each on an extra nginx ----

@contextlib.contextmanager
def extra_nginx(stack, name, http_conf, upstream=None):
    """An nginx of its own under stack.dir: the private wrapper around the
    site, rendered from an envint.conf whose listen is upstream (default:
    the stack's envint) and whose retry_after is RETRY_AFTER, with
    http_conf in its nginx-extra.conf. Stopped by pid."""
    st = Stack(stack.builddir, stack.srcdir, directory=os.path.join(stack.dir, "nginx-" + name))
    st.write_config(listen=upstream or "unix:" + stack.app_sock, retry_after=RETRY_AFTER)
    with open(os.path.join(st.dir, "nginx-extra.conf"), "w") as f:
        f.write("# test_nginx.py: %s\n%s\n" % (name, http_conf))
    st.start_nginx()
    try:
        yield st
    finally:
        st.stop_nginx()


def test_403_deny(stack):
    with extra_nginx(stack, "deny", "deny all;") as st:
        for path in (b"/healthz", b"/nope", b"/environment-integration"):
            expect_page(raw_request(st.http_port, request(b"GET", path)), 403)


def test_500_body_temp_file_fails(stack):
    """Every body goes to a temp file here, and the temp directory became a
    plain file after start-up: nginx cannot store the body."""
    with extra_nginx(stack, "tempfile", "client_body_in_file_only on;") as st:
        body_dir = os.path.join(st.dir, "nginx-tmp", "body")
        shutil.rmtree(body_dir)
        open(body_dir, "w").close()
        try:
            r = raw_request(st.http_port, request(
                b"POST", b"/environment-integration", b"Content-Type: application/json",
                b"Content-Length: 2") + b"{}")
            expect_page(r, 500)
        finally:
            os.remove(body_dir)
            os.mkdir(body_dir)
    not_from_envint(stack, [r])


def test_502_upstream_down(stack):
    upstream = "unix:" + os.path.join(stack.dir, "nobody-listens.sock")
    with extra_nginx(stack, "down", "", upstream=upstream) as st:
        for data in (request(b"GET", b"/healthz"),
                     request(b"POST", b"/environment-integration", b"Content-Length: 2") + b"{}"):
            expect_page(raw_request(st.http_port, data), 502, retry_after=RETRY_AFTER)


def test_503_limit_req(stack):
    """limit_req (and limit_conn) answer 503; the page carries Retry-After
    as envint's own 503 does."""
    conf = ("limit_req_zone $binary_remote_addr zone=envint_test:1m rate=1r/m;\n"
            "limit_req zone=envint_test;")
    with extra_nginx(stack, "limit", conf) as st:
        first = raw_request(st.http_port, request(b"GET", b"/nope"))
        check(first.status == 404, "the first request: %d %r" % (first.status, first.body))
        for path in (b"/healthz", b"/environment-integration"):
            expect_page(raw_request(st.http_port, request(b"GET", path)), 503,
                        retry_after=RETRY_AFTER)


def test_504_upstream_silent(stack):
    """The upstream's accept queue is full, so the kernel drops nginx's SYN
    and the connect times out (fastcgi_connect_timeout 1s at http level;
    the site sets only the read timeout, 60 s)."""
    with socket.socket() as blackhole:
        blackhole.bind(("127.0.0.1", 0))
        blackhole.listen(0)
        filler = socket.create_connection(blackhole.getsockname(), timeout=10)
        try:
            upstream = "%s:%d" % blackhole.getsockname()
            with extra_nginx(stack, "silent", "fastcgi_connect_timeout 1s;",
                             upstream=upstream) as st:
                r = raw_request(st.http_port, request(b"GET", b"/healthz"))
                expect_page(r, 504, retry_after=RETRY_AFTER)
        finally:
            filler.close()


def test_408_closes_without_a_reply(stack):
    """Documented exception: on a client timeout nginx sends no 408, it
    closes the connection. Asserted as exactly that: not one byte, then the
    end of the stream, for a silent client, a request line or a head left
    unfinished, and a body shorter than its Content-Length."""
    partial = [b"", b"GET /heal", b"GET /healthz HTTP/1.1\r\n" + HOST,
               request(b"POST", b"/environment-integration", b"Content-Length: 10") + b"{"]
    with extra_nginx(stack, "timeout", "client_header_timeout 1s;\nclient_body_timeout 1s;") as st:
        socks = [socket.create_connection(("127.0.0.1", st.http_port), timeout=20)
                 for _ in partial]
        try:
            for s, data in zip(socks, partial):
                s.sendall(data)
            for s, data in zip(socks, partial):
                got = b""
                try:
                    while True:
                        chunk = s.recv(65536)
                        if not chunk:
                            break
                        got += chunk
                except ConnectionResetError:
                    pass  # closed all the same
                except socket.timeout:
                    raise AssertionError("after %r: still open after 20 s" % data) from None
                check(got == b"", "after %r nginx sent %r" % (data, got[:300]))
        finally:
            for s in socks:
                s.close()
