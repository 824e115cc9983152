"""The pool status page (issue 17 §5) and logging without a terminal (§4).

The stack's envint serves the page at Stack.STATUS_PATH (tests/integration/
stack.py turns it on). Read under load, after a worker is killed in the
middle of a request, after the database dropped a worker's connection;
kept to loopback by the site; Prometheus text on request. Then an envint
started by spawn-fcgi, as the README shows it, keeps its log in log_file,
which SIGUSR1 and SIGHUP reopen in the master and every worker, and logs a
request slower than slow_ms with its database time.
"""
import http.client
import os
import re
import signal
import socket
import struct
import subprocess
import threading
import time

import fcgi
from helpers import check, expect_error
from stack import Stack, children, pid_alive, wait_for

KEYS = {"workers": ["total", "busy", "idle", "max_busy"],
        "requests": ["accepted", "by_class", "slow", "slow_ms"],
        "database": ["reconnects", "failovers"]}


def status(stack, fmt=None):
    r = stack.get(Stack.STATUS_PATH + ("?format=" + fmt if fmt else ""))
    check(r.status == 200, "status page: %d %r" % (r.status, r.body[:200]))
    return r


def page(stack):
    body = status(stack).json()
    check(list(body) == ["workers", "requests", "database", "uptime_seconds"], "keys %r" % list(body))
    for k, sub in KEYS.items():
        check(list(body[k]) == sub, "%s keys %r" % (k, list(body[k])))
    check(list(body["requests"]["by_class"]) == ["1xx", "2xx", "3xx", "4xx", "5xx"],
          "by_class %r" % body["requests"]["by_class"])
    w = body["workers"]
    check(w["total"] == w["busy"] + w["idle"] and 1 <= w["busy"] <= w["total"],
          "workers %r" % w)   # the request reading it is one of the busy
    return body


def prometheus(stack):
    """{metric{labels}: value} of the Prometheus text, every sample line
    checked against the format (HELP and TYPE before each family)."""
    r = status(stack, "prometheus")
    check(r.header("Content-Type") == "text/plain; version=0.0.4; charset=utf-8",
          "Content-Type %r" % r.header("Content-Type"))
    check(r.header("Content-Length") == str(len(r.body)), "Content-Length %r" % r.header("Content-Length"))
    out, typed = {}, set()
    for line in r.body.decode().splitlines():
        if line.startswith("# TYPE "):
            name, kind = line.split()[2:4]
            check(kind in ("gauge", "counter"), line)
            typed.add(name)
            continue
        if line.startswith("# HELP "):
            continue
        m = re.fullmatch(r'([a-z_]+)(\{[a-z]+="[0-9a-z]+"\})? ([0-9]+)', line)
        check(m and m.group(1) in typed, "line %r" % line)
        out[m.group(1) + (m.group(2) or "")] = int(m.group(3))
    return out


def test_status_page_formats_and_access(stack):
    body = page(stack)
    check(body["workers"]["total"] == stack.workers, "workers %r" % body["workers"])
    check(body["requests"]["slow_ms"] == 1000, "slow_ms %r" % body["requests"])
    p = prometheus(stack)
    for k in ('envint_workers{state="busy"}', 'envint_workers{state="idle"}',
              "envint_workers_max_busy", "envint_requests_accepted_total",
              'envint_requests_total{class="2xx"}', "envint_requests_slow_total",
              "envint_db_reconnects_total", "envint_db_failovers_total", "envint_uptime_seconds"):
        check(k in p, "no %s in %r" % (k, p))
    check(p["envint_requests_accepted_total"] > body["requests"]["accepted"], "accepted did not grow")
    # HEAD, the trailing slash, no token needed; other methods 405; other
    # parameters 400 naming them
    r = stack.request("HEAD", Stack.STATUS_PATH + "/")
    check(r.status == 200 and r.body == b"", "HEAD %d %r" % (r.status, r.body))
    r = stack.request("HEAD", Stack.STATUS_PATH + "?format=prometheus")
    check(r.status == 200 and r.body == b"" and int(r.header("Content-Length")) > 100, "HEAD prometheus")
    r = stack.request("POST", Stack.STATUS_PATH, body={})
    expect_error(r, 405)
    check(r.header("Allow") == "GET, HEAD", "Allow %r" % r.header("Allow"))
    for q, path in (("format=xml", "format"), ("verbose=1", "verbose")):
        b = expect_error(stack.get(Stack.STATUS_PATH + "?" + q), 400)
        check(b["details"]["failures"][0]["path"] == path, "%s: %r" % (q, b))
    # the site keeps it to loopback: 127.0.0.2 is no loopback address of
    # the site's list (127.0.0.1, ::1), so it gets nginx's JSON 403
    conn = http.client.HTTPConnection("127.0.0.1", stack.http_port, timeout=10,
                                      source_address=("127.0.0.2", 0))
    try:
        conn.request("GET", Stack.STATUS_PATH)
        r = conn.getresponse()
        check(r.status == 403 and b'"statusCode":403' in r.read(), "from 127.0.0.2: %d" % r.status)
        conn.close()
        conn = http.client.HTTPConnection("127.0.0.1", stack.http_port, timeout=10,
                                          source_address=("127.0.0.2", 0))
        conn.request("GET", "/healthz")
        check(conn.getresponse().status == 200, "the rest stays open to 127.0.0.2")
    finally:
        conn.close()


