"""The process model: respawn, graceful stop, rolling reload, the listening
modes, and the fatal exit status."""
import http.client
import os
import signal
import socket
import struct
import subprocess
import threading
import time

import fcgi
from helpers import check, demo_ei
from stack import children, free_port, pid_alive, wait_for


class Load(threading.Thread):
    """Sequential requests until stopped; records every status."""

    def __init__(self, stack, path="/healthz", token=None):
        super().__init__(daemon=True)
        self.stack, self.path, self.token = stack, path, token
        self.statuses = []
        self.halt = threading.Event()

    def run(self):
        while not self.halt.is_set():
            try:
                self.statuses.append(self.stack.get(self.path, token=self.token, timeout=15).status)
            except Exception as e:  # noqa: BLE001
                self.statuses.append(repr(e))

    def stop(self):
        self.halt.set()
        self.join(30)
        return [s for s in self.statuses if s != 200]


def test_kill9_worker_is_respawned(stack):
    before = stack.worker_pids()
    check(len(before) == stack.workers, "workers %r" % before)
    load = Load(stack)
    load.start()
    time.sleep(0.5)
    os.kill(before[0], signal.SIGKILL)
    wait_for(lambda: len(stack.worker_pids()) == stack.workers and
             before[0] not in stack.worker_pids(), 10, "a new worker")
    time.sleep(0.5)
    bad = load.stop()
    check(len(load.statuses) > 20, "only %d requests" % len(load.statuses))
    check(len(bad) <= 1, "failures after kill -9: %r" % bad)
    check("killed by signal 9" in stack.app_log(), "master did not log the crash")
    check(stack.get("/healthz").status == 200, "not healthy after respawn")


