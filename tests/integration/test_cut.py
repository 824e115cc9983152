"""A reply cut short never looks complete (README: Replies and their
length). Every envint reply carries a Content-Length, so a client sees a
short read when a worker dies mid-reply, whatever the web server does with
its own end of the connection and over HTTP/1.0 too, where the close is
the only other end marker. A list page is gathered whole before any of it
leaves, so a database lost mid-page is a clean 503.

The big replies come from a team of its own: N environments each holding
one integration whose config is 200 KB, so a page of n rows is n * 200 KB.
The envint instances here are extra ones (one worker each, so the worker
of a request is known) on the stack's database; the stack's own envint is
left alone.

The worker is killed at a point the test waits for, not after a delay:
the client stops reading, the web server's buffers fill (nginx: no temp
file, fastcgi_max_temp_file_size 0), and the worker blocks writing its
reply (/proc/PID/syscall names the call it waits in). The front ends:
nginx with the site as shipped, Apache with mod_proxy_fcgi (the site sets
ap_trust_cgilike_cl: without it Apache 2.4.59 and later drop the length)
and Apache with mod_fcgid (envint started by Apache, workers = 0).
"""
import contextlib
import json
import os
import signal
import socket
import threading
import uuid

import fcgi
from helpers import check, procs_running
from stack import Stack, wait_for

BIG_CONFIG = 200000     # bytes of the integration's config: about that per row


# ---- the parts ----

_FIXTURES = {}


def big_team(stack, n_envs=150):
    """A team with n_envs environments holding one integration whose config
    is BIG_CONFIG bytes (a config import would take). Its token."""
    key = (id(stack), n_envs)
    if key in _FIXTURES:
        return _FIXTURES[key]
    team, integ = uuid.uuid4().hex, uuid.uuid4().hex
    envs = [uuid.uuid4().hex for _ in range(n_envs)]
    config = json.dumps({"description": "x" * BIG_CONFIG})
    t0 = "'2022-01-01 00:00:00.000'"
    sql = [
        "INSERT INTO team (id, name, is_verified, is_white_label, allow_impersonation,"
        " created_at, updated_at) VALUES (UNHEX('%s'), 'cut %s', 0, 0, 0, %s, %s);"
        % (team, team[:8], t0, t0),
        "INSERT INTO integration (id, team_id, name, category, is_beta, sharing, config,"
        " config_public, created_at, updated_at) VALUES (UNHEX('%s'), UNHEX('%s'), 'big',"
        " 'crm', 0, 'deny', '%s', '%s', %s, %s);" % (integ, team, config, config, t0, t0),
        "INSERT INTO environment (id, team_id, name, created_at, updated_at) VALUES "
        + ",".join("(UNHEX('%s'), UNHEX('%s'), 'e%03d', %s, %s)" % (e, team, k, t0, t0)
                   for k, e in enumerate(envs)) + ";",
        "INSERT INTO environment_integration (id, environment_id, team_id, integration_id,"
        " show_in_catalog, is_enabled, override, version, created_at, updated_at) VALUES "
        + ",".join("(UNHEX('%s'), UNHEX('%s'), UNHEX('%s'), UNHEX('%s'), 1, 1, NULL, 1, %s, %s)"
                   % (uuid.uuid4().hex, e, team, integ, t0, t0) for e in envs) + ";"]
    stack.sql_root("\n".join(sql), database="envint")
    token = stack.ctl_out("token", "create", "--team", str(uuid.UUID(team)), "--name", "cut")
    _FIXTURES[key] = token
    return token


@contextlib.contextmanager
def envint_instance(stack, name, **conf):
    """Another envint with one worker on the stack's database; yields its
    Stack (app_sock, worker_pids, app_log)."""
    st = Stack(stack.builddir, stack.srcdir, directory=os.path.join(stack.dir, "cut-" + name),
               workers=1)
    st.write_config(db_socket=stack.db_sock, **conf)
    st.start_app()
    try:
        yield st
    finally:
        st.stop_app()


