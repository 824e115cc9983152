"""Traffic, faults and the end check of the cluster harness (issue 16 §7).

- Clients (threads) send mixed traffic through nginx's upstream over both
  envint instances: GET by id, lists, PATCHes of rows each client alone
  writes, and installs and uninstalls of (environment, integration) slots
  each client alone owns. Every write attempt is logged (writes.jsonl in
  the run's directory) with its outcome: acknowledged (2xx), rejected (4xx:
  not applied) or unknown (5xx or no reply: it may have committed; README,
  Writes).
- The conflict driver sends the same write through both instances at the
  same moment (instance A's and B's own nginx ports): two PATCHes of one
  row, two installs of one slot (then one uninstall).
- Probes read one row through each instance every 100 ms (and /healthz
  every 500 ms): the failover times.
- Faults: kill -9 of a node and its restart (IST), isolation of a node from
  the primary component (gmcast.isolate), SIGKILL of an envint master and
  its restart, a rolling SIGHUP. Each is a window; every non-2xx is filed
  under the window it overlaps (plus a settling margin), or "steady".
- The end check reads every node after a causal read (wsrep_sync_wait=1):
  each acknowledged write is there, and CHECKSUM TABLE agrees on all nodes.
"""
import calendar
import collections
import http.client
import json
import os
import random
import re
import signal
import threading
import time

from cluster import Timeout, pid_alive, poll

SETTLE = 2.0             # a window extends this long past its recovery
PAUSE_AFTER_ERROR = 0.05


def now():
    return time.monotonic()


# ---------------------------------------------------------------- records

class Recorder:
    """What happened, from every thread: requests, write attempts, probes,
    fault windows. list.append is atomic in CPython; the writes log file
    takes a lock."""

    def __init__(self, directory, t0=None):
        self.t0 = t0 or now()
        self.wall0 = time.time() - (now() - self.t0)   # envint.log's clock at t0
        self.requests = []     # dicts: t0 t1 via inst method route status ra rid err note
        self.writes = []       # dicts: op id label version status outcome t0 t1 who
        self.probes = []       # (t0, t1, inst, kind, status)
        self.windows = []      # dicts: name kind target start end events ok error
        self.lock = threading.Lock()
        self.wlog = open(os.path.join(directory, "writes.jsonl"), "a")

    def rel(self, t):
        return "+%.1f s" % (t - self.t0)

    def write(self, w):
        self.writes.append(w)
        with self.lock:
            self.wlog.write(json.dumps(dict(w, t0=round(w["t0"] - self.t0, 3),
                                            t1=round(w["t1"] - self.t0, 3))) + "\n")
            self.wlog.flush()

    def window(self, name, kind, target):
        w = dict(name=name, kind=kind, target=target, start=now(), end=None, events=[],
                 ok=True, error=None)
        self.windows.append(w)
        return w

    @staticmethod
    def event(w, what):
        w["events"].append((now(), what))

    def close(self):
        with self.lock:
            self.wlog.close()


class Http:
    """One keep-alive HTTP/1.1 connection to 127.0.0.1:port, reopened after
    any error."""

    def __init__(self, port, token, timeout):
        self.port, self.token, self.timeout = port, token, timeout
        self.conn = None

    def __call__(self, method, path, body=None, headers=None, auth=True):
        h = {"Authorization": "Bearer " + self.token} if auth else {}
        h.update(headers or {})
        if body is not None:
            body = json.dumps(body, separators=(",", ":")).encode()
            h["Content-Type"] = "application/json"
        if self.conn is None:
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
        t0 = now()
        try:
            self.conn.request(method, path, body=body, headers=h)
            r = self.conn.getresponse()
            data = r.read()
            t1 = now()
            if r.will_close:
                self.close()
            return dict(t0=t0, t1=t1, status=r.status, headers=r.headers, data=data, err=None)
        except (OSError, http.client.HTTPException) as e:
            self.close()
            return dict(t0=t0, t1=now(), status=0, headers=None, data=b"",
                        err="%s: %s" % (type(e).__name__, e))

    def close(self):
        if self.conn is not None:
            self.conn.close()
            self.conn = None


def instance_of(res, socks):
    """'A' or 'B' from nginx's X-Envint-Upstream (the last address tried),
    or '-'."""
    up = res["headers"].get("X-Envint-Upstream") if res["headers"] is not None else None
    if not up:
        return "-"
    last = up.split(",")[-1].strip()
    for name, sock in socks.items():
        if sock in last:
            return name
    return "-"


def etag_version(res):
    try:
        return int(res["headers"].get("ETag").strip('"'))
    except (AttributeError, ValueError, TypeError):
        return None


def outcome(status):
    if 200 <= status < 300:
        return "ack"
    if 400 <= status < 500:
        return "rejected"
    return "unknown"


# ---------------------------------------------------------------- set-up