def test_sigterm_lets_inflight_request_finish(stack):
    ei = demo_ei(stack)
    token = stack.tokens["acme-team"]
    # Hold a write lock on api_token for 2 s: the request blocks in auth.
    locker = subprocess.Popen(
        ["mariadb", "--no-defaults", "-S", stack.db_sock, "-uroot", "envint", "-e",
         "LOCK TABLES api_token WRITE; SELECT SLEEP(2); UNLOCK TABLES;"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(0.4)
    result = {}

    def slow():
        result["r"] = stack.get("/environment-integration/" + ei, token=token, timeout=20)
    t = threading.Thread(target=slow)
    t.start()
    time.sleep(0.4)
    master = stack.master_pid()
    os.kill(master, signal.SIGTERM)
    time.sleep(0.5)
    check(t.is_alive(), "request ended before the lock was released")
    check(pid_alive(master), "master exited with a request in flight")
    t.join(20)
    locker.wait(20)
    check(result["r"].status == 200, "in-flight request got %d" % result["r"].status)
    rc = stack.app_proc.wait(timeout=15)
    check(rc == 0, "master exit status %d" % rc)
    check(not os.path.exists(stack.app_sock), "socket file left behind")
    check(children(master) == [], "workers left behind")
    stack.app_proc = None
    stack.start_app()
    check(stack.get("/healthz").status == 200, "restarted app unhealthy")


def test_sighup_replaces_workers_without_failures(stack):
    before = set(stack.worker_pids())
    loads = [Load(stack), Load(stack, "/environment-integration/" + demo_ei(stack),
                                stack.tokens["acme-team"])]
    for ld in loads:
        ld.start()
    for _ in range(3):
        time.sleep(0.6)
        os.kill(stack.master_pid(), signal.SIGHUP)
    wait_for(lambda: not (set(stack.worker_pids()) & before) and
             len(stack.worker_pids()) == stack.workers, 20, "workers replaced")
    time.sleep(0.5)
    bad = [b for ld in loads for b in ld.stop()]
    total = sum(len(ld.statuses) for ld in loads)
    check(total > 50, "only %d requests" % total)
    check(bad == [], "failures during reload: %r of %d" % (bad, total))
    check("configuration reloaded" in stack.app_log(), "reload not logged")


def test_sighup_applies_new_worker_count(stack):
    stack.write_config(workers=3)
    os.kill(stack.master_pid(), signal.SIGHUP)
    wait_for(lambda: len(stack.worker_pids()) == 3, 15, "3 workers")
    stack.write_config()
    three = set(stack.worker_pids())
    os.kill(stack.master_pid(), signal.SIGHUP)
    # the rolling replacement is over when none of the 3 is left
    wait_for(lambda: len(stack.worker_pids()) == stack.workers and
             not (set(stack.worker_pids()) & three), 20, "2 new workers")
    check(stack.get("/healthz").status == 200, "unhealthy")


def settled_workers(stack, quiet=1.0, timeout=20):
    """The worker pids once the set has stayed the same, at the configured
    count, for `quiet` seconds (an earlier rolling reload may still be
    retiring its last workers when a test starts)."""
    deadline = time.monotonic() + timeout
    last, since = None, time.monotonic()
    while time.monotonic() < deadline:
        now = stack.worker_pids()
        if now != last:
            last, since = now, time.monotonic()
        elif len(now) == stack.workers and time.monotonic() - since >= quiet:
            return now
        time.sleep(0.05)
    raise AssertionError("workers never settled: %r" % last)


def test_bad_config_on_sighup_keeps_running(stack):
    workers = settled_workers(stack)
    with open(stack.config_path(), "a") as f:
        f.write("workers = many\n")
    os.kill(stack.master_pid(), signal.SIGHUP)
    time.sleep(1)
    stack.write_config()
    check(stack.worker_pids() == workers, "workers changed on a failed reload")
    check("reload failed" in stack.app_log(), "failed reload not logged")
    check(stack.get("/healthz").status == 200, "unhealthy")


def test_max_requests_recycles_workers(stack):
    d = stack.dir
    sock = os.path.join(d, "recycle.sock")
    p = subprocess.Popen([stack.binary("envint"), "--config", stack.config_path(),
                          "--listen", "unix:" + sock, "--workers", "1",
                          "--max-requests", "5", "--pidfile", os.path.join(d, "r.pid")],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for(lambda: len(children(p.pid)) == 1, 10, "worker")
        first = children(p.pid)[0]
        params = {"REQUEST_METHOD": "GET", "REQUEST_URI": "/healthz"}
        for i in range(12):
            status, _, _ = fcgi.request(sock, params)
            check(status == 200, "request %d: %d" % (i, status))
        check(first not in children(p.pid), "worker not recycled after 5 requests")
    finally:
        p.terminate()
        p.wait(15)


def test_inherited_socket_on_fd0(stack):
    """mod_fcgid / spawn-fcgi style: the listening socket arrives as fd 0."""
    path = os.path.join(stack.dir, "inherited.sock")
    lsock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    lsock.bind(path)
    lsock.listen(16)
    conf = stack.config_path()
    p = subprocess.Popen([stack.binary("envint"), "--config", conf, "--listen", "",
                          "--workers", "1", "--pidfile", ""],
                         stdin=lsock.fileno(), stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL)
    lsock.close()
    try:
        wait_for(lambda: len(children(p.pid)) == 1, 10, "worker")
        status, headers, body = fcgi.request(path, {"REQUEST_METHOD": "GET",
                                                    "REQUEST_URI": "/healthz"})
        check(status == 200 and b'"ok"' in body, (status, body))
        check(headers.get("content-type") == "application/json", headers)
    finally:
        p.terminate()
        check(p.wait(15) == 0, "exit status")


def test_tcp_listen(stack):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    p = subprocess.Popen([stack.binary("envint"), "--config", stack.config_path(),
                          "--listen", "127.0.0.1:%d" % port, "--workers", "1",
                          "--pidfile", ""],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for(lambda: len(children(p.pid)) == 1, 10, "worker")
        status, _, body = fcgi.request(("127.0.0.1", port),
                                       {"REQUEST_METHOD": "GET", "REQUEST_URI": "/healthz"})
        check(status == 200, (status, body))
    finally:
        p.terminate()
        check(p.wait(15) == 0, "exit status")


def test_old_schema_is_fatal_and_not_respawned(stack):
    stack.sql_root("CREATE DATABASE IF NOT EXISTS envint_old;"
                   "CREATE TABLE IF NOT EXISTS envint_old.schema_version"
                   " (version INT UNSIGNED PRIMARY KEY, applied_at DATETIME(3));"
                   "GRANT ALL ON envint_old.* TO 'envint'@'localhost';")
    sock = os.path.join(stack.dir, "old.sock")
    log = os.path.join(stack.dir, "old.log")
    with open(log, "w") as lf:
        p = subprocess.Popen([stack.binary("envint"), "--config", stack.config_path(),
                              "--listen", "unix:" + sock, "--workers", "2",
                              "--db-name", "envint_old", "--pidfile", ""],
                             stdout=lf, stderr=lf)
        try:
            rc = p.wait(15)
        except subprocess.TimeoutExpired:
            p.kill()
            raise AssertionError("master kept running with fatal workers")
    text = open(log).read()
    check(rc == 2, "master exit status %d" % rc)
    check("envintctl migrate" in text, text[-500:])
    check(text.count("(fatal); not respawning") == 2, text[-800:])
    check(not os.path.exists(sock), "socket left behind")


# ---- a reply that breaks off is never a complete 200 ----

def _fcgi_records(buf):
    """(type, content) of each whole record in buf."""
    out = []
    while len(buf) >= 8:
        _, rtype, _, clen, plen = struct.unpack(">BBHHB", buf[:7])
        if len(buf) < 8 + clen + plen:
            break
        out.append((rtype, buf[8:8 + clen]))
        buf = buf[8 + clen + plen:]
    return out


def test_nginx_cuts_the_client_when_the_upstream_breaks_off(stack):
    """The site's FastCGI settings (conf/nginx-envint.conf.in) make a reply
    that ends without END_REQUEST an error nginx shows its client: a 200
    head followed by a connection closed mid-body, never a clean end. With
    fastcgi_keep_conn off nginx took the close for the end of the reply
    and finished the chunked body cleanly. A fake upstream breaks off after
    20 KB; it stands for a worker killed mid-reply or one that aborted."""
    # every fastcgi_ setting of the site (server level and location /), but
    # the upstream and the pool's retry rule
    site = open(os.path.join(stack.srcdir, "conf", "nginx-envint.conf.in")).read()
    directives = "".join("    %s\n" % line.strip() for line in site.splitlines()
                         if line.strip().startswith("fastcgi_")
                         and not line.strip().startswith(("fastcgi_pass",
                                                          "fastcgi_next_upstream")))
    fake_sock = os.path.join(stack.dir, "fake-upstream.sock")
    port = free_port()
    extra = os.path.join(stack.dir, "nginx-extra.conf")
    lsock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    lsock.bind(fake_sock)
    lsock.listen(4)
    served = []

    def upstream():
        conn, _ = lsock.accept()
        with conn:
            buf = b""
            while not any(t == fcgi.FCGI_STDIN and c == b"" for t, c in _fcgi_records(buf)):
                chunk = conn.recv(65536)
                if not chunk:
                    return
                buf += chunk
            body = b'{"result":[' + b'"x",' * 5000
            conn.sendall(fcgi._record(fcgi.FCGI_STDOUT, b"Status: 200 OK\r\n"
                                      b"Content-Type: application/json\r\n\r\n"))
            for i in range(0, len(body), 8192):
                conn.sendall(fcgi._record(fcgi.FCGI_STDOUT, body[i:i + 8192]))
            served.append(len(body))
            time.sleep(0.2)
        # closed without END_REQUEST
    t = threading.Thread(target=upstream, daemon=True)
    t.start()
    try:
        with open(extra, "w") as f:
            f.write("server {\n  listen 127.0.0.1:%d;\n  location / {\n"
                    "    fastcgi_pass unix:%s;\n%s  }\n}\n" % (port, fake_sock, directives))
        stack.stop_nginx()
        stack.start_nginx(stack.http_port)
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=15)
        c.request("GET", "/environment-integration")
        r = c.getresponse()
        complete = None
        try:
            body = r.read()
            complete = body
        except http.client.IncompleteRead:
            pass
        t.join(10)
        check(served, "the fake upstream was not reached")
        check(complete is None, "a reply cut short reached the client as a complete %d"
              " of %d bytes" % (r.status, len(complete or b"")))
    finally:
        lsock.close()
        open(extra, "w").close()
        stack.stop_nginx()
        stack.start_nginx(stack.http_port)