def test_status_under_load(stack):
    """Six clients on two workers: every read is consistent, counts only
    grow, and the busiest-seen mark reaches the pool size."""
    stop = threading.Event()
    done = []

    def client():
        n = 0
        while not stop.is_set():
            fcgi.request(stack.app_sock, {"REQUEST_METHOD": "GET", "REQUEST_URI": "/healthz"})
            n += 1
        done.append(n)
    before = page(stack)
    threads = [threading.Thread(target=client) for _ in range(6)]
    for t in threads:
        t.start()
    last, reads = before, 0
    try:
        t_end = time.monotonic() + 2
        while time.monotonic() < t_end:
            now = page(stack)
            check(now["workers"]["total"] == stack.workers, "workers %r" % now["workers"])
            check(now["requests"]["accepted"] > last["requests"]["accepted"], "accepted")
            check(now["requests"]["by_class"]["2xx"] >= last["requests"]["by_class"]["2xx"], "2xx")
            last, reads = now, reads + 1
    finally:
        stop.set()
        for t in threads:
            t.join()
    after = page(stack)
    check(after["workers"]["max_busy"] == stack.workers, "max_busy %r" % after["workers"])
    grew = after["requests"]["accepted"] - before["requests"]["accepted"]
    check(grew >= sum(done) + reads, "accepted grew %d for %d requests" % (grew, sum(done) + reads))


def _hold_a_worker(stack):
    """A FastCGI request whose body never comes: the worker that took it
    waits in the read. Returns the open socket."""
    s = socket.socket(socket.AF_UNIX)
    s.connect(stack.app_sock)
    params = {"REQUEST_METHOD": "PATCH", "REQUEST_URI": "/environment-integration/x",
              "CONTENT_TYPE": "application/json", "CONTENT_LENGTH": "100"}
    p = b"".join(fcgi._nv(k.encode(), v.encode()) for k, v in params.items())
    s.sendall(fcgi._record(fcgi.FCGI_BEGIN_REQUEST, struct.pack(">HB5x", 1, 0)) +
              fcgi._record(fcgi.FCGI_PARAMS, p) + fcgi._record(fcgi.FCGI_PARAMS, b""))
    return s


def test_status_after_a_worker_is_killed(stack):
    """A worker killed in the middle of a request: the page counts it busy
    while it holds the request, then, once the master reaped it and forked
    its successor, shows the pool whole, nothing busy but the reader, and
    no count gone back."""
    held = _hold_a_worker(stack)
    try:
        wait_for(lambda: page(stack)["workers"]["busy"] == 2, 10, "the held request to be busy")
        before = page(stack)
        old = stack.worker_pids()
        # the one holding it waits in read(), the other in accept()
        # (/proc/PID/syscall: the number of the call it is blocked in)
        def blocked_in(pid):
            with open("/proc/%d/syscall" % pid) as f:
                return f.read().split()[0]
        accepting = {"43", "288"}    # accept, accept4 (x86_64)
        wait_for(lambda: sum(blocked_in(p) not in accepting for p in old) == 1, 10,
                 "one worker to wait in its request")
        victim = next(p for p in old if blocked_in(p) not in accepting)
        os.kill(victim, signal.SIGKILL)
        wait_for(lambda: len(stack.worker_pids()) == stack.workers and victim not in stack.worker_pids(),
                 10, "the master to respawn the worker")
        after = page(stack)
        check(after["workers"] == dict(after["workers"], total=stack.workers, busy=1, idle=stack.workers - 1),
              "after the kill: %r" % after["workers"])
        for k in ("accepted", "slow"):
            check(after["requests"][k] >= before["requests"][k], "%s went back" % k)
        for c, v in before["requests"]["by_class"].items():
            check(after["requests"]["by_class"][c] >= v, "%s went back" % c)
    finally:
        held.close()


def test_status_counts_reconnects(stack):
    """The database drops every worker's connection (KILL, as a restart or
    a failover would): each worker reconnects on its next request, and the
    page counts it."""
    before = page(stack)["database"]["reconnects"]
    ids = stack.sql_root("SELECT ID FROM information_schema.PROCESSLIST WHERE USER = 'envint'"
                         " AND DB = 'envint'").stdout.split()
    for i in ids:
        stack.sql_root("KILL CONNECTION %s" % i, check=False)

    def counted():
        for _ in range(4):
            fcgi.request(stack.app_sock, {"REQUEST_METHOD": "GET", "REQUEST_URI": "/healthz"})
        return page(stack)["database"]["reconnects"] >= before + 1
    wait_for(counted, 15, "a reconnect to be counted")
    check(prometheus(stack)["envint_db_reconnects_total"] >= before + 1, "prometheus reconnects")