def context(cl, n_clients, seed, rows_per_client=8, shared_installs=False, pause=0.0):
    """What the threads share, from the cluster's data: ports, the token,
    each client's environment, rows and integrations, the conflict driver's
    rows, environment and integrations, the probes' row. A client waits
    `pause` seconds after each request (0: as fast as it can).

    Each client installs its own integrations (in its own environment):
    two installs of one integration in two environments of a team both
    update that team's integration_install row (migration 0002's
    triggers), which on Galera is a certification conflict (1213) when
    they run on two nodes at once. shared_installs gives every client the
    same integrations, to drive that on purpose."""
    d = cl.data
    k = d["slots"]
    ints = d["integrations"]
    per_client = [ints[:k] if shared_installs else ints[i * k:(i + 1) * k]
                  for i in range(n_clients)]
    conflict_ints = ints[-d["conflict_slots"]:]
    rng = random.Random("%s-rows" % seed)
    rows = list(d["rows"])
    picked = rng.sample(rows, n_clients * rows_per_client + 5)
    return dict(
        port=cl.nginx.port, ports={"A": cl.nginx.port_a, "B": cl.nginx.port_b},
        socks={n: app.sock for n, app in cl.apps.items()}, token=d["token"],
        timeout=cl.db_timeout + 15, versions=d["versions"], rows=rows, pause=pause,
        team_envs=d["team_envs"], run="%08x" % rng.getrandbits(32),
        own=[picked[i * rows_per_client:(i + 1) * rows_per_client] for i in range(n_clients)],
        client_envs=d["client_envs"][:n_clients],
        slot_integrations=per_client,
        conflict_rows=picked[-5:-1], probe_row=picked[-1],
        conflict_env=d["conflict_env"], conflict_integrations=conflict_ints)


def start_traffic(ctx, rec, seed):
    """Starts the clients and the probes; returns (stop event, threads)."""
    stop = threading.Event()
    threads = [Client(i, ctx["client_envs"][i], ctx["own"][i], ctx["slot_integrations"][i], ctx,
                      rec, stop, seed) for i in range(len(ctx["own"]))]
    threads += [Probe(n, ctx, rec, stop) for n in ("A", "B")]
    for t in threads:
        t.start()
    return stop, threads


def stop_traffic(stop, threads, ctx):
    """Stops the threads; returns the names of those still running after
    the ceiling (a request that hung)."""
    stop.set()
    deadline = now() + ctx["timeout"] + 10
    for t in threads:
        t.join(max(0.1, deadline - now()))
    return [t.name for t in threads if t.is_alive()]


# ---------------------------------------------------------------- clients

class Client(threading.Thread):
    """Mixed traffic through the pool port. Owns some rows (it alone
    PATCHes them) and some install slots (it alone installs and uninstalls
    them), so it knows what the database must hold."""

    def __init__(self, cid, env, rows, slot_integrations, ctx, rec, stop, seed):
        super().__init__(name="client-%d" % cid, daemon=True)
        self.cid, self.env, self.ctx, self.rec, self.stop = cid, env, ctx, rec, stop
        self.rng = random.Random("%s-%d" % (seed, cid))
        self.http = Http(ctx["port"], ctx["token"], ctx["timeout"])
        # own rows: last acknowledged version and label, labels of later
        # writes whose outcome is unknown
        self.rows = {r: dict(v_ack=ctx["versions"][r], label_ack=None, pending=[]) for r in rows}
        self.own = list(rows)
        # slots: integration -> state: ("absent",) ("present", id)
        # ("unknown-post",) ("unknown-delete", id)
        self.slots = {i: ("absent",) for i in slot_integrations}
        self.deleted = set()     # ids whose uninstall was acknowledged
        self.seq = 0

    def run(self):
        while not self.stop.is_set():
            x = self.rng.random()
            if x < 0.30:
                self.get()
            elif x < 0.50:
                self.list()
            elif x < 0.75:
                self.patch()
            else:
                self.toggle()
        self.http.close()

    def record(self, res, method, route, note=None):
        ra = res["headers"].get("Retry-After") if res["headers"] is not None else None
        rid = res["headers"].get("X-Request-Id") if res["headers"] is not None else None
        self.rec.requests.append(dict(
            t0=res["t0"], t1=res["t1"], via="pool", inst=instance_of(res, self.ctx["socks"]),
            method=method, route=route, status=res["status"], ra=ra, rid=rid,
            err=res["err"], note=note, who="c%d" % self.cid))
        if res["status"] >= 500 or res["status"] == 0:
            time.sleep(PAUSE_AFTER_ERROR)
        if self.ctx["pause"]:
            self.stop.wait(self.ctx["pause"])

    def get(self):
        own = self.rng.random() < 0.4
        rid = self.rng.choice(self.own if own else self.ctx["rows"])
        res = self.http("GET", "/environment-integration/" + rid)
        note = None
        if res["status"] == 200:
            try:
                obj = json.loads(res["data"])
                if obj.get("id") != rid:
                    note = "bad-body: GET %s returned %r" % (rid, obj.get("id"))
            except ValueError:
                note = "bad-body: GET %s: not JSON" % rid
            v = etag_version(res)
            row = self.rows.get(rid) if own else None
            if note is None and row is not None and v is not None and v < row["v_ack"]:
                note = "stale-read: GET %s: version %d after version %d was acknowledged" % (
                    rid, v, row["v_ack"])
        elif 400 <= res["status"] < 500:
            note = "unexpected: %d on GET %s" % (res["status"], rid)
        self.record(res, "GET", "get", note)

    def list(self):
        x = self.rng.random()
        if x < 0.5:
            env = self.rng.choice(self.ctx["team_envs"])
            path = "?limit=20&environment_id=" + env
        elif x < 0.8:
            path = "?id[in]=" + ",".join(self.rng.sample(self.own, min(3, len(self.own))))
        else:
            path = "?limit=20&environment_id=" + self.env
        res = self.http("GET", "/environment-integration" + path)
        note = None
        if res["status"] == 200:
            try:
                json.loads(res["data"])["result"]
            except (ValueError, KeyError, TypeError):
                note = "bad-body: list: %r" % res["data"][:100]
        elif 400 <= res["status"] < 500:
            note = "unexpected: %d on list %s" % (res["status"], path)
        self.record(res, "GET", "list", note)

    def patch(self):
        rid = self.rng.choice(self.own)
        row = self.rows[rid]
        self.seq += 1
        label = "%s-c%d-%d" % (self.ctx["run"], self.cid, self.seq)
        body = {"override": {"label": label, "tags": ["cluster", "c%d" % self.cid]},
                "is_enabled": self.rng.random() < 0.5,
                "show_in_catalog": self.rng.random() < 0.5}
        headers = None
        if not row["pending"] and self.rng.random() < 0.5:
            headers = {"If-Match": '"%d"' % row["v_ack"]}
        res = self.http("PATCH", "/environment-integration/" + rid, body=body, headers=headers)
        st = res["status"]
        w = dict(op="patch", id=rid, label=label, version=None, status=st, outcome=outcome(st),
                 t0=res["t0"], t1=res["t1"], who="c%d" % self.cid, if_match=headers is not None)
        note = None
        if st == 200:
            v = etag_version(res)
            w["version"] = v
            if v is None:
                note = "bad-body: PATCH %s without an ETag" % rid
            elif v <= row["v_ack"]:
                note = "version: PATCH %s acknowledged as version %d after %d" % (rid, v, row["v_ack"])
            row.update(v_ack=v if v is not None else row["v_ack"], label_ack=label, pending=[])
        elif st == 412:
            note = ("stale-read: 412 on PATCH %s with If-Match of the last acknowledged version "
                    "%d (no write of unknown outcome since)" % (rid, row["v_ack"]))
        elif 400 <= st < 500:
            note = "unexpected: %d on PATCH %s: %r" % (st, rid, res["data"][:120])
        else:
            row["pending"].append(label)
        self.rec.write(w)
        self.record(res, "PATCH", "patch", note)

    def toggle(self):
        integ = self.rng.choice(list(self.slots))
        state = self.slots[integ]
        if state[0] in ("absent", "unknown-post"):
            res = self.http("POST", "/environment-integration",
                            body={"integration_id": integ, "environment_id": self.env})
            st = res["status"]
            w = dict(op="post", id=None, slot=[self.env, integ], status=st, outcome=outcome(st),
                     t0=res["t0"], t1=res["t1"], who="c%d" % self.cid)
            note = None
            if st in (200, 201):
                try:
                    w["id"] = json.loads(res["data"])["id"]
                except (ValueError, KeyError, TypeError):
                    note = "bad-body: POST: %r" % res["data"][:100]
                if w["id"] in self.deleted:
                    # a node that has not applied the uninstall yet: the
                    # row is gone all the same
                    note = ("stale-read: POST 200 naming %s, whose uninstall was acknowledged"
                            % w["id"])
                elif w["id"]:
                    self.slots[integ] = ("present", w["id"])
            elif 400 <= st < 500:
                note = "unexpected: %d on POST: %r" % (st, res["data"][:120])
            else:
                self.slots[integ] = ("unknown-post",)
            self.rec.write(w)
            self.record(res, "POST", "post", note)
        else:
            eid = state[1]
            res = self.http("DELETE", "/environment-integration/" + eid)
            st = res["status"]
            w = dict(op="delete", id=eid, slot=[self.env, integ], status=st, outcome=outcome(st),
                     t0=res["t0"], t1=res["t1"], who="c%d" % self.cid)
            note = None
            if st in (200, 404):
                if st == 404 and state[0] == "present":
                    note = ("stale-read: DELETE %s: 404 for an install acknowledged and not "
                            "uninstalled since" % eid)
                if st == 200:
                    self.deleted.add(eid)
                self.slots[integ] = ("absent",)
            elif 400 <= st < 500:
                note = "unexpected: %d on DELETE: %r" % (st, res["data"][:120])
            else:
                self.slots[integ] = ("unknown-delete", eid)
            self.rec.write(w)
            self.record(res, "DELETE", "delete", note)


