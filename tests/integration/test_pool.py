"""A pool of envint hosts behind one nginx (README: Running a pool): the
site rendered with one --upstream per host, as users render it, and the
promise it makes about failing hosts:

- a host that is down (nothing listens) is skipped: every request, reads
  and writes alike, goes to the next host, because none was sent;
- a host that takes a request and then fails before answering (a worker
  that crashed) is skipped for a GET or a DELETE, which go to the next
  host; a PATCH or POST is never sent twice: the client gets the 502 page
  and decides, and no other host wrote anything;
- with every host down the client gets the JSON 502 with Retry-After.

The hosts are envint processes of their own (one worker each) on the
stack's database; the stack's own envint is left alone. The failing host
is a socket that reads a whole FastCGI request, notes its method and
closes without a byte of reply: what nginx sees when a worker dies
mid-request. Each case starts a fresh nginx, so no host is still marked
failed (fail_timeout) from an earlier case.
"""
import contextlib
import json
import os
import socket
import struct
import threading
import uuid

from helpers import check, expect_error
from stack import Stack

PATH = "/environment-integration"


# ---- the pool's parts ----

@contextlib.contextmanager
def envint_host(stack, name):
    """Another envint on the stack's database, listening on a socket of its
    own; yields that socket's address."""
    st = Stack(stack.builddir, stack.srcdir, directory=os.path.join(stack.dir, "pool-" + name),
               workers=1)
    st.write_config(db_socket=stack.db_sock)
    st.start_app()
    try:
        yield "unix:" + st.app_sock
    finally:
        check(st.stop_app() == 0, "pool host %s did not stop cleanly" % name)


class Crasher:
    """A host whose worker dies after reading each request: accepts, reads
    the FastCGI records up to the empty STDIN that ends the request, notes
    REQUEST_METHOD, closes."""

    def __init__(self, path):
        self.path = path
        self.methods = []
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.bind(path)
        self.sock.listen(16)
        self.sock.settimeout(0.2)
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        while not self.stopping.is_set():
            try:
                conn, _ = self.sock.accept()
            except socket.timeout:
                continue
            with conn:
                conn.settimeout(10)
                self.methods.append(self._read_request(conn))

    @staticmethod
    def _read_request(conn):
        buf, params, method = b"", b"", None
        while True:
            while len(buf) >= 8:
                _, rtype, _, clen, plen = struct.unpack(">BBHHB", buf[:7])
                if len(buf) < 8 + clen + plen:
                    break
                content, buf = buf[8:8 + clen], buf[8 + clen + plen:]
                if rtype == 4:  # PARAMS
                    params += content
                    m = _param(params, b"REQUEST_METHOD")
                    method = m.decode() if m is not None else method
                elif rtype == 5 and clen == 0:  # the end of STDIN
                    return method
            chunk = conn.recv(65536)
            if not chunk:
                return method
            buf += chunk

    def close(self):
        self.stopping.set()
        self.thread.join(5)
        self.sock.close()
        os.unlink(self.path)


def _param(block, name):
    """The value of name in a FastCGI name-value block, or None."""
    i = 0
    while i < len(block):
        lens = []
        for _ in range(2):
            if i >= len(block):
                return None
            if block[i] < 128:
                lens.append(block[i])
                i += 1
            else:
                lens.append(struct.unpack(">I", block[i:i + 4])[0] & 0x7FFFFFFF)
                i += 4
        k, v = block[i:i + lens[0]], block[i + lens[0]:i + lens[0] + lens[1]]
        i += lens[0] + lens[1]
        if k == name:
            return v
    return None


@contextlib.contextmanager
def pool_nginx(stack, name, upstreams):
    """A fresh nginx whose site is rendered with these upstreams."""
    st = Stack(stack.builddir, stack.srcdir, directory=os.path.join(stack.dir, "pool-nginx-" + name))
    st.write_config(listen="unix:" + stack.app_sock)
    st.start_nginx(upstreams=upstreams)
    try:
        yield st
    finally:
        st.stop_nginx()


# ---- a tenant of our own ----

class Tenant:
    pass


_TENANTS = {}


def tenant(stack):
    """Pool Team, with one environment, a token and its own integrations."""
    t = _TENANTS.get(id(stack))
    if t is None:
        t = Tenant()
        t.team = stack.ctl_out("team", "create", "--name", "Pool Team")
        t.env = stack.ctl_out("environment", "create", "--team", t.team, "--name", "prod")
        t.token = stack.ctl_out("token", "create", "--team", t.team, "--name", "pool")
        _TENANTS[id(stack)] = t
    return t


def new_integration(stack):
    t = tenant(stack)
    name = "pool-" + uuid.uuid4().hex[:8]
    path = os.path.join(stack.dir, name + ".json")
    with open(path, "w") as f:
        json.dump({"name": name, "category": "crm", "is_beta": False, "sharing": "allow",
                   "config": {"base_url": "https://%s.example" % name}}, f)
    return stack.ctl_out("integration", "import", path, "--team", t.team)


def new_install(stack):
    t = tenant(stack)
    return stack.ctl_out("install", "--environment", t.env, "--integration", new_integration(stack))