@contextlib.contextmanager
def nginx_for(stack, name, upstream, http_conf=""):
    """An nginx of its own around the rendered site, upstream envint's
    socket, with http_conf at http level (the site inherits it)."""
    st = Stack(stack.builddir, stack.srcdir, directory=os.path.join(stack.dir, "cut-nginx-" + name))
    st.write_config(listen="unix:" + upstream)
    with open(os.path.join(st.dir, "nginx-extra.conf"), "w") as f:
        f.write("# test_cut.py: %s\n%s\n" % (name, http_conf))
    st.start_nginx()
    try:
        yield st
    finally:
        st.stop_nginx()


WRITES = {"1", "18", "20", "44", "46"}     # write, pwrite64, writev, sendto, sendmsg (x86_64)


def blocked_in(pid):
    """The number of the system call pid waits in (/proc/PID/syscall)."""
    with open("/proc/%d/syscall" % pid) as f:
        return f.read().split()[0]


def blocked_in_safe(pid):
    """blocked_in, or None for a process that is gone."""
    try:
        return blocked_in(pid)
    except OSError:
        return None


def read_reply(sock, timeout=30):
    """Everything the server sends until it closes: (head lines, body)."""
    sock.settimeout(timeout)
    buf = b""
    while True:
        chunk = sock.recv(1 << 20)
        if not chunk:
            break
        buf += chunk
    head, _, body = buf.partition(b"\r\n\r\n")
    return head.decode("latin-1").split("\r\n"), body


def header(lines, name):
    for line in lines[1:]:
        k, _, v = line.partition(":")
        if k.strip().lower() == name.lower():
            return v.strip()
    return None


def complete(lines, body):
    """Whether an HTTP reply arrived whole: as long as its Content-Length,
    or a chunked body with its last chunk; None when neither frames it."""
    cl = header(lines, "Content-Length")
    if cl is not None:
        return len(body) == int(cl)
    if (header(lines, "Transfer-Encoding") or "").lower() == "chunked":
        return body.endswith(b"0\r\n\r\n")
    return None


def _cut_problem(where, lines, body):
    """None when the reply is a 200 the client can tell is short: fewer
    bytes than its Content-Length, or (HTTP/1.1) chunks without the last
    one; over HTTP/1.0 only a Content-Length can say so. Else what is
    wrong."""
    if lines[0].split()[1:2] != ["200"]:
        return "%s: %r" % (where, lines[:1])
    if complete(lines, body) is not False:
        return "%s: a reply cut short arrived as complete or unframed (%d bytes): %r" \
            % (where, len(body), lines)
    return None


def _whole_problem(where, lines, body):
    """None when the reply is a 200 that arrived whole with the
    Content-Length envint sent."""
    if lines[0].split()[1:2] != ["200"] or complete(lines, body) is not True or \
            header(lines, "Content-Length") is None:
        return "%s left alone: %r, %d bytes" % (where, lines, len(body))
    return None


# ---- the tests ----

def test_every_reply_has_a_content_length(stack):
    """Through nginx: objects, pages, errors, HEAD (the length GET would
    have), over HTTP/1.1 and 1.0."""
    token = stack.tokens["acme-team"]
    for version in (b"HTTP/1.1", b"HTTP/1.0"):
        for method, path, tok in ((b"GET", b"/environment-integration?limit=3", token),
                                  (b"GET", b"/environment-integration/nope", token),
                                  (b"GET", b"/environment-integration", None),
                                  (b"GET", b"/healthz", None),
                                  (b"HEAD", b"/environment-integration?limit=3", token)):
            auth = b"Authorization: Bearer " + tok.encode() + b"\r\n" if tok else b""
            with socket.create_connection(("127.0.0.1", stack.http_port), timeout=20) as s:
                s.sendall(method + b" " + path + b" " + version + b"\r\nHost: x\r\n" + auth +
                          b"Connection: close\r\n\r\n")
                lines, body = read_reply(s)
            cl = header(lines, "Content-Length")
            where = "%s %s %s" % (method.decode(), path.decode(), version.decode())
            check(cl is not None, "%s: no Content-Length in %r" % (where, lines))
            if method == b"HEAD":
                check(body == b"", "%s: a body after HEAD" % where)
                get = stack.get(path.decode(), token=tok)
                check(int(cl) == len(get.body), "%s: Content-Length %s, GET's body %d"
                      % (where, cl, len(get.body)))
            else:
                check(int(cl) == len(body), "%s: Content-Length %s, body %d" % (where, cl, len(body)))