class ConflictDriver:
    """Two threads, one per instance (its own nginx port), that send the
    same write at the same moment (a barrier): rounds alternate between two
    PATCHes of one shared row and two installs of one slot of the conflict
    environment, the latter followed by an uninstall through one of them.
    Started and stopped around a window."""

    def __init__(self, ctx, rec, seed):
        self.ctx, self.rec = ctx, rec
        self.rng = random.Random("%s-conflict" % seed)
        self.https = {n: Http(ctx["ports"][n], ctx["token"], ctx["timeout"]) for n in ("A", "B")}
        self.stop_ev = threading.Event()
        self.thread = None
        self.rounds = 0
        self.seq = 0

    def start(self):
        self.stop_ev.clear()
        self.thread = threading.Thread(target=self.loop, name="conflicts", daemon=True)
        self.thread.start()

    def stop(self):
        self.stop_ev.set()
        if self.thread is not None:
            self.thread.join(self.ctx["timeout"] * 4 + 10)
            self.thread = None

    def both(self, fn):
        """fn(name) through A and B at once; [(name, res)]."""
        barrier = threading.Barrier(2)
        out = {}

        def one(n):
            try:
                barrier.wait(timeout=10)
            except threading.BrokenBarrierError:
                pass
            out[n] = fn(n)
        ts = [threading.Thread(target=one, args=(n,), daemon=True) for n in ("A", "B")]
        for t in ts:
            t.start()
        for t in ts:
            t.join(self.ctx["timeout"] * 2 + 10)
        return [(n, out[n]) for n in ("A", "B") if n in out]

    def record(self, res, inst, method, route, note=None):
        ra = res["headers"].get("Retry-After") if res["headers"] is not None else None
        rid = res["headers"].get("X-Request-Id") if res["headers"] is not None else None
        self.rec.requests.append(dict(
            t0=res["t0"], t1=res["t1"], via=inst, inst=inst, method=method, route=route,
            status=res["status"], ra=ra, rid=rid, err=res["err"], note=note, who="conflict"))

    def loop(self):
        while not self.stop_ev.is_set():
            self.rounds += 1
            if self.rounds % 2:
                self.patch_round()
            else:
                self.install_round()
            time.sleep(0.02)
        for h in self.https.values():
            h.close()

    def patch_round(self):
        rid = self.rng.choice(self.ctx["conflict_rows"])
        self.seq += 1
        labels = {n: "%s-x%d-%s" % (self.ctx["run"], self.seq, n) for n in ("A", "B")}

        def fn(n):
            return self.https[n]("PATCH", "/environment-integration/" + rid,
                                 body={"override": {"label": labels[n], "tags": ["conflict"]}})
        for n, res in self.both(fn):
            st = res["status"]
            note = None
            if 400 <= st < 500:
                note = "unexpected: %d on a conflicting PATCH: %r" % (st, res["data"][:120])
            self.rec.write(dict(op="patch", id=rid, label=labels[n], status=st,
                                version=etag_version(res) if st == 200 else None,
                                outcome=outcome(st), t0=res["t0"], t1=res["t1"],
                                who="conflict-" + n, if_match=False))
            self.record(res, n, "PATCH", "conflict-patch", note)

    def install_round(self):
        integ = self.rng.choice(self.ctx["conflict_integrations"])
        env = self.ctx["conflict_env"]
        body = {"integration_id": integ, "environment_id": env}

        def post(n):
            return self.https[n]("POST", "/environment-integration", body=body)
        ids = set()
        for n, res in self.both(post):
            ids.update(self.log_post(n, res, env, integ))
        # the uninstall, through either, until it is known done (bounded)
        for _ in range(10):
            n = "AB"[self.rng.random() < 0.5]
            if not ids:
                if self.stop_ev.is_set():
                    return
                res = self.https[n]("POST", "/environment-integration", body=body)
                ids.update(self.log_post(n, res, env, integ))
                if not ids:
                    time.sleep(0.2)
                continue
            eid = sorted(ids)[0]
            res = self.https[n]("DELETE", "/environment-integration/" + eid)
            st = res["status"]
            self.rec.write(dict(op="delete", id=eid, slot=[env, integ], status=st,
                                outcome=outcome(st), t0=res["t0"], t1=res["t1"],
                                who="conflict-" + n))
            note = None
            if 400 <= st < 500 and st != 404:
                note = "unexpected: %d on DELETE: %r" % (st, res["data"][:120])
            self.record(res, n, "DELETE", "conflict-delete", note)
            if st in (200, 404):
                ids.discard(eid)
                if not ids:
                    return
            else:
                time.sleep(0.2)

    def log_post(self, n, res, env, integ):
        st = res["status"]
        eid = None
        note = None
        if st in (200, 201):
            try:
                eid = json.loads(res["data"])["id"]
            except (ValueError, KeyError, TypeError):
                note = "bad-body: POST: %r" % res["data"][:100]
        elif 400 <= st < 500:
            note = "unexpected: %d on a conflicting POST: %r" % (st, res["data"][:120])
        self.rec.write(dict(op="post", id=eid, slot=[env, integ], status=st, outcome=outcome(st),
                            t0=res["t0"], t1=res["t1"], who="conflict-" + n))
        self.record(res, n, "POST", "conflict-post", note)
        return [eid] if eid else []