def version(stack, ei):
    """The row's version, or None when there is no row."""
    rows = stack.sql("SELECT version FROM environment_integration WHERE id = UNHEX('%s')"
                     % ei.replace("-", ""))
    return int(rows[0][0]) if rows else None


def installs_of(stack, integ):
    return int(stack.sql("SELECT COUNT(*) FROM environment_integration WHERE integration_id = UNHEX('%s')"
                         % integ.replace("-", ""))[0][0])


# The four kinds of request, each made fresh: (method, build) where build
# returns (path, body, after) and after(response) checks what was written.
def _get(stack):
    ei = new_install(stack)

    def after(r, resent):
        check(r.status == 200 and r.json()["id"] == ei, "GET: %d %r" % (r.status, r.body[:200]))
    return "GET", PATH + "/" + ei, None, after


def _delete(stack):
    ei = new_install(stack)

    def after(r, resent):
        # the failing host wrote nothing, so the next one deletes the row
        check(r.status == 200 and r.json() == {"id": ei}, "DELETE: %d %r" % (r.status, r.body[:200]))
        check(version(stack, ei) is None, "the row is still there")
    return "DELETE", PATH + "/" + ei, None, after


def _patch(stack):
    ei = new_install(stack)
    v = version(stack, ei)

    def after(r, resent):
        if resent:
            expect_error(r, 502)
            check(r.header("Retry-After"), "no Retry-After on the 502")
            check(version(stack, ei) == v, "a PATCH that reached a failing host was sent again")
        else:
            check(r.status == 200, "PATCH: %d %r" % (r.status, r.body[:200]))
            check(version(stack, ei) == v + 1, "PATCH not written once")
    return "PATCH", PATH + "/" + ei, {"is_enabled": False}, after


def _post(stack):
    t = tenant(stack)
    integ = new_integration(stack)

    def after(r, resent):
        if resent:
            expect_error(r, 502)
            check(r.header("Retry-After"), "no Retry-After on the 502")
            check(installs_of(stack, integ) == 0, "a POST that reached a failing host was sent again")
        else:
            check(r.status == 201, "POST: %d %r" % (r.status, r.body[:200]))
            check(installs_of(stack, integ) == 1, "POST not written once")
    return "POST", PATH, {"integration_id": integ, "environment_id": t.env}, after


KINDS = (_get, _delete, _patch, _post)


# ---- the tests ----

def test_pool_site_names_every_host(stack):
    with envint_host(stack, "b") as b, envint_host(stack, "c") as c:
        with pool_nginx(stack, "site", [b, c]) as ng:
            with open(os.path.join(ng.dir, "nginx-envint.conf")) as f:
                site = f.read()
            for host in (b, c):
                check("server %s max_fails=1 fail_timeout=5s;" % host in site,
                      "%s is not in the upstream block" % host)
            # both hosts answer through the pool
            for _ in range(4):
                r = ng.get("/healthz")
                check(r.status == 200, "healthz through the pool: %d %r" % (r.status, r.body[:200]))


def test_pool_skips_a_host_that_is_down(stack):
    """Nothing listens on the first host: no request was sent to it, so
    every kind goes to the next host and succeeds, writes included."""
    dead = "unix:" + os.path.join(stack.dir, "pool-dead.sock")
    with envint_host(stack, "live") as live:
        for kind in KINDS:
            with pool_nginx(stack, "down-" + kind.__name__, [dead, live]) as ng:
                for _ in range(2):  # the first pick, and the next one
                    method, path, body, after = kind(stack)
                    r = ng.request(method, path, token=tenant(stack).token, body=body)
                    after(r, resent=False)


def test_pool_a_host_that_fails_mid_request(stack):
    """The first host reads each request and dies: a GET and a DELETE go on
    to the next host; a PATCH or POST is answered 502 and written nowhere."""
    crasher = Crasher(os.path.join(stack.dir, "pool-crash.sock"))
    try:
        with envint_host(stack, "next") as live:
            for kind in KINDS:
                with pool_nginx(stack, "crash-" + kind.__name__, ["unix:" + crasher.path, live]) as ng:
                    hit = False
                    for _ in range(3):  # round robin reaches the crasher within two
                        method, path, body, after = kind(stack)
                        seen = len(crasher.methods)
                        r = ng.request(method, path, token=tenant(stack).token, body=body)
                        hit = len(crasher.methods) > seen
                        if hit:
                            check(crasher.methods[-1] == method,
                                  "the crasher saw %r" % crasher.methods[-1])
                            after(r, resent=method in ("PATCH", "POST"))
                            break
                        after(r, resent=False)
                    check(hit, "no %s reached the failing host" % kind.__name__)
    finally:
        crasher.close()


def test_pool_every_host_down(stack):
    dead = ["unix:" + os.path.join(stack.dir, "pool-dead-%d.sock" % i) for i in range(2)]
    with pool_nginx(stack, "all-down", dead) as ng:
        for method, body in (("GET", None), ("PATCH", {"is_enabled": True})):
            r = ng.request(method, PATH + "/" + str(uuid.uuid4()), token=tenant(stack).token, body=body)
            expect_error(r, 502)
            check(r.header("Retry-After") == "1", "Retry-After %r" % r.header("Retry-After"))