def test_a_long_page_ends_early_with_a_cursor(stack):
    """A page that would pass reply_buffer_max ends before the row that
    passes it, with a next_cursor; following the cursors gives every row
    once, in order."""
    token = big_team(stack)
    with envint_instance(stack, "pages", reply_buffer_max="1m") as inst:
        params = {"REQUEST_METHOD": "GET", "SCRIPT_NAME": "/environment-integration",
                  "REQUEST_URI": "/environment-integration", "HTTP_AUTHORIZATION": "Bearer " + token}
        seen, cursor, pages = [], None, 0
        while True:
            q = "limit=20" + ("&next_cursor=" + cursor if cursor else "")
            status, headers, body = fcgi.request(inst.app_sock, dict(params, QUERY_STRING=q))
            check(status == 200, "page %d: %d %r" % (pages, status, body[:200]))
            check(int(headers["content-length"]) == len(body), "page %d: length" % pages)
            page = json.loads(body)
            rows = page["result"]
            check(len(body) <= 1024 * 1024 or len(rows) == 1, "page %d: %d bytes, %d rows"
                  % (pages, len(body), len(rows)))
            check(1 <= len(rows) <= 20 and page["limit"] == 20, "page %d: %d rows" % (pages, len(rows)))
            seen += [o["id"] for o in rows]
            pages += 1
            cursor = page["next_cursor"]
            if cursor is None:
                break
        check(pages >= 30, "150 rows of 200 KB in pages of 1 MB: only %d pages" % pages)
        check(len(seen) == 150 and len(set(seen)) == 150, "%d rows, %d distinct" % (len(seen), len(set(seen))))


def test_database_lost_mid_page_is_a_clean_503(stack):
    """The worker streams a 30 MB page from MariaDB; it is stopped while the
    server sends, its database connection killed, and the worker let go:
    it reads the rows already in the socket, then finds the connection
    lost; nothing had left, so the reply is a whole 503 with Retry-After,
    never part of a 200."""
    token = big_team(stack)
    with envint_instance(stack, "dblost", reply_buffer_max="1g") as inst:
        worker = inst.worker_pids()[0]
        params = {"REQUEST_METHOD": "GET", "SCRIPT_NAME": "/environment-integration",
                  "REQUEST_URI": "/environment-integration?limit=150", "QUERY_STRING": "limit=150",
                  "HTTP_AUTHORIZATION": "Bearer " + token}
        # authenticated once, so the request below goes straight to the page
        check(fcgi.request(inst.app_sock, dict(params, QUERY_STRING="limit=1"))[0] == 200, "warm")

        result = []
        t = threading.Thread(target=lambda: result.append(
            fcgi.request(inst.app_sock, params, timeout=60)), daemon=True)
        t.start()
        # the worker is stopped once the page's statement runs; the server
        # then fills the socket and waits to write the rest, so metadata
        # and the first rows are there for the worker to read when it goes
        # on and finds the connection gone behind them
        page = "SELECT ID, STATE FROM information_schema.PROCESSLIST" \
               " WHERE USER = 'envint' AND COMMAND = 'Execute'"
        wait_for(lambda: stack.sql(page), 30, "the page's statement to run")
        os.kill(worker, signal.SIGSTOP)
        try:
            states = []
            wait_for(lambda: states.append(stack.sql(page)) or
                     any(r[1] == "Writing to net" for r in states[-1]), 30,
                     "the server to wait on the stopped worker")
            busy = states[-1]
            check(len(busy) == 1, "the page's statement: %r" % busy)
            stack.sql_root("KILL CONNECTION %s" % busy[0][0])
        finally:
            os.kill(worker, signal.SIGCONT)
        t.join(60)
        check(result, "no reply")
        status, headers, body = result[0]
        check(status == 503, "status %d after the database was lost mid-page (%d bytes)"
              % (status, len(body)))
        check(headers.get("retry-after") == "1" and json.loads(body)["statusCode"] == 503,
              "%r %r" % (headers, body[:200]))
        check(int(headers["content-length"]) == len(body), "length")
        check("list: fetching row" in inst.app_log(), "the failed fetch was not logged")
        check(fcgi.request(inst.app_sock, dict(params, QUERY_STRING="limit=1"))[0] == 200,
              "the worker did not recover")