class Probe(threading.Thread):
    """Reads one row through one instance every 100 ms, and /healthz every
    fifth time: when its reads fail and succeed again is the failover
    time of that instance."""

    def __init__(self, inst, ctx, rec, stop):
        super().__init__(name="probe-" + inst, daemon=True)
        self.inst, self.ctx, self.rec, self.stop = inst, ctx, rec, stop
        self.http = Http(ctx["ports"][inst], ctx["token"], ctx["timeout"])

    def run(self):
        i = 0
        while not self.stop.is_set():
            i += 1
            if i % 5 == 0:
                res = self.http("GET", "/healthz", auth=False)
                kind = "healthz"
            else:
                res = self.http("GET", "/environment-integration/" + self.ctx["probe_row"])
                kind = "read"
            self.rec.probes.append((res["t0"], res["t1"], self.inst, kind, res["status"]))
            self.stop.wait(max(0.0, 0.1 - (res["t1"] - res["t0"])))
        self.http.close()


# ---------------------------------------------------------------- faults

def node_kill(cl, rec, node, ceiling=60, hold=1.0):
    """kill -9 of a node; waits until the others drop it from their view,
    holds `hold` s, restarts it (position recovered: IST) and waits until
    all three are Synced. Returns the window."""
    w = rec.window("kill -9 " + node.name, "node-kill", node.name)
    others = [n for n in cl.nodes if n is not node]
    try:
        node.kill9()
        Recorder.event(w, "killed")
        poll(lambda: all(n.status().get("cluster_size") == "2" for n in others), ceiling,
             "the other nodes to drop %s from their view" % node.name)
        Recorder.event(w, "dropped from the view")
        time.sleep(hold)
        mark = node.log_mark()
        node.start(how="restart")
        Recorder.event(w, "restarted")
        poll(cl.all_synced, ceiling, "%s to rejoin and all three to be Synced" % node.name)
        w["transfer"] = node.transfers(mark)
        Recorder.event(w, "Synced (%s)" % w["transfer"])
    except Exception as e:  # noqa: BLE001
        w["ok"], w["error"] = False, str(e)
        if not node.running():
            node.start(how="restart after a failed fault")
    w["end"] = now()
    return w