# ---- logging without a terminal: spawn-fcgi ----

def test_spawn_fcgi_log_file_reopen_and_slow_log(stack):
    """envint under spawn-fcgi (its stderr is /dev/null) with log_file: the
    log is kept; after logrotate's rename, SIGUSR1 makes the master and
    every worker write to a new file, and SIGHUP does too (and reloads).
    slow_ms = 1 makes every request slow: counted on the page and logged
    with its database time."""
    d = os.path.join(stack.dir, "spawn")
    os.makedirs(d, exist_ok=True)
    sock, log, conf = (os.path.join(d, n) for n in ("envint.sock", "envint.log", "envint.conf"))
    with open(conf, "w") as f:
        for k, v in (("workers", 2), ("db_socket", stack.db_sock), ("db_user", "envint"),
                     ("db_password", stack.DB_PASSWORD), ("db_name", "envint"),
                     ("log_file", log), ("status_path", "/s"), ("slow_ms", 1)):
            f.write("%s = %s\n" % (k, v))
    pidfile = os.path.join(d, "spawn.pid")
    # the README's command line, with this stack's paths
    r = subprocess.run(["spawn-fcgi", "-s", sock, "-M", "0660", "-P", pidfile, "--",
                        stack.binary("envint"), "--config", conf, "--listen="],
                       capture_output=True, text=True, timeout=30)
    check(r.returncode == 0, "spawn-fcgi: %s %s" % (r.stdout, r.stderr))
    master = int(open(pidfile).read())

    def get(path):
        return fcgi.request(sock, {"REQUEST_METHOD": "GET", "REQUEST_URI": path})

    def listing():
        return fcgi.request(sock, {"REQUEST_METHOD": "GET", "REQUEST_URI": "/environment-integration",
                                   "QUERY_STRING": "limit=1000",
                                   "HTTP_AUTHORIZATION": "Bearer " + stack.tokens["acme-team"]})

    def read(path):
        with open(path, errors="replace") as f:
            return f.read()
    try:
        wait_for(lambda: len(children(master)) == 2, 20, "spawn-fcgi's envint workers")
        for _ in range(4):
            check(get("/healthz")[0] == 200, "healthz")
        text = read(log)
        check("listening on inherited fd 0" in text and text.count("info: GET /healthz 200") == 4,
              "log_file:\n" + text[-2000:])
        # slow (over 1 ms: a page of the list): counted, logged with the
        # time split
        for _ in range(10):
            check(listing()[0] == 200, "list")
        st, _, body = get("/s")
        check(st == 200 and re.search(rb'"slow":[1-9]', body), "status %d %r" % (st, body))
        text = read(log)
        m = re.search(r"slow request \S+: GET /environment-integration 200 took (\d+)ms: "
                      r"database (\d+)ms, the rest (\d+)ms", text)
        check(m and int(m.group(1)) >= 1 and int(m.group(2)) + int(m.group(3)) <= int(m.group(1)) + 1,
              "no slow line:\n" + text[-2000:])
        for sig, word, says in ((signal.SIGUSR1, "usr1", "master: log_file reopened"),
                                (signal.SIGHUP, "hup", "master: configuration reloaded")):
            rotated = log + "." + word
            had = read(log).count("info: GET /healthz 200")
            os.rename(log, rotated)
            workers = children(master)
            os.kill(master, sig)
            wait_for(lambda: os.path.exists(log), 10, "the log_file to be reopened")
            if sig == signal.SIGHUP:   # the reload replaces the workers one by one
                wait_for(lambda: len(set(children(master)) - set(workers)) == 2 and
                         len(children(master)) == 2, 20, "the workers to be replaced")
            else:
                time.sleep(0.3)        # every worker got the master's SIGUSR1
            for _ in range(6):
                check(get("/healthz")[0] == 200, "healthz after " + word)
            new, old = read(log), read(rotated)
            check(new.count("info: GET /healthz 200") == 6 and says in new,
                  "%s: new file:\n%s" % (word, new[-2000:]))
            check(old.count("info: GET /healthz 200") == had, "%s: requests went to the old file" % word)
            pids = set(re.findall(r"envint\[(\d+)\] info: GET /healthz", new))
            check(pids <= {str(p) for p in children(master)},
                  "%s: lines from %r, workers %r" % (word, pids, children(master)))
    finally:
        if pid_alive(master):
            os.kill(master, signal.SIGTERM)
            wait_for(lambda: not pid_alive(master), 30, "spawn-fcgi's envint to stop")