def _kill_mid_reply(stack, front_port, version, worker, n):
    """Asks front_port for a page of n big rows and reads none of it until
    `worker` (a pid, or a function listing the candidates) waits in a
    write (the front end's buffers full); then kills it and reads
    everything. (head lines, body, killed)."""
    token = big_team(stack)
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 16384)
    s.connect(("127.0.0.1", front_port))
    with s:
        s.sendall(b"GET /environment-integration?limit=%d %s\r\nHost: x\r\nConnection: close\r\n"
                  b"Authorization: Bearer %s\r\n\r\n" % (n, version, token.encode()))
        killed = False
        if worker is not None:
            found = []
            pids = worker if callable(worker) else lambda: [worker]

            def writing():
                found[:] = [p for p in pids() if blocked_in_safe(p) in WRITES]
                return found
            wait_for(writing, 30, "the worker to wait in a write to the web server")
            os.kill(found[0], signal.SIGKILL)
            killed = True
        lines, body = read_reply(s)
    return lines, body, killed


def test_worker_killed_mid_reply_through_nginx(stack):
    """nginx with the site as shipped, and no temp file so that a client
    that does not read holds the worker: killed mid-reply, over HTTP/1.1
    and 1.0, the client gets a 200 head and fewer bytes than it announces.
    The same request left alone arrives whole (the check can tell)."""
    big_team(stack)
    with envint_instance(stack, "kill", reply_buffer_max="64m") as inst:
        with nginx_for(stack, "kill", inst.app_sock, "fastcgi_max_temp_file_size 0;") as ng:
            for version in (b"HTTP/1.1", b"HTTP/1.0"):
                lines, body, _ = _kill_mid_reply(stack, ng.http_port, version, None, 100)
                problem = _whole_problem("nginx " + version.decode(), lines, body)
                check(problem is None, problem)
                worker = inst.worker_pids()[0]
                lines, body, _ = _kill_mid_reply(stack, ng.http_port, version, worker, 100)
                problem = _cut_problem("nginx " + version.decode(), lines, body)
                check(problem is None, problem)
                check(header(lines, "Content-Length") is not None, "nginx: no Content-Length")
                wait_for(lambda: len(inst.worker_pids()) == 1 and worker not in inst.worker_pids(),
                         20, "the worker to be replaced")


def test_worker_killed_mid_reply_through_apache(stack):
    """Apache closes its reply cleanly when the backend fails, so only the
    framing tells a client the body is short. mod_proxy_fcgi in front of
    an envint of one worker, and mod_fcgid's own envint: killed while it
    waits to write a page the client does not read, over HTTP/1.1 and
    1.0, the client gets a 200 whose body its framing shows is short.
    Left alone, the same request arrives whole."""
    big_team(stack)
    problems = []

    def both(where, port, finder):
        problems.append(_whole_problem(where, *_kill_mid_reply(stack, port, version, None, 100)[:2]))
        problems.append(_cut_problem(where, *_kill_mid_reply(stack, port, version, finder, 100)[:2]))

    with envint_instance(stack, "kill-apache", reply_buffer_max="64m") as inst:
        ap = stack.start_apache("proxy", name="apache-cut-proxy",
                                envint_conf={"listen": "unix:" + inst.app_sock})
        try:
            for version in (b"HTTP/1.1", b"HTTP/1.0"):
                worker = inst.worker_pids()[0]
                both("mod_proxy_fcgi " + version.decode(), ap.http_port, worker)
                wait_for(lambda: len(inst.worker_pids()) == 1 and worker not in inst.worker_pids(),
                         20, "the worker to be replaced")
        finally:
            ap.stop()
    ap = stack.start_apache("fcgid", name="apache-cut-fcgid",
                            envint_conf={"reply_buffer_max": "64m"})
    try:
        binary = ap.path("envint")
        for version in (b"HTTP/1.1", b"HTTP/1.0"):
            both("mod_fcgid " + version.decode(), ap.http_port, lambda: procs_running(binary))
    finally:
        ap.stop()
    problems = [p for p in problems if p is not None]
    check(not problems, "\n".join(problems))