def node_isolate(cl, rec, node, ceiling=60, hold=2.0):
    """gmcast.isolate=1 on a node: it leaves the primary component (its
    clients get error 1047) and the others go on as a cluster of 2; after
    `hold` s, gmcast.isolate=0 and it rejoins (IST)."""
    w = rec.window("isolate " + node.name, "isolate", node.name)
    others = [n for n in cl.nodes if n is not node]
    isolated = False
    try:
        mark = node.log_mark()
        node.sql("SET GLOBAL wsrep_provider_options='gmcast.isolate=1'")
        isolated = True
        Recorder.event(w, "isolated")
        poll(lambda: node.status().get("cluster_status") == "non-Primary", ceiling,
             "%s to leave the primary component" % node.name)
        Recorder.event(w, "non-Primary")
        poll(lambda: all(n.status().get("cluster_size") == "2" for n in others), ceiling,
             "the other nodes to form a primary component of 2")
        Recorder.event(w, "others a cluster of 2")
        time.sleep(hold)
        node.sql("SET GLOBAL wsrep_provider_options='gmcast.isolate=0'")
        isolated = False
        Recorder.event(w, "isolation lifted")
        poll(cl.all_synced, ceiling, "%s to rejoin and all three to be Synced" % node.name)
        w["transfer"] = node.transfers(mark)
        Recorder.event(w, "Synced (%s)" % w["transfer"])
    except Exception as e:  # noqa: BLE001
        w["ok"], w["error"] = False, str(e)
        if isolated:
            node.sql("SET GLOBAL wsrep_provider_options='gmcast.isolate=0'", check=False)
    w["end"] = now()
    return w


def envint_kill(cl, rec, app, ceiling=30, down=1.0):
    """SIGKILL of an envint master (its workers get SIGTERM from the
    kernel, PR_SET_PDEATHSIG, finish their request and exit); after `down`
    s it is started again, as a service manager would."""
    w = rec.window("SIGKILL envint " + app.name, "envint-kill", app.name)
    try:
        workers = app.workers()
        os.kill(app.master(), signal.SIGKILL)
        app.stack.app_proc.wait(timeout=10)
        Recorder.event(w, "master killed")
        poll(lambda: not any(pid_alive(p) for p in workers), ceiling,
             "the orphaned workers of %s to exit" % app.name)
        Recorder.event(w, "workers gone")
        time.sleep(down)
        app.start()
        Recorder.event(w, "restarted")
    except Exception as e:  # noqa: BLE001
        w["ok"], w["error"] = False, str(e)
    w["end"] = now()
    return w


def rolling_sighup(cl, rec, ceiling=30):
    """SIGHUP to A's master, wait until every worker is a new one, then
    the same for B."""
    w = rec.window("rolling SIGHUP", "sighup", "A,B")
    try:
        for name in ("A", "B"):
            app = cl.apps[name]
            before = set(app.workers())
            os.kill(app.master(), signal.SIGHUP)
            poll(lambda: len(app.workers()) >= cl.workers and not (set(app.workers()) & before),
                 ceiling, "envint %s to replace its workers" % name)
            app.note_pids()
            Recorder.event(w, "%s reloaded" % name)
    except Exception as e:  # noqa: BLE001
        w["ok"], w["error"] = False, str(e)
    w["end"] = now()
    return w


def conflicts(rec, driver, seconds):
    w = rec.window("conflicting writes through A and B", "conflicts", "A,B")
    driver.start()
    time.sleep(seconds)
    driver.stop()
    w["end"] = now()
    return w


# ---------------------------------------------------------------- end check

def merge_race(ctx, n=32, tries=20):
    """Issue 15 §1 on the cluster: n concurrent merge patches of one row,
    half through envint A and half through B (each on its own first node),
    each adding its own environment_variables key. A 503 (a certification
    conflict past envint's retries, or a node going away) is sent again, as
    a careful client does: a merge is idempotent, so one that did land and
    is sent again changes nothing. Returns (statuses of the last try of
    each, keys found, version before, version after), read through A."""
    used = set(ctx["conflict_rows"]) | {ctx["probe_row"]}
    for own in ctx["own"]:
        used |= set(own)
    row = next(r for r in ctx["rows"] if r not in used)
    path = "/environment-integration/" + row
    auth = {"Authorization": "Bearer " + ctx["token"]}

    def call(port, method, body=None, ctype=None):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=ctx["timeout"])
        try:
            h = dict(auth)
            if ctype:
                h["Content-Type"] = ctype
            conn.request(method, path, body=body, headers=h)
            r = conn.getresponse()
            return r.status, r.read(), etag_version(dict(headers=r.headers))
        except (OSError, http.client.HTTPException):
            return 0, b"", None
        finally:
            conn.close()

    status, data, before = call(ctx["ports"]["A"], "GET")
    if status != 200:
        raise RuntimeError("merge race: GET of %s gave %d" % (row, status))
    barrier = threading.Barrier(n)
    last = [None] * n

    def one(i):
        port = ctx["ports"]["A" if i % 2 else "B"]
        body = json.dumps({"override": {"environment_variables": {"RACE_%02d" % i: str(i)}}})
        try:
            barrier.wait(timeout=30)
        except threading.BrokenBarrierError:
            pass
        for _ in range(tries):
            last[i] = call(port, "PATCH", body, "application/merge-patch+json")[0]
            if last[i] != 503 and last[i] != 0:
                return
            time.sleep(0.2)
    ts = [threading.Thread(target=one, args=(i,), daemon=True) for i in range(n)]
    for t in ts:
        t.start()
    for t in ts:
        t.join(ctx["timeout"] * tries + 30)
    status, data, after = call(ctx["ports"]["A"], "GET")
    obj = json.loads(data) if status == 200 else {}
    env = (obj.get("override") or {}).get("environment_variables") or {}
    keys = sorted(k for k in env if k.startswith("RACE_"))
    return last, keys, before, after


def causal_rows(node, team):
    """Every install of the team on this node, after a causal read:
    {id: (version, label, environment, integration)}."""
    rows = node.sql(
        "SET SESSION wsrep_sync_wait = 1;"
        "SELECT LOWER(HEX(id)), version, COALESCE(JSON_VALUE(override, '$.label'), ''),"
        " LOWER(HEX(environment_id)), LOWER(HEX(integration_id))"
        " FROM environment_integration WHERE team_id = UNHEX('%s')" % team, "envint", timeout=60)
    out = {}
    for h, v, label, env, integ in rows:
        out[uuid(h)] = (int(v), label or None, uuid(env), uuid(integ))
    return out


def uuid(h):
    return "%s-%s-%s-%s-%s" % (h[:8], h[8:12], h[12:16], h[16:20], h[20:])


def checksums(node):
    """CHECKSUM TABLE of every table of the envint database, after a
    causal read in the same session."""
    tables = [r[0] for r in node.sql("SHOW TABLES", "envint")]
    rows = node.sql("SET SESSION wsrep_sync_wait = 1; SELECT COUNT(*) FROM schema_version;"
                    "CHECKSUM TABLE %s" % ", ".join("`%s`" % t for t in tables), "envint",
                    timeout=120)
    return {r[0].split(".", 1)[-1]: r[1] for r in rows[1:]}


def check_writes(rows, writes):
    """The acknowledged writes against one node's rows. Returns
    (problems, stats). Rules (a 'write of unknown outcome' got a 5xx or no
    reply: it may or may not have committed):
    - an acknowledged install (POST 201, or 200 naming the row) is there,
      unless an uninstall of it was acknowledged or its outcome is unknown;
    - an acknowledged uninstall: the row is gone;
    - a row's acknowledged PATCHes carry distinct versions (two
      acknowledged as the same version: one overwrote the other, a lost
      update); the row holds the acknowledged PATCH with the highest
      version, or a later write of unknown outcome (its version then higher
      by at most the number of those);
    - at most one row per (environment, integration)."""
    problems = []
    deleted_maybe = set()
    for w in writes:
        if w["op"] == "delete" and w["outcome"] in ("ack", "unknown"):
            deleted_maybe.add(w["id"])
    n_ack = 0
    for w in writes:
        if w["outcome"] != "ack":
            continue
        n_ack += 1
        if w["op"] == "post" and w["id"] and w["id"] not in rows and w["id"] not in deleted_maybe:
            problems.append("acknowledged install %s (POST %d by %s) is missing" % (
                w["id"], w["status"], w["who"]))
        elif w["op"] == "delete" and w["id"] in rows:
            problems.append("acknowledged uninstall of %s (by %s) did not happen: the row is "
                            "there" % (w["id"], w["who"]))
    by_row = collections.defaultdict(list)
    for w in writes:
        if w["op"] == "patch":
            by_row[w["id"]].append(w)
    for rid, ws in by_row.items():
        acks = [w for w in ws if w["outcome"] == "ack" and w["version"] is not None]
        unknown = [w for w in ws if w["outcome"] == "unknown"]
        seen = {}
        for w in acks:
            if w["version"] in seen:
                problems.append("lost update on %s: PATCHes %s (%s) and %s (%s) were both "
                                "acknowledged as version %d" % (
                                    rid, seen[w["version"]]["label"], seen[w["version"]]["who"],
                                    w["label"], w["who"], w["version"]))
            seen[w["version"]] = w
        if not acks:
            continue
        if rid not in rows:
            problems.append("row %s, PATCHed and acknowledged, is missing" % rid)
            continue
        top = max(acks, key=lambda w: w["version"])
        version, label = rows[rid][0], rows[rid][1]
        if version < top["version"]:
            problems.append("%s: version %d, but PATCH %s was acknowledged as version %d" % (
                rid, version, top["label"], top["version"]))
        elif version == top["version"] and label != top["label"]:
            problems.append("%s: version %d holds %r, acknowledged as %r" % (
                rid, version, label, top["label"]))
        elif version > top["version"]:
            if label not in {w["label"] for w in unknown}:
                problems.append("%s: version %d holds %r, neither the last acknowledged write "
                                "(%s, version %d) nor one of unknown outcome" % (
                                    rid, version, label, top["label"], top["version"]))
            elif version - top["version"] > len(unknown):
                problems.append("%s: version %d is %d past the last acknowledged one, with only "
                                "%d writes of unknown outcome" % (
                                    rid, version, version - top["version"], len(unknown)))
    slots = collections.Counter((env, integ) for _, _, env, integ in rows.values())
    for slot, n in slots.items():
        if n > 1:
            problems.append("%d rows for one (environment, integration) %r" % (n, slot))
    return problems, dict(acknowledged=n_ack)


def end_check(cl, rec, team, ceiling=90):
    """All nodes Synced, then every node checked. Returns a dict: synced
    (error or None), problems per node, checksums per node, equal."""
    out = dict(synced=None, problems={}, checksums={}, equal=False, landed_unknown=0)
    try:
        poll(cl.all_synced, ceiling, "all three nodes Synced for the end check")
    except Timeout as e:
        out["synced"] = str(e)
    for n in cl.nodes:
        try:
            rows = causal_rows(n, team)
            out["problems"][n.name], stats = check_writes(rows, rec.writes)
            out["acknowledged"] = stats["acknowledged"]
            out["checksums"][n.name] = checksums(n)
        except Exception as e:  # noqa: BLE001
            out["problems"][n.name] = ["could not read the node: %s" % e]
    sums = list(out["checksums"].values())
    out["equal"] = len(sums) == len(cl.nodes) and all(s == sums[0] for s in sums)
    return out


def plant(cl, rec, team, node_name="node2"):
    """Shows that the end check can fail: on one node only (wsrep_on=0 in
    the session, so nothing replicates) deletes a row whose install was
    acknowledged and rewrites the label of a row whose PATCH was. Returns
    what the check then says: (problems on that node, checksums equal)."""
    node = cl.node(node_name)
    rows = causal_rows(node, team)
    gone = {w["id"] for w in rec.writes if w["op"] == "delete" and w["outcome"] != "rejected"}
    post = next((w["id"] for w in rec.writes if w["op"] == "post" and w["outcome"] == "ack"
                 and w["id"] in rows and w["id"] not in gone), None)
    patched = next((w["id"] for w in reversed(rec.writes) if w["op"] == "patch"
                    and w["outcome"] == "ack" and w["id"] in rows), None)
    if post is None or patched is None:
        raise RuntimeError("nothing acknowledged to plant a fault on")
    node.sql("SET SESSION wsrep_on = 0;"
             "DELETE FROM environment_integration WHERE id = UNHEX('%s');"
             "UPDATE environment_integration SET override = '{\"label\":\"planted\"}'"
             " WHERE id = UNHEX('%s')" % (post.replace("-", ""), patched.replace("-", "")),
             "envint")
    problems, _ = check_writes(causal_rows(node, team), rec.writes)
    equal = checksums(node) == checksums(cl.nodes[0])
    return [p for p in problems if post in p or patched in p], equal


# ---------------------------------------------------------------- analysis

def window_of(rec, r, settle=SETTLE):
    """The window that [t0, t1] overlaps (its end plus `settle`), the one
    that began last when several do (a fault right after another's
    settling margin), or None (steady)."""
    best = None
    for w in rec.windows:
        end = (w["end"] or now()) + settle
        if r["t0"] <= end and r["t1"] >= w["start"] and (best is None or w["start"] > best["start"]):
            best = w
    return best


def classify(rec):
    """Files every non-2xx: {(window name, status, instance): count}, and
    the ones the long run's targets do not allow, as dicts: r (the
    request), cat (a short category), window (its name)."""
    table = collections.Counter()
    bad = []
    for r in rec.requests:
        st = r["status"]
        if 200 <= st < 300:
            continue
        w = window_of(rec, r)
        wname = w["name"] if w else "steady"
        table[(wname, st, r["inst"])] += 1
        cat = None
        if st == 500:
            cat = "500"
        elif st in (404, 412):
            # the client notes a 404 or 412 its own writes do not explain
            if r["note"]:
                cat = "%d %s" % (st, r["note"].split(":")[0])
        elif st == 503:
            if w is None:
                cat = "503 outside a fault window"
            elif not r["ra"]:
                cat = "503 without Retry-After"
        elif st == 502 or st == 0:
            if w is None or w["kind"] != "envint-kill":
                cat = "%s outside an envint kill" % ("502" if st == 502 else "no reply")
        else:
            cat = "%d" % st
        if cat:
            bad.append(dict(r=r, cat=cat, window=wname))
    return table, bad


def failover(rec, w):
    """Per instance, from its probes overlapping the window: (first failed
    read, first good read after the last failed one) relative to the
    window's start, and the number of failed reads; None when none
    failed."""
    out = {}
    end = (w["end"] or now()) + SETTLE
    for inst in ("A", "B"):
        ps = sorted(p for p in rec.probes if p[2] == inst and p[3] == "read"
                    and p[1] >= w["start"] and p[0] <= end)
        bad = [p for p in ps if p[4] != 200]
        if not bad:
            out[inst] = None
            continue
        last_bad = bad[-1]
        after = [p for p in ps if p[0] > last_bad[0] and p[4] == 200]
        back = after[0][1] if after else None
        out[inst] = (bad[0][0] - w["start"], back - w["start"] if back else None, len(bad),
                     collections.Counter(p[4] for p in bad))
    return out


def healthz_in(rec, w):
    end = (w["end"] or now()) + SETTLE
    return {inst: collections.Counter(p[4] for p in rec.probes if p[2] == inst and
                                      p[3] == "healthz" and p[1] >= w["start"] and p[0] <= end)
            for inst in ("A", "B")}


DB_ERROR = re.compile(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+)Z envint\[\d+\] "
                      r"(?:error|warn): db: .*?errno (\d+)")


def db_errors(cl, rec):
    """The database errors each envint logged (its side of every 5xx),
    filed by fault window: {(window name, instance, errno): count}."""
    out = collections.Counter()
    for name, app in cl.apps.items():
        try:
            with open(os.path.join(app.stack.dir, "envint.log"), errors="replace") as f:
                lines = f.readlines()
        except OSError:
            continue
        for line in lines:
            m = DB_ERROR.match(line)
            if not m:
                continue
            wall = calendar.timegm(time.strptime(m.group(1)[:19], "%Y-%m-%dT%H:%M:%S")) + \
                float("0" + m.group(1)[19:])
            t = rec.t0 + (wall - rec.wall0)
            if t < rec.t0:
                continue
            w = window_of(rec, dict(t0=t, t1=t))
            out[(w["name"] if w else "steady", name, int(m.group(2)))] += 1
    return out


def report(rec, cl, end, elapsed, out=print):
    """Prints the run's numbers; returns the targets missed, {key: text}
    with keys '500', 'other' (non-2xx not allowed), 'writes', 'tables'."""
    reqs = rec.requests
    out("")
    out("requests: %d in %.0f s (%d through the pool: A %d, B %d; %d direct for conflicts); "
        "probes %d" % (
            len(reqs), elapsed, sum(r["via"] == "pool" for r in reqs),
            sum(r["via"] == "pool" and r["inst"] == "A" for r in reqs),
            sum(r["via"] == "pool" and r["inst"] == "B" for r in reqs),
            sum(r["via"] != "pool" for r in reqs), len(rec.probes)))
    by_route = collections.defaultdict(collections.Counter)
    for r in reqs:
        by_route[r["route"]][r["status"]] += 1
    for route in sorted(by_route):
        out("  %-16s %s" % (route, ", ".join("%s: %d" % ("no reply" if s == 0 else s, n)
                                               for s, n in sorted(by_route[route].items()))))
    table, bad = classify(rec)
    out("non-2xx by fault window (status, instance: count):")
    names = ["steady"] + [w["name"] for w in rec.windows]
    seen = set()
    for name in names:
        if name in seen:
            continue
        seen.add(name)
        cells = sorted((st, inst, n) for (wn, st, inst), n in table.items() if wn == name)
        if cells or name == "steady":
            out("  %-40s %s" % (name, ", ".join("%s %s: %d" % ("no reply" if st == 0 else st,
                                                               inst, n)
                                                for st, inst, n in cells) or "none"))
    errs = db_errors(cl, rec)
    out("envint's database errors by fault window (errno, instance: count; 1047 not in the "
        "primary component, 1180 commit failed there, 1213 deadlock or certification "
        "conflict, 2002/2013 connection refused or lost):")
    seen = set()
    for name in names:
        if name in seen:
            continue
        seen.add(name)
        cells = sorted((e, inst, n) for (wn, inst, e), n in errs.items() if wn == name)
        if cells:
            out("  %-40s %s" % (name, ", ".join("%d %s: %d" % c for c in cells)))
    out("faults:")
    for w in rec.windows:
        ev = ", ".join("%s %.1f s" % (what, t - w["start"]) for t, what in w["events"])
        out("  %s %s: %s%s" % (rec.rel(w["start"]), w["name"], ev or "-",
                               "" if w["ok"] else "; FAILED: " + w["error"]))
        if w["kind"] in ("node-kill", "isolate", "envint-kill", "sighup"):
            fo = failover(rec, w)
            parts = []
            for inst, v in fo.items():
                if v is None:
                    parts.append("%s no failed read" % inst)
                else:
                    parts.append("%s reads failing from %.1f s to %s (%d failed: %s)" % (
                        inst, v[0], "%.1f s" % v[1] if v[1] is not None else "the end",
                        v[2], ", ".join("%s x%d" % (s or "no reply", n)
                                        for s, n in sorted(v[3].items()))))
            hz = healthz_in(rec, w)
            parts.append("/healthz " + "; ".join(
                "%s %s" % (inst, ", ".join("%s x%d" % (s or "no reply", n)
                                           for s, n in sorted(c.items())))
                for inst, c in hz.items()))
            out("      failover: " + "; ".join(parts))
    ws = rec.writes
    for op in ("patch", "post", "delete"):
        c = collections.Counter(w["outcome"] for w in ws if w["op"] == op)
        out("%s attempts: %d (acknowledged %d, rejected %d, unknown outcome %d)" % (
            op.upper(), sum(c.values()), c["ack"], c["rejected"], c["unknown"]))
    notes = collections.Counter(r["note"].split(":")[0] for r in reqs if r["note"])
    if notes:
        out("client observations (stale-read: a node had not yet applied a write acknowledged "
            "through the other; not an invariant): "
            + ", ".join("%s %d" % kv for kv in sorted(notes.items())))
        for r in [r for r in reqs if r["note"]][:8]:
            out("  %s %s via %s (%s): %s" % (rec.rel(r["t0"]), r["route"], r["via"], r["inst"],
                                            r["note"]))
    out("end check:%s" % (" " + end["synced"] if end["synced"] else ""))
    for name, probs in end["problems"].items():
        out("  %s: %s" % (name, "every acknowledged write present (%d)" % end.get(
            "acknowledged", 0) if not probs else "%d problems" % len(probs)))
        for p in probs[:10]:
            out("    " + p)
    if end["checksums"]:
        first = next(iter(end["checksums"].values()))
        out("  CHECKSUM TABLE: %s" % ("identical on all nodes (%d tables)" % len(first)
                                      if end["equal"] else "DIFFERENT"))
        if not end["equal"]:
            for name, sums in end["checksums"].items():
                out("    %s %s" % (name, sums))
    misses = {}
    n500 = [b for b in bad if b["cat"] == "500"]
    if n500:
        misses["500"] = "%d x 500 (%s)" % (len(n500), ", ".join(
            "%s: %d" % kv for kv in sorted(collections.Counter(b["window"] for b in n500).items())))
    other = [b for b in bad if b["cat"] != "500"]
    if other:
        misses["other"] = "%d other non-2xx not allowed (%s)" % (len(other), ", ".join(
            "%s: %d" % kv for kv in sorted(collections.Counter(b["cat"] for b in other).items())))
    if any(end["problems"].values()) or end["synced"]:
        misses["writes"] = "acknowledged writes missing or wrong"
    if not end["equal"]:
        misses["tables"] = "tables differ between nodes"
    if bad:
        out("outside the targets (%d; the long run's targets, reported here), the first of "
            "each kind:" % len(bad))
    shown = collections.Counter()
    for b in bad:
        r = b["r"]
        shown[(b["cat"], b["window"])] += 1
        if shown[(b["cat"], b["window"])] > 2:
            continue
        out("  %s %s %s via %s (%s) in %s: %s%s" % (
            rec.rel(r["t0"]), r["method"], r["route"], r["via"], r["inst"], b["window"],
            r["note"] or b["cat"], " X-Request-Id " + r["rid"] if r["rid"] else ""))
    return misses
